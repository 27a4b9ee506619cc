# SPDX-License-Identifier: GPL-2.0-or-later
"""A malicious vhost-user front-end (tests/harness/vu_evil.c) against
gangway --vhost-user -s PATH: every malformed message closes that
connection with a log line, every bad ring is stopped with a log line,
and gangway keeps serving the next front-end without crashing (with a
sanitizer build, the harness also fails on any ASan/UBSan report)."""
import os
import subprocess

from harness import Gangway, build_dir
from lifecycle import stats_dump

# scenario -> what gangway must log for it
CLOSED = {
    'oversized_payload': 'SET_FEATURES: payload of 4096 bytes, expected 8',
    'size_4g': 'SET_MEM_TABLE: payload of 4294967295 bytes',
    'fd_where_none_belongs': 'SET_FEATURES: 1 file descriptors, expected 0',
    'too_many_fds': 'SET_MEM_TABLE: more than 8 file descriptors',
    'kick_fd_missing': 'SET_VRING_KICK: 0 file descriptors, expected 1',
    'num_index_out_of_range': 'SET_VRING_NUM: queue 2 out of range',
    'addr_index_out_of_range': 'SET_VRING_ADDR: queue 200 out of range',
    'call_index_out_of_range': 'SET_VRING_CALL: queue 255 out of range',
    'enable_index_out_of_range': 'SET_VRING_ENABLE: queue 65536 out of',
    'vring_num_zero': 'size 0 is not a power of two',
    'vring_num_odd': 'size 1000 is not a power of two',
    'vring_num_huge': 'size 2147483648 is not a power of two',
    'ring_outside_memory': 'queue 0: ring outside guest memory',
    'used_ring_past_end': 'queue 1: ring outside guest memory',
    'mem_size_offset_overflow': 'region address plus size overflows',
    'mem_gpa_overflow': 'region address plus size overflows',
    'mem_beyond_file': 'is not backed by a file that long',
    'mem_regions_exceed_fds': 'SET_MEM_TABLE: 1 file descriptors, '
                              'expected 2',
    'mem_overlap': 'regions overlap',
    'mem_nine_regions': 'SET_MEM_TABLE: payload of 296 bytes',
    'unknown_request': 'request 99 is not supported',
    'reply_flag_in_request': 'GET_FEATURES: bad flags 0x5',
    'features_not_offered': 'SET_FEATURES: 0xffffffffffffffff has bits',
    'truncated_then_eof': 'connection closed after 16 bytes of a message',
}
REFUSED = {
    'log_base_refused': 'SET_LOG_BASE: dirty page logging (migration) is '
                        'not supported; refused',
}
BROKEN = {
    'desc_outside_memory': 'buffer outside guest memory',
    'desc_far_outside': 'buffer outside guest memory',
    'desc_loop': 'descriptor chain loops',
    'desc_next_out_of_range': 'next index out of range',
    'head_out_of_range': 'head index out of range',
    'desc_zero_length': 'zero-length buffer',
    'indirect_bad_length': 'indirect table length invalid',
    'indirect_loop': 'descriptor chain loops',
    'indirect_nested': 'nested or chained indirect descriptor',
    'avail_jump': 'avail index moved more than the ring size',
}
# A frame whose virtio-net header asks for too much: dropped and counted,
# ring and connection kept (scenario -> counter in "link")
DROPPED = {
    'hdr_csum_past_frame': 'vu_from_guest_drop_csum_range',
    'hdr_csum_start_huge': 'vu_from_guest_drop_csum_range',
    'hdr_csum_in_eth_header': 'vu_from_guest_drop_csum_range',
    'hdr_unknown_flag': 'vu_from_guest_drop_hdr',
    'hdr_gso_without_tso': 'vu_from_guest_drop_gso',
    'hdr_gso_ecn': 'vu_from_guest_drop_gso',
    'hdr_gso_udp': 'vu_from_guest_drop_gso',
    'hdr_csum_not_negotiated': 'vu_from_guest_drop_hdr',
}


def evil_path():
    return os.path.join(build_dir(), 'tests', 'harness', 'vu_evil')


def run_evil(sock, scenario=None):
    argv = [evil_path(), sock] + ([scenario] if scenario else [])
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def test_vhost_evil_front_end_refused_and_survived(gangway_bin, tmp_path):
    sock = str(tmp_path / 'vu.sock')
    g = Gangway(['--vhost-user', '-s', sock], fd=False, foreground=True)
    try:
        r = run_evil(sock)
        out = r.stdout
        assert r.returncode == 0, out + r.stderr + g.logs()
        for name in CLOSED:
            assert 'vu_evil: %s: closed\n' % name in out, out
        for name in REFUSED:
            assert 'vu_evil: %s: alive\n' % name in out, out
        for name in BROKEN:
            assert 'vu_evil: %s: broken\n' % name in out, out
        for name in DROPPED:
            assert 'vu_evil: %s: dropped\n' % name in out, out
        assert g.alive()
        logs = g.logs()
        # One refusal line per scenario, in the order they ran
        pos = 0
        for name, line in list(CLOSED.items()) + list(REFUSED.items()):
            i = logs.find(line, pos)
            assert i >= 0, 'no log line "%s" for %s:\n%s' % (line, name,
                                                              logs)
            pos = i
        for name, line in BROKEN.items():
            i = logs.find('guest error: ' + line + '; queue stopped', pos)
            assert i >= 0, 'no log line "%s" for %s:\n%s' % (line, name,
                                                              logs)
            pos = i
        assert logs.count('closing connection') == len(CLOSED) - 1
        # Still serving: a well-behaved scenario afterwards works
        r = run_evil(sock, 'log_base_refused')
        assert r.returncode == 0, r.stdout + g.logs()
    finally:
        g.terminate()
        report = g.crash_report()
        g.cleanup()
    assert report is None, report


def test_vhost_evil_fd_mode_exits_cleanly(gangway_bin):
    """With --fd, a malformed message ends gangway (QEMU cannot reconnect)
    with a log line and status 1, not a crash."""
    g = Gangway(['--vhost-user'], foreground=True)
    try:
        # SET_VRING_NUM of 3 on queue 0
        import struct
        g.sock.sendall(struct.pack('<III', 8, 1, 8) +
                       struct.pack('<II', 0, 3))
        assert g.sock.recv(16) == b''
        g._reap(block=True)
        assert os.WIFEXITED(g.status) and os.WEXITSTATUS(g.status) == 1
        assert 'size 3 is not a power of two' in g.logs()
    finally:
        g.terminate()
        g.cleanup()


def link_counters(g, timeout=30):
    """SIGUSR1, then the counters of the link module."""
    return stats_dump(g.logs, g.pid, timeout)['link']


def test_vhost_evil_offload_headers_dropped_and_counted(gangway_bin,
                                                       tmp_path):
    """Each frame whose virtio-net header asks for what was not offered,
    or points its checksum outside the frame, is dropped and counted under
    its reason; the ring is not stopped and gangway stays up."""
    sock = str(tmp_path / 'vu.sock')
    g = Gangway(['--vhost-user', '-s', sock], fd=False, foreground=True,
                quiet=False)
    try:
        for name, counter in DROPPED.items():
            before = link_counters(g)
            r = run_evil(sock, name)
            assert r.returncode == 0, r.stdout + r.stderr + g.logs()
            assert 'vu_evil: %s: dropped\n' % name in r.stdout
            after = link_counters(g)
            assert after.get(counter, 0) == before.get(counter, 0) + 1, \
                (name, counter, before, after)
            assert after.get('vu_from_guest', 0) == \
                before.get('vu_from_guest', 0)
            assert after.get('vu_ring_broken', 0) == \
                before.get('vu_ring_broken', 0)
            assert g.alive()
        assert 'dropped a frame from the guest: its virtio-net header ' \
            'asks for' in g.logs()
    finally:
        g.terminate()
        report = g.crash_report()
        g.cleanup()
    assert report is None, report
