# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/test_tcp_bulk.py - 1 GiB each way, clean and impaired

The long TCP tests, on their own so they can be run separately:
    meson test -C build --suite system test_tcp_bulk
Each transfer is checked end to end by SHA-256 of a generated stream in
which every 64 KiB chunk carries its index (tcp_tool.py), so loss,
duplication or reordering of data shows.

Impairment: this kernel has no netem (nor ifb), so frames are lost (2%),
reordered (5%) and delayed on the stream socket between gangway and the
namespace relay, both ways (tcp_util.Impairment): gangway's segments to
the guest and the guest's segments and ACKs to gangway.

The link MTU is 65520 as with QEMU's default (-netdev passt); one
impaired run uses 1500, where a window holds far more segments.
GANGWAY_TCP_BULK_MIB sets the size (default 1024).
"""
import os

import pytest

from harness import NsGuest
from tcp_util import (ARGS, GW4, GW6, HostServer, Impairment,
                      ImpairedNsGuest, guest_setup, guest_tool, log_dir,
                      tcp_counters)

MIB = int(os.environ.get('GANGWAY_TCP_BULK_MIB', '1024'))


@pytest.fixture(scope='module')
def ns():
    with NsGuest(gangway_args=ARGS, mtu=65520) as g:
        guest_setup(g)
        yield g


def _ok(out, lossy=None):
    """Assert the tool's line says ok; for the lossy guest, a failure also
    shows gangway's TCP counters and what the impairment did."""
    if not out.startswith('ok') and lossy is not None:
        out += '\ngangway tcp: %s\nimpairment: dropped %s reordered %s' % (
            tcp_counters(lossy.gangway, LOG), lossy.impairment.dropped,
            lossy.impairment.reordered)
    assert out.startswith('ok'), out
    print(out)
    return out.split()


def test_guest_to_host_1gib(ns):
    with HostServer('sink') as s:
        _ok(guest_tool(ns, 'send %s %d %d 11' % (GW4, s.port, MIB << 20),
                       timeout=600))


def test_host_to_guest_1gib(ns):
    with HostServer('source') as s:
        _ok(guest_tool(ns, 'fetch %s %d %d 12' % (GW4, s.port, MIB << 20),
                       timeout=600))


def test_host_to_guest_1gib_v6(ns):
    with HostServer('source', '::1') as s:
        _ok(guest_tool(ns, 'fetch %s %d %d 13' % (GW6, s.port, MIB << 20),
                       timeout=600))


LOG = os.path.join(log_dir(), 'gangway.log')


@pytest.fixture(scope='module')
def lossy():
    imp = Impairment(loss=0.02, reorder=0.05, delay=0.001)
    with ImpairedNsGuest(imp, gangway_args=ARGS + ['-l', LOG],
                         mtu=65520) as g:
        guest_setup(g)
        yield g


def _impaired(ns):
    imp = ns.impairment
    print('dropped', imp.dropped, 'reordered', imp.reordered)
    assert imp.dropped['to_guest'] and imp.dropped['to_gangway']


def test_guest_to_host_1gib_impaired(lossy):
    with HostServer('sink') as s:
        _ok(guest_tool(lossy, 'send %s %d %d 21' % (GW4, s.port, MIB << 20),
                       timeout=900), lossy)
    _impaired(lossy)
    st = tcp_counters(lossy.gangway, LOG)
    print(st)
    assert st['ooo_held'] > 0, st	# segments after a hole were kept


def test_host_to_guest_1gib_impaired(lossy):
    before = tcp_counters(lossy.gangway, LOG)
    with HostServer('source') as s:
        _ok(guest_tool(lossy, 'fetch %s %d %d 22' % (GW4, s.port,
                                                     MIB << 20),
                       timeout=900), lossy)
    _impaired(lossy)
    st = tcp_counters(lossy.gangway, LOG)
    print(st)
    # our segments were lost and we sent them again
    assert st['fast_rtx'] + st['rto'] > before['fast_rtx'] + before['rto']
    # only what the guest's SACK blocks said it lacked (go-back-N sent
    # about as much again as the transfer; SACK about 3%, more when a
    # loaded machine adds timeouts, each of which resends what is unSACKed)
    assert st['rtx_bytes'] - before['rtx_bytes'] < (MIB << 20) // 2, st


@pytest.mark.parametrize('mode', ['send', 'fetch'])
def test_256mib_impaired_mtu1500(mode):
    imp = Impairment(loss=0.02, reorder=0.05, delay=0.001, seed=5)
    with ImpairedNsGuest(imp, gangway_args=ARGS, mtu=1500) as g:
        guest_setup(g)
        with HostServer('sink' if mode == 'send' else 'source') as s:
            _ok(guest_tool(g, '%s %s %d %d 41' % (mode, GW4, s.port,
                                                  256 << 20), timeout=900))
        _impaired(g)
