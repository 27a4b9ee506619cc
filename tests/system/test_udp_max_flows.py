# SPDX-License-Identifier: GPL-2.0-or-later
"""The flow limit: past --max-flows, new UDP flows are refused with a warning
naming the limit, and flows that already exist keep working."""
import socket
import threading

from harness import NsGuest
from lifecycle import wait_for

GW4 = '192.0.2.1'
MAX_FLOWS = 16

# Open one flow and check it; then flood FLOOD new 5-tuples (one datagram
# from each of FLOOD sockets); then check the first flow again and count
# how many of the flood sockets got an answer.
FLOOD = r'''
import select, socket, sys, time
dst, port, flood = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def ask(s, data):
    for _ in range(3):
        s.send(data)
        if select.select([s], [], [], 1)[0]:
            return s.recv(2000) == data
    return False

keep = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
keep.connect((dst, port))
print('first', ask(keep, b'keep 1'))
many = []
for i in range(flood):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((dst, port))
    s.send(b'flood %d' % i)
    many.append(s)
answered = 0
pending = list(many)
wait = 30               # for the first answer, however loaded the machine
while pending:
    ready = select.select(pending, [], [], wait)[0]
    if not ready:
        break
    for s in ready:
        s.recv(2000)
        answered += 1
        pending.remove(s)
    wait = 2            # then until they stop coming
print('answered', answered)
print('again', ask(keep, b'keep 2'))
'''


def echo_server():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    s.settimeout(0.2)
    state = {'stop': False, 'count': 0}

    def run():
        while not state['stop']:
            try:
                d, p = s.recvfrom(2000)
            except socket.timeout:
                continue
            except OSError:
                return
            state['count'] += 1
            s.sendto(d, p)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return s, state, t


def test_udp_flow_limit_refuses_new_keeps_old():
    s, state, t = echo_server()
    port = s.getsockname()[1]
    try:
        with NsGuest(gangway_args=['--max-flows', str(MAX_FLOWS)],
                     gangway_opts={'foreground': True}) as ns:
            ns.dhcp4()
            out = ns.python(FLOOD, GW4, port, 100, timeout=60)
            lines = dict(line.split(' ', 1) for line in out.splitlines())
            assert lines['first'] == 'True', out
            assert lines['again'] == 'True', out
            answered = int(lines['answered'])
            # At most MAX_FLOWS - 1 new flows could be opened
            assert answered <= MAX_FLOWS - 1, out
            assert answered >= 1, out
            # The server saw only what got through
            assert answered + 2 <= state['count'] <= answered + 6
            wait_for(lambda: 'table full' in ns.gangway.logs(), timeout=30)
            logs = ns.gangway.logs()
            assert 'table full (%d flows)' % MAX_FLOWS in logs, logs
            assert 'raise --max-flows' in logs
            # Rate-limited: not one line per refused datagram
            assert logs.count('table full') < 10, logs
    finally:
        state['stop'] = True
        t.join(2)
        s.close()
