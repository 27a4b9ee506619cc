# SPDX-License-Identifier: GPL-2.0-or-later
"""DHCPv4 to a namespace guest (busybox udhcpc): what the lease carries,
and what each --no-* option and --mtu 0 take away.

The host has 192.0.2.2/24 via 192.0.2.1, so by default the guest gets
192.0.2.2/24 with router 192.0.2.1 and server id 192.0.2.1.
"""
import pytest

from dhcp_util import COUNTED, counters
from harness import NsGuest

FULL = ['-D', '198.51.100.53', '-S', 'example.com lab.example.com',
        '-H', 'myguest', '--fqdn', 'myguest.example.com', '--mtu', '1500']


def test_dhcp4_default_lease(gangway_bin):
    with NsGuest([]) as ns:
        lease = ns.dhcp4()
        assert lease['ip'] == '192.0.2.2'
        assert lease['mask'] == '24'
        assert lease['router'] == '192.0.2.1'
        assert lease['serverid'] == '192.0.2.1'
        assert lease['lease'] == '86400'
        assert lease['mtu'] == '65520'
        assert ns.addr4() == '192.0.2.2/24'
        assert 'default via 192.0.2.1 dev eth0' in ns.sh('ip -4 route')
        assert ns.sh('cat /sys/class/net/eth0/mtu').strip() == '65520'
        assert 'nameserver' in ns.resolv()
        assert ns.gangway.alive()


def test_dhcp4_options_from_command_line(gangway_bin):
    with NsGuest(FULL) as ns:
        lease = ns.dhcp4()
        assert lease['dns'].split() == ['198.51.100.53']
        assert lease['search'].split() == ['example.com', 'lab.example.com']
        assert lease['hostname'] == 'myguest'
        assert lease['mtu'] == '1500'
        assert ns.sh('cat /sys/class/net/eth0/mtu').strip() == '1500'
        resolv = ns.resolv().splitlines()
        assert 'nameserver 198.51.100.53' in resolv
        assert any(l.split()[:3] == ['search', 'example.com',
                                     'lab.example.com'] for l in resolv)


def test_dhcp4_address_from_command_line(gangway_bin):
    with NsGuest(['-a', '192.0.2.77', '-n', '24', '-g', '192.0.2.1']) as ns:
        lease = ns.dhcp4()
        assert lease['ip'] == '192.0.2.77'
        assert ns.addr4() == '192.0.2.77/24'


def test_dhcp4_no_dhcp_dns_removes_nameservers(gangway_bin):
    with NsGuest(FULL + ['--no-dhcp-dns']) as ns:
        lease = ns.dhcp4()
        assert 'dns' not in lease
        assert 'nameserver' not in ns.resolv()
        assert lease['search'].split() == ['example.com', 'lab.example.com']


def test_dhcp4_no_dhcp_search_removes_search(gangway_bin):
    with NsGuest(FULL + ['--no-dhcp-search']) as ns:
        lease = ns.dhcp4()
        assert 'search' not in lease
        assert 'search' not in ns.resolv()
        assert lease['dns'].split() == ['198.51.100.53']


def test_dhcp4_mtu_zero_removes_mtu(gangway_bin):
    args = [a for a in FULL if a not in ('--mtu', '1500')] + ['--mtu', '0']
    with NsGuest(args) as ns:
        before = ns.sh('cat /sys/class/net/eth0/mtu').strip()
        lease = ns.dhcp4()
        assert 'mtu' not in lease
        assert ns.sh('cat /sys/class/net/eth0/mtu').strip() == before
        assert lease['hostname'] == 'myguest'


def test_dhcp4_no_dhcp_gives_no_lease(gangway_bin):
    with NsGuest(['--no-dhcp'], gangway_opts=COUNTED) as ns:
        with pytest.raises(AssertionError, match='DHCPv4 failed'):
            ns.dhcp4(args=['-t', '2'])
        assert ns.addr4() is None
        c = counters(ns.gangway, 'ingress')
        assert c['drop_dhcp_off'] >= 2
        assert ns.gangway.alive()


def test_dhcp4_requested_other_address_gets_ours(gangway_bin):
    # udhcpc -r asks for 192.0.2.99: we offer and acknowledge 192.0.2.2
    with NsGuest([], gangway_opts=COUNTED) as ns:
        lease = ns.dhcp4(args=['-r', '192.0.2.99'])
        assert lease['ip'] == '192.0.2.2'
        c = counters(ns.gangway, 'dhcp')
        assert c['offer'] >= 1
        assert c['ack'] >= 1


def test_dhcp4_renew_after_lease(gangway_bin):
    # A second udhcpc run asks for the address it holds (INIT-REBOOT)
    with NsGuest([], gangway_opts=COUNTED) as ns:
        ns.dhcp4()
        lease = ns.dhcp4(args=['-r', '192.0.2.2'])
        assert lease['ip'] == '192.0.2.2'
        c = counters(ns.gangway, 'dhcp')
        assert c['ack'] >= 2
        assert c['nak'] == 0
