#!/bin/bash
# make demo: two BGP routers on our kernel (UML), BIRD 2 and FRR, their
# sessions protected by TCP-AO with keys from the tcp-authopt tool and the
# netns-wide mode: the sessions and routes, every MAC on the wire checked,
# a key rollover under a live session, a peer with the wrong key refused.
# See workbench/demo/run.sh.
exec "$(dirname "$0")/demo/run.sh" summary "$@"
