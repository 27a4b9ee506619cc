# SPDX-License-Identifier: GPL-2.0-or-later
"""The sandbox, seen from outside the running daemon.

Tests run as root, so every daemon here starts as root and must end up as
nobody (or --runas), without capabilities, in namespaces of its own, in an
empty root, with no_new_privs and a seccomp filter that kills it on a
forbidden system call (core/sandbox.c, core/seccomp.c).
"""
import os
import platform
import signal
import socket
import tempfile

import pytest

from harness import Gangway, gangway_path
from lifecycle import arp_request, framed, read_file, read_frames, wait_for


def sanitized():
    """Sanitizer builds run without the seccomp filter (docs/security.md)."""
    with open(gangway_path(), 'rb') as f:
        data = f.read()
    return b'__asan_init' in data or b'__ubsan_handle' in data


def status(pid):
    fields = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            k, _, v = line.partition(':')
            fields[k] = v.strip()
    return fields


def ns(pid, kind):
    return os.readlink('/proc/%d/ns/%s' % (pid, kind))


def assert_arp_answered(g):
    g.sock.sendall(framed(arp_request()))
    frames = read_frames(g.sock, timeout=30, want=1)   # returns on the reply
    assert frames, 'no ARP reply from the sandboxed daemon'


def test_root_becomes_nobody_without_capabilities():
    with Gangway() as g:
        st = status(g.pid)
        assert st['Uid'].split() == ['65534'] * 4
        assert st['Gid'].split() == ['65534'] * 4
        assert st['Groups'] == ''
        for cap in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'):
            assert int(st[cap], 16) == 0, cap
        assert st['NoNewPrivs'] == '1'
        assert_arp_answered(g)


def test_seccomp_filter_is_installed():
    if sanitized():
        pytest.skip('sanitizer build: no seccomp filter, by design')
    with Gangway() as g:
        st = status(g.pid)
        assert st['Seccomp'] == '2'
        assert st['Seccomp_filters'] == '1'


def test_namespaces_are_new_but_not_the_network():
    me = os.getpid()
    with Gangway() as g:
        for kind in ('user', 'mnt', 'ipc', 'uts', 'pid'):
            assert ns(g.pid, kind) != ns(me, kind), kind
        assert ns(g.pid, 'net') == ns(me, 'net')
        # pid 1 in its own PID namespace; the pid file has the host's pid
        nspid = status(g.pid)['NSpid'].split()
        assert nspid == [str(g.pid), '1']
        assert_arp_answered(g)


def test_root_directory_is_empty():
    with Gangway() as g:
        assert os.listdir('/proc/%d/root/' % g.pid) == []
        assert os.path.realpath('/proc/%d/cwd' % g.pid) == \
            os.path.realpath('/proc/%d/root' % g.pid)


def test_foreground_daemon_is_sandboxed_without_a_pid_namespace():
    me = os.getpid()
    with Gangway(foreground=True) as g:
        st = status(g.pid)
        assert st['Uid'].split() == ['65534'] * 4
        assert int(st['CapEff'], 16) == 0
        assert ns(g.pid, 'user') != ns(me, 'user')
        assert ns(g.pid, 'pid') == ns(me, 'pid')
        assert os.listdir('/proc/%d/root/' % g.pid) == []


def test_runas_picks_the_user_and_group():
    with Gangway(['--runas', '4321:4322']) as g:
        st = status(g.pid)
        assert st['Uid'].split() == ['4321'] * 4
        assert st['Gid'].split() == ['4322'] * 4
        assert_arp_answered(g)


def test_runas_root_is_refused(gangway_bin, tmp_path):
    import subprocess
    p = subprocess.run([gangway_bin, '--runas', '0', '--pid',
                        str(tmp_path / 'pid'), '-s', str(tmp_path / 's')],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode != 0
    assert '--runas 0' in p.stderr
    assert not os.path.exists(tmp_path / 's')


def test_pid_and_socket_removed_by_the_dropped_user():
    d = tempfile.mkdtemp(prefix='gwt-hard-')
    os.chmod(d, 0o1777)
    sock = os.path.join(d, 'gw.sock')
    log = os.path.join(d, 'log')
    with Gangway(['-s', sock, '-l', log, '--debug'], fd=False, workdir=d) as g:
        assert os.stat(sock).st_uid == 65534
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(sock)         # accepted after the lock
        c.sendall(framed(arp_request()))
        c.settimeout(3)
        assert len(c.recv(4096)) > 4
        c.close()
        g.terminate()
        assert os.WIFEXITED(g.status) and os.WEXITSTATUS(g.status) == 0
        assert not os.path.exists(sock)
        assert not os.path.exists(g.pidfile)
        # log lines carry the pid the launcher knows, not 1
        assert 'gangway[%d]:' % g.pid in read_file(log)
        assert 'gangway[1]:' not in read_file(log)


def test_forbidden_execve_kills_the_daemon_with_sigsys():
    if sanitized():
        pytest.skip('sanitizer build: no seccomp filter, by design')
    g = Gangway(env={'GANGWAY_TEST_FORBIDDEN_SYSCALL': '1'})
    try:
        assert_arp_answered(g)
        os.kill(g.pid, signal.SIGUSR2)
        assert wait_for(lambda: not g.alive(), timeout=30), \
            'execve() did not end the daemon: ' + g.logs()
        assert os.WIFSIGNALED(g.status)
        assert os.WTERMSIG(g.status) == signal.SIGSYS
    finally:
        g.terminate()
        g.cleanup()


def test_without_the_hook_sigusr2_does_nothing():
    d = tempfile.mkdtemp(prefix='gwt-hard-')
    log = os.path.join(d, 'log')
    with Gangway(['-l', log]) as g:
        os.kill(g.pid, signal.SIGUSR2)     # pid 1 of its namespace: ignored
        wait_for(lambda: False, timeout=0.3)
        assert g.alive()
        assert_arp_answered(g)
        assert 'test hook' not in read_file(log)


def test_unprivileged_start_is_sandboxed_too(tmp_path):
    """As QEMU usually runs: not root. Same sandbox, via a user namespace."""
    wrapper = tmp_path / 'as-user.sh'
    wrapper.write_text('#!/bin/sh\nexec setpriv --reuid 1000 --regid 1000 '
                       '--clear-groups %s "$@"\n' % gangway_path())
    wrapper.chmod(0o755)
    me = os.getpid()
    with Gangway(binary=str(wrapper)) as g:
        st = status(g.pid)
        assert st['Uid'].split() == ['1000'] * 4
        assert int(st['CapEff'], 16) == 0 and int(st['CapBnd'], 16) == 0
        assert st['NoNewPrivs'] == '1'
        if not sanitized():
            assert st['Seccomp'] == '2'
        assert ns(g.pid, 'user') != ns(me, 'user')
        assert os.listdir('/proc/%d/root/' % g.pid) == []
        assert_arp_answered(g)
        g.terminate()
        assert os.WIFEXITED(g.status) and os.WEXITSTATUS(g.status) == 0
        assert not os.path.exists(g.pidfile)


# A launcher that runs gangway with pivot_root() failing as it does where
# the root is an initramfs (EINVAL): a seccomp filter, inherited by the
# daemon, answers pivot_root with EINVAL and lets everything else through.
# Root may install it without no_new_privs (CAP_SYS_ADMIN).
NO_PIVOT_ROOT = r'''
import ctypes, os, struct, sys
AUDIT_ARCH_X86_64, NR_PIVOT_ROOT, EINVAL = 0xc000003e, 155, 22
RET_ALLOW, RET_ERRNO = 0x7fff0000, 0x00050000
LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06
prog = [(LD_W_ABS, 0, 0, 4),                # seccomp_data.arch
        (JEQ_K, 0, 3, AUDIT_ARCH_X86_64),
        (LD_W_ABS, 0, 0, 0),                # seccomp_data.nr
        (JEQ_K, 0, 1, NR_PIVOT_ROOT),
        (RET_K, 0, 0, RET_ERRNO | EINVAL),
        (RET_K, 0, 0, RET_ALLOW)]
code = ctypes.create_string_buffer(b''.join(struct.pack('HBBI', *i)
                                            for i in prog))
fprog = struct.pack('HxxxxxxP', len(prog), ctypes.addressof(code))
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog, 0, 0):
    sys.exit('seccomp: %s' % os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
'''


def no_pivot_root_launcher(tmp_path):
    if platform.machine() != 'x86_64':
        pytest.skip('the pivot_root filter is written for x86_64')
    wrapper = tmp_path / 'no-pivot-root.sh'
    wrapper.write_text('#!/bin/sh\nexec /usr/bin/python3 -c "$GWT_PROG" '
                       '%s "$@"\n' % gangway_path())
    wrapper.chmod(0o755)
    return str(wrapper), {'GWT_PROG': NO_PIVOT_ROOT}


def test_pivot_root_failure_is_fatal_without_chroot_fallback(tmp_path):
    """Where pivot_root() fails (initramfs root), the daemon refuses to run
    half-sandboxed, and says which option would help."""
    from harness import HarnessError
    wrapper, env = no_pivot_root_launcher(tmp_path)
    with pytest.raises(HarnessError) as e:
        Gangway(binary=wrapper, env=env)
    msg = str(e.value)
    assert 'cannot switch to an empty root: Invalid argument' in msg, msg
    assert '--chroot-fallback may help' in msg, msg


def test_chroot_fallback_gives_an_empty_root(tmp_path):
    """--chroot-fallback: pivot_root() fails, chroot() into the same empty
    tmpfs instead; the rest of the sandbox is unchanged and it works."""
    wrapper, env = no_pivot_root_launcher(tmp_path)
    log = str(tmp_path / 'log')
    os.chmod(tmp_path, 0o1777)
    me = os.getpid()
    with Gangway(['--chroot-fallback', '--debug', '-l', log],
                 binary=wrapper, env=env) as g:
        assert 'chroot() instead' in read_file(log), read_file(log)
        assert os.listdir('/proc/%d/root/' % g.pid) == []
        assert os.path.realpath('/proc/%d/cwd' % g.pid) == \
            os.path.realpath('/proc/%d/root' % g.pid)
        st = status(g.pid)
        assert st['Uid'].split() == ['65534'] * 4
        assert int(st['CapEff'], 16) == 0 and int(st['CapBnd'], 16) == 0
        assert st['NoNewPrivs'] == '1'
        for kind in ('user', 'mnt'):
            assert ns(g.pid, kind) != ns(me, kind), kind
        assert_arp_answered(g)
        g.terminate()
        assert os.WIFEXITED(g.status) and os.WEXITSTATUS(g.status) == 0
