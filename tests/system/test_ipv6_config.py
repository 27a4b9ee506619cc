# SPDX-License-Identifier: GPL-2.0-or-later
"""IPv6 guest configuration on a real kernel: SLAAC from our router
advertisements, neighbour discovery, DAD, the RA MTU, RDNSS/DNSSL, DHCPv6
with ISC dhclient, and the switches that turn each part off.

The guest is a network namespace whose eth0 is a tap relayed to gangway
(harness.NsGuest). Neighbour and router discovery are triggered by the
guest's kernel, or by scapy inside the namespace sending one solicitation
on eth0; nothing here sends traffic past gangway, and the only datagram
that gangway forwards goes to the gateway address, which it maps to the
host's loopback.

GANGWAY_IPV6_DAEMON=/usr/bin/passt runs the same checks against Debian's
passt (options passt lacks are skipped), to tell test bugs from ours.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from harness import NsGuest
from lifecycle import stats_dump

DAEMON = os.environ.get('GANGWAY_IPV6_DAEMON')
OUR_MAC = '9a:55:9a:55:9a:55'
HOST_PREFIX = 'fd00:'           # the host's fd00::2/64 (COMMON.md)
HOST_ADDR6 = 'fd00::2'
GW6 = 'fd00::1'
DNS6 = 'fd00::53'               # advertised only, never queried
SEARCH = ['example.com', 'corp.example.org']
FQDN = 'guest.example.com'
DHCLIENT = shutil.which('dhclient')


def opts(extra=None):
    o = {'binary': DAEMON} if DAEMON else {}
    o.update(extra or {})
    return o


def guest(args, mtu=None, sysctls='', gangway_opts=None):
    """An NsGuest with IPv6 on eth0, accepting RAs, not forwarding."""
    ns = NsGuest(gangway_args=['-M', OUR_MAC] + list(args),
                 gangway_opts=opts(gangway_opts), up=False, mtu=mtu)
    ns.__enter__()
    try:
        ns.sh('sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0 '
              'net.ipv6.conf.eth0.forwarding=0 '
              'net.ipv6.conf.eth0.accept_ra=1 '
              'net.ipv6.conf.eth0.autoconf=1 ' + sysctls)
        ns.sh('ip link set eth0 up')
    except BaseException:
        ns.__exit__(None, None, None)
        raise
    return ns


class Guest:
    """Context manager around guest(): the with block gets the NsGuest."""

    def __init__(self, args=(), mtu=None, sysctls='', gangway_opts=None):
        self.args = list(args)
        self.mtu = mtu
        self.sysctls = sysctls
        self.gangway_opts = gangway_opts
        self.ns = None

    def __enter__(self):
        self.ns = guest(self.args, self.mtu, self.sysctls,
                        self.gangway_opts)
        return self.ns

    def __exit__(self, et, ev, tb):
        self.ns.__exit__(et, ev, tb)


def addrs6(ns, scope='global'):
    return ns.sh('ip -6 -o addr show dev eth0 scope %s' % scope)


def default_route6(ns):
    return ns.sh('ip -6 route show default dev eth0').strip()


SCAPY_PRELUDE = r'''
import json, sys, threading, time
from scapy.all import (AsyncSniffer, Ether, IPv6, ICMPv6ND_RS, ICMPv6ND_RA,
    ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptPrefixInfo, ICMPv6NDOptMTU, ICMPv6NDOptRDNSS,
    ICMPv6NDOptDNSSL, conf, get_if_hwaddr, sendp)
conf.verb = 0
IFACE = 'eth0'
MAC = get_if_hwaddr(IFACE)

def exchange(frame, lfilter, timeout=15):
    ready = threading.Event()
    s = AsyncSniffer(iface=IFACE, lfilter=lfilter, count=1, timeout=timeout,
                     started_callback=ready.set)
    s.start()
    ready.wait(timeout)     # listening before we ask
    sendp(frame, iface=IFACE)
    s.join()
    return s.results[0] if s.results else None
'''

SCAPY_RS = SCAPY_PRELUDE + r'''
rs = (Ether(src=MAC, dst='33:33:00:00:00:02') /
      IPv6(src=sys.argv[1], dst='ff02::2', hlim=255) / ICMPv6ND_RS() /
      ICMPv6NDOptSrcLLAddr(lladdr=MAC))
p = exchange(rs, lambda p: ICMPv6ND_RA in p)
if p is None:
    print(json.dumps(None)); sys.exit(0)
ra = p[ICMPv6ND_RA]
out = {'eth_src': p[Ether].src, 'eth_dst': p[Ether].dst,
       'src': p[IPv6].src, 'dst': p[IPv6].dst, 'hlim': p[IPv6].hlim,
       'M': ra.M, 'O': ra.O, 'lifetime': ra.routerlifetime,
       'prefixes': [], 'mtu': None, 'rdnss': None, 'dnssl': None,
       'lladdr': None}
o = ra.payload
while o and o.__class__.__name__ != 'NoPayload':
    if isinstance(o, ICMPv6NDOptPrefixInfo):
        out['prefixes'].append({'prefix': o.prefix, 'len': o.prefixlen,
                                'L': o.L, 'A': o.A,
                                'valid': o.validlifetime,
                                'preferred': o.preferredlifetime})
    elif isinstance(o, ICMPv6NDOptMTU):
        out['mtu'] = o.mtu
    elif isinstance(o, ICMPv6NDOptRDNSS):
        out['rdnss'] = list(o.dns)
    elif isinstance(o, ICMPv6NDOptDNSSL):
        out['dnssl'] = [n.decode() if isinstance(n, bytes) else n
                        for n in o.searchlist]
    elif isinstance(o, ICMPv6NDOptSrcLLAddr):
        out['lladdr'] = o.lladdr
    o = o.payload
print(json.dumps(out))
'''

SCAPY_NS = SCAPY_PRELUDE + r'''
src, target = sys.argv[1], sys.argv[2]
import ipaddress
tb = ipaddress.IPv6Address(target).packed
snm = str(ipaddress.IPv6Address(b'\xff\x02' + b'\0' * 9 + b'\x01\xff' +
                                tb[13:]))
mdst = '33:33:ff:%02x:%02x:%02x' % (tb[13], tb[14], tb[15])
ns = (Ether(src=MAC, dst=mdst) / IPv6(src=src, dst=snm, hlim=255) /
      ICMPv6ND_NS(tgt=target) / ICMPv6NDOptSrcLLAddr(lladdr=MAC))
p = exchange(ns, lambda p: ICMPv6ND_NA in p and p[ICMPv6ND_NA].tgt == target)
if p is None:
    print(json.dumps(None)); sys.exit(0)
na = p[ICMPv6ND_NA]
print(json.dumps({'eth_src': p[Ether].src, 'eth_dst': p[Ether].dst,
                  'src': p[IPv6].src, 'dst': p[IPv6].dst,
                  'hlim': p[IPv6].hlim, 'R': na.R, 'S': na.S, 'O': na.O,
                  'lladdr': p[ICMPv6NDOptDstLLAddr].lladdr
                  if ICMPv6NDOptDstLLAddr in p else None}))
'''


def scapy(ns, script, *args):
    out = ns.sh('/usr/bin/python3 -c %s %s' % (
        sh_quote(script), ' '.join(sh_quote(a) for a in args)), timeout=60)
    return json.loads(out.strip().splitlines()[-1])


def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def link_local(ns):
    """The guest's own link-local address, once DAD is done."""
    end = time.monotonic() + 10
    while time.monotonic() < end:
        out = addrs6(ns, 'link')
        m = re.search(r'inet6 (fe80::\S+)/64', out)
        if m and 'tentative' not in out:
            return m.group(1)
        time.sleep(0.1)
    raise AssertionError('no usable link-local address: %s' % out)


def test_slaac_address_default_route_and_dad():
    with Guest() as ns:
        addr = ns.slaac6()
        assert addr.startswith(HOST_PREFIX) and addr.endswith('/64'), addr

        route = default_route6(ns)
        m = re.match(r'default via (fe80::\S+) (dev eth0 )?proto ra', route)
        assert m, 'no default route from the RA: %r' % route
        router = m.group(1)

        # the RA's source link-layer option made the neighbour entry
        neigh = ns.sh('ip -6 neigh show dev eth0 %s' % router)
        assert OUR_MAC in neigh and 'router' in neigh, neigh

        # DAD for the guest's addresses met silence: nothing failed
        time.sleep(3)
        out = ns.sh('ip -6 addr show dev eth0')
        assert 'dadfailed' not in out and 'tentative' not in out, out
        assert re.search(r'inet6 fe80::\S+ scope link', out), out


def test_unsolicited_ra_configures_guest_that_never_solicits():
    """With router solicitations off in the guest, only our own periodic
    (initial burst) RAs can configure it: the timer path."""
    with Guest(sysctls='net.ipv6.conf.eth0.router_solicitations=0') as ns:
        t0 = time.monotonic()
        addr = ns.slaac6(timeout=10)
        assert addr.startswith(HOST_PREFIX), addr
        assert time.monotonic() - t0 < 8
        assert 'proto ra' in default_route6(ns)


def test_ipv6_only_still_configures_ipv6():
    with Guest(['--ipv6-only']) as ns:
        assert ns.slaac6().startswith(HOST_PREFIX)
        assert 'proto ra' in default_route6(ns)


def test_kernel_resolves_gateway_through_ns():
    """The guest kernel's own neighbour solicitation for the gateway gets
    our MAC. The datagram that triggers it goes to the gateway address,
    which gangway maps to host loopback."""
    with Guest() as ns:
        ns.slaac6()
        ns.sh('/usr/bin/python3 -c "import socket; '
              's = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); '
              's.sendto(b\'x\', (\'%s\', 9))"' % GW6)
        end = time.monotonic() + 5
        while True:
            neigh = ns.sh('ip -6 neigh show dev eth0 %s' % GW6)
            if OUR_MAC in neigh or time.monotonic() > end:
                break
            time.sleep(0.1)
        assert OUR_MAC in neigh, neigh
        assert 'FAILED' not in neigh and 'INCOMPLETE' not in neigh, neigh


@pytest.mark.parametrize('target', ['gw', 'other'])
def test_ns_answered_with_flags_and_target_lladdr(target):
    tgt = GW6 if target == 'gw' else 'fd00::1234'
    with Guest() as ns:
        ll = link_local(ns)
        na = scapy(ns, SCAPY_NS, ll, tgt)
        assert na is not None, 'no neighbour advertisement for %s' % tgt
        assert na['R'] == 1 and na['S'] == 1 and na['O'] == 1, na
        assert na['lladdr'] == OUR_MAC and na['eth_src'] == OUR_MAC, na
        assert na['dst'] == ll and na['hlim'] == 255, na


def test_ns_for_guest_address_is_not_answered():
    with Guest() as ns:
        na = scapy(ns, SCAPY_NS, link_local(ns), HOST_ADDR6)
        assert na is None, na


def test_ra_options():
    args = ['-D', DNS6, '--search', ' '.join(SEARCH), '--mtu', '1400']
    with Guest(args) as ns:
        ra = scapy(ns, SCAPY_RS, link_local(ns))
        assert ra is not None, 'no router advertisement'
        assert ra['eth_src'] == OUR_MAC and ra['lladdr'] == OUR_MAC, ra
        assert ra['src'].startswith('fe80::') and ra['hlim'] == 255, ra
        assert ra['lifetime'] > 0, ra
        assert ra['M'] == 1 and ra['O'] == 1, ra
        assert len(ra['prefixes']) == 1, ra
        p = ra['prefixes'][0]
        assert p['prefix'] == 'fd00::' and p['len'] == 64, ra
        assert p['L'] == 1 and p['A'] == 1, ra
        assert p['valid'] >= p['preferred'] > 0, ra
        assert ra['mtu'] == 1400, ra
        assert ra['rdnss'] == [DNS6], ra
        assert [n.rstrip('.') for n in ra['dnssl']] == SEARCH, ra


def test_ra_mtu_reaches_interface():
    with Guest(['--mtu', '1400']) as ns:
        ns.slaac6()
        end = time.monotonic() + 5
        while True:
            mtu = int(ns.sh('cat /proc/sys/net/ipv6/conf/eth0/mtu'))
            if mtu == 1400 or time.monotonic() > end:
                break
            time.sleep(0.1)
        assert mtu == 1400


def test_ra_without_dns_search_mtu():
    args = ['-D', DNS6, '--search', SEARCH[0], '--mtu', '0',
            '--no-dhcp-dns', '--no-dhcp-search', '--no-dhcpv6']
    with Guest(args) as ns:
        ra = scapy(ns, SCAPY_RS, link_local(ns))
        assert ra is not None
        assert ra['mtu'] is None and ra['rdnss'] is None, ra
        assert ra['dnssl'] is None, ra
        assert ra['M'] == 0 and ra['O'] == 0, ra
        assert len(ra['prefixes']) == 1, ra


class Dhclient:
    """ISC dhclient -6 in the foreground in the namespace (ours to stop),
    with a script that applies the address, then records what it got."""

    def __init__(self, ns, stateless=False, timeout=8):
        self.ns = ns
        self.timeout = timeout
        self.proc = None
        self.rc = None
        self.log = ''
        self.dir = tempfile.mkdtemp(prefix='gwt-d6-')
        self.script = os.path.join(self.dir, 'script')
        with open(self.script, 'w') as f:
            f.write('#!/bin/sh\n'
                    'case "$reason" in BOUND6|RENEW6|REBIND6|REBOOT6)\n'
                    '  [ -z "$new_ip6_address" ] || ip -6 addr add '
                    '"$new_ip6_address/128" dev "$interface" nodad ;;\n'
                    'esac\n'
                    'env | grep -E "^(reason|new_|interface)" | sort '
                    '> {d}/tmp.$reason\n'
                    'mv {d}/tmp.$reason {d}/env.$reason\n'
                    'exit 0\n'.format(d=self.dir))
        os.chmod(self.script, 0o755)
        conf = os.path.join(self.dir, 'dhclient.conf')
        with open(conf, 'w') as f:
            f.write('timeout %d;\nrequest dhcp6.name-servers, '
                    'dhcp6.domain-search, dhcp6.fqdn;\n'
                    'send fqdn.fqdn "wish.example.net";\n' % timeout)
        self.argv = ('dhclient -6 -1 -d -v %s -sf %s -cf %s -lf %s/lease '
                     '-pf %s/pid eth0' % ('-S' if stateless else '',
                                          self.script, conf, self.dir,
                                          self.dir))

    def run(self):
        """Start dhclient; return once it has configured something, or
        has given up (self.rc is then its exit status)."""
        # dhclient binds to the link-local address: it fails at once if
        # duplicate address detection has not finished yet (seen on a
        # loaded machine), so wait until nothing is tentative
        end = time.monotonic() + 10
        while time.monotonic() < end:
            p = self.ns.sh('ip -6 addr show dev eth0 tentative', check=False)
            if p.returncode == 0 and not p.strip():
                break
            time.sleep(0.1)
        logf = os.path.join(self.dir, 'log')
        with open(logf, 'wb') as log:
            self.proc = self.ns.popen(self.argv, stdout=log, stderr=log)
        end = time.monotonic() + self.timeout + 10
        while time.monotonic() < end:
            if any(self.env(r) for r in ('BOUND6', 'RENEW6')):
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.rc = self.proc.poll()
        with open(logf, errors='replace') as f:
            self.log = f.read()
        return self

    def env(self, reason):
        vals = {}
        try:
            with open(os.path.join(self.dir, 'env.' + reason)) as f:
                for line in f:
                    k, _, v = line.rstrip('\n').partition('=')
                    vals[k] = v
        except FileNotFoundError:
            return None
        return vals

    def __enter__(self):
        return self.run()

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.mark.skipif(not DHCLIENT, reason='isc-dhcp-client not installed')
def test_dhcpv6_address_dns_domains_fqdn():
    args = ['-D', DNS6, '--search', ' '.join(SEARCH)]
    if not DAEMON:
        args += ['--fqdn', FQDN]
    with Guest(args) as ns:
        link_local(ns)
        with Dhclient(ns) as d:
            env = d.env('BOUND6')
            assert env, d.log
            assert env['new_ip6_address'] == HOST_ADDR6, env
            assert env['new_dhcp6_name_servers'].split() == [DNS6], env
            names = [n.rstrip('.') for n in
                     env['new_dhcp6_domain_search'].split()]
            assert names == SEARCH, env
            if not DAEMON:
                assert env['new_fqdn_fqdn'].rstrip('.') == FQDN, env
            assert 0 < int(env['new_renew']) <= int(env['new_rebind']), env
            assert int(env['new_rebind']) < int(env['new_preferred_life'])
            assert int(env['new_preferred_life']) <= int(env['new_max_life'])
            assert re.search(r'inet6 %s/128' % HOST_ADDR6,
                             addrs6(ns)), addrs6(ns)


@pytest.mark.skipif(not DHCLIENT, reason='isc-dhcp-client not installed')
def test_dhcpv6_information_request():
    with Guest(['-D', DNS6, '--search', SEARCH[0]]) as ns:
        link_local(ns)
        with Dhclient(ns, stateless=True) as d:
            # dhclient 4.4 reports an Information-request reply as RENEW6
            env = d.env('RENEW6') or d.env('STATELESS6')
            assert env, d.log
            assert env['new_dhcp6_name_servers'].split() == [DNS6], env
            assert 'new_ip6_address' not in env, env


@pytest.mark.skipif(not DHCLIENT, reason='isc-dhcp-client not installed')
def test_dhcpv6_without_dns_and_search():
    args = ['-D', DNS6, '--search', SEARCH[0], '--no-dhcp-dns',
            '--no-dhcp-search']
    with Guest(args) as ns:
        link_local(ns)
        with Dhclient(ns) as d:
            env = d.env('BOUND6')
            assert env, d.log
            assert env['new_ip6_address'] == HOST_ADDR6, env
            assert 'new_dhcp6_name_servers' not in env, env
            assert 'new_dhcp6_domain_search' not in env, env


def no_ipv6_config(ns, wait=5):
    """Wait for what RAs would have done, then check none of it happened."""
    time.sleep(wait)
    assert not addrs6(ns).strip(), addrs6(ns)
    assert not default_route6(ns), default_route6(ns)


def test_no_ra():
    with Guest(['--no-ra']) as ns:
        no_ipv6_config(ns)
        assert scapy(ns, SCAPY_RS, link_local(ns)) is None
        # neighbour discovery still works
        assert scapy(ns, SCAPY_NS, link_local(ns), GW6) is not None


@pytest.mark.parametrize('switch', ['--no-ndp', '--no-icmp'])
def test_no_ndp(switch):
    """--no-icmp implies --no-ndp (passt(1))"""
    with Guest([switch]) as ns:
        no_ipv6_config(ns)
        ll = link_local(ns)
        assert scapy(ns, SCAPY_NS, ll, GW6) is None
        assert scapy(ns, SCAPY_RS, ll) is None


@pytest.mark.skipif(not DHCLIENT, reason='isc-dhcp-client not installed')
def test_no_dhcpv6():
    with Guest(['--no-dhcpv6']) as ns:
        ns.slaac6()            # SLAAC is unaffected
        with Dhclient(ns, timeout=4) as d:
            assert d.env('BOUND6') is None, d.log
            assert HOST_ADDR6 + '/128' not in addrs6(ns)


@pytest.mark.skipif(not DHCLIENT, reason='isc-dhcp-client not installed')
def test_ipv4_only():
    with Guest(['--ipv4-only']) as ns:
        no_ipv6_config(ns)
        ll = link_local(ns)
        assert scapy(ns, SCAPY_NS, ll, GW6) is None
        with Dhclient(ns, timeout=4) as d:
            assert d.env('BOUND6') is None, d.log


def stats(ns, module):
    """Counters of @module from gangway's SIGUSR1 dump: {name: value}."""
    return stats_dump(ns.gangway.logs, ns.gangway.pid)[module]


@pytest.mark.skipif(DAEMON is not None, reason='gangway counters')
@pytest.mark.skipif(not DHCLIENT, reason='isc-dhcp-client not installed')
def test_counters_record_what_happened():
    with Guest(gangway_opts={'foreground': True, 'quiet': False}) as ns:
        ns.slaac6()
        with Dhclient(ns) as d:
            assert d.env('BOUND6'), d.log
        ndp = stats(ns, 'ndp')
        d6 = stats(ns, 'dhcpv6')
    assert ndp['ra_sent'] >= 1 and ndp['rs_answered'] >= 1, ndp
    assert ndp['ns_dad_ignored'] >= 1, ndp       # the guest's own DAD
    assert ndp['drop_option'] == 0 and ndp['tx_error'] == 0, ndp
    assert d6['solicit'] == 1 and d6['advertise_sent'] == 1, d6
    assert d6['request'] == 1 and d6['reply_sent'] == 1, d6
    assert d6['drop_malformed'] == 0, d6
