# SPDX-License-Identifier: GPL-2.0-or-later
"""Floods and memory: a guest past --max-flows is refused, rate-limited in
the log and counted, while a connection it already has keeps working; and
the daemon's memory and fd count stay flat across rounds of traffic.

tests/system/test_udp_max_flows.py and test_tcp_basic.py already prove the
refusal at small scale; here the flood is large (hundreds of 5-tuples, TCP
and UDP at once) and a live TCP echo runs through it.
"""
import os
import subprocess
import time

from harness import NsGuest
from lifecycle import read_file, stats_dump, stats_flat, wait_for
from tcp_util import ARGS, GW4, HostServer, PY, guest_setup

MAX_FLOWS = 64

# In the guest: one TCP echo connection kept open, then a flood of
# non-blocking connects (each a new SYN and 5-tuple) and of UDP datagrams
# from as many sockets, the echo checked between every burst.
FLOOD = r'''
import errno, select, socket, sys, time
dst, tport, uport, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4])
keep = socket.create_connection((dst, tport), timeout=5)
echoes = 0

def echo():
    global echoes
    msg = b'keep %d\n' % echoes
    keep.sendall(msg)
    got = b''
    while len(got) < len(msg):
        d = keep.recv(100)
        assert d, 'kept connection closed'
        got += d
    assert got == msg, got
    echoes += 1

echo()
tcp, udp, connected, refused = [], [], 0, 0
for burst in range(n // 50):
    for i in range(50):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect((dst, tport))
        except BlockingIOError:
            pass
        tcp.append(s)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b'u', (dst, uport))
        udp.append(u)
    echo()
deadline = time.monotonic() + 10
pending = {s.fileno(): s for s in tcp}
p = select.poll()
for fd in pending:
    p.register(fd, select.POLLOUT)
while pending and time.monotonic() < deadline:
    for fd, ev in p.poll(1000):
        s = pending.pop(fd)
        p.unregister(fd)
        e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if e == 0:
            connected += 1
        else:
            refused += 1
    echo()
print('echoes', echoes)
print('connected', connected)
print('refused', refused)
print('pending', len(pending))
'''


def counters(pid, log):
    """Every counter of a SIGUSR1 dump: {'tcp.flows_full': 3, ...}."""
    return stats_flat(stats_dump(lambda: read_file(log), pid))


def test_syn_and_udp_flood_refused_past_the_limit_kept_flow_works(tmp_path):
    log = str(tmp_path / 'log')
    args = ARGS + ['--max-flows', str(MAX_FLOWS), '-l', log]
    with NsGuest(gangway_args=args) as ns, HostServer('echo') as srv:
        guest_setup(ns)
        usrv = subprocess.Popen([PY, '-c', 'import socket,sys\n'
                                 's=socket.socket(socket.AF_INET,'
                                 'socket.SOCK_DGRAM)\n'
                                 's.bind(("127.0.0.1",0))\n'
                                 'print(s.getsockname()[1],flush=True)\n'
                                 'while True: s.recvfrom(100)'],
                                stdout=subprocess.PIPE)
        try:
            uport = int(usrv.stdout.readline())
            out = ns.python(FLOOD, GW4, srv.port, uport, 600, timeout=120,
                            check=False)
            assert out.returncode == 0, out + out.stderr
        finally:
            usrv.kill()
            usrv.wait()
        res = dict(line.split() for line in out.splitlines())
        # The kept connection answered after every one of 12 bursts
        assert int(res['echoes']) >= 13, out
        # Never more flows than the table holds (the echo holds one)
        assert int(res['connected']) <= MAX_FLOWS - 1, out
        assert int(res['refused']) >= 600 - MAX_FLOWS - 64, out
        st = counters(ns.gangway.pid, log)
        assert st['tcp.flows_full'] >= 400, st
        assert st['udp.refused_full'] >= 400, st
        text = read_file(log)
        assert 'raise --max-flows' in text
        # one warning per rate-limit interval, not one per refusal
        assert text.count('table full') <= 12, text
        assert ns.gangway.alive()


ROUND = r'''
import socket, sys
dst, port = sys.argv[1], int(sys.argv[2])
for i in range(100):
    s = socket.create_connection((dst, port), timeout=5)
    s.sendall(b'x' * 20000)
    got = 0
    while got < 20000:
        d = s.recv(65536)
        assert d
        got += len(d)
    s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
u.bind(('0.0.0.0', 40000))     # one 5-tuple: the same flow every round
for i in range(200):
    u.sendto(b'y' * 1000, (dst, 9))
print('ok')
'''


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise AssertionError('no VmRSS')


def fd_count(pid):
    return len(os.listdir('/proc/%d/fd' % pid))


def test_memory_and_fds_flat_across_rounds_of_traffic():
    with NsGuest(gangway_args=ARGS) as ns, HostServer('echo') as srv:
        guest_setup(ns)
        pid = ns.gangway.pid

        def one_round():
            out = ns.python(ROUND, GW4, srv.port, timeout=120)
            assert out.strip() == 'ok', out

        start_rss, start_fds = rss_kib(pid), fd_count(pid)
        one_round()             # warm-up: buffers and table pages touched
        time.sleep(1)
        warm_rss, warm_fds = rss_kib(pid), fd_count(pid)
        for _ in range(4):
            one_round()
        # idle: closed flows reaped (their sockets closed), however loaded
        # the machine
        wait_for(lambda: fd_count(pid) <= warm_fds + 1, timeout=30)
        end_rss, end_fds = rss_kib(pid), fd_count(pid)
        print('VmRSS KiB: start %d, warm %d, end %d; fds %d %d %d' % (
            start_rss, warm_rss, end_rss, start_fds, warm_fds, end_fds))
        # 4 more rounds (400 connections, 800 datagrams): no growth
        assert end_rss - warm_rss <= 256, (start_rss, warm_rss, end_rss)
        # the UDP flow of the rounds is one and the same; TCP flows closed
        assert end_fds <= warm_fds + 1, (start_fds, warm_fds, end_fds)
        assert ns.gangway.alive()
