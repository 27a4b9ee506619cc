#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/harness/fake_daemon.py - a stand-in daemon for harness self-tests

Accepts gangway's launch arguments (... --pid FILE [--fd N] [-f]), and
behaves as FAKE_MODE says, so tests/system/test_harness_launch.py can check
that the harness notices each way a daemon can fail:
  ''        fork, write the child's pid, exit 0; the child echoes frames
  'nopid'   exit 0 without writing the pid file
  'fail'    print a message and exit 1 before forking
  'segv'    as '', then the child kills itself with SIGSEGV
  'asan'    as '', then the child prints a sanitizer report and waits
  'exit3'   as '', then the child exits with status 3
"""
import os
import signal
import socket
import sys
import time


def main():
    argv = sys.argv[1:]
    pidfile = argv[argv.index('--pid') + 1]
    fd = int(argv[argv.index('--fd') + 1]) if '--fd' in argv else None
    mode = os.environ.get('FAKE_MODE', '')
    if mode == 'fail':
        sys.stderr.write('fake: --bogus: not an option\n')
        return 1
    if mode == 'nopid':
        return 0
    # before the fork: the harness may signal as soon as the launcher exits
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    if '-f' not in argv:
        pid = os.fork()
        if pid:
            with open(pidfile, 'w') as f:
                f.write('%d\n' % pid)
            os._exit(0)
    else:
        with open(pidfile, 'w') as f:
            f.write('%d\n' % os.getpid())
    if mode == 'segv':
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGSEGV)
    if mode == 'asan':
        sys.stderr.write('==1==ERROR: AddressSanitizer: heap-buffer-'
                         'overflow on address 0x1\n')
        sys.stderr.flush()
    if mode == 'exit3':
        time.sleep(0.2)
        os._exit(3)
    if fd is None:
        time.sleep(3600)
        return 0
    s = socket.socket(fileno=fd)
    while True:     # echo: every frame comes back
        data = s.recv(65536)
        if not data:
            return 0
        s.sendall(data)


if __name__ == '__main__':
    sys.exit(main())
