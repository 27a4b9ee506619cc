# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/lifecycle.py - small helpers for the test_lifecycle_* files

Frames in the QEMU stream encoding, a reader with a deadline, and waiting
for a process or a file.
"""
import os
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


def read_frames(sock, timeout=2.0, want=1):
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


def wait_for(pred, timeout=5.0, step=0.02):
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


def connect_unix(path, timeout=5.0):
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
