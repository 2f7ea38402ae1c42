#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""TCP-AO interoperability between two machines on one link.

Each machine runs this script with the ABI it uses: ``--abi ours``
(TCP_AUTHOPT_KEY, this series) or ``--abi upstream`` (TCP_AO_ADD_KEY, Linux
6.7+, which our kernel speaks too). ``--kernel`` (default: that of --abi)
says which machine it is, ours or the upstream peer: that decides its side
of every case (client, who asks for a rollover, who resets, who has the
wrong key) and the TcpExt counters it expects; the ABI decides the socket
calls and the socket's own checks. Both walk the same case matrix in the
same order; in each case one side listens and the other connects and they
exchange data both ways. A case that one of the two cannot take part in
(--other-abi says what the other machine uses) is skipped on both.

Each direction of each case sends its own keyed stream (SHAKE-128 of a
per-case key and the offset), checked byte by byte as it arrives: data
duplicated, reordered, lost or from elsewhere fails at its offset; the
SHA-256 of what came is only a summary. Each case gets its own port, and
the client waits (SYN retransmissions) until the server listens, so the
two machines need no other synchronisation.

After the basic matrix come cases for large transfers, key rollover through
RNextKeyID under traffic, sequence number wrap (connections put together in
repair mode on both sides), signed resets and a wrong key. Cases that need
both sides at the same point meet first on a plain TCP connection.

Each side checks that its own kernel reports the connection authenticated
with the case's keys, through the ABI it uses: ours through TCP_AUTHOPT
(ACTIVE, KeyIDs sent and received), upstream's through TCP_AO_INFO
(segments verified on the socket, none bad, current and RNext key) and
TCP_AO_GET_KEYS (verified with the case's key).

Each side reads every TCP-AO and MD5 counter in TcpExt around every case;
each case says which may move, and how far (see counter_rules()), and
fails if any other does. The totals are printed at the end
("# counted COUNTER N") so that the caller can check that nothing moved
between the cases. --selftest checks these checkers without a network.

Output is TAP, one line per case, as seen from this machine.
"""
import argparse
import ctypes
import fcntl
import hashlib
import itertools
import os
import resource
import select
import socket
import struct
import sys
import termios
import time

TCP_AUTHOPT, TCP_AUTHOPT_KEY = 38, 39   # ours
TCP_AO_ADD_KEY = 38                     # upstream
TCP_CLOSE = 7                           # tcpi_state
KEY_DEL, KEY_ADDR_BIND, KEY_EXCLUDE_OPTS = 1 << 0, 1 << 2, 1 << 1
UPSTREAM_KEYF_EXCLUDE_OPT = 1 << 1
ALGS = {1: ('hmac-sha1', b'hmac(sha1)'), 2: ('aes-cmac', b'cmac(aes128)'),
        # Upstream's ABI only: no alg number of ours (only a name is used).
        3: ('hmac-sha224', b'hmac(sha224)'), 4: ('hmac-sha256', b'hmac(sha256)'),
        5: ('hmac-sha384', b'hmac(sha384)'), 6: ('hmac-sha512', b'hmac(sha512)'),
        7: ('hmac-sha3-512', b'hmac(sha3-512)'), 8: ('hmac-rmd160', b'hmac(rmd160)'),
        9: ('hmac-md5', b'hmac(md5)')}
SHA2_ALGS = (3, 4, 5, 6)
UABI_ALGS = SHA2_ALGS + (7, 8, 9)   # upstream's ABI only
# Upstream's ABI only, both ABIs on both sides: (alg, MAC length, family,
# client is ours). An odd length makes the option end in NOP padding.
UABI_MACLEN_CASES = ((1, 1, 4, True), (1, 16, 6, False), (2, 16, 4, False),
                     (4, 4, 6, True), (7, 16, 4, True), (8, 12, 6, False),
                     (9, 8, 4, False))
BASE_PORT = 20000

# Socket options of the added cases.
TCP_MAXSEG = 2
TCP_REPAIR, TCP_REPAIR_QUEUE, TCP_QUEUE_SEQ = 19, 20, 21
TCP_REPAIR_OPTIONS, TCP_REPAIR_WINDOW = 22, 29
TCP_RECV_QUEUE, TCP_SEND_QUEUE = 1, 2
TCP_REPAIR_ON, TCP_REPAIR_OFF_NO_WP = 1, -1
OPT_MSS, OPT_WINDOW, OPT_SACK_PERM = 2, 3, 4    # TCP_REPAIR_OPTIONS codes
TCP_REPAIR_AUTHOPT = 40                         # ours
FLAG_LOCK_RNEXTKEYID, FLAG_ACTIVE = 1 << 1, 1 << 3
TCP_AO_DEL_KEY, TCP_AO_INFO, TCP_AO_GET_KEYS, TCP_AO_REPAIR = 39, 40, 41, 42  # upstream
AO_INFO_SET_RNEXT, AO_INFO_REQUIRED, AO_INFO_ACCEPT_ICMPS = 1 << 1, 1 << 2, 1 << 4
AO_INFO_FMT = '=IHBB5Q'             # struct tcp_ao_info_opt
AO_GETSOCKOPT_SIZE, AO_GET_ALL = 304, 1 << 2    # struct tcp_ao_getsockopt
# Connections made in repair mode start just below 2^32: side A (the one
# the case names first) sends from WRAP_SEQ[0], side B from WRAP_SEQ[1].
WRAP_SEQ = ((1 << 32) - (64 << 10), (1 << 32) - (48 << 10) - 4321)
REPAIR_MSS, REPAIR_WINDOW = 1400, 32768
SYNC_PORT = BASE_PORT + 1000    # + case number: plain TCP meeting point
PORT_B = BASE_PORT + 500        # + case number: B's port in repair mode
# TcpExt counters checked around every case: all whose names start so,
# and these must exist on the kernel of that ABI.
COUNTER_PREFIXES = ('TCPAuthOpt', 'TCPAO', 'TCPMD5')
COUNTERS = {'ours': ('TCPAuthOptFailure', 'TCPAuthOptBadMAC', 'TCPAuthOptRequired',
                     'TCPAuthOptKeyNotFound', 'TCPAuthOptUnexpected', 'TCPAuthOptMD5AndAO',
                     'TCPAuthOptMalformed', 'TCPAuthOptIcmpIgnored'),
            'upstream': ('TCPAOGood', 'TCPAOBad', 'TCPAOKeyNotFound', 'TCPAORequired',
                         'TCPAODroppedIcmps')}
# ours: TCPAuthOptFailure counts every drop, once more by reason in these.
OURS_REASONS = ('TCPAuthOptBadMAC', 'TCPAuthOptRequired', 'TCPAuthOptKeyNotFound',
                'TCPAuthOptUnexpected', 'TCPAuthOptMD5AndAO', 'TCPAuthOptMalformed')
# ours: the same events under upstream's names (tcp_authopt_drop(),
# tcp_authopt_ignore_icmp()): (our counters, summed), upstream's counter.
SAME_EVENT = ((('TCPAuthOptBadMAC',), 'TCPAOBad'),
              (('TCPAuthOptRequired',), 'TCPAORequired'),
              (('TCPAuthOptKeyNotFound', 'TCPAuthOptUnexpected'), 'TCPAOKeyNotFound'),
              (('TCPAuthOptIcmpIgnored',), 'TCPAODroppedIcmps'))

libc = ctypes.CDLL(None, use_errno=True)

# Waiting for the other machine: 40 s to accept, 30 s to connect. Once it
# looks gone (unreachable, or two cases in a row it never showed up),
# wait only a little, so that a dead VM does not cost 40 s per case.
WAIT = {'accept': 40, 'connect': 30}
PEER_GONE = ('No route to host', 'accept timed out', 'connect: timed out',
             'never came to the meeting point')


def peer_gone(detail, failures):
    """Shorten the waits after two cases in a row the peer did not come."""
    if any(text in detail for text in PEER_GONE):
        failures.append(detail)
    else:
        failures.clear()
    if len(failures) >= 2:
        WAIT.update(accept=5, connect=5)


class CaseError(Exception):
    """A check of an added case failed; the message says which."""


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


def my_ids(case, kernel, which='ids'):
    """(send_id, recv_id) of the key of the side on this kernel (which='ids2':
    the second key). Side A is the client; the kernel, not the ABI, says
    which side this machine is."""
    a, b = case['a_' + which], case['b_' + which]
    return a if case['client_is_ours'] == (kernel == 'ours') else b


def case_key(case, kernel):
    """The wrong key, where a case has one, is on the upstream kernel's side
    whatever ABI our kernel's side uses."""
    key = case['key']
    if case.get('wrong_key') and kernel == 'upstream':
        key = bytes([key[0] ^ 0x55]) + key[1:]
    return key


def add_key(sock, args, family, case, peer_addr, which='ids'):
    """Which key: this machine's side of the case; how: this side's ABI."""
    send_id, recv_id = my_ids(case, args.kernel, which)
    key = case_key(case, args.kernel)
    if args.abi == 'ours':
        flags = KEY_ADDR_BIND | (KEY_EXCLUDE_OPTS if case['exclude'] else 0)
        sock.setsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT_KEY,
                        ours_key(flags, send_id, recv_id, case['alg'], key, family, peer_addr))
        sock.setsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT, bytes(8))
    else:
        prefix = 32 if family == socket.AF_INET else 128
        opt = (sockaddr(family, peer_addr) + ALGS[case['alg']][1].ljust(64, b'\0') +
               struct.pack('=iIHBBBBBB80s', 0, 0, 0, prefix, send_id, recv_id,
                           case['maclen'],
                           UPSTREAM_KEYF_EXCLUDE_OPT if case['exclude'] else 0,
                           len(key), key))
        sock.setsockopt(socket.IPPROTO_TCP, TCP_AO_ADD_KEY, opt)


def add_keys(sock, args, family, case, peer_addr):
    """All keys of the case. Rollover: key 1 must be the one in use at first
    (ours: lowest send_id; upstream's ABI, on either kernel: the key
    added last comes first)."""
    if case['kind'] == 'rollover':
        order = ('ids', 'ids2') if args.abi == 'ours' else ('ids2', 'ids')
        for which in order:
            add_key(sock, args, family, case, peer_addr, which)
    else:
        add_key(sock, args, family, case, peer_addr)


def ours_del_keys(case, is_client, family, peer):
    """Take this case's keys out of our namespace: key 1 first."""
    errors = []
    for which in (('ids', 'ids2') if case['kind'] == 'rollover' else ('ids',)):
        send_id, recv_id = case[('a_' if is_client else 'b_') + which]
        ctl = socket.socket(family, socket.SOCK_STREAM)
        try:
            ctl.setsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT_KEY,
                           ours_key(KEY_DEL | KEY_ADDR_BIND, send_id, recv_id, 0, b'',
                                    family, peer))
        except OSError as err:
            errors.append(f'DEL key {send_id}/{recv_id}: {err}')
        finally:
            ctl.close()
    if errors:
        raise OSError(', '.join(errors))


class Stream:
    """The bytes one side sends in one case: a keyed stream that never
    repeats. Block i of BLOCK bytes is SHAKE-128(key || i), so every byte
    depends on the case, the direction and its offset: data that arrives
    twice, out of order, from another case or from the other direction
    does not match where it lands."""

    BLOCK = 1 << 16

    def __init__(self, key):
        self.key = key
        self.blocks = {}

    def block(self, index):
        if index not in self.blocks:
            if len(self.blocks) >= 4:
                self.blocks.pop(next(iter(self.blocks)))
            self.blocks[index] = hashlib.shake_128(
                self.key + index.to_bytes(8, 'big')).digest(self.BLOCK)
        return self.blocks[index]

    def chunk(self, offset, size):
        out = []
        while size > 0:
            index, start = divmod(offset, self.BLOCK)
            part = self.block(index)[start:start + size]
            out.append(part)
            offset += len(part)
            size -= len(part)
        return out[0] if len(out) == 1 else b''.join(out)


class StreamCheck:
    """Checks a received stream as it arrives, each byte against the one
    due at its offset; the SHA-256 of everything is only a summary."""

    def __init__(self, stream):
        self.stream = stream
        self.offset = 0
        self.bad = None             # offset of the first wrong byte
        self.sha = hashlib.sha256()

    def feed(self, data):
        if self.bad is None:
            want = self.stream.chunk(self.offset, len(data))
            if data != want:
                self.bad = self.offset + next(i for i, (a, b) in enumerate(zip(data, want))
                                              if a != b)
        self.sha.update(data)
        self.offset += len(data)

    def summary(self):
        wrong = '' if self.bad is None else f', WRONG DATA from byte {self.bad}'
        return f'sha256 {self.sha.hexdigest()[:16]}{wrong}'


def stream_key(case, role):
    """Per case and direction (role: who sends, 'client' or 'server')."""
    return hashlib.sha256(f'interop {case["num"]} {case["name"]} {role}'.encode()).digest()[:16]


def case_streams(case, is_client):
    """(what this side sends, the checker of what it receives)"""
    me, other = ('client', 'server') if is_client else ('server', 'client')
    return Stream(stream_key(case, me)), StreamCheck(Stream(stream_key(case, other)))


def pump(conn, case, is_client, hook=None, progress=None):
    """Send and receive case['size'] bytes at once; check what comes as it
    comes. hook(sent, received), if given, runs every 20 ms or so meanwhile.
    progress, if given, is a dict kept up to date with 'sent', 'received'
    and 'step'; with it, a connection reset ends the loop and sets
    progress['reset']. Returns (sent, received, StreamCheck)."""
    catch = (ConnectionResetError,) if progress is not None else ()
    if progress is None:
        progress = {}
    size = case['size']
    mine, check = case_streams(case, is_client)
    received = sent = 0
    conn.setblocking(False)
    deadline = time.monotonic() + 60 + size / 2e6
    next_hook = 0
    while (sent < size or received < size) and time.monotonic() < deadline:
        if hook and time.monotonic() >= next_hook:
            hook(sent, received)
            next_hook = time.monotonic() + 0.02
        progressed = False
        progress.update(sent=sent, received=received, step='send')
        try:
            if sent < size:
                try:
                    sent += conn.send(mine.chunk(sent, min(Stream.BLOCK, size - sent)))
                    progressed = True
                except BlockingIOError:
                    pass
            progress.update(sent=sent, step='recv')
            try:
                data = conn.recv(Stream.BLOCK)
                if not data:
                    break
                check.feed(data)
                received += len(data)
                progressed = True
            except BlockingIOError:
                pass
        except catch:
            progress['reset'] = True
            break
        if not progressed:
            select.select([conn], [conn] if sent < size else [], [], 0.02 if hook else 1)
    return sent, received, check


def exchange(conn, case, is_client, hook=None, before_close=None):
    """Send and receive case['size'] bytes at once, checked as they come.
    before_close(), if given, runs after the data and may return a problem."""
    size = case['size']
    sent, received, check = pump(conn, case, is_client, hook)
    problem = before_close() if before_close else None
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
    ok = received == size and check.bad is None and not extra and not problem
    return ok, (f'sent {sent} received {received}{" and more" if extra else ""} '
                f'({check.summary()}){", " + problem if problem else ""}')


def wait_closed(conn, timeout):
    """Wait until TCP_INFO says TCP_CLOSE: everything we sent was acknowledged."""
    deadline = time.monotonic() + timeout
    while conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0] != TCP_CLOSE:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def wait_acked(conn, timeout):
    """Wait until our send queue is empty (all acknowledged)."""
    deadline = time.monotonic() + timeout
    buf = struct.pack('i', 0)
    while struct.unpack('i', fcntl.ioctl(conn.fileno(), termios.TIOCOUTQ, buf))[0]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def total_retrans(conn):
    """tcpi_total_retrans: for a socket just connected, its SYN retransmissions."""
    return struct.unpack_from('=I', conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104),
                              100)[0]


def endpoints(args, case):
    family = socket.AF_INET if case['family'] == 4 else socket.AF_INET6
    me = args.self4 if family == socket.AF_INET else args.self6
    peer = args.peer4 if family == socket.AF_INET else args.peer6
    is_client = case['client_is_ours'] == (args.kernel == 'ours')
    return family, me, peer, is_client


def connect_retry(family, peer, port, setup):
    """Connect, retrying until the peer listens; setup(sock) before each try."""
    deadline = time.monotonic() + WAIT['connect']
    while True:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            setup(sock)
            sock.settimeout(5)
            sock.connect((peer, port))
            return sock
        except (ConnectionRefusedError, socket.timeout, TimeoutError) as err:
            sock.close()
            if time.monotonic() > deadline:
                raise CaseError(f'connect: {err}')
            time.sleep(0.2)


def meet(args, case, num, listen):
    """A plain TCP connection (no TCP-AO) to the other machine, as a
    meeting point: the listening side must call first."""
    family, me, peer, _ = endpoints(args, case)
    if listen:
        ls = socket.socket(family, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((me, SYNC_PORT + num))
        ls.listen(1)
        ls.settimeout(WAIT['accept'])
        try:
            conn, _ = ls.accept()
        except (socket.timeout, TimeoutError):
            raise CaseError('the other machine never came to the meeting point')
        finally:
            ls.close()
    else:
        conn = connect_retry(family, peer, SYNC_PORT + num, lambda s: None)
    conn.settimeout(40)
    return conn


def start_together(args):
    """Both machines meet once before the first case (ours listens), so
    that the one that booted first does not start the matrix alone: its
    first case would fail, unreachable, and the next ones out of step."""
    deadline = time.monotonic() + 120
    if args.kernel == 'ours':
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((args.self4, SYNC_PORT))
        ls.listen(1)
        ls.settimeout(120)
        try:
            conn, _ = ls.accept()
        finally:
            ls.close()
    else:
        while True:
            conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            conn.settimeout(5)
            try:
                conn.connect((args.peer4, SYNC_PORT))
                break
            except OSError:
                # Refused or unreachable: the other machine is not up yet.
                conn.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    with conn:
        conn.settimeout(30)
        meet_step(conn, b'S')


def meet_step(conn, token):
    """Both sides send token and wait for the other's."""
    conn.sendall(token)
    got = conn.recv(len(token))
    if got != token:
        raise CaseError(f'meeting point: expected {token!r}, got {got!r}')


def run_case(args, num, case, port, ctx):
    """One case; ctx gets what the counter check needs ('syn_retrans': our
    SYN retransmissions as the client, 'peer_syns': bad SYNs sent to us)."""
    if case['kind'] == 'wrap':
        return run_wrap(args, num, case, port, ctx)
    if case['kind'] == 'wrongkey':
        return run_wrongkey(args, num, case, port, ctx)
    family, _, peer, is_client = endpoints(args, case)
    socks = []
    try:
        return run_conn(args, case, port, ctx, socks)
    finally:
        for sock in socks:
            sock.close()
        if args.abi == 'ours':
            # Keys belong to the namespace: take this case's keys away, on
            # every way out, or the next case could pick them. The
            # connection is over (see wait_closed()); an authenticated
            # connection never falls back to unsigned segments, so
            # deleting earlier would stall it.
            ours_del_keys(case, is_client, family, peer)


def run_conn(args, case, port, ctx, socks):
    """A case on one connection; every socket opened goes into socks."""
    family, me, peer, is_client = endpoints(args, case)
    sock = socket.socket(family, socket.SOCK_STREAM)
    socks.append(sock)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    add_keys(sock, args, family, case, peer)
    if is_client:
        # No listener yet: both kernels answer a signed SYN with nothing
        # (no ISNs to sign a RST with; an older ours sent an unsigned one,
        # which the client had to drop, counted as "required"). No
        # connect() may be refused: that would be an unsigned RST accepted.
        deadline = time.monotonic() + WAIT['connect']
        retrans = 0
        while True:
            try:
                sock.settimeout(5)
                sock.connect((peer, port))
                break
            except ConnectionRefusedError:
                return False, 'connection refused: an RST without TCP-AO accepted'
            except (socket.timeout, TimeoutError) as err:
                retrans += total_retrans(sock)
                sock.close()
                if time.monotonic() > deadline:
                    return False, f'connect: {err}'
                sock = socket.socket(family, socket.SOCK_STREAM)
                socks.append(sock)
                add_keys(sock, args, family, case, peer)
        ctx['syn_retrans'] = retrans + total_retrans(sock)
        conn = sock
    else:
        sock.bind((me, port))
        sock.listen(1)
        sock.settimeout(WAIT['accept'])
        try:
            conn, _ = sock.accept()
        except (socket.timeout, TimeoutError):
            return False, 'accept timed out'
        socks.append(conn)
    if case['kind'] == 'rollover':
        return rollover(args, case, conn, is_client, family, peer, ctx)
    if case['kind'] == 'rst':
        return reset(args, case, conn, is_client, ctx)
    return exchange(conn, case, is_client, before_close=lambda: auth_problem(
        args, conn, my_ids(case, args.kernel), ctx))


# ---------------------------------------------------------------------------
# Authenticated on both sides: each side asks its own kernel


def ours_auth_problem(got, ids):
    """got: TCP_AUTHOPT (flags, send_keyid, send_rnextkeyid, recv_keyid,
    recv_rnextkeyid); ids: this side's (send_id, recv_id)."""
    flags, send, send_rnext, recv, recv_rnext = got
    problems = []
    if not flags & FLAG_ACTIVE:
        problems.append('not ACTIVE')
    if (send, send_rnext) != tuple(ids):
        problems.append(f'sends KeyID/RNextKeyID {send}/{send_rnext}, want {ids[0]}/{ids[1]}')
    if (recv, recv_rnext) != (ids[1], ids[0]):
        problems.append(f'received KeyID/RNextKeyID {recv}/{recv_rnext}, '
                        f'want {ids[1]}/{ids[0]}')
    return ', '.join(problems) or None


def upstream_auth_problem(info, keys, ids, required_ok):
    """info: ao_counters(); keys: ao_keys(); ids: this side's (sndid, rcvid);
    required_ok: unsigned segments this socket may have dropped (RSTs
    answering its SYNs before the listener was there)."""
    problems = []
    if not info['pkt_good']:
        problems.append('no segment verified (pkt_good 0)')
    for name in ('pkt_bad', 'pkt_key_not_found', 'pkt_dropped_icmp'):
        if info[name]:
            problems.append(f'{name} {info[name]}')
    if info['pkt_ao_required'] > required_ok:
        problems.append(f'pkt_ao_required {info["pkt_ao_required"]} > {required_ok} '
                        f'(SYN retransmissions)')
    if (info['current_key'], info['rnext']) != tuple(ids):
        problems.append(f'current_key/rnext {info["current_key"]}/{info["rnext"]}, '
                        f'want {ids[0]}/{ids[1]}')
    good, bad = keys.get(tuple(ids), (0, 0))
    if not good or bad:
        problems.append(f'key {ids[0]}/{ids[1]} pkt_good {good} pkt_bad {bad}')
    return ', '.join(problems) or None


def auth_problem(args, conn, ids, ctx):
    """None when our kernel says this connection is authenticated with the
    case's keys; otherwise what is wrong. ctx['auth'] gets what it said."""
    try:
        if args.abi == 'ours':
            got = ours_authopt(conn)
        else:
            info, keys = ao_counters(conn), ao_keys(conn)
    except OSError as err:
        ctx['auth'] = f'no TCP-AO state: {err}'
        return f'not authenticated ({ctx["auth"]})'
    if args.abi == 'ours':
        ctx['auth'] = (f'TCP_AUTHOPT flags {got[0]:#x} send {got[1]}/{got[2]} '
                       f'recv {got[3]}/{got[4]}')
        return ours_auth_problem(got, ids)
    ctx['auth'] = (f'TCP_AO_INFO current/rnext {info["current_key"]}/{info["rnext"]} '
                   f'good {info["pkt_good"]} bad {info["pkt_bad"]} '
                   f'required {info["pkt_ao_required"]}; keys {keys}')
    return upstream_auth_problem(info, keys, ids, ctx.get('syn_retrans', 0))


# ---------------------------------------------------------------------------
# Key rollover through RNextKeyID


def ours_authopt(conn):
    """(flags, send_keyid, send_rnextkeyid, recv_keyid, recv_rnextkeyid)"""
    return struct.unpack('=IBBBB', conn.getsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT, 8))


def ao_info(conn):
    """upstream TCP_AO_INFO: (flags, current_key sndid, rnext rcvid)"""
    # The kernel checks reserved input fields: pass zeros (Python's
    # getsockopt() hands the kernel an uninitialised buffer).
    raw = raw_getsockopt(conn, TCP_AO_INFO, bytes(struct.calcsize(AO_INFO_FMT)))
    flags, _, current, rnext, *_ = struct.unpack(AO_INFO_FMT, raw)
    return flags, current, rnext


def ao_counters(conn):
    """upstream TCP_AO_INFO as a dict: current_key, rnext and pkt_* counters."""
    raw = raw_getsockopt(conn, TCP_AO_INFO, bytes(struct.calcsize(AO_INFO_FMT)))
    _, _, current, rnext, *counts = struct.unpack(AO_INFO_FMT, raw)
    out = dict(zip(('pkt_good', 'pkt_bad', 'pkt_key_not_found', 'pkt_ao_required',
                    'pkt_dropped_icmp'), counts))
    out.update(current_key=current, rnext=rnext)
    return out


def raw_getsockopt(conn, opt, inp, optlen=None):
    """getsockopt(IPPROTO_TCP, opt) with the buffer holding inp."""
    buf = ctypes.create_string_buffer(inp, len(inp))
    size = ctypes.c_uint32(len(inp) if optlen is None else optlen)
    if libc.getsockopt(conn.fileno(), socket.IPPROTO_TCP, opt, buf, ctypes.byref(size)):
        err = ctypes.get_errno()
        raise OSError(err, f'getsockopt({opt}): {os.strerror(err)}')
    return buf.raw


def ao_set_rnext(conn, rcvid):
    flags, _, _ = ao_info(conn)
    flags = (flags & (AO_INFO_REQUIRED | AO_INFO_ACCEPT_ICMPS)) | AO_INFO_SET_RNEXT
    conn.setsockopt(socket.IPPROTO_TCP, TCP_AO_INFO,
                    struct.pack(AO_INFO_FMT, flags, 0, 0, rcvid, 0, 0, 0, 0, 0))


def ao_keys(conn, nkeys=8):
    """upstream TCP_AO_GET_KEYS get_all: {(sndid, rcvid): (pkt_good, pkt_bad)}"""
    size = AO_GETSOCKOPT_SIZE
    inp = bytearray(size * nkeys)
    struct.pack_into('=IH', inp, 272, nkeys, AO_GET_ALL)
    # optlen is the size of one struct; the kernel writes nkeys of them.
    raw = raw_getsockopt(conn, TCP_AO_GET_KEYS, bytes(inp), size)
    count = struct.unpack_from('=I', raw, 272)[0]
    out = {}
    for i in range(min(count, nkeys)):
        sndid, rcvid = struct.unpack_from('=BB', raw, i * size + 278)
        out[(sndid, rcvid)] = struct.unpack_from('=QQ', raw, i * size + 288)
    return out


def ao_del_key(conn, family, peer, sndid, rcvid):
    prefix = 32 if family == socket.AF_INET else 128
    conn.setsockopt(socket.IPPROTO_TCP, TCP_AO_DEL_KEY,
                    sockaddr(family, peer) +
                    struct.pack('=iIHBBBBBB', 0, 0, 0, prefix, sndid, rcvid, 0, 0, 0))


def rollover(args, case, conn, is_client, family, peer, ctx):
    """Data flows with key 1; midway the driving side asks for key 2 through
    RNextKeyID; the other side must move its sending and its RNextKeyID to
    key 2. At the end both send and receive with key 2."""
    k1, k2 = my_ids(case, args.kernel), my_ids(case, args.kernel, 'ids2')
    driving = case['driver_is_ours'] == (args.kernel == 'ours')
    asked = []
    state = {}

    def status():
        if args.abi == 'ours':
            flags, send, send_rnext, recv, recv_rnext = ours_authopt(conn)
            state['now'] = (f'send_keyid {send} send_rnextkeyid {send_rnext} '
                            f'recv_keyid {recv} recv_rnextkeyid {recv_rnext}')
            return send == k2[0] and recv == k2[1]
        _, current, rnext = ao_info(conn)
        state['now'] = f'current_key {current} rnext {rnext}'
        return current == k2[0] and rnext == k2[1]

    def hook(sent, received):
        if driving and not asked and sent >= case['size'] // 2:
            asked.append((sent, received))
            if args.abi == 'ours':
                conn.setsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT,
                                struct.pack('=IBBBB', FLAG_LOCK_RNEXTKEYID, 0, k2[1], 0, 0))
            else:
                ao_set_rnext(conn, k2[1])
        follow(sent, received)

    def follow(sent, received):
        if args.abi == 'upstream' and not driving:
            # upstream moves its current key when the peer asks, but keeps
            # announcing key 1: follow with RNextKeyID too.
            _, current, rnext = ao_info(conn)
            if current == k2[0] and rnext != k2[1]:
                ao_set_rnext(conn, k2[1])
                asked.append((sent, received))
        if 'done' not in state and status():
            state['done'] = (sent, received)

    def before_close():
        deadline = time.monotonic() + 10
        while 'done' not in state and time.monotonic() < deadline:
            follow('end', 'end')
            time.sleep(0.02)
        if 'done' not in state:
            return f'no rollover to key {k2}: {state.get("now")} (asked at {asked})'
        if args.abi == 'ours':
            # The recipe: clear LOCK_RNEXTKEYID once done.
            conn.setsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT, bytes(8))
            if not status():
                return f'after clearing the lock: {state["now"]}'
            return auth_problem(args, conn, k2, ctx)
        keys = ao_keys(conn)
        good2 = keys.get(tuple(k2), (0, 0))[0]
        if not good2:
            return f'no segment verified with key 2: {keys}'
        ao_del_key(conn, family, peer, *k1)
        left = ao_keys(conn)
        if tuple(k1) in left or not status():
            return f'key 1 still there after DEL: {left}, {state["now"]}'
        state['keys'] = keys
        return auth_problem(args, conn, k2, ctx)

    ok, detail = exchange(conn, case, is_client, hook, before_close)
    where = state.get('done', ('-', '-'))
    detail += f'; on key 2 at sent/received {where[0]}/{where[1]}: {state.get("now")}'
    if 'keys' in state:
        detail += f'; (sndid, rcvid): (pkt_good, pkt_bad) before DEL {state["keys"]}'
    return ok, detail


# ---------------------------------------------------------------------------
# Signed reset


def reset(args, case, conn, is_client, ctx):
    """Some data both ways, then the resetting side closes with SO_LINGER
    {1, 0} (a signed RST); the other side must see the connection reset."""
    resetting = case['rst_by_ours'] == (args.kernel == 'ours')
    size = case['size']
    progress = {}
    sent, received, check = pump(conn, case, is_client, progress=progress)
    conn.setblocking(True)
    if not (sent == received == size and check.bad is None):
        return False, (f'sent {sent} received {received} ({check.summary()})'
                       f'{" (reset in " + progress["step"] + ")" if "reset" in progress else ""}')
    # Read before the reset: afterwards the connection is gone.
    problem = auth_problem(args, conn, my_ids(case, args.kernel), ctx)
    if problem:
        return False, problem
    if 'reset' in progress:
        # The reset may come as soon as our last data went out.
        state = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
        return (not resetting and state == TCP_CLOSE,
                f'connection reset right after the data, tcpi_state {state}')
    if resetting:
        if not wait_acked(conn, 15):
            return False, 'our data never acknowledged'
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        return True, 'sent RST'
    conn.settimeout(15)
    try:
        data = conn.recv(1)
    except ConnectionResetError:
        state = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
        return state == TCP_CLOSE, f'connection reset, tcpi_state {state}'
    except (socket.timeout, TimeoutError):
        return False, 'no reset within 15 s'
    return False, f'recv gave {data!r} instead of a reset'


# ---------------------------------------------------------------------------
# Wrong key


def run_wrongkey(args, num, case, port, ctx):
    """upstream uses another key byte: no connection. The client tells how
    many SYNs it sent; the server must count exactly these as bad (the
    counter check is in main()), upstream also on its listening socket."""
    family, me, peer, is_client = endpoints(args, case)
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    add_keys(sock, args, family, case, peer)
    try:
        if is_client:
            with meet(args, case, num, False) as sync:
                sock.settimeout(4)
                syns = 0
                try:
                    sock.connect((peer, port))
                    result = (False, 'connected with a wrong key')
                except (socket.timeout, TimeoutError):
                    # Closing a SYN_SENT socket sends nothing: no SYN
                    # goes out after this count.
                    syns = 1 + total_retrans(sock)
                    sock.close()
                    result = (True, f'connect timed out after {syns} SYNs')
                except OSError as err:
                    result = (False, f'connect: {type(err).__name__}: {err}')
                sync.sendall(b'D %d\n' % syns)
                sync.settimeout(15)
                got = sync.recv(1)
                if got != b'D':
                    return False, f'{result[1]}; the server answered {got!r}'
                return result
        sock.bind((me, port))
        sock.listen(1)
        with meet(args, case, num, True) as sync:
            r, _, _ = select.select([sock, sync], [], [], 30)
            if sock in r:
                conn, _ = sock.accept()
                conn.close()
                return False, 'accepted a connection with a wrong key'
            if sync not in r:
                return False, 'the client never said it was done'
            line = sync.makefile('rb').readline().split()
            if len(line) != 2 or line[0] != b'D' or not int(line[1]):
                return False, f'the client said {line}'
            syns = ctx['peer_syns'] = int(line[1])
            # Its last SYN may still be on the way: wait until it is counted
            # (TcpExt is the kernel's: ours counts it under both names).
            bad = 'TCPAOBad'
            deadline = time.monotonic() + 5
            while (tcpext().get(bad, 0) - ctx['before'].get(bad, 0) < syns and
                   time.monotonic() < deadline):
                time.sleep(0.02)
            detail = f'nothing accepted, the client sent {syns} SYNs'
            problem = None
            if args.abi == 'upstream':
                # The listener's own counters: upstream's ABI has them, on
                # either kernel.
                info = ao_counters(sock)
                detail += f'; listener pkt_bad {info["pkt_bad"]}'
                problem = listener_problem(info, syns)
            sync.sendall(b'D')
            return not problem, detail + (f'; {problem}' if problem else '')
    finally:
        sock.close()
        if args.abi == 'ours':
            ours_del_keys(case, is_client, family, peer)


def listener_problem(info, syns):
    """info: ao_counters() of the listener that got syns SYNs with a wrong
    MAC: each must be pkt_bad, nothing else may have moved."""
    want = dict(pkt_good=0, pkt_bad=syns, pkt_key_not_found=0, pkt_ao_required=0,
                pkt_dropped_icmp=0)
    wrong = [f'{n} {info[n]}, want {v}' for n, v in want.items() if info[n] != v]
    return ('listener ' + ', '.join(wrong)) if wrong else None


# ---------------------------------------------------------------------------
# Sequence number wrap: a connection built in repair mode on both machines


def ao_repair_state(abi, conn):
    """(src_isn, dst_isn, snd_sne, rcv_sne) read in repair mode."""
    if abi == 'ours':
        return struct.unpack('=6I', conn.getsockopt(socket.IPPROTO_TCP,
                                                    TCP_REPAIR_AUTHOPT, 24))[:4]
    raw = conn.getsockopt(socket.IPPROTO_TCP, TCP_AO_REPAIR, 16)
    return struct.unpack('>II', raw[:8]) + struct.unpack('=II', raw[8:])


def run_wrap(args, num, case, port, ctx):
    """Both sides build the connection in repair mode from agreed sequence
    numbers just below 2^32 and agreed TCP-AO state (ISN = first seq - 1,
    SNEs 0), then move 4 MiB each way across the wrap."""
    family, me, peer, is_a = endpoints(args, case)
    seq_me, seq_peer = WRAP_SEQ if is_a else WRAP_SEQ[::-1]
    port_me, port_peer = (port, PORT_B + num) if is_a else (PORT_B + num, port)
    tcp = socket.IPPROTO_TCP
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        add_keys(sock, args, family, case, peer)
        sock.setsockopt(tcp, TCP_MAXSEG, REPAIR_MSS)
        sock.setsockopt(tcp, TCP_REPAIR, TCP_REPAIR_ON)
        sock.bind((me, port_me))
        sock.setsockopt(tcp, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)
        sock.setsockopt(tcp, TCP_QUEUE_SEQ, struct.pack('=I', seq_me))
        sock.setsockopt(tcp, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE)
        sock.setsockopt(tcp, TCP_QUEUE_SEQ, struct.pack('=I', seq_peer))
        sock.connect((peer, port_peer))
        # No window scaling (both 0), no timestamps; SACK.
        sock.setsockopt(tcp, TCP_REPAIR_OPTIONS,
                        struct.pack('=6I', OPT_MSS, REPAIR_MSS, OPT_WINDOW, 0,
                                    OPT_SACK_PERM, 0))
        sock.setsockopt(tcp, TCP_REPAIR_WINDOW,
                        struct.pack('=5I', seq_peer, REPAIR_WINDOW, REPAIR_WINDOW,
                                    REPAIR_WINDOW, seq_peer))
        isns = ((seq_me - 1) & 0xffffffff, (seq_peer - 1) & 0xffffffff)
        if args.abi == 'ours':
            sock.setsockopt(tcp, TCP_REPAIR_AUTHOPT,
                            struct.pack('=6I', *isns, 0, 0, seq_me, seq_peer))
        else:
            sock.setsockopt(tcp, TCP_AO_REPAIR,
                            struct.pack('>II', *isns) + struct.pack('=II', 0, 0))
        got = ao_repair_state(args.abi, sock)
        if got != isns + (0, 0):
            return False, f'TCP-AO repair state reads back as {got}'
        sock.setsockopt(tcp, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP)
        # Both sockets exist before the first segment goes out.
        with meet(args, case, num, is_a) as sync:
            meet_step(sync, b'R')
        state = {}

        def before_close():
            info = sock.getsockopt(tcp, socket.TCP_INFO, 104)
            mss, rtt, cwnd, retrans = (struct.unpack_from('=I', info, off)[0]
                                       for off in (16, 68, 80, 100))
            state['info'] = f'mss {mss} rtt {rtt} us cwnd {cwnd} retransmitted {retrans}'
            if not wait_acked(sock, 15):
                return 'data never acknowledged'
            sock.setsockopt(tcp, TCP_REPAIR, TCP_REPAIR_ON)
            try:
                state['ao'] = ao_repair_state(args.abi, sock)
            finally:
                sock.setsockopt(tcp, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP)
            if state['ao'] != isns + (1, 1):
                return f'TCP-AO state (isns, snd_sne, rcv_sne) {state["ao"]}, want SNEs 1'
            return auth_problem(args, sock, my_ids(case, args.kernel), ctx)

        ok, detail = exchange(sock, case, is_a, before_close=before_close)
        return ok, detail + f'; AO state {state.get("ao")}; {state.get("info")}'
    finally:
        sock.close()
        if args.abi == 'ours':
            ours_del_keys(case, is_a, family, peer)


# ---------------------------------------------------------------------------


def cases(size, uabi=False):
    """The matrix; uabi: both machines use upstream's ABI, which has more
    algorithms and MAC lengths: their cases come last, after the common ones."""
    out = []
    for alg, family, keylen, client_is_ours, exclude in itertools.product(
            (1, 2), (4, 6), (1, 16, 80), (True, False), (False, True)):
        if exclude and keylen != 16:
            continue  # options excluded: one key length is enough
        out.append({
            'alg': alg, 'family': family, 'client_is_ours': client_is_ours,
            'exclude': exclude, 'size': size, 'kind': 'xfer', 'maclen': 12,
            'key': bytes((i * 13 + keylen) & 0xff for i in range(keylen)),
            # send_id != recv_id, and other ids in each case:
            # A (the client) sends with n, B (the server) with n + 1.
            'a_ids': (2 * len(out) + 7, 2 * len(out) + 8),
            'b_ids': (2 * len(out) + 8, 2 * len(out) + 7),
            'name': (f'{ALGS[alg][0]} ipv{family} mkt{keylen} '
                     f'{"ours->upstream" if client_is_ours else "upstream->ours"}'
                     f'{" exclude-options" if exclude else ""}'),
        })

    def add(kind, alg, family, client_is_ours, what, size, **extra):
        n = len(out)
        case = {
            'alg': alg, 'family': family, 'client_is_ours': client_is_ours,
            'exclude': False, 'size': size, 'kind': kind, 'maclen': 12,
            'key': bytes((i * 29 + n) & 0xff for i in range(16)),
            'a_ids': (2 * n + 7, 2 * n + 8), 'b_ids': (2 * n + 8, 2 * n + 7),
            'name': (f'{ALGS[alg][0]} ipv{family} '
                     f'{"ours->upstream" if client_is_ours else "upstream->ours"} {what}'),
        }
        case.update(extra)
        out.append(case)

    # Large transfers.
    add('xfer', 1, 4, True, '256MiB', 256 << 20)
    add('xfer', 2, 6, False, '256MiB', 256 << 20)
    # Rollover from key 1 to key 2 (ids + 100) while data flows.
    for alg, family, client_is_ours, driver_is_ours in (
            (1, 4, True, True), (2, 6, False, False), (2, 4, True, False), (1, 6, False, True)):
        n = len(out)
        add('rollover', alg, family, client_is_ours,
            f'rollover asked by {"ours" if driver_is_ours else "upstream"}', 4 << 20,
            driver_is_ours=driver_is_ours,
            a_ids2=(2 * n + 107, 2 * n + 108), b_ids2=(2 * n + 108, 2 * n + 107))
    # Sequence number wrap: "client" here is side A.
    add('wrap', 1, 4, True, 'seq wrap (repair, A=ours)', 4 << 20)
    add('wrap', 2, 6, False, 'seq wrap (repair, A=upstream)', 4 << 20)
    # A signed RST closes the connection.
    add('rst', 1, 4, True, 'RST by upstream', 1 << 20, rst_by_ours=False)
    add('rst', 2, 6, False, 'RST by ours', 1 << 20, rst_by_ours=True)
    add('rst', 2, 4, False, 'RST by upstream', 1 << 20, rst_by_ours=False)
    add('rst', 1, 6, True, 'RST by ours', 1 << 20, rst_by_ours=True)
    # Wrong key on the upstream side: no connection, the server counts it.
    add('wrongkey', 1, 4, False, 'wrong key: no connection', 0, wrong_key=True)
    add('wrongkey', 2, 6, True, 'wrong key: no connection', 0, wrong_key=True)
    # HMAC-SHA-2 (BIRD offers hmac(sha256)): each both ways, both families.
    for alg in SHA2_ALGS if uabi else ():
        for family, client_is_ours in ((4, True), (6, False)):
            add('xfer', alg, family, client_is_ours, 'mkt16', 4 << 20)
    # Other MAC lengths and the crypto API's other hashes.
    for alg, maclen, family, client_is_ours in UABI_MACLEN_CASES if uabi else ():
        add('xfer', alg, family, client_is_ours, f'mac{maclen}', 4 << 20, maclen=maclen)
    return out


def unsupported(kernel, abi, case):
    """Why a machine with this kernel and ABI cannot take part in the case,
    or None."""
    if abi == 'ours' and (case['alg'] in UABI_ALGS or case['maclen'] != 12):
        return 'upstream\'s ABI only (RFC 5926: two algorithms, 96-bit MACs)'
    return None


def other_side(args):
    """(kernel, ABI) of the other machine: the other kernel, --other-abi."""
    return ('upstream' if args.kernel == 'ours' else 'ours'), args.other_abi


def skip_reason(args, case):
    """Why both machines skip the case, or None. Each decides alone, from
    the same facts, so that neither waits for the other in a case the
    other skips."""
    for kernel, abi in ((args.kernel, args.abi), other_side(args)):
        why = unsupported(kernel, abi, case)
        if why:
            return why
    if args.max_size is not None and case['size'] > args.max_size:
        return f'run time: {case["size"] >> 20} MiB each way, over --max-size {args.max_size}'
    return None


def tcpext():
    """TcpExt counters, and Tcp OutRsts (only reported) as 'Tcp.OutRsts'."""
    out = {}
    for path in ('/proc/net/netstat', '/proc/net/snmp'):
        with open(path) as f:
            lines = f.read().splitlines()
        for names, values in zip(lines[::2], lines[1::2]):
            if names.startswith('TcpExt:'):
                out.update(zip(names.split()[1:], map(int, values.split()[1:])))
            elif names.startswith('Tcp:'):
                out['Tcp.OutRsts'] = int(values.split()[names.split().index('OutRsts')])
    return out


def counter_rules(kernel, case, is_client, ctx):
    """{counter: (least, most)} that may move in this case on this side;
    every other tracked counter must stay still. TcpExt counts what the
    kernel does, whatever ABI set the socket up: our kernel counts every
    TCP-AO event under both names (tcp_authopt_drop()), with either ABI.
    What follows the ABI is the socket's own counters (TCP_AO_INFO,
    TCP_AO_GET_KEYS: upstream_auth_problem(), listener_problem())."""
    inf = float('inf')
    if case['kind'] == 'wrongkey':
        if is_client:
            return {}
        # Exactly the SYNs the client says it sent, each a MAC mismatch.
        n = ctx.get('peer_syns')
        span = (n, n) if n else (1, inf)
        if kernel == 'ours':
            return {'TCPAuthOptFailure': span, 'TCPAuthOptBadMAC': span, 'TCPAOBad': span}
        return {'TCPAOBad': span}
    # Both kernels count verified segments in TCPAOGood (ours also counts
    # each drop under upstream's name beside its own).
    rules = {'TCPAOGood': (1, inf)}
    # A client whose SYN came before the listener: from ours, an unsigned
    # RST that the client drops, then its SYN again (see run_case()).
    retrans = ctx.get('syn_retrans', 0)
    if is_client and retrans:
        if kernel == 'ours':
            rules.update(TCPAuthOptFailure=(0, retrans), TCPAuthOptRequired=(0, retrans))
        rules['TCPAORequired'] = (0, retrans)
    return rules


def counter_problems(kernel, rules, delta):
    """What moved against the rules; delta holds every tracked counter.
    On our kernel each event counts under our name and upstream's alike:
    ranges alone would let one of the two miss or add a count."""
    problems = []
    for name in sorted(set(delta) | set(rules)):
        if name not in delta:
            problems.append(f'{name} missing')
            continue
        least, most = rules.get(name, (0, 0))
        if not least <= delta[name] <= most:
            problems.append(f'{name} +{delta[name]} (may move {span_text(least, most)})')
    if kernel == 'ours' and 'TCPAuthOptFailure' in delta:
        reasons = sum(delta.get(name, 0) for name in OURS_REASONS)
        if reasons != delta['TCPAuthOptFailure']:
            problems.append(f'TCPAuthOptFailure +{delta["TCPAuthOptFailure"]} but the '
                            f'reasons add up to {reasons}')
    if kernel == 'ours':
        for ours, upstream in SAME_EVENT:
            mine = sum(delta.get(name, 0) for name in ours)
            if mine != delta.get(upstream, 0):
                problems.append(f'{"+".join(ours)} +{mine} but {upstream} '
                                f'+{delta.get(upstream, 0)}')
    return problems


def case_counters(args, case, ctx, delta, skip):
    """(rules, problems) of one case on this machine: the rules of its
    kernel and of its side of the case (client or server, by kernel)."""
    # Nothing ran in a skipped case: nothing may move.
    rules = {} if skip else counter_rules(args.kernel, case, endpoints(args, case)[3], ctx)
    return rules, counter_problems(args.kernel, rules, delta)


def span_text(least, most):
    if most == float('inf'):
        return f'{least}..'
    return f'{least}' if least == most else f'{least}..{most}'


def rules_text(rules):
    return ' '.join(f'{n} {span_text(*r)}' for n, r in sorted(rules.items())) or 'none'


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def tracked(counters):
    return sorted(n for n in counters if n.startswith(COUNTER_PREFIXES))


# ---------------------------------------------------------------------------
# The checkers checked, on any host (--selftest): each must reject what it
# exists to reject.


def feed_all(check, chunks):
    for chunk in chunks:
        check.feed(chunk)
    return check


def selftest_uabi(expect, names_ours, names_up):
    """Our kernel with upstream's ABI (interop.sh's second pair): the side
    follows the kernel, the socket calls the ABI, TcpExt the kernel (both
    names, each event once under each), and both machines skip alike."""
    matrix = [dict(c, num=n) for n, c in enumerate(cases(1 << 20), 1)]
    addrs = dict(self4='198.51.100.1', self6='2001:db8::1', peer4='198.51.100.2',
                 peer6='2001:db8::2', max_size=None)
    uabi = argparse.Namespace(kernel='ours', abi='upstream', other_abi='upstream', **addrs)
    ours = argparse.Namespace(kernel='ours', abi='ours', other_abi='upstream', **addrs)
    peer = argparse.Namespace(kernel='upstream', abi='upstream', other_abi='upstream', **addrs)
    peer_o = argparse.Namespace(kernel='upstream', abi='upstream', other_abi='ours', **addrs)

    expect('uabi: our kernel keeps its side (client or A) in every case',
           [endpoints(uabi, c)[3] for c in matrix], [endpoints(ours, c)[3] for c in matrix])
    expect('uabi: the upstream peer takes the other side in every case',
           [endpoints(peer, c)[3] for c in matrix], [not endpoints(uabi, c)[3] for c in matrix])
    expect("uabi: our side's KeyIDs, the peer's mirrored",
           [(my_ids(c, uabi.kernel), my_ids(c, peer.kernel)[::-1]) for c in matrix],
           [(my_ids(c, 'ours'), my_ids(c, 'ours')) for c in matrix])
    wrong = next(c for c in matrix if c['kind'] == 'wrongkey' and not c['client_is_ours'])
    xfer = matrix[0]
    expect('uabi: the wrong key stays on the upstream side',
           (case_key(wrong, uabi.kernel) == wrong['key'],
            case_key(wrong, peer.kernel) == wrong['key'],
            case_key(xfer, uabi.kernel) == case_key(xfer, peer.kernel)), (True, False, True))

    skipped = {c['num']: skip_reason(uabi, c) for c in matrix if skip_reason(uabi, c)}
    expect('uabi: nothing skipped, the seq wrap cases (TCP_AO_REPAIR) included',
           sorted(skipped), [])
    expect('uabi: the peer skips the same cases, for the same reasons',
           {c['num']: skip_reason(peer, c) for c in matrix if skip_reason(peer, c)}, skipped)
    expect('our ABI run: nothing skipped on either side',
           [c['num'] for c in matrix if skip_reason(ours, c) or skip_reason(peer_o, c)], [])
    big = dict(xfer, size=256 << 20)
    expect('--max-size skips a larger case on both sides',
           all(skip_reason(argparse.Namespace(**dict(vars(a), max_size=64 << 20)), big)
               for a in (uabi, peer)), True)
    only = cases(1 << 20, uabi=True)[len(matrix):]
    expect('upstream-ABI-only cases only when both use it, after the others',
           (len(only), [c for c in cases(1 << 20)
                        if c['alg'] in UABI_ALGS or c['maclen'] != 12],
            cases(1 << 20, uabi=True)[:len(matrix)] == cases(1 << 20)), (15, [], True))
    expect('they are HMAC-SHA-2 (8), then MAC lengths and other hashes (7)',
           ([c['alg'] for c in only[:8]], [c['maclen'] for c in only[8:]]),
           ([3, 3, 4, 4, 5, 5, 6, 6], [1, 16, 16, 4, 16, 12, 8]))
    expect('uabi: they run on both sides, never under our ABI',
           ([bool(skip_reason(a, c)) for c in only for a in (uabi, peer)],
            all(skip_reason(ours, c) for c in only)), ([False] * 30, True))

    def moved(args, case, ctx, skip=None, **delta):
        base = dict(names_up if args.kernel == 'upstream' else names_ours)
        base.update(delta)
        return bool(case_counters(args, case, ctx, base, skip)[1])

    server = next(c for c in matrix if c['kind'] == 'xfer' and not c['client_is_ours'])
    client = next(c for c in matrix if c['kind'] == 'xfer' and c['client_is_ours'])
    expect('uabi server, Good+9', moved(uabi, server, {}, TCPAOGood=9), False)
    expect('uabi server, nothing verified', moved(uabi, server, {}), True)
    expect('uabi server, unexpected TCP-AO under both names',
           moved(uabi, server, {}, TCPAOGood=9, TCPAuthOptFailure=1, TCPAuthOptUnexpected=1,
                 TCPAOKeyNotFound=1), True)
    expect('uabi client, 1 SYN retransmitted, Required+1 under both names',
           moved(uabi, client, {'syn_retrans': 1}, TCPAOGood=9, TCPAuthOptFailure=1,
                 TCPAuthOptRequired=1, TCPAORequired=1), False)
    expect("uabi client, 1 SYN retransmitted, Required+1 under upstream's name only",
           moved(uabi, client, {'syn_retrans': 1}, TCPAOGood=9, TCPAORequired=1), True)
    expect('uabi client, 1 SYN retransmitted, Required+1 under our names only',
           moved(uabi, client, {'syn_retrans': 1}, TCPAOGood=9, TCPAuthOptFailure=1,
                 TCPAuthOptRequired=1), True)
    expect('uabi client role follows the kernel: Required+1 as the server',
           moved(uabi, server, {'syn_retrans': 1}, TCPAOGood=9, TCPAuthOptFailure=1,
                 TCPAuthOptRequired=1, TCPAORequired=1), True)
    syns = {'peer_syns': 3}
    expect('uabi wrong key server, 3 SYNs, 3 under both names',
           moved(uabi, wrong, syns, TCPAuthOptFailure=3, TCPAuthOptBadMAC=3, TCPAOBad=3),
           False)
    expect("uabi wrong key server, 3 SYNs, only upstream's name",
           moved(uabi, wrong, syns, TCPAOBad=3), True)
    expect('uabi wrong key server, 3 SYNs, only our names',
           moved(uabi, wrong, syns, TCPAuthOptFailure=3, TCPAuthOptBadMAC=3), True)
    expect('uabi wrong key server, 3 SYNs, Bad+4 beside BadMAC+3',
           moved(uabi, wrong, syns, TCPAuthOptFailure=3, TCPAuthOptBadMAC=3, TCPAOBad=4),
           True)
    expect('uabi wrong key, the peer as client, Bad+1',
           moved(peer, wrong, {}, TCPAOBad=1), True)
    expect('uabi wrong key, the peer as client, nothing', moved(peer, wrong, {}), False)
    expect('uabi skipped case, Good+1', moved(uabi, xfer, {}, skip='x', TCPAOGood=1), True)
    expect('uabi skipped case, nothing', moved(uabi, xfer, {}, skip='x'), False)
    # The events beside each other on our kernel, whatever the ABI.
    expect('ours, DroppedIcmps+1 without IcmpIgnored',
           bool(counter_problems('ours', {'TCPAODroppedIcmps': (0, 1)},
                                 dict(names_ours, TCPAODroppedIcmps=1))), True)

    listener = {'pkt_good': 0, 'pkt_bad': 3, 'pkt_key_not_found': 0, 'pkt_ao_required': 0,
                'pkt_dropped_icmp': 0}
    expect('wrong key listener, pkt_bad 3 for 3 SYNs', listener_problem(listener, 3), None)
    expect('wrong key listener, pkt_bad 2 for 3 SYNs',
           listener_problem(dict(listener, pkt_bad=2), 3) is not None, True)
    expect('wrong key listener, pkt_good 1',
           listener_problem(dict(listener, pkt_good=1), 3) is not None, True)
    expect('wrong key listener, a SYN as key not found',
           listener_problem(dict(listener, pkt_bad=2, pkt_key_not_found=1), 3) is not None, True)


def selftest():
    results = []

    def expect(name, got, want):
        show = (lambda v: f'{len(v)} bytes') if isinstance(got, bytes) else repr
        results.append((got == want, name if got == want else
                        f'{name}: got {show(got)}, want {show(want)}'))

    size = 5 * Stream.BLOCK + 4321
    case = {'num': 3, 'name': 'selftest'}
    data = Stream(stream_key(case, 'client')).chunk(0, size)
    # Uneven pieces, many across block boundaries, as recv() gives them.
    cuts = [0]
    while cuts[-1] < size:
        cuts.append(min(size, cuts[-1] + 1 + (cuts[-1] * 7919 + 12345) % 40000))
    pieces = [data[a:b] for a, b in zip(cuts, cuts[1:])]
    mid = len(pieces) // 2

    def check():
        return StreamCheck(Stream(stream_key(case, 'client')))

    ok = feed_all(check(), pieces)
    expect('in order, uneven pieces: first wrong byte', ok.bad, None)
    expect('in order: digest', ok.sha.digest(), hashlib.sha256(data).digest())
    expect('chunk() across blocks', Stream(stream_key(case, 'client')).chunk(70000, 70000),
           data[70000:140000])
    expect('no two blocks alike', len({data[i:i + Stream.BLOCK]
                                       for i in range(0, 5 * Stream.BLOCK, Stream.BLOCK)}), 5)
    dup = pieces[:mid + 1] + [pieces[mid]] + pieces[mid + 1:-1]
    expect('a piece twice: wrong from', feed_all(check(), dup).bad, cuts[mid + 1])
    swapped = pieces[:mid] + [pieces[mid + 1], pieces[mid]] + pieces[mid + 2:]
    expect('two pieces swapped: wrong from', feed_all(check(), swapped).bad, cuts[mid])
    expect('a piece lost', feed_all(check(), pieces[:mid] + pieces[mid + 1:]).bad, cuts[mid])
    # The old stream repeated every 64 KiB: a block that comes again.
    again = data[:Stream.BLOCK] + data[:Stream.BLOCK] + data[2 * Stream.BLOCK:]
    expect('block 0 again in place of block 1: wrong from',
           feed_all(check(), [again]).bad, Stream.BLOCK)
    other_dir = Stream(stream_key(case, 'server')).chunk(0, size)
    expect('the other direction', feed_all(check(), [other_dir]).bad is not None, True)
    other_case = Stream(stream_key(dict(case, num=4), 'client')).chunk(0, size)
    expect('another case', feed_all(check(), [other_case]).bad is not None, True)
    flipped = bytearray(data)
    flipped[size - 1] ^= 1
    expect('last byte changed: wrong from', feed_all(check(), [bytes(flipped)]).bad, size - 1)

    # Counters: what may move, per case and side.
    xfer, wrong = {'kind': 'xfer'}, {'kind': 'wrongkey'}
    names_up = dict.fromkeys(COUNTERS['upstream'], 0)
    names_ours = dict.fromkeys(COUNTERS['ours'] + COUNTERS['upstream'], 0)

    def problems(kernel, case, is_client, ctx, **moved):
        base = dict(names_up if kernel == 'upstream' else names_ours)
        base.update(moved)
        return bool(counter_problems(kernel, counter_rules(kernel, case, is_client, ctx), base))

    expect('upstream server, Good+9', problems('upstream', xfer, False, {}, TCPAOGood=9), False)
    expect('upstream server, nothing verified', problems('upstream', xfer, False, {}), True)
    expect('upstream server, Bad+1',
           problems('upstream', xfer, False, {}, TCPAOGood=9, TCPAOBad=1), True)
    expect('upstream server, Required+1',
           problems('upstream', xfer, False, {}, TCPAOGood=9, TCPAORequired=1), True)
    expect('upstream client, 1 SYN retransmitted, Required+1',
           problems('upstream', xfer, True, {'syn_retrans': 1}, TCPAOGood=9,
                    TCPAORequired=1), False)
    expect('upstream client, 1 SYN retransmitted, Required+2',
           problems('upstream', xfer, True, {'syn_retrans': 1}, TCPAOGood=9,
                    TCPAORequired=2), True)
    expect('upstream client, Required+1 without a SYN retransmitted',
           problems('upstream', xfer, True, {'syn_retrans': 0}, TCPAOGood=9,
                    TCPAORequired=1), True)
    expect('upstream client, DroppedIcmps+1',
           problems('upstream', xfer, True, {}, TCPAOGood=9, TCPAODroppedIcmps=1), True)
    expect('a counter missing',
           bool(counter_problems('upstream', {'TCPAOGood': (1, 9)}, {})), True)
    expect('ours server, Good+9', problems('ours', xfer, False, {}, TCPAOGood=9), False)
    expect('ours, nothing verified', problems('ours', xfer, False, {}), True)
    expect('ours, BadMAC+1 outside the wrong-key cases',
           problems('ours', xfer, True, {}, TCPAOGood=9, TCPAuthOptFailure=1,
                    TCPAuthOptBadMAC=1, TCPAOBad=1), True)
    expect('ours client, 1 SYN retransmitted, Required+1 under both names',
           problems('ours', xfer, True, {'syn_retrans': 1}, TCPAOGood=9, TCPAuthOptFailure=1,
                    TCPAuthOptRequired=1, TCPAORequired=1), False)
    expect('ours wrong key server, 3 SYNs, 3 counted',
           problems('ours', wrong, False, {'peer_syns': 3}, TCPAuthOptFailure=3,
                    TCPAuthOptBadMAC=3, TCPAOBad=3), False)
    expect('ours wrong key server, 3 SYNs, 3 counted, upstream name missed',
           problems('ours', wrong, False, {'peer_syns': 3}, TCPAuthOptFailure=3,
                    TCPAuthOptBadMAC=3), True)
    expect('ours wrong key server, 3 SYNs, 2 counted',
           problems('ours', wrong, False, {'peer_syns': 3}, TCPAuthOptFailure=2,
                    TCPAuthOptBadMAC=2, TCPAOBad=2), True)
    expect('ours wrong key server, a SYN counted as key not found',
           problems('ours', wrong, False, {'peer_syns': 3}, TCPAuthOptFailure=3,
                    TCPAuthOptBadMAC=2, TCPAuthOptKeyNotFound=1, TCPAOBad=2,
                    TCPAOKeyNotFound=1), True)
    expect('ours wrong key client, Failure+1',
           problems('ours', wrong, True, {}, TCPAuthOptFailure=1, TCPAuthOptBadMAC=1), True)
    expect('ours, Failure+1 with no reason',
           problems('ours', wrong, False, {'peer_syns': 1}, TCPAuthOptFailure=1), True)
    expect('upstream wrong key server, 3 SYNs, Bad+3',
           problems('upstream', wrong, False, {'peer_syns': 3}, TCPAOBad=3), False)
    expect('upstream wrong key server, 3 SYNs, Bad+4',
           problems('upstream', wrong, False, {'peer_syns': 3}, TCPAOBad=4), True)
    selftest_uabi(expect, names_ours, names_up)

    # Authenticated, as each kernel reports it.
    ids = (7, 8)
    expect('ours ACTIVE, right KeyIDs', ours_auth_problem((FLAG_ACTIVE, 7, 8, 8, 7), ids), None)
    expect('ours not ACTIVE', ours_auth_problem((0, 7, 8, 8, 7), ids) is not None, True)
    expect('ours receives KeyID 9', ours_auth_problem((FLAG_ACTIVE, 7, 8, 9, 7), ids)
           is not None, True)
    good = {'pkt_good': 50, 'pkt_bad': 0, 'pkt_key_not_found': 0, 'pkt_ao_required': 0,
            'pkt_dropped_icmp': 0, 'current_key': 7, 'rnext': 8}

    def up(keys=None, required_ok=0, **change):
        return upstream_auth_problem(dict(good, **change), {ids: (50, 0)} if keys is None
                                     else keys, ids, required_ok) is not None

    expect('upstream verified with the key', up(), False)
    expect('upstream pkt_good 0', up(pkt_good=0), True)
    expect('upstream pkt_bad 1', up(pkt_bad=1), True)
    expect('upstream current_key 9', up(current_key=9), True)
    expect('upstream nothing verified with the case key', up(keys={ids: (0, 0)}), True)
    expect('upstream pkt_ao_required 1, no SYN retransmitted', up(pkt_ao_required=1), True)
    expect('upstream pkt_ao_required 1, 1 SYN retransmitted',
           up(pkt_ao_required=1, required_ok=1), False)

    print('TAP version 13')
    print(f'1..{len(results)}')
    for num, (ok, text) in enumerate(results, 1):
        print(f'{"ok" if ok else "not ok"} {num} {text}')
    return 0 if all(ok for ok, _ in results) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--abi', choices=('ours', 'upstream'),
                        help='the socket options this side uses')
    parser.add_argument('--kernel', choices=('ours', 'upstream'),
                        help='the kernel of this machine, which says its side of every '
                        'case (default: that of --abi)')
    parser.add_argument('--other-abi', choices=('ours', 'upstream'),
                        help="the other machine's ABI (default: that of its kernel), "
                        'to skip the cases it cannot take part in')
    parser.add_argument('--max-size', type=int,
                        help='skip cases that move more bytes each way (run time)')
    parser.add_argument('--self4')
    parser.add_argument('--self6')
    parser.add_argument('--peer4')
    parser.add_argument('--peer6')
    parser.add_argument('--size', type=int, default=4 << 20, help='bytes each way')
    parser.add_argument('--only', help='comma separated case numbers to run')
    parser.add_argument('--rounds', type=int, default=1, help='run the matrix this often')
    parser.add_argument('--flip-key', action='store_true',
                        help='change one byte of every key on this side (cases must fail)')
    parser.add_argument('--selftest', action='store_true',
                        help='only check the checkers, without a network (on any host)')
    args = parser.parse_args()
    if args.selftest:
        return selftest()
    if not (args.abi and args.self4 and args.self6 and args.peer4 and args.peer6):
        parser.error('--abi, --self4, --self6, --peer4 and --peer6 are required')
    args.kernel = args.kernel or args.abi
    if args.other_abi is None:
        args.other_abi = other_side(args)[0]
    if ('upstream', 'ours') in ((args.kernel, args.abi), other_side(args)):
        parser.error('the upstream kernel has only its own ABI')
    if args.abi == 'ours':
        with open('/proc/sys/net/ipv4/tcp_authopt', 'w') as f:
            f.write('1')
    # Our kernel counts under both names whatever the ABI (counter_rules()).
    names = COUNTERS['ours'] + COUNTERS['upstream'] if args.kernel == 'ours' else \
        COUNTERS['upstream']
    missing = [n for n in names if n not in tcpext()]
    if missing:
        print(f'Bail out! this kernel has no counter {", ".join(missing)}')
        return 1
    matrix = cases(args.size, uabi=args.abi == 'upstream' and args.other_abi == 'upstream')
    if args.flip_key:
        for case in matrix:
            case['key'] = bytes([case['key'][0] ^ 1]) + case['key'][1:]
    only = {int(n) for n in args.only.split(',')} if args.only else None
    runs = [(r, num, case) for r in range(args.rounds)
            for num, case in enumerate(matrix, 1) if not only or num in only]
    print('TAP version 13')
    print(f'1..{len(runs)}')
    print(f'# this machine: kernel {args.kernel}, ABI {args.abi}; the other: kernel '
          f'{other_side(args)[0]}, ABI {other_side(args)[1]}')
    if args.kernel == 'ours' and args.abi == 'upstream':
        # Upstream's options must work without our switch: left as booted.
        with open('/proc/sys/net/ipv4/tcp_authopt') as f:
            print(f'# net.ipv4.tcp_authopt = {f.read().strip()} (not set: upstream\'s ABI '
                  f'needs no switch)')
    try:
        start_together(args)
    except (OSError, CaseError) as err:
        print(f'# the other machine never came to the start: {type(err).__name__}: {err}')
    failed = 0
    counted = {}
    gone = []
    for num, (_, _, case) in enumerate(runs, 1):
        case = dict(case, num=num)
        ctx = {'before': tcpext()}
        start, cpu = time.monotonic(), cpu_seconds()
        skip = skip_reason(args, case)
        if skip:
            ok, detail = True, f'skipped: {skip}'
        else:
            try:
                ok, detail = run_case(args, num, case, BASE_PORT + num, ctx)
            except (OSError, CaseError) as err:
                ok, detail = False, f'{type(err).__name__}: {err}'
            peer_gone(detail, gone)
        took, cpu = time.monotonic() - start, cpu_seconds() - cpu
        after = tcpext()
        names = tracked(set(after) | set(ctx['before']))
        delta = {n: after.get(n, 0) - ctx['before'].get(n, 0) for n in names}
        for name, moved in delta.items():
            counted[name] = counted.get(name, 0) + moved
        rules, problems = case_counters(args, case, ctx, delta, skip)
        if problems:
            ok, detail = False, f'{detail}; counters: {", ".join(problems)}'
        failed += not ok
        moved = ' '.join(f'{n}+{d}' for n, d in delta.items() if d)
        rsts = after['Tcp.OutRsts'] - ctx['before']['Tcp.OutRsts']
        # A skip is never a pass: the SKIP directive says it ran nothing.
        note = (f' # SKIP {skip}' if skip else '') if ok else ' # ' + detail
        print(f'{"ok" if ok else "not ok"} {num} {case["name"]}{note}', flush=True)
        print(f'#   time {num} {took:.1f} s (this script {cpu:.1f} s CPU); {detail}; auth: {ctx.get("auth", "-")}; '
              f'SYN retransmissions {ctx.get("syn_retrans", "-")}; may move: {rules_text(rules)}; '
              f'moved: {moved or "none"}; OutRsts +{rsts}', flush=True)
    for name, moved in sorted(counted.items()):
        print(f'# counted TcpExt{name} {moved}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
