#!/bin/bash
# Export the assembled series as git format-patch files (build/export) and,
# with --check, prove that "git am" applies them to a fresh unpack of the base.
. "$(dirname "$0")/lib.sh"

exp=$BUILD/export
rm -rf "$exp"
n=$(git -C "$TREE" rev-list --count base..HEAD)
[ "$n" -gt 0 ] || die "the series is empty"
git -C "$TREE" format-patch -q --cover-letter -o "$exp" base..HEAD
# Subject (first line) and blurb of the cover letter: workbench/cover-letter.txt.
/usr/bin/python3 - "$exp"/0000-cover-letter.patch "$REPO/workbench/cover-letter.txt" <<'PY'
import sys
path, text = sys.argv[1], open(sys.argv[2]).read().strip().split('\n', 1)
s = open(path).read()
s = s.replace('*** SUBJECT HERE ***', text[0]).replace('*** BLURB HERE ***', text[1].strip())
open(path, 'w').write(s)
PY
note "exported $n patches to $exp"
[ "${1:-}" = --check ] || exit 0

fresh=$BUILD/export-check
rm -rf "$fresh"
unpack_source "$(base_field package)" "$fresh"
cd "$fresh"
git init -q
git add -A -f .
git -c user.name=check -c user.email=check@example.org commit -q -m base
git -c user.name=check -c user.email=check@example.org am -q $(ls "$exp"/*.patch | grep -v cover-letter) ||
	die "git am failed on a fresh base"

# With this host's UML fixes on top, the result must be the very tree we test.
for p in "$REPO"/workbench/uml-host/*.patch "$REPO"/workbench/uml-host/ours/*.patch; do git apply "$p"; done
git add -A -f .
git -c user.name=check -c user.email=check@example.org commit -q -m uml-host
want=$(git -C "$TREE" rev-parse 'HEAD^{tree}')
have=$(git rev-parse 'HEAD^{tree}')
[ "$want" = "$have" ] || die "git am result differs from build/linux"
note "export check: $n patches apply with git am; tree identical to build/linux"
rm -rf "$fresh"
