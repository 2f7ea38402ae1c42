#!/bin/sh
# Inside a VM: run test programs one after the other, each with a time
# limit, saving each one's output as OUTDIR/NAME.tap for tapcount.py.
#   run-tests.sh OUTDIR SECONDS PROG...
out=$1 limit=$2
shift 2
mkdir -p "$out"
for p in "$@"; do
	name=$(basename "$p")
	echo "# run: $name"
	timeout -k 5 "$limit" "$p" >"$out/$name.tap" 2>&1
	rc=$?
	echo "# exit: $rc $name" >>"$out/$name.tap"
	cat "$out/$name.tap"
done
