# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/tcp_util.py - shared pieces of the TCP system tests

The namespace guest is configured statically (192.0.2.2/24, fd00::2/64,
gateway neighbours pinned to gangway's MAC), so these tests depend on
gangway's TCP and nothing else. Servers on the host listen on loopback
only; the guest reaches them through the gateway address, which gangway
maps to the host's loopback (--map-host-loopback default).
"""
import os
import select
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, 'tcp_tool.py')
PY = '/usr/bin/python3'
MAC = '9a:55:9a:55:9a:55'
GW4 = '192.0.2.1'
GW6 = 'fd00::1'
GUEST4 = '192.0.2.2'
GUEST6 = 'fd00::2'
ARGS = ['-M', MAC]


def guest_setup(ns):
    """Static addresses and gateway neighbours in the namespace."""
    ns.sh('ip addr add %s/24 dev eth0 && '
          'ip -6 addr add %s/64 dev eth0 nodad && '
          'ip neigh replace %s lladdr %s dev eth0 nud permanent && '
          'ip -6 neigh replace %s lladdr %s dev eth0 nud permanent'
          % (GUEST4, GUEST6, GW4, MAC, GW6, MAC))


def _wait_ready(p, timeout=20):
    r, _, _ = select.select([p.stdout], [], [], timeout)
    line = p.stdout.readline().decode() if r else ''
    if not line.startswith('ready'):
        p.kill()
        raise AssertionError('server did not start: %r' % line)
    return int(line.split()[1])


class HostServer:
    """tcp_tool.py server on the host: with HostServer('sink') as s: s.port"""

    def __init__(self, mode, addr='127.0.0.1', port=0):
        self.p = subprocess.Popen([PY, TOOL, mode, addr, str(port)],
                                  stdout=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL)
        self.port = _wait_ready(self.p)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.p.kill()
        self.p.wait()


def guest_server(ns, mode, addr, port):
    """tcp_tool.py server inside the namespace; returns its port."""
    p = ns.popen('%s %s %s %s %d' % (PY, TOOL, mode, addr, port),
                 stdout=subprocess.PIPE)
    return _wait_ready(p)


def guest_tool(ns, args, timeout=120):
    """Run a tcp_tool.py client in the guest; return its output line."""
    out = ns.sh('%s %s %s' % (PY, TOOL, args), check=False, timeout=timeout)
    return out.strip() + out.stderr.strip()


def host_tool(args, timeout=120):
    p = subprocess.run([PY, TOOL] + args.split(), capture_output=True,
                       text=True, timeout=timeout)
    return p.stdout.strip() + p.stderr.strip()


