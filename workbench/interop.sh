#!/bin/bash
# Interop stage: our UML kernel and the upstream 6.12 peer on one link run
# tools/testing/selftests/net/tcp_authopt/interop.py, each with its own
# ABI. A case passes when both machines say it passed: the data came as
# sent (checked byte by byte), each kernel reports the connection
# authenticated with the case's keys, and only the counters the case
# allows moved. Then no TCP-AO or MD5 counter may have moved outside the
# cases on either side, and interop.py --selftest (on the host) must show
# that those checkers reject what they exist to reject.
#   INTEROP_ARGS       more arguments for both sides (e.g. --only 1,2,47)
#   INTEROP_OURS_ARGS  more arguments for ours only (e.g. --flip-key)
#   INTEROP_PEER_ARGS  more arguments for the peer only
. "$(dirname "$0")/lib.sh"

py=$REPO/tools/testing/selftests/net/tcp_authopt/interop.py
dir=$BUILD/vm/pair-ours-peer
args='--self4 $SELF_IP4 --self6 $SELF_IP6 --peer4 $PEER_IP4 --peer6 $PEER_IP6'
both=${INTEROP_ARGS:-}
side() { # abi dir extra-args: the command one VM runs
	echo "/usr/bin/python3 $py --abi $1 $args $both $3 >$dir/$2/interop.tap; rc=\$?;
		cat /proc/net/netstat >$dir/$2/netstat; exit \$rc"
}
run_pair() {
	rm -rf "$dir"
	mkdir -p "$dir/ours" "$dir/peer"
	"$REPO/workbench/vm-pair.sh" \
		ours uml "$(side ours ours "${INTEROP_OURS_ARGS:-}")" \
		peer peer "$(side upstream peer "${INTEROP_PEER_ARGS:-}")" \
		>"$LOGS/interop.log" 2>&1
}
rc=0
start=$SECONDS
# A VM that fails, dies or hangs fails the stage: its cases show as FAIL
# below (no result), and there is no second run to hide it.
run_pair || rc=$?
took=$((SECONDS - start))
if grep -q 'no exit marker' "$LOGS/interop.log"; then
	echo "== interop: a VM died or hung (no exit marker): see $LOGS/interop.log"
	rc=1
fi
/usr/bin/python3 "$py" --selftest >"$dir/selftest.tap" 2>&1 || true
/usr/bin/python3 - "$dir" "$took" >"$dir/interop.tap" <<'PY'
import os, re, sys
d, took = sys.argv[1], int(sys.argv[2])
PREFIXES = ('TCPAuthOpt', 'TCPAO', 'TCPMD5')
times, counted, moved = {}, {'ours': {}, 'peer': {}}, {}
def read(path):
    return open(path, errors='replace').read() if os.path.exists(path) else ''
def results(side):
    out = {}
    for line in read(f'{d}/{side}/interop.tap').splitlines():
        m = re.match(r'(not ok|ok) (\d+) (.*)', line)
        if m:
            out[int(m.group(2))] = (m.group(1) == 'ok', m.group(3))
        m = re.match(r'#   time (\d+) ([\d.]+) s \(this script ([\d.]+) s CPU\).*; moved: ([^;]*);',
                     line)
        if m:
            n = int(m.group(1))
            times.setdefault(n, {})[side] = (float(m.group(2)), float(m.group(3)))
            # TCPAOGood moves in every connection: show the others.
            other = [c for c in m.group(4).split() if not c.startswith(('none', 'TCPAOGood+'))]
            if other:
                moved.setdefault(n, []).append(f'{side} ' + ' '.join(other))
        m = re.match(r'# counted TcpExt(\S+) (\d+)', line)
        if m:
            counted[side][m.group(1)] = int(m.group(2))
    return out
ours, peer = results('ours'), results('peer')
n = max(list(ours) + list(peer) + [0])
print(f'1..{n + 3}')
print(f'# {"case":56} ours peer  time  script CPU ours/peer  counters moved (but TCPAOGood)')
for i in range(1, n + 1):
    o, p = ours.get(i, (False, 'missing')), peer.get(i, (False, 'missing'))
    name = (o if o[1] != 'missing' else p)[1].split(' # ')[0]
    t = times.get(i, {})
    wall = max(t.get('ours', (0, 0))[0], t.get('peer', (0, 0))[0])
    print(f'# {name:56} {"pass" if o[0] else "FAIL":4} {"pass" if p[0] else "FAIL":4} '
          f'{wall:5.1f}s {t.get("ours", (0, 0))[1]:5.1f}/{t.get("peer", (0, 0))[1]:5.1f}s  '
          f'{"; ".join(moved.get(i, []))}')
    print(f'{"ok" if o[0] and p[0] else "not ok"} {i} {name}')
# Totals at the end against the sums of what each case saw move.
for k, side in enumerate(('ours', 'peer')):
    text = read(f'{d}/{side}/netstat').splitlines()
    totals = {}
    for names, values in zip(text[::2], text[1::2]):
        if names.startswith('TcpExt:'):
            totals.update((a, int(b)) for a, b in zip(names.split()[1:], values.split()[1:])
                          if a.startswith(PREFIXES))
    wrong = [f'{c}={totals.get(c, "?")} cases {counted[side].get(c, "?")}'
             for c in sorted(set(totals) | set(counted[side]))
             if totals.get(c) != counted[side].get(c)]
    ok = totals and counted[side] and not wrong
    print(f'{"ok" if ok else "not ok"} {n + 1 + k} {side}: no TCP-AO/MD5 counter moved outside '
          f'the cases ({len(totals)} counters{"; " + ", ".join(wrong) if wrong else ""})')
st = read(f'{d}/selftest.tap')
fails = [line for line in st.splitlines() if line.startswith('not ok')]
plan = re.search(r'^1\.\.(\d+)', st, re.M)
oks = len(re.findall(r'^ok ', st, re.M))
ok = plan and not fails and oks == int(plan.group(1))
print(f'{"ok" if ok else "not ok"} {n + 3} host: the checkers reject reordered, duplicated '
      f'and foreign data, unexpected counters, unauthenticated connections '
      f'({oks} checks{"; " + "; ".join(fails) if fails else ""})')
print(f'# interop: {sum(1 for i in range(1, n + 1) if ours.get(i, (0,))[0] and peer.get(i, (0,))[0])}'
      f'/{n} cases passed on both sides; VM pair ran {took} s')
PY
grep '^#' "$dir/interop.tap"
"$REPO/workbench/tapcount.py" interop "$dir/interop.tap" || rc=1
exit $rc
