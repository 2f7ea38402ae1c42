#!/bin/bash
# make check: build what the tests need, run every test layer, print the
# wall time of each stage and end with one line "N passed, N failed".
#   check.sh [STAGE...]   (default: all stages; see "stages" below)
. "$(dirname "$0")/lib.sh"
set +e

all_stages="kunit selftests pytest pytest_vm fcnal peer_tcp_ao upstream_tcp_ao interop demo"
extra_stages="debug_selftests debug_pytest deb"
stages=${*:-$all_stages}
results=$BUILD/results
rm -rf "$results"
mkdir -p "$results" "$LOGS"
export BUILD
total_pass=0 total_fail=0 total_skip=0 stage_times=
ours_pass=0 ours_fail=0 ours_skip=0
t0=$(date +%s)

# Stages that check something else than our kernel: the upstream suite on
# the peer kernel (is the peer sound?) and the host-side Python checker
# against the RFC vectors. The closing lines count our kernel apart.
reference_stages="pytest peer_tcp_ao build_peer"

record() { # stage rc: fold a stage's counts into the totals
	local p=0 f=0 s=0
	[ -f "$results/$1.counts" ] && read -r p f s <"$results/$1.counts"
	# A stage that failed without a failing case (crash, splat, build
	# error) still counts as one failure.
	if [ "$2" != 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "FAIL $1: stage failed (exit $2) with no failing case reported"
	fi
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
	case " $reference_stages " in
	*" $1 "*) ;;
	*) ours_pass=$((ours_pass + p)) ours_fail=$((ours_fail + f)) ours_skip=$((ours_skip + s)) ;;
	esac
}

timed() { # stage command...: run, time and record one stage
	local s=$1 start rc
	shift
	start=$(date +%s)
	note "stage $s"
	"$@"
	rc=$?
	echo "stage $s: $(($(date +%s) - start))s, exit $rc"
	stage_times="$stage_times $s=$(($(date +%s) - start))s"
	record "$s" "$rc"
}

# --- stages ---------------------------------------------------------------

# Suites our KUnit run must contain; a suite missing from the log fails.
kunit_suites() { sed 's/#.*//' "$REPO/workbench/kunit-suites" | grep -v '^\s*$' || true; }

stage_kunit() {
	local dir=$BUILD/vm/kunit suite rc
	"$REPO/workbench/vm.sh" -k uml -n kunit -o "$dir" -t 300 -- true >"$LOGS/kunit.log" 2>&1
	rc=$?
	sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' "$dir/console.log" |
		sed -n '/^K\?TAP version/,$p' >"$dir/kunit.tap"
	for suite in $(kunit_suites); do
		grep -q "# Subtest: $suite\$" "$dir/kunit.tap" ||
			{ echo "not ok 1 $suite # suite missing from the KUnit log" >>"$dir/kunit.tap"; }
	done
	"$REPO/workbench/tapcount.py" kunit "$dir/kunit.tap" || rc=1
	return $rc
}

selftest_dirs() { echo "$TREE/tools/testing/selftests/net/tcp_authopt"; }

# The series' uapi headers, for building test programs.
uapi_headers() { make -s -C "$TREE" O="$BUILD/headers" ARCH=x86 headers >/dev/null; }

# Build the selftest programs into $BUILD/selftests (once per check run).
build_selftests() {
	local hdr=$BUILD/headers out=$BUILD/selftests
	[ -f "$out/.built" ] && return 0
	[ -d "$(selftest_dirs)" ] || { echo "no selftests in the tree yet"; return 1; }
	uapi_headers || return 1
	rm -rf "$out"
	mkdir -p "$out"
	make -s -C "$(selftest_dirs)" OUTPUT="$out" KHDR_INCLUDES="-isystem $hdr/usr/include" \
		>"$LOGS/selftests-build.log" 2>&1 || { tail -n 30 "$LOGS/selftests-build.log"; return 1; }
	# The operator tool, outside the test directory (not a test itself),
	# and its test script, which runs with the C programs.
	make -s -C "$TREE/tools/net/tcp_authopt" OUTPUT="$BUILD/cli/" \
		KHDR_INCLUDES="-isystem $hdr/usr/include" >>"$LOGS/selftests-build.log" 2>&1 ||
		{ tail -n 30 "$LOGS/selftests-build.log"; return 1; }
	install -m 0755 "$(selftest_dirs)/cli_test.sh" "$out/"
	touch "$out/.built"
}
cli_env() { echo "TCP_AUTHOPT_CLI=$BUILD/cli/tcp-authopt"; }

stage_selftests() {
	local out=$BUILD/selftests res=$BUILD/vm/selftests progs
	build_selftests || return 1
	rm -rf "$res"
	progs=$(find "$out" -maxdepth 1 -type f -perm -u+x | sort)
	[ -n "$progs" ] || { echo "no selftest programs built"; return 1; }
	# One fresh VM per program: sockopt checks the host-wide switch
	# starts at 0, and a program's leaks are its own.
	"$REPO/workbench/vm-each.sh" uml "$res" 900 --leakcheck \
		--env TCP_AUTHOPT_FRESH_BOOT=1 --env "$(cli_env)" -- $progs 2>"$LOGS/selftests.log"
	"$REPO/workbench/tapcount.py" selftests "$res"/tap/*.tap
}

# junit_counts STAGE XML: fold a pytest junit report into STAGE's counts.
junit_counts() {
	/usr/bin/python3 - "$1" "$2" "$results/$1.counts" <<-'EOF'
	import sys, xml.etree.ElementTree as ET
	stage, xml, out = sys.argv[1:]
	try:
	    root = ET.parse(xml).getroot()
	except (OSError, ET.ParseError) as err:
	    print(f'{stage}: no junit report ({err})')
	    sys.exit(1)
	suites = [root] if root.tag == 'testsuite' else list(root)
	t = sum(int(s.get('tests')) for s in suites)
	f = sum(int(s.get('failures')) + int(s.get('errors')) for s in suites)
	k = sum(int(s.get('skipped')) for s in suites)
	open(out, 'w').write(f'{t - f - k} {f} {k}\n')
	print(f'{stage}: {t - f - k} passed, {f} failed, {k} skipped')
	EOF
}

pytest_dir=$REPO/tools/testing/selftests/net/tcp_authopt

# The independent checker against the RFC vectors: on the host.
stage_pytest() {
	local xml=$BUILD/results/pytest.xml
	[ -d "$pytest_dir/tcp_authopt_test" ] || { echo "no pytest suite yet"; return 1; }
	need_pkgs python3-pytest python3-scapy python3-cryptography
	(cd "$pytest_dir" && /usr/bin/python3 -m pytest -q -p no:cacheprovider \
		-m "not kernel" --junitxml="$xml" tcp_authopt_test) >"$LOGS/pytest.log" 2>&1
	local rc=$?
	tail -n 15 "$LOGS/pytest.log"
	junit_counts pytest "$xml" || rc=1
	return $rc
}

# Packet-level tests (capture, injection) in our kernel, in network namespaces.
# pytest_in_vm STAGE KIND TIMEOUT [VAR=VALUE...]: the packet-level suite
# in one VM of KIND (uml or x86), counted from its junit report.
pytest_in_vm() {
	local stage=$1 kind=$2 timeout=$3 name=${1//_/-} res rc
	shift 3
	res=$BUILD/vm/$name
	need_pkgs python3-pytest python3-scapy python3-cryptography
	rm -rf "$res"
	"$REPO/workbench/vm.sh" -k "$kind" -n "$name" -o "$res" -t "$timeout" --leakcheck -- \
		env PYTHONDONTWRITEBYTECODE=1 "$@" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
		--color=no -m kernel --junitxml="$res/junit.xml" "$pytest_dir/tcp_authopt_test" \
		>"$LOGS/$name.log" 2>&1
	rc=$?
	grep -E '^(FAILED|ERROR)|passed|failed' "$LOGS/$name.log" | tail -n 15
	junit_counts "$stage" "$res/junit.xml" || rc=1
	return $rc
}

stage_pytest_vm() { pytest_in_vm pytest_vm uml 1500; }

# fcnal-test.sh's TCP-AO groups (the MD5 cases mirrored, with and without
# VRF) with our nettest, in the UML kernel.
stage_fcnal() {
	local net=$TREE/tools/testing/selftests/net out=$BUILD/fcnal res=$BUILD/vm/fcnal rc
	rm -rf "$out" "$res"
	mkdir -p "$out"
	uapi_headers || return 1
	gcc -Wall -O2 -isystem "$BUILD/headers/usr/include" -o "$out/nettest" "$net/nettest.c" \
		>"$LOGS/fcnal-build.log" 2>&1 || { cat "$LOGS/fcnal-build.log"; return 1; }
	# fcnal-test.sh finds nettest in its working directory.
	"$REPO/workbench/vm.sh" -k uml -n fcnal -o "$res" -t 1500 --leakcheck -- \
		sh -c "cd $out && $net/fcnal-test.sh -t 'ipv4_tcp_authopt ipv6_tcp_authopt'" \
		>"$LOGS/fcnal.log" 2>&1
	rc=$?
	grep -E '^(TEST: .*\[FAIL\]|Tests passed|Tests failed)' "$LOGS/fcnal.log"
	/usr/bin/python3 - "$LOGS/fcnal.log" "$results/fcnal.counts" <<-'EOF'
	import re, sys
	text = open(sys.argv[1], errors='replace').read()
	p = sum(int(n) for n in re.findall(r'^Tests passed:\s*(\d+)', text, re.M))
	f = sum(int(n) for n in re.findall(r'^Tests failed:\s*(\d+)', text, re.M))
	open(sys.argv[2], 'w').write(f'{p} {f} 0\n')
	print(f'fcnal: {p} passed, {f} failed')
	sys.exit(0 if p and not f else 1)
	EOF
	[ $? = 0 ] || rc=1
	return $rc
}

stage_peer_tcp_ao() { "$REPO/workbench/peer-tcp-ao.sh"; }

# The same upstream suite on our kernel, through upstream's socket options
# (issue 13): the listed exceptions are skips with their reasons.
stage_upstream_tcp_ao() { "$REPO/workbench/peer-tcp-ao.sh" uml; }

# The same tests on the SMP debug kernel (x86_64 under qemu TCG, 2 vCPUs:
# preemption, DEBUG_ATOMIC_SLEEP, lockdep, KASAN, kmemleak, DEBUG_OBJECTS).
# DEBUG_PROGS picks the selftest programs (default: all).
debug_vm() { VM_CPUS=${VM_CPUS:-2} VM_MEM=${VM_MEM:-2G} "$@"; }

stage_debug_selftests() {
	local out=$BUILD/selftests res=$BUILD/vm/debug-selftests progs p
	build_selftests || return 1
	if [ -n "${DEBUG_PROGS:-}" ]; then
		progs=$(for p in $DEBUG_PROGS; do echo "$out/$p"; done)
	else
		progs=$(find "$out" -maxdepth 1 -type f -perm -u+x | sort)
	fi
	# Bulk transfers shrink 8-fold there (TCG is ~50x slower than UML).
	VM_JOBS=1 debug_vm "$REPO/workbench/vm-each.sh" x86 "$res" 3600 --leakcheck \
		--env TCP_AUTHOPT_FRESH_BOOT=1 --env "$(cli_env)" --env TCP_AUTHOPT_XFER_DIV=8 -- $progs 2>"$LOGS/debug-selftests.log"
	"$REPO/workbench/tapcount.py" debug_selftests "$res"/tap/*.tap
}

# The packet fuzzer sends 20,000 segments there (TCG is slower than UML).
stage_debug_pytest() {
	debug_vm pytest_in_vm debug_pytest x86 3600 \
		TCP_AUTHOPT_FUZZ_COUNT="${TCP_AUTHOPT_FUZZ_COUNT:-20000}"
}

# The kernel package of make deb, booted with its own modules (make deb-check).
stage_deb() {
	build_selftests || return 1
	"$REPO/workbench/deb-check.sh"
}

stage_interop() { "$REPO/workbench/interop.sh"; }

# The BGP demo as a test: BIRD 2 and FRR on our kernel, TCP-AO keys from
# the tcp-authopt tool in the netns-wide mode (workbench/demo-check.sh).
stage_demo() {
	local tap=$BUILD/results/demo.tap rc
	build_selftests || return 1 # builds build/cli/tcp-authopt
	"$REPO/workbench/demo-check.sh" >"$tap"
	rc=$?
	"$REPO/workbench/tapcount.py" demo "$tap" || rc=1
	return $rc
}

# --- main -----------------------------------------------------------------

build_ok=1
need_uml=0 need_peer=0 need_x86=0
for s in $stages; do
	case "$s" in
	kunit | selftests | pytest_vm | fcnal | demo) need_uml=1 ;;
	# upstream's tests come from the peer's tree, built as it is unpacked.
	upstream_tcp_ao) need_uml=1 need_peer=1 ;;
	peer_tcp_ao) need_peer=1 ;;
	debug_selftests | debug_pytest) need_x86=1 ;;
	interop) need_uml=1 need_peer=1 ;;
	pytest | deb) ;;
	*) die "unknown stage $s (stages: $all_stages $extra_stages)" ;;
	esac
done
case " $stages " in *" deb "*) need_tree=1 ;; *) need_tree=$need_uml$need_x86 ;; esac
[ "$need_tree" = 00 ] || timed build_tree "$REPO/workbench/tree.sh" || true
rm -f "$BUILD/selftests/.built"
[ $need_uml = 0 ] || timed build_uml "$REPO/workbench/kernel.sh" uml
[ $need_peer = 0 ] || timed build_peer "$REPO/workbench/kernel.sh" peer
[ $need_x86 = 0 ] || timed build_x86 "$REPO/workbench/kernel.sh" x86
[ "$total_fail" = 0 ] || build_ok=0

if [ $build_ok = 1 ]; then
	for s in $stages; do timed "$s" "stage_$s"; done
fi

echo "check: $(($(date +%s) - t0))s in all:$stage_times"
echo "results in $results, logs in $LOGS"
echo "ours: $ours_pass passed, $ours_fail failed, $ours_skip skipped (our kernel; reference: $reference_stages)"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" = 0 ]
