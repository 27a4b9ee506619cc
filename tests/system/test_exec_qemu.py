# SPDX-License-Identifier: GPL-2.0-or-later
"""gangway exec: QEMU 7.2 gets its network from a daemon gangway starts.

Real guests (stream and vhost-user) take a DHCP lease, fetch a page from a
loopback web server through the gateway address, and keep pinging the
gateway while the test kills the daemon: gangway exec must start a new
one and the guest's network must come back within a few seconds. Without
a guest: exit status and signal forwarding (a shell stands in for QEMU),
and the errors for QEMU commands that cannot work.
"""
import http.server
import os
import re
import select
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from harness import (QEMU, SAN_ENV, _cpio_newc, _merge_san_options,
                     free_ports, gangway_path, guest_images)
from lifecycle import pid_alive, wait_for

PAGE = 'hello from the host via gangway exec'


def san_env(**extra):
    """The environment for gangway exec and its daemons: sanitizer options
    as the harness gives the daemon (no leak check: the sandbox forbids
    it), plus extra."""
    env = dict(os.environ)
    for k, v in SAN_ENV.items():
        env[k] = _merge_san_options(env.get(k, ''), v)
    env.update(extra)
    return env


def _children(pid):
    """(pid, command name, session) of the processes whose parent is pid."""
    out = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index('(') + 1:st.rindex(')')]
        fields = st[st.rindex(')') + 2:].split()
        if int(fields[1]) == pid:
            out.append((int(d), comm, int(fields[3])))
    return out


def _daemon_pid(exec_pid, timeout=30):
    """The daemon: a gangway leading its own session (the process that
    launched it is neither), reparented to gangway exec."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for pid, comm, sid in _children(exec_pid):
            if comm == 'gangway' and sid == pid:
                return pid
        time.sleep(0.05)
    raise AssertionError('no gangway daemon under gangway exec')


class Web:
    """A one-page web server on the host's loopback."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='gwt-exec-web-')
        with open(os.path.join(self.dir, 'index.html'), 'w') as f:
            f.write(PAGE + '\n')
        d = self.dir

        class H(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=d, **kw)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever,
                         daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def web():
    w = Web()
    yield w
    w.close()


def _initrd(workdir, script):
    kernel, initrd = guest_images()
    path = os.path.join(workdir, 'initrd')
    with open(initrd, 'rb') as f, open(path, 'wb') as out:
        base = f.read()
        out.write(base)
        out.write(b'\0' * (-len(base) % 4))
        out.write(_cpio_newc({'test.sh': (0o100755, script.encode())}))
    return kernel, path


def _qemu_cmd(kernel, initrd, nic='virtio-net-pci,netdev=n0', mem='256M'):
    cmd = [QEMU, '-accel', 'tcg', '-cpu', 'max', '-nodefaults', '-no-reboot',
           '-nographic', '-serial', 'stdio', '-monitor', 'none',
           '-kernel', kernel, '-initrd', initrd,
           '-append', 'console=ttyS0 quiet panic=-1',
           '-device', nic + ',romfile=,mac=52:54:00:12:34:56']
    if mem:
        cmd[1:1] = ['-m', mem]
    return cmd


GUEST_SCRIPT = r'''
if dhcp4; then result dhcp ok; else result dhcp failed; fi
result addr "$(ip4_addr)"
gw=$(lease router)
result page "$(http_get "$gw" %d /index.html | head -n 1)"
echo READY-FOR-KILL
n=0
while [ $n -lt 60 ]; do
	if ping -c 1 -W 1 "$gw" >/dev/null 2>&1; then
		echo "PING ok $n"
	else
		echo "PING fail $n"
	fi
	n=$((n + 1))
	usleep 250000
done
result page2 "$(http_get "$gw" %d /index.html | head -n 1)"
'''


def _run_exec_guest(web, extra_args, timeout=100):
    """Boot a guest under gangway exec, kill the daemon once the guest is
    online, and return (serial text, exit status, timeline, daemons)."""
    workdir = tempfile.mkdtemp(prefix='gwt-exec-')
    os.chmod(workdir, 0o755)
    kernel, initrd = _initrd(workdir, GUEST_SCRIPT % (web.port, web.port))
    argv = [gangway_path(), 'exec'] + extra_args + ['--'] + \
        _qemu_cmd(kernel, initrd)
    env = san_env(TMPDIR=workdir)
    env.pop('XDG_RUNTIME_DIR', None)
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=env)
    lines, events = [], {}
    daemons = []
    t0 = time.monotonic()
    buf = b''
    try:
        daemons.append(_daemon_pid(p.pid))
        while True:
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                raise AssertionError('gangway exec: guest did not finish '
                                     'in %ss:\n%s' % (timeout,
                                                      ''.join(lines)))
            r, _, _ = select.select([p.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                text = line.decode(errors='replace') + '\n'
                lines.append(text)
                m = re.match(r'PING (ok|fail) (\d+)', text)
                if m:
                    events.setdefault('pings', []).append(
                        (time.monotonic(), m.group(1), int(m.group(2))))
                if text.startswith('PING ok 3') and 'killed' not in events:
                    os.kill(daemons[0], signal.SIGKILL)
                    events['killed'] = time.monotonic()
        status = p.wait(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    out = ''.join(lines) + buf.decode(errors='replace')
    if 'killed' in events:
        try:
            daemons.append(_daemon_pid(p.pid, timeout=0.01))
        except AssertionError:
            pass
    leftover = os.listdir(workdir)
    return out, status, events, leftover


def _check_run(out, status, events, leftover):
    res = dict(re.findall(r'^RESULT (\w+)=(.*?)\r?$', out, re.M))
    assert res.get('dhcp') == 'ok', out
    assert res.get('addr') == '192.0.2.2/24', out
    assert res.get('page') == PAGE, out
    assert 'killed' in events, out
    # the network came back, and quickly, after the daemon was killed
    after = [(t, ok) for t, ok, _ in events['pings'] if t > events['killed']]
    back = [t for t, ok in after if ok == 'ok']
    assert back, 'no ping got through after the daemon was killed:\n' + out
    print('network back %.2f s after the daemon was killed' %
          (back[0] - events['killed']))
    assert back[0] - events['killed'] < 8, out
    assert 'starting a new one' in out, out
    assert res.get('page2') == PAGE, out
    assert status == 0, out
    # the private directory (socket, pid file) is gone
    assert [f for f in leftover if f.startswith('gangway-exec.')] == [], \
        leftover


@pytest.mark.qemu
def test_exec_stream_online_and_recovers(web):
    out, status, events, leftover = _run_exec_guest(web, [])
    _check_run(out, status, events, leftover)


@pytest.mark.qemu
def test_exec_vhost_user_online_and_recovers(web):
    out, status, events, leftover = _run_exec_guest(web, ['--vhost-user'])
    _check_run(out, status, events, leftover)


def _exec(args, timeout=20, **kw):
    kw.setdefault('env', san_env())
    return subprocess.run([gangway_path(), 'exec'] + args,
                          capture_output=True, text=True, timeout=timeout,
                          **kw)


def test_exec_exit_status_and_netdev(tmp_path):
    """QEMU's exit status comes back; the command gets our netdev."""
    log = tmp_path / 'argv'
    fake = ('printf "%%s\\n" "$@" > %s; exit 7' % log)
    r = _exec(['--', 'sh', '-c', fake, 'qemu',
               '-device', 'e1000,netdev=n0'])
    assert r.returncode == 7, r.stderr
    args = log.read_text().split('\n')
    i = args.index('-netdev')
    assert re.match(r'stream,id=n0,server=on,addr\.type=fd,addr\.str=\d+$',
                    args[i + 1]), args


def test_exec_daemon_options(tmp_path):
    """gangway options reach the daemon once each, as typed, clusters
    included; --netdev-id is gangway exec's own."""
    log = tmp_path / 'cmdline'
    fake = ('tr "\\\\0" "\\\\n" < /proc/$(cat %s/gangway-exec.*/gangway.pid)/cmdline > %s' %
            (tmp_path, log))
    fwd = '%d:22' % free_ports()
    r = _exec(['-4qm1500', '-t', fwd, '--mac-addr=9a:55:9a:55:9a:56',
               '--netdev-id', 'x', '--', 'sh', '-c', fake, 'qemu',
               '-device', 'e1000,netdev=x'],
              env=san_env(TMPDIR=str(tmp_path)))
    assert r.returncode == 0, r.stderr
    args = log.read_text().split('\n')
    assert args[1:8] == ['--quiet', '-4qm1500', '-t', fwd,
                         '--mac-addr=9a:55:9a:55:9a:56', '--pid',
                         args[7]], args
    assert args[8:10] == ['--fd', '3'], args
    assert 'x' not in args and '--netdev-id' not in args, args


def test_exec_vhost_user_command(tmp_path):
    """--vhost-user: chardev with reconnect, shared memory of the -m size,
    vectors=0 under TCG."""
    log = tmp_path / 'argv'
    fake = ('printf "%%s\\n" "$@" > %s' % log)
    r = _exec(['--vhost-user', '--netdev-id', 'net.1', '--', 'sh', '-c',
               fake, 'qemu', '-m', '1G',
               '-device', 'virtio-net-pci,netdev=net.1'])
    assert r.returncode == 0, r.stderr
    args = log.read_text().split('\n')
    assert 'virtio-net-pci,netdev=net.1,vectors=0' in args, args
    assert 'vhost-user,id=net.1,chardev=gangway-net.1' in args, args
    ch = [a for a in args if a.startswith('socket,id=gangway-net.1,')]
    assert ch and ch[0].endswith(',reconnect=1'), args
    assert ('memory-backend-memfd,id=gangway-mem,size=%d,share=on' %
            (1 << 30)) in args, args
    assert 'node,memdev=gangway-mem' in args, args


def test_exec_signals(tmp_path):
    """SIGUSR1 to gangway exec reaches the daemon (counters in its log);
    SIGTERM reaches QEMU; the daemon is stopped."""
    ready = tmp_path / 'ready'
    log = tmp_path / 'gangway.log'
    os.chmod(str(tmp_path), 0o1777)
    fake = ('trap "exit 42" TERM; touch %s; '
            'while :; do sleep 0.05; done' % ready)
    p = subprocess.Popen([gangway_path(), 'exec', '-l', str(log), '--',
                          'sh', '-c', fake,
                          'qemu', '-device', 'e1000,netdev=n0'],
                         stderr=subprocess.PIPE, text=True, env=san_env())
    try:
        end = time.monotonic() + 30
        while not ready.exists():
            assert time.monotonic() < end and p.poll() is None
            time.sleep(0.02)
        daemon = _daemon_pid(p.pid)
        p.send_signal(signal.SIGUSR1)
        end = time.monotonic() + 30
        while 'stats flows:' not in (log.read_text() if log.exists()
                                     else ''):
            assert time.monotonic() < end, log.read_text()
            time.sleep(0.05)
        assert 'stats link: rx_frames=0' in log.read_text()
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 42
        assert wait_for(lambda: not pid_alive(daemon), timeout=30), \
            'the daemon outlived gangway exec'
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


@pytest.mark.parametrize('args,msg', [
    (['--', QEMU, '-m', '512M'],
     'the QEMU command has no NIC for netdev n0: add one, e.g. '
     '-device virtio-net-pci,netdev=n0'),
    (['--netdev-id', 'lan', '--', QEMU, '-device', 'e1000,netdev=n0'],
     'no NIC for netdev lan'),
    (['--', QEMU, '-netdev', 'user,id=n0', '-device', 'e1000,netdev=n0'],
     '-netdev user,id=n0: gangway exec adds netdev n0 itself'),
    (['--vhost-user', '--', QEMU, '-device', 'e1000,netdev=n0'],
     '-device e1000,netdev=n0: vhost-user works with virtio-net NICs only'),
    (['--vhost-user', '--', QEMU, '-mem-path', '/dev/hugepages',
      '-device', 'virtio-net-pci,netdev=n0'],
     '-mem-path: vhost-user needs guest memory the daemon can map'),
    (['--vhost-user', '--', QEMU, '-object',
      'memory-backend-ram,id=m,size=1G', '-numa', 'node,memdev=m',
      '-device', 'virtio-net-pci,netdev=n0'],
     'id=m: vhost-user needs share=on'),
    (['--vhost-user', '--', QEMU, '-numa', 'node,nodeid=0',
      '-device', 'virtio-net-pci,netdev=n0'],
     '-numa: with --vhost-user, give the NUMA node a memory backend'),
    (['--', QEMU, '-daemonize', '-device', 'e1000,netdev=n0'],
     '-daemonize: gangway exec stays with QEMU'),
    (['--fd', '3', '--', QEMU], '--fd: set by gangway exec itself'),
    (['--socket', '/tmp/x', '--', QEMU],
     '--socket: set by gangway exec itself'),
    (['--netdev-id', '0bad', '--', QEMU], '--netdev-id 0bad: must start'),
    ([], 'no QEMU command'),
    (['--mtu', '99999', '--', QEMU, '-device', 'e1000,netdev=n0'],
     'gangway: --mtu 99999: must be a number from 68 to 65520'),
])
def test_exec_errors(args, msg):
    r = _exec(args)
    assert r.returncode == 1, r
    assert msg in r.stderr, r.stderr
    assert len(r.stderr.strip().split('\n')) <= 2, r.stderr
