# SPDX-License-Identifier: GPL-2.0-or-later
"""pytest: validate tcp_authopt_algo against RFC 9235 and RFC 9187.

Every RFC 9235 vector is checked byte for byte (KDF context rebuilt from the
packet, traffic key, MAC input, MAC), and perturbed to show the checks can
fail. The KDF results for 1/16/20/80-byte master keys that the kernel KUnit
suite uses are pinned here and re-derived with hand-written HMAC-SHA-1
(hashlib + ipad/opad) and AES-CMAC (AES-ECB + RFC 4493 subkeys)
implementations. No root, network or files outside this directory needed.
"""

import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .tcp_authopt_algo import (
    ALG_AES_128_CMAC, ALG_HMAC_SHA1, AUTHOPT_LEN, SneTracker, calc_mac,
    check_mac, find_authopt, iter_tcp_options, kdf, kdf_context,
    kdf_prf_key, mac_input, parse_ip_packet, prf)
from .vectors import (KDF_MKT_LENS, KDF_TEST_CONTEXT, kdf_test_mkt,
                      load_rfc9187, load_rfc9235)

COMMON, VECTORS = load_rfc9235()
MKT = bytes.fromhex(COMMON["MKT_HEX"])
CLIENT_KEYID = int(COMMON["CLIENT_KEYID"])
SERVER_KEYID = int(COMMON["SERVER_KEYID"])
by_section = pytest.mark.parametrize("v", VECTORS, ids=[v.section for v in VECTORS])

# Expected traffic keys for kdf(alg, kdf_test_mkt(n), KDF_TEST_CONTEXT);
# exported to the kernel KUnit suite by gen_kunit_vectors.py.
KDF_EXPECTED = {
    (ALG_HMAC_SHA1, 0): "83cd62061ae7298b366bfb2868fc79fc822b1a62",
    (ALG_HMAC_SHA1, 1): "0d4b2adc7241d2edea8038c855f914fc8a3f8341",
    (ALG_HMAC_SHA1, 16): "76565e9c75edbf29b656df94840e55f9da9b7622",
    (ALG_HMAC_SHA1, 20): "de2ab0da9e60207e590f04a356fbc547be8b419d",
    (ALG_HMAC_SHA1, 80): "25e7ccc855d33e773716ae9d2de1b6967320e237",
    (ALG_AES_128_CMAC, 0): "9f3510d7f60018a788765f920b6e2788",
    (ALG_AES_128_CMAC, 1): "6a494def206b1e3e6d1aef5dc95c02f1",
    (ALG_AES_128_CMAC, 16): "fe1d756a474e983ef36deab6be0aa235",
    (ALG_AES_128_CMAC, 20): "d3a51b9c15f31e41ce1e65d413654c9b",
    (ALG_AES_128_CMAC, 80): "6d68f9c1138cb60b260419c59a524223",
}


# --- second, hand-written implementations of the PRFs ---------------------

def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


def manual_hmac_sha1(key: bytes, msg: bytes) -> bytes:
    if len(key) > 64:
        key = hashlib.sha1(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha1(_xor(key, b"\x36" * 64) + msg).digest()
    return hashlib.sha1(_xor(key, b"\x5c" * 64) + inner).digest()


def manual_aes_cmac(key: bytes, msg: bytes) -> bytes:
    encrypt = Cipher(algorithms.AES(key), modes.ECB()).encryptor().update

    def dbl(block):
        n = int.from_bytes(block, "big") << 1
        if n >> 128:
            n = (n & ((1 << 128) - 1)) ^ 0x87
        return n.to_bytes(16, "big")

    k1 = dbl(encrypt(bytes(16)))
    k2 = dbl(k1)
    nblocks = max(1, (len(msg) + 15) // 16)
    last = msg[(nblocks - 1) * 16:]
    if len(last) == 16:
        last = _xor(last, k1)
    else:
        last = _xor(last + b"\x80" + bytes(15 - len(last)), k2)
    x = bytes(16)
    for i in range(nblocks - 1):
        x = encrypt(_xor(x, msg[i * 16:i * 16 + 16]))
    return encrypt(_xor(x, last))


def manual_kdf(alg: int, mkt: bytes, context: bytes) -> bytes:
    if alg == ALG_HMAC_SHA1:
        return manual_hmac_sha1(mkt, b"\x01TCP-AO" + context + b"\x00\xa0")
    key = mkt if len(mkt) == 16 else manual_aes_cmac(bytes(16), mkt)
    return manual_aes_cmac(key, b"\x01TCP-AO" + context + b"\x00\x80")


def test_manual_prfs_known_answers():
    # RFC 2202 test case 1 and RFC 4493 examples 1-4.
    assert manual_hmac_sha1(b"\x0b" * 20, b"Hi There").hex() == \
        "b617318655057264e28bc0b6fb378c8ef146be00"
    key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    msg = bytes.fromhex(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
    for n, tag in ((0, "bb1d6929e95937287fa37d129b756746"),
                   (16, "070a16b46b4d4144f79bdd9dd04a287c"),
                   (40, "dfa66747de9ae63030ca32611497c827"),
                   (64, "51f0bebf7e3b9d92fc49741779363cfe")):
        assert manual_aes_cmac(key, msg[:n]).hex() == tag
        assert prf(ALG_AES_128_CMAC, key, msg[:n]).hex() == tag


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 63, 64, 65, 80, 200])
def test_manual_prfs_match_library(n):
    data = bytes(range(256))[:n]
    assert manual_hmac_sha1(data, data[::-1]) == prf(ALG_HMAC_SHA1, data, data[::-1])
    key = kdf_test_mkt(16)
    assert manual_aes_cmac(key, data) == prf(ALG_AES_128_CMAC, key, data)


# --- RFC 9235 vectors -----------------------------------------------------

def test_vector_set_complete():
    assert len(VECTORS) == 32
    combos = {(v.alg, v.ipv6, v.include_options, v.from_client, v.is_syn, v.is_synack)
              for v in VECTORS}
    assert len(combos) == 32
    assert COMMON["SNE"] == "00000000" and COMMON["MAC_LEN"] == "12"


def test_aes_kdf_key_reduction():
    derived = COMMON["AES_KDF_DERIVED_KEY_HEX"]
    assert kdf_prf_key(ALG_AES_128_CMAC, MKT).hex() == derived
    assert manual_aes_cmac(bytes(16), MKT).hex() == derived
    assert kdf_prf_key(ALG_HMAC_SHA1, MKT) == MKT
    assert kdf_prf_key(ALG_AES_128_CMAC, MKT[:8] * 2) == MKT[:8] * 2


def vector_isns(v):
    """(src_isn, dst_isn) of the vector's KDF context (RFC 5925 s5.2)."""
    if v.from_client:
        src, dst = v.client_isn, v.server_isn
    else:
        src, dst = v.server_isn, v.client_isn
    return src, 0 if v.is_syn else dst


@by_section
def test_packet_fields(v):
    seg = parse_ip_packet(v.packet)
    assert seg.ipv6 == v.ipv6
    ao = find_authopt(seg.tcphdr)
    keyids = (CLIENT_KEYID, SERVER_KEYID)
    assert (ao.keyid, ao.rnextkeyid) == (keyids if v.from_client else keyids[::-1])
    assert ao.mac == v.mac
    if v.is_syn:
        assert seg.flags & 0x12 == 0x02 and seg.seq == v.client_isn
    elif v.is_synack:
        assert seg.flags & 0x12 == 0x12 and seg.seq == v.server_isn
        assert seg.ack_seq == (v.client_isn + 1) & 0xFFFFFFFF
    else:
        assert seg.flags & 0x12 == 0x10 and seg.payload


@by_section
def test_kdf_context(v):
    seg = parse_ip_packet(v.packet)
    ctx = kdf_context(seg.saddr, seg.daddr, seg.sport, seg.dport, *vector_isns(v))
    assert ctx == v.kdf_context


@by_section
def test_traffic_key(v):
    assert kdf(v.alg, MKT, v.kdf_context) == v.traffic_key
    assert manual_kdf(v.alg, MKT, v.kdf_context) == v.traffic_key


@by_section
def test_mac_input(v):
    assert mac_input(v.packet, 0, v.include_options) == v.mac_input


@by_section
def test_mac(v):
    assert calc_mac(v.alg, v.traffic_key, v.packet, 0, v.include_options) == v.mac
    assert check_mac(v.alg, v.traffic_key, v.packet, 0, v.include_options)


def _flip(data: bytes, off: int) -> bytes:
    b = bytearray(data)
    b[off] ^= 0x01
    return bytes(b)


@by_section
def test_mac_detects_changes(v):
    def mac(key=v.traffic_key, packet=v.packet, sne=0):
        return calc_mac(v.alg, key, packet, sne, v.include_options)

    seg = parse_ip_packet(v.packet)
    tcp_off = len(v.packet) - len(seg.tcphdr) - len(seg.payload)
    ao_off = tcp_off + find_authopt(seg.tcphdr).offset
    assert kdf(v.alg, _flip(MKT, 0), v.kdf_context) != v.traffic_key
    assert kdf(v.alg, MKT, _flip(v.kdf_context, 0)) != v.traffic_key
    assert mac(key=_flip(v.traffic_key, len(v.traffic_key) - 1)) != v.mac
    assert mac(sne=1) != v.mac
    # Covered: source address, sequence number, window, payload.
    offsets = [8 if v.ipv6 else 12, tcp_off + 4, tcp_off + 15]
    if seg.payload:
        offsets += [len(v.packet) - len(seg.payload), len(v.packet) - 1]
    for off in offsets:
        assert mac(packet=_flip(v.packet, off)) != v.mac, off
        assert not check_mac(v.alg, v.traffic_key, _flip(v.packet, off), 0,
                             v.include_options)
    # Not covered: TCP checksum, IP TTL / hop limit.
    assert mac(packet=_flip(v.packet, tcp_off + 16)) == v.mac
    assert mac(packet=_flip(v.packet, 7 if v.ipv6 else 8)) == v.mac
    # The MAC field itself is zeroed in the input but checked by check_mac().
    assert mac(packet=_flip(v.packet, ao_off + 4)) == v.mac
    assert not check_mac(v.alg, v.traffic_key, _flip(v.packet, ao_off + 4), 0,
                         v.include_options)
    # KeyID is always covered; other options only when options are included.
    assert mac(packet=_flip(v.packet, ao_off + 2)) != v.mac
    ts_off = next(tcp_off + 20 + off for off, kind, _ in iter_tcp_options(seg.options)
                  if kind == 8) + 2
    assert (mac(packet=_flip(v.packet, ts_off)) != v.mac) == v.include_options


# --- option and packet parsing ---------------------------------------------

def _tcphdr(options: bytes) -> bytes:
    assert len(options) % 4 == 0
    return struct.pack("!HHIIBBHHH", 1, 2, 3, 4, (5 + len(options) // 4) << 4,
                       0x10, 1000, 0, 0) + options


AO = bytes([29, 16, 1, 2]) + bytes(range(12))


def test_find_authopt_ok():
    ao = find_authopt(_tcphdr(b"\x01\x01" + AO + b"\x01\x00"))
    assert (ao.offset, ao.keyid, ao.rnextkeyid, ao.mac) == (22, 1, 2, AO[4:])
    assert find_authopt(_tcphdr(b"\x01\x01\x01\x00")) is None
    assert find_authopt(_tcphdr(b"")) is None
    # Anything after EOL is ignored.
    assert find_authopt(_tcphdr(b"\x00\x00\x00\x00" + AO)) is None


@pytest.mark.parametrize("options", [
    bytes([29, 15, 1, 2]) + bytes(11) + b"\x01",       # short MAC
    bytes([29, 17, 1, 2]) + bytes(13) + b"\x01\x01\x01",  # long MAC
    AO[:12],                                           # truncated
    AO + AO,                                           # duplicate
    b"\x01\x01\x01\x08",                               # truncated option
    b"\x01\x01\x08\x01",                               # option length < 2
    b"\x08\x0b" + bytes(6) + AO,                       # overrunning length
], ids=["short", "long", "truncated", "duplicate", "trunc-other", "len1", "overrun"])
def test_find_authopt_malformed(options):
    with pytest.raises(ValueError):
        find_authopt(_tcphdr(options))


def test_parse_ip_packet_malformed():
    good = VECTORS[0].packet
    parse_ip_packet(good)
    for bad in (b"", good[:30], b"\x55" + good[1:], _flip(good, 9),
                good[:2] + b"\xff\xff" + good[4:], b"\x4f" + good[1:]):
        with pytest.raises(ValueError):
            parse_ip_packet(bad)
    with pytest.raises(ValueError):
        mac_input(VECTORS[0].packet[:20] + _tcphdr(b""))


# --- KDF outputs for the KUnit suite --------------------------------------

@pytest.mark.parametrize("alg,n", sorted(KDF_EXPECTED))
def test_kdf_mkt_lengths(alg, n):
    mkt = kdf_test_mkt(n)
    assert len(mkt) == n and mkt[:3] == b"\x01\x08\x0f"[:n]
    assert KDF_TEST_CONTEXT.hex() == "c0000201c6336402123400b301020304a0b0c0d0"
    key = kdf(alg, mkt, KDF_TEST_CONTEXT)
    assert key.hex() == KDF_EXPECTED[alg, n]
    assert manual_kdf(alg, mkt, KDF_TEST_CONTEXT) == key
    if n:
        assert kdf(alg, _flip(mkt, n - 1), KDF_TEST_CONTEXT) != key


def test_kdf_expected_table_complete():
    assert set(KDF_EXPECTED) == {(a, n) for a in (ALG_HMAC_SHA1, ALG_AES_128_CMAC)
                                 for n in KDF_MKT_LENS}
    assert AUTHOPT_LEN == 16


# --- RFC 9187 SNE sequence ---------------------------------------------------

def test_sne_rfc9187():
    seq = load_rfc9187()
    assert len(seq) == 29
    tracker = SneTracker()
    assert [(tracker.update(s), s) for _, s in seq] == seq
    assert (tracker.sne, tracker.seq) == (4, 0x4000)


def test_sne_naive_fails_rfc9187():
    # RFC 5925-style "increment when seq goes backwards" does not pass it.
    sne, prev, got = 0, 0, []
    for _, s in load_rfc9187():
        sne += s < prev
        prev = s
        got.append((sne, s))
    assert got != load_rfc9187()


def test_sne_tracker_start_point():
    t = SneTracker(sne=5, seq=0xFFFFFFF0)
    assert t.update(0xFFFFFFF8) == 5
    assert t.update(0x10) == 6
    assert t.update(0xFFFFFF00) == 5  # retransmission from before the wrap
    assert t.update(0x7FFFFFFF) == 6
    assert t.update(0x80000010) == 6
    assert (t.sne, t.seq) == (6, 0x80000010)
    assert SneTracker(sne=0xFFFFFFFF, seq=0xFFFFFFFF).update(1) == 0
