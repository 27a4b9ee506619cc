# SPDX-License-Identifier: GPL-2.0-or-later
"""--pcap FILE: every frame from the guest is captured, readable by
tcpdump."""
import os
import subprocess
import time

from harness import Gangway
from lifecycle import arp_request, framed, read_frames, wait_for


def tcpdump(path):
    p = subprocess.run(['tcpdump', '-n', '-r', path], capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


def captured_requests(path):
    """ARP requests in the capture so far (one writev() a frame: a
    record is whole or not there)."""
    p = subprocess.run(['tcpdump', '-n', '-r', path], capture_output=True,
                       text=True, timeout=20)
    return [ln for ln in p.stdout.splitlines() if 'ARP, Request' in ln]


def test_pcap_is_readable_by_tcpdump(tmp_path):
    cap = str(tmp_path / 'cap.pcap')
    with Gangway(['--pcap', cap]) as g:
        for i in range(5):
            g.sock.sendall(framed(arp_request(target='192.0.2.%d' %
                                              (10 + i))))
        g.sock.sendall(framed(bytes(3)))        # short: not captured
        # one more behind it: once this one is captured, the short one
        # was handled too
        g.sock.sendall(framed(arp_request(target='192.0.2.15')))
        assert wait_for(lambda: len(captured_requests(cap)) == 6,
                        timeout=30, step=0.1), captured_requests(cap)
    lines = tcpdump(cap)
    asks = [ln for ln in lines if 'ARP, Request who-has 192.0.2.1' in ln]
    assert len(asks) == 6, lines
    assert 'tell 192.0.2.2' in asks[0]


def test_pcap_has_both_directions(tmp_path):
    cap = str(tmp_path / 'cap.pcap')
    with Gangway(['--pcap', cap]) as g:
        g.sock.sendall(framed(arp_request()))
        assert read_frames(g.sock, timeout=30)       # the reply went out
    lines = tcpdump(cap)
    assert any('Request who-has 192.0.2.1' in ln for ln in lines), lines
    assert any('Reply 192.0.2.1 is-at' in ln for ln in lines), lines


def test_pcap_timestamps_are_wall_clock(tmp_path):
    cap = str(tmp_path / 'cap.pcap')
    before = time.time()
    with Gangway(['--pcap', cap]) as g:
        g.sock.sendall(framed(arp_request()))
        assert read_frames(g.sock, timeout=30)      # request handled
    p = subprocess.run(['tcpdump', '-n', '-tt', '-r', cap],
                       capture_output=True, text=True, timeout=20)
    ts = float(p.stdout.split()[0])
    assert before - 1 <= ts <= time.time() + 1


def test_unwritable_pcap_fails_at_start(gangway_bin, tmp_path):
    p = subprocess.run([gangway_bin, '--pcap',
                        str(tmp_path / 'nodir' / 'x.pcap'), '-s',
                        str(tmp_path / 'gw.socket')],
                       capture_output=True, text=True, timeout=10,
                       stdin=subprocess.DEVNULL)
    assert p.returncode != 0 and '--pcap' in p.stderr
    assert not (tmp_path / 'gw.socket').exists()
