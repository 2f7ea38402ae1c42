#!/usr/bin/python3
"""Judge a run of the BGP demo (workbench/demo/run.sh) from what its two
VMs recorded, on the host:

  demo.py summary|tap --r1 DIR --r2 DIR [--vm-status N] [--seconds N] [--log F]

DIR is a VM's output dir (facts/ holds its snapshots: counters, sockets,
daemon states, key lists; r1's also the capture r1.pcap). Each fact below
is one TAP result (tap) or one summary line (summary); the exit status is
1 when any fails. The MACs of the capture are checked with the
independent RFC 5925/5926 code of the selftests (tcp_authopt_algo,
through packet_util.AoTracker), given the secrets in DEMO_KEY1, DEMO_KEY2,
DEMO_R3_KEY (r1's keys) and DEMO_R3_WRONG (r3's key).
"""

import argparse
import datetime
import ipaddress
import json
import os
import re
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools",
                                "testing", "selftests", "net", "tcp_authopt"))
from tcp_authopt_test import tcp_authopt_algo as algo  # noqa: E402
from tcp_authopt_test.netns_util import Mkt  # noqa: E402
from tcp_authopt_test.packet_util import ACK, FIN, RST, SYN, AoTracker  # noqa: E402

R1_4, R2_4, R3_4 = "198.51.100.1", "198.51.100.2", "198.51.100.3"
R1_6, R2_6 = "2001:db8::1", "2001:db8::2"
# What each router originates (workbench/demo/*.conf).
R1_PREFIXES = {"203.0.113.0/26", "203.0.113.64/26", "2001:db8:100::/48", "2001:db8:101::/48"}
R2_PREFIXES = {"203.0.113.128/26", "203.0.113.192/26", "2001:db8:200::/48",
               "2001:db8:201::/48"}
# A rollover done right costs no retransmission; a slow host may cause a
# few. A broken one stalls both sessions: with RTOs doubling from 200 ms,
# some 7 retransmissions per socket within the 25 s observed.
MAX_RETRANS = 4


# --- reading what the VMs recorded ----------------------------------------

def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


class Router:
    def __init__(self, out):
        self.out = out
        self.facts = os.path.join(out, "facts")
        self.timeline = {}
        for line in read(os.path.join(self.facts, "timeline")).splitlines():
            t, name = line.split()
            self.timeline[name] = float(t)

    def snap(self, name, what):
        return read(os.path.join(self.facts, name, what))

    def has(self, name):
        return os.path.isdir(os.path.join(self.facts, name))

    def time(self, name, last=False):
        """When the snapshot's counters were read (between two times)."""
        t = self.snap(name, "time").split()
        return float(t[-1] if last else t[0]) if t else None

    def counters(self, name, what="netstat"):
        """TcpExt / Tcp counters of /proc/net/netstat + snmp, as 'TcpExt.X'."""
        out, lines = {}, self.snap(name, what).splitlines()
        for head, vals in zip(lines[::2], lines[1::2]):
            h, v = head.split(), vals.split()
            if h and v and h[0] == v[0]:
                for k, x in zip(h[1:], v[1:]):
                    out[h[0].rstrip(":") + "." + k] = int(x)
        return out

    def retrans(self, name):
        """Retransmissions of each BGP socket (ss -ti: retrans:now/total)."""
        out = {}
        for sock in re.split(r"\n(?=\S)", self.snap(name, "ss").strip()):
            if not sock:
                continue
            f = sock.split()
            m = re.search(r"retrans:\d+/(\d+)", sock)
            out[(f[3], f[4])] = int(m.group(1)) if m else 0
        return out


def delta(r, a, b, key):
    ca, cb = r.counters(a), r.counters(b)
    if key not in ca or key not in cb:
        return None
    return cb[key] - ca[key]


def bird_proto(text):
    """(state, since, info, last error) of 'birdc show protocols all P'."""
    state = since = info = err = None
    for line in text.splitlines():
        m = re.match(r"\S+\s+BGP\s+\S+\s+(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)"
                     r"\s*(.*)", line)
        if m:
            state, since, info = m.group(1), m.group(2), m.group(3).strip()
        m = re.match(r"\s+BGP state:\s+(\S+)", line)
        if m:
            info = m.group(1)
        m = re.match(r"\s+Last error:\s+(.*)", line)
        if m:
            err = m.group(1).strip()
    return state, since, info, err


def same_time(*stamps, tolerance=1.0):
    """BIRD's 'since' stamps, all present and within @tolerance seconds."""
    try:
        t = [datetime.datetime.fromisoformat(x) for x in stamps]
    except (TypeError, ValueError):
        return False
    return max(t) - min(t) <= datetime.timedelta(seconds=tolerance)


def bird_routes(text):
    """{prefix: {protocols}} of 'birdc show route all'."""
    out, prefix = {}, None
    for line in text.splitlines():
        m = re.match(r"(\S+/\d+)\s+\S+\s+\[(\S+)", line)
        if m:
            prefix = m.group(1)
            out.setdefault(prefix, set()).add(m.group(2))
            continue
        m = re.match(r"\s+\S+\s+\[(\S+) ", line)
        if m and prefix and not line.startswith("\t"):
            out[prefix].add(m.group(1))
    return out


def frr_json(r, snap, what):
    try:
        return json.loads(r.snap(snap, what) or "null") or {}
    except ValueError:
        return {}


# --- the capture -------------------------------------------------------------

def read_pcap(path):
    """[(time, ip packet bytes)] of an Ethernet pcap written by tcpdump."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return []
    if len(data) < 24:
        return []
    for endian in "<>":
        magic, = struct.unpack(endian + "I", data[:4])
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        raise ValueError(f"{path}: not a pcap file")
    frac = 1e-6 if magic == 0xA1B2C3D4 else 1e-9
    linktype, = struct.unpack_from(endian + "I", data, 20)
    if linktype != 1:
        raise ValueError(f"{path}: link type {linktype}, not Ethernet")
    out, off = [], 24
    while off + 16 <= len(data):
        sec, sub, caplen, _ = struct.unpack_from(endian + "IIII", data, off)
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if len(frame) < 14 or struct.unpack_from("!H", frame, 12)[0] not in (0x800, 0x86DD):
            continue
        out.append((sec + sub * frac, frame[14:]))
    return out


def packed(a):
    return ipaddress.ip_address(a).packed


def aes_mkt(key_id, secret):
    return Mkt(key_id, key_id, secret.encode(), algo.ALG_AES_128_CMAC)


def check_capture(pcap, keys):
    """Every segment of the capture, checked: a list of dicts."""
    mkts = {}
    for a, b in ((R1_4, R2_4), (R1_6, R2_6)):
        for addr in (a, b):
            mkts[(addr, 1)] = aes_mkt(1, keys["key1"])
            mkts[(addr, 2)] = aes_mkt(2, keys["key2"])
    for addr in (R1_4, R3_4):
        mkts[(addr, 7)] = aes_mkt(7, keys["r3"])
    truth = AoTracker(mkts)
    # r3's own view: what it signs with, to show its segments are signed,
    # just with another secret.
    wrong = AoTracker({(R3_4, 7): aes_mkt(7, keys["r3_wrong"]),
                       (R1_4, 7): aes_mkt(7, keys["r3_wrong"])})
    segs = []
    for t, ip in pcap:
        try:
            seg = algo.parse_ip_packet(ip)
        except ValueError as err:
            segs.append({"t": t, "peer": "?", "ok": False, "error": str(err)})
            continue
        addrs = {seg.saddr, seg.daddr}
        if addrs == {packed(R1_4), packed(R2_4)}:
            peer = "r2v4"
        elif addrs == {packed(R1_6), packed(R2_6)}:
            peer = "r2v6"
        elif addrs == {packed(R1_4), packed(R3_4)}:
            peer = "r3"
        else:
            peer = "?"
        c = truth.check(ip)
        d = {"t": t, "peer": peer, "ok": c.ok, "error": c.error, "flags": seg.flags,
             "from_r1": seg.saddr in (packed(R1_4), packed(R1_6)),
             "keyid": c.ao.keyid if c.ao else None,
             "rnext": c.ao.rnextkeyid if c.ao else None,
             "len": len(seg.payload)}
        if peer == "r3":
            d["ok_wrong_key"] = wrong.check(ip).ok
        segs.append(d)
    return segs


# --- the facts ---------------------------------------------------------------

class Facts:
    def __init__(self):
        self.results = []  # (ok, name, [detail lines])

    def add(self, ok, name, *detail):
        self.results.append((bool(ok), name, [d for d in detail if d]))

    def failed(self):
        return [r for r in self.results if not r[0]]


def judge(r1, r2, vm_status, keys):
    f = Facts()
    summary = {}

    # 1. Sessions and routes.
    st = {p: bird_proto(r1.snap("established", "bird-" + p)) for p in ("r2v4", "r2v6")}
    ok = all(s[2] == "Established" for s in st.values())
    f.add(ok, "r1 (BIRD 2) has both sessions with r2 Established",
          *[f"{p}: {s[2] or 'no state'}" for p, s in st.items()])
    nb = frr_json(r2, "established", "frr-neighbors.json")
    frr_st = {a: nb.get(a, {}).get("bgpState") for a in (R1_4, R1_6)}
    f.add(all(v == "Established" for v in frr_st.values()),
          "r2 (FRR) has both sessions with r1 Established",
          *[f"{a}: {v}" for a, v in frr_st.items()])
    summary["state"] = (f"r1 ({read(os.path.join(r1.facts, 'version')).strip()}) and r2 "
                        f"(FRR {read(os.path.join(r2.facts, 'version')).strip()}): "
                        f"IPv4 {st['r2v4'][2]}, IPv6 {st['r2v6'][2]} (r1's view), "
                        f"IPv4 {frr_st[R1_4]}, IPv6 {frr_st[R1_6]} (r2's view)")

    routes = bird_routes(r1.snap("established", "bird-routes"))
    got1 = {p for p in R2_PREFIXES if routes.get(p, set()) & {"r2v4", "r2v6"}}
    f.add(got1 == R2_PREFIXES, "r1's RIB has the 4 prefixes r2 originates, learned over BGP",
          f"learned: {sorted(got1)}", f"missing: {sorted(R2_PREFIXES - got1)}"
          if got1 != R2_PREFIXES else "")
    got2 = set()
    for fam in ("ipv4", "ipv6"):
        rib = frr_json(r2, "established", f"frr-{fam}.json").get("routes", {})
        for p, paths in rib.items():
            if any(x.get("valid") and x.get("bestpath") and x.get("peerId") in (R1_4, R1_6)
                   for x in paths):
                got2.add(p)
    got2 &= R1_PREFIXES
    f.add(got2 == R1_PREFIXES, "r2's RIB has the 4 prefixes r1 originates, valid and best",
          f"learned: {sorted(got2)}", f"missing: {sorted(R1_PREFIXES - got2)}"
          if got2 != R1_PREFIXES else "")
    summary["routes"] = (f"r1 learned {len(got1)}/4 of r2's prefixes, "
                         f"r2 learned {len(got2)}/4 of r1's")

    # 2. The wire.
    pcap_path = os.path.join(r1.facts, "r1.pcap")
    try:
        segs = check_capture(read_pcap(pcap_path), keys)
    except ValueError as err:
        segs = []
        f.add(False, "the capture is readable", str(err))
    sess = [s for s in segs if s["peer"] in ("r2v4", "r2v6")]
    bad = [s for s in sess if not s["ok"]]
    other = [s for s in segs if s["peer"] == "?"]
    kinds = {}
    for s in sess:
        k = ("SYN-ACK" if s["flags"] & ACK else "SYN") if s["flags"] & SYN else \
            "RST" if s["flags"] & RST else "FIN" if s["flags"] & FIN else \
            "BGP data" if s["len"] else "ACK"
        kinds[k] = kinds.get(k, 0) + 1
    fams = {p: sum(1 for s in sess if s["peer"] == p) for p in ("r2v4", "r2v6")}
    dirs = {d: sum(1 for s in sess if s["from_r1"] == d) for d in (True, False)}
    ok = (sess and not bad and not other and all(fams.values()) and all(dirs.values()) and
          kinds.get("SYN") and kinds.get("SYN-ACK"))
    f.add(ok, "every r1-r2 BGP segment captured carries TCP-AO (kind 29) with a MAC the "
          "independent checker verifies",
          f"{len(sess)} segments: IPv4 {fams['r2v4']}, IPv6 {fams['r2v6']}; "
          f"r1 sent {dirs[True]}, r2 sent {dirs[False]}; "
          + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())),
          *[f"FAILED: {s['peer']} at {s['t']:.3f}: {s['error']}" for s in bad[:10]],
          *[f"UNEXPECTED: segment at {s['t']:.3f}: {s.get('error')}" for s in other[:5]])
    summary["wire"] = (f"{len(sess) - len(bad)} of {len(sess)} segments of the sessions "
                       f"(IPv4 {fams['r2v4']}, IPv6 {fams['r2v6']}: "
                       f"{kinds.get('SYN', 0)} SYN, {kinds.get('SYN-ACK', 0)} SYN-ACK, "
                       f"{kinds.get('BGP data', 0)} with BGP messages, "
                       f"{kinds.get('FIN', 0)} FIN) carry TCP-AO and verify")

    # 3. The rollover.
    # Before either router added key 2, and after r1 saw every side of
    # both sessions sign with it (to the end of the capture).
    start = min([t for t in (r1.timeline.get("key2_added"), r2.timeline.get("key2_added"))
                 if t], default=None)
    switched = r1.timeline.get("key2_in_use")
    before = [s for s in sess if start and s["t"] < start]
    after = [s for s in sess if switched and s["t"] > switched]
    k_before = sorted({s["keyid"] for s in before}, key=str)
    k_after = sorted({(s["keyid"], s["rnext"]) for s in after}, key=str)
    after_sides = {(s["peer"], s["from_r1"]) for s in after}
    ok = before and after and k_before == [1] and k_after == [(2, 2)] and len(after_sides) == 4
    f.add(ok, "segments use KeyID 1 before the rollover and KeyID 2 (RNextKeyID 2) after it, "
          "on both sessions both ways",
          f"before: {len(before)} segments, KeyIDs {k_before}",
          f"after: {len(after)} segments, (KeyID, RNextKeyID) {k_after}, "
          f"{len(after_sides)}/4 session sides")

    ks = {}
    for n, r in (("r1", r1), ("r2", r2)):
        try:
            ks[n] = [(k["send_id"], k["peer"], k["nosend"], k["norecv"])
                     for k in json.loads(read(os.path.join(r.facts, "keys-step5.json")) or "[]")]
        except (ValueError, KeyError, TypeError):
            ks[n] = None
    ok = all(v and all(k[0] == 2 and not k[2] and not k[3] for k in v if k[1] != R3_4)
             for v in ks.values())
    ok = ok and all(sum(1 for k in v if k[1] != R3_4) == 2 for v in ks.values())
    f.add(ok, "after tcp-authopt apply, both routers hold key 2 alone for each other",
          *[f"{n}: {v}" for n, v in ks.items()])

    up_ok, up_detail = True, []
    for p in ("r2v4", "r2v6"):
        a = bird_proto(r1.snap("before_rollover", "bird-" + p))
        b = bird_proto(r1.snap("after_rollover", "bird-" + p))
        c = bird_proto(r1.snap("after_r3", "bird-" + p))
        # BIRD keeps the state's start time and the last error it met. It
        # prints that time as monotonic time plus the wall clock's offset,
        # which can move by a millisecond between two reads: a reset would
        # move it by the seconds since the session came up.
        good = (a[2] == b[2] == c[2] == "Established" and same_time(a[1], b[1], c[1]) and
                not c[3])
        up_ok &= bool(good)
        up_detail.append(f"r1 {p}: {a[2]} since {a[1]} -> {b[2]} since {b[1]} -> "
                         f"{c[2]} since {c[1]}" + (f", last error: {c[3]}" if c[3] else ""))
    ta, tb = r2.time("before_rollover"), r2.time("after_rollover")
    na = frr_json(r2, "before_rollover", "frr-neighbors.json")
    nb = frr_json(r2, "after_rollover", "frr-neighbors.json")
    nc = frr_json(r2, "after_r3", "frr-neighbors.json")
    uptimes = []
    for a in (R1_4, R1_6):
        x, y, z = na.get(a, {}), nb.get(a, {}), nc.get(a, {})
        ux, uy = x.get("bgpTimerUpMsec"), y.get("bgpTimerUpMsec")
        grew = ux is not None and uy is not None and ta and tb and \
            abs((uy - ux) / 1000 - (tb - ta)) <= 2.5
        notif = [w.get("messageStats", {}).get(k) for w in (y, z)
                 for k in ("notificationsSent", "notificationsRecv")]
        good = (grew and x.get("bgpState") == y.get("bgpState") == z.get("bgpState") ==
                "Established" and
                x.get("connectionsEstablished") == z.get("connectionsEstablished") == 1 and
                z.get("connectionsDropped") == 0 and notif == [0, 0, 0, 0])
        up_ok &= bool(good)
        if ux is not None and uy is not None:
            uptimes.append((ux / 1000, uy / 1000))
        up_detail.append(f"r2 {a}: {x.get('bgpState')} up {ux} ms -> {y.get('bgpState')} up "
                         f"{uy} ms over {f'{tb - ta:.1f}' if ta and tb else '?'} s; established "
                         f"{z.get('connectionsEstablished')} time(s), dropped "
                         f"{z.get('connectionsDropped')}, notifications sent/received "
                         f"{notif}")
    f.add(up_ok, "the sessions stay up through the rollover: no reset, no BGP notification, "
          "uptime keeps counting", *up_detail)

    ao_ok, retr_ok, detail, retr = True, True, [], []
    for n, r in (("r1", r1), ("r2", r2)):
        drop = delta(r, "before_rollover", "after_rollover", "TcpExt.TCPAuthOptFailure")
        rs = delta(r, "before_rollover", "after_rollover", "Tcp.RetransSegs")
        sa, sb = r.retrans("before_rollover"), r.retrans("after_rollover")
        per = {k: sb[k] - sa.get(k, 0) for k in sb}
        ao_ok &= drop == 0
        retr_ok &= rs is not None and rs <= MAX_RETRANS and len(sb) == 2 and \
            all(v <= MAX_RETRANS for v in per.values())
        detail.append(f"{n}: TCPAuthOptFailure +{drop}, Tcp RetransSegs +{rs}, "
                      f"per session socket {sorted(per.values())}")
        retr.append(f"{n} {rs}")
    f.add(ao_ok, "no segment dropped by TCP-AO on either router during the rollover", *detail)
    f.add(retr_ok, f"no retransmission storm during the rollover (at most {MAX_RETRANS} "
          "retransmitted segments per router)", *detail)
    summary["rollover"] = (
        "key 1 -> key 2 with tcp-authopt apply: "
        + (f"uptime {uptimes[0][0]:.0f} s -> {uptimes[0][1]:.0f} s across it, "
           if uptimes else "no uptime recorded, ")
        + ("unbroken (same session, 0 notifications)" if up_ok else "BROKEN")
        + f", {'0 TCP-AO drops' if ao_ok else 'TCP-AO drops'}, "
        f"retransmitted segments: {', '.join(retr)}")

    # 4. r3, with the wrong key.
    r3segs = [s for s in segs if s["peer"] == "r3"]
    from_r3 = [s for s in r3segs if not s["from_r1"]]
    ok = (from_r3 and all(s["keyid"] == 7 and not s["ok"] and s.get("ok_wrong_key")
                          for s in from_r3))
    f.add(ok, "r3's segments carry TCP-AO KeyID 7, signed with a secret that is not r1's",
          f"{len(from_r3)} segments from r3: verify with r1's key "
          f"{sum(1 for s in from_r3 if s['ok'])}, with r3's "
          f"{sum(1 for s in from_r3 if s.get('ok_wrong_key'))}")
    bad_mac = delta(r1, "before_r3", "after_r3", "TcpExt.TCPAuthOptBadMAC")
    fail = delta(r1, "before_r3", "after_r3", "TcpExt.TCPAuthOptFailure")
    t0, t1 = r1.time("before_r3"), r1.time("after_r3")
    t0_, t1_ = r1.time("before_r3", last=True), r1.time("after_r3", last=True)
    # The capture stamps a segment microseconds before TCP-AO counts it:
    # those captured while the counters were being read may go either way.
    seen = sum(1 for s in from_r3 if t0 and t1 and t0 <= s["t"] <= t1)
    seen_max = sum(1 for s in from_r3 if t0 and t1_ and t0 <= s["t"] <= t1_)
    seen_min = sum(1 for s in from_r3 if t0_ and t1 and t0_ <= s["t"] <= t1)
    answered = [s for s in r3segs if s["from_r1"]]
    r1_r3 = bird_proto(r1.snap("after_r3", "bird-r3"))
    r3_r1 = bird_proto(r2.snap("after_r3", "bird-r3"))
    ok = (bad_mac is not None and bad_mac >= 1 and fail == bad_mac and
          seen_min <= bad_mac <= seen_max and not answered and r1_r3[2] and r3_r1[2] and
          "Established" not in (r1_r3[2], r3_r1[2]))
    f.add(ok, "r3 is refused: r1 drops each of its segments as a bad MAC, sends it nothing, "
          "no session", f"r3 sent {seen} segments while r1 counted: TCPAuthOptBadMAC "
          f"+{bad_mac}, TCPAuthOptFailure +{fail}; r1 sent r3 {len(answered)} segments",
          f"r1's session with r3: {r1_r3[2]}; r3's with r1: {r3_r1[2]}")
    summary["r3"] = (f"r3 (KeyID 7, wrong secret) sent {seen} SYNs in "
                     f"{t1 - t0 if t0 and t1 else 0:.0f} s: r1 dropped {bad_mac} "
                     f"(TCPAuthOptBadMAC), answered {len(answered)}; r1-r3 "
                     f"{'never Established' if ok else 'NOT refused'} "
                     f"(r1: {r1_r3[2]}, r3: {r3_r1[2]})")

    total = {n: r.counters("after_r3").get("TcpExt.TCPAuthOptFailure")
             for n, r in (("r1", r1), ("r2", r2))}
    ok = total["r2"] == 0 and total["r1"] is not None and bad_mac is not None and \
        total["r1"] == bad_mac
    f.add(ok, "no other segment was dropped by TCP-AO in the whole run",
          f"TCPAuthOptFailure: r1 {total['r1']} (r3's: {bad_mac}), r2 {total['r2']}")

    f.add(vm_status == 0, "both VMs ran to the end: no crash, timeout or kernel splat",
          f"vm-pair.sh exit status {vm_status}")
    return f, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("summary", "tap"))
    ap.add_argument("--r1", required=True)
    ap.add_argument("--r2", required=True)
    ap.add_argument("--vm-status", type=int, default=0)
    ap.add_argument("--seconds", type=int)
    ap.add_argument("--log")
    args = ap.parse_args()
    keys = {"key1": os.environ["DEMO_KEY1"], "key2": os.environ["DEMO_KEY2"],
            "r3": os.environ["DEMO_R3_KEY"], "r3_wrong": os.environ["DEMO_R3_WRONG"]}
    facts, summary = judge(Router(args.r1), Router(args.r2), args.vm_status, keys)
    failed = facts.failed()
    if args.mode == "tap":
        print(f"1..{len(facts.results)}")
        for i, (ok, name, detail) in enumerate(facts.results, 1):
            print(f"{'ok' if ok else 'not ok'} {i} - {name}")
            for d in detail:
                print(f"#   {d}")
        if failed and args.log:
            print(f"# the routers' output: {args.log}")
    else:
        print("== summary" + (f" (the demo took {args.seconds} s)" if args.seconds else ""))
        for key, label in (("state", "BGP"), ("routes", "routes"), ("wire", "TCP-AO"),
                           ("rollover", "rollover"), ("r3", "wrong key")):
            print(f"  {label + ':':10} {summary.get(key, '?')}")
        print(f"  {'checks:':10} {len(facts.results) - len(failed)} of {len(facts.results)} "
              "facts hold (workbench/demo-check.sh asserts the same as TAP)")
        for ok, name, detail in failed:
            print(f"  FAILED: {name}")
            for d in detail:
                print(f"    {d}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
