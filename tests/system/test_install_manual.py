# SPDX-License-Identifier: GPL-2.0-or-later
"""meson install puts gangway and gangway.1 in place; the manual renders
with man -l and names every option of gangway --help; -Dpasst_symlink=true
adds the passt name libvirt runs."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from harness import SRC, build_dir, gangway_path


def _installed(destdir):
    found = {}
    for root, _, files in os.walk(destdir):
        for f in files:
            found[f] = os.path.join(root, f)
    return found


@pytest.fixture
def destdir():
    d = tempfile.mkdtemp(prefix='gwt-install-')
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _render(page):
    env = dict(os.environ, LC_ALL='C', LANG='C', MANWIDTH='100')
    r = subprocess.run(['man', '--nh', '--nj', '-l', page],
                       capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    # a line may break after a hyphen inside an option name: join it
    return re.sub(r'(?<=[a-z0-9])-\n *(?=[a-z])', '-', r.stdout)


def test_install_destdir(destdir):
    r = subprocess.run(['meson', 'install', '-C', build_dir(),
                        '--no-rebuild', '--destdir', destdir],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    files = _installed(destdir)
    assert set(files) == {'gangway', 'gangway.1'}, files
    assert files['gangway'].endswith('/bin/gangway'), files
    assert files['gangway.1'].endswith('/man/man1/gangway.1'), files
    v = subprocess.run([files['gangway'], '--version'], capture_output=True,
                       text=True, timeout=10)
    assert v.returncode == 0 and 'gangway' in v.stdout, v
    text = _render(files['gangway.1'])
    for section in ('NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS',
                    'GANGWAY EXEC', 'EXAMPLES', 'COUNTERS', 'SEE ALSO'):
        assert re.search(r'^%s$' % section, text, re.M), section


def test_manual_has_every_option():
    """Every long option --help lists (pasta's included) is in the manual,
    and so are the gangway exec options and the examples the manual
    promises."""
    page = os.path.join(build_dir(), 'gangway.1')
    assert os.path.exists(page), 'gangway.1 not built: is scdoc installed?'
    text = _render(page)
    help_text = subprocess.run([gangway_path(), '--help'],
                               capture_output=True, text=True).stdout
    opts = set(re.findall(r'--[a-z0-9][a-z0-9-]*', help_text))
    assert len(opts) > 60, opts
    missing = sorted(o for o in opts
                     if not re.search(re.escape(o) + r'(?![a-z0-9-])', text))
    assert not missing, 'not in gangway.1: %s' % ' '.join(missing)
    exec_help = subprocess.run([gangway_path(), 'exec', '--help'],
                               capture_output=True, text=True).stdout
    for o in set(re.findall(r'--[a-z0-9][a-z0-9-]*', exec_help)):
        assert o in text, o
    for example in ('-netdev passt,id=n0,path=/usr/local/bin/gangway',
                    'gangway exec -- qemu-system-x86_64',
                    "<backend type='passt'/>", '-t 2222:22',
                    'tcpdump -n -r', 'kill -USR1', '--dns-forward',
                    'IPv6'):
        assert example in text, example


def test_install_passt_symlink(destdir):
    """A fresh build with -Dpasst_symlink=true installs passt -> gangway
    (and passt.1), and gangway runs under that name."""
    bdir = os.path.join(destdir, 'build')
    root = os.path.join(destdir, 'root')
    r = subprocess.run(['meson', 'setup', bdir, SRC, '--prefix=/usr',
                        '-Dpasst_symlink=true'],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(['meson', 'compile', '-C', bdir, '-j', '2',
                        'gangway', 'gangway.1'],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    r = subprocess.run(['meson', 'install', '-C', bdir, '--no-rebuild',
                        '--destdir', root],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    passt = os.path.join(root, 'usr/bin/passt')
    assert os.readlink(passt) == 'gangway'
    assert os.readlink(os.path.join(root, 'usr/share/man/man1/passt.1')) \
        == 'gangway.1'
    v = subprocess.run([passt, '--version'], capture_output=True, text=True,
                       timeout=10)
    assert v.returncode == 0 and 'gangway' in v.stdout, v
