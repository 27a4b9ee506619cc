# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/harness.py - start gangway and guests for the system tests

Owns: launching gangway exactly as QEMU 10.1's -netdev passt does (Gangway),
a network-namespace guest whose eth0 is a tap device relayed to gangway's
stream socket (NsGuest), and a QEMU guest booting Debian's kernel with a
busybox initramfs that runs a test script (QemuGuest), and loopback
servers for a guest's TCP transfer both ways (HostTransfer). Every object
cleans up what it created (processes, namespaces, files) even when a test
fails, and checks on teardown that gangway did not crash.

Network rule: guests here reach nothing but gangway; gangway's tests talk
only to loopback servers. Nothing in this file sends traffic elsewhere.

    from harness import Gangway, NsGuest, QemuGuest, gangway_path
    with NsGuest(gangway_args=[]) as ns:
        lease = ns.dhcp4()
        assert lease['ip'] == '192.0.2.2'
"""

import ctypes
import fcntl
import hashlib
import os
import random
import re
import secrets
import select
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get('GANGWAY_SRC') or os.path.dirname(os.path.dirname(HERE))
GUEST_DIR = os.path.join(SRC, 'tests', 'guest')
UDHCPC_SCRIPT = os.path.join(GUEST_DIR, 'udhcpc.script')
QEMU = os.environ.get('GANGWAY_QEMU', '/usr/bin/qemu-system-x86_64')
BUSYBOX = '/bin/busybox'
PYTHON = '/usr/bin/python3'     # Debian's: with the modules tests need
# Namespaces NsGuest created in this process (conftest cleans up leftovers
# among these only: other test runs on the machine have their own)
CREATED_NETNS = set()

# Sanitizer options for the daemon, added to what the environment already
# says (meson test sets some) unless it names the same option. Leak
# checking needs ptrace at exit, which a sandboxed daemon cannot do; the
# unit tests check leaks. Symbolizing would spawn a process: same problem.
SAN_ENV = {
    'ASAN_OPTIONS': 'detect_leaks=0:symbolize=0:abort_on_error=1',
    'UBSAN_OPTIONS': 'print_stacktrace=1:halt_on_error=1:symbolize=0',
}
CRASH_PATTERNS = ('ERROR: AddressSanitizer', 'runtime error:',
                  'ERROR: LeakSanitizer', 'ERROR: UndefinedBehaviorSanitizer')


class HarnessError(Exception):
    """Something the harness itself could not do (gangway failed to start)."""


class GangwayCrashed(AssertionError):
    """gangway died abnormally or printed a sanitizer report."""


def build_dir():
    """The meson build directory under test: $GANGWAY_BUILD, else ./build."""
    b = os.environ.get('GANGWAY_BUILD')
    if b:
        return os.path.abspath(b)
    return os.path.join(SRC, 'build')


def gangway_path():
    """Path of the gangway binary under test: $GANGWAY_BINARY (to try the
    tests or the demo on another daemon, e.g. /usr/bin/passt), else the
    build directory's gangway."""
    return os.environ.get('GANGWAY_BINARY') or os.path.join(build_dir(),
                                                            'gangway')


def relay_path():
    """Path of the tap <-> stream relay (tests/harness/relay.c)."""
    return os.path.join(build_dir(), 'tests', 'harness', 'relay')


# Host ports reserved by free_ports(): lock files held open (and locked)
# until this process exits, one per port, shared by every checkout and run
PORT_LOCK_DIR = '/tmp/gangway-test-ports'
_port_locks = []


def _ephemeral_first():
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _port_unused(port):
    """Nothing on this host is bound to port, TCP or UDP, IPv4 or IPv6."""
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET6, kind)
        try:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.bind(('::', port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_ports(n=1, low=20000, high=None):
    """The first of n consecutive host ports for gangway to listen on (-t,
    -u), or for a test to expect nothing on: none is bound by anything on
    this host (TCP or UDP, any address), all lie in [low, high) (high: the
    start of the kernel's ephemeral range, so no connect() or bind to port
    0 takes one meanwhile), and no other test process on this machine, of
    any checkout, gets them from here until this process exits (a lock
    file each in PORT_LOCK_DIR). Chosen at random: concurrent runs rarely
    even try the same ports."""
    if high is None:
        high = _ephemeral_first()
    if high - low < n:
        raise HarnessError('no room for %d ports in %d-%d' % (n, low, high))
    os.makedirs(PORT_LOCK_DIR, exist_ok=True)
    try:
        os.chmod(PORT_LOCK_DIR, 0o1777)
    except OSError:
        pass
    for _ in range(500):
        base = random.randrange(low, high - n + 1)
        locks = []
        for port in range(base, base + n):
            f = open(os.path.join(PORT_LOCK_DIR, str(port)), 'a')
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                break
            locks.append(f)
            if not _port_unused(port):
                break
        else:
            _port_locks.extend(locks)
            return base
        for f in locks:
            f.close()
    raise HarnessError('no %d free consecutive ports in %d-%d' %
                       (n, low, high))


def _become_subreaper():
    """Adopt orphaned descendants, so a daemonized gangway whose launcher
    exited is still our child: we can collect its exit status and tell a
    clean exit from a crash."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_CHILD_SUBREAPER = 36
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except OSError:
        pass


_become_subreaper()


def _merge_san_options(have, add):
    """'a=1:b=2' plus 'b=3:c=4' -> 'a=1:b=2:c=4' (existing values win)."""
    opts = [o for o in have.split(':') if o]
    keys = {o.split('=', 1)[0] for o in opts}
    opts += [o for o in add.split(':') if o.split('=', 1)[0] not in keys]
    return ':'.join(opts)


def _describe_status(status):
    if os.WIFEXITED(status):
        return 'exit status %d' % os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return 'killed by signal %d (%s)' % (sig, signal.Signals(sig).name)
    return 'status 0x%x' % status


class Gangway:
    """gangway (or a compatible daemon) launched as QEMU 10.1 launches passt.

    A socketpair; the child end becomes fd 3 of the launched process, whose
    argv is [binary, *args, '--quiet', '--pid', PIDFILE, '--fd', '3'].
    The launcher must exit (non-zero: HarnessError with its stderr), then the
    pid file must hold the daemon's pid. self.sock is our end of the pair.

    foreground=True adds '-f', keeps the process as our child and captures
    its stderr (self.logs()); quiet=False leaves out '--quiet'. fd=False
    launches without a socketpair or '--fd' (for '-s PATH' or
    '--vhost-user' listening on a path). binary selects another daemon,
    e.g. '/usr/bin/passt' (which drops to nobody as root: the pid file
    directory is mode 1777 for that).
    """

    def __init__(self, args=(), binary=None, foreground=False, quiet=True,
                 fd=True, env=None, timeout=10, workdir=None,
                 sock_type=socket.SOCK_STREAM):
        self.args = list(args)
        self.binary = binary or gangway_path()
        self.foreground = foreground
        self.pid = None
        self.sock = None
        self.proc = None
        self.status = None          # wait status once collected
        self._terminated = False    # we sent the signal that ended it
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix='gwt-gw-')
        os.chmod(self.workdir, 0o1777)
        self.pidfile = os.path.join(self.workdir, 'gangway.pid')
        self.logfile = os.path.join(self.workdir, 'gangway.stderr')
        if not os.path.exists(self.binary):
            raise HarnessError('%s does not exist: build first (meson '
                               'compile -C %s)' % (self.binary, build_dir()))

        argv = [self.binary] + self.args
        if foreground:
            argv.append('-f')
        if quiet:
            argv.append('--quiet')
        argv += ['--pid', self.pidfile]
        child = None
        if fd:
            self.sock, child = socket.socketpair(socket.AF_UNIX, sock_type)
            argv += ['--fd', '3']
        self.argv = argv

        penv = dict(os.environ)
        for k, v in SAN_ENV.items():
            penv[k] = _merge_san_options(penv.get(k, ''), v)
        if env:
            penv.update(env)

        def to_fd3():
            if child is None:
                return
            if child.fileno() == 3:
                os.set_inheritable(3, True)
            else:
                os.dup2(child.fileno(), 3)   # dup2 clears close-on-exec

        self._log = open(self.logfile, 'wb')
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=self._log,
                stderr=self._log, env=penv, preexec_fn=to_fd3,
                close_fds=False)
        finally:
            if child is not None:
                child.close()
        try:
            if foreground:
                self._wait_pidfile(timeout)
            else:
                self._wait_launcher(timeout)
        except BaseException:
            self.terminate()
            self.cleanup()
            raise

    def _wait_launcher(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise HarnessError('%s did not exit within %ss (it must fork '
                               'and exit, as QEMU waits for it): %s' %
                               (self.argv[0], timeout, self.logs()))
        if rc != 0:
            raise HarnessError('%s exited with %d: %s' %
                               (' '.join(self.argv), rc, self.logs()))
        # QEMU reads the pid file as soon as the launcher exits: so do we
        try:
            with open(self.pidfile) as f:
                text = f.read()
        except OSError as e:
            raise HarnessError('cannot read pid file %s after launcher exit:'
                               ' %s; stderr: %s' % (self.pidfile, e,
                                                    self.logs()))
        try:
            self.pid = int(text.strip())
        except ValueError:
            self.pid = 0
        if self.pid <= 0:
            raise HarnessError('pid file %s does not hold a valid pid: %r' %
                               (self.pidfile, text))

    def _wait_pidfile(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise HarnessError('%s exited with %d: %s' % (
                    ' '.join(self.argv), self.proc.returncode, self.logs()))
            try:
                with open(self.pidfile) as f:
                    if f.read().strip():
                        break
            except OSError:
                pass
            time.sleep(0.02)
        self.pid = self.proc.pid

    def logs(self):
        """Everything gangway (and its launcher) wrote to stdout/stderr."""
        try:
            with open(self.logfile, 'rb') as f:
                return f.read().decode(errors='replace')
        except OSError:
            return ''

    def _reap(self, block=False):
        """Collect the daemon's exit status if it has ended. Return True if
        it has (or if it is gone and not ours to collect)."""
        if self.status is not None:
            return True
        if self.pid is None:
            return True
        if self.proc is not None and self.proc.pid == self.pid:
            rc = self.proc.wait() if block else self.proc.poll()
            if rc is None:
                return False
            self.status = (rc << 8) if rc >= 0 else -rc
            return True
        try:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            # Not our child (no subreaper): fall back to polling /proc
            while os.path.exists('/proc/%d' % self.pid):
                if not block:
                    return False
                time.sleep(0.02)
            self.status = 0
            return True
        if pid == 0:
            return False
        self.status = status
        return True

    def alive(self):
        """True while the daemon runs."""
        return not self._reap()

    def terminate(self, timeout=30):
        """SIGTERM the daemon (SIGKILL after timeout), collect its status.
        Return the wait status, or None if it never started."""
        if self.pid is None:
            if self.proc and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            return None
        if not self._reap():
            self._terminated = True
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            end = time.monotonic() + timeout
            while not self._reap() and time.monotonic() < end:
                time.sleep(0.02)
            if not self._reap():
                os.kill(self.pid, signal.SIGKILL)
                self._reap(block=True)
        if self.proc and self.proc.poll() is None:
            self.proc.wait()
        return self.status

    def crash_report(self):
        """Why gangway looks crashed, or None. Call after terminate()."""
        problems = []
        if self.status is not None:
            ok = False
            if os.WIFEXITED(self.status):
                ok = os.WEXITSTATUS(self.status) == 0
            elif os.WIFSIGNALED(self.status):
                ok = (self._terminated and os.WTERMSIG(self.status) in
                      (signal.SIGTERM, signal.SIGKILL))
            if not ok:
                problems.append('gangway (pid %s) ended with %s%s' % (
                    self.pid, _describe_status(self.status),
                    '' if self._terminated else ' before teardown'))
        logs = self.logs()
        for p in CRASH_PATTERNS:
            if p in logs:
                problems.append('sanitizer report in gangway stderr (%s)' %
                                p)
                break
        if not problems:
            return None
        return '; '.join(problems) + '\n--- gangway stderr ---\n' + logs

    def check(self):
        """Terminate and raise GangwayCrashed if gangway crashed."""
        self.terminate()
        report = self.crash_report()
        if report:
            raise GangwayCrashed(report)

    def cleanup(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self._log:
            self._log.close()
            self._log = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        report = None
        try:
            self.terminate()
            report = self.crash_report()
            if et is not None:
                print('--- gangway stderr ---\n' + self.logs())
        finally:
            self.cleanup()
        if report and et is None:
            raise GangwayCrashed(report)


class ShResult(str):
    """A command's stdout (a str) that also carries returncode and stderr."""

    def __new__(cls, proc):
        s = super().__new__(cls, proc.stdout)
        s.returncode = proc.returncode
        s.stdout = proc.stdout
        s.stderr = proc.stderr
        return s


class _GuestBase:
    """What NsGuest and QemuGuest share: a with-block that tears down
    whatever _start() set up even when _start() fails halfway, and a
    teardown that stops gangway, shows its logs when the test failed or
    gangway crashed, and fails the test on a crash."""

    gangway = None
    workdir = None

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self._teardown(failed=True)
            raise
        return self

    def __exit__(self, et, ev, tb):
        self._teardown(failed=et is not None)

    def _start(self):
        raise NotImplementedError

    def _teardown(self, failed):
        raise NotImplementedError

    def _logs_to_show(self):
        """(title, text) pairs printed with gangway's stderr on failure."""
        return []

    def _stop_gangway(self, failed):
        """Terminate gangway; print the logs if failed or crashed, clean up
        its files and the work directory. Return the crash report, which
        the caller raises (GangwayCrashed) once the rest is torn down."""
        report = None
        if self.gangway is not None:
            self.gangway.terminate()
            report = self.gangway.crash_report()
            if failed or report:
                for title, text in self._logs_to_show():
                    print('--- %s ---\n%s' % (title, text))
                print('--- gangway stderr ---\n' + self.gangway.logs())
            self.gangway.cleanup()
        return report


class NsGuest(_GuestBase):
    """A network namespace whose eth0 is a tap device relayed to gangway.

    with NsGuest(gangway_args=[...]) as ns: creates namespace gwt-XXXXXXXX,
    starts gangway (launched as QEMU does, see Gangway; gangway_opts are
    passed to Gangway), starts tests/harness/relay inside the namespace on
    gangway's socket, brings up lo and eth0 (mtu if given). ns.sh() runs
    shell commands inside. /etc/netns/NAME/resolv.conf becomes the
    namespace's /etc/resolv.conf (ip netns exec bind-mounts it).
    """

    def __init__(self, gangway_args=(), mtu=None, mac=None, gangway_opts=None,
                 up=True, disable_dad=False):
        self.name = 'gwt-' + secrets.token_hex(4)
        self.gangway_args = list(gangway_args)
        self.gangway_opts = dict(gangway_opts or {})
        self.mtu = mtu
        self.mac = mac
        self.up = up
        self.disable_dad = disable_dad
        self.gangway = None
        self.relay = None
        self.workdir = None
        self.etc = '/etc/netns/' + self.name
        self.resolv_conf = os.path.join(self.etc, 'resolv.conf')
        self.lease_file = None
        self._procs = []
        self._ns_created = False

    # -- setup and teardown --
    def _start(self):
        self.workdir = tempfile.mkdtemp(prefix='gwt-ns-')
        os.chmod(self.workdir, 0o1777)
        self.lease_file = os.path.join(self.workdir, 'lease4')
        subprocess.run(['ip', 'netns', 'add', self.name], check=True)
        self._ns_created = True
        CREATED_NETNS.add(self.name)
        os.makedirs(self.etc, exist_ok=True)
        with open(self.resolv_conf, 'w'):
            pass
        opts = dict(self.gangway_opts)
        opts.setdefault('workdir', self.workdir)
        self.gangway = Gangway(self.gangway_args, **opts)
        self.start_relay()
        if self.disable_dad:
            self.sh('sysctl -qw net.ipv6.conf.default.accept_dad=0 '
                    'net.ipv6.conf.eth0.accept_dad=0')
        if self.mac:
            self.sh('ip link set dev eth0 address %s' % self.mac)
        if self.mtu:
            self.sh('ip link set dev eth0 mtu %d' % self.mtu)
        self.sh('ip link set lo up')
        if self.up:
            self.sh('ip link set eth0 up')

    def start_relay(self, timeout=10):
        """Start the relay on gangway's socket (done by __enter__)."""
        fd = self.gangway.sock.fileno()
        self.relay_log = os.path.join(self.workdir, 'relay.stderr')
        with open(self.relay_log, 'wb') as log:
            self.relay = subprocess.Popen(
                ['ip', 'netns', 'exec', self.name, relay_path(), '-i',
                 'eth0', str(fd)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=log, pass_fds=[fd])
        r, _, _ = select.select([self.relay.stdout], [], [], timeout)
        line = self.relay.stdout.readline().decode() if r else ''
        if not line.startswith('ready'):
            self.relay.kill()
            self.relay.wait()
            raise HarnessError('relay did not start: %s' %
                               open(self.relay_log).read())

    def _logs_to_show(self):
        try:
            with open(self.relay_log) as f:
                return [('relay stderr', f.read())]
        except (OSError, AttributeError):
            return []

    def _teardown(self, failed):
        for p in self._procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(3)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if self.relay is not None and self.relay.poll() is None:
            self.relay.terminate()
            try:
                self.relay.wait(3)
            except subprocess.TimeoutExpired:
                self.relay.kill()
                self.relay.wait()
        if self.relay is not None:
            self.relay.stdout.close()
        report = self._stop_gangway(failed)
        if self._ns_created:
            subprocess.run(['ip', 'netns', 'delete', self.name],
                           stderr=subprocess.DEVNULL)
        shutil.rmtree(self.etc, ignore_errors=True)
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if report and not failed:
            raise GangwayCrashed(report)

    # -- running things in the namespace --
    def argv(self, args):
        """argv that runs args inside the namespace."""
        return ['ip', 'netns', 'exec', self.name] + list(args)

    def sh(self, cmd, check=True, timeout=30, env=None):
        """Run `sh -c cmd` in the namespace; return its stdout (a str with
        .returncode and .stderr). check=True raises on non-zero exit."""
        penv = None
        if env:
            penv = dict(os.environ)
            penv.update(env)
        p = subprocess.run(self.argv(['sh', '-c', cmd]), capture_output=True,
                           text=True, timeout=timeout, env=penv)
        if check and p.returncode != 0:
            raise subprocess.CalledProcessError(p.returncode, cmd, p.stdout,
                                                p.stderr)
        return ShResult(p)

    def popen(self, cmd, **kw):
        """Start `sh -c cmd` in the namespace in the background; it is
        terminated at teardown. Keyword arguments go to Popen."""
        kw.setdefault('stdin', subprocess.DEVNULL)
        p = subprocess.Popen(self.argv(['sh', '-c', 'exec ' + cmd]), **kw)
        self._procs.append(p)
        return p

    @staticmethod
    def _python_cmd(code, args):
        return ' '.join(shlex.quote(str(x)) for x in
                        [PYTHON, '-c', code] + list(args))

    def python(self, code, *args, **kw):
        """Run the Python program @code in the namespace with @args as
        sys.argv[1:]; keyword arguments and the result as for sh()."""
        return self.sh(self._python_cmd(code, args), **kw)

    def python_start(self, code, *args, **kw):
        """Start the Python program @code in the background, as popen()
        does, with @args as sys.argv[1:]."""
        return self.popen(self._python_cmd(code, args), **kw)

    # -- address configuration --
    def dhcp4(self, timeout=20, args=()):
        """Run busybox udhcpc on eth0 with tests/guest/udhcpc.script, which
        applies the lease. Return the lease as a dict (ip, mask, router,
        dns, domain, search, mtu, serverid, lease, staticroutes...)."""
        try:
            os.unlink(self.lease_file)
        except FileNotFoundError:
            pass
        cmd = ('%s udhcpc -i eth0 -f -q -n -t 5 -T 1 -O mtu -O search '
               '-O staticroutes -s %s %s' %
               (BUSYBOX, UDHCPC_SCRIPT, ' '.join(args)))
        p = self.sh(cmd, check=False, timeout=timeout,
                    env={'RESOLV_CONF': self.resolv_conf,
                         'LEASE_FILE': self.lease_file})
        lease = self.read_lease()
        if p.returncode != 0 or lease.get('event') not in ('bound', 'renew'):
            raise AssertionError('DHCPv4 failed (udhcpc exit %d): %s %s' %
                                 (p.returncode, p.stdout, p.stderr))
        return lease

    def read_lease(self):
        lease = {}
        try:
            with open(self.lease_file) as f:
                for line in f:
                    k, _, v = line.rstrip('\n').partition('=')
                    lease[k] = v
        except FileNotFoundError:
            pass
        return lease

    def resolv(self):
        """Contents of the namespace's resolv.conf."""
        with open(self.resolv_conf) as f:
            return f.read()

    def slaac6(self, timeout=15):
        """Wait for a global, non-tentative IPv6 address on eth0; return it
        (address/prefix)."""
        end = time.monotonic() + timeout
        while True:
            out = self.sh('ip -6 -o addr show dev eth0 scope global')
            for line in out.splitlines():
                if 'tentative' in line:
                    continue
                m = re.search(r'inet6 (\S+)', line)
                if m:
                    return m.group(1)
            if time.monotonic() > end:
                raise AssertionError('no global IPv6 address on eth0 after '
                                     '%ss: %s' % (timeout, self.sh(
                                         'ip -6 addr show dev eth0')))
            time.sleep(0.1)

    def arp(self, addr, timeout=3, tries=3):
        """Ask for addr by ARP from eth0 (busybox arping: one request a
        second, at most tries, stopping at the first reply); return the MAC
        address that answered (lower case), or None if nothing did within
        timeout seconds."""
        out = self.sh('%s arping -f -c %d -w %d -I eth0 %s' % (
            BUSYBOX, tries, timeout, addr), check=False, timeout=timeout + 10)
        m = re.search(r'reply from \S+ \[([0-9A-Fa-f:]{17})\]', out)
        return m.group(1).lower() if m else None

    def addr4(self):
        """eth0's IPv4 address/prefix, or None."""
        m = re.search(r'inet (\S+)', self.sh('ip -4 -o addr show dev eth0'))
        return m.group(1) if m else None


def guest_images():
    """Build (or reuse) the QEMU guest kernel and initramfs; return their
    paths. Cached in $GANGWAY_GUEST_CACHE or tests/cache/guest."""
    cache = os.environ.get('GANGWAY_GUEST_CACHE') or os.path.join(
        SRC, 'tests', 'cache', 'guest')
    subprocess.run(['sh', os.path.join(GUEST_DIR, 'build.sh'), cache],
                   check=True)
    return (os.path.join(cache, 'kernel'),
            os.path.join(cache, 'initramfs.gz'))


def _cpio_newc(files):
    """An uncompressed newc cpio archive of {path: (mode, bytes)}. The kernel
    unpacks it on top of the compressed initramfs before it."""
    out = bytearray()
    ino = 1

    def entry(name, mode, data):
        nonlocal ino
        name_b = name.encode() + b'\0'
        hdr = '070701' + ''.join('%08X' % v for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
        ino += 1
        out.extend(hdr.encode() + name_b)
        out.extend(b'\0' * (-len(out) % 4))
        out.extend(data)
        out.extend(b'\0' * (-len(out) % 4))

    for name, (mode, data) in files.items():
        entry(name, mode, data)
    entry('TRAILER!!!', 0, b'')
    out.extend(b'\0' * (-len(out) % 512))
    return bytes(out)


def parse_results(text):
    """{name: value} from the 'RESULT name=value' lines of a serial log
    (the last value wins)."""
    res = {}
    for m in re.finditer(r'^RESULT ([A-Za-z0-9_.-]+)=(.*?)\r?$', text,
                         re.M):
        res[m.group(1)] = m.group(2)
    return res


# QemuGuest script lines: take a DHCPv4 lease and report what it set up
# (RESULT dhcp=ok, addr, gw, mtu, ns: the first nameserver)
LEASE_SCRIPT = r'''
dhcp4 && result dhcp ok
result addr "$(ip4_addr)"
result gw "$(ip -4 route show default | awk '{print $3}')"
result mtu "$(cat /sys/class/net/eth0/mtu)"
result ns "$(awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf)"
'''


class QemuGuest(_GuestBase):
    """A QEMU guest (Debian kernel, busybox initramfs) on gangway.

    script is shell run by the guest's /init after eth0 is up, with the
    helpers of tests/guest/guest.sh (dhcp4, slaac6, result NAME VALUE...).
    run() boots, waits for power-off and returns the serial console text;
    results() parses its RESULT lines.

    Stream (default): gangway is launched as QEMU 10.1 would (Gangway) and
    QEMU 7.2 gets our socketpair end with -netdev stream,addr.type=fd;
    nic is the QEMU NIC model on it (virtio-net-pci, e1000, e1000e,
    rtl8139: the guest initramfs has their drivers).
    vhost_user=True: QEMU 7.2's -netdev vhost-user on a UNIX socket, with
    shared memfd guest memory; the back-end is started by
    vhost_user_launcher(sock_path, gangway_args, workdir) -> object with
    terminate(), crash_report(), logs(), cleanup(); the default runs gangway
    --vhost-user -s SOCK (no --fd) and waits for SOCK to appear.
    """

    def __init__(self, gangway_args=(), script='', vhost_user=False,
                 mem='512M', timeout=180, gangway_opts=None,
                 vhost_user_launcher=None, qemu_args=(), append='',
                 mac='52:54:00:12:34:56', nic='virtio-net-pci'):
        self.gangway_args = list(gangway_args)
        self.nic = nic
        self.gangway_opts = dict(gangway_opts or {})
        self.script = script
        self.vhost_user = vhost_user
        self.mem = mem
        self.timeout = timeout
        self.vhost_user_launcher = vhost_user_launcher
        self.qemu_args = list(qemu_args)
        self.append = append
        self.mac = mac
        self.gangway = None
        self.proc = None
        self.output = ''
        self.workdir = None

    def _start(self):
        self._prepare()

    def _prepare(self):
        """Build the initramfs with the script, start gangway, compose
        QEMU's command line (run() starts QEMU)."""
        self.kernel, self.initrd = guest_images()
        self.workdir = tempfile.mkdtemp(prefix='gwt-qemu-')
        os.chmod(self.workdir, 0o1777)
        # The test script goes in a second, uncompressed archive: the kernel
        # unpacks concatenated archives in order.
        self.test_initrd = os.path.join(self.workdir, 'initrd')
        script = self.script.encode()
        with open(self.initrd, 'rb') as f, \
                open(self.test_initrd, 'wb') as out:
            base = f.read()
            out.write(base)
            out.write(b'\0' * (-len(base) % 4))
            out.write(_cpio_newc({'test.sh': (0o100755, script)}))

        opts = dict(self.gangway_opts)
        opts.setdefault('workdir', self.workdir)
        netdev = []
        self.pass_fds = []
        if self.vhost_user:
            self.vu_sock = os.path.join(self.workdir, 'vhost-user.sock')
            launch = self.vhost_user_launcher or self._launch_vhost_user
            self.gangway = launch(self.vu_sock, self.gangway_args, opts)
            netdev = [
                '-object', 'memory-backend-memfd,id=mem,size=%s,share=on' %
                self.mem,
                '-numa', 'node,memdev=mem',
                '-chardev', 'socket,id=c,path=%s' % self.vu_sock,
                '-netdev', 'vhost-user,id=n0,chardev=c',
                # QEMU 7.2 under TCG crashes with MSI-X: no vectors
                '-device', 'virtio-net-pci,netdev=n0,vectors=0,romfile=,'
                'mac=%s' % self.mac,
            ]
        else:
            self.gangway = Gangway(self.gangway_args, **opts)
            fd = self.gangway.sock.fileno()
            self.pass_fds = [fd]
            netdev = [
                '-netdev', 'stream,id=n0,server=off,addr.type=fd,'
                'addr.str=%d' % fd,
                '-device', '%s,netdev=n0,romfile=,mac=%s' %
                (self.nic, self.mac),
            ]
        append = 'console=ttyS0 quiet panic=-1 ' + self.append
        self.argv = [
            QEMU, '-accel', 'tcg', '-cpu', 'max', '-m', self.mem,
            '-nodefaults', '-no-reboot', '-nographic', '-serial', 'stdio',
            '-monitor', 'none',
            '-kernel', self.kernel, '-initrd', self.test_initrd,
            '-append', append,
        ] + netdev + self.qemu_args

    @staticmethod
    def _launch_vhost_user(sock_path, gangway_args, opts, timeout=10):
        g = Gangway(list(gangway_args) + ['--vhost-user', '-s', sock_path],
                    fd=False, **opts)
        end = time.monotonic() + timeout
        while not os.path.exists(sock_path):
            if time.monotonic() > end or not g.alive():
                g.terminate()
                msg = g.logs()
                g.cleanup()
                raise HarnessError('gangway --vhost-user did not create %s:'
                                   ' %s' % (sock_path, msg))
            time.sleep(0.02)
        return g

    def run(self, timeout=None):
        """Boot, run the script, wait for power-off (or timeout: the guest is
        killed and AssertionError raised). Return the serial console text."""
        timeout = timeout or self.timeout
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, pass_fds=self.pass_fds)
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            self.output = out.decode(errors='replace')
            raise AssertionError('QEMU guest did not power off within %ss;'
                                 ' serial console:\n%s' %
                                 (timeout, self.output))
        self.elapsed = time.monotonic() - self.started
        self.output = out.decode(errors='replace')
        if 'GANGWAY-GUEST-END' not in self.output:
            raise AssertionError('QEMU exited (%d) before the guest script '
                                 'finished; output:\n%s' %
                                 (self.proc.returncode, self.output))
        return self.output

    def results(self, text=None):
        """RESULT lines of the serial output as a dict."""
        return parse_results(self.output if text is None else text)

    def _logs_to_show(self):
        return [('serial console', self.output)]

    def _teardown(self, failed):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        report = self._stop_gangway(failed)
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if report and not failed:
            raise GangwayCrashed(report)


class RrGuest(QemuGuest):
    """QemuGuest whose initramfs also holds /bin/rr (bench/rr.c, linked
    static: build/bench/rr-static, left out of sanitizer builds)."""

    def _prepare(self):
        super()._prepare()
        with open(rr_static_path(), 'rb') as f:
            rr = f.read()
        with open(self.test_initrd, 'ab') as out:
            out.write(_cpio_newc({'bin/rr': (0o100755, rr)}))


def rr_static_path():
    return os.path.join(build_dir(), 'bench', 'rr-static')


class HostTransfer:
    """Loopback TCP servers for a guest's transfer both ways, with the
    guest's half of it as script lines.

    up takes one connection and hashes everything to EOF (the upload);
    down sends size random bytes to one connection (the download). The
    guest script (guest_script()) uploads size random bytes to up and
    downloads from down through the gateway address, reporting up_sha,
    up_rc and down_sha; check() asserts both directions arrived whole.

        with HostTransfer(8 << 20) as t:
            with QemuGuest(script='dhcp4\n' + t.guest_script()) as q:
                q.run()
            t.check(q.results(), q.output)
    """

    def __init__(self, size, timeout=600):
        self.size = size
        self.data = os.urandom(size)
        self.sent_sha = hashlib.sha256(self.data).hexdigest()
        self.got_sha = None
        self.got_bytes = None
        self.errors = []
        self.up = self._listen(timeout)
        self.down = self._listen(timeout)
        self.threads = [threading.Thread(target=f, daemon=True)
                        for f in (self._upload, self._download)]
        for t in self.threads:
            t.start()

    @staticmethod
    def _listen(timeout):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        s.listen(1)
        s.settimeout(timeout)
        return s

    def _upload(self):
        try:
            c, _ = self.up.accept()
            h, n = hashlib.sha256(), 0
            while True:
                b = c.recv(65536)
                if not b:
                    break
                h.update(b)
                n += len(b)
            self.got_sha, self.got_bytes = h.hexdigest(), n
            c.close()
        except OSError as e:
            self.errors.append('upload: %s' % e)

    def _download(self):
        try:
            c, _ = self.down.accept()
            c.sendall(self.data)
            c.close()
        except OSError as e:
            self.errors.append('download: %s' % e)

    def guest_script(self, gw='192.0.2.1'):
        """Shell lines for the guest (tests/guest/guest.sh helpers): the
        upload, then the download, to the host's loopback through gw."""
        return (
            'dd if=/dev/urandom of=/tmp/up bs=1024 count=%(kib)d '
            '2>/dev/null\n'
            'result up_sha "$(sha256sum /tmp/up | cut -d\' \' -f1)"\n'
            'nc %(gw)s %(up)d < /tmp/up > /dev/null\n'
            'result up_rc $?\n'
            'nc %(gw)s %(down)d < /dev/null > /tmp/down\n'
            'result down_sha "$(sha256sum /tmp/down | cut -d\' \' -f1)"\n'
        ) % {'kib': self.size // 1024, 'gw': gw,
             'up': self.up.getsockname()[1],
             'down': self.down.getsockname()[1]}

    def join(self, timeout=30):
        """Wait for both servers to finish (after the guest powered off)."""
        for t in self.threads:
            t.join(timeout)

    def check(self, results, output=''):
        """Assert both directions arrived whole; results is the guest's
        RESULT dict, output its serial console (shown on failure)."""
        assert not self.errors, self.errors
        assert results.get('up_rc') == '0', output
        assert self.got_bytes == self.size, \
            'guest to host: %s of %d bytes' % (self.got_bytes, self.size)
        assert self.got_sha == results['up_sha'], \
            'guest to host data differs'
        assert results['down_sha'] == self.sent_sha, \
            'host to guest data differs'

    def close(self):
        self.up.close()
        self.down.close()

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        self.close()


__all__ = ['Gangway', 'NsGuest', 'QemuGuest', 'HostTransfer', 'gangway_path',
           'free_ports', 'LEASE_SCRIPT', 'relay_path', 'build_dir', 'guest_images',
           'parse_results', 'HarnessError', 'GangwayCrashed', 'ShResult']
