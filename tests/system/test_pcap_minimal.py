# SPDX-License-Identifier: GPL-2.0-or-later
"""gangway sends the guest nothing it did not need.

A namespace guest (real kernel) configures itself fully while gangway
captures with --pcap: DHCPv4 (busybox udhcpc), SLAAC from our RAs, DHCPv6
(ISC dhclient -6), ping and ping -6 to the gateway, then 22 s of quiet.
Then the capture is read back with scapy and every frame gangway sent is
matched against what the guest had asked for before it:

  ARP reply             an ARP request for that address, at most one each
  DHCP OFFER / ACK      a DISCOVER / REQUEST with the same xid, one each
  NA                    an NS for that target (never the guest's DAD)
  RA                    an RS, or the schedule: a burst of 3, then one per
                        20 s (src/services/ndp.c), so a bounded number
  DHCPv6 Advertise /    a Solicit / Request (Renew, Rebind, Confirm,
  Reply                 Information-request) with the same transaction id
  echo reply (v4, v6)   an echo request with the same id, seq and address

Anything else gangway sent (a request of its own, a second answer to one
question, a frame to an address the guest never used) fails the test.
The session also has to contain each expected answer, so an empty or
one-sided capture cannot pass.
"""
import os
import re
import shutil
import time
from collections import Counter

import pytest

from harness import NsGuest
from test_ipv6_config import Dhclient

OUR_MAC = '9a:55:9a:55:9a:55'
GW4 = '192.0.2.1'
GW6 = 'fd00::1'
FQDN = 'pcap-guest.example.com'
BUSYBOX = '/bin/busybox'
RA_BURST = 3
RA_INTERVAL_S = 20
IDLE_S = 22

ARGS = ['-M', OUR_MAC, '-D', '198.51.100.53', '-S', 'example.com',
        '-H', 'pcapguest', '--fqdn', FQDN, '--mtu', '1500']


def read_pcap(path):
    from scapy.all import rdpcap
    return list(rdpcap(path))


def run_session(cap):
    """Configure a guest on every protocol and ping both ways; return
    (guest MAC, seconds the session lasted)."""
    t0 = time.monotonic()
    with NsGuest(ARGS + ['--pcap', cap]) as ns:
        mac = ns.sh('cat /sys/class/net/eth0/address').strip().lower()
        lease = ns.dhcp4()
        assert lease['ip'] == '192.0.2.2', lease
        ns.slaac6()
        with Dhclient(ns) as d:
            assert d.env('BOUND6'), d.log
        for cmd in ('ping -c 3 -W 2 %s' % GW4, 'ping -6 -c 3 -W 2 %s' % GW6):
            out = ns.sh('%s %s' % (BUSYBOX, cmd), check=False, timeout=30)
            assert '3 packets received' in out, out + out.stderr
        # then a quiet guest past one steady RA interval: gangway has
        # nothing to say but its scheduled RA
        time.sleep(IDLE_S)
        assert ns.gangway.alive()
    return mac, time.monotonic() - t0


def dhcp_type(p):
    from scapy.all import DHCP
    for o in p[DHCP].options:
        if isinstance(o, tuple) and o[0] == 'message-type':
            return o[1]
    return None


def dhcp_opt(p, name):
    from scapy.all import DHCP
    for o in p[DHCP].options:
        if isinstance(o, tuple) and o[0] == name:
            return o[1:]
    return None


class Audit:
    """Walks the capture in order: questions from the guest are credited,
    each answer from gangway spends one credit of its kind."""

    def __init__(self, guest_mac):
        self.guest_mac = guest_mac
        self.asked = Counter()
        self.answered = Counter()
        self.guest_ips = set()
        self.rs = 0
        self.ra = 0
        self.junk = []
        self.dhcp_acks = []

    def bad(self, why, p):
        self.junk.append('%s: %s' % (why, p.summary()))

    def spend(self, key, p):
        self.answered[key] += 1
        if self.answered[key] > self.asked[key]:
            self.bad('unasked or duplicate answer %r' % (key,), p)

    def from_guest(self, p):
        from scapy.all import (ARP, BOOTP, IP, IPv6, ICMP, ICMPv6EchoRequest,
                               ICMPv6ND_NS, ICMPv6ND_RS, UDP)
        from scapy.layers.dhcp6 import DHCP6
        if IP in p and p[IP].src != '0.0.0.0':
            self.guest_ips.add(p[IP].src)
        if IPv6 in p and p[IPv6].src != '::':
            self.guest_ips.add(p[IPv6].src)
        if ARP in p and p[ARP].op == 1:
            self.asked[('arp', p[ARP].pdst, p[ARP].psrc,
                        p[ARP].hwsrc.lower())] += 1
        elif BOOTP in p and UDP in p and p[UDP].dport == 67:
            t = dhcp_type(p)
            if t == 1:
                self.asked[('offer', p[BOOTP].xid)] += 1
            elif t == 3:
                self.asked[('ack', p[BOOTP].xid)] += 1
        elif ICMPv6ND_RS in p:
            self.rs += 1
        elif ICMPv6ND_NS in p:
            if p[IPv6].src != '::':         # DAD probes get no answer
                self.asked[('na', p[ICMPv6ND_NS].tgt)] += 1
        elif UDP in p and p[UDP].dport == 547 and IPv6 in p:
            msg = p[UDP].payload
            if isinstance(msg, DHCP6) or hasattr(msg, 'trid'):
                kind = 'advertise' if msg.msgtype == 1 else 'reply'
                self.asked[(kind, msg.trid, p[IPv6].src)] += 1
        elif ICMP in p and p[ICMP].type == 8:
            self.asked[('echo4', p[IP].src, p[IP].dst, p[ICMP].id,
                        p[ICMP].seq)] += 1
        elif ICMPv6EchoRequest in p:
            e = p[ICMPv6EchoRequest]
            self.asked[('echo6', p[IPv6].src, p[IPv6].dst, e.id,
                        e.seq)] += 1

    def from_gangway(self, p):
        from scapy.all import (ARP, BOOTP, IP, IPv6, ICMP, ICMPv6EchoReply,
                               ICMPv6ND_NA, ICMPv6ND_RA, UDP, Ether)
        eth_dst = p[Ether].dst.lower()
        if eth_dst not in (self.guest_mac, 'ff:ff:ff:ff:ff:ff',
                           '33:33:00:00:00:01'):
            self.bad('to a MAC address that is not the guest', p)
        if eth_dst == 'ff:ff:ff:ff:ff:ff' and BOOTP not in p:
            self.bad('broadcast that is not a DHCP reply', p)
        if eth_dst == '33:33:00:00:00:01' and ICMPv6ND_RA not in p:
            self.bad('all-nodes multicast that is not an RA', p)

        if ARP in p:
            a = p[ARP]
            if a.op != 2:
                self.bad('ARP that is not a reply', p)
            else:   # to the asker, about what it asked
                self.spend(('arp', a.psrc, a.pdst, a.hwdst.lower()), p)
        elif BOOTP in p:
            t = dhcp_type(p)
            ip_dst = p[IP].dst
            if ip_dst not in ('255.255.255.255', p[BOOTP].yiaddr) and \
                    ip_dst not in self.guest_ips:
                self.bad('DHCP reply to a strange address', p)
            if t == 2:
                self.spend(('offer', p[BOOTP].xid), p)
            elif t == 5:
                self.spend(('ack', p[BOOTP].xid), p)
                self.dhcp_acks.append(p)
            else:
                self.bad('DHCP message type %r' % t, p)
        elif ICMPv6ND_RA in p:
            self.ra += 1
            if p[IPv6].dst != 'ff02::1' and p[IPv6].dst not in self.guest_ips:
                self.bad('RA to an address the guest never used', p)
        elif ICMPv6ND_NA in p:
            if p[IPv6].dst not in self.guest_ips and p[IPv6].dst != 'ff02::1':
                self.bad('NA to an address the guest never used', p)
            self.spend(('na', p[ICMPv6ND_NA].tgt), p)
        elif UDP in p and p[UDP].sport == 547 and IPv6 in p:
            msg = p[UDP].payload
            if not hasattr(msg, 'trid'):
                self.bad('DHCPv6 message scapy cannot read', p)
            elif msg.msgtype == 2:
                self.spend(('advertise', msg.trid, p[IPv6].dst), p)
            elif msg.msgtype == 7:
                self.spend(('reply', msg.trid, p[IPv6].dst), p)
            else:
                self.bad('DHCPv6 message type %d' % msg.msgtype, p)
        elif ICMP in p and p[ICMP].type == 0:
            self.spend(('echo4', p[IP].dst, p[IP].src, p[ICMP].id,
                        p[ICMP].seq), p)
        elif ICMPv6EchoReply in p:
            e = p[ICMPv6EchoReply]
            self.spend(('echo6', p[IPv6].dst, p[IPv6].src, e.id, e.seq), p)
        else:
            self.bad('nothing the guest asked for', p)


@pytest.mark.skipif(not shutil.which('dhclient'),
                    reason='isc-dhcp-client not installed')
def test_pcap_shows_only_what_the_guest_needed(tmp_path):
    from scapy.all import Ether
    os.chmod(str(tmp_path), 0o777)
    cap = str(tmp_path / 'session.pcap')
    guest_mac, seconds = run_session(cap)
    frames = read_pcap(cap)
    assert frames, 'empty capture'

    audit = Audit(guest_mac)
    for p in frames:
        if Ether not in p:
            audit.bad('not an Ethernet frame', p)
            continue
        src = p[Ether].src.lower()
        if src == OUR_MAC:
            audit.from_gangway(p)
        elif src == guest_mac:
            audit.from_guest(p)
        else:
            audit.bad('from a third MAC address', p)

    assert not audit.junk, '\n'.join(audit.junk)

    kinds = Counter(k[0] for k in audit.answered.elements())
    # every conversation of the session is in the capture
    assert kinds['arp'] >= 1 and kinds['offer'] >= 1, kinds
    assert kinds['ack'] >= 1 and kinds['advertise'] >= 1, kinds
    assert kinds['reply'] >= 1, kinds
    assert kinds['echo4'] == 3 and kinds['echo6'] == 3, kinds
    assert audit.ra >= RA_BURST + 1, 'not even the burst and a steady RA'
    # RAs: each RS answered once, plus the schedule for this long a session
    scheduled = RA_BURST + int(seconds // RA_INTERVAL_S) + 1
    assert audit.ra <= audit.rs + scheduled, (audit.ra, audit.rs, seconds)

    # and the ACK carried what the command line asked for, --fqdn included
    ack = audit.dhcp_acks[-1]
    assert dhcp_opt(ack, 'hostname')[0] == b'pcapguest'
    fqdn = dhcp_opt(ack, 'client_FQDN')
    assert fqdn is not None, ack.show(dump=True)
    assert FQDN.encode() in re.sub(rb'[\x00-\x1f]', b'.', fqdn[0]), fqdn
    assert dhcp_opt(ack, 'interface-mtu')[0] == 1500
