#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed inputs of the fuzz targets in fuzz/ into this folder.

Run with Debian's python3 (scapy): /usr/bin/python3 make_seeds.py
Seeds are checked in; crashers found later are added as crash-<what>.
"""
import os
import struct

from scapy.all import (ARP, BOOTP, DHCP, Ether, ICMP, IP, IPv6, TCP, UDP,
                       ICMPv6EchoRequest, ICMPv6ND_NS, ICMPv6ND_RS,
                       ICMPv6NDOptSrcLLAddr, IPv6ExtHdrHopByHop, raw)
from scapy.layers.dhcp6 import (DHCP6_Solicit, DHCP6_Request,
                                DHCP6_InfoRequest, DHCP6OptClientId,
                                DHCP6OptIA_NA, DHCP6OptOptReq,
                                DHCP6OptElapsedTime, DUID_LL)

HERE = os.path.dirname(os.path.abspath(__file__))
OUR = '9a:55:9a:55:9a:55'
GUEST = '52:54:00:12:34:56'
CH = bytes.fromhex('525400123456')


def put(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(bytes(data))


def dhcp4(mtype, extra=()):
    return raw(BOOTP(chaddr=CH, xid=0x1234) /
               DHCP(options=[('message-type', mtype)] + list(extra) +
                    [('param_req_list', [1, 3, 6, 15, 26, 119]), 'end']))


def dhcp6_msgs():
    cid = DHCP6OptClientId(duid=DUID_LL(lladdr=GUEST))
    return {
        'solicit': raw(DHCP6_Solicit(trid=1) / cid / DHCP6OptIA_NA(iaid=1) /
                       DHCP6OptOptReq(reqopts=[23, 24]) /
                       DHCP6OptElapsedTime()),
        'request': raw(DHCP6_Request(trid=2) / cid / DHCP6OptIA_NA(iaid=1)),
        'info': raw(DHCP6_InfoRequest(trid=3) / cid /
                    DHCP6OptOptReq(reqopts=[23, 24])),
    }


def main():
    d4 = {'discover': dhcp4('discover')}
    d6 = dhcp6_msgs()
    e = Ether(dst=OUR, src=GUEST)
    bc = Ether(dst='ff:ff:ff:ff:ff:ff', src=GUEST)
    frames = {
        'arp': bc / ARP(hwsrc=GUEST, psrc='192.0.2.2', pdst='192.0.2.1'),
        'dhcp_discover': bc / IP(src='0.0.0.0', dst='255.255.255.255') /
        UDP(sport=68, dport=67) / d4['discover'],
        'dhcpv6_solicit': Ether(dst='33:33:00:01:00:02', src=GUEST) /
        IPv6(src='fe80::5054:ff:fe12:3456', dst='ff02::1:2') /
        UDP(sport=546, dport=547) / d6['solicit'],
        'rs': Ether(dst='33:33:00:00:00:02', src=GUEST) /
        IPv6(src='fe80::5054:ff:fe12:3456', dst='ff02::2', hlim=255) /
        ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr=GUEST),
        'ns': e / IPv6(src='fe80::5054:ff:fe12:3456', dst='fe80::1',
                       hlim=255) / ICMPv6ND_NS(tgt='fe80::1'),
        'ping4': e / IP(src='192.0.2.2', dst='192.0.2.1') / ICMP() / b'p',
        'tcp_syn': e / IP(src='192.0.2.2', dst='192.0.2.1', options=[
            b'\x01\x01\x01\x00']) / TCP(dport=80, flags='S'),
        'udp6_hbh': e / IPv6(src='fd00::2', dst='fd00::1') /
        IPv6ExtHdrHopByHop() / UDP(dport=53) / b'q',
        'frag': e / IP(src='192.0.2.2', dst='192.0.2.1', flags='MF') /
        UDP(dport=9) / b'f',
    }
    for k, v in frames.items():
        put('ingress', k, raw(v))

    # vhost-user: QEMU's start-up sequence, then a ring written and kicked
    def msg(req, flags, payload=b''):
        return struct.pack('<III', req, flags | 1, len(payload)) + payload
    q = b''
    q += msg(1, 0)                                   # GET_FEATURES
    q += msg(15, 0)                                  # GET_PROTOCOL_FEATURES
    q += msg(16, 0, struct.pack('<Q', 1 << 3))
    q += msg(3, 8)                                   # SET_OWNER
    q += msg(2, 8, struct.pack('<Q', (1 << 32) | (1 << 15) | (1 << 30)))
    q += msg(5, 8, struct.pack('<IIQQQQ', 1, 0, 0x40000000, 1 << 20,
                               0x7f0000000000, 0))
    for idx in (0, 1):
        base = idx * 0x4000
        q += msg(8, 0, struct.pack('<II', idx, 256))
        q += msg(10, 0, struct.pack('<II', idx, 0))
        q += msg(9, 0, struct.pack('<IIQQQQ', idx, 0,
                                   0x7f0000000000 + base,
                                   0x7f0000000000 + base + 0x2000,
                                   0x7f0000000000 + base + 0x1000, 0))
        q += msg(13, 0, struct.pack('<Q', idx))
        q += msg(12, 0, struct.pack('<Q', idx))
        q += msg(18, 8, struct.pack('<II', idx, 1))
    put('vhost_user', 'start', q)
    # TX queue (1): one descriptor at 0x40000 (12-byte header + ARP)
    frame = bytes(12) + raw(frames['arp'])
    desc = struct.pack('<QIHH', 0x40000000 + 0x40000, len(frame), 0, 0)
    avail = struct.pack('<HHH', 0, 1, 0)
    w = b''
    w += struct.pack('<III', 0x7fff, 0x40000, len(frame)) + frame
    w += struct.pack('<III', 0x7fff, 0x4000, len(desc)) + desc
    w += struct.pack('<III', 0x7fff, 0x5000, len(avail)) + avail
    put('vhost_user', 'start_tx', q + w)
    put('vhost_user', 'bad_table', msg(5, 0, struct.pack('<IIQQQQ', 9, 0, 0,
                                                       1 << 62, 0, 1 << 63)))


if __name__ == '__main__':
    main()
