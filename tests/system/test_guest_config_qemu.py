# SPDX-License-Identifier: GPL-2.0-or-later
"""A QEMU guest (Debian kernel, busybox) configures itself fully from
gangway, as issue 3 asks: the DHCPv4 lease with every option (busybox
udhcpc), SLAAC and the IPv6 default route (the kernel), a DHCPv6 address,
ping and ping -6 to the gateway, and each switch that takes a part away.

busybox-static has no udhcpc6, so the guest gets ISC dhclient: the host's
/usr/sbin/dhclient with its two libraries is appended to the initramfs as
one more cpio archive (the kernel unpacks concatenated archives in order).
Without dhclient on the host the DHCPv6 checks are skipped here; the
namespace guest (test_ipv6_config.py) runs the same client on its own
kernel.

Traffic goes only to the gateway addresses, which gangway maps to the
host's loopback.
"""
import os
import shutil
import subprocess

import pytest

from harness import QemuGuest, _cpio_newc

MAC = '9a:55:9a:55:9a:01'
DHCLIENT = shutil.which('dhclient')


def _dhclient_files():
    """{path: (mode, bytes)} for dhclient and what its loader needs."""
    files = {}
    dirs = set()

    def add(src, dst):
        parts = dst.split('/')[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add('/'.join(parts[:i]))
        with open(src, 'rb') as f:
            files[dst] = (0o100755, f.read())

    add(os.path.realpath(DHCLIENT), 'sbin/dhclient')
    out = subprocess.run(['ldd', DHCLIENT], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        path = line.split('=>')[-1].split('(')[0].strip()
        if path.startswith('/'):
            add(os.path.realpath(path), path.lstrip('/'))
    tree = {d: (0o040755, b'') for d in sorted(dirs)}
    tree.update(files)
    return tree


class DhclientGuest(QemuGuest):
    """QemuGuest whose initramfs also holds ISC dhclient."""

    def _prepare(self):
        super()._prepare()
        if not DHCLIENT:
            return
        with open(self.test_initrd, 'ab') as out:
            out.write(b'\0' * (-out.tell() % 4))
            out.write(_cpio_newc(_dhclient_files()))


# Shell for the guest: each check prints a RESULT line (tests/guest/guest.sh)
RECEIVED = r'''sed -n 's/.* \([0-9]*\) packets received.*/\1/p' '''

SCRIPT_V4 = r'''
dhcp4 -t 3 && result dhcp ok
result addr "$(ip4_addr)"
result gw "$(ip -4 route show default | awk '{print $3}')"
result mtu "$(cat /sys/class/net/eth0/mtu)"
result ns "$(awk '/^nameserver/ {print $2}' /etc/resolv.conf | tr '\n' ' ')"
result search "$(awk '/^search/ {$1 = ""; print}' /etc/resolv.conf)"
result host "$(lease hostname)"
result gwmac "$(arp_mac 192.0.2.1)"
[ -n "$(ip4_addr)" ] &&
	result ping4 "$(ping -c 3 -W 2 192.0.2.1 | ''' + RECEIVED + r''')"
'''

# A second udhcpc run only to see option 81 (client FQDN), which
# udhcpc.script does not record: busybox exports it as opt81 in hex
SCRIPT_FQDN4 = r'''
printf '#!/bin/sh\n[ "$1" = bound ] && echo "$opt81" > /tmp/opt81\nexit 0\n' \
	> /tmp/env4.sh
chmod 755 /tmp/env4.sh
udhcpc -i eth0 -f -q -n -t 3 -T 1 -O 81 -s /tmp/env4.sh >/dev/null 2>&1
result opt81 "$(cat /tmp/opt81 2>/dev/null)"
'''

SCRIPT_V6 = r'''
a=$(slaac6 ${SLAAC_WAIT:-30}) && result addr6 "$a"
r=$(ip -6 route show default | awk '/^default/ {print $3; exit}')
result router6 "$r"
[ -n "$r" ] && result router6mac "$(neigh_mac "$r")"
result mtu6 "$(cat /proc/sys/net/ipv6/conf/eth0/mtu)"
[ -n "$a" ] &&
	result ping6 "$(ping -6 -c 3 -W 2 fd00::1 | ''' + RECEIVED + r''')"
'''

SCRIPT_DHCPV6 = r'''
if [ -x /sbin/dhclient ]; then
	# dhclient needs a usable link-local address to send from
	n=0
	while ip -6 addr show dev eth0 scope link | grep -q tentative &&
	      [ $n -lt 50 ]; do usleep 100000; n=$((n + 1)); done
	mkdir -p /var/lib/dhcp /var/run
	cat > /tmp/d6.sh <<'EOF'
#!/bin/sh
case "$reason" in BOUND6|RENEW6|REBIND6|REBOOT6)
	# (busybox ip has no "nodad": the address may be tentative a while)
	[ -z "$new_ip6_address" ] ||
		ip -6 addr add "$new_ip6_address/128" dev eth0 ;;
esac
env | grep -E '^(reason|new_)' > /tmp/env.$reason
exit 0
EOF
	chmod 755 /tmp/d6.sh
	printf 'timeout 8;\nrequest dhcp6.name-servers, dhcp6.domain-search, dhcp6.fqdn;\n' > /tmp/d6.conf
	timeout 30 dhclient -6 -1 -v -sf /tmp/d6.sh -cf /tmp/d6.conf \
		-lf /tmp/d6.lease -pf /tmp/d6.pid eth0 > /tmp/d6.log 2>&1
	result d6rc "$?"
	e=/tmp/env.BOUND6
	result d6addr "$(sed -n 's/^new_ip6_address=//p' $e 2>/dev/null)"
	result d6dns "$(sed -n 's/^new_dhcp6_name_servers=//p' $e 2>/dev/null)"
	result d6search "$(sed -n 's/^new_dhcp6_domain_search=//p' $e 2>/dev/null)"
	result d6fqdn "$(sed -n 's/^new_fqdn_fqdn=//p' $e 2>/dev/null)"
	result d6onif "$(ip -6 -o addr show dev eth0 scope global | grep -c '/128')"
	[ -s /tmp/env.BOUND6 ] || tail -n 5 /tmp/d6.log
fi
'''

# After everything: what IPv6 configuration the guest has at all
SCRIPT_V6_STATE = r'''
result v6global "$(ip -6 -o addr show dev eth0 scope global | wc -l)"
result v6default "$(ip -6 route show default | wc -l)"
'''


def boot(args, script, vhost_user=False, env=''):
    with DhclientGuest(args, script=env + script,
                       vhost_user=vhost_user) as q:
        q.run()
        r = q.results()
        assert q.gangway.alive(), q.gangway.logs()
    r['_output'] = q.output[-3000:]
    return r


def need_dhclient(r):
    if not DHCLIENT:
        pytest.skip('no dhclient on the host to give the QEMU guest')
    assert r.get('d6rc') == '0', r


@pytest.mark.qemu
@pytest.mark.parametrize('vhost_user', [False, True],
                         ids=['stream', 'vhost_user'])
def test_qemu_guest_every_option(gangway_bin, vhost_user):
    args = ['-a', '192.0.2.77', '-n', '16', '-a', 'fd00::77',
            '-g', '192.0.2.1', '-M', MAC,
            '-D', '198.51.100.53', '-D', '198.51.100.54', '-D', 'fd00::53',
            '-S', 'example.com lab.example.com', '-H', 'vm1',
            '--fqdn', 'vm1.example.com', '--mtu', '1400']
    r = boot(args, SCRIPT_V4 + SCRIPT_FQDN4 + SCRIPT_V6 + SCRIPT_DHCPV6,
             vhost_user)
    # DHCPv4: every option, as the guest applied it
    assert r.get('dhcp') == 'ok', r
    assert r['addr'] == '192.0.2.77/16', r
    assert r['gw'] == '192.0.2.1', r
    assert r['mtu'] == '1400', r
    assert r['ns'].split() == ['198.51.100.53', '198.51.100.54'], r
    assert r['search'].split() == ['example.com', 'lab.example.com'], r
    assert r['host'] == 'vm1', r
    assert r['gwmac'] == MAC, r
    assert r['ping4'] == '3', r
    opt81 = bytes.fromhex(r['opt81'])   # flags, rcodes, then the name
    assert b'\x03vm1\x07example\x03com\x00' in opt81 or \
        b'vm1.example.com' in opt81, r
    # SLAAC in the host's prefix, default route via our link-local address
    assert r.get('addr6', '').startswith('fd00:'), r
    assert r['addr6'].endswith('/64'), r
    assert r['router6'].startswith('fe80::'), r
    assert r['router6mac'] == MAC, r
    assert r['mtu6'] == '1400', r
    assert r['ping6'] == '3', r
    # DHCPv6 with the guest's own client
    need_dhclient(r)
    assert r['d6addr'] == 'fd00::77', r
    assert r['d6dns'].split() == ['fd00::53'], r
    assert [n.rstrip('.') for n in r['d6search'].split()] == \
        ['example.com', 'lab.example.com'], r
    assert r['d6fqdn'].rstrip('.') == 'vm1.example.com', r
    assert r['d6onif'] == '1', r


@pytest.mark.qemu
def test_qemu_guest_ipv4_only(gangway_bin):
    r = boot(['--ipv4-only'], SCRIPT_V4 + SCRIPT_V6 + SCRIPT_DHCPV6 +
             SCRIPT_V6_STATE, env='SLAAC_WAIT=8\n')
    assert r.get('dhcp') == 'ok' and r['addr'] == '192.0.2.2/24', r
    assert r['ping4'] == '3', r
    assert 'addr6' not in r and 'ping6' not in r, r
    assert r['v6global'] == '0' and r['v6default'] == '0', r
    if DHCLIENT:
        assert r['d6rc'] != '0' and r['d6addr'] == '', r


@pytest.mark.qemu
def test_qemu_guest_ipv6_only(gangway_bin):
    r = boot(['--ipv6-only'], SCRIPT_V4 + SCRIPT_V6 + SCRIPT_DHCPV6)
    # no DHCP answer, no ARP answer: no IPv4 at all
    assert 'dhcp' not in r and r['addr'] == '', r
    assert r['gwmac'] == '', r
    assert 'ping4' not in r, r
    assert r.get('addr6', '').startswith('fd00:'), r
    assert r['ping6'] == '3', r
    need_dhclient(r)
    assert r['d6addr'] == 'fd00::2', r


@pytest.mark.qemu
def test_qemu_guest_no_dns_search_mtu_dhcpv6(gangway_bin):
    args = ['-D', '198.51.100.53', '-S', 'example.com', '--no-dhcp-dns',
            '--no-dhcp-search', '--mtu', '0', '--no-dhcpv6']
    r = boot(args, SCRIPT_V4 + SCRIPT_V6 + SCRIPT_DHCPV6)
    assert r.get('dhcp') == 'ok', r
    assert r['ns'] == '' and r['search'] == '', r
    assert r['mtu'] == '1500', r         # virtio-net's own, untouched
    assert r['ping4'] == '3', r
    assert r.get('addr6', '').startswith('fd00:'), r   # RAs still come
    assert r['mtu6'] == '1500', r
    if DHCLIENT:
        assert r['d6rc'] != '0' and r['d6addr'] == '', r


@pytest.mark.qemu
def test_qemu_guest_no_dhcp_no_ra(gangway_bin):
    # --no-dhcp: the guest sets its address by hand; ARP and echo still work
    script = SCRIPT_V4 + r'''
ip addr add 192.0.2.2/24 dev eth0
result arp "$(arp_mac 192.0.2.1)"
result ping4 "$(ping -c 3 -W 2 192.0.2.1 | ''' + RECEIVED + r''')"
''' + SCRIPT_V6 + SCRIPT_V6_STATE
    r = boot(['--no-dhcp', '--no-ra'], script, env='SLAAC_WAIT=8\n')
    assert 'dhcp' not in r, r
    assert r['arp'] == '9a:55:9a:55:9a:55', r
    assert r['ping4'] == '3', r
    assert 'addr6' not in r, r
    assert r['v6global'] == '0' and r['v6default'] == '0', r


@pytest.mark.qemu
@pytest.mark.parametrize('switch', ['--no-icmp', '--no-ndp'])
def test_qemu_guest_no_icmp_no_ndp(gangway_bin, switch):
    # --no-ndp: no NA, no RA, so no IPv6 configuration; --no-icmp implies
    # it (passt(1)) and also stops echo
    r = boot([switch], SCRIPT_V4 + SCRIPT_V6 + SCRIPT_V6_STATE,
             env='SLAAC_WAIT=8\n')
    assert r.get('dhcp') == 'ok', r
    assert r['ping4'] == ('0' if switch == '--no-icmp' else '3'), r
    assert 'addr6' not in r, r
    assert r['v6global'] == '0' and r['v6default'] == '0', r
