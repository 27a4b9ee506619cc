# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/bench.py - gangway against passt, pasta, slirp4netns and the
host's loopback, on the same work in the same run (issue 7)

Owns: starting each peer the way its users do, driving the same workload
through each, and printing one table with ratios against passt and a
"MISSED: ..." line for every target of issue 7 that gangway missed.
Does not own: pass/fail of the test suite (this is not a test), or the
daemons' code.

    GANGWAY_BUILD=build /usr/bin/python3 bench/bench.py [options]
    meson compile -C build bench          # the same, default options

Peers (namespace mode, the default):
  loopback   client on the host itself, to 127.0.0.1: the ceiling
  gangway    namespace + tap + tests/harness/relay on gangway's socket,
             gangway launched as QEMU 10.1 launches it; guest reaches the
             host's loopback at the gateway 192.0.2.1
  gangway-nopoll  the same with --busy-poll 0 (never spins before sleeping)
  gangway-bpN     the same with --busy-poll N (e.g. gangway-bp100)
  passt      the same relay and launch, /usr/bin/passt instead of gangway
  pasta      pasta --config-net on a fresh namespace (gateway mapped too)
  slirp4netns  --configure --mtu=65520 on a fresh namespace; 10.0.2.2 is
             the host's loopback
Every server listens on 127.0.0.1; every client runs in the namespace.
Traffic goes nowhere else (network rule).

For each bulk run the table after the main one gives the CPU seconds per
GB delivered of every process on the path: the daemon and the relay
(/proc/PID/stat), the iperf3 client and server (wait4() rusage), the
machine's softirq + irq time (/proc/stat: not charged to any task), their
total, and "other" (the rest of the machine's busy time: the load of
whatever else shares it). "zero-d Gbit/s" and the CEILING lines: what a
daemon costing no CPU would reach with the rest of its path unchanged,
throughput x total / (total - daemon), as a ratio to passt's.
"d-user" is the part of the daemon's CPU spent in its own code (utime);
the rest is the kernel working for it (system calls, the softirq work
they trigger). The FLOOR lines: the daemon's kernel time alone as a
ratio to passt's whole CPU per GB, the best a daemon making the same
system calls could reach if its own code cost nothing.

--qemu runs the QEMU mode instead: a TCG guest moves the same bytes over
gangway's stream link, over gangway's vhost-user link and over passt's
stream link, and the daemon's CPU seconds per GB are compared (the
emulated guest, not the daemon, limits throughput there).
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get('GANGWAY_SRC') or os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRC, 'tests', 'system'))
from harness import NsGuest, RrGuest, build_dir  # noqa

PASST = '/usr/bin/passt'
PASTA = '/usr/bin/pasta'
SLIRP = '/usr/bin/slirp4netns'
# BENCH_PORT moves both ports, so that two runs on one machine do not meet
IPERF_PORT = int(os.environ.get('BENCH_PORT', '5301'))
RR_PORT = IPERF_PORT + 1
IDLE_CONNS = 10000
CLK_TCK = os.sysconf('SC_CLK_TCK')
PAGE = os.sysconf('SC_PAGE_SIZE')
GB = 1e9


def rr_path():
    return os.path.join(build_dir(), 'bench', 'rr')


def load():
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


def cpu_split(pid):
    """(utime, stime) of pid, in seconds ((0, 0) without a daemon)."""
    if not pid:
        return 0.0, 0.0
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def cpu_seconds(pid):
    """utime + stime of pid, in seconds (0 without a daemon)."""
    return sum(cpu_split(pid))


def machine_cpu():
    """(softirq + irq seconds, busy seconds) of the whole machine from
    /proc/stat. Without CONFIG_IRQ_TIME_ACCOUNTING a tick that lands in a
    softirq (in ksoftirqd too) counts there and not to the task it
    interrupted, so this adds to the processes' utime + stime."""
    with open('/proc/stat') as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return (v[5] + v[6]) / CLK_TCK, \
        (v[0] + v[1] + v[2] + v[5] + v[6]) / CLK_TCK


def wait_rusage(p, timeout):
    """Reap Popen p with wait4(): its CPU seconds (utime + stime, with the
    descendants it reaped), or None if it outlived timeout (then killed)."""
    end = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return ru.ru_utime + ru.ru_stime
        if time.monotonic() > end:
            p.kill()
            p.wait()
            return None
        time.sleep(0.02)


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        m = re.search(r'^VmRSS:\s+(\d+) kB', f.read(), re.M)
    return int(m.group(1)) if m else 0


def wait_for(cond, timeout, what):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise RuntimeError('timed out waiting for ' + what)
        time.sleep(0.05)


# -- peers: each gives argv() to run in its "guest", target (the address
#    that reaches the host's 127.0.0.1) and pid (the daemon, or None) --

class Loopback:
    name = 'loopback'
    target = '127.0.0.1'
    pid = None

    def __enter__(self):
        return self

    def __exit__(self, *a):
        pass

    def argv(self, args):
        return list(args)


class Relayed:
    """gangway or passt through NsGuest: netns, tap, relay, QEMU launch."""
    target = '192.0.2.1'

    def __init__(self, name, binary, args):
        self.name = name
        self.binary = binary
        self.args = args
        self.ns = None

    def __enter__(self):
        opts = {'binary': self.binary} if self.binary else {}
        self.ns = NsGuest(gangway_args=self.args, gangway_opts=opts,
                          mtu=65520)
        self.ns.__enter__()
        try:
            self.ns.dhcp4()
            self.ns.sh('sysctl -qw net.ipv4.tcp_tw_reuse=1')
        except BaseException:
            self.ns.__exit__(*sys.exc_info())
            raise
        self.pid = self.ns.gangway.pid
        return self

    def __exit__(self, *a):
        self.ns.__exit__(*a)

    def argv(self, args):
        return self.ns.argv(args)


class FreshNs:
    """A namespace of our own, handed to pasta or slirp4netns."""

    def __init__(self):
        self.netns = 'gwb-' + secrets.token_hex(4)
        self.workdir = None
        self.proc = None
        self.pid = None

    def _mkns(self):
        self.workdir = tempfile.mkdtemp(prefix='gwb-')
        os.chmod(self.workdir, 0o1777)
        subprocess.run(['ip', 'netns', 'add', self.netns], check=True)

    def argv(self, args):
        return ['ip', 'netns', 'exec', self.netns] + list(args)

    def sh(self, cmd):
        return subprocess.run(self.argv(['sh', '-c', cmd]), check=True,
                              capture_output=True, text=True).stdout

    def __exit__(self, *a):
        if self.pid:
            try:
                os.kill(self.pid, 15)
            except ProcessLookupError:
                pass
        if self.proc:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        elif self.pid:
            end = time.monotonic() + 5
            while os.path.exists('/proc/%d' % self.pid) and \
                    time.monotonic() < end:
                time.sleep(0.05)
        subprocess.run(['ip', 'netns', 'delete', self.netns],
                       stderr=subprocess.DEVNULL)
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


class Pasta(FreshNs):
    name = 'pasta'
    target = '192.0.2.1'

    def __enter__(self):
        self._mkns()
        pidfile = os.path.join(self.workdir, 'pasta.pid')
        subprocess.run([PASTA, '--config-net', '-q', '--runas', '0',
                        '--pid', pidfile, '--netns',
                        '/run/netns/' + self.netns], check=True)
        wait_for(lambda: os.path.exists(pidfile) and
                 open(pidfile).read().strip(), 10, 'pasta pid file')
        self.pid = int(open(pidfile).read())
        self.sh('sysctl -qw net.ipv4.tcp_tw_reuse=1')
        return self


class Slirp(FreshNs):
    name = 'slirp4netns'
    target = '10.0.2.2'

    def __enter__(self):
        self._mkns()
        self.proc = subprocess.Popen(
            [SLIRP, '--configure', '--mtu=65520', '--netns-type=path',
             '/run/netns/' + self.netns, 'tap0'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.pid = self.proc.pid
        wait_for(lambda: 'inet ' in self.sh('ip -4 addr show dev tap0 '
                                            '2>/dev/null || true'),
                 10, 'slirp4netns to configure tap0')
        self.sh('sysctl -qw net.ipv4.tcp_tw_reuse=1')
        return self


def make_peers(names):
    """(name, factory) per peer name; gangway-nopoll and gangway-bpN are
    gangway with --busy-poll 0 and N, to compare in one interleaved run."""
    gw_args = ['--mtu', '65520', '--max-flows', str(IDLE_CONNS + 2000)]

    def gw_variant(name, usec):
        return lambda: Relayed(name, None, gw_args + ['--busy-poll', usec])

    table = {
        'loopback': lambda: Loopback(),
        'gangway': lambda: Relayed('gangway', None, gw_args),
        'passt': lambda: Relayed('passt', PASST, []),
        'pasta': lambda: Pasta(),
        'slirp4netns': lambda: Slirp(),
    }
    table['gangway-nopoll'] = gw_variant('gangway-nopoll', '0')
    for n in names:
        m = re.fullmatch(r'gangway-bp(\d+)', n)
        if m:
            table[n] = gw_variant(n, m.group(1))
    return [(n, table[n]) for n in names]


# -- work --

def listening(port):
    out = subprocess.run(['ss', '-Hltn', 'sport = :%d' % port],
                         capture_output=True, text=True).stdout
    return bool(out.strip())


def stop(p, timeout=5):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class Servers:
    """The rr server on the host's 127.0.0.1 for one peer (iperf3 servers
    are started per run: see iperf())."""

    def __enter__(self):
        self.rr = subprocess.Popen(
            [rr_path(), 'server', '127.0.0.1', str(RR_PORT)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        self.rr.stdout.readline()
        return self

    def __exit__(self, *a):
        stop(self.rr)
        self.rr.stdout.close()


def run(peer, args, timeout, cpu=None):
    """Run args in peer's guest: its stdout. With a dict cpu, also its CPU
    seconds as cpu['client'] (wait4(): what ran, with what it reaped)."""
    with tempfile.TemporaryFile('w+') as out, \
            tempfile.TemporaryFile('w+') as err:
        p = subprocess.Popen(peer.argv(args), stdin=subprocess.DEVNULL,
                             stdout=out, stderr=err, text=True)
        c = wait_rusage(p, timeout)
        if c is None:
            raise subprocess.TimeoutExpired(args, timeout)
        if cpu is not None:
            cpu['client'] = c
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if p.returncode != 0 and '"error"' not in stdout:
        raise RuntimeError('%s: %s failed: %s%s' % (
            peer.name, ' '.join(args), stdout[-2000:], stderr[-2000:]))
    return stdout


# Where the CPU of a bulk run goes: each process on the path, the machine's
# softirq time, and the machine's busy time (minus all of those: "other",
# the rest of this shared machine)
PATH_CPU = ('daemon', 'relay', 'client', 'server', 'softirq')


def iperf(peer, secs, reverse=False, udp=False):
    """One iperf3 run: (delivered bytes, seconds, loss %, {part: CPU s})
    with parts PATH_CPU and 'busy' (the whole machine)."""
    args = ['iperf3', '-c', peer.target, '-p', str(IPERF_PORT),
            '-t', str(secs), '-J']
    if reverse:
        args.append('-R')
    if udp:
        args += ['-u', '-l', '32000', '-b', UDP_RATE]
    # A fresh one-test server per run: a run that ended badly cannot leave
    # the next one facing a busy server.
    srv = subprocess.Popen(['iperf3', '-s', '-1', '-B', '127.0.0.1', '-p',
                            str(IPERF_PORT)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    relay = getattr(getattr(peer, 'ns', None), 'relay', None)
    rpid = relay.pid if relay else None
    cpu = {}
    try:
        wait_for(lambda: listening(IPERF_PORT), 10, 'iperf3 server')
        c0, r0, m0 = cpu_split(peer.pid), cpu_seconds(rpid), machine_cpu()
        out = run(peer, args, secs + 60, cpu)
        c1, r1, m1 = cpu_split(peer.pid), cpu_seconds(rpid), machine_cpu()
    finally:
        cpu['server'] = wait_rusage(srv, 5)
    cpu.update(daemon=sum(c1) - sum(c0), relay=r1 - r0,
               softirq=m1[0] - m0[0], busy=m1[1] - m0[1],
               d_user=c1[0] - c0[0])
    if not peer.pid:
        cpu['daemon'] = cpu['d_user'] = None
    if not rpid:
        cpu['relay'] = None
    j = json.loads(out)
    if 'error' in j:
        raise RuntimeError('%s: iperf3 %s: %s' % (peer.name, ' '.join(
            args[3:]), j['error']))
    end = j['end']
    if udp:
        s = end['sum']
        secs_run = s['seconds']
        got = (s['packets'] - s['lost_packets']) * 32000
        return got, secs_run, s['lost_percent'], cpu
    s = end['sum_received']
    return s['bytes'], s['seconds'], 0.0, cpu


UDP_RATE = '10G'


PERF_DIR = None


def perf_start(peer, key):
    """With --perf DIR: record the daemon's call graphs during a run."""
    if not PERF_DIR or not peer.pid:
        return None
    out = os.path.join(PERF_DIR, '%s-%s.data' % (peer.name, key))
    return subprocess.Popen(['perf', 'record', '-q', '-g', '-o', out, '-p',
                             str(peer.pid)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def bulk_once(peer, key, secs, reverse, udp, first):
    """One iperf3 run as a sample: (Gbit/s, loss %, bytes, {part: CPU s})."""
    perf = perf_start(peer, key) if first else None
    try:
        b, t, loss, cpu = iperf(peer, secs, reverse, udp)
    finally:
        if perf:
            perf.send_signal(2)
            perf.wait(30)
    return b * 8 / t / 1e9, loss, b, cpu


def bulk_summary(peer, res, key, samples, udp):
    res[key + '_gbps'] = statistics.median(x[0] for x in samples)
    if udp:
        res[key + '_loss'] = statistics.median(x[1] for x in samples)
    moved = sum(x[2] for x in samples)
    if not moved:
        return
    if peer.pid:
        res[key + '_cpu_per_gb'] = sum(x[3]['daemon'] for x in samples) / \
            (moved / GB)
    # CPU s/GB of each part of the path, summed over the runs
    per = {}
    for part in PATH_CPU + ('busy', 'd_user'):
        v = [x[3].get(part) for x in samples]
        per[part] = None if None in v else sum(v) / (moved / GB)
    path = sum(per[k] or 0 for k in PATH_CPU)
    per['total'] = path
    per['other'] = per['busy'] - path if per['busy'] is not None else None
    # A daemon costing nothing, the rest of the path as it is: the machine
    # gives the path the same CPU per second, so throughput grows by
    # total / (total - daemon)
    if per['daemon'] is not None and path > per['daemon']:
        per['ceiling_gbps'] = res[key + '_gbps'] * path / \
            (path - per['daemon'])
    res[key + '_path_cpu'] = per


def rr_once(peer, mode, secs):
    out = run(peer, [rr_path(), mode, peer.target, str(RR_PORT), str(secs)],
              secs + 30)
    return dict((k, float(v)) for k, v in
                (kv.split('=') for kv in out.split()))


BULK = {
    'tcp_up': ('tcp', False, False),
    'tcp_down': ('tcp', True, False),
    'udp_up': ('udp', False, True),
    'udp_down': ('udp', True, True),
}


def interleaved(peers, results, work, args):
    """Each test, each repetition, each peer in turn: a change of load on
    the shared machine hits every peer alike instead of one."""
    for key, (w, reverse, udp) in BULK.items():
        if w not in work and key not in work:
            continue
        samples = {p.name: [] for p in peers}
        for i in range(args.reps):
            for p in peers:
                try:
                    samples[p.name].append(bulk_once(
                        p, key, args.time, reverse, udp, i == 0))
                except Exception as e:
                    results[p.name]['error'] = str(e)
                    print('bench: %s %s: %s' % (p.name, key, e),
                          file=sys.stderr, flush=True)
        for p in peers:
            if samples[p.name]:
                bulk_summary(p, results[p.name], key, samples[p.name], udp)
        print('bench: %s done (load %s)' % (key, load()), flush=True)
    if 'rr' not in work:
        return
    for mode, keys in (('rr', (('rr_tps', 'tps'), ('rr_p99_us', 'p99_us'))),
                       ('crr', (('crr_cps', 'cps'),))):
        samples = {p.name: [] for p in peers}
        for i in range(args.reps):
            for p in peers:
                try:
                    samples[p.name].append(rr_once(p, mode, args.rr_time))
                except Exception as e:
                    results[p.name]['error'] = str(e)
                    print('bench: %s %s: %s' % (p.name, mode, e),
                          file=sys.stderr, flush=True)
        for p in peers:
            for key, field in keys:
                if samples[p.name]:
                    results[p.name][key] = statistics.median(
                        m[field] for m in samples[p.name])
        print('bench: %s done (load %s)' % (mode, load()), flush=True)


def idle_work(peer, res, n, settle, hold):
    if not peer.pid:
        return
    rss0 = rss_kib(peer.pid)
    p = subprocess.Popen(peer.argv([rr_path(), 'idle', peer.target,
                                    str(RR_PORT), str(n)]),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline().split()
        if not line or line[0] != 'ready':
            p.stdin.close()
            p.wait(30)
            raise RuntimeError('%s: idle connections: %s %s' %
                               (peer.name, line, p.stderr.read()))
        ok, setup = int(line[1]), float(line[3])
        res['idle_ok'] = ok
        res['idle_failed'] = int(line[2])
        res['idle_setup_s'] = setup
        if not ok:
            raise RuntimeError('%s: no idle connection set up' % peer.name)
        time.sleep(settle)
        rss1 = rss_kib(peer.pid)
        c0 = cpu_seconds(peer.pid)
        time.sleep(hold)
        c1 = cpu_seconds(peer.pid)
        res['idle_rss_mib'] = rss1 / 1024
        res['idle_bytes_per_conn'] = (rss1 - rss0) * 1024 / ok
        res['idle_cpu_pct'] = 100 * (c1 - c0) / hold
    finally:
        if p.poll() is None:
            p.stdin.close()
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


# -- report --

ROWS = [
    ('tcp_up_gbps', 'TCP guest->host Gbit/s', '%.2f', 'hi'),
    ('tcp_down_gbps', 'TCP host->guest Gbit/s', '%.2f', 'hi'),
    ('tcp_up_cpu_per_gb', 'TCP g->h daemon CPU s/GB', '%.3f', 'lo'),
    ('tcp_down_cpu_per_gb', 'TCP h->g daemon CPU s/GB', '%.3f', 'lo'),
    ('udp_up_gbps', 'UDP g->h delivered Gbit/s', '%.2f', 'hi'),
    ('udp_up_loss', 'UDP g->h loss %', '%.1f', 'lo'),
    ('udp_down_gbps', 'UDP h->g delivered Gbit/s', '%.2f', 'hi'),
    ('udp_down_loss', 'UDP h->g loss %', '%.1f', 'lo'),
    ('udp_up_cpu_per_gb', 'UDP g->h daemon CPU s/GB', '%.3f', 'lo'),
    ('udp_down_cpu_per_gb', 'UDP h->g daemon CPU s/GB', '%.3f', 'lo'),
    ('rr_tps', 'TCP 1-byte RR trans/s', '%.0f', 'hi'),
    ('rr_p99_us', 'TCP 1-byte RR p99 us', '%.0f', 'lo'),
    ('crr_cps', 'TCP connect+1B+close /s', '%.0f', 'hi'),
    ('idle_ok', 'idle conns set up (of --idle)', '%d', 'hi'),
    ('idle_setup_s', 'time to set them up s', '%.1f', 'lo'),
    ('idle_rss_mib', 'daemon RSS with idle conns MiB', '%.1f', 'lo'),
    ('idle_bytes_per_conn', 'RSS growth per idle conn B', '%.0f', 'lo'),
    ('idle_cpu_pct', 'daemon CPU while idle %', '%.2f', 'lo'),
]

# Issue 7's targets: (key, kind, bound) with gangway/passt ratio bounds
TARGETS = [
    ('tcp_up_gbps', 'TCP bulk guest->host >= 1.5x passt', 'min', 1.5),
    ('tcp_down_gbps', 'TCP bulk host->guest >= 1.5x passt', 'min', 1.5),
    ('tcp_up_cpu_per_gb', 'TCP g->h CPU/GB <= 0.7x passt', 'max', 0.7),
    ('tcp_down_cpu_per_gb', 'TCP h->g CPU/GB <= 0.7x passt', 'max', 0.7),
    ('udp_up_gbps', 'UDP bulk guest->host >= 1.5x passt', 'min', 1.5),
    ('udp_down_gbps', 'UDP bulk host->guest >= 1.5x passt', 'min', 1.5),
    ('rr_tps', 'RR transactions/s >= passt', 'min', 1.0),
    ('rr_p99_us', 'RR p99 no worse than passt', 'max', 1.0),
    ('idle_bytes_per_conn', 'memory per idle connection below passt',
     'max', 1.0),
]


CPU_COLS = ('daemon', 'd_user') + PATH_CPU[1:] + ('total', 'other')


def path_report(results, names, out):
    """CPU s/GB of each process on the path of each bulk run, and the
    ceiling: what a daemon costing no CPU would reach, against passt."""
    rows = [(key, n) for key in BULK for n in names
            if key + '_path_cpu' in results.get(n, {})]
    if not rows:
        return
    print('\n%-26s' % 'CPU s/GB' + ''.join(
        '%9s' % c.replace('_', '-') for c in CPU_COLS) +
          '%15s' % 'zero-d Gbit/s', file=out)
    for key, n in rows:
        per = results[n][key + '_path_cpu']
        print('%-26s' % ('%s %s' % (key, n)) + ''.join(
            '%9s' % fmt('%.3f', per.get(c)) for c in CPU_COLS) +
            '%15s' % fmt('%.2f', per.get('ceiling_gbps')), file=out)
    p = results.get('passt', {})
    for key in BULK:
        for n in ('gangway', 'passt'):
            per = results.get(n, {}).get(key + '_path_cpu', {})
            if not per.get('ceiling_gbps') or not p.get(key + '_gbps'):
                continue
            print('CEILING: %s with a zero-CPU daemon on %s\'s path: %.2fx '
                  'passt (now %.2fx; daemon %.0f%% of the path\'s CPU)' % (
                      key, n, per['ceiling_gbps'] / p[key + '_gbps'],
                      results[n][key + '_gbps'] / p[key + '_gbps'],
                      100 * per['daemon'] / per['total']), file=out)
    # The daemon's kernel time (stime) is what its system calls cost: a
    # daemon making the same calls with no code of its own would cost that
    for key in BULK:
        pp = p.get(key + '_path_cpu', {})
        for n in ('gangway', 'passt'):
            per = results.get(n, {}).get(key + '_path_cpu', {})
            if None in (per.get('daemon'), per.get('d_user'),
                        pp.get('daemon')) or not pp['daemon']:
                continue
            k = per['daemon'] - per['d_user']
            print('FLOOR: %s: %s\'s daemon spends %.0f%% of its CPU in the '
                  'kernel (%.3f s/GB); with no user-space cost at all it '
                  'would be %.2fx passt\'s CPU per GB (now %.2fx)' % (
                      key, n, 100 * k / per['daemon'] if per['daemon']
                      else 0, k, k / pp['daemon'],
                      per['daemon'] / pp['daemon']), file=out)


def fmt(fmt_, v):
    return '-' if v is None else fmt_ % v


def report(results, names, out=sys.stdout):
    w = 34
    cw = max([13] + [len(n) + 2 for n in names])    # column width
    print('%-*s' % (w, 'metric') + ''.join('%*s' % (cw, n) for n in names) +
          ('%13s' % 'gw/passt' if 'gangway' in names and 'passt' in names
           else ''), file=out)
    for key, label, f, _ in ROWS:
        if not any(key in results.get(n, {}) for n in names):
            continue
        line = '%-*s' % (w, label)
        line += ''.join('%*s' % (cw, fmt(f, results.get(n, {}).get(key)))
                        for n in names)
        g = results.get('gangway', {}).get(key)
        p = results.get('passt', {}).get(key)
        if g is not None and p:
            line += '%13s' % ('%.2fx' % (g / p))
        print(line, file=out)
    for n in names:
        if results.get(n, {}).get('error'):
            print('ERROR: %s: %s' % (n, results[n]['error']), file=out)
    path_report(results, names, out)
    g, p = results.get('gangway'), results.get('passt')
    if not g or not p:
        return
    for key, label, kind, bound in TARGETS:
        if key not in g or key not in p or g[key] is None or p[key] is None:
            continue
        ok = (g[key] >= bound * p[key]) if kind == 'min' else \
            (g[key] <= bound * p[key])
        if not ok:
            print('MISSED: %s (gangway %s, passt %s, ratio %.2f)' % (
                label, '%.4g' % g[key], '%.4g' % p[key],
                g[key] / p[key] if p[key] else float('inf')), file=out)
    if 'idle_cpu_pct' in g and g['idle_cpu_pct'] > 0.5:
        print('MISSED: no CPU while idle (gangway %.2f%%)' %
              g['idle_cpu_pct'], file=out)


# -- QEMU mode --

QEMU_SCRIPT = r"""
dhcp4 || exit 1
t0=$(date +%%s)
dd if=/dev/zero bs=65536 count=%(blocks)d 2>/dev/null | \
	timeout %(limit)d nc 192.0.2.1 %(up)d
t1=$(date +%%s)
timeout %(limit)d nc 192.0.2.1 %(down)d < /dev/null | wc -c > /tmp/n
t2=$(date +%%s)
result down_bytes "$(cat /tmp/n)"
result up_s $((t1 - t0))
result down_s $((t2 - t1))
/bin/rr udpsend 192.0.2.1 %(uup)d %(usecs)d 32000 > /tmp/u
result udp_sent "$(cat /tmp/u)"
/bin/rr udprecv 192.0.2.1 %(udown)d %(usecs)d > /tmp/d
result udp_got "$(cat /tmp/d)"
"""
QEMU_LIMIT_S = 120      # per direction: a transfer slower than this is cut


class Phases:
    """The daemon's CPU time at the moments the host side sees each
    transfer begin and end (boot and DHCP are left out)."""

    def __init__(self):
        self.pid = None
        self.t = {}

    def mark(self, name):
        if self.pid and name not in self.t:
            self.t[name] = cpu_seconds(self.pid)

    def cpu(self, a, b):
        if a in self.t and b in self.t:
            return self.t[b] - self.t[a]
        return None


def qemu_servers(size, ph, usecs, urate):
    """TCP sink and source of size bytes, UDP sink and paced UDP source,
    all on 127.0.0.1; they mark phases in ph. Return (counters, ports,
    sockets)."""
    up, down = socket.socket(), socket.socket()
    for s in (up, down):
        s.bind(('127.0.0.1', 0))
        s.listen(1)
        s.settimeout(1800)
    uup = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udown = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for s in (uup, udown):
        s.bind(('127.0.0.1', 0))
        s.settimeout(1800)
    got = {'tcp_up': 0, 'udp_up': 0, 'udp_down_sent': 0}

    def sink():
        c, _ = up.accept()
        ph.mark('tcp_up0')
        while got['tcp_up'] < size:
            b = c.recv(1 << 20)
            if not b:
                break
            got['tcp_up'] += len(b)
        ph.mark('tcp_up1')
        c.close()

    def source():
        c, _ = down.accept()
        ph.mark('tcp_down0')
        chunk = b'\0' * (1 << 20)
        left = size
        try:
            while left:
                left -= c.send(chunk[:min(left, len(chunk))])
        except OSError:
            pass
        c.close()

    def usink():
        b, _ = uup.recvfrom(65536)
        ph.mark('udp_up0')         # also the end of TCP down
        got['udp_up'] += len(b)
        uup.settimeout(2)
        try:
            while True:
                got['udp_up'] += len(uup.recv(65536))
        except OSError:
            pass

    def usource():
        _, peer = udown.recvfrom(64)
        ph.mark('udp_down0')       # also the end of UDP up
        chunk = b'\0' * 32000
        gap = 32000 * 8 / urate
        start = time.monotonic()
        n = 0
        while True:
            t = time.monotonic() - start
            if t > usecs:
                break
            if t < n * gap:
                time.sleep(min(n * gap - t, 0.01))
                continue
            try:
                udown.sendto(chunk, peer)
                got['udp_down_sent'] += len(chunk)
            except OSError:
                pass
            n += 1

    for fn in (sink, source, usink, usource):
        threading.Thread(target=fn, daemon=True).start()
    ports = {'up': up.getsockname()[1], 'down': down.getsockname()[1],
             'uup': uup.getsockname()[1], 'udown': udown.getsockname()[1]}
    return got, ports, (up, down, uup, udown)


def kv(text):
    return dict(x.split('=', 1) for x in (text or '').split() if '=' in x)


def qemu_one(binary, vhost_user, args):
    size = args.mib << 20
    ph = Phases()
    got, ports, socks = qemu_servers(size, ph, args.udp_secs,
                                     args.qemu_udp_rate)
    script = QEMU_SCRIPT % dict(ports, blocks=size // 65536,
                                limit=QEMU_LIMIT_S, usecs=args.udp_secs)
    opts = {'binary': binary} if binary else {}
    gargs = [] if binary else ['--mtu', '65520']
    with RrGuest(gargs, script=script, vhost_user=vhost_user,
                    gangway_opts=opts, timeout=1800) as q:
        ph.pid = q.gangway.pid
        t = time.monotonic()
        q.run()
        wall = time.monotonic() - t
        ph.mark('end')
        r = q.results()
    for s in socks:
        s.close()
    down_b = int(r.get('down_bytes') or 0)
    udp_got = int(kv(r.get('udp_got')).get('got', 0))
    udp_sent = int(kv(r.get('udp_sent')).get('sent', 0))
    m = {'wall_s': wall, 'up_s': r.get('up_s'), 'down_s': r.get('down_s'),
         'tcp_complete': got['tcp_up'] == size and down_b == size}
    for key, a, b, moved in (
            ('tcp_up', 'tcp_up0', 'tcp_up1', got['tcp_up']),
            ('tcp_down', 'tcp_down0', 'udp_up0', down_b),
            ('udp_up', 'udp_up0', 'udp_down0', got['udp_up']),
            ('udp_down', 'udp_down0', 'end', udp_got)):
        cpu = ph.cpu(a, b)
        m[key + '_bytes'] = moved
        m[key + '_cpu_s'] = cpu
        m[key + '_cpu_per_gb'] = cpu / (moved / GB) if cpu is not None \
            and moved else None
    m['udp_up_sent'] = udp_sent
    m['udp_down_sent'] = got['udp_down_sent']
    return m


def qemu_mode(args):
    links = [('gangway stream', None, False),
             ('gangway vhost-user', None, True),
             ('passt stream', PASST, False)]
    print('QEMU guest (TCG): TCP %d MiB up, then down (busybox nc); UDP '
          '32000-byte datagrams %d s up (as fast as the guest sends), %d s '
          'down (paced at %.0f Mbit/s); load %s' % (
              args.mib, args.udp_secs, args.udp_secs,
              args.qemu_udp_rate / 1e6, load()), flush=True)
    res = {}
    for name, binary, vu in links:
        try:
            res[name] = qemu_one(binary, vu, args)
        except Exception as e:
            res[name] = {'error': str(e)}
            print('bench: %s: %s' % (name, e), file=sys.stderr)
        print('bench: %s done (load %s)' % (name, load()), flush=True)
    print('%-30s' % 'daemon CPU s per GB' +
          ''.join('%20s' % n for n, _, _ in links))
    for key in ('tcp_up', 'tcp_down', 'udp_up', 'udp_down'):
        print('%-30s' % key + ''.join(
            '%20s' % fmt('%.3f', res[n].get(key + '_cpu_per_gb'))
            for n, _, _ in links))
    for key, label in (('tcp_up_bytes', 'TCP up MB'),
                       ('tcp_down_bytes', 'TCP down MB'),
                       ('udp_up_sent', 'UDP up MB sent'),
                       ('udp_up_bytes', 'UDP up MB delivered'),
                       ('udp_down_sent', 'UDP down MB sent'),
                       ('udp_down_bytes', 'UDP down MB delivered')):
        print('%-30s' % label + ''.join(
            '%20s' % fmt('%.1f', res[n][key] / 1e6 if key in res[n]
                         else None) for n, _, _ in links))
    print('%-30s' % 'TCP up/down guest s' + ''.join(
        '%20s' % ('%s/%s' % (res[n].get('up_s'), res[n].get('down_s')))
        for n, _, _ in links))
    g, v, p = (res[n] for n, _, _ in links)
    for key in ('tcp_up', 'tcp_down', 'udp_up', 'udp_down'):
        k = key + '_cpu_per_gb'
        if g.get(k) and v.get(k):
            print('%s: vhost-user / stream CPU per GB %.2fx' % (
                key, v[k] / g[k]))
        if g.get(k) and p.get(k):
            print('%s: gangway / passt (stream) CPU per GB %.2fx' % (
                key, g[k] / p[k]))
            if g[k] > 0.7 * p[k]:
                print('MISSED: %s CPU/GB <= 0.7x passt (QEMU guest, '
                      'stream)' % key)
    print('bench: load at end %s' % load())
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'mode': 'qemu', 'args': vars(args), 'results': res},
                      f, indent=1)


# -- main --

ALL_PEERS = ['loopback', 'gangway', 'passt', 'pasta', 'slirp4netns']
ALL_WORK = ['tcp', 'udp', 'rr', 'idle']


def main():
    global UDP_RATE, PERF_DIR
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--peers', default=','.join(ALL_PEERS))
    ap.add_argument('--work', default=','.join(ALL_WORK),
                    help='any of tcp, udp, rr, idle, or single bulk '
                    'tests tcp_up, tcp_down, udp_up, udp_down')
    ap.add_argument('--time', type=int, default=10,
                    help='seconds per iperf3 run (default 10)')
    ap.add_argument('--rr-time', type=int, default=5)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--udp-rate', default=UDP_RATE)
    ap.add_argument('--idle', type=int, default=IDLE_CONNS)
    ap.add_argument('--json', help='also write the results to this file')
    ap.add_argument('--perf', metavar='DIR',
                    help='perf record -g each daemon during the first run '
                    'of each bulk test, into DIR/PEER-TEST.data')
    ap.add_argument('--qemu', action='store_true',
                    help='QEMU guest mode: CPU per GB, stream vs vhost-user')
    ap.add_argument('--mib', type=int, default=64,
                    help='QEMU mode: TCP MiB each way (default 64)')
    ap.add_argument('--udp-secs', type=int, default=10,
                    help='QEMU mode: seconds of UDP each way (default 10)')
    ap.add_argument('--qemu-udp-rate', type=float, default=200e6,
                    help='QEMU mode: host->guest UDP bit/s (default 200e6)')
    args = ap.parse_args()
    UDP_RATE = args.udp_rate
    if args.perf:
        PERF_DIR = args.perf
        os.makedirs(PERF_DIR, exist_ok=True)
    if os.geteuid() != 0:
        sys.exit('bench.py: needs root (network namespaces)')
    if args.qemu:
        return qemu_mode(args)
    names = args.peers.split(',')
    work = args.work.split(',')
    results = {}
    print('bench: %s; %d s x %d runs (median), peers interleaved; %d idle '
          'connections; load %s' % (', '.join(work), args.time, args.reps, args.idle,
                       load()), flush=True)
    with contextlib.ExitStack() as stack:
        stack.enter_context(Servers())
        peers = []
        for name, make in make_peers(names):
            results[name] = {'load': load()}
            try:
                peers.append(stack.enter_context(make()))
            except Exception as e:
                results[name]['error'] = str(e)
                print('bench: %s: %s' % (name, e), file=sys.stderr)
        interleaved(peers, results, work, args)
        if 'idle' in work:
            for p in peers:
                results[p.name]['load'] = load()
                try:
                    idle_work(p, results[p.name], args.idle, 3, 10)
                except Exception as e:
                    results[p.name]['error'] = str(e)
                    print('bench: %s idle: %s' % (p.name, e),
                          file=sys.stderr)
            print('bench: idle done (load %s)' % load(), flush=True)
    print('bench: load at end %s' % load())
    print()
    report(results, names)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'mode': 'ns', 'args': vars(args),
                       'results': results}, f, indent=1)


if __name__ == '__main__':
    main()
