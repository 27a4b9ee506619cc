#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/tcp_tool.py - both ends of the TCP system tests

Runs on the host (servers on loopback) and in the namespace guest
(clients to the gateway address, servers for -t forwarding). Data is
generated, not read from files: 64 KiB chunks of one random block, each
stamped with its index and the stream's seed, so a chunk that is lost,
repeated or moved changes the SHA-256 both ends compute.

    tcp_tool.py sink   ADDR PORT [WAIT] accept, (wait WAIT s,) hash until EOF,
                                        reply "<sha256> <bytes>\\n", close;
                                        forever
    tcp_tool.py source ADDR PORT        accept, read "<bytes> <seed>\\n",
                                        send that stream, close; forever
    tcp_tool.py echo   ADDR PORT        asyncio echo server, many clients
    tcp_tool.py send   ADDR PORT BYTES [SEED]
                                        connect, stream to a sink, half-close,
                                        print "ok <sha256> <bytes> <secs>"
    tcp_tool.py fetch  ADDR PORT BYTES [SEED [WAIT]]
                                        connect, ask a source, (wait WAIT s
                                        before reading,) hash to EOF,
                                        print "ok <sha256> <bytes> <secs>"
    tcp_tool.py many   ADDR PORT COUNT BYTES
                                        COUNT concurrent connections to an
                                        echo server, each checks its own
                                        data; print "ok <count>"
Every server prints "ready <port>" once listening (port 0: any port).
"""

import asyncio
import hashlib
import os
import random
import socket
import struct
import sys
import time

CHUNK = 65536
# A client gives up when its connection makes no progress for this long:
# four times gangway's longest retransmission timeout (30 s), so that only
# a connection that is stuck, not one that is slow, fails
STALL_S = 120


def block(seed):
    return random.Random(seed).randbytes(CHUNK)


def stream(nbytes, seed):
    """Yield the stream of @nbytes for @seed, chunk by chunk."""
    base = block(seed)
    i = 0
    left = nbytes
    while left > 0:
        c = struct.pack('<QQ', i, seed) + base[16:]
        if left < CHUNK:
            c = c[:left]
        yield c
        left -= len(c)
        i += 1


def expected(nbytes, seed):
    h = hashlib.sha256()
    for c in stream(nbytes, seed):
        h.update(c)
    return h.hexdigest()


def listen(addr, port):
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1024)
    print('ready %d' % s.getsockname()[1], flush=True)
    return s


def connect(addr, port):
    return socket.create_connection((addr, port), timeout=STALL_S)


def sha256_to_eof(c, progress=None):
    """Read @c to EOF; return the SHA-256 (hex) and length of it all.
    progress[0], if given, follows the length as it grows."""
    h = hashlib.sha256()
    n = 0
    while True:
        d = c.recv(1 << 20)
        if not d:
            return h.hexdigest(), n
        h.update(d)
        n += len(d)
        if progress is not None:
            progress[0] = n


def stalled(what, done, nbytes, t):
    """The line a client prints when its connection stopped moving."""
    print('stalled: %s made no progress for %d s, after %d of %d bytes '
          'in %.1f s' % (what, STALL_S, done, nbytes, time.monotonic() - t))
    return 1


def serve_sink(addr, port, wait=0.0):
    s = listen(addr, port)
    while True:
        c, _ = s.accept()
        time.sleep(wait)	# the sender fills our buffers meanwhile
        sha, n = sha256_to_eof(c)
        c.sendall(b'%s %d\n' % (sha.encode(), n))
        c.close()


def serve_source(addr, port):
    s = listen(addr, port)
    while True:
        c, _ = s.accept()
        line = b''
        while not line.endswith(b'\n'):
            d = c.recv(100)
            if not d:
                break
            line += d
        try:
            nbytes, seed = (int(x) for x in line.split())
        except ValueError:
            c.close()
            continue
        for chunk in stream(nbytes, seed):
            c.sendall(chunk)
        c.close()


def serve_echo(addr, port):
    async def handle(r, w):
        try:
            while True:
                d = await r.read(65536)
                if not d:
                    break
                w.write(d)
                await w.drain()
        finally:
            w.close()

    async def main():
        srv = await asyncio.start_server(handle, addr, port, backlog=2048,
                                         reuse_address=True)
        print('ready %d' % srv.sockets[0].getsockname()[1], flush=True)
        await srv.serve_forever()

    asyncio.run(main())


def send(addr, port, nbytes, seed):
    t = time.monotonic()
    c = connect(addr, port)
    done = 0
    try:
        for chunk in stream(nbytes, seed):
            c.sendall(chunk)
            done += len(chunk)
        c.shutdown(socket.SHUT_WR)
        reply = b''
        while True:
            d = c.recv(200)
            if not d:
                break
            reply += d
    except socket.timeout:
        return stalled('send', done, nbytes, t)
    sha, n = reply.split()
    want = expected(nbytes, seed)
    if sha.decode() != want or int(n) != nbytes:
        print('bad peer got %s %s, sent %s %d' % (sha, n, want, nbytes))
        return 1
    print('ok %s %d %.2f' % (want, nbytes, time.monotonic() - t))
    return 0


def fetch(addr, port, nbytes, seed, wait=0.0):
    t = time.monotonic()
    c = connect(addr, port)
    c.sendall(b'%d %d\n' % (nbytes, seed))
    time.sleep(wait)	# our receive window closes meanwhile
    progress = [0]
    try:
        sha, n = sha256_to_eof(c, progress)
    except socket.timeout:
        return stalled('fetch', progress[0], nbytes, t)
    want = expected(nbytes, seed)
    if sha != want or n != nbytes:
        print('bad got %s %d, want %s %d' % (sha, n, want, nbytes))
        return 1
    print('ok %s %d %.2f' % (want, n, time.monotonic() - t))
    return 0


def many(addr, port, count, nbytes):
    async def one(i):
        for attempt in range(5):
            try:
                r, w = await asyncio.open_connection(addr, port)
                break
            except OSError:
                await asyncio.sleep(0.2 * (attempt + 1))
        else:
            return 'connect %d failed' % i
        data = b''.join(stream(nbytes, 1000 + i))
        w.write(data)
        await w.drain()
        got = await r.readexactly(nbytes)
        w.close()
        return None if got == data else 'connection %d: data differs' % i

    async def main():
        res = await asyncio.wait_for(
            asyncio.gather(*(one(i) for i in range(count))), 240)
        bad = [r for r in res if r]
        return bad

    bad = asyncio.run(main())
    if bad:
        print('bad %d: %s' % (len(bad), '; '.join(bad[:5])))
        return 1
    print('ok %d' % count)
    return 0


def main(argv):
    mode, addr, port = argv[1], argv[2], int(argv[3])
    if mode == 'sink':
        serve_sink(addr, port, float(argv[4]) if len(argv) > 4 else 0.0)
    elif mode == 'source':
        serve_source(addr, port)
    elif mode == 'echo':
        serve_echo(addr, port)
    elif mode == 'send':
        return send(addr, port, int(argv[4]),
                    int(argv[5]) if len(argv) > 5 else 1)
    elif mode == 'fetch':
        return fetch(addr, port, int(argv[4]),
                     int(argv[5]) if len(argv) > 5 else 1,
                     float(argv[6]) if len(argv) > 6 else 0.0)
    elif mode == 'many':
        return many(addr, port, int(argv[4]), int(argv[5]))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
