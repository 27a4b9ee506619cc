# SPDX-License-Identifier: GPL-2.0-or-later
"""UDP in batches: what one link read carries, and what the guest is sent.

gangway gathers the guest's datagrams of one read of its stream socket
and sends them with one sendmmsg() per host socket (flow/udp.c). These
tests write a whole burst of frames to the stream socket in one go, as
QEMU does when the guest is fast, and check that every datagram reaches
its host socket, in the guest's order for each destination; that a
destination refusing (port unreachable) in the middle costs the others
nothing and reaches the guest as an ICMP error; that replies through an
inbound (-u) listener to several peers are sorted out right; and that
frames to the guest carry valid checksums (IPv4: UDP checksum zero, by
design; IPv6: a correct one), checked with scapy.

Traffic: the guest side is this test (frames on the socket); host sockets
are on 127.0.0.1 and ::1 only.
"""
import os
import socket
import tempfile

from harness import Gangway, free_ports
from lifecycle import framed, read_file
from test_hardening_malformed import Reader, stats

from scapy.all import IP, IPv6, UDP, Ether, ICMP, conf

conf.verb = 0
OUR_MAC = '9a:55:9a:55:9a:55'
GUEST_MAC = '52:54:00:12:34:56'
GW4, GUEST4 = '192.0.2.1', '192.0.2.2'
GW6, GUEST6 = 'fd00::1', 'fd00::2'


def udp_frame(dst, sport, dport, data):
    """A guest datagram to @dst (the gateway, mapped to loopback)."""
    if ':' in dst:
        l3 = IPv6(src=GUEST6, dst=dst)
    else:
        l3 = IP(src=GUEST4, dst=dst)
    return bytes(Ether(dst=OUR_MAC, src=GUEST_MAC) / l3 /
                 UDP(sport=sport, dport=dport) / data)


def host_sock(family, port=0):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1' if family == socket.AF_INET else '::1', port))
    s.settimeout(3)
    return s


def recv_all(s, n):
    """n datagrams from s (3 s each at most), then check nothing follows."""
    got = []
    for _ in range(n):
        try:
            got.append(s.recvfrom(70000))
        except socket.timeout:
            break
    s.settimeout(0.2)
    try:
        extra = s.recvfrom(70000)
        got.append(extra)
    except socket.timeout:
        pass
    s.settimeout(3)
    return got


def checksums_ok(f):
    """Parse a frame to the guest: (Ether packet, why not) with the UDP
    checksum checked: zero for IPv4, correct for IPv6."""
    p = Ether(f)
    if IP in p and UDP in p:
        ip = IP(bytes(p[IP]))
        c = ip.chksum
        del ip.chksum
        if IP(bytes(ip)).chksum != c:
            return p, 'bad IPv4 header checksum'
        if p[UDP].chksum != 0:
            return p, 'IPv4 UDP checksum %#x, expected 0' % p[UDP].chksum
        return p, None
    if IPv6 in p and UDP in p:
        u = p[UDP]
        c = u.chksum
        if not c:
            return p, 'IPv6 UDP checksum zero'
        re = IPv6(bytes(p[IPv6]))
        del re[UDP].chksum
        if IPv6(bytes(re))[UDP].chksum != c:
            return p, 'bad IPv6 UDP checksum %#x' % c
        return p, None
    return p, 'not UDP'


def is_udp_to_guest(f):
    p = Ether(f)
    return UDP in p and (IP in p or IPv6 in p)


def udp_payload(p):
    """The datagram's bytes by its UDP length: frames to the guest shorter
    than 60 bytes are zero-padded, and scapy counts padding as payload."""
    return bytes(p[UDP].payload)[:p[UDP].len - 8]


def test_burst_to_several_destinations_in_order():
    """One write: 120 datagrams to three host sockets (two IPv4, one IPv6)
    interleaved, plus some to a port nobody listens on. Each socket gets
    all of its own, in order; the guest hears port unreachable."""
    d = tempfile.mkdtemp(prefix='gwt-udpb-')
    log = os.path.join(d, 'log')
    socks = [host_sock(socket.AF_INET), host_sock(socket.AF_INET),
             host_sock(socket.AF_INET6)]
    dsts = [GW4, GW4, GW6]
    closed = host_sock(socket.AF_INET)
    closed_port = closed.getsockname()[1]
    closed.close()
    want = [[], [], []]
    burst = b''
    for i in range(120):
        k = (i * 7 // 3) % 3
        data = b'%c%03d' % (ord('a') + k, len(want[k])) + b'.' * (i * 3)
        want[k].append(data)
        burst += framed(udp_frame(dsts[k], 41000 + k,
                                  socks[k].getsockname()[1], data))
        if i % 40 == 20:
            burst += framed(udp_frame(GW4, 41009, closed_port, b'nobody'))
    with Gangway(['-M', OUR_MAC, '-l', log]) as g:
        r = Reader(g.sock)
        g.sock.sendall(burst)
        for k in range(3):
            got = [x[0] for x in recv_all(socks[k], len(want[k]))]
            assert got == want[k], 'destination %d: %d of %d, order %s' % (
                k, len(got), len(want[k]), [x[:4] for x in got][:10])
        f = r.until(lambda f: ICMP in Ether(f) and
                    Ether(f)[ICMP].type == 3)
        assert f, 'no port unreachable: %s' % read_file(log)
        p = Ether(f)
        assert p[ICMP].code == 3 and p[IP].src == GW4
        st = stats(g, log)
        assert st['udp.to_host'] >= 120, st
        assert g.alive()
    for s in socks:
        s.close()


def test_replies_to_guest_complete_with_valid_checksums():
    """Host sockets answer with bursts (small and 30 000-byte datagrams,
    IPv4 and IPv6): every one reaches the guest, in order, each with a
    valid checksum (zero UDP checksum for IPv4)."""
    s4, s6 = host_sock(socket.AF_INET), host_sock(socket.AF_INET6)
    with Gangway(['-M', OUR_MAC]) as g:
        r = Reader(g.sock)
        g.sock.sendall(
            framed(udp_frame(GW4, 42000, s4.getsockname()[1], b'hi4')) +
            framed(udp_frame(GW6, 42001, s6.getsockname()[1], b'hi6')))
        _, peer4 = s4.recvfrom(100)
        _, peer6 = s6.recvfrom(100)
        sizes = [1, 7, 1000, 30000, 8, 1472, 30001, 2]
        sent = []
        for i, n in enumerate(sizes * 3):
            data = bytes([(i + j) & 0xff for j in range(n)])
            s4.sendto(data, peer4)
            s6.sendto(data[::-1], peer6[:2])
            sent.append(data)
        got4, got6 = [], []
        while len(got4) < len(sent) or len(got6) < len(sent):
            f = r.until(is_udp_to_guest, timeout=30)
            assert f, 'got %d + %d of %d each' % (len(got4), len(got6),
                                                  len(sent))
            p, bad = checksums_ok(f)
            assert not bad, bad
            if IP in p:
                assert (p[IP].src, p[IP].dst, p[UDP].dport) == \
                    (GW4, GUEST4, 42000)
                got4.append(udp_payload(p))
            else:
                assert (p[IPv6].src, p[IPv6].dst, p[UDP].dport) == \
                    (GW6, GUEST6, 42001)
                got6.append(udp_payload(p))
        assert got4 == sent
        assert got6 == [x[::-1] for x in sent]
    s4.close()
    s6.close()


def test_inbound_replies_to_several_peers_in_one_burst():
    """-u: three host peers write to one forwarded port; the guest answers
    all of them in one interleaved burst; each peer gets its own answers,
    in order, from the forwarded port."""
    port = free_ports()
    with Gangway(['-M', OUR_MAC, '-u', '127.0.0.1/%d:5555' % port]) as g:
        r = Reader(g.sock)
        peers = [host_sock(socket.AF_INET) for _ in range(3)]
        ports = []
        for i, p in enumerate(peers):
            p.sendto(b'hello%d' % i, ('127.0.0.1', port))
            f = r.until(is_udp_to_guest, timeout=30)
            assert f, 'peer %d: nothing reached the guest' % i
            pkt, bad = checksums_ok(f)
            assert not bad, bad
            assert pkt[UDP].dport == 5555
            assert udp_payload(pkt) == b'hello%d' % i
            ports.append((pkt[IP].src, pkt[UDP].sport))
        burst = b''
        for j in range(30):
            k = j % 3
            src, sport = ports[k]
            burst += framed(bytes(
                Ether(dst=OUR_MAC, src=GUEST_MAC) /
                IP(src=GUEST4, dst=src) /
                UDP(sport=5555, dport=sport) / (b'r%d-%02d' % (k, j))))
        g.sock.sendall(burst)
        for k, p in enumerate(peers):
            got = recv_all(p, 10)
            assert [x[0] for x in got] == \
                [b'r%d-%02d' % (k, j) for j in range(k, 30, 3)]
            assert all(x[1] == ('127.0.0.1', port) for x in got)
            p.close()
        assert g.alive()
