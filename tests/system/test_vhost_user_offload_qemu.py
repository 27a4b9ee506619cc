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

import pytest

from harness import QemuGuest
from test_vhost_user_qemu import MAC, HostPeer, pcap_frames
from lifecycle import parse_stats
from tftp import TftpServer, TftpSink

GW4 = '192.0.2.1'
BLK = 65464


SCRIPT = r'''
dhcp4 && result dhcp ok
result features "$(cat /sys/class/net/eth0/device/features)"
result ping "$(ping -c 3 -W 5 %(gw)s | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')"
%(transfer)s
tftp -b %(blk)d -g -r file -l /tmp/get %(gw)s %(get)d && result get ok
result get_sha "$(sha256sum /tmp/get | cut -d' ' -f1)"
dd if=/dev/urandom of=/tmp/put bs=1000 count=700 2>/dev/null
result put_sha "$(sha256sum /tmp/put | cut -d' ' -f1)"
tftp -b %(blk)d -p -l /tmp/put -r put %(gw)s %(put)d && result put ok
'''


def stats(logs, module):
    """Counters of the last 'stats MODULE:' lines, as a dict."""
    return parse_stats(logs).get(module, {})


def run_guest(tmp_path, args, script, peer):
    """Boot a vhost-user guest on gangway (debug log and capture in
    tmp_path) with the script, the transfer of peer included; return its
    results, serial console, log text and capture path."""
    log = str(tmp_path / 'gangway.log')
    pcap = str(tmp_path / 'vu.pcap')
    with QemuGuest(list(args) + ['-d', '-l', log, '--pcap', pcap],
                   vhost_user=True, mac=MAC, script=script,
                   timeout=600) as q:
        q.run()
        r = q.results()
        assert q.gangway.alive()
        peer.join(30)
    with open(log) as f:
        return r, q.output, f.read(), pcap


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
    script = SCRIPT % {'gw': GW4, 'blk': BLK,
                       'transfer': peer.guest_script(GW4),
                       'get': get.port, 'put': put.port}
    try:
        r, out, logs, pcap = run_guest(tmp_path, [], script, peer)
    finally:
        peer.close()
        get.close()
        put.close()

    assert r.get('dhcp') == 'ok', out[-3000:]
    # The guest's view: bit 0 (CSUM) and bit 1 (GUEST_CSUM) negotiated
    feat = r.get('features', '')
    assert feat[:2] == '11', feat
    m = re.findall(r'vhost-user: features 0x([0-9a-f]+)', logs)
    assert m and int(m[-1], 16) & 3 == 3, m

    assert r.get('ping') == '3', r
    peer.check(r, out[-3000:])
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
%(transfer)s
'''


@pytest.mark.qemu
def test_vhost_user_tso_segments_beyond_mtu(gangway_bin, tmp_path):
    """--mtu 1500, HOST_TSO4/6 negotiated: the guest hands over TCP
    segments far larger than its MTU (GSO), gangway takes them whole and
    the upload arrives intact; the download is unchanged."""
    kib = 4096
    peer = HostPeer(kib * 1024)
    script = TSO_SCRIPT % {'transfer': peer.guest_script(GW4)}
    try:
        r, out, logs, pcap = run_guest(tmp_path, ['--mtu', '1500'], script,
                                       peer)
    finally:
        peer.close()
    assert r.get('dhcp') == 'ok', out[-3000:]
    assert r.get('mtu') == '1500', r
    feat = r.get('features', '')
    assert feat[11:13] == '11', feat        # HOST_TSO4, HOST_TSO6
    peer.check(r, out[-3000:])
    link = stats(logs, 'link')
    assert link.get('vu_from_guest_gso', 0) > 10, link
    assert link.get('vu_from_guest_drop_gso', 0) == 0, link
    mac = bytes.fromhex(MAC.replace(':', ''))
    sizes = [len(f) for f in pcap_frames(pcap) if f[6:12] == mac]
    assert max(sizes) > 1514 * 4, max(sizes)
    assert 'guest error' not in logs
