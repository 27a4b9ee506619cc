# SPDX-License-Identifier: GPL-2.0-or-later
"""The namespace guest harness works: relay framing, and a full DHCP
exchange through Debian's passt (so it is proven without gangway)."""
import os
import select
import socket
import struct
import subprocess
import time

from harness import NsGuest, relay_path


class BareRelay:
    """A namespace and the relay on one end of a socketpair we hold."""

    def __init__(self):
        self.name = 'gwt-r%d' % os.getpid()

    def __enter__(self):
        subprocess.run(['ip', 'netns', 'add', self.name], check=True)
        self.sock, child = socket.socketpair()
        self.proc = subprocess.Popen(
            ['ip', 'netns', 'exec', self.name, relay_path(),
             str(child.fileno())], pass_fds=[child.fileno()],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        child.close()
        assert self.proc.stdout.readline().startswith(b'ready')
        self.sh('ip link set lo up; ip link set eth0 up')
        return self

    def sh(self, cmd):
        return subprocess.run(['ip', 'netns', 'exec', self.name, 'sh', '-c',
                               cmd], check=True, capture_output=True,
                              text=True).stdout

    def counter(self, name):
        return int(self.sh('cat /sys/class/net/eth0/statistics/' + name))

    def __exit__(self, *exc):
        self.sock.close()
        try:
            self.proc.wait(5)     # EOF on the stream ends the relay
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            subprocess.run(['ip', 'netns', 'delete', self.name])
        self.stderr = self.proc.stderr.read().decode()
        self.proc.stdout.close()
        self.proc.stderr.close()


def frame(i, size=100):
    # broadcast, a locally administered source, a local experimental type
    return (b'\xff' * 6 + bytes([2, 0, 0, 0, 0, i & 0xff]) + b'\x88\xb5' +
            bytes([i & 0xff]) * (size - 14))


def test_relay_stream_to_tap_survives_split_writes():
    with BareRelay() as r:
        before = r.counter('rx_packets')
        blob = b''.join(struct.pack('>I', len(f)) + f
                        for f in (frame(i, 60 + i * 20) for i in range(20)))
        for i in range(0, len(blob), 7):    # odd-sized pieces, headers split
            r.sock.sendall(blob[i:i + 7])
            if i % 70 == 0:
                time.sleep(0.001)
        r.sock.sendall(struct.pack('>I', 1400) + frame(99, 1400))
        deadline = time.monotonic() + 5
        while r.counter('rx_packets') - before < 21:
            assert time.monotonic() < deadline, r.counter('rx_packets')
            time.sleep(0.05)
        assert r.counter('rx_packets') - before == 21
    assert '21 frames to tap' in r.stderr


def test_relay_tap_to_stream_frames_with_length():
    with BareRelay() as r:
        r.sh('ip addr add 198.51.100.1/24 dev eth0')
        # an ARP request for 198.51.100.2 must come out framed
        arping = subprocess.Popen(['ip', 'netns', 'exec', r.name,
                                   '/bin/busybox',
                                   'arping', '-c', '1', '-w', '1', '-I',
                                   'eth0', '198.51.100.2'],
                                  stdout=subprocess.DEVNULL)
        buf = b''
        deadline = time.monotonic() + 5
        arp = None
        while arp is None and time.monotonic() < deadline:
            if select.select([r.sock], [], [], 0.5)[0]:
                buf += r.sock.recv(65536)
            while len(buf) >= 4:
                n = struct.unpack('>I', buf[:4])[0]
                assert 14 <= n <= 65535 + 14
                if len(buf) < 4 + n:
                    break
                f, buf = buf[4:4 + n], buf[4 + n:]
                if f[12:14] == b'\x08\x06':
                    arp = f
        arping.wait()
        assert arp is not None, 'no ARP request came out of the tap'
        assert arp[0:6] == b'\xff' * 6
        assert arp[38:42] == bytes([198, 51, 100, 2])   # target address


def host_resolv():
    with open('/etc/resolv.conf', 'rb') as f:
        return f.read()


def test_namespace_gets_dhcp_lease_through_passt(passt_bin):
    before = host_resolv()
    with NsGuest(gangway_opts={'binary': passt_bin}) as ns:
        lease = ns.dhcp4()
        host = subprocess.run(['ip', '-4', '-o', 'route', 'show', 'default'],
                              capture_output=True, text=True).stdout.split()
        gw = host[host.index('via') + 1]
        assert lease['router'] == gw
        assert ns.addr4() == '%s/%s' % (lease['ip'], lease['mask'])
        assert ('default via %s dev eth0' % gw) in ns.sh('ip -4 route')
        assert ns.sh('cat /sys/class/net/eth0/mtu').strip() == lease['mtu']
        for d in lease['dns'].split():
            assert 'nameserver ' + d in ns.resolv()
        # the host's resolv.conf is untouched: the namespace has its own
        assert ns.sh('cat /etc/resolv.conf') == ns.resolv()
        assert ns.slaac6().startswith('fd00::')
        assert ns.gangway.alive()
    assert host_resolv() == before
