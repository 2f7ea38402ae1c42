#!/bin/bash
# Interop stage: our UML kernel and the upstream 6.12 peer on one link run
# tools/testing/selftests/net/tcp_authopt/interop.py, each with its own
# ABI. A case passes when both machines say it passed. Afterwards neither
# kernel may have counted a bad MAC.
. "$(dirname "$0")/lib.sh"

py=$REPO/tools/testing/selftests/net/tcp_authopt/interop.py
dir=$BUILD/vm/pair-ours-peer
rm -rf "$dir"
mkdir -p "$dir/ours" "$dir/peer"
args='--self4 $SELF_IP4 --self6 $SELF_IP6 --peer4 $PEER_IP4 --peer6 $PEER_IP6'
"$REPO/workbench/vm-pair.sh" \
	ours uml "/usr/bin/python3 $py --abi ours $args >$dir/ours/interop.tap; rc=\$?;
		nstat -az TcpExtTCPAuthOptFailure >$dir/ours/nstat; exit \$rc" \
	peer peer "/usr/bin/python3 $py --abi upstream $args >$dir/peer/interop.tap; rc=\$?;
		nstat -az TcpExtTCPAOBad >$dir/peer/nstat; exit \$rc" \
	>"$LOGS/interop.log" 2>&1
rc=$?
/usr/bin/python3 - "$dir" >"$dir/interop.tap" <<'PY'
import re, sys
d = sys.argv[1]
def results(side):
    out = {}
    for line in open(f'{d}/{side}/interop.tap', errors='replace'):
        m = re.match(r'(not ok|ok) (\d+) (.*)', line)
        if m:
            out[int(m.group(2))] = (m.group(1) == 'ok', m.group(3))
    return out
ours, peer = results('ours'), results('peer')
n = max(list(ours) + list(peer) + [0])
print(f'1..{n + 2}')
print(f'# {"case":58} ours  peer')
for i in range(1, n + 1):
    o, p = ours.get(i, (False, 'missing')), peer.get(i, (False, 'missing'))
    name = o[1].split(' # ')[0]
    print(f'# {name:58} {"pass" if o[0] else "FAIL":5} {"pass" if p[0] else "FAIL"}')
    print(f'{"ok" if o[0] and p[0] else "not ok"} {i} {name}')
for side, counter in (('ours', 'TcpExtTCPAuthOptFailure'), ('peer', 'TcpExtTCPAOBad')):
    text = open(f'{d}/{side}/nstat', errors='replace').read()
    m = re.search(counter + r'\s+(\d+)', text)
    bad = int(m.group(1)) if m else -1
    print(f'{"ok" if bad == 0 else "not ok"} {n + 1 + (side == "peer")} {side} counted no bad MAC ({counter}={bad})')
PY
cat "$dir/interop.tap" | grep '^#'
"$REPO/workbench/tapcount.py" interop "$dir/interop.tap" || rc=1
exit $rc
