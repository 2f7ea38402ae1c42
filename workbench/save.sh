#!/bin/bash
# The reverse of tree.sh: turn the commits base..HEAD of build/linux back into
# patches/ (diffs of existing kernel files) and new files at their kernel
# paths in this repository. Edit the assembled tree, commit (fixup/rebase as
# you like), then run this.
. "$(dirname "$0")/lib.sh"

cd "$TREE" 2>/dev/null || die "no $TREE: run 'make tree' first"
[ -z "$(git status --porcelain)" ] ||
	die "$TREE has uncommitted changes: commit them into the series first"

tmp=$(mktemp -d "$BUILD/save.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0
for c in $(git rev-list --reverse base..HEAD); do
	n=$((n + 1))
	added=$(git diff-tree -r --no-commit-id --name-only --diff-filter=A "$c")
	# Diffs only of files the base has; our files travel whole.
	changed=$(git diff-tree -r --no-commit-id --name-only --diff-filter=MDR "$c" |
		while read -r f; do
			git cat-file -e "base:$f" 2>/dev/null && echo "$f"
		done || true)
	for f in $(git diff-tree -r --no-commit-id --name-only --diff-filter=M "$c"); do
		git cat-file -e "base:$f" 2>/dev/null ||
			note "warning: $(git log -1 --format=%s "$c") edits $f, which an earlier patch adds; the final content is kept whole in the patch that adds it"
	done
	slug=$(git log -1 --format=%s "$c" | tr -c 'A-Za-z0-9\n' '-' | tr -s '-' | sed 's/^-//;s/-$//' | cut -c1-52)
	name=$(printf '%04d-%s.patch' "$n" "$slug")
	{
		git log -1 --format='From: %an <%ae>%nDate: %aD%nSubject: [PATCH] %s%n%n%b' "$c" |
			sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
		echo "---"
		[ -z "$added" ] || echo "Files: $(echo $added)"
		echo
		[ -z "$changed" ] || git diff --no-color "$c^" "$c" -- $changed
	} >"$tmp/$name"
	echo "$name" >>"$tmp/series"
done

rm -f "$PATCHES"/*.patch
mkdir -p "$PATCHES"
[ "$n" -gt 0 ] && cp "$tmp"/*.patch "$PATCHES/"
{
	echo "# Applied in order on the base named in BASE by workbench/tree.sh."
	cat "$tmp/series" 2>/dev/null || true
} >"$PATCHES/series"

# New files at their final content. A repository file edited since its
# last commit that the tree does not have would be lost: refuse.
added=$(git diff --name-only --diff-filter=A base HEAD)
for f in $added; do
	if [ -f "$REPO/$f" ] && ! git -C "$REPO" diff --quiet -- "$f" &&
	   ! git show "HEAD:$f" | cmp -s - "$REPO/$f"; then
		die "$f was edited in the repository and differs from $TREE: copy it into the tree (or commit/revert it) first"
	fi
done
for f in $added; do
	mkdir -p "$REPO/$(dirname "$f")"
	git show "HEAD:$f" >"$REPO/$f"
done
note "saved $n patches to $PATCHES"
# What is saved is what tree.sh would assemble: it may replace these commits.
git config tcpauthopt.assembled "$(git rev-parse HEAD)"
