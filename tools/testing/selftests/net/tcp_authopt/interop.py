#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""TCP-AO interoperability between two machines on one link.

Each machine runs this script with its own kernel's ABI: ``--abi ours``
(TCP_AUTHOPT_KEY, this series) or ``--abi upstream`` (TCP_AO_ADD_KEY, Linux
6.7+). Both walk the same case matrix in the same order; in each case one
side listens and the other connects, they exchange data both ways and check
it by digest. Each case gets its own port, and the client retries until
the server listens, so the two machines need no other synchronisation.

Output is TAP, one line per case, as seen from this machine.
"""
import argparse
import hashlib
import itertools
import select
import socket
import struct
import sys
import time

TCP_AUTHOPT, TCP_AUTHOPT_KEY = 38, 39   # ours
TCP_AO_ADD_KEY = 38                     # upstream
TCP_CLOSE = 7                           # tcpi_state
KEY_DEL, KEY_ADDR_BIND, KEY_EXCLUDE_OPTS = 1 << 0, 1 << 2, 1 << 1
UPSTREAM_KEYF_EXCLUDE_OPT = 1 << 1
ALGS = {1: ('hmac-sha1', b'hmac(sha1)'), 2: ('aes-cmac', b'cmac(aes128)')}
BASE_PORT = 20000


def sockaddr(family, addr):
    """struct sockaddr_in/in6 padded to sockaddr_storage."""
    if family == socket.AF_INET:
        raw = struct.pack('=H2s4s', family, b'\0\0', socket.inet_aton(addr))
    else:
        raw = struct.pack('=HHI16sI', family, 0, 0, socket.inet_pton(family, addr), 0)
    return raw.ljust(128, b'\0')


def ours_key(flags, send_id, recv_id, alg, key, family, peer_addr):
    return (struct.pack('=IBBBB80s', flags, send_id, recv_id, alg, len(key), key) +
            sockaddr(family, peer_addr))


def add_key(sock, abi, family, case, peer_addr):
    send_id, recv_id = (case['a_ids'] if case['client_is_ours'] == (abi == 'ours')
                        else case['b_ids'])
    key = case['key']
    if abi == 'ours':
        flags = KEY_ADDR_BIND | (KEY_EXCLUDE_OPTS if case['exclude'] else 0)
        sock.setsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT_KEY,
                        ours_key(flags, send_id, recv_id, case['alg'], key, family, peer_addr))
        sock.setsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT, bytes(8))
    else:
        prefix = 32 if family == socket.AF_INET else 128
        opt = (sockaddr(family, peer_addr) + ALGS[case['alg']][1].ljust(64, b'\0') +
               struct.pack('=iIHBBBBBB80s', 0, 0, 0, prefix, send_id, recv_id, 12,
                           UPSTREAM_KEYF_EXCLUDE_OPT if case['exclude'] else 0,
                           len(key), key))
        sock.setsockopt(socket.IPPROTO_TCP, TCP_AO_ADD_KEY, opt)


class Stream:
    """Deterministic data of any size, so the other side can check it."""

    BLOCK = 1 << 16

    def __init__(self, tag):
        seed = hashlib.sha256(tag).digest()
        self.block = (seed * (self.BLOCK // len(seed) + 1))[:self.BLOCK]

    def chunk(self, offset, size):
        start = offset % self.BLOCK
        return (self.block[start:] + self.block[:start])[:size]

    def digest(self, size):
        h = hashlib.sha256()
        for off in range(0, size, self.BLOCK):
            h.update(self.chunk(off, min(self.BLOCK, size - off)))
        return h.digest()


def exchange(conn, case, is_client):
    """Send and receive case['size'] bytes at once; check what came by digest."""
    size = case['size']
    mine = Stream(b'client' if is_client else b'server')
    want = Stream(b'server' if is_client else b'client').digest(size)
    got = hashlib.sha256()
    received = sent = 0
    conn.setblocking(False)
    deadline = time.monotonic() + 60 + size / 2e6
    while (sent < size or received < size) and time.monotonic() < deadline:
        progressed = False
        if sent < size:
            try:
                sent += conn.send(mine.chunk(sent, min(Stream.BLOCK, size - sent)))
                progressed = True
            except BlockingIOError:
                pass
        try:
            data = conn.recv(Stream.BLOCK)
            if not data:
                break
            got.update(data)
            received += len(data)
            progressed = True
        except BlockingIOError:
            pass
        if not progressed:
            select.select([conn], [conn] if sent < size else [], [], 1)
    # Close cleanly and wait for the peer's FIN: then both sides have all
    # the data and the connection no longer needs its key.
    conn.setblocking(True)
    conn.settimeout(15)
    conn.shutdown(socket.SHUT_WR)
    try:
        extra = conn.recv(1)
    except (socket.timeout, TimeoutError):
        return False, f'sent {sent} received {received}, no FIN from the peer'
    # The peer's FIN does not mean ours arrived: data and FIN may still sit
    # in our send queue. Wait until the connection is over (CLOSED once our
    # FIN is acknowledged); only then may the key go away.
    if not wait_closed(conn, 15):
        return False, f'sent {sent} received {received}, our FIN never acknowledged'
    ok = received == size and got.digest() == want and not extra
    return ok, f'sent {sent} received {received}{" and more" if extra else ""}'


def wait_closed(conn, timeout):
    """Wait until TCP_INFO says TCP_CLOSE: everything we sent was acknowledged."""
    deadline = time.monotonic() + timeout
    while conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0] != TCP_CLOSE:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def run_case(args, num, case, port):
    family = socket.AF_INET if case['family'] == 4 else socket.AF_INET6
    me = args.self4 if family == socket.AF_INET else args.self6
    peer = args.peer4 if family == socket.AF_INET else args.peer6
    is_client = case['client_is_ours'] == (args.abi == 'ours')
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    add_key(sock, args.abi, family, case, peer)
    if is_client:
        deadline = time.monotonic() + 30
        while True:
            try:
                sock.settimeout(5)
                sock.connect((peer, port))
                break
            except (ConnectionRefusedError, socket.timeout, TimeoutError) as err:
                if time.monotonic() > deadline:
                    return False, f'connect: {err}'
                sock.close()
                time.sleep(0.2)
                sock = socket.socket(family, socket.SOCK_STREAM)
                add_key(sock, args.abi, family, case, peer)
        conn = sock
    else:
        sock.bind((me, port))
        sock.listen(1)
        sock.settimeout(40)
        try:
            conn, _ = sock.accept()
        except (socket.timeout, TimeoutError):
            return False, 'accept timed out'
    try:
        ok, detail = exchange(conn, case, is_client)
        if ok and args.abi == 'ours':
            flags = struct.unpack('=I', conn.getsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT, 8)[:4])[0]
            if not flags & (1 << 3):
                return False, 'connection not reported ACTIVE'
        return ok, detail
    finally:
        conn.close()
        if conn is not sock:
            sock.close()
        if args.abi == 'ours':
            # Keys belong to the namespace: take this case's key away, or
            # the next case could pick it. The connection is over (see
            # wait_closed()); an authenticated connection never falls back
            # to unsigned segments, so deleting earlier would stall it.
            send_id, recv_id = case['a_ids'] if is_client else case['b_ids']
            ctl = socket.socket(family, socket.SOCK_STREAM)
            ctl.setsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT_KEY,
                           ours_key(KEY_DEL | KEY_ADDR_BIND, send_id, recv_id, 0, b'',
                                    family, peer))
            ctl.close()


def cases(size):
    out = []
    for alg, family, keylen, client_is_ours, exclude in itertools.product(
            (1, 2), (4, 6), (1, 16, 80), (True, False), (False, True)):
        if exclude and keylen != 16:
            continue  # options excluded: one key length is enough
        out.append({
            'alg': alg, 'family': family, 'client_is_ours': client_is_ours,
            'exclude': exclude, 'size': size,
            'key': bytes((i * 13 + keylen) & 0xff for i in range(keylen)),
            # send_id != recv_id, and other ids in each case:
            # A (the client) sends with n, B (the server) with n + 1.
            'a_ids': (2 * len(out) + 7, 2 * len(out) + 8),
            'b_ids': (2 * len(out) + 8, 2 * len(out) + 7),
            'name': (f'{ALGS[alg][0]} ipv{family} mkt{keylen} '
                     f'{"ours->upstream" if client_is_ours else "upstream->ours"}'
                     f'{" exclude-options" if exclude else ""}'),
        })
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--abi', choices=('ours', 'upstream'), required=True)
    parser.add_argument('--self4', required=True)
    parser.add_argument('--self6', required=True)
    parser.add_argument('--peer4', required=True)
    parser.add_argument('--peer6', required=True)
    parser.add_argument('--size', type=int, default=4 << 20, help='bytes each way')
    parser.add_argument('--only', help='comma separated case numbers to run')
    parser.add_argument('--rounds', type=int, default=1, help='run the matrix this often')
    parser.add_argument('--flip-key', action='store_true',
                        help='change one byte of every key on this side (cases must fail)')
    args = parser.parse_args()
    if args.abi == 'ours':
        with open('/proc/sys/net/ipv4/tcp_authopt', 'w') as f:
            f.write('1')
    matrix = cases(args.size)
    if args.flip_key:
        for case in matrix:
            case['key'] = bytes([case['key'][0] ^ 1]) + case['key'][1:]
    only = {int(n) for n in args.only.split(',')} if args.only else None
    runs = [(r, num, case) for r in range(args.rounds)
            for num, case in enumerate(matrix, 1) if not only or num in only]
    print('TAP version 13')
    print(f'1..{len(runs)}')
    failed = 0
    for num, (rnd, case_num, case) in enumerate(runs, 1):
        try:
            ok, detail = run_case(args, num, case, BASE_PORT + num)
        except OSError as err:
            ok, detail = False, f'{type(err).__name__}: {err}'
        failed += not ok
        print(f'{"ok" if ok else "not ok"} {num} {case["name"]}'
              f'{"" if ok else " # " + detail}', flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
