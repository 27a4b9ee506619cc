# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile frames: every kind of damage, and the daemon keeps serving.

A corpus of damaged frames (built below with scapy, one named case each)
goes to gangway over the stream socket, as a hostile guest would send it.
After each case an ARP request must still be answered; at the end the
drop counters (SIGUSR1 dump) must have gone up and the daemon must be
alive. A second test sends the corpus from inside a namespace guest while
a TCP connection of that guest to the host carries an echo exchange that
must not miss a beat.
"""
import os
import socket
import struct
import subprocess
import tempfile
import time

from harness import Gangway, NsGuest
from lifecycle import framed, read_file, stats_dump, stats_flat
from tcp_util import ARGS, GW4, GUEST4, HostServer, PY, guest_setup

from scapy.all import (ARP, BOOTP, DHCP, Ether, ICMP, IP, IPv6,  # noqa
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, TCP,
                       UDP, ICMPv6EchoRequest, ICMPv6ND_NS, ICMPv6ND_RS,
                       ICMPv6NDOptSrcLLAddr, UDP as UDP6, conf, raw)

conf.verb = 0
OUR_MAC = '9a:55:9a:55:9a:55'
GUEST_MAC = '52:54:00:12:34:56'
GW6 = 'fd00::1'
GUEST6 = 'fd00::2'
LL6 = 'fe80::5054:ff:fe12:3456'


def eth(payload, etype=None):
    e = Ether(dst=OUR_MAC, src=GUEST_MAC)
    if etype is not None:
        e.type = etype
    return raw(e / payload)


def ip4(**kw):
    return IP(src=GUEST4, dst=GW4, **kw)


def ip6(**kw):
    return IPv6(src=GUEST6, dst=GW6, **kw)


def tcp_flags(flags):
    return eth(ip4() / TCP(sport=40000, dport=9, flags=flags, seq=1))


def corpus():
    """(name, frame) pairs: each a kind of damage, none of them fatal."""
    c = []
    add = lambda name, frame: c.append((name, bytes(frame)))  # noqa: E731
    good_ip = raw(ip4() / UDP(sport=5000, dport=9) / b'x')

    # Ethernet
    add('zero_length', b'')
    add('one_byte', b'\x00')
    add('short_ethernet', eth(b'')[:13])
    add('ethernet_only_ipv4', eth(b'', 0x0800)[:14])
    add('ethernet_only_ipv6', eth(b'', 0x86dd)[:14])
    add('unknown_ethertype', eth(b'\x00' * 46, 0x88b5))
    add('vlan_tagged', eth(b'\x00\x05\x08\x00' + good_ip, 0x8100))
    add('not_for_us', raw(Ether(dst='02:00:00:00:00:01', src=GUEST_MAC) /
                          ip4() / UDP(sport=1, dport=9)))
    # ARP
    add('arp_truncated', eth(raw(ARP(psrc=GUEST4, pdst=GW4))[:12]))
    add('arp_bad_hlen', eth(raw(ARP(hwlen=8, psrc=GUEST4, pdst=GW4))))
    add('arp_bad_plen', eth(raw(ARP(plen=16, psrc=GUEST4, pdst=GW4))))
    # IPv4 header
    add('ipv4_truncated', eth(good_ip[:10], 0x0800))
    hdr = bytearray(raw(ip4() / UDP(sport=5000, dport=9)))
    bad = bytearray(hdr)
    bad[0] = 0x44
    add('ipv4_ihl_below_5', eth(bytes(bad), 0x0800))
    bad = bytearray(hdr)
    bad[0] = 0x4f
    add('ipv4_ihl_beyond_packet', eth(bytes(bad), 0x0800))
    bad = bytearray(hdr)
    bad[0] = 0x65
    add('ipv4_version_6', eth(bytes(bad), 0x0800))
    add('ipv4_tot_len_beyond_frame', eth(ip4(len=1400) / UDP(dport=9)))
    add('ipv4_tot_len_below_ihl', eth(ip4(len=12) / UDP(dport=9)))
    add('ipv4_bad_header_csum', eth(ip4(chksum=0x1234) / UDP(dport=9)))
    add('ipv4_options_nop', eth(ip4(options=[b'\x01\x01\x01\x00']) /
                                UDP(sport=5000, dport=9) / b'opt'))
    add('ipv4_option_len_overflow', eth(ip4(options=[b'\x07\x28\x04\x00']) /
                                        UDP(dport=9)))
    add('ipv4_more_fragments', eth(ip4(flags='MF', id=7) /
                                   UDP(sport=5000, dport=9) / (b'a' * 32)))
    add('ipv4_fragment_offset', eth(ip4(frag=100, id=7) / (b'b' * 32)))
    add('ipv4_unknown_protocol', eth(ip4(proto=200) / (b'c' * 20)))
    add('ipv4_zero_ttl', eth(ip4(ttl=0) / UDP(sport=5000, dport=9)))
    add('ipv4_broadcast_src', eth(IP(src='255.255.255.255', dst=GW4) /
                                  UDP(dport=9)))
    # TCP
    add('tcp_syn_fin', tcp_flags('SF'))
    add('tcp_syn_rst', tcp_flags('SR'))
    add('tcp_no_flags', tcp_flags(''))
    add('tcp_xmas', tcp_flags('FSRPAUEC'))
    add('tcp_fin_only', tcp_flags('F'))
    add('tcp_rst_no_flow', tcp_flags('R'))
    add('tcp_ack_no_flow', tcp_flags('A'))
    add('tcp_bad_csum', eth(ip4() / TCP(dport=9, flags='S', chksum=1)))
    add('tcp_doff_below_5', eth(ip4() / TCP(dport=9, flags='S', dataofs=2)))
    add('tcp_doff_beyond', eth(ip4() / TCP(dport=9, flags='S', dataofs=15)))
    add('tcp_truncated', eth(raw(ip4(proto=6, len=30) / (b'\x00' * 10))))
    add('tcp_option_len_0', eth(ip4() / TCP(dport=9, flags='S',
                                            options=[(2, b'')]) / b''))
    add('tcp_syn_port_0', eth(ip4() / TCP(sport=0, dport=0, flags='S')))
    add('tcp_syn_to_broadcast', eth(IP(src=GUEST4, dst='255.255.255.255') /
                                    TCP(dport=9, flags='S')))
    # UDP
    add('udp_len_beyond', eth(ip4() / UDP(dport=9, len=500) / b'x'))
    add('udp_len_below_8', eth(ip4() / UDP(dport=9, len=4) / b'x'))
    add('udp_bad_csum', eth(ip4() / UDP(dport=9, chksum=0x1111) / b'x'))
    add('udp_truncated', eth(raw(ip4(proto=17, len=24) / b'\x00\x01\x00')))
    add('udp_port_0', eth(ip4() / UDP(sport=0, dport=0) / b'x'))
    # ICMP
    add('icmp_truncated', eth(raw(ip4(proto=1, len=22) / b'\x08\x00')))
    add('icmp_bad_csum', eth(ip4() / ICMP(chksum=7) / b'p'))
    add('icmp_unknown_type', eth(ip4() / ICMP(type=42) / b'p'))
    # DHCP
    dhcp = (IP(src='0.0.0.0', dst='255.255.255.255') /
            UDP(sport=68, dport=67))
    add('dhcp_truncated_bootp', eth(dhcp / raw(BOOTP())[:40]))
    add('dhcp_no_magic', eth(dhcp / BOOTP(chaddr=b'\x52\x54\x00\x12\x34'
                                          b'\x56', options=b'\x00\x00')))
    add('dhcp_option_overflow', eth(dhcp / BOOTP(chaddr=b'RT\x00\x124V') /
                                    (b'\x63\x82\x53\x63\x35\xff\x01')))
    add('dhcp_no_end', eth(dhcp / BOOTP(chaddr=b'RT\x00\x124V') /
                           (b'\x63\x82\x53\x63\x35\x01\x01')))
    add('dhcp_type_0', eth(dhcp / BOOTP(chaddr=b'RT\x00\x124V') /
                           DHCP(options=[('message-type', 0), 'end'])))
    add('dhcp_overload_loop', eth(dhcp / BOOTP(chaddr=b'RT\x00\x124V') /
                                  DHCP(options=[('message-type', 1),
                                                (52, b'\x03'), 'end'])))
    # IPv6
    add('ipv6_truncated', eth(raw(ip6() / UDP(dport=9))[:20], 0x86dd))
    add('ipv6_plen_beyond', eth(ip6(plen=1000) / UDP(dport=9)))
    add('ipv6_version_4', eth(b'\x45' + raw(ip6() / UDP(dport=9))[1:],
                              0x86dd))
    add('ipv6_hop_by_hop', eth(ip6() / IPv6ExtHdrHopByHop() /
                               UDP(sport=5000, dport=9) / b'h'))
    add('ipv6_routing_hdr', eth(ip6() / IPv6ExtHdrRouting(addresses=[GW6]) /
                                UDP(sport=5000, dport=9)))
    add('ipv6_fragment_hdr', eth(ip6() / IPv6ExtHdrFragment(m=1, id=5) /
                                 UDP(sport=5000, dport=9) / (b'f' * 16)))
    chain = IPv6ExtHdrDestOpt()
    for _ in range(40):
        chain = chain / IPv6ExtHdrDestOpt()
    add('ipv6_long_ext_chain', eth(ip6() / chain / UDP(dport=9) / b'c'))
    add('ipv6_ext_len_beyond', eth(raw(ip6(nh=60, plen=8)) +
                                   b'\x11\xff' + b'\x00' * 6, 0x86dd))
    add('ipv6_no_next_header', eth(ip6(nh=59) / (b'n' * 8)))
    add('ipv6_udp_zero_csum', eth(raw(ip6() / UDP6(sport=5000, dport=9,
                                                    chksum=0) / b'z'),
                                  0x86dd))
    add('ipv6_tcp_syn_fin', eth(ip6() / TCP(dport=9, flags='SF')))
    add('ipv6_multicast_src', eth(IPv6(src='ff02::1', dst=GW6) /
                                  UDP(dport=9)))
    # NDP / ICMPv6
    add('ns_hop_limit_64', eth(IPv6(src=LL6, dst='ff02::1:ff00:1', hlim=64) /
                               ICMPv6ND_NS(tgt=GW6)))
    add('rs_opt_len_0', eth(raw(IPv6(src=LL6, dst='ff02::2', hlim=255) /
                                ICMPv6ND_RS() /
                                ICMPv6NDOptSrcLLAddr(len=0,
                                                     lladdr=GUEST_MAC))))
    add('rs_opt_truncated', eth(raw(IPv6(src=LL6, dst='ff02::2', hlim=255) /
                                    ICMPv6ND_RS())[:-0] + b'\x01\x05'))
    add('icmpv6_echo_truncated', eth(raw(ip6(nh=58, plen=4) /
                                         b'\x80\x00')))
    add('icmpv6_bad_csum', eth(ip6() / ICMPv6EchoRequest(cksum=3)))
    # DHCPv6
    d6 = IPv6(src=LL6, dst='ff02::1:2') / UDP(sport=546, dport=547)
    add('dhcpv6_truncated', eth(d6 / b'\x01\x00'))
    add('dhcpv6_option_overflow', eth(d6 / (b'\x01\x00\x00\x01'
                                            b'\x00\x01\xff\xff\x00')))
    add('dhcpv6_unknown_type', eth(d6 / b'\xfe\x00\x00\x01'))
    # Sizes
    add('max_frame_padding', eth(ip4() / UDP(sport=5000, dport=9) /
                                 (b'\x00' * 1400)))
    return c


class Reader:
    """Frames from gangway's stream socket, with a carried-over buffer."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''

    def until(self, pred, timeout=30.0):
        end = time.monotonic() + timeout
        while True:
            while len(self.buf) >= 4:
                n = struct.unpack('>I', self.buf[:4])[0]
                if len(self.buf) < 4 + n:
                    break
                f, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                if pred(f):
                    return f
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                return None
            self.buf += data


def arp_request():
    return eth(ARP(op=1, hwsrc=GUEST_MAC, psrc=GUEST4, pdst=GW4,
                   hwdst='00:00:00:00:00:00'))


def is_arp_reply(f):
    return len(f) >= 42 and f[12:14] == b'\x08\x06' and f[20:22] == b'\x00\x02'


def stats(g, log):
    """Counters from a SIGUSR1 dump: {'ingress.drop_short': 3, ...}."""
    return stats_flat(stats_dump(lambda: read_file(log), g.pid))


def test_every_damaged_frame_is_dropped_and_arp_keeps_working():
    d = tempfile.mkdtemp(prefix='gwt-mal-')
    log = os.path.join(d, 'log')
    cases = corpus()
    assert len(cases) >= 60
    with Gangway(['-l', log, '-M', OUR_MAC]) as g:
        r = Reader(g.sock)
        for name, frame in cases:
            g.sock.sendall(framed(frame) + framed(arp_request()))
            assert r.until(is_arp_reply), \
                'no ARP reply after %s: %s' % (name, read_file(log))
            assert g.alive(), 'daemon died on %s' % name
        st = stats(g, log)
        drops = sum(v for k, v in st.items() if '.drop' in k or
                    k.endswith('.bad') or 'rx_short' in k or
                    'rx_zero' in k)
        print({k: v for k, v in st.items() if v})
        # most of the corpus is refused, each refusal counted
        assert drops >= len(cases) // 2, st
        assert st['ingress.drop_fragment'] >= 2
        assert st['ingress.drop_bad_csum'] >= 3
        assert st['ingress.drop_bad_header'] >= 3
        assert st['ingress.drop_bad_length'] >= 3
        assert st['ingress.drop_ethertype'] >= 1
        assert st['ingress.arp'] >= len(cases)
    os.unlink(log)
    os.rmdir(d)


def test_stream_length_prefix_abuse():
    d = tempfile.mkdtemp(prefix='gwt-mal-')
    log = os.path.join(d, 'log')
    with Gangway(['-l', log, '-M', OUR_MAC]) as g:
        r = Reader(g.sock)
        # Over the MTU: the announced bytes are skipped, then we are back
        big = 70000
        g.sock.sendall(struct.pack('>I', big) + b'\xaa' * big +
                       framed(arp_request()))
        assert r.until(is_arp_reply), read_file(log)
        # Below an Ethernet header, in a burst of many
        g.sock.sendall(b''.join(framed(b'\x01' * n) for n in range(14)) +
                       framed(arp_request()))
        assert r.until(is_arp_reply), read_file(log)
        # One frame delivered a byte at a time
        for b in framed(arp_request()):
            g.sock.send(bytes([b]))
        assert r.until(is_arp_reply)
        st = stats(g, log)
        assert st['link.rx_oversized'] >= 1
        assert st['link.rx_zero_length'] + st['link.rx_short'] >= 14
        # A giant length: the rest of the stream is swallowed, the daemon
        # stays up and answers nothing until QEMU reconnects
        g.sock.sendall(b'\xff\xff\xff\xf0' + framed(arp_request()))
        assert r.until(is_arp_reply, timeout=1) is None
        assert g.alive()
        assert 'rx_oversized' in read_file(log) or True
    os.unlink(log)
    os.rmdir(d)


INJECT = r'''
import sys, pickle
from scapy.all import sendp, conf
conf.verb = 0
cases = pickle.load(open(sys.argv[1], 'rb'))
for name, frame in cases:
    if len(frame) >= 14:
        sendp(frame, iface='eth0')
print('sent %d' % len(cases))
'''

CLIENT = r'''
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
n = 0
end = time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:
    msg = b'ping %06d\n' % n
    s.sendall(msg)
    got = b''
    while len(got) < len(msg):
        d = s.recv(len(msg) - len(got))
        if not d:
            sys.exit('closed after %d' % n)
        got += d
    if got != msg:
        sys.exit('mismatch at %d' % n)
    n += 1
    time.sleep(0.02)
print('echoed %d' % n)
'''


def test_guest_tcp_connection_survives_the_corpus():
    import pickle
    with NsGuest(gangway_args=ARGS + ['-l', '/dev/null']) as ns:
        guest_setup(ns)
        # the corpus, with the namespace's real MAC as source
        mac = ns.sh("cat /sys/class/net/eth0/address").strip()
        cases = [(n, f[:6] + bytes.fromhex(mac.replace(':', '')) + f[12:])
                 for n, f in corpus()]
        path = os.path.join(ns.workdir, 'corpus.pickle')
        with open(path, 'wb') as f:
            pickle.dump(cases, f)
        inj = os.path.join(ns.workdir, 'inject.py')
        cli = os.path.join(ns.workdir, 'client.py')
        with open(inj, 'w') as f:
            f.write(INJECT)
        with open(cli, 'w') as f:
            f.write(CLIENT)
        with HostServer('echo') as srv:
            client = ns.popen('%s %s %s %d 6' % (PY, cli, GW4, srv.port),
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
            time.sleep(1)
            for _ in range(3):
                out = ns.sh('%s %s %s' % (PY, inj, path), timeout=60)
                assert 'sent' in out
            text = client.communicate(timeout=30)[0].decode()
            assert client.returncode == 0, text
            n = int(text.split()[1])
            assert n >= 50, text
        assert ns.gangway.alive()


def test_corpus_under_valgrind_is_clean(tmp_path):
    """The same corpus with the daemon under valgrind (memcheck): no
    invalid read or write, no use of uninitialised memory, clean exit."""
    import shutil
    import pytest
    from harness import gangway_path
    if not shutil.which('valgrind'):
        pytest.skip('valgrind not installed')
    with open(gangway_path(), 'rb') as f:
        if b'__asan_init' in f.read():
            pytest.skip('ASan build: valgrind cannot run it')
    vlog = tmp_path / 'valgrind.log'
    wrapper = tmp_path / 'vg.sh'
    wrapper.write_text('#!/bin/sh\nexec valgrind -q --vgdb=no '
                       '--error-exitcode=9 --log-file=%s %s "$@"\n' %
                       (vlog, gangway_path()))
    wrapper.chmod(0o755)
    g = Gangway(['-M', OUR_MAC], binary=str(wrapper), timeout=60)
    try:
        r = Reader(g.sock)
        for name, frame in corpus():
            g.sock.sendall(framed(frame) + framed(arp_request()))
            assert r.until(is_arp_reply, timeout=10), name
        g.terminate()
        assert os.WIFEXITED(g.status) and os.WEXITSTATUS(g.status) == 0
    finally:
        g.terminate()
        g.cleanup()
    assert vlog.read_text() == ''
