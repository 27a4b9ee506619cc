# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/lifecycle.py - small helpers for the test_lifecycle_* files

Frames in the QEMU stream encoding, a reader with a deadline, waiting for
a process or a file, and the daemon's counters (SIGUSR1 dumps).
"""
import os
import re
import signal
import socket
import struct
import time

GUEST_MAC = bytes.fromhex('525400123456')


def arp_request(target='192.0.2.1', sender='192.0.2.2', mac=GUEST_MAC):
    """An Ethernet broadcast ARP request 'who has target, tell sender'."""
    return (b'\xff' * 6 + mac + b'\x08\x06' +
            struct.pack('>HHBBH', 1, 0x0800, 6, 4, 1) +
            mac + socket.inet_aton(sender) +
            b'\x00' * 6 + socket.inet_aton(target))


def framed(frame):
    """A frame as QEMU's stream netdev sends it: 4-byte big-endian length."""
    return struct.pack('>I', len(frame)) + frame


def read_frames(sock, timeout=10.0, want=1):
    """Frames received on sock until want of them or the deadline."""
    end = time.monotonic() + timeout
    buf = b''
    frames = []
    while len(frames) < want:
        left = end - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        if not data:
            break
        buf += data
        while len(buf) >= 4:
            n = struct.unpack('>I', buf[:4])[0]
            if len(buf) < 4 + n:
                break
            frames.append(buf[4:4 + n])
            buf = buf[4 + n:]
    return frames


def wait_for(pred, timeout=30.0, step=0.02):
    """Poll pred() until true or timeout; return its last value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def connect_unix(path, timeout=30.0):
    """Connect to a UNIX stream socket, retrying while it appears."""
    end = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() >= end:
                raise
            time.sleep(0.02)


def read_file(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except OSError:
        return ''


STATS_LINE = re.compile(r'stats ([a-z0-9_]+):(.*)$', re.M)


def parse_stats(text):
    """{'module': {'name': int}} from the 'stats MODULE: a=1 b=2' lines of
    a log (a module may continue over several lines; later values win)."""
    out = {}
    for m in STATS_LINE.finditer(text):
        grp = out.setdefault(m.group(1), {})
        for k, v in re.findall(r'(\w+)=(\d+)', m.group(2)):
            grp[k] = int(v)
    return out


def stats_dump(logs, pid, timeout=30):
    """SIGUSR1 the daemon pid; return its counters as parse_stats() does,
    once the whole dump is in the log. logs() returns the log's text
    (Gangway.logs, or lambda: read_file(path) for a -l file).

    A dump has no end marker, and one module may take several lines: so
    once the dump has begun, a second SIGUSR1. The daemon handles one
    signal at a time, so the second dump's first module, after a line of
    another module, marks the end of the first dump."""
    start = len(logs())

    def lines():
        return list(STATS_LINE.finditer(logs()[start:]))

    def end_of_first():
        ls = lines()
        for prev, cur in zip(ls, ls[1:]):
            if cur.group(1) == ls[0].group(1) != prev.group(1):
                return cur.start()
        return None

    os.kill(pid, signal.SIGUSR1)
    if not wait_for(lines, timeout):
        raise AssertionError('no counters in the log %ss after SIGUSR1:\n%s'
                             % (timeout, logs()[start:]))
    os.kill(pid, signal.SIGUSR1)
    end = wait_for(end_of_first, timeout)
    if end is None:
        raise AssertionError('counter dump did not end within %ss:\n%s' %
                             (timeout, logs()[start:]))
    return parse_stats(logs()[start:][:end])


def stats_flat(stats):
    """parse_stats() output as {'module.name': int}."""
    return {'%s.%s' % (mod, k): v
            for mod, grp in stats.items() for k, v in grp.items()}
