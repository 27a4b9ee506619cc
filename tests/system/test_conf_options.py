# SPDX-License-Identifier: GPL-2.0-or-later
"""The command line, end to end: bad options fail before anything starts.

gangway is launched as QEMU 10.1 launches passt (socketpair end on fd 3,
'--quiet --pid FILE --fd 3' appended) with one bad option or conflict
added. Each run must exit 1 with exactly one line on stderr naming the
option as typed, leave no pid file, and leave no process behind (this
process is a child subreaper through harness.py: a daemon that forked
would become our child). --help must document every long option.
"""
import json
import os
import socket
import subprocess
import tempfile

import pytest

import harness
from harness import gangway_path

# Every long option gangway accepts (passt's, plus --max-flows, --busy-poll)
LONG_OPTIONS = [
    'vhost-user', 'quiet', 'debug', 'trace', 'foreground', 'stderr',
    'log-file', 'log-size', 'mtu', 'address', 'netmask', 'mac-addr',
    'gateway', 'interface', 'outbound', 'outbound-if4', 'outbound-if6',
    'dns', 'search', 'fqdn', 'hostname', 'no-dhcp-dns', 'dhcp-dns',
    'no-dhcp-search', 'dhcp-search', 'map-host-loopback', 'no-map-gw',
    'map-guest-addr', 'dns-forward', 'dns-host', 'no-tcp', 'no-udp',
    'no-icmp', 'no-dhcp', 'no-ndp', 'no-dhcpv6', 'no-ra', 'freebind',
    'ipv4-only', 'ipv6-only', 'tcp-ports', 'udp-ports', 'pid', 'fd',
    'socket', 'socket-path', 'one-off', 'pcap', 'runas', 'chroot-fallback',
    'help', 'version', 'print-capabilities', 'max-flows', 'repair-path',
    'migrate-exit', 'migrate-no-linger', 'stats', 'busy-poll',
]

# (name the message must contain, extra arguments)
BAD = [
    ('--mtu 70000', ['--mtu', '70000']),
    ('-m 1', ['-m', '1']),
    ('--mtu 0x10', ['--mtu=0x10']),
    ('--address 300.1.1.1', ['--address', '300.1.1.1']),
    ('-a 10.0.0.3', ['-a', '10.0.0.2', '-a', '10.0.0.3']),
    ('-a 10.0.0.2/33', ['-a', '10.0.0.2/33']),
    ('--netmask 24', ['-a', '10.0.0.2/24', '--netmask', '24']),
    ('-n 255.0.255.0', ['-n', '255.0.255.0']),
    ('--mac-addr 01:00:00:00:00:00', ['--mac-addr', '01:00:00:00:00:00']),
    ('-M 9a:55', ['-M', '9a:55']),
    ('--gateway nowhere', ['--gateway', 'nowhere']),
    ('-g 10.0.0.9', ['-g', '10.0.0.1', '-g', '10.0.0.9']),
    ('--interface nosuchif0', ['--interface', 'nosuchif0']),
    ('-i 0123456789abcdef', ['-i', '0123456789abcdef']),
    ('--outbound ::', ['--outbound', '::']),
    ('--outbound-if4 nosuchif0', ['--outbound-if4', 'nosuchif0']),
    ('--outbound-if6 nosuchif0', ['--outbound-if6', 'nosuchif0']),
    ('--dns x', ['--dns', 'x']),
    ('-D 224.0.0.1', ['-D', '224.0.0.1']),
    ('--search a..b', ['--search', 'a..b']),
    ('--fqdn ' + 'a' * 64, ['--fqdn', 'a' * 64]),
    ('--hostname bad name', ['--hostname', 'bad name']),
    ('--map-host-loopback 127.0.0.1', ['--map-host-loopback', '127.0.0.1']),
    ('--map-guest-addr x', ['--map-guest-addr', 'x']),
    ('--dns-forward x', ['--dns-forward', 'x']),
    ('--dns-host ff02::1', ['--dns-host', 'ff02::1']),
    ('--tcp-ports 80-22', ['--tcp-ports', '80-22']),
    ('-t 0', ['-t', '0']),
    ('--udp-ports auto', ['--udp-ports', 'auto']),
    ('-u 70000', ['-u', '70000']),
    ('-t 22-23:30-40', ['-t', '22-23:30-40']),
    ('--ipv4-only and --ipv6-only', ['--ipv4-only', '--ipv6-only']),
    ('-a 10.0.0.2 and -6', ['-6', '-a', '10.0.0.2']),
    ('-t 22 and --no-tcp', ['-t', '22', '--no-tcp']),
    ('--log-size 1', ['--log-size', '1']),
    ('--log-file /nonexistent-gwt/log', ['--log-file',
                                         '/nonexistent-gwt/log']),
    ('--pcap /nonexistent-gwt/p', ['--pcap', '/nonexistent-gwt/p']),
    ('--pid /nonexistent-gwt/p', ['--pid', '/nonexistent-gwt/p']),
    ('--runas nosuchuser-gwt', ['--runas', 'nosuchuser-gwt']),
    ('--max-flows 0', ['--max-flows', '0']),
    ('--max-flows 16385', ['--max-flows', '16385']),
    ('--busy-poll 5000', ['--busy-poll', '5000']),
    ('--busy-poll -1', ['--busy-poll', '-1']),
    ('--busy-poll 50us', ['--busy-poll', '50us']),
    ("'--foo'", ['--foo']),
    ("'-z'", ['-z']),
    ('--netns', ['--netns', 'x']),
    ('--quiet', ['--quiet=1']),
    ('--socket /tmp/gwt-conf.sock', ['--socket', '/tmp/gwt-conf.sock']),
    ("'stray'", ['stray']),
    ('--mtu 7?0', ['--mtu', '7\n0']),
    ('-a 10.0.0.1 and -g 10.0.0.1', ['-a', '10.0.0.1', '-g', '10.0.0.1']),
    ('--stats 0', ['--stats', '0']),
]


def children():
    """Our children, adopted orphans included (we are a subreaper)."""
    pids = []
    for tid in os.listdir('/proc/self/task'):
        with open('/proc/self/task/%s/children' % tid) as f:
            pids += [int(p) for p in f.read().split()]
    return pids


def launch(args, fd=True):
    """Run gangway as QEMU would, with @args first; return (rc, out, err,
    pidfile). Waits for the launched process only, as QEMU does."""
    d = tempfile.mkdtemp(prefix='gwt-conf-')
    pidfile = os.path.join(d, 'gangway.pid')
    argv = [gangway_path()] + args + ['--quiet', '--pid', pidfile]
    ours = child = None
    if fd:
        ours, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        argv += ['--fd', '3']

    def to_fd3():
        if child is not None:
            os.dup2(child.fileno(), 3)

    before = set(children())
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, preexec_fn=to_fd3, close_fds=False,
                       timeout=20)
    if child is not None:
        child.close()
        ours.close()
    leftover = set(children()) - before
    exists = os.path.exists(pidfile)
    for name in os.listdir(d):
        os.unlink(os.path.join(d, name))
    os.rmdir(d)
    return p.returncode, p.stdout, p.stderr, exists, leftover


@pytest.mark.parametrize('name,args', BAD, ids=[b[0] for b in BAD])
def test_bad_option_fails_with_one_line(name, args):
    rc, out, err, pid_exists, leftover = launch(args)
    assert rc == 1, (rc, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert err.endswith('\n')
    assert lines[0].startswith('gangway: '), err
    assert name in lines[0], err
    assert out == ''
    assert not pid_exists
    assert not leftover, 'processes left behind: %s' % leftover


@pytest.mark.parametrize('args,name', [
    (['--fd', 'x'], '--fd x'),
    (['--fd', '-1'], '--fd -1'),
    (['--fd', '77'], '--fd 77'),
    (['--mtu'], '--mtu'),
    (['-F'], '-F'),
])
def test_bad_fd_and_missing_arguments(args, name):
    """Without the launcher's own --fd: these must be last on the line."""
    p = subprocess.run([gangway_path()] + args, capture_output=True,
                       text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert p.returncode == 1
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert name in lines[0]


def test_fd_and_socket_conflict_names_both():
    rc, _, err, _, _ = launch(['--socket', '/tmp/gwt-conf.sock'])
    assert rc == 1
    assert err == ('gangway: --fd 3 and --socket /tmp/gwt-conf.sock '
                   'conflict; keep one\n')


def test_mtu_message_is_exact():
    rc, _, err, _, _ = launch(['--mtu', '70000'])
    assert rc == 1
    assert err.startswith('gangway: --mtu 70000: must be a number from 68 '
                          'to 65520')


def test_help_documents_every_long_option():
    p = subprocess.run([gangway_path(), '--help'], capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 0
    assert p.stderr == ''
    missing = [o for o in LONG_OPTIONS if '--' + o not in p.stdout]
    assert not missing, 'not in --help: %s' % missing
    assert all(len(line) <= 80 for line in p.stdout.splitlines())
    q = subprocess.run([gangway_path(), '-h'], capture_output=True,
                       text=True, timeout=20)
    assert q.returncode == 0 and q.stdout == p.stdout


def test_every_documented_option_is_accepted():
    """Each long option parses (none is a typo in the table): flags alone,
    options with a harmless value; all end in --version, which exits 0."""
    values = {
        'log-file': '/tmp/gwt-conf.log', 'log-size': '65536', 'mtu': '1500',
        'address': '10.0.0.2', 'netmask': '255.0.0.0',
        'mac-addr': '02:00:00:00:00:01', 'gateway': '10.0.0.1',
        'interface': 'lo', 'outbound': '10.0.0.2', 'outbound-if4': 'lo',
        'outbound-if6': 'lo', 'dns': '10.0.0.53', 'search': 'example.com',
        'fqdn': 'g.example.com', 'hostname': 'g',
        'map-host-loopback': '10.0.0.1', 'map-guest-addr': '10.0.0.3',
        'dns-forward': '10.0.0.53', 'dns-host': '127.0.0.1',
        'tcp-ports': '2222:22', 'udp-ports': 'none', 'pid': '/tmp/gwt.pid',
        'socket': '/tmp/gwt.sock', 'socket-path': '/tmp/gwt.sock',
        'pcap': '/tmp/gwt.pcap', 'runas': 'nobody', 'max-flows': '100',
        'busy-poll': '25', 'repair-path': 'none', 'stats': '5',
    }
    skip = {'help', 'version', 'print-capabilities', 'fd'}
    for o in LONG_OPTIONS:
        if o in skip:
            continue
        argv = [gangway_path(), '--' + o]
        if o in values:
            argv.append(values[o])
        p = subprocess.run(argv + ['--version'], capture_output=True,
                           text=True, timeout=20)
        assert p.returncode == 0, (o, p.stderr)
        assert p.stdout.startswith('gangway '), (o, p.stdout)


def test_version():
    p = subprocess.run([gangway_path(), '--version'], capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 0
    assert p.stdout.startswith('gangway ')
    assert len(p.stdout.splitlines()) == 1


def test_print_capabilities_is_json_and_ignores_the_rest():
    p = subprocess.run([gangway_path(), '--mtu', 'bad',
                        '--print-capabilities'], capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 0
    assert p.stderr == ''
    assert json.loads(p.stdout) == {'type': 'net'}


def test_good_options_start_the_daemon():
    """The same launcher with good options starts and stops cleanly, so the
    failures above are the options', not the launcher's."""
    port = harness.free_ports()
    with harness.Gangway(['--mtu', '1500', '-t', '127.0.0.1/%d' % port,
                          '--dns-forward', '192.0.2.53',
                          '--dns-host', '127.0.0.1']) as g:
        assert g.alive()
