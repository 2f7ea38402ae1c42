#!/bin/bash
# The BGP demo's scenario, shared by make demo (workbench/demo.sh) and its
# check (workbench/demo-check.sh): two UML VMs of our kernel on one link
# (workbench/vm-pair.sh), r1 running BIRD 2 and r2 running FRR bgpd, with
# r3 (BIRD 2, wrong key) in a namespace behind r2; workbench/demo-vm.sh is
# each router's part. workbench/demo.py then judges what they recorded:
# the sessions, the routes, every MAC of the capture, the rollover, r3.
#
#   run.sh summary|tap [--break r2-key|r3-key]
#
# summary: the routers' output live, then a summary. tap: their output to
# $LOGS/demo-check.log, TAP on stdout. The exit status is non-zero when a
# fact fails. --break spoils the scenario on purpose, to see the check fail:
#   r2-key  r2 holds another key 1 than r1: no session may come up
#   r3-key  r3 holds the right key: it peers, so "r3 refused" must fail
. "$(dirname "$0")/../lib.sh"

mode=${1:-}
case "$mode" in
summary | tap) shift ;;
*) die "usage: run.sh summary|tap [--break r2-key|r3-key]" ;;
esac
broken=""
while [ $# -gt 0 ]; do
	case "$1" in
	--break) broken=$2; shift 2 ;;
	*) die "run.sh: unknown option $1" ;;
	esac
done
case "$broken" in "" | r2-key | r3-key) ;; *) die "run.sh: --break r2-key or r3-key" ;; esac

need_pkgs bird2 frr tcpdump uml-utilities python3-scapy python3-cryptography
[ -x "$BUILD/uml/linux" ] || die "no $BUILD/uml/linux: run 'make uml' first"
cli=$BUILD/cli/tcp-authopt
if [ ! -x "$cli" ]; then
	note "building the tcp-authopt tool"
	make -s -C "$TREE" O="$BUILD/headers" ARCH=x86 headers >/dev/null
	make -s -C "$TREE/tools/net/tcp_authopt" OUTPUT="$BUILD/cli/" \
		KHDR_INCLUDES="-isystem $BUILD/headers/usr/include" >/dev/null
fi

# The secrets: demo.py checks the capture with r1's. (Test values: they are
# visible in the VMs' command files.)
export DEMO_KEY1="r1-r2 key one" DEMO_KEY2="r1-r2 key two" DEMO_R3_KEY="r1-r3 key"
export DEMO_R3_WRONG="not the r1-r3 key"
r2_key1=$DEMO_KEY1 r3_key=$DEMO_R3_WRONG
[ "$broken" != r2-key ] || r2_key1="a wrong r1-r2 key one"
[ "$broken" != r3-key ] || r3_key=$DEMO_R3_KEY

if [ "$mode" = summary ]; then a=r1 b=r2; else a=check-r1 b=check-r2; fi
dir=$BUILD/vm/pair-$a-$b
rm -rf "$dir"
mkdir -p "$dir/$a" "$dir/$b" "$LOGS"

router() { # role key1 r3-key peer-name
	printf 'env DEMO_PEER_OUT=%q DEMO_KEY1=%q DEMO_KEY2=%q DEMO_R3_KEY=%q DEMO_CLI=%q ' \
		"$dir/$4" "$2" "$DEMO_KEY2" "$3" "$cli"
	printf '/bin/bash %q %q' "$REPO/workbench/demo-vm.sh" "$1"
}

# The console shows the kernel booting: keep what the routers print, the
# kernel's TCP-AO messages, its splats and the VMs' verdicts.
routers_only() {
	awk '/vm\[|BUG:|WARNING:|KASAN|UBSAN|Kernel panic|LEAK:/ { print; fflush(); next }
	     { p = $1 } !started[p] && $2 != "==" { next } { started[p] = 1 }
	     /@@VM-EXIT@@/ { next }
	     /^\[[^]]*\] \[ *[0-9]+\.[0-9]+\]/ && !/tcp_authopt|TCP-AO|TCPAuthOpt/ { next }
	     { print; fflush() }'
}

start=$(date +%s)
rc=0
run_pair() {
	VM_TIMEOUT=${DEMO_VM_TIMEOUT:-400} "$REPO/workbench/vm-pair.sh" \
		"$a" uml "$(router r1 "$DEMO_KEY1" "$DEMO_R3_KEY" "$b")" \
		"$b" uml "$(router r2 "$r2_key1" "$r3_key" "$a")"
}
if [ "$mode" = summary ]; then
	run_pair 2>&1 | routers_only || rc=$?
else
	run_pair >"$LOGS/demo-check.log" 2>&1 || rc=$?
fi
took=$(($(date +%s) - start))
[ "$mode" = tap ] || echo
/usr/bin/python3 "$REPO/workbench/demo.py" "$mode" --r1 "$dir/$a" --r2 "$dir/$b" \
	--vm-status "$rc" --seconds "$took" --log "$LOGS/demo-check.log"
