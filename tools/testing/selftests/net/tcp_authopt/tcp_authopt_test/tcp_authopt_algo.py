# SPDX-License-Identifier: GPL-2.0-or-later
"""Independent reference implementation of TCP-AO (RFC 5925 / RFC 5926).

Used to verify the kernel's tcp_authopt code, so it is written from the RFCs
and deliberately shares nothing with it (nor with scapy's sign_tcpao(), which
MACs the MAC field and is wrong):

* kdf_context() / kdf(): traffic key derivation, HMAC-SHA-1 or AES-128-CMAC
  (with the RFC 5926 reduction of a master key that is not 16 bytes long),
  and the HMAC-SHA-2 algorithms of upstream Linux's ABI (RFC 5926 3.1.1.1
  with Output_Length the digest size, as upstream derives them);
* parse_ip_packet() / find_authopt(): struct-based IPv4/IPv6 + TCP parsing,
  locating the TCP-AO option (kind 29) and rejecting malformed options;
* mac_input() / calc_mac() / check_mac(): the MAC over SNE || pseudo-header ||
  TCP header (checksum and MAC zeroed, other options optionally left out) ||
  payload, truncated to 96 bits;
* SneTracker: RFC 9187-correct sequence number extension tracking.

Packets are raw bytes starting at the IP header; addresses are packed bytes
(4 or 16) or anything ipaddress.ip_address() accepts.
"""

import hashlib
import hmac
import ipaddress
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import algorithms

ALG_HMAC_SHA1 = 1  # HMAC-SHA-1-96, uapi TCP_AUTHOPT_ALG_HMAC_SHA_1_96
ALG_AES_128_CMAC = 2  # AES-128-CMAC-96, uapi TCP_AUTHOPT_ALG_AES_128_CMAC_96
# Upstream's ABI only ("hmac(sha224)" ... "hmac(md5)"): the kernel's
# internal ids, which no uapi enum has.
ALG_HMAC_SHA224, ALG_HMAC_SHA256, ALG_HMAC_SHA384, ALG_HMAC_SHA512 = 3, 4, 5, 6
ALG_HMAC_SHA3_224, ALG_HMAC_SHA3_256, ALG_HMAC_SHA3_384, ALG_HMAC_SHA3_512 = 7, 8, 9, 10
ALG_HMAC_RMD160, ALG_HMAC_MD5 = 11, 12
# Hash of each HMAC algorithm but SHA-1, by hashlib name.
HMAC_HASHES = {ALG_HMAC_SHA224: "sha224", ALG_HMAC_SHA256: "sha256",
               ALG_HMAC_SHA384: "sha384", ALG_HMAC_SHA512: "sha512",
               ALG_HMAC_SHA3_224: "sha3_224", ALG_HMAC_SHA3_256: "sha3_256",
               ALG_HMAC_SHA3_384: "sha3_384", ALG_HMAC_SHA3_512: "sha3_512",
               ALG_HMAC_RMD160: "ripemd160", ALG_HMAC_MD5: "md5"}
ALG_NAMES = {"HMAC-SHA-1-96": ALG_HMAC_SHA1, "AES-128-CMAC-96": ALG_AES_128_CMAC,
             "HMAC-SHA-224-96": ALG_HMAC_SHA224, "HMAC-SHA-256-96": ALG_HMAC_SHA256,
             "HMAC-SHA-384-96": ALG_HMAC_SHA384, "HMAC-SHA-512-96": ALG_HMAC_SHA512}

TCPOPT_EOL = 0
TCPOPT_NOP = 1
TCPOPT_AUTHOPT = 29
MAC_LEN = 12
AUTHOPT_LEN = 4 + MAC_LEN
IPPROTO_TCP = 6

# Traffic key length in bytes for each algorithm (Output_Length / 8): a
# digest of the other HMACs.
TRAFFIC_KEY_LEN = {ALG_HMAC_SHA1: 20, ALG_AES_128_CMAC: 16,
                   **{alg: hashlib.new(name).digest_size
                      for alg, name in HMAC_HASHES.items()}}


def aes_cmac(key: bytes, msg: bytes) -> bytes:
    """AES-128-CMAC (RFC 4493), full 16-byte tag."""
    c = cmac.CMAC(algorithms.AES(key))
    c.update(msg)
    return c.finalize()


def hmac_sha1(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha1).digest()


def prf(alg: int, key: bytes, msg: bytes) -> bytes:
    """The untruncated PRF / MAC function of an algorithm."""
    if alg == ALG_HMAC_SHA1:
        return hmac_sha1(key, msg)
    if alg == ALG_AES_128_CMAC:
        return aes_cmac(key, msg)
    if alg in HMAC_HASHES:
        return hmac.new(key, msg, HMAC_HASHES[alg]).digest()
    raise ValueError(f"unknown TCP-AO algorithm {alg}")


def kdf_prf_key(alg: int, master_key: bytes) -> bytes:
    """Key given to the KDF PRF (RFC 5926 s3.1.1.2 for AES-128-CMAC)."""
    if alg == ALG_AES_128_CMAC and len(master_key) != 16:
        return aes_cmac(bytes(16), master_key)
    return master_key


def _addr(a) -> bytes:
    if isinstance(a, (bytes, bytearray)):
        if len(a) not in (4, 16):
            raise ValueError("address must be 4 or 16 bytes")
        return bytes(a)
    return ipaddress.ip_address(a).packed


def kdf_context(saddr, daddr, sport: int, dport: int,
                src_isn: int, dst_isn: int) -> bytes:
    """KDF context in segment order; dst_isn is 0 for a SYN without ACK."""
    saddr, daddr = _addr(saddr), _addr(daddr)
    if len(saddr) != len(daddr):
        raise ValueError("mixed IPv4/IPv6 addresses")
    return saddr + daddr + struct.pack("!HHII", sport, dport, src_isn, dst_isn)


def kdf(alg: int, master_key: bytes, context: bytes) -> bytes:
    """traffic_key = PRF(K, 0x01 || "TCP-AO" || context || Output_Length)."""
    bits = TRAFFIC_KEY_LEN[alg] * 8
    msg = b"\x01TCP-AO" + context + struct.pack("!H", bits)
    return prf(alg, kdf_prf_key(alg, master_key), msg)


@dataclass(frozen=True)
class TcpSegment:
    """An IP packet split into the parts the MAC needs."""
    ipv6: bool
    saddr: bytes
    daddr: bytes
    tcphdr: bytes  # TCP header including options
    payload: bytes

    @property
    def sport(self) -> int:
        return struct.unpack_from("!H", self.tcphdr, 0)[0]

    @property
    def dport(self) -> int:
        return struct.unpack_from("!H", self.tcphdr, 2)[0]

    @property
    def seq(self) -> int:
        return struct.unpack_from("!I", self.tcphdr, 4)[0]

    @property
    def ack_seq(self) -> int:
        return struct.unpack_from("!I", self.tcphdr, 8)[0]

    @property
    def flags(self) -> int:
        return self.tcphdr[13]

    @property
    def options(self) -> bytes:
        return self.tcphdr[20:]


def parse_ip_packet(packet: bytes) -> TcpSegment:
    """Split a raw IPv4 or IPv6 TCP packet; raise ValueError if malformed."""
    packet = bytes(packet)
    if len(packet) < 1:
        raise ValueError("empty packet")
    version = packet[0] >> 4
    if version == 4:
        if len(packet) < 20:
            raise ValueError("short IPv4 header")
        ihl = (packet[0] & 0xF) * 4
        total_len, = struct.unpack_from("!H", packet, 2)
        if ihl < 20 or total_len < ihl or total_len > len(packet):
            raise ValueError("bad IPv4 lengths")
        if packet[9] != IPPROTO_TCP:
            raise ValueError("not TCP")
        if struct.unpack_from("!H", packet, 6)[0] & 0x3FFF:
            raise ValueError("IPv4 fragment")
        saddr, daddr, l4 = packet[12:16], packet[16:20], packet[ihl:total_len]
    elif version == 6:
        if len(packet) < 40:
            raise ValueError("short IPv6 header")
        plen, nexthdr = struct.unpack_from("!HB", packet, 4)
        if nexthdr != IPPROTO_TCP:
            raise ValueError("not TCP (extension headers are not supported)")
        if 40 + plen > len(packet):
            raise ValueError("bad IPv6 payload length")
        saddr, daddr, l4 = packet[8:24], packet[24:40], packet[40:40 + plen]
    else:
        raise ValueError(f"bad IP version {version}")
    if len(l4) < 20:
        raise ValueError("short TCP header")
    doff = (l4[12] >> 4) * 4
    if doff < 20 or doff > len(l4):
        raise ValueError("bad TCP data offset")
    return TcpSegment(version == 6, saddr, daddr, l4[:doff], l4[doff:])


def iter_tcp_options(options: bytes):
    """Yield (offset, kind, length) for each option; ValueError if malformed.

    offset is relative to the start of the options. EOL ends the list; NOP
    and EOL have length 1.
    """
    off = 0
    while off < len(options):
        kind = options[off]
        if kind == TCPOPT_EOL:
            return
        if kind == TCPOPT_NOP:
            yield off, kind, 1
            off += 1
            continue
        if off + 2 > len(options):
            raise ValueError(f"option {kind} truncated")
        length = options[off + 1]
        if length < 2 or off + length > len(options):
            raise ValueError(f"option {kind} has bad length {length}")
        yield off, kind, length
        off += length


@dataclass(frozen=True)
class AuthOpt:
    offset: int  # from the start of the TCP header
    keyid: int
    rnextkeyid: int
    mac: bytes


def find_authopt(tcphdr: bytes, maclen=MAC_LEN):
    """Return the TCP-AO option of a TCP header as AuthOpt, or None.

    Raises ValueError for malformed options, a TCP-AO option whose MAC is
    not @maclen bytes (any but none when @maclen is None), or more than one
    TCP-AO option.
    """
    found = None
    for off, kind, length in iter_tcp_options(tcphdr[20:]):
        if kind != TCPOPT_AUTHOPT:
            continue
        if length <= 4 or (maclen is not None and length != 4 + maclen):
            raise ValueError(f"TCP-AO option length {length} != 4 + {maclen}")
        if found:
            raise ValueError("duplicate TCP-AO option")
        o = 20 + off
        found = AuthOpt(o, tcphdr[o + 2], tcphdr[o + 3],
                        bytes(tcphdr[o + 4:o + length]))
    return found


def mac_input(packet: bytes, sne: int = 0, include_options: bool = True) -> bytes:
    """The byte string that RFC 5925 s5.1 feeds to the MAC function."""
    seg = parse_ip_packet(packet)
    ao = find_authopt(seg.tcphdr, None)
    if ao is None:
        raise ValueError("no TCP-AO option")
    tcp_len = len(seg.tcphdr) + len(seg.payload)
    if seg.ipv6:
        pseudo = seg.saddr + seg.daddr + struct.pack("!I3xB", tcp_len, IPPROTO_TCP)
    else:
        pseudo = seg.saddr + seg.daddr + struct.pack("!xBH", IPPROTO_TCP, tcp_len)
    hdr = bytearray(seg.tcphdr)
    hdr[16:18] = b"\0\0"  # checksum
    end = ao.offset + 4 + len(ao.mac)
    hdr[ao.offset + 4:end] = bytes(len(ao.mac))
    if include_options:
        tcp = bytes(hdr)
    else:
        tcp = bytes(hdr[:20]) + bytes(hdr[ao.offset:end])
    return struct.pack("!I", sne) + pseudo + tcp + seg.payload


def calc_mac(alg: int, traffic_key: bytes, packet: bytes, sne: int = 0,
             include_options: bool = True) -> bytes:
    """The MAC of a packet, as long as its TCP-AO option has room for (96
    bits for the RFC 5926 algorithms); its own MAC field is ignored."""
    maclen = len(find_authopt(parse_ip_packet(packet).tcphdr, None).mac)
    return prf(alg, traffic_key, mac_input(packet, sne, include_options))[:maclen]


def check_mac(alg: int, traffic_key: bytes, packet: bytes, sne: int = 0,
              include_options: bool = True, maclen=MAC_LEN) -> bool:
    """True if the packet carries a TCP-AO option with the right MAC of
    @maclen bytes (None: any length)."""
    ao = find_authopt(parse_ip_packet(packet).tcphdr, maclen)
    if ao is None:
        return False
    good = calc_mac(alg, traffic_key, packet, sne, include_options)
    return hmac.compare_digest(good, ao.mac)


class SneTracker:
    """Sequence number extension of one direction (RFC 9187 s5).

    The reference point is the highest 64-bit sequence number seen so far
    (SNE || seq). Each new 32-bit seq gets the SNE that puts it closest to
    the reference (seq at exactly 2^31 away counts as older), and moves the
    reference forward when it is newer.
    """

    def __init__(self, sne: int = 0, seq: int = 0):
        self.ref = (sne << 32) | seq

    @property
    def sne(self) -> int:
        return (self.ref >> 32) & 0xFFFFFFFF

    @property
    def seq(self) -> int:
        return self.ref & 0xFFFFFFFF

    def update(self, seq: int) -> int:
        """Return the SNE of seq and advance the reference point."""
        delta = (seq - self.ref) & 0xFFFFFFFF
        if delta >= 1 << 31:
            delta -= 1 << 32
        full = self.ref + delta
        self.ref = max(self.ref, full)
        return (full >> 32) & 0xFFFFFFFF
