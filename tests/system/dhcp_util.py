# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/dhcp_util.py - reading gangway's counters in DHCP/ARP tests

gangway logs every counter group on SIGUSR1 ("stats MODULE: a=1 b=2"), so a
test that starts it in the foreground without --quiet can read them.
"""
import os
import re
import signal
import time

# NsGuest(gangway_opts=COUNTED): a gangway whose log we can read
COUNTED = {'foreground': True, 'quiet': False}

OUR_MAC = '9a:55:9a:55:9a:55'


def counters(gw, module, timeout=3):
    """Counters of @module as a dict, from a fresh SIGUSR1 dump."""
    before = gw.logs().count('stats %s:' % module)
    os.kill(gw.pid, signal.SIGUSR1)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        text = gw.logs()
        lines = [l for l in text.splitlines() if 'stats %s:' % module in l]
        if len(lines) > before:
            # one dump may wrap over several lines: take the newest dump's
            out = {}
            for line in lines[before:]:
                for k, v in re.findall(r' (\w+)=(\d+)', line):
                    out[k] = int(v)
            return out
        time.sleep(0.05)
    raise AssertionError('no "stats %s" line after SIGUSR1:\n%s' %
                         (module, gw.logs()))
