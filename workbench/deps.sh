#!/bin/bash
# Everything the workbench needs, from Debian (bookworm + security).
. "$(dirname "$0")/lib.sh"
need_pkgs build-essential flex bison bc libelf-dev libssl-dev ccache cpio rsync \
	xz-utils git iproute2 kmod uml-utilities nftables python3 python3-pytest \
	python3-scapy python3-cryptography bird2 frr tcpdump "$(base_field package)" "$(base_field peer_package)"
