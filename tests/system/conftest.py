# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/conftest.py - shared pytest setup for the system tests

Makes harness.py importable, skips everything unless we are root (network
namespaces, tap devices and QEMU need it), lets unprivileged ICMP echo
sockets work for the daemon (net.ipv4.ping_group_range), and after each
test removes any gwt-* namespace a crashed test left behind.
"""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402


def _netns_list():
    p = subprocess.run(['ip', 'netns', 'list'], capture_output=True,
                       text=True)
    return {line.split()[0] for line in p.stdout.splitlines()
            if line.startswith('gwt-')}


def pytest_configure(config):
    config.addinivalue_line('markers',
                            'qemu: boots a QEMU guest (slow under TCG)')
    if os.geteuid() == 0:
        try:
            with open('/proc/sys/net/ipv4/ping_group_range', 'w') as f:
                f.write('0 2147483647')
        except OSError:
            pass


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason='system tests need root')
        for item in items:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _no_leftover_namespaces():
    before = _netns_list()
    yield
    # Only ours: tests of other worktrees may be running at the same time
    for ns in (_netns_list() - before) & harness.CREATED_NETNS:
        subprocess.run(['ip', 'netns', 'delete', ns])
        subprocess.run(['rm', '-rf', '/etc/netns/' + ns])


@pytest.fixture
def gangway_bin():
    """Path to the gangway under test; skips if it was not built."""
    path = harness.gangway_path()
    if not os.access(path, os.X_OK):
        pytest.skip('%s not built' % path)
    return path


@pytest.fixture
def passt_bin():
    """Debian's passt, used to check the harness itself; skips if absent."""
    path = '/usr/bin/passt'
    if not os.access(path, os.X_OK):
        pytest.skip('passt is not installed')
    return path
