# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/dhcp_util.py - reading gangway's counters in DHCP/ARP tests

gangway logs every counter group on SIGUSR1 ("stats MODULE: a=1 b=2"), so a
test that starts it in the foreground without --quiet can read them.
"""
from lifecycle import stats_dump

# NsGuest(gangway_opts=COUNTED): a gangway whose log we can read
COUNTED = {'foreground': True, 'quiet': False}

OUR_MAC = '9a:55:9a:55:9a:55'


def counters(gw, module, timeout=30):
    """Counters of @module as a dict, from a fresh SIGUSR1 dump."""
    st = stats_dump(gw.logs, gw.pid, timeout)
    assert module in st, 'no "stats %s" in the dump: %s' % (module, st)
    return st[module]
