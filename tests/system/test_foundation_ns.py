# SPDX-License-Identifier: GPL-2.0-or-later
"""gangway serves a namespace guest: DHCPv4 lease and ARP for the gateway.

The host here has 192.0.2.2/24 via 192.0.2.1, so by default the guest gets
the host's address and the host's gateway.
"""
from harness import NsGuest


def test_ns_guest_gets_host_address_by_dhcp(gangway_bin):
    with NsGuest([]) as ns:
        lease = ns.dhcp4()
        assert lease['ip'] == '192.0.2.2'
        assert lease['mask'] == '24'
        assert lease['router'] == '192.0.2.1'
        assert ns.addr4() == '192.0.2.2/24'
        assert 'default via 192.0.2.1 dev eth0' in ns.sh('ip -4 route')
        assert 'nameserver' in ns.resolv()
        if 'mtu' in lease:
            assert ns.sh('cat /sys/class/net/eth0/mtu').strip() == \
                lease['mtu']
        assert ns.gangway.alive()


def test_ns_guest_resolves_gateway_by_arp(gangway_bin):
    with NsGuest([]) as ns:
        ns.dhcp4()
        mac = ns.arp('192.0.2.1')
        assert mac is not None, 'no ARP reply for the gateway'
        assert mac != '00:00:00:00:00:00'
        own = ns.sh('cat /sys/class/net/eth0/address').strip()
        assert mac != own
        assert ns.gangway.alive()
