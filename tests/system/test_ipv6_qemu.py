# SPDX-License-Identifier: GPL-2.0-or-later
"""IPv6 configuration of a QEMU guest (virtio-net, Debian kernel) over the
stream link and over vhost-user: SLAAC address in the host's prefix, a
default route via our link-local address learned from the RA (with our
MAC from its source link-layer option), the RA MTU, and DAD that
succeeds. Nothing leaves gangway: the guest only listens to it."""
import pytest

from harness import QemuGuest

OUR_MAC = '9a:55:9a:55:9a:55'

SCRIPT = r'''
a=$(slaac6 30) && result addr "$a"
result routes "$(ip -6 route | tr '\n' ';')"
r=$(ip -6 route | awk '/^default/ {print $3; exit}')
result router "$r"
result routermac "$(neigh_mac "$r")"
result mtu "$(cat /proc/sys/net/ipv6/conf/eth0/mtu)"
sleep 2
result dadbad "$(ip -6 addr show dev eth0 | grep -c -E 'dadfailed|tentative')"
result ll "$(ip -6 -o addr show dev eth0 scope link | awk '{print $4}')"
'''


@pytest.mark.qemu
@pytest.mark.parametrize('vhost_user', [False, True],
                         ids=['stream', 'vhost-user'])
def test_qemu_guest_slaac_route_mtu(gangway_bin, vhost_user):
    with QemuGuest(['-M', OUR_MAC, '--mtu', '1400'], script=SCRIPT,
                   vhost_user=vhost_user) as q:
        q.run()
        r = q.results()
        assert q.gangway.alive()
    assert r.get('addr', '').startswith('fd00:'), q.output[-3000:]
    assert r['addr'].endswith('/64')
    assert r['router'].startswith('fe80::'), r
    assert r['routermac'] == OUR_MAC, r
    assert r['mtu'] == '1400', r
    assert r['dadbad'] == '0', r
    assert r['ll'].startswith('fe80::'), r
