# SPDX-License-Identifier: GPL-2.0-or-later
"""Real QEMU guests on a long-lived gangway listening on -s PATH: one
guest powers off, the next connects to the same socket and is served
(QEMU's own -netdev stream, addr.type=unix)."""
import os
import subprocess

import pytest

from harness import (QEMU, Gangway, _cpio_newc, guest_images,
                     parse_results)
from lifecycle import read_file, wait_for

SCRIPT = r'''
dhcp4 && result dhcp ok
result addr "$(ip4_addr)"
result gwmac "$(arp_mac 192.0.2.1)"
'''


def boot(path, workdir, n, mac):
    """Boot one guest connected to path; return its RESULT lines."""
    kernel, initrd = guest_images()
    test_initrd = os.path.join(workdir, 'initrd%d' % n)
    with open(initrd, 'rb') as f, open(test_initrd, 'wb') as out:
        base = f.read()
        out.write(base)
        out.write(b'\0' * (-len(base) % 4))
        out.write(_cpio_newc({'test.sh': (0o100755, SCRIPT.encode())}))
    argv = [QEMU, '-accel', 'tcg', '-cpu', 'max', '-m', '256M',
            '-nodefaults', '-no-reboot', '-nographic', '-serial', 'stdio',
            '-monitor', 'none', '-kernel', kernel, '-initrd', test_initrd,
            '-append', 'console=ttyS0 quiet panic=-1',
            '-netdev', 'stream,id=n0,server=off,addr.type=unix,'
            'addr.path=%s' % path,
            '-device', 'virtio-net-pci,netdev=n0,romfile=,mac=%s' % mac]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=240)
    out = p.stdout.decode(errors='replace')
    assert 'GANGWAY-GUEST-END' in out, out
    return parse_results(out)


@pytest.mark.qemu
def test_two_guests_one_after_the_other_on_one_socket(tmp_path):
    path = str(tmp_path / 'gw.socket')
    log = str(tmp_path / 'log')
    with Gangway(['-s', path, '-l', log], fd=False, quiet=False) as g:
        for n, mac in enumerate(('52:54:00:12:34:56', '52:54:00:ab:cd:ef')):
            r = boot(path, str(tmp_path), n, mac)
            assert r.get('dhcp') == 'ok', r
            assert r.get('addr') == '192.0.2.2/24', r
            assert len(r.get('gwmac', '').split(':')) == 6, r
            assert wait_for(lambda: read_file(log).count(
                'guest disconnected') == n + 1, timeout=10), read_file(log)
            assert g.alive()
        assert read_file(log).count('guest connected') == 2
