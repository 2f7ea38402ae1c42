#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the raw results of the two benchmark VMs into one markdown table.

    report.py OURS_DIR UPSTREAM_DIR OUT.md [--mac FILE] [--note TEXT]...

Each DIR holds raw.txt ("@R name value unit" lines from bench.c, "@F"
failures, "@I" notes) and uname.txt. Every figure is the median over
runs, with [min-max]; the ratio is ours / upstream of the medians.
"""
import argparse
import datetime
import os
import re
import statistics


def load(d):
    vals, units, fails, info = {}, {}, [], []
    path = os.path.join(d, "raw.txt")
    if os.path.exists(path):
        for line in open(path, errors="replace"):
            f = line.split()
            if line.startswith("@R ") and len(f) >= 4:
                vals.setdefault(f[1], []).append(float(f[2]))
                units[f[1]] = f[3]
            elif line.startswith("@F "):
                fails.append(line[3:].strip())
            elif line.startswith("@I "):
                info.append(line[3:].strip())
    uname = ""
    path = os.path.join(d, "uname.txt")
    if os.path.exists(path):
        uname = open(path).read().strip()
    return {"vals": vals, "units": units, "fails": fails, "info": info, "uname": uname}


def fmt(x):
    if x is None:
        return "n/a"
    a = abs(x)
    if a >= 1000:
        return f"{x:.0f}"
    if a >= 100:
        return f"{x:.1f}"
    if a >= 10:
        return f"{x:.2f}"
    return f"{x:.3g}"


def cell(v, derived=False):
    if not v:
        return "n/a", None
    m = statistics.median(v)
    if derived and len(v) == 1:
        return fmt(m), m
    if len(v) == 1:
        return f"{fmt(m)} (1 run)", m
    return f"{fmt(m)} [{fmt(min(v))}–{fmt(max(v))}]", m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ours")
    ap.add_argument("upstream")
    ap.add_argument("out")
    ap.add_argument("--mac")
    ap.add_argument("--note", action="append", default=[])
    args = ap.parse_args()
    k = {"ours": load(args.ours), "upstream": load(args.upstream)}

    rows = []

    def section(title):
        rows.append(("section", title))

    def row(label, name, unit=None, derive=None):
        rows.append(("row", label, name, unit, derive))

    def pct(a, b):
        # derived: metric a as a percentage of metric b, per run pair
        def f(vals):
            x, y = vals.get(a), vals.get(b)
            if not x or not y:
                return []
            return [100.0 * statistics.median(x) / statistics.median(y)]
        return f

    def diff(a, b):
        def f(vals):
            x, y = vals.get(a), vals.get(b)
            if not x or not y:
                return []
            return [p - q for p, q in zip(x, y)]
        return f

    section("1. Bulk throughput, one connection A→B over veth, 64 KiB send()s")
    for m, lab in (("plain", "plain TCP"), ("md5", "TCP-MD5"),
                   ("ao-sha1", "TCP-AO HMAC-SHA-1-96"), ("ao-cmac", "TCP-AO AES-128-CMAC-96")):
        row(lab, f"bulk.{m}")
    row("TCP-AO HMAC-SHA-1-96, % of plain (of medians)", "", "%", pct("bulk.ao-sha1", "bulk.plain"))
    row("TCP-AO AES-128-CMAC-96, % of plain (of medians)", "", "%", pct("bulk.ao-cmac", "bulk.plain"))

    section("2. Connection setup rate (sequential socket+connect+accept+close×2)")
    row("plain TCP", "rate.plain")
    row("TCP-AO HMAC-SHA-1-96, both ends keyed", "rate.ao-sha1")

    levels = sorted({int(m.group(1)) for d in k.values() for n in d["vals"]
                     for m in [re.match(r"keys\.(\d+)\.", n)] if m})
    section("3. Key scaling: N keys for other peers on the listener's side "
            "(per call; median of per-round medians)")
    if levels:
        row("null setsockopt (key option, 4-byte buffer → EINVAL), wall per call",
            f"keys.{levels[0]}.null")
    for n in levels:
        row(f"N={n}: add a key, wall per call", f"keys.{n}.add")
        row(f"N={n}: add a key, minus null syscall", f"keys.{n}.add-null")
        row(f"N={n}: delete a random key, wall per call", f"keys.{n}.del")
        row(f"N={n}: delete a random key, minus null syscall", f"keys.{n}.del-null")
        row(f"N={n}: connect()+accept(), wall", f"keys.{n}.connect")
        row(f"N={n}: connect()+accept(), minus plain connect+accept", f"keys.{n}.connect-plain")

    if levels:
        row(f"install all {levels[-1]} other keys one by one, in all", f"keys.{levels[-1]}.install")
    floods = sorted({m.group(1) for d in k.values() for n in d["vals"]
                     for m in [re.match(r"flood\.(\d+)keys?\.rate", n)] if m}, key=int)
    section("4. SYN flood: SYNs without TCP-AO from a keyed peer, rejected by the listener")
    for f in floods:
        lab = "1 key" if f == "1" else f"{f} keys"
        name = "1key" if f == "1" else f"{f}keys"
        row(f"{lab}: SYNs rejected per second", f"flood.{name}.rate")
        row(f"{lab}: wall (= CPU, one CPU) per rejected SYN, incl. raw send", f"flood.{name}.us_per_syn")

    section("5. Key rollover with established authenticated connections")
    row("one key change for all connections (syscalls only)", "roll.change")
    row("key change + 1 byte on every connection, new key seen at every receiver", "roll.all")

    section("6. Memory (slab, /proc/slabinfo active objects × size; both ends in one VM)")
    row("established, plain: per connection (client+server socket)", "mem.plain.conn")
    row("established, TCP-AO: per connection (client+server socket)", "mem.ao-sha1.conn")
    row("established: TCP-AO minus plain, per connection", "", "bytes",
        diff("mem.ao-sha1.conn", "mem.plain.conn"))
    row("TIME-WAIT, plain: per connection (TW socket, server side gone)", "mem.plain.tw")
    row("TIME-WAIT, TCP-AO: per connection", "mem.ao-sha1.tw")
    row("TIME-WAIT: TCP-AO minus plain, per connection", "", "bytes",
        diff("mem.ao-sha1.tw", "mem.plain.tw"))
    row("established, TCP-AO: /proc/meminfo Slab delta per connection", "mem.ao-sha1.conn_slabkb")
    row("TIME-WAIT, TCP-AO: /proc/meminfo Slab delta per connection", "mem.ao-sha1.tw_slabkb")

    section("7. Per-segment MAC cost in the kernel")
    mac_rows = []
    if args.mac and os.path.exists(args.mac):
        for line in open(args.mac):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            p = [x.strip() for x in line.split("|")]
            p += [""] * (4 - len(p))
            mac_rows.append(p[:4])

    out = []
    out.append("# TCP-AO benchmark: ours (tcp_authopt on 6.1) vs upstream TCP-AO (6.12)")
    out.append("")
    out.append(f"Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}")
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        ncpu = os.cpu_count()
    except OSError:
        ncpu = "?"
    out.append(f"Host CPU: {cpu} ({ncpu} CPUs on the host; each UML VM has one CPU)")
    out.append("")
    out.append(f"- ours: `{k['ours']['uname'] or 'no result'}`")
    out.append(f"- upstream: `{k['upstream']['uname'] or 'no result'}`")
    for n in args.note:
        out.append(f"- {n}")
    out.append("")
    out.append("Each figure: median [min–max] over runs; ratio = ours / upstream "
               "(medians). Higher is better for MB/s, conn/s and SYN/s; lower "
               "for times and bytes.")
    out.append("")
    out.append("| measurement | unit | ours | upstream | ratio |")
    out.append("|---|---|---|---|---|")
    for r in rows:
        if r[0] == "section":
            out.append(f"| **{r[1]}** | | | | |")
            continue
        _, label, name, unit, derive = r
        cells, meds = [], []
        for side in ("ours", "upstream"):
            vals = k[side]["vals"]
            v = derive(vals) if derive else vals.get(name, [])
            c, m = cell(v, derive is not None)
            cells.append(c)
            meds.append(m)
            if not unit:
                unit = k[side]["units"].get(name)
        ratio = "n/a"
        if meds[0] is not None and meds[1] is not None and meds[0] > 0 and meds[1] > 0:
            ratio = f"{meds[0] / meds[1]:.2f}"
        out.append(f"| {label} | {unit or ''} | {cells[0]} | {cells[1]} | {ratio} |")
    if mac_rows:
        for label, unit, o, u in mac_rows:
            ratio = ""
            try:
                ratio = f"{float(o) / float(u):.2f}"
            except (ValueError, ZeroDivisionError):
                pass
            out.append(f"| {label} | {unit} | {o} | {u} | {ratio} |")
    else:
        out.append("| per-segment MAC, from the KUnit benchmark (BENCH_MAC_FILE) "
                   "| | not measured here | | |")
    out.append("")
    for side in ("ours", "upstream"):
        if k[side]["fails"]:
            out.append(f"**Failed on {side}:**")
            out.append("")
            for f in k[side]["fails"]:
                out.append(f"- {f}")
            out.append("")
    out.append("## Method")
    out.append("")
    out.append(METHOD)
    out.append("")
    out.append("## Notes from the runs")
    out.append("")
    for side in ("ours", "upstream"):
        notes = [i for i in k[side]["info"] if "bytes per connection" not in i]
        mem = [i for i in k[side]["info"] if "bytes per connection" in i and "#1:" in i]
        out.append(f"### {side}")
        out.append("")
        out.append("```")
        out.extend(notes + mem)
        out.append("```")
        out.append("")
    text = "\n".join(out) + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


METHOD = """\
All runs: one UML VM per kernel (one CPU), two fresh network namespaces per
program run, A (server, 10.0.0.1) and B (client, 10.0.0.2) joined by a veth
pair; IPv4. bench.c speaks each kernel's own ABI: ours puts keys in the
namespace (TCP_AUTHOPT_KEY) and sockets take part with TCP_AUTHOPT; upstream
puts keys on each socket (TCP_AO_ADD_KEY; the listener's before listen(), the
client's before connect()). 16-byte master key, 12-byte MACs, keys bound to
the peer's /32.

1. Bulk: B sends 64 KiB buffers for BENCH_SECS, then shuts down; MB/s =
   bytes / time until the receiver has read all and closed. TCP-AO runs
   check that both sockets are authenticated and that no segment failed.
2. Setup rate: for BENCH_RATE_SECS, sequentially: socket in B (+ one
   setsockopt: ours TCP_AUTHOPT, upstream TCP_AO_ADD_KEY), connect, accept,
   close both (client first).
3. Key scaling: A holds the key of B (installed first, so the last one a
   newest-first list reaches) plus N keys of other peers (172.16/12, same
   KeyIDs), ours in the namespace, upstream on the listening socket. Per
   round, BENCH_ITERS times each: the null call (the key option with a
   4-byte buffer, EINVAL before any key work, on the listener), delete a
   random other peer's key and add it back (each timed alone), connect()+
   accept() of a fresh keyed client (timed together) and the same against a
   plain listener. A figure is the median of BENCH_ITERS calls; the table
   gives the median (and range) of the BENCH_RUNS round figures. "minus
   null syscall" subtracts the null call's median of the same round (the
   syscall entry, UML's ptrace round trip and the clock reads), leaving the
   kernel's key work; connect is instead given minus the plain connect of
   the same round, i.e. what TCP-AO adds to a handshake. UML's clock moves
   in steps of about 0.13 us: differences below ~1 us are at its
   resolution (and a ratio is only given when both are above 0). Ours is
   limited to 65536 keys per namespace, so the top level is 65535 others
   + B's.
4. SYN flood: a raw socket in B sends bare SYNs (random ports and ISNs) from
   B's address to the listener, 64 per sendmmsg(), for BENCH_FLOOD_SECS;
   rejected = delta of A's TcpExt counter for segments missing a required
   TCP-AO (ours TCPAuthOptRequired, upstream TCPAORequired); a run fails if
   under 95% of the SYNs sent are counted. The clock stops when every SYN
   sent has been counted. With one CPU, veth hands each packet to the
   backlog and the softirq runs as the sender re-enables bottom halves (or
   in ksoftirqd, on the same CPU), so that wall time is the CPU time of
   sending plus rejecting; softnet backlog drops are logged. Done with
   only B's key, and with the whole key set of test 3 installed (the key
   of B being the oldest: the worst case for a list searched newest-first).
5. Rollover: BENCH_CONNS authenticated connections (key 1). One change:
   ours = add key 2 in B's namespace, add key 2 in A's, re-add key 1 in A
   with NOSEND (3 calls for all connections); upstream = on each of B's
   sockets add key 2 asking the peer for it (RNext), on each of A's add key
   2 as current and RNext (2 × BENCH_CONNS calls). Then every A socket sends
   one byte and every B socket reads it and must report a segment signed
   with key 2 (ours: recv_keyid of TCP_AUTHOPT; upstream: pkt_good of key 2
   in TCP_AO_GET_KEYS). Untimed: B answers with key 2, key 1 is deleted.
   Repeated BENCH_RUNS times with the next key ids.
6. Memory: after one warm-up connection, slab totals (sum over caches of
   active objects × object size in /proc/slabinfo, after shrinking every
   SLUB cache; on SLAB the per-CPU arrays are cut to 1 object) and
   /proc/meminfo Slab, before and after BENCH_CONNS connections (one byte
   each way), and after the clients closed first (their sockets in
   TIME-WAIT, the servers' gone). Both ends live in the same VM, so
   "per connection" counts client and server socket together. The
   per-cache deltas of the first run are listed below.
"""

if __name__ == "__main__":
    main()
