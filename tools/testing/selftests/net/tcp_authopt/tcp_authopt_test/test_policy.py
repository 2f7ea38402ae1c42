# SPDX-License-Identifier: GPL-2.0
"""In-VM: where TCP-AO policy applies to received segments, and what is signed.

Topology: namespaces a (client, and an attacker sending hand-made packets
out of its veth with the client's addresses) and b (server), joined by a
veth (conftest.pair). A capture of a's veth end sees both directions; the
independent tcp_authopt_algo checks every MAC (ISNs from the SYNs, SNE per
direction) and signs what the attacker sends as a legitimate peer would.

- Forged segments (bad MAC, unsigned) on an authenticated connection are
  freed with a TCP-AO drop reason by tcp_v4_rcv / tcp_v6_rcv, before the
  socket backlog (skb:kfree_skb trace event); arriving while the
  receiver is busy copying, no segment is lost to a full backlog.
- Sockets that take part (TCP_AUTHOPT, or net.ipv4.tcp_authopt_all_sockets)
  but whose connection is plain treat malformed options and MD5+AO segments
  as stock TCP does, like sockets that do not take part.
- Keepalive probes, zero-window probes and challenge ACKs are signed.
- With SYN cookies the SYN-ACK and later segments follow the client's
  RNextKeyID.

Needs: root, a tcp_authopt kernel with tracefs at /sys/kernel/tracing
(skb:kfree_skb event), tc with the netem qdisc, python3-scapy.
"""

import bisect
import fcntl
import hashlib
import os
import re
import socket
import struct
import subprocess
import threading
import time

import pytest

from . import tcp_authopt_algo as algo
from .netns_util import (FLAG_ACTIVE, FLAG_LOCK_KEYID, FLAG_LOCK_RNEXTKEYID, Mkt,
                         get_authopt, recv_exact, set_authopt, set_key,
                         sockaddr_storage)
from .packet_util import (ACK, PSH, RST, SYN, TCPOPT_MD5SIG, AoTracker, AoWire,
                          Capture, Injector, ao_option, describe, fix_tcp_checksum,
                          ip_packet, packed, seq_add, set_mac, tcp_header)

pytestmark = pytest.mark.kernel

FAMILIES = [pytest.param(socket.AF_INET, id="ipv4"),
            pytest.param(socket.AF_INET6, id="ipv6")]
ALGS = [pytest.param(algo.ALG_HMAC_SHA1, id="hmac-sha1"),
        pytest.param(algo.ALG_AES_128_CMAC, id="aes-cmac")]
PORT = 7300
# An address nobody uses: keys bound to it exist but match no real peer.
FAKE_PEER = {socket.AF_INET: "198.51.100.3", socket.AF_INET6: "2001:db8::3"}
RCV_FUNC = {socket.AF_INET: "tcp_v4_rcv", socket.AF_INET6: "tcp_v6_rcv"}
TCP_MD5SIG = 14
MD5_KEY = b"policy test md5 key"
AO_COUNTER_PREFIX = "TCPAuthOpt"


def _pad(opts):
    """Pad with EOL to a multiple of 4 bytes."""
    return opts + bytes(-len(opts) % 4)


# Counters

def tcpext(ns):
    return ns.netstat()["TcpExt"]


def _delta(before, after, names):
    keys = {k for k in after if k.startswith(AO_COUNTER_PREFIX)} | set(names)
    return {k: after.get(k, 0) - before.get(k, 0) for k in sorted(keys)
            if after.get(k, 0) != before.get(k, 0)}


def expect_stats(ns, before, expect, timeout=3.0, settle=0.1):
    """Wait until the TcpExt counters of @ns moved by exactly @expect.

    Every TCPAuthOpt* counter not in @expect must stay put; so must the
    other counters @expect names with a delta of 0.
    """
    want = {k: v for k, v in expect.items() if v}
    deadline = time.monotonic() + timeout
    while _delta(before, tcpext(ns), expect) != want and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(settle)
    got = _delta(before, tcpext(ns), expect)
    assert got == want, f"TcpExt counters of {ns.name} moved by {got}, expected {want}"


def ao_drop_stats(bad_mac=0, required=0, md5_and_ao=0):
    """Counter deltas for TCP-AO drops: TCPAuthOptFailure counts every one."""
    out = {"TCPAuthOptFailure": bad_mac + required + md5_and_ao}
    for name, n in (("TCPAuthOptBadMAC", bad_mac), ("TCPAuthOptRequired", required),
                    ("TCPAuthOptMD5AndAO", md5_and_ao)):
        if n:
            out[name] = n
    return out


# skb:kfree_skb

TRACEFS = "/sys/kernel/tracing"
KFREE_SKB = TRACEFS + "/events/skb/kfree_skb"


def _write(path, value):
    with open(path, "w") as f:
        f.write(value)


def is_ao_reason(name):
    return "AUTHOPT" in name or name.startswith("TCP_AO")


_kallsyms = None
_symbols = {}


def _symbol(location):
    """Function name of a trace event location (symbol+off or an address)."""
    global _kallsyms
    if location in _symbols:
        return _symbols[location]
    m = re.match(r"([A-Za-z_][\w.]*)\+0x", location)
    try:
        addr = None if m else int(location, 16)
    except ValueError:
        return location
    if m:
        name = m.group(1)
    else:
        if _kallsyms is None:
            syms = []
            with open("/proc/kallsyms") as f:
                for line in f:
                    fields = line.split()
                    if len(fields) >= 3 and fields[1] in "tTwW":
                        syms.append((int(fields[0], 16), fields[2]))
            syms.sort()
            assert syms and syms[-1][0], "/proc/kallsyms hides addresses"
            _kallsyms = ([a for a, _ in syms], [n for _, n in syms])
        i = bisect.bisect_right(_kallsyms[0], addr) - 1
        name = _kallsyms[1][i] if i >= 0 else location
    _symbols[location] = name
    return name


def _ring_stat(tracedir, name):
    """Sum of one field of the per-CPU ring buffer stats of a trace instance."""
    total = 0
    for cpu in os.listdir(tracedir + "/per_cpu"):
        with open(f"{tracedir}/per_cpu/{cpu}/stats") as f:
            m = re.search(rf"^{name}: (\d+)", f.read(), re.M)
        total += int(m.group(1)) if m else 0
    return total


class DropTrace:
    """skb:kfree_skb events with a TCP-AO drop reason: (function, reason).

    One trace instance per TCP-AO reason, filtered on it: the reason is
    known from the instance (the printed name is not relied upon), and the
    other frees of a busy test stay out.
    """

    LINE = re.compile(r"kfree_skb:.*location=(\S+)")

    def __init__(self):
        if not os.path.exists(KFREE_SKB + "/format"):
            pytest.fail(f"no {KFREE_SKB}: tracefs or the skb:kfree_skb event missing")
        with open(KFREE_SKB + "/format") as f:
            fmt = f.read()
        self.reasons = {int(n): name for n, name in
                        re.findall(r'\{\s*(\d+),\s*"(\w+)"\s*\}', fmt) if is_ao_reason(name)}
        assert self.reasons, "no TCP-AO drop reason in the kfree_skb event format"
        _write("/proc/sys/kernel/kptr_restrict", "0")
        self.dirs = {}
        for n in self.reasons:
            d = f"{TRACEFS}/instances/tcp_authopt_policy_{n}"
            if not os.path.isdir(d):
                os.mkdir(d)
            self.dirs[n] = d
            # Real addresses, so that kallsyms names the freeing function.
            _write(d + "/trace_options", "nohash-ptr")
            _write(d + "/buffer_size_kb", "2048")
            _write(d + "/events/skb/kfree_skb/filter", f"reason == {n}")
            _write(d + "/trace", "")
            _write(d + "/events/skb/kfree_skb/enable", "1")

    def clear(self):
        for d in self.dirs.values():
            _write(d + "/trace", "")

    def close(self):
        for d in self.dirs.values():
            _write(d + "/events/skb/kfree_skb/enable", "0")
            os.rmdir(d)

    def events(self):
        out = []
        for n, d in self.dirs.items():
            with open(d + "/trace") as f:
                for line in f:
                    m = self.LINE.search(line)
                    if m:
                        out.append((_symbol(m.group(1)), self.reasons[n]))
        return out

    def count(self):
        """Events recorded so far (cheap: no formatting)."""
        return sum(_ring_stat(d, "entries") for d in self.dirs.values())

    def wait(self, count, timeout=5.0, settle=0.2):
        """The events once there are @count of them (or the deadline passed)."""
        deadline = time.monotonic() + timeout
        while self.count() < count and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(settle)
        return self.events()

    def lost(self):
        """Events the ring buffers overwrote (a count assertion must not trust it)."""
        return sum(_ring_stat(d, "overrun") for d in self.dirs.values())


@pytest.fixture
def drops():
    trace = DropTrace()
    yield trace
    trace.close()


def assert_dropped_before_backlog(events, family, count):
    """@count TCP-AO drops, all freed by tcp_v4_rcv / tcp_v6_rcv."""
    where = {}
    for func, reason in events:
        where[(func, reason)] = where.get((func, reason), 0) + 1
    func = RCV_FUNC[family]
    late = {k: n for k, n in where.items() if k[0] != func}
    assert not late, (f"TCP-AO drops outside {func} (after the socket backlog?): "
                      f"{late}; all: {where}")
    assert len(events) == count, f"{len(events)} TCP-AO drops traced, expected {count}: {where}"


# Sockets and connections

def set_md5(sock, peer, key=MD5_KEY):
    """TCP_MD5SIG key for @peer (struct tcp_md5sig)."""
    sock.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG,
                    sockaddr_storage(peer) + struct.pack("=BBHi", 0, 0, len(key), 0) +
                    key.ljust(80, b"\0"))


class Wire(AoWire):
    """An AoWire that leaves out the segments named in .skip.

    A SYN injected into an established connection would make the tracker
    start the connection over; the test checks it another way.
    """

    def __init__(self, cap, tracker):
        super().__init__(cap, tracker)
        self.skip = set()

    def update(self):
        for i, _, ip in self.cap.tcp(self._next):
            self._next = i + 1
            if ip not in self.skip:
                self.checked.append(self.tracker.check(ip))
        return self.checked


class Conn:
    """An ESTABLISHED connection a -> b, captured and injectable at a.

    @mkts: the client's view of the MKTs (the server gets their mirror
    images; each side's keys are bound to the other's address), none for a
    plain connection. @server_setup / @client_setup(sock) run before bind.
    """

    def __init__(self, pair, family, mkts=(), server_setup=None, client_setup=None,
                 client_authopt=None, port=PORT, timeout=5):
        self.pair, self.family = pair, family
        self.a, self.b = pair.a, pair.b
        self.mkts = list(mkts)
        self.aaddr, self.baddr = self.a.addr(family), self.b.addr(family)
        self.port = port
        self.cap = Capture(self.a)
        self.inj = Injector(self.a)
        table = {}
        for m in self.mkts:
            table[(self.aaddr, m.send_id)] = m
            table[(self.baddr, m.recv_id)] = m.mirror()
        self.wire = Wire(self.cap, AoTracker(table))

        self.listener = self.b.socket(family)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for m in self.mkts:
            set_key(self.listener, m.mirror(), self.aaddr)
        if server_setup:
            server_setup(self.listener)
        self.listener.bind((self.baddr, port))
        self.listener.listen(8)
        self.listener.settimeout(timeout)

        self.client = self.a.socket(family)
        for m in self.mkts:
            set_key(self.client, m, self.baddr)
        if client_authopt is not None:
            set_authopt(self.client, *client_authopt)
        if client_setup:
            client_setup(self.client)
        self.client.settimeout(timeout)
        self.client.connect((self.baddr, port))
        self.server, _ = self.listener.accept()
        self.b.track(self.server)
        self.server.settimeout(timeout)
        self.cport = self.client.getsockname()[1]

    def exchange(self, tag=b""):
        """Data both ways: the connection works and nothing forged got in."""
        self.client.sendall(b"ping" + tag)
        assert recv_exact(self.server, 4 + len(tag)) == b"ping" + tag
        self.server.sendall(b"pong" + tag)
        assert recv_exact(self.client, 4 + len(tag)) == b"pong" + tag

    def client_seq(self):
        return self.cap.snd_nxt(self.aaddr, self.cport, self.baddr, self.port)

    def server_seq(self):
        return self.cap.snd_nxt(self.baddr, self.port, self.aaddr, self.cport)

    def forge(self, flags, options=b"", payload=b"", seq_off=0, window=1024):
        """A client -> server segment at the next sequence number + @seq_off."""
        tcp = tcp_header(self.cport, self.port, seq_add(self.client_seq(), seq_off),
                         self.server_seq() if flags & ACK else 0, flags, window,
                         options, payload)
        return ip_packet(self.aaddr, self.baddr, tcp)

    def ao(self):
        m = self.mkts[0]
        return ao_option(m.send_id, m.recv_id)

    def signed(self, flags, payload=b"", seq_off=0):
        """A client -> server segment signed as the client would."""
        return self.wire.sign(self.forge(flags, self.ao(), payload, seq_off))

    def bad_mac(self, flags, payload=b"", seq_off=0):
        """The same, one MAC bit flipped."""
        pkt = self.signed(flags, payload, seq_off)
        mac = algo.find_authopt(algo.parse_ip_packet(pkt).tcphdr).mac
        return set_mac(pkt, mac[:-1] + bytes([mac[-1] ^ 1]))


def _l4_offset(pkt):
    return (pkt[0] & 0xF) * 4 if pkt[0] >> 4 == 4 else 40


def md5_sign(pkt, key=MD5_KEY):
    """@pkt with the digest of its TCP MD5 option (RFC 2385) filled in."""
    seg = algo.parse_ip_packet(pkt)
    tcp_len = len(seg.tcphdr) + len(seg.payload)
    if seg.ipv6:
        pseudo = seg.saddr + seg.daddr + struct.pack("!II", tcp_len, socket.IPPROTO_TCP)
    else:
        pseudo = seg.saddr + seg.daddr + struct.pack("!xBH", socket.IPPROTO_TCP, tcp_len)
    hdr = bytearray(seg.tcphdr[:20])
    hdr[16:18] = b"\0\0"
    digest = hashlib.md5(pseudo + bytes(hdr) + seg.payload + key).digest()
    for off, kind, length in algo.iter_tcp_options(seg.options):
        if kind == TCPOPT_MD5SIG and length == 18:
            at = _l4_offset(pkt) + 20 + off + 2
            return fix_tcp_checksum(pkt[:at] + digest + pkt[at + 16:])
    raise ValueError("no MD5 option")


def expect_delivered(live, payload, before):
    """The server reads @payload next (an injected segment was taken)."""
    live.server.settimeout(3)
    try:
        got = recv_exact(live.server, len(payload))
    except socket.timeout:
        moved = _delta(before, tcpext(live.b), ("TCPMD5Unexpected", "TCPMD5Failure"))
        raise AssertionError(f"segment not delivered within 3 s; TcpExt moved by {moved}") \
            from None
    assert got == payload


def _netns_sysctl_exists(ns, key):
    with ns.inside():
        return os.path.exists("/proc/sys/" + key.replace(".", "/"))


# 1. Forged segments are verified before the socket backlog

@pytest.mark.parametrize("family", FAMILIES)
def test_forged_dropped_before_backlog(pair, family, drops):
    """Every forged segment is freed by tcp_v{4,6}_rcv with a TCP-AO reason.

    The kernel before the fix verified in tcp_v4_do_rcv / tcp_v6_do_rcv,
    which runs from the socket backlog when the owner holds the lock: a
    forged segment could take backlog room from real ones.
    """
    live = Conn(pair, family, [Mkt(7, 9, b"backlog test key")])
    live.exchange()
    bad = [live.bad_mac(ACK | PSH, b"EVIL%d" % i, seq_off=10 * i) for i in range(3)]
    bad += [live.bad_mac(ACK), live.bad_mac(RST | ACK)]
    unsigned = [live.forge(ACK | PSH, payload=b"EVIL%d" % i, seq_off=10 * i)
                for i in range(3)]
    unsigned += [live.forge(ACK), live.forge(RST | ACK)]
    before = tcpext(live.b)
    drops.clear()
    for pkt in bad + unsigned:
        live.inj.send(pkt)
    events = drops.wait(len(bad) + len(unsigned))
    assert_dropped_before_backlog(events, family, len(bad) + len(unsigned))
    reasons = sorted(r for _, r in events)
    assert reasons.count("TCP_AUTHOPT_REQUIRED") == len(unsigned), reasons
    expect_stats(live.b, before, ao_drop_stats(bad_mac=len(bad), required=len(unsigned)))
    live.exchange(b"after")


def _tc(ns, *args):
    subprocess.run(["tc", "-n", ns.name] + list(args), check=True, capture_output=True)


def _frame(ns, pkt):
    """Ethernet frame from @ns to its peer around an IP packet."""
    etype = 0x86DD if pkt[0] >> 4 == 6 else 0x0800
    mac = (bytes.fromhex(ns.peer_mac.replace(":", "")) +
           bytes.fromhex(ns.mac.replace(":", "")))
    return mac + struct.pack("!H", etype) + pkt


SO_RCVBUFFORCE = 33
SIOCINQ = 0x541B


def _inq(sock):
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), SIOCINQ, bytes(4)))[0]


@pytest.mark.parametrize("family", FAMILIES)
def test_forged_burst_while_receiver_busy(pair, family, drops):
    """Forged segments arriving during a long recv() take no backlog room.

    16 MiB wait in the server's receive queue, then one recv() copies them
    with the socket lock held (0.1-0.3 s under UML): what arrives meanwhile
    goes to the socket backlog unless verified before it. The receive
    buffer is shrunk under the queued data first, so the backlog has no
    room at all: any segment put there is dropped and counted in
    TCPBacklogDrop. The client has nothing in flight. The forged segments,
    sent just before the recv(), are held by netem and released in bursts
    of 8 every 25 ms, from its timer: under UML a timer softirq now and
    then waits for the copy to end, so several bursts give several chances
    to land in the middle of it. (A kernel verifying in the backlog fails
    the location check below whatever the timing.)
    """
    mkt = Mkt(7, 9, b"burst test key")

    def big_rcvbuf(sock):
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)

    live = Conn(pair, family, [mkt], server_setup=big_rcvbuf)
    live.exchange()
    data = bytes(range(251)) * (16 << 12)  # 15.7 MiB, not page aligned
    # Forged segments within the window after the transfer: as in-window as
    # real ones would be.
    forged = []
    for i in range(16):
        payload = bytes([0x41 + i]) * 1200
        off = len(data) + 1200 * i
        forged.append(live.bad_mac(ACK | PSH, payload, seq_off=off))
        forged.append(live.forge(ACK | PSH, payload=payload, seq_off=off))
    frames = [_frame(live.a, p) for p in forged]
    live.cap.sock.close()  # the transfer is too big to keep

    live.client.settimeout(60)
    live.client.sendall(data)
    deadline = time.monotonic() + 60
    while _inq(live.server) < len(data):
        assert time.monotonic() < deadline, f"only {_inq(live.server)} bytes arrived"
        time.sleep(0.01)
    live.server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    _tc(live.a, "qdisc", "add", "dev", live.a.ifname, "root", "netem", "slot", "25ms", "25ms",
        "packets", "8")
    before = tcpext(live.b)
    drops.clear()
    buf = bytearray(len(data))
    for frame in frames:
        live.inj.sock.send(frame)
    got = live.server.recv_into(buf)
    assert got == len(data) and buf == data, f"got {got} of {len(data)} bytes, or other data"
    events = drops.wait(len(frames))
    after = tcpext(live.b)
    lost = after["TCPBacklogDrop"] - before["TCPBacklogDrop"]
    assert not lost, (f"{lost} segments dropped for a full socket backlog: forged segments "
                      "reached it")
    assert not drops.lost(), "trace buffer overrun"
    assert_dropped_before_backlog(events, family, len(frames))
    expect_stats(live.b, before, ao_drop_stats(bad_mac=len(frames) // 2,
                                               required=len(frames) // 2))
    _tc(live.a, "qdisc", "del", "dev", live.a.ifname, "root")
    live.exchange(b"after")


# 2. Malformed options on plain connections of sockets that take part

def _fake_key_holder(ns, family):
    """Keys in the namespace, for another peer: none matches our client."""
    holder = ns.socket(family)
    set_key(holder, Mkt(1, 2, b"key for somebody else"), FAKE_PEER[family])
    return holder


def _plain_server(pair, family, mode):
    """server_setup for a plain connection; @mode says how it takes part."""
    b = pair.b
    _fake_key_holder(b, family)
    if mode == "all-sockets":
        if not _netns_sysctl_exists(b, "net.ipv4.tcp_authopt_all_sockets"):
            pytest.fail("no net.ipv4.tcp_authopt_all_sockets")
        b.sysctl("net.ipv4.tcp_authopt_all_sockets", 1)
    if mode == "authopt":
        return set_authopt
    return None


def _check_plain(sock, mode):
    if mode != "not-taking-part":
        assert not get_authopt(sock)[0] & FLAG_ACTIVE, "plain connection reported ACTIVE"


MODES = ["authopt", "all-sockets", "not-taking-part"]

# Malformed option lists (before padding).
MALFORMED = {
    # A kind-253 (experimental) option whose length runs past the header.
    "len-past-header": b"\x01\x01\xfd\x28",
    # TCP-AO option of length 16 with only 10 bytes left.
    "ao-past-header": b"\x01\x01" + bytes([29, 16, 7, 9]) + bytes(6),
    "ao-len4": bytes([29, 4, 7, 9]),
    "ao-len20": bytes([29, 20, 7, 9]) + bytes(16),
    # Kind 29 as the last byte: no room for its length.
    "ao-kind-only": b"\x01\x01\x01" + bytes([29]),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(MALFORMED))
@pytest.mark.parametrize("family", FAMILIES)
def test_malformed_options_plain(pair, family, case, mode):
    """Stock TCP stops parsing a bad option list and takes the segment."""
    live = Conn(pair, family, server_setup=_plain_server(pair, family, mode))
    _check_plain(live.server, mode)
    live.exchange()
    pkt = live.forge(ACK | PSH, _pad(MALFORMED[case]), b"INJECTED")
    before = tcpext(live.b)
    live.inj.send(pkt)
    expect_delivered(live, b"INJECTED", before)
    expect_stats(live.b, before, {})


# 3. Probes and special segments are signed

def _from(addr, port=None):
    src = packed(addr)
    return lambda s: s.saddr == src and (port is None or s.sport == port)


def _keepalive(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 20)


def _index(cap, ip, start):
    return next(i for i, _, pkt in cap.tcp(start) if pkt == ip)


def _probe_and_reply(live, prober, start, timeout=6.0):
    """A keepalive probe from @prober ("client"/"server") and its ACK.

    The probe repeats the last byte acknowledged (seq snd_nxt - 1, no
    data); the reply is an ACK at the peer's snd_nxt acknowledging snd_nxt.
    """
    ends = [(live.aaddr, live.cport), (live.baddr, live.port)]
    if prober == "server":
        ends.reverse()
    (src, sport), (dst, dport) = ends
    nxt = live.cap.snd_nxt(src, sport, dst, dport)
    peer_nxt = live.cap.snd_nxt(dst, dport, src, sport)
    probe = live.cap.wait_for(
        lambda s: (_from(src, sport)(s) and s.flags == ACK and not s.payload and
                   s.seq == seq_add(nxt, -1)),
        start=start, timeout=timeout, what=f"{prober} keepalive probe")
    reply = live.cap.wait_for(
        lambda s: (_from(dst, dport)(s) and s.flags == ACK and not s.payload and
                   s.seq == peer_nxt and s.ack_seq == nxt),
        start=_index(live.cap, probe, start) + 1, what=f"ACK of the {prober} probe")
    return probe, reply


def _assert_signed(live, *pkts):
    checked = live.wire.assert_all_signed()
    for pkt in pkts:
        assert any(c.ip == pkt and c.ok for c in checked), f"not verified: {describe(pkt)}"


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("family", FAMILIES)
def test_keepalive_signed(pair, family, alg):
    """Keepalive probes (at snd_una - 1) of both ends and their ACKs."""
    live = Conn(pair, family, [Mkt(3, 5, b"keepalive test key!", alg)])
    live.exchange()
    mark = live.cap.mark()
    _keepalive(live.client)
    _keepalive(live.server)
    pkts = _probe_and_reply(live, "client", mark) + _probe_and_reply(live, "server", mark)
    _assert_signed(live, *pkts)
    live.exchange(b"after")


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("family", FAMILIES)
def test_zero_window_probe_signed(pair, family, alg):
    """The server stops reading until its window is 0: the client probes."""
    def tiny_rcvbuf(sock):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)

    live = Conn(pair, family, [Mkt(3, 5, b"zero window test key", alg)],
                server_setup=tiny_rcvbuf)
    live.exchange()
    data = bytes(range(256)) * 256
    sender = threading.Thread(target=live.client.sendall, args=(data,))
    mark = live.cap.mark()
    sender.start()
    try:
        zero = live.cap.wait_for(lambda s: (_from(live.baddr)(s) and
                                            struct.unpack_from("!H", s.tcphdr, 14)[0] == 0),
                                 start=mark, what="zero window from the server")
        seg = algo.parse_ip_packet(zero)
        probe = live.cap.wait_for(
            lambda s: (_from(live.aaddr)(s) and not s.payload and
                       s.seq == seq_add(seg.ack_seq, -1)),
            start=_index(live.cap, zero, mark) + 1, what="zero-window probe")
        reply = live.cap.wait_for(
            lambda s: _from(live.baddr)(s) and s.ack_seq == seg.ack_seq,
            start=_index(live.cap, probe, mark) + 1, what="ACK of the zero-window probe")
        got = recv_exact(live.server, len(data))
    finally:
        sender.join(10)
    assert got == data
    _assert_signed(live, probe, reply)


CHALLENGE = [pytest.param("syn", id="in-window-syn"),
             pytest.param("rst", id="in-window-rst")]


@pytest.mark.parametrize("what", CHALLENGE)
@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("family", FAMILIES)
def test_challenge_ack_signed(pair, family, alg, what):
    """A signed SYN, or a signed RST not at rcv_nxt, gets a signed challenge ACK.

    RFC 5961: neither may reset the connection; the server answers with an
    ACK at its snd_nxt telling its rcv_nxt. The SYN is signed as every SYN
    without ACK is (RFC 5925 5.2: ISNs (its sequence number, 0)).
    """
    # One challenge ACK per test; no rate limit may eat it.
    pair.b.sysctl("net.ipv4.tcp_invalid_ratelimit", 0)
    live = Conn(pair, family, [Mkt(3, 5, b"challenge ack test key", alg)])
    live.exchange()
    rcv_nxt, snd_nxt = live.client_seq(), live.server_seq()
    if what == "syn":
        pkt = live.wire.sign(live.forge(SYN, live.ao(), seq_off=100, window=8192))
        live.wire.skip.add(pkt)
    else:
        pkt = live.signed(RST | ACK, seq_off=100)
    mark = live.cap.mark()
    live.inj.send(pkt)
    ack = live.cap.wait_for(lambda s: (_from(live.baddr)(s) and s.flags == ACK and
                                       s.seq == snd_nxt and s.ack_seq == rcv_nxt),
                            start=mark, what="challenge ACK")
    _assert_signed(live, ack)
    live.exchange(b"after")


# 4. SYN cookies and RNextKeyID

# Client view: it sends with KeyID 10 and asks for 20 or 21 (the server's
# send_ids). Unasked, the server would use 20 (lowest send_id).
COOKIE_KEYS = [Mkt(10, 20, b"first cookie key", algo.ALG_HMAC_SHA1),
               Mkt(11, 21, b"second cookie key, CMAC", algo.ALG_AES_128_CMAC)]


@pytest.mark.parametrize("rnext,other", [(21, 20), (20, 21)], ids=["ask21", "ask20"])
@pytest.mark.parametrize("family", FAMILIES)
def test_syncookie_rnextkeyid(pair, family, rnext, other):
    """The cookie SYN-ACK and what follows use the key the SYN asked for.

    A first connection, without cookies, asks for the other key: its freed
    request socket leaves that RNextKeyID in memory a cookie request may
    be built in. Nothing about it may leak into the cookie connection.
    """
    b = pair.b
    first = Conn(pair, family, COOKIE_KEYS,
                 client_authopt=(FLAG_LOCK_KEYID | FLAG_LOCK_RNEXTKEYID, 10, other))
    first.exchange()
    checked = first.wire.assert_all_signed()
    assert {c.ao.keyid for c in checked if c.seg.saddr == packed(first.baddr)} == {other}

    b.sysctl("net.ipv4.tcp_syncookies", 2)
    before = tcpext(b)
    live = Conn(pair, family, COOKIE_KEYS, port=PORT + 1,
                client_authopt=(FLAG_LOCK_KEYID | FLAG_LOCK_RNEXTKEYID, 10, rnext))
    live.exchange()
    live.server.sendall(b"x" * 3000)
    recv_exact(live.client, 3000)
    after = tcpext(b)
    for name in ("SyncookiesSent", "SyncookiesRecv"):
        assert after[name] > before[name], f"{name} did not move: no SYN cookie"
    checked = live.wire.assert_all_signed()
    server = [c for c in checked if c.seg.saddr == packed(live.baddr) and
              c.seg.sport == live.port]
    synack = [c for c in server if c.seg.flags & SYN]
    assert synack, "no SYN-ACK captured"
    assert synack[0].ao.keyid == rnext, (
        f"SYN asked for KeyID {rnext}, cookie SYN-ACK signed with {synack[0].ao.keyid}")
    keyids = [c.ao.keyid for c in server]
    assert set(keyids) == {rnext}, f"server KeyIDs {keyids}, client asked for {rnext}"
    flags, send_keyid, _, recv_keyid, recv_rnext = get_authopt(live.server)
    assert flags & FLAG_ACTIVE
    assert (send_keyid, recv_keyid, recv_rnext) == (rnext, 10, rnext)


# 5. MD5 and TCP-AO options on one segment

MD5_OPTION = bytes([TCPOPT_MD5SIG, 18]) + bytes(16)
MD5_CONNS = ["ao", "plain", "plain-not-taking-part", "md5", "md5-not-taking-part"]


@pytest.mark.parametrize("conn", MD5_CONNS)
@pytest.mark.parametrize("family", FAMILIES)
def test_md5_and_ao(pair, family, conn):
    """Both options: a TCP-AO drop on an authenticated connection only.

    On a plain connection (of a socket that takes part or not) stock TCP
    decides: without an MD5 key the MD5 option is unexpected (dropped,
    TCPMD5Unexpected); with one and a right digest the segment is taken,
    the TCP-AO option being just an unknown option.
    """
    a, b = pair.a, pair.b
    taking_part = not conn.endswith("not-taking-part")
    md5 = conn.startswith("md5")

    def server_setup(sock):
        if md5:
            set_md5(sock, a.addr(family))
        if taking_part and conn != "ao":
            set_authopt(sock)

    def client_setup(sock):
        if md5:
            set_md5(sock, b.addr(family))

    if conn != "ao":
        _fake_key_holder(b, family)
    live = Conn(pair, family, [Mkt(7, 9, b"md5 and ao test key")] if conn == "ao" else [],
                server_setup=server_setup, client_setup=client_setup)
    live.exchange()
    opts = _pad(b"\x01\x01" + MD5_OPTION + ao_option(7, 9, b"\x55" * 12))
    pkt = live.forge(ACK | PSH, opts, b"BOTH")
    if conn == "ao":
        # Signed right: only the MD5 option can get it dropped.
        pkt = live.wire.sign(pkt)
    elif md5:
        pkt = md5_sign(pkt)
    before = tcpext(b)
    live.inj.send(pkt)
    if conn == "ao":
        expect_stats(b, before, ao_drop_stats(md5_and_ao=1))
        live.exchange(b"after")
    elif md5:
        expect_delivered(live, b"BOTH", before)
        expect_stats(b, before, {"TCPMD5Failure": 0, "TCPMD5Unexpected": 0})
    else:
        expect_stats(b, before, {"TCPMD5Unexpected": 1})
        live.exchange(b"after")
