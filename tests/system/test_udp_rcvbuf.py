# SPDX-License-Identifier: GPL-2.0-or-later
"""The receive buffer of the host sockets gangway opens for UDP flows.

A host sender faster than the guest link (iperf3 -u -R in bench/bench.py)
loses most of its datagrams in that buffer while gangway waits for the CPU
or the link, so gangway asks for 4 MiB (flow/udp.c UDP_RCVBUF), which the
kernel caps at net.core.rmem_max and then doubles. The socket is looked at
with ss(8) while its flow is open.
"""
import re
import socket
import subprocess

from harness import NsGuest

WANT = 4 << 20

SEND_ONE = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b'hello', (sys.argv[1], int(sys.argv[2])))
'''


def rmem_max():
    with open('/proc/sys/net/core/rmem_max') as f:
        return int(f.read())


def test_udp_flow_socket_gets_the_large_receive_buffer():
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(('127.0.0.1', 0))
    port = srv.getsockname()[1]
    try:
        with NsGuest() as ns:
            ns.dhcp4()
            srv.settimeout(10)
            ns.python(SEND_ONE, '192.0.2.1', port, timeout=30)
            data, peer = srv.recvfrom(100)
            assert data == b'hello'
            out = subprocess.run(
                ['ss', '-Huanmp', 'dst', '127.0.0.1:%d' % port],
                capture_output=True, text=True, check=True).stdout
            # the flow's socket: gangway's, connected to our server
            assert 'pid=%d,' % ns.gangway.pid in out, out
            m = re.search(r'skmem:\(.*\brb(\d+)', out)
            assert m, out
            assert int(m.group(1)) == 2 * min(WANT, rmem_max()), out
    finally:
        srv.close()
