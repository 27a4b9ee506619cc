# SPDX-License-Identifier: GPL-2.0-or-later
"""UDP, ICMP echo and DNS redirection for a real QEMU guest, over the stream
transport and over vhost-user.

The guest (Debian kernel, busybox) pings the gateway, asks a DNS question of
the --dns-forward address (answered by a fake server of ours on a loopback
address, via --dns-host), and fetches a file over TFTP from a server of ours
on the host's 127.0.0.1, reached through the gateway address.
"""
import hashlib
import os

import pytest

from harness import QemuGuest
from test_dns_forward import FAKE_A, FakeDns
from tftp import TftpServer

GW4 = '192.0.2.1'


SCRIPT = r'''
dhcp4 && result dhcp ok
result ping "$(ping -c 3 -W 3 %(gw)s | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')"
result dns "$(nslookup -type=a qemu.example.test %(gw)s 2>/dev/null | sed -n 's/^Address: *\([0-9.]*\)$/\1/p' | tail -n 1)"
tftp -g -r file -l /tmp/file %(gw)s %(tftp_port)d && result tftp ok
result sha "$(sha256sum /tmp/file | cut -d' ' -f1)"
result mtu "$(cat /sys/class/net/eth0/mtu)"
tftp -b 65464 -g -r file -l /tmp/big %(gw)s %(tftp_port)d && result tftp_big ok
result sha_big "$(sha256sum /tmp/big | cut -d' ' -f1)"
'''


@pytest.mark.qemu
@pytest.mark.parametrize('vhost_user', [False, True],
                         ids=['stream', 'vhost-user'])
def test_qemu_guest_ping_dns_tftp(gangway_bin, vhost_user):
    dns = FakeDns()
    data = os.urandom(300 * 1024 + 17)
    tftp = TftpServer(data)
    try:
        args = ['--dns-forward', GW4, '--dns-host', dns.addr]
        script = SCRIPT % {'gw': GW4, 'tftp_port': tftp.port}
        with QemuGuest(args, script=script, vhost_user=vhost_user) as q:
            q.run()
            r = q.results()
            assert q.gangway.alive()
        assert r.get('dhcp') == 'ok', q.output[-3000:]
        assert r.get('ping') == '3', r
        assert r.get('dns') == FAKE_A, r
        assert dns.queries >= 1
        assert r.get('tftp') == 'ok', r
        assert r.get('sha') == hashlib.sha256(data).hexdigest(), r
        # 65464-byte blocks: one 65496-byte IPv4 packet per frame
        assert r.get('mtu') == '65520', r
        assert tftp.blksize == 65464
        assert r.get('tftp_big') == 'ok', r
        assert r.get('sha_big') == hashlib.sha256(data).hexdigest(), r
    finally:
        tftp.close()
        dns.close()
