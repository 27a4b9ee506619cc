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
import subprocess
import time

import pytest

from harness import NsGuest
from tcp_util import (ARGS, GW4, GW6, PY, TOOL, HostServer, guest_setup,
                      guest_tool, log_dir, tcp_counters)

LOG = os.path.join(log_dir(), 'gangway.log')


@pytest.fixture(scope='module')
def ns():
    with NsGuest(gangway_args=ARGS + ['-l', LOG]) as g:
        guest_setup(g)
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


def test_connection_refused_within_1s(ns):
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]	# bound, not listening: refused
    try:
        out = ns.sh("%s -c \"import socket,time\n"
                    "t=time.monotonic()\n"
                    "try:\n socket.create_connection(('%s',%d),timeout=5)\n"
                    " print('connected')\n"
                    "except ConnectionRefusedError:\n"
                    " print('refused %%.3f' %% (time.monotonic()-t))\n"
                    "except Exception as e:\n print('other', e)\"" %
                    (PY, GW4, port))
    finally:
        probe.close()
    assert out.startswith('refused'), out
    assert float(out.split()[1]) < 1.0, out


def _guest_client(ns, code, timeout=30):
    return ns.sh("%s -c \"%s\"" % (PY, code.replace('"', '\\"')),
                 timeout=timeout).strip()


def test_half_close_guest_first(ns):
    """The guest shuts down writing; the host still sends, then closes."""
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    p = ns.popen("%s -c \"import socket\n"
                 "s=socket.create_connection(('%s',%d))\n"
                 "s.sendall(b'question')\n"
                 "s.shutdown(socket.SHUT_WR)\n"
                 "d=b''\n"
                 "while True:\n"
                 " x=s.recv(65536)\n"
                 " if not x: break\n"
                 " d+=x\n"
                 "print(len(d), d[:6].decode())\"" % (PY, GW4, port),
                 stdout=subprocess.PIPE)
    c, _ = srv.accept()
    got = b''
    while True:
        d = c.recv(100)
        if not d:
            break		# the guest's FIN
        got += d
    assert got == b'question'
    time.sleep(0.5)		# still open the other way
    c.sendall(b'answer' + b'x' * 300000)
    c.close()
    out, _ = p.communicate(timeout=30)
    assert out.decode().split() == ['300006', 'answer']
    srv.close()


def test_half_close_host_first(ns):
    """The host shuts down writing; the guest still sends, then closes."""
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    p = ns.popen("%s -c \"import socket,time\n"
                 "s=socket.create_connection(('%s',%d))\n"
                 "d=b''\n"
                 "while True:\n"
                 " x=s.recv(65536)\n"
                 " if not x: break\n"
                 " d+=x\n"
                 "time.sleep(0.5)\n"
                 "s.sendall(b'late'+b'y'*300000)\n"
                 "s.close()\n"
                 "print(d.decode())\"" % (PY, GW4, port),
                 stdout=subprocess.PIPE)
    c, _ = srv.accept()
    c.sendall(b'hello')
    c.shutdown(socket.SHUT_WR)
    got = b''
    while True:
        d = c.recv(65536)
        if not d:
            break
        got += d
    assert got == b'late' + b'y' * 300000
    out, _ = p.communicate(timeout=30)
    assert out.decode().strip() == 'hello'
    c.close()
    srv.close()


def test_rst_from_guest_reaches_host(ns):
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    p = ns.popen("%s -c \"import socket,struct,time\n"
                 "s=socket.create_connection(('%s',%d))\n"
                 "s.sendall(b'x')\n"
                 "time.sleep(0.5)\n"
                 "s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,"
                 " struct.pack('ii',1,0))\n"
                 "s.close()\"" % (PY, GW4, port))
    c, _ = srv.accept()
    c.settimeout(10)
    assert c.recv(1) == b'x'
    with pytest.raises(ConnectionResetError):
        while c.recv(100):
            pass
    p.wait(10)
    c.close()
    srv.close()


def test_rst_from_host_reaches_guest(ns):
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    p = ns.popen("%s -c \"import socket\n"
                 "s=socket.create_connection(('%s',%d))\n"
                 "s.settimeout(10)\n"
                 "s.sendall(b'x')\n"
                 "try:\n"
                 " while s.recv(100): pass\n"
                 " print('eof')\n"
                 "except ConnectionResetError:\n"
                 " print('reset')\"" % (PY, GW4, port),
                 stdout=subprocess.PIPE)
    c, _ = srv.accept()
    c.settimeout(10)
    assert c.recv(1) == b'x'	# the guest is connected
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\1\0\0\0\0\0\0\0')
    c.close()
    out, _ = p.communicate(timeout=20)
    assert out.decode().strip() == 'reset'
    srv.close()


def test_idle_connection_kept(ns):
    idle = int(os.environ.get('GANGWAY_TCP_IDLE_S', '60'))
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    p = ns.popen("%s -c \"import socket,time\n"
                 "s=socket.create_connection(('%s',%d))\n"
                 "s.sendall(b'a')\n"
                 "time.sleep(%d)\n"
                 "s.sendall(b'b')\n"
                 "print(s.recv(10).decode())\"" % (PY, GW4, port, idle),
                 stdout=subprocess.PIPE)
    c, _ = srv.accept()
    c.settimeout(idle + 30)
    assert c.recv(1) == b'a'
    assert c.recv(1) == b'b'
    c.sendall(b'still')
    out, _ = p.communicate(timeout=30)
    assert out.decode().strip() == 'still'
    c.close()
    srv.close()


def test_no_tcp_drops_syn():
    with NsGuest(gangway_args=ARGS + ['--no-tcp']) as g:
        guest_setup(g)
        with HostServer('sink') as s:
            out = g.sh("%s -c \"import socket\n"
                       "try:\n"
                       " socket.create_connection(('%s',%d),timeout=2)\n"
                       " print('connected')\n"
                       "except socket.timeout:\n print('timeout')\n"
                       "except OSError as e:\n print('error', e)\"" %
                       (PY, GW4, s.port))
            assert out.strip() == 'timeout'


def test_flow_limit_refuses_with_rst_and_warns(tmp_path):
    log = str(tmp_path / 'gangway.log')
    with NsGuest(gangway_args=ARGS + ['--max-flows', '8', '-l', log]) as g:
        guest_setup(g)
        with HostServer('echo') as s:
            out = g.sh("%s -c \"import socket\n"
                       "keep=[]\n"
                       "for i in range(8):\n"
                       " keep.append(socket.create_connection(('%s',%d)))\n"
                       "try:\n"
                       " socket.create_connection(('%s',%d),timeout=5)\n"
                       " print('connected')\n"
                       "except ConnectionRefusedError:\n print('refused')\n"
                       "except Exception as e:\n print('other', e)\"" %
                       (PY, GW4, s.port, GW4, s.port))
            assert out.strip() == 'refused'
        with open(log) as f:
            text = f.read()
        assert 'raise --max-flows' in text, text


def test_mtu_0_still_carries_data():
    """--mtu 0 means no MTU is advertised, not segments of one byte."""
    with NsGuest(gangway_args=ARGS + ['--mtu', '0']) as g:
        guest_setup(g)
        with HostServer('source') as s:
            out = _ok(guest_tool(g, 'fetch %s %d %d 3' % (GW4, s.port,
                                                          16 << 20)))
            assert float(out[3]) < 30


def test_dns_forward_over_tcp():
    """--dns-forward ADDR --dns-host HOST also redirects TCP port 53: the
    guest's connection to ADDR:53 reaches HOST:53 on the host."""
    dns_host = '127.0.0.77'
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((dns_host, 53))
    srv.listen(1)
    fwd = '192.0.2.53'
    try:
        with NsGuest(gangway_args=ARGS + ['--dns-forward', fwd,
                                          '--dns-host', dns_host]) as g:
            guest_setup(g)
            p = g.popen("%s -c \"import socket\n"
                        "s=socket.create_connection(('%s',53),timeout=10)\n"
                        "s.sendall(b'query')\n"
                        "print(s.recv(100).decode(), s.getpeername()[0])\""
                        % (PY, fwd), stdout=subprocess.PIPE)
            srv.settimeout(10)
            c, _ = srv.accept()
            c.settimeout(10)
            assert c.recv(5) == b'query'
            c.sendall(b'answer')
            out, _ = p.communicate(timeout=20)
            c.close()
            # the answer comes from the address the guest asked
            assert out.decode().split() == ['answer', fwd]
    finally:
        srv.close()


def test_closed_flows_free_their_slots():
    """With --max-flows 64, five rounds of 50 connections all work: each
    closed connection gave its slot back."""
    with NsGuest(gangway_args=ARGS + ['--max-flows', '64']) as g:
        guest_setup(g)
        with HostServer('echo') as s:
            for _ in range(5):
                out = guest_tool(g, 'many %s %d 50 1000' % (GW4, s.port))
                assert out == 'ok 50', out
                time.sleep(0.5)	# last FIN/ACK exchanges
