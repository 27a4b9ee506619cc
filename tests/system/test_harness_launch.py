# SPDX-License-Identifier: GPL-2.0-or-later
"""The harness launches a daemon as QEMU 10.1 does and notices failures.

Uses tests/harness/fake_daemon.py, so it checks the harness alone.
"""
import os
import struct

import pytest

from harness import Gangway, GangwayCrashed, HarnessError, SRC
from lifecycle import wait_for

FAKE = os.path.join(SRC, 'tests', 'harness', 'fake_daemon.py')


def fake(mode='', **kw):
    return Gangway(['--some-option'], binary=FAKE, env={'FAKE_MODE': mode},
                   **kw)


def test_launch_argv_fd3_and_pid_file():
    with fake() as g:
        assert g.argv == [FAKE, '--some-option', '--quiet', '--pid',
                          g.pidfile, '--fd', '3']
        assert g.alive()
        assert g.pid != g.proc.pid        # the launcher exited, daemon runs
        frame = struct.pack('>I', 60) + bytes(60)
        g.sock.sendall(frame)             # the daemon got the pair on fd 3
        g.sock.settimeout(5)
        assert g.sock.recv(100) == frame
    assert not os.path.exists(g.workdir)


def test_launch_failure_reports_stderr():
    with pytest.raises(HarnessError, match='not an option'):
        fake('fail')


def test_launch_without_pid_file_fails():
    with pytest.raises(HarnessError, match='pid file'):
        fake('nopid')


@pytest.mark.parametrize('mode,why', [('segv', 'SIGSEGV'),
                                      ('exit3', 'exit status 3'),
                                      ('asan', 'AddressSanitizer')])
def test_crash_is_detected(mode, why):
    with pytest.raises(GangwayCrashed, match=why):
        with fake(mode) as g:
            # the fake crashes or reports 0.2 s after it started
            if mode == 'asan':
                wait_for(lambda: why in g.logs(), timeout=30)
            else:
                wait_for(lambda: not g.alive(), timeout=30)


def test_foreground_keeps_child_and_stderr():
    with fake('asan', foreground=True) as g:
        assert g.pid == g.proc.pid
        assert wait_for(lambda: 'AddressSanitizer' in g.logs(), timeout=30)
        g.terminate()
        assert g.crash_report()
        g._log.close()
        # consumed: do not fail the with block on purpose
        with open(g.logfile, 'w'):
            pass


def test_terminate_is_clean_exit():
    with fake() as g:
        status = g.terminate()
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        assert not g.alive()
        assert g.crash_report() is None
