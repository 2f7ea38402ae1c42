#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the operator tool tcp-authopt (tools/net/tcp_authopt), as root in
# a test VM of our kernel, where net.ipv4.tcp_authopt starts at 0:
#
#   workbench/vm.sh -k uml -n cli -t 300 -- /abs/path/cli_test.sh
#
# The tool is $TCP_AUTHOPT_CLI, by default the tcp-authopt beside this script
# (make -C tools/net/tcp_authopt OUTPUT=<this dir>/), else tcp-authopt in
# $PATH. Every command is run, with bad input too; keys installed by the
# tool must then carry a real authenticated connection between two
# namespaces, and a wrong key must stop it. Each test is one TAP result; the
# exit status is non-zero on a failure.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
CLI=${TCP_AUTHOPT_CLI:-$HERE/tcp-authopt}
# Not built beside the script: an installed one will do.
[ -n "${TCP_AUTHOPT_CLI:-}" ] || [ -x "$CLI" ] || CLI=$(command -v tcp-authopt || echo "$CLI")
T=$(mktemp -d /tmp/cli_test.XXXXXX)
ALL=$T/all-output	# everything the tool printed, searched for secrets
FAIL_DIR=/sys/kernel/debug/fail_tcp_authopt

# Secrets that must never appear in any output.
SECRET_TXT='Marker-Secret-7f3a9c'
SECRET_HEX='4d61726b65722d4865782d3c3e'	# "Marker-Hex-<>"
SECRET_INL='Marker-Inline-55e1'

# ------------------------------------------------------------------------
# Harness: each test is a function run in a subshell; fail/skip exit it.

TESTS=()
DESCS=()
t() { TESTS+=("$1"); DESCS+=("$2"); }

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "$*" >"$T/skip"; exit 77; }

# run CMD...: OUT, ERR and RC of the command; all of it is logged. Only
# builtins here and in the checks: a fork costs ~80 ms in a UML VM.
run() {
	"$@" >"$T/out" 2>"$T/err" <"${STDIN:-/dev/null}"
	RC=$?
	OUT='' ERR=''
	IFS= read -r -d '' OUT <"$T/out"
	IFS= read -r -d '' ERR <"$T/err"
	OUT=${OUT%$'\n'} ERR=${ERR%$'\n'}
	echo "\$ $* -> $RC"
	[ -z "$OUT" ] || printf '  | %s\n' "${OUT//$'\n'/$'\n'  | }"
	[ -z "$ERR" ] || printf '  ! %s\n' "${ERR//$'\n'/$'\n'  ! }"
	printf '%s\n%s\n' "$OUT" "$ERR" >>"$ALL"
}
cli() { run "$CLI" "$@"; }
ns() { local n=$1; shift; run "$CLI" -n "$n" "$@"; }

want_rc() { [ "$RC" = "$1" ] || fail "exit status $RC, expected $1"; }
# has_line TEXT ERE: does a line of TEXT match (grep -E without a fork)?
has_line() {
	local line
	while IFS= read -r line; do
		[[ $line =~ $2 ]] && return 0
	done <<<"$1"
	return 1
}
want_out() { has_line "$OUT" "$1" || fail "stdout lacks /$1/"; }
want_err() { has_line "$ERR" "$1" || fail "stderr lacks /$1/"; }
no_out() { ! has_line "$OUT" "$1" || fail "stdout has /$1/"; }

# JSON check: python3 -c CODE with the document on stdin as `d`.
json() {
	python3 -c "import json,sys; d=json.loads(sys.stdin.read()); $1" <<<"$OUT" ||
		fail "JSON check failed: $1"
}

fresh_ns() {
	ip netns del "$1" 2>/dev/null
	ip netns add "$1" || fail "ip netns add $1"
	ip -n "$1" link set lo up
}

# The view of the kernel, without the tool: "flags send recv alg addr l3index".
proc_keys() { nsenter --net="/run/netns/$1" tail -n +2 /proc/net/tcp_authopt | sort; }
proc_count() { local k; k=$(proc_keys "$1"); [ -z "$k" ] && echo 0 || wc -l <<<"$k"; }
proc_has() {
	proc_keys "$1" | grep -qP -- "$2" || { proc_keys "$1"; fail "/proc lacks /$2/"; }
}

secret_files() {
	printf '%s\n' "$SECRET_TXT" >"$T/secret"
	printf '%s\n' "$SECRET_HEX" >"$T/secret.hex"
	chmod 600 "$T/secret" "$T/secret.hex"
}

add() {	# add NS KEYWORDS...: a key with the text secret, must succeed
	local n=$1; shift
	ns "$n" key add "$@" secret-file "$T/secret"
	[ "$RC" = 0 ] || fail "key add $* failed"
}

# ------------------------------------------------------------------------
# Help and command line

t_help_main() {
	cli --help
	want_rc 0
	local w
	for w in "key add" "key del" "key list" status counters watch apply help \
		 --netns --json "Exit status" "  5 "; do
		want_out "$w"
	done
	cli help
	want_rc 0
	want_out "Usage: tcp-authopt"
}
t help_main "--help and help: every command, option and exit status"

t_help_cmds() {
	local c
	for c in "key" "key add" "key del" "key list" status counters watch apply; do
		# shellcheck disable=SC2086
		cli help $c
		want_rc 0
		want_out "^Usage: tcp-authopt.*${c#key }"
		# shellcheck disable=SC2086
		cli $c --help
		want_rc 0
		want_out "^Usage: tcp-authopt"
	done
	cli help key add
	want_out "secret-file"
	want_out "send-lifetime"
	want_out "has no port fields"
	cli help apply
	want_out "dry-run"
	want_out "peer 198.51.100.2"
}
t help_cmds "help CMD and CMD --help for each command"

t_usage_errors() {
	cli
	want_rc 2
	want_err "no command"
	cli frobnicate
	want_rc 2
	want_err "unknown command 'frobnicate'"
	cli --bogus status
	want_rc 2
	want_err "unknown option"
	cli help nosuch
	want_rc 2
	cli key frob
	want_rc 2
	want_err "unknown command 'frob'"
	cli -n
	want_rc 2
	cli -n no-such-ns status
	want_rc 2
	want_err "no network namespace 'no-such-ns'"
	cli --version
	want_rc 0
	want_out "^tcp-authopt [0-9]"
}
t usage_errors "usage errors exit 2 with a message"

# ------------------------------------------------------------------------
# Before the host-wide switch

t_disabled() {
	[ "$(cat /proc/sys/net/ipv4/tcp_authopt)" = 0 ] ||
		skip "net.ipv4.tcp_authopt is already 1 in this VM"
	cli status
	want_rc 3
	want_out "disabled"
	cli --json status
	want_rc 3
	json 'assert d["supported"] is True and d["enabled"] is False, d'
	secret_files
	cli key add id 1 algorithm aes-128-cmac-96 secret-file "$T/secret"
	want_rc 3
	want_err "tcp_authopt is disabled: sysctl net.ipv4.tcp_authopt=1"
	# Also from another namespace, where the sysctl is not even visible.
	fresh_ns off
	ns off status
	want_rc 3
	want_out "disabled"
	ns off key add id 1 algorithm aes-128-cmac-96 secret-file "$T/secret"
	want_rc 3
	want_err "tcp_authopt is disabled"
}
t disabled "sysctl 0: status says disabled (exit 3), key add says how to enable"

t_enable() {
	sysctl -qw net.ipv4.tcp_authopt=1 || fail "cannot enable tcp_authopt"
	cli status
	want_rc 0
	want_out "tcp_authopt: +enabled"
	want_out "net.ipv4.tcp_authopt = 1"
	want_out "keys: +0 "
	fresh_ns st
	ns st --json status
	want_rc 0
	json 'assert d["enabled"] is True and d["keys"] == 0 and d["netns"] == "st", d
assert d["sysctl_tcp_authopt"] is None and d["all_sockets"] == 0, d
assert "TCPAuthOptFailure" in d["counters"], d'
}
t enable "sysctl 1: status enabled, in the initial namespace and another"

# ------------------------------------------------------------------------
# key add / del / list

t_add_basic() {
	secret_files
	fresh_ns k
	add k send-id 1 recv-id 2 algorithm aes-128-cmac-96 peer 198.51.100.2
	want_rc 0
	proc_has k '^0x4\t1\t2\t2\t198\.51\.100\.2\t0$'
	ns k key list
	want_rc 0
	local want
	want="send-id 1 recv-id 2 peer 198.51.100.2 algorithm aes-128-cmac-96 include-options"
	[ "$OUT" = "$want" ] || fail "list line: $OUT"
	ns k --json key list
	json 'assert len(d) == 1 and d[0]["send_id"] == 1 and d[0]["recv_id"] == 2, d
assert d[0]["algorithm"] == "aes-128-cmac-96" and d[0]["peer"] == "198.51.100.2", d
assert "secret_bytes" not in d[0] and d[0]["flags"] == "0x4", d'
	ns k key list --json
	json 'assert len(d) == 1'
}
t add_basic "key add with secret-file; list (text, --json) and /proc agree"

t_secret_sources() {
	secret_files
	fresh_ns s
	STDIN=$T/secret ns s key add id 3 algorithm hmac-sha-1-96 secret-file -
	want_rc 0
	ns s key add id 4 algorithm hmac-sha-1-96 secret-hex-file "$T/secret.hex"
	want_rc 0
	STDIN=$T/secret.hex ns s key add id 5 algorithm hmac-sha1 secret-hex-file -
	want_rc 0
	ns s key add id 6 algorithm aes-128-cmac --insecure-secret "$SECRET_INL"
	want_rc 0
	[ "$(proc_count s)" = 4 ] || fail "expected 4 keys"
	proc_has s '^0x0\t5\t5\t1\t\*\t0$'
	chmod 644 "$T/secret"
	ns s key add id 7 algorithm hmac-sha-1-96 secret-file "$T/secret"
	want_rc 0
	want_err "can be read by group or others"
	chmod 600 "$T/secret"
}
t secret_sources "secrets from a file, stdin, hex file, hex stdin, --insecure-secret"

t_secret_errors() {
	secret_files
	fresh_ns se
	local f=$T/bad
	printf 'abc' >"$f.oddhex"
	printf 'zz11' >"$f.nothex"
	printf '' >"$f.empty"
	head -c 81 /dev/zero | tr '\0' 'a' >"$f.long"
	head -c 80 /dev/zero | tr '\0' 'a' >"$f.80"
	printf '%0162d' 0 >"$f.longhex"
	ns se key add id 1 algorithm hmac-sha-1-96 secret-hex-file "$f.oddhex"
	want_rc 2
	want_err "not hexadecimal"
	ns se key add id 1 algorithm hmac-sha-1-96 secret-hex-file "$f.nothex"
	want_rc 2
	ns se key add id 1 algorithm hmac-sha-1-96 secret-file "$f.empty"
	want_rc 2
	want_err "empty secret"
	ns se key add id 1 algorithm hmac-sha-1-96 secret-file "$f.long"
	want_rc 2
	want_err "81 bytes.*at most 80"
	ns se key add id 1 algorithm hmac-sha-1-96 secret-hex-file "$f.longhex"
	want_rc 2
	want_err "at most 80"
	ns se key add id 1 algorithm hmac-sha-1-96 secret-file "$T/nonexistent"
	want_rc 2
	want_err "No such file"
	ns se key add id 1 algorithm hmac-sha-1-96 secret-file "$T/secret" \
		--insecure-secret x
	want_rc 2
	want_err "more than one secret"
	ns se key add id 1 algorithm hmac-sha-1-96
	want_rc 2
	want_err "a secret is required"
	ns se key add id 1 algorithm hmac-sha-1-96 secret "$SECRET_INL"
	want_rc 2
	want_err "not a word of the command line"
	[ "$(proc_count se)" = 0 ] || fail "a key was added"
	ns se key add id 1 algorithm hmac-sha-1-96 secret-file "$f.80"
	want_rc 0
}
t secret_errors "bad secrets (odd/non hex, empty, 81 bytes, missing, two) exit 2, 80 bytes ok"

t_bad_words() {
	secret_files
	fresh_ns b
	local s=(secret-file "$T/secret") a
	local -a cases=(
		"algorithm hmac-sha-1-96|send-id and recv-id are required"
		"send-id 1 algorithm hmac-sha-1-96|send-id and recv-id are required"
		"id 256 algorithm hmac-sha-1-96|'256' is not a number 0-255"
		"id -1 algorithm hmac-sha-1-96|'-1' is not a number"
		"id 0x1 algorithm hmac-sha-1-96|'0x1' is not a number"
		"id 1|algorithm is required"
		"id 1 algorithm md5|unknown algorithm 'md5'"
		"id 1 algorithm|algorithm needs"
		"id 1 algorithm hmac-sha-1-96 peer 300.1.1.1|not an IPv4 or IPv6 address"
		"id 1 algorithm hmac-sha-1-96 peer 10.0.0.0/33|bad prefix length '33'"
		"id 1 algorithm hmac-sha-1-96 peer 2001:db8::/129|bad prefix length '129'"
		"id 1 algorithm hmac-sha-1-96 peer ::ffff:10.0.0.0/95|IPv4-mapped"
		"id 1 algorithm hmac-sha-1-96 peer|peer needs"
		"id 1 algorithm hmac-sha-1-96 frobnicate|unknown word 'frobnicate'"
		"id 1 algorithm hmac-sha-1-96 local-port 70000|not PORT or MIN-MAX"
		"id 1 algorithm hmac-sha-1-96 remote-port 200-100|not PORT or MIN-MAX"
		"id 1 algorithm hmac-sha-1-96 send-lifetime 2026-01-01T00:00:00 infinite|bad time"
		"id 1 algorithm hmac-sha-1-96 send-lifetime 2026-02-30T00:00:00Z infinite|bad time"
		"id 1 algorithm hmac-sha-1-96 send-lifetime 2026-13-01T00:00:00Z infinite|bad time"
		"id 1 algorithm hmac-sha-1-96 send-lifetime 2026-01-01T25:00:00Z infinite|bad time"
		"id 1 algorithm hmac-sha-1-96 accept-lifetime 2026-06-01T00:00:00Z 2026-01-01T00:00:00Z|ends .* before it begins"
		"id 1 algorithm hmac-sha-1-96 send-lifetime now|needs BEGIN and END"
		"id 1 algorithm hmac-sha-1-96 send-lifetime now never|bad end time 'never'"
	)
	for a in "${cases[@]}"; do
		# shellcheck disable=SC2086
		ns b key add "${s[@]}" ${a%%|*}
		want_rc 2
		want_err "${a#*|}"
		want_err "Try 'tcp-authopt help key add'"
	done
	[ "$(proc_count b)" = 0 ] || fail "a key was added"
}
t bad_words "bad key words (ids, algorithm, peer, prefix, ports, times) exit 2, nothing added"

t_peers() {
	secret_files
	fresh_ns p
	add p id 1 algorithm hmac-sha-1-96 peer 192.0.2.1
	add p id 2 algorithm hmac-sha-1-96 peer 192.0.2.0/24
	add p id 3 algorithm hmac-sha-1-96 peer 2001:db8::1
	add p id 4 algorithm hmac-sha-1-96 peer 2001:db8::/32
	add p id 5 algorithm hmac-sha-1-96 peer ::ffff:203.0.113.5
	add p id 6 algorithm hmac-sha-1-96 peer ::ffff:203.0.113.0/120
	add p id 7 algorithm hmac-sha-1-96 peer 198.51.100.77/24
	want_err "host bits set.*198.51.100.0/24"
	add p id 8 algorithm hmac-sha-1-96 peer any
	proc_has p '^0x4\t1\t1\t1\t192\.0\.2\.1\t0$'
	proc_has p '^0x44\t2\t2\t1\t192\.0\.2\.0/24\t0$'
	proc_has p '^0x4\t3\t3\t1\t2001:db8::1\t0$'
	proc_has p '^0x44\t4\t4\t1\t2001:db8::/32\t0$'
	# The kernel keeps a mapped address as the IPv4 peer.
	proc_has p '^0x4\t5\t5\t1\t203\.0\.113\.5\t0$'
	proc_has p '^0x44\t6\t6\t1\t203\.0\.113\.0/24\t0$'
	proc_has p '^0x44\t7\t7\t1\t198\.51\.100\.0/24\t0$'
	proc_has p '^0x0\t8\t8\t1\t\*\t0$'
	ns p key list
	want_out "^send-id 6 recv-id 6 peer 203.0.113.0/24 "
	want_out "^send-id 8 recv-id 8 peer any "
	# Delete by the mapped form too: it names the same key.
	ns p key del id 5 peer ::ffff:203.0.113.5
	want_rc 0
	! proc_keys p | grep -qP '\t5\t5\t' || fail "mapped key not deleted"
}
t peers "peers: IPv4, IPv6, prefixes, IPv4-mapped (kept as IPv4), any"

t_flags() {
	secret_files
	fresh_ns f
	add f id 1 algorithm aes-128-cmac-96 exclude-options
	add f id 2 algorithm aes-128-cmac-96 include-options nosend
	add f id 3 algorithm aes-128-cmac-96 norecv
	add f id 4 algorithm aes-128-cmac-96 send-lifetime 2026-01-01T00:00:00Z 2026-06-01T00:00:00Z
	add f id 5 algorithm aes-128-cmac-96 accept-lifetime 2026-01-01T00:00:00+02:00 infinite
	add f id 6 algorithm aes-128-cmac-96 lifetime @0 @2000000000
	add f id 7 algorithm aes-128-cmac-96 send-lifetime now infinite send-lifetime always
	proc_has f '^0x2\t1\t1\t2\t\*\t0$'
	proc_has f '^0x10\t2\t2\t2\t\*\t0$'
	proc_has f '^0x20\t3\t3\t2\t\*\t0$'
	proc_has f '^0x180\t4\t4\t2\t\*\t0$'
	proc_has f '^0x200\t5\t5\t2\t\*\t0$'
	proc_has f '^0x780\t6\t6\t2\t\*\t0$'
	proc_has f '^0x0\t7\t7\t2\t\*\t0$'
	ns f key list
	want_out "^send-id 1 recv-id 1 peer any algorithm aes-128-cmac-96 exclude-options$"
	want_out "^send-id 2 .* nosend$"
	want_out "^send-id 3 .* norecv$"
	want_out "^send-id 4 .* send-lifetime set set$"
	want_out "^send-id 5 .* accept-lifetime set infinite$"
	ns f --json key list id 4
	json 'assert len(d) == 1 and d[0]["send_lifetime"] == {"begin": "set", "end": "set"}, d
assert d[0]["accept_lifetime"] == {"begin": None, "end": None}, d'
}
t flags "options, nosend, norecv and lifetimes reach the kernel's flags"

t_overlap() {
	secret_files
	fresh_ns o
	add o send-id 7 recv-id 9 algorithm hmac-sha-1-96 peer 198.51.100.2
	ns o key add send-id 7 recv-id 10 algorithm hmac-sha-1-96 peer 198.51.100.2 \
		secret-file "$T/secret"
	want_rc 1
	want_err "this key overlaps key 7/9 for 198.51.100.2 \(RFC 5925 3.1\)"
	ns o key add send-id 8 recv-id 9 algorithm hmac-sha-1-96 peer 198.51.100.2/32 \
		secret-file "$T/secret"
	want_rc 1
	want_err "overlaps key 7/9 for 198.51.100.2"
	# A more specific key may share ids; so may a disjoint one.
	add o send-id 7 recv-id 10 algorithm hmac-sha-1-96 peer 198.51.100.2 local-port 179
	add o send-id 7 recv-id 10 algorithm hmac-sha-1-96 peer 198.51.100.3
	# Unbound keys of one specificity overlap everywhere.
	add o id 1 algorithm hmac-sha-1-96
	ns o key add send-id 1 recv-id 2 algorithm hmac-sha-1-96 secret-file "$T/secret"
	want_rc 1
	want_err "overlaps key 1/1 for any peer"
	[ "$(proc_count o)" = 4 ] || fail "expected 4 keys"
}
t overlap "overlapping key: exit 1, names the key it overlaps (RFC 5925 3.1)"

t_replace() {
	secret_files
	fresh_ns r
	add r id 1 algorithm hmac-sha-1-96 peer 10.0.0.1
	add r id 1 algorithm aes-128-cmac-96 peer 10.0.0.1 nosend exclude-options
	[ "$(proc_count r)" = 1 ] || fail "replace added a second key"
	proc_has r '^0x16\t1\t1\t2\t10\.0\.0\.1\t0$'
}
t replace "adding a key of the same identity replaces it"

t_del() {
	secret_files
	fresh_ns d
	add d send-id 1 recv-id 2 algorithm hmac-sha-1-96 peer 10.0.0.0/8
	add d id 3 algorithm hmac-sha-1-96
	ns d key del send-id 1 recv-id 2 peer 10.0.0.0
	want_rc 1
	want_err "no such key: key 1/2 for 10.0.0.0"
	want_err "installed with these ids"
	want_err "send-id 1 recv-id 2 peer 10.0.0.0/8"
	ns d key del send-id 1 recv-id 2 peer 10.0.0.0/8
	want_rc 0
	ns d key del send-id 1 recv-id 2 peer 10.0.0.0/8
	want_rc 1
	want_err "no such key"
	ns d key del id 3 algorithm hmac-sha-1-96
	want_rc 2
	want_err "names a key by its identity"
	ns d key del id 3 secret-file "$T/secret"
	want_rc 2
	ns d key del
	want_rc 2
	ns d key del peer 1.2.3.4
	want_rc 2
	want_err "send-id and recv-id are required"
	[ "$(proc_count d)" = 1 ] || fail "expected 1 key"
	ns d key delete id 3
	want_rc 0
	[ "$(proc_count d)" = 0 ] || fail "expected no key"
}
t del "key del: exact identity, 'no such key' (exit 1) with hints, bad words exit 2"

t_vrf() {
	secret_files
	fresh_ns v
	ip -n v link add red type vrf table 10 || skip "cannot create a VRF device"
	ip -n v link add vx type veth peer name vy || fail "veth"
	local idx
	idx=$(ip netns exec v cat /sys/class/net/red/ifindex)
	add v id 1 algorithm hmac-sha-1-96 peer 10.0.0.1 vrf red
	proc_has v "^0xc\t1\t1\t1\t10\.0\.0\.1\t$idx\$"
	add v id 1 algorithm hmac-sha-1-96 peer 10.0.0.1 vrf default
	proc_has v '^0xc\t1\t1\t1\t10\.0\.0\.1\t0$'
	ns v key list
	want_out "^send-id 1 recv-id 1 peer 10.0.0.1 vrf red "
	want_out "^send-id 1 recv-id 1 peer 10.0.0.1 vrf default "
	ns v --json key list vrf red
	json "assert len(d) == 1 and d[0]['vrf'] == 'red' and d[0]['ifindex'] == $idx, d"
	ns v key add id 2 algorithm hmac-sha-1-96 vrf vx secret-file "$T/secret"
	want_rc 2
	want_err "'vx' is not a VRF device \(driver veth\)"
	ns v key add id 2 algorithm hmac-sha-1-96 vrf nosuch0 secret-file "$T/secret"
	want_rc 2
	want_err "no device 'nosuch0'"
	# The name is resolved in the namespace of -n, not in that of the caller.
	cli key add id 2 algorithm hmac-sha-1-96 vrf red secret-file "$T/secret"
	want_rc 2
	want_err "no device 'red'"
	ns v key del id 1 peer 10.0.0.1
	want_rc 1
	ns v key del id 1 peer 10.0.0.1 vrf red
	want_rc 0
	[ "$(proc_count v)" = 1 ] || fail "expected 1 key"
}
t vrf "vrf NAME resolves to the VRF's ifindex; non-VRF and missing devices refused"

t_ports() {
	secret_files
	fresh_ns pt
	add pt id 1 algorithm hmac-sha-1-96 peer 10.0.0.1 local-port 179
	# Equally specific port keys overlap (179 -> 179 matches both): other ids.
	ns pt key add id 1 algorithm hmac-sha-1-96 peer 10.0.0.1 remote-port 1024-65535 \
		secret-file "$T/secret"
	want_rc 1
	want_err "overlaps key 1/1 for 10.0.0.1 local-port set"
	add pt id 2 algorithm hmac-sha-1-96 peer 10.0.0.1 remote-port 1024-65535
	proc_has pt '^0x804\t1\t1\t1\t10\.0\.0\.1\t0$'
	proc_has pt '^0x1004\t2\t2\t1\t10\.0\.0\.1\t0$'
	ns pt key list
	want_out "local-port set"
	want_out "remote-port set"
	ns pt key del id 1 peer 10.0.0.1 local-port 180
	want_rc 1
	ns pt key del id 1 peer 10.0.0.1 local-port 179
	want_rc 0
	[ "$(proc_count pt)" = 1 ] || fail "expected 1 key"
}
t ports "local-port/remote-port (extension): set, listed as 'set', deleted by range"

t_list_filters() {
	secret_files
	fresh_ns l
	add l id 1 algorithm hmac-sha-1-96 peer 10.1.0.0/16
	add l id 2 algorithm hmac-sha-1-96 peer 10.1.2.3
	add l id 3 algorithm hmac-sha-1-96 peer 10.2.0.1
	add l id 4 algorithm hmac-sha-1-96
	add l send-id 5 recv-id 6 algorithm hmac-sha-1-96 peer 2001:db8::5
	ns l key list peer 10.1.2.3
	want_rc 0
	[ "$(wc -l <<<"$OUT")" = 3 ] || fail "peer filter: 3 keys expected"
	no_out "send-id 3 "
	ns l key list send-id 5
	local want
	want="send-id 5 recv-id 6 peer 2001:db8::5 algorithm hmac-sha-1-96 include-options"
	[ "$OUT" = "$want" ] || fail "send-id filter: $OUT"
	ns l key list recv-id 6
	want_out "^send-id 5 "
	ns l --json key list peer 2001:db8::/64
	json 'assert sorted(k["send_id"] for k in d) == [4, 5], d'
	ns l key list algorithm hmac-sha-1-96
	want_rc 2
	want_err "not a filter"
	fresh_ns empty
	ns empty key list
	want_rc 0
	[ -z "$OUT" ] || fail "empty list printed something"
	ns empty --json key list
	json 'assert d == []'
}
t list_filters "key list filters (peer applies-to, ids), empty list"

# ------------------------------------------------------------------------
# status, counters, watch

t_status_keys() {
	secret_files
	fresh_ns sk
	add sk id 1 algorithm hmac-sha-1-96 peer 10.0.0.0/8 nosend
	add sk id 2 algorithm hmac-sha-1-96 peer 10.0.0.1 norecv send-lifetime now infinite
	add sk id 3 algorithm hmac-sha-1-96 vrf default
	ip netns exec sk sysctl -qw net.ipv4.tcp_authopt_all_sockets=1 || fail "all_sockets"
	ns sk status
	want_rc 0
	want_out "keys: +3 "
	want_out "address 2 \(prefix 1\), vrf 1, ports 0"
	want_out "nosend 1, norecv 1, with lifetimes 1"
	want_out "netns-wide mode: +on"
	want_out "namespace: +sk"
	ns sk --json status
	json 'assert (d["keys"], d["address_bound"],
	d["prefix_bound"], d["vrf_bound"]) == (3, 2, 1, 1), d
assert (d["nosend"], d["norecv"], d["with_lifetimes"], d["all_sockets"]) == (1, 1, 1, 1), d
assert d["peers"] == 3 and d["key_limit"] == 65536, d'
	cli status extra
	want_rc 2
}
t status_keys "status: key counts by binding and mark, netns-wide mode"

t_counters() {
	cli counters
	want_rc 0
	want_out "^TCPAuthOptFailure +[0-9]+ "
	want_out "^TCPAuthOptBadMAC "
	want_out "^TCPMD5Failure "
	cli --json counters
	json 'assert isinstance(d["TCPAuthOptFailure"], int) and "TCPAuthOptBadMAC" in d, d
assert all(k.startswith(("TCPAuthOpt", "TCPMD5")) for k in d), d'
	cli counters --bogus
	want_rc 2
}
t counters "counters: TcpExt TCPAuthOpt* and TCPMD5*, text and --json"

t_watch() {
	secret_files
	fresh_ns w
	add w id 1 algorithm hmac-sha-1-96 peer 10.0.0.1
	ns w watch count 2 interval 0.2
	want_rc 0
	[ "$(grep -c '^tcp-authopt watch:' <<<"$OUT")" = 2 ] || fail "2 samples expected"
	want_out "^TCPAuthOptFailure +[0-9]+ +\+0 "
	want_out "^keys: 1$"
	want_out "^  send-id 1 recv-id 1 peer 10.0.0.1 "
	ns w --json watch --count 3 --interval 0.1
	want_rc 0
	[ "$(wc -l <<<"$OUT")" = 3 ] || fail "3 JSON lines expected"
	python3 -c '
import json, sys
s = [json.loads(l) for l in sys.stdin]
assert [x["sample"] for x in s] == [1, 2, 3], s
assert s[0]["delta"] is None and s[1]["delta"]["TCPAuthOptFailure"] == 0, s
assert all(x["keys"] == 1 and x["key_list"][0]["peer"] == "10.0.0.1" for x in s), s
' <<<"$OUT" || fail "watch JSON"
	cli watch interval 0
	want_rc 2
	cli watch count 0
	want_rc 2
	cli watch count
	want_rc 2
	cli watch --interval abc
	want_rc 2
}
t watch "watch: samples with deltas, --count, --interval, --json lines, bad values"

t_netns() {
	secret_files
	fresh_ns na
	fresh_ns nb
	add na id 1 algorithm hmac-sha-1-96
	ns na key list
	want_out "^send-id 1 "
	ns nb key list
	[ -z "$OUT" ] || fail "key visible in another namespace"
	cli --netns /run/netns/na key list
	want_out "^send-id 1 "
	cli key list
	no_out "^send-id 1 recv-id 1 peer any algorithm hmac-sha-1-96"
}
t netns "-n/--netns NAME or path: keys are per namespace"

t_unprivileged() {
	command -v setpriv >/dev/null || skip "no setpriv"
	local as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	run "${as[@]}" "$CLI" key add id 1 algorithm hmac-sha-1-96 --insecure-secret x
	want_rc 1
	want_err "needs CAP_NET_ADMIN"
	run "${as[@]}" "$CLI" key list
	want_rc 1
	want_err "reading the keys needs root"
	run "${as[@]}" "$CLI" status
	want_rc 0
	want_out "reading /proc/net/tcp_authopt needs root"
}
t unprivileged "without privileges: add says CAP_NET_ADMIN, list says root"

# ------------------------------------------------------------------------
# apply

# A file using most of the format; keys to be installed in namespace "ap".
chain_file() {
	cat >"$T/chain.conf" <<-EOF
	# core routers
	algorithm aes-128-cmac-96
	peer 198.51.100.2 2001:db8::2
	    key 1
	        secret-file secret
	        send-lifetime 2026-01-01T02:00:00+02:00 2026-06-01T00:00:00Z
	    key next                # label only: ids below
	        send-id 2 recv-id 3
	        secret-hex-file secret.hex
	        accept-lifetime 2026-05-31T00:00:00Z infinite
	        exclude-options
	peer 192.0.2.0/24
	    algorithm hmac-sha-1-96
	    key 9 secret "$SECRET_INL" nosend
	EOF
	chmod 600 "$T/chain.conf"
}

t_apply_dry_run() {
	secret_files
	chain_file
	fresh_ns ap
	add ap id 1 algorithm hmac-sha-1-96 peer 198.51.100.2
	add ap id 77 algorithm hmac-sha-1-96 peer 203.0.113.1
	local before
	before=$(proc_keys ap)
	ns ap apply --dry-run "$T/chain.conf"
	want_rc 0
	want_out "^plan: 4 to add, 1 to replace, 1 to remove \(file: 5 keys, installed: 2\)"
	want_out \
		"^add +send-id 2 recv-id 3 peer 2001:db8::2 .*exclude-options .*accept-lifetime 2026-05-31T00:00:00Z infinite +\(.*chain.conf:7\)"
	want_out \
		"^replace +send-id 1 recv-id 1 peer 198.51.100.2 algorithm aes-128-cmac-96 include-options send-lifetime 2026-01-01T00:00:00Z 2026-06-01T00:00:00Z"
	want_out "^remove +send-id 77 recv-id 77 peer 203.0.113.1 .*\(installed\)"
	want_out "^add +send-id 9 recv-id 9 peer 192.0.2.0/24 algorithm hmac-sha-1-96 .*nosend"
	[ "$(proc_keys ap)" = "$before" ] || fail "dry run changed the keys"
	ns ap --json apply --dry-run "$T/chain.conf"
	want_rc 0
	json 'assert (d["add"], d["replace"], d["remove"], d["state"]) == (4, 1, 1, "planned"), d
ops = d["operations"]
assert [o["op"] for o in ops] == ["add"] * 4 + ["replace", "remove"], ops
assert all(o["result"] == "planned" for o in ops), ops
assert ops[0]["key"]["secret_bytes"] > 0 and ops[0]["source"].endswith(":4"), ops[0]'
	[ "$(proc_keys ap)" = "$before" ] || fail "dry run changed the keys"
}
t apply_dry_run "apply --dry-run: the plan (add/replace/remove, times in UTC), nothing changed"

t_apply() {
	secret_files
	chain_file
	fresh_ns ap
	add ap id 1 algorithm hmac-sha-1-96 peer 198.51.100.2
	add ap id 77 algorithm hmac-sha-1-96 peer 203.0.113.1
	ns ap apply "$T/chain.conf"
	want_rc 0
	want_out "^applied: 4 added, 1 replaced, 1 removed; 5 keys installed"
	want_out "^replaced +send-id 1 recv-id 1 peer 198.51.100.2"
	local want
	want=$(printf '%s\n' \
		$'0x184\t1\t1\t2\t198.51.100.2\t0' \
		$'0x184\t1\t1\t2\t2001:db8::2\t0' \
		$'0x206\t2\t3\t2\t198.51.100.2\t0' \
		$'0x206\t2\t3\t2\t2001:db8::2\t0' \
		$'0x54\t9\t9\t1\t192.0.2.0/24\t0' | sort)
	[ "$(proc_keys ap)" = "$want" ] || { proc_keys ap; fail "kernel keys differ"; }
	# Applying again replaces everything and changes nothing else.
	ns ap --json apply "$T/chain.conf"
	want_rc 0
	json 'assert (d["add"], d["replace"], d["remove"], d["state"]) == (0, 5, 0, "applied"), d
assert all(o["result"] == "done" for o in d["operations"]), d'
	[ "$(proc_keys ap)" = "$want" ] || fail "second apply changed the keys"
	# From standard input: secrets relative to the current directory.
	(cd "$T" && STDIN=$T/chain.conf ns ap apply -)
	[ "$(proc_keys ap)" = "$want" ] || fail "apply - changed the keys"
	# An empty file removes every key.
	: >"$T/empty.conf"
	ns ap apply "$T/empty.conf"
	want_rc 0
	want_out "0 added, 0 replaced, 5 removed; 0 keys"
	[ "$(proc_count ap)" = 0 ] || fail "keys left"
}
t apply "apply: adds, replaces, removes; idempotent; from stdin; empty file clears"

t_apply_order() {
	secret_files
	fresh_ns ao
	add ao id 1 algorithm hmac-sha-1-96 peer 10.0.0.1
	add ao id 5 algorithm hmac-sha-1-96 peer 10.0.0.1
	cat >"$T/order.conf" <<-EOF
	peer 10.0.0.1
	    algorithm hmac-sha-1-96
	    key a send-id 1 recv-id 2 secret-file $T/secret
	    key 5 secret-file $T/secret
	EOF
	ns ao apply --dry-run "$T/order.conf"
	want_rc 0
	want_out "^plan: 1 to add, 1 to replace, 1 to remove"
	# The overlapping old key must go right before the new one comes.
	local order='replace[^\n]*\n'
	order+='remove +send-id 1 recv-id 1 [^\n]*\n'
	order+=' +before adding key 1/2 for 10.0.0.1, which it overlaps\n'
	order+='add +send-id 1 recv-id 2 '
	grep -qzP "$order" <<<"$OUT" || fail "wrong order"
	ns ao apply "$T/order.conf"
	want_rc 0
	proc_has ao '^0x4\t1\t2\t1\t10\.0\.0\.1\t0$'
	[ "$(proc_count ao)" = 2 ] || fail "expected 2 keys"
}
t apply_order "apply: an installed key overlapping a new one is removed just before it"

t_apply_invalid() {
	secret_files
	fresh_ns ai
	ip -n ai link add vx type veth peer name vy
	add ai id 42 algorithm hmac-sha-1-96
	local before c f=$T/bad.conf
	before=$(proc_keys ai)
	local -a cases=(
		"peer 10.0.0.1 frob key 1 algorithm hmac-sha-1-96 secret x|bad.conf:1: unknown word .frob."
		"key 1|key outside a peer block"
		"peer key 1|peer needs one or more"
		"peer 10.0.0.300|not an IPv4 or IPv6 address"
		"peer any 10.0.0.1|stands alone"
		"peer 10.0.0.1\nkey 1 algorithm hmac-sha-1-96|bad.conf:2: key 1: a secret is required"
		"peer 10.0.0.1\nkey x algorithm hmac-sha-1-96 secret y|key x: send-id and recv-id are required"
		"peer 10.0.0.1\nkey 1 secret y|algorithm is required"
		"send-id 3\npeer 10.0.0.1|belongs inside a key block"
		"peer 10.0.0.1 algorithm sha1 key 1 secret y|bad.conf:1: algorithm: unknown algorithm"
		"algorithm hmac-sha-1-96 peer 10.0.0.1 10.0.0.1 key 1 secret y|bad.conf:1: key 1/1 for 10.0.0.1 is given twice"
		"algorithm hmac-sha-1-96 peer 10.0.0.1\nkey 1 secret y\nkey 2 send-id 1 recv-id 2 secret y|bad.conf:3: key 1/2 for 10.0.0.1 overlaps key 1/1 for 10.0.0.1 of line 2 \(RFC 5925 3.1\)"
		"algorithm hmac-sha-1-96 peer 10.0.0.1 key 1 secret \"y|bad.conf:1: a quote is not closed"
		"algorithm hmac-sha-1-96 peer 10.0.0.1 key 1 secret-file nonexistent|nonexistent: No such file"
		"algorithm hmac-sha-1-96 peer 10.0.0.1 key 1 secret-file -|standard input is not available"
		"algorithm hmac-sha-1-96 peer 10.0.0.1 key 1 secret y send-lifetime 2026-01-01 infinite|bad time"
		"algorithm hmac-sha-1-96 peer 10.0.0.1 vrf vx key 1 secret y|.vx. is not a VRF device"
		"algorithm hmac-sha-1-96 peer 10.0.0.1 key 1 secret Fragment-One Fragment-Two|unknown word after a secret: quote"
		"algorithm hmac-sha-1-96 peer 10.0.0.1 key 1 secret-hex 0g|not hexadecimal"
		"algorithm hmac-sha-1-96 peer 10.0.0.1 key 256 secret y|send-id and recv-id are required"
	)
	for c in "${cases[@]}"; do
		printf "${c%%|*}\n" >"$f"
		ns ai apply "$f"
		want_rc 2
		want_err "${c#*|}"
		[ "$(proc_keys ai)" = "$before" ] || fail "keys changed by: ${c%%|*}"
	done
	ns ai apply
	want_rc 2
	ns ai apply "$T/nonexistent.conf"
	want_rc 2
	ns ai apply a b
	want_rc 2
	ns ai apply --frob x
	want_rc 2
	# Secret fragments are never echoed.
	grep -q "Fragment-Two" "$ALL" && fail "a secret fragment was printed"
	true
}
t apply_invalid "apply: invalid files (syntax, ids, overlap, secrets, vrf) exit 2, nothing changed"

t_apply_ports() {
	secret_files
	fresh_ns apt
	add apt id 1 algorithm hmac-sha-1-96 peer 10.0.0.1 local-port 179
	printf 'peer 10.0.0.2 key 2 algorithm hmac-sha-1-96 secret y\n' >"$T/p.conf"
	ns apt apply "$T/p.conf"
	want_rc 2
	want_err "port ranges the kernel does not show: apply cannot remove it"
	[ "$(proc_count apt)" = 1 ] || fail "keys changed"
	printf 'peer 10.0.0.1 key 1 algorithm hmac-sha-1-96 local-port 179 secret y\n' >"$T/p.conf"
	ns apt apply "$T/p.conf"
	want_rc 0
	want_out "1 replaced"
}
t apply_ports "apply: an installed port-bound key it cannot name is refused, not lost"

# Fault injection (CONFIG_FAIL_TCP_AUTHOPT): the Nth TCP-AO allocation fails.
fault_arm() {	# fault_arm N: the Nth allocation from now fails, once
	echo 0 >"$FAIL_DIR/probability"
	echo 1 >"$FAIL_DIR/interval"
	echo N >"$FAIL_DIR/task-filter"
	echo 0 >"$FAIL_DIR/verbose"
	echo 1 >"$FAIL_DIR/times"
	echo "$1" >"$FAIL_DIR/space"
	echo 100 >"$FAIL_DIR/probability"
}
fault_disarm() {
	echo 0 >"$FAIL_DIR/probability"
	echo 0 >"$FAIL_DIR/space"
}

# How many allocations one key add makes (the space of the fault attribute
# counts down by one per allocation while it is above one).
allocs_per_add() {
	fault_arm 1000
	add "$1" id 200 algorithm hmac-sha-1-96 peer 10.200.0.1
	echo $((1000 - $(cat "$FAIL_DIR/space")))
	fault_disarm
	ns "$1" key del id 200 peer 10.200.0.1 >/dev/null
}

t_apply_rollback() {
	[ -d "$FAIL_DIR" ] || skip "no $FAIL_DIR (CONFIG_FAIL_TCP_AUTHOPT, debugfs)"
	secret_files
	fresh_ns rb
	add rb id 1 algorithm hmac-sha-1-96 peer 10.0.0.1
	add rb id 9 algorithm hmac-sha-1-96 peer 10.0.0.9
	local before per
	before=$(proc_keys rb)
	per=$(allocs_per_add rb | tail -n1)
	[ "$per" -ge 1 ] 2>/dev/null || fail "calibration: $per allocations per add"
	cat >"$T/rb.conf" <<-EOF
	algorithm aes-128-cmac-96
	peer 10.0.0.1 key 1 secret new1
	peer 10.0.0.2 key 2 secret new2
	peer 10.0.0.3 key 3 secret new3
	peer 10.0.0.4 key 4 secret new4
	EOF
	# Order: add 2, 3, 4, replace 1, remove 9. Fail in the second add.
	fault_arm $((per + 1))
	ns rb apply "$T/rb.conf"
	fault_disarm
	want_rc 4
	want_err "apply: adding: .*out of memory"
	want_err "deleted again: key 2/2 for 10.0.0.2"
	want_err "failed: add key 3/3 for 10.0.0.3"
	want_err "not attempted: 3 more changes"
	want_err "the keys are as they were before apply"
	[ "$(proc_keys rb)" = "$before" ] || { proc_keys rb; fail "state not restored"; }
	# Now fail the removal, after the replace: the old state cannot return.
	fault_arm $((4 * per + 1))
	ns rb --json apply "$T/rb.conf"
	fault_disarm
	want_rc 5
	want_err "apply: removing: "
	want_err "deleted again: key 4/4 for 10.0.0.4"
	want_err "replaced, stays with the file's material .*: key 1/1 for 10.0.0.1"
	want_err "the keys are NOT as before"
	json 'r = [o["result"] for o in d["operations"]]
assert r == ["undone"] * 3 + ["done", "failed"], r
assert d["state"] == "partial", d'
	local want
	want=$(printf '%s\n' $'0x4\t1\t1\t2\t10.0.0.1\t0' $'0x4\t9\t9\t1\t10.0.0.9\t0' | sort)
	[ "$(proc_keys rb)" = "$want" ] || { proc_keys rb; fail "state differs from the report"; }
}
t apply_rollback "apply: a kernel failure is rolled back (exit 4), or reported exactly (exit 5)"

# ------------------------------------------------------------------------
# Real connections with keys installed by the tool

PY=$T/ao_conn.py
write_helper() {
	cat >"$PY" <<-'EOF'
	# ao_conn.py server|client ADDR PORT [--plain] [--timeout S]: one TCP
	# exchange; prints the TCP_AUTHOPT state (ACTIVE, key ids) it ends with.
	import socket, struct, sys
	TCP_AUTHOPT = 38
	mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
	plain = "--plain" in sys.argv
	timeout = float(sys.argv[sys.argv.index("--timeout") + 1]) if "--timeout" in sys.argv else 5
	fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
	s = socket.socket(fam, socket.SOCK_STREAM)
	if not plain:
	    s.setsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT, struct.pack("=IBBBB", 0, 0, 0, 0, 0))
	s.settimeout(timeout)
	def report(c):
	    f, sk, srn, rk, rrn = struct.unpack("=IBBBB",
	        c.getsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT, 8))
	    print(f"active={f >> 3 & 1} send_keyid={sk} recv_keyid={rk}", flush=True)
	try:
	    if mode == "server":
	        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	        s.bind((addr, port))
	        s.listen(1)
	        print("listening", flush=True)
	        c, _ = s.accept()
	        c.settimeout(timeout)
	        c.sendall(c.recv(100).upper())
	        report(c)
	        c.recv(1)
	    else:
	        s.connect((addr, port))
	        s.sendall(b"hello tcp-ao")
	        if s.recv(100) != b"HELLO TCP-AO":
	            sys.exit("bad echo")
	        report(s)
	except socket.timeout:
	    print("timeout", flush=True)
	    sys.exit(3)
	EOF
}

link_ns() {	# two namespaces srv/clt on a veth, IPv4 and IPv6
	fresh_ns srv
	fresh_ns clt
	ip -n srv link add veth0 type veth peer name veth1 netns clt || fail "veth"
	ip -n srv addr add 10.99.0.1/24 dev veth0
	ip -n clt addr add 10.99.0.2/24 dev veth1
	ip -n srv addr add fd00:99::1/64 dev veth0 nodad
	ip -n clt addr add fd00:99::2/64 dev veth1 nodad
	ip -n srv link set veth0 up
	ip -n clt link set veth1 up
}

# exchange SERVER-ADDR [client args]: one connection; SRV and CLT outputs.
exchange() {
	local addr=$1 port=$((20000 + RANDOM % 10000)); shift
	rm -f "$T/srv.out"
	ip netns exec srv python3 "$PY" server "$addr" "$port" --timeout 6 "$@" \
		>"$T/srv.out" 2>&1 &
	local pid=$! i
	for i in $(seq 50); do
		grep -q listening "$T/srv.out" 2>/dev/null && break
		sleep 0.1
	done
	CLT=$(ip netns exec clt python3 "$PY" client "$addr" "$port" --timeout 3 "$@" 2>&1)
	CRC=$?
	# A client that failed leaves the server waiting in accept(): stop it.
	[ "$CRC" = 0 ] || kill "$pid" 2>/dev/null
	wait "$pid"
	SRV=$(cat "$T/srv.out")
	echo "client ($CRC): $CLT"
	echo "server: $SRV"
}

ctr() {	# ctr NS NAME: one counter, read with the tool
	"$CLI" -n "$1" --json counters |
		python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}

need_python() { command -v python3 >/dev/null || skip "no python3 in the VM"; }

t_connect4() {
	need_python
	secret_files
	write_helper
	link_ns
	add srv send-id 3 recv-id 4 algorithm aes-128-cmac-96 peer 10.99.0.2
	add clt send-id 4 recv-id 3 algorithm aes-128-cmac-96 peer 10.99.0.0/24
	local f0
	f0=$(ctr srv TCPAuthOptFailure)
	exchange 10.99.0.1
	[ "$CRC" = 0 ] || fail "connection failed"
	grep -q "active=1 send_keyid=4 recv_keyid=3" <<<"$CLT" || fail "client not authenticated"
	grep -q "active=1 send_keyid=3 recv_keyid=4" <<<"$SRV" || fail "server not authenticated"
	[ "$(ctr srv TCPAuthOptFailure)" = "$f0" ] || fail "failures counted"
	# Control: without keys the same helper runs plain TCP (ACTIVE clear).
	ns srv key del send-id 3 recv-id 4 peer 10.99.0.2
	ns clt key del send-id 4 recv-id 3 peer 10.99.0.0/24
	exchange 10.99.0.1
	[ "$CRC" = 0 ] || fail "plain connection failed"
	grep -q "active=0" <<<"$CLT" || fail "client ACTIVE without keys"
}
t connect4 "IPv4: keys added by the tool authenticate a connection (ACTIVE, key ids)"

t_connect6() {
	need_python
	secret_files
	write_helper
	link_ns
	add srv id 5 algorithm hmac-sha-1-96 peer fd00:99::2 exclude-options
	add clt id 5 algorithm hmac-sha-1-96 peer fd00:99::/64 exclude-options
	exchange fd00:99::1
	[ "$CRC" = 0 ] || fail "IPv6 connection failed"
	grep -q "active=1 send_keyid=5 recv_keyid=5" <<<"$CLT" || fail "IPv6 not authenticated"
	# IPv4-mapped: an IPv6 socket talking to an IPv4 peer uses the key
	# the tool added with ::ffff:a.b.c.d (kept as the IPv4 peer).
	add srv id 6 algorithm hmac-sha-1-96 peer ::ffff:10.99.0.2
	add clt id 6 algorithm hmac-sha-1-96 peer ::ffff:10.99.0.1
	exchange ::ffff:10.99.0.1
	[ "$CRC" = 0 ] || fail "mapped connection failed"
	grep -q "active=1 send_keyid=6 recv_keyid=6" <<<"$CLT" || fail "mapped not authenticated"
	grep -q "active=1" <<<"$SRV" || fail "mapped: server not authenticated"
}
t connect6 "IPv6 and IPv4-mapped connections with keys added by the tool"

t_wrong_key() {
	need_python
	secret_files
	write_helper
	link_ns
	add srv id 7 algorithm aes-128-cmac-96 peer 10.99.0.2
	ns clt key add id 7 algorithm aes-128-cmac-96 peer 10.99.0.1 --insecure-secret wrong
	want_rc 0
	local bad0 fail0
	bad0=$(ctr srv TCPAuthOptBadMAC)
	fail0=$(ctr srv TCPAuthOptFailure)
	exchange 10.99.0.1
	[ "$CRC" = 3 ] || fail "connection with a wrong key did not time out ($CRC)"
	[ "$(ctr srv TCPAuthOptBadMAC)" -gt "$bad0" ] || fail "TCPAuthOptBadMAC did not grow"
	[ "$(ctr srv TCPAuthOptFailure)" -gt "$fail0" ] || fail "TCPAuthOptFailure did not grow"
	# Fixing the key with the tool (an atomic replace) lets it through.
	add clt id 7 algorithm aes-128-cmac-96 peer 10.99.0.1
	exchange 10.99.0.1
	[ "$CRC" = 0 ] || fail "connection failed after the key was fixed"
	grep -q "active=1" <<<"$CLT" || fail "not authenticated after the fix"
}
t wrong_key "a wrong secret installed by the tool stops the connection (BadMAC counted)"

t_all_sockets() {
	need_python
	secret_files
	write_helper
	link_ns
	ip netns exec srv sysctl -qw net.ipv4.tcp_authopt_all_sockets=1 || fail "sysctl"
	ip netns exec clt sysctl -qw net.ipv4.tcp_authopt_all_sockets=1 || fail "sysctl"
	ns srv status
	want_out "netns-wide mode: +on"
	# A key chain applied on both sides; the programs use no socket option.
	printf 'algorithm aes-128-cmac-96\npeer 10.99.0.0/24 key 8 secret-file %s\n' \
		"$T/secret" >"$T/both.conf"
	ns srv apply "$T/both.conf"
	want_rc 0
	ns clt apply "$T/both.conf"
	want_rc 0
	exchange 10.99.0.1 --plain
	[ "$CRC" = 0 ] || fail "connection failed"
	grep -q "active=1 send_keyid=8 recv_keyid=8" <<<"$CLT" || fail "not authenticated"
}
t all_sockets "netns-wide mode: unmodified programs protected by keys from apply"

t_no_secret_output() {
	[ -s "$ALL" ] || fail "no output recorded"
	local s
	for s in "$SECRET_TXT" "$SECRET_HEX" "$SECRET_INL" "Marker-Hex"; do
		! grep -qF -- "$s" "$ALL" || fail "secret $s was printed"
	done
	echo "searched $(wc -c <"$ALL") bytes of output"
}
t no_secret_output "no secret appears in anything the tool printed"

# ------------------------------------------------------------------------

echo "TAP version 13"
if [ ! -x "$CLI" ]; then
	echo "1..0 # SKIP"
	echo \
		"Bail out! no tool at $CLI (build it: make -C tools/net/tcp_authopt OUTPUT=...; or set TCP_AUTHOPT_CLI)"
	exit 1
fi
[ "$(id -u)" = 0 ] || { echo "Bail out! run as root (in a test VM)"; exit 1; }
: >"$ALL"
echo "1..${#TESTS[@]}"
echo "# tool: $CLI"
failed=0
for i in "${!TESTS[@]}"; do
	rm -f "$T/skip"
	t0=$(date +%s%N)
	( "t_${TESTS[i]}" ) >"$T/log" 2>&1
	rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	n=$((i + 1))
	if [ $rc = 0 ]; then
		echo "ok $n - ${TESTS[i]}: ${DESCS[i]}"
	elif [ $rc = 77 ]; then
		echo "ok $n - ${TESTS[i]} # SKIP $(cat "$T/skip")"
	else
		failed=$((failed + 1))
		echo "not ok $n - ${TESTS[i]}: ${DESCS[i]}"
		sed 's/^/# /' "$T/log" | tail -n 40
	fi
	echo "# ${TESTS[i]} took $ms ms"
done
for n in $(ip netns list | awk '{ print $1 }'); do ip netns del "$n"; done
echo "# $failed of ${#TESTS[@]} failed"
rm -rf "$T"
[ $failed = 0 ]
