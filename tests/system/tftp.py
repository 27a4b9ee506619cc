# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/system/tftp.py - loopback TFTP servers for QEMU guests' UDP tests

The guest's busybox tftp reaches them through the gateway address.
TftpServer answers read requests for one file (tftp -g), TftpSink takes
one file from write requests (tftp -p); both know the blksize option of
RFC 2348, so a test can send frames as large as the MTU allows.

    get = TftpServer(data)          # guest: tftp -g ... GW get.port
    put = TftpSink()                # guest: tftp -p ... GW put.port
    ...
    get.close(); put.close()        # put.data: what arrived
"""
import socket
import struct
import threading

BLOCK = 512             # RFC 1350's block size, without the blksize option
OP_RRQ, OP_WRQ, OP_DATA, OP_ACK, OP_OACK = 1, 2, 3, 4, 6


def _options(req):
    """{name: value} of the options after filename and mode in a request."""
    fields = req[2:].split(b'\0')
    return dict(zip(fields[2::2], fields[3::2]))


def _oack(block):
    return struct.pack('!H', OP_OACK) + b'blksize\0%d\0' % block


class _Tftp:
    """A UDP socket on 127.0.0.1 and a thread handing each request with
    opcode self.OPCODE to self._serve(peer, request), one at a time, from
    the port the request came to."""

    OPCODE = None

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.5)
        self._stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self._stop:
            try:
                req, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if req[:2] == struct.pack('!H', self.OPCODE):
                self._serve(peer, req)

    def _serve(self, peer, req):
        raise NotImplementedError

    def close(self):
        self._stop = True
        self.t.join(3)
        self.sock.close()


class TftpServer(_Tftp):
    """Read-only TFTP for one file. blksize: the block size the last
    client asked for; sent_blocks: data and OACK packets sent, retries
    included."""

    OPCODE = OP_RRQ

    def __init__(self, data):
        self.data = data
        self.sent_blocks = 0
        self.blksize = BLOCK
        super().__init__()

    def _exchange(self, pkt, peer, n):
        """Send pkt until the client acknowledges block n (at most 10
        times, 0.5 s apart)."""
        for _ in range(10):
            self.sock.sendto(pkt, peer)
            self.sent_blocks += 1
            try:
                ack, p = self.sock.recvfrom(100)
            except socket.timeout:
                continue
            if p == peer and ack[:4] == struct.pack('!HH', OP_ACK,
                                                    n & 0xffff):
                return True
        return False

    def _serve(self, peer, req):
        opts = _options(req)
        block = BLOCK
        if b'blksize' in opts:
            block = int(opts[b'blksize'])
            self.blksize = block
            if not self._exchange(_oack(block), peer, 0):
                return
        nblocks = len(self.data) // block + 1
        for n in range(1, nblocks + 1):
            chunk = self.data[(n - 1) * block:n * block]
            pkt = struct.pack('!HH', OP_DATA, n & 0xffff) + chunk
            if not self._exchange(pkt, peer, n):
                return


class TftpSink(_Tftp):
    """Write-only TFTP for one file: data is what arrived (None until a
    whole file did). It gives up on a client after 10 s of silence."""

    OPCODE = OP_WRQ

    def __init__(self):
        self.data = None
        super().__init__()

    def _serve(self, peer, req):
        opts = _options(req)
        block = int(opts.get(b'blksize', BLOCK))
        s = self.sock
        if b'blksize' in opts:
            s.sendto(_oack(block), peer)
        else:
            s.sendto(struct.pack('!HH', OP_ACK, 0), peer)
        got, n, idle = [], 1, 0
        while idle < 20:
            try:
                pkt, p = s.recvfrom(65535)
            except socket.timeout:
                idle += 1
                continue
            if p != peer or pkt[:2] != struct.pack('!H', OP_DATA):
                continue
            idle = 0
            num = struct.unpack('!H', pkt[2:4])[0]
            if num == n & 0xffff:
                got.append(pkt[4:])
                n += 1
            last = num == (n - 1) & 0xffff and len(pkt) - 4 < block
            if last:            # set before the client can see the end
                self.data = b''.join(got)
            s.sendto(struct.pack('!HH', OP_ACK, num), peer)
            if last:
                return
