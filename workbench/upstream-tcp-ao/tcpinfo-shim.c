// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for upstream's tcp_ao selftests on our 6.1 kernel.
 *
 * Their lib/repair.c insists that getsockopt(TCP_INFO) fills the whole
 * struct tcp_info of the headers they were built with (6.12: 248 bytes).
 * 6.1's is 232 bytes: 6.2-6.7 added tcpi_rcv_wnd, tcpi_rehash and the RTO
 * totals, which have nothing to do with TCP-AO and which the tests never
 * read. Without this, every checkpoint/restore test (restore, seq-ext,
 * rst, self-connect) stops at its first TCP_INFO before reaching
 * TCP_AO_REPAIR. The shim zero-fills the fields 6.1 does not have and
 * reports the length asked for, up to 6.12's size; everything else goes
 * to libc untouched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define TCP_INFO_OPT	11
#define TCP_INFO_612	248

int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	static int (*real)(int, int, int, void *, socklen_t *);
	socklen_t want = optlen ? *optlen : 0;
	int ret;

	if (!real)
		real = (int (*)(int, int, int, void *, socklen_t *))dlsym(RTLD_NEXT, "getsockopt");
	ret = real(fd, level, optname, optval, optlen);
	if (ret || level != IPPROTO_TCP || optname != TCP_INFO_OPT || !optval || !optlen)
		return ret;
	if (want > TCP_INFO_612)
		want = TCP_INFO_612;
	if (*optlen < want) {
		memset((char *)optval + *optlen, 0, want - *optlen);
		*optlen = want;
	}
	return ret;
}
