# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/test_tcp_qemu.py - TCP for a real QEMU guest (stream link)

The guest (Debian kernel, virtio-net, busybox) leases its address, then
with busybox nc: uploads 8 MiB to a server on the host's loopback and
downloads 8 MiB from another, both reached through the gateway address,
and accepts one inbound connection forwarded by -t. SHA-256 on both
sides. (vhost-user is covered by test_vhost_user_qemu.py.)
"""
import hashlib
import os
import socket
import threading
import time

import pytest

from harness import QemuGuest

GW4 = '192.0.2.1'
FWD_HOST = 31500
FWD_GUEST = 8080
KIB = 8192

SCRIPT = r'''
dhcp4 && result dhcp ok
dd if=/dev/urandom of=/tmp/up bs=1024 count=%(kib)d 2>/dev/null
result up_sha "$(sha256sum /tmp/up | cut -d' ' -f1)"
nc %(gw)s %(up)d < /tmp/up > /dev/null
result up_rc $?
nc %(gw)s %(down)d < /dev/null > /tmp/down
result down_sha "$(sha256sum /tmp/down | cut -d' ' -f1)"
nc -l -p %(fwd)d > /tmp/in
result in_sha "$(sha256sum /tmp/in | cut -d' ' -f1)"
'''


class Peer:
    """Upload sink, download source, and the -t client, on loopback."""

    def __init__(self, size):
        self.size = size
        self.data = os.urandom(size)
        self.sha = hashlib.sha256(self.data).hexdigest()
        self.got_sha = None
        self.fwd_sent = None
        self.errors = []
        self.up = self._listen()
        self.down = self._listen()
        self.threads = [threading.Thread(target=f, daemon=True)
                        for f in (self._upload, self._download, self._fwd)]
        for t in self.threads:
            t.start()

    @staticmethod
    def _listen():
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        s.listen(1)
        s.settimeout(300)
        return s

    def _upload(self):
        try:
            c, _ = self.up.accept()
            h, n = hashlib.sha256(), 0
            while True:
                b = c.recv(65536)
                if not b:
                    break
                h.update(b)
                n += len(b)
            self.got_sha = h.hexdigest()
            c.close()
        except OSError as e:
            self.errors.append('upload: %s' % e)

    def _download(self):
        try:
            c, _ = self.down.accept()
            c.sendall(self.data)
            c.close()
        except OSError as e:
            self.errors.append('download: %s' % e)

    def _fwd(self):
        """Connect to the -t port until the guest's nc -l takes it."""
        payload = self.data[:1 << 20]
        end = time.monotonic() + 300
        while time.monotonic() < end:
            c = socket.socket()
            c.settimeout(30)
            try:
                c.connect(('127.0.0.1', FWD_HOST))
                c.sendall(payload)
                c.shutdown(socket.SHUT_WR)
                if c.recv(1) == b'':
                    self.fwd_sent = hashlib.sha256(payload).hexdigest()
                    return
            except OSError:
                pass		# not listening yet in the guest: reset
            finally:
                c.close()
            time.sleep(0.5)
        self.errors.append('forward: guest never took the connection')

    def ports(self):
        return self.up.getsockname()[1], self.down.getsockname()[1]


@pytest.mark.qemu
def test_qemu_guest_tcp_both_ways_and_forwarded(gangway_bin):
    peer = Peer(KIB * 1024)
    up, down = peer.ports()
    script = SCRIPT % {'kib': KIB, 'gw': GW4, 'up': up, 'down': down,
                       'fwd': FWD_GUEST}
    try:
        with QemuGuest(['-t', '%d:%d' % (FWD_HOST, FWD_GUEST)],
                       script=script, timeout=600) as q:
            q.run()
            r = q.results()
            for t in peer.threads:
                t.join(30)
    finally:
        peer.up.close()
        peer.down.close()
    assert not peer.errors, peer.errors
    assert r.get('dhcp') == 'ok', q.output
    assert r.get('up_rc') == '0', q.output
    assert peer.got_sha == r['up_sha'], 'guest to host data differs'
    assert r['down_sha'] == peer.sha, 'host to guest data differs'
    assert r['in_sha'] == peer.fwd_sent, 'forwarded data differs'
