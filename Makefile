# tcp_authopt workbench: assemble the series on the Debian 6.1 base, build
# kernels, boot them and test. See README.md. Nothing here builds in the
# repository itself: everything goes to build/ (git-ignored).
WB := workbench

.PHONY: help deps tree save uml x86 peer kernels check check-debug demo export export-check \
	smoke-x86 peer-tcp-ao upstream-tcp-ao bisect-check interop bench deb deb-check clean

help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## deps         install the Debian packages everything needs (root)
deps:
	$(WB)/deps.sh

## tree         assemble build/linux: base + patches/series + our files
tree:
	$(WB)/tree.sh

## save         turn commits made in build/linux back into patches/ + files
save:
	$(WB)/save.sh

## uml          our UML test kernel (debug options on) -> build/uml/linux
uml: tree
	$(WB)/kernel.sh uml

## x86          our x86_64 SMP debug kernel for qemu -> build/x86/arch/x86/boot/bzImage
x86: tree
	$(WB)/kernel.sh x86

## peer         upstream 6.12 with CONFIG_TCP_AO, as UML -> build/peer/linux
peer:
	$(WB)/kernel.sh peer

kernels: uml peer

## check        every test layer; ends with "N passed, N failed" (STAGES=... for a subset)
check: deps
	$(WB)/check.sh $(STAGES)

## check-debug  selftests and packet tests on the SMP debug kernel (x86_64, qemu TCG)
check-debug: deps
	$(WB)/check.sh debug_selftests debug_pytest

## demo         two BGP routers (BIRD 2, FRR) on our kernel over TCP-AO: rollover, wrong key
demo: deps uml
	$(WB)/demo.sh

## bench        ours vs upstream TCP-AO, plain TCP and MD5 (not part of check) -> build/bench/results.md
bench: deps tree
	$(WB)/kernel.sh uml-bench
	$(WB)/kernel.sh peer
	BENCH_UML_KERNEL=build/uml-bench/linux $(WB)/bench.sh

## peer-tcp-ao  the upstream tcp_ao selftests on the peer kernel
peer-tcp-ao: deps peer
	$(WB)/peer-tcp-ao.sh

## upstream-tcp-ao  the same upstream tcp_ao selftests on our kernel (also part of check)
upstream-tcp-ao: deps uml
	$(WB)/peer-tcp-ao.sh uml

## interop      our kernel against upstream TCP-AO on one link (also part of check)
interop: deps
	$(WB)/check.sh interop

## smoke-x86    boot the x86_64 kernel under qemu (TCG) and run a command
smoke-x86: deps x86
	$(WB)/vm.sh -k x86 -n smoke-x86 -t 600 -- /bin/sh -c 'uname -a; cat /proc/version'

## export       the series as git format-patch files in build/export
export: tree
	$(WB)/export.sh

## bisect-check build our UML kernel at every patch of the series
bisect-check: uml
	$(WB)/bisect-check.sh

## export-check export, then git am it on a fresh unpack of the base
export-check: tree
	$(WB)/export.sh --check

## deb          Debian packages on Debian's 6.1 config + TCP_AUTHOPT (hours) -> build/deb/*.deb
deb: deps tree
	$(WB)/deb.sh

## deb-check    boot the packaged kernel with its modules under qemu, run a smoke subset
deb-check: deps
	$(WB)/check.sh deb

clean:
	rm -rf build
