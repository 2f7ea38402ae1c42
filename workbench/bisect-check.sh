#!/bin/bash
# Every patch of the series must build on its own: check out each commit
# base..HEAD of build/linux in a worktree and build the UML kernel there
# (same config, its own output dir; ccache keeps it incremental).
. "$(dirname "$0")/lib.sh"

[ -d "$TREE/.git" ] || die "no $TREE: run 'make tree' first"
wt=$BUILD/bisect-src
out=$BUILD/bisect
git -C "$TREE" worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
git -C "$TREE" worktree prune
git -C "$TREE" worktree add -q --detach "$wt" base
mkdir -p "$out" "$LOGS"
export CCACHE_DIR=${CCACHE_DIR:-/var/cache/tcp-authopt-ccache} CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=true
rc=0
for c in $(git -C "$TREE" rev-list --reverse base..HEAD); do
	subject=$(git -C "$TREE" log -1 --format=%s "$c")
	git -C "$wt" checkout -q --detach "$c"
	# The full config each time: olddefconfig at a commit that has no
	# CONFIG_TCP_AUTHOPT yet drops it, and every later commit would then
	# build without our code.
	cp "$BUILD/uml/.config" "$out/.config"
	make -s -C "$wt" O="$out" ARCH=um olddefconfig >/dev/null 2>&1
	if grep -q '^config TCP_AUTHOPT$' "$wt/net/ipv4/Kconfig" &&
	   ! grep -q '^CONFIG_TCP_AUTHOPT=y' "$out/.config"; then
		echo "FAILED: $subject (CONFIG_TCP_AUTHOPT not set)"
		rc=1
		continue
	fi
	if make -s -C "$wt" O="$out" ARCH=um CC="ccache gcc" -j"$(nproc)" \
		>"$LOGS/bisect-$(git -C "$TREE" rev-parse --short "$c").log" 2>&1; then
		echo "ok: $subject"
	else
		echo "FAILED: $subject (log: $LOGS/bisect-$(git -C "$TREE" rev-parse --short "$c").log)"
		rc=1
	fi
done
git -C "$TREE" worktree remove --force "$wt"
exit $rc
