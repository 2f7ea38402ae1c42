# SPDX-License-Identifier: GPL-2.0
"""Network namespaces, TCP-AO socket options and counters for in-VM tests.

A NetnsPair is two namespaces joined by a veth, with fixed MAC, IPv4 and
IPv6 addresses (no DAD, so IPv6 works at once) and tcp_authopt enabled.
Sockets are created inside a namespace by switching this thread into it
with setns() for the socket() call only: a socket stays in the namespace it
was created in, so one test process can drive both ends and an attacker.
"""

import contextlib
import ctypes
import ipaddress
import itertools
import os
import socket
import struct
import subprocess
import time
from dataclasses import dataclass

from .tcp_authopt_algo import ALG_HMAC_SHA1

# ABI of this series (/work/shared/spec/abi.md, include/uapi/linux/tcp.h).
TCP_AUTHOPT = 38
TCP_AUTHOPT_KEY = 39
FLAG_LOCK_KEYID = 1 << 0
FLAG_LOCK_RNEXTKEYID = 1 << 1
FLAG_REJECT_UNEXPECTED = 1 << 2
FLAG_ACTIVE = 1 << 3
KEY_DEL = 1 << 0
KEY_EXCLUDE_OPTS = 1 << 1
KEY_ADDR_BIND = 1 << 2

# The /proc/net/netstat TcpExt counters of this series. TCPAuthOptFailure
# counts every segment TCP-AO drops; the others count them by reason.
AO_DROP_REASONS = ("TCPAuthOptBadMAC", "TCPAuthOptRequired",
                   "TCPAuthOptKeyNotFound", "TCPAuthOptUnexpected",
                   "TCPAuthOptMD5AndAO", "TCPAuthOptMalformed")
AO_COUNTERS = ("TCPAuthOptFailure",) + AO_DROP_REASONS + ("TCPAuthOptIcmpIgnored",)

CLONE_NEWNET = 0x40000000
IFNAME = "veth0"
SIDE_A = {"mac": "02:00:5e:00:00:0a", "ip4": "198.51.100.1", "ip6": "2001:db8::1"}
SIDE_B = {"mac": "02:00:5e:00:00:0b", "ip4": "198.51.100.2", "ip6": "2001:db8::2"}

_libc = ctypes.CDLL(None, use_errno=True)
_root_ns_fd = None
_names = itertools.count()


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def _root_ns():
    global _root_ns_fd
    if _root_ns_fd is None:
        _root_ns_fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    return _root_ns_fd


def enable_tcp_authopt(ns):
    """net.ipv4.tcp_authopt = 1: host-wide, in the initial namespace (where
    this process runs); a kernel with a per-namespace switch shows it in
    @ns too and gets it set there."""
    path = "/proc/sys/net/ipv4/tcp_authopt"
    with open(path, "w") as f:
        f.write("1")
    with ns.inside():
        present = os.path.exists(path)
    if present:
        ns.sysctl("net.ipv4.tcp_authopt", 1)


def _ip_batch(commands, netns=None, check=True):
    """Run iproute2 commands in one exec (fork+exec is slow under UML)."""
    argv = (["ip"] + (["-n", netns] if netns else []) + ([] if check else ["-force"]) +
            ["-batch", "-"])
    subprocess.run(argv, input="\n".join(commands) + "\n", text=True,
                   check=check, capture_output=True)


def sockaddr_storage(addr, port=0):
    """struct sockaddr_in / sockaddr_in6 padded to sockaddr_storage."""
    if addr is None:
        return bytes(128)
    packed = ipaddress.ip_address(addr).packed
    if len(packed) == 4:
        raw = struct.pack("=H", socket.AF_INET) + struct.pack("!H4s", port, packed)
    else:
        raw = (struct.pack("=H", socket.AF_INET6) + struct.pack("!HI16s", port, 0, packed) +
               struct.pack("=I", 0))
    return raw.ljust(128, b"\0")


@dataclass(frozen=True)
class Mkt:
    """A Master Key Tuple as one side sees it."""
    send_id: int
    recv_id: int
    key: bytes
    alg: int = ALG_HMAC_SHA1
    include_options: bool = True

    def mirror(self):
        """The same MKT as the peer must install it."""
        return Mkt(self.recv_id, self.send_id, self.key, self.alg, self.include_options)


def authopt_key(mkt, peer=None, flags=0):
    """struct tcp_authopt_key up to recv_lifetime_end (256 bytes)."""
    if peer is not None:
        flags |= KEY_ADDR_BIND
    if not mkt.include_options:
        flags |= KEY_EXCLUDE_OPTS
    return (struct.pack("=IBBBB80s", flags, mkt.send_id, mkt.recv_id, mkt.alg,
                        len(mkt.key), mkt.key) +
            sockaddr_storage(peer) + struct.pack("=II4Q", 0, 0, 0, 0, 0, 0))


def set_key(sock, mkt, peer=None, flags=0):
    """Add an MKT to the namespace of @sock; @sock takes part from now on."""
    sock.setsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT_KEY, authopt_key(mkt, peer, flags))


def set_authopt(sock, flags=0, send_keyid=0, send_rnextkeyid=0):
    sock.setsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT,
                    struct.pack("=IBBBB", flags, send_keyid, send_rnextkeyid, 0, 0))


def get_authopt(sock):
    """(flags, send_keyid, send_rnextkeyid, recv_keyid, recv_rnextkeyid)"""
    return struct.unpack("=IBBBB", sock.getsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT, 8))


class Netns:
    """One namespace of a pair: its veth, addresses and counters."""

    def __init__(self, name, side, peer_side):
        self.name = name
        self.ifname = IFNAME
        self.mac = side["mac"]
        self.peer_mac = peer_side["mac"]
        self.ip4, self.ip6 = side["ip4"], side["ip6"]
        self.fd = None
        self._sockets = []

    def addr(self, family):
        return self.ip6 if family == socket.AF_INET6 else self.ip4

    def open(self):
        self.fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)

    @contextlib.contextmanager
    def inside(self):
        """Run the body with this thread in the namespace."""
        root = _root_ns()
        _setns(self.fd)
        try:
            yield
        finally:
            _setns(root)

    def socket(self, family=socket.AF_INET, type=socket.SOCK_STREAM, proto=0):
        """A socket of this namespace, closed when the pair is."""
        with self.inside():
            sock = socket.socket(family, type, proto)
        return self.track(sock)

    def track(self, sock):
        """Close @sock with the pair (sockets returned by accept())."""
        self._sockets.append(sock)
        return sock

    def sysctl(self, key, value):
        # /proc/sys/net is resolved against the opener's namespace.
        with self.inside():
            with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
                f.write(str(value))

    def netstat(self):
        """All /proc/net/netstat counters, as {"TcpExt": {name: value}, ...}."""
        with self.inside():
            with open("/proc/thread-self/net/netstat") as f:
                lines = f.read().splitlines()
        out = {}
        for head, vals in zip(lines[0::2], lines[1::2]):
            prefix, names = head.split(":", 1)
            _, values = vals.split(":", 1)
            out[prefix] = dict(zip(names.split(), map(int, values.split())))
        return out

    def ao_counters(self):
        tcpext = self.netstat()["TcpExt"]
        missing = [n for n in AO_COUNTERS if n not in tcpext]
        assert not missing, f"kernel lacks TcpExt counters {missing}"
        return {n: tcpext[n] for n in AO_COUNTERS}

    def close_sockets(self):
        """Abort what is still open: an orphan retransmitting its FIN to a
        peer that is gone would keep the namespace (and its keys) alive.
        """
        for sock in self._sockets:
            if sock.fileno() >= 0 and sock.type == socket.SOCK_STREAM:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
                except OSError:
                    pass
            sock.close()
        self._sockets.clear()


class NetnsPair:
    """Namespaces a and b joined by veth0 <-> veth0, tcp_authopt enabled."""

    def __init__(self):
        base = f"tao{os.getpid()}n{next(_names)}"
        self.a = Netns(base + "a", SIDE_A, SIDE_B)
        self.b = Netns(base + "b", SIDE_B, SIDE_A)
        try:
            _ip_batch([f"netns add {self.a.name}", f"netns add {self.b.name}",
                       f"link add {IFNAME} address {self.a.mac} netns {self.a.name} "
                       f"type veth peer name {IFNAME} address {self.b.mac} "
                       f"netns {self.b.name}"])
            for ns in (self.a, self.b):
                _ip_batch(["link set lo up", f"link set {IFNAME} up",
                           f"addr add {ns.ip4}/24 dev {IFNAME}",
                           f"addr add {ns.ip6}/64 dev {IFNAME} nodad"], ns.name)
                ns.open()
                enable_tcp_authopt(ns)
        except BaseException:
            self.close()
            raise

    def add_neigh(self, ns, addr, mac):
        """Static neighbour: lets @ns talk to an address nobody owns."""
        _ip_batch([f"neigh replace {addr} lladdr {mac} dev {IFNAME} nud permanent"], ns.name)

    def close(self):
        for ns in (self.a, self.b):
            ns.close_sockets()
            if ns.fd is not None:
                os.close(ns.fd)
                ns.fd = None
        # The veth goes with its namespaces; -force: go on if one is missing.
        _ip_batch([f"netns del {self.a.name}", f"netns del {self.b.name}"], check=False)


def counters_delta(before, after):
    """Counters that changed, {name: after - before}."""
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


def expect_counters(ns, before, expect, timeout=2.0, settle=0.1):
    """Wait until the TCP-AO counters of @ns moved by exactly @expect.

    @expect names drops by reason; TCPAuthOptFailure, which counts them
    all, is added unless given. After the counters moved, wait @settle
    more to catch any further increment.
    """
    expect = dict(expect)
    drops = sum(n for name, n in expect.items() if name in AO_DROP_REASONS)
    if drops and "TCPAuthOptFailure" not in expect:
        expect["TCPAuthOptFailure"] = drops
    deadline = time.monotonic() + timeout
    while (counters_delta(before, ns.ao_counters()) != expect and
           time.monotonic() < deadline):
        time.sleep(0.01)
    time.sleep(settle)
    delta = counters_delta(before, ns.ao_counters())
    assert delta == expect, f"TCP-AO counters of {ns.name} moved by {delta}, expected {expect}"


# Connections

def listen(ns, family, port, keys=(), peer=None, authopt=None):
    """A listener of @ns; @keys (bound to @peer) are added through it."""
    sock = ns.socket(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for mkt in keys:
        set_key(sock, mkt, peer)
    if authopt is not None:
        set_authopt(sock, *authopt)
    sock.bind((ns.addr(family), port))
    sock.listen(8)
    sock.settimeout(5)
    return sock


def connect(ns, family, addr, port, keys=(), peer=None, authopt=None, sport=0,
            timeout=5):
    """A connected socket of @ns; @keys (bound to @peer) are added through it."""
    sock = ns.socket(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for mkt in keys:
        set_key(sock, mkt, peer)
    if authopt is not None:
        set_authopt(sock, *authopt)
    sock.bind((ns.addr(family), sport))
    sock.settimeout(timeout)
    sock.connect((addr, port))
    return sock


def establish(pair, family, port, client_keys, sport=0, client_authopt=None,
              server_authopt=None, listener=None):
    """Client in pair.a, server in pair.b, each key installed on both sides.

    Returns (listener, client, server). @client_keys are the client's view;
    the server gets their mirror images, every key bound to the peer address.
    """
    a, b = pair.a, pair.b
    if listener is None:
        listener = listen(b, family, port, [k.mirror() for k in client_keys],
                          a.addr(family), server_authopt)
    client = connect(a, family, b.addr(family), port, client_keys, b.addr(family),
                     client_authopt, sport)
    server, _ = listener.accept()
    b.track(server)
    server.settimeout(5)
    return listener, client, server


def recv_exact(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise AssertionError(f"EOF after {len(data)} of {size} bytes")
        data += chunk
    return data
