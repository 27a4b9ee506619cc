# SPDX-License-Identifier: GPL-2.0-or-later
"""The stream link: -s PATH, the probed default path, one guest at a time,
and robustness to bad framing from QEMU's side."""
import os
import re
import socket
import struct
import subprocess

from harness import Gangway
from lifecycle import (GUEST_MAC, arp_request, connect_unix, framed,
                       pid_alive, read_file, read_frames, wait_for)


def test_socket_path_accepts_qemu_and_frames_flow(tmp_path):
    # As root the daemon becomes nobody (sandbox): it may remove its
    # socket from a sticky, world-writable directory, as from /tmp
    os.chmod(tmp_path, 0o1777)
    path = str(tmp_path / 'gw.socket')
    log = str(tmp_path / 'log')
    with Gangway(['-s', path, '-l', log], fd=False, quiet=False) as g:
        assert os.path.exists(path)
        s = connect_unix(path)
        s.sendall(framed(arp_request()) * 3)
        assert wait_for(lambda: 'guest connected' in read_file(log))
        assert len(read_frames(s, timeout=30, want=3)) == 3  # all handled
        os.kill(g.pid, 10)
        assert wait_for(lambda: 'rx_frames=3' in read_file(log))
        s.close()
        # Without --one-off, the daemon waits for the next guest
        assert wait_for(lambda: 'guest disconnected' in read_file(log))
        assert g.alive()
        s = connect_unix(path)
        s.sendall(framed(arp_request()))
        assert read_frames(s, timeout=30)      # accepted and answered
        os.kill(g.pid, 10)
        assert wait_for(lambda: 'connects=2' in read_file(log))
        s.close()
        g.terminate()
    assert not os.path.exists(path)          # our socket is removed


def test_one_off_exits_when_the_guest_leaves(tmp_path):
    # As root the daemon becomes nobody (sandbox): it may remove its
    # socket from a sticky, world-writable directory, as from /tmp
    os.chmod(tmp_path, 0o1777)
    path = str(tmp_path / 'gw.socket')
    with Gangway(['-s', path, '--one-off'], fd=False) as g:
        s = connect_unix(path)
        s.sendall(framed(arp_request()))
        s.close()
        assert wait_for(lambda: not g.alive())
        assert os.WIFEXITED(g.status) and os.WEXITSTATUS(g.status) == 0
    assert not os.path.exists(path)


def test_second_guest_is_refused_while_one_is_connected(tmp_path):
    path = str(tmp_path / 'gw.socket')
    with Gangway(['-s', path], fd=False) as g:
        first = connect_unix(path)
        first.sendall(framed(arp_request()))
        assert read_frames(first, timeout=30)    # the first is the guest
        second = connect_unix(path)
        second.settimeout(30)
        assert second.recv(100) == b''       # closed on us at once
        second.close()
        first.sendall(framed(arp_request()))  # the first still works
        assert read_frames(first, timeout=30)
        assert g.alive()
        first.close()


def test_live_socket_is_not_stolen_but_stale_one_is_reused(gangway_bin,
                                                           tmp_path):
    path = str(tmp_path / 'gw.socket')
    g = Gangway(['-s', path], fd=False)
    try:
        p = subprocess.run([gangway_bin, '-s', path], capture_output=True,
                           text=True, timeout=10)
        assert p.returncode != 0
        assert path in p.stderr and 'listening' in p.stderr
        assert g.alive()
        os.kill(g.pid, 9)                    # leaves its socket behind
        assert wait_for(lambda: not g.alive())
    finally:
        g.terminate()
        g.cleanup()
    assert os.path.exists(path)
    with Gangway(['-s', path], fd=False) as g:
        s = connect_unix(path)
        s.sendall(framed(arp_request()))
        s.close()


def test_regular_file_at_socket_path_is_left_alone(gangway_bin, tmp_path):
    path = tmp_path / 'gw.socket'
    path.write_text('precious')
    p = subprocess.run([gangway_bin, '-s', str(path)], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode != 0 and str(path) in p.stderr
    assert path.read_text() == 'precious'


def test_default_path_is_probed_and_qemu_line_printed(tmp_path):
    with Gangway(fd=False, quiet=False) as g:
        m = re.search(r'addr\.path=(/tmp/gangway_(\d+)\.socket)', g.logs())
        assert m, g.logs()
        assert '-netdev stream,id=s,server=off,addr.type=unix' in g.logs()
        path = m.group(1)
        s = connect_unix(path)
        s.sendall(framed(arp_request()))
        # A second instance takes the next free path
        with Gangway(fd=False, quiet=False) as g2:
            m2 = re.search(r'addr\.path=(/tmp/gangway_\d+\.socket)',
                           g2.logs())
            assert m2 and m2.group(1) != path
        s.close()
        g.terminate()
    assert not os.path.exists(path)


def test_bad_framing_is_dropped_and_counted(tmp_path):
    log = str(tmp_path / 'log')
    with Gangway(['-l', log, '--mtu', '1500']) as g:
        junk = (struct.pack('>I', 0) +                 # zero length
                framed(b'\x01' * 13) +                 # short
                framed(b'\x02' * 1515) +               # MTU + 15
                framed(b'\x03' * 200000) +             # far too big
                framed(arp_request()))
        for i in range(0, len(junk), 999):             # odd pieces
            g.sock.sendall(junk[i:i + 999])
        # --quiet hides info, but never the oversize warning
        assert wait_for(lambda: 'larger than MTU' in read_file(log))
        assert g.alive()
    text = read_file(log)
    assert 'link: listening' not in text            # info hidden by -q


def test_counters_after_bad_framing(tmp_path):
    log = str(tmp_path / 'log')
    with Gangway(['-l', log, '--mtu', '1500'], quiet=False) as g:
        junk = (struct.pack('>I', 0) + framed(b'\x01' * 13) +
                framed(b'\x02' * 1515) + framed(b'\x03' * 200000) +
                framed(arp_request()))
        for i in range(0, len(junk), 999):
            g.sock.sendall(junk[i:i + 999])
        assert read_frames(g.sock, timeout=30)   # the ARP after the junk
        os.kill(g.pid, 10)
        assert wait_for(lambda: 'rx_frames=1 ' in read_file(log)), \
            read_file(log)
        text = read_file(log)
        for c in ('rx_zero_length=1', 'rx_short=1', 'rx_oversized=2'):
            assert c in text


def test_pid_of_a_foreground_daemon_is_its_own(tmp_path):
    with Gangway(foreground=True) as g:
        assert g.pid == g.proc.pid
        assert open(g.pidfile).read().strip() == str(g.pid)
        assert pid_alive(g.pid)


def test_arp_request_gets_a_reply_over_the_stream():
    with Gangway() as g:
        g.sock.sendall(framed(arp_request()))
        frames = read_frames(g.sock, timeout=30)
        assert frames, 'no reply to an ARP request for the gateway'
        f = frames[0]
        assert f[12:14] == b'\x08\x06'               # ARP
        assert f[0:6] == GUEST_MAC                   # to the guest
        assert struct.unpack('>H', f[20:22])[0] == 2  # reply
        assert socket.inet_ntoa(f[28:32]) == '192.0.2.1'
