# SPDX-License-Identifier: GPL-2.0
"""In-VM: TCP-AO when its own allocations fail.

CONFIG_FAIL_TCP_AUTHOPT makes the allocations of TCP-AO fail on demand
(/sys/kernel/debug/fail_tcp_authopt, the fault-injection attributes of
Documentation/fault-injection): the key database, a socket's TCP-AO state,
the key sets and the key lookups, also where they happen in softirq
context (request sockets, accepted children, TIME-WAIT, the inbound
decision), which failslab's task filter cannot reach.

Asserted, with a share of those allocations failing:
- setsockopt(TCP_AUTHOPT_KEY) returns 0 or ENOMEM, and /proc/net/tcp_authopt
  then lists exactly the keys that were accepted;
- connections that start, move data and close either work or fail, but
  every TCP segment on the wire between keyed peers carries a TCP-AO
  option whose MAC the independent checker verifies (nothing goes out
  unsigned), and no drop is blamed on the peer (only TCPAuthOptFailure,
  which counts allocation failures too, may move);
- with the faults off again, a new connection carries data, and the VM's
  leak check finds every TCP-AO object freed.
The number of injected faults is read back from the attribute's "times".
"""

import errno
import os
import select
import socket
import time

import pytest

from . import tcp_authopt_algo as algo
from .netns_util import (AO_DROP_REASONS, Mkt, connect, counters_delta, listen,
                         recv_exact, set_authopt, set_key)
from .packet_util import AoTracker, AoWire, Capture

pytestmark = pytest.mark.kernel

FAIL_DIR = "/sys/kernel/debug/fail_tcp_authopt"
TIMES = 1 << 30
FAMILIES = [pytest.param(socket.AF_INET, id="ipv4"),
            pytest.param(socket.AF_INET6, id="ipv6")]
ALGS = [pytest.param(algo.ALG_HMAC_SHA1, id="hmac-sha1"),
        pytest.param(algo.ALG_AES_128_CMAC, id="aes-cmac")]
PORT = 7100


def _attr(name, value=None):
    path = os.path.join(FAIL_DIR, name)
    if value is None:
        with open(path) as f:
            return int(f.read().split()[0])
    with open(path, "w") as f:
        f.write(str(value))
    return None


class Faults:
    """Fail @probability percent of TCP-AO's allocations while active."""

    def __init__(self, probability):
        assert os.path.isdir(FAIL_DIR), \
            f"{FAIL_DIR} missing: the test kernel needs CONFIG_FAIL_TCP_AUTHOPT"
        self.probability = probability

    def __enter__(self):
        for name, value in (("probability", 0), ("verbose", 0), ("interval", 1),
                            ("space", 0), ("times", TIMES), ("task-filter", "N")):
            _attr(name, value)
        _attr("probability", self.probability)
        return self

    def __exit__(self, *exc):
        _attr("probability", 0)

    @staticmethod
    def injected():
        return TIMES - _attr("times")


def proc_keys(ns):
    with ns.inside():
        with open("/proc/thread-self/net/tcp_authopt") as f:
            lines = f.read().splitlines()[1:]
    return sorted((int(send), int(recv)) for _, send, recv, *_ in (ln.split("\t")
                                                                    for ln in lines))


def test_key_add_under_faults(pair):
    """Every key add either works or is refused with ENOMEM, and the
    database holds exactly the accepted ones."""
    a = pair.a
    sock = a.socket(socket.AF_INET)
    accepted, refused = [], 0
    with Faults(50) as f:
        for i in range(200):
            ids = (i % 256, (i * 7 + 3) % 256)
            mkt = Mkt(ids[0], ids[1], b"fault key %d" % i)
            try:
                set_key(sock, mkt, f"203.0.113.{i % 250 + 1}")
            except OSError as err:
                assert err.errno == errno.ENOMEM, f"key {i}: {err}"
                refused += 1
            else:
                accepted.append(ids)
        injected = f.injected()
    assert refused, f"no key add failed in 200 ({injected} faults injected)"
    assert accepted, "every key add failed"
    assert proc_keys(a) == sorted(accepted)


def _connect_nb(ns, family, addr, port, deadline):
    """A socket of @ns connecting to @addr and whether it got connected.

    It takes part in TCP-AO through TCP_AUTHOPT; when that fails (ENOMEM)
    it is returned unconnected, since it would be a plain connection.
    """
    sock = ns.socket(family)
    try:
        set_authopt(sock)
    except OSError as err:
        assert err.errno == errno.ENOMEM, err
        return sock, False
    sock.setblocking(False)
    try:
        sock.connect((addr, port))
    except BlockingIOError:
        pass
    while time.monotonic() < deadline:
        _, w, _ = select.select([], [sock], [], 0.05)
        if w:
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                return sock, False
            sock.setblocking(True)
            sock.settimeout(3)
            return sock, True
    return sock, False


def _accept_for(ns, listener, client, children):
    """The child of @listener connected to @client.

    Children of earlier rounds whose handshake finished late wait in the
    accept queue too: they are kept (closed with the faults off) and
    skipped.
    """
    want = client.getsockname()[:2]
    listener.settimeout(3)
    while True:
        child, peer = listener.accept()
        ns.track(child)
        children.append(child)
        if peer[:2] == want:
            child.settimeout(3)
            return child


def _round(pair, family, listener, data, clients, children):
    """One connection under faults: True when it carried @data both ways.

    Its sockets stay open (in @clients, @children) until the faults are off: closed
    now, the peer's retransmissions would meet no socket, where no reset
    can be signed (RFC 5925 7.7), and the connection would not end cleanly.
    """
    a, b = pair.a, pair.b
    client, connected = _connect_nb(a, family, b.addr(family), PORT, time.monotonic() + 3)
    clients.append(client)
    if not connected:
        return False
    try:
        server = _accept_for(b, listener, client, children)
    except OSError:
        return False
    try:
        client.sendall(data)
        if recv_exact(server, len(data)) != data:
            return False
        server.sendall(data)
        return recv_exact(client, len(data)) == data
    except (OSError, AssertionError):
        return False


ROUNDS = 16


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("family", FAMILIES)
def test_connections_under_faults(pair, family, alg):
    a, b = pair.a, pair.b
    mkt = Mkt(3, 5, b"fault injection master key", alg)
    cap = Capture(a)
    wire = AoWire(cap, AoTracker({(a.addr(family), mkt.send_id): mkt,
                                  (b.addr(family), mkt.recv_id): mkt.mirror()}))
    before = {ns.name: ns.ao_counters() for ns in (a, b)}
    listener = listen(b, family, PORT, [mkt.mirror()], a.addr(family))
    keyholder = a.socket(family)
    set_key(keyholder, mkt, b.addr(family))
    # More than two MSS each way: both sides sign and verify with the key
    # set each connection builds after its handshake.
    data = os.urandom(3000)
    ok, clients, children = 0, [], []
    with Faults(15) as f:
        for _ in range(ROUNDS):
            ok += _round(pair, family, listener, data, clients, children)
            wire.update()
        injected = f.injected()
    assert injected, "no fault injected: the test proves nothing"
    # Whatever the faults did, a new connection works.
    client = connect(a, family, b.addr(family), PORT, authopt=(0,))
    server = _accept_for(b, listener, client, children)
    client.sendall(data)
    assert recv_exact(server, len(data)) == data
    server.sendall(data)
    assert recv_exact(client, len(data)) == data
    # Clients first: a client whose last ACK of the handshake b dropped
    # (its child could not be made) still has a request socket at b to
    # take its FIN. Closed after the listener, it would meet no socket,
    # where nothing can sign a reset (RFC 5925 7.7).
    for sock in clients + [client]:
        sock.close()
    time.sleep(0.5)
    for sock in children + [listener]:
        sock.close()
    time.sleep(0.5)
    wire.assert_all_signed()
    for ns in (a, b):
        delta = counters_delta(before[ns.name], ns.ao_counters())
        blamed = {k: v for k, v in delta.items() if k in AO_DROP_REASONS}
        assert not blamed, (f"{ns.name}: genuine segments dropped as {blamed} with "
                            f"{injected} faults injected ({ok}/{ROUNDS} rounds carried data)")
    print(f"\nfaults: {injected} injected, {ok}/{ROUNDS} connections carried data")
