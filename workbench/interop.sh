#!/bin/bash
# Interop stage: our UML kernel and the upstream 6.12 peer on one link run
# tools/testing/selftests/net/tcp_authopt/interop.py, each with its own
# ABI. A case passes when both machines say it passed. Afterwards neither
# kernel may have counted a bad MAC, except in the deliberate wrong-key
# cases: each side reports what it counted there ("# excluded COUNTER N").
. "$(dirname "$0")/lib.sh"

py=$REPO/tools/testing/selftests/net/tcp_authopt/interop.py
dir=$BUILD/vm/pair-ours-peer
args='--self4 $SELF_IP4 --self6 $SELF_IP6 --peer4 $PEER_IP4 --peer6 $PEER_IP6'
run_pair() {
	rm -rf "$dir"
	mkdir -p "$dir/ours" "$dir/peer"
	"$REPO/workbench/vm-pair.sh" \
		ours uml "/usr/bin/python3 $py --abi ours $args >$dir/ours/interop.tap; rc=\$?;
			nstat -az TcpExtTCPAuthOptFailure >$dir/ours/nstat; exit \$rc" \
		peer peer "/usr/bin/python3 $py --abi upstream $args >$dir/peer/interop.tap; rc=\$?;
			nstat -az TcpExtTCPAOBad >$dir/peer/nstat; exit \$rc" \
		>"$LOGS/interop.log" 2>&1
}
rc=0
# A VM that fails, dies or hangs fails the stage: its cases show as FAIL
# below (no result), and there is no second run to hide it.
run_pair || rc=$?
if grep -q 'no exit marker' "$LOGS/interop.log"; then
	echo "== interop: a VM died or hung (no exit marker): see $LOGS/interop.log"
	rc=1
fi
/usr/bin/python3 - "$dir" >"$dir/interop.tap" <<'PY'
import os, re, sys
d = sys.argv[1]
times, excluded = {}, {}
def results(side):
    out = {}
    path = f'{d}/{side}/interop.tap'
    for line in open(path, errors='replace') if os.path.exists(path) else ():
        m = re.match(r'(not ok|ok) (\d+) (.*)', line)
        if m:
            out[int(m.group(2))] = (m.group(1) == 'ok', m.group(3))
        m = re.match(r'#   time (\d+) ([\d.]+) s', line)
        if m:
            n = int(m.group(1))
            times[n] = max(times.get(n, 0.0), float(m.group(2)))
        m = re.match(r'# excluded (\S+) (\d+)', line)
        if m:
            excluded[m.group(1)] = int(m.group(2))
    return out
ours, peer = results('ours'), results('peer')
n = max(list(ours) + list(peer) + [0])
print(f'1..{n + 2}')
print(f'# {"case":58} ours  peer  time')
for i in range(1, n + 1):
    o, p = ours.get(i, (False, 'missing')), peer.get(i, (False, 'missing'))
    name = (o if o[1] != 'missing' else p)[1].split(' # ')[0]
    print(f'# {name:58} {"pass" if o[0] else "FAIL":5} {"pass" if p[0] else "FAIL":5} '
          f'{times.get(i, 0):5.1f}s')
    print(f'{"ok" if o[0] and p[0] else "not ok"} {i} {name}')
for side, counter in (('ours', 'TcpExtTCPAuthOptFailure'), ('peer', 'TcpExtTCPAOBad')):
    path = f'{d}/{side}/nstat'
    text = open(path, errors='replace').read() if os.path.exists(path) else ''
    m = re.search(counter + r'\s+(\d+)', text)
    total = int(m.group(1)) if m else -1
    known = excluded.get(counter, -1)
    bad = total - known if total >= 0 and known >= 0 else -1
    print(f'{"ok" if bad == 0 else "not ok"} {n + 1 + (side == "peer")} {side} counted no bad MAC '
          f'outside the wrong-key cases ({counter}={total}, {known} there)')
PY
cat "$dir/interop.tap" | grep '^#'
"$REPO/workbench/tapcount.py" interop "$dir/interop.tap" || rc=1
exit $rc
