#!/bin/bash
# One router of the BGP demo (workbench/demo/run.sh), inside its UML VM:
#   demo-vm.sh r1   BIRD 2 at 198.51.100.1 / 2001:db8::1; captures the link
#   demo-vm.sh r2   FRR bgpd at 198.51.100.2 / 2001:db8::2, and r3 (BIRD 2
#                   with the wrong key) in a network namespace behind it
# Both daemons are Debian's, unmodified, run by hand with their own files
# under /tmp/demo (the host's services are neither used nor needed).
#
# Environment, from run.sh:
#   DEMO_PEER_OUT  the other VM's output dir (read-only here: its marks)
#   DEMO_KEY1      secret of key 1 of the r1-r2 sessions, as this router has it
#   DEMO_KEY2      secret of key 2 (the rollover's new key)
#   DEMO_R3_KEY    secret of key 7 (r1-r3): r1's copy, or r3's (wrong) one
#   DEMO_WAIT      seconds to wait for a state before giving up (default 30)
#
# The VMs share the host's clock and file system: each writes marks into
# its own output dir ($vm_out/sync) and polls the other's, so the two run
# the scenario in step. Facts (counters, daemon states, key lists, the
# capture) go to $vm_out/facts for demo.py to judge; this script asserts
# nothing itself and always runs to the end, so that a failure shows as
# failed facts, not as a hung VM.
set -u
role=$1
# vm-init passes the VM's settings in its environment.
repo=${vm_repo:?not in a workbench VM}
conf=$repo/workbench/demo
cli=${DEMO_CLI:-$repo/build/cli/tcp-authopt}
out=${vm_out:?}
facts=$out/facts
peer_out=$DEMO_PEER_OUT
wait_max=${DEMO_WAIT:-30}
W=/tmp/demo
pcap=$facts/r1.pcap
mkdir -p "$W" "$facts" "$out/sync"
lost=0

t0=$(date +%s.%N)
stamp() { date +%s.%N; }
elapsed() { awk -v a="$t0" -v b="$(stamp)" 'BEGIN { printf "%5.1f", b - a }'; }
say() { echo; echo "== [$(elapsed)s] $*"; }
# Show a command as typed, then its output.
show() {
	local cmd="$*"
	cmd=${cmd//$cli/tcp-authopt}
	cmd=${cmd/#birdc[13]/birdc}
	cmd=${cmd/#vtysh2/vtysh}
	echo "$role# $cmd"
	"$@" 2>&1
}

# mark NAME: tell the other VM we reached NAME.
mark() { : >"$out/sync/$1"; echo "$(stamp) $1" >>"$facts/timeline"; }
# wait_peer NAME: wait for the other VM's mark, twice as long as any one
# state takes (the other may be waiting for one). Once a wait failed (the
# other VM died or lags beyond reason), later ones return at once.
wait_peer() {
	local end=$((SECONDS + 2 * wait_max))
	[ $lost = 0 ] || return 1
	while [ $SECONDS -lt $end ]; do
		[ -e "$peer_out/sync/$1" ] && return 0
		sleep 0.25
	done
	echo "demo: no '$1' from the other router after $((2 * wait_max))s; going on alone"
	lost=1
	return 1
}
# until_true SECONDS CMD...: poll CMD every half second, for SECONDS at
# most (a poll of a daemon takes a while in UML: count time, not polls).
until_true() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $end ]; do
		"$@" && return 0
		sleep 0.5
	done
	"$@"
}

# --- TCP-AO keys: one key-chain file per step of the scenario -------------

# keys_file STEP: the key chain of this router at STEP (1: key
# 1; 2: keys 1 and 2; 3: key 1 no longer sent; 4: nor accepted; 5: key 2
# only). Secrets stay in a mode 600 file on the VM's tmpfs.
keys_file() {
	local step=$1 f=$W/keys-$role-$1.conf mask
	mask=$(umask)
	umask 077
	{
		echo "# $role, rollover step $step"
		echo "algorithm aes-128-cmac-96"
		echo "peer $PEER_IP4 $PEER_IP6"
		case $step in
		1 | 2) echo "    key 1 secret \"$DEMO_KEY1\"" ;;
		3) echo "    key 1 secret \"$DEMO_KEY1\" nosend" ;;
		4) echo "    key 1 secret \"$DEMO_KEY1\" nosend norecv" ;;
		esac
		[ "$step" = 1 ] || echo "    key 2 secret \"$DEMO_KEY2\""
		if [ "$role" = r1 ]; then
			echo "peer 198.51.100.3"
			echo "    key 7 secret \"$DEMO_R3_KEY\""
		fi
	} >"$f"
	umask "$mask"
	echo "$f"
}

# apply STEP: make this router's keys those of STEP (apply reports what it
# changed); show the whole list at the first and the last step.
apply() {
	local f
	f=$(keys_file "$1")
	show "$cli" apply "$f"
	case $1 in 1 | 5) show "$cli" key list ;; esac
	"$cli" --json key list >"$facts/keys-step$1.json" 2>&1
}

# step STEP NAME: apply STEP, tell the peer router (NAME), and wait until
# it has applied the same step: the two routers change keys in lockstep.
step() {
	apply "$1"
	mark "$2"
	wait_peer "$2"
}

enable_ao() { # [NETNS]: the host-wide switch, then the netns-wide mode
	local nsx=()
	[ -z "${1:-}" ] || nsx=(ip netns exec "$1")
	[ -n "${1:-}" ] || show sysctl -w net.ipv4.tcp_authopt=1
	show "${nsx[@]}" sysctl -w net.ipv4.tcp_authopt_all_sockets=1
}

# snap NAME: the counters and socket states now (both routers), and the
# daemon's view of its sessions and routes.
snap() {
	local d=$facts/$1
	mkdir -p "$d"
	# When the counters were read: between these two times.
	stamp >"$d/time"
	cat /proc/net/netstat /proc/net/snmp >"$d/netstat"
	stamp >>"$d/time"
	ss -tinoH '( sport = :179 or dport = :179 )' >"$d/ss" 2>&1
	ss -tlnH 'sport = :179' >"$d/ss-listen" 2>&1
	daemon_facts "$d"
}

# stop_pid PID: SIGTERM, and wait (up to 10 s) for the process to go.
stop_pid() {
	kill "$1" 2>/dev/null || return 0
	until_true 10 eval "! kill -0 $1 2>/dev/null"
}

# --- r1: BIRD --------------------------------------------------------------

birdc1() { birdc -s "$W/bird.ctl" "$@"; }

listening() { [ -n "$(ss -tlnH 'sport = :179')" ]; }

r1_established() {
	local p
	for p in r2v4 r2v6; do
		birdc1 show protocols "$p" | grep -q Established || return 1
	done
	# The two prefixes of each family that r2 originates.
	[ "$(birdc1 show route protocol r2v4 | grep -c '^203\.0\.113\.')" -ge 2 ] &&
		[ "$(birdc1 show route protocol r2v6 | grep -c '^2001:db8:2')" -ge 2 ]
}

# The KeyID of the last segment each address sent on the r1-r2 sessions.
last_keyids() {
	tcpdump -n -r "$pcap" 'host 198.51.100.2 or host 2001:db8::2' 2>/dev/null |
		awk '{ src = $3; sub(/\.[0-9]+$/, "", src)
		       if (match($0, /keyid [0-9]+/)) last[src] = substr($0, RSTART + 6, RLENGTH - 6) }
		     END { for (s in last) print s, last[s] }' | sort
}
all_on_key2() {
	local k
	k=$(last_keyids)
	[ "$(echo "$k" | grep -c ' 2$')" = 4 ]
}

r1_daemon_facts() {
	local p
	for p in r2v4 r2v6 r3; do birdc1 show protocols all "$p" >"$1/bird-$p" 2>&1; done
	birdc1 show route all >"$1/bird-routes" 2>&1
}

r1() {
	bird --version >"$facts/version" 2>&1
	say "r1: $(cat "$facts/version") (AS 64501). TCP-AO for sockets that know nothing of it:"
	enable_ao
	say "r1: keys for r2 (key 1) and r3 (key 7), installed with tcp-authopt apply"
	apply 1
	# The capture the Python checker verifies: every segment of every
	# BGP connection of r1, from the first SYN (the MACs need the ISNs).
	tcpdump -U -Z root -n -i eth0 -w "$pcap" 'tcp port 179' 2>"$W/tcpdump.log" &
	tcpdump_pid=$!
	until_true 10 grep -q listening "$W/tcpdump.log"
	bird -f -c "$conf/bird-r1.conf" -s "$W/bird.ctl" -P "$W/bird.pid" >"$facts/bird.log" 2>&1 &
	bird_pid=$!
	# r2 connects once bird listens: a SYN to a port nobody listens on
	# gets a reset that nobody can sign (RFC 5925 7.7).
	until_true 10 listening || echo "demo: r1: bird does not listen on port 179"
	mark listening

	say "1. BGP sessions with r2 (IPv4 and IPv6) and routes exchanged"
	until_true "$wait_max" r1_established || echo "demo: r1: the sessions with r2 did not come up"
	mark established
	wait_peer established
	snap established
	show birdc1 show protocols
	show birdc1 show route protocol r2v4
	show birdc1 show route protocol r2v6
	show ip route show proto bird
	show ip -6 route show proto bird

	say "2. TCP-AO on the wire (tcpdump in r1; demo.py checks every MAC at the end)"
	echo "$role# tcpdump -n -r r1.pcap | tail -n 4"
	tcpdump -n -r "$pcap" 2>/dev/null | tail -n 4

	say "3. key rollover, key 1 -> key 2, on both routers, while BGP runs"
	snap before_rollover
	echo "-- add key 2 (both routers)"
	step 2 key2_added
	echo "-- stop sending with key 1: both ends move to key 2"
	step 3 key1_nosend
	if until_true "$wait_max" all_on_key2; then
		echo "r1: the last segment of each side of both sessions carries KeyID 2:"
	else
		echo "r1: not every side has moved to KeyID 2:"
	fi
	last_keyids | sed 's/^/    /; s/ \([0-9]*\)$/ sends KeyID \1/'
	mark key2_in_use
	echo "-- stop accepting key 1, then remove it"
	step 4 key1_norecv
	step 5 key1_removed
	echo "-- the sessions run on for a hold time and more on key 2 alone"
	sleep 10
	snap after_rollover
	show birdc1 show protocols '"r2*"'
	echo "$role# tcpdump -n -r r1.pcap | tail -n 2"
	tcpdump -n -r "$pcap" 2>/dev/null | tail -n 2
	mark after_rollover
	wait_peer after_rollover

	say "4. r3, configured on both sides but holding the wrong key, tries to peer"
	snap before_r3
	mark r3_go
	wait_peer r3_started
	sleep 15
	snap after_r3
	show birdc1 show protocols r3
	show "$cli" counters
	mark r3_done
	wait_peer r3_done

	say "teardown: r2 stops FRR (its sessions close, signed), then r1 stops BIRD"
	wait_peer frr_stopped
	sleep 1
	kill -INT "$tcpdump_pid"
	wait "$tcpdump_pid"
	echo "$role# tcpdump -n -r r1.pcap | tail -n 4"
	tcpdump -n -r "$pcap" 2>/dev/null | tail -n 4
	show birdc1 down
	wait "$bird_pid"
	mark finished
}

# --- r2: FRR, and r3 behind it ----------------------------------------------

vtysh2() { vtysh --vty_socket "$W/frr" "$@"; }
birdc3() { birdc -s "$W/bird-r3.ctl" "$@"; }

r2_established() {
	# show bgp summary: State/PfxRcd is a number once Established.
	vtysh2 -c 'show bgp ipv4 unicast summary' -c 'show bgp ipv6 unicast summary' |
		awk '$1 == "198.51.100.1" || $1 == "2001:db8::1" { if ($10 ~ /^[0-9]+$/ && $10 >= 2) n++ }
		     END { exit n == 2 ? 0 : 1 }'
}

r2_daemon_facts() {
	vtysh2 -c 'show bgp neighbors json' >"$1/frr-neighbors.json" 2>&1
	vtysh2 -c 'show bgp ipv4 unicast json' >"$1/frr-ipv4.json" 2>&1
	vtysh2 -c 'show bgp ipv6 unicast json' >"$1/frr-ipv6.json" 2>&1
	[ -S "$W/bird-r3.ctl" ] || return 0
	birdc3 show protocols all r1 >"$1/bird-r3" 2>&1
	ip netns exec r3 cat /proc/net/netstat /proc/net/snmp >"$1/netstat-r3"
}

# r3: a namespace one routed hop behind r2 (r2 answers ARP for it on the
# link: the kernel has no bridge), so r1 sees 198.51.100.3 as a neighbour.
r3_start() {
	ip netns add r3
	ip link add v2 type veth peer name v3 netns r3
	ip link set v2 up
	ip -n r3 link set lo up
	ip -n r3 link set v3 up
	ip -n r3 addr add 198.51.100.3/24 dev v3
	ip route add 198.51.100.3/32 dev v2
	sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.v2.proxy_arp=1
	ip neigh add proxy 198.51.100.3 dev eth0
	enable_ao r3
	local f=$W/keys-r3.conf
	umask 077
	{
		echo "# r3: the key for r1, with a secret r1 does not have"
		echo "peer 198.51.100.1 key 7 algorithm aes-128-cmac-96 secret \"$DEMO_R3_KEY\""
	} >"$f"
	umask 022
	show "$cli" -n r3 apply "$f"
	show "$cli" -n r3 key list
	ip netns exec r3 bird -f -c "$conf/bird-r3.conf" -s "$W/bird-r3.ctl" -P "$W/bird-r3.pid" \
		>"$facts/bird-r3.log" 2>&1 &
	r3_pid=$!
}

r2() {
	/usr/lib/frr/bgpd --version 2>&1 | head -n 1 >"$facts/version"
	say "r2: FRR $(cat "$facts/version") (AS 64502). TCP-AO for sockets that know nothing of it:"
	enable_ao
	say "r2: key 1 for r1, installed with tcp-authopt apply"
	apply 1
	wait_peer listening
	mkdir -p "$W/frr"
	chown frr:frr "$W/frr"
	local d
	for d in zebra bgpd; do
		install -o frr -g frr -m 0640 "$conf/$d-r2.conf" "$W/frr/$d.conf"
		/usr/lib/frr/$d -d -f "$W/frr/$d.conf" -i "$W/frr/$d.pid" -z "$W/frr/zserv.api" \
			--vty_socket "$W/frr" -P 0 --log "file:$W/frr/$d.log" >>"$W/frr/start.log" 2>&1
	done

	until_true "$wait_max" r2_established || echo "demo: r2: the sessions with r1 did not come up"
	mark established
	wait_peer established
	snap established
	show vtysh2 -c 'show bgp summary'
	show vtysh2 -c 'show bgp ipv4 unicast' -c 'show bgp ipv6 unicast'
	show ip route show proto bgp
	show ip -6 route show proto bgp

	snap before_rollover
	step 2 key2_added
	step 3 key1_nosend
	wait_peer key2_in_use
	step 4 key1_norecv
	step 5 key1_removed
	sleep 10
	snap after_rollover
	show vtysh2 -c 'show bgp summary'
	mark after_rollover
	wait_peer after_rollover

	wait_peer r3_go
	echo "-- r3 (198.51.100.3, AS 64503), BIRD 2 in a namespace behind r2"
	r3_start
	mark r3_started
	wait_peer r3_done
	snap after_r3
	show birdc3 show protocols r1
	show "$cli" -n r3 counters
	mark r3_done

	show birdc3 down
	wait "$r3_pid"
	echo "$role# kill bgpd zebra"
	stop_pid "$(cat "$W/frr/bgpd.pid")"
	stop_pid "$(cat "$W/frr/zebra.pid")"
	cp "$W"/frr/*.log "$facts/"
	mark frr_stopped
	wait_peer finished
}

daemon_facts() { "${role}_daemon_facts" "$@"; }

echo "$(stamp) start" >"$facts/timeline"
"$role"
