// SPDX-License-Identifier: GPL-2.0
/*
 * Upstream Linux's TCP-AO counters (6.7+: TCPAOGood, TCPAOBad,
 * TCPAOKeyNotFound, TCPAORequired, TCPAODroppedIcmps), which monitoring
 * written for upstream TCP-AO reads, count the same events as ours: every
 * verified segment, and each drop beside its TCPAuthOpt* counter.
 *
 * Two network namespaces, A and B, joined by a veth pair (netns_lib.h);
 * B listens, A connects. Each case runs with HMAC-SHA-1-96 over IPv4 and
 * with AES-128-CMAC-96 over IPv6.
 *
 * Needs root, ip(8) and CONFIG_VETH.
 */
#define _GNU_SOURCE
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include "netns_lib.h"

#define PORT		179
#define ID_A		7
#define ID_B		9
#define SECRET		"tcp-ao counters selftest"
#define BYTES		(64u << 10)
#define NO_CONNECT_MS	1500
#define DROP_MS		3000

enum { U_GOOD, U_BAD, U_KEYNOTFOUND, U_REQUIRED, U_ICMPS, U_ICMPIGNORED, U_COUNT };

static const char * const u_name[U_COUNT] = {
	[U_GOOD] = "TCPAOGood",
	[U_BAD] = "TCPAOBad",
	[U_KEYNOTFOUND] = "TCPAOKeyNotFound",
	[U_REQUIRED] = "TCPAORequired",
	[U_ICMPS] = "TCPAODroppedIcmps",
	[U_ICMPIGNORED] = "TCPAuthOptIcmpIgnored",
};

FIXTURE(counters) {
	struct env e;
	long long before[2][U_COUNT];
	int listener, client, server;
};

FIXTURE_VARIANT(counters) {
	int alg;
	const char *addr[2];
};

FIXTURE_VARIANT_ADD(counters, hmac_sha1_ipv4) {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	.addr = { ADDR4_A, ADDR4_B },
};

FIXTURE_VARIANT_ADD(counters, aes_cmac_ipv6) {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	.addr = { ADDR6_A, ADDR6_B },
};

FIXTURE_SETUP(counters)
{
	int side, c;

	self->listener = -1;
	self->client = -1;
	self->server = -1;
	env_setup(_metadata, &self->e, netns_pair_setup, C_COUNT);
	for (side = A; side <= B; side++) {
		for (c = 0; c < U_COUNT; c++) {
			self->before[side][c] = tcpext_counter(self->e.netstat[side], u_name[c]);
			ASSERT_LE(0, self->before[side][c]) TH_LOG("no TcpExt %s", u_name[c]);
		}
	}
	self->listener = listen_at(_metadata, &self->e, B, variant->addr[B], PORT, 0, NULL);
}

FIXTURE_TEARDOWN(counters)
{
	if (self->server >= 0)
		close(self->server);
	if (self->client >= 0)
		close(self->client);
	if (self->listener >= 0)
		close(self->listener);
	env_teardown(&self->e);
}

static long long u_delta(struct _test_data_counters *self, int side, int c)
{
	return tcpext_counter(self->e.netstat[side], u_name[c]) - self->before[side][c];
}

/* Wait until upstream's counter @u of B moved, then compare it with ours. */
static void expect_b_drop(struct __test_metadata *_metadata, struct _test_data_counters *self,
			  int u, int ours)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!u_delta(self, B, u) && elapsed_ms(&t0) < DROP_MS)
		usleep(10000);
	EXPECT_LT(0, u_delta(self, B, u)) TH_LOG("B: %s did not move", u_name[u]);
	EXPECT_EQ(counter_delta(_metadata, &self->e, B, ours), u_delta(self, B, u))
		TH_LOG("B: %s and %s differ", u_name[u], counter_name[ours]);
	EXPECT_EQ(0, u_delta(self, B, U_GOOD)) TH_LOG("B verified a segment");
}

static void add_keys(struct __test_metadata *_metadata, struct _test_data_counters *self,
		     const struct _fixture_variant_counters *variant, const char *b_secret,
		     int b_recv_id)
{
	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	ASSERT_EQ(0, key_add(variant->alg, ID_A, ID_B, SECRET, variant->addr[B]));
	ASSERT_EQ(0, ns_enter(self->e.ns[B]));
	ASSERT_EQ(0, key_add(variant->alg, ID_B, b_recv_id, b_secret, variant->addr[A]));
}

static void try_connect(struct __test_metadata *_metadata, struct _test_data_counters *self,
			const struct _fixture_variant_counters *variant, __u32 flags)
{
	self->client = socket_in(_metadata, &self->e, A, addr_family(variant->addr[A]), flags,
				 NULL, NULL, 0);
	expect_no_connection(_metadata, self->client, self->listener, variant->addr[B], PORT,
			     NO_CONNECT_MS);
}

/* Both ends count the segments they verified, and nothing else moved. */
TEST_F(counters, good)
{
	int side, c;

	add_keys(_metadata, self, variant, SECRET, ID_A);
	self->client = socket_in(_metadata, &self->e, A, addr_family(variant->addr[A]), 0,
				 NULL, NULL, 0);
	self->server = connect_accept(_metadata, self->client, self->listener,
				      variant->addr[B], PORT);
	expect_authopt(_metadata, "A", self->client, true, ID_A, ID_B);
	exchange(_metadata, self->client, self->server, BYTES, true);
	for (side = A; side <= B; side++) {
		/* Handshake, data each way and the FINs: more than 3 segments each. */
		EXPECT_LT(3, u_delta(self, side, U_GOOD)) TH_LOG("%s", side_name(side));
		for (c = U_BAD; c < U_COUNT; c++) {
			const char *name = u_name[c];

			EXPECT_EQ(0, u_delta(self, side, c))
				TH_LOG("%s: %s", side_name(side), name);
		}
	}
	expect_counters_unchanged(_metadata, &self->e);
}

TEST_F(counters, bad_mac)
{
	add_keys(_metadata, self, variant, "not the same secret", ID_A);
	try_connect(_metadata, self, variant, 0);
	expect_b_drop(_metadata, self, U_BAD, C_BADMAC);
}

TEST_F(counters, key_not_found)
{
	add_keys(_metadata, self, variant, SECRET, ID_A + 1);
	try_connect(_metadata, self, variant, 0);
	expect_b_drop(_metadata, self, U_KEYNOTFOUND, C_KEYNOTFOUND);
}

/* A has no key, B has one for A: A's unsigned SYNs are dropped. */
TEST_F(counters, required)
{
	ASSERT_EQ(0, ns_enter(self->e.ns[B]));
	ASSERT_EQ(0, key_add(variant->alg, ID_B, ID_A, SECRET, variant->addr[A]));
	try_connect(_metadata, self, variant, 0);
	expect_b_drop(_metadata, self, U_REQUIRED, C_REQUIRED);
}

/* A signs, B has no key for A and rejects unexpected TCP-AO. */
TEST_F(counters, unexpected)
{
	close(self->listener);
	self->listener = listen_at(_metadata, &self->e, B, variant->addr[B], PORT,
				   TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED, NULL);
	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	ASSERT_EQ(0, key_add(variant->alg, ID_A, ID_B, SECRET, variant->addr[B]));
	try_connect(_metadata, self, variant, 0);
	expect_b_drop(_metadata, self, U_KEYNOTFOUND, C_UNEXPECTED);
}

static __u16 csum16(const void *data, size_t len)
{
	const __u8 *p = data;
	__u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/*
 * From A, a "port unreachable" for B's connection, quoting a segment of B
 * at @seq: a hard error (RFC 5925 7.8) that must not reset it.
 */
static int send_port_unreachable(int family, const char *a, const char *b,
				 __u16 b_port, __u16 a_port, __u32 seq)
{
	struct sockaddr_storage dst;
	struct tcphdr th = {
		.source = htons(b_port), .dest = htons(a_port), .seq = htonl(seq),
	};
	__u8 pkt[8 + 40 + 8];
	socklen_t dlen = sockaddr_fill(&dst, b, 0);
	size_t len;
	int fd, ret;

	memset(pkt, 0, sizeof(pkt));
	if (family == AF_INET) {
		struct icmphdr *icmp = (struct icmphdr *)pkt;
		struct iphdr *ip = (struct iphdr *)(pkt + 8);

		icmp->type = ICMP_DEST_UNREACH;
		icmp->code = ICMP_PORT_UNREACH;
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		ip->tot_len = htons(20 + 20);
		inet_pton(AF_INET, b, &ip->saddr);
		inet_pton(AF_INET, a, &ip->daddr);
		memcpy(pkt + 8 + 20, &th, 8);
		len = 8 + 20 + 8;
		icmp->checksum = csum16(pkt, len);
		fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	} else {
		struct icmp6_hdr *icmp = (struct icmp6_hdr *)pkt;
		struct ip6_hdr *ip6 = (struct ip6_hdr *)(pkt + 8);

		icmp->icmp6_type = ICMP6_DST_UNREACH;
		icmp->icmp6_code = ICMP6_DST_UNREACH_NOPORT;
		ip6->ip6_flow = htonl(6u << 28);
		ip6->ip6_plen = htons(20);
		ip6->ip6_nxt = IPPROTO_TCP;
		ip6->ip6_hlim = 64;
		inet_pton(AF_INET6, b, &ip6->ip6_src);
		inet_pton(AF_INET6, a, &ip6->ip6_dst);
		memcpy(pkt + 8 + 40, &th, 8);
		len = 8 + 40 + 8;
		/* The kernel fills in the ICMPv6 checksum of raw sockets. */
		fd = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	}
	if (fd < 0)
		return -errno;
	ret = sendto(fd, pkt, len, 0, (struct sockaddr *)&dst, dlen) == (ssize_t)len ? 0 : -errno;
	close(fd);
	return ret;
}

/* B's next sequence number to send, read in repair mode. */
static int snd_nxt(int fd, __u32 *seq)
{
	int ret = repair_mode(fd, 1), off;

	if (ret)
		return ret;
	ret = queue_seq_get(fd, TCP_SEND_QUEUE, seq);
	/* TCP_REPAIR_OFF_NO_WP: leave without a window probe. */
	off = repair_mode(fd, -1);
	return ret ?: off;
}

TEST_F(counters, icmp_ignored)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	__u16 a_port;
	__u32 seq;

	add_keys(_metadata, self, variant, SECRET, ID_A);
	self->client = socket_in(_metadata, &self->e, A, addr_family(variant->addr[A]), 0,
				 NULL, NULL, 0);
	self->server = connect_accept(_metadata, self->client, self->listener,
				      variant->addr[B], PORT);
	exchange(_metadata, self->client, self->server, BYTES, false);
	ASSERT_EQ(0, getsockname(self->client, (struct sockaddr *)&ss, &len));
	a_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	ASSERT_EQ(0, ns_enter(self->e.ns[B]));
	ASSERT_EQ(0, snd_nxt(self->server, &seq));
	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	ASSERT_EQ(0, send_port_unreachable(addr_family(variant->addr[A]), variant->addr[A],
					   variant->addr[B], PORT, a_port, seq));
	usleep(100000);
	EXPECT_EQ(1, u_delta(self, B, U_ICMPS));
	EXPECT_EQ(1, u_delta(self, B, U_ICMPIGNORED));
	/* Still up: the error was ignored. */
	exchange(_metadata, self->client, self->server, BYTES, true);
}

TEST_HARNESS_MAIN
