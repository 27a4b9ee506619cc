# SPDX-License-Identifier: GPL-2.0-or-later
"""libvirt's passt back-end, with gangway installed under the name passt.

libvirt (src/qemu/qemu_passt.c) runs `passt --one-off --socket PATH --pid
FILE --mac-addr GUEST-MAC [--interface DEV] [--address A --netmask LEN]
[--tcp-ports SPEC]` and, once that process has exited 0, starts QEMU with
-netdev stream on PATH. We run exactly that command line through a
symlink named passt, then QEMU 7.2: the guest gets the address libvirt
asked for by DHCP, fetches a page from a loopback web server through the
gateway, and a host connection to the forwarded port reaches the guest.
When QEMU goes, the one-off daemon goes too.
"""
import os
import re
import select
import socket
import subprocess
import tempfile
import time

import pytest

from harness import free_ports, gangway_path
from test_exec_qemu import PAGE, Web, _initrd, _qemu_cmd, san_env

GUEST_MAC = '52:54:00:4a:1b:2c'


@pytest.fixture
def web():
    w = Web()
    yield w
    w.close()


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(')')[1].split()[0] != 'Z'
    except OSError:
        return False


@pytest.mark.qemu
def test_libvirt_command_line(web):
    work = tempfile.mkdtemp(prefix='gwt-libvirt-')
    os.chmod(work, 0o1777)     # the daemon may drop to nobody
    passt = os.path.join(work, 'passt')
    os.symlink(gangway_path(), passt)
    sock = os.path.join(work, 'net0.socket')
    pidfile = os.path.join(work, 'net0-passt.pid')
    fwd = free_ports()

    argv = [passt, '--one-off', '--socket', sock,
            '--mac-addr', GUEST_MAC, '--pid', pidfile,
            '--interface', 'eth0',
            '--address', '192.0.2.50', '--netmask', '24',
            '--tcp-ports', '%d:8022' % fwd]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=20,
                       env=san_env())
    assert r.returncode == 0, r.stderr
    pid = int(open(pidfile).read())
    assert _alive(pid)

    script = r'''
if dhcp4; then result dhcp ok; else result dhcp failed; fi
result addr "$(ip4_addr)"
gw=$(lease router)
result router "$gw"
result page "$(http_get "$gw" %d /index.html | head -n 1)"
echo from-the-guest | nc -l -p 8022 > /tmp/got &
usleep 300000
echo LISTENING
n=0
while [ ! -s /tmp/got ] && [ $n -lt 100 ]; do usleep 100000; n=$((n+1)); done
result got "$(cat /tmp/got)"
''' % web.port
    kernel, initrd = _initrd(work, script)
    cmd = _qemu_cmd(kernel, initrd,
                    nic='virtio-net-pci,netdev=hostnet0,id=net0')
    cmd = [a.replace('mac=52:54:00:12:34:56', 'mac=' + GUEST_MAC)
           for a in cmd]
    cmd += ['-netdev', 'stream,id=hostnet0,server=off,addr.type=unix,'
            'addr.path=%s' % sock]
    q = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, buf, reply = '', b'', None
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 90:
            rd, _, _ = select.select([q.stdout], [], [], 1)
            if not rd:
                continue
            chunk = os.read(q.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                text = line.decode(errors='replace')
                out += text + '\n'
                if text.startswith('LISTENING') and reply is None:
                    c = socket.create_connection(('127.0.0.1', fwd), 10)
                    c.sendall(b'from-the-host\n')
                    c.settimeout(10)
                    reply = b''
                    while not reply.endswith(b'\n'):
                        d = c.recv(100)
                        if not d:
                            break
                        reply += d
                    c.close()
        assert q.wait(timeout=20) == 0, out
    finally:
        if q.poll() is None:
            q.kill()
            q.wait()

    res = dict(re.findall(r'^RESULT (\w+)=(.*?)\r?$', out, re.M))
    assert res.get('dhcp') == 'ok', out
    assert res.get('addr') == '192.0.2.50/24', out
    assert res.get('router') == '192.0.2.1', out
    assert res.get('page') == PAGE, out
    assert reply == b'from-the-guest\n', (reply, out)
    assert res.get('got') == 'from-the-host', out

    # --one-off: QEMU gone, so is the daemon (libvirt removes the files)
    end = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < end:
        time.sleep(0.05)
    assert not _alive(pid)
