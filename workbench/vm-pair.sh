#!/bin/bash
# Two VMs on one virtual link (uml_switch over a unix socket: no host
# network, no multicast), each running its own command. Fails if either does.
#   vm-pair.sh NAME_A KIND_A CMD_A NAME_B KIND_B CMD_B
# Addresses: A is 198.51.100.1/24 + 2001:db8::1/64, B is .2 and ::2.
# VM_TIMEOUT (default 900) bounds each VM in seconds. PAIR_KERNEL_A and
# PAIR_KERNEL_B boot that kernel binary (vm.sh -K) instead of build/KIND/linux.
# CMD_* are shell strings; each VM sees PEER_IP4/PEER_IP6 and SELF_IP4/SELF_IP6.
. "$(dirname "$0")/lib.sh"

[ $# -eq 6 ] || die "usage: vm-pair.sh NAME_A KIND_A CMD_A NAME_B KIND_B CMD_B"
need_pkgs uml-utilities
dir=$BUILD/vm/pair-$1-$4
mkdir -p "$dir"
sock=$dir/switch.sock
rm -f "$sock"
uml_switch -unix "$sock" </dev/null >"$dir/switch.log" 2>&1 &
sw=$!
trap 'kill $sw 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || die "uml_switch did not start"

run() { # name kind cmd self peer [kernel]
	"$REPO/workbench/vm.sh" -k "$2" ${6:+-K "$6"} -n "$1" -o "$dir/$1" -t "${VM_TIMEOUT:-900}" --switch "$sock" \
		--ip4 "198.51.100.$4/24" --ip6 "2001:db8::$4/64" -- \
		env SELF_IP4=198.51.100.$4 SELF_IP6=2001:db8::$4 \
		PEER_IP4=198.51.100.$5 PEER_IP6=2001:db8::$5 /bin/sh -c "$3" 2>&1 |
		sed -u "s/^/[$1] /"
	return "${PIPESTATUS[0]}"
}
run "$1" "$2" "$3" 1 2 "${PAIR_KERNEL_A:-}" &
a=$!
run "$4" "$5" "$6" 2 1 "${PAIR_KERNEL_B:-}" &
b=$!
rc=0
wait $a || rc=$?
wait $b || rc=$?
exit $rc
