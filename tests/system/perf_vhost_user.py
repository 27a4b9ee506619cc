# SPDX-License-Identifier: GPL-2.0-or-later
"""CPU time gangway spends per GiB carried, vhost-user against the stream
link, for the same QEMU guest transfer (docs/PERFORMANCE.md).

    GANGWAY_BUILD=build GANGWAY_SRC=. /usr/bin/python3 \\
        tests/system/perf_vhost_user.py [MIB]

The guest uploads MIB MiB to a loopback server through the gateway
address, then downloads MIB MiB (busybox nc, data from /dev/zero, not
kept). gangway's user+system time (from /proc/PID/stat) is sampled
before the guest runs and after it powers off; boot and DHCP cost
gangway next to nothing, so the delta is the transfer's cost.
Not a pytest test: it asserts nothing and takes minutes under TCG.
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import QemuGuest  # noqa: E402

SCRIPT = r'''
dhcp4 || exit 1
t0=$(date +%%s)
dd if=/dev/zero bs=65536 count=%(blocks)d 2>/dev/null | nc 192.0.2.1 %(up)d
t1=$(date +%%s)
nc 192.0.2.1 %(down)d < /dev/null | wc -c > /tmp/n
t2=$(date +%%s)
result down_bytes "$(cat /tmp/n)"
result up_s $((t1 - t0))
result down_s $((t2 - t1))
'''


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def servers(size):
    up, down = socket.socket(), socket.socket()
    for s in (up, down):
        s.bind(('127.0.0.1', 0))
        s.listen(1)

    def sink():
        c, _ = up.accept()
        n = 0
        while n < size:
            b = c.recv(1 << 20)
            if not b:
                break
            n += len(b)
        c.close()

    def source():
        c, _ = down.accept()
        chunk = b'\0' * (1 << 20)
        left = size
        while left:
            left -= c.send(chunk[:min(left, len(chunk))])
        c.close()

    for fn in (sink, source):
        threading.Thread(target=fn, daemon=True).start()
    return up, down


def measure(vhost_user, mib):
    size = mib << 20
    up, down = servers(size)
    script = SCRIPT % {'blocks': size // 65536,
                       'up': up.getsockname()[1],
                       'down': down.getsockname()[1]}
    with QemuGuest(['--mtu', '65520'], script=script, vhost_user=vhost_user,
                   timeout=1800) as q:
        pid = q.gangway.pid
        before = cpu_seconds(pid)
        t = time.monotonic()
        q.run()
        wall = time.monotonic() - t
        after = cpu_seconds(pid)
        r = q.results()
    assert int(r.get('down_bytes', 0)) == size, q.output
    gib = 2 * size / (1 << 30)
    return {'cpu_s': after - before, 'cpu_s_per_gib': (after - before) / gib,
            'wall_s': wall, 'up_s': r['up_s'], 'down_s': r['down_s']}


def main():
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    for name, vu in (('stream', False), ('vhost-user', True)):
        m = measure(vu, mib)
        print('%-10s %d MiB each way: gangway CPU %.2f s (%.2f s/GiB), '
              'guest wall %.0f s (up %s s, down %s s)' %
              (name, mib, m['cpu_s'], m['cpu_s_per_gib'], m['wall_s'],
               m['up_s'], m['down_s']))


if __name__ == '__main__':
    main()
