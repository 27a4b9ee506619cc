# SPDX-License-Identifier: GPL-2.0-or-later
"""gangway as a vhost-user back-end for a real QEMU guest (QEMU 7.2,
-netdev vhost-user, memfd guest memory): frames cross the virtqueues both
ways, listening on -s PATH and started as QEMU 10.1 starts it (--fd 3)
through tests/harness/vu_relay."""
import os
import subprocess
import struct
import time

import pytest

from harness import Gangway, HarnessError, HostTransfer, QemuGuest, build_dir

MAC = '52:54:00:12:34:56'


def pcap_frames(path):
    """Frames of a pcap file, as bytes."""
    with open(path, 'rb') as f:
        data = f.read()
    assert len(data) >= 24, 'pcap file too short'
    magic = struct.unpack('<I', data[:4])[0]
    assert magic in (0xa1b2c3d4, 0xa1b23c4d)
    off, out = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack('<I', data[off + 8:off + 12])[0]
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def is_dhcp_discover_from(frame, mac):
    src = ':'.join('%02x' % b for b in frame[6:12])
    if src != mac or frame[12:14] != b'\x08\x00':
        return False
    ihl = (frame[14] & 0x0f) * 4
    if frame[23] != 17:
        return False
    dport = struct.unpack('!H', frame[14 + ihl + 2:14 + ihl + 4])[0]
    return dport == 67


@pytest.mark.qemu
def test_vhost_user_guest_frames_reach_gangway(gangway_bin, tmp_path):
    """The guest's DHCP discovers come out of its TX virtqueue whole."""
    pcap = str(tmp_path / 'vu.pcap')
    with QemuGuest(['--pcap', pcap], vhost_user=True, mac=MAC,
                   script='dhcp4; result done yes\n') as q:
        q.run()
        assert q.results().get('done') == 'yes'
        assert q.gangway.alive()
    frames = pcap_frames(pcap)
    assert any(is_dhcp_discover_from(f, MAC) for f in frames), \
        '%d frames, no DHCP discover from %s' % (len(frames), MAC)


class RelayedGangway:
    """gangway started as QEMU 10.1 starts it (socketpair, --vhost-user
    --quiet --pid FILE --fd 3), reached by QEMU 7.2 through vu_relay."""

    def __init__(self, sock_path, gangway_args, opts, timeout=10):
        self.g = Gangway(list(gangway_args) + ['--vhost-user'], **opts)
        relay = os.path.join(build_dir(), 'tests', 'harness', 'vu_relay')
        fd = self.g.sock.fileno()
        self.relay = subprocess.Popen([relay, sock_path, str(fd)],
                                      pass_fds=[fd])
        # Only the relay holds QEMU's end now: its exit is QEMU leaving
        self.g.sock.close()
        self.g.sock = None
        end = time.monotonic() + timeout
        while not os.path.exists(sock_path):
            if time.monotonic() > end or self.relay.poll() is not None:
                self.terminate()
                raise HarnessError('vu_relay did not listen on %s' %
                                   sock_path)
            time.sleep(0.02)

    def alive(self):
        return self.g.alive()

    def terminate(self):
        if self.relay.poll() is None:
            self.relay.kill()
        self.relay.wait()
        return self.g.terminate()

    def crash_report(self):
        return self.g.crash_report()

    def logs(self):
        return self.g.logs()

    def cleanup(self):
        self.g.cleanup()


@pytest.mark.qemu
def test_vhost_user_fd3_as_qemu_10_1_starts_it(gangway_bin, tmp_path):
    """Through the relay, on fd 3: frames arrive, and gangway exits by
    itself (status 0) once QEMU has gone."""
    pcap = str(tmp_path / 'vu.pcap')
    with QemuGuest(['--pcap', pcap], vhost_user=True, mac=MAC,
                   vhost_user_launcher=RelayedGangway,
                   script='dhcp4; result done yes\n') as q:
        q.run()
        assert q.results().get('done') == 'yes'
        g = q.gangway.g
        end = time.monotonic() + 30
        while g.alive() and time.monotonic() < end:
            time.sleep(0.05)
        assert not g.alive(), 'gangway still running after QEMU exited'
        assert os.WIFEXITED(g.status) and os.WEXITSTATUS(g.status) == 0, \
            g.logs()
    frames = pcap_frames(pcap)
    assert any(is_dhcp_discover_from(f, MAC) for f in frames)


# The loopback transfer peer under its old name (other tests import it)
HostPeer = HostTransfer


NET_SCRIPT = r'''
dhcp4 && result dhcp ok
result addr "$(ip4_addr)"
result gw "$(ip -4 route show default | awk '{print $3}')"
result gwmac "$(arp_mac 192.0.2.1)"
result ping "$(ping -c 3 -W 5 192.0.2.1 | sed -n 's/.* \([0-9]*\)% packet loss.*/\1/p')"
'''


def is_dhcp_reply_to(frame, mac):
    dst = ':'.join('%02x' % b for b in frame[0:6])
    if dst not in (mac, 'ff:ff:ff:ff:ff:ff') or frame[12:14] != b'\x08\x00':
        return False
    ihl = (frame[14] & 0x0f) * 4
    if frame[23] != 17:
        return False
    sport = struct.unpack('!H', frame[14 + ihl:14 + ihl + 2])[0]
    return sport == 67


def run_net_guest(launcher=None, kib=8192, extra=(), pcap=None):
    if pcap:
        extra = list(extra) + ['--pcap', pcap]
    with HostTransfer(kib * 1024) as peer:
        with QemuGuest(list(extra), vhost_user=True, mac=MAC,
                       vhost_user_launcher=launcher,
                       script=NET_SCRIPT + peer.guest_script(),
                       timeout=600) as q:
            q.run()
            r = q.results()
            # With --fd, gangway leaves with QEMU (teardown checks status 0)
            assert launcher or q.gangway.alive()
            peer.join()
    assert r.get('dhcp') == 'ok', q.output
    assert r['addr'] == '192.0.2.2/24'
    assert r['gw'] == '192.0.2.1'
    assert len(r['gwmac'].split(':')) == 6
    assert r['ping'] == '0', q.output
    peer.check(r, q.output)
    if pcap:
        frames = pcap_frames(pcap)
        assert any(is_dhcp_discover_from(f, MAC) for f in frames)
        assert any(is_dhcp_reply_to(f, MAC) for f in frames)
        # Both directions of the transfer are in the capture too
        assert sum(len(f) for f in frames) > 2 * kib * 1024
    return q


@pytest.mark.qemu
def test_vhost_user_dhcp_ping_tcp_both_ways(gangway_bin, tmp_path):
    """-s PATH: lease, ARP, ping to the gateway (host loopback), 8 MiB each
    way over TCP with matching SHA-256; the capture has both directions."""
    run_net_guest(pcap=str(tmp_path / 'vu.pcap'))


@pytest.mark.qemu
def test_vhost_user_fd3_dhcp_ping_tcp_both_ways(gangway_bin):
    """The same through vu_relay, gangway on fd 3 as QEMU 10.1 starts it."""
    run_net_guest(launcher=RelayedGangway)


RELOAD_SCRIPT = r'''
dhcp4 && result dhcp1 ok
ping -c 1 -W 5 192.0.2.1 >/dev/null && result ping1 ok
ip link set eth0 down
rmmod virtio_net && result rmmod ok
insmod /lib/modules/virtio_net.ko
n=0
while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 50 ]; do
	usleep 100000
	n=$((n + 1))
done
ip link set eth0 up
dhcp4 && result dhcp2 ok
ping -c 1 -W 5 192.0.2.1 >/dev/null && result ping2 ok
'''


@pytest.mark.qemu
def test_vhost_user_driver_reload_restarts_rings(gangway_bin, tmp_path):
    """The guest unloads and reloads virtio_net: QEMU stops the rings
    (GET_VRING_BASE) and sets them up again; traffic flows both times."""
    log = str(tmp_path / 'gangway.log')
    with QemuGuest(['-d', '-l', log], vhost_user=True, mac=MAC,
                   script=RELOAD_SCRIPT) as q:
        q.run()
        r = q.results()
        assert q.gangway.alive()
    with open(log) as f:
        logs = f.read()
    assert logs.count('queue 1 started') >= 2, logs
    assert r.get('dhcp1') == 'ok' and r.get('ping1') == 'ok', q.output
    assert r.get('rmmod') == 'ok', q.output
    assert r.get('dhcp2') == 'ok' and r.get('ping2') == 'ok', q.output
    assert 'guest error' not in logs
