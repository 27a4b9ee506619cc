# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/test_tcp_qemu.py - TCP for a real QEMU guest (stream link)

The guest (Debian kernel, virtio-net, busybox) leases its address, then
with busybox nc: uploads 8 MiB to a server on the host's loopback and
downloads 8 MiB from another, both reached through the gateway address,
and accepts one inbound connection forwarded by -t. SHA-256 on both
sides. (vhost-user is covered by test_vhost_user_qemu.py.)
"""
import hashlib
import socket
import threading
import time

import pytest

from harness import HostTransfer, QemuGuest, free_ports

GW4 = '192.0.2.1'
FWD_HOST = free_ports()         # -t: free, and reserved for this module
FWD_GUEST = 8080
KIB = 8192

FWD_SCRIPT = r'''
nc -l -p %(fwd)d > /tmp/in
result in_sha "$(sha256sum /tmp/in | cut -d' ' -f1)"
'''


class ForwardClient(threading.Thread):
    """Connects to the -t port until the guest's nc -l takes it, sends
    1 MiB and half-closes; sent_sha once the guest has closed too."""

    def __init__(self, payload):
        super().__init__(daemon=True)
        self.payload = payload
        self.sent_sha = None
        self.error = None
        self.start()

    def run(self):
        end = time.monotonic() + 300
        while time.monotonic() < end:
            c = socket.socket()
            c.settimeout(30)
            try:
                c.connect(('127.0.0.1', FWD_HOST))
                c.sendall(self.payload)
                c.shutdown(socket.SHUT_WR)
                if c.recv(1) == b'':
                    self.sent_sha = hashlib.sha256(self.payload).hexdigest()
                    return
            except OSError:
                pass		# not listening yet in the guest: reset
            finally:
                c.close()
            time.sleep(0.5)
        self.error = 'forward: guest never took the connection'


@pytest.mark.qemu
def test_qemu_guest_tcp_both_ways_and_forwarded(gangway_bin):
    with HostTransfer(KIB * 1024, timeout=300) as peer:
        fwd = ForwardClient(peer.data[:1 << 20])
        script = ('dhcp4 && result dhcp ok\n' + peer.guest_script(GW4) +
                  FWD_SCRIPT % {'fwd': FWD_GUEST})
        with QemuGuest(['-t', '%d:%d' % (FWD_HOST, FWD_GUEST)],
                       script=script, timeout=600) as q:
            q.run()
            r = q.results()
            peer.join()
            fwd.join(30)
    assert r.get('dhcp') == 'ok', q.output
    peer.check(r, q.output)
    assert fwd.error is None, fwd.error
    assert r['in_sha'] == fwd.sent_sha, 'forwarded data differs'
