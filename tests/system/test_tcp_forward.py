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

from harness import NsGuest
from tcp_util import ARGS, GW4, GW6, guest_server, host_tool, static_guest

SIZE = 4 << 20


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
    args = ['-t', '31001',
            '-t', '31010-31012',
            '-t', '31020:32020',
            '-t', '31030-31035,~31032',
            '-t', '127.0.0.1/31040',
            '-t', '::1/31045',
            '-t', '%lo/31050',
            '-t', '31060-31061:32060']
    with static_guest(*args) as g:
        _sinks(g, [31001, 31010, 31011, 31012, 32020, 31030, 31031, 31033,
                   31034, 31035, 31040, 31045, 31050, 32060, 32061])
        guest_server(g, 'source', '::', 31032)	# excluded: never reached
        yield g


@pytest.mark.parametrize('addr', ['127.0.0.1', '::1'], ids=['v4', 'v6'])
def test_single_port(fwd, addr):
    _send(addr, 31001, 1)


@pytest.mark.parametrize('addr', ['127.0.0.1', '::1'], ids=['v4', 'v6'])
def test_range(fwd, addr):
    for i, p in enumerate((31010, 31011, 31012)):
        _send(addr, p, 10 + i)


@pytest.mark.parametrize('addr', ['127.0.0.1', '::1'], ids=['v4', 'v6'])
def test_mapping(fwd, addr):
    _send(addr, 31020, 20)
    _send(addr, 31060, 21)
    _send(addr, 31061, 22)


@pytest.mark.parametrize('addr', ['127.0.0.1', '::1'], ids=['v4', 'v6'])
def test_exclusion(fwd, addr):
    for p in (31030, 31031, 31033, 31034, 31035):
        _send(addr, p, p)
    assert _refused(addr, 31032)


def test_bound_address_v4(fwd):
    _send('127.0.0.1', 31040, 40)
    assert _refused('::1', 31040)


def test_bound_address_v6(fwd):
    _send('::1', 31045, 45)
    assert _refused('127.0.0.1', 31045)


@pytest.mark.parametrize('addr', ['127.0.0.1', '::1'], ids=['v4', 'v6'])
def test_bound_interface(fwd, addr):
    _send(addr, 31050, 50)


def test_port_outside_rules_not_listened(fwd):
    for p in (31002, 31009, 31013, 31021, 32020):
        assert _refused('127.0.0.1', p), p


def test_host_to_guest_data_inbound(fwd):
    """Data from the guest's server to the host client on a -t flow."""
    with static_guest('-t', '31080') as g:
        guest_server(g, 'source', '::', 31080)
        _fetch('127.0.0.1', 31080, 80)
        _fetch('::1', 31080, 81)


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
    with static_guest('-t', '31090') as g:
        p = g.python_start(ACCEPT_TWO_PRINT_PEERS, 31090,
                           stdout=subprocess.PIPE)
        assert p.stdout.readline().strip() == b'ready'
        for addr in ('127.0.0.1', '::1'):
            fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
            c = socket.socket(fam)
            c.settimeout(10)
            c.connect((addr, 31090))
            c.recv(1)
            c.close()
        seen = [p.stdout.readline().decode().strip() for _ in range(2)]
        assert seen == ['::ffff:' + GW4, GW6], seen


def test_guest_refuses_inbound_resets_host_client():
    """Nothing listens in the guest: the host client sees a reset."""
    with static_guest('-t', '31095') as g:
        c = socket.socket()
        c.settimeout(10)
        t = time.monotonic()
        # the host kernel completes the handshake before gangway accepts:
        # under load the reset can already be there when connect() returns
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            c.connect(('127.0.0.1', 31095))
            while c.recv(10):
                pass
        assert time.monotonic() - t < 5
        c.close()


def test_all_is_bounded_and_forwards_low_ports(tmp_path):
    log = str(tmp_path / 'gw.log')
    with static_guest('-t', 'all', '-l', log) as g:
        guest_server(g, 'sink', '::', 3999)
        _send('127.0.0.1', 3999, 3999)
        with open(log) as f:
            text = f.read()
        assert 'listening on the first' in text, text


def test_unbindable_address_refused_at_start_unless_freebind():
    """192.0.2.77 is not an address of this host: without --freebind
    gangway refuses to start and names the port; with it, it listens."""
    from harness import HarnessError
    with pytest.raises(HarnessError) as e:
        with NsGuest(gangway_args=ARGS + ['-t', '192.0.2.77/31110']):
            pass
    assert 'cannot listen on TCP port 31110' in str(e.value), str(e.value)
    with NsGuest(gangway_args=ARGS + ['--freebind', '-t',
                                      '192.0.2.77/31110']) as g:
        assert g.gangway.alive()
