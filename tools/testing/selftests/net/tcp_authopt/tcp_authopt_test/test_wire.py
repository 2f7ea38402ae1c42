# SPDX-License-Identifier: GPL-2.0
"""In-VM: every segment of authenticated connections is signed correctly.

Each test runs connections between two namespaces, captures the veth with an
AF_PACKET socket and checks every TCP segment with the independent
tcp_authopt_algo (ISNs from the SYNs, one SNE per direction): the handshake,
data both ways, FINs, pure ACKs, RSTs, SYN cookies, the replies of TIME-WAIT
and request sockets. Segments injected from the capturing namespace with
scapy make TIME-WAIT and request sockets answer.
"""

import socket
import struct
import time

import pytest

from . import tcp_authopt_algo as algo
from .netns_util import (FLAG_ACTIVE, FLAG_LOCK_KEYID, FLAG_LOCK_RNEXTKEYID, Mkt,
                         establish, expect_counters, get_authopt, listen,
                         recv_exact)
from .packet_util import (ACK, FIN, PSH, RST, SYN, AoTracker, AoWire, Capture,
                          Injector, ao_option, describe, fix_tcp_checksum, ip_packet,
                          packed, seq_add, tcp_header)

pytestmark = pytest.mark.kernel

FAMILIES = [pytest.param(socket.AF_INET, id="ipv4"),
            pytest.param(socket.AF_INET6, id="ipv6")]
ALGS = [pytest.param(algo.ALG_HMAC_SHA1, id="hmac-sha1"),
        pytest.param(algo.ALG_AES_128_CMAC, id="aes-cmac")]
PORT = 7000
FAKE_PEER = {socket.AF_INET: "198.51.100.3", socket.AF_INET6: "2001:db8::3"}


def client_mkt(alg, send_id=3, recv_id=5, include_options=True):
    # 21 bytes: not 16, so the AES-128-CMAC KDF must reduce the key first.
    return Mkt(send_id, recv_id, b"wire test master key!", alg, include_options)


def wire_for(cap, family, pair, client_mkts):
    """AoWire knowing the keys the client (pair.a) and server (pair.b) sign with."""
    mkts = {}
    for m in client_mkts:
        mkts[(pair.a.addr(family), m.send_id)] = m
        mkts[(pair.b.addr(family), m.recv_id)] = m.mirror()
    return AoWire(cap, AoTracker(mkts))


def kinds(checked, client_addr):
    """The kinds of segments seen, e.g. {"SYN", "client FIN", "server data"}."""
    out = set()
    for c in checked:
        seg, flags = c.seg, c.seg.flags
        side = "client" if seg.saddr == packed(client_addr) else "server"
        if flags & SYN:
            out.add("SYN-ACK" if flags & ACK else "SYN")
        if flags & FIN:
            out.add(f"{side} FIN")
        if flags & RST:
            out.add(f"{side} RST")
        if seg.payload:
            out.add(f"{side} data")
        if flags == ACK and not seg.payload:
            out.add("pure ACK")
    return out


def from_addr(addr, flags=None, ack_seq=None, mask=0xFF):
    """Predicate on captured segments: source address, flags, ack number."""
    src = packed(addr)

    def pred(seg):
        return (seg.saddr == src and
                (flags is None or seg.flags & mask == flags) and
                (ack_seq is None or seg.ack_seq == ack_seq))
    return pred


def exchange(client, server):
    # More than one MSS each way, sent at once: GSO would build super-packets.
    c_data = bytes(range(256)) * 24
    s_data = bytes(reversed(range(256))) * 40
    client.sendall(c_data)
    assert recv_exact(server, len(c_data)) == c_data
    server.sendall(s_data)
    assert recv_exact(client, len(s_data)) == s_data


def run_connection(pair, family, alg, closer, syncookies=False, include_options=True):
    """A whole connection, then signed segments for its TIME-WAIT socket."""
    a, b = pair.a, pair.b
    mkt = client_mkt(alg, include_options=include_options)
    # Capture and inject at the end that does not go to TIME-WAIT: the
    # injected segments pretend to come from it.
    tw_ns, other_ns = (a, b) if closer == "client" else (b, a)
    cap = Capture(other_ns)
    inj = Injector(other_ns)
    wire = wire_for(cap, family, pair, [mkt])
    if syncookies:
        b.sysctl("net.ipv4.tcp_syncookies", 2)
    stats_before = b.netstat()["TcpExt"]

    _, client, server = establish(pair, family, PORT, [mkt])
    exchange(client, server)
    # (Right after accept() is test_accepted_socket_active's business.)
    for sock in (client, server):
        assert get_authopt(sock)[0] & FLAG_ACTIVE, "connection not reported ACTIVE"

    tw_sock, other = (client, server) if closer == "client" else (server, client)
    tw_addr, other_addr = tw_ns.addr(family), other_ns.addr(family)
    tw_port = tw_sock.getsockname()[1]
    other_port = other.getsockname()[1]
    other_keyid, other_rnext = ((mkt.recv_id, mkt.send_id) if closer == "client"
                                else (mkt.send_id, mkt.recv_id))
    tw_sock.close()
    assert other.recv(1) == b"", "FIN of the active closer not delivered"
    other.close()
    fin = cap.wait_for(from_addr(other_addr, FIN, mask=FIN), what="FIN of the passive closer")
    fin_seg = algo.parse_ip_packet(fin)
    fin_end = seq_add(fin_seg.seq, len(fin_seg.payload) + 1)
    cap.wait_for(from_addr(tw_addr, ACK, fin_end), what="last ACK of the active closer")

    # Segments for the TIME-WAIT socket: a retransmission of the passive
    # closer's FIN, then out-of-window data. TIME-WAIT ACKs both.
    tw_snd_nxt = cap.snd_nxt(tw_addr, tw_port, other_addr, other_port)
    oow = ip_packet(other_addr, tw_addr,
                    tcp_header(other_port, tw_port, seq_add(fin_end, 1 << 20), tw_snd_nxt,
                               ACK | PSH, options=ao_option(other_keyid, other_rnext),
                               payload=b"out of window"))
    tw_acks = []
    b_before = b.ao_counters()
    for pkt, what in ((fix_tcp_checksum(fin), "a retransmitted FIN"),
                      (oow, "an out-of-window segment")):
        mark = cap.mark()
        inj.send(wire.sign(pkt))
        tw_acks.append(cap.wait_for(from_addr(tw_addr, ACK, fin_end), start=mark,
                                    what=f"TIME-WAIT ACK of {what}"))
        if closer == "server":
            # The client's socket is gone: no ISNs could sign a RST for the
            # signed ACK of TIME-WAIT, so its stack sends none.
            assert_none(cap, from_addr(other_addr, RST, mask=RST), mark,
                        "client RST for the TIME-WAIT ACK")
    if closer == "server":
        expect_counters(b, b_before, {})

    checked = wire.assert_all_signed()
    seen = kinds(checked, a.addr(family))
    want = {"SYN", "SYN-ACK", "client data", "server data", "client FIN", "server FIN",
            "pure ACK"}
    assert want <= seen, f"segment kinds missing: {want - seen}"
    for ip in tw_acks:
        assert any(c.ip == ip and c.ok for c in checked), describe(ip)

    if syncookies:
        after = b.netstat()["TcpExt"]
        for name in ("SyncookiesSent", "SyncookiesRecv"):
            assert after[name] > stats_before[name], f"{name} did not move: no SYN cookie"


@pytest.mark.parametrize("closer", ["client", "server"])
@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("family", FAMILIES)
def test_connection_and_time_wait(pair, family, alg, closer):
    run_connection(pair, family, alg, closer)


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("family", FAMILIES)
def test_exclude_options(pair, family, alg):
    # MKTs with TCP_AUTHOPT_KEY_EXCLUDE_OPTS: the MAC skips the timestamps.
    run_connection(pair, family, alg, "client", include_options=False)


@pytest.mark.parametrize("syncookies", [False, True], ids=["request", "syncookie"])
@pytest.mark.parametrize("family", FAMILIES)
def test_accepted_socket_active(pair, family, syncookies):
    """accept() hands out a socket that reports ACTIVE before any traffic.

    abi.md: accepted sockets' ACTIVE reflects whether their peer matched a
    key; the handshake that created them was authenticated.
    """
    if syncookies:
        pair.b.sysctl("net.ipv4.tcp_syncookies", 2)
    _, client, server = establish(pair, family, PORT, [client_mkt(algo.ALG_HMAC_SHA1)])
    assert get_authopt(client)[0] & FLAG_ACTIVE, "client not ACTIVE after connect()"
    assert get_authopt(server)[0] & FLAG_ACTIVE, "server not ACTIVE after accept()"


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("family", FAMILIES)
def test_syncookies(pair, family, alg):
    # tcp_syncookies=2 sends cookies for every SYN: the SYN-ACK is signed
    # without a request socket and the ACK verified from the cookie.
    run_connection(pair, family, alg, "client", syncookies=True)


@pytest.mark.parametrize("who", ["client", "server"])
@pytest.mark.parametrize("how", ["linger0", "unread-data"])
@pytest.mark.parametrize("family", FAMILIES)
def test_rst_signed(pair, family, how, who):
    alg = algo.ALG_HMAC_SHA1 if how == "linger0" else algo.ALG_AES_128_CMAC
    mkt = client_mkt(alg)
    cap = Capture(pair.a)
    wire = wire_for(cap, family, pair, [mkt])
    _, client, server = establish(pair, family, PORT, [mkt])
    exchange(client, server)
    closer, other = (client, server) if who == "client" else (server, client)
    closer_ns = pair.a if who == "client" else pair.b
    if how == "linger0":
        closer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    else:
        other.sendall(b"never read")
        # Wait until it sits in the closer's receive queue, unread.
        assert closer.recv(10, socket.MSG_PEEK) == b"never read"
    closer.close()
    rst = cap.wait_for(from_addr(closer_ns.addr(family), RST, mask=RST), what="RST")
    # The peer accepted it: so the kernel verified its own signature too.
    with pytest.raises(ConnectionResetError):
        other.recv(10)
    checked = wire.assert_all_signed()
    assert any(c.ip == rst and c.ok for c in checked)


def assert_none(cap, pred, start, what, timeout=1.0):
    """No segment from index @start satisfies pred(seg) within @timeout."""
    time.sleep(timeout)
    hits = [ip for _, seg, ip in cap.tcp(start) if pred(seg)]
    assert not hits, f"{what}: " + "; ".join(describe(ip) for ip in hits)


@pytest.mark.parametrize("family", FAMILIES)
def test_rst_for_no_connection(pair, family):
    """Without a connection there are no ISNs (RFC 5925 7.7): a segment
    carrying TCP-AO gets no RST (its sender would drop an unsigned one);
    one without gets stock TCP's unsigned RST."""
    a, b = pair.a, pair.b
    mkt = client_mkt(algo.ALG_HMAC_SHA1)
    # The namespace has a key for the sender, but nothing listens on PORT + 1.
    listen(b, family, PORT, [mkt.mirror()], a.addr(family))
    cap = Capture(a)
    inj = Injector(a)
    for n, (flags, signed) in enumerate(((SYN, True), (ACK | PSH, True), (ACK | PSH, False))):
        opts = ao_option(mkt.send_id, mkt.recv_id, b"\x55" * 12) if signed else b""
        tcp = tcp_header(40000 + n, PORT + 1, 1000, 2000 if flags & ACK else 0, flags,
                         options=opts, payload=b"x" if flags & ACK else b"")
        mark = cap.mark()
        inj.send(ip_packet(a.addr(family), b.addr(family), tcp))
        rst_for = from_addr(b.addr(family), RST, mask=RST)
        if signed:
            assert_none(cap, rst_for, mark, "RST for a closed port to a TCP-AO segment")
            continue
        rst = cap.wait_for(rst_for, start=mark, what="RST for a closed port")
        seg = algo.parse_ip_packet(rst)
        assert seg.dport == 40000 + n
        assert algo.find_authopt(seg.tcphdr) is None, f"RST signed: {describe(rst)}"


@pytest.mark.parametrize("family", FAMILIES)
def test_request_socket_replies(pair, family):
    """SYN-ACK retransmission and the ACK of a request socket are signed.

    The client is fake (an address nobody owns, reached through a static
    neighbour entry), so nothing answers the SYN-ACK but our injections.
    """
    a, b = pair.a, pair.b
    fake = FAKE_PEER[family]
    pair.add_neigh(b, fake, a.mac)
    mkt = client_mkt(algo.ALG_AES_128_CMAC, 9, 4)
    listener = listen(b, family, PORT, [mkt.mirror()], fake)
    server_addr = b.addr(family)
    cap = Capture(a)
    inj = Injector(a)
    wire = AoWire(cap, AoTracker({(fake, mkt.send_id): mkt,
                                  (server_addr, mkt.recv_id): mkt.mirror()}))
    # Close to the wrap: the client's data will need SNE 1.
    isn, sport = 0xFFFFFF00, 41000
    syn = ip_packet(fake, server_addr,
                    tcp_header(sport, PORT, isn, 0, SYN, 8192,
                               ao_option(mkt.send_id, mkt.recv_id)))
    syn = wire.sign(syn)
    inj.send(syn)
    synack = cap.wait_for(from_addr(server_addr, SYN | ACK, mask=SYN | ACK), what="SYN-ACK")
    server_isn = algo.parse_ip_packet(synack).seq

    # The same SYN again: the request socket retransmits its SYN-ACK.
    mark = cap.mark()
    inj.send(syn)
    cap.wait_for(from_addr(server_addr, SYN | ACK, mask=SYN | ACK), start=mark,
                 what="SYN-ACK retransmission")

    # An ACK out of the window: the request socket answers with an ACK
    # (not rate limited against the SYN-ACK it just sent for the SYN).
    b.sysctl("net.ipv4.tcp_invalid_ratelimit", 0)
    bad = ip_packet(fake, server_addr,
                    tcp_header(sport, PORT, seq_add(isn, 1 << 24), seq_add(server_isn, 1),
                               ACK, 8192, ao_option(mkt.send_id, mkt.recv_id)))
    mark = cap.mark()
    inj.send(wire.sign(bad))
    cap.wait_for(from_addr(server_addr, ACK), start=mark, what="ACK of the request socket")

    # Complete the handshake: the child inherits the keys and signs its data.
    ack = ip_packet(fake, server_addr,
                    tcp_header(sport, PORT, seq_add(isn, 1), seq_add(server_isn, 1), ACK,
                               8192, ao_option(mkt.send_id, mkt.recv_id)))
    inj.send(wire.sign(ack))
    server, _ = listener.accept()
    b.track(server)
    # Data across the sequence number wrap: the second segment has SNE 1.
    data = bytes(range(256)) + bytes(144)
    for off, size in ((0, 300), (300, 100)):
        seg = ip_packet(fake, server_addr,
                        tcp_header(sport, PORT, seq_add(isn, 1 + off), seq_add(server_isn, 1),
                                   ACK | PSH, 8192, ao_option(mkt.send_id, mkt.recv_id),
                                   data[off:off + size]))
        inj.send(wire.sign(seg))
    assert recv_exact(server, len(data)) == data
    server.sendall(b"hello fake client")
    assert get_authopt(server)[0] & FLAG_ACTIVE
    cap.wait_for(lambda s: s.payload == b"hello fake client", what="data of the child")
    checked = wire.assert_all_signed()
    server_segs = [c for c in checked if c.seg.saddr == packed(server_addr)]
    assert len(server_segs) >= 4, [describe(c.ip) for c in server_segs]


@pytest.mark.parametrize("rnext", [20, 21])
@pytest.mark.parametrize("family", FAMILIES)
def test_syn_ack_honours_rnextkeyid(pair, family, rnext):
    """The SYN's RNextKeyID picks the key of the SYN-ACK (and what follows)."""
    # Client view: it signs with send_id 10 and receives with recv_id 20 or 21.
    keys = [Mkt(10, 20, b"first key", algo.ALG_HMAC_SHA1),
            Mkt(11, 21, b"second key, other algorithm", algo.ALG_AES_128_CMAC)]
    cap = Capture(pair.b)
    wire = wire_for(cap, family, pair, keys)
    authopt = (FLAG_LOCK_KEYID | FLAG_LOCK_RNEXTKEYID, 10, rnext)
    _, client, server = establish(pair, family, PORT, keys, client_authopt=authopt)
    exchange(client, server)
    checked = wire.assert_all_signed()
    server_addr = packed(pair.b.addr(family))
    syn = [c for c in checked if c.seg.flags & (SYN | ACK) == SYN]
    synack = [c for c in checked if c.seg.flags & (SYN | ACK) == SYN | ACK]
    assert syn and synack
    assert (syn[0].ao.keyid, syn[0].ao.rnextkeyid) == (10, rnext)
    assert synack[0].ao.keyid == rnext, (
        f"SYN asked for KeyID {rnext}, SYN-ACK signed with {synack[0].ao.keyid}")
    from_server = [c.ao.keyid for c in checked if c.seg.saddr == server_addr]
    assert set(from_server) == {rnext}, f"server KeyIDs {from_server}"
    assert get_authopt(client)[3] == rnext
