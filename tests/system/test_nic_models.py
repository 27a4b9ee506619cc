# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/test_nic_models.py - NIC models other than virtio-net

QEMU 10.1 users put any NIC model on -netdev passt: e1000 (the default of
many management tools and of old Windows guests), rtl8139, e1000e. On a
real wire no frame is shorter than 60 bytes (FCS left out); QEMU's NIC
models no longer pad what a back-end hands them, so gangway pads every
frame it sends on the stream link (ARP replies, small ICMP echo replies,
TCP ACKs) itself. Without that, e1000e counted every short frame as a
receive length error (Linux 6.1, QEMU 7.2: rx_length_errors rose by one per
frame under 60 bytes).

One boot per NIC model (TCG, ~20 s each), gangway launched as QEMU 10.1
launches it, with --pcap; the guest leases its address, resolves the
gateway by ARP, pings it with default and with empty payloads, moves
512 KiB each way to loopback servers through the gateway (SHA-256 on both
sides) and reports its receive error counters. The checks:
  - DHCP lease, ARP and ping answered, transfer intact both ways;
  - the guest's NIC counted no receive errors;
  - every frame gangway sent is at least 60 bytes, its padding zero, and
    short frames were among them (so the padding was exercised);
  - the e1000 guest pads its own short frames to 60 bytes (Linux's e1000
    driver does): its padded ARP requests and echo requests were answered.
virtio-net on the stream link and on vhost-user is covered by the other
*_qemu.py tests.
"""
import struct

import pytest

from harness import HostTransfer, QemuGuest

GW4 = '192.0.2.1'
GUEST_MAC = '52:54:00:12:34:56'
ETH_ZLEN = 60

SCRIPT = r'''
stat() { cat /sys/class/net/eth0/statistics/$1; }
received() { sed -n 's/.*, \([0-9]*\) packets received.*/\1/p'; }
dhcp4
result dhcp_rc $?
result addr "$(ip4_addr)"
result gwmac "$(arp_mac %(gw)s)"
result ping "$(ping -c 3 -w 10 %(gw)s | received)"
result ping_empty "$(ping -c 3 -s 0 -w 10 %(gw)s | received)"
%(transfer)s
result rx_packets "$(stat rx_packets)"
result rx_errors "$(stat rx_errors)"
result rx_length_errors "$(stat rx_length_errors)"
result rx_crc_errors "$(stat rx_crc_errors)"
result rx_frame_errors "$(stat rx_frame_errors)"
'''

MODELS = ['e1000', 'rtl8139', 'e1000e']


def pcap_frames(path):
    """Frames of a classic pcap file, as bytes."""
    with open(path, 'rb') as f:
        data = f.read()
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack('<I', data[off + 8:off + 12])[0]
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def content_len(frame):
    """Bytes of the frame that are Ethernet header plus what the header
    inside says it holds (IPv4 total length, IPv6 payload, ARP), or None
    for other EtherTypes."""
    etype = struct.unpack('!H', frame[12:14])[0]
    if etype == 0x0800:
        return 14 + struct.unpack('!H', frame[16:18])[0]
    if etype == 0x86dd:
        return 14 + 40 + struct.unpack('!H', frame[18:20])[0]
    if etype == 0x0806:
        return 14 + 28
    return None


class Booted:
    """What one boot left: the guest's results and serial console, the
    frames gangway sent to it, the transfer."""

    def __init__(self, nic, results, output, sent, got, transfer):
        self.nic = nic
        self.r = results
        self.output = output
        self.sent = sent
        self.got = got
        self.transfer = transfer


@pytest.fixture(scope='module', params=MODELS)
def booted(request, tmp_path_factory):
    nic = request.param
    cap = str(tmp_path_factory.mktemp(nic) / 'link.pcap')
    with HostTransfer(512 << 10, timeout=300) as t:
        script = SCRIPT % {'gw': GW4, 'transfer': t.guest_script(GW4)}
        with QemuGuest(gangway_args=['--pcap', cap], script=script,
                       nic=nic, mac=GUEST_MAC, timeout=300) as q:
            q.run()
        t.join()
        mac = bytes.fromhex(GUEST_MAC.replace(':', ''))
        frames = list(pcap_frames(cap))
        sent = [f for f in frames if f[6:12] != mac]
        got = [f for f in frames if f[6:12] == mac]
        yield Booted(nic, q.results(), q.output, sent, got, t)


def test_dhcp_lease(booted):
    assert booted.r.get('dhcp_rc') == '0', booted.output
    assert booted.r.get('addr') == '192.0.2.2/24', booted.output


def test_arp_and_ping_gateway(booted):
    assert len(booted.r.get('gwmac', '').split(':')) == 6, booted.output
    assert booted.r.get('ping') == '3', booted.output
    assert booted.r.get('ping_empty') == '3', booted.output


def test_tcp_transfer_through_gateway(booted):
    booted.transfer.check(booted.r, booted.output)


def test_guest_counts_no_receive_errors(booted):
    assert int(booted.r['rx_packets']) > 100, booted.output
    for name in ('rx_errors', 'rx_length_errors', 'rx_crc_errors',
                 'rx_frame_errors'):
        assert booted.r.get(name) == '0', (booted.nic, name, booted.output)


def test_no_frame_to_guest_shorter_than_60(booted):
    assert len(booted.sent) > 100
    short = [len(f) for f in booted.sent if len(f) < ETH_ZLEN]
    assert not short, 'frames shorter than 60 bytes: %s' % short[:20]


def padded_kinds(frames):
    """Frames longer than their content, zero-padded or not, by
    (EtherType, IP protocol or None)."""
    padded = {}
    for f in frames:
        n = content_len(f)
        if n is None or n >= len(f):
            continue
        key = struct.unpack('!H', f[12:14])[0], f[23] if f[12:14] == \
            b'\x08\x00' else None
        padded[key] = padded.get(key, 0) + 1
    return padded


def test_guest_padded_frames_answered(booted):
    if booted.nic != 'e1000':
        pytest.skip('only the e1000 driver pads what it sends')
    padded = padded_kinds(booted.got)
    assert padded.get((0x0806, None)), padded       # ARP request
    assert padded.get((0x0800, 1)), padded          # ICMP echo request
    assert len(booted.r.get('gwmac', '').split(':')) == 6, booted.output
    assert booted.r.get('ping_empty') == '3', booted.output


def test_padding_is_zero_and_was_used(booted):
    for f in booted.sent:
        n = content_len(f)
        if n is not None and n < len(f):
            assert f[n:] == bytes(len(f) - n), f.hex()
    padded = padded_kinds(booted.sent)
    assert padded.get((0x0806, None)), padded       # ARP reply
    assert padded.get((0x0800, 1)), padded          # ICMP echo reply
    assert padded.get((0x0800, 6)), padded          # TCP ACK
