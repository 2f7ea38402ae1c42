#!/bin/bash
# Boot a kernel with the host root read-only, run one command inside, stream
# its output and return its exit status. A panic, a timeout, a missing exit
# marker or a kernel splat in the console log is a failure.
#
#   vm.sh [-k uml|peer|x86] [-K KERNEL] [-m MEM] [-c CPUS] [-t SECONDS] [-n NAME] [-o OUTDIR]
#         [--switch SOCK --ip4 ADDR/LEN --ip6 ADDR/LEN] [--leakcheck]
#         [--initrd FILE --modules DIR] -- CMD...
#
# -K boots another kernel binary of that kind (default build/KIND/linux,
# or the bzImage for x86), e.g. a copy kept from before a fix. -c sets the
# vCPUs of an x86 VM (default $VM_CPUS or 2; UML has one CPU); -m defaults
# to $VM_MEM or 1G.
#
# --initrd and --modules (x86) boot a kernel whose 9p and virtio are
# modules, as a distribution builds it: the initrd loads them, mounts the
# host root and shows DIR (that kernel's /lib/modules/RELEASE) there.
#
# OUTDIR (default build/vm/NAME) is writable inside the VM at the same path;
# the console log is OUTDIR/console.log. The command runs from a tmpfs.
. "$(dirname "$0")/lib.sh"

initrd="" moddir="" kind=uml kbin="" cpus=${VM_CPUS:-2} mem=${VM_MEM:-1G} timeout=900 name=vm out="" switch="" ip4="" ip6="" leak=0
while [ $# -gt 0 ]; do
	case "$1" in
	-k) kind=$2; shift 2 ;;
	-K) kbin=$2; shift 2 ;;
	-c) cpus=$2; shift 2 ;;
	-m) mem=$2; shift 2 ;;
	-t) timeout=$2; shift 2 ;;
	-n) name=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	--switch) switch=$2; shift 2 ;;
	--ip4) ip4=$2; shift 2 ;;
	--ip6) ip6=$2; shift 2 ;;
	--leakcheck) leak=1; shift ;;
	--initrd) initrd=$2; shift 2 ;;
	--modules) moddir=$2; shift 2 ;;
	--) shift; break ;;
	*) die "vm.sh: unknown option $1" ;;
	esac
done
[ $# -gt 0 ] || die "vm.sh: no command"
out=${out:-$BUILD/vm/$name}
mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/console.log
cmd=$out/cmd.sh
{
	echo "cd /tmp/work"
	printf '%q ' "$@"
	echo
} >"$cmd"

env_args="vm_repo=$REPO vm_cmd=$cmd vm_out=$out vm_name=$name vm_kind=$kind vm_leakcheck=$leak"
[ -z "$ip4" ] || env_args+=" vm_ip4=$ip4"
[ -z "$ip6" ] || env_args+=" vm_ip6=$ip6"

case "$kind" in
uml | peer)
	bin=${kbin:-$BUILD/$kind/linux}
	[ -x "$bin" ] || die "no $bin: run 'make $kind' first"
	net=""
	[ -z "$switch" ] || net="eth0=daemon,,unix,$switch"
	# UML keeps guest memory in a file under TMPDIR; give each VM its own.
	set -- env TMPDIR=/dev/shm "$bin" mem="$mem" rootfstype=hostfs rootflags=/ ro slab_nomerge \
		init="$REPO/workbench/vm-init" con0=fd:0,fd:1 con=null $net $env_args
	;;
x86)
	bin=${kbin:-$BUILD/x86/arch/x86/boot/bzImage}
	[ -f "$bin" ] || die "no $bin: run 'make x86' first"
	need_pkgs qemu-system-x86
	set -- qemu-system-x86_64 -nographic -no-reboot -m "$mem" -smp "$cpus" \
		-kernel "$bin" -serial stdio -monitor none \
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=root,mount_tag=root \
		-fsdev local,id=out,path="$out",security_model=none \
		-device virtio-9p-pci,fsdev=out,mount_tag=out \
		-append "console=ttyS0 slab_nomerge root=root rootfstype=9p rootflags=trans=virtio,version=9p2000.L ro init=$REPO/workbench/vm-init vm_halt=b panic=-1 $env_args"
	if [ -n "$initrd" ]; then
		set -- "$@" -initrd "$initrd" \
			-fsdev local,id=modules,path="$moddir",security_model=none,readonly=on \
			-device virtio-9p-pci,fsdev=modules,mount_tag=modules
	fi
	;;
*) die "unknown kernel kind $kind" ;;
esac

rc=0
timeout --kill-after=10 "$timeout" "$@" </dev/null 2>&1 | tee "$log" || true
status=$(sed -n 's/^@@VM-EXIT@@ \([0-9]*\).*/\1/p' "$log" | tail -n1)
if [ -z "$status" ]; then
	echo "vm[$name]: no exit marker: the VM crashed, panicked or timed out after ${timeout}s" >&2
	rc=125
elif [ "$status" != 0 ]; then
	rc=$status
fi
# Kernel messages carry a [timestamp]; test output does not.
splat='^\[ *[0-9]+\.[0-9]+\] .*(WARNING:|BUG:|KASAN:|UBSAN:|ODEBUG:|Kernel panic|Oops|general protection|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|sleeping function called|lock held when returning|INFO: task .* blocked)|^LEAK: '
if grep -Eq "$splat" "$log"; then
	echo "vm[$name]: kernel splat in $log:" >&2
	{ grep -E "$splat" "$log" || true; } | sed -n 1,20p >&2
	[ $rc != 0 ] || rc=124
fi
exit $rc
