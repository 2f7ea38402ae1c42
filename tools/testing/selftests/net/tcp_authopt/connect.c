// SPDX-License-Identifier: GPL-2.0
/*
 * Authenticated TCP connections with the TCP Authentication Option (RFC 5925).
 *
 * Every test builds two network namespaces, A and B, joined by a veth pair:
 *
 *	A: va 198.51.100.1/24 2001:db8::1/64  <---->  B: vb 198.51.100.2/24 2001:db8::2/64
 *
 * B listens, A connects. Both namespaces enable net.ipv4.tcp_authopt, and both
 * sockets take part in TCP-AO (TCP_AUTHOPT set before listen/connect). Each
 * test runs for both RFC 5926 algorithms and for IPv4, IPv6 and IPv4-mapped
 * IPv6 sockets (keys then bound to the IPv4 peer address, as AF_INET).
 *
 * The process moves between the namespaces with setns(): a socket stays in the
 * namespace it was created in, so one thread drives both ends of a connection
 * with non-blocking sockets and poll(). Everything has a deadline: a kernel
 * that loses segments fails a test instead of hanging it.
 *
 * Needs root, ip(8) and CONFIG_VETH.
 */
#define _GNU_SOURCE
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
#define ALL_SOCKETS_PATH "/proc/sys/net/ipv4/tcp_authopt_all_sockets"

#define ADDR4_A		"198.51.100.1"
#define ADDR4_B		"198.51.100.2"
#define ADDR6_A		"2001:db8::1"
#define ADDR6_B		"2001:db8::2"
#define MAPPED_A	"::ffff:" ADDR4_A
#define MAPPED_B	"::ffff:" ADDR4_B
#define PORT		179

/* The key ids of the tests: A sends with 7 and receives with 9, B the reverse. */
#define ID_A		7
#define ID_B		9
#define SECRET		"tcp-ao connect selftest"
#define WRONG_SECRET	"tcp-ao connect selftesT"

#define XFER_BYTES	(16u << 20)	/* per direction */
#define PLAIN_BYTES	(256u << 10)
#define CHUNK		(256u << 10)

/* Deadlines (ms). Kept so that a whole test stays well under 20 s. */
#define CONNECT_MS	5000	/* a connection that must come up */
#define NO_CONNECT_MS	3000	/* waiting for one that must not */
#define XFER_MS		12000
#define SOCK_TIMEO_S	5	/* SO_RCVTIMEO/SO_SNDTIMEO, in case we block */

enum { A, B };

static const char *side_name(int side)
{
	return side == A ? "A" : "B";
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

static int sysctl_write(const char *path, const char *val)
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

static int sysctl_enable(void)
{
	return sysctl_write(SYSCTL_PATH, "1");
}

/* The value of a 0/1 sysctl of the current namespace, or -errno. */
static int sysctl_read(const char *path)
{
	char buf[8] = "";
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (ret <= 0)
		return ret < 0 ? -errno : -EIO;
	return atoi(buf);
}

/* Addresses, link up and the sysctl, in the current namespace. */
static int side_setup(const char *dev, const char *addr4, const char *addr6)
{
	int ret;

	ret = ip_batch("link set lo up\n"
		       "addr add %s/24 dev %s\n"
		       "addr add %s/64 dev %s nodad\n"
		       "link set %s up\n",
		       addr4, dev, addr6, dev, dev);
	if (ret)
		return ret;
	return sysctl_enable();
}

/*
 * Create namespaces A and B joined by veth va (in A) <-> vb (in B), both
 * configured. Returns with the process in A; ns[] holds both namespaces.
 */
static int netns_pair_setup(int ns[2])
{
	char path[64];
	int ret;

	if (unshare(CLONE_NEWNET))
		return -errno;
	ns[A] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns[A] < 0)
		return -errno;
	if (unshare(CLONE_NEWNET))
		return -errno;
	ns[B] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns[B] < 0)
		return -errno;

	/* In B now: create the pair here and hand va over to A by path. */
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", getpid(), ns[A]);
	ret = ip_batch("link add vb type veth peer name va netns %s\n", path);
	if (ret)
		return ret;
	ret = side_setup("vb", ADDR4_B, ADDR6_B);
	if (ret)
		return ret;
	ret = ns_enter(ns[A]);
	if (ret)
		return ret;
	return side_setup("va", ADDR4_A, ADDR6_A);
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

struct counters {
	long long v[C_COUNT];
};

/*
 * Read the TcpExt counter @name from an open /proc/net/netstat (the file
 * stays bound to the namespace it was opened in). The file has pairs of
 * lines, "TcpExt: Name1 Name2 ..." then "TcpExt: 1 2 ...".
 * Returns the value, or -1 when the counter does not exist.
 */
static long long tcpext_counter(int netstat_fd, const char *name)
{
	static char buf[65536];
	char *names = NULL, *values = NULL, *line, *save;
	char *nsave, *vsave, *n, *v;
	size_t len = 0;
	ssize_t ret;

	if (lseek(netstat_fd, 0, SEEK_SET))
		return -1;
	while (len < sizeof(buf) - 1) {
		ret = read(netstat_fd, buf + len, sizeof(buf) - 1 - len);
		if (ret <= 0)
			break;
		len += ret;
	}
	buf[len] = '\0';

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "TcpExt:", 7))
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

	n = strtok_r(names + 7, " ", &nsave);
	v = strtok_r(values + 7, " ", &vsave);
	while (n && v) {
		if (!strcmp(n, name))
			return strtoll(v, NULL, 10);
		n = strtok_r(NULL, " ", &nsave);
		v = strtok_r(NULL, " ", &vsave);
	}
	return -1;
}

static void counters_read(struct __test_metadata *_metadata, int netstat_fd,
			  struct counters *c)
{
	int i;

	for (i = 0; i < C_COUNT; i++) {
		c->v[i] = tcpext_counter(netstat_fd, counter_name[i]);
		ASSERT_LE(0, c->v[i]) TH_LOG("no TcpExt %s in /proc/net/netstat",
					     counter_name[i]);
	}
}

/* ------------------------------------------------------------------------ */
/* Keys, sockets, connections                                               */
/* ------------------------------------------------------------------------ */

/* Fill a socket address from a numeric IPv4 or IPv6 string. */
static socklen_t sockaddr_fill(struct sockaddr_storage *ss, const char *str, int port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(str, ':')) {
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
 * Add a key to the current namespace, bound to the peer address @peer (its
 * family is the key's). The namespace-wide key goes in through a socket of
 * the same family that is closed right after.
 */
static int key_add(int alg, int send_id, int recv_id, const char *secret,
		   const char *peer)
{
	struct tcp_authopt_key key;
	struct sockaddr_storage ss;
	int fd, ret = 0;

	memset(&key, 0, sizeof(key));
	key.flags = TCP_AUTHOPT_KEY_ADDR_BIND;
	key.send_id = send_id;
	key.recv_id = recv_id;
	key.alg = alg;
	key.keylen = strlen(secret);
	memcpy(key.key, secret, key.keylen);
	sockaddr_fill(&ss, peer, 0);
	memcpy(&key.addr, &ss, sizeof(ss));

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT_KEY, &key, sizeof(key)))
		ret = -errno;
	close(fd);
	return ret;
}

static int authopt_set(int fd, __u32 flags)
{
	struct tcp_authopt opt = { .flags = flags };

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

/* tcp_socket() flags for a socket that never uses the TCP-AO options. */
#define UNTOUCHED	(~0u)

/*
 * A non-blocking TCP socket in the current namespace that takes part in
 * TCP-AO (TCP_AUTHOPT with @flags), unless @flags is UNTOUCHED. AF_INET6
 * sockets accept IPv4-mapped peers. Returns the fd or -errno.
 */
static int tcp_socket(int family, __u32 authopt_flags)
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
		goto err;
	if (authopt_flags == UNTOUCHED)
		return fd;
	ret = authopt_set(fd, authopt_flags);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
err:
	ret = -errno;
	close(fd);
	return ret;
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

/* Connect non-blocking @fd: 0 once established, -ETIMEDOUT or the error. */
static int connect_wait(int fd, const struct sockaddr_storage *ss, socklen_t len,
			int timeout_ms)
{
	socklen_t errlen = sizeof(int);
	int ret, err = 0;

	if (connect(fd, (const struct sockaddr *)ss, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	ret = wait_fd(fd, POLLOUT, timeout_ms);
	if (ret <= 0)
		return ret ? ret : -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen))
		return -errno;
	return -err;
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

struct xfer_bufs {
	unsigned char *out, *in, *expect;
};

/* Send what the socket takes now; shut the direction down when done. */
static int xfer_send(struct xfer_end *e, size_t bytes, struct xfer_bufs *b)
{
	size_t len = bytes - e->sent < CHUNK ? bytes - e->sent : CHUNK;
	ssize_t ret;

	if (e->shut)
		return 0;
	if (len) {
		stream_fill(e->send_seed, e->sent, b->out, len);
		ret = send(e->fd, b->out, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (ret < 0)
			return errno == EAGAIN ? 0 : -errno;
		e->sent += ret;
	}
	if (e->sent == bytes) {
		if (shutdown(e->fd, SHUT_WR))
			return -errno;
		e->shut = true;
	}
	return 0;
}

/* Receive what is queued and compare it with the expected stream. */
static int xfer_recv(struct xfer_end *e, size_t bytes, struct xfer_bufs *b)
{
	ssize_t ret;

	ret = recv(e->fd, b->in, CHUNK, MSG_DONTWAIT);
	if (ret < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (ret == 0) {
		e->eof = true;
		return e->rcvd == bytes ? 0 : -EPIPE;
	}
	if (e->rcvd + ret > bytes)
		return -E2BIG;
	stream_fill(e->recv_seed, e->rcvd, b->expect, ret);
	if (memcmp(b->in, b->expect, ret))
		return -EBADMSG;
	e->rcvd += ret;
	return 0;
}

/*
 * Send @bytes from each end to the other at the same time, check every byte
 * and the FIN that follows. Returns 0, or -errno with end[] telling how far
 * it got (-ETIMEDOUT after @timeout_ms).
 */
static int transfer(struct xfer_end end[2], size_t bytes, int timeout_ms)
{
	struct xfer_bufs b;
	struct timespec t0, t;
	int i, ret = 0;

	b.out = malloc(CHUNK);
	b.in = malloc(CHUNK);
	b.expect = malloc(CHUNK);
	if (!b.out || !b.in || !b.expect) {
		ret = -ENOMEM;
		goto out;
	}
	end[A].send_seed = 0xa0a0a0a0u;
	end[B].recv_seed = 0xa0a0a0a0u;
	end[B].send_seed = 0xb0b0b0b0u;
	end[A].recv_seed = 0xb0b0b0b0u;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	while (!(end[A].shut && end[A].eof && end[B].shut && end[B].eof)) {
		struct pollfd pfd[2];
		long elapsed;

		clock_gettime(CLOCK_MONOTONIC, &t);
		elapsed = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (elapsed >= timeout_ms) {
			ret = -ETIMEDOUT;
			goto out;
		}
		for (i = 0; i < 2; i++) {
			pfd[i].fd = end[i].fd;
			pfd[i].events = (end[i].shut ? 0 : POLLOUT) | (end[i].eof ? 0 : POLLIN);
			pfd[i].revents = 0;
			if (!pfd[i].events)
				pfd[i].fd = -1;
		}
		ret = poll(pfd, 2, timeout_ms - elapsed);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			goto out;
		}
		ret = 0;
		for (i = 0; i < 2 && !ret; i++) {
			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
				ret = xfer_recv(&end[i], bytes, &b);
			if (!ret && (pfd[i].revents & (POLLOUT | POLLERR)))
				ret = xfer_send(&end[i], bytes, &b);
		}
		if (ret)
			goto out;
	}
out:
	free(b.out);
	free(b.in);
	free(b.expect);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Fixture                                                                  */
/* ------------------------------------------------------------------------ */

FIXTURE(conn) {
	int ns[2];
	int netstat[2];		/* /proc/net/netstat of each namespace */
	int listener;		/* in B */
	int client;		/* in A */
	int server;		/* accepted in B */
	bool untouched;		/* A's client never uses the TCP-AO options */
	bool md5;		/* both sockets also have a TCP-MD5 key */
	struct counters before[2];
};

FIXTURE_VARIANT(conn) {
	int alg;
	int family;		/* of the sockets */
	const char *sock_addr[2];	/* socket address of each side */
	const char *key_addr[2];	/* address the keys of each side bind to */
};

FIXTURE_VARIANT_ADD(conn, hmac_sha1_ipv4) {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	.family = AF_INET,
	.sock_addr = { ADDR4_A, ADDR4_B },
	.key_addr = { ADDR4_A, ADDR4_B },
};

FIXTURE_VARIANT_ADD(conn, hmac_sha1_ipv6) {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	.family = AF_INET6,
	.sock_addr = { ADDR6_A, ADDR6_B },
	.key_addr = { ADDR6_A, ADDR6_B },
};

FIXTURE_VARIANT_ADD(conn, hmac_sha1_mapped) {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	.family = AF_INET6,
	.sock_addr = { MAPPED_A, MAPPED_B },
	.key_addr = { ADDR4_A, ADDR4_B },
};

FIXTURE_VARIANT_ADD(conn, aes_cmac_ipv4) {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	.family = AF_INET,
	.sock_addr = { ADDR4_A, ADDR4_B },
	.key_addr = { ADDR4_A, ADDR4_B },
};

FIXTURE_VARIANT_ADD(conn, aes_cmac_ipv6) {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	.family = AF_INET6,
	.sock_addr = { ADDR6_A, ADDR6_B },
	.key_addr = { ADDR6_A, ADDR6_B },
};

FIXTURE_VARIANT_ADD(conn, aes_cmac_mapped) {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	.family = AF_INET6,
	.sock_addr = { MAPPED_A, MAPPED_B },
	.key_addr = { ADDR4_A, ADDR4_B },
};

FIXTURE_SETUP(conn)
{
	int i, ret;

	self->ns[A] = -1;
	self->ns[B] = -1;
	self->netstat[A] = -1;
	self->netstat[B] = -1;
	self->listener = -1;
	self->client = -1;
	self->server = -1;

	ret = netns_pair_setup(self->ns);
	ASSERT_EQ(0, ret) TH_LOG("namespaces and veth setup: %s", strerror(-ret));
	for (i = A; i <= B; i++) {
		ASSERT_EQ(0, ns_enter(self->ns[i]));
		self->netstat[i] = open("/proc/self/net/netstat", O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, self->netstat[i]) TH_LOG("/proc/net/netstat: %m");
		counters_read(_metadata, self->netstat[i], &self->before[i]);
	}
}

FIXTURE_TEARDOWN(conn)
{
	int fds[] = { self->server, self->client, self->listener,
		      self->netstat[A], self->netstat[B], self->ns[A], self->ns[B] };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Keys of side @side (and its peer's address) for this variant. */
static int add_key_on(struct _test_data_conn *self, const struct _fixture_variant_conn *variant,
		      int side, const char *secret)
{
	int ret = ns_enter(self->ns[side]);

	if (ret)
		return ret;
	if (side == A)
		return key_add(variant->alg, ID_A, ID_B, secret, variant->key_addr[B]);
	return key_add(variant->alg, ID_B, ID_A, secret, variant->key_addr[A]);
}

/* A TCP-MD5 (RFC 2385) key on socket @fd for peer @peer. */
static int md5_set(int fd, const char *peer)
{
	struct tcp_md5sig md5 = { .tcpm_keylen = sizeof(SECRET) - 1 };
	struct sockaddr_storage ss;

	sockaddr_fill(&ss, peer, 0);
	memcpy(&md5.tcpm_addr, &ss, sizeof(ss));
	memcpy(md5.tcpm_key, SECRET, sizeof(SECRET) - 1);
	if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5)))
		return -errno;
	return 0;
}

/* B listens on PORT, with TCP_AUTHOPT @flags. */
static int listen_on_b(struct _test_data_conn *self, const struct _fixture_variant_conn *variant,
		       __u32 flags)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ret;

	ret = ns_enter(self->ns[B]);
	if (ret)
		return ret;
	fd = tcp_socket(variant->family, flags);
	if (fd < 0)
		return fd;
	self->listener = fd;
	if (self->md5) {
		ret = md5_set(fd, variant->sock_addr[A]);
		if (ret)
			return ret;
	}
	len = sockaddr_fill(&ss, variant->sock_addr[B], PORT);
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 8))
		return -errno;
	return 0;
}

/* A connects to B: 0 once established, else -ETIMEDOUT or the error. */
static int connect_from_a(struct _test_data_conn *self, const struct _fixture_variant_conn *variant,
			  int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ret;

	ret = ns_enter(self->ns[A]);
	if (ret)
		return ret;
	fd = tcp_socket(variant->family, self->untouched ? UNTOUCHED : 0);
	if (fd < 0)
		return fd;
	self->client = fd;
	if (self->md5) {
		ret = md5_set(fd, variant->sock_addr[B]);
		if (ret)
			return ret;
	}
	len = sockaddr_fill(&ss, variant->sock_addr[B], PORT);
	return connect_wait(fd, &ss, len, timeout_ms);
}

/* Counter @c of side @side moved by exactly @delta since the setup. */
static long long counter_delta(struct __test_metadata *_metadata,
			       struct _test_data_conn *self, int side, int c)
{
	long long now = tcpext_counter(self->netstat[side], counter_name[c]);

	EXPECT_LE(0, now) TH_LOG("no TcpExt %s", counter_name[c]);
	return now - self->before[side].v[c];
}

static void expect_counters_unchanged(struct __test_metadata *_metadata,
				      struct _test_data_conn *self)
{
	int side, c;

	for (side = A; side <= B; side++) {
		for (c = 0; c < C_COUNT; c++) {
			const char *name = counter_name[c];

			EXPECT_EQ(0, counter_delta(_metadata, self, side, c))
				TH_LOG("%s: %s", side_name(side), name);
		}
	}
}

/* The connection must not come up: A does not connect, B accepts nothing. */
static void expect_no_connection(struct __test_metadata *_metadata,
				 struct _test_data_conn *self,
				 const struct _fixture_variant_conn *variant)
{
	int ret;

	ret = connect_from_a(self, variant, NO_CONNECT_MS);
	EXPECT_NE(0, ret) TH_LOG("A connected to B");
	ret = accept_wait(self->listener, 0);
	EXPECT_GT(0, ret) TH_LOG("B accepted a connection");
	if (ret >= 0)
		close(ret);
}

/* Connect A to B and accept the connection: ASSERTs on failure. */
static void establish(struct __test_metadata *_metadata, struct _test_data_conn *self,
		      const struct _fixture_variant_conn *variant)
{
	int ret;

	ret = connect_from_a(self, variant, CONNECT_MS);
	ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
	self->server = accept_wait(self->listener, CONNECT_MS);
	ASSERT_LE(0, self->server) TH_LOG("accept: %s", strerror(-self->server));
}

static void transfer_check(struct __test_metadata *_metadata, struct _test_data_conn *self,
			   size_t bytes)
{
	struct xfer_end end[2] = {
		[A] = { .fd = self->client },
		[B] = { .fd = self->server },
	};
	int ret;

	ret = transfer(end, bytes, XFER_MS);
	EXPECT_EQ(0, ret) TH_LOG("transfer of %zu bytes each way: %s; "
				 "A sent %zu got %zu%s, B sent %zu got %zu%s",
				 bytes, strerror(-ret), end[A].sent, end[A].rcvd,
				 end[A].eof ? " +FIN" : "", end[B].sent, end[B].rcvd,
				 end[B].eof ? " +FIN" : "");
}

/*
 * Matching keys: 16 MiB each way at the same time, every byte checked; both
 * ends are authenticated with the peer's key and nothing was dropped.
 */
TEST_F_TIMEOUT(conn, transfer, 20)
{
	struct tcp_authopt opt[2];
	int side, fd[2];

	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, SECRET));
	ASSERT_EQ(0, listen_on_b(self, variant, 0));
	establish(_metadata, self, variant);

	transfer_check(_metadata, self, XFER_BYTES);

	fd[A] = self->client;
	fd[B] = self->server;
	for (side = A; side <= B; side++) {
		int me = side == A ? ID_A : ID_B, peer = side == A ? ID_B : ID_A;

		ASSERT_EQ(0, authopt_get(fd[side], &opt[side]));
		EXPECT_TRUE(!!(opt[side].flags & TCP_AUTHOPT_FLAG_ACTIVE))
			TH_LOG("%s: flags 0x%x", side_name(side), opt[side].flags);
		EXPECT_EQ(me, opt[side].send_keyid) TH_LOG("%s", side_name(side));
		EXPECT_EQ(peer, opt[side].recv_keyid) TH_LOG("%s", side_name(side));
		/* The peer asks for the key it receives with: ours. */
		EXPECT_EQ(me, opt[side].recv_rnextkeyid) TH_LOG("%s", side_name(side));
	}
	expect_counters_unchanged(_metadata, self);
}

/* Same ids, different key bytes: B drops A's SYN for its MAC. */
TEST_F(conn, wrong_key)
{
	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, WRONG_SECRET));
	ASSERT_EQ(0, listen_on_b(self, variant, 0));

	expect_no_connection(_metadata, self, variant);
	EXPECT_LT(0, counter_delta(_metadata, self, B, C_FAILURE));
	/* KeyID 7 is one of B's receive ids: only the MAC is wrong. */
	EXPECT_EQ(0, counter_delta(_metadata, self, B, C_KEYNOTFOUND));
}

/*
 * Only A has a key. B, taking part but with no key for A, accepts the signed
 * SYN as plain TCP (RFC 5925 7.3) and answers unsigned; A requires TCP-AO
 * from B and drops that SYN-ACK.
 */
TEST_F(conn, missing_key_server)
{
	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, listen_on_b(self, variant, 0));

	expect_no_connection(_metadata, self, variant);
	EXPECT_LT(0, counter_delta(_metadata, self, A, C_REQUIRED));
	/* Without REJECT_UNEXPECTED, B has nothing to count. */
	EXPECT_EQ(0, counter_delta(_metadata, self, B, C_UNEXPECTED));
	EXPECT_EQ(0, counter_delta(_metadata, self, B, C_FAILURE));
}

/* Only A has a key and B's listener rejects TCP-AO it has no key for. */
TEST_F(conn, reject_unexpected)
{
	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, listen_on_b(self, variant, TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED));

	expect_no_connection(_metadata, self, variant);
	EXPECT_LT(0, counter_delta(_metadata, self, B, C_UNEXPECTED));
	/* B drops the SYN silently: A gets no unsigned reply to count. */
	EXPECT_EQ(0, counter_delta(_metadata, self, A, C_REQUIRED));
}

/* Both take part but there are no keys: plain TCP, not authenticated. */
TEST_F(conn, no_keys_plain)
{
	struct tcp_authopt opt;

	ASSERT_EQ(0, listen_on_b(self, variant, 0));
	establish(_metadata, self, variant);

	transfer_check(_metadata, self, PLAIN_BYTES);

	ASSERT_EQ(0, authopt_get(self->client, &opt));
	EXPECT_FALSE(!!(opt.flags & TCP_AUTHOPT_FLAG_ACTIVE)) TH_LOG("A: flags 0x%x", opt.flags);
	ASSERT_EQ(0, authopt_get(self->server, &opt));
	EXPECT_FALSE(!!(opt.flags & TCP_AUTHOPT_FLAG_ACTIVE)) TH_LOG("B: flags 0x%x", opt.flags);
	expect_counters_unchanged(_metadata, self);
}

/*
 * TCP-MD5 and TCP-AO keys both match the peer: TCP-AO is used on both ends
 * (RFC 5925 7.6) and the MD5 checks do not get in the way.
 */
TEST_F(conn, md5_and_ao)
{
	static const char * const md5_counters[] = {
		"TCPMD5NotFound", "TCPMD5Unexpected", "TCPMD5Failure",
	};
	long long md5_before[2][ARRAY_SIZE(md5_counters)];
	struct tcp_authopt opt;
	size_t i;
	int side;

	for (side = A; side <= B; side++) {
		for (i = 0; i < ARRAY_SIZE(md5_counters); i++) {
			md5_before[side][i] = tcpext_counter(self->netstat[side], md5_counters[i]);
			ASSERT_LE(0, md5_before[side][i]) TH_LOG("no TcpExt %s", md5_counters[i]);
		}
	}
	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, SECRET));
	self->md5 = true;
	ASSERT_EQ(0, listen_on_b(self, variant, 0));
	establish(_metadata, self, variant);

	transfer_check(_metadata, self, PLAIN_BYTES);

	ASSERT_EQ(0, authopt_get(self->client, &opt));
	EXPECT_TRUE(!!(opt.flags & TCP_AUTHOPT_FLAG_ACTIVE)) TH_LOG("A: flags 0x%x", opt.flags);
	ASSERT_EQ(0, authopt_get(self->server, &opt));
	EXPECT_TRUE(!!(opt.flags & TCP_AUTHOPT_FLAG_ACTIVE)) TH_LOG("B: flags 0x%x", opt.flags);
	EXPECT_EQ(ID_A, opt.recv_keyid);
	expect_counters_unchanged(_metadata, self);
	for (side = A; side <= B; side++)
		for (i = 0; i < ARRAY_SIZE(md5_counters); i++)
			EXPECT_EQ(md5_before[side][i],
				  tcpext_counter(self->netstat[side], md5_counters[i]))
				TH_LOG("%s: %s", side_name(side), md5_counters[i]);
}

/*
 * TCP Fast Open: the data in A's SYN is signed with the SYN's traffic key
 * and B, accepting it before the handshake completes, verifies it.
 */
TEST_F(conn, fastopen)
{
	static const char msg[] = "data in the SYN";
	long long passive, active;
	struct sockaddr_storage ss;
	struct tcp_authopt opt;
	char buf[sizeof(msg)];
	int qlen = 8, ret;
	socklen_t len;

	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, SECRET));
	/* B: server, no cookie needed; A: client, no cookie needed. */
	ASSERT_EQ(0, ns_enter(self->ns[B]));
	ASSERT_EQ(0, sysctl_write("/proc/sys/net/ipv4/tcp_fastopen", "514"));
	passive = tcpext_counter(self->netstat[B], "TCPFastOpenPassive");
	ASSERT_LE(0, passive);
	ASSERT_EQ(0, listen_on_b(self, variant, 0));
	ASSERT_EQ(0, setsockopt(self->listener, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)));
	ASSERT_EQ(0, ns_enter(self->ns[A]));
	ASSERT_EQ(0, sysctl_write("/proc/sys/net/ipv4/tcp_fastopen", "5"));
	active = tcpext_counter(self->netstat[A], "TCPFastOpenActive");
	ASSERT_LE(0, active);

	self->client = tcp_socket(variant->family, 0);
	ASSERT_LE(0, self->client);
	len = sockaddr_fill(&ss, variant->sock_addr[B], PORT);
	ret = sendto(self->client, msg, sizeof(msg), MSG_FASTOPEN, (struct sockaddr *)&ss, len);
	ASSERT_EQ((ssize_t)sizeof(msg), ret) TH_LOG("sendto(MSG_FASTOPEN): %m");
	self->server = accept_wait(self->listener, CONNECT_MS);
	ASSERT_LE(0, self->server) TH_LOG("accept: %s", strerror(-self->server));
	ASSERT_EQ(1, wait_fd(self->server, POLLIN, CONNECT_MS));
	ASSERT_EQ((ssize_t)sizeof(msg), recv(self->server, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(msg, buf, sizeof(msg)));
	/* The data really came in the SYN. */
	EXPECT_EQ(active + 1, tcpext_counter(self->netstat[A], "TCPFastOpenActive"));
	EXPECT_EQ(passive + 1, tcpext_counter(self->netstat[B], "TCPFastOpenPassive"));

	ASSERT_EQ(1, wait_fd(self->client, POLLOUT, CONNECT_MS));
	transfer_check(_metadata, self, PLAIN_BYTES);
	ASSERT_EQ(0, authopt_get(self->client, &opt));
	EXPECT_TRUE(!!(opt.flags & TCP_AUTHOPT_FLAG_ACTIVE)) TH_LOG("A: flags 0x%x", opt.flags);
	ASSERT_EQ(0, authopt_get(self->server, &opt));
	EXPECT_TRUE(!!(opt.flags & TCP_AUTHOPT_FLAG_ACTIVE)) TH_LOG("B: flags 0x%x", opt.flags);
	expect_counters_unchanged(_metadata, self);
}

/* net.ipv4.tcp_authopt_all_sockets on both sides, applications untouched. */
static void all_sockets_on(struct __test_metadata *_metadata, struct _test_data_conn *self)
{
	int side;

	for (side = A; side <= B; side++) {
		ASSERT_EQ(0, ns_enter(self->ns[side]));
		/* Off by default. */
		ASSERT_EQ(0, sysctl_read(ALL_SOCKETS_PATH)) TH_LOG("%s", side_name(side));
		ASSERT_EQ(0, sysctl_write(ALL_SOCKETS_PATH, "1")) TH_LOG("%s", side_name(side));
	}
	self->untouched = true;
}

/*
 * Netns-wide mode: neither the client nor the listener ever used the
 * options, yet the connection is authenticated with the operator's keys.
 */
TEST_F(conn, all_sockets)
{
	struct tcp_authopt opt;

	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, SECRET));
	all_sockets_on(_metadata, self);
	ASSERT_EQ(0, listen_on_b(self, variant, UNTOUCHED));
	establish(_metadata, self, variant);

	transfer_check(_metadata, self, PLAIN_BYTES);

	ASSERT_EQ(0, authopt_get(self->client, &opt));
	EXPECT_TRUE(!!(opt.flags & TCP_AUTHOPT_FLAG_ACTIVE)) TH_LOG("A: flags 0x%x", opt.flags);
	EXPECT_EQ(ID_A, opt.send_keyid);
	ASSERT_EQ(0, authopt_get(self->server, &opt));
	EXPECT_TRUE(!!(opt.flags & TCP_AUTHOPT_FLAG_ACTIVE)) TH_LOG("B: flags 0x%x", opt.flags);
	EXPECT_EQ(ID_B, opt.send_keyid);
	expect_counters_unchanged(_metadata, self);
}

/* Netns-wide mode really protects: a wrong key on B, no connection. */
TEST_F(conn, all_sockets_wrong_key)
{
	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, WRONG_SECRET));
	all_sockets_on(_metadata, self);
	ASSERT_EQ(0, listen_on_b(self, variant, UNTOUCHED));

	expect_no_connection(_metadata, self, variant);
	EXPECT_LT(0, counter_delta(_metadata, self, B, C_FAILURE));
}

/* Without the mode, untouched sockets run plain TCP even with keys around. */
TEST_F(conn, all_sockets_off)
{
	struct tcp_authopt opt;

	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, SECRET));
	self->untouched = true;
	ASSERT_EQ(0, listen_on_b(self, variant, UNTOUCHED));
	establish(_metadata, self, variant);

	transfer_check(_metadata, self, PLAIN_BYTES);

	/* Not taking part: TCP_AUTHOPT reads back nothing at all. */
	ASSERT_EQ(0, authopt_get(self->client, &opt));
	EXPECT_EQ(0, opt.flags);
	expect_counters_unchanged(_metadata, self);
}

TEST_HARNESS_MAIN
