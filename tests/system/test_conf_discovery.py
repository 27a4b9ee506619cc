# SPDX-License-Identifier: GPL-2.0-or-later
"""Host discovery, end to end: what gangway derives from a host it runs on.

Each test builds a host in a network namespace of its own (veth interface,
addresses, default routes, and a resolv.conf that 'ip netns exec' mounts
over /etc/resolv.conf), starts gangway there in the foreground without
--quiet, and reads the start-up summary. No traffic is sent anywhere.
"""
import os
import secrets
import shutil
import subprocess
import time

import pytest

from harness import gangway_path


class Host:
    """A namespace playing the host, with @resolv as its resolv.conf."""

    def __init__(self, setup, resolv='nameserver 127.0.0.53\n'):
        self.ns = 'gwt-conf-' + secrets.token_hex(3)
        self.etc = os.path.join('/etc/netns', self.ns)
        subprocess.run(['ip', 'netns', 'add', self.ns], check=True)
        os.makedirs(self.etc)
        with open(os.path.join(self.etc, 'resolv.conf'), 'w') as f:
            f.write(resolv)
        self.sh('sysctl -qw net.ipv6.conf.default.accept_dad=0')
        self.sh('ip link set lo up')
        for cmd in setup:
            self.sh(cmd)

    def sh(self, cmd):
        subprocess.run(['ip', 'netns', 'exec', self.ns, 'sh', '-c', cmd],
                       check=True)

    def gangway(self, args, timeout=10):
        """Run gangway here until it printed its summary; return the lines
        (or its one error line and exit status, if it exits)."""
        sock = '/tmp/%s.sock' % self.ns
        p = subprocess.Popen(['ip', 'netns', 'exec', self.ns, gangway_path(),
                              '-f', '-s', sock] + args,
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        lines = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                line = p.stderr.readline()
                if not line:
                    break
                lines.append(line.rstrip('\n'))
                if line.startswith('gangway: forwarding '):
                    break
        finally:
            if p.poll() is None:
                p.terminate()
            p.wait(5)
            p.stderr.close()
            if os.path.exists(sock):
                os.unlink(sock)
        return lines, p.returncode

    def close(self):
        subprocess.run(['ip', 'netns', 'del', self.ns])
        shutil.rmtree(self.etc, ignore_errors=True)


@pytest.fixture
def dual_stack():
    h = Host(['ip link add v0 address 02:11:22:33:44:55 type veth peer '
              'name v0p',
              'ip link set v0p up', 'ip link set v0 up',
              'ip addr add 198.51.100.7/24 dev v0',
              'ip route add default via 198.51.100.1',
              'ip addr add 2001:db8::7/64 dev v0 nodad',
              'ip route add default via 2001:db8::1 dev v0'],
             resolv='nameserver 127.0.0.53\nnameserver 203.0.113.9\n'
                    'search test.example\n')
    yield h
    h.close()


def line(lines, prefix):
    found = [x for x in lines if x.startswith('gangway: ' + prefix)]
    assert found, 'no "%s" line in %s' % (prefix, lines)
    return found[0]


def test_guest_gets_the_host_addresses_and_gateway(dual_stack):
    lines, _ = dual_stack.gangway([])
    v4 = line(lines, 'guest IPv4 ')
    assert v4.startswith('gangway: guest IPv4 198.51.100.7/24 via '
                         '198.51.100.1 (host v0)')
    # The local resolver is advertised as the mapped gateway address
    assert '; DNS 198.51.100.1, 203.0.113.9;' in v4
    assert '; DNS to 198.51.100.1 goes to 127.0.0.53;' in v4
    assert v4.endswith('198.51.100.1 reaches host loopback')
    v6 = line(lines, 'guest IPv6 ')
    assert v6.startswith('gangway: guest IPv6 2001:db8::7/64 via '
                         '2001:db8::1, router fe80::')
    assert 'search test.example' in line(lines, 'MTU ')


def test_options_override_discovery(dual_stack):
    lines, _ = dual_stack.gangway(['-a', '10.9.0.2/16', '-g', '10.9.0.1',
                                   '-D', '10.9.0.53', '--no-map-gw', '-4',
                                   '-t', '~22'])
    assert line(lines, 'guest IPv4 ') == (
        'gangway: guest IPv4 10.9.0.2/16 via 10.9.0.1 (host v0); '
        'DNS 10.9.0.53')
    assert line(lines, 'IPv6 disabled') == 'gangway: IPv6 disabled (-4)'
    with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
        lo, hi = (int(x) for x in f.read().split())
    fwd = line(lines, 'forwarding ')
    assert fwd.startswith('gangway: forwarding TCP 1-21, 23-%d' % (lo - 1))
    assert '(best effort)' in fwd


def test_no_default_route_is_local_mode():
    h = Host(['ip link add v0 type veth peer name v0p',
              'ip link set v0p up', 'ip link set v0 up'],
             resolv='nameserver 127.0.0.1\n')
    try:
        lines, _ = h.gangway([])
    finally:
        h.close()
    assert line(lines, 'guest IPv4 ') == (
        'gangway: guest IPv4 169.254.2.1/16 via 169.254.2.2 (local mode: '
        'no host address); DNS 169.254.2.2; DNS to 169.254.2.2 goes to '
        '127.0.0.1; 169.254.2.2 reaches host loopback')
    assert line(lines, 'IPv6 disabled').startswith('gangway: IPv6 disabled')


def test_interface_without_gateway_turns_dhcp_off(dual_stack):
    dual_stack.sh('ip link add v1 type veth peer name v1p; '
                  'ip link set v1p up; ip link set v1 up; '
                  'ip addr add 203.0.113.5/28 dev v1')
    lines, _ = dual_stack.gangway(['-i', 'v1'])
    assert line(lines, 'guest IPv4 ').startswith(
        'gangway: guest IPv4 203.0.113.5/28 (no gateway, DHCP off) '
        '(host v1)')
    assert 'DHCP' in line(lines, 'MTU ')


def test_missing_interface_fails_before_starting(dual_stack):
    lines, rc = dual_stack.gangway(['--outbound-if4', 'nosuchif0'])
    assert rc == 1
    assert lines == ['gangway: --outbound-if4 nosuchif0: no such interface']


def test_ipv6_only_without_ipv6_fails():
    h = Host(['ip link add v0 type veth peer name v0p',
              'ip link set v0p up', 'ip link set v0 up',
              'ip addr add 198.51.100.7/24 dev v0',
              'ip route add default via 198.51.100.1'])
    try:
        lines, rc = h.gangway(['-6'])
    finally:
        h.close()
    assert rc == 1
    assert len(lines) == 1
    assert lines[0].startswith('gangway: -6: the host has no IPv6 address')
