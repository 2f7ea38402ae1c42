# SPDX-License-Identifier: GPL-2.0
"""In-VM: forged segments and ICMP errors against authenticated connections.

The victim is the server end (namespace b) of a live connection; the
attacker sends hand-made packets out of the client's namespace (a) with the
client's addresses, reading sequence numbers off a capture of the veth.
Every forgery must be dropped and counted in the right TcpExt counter while
the connection keeps working; only a correctly signed RST may reset it.
"""

import errno
import socket
import struct
import time

import pytest

from . import tcp_authopt_algo as algo
from .netns_util import (FLAG_ACTIVE, FLAG_REJECT_UNEXPECTED, Mkt, establish,
                         expect_counters, get_authopt, listen, recv_exact, set_key)
from .packet_util import (ACK, PSH, RST, SYN, TCPOPT_MD5SIG, AoTracker, AoWire, Capture,
                          Injector, ao_option, describe, fix_tcp_checksum, icmp_error,
                          ip_packet, packed, seq_add, set_keyid, set_mac,
                          tcp_header)

pytestmark = pytest.mark.kernel

FAMILIES = [pytest.param(socket.AF_INET, id="ipv4"),
            pytest.param(socket.AF_INET6, id="ipv6")]
PORT = 7100
CLIENT_PORT = 42000
FAKE_PEER = {socket.AF_INET: "198.51.100.3", socket.AF_INET6: "2001:db8::3"}
IP_RECVERR, IPV6_RECVERR = 11, 25  # not exported by the socket module
TCP_SYN_SENT, TCP_CLOSE = 2, 7  # tcpi_state


class Live:
    """An ESTABLISHED connection a -> b, authenticated unless @keys is empty."""

    def __init__(self, pair, family, keys=None, sport=0, exchange=True):
        self.pair, self.family = pair, family
        self.a, self.b = pair.a, pair.b
        self.mkt = Mkt(7, 9, b"inject test master key", algo.ALG_HMAC_SHA1)
        self.keys = [self.mkt] if keys is None else keys
        self.cap = Capture(self.a)
        self.inj = Injector(self.a)
        mkts = {}
        for m in self.keys:
            mkts[(self.a.addr(family), m.send_id)] = m
            mkts[(self.b.addr(family), m.recv_id)] = m.mirror()
        self.wire = AoWire(self.cap, AoTracker(mkts))
        self.listener, self.client, self.server = establish(pair, family, PORT, self.keys,
                                                            sport=sport)
        self.cport = self.client.getsockname()[1]
        if exchange:
            self.exchange()

    def exchange(self, tag=b""):
        """Data both ways: the connection works and nothing forged got in."""
        self.client.sendall(b"ping" + tag)
        assert recv_exact(self.server, 4 + len(tag)) == b"ping" + tag
        self.server.sendall(b"pong" + tag)
        assert recv_exact(self.client, 4 + len(tag)) == b"pong" + tag

    def client_seq(self):
        return self.cap.snd_nxt(self.a.addr(self.family), self.cport,
                                self.b.addr(self.family), PORT)

    def server_seq(self):
        return self.cap.snd_nxt(self.b.addr(self.family), PORT,
                                self.a.addr(self.family), self.cport)

    def forge(self, flags, options=b"", payload=b""):
        """A client -> server segment at the exact next sequence number."""
        tcp = tcp_header(self.cport, PORT, self.client_seq(), self.server_seq(), flags,
                         options=options, payload=payload)
        return ip_packet(self.a.addr(self.family), self.b.addr(self.family), tcp)

    def ao(self, keyid=None):
        return ao_option(self.mkt.send_id if keyid is None else keyid, self.mkt.recv_id)

    def inject(self, pkt, expect):
        """Send @pkt to the server; its TCP-AO counters must move by @expect."""
        before = self.b.ao_counters()
        self.inj.send(pkt)
        expect_counters(self.b, before, expect)


@pytest.mark.parametrize("family", FAMILIES)
def test_unsigned_rst(pair, family):
    live = Live(pair, family)
    live.inject(live.forge(RST | ACK), {"TCPAuthOptRequired": 1})
    live.exchange()


@pytest.mark.parametrize("family", FAMILIES)
def test_rst_bad_mac(pair, family):
    live = Live(pair, family)
    rst = live.wire.sign(live.forge(RST | ACK, live.ao()))
    mac = algo.find_authopt(algo.parse_ip_packet(rst).tcphdr).mac
    live.inject(set_mac(rst, mac[:-1] + bytes([mac[-1] ^ 1])), {"TCPAuthOptBadMAC": 1})
    live.exchange()


@pytest.mark.parametrize("family", FAMILIES)
def test_rst_signed_resets(pair, family):
    live = Live(pair, family)
    live.inject(live.wire.sign(live.forge(RST | ACK, live.ao())), {})
    with pytest.raises(ConnectionResetError):
        live.server.recv(10)


def _pad(opts):
    """Pad with EOL to a multiple of 4 bytes."""
    return opts + bytes(-len(opts) % 4)


MD5_OPTION = bytes([TCPOPT_MD5SIG, 18]) + bytes(range(16))

# name -> (options, counter). Tuples name well-formed options.
MALFORMED = {
    "ao-len0": (_pad(bytes([29, 0])), "TCPAuthOptMalformed"),
    "ao-len1": (_pad(bytes([29, 1])), "TCPAuthOptMalformed"),
    "ao-len2": (_pad(bytes([29, 2])), "TCPAuthOptMalformed"),
    "ao-len3": (_pad(bytes([29, 3, 7])), "TCPAuthOptMalformed"),
    "ao-len15": (_pad(bytes([29, 15, 7, 9]) + bytes(11)), "TCPAuthOptMalformed"),
    "ao-len17": (_pad(bytes([29, 17, 7, 9]) + bytes(13)), "TCPAuthOptMalformed"),
    "ao-len20": (bytes([29, 20, 7, 9]) + bytes(16), "TCPAuthOptMalformed"),
    # The kind is the last byte of the header: no room for a length.
    "truncated-kind": (b"\x01\x01\x01" + bytes([29]), "TCPAuthOptMalformed"),
    # A length of 16 with only 10 bytes left in the header.
    "truncated-mac": (b"\x01\x01" + bytes([29, 16, 7, 9]) + bytes(6), "TCPAuthOptMalformed"),
    "two-ao": (("AO", "AO"), "TCPAuthOptMalformed"),
    "ao-then-md5": (("AO", "MD5"), "TCPAuthOptMD5AndAO"),
    "md5-then-ao": (("MD5", "AO"), "TCPAuthOptMD5AndAO"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
@pytest.mark.parametrize("family", FAMILIES)
def test_malformed_options(pair, family, case):
    live = Live(pair, family)
    opts, counter = MALFORMED[case]
    if isinstance(opts, tuple):
        parts = {"AO": live.ao(), "MD5": MD5_OPTION}
        pkt = live.forge(ACK | PSH, _pad(b"".join(parts[p] for p in opts)), b"EVIL")
        if opts.count("AO") == 1:
            # Signed correctly over all options: only the MD5 option can
            # make the kernel drop it.
            pkt = live.wire.sign(pkt)
    else:
        pkt = live.forge(ACK | PSH, opts, b"EVIL")
    live.inject(pkt, {counter: 1})
    # Had "EVIL" been taken, the server would read it before "ping".
    live.exchange()


@pytest.mark.parametrize("family", FAMILIES)
def test_unknown_keyid(pair, family):
    live = Live(pair, family)
    pkt = live.wire.sign(live.forge(ACK | PSH, live.ao(), b"EVIL"))
    # Same MAC, other KeyID: no MKT of the server has RecvID 99.
    pkt = set_keyid(pkt, 99)
    live.inject(pkt, {"TCPAuthOptKeyNotFound": 1})
    live.exchange()


@pytest.mark.parametrize("family", FAMILIES)
def test_replay_from_earlier_connection(pair, family):
    first = Live(pair, family, sport=CLIENT_PORT)
    first.client.sendall(b"first connection")
    assert recv_exact(first.server, 16) == b"first connection"
    old = first.cap.wait_for(lambda s: s.payload == b"first connection")
    # Abort: no TIME-WAIT, the 4-tuple is free at once.
    first.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    first.client.close()
    with pytest.raises(ConnectionResetError):
        first.server.recv(1)

    _, client, server = establish(pair, family, PORT, [first.mkt], sport=CLIENT_PORT,
                                  listener=first.listener)
    assert client.getsockname()[1] == CLIENT_PORT
    first.client, first.server = client, server
    first.exchange(b"2")
    # Captured from the first connection: its MAC was right then, but the
    # traffic keys of the new connection come from other ISNs.
    first.inject(fix_tcp_checksum(old), {"TCPAuthOptBadMAC": 1})
    first.exchange(b"3")


ICMP_CASES = [
    pytest.param(socket.AF_INET, 2, errno.ENOPROTOOPT, id="ipv4-proto-unreach"),
    pytest.param(socket.AF_INET, 3, errno.ECONNREFUSED, id="ipv4-port-unreach"),
    pytest.param(socket.AF_INET6, 1, errno.EACCES, id="ipv6-admin-prohibited"),
    pytest.param(socket.AF_INET6, 2, errno.EHOSTUNREACH, id="ipv6-beyond-scope"),
    pytest.param(socket.AF_INET6, 3, errno.EHOSTUNREACH, id="ipv6-addr-unreach"),
    pytest.param(socket.AF_INET6, 4, errno.ECONNREFUSED, id="ipv6-port-unreach"),
]


AUTHENTICATED = pytest.mark.parametrize("authenticated", [True, False],
                                        ids=["ao", "plain-control"])


def _set_recverr(sock, family):
    if family == socket.AF_INET:
        sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    else:
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)


def _wait_so_error(sock, timeout=2.0):
    deadline = time.monotonic() + timeout
    while True:
        got = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.01)


def _tcp_state(sock):
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]


def _icmp_against_server(live, code, err, authenticated):
    """An ICMP error quoting a segment the server sent, from the client side.

    With IP_RECVERR an ESTABLISHED socket reports hard errors as its error:
    the plain TCP control shows the forged ICMP does reach the socket.
    """
    family = live.family
    _set_recverr(live.server, family)
    b_addr, a_addr = live.b.addr(family), live.a.addr(family)
    # Quote a segment the server sent (sequence number within its window).
    quoted = ip_packet(b_addr, a_addr, tcp_header(PORT, live.cport, live.server_seq(),
                                                  live.client_seq(), ACK))
    icmp = icmp_error(a_addr, b_addr, quoted, code)
    if authenticated:
        live.inject(icmp, {"TCPAuthOptIcmpIgnored": 1})
        assert live.server.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        live.exchange()
        return
    live.inject(icmp, {})
    got = _wait_so_error(live.server)
    assert got == err, f"plain TCP: SO_ERROR {got}, expected {err}: ICMP not delivered?"


@AUTHENTICATED
@pytest.mark.parametrize("family,code,err", ICMP_CASES)
def test_icmp_hard_error(pair, family, code, err, authenticated):
    """Hard ICMP errors do not touch an authenticated connection."""
    live = Live(pair, family, keys=None if authenticated else [])
    _icmp_against_server(live, code, err, authenticated)


@AUTHENTICATED
@pytest.mark.parametrize("family,code,err", [ICMP_CASES[1], ICMP_CASES[2]])
def test_icmp_hard_error_just_accepted(pair, family, code, err, authenticated):
    """Same, for a socket fresh from accept() that sent nothing yet."""
    live = Live(pair, family, keys=None if authenticated else [], exchange=False)
    _icmp_against_server(live, code, err, authenticated)


@AUTHENTICATED
@pytest.mark.parametrize("family,code,err", [ICMP_CASES[1], ICMP_CASES[2], ICMP_CASES[5]])
def test_icmp_hard_error_syn_sent(pair, family, code, err, authenticated):
    """A hard ICMP error aborts a plain connect() but not an authenticated one.

    The client connects to an address nobody owns (a static neighbour
    entry sends its SYNs to b, which drops them): it stays in SYN_SENT
    while b, as a router would, answers with the ICMP error.
    """
    a, b = pair.a, pair.b
    fake = FAKE_PEER[family]
    pair.add_neigh(a, fake, b.mac)
    cap = Capture(b)
    inj = Injector(b)
    client = a.socket(family)
    if authenticated:
        set_key(client, Mkt(1, 2, b"syn-sent key"), fake)
    client.setblocking(False)
    assert client.connect_ex((fake, PORT)) == errno.EINPROGRESS
    syn = cap.wait_for(lambda s: s.flags == SYN, what="SYN")
    assert _tcp_state(client) == TCP_SYN_SENT
    before = a.ao_counters()
    inj.send(icmp_error(b.addr(family), a.addr(family), syn, code), dst_mac=a.mac)
    if authenticated:
        expect_counters(a, before, {"TCPAuthOptIcmpIgnored": 1})
        assert client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        assert _tcp_state(client) == TCP_SYN_SENT
        return
    got = _wait_so_error(client)
    assert got == err, f"plain TCP: SO_ERROR {got}, expected {err}: ICMP not delivered?"
    assert _tcp_state(client) == TCP_CLOSE
    expect_counters(a, before, {}, settle=0)


@pytest.mark.parametrize("reject", [True, False], ids=["reject", "accept"])
@pytest.mark.parametrize("family", FAMILIES)
def test_unexpected_ao(pair, family, reject):
    """A signed SYN from a peer no key matches: dropped only when asked to.

    The peer is fake (an address nobody owns, reached through a static
    neighbour entry): nothing but our injections answers the server.
    """
    a, b = pair.a, pair.b
    fake, server_addr = FAKE_PEER[family], b.addr(family)
    pair.add_neigh(b, fake, a.mac)
    fake_mkt = Mkt(5, 6, b"fake peer key")
    # The server has a key, but for a, not for the fake peer.
    listener = listen(b, family, PORT, [Mkt(1, 2, b"key for someone else")], a.addr(family),
                      (FLAG_REJECT_UNEXPECTED if reject else 0,))
    cap = Capture(a)
    inj = Injector(a)
    wire = AoWire(cap, AoTracker({(fake, fake_mkt.send_id): fake_mkt}))
    isn, sport = 123456789, 43000
    syn = wire.sign(ip_packet(fake, server_addr,
                              tcp_header(sport, PORT, isn, 0, SYN, 8192, ao_option(5, 6))))
    before = b.ao_counters()
    mark = cap.mark()
    inj.send(syn)
    from_server = packed(server_addr)
    if reject:
        expect_counters(b, before, {"TCPAuthOptUnexpected": 1})
        time.sleep(0.2)
        replies = [describe(ip) for _, seg, ip in cap.tcp(mark) if seg.saddr == from_server]
        assert not replies, f"server answered a rejected SYN: {replies}"
        return
    synack = cap.wait_for(lambda s: s.saddr == from_server and s.flags == SYN | ACK,
                          start=mark, what="SYN-ACK")
    seg = algo.parse_ip_packet(synack)
    assert algo.find_authopt(seg.tcphdr) is None, f"SYN-ACK signed: {describe(synack)}"
    inj.send(ip_packet(fake, server_addr,
                       tcp_header(sport, PORT, isn + 1, seq_add(seg.seq, 1), ACK, 8192)))
    server, _ = listener.accept()
    b.track(server)
    assert not get_authopt(server)[0] & FLAG_ACTIVE
    server.sendall(b"plain")
    data = cap.wait_for(lambda s: s.payload == b"plain", what="data of the plain child")
    assert algo.find_authopt(algo.parse_ip_packet(data).tcphdr) is None
    expect_counters(b, before, {}, settle=0)
