#!/bin/bash
# make demo: boot our UML kernel and show what the series does, inside a
# network namespace of the VM.
. "$(dirname "$0")/lib.sh"
"$REPO/workbench/vm.sh" -k uml -n demo -t 300 -- "$REPO/workbench/demo-vm.sh"
