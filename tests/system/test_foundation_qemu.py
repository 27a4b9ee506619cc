# SPDX-License-Identifier: GPL-2.0-or-later
"""gangway serves a QEMU guest (virtio-net on -netdev stream, launched as
QEMU 10.1 launches it): DHCPv4 lease and ARP for the gateway."""
import pytest

from harness import LEASE_SCRIPT, QemuGuest

SCRIPT = LEASE_SCRIPT + r'''
result gwmac "$(arp_mac 192.0.2.1)"
result mac "$(cat /sys/class/net/eth0/address)"
'''


@pytest.mark.qemu
def test_qemu_guest_gets_lease_and_arp(gangway_bin):
    with QemuGuest([], script=SCRIPT) as q:
        q.run()
        r = q.results()
        assert q.gangway.alive()
    assert r['dhcp'] == 'ok'
    assert r['addr'] == '192.0.2.2/24'
    assert r['gw'] == '192.0.2.1'
    assert r['ns']
    assert len(r['gwmac'].split(':')) == 6
    assert r['gwmac'] != r['mac']
