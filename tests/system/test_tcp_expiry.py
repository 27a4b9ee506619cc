# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/test_tcp_expiry.py - idle established connections expire

An established connection with no segment either way for longer than
TCP_IDLE_TIMEOUT_S (2 hours 4 minutes, RFC 5382) is reset both ways
(flow/tcp.c, tcp_sweep()). These tests run the daemon built with the
timeout shortened to 5 s (build/tests/harness/gangway-short-idle, the
same code with that one constant changed): a guest that vanishes without
a FIN or RST leaves its host peer with a reset after the timeout, an idle
guest that is still there gets the reset too, and connections with
traffic in one direction only, or idle for less than the timeout between
exchanges, are kept.
"""
import os
import socket
import threading
import time

import pytest

from harness import NsGuest, build_dir
from tcp_util import (ARGS, GUEST4, GW4, guest_python_start, guest_setup,
                      host_listener, tcp_counters)

TIMEOUT_S = 5           # -DTCP_IDLE_TIMEOUT_S in tests/harness/meson.build
SWEEP_S = TIMEOUT_S / 8
BINARY = os.path.join(build_dir(), 'tests', 'harness', 'gangway-short-idle')

# Connect, send one byte, say so, then wait for the reset (or 60 s)
CONNECT_THEN_WAIT = r'''
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(b'x')
print('connected', flush=True)
s.settimeout(60)
t0 = time.monotonic()
try:
    d = s.recv(1)
    print('eof' if not d else 'data', flush=True)
except ConnectionResetError:
    print('reset %.2f' % (time.monotonic() - t0), flush=True)
except socket.timeout:
    print('timeout', flush=True)
'''

# Guest to host only: a byte every 0.5 s for 12 s, then '.', then the
# host's answer
SEND_ONLY = r'''
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
for i in range(24):
    s.sendall(b's')
    time.sleep(0.5)
s.sendall(b'.')
s.settimeout(10)
print(s.recv(10).decode(), flush=True)
'''

# Host to guest only: read until '.', then answer
RECV_ONLY = r'''
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.settimeout(30)
n = 0
while True:
    d = s.recv(100)
    if not d:
        print('eof after %d' % n, flush=True)
        sys.exit()
    n += len(d)
    if d.endswith(b'.'):
        break
s.sendall(b'done')
print('ok %d' % n, flush=True)
'''

# Three exchanges, each after 3 s of silence (less than the timeout)
GAPS = r'''
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.settimeout(10)
for i in range(3):
    time.sleep(3)
    s.sendall(b'g')
    assert s.recv(1) == b'g'
print('ok', flush=True)
'''

# TCP keepalives every 2 s from the guest, and no data for 12 s
KEEPALIVE = r'''
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 2)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 2)
s.sendall(b'x')
print('connected', flush=True)
time.sleep(12)
s.settimeout(10)
try:
    s.sendall(b'k')
    print(s.recv(1).decode(), flush=True)
except ConnectionResetError:
    print('reset', flush=True)
'''


@pytest.fixture
def guest(tmp_path):
    os.chmod(tmp_path, 0o1777)
    log = str(tmp_path / 'gangway.log')
    if not os.path.exists(BINARY):
        pytest.fail('%s missing: meson compile -C %s' % (BINARY, build_dir()))
    with NsGuest(gangway_args=ARGS + ['-d', '-l', log],
                 gangway_opts={'binary': BINARY}) as g:
        guest_setup(g)
        g.log = log
        yield g


def _connected(srv, p):
    """Accept the guest's connection, check its first byte, and return
    the host socket and when that byte arrived."""
    srv.settimeout(20)
    c, _ = srv.accept()
    c.settimeout(30)
    assert c.recv(1) == b'x'
    t0 = time.monotonic()
    assert p.stdout.readline().decode().strip() == 'connected'
    return c, t0


def _wait_reset(c):
    """Block until the host socket is reset; the seconds it took."""
    t0 = time.monotonic()
    with pytest.raises(ConnectionResetError):
        while c.recv(100):
            pass
    return time.monotonic() - t0


def test_vanished_guest_reset_to_host_peer(guest):
    """The guest's address goes away (no FIN, no RST, nothing more from
    it): the host peer gets a reset once the timeout has passed, and the
    flow is counted as expired_idle."""
    with host_listener() as srv:
        p = guest_python_start(guest, CONNECT_THEN_WAIT, GW4,
                               srv.getsockname()[1])
        c, t0 = _connected(srv, p)
        guest.sh('ip addr del %s/24 dev eth0' % GUEST4)
        _wait_reset(c)
        idle = time.monotonic() - t0
        c.close()
    # strictly more than the timeout, within one second (the clock is
    # kept in whole seconds) and a sweep more, plus slack for this machine
    assert TIMEOUT_S - 0.2 < idle < TIMEOUT_S + 1 + SWEEP_S + 3, idle
    ctr = tcp_counters(guest.gangway, guest.log)
    assert ctr['expired_idle'] == 1, ctr
    with open(guest.log) as f:
        text = f.read()
    assert 'reset both ways' in text, text


def test_idle_guest_gets_reset_too(guest):
    """A guest that is still there but silent is reset as well as the host
    peer: neither is left with a connection the other has forgotten."""
    with host_listener() as srv:
        p = guest_python_start(guest, CONNECT_THEN_WAIT, GW4,
                               srv.getsockname()[1])
        c, t0 = _connected(srv, p)
        _wait_reset(c)
        c.close()
        out, _ = p.communicate(timeout=20)
    words = out.decode().split()
    assert words[0] == 'reset', out
    assert TIMEOUT_S - 0.2 < float(words[1]) < TIMEOUT_S + 1 + SWEEP_S + 3
    assert tcp_counters(guest.gangway, guest.log)['expired_idle'] == 1


def _serve(srv, fn, results, key):
    try:
        c, _ = srv.accept()
        c.settimeout(30)
        with c:
            results[key] = fn(c)
    except Exception as e:      # reported by the main thread
        results[key] = e


def _sink(c):
    n = 0
    while True:
        d = c.recv(100)
        if not d:
            return 'eof after %d' % n
        n += len(d)
        if d.endswith(b'.'):
            c.sendall(b'done')
            return n


def _source(c):
    for _ in range(24):
        c.sendall(b'r')
        time.sleep(0.5)
    c.sendall(b'.')
    return c.recv(10)


def _echo(c):
    n = 0
    while True:
        d = c.recv(1)
        if not d:
            return n
        c.sendall(d)
        n += 1


def test_active_and_briefly_idle_flows_kept(guest):
    """For 12 s (more than twice the timeout): a connection with data
    guest to host only, one with data host to guest only (the guest's
    ACKs are its only segments), and one silent for 3 s between
    exchanges; none is reset."""
    results = {}
    with host_listener() as s1, host_listener() as s2, \
            host_listener() as s3:
        for srv in (s1, s2, s3):
            srv.settimeout(20)
        threads = [threading.Thread(target=_serve, args=a) for a in
                   ((s1, _sink, results, 'sink'),
                    (s2, _source, results, 'source'),
                    (s3, _echo, results, 'echo'))]
        for t in threads:
            t.start()
        p1 = guest_python_start(guest, SEND_ONLY, GW4, s1.getsockname()[1])
        p2 = guest_python_start(guest, RECV_ONLY, GW4, s2.getsockname()[1])
        p3 = guest_python_start(guest, GAPS, GW4, s3.getsockname()[1])
        outs = [p.communicate(timeout=40)[0].decode().strip()
                for p in (p1, p2, p3)]
        for t in threads:
            t.join(20)
    assert outs == ['done', 'ok 25', 'ok'], (outs, results)
    assert results == {'sink': 25, 'source': b'done', 'echo': 3}, results
    assert tcp_counters(guest.gangway, guest.log)['expired_idle'] == 0


def test_guest_keepalives_keep_a_flow(guest):
    """No data for 12 s, but the guest's TCP keepalives every 2 s: the
    connection is kept (RFC 5382 REQ-5 chose its 2 h 4 min so that
    keepalives at their usual 2 hours keep one)."""
    with host_listener() as srv:
        p = guest_python_start(guest, KEEPALIVE, GW4, srv.getsockname()[1])
        c, _ = _connected(srv, p)
        c.settimeout(30)
        assert c.recv(1) == b'k'
        c.sendall(b'K')
        out, _ = p.communicate(timeout=20)
        c.close()
    assert out.decode().strip() == 'K', out
    assert tcp_counters(guest.gangway, guest.log)['expired_idle'] == 0
