# SPDX-License-Identifier: GPL-2.0-or-later
"""The QEMU guest harness works: boot, script, RESULT lines, power-off,
with Debian's passt on the stream (so it is proven without gangway)."""
import pytest

from harness import LEASE_SCRIPT, QemuGuest, parse_results

SCRIPT = LEASE_SCRIPT + r'''
result gwmac "$(arp_mac "$(lease router)")"
exit 7
'''


def test_parse_results():
    text = 'noise\r\nRESULT a=1\r\nRESULT b=x y\nRESULT a=2\nRESULTc=3\n'
    assert parse_results(text) == {'a': '2', 'b': 'x y'}


@pytest.mark.qemu
def test_qemu_guest_gets_dhcp_lease_through_passt(passt_bin):
    with QemuGuest(script=SCRIPT, gangway_opts={'binary': passt_bin}) as q:
        q.run()
        r = q.results()
        print('guest ran for %.1f s' % q.elapsed)
    assert r['exit'] == '7'         # the script's status is reported
    assert r['dhcp'] == 'ok'
    assert r['addr'].endswith('/24')
    assert r['gw']
    assert r['mtu'] == '65520'
    assert r['ns']
    assert len(r['gwmac'].split(':')) == 6
