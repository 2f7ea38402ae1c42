# SPDX-License-Identifier: GPL-2.0
"""In-VM: randomised segments against the TCP-AO receive path.

Topology: namespace b is the victim (listeners, request sockets, TIME-WAIT
sockets, accepted connections); namespace a holds the real clients of the
established connections and the attacker, who writes raw frames out of a's
veth with the clients' addresses or with two fake peers behind a MAC nobody
owns (b's answers to them reach a's veth and are read there): F, for which
b has keys, and G, for which it has none.

A PRNG seeded with TCP_AUTHOPT_FUZZ_SEED (default 5925; printed) draws
TCP_AUTHOPT_FUZZ_COUNT segments (default 100,000: 40-50 s of fuzzing in the
UML VM on the busy 2-core development host, 75 s when findings are
replayed; under 2 minutes for this file, VM boot included; a longer run
takes about as much per 100,000 more): random flags, sequence numbers in
and out of the window, IPv4 or IPv6, option lists with TCP-AO options of
every length 0..40, none, two, one after EOL, beside MD5 or broken options,
random KeyIDs / RNextKeyIDs and MACs. Some segments are signed correctly
with the independent tcp_authopt_algo, some signed then spoiled (one MAC
bit, a header field, the other key, SNE or ISN). For one seed the segments
drawn are the same on every run; only the sequence numbers they are placed
against come from the kernel's ISNs.

Targets: a TCP-AO listener (F, from ports where b has no socket), request
sockets (F's SYNs never completed), established connections (a's clients),
TIME-WAIT sockets (F's connections closed by b), plain and
REJECT_UNEXPECTED listeners (G) and a closed port (F). Requests and
TIME-WAIT sockets are made afresh every ROUND segments, well within the
TIME-WAIT lifetime. Each segment's fate follows the decision table of
net/ipv4/tcp_authopt_input.c: a forged or spoiled segment at a TCP-AO
target is dropped and counted by reason; a signed one passes to TCP, and
is chosen so that TCP keeps every target alive.

Asserted:
- the TcpExt counters move by exactly the expected drops (checked every
  BATCH segments; a batch that does not add up is replayed one segment at
  a time to name the segments that do not);
- b answers exactly as TCP must once TCP-AO passed or dropped a segment
  (RFC 5925 7.5: a dropped one is discarded silently): per kind of target
  and kind of answer, the count of b's segments equals the count expected
  (SYN-ACKs: at least, their retransmission timer adds some); every answer
  is signed with b's key and verifies, or is unsigned where no connection
  exists (RFC 5925 7.7);
- every target is still there after each round, and the established
  connections then carry keyed data both ways.
The VM fails the run on a splat. In b, net.ipv4.tcp_invalid_ratelimit = 0
and tcp_challenge_ack_limit = INT_MAX (every answer is sent) and
tcp_rfc1337 = 1 (a signed RST leaves TIME-WAIT in place).

test_request_signed_bad_ack is the fuzzer's first finding made
deterministic: a correctly signed ACK of data b never sent, at a request
socket, must be answered with a signed RST and not be counted as a drop.

Needs: root, a tcp_authopt kernel, python3-scapy. A kernel without
TCPAuthOptBadMAC (the one before the receive-path redesign, which counted
MAC mismatches in TCPAuthOptFailure only) is read as having
BadMAC = Failure and Failure = the sum of the reasons.
"""

import array
import hashlib
import os
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass

import pytest

from . import tcp_authopt_algo as algo
from .netns_util import (AO_COUNTERS, AO_DROP_REASONS, FLAG_ACTIVE, FLAG_REJECT_UNEXPECTED,
                         Mkt, get_authopt, recv_exact, set_authopt, set_key)
from .packet_util import (ACK, FIN, PSH, RST, SYN, TCPOPT_MD5SIG, Capture, Injector,
                          describe, ip_packet, packed, seq_add, tcp_header)

pytestmark = pytest.mark.kernel

SEED_ENV, COUNT_ENV = "TCP_AUTHOPT_FUZZ_SEED", "TCP_AUTHOPT_FUZZ_COUNT"
DEFAULT_SEED, DEFAULT_COUNT = 5925, 100000
ROUND = 5000  # segments per round: TIME-WAIT lives 60 s, a round takes seconds
BATCH = 250  # segments between two counter checks
MAX_LOCALISE = 8  # batches that do not add up replayed segment by segment
INT_MAX = (1 << 31) - 1
FAMS = (socket.AF_INET, socket.AF_INET6)
PORT_L, PORT_R, PORT_CLOSED = 7400, 7401, 7402
# F's and G's ports: for the listener target (a new one per segment), and
# for targets that keep theirs; apart, so that neither meets the other.
FRESH_PORTS, OWN_PORTS = (10000, 32000), (61000, 65535)
PEER_F = {socket.AF_INET: "198.51.100.3", socket.AF_INET6: "2001:db8::3"}
PEER_G = {socket.AF_INET: "198.51.100.4", socket.AF_INET6: "2001:db8::4"}
NOBODY_MAC = "02:00:5e:00:00:fe"
# The peers' view (F and a's clients send with KeyID 10 or 11); b has the
# mirror images. Key 2 leaves the other options out of the MAC.
KEYS = (Mkt(10, 20, b"fuzz master key one", algo.ALG_HMAC_SHA1),
        Mkt(11, 21, b"fuzz master key, two", algo.ALG_AES_128_CMAC, False))
PEER_KEY = {k.send_id: k for k in KEYS}
B_KEY = {k.recv_id: k.mirror() for k in KEYS}
N_EST, N_REQ, N_TW = 2, 2, 2  # per family (requests and TIME-WAIT: per round)
OOW = 1 << 23  # beyond any receive window of these connections
WEIGHTS = {"est": 34, "req": 20, "tw": 20, "lsn": 16, "plain": 4, "reject": 4, "closed": 2}
P_SIGNED, P_SPOILED = 0.15, 0.15
ETH_P_ALL, SOL_PACKET = 3, 263
PACKET_STATISTICS, PACKET_IGNORE_OUTGOING = 6, 23
SO_RCVBUFFORCE = 33
TCP_ESTABLISHED, TCP_SYN_RECV, TCP_TIME_WAIT = 1, 3, 6
FORGED_FLAGS = (SYN, SYN | ACK, RST, RST | ACK, FIN | ACK, ACK, PSH | ACK, FIN,
                FIN | PSH | ACK, SYN | FIN, None)


# Fast packet building (scapy is too slow for 100,000 segments)

def _csum(data):
    """Internet checksum, in host order words: store it with "=H"."""
    if len(data) & 1:
        data += b"\0"
    s = sum(array.array("H", data))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _tcp(sport, dport, seq, ack, flags, window, opts, payload):
    return (struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (20 + len(opts)) << 2, flags,
                        window, 0, 0) + opts + payload)


def _ip(src, dst, tcp):
    """(IP header, pseudo-header) for a TCP segment; src/dst packed."""
    if len(src) == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                          src, dst)
        hdr = hdr[:10] + struct.pack("=H", _csum(hdr)) + hdr[12:]
        return hdr, src + dst + struct.pack("!xBH", 6, len(tcp))
    return (struct.pack("!IHBB16s16s", 0x60000000, len(tcp), 6, 64, src, dst),
            src + dst + struct.pack("!I3xB", len(tcp), 6))


def _finish(hdr, pseudo, tcp):
    return hdr + tcp[:16] + struct.pack("=H", _csum(pseudo + tcp)) + tcp[18:]


def _recsum(pkt):
    """@pkt with its TCP checksum recomputed."""
    l4 = 20 if pkt[0] >> 4 == 4 else 40
    tcp = pkt[l4:l4 + 16] + b"\0\0" + pkt[l4 + 18:]
    src, dst = (pkt[12:16], pkt[16:20]) if l4 == 20 else (pkt[8:24], pkt[24:40])
    return _finish(pkt[:l4], _ip(src, dst, tcp)[1], tcp)


def keyed_stream(key, size):
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(key + struct.pack("!I", i)).digest()
        i += 1
    return bytes(out[:size])


# Option lists

def _ao(keyid, rnext, mac):
    return bytes([algo.TCPOPT_AUTHOPT, algo.AUTHOPT_LEN, keyid, rnext]) + mac


def _filler(rng, signed):
    """One well-formed option that is neither TCP-AO nor MD5.

    Signed segments reach TCP: no timestamps (PAWS would take a forged
    TSval as the connection's) and no SACK blocks.
    """
    kinds = ["nop", "mss", "ws", "sackok", "exp"]
    if not signed:
        kinds += ["ts", "sack"]
    kind = rng.choice(kinds)
    if kind == "nop":
        return b"\x01"
    if kind == "mss":
        return struct.pack("!BBH", 2, 4, rng.randint(536, 1460))
    if kind == "ws":
        return bytes([3, 3, rng.randint(0, 14)])
    if kind == "sackok":
        return b"\x04\x02"
    if kind == "ts":
        return bytes([8, 10]) + rng.randbytes(8)
    if kind == "sack":
        return bytes([5, 10]) + rng.randbytes(8)
    n = rng.randint(0, 6)
    return bytes([rng.choice((253, 254, 30, 77)), 2 + n]) + rng.randbytes(n)


def _pad(rng, opts):
    pad = -len(opts) % 4
    return opts + (bytes(pad) if rng.random() < 0.5 else b"\x01" * pad)


def random_options(rng):
    """A random option list (bytes, a multiple of 4, at most 40)."""
    if rng.random() < 0.08:
        return b""
    parts = [_filler(rng, False) for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))]
    keyid = rng.choice((10, 11)) if rng.random() < 0.6 else rng.randrange(256)
    rnext = rng.choice((20, 21)) if rng.random() < 0.5 else rng.randrange(256)
    mode = rng.random()
    tail = b""
    if mode < 0.15:
        pass
    elif mode < 0.6:
        parts.append(_ao(keyid, rnext, rng.randbytes(algo.MAC_LEN)))
    elif mode < 0.8:
        # A TCP-AO option of any length, its bytes as many as the length
        # says or not (then it runs past the header or into the next one).
        length = rng.randint(0, 40)
        body = rng.randint(0, 38) if rng.random() < 0.3 else max(length - 2, 0)
        parts.append(bytes([algo.TCPOPT_AUTHOPT, length]) + rng.randbytes(body))
    elif mode < 0.87:
        parts.append(_ao(keyid, rnext, rng.randbytes(algo.MAC_LEN)))
        parts.append(_ao(rng.choice((10, 11)), rnext, rng.randbytes(algo.MAC_LEN)))
    elif mode < 0.93:
        # After End of Option List: not an option.
        tail = b"\x00" + _ao(keyid, rnext, rng.randbytes(algo.MAC_LEN))
    else:
        tail = bytes([algo.TCPOPT_AUTHOPT])  # kind with no room for a length
    if rng.random() < 0.15:
        parts.append(bytes([TCPOPT_MD5SIG, 18]) + rng.randbytes(16))
    if rng.random() < 0.08:
        # An option whose length is impossible.
        parts.append(bytes([rng.choice((2, 3, 8, 253)), rng.choice((0, 1, 41, 60))]))
    rng.shuffle(parts)
    opts = b"".join(parts)
    while len(opts) + len(tail) > 40 and parts:
        parts.pop(rng.randrange(len(parts)))
        opts = b"".join(parts)
    opts = (opts + tail)[:40]
    return _pad(rng, opts)


def classify(opts):
    """("malformed" | "none" | "md5ao" | "ao", AuthOpt or None), as the
    kernel sees the option list (the checker's parser, written apart)."""
    hdr = bytes(20) + opts
    try:
        ao = algo.find_authopt(hdr)
        md5 = any(kind == TCPOPT_MD5SIG for _, kind, _ in algo.iter_tcp_options(opts))
    except ValueError:
        return "malformed", None
    if ao is None:
        return "none", None
    return ("md5ao" if md5 else "ao"), ao


def expected_drop(policy, opts):
    """The TcpExt counter a forged (never valid) segment must move."""
    what, ao = classify(opts)
    if policy == "ao":
        if what == "malformed":
            return "TCPAuthOptMalformed"
        if what == "md5ao":
            return "TCPAuthOptMD5AndAO"
        if what == "none":
            return "TCPAuthOptRequired"
        if ao.keyid not in PEER_KEY:
            return "TCPAuthOptKeyNotFound"
        return "TCPAuthOptBadMAC"
    if policy == "reject" and what in ("ao", "md5ao"):
        return "TCPAuthOptUnexpected"
    return None


def reset_md5_lookup(opts):
    """Whether stock TCP sees an MD5 option when it resets a segment that
    found no socket: it scans the options only while an MD5 option's 18
    bytes still fit, and stops at EOL or at a length it cannot follow. If
    it sees one, it sends the RST only when a listener on the segment's
    source port holds an MD5 key (none here): no RST then."""
    i, left = 0, len(opts)
    while left >= 18:
        kind = opts[i]
        if kind == 0:
            return False
        if kind == 1:
            i, left = i + 1, left - 1
            continue
        size = opts[i + 1]
        if size < 2 or size > left:
            return False
        if kind == TCPOPT_MD5SIG:
            return size == 18
        i, left = i + size, left - size
    return False


def answer_class(flags):
    """Kind of one of b's segments, to count answers by."""
    if flags & (SYN | ACK) == SYN | ACK:
        return "synack"
    if flags & RST:
        return "rst"
    if flags & FIN:
        return "fin"
    return "ack"


def signed_options(rng, keyid, rnext):
    """A well-formed list with one TCP-AO option (zero MAC) among others:
    (options, offset of TCP-AO in the options)."""
    before = [_filler(rng, True) for _ in range(rng.choice((0, 0, 1, 2)))]
    after = [_filler(rng, True) for _ in range(rng.choice((0, 0, 1)))]
    # At most 8 bytes each: always fits, whole options only.
    assert sum(map(len, before + after)) + algo.AUTHOPT_LEN <= 40
    before = b"".join(before)
    opts = before + _ao(keyid, rnext, bytes(algo.MAC_LEN)) + b"".join(after)
    # EOL padding only at the end: an EOL before TCP-AO would hide it.
    return _pad(rng, opts), len(before)


def _sne(ref_sne, ref_seq, seq):
    return algo.SneTracker(ref_sne, ref_seq).update(seq)


# Targets

@dataclass
class Plan:
    """A segment a target can take signed, and what signs it."""
    cls: str
    flags: int
    seq: int
    ack: int
    payload: bytes = b""
    isns: tuple = None  # (peer ISN, our ISN), from the decision table
    sne: int = 0
    commit: object = None  # called once the segment is sent and passes
    answer: str = None  # answer_class() of b's answer; None: no answer


class Target:
    """One socket of b as the attacker aims at it."""

    policy = "ao"

    def __init__(self, kind, family, peer, pport, bport):
        self.kind, self.family = kind, family
        self.peer, self.pport, self.bport = peer, pport, bport
        self.src, self.dst = packed(peer), None

    def ports(self, rng):
        return self.pport, self.bport

    def forged_seq(self, rng):
        return rng.getrandbits(32), rng.getrandbits(32)

    def plan(self, rng):
        return None

    def answer(self, cls):
        """(kind, class) b's answers of answer_class() @cls are counted by."""
        return (self.kind, cls) if cls else None


class Conn(Target):
    """A synchronized connection (request, established, TIME-WAIT)."""

    def __init__(self, kind, family, peer, pport, bport, irs, iss, rcv_nxt, snd_nxt):
        super().__init__(kind, family, peer, pport, bport)
        self.irs, self.iss = irs, iss
        self.rcv_nxt, self.snd_nxt = rcv_nxt, snd_nxt
        # Receive SNE reference of b (the highest peer sequence verified).
        self.rcv_ref = algo.SneTracker(0, irs)
        self.rcv_ref.update(rcv_nxt)

    def forged_seq(self, rng):
        r = rng.random()
        if r < 0.3:
            seq = seq_add(self.rcv_nxt, rng.randrange(2000))
        elif r < 0.5:
            seq = self.rcv_nxt
        elif r < 0.75:
            seq = seq_add(self.rcv_nxt, rng.choice((1, -1)) * (OOW + rng.randrange(OOW)))
        else:
            seq = rng.getrandbits(32)
        ack = self.snd_nxt if rng.random() < 0.7 else rng.getrandbits(32)
        return seq, ack

    def oow(self, rng, size=0):
        """A sequence number far outside the window, forward or back (back
        only where the SNE stays >= 0). The same draws whatever the ISNs:
        a seed always makes the same segments."""
        back, dist = rng.random() < 0.5, OOW + rng.randrange(OOW)
        if back and self.rcv_ref.ref >= 4 * OOW:
            return seq_add(self.rcv_nxt, -(dist + size))
        return seq_add(self.rcv_nxt, dist)

    def other(self, seq):
        """ISNs and SNE of a non-SYN segment: (IRS, ISS), SNE against the
        receive reference (moved only by a segment that passes)."""
        return (self.irs, self.iss), _sne(self.rcv_ref.sne, self.rcv_ref.seq, seq)


class Established(Conn):
    def plan(self, rng):
        c = rng.choice(("syn", "synack", "oow-data", "oow-ack", "oow-fin", "rst-inwin",
                        "rst-oow", "dup-ack"))
        data = rng.randbytes(rng.randint(1, 100))
        if c == "syn":
            # Any SYN gets a challenge ACK (RFC 5961 4); (seq, 0), SNE 0.
            seq = rng.getrandbits(32)
            return Plan(c, SYN, seq, 0, isns=(seq, 0), answer="ack")
        if c == "synack":
            p = Plan(c, SYN | ACK, seq_add(self.rcv_nxt, rng.randrange(-OOW, OOW)),
                     self.snd_nxt, answer="ack")
        elif c == "oow-data":
            # Out of the window: a duplicate ACK.
            p = Plan(c, ACK | PSH, self.oow(rng, len(data)), self.snd_nxt, data,
                     answer="ack")
        elif c == "oow-ack":
            p = Plan(c, ACK, self.oow(rng), self.snd_nxt, answer="ack")
        elif c == "oow-fin":
            p = Plan(c, FIN | ACK, self.oow(rng), self.snd_nxt, answer="ack")
        elif c == "rst-inwin":
            # In the window but not rcv_nxt: a challenge ACK (RFC 5961 3.2).
            p = Plan(c, rng.choice((RST, RST | ACK)), seq_add(self.rcv_nxt, rng.randint(1, 1000)),
                     self.snd_nxt, answer="ack")
        elif c == "rst-oow":
            p = Plan(c, rng.choice((RST, RST | ACK)), self.oow(rng), self.snd_nxt)
        else:
            p = Plan(c, ACK, self.rcv_nxt, self.snd_nxt)
        p.isns, p.sne = self.other(p.seq)
        seq = p.seq
        p.commit = lambda: self.rcv_ref.update(seq)
        return p


class Request(Conn):
    def __init__(self, family, peer, pport, bport, irs, iss):
        super().__init__("req", family, peer, pport, bport, irs, iss, seq_add(irs, 1),
                         seq_add(iss, 1))

    def other(self, seq):
        # A request counts the SNE from the peer's ISN.
        return (self.irs, self.iss), _sne(0, self.irs, seq)

    def oow(self, rng, size=0):
        return seq_add(self.rcv_nxt, OOW + rng.randrange(OOW))

    def plan(self, rng):
        c = rng.choice(("syn-rtx", "syn-oow", "ack-oow", "rst-inwin", "rst-oow",
                        "noack-inwin", "bad-ack"))
        if c == "syn-rtx":
            # Retransmitted SYN: the request retransmits its SYN-ACK.
            return Plan(c, SYN, self.irs, 0, isns=(self.irs, 0), answer="synack")
        if c == "syn-oow":
            # Out of the window: an ACK.
            seq = self.oow(rng)
            return Plan(c, SYN, seq, 0, isns=(seq, 0), answer="ack")
        data = rng.randbytes(rng.randint(1, 100)) if rng.random() < 0.5 else b""
        if c == "ack-oow":
            # Right ACK, sequence out of the window: answered with an ACK.
            p = Plan(c, rng.choice((ACK, ACK | PSH, ACK | FIN)), self.oow(rng), self.snd_nxt,
                     data, answer="ack")
        elif c == "rst-inwin":
            # In the window but not rcv_nxt: a challenge ACK (RFC 5961
            # 3.2, RFC 9293 3.10.7.4); the request stays.
            p = Plan(c, RST, seq_add(self.rcv_nxt, rng.randint(1, 1000)), 0, answer="ack")
        elif c == "rst-oow":
            p = Plan(c, RST, self.oow(rng), 0)
        elif c == "noack-inwin":
            # Neither ACK, SYN nor RST: silently ignored.
            p = Plan(c, rng.choice((FIN, PSH, FIN | PSH)),
                     seq_add(self.rcv_nxt, rng.randrange(1000)), 0, data)
        else:
            # ACK of something b never sent: RFC 793 answers with a RST
            # (seq = SEG.ACK); the request stays.
            p = Plan(c, rng.choice((ACK, ACK | PSH)), self.rcv_nxt,
                     seq_add(self.snd_nxt, rng.randint(1, 1 << 20)), data, answer="rst")
        p.isns, p.sne = self.other(p.seq)
        return p


class TimeWait(Conn):
    def other(self, seq):
        # TIME-WAIT does not move its receive reference.
        return (self.irs, self.iss), _sne(self.rcv_ref.sne, self.rcv_ref.seq, seq)

    def plan(self, rng):
        c = rng.choice(("ack-exact", "rst-exact", "data-inwin", "oow", "syn-old", "synack",
                        "rst-oow"))
        if c == "syn-old":
            # Not after rcv_nxt: no new connection, an ACK.
            seq = seq_add(self.rcv_nxt, -rng.randrange(1 << 20))
            return Plan(c, SYN, seq, 0, isns=(seq, 0), answer="ack")
        if c == "ack-exact":
            # In the window, no data: nothing to answer.
            p = Plan(c, ACK, self.rcv_nxt, self.snd_nxt)
        elif c == "rst-exact":
            # net.ipv4.tcp_rfc1337 = 1: a RST does not end TIME-WAIT.
            p = Plan(c, rng.choice((RST, RST | ACK)), self.rcv_nxt, self.snd_nxt)
        elif c == "data-inwin":
            # Anything but a bare ACK or RST is ACKed.
            p = Plan(c, ACK | PSH, self.rcv_nxt, self.snd_nxt, rng.randbytes(rng.randint(1, 50)),
                     answer="ack")
        elif c == "oow":
            p = Plan(c, rng.choice((ACK, FIN | ACK, ACK | PSH)), self.oow(rng), self.snd_nxt,
                     rng.randbytes(rng.randint(0, 50)), answer="ack")
        elif c == "synack":
            p = Plan(c, SYN | ACK, seq_add(self.rcv_nxt, rng.randrange(-OOW, OOW)),
                     self.snd_nxt, answer="ack")
        else:
            p = Plan(c, RST, self.oow(rng), 0)
        p.isns, p.sne = self.other(p.seq)
        return p


class Listener(Target):
    """F at the TCP-AO listener, from ports where b has no socket."""

    def __init__(self, family, fuzz):
        super().__init__("lsn", family, PEER_F[family], 0, PORT_L)
        self.fuzz = fuzz

    def ports(self, rng):
        return self.fuzz.fresh_port(self.family, rng), PORT_L

    def answer(self, cls):
        # A SYN-ACK of the request it made; a RST without a connection is
        # never expected here (what F sends carries TCP-AO), so any counts
        # as unexpected.
        return {"synack": ("lsn", cls), "rst": ("listener", cls), None: None}[cls]

    def plan(self, rng):
        c = rng.choice(("syn", "ack", "ack", "rst", "synack")) if rng.random() < 0.2 else \
            rng.choice(("ack", "rst", "synack"))
        seq, ack = rng.getrandbits(32), rng.getrandbits(32)
        if c == "syn":
            # A new request (b answers with a signed SYN-ACK).
            return Plan(c, SYN, seq, 0, isns=(seq, 0), answer="synack")
        data = rng.randbytes(rng.randint(1, 60)) if rng.random() < 0.3 else b""
        flags = {"ack": rng.choice((ACK, ACK | PSH, FIN | ACK)),
                 "rst": rng.choice((RST, RST | ACK)), "synack": SYN | ACK}[c]
        # Listener: (seq - 1, ack - 1), (seq, ack - 1) for a SYN-ACK. No
        # request, no ISNs to sign a reset with: b sends none to a segment
        # that carries TCP-AO (an unsigned one would only be dropped).
        peer_isn = seq if flags & SYN else seq_add(seq, -1)
        return Plan(c, flags, seq, ack, data, (peer_isn, seq_add(ack, -1)),
                    _sne(0, peer_isn, seq), answer=None)


class PortPool(Target):
    """G (no key) or F at a closed port: no TCP-AO drop but REJECT_UNEXPECTED's."""

    def __init__(self, kind, family, peer, bport, policy, ports):
        super().__init__(kind, family, peer, 0, bport)
        self.policy = policy
        self.pool = ports

    def ports(self, rng):
        return rng.choice(self.pool), self.bport


@dataclass
class Sent:
    target: Target
    cls: str
    expect: str  # counter name or None
    pkt: bytes
    answer: tuple = None  # Target.answer(), or None: b must not answer


# The fuzzer

class Fuzz:
    """The attacker in a, what it expects of b, and what b did."""

    def __init__(self, pair, seed):
        self.pair, self.a, self.b = pair, pair.a, pair.b
        self.rng = random.Random(seed)
        self.tkeys = {}
        self.used = {f: set() for f in FAMS}
        self.taken = {f: 0 for f in FAMS}
        self.conns = {}  # (peer addr, peer port, b port) -> ReplyConn
        self.replies = []  # b's packets not yet checked
        self.answers, self.want_answers = {}, {}  # (kind, class) -> count
        self.bad_replies = []
        self.problems = []
        self.off, self.batches_off, self.localised = {}, 0, 0
        self.examples, self.example_count = {}, {}
        self.replayed = {}
        self.stats = {}
        self.expect = {n: 0 for n in AO_DROP_REASONS}
        self.total_expect = dict(self.expect)
        self.replies_checked = 0
        self.inj = Injector(self.a)
        self.eth = {4: self._eth(0x0800), 6: self._eth(0x86DD)}
        self.rx = self.a.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        # b's segments only: a's own and ours leave out of this end.
        self.rx.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        self.rx.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
        self.rx.bind((self.a.ifname, ETH_P_ALL))
        self.rx.setblocking(False)
        self.rx_drops = 0
        self.keyed = {packed(PEER_F[f]) for f in FAMS} | {packed(self.a.addr(f)) for f in FAMS}
        with self.b.inside():
            self.netstat = os.open("/proc/thread-self/net/netstat", os.O_RDONLY)
        tcpext = self._tcpext()
        self.old_layout = "TCPAuthOptBadMAC" not in tcpext
        missing = [n for n in AO_COUNTERS if n not in tcpext and n != "TCPAuthOptBadMAC"]
        assert not missing, f"kernel lacks TcpExt counters {missing}"

    def close(self):
        # An open /proc/net file keeps b's namespace (and keys) alive.
        os.close(self.netstat)

    def _eth(self, etype):
        return (bytes.fromhex(self.a.peer_mac.replace(":", "")) +
                bytes.fromhex(self.a.mac.replace(":", "")) + struct.pack("!H", etype))

    # Wire

    def send(self, pkt):
        self.inj.sock.send(self.eth[pkt[0] >> 4] + pkt)

    def drain(self):
        while True:
            try:
                data = self.rx.recv(65536)
            except BlockingIOError:
                break
            if struct.unpack_from("!H", data, 12)[0] in (0x0800, 0x86DD):
                self.replies.append(data[14:])
        stats = self.rx.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
        self.rx_drops += struct.unpack("=II", stats)[1]

    def wait_reply(self, pred, what, timeout=3.0):
        deadline = time.monotonic() + timeout
        seen = len(self.replies)
        while True:
            self.drain()
            for ip in self.replies[seen:]:
                try:
                    seg = algo.parse_ip_packet(ip)
                except ValueError:
                    continue
                if pred(seg):
                    return seg
            seen = len(self.replies)
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} from b within {timeout}s")
            time.sleep(0.005)

    # Segments

    def tkey(self, mkt, ctx):
        k = (mkt.send_id, ctx)
        if k not in self.tkeys:
            if len(self.tkeys) > 4096:
                self.tkeys.clear()
            self.tkeys[k] = algo.kdf(mkt.alg, mkt.key, ctx)
        return self.tkeys[k]

    def build(self, t, sport, dport, flags, seq, ack, opts, payload=b"", window=None,
              sign=None):
        """The IP packet; @sign = (ao offset in opts, Mkt, (src isn, dst isn), sne)."""
        if window is None:
            window = 65535 if sign else self.rng.getrandbits(16)
        dst = packed(self.b.addr(t.family))
        tcp = _tcp(sport, dport, seq, ack, flags, window, opts, payload)
        hdr, pseudo = _ip(t.src, dst, tcp)
        if sign:
            off, mkt, isns, sne = sign
            ctx = algo.kdf_context(t.src, dst, sport, dport, *isns)
            mac = algo.calc_mac(mkt.alg, self.tkey(mkt, ctx), hdr + tcp, sne,
                                mkt.include_options)
            tcp = tcp[:20 + off + 4] + mac + tcp[20 + off + 16:]
        return _finish(hdr, pseudo, tcp)

    def signed(self, t, plan, sport, dport, keyid=None, handshake=False):
        rng = self.rng
        keyid = rng.choice((10, 11)) if keyid is None else keyid
        rnext = rng.choice((20, 21)) if rng.random() < 0.7 else rng.randrange(256)
        if handshake:
            # Our own connections: MSS only, no timestamps, no window scale.
            rnext = rng.choice((20, 21))
            mss = struct.pack("!BBH", 2, 4, 1460) if plan.flags & SYN else b""
            opts, off = mss + _ao(keyid, rnext, bytes(algo.MAC_LEN)), len(mss)
        else:
            opts, off = signed_options(rng, keyid, rnext)
        return self.build(t, sport, dport, plan.flags, plan.seq, plan.ack, opts, plan.payload,
                          sign=(off, PEER_KEY[keyid], plan.isns, plan.sne))

    def spoiled(self, t, plan, sport, dport):
        """Signed, then one thing changed: the MAC cannot verify."""
        rng = self.rng
        keyid = rng.choice((10, 11))
        how = rng.choice(("mac-bit", "seq", "ack", "window", "flags", "payload", "other-key",
                          "sne", "isn", "port", "opts-flag"))
        mkt = PEER_KEY[keyid]
        isns, sne = plan.isns, plan.sne
        if how == "other-key":
            mkt = PEER_KEY[21 - keyid]
        elif how == "sne":
            sne = (sne + rng.choice((1, -1))) & 0xFFFFFFFF
        elif how == "isn":
            isns = (isns[0] ^ (1 << rng.randrange(32)), isns[1]) if rng.random() < 0.5 else \
                (isns[0], isns[1] ^ (1 << rng.randrange(32)))
        elif how == "opts-flag":
            mkt = Mkt(mkt.send_id, mkt.recv_id, mkt.key, mkt.alg, not mkt.include_options)
        opts, off = signed_options(rng, keyid, rng.randrange(256))
        if how == "opts-flag" and off == 0 and len(opts) == 16:
            opts, off = _pad(rng, b"\x01" + opts[:16]), 1  # an option the flag matters for
        if how == "payload" and not plan.payload:
            how = "mac-bit"
        pkt = bytearray(self.build(t, sport, dport, plan.flags, plan.seq, plan.ack, opts,
                                   plan.payload, sign=(off, mkt, isns, sne)))
        l4 = 20 if pkt[0] >> 4 == 4 else 40
        if how == "mac-bit":
            i = l4 + 20 + off + 4 + rng.randrange(12)
            pkt[i] ^= 1 << rng.randrange(8)
        elif how in ("seq", "ack"):
            i = l4 + (4 if how == "seq" else 8)
            v = struct.unpack_from("!I", pkt, i)[0]
            struct.pack_into("!I", pkt, i, seq_add(v, rng.choice((1, -1, 1 << 31))))
        elif how == "window":
            pkt[l4 + 14] ^= 0x80
        elif how == "flags":
            pkt[l4 + 13] ^= rng.choice((FIN, PSH, 0x20, 0x40, 0x80))
        elif how == "payload":
            pkt[-1 - rng.randrange(len(plan.payload))] ^= 0x01
        elif how == "port":
            struct.pack_into("!H", pkt, l4, sport ^ 0x8000)
        return _recsum(bytes(pkt)), how

    def forged(self, t, sport, dport):
        rng = self.rng
        flags = rng.choice(FORGED_FLAGS)
        if flags is None:
            flags = rng.getrandbits(8)
        seq, ack = t.forged_seq(rng)
        payload = b""
        if flags & PSH or rng.random() < 0.2:
            payload = rng.randbytes(rng.randint(1, 120))
        opts = random_options(rng)
        expect = expected_drop(t.policy, opts)
        # Dropped by TCP-AO: no answer. G's answers (stock TCP) are not
        # counted.
        answer = None
        # No connection (RFC 5925 7.7): stock TCP's unsigned RST, but none
        # to a segment that carries TCP-AO, malformed or not.
        if (t.policy == "closed" and not flags & RST and not reset_md5_lookup(opts) and
                classify(opts)[0] == "none"):
            answer = t.answer("rst")
        return (self.build(t, sport, dport, flags, seq, ack, opts, payload), expect,
                classify(opts)[0], answer)

    def fresh_port(self, family, rng):
        """A port of F where b has no socket (listener target)."""
        while True:
            p = rng.randint(*FRESH_PORTS)
            if p not in self.used[family]:
                return p

    def take_port(self, family):
        """A port of F or G for a target of its own, never used by anything
        before (an answer to an earlier segment from it would be taken for
        one of this target)."""
        self.taken[family] += 1
        assert self.taken[family] <= OWN_PORTS[1] - OWN_PORTS[0], \
            "out of ports: a larger ROUND makes fewer targets"
        while True:
            p = self.rng.randint(*OWN_PORTS)
            if p not in self.used[family]:
                self.used[family].add(p)
                return p

    def one(self, t):
        """Draw one segment for @t: (Sent, what to do once it passed)."""
        rng = self.rng
        sport, dport = t.ports(rng)
        r = rng.random()
        plan = t.plan(rng) if r < P_SIGNED + P_SPOILED else None
        if plan and r < P_SIGNED:
            pkt = self.signed(t, plan, sport, dport)
            if t.kind == "lsn" and plan.cls == "syn":
                # A request from now on: no other segment from that port.
                self.used[t.family].add(sport)
            return (Sent(t, "signed:" + plan.cls, None, pkt, t.answer(plan.answer)),
                    plan.commit)
        if plan:
            pkt, how = self.spoiled(t, plan, sport, dport)
            return Sent(t, "spoiled:" + how, "TCPAuthOptBadMAC", pkt), None
        pkt, expect, what, answer = self.forged(t, sport, dport)
        return Sent(t, "forged:" + what, expect, pkt, answer), None

    def sent(self, s):
        """Account for @s, just sent: its drop, its answer."""
        if s.expect:
            self.expect[s.expect] += 1
            self.total_expect[s.expect] += 1
        if s.answer:
            self.want_answers[s.answer] = self.want_answers.get(s.answer, 0) + 1

    # Counters

    def _tcpext(self):
        """b's TcpExt counters (the file stays open: syscalls are dear in UML)."""
        os.lseek(self.netstat, 0, os.SEEK_SET)
        text = b""
        while True:
            chunk = os.read(self.netstat, 1 << 16)
            if not chunk:
                break
            text += chunk
        lines = text.decode().splitlines()
        for head, vals in zip(lines[0::2], lines[1::2]):
            if head.startswith("TcpExt:"):
                return dict(zip(head.split()[1:], map(int, vals.split()[1:])))
        raise AssertionError("no TcpExt in /proc/net/netstat")

    def counters(self):
        """b's TCP-AO counters, in the layout of the current kernel."""
        tcpext = self._tcpext()
        if self.old_layout:
            # Failure counted MAC mismatches only.
            tcpext["TCPAuthOptBadMAC"] = tcpext["TCPAuthOptFailure"]
            tcpext["TCPAuthOptFailure"] = sum(tcpext[n] for n in AO_DROP_REASONS)
        return {n: tcpext[n] for n in AO_COUNTERS}

    def rebase(self):
        """Count from now: expected drops start at 0."""
        self.base = self.counters()
        self.expect = {n: 0 for n in AO_DROP_REASONS}

    def observed(self):
        now = self.counters()
        return {n: now[n] - self.base[n] for n in now}

    def wanted(self):
        want = {n: 0 for n in self.base}
        want.update(self.expect)
        want["TCPAuthOptFailure"] = sum(self.expect.values())
        return want

    def check(self, batch, timeout=3.0):
        """The counters add up after @batch; if not, name its segments.

        Segments are mostly processed before send() returns; the counters
        are awaited until they add up or stop moving (a batch that does
        not add up costs little).
        """
        want = self.wanted()
        deadline = time.monotonic() + timeout
        got, last, still = self.observed(), None, 0
        while got != want and time.monotonic() < deadline:
            still = still + 1 if got == last else 0
            if still >= 3:
                break
            time.sleep(0.02)
            got, last = self.observed(), got
        if got == want:
            return
        diff = {n: got[n] - want[n] for n in got if got[n] != want[n]}
        self.batches_off += 1
        for n, v in diff.items():
            self.off[n] = self.off.get(n, 0) + v
        if self.localised < MAX_LOCALISE:
            self.localised += 1
            self.localise(batch, diff)
        # Go on from what the kernel counted: later batches stand alone.
        self.rebase()

    def localise(self, batch, diff):
        """Replay @batch one segment at a time until the segments that do
        not add up explain @diff (the replay shows the same answers: the
        decision only depends on the target and the segment)."""
        left = {n: v for n, v in diff.items() if n in AO_DROP_REASONS}
        before = self.counters()
        for s in batch:
            if not any(left.values()):
                return
            self.send(s.pkt)
            if s.answer:
                self.want_answers[s.answer] = self.want_answers.get(s.answer, 0) + 1
            want = {s.expect: 1, "TCPAuthOptFailure": 1} if s.expect else {}
            deadline = time.monotonic() + 0.1
            while True:
                now = self.counters()
                delta = {n: now[n] - before[n] for n in now if now[n] != before[n]}
                # A drop may come late: wait for it a little.
                if delta == want or not s.expect or time.monotonic() > deadline:
                    break
            before = now
            for n, v in delta.items():
                self.replayed[n] = self.replayed.get(n, 0) + v
            if delta == want:
                continue
            for n in left:
                left[n] -= delta.get(n, 0) - want.get(n, 0)
            key = (s.target.kind, s.cls, f"expected {want or 'no drop'}, "
                   f"counted {delta or 'nothing'}")
            ex = self.examples.setdefault(key, [])
            if len(ex) < 2:
                ex.append(f"{describe(s.pkt)}\n      packet {s.pkt.hex()}")
            self.example_count[key] = self.example_count.get(key, 0) + 1
        if any(left.values()):
            self.examples.setdefault(("?", "?", f"{left} not explained by one segment on "
                                      "replay"), [])

    def findings(self):
        out = []
        if self.off:
            out.append(f"TcpExt counters off by {self.off} (counted - expected) in "
                       f"{self.batches_off} of the batches of {BATCH} segments; the first "
                       f"{self.localised} replayed one segment at a time:")
            for key, ex in self.examples.items():
                out.append(f"  {key[0]} {key[1]}: {key[2]} "
                           f"({self.example_count.get(key, 0)} segments), e.g.")
                out += ["    " + e for e in ex]
        return out + self.problems

    # Targets

    def open_request(self, family, port, keyid=None):
        """F's signed SYN from @port; returns the Request once b answered."""
        t = Target("lsn", family, PEER_F[family], port, PORT_L)
        irs = self.rng.getrandbits(32)
        plan = Plan("syn", SYN, irs, 0, isns=(irs, 0))
        self.send(self.signed(t, plan, port, PORT_L, keyid, handshake=True))
        fsrc = packed(PEER_F[family])
        synack = self.wait_reply(lambda s: (s.daddr == fsrc and s.dport == port and
                                            s.flags & (SYN | ACK) == SYN | ACK and
                                            s.ack_seq == seq_add(irs, 1)),
                                 f"SYN-ACK to {PEER_F[family]}.{port}")
        return Request(family, PEER_F[family], port, PORT_L, irs, synack.seq)

    def open_time_wait(self, family, listener):
        """An F connection b closed first: b's socket ends in TIME-WAIT."""
        port = self.take_port(family)
        req = self.open_request(family, port)
        fsrc = packed(PEER_F[family])

        def send(flags, seq, ack):
            plan = Plan("hs", flags, seq, ack, isns=(req.irs, req.iss), sne=0)
            self.send(self.signed(req, plan, port, PORT_L, handshake=True))

        send(ACK, req.rcv_nxt, req.snd_nxt)
        server, peer = listener.accept()
        assert peer[1] == port, f"accepted {peer}, expected port {port}"
        server.close()
        self.wait_reply(lambda s: s.daddr == fsrc and s.dport == port and s.flags & FIN,
                        f"FIN to port {port}")
        send(FIN | ACK, req.rcv_nxt, seq_add(req.snd_nxt, 1))
        rcv_nxt = seq_add(req.rcv_nxt, 1)
        self.wait_reply(lambda s: (s.daddr == fsrc and s.dport == port and
                                   s.ack_seq == rcv_nxt), f"ACK of our FIN to port {port}")
        tw = TimeWait("tw", family, PEER_F[family], port, PORT_L, req.irs, req.iss, rcv_nxt,
                      seq_add(req.snd_nxt, 1))
        return tw

    def proc_tcp(self, family):
        """{(local port, remote port): state} of b's TCP sockets."""
        name = "tcp" if family == socket.AF_INET else "tcp6"
        with self.b.inside():
            with open(f"/proc/thread-self/net/{name}") as f:
                lines = f.read().splitlines()[1:]
        out = {}
        for line in lines:
            f = line.split()
            out[(int(f[1].split(":")[1], 16), int(f[2].split(":")[1], 16))] = int(f[3], 16)
        return out

    def assert_alive(self, targets):
        states = {f: self.proc_tcp(f) for f in FAMS}
        want = {"est": TCP_ESTABLISHED, "req": TCP_SYN_RECV, "tw": TCP_TIME_WAIT}
        for t in targets:
            got = states[t.family].get((t.bport, t.pport))
            if got != want[t.kind]:
                self.problems.append(f"target {t.kind} {t.peer}.{t.pport} > {t.bport}: state "
                                     f"{got}, expected {want[t.kind]} (gone during the round)")

    # b's answers

    def classify(self):
        """Check and count b's segments captured so far: each is signed and
        verifies, or is unsigned where no connection exists (RFC 5925 7.7);
        counted in .answers by (kind, answer_class()) if its connection
        counts (see register())."""
        self.drain()
        for ip in self.replies:
            self._classify(ip)
        self.replies_checked += len(self.replies)
        self.replies = []

    def _classify(self, ip):
        try:
            seg = algo.parse_ip_packet(ip)
        except ValueError:
            return
        bad = self.bad_replies
        cls = answer_class(seg.flags)
        k = (seg.daddr, seg.dport, seg.sport)
        conn = self.conns.get(k)
        try:
            ao = algo.find_authopt(seg.tcphdr)
        except ValueError as err:
            bad.append(f"{describe(ip)}: malformed options {err}")
            return
        kind = None
        if seg.daddr not in self.keyed:
            kind = "plain"
        elif seg.sport == PORT_CLOSED:
            kind = "closed"
        elif conn is None and cls != "synack":
            kind = "listener"
        if kind:
            # No key for the peer, or no connection: unsigned.
            if ao is not None:
                bad.append(f"{describe(ip)}: signed, but there is no connection")
            self.answers[(kind, cls)] = self.answers.get((kind, cls), 0) + 1
            return
        if cls == "synack":
            isns, sne = (seg.seq, seq_add(seg.ack_seq, -1)), 0
            if conn is None or conn.iss != seg.seq:
                # A request made by a SYN at the listener.
                conn = self.conns[k] = ReplyConn("lsn", seg.seq, seq_add(seg.ack_seq, -1))
                conn.count = True
        else:
            isns, sne = (conn.iss, conn.irs), conn.snd.update(seg.seq)
        if conn.count:
            self.answers[(conn.kind, cls)] = self.answers.get((conn.kind, cls), 0) + 1
        if ao is None:
            bad.append(f"{describe(ip)}: unsigned on a TCP-AO connection")
            return
        mkt = B_KEY.get(ao.keyid)
        if mkt is None:
            bad.append(f"{describe(ip)}: KeyID {ao.keyid} of no key of b")
            return
        ctx = algo.kdf_context(seg.saddr, seg.daddr, seg.sport, seg.dport, *isns)
        if not algo.check_mac(mkt.alg, self.tkey(mkt, ctx), ip, sne, mkt.include_options):
            bad.append(f"{describe(ip)}: bad MAC (KeyID {ao.keyid}, SNE {sne})")

    def answer_problems(self, timeout=3.0):
        """b answered each segment as TCP must: per (kind, class), as many
        answers as expected (SYN-ACKs: at least as many; G's: not
        counted). Missing answers are awaited until @timeout."""
        deadline = time.monotonic() + timeout
        while True:
            self.classify()
            out = []
            for key in sorted(set(self.want_answers) | set(self.answers)):
                if key[0] == "plain":
                    continue
                want, got = self.want_answers.get(key, 0), self.answers.get(key, 0)
                if got < want or (got > want and key[1] != "synack"):
                    out.append(f"{key[0]} {key[1]}: {got} answers of b, expected "
                               f"{'at least ' if key[1] == 'synack' else ''}{want}")
            missing = any(self.answers.get(k, 0) < n for k, n in self.want_answers.items()
                          if k[0] != "plain")
            if not missing or time.monotonic() > deadline:
                return out
            time.sleep(0.02)

    def register(self, conn):
        """Check b's segments on @conn from now on; count them as answers
        once its .count is set (not those of its own handshake)."""
        k = (conn.src, conn.pport, conn.bport)
        self.conns[k] = ReplyConn(conn.kind, conn.iss, conn.irs)
        return self.conns[k]


class ReplyConn:
    """b's side of a connection, to check what b sends on it."""

    def __init__(self, kind, iss, irs):
        self.kind, self.iss, self.irs = kind, iss, irs
        self.snd = algo.SneTracker(0, iss)
        self.count = False


def _tcp_state(sock):
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]


def _self_test():
    """The fast builder makes the packets packet_util makes."""
    for src, dst in (("198.51.100.3", "198.51.100.2"), ("2001:db8::3", "2001:db8::2")):
        opts = b"\x01\x01\x01\x01" + bytes([2, 4, 5, 0xB4])
        tcp = _tcp(1234, 80, 0x01020304, 0x0A0B0C0D, ACK | PSH, 512, opts, b"abcde")
        hdr, pseudo = _ip(packed(src), packed(dst), tcp)
        mine = _finish(hdr, pseudo, tcp)
        ref = ip_packet(src, dst, tcp_header(1234, 80, 0x01020304, 0x0A0B0C0D, ACK | PSH, 512,
                                             opts, b"abcde"))
        seg, rseg = algo.parse_ip_packet(mine), algo.parse_ip_packet(ref)
        assert (seg.tcphdr, seg.payload) == (rseg.tcphdr, rseg.payload), \
            f"fast builder differs from packet_util for {src}"


def _listen(fuzz):
    """Sysctls, neighbours and keys of b; its listeners {family: socket}
    (TCP-AO for a and F), and those with REJECT_UNEXPECTED.

    Requests live about 63 s (5 SYN-ACK retries): far longer than their
    round, and those of a minute of fuzzing fit the queue many times over.
    """
    pair, a, b = fuzz.pair, fuzz.a, fuzz.b
    for key, value in (("net.ipv4.tcp_invalid_ratelimit", 0), ("net.ipv4.tcp_rfc1337", 1),
                       ("net.ipv4.tcp_synack_retries", 5), ("net.core.somaxconn", 8192),
                       ("net.ipv4.tcp_max_syn_backlog", 8192),
                       ("net.ipv4.tcp_challenge_ack_limit", INT_MAX)):
        b.sysctl(key, value)
    for fam in FAMS:
        pair.add_neigh(b, PEER_F[fam], NOBODY_MAC)
        pair.add_neigh(b, PEER_G[fam], NOBODY_MAC)
    listeners, rejecters = {}, {}
    for fam in FAMS:
        holder = b.socket(fam)
        for peer in (a.addr(fam), PEER_F[fam]):
            for k in KEYS:
                set_key(holder, k.mirror(), peer)
        cholder = a.socket(fam)
        for k in KEYS:
            set_key(cholder, k, b.addr(fam))
        for port, flags, out in ((PORT_L, 0, listeners), (PORT_R, FLAG_REJECT_UNEXPECTED,
                                                         rejecters)):
            s = b.socket(fam)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            set_authopt(s, flags)
            s.bind((b.addr(fam), port))
            s.listen(8192)
            s.settimeout(5)
            out[fam] = s
    return listeners, rejecters


def _setup(fuzz):
    a, b = fuzz.a, fuzz.b
    listeners, rejecters = _listen(fuzz)
    # Established connections: real clients in a, their ISNs from a capture.
    cap = Capture(a)
    est = []
    for fam in FAMS:
        for _ in range(N_EST):
            client = a.socket(fam)
            set_authopt(client)
            client.settimeout(5)
            client.connect((b.addr(fam), PORT_L))
            server, _ = listeners[fam].accept()
            b.track(server)
            server.settimeout(5)
            client.sendall(b"hello")
            assert recv_exact(server, 5) == b"hello"
            server.sendall(b"olleh")
            assert recv_exact(client, 5) == b"olleh"
            assert get_authopt(server)[0] & FLAG_ACTIVE, "established connection not TCP-AO"
            est.append((fam, client, server))
    targets = []
    for fam, client, server in est:
        caddr, cport = client.getsockname()[:2]
        baddr = b.addr(fam)
        syn = cap.wait_for(lambda s: s.sport == cport and s.flags == SYN, what="client SYN")
        synack = cap.wait_for(lambda s: s.dport == cport and s.flags == SYN | ACK,
                              what="SYN-ACK")
        irs = algo.parse_ip_packet(syn).seq
        iss = algo.parse_ip_packet(synack).seq
        t = Established("est", fam, caddr, cport, PORT_L, irs, iss,
                        cap.snd_nxt(caddr, cport, baddr, PORT_L),
                        cap.snd_nxt(baddr, PORT_L, caddr, cport))
        fuzz.register(t)
        targets.append(t)
    cap.sock.close()
    return listeners, rejecters, est, targets


def _exchange_keyed(fam, client, server, key):
    """Keyed data both ways: nothing forged got in, nothing is reset."""
    assert _tcp_state(client) == TCP_ESTABLISHED and _tcp_state(server) == TCP_ESTABLISHED
    assert get_authopt(server)[0] & FLAG_ACTIVE
    for src, dst, tag in ((client, server, b"c2s"), (server, client, b"s2c")):
        data = keyed_stream(key + tag, 48 << 10)
        sender = threading.Thread(target=src.sendall, args=(data,))
        sender.start()
        try:
            got = recv_exact(dst, len(data))
        finally:
            sender.join(10)
        assert not sender.is_alive(), f"{tag.decode()} send stuck on a {fam.name} connection"
        assert got == data, f"{tag.decode()} data corrupted on a {fam.name} connection"


def test_fuzz_receive_path(pair, capsys):
    seed = int(os.environ.get(SEED_ENV, str(DEFAULT_SEED)), 0)
    total = int(os.environ.get(COUNT_ENV, DEFAULT_COUNT))
    assert total > 0
    with capsys.disabled():
        print(f"\ntcp_authopt fuzz: seed {seed} ({SEED_ENV}), {total} segments ({COUNT_ENV})",
              flush=True)
    _self_test()
    start = time.monotonic()
    fuzz = Fuzz(pair, seed)
    try:
        _fuzz(fuzz, seed, total, start, capsys)
    finally:
        fuzz.close()


def _open_round(fuzz, listeners):
    """Fresh TIME-WAIT and request targets; their handshakes are checked
    but not counted as answers."""
    targets = []
    for fam in FAMS:
        for _ in range(N_TW):
            tw = fuzz.open_time_wait(fam, listeners[fam])
            targets.append((tw, fuzz.register(tw)))
        for _ in range(N_REQ):
            req = fuzz.open_request(fam, fuzz.take_port(fam))
            targets.append((req, fuzz.register(req)))
    fuzz.classify()
    for _, conn in targets:
        conn.count = True
    # The setup segments were signed: nothing may have been dropped.
    fuzz.check([])
    return [t for t, _ in targets]


def _fuzz(fuzz, seed, total, start, capsys):
    listeners, _, est, est_targets = _setup(fuzz)
    rng = fuzz.rng
    fixed = {}
    for fam in FAMS:
        g_ports = [fuzz.take_port(fam) for _ in range(16)]
        f_ports = [fuzz.take_port(fam) for _ in range(16)]
        fixed[fam] = [Listener(fam, fuzz),
                      PortPool("plain", fam, PEER_G[fam], PORT_L, "plain", g_ports),
                      PortPool("reject", fam, PEER_G[fam], PORT_R, "reject", g_ports),
                      PortPool("closed", fam, PEER_F[fam], PORT_CLOSED, "closed", f_ports)]
    # From here on, b's segments on the established connections are answers.
    fuzz.classify()
    for t in est_targets:
        fuzz.conns[(t.src, t.pport, t.bport)].count = True
    fuzz.rebase()
    start_counters = fuzz.base
    kinds = list(WEIGHTS)
    weights = [WEIGHTS[k] for k in kinds]
    per_target = {}
    sent = 0
    while sent < total:
        round_targets = est_targets + _open_round(fuzz, listeners)
        pool = {}
        for t in round_targets:
            pool.setdefault((t.family, t.kind), []).append(t)
        for fam in FAMS:
            for t in fixed[fam]:
                pool[(fam, t.kind)] = [t]
        n = min(ROUND, total - sent)
        batch = []
        for _ in range(n):
            kind = rng.choices(kinds, weights)[0]
            t = rng.choice(pool[(rng.choice(FAMS), kind)])
            s, commit = fuzz.one(t)
            fuzz.send(s.pkt)
            if commit:
                commit()
            fuzz.sent(s)
            key = (t.kind, s.cls)
            fuzz.stats[key] = fuzz.stats.get(key, 0) + 1
            per_target[t.kind] = per_target.get(t.kind, 0) + 1
            batch.append(s)
            if len(batch) == BATCH:
                fuzz.check(batch)
                fuzz.classify()
                batch = []
        fuzz.check(batch)
        sent += n
        fuzz.assert_alive(round_targets)
    fuzz_time = time.monotonic() - start

    fuzz.check([])
    end_counters = fuzz.counters()
    answers = fuzz.answer_problems()
    # The data below is not an answer to anything.
    for conn in fuzz.conns.values():
        conn.count = False
    for fam, client, server in est:
        _exchange_keyed(fam, client, server, struct.pack("!Q", seed))
    fuzz.classify()

    moved = {n: end_counters[n] - start_counters[n] for n in end_counters}
    with capsys.disabled():
        print(f"tcp_authopt fuzz: {sent} segments in {fuzz_time:.1f}s; per target "
              f"{per_target}\n  expected drops {fuzz.total_expect}\n  TcpExt moved {moved}"
              f"{' (old counter layout)' if fuzz.old_layout else ''}"
              f"\n  replays of batches that did not add up: {fuzz.replayed}"
              f"\n  {fuzz.replies_checked} segments of b checked; answers "
              f"{dict(sorted(fuzz.answers.items()))}")
        for (kind, cls), count in sorted(fuzz.stats.items()):
            print(f"  {kind:7} {cls:24} {count}")
    problems = fuzz.findings()
    if answers:
        problems.append("b's answers to the fuzzed segments (RFC 5925 7.5, RFC 793/9293):\n  " +
                        "\n  ".join(answers))
    if fuzz.rx_drops:
        problems.append(f"the capture lost {fuzz.rx_drops} segments of b")
    if total >= 20000:
        # The generator reaches every kind of answer (a test of the test).
        missing = [k for k in (("est", "ack"), ("req", "ack"), ("req", "rst"), ("req", "synack"),
                               ("tw", "ack"), ("lsn", "synack"), ("closed", "rst"))
                   if not fuzz.want_answers.get(k)]
        if missing:
            problems.append(f"no segment drawn that b must answer as {missing}")
    if fuzz.bad_replies:
        problems.append(f"{len(fuzz.bad_replies)} segments of b not as RFC 5925 wants:\n  " +
                        "\n  ".join(fuzz.bad_replies[:20]))
    assert not problems, f"seed {seed}:\n" + "\n".join(problems)


@pytest.mark.parametrize("family", FAMS, ids=["ipv4", "ipv6"])
def test_request_signed_bad_ack(pair, family):
    """A correctly signed ACK of data b never sent, at a request socket.

    Found by the fuzzer. The segment belongs to the request's connection
    and carries the right MAC (traffic key of ISNs (IRS, ISS)): TCP-AO
    passes it, nothing is counted, and TCP answers with a RST (RFC 793 /
    RFC 9293 3.10.7.4, SYN-RECEIVED: <SEQ=SEG.ACK><CTL=RST>) signed for the
    request. The request stays: the right ACK then completes the handshake.
    """
    fuzz = Fuzz(pair, 1)
    try:
        listeners, _ = _listen(fuzz)
        req = fuzz.open_request(family, fuzz.take_port(family))
        conn = fuzz.register(req)
        fuzz.classify()  # its SYN-ACK is no answer
        conn.count = True
        fuzz.rebase()
        plan = Plan("bad-ack", ACK, req.rcv_nxt, seq_add(req.snd_nxt, 1000), answer="rst")
        plan.isns, plan.sne = req.other(plan.seq)
        pkt = fuzz.signed(req, plan, req.pport, req.bport, handshake=True)
        sent = Sent(req, "signed:bad-ack", None, pkt, req.answer(plan.answer))
        fuzz.send(pkt)
        fuzz.sent(sent)
        problems = []
        try:
            fuzz.wait_reply(lambda s: (s.dport == req.pport and s.flags & RST and
                                       s.seq == plan.ack), "RST with seq = SEG.ACK",
                            timeout=1.0)
        except AssertionError as err:
            problems.append(str(err))
        fuzz.check([sent])
        problems += fuzz.findings() + fuzz.answer_problems(timeout=0.5) + fuzz.bad_replies
        fuzz.assert_alive([req])
        ok = Plan("ack", ACK, req.rcv_nxt, req.snd_nxt)
        ok.isns, ok.sne = req.other(ok.seq)
        fuzz.send(fuzz.signed(req, ok, req.pport, req.bport, handshake=True))
        try:
            child, peer = listeners[family].accept()
            fuzz.b.track(child)
            assert peer[1] == req.pport, f"accepted {peer}"
        except (OSError, AssertionError) as err:
            problems.append(f"the right ACK did not complete the handshake: {err!r}")
        problems += fuzz.problems
        assert not problems, (f"signed {describe(pkt)} at a request socket (IRS {req.irs}, "
                              f"ISS {req.iss}):\n" + "\n".join(problems))
    finally:
        fuzz.close()
