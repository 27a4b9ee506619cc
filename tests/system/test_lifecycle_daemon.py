# SPDX-License-Identifier: GPL-2.0-or-later
"""Process lifecycle: daemonizing as QEMU expects, signals, clean exit.

QEMU 10.1 starts gangway, waits for that process to exit, reads the pid
file, and later sends SIGTERM to that pid. The process it started must
exit 0 only once the daemon is ready, and non-zero on any start-up error.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile

from harness import Gangway
from lifecycle import (arp_request, framed, pid_alive, read_file, read_frames,
                       wait_for)


def test_sigterm_ends_the_daemon_named_in_the_pid_file():
    with Gangway() as g:
        assert g.pid != g.proc.pid            # the launcher is gone
        assert pid_alive(g.pid)
        status = g.terminate()
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        assert not os.path.exists(g.pidfile)  # removed at clean exit


def test_sigint_is_a_clean_exit_too():
    with Gangway() as g:
        os.kill(g.pid, signal.SIGINT)
        assert wait_for(lambda: not g.alive())
        assert os.WIFEXITED(g.status) and os.WEXITSTATUS(g.status) == 0


def test_closing_qemus_end_ends_an_fd_daemon():
    with Gangway() as g:
        g.sock.close()
        g.sock = None
        assert wait_for(lambda: not g.alive(), timeout=30)
        assert os.WIFEXITED(g.status) and os.WEXITSTATUS(g.status) == 0
        assert not os.path.exists(g.pidfile)


def test_sigusr1_dumps_counters_and_keeps_running():
    d = tempfile.mkdtemp(prefix='gwt-lc-')
    log = os.path.join(d, 'log')
    with Gangway(['-l', log]) as g:           # --quiet: still dumped
        # an ARP request after the short frame: its reply says both
        # were handled before the dump
        g.sock.sendall(framed(bytes(5)) + framed(arp_request()))
        assert read_frames(g.sock, timeout=30)
        os.kill(g.pid, signal.SIGUSR1)
        assert wait_for(lambda: 'rx_short=1' in read_file(log))
        text = read_file(log)
        assert 'rx_frames=1' in text
        assert g.alive()
    os.unlink(log)
    os.rmdir(d)


def test_debug_dumps_counters_at_exit():
    d = tempfile.mkdtemp(prefix='gwt-lc-')
    log = os.path.join(d, 'log')
    with Gangway(['-l', log, '--debug']) as g:
        g.sock.sendall(framed(bytes(0)))
        assert wait_for(lambda: True, timeout=0.2)
        g.terminate()
    assert 'rx_zero_length=1' in read_file(log)
    os.unlink(log)
    os.rmdir(d)


def run_launcher(gangway_bin, args, timeout=10):
    """Run gangway as QEMU would and return (exit status, stderr)."""
    p = subprocess.run([gangway_bin] + args, capture_output=True,
                       text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stderr


def test_launcher_fails_on_a_closed_fd(gangway_bin, tmp_path):
    pid = tmp_path / 'pid'
    rc, err = run_launcher(gangway_bin, ['--pid', str(pid), '--fd', '77'])
    assert rc != 0
    assert '--fd 77' in err
    assert not pid.exists() or not pid.read_text()


def test_launcher_fails_on_an_fd_that_is_not_a_socket(gangway_bin,
                                                       tmp_path):
    pid = tmp_path / 'pid'
    with open(tmp_path / 'file', 'w') as f:
        rc, err = run_launcher(gangway_bin, ['--pid', str(pid), '--fd',
                                             str(f.fileno())])
    # fd is not inherited by subprocess.run (close_fds): closed, or not
    # a socket if it were: either way a clear failure
    assert rc != 0 and '--fd' in err


def test_launcher_fails_with_socket_in_missing_directory(gangway_bin,
                                                         tmp_path):
    path = tmp_path / 'missing' / 'gw.socket'
    rc, err = run_launcher(gangway_bin, ['-s', str(path), '--pid',
                                         str(tmp_path / 'pid')])
    assert rc != 0
    assert str(path) in err


def test_launcher_fails_on_unwritable_pid_file(gangway_bin, tmp_path):
    a, b = socket.socketpair()
    try:
        rc, err = run_launcher(gangway_bin, [
            '--pid', str(tmp_path / 'missing' / 'pid'), '-s',
            str(tmp_path / 'gw.socket')])
    finally:
        a.close()
        b.close()
    assert rc != 0 and 'pid' in err
    assert not (tmp_path / 'gw.socket').exists()


def test_fifty_restarts_leave_nothing_behind(tmp_path):
    for i in range(50):
        with Gangway(workdir=str(tmp_path)) as g:
            assert pid_alive(g.pid)
            g.terminate()
        assert not os.path.exists(g.pidfile)
    assert os.listdir(tmp_path) == ['gangway.stderr']


def test_closing_qemus_end_ends_a_vhost_user_fd_daemon():
    with Gangway(['--vhost-user']) as g:
        g.sock.close()
        g.sock = None
        assert wait_for(lambda: not g.alive(), timeout=30)
        assert os.WIFEXITED(g.status) and os.WEXITSTATUS(g.status) == 0
        assert not os.path.exists(g.pidfile)


def test_vhost_user_socket_path_removed_at_exit(tmp_path):
    # As root the daemon becomes nobody (sandbox): it may remove its
    # socket from a sticky, world-writable directory, as from /tmp
    os.chmod(tmp_path, 0o1777)
    path = str(tmp_path / 'vu.socket')
    with Gangway(['--vhost-user', '-s', path], fd=False) as g:
        assert os.path.exists(path)
        g.terminate()
    assert not os.path.exists(path)


SYSLOG_SCRIPT = r'''
import os, socket, subprocess, sys
# In a private mount namespace: a fresh /dev with null and our own log
subprocess.run(['mount', '-t', 'tmpfs', 'none', '/dev'], check=True)
os.mknod('/dev/null', 0o20666, os.makedev(1, 3))
log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
log.bind('/dev/log')
a, b = socket.socketpair()
p = subprocess.Popen([sys.argv[1], '--fd', str(b.fileno()), '--pid',
                      sys.argv[2]], pass_fds=(b.fileno(),))
assert p.wait() == 0
b.close()
a.close()                                   # QEMU goes away
log.settimeout(5)
while True:
    msg = log.recv(4096).decode()
    print(msg)
    if 'exiting' in msg:
        break
'''


def test_daemon_logs_to_syslog_after_detaching(gangway_bin, tmp_path):
    script = tmp_path / 'syslog.py'
    script.write_text(SYSLOG_SCRIPT)
    p = subprocess.run(['unshare', '-m', '--propagation', 'private',
                        '/usr/bin/python3', str(script), gangway_bin,
                        str(tmp_path / 'pid')],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    # daemon facility, info severity: <30>; then tag with the daemon's pid
    assert re.search(r'<30>\w+ +\d+ [\d:]+ gangway\[\d+\]: link: QEMU '
                     r'closed the socket; exiting', p.stdout), p.stdout


def test_inherited_fds_are_closed_so_the_launcher_never_waits():
    r, w = os.pipe()
    os.set_inheritable(w, True)              # leaked to gangway
    try:
        with Gangway() as g:
            os.close(w)
            w = -1
            # Only the daemon could still hold the write end now
            os.set_blocking(r, False)
            assert wait_for(lambda: _eof(r), timeout=30), \
                'daemon kept an inherited pipe open'
            assert g.alive()
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


def _eof(fd):
    try:
        return os.read(fd, 1) == b''
    except BlockingIOError:
        return False
