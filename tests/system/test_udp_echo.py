# SPDX-License-Identifier: GPL-2.0-or-later
"""UDP from the guest to the host's loopback through the gateway mapping.

The guest (a namespace behind gangway) sends to the gateway address; gangway
maps it to 127.0.0.1, where an echo server of ours answers. Replies must come
back from the address and port the guest addressed.
"""
import socket
import threading

import pytest

from harness import NsGuest

GW4 = '192.0.2.1'
# The IPv6 gateway the guest is given (the host's), mapped to ::1
GW6 = 'fd00::1'


class UdpEcho:
    """An echo server on the host's loopback, in a thread."""

    def __init__(self, addr='127.0.0.1', family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((addr, 0))
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self.peers = set()
        self._stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.count += 1
            self.peers.add(peer)
            if data.startswith(b'BIG:'):
                data = b'y' * int(data[4:])
            self.sock.sendto(data, peer)

    def close(self):
        self._stop = True
        self.t.join(2)
        self.sock.close()


@pytest.fixture
def echo4():
    e = UdpEcho()
    yield e
    e.close()


@pytest.fixture
def echo6():
    e = UdpEcho('::1', socket.AF_INET6)
    yield e
    e.close()


def guest_py(ns, script, *args, timeout=60, check=True):
    """Run a python script in the namespace, return its stdout."""
    return ns.python(script, *args, timeout=timeout, check=check)


# Send one datagram of N bytes, expect the same bytes back from where we
# sent it. Prints "ok <source>" or "timeout".
ECHO_ONE = r'''
import os, socket, sys
dst, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fam = socket.AF_INET6 if ':' in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(3)
data = os.urandom(size)
for attempt in range(3):
    s.sendto(data, (dst, port))
    try:
        got, src = s.recvfrom(70000)
    except socket.timeout:
        continue
    if got != data:
        print('mismatch %d bytes' % len(got))
        sys.exit(1)
    print('ok %s %d' % (src[0], src[1]))
    sys.exit(0)
print('timeout')
sys.exit(2)
'''

# Send COUNT datagrams of SIZE bytes in bursts of BURST (a moderate rate):
# after each burst wait up to 1 s for its echoes. Prints "sent N received M".
ECHO_MANY = r'''
import socket, sys, time, select
dst, port, count, size, burst = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.connect((dst, port))
seen = set()
sent = 0
start = time.monotonic()
while sent < count:
    n = min(burst, count - sent)
    for i in range(sent, sent + n):
        s.send(i.to_bytes(4, 'big') + b'x' * (size - 4))
    sent += n
    end = time.monotonic() + 1
    while len(seen) < sent:
        left = end - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            break
        seen.add(int.from_bytes(s.recv(65535)[:4], 'big'))
while select.select([s], [], [], 1)[0]:
    seen.add(int.from_bytes(s.recv(65535)[:4], 'big'))
print('sent %d received %d in %.2f s' % (sent, len(seen),
                                        time.monotonic() - start))
'''


def test_udp_echo_1400_bytes_via_gateway(echo4):
    with NsGuest() as ns:
        ns.dhcp4()
        out = guest_py(ns, ECHO_ONE, GW4, echo4.port, 1400)
        assert out.startswith('ok %s %d' % (GW4, echo4.port)), out
        # The host saw the datagram from loopback
        assert all(p[0] == '127.0.0.1' for p in echo4.peers), echo4.peers


def test_udp_echo_65000_bytes_default_mtu(echo4):
    with NsGuest(mtu=65520) as ns:
        ns.dhcp4()
        ns.sh('ip link set dev eth0 mtu 65520')
        out = guest_py(ns, ECHO_ONE, GW4, echo4.port, 65000)
        assert out.startswith('ok %s %d' % (GW4, echo4.port)), out


# Ask the echo server for a reply of SIZE bytes; print "got N" or "timeout"
ASK_BIG = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], int(sys.argv[2])))
s.send(b'BIG:' + sys.argv[3].encode())
try:
    print('got %d' % len(s.recv(70000)))
except socket.timeout:
    print('timeout')
'''


def test_udp_reply_larger_than_mtu_dropped(echo4):
    '''With --mtu 1500, a 1472-byte reply fits in one frame; a 1473-byte
    one does not and is dropped: we never fragment.'''
    with NsGuest(gangway_args=['--mtu', '1500'], mtu=1500) as ns:
        ns.dhcp4()
        out = guest_py(ns, ASK_BIG, GW4, echo4.port, 1472)
        assert out.strip() == 'got 1472', out
        out = guest_py(ns, ASK_BIG, GW4, echo4.port, 1473)
        assert out.strip() == 'timeout', out
        # The flow still works afterwards
        out = guest_py(ns, ASK_BIG, GW4, echo4.port, 1000)
        assert out.strip() == 'got 1000', out


def test_udp_10000_datagrams_no_loss(echo4):
    with NsGuest() as ns:
        ns.dhcp4()
        out = guest_py(ns, ECHO_MANY, GW4, echo4.port, 10000, 1000, 32,
                       timeout=120)
        words = out.split()
        assert words[0] == 'sent' and words[2] == 'received', out
        sent, received = int(words[1]), int(words[3])
        assert sent == 10000, out
        lost = sent - received
        print('udp echo: %d sent, %d received, %d lost, %s s' %
              (sent, received, lost, words[5]))
        assert lost == 0, out
        assert echo4.count == 10000


# Open N sockets, one datagram each (N flows at once), collect the echoes
MANY_FLOWS = r'''
import select, socket, sys, time
dst, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((dst, port))
    socks.append(s)
got = set()
for attempt in range(3):
    for i, s in enumerate(socks):
        if i not in got:
            s.send(b'%d' % i)
    end = time.monotonic() + 3
    pending = {s.fileno(): i for i, s in enumerate(socks) if i not in got}
    poll = select.poll()
    for fd in pending:
        poll.register(fd, select.POLLIN)
    while pending and time.monotonic() < end:
        for fd, ev in poll.poll(200):
            i = pending.pop(fd)
            poll.unregister(fd)
            if socks[i].recv(100) == b'%d' % i:
                got.add(i)
    if len(got) == n:
        break
print('flows %d answered %d' % (n, len(got)))
'''


def test_udp_2000_flows_at_once(echo4):
    with NsGuest() as ns:
        ns.dhcp4()
        out = guest_py(ns, MANY_FLOWS, GW4, echo4.port, 2000, timeout=120)
        assert out.strip() == 'flows 2000 answered 2000', out
        # One host socket per flow: the server saw 2000 source ports
        assert len(echo4.peers) == 2000


def test_udp6_echo_via_gateway(echo6):
    with NsGuest() as ns:
        ns.slaac6()
        out = guest_py(ns, ECHO_ONE, GW6, echo6.port, 1400)
        assert out.startswith('ok %s %d' % (GW6, echo6.port)), out
        assert all(p[0] == '::1' for p in echo6.peers), echo6.peers


# Send to a port nobody listens on, from a connected socket: the host
# answers port unreachable, and the guest's socket must see it.
REFUSED = r'''
import socket, sys
s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET,
                  socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], int(sys.argv[2])))
for _ in range(3):
    s.send(b'anyone?')
    try:
        s.recv(100)
        print('answered')
        break
    except ConnectionRefusedError:
        print('refused')
        break
    except socket.timeout:
        continue
else:
    print('timeout')
'''


def closed_port(addr, family):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((addr, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_udp_port_unreachable_reaches_guest():
    with NsGuest() as ns:
        ns.dhcp4()
        ns.slaac6()
        out = guest_py(ns, REFUSED, GW4,
                       closed_port('127.0.0.1', socket.AF_INET))
        assert out.strip() == 'refused', out
        out = guest_py(ns, REFUSED, GW6, closed_port('::1', socket.AF_INET6))
        assert out.strip() == 'refused', out


def test_no_udp_drops_guest_datagrams(echo4):
    with NsGuest(gangway_args=['--no-udp']) as ns:
        ns.dhcp4()
        out = guest_py(ns, ECHO_ONE, GW4, echo4.port, 100, check=False)
        assert 'timeout' in out, out
        assert echo4.count == 0
