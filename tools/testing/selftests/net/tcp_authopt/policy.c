// SPDX-License-Identifier: GPL-2.0
/*
 * The connection policy of the TCP Authentication Option (RFC 5925): what a
 * connection runs (TCP-AO, TCP-MD5 or plain TCP) is fixed when it starts
 * and keys added or removed later never switch it; tcp_disconnect() lets
 * the socket's next connection decide again; every key that applies to a
 * connection is considered, however many there are.
 *
 * Every test builds two network namespaces, A and B, joined by a veth pair:
 *
 *	A: va 198.51.100.1/24 2001:db8::1/64  <---->  B: vb 198.51.100.2/24 2001:db8::2/64
 *
 * B listens, A connects, both enable net.ipv4.tcp_authopt and both sockets
 * take part in TCP-AO (TCP_AUTHOPT set before listen/connect, or the
 * netns-wide mode). Each test runs with HMAC-SHA-1-96 over IPv4 and with
 * AES-128-CMAC-96 over IPv6. As in connect.c, one thread drives both ends
 * with non-blocking sockets, moving between the namespaces with setns();
 * every wait has a deadline.
 *
 * Needs root, ip(8), CONFIG_VETH and CONFIG_TCP_MD5SIG.
 */
#define _GNU_SOURCE
#include "netns_lib.h"

#define ALL_SOCKETS_PATH	"/proc/sys/net/ipv4/tcp_authopt_all_sockets"

#define PORT		179
#define PORT2		180

/* The key ids of the two-key tests: A sends with 7 and receives with 9. */
#define ID_A		7
#define ID_B		9
#define SECRET		"tcp-ao policy selftest"
#define MD5_SECRET	"tcp-md5 policy selftest"

#define SMALL_BYTES	(64u << 10)	/* per direction */
#define XFER_BYTES	(1024u << 10)
#define PROBE_BYTES	1024

/* Deadline for a drop counter that must move (ms). */
#define DROP_MS		3000

#define CHAIN_KEYS	10
#define MANY_KEYS	40
#define DAY		86400

/* ------------------------------------------------------------------------ */
/* Test parameters                                                          */
/* ------------------------------------------------------------------------ */

struct params {
	int alg;
	const char *addr[2];	/* of A and of B */
	const char *subnet;	/* B's and A's subnet */
	int subnet_len;
	const char *wide;	/* a shorter prefix that covers the subnet */
	int wide_len;
};

#define PARAMS_IPV4 \
	.addr = { ADDR4_A, ADDR4_B }, \
	.subnet = "198.51.100.0", .subnet_len = 24, \
	.wide = "198.51.0.0", .wide_len = 16

#define PARAMS_IPV6 \
	.addr = { ADDR6_A, ADDR6_B }, \
	.subnet = "2001:db8::", .subnet_len = 64, \
	.wide = "2001:db8::", .wide_len = 32

static const struct params sha1_ipv4 = {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96, PARAMS_IPV4,
};

static const struct params cmac_ipv6 = {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96, PARAMS_IPV6,
};

static int params_family(const struct params *p)
{
	return addr_family(p->addr[A]);
}

/* ------------------------------------------------------------------------ */
/* Fixture                                                                  */
/* ------------------------------------------------------------------------ */

/* TcpExt counters beyond netns_lib.h's: MD5's, and the newer BadMAC one. */
enum { M_NOTFOUND, M_UNEXPECTED, M_FAILURE, M_BADMAC, M_COUNT };

static const char * const more_name[M_COUNT] = {
	[M_NOTFOUND] = "TCPMD5NotFound",
	[M_UNEXPECTED] = "TCPMD5Unexpected",
	[M_FAILURE] = "TCPMD5Failure",
	[M_BADMAC] = "TCPAuthOptBadMAC",
};

FIXTURE(policy) {
	struct env e;
	long long more[2][M_COUNT];	/* -1: the kernel has no such counter */
};

FIXTURE_VARIANT(policy) {
	const struct params *p;
};

/*
 * The policy does not depend on the algorithm: two variants cover both
 * algorithms and both families, at half the run time of all four pairs.
 */
FIXTURE_VARIANT_ADD(policy, hmac_sha1_ipv4) { .p = &sha1_ipv4 };
FIXTURE_VARIANT_ADD(policy, aes_cmac_ipv6) { .p = &cmac_ipv6 };

FIXTURE_SETUP(policy)
{
	int side, m;

	env_setup(_metadata, &self->e, netns_pair_setup, C_COUNT);
	for (side = A; side <= B; side++) {
		for (m = 0; m < M_COUNT; m++) {
			self->more[side][m] = tcpext_counter(self->e.netstat[side], more_name[m]);
			/* Kernels before the fixes count bad MACs in Failure only. */
			if (m != M_BADMAC)
				ASSERT_LE(0, self->more[side][m])
					TH_LOG("no TcpExt %s", more_name[m]);
		}
	}
}

FIXTURE_TEARDOWN(policy)
{
	env_teardown(&self->e);
}

/* How much counter @m of @side moved since the setup. */
static long long more_delta(struct __test_metadata *_metadata, struct _test_data_policy *self,
			    int side, int m)
{
	long long now = tcpext_counter(self->e.netstat[side], more_name[m]);

	if (self->more[side][m] < 0)
		return 0;
	EXPECT_LE(0, now) TH_LOG("no TcpExt %s", more_name[m]);
	return now - self->more[side][m];
}

/* No TCP-AO drop counter moved on either side. */
static void expect_no_ao_drops(struct __test_metadata *_metadata, struct _test_data_policy *self)
{
	int side;

	expect_counters_unchanged(_metadata, &self->e);
	for (side = A; side <= B; side++)
		EXPECT_EQ(0, more_delta(_metadata, self, side, M_BADMAC))
			TH_LOG("%s: %s", side_name(side), more_name[M_BADMAC]);
}

/* No TCP-MD5 drop counter moved on either side. */
static void expect_no_md5_drops(struct __test_metadata *_metadata, struct _test_data_policy *self)
{
	int side, m;

	for (side = A; side <= B; side++)
		for (m = M_NOTFOUND; m <= M_FAILURE; m++)
			EXPECT_EQ(0, more_delta(_metadata, self, side, m))
				TH_LOG("%s: %s", side_name(side), more_name[m]);
}

/* Wait up to @timeout_ms for counter @m of @side to move; returns the delta. */
static long long wait_more(struct __test_metadata *_metadata, struct _test_data_policy *self,
			   int side, int m, int timeout_ms)
{
	struct timespec t0;
	long long delta;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		delta = more_delta(_metadata, self, side, m);
		if (delta || elapsed_ms(&t0) >= timeout_ms)
			return delta;
		usleep(20000);
	}
}

/* ------------------------------------------------------------------------ */
/* Keys and sockets                                                         */
/* ------------------------------------------------------------------------ */

/* Side @side's key for the peer's address, sending with @send_id. */
static struct key_spec peer_key(const struct params *p, int side, int send_id, int recv_id,
				const char *secret)
{
	struct key_spec ks = {
		.flags = TCP_AUTHOPT_KEY_ADDR_BIND,
		.send_id = send_id,
		.recv_id = recv_id,
		.alg = p->alg,
		.secret = secret,
		.addr = p->addr[!side],
	};

	return ks;
}

/* Each side gets its key for the other: A sends ID_A, B sends ID_B. */
static void add_pair_keys(struct __test_metadata *_metadata, struct env *e,
			  const struct params *p)
{
	int side, ret;

	for (side = A; side <= B; side++) {
		struct key_spec ks = side == A ? peer_key(p, A, ID_A, ID_B, SECRET) :
						 peer_key(p, B, ID_B, ID_A, SECRET);

		ret = key_in(e, side, &ks);
		ASSERT_EQ(0, ret) TH_LOG("%s: key: %s", side_name(side), strerror(-ret));
	}
}

/* net.ipv4.tcp_authopt_all_sockets = 1 in both namespaces. */
static void all_sockets_on(struct __test_metadata *_metadata, struct env *e)
{
	int side;

	for (side = A; side <= B; side++) {
		ASSERT_EQ(0, ns_enter(e->ns[side]));
		ASSERT_EQ(0, sysctl_write(ALL_SOCKETS_PATH, "1"))
			TH_LOG("%s: %s: %m", side_name(side), ALL_SOCKETS_PATH);
	}
}

/* A connects to B's listener on @port: fd[A] the client, fd[B] accepted. */
static void connect_pair(struct __test_metadata *_metadata, struct env *e,
			 const struct params *p, int port, int fd[2])
{
	int listener = listen_at(_metadata, e, B, p->addr[B], port, 0, NULL);

	fd[A] = socket_in(_metadata, e, A, params_family(p), 0, NULL, NULL, 0);
	fd[B] = connect_accept(_metadata, fd[A], listener, p->addr[B], port);
	close(listener);
}

/* Nothing to read on @fd, and no error either. */
static void expect_nothing_received(struct __test_metadata *_metadata, const char *who, int fd)
{
	ssize_t ret;
	int err;
	char c;

	ret = recv(fd, &c, 1, MSG_DONTWAIT);
	err = errno;
	EXPECT_EQ(-1, ret) TH_LOG("%s received data", who);
	if (ret < 0)
		EXPECT_EQ(EAGAIN, err) TH_LOG("%s: recv: %s", who, strerror(err));
}

/* Send PROBE_BYTES on @fd, which must all be queued at once. */
static void send_probe(struct __test_metadata *_metadata, int fd)
{
	char buf[PROBE_BYTES];

	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ((ssize_t)sizeof(buf), send(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL))
		TH_LOG("send: %m");
}

/* tcp_disconnect() through connect(AF_UNSPEC). */
static void disconnect(struct __test_metadata *_metadata, int fd)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	ASSERT_EQ(0, connect(fd, &sa, sizeof(sa))) TH_LOG("connect(AF_UNSPEC): %m");
}

/* @fd, the peer of a disconnected socket, gets its RST: the RST passed. */
static void expect_reset(struct __test_metadata *_metadata, int fd)
{
	ssize_t ret;
	int err;
	char c;

	ASSERT_EQ(1, wait_fd(fd, POLLIN, CONNECT_MS)) TH_LOG("no RST after the disconnect");
	ret = recv(fd, &c, 1, MSG_DONTWAIT);
	err = errno;
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(ECONNRESET, err) TH_LOG("recv after the disconnect: %s", strerror(err));
}

/* ------------------------------------------------------------------------ */
/* TCP-MD5 connections stay TCP-MD5                                         */
/* ------------------------------------------------------------------------ */

/*
 * Both sockets take part in TCP-AO (or, with @all_sockets, the netns-wide
 * mode makes untouched sockets take part) and have TCP-MD5 keys for each
 * other, no TCP-AO key: the connection runs on MD5. TCP-AO keys for the
 * peer are added on B then on A: the connection stays MD5 and data flows.
 * Then A deletes its MD5 key: what it sends unsigned, B must drop as MD5
 * requires (TCPMD5NotFound), not let through because some TCP-AO key now
 * names A.
 */
static void md5_stays_md5(struct __test_metadata *_metadata, struct _test_data_policy *self,
			  const struct params *p, bool all_sockets)
{
	__u32 flags = all_sockets ? UNTOUCHED : 0;
	struct env *e = &self->e;
	int listener, fd[2], side, ret;
	struct key_spec ks;

	if (all_sockets)
		all_sockets_on(_metadata, e);
	listener = listen_at(_metadata, e, B, p->addr[B], PORT, flags, NULL);
	ret = md5_set(listener, p->addr[A], MD5_SECRET);
	ASSERT_EQ(0, ret) TH_LOG("B: TCP_MD5SIG: %s", strerror(-ret));
	fd[A] = socket_in(_metadata, e, A, params_family(p), flags, NULL, NULL, 0);
	ret = md5_set(fd[A], p->addr[B], MD5_SECRET);
	ASSERT_EQ(0, ret) TH_LOG("A: TCP_MD5SIG: %s", strerror(-ret));
	fd[B] = connect_accept(_metadata, fd[A], listener, p->addr[B], PORT);
	close(listener);
	exchange(_metadata, fd[A], fd[B], SMALL_BYTES, false);

	for (side = B; side >= A; side--) {
		ks = side == A ? peer_key(p, A, ID_A, ID_B, SECRET) :
				 peer_key(p, B, ID_B, ID_A, SECRET);
		ret = key_in(e, side, &ks);
		ASSERT_EQ(0, ret) TH_LOG("%s: key: %s", side_name(side), strerror(-ret));
		/* Both MD5 keys are there: MD5 goes on. */
		exchange(_metadata, fd[A], fd[B], SMALL_BYTES, false);
	}
	expect_authopt(_metadata, "A", fd[A], false, -1, -1);
	expect_authopt(_metadata, "B", fd[B], false, -1, -1);
	expect_no_md5_drops(_metadata, self);
	expect_no_ao_drops(_metadata, self);

	ret = md5_set(fd[A], p->addr[B], NULL);
	ASSERT_EQ(0, ret) TH_LOG("A: TCP_MD5SIG delete: %s", strerror(-ret));
	send_probe(_metadata, fd[A]);
	EXPECT_LT(0, wait_more(_metadata, self, B, M_NOTFOUND, DROP_MS))
		TH_LOG("B did not drop A's segment without MD5");
	expect_nothing_received(_metadata, "B", fd[B]);
	/* An MD5 drop, not a TCP-AO one. */
	expect_no_ao_drops(_metadata, self);
	close(fd[A]);
	close(fd[B]);
}

TEST_F(policy, md5_stays_md5)
{
	md5_stays_md5(_metadata, self, variant->p, false);
}

TEST_F(policy, md5_stays_md5_all_sockets)
{
	md5_stays_md5(_metadata, self, variant->p, true);
}

/* ------------------------------------------------------------------------ */
/* TCP-AO connections stay TCP-AO                                           */
/* ------------------------------------------------------------------------ */

/*
 * An authenticated connection whose sockets both gain a TCP-MD5 key for
 * the peer stays TCP-AO: data flows both ways, ACTIVE and the KeyIDs stay,
 * and MD5 neither signs nor checks anything.
 */
TEST_F(policy, ao_stays_ao)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	int fd[2], side, ret;

	add_pair_keys(_metadata, e, p);
	connect_pair(_metadata, e, p, PORT, fd);
	exchange(_metadata, fd[A], fd[B], SMALL_BYTES, false);
	expect_authopt(_metadata, "A", fd[A], true, ID_A, ID_B);
	expect_authopt(_metadata, "B", fd[B], true, ID_B, ID_A);

	for (side = A; side <= B; side++) {
		ret = md5_set(fd[side], p->addr[!side], MD5_SECRET);
		ASSERT_EQ(0, ret) TH_LOG("%s: TCP_MD5SIG: %s", side_name(side), strerror(-ret));
	}
	exchange(_metadata, fd[A], fd[B], XFER_BYTES, true);
	expect_authopt(_metadata, "A", fd[A], true, ID_A, ID_B);
	expect_authopt(_metadata, "B", fd[B], true, ID_B, ID_A);
	expect_no_md5_drops(_metadata, self);
	expect_no_ao_drops(_metadata, self);
}

/* ------------------------------------------------------------------------ */
/* Many keys for one peer                                                   */
/* ------------------------------------------------------------------------ */

/*
 * A key chain of CHAIN_KEYS keys for the peer on both sides, ids 1 to 10,
 * one a day: each key may sign for one day, the newest from yesterday on
 * without an end. All may receive. Only the newest, the last of the chain,
 * may sign now: the connection works and uses it.
 */
TEST_F(policy, key_chain)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	time_t t0 = time(NULL);
	char secret[CHAIN_KEYS][32];
	struct key_spec ks;
	int fd[2], side, i, ret;

	for (side = A; side <= B; side++) {
		for (i = 1; i <= CHAIN_KEYS; i++) {
			snprintf(secret[i - 1], sizeof(secret[0]), "tcp-ao chain key %d", i);
			ks = peer_key(p, side, i, i, secret[i - 1]);
			ks.flags |= TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN;
			ks.send_begin = t0 - (CHAIN_KEYS + 1 - i) * DAY;
			if (i < CHAIN_KEYS) {
				ks.flags |= TCP_AUTHOPT_KEY_SEND_LIFETIME_END;
				ks.send_end = t0 - (CHAIN_KEYS - i) * DAY;
			}
			ret = key_in(e, side, &ks);
			ASSERT_EQ(0, ret) TH_LOG("%s: key %d: %s", side_name(side), i,
						 strerror(-ret));
		}
	}
	connect_pair(_metadata, e, p, PORT, fd);
	exchange(_metadata, fd[A], fd[B], SMALL_BYTES, true);
	expect_authopt(_metadata, "A", fd[A], true, CHAIN_KEYS, CHAIN_KEYS);
	expect_authopt(_metadata, "B", fd[B], true, CHAIN_KEYS, CHAIN_KEYS);
	expect_no_ao_drops(_metadata, self);
}

/*
 * MANY_KEYS keys apply to the peer on both sides: the exact one (id 40),
 * added first, is the only one that may sign; the others, prefix keys of
 * the subnet and of a wider prefix and unbound wildcards, ids 1 to 39, have
 * ended their send lifetime. The connection works with the exact key.
 */
TEST_F(policy, many_keys)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	time_t t0 = time(NULL);
	char secret[MANY_KEYS][32];
	struct key_spec ks;
	int fd[2], side, i, ret;

	for (side = A; side <= B; side++) {
		snprintf(secret[MANY_KEYS - 1], sizeof(secret[0]), "tcp-ao many keys %d",
			 MANY_KEYS);
		ks = peer_key(p, side, MANY_KEYS, MANY_KEYS, secret[MANY_KEYS - 1]);
		ret = key_in(e, side, &ks);
		ASSERT_EQ(0, ret) TH_LOG("%s: exact key: %s", side_name(side), strerror(-ret));
		for (i = 1; i < MANY_KEYS; i++) {
			snprintf(secret[i - 1], sizeof(secret[0]), "tcp-ao many keys %d", i);
			ks = peer_key(p, side, i, i, secret[i - 1]);
			switch (i % 3) {
			case 0:
				ks.flags = TCP_AUTHOPT_KEY_PREFIXLEN;
				ks.addr = p->subnet;
				ks.prefixlen = p->subnet_len;
				break;
			case 1:
				ks.flags = TCP_AUTHOPT_KEY_PREFIXLEN;
				ks.addr = p->wide;
				ks.prefixlen = p->wide_len;
				break;
			default:
				ks.flags = 0;
				ks.addr = NULL;
				break;
			}
			ks.flags |= TCP_AUTHOPT_KEY_SEND_LIFETIME_END;
			ks.send_end = t0 - DAY;
			ret = key_in(e, side, &ks);
			ASSERT_EQ(0, ret) TH_LOG("%s: key %d: %s", side_name(side), i,
						 strerror(-ret));
		}
	}
	connect_pair(_metadata, e, p, PORT, fd);
	exchange(_metadata, fd[A], fd[B], SMALL_BYTES, true);
	expect_authopt(_metadata, "A", fd[A], true, MANY_KEYS, MANY_KEYS);
	expect_authopt(_metadata, "B", fd[B], true, MANY_KEYS, MANY_KEYS);
	expect_no_ao_drops(_metadata, self);
}

/* ------------------------------------------------------------------------ */
/* tcp_disconnect()                                                         */
/* ------------------------------------------------------------------------ */

/*
 * Keys only for B's PORT2: A's for remote port PORT2, B's for local port
 * PORT2. B listens on PORT (plain for A) and PORT2 (keyed).
 */
static void port2_keys(struct __test_metadata *_metadata, struct env *e,
		       const struct params *p, int listener[2])
{
	struct key_spec ks;

	ks = peer_key(p, A, ID_A, ID_B, SECRET);
	ks.flags |= TCP_AUTHOPT_KEY_REMOTE_PORT;
	ks.rport_min = PORT2;
	ks.rport_max = PORT2;
	ASSERT_EQ(0, key_in(e, A, &ks));
	ks = peer_key(p, B, ID_B, ID_A, SECRET);
	ks.flags |= TCP_AUTHOPT_KEY_LOCAL_PORT;
	ks.lport_min = PORT2;
	ks.lport_max = PORT2;
	ASSERT_EQ(0, key_in(e, B, &ks));
	listener[0] = listen_at(_metadata, e, B, p->addr[B], PORT, 0, NULL);
	listener[1] = listen_at(_metadata, e, B, p->addr[B], PORT2, 0, NULL);
}

/*
 * A plain connection to PORT, then connect(AF_UNSPEC), then the same
 * socket connects to PORT2, where keys apply: it is authenticated.
 */
TEST_F(policy, disconnect_plain_then_keyed)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	int listener[2], client, server;

	port2_keys(_metadata, e, p, listener);
	client = socket_in(_metadata, e, A, params_family(p), 0, NULL, NULL, 0);
	server = connect_accept(_metadata, client, listener[0], p->addr[B], PORT);
	exchange(_metadata, client, server, SMALL_BYTES, false);
	expect_authopt(_metadata, "A plain", client, false, -1, -1);
	expect_authopt(_metadata, "B plain", server, false, -1, -1);

	disconnect(_metadata, client);
	expect_reset(_metadata, server);
	close(server);

	server = connect_accept(_metadata, client, listener[1], p->addr[B], PORT2);
	exchange(_metadata, client, server, SMALL_BYTES, true);
	expect_authopt(_metadata, "A keyed", client, true, ID_A, ID_B);
	expect_authopt(_metadata, "B keyed", server, true, ID_B, ID_A);
	expect_no_ao_drops(_metadata, self);
}

/*
 * The reverse: authenticated to PORT2, connect(AF_UNSPEC), then to PORT
 * where no key applies: plain TCP, not ACTIVE, and the KeyIDs received on
 * the first connection are not reported for the second.
 */
TEST_F(policy, disconnect_keyed_then_plain)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	int listener[2], client, server;
	struct tcp_authopt opt;

	port2_keys(_metadata, e, p, listener);
	client = socket_in(_metadata, e, A, params_family(p), 0, NULL, NULL, 0);
	server = connect_accept(_metadata, client, listener[1], p->addr[B], PORT2);
	exchange(_metadata, client, server, SMALL_BYTES, false);
	expect_authopt(_metadata, "A keyed", client, true, ID_A, ID_B);
	expect_authopt(_metadata, "B keyed", server, true, ID_B, ID_A);

	/* The RST of the disconnect is signed: B takes it. */
	disconnect(_metadata, client);
	expect_reset(_metadata, server);
	close(server);

	server = connect_accept(_metadata, client, listener[0], p->addr[B], PORT);
	exchange(_metadata, client, server, SMALL_BYTES, true);
	expect_authopt(_metadata, "A plain", client, false, -1, -1);
	expect_authopt(_metadata, "B plain", server, false, -1, -1);
	ASSERT_EQ(0, authopt_get(client, &opt));
	EXPECT_NE(ID_B, opt.recv_keyid) TH_LOG("A: recv_keyid of the old connection");
	EXPECT_NE(ID_A, opt.recv_rnextkeyid) TH_LOG("A: recv_rnextkeyid of the old connection");
	expect_no_ao_drops(_metadata, self);
}

/* ------------------------------------------------------------------------ */
/* Plain connections stay plain                                             */
/* ------------------------------------------------------------------------ */

/*
 * Both sockets take part but no key applies when they connect: plain TCP.
 * Keys for the peer added on both ends while data flows both ways do not
 * switch the connection; a new connection then is authenticated.
 */
TEST_F(policy, plain_stays_plain)
{
	const struct params *p = variant->p;
	struct env *e = &self->e;
	int fd[2], ret;
	struct xfer x;

	connect_pair(_metadata, e, p, PORT, fd);
	ASSERT_EQ(0, xfer_init(&x, fd[A], fd[B], XFER_BYTES, true, XFER_MS));
	ret = xfer_run(&x, XFER_BYTES / 4);
	xfer_expect_ok(_metadata, &x, ret);
	ASSERT_EQ(0, ret);
	ASSERT_FALSE(xfer_done(&x)) TH_LOG("transfer over before the keys came");

	add_pair_keys(_metadata, e, p);
	ret = xfer_run(&x, SIZE_MAX);
	xfer_expect_ok(_metadata, &x, ret);
	xfer_free(&x);
	expect_authopt(_metadata, "A", fd[A], false, -1, -1);
	expect_authopt(_metadata, "B", fd[B], false, -1, -1);

	/* The keys are right: a new connection uses them. */
	connect_pair(_metadata, e, p, PORT, fd);
	exchange(_metadata, fd[A], fd[B], SMALL_BYTES, true);
	expect_authopt(_metadata, "A new", fd[A], true, ID_A, ID_B);
	expect_authopt(_metadata, "B new", fd[B], true, ID_B, ID_A);
	expect_no_ao_drops(_metadata, self);
}

/* ------------------------------------------------------------------------ */
/* Resets of aborted connections are signed for their port                  */
/* ------------------------------------------------------------------------ */

/*
 * A connection aborted by close() (SO_LINGER 0, a listener closing with
 * children not yet accepted) or by connect(AF_UNSPEC) sends its RST after
 * it was unhashed from its local port: the RST must still be signed with
 * the traffic key of the connection's ports, or the peer drops it and
 * keeps a half-open connection. Each test checks that the peer's socket
 * is reset and that it counted no TCP-AO drop.
 */

/* No TCP-AO drop on either side (BadMAC included where the kernel has it). */
static void expect_reset_signed(struct __test_metadata *_metadata,
				struct _test_data_policy *self)
{
	expect_counters_unchanged(_metadata, &self->e);
	EXPECT_EQ(0, more_delta(_metadata, self, B, M_BADMAC));
}

/* A listens on PORT2, B connects: @child is A's end if accepted, else -1. */
static int abort_setup(struct __test_metadata *_metadata, struct _test_data_policy *self,
		       const struct params *p, int *listener, int *child, bool accept_it)
{
	struct env *e = &self->e;
	int fd;

	add_pair_keys(_metadata, e, p);
	*listener = listen_at(_metadata, e, A, p->addr[A], PORT2, 0, NULL);
	fd = socket_in(_metadata, e, B, params_family(p), 0, NULL, p->addr[B], 0);
	if (accept_it) {
		*child = connect_accept(_metadata, fd, *listener, p->addr[A], PORT2);
	} else {
		*child = -1;
		ASSERT_EQ(0, connect_wait(fd, p->addr[A], PORT2, CONNECT_MS));
	}
	return fd;
}

TEST_F(policy, abort_listener_close_unaccepted)
{
	int listener, child, fd;

	fd = abort_setup(_metadata, self, variant->p, &listener, &child, false);
	ASSERT_EQ(1, send(fd, "x", 1, 0));
	close(listener);
	expect_reset(_metadata, fd);
	expect_reset_signed(_metadata, self);
	close(fd);
}

TEST_F(policy, abort_listener_shutdown_unaccepted)
{
	int listener, child, fd;

	fd = abort_setup(_metadata, self, variant->p, &listener, &child, false);
	shutdown(listener, SHUT_RDWR);
	expect_reset(_metadata, fd);
	expect_reset_signed(_metadata, self);
	close(listener);
	close(fd);
}

TEST_F(policy, abort_accepted_linger0)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int listener, child, fd;

	fd = abort_setup(_metadata, self, variant->p, &listener, &child, true);
	ASSERT_EQ(0, setsockopt(child, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(child);
	expect_reset(_metadata, fd);
	expect_reset_signed(_metadata, self);
	close(listener);
	close(fd);
}

TEST_F(policy, abort_accepted_disconnect)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	int listener, child, fd;

	fd = abort_setup(_metadata, self, variant->p, &listener, &child, true);
	ASSERT_EQ(0, connect(child, &sa, sizeof(sa)));
	expect_reset(_metadata, fd);
	expect_reset_signed(_metadata, self);
	close(child);
	close(listener);
	close(fd);
}

/* TCP_CLOSE of include/net/tcp_states.h, not in the uapi headers. */
#define TCP_STATE_CLOSE	7

static int tcp_info_get(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len);
}

/* TCP state of @fd, or -1. */
static int tcp_state(int fd)
{
	struct tcp_info ti;

	return tcp_info_get(fd, &ti) ? -1 : ti.tcpi_state;
}

/*
 * Wait until every segment @fd sent is acknowledged, so that its peer has
 * no ACK left to send: one still in flight when the other end aborts meets
 * no connection there, where no ISNs can sign a reset (RFC 5925 7.7).
 */
static void wait_all_acked(struct __test_metadata *_metadata, int fd)
{
	struct timespec t0;
	struct tcp_info ti;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ASSERT_EQ(0, tcp_info_get(fd, &ti)) TH_LOG("TCP_INFO: %m");
		if (!ti.tcpi_unacked)
			return;
		usleep(1000);
	} while (elapsed_ms(&t0) < CONNECT_MS);
	ASSERT_EQ(0u, ti.tcpi_unacked) TH_LOG("segments still unacknowledged");
}

/*
 * Data reaching a socket closed by its application (TCPAbortOnData): the
 * kernel resets the connection and destroys the orphaned socket before it
 * answers with the RST. The RST must still be signed, or the peer drops it
 * (TCPAuthOptRequired) and stays in CLOSE-WAIT. Routers see this whenever
 * a BGP daemon closes while its peer still sends.
 */
TEST_F(policy, abort_data_after_close)
{
	const struct params *p = variant->p;
	int listener, child, fd, state = -1;
	struct timespec t0;
	char c;

	fd = abort_setup(_metadata, self, p, &listener, &child, true);
	close(child);
	/* B sees A's FIN; A, orphaned, waits in FIN-WAIT-2. */
	ASSERT_EQ(1, wait_fd(fd, POLLIN, CONNECT_MS)) TH_LOG("no FIN from A");
	ASSERT_EQ(0, recv(fd, &c, 1, MSG_DONTWAIT)) TH_LOG("recv: %m");
	ASSERT_EQ(1, send(fd, "x", 1, MSG_NOSIGNAL)) TH_LOG("send: %m");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (elapsed_ms(&t0) < CONNECT_MS) {
		state = tcp_state(fd);
		if (state == TCP_STATE_CLOSE)
			break;
		usleep(20000);
	}
	EXPECT_EQ(TCP_STATE_CLOSE, state)
		TH_LOG("B still in state %d: A's RST did not pass", state);
	expect_reset_signed(_metadata, self);
	close(listener);
	close(fd);
}

/*
 * A client on an ephemeral port aborts right after a key change for its
 * peer: the reset goes out with the key set rebuilt, signed with the key
 * in use. The new key's IDs are unknown to B, so it must not be chosen.
 */
TEST_F(policy, abort_client_linger0_after_key_change)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	const struct params *p = variant->p;
	struct key_spec added = peer_key(p, A, ID_A + 1, ID_B + 1, "added");
	struct env *e = &self->e;
	int listener, client, server;

	add_pair_keys(_metadata, e, p);
	listener = listen_at(_metadata, e, B, p->addr[B], PORT2, 0, NULL);
	client = socket_in(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	server = connect_accept(_metadata, client, listener, p->addr[B], PORT2);
	exchange(_metadata, client, server, SMALL_BYTES, false);
	wait_all_acked(_metadata, client);
	ASSERT_EQ(0, key_in(e, A, &added));
	ASSERT_EQ(0, setsockopt(client, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(client);
	expect_reset(_metadata, server);
	expect_reset_signed(_metadata, self);
	close(server);
	close(listener);
}

TEST_HARNESS_MAIN
