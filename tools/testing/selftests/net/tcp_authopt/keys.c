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
#include <net/if.h>
#include <sys/stat.h>

#include "netns_lib.h"

#define PROC_KEYS_PATH	"/proc/self/net/tcp_authopt"

/* The second addresses of A and B, that no key names. */
#define ADDR4_A2	"198.51.100.3"
#define ADDR4_B2	"198.51.100.5"
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

#define MIB		(1024u << 10)
#define XFER_BYTES	(16 * MIB)	/* per direction */
#define SMALL_BYTES	(64u << 10)
#define PROBE_BYTES	4096

/* Deadlines (ms). */
#define NO_CONNECT_MS	2000	/* waiting for a connection that must not come up */
#define ROLLOVER_MS	60000	/* 16 MiB each way with the rollover steps */
#define SILENCE_MS	1500	/* waiting for segments that must not arrive */

/* Most retransmissions a clean 16 MiB exchange may cause. */
#define MAX_RETRANS	100

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

static int params_family(const struct params *p)
{
	return addr_family(p->addr[A]);
}

/* ------------------------------------------------------------------------ */
/* Network namespaces                                                       */
/* ------------------------------------------------------------------------ */

/* A and B joined by veth va (in A) <-> vb (in B), with both addresses of each family. */
static int veth_net_setup(int ns[2])
{
	static const char * const addrs_a[] = { ADDR4_A, ADDR4_A2, ADDR6_A, ADDR6_A2, NULL };
	static const char * const addrs_b[] = { ADDR4_B, ADDR4_B2, ADDR6_B, ADDR6_B2, NULL };
	const char * const *addrs[2] = { addrs_a, addrs_b };

	return veth_pair_setup(ns, addrs);
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

/* Tcp counter @name (RetransSegs, InSegs...) of side @side. */
static long long tcp_mib(struct __test_metadata *_metadata, struct env *e, int side,
			 const char *name)
{
	long long v = proc_counter(e->snmp[side], "Tcp:", name);

	EXPECT_LE(0, v) TH_LOG("no Tcp %s", name);
	return v;
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
/* Probe data                                                               */
/* ------------------------------------------------------------------------ */

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
	env_setup(_metadata, &self->e, veth_net_setup, C_COUNT);
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

	fd[A] = socket_in(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	fd[B] = connect_accept(_metadata, fd[A], listener, p->addr[B], PORT);
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
	/* Steps of the rollover: 1 MiB, less on a slow kernel. */
	size_t unit = xfer_scaled(MIB);
	long long retrans[2];
	struct tcp_authopt opt;
	struct xfer x;
	size_t mark;
	int fd[2], side, ret;

	add_pair_keys(_metadata, e, p, 1, SECRET1);
	connect_pair(_metadata, e, p, 0, fd);
	for (side = A; side <= B; side++)
		retrans[side] = tcp_mib(_metadata, e, side, "RetransSegs");
	ASSERT_EQ(0, xfer_init(&x, fd[A], fd[B], xfer_scaled(XFER_BYTES), true, ROLLOVER_MS));

	/* 1. Key 2 on both sides: nothing changes on the wire. */
	rollover_run(_metadata, &x, unit, "adding key 2");
	add_pair_keys(_metadata, e, p, 2, SECRET2);
	rollover_run(_metadata, &x, 2 * unit, "moving the peer");
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
	rollover_run(_metadata, &x, mark + unit, "key 1 NOSEND");
	key1_flags(_metadata, e, p, TCP_AUTHOPT_KEY_NOSEND);
	if (by_rnextkeyid)
		ASSERT_EQ(0, authopt_set(fd[A], 0, 0, 0));

	/* 5. Key 1 NORECV once its segments are gone. */
	rollover_run(_metadata, &x, mark + 2 * unit, "key 1 NORECV");
	key1_flags(_metadata, e, p, TCP_AUTHOPT_KEY_NOSEND | TCP_AUTHOPT_KEY_NORECV);

	/* 6. Delete key 1. */
	rollover_run(_metadata, &x, mark + 3 * unit, "deleting key 1");
	key1_flags(_metadata, e, p, TCP_AUTHOPT_KEY_DEL);

	ret = xfer_run(&x, xfer_scaled(XFER_BYTES));
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
	fd = socket_in(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
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
	/* TCPAuthOptFailure counts every drop, here each KeyNotFound. */
	EXPECT_EQ(counter_delta(_metadata, e, B, C_KEYNOTFOUND),
		  counter_delta(_metadata, e, B, C_FAILURE));
	EXPECT_EQ(0, counter_delta(_metadata, e, B, C_BADMAC));
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
	fd = socket_in(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	expect_no_connection(_metadata, fd, listener, p->addr[B], PORT, NO_CONNECT_MS);
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
	fd[A] = socket_in(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	if (cross) {
		expect_no_connection(_metadata, fd[A], listener, p->addr[B], PORT, NO_CONNECT_MS);
		EXPECT_LT(0, counter_delta(_metadata, e, B, C_FAILURE));
		EXPECT_EQ(0, counter_delta(_metadata, e, B, C_KEYNOTFOUND));
		return;
	}
	fd[B] = connect_accept(_metadata, fd[A], listener, p->addr[B], PORT);
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
 * Two connections from A to B, client @c[i] accepted as @s[i] (@what[i] in
 * messages): after an exchange on each, the first must run TCP-AO with the
 * generation 1 keys and the second plain TCP.
 */
static void expect_keyed_and_plain(struct __test_metadata *_metadata, struct env *e,
				   const int c[2], const int s[2], const char * const what[2])
{
	char who[64];
	int i;

	for (i = 0; i < 2; i++)
		exchange(_metadata, c[i], s[i], SMALL_BYTES, true);
	for (i = 0; i < 2; i++) {
		bool keyed = i == 0;

		snprintf(who, sizeof(who), "A %s", what[i]);
		expect_authopt(_metadata, who, c[i], keyed, keyed ? ID_A1 : -1, keyed ? ID_B1 : -1);
		snprintf(who, sizeof(who), "B %s", what[i]);
		expect_authopt(_metadata, who, s[i], keyed, keyed ? ID_B1 : -1, keyed ? ID_A1 : -1);
	}
	expect_counters_unchanged(_metadata, e);
}

/*
 * B's key only for its local port 179, A's only for remote port 100-179:
 * a connection to 179 is authenticated, one to 180 is plain TCP.
 */
TEST_F(keys, port_local)
{
	static const char * const what[2] = { "to 179", "to 180" };
	const struct params *p = variant->p;
	struct env *e = &self->e;
	int l[2], c[2], s[2];
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

	l[0] = listen_at(_metadata, e, B, p->addr[B], PORT, 0, NULL);
	l[1] = listen_at(_metadata, e, B, p->addr[B], PORT2, 0, NULL);
	c[0] = socket_in(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	s[0] = connect_accept(_metadata, c[0], l[0], p->addr[B], PORT);
	c[1] = socket_in(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	s[1] = connect_accept(_metadata, c[1], l[1], p->addr[B], PORT2);
	expect_keyed_and_plain(_metadata, e, c, s, what);
}

/* The same with B's key limited to A's client ports 40000-40009. */
TEST_F(keys, port_remote)
{
	static const char * const what[2] = { "from 40009", "from 40010" };
	const struct params *p = variant->p;
	struct env *e = &self->e;
	int listener, c[2], s[2];
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
	c[0] = socket_in(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 40009);
	s[0] = connect_accept(_metadata, c[0], listener, p->addr[B], PORT);
	c[1] = socket_in(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 40010);
	s[1] = connect_accept(_metadata, c[1], listener, p->addr[B], PORT);
	expect_keyed_and_plain(_metadata, e, c, s, what);
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
	static const char * const what[2] = { "keyed", "keyless" };
	const struct params *p = variant->p;
	struct env *e = &self->e;
	int listener, c[2], s[2];

	add_pair_keys(_metadata, e, p, 1, SECRET1);
	listener = listen_at(_metadata, e, B, p->any, PORT, 0, NULL);
	c[0] = socket_in(_metadata, e, A, params_family(p), 0, NULL, p->addr[A], 0);
	s[0] = connect_accept(_metadata, c[0], listener, p->addr[B], PORT);
	c[1] = socket_in(_metadata, e, A, params_family(p), TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED,
			 NULL, p->addr2[A], 0);
	s[1] = connect_accept(_metadata, c[1], listener, p->addr2[B], PORT);
	expect_keyed_and_plain(_metadata, e, c, s, what);
}

/* ---- REJECT_UNEXPECTED on established connections ---------------------- */

#define INJECT_BYTES	64

/* Next sequence number to send and to receive of established @fd. */
static void tcp_seqs(struct __test_metadata *_metadata, int fd, __u32 *snd, __u32 *rcv)
{
	int ret = repair_mode(fd, TCP_REPAIR_ON);

	ASSERT_EQ(0, ret) TH_LOG("TCP_REPAIR: %s", strerror(-ret));
	ASSERT_EQ(0, queue_seq_get(fd, TCP_SEND_QUEUE, snd));
	ASSERT_EQ(0, queue_seq_get(fd, TCP_RECV_QUEUE, rcv));
	ASSERT_EQ(0, repair_mode(fd, TCP_REPAIR_OFF_NO_WP));
}

static __u32 csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *b = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	if (len & 1)
		sum += b[len - 1] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
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
		__u8 ao[16];
		__u8 data[INJECT_BYTES];
	} seg;
	__u32 snd, rcv, sum, tcplen = htonl(sizeof(seg));
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
	fd[A] = socket_in(_metadata, e, A, params_family(p), UNTOUCHED, NULL, p->addr[A], 0);
	fd[B] = connect_accept(_metadata, fd[A], listener, p->addr[B], PORT);
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
	/* TCPAuthOptFailure counts every drop: here the unexpected ones. */
	EXPECT_EQ(counter_delta(_metadata, e, B, C_UNEXPECTED),
		  counter_delta(_metadata, e, B, C_FAILURE));
	for (c = 0; c < C_COUNT; c++) {
		long long delta = counter_delta(_metadata, e, B, c);

		if (c != C_UNEXPECTED && c != C_FAILURE)
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

	env_setup(_metadata, &self->e, vrf_net_setup, C_COUNT);
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

		fd[A] = socket_in(_metadata, e, A, params_family(p), 0, vrf_dev[v], NULL, 0);
		if (!ok[v]) {
			expect_no_connection(_metadata, fd[A], listener[v], p->addr[B], PORT,
					     NO_CONNECT_MS);
			EXPECT_LT(failures, counter_delta(_metadata, e, B, C_FAILURE))
				TH_LOG("%s", vrf_dev[v]);
			close(fd[A]);
			continue;
		}
		fd[B] = connect_accept(_metadata, fd[A], listener[v], p->addr[B], PORT);
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
