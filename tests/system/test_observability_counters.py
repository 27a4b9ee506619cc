# SPDX-License-Identifier: GPL-2.0-or-later
"""Counters: SIGUSR1 makes a running daemon log them, even with --quiet.

A namespace guest takes a lease, opens a TCP connection to a loopback
server through the gateway (kept open), sends a UDP datagram and a ping;
then SIGUSR1 must log, to the -l file: frames and bytes each way on the
link, ingress drops by reason, flows open by protocol and the flow-table
high-water mark, with values that match what the guest did.
"""
import os
import re
import socket
import subprocess
import time

from harness import NsGuest
from lifecycle import parse_stats, read_file, stats_dump


def _wait_for(path, pattern, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(path) as f:
                text = f.read()
        except FileNotFoundError:
            text = ''
        if re.search(pattern, text, re.M):
            return text
        time.sleep(0.05)
    raise AssertionError('%s: no %r in:\n%s' % (path, pattern, text))


def test_sigusr1_logs_counters(tmp_path):
    log = str(tmp_path / 'gangway.log')
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(('127.0.0.1', 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    usrv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    usrv.bind(('127.0.0.1', 0))
    uport = usrv.getsockname()[1]
    os.chmod(str(tmp_path), 0o1777)
    with NsGuest(gangway_args=['-l', log]) as ns:
        lease = ns.dhcp4()
        gw = lease['router']
        # a TCP connection that stays open while we read the counters
        nc = ns.popen('/bin/busybox nc %s %d' % (gw, port),
                      stdin=subprocess.PIPE)
        srv.settimeout(10)
        conn, _ = srv.accept()
        nc.stdin.write(b'hello\n')
        nc.stdin.flush()
        conn.settimeout(10)
        assert conn.recv(16) == b'hello\n'
        ns.sh('/usr/bin/python3 -c "import socket; socket.socket(socket.'
              'AF_INET, socket.SOCK_DGRAM).sendto(b\'ping\\n\', '
              '(\'%s\', %d))"' % (gw, uport))
        usrv.settimeout(10)
        assert usrv.recv(16) == b'ping\n'
        ns.sh('ping -c 1 -W 2 %s' % gw, check=False)

        st = stats_dump(lambda: read_file(log), ns.gangway.pid)

        link = st['link']
        assert link['rx_frames'] > 3 and link['tx_frames'] > 3, link
        assert link['rx_bytes'] > 60 * link['rx_frames'] - 1, link
        assert link['tx_bytes'] > 0, link
        assert 'rx_oversized' in link and 'tx_queue_full' in link, link

        ing = st['ingress']
        drops = [k for k in ing if k.startswith('drop_')]
        assert len(drops) >= 5, ing          # one counter per reason
        assert ing['frames'] == link['rx_frames'], (ing, link)

        flows = st['flows']
        assert flows['tcp_open'] == 1, flows
        assert flows['udp_open'] >= 1, flows
        assert flows['open'] >= 2, flows
        assert flows['high_water'] >= flows['open'], flows
        assert flows['max'] > 0, flows
        assert st['tcp']['syn_out'] >= 1, st['tcp']
        assert st['dhcp'], st

        conn.close()
        nc.stdin.close()
    srv.close()
    usrv.close()


def test_debug_logs_counters_at_exit(tmp_path):
    """With --debug, the counters are logged when the daemon exits."""
    os.chmod(str(tmp_path), 0o1777)
    log = str(tmp_path / 'gangway.log')
    with NsGuest(gangway_args=['-d', '-l', log]) as ns:
        ns.dhcp4()
        ns.gangway.terminate()
    text = _wait_for(log, r'stats flows: ')
    exit_at = text.index('received SIGTERM')
    st = parse_stats(text[exit_at:])
    assert st['dhcp']['discover'] == 1 and st['dhcp']['request'] == 1, st
    assert st['link']['rx_frames'] >= 2, st
    assert st['flows']['open'] == 0, st
