// SPDX-License-Identifier: GPL-2.0
/*
 * Key control of the TCP Authentication Option (RFC 5925): key rollover on a
 * live connection, send and receive lifetimes, address, prefix, VRF and port
 * bindings, ACTIVE on accepted sockets, REJECT_UNEXPECTED on established
 * connections and /proc/net/tcp_authopt.
 *
 * Most tests build two network namespaces, A and B, joined by a veth pair:
 *
 *	A: va 198.51.100.1/24 198.51.100.3/24   <---->  B: vb 198.51.100.2/24 198.51.100.5/24
 *	      2001:db8::1/64  2001:db8::3/64                2001:db8::2/64  2001:db8::5/64
 *
 * The second address of each side is one no key names. The VRF tests use
 * two pairs instead, va1-vb1 enslaved to VRF vrf1 (table 10) and va2-vb2 to
 * vrf2 (table 20) in each namespace, with the first addresses on both.
 *
 * B listens, A connects, both enable net.ipv4.tcp_authopt. Each test runs
 * for both RFC 5926 algorithms, over IPv4 and IPv6. Keys are per namespace:
 * a key is added to a side through a short-lived socket there. A key's ids
 * are "generation" 1 (A sends 7, B sends 9) or 2 (A 17, B 19), so one side's
 * send_id is the other's recv_id.
 *
 * As in connect.c, one thread drives both ends with non-blocking sockets,
 * moving between the namespaces with setns(), and everything has a deadline.
 * The REJECT_UNEXPECTED tests send one hand-made segment through a raw
 * socket, with the sequence numbers read in TCP_REPAIR mode.
 *
 * Needs root, ip(8), CONFIG_VETH and CONFIG_NET_VRF.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "authopt_uapi.h"
/* The 6.1 harness has an unused handler parameter: keep -Wextra builds clean. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../../kselftest_harness.h"
#pragma GCC diagnostic pop

#define SYSCTL_PATH	"/proc/sys/net/ipv4/tcp_authopt"
#define PROC_KEYS_PATH	"/proc/self/net/tcp_authopt"

#define ADDR4_A		"198.51.100.1"
#define ADDR4_B		"198.51.100.2"
#define ADDR4_A2	"198.51.100.3"
#define ADDR4_B2	"198.51.100.5"
#define ADDR6_A		"2001:db8::1"
#define ADDR6_B		"2001:db8::2"
#define ADDR6_A2	"2001:db8::3"
#define ADDR6_B2	"2001:db8::5"
#define PORT		179
#define PORT2		180

/* send_id of side A and of side B for key generations 1 and 2. */
#define ID_A1		7
#define ID_B1		9
#define ID_A2		17
#define ID_B2		19

#define SECRET1		"tcp-ao keys selftest: key one"
#define SECRET2		"tcp-ao keys selftest: key two"
#define SECRET3		"tcp-ao keys selftest: key three"

#define MIB		(1u << 20)
#define XFER_BYTES	(16 * MIB)	/* per direction */
#define SMALL_BYTES	(64u << 10)
#define CHUNK		(256u << 10)
#define PROBE_BYTES	4096

/* Deadlines (ms). */
#define CONNECT_MS	5000	/* a connection that must come up */
#define NO_CONNECT_MS	2000	/* waiting for one that must not */
#define XFER_MS		12000	/* a small exchange */
#define ROLLOVER_MS	60000	/* 16 MiB each way with the rollover steps */
#define SILENCE_MS	1500	/* waiting for segments that must not arrive */
#define SOCK_TIMEO_S	5

/* Most retransmissions a clean 16 MiB exchange may cause. */
#define MAX_RETRANS	100

enum { A, B };

static const char *side_name(int side)
{
	return side == A ? "A" : "B";
}

/* ------------------------------------------------------------------------ */
/* Test parameters                                                          */
/* ------------------------------------------------------------------------ */

struct params {
	int alg;
	const char *addr[2];	/* first address of A and of B */
	const char *addr2[2];	/* their second address, no key names it */
	const char *any;	/* wildcard address of the family */
	const char *other;	/* on the subnet, nobody's */
	const char *subnet;	/* an address of the subnet, host bits set */
	int subnet_len;
	const char *wide;	/* a shorter prefix that covers the subnet */
	int wide_len;
};

#define PARAMS_IPV4 \
	.addr = { ADDR4_A, ADDR4_B }, .addr2 = { ADDR4_A2, ADDR4_B2 }, \
	.any = "0.0.0.0", .other = "198.51.100.4", \
	.subnet = "198.51.100.200", .subnet_len = 24, \
	.wide = "198.51.0.0", .wide_len = 16

#define PARAMS_IPV6 \
	.addr = { ADDR6_A, ADDR6_B }, .addr2 = { ADDR6_A2, ADDR6_B2 }, \
	.any = "::", .other = "2001:db8::4", \
	.subnet = "2001:db8::c8", .subnet_len = 64, \
	.wide = "2001:db8::", .wide_len = 32

static const struct params sha1_ipv4 = {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96, PARAMS_IPV4,
};

static const struct params sha1_ipv6 = {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96, PARAMS_IPV6,
};

static const struct params cmac_ipv4 = {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96, PARAMS_IPV4,
};

static const struct params cmac_ipv6 = {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96, PARAMS_IPV6,
};

static int addr_family(const char *addr)
{
	return strchr(addr, ':') ? AF_INET6 : AF_INET;
}

static int params_family(const struct params *p)
{
	return addr_family(p->addr[A]);
}

/* ------------------------------------------------------------------------ */
/* Network namespaces                                                       */
/* ------------------------------------------------------------------------ */

static int ns_enter(int nsfd)
{
	return setns(nsfd, CLONE_NEWNET) ? -errno : 0;
}

/* Feed commands to one "ip -batch" in the current namespace. */
static int ip_batch(const char *fmt, ...)
{
	va_list ap;
	FILE *ip;
	int ret;

	ip = popen("ip -batch -", "w");
	if (!ip)
		return -errno;
	va_start(ap, fmt);
	vfprintf(ip, fmt, ap);
	va_end(ap);
	ret = pclose(ip);
	if (ret == -1)
		return -errno;
	return WIFEXITED(ret) && WEXITSTATUS(ret) == 0 ? 0 : -EIO;
}

static int sysctl_enable(void)
{
	int fd, ret = 0;

	fd = open(SYSCTL_PATH, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Create namespaces A and B, ending up in B; @path gets the path of A's
 * namespace, for "ip link ... netns".
 */
static int netns_create(int ns[2], char *path, size_t len)
{
	int side;

	for (side = A; side <= B; side++) {
		if (unshare(CLONE_NEWNET))
			return -errno;
		ns[side] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (ns[side] < 0)
			return -errno;
	}
	snprintf(path, len, "/proc/%d/fd/%d", getpid(), ns[A]);
	return 0;
}

/* Both addresses of each family on @dev, link up and the sysctl. */
static int side_setup(const char *dev, const char *addr4, const char *addr4_2,
		      const char *addr6, const char *addr6_2)
{
	int ret;

	ret = ip_batch("link set lo up\n"
		       "addr add %s/24 dev %s\n"
		       "addr add %s/24 dev %s\n"
		       "addr add %s/64 dev %s nodad\n"
		       "addr add %s/64 dev %s nodad\n"
		       "link set %s up\n",
		       addr4, dev, addr4_2, dev, addr6, dev, addr6_2, dev, dev);
	if (ret)
		return ret;
	return sysctl_enable();
}

/* A and B joined by veth va (in A) <-> vb (in B). */
static int veth_net_setup(int ns[2])
{
	char path[64];
	int ret;

	ret = netns_create(ns, path, sizeof(path));
	if (ret)
		return ret;
	ret = ip_batch("link add vb type veth peer name va netns %s\n", path);
	if (ret)
		return ret;
	ret = side_setup("vb", ADDR4_B, ADDR4_B2, ADDR6_B, ADDR6_B2);
	if (ret)
		return ret;
	ret = ns_enter(ns[A]);
	if (ret)
		return ret;
	return side_setup("va", ADDR4_A, ADDR4_A2, ADDR6_A, ADDR6_A2);
}

/* VRFs vrf1 and vrf2 with v<c>1 and v<c>2 enslaved, the same addresses on both. */
static int vrf_side_setup(char c, const char *addr4, const char *addr6)
{
	int ret;

	ret = ip_batch("link set lo up\n"
		       "link add vrf1 type vrf table 10\n"
		       "link add vrf2 type vrf table 20\n"
		       "link set vrf1 up\n"
		       "link set vrf2 up\n"
		       "link set v%c1 master vrf1\n"
		       "link set v%c2 master vrf2\n"
		       "addr add %s/24 dev v%c1\n"
		       "addr add %s/24 dev v%c2\n"
		       "addr add %s/64 dev v%c1 nodad\n"
		       "addr add %s/64 dev v%c2 nodad\n"
		       "link set v%c1 up\n"
		       "link set v%c2 up\n",
		       c, c, addr4, c, addr4, c, addr6, c, addr6, c, c, c);
	if (ret)
		return ret;
	return sysctl_enable();
}

/* A and B joined by va1 <-> vb1 in vrf1 and va2 <-> vb2 in vrf2. */
static int vrf_net_setup(int ns[2])
{
	char path[64];
	int ret;

	ret = netns_create(ns, path, sizeof(path));
	if (ret)
		return ret;
	ret = ip_batch("link add vb1 type veth peer name va1 netns %s\n"
		       "link add vb2 type veth peer name va2 netns %s\n", path, path);
	if (ret)
		return ret;
	ret = vrf_side_setup('b', ADDR4_B, ADDR6_B);
	if (ret)
		return ret;
	ret = ns_enter(ns[A]);
	if (ret)
		return ret;
	return vrf_side_setup('a', ADDR4_A, ADDR6_A);
}

/* ------------------------------------------------------------------------ */
/* Counters                                                                 */
/* ------------------------------------------------------------------------ */

enum {
	C_FAILURE,
	C_REQUIRED,
	C_KEYNOTFOUND,
	C_UNEXPECTED,
	C_MD5ANDAO,
	C_MALFORMED,
	C_COUNT
};

static const char * const counter_name[C_COUNT] = {
	[C_FAILURE] = "TCPAuthOptFailure",
	[C_REQUIRED] = "TCPAuthOptRequired",
	[C_KEYNOTFOUND] = "TCPAuthOptKeyNotFound",
	[C_UNEXPECTED] = "TCPAuthOptUnexpected",
	[C_MD5ANDAO] = "TCPAuthOptMD5AndAO",
	[C_MALFORMED] = "TCPAuthOptMalformed",
};

/*
 * Counter @name of the group whose lines start with @group ("TcpExt:" in
 * /proc/net/netstat, "Tcp:" in /proc/net/snmp) in the open file @fd, which
 * stays bound to the namespace it was opened in. Groups come as pairs of
 * lines, the names then the values. Returns the value, or -1.
 */
static long long proc_counter(int fd, const char *group, const char *name)
{
	static char buf[65536];
	char *names = NULL, *values = NULL, *line, *save;
	char *nsave, *vsave, *n, *v;
	size_t len = 0, glen = strlen(group);
	ssize_t ret;

	if (lseek(fd, 0, SEEK_SET))
		return -1;
	while (len < sizeof(buf) - 1) {
		ret = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (ret <= 0)
			break;
		len += ret;
	}
	buf[len] = '\0';

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, group, glen))
			continue;
		if (!names) {
			names = line;
		} else {
			values = line;
			break;
		}
	}
	if (!values)
		return -1;

	n = strtok_r(names + glen, " ", &nsave);
	v = strtok_r(values + glen, " ", &vsave);
	while (n && v) {
		if (!strcmp(n, name))
			return strtoll(v, NULL, 10);
		n = strtok_r(NULL, " ", &nsave);
		v = strtok_r(NULL, " ", &vsave);
	}
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Test environment: the two namespaces and their counters                  */
/* ------------------------------------------------------------------------ */

struct env {
	int ns[2];
	int netstat[2];		/* /proc/net/netstat of each namespace */
	int snmp[2];		/* /proc/net/snmp */
	long long before[2][C_COUNT];
};

static void env_setup(struct __test_metadata *_metadata, struct env *e,
		      int (*net_setup)(int ns[2]))
{
	int side, c, ret;

	for (side = A; side <= B; side++) {
		e->ns[side] = -1;
		e->netstat[side] = -1;
		e->snmp[side] = -1;
	}
	ret = net_setup(e->ns);
	ASSERT_EQ(0, ret) TH_LOG("namespaces and links setup: %s", strerror(-ret));
	for (side = A; side <= B; side++) {
		ASSERT_EQ(0, ns_enter(e->ns[side]));
		e->netstat[side] = open("/proc/self/net/netstat", O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, e->netstat[side]) TH_LOG("/proc/net/netstat: %m");
		e->snmp[side] = open("/proc/self/net/snmp", O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, e->snmp[side]) TH_LOG("/proc/net/snmp: %m");
		for (c = 0; c < C_COUNT; c++) {
			e->before[side][c] = proc_counter(e->netstat[side], "TcpExt:",
							  counter_name[c]);
			ASSERT_LE(0, e->before[side][c])
				TH_LOG("no TcpExt %s", counter_name[c]);
		}
	}
}

static void env_teardown(struct env *e)
{
	int side;

	for (side = A; side <= B; side++) {
		if (e->snmp[side] >= 0)
			close(e->snmp[side]);
		if (e->netstat[side] >= 0)
			close(e->netstat[side]);
		if (e->ns[side] >= 0)
			close(e->ns[side]);
	}
}

/* Tcp counter @name (RetransSegs, InSegs...) of side @side. */
static long long tcp_mib(struct __test_metadata *_metadata, struct env *e, int side,
			 const char *name)
{
	long long v = proc_counter(e->snmp[side], "Tcp:", name);

	EXPECT_LE(0, v) TH_LOG("no Tcp %s", name);
	return v;
}

/* How much TcpExt counter @c of side @side moved since the setup. */
static long long counter_delta(struct __test_metadata *_metadata, struct env *e,
			       int side, int c)
{
	long long now = proc_counter(e->netstat[side], "TcpExt:", counter_name[c]);

	EXPECT_LE(0, now) TH_LOG("no TcpExt %s", counter_name[c]);
	return now - e->before[side][c];
}

static void expect_counters_unchanged(struct __test_metadata *_metadata, struct env *e)
{
	int side, c;

	for (side = A; side <= B; side++) {
		for (c = 0; c < C_COUNT; c++) {
			long long delta = counter_delta(_metadata, e, side, c);

			EXPECT_EQ(0, delta) TH_LOG("%s: %s", side_name(side), counter_name[c]);
		}
	}
}

/* Wait up to @timeout_ms for counter @c of @side to move; returns the delta. */
static long long wait_counter(struct __test_metadata *_metadata, struct env *e,
			      int side, int c, int timeout_ms)
{
	long long delta;
	int waited = 0;

	for (;;) {
		delta = counter_delta(_metadata, e, side, c);
		if (delta || waited >= timeout_ms)
			return delta;
		usleep(50000);
		waited += 50;
	}
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

struct key_spec {
	__u32 flags;
	__u8 send_id;
	__u8 recv_id;
	int alg;
	const char *secret;
	const char *addr;	/* with ADDR_BIND or PREFIXLEN */
	__u32 prefixlen;
	__u32 ifindex;
	__u64 send_begin, send_end, recv_begin, recv_end;
	__u16 lport_min, lport_max, rport_min, rport_max;
};

/* Fill a socket address from a numeric IPv4 or IPv6 string. */
static socklen_t sockaddr_fill(struct sockaddr_storage *ss, const char *str, int port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (addr_family(str) == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, str, &sin6->sin6_addr) != 1)
			abort();
		return sizeof(*sin6);
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (inet_pton(AF_INET, str, &sin->sin_addr) != 1)
		abort();
	return sizeof(*sin);
}

/*
 * Add, replace or (with DEL) delete the key @ks in the current namespace,
 * through a socket that is closed right after. Returns 0 or -errno.
 */
static int key_set(const struct key_spec *ks)
{
	struct tcp_authopt_key key;
	struct sockaddr_storage ss;
	int fd, ret = 0, family = AF_INET;

	memset(&key, 0, sizeof(key));
	key.flags = ks->flags;
	key.send_id = ks->send_id;
	key.recv_id = ks->recv_id;
	key.alg = ks->alg;
	if (ks->secret) {
		key.keylen = strlen(ks->secret);
		memcpy(key.key, ks->secret, key.keylen);
	}
	if (ks->addr) {
		sockaddr_fill(&ss, ks->addr, 0);
		memcpy(&key.addr, &ss, sizeof(ss));
		family = ss.ss_family;
	}
	key.prefixlen = ks->prefixlen;
	key.ifindex = ks->ifindex;
	key.send_lifetime_begin = ks->send_begin;
	key.send_lifetime_end = ks->send_end;
	key.recv_lifetime_begin = ks->recv_begin;
	key.recv_lifetime_end = ks->recv_end;
	key.local_port_min = ks->lport_min;
	key.local_port_max = ks->lport_max;
	key.remote_port_min = ks->rport_min;
	key.remote_port_max = ks->rport_max;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT_KEY, &key, sizeof(key)))
		ret = -errno;
	close(fd);
	return ret;
}

/* key_set() in the namespace of @side. */
static int key_in(struct env *e, int side, const struct key_spec *ks)
{
	int ret = ns_enter(e->ns[side]);

	return ret ? ret : key_set(ks);
}

static __u8 send_id_of(int side, int gen)
{
	if (side == A)
		return gen == 1 ? ID_A1 : ID_A2;
	return gen == 1 ? ID_B1 : ID_B2;
}

/* Side @side's key of generation @gen, bound to the peer's first address. */
static struct key_spec peer_key(const struct params *p, int side, int gen, const char *secret)
{
	struct key_spec ks = {
		.flags = TCP_AUTHOPT_KEY_ADDR_BIND,
		.send_id = send_id_of(side, gen),
		.recv_id = send_id_of(!side, gen),
		.alg = p->alg,
		.secret = secret,
		.addr = p->addr[!side],
	};

	return ks;
}

/* Both sides get their key of generation @gen with @secret. */
static void add_pair_keys(struct __test_metadata *_metadata, struct env *e,
			  const struct params *p, int gen, const char *secret)
{
	int side;

	for (side = A; side <= B; side++) {
		struct key_spec ks = peer_key(p, side, gen, secret);
		int ret = key_in(e, side, &ks);

		ASSERT_EQ(0, ret) TH_LOG("%s: key %d: %s", side_name(side), gen, strerror(-ret));
	}
}

/* ------------------------------------------------------------------------ */
/* Sockets and connections                                                  */
/* ------------------------------------------------------------------------ */

static int authopt_set(int fd, __u32 flags, __u8 send_keyid, __u8 send_rnextkeyid)
{
	struct tcp_authopt opt = {
		.flags = flags,
		.send_keyid = send_keyid,
		.send_rnextkeyid = send_rnextkeyid,
	};

	return setsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT, &opt, sizeof(opt)) ? -errno : 0;
}

static int authopt_get(int fd, struct tcp_authopt *opt)
{
	socklen_t len = sizeof(*opt);

	memset(opt, 0, sizeof(*opt));
	if (getsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT, opt, &len))
		return -errno;
	return len == sizeof(*opt) ? 0 : -EMSGSIZE;
}

/* Pending error of @fd (SO_ERROR, which clears it), or -errno. */
static int sock_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return err;
}

/* tcp_socket() flags for a socket that never uses the TCP-AO options. */
#define UNTOUCHED	(~0u)

/*
 * A non-blocking TCP socket in namespace @side that takes part in TCP-AO
 * (TCP_AUTHOPT with @flags) unless @flags is UNTOUCHED, bound to device
 * @dev and to @addr:@port when they are given.
 */
static int tcp_socket(struct __test_metadata *_metadata, struct env *e, int side,
		      int family, __u32 flags, const char *dev, const char *addr, int port)
{
	struct timeval tv = { .tv_sec = SOCK_TIMEO_S };
	struct sockaddr_storage ss;
	int fd, one = 1;
	socklen_t len;

	ASSERT_EQ(0, ns_enter(e->ns[side]));
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	ASSERT_LE(0, fd) TH_LOG("socket: %m");
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	if (flags != UNTOUCHED)
		ASSERT_EQ(0, authopt_set(fd, flags, 0, 0)) TH_LOG("TCP_AUTHOPT: %m");
	if (dev)
		ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, strlen(dev) + 1))
			TH_LOG("SO_BINDTODEVICE %s: %m", dev);
	if (addr) {
		len = sockaddr_fill(&ss, addr, port);
		ASSERT_EQ(0, bind(fd, (struct sockaddr *)&ss, len))
			TH_LOG("bind %s port %d: %m", addr, port);
	}
	return fd;
}

/* A listener in @side on @addr:@port (see tcp_socket()). */
static int listen_at(struct __test_metadata *_metadata, struct env *e, int side,
		     const char *addr, int port, __u32 flags, const char *dev)
{
	int fd = tcp_socket(_metadata, e, side, addr_family(addr), flags, dev, addr, port);

	ASSERT_EQ(0, listen(fd, 8)) TH_LOG("listen: %m");
	return fd;
}

/* Wait for @events on @fd: 1 when ready, 0 on timeout, -errno on error. */
static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret > 0;
}

/* Connect non-blocking @fd to @addr:@port: 0, -ETIMEDOUT or the error. */
static int connect_wait(int fd, const char *addr, int port, int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_fill(&ss, addr, port);
	int ret;

	if (connect(fd, (struct sockaddr *)&ss, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	ret = wait_fd(fd, POLLOUT, timeout_ms);
	if (ret <= 0)
		return ret ? ret : -ETIMEDOUT;
	ret = sock_error(fd);
	return ret < 0 ? ret : -ret;
}

/* Accept one connection on listener @fd: the fd, -ETIMEDOUT or -errno. */
static int accept_wait(int fd, int timeout_ms)
{
	int ret;

	ret = wait_fd(fd, POLLIN, timeout_ms);
	if (ret <= 0)
		return ret ? ret : -ETIMEDOUT;
	ret = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	return ret < 0 ? -errno : ret;
}

/* Connect @client to @addr:@port, accept on @listener: the accepted fd. */
static int establish(struct __test_metadata *_metadata, int client, int listener,
		     const char *addr, int port)
{
	int ret, fd;

	ret = connect_wait(client, addr, port, CONNECT_MS);
	ASSERT_EQ(0, ret) TH_LOG("connect to %s port %d: %s", addr, port, strerror(-ret));
	fd = accept_wait(listener, CONNECT_MS);
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(-fd));
	return fd;
}

/* @client must not connect to @addr:@port, nor @listener accept anything. */
static void expect_no_connection(struct __test_metadata *_metadata, int client,
				 int listener, const char *addr, int port)
{
	int ret;

	ret = connect_wait(client, addr, port, NO_CONNECT_MS);
	EXPECT_NE(0, ret) TH_LOG("connected to %s port %d", addr, port);
	ret = accept_wait(listener, 0);
	EXPECT_GT(0, ret) TH_LOG("a connection was accepted");
	if (ret >= 0)
		close(ret);
}

/*
 * getsockopt(TCP_AUTHOPT) of @fd (@who in messages): ACTIVE must be
 * @active and, when not negative, send_keyid and recv_keyid the given ids.
 */
static void expect_authopt(struct __test_metadata *_metadata, const char *who, int fd,
			   bool active, int send_keyid, int recv_keyid)
{
	struct tcp_authopt opt;

	ASSERT_EQ(0, authopt_get(fd, &opt)) TH_LOG("%s: TCP_AUTHOPT: %m", who);
	EXPECT_EQ(active, !!(opt.flags & TCP_AUTHOPT_FLAG_ACTIVE))
		TH_LOG("%s: flags 0x%x", who, opt.flags);
	if (send_keyid >= 0)
		EXPECT_EQ(send_keyid, opt.send_keyid) TH_LOG("%s: send_keyid", who);
	if (recv_keyid >= 0)
		EXPECT_EQ(recv_keyid, opt.recv_keyid) TH_LOG("%s: recv_keyid", who);
}

/* ------------------------------------------------------------------------ */
/* Data transfer                                                            */
/* ------------------------------------------------------------------------ */

/* 8-byte word @word of the deterministic stream @seed (splitmix64). */
static uint64_t stream_word(uint64_t seed, uint64_t word)
{
	uint64_t z = seed + (word + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void stream_fill(uint64_t seed, uint64_t off, unsigned char *buf, size_t len)
{
	uint64_t word = 0;
	size_t i;

	for (i = 0; i < len; i++, off++) {
		if (i == 0 || (off & 7) == 0)
			word = stream_word(seed, off >> 3);
		buf[i] = word >> ((off & 7) * 8);
	}
}

struct xfer_end {
	int fd;
	uint64_t send_seed;	/* of the stream this end sends */
	uint64_t recv_seed;	/* of the stream it must receive */
	size_t sent;
	size_t rcvd;
	bool shut;		/* SHUT_WR done after the last byte */
	bool eof;		/* peer's FIN seen */
};

/*
 * A transfer of @bytes from each end to the other at the same time, every
 * byte checked, run step by step so that a test can act in between. With
 * @fin, each end shuts down after its last byte and must see the peer's FIN;
 * without, the connection stays usable.
 */
struct xfer {
	struct xfer_end end[2];
	size_t bytes;
	bool fin;
	struct timespec start;
	int timeout_ms;		/* for the whole transfer */
	unsigned char *out, *in, *expect;
};

static int xfer_init(struct xfer *x, int fd_a, int fd_b, size_t bytes, bool fin,
		     int timeout_ms)
{
	static uint64_t round;

	memset(x, 0, sizeof(*x));
	round++;
	x->end[A].fd = fd_a;
	x->end[B].fd = fd_b;
	x->end[A].send_seed = 0xa0a0a0a000000000ull + round;
	x->end[B].recv_seed = x->end[A].send_seed;
	x->end[B].send_seed = 0xb0b0b0b000000000ull + round;
	x->end[A].recv_seed = x->end[B].send_seed;
	x->bytes = bytes;
	x->fin = fin;
	x->timeout_ms = timeout_ms;
	clock_gettime(CLOCK_MONOTONIC, &x->start);
	x->out = malloc(CHUNK);
	x->in = malloc(CHUNK);
	x->expect = malloc(CHUNK);
	return x->out && x->in && x->expect ? 0 : -ENOMEM;
}

static void xfer_free(struct xfer *x)
{
	free(x->out);
	free(x->in);
	free(x->expect);
}

static bool xfer_done(const struct xfer *x)
{
	int i;

	for (i = A; i <= B; i++) {
		const struct xfer_end *e = &x->end[i];

		if (e->sent < x->bytes || e->rcvd < x->bytes)
			return false;
		if (x->fin && !(e->shut && e->eof))
			return false;
	}
	return true;
}

/* Bytes both ends have received. */
static size_t xfer_progress(const struct xfer *x)
{
	return x->end[A].rcvd < x->end[B].rcvd ? x->end[A].rcvd : x->end[B].rcvd;
}

/* Send what the socket takes now; shut down after the last byte with fin. */
static int xfer_send(struct xfer *x, struct xfer_end *e)
{
	size_t len = x->bytes - e->sent < CHUNK ? x->bytes - e->sent : CHUNK;
	ssize_t ret;

	if (len) {
		stream_fill(e->send_seed, e->sent, x->out, len);
		ret = send(e->fd, x->out, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (ret < 0)
			return errno == EAGAIN ? 0 : -errno;
		e->sent += ret;
	}
	if (x->fin && !e->shut && e->sent == x->bytes) {
		if (shutdown(e->fd, SHUT_WR))
			return -errno;
		e->shut = true;
	}
	return 0;
}

/* Receive what is queued and compare it with the expected stream. */
static int xfer_recv(struct xfer *x, struct xfer_end *e)
{
	ssize_t ret;

	ret = recv(e->fd, x->in, CHUNK, MSG_DONTWAIT);
	if (ret < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (ret == 0) {
		e->eof = true;
		return x->fin && e->rcvd == x->bytes ? 0 : -EPIPE;
	}
	if (e->rcvd + ret > x->bytes)
		return -E2BIG;
	stream_fill(e->recv_seed, e->rcvd, x->expect, ret);
	if (memcmp(x->in, x->expect, ret))
		return -EBADMSG;
	e->rcvd += ret;
	return 0;
}

/* One poll() round: 0, or -errno (-ETIMEDOUT past the transfer's deadline). */
static int xfer_step(struct xfer *x)
{
	struct pollfd pfd[2];
	struct timespec now;
	long elapsed;
	int i, ret;

	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (now.tv_sec - x->start.tv_sec) * 1000 +
		  (now.tv_nsec - x->start.tv_nsec) / 1000000;
	if (elapsed >= x->timeout_ms)
		return -ETIMEDOUT;
	for (i = A; i <= B; i++) {
		struct xfer_end *e = &x->end[i];
		short events = 0;

		if (e->sent < x->bytes || (x->fin && !e->shut))
			events |= POLLOUT;
		if (!e->eof && (x->fin || e->rcvd < x->bytes))
			events |= POLLIN;
		pfd[i].fd = events ? e->fd : -1;
		pfd[i].events = events;
		pfd[i].revents = 0;
	}
	ret = poll(pfd, 2, x->timeout_ms - elapsed);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = A; i <= B; i++) {
		if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) {
			ret = xfer_recv(x, &x->end[i]);
			if (ret)
				return ret;
		}
		if (pfd[i].revents & (POLLOUT | POLLERR)) {
			ret = xfer_send(x, &x->end[i]);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Step until done or both ends got @until bytes: 0 or -errno. */
static int xfer_run(struct xfer *x, size_t until)
{
	int ret;

	while (!xfer_done(x) && xfer_progress(x) < until) {
		ret = xfer_step(x);
		if (ret)
			return ret;
	}
	return 0;
}

static void xfer_expect_ok(struct __test_metadata *_metadata, const struct xfer *x, int ret)
{
	EXPECT_EQ(0, ret) TH_LOG("transfer of %zu bytes each way: %s; "
				 "A sent %zu got %zu%s, B sent %zu got %zu%s",
				 x->bytes, strerror(-ret), x->end[A].sent, x->end[A].rcvd,
				 x->end[A].eof ? " +FIN" : "", x->end[B].sent, x->end[B].rcvd,
				 x->end[B].eof ? " +FIN" : "");
}

/* A complete transfer of @bytes each way between @fd_a and @fd_b. */
static void exchange(struct __test_metadata *_metadata, int fd_a, int fd_b, size_t bytes,
		     bool fin)
{
	struct xfer x;
	int ret;

	ASSERT_EQ(0, xfer_init(&x, fd_a, fd_b, bytes, fin, XFER_MS));
	ret = xfer_run(&x, bytes);
	xfer_expect_ok(_metadata, &x, ret);
	xfer_free(&x);
}

/* Nothing to read on @fd, and no error either. */
static void expect_nothing_received(struct __test_metadata *_metadata, const char *who, int fd)
{
	char c;

	EXPECT_EQ(-1, recv(fd, &c, 1, MSG_DONTWAIT)) TH_LOG("%s received data", who);
	EXPECT_EQ(EAGAIN, errno) TH_LOG("%s: recv: %m", who);
}

/* Send @len bytes of probe data on @fd, which must all be queued at once. */
static void send_probe(struct __test_metadata *_metadata, int fd, size_t len)
{
	char buf[PROBE_BYTES];

	ASSERT_GE(sizeof(buf), len);
	memset(buf, 0x5a, len);
	ASSERT_EQ((ssize_t)len, send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL))
		TH_LOG("send: %m");
}

/* Receive exactly the @len probe bytes of send_probe() on @fd. */
static void expect_probe(struct __test_metadata *_metadata, int fd, size_t len)
{
	char buf[PROBE_BYTES], want[PROBE_BYTES];
	size_t got = 0;
	ssize_t ret;

	memset(want, 0x5a, sizeof(want));
	while (got < len) {
		ASSERT_EQ(1, wait_fd(fd, POLLIN, CONNECT_MS))
			TH_LOG("got %zu of %zu bytes", got, len);
		ret = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		ASSERT_LT(0, ret) TH_LOG("recv after %zu of %zu bytes: %m", got, len);
		ASSERT_GE(len - got, (size_t)ret);
		EXPECT_EQ(0, memcmp(buf, want, ret));
		got += ret;
	}
}

/* ------------------------------------------------------------------------ */
/* Fixture: A and B on one veth pair                                        */
/* ------------------------------------------------------------------------ */

FIXTURE(keys) {
	struct env e;
};

FIXTURE_VARIANT(keys) {
	const struct params *p;
};

FIXTURE_VARIANT_ADD(keys, hmac_sha1_ipv4) { .p = &sha1_ipv4 };
FIXTURE_VARIANT_ADD(keys, hmac_sha1_ipv6) { .p = &sha1_ipv6 };
FIXTURE_VARIANT_ADD(keys, aes_cmac_ipv4) { .p = &cmac_ipv4 };
FIXTURE_VARIANT_ADD(keys, aes_cmac_ipv6) { .p = &cmac_ipv6 };

FIXTURE_SETUP(keys)
{
	env_setup(_metadata, &self->e, veth_net_setup);
}

FIXTURE_TEARDOWN(keys)
{
	env_teardown(&self->e);
}

/*
 * A connects from its first address to B's listener on PORT. Clients bind
 * their source address: IPv6 source selection would pick A's second one.
 */
static void connect_pair(struct __test_metadata *_metadata, struct env *e,
			 const struct params *p, __u32 listen_flags, int fd[2])
{
	int listener = listen_at(_metadata, e, B, p->addr[B], PORT, listen_flags, NULL);

	fd[A] = tcp_socket(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	fd[B] = establish(_metadata, fd[A], listener, p->addr[B], PORT);
	close(listener);
}

/* ---- Key rollover ------------------------------------------------------ */

/* Both ends send with their generation 2 key and receive the peer's. */
static bool on_key2(int fd[2])
{
	struct tcp_authopt opt;
	int side;

	for (side = A; side <= B; side++) {
		if (authopt_get(fd[side], &opt) ||
		    opt.send_keyid != send_id_of(side, 2) ||
		    opt.recv_keyid != send_id_of(!side, 2))
			return false;
	}
	return true;
}

/* Run the transfer until both ends got @until bytes, but not to its end. */
static void rollover_run(struct __test_metadata *_metadata, struct xfer *x, size_t until,
			 const char *next)
{
	xfer_expect_ok(_metadata, x, xfer_run(x, until));
	ASSERT_FALSE(xfer_done(x)) TH_LOG("transfer over before: %s", next);
}

/* Re-add (same identity and secret) key 1 of both sides with @flags. */
static void key1_flags(struct __test_metadata *_metadata, struct env *e,
		       const struct params *p, __u32 flags)
{
	int side, ret;

	for (side = A; side <= B; side++) {
		struct key_spec ks = peer_key(p, side, 1, SECRET1);

		ks.flags |= flags;
		ret = key_in(e, side, &ks);
		ASSERT_EQ(0, ret) TH_LOG("%s: key 1 flags 0x%x: %s", side_name(side),
					 ks.flags, strerror(-ret));
	}
}

/*
 * The RFC 5925 rollover recipe of Documentation/networking/tcp_authopt.rst
 * while 16 MiB flow each way: add key 2 on both sides, make the peer move
 * (A asks for B's key 2 with LOCK_RNEXTKEYID, or A stops signing with key 1),
 * see both ends switch, then key 1 NOSEND, NORECV and deleted. No byte lost,
 * no reset, no segment dropped, no retransmission storm.
 */
static void rollover(struct __test_metadata *_metadata, struct env *e,
		     const struct params *p, bool by_rnextkeyid)
{
	long long retrans[2];
	struct tcp_authopt opt;
	struct xfer x;
	size_t mark;
	int fd[2], side, ret;

	add_pair_keys(_metadata, e, p, 1, SECRET1);
	connect_pair(_metadata, e, p, 0, fd);
	for (side = A; side <= B; side++)
		retrans[side] = tcp_mib(_metadata, e, side, "RetransSegs");
	ASSERT_EQ(0, xfer_init(&x, fd[A], fd[B], XFER_BYTES, true, ROLLOVER_MS));

	/* 1. Key 2 on both sides: nothing changes on the wire. */
	rollover_run(_metadata, &x, 1 * MIB, "adding key 2");
	add_pair_keys(_metadata, e, p, 2, SECRET2);
	rollover_run(_metadata, &x, 2 * MIB, "moving the peer");
	expect_authopt(_metadata, "A before the move", fd[A], true, ID_A1, ID_B1);
	expect_authopt(_metadata, "B before the move", fd[B], true, ID_B1, ID_A1);

	/* 2. Make B move to key 2, then A follows B's RNextKeyID. */
	if (by_rnextkeyid) {
		ret = authopt_set(fd[A], TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID, 0, ID_B2);
		ASSERT_EQ(0, ret) TH_LOG("LOCK_RNEXTKEYID: %s", strerror(-ret));
	} else {
		struct key_spec ks = peer_key(p, A, 1, SECRET1);

		ks.flags |= TCP_AUTHOPT_KEY_NOSEND;
		ASSERT_EQ(0, key_in(e, A, &ks));
	}

	/* 3. Both ends send and receive with key 2. */
	while (!on_key2(fd)) {
		ASSERT_FALSE(xfer_done(&x)) TH_LOG("transfer over before the switch to key 2");
		ret = xfer_step(&x);
		xfer_expect_ok(_metadata, &x, ret);
		ASSERT_EQ(0, ret);
	}
	mark = xfer_progress(&x);
	TH_LOG("switched to key 2 after %zu bytes", mark);

	/* 4. Key 1 NOSEND on both sides, back to the default RNextKeyID. */
	rollover_run(_metadata, &x, mark + MIB, "key 1 NOSEND");
	key1_flags(_metadata, e, p, TCP_AUTHOPT_KEY_NOSEND);
	if (by_rnextkeyid)
		ASSERT_EQ(0, authopt_set(fd[A], 0, 0, 0));

	/* 5. Key 1 NORECV once its segments are gone. */
	rollover_run(_metadata, &x, mark + 2 * MIB, "key 1 NORECV");
	key1_flags(_metadata, e, p, TCP_AUTHOPT_KEY_NOSEND | TCP_AUTHOPT_KEY_NORECV);

	/* 6. Delete key 1. */
	rollover_run(_metadata, &x, mark + 3 * MIB, "deleting key 1");
	key1_flags(_metadata, e, p, TCP_AUTHOPT_KEY_DEL);

	ret = xfer_run(&x, XFER_BYTES);
	xfer_expect_ok(_metadata, &x, ret);
	xfer_free(&x);

	for (side = A; side <= B; side++) {
		const char *who = side_name(side);
		long long n = tcp_mib(_metadata, e, side, "RetransSegs") - retrans[side];

		EXPECT_EQ(0, sock_error(fd[side])) TH_LOG("%s", who);
		expect_authopt(_metadata, who, fd[side], true, send_id_of(side, 2),
			       send_id_of(!side, 2));
		ASSERT_EQ(0, authopt_get(fd[side], &opt));
		/* The peer asks for our key 2; we ask for its key 2. */
		EXPECT_EQ(send_id_of(side, 2), opt.recv_rnextkeyid) TH_LOG("%s", who);
		EXPECT_EQ(send_id_of(!side, 2), opt.send_rnextkeyid) TH_LOG("%s", who);
		TH_LOG("%s: %lld segments retransmitted", who, n);
		EXPECT_GT(MAX_RETRANS, n) TH_LOG("%s", who);
	}
	expect_counters_unchanged(_metadata, e);
}

TEST_F_TIMEOUT(keys, rollover_rnextkeyid, 90)
{
	rollover(_metadata, &self->e, variant->p, true);
}

TEST_F_TIMEOUT(keys, rollover_nosend, 90)
{
	rollover(_metadata, &self->e, variant->p, false);
}

/* ---- Lifetimes --------------------------------------------------------- */

/*
 * A's key 1 may sign until now + 2 s, its key 2 from now + 3 s for an hour.
 * Mid-connection, once key 1 expired, A signs with key 2 and B follows A's
 * RNextKeyID to its key 2; data keeps flowing.
 */
TEST_F_TIMEOUT(keys, lifetime_send_end, 30)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	struct key_spec k1, k2;
	time_t t0 = time(NULL);
	int fd[2];

	k1 = peer_key(p, A, 1, SECRET1);
	k1.flags |= TCP_AUTHOPT_KEY_SEND_LIFETIME_END;
	k1.send_end = t0 + 2;
	k2 = peer_key(p, A, 2, SECRET2);
	k2.flags |= TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_SEND_LIFETIME_END;
	k2.send_begin = t0 + 3;
	k2.send_end = t0 + 3600;
	ASSERT_EQ(0, key_in(e, A, &k1));
	ASSERT_EQ(0, key_in(e, A, &k2));
	k1 = peer_key(p, B, 1, SECRET1);
	k2 = peer_key(p, B, 2, SECRET2);
	ASSERT_EQ(0, key_in(e, B, &k1));
	ASSERT_EQ(0, key_in(e, B, &k2));

	connect_pair(_metadata, e, p, 0, fd);
	exchange(_metadata, fd[A], fd[B], SMALL_BYTES, false);
	ASSERT_GE(t0 + 2, time(NULL)) TH_LOG("too slow: key 1 expired already");
	expect_authopt(_metadata, "A with key 1", fd[A], true, ID_A1, ID_B1);
	expect_authopt(_metadata, "B with key 1", fd[B], true, ID_B1, ID_A1);

	while (time(NULL) <= t0 + 2)
		usleep(100000);

	exchange(_metadata, fd[A], fd[B], SMALL_BYTES, true);
	expect_authopt(_metadata, "A after the end", fd[A], true, ID_A2, ID_B2);
	expect_authopt(_metadata, "B after the end", fd[B], true, ID_B2, ID_A2);
	expect_counters_unchanged(_metadata, e);
}

/*
 * A's only key for B ended its send lifetime: A's connect() sends nothing
 * at all, not even an unsigned SYN, and fails with ENOKEY.
 */
TEST_F_TIMEOUT(keys, lifetime_send_expired_connect, 30)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	struct key_spec ks;
	time_t t0 = time(NULL);
	int listener, fd, one = 1, ret;
	long long in_segs;

	ks = peer_key(p, A, 1, SECRET1);
	ks.flags |= TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_SEND_LIFETIME_END;
	ks.send_begin = t0 - 3600;
	ks.send_end = t0 - 10;
	ASSERT_EQ(0, key_in(e, A, &ks));
	ks = peer_key(p, B, 1, SECRET1);
	ASSERT_EQ(0, key_in(e, B, &ks));

	listener = listen_at(_metadata, e, B, p->addr[B], PORT, 0, NULL);
	in_segs = tcp_mib(_metadata, e, B, "InSegs");
	fd = tcp_socket(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	/* One SYN retransmission: the connect() gives up after ~3 s. */
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &one, sizeof(one)));
	ret = connect_wait(fd, p->addr[B], PORT, 8000);
	EXPECT_EQ(-ENOKEY, ret) TH_LOG("connect: %s", strerror(-ret));
	ret = accept_wait(listener, 0);
	EXPECT_GT(0, ret) TH_LOG("B accepted a connection");
	EXPECT_EQ(in_segs, tcp_mib(_metadata, e, B, "InSegs")) TH_LOG("B received segments");
	expect_counters_unchanged(_metadata, e);
}

/*
 * Established, then A's key is NOSEND (or, with @del, deleted): data A
 * sends never leaves, signed or not, and the write times out with ENOKEY.
 */
static void no_send_key_established(struct __test_metadata *_metadata, struct env *e,
				    const struct params *p, bool del)
{
	int fd[2], timeout = 1000, ret;
	long long in_segs;
	struct key_spec ks;

	add_pair_keys(_metadata, e, p, 1, SECRET1);
	connect_pair(_metadata, e, p, 0, fd);
	exchange(_metadata, fd[A], fd[B], SMALL_BYTES, false);
	/* Let the last ACKs go. */
	usleep(300000);

	ks = peer_key(p, A, 1, SECRET1);
	ks.flags |= del ? TCP_AUTHOPT_KEY_DEL : TCP_AUTHOPT_KEY_NOSEND;
	ASSERT_EQ(0, key_in(e, A, &ks));
	ASSERT_EQ(0, setsockopt(fd[A], IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout,
				sizeof(timeout)));
	in_segs = tcp_mib(_metadata, e, B, "InSegs");
	send_probe(_metadata, fd[A], PROBE_BYTES);

	ret = wait_fd(fd[A], POLLIN, 10000);
	EXPECT_EQ(1, ret) TH_LOG("no error on A's socket");
	EXPECT_EQ(ENOKEY, sock_error(fd[A]));
	expect_authopt(_metadata, "A", fd[A], true, -1, -1);
	expect_nothing_received(_metadata, "B", fd[B]);
	EXPECT_EQ(in_segs, tcp_mib(_metadata, e, B, "InSegs")) TH_LOG("B received segments");
	expect_counters_unchanged(_metadata, e);
}

TEST_F_TIMEOUT(keys, nosend_all_established, 30)
{
	no_send_key_established(_metadata, &self->e, variant->p, false);
}

/* Once authenticated, always: losing the last key does not mean plain TCP. */
TEST_F_TIMEOUT(keys, delete_all_established, 30)
{
	no_send_key_established(_metadata, &self->e, variant->p, true);
}

/* B's key ends its receive lifetime: B drops what A signs with it. */
TEST_F(keys, lifetime_recv_end)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	time_t t0 = time(NULL);
	struct key_spec ks;
	int fd[2];

	add_pair_keys(_metadata, e, p, 1, SECRET1);
	connect_pair(_metadata, e, p, 0, fd);
	exchange(_metadata, fd[A], fd[B], SMALL_BYTES, false);

	ks = peer_key(p, B, 1, SECRET1);
	ks.flags |= TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_RECV_LIFETIME_END;
	ks.recv_begin = t0 - 3600;
	ks.recv_end = t0 - 1;
	ASSERT_EQ(0, key_in(e, B, &ks));
	send_probe(_metadata, fd[A], PROBE_BYTES);

	EXPECT_LT(0, wait_counter(_metadata, e, B, C_KEYNOTFOUND, SILENCE_MS));
	usleep(SILENCE_MS * 1000);
	expect_nothing_received(_metadata, "B", fd[B]);
	EXPECT_EQ(0, counter_delta(_metadata, e, B, C_FAILURE));
	EXPECT_EQ(0, counter_delta(_metadata, e, B, C_REQUIRED));
}

/* ---- Bindings ---------------------------------------------------------- */

/* Both sides' keys name another address: they do not apply, plain TCP. */
TEST_F(keys, bind_addr_other)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	struct key_spec ks;
	int fd[2], side;

	for (side = A; side <= B; side++) {
		ks = peer_key(p, side, 1, SECRET1);
		ks.addr = p->other;
		ASSERT_EQ(0, key_in(e, side, &ks));
	}
	connect_pair(_metadata, e, p, 0, fd);
	exchange(_metadata, fd[A], fd[B], SMALL_BYTES, true);
	expect_authopt(_metadata, "A", fd[A], false, -1, -1);
	expect_authopt(_metadata, "B", fd[B], false, -1, -1);
	expect_counters_unchanged(_metadata, e);
}

/*
 * A has a key for B, B only one for another address: B answers A's signed
 * SYN as plain TCP and A, requiring TCP-AO, drops the answer.
 */
TEST_F(keys, bind_addr_exact_only)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	int listener, fd;
	struct key_spec ks;

	ks = peer_key(p, A, 1, SECRET1);
	ASSERT_EQ(0, key_in(e, A, &ks));
	ks = peer_key(p, B, 1, SECRET1);
	ks.addr = p->other;
	ASSERT_EQ(0, key_in(e, B, &ks));

	listener = listen_at(_metadata, e, B, p->addr[B], PORT, 0, NULL);
	fd = tcp_socket(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	expect_no_connection(_metadata, fd, listener, p->addr[B], PORT);
	EXPECT_LT(0, counter_delta(_metadata, e, A, C_REQUIRED));
	EXPECT_EQ(0, counter_delta(_metadata, e, B, C_FAILURE));
	EXPECT_EQ(0, counter_delta(_metadata, e, B, C_KEYNOTFOUND));
}

/*
 * Prefix keys for the subnet, given with host bits set: A's with PREFIXLEN
 * alone, B's with ADDR_BIND too. They apply.
 */
TEST_F(keys, bind_prefix)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	struct key_spec ks;
	int fd[2], side;

	for (side = A; side <= B; side++) {
		ks = peer_key(p, side, 1, SECRET1);
		ks.flags = TCP_AUTHOPT_KEY_PREFIXLEN;
		if (side == B)
			ks.flags |= TCP_AUTHOPT_KEY_ADDR_BIND;
		ks.addr = p->subnet;
		ks.prefixlen = p->subnet_len;
		ASSERT_EQ(0, key_in(e, side, &ks));
	}
	connect_pair(_metadata, e, p, 0, fd);
	exchange(_metadata, fd[A], fd[B], SMALL_BYTES, true);
	expect_authopt(_metadata, "A", fd[A], true, ID_A1, ID_B1);
	expect_authopt(_metadata, "B", fd[B], true, ID_B1, ID_A1);
	expect_counters_unchanged(_metadata, e);
}

/*
 * B has three keys with the same ids for A: a wide prefix, the exact
 * address and the subnet, added in that order, each with its own secret.
 * A has the exact key and a subnet key with another secret. The exact keys
 * win on both sides (or, with @cross, A only has the subnet secret and the
 * connection fails).
 */
static void most_specific(struct __test_metadata *_metadata, struct env *e,
			  const struct params *p, bool cross)
{
	struct key_spec ks;
	int listener, fd[2];

	ks = peer_key(p, B, 1, SECRET3);
	ks.flags = TCP_AUTHOPT_KEY_PREFIXLEN;
	ks.addr = p->wide;
	ks.prefixlen = p->wide_len;
	ASSERT_EQ(0, key_in(e, B, &ks));
	ks = peer_key(p, B, 1, SECRET1);
	ASSERT_EQ(0, key_in(e, B, &ks));
	ks = peer_key(p, B, 1, SECRET2);
	ks.flags = TCP_AUTHOPT_KEY_PREFIXLEN;
	ks.addr = p->subnet;
	ks.prefixlen = p->subnet_len;
	ASSERT_EQ(0, key_in(e, B, &ks));

	ks = peer_key(p, A, 1, SECRET2);
	ks.flags = TCP_AUTHOPT_KEY_PREFIXLEN;
	ks.addr = p->subnet;
	ks.prefixlen = p->subnet_len;
	ASSERT_EQ(0, key_in(e, A, &ks));
	if (!cross) {
		ks = peer_key(p, A, 1, SECRET1);
		ASSERT_EQ(0, key_in(e, A, &ks));
	}

	listener = listen_at(_metadata, e, B, p->addr[B], PORT, 0, NULL);
	fd[A] = tcp_socket(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	if (cross) {
		expect_no_connection(_metadata, fd[A], listener, p->addr[B], PORT);
		EXPECT_LT(0, counter_delta(_metadata, e, B, C_FAILURE));
		EXPECT_EQ(0, counter_delta(_metadata, e, B, C_KEYNOTFOUND));
		return;
	}
	fd[B] = establish(_metadata, fd[A], listener, p->addr[B], PORT);
	exchange(_metadata, fd[A], fd[B], SMALL_BYTES, true);
	expect_authopt(_metadata, "A", fd[A], true, ID_A1, ID_B1);
	expect_authopt(_metadata, "B", fd[B], true, ID_B1, ID_A1);
	expect_counters_unchanged(_metadata, e);
}

TEST_F(keys, bind_most_specific)
{
	most_specific(_metadata, &self->e, variant->p, false);
}

TEST_F(keys, bind_most_specific_cross)
{
	most_specific(_metadata, &self->e, variant->p, true);
}

/* ---- Port limits ------------------------------------------------------- */

/*
 * B's key only for its local port 179, A's only for remote port 100-179:
 * a connection to 179 is authenticated, one to 180 is plain TCP.
 */
TEST_F(keys, port_local)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	int l1, l2, c1, c2, s1, s2;
	struct key_spec ks;

	ks = peer_key(p, A, 1, SECRET1);
	ks.flags |= TCP_AUTHOPT_KEY_REMOTE_PORT;
	ks.rport_min = 100;
	ks.rport_max = PORT;
	ASSERT_EQ(0, key_in(e, A, &ks));
	ks = peer_key(p, B, 1, SECRET1);
	ks.flags |= TCP_AUTHOPT_KEY_LOCAL_PORT;
	ks.lport_min = PORT;
	ks.lport_max = PORT;
	ASSERT_EQ(0, key_in(e, B, &ks));

	l1 = listen_at(_metadata, e, B, p->addr[B], PORT, 0, NULL);
	l2 = listen_at(_metadata, e, B, p->addr[B], PORT2, 0, NULL);
	c1 = tcp_socket(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	s1 = establish(_metadata, c1, l1, p->addr[B], PORT);
	c2 = tcp_socket(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	s2 = establish(_metadata, c2, l2, p->addr[B], PORT2);

	exchange(_metadata, c1, s1, SMALL_BYTES, true);
	exchange(_metadata, c2, s2, SMALL_BYTES, true);
	expect_authopt(_metadata, "A to 179", c1, true, ID_A1, ID_B1);
	expect_authopt(_metadata, "B on 179", s1, true, ID_B1, ID_A1);
	expect_authopt(_metadata, "A to 180", c2, false, -1, -1);
	expect_authopt(_metadata, "B on 180", s2, false, -1, -1);
	expect_counters_unchanged(_metadata, e);
}

/* The same with B's key limited to A's client ports 40000-40009. */
TEST_F(keys, port_remote)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	int listener, c1, c2, s1, s2;
	struct key_spec ks;

	ks = peer_key(p, A, 1, SECRET1);
	ks.flags |= TCP_AUTHOPT_KEY_LOCAL_PORT;
	ks.lport_min = 40000;
	ks.lport_max = 40009;
	ASSERT_EQ(0, key_in(e, A, &ks));
	ks = peer_key(p, B, 1, SECRET1);
	ks.flags |= TCP_AUTHOPT_KEY_REMOTE_PORT;
	ks.rport_min = 40000;
	ks.rport_max = 40009;
	ASSERT_EQ(0, key_in(e, B, &ks));

	listener = listen_at(_metadata, e, B, p->addr[B], PORT, 0, NULL);
	c1 = tcp_socket(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 40009);
	s1 = establish(_metadata, c1, listener, p->addr[B], PORT);
	c2 = tcp_socket(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 40010);
	s2 = establish(_metadata, c2, listener, p->addr[B], PORT);

	exchange(_metadata, c1, s1, SMALL_BYTES, true);
	exchange(_metadata, c2, s2, SMALL_BYTES, true);
	expect_authopt(_metadata, "A from 40009", c1, true, ID_A1, ID_B1);
	expect_authopt(_metadata, "B from 40009", s1, true, ID_B1, ID_A1);
	expect_authopt(_metadata, "A from 40010", c2, false, -1, -1);
	expect_authopt(_metadata, "B from 40010", s2, false, -1, -1);
	expect_counters_unchanged(_metadata, e);
}

/* ---- Accepted sockets -------------------------------------------------- */

/*
 * One listener with a key for A's first address. The connection from there
 * is accepted ACTIVE; one from A's second address to B's second (no keys on
 * either side; A's socket rejects any TCP-AO) is accepted without ACTIVE
 * and runs plain TCP.
 */
TEST_F(keys, accepted_active)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	int listener, c1, c2, s1, s2;

	add_pair_keys(_metadata, e, p, 1, SECRET1);
	listener = listen_at(_metadata, e, B, p->any, PORT, 0, NULL);
	c1 = tcp_socket(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	s1 = establish(_metadata, c1, listener, p->addr[B], PORT);
	c2 = tcp_socket(_metadata, e, A, params_family(p), TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED,
			NULL, p->addr2[A], 0);
	s2 = establish(_metadata, c2, listener, p->addr2[B], PORT);

	exchange(_metadata, c1, s1, SMALL_BYTES, true);
	exchange(_metadata, c2, s2, SMALL_BYTES, true);
	expect_authopt(_metadata, "A, keyed", c1, true, ID_A1, ID_B1);
	expect_authopt(_metadata, "B, keyed", s1, true, ID_B1, ID_A1);
	expect_authopt(_metadata, "A, keyless", c2, false, -1, -1);
	expect_authopt(_metadata, "B, keyless", s2, false, -1, -1);
	expect_counters_unchanged(_metadata, e);
}

/* ---- REJECT_UNEXPECTED on established connections ---------------------- */

#define INJECT_BYTES	64

/* Next sequence number to send and to receive of established @fd. */
static void tcp_seqs(struct __test_metadata *_metadata, int fd, uint32_t *snd, uint32_t *rcv)
{
	int on = TCP_REPAIR_ON, off = TCP_REPAIR_OFF_NO_WP, queue;
	socklen_t len = sizeof(*snd);

	ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)))
		TH_LOG("TCP_REPAIR: %m");
	queue = TCP_SEND_QUEUE;
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof(queue)));
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, snd, &len));
	queue = TCP_RECV_QUEUE;
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof(queue)));
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, rcv, &len));
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)));
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	if (len & 1)
		sum += b[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/*
 * From namespace A, through a raw socket, send the next data segment of
 * A's established @fd: INJECT_BYTES of probe data with a TCP-AO option
 * (KeyID 7, RNextKeyID 9, a made-up MAC). Whoever receives it has no key.
 */
static void inject_ao_segment(struct __test_metadata *_metadata, struct env *e, int fd)
{
	struct sockaddr_storage local, peer;
	socklen_t llen = sizeof(local), plen = sizeof(peer);
	struct {
		struct tcphdr th;
		uint8_t ao[16];
		uint8_t data[INJECT_BYTES];
	} seg;
	uint32_t snd, rcv, sum, tcplen = htonl(sizeof(seg));
	int raw, family;

	static_assert(sizeof(seg) == 20 + 16 + INJECT_BYTES, "segment layout");
	tcp_seqs(_metadata, fd, &snd, &rcv);
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&local, &llen));
	ASSERT_EQ(0, getpeername(fd, (struct sockaddr *)&peer, &plen));
	family = local.ss_family;

	memset(&seg, 0, sizeof(seg));
	seg.th.source = ((struct sockaddr_in *)&local)->sin_port;
	seg.th.dest = ((struct sockaddr_in *)&peer)->sin_port;
	seg.th.seq = htonl(snd);
	seg.th.ack_seq = htonl(rcv);
	seg.th.doff = (sizeof(seg.th) + sizeof(seg.ao)) / 4;
	seg.th.ack = 1;
	seg.th.psh = 1;
	seg.th.window = htons(1024);
	seg.ao[0] = 29;		/* TCP-AO, RFC 5925 */
	seg.ao[1] = sizeof(seg.ao);
	seg.ao[2] = ID_A1;
	seg.ao[3] = ID_B1;
	memset(seg.ao + 4, 0xa5, sizeof(seg.ao) - 4);
	memset(seg.data, 0x5a, sizeof(seg.data));

	/* Pseudo-header: addresses, protocol and TCP length. */
	if (family == AF_INET6) {
		sum = csum_add(0, &((struct sockaddr_in6 *)&local)->sin6_addr, 16);
		sum = csum_add(sum, &((struct sockaddr_in6 *)&peer)->sin6_addr, 16);
	} else {
		sum = csum_add(0, &((struct sockaddr_in *)&local)->sin_addr, 4);
		sum = csum_add(sum, &((struct sockaddr_in *)&peer)->sin_addr, 4);
	}
	sum = csum_add(sum, &tcplen, sizeof(tcplen));
	sum += IPPROTO_TCP;
	seg.th.check = csum_fold(csum_add(sum, &seg, sizeof(seg)));

	ASSERT_EQ(0, ns_enter(e->ns[A]));
	raw = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	ASSERT_LE(0, raw) TH_LOG("raw socket: %m");
	/* From the connection's address; raw sockets take no ports. */
	if (family == AF_INET6) {
		((struct sockaddr_in6 *)&local)->sin6_port = 0;
		((struct sockaddr_in6 *)&peer)->sin6_port = 0;
	} else {
		((struct sockaddr_in *)&local)->sin_port = 0;
		((struct sockaddr_in *)&peer)->sin_port = 0;
	}
	ASSERT_EQ(0, bind(raw, (struct sockaddr *)&local, llen)) TH_LOG("bind raw: %m");
	ASSERT_EQ((ssize_t)sizeof(seg), sendto(raw, &seg, sizeof(seg), 0,
					       (struct sockaddr *)&peer, plen))
		TH_LOG("sendto raw: %m");
	close(raw);
}

/*
 * A plain connection: A never uses the options, B's listener takes part
 * with @flags and B has a key, but not for A. The accepted socket inherits
 * the listener's flags. Then a data segment with TCP-AO comes from A's
 * address and port: with REJECT_UNEXPECTED B drops it; without, B takes it
 * as plain TCP (RFC 5925 7.3) and its data arrives.
 */
static void unexpected_established(struct __test_metadata *_metadata, struct env *e,
				   const struct params *p, bool reject)
{
	__u32 flags = reject ? TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED : 0;
	int listener, fd[2], c;
	struct tcp_authopt opt;
	struct key_spec ks;

	ks = peer_key(p, B, 1, SECRET1);
	ks.addr = p->other;
	ASSERT_EQ(0, key_in(e, B, &ks));
	listener = listen_at(_metadata, e, B, p->addr[B], PORT, flags, NULL);
	ASSERT_EQ(0, authopt_get(listener, &opt));
	EXPECT_EQ(flags, opt.flags) TH_LOG("listener flags");
	fd[A] = tcp_socket(_metadata, e, A, params_family(p), UNTOUCHED, NULL, p->addr[A], 0);
	fd[B] = establish(_metadata, fd[A], listener, p->addr[B], PORT);
	ASSERT_EQ(0, authopt_get(fd[B], &opt));
	EXPECT_EQ(flags, opt.flags) TH_LOG("accepted socket flags");
	exchange(_metadata, fd[A], fd[B], SMALL_BYTES, false);

	inject_ao_segment(_metadata, e, fd[A]);
	if (reject) {
		EXPECT_LT(0, wait_counter(_metadata, e, B, C_UNEXPECTED, SILENCE_MS));
		usleep(200000);
		expect_nothing_received(_metadata, "B", fd[B]);
	} else {
		expect_probe(_metadata, fd[B], INJECT_BYTES);
		EXPECT_EQ(0, counter_delta(_metadata, e, B, C_UNEXPECTED));
	}
	expect_authopt(_metadata, "B", fd[B], false, -1, -1);
	for (c = 0; c < C_COUNT; c++) {
		long long delta = counter_delta(_metadata, e, B, c);

		if (c != C_UNEXPECTED)
			EXPECT_EQ(0, delta) TH_LOG("%s", counter_name[c]);
	}
}

TEST_F(keys, reject_unexpected_established)
{
	unexpected_established(_metadata, &self->e, variant->p, true);
}

TEST_F(keys, accept_unexpected_established)
{
	unexpected_established(_metadata, &self->e, variant->p, false);
}

/* ------------------------------------------------------------------------ */
/* Fixture: two VRFs with the same addresses                                */
/* ------------------------------------------------------------------------ */

FIXTURE(vrf) {
	struct env e;
	int ifindex[2][2];	/* of vrf1 and vrf2, in A and in B */
};

FIXTURE_VARIANT(vrf) {
	const struct params *p;
};

FIXTURE_VARIANT_ADD(vrf, hmac_sha1_ipv4) { .p = &sha1_ipv4 };
FIXTURE_VARIANT_ADD(vrf, hmac_sha1_ipv6) { .p = &sha1_ipv6 };
FIXTURE_VARIANT_ADD(vrf, aes_cmac_ipv4) { .p = &cmac_ipv4 };
FIXTURE_VARIANT_ADD(vrf, aes_cmac_ipv6) { .p = &cmac_ipv6 };

static const char * const vrf_dev[2] = { "vrf1", "vrf2" };

FIXTURE_SETUP(vrf)
{
	int side, v;

	env_setup(_metadata, &self->e, vrf_net_setup);
	for (side = A; side <= B; side++) {
		ASSERT_EQ(0, ns_enter(self->e.ns[side]));
		for (v = 0; v < 2; v++) {
			self->ifindex[side][v] = if_nametoindex(vrf_dev[v]);
			ASSERT_LT(0, self->ifindex[side][v]) TH_LOG("%s: %m", vrf_dev[v]);
		}
	}
}

FIXTURE_TEARDOWN(vrf)
{
	env_teardown(&self->e);
}

/* Side @side's key for VRF @v (its ifindex there) with @secret. */
static int vrf_key(struct _test_data_vrf *self, const struct params *p, int side, int v,
		   const char *secret)
{
	struct key_spec ks = peer_key(p, side, 1, secret);

	ks.flags |= TCP_AUTHOPT_KEY_IFINDEX;
	ks.ifindex = self->ifindex[side][v];
	return key_in(&self->e, side, &ks);
}

/*
 * B has a key per VRF for the same peer address, SECRET1 in vrf1 and
 * SECRET2 in vrf2, and listens in both. @a_secret[v] is the secret of A's
 * key for VRF v, or with @a_unbound A has one key without IFINDEX, with
 * @a_secret[0]. A connects in each VRF: @ok[v] tells whether it must work.
 */
static void vrf_check(struct __test_metadata *_metadata, struct _test_data_vrf *self,
		      const struct params *p, const char * const a_secret[2],
		      bool a_unbound, const bool ok[2])
{
	struct env *e = &self->e;
	int v, listener[2], fd[2];
	struct key_spec ks;

	ASSERT_EQ(0, vrf_key(self, p, B, 0, SECRET1));
	ASSERT_EQ(0, vrf_key(self, p, B, 1, SECRET2));
	if (a_unbound) {
		ks = peer_key(p, A, 1, a_secret[0]);
		ASSERT_EQ(0, key_in(e, A, &ks));
	} else {
		for (v = 0; v < 2; v++)
			ASSERT_EQ(0, vrf_key(self, p, A, v, a_secret[v]));
	}
	for (v = 0; v < 2; v++)
		listener[v] = listen_at(_metadata, e, B, p->any, PORT, 0, vrf_dev[v]);

	for (v = 0; v < 2; v++) {
		long long failures = counter_delta(_metadata, e, B, C_FAILURE);

		fd[A] = tcp_socket(_metadata, e, A, params_family(p), 0, vrf_dev[v], NULL, 0);
		if (!ok[v]) {
			expect_no_connection(_metadata, fd[A], listener[v], p->addr[B], PORT);
			EXPECT_LT(failures, counter_delta(_metadata, e, B, C_FAILURE))
				TH_LOG("%s", vrf_dev[v]);
			close(fd[A]);
			continue;
		}
		fd[B] = establish(_metadata, fd[A], listener[v], p->addr[B], PORT);
		exchange(_metadata, fd[A], fd[B], SMALL_BYTES, true);
		expect_authopt(_metadata, vrf_dev[v], fd[A], true, ID_A1, ID_B1);
		expect_authopt(_metadata, vrf_dev[v], fd[B], true, ID_B1, ID_A1);
		close(fd[A]);
		close(fd[B]);
	}
	EXPECT_EQ(0, counter_delta(_metadata, e, B, C_KEYNOTFOUND));
	EXPECT_EQ(0, counter_delta(_metadata, e, A, C_FAILURE));
	if (ok[0] && ok[1])
		expect_counters_unchanged(_metadata, e);
}

/* Each VRF's connection uses its own key. */
TEST_F(vrf, own_keys)
{
	static const char * const secrets[2] = { SECRET1, SECRET2 };
	static const bool ok[2] = { true, true };

	vrf_check(_metadata, self, variant->p, secrets, false, ok);
}

/* A's keys swapped between the VRFs: neither connects. */
TEST_F(vrf, swapped_keys)
{
	static const char * const secrets[2] = { SECRET2, SECRET1 };
	static const bool ok[2] = { false, false };

	vrf_check(_metadata, self, variant->p, secrets, false, ok);
}

/* A's one key applies in both VRFs: only vrf1, where B has its secret, works. */
TEST_F(vrf, peer_unbound)
{
	static const char * const secrets[2] = { SECRET1, NULL };
	static const bool ok[2] = { true, false };

	vrf_check(_metadata, self, variant->p, secrets, true, ok);
}

/* ------------------------------------------------------------------------ */
/* /proc/net/tcp_authopt                                                    */
/* ------------------------------------------------------------------------ */

#define PROC_HEADER	"flags\tsend_id\trecv_id\talg\taddr\tl3index"

/* Read the whole of /proc/net/tcp_authopt into @buf; its length or -errno. */
static ssize_t proc_keys_read(char *buf, size_t size)
{
	size_t len = 0;
	ssize_t ret;
	int fd;

	fd = open(PROC_KEYS_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ret = read(fd, buf + len, size - 1 - len);
		if (ret < 0) {
			ret = -errno;
			close(fd);
			return ret;
		}
		if (!ret)
			break;
		len += ret;
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

/* Number of lines of @buf equal to @line. */
static int count_line(const char *buf, const char *line)
{
	size_t len = strlen(line);
	const char *s = buf;
	int n = 0;

	while (*s) {
		const char *eol = strchrnul(s, '\n');

		if ((size_t)(eol - s) == len && !memcmp(s, line, len))
			n++;
		s = *eol ? eol + 1 : eol;
	}
	return n;
}

static int count_lines(const char *buf)
{
	int n = 0;

	for (; *buf; buf++)
		n += *buf == '\n';
	return n;
}

/* @secret, or its bytes in hex (either case), appear in @buf. */
static bool secret_shown(const char *buf, const char *secret)
{
	char lower[2 * TCP_AUTHOPT_MAXKEYLEN + 1], upper[sizeof(lower)];
	size_t i, len = strlen(secret);

	if (strstr(buf, secret))
		return true;
	for (i = 0; i < len; i++) {
		sprintf(lower + 2 * i, "%02x", (unsigned char)secret[i]);
		sprintf(upper + 2 * i, "%02X", (unsigned char)secret[i]);
	}
	/* The first 8 bytes are enough to recognise a dump. */
	lower[16] = '\0';
	upper[16] = '\0';
	return strstr(buf, lower) || strstr(buf, upper);
}

struct proc_case {
	struct key_spec ks;
	const char *line;	/* expected, without the l3index column */
};

/*
 * Keys of each binding kind in a new namespace: /proc/net/tcp_authopt is
 * 0400, has the header then one line per key, and never the key material.
 */
FIXTURE(proc) {
	char buf[16384];
};

FIXTURE_SETUP(proc)
{
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, ip_batch("link set lo up\n"
			      "link add vrf9 type vrf table 9\n"
			      "link set vrf9 up\n"));
	ASSERT_EQ(0, sysctl_enable());
}

FIXTURE_TEARDOWN(proc)
{
}

TEST_F(proc, keys)
{
	static struct proc_case cases[] = {
		{ { .send_id = 1, .recv_id = 1, .alg = 1,
		    .secret = "proc-secret-unbound" },
		  "0x0\t1\t1\t1\t*" },
		{ { .flags = TCP_AUTHOPT_KEY_ADDR_BIND, .send_id = 2, .recv_id = 3,
		    .alg = 2, .secret = "proc-secret-addr4", .addr = ADDR4_B },
		  "0x4\t2\t3\t2\t" ADDR4_B },
		{ { .flags = TCP_AUTHOPT_KEY_ADDR_BIND, .send_id = 4, .recv_id = 5,
		    .alg = 1, .secret = "proc-secret-addr6", .addr = ADDR6_B },
		  "0x4\t4\t5\t1\t" ADDR6_B },
		{ { .flags = TCP_AUTHOPT_KEY_PREFIXLEN, .send_id = 6, .recv_id = 6,
		    .alg = 1, .secret = "proc-secret-prefix4", .addr = "198.51.100.77",
		    .prefixlen = 24 },
		  "0x40\t6\t6\t1\t198.51.100.0/24" },
		{ { .flags = TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_PREFIXLEN,
		    .send_id = 7, .recv_id = 7, .alg = 2, .secret = "proc-secret-prefix6",
		    .addr = "2001:db8:1:2::77", .prefixlen = 64 },
		  "0x44\t7\t7\t2\t2001:db8:1:2::/64" },
		{ { .flags = TCP_AUTHOPT_KEY_IFINDEX, .send_id = 8, .recv_id = 8,
		    .alg = 1, .secret = "proc-secret-vrf" },
		  "0x8\t8\t8\t1\t*" },
		{ { .flags = TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_IFINDEX,
		    .send_id = 9, .recv_id = 9, .alg = 2, .secret = "proc-secret-vrf-addr",
		    .addr = ADDR4_B },
		  "0xc\t9\t9\t2\t" ADDR4_B },
		{ { .flags = TCP_AUTHOPT_KEY_LOCAL_PORT | TCP_AUTHOPT_KEY_REMOTE_PORT,
		    .send_id = 10, .recv_id = 10, .alg = 1, .secret = "proc-secret-ports",
		    .lport_min = 179, .lport_max = 179, .rport_min = 1024,
		    .rport_max = 65535 },
		  "0x1800\t10\t10\t1\t*" },
		{ { .flags = TCP_AUTHOPT_KEY_EXCLUDE_OPTS | TCP_AUTHOPT_KEY_NOSEND |
			     TCP_AUTHOPT_KEY_NORECV | TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN |
			     TCP_AUTHOPT_KEY_SEND_LIFETIME_END |
			     TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN |
			     TCP_AUTHOPT_KEY_RECV_LIFETIME_END,
		    .send_id = 11, .recv_id = 11, .alg = 1, .secret = "proc-secret-flags",
		    .send_begin = 1000, .send_end = 2000, .recv_begin = 1000,
		    .recv_end = 3000 },
		  "0x7b2\t11\t11\t1\t*" },
	};
	char *buf = self->buf, line[128];
	struct key_spec del;
	struct stat st;
	int ifindex;
	ssize_t len;
	size_t i;

	ifindex = if_nametoindex("vrf9");
	ASSERT_LT(0, ifindex);

	ASSERT_EQ(0, stat(PROC_KEYS_PATH, &st)) TH_LOG("%s: %m", PROC_KEYS_PATH);
	EXPECT_EQ(0400u, st.st_mode & 07777) TH_LOG("mode 0%o", st.st_mode & 07777);
	EXPECT_EQ(0u, st.st_uid);

	len = proc_keys_read(buf, sizeof(self->buf));
	ASSERT_LE(0, len) TH_LOG("read: %s", strerror(-len));
	EXPECT_STREQ(PROC_HEADER "\n", buf);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].ks.flags & TCP_AUTHOPT_KEY_IFINDEX)
			cases[i].ks.ifindex = ifindex;
		ASSERT_EQ(0, key_set(&cases[i].ks)) TH_LOG("key %zu: %m", i);
	}

	len = proc_keys_read(buf, sizeof(self->buf));
	ASSERT_LE(0, len) TH_LOG("read: %s", strerror(-len));
	EXPECT_EQ(0, strncmp(buf, PROC_HEADER "\n", strlen(PROC_HEADER) + 1))
		TH_LOG("header: %.60s", buf);
	EXPECT_EQ(1 + (int)ARRAY_SIZE(cases), count_lines(buf)) TH_LOG("\n%s", buf);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct key_spec *ks = &cases[i].ks;
		int l3index = 0;

		if (ks->flags & TCP_AUTHOPT_KEY_IFINDEX)
			l3index = ifindex;
		snprintf(line, sizeof(line), "%s\t%d", cases[i].line, l3index);
		EXPECT_EQ(1, count_line(buf, line)) TH_LOG("no line \"%s\" in\n%s", line, buf);
		EXPECT_FALSE(secret_shown(buf, ks->secret)) TH_LOG("key %zu material shown", i);
	}

	/* A deleted key's line goes. */
	del = cases[1].ks;
	del.flags |= TCP_AUTHOPT_KEY_DEL;
	ASSERT_EQ(0, key_set(&del));
	len = proc_keys_read(buf, sizeof(self->buf));
	ASSERT_LE(0, len);
	EXPECT_EQ((int)ARRAY_SIZE(cases), count_lines(buf));
	snprintf(line, sizeof(line), "%s\t0", cases[1].line);
	EXPECT_EQ(0, count_line(buf, line));
}

TEST_HARNESS_MAIN
