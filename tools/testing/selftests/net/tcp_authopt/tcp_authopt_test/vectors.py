# SPDX-License-Identifier: GPL-2.0-or-later
"""Test data for the TCP-AO reference code, shipped inside this package.

* load_rfc9235(): the 32 RFC 9235 vectors from rfc9235_vectors.txt (a verbatim
  copy of the project's machine-readable form of the RFC figures);
* load_rfc9187(): RFC 9187's SNE validation sequence from
  rfc9187_sne_sequence.txt;
* KDF_MKT_LENS / kdf_test_mkt() / KDF_TEST_CONTEXT: the extra KDF cases
  (master keys of 0, 1, 16, 20 and 80 bytes; an empty key is valid) whose outputs are pinned in
  test_vectors.py and exported to the kernel KUnit suite by
  gen_kunit_vectors.py.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from .tcp_authopt_algo import ALG_NAMES, kdf_context

DATA_DIR = Path(__file__).resolve().parent
RFC9235_FILE = DATA_DIR / "rfc9235_vectors.txt"
RFC9187_FILE = DATA_DIR / "rfc9187_sne_sequence.txt"

# Extra KDF cases: MKT byte i is (i * 7 + 1) & 0xff, for each length below,
# with a fixed IPv4 context 192.0.2.1:4660 -> 198.51.100.2:179,
# src ISN 0x01020304, dst ISN 0xa0b0c0d0.
KDF_MKT_LENS = (0, 1, 16, 20, 80)
KDF_TEST_CONTEXT = kdf_context("192.0.2.1", "198.51.100.2", 4660, 179,
                               0x01020304, 0xA0B0C0D0)


def kdf_test_mkt(length: int) -> bytes:
    return bytes((i * 7 + 1) & 0xFF for i in range(length))


@dataclass(frozen=True)
class Rfc9235Vector:
    section: str
    alg: int
    ipv6: bool
    include_options: bool
    kind: str  # e.g. "client->server SYN", "server->client SYN-ACK"
    key_label: str
    client_isn: int
    server_isn: int
    kdf_context: bytes
    traffic_key: bytes
    packet: bytes
    mac: bytes
    mac_input: bytes

    @property
    def from_client(self) -> bool:
        return self.kind.startswith("client->server")

    @property
    def is_syn(self) -> bool:
        """SYN without ACK."""
        return self.kind.endswith(" SYN")

    @property
    def is_synack(self) -> bool:
        return self.kind.endswith(" SYN-ACK")


def _strip_comment(line: str) -> str:
    return line.split("#", 1)[0].strip()


def load_rfc9235(path=RFC9235_FILE):
    """Return (common, vectors).

    common maps the upper-case header parameters (MKT_HEX, SNE, ...) to their
    string values; vectors is a list of Rfc9235Vector in file order.
    """
    common, records, cur = {}, [], None
    for raw in Path(path).read_text().splitlines():
        line = _strip_comment(raw)
        m = re.fullmatch(r"([a-z_0-9]+)=(.*)", line)
        if m:
            if m[1] == "section":
                cur = {}
                records.append(cur)
            if cur is None:
                raise ValueError(f"field outside a record: {raw!r}")
            cur[m[1]] = m[2]
        elif cur is None:
            common.update(re.findall(r"\b([A-Z][A-Z0-9_]*)=(\S+)", line))
    return common, [_vector(r) for r in records]


def _vector(r: dict) -> Rfc9235Vector:
    return Rfc9235Vector(
        section=r["section"],
        alg=ALG_NAMES[r["alg"]],
        ipv6={"4": False, "6": True}[r["ip"]],
        include_options={"0": False, "1": True}[r["covers_options"]],
        kind=r["kind"],
        key_label=r["rfc_key_label"],
        client_isn=int(r["client_isn"], 16),
        server_isn=int(r["server_isn"], 16),
        kdf_context=bytes.fromhex(r["kdf_context"]),
        traffic_key=bytes.fromhex(r["traffic_key"]),
        packet=bytes.fromhex(r["packet"]),
        mac=bytes.fromhex(r["mac"]),
        mac_input=bytes.fromhex(r["mac_input"]),
    )


def load_rfc9187(path=RFC9187_FILE):
    """Return the validation sequence as a list of (sne, seq)."""
    out = []
    for raw in Path(path).read_text().splitlines():
        line = _strip_comment(raw)
        if line:
            sne, seq = line.split()
            out.append((int(sne, 16), int(seq, 16)))
    return out
