#!/bin/bash
# Interop stage: our UML kernel and the upstream 6.12 peer on one link run
# tools/testing/selftests/net/tcp_authopt/interop.py, in two pairs one
# after the other: first each kernel with its own ABI, then our kernel
# with upstream's socket options (TCP_AO_ADD_KEY, per-socket keys) against
# the same peer; the second pair's rows start with "uabi: ". A case passes
# when both machines say it passed: the data came as sent (checked byte by
# byte), each kernel reports the connection authenticated with the case's
# keys, and only the counters the case allows moved. A case one of the two
# cannot take part in yet (an algorithm our kernel has not under upstream's
# ABI; none in the matrix today) is skipped on both and reported as a
# skip. Then no TCP-AO or MD5
# counter may have moved outside the cases on either side of either pair,
# and interop.py --selftest (on the host) must show that those checkers
# reject what they exist to reject.
#   INTEROP_ARGS         more arguments for both sides of both pairs (e.g. --only 1,2,47)
#   INTEROP_OURS_ARGS    more arguments for ours only (e.g. --flip-key)
#   INTEROP_PEER_ARGS    more arguments for the peer only
#   INTEROP_UABI_ARGS    more arguments for both sides of the second pair
#                        (e.g. --max-size 67108864: its two 256 MiB cases,
#                        3.5 minutes, reported as skipped)
#   INTEROP_OURS_KERNEL  our kernel binary (default build/uml/linux)
. "$(dirname "$0")/lib.sh"

py=$REPO/tools/testing/selftests/net/tcp_authopt/interop.py
args='--self4 $SELF_IP4 --self6 $SELF_IP6 --peer4 $PEER_IP4 --peer6 $PEER_IP6'
both=${INTEROP_ARGS:-}
uabi_args=${INTEROP_UABI_ARGS:-}
export PAIR_KERNEL_A=${INTEROP_OURS_KERNEL:-$BUILD/uml/linux}
side() { # dir vm interop.py-arguments: the command one VM runs
	echo "/usr/bin/python3 $py $3 $args $both >$1/$2/interop.tap; rc=\$?;
		cat /proc/net/netstat >$1/$2/netstat; exit \$rc"
}
rc=0
took=()
run_pair() { # ours-vm peer-vm log ours-args peer-args
	# vm-pair.sh puts its files in build/vm/pair-OURS-PEER, each VM's
	# (writable inside it) in a directory of its name.
	local dir=$BUILD/vm/pair-$1-$2 start=$SECONDS
	rm -rf "$dir"
	mkdir -p "$dir/$1" "$dir/$2"
	# A VM that fails, dies or hangs fails the stage: its cases show as
	# FAIL below (no result), and there is no second run to hide it.
	"$REPO/workbench/vm-pair.sh" \
		"$1" uml "$(side "$dir" "$1" "$4")" \
		"$2" peer "$(side "$dir" "$2" "$5")" \
		>"$LOGS/$3.log" 2>&1 || rc=1
	took+=($((SECONDS - start)))
	if grep -q 'no exit marker' "$LOGS/$3.log"; then
		echo "== interop: a VM died or hung (no exit marker): see $LOGS/$3.log"
		rc=1
	fi
}
# One pair at a time: the two share the link addresses and the CPUs.
run_pair ours peer interop "--abi ours ${INTEROP_OURS_ARGS:-}" "--abi upstream ${INTEROP_PEER_ARGS:-}"
run_pair ours-uabi peer interop-uabi "--abi upstream --kernel ours $uabi_args ${INTEROP_OURS_ARGS:-}" \
	"--abi upstream --other-abi upstream $uabi_args ${INTEROP_PEER_ARGS:-}"
out=$BUILD/vm/pair-ours-peer
/usr/bin/python3 "$py" --selftest >"$out/selftest.tap" 2>&1 || true
/usr/bin/python3 - "$out/selftest.tap" \
	"$out" ours peer "" "our ABI" "${took[0]}" \
	"$BUILD/vm/pair-ours-uabi-peer" ours-uabi peer "uabi: " "our kernel with upstream's ABI" \
	"${took[1]}" >"$out/interop.tap.new" <<'PY'
import os, re, sys
selftest, runs = sys.argv[1], [sys.argv[i:i + 6] for i in range(2, len(sys.argv), 6)]
PREFIXES = ('TCPAuthOpt', 'TCPAO', 'TCPMD5')
def read(path):
    return open(path, errors='replace').read() if os.path.exists(path) else ''
def results(d, vm, times, counted, moved):
    """{case number: (ok, name, skip reason or None)} as one VM saw them."""
    out = {}
    for line in read(f'{d}/{vm}/interop.tap').splitlines():
        m = re.match(r'(not ok|ok) (\d+) (.*)', line)
        if m:
            name, _, note = m.group(3).partition(' # ')
            # Only an "ok" with the SKIP directive is a skip.
            skip = note[5:] if m.group(1) == 'ok' and note.startswith('SKIP ') else None
            out[int(m.group(2))] = (m.group(1) == 'ok', name, skip)
        m = re.match(r'#   time (\d+) ([\d.]+) s \(this script ([\d.]+) s CPU\).*; moved: ([^;]*);',
                     line)
        if m:
            n = int(m.group(1))
            times.setdefault(n, {})[vm] = (float(m.group(2)), float(m.group(3)))
            # TCPAOGood moves in every connection: show the others.
            other = [c for c in m.group(4).split() if not c.startswith(('none', 'TCPAOGood+'))]
            if other:
                moved.setdefault(n, []).append(f'{vm} ' + ' '.join(other))
        m = re.match(r'# counted TcpExt(\S+) (\d+)', line)
        if m:
            counted[vm][m.group(1)] = int(m.group(2))
    return out
rows, summaries = [], []
for d, ours_vm, peer_vm, prefix, what, took in runs:
    times, counted, moved = {}, {ours_vm: {}, peer_vm: {}}, {}
    ours = results(d, ours_vm, times, counted, moved)
    peer = results(d, peer_vm, times, counted, moved)
    n = max(list(ours) + list(peer) + [0])
    rows.append(('#', f'{what} ({d}):'))
    rows.append(('#', f'{"case":62} ours peer  time  script CPU ours/peer  '
                      f'counters moved (but TCPAOGood)'))
    passed = skipped = 0
    for i in range(1, n + 1):
        o, p = ours.get(i, (False, 'missing', None)), peer.get(i, (False, 'missing', None))
        name = prefix + (o if o[1] != 'missing' else p)[1]
        t = times.get(i, {})
        wall = max(t.get(ours_vm, (0, 0))[0], t.get(peer_vm, (0, 0))[0])
        show = lambda r: 'skip' if r[0] and r[2] else 'pass' if r[0] else 'FAIL'
        rows.append(('#', f'{name:62} {show(o):4} {show(p):4} {wall:5.1f}s '
                          f'{t.get(ours_vm, (0, 0))[1]:5.1f}/{t.get(peer_vm, (0, 0))[1]:5.1f}s  '
                          f'{"; ".join(moved.get(i, []))}'))
        if o[0] and p[0] and o[2] and p[2]:
            # Skipped on both: reported as a skip, never as a pass.
            skipped += 1
            rows.append(('ok', f'{name} # SKIP {o[2]}'))
        elif o[0] and p[0] and not o[2] and not p[2]:
            passed += 1
            rows.append(('ok', name))
        else:
            why = ('one side skipped, the other did not' if o[0] and p[0] else
                   'failed on ' + ' and '.join(s for s, r in (('ours', o), ('peer', p))
                                               if not r[0]))
            rows.append(('not ok', f'{name} # {why}'))
    # Totals at the end against the sums of what each case saw move.
    for vm in (ours_vm, peer_vm):
        text = read(f'{d}/{vm}/netstat').splitlines()
        totals = {}
        for names, values in zip(text[::2], text[1::2]):
            if names.startswith('TcpExt:'):
                totals.update((a, int(b)) for a, b in zip(names.split()[1:], values.split()[1:])
                              if a.startswith(PREFIXES))
        wrong = [f'{c}={totals.get(c, "?")} cases {counted[vm].get(c, "?")}'
                 for c in sorted(set(totals) | set(counted[vm]))
                 if totals.get(c) != counted[vm].get(c)]
        ok = totals and counted[vm] and not wrong
        rows.append(('ok' if ok else 'not ok',
                     f'{prefix}{vm.split("-")[0]}: no TCP-AO/MD5 counter moved outside the '
                     f'cases ({len(totals)} counters{"; " + ", ".join(wrong) if wrong else ""})'))
    summaries.append(f'# interop, {what}: {passed}/{n} cases passed on both sides, '
                     f'{skipped} skipped; VM pair ran {took} s')
st = read(selftest)
fails = [line for line in st.splitlines() if line.startswith('not ok')]
plan = re.search(r'^1\.\.(\d+)', st, re.M)
oks = len(re.findall(r'^ok ', st, re.M))
ok = plan and not fails and oks == int(plan.group(1))
rows.append(('ok' if ok else 'not ok',
             f'host: the checkers reject reordered, duplicated and foreign data, unexpected '
             f'counters, unauthenticated connections, a side taken by ABI instead of kernel '
             f'({oks} checks{"; " + "; ".join(fails) if fails else ""})'))
print(f'1..{sum(1 for status, _ in rows if status != "#")}')
num = 0
for status, text in rows:
    if status == '#':
        print(f'# {text}')
    else:
        num += 1
        print(f'{status} {num} {text}')
for line in summaries:
    print(line)
PY
mv "$out/interop.tap.new" "$out/interop.tap"
grep '^#' "$out/interop.tap"
"$REPO/workbench/tapcount.py" interop "$out/interop.tap" || rc=1
exit $rc
