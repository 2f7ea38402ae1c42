// SPDX-License-Identifier: GPL-2.0
/*
 * TCP-AO (RFC 5925) connections under real network conditions: lost,
 * reordered and duplicated segments, retransmission timers, fast open,
 * simultaneous open, TIME-WAIT and path MTU discovery.
 *
 * Topology (middlebox.h): namespaces A and B, joined through a router R:
 *
 *	A (va) 198.51.100.0/24 2001:db8:a::/64 (ra) R (rb) 203.0.113.0/24 2001:db8:b::/64 (vb) B
 *
 * R loses, delays, reorders and duplicates segments with tc netem, and
 * drops chosen ones (the first SYN-ACK, a FIN, ...) with nftables. B
 * listens on PORT, A connects. Every case runs on HMAC-SHA-1-96 and
 * AES-128-CMAC-96 connections, over IPv4 and IPv6, and on plain TCP
 * (no keys, sockets that never use the TCP-AO options) to show that the
 * case passes without TCP-AO. On TCP-AO connections both ends must be
 * authenticated (ACTIVE), the data is checked byte by byte and no TCP-AO
 * drop counter may move on either end.
 *
 * Needs root, ip(8), tc(8) and nft(8); CONFIG_VETH, CONFIG_NET_SCH_NETEM,
 * CONFIG_NF_TABLES_INET, CONFIG_NFT_LIMIT, CONFIG_TCP_AUTHOPT.
 */
#define _GNU_SOURCE
#include "netns_lib.h"
#include "middlebox.h"

#define PORT		179
#define MD5_SECRET	"tcp-md5 loss selftest"
#define PORT_A		40001	/* A's port when it must be fixed */
#define PORT_B		40002	/* B's port in a simultaneous open */

/* A sends with KeyID 7 and receives with 9, B the reverse. */
#define ID_A		7
#define ID_B		9
#define SECRET		"tcp-ao loss selftest"

#define SMALL		(64u << 10)	/* bytes each way where data only has to flow */
#define BULK		(4u << 20)	/* per direction, in the bulk cases */

/* Deadlines (ms). */
#define HANDSHAKE_MS	8000	/* a handshake that loses segments: RTOs of 1 s, then 2 s */
#define CLOSE_MS	5000	/* a close that loses one segment */
#define BULK_MS		60000	/* a bulk transfer under loss */

/* TCP-AO counters that are not in every kernel: checked when present. */
static const char * const extra_counter[] = {
	"TCPAuthOptBadMAC",
	"TCPAuthOptIcmpIgnored",
};

/* ------------------------------------------------------------------------ */
/* Fixture                                                                  */
/* ------------------------------------------------------------------------ */

FIXTURE(loss) {
	struct mb m;
	int listener;		/* in B */
	int client;		/* in A */
	int server;		/* in B */
	__u32 flags;		/* TCP_AUTHOPT flags of the sockets, or UNTOUCHED */
	long long extra[2][ARRAY_SIZE(extra_counter)];	/* -1: absent */
};

FIXTURE_VARIANT(loss) {
	int alg;		/* 0: plain TCP */
	const char *addr[2];	/* of A and B */
};

FIXTURE_VARIANT_ADD(loss, plain_ipv4) {
	.addr = { MB_ADDR4_A, MB_ADDR4_B },
};

FIXTURE_VARIANT_ADD(loss, plain_ipv6) {
	.addr = { MB_ADDR6_A, MB_ADDR6_B },
};

FIXTURE_VARIANT_ADD(loss, hmac_sha1_ipv4) {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	.addr = { MB_ADDR4_A, MB_ADDR4_B },
};

FIXTURE_VARIANT_ADD(loss, hmac_sha1_ipv6) {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	.addr = { MB_ADDR6_A, MB_ADDR6_B },
};

FIXTURE_VARIANT_ADD(loss, aes_cmac_ipv4) {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	.addr = { MB_ADDR4_A, MB_ADDR4_B },
};

FIXTURE_VARIANT_ADD(loss, aes_cmac_ipv6) {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	.addr = { MB_ADDR6_A, MB_ADDR6_B },
};

FIXTURE_SETUP(loss)
{
	size_t i;
	int side;

	self->listener = -1;
	self->client = -1;
	self->server = -1;
	self->flags = variant->alg ? 0 : UNTOUCHED;
	mb_setup(_metadata, &self->m, C_COUNT);
	for (side = A; side <= B; side++)
		for (i = 0; i < ARRAY_SIZE(extra_counter); i++)
			self->extra[side][i] = tcpext_counter(self->m.e.netstat[side],
							      extra_counter[i]);
}

FIXTURE_TEARDOWN(loss)
{
	int fds[] = { self->server, self->client, self->listener };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	mb_teardown(&self->m);
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static int family_of(const struct _fixture_variant_loss *variant)
{
	return addr_family(variant->addr[A]);
}

/* The key of @side for its peer (TCP-AO variants only). */
static void key_on(struct __test_metadata *_metadata, struct _test_data_loss *self,
		   const struct _fixture_variant_loss *variant, int side)
{
	int ret;

	if (!variant->alg)
		return;
	ret = ns_enter(self->m.e.ns[side]);
	ASSERT_EQ(0, ret);
	if (side == A)
		ret = key_add(variant->alg, ID_A, ID_B, SECRET, variant->addr[B]);
	else
		ret = key_add(variant->alg, ID_B, ID_A, SECRET, variant->addr[A]);
	ASSERT_EQ(0, ret) TH_LOG("%s: key: %s", side_name(side), strerror(-ret));
}

static void keys_add(struct __test_metadata *_metadata, struct _test_data_loss *self,
		     const struct _fixture_variant_loss *variant)
{
	key_on(_metadata, self, variant, A);
	key_on(_metadata, self, variant, B);
}

static void listen_b(struct __test_metadata *_metadata, struct _test_data_loss *self,
		     const struct _fixture_variant_loss *variant)
{
	self->listener = listen_at(_metadata, &self->m.e, B, variant->addr[B], PORT,
				   self->flags, NULL);
}

/* A new client socket in A, bound to @port unless 0. */
static void client_new(struct __test_metadata *_metadata, struct _test_data_loss *self,
		       const struct _fixture_variant_loss *variant, int port)
{
	self->client = socket_in(_metadata, &self->m.e, A, family_of(variant), self->flags, NULL,
				 port ? variant->addr[A] : NULL, port);
}

/* Connect A (from @port unless 0) to B's listener and accept. */
static void establish(struct __test_metadata *_metadata, struct _test_data_loss *self,
		      const struct _fixture_variant_loss *variant, int port)
{
	client_new(_metadata, self, variant, port);
	self->server = connect_accept(_metadata, self->client, self->listener,
				      variant->addr[B], PORT);
}

/* @a2b bytes from A to B and @b2a back at the same time, every byte checked. */
static void transfer(struct __test_metadata *_metadata, struct _test_data_loss *self,
		     size_t a2b, size_t b2a, int timeout_ms)
{
	struct xfer x;

	ASSERT_EQ(0, xfer_init(&x, self->client, self->server, 0, false, timeout_ms));
	xfer_more(&x, a2b, b2a, timeout_ms);
	xfer_expect_ok(_metadata, &x, xfer_run(&x, SIZE_MAX));
	xfer_free(&x);
}

/* On TCP-AO variants, both ends are authenticated with the configured keys. */
static void expect_active(struct __test_metadata *_metadata, struct _test_data_loss *self,
			  const struct _fixture_variant_loss *variant)
{
	if (!variant->alg)
		return;
	expect_authopt(_metadata, "A", self->client, true, ID_A, ID_B);
	expect_authopt(_metadata, "B", self->server, true, ID_B, ID_A);
}

/* No TCP-AO drop (nor ignored ICMP) counted on either end. */
static void expect_no_drops(struct __test_metadata *_metadata, struct _test_data_loss *self)
{
	long long now;
	size_t i;
	int side;

	expect_counters_unchanged(_metadata, &self->m.e);
	for (side = A; side <= B; side++) {
		for (i = 0; i < ARRAY_SIZE(extra_counter); i++) {
			if (self->extra[side][i] < 0)
				continue;
			now = tcpext_counter(self->m.e.netstat[side], extra_counter[i]);
			EXPECT_EQ(self->extra[side][i], now)
				TH_LOG("%s: %s", side_name(side), extra_counter[i]);
		}
	}
}

/* The rule tagged @tag dropped (or counted) @n segments, as of the last mb_list(). */
static void expect_hits(struct __test_metadata *_metadata, struct _test_data_loss *self,
			const char *tag, long long n)
{
	EXPECT_EQ(n, mb_counter(&self->m, tag)) TH_LOG("nft rule %s", tag);
}

static long long tcpext(struct _test_data_loss *self, int side, const char *name)
{
	return tcpext_counter(self->m.e.netstat[side], name);
}

/* Wait until @fd reaches @state, or fail saying which state it is stuck in. */
static void wait_state(struct __test_metadata *_metadata, const char *who, int fd, int state,
		       int timeout_ms)
{
	int ret, last = 0;

	ret = mb_wait_state(fd, state, timeout_ms, &last);
	ASSERT_EQ(0, ret) TH_LOG("%s: state %d, not %d after %d ms: %s", who, last, state,
				 timeout_ms, strerror(-ret));
}

/*
 * Orderly close, @first (A or B) first: it shuts down, the other end sees
 * the end of the stream, and the FIN is acknowledged (FIN-WAIT-2).
 */
static void close_first_half(struct __test_metadata *_metadata, struct _test_data_loss *self,
			     int first)
{
	int fd[2] = { self->client, self->server };
	int ret;

	ASSERT_EQ(0, shutdown(fd[first], SHUT_WR));
	ret = mb_wait_eof(fd[!first], CLOSE_MS);
	ASSERT_EQ(0, ret) TH_LOG("%s: no FIN: %s", side_name(!first), strerror(-ret));
	wait_state(_metadata, side_name(first), fd[first], MB_FIN_WAIT2, CLOSE_MS);
}

/*
 * The other end shuts down in turn: it goes through LAST-ACK to CLOSED,
 * and @first to TIME-WAIT (its socket CLOSED, a TIME-WAIT one in its place).
 */
static void close_second_half(struct __test_metadata *_metadata, struct _test_data_loss *self,
			      int first)
{
	int fd[2] = { self->client, self->server };
	int port[2] = { mb_local_port(self->client), PORT };
	int ret;

	ASSERT_EQ(0, shutdown(fd[!first], SHUT_WR));
	ret = mb_wait_eof(fd[first], CLOSE_MS);
	ASSERT_EQ(0, ret) TH_LOG("%s: no FIN: %s", side_name(first), strerror(-ret));
	wait_state(_metadata, side_name(!first), fd[!first], MB_CLOSE, CLOSE_MS);
	wait_state(_metadata, side_name(first), fd[first], MB_CLOSE, CLOSE_MS);
	ASSERT_EQ(0, ns_enter(self->m.e.ns[first]));
	EXPECT_EQ(MB_TIME_WAIT, mb_proc_state(port[first], port[!first]))
		TH_LOG("%s: no TIME-WAIT socket", side_name(first));
}

/* ------------------------------------------------------------------------ */
/* 1. Lost handshake segments                                               */
/* ------------------------------------------------------------------------ */

/* A's SYN is lost: A retransmits it after its RTO. */
TEST_F(loss, syn_lost)
{
	keys_add(_metadata, self, variant);
	listen_b(_metadata, self, variant);
	ASSERT_EQ(0, mb_nft(&self->m, MB_DROP_FIRST(MB_A2B " " MB_SYN, 1, "syn")));

	establish(_metadata, self, variant, 0);
	transfer(_metadata, self, SMALL, SMALL, XFER_MS);

	ASSERT_EQ(0, mb_list(&self->m));
	expect_hits(_metadata, self, "syn", 1);
	expect_active(_metadata, self, variant);
	expect_no_drops(_metadata, self);
}

/*
 * B's SYN-ACK is lost, and so is the next one: B's retransmit timer and
 * A's run out in the same tick and either may come first. A retransmits
 * its SYN into B's request socket: signed with destination ISN 0 (RFC 5925
 * 5.2), it must pass B's check (B answers it with a SYN-ACK again). A
 * kernel that checks it against its own ISN drops it, and the connection
 * comes up anyway on B's next SYN-ACK retransmit: the counters tell.
 */
TEST_F(loss, synack_lost)
{
	keys_add(_metadata, self, variant);
	listen_b(_metadata, self, variant);
	ASSERT_EQ(0, mb_nft(&self->m, MB_DROP_FIRST(MB_B2A " " MB_SYNACK, 2, "synack")
				   MB_COUNT(MB_A2B " " MB_SYN, "syns")));

	establish(_metadata, self, variant, 0);
	transfer(_metadata, self, SMALL, SMALL, XFER_MS);

	ASSERT_EQ(0, mb_list(&self->m));
	expect_hits(_metadata, self, "synack", 2);
	/* No SYN-ACK could reach A before its RTO: its SYN went twice. */
	EXPECT_LE(2, mb_counter(&self->m, "syns"));
	EXPECT_EQ(0, counter_delta(_metadata, &self->m.e, B, C_FAILURE))
		TH_LOG("B dropped the SYN retransmitted into its request socket");
	expect_active(_metadata, self, variant);
	expect_no_drops(_metadata, self);
}

/*
 * A's ACK of the SYN-ACK is lost: A is connected, B's request socket
 * waits and retransmits its SYN-ACK, which A's established socket answers.
 * Nobody sends data before B accepted.
 */
TEST_F(loss, third_ack_lost)
{
	int ret;

	keys_add(_metadata, self, variant);
	listen_b(_metadata, self, variant);
	ASSERT_EQ(0, mb_nft(&self->m, MB_DROP_FIRST(MB_A2B " " MB_PURE_ACK, 1, "ack")));

	client_new(_metadata, self, variant, 0);
	ret = connect_wait(self->client, variant->addr[B], PORT, HANDSHAKE_MS);
	ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
	self->server = accept_wait(self->listener, HANDSHAKE_MS);
	ASSERT_LE(0, self->server) TH_LOG("accept: %s", strerror(-self->server));
	transfer(_metadata, self, SMALL, SMALL, XFER_MS);

	ASSERT_EQ(0, mb_list(&self->m));
	expect_hits(_metadata, self, "ack", 1);
	expect_active(_metadata, self, variant);
	expect_no_drops(_metadata, self);
}

/* ------------------------------------------------------------------------ */
/* 2. Lost data, FIN and final ACK                                          */
/* ------------------------------------------------------------------------ */

/* The first data segment each way is lost. */
TEST_F(loss, first_data_lost)
{
	keys_add(_metadata, self, variant);
	listen_b(_metadata, self, variant);
	establish(_metadata, self, variant, 0);
	ASSERT_EQ(0, mb_nft(&self->m, MB_DROP_FIRST(MB_A2B " " MB_DATA, 1, "data_a")
				   MB_DROP_FIRST(MB_B2A " " MB_DATA, 1, "data_b")));

	transfer(_metadata, self, SMALL, SMALL, XFER_MS);

	ASSERT_EQ(0, mb_list(&self->m));
	expect_hits(_metadata, self, "data_a", 1);
	expect_hits(_metadata, self, "data_b", 1);
	expect_active(_metadata, self, variant);
	expect_no_drops(_metadata, self);
}

/* Both FINs are lost once: A's (A closes first) and B's from LAST-ACK. */
TEST_F(loss, fin_lost)
{
	keys_add(_metadata, self, variant);
	listen_b(_metadata, self, variant);
	establish(_metadata, self, variant, 0);
	transfer(_metadata, self, SMALL, SMALL, XFER_MS);
	expect_active(_metadata, self, variant);
	ASSERT_EQ(0, mb_nft(&self->m, MB_DROP_FIRST(MB_A2B " " MB_FIN, 1, "fin_a")
				   MB_DROP_FIRST(MB_B2A " " MB_FIN, 1, "fin_b")));

	close_first_half(_metadata, self, A);
	close_second_half(_metadata, self, A);

	ASSERT_EQ(0, mb_list(&self->m));
	expect_hits(_metadata, self, "fin_a", 1);
	expect_hits(_metadata, self, "fin_b", 1);
	expect_no_drops(_metadata, self);
}

/*
 * A's final ACK (from TIME-WAIT) is lost: B retransmits its FIN from
 * LAST-ACK, A's TIME-WAIT socket acknowledges it again and B gets CLOSED.
 */
TEST_F(loss, final_ack_lost)
{
	keys_add(_metadata, self, variant);
	listen_b(_metadata, self, variant);
	establish(_metadata, self, variant, 0);
	transfer(_metadata, self, SMALL, SMALL, XFER_MS);
	expect_active(_metadata, self, variant);

	close_first_half(_metadata, self, A);
	/* A has nothing left to acknowledge: its next pure ACK is the final one. */
	ASSERT_EQ(0, mb_nft(&self->m, MB_DROP_FIRST(MB_A2B " " MB_PURE_ACK, 1, "final_ack")));
	close_second_half(_metadata, self, A);

	ASSERT_EQ(0, mb_list(&self->m));
	expect_hits(_metadata, self, "final_ack", 1);
	expect_no_drops(_metadata, self);
}

/* ------------------------------------------------------------------------ */
/* 3. Bulk transfers under reordering, duplication and loss                 */
/* ------------------------------------------------------------------------ */

/* SACK and timestamps are in use on both ends. */
static void expect_sack_ts(struct __test_metadata *_metadata, struct _test_data_loss *self)
{
	int fd[2] = { self->client, self->server };
	struct tcp_info ti;
	int side;

	for (side = A; side <= B; side++) {
		ASSERT_EQ(0, mb_tcp_info(fd[side], &ti));
		EXPECT_EQ(TCPI_OPT_SACK | TCPI_OPT_TIMESTAMPS,
			  ti.tcpi_options & (TCPI_OPT_SACK | TCPI_OPT_TIMESTAMPS))
			TH_LOG("%s: tcpi_options 0x%x", side_name(side), ti.tcpi_options);
	}
}

/*
 * Reordered and duplicated segments in both directions: the receivers
 * answer with SACK and D-SACK blocks, which share the 40 bytes of options
 * with the timestamps and TCP-AO.
 */
TEST_F_TIMEOUT(loss, reorder_duplicate, 120)
{
	long long dsack[2];
	int side;

	keys_add(_metadata, self, variant);
	listen_b(_metadata, self, variant);
	establish(_metadata, self, variant, 0);
	expect_sack_ts(_metadata, self);
	for (side = A; side <= B; side++)
		dsack[side] = tcpext(self, side, "TCPDSACKRecv");
	ASSERT_EQ(0, mb_netem(&self->m, "delay 5ms reorder 75% 50% duplicate 3%"));

	transfer(_metadata, self, BULK, BULK, BULK_MS);

	/* Duplicates were reported back with D-SACK, to both senders. */
	for (side = A; side <= B; side++)
		EXPECT_LT(dsack[side], tcpext(self, side, "TCPDSACKRecv"))
			TH_LOG("%s: no D-SACK received", side_name(side));
	expect_active(_metadata, self, variant);
	expect_no_drops(_metadata, self);
}

/* A few percent of random loss both ways: SACK recovery on both ends. */
TEST_F_TIMEOUT(loss, random_loss, 120)
{
	long long recovery[2];
	int side;

	keys_add(_metadata, self, variant);
	listen_b(_metadata, self, variant);
	establish(_metadata, self, variant, 0);
	expect_sack_ts(_metadata, self);
	for (side = A; side <= B; side++)
		recovery[side] = tcpext(self, side, "TCPSackRecovery");
	ASSERT_EQ(0, mb_netem(&self->m, "delay 1ms loss random 3%"));

	transfer(_metadata, self, BULK, BULK, BULK_MS);

	for (side = A; side <= B; side++)
		EXPECT_LT(recovery[side], tcpext(self, side, "TCPSackRecovery"))
			TH_LOG("%s: no SACK recovery", side_name(side));
	expect_active(_metadata, self, variant);
	expect_no_drops(_metadata, self);
}

/* ------------------------------------------------------------------------ */
/* 4. Tail loss: loss probe and retransmission timeout                      */
/* ------------------------------------------------------------------------ */

#define TAIL_SEGS	8	/* the burst, in segments: within the initial window */
#define TAIL_SEG	1000	/* bytes per segment: one write each, below the MSS */

/* An nft match for A's segments whose payload starts at byte @off of stream @seed. */
static void tail_match(char *buf, size_t len, __u64 seed, size_t off)
{
	unsigned char b[8];

	stream_fill(seed, off, b, sizeof(b));
	snprintf(buf, len, MB_A2B " @ih,0,64 0x%02x%02x%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
}

/*
 * A sends a burst of TAIL_SEGS segments and then nothing. The last two are
 * lost once, and the very last @last_drops times: with one, the loss probe
 * (a retransmission of the last segment) recovers both; with two it is lost
 * too and the retransmission timer has to fire. @counter must move on A.
 */
static void tail_loss(struct __test_metadata *_metadata, struct _test_data_loss *self,
		      const struct _fixture_variant_loss *variant, int last_drops,
		      const char *counter)
{
	char match[2][160];
	long long before;
	struct xfer x;
	int i, one = 1, ret;
	struct tcp_info ti;

	keys_add(_metadata, self, variant);
	listen_b(_metadata, self, variant);
	establish(_metadata, self, variant, 0);
	/* Every write leaves as a segment of its own, right away. */
	ASSERT_EQ(0, setsockopt(self->client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));

	ASSERT_EQ(0, xfer_init(&x, self->client, self->server, 0, false, XFER_MS));
	tail_match(match[0], sizeof(match[0]), x.end[A].send_seed, (TAIL_SEGS - 2) * TAIL_SEG);
	tail_match(match[1], sizeof(match[1]), x.end[A].send_seed, (TAIL_SEGS - 1) * TAIL_SEG);
	ASSERT_EQ(0, mb_nft(&self->m,
			    MB_RULE("%s", "limit rate 1/day burst 1 packets counter drop", "tail1")
			    MB_RULE("%s", "limit rate 1/day burst %d packets counter drop",
				    "tail2"),
			    match[0], match[1], last_drops));
	before = tcpext(self, A, counter);

	for (i = 0; i < TAIL_SEGS; i++) {
		xfer_more(&x, TAIL_SEG, 0, XFER_MS);
		ret = xfer_send(&x, &x.end[A]);
		ASSERT_EQ(0, ret) TH_LOG("send: %s", strerror(-ret));
		ASSERT_EQ(x.end[A].send_goal, x.end[A].sent);
		/* Sent before the next write, so that it cannot join this segment. */
		do {
			ASSERT_EQ(0, mb_tcp_info(self->client, &ti));
		} while (ti.tcpi_notsent_bytes && elapsed_ms(&x.start) < XFER_MS);
		ASSERT_EQ(0u, ti.tcpi_notsent_bytes);
	}
	xfer_expect_ok(_metadata, &x, xfer_run(&x, SIZE_MAX));
	xfer_free(&x);

	ASSERT_EQ(0, mb_list(&self->m));
	expect_hits(_metadata, self, "tail1", 1);
	expect_hits(_metadata, self, "tail2", last_drops);
	EXPECT_LT(before, tcpext(self, A, counter)) TH_LOG("A: %s", counter);
	expect_active(_metadata, self, variant);
	expect_no_drops(_metadata, self);
}

TEST_F(loss, tail_loss_probe)
{
	tail_loss(_metadata, self, variant, 1, "TCPLossProbes");
}

TEST_F(loss, tail_loss_rto)
{
	tail_loss(_metadata, self, variant, 2, "TCPTimeouts");
}

/* ------------------------------------------------------------------------ */
/* 6. Fast open: a SYN retransmitted into the fast-open child               */
/* ------------------------------------------------------------------------ */

/*
 * A gets a fast open cookie on a first connection. On the second, the data
 * comes in the SYN and B accepts it at once in a child socket in SYN-RECV;
 * B's first two SYN-ACKs are lost (see synack_lost), so A retransmits its
 * SYN (without data), which reaches the child. Signed with destination
 * ISN 0, it must be accepted there (B answers with a SYN-ACK). A kernel
 * that checks it with the connection's ISNs drops it; B's own SYN-ACK
 * retransmits still bring the connection up: the counters tell.
 */
TEST_F(loss, fastopen_synack_lost)
{
	static const char msg[] = "data in the SYN";
	struct sockaddr_storage ss;
	char buf[sizeof(msg)];
	int qlen = 8, one = 1, side, ret;
	long long passive;
	socklen_t len;

	keys_add(_metadata, self, variant);
	for (side = A; side <= B; side++) {
		ASSERT_EQ(0, ns_enter(self->m.e.ns[side]));
		ASSERT_EQ(0, sysctl_write("/proc/sys/net/ipv4/tcp_fastopen", "3"));
	}
	/*
	 * With TCP-AO, MSS, window scale, SACK and timestamps, a SYN or SYN-ACK
	 * has 4 bytes of option space left, not the 12 of a cookie: A goes
	 * without timestamps so that the cookie fits both ways.
	 */
	ASSERT_EQ(0, ns_enter(self->m.e.ns[A]));
	ASSERT_EQ(0, sysctl_write("/proc/sys/net/ipv4/tcp_timestamps", "0"));
	listen_b(_metadata, self, variant);
	ASSERT_EQ(0, setsockopt(self->listener, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)));

	/* First connection: A asks for a cookie. */
	client_new(_metadata, self, variant, 0);
	ASSERT_EQ(0, setsockopt(self->client, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one,
				sizeof(one)));
	self->server = connect_accept(_metadata, self->client, self->listener,
				      variant->addr[B], PORT);
	transfer(_metadata, self, SMALL, SMALL, XFER_MS);
	expect_active(_metadata, self, variant);
	close(self->client);
	close(self->server);
	self->client = -1;
	self->server = -1;

	/* Second connection: data in the SYN, the SYN-ACKs lost. */
	passive = tcpext(self, B, "TCPFastOpenPassive");
	ASSERT_EQ(0, mb_nft(&self->m, MB_DROP_FIRST(MB_B2A " " MB_SYNACK, 2, "synack")
				   MB_COUNT(MB_A2B " " MB_SYN, "syns")));
	client_new(_metadata, self, variant, 0);
	len = sockaddr_fill(&ss, variant->addr[B], PORT);
	ret = sendto(self->client, msg, sizeof(msg), MSG_FASTOPEN, (struct sockaddr *)&ss, len);
	ASSERT_EQ((ssize_t)sizeof(msg), ret) TH_LOG("sendto(MSG_FASTOPEN): %m (no cookie?)");
	self->server = accept_wait(self->listener, HANDSHAKE_MS);
	ASSERT_LE(0, self->server) TH_LOG("accept: %s", strerror(-self->server));
	ASSERT_EQ(1, wait_fd(self->server, POLLIN, HANDSHAKE_MS));
	ASSERT_EQ((ssize_t)sizeof(msg), recv(self->server, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(msg, buf, sizeof(msg)));
	EXPECT_EQ(passive + 1, tcpext(self, B, "TCPFastOpenPassive"))
		TH_LOG("the data did not come in the SYN");

	ASSERT_EQ(1, wait_fd(self->client, POLLOUT, HANDSHAKE_MS)) TH_LOG("A not connected");
	ASSERT_EQ(0, sock_error(self->client));
	transfer(_metadata, self, SMALL, SMALL, XFER_MS);

	ASSERT_EQ(0, mb_list(&self->m));
	expect_hits(_metadata, self, "synack", 2);
	EXPECT_LE(2, mb_counter(&self->m, "syns")) TH_LOG("A did not retransmit its SYN");
	EXPECT_EQ(0, counter_delta(_metadata, &self->m.e, B, C_FAILURE))
		TH_LOG("B dropped the SYN retransmitted into its fast-open child");
	expect_active(_metadata, self, variant);
	expect_no_drops(_metadata, self);
}

/* ------------------------------------------------------------------------ */
/* 7. Simultaneous open                                                     */
/* ------------------------------------------------------------------------ */

/*
 * A and B connect to each other from fixed ports while R delays every
 * segment: the SYNs cross, each end gets the other's SYN in SYN-SENT and
 * answers with a SYN-ACK. Each SYN is signed with destination ISN 0.
 */
TEST_F(loss, simultaneous_open)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int ret;

	keys_add(_metadata, self, variant);
	ASSERT_EQ(0, mb_netem(&self->m, "delay 100ms"));
	ASSERT_EQ(0, mb_nft(&self->m, MB_COUNT(MB_A2B " " MB_SYNACK, "synack_a")
				   MB_COUNT(MB_B2A " " MB_SYNACK, "synack_b")));
	self->client = socket_in(_metadata, &self->m.e, A, family_of(variant), self->flags, NULL,
				 variant->addr[A], PORT_A);
	self->server = socket_in(_metadata, &self->m.e, B, family_of(variant), self->flags, NULL,
				 variant->addr[B], PORT_B);

	len = sockaddr_fill(&ss, variant->addr[B], PORT_B);
	ret = connect(self->client, (struct sockaddr *)&ss, len);
	ASSERT_EQ(-1, ret);
	ASSERT_EQ(EINPROGRESS, errno);
	len = sockaddr_fill(&ss, variant->addr[A], PORT_A);
	ret = connect(self->server, (struct sockaddr *)&ss, len);
	ASSERT_EQ(-1, ret);
	ASSERT_EQ(EINPROGRESS, errno);

	ret = wait_fd(self->client, POLLOUT, HANDSHAKE_MS);
	if (ret == 1)
		ret = wait_fd(self->server, POLLOUT, HANDSHAKE_MS);
	if (ret != 1) {
		/* Tell whether the SYNs were dropped for TCP-AO. */
		expect_no_drops(_metadata, self);
		ASSERT_EQ(1, ret) TH_LOG("A and B not connected");
	}
	ASSERT_EQ(0, sock_error(self->client));
	ASSERT_EQ(0, sock_error(self->server));
	ASSERT_EQ(0, mb_netem(&self->m, NULL));
	transfer(_metadata, self, SMALL, SMALL, XFER_MS);

	/* It was a simultaneous open: SYN-ACKs went both ways. */
	ASSERT_EQ(0, mb_list(&self->m));
	EXPECT_LE(1, mb_counter(&self->m, "synack_a"));
	EXPECT_LE(1, mb_counter(&self->m, "synack_b"));
	expect_active(_metadata, self, variant);
	expect_no_drops(_metadata, self);
}

/* ------------------------------------------------------------------------ */
/* 8. A SYN into TIME-WAIT                                                  */
/* ------------------------------------------------------------------------ */

/*
 * B closes first and keeps the connection in TIME-WAIT. A reconnects from
 * the same port: its first SYN is lost, the retransmitted one reaches B's
 * TIME-WAIT socket, which lets it through to the listener (a new
 * connection, signed with destination ISN 0).
 */
TEST_F(loss, syn_into_time_wait)
{
	keys_add(_metadata, self, variant);
	listen_b(_metadata, self, variant);
	establish(_metadata, self, variant, PORT_A);
	transfer(_metadata, self, SMALL, SMALL, XFER_MS);
	expect_active(_metadata, self, variant);
	close_first_half(_metadata, self, B);
	close_second_half(_metadata, self, B);
	close(self->client);
	close(self->server);
	self->client = -1;
	self->server = -1;

	ASSERT_EQ(0, mb_nft(&self->m, MB_DROP_FIRST(MB_A2B " " MB_SYN, 1, "syn")));
	establish(_metadata, self, variant, PORT_A);
	transfer(_metadata, self, SMALL, SMALL, XFER_MS);

	ASSERT_EQ(0, mb_list(&self->m));
	expect_hits(_metadata, self, "syn", 1);
	/* The new connection replaced the TIME-WAIT socket. */
	ASSERT_EQ(0, ns_enter(self->m.e.ns[B]));
	EXPECT_EQ(MB_ESTABLISHED, mb_proc_state(PORT, PORT_A));
	expect_active(_metadata, self, variant);
	expect_no_drops(_metadata, self);
}

/* ------------------------------------------------------------------------ */
/* 9. A key added while in TIME-WAIT                                        */
/* ------------------------------------------------------------------------ */

/*
 * B closes first and its final ACK is lost; while B is in TIME-WAIT a
 * TCP-AO key for A is added there. Then A's FIN retransmissions get
 * through: A must reach CLOSED.
 */
static void key_added_in_time_wait(struct __test_metadata *_metadata,
				   struct _test_data_loss *self,
				   const struct _fixture_variant_loss *variant)
{
	int port = mb_local_port(self->client), ret, last;

	close_first_half(_metadata, self, B);
	ASSERT_EQ(0, mb_nft(&self->m, MB_DROP_ALL(MB_B2A, "b2a")));
	ASSERT_EQ(0, shutdown(self->client, SHUT_WR));
	ASSERT_EQ(0, mb_wait_eof(self->server, CLOSE_MS));
	wait_state(_metadata, "B", self->server, MB_CLOSE, CLOSE_MS);
	ASSERT_EQ(0, ns_enter(self->m.e.ns[B]));
	ASSERT_EQ(MB_TIME_WAIT, mb_proc_state(PORT, port));
	key_on(_metadata, self, variant, B);
	/* The final ACK was lost; the FIN retransmits from now on get through. */
	ASSERT_EQ(0, mb_list(&self->m));
	EXPECT_LE(1, mb_counter(&self->m, "b2a"));
	ASSERT_EQ(0, mb_flush(&self->m));

	ret = mb_wait_state(self->client, MB_CLOSE, 2 * CLOSE_MS, &last);
	EXPECT_EQ(0, ret) TH_LOG("A: state %d, not CLOSED, after %d ms", last, 2 * CLOSE_MS);
}

/*
 * A plain connection between sockets that take part in TCP-AO (no key for
 * the peer when it started). B closes first; its final ACK is lost and,
 * while B is in TIME-WAIT, a key for A is added on B. A retransmits its
 * FIN unsigned from LAST-ACK: the connection is plain TCP to its end, so
 * B's TIME-WAIT socket must accept the FIN and acknowledge it, and A gets
 * CLOSED. (On plain TCP: the same without the key.)
 */
TEST_F(loss, time_wait_key_added)
{
	listen_b(_metadata, self, variant);
	establish(_metadata, self, variant, 0);
	transfer(_metadata, self, SMALL, SMALL, XFER_MS);
	if (variant->alg) {
		expect_authopt(_metadata, "A", self->client, false, -1, -1);
		expect_authopt(_metadata, "B", self->server, false, -1, -1);
	}
	key_added_in_time_wait(_metadata, self, variant);
	EXPECT_EQ(0, counter_delta(_metadata, &self->m.e, B, C_FAILURE))
		TH_LOG("B's TIME-WAIT socket dropped A's FIN");
	expect_no_drops(_metadata, self);
}

/*
 * The same with a TCP-MD5 connection: both sockets take part in TCP-AO but
 * have MD5 keys for each other and no TCP-AO key when they connect. Once
 * B is in TIME-WAIT a TCP-AO key for A is added there, and the final ACK
 * is lost: B's TIME-WAIT answers A's FIN retransmissions with MD5, as the
 * connection ran, not TCP-AO, and A gets CLOSED without counting a
 * segment without MD5. (On plain TCP variants the sockets do not take
 * part; MD5 works as always.)
 */
TEST_F(loss, time_wait_md5_key_added)
{
	long long md5_missing;

	listen_b(_metadata, self, variant);
	ASSERT_EQ(0, md5_set(self->listener, variant->addr[A], MD5_SECRET));
	client_new(_metadata, self, variant, 0);
	ASSERT_EQ(0, md5_set(self->client, variant->addr[B], MD5_SECRET));
	self->server = connect_accept(_metadata, self->client, self->listener,
				      variant->addr[B], PORT);
	transfer(_metadata, self, SMALL, SMALL, XFER_MS);
	if (variant->alg) {
		expect_authopt(_metadata, "A", self->client, false, -1, -1);
		expect_authopt(_metadata, "B", self->server, false, -1, -1);
	}
	md5_missing = tcpext(self, A, "TCPMD5NotFound");
	key_added_in_time_wait(_metadata, self, variant);
	EXPECT_EQ(md5_missing, tcpext(self, A, "TCPMD5NotFound"))
		TH_LOG("A got TIME-WAIT replies without MD5");
	expect_no_drops(_metadata, self);
}

/* ------------------------------------------------------------------------ */
/* 10. Path MTU discovery                                                   */
/* ------------------------------------------------------------------------ */

#define SMALL_MTU	1280

/*
 * The R-B link has a smaller MTU than A-R, and B advertises the MSS of a
 * 1500-byte MTU: A's full-sized segments do not fit, R answers with ICMPv4
 * fragmentation needed or ICMPv6 packet too big, and A must lower its path
 * MTU (those messages are not hard errors: TCP-AO does not ignore them).
 */
TEST_F_TIMEOUT(loss, pmtu, 60)
{
	struct tcp_info ti;

	keys_add(_metadata, self, variant);
	ASSERT_EQ(0, ns_enter(self->m.r));
	ASSERT_EQ(0, mb_ip("link set rb mtu %d\n", SMALL_MTU));
	ASSERT_EQ(0, ns_enter(self->m.e.ns[B]));
	ASSERT_EQ(0, mb_ip("link set vb mtu %d\n"
			      "route replace default via " MB_ADDR4_RB " dev vb advmss 1460\n"
			      "route replace ::/0 via " MB_ADDR6_RB " dev vb advmss 1440\n",
			      SMALL_MTU));
	listen_b(_metadata, self, variant);
	establish(_metadata, self, variant, 0);
	ASSERT_EQ(0, mb_tcp_info(self->client, &ti));
	ASSERT_LT((__u32)SMALL_MTU, ti.tcpi_pmtu) TH_LOG("A: path MTU already %u", ti.tcpi_pmtu);

	transfer(_metadata, self, BULK, SMALL, BULK_MS);

	ASSERT_EQ(0, mb_tcp_info(self->client, &ti));
	EXPECT_GE((__u32)SMALL_MTU, ti.tcpi_pmtu) TH_LOG("A: path MTU %u", ti.tcpi_pmtu);
	expect_active(_metadata, self, variant);
	expect_no_drops(_metadata, self);
}

TEST_HARNESS_MAIN
