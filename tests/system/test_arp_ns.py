# SPDX-License-Identifier: GPL-2.0-or-later
"""ARP from a namespace guest: the gateway and every other address on the
subnet resolve to our MAC; the guest's own address never does, so its
duplicate address detection succeeds."""
from dhcp_util import COUNTED, OUR_MAC, counters
from harness import NsGuest


def test_arp_gateway_in_neighbour_table(gangway_bin):
    with NsGuest([]) as ns:
        ns.dhcp4()
        assert ns.arp('192.0.2.1') == OUR_MAC
        # the kernel's own resolution: one echo to the gateway (which
        # gangway maps to the host's loopback)
        ns.sh('busybox ping -c 1 -W 2 192.0.2.1', check=False)
        neigh = ns.sh('ip neigh show 192.0.2.1 dev eth0')
        assert 'lladdr ' + OUR_MAC in neigh
        assert 'FAILED' not in neigh


def test_arp_any_subnet_address_is_us(gangway_bin):
    with NsGuest([]) as ns:
        ns.dhcp4()
        assert ns.arp('192.0.2.200') == OUR_MAC
        assert ns.arp('192.0.2.3') == OUR_MAC


def test_arp_own_address_unanswered(gangway_bin):
    with NsGuest([], gangway_opts=COUNTED) as ns:
        ns.dhcp4()
        # from an interface holding 192.0.2.2 this is an announcement
        assert ns.arp('192.0.2.2') is None
        # busybox arping -D probes from 0.0.0.0: exit 0 means nobody
        # else holds the address
        p = ns.sh('busybox arping -D -c 2 -w 2 -I eth0 192.0.2.2',
                  check=False)
        assert p.returncode == 0, p
        c = counters(ns.gangway, 'arp')
        assert c['ignored_guest_addr'] >= 1
        assert c['ignored_announce'] >= 1
        assert c['reply_sent'] == 0
        assert ns.gangway.alive()


def test_arp_reply_uses_our_mac_option(gangway_bin):
    with NsGuest(['-M', '02:11:22:33:44:55']) as ns:
        ns.dhcp4()
        assert ns.arp('192.0.2.1') == '02:11:22:33:44:55'
