#!/bin/bash
# Run test programs each alone in a fresh VM, a few VMs at a time, and
# collect one TAP file per program for tapcount.py:
#   vm-each.sh KIND OUTDIR SECONDS [--leakcheck] [--jobs N] [--env VAR=VAL]... -- PROG...
# OUTDIR/tap/NAME.tap holds the program's output between "# run:" and
# "# exit:" lines, and "# vm-fail: RC NAME" when its VM failed around it
# (crash, timeout, kernel splat, leak) without the program reporting a
# failure. Every VM is a fresh boot, so a program sees a kernel in which
# no other test ran (e.g. net.ipv4.tcp_authopt still 0).
. "$(dirname "$0")/lib.sh"

kind=$1 out=$2 limit=$3
shift 3
leak="" jobs=${VM_JOBS:-2} envs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--leakcheck) leak=--leakcheck; shift ;;
	--jobs) jobs=$2; shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	--) shift; break ;;
	*) die "vm-each.sh: unknown option $1" ;;
	esac
done
rm -rf "$out"
mkdir -p "$out/tap"
out=$(cd "$out" && pwd)

run_one() { # program
	local name rc=0 tap
	name=$(basename "$1")
	tap=$out/tap/$name.tap
	"$REPO/workbench/vm.sh" -k "$kind" -n "$name" -o "$out/$name" -t "$limit" $leak -- \
		env "${envs[@]}" "$REPO/workbench/run-tests.sh" "$out/$name" "$((limit - 30))" "$1" \
		>"$out/$name.log" 2>&1 || rc=$?
	mv "$out/$name/$name.tap" "$tap" 2>/dev/null ||
		printf '# run: %s\n# exit: 125 %s\n' "$name" "$name" >"$tap"
	# The program's own failures are in its TAP; anything else is the VM's.
	if [ $rc != 0 ] && ! grep -qE '^not ok|^# exit: [1-9]' "$tap"; then
		echo "# vm-fail: $rc $name" >>"$tap"
		grep -E 'LEAK|splat|no exit marker' "$out/$name.log" | head -n 5 | sed 's/^/# /' >>"$tap"
	fi
	echo "== vm-each: $name done (vm exit $rc)" >&2
}

running=0
for prog in "$@"; do
	prog=$(realpath "$prog")
	run_one "$prog" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
wait
