# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/test_tcp_basic.py - the guest's TCP through gangway

Outbound connections from the namespace guest to servers on the host's
loopback, reached through the gateway address; data both ways checked by
SHA-256; half-close and RST each way; refusal; many connections at once;
an idle connection kept; --no-tcp; the flow limit. Long transfers are in
test_tcp_bulk.py, -t forwarding in test_tcp_forward.py.

GANGWAY_TCP_IDLE_S sets how long the idle test waits (default 60 s; the
requirement is minutes: run it with 300 before a release).
"""
import os
import socket
import time

import pytest

from tcp_util import (GW4, GW6, HostServer, guest_python, guest_python_start,
                      guest_tool, host_listener, log_dir, static_guest,
                      tcp_counters)

LOG = os.path.join(log_dir(), 'gangway.log')


@pytest.fixture(scope='module')
def ns():
    with static_guest('-l', LOG) as g:
        yield g


def _ok(out):
    assert out.startswith('ok'), out
    return out.split()


@pytest.mark.parametrize('gw', [GW4, GW6], ids=['v4', 'v6'])
def test_guest_to_host_64mib_sha256(ns, gw):
    addr = '127.0.0.1' if gw == GW4 else '::1'
    with HostServer('sink', addr) as s:
        _ok(guest_tool(ns, 'send %s %d %d 7' % (gw, s.port, 64 << 20)))


@pytest.mark.parametrize('gw', [GW4, GW6], ids=['v4', 'v6'])
def test_host_to_guest_64mib_sha256(ns, gw):
    addr = '127.0.0.1' if gw == GW4 else '::1'
    with HostServer('source', addr) as s:
        _ok(guest_tool(ns, 'fetch %s %d %d 9' % (gw, s.port, 64 << 20)))


def test_small_transfers_and_empty(ns):
    with HostServer('sink') as s:
        for n in (0, 1, 1459, 1460, 1461, 65535, 65537):
            _ok(guest_tool(ns, 'send %s %d %d %d' % (GW4, s.port, n, n)))
    with HostServer('source') as s:
        for n in (0, 1, 1461, 65537):
            _ok(guest_tool(ns, 'fetch %s %d %d %d' % (GW4, s.port, n, n)))


def test_guest_zero_window_then_reads(ns):
    """The guest does not read for 3 s: its window closes, we probe, and
    once it reads, every byte arrives in order."""
    before = tcp_counters(ns.gangway, LOG)
    with HostServer('source') as s:
        out = _ok(guest_tool(ns, 'fetch %s %d %d 5 3' % (GW4, s.port,
                                                         32 << 20)))
        assert float(out[3]) >= 3
    after = tcp_counters(ns.gangway, LOG)
    assert after['probe'] > before['probe'], after


def test_host_slow_reader_closes_our_window(ns):
    """The host peer does not read for 3 s: the socket fills, we advertise
    a zero window, then open it again when it drains."""
    before = tcp_counters(ns.gangway, LOG)
    with HostServer('sink', extra=[3]) as s:
        out = _ok(guest_tool(ns, 'send %s %d %d 6' % (GW4, s.port,
                                                      64 << 20)))
        assert float(out[3]) >= 3
    after = tcp_counters(ns.gangway, LOG)
    # the window we advertised was honest: nothing had to be refused
    assert after['out_full'] == before['out_full'], after


def test_1000_concurrent_connections(ns):
    with HostServer('echo') as s:
        out = guest_tool(ns, 'many %s %d 1000 20000' % (GW4, s.port),
                         timeout=300)
        assert out == 'ok 1000', out


# Guest programs: Python run in the namespace, server address and port
# (and any more arguments) in sys.argv[1:]

CONNECT_EXPECT_REFUSED = '''
import socket, sys, time
t = time.monotonic()
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    print('connected')
except ConnectionRefusedError:
    print('refused %.3f' % (time.monotonic() - t))
except Exception as e:
    print('other', e)
'''

ASK_THEN_READ_ALL = '''
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(b'question')
s.shutdown(socket.SHUT_WR)
d = b''
while True:
    x = s.recv(65536)
    if not x: break
    d += x
print(len(d), d[:6].decode())
'''

READ_ALL_THEN_SEND = '''
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
d = b''
while True:
    x = s.recv(65536)
    if not x: break
    d += x
time.sleep(0.5)
s.sendall(b'late' + b'y' * 300000)
s.close()
print(d.decode())
'''

SEND_THEN_RESET = '''
import socket, struct, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(b'x')
time.sleep(0.5)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()
'''

SEND_THEN_WAIT_RESET = '''
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.settimeout(10)
s.sendall(b'x')
try:
    while s.recv(100): pass
    print('eof')
except ConnectionResetError:
    print('reset')
'''

SEND_IDLE_SEND = '''
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(b'a')
time.sleep(int(sys.argv[3]))
s.sendall(b'b')
print(s.recv(10).decode())
'''

CONNECT_EXPECT_TIMEOUT = '''
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
    print('connected')
except socket.timeout:
    print('timeout')
except OSError as e:
    print('error', e)
'''

HOLD_8_THEN_ONE_MORE = '''
import socket, sys
addr = (sys.argv[1], int(sys.argv[2]))
keep = []
for i in range(8):
    keep.append(socket.create_connection(addr))
try:
    socket.create_connection(addr, timeout=5)
    print('connected')
except ConnectionRefusedError:
    print('refused')
except Exception as e:
    print('other', e)
'''

QUERY_53 = '''
import socket, sys
s = socket.create_connection((sys.argv[1], 53), timeout=10)
s.sendall(b'query')
print(s.recv(100).decode(), s.getpeername()[0])
'''


def test_connection_refused_within_1s(ns):
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]	# bound, not listening: refused
    try:
        out = guest_python(ns, CONNECT_EXPECT_REFUSED, GW4, port)
    finally:
        probe.close()
    assert out.startswith('refused'), out
    assert float(out.split()[1]) < 1.0, out


def read_to_eof(c, bufsize=65536):
    got = b''
    while True:
        d = c.recv(bufsize)
        if not d:
            return got
        got += d


def test_half_close_guest_first(ns):
    """The guest shuts down writing; the host still sends, then closes."""
    with host_listener() as srv:
        p = guest_python_start(ns, ASK_THEN_READ_ALL, GW4,
                               srv.getsockname()[1])
        c, _ = srv.accept()
        assert read_to_eof(c, 100) == b'question'	# to the guest's FIN
        time.sleep(0.5)		# still open the other way
        c.sendall(b'answer' + b'x' * 300000)
        c.close()
        out, _ = p.communicate(timeout=30)
        assert out.decode().split() == ['300006', 'answer']


def test_half_close_host_first(ns):
    """The host shuts down writing; the guest still sends, then closes."""
    with host_listener() as srv:
        p = guest_python_start(ns, READ_ALL_THEN_SEND, GW4,
                               srv.getsockname()[1])
        c, _ = srv.accept()
        c.sendall(b'hello')
        c.shutdown(socket.SHUT_WR)
        assert read_to_eof(c) == b'late' + b'y' * 300000
        out, _ = p.communicate(timeout=30)
        assert out.decode().strip() == 'hello'
        c.close()


def test_rst_from_guest_reaches_host(ns):
    with host_listener() as srv:
        p = guest_python_start(ns, SEND_THEN_RESET, GW4,
                               srv.getsockname()[1])
        c, _ = srv.accept()
        c.settimeout(10)
        assert c.recv(1) == b'x'
        with pytest.raises(ConnectionResetError):
            while c.recv(100):
                pass
        p.wait(10)
        c.close()


def test_rst_from_host_reaches_guest(ns):
    with host_listener() as srv:
        p = guest_python_start(ns, SEND_THEN_WAIT_RESET, GW4,
                               srv.getsockname()[1])
        c, _ = srv.accept()
        c.settimeout(10)
        assert c.recv(1) == b'x'	# the guest is connected
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     b'\1\0\0\0\0\0\0\0')
        c.close()
        out, _ = p.communicate(timeout=20)
        assert out.decode().strip() == 'reset'


def test_idle_connection_kept(ns):
    idle = int(os.environ.get('GANGWAY_TCP_IDLE_S', '60'))
    with host_listener() as srv:
        p = guest_python_start(ns, SEND_IDLE_SEND, GW4,
                               srv.getsockname()[1], idle)
        c, _ = srv.accept()
        c.settimeout(idle + 30)
        assert c.recv(1) == b'a'
        assert c.recv(1) == b'b'
        c.sendall(b'still')
        out, _ = p.communicate(timeout=30)
        assert out.decode().strip() == 'still'
        c.close()


def test_no_tcp_drops_syn():
    with static_guest('--no-tcp') as g, HostServer('sink') as s:
        out = guest_python(g, CONNECT_EXPECT_TIMEOUT, GW4, s.port)
        assert out == 'timeout'


def test_flow_limit_refuses_with_rst_and_warns(tmp_path):
    log = str(tmp_path / 'gangway.log')
    with static_guest('--max-flows', '8', '-l', log) as g:
        with HostServer('echo') as s:
            out = guest_python(g, HOLD_8_THEN_ONE_MORE, GW4, s.port)
            assert out == 'refused'
        with open(log) as f:
            text = f.read()
        assert 'raise --max-flows' in text, text


def test_mtu_0_still_carries_data():
    """--mtu 0 means no MTU is advertised, not segments of one byte."""
    with static_guest('--mtu', '0') as g, HostServer('source') as s:
        out = _ok(guest_tool(g, 'fetch %s %d %d 3' % (GW4, s.port,
                                                      16 << 20)))
        assert float(out[3]) < 30


def test_dns_forward_over_tcp():
    """--dns-forward ADDR --dns-host HOST also redirects TCP port 53: the
    guest's connection to ADDR:53 reaches HOST:53 on the host."""
    dns_host = '127.0.0.77'
    fwd = '192.0.2.53'
    with host_listener(dns_host, 53) as srv, \
            static_guest('--dns-forward', fwd, '--dns-host', dns_host) as g:
        p = guest_python_start(g, QUERY_53, fwd)
        srv.settimeout(10)
        c, _ = srv.accept()
        c.settimeout(10)
        assert c.recv(5) == b'query'
        c.sendall(b'answer')
        out, _ = p.communicate(timeout=20)
        c.close()
        # the answer comes from the address the guest asked
        assert out.decode().split() == ['answer', fwd]


def test_closed_flows_free_their_slots():
    """With --max-flows 64, five rounds of 50 connections all work: each
    closed connection gave its slot back."""
    with static_guest('--max-flows', '64') as g, HostServer('echo') as s:
        for _ in range(5):
            out = guest_tool(g, 'many %s %d 50 1000' % (GW4, s.port))
            assert out == 'ok 50', out
            time.sleep(0.5)	# last FIN/ACK exchanges
