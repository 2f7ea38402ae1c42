/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the TCP-AO connection selftests (connect.c, keys.c, repair.c).
 *
 * The tests build two network namespaces, A and B, joined by veth links.
 * The process moves between them with setns(): a socket stays in the
 * namespace it was created in, so one thread drives both ends of a
 * connection with non-blocking sockets and poll(). Everything has a
 * deadline: a kernel that loses segments fails a test instead of hanging it.
 *
 * Include this instead of kselftest_harness.h, after defining _GNU_SOURCE.
 * All helpers are static inline: a test uses the ones it needs.
 */
#ifndef _SELFTESTS_TCP_AUTHOPT_NETNS_LIB_H
#define _SELFTESTS_TCP_AUTHOPT_NETNS_LIB_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

/* The first addresses of A and B, on the veth between them. */
#define ADDR4_A		"198.51.100.1"
#define ADDR4_B		"198.51.100.2"
#define ADDR6_A		"2001:db8::1"
#define ADDR6_B		"2001:db8::2"

/* Deadlines. */
#define CONNECT_MS	5000	/* a connection that must come up */
#define XFER_MS		12000	/* an exchange() */

/*
 * Bulk transfer sizes, divided by $TCP_AUTHOPT_XFER_DIV when set: the SMP
 * debug kernel under qemu TCG (make check-debug) moves data about 50 times
 * slower than UML. Only the volume shrinks, never a check.
 */
static inline size_t xfer_scaled(size_t bytes)
{
	const char *s = getenv("TCP_AUTHOPT_XFER_DIV");
	unsigned long div = s ? strtoul(s, NULL, 10) : 1;

	return div > 1 ? bytes / div : bytes;
}

#define SOCK_TIMEO_S	5	/* SO_RCVTIMEO/SO_SNDTIMEO, in case we block */

#define XFER_CHUNK	(256u << 10)	/* most bytes a send() or recv() moves */

enum { A, B };

static inline const char *side_name(int side)
{
	return side == A ? "A" : "B";
}

static inline long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* ------------------------------------------------------------------------ */
/* Network namespaces                                                       */
/* ------------------------------------------------------------------------ */

static inline int ns_enter(int nsfd)
{
	return setns(nsfd, CLONE_NEWNET) ? -errno : 0;
}

/* Run the commands written to @ip, a popen()ed "ip -batch -". */
static inline int ip_close(FILE *ip)
{
	int ret = pclose(ip);

	if (ret == -1)
		return -errno;
	return WIFEXITED(ret) && WEXITSTATUS(ret) == 0 ? 0 : -EIO;
}

/* Feed commands to one "ip -batch" in the current namespace. */
static inline int ip_batch(const char *fmt, ...)
{
	va_list ap;
	FILE *ip;

	ip = popen("ip -batch -", "w");
	if (!ip)
		return -errno;
	va_start(ap, fmt);
	vfprintf(ip, fmt, ap);
	va_end(ap);
	return ip_close(ip);
}

static inline int sysctl_write(const char *path, const char *val)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * net.ipv4.tcp_authopt = 1. The switch is host-wide and lives in the
 * initial namespace only (as in the original series): from another
 * namespace, write it there. Kernels with a per-namespace switch show it
 * in every namespace, and it is set in the current one too.
 */
static inline int sysctl_enable(void)
{
	int cur, init, ret;

	if (!access(SYSCTL_PATH, F_OK))
		return sysctl_write(SYSCTL_PATH, "1");
	cur = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	init = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);
	if (init < 0) {
		ret = -errno;
		close(cur);
		return ret;
	}
	ret = setns(init, CLONE_NEWNET) ? -errno : sysctl_write(SYSCTL_PATH, "1");
	if (setns(cur, CLONE_NEWNET) && !ret)
		ret = -errno;
	close(init);
	close(cur);
	return ret;
}

static inline int addr_family(const char *addr)
{
	return strchr(addr, ':') ? AF_INET6 : AF_INET;
}

/*
 * Create namespaces A and B, ending up in B; @path gets the path of A's
 * namespace, for "ip link ... netns".
 */
static inline int netns_create(int ns[2], char *path, size_t len)
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

/*
 * In the current namespace: lo up, the NULL-terminated @addrs on @dev
 * (IPv4 ones /24, IPv6 ones /64), @dev up and TCP-AO enabled.
 */
static inline int side_setup(const char *dev, const char * const *addrs)
{
	FILE *ip;
	int ret;

	ip = popen("ip -batch -", "w");
	if (!ip)
		return -errno;
	fprintf(ip, "link set lo up\n");
	for (; *addrs; addrs++) {
		if (addr_family(*addrs) == AF_INET6)
			fprintf(ip, "addr add %s/64 dev %s nodad\n", *addrs, dev);
		else
			fprintf(ip, "addr add %s/24 dev %s\n", *addrs, dev);
	}
	fprintf(ip, "link set %s up\n", dev);
	ret = ip_close(ip);
	if (ret)
		return ret;
	/*
	 * Connections a test leaves behind (orphans that cannot get their
	 * data or FIN through, on purpose) must not keep the namespace and
	 * its keys alive for minutes: give up on them at once.
	 */
	return sysctl_write("/proc/sys/net/ipv4/tcp_orphan_retries", "1") ?:
	       sysctl_write("/proc/sys/net/ipv4/tcp_fin_timeout", "1") ?:
	       sysctl_enable();
}

/*
 * Create namespaces A and B joined by veth va (in A) <-> vb (in B), with
 * the addresses @addrs[A] on va and @addrs[B] on vb (see side_setup()).
 * Returns with the process in A.
 */
static inline int veth_pair_setup(int ns[2], const char * const *addrs[2])
{
	char path[64];
	int ret;

	ret = netns_create(ns, path, sizeof(path));
	if (ret)
		return ret;
	/* In B now: create the pair here and hand va over to A by path. */
	ret = ip_batch("link add vb type veth peer name va netns %s\n", path);
	if (ret)
		return ret;
	ret = side_setup("vb", addrs[B]);
	if (ret)
		return ret;
	ret = ns_enter(ns[A]);
	if (ret)
		return ret;
	return side_setup("va", addrs[A]);
}

/* veth_pair_setup() with ADDR4_A and ADDR6_A on va, ADDR4_B and ADDR6_B on vb. */
static inline int netns_pair_setup(int ns[2])
{
	static const char * const addrs_a[] = { ADDR4_A, ADDR6_A, NULL };
	static const char * const addrs_b[] = { ADDR4_B, ADDR6_B, NULL };
	const char * const *addrs[2] = { addrs_a, addrs_b };

	return veth_pair_setup(ns, addrs);
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
	C_BADMAC,
	C_COUNT
};

static const char * const counter_name[C_COUNT] = {
	[C_FAILURE] = "TCPAuthOptFailure",
	[C_REQUIRED] = "TCPAuthOptRequired",
	[C_KEYNOTFOUND] = "TCPAuthOptKeyNotFound",
	[C_UNEXPECTED] = "TCPAuthOptUnexpected",
	[C_MD5ANDAO] = "TCPAuthOptMD5AndAO",
	[C_MALFORMED] = "TCPAuthOptMalformed",
	[C_BADMAC] = "TCPAuthOptBadMAC",
};

/*
 * Counter @name of the group whose lines start with @group ("TcpExt:" in
 * /proc/net/netstat, "Tcp:" in /proc/net/snmp) in the open file @fd, which
 * stays bound to the namespace it was opened in. Groups come as pairs of
 * lines, the names then the values. Returns the value, or -1.
 */
static inline long long proc_counter(int fd, const char *group, const char *name)
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

/* TcpExt counter @name of an open /proc/net/netstat, or -1. */
static inline long long tcpext_counter(int netstat_fd, const char *name)
{
	return proc_counter(netstat_fd, "TcpExt:", name);
}

/* ------------------------------------------------------------------------ */
/* Test environment: the two namespaces and their counters                  */
/* ------------------------------------------------------------------------ */

struct env {
	int ns[2];
	int netstat[2];		/* /proc/net/netstat of each namespace */
	int snmp[2];		/* /proc/net/snmp */
	int counters;		/* how many of counter_name[], from the first, are watched */
	long long before[2][C_COUNT];
};

/*
 * Build the namespaces with @net_setup and read the first @counters TcpExt
 * counters of each, for counter_delta(). Returns in namespace B.
 */
static inline void env_setup(struct __test_metadata *_metadata, struct env *e,
			     int (*net_setup)(int ns[2]), int counters)
{
	int side, c, ret;

	for (side = A; side <= B; side++) {
		e->ns[side] = -1;
		e->netstat[side] = -1;
		e->snmp[side] = -1;
	}
	e->counters = counters;
	ret = net_setup(e->ns);
	ASSERT_EQ(0, ret) TH_LOG("namespaces and links setup: %s", strerror(-ret));
	for (side = A; side <= B; side++) {
		ASSERT_EQ(0, ns_enter(e->ns[side]));
		e->netstat[side] = open("/proc/self/net/netstat", O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, e->netstat[side]) TH_LOG("/proc/net/netstat: %m");
		e->snmp[side] = open("/proc/self/net/snmp", O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, e->snmp[side]) TH_LOG("/proc/net/snmp: %m");
		for (c = 0; c < e->counters; c++) {
			e->before[side][c] = tcpext_counter(e->netstat[side], counter_name[c]);
			ASSERT_LE(0, e->before[side][c])
				TH_LOG("no TcpExt %s in /proc/net/netstat", counter_name[c]);
		}
	}
}

static inline void env_teardown(struct env *e)
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

/* How much TcpExt counter @c of side @side moved since the setup. */
static inline long long counter_delta(struct __test_metadata *_metadata, struct env *e,
				      int side, int c)
{
	long long now = tcpext_counter(e->netstat[side], counter_name[c]);

	EXPECT_LE(0, now) TH_LOG("no TcpExt %s", counter_name[c]);
	return now - e->before[side][c];
}

/* None of the watched counters moved, on either side. */
static inline void expect_counters_unchanged(struct __test_metadata *_metadata, struct env *e)
{
	int side, c;

	for (side = A; side <= B; side++) {
		for (c = 0; c < e->counters; c++) {
			long long delta = counter_delta(_metadata, e, side, c);

			EXPECT_EQ(0, delta) TH_LOG("%s: %s", side_name(side), counter_name[c]);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

/* Fill a socket address from a numeric IPv4 or IPv6 string. */
static inline socklen_t sockaddr_fill(struct sockaddr_storage *ss, const char *str, int port)
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

/*
 * Add, replace or (with DEL) delete the key @ks in the current namespace,
 * through a socket of the key's family that is closed right after.
 * Returns 0 or -errno.
 */
static inline int key_set(const struct key_spec *ks)
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
static inline int key_in(struct env *e, int side, const struct key_spec *ks)
{
	int ret = ns_enter(e->ns[side]);

	return ret ? ret : key_set(ks);
}

/*
 * A TCP-MD5 (RFC 2385) key on @fd for @peer, or with a NULL @secret its
 * deletion. Returns 0 or -errno.
 */
static inline int md5_set(int fd, const char *peer, const char *secret)
{
	struct tcp_md5sig md5 = {};
	struct sockaddr_storage ss;

	sockaddr_fill(&ss, peer, 0);
	memcpy(&md5.tcpm_addr, &ss, sizeof(ss));
	if (secret) {
		md5.tcpm_keylen = strlen(secret);
		memcpy(md5.tcpm_key, secret, md5.tcpm_keylen);
	}
	return setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5)) ? -errno : 0;
}

/* A key for @net/@prefix with a MAC of @maclen bytes (0: the default) on
 * @fd, through upstream Linux's TCP_AO_ADD_KEY. Returns 0 or -errno.
 */
static inline int ao_add_net(int fd, const char *alg, const char *net, int prefix, int sndid,
			     int rcvid, const char *secret, int maclen)
{
	struct tcp_ao_add add;
	struct sockaddr_storage ss;

	memset(&add, 0, sizeof(add));
	sockaddr_fill(&ss, net, 0);
	memcpy(&add.addr, &ss, sizeof(ss));
	strncpy(add.alg_name, alg, sizeof(add.alg_name) - 1);
	add.prefix = prefix;
	add.sndid = sndid;
	add.rcvid = rcvid;
	add.maclen = maclen;
	add.keylen = strlen(secret);
	memcpy(add.key, secret, add.keylen);
	return setsockopt(fd, IPPROTO_TCP, TCP_AO_ADD_KEY, &add, sizeof(add)) ? -errno : 0;
}

/* A key of the current namespace bound to the address @peer (its family is the key's). */
static inline int key_add(int alg, int send_id, int recv_id, const char *secret,
			  const char *peer)
{
	struct key_spec ks = {
		.flags = TCP_AUTHOPT_KEY_ADDR_BIND,
		.send_id = send_id,
		.recv_id = recv_id,
		.alg = alg,
		.secret = secret,
		.addr = peer,
	};

	return key_set(&ks);
}

/* ------------------------------------------------------------------------ */
/* Sockets and connections                                                  */
/* ------------------------------------------------------------------------ */

static inline int authopt_set(int fd, __u32 flags, __u8 send_keyid, __u8 send_rnextkeyid)
{
	struct tcp_authopt opt = {
		.flags = flags,
		.send_keyid = send_keyid,
		.send_rnextkeyid = send_rnextkeyid,
	};

	return setsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT, &opt, sizeof(opt)) ? -errno : 0;
}

static inline int authopt_get(int fd, struct tcp_authopt *opt)
{
	socklen_t len = sizeof(*opt);

	memset(opt, 0, sizeof(*opt));
	if (getsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT, opt, &len))
		return -errno;
	return len == sizeof(*opt) ? 0 : -EMSGSIZE;
}

/* Pending error of @fd (SO_ERROR, which clears it), or -errno. */
static inline int sock_error(int fd)
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
 * A non-blocking TCP socket in the current namespace that takes part in
 * TCP-AO (TCP_AUTHOPT with @flags), unless @flags is UNTOUCHED. AF_INET6
 * sockets accept IPv4-mapped peers. Returns the fd or -errno.
 */
static inline int tcp_socket(int family, __u32 flags)
{
	struct timeval tv = { .tv_sec = SOCK_TIMEO_S };
	int fd, zero = 0, one = 1, ret;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero))))
		ret = -errno;
	else
		ret = flags == UNTOUCHED ? 0 : authopt_set(fd, flags, 0, 0);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * tcp_socket() in namespace @side, bound to device @dev and to @addr:@port
 * when they are given. Returns the fd.
 */
static inline int socket_in(struct __test_metadata *_metadata, struct env *e, int side,
			    int family, __u32 flags, const char *dev, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	ASSERT_EQ(0, ns_enter(e->ns[side]));
	fd = tcp_socket(family, flags);
	ASSERT_LE(0, fd) TH_LOG("%s: socket: %s", side_name(side), strerror(-fd));
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

/* A listener in @side on @addr:@port (see socket_in()). */
static inline int listen_at(struct __test_metadata *_metadata, struct env *e, int side,
			    const char *addr, int port, __u32 flags, const char *dev)
{
	int fd = socket_in(_metadata, e, side, addr_family(addr), flags, dev, addr, port);

	ASSERT_EQ(0, listen(fd, 8)) TH_LOG("listen: %m");
	return fd;
}

/* Wait for @events on @fd: 1 when ready, 0 on timeout, -errno on error. */
static inline int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret > 0;
}

/* Connect non-blocking @fd to @addr:@port: 0 once established, -ETIMEDOUT or the error. */
static inline int connect_wait(int fd, const char *addr, int port, int timeout_ms)
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
static inline int accept_wait(int fd, int timeout_ms)
{
	int ret;

	ret = wait_fd(fd, POLLIN, timeout_ms);
	if (ret <= 0)
		return ret ? ret : -ETIMEDOUT;
	ret = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	return ret < 0 ? -errno : ret;
}

/* Connect @client to @addr:@port, accept on @listener: the accepted fd. */
static inline int connect_accept(struct __test_metadata *_metadata, int client, int listener,
				 const char *addr, int port)
{
	int ret, fd;

	ret = connect_wait(client, addr, port, CONNECT_MS);
	ASSERT_EQ(0, ret) TH_LOG("connect to %s port %d: %s", addr, port, strerror(-ret));
	fd = accept_wait(listener, CONNECT_MS);
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(-fd));
	return fd;
}

/*
 * @client must not connect to @addr:@port within @timeout_ms, nor @listener
 * have a connection to accept then.
 */
static inline void expect_no_connection(struct __test_metadata *_metadata, int client,
					int listener, const char *addr, int port,
					int timeout_ms)
{
	int ret;

	ret = connect_wait(client, addr, port, timeout_ms);
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
static inline void expect_authopt(struct __test_metadata *_metadata, const char *who, int fd,
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
/* Repair mode                                                              */
/* ------------------------------------------------------------------------ */

static inline int repair_mode(int fd, int val)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &val, sizeof(val)) ? -errno : 0;
}

static inline int repair_queue(int fd, int queue)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof(queue)) ? -errno : 0;
}

/* End sequence number of @queue of @fd, in repair mode. */
static inline int queue_seq_get(int fd, int queue, __u32 *seq)
{
	socklen_t len = sizeof(*seq);
	int ret = repair_queue(fd, queue);

	if (ret)
		return ret;
	if (getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, seq, &len))
		return -errno;
	return len == sizeof(*seq) ? 0 : -EMSGSIZE;
}

/* ------------------------------------------------------------------------ */
/* Data transfer                                                            */
/* ------------------------------------------------------------------------ */

/* 8-byte word @word of the deterministic stream @seed (splitmix64). */
static inline __u64 stream_word(__u64 seed, __u64 word)
{
	__u64 z = seed + (word + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void stream_fill(__u64 seed, __u64 off, unsigned char *buf, size_t len)
{
	__u64 word = 0;
	size_t i;

	for (i = 0; i < len; i++, off++) {
		if (i == 0 || (off & 7) == 0)
			word = stream_word(seed, off >> 3);
		buf[i] = word >> ((off & 7) * 8);
	}
}

/*
 * One end of a transfer: it sends its stream up to send_goal and receives
 * and checks the peer's up to recv_goal. Raised goals continue the streams
 * where they stopped, across a new socket for the end too.
 */
struct xfer_end {
	int fd;
	__u64 send_seed;	/* of the stream this end sends */
	__u64 recv_seed;	/* of the stream it must receive */
	size_t sent, send_goal;
	size_t rcvd, recv_goal;
	bool shut;		/* SHUT_WR done after the last byte */
	bool eof;		/* peer's FIN seen */
};

/*
 * Data moving both ways at the same time between ends A and B, every byte
 * checked, run step by step so that a test can act in between. With @fin,
 * each end shuts down after its last byte and must see the peer's FIN;
 * without, the connection stays usable.
 */
struct xfer {
	struct xfer_end end[2];
	bool fin;
	struct timespec start;
	int timeout_ms;		/* from start */
	unsigned char *out, *in, *expect;
};

/* Queue @a_to_b more bytes from A to B and @b_to_a back, due in @timeout_ms from now. */
static inline void xfer_more(struct xfer *x, size_t a_to_b, size_t b_to_a, int timeout_ms)
{
	x->end[A].send_goal += a_to_b;
	x->end[B].recv_goal += a_to_b;
	x->end[B].send_goal += b_to_a;
	x->end[A].recv_goal += b_to_a;
	x->timeout_ms = timeout_ms;
	clock_gettime(CLOCK_MONOTONIC, &x->start);
}

/* A transfer of new streams, @bytes each way, between @fd_a and @fd_b. */
static inline int xfer_init(struct xfer *x, int fd_a, int fd_b, size_t bytes, bool fin,
			    int timeout_ms)
{
	static __u64 round;

	memset(x, 0, sizeof(*x));
	round++;
	x->end[A].fd = fd_a;
	x->end[B].fd = fd_b;
	x->end[A].send_seed = 0xa0a0a0a000000000ull + round;
	x->end[B].recv_seed = x->end[A].send_seed;
	x->end[B].send_seed = 0xb0b0b0b000000000ull + round;
	x->end[A].recv_seed = x->end[B].send_seed;
	x->fin = fin;
	xfer_more(x, bytes, bytes, timeout_ms);
	x->out = malloc(XFER_CHUNK);
	x->in = malloc(XFER_CHUNK);
	x->expect = malloc(XFER_CHUNK);
	return x->out && x->in && x->expect ? 0 : -ENOMEM;
}

static inline void xfer_free(struct xfer *x)
{
	free(x->out);
	free(x->in);
	free(x->expect);
	x->out = NULL;
	x->in = NULL;
	x->expect = NULL;
}

static inline bool xfer_done(const struct xfer *x)
{
	int i;

	for (i = A; i <= B; i++) {
		const struct xfer_end *e = &x->end[i];

		if (e->sent < e->send_goal || e->rcvd < e->recv_goal)
			return false;
		if (x->fin && !(e->shut && e->eof))
			return false;
	}
	return true;
}

/* Bytes both ends have received. */
static inline size_t xfer_progress(const struct xfer *x)
{
	return x->end[A].rcvd < x->end[B].rcvd ? x->end[A].rcvd : x->end[B].rcvd;
}

/* Send what the socket takes now; shut down after the last byte with fin. */
static inline int xfer_send(struct xfer *x, struct xfer_end *e)
{
	size_t len = e->send_goal - e->sent;
	ssize_t ret;

	if (len > XFER_CHUNK)
		len = XFER_CHUNK;
	if (len) {
		stream_fill(e->send_seed, e->sent, x->out, len);
		ret = send(e->fd, x->out, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (ret < 0)
			return errno == EAGAIN ? 0 : -errno;
		e->sent += ret;
	}
	if (x->fin && !e->shut && e->sent == e->send_goal) {
		if (shutdown(e->fd, SHUT_WR))
			return -errno;
		e->shut = true;
	}
	return 0;
}

/*
 * Receive what is queued, up to the goal (past it with fin: the FIN), and
 * compare it with the expected stream.
 */
static inline int xfer_recv(struct xfer *x, struct xfer_end *e)
{
	size_t len = e->recv_goal - e->rcvd;
	ssize_t ret;

	if (!len && !x->fin)
		return 0;
	if (!len || len > XFER_CHUNK)
		len = XFER_CHUNK;
	ret = recv(e->fd, x->in, len, MSG_DONTWAIT);
	if (ret < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (ret == 0) {
		e->eof = true;
		return x->fin && e->rcvd == e->recv_goal ? 0 : -EPIPE;
	}
	if (e->rcvd + ret > e->recv_goal)
		return -E2BIG;
	stream_fill(e->recv_seed, e->rcvd, x->expect, ret);
	if (memcmp(x->in, x->expect, ret))
		return -EBADMSG;
	e->rcvd += ret;
	return 0;
}

/* One poll() round: 0, or -errno (-ETIMEDOUT past the deadline). */
static inline int xfer_step(struct xfer *x)
{
	long elapsed = elapsed_ms(&x->start);
	struct pollfd pfd[2];
	int i, ret;

	if (elapsed >= x->timeout_ms)
		return -ETIMEDOUT;
	for (i = A; i <= B; i++) {
		struct xfer_end *e = &x->end[i];
		short events = 0;

		if (e->sent < e->send_goal || (x->fin && !e->shut))
			events |= POLLOUT;
		if (!e->eof && (x->fin || e->rcvd < e->recv_goal))
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

/* Step until done or both ends got @until bytes (SIZE_MAX: done): 0 or -errno. */
static inline int xfer_run(struct xfer *x, size_t until)
{
	int ret;

	while (!xfer_done(x) && xfer_progress(x) < until) {
		ret = xfer_step(x);
		if (ret)
			return ret;
	}
	return 0;
}

static inline void xfer_expect_ok(struct __test_metadata *_metadata, const struct xfer *x,
				  int ret)
{
	const struct xfer_end *a = &x->end[A], *b = &x->end[B];

	EXPECT_EQ(0, ret) TH_LOG("transfer: %s; "
				 "A sent %zu/%zu got %zu/%zu%s, B sent %zu/%zu got %zu/%zu%s",
				 strerror(-ret), a->sent, a->send_goal, a->rcvd, a->recv_goal,
				 a->eof ? " +FIN" : "", b->sent, b->send_goal, b->rcvd,
				 b->recv_goal, b->eof ? " +FIN" : "");
}

/* A complete transfer of @bytes each way between @fd_a and @fd_b. */
static inline void exchange(struct __test_metadata *_metadata, int fd_a, int fd_b,
			    size_t bytes, bool fin)
{
	struct xfer x;
	int ret;

	ASSERT_EQ(0, xfer_init(&x, fd_a, fd_b, bytes, fin, XFER_MS));
	ret = xfer_run(&x, bytes);
	xfer_expect_ok(_metadata, &x, ret);
	xfer_free(&x);
}

#endif /* _SELFTESTS_TCP_AUTHOPT_NETNS_LIB_H */
