#!/bin/bash
# Runs inside one benchmark VM (workbench/bench.sh boots it): every
# measurement of bench.c, repeated, raw lines appended to OUT/raw.txt.
#
#   inside.sh ABI OUT BENCH_BINARY
#
# A failed program is recorded as "@F <what>" and the run goes on; the
# script exits non-zero at the end if anything failed. Knobs come from the
# environment (see workbench/bench.sh), with these defaults.
abi=$1 out=$2 bin=$3
runs=${BENCH_RUNS:-5}
secs=${BENCH_SECS:-3}
rate_secs=${BENCH_RATE_SECS:-2}
keys=${BENCH_KEYS:-1 512 1024 4096 8192 65535}
iters=${BENCH_ITERS:-20}
flood_secs=${BENCH_FLOOD_SECS:-2}
conns=${BENCH_CONNS:-1000}
mem_runs=${BENCH_MEM_RUNS:-3}

raw=$out/raw.txt
: >"$raw"
uname -a >"$out/uname.txt"
fail=0

run() {
	local what=$1 t0 t1 rc
	shift
	echo "== $abi: $what" >&2
	t0=$(date +%s.%N)
	"$bin" --abi "$abi" "$@" >"$out/cur.txt" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	cat "$out/cur.txt"
	{
		grep '^@R ' "$out/cur.txt"
		grep '^# ' "$out/cur.txt" | sed "s|^# |@I $what: |"
		[ $rc = 0 ] || echo "@F $what: $(grep '^bench:' "$out/cur.txt" | tail -n1)"
	} >>"$raw"
	awk -v w="$what" -v a="$t0" -v b="$t1" 'BEGIN { printf "@T %s %.1f\n", w, b - a }' >>"$raw"
	[ $rc = 0 ] || fail=1
}

# Runs of different modes interleaved: a drift hits all of them alike.
for r in $(seq "$runs"); do
	for m in plain md5 ao-sha1 ao-cmac; do
		run "bulk $m #$r" bulk "$m" "$secs"
	done
done
for r in $(seq "$runs"); do
	for m in plain ao-sha1; do
		run "rate $m #$r" rate "$m" "$rate_secs"
	done
done
# One key database grown step by step; rounds are the repetitions.
# shellcheck disable=SC2086
run "keys" keys "$iters" "$runs" "$flood_secs" $keys
run "rollover" rollover "$conns" "$runs"
# Last: on SLAB kernels the memory test cuts the per-CPU caches for good.
sleep 3
for r in $(seq "$mem_runs"); do
	for m in plain ao-sha1; do
		run "mem $m #$r" mem "$m" "$conns"
	done
done
exit $fail
