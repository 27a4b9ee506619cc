# SPDX-License-Identifier: GPL-2.0-or-later
"""Namespace guest: addressing options reflected in what the guest
receives, and --ipv6-only leaving no IPv4 configuration (no DHCP answer,
no ARP answer) while IPv6 works. The only addresses pinged are the
gateway addresses gangway maps to the host's loopback."""
import re

import pytest

from dhcp_util import COUNTED, counters
from harness import NsGuest

BUSYBOX = '/bin/busybox'
MAC = '9a:55:9a:55:9a:02'


def received(out):
    m = re.search(r'(\d+) packets received', out)
    return int(m.group(1)) if m else 0


def test_address_netmask_gateway_dns_search_mac(gangway_bin):
    args = ['-a', '10.0.2.15', '-n', '255.255.240.0', '-g', '10.0.2.2',
            '-M', MAC, '-D', '198.51.100.53', '-D', '198.51.100.54',
            '-S', 'a.example b.example', '--mtu', '9000']
    with NsGuest(args) as ns:
        lease = ns.dhcp4()
        assert lease['ip'] == '10.0.2.15', lease
        assert lease['mask'] == '20', lease
        assert lease['router'] == '10.0.2.2', lease
        assert lease['dns'].split() == ['198.51.100.53', '198.51.100.54']
        assert lease['search'].split() == ['a.example', 'b.example']
        assert lease['mtu'] == '9000', lease
        assert ns.addr4() == '10.0.2.15/20'
        assert 'default via 10.0.2.2 dev eth0' in ns.sh('ip -4 route')
        assert ns.sh('cat /sys/class/net/eth0/mtu').strip() == '9000'
        resolv = ns.resolv().splitlines()
        assert 'nameserver 198.51.100.53' in resolv, resolv
        assert 'nameserver 198.51.100.54' in resolv, resolv
        # the gateway and the rest of the subnet answer with --mac-addr
        assert ns.arp('10.0.2.2') == MAC
        assert ns.arp('10.0.8.9') == MAC
        assert ns.gangway.alive()


def test_ipv6_only_leaves_no_ipv4(gangway_bin):
    with NsGuest(['--ipv6-only'], gangway_opts=COUNTED) as ns:
        with pytest.raises(AssertionError, match='DHCPv4 failed'):
            ns.dhcp4(args=['-t', '2'])
        assert ns.addr4() is None
        assert 'default' not in ns.sh('ip -4 route')
        # no ARP answer either, even with an address set by hand
        ns.sh('ip addr add 192.0.2.2/24 dev eth0')
        assert ns.arp('192.0.2.1') is None
        out = ns.sh('%s ping -c 2 -W 1 192.0.2.1' % BUSYBOX, check=False)
        assert received(out) == 0, out
        # IPv6 is all there
        assert ns.slaac6().startswith('fd00:')
        out = ns.sh('%s ping -6 -c 3 -W 2 fd00::1' % BUSYBOX, check=False,
                    timeout=30)
        assert received(out) == 3, out + out.stderr
        # what the guest sent on IPv4 was refused at the door, and counted
        c = counters(ns.gangway, 'ingress')
        assert c['drop_ipv4_off'] >= 2 and c['drop_arp_off'] >= 1, c
        assert c['dhcp'] == 0 and c['arp'] == 0, c
        assert counters(ns.gangway, 'arp')['reply_sent'] == 0
        assert ns.gangway.alive()
