# Shared settings for the workbench scripts; sourced, not run.
# shellcheck shell=bash
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
TREE=$BUILD/linux
PEER_TREE=$BUILD/linux-peer
PATCHES=$REPO/patches
LOGS=$BUILD/logs

# Top-level directories of the repository that hold files at kernel paths.
KERNEL_DIRS="Documentation include net tools"

die() { echo "error: $*" >&2; exit 1; }
note() { echo "== $*" >&2; }

base_field() { sed -n "s/^$1=//p" "$REPO/BASE"; }

# Install Debian packages that are missing (as root: CI and fresh machines).
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	note "installing ${missing[*]}"
	[ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}

# Unpack a Debian linux-source tarball into $2 once.
unpack_source() {
	local pkg=$1 dest=$2 tarball
	need_pkgs "$pkg"
	tarball=$(dpkg -L "$pkg" | grep -E '/usr/src/linux-source-.*\.tar\.xz$' | head -n1)
	[ -n "$tarball" ] || die "$pkg ships no tarball"
	rm -rf "$dest.tmp"
	mkdir -p "$dest.tmp"
	tar -C "$dest.tmp" --strip-components=1 -xf "$tarball"
	mv "$dest.tmp" "$dest"
}
