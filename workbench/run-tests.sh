#!/bin/sh
# Inside a VM: run test programs one after the other, each with a time
# limit, saving each one's output as OUTDIR/NAME.tap for tapcount.py.
#   run-tests.sh OUTDIR SECONDS PROG...
# With RETRY=1 a program that fails runs once more and the second run
# counts; the first run's output stays in OUTDIR/NAME.first-run. Only for
# suites we do not own whose timing is tight under UML.
out=$1 limit=$2
shift 2
mkdir -p "$out"
for p in "$@"; do
	name=$(basename "$p")
	echo "# run: $name"
	timeout -k 5 "$limit" "$p" >"$out/$name.tap" 2>&1
	rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 4 ] && [ "${RETRY:-0}" = 1 ]; then
		mv "$out/$name.tap" "$out/$name.first-run"
		echo "# $name failed (exit $rc), running it again"
		timeout -k 5 "$limit" "$p" >"$out/$name.tap" 2>&1
		rc=$?
	fi
	echo "# exit: $rc $name" >>"$out/$name.tap"
	cat "$out/$name.tap"
done
