#!/bin/bash
# The demo as a test: the scenario of make demo (workbench/demo/run.sh) run
# non-interactively, each fact a TAP result on stdout; the routers' output
# goes to build/logs/demo-check.log. Exit status non-zero when a fact fails.
#   demo-check.sh [--break r2-key|r3-key]   (spoil the scenario: must fail)
exec "$(dirname "$0")/demo/run.sh" tap "$@"
