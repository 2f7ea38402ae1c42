#!/bin/bash
# make bench: our TCP-AO (6.1 UML kernel) against upstream's (6.12 UML
# kernel), plain TCP and TCP-MD5 alongside. Not part of make check.
#
# Builds workbench/bench/bench.c (static),
# boots one VM per kernel, one after the other (they would share the CPUs),
# each running bench/inside.sh, which writes its raw results to
# build/bench/{ours,upstream}/raw.txt; then prints one table and writes it
# to build/bench/results.md.
#
# Environment:
#   BENCH_UML_KERNEL  our kernel binary (default build/uml/linux); its
#                     .config beside it, if any, is checked for debug options
#   BENCH_PEER_KERNEL upstream's (default build/peer/linux)
#   BENCH_MAC_FILE    rows for the per-segment MAC cost, measured elsewhere:
#                     one "label | unit | ours | upstream" per line; by
#                     default, when our kernel was built with
#                     CONFIG_TCP_AUTHOPT_KUNIT_BENCH (make bench's
#                     uml-bench kernel), taken from its KUnit benchmark
#   BENCH_RUNS (5) BENCH_SECS (3) BENCH_RATE_SECS (2) BENCH_ITERS (20)
#   BENCH_KEYS ("1 512 1024 4096 8192 65535") BENCH_FLOOD_SECS (2)
#   BENCH_CONNS (1000) BENCH_MEM_RUNS (3) BENCH_VM_TIMEOUT (1500 s per VM)
#   BENCH_VM_MEM (1G)
#   BENCH_ONLY=ours|upstream  run one VM, report with the other's last results
. "$(dirname "$0")/lib.sh"

src=$REPO/workbench/bench
out=$BUILD/bench
ours_kernel=${BENCH_UML_KERNEL:-$BUILD/uml/linux}
peer_kernel=${BENCH_PEER_KERNEL:-$BUILD/peer/linux}
timeout=${BENCH_VM_TIMEOUT:-1500}
only=${BENCH_ONLY:-}

[ -x "$ours_kernel" ] || die "no $ours_kernel: run 'make uml' first"
[ -x "$peer_kernel" ] || die "no $peer_kernel: run 'make peer' first"
ours_kernel=$(cd "$(dirname "$ours_kernel")" && pwd)/$(basename "$ours_kernel")
peer_kernel=$(cd "$(dirname "$peer_kernel")" && pwd)/$(basename "$peer_kernel")
if [ ! -f "$BUILD/headers/usr/include/linux/tcp.h" ]; then
	[ -d "$TREE" ] || die "no $TREE: run 'make tree' first"
	make -s -C "$TREE" O="$BUILD/headers" ARCH=x86 headers >/dev/null
fi
mkdir -p "$out" "$LOGS"
make -s -C "$src" OUTPUT="$out" HDR="$BUILD/headers/usr/include" \
	>"$LOGS/bench-build.log" 2>&1 || { cat "$LOGS/bench-build.log"; die "bench.c build failed"; }

knobs=()
for v in BENCH_RUNS BENCH_SECS BENCH_RATE_SECS BENCH_ITERS BENCH_KEYS \
	BENCH_FLOOD_SECS BENCH_CONNS BENCH_MEM_RUNS; do
	[ -z "${!v:-}" ] || knobs+=("$v=${!v}")
done

# Which debug options a kernel was built with, from the .config beside it.
debug_of() {
	local cfg
	cfg=$(dirname "$1")/.config
	[ -f "$cfg" ] || { echo "unknown (no .config beside $1)"; return; }
	{ grep -oE '^CONFIG_(KASAN|LOCKDEP|PROVE_LOCKING|PROVE_RCU|UBSAN|DEBUG_KMEMLEAK|DEBUG_OBJECTS|KCOV|SLUB_DEBUG_ON|DEBUG_PAGEALLOC)=y' "$cfg" || true; } |
		sed 's/^CONFIG_//; s/=y$//' | paste -sd, - | sed 's/^$/none/'
}

# The slab allocator (SLAB or SLUB): object sizes and caches differ.
alloc_of() {
	local cfg
	cfg=$(dirname "$1")/.config
	{ grep -oE '^CONFIG_SL[AOU]B=y' "$cfg" 2>/dev/null || echo unknown; } |
		sed 's/^CONFIG_//; s/=y$//' | head -n1
}

# When each VM ran and how busy the host was: the CPUs are shared.
load_of() {
	local d=$out/$1
	[ -f "$d/load-start.txt" ] && [ -f "$d/load-end.txt" ] || { echo "$1: unknown"; return; }
	echo "$1 ran $(cut -d' ' -f1 "$d/load-start.txt")-$(cut -d' ' -f1 "$d/load-end.txt") UTC," \
		"host load $(cut -d' ' -f2- "$d/load-start.txt") at start," \
		"$(cut -d' ' -f2- "$d/load-end.txt") at end"
}

rc=0
bench_vm() {
	local side=$1 kind=$2 kernel=$3 dir=$out/$1 t0
	rm -rf "$dir"
	mkdir -p "$dir"
	note "bench: $side ($kernel), log in $dir/console.log"
	echo "$(date -u '+%H:%M') $(cut -d' ' -f1-3 /proc/loadavg)" >"$dir/load-start.txt"
	t0=$SECONDS
	# Progress: the runner's "== " lines, failures and vm.sh's verdicts.
	set +e
	"$REPO/workbench/vm.sh" -k "$kind" -K "$kernel" -m "${BENCH_VM_MEM:-1G}" -t "$timeout" \
		-n "bench-$side" -o "$dir" -- \
		env "${knobs[@]}" /bin/bash "$src/inside.sh" "$side" "$dir" "$out/bench" 2>&1 |
		grep --line-buffered -E '^(== |bench:|vm\[)' >&2
	st=${PIPESTATUS[0]}
	set -e
	if [ "$st" != 0 ]; then
		note "bench: $side VM failed (status $st): see $dir/console.log"
		rc=1
	fi
	echo "$(date -u '+%H:%M') $(cut -d' ' -f1-3 /proc/loadavg)" >"$dir/load-end.txt"
	note "bench: $side done in $((SECONDS - t0)) s"
}

[ "$only" = upstream ] || bench_vm ours uml "$ours_kernel"
[ "$only" = ours ] || bench_vm upstream peer "$peer_kernel"

notes=(
	"ours kernel: $ours_kernel, debug options: $(debug_of "$ours_kernel"), allocator $(alloc_of "$ours_kernel")"
	"upstream kernel: $peer_kernel, debug options: $(debug_of "$peer_kernel"), allocator $(alloc_of "$peer_kernel")"
	"the host's $(nproc) CPUs are shared with other work (each VM needs one): $(load_of ours); $(load_of upstream) (1/5/15-min load averages)"
)
case "$(debug_of "$ours_kernel")$(debug_of "$peer_kernel")" in
*KASAN* | *LOCKDEP* | *PROVE* | *KMEMLEAK* | *UBSAN* | *DEBUG_OBJECTS*)
	notes+=("**A kernel carries debug options: its figures are not comparable; the ratios mean nothing. Memory figures under KASAN include redzones and its quarantine of freed objects.**")
	;;
esac
# The per-segment MAC cost, timed inside our kernel by its KUnit benchmark
# at boot: minimum ns over repeats of 2000 MACs (the least disturbed by a
# busy host), as a connection signs, with the key set up per segment, and
# the raw keyed hash of the same bytes with its key set once.
mac_from_kunit() {
	local dir=$out/mac
	grep -q '^CONFIG_TCP_AUTHOPT_KUNIT_BENCH=y' "$(dirname "$ours_kernel")/.config" 2>/dev/null ||
		return 1
	rm -rf "$dir"
	"$REPO/workbench/vm.sh" -k uml -K "$ours_kernel" -n bench-mac -o "$dir" -t 300 -- true \
		>/dev/null 2>&1 || { note "bench: the KUnit MAC benchmark failed: $dir/console.log"; rc=1; }
	python3 - "$dir/console.log" >"$out/mac.txt" <<-'PY'
	import re, sys
	rows = {}
	for line in open(sys.argv[1], errors='replace'):
	    m = re.search(r'bench-mac (\S+) payload=(\d+) bytes=(\d+) way=(\w+) min_ns=(\d+)', line)
	    if m:
	        alg, payload, nbytes, way, ns = m.groups()
	        rows.setdefault((alg, int(payload), int(nbytes)), {})[way] = int(ns)
	for (alg, payload, nbytes), w in sorted(rows.items()):
	    if len(w) < 3:
	        continue
	    print(f'{alg}, {payload} B payload ({nbytes} B hashed): as signed / key set per segment / raw keyed hash'
	          f' | ns, min | {w["segment"]} / {w["setkey"]} / {w["raw"]}'
	          f' ({100 * (w["segment"] - w["raw"]) / w["raw"]:+.0f} % over raw) | not measured')
	PY
	[ -s "$out/mac.txt" ] || { note "bench: no KUnit MAC figures in $dir/console.log"; rc=1; return 1; }
	echo "$out/mac.txt"
}
mac=()
if [ -n "${BENCH_MAC_FILE:-}" ]; then
	mac=(--mac "$BENCH_MAC_FILE")
elif macfile=$(mac_from_kunit); then
	mac=(--mac "$macfile")
fi
note_args=()
for n in "${notes[@]}"; do
	note_args+=(--note "$n")
done
python3 "$src/report.py" "$out/ours" "$out/upstream" "$out/results.md" \
	"${mac[@]}" "${note_args[@]}"
grep -q '^@F' "$out"/ours/raw.txt "$out"/upstream/raw.txt 2>/dev/null && rc=1
note "bench: results in $out/results.md"
exit $rc
