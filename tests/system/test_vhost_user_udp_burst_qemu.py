# SPDX-License-Identifier: GPL-2.0-or-later
"""Host-to-guest UDP over vhost-user keeps flowing after the guest's RX
ring runs short.

The guest (rr udprecv, with socket buffers large enough for a burst)
asks for data; the host answers with bursts of 32 000-byte datagrams,
more than the guest's RX ring holds at once. When
the ring is short of a largest frame, gangway stops reading the socket
and waits for the guest to add buffers; the guest must be asked to kick
then (EVENT_IDX avail_event at its current avail index), or it never
does and the flow stalls for good after a handful of datagrams.
"""
import os
import signal
import socket
import threading
import time

import pytest

from harness import RrGuest, rr_static_path
from lifecycle import parse_stats

GW4 = '192.0.2.1'
DGRAM = 32000
BURST = 16              # datagrams sent back to back: 512 KB
GAP_S = 0.1             # between bursts: about 40 Mbit/s on average
SECS = 4

SCRIPT = r'''
dhcp4 || exit 1
echo 8388608 > /proc/sys/net/core/rmem_max
echo 8388608 > /proc/sys/net/core/rmem_default
/bin/rr udprecv %(gw)s %(port)d %(secs)d > /tmp/d
result udp_got "$(cat /tmp/d)"
'''


def _source(sock, sent):
    """Wait for the guest's "go", then send bursts for SECS seconds."""
    _, peer = sock.recvfrom(64)
    chunk = b'\0' * DGRAM
    end = time.monotonic() + SECS
    while time.monotonic() < end:
        for _ in range(BURST):
            try:
                sock.sendto(chunk, peer)
                sent[0] += 1
            except OSError:
                pass
        time.sleep(GAP_S)


@pytest.mark.qemu
@pytest.mark.parametrize('vhost_user', [False, True],
                         ids=['stream', 'vhost-user'])
def test_udp_bursts_to_guest(gangway_bin, vhost_user, tmp_path):
    if not os.path.exists(rr_static_path()):
        pytest.skip('bench/rr-static not built')
    os.chmod(str(tmp_path), 0o1777)
    log = str(tmp_path / 'gangway.log')
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', 0))
    sock.settimeout(600)
    sent = [0]
    t = threading.Thread(target=_source, args=(sock, sent), daemon=True)
    t.start()
    script = SCRIPT % {'gw': GW4, 'port': sock.getsockname()[1],
                       'secs': SECS}
    try:
        with RrGuest(['-l', log], script=script,
                     vhost_user=vhost_user) as q:
            q.run()
            r = q.results()
            if q.gangway.alive():
                os.kill(q.gangway.pid, signal.SIGUSR1)
                time.sleep(0.5)
    finally:
        sock.close()
    try:
        with open(log) as f:
            st = parse_stats(f.read())
    except OSError:
        st = {}
    got = dict(x.split('=', 1) for x in r.get('udp_got', '').split()
               if '=' in x)
    n = int(got.get('n', 0))
    print('sent %d datagrams, guest got %d; stats udp %s link %s' %
          (sent[0], n, st.get('udp'), st.get('link')))
    assert sent[0] >= BURST * SECS / GAP_S / 2, sent
    # Before the fix: 11 of 432 reached the guest, then nothing
    assert n >= 0.9 * sent[0], (n, sent[0], st)
    udp = st.get('udp')
    if udp and 'to_guest' in udp:
        # what gangway did not hand over, it counted
        assert udp['to_guest'] >= n, (udp, n)
        assert udp['to_guest'] + udp['drop_guest_full'] <= sent[0], udp
    if udp and 'to_guest_in_place' in udp:
        # bursts of one length: after the first batch of the flow, read
        # straight into the link (flow/udp.c "In place"), on both links
        assert udp['to_guest_in_place'] >= n // 2, (udp, n)
