# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/test_tcp_forward.py - inbound -t forwarding, every spec form

A client on the host's loopback connects to a port gangway listens on;
gangway opens the connection to the guest (on the mapped port), where a
tcp_tool.py server checks the data by SHA-256. The guest sees the host's
loopback as the gateway address (--map-host-loopback default).
"""
import socket
import subprocess
import time

import pytest

from harness import NsGuest, free_ports
from tcp_util import ARGS, GW4, GW6, guest_server, host_tool, static_guest

SIZE = 4 << 20
# Host ports: P + 0 to P + 119, free and reserved for this module; LOW, one
# that '-t all' covers (it listens on the first 4096 ports only)
P = free_ports(120)
LOW = free_ports(1, 1024, 4000)


def _send(addr, port, seed):
    out = host_tool('send %s %d %d %d' % (addr, port, SIZE, seed))
    assert out.startswith('ok'), '%s port %d: %s' % (addr, port, out)


def _fetch(addr, port, seed):
    out = host_tool('fetch %s %d %d %d' % (addr, port, SIZE, seed))
    assert out.startswith('ok'), '%s port %d: %s' % (addr, port, out)


def _refused(addr, port):
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    s = socket.socket(fam)
    s.settimeout(5)
    try:
        s.connect((addr, port))
    except ConnectionRefusedError:
        return True
    finally:
        s.close()
    return False


def _sinks(ns, ports):
    for p in ports:
        guest_server(ns, 'sink', '::', p)


@pytest.fixture(scope='module')
def fwd():
    args = ['-t', '%d' % (P + 1),
            '-t', '%d-%d' % (P + 10, P + 12),
            '-t', '%d:%d' % (P + 20, P + 70),
            '-t', '%d-%d,~%d' % (P + 30, P + 35, P + 32),
            '-t', '127.0.0.1/%d' % (P + 40),
            '-t', '::1/%d' % (P + 45),
            '-t', '%%lo/%d' % (P + 50),
            '-t', '%d-%d:%d' % (P + 60, P + 61, P + 80)]
    with static_guest(*args) as g:
        _sinks(g, [P + n for n in (1, 10, 11, 12, 70, 30, 31, 33, 34, 35,
                                   40, 45, 50, 80, 81)])
        guest_server(g, 'source', '::', P + 32)	# excluded: never reached
        yield g


@pytest.mark.parametrize('addr', ['127.0.0.1', '::1'], ids=['v4', 'v6'])
def test_single_port(fwd, addr):
    _send(addr, P + 1, 1)


@pytest.mark.parametrize('addr', ['127.0.0.1', '::1'], ids=['v4', 'v6'])
def test_range(fwd, addr):
    for i, p in enumerate((P + 10, P + 11, P + 12)):
        _send(addr, p, 10 + i)


@pytest.mark.parametrize('addr', ['127.0.0.1', '::1'], ids=['v4', 'v6'])
def test_mapping(fwd, addr):
    _send(addr, P + 20, 20)
    _send(addr, P + 60, 21)
    _send(addr, P + 61, 22)


@pytest.mark.parametrize('addr', ['127.0.0.1', '::1'], ids=['v4', 'v6'])
def test_exclusion(fwd, addr):
    for p in (P + 30, P + 31, P + 33, P + 34, P + 35):
        _send(addr, p, p)
    assert _refused(addr, P + 32)


def test_bound_address_v4(fwd):
    _send('127.0.0.1', P + 40, 40)
    assert _refused('::1', P + 40)


def test_bound_address_v6(fwd):
    _send('::1', P + 45, 45)
    assert _refused('127.0.0.1', P + 45)


@pytest.mark.parametrize('addr', ['127.0.0.1', '::1'], ids=['v4', 'v6'])
def test_bound_interface(fwd, addr):
    _send(addr, P + 50, 50)


def test_port_outside_rules_not_listened(fwd):
    for p in (P + 2, P + 9, P + 13, P + 21, P + 70):
        assert _refused('127.0.0.1', p), p


def test_host_to_guest_data_inbound(fwd):
    """Data from the guest's server to the host client on a -t flow."""
    with static_guest('-t', '%d' % (P + 90)) as g:
        guest_server(g, 'source', '::', P + 90)
        _fetch('127.0.0.1', P + 90, 80)
        _fetch('::1', P + 90, 81)


# Guest program: accept two connections on [::]:PORT, print each peer
ACCEPT_TWO_PRINT_PEERS = '''
import socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::', int(sys.argv[1])))
s.listen(2)
print('ready', flush=True)
for i in range(2):
    c, a = s.accept()
    print(a[0], flush=True)
    c.close()
'''


def test_inbound_source_address_seen_by_guest():
    with static_guest('-t', '%d' % (P + 100)) as g:
        p = g.python_start(ACCEPT_TWO_PRINT_PEERS, P + 100,
                           stdout=subprocess.PIPE)
        assert p.stdout.readline().strip() == b'ready'
        for addr in ('127.0.0.1', '::1'):
            fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
            c = socket.socket(fam)
            c.settimeout(10)
            c.connect((addr, P + 100))
            c.recv(1)
            c.close()
        seen = [p.stdout.readline().decode().strip() for _ in range(2)]
        assert seen == ['::ffff:' + GW4, GW6], seen


def test_guest_refuses_inbound_resets_host_client():
    """Nothing listens in the guest: the host client sees a reset."""
    with static_guest('-t', '%d' % (P + 105)) as g:
        c = socket.socket()
        c.settimeout(10)
        t = time.monotonic()
        # the host kernel completes the handshake before gangway accepts:
        # under load the reset can already be there when connect() returns
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            c.connect(('127.0.0.1', P + 105))
            while c.recv(10):
                pass
        assert time.monotonic() - t < 5
        c.close()


def test_all_is_bounded_and_forwards_low_ports(tmp_path):
    log = str(tmp_path / 'gw.log')
    with static_guest('-t', 'all', '-l', log) as g:
        guest_server(g, 'sink', '::', LOW)
        _send('127.0.0.1', LOW, 3999)
        with open(log) as f:
            text = f.read()
        assert 'listening on the first' in text, text


def test_unbindable_address_refused_at_start_unless_freebind():
    """192.0.2.77 is not an address of this host: without --freebind
    gangway refuses to start and names the port; with it, it listens."""
    from harness import HarnessError
    with pytest.raises(HarnessError) as e:
        with NsGuest(gangway_args=ARGS + ['-t',
                                          '192.0.2.77/%d' % (P + 110)]):
            pass
    assert 'cannot listen on TCP port %d' % (P + 110) in str(e.value), \
        str(e.value)
    with NsGuest(gangway_args=ARGS + ['--freebind', '-t',
                                      '192.0.2.77/%d' % (P + 110)]) as g:
        assert g.gangway.alive()
