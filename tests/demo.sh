#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/demo.sh - see gangway at work: boot a small QEMU guest (TCG, no KVM
# needed) whose only network is gangway, and show what the guest got.
#
# Usage: bash tests/demo.sh [extra gangway options...]   (as root)
# or:    meson compile -C build demo
#
# Starts a web server on the host's loopback (127.0.0.1, a free port), boots
# Debian's kernel with a busybox initramfs, and inside the guest: takes a
# DHCPv4 lease, waits for an IPv6 address from router advertisements, then
# fetches the page from the gateway address, which gangway maps to the
# host's loopback. Nothing leaves the machine. Takes about 15 s.
set -eu
cd "$(dirname "$0")/.."
export GANGWAY_SRC=$(pwd)
export GANGWAY_BUILD=${GANGWAY_BUILD:-$GANGWAY_SRC/build}

if [ ! -x "$GANGWAY_BUILD/gangway" ]; then
	[ -f "$GANGWAY_BUILD/build.ninja" ] || meson setup "$GANGWAY_BUILD"
	meson compile -C "$GANGWAY_BUILD"
fi

exec /usr/bin/python3 - "$@" <<'PYTHON'
import http.server
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.environ['GANGWAY_SRC'], 'tests', 'system'))
from harness import QemuGuest, gangway_path  # noqa: E402

PAGE = 'Hello from the host, through gangway!'

docroot = tempfile.mkdtemp(prefix='gangway-demo-')
with open(os.path.join(docroot, 'index.html'), 'w') as f:
    f.write(PAGE + '\n')


class Quiet(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=docroot, **kw)

    def log_message(self, *a):
        pass


httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Quiet)
port = httpd.server_address[1]
threading.Thread(target=httpd.serve_forever, daemon=True).start()

script = r'''
if dhcp4; then result dhcp ok; else result dhcp failed; fi
result addr "$(ip4_addr)"
result router "$(lease router)"
result routes "$(ip -4 route show | tr '\n' ';')"
result dns "$(awk '/^nameserver/ {printf "%%s ", $2}' /etc/resolv.conf)"
result search "$(awk '/^search/ {$1=""; print}' /etc/resolv.conf)"
result mtu "$(cat /sys/class/net/eth0/mtu)"
result addr6 "$(slaac6 8)"
result route6 "$(ip -6 route show default | head -n 1)"
gw=$(lease router)
if [ -n "$gw" ]; then
	result page "$(http_get "$gw" %d /index.html | head -n 1)"
fi
''' % port

print('gangway demo: %s' % gangway_path())
print('  web server on the host: http://127.0.0.1:%d/ ("%s")' % (port, PAGE))
print('  booting a QEMU guest (TCG) with -netdev stream on gangway...')
ok = True
try:
    with QemuGuest(sys.argv[1:], script=script, timeout=120) as q:
        q.run()
        r = q.results()
except Exception as e:      # the harness says what went wrong
    print('\nthe guest did not run:\n%s' % e)
    sys.exit(1)
finally:
    httpd.shutdown()

print('  guest ran for %.1f s; what it received:' % q.elapsed)


def show(label, value, good=True):
    global ok
    ok = ok and good
    print('    %-16s %s' % (label, value if value else '(nothing)'))


show('DHCPv4:', r.get('dhcp'), r.get('dhcp') == 'ok')
show('address:', r.get('addr'), bool(r.get('addr')))
show('routes:', '; '.join(x for x in r.get('routes', '').split(';') if x),
     bool(r.get('router')))
show('DNS servers:', r.get('dns', '').strip(), bool(r.get('dns', '').strip()))
show('search list:', r.get('search', '').strip())
show('MTU:', r.get('mtu'))
show('IPv6 (SLAAC):', r.get('addr6'), bool(r.get('addr6')))
show('IPv6 route:', r.get('route6'))
fetched = r.get('page') == PAGE
show('web page:', '"%s" from http://%s:%d/ (the host\'s loopback)' % (
    r.get('page', ''), r.get('router', '?'), port) if fetched else
    'not fetched (%s)' % (r.get('page') or 'no reply'), fetched)
print('demo %s' % ('passed' if ok else 'FAILED: see above'))
sys.exit(0 if ok else 1)
PYTHON
