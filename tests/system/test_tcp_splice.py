# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/test_tcp_splice.py - guest TCP payloads spliced from the
stream socket into host sockets (link/stream.c, docs/design/tcp.md)

Large in-order TCP segments from the guest go from QEMU's socket through
a pipe into the host socket without a copy in gangway. Checked here end
to end by SHA-256 (tcp_tool.py), and through gangway's "link" counters
(SIGUSR1): most bytes went the splice way; none with --pcap (the capture
needs every byte); and a host receiver too slow to take a whole segment
still gets exact data (a socket refusing part of a splice is
covered by tests/unit/link/test_stream.c).

Splicing is built in with meson -Dstream_splice=true (off by default:
see docs/PERFORMANCE.md); without it these tests are skipped.
"""
import json
import os
import re
import signal
import time

import pytest

from harness import NsGuest, build_dir
from tcp_util import (ARGS, GW4, GW6, HostServer, guest_setup, guest_tool,
                      log_dir)


def _splice_built():
    try:
        with open(os.path.join(build_dir(), 'meson-info',
                               'intro-buildoptions.json')) as f:
            opts = json.load(f)
    except (OSError, ValueError):
        return False
    return any(o['name'] == 'stream_splice' and o['value'] is True
               for o in opts)


pytestmark = pytest.mark.skipif(not _splice_built(),
                                reason='built without -Dstream_splice=true')


def counters(gangway, log, module, timeout=5):
    """SIGUSR1 gangway and return the 'stats MODULE:' counters in @log."""
    try:
        with open(log) as f:
            before = len(f.read())
    except FileNotFoundError:
        before = 0
    os.kill(gangway.pid, signal.SIGUSR1)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open(log) as f:
            text = f.read()[before:]
        m = re.search(r'stats %s: (.*)$' % module, text, re.M)
        if m:
            return {k: int(v) for k, v in
                    re.findall(r'(\w+)=(\d+)', m.group(1))}
        time.sleep(0.05)
    raise AssertionError('no %s counters in %s' % (module, log))


def ns_guest(*args):
    return NsGuest(gangway_args=ARGS + list(args), mtu=65520)


def _ok(out):
    assert out.startswith('ok'), out
    print(out)
    return out.split()


def test_guest_to_host_512mib_spliced():
    log = os.path.join(log_dir(), 'gangway.log')
    size = 512 << 20
    with ns_guest('-l', log) as ns:
        guest_setup(ns)
        with HostServer('sink') as s:
            _ok(guest_tool(ns, 'send %s %d %d 21' % (GW4, s.port, size),
                           timeout=600))
        with HostServer('sink', '::1') as s:
            _ok(guest_tool(ns, 'send %s %d %d 22' % (GW6, s.port,
                                                     64 << 20),
                           timeout=600))
        link = counters(ns.gangway, log, 'link')
        print(link)
        assert link['rx_spliced_bytes'] > 0.5 * (size + (64 << 20)), link
        assert link['rx_spliced_frames'] > 0


def test_pcap_turns_splicing_off():
    d = log_dir()
    log = os.path.join(d, 'gangway.log')
    with ns_guest('-l', log, '--pcap', os.path.join(d, 'up.pcap')) as ns:
        guest_setup(ns)
        with HostServer('sink') as s:
            _ok(guest_tool(ns, 'send %s %d %d 23' % (GW4, s.port, 32 << 20),
                           timeout=600))
        link = counters(ns.gangway, log, 'link')
        assert link['rx_spliced_frames'] == 0, link
        assert link['rx_spliced_bytes'] == 0, link


SLOW_SINK = r'''
import hashlib, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(('127.0.0.1', 0))
s.listen(1)
print('ready %d' % s.getsockname()[1], flush=True)
c, _ = s.accept()
h = hashlib.sha256()
n = 0
while True:
    d = c.recv(8192)
    if not d:
        break
    h.update(d)
    n += len(d)
    if n % (1 << 20) < 8192:
        time.sleep(0.05)
c.sendall(b'%s %d\n' % (h.hexdigest().encode(), n))
c.close()
'''


def test_slow_receiver_refuses_part_of_a_splice():
    import subprocess
    from tcp_util import PY, _wait_ready
    log = os.path.join(log_dir(), 'gangway.log')
    with ns_guest('-l', log) as ns:
        guest_setup(ns)
        p = subprocess.Popen([PY, '-c', SLOW_SINK], stdout=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
        try:
            port = _wait_ready(p)
            _ok(guest_tool(ns, 'send %s %d %d 24' % (GW4, port, 24 << 20),
                           timeout=600))
        finally:
            p.kill()
            p.wait()
        link = counters(ns.gangway, log, 'link')
        print(link)
        # the window we advertise follows the send buffer, so the socket
        # refusing part of a splice is rare here: tests/unit/link covers it
        assert link['rx_spliced_frames'] > 0, link
