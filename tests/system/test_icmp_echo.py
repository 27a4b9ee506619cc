# SPDX-License-Identifier: GPL-2.0-or-later
"""ICMP and ICMPv6 echo from the guest, carried on ping sockets.

Pinging the gateway reaches the host's loopback through the address mapping.
busybox ping only accepts replies carrying its own echo identifier, so a
successful ping also shows that the kernel's identifier was mapped back.
"""
import re
import subprocess

import pytest

from harness import NsGuest

GW4 = '192.0.2.1'
# The IPv6 gateway the guest is given (the host's), mapped to ::1
GW6 = 'fd00::1'
BUSYBOX = '/bin/busybox'


@pytest.fixture(autouse=True)
def ping_sockets_allowed():
    """Let every group open ping sockets. Not restored afterwards: other
    test runs on this machine may be relying on it at the same time."""
    subprocess.run(['sysctl', '-qw',
                    'net.ipv4.ping_group_range=0 2147483647'], check=True)


def ping(ns, args):
    return ns.sh('%s ping %s' % (BUSYBOX, args), check=False, timeout=30)


def received(out):
    m = re.search(r'(\d+) packets received', out)
    return int(m.group(1)) if m else 0


def test_ping_gateway_ipv4():
    with NsGuest() as ns:
        ns.dhcp4()
        out = ping(ns, '-c 3 -W 2 %s' % GW4)
        assert received(out) == 3, out + out.stderr


def test_ping_gateway_large_payload():
    with NsGuest() as ns:
        ns.dhcp4()
        out = ping(ns, '-c 2 -W 2 -s 8000 %s' % GW4)
        assert received(out) == 2, out + out.stderr


def test_ping_two_ids_at_once():
    """Two pings in parallel use two identifiers: two flows, each sees
    only its own replies."""
    with NsGuest() as ns:
        ns.dhcp4()
        out = ns.sh('(%s ping -c 4 -i 0.2 -W 2 %s > /tmp/gw-p1.$$ &'
                    ' %s ping -c 4 -i 0.2 -W 2 %s > /tmp/gw-p2.$$; wait;'
                    ' cat /tmp/gw-p1.$$ /tmp/gw-p2.$$;'
                    ' rm -f /tmp/gw-p1.$$ /tmp/gw-p2.$$)' %
                    (BUSYBOX, GW4, BUSYBOX, GW4), check=False, timeout=30)
        counts = [int(x) for x in re.findall(r'(\d+) packets received', out)]
        assert counts == [4, 4], out


def test_ping6_gateway():
    with NsGuest() as ns:
        ns.slaac6()
        out = ping(ns, '-6 -c 3 -W 2 %s' % GW6)
        assert received(out) == 3, out + out.stderr


def test_no_icmp_stops_ping():
    with NsGuest(gangway_args=['--no-icmp']) as ns:
        ns.dhcp4()
        out = ping(ns, '-c 2 -W 1 %s' % GW4)
        assert received(out) == 0, out
