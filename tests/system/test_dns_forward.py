# SPDX-License-Identifier: GPL-2.0-or-later
"""DNS redirection: --dns-forward ADDR --dns-host HOST.

A fake DNS server of ours listens on a random loopback address, port 53, and
answers every A query with FAKE_A. The guest asks ADDR (here the gateway
address); gangway sends the query to HOST:53 instead and the answer must come
back from ADDR:53. Without the redirection the query would go to 127.0.0.1:53,
where our server is not, so the test cannot pass by accident. Nothing goes
to the host's real resolver.
"""
import contextlib
import random
import socket
import struct
import threading

import pytest

from harness import NsGuest, free_ports

GW4 = '192.0.2.1'
GW6 = 'fd00::1'
FAKE_A = '198.51.100.77'


def dns_answer(query):
    """A response to @query: one A record FAKE_A for the first question."""
    qid, flags, qd = struct.unpack('!HHH', query[:6])
    pos = 12
    while query[pos]:
        pos += query[pos] + 1
    qend = pos + 5
    question = query[12:qend]
    qtype = struct.unpack('!H', query[pos + 1:pos + 3])[0]
    hdr = struct.pack('!HHHHHH', qid, 0x8180, 1, 1 if qtype == 1 else 0,
                      0, 0)
    ans = b''
    if qtype == 1:
        ans = struct.pack('!HHHIH', 0xc00c, 1, 1, 60, 4) + \
            socket.inet_aton(FAKE_A)
    return hdr + question + ans


class FakeDns:
    def __init__(self, addr=None):
        if addr:
            # A fixed address (IPv6: ::1 is the only loopback address)
            self.addr = addr
            self.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            try:
                self.sock.bind((addr, 53))
            except OSError:
                self.sock.close()
                pytest.skip('port 53 on %s is busy' % addr)
            self._start()
            return
        for _ in range(50):
            self.addr = '127.%d.%d.%d' % (random.randint(1, 254),
                                          random.randint(0, 255),
                                          random.randint(2, 254))
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                self.sock.bind((self.addr, 53))
                break
            except OSError:
                self.sock.close()
        else:
            raise AssertionError('cannot bind a fake DNS server')
        self._start()

    def _start(self):
        self.queries = 0
        self.tcp_queries = 0
        self._stop = False
        # The same service over TCP (length-prefixed messages)
        fam = socket.AF_INET6 if ':' in self.addr else socket.AF_INET
        self.tsock = socket.socket(fam, socket.SOCK_STREAM)
        self.tsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tt = None
        try:
            self.tsock.bind((self.addr, 53))
            self.tsock.listen(8)
            self.tsock.settimeout(0.2)
            self.tt = threading.Thread(target=self._run_tcp, daemon=True)
            self.tt.start()
        except OSError:
            pass        # TCP is optional: only test_dns_forward_tcp needs it
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run_tcp(self):
        while not self._stop:
            try:
                c, _ = self.tsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c.settimeout(2)
            try:
                ln = struct.unpack('!H', c.recv(2, socket.MSG_WAITALL))[0]
                q = c.recv(ln, socket.MSG_WAITALL)
                self.tcp_queries += 1
                a = dns_answer(q)
                c.sendall(struct.pack('!H', len(a)) + a)
            except (OSError, struct.error, IndexError):
                pass
            finally:
                c.close()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                q, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.queries += 1
            try:
                self.sock.sendto(dns_answer(q), peer)
            except (IndexError, struct.error):
                pass

    def close(self):
        self._stop = True
        self.t.join(2)
        if self.tt:
            self.tt.join(2)
        self.sock.close()
        self.tsock.close()


@pytest.fixture
def fake_dns():
    d = FakeDns()
    yield d
    d.close()


# Start of the guest's query programs: a question q for NAME (type A),
# transaction id QID, to ask SERVER (sys.argv[1:] are SERVER NAME)
QUESTION = r'''
import socket, struct, sys
server, name = sys.argv[1], sys.argv[2]
q = struct.pack('!HHHHHH', QID, 0x0100, 1, 0, 0, 0)
for label in name.split('.'):
    q += bytes([len(label)]) + label.encode()
q += b'\0' + struct.pack('!HH', 1, 1)
'''

# Query NAME at SERVER:53 over UDP; print the source of the answer and the
# address in it.
QUERY = 'QID = 0x4242' + QUESTION + r'''
s = socket.socket(socket.AF_INET6 if ':' in server else socket.AF_INET,
                  socket.SOCK_DGRAM)
s.settimeout(2)
for _ in range(3):
    s.sendto(q, (server, 53))
    try:
        r, src = s.recvfrom(4096)
    except socket.timeout:
        continue
    qid, flags, qd, an = struct.unpack('!HHHH', r[:8])
    assert qid == QID
    print('from %s:%d answers %d addr %s' % (src[0], src[1], an,
          socket.inet_ntoa(r[-4:])))
    sys.exit(0)
print('timeout')
sys.exit(2)
'''


@contextlib.contextmanager
def redirected_guest(dns):
    """A guest with a DHCP lease whose DNS to GW4 goes to @dns."""
    args = ['--dns-forward', GW4, '--dns-host', dns.addr]
    with NsGuest(gangway_args=args) as ns:
        ns.dhcp4()
        yield ns


def test_dns_forward_answered_from_forward_address(fake_dns):
    with redirected_guest(fake_dns) as ns:
        out = ns.python(QUERY, GW4, 'example.test', check=False)
        assert out.strip() == 'from %s:53 answers 1 addr %s' % (
            GW4, FAKE_A), out + out.stderr
        assert fake_dns.queries >= 1


# The same question over TCP: print the peer we reached and the answer
QUERY_TCP = 'QID = 0x4343' + QUESTION + r'''
s = socket.create_connection((server, 53), timeout=5)
s.sendall(struct.pack('!H', len(q)) + q)
ln = struct.unpack('!H', s.recv(2, socket.MSG_WAITALL))[0]
r = s.recv(ln, socket.MSG_WAITALL)
assert struct.unpack('!H', r[:2])[0] == QID
peer = s.getpeername()
print('tcp %s:%d answers %d addr %s' % (peer[0], peer[1],
      struct.unpack('!H', r[6:8])[0], socket.inet_ntoa(r[-4:])))
'''


def test_dns_forward_tcp(fake_dns):
    with redirected_guest(fake_dns) as ns:
        out = ns.python(QUERY_TCP, GW4, 'example.test', check=False)
        assert out.strip() == 'tcp %s:53 answers 1 addr %s' % (
            GW4, FAKE_A), out + out.stderr
        assert fake_dns.tt, 'could not listen on TCP port 53'
        assert fake_dns.tcp_queries == 1


def test_dns_forward_busybox_nslookup(fake_dns):
    with redirected_guest(fake_dns) as ns:
        out = ns.sh('/bin/busybox nslookup -type=a host.example.test %s' %
                    GW4, check=False, timeout=30)
        assert FAKE_A in out, out + out.stderr


def test_dns_forward_ipv6():
    '''--dns-forward fd00::1 (the IPv6 gateway) --dns-host ::1: the answer
    from our server on [::1]:53 comes back from [fd00::1]:53. (IPv6 has one
    loopback address, so unlike the IPv4 test this one would also pass by
    plain gateway mapping; the redirection itself is the same code for
    both families, covered by the IPv4 test and the unit tests.)'''
    dns = FakeDns('::1')
    try:
        args = ['--dns-forward', GW6, '--dns-host', '::1']
        with NsGuest(gangway_args=args) as ns:
            ns.slaac6()
            out = ns.python(QUERY, GW6, 'example.test', check=False)
            assert out.strip() == 'from %s:53 answers 1 addr %s' % (
                GW6, FAKE_A), out + out.stderr
            assert dns.queries >= 1
    finally:
        dns.close()


def test_dns_other_port_not_redirected(fake_dns):
    """Only port 53 is redirected: another port on the forward address is
    plain gateway mapping (127.0.0.1:PORT, where nothing answers)."""
    port = free_ports()
    with redirected_guest(fake_dns) as ns:
        q = QUERY.replace('(server, 53)', '(server, %d)' % port)
        out = ns.python(q, GW4, 'example.test', check=False)
        assert 'timeout' in out, out
        assert fake_dns.queries == 0
