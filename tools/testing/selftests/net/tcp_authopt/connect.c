// SPDX-License-Identifier: GPL-2.0
/*
 * Authenticated TCP connections with the TCP Authentication Option (RFC 5925).
 *
 * Every test builds two network namespaces, A and B, joined by a veth pair:
 *
 *	A: va 198.51.100.1/24 2001:db8::1/64  <---->  B: vb 198.51.100.2/24 2001:db8::2/64
 *
 * B listens, A connects. net.ipv4.tcp_authopt is enabled and both sockets
 * take part in TCP-AO (TCP_AUTHOPT set before listen/connect). Each test runs
 * for both RFC 5926 algorithms and for IPv4, IPv6 and IPv4-mapped IPv6
 * sockets (keys then bound to the IPv4 peer address, as AF_INET), and for
 * keys bound to the IPv4-mapped form of the peer (::ffff:a.b.c.d, which
 * names the IPv4 peer) with an IPv4 socket on one side and an IPv6 one on
 * the other: an IPv6 listener accepting an IPv4 client (HMAC-SHA-1), and an
 * IPv6 client connecting to an IPv4 server through the mapped address
 * (AES-128-CMAC).
 *
 * The process moves between the namespaces with setns(): a socket stays in the
 * namespace it was created in, so one thread drives both ends of a connection
 * with non-blocking sockets and poll(). Everything has a deadline: a kernel
 * that loses segments fails a test instead of hanging it.
 *
 * Needs root, ip(8) and CONFIG_VETH.
 */
#define _GNU_SOURCE
#include "netns_lib.h"

#define ALL_SOCKETS_PATH "/proc/sys/net/ipv4/tcp_authopt_all_sockets"

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

/* Waiting for a connection that must not come up (ms). */
#define NO_CONNECT_MS	3000

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

/* ------------------------------------------------------------------------ */
/* Fixture                                                                  */
/* ------------------------------------------------------------------------ */

FIXTURE(conn) {
	struct env e;
	int listener;		/* in B */
	int client;		/* in A */
	int server;		/* accepted in B */
	bool untouched;		/* A's client never uses the TCP-AO options */
	bool md5;		/* both sockets also have a TCP-MD5 key */
};

FIXTURE_VARIANT(conn) {
	int alg;
	int family[2];		/* of each side's sockets */
	const char *bind_b;	/* B's listening address */
	/* The other side's address, as the sockets of each side name it. */
	const char *peer[2];
	const char *key_addr[2];	/* address the keys of each side bind to */
};

FIXTURE_VARIANT_ADD(conn, hmac_sha1_ipv4) {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	.family = { AF_INET, AF_INET },
	.bind_b = ADDR4_B,
	.peer = { ADDR4_B, ADDR4_A },
	.key_addr = { ADDR4_A, ADDR4_B },
};

FIXTURE_VARIANT_ADD(conn, hmac_sha1_ipv6) {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	.family = { AF_INET6, AF_INET6 },
	.bind_b = ADDR6_B,
	.peer = { ADDR6_B, ADDR6_A },
	.key_addr = { ADDR6_A, ADDR6_B },
};

FIXTURE_VARIANT_ADD(conn, hmac_sha1_mapped) {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	.family = { AF_INET6, AF_INET6 },
	.bind_b = MAPPED_B,
	.peer = { MAPPED_B, MAPPED_A },
	.key_addr = { ADDR4_A, ADDR4_B },
};

FIXTURE_VARIANT_ADD(conn, aes_cmac_ipv4) {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	.family = { AF_INET, AF_INET },
	.bind_b = ADDR4_B,
	.peer = { ADDR4_B, ADDR4_A },
	.key_addr = { ADDR4_A, ADDR4_B },
};

FIXTURE_VARIANT_ADD(conn, aes_cmac_ipv6) {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	.family = { AF_INET6, AF_INET6 },
	.bind_b = ADDR6_B,
	.peer = { ADDR6_B, ADDR6_A },
	.key_addr = { ADDR6_A, ADDR6_B },
};

FIXTURE_VARIANT_ADD(conn, aes_cmac_mapped) {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	.family = { AF_INET6, AF_INET6 },
	.bind_b = MAPPED_B,
	.peer = { MAPPED_B, MAPPED_A },
	.key_addr = { ADDR4_A, ADDR4_B },
};

/*
 * Keys bound to ::ffff:a.b.c.d, an IPv4 socket on one side and an IPv6 one on
 * the other (one algorithm each: the address handling does not depend on it).
 * A: IPv4 client, B: IPv6 listener.
 */
FIXTURE_VARIANT_ADD(conn, hmac_sha1_mapped_key_v6_listener) {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	.family = { AF_INET, AF_INET6 },
	.bind_b = MAPPED_B,
	.peer = { ADDR4_B, MAPPED_A },
	.key_addr = { MAPPED_A, MAPPED_B },
};

/* A: IPv6 client connecting to ::ffff:B, B: IPv4 listener. */
FIXTURE_VARIANT_ADD(conn, aes_cmac_mapped_key_v6_client) {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	.family = { AF_INET6, AF_INET },
	.bind_b = ADDR4_B,
	.peer = { MAPPED_B, ADDR4_A },
	.key_addr = { MAPPED_A, MAPPED_B },
};

FIXTURE_SETUP(conn)
{
	self->listener = -1;
	self->client = -1;
	self->server = -1;
	env_setup(_metadata, &self->e, netns_pair_setup, C_COUNT);
}

FIXTURE_TEARDOWN(conn)
{
	int fds[] = { self->server, self->client, self->listener };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	env_teardown(&self->e);
}

/* Keys of side @side (and its peer's address) for this variant. */
static int add_key_on(struct _test_data_conn *self, const struct _fixture_variant_conn *variant,
		      int side, const char *secret)
{
	int ret = ns_enter(self->e.ns[side]);

	if (ret)
		return ret;
	if (side == A)
		return key_add(variant->alg, ID_A, ID_B, secret, variant->key_addr[B]);
	return key_add(variant->alg, ID_B, ID_A, secret, variant->key_addr[A]);
}

/* B listens on PORT, with TCP_AUTHOPT @flags. */
static int listen_on_b(struct _test_data_conn *self, const struct _fixture_variant_conn *variant,
		       __u32 flags)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ret;

	ret = ns_enter(self->e.ns[B]);
	if (ret)
		return ret;
	fd = tcp_socket(variant->family[B], flags);
	if (fd < 0)
		return fd;
	self->listener = fd;
	if (self->md5) {
		ret = md5_set(fd, variant->peer[B], SECRET);
		if (ret)
			return ret;
	}
	len = sockaddr_fill(&ss, variant->bind_b, PORT);
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 8))
		return -errno;
	return 0;
}

/* A's client socket, not connected yet: 0 or -errno. */
static int client_a(struct _test_data_conn *self, const struct _fixture_variant_conn *variant)
{
	int fd, ret;

	ret = ns_enter(self->e.ns[A]);
	if (ret)
		return ret;
	fd = tcp_socket(variant->family[A], self->untouched ? UNTOUCHED : 0);
	if (fd < 0)
		return fd;
	self->client = fd;
	return self->md5 ? md5_set(fd, variant->peer[A], SECRET) : 0;
}

/* The connection must not come up: A does not connect, B accepts nothing. */
static void expect_no_connection_from_a(struct __test_metadata *_metadata,
					struct _test_data_conn *self,
					const struct _fixture_variant_conn *variant)
{
	ASSERT_EQ(0, client_a(self, variant));
	expect_no_connection(_metadata, self->client, self->listener, variant->peer[A], PORT,
			     NO_CONNECT_MS);
}

/* Connect A to B and accept the connection: ASSERTs on failure. */
static void establish(struct __test_metadata *_metadata, struct _test_data_conn *self,
		      const struct _fixture_variant_conn *variant)
{
	ASSERT_EQ(0, client_a(self, variant));
	self->server = connect_accept(_metadata, self->client, self->listener,
				      variant->peer[A], PORT);
}

/* @bytes each way at the same time, every byte checked, then both FINs. */
static void transfer_check(struct __test_metadata *_metadata, struct _test_data_conn *self,
			   size_t bytes)
{
	struct xfer x;

	ASSERT_EQ(0, xfer_init(&x, self->client, self->server, bytes, true, XFER_MS));
	xfer_expect_ok(_metadata, &x, xfer_run(&x, SIZE_MAX));
	xfer_free(&x);
}

/*
 * Matching keys: 16 MiB each way at the same time, every byte checked; both
 * ends are authenticated with the peer's key and nothing was dropped.
 */
TEST_F_TIMEOUT(conn, transfer, 20)
{
	struct tcp_authopt opt;
	int side;

	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, SECRET));
	ASSERT_EQ(0, listen_on_b(self, variant, 0));
	establish(_metadata, self, variant);
	/* Right after accept(): authenticated, with the handshake's KeyIDs. */
	expect_authopt(_metadata, "B after accept", self->server, true, ID_B, ID_A);

	transfer_check(_metadata, self, xfer_scaled(XFER_BYTES));

	for (side = A; side <= B; side++) {
		int me = side == A ? ID_A : ID_B, peer = side == A ? ID_B : ID_A;
		int fd = side == A ? self->client : self->server;

		expect_authopt(_metadata, side_name(side), fd, true, me, peer);
		ASSERT_EQ(0, authopt_get(fd, &opt));
		/* The peer asks for the key it receives with: ours. */
		EXPECT_EQ(me, opt.recv_rnextkeyid) TH_LOG("%s", side_name(side));
	}
	expect_counters_unchanged(_metadata, &self->e);
}

/*
 * The option is counted in the connection's header length, as timestamps
 * and MD5 are: in-order data then takes TCP's header prediction fast path
 * on both ends (TcpExt TCPHPHits), instead of the slow path for every
 * segment.
 */
TEST_F_TIMEOUT(conn, header_prediction, 20)
{
	size_t bytes = xfer_scaled(4 << 20);
	long long hits[2];
	int side;

	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, SECRET));
	ASSERT_EQ(0, listen_on_b(self, variant, 0));
	establish(_metadata, self, variant);
	for (side = A; side <= B; side++)
		hits[side] = tcpext_counter(self->e.netstat[side], "TCPHPHits");
	transfer_check(_metadata, self, bytes);
	for (side = A; side <= B; side++) {
		long long now = tcpext_counter(self->e.netstat[side], "TCPHPHits");

		ASSERT_LE(0, hits[side]) TH_LOG("no TcpExt TCPHPHits");
		TH_LOG("%s: %lld segments took the fast path", side_name(side), now - hits[side]);
		/* Over 1 in 20 of the full segments (UML: 15-40 %; before
		 * the option was counted: none).
		 */
		EXPECT_LT(bytes / 1448 / 20, now - hits[side]) TH_LOG("%s", side_name(side));
	}
	expect_authopt(_metadata, "A", self->client, true, ID_A, ID_B);
	expect_authopt(_metadata, "B", self->server, true, ID_B, ID_A);
	expect_counters_unchanged(_metadata, &self->e);
}

/*
 * Empty master keys (keylen 0) on both sides: the connection is
 * authenticated like any other.
 */
TEST_F(conn, empty_key)
{
	ASSERT_EQ(0, add_key_on(self, variant, A, ""));
	ASSERT_EQ(0, add_key_on(self, variant, B, ""));
	ASSERT_EQ(0, listen_on_b(self, variant, 0));
	establish(_metadata, self, variant);

	transfer_check(_metadata, self, PLAIN_BYTES);

	expect_authopt(_metadata, "A", self->client, true, ID_A, ID_B);
	expect_authopt(_metadata, "B", self->server, true, ID_B, ID_A);
	expect_counters_unchanged(_metadata, &self->e);
}

/* Same ids, different key bytes: B drops A's SYN for its MAC. */
TEST_F(conn, wrong_key)
{
	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, WRONG_SECRET));
	ASSERT_EQ(0, listen_on_b(self, variant, 0));

	expect_no_connection_from_a(_metadata, self, variant);
	EXPECT_LT(0, counter_delta(_metadata, &self->e, B, C_FAILURE));
	/* KeyID 7 is one of B's receive ids: only the MAC is wrong. */
	EXPECT_EQ(0, counter_delta(_metadata, &self->e, B, C_KEYNOTFOUND));
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

	expect_no_connection_from_a(_metadata, self, variant);
	EXPECT_LT(0, counter_delta(_metadata, &self->e, A, C_REQUIRED));
	/* Without REJECT_UNEXPECTED, B has nothing to count. */
	EXPECT_EQ(0, counter_delta(_metadata, &self->e, B, C_UNEXPECTED));
	EXPECT_EQ(0, counter_delta(_metadata, &self->e, B, C_FAILURE));
}

/* Only A has a key and B's listener rejects TCP-AO it has no key for. */
TEST_F(conn, reject_unexpected)
{
	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, listen_on_b(self, variant, TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED));

	expect_no_connection_from_a(_metadata, self, variant);
	EXPECT_LT(0, counter_delta(_metadata, &self->e, B, C_UNEXPECTED));
	/* B drops the SYN silently: A gets no unsigned reply to count. */
	EXPECT_EQ(0, counter_delta(_metadata, &self->e, A, C_REQUIRED));
}

/* Both take part but there are no keys: plain TCP, not authenticated. */
TEST_F(conn, no_keys_plain)
{
	ASSERT_EQ(0, listen_on_b(self, variant, 0));
	establish(_metadata, self, variant);

	transfer_check(_metadata, self, PLAIN_BYTES);

	expect_authopt(_metadata, "A", self->client, false, -1, -1);
	expect_authopt(_metadata, "B", self->server, false, -1, -1);
	expect_counters_unchanged(_metadata, &self->e);
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
	size_t i;
	int side;

	for (side = A; side <= B; side++) {
		for (i = 0; i < ARRAY_SIZE(md5_counters); i++) {
			md5_before[side][i] =
				tcpext_counter(self->e.netstat[side], md5_counters[i]);
			ASSERT_LE(0, md5_before[side][i]) TH_LOG("no TcpExt %s", md5_counters[i]);
		}
	}
	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, SECRET));
	self->md5 = true;
	ASSERT_EQ(0, listen_on_b(self, variant, 0));
	establish(_metadata, self, variant);

	transfer_check(_metadata, self, PLAIN_BYTES);

	expect_authopt(_metadata, "A", self->client, true, -1, -1);
	expect_authopt(_metadata, "B", self->server, true, -1, ID_A);
	expect_counters_unchanged(_metadata, &self->e);
	for (side = A; side <= B; side++) {
		for (i = 0; i < ARRAY_SIZE(md5_counters); i++) {
			long long now = tcpext_counter(self->e.netstat[side], md5_counters[i]);

			EXPECT_EQ(md5_before[side][i], now)
				TH_LOG("%s: %s", side_name(side), md5_counters[i]);
		}
	}
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
	char buf[sizeof(msg)];
	int qlen = 8, ret;
	socklen_t len;

	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, SECRET));
	/* B: server, no cookie needed; A: client, no cookie needed. */
	ASSERT_EQ(0, ns_enter(self->e.ns[B]));
	ASSERT_EQ(0, sysctl_write("/proc/sys/net/ipv4/tcp_fastopen", "514"));
	passive = tcpext_counter(self->e.netstat[B], "TCPFastOpenPassive");
	ASSERT_LE(0, passive);
	ASSERT_EQ(0, listen_on_b(self, variant, 0));
	ASSERT_EQ(0, setsockopt(self->listener, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)));
	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	ASSERT_EQ(0, sysctl_write("/proc/sys/net/ipv4/tcp_fastopen", "5"));
	active = tcpext_counter(self->e.netstat[A], "TCPFastOpenActive");
	ASSERT_LE(0, active);

	self->client = tcp_socket(variant->family[A], 0);
	ASSERT_LE(0, self->client);
	len = sockaddr_fill(&ss, variant->peer[A], PORT);
	ret = sendto(self->client, msg, sizeof(msg), MSG_FASTOPEN, (struct sockaddr *)&ss, len);
	ASSERT_EQ((ssize_t)sizeof(msg), ret) TH_LOG("sendto(MSG_FASTOPEN): %m");
	self->server = accept_wait(self->listener, CONNECT_MS);
	ASSERT_LE(0, self->server) TH_LOG("accept: %s", strerror(-self->server));
	ASSERT_EQ(1, wait_fd(self->server, POLLIN, CONNECT_MS));
	ASSERT_EQ((ssize_t)sizeof(msg), recv(self->server, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(msg, buf, sizeof(msg)));
	/* The data really came in the SYN. */
	EXPECT_EQ(active + 1, tcpext_counter(self->e.netstat[A], "TCPFastOpenActive"));
	EXPECT_EQ(passive + 1, tcpext_counter(self->e.netstat[B], "TCPFastOpenPassive"));

	ASSERT_EQ(1, wait_fd(self->client, POLLOUT, CONNECT_MS));
	transfer_check(_metadata, self, PLAIN_BYTES);
	expect_authopt(_metadata, "A", self->client, true, -1, -1);
	expect_authopt(_metadata, "B", self->server, true, -1, -1);
	expect_counters_unchanged(_metadata, &self->e);
}

/* net.ipv4.tcp_authopt_all_sockets on both sides, applications untouched. */
static void all_sockets_on(struct __test_metadata *_metadata, struct _test_data_conn *self)
{
	int side;

	for (side = A; side <= B; side++) {
		ASSERT_EQ(0, ns_enter(self->e.ns[side]));
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
	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, SECRET));
	all_sockets_on(_metadata, self);
	ASSERT_EQ(0, listen_on_b(self, variant, UNTOUCHED));
	establish(_metadata, self, variant);

	transfer_check(_metadata, self, PLAIN_BYTES);

	expect_authopt(_metadata, "A", self->client, true, ID_A, -1);
	expect_authopt(_metadata, "B", self->server, true, ID_B, -1);
	expect_counters_unchanged(_metadata, &self->e);
}

/* Netns-wide mode really protects: a wrong key on B, no connection. */
TEST_F(conn, all_sockets_wrong_key)
{
	ASSERT_EQ(0, add_key_on(self, variant, A, SECRET));
	ASSERT_EQ(0, add_key_on(self, variant, B, WRONG_SECRET));
	all_sockets_on(_metadata, self);
	ASSERT_EQ(0, listen_on_b(self, variant, UNTOUCHED));

	expect_no_connection_from_a(_metadata, self, variant);
	EXPECT_LT(0, counter_delta(_metadata, &self->e, B, C_FAILURE));
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

	/* Never used the options: TCP_AUTHOPT has nothing to read back. */
	EXPECT_EQ(-ENOENT, authopt_get(self->client, &opt));
	EXPECT_EQ(-ENOENT, authopt_get(self->server, &opt));
	expect_counters_unchanged(_metadata, &self->e);
}

TEST_HARNESS_MAIN
