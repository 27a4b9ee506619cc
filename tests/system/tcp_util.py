# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/tcp_util.py - shared pieces of the TCP system tests

The namespace guest is configured statically (192.0.2.2/24, fd00::2/64,
gateway neighbours pinned to gangway's MAC), so these tests depend on
gangway's TCP and nothing else. Servers on the host listen on loopback
only; the guest reaches them through the gateway address, which gangway
maps to the host's loopback (--map-host-loopback default).
"""
import contextlib
import os
import random
import select
import socket
import struct
import subprocess
import threading
import time

from harness import NsGuest
from lifecycle import read_file, stats_dump

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

    def __init__(self, mode, addr='127.0.0.1', port=0, extra=()):
        self.p = subprocess.Popen([PY, TOOL, mode, addr, str(port)] +
                                  [str(x) for x in extra],
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


def guest_python(ns, code, *args, timeout=30):
    """Run Python @code in the guest with @args as sys.argv[1:]; return
    its output, stripped."""
    return ns.python(code, *args, timeout=timeout).strip()


def guest_python_start(ns, code, *args):
    """Start Python @code in the guest (see guest_python) in the
    background, its stdout a pipe; it is ended at the guest's teardown."""
    return ns.python_start(code, *args, stdout=subprocess.PIPE)


@contextlib.contextmanager
def static_guest(*gangway_args):
    """An NsGuest on gangway ARGS + @gangway_args, set up by guest_setup."""
    with NsGuest(gangway_args=ARGS + list(gangway_args)) as g:
        guest_setup(g)
        yield g


@contextlib.contextmanager
def host_listener(addr='127.0.0.1', port=0):
    """A listening TCP socket on the host (closed on exit)."""
    srv = socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(1)
    try:
        yield srv
    finally:
        srv.close()


def host_tool(args, timeout=120):
    p = subprocess.run([PY, TOOL] + args.split(), capture_output=True,
                       text=True, timeout=timeout)
    return p.stdout.strip() + p.stderr.strip()




class Impairment:
    """Loss, reordering and delay between gangway and the relay.

    This kernel has no netem, so the impairment sits on the stream socket
    itself: a pump thread per direction parses QEMU's framing (4-byte
    big-endian length + frame) and drops a frame with probability @loss,
    holds one back behind the next with probability @reorder, and sleeps
    @delay seconds every so often so frames arrive in bursts late.
    Counters: self.dropped, self.reordered, per direction.
    """

    def __init__(self, loss=0.02, reorder=0.05, delay=0.001, seed=1,
                 to_guest=True, to_gangway=True):
        self.loss = loss
        self.reorder = reorder
        self.delay = delay
        self.rng = random.Random(seed)
        self.to_guest = to_guest
        self.to_gangway = to_gangway
        self.dropped = {'to_guest': 0, 'to_gangway': 0}
        self.reordered = {'to_guest': 0, 'to_gangway': 0}
        self.enabled = True

    def _pump(self, src, dst, name, impair):
        buf = b''
        held = None
        n = 0
        try:
            while True:
                d = src.recv(1 << 20)
                if not d:
                    break
                buf += d
                out = []
                pos = 0
                while len(buf) - pos >= 4:
                    ln = struct.unpack_from('>I', buf, pos)[0]
                    if len(buf) - pos < 4 + ln:
                        break
                    frame = buf[pos:pos + 4 + ln]
                    pos += 4 + ln
                    if not (impair and self.enabled):
                        out.append(frame)
                        continue
                    r = self.rng.random()
                    if r < self.loss:
                        self.dropped[name] += 1
                        continue
                    if held is None and r < self.loss + self.reorder:
                        held = frame
                        self.reordered[name] += 1
                        continue
                    out.append(frame)
                    if held is not None:
                        out.append(held)
                        held = None
                buf = buf[pos:]
                if held is not None and not out:
                    out.append(held)	# nothing to pass it: let it go
                    held = None
                if out:
                    n += 1
                    if impair and self.enabled and self.delay and \
                            n % 16 == 0:
                        time.sleep(self.delay)
                    dst.sendall(b''.join(out))
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass


class ImpairedNsGuest(NsGuest):
    """NsGuest with an Impairment between gangway and the relay."""

    def __init__(self, impairment, **kw):
        super().__init__(**kw)
        self.impairment = impairment

    def start_relay(self, timeout=10):
        ours, relay_end = socket.socketpair(socket.AF_UNIX,
                                            socket.SOCK_STREAM)
        gw_sock = self.gangway.sock
        self.gangway.sock = relay_end
        try:
            super().start_relay(timeout)
        finally:
            self.gangway.sock = gw_sock
            relay_end.close()
        imp = self.impairment
        for src, dst, name, on in (
                (gw_sock, ours, 'to_guest', imp.to_guest),
                (ours, gw_sock, 'to_gangway', imp.to_gangway)):
            threading.Thread(target=imp._pump, args=(src, dst, name, on),
                             daemon=True).start()
        self._shim = ours


def log_dir():
    """A directory gangway can write its -l file into (it may drop
    privileges)."""
    import tempfile
    d = tempfile.mkdtemp(prefix='gwt-tcp-')
    os.chmod(d, 0o1777)
    return d


def tcp_counters(gangway, log, timeout=30):
    """SIGUSR1 gangway and return its 'stats tcp:' counters from @log."""
    return stats_dump(lambda: read_file(log), gangway.pid, timeout)['tcp']
