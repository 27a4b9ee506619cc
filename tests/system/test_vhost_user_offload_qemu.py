# SPDX-License-Identifier: GPL-2.0-or-later
"""Checksum offloads on the vhost-user link with a real QEMU guest (QEMU
7.2, Debian's virtio_net): gangway offers VIRTIO_NET_F_CSUM and
VIRTIO_NET_F_GUEST_CSUM, the guest takes both, sends TCP and UDP with
partial checksums (NEEDS_CSUM) and accepts what gangway sends without L4
checksums (DATA_VALID). Data must still arrive intact both ways: TCP with
SHA-256 on each side, UDP by TFTP get and put with 65464-byte blocks."""
import hashlib
import os
import re
import socket
import struct
import threading

import pytest

from harness import QemuGuest
from test_udp_qemu import TftpServer
from test_vhost_user_qemu import MAC, HostPeer, pcap_frames

GW4 = '192.0.2.1'
BLK = 65464


class TftpSink:
    """TFTP write requests (RFC 1350 WRQ, RFC 2348 blksize) for one file,
    answered from the port they came to (gangway's UDP flow is that pair
    of ports); keeps what arrived."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.5)
        self.data = None
        self._stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _receive(self, peer, req):
        fields = req[2:].split(b'\0')
        opts = dict(zip(fields[2::2], fields[3::2]))
        block = int(opts.get(b'blksize', b'512'))
        s = self.sock
        if b'blksize' in opts:
            s.sendto(struct.pack('!H', 6) + b'blksize\0%d\0' % block, peer)
        else:
            s.sendto(struct.pack('!HH', 4, 0), peer)
        got, n, idle = [], 1, 0
        while idle < 20:
            try:
                pkt, p = s.recvfrom(65535)
            except socket.timeout:
                idle += 1
                continue
            if p != peer or pkt[:2] != b'\x00\x03':
                continue
            idle = 0
            num = struct.unpack('!H', pkt[2:4])[0]
            if num == n & 0xffff:
                got.append(pkt[4:])
                n += 1
            s.sendto(struct.pack('!HH', 4, num), peer)
            if num == (n - 1) & 0xffff and len(pkt) - 4 < block:
                self.data = b''.join(got)
                return

    def _run(self):
        while not self._stop:
            try:
                req, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if req[:2] == b'\x00\x02':
                self._receive(peer, req)

    def close(self):
        self._stop = True
        self.t.join(3)
        self.sock.close()


SCRIPT = r'''
dhcp4 && result dhcp ok
result features "$(cat /sys/class/net/eth0/device/features)"
result ping "$(ping -c 3 -W 5 %(gw)s | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')"
dd if=/dev/urandom of=/tmp/up bs=1024 count=%(kib)d 2>/dev/null
result up_sha "$(sha256sum /tmp/up | cut -d' ' -f1)"
nc %(gw)s %(up)d < /tmp/up > /dev/null
result up_rc $?
nc %(gw)s %(down)d < /dev/null > /tmp/down
result down_sha "$(sha256sum /tmp/down | cut -d' ' -f1)"
tftp -b %(blk)d -g -r file -l /tmp/get %(gw)s %(get)d && result get ok
result get_sha "$(sha256sum /tmp/get | cut -d' ' -f1)"
dd if=/dev/urandom of=/tmp/put bs=1000 count=700 2>/dev/null
result put_sha "$(sha256sum /tmp/put | cut -d' ' -f1)"
tftp -b %(blk)d -p -l /tmp/put -r put %(gw)s %(put)d && result put ok
'''


def stats(logs, module):
    """Counters of the last 'stats MODULE:' lines, as a dict."""
    out = {}
    for line in logs.splitlines():
        m = re.search(r'stats %s:(.*)$' % module, line)
        if m:
            for k, v in re.findall(r' (\w+)=(\d+)', m.group(1)):
                out[k] = int(v)
    return out


def l4_csum_zero(frame):
    """For an IPv4 TCP or UDP frame: is its L4 checksum field zero?"""
    if frame[12:14] != b'\x08\x00':
        return None
    ihl = (frame[14] & 0x0f) * 4
    proto = frame[23]
    off = {6: 16, 17: 6}.get(proto)
    if off is None or len(frame) < 14 + ihl + off + 2:
        return None
    return frame[14 + ihl + off:14 + ihl + off + 2] == b'\0\0'


@pytest.mark.qemu
def test_vhost_user_csum_offload_tcp_udp(gangway_bin, tmp_path):
    kib = 4096
    peer = HostPeer(kib * 1024)
    data = os.urandom(5 * BLK + 123)
    get = TftpServer(data)
    put = TftpSink()
    log = str(tmp_path / 'gangway.log')
    pcap = str(tmp_path / 'vu.pcap')
    script = SCRIPT % {'gw': GW4, 'kib': kib, 'blk': BLK,
                       'up': peer.up.getsockname()[1],
                       'down': peer.down.getsockname()[1],
                       'get': get.port, 'put': put.port}
    try:
        with QemuGuest(['-d', '-l', log, '--pcap', pcap], vhost_user=True,
                       mac=MAC, script=script, timeout=600) as q:
            q.run()
            r = q.results()
            assert q.gangway.alive()
            for t in peer.threads:
                t.join(30)
            put.t.join(5)
    finally:
        peer.close()
        get.close()
        put.close()
    with open(log) as f:
        logs = f.read()

    assert r.get('dhcp') == 'ok', q.output[-3000:]
    # The guest's view: bit 0 (CSUM) and bit 1 (GUEST_CSUM) negotiated
    feat = r.get('features', '')
    assert feat[:2] == '11', feat
    m = re.findall(r'vhost-user: features 0x([0-9a-f]+)', logs)
    assert m and int(m[-1], 16) & 3 == 3, m

    assert r.get('ping') == '3', r
    assert not peer.errors, peer.errors
    assert r.get('up_rc') == '0', r
    assert peer.got_sha == r['up_sha'], 'guest to host data differs'
    assert r['down_sha'] == peer.sent_sha, 'host to guest data differs'
    assert r.get('get') == 'ok', r
    assert r.get('get_sha') == hashlib.sha256(data).hexdigest(), r
    assert r.get('put') == 'ok', r
    assert put.data is not None and \
        hashlib.sha256(put.data).hexdigest() == r.get('put_sha'), \
        'UDP guest to host data differs'

    # Partial checksums from the guest, taken without verifying them
    link = stats(logs, 'link')
    ingress = stats(logs, 'ingress')
    assert link.get('vu_from_guest_csum_partial', 0) > 100, link
    assert ingress.get('l4_csum_not_verified', 0) > 100, ingress
    assert ingress.get('drop_bad_csum', 0) == 0, ingress
    for k in ('vu_from_guest_drop_hdr', 'vu_from_guest_drop_gso',
              'vu_from_guest_drop_csum_range'):
        assert link.get(k, 0) == 0, link
    # What we sent carried no L4 checksum, and the guest took it all
    ours = [f for f in pcap_frames(pcap)
            if f[6:12] != bytes.fromhex(MAC.replace(':', ''))]
    zero = [l4_csum_zero(f) for f in ours]
    assert zero.count(True) > 100, (zero.count(True), zero.count(False))
    assert 'guest error' not in logs


TSO_SCRIPT = r'''
dhcp4 && result dhcp ok
result mtu "$(cat /sys/class/net/eth0/mtu)"
result features "$(cat /sys/class/net/eth0/device/features)"
dd if=/dev/urandom of=/tmp/up bs=1024 count=%(kib)d 2>/dev/null
result up_sha "$(sha256sum /tmp/up | cut -d' ' -f1)"
nc %(gw)s %(up)d < /tmp/up > /dev/null
result up_rc $?
nc %(gw)s %(down)d < /dev/null > /tmp/down
result down_sha "$(sha256sum /tmp/down | cut -d' ' -f1)"
'''


@pytest.mark.qemu
def test_vhost_user_tso_segments_beyond_mtu(gangway_bin, tmp_path):
    """--mtu 1500, HOST_TSO4/6 negotiated: the guest hands over TCP
    segments far larger than its MTU (GSO), gangway takes them whole and
    the upload arrives intact; the download is unchanged."""
    kib = 4096
    peer = HostPeer(kib * 1024)
    log = str(tmp_path / 'gangway.log')
    pcap = str(tmp_path / 'vu.pcap')
    script = TSO_SCRIPT % {'gw': GW4, 'kib': kib,
                           'up': peer.up.getsockname()[1],
                           'down': peer.down.getsockname()[1]}
    try:
        with QemuGuest(['--mtu', '1500', '-d', '-l', log, '--pcap', pcap],
                       vhost_user=True, mac=MAC, script=script,
                       timeout=600) as q:
            q.run()
            r = q.results()
            assert q.gangway.alive()
            for t in peer.threads:
                t.join(30)
    finally:
        peer.close()
    with open(log) as f:
        logs = f.read()
    assert r.get('dhcp') == 'ok', q.output[-3000:]
    assert r.get('mtu') == '1500', r
    feat = r.get('features', '')
    assert feat[11:13] == '11', feat        # HOST_TSO4, HOST_TSO6
    assert not peer.errors, peer.errors
    assert r.get('up_rc') == '0', r
    assert peer.got_sha == r['up_sha'], 'guest to host data differs'
    assert r['down_sha'] == peer.sent_sha, 'host to guest data differs'
    link = stats(logs, 'link')
    assert link.get('vu_from_guest_gso', 0) > 10, link
    assert link.get('vu_from_guest_drop_gso', 0) == 0, link
    mac = bytes.fromhex(MAC.replace(':', ''))
    sizes = [len(f) for f in pcap_frames(pcap) if f[6:12] == mac]
    assert max(sizes) > 1514 * 4, max(sizes)
    assert 'guest error' not in logs
