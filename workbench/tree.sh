#!/bin/bash
# Assemble build/linux: the Debian 6.1 base as commit "base", then one commit
# per entry of patches/series (its diff applied, plus the new files it names
# on its "Files:" line, copied from this repository).
#
# Commits are built in a private index and the work tree is moved with
# "git reset --hard", so only files whose content changed get a new mtime and
# incremental kernel builds stay incremental.
. "$(dirname "$0")/lib.sh"

pkg=$(base_field package)
want=$(base_field version)
have=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
	need_pkgs "$pkg"
	have=$(dpkg-query -W -f='${Version}' "$pkg")
	[ "$have" = "$want" ] ||
		note "warning: series verified against $pkg $want, installed is $have"
fi

export GIT_AUTHOR_NAME="tcp_authopt developers" GIT_AUTHOR_EMAIL="tcp-authopt@example.org"
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
export GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"

# Never throw away work: commits made in the tree since it was assembled
# must be saved (make save) before the tree is assembled again.
if [ -d "$TREE/.git" ]; then
	assembled=$(git -C "$TREE" config tcpauthopt.assembled || true)
	current=$(git -C "$TREE" rev-parse HEAD)
	if [ -n "$assembled" ] && [ "$assembled" != "$current" ]; then
		die "$TREE has commits that are not in patches/: run 'make save' first (or 'git -C $TREE reset --hard $assembled' to drop them)"
	fi
fi

# "upstream" is the Debian source as shipped; "base" adds the UML fixes
# this build host needs (workbench/uml-host/*.patch for both kernels, ours/
# for 6.1 only), which are not part of the
# series and never exported.
uml_fixes=$(ls "$REPO"/workbench/uml-host/*.patch "$REPO"/workbench/uml-host/ours/*.patch)
stamp="$have $(cat $uml_fixes | sha1sum | cut -c1-12)"
if [ ! -d "$TREE/.git" ] || [ "$(git -C "$TREE" config tcpauthopt.base || true)" != "$stamp" ]; then
	note "unpacking $pkg $have into $TREE (once)"
	rm -rf "$TREE"
	unpack_source "$pkg" "$TREE"
	git -C "$TREE" init -q -b series
	git -C "$TREE" config core.autocrlf false
	git -C "$TREE" add -A -f .
	GIT_AUTHOR_DATE=$GIT_COMMITTER_DATE git -C "$TREE" commit -q -m "Linux $pkg $have (Debian)"
	git -C "$TREE" tag -f upstream >/dev/null
	for p in $uml_fixes; do
		git -C "$TREE" apply --index "$p" || die "$p does not apply"
	done
	GIT_AUTHOR_DATE=$GIT_COMMITTER_DATE git -C "$TREE" commit -q -m \
		"workbench: UML fixes for this build host (not part of the series)"
	git -C "$TREE" tag -f base >/dev/null
	git -C "$TREE" config tcpauthopt.base "$stamp"
fi

cd "$TREE"
if [ -n "$(git status --porcelain)" ]; then
	die "$TREE has uncommitted changes: commit them into the series and run 'make save' first (or 'git -C $TREE stash')"
fi

index=$(mktemp "$BUILD/index.XXXXXX")
trap 'rm -f "$index" "$index.msg" "$index.patch" "$index.info"' EXIT
export GIT_INDEX_FILE=$index
git read-tree base
head=$(git rev-parse base)

while read -r name; do
	case "$name" in ''|'#'*) continue ;; esac
	p=$PATCHES/$name
	[ -f "$p" ] || die "patches/series names missing $name"
	git mailinfo "$index.msg" "$index.patch" <"$p" >"$index.info"
	if grep -q '^diff --git' "$index.patch"; then
		git apply --cached "$index.patch" ||
			die "$name no longer applies to $pkg $have (last verified: $want)"
	fi
	for f in $(sed -n 's/^Files: *//p' "$index.patch"); do
		[ -f "$REPO/$f" ] || die "$name: Files: names $f, which is not in the repository"
		git update-index --add --cacheinfo "100644,$(git hash-object -w "$REPO/$f"),$f"
	done
	subject=$(sed -n 's/^Subject: //p' "$index.info")
	GIT_AUTHOR_DATE=$(sed -n 's/^Date: //p' "$index.info")
	export GIT_AUTHOR_DATE
	head=$(printf '%s\n\n%s' "$subject" "$(cat "$index.msg")" |
		git commit-tree "$(git write-tree)" -p "$head")
done <"$PATCHES/series"

unset GIT_INDEX_FILE
# Files at kernel paths that no patch claims would silently be left out.
claimed=$({ sed -n 's/^Files: *//p' "$PATCHES"/*.patch 2>/dev/null || true; } | tr ' ' '\n' | sort -u)
for f in $(cd "$REPO" && git ls-files --cached --others --exclude-standard $KERNEL_DIRS); do
	grep -qxF "$f" <<<"$claimed" || note "warning: $f is not on any patch's Files: line"
done

git reset -q --hard "$head"
git config tcpauthopt.assembled "$head"
note "tree: $(git rev-list --count base..HEAD) patches on $pkg $have at $TREE"
