# SPDX-License-Identifier: GPL-2.0
"""Capture, build, sign and check TCP-AO segments for the in-VM tests.

The wire is a veth between two namespaces: Capture reads every frame of one
end with an AF_PACKET socket (both directions), Injector sends hand-made IP
packets out of it as if the namespace's stack had sent them. AoTracker
follows the connections of a capture (ISNs from SYN / SYN-ACK, one SNE per
direction) to check every MAC with the independent tcp_authopt_algo, and to
sign injected segments the way a legitimate peer would.
"""

import ipaddress
import select
import socket
import struct
import time
from dataclasses import dataclass

from scapy.layers.inet import ICMP, IP
from scapy.layers.inet6 import ICMPv6DestUnreach, IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import checksum

from . import tcp_authopt_algo as algo

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4
IPPROTO_TCP = 6

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
TCPOPT_MD5SIG = 19


def packed(addr):
    return ipaddress.ip_address(addr).packed


def seq_add(seq, n):
    return (seq + n) & 0xFFFFFFFF


# Building packets

def tcp_header(sport, dport, seq, ack, flags, window=1024, options=b"", payload=b""):
    """TCP header (checksum zero) + options + payload; options are exact."""
    if len(options) % 4 or len(options) > 40:
        raise ValueError("TCP options must be a multiple of 4, at most 40 bytes")
    doff = (20 + len(options)) // 4
    return (struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags,
                        window, 0, 0) + options + payload)


def ao_option(keyid, rnextkeyid, mac=bytes(algo.MAC_LEN)):
    return bytes([algo.TCPOPT_AUTHOPT, algo.AUTHOPT_LEN, keyid, rnextkeyid]) + mac


def _l4_offset(pkt):
    return (pkt[0] & 0xF) * 4 if pkt[0] >> 4 == 4 else 40


def fix_tcp_checksum(pkt):
    """The packet with a correct TCP checksum (captures carry partial ones)."""
    pkt = bytearray(pkt)
    seg = algo.parse_ip_packet(bytes(pkt))
    off = _l4_offset(pkt)
    tcp_len = len(seg.tcphdr) + len(seg.payload)
    if seg.ipv6:
        pseudo = seg.saddr + seg.daddr + struct.pack("!I3xB", tcp_len, IPPROTO_TCP)
    else:
        pseudo = seg.saddr + seg.daddr + struct.pack("!xBH", IPPROTO_TCP, tcp_len)
    pkt[off + 16:off + 18] = b"\0\0"
    csum = checksum(pseudo + bytes(pkt[off:off + tcp_len]))
    pkt[off + 16:off + 18] = struct.pack("!H", csum)
    return bytes(pkt)


def ip_packet(src, dst, tcp):
    """IPv4 or IPv6 packet around a TCP header built by tcp_header()."""
    if ":" in src:
        ip = IPv6(src=src, dst=dst, nh=IPPROTO_TCP, hlim=64) / Raw(tcp)
    else:
        ip = IP(src=src, dst=dst, proto=IPPROTO_TCP, ttl=64) / Raw(tcp)
    return fix_tcp_checksum(bytes(ip))


def set_mac(pkt, mac):
    """Write @mac into the TCP-AO option of @pkt (and fix the checksum)."""
    seg = algo.parse_ip_packet(pkt)
    ao = algo.find_authopt(seg.tcphdr)
    off = _l4_offset(pkt) + ao.offset + 4
    return fix_tcp_checksum(pkt[:off] + mac + pkt[off + algo.MAC_LEN:])


def set_keyid(pkt, keyid):
    """Change the KeyID of the TCP-AO option of @pkt (and fix the checksum)."""
    seg = algo.parse_ip_packet(pkt)
    off = _l4_offset(pkt) + algo.find_authopt(seg.tcphdr).offset + 2
    return fix_tcp_checksum(pkt[:off] + bytes([keyid]) + pkt[off + 1:])


def icmp_error(src, dst, quoted, code):
    """ICMPv4 dest-unreach or ICMPv6 dest-unreach quoting a packet."""
    if ":" in src:
        return bytes(IPv6(src=src, dst=dst, hlim=64) /
                     ICMPv6DestUnreach(code=code) / Raw(quoted))
    return bytes(IP(src=src, dst=dst, ttl=64) / ICMP(type=3, code=code) / Raw(quoted))


def describe(pkt):
    """One line about a TCP packet, for assertion messages."""
    try:
        seg = algo.parse_ip_packet(pkt)
    except ValueError as err:
        return f"<unparsable: {err}>"
    flags = "".join(c for bit, c in ((SYN, "S"), (FIN, "F"), (RST, "R"), (PSH, "P"),
                                     (ACK, "."))
                    if seg.flags & bit)
    src = ipaddress.ip_address(seg.saddr)
    dst = ipaddress.ip_address(seg.daddr)
    return (f"{src}.{seg.sport} > {dst}.{seg.dport} [{flags}] seq {seg.seq} "
            f"ack {seg.ack_seq} len {len(seg.payload)}")


# The wire

@dataclass
class Frame:
    outgoing: bool  # sent out of the captured end of the veth
    ip: bytes


class Capture:
    """Every IPv4/IPv6 frame crossing the veth end of a namespace."""

    def __init__(self, ns):
        self.sock = ns.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        # SO_RCVBUFFORCE: room for a whole test even if we read late.
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)
        self.sock.bind((ns.ifname, ETH_P_ALL))
        self.sock.setblocking(False)
        self.frames = []

    def poll(self, timeout=0.0):
        """Read all queued frames, waiting up to @timeout for one."""
        select.select([self.sock], [], [], timeout)
        while True:
            try:
                data, addr = self.sock.recvfrom(65536)
            except BlockingIOError:
                return
            etype = struct.unpack_from("!H", data, 12)[0]
            if etype in (ETH_P_IP, ETH_P_IPV6):
                self.frames.append(Frame(addr[2] == PACKET_OUTGOING, data[14:]))

    def tcp(self, start=0):
        """[(index, TcpSegment, ip bytes)] of the TCP frames from @start."""
        self.poll()
        out = []
        for i, f in enumerate(self.frames[start:], start):
            try:
                seg = algo.parse_ip_packet(f.ip)
            except ValueError:
                continue
            out.append((i, seg, f.ip))
        return out

    def wait_for(self, pred, start=0, timeout=3.0, what="segment"):
        """The first TCP packet from index @start that satisfies pred(seg)."""
        deadline = time.monotonic() + timeout
        seen = start
        while True:
            for i, seg, ip in self.tcp(seen):
                seen = i + 1
                if pred(seg):
                    return ip
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {what} on the wire within {timeout}s; saw:\n" +
                                     "\n".join(describe(ip) for _, _, ip in self.tcp(start)))
            self.poll(min(left, 0.05))

    def mark(self):
        """Index of the next frame: what arrives later has index >= mark."""
        self.poll()
        return len(self.frames)

    def snd_nxt(self, saddr, sport, daddr, dport):
        """Sequence number after the last one sent from saddr:sport to daddr:dport."""
        isn, best = None, 0
        for _, seg, _ in self.tcp():
            if (seg.saddr, seg.sport, seg.daddr, seg.dport) != (packed(saddr), sport,
                                                                 packed(daddr), dport):
                continue
            if seg.flags & SYN:
                isn, best = seg.seq, 0
            if isn is None:
                continue
            end = (seg.seq - isn + len(seg.payload) + (seg.flags & SYN and 1) +
                   (seg.flags & FIN and 1)) & 0xFFFFFFFF
            best = max(best, end)
        assert isn is not None, f"no SYN from {saddr}.{sport} captured"
        return seq_add(isn, best)


class Injector:
    """Sends IP packets out of a namespace's veth, bypassing its stack."""

    def __init__(self, ns):
        self.ns = ns
        self.sock = ns.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.sock.bind((ns.ifname, 0))

    def send(self, pkt, dst_mac=None):
        etype = ETH_P_IPV6 if pkt[0] >> 4 == 6 else ETH_P_IP
        frame = Ether(src=self.ns.mac, dst=dst_mac or self.ns.peer_mac, type=etype) / Raw(pkt)
        self.sock.send(bytes(frame))


# TCP-AO state of the captured connections

@dataclass
class Checked:
    """What AoTracker found about one segment."""
    seg: algo.TcpSegment
    ip: bytes
    ao: object  # algo.AuthOpt or None
    ok: bool  # carries TCP-AO with a MAC that verifies
    error: str = ""


class AoTracker:
    """Follows connections by their SYNs and checks / makes their MACs.

    @mkts maps (sender address, KeyID) to the Mkt the sender signs with.
    """

    def __init__(self, mkts):
        self.mkts = {(packed(addr), keyid): mkt for (addr, keyid), mkt in mkts.items()}
        self.conns = {}

    def _context(self, seg, advance):
        """(KDF context, SNE) of a segment; @advance updates the state."""
        src, dst = (seg.saddr, seg.sport), (seg.daddr, seg.dport)
        conn = frozenset((src, dst))
        syn, ack = seg.flags & SYN, seg.flags & ACK
        if syn and not ack:
            if advance:
                self.conns[conn] = ({src: seg.seq}, {src: algo.SneTracker(0, seg.seq)})
            return algo.kdf_context(seg.saddr, seg.daddr, seg.sport, seg.dport,
                                    seg.seq, 0), 0
        if conn not in self.conns:
            raise LookupError("no SYN of this connection seen")
        isns, snes = self.conns[conn]
        if syn:
            if dst not in isns:
                raise LookupError("SYN-ACK without the peer's SYN")
            if advance:
                isns[src] = seg.seq
                snes[src] = algo.SneTracker(0, seg.seq)
            return algo.kdf_context(seg.saddr, seg.daddr, seg.sport, seg.dport,
                                    seg.seq, isns[dst]), 0
        if src not in isns or dst not in isns:
            raise LookupError("ISN of one side unknown")
        tracker = snes[src]
        if not advance:
            tracker = algo.SneTracker(tracker.sne, tracker.seq)
        sne = tracker.update(seg.seq)
        return algo.kdf_context(seg.saddr, seg.daddr, seg.sport, seg.dport,
                                isns[src], isns[dst]), sne

    def check(self, ip):
        """Check one captured packet (in capture order)."""
        seg = algo.parse_ip_packet(ip)
        try:
            ctx, sne = self._context(seg, advance=True)
        except LookupError as err:
            return Checked(seg, ip, None, False, str(err))
        try:
            ao = algo.find_authopt(seg.tcphdr)
        except ValueError as err:
            return Checked(seg, ip, None, False, f"malformed options: {err}")
        if ao is None:
            return Checked(seg, ip, None, False, "no TCP-AO option")
        mkt = self.mkts.get((seg.saddr, ao.keyid))
        if mkt is None:
            return Checked(seg, ip, ao, False, f"KeyID {ao.keyid} names no MKT of the sender")
        tkey = algo.kdf(mkt.alg, mkt.key, ctx)
        if not algo.check_mac(mkt.alg, tkey, ip, sne, mkt.include_options):
            return Checked(seg, ip, ao, False, f"bad MAC (SNE {sne}, KeyID {ao.keyid})")
        return Checked(seg, ip, ao, True)

    def check_all(self, ips):
        return [self.check(ip) for ip in ips]

    def sign(self, ip):
        """@ip (with a TCP-AO option) signed as its sender would sign it.

        The state is not advanced: check() does that when the signed packet
        shows up in the capture.
        """
        seg = algo.parse_ip_packet(ip)
        ao = algo.find_authopt(seg.tcphdr)
        mkt = self.mkts[(seg.saddr, ao.keyid)]
        ctx, sne = self._context(seg, advance=False)
        tkey = algo.kdf(mkt.alg, mkt.key, ctx)
        return set_mac(ip, algo.calc_mac(mkt.alg, tkey, ip, sne, mkt.include_options))


class AoWire:
    """A capture whose TCP segments are all checked, in order, by an AoTracker."""

    def __init__(self, cap, tracker):
        self.cap = cap
        self.tracker = tracker
        self.checked = []
        self._next = 0

    def update(self):
        """Check what was captured since the last call."""
        for i, _, ip in self.cap.tcp(self._next):
            self.checked.append(self.tracker.check(ip))
            self._next = i + 1
        return self.checked

    def sign(self, ip):
        """Sign @ip as its sender would, with the state of the capture so far."""
        self.update()
        return self.tracker.sign(ip)

    def assert_all_signed(self, exempt=(), mtu=1500):
        """Every TCP segment so far carries TCP-AO with a MAC that verifies,
        and fits the link's @mtu.

        A packet larger than the MTU is a GSO super-packet, which a capture
        on veth sees whole: on a real link it is cut into segments that all
        carry the one MAC made over all of them, and the peer drops them.
        @exempt: ip bytes of segments known to be legitimately unsigned.
        """
        self.update()
        assert self.checked, "no TCP segment captured"
        bad = [f"{describe(c.ip)}: {c.error}" for c in self.checked
               if not c.ok and c.ip not in exempt]
        assert not bad, (f"{len(bad)} of {len(self.checked)} segments without a valid "
                         "TCP-AO:\n" + "\n".join(bad))
        big = [f"{describe(c.ip)}: {len(c.ip)} bytes" for c in self.checked
               if len(c.ip) > mtu]
        assert not big, (f"{len(big)} GSO super-packets on a TCP-AO connection "
                         f"(MTU {mtu}):\n" + "\n".join(big))
        return self.checked
