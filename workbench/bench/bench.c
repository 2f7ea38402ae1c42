// SPDX-License-Identifier: GPL-2.0
/*
 * TCP-AO benchmark: one program for two kernel ABIs.
 *
 *   ours:     the tcp_authopt ABI (namespace-wide keys, TCP_AUTHOPT_KEY=39,
 *             host-wide switch net.ipv4.tcp_authopt);
 *   upstream: Linux 6.7+ TCP-AO (per-socket keys, TCP_AO_ADD_KEY=38,
 *             TCP_AO_DEL_KEY=39), structs copied below as local layouts.
 *
 * Every run builds two fresh network namespaces, A (server, 10.0.0.1) and
 * B (client, 10.0.0.2), joined by a veth pair. The process moves between
 * them with setns(); a socket stays in the namespace it was created in.
 * Results are printed one per line as "@R <name> <value> <unit>"; the
 * runner collects them and computes medians over runs.
 *
 *   bench [--abi ours|upstream] bulk MODE SECS
 *   bench [--abi ...] rate MODE SECS
 *   bench [--abi ...] keys ITERS ROUNDS FLOOD_SECS N...
 *   bench [--abi ...] rollover CONNS ROUNDS
 *   bench [--abi ...] mem MODE CONNS
 *
 * MODE is plain, md5, ao-sha1 or ao-cmac. Without --abi the ABI is taken
 * from uname -r (6.1 is ours, anything newer is upstream).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/tcp.h>

#define ADDR_A		"10.0.0.1"
#define ADDR_B		"10.0.0.2"
#define PORT_AO		9000	/* the listener of the measured mode */
#define PORT_PLAIN	9001	/* a plain listener, for reference connects */
#define OTHERS_BASE	0xac100001u	/* 172.16.0.1: the first "other" peer */
#define SOCK_TIMEO_S	10	/* nothing may block longer than this */
#define BULK_BUF	(64u << 10)
#define FLOOD_BATCH	64	/* SYNs per sendmmsg() */

/* ------------------------------------------------------------------------ */
/* The two ABIs                                                             */
/* ------------------------------------------------------------------------ */

/* Ours: from the exported headers of the series (build/headers). */
#ifndef TCP_AUTHOPT_KEY
#error "build against the headers of the tcp_authopt series (TCP_AUTHOPT_KEY)"
#endif
static_assert(TCP_AUTHOPT == 38 && TCP_AUTHOPT_KEY == 39, "ours: option numbers");
static_assert(offsetof(struct tcp_authopt_key, addr) == 88, "ours: key layout");
static_assert(offsetof(struct tcp_authopt_key, recv_lifetime_end) == 248,
	      "ours: key layout");

/*
 * Upstream (include/uapi/linux/tcp.h of Linux 6.12): local copies under
 * other names, pinned by size and offsets.
 */
#define UP_TCP_AO_ADD_KEY	38
#define UP_TCP_AO_DEL_KEY	39
#define UP_TCP_AO_INFO		40
#define UP_TCP_AO_GET_KEYS	41

struct up_ao_add {
	struct __kernel_sockaddr_storage addr;
	char	alg_name[64];
	__s32	ifindex;
	__u32	set_current	:1,
		set_rnext	:1,
		reserved	:30;
	__u16	reserved2;
	__u8	prefix;
	__u8	sndid;
	__u8	rcvid;
	__u8	maclen;
	__u8	keyflags;
	__u8	keylen;
	__u8	key[80];
} __attribute__((aligned(8)));

struct up_ao_del {
	struct __kernel_sockaddr_storage addr;
	__s32	ifindex;
	__u32	set_current	:1,
		set_rnext	:1,
		del_async	:1,
		reserved	:29;
	__u16	reserved2;
	__u8	prefix;
	__u8	sndid;
	__u8	rcvid;
	__u8	current_key;
	__u8	rnext;
	__u8	keyflags;
} __attribute__((aligned(8)));

struct up_ao_info {
	__u32	set_current	:1,
		set_rnext	:1,
		ao_required	:1,
		set_counters	:1,
		accept_icmps	:1,
		reserved	:27;
	__u16	reserved2;
	__u8	current_key;
	__u8	rnext;
	__u64	pkt_good;
	__u64	pkt_bad;
	__u64	pkt_key_not_found;
	__u64	pkt_ao_required;
	__u64	pkt_dropped_icmp;
} __attribute__((aligned(8)));

struct up_ao_getsockopt {
	struct __kernel_sockaddr_storage addr;
	char	alg_name[64];
	__u8	key[80];
	__u32	nkeys;
	__u16	is_current	:1,
		is_rnext	:1,
		get_all		:1,
		reserved	:13;
	__u8	sndid;
	__u8	rcvid;
	__u8	prefix;
	__u8	maclen;
	__u8	keyflags;
	__u8	keylen;
	__s32	ifindex;
	__u64	pkt_good;
	__u64	pkt_bad;
} __attribute__((aligned(8)));

static_assert(sizeof(struct up_ao_add) == 288, "upstream tcp_ao_add");
static_assert(offsetof(struct up_ao_add, prefix) == 202, "upstream tcp_ao_add");
static_assert(offsetof(struct up_ao_add, key) == 208, "upstream tcp_ao_add");
static_assert(sizeof(struct up_ao_del) == 144, "upstream tcp_ao_del");
static_assert(offsetof(struct up_ao_del, prefix) == 138, "upstream tcp_ao_del");
static_assert(sizeof(struct up_ao_info) == 48, "upstream tcp_ao_info_opt");
static_assert(offsetof(struct up_ao_info, pkt_good) == 8, "upstream tcp_ao_info_opt");
static_assert(sizeof(struct up_ao_getsockopt) == 304, "upstream tcp_ao_getsockopt");
static_assert(offsetof(struct up_ao_getsockopt, sndid) == 278, "upstream tcp_ao_getsockopt");
static_assert(offsetof(struct up_ao_getsockopt, pkt_good) == 288, "upstream tcp_ao_getsockopt");

enum abi { OURS, UPSTREAM };
enum mode { M_PLAIN, M_MD5, M_AO_SHA1, M_AO_CMAC };

static const char * const mode_names[] = {
	[M_PLAIN] = "plain", [M_MD5] = "md5",
	[M_AO_SHA1] = "ao-sha1", [M_AO_CMAC] = "ao-cmac",
};

static enum abi abi;
static const uint8_t mkt[16] = "bench-key-16byte";

enum { A, B };
static int nsfd[2];
static int netstat_fd[2];
static int ctl[2] = { -1, -1 };	/* ours: a socket per namespace for keys */
static in_addr_t addr_of[2];

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void result(const char *name, double val, const char *unit)
{
	printf("@R %s %.6g %s\n", name, val, unit);
	fflush(stdout);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void write_file(const char *path, const char *val, bool must)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = strlen(val);

	if (fd < 0 || write(fd, val, len) != len) {
		if (must)
			die("write %s: %s", path, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
}

static void enter(int side)
{
	if (setns(nsfd[side], CLONE_NEWNET))
		die("setns: %s", strerror(errno));
}

static void ip_batch(const char *cmds)
{
	FILE *ip = popen("ip -batch -", "w");

	if (!ip)
		die("popen ip: %s", strerror(errno));
	fputs(cmds, ip);
	if (pclose(ip))
		die("ip -batch failed on:\n%s", cmds);
}

static struct sockaddr_in sin_of(in_addr_t addr, int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = addr,
	};
	return sin;
}

/* A TCP socket in namespace @side, with timeouts so nothing hangs. */
static int tcp_socket(int side)
{
	struct timeval tv = { .tv_sec = SOCK_TIMEO_S };
	int fd;

	enter(side);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		die("SO_*TIMEO: %s", strerror(errno));
	return fd;
}

static long long netstat_counter(int side, const char *name)
{
	static char buf[65536];
	char *names = NULL, *values = NULL, *line, *save, *n, *v, *ns, *vs;
	size_t len = 0;
	ssize_t ret;

	if (lseek(netstat_fd[side], 0, SEEK_SET))
		die("lseek netstat");
	while (len < sizeof(buf) - 1) {
		ret = read(netstat_fd[side], buf + len, sizeof(buf) - 1 - len);
		if (ret <= 0)
			break;
		len += ret;
	}
	buf[len] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "TcpExt:", 7))
			continue;
		if (!names) {
			names = line + 7;
		} else {
			values = line + 7;
			break;
		}
	}
	if (!values)
		return -1;
	n = strtok_r(names, " ", &ns);
	v = strtok_r(values, " ", &vs);
	for (; n && v; n = strtok_r(NULL, " ", &ns), v = strtok_r(NULL, " ", &vs))
		if (!strcmp(n, name))
			return strtoll(v, NULL, 10);
	return -1;
}

/* Segments dropped as failing TCP-AO (bad MAC, unknown key) in @side. */
static long long ao_bad_segments(int side)
{
	if (abi == OURS)
		return netstat_counter(side, "TCPAuthOptFailure");
	return netstat_counter(side, "TCPAOBad") + netstat_counter(side, "TCPAOKeyNotFound");
}

/* Segments dropped because they lacked TCP-AO while a key required it. */
static long long ao_required_drops(int side)
{
	return netstat_counter(side, abi == OURS ? "TCPAuthOptRequired" : "TCPAORequired");
}

/* ------------------------------------------------------------------------ */
/* Namespaces                                                               */
/* ------------------------------------------------------------------------ */

static void ns_sysctls(void)
{
	/* Thousands of TIME-WAIT sockets and connections must fit. */
	write_file("/proc/sys/net/ipv4/tcp_max_tw_buckets", "262144", false);
	write_file("/proc/sys/net/ipv4/ip_local_port_range", "1024 65000", false);
	write_file("/proc/sys/net/core/somaxconn", "8192", false);
	write_file("/proc/sys/net/ipv4/tcp_max_syn_backlog", "8192", false);
	/* Upstream charges keys to the socket's option memory (per netns
	 * since 6.9, global in 6.1 where keys are not charged anyway).
	 */
	write_file("/proc/sys/net/core/optmem_max", "1073741824", false);
}

static void setup_net(void)
{
	char cmd[512];
	struct rlimit rl = { 1 << 16, 1 << 16 };
	int side;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE: %s", strerror(errno));
	if (abi == OURS)
		write_file("/proc/sys/net/ipv4/tcp_authopt", "1", true);
	ns_sysctls();	/* in the initial namespace: global ones */
	for (side = A; side <= B; side++) {
		if (unshare(CLONE_NEWNET))
			die("unshare: %s", strerror(errno));
		nsfd[side] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		netstat_fd[side] = open("/proc/self/net/netstat", O_RDONLY | O_CLOEXEC);
		if (nsfd[side] < 0 || netstat_fd[side] < 0)
			die("open ns: %s", strerror(errno));
		ns_sysctls();
	}
	/* In B. */
	snprintf(cmd, sizeof(cmd),
		 "link add vb type veth peer name va netns /proc/%d/fd/%d\n"
		 "link set lo up\naddr add " ADDR_B "/24 dev vb\nlink set vb up\n",
		 getpid(), nsfd[A]);
	ip_batch(cmd);
	enter(A);
	ip_batch("link set lo up\naddr add " ADDR_A "/24 dev va\nlink set va up\n");
	addr_of[A] = inet_addr(ADDR_A);
	addr_of[B] = inet_addr(ADDR_B);
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

static bool is_ao(enum mode m)
{
	return m == M_AO_SHA1 || m == M_AO_CMAC;
}

#define UP_CURRENT	1	/* upstream: the new key signs at once */
#define UP_RNEXT	2	/* upstream: ask the peer to sign with it */

/*
 * Add (or, ours, replace) the key @id for @peer through socket @fd, with
 * key flags @ours_flags (ours) or UP_* flags @up (upstream).
 */
static int key_add(int fd, enum mode m, in_addr_t peer, int id, unsigned int ours_flags,
		   unsigned int up)
{
	struct sockaddr_in sin = sin_of(peer, 0);
	int ret;

	if (abi == OURS) {
		struct tcp_authopt_key k = {
			.flags = TCP_AUTHOPT_KEY_ADDR_BIND | ours_flags,
			.send_id = id,
			.recv_id = id,
			.alg = m == M_AO_CMAC ? TCP_AUTHOPT_ALG_AES_128_CMAC_96 :
						TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
			.keylen = sizeof(mkt),
		};

		memcpy(k.key, mkt, sizeof(mkt));
		memcpy(&k.addr, &sin, sizeof(sin));
		ret = setsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT_KEY, &k, sizeof(k));
	} else {
		struct up_ao_add k = {
			.prefix = 32,
			.sndid = id,
			.rcvid = id,
			.maclen = 12,
			.keylen = sizeof(mkt),
			.set_current = !!(up & UP_CURRENT),
			.set_rnext = !!(up & UP_RNEXT),
		};

		strcpy(k.alg_name, m == M_AO_CMAC ? "cmac(aes128)" : "hmac(sha1)");
		memcpy(k.key, mkt, sizeof(mkt));
		memcpy(&k.addr, &sin, sizeof(sin));
		ret = setsockopt(fd, IPPROTO_TCP, UP_TCP_AO_ADD_KEY, &k, sizeof(k));
	}
	return ret ? -errno : 0;
}

/* Delete key @id for @peer; upstream: make @cur current and rnext first. */
static int key_del(int fd, in_addr_t peer, int id, int cur)
{
	struct sockaddr_in sin = sin_of(peer, 0);
	int ret;

	if (abi == OURS) {
		struct tcp_authopt_key k = {
			.flags = TCP_AUTHOPT_KEY_DEL | TCP_AUTHOPT_KEY_ADDR_BIND,
			.send_id = id,
			.recv_id = id,
		};

		memcpy(&k.addr, &sin, sizeof(sin));
		ret = setsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT_KEY, &k, sizeof(k));
	} else {
		struct up_ao_del k = {
			.prefix = 32,
			.sndid = id,
			.rcvid = id,
		};

		if (cur >= 0) {
			k.set_current = 1;
			k.set_rnext = 1;
			k.current_key = cur;
			k.rnext = cur;
		}
		memcpy(&k.addr, &sin, sizeof(sin));
		ret = setsockopt(fd, IPPROTO_TCP, UP_TCP_AO_DEL_KEY, &k, sizeof(k));
	}
	return ret ? -errno : 0;
}

/*
 * The cheapest call into the key option: a 4-byte buffer, refused with
 * EINVAL by both kernels before any key work.
 */
static void null_call(int fd)
{
	uint32_t v = 0;
	int opt = abi == OURS ? TCP_AUTHOPT_KEY : UP_TCP_AO_ADD_KEY;

	if (!setsockopt(fd, IPPROTO_TCP, opt, &v, sizeof(v)) || errno != EINVAL)
		die("null setsockopt: expected EINVAL, got %s", strerror(errno));
}

static void ours_take_part(int fd)
{
	struct tcp_authopt o = { 0 };

	if (setsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT, &o, sizeof(o)))
		die("TCP_AUTHOPT: %s", strerror(errno));
}

static void md5_key(int fd, in_addr_t peer)
{
	struct sockaddr_in sin = sin_of(peer, 0);
	struct tcp_md5sig k = { .tcpm_keylen = sizeof(mkt) };

	memcpy(&k.tcpm_addr, &sin, sizeof(sin));
	memcpy(k.tcpm_key, mkt, sizeof(mkt));
	if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &k, sizeof(k)))
		die("TCP_MD5SIG: %s", strerror(errno));
}

/* Ours: the namespace-wide keys of mode @m, id @id, on both sides. */
static void ns_keys(enum mode m, int id)
{
	int side, err;

	if (abi != OURS || !is_ao(m))
		return;
	for (side = A; side <= B; side++) {
		if (ctl[side] < 0)
			ctl[side] = tcp_socket(side);
		err = key_add(ctl[side], m, addr_of[!side], id, 0, 0);
		if (err)
			die("ns key: %s", strerror(-err));
	}
}

/* Make socket @fd of @side (listener in A, client in B) use mode @m. */
static void prep_socket(int fd, int side, enum mode m)
{
	int err;

	if (m == M_MD5) {
		md5_key(fd, addr_of[!side]);
	} else if (is_ao(m)) {
		if (abi == OURS) {
			ours_take_part(fd);
		} else {
			err = key_add(fd, m, addr_of[!side], 1, 0, 0);
			if (err)
				die("TCP_AO_ADD_KEY: %s", strerror(-err));
		}
	}
}

/* Fail unless both ends of a connection really run TCP-AO. */
static void check_ao(int fd, bool need_traffic)
{
	if (abi == OURS) {
		struct tcp_authopt o;
		socklen_t len = sizeof(o);

		if (getsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT, &o, &len))
			die("getsockopt TCP_AUTHOPT: %s", strerror(errno));
		if (!(o.flags & TCP_AUTHOPT_FLAG_ACTIVE))
			die("connection not authenticated (no ACTIVE flag)");
	} else {
		struct up_ao_info o = { 0 };
		socklen_t len = sizeof(o);

		if (getsockopt(fd, IPPROTO_TCP, UP_TCP_AO_INFO, &o, &len))
			die("getsockopt TCP_AO_INFO: %s", strerror(errno));
		if (need_traffic && !o.pkt_good)
			die("TCP-AO socket verified no segment");
	}
}

static int listener(int port, enum mode m)
{
	struct sockaddr_in sin = sin_of(addr_of[A], port);
	int one = 1, fd = tcp_socket(A);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	prep_socket(fd, A, m);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 8192))
		die("listen: %s", strerror(errno));
	return fd;
}

static void do_connect(int fd, int port)
{
	struct sockaddr_in sin = sin_of(addr_of[A], port);

	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect: %s", strerror(errno));
}

static int do_accept(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		die("accept: %s", strerror(errno));
	return fd;
}

static enum mode parse_mode(const char *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(s, mode_names[i]))
			return i;
	die("unknown mode %s", s);
}

/* ------------------------------------------------------------------------ */
/* 1. Bulk throughput                                                       */
/* ------------------------------------------------------------------------ */

static void *bulk_rx(void *arg)
{
	static char buf[256 << 10];
	int fd = *(int *)arg;
	ssize_t n;

	do {
		n = recv(fd, buf, sizeof(buf), 0);
	} while (n > 0);
	if (n < 0)
		die("bulk recv: %s", strerror(errno));
	shutdown(fd, SHUT_WR);
	return NULL;
}

static void cmd_bulk(enum mode m, double secs)
{
	static char buf[BULK_BUF];
	long long bad0[2], bad;
	double t0, t1;
	unsigned long long sent = 0;
	char name[64];
	pthread_t th;
	int l, c, a, side;
	ssize_t n;

	memset(buf, 0x5a, sizeof(buf));
	setup_net();
	ns_keys(m, 1);
	l = listener(PORT_AO, m);
	c = tcp_socket(B);
	prep_socket(c, B, m);
	do_connect(c, PORT_AO);
	a = do_accept(l);
	for (side = A; side <= B; side++)
		bad0[side] = is_ao(m) ? ao_bad_segments(side) : 0;
	if (pthread_create(&th, NULL, bulk_rx, &a))
		die("pthread_create");
	t0 = now_s();
	while (now_s() - t0 < secs) {
		n = send(c, buf, sizeof(buf), 0);
		if (n <= 0)
			die("bulk send: %s", strerror(errno));
		sent += n;
	}
	shutdown(c, SHUT_WR);
	/* Done when the receiver has read everything and closed its side. */
	n = recv(c, buf, sizeof(buf), 0);
	if (n)
		die("bulk: receiver did not finish (%zd, %s)", n, strerror(errno));
	t1 = now_s();
	pthread_join(th, NULL);
	if (is_ao(m)) {
		check_ao(a, true);
		check_ao(c, true);
		for (side = A; side <= B; side++) {
			bad = ao_bad_segments(side) - bad0[side];
			if (bad)
				die("bulk: %lld segments failed TCP-AO", bad);
		}
	}
	snprintf(name, sizeof(name), "bulk.%s", mode_names[m]);
	result(name, sent / (t1 - t0) / 1e6, "MB/s");
}

/* ------------------------------------------------------------------------ */
/* 2. Connection setup rate                                                 */
/* ------------------------------------------------------------------------ */

static void cmd_rate(enum mode m, double secs)
{
	unsigned long count = 0;
	double t0, t;
	char name[64];
	int l, c, a;

	setup_net();
	ns_keys(m, 1);
	l = listener(PORT_AO, m);
	enter(B);
	t0 = now_s();
	do {
		c = tcp_socket(B);
		prep_socket(c, B, m);
		do_connect(c, PORT_AO);
		a = do_accept(l);
		if (!count && is_ao(m)) {
			check_ao(a, false);
			check_ao(c, false);
		}
		close(c);
		close(a);
		count++;
		t = now_s() - t0;
	} while (t < secs);
	snprintf(name, sizeof(name), "rate.%s", mode_names[m]);
	result(name, count / t, "conn/s");
}

/* ------------------------------------------------------------------------ */
/* 3 and 4. Key scaling, SYN flood                                          */
/* ------------------------------------------------------------------------ */

static in_addr_t other_peer(unsigned int i)
{
	return htonl(OTHERS_BASE + i);
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* A bare SYN from @src to the listener, TCP checksum filled in. */
static void make_syn(uint8_t *p, in_addr_t src, in_addr_t dst, uint16_t sport, uint32_t seq)
{
	uint32_t sum = 0;
	int i;

	memset(p, 0, 40);
	p[0] = 0x45;
	p[3] = 40;
	p[6] = 0x40;		/* DF */
	p[8] = 64;
	p[9] = IPPROTO_TCP;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	/* The kernel fills in the IP checksum of IP_HDRINCL packets. */
	p[20] = sport >> 8;
	p[21] = sport;
	p[22] = PORT_AO >> 8;
	p[23] = PORT_AO & 0xff;
	p[24] = seq >> 24;
	p[25] = seq >> 16;
	p[26] = seq >> 8;
	p[27] = seq;
	p[32] = 5 << 4;
	p[33] = 0x02;		/* SYN */
	p[34] = 0xff;
	p[35] = 0xff;
	for (i = 12; i < 20; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	sum += IPPROTO_TCP + 20;
	for (i = 20; i < 40; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	sum = csum_fold(sum);
	p[36] = sum >> 8;
	p[37] = sum;
}

static long long softnet_dropped(void)
{
	FILE *f = fopen("/proc/net/softnet_stat", "r");
	unsigned int processed, dropped;
	long long total = 0;

	if (!f)
		return -1;
	while (fscanf(f, "%x %x%*[^\n]", &processed, &dropped) == 2)
		total += dropped;
	fclose(f);
	return total;
}

/*
 * SYNs without TCP-AO from B's address (whose key the listener holds) for
 * @secs, sent from a raw socket in B. With one CPU the receive path runs
 * in the sender's context (veth hands the packet to the backlog and the
 * softirq runs when the sender re-enables bottom halves) or in ksoftirqd
 * on the same CPU, so the wall time until all are counted is the CPU time
 * of sending plus rejecting them.
 */
static void flood(const char *label, double secs)
{
	static uint8_t pkts[FLOOD_BATCH][40];
	struct mmsghdr msgs[FLOOD_BATCH];
	struct iovec iov[FLOOD_BATCH];
	struct sockaddr_in dst = sin_of(addr_of[A], 0);
	long long rej0, rej, drop0, drop;
	unsigned long long sent = 0;
	double t0, t;
	char name[96];
	int fd, i, n;

	enter(B);
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		die("raw socket: %s", strerror(errno));
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < FLOOD_BATCH; i++) {
		iov[i].iov_base = pkts[i];
		iov[i].iov_len = 40;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
	}
	rej0 = ao_required_drops(A);
	drop0 = softnet_dropped();
	t0 = now_s();
	do {
		for (i = 0; i < FLOOD_BATCH; i++)
			make_syn(pkts[i], addr_of[B], addr_of[A], 1024 + rnd() % 60000, rnd());
		n = sendmmsg(fd, msgs, FLOOD_BATCH, 0);
		if (n <= 0)
			die("sendmmsg: %s", strerror(errno));
		sent += n;
	} while (now_s() - t0 < secs);
	/*
	 * The clock stops once every SYN sent has been counted (or after a
	 * grace period): SYNs left in the backlog are not free.
	 */
	do {
		rej = ao_required_drops(A) - rej0;
		t = now_s() - t0;
		if (rej >= (long long)sent || t > secs + 10)
			break;
		usleep(1000);
	} while (1);
	drop = softnet_dropped() - drop0;
	close(fd);
	printf("# flood %s: sent %llu rejected %lld backlog-dropped %lld in %.3f s\n",
	       label, sent, rej, drop, t);
	if (rej < (long long)sent * 95 / 100)
		die("flood: only %lld of %llu SYNs counted as rejected for lack of TCP-AO",
		    rej, sent);
	snprintf(name, sizeof(name), "flood.%s.rate", label);
	result(name, rej / t, "SYN/s");
	snprintf(name, sizeof(name), "flood.%s.us_per_syn", label);
	result(name, t / rej * 1e6, "us");
}

static void install_others(int lfd, unsigned int from, unsigned int to)
{
	unsigned int i;
	int err;

	for (i = from; i < to; i++) {
		err = key_add(lfd, M_AO_SHA1, other_peer(i), 1, 0, 0);
		if (err)
			die("adding key %u: %s", i, strerror(-err));
	}
}

/* Wall time of one connect() + accept() of a fresh client of mode @m. */
static double time_connect(int lfd, int port, enum mode m, bool check)
{
	double t0, t;
	int c, a;

	c = tcp_socket(B);
	prep_socket(c, B, m);
	t0 = now_s();
	do_connect(c, port);
	a = do_accept(lfd);
	t = now_s() - t0;
	if (check && is_ao(m)) {
		check_ao(a, false);
		check_ao(c, false);
	}
	close(c);
	close(a);
	return t;
}

static void kres(unsigned int level, const char *what, double us)
{
	char name[96];

	snprintf(name, sizeof(name), "keys.%u.%s", level, what);
	result(name, us, "us");
}

static void cmd_keys(int iters, int rounds, double flood_secs, int nlev, unsigned int *lev)
{
	double nul[iters], add[iters], del[iters], conn[iters], plain[iters];
	double t0, t1, n_null, n_add, n_del, n_conn, n_plain;
	unsigned int have = 0, j;
	double installing = 0;
	int l, lp, r, i, k, err;
	char name[96];

	setup_net();
	ns_keys(M_AO_SHA1, 1);
	/* The measured peer's key first: the last one a newest-first list reaches. */
	l = listener(PORT_AO, M_AO_SHA1);
	lp = listener(PORT_PLAIN, M_PLAIN);
	for (r = 0; flood_secs > 0 && r < rounds; r++)
		flood("1key", flood_secs);
	for (k = 0; k < nlev; k++) {
		if (lev[k] > have) {
			t0 = now_s();
			install_others(l, have, lev[k]);
			t1 = now_s();
			printf("# installed keys %u..%u in %.3f s\n", have, lev[k], t1 - t0);
			have = lev[k];
			installing += t1 - t0;
		}
		snprintf(name, sizeof(name), "keys.%u.install", lev[k]);
		result(name, installing, "s");
		for (r = 0; r < rounds; r++) {
			/*
			 * Each measured call next to its reference, so that
			 * both see the same conditions (the host is shared).
			 */
			for (i = 0; i < iters; i++) {
				t0 = now_s();
				null_call(l);
				nul[i] = now_s() - t0;
				j = rnd() % have;
				t0 = now_s();
				err = key_del(l, other_peer(j), 1, -1);
				t1 = now_s();
				if (err)
					die("del key %u: %s", j, strerror(-err));
				del[i] = t1 - t0;
				t0 = now_s();
				err = key_add(l, M_AO_SHA1, other_peer(j), 1, 0, 0);
				t1 = now_s();
				if (err)
					die("re-add key %u: %s", j, strerror(-err));
				add[i] = t1 - t0;
				conn[i] = time_connect(l, PORT_AO, M_AO_SHA1, !i);
				plain[i] = time_connect(lp, PORT_PLAIN, M_PLAIN, false);
			}
			n_null = median(nul, iters) * 1e6;
			n_add = median(add, iters) * 1e6;
			n_del = median(del, iters) * 1e6;
			n_conn = median(conn, iters) * 1e6;
			n_plain = median(plain, iters) * 1e6;
			kres(lev[k], "null", n_null);
			kres(lev[k], "add", n_add);
			kres(lev[k], "add-null", n_add - n_null);
			kres(lev[k], "del", n_del);
			kres(lev[k], "del-null", n_del - n_null);
			kres(lev[k], "connect", n_conn);
			kres(lev[k], "connect-plain", n_conn - n_plain);
			kres(lev[k], "plainconnect", n_plain);
		}
	}
	snprintf(name, sizeof(name), "%ukeys", have + 1);
	for (r = 0; flood_secs > 0 && r < rounds; r++)
		flood(name, flood_secs);
}

/* ------------------------------------------------------------------------ */
/* 5. Key rollover under 1000 connections                                   */
/* ------------------------------------------------------------------------ */

/* Has @fd (a client in B) received a segment signed with key @id? */
static bool got_key(int fd, int id)
{
	if (abi == OURS) {
		struct tcp_authopt o;
		socklen_t len = sizeof(o);

		if (getsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT, &o, &len))
			die("getsockopt TCP_AUTHOPT: %s", strerror(errno));
		return o.recv_keyid == id;
	} else {
		struct up_ao_getsockopt g = {
			.nkeys = 1,
			.sndid = id,
			.rcvid = id,
			.prefix = 32,
		};
		struct sockaddr_in sin = sin_of(addr_of[A], 0);
		socklen_t len = sizeof(g);

		memcpy(&g.addr, &sin, sizeof(sin));
		if (getsockopt(fd, IPPROTO_TCP, UP_TCP_AO_GET_KEYS, &g, &len))
			die("getsockopt TCP_AO_GET_KEYS: %s", strerror(errno));
		return g.nkeys == 1 && g.pkt_good > 0;
	}
}

static void one_byte(int from, int to)
{
	char ch = 'x';

	if (send(from, &ch, 1, 0) != 1 || recv(to, &ch, 1, 0) != 1)
		die("one byte: %s", strerror(errno));
}

static void cmd_rollover(int conns, int rounds)
{
	int *c = calloc(conns, sizeof(int)), *a = calloc(conns, sizeof(int));
	int l, i, r, old, new, err;
	double t0, t1, t2;
	char ch;

	setup_net();
	ns_keys(M_AO_SHA1, 1);
	l = listener(PORT_AO, M_AO_SHA1);
	for (i = 0; i < conns; i++) {
		c[i] = tcp_socket(B);
		prep_socket(c[i], B, M_AO_SHA1);
		do_connect(c[i], PORT_AO);
		a[i] = do_accept(l);
		one_byte(c[i], a[i]);
		one_byte(a[i], c[i]);
	}
	check_ao(a[0], true);
	printf("# %d connections up\n", conns);
	for (r = 0; r < rounds; r++) {
		old = r + 1;
		new = r + 2;
		t0 = now_s();
		if (abi == OURS) {
			/* B learns the new key, A too, and A stops signing with the old one. */
			err = key_add(ctl[B], M_AO_SHA1, addr_of[A], new, 0, 0) ?:
			      key_add(ctl[A], M_AO_SHA1, addr_of[B], new, 0, 0) ?:
			      key_add(ctl[A], M_AO_SHA1, addr_of[B], old,
				      TCP_AUTHOPT_KEY_NOSEND, 0);
			if (err)
				die("rollover: %s", strerror(-err));
		} else {
			for (i = 0; i < conns; i++) {
				/*
				 * B asks for the new key first: an ACK of B
				 * still asking for the old one would switch A
				 * back (upstream follows the peer's RNextKeyID).
				 */
				err = key_add(c[i], M_AO_SHA1, addr_of[A], new, 0, UP_RNEXT);
				if (err)
					die("rollover add (B): %s", strerror(-err));
			}
			for (i = 0; i < conns; i++) {
				err = key_add(a[i], M_AO_SHA1, addr_of[B], new, 0,
					      UP_CURRENT | UP_RNEXT);
				if (err)
					die("rollover add (A): %s", strerror(-err));
			}
		}
		t1 = now_s();
		for (i = 0; i < conns; i++)
			if (send(a[i], "y", 1, 0) != 1)
				die("rollover send: %s", strerror(errno));
		for (i = 0; i < conns; i++) {
			if (recv(c[i], &ch, 1, 0) != 1)
				die("rollover recv: %s", strerror(errno));
			if (!got_key(c[i], new))
				die("rollover: connection %d got no segment with key %d", i, new);
		}
		t2 = now_s();
		result("roll.change", (t1 - t0) * 1e3, "ms");
		result("roll.all", (t2 - t0) * 1e3, "ms");
		/* Untimed: B answers with the new key, then the old one goes. */
		for (i = 0; i < conns; i++)
			one_byte(c[i], a[i]);
		if (abi == OURS) {
			for (i = 0; i < conns; i++)
				if (!got_key(a[i], new))
					die("rollover: B did not follow to key %d", new);
			err = key_del(ctl[A], addr_of[B], old, -1) ?:
			      key_del(ctl[B], addr_of[A], old, -1);
			if (err)
				die("rollover del: %s", strerror(-err));
		} else {
			for (i = 0; i < conns; i++) {
				err = key_del(c[i], addr_of[A], old, new) ?:
				      key_del(a[i], addr_of[B], old, new);
				if (err)
					die("rollover del: %s", strerror(-err));
			}
		}
		for (i = 0; i < conns; i++)
			one_byte(a[i], c[i]);
	}
}

/* ------------------------------------------------------------------------ */
/* 6. Memory                                                                */
/* ------------------------------------------------------------------------ */

#define MAX_CACHES 512

struct slab_snap {
	int n;
	char name[MAX_CACHES][48];
	long long bytes[MAX_CACHES];
	long long total;
	long long slab_kb;
};

static bool slab_is_slub(void)
{
	return !access("/sys/kernel/slab", F_OK);
}

/*
 * Objects parked in per-CPU caches count as in use in /proc/slabinfo:
 * SLUB gets its caches shrunk before each reading, SLAB has its per-CPU
 * arrays cut to one object for the whole test.
 */
static void slab_quiesce(void)
{
	char path[512];
	struct dirent *d;
	DIR *dir;

	if (!slab_is_slub())
		return;
	dir = opendir("/sys/kernel/slab");
	if (!dir)
		die("opendir /sys/kernel/slab");
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", d->d_name);
		write_file(path, "1", false);
	}
	closedir(dir);
}

static void slab_tune_slab(void)
{
	char line[512], name[64], cmd[128];
	FILE *f;
	int fd;

	if (slab_is_slub())
		return;
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		die("/proc/slabinfo: %s", strerror(errno));
	fd = open("/proc/slabinfo", O_WRONLY);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s", name) != 1)
			continue;
		snprintf(cmd, sizeof(cmd), "%s 1 1 0", name);
		/* A cache that refuses the tuning stays approximate. */
		if (fd >= 0 && write(fd, cmd, strlen(cmd)) < 0)
			continue;
	}
	if (fd >= 0)
		close(fd);
	fclose(f);
}

static void slab_snapshot(struct slab_snap *s)
{
	char line[512];
	long long active, total, size;
	FILE *f;

	sleep(1);	/* RCU-deferred frees */
	slab_quiesce();
	memset(s, 0, sizeof(*s));
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		die("/proc/slabinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f) && s->n < MAX_CACHES) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%47s %lld %lld %lld", s->name[s->n], &active, &total,
			   &size) != 4)
			continue;
		s->bytes[s->n] = active * size;
		s->total += active * size;
		s->n++;
	}
	fclose(f);
	f = fopen("/proc/meminfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %lld kB", &s->slab_kb) == 1)
			break;
	if (f)
		fclose(f);
}

static void slab_report(const char *label, const struct slab_snap *s0,
			const struct slab_snap *s1, int conns)
{
	long long d;
	int i, j;

	for (i = 0; i < s1->n; i++) {
		for (j = 0; j < s0->n && strcmp(s0->name[j], s1->name[i]); j++)
			;
		d = s1->bytes[i] - (j < s0->n ? s0->bytes[j] : 0);
		if (d > conns * 8 || d < -conns * 8)
			printf("# %s: %-24s %+8.1f bytes per connection\n", label,
			       s1->name[i], (double)d / conns);
	}
}

static void cmd_mem(enum mode m, int conns)
{
	int *c = calloc(conns, sizeof(int)), *a = calloc(conns, sizeof(int));
	struct slab_snap *s0 = malloc(sizeof(*s0)), *s1 = malloc(sizeof(*s1));
	char name[96], ch;
	int l, i;

	slab_tune_slab();
	setup_net();
	ns_keys(m, 1);
	l = listener(PORT_AO, m);
	/* Warm up: the first connection allocates per-namespace things. */
	c[0] = tcp_socket(B);
	prep_socket(c[0], B, m);
	do_connect(c[0], PORT_AO);
	a[0] = do_accept(l);
	one_byte(c[0], a[0]);
	close(c[0]);
	close(a[0]);
	slab_snapshot(s0);
	for (i = 0; i < conns; i++) {
		c[i] = tcp_socket(B);
		prep_socket(c[i], B, m);
		do_connect(c[i], PORT_AO);
		a[i] = do_accept(l);
		one_byte(c[i], a[i]);
		one_byte(a[i], c[i]);
	}
	if (is_ao(m))
		check_ao(a[0], true);
	slab_snapshot(s1);
	snprintf(name, sizeof(name), "mem.%s.conn", mode_names[m]);
	result(name, (double)(s1->total - s0->total) / conns, "bytes");
	snprintf(name, sizeof(name), "mem.%s.conn_slabkb", mode_names[m]);
	result(name, (double)(s1->slab_kb - s0->slab_kb) * 1024 / conns, "bytes");
	slab_report("established", s0, s1, conns);
	/* The client closes first: its sockets go to TIME-WAIT, the server's away. */
	for (i = 0; i < conns; i++)
		close(c[i]);
	for (i = 0; i < conns; i++) {
		if (recv(a[i], &ch, 1, 0) != 0)
			die("mem: no FIN on connection %d", i);
		close(a[i]);
	}
	slab_snapshot(s1);
	snprintf(name, sizeof(name), "mem.%s.tw", mode_names[m]);
	result(name, (double)(s1->total - s0->total) / conns, "bytes");
	snprintf(name, sizeof(name), "mem.%s.tw_slabkb", mode_names[m]);
	result(name, (double)(s1->slab_kb - s0->slab_kb) * 1024 / conns, "bytes");
	slab_report("time-wait", s0, s1, conns);
}

/* ------------------------------------------------------------------------ */

static void usage(void)
{
	die("usage: bench [--abi ours|upstream] bulk MODE SECS | rate MODE SECS |\n"
	    "       keys ITERS ROUNDS FLOOD_SECS N... | rollover CONNS ROUNDS | mem MODE CONNS");
}

int main(int argc, char **argv)
{
	struct utsname u;
	unsigned int lev[32];
	int i, n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rng ^= (uint64_t)getpid() << 20;
	if (argc > 2 && !strcmp(argv[1], "--abi")) {
		if (!strcmp(argv[2], "ours"))
			abi = OURS;
		else if (!strcmp(argv[2], "upstream"))
			abi = UPSTREAM;
		else
			usage();
		argv += 2;
		argc -= 2;
	} else {
		uname(&u);
		abi = !strncmp(u.release, "6.1.", 4) ? OURS : UPSTREAM;
	}
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "bulk") && argc == 4) {
		cmd_bulk(parse_mode(argv[2]), atof(argv[3]));
	} else if (!strcmp(argv[1], "rate") && argc == 4) {
		cmd_rate(parse_mode(argv[2]), atof(argv[3]));
	} else if (!strcmp(argv[1], "keys") && argc >= 6) {
		n = argc - 5;
		if (n > 32)
			usage();
		for (i = 0; i < n; i++) {
			lev[i] = strtoul(argv[5 + i], NULL, 0);
			if (!lev[i] || (i && lev[i] < lev[i - 1]))
				die("key counts must be positive and ascending");
		}
		cmd_keys(atoi(argv[2]), atoi(argv[3]), atof(argv[4]), n, lev);
	} else if (!strcmp(argv[1], "rollover") && argc == 4) {
		cmd_rollover(atoi(argv[2]), atoi(argv[3]));
	} else if (!strcmp(argv[1], "mem") && argc == 4) {
		cmd_mem(parse_mode(argv[2]), atoi(argv[3]));
	} else {
		usage();
	}
	return 0;
}
