# SPDX-License-Identifier: GPL-2.0-or-later
"""Inbound UDP forwarding (-u): host peers on loopback reach the guest.

A server in the guest (namespace) answers each datagram with the address it
saw the datagram come from, then the datagram itself. The host sends to
127.0.0.1 or ::1 on the forwarded port and checks the answer: the guest saw
the gateway-mapped address, and the reply came back from the port it was sent
to.
"""
import select
import socket
import subprocess

import pytest

from harness import NsGuest, free_ports

GW4 = '192.0.2.1'

GUEST_SERVER = r'''
import socket, sys
socks = []
for port in sys.argv[1:]:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', int(port)))
    socks.append(s)
print('ready', flush=True)
import select
while True:
    r, _, _ = select.select(socks, [], [])
    for s in r:
        data, peer = s.recvfrom(65535)
        host = peer[0]
        if host.startswith('::ffff:'):
            host = host[7:]
        port = s.getsockname()[1]
        s.sendto(('%s %d %d|' % (host, peer[1], port)).encode() + data,
                 peer)
'''


def start_guest_server(ns, ports):
    p = ns.python_start(GUEST_SERVER, *ports, stdout=subprocess.PIPE)
    r, _, _ = select.select([p.stdout], [], [], 10)
    assert r and p.stdout.readline().startswith(b'ready')
    return p


def host_ask(addr, port, payload=b'hello', family=socket.AF_INET,
             tries=3):
    """Send from the host to addr:port; return (reply, source) or None."""
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        for _ in range(tries):
            s.sendto(payload, (addr, port))
            try:
                return s.recvfrom(70000)
            except socket.timeout:
                continue
        return None
    finally:
        s.close()


def check_reply(res, guest_port, seen_from, sent_port, payload=b'hello'):
    assert res is not None, 'no reply from the guest'
    data, src = res
    head, _, body = data.partition(b'|')
    host, pport, gport = head.decode().split()
    assert body == payload
    assert int(gport) == guest_port, data
    assert host == seen_from, data
    assert src[1] == sent_port, src
    return int(pport)


def test_udp_forward_single_port_ipv4():
    port = free_ports(1)
    with NsGuest(gangway_args=['-u', str(port)]) as ns:
        ns.dhcp4()
        start_guest_server(ns, [port])
        res = host_ask('127.0.0.1', port)
        check_reply(res, port, GW4, port)


def test_udp_forward_range_ipv4():
    base = free_ports(3)
    spec = '%d-%d' % (base, base + 2)
    with NsGuest(gangway_args=['-u', spec]) as ns:
        ns.dhcp4()
        start_guest_server(ns, [base, base + 1, base + 2])
        for p in range(base, base + 3):
            res = host_ask('127.0.0.1', p, b'port %d' % p)
            check_reply(res, p, GW4, p, b'port %d' % p)


def guest6_configured(ns):
    '''Give the guest the IPv6 address gangway assigns (fd00::2, as
    DHCPv6 would) and no SLAAC address, so replies leave from it.'''
    ns.sh('sysctl -qw net.ipv6.conf.eth0.autoconf=0')
    ns.sh('ip -6 addr flush dev eth0 scope global')
    ns.sh('ip -6 addr add fd00::2/64 dev eth0 nodad')


def test_udp_forward_mapped_port_ipv4_and_ipv6():
    host_port = free_ports(1)
    guest_port = host_port + 1000 if host_port < 60000 else host_port - 1000
    spec = '%d:%d' % (host_port, guest_port)
    with NsGuest(gangway_args=['-u', spec]) as ns:
        ns.dhcp4()
        guest6_configured(ns)
        start_guest_server(ns, [guest_port])
        res = host_ask('127.0.0.1', host_port)
        check_reply(res, guest_port, GW4, host_port)
        res = host_ask('::1', host_port, b'six', socket.AF_INET6)
        assert res is not None, 'no IPv6 reply from the guest'
        head = res[0].split(b'|')[0].decode().split()
        assert int(head[2]) == guest_port
        assert head[0] == 'fd00::1', head  # ::1 appears as the gateway
        assert res[1][1] == host_port


def test_udp_forward_many_peers_keep_apart():
    """Two host peers to the same forwarded port are two flows: each gets
    its own replies, and the guest sees their distinct source ports."""
    port = free_ports(1)
    with NsGuest(gangway_args=['-u', str(port)]) as ns:
        ns.dhcp4()
        start_guest_server(ns, [port])
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.bind(('127.0.0.1', 0))
        b.bind(('127.0.0.1', 0))
        for s in (a, b):
            s.settimeout(3)
        for _ in range(3):
            a.sendto(b'from a', ('127.0.0.1', port))
            b.sendto(b'from b', ('127.0.0.1', port))
        ra = a.recvfrom(1000)[0]
        rb = b.recvfrom(1000)[0]
        assert ra.endswith(b'|from a') and rb.endswith(b'|from b')
        assert int(ra.split()[1]) == a.getsockname()[1]
        assert int(rb.split()[1]) == b.getsockname()[1]
        a.close()
        b.close()


def test_udp_forward_bound_address_only():
    '''-u 127.0.0.1/PORT listens on that address only: ::1 gets nothing.'''
    port = free_ports(1)
    with NsGuest(gangway_args=['-u', '127.0.0.1/%d' % port]) as ns:
        ns.dhcp4()
        start_guest_server(ns, [port])
        res = host_ask('127.0.0.1', port)
        check_reply(res, port, GW4, port)
        assert host_ask('::1', port, family=socket.AF_INET6,
                        tries=1) is None


def test_udp_forward_all_leaves_descriptors_for_flows(tmp_path):
    '''-u all under a low descriptor limit: gangway forwards what it can
    (from port 1 up), says so once, and keeps descriptors for flows: the
    guest can still ping and use UDP, and a low forwarded port works.'''
    from harness import gangway_path
    wrapper = tmp_path / 'gangway-nofile'
    wrapper.write_text('#!/bin/sh\nulimit -n 9000\nexec %s "$@"\n' %
                       gangway_path())
    wrapper.chmod(0o755)
    port = 500
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.bind(('127.0.0.1', port))
    except OSError:
        pytest.skip('host port %d busy' % port)
    finally:
        probe.close()
    with NsGuest(gangway_args=['-u', 'all'],
                 gangway_opts={'foreground': True,
                               'binary': str(wrapper)}) as ns:
        ns.dhcp4()
        start_guest_server(ns, [port])
        res = host_ask('127.0.0.1', port)
        check_reply(res, port, GW4, port)
        subprocess.run(['sysctl', '-qw',
                        'net.ipv4.ping_group_range=0 2147483647'])
        out = ns.sh('/bin/busybox ping -c 1 -W 2 %s' % GW4, check=False)
        assert ' 1 packets received' in out, out
        logs = ns.gangway.logs()
        assert logs.count('udp: forwarding only') == 1, logs
        assert 'file descriptor limit' in logs


def test_udp_forward_unforwarded_port_silent():
    port = free_ports(2)
    with NsGuest(gangway_args=['-u', str(port)]) as ns:
        ns.dhcp4()
        start_guest_server(ns, [port, port + 1])
        assert host_ask('127.0.0.1', port + 1, tries=1) is None
        assert host_ask('127.0.0.1', port) is not None


if __name__ == '__main__':
    pytest.main([__file__, '-v'])
