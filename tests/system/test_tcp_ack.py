# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/test_tcp_ack.py - when gangway acknowledges guest data

gangway holds the ACK for in-order guest data briefly (at most about a
millisecond), so that the host's reply carries it: a request answered at
once costs one frame to the guest, not a pure ACK and then the data. It
still acknowledges at least every second segment and at once when the
window runs low, so a bulk upload gets ACKs, but far fewer than segments.
Read from gangway's own --pcap of the link (docs/design/tcp.md, "Guest to
host").
"""
import os
import struct

from tcp_util import GW4, HostServer, guest_python, log_dir, static_guest

# A guest client: @n 1-byte requests, each answered by the host before
# the next (TCP_NODELAY, as a request/response protocol would)
RR_CLIENT = r'''
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for i in range(int(sys.argv[3])):
    s.sendall(b'x')
    if s.recv(1) != b'x':
        raise SystemExit('short reply')
s.close()
print('ok')
'''

# A guest client: @total bytes in writes of @chunk, @pause seconds apart
# (TCP_NODELAY: one segment per write), then wait for the sink's answer.
# Paced like a slow (emulated) guest, so that gangway sees the segments
# one at a time rather than many per read.
UPLOAD_CLIENT = r'''
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
left, chunk, pause = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
buf = b'u' * chunk
while left:
    n = min(chunk, left)
    s.sendall(buf[:n])
    left -= n
    time.sleep(pause)
s.shutdown(socket.SHUT_WR)
s.recv(1)
print('ok')
'''


def pcap_tcp4(path, port):
    """(seconds, to_guest, seq, ack, flags, payload length) of every IPv4
    TCP frame in gangway's pcap with @port at either end."""
    out = []
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack_from('<I', data, 0)[0]
    scale = 1e-9 if magic == 0xa1b23c4d else 1e-6
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack_from('<IIII', data, pos)
        pos += 16
        fr = data[pos:pos + incl]
        pos += incl
        if len(fr) < 54 or fr[12:14] != b'\x08\x00' or fr[23] != 6:
            continue
        ihl = (fr[14] & 0x0f) * 4
        tot = struct.unpack_from('!H', fr, 16)[0]
        t = 14 + ihl
        sport, dport, seq, ack = struct.unpack_from('!HHII', fr, t)
        if port not in (sport, dport):
            continue
        thl = (fr[t + 12] >> 4) * 4
        out.append((sec + frac * scale, sport == port, seq, ack,
                    fr[t + 13], tot - ihl - thl))
    return out


def is_pure_ack(flags, plen):
    return plen == 0 and flags & 0x17 == 0x10	# ACK only, no SYN/FIN/RST


def test_tcp_ack_rides_on_the_reply():
    """200 one-byte requests, answered at once by the host: the reply's
    data segment carries the ACK of the request, and almost no pure ACK
    goes to the guest (each one did before: two frames per request)."""
    n = 200
    pcap = os.path.join(log_dir(), 'rr.pcap')
    with HostServer('echo') as srv:
        with static_guest('--pcap', pcap) as ns:
            assert guest_python(ns, RR_CLIENT, GW4, srv.port, n) == 'ok'
        frames = pcap_tcp4(pcap, srv.port)
    reqs = pure = carried = 0
    pending = None		# sequence number after the open request
    for _, to_guest, seq, ack, flags, plen in frames:
        if not to_guest and plen == 1:
            reqs += 1
            pending = seq + 1
        elif to_guest and pending is not None:
            if is_pure_ack(flags, plen):
                pure += 1
            elif plen == 1 and ack == pending:
                carried += 1
                pending = None
    assert reqs == n, (reqs, len(frames))
    # a reply the server is slow to give (a loaded machine) gets a pure
    # ACK after ~1 ms; on a quiet one that is a few percent
    assert pure <= n * 3 // 10, 'pure ACKs %d for %d requests' % (pure, n)
    assert carried >= n * 7 // 10, 'ACK on the reply %d of %d' % (carried,
                                                                   n)


def test_tcp_upload_gets_fewer_acks_than_segments():
    """2 MiB in 1 KiB segments, one every 0.1 ms or so (as a slow guest
    sends them, one per loop iteration of ours): gangway acknowledges
    every second segment, or a lone one after a short hold, never a lone
    segment at once (it did, like passt: measured with a QEMU guest)."""
    total = 2 << 20
    pcap = os.path.join(log_dir(), 'up.pcap')
    with HostServer('sink') as s:
        with static_guest('--pcap', pcap) as ns:
            assert guest_python(ns, UPLOAD_CLIENT, GW4, s.port, total,
                                1024, 0.0001, timeout=120) == 'ok'
        frames = pcap_tcp4(pcap, s.port)
    segs = acks = quick_lone = 0
    unacked = []		# (end sequence, time) of guest segments
    for t, to_guest, seq, ack, flags, plen in frames:
        if not to_guest and plen:
            segs += 1
            unacked.append((seq + plen, t))
        elif to_guest and is_pure_ack(flags, plen):
            acks += 1
            covered = [u for u in unacked if u[0] - ack <= 0]
            unacked = unacked[len(covered):]
            # one segment acknowledged within 0.5 ms of its arrival
            if len(covered) == 1 and t - covered[0][1] < 0.0005:
                quick_lone += 1
    assert segs > 1000, segs
    assert acks * 4 <= segs * 3, 'pure ACKs %d for %d guest segments' % (
        acks, segs)
    # a window running low is acknowledged at once: rare here
    assert quick_lone * 10 <= acks, (
        '%d of %d pure ACKs acknowledge a lone segment at once' % (
            quick_lone, acks))
