# SPDX-License-Identifier: GPL-2.0-or-later
"""DHCPv4 and ARP for a QEMU guest (virtio-net on the stream socket, as
QEMU 10.1 -netdev passt uses it, and on vhost-user): the kernel's own
driver on the other side."""
import pytest

from harness import LEASE_SCRIPT, QemuGuest

SCRIPT = LEASE_SCRIPT + r'''
result search "$(awk '/^search/ {print $2; exit}' /etc/resolv.conf)"
result host "$(lease hostname)"
result gwmac "$(arp_mac 192.0.2.1)"
'''


@pytest.mark.qemu
@pytest.mark.parametrize('vhost_user', [False, True],
                         ids=['stream', 'vhost_user'])
def test_dhcp4_qemu_guest_lease(gangway_bin, vhost_user):
    args = ['-D', '198.51.100.53', '-S', 'example.com', '-H', 'vm1',
            '--mtu', '1500']
    with QemuGuest(args, script=SCRIPT, vhost_user=vhost_user) as q:
        q.run()
        r = q.results()
        assert q.gangway.alive()
    assert r['dhcp'] == 'ok'
    assert r['addr'] == '192.0.2.2/24'
    assert r['gw'] == '192.0.2.1'
    assert r['mtu'] == '1500'
    assert r['ns'] == '198.51.100.53'
    assert r['search'] == 'example.com'
    assert r['host'] == 'vm1'
    assert r['gwmac'] == '9a:55:9a:55:9a:55'
