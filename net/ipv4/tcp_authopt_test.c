// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * KUnit tests for TCP-AO: traffic keys and MACs on every RFC 9235 vector
 * (linear and paged skbs), KDF with several master key lengths, the RFC
 * 9187 SNE validation sequence (also through the extended references the
 * connections keep), option parsing, the key database rules and the choice
 * of the key that signs.
 */
#include <kunit/test.h>
#include <linux/inet.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <net/tcp_authopt.h>

#include "tcp_authopt_priv.h"
#include "tcp_authopt_test_vectors.h"

/* Byte-array comparison that shows both sides on failure. */
static void expect_bytes(struct kunit *test, bool eq, const u8 *got, const u8 *want,
			 unsigned int len, const char *section, const char *what)
{
	KUNIT_EXPECT_TRUE_MSG(test, !memcmp(got, want, len) == eq,
			      "section %s %s: got %*phN want %*phN", section, what,
			      (int)len, got, (int)len, want);
}

static const struct tcp_authopt_test_vector *vec(unsigned int i)
{
	return &tcp_authopt_rfc9235_vectors[i];
}

static bool vec_from_client(const struct tcp_authopt_test_vector *v)
{
	return !strncmp(v->kind, "client->", 8);
}

static bool vec_is_syn(const struct tcp_authopt_test_vector *v)
{
	return strstr(v->kind, "SYN") && !strstr(v->kind, "non-SYN");
}

/* Offsets of the TCP header and of the addresses in a vector's packet. */
static void vec_layout(const struct tcp_authopt_test_vector *v, unsigned int *thoff,
		       const u8 **saddr, const u8 **daddr)
{
	if (v->ipv6) {
		*thoff = sizeof(struct ipv6hdr);
		*saddr = v->packet + offsetof(struct ipv6hdr, saddr);
		*daddr = v->packet + offsetof(struct ipv6hdr, daddr);
	} else {
		*thoff = (v->packet[0] & 0xf) * 4;
		*saddr = v->packet + offsetof(struct iphdr, saddr);
		*daddr = v->packet + offsetof(struct iphdr, daddr);
	}
}

/* The traffic key of a vector, derived from the master key and the packet. */
static void test_rfc9235_traffic_keys(struct kunit *test)
{
	u8 ctx[TCP_AUTHOPT_MAX_CONTEXT_LEN], key[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	unsigned int i, thoff, ctxlen;
	const u8 *saddr, *daddr;

	for (i = 0; i < ARRAY_SIZE(tcp_authopt_rfc9235_vectors); i++) {
		const struct tcp_authopt_test_vector *v = vec(i);
		const struct tcphdr *th;
		u32 sisn, disn;

		vec_layout(v, &thoff, &saddr, &daddr);
		th = (const struct tcphdr *)(v->packet + thoff);
		sisn = vec_from_client(v) ? v->client_isn : v->server_isn;
		disn = vec_from_client(v) ? v->server_isn : v->client_isn;
		if (vec_is_syn(v) && !th->ack)
			disn = 0;
		ctxlen = tcp_authopt_kdf_context(ctx, v->ipv6 ? AF_INET6 : AF_INET,
						 saddr, daddr, th->source, th->dest,
						 htonl(sisn), htonl(disn));
		KUNIT_ASSERT_EQ_MSG(test, ctxlen, v->kdf_context_len, "section %s", v->section);
		expect_bytes(test, true, ctx, v->kdf_context, ctxlen, v->section, v->kind);

		KUNIT_ASSERT_EQ(test, tcp_authopt_traffic_keylen(v->alg), v->traffic_key_len);
		KUNIT_ASSERT_EQ(test, tcp_authopt_kdf(v->alg, tcp_authopt_rfc9235_mkt,
						      sizeof(tcp_authopt_rfc9235_mkt),
						      ctx, ctxlen, key), 0);
		expect_bytes(test, true, key, v->traffic_key, v->traffic_key_len, v->section,
			     v->kind);
	}
}

/* An skb holding a vector's packet from the IP header on; with @paged, all
 * but the IP and TCP headers (and at least one byte) go to a page fragment.
 */
static struct sk_buff *vec_skb(struct kunit *test, const struct tcp_authopt_test_vector *v,
			       bool paged)
{
	unsigned int thoff, linear;
	const u8 *saddr, *daddr;
	struct sk_buff *skb;

	vec_layout(v, &thoff, &saddr, &daddr);
	linear = v->packet_len;
	if (paged)
		linear = min(thoff + (v->packet[thoff + 12] >> 4) * 4, v->packet_len - 1);
	skb = alloc_skb(linear, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_put_data(skb, v->packet, linear);
	if (paged) {
		struct page *page = alloc_page(GFP_KERNEL);
		unsigned int rest = v->packet_len - linear;

		KUNIT_ASSERT_NOT_NULL(test, page);
		/* Start off the page boundary so offsets are exercised. */
		memcpy(page_address(page) + 100, v->packet + linear, rest);
		skb_add_rx_frag(skb, 0, page, 100, rest, PAGE_SIZE);
	}
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, thoff);
	return skb;
}

/* With @prepared, HMAC keys resume from their prepared hash states. */
static void check_vector_macs(struct kunit *test, bool paged, bool prepared)
{
	struct tcp_authopt_hmac_state hs = {};
	unsigned int i, thoff;
	const u8 *saddr, *daddr;
	u8 mac[TCP_AUTHOPT_MACLEN];

	for (i = 0; i < ARRAY_SIZE(tcp_authopt_rfc9235_vectors); i++) {
		const struct tcp_authopt_test_vector *v = vec(i);
		struct sk_buff *skb = vec_skb(test, v, paged);

		if (prepared) {
			tcp_authopt_hmac_prepare(v->alg, v->traffic_key, &hs);
			KUNIT_EXPECT_EQ_MSG(test, hs.ready, v->alg == TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
					    "%s: HMAC state prepared", v->section);
		}
		vec_layout(v, &thoff, &saddr, &daddr);
		KUNIT_EXPECT_EQ(test, skb->len, v->packet_len);
		KUNIT_EXPECT_EQ(test, tcp_authopt_calc_mac(v->alg, v->traffic_key,
							   prepared ? &hs : NULL,
							   v->exclude_opts, 0,
							   v->ipv6 ? AF_INET6 : AF_INET,
							   saddr, daddr, skb, mac), 0);
		expect_bytes(test, true, mac, v->mac, TCP_AUTHOPT_MACLEN, v->section,
			     paged ? "MAC, paged skb" : "MAC");
		kfree_skb(skb);
	}
}

static void test_rfc9235_macs(struct kunit *test)
{
	check_vector_macs(test, false, false);
}

static void test_rfc9235_macs_paged(struct kunit *test)
{
	check_vector_macs(test, true, false);
}

static void test_rfc9235_macs_prepared(struct kunit *test)
{
	check_vector_macs(test, false, true);
	check_vector_macs(test, true, true);
}

/* Replies built in a buffer (no skb): the vectors that carry no payload. */
static void test_rfc9235_macs_hdr(struct kunit *test)
{
	unsigned int i, thoff, n = 0;
	const u8 *saddr, *daddr;
	u8 mac[TCP_AUTHOPT_MACLEN];

	for (i = 0; i < ARRAY_SIZE(tcp_authopt_rfc9235_vectors); i++) {
		const struct tcp_authopt_test_vector *v = vec(i);
		const struct tcphdr *th;

		vec_layout(v, &thoff, &saddr, &daddr);
		th = (const struct tcphdr *)(v->packet + thoff);
		if (thoff + th->doff * 4 != v->packet_len)
			continue;
		n++;
		KUNIT_EXPECT_EQ(test, tcp_authopt_calc_mac_hdr(v->alg, v->traffic_key,
							       v->exclude_opts, 0,
							       v->ipv6 ? AF_INET6 : AF_INET,
							       saddr, daddr, th, mac), 0);
		expect_bytes(test, true, mac, v->mac, TCP_AUTHOPT_MACLEN, v->section,
			     "MAC of a header");
	}
	KUNIT_EXPECT_GT_MSG(test, n, 0, "no vector without payload");
}

/* The MAC covers SNE, payload and (unless excluded) options: change each. */
static void test_mac_inputs(struct kunit *test)
{
	const struct tcp_authopt_test_vector *v = NULL;
	u8 mac[TCP_AUTHOPT_MACLEN];
	const u8 *saddr, *daddr;
	struct sk_buff *skb;
	unsigned int i, thoff;

	for (i = 0; i < ARRAY_SIZE(tcp_authopt_rfc9235_vectors); i++)
		if (!vec_is_syn(vec(i)) && !vec(i)->exclude_opts)
			v = vec(i);
	KUNIT_ASSERT_NOT_NULL(test, v);

	skb = vec_skb(test, v, false);
	vec_layout(v, &thoff, &saddr, &daddr);
	/* Another SNE, same bytes. */
	KUNIT_ASSERT_EQ(test, tcp_authopt_calc_mac(v->alg, v->traffic_key, NULL, false, 1,
						   v->ipv6 ? AF_INET6 : AF_INET,
						   saddr, daddr, skb, mac), 0);
	expect_bytes(test, false, mac, v->mac, TCP_AUTHOPT_MACLEN, v->section, "MAC, SNE 1");
	/* The checksum field is zeroed for the MAC: changing it changes nothing. */
	skb->data[thoff + 16] ^= 0xff;
	KUNIT_ASSERT_EQ(test, tcp_authopt_calc_mac(v->alg, v->traffic_key, NULL, false, 0,
						   v->ipv6 ? AF_INET6 : AF_INET,
						   saddr, daddr, skb, mac), 0);
	expect_bytes(test, true, mac, v->mac, TCP_AUTHOPT_MACLEN, v->section, "MAC, checksum");
	/* Last payload byte. */
	skb->data[skb->len - 1] ^= 1;
	KUNIT_ASSERT_EQ(test, tcp_authopt_calc_mac(v->alg, v->traffic_key, NULL, false, 0,
						   v->ipv6 ? AF_INET6 : AF_INET,
						   saddr, daddr, skb, mac), 0);
	expect_bytes(test, false, mac, v->mac, TCP_AUTHOPT_MACLEN, v->section, "MAC, payload");
	kfree_skb(skb);
}

/* A CMAC key stays set in this CPU's transform across segments; a key
 * derivation in between uses that transform and must not leave its key
 * behind for the next MAC.
 */
static void test_cmac_key_kept(struct kunit *test)
{
	const struct tcp_authopt_test_vector *v = NULL;
	u8 mac[TCP_AUTHOPT_MACLEN], tkey[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	const u8 *saddr, *daddr;
	struct sk_buff *skb;
	unsigned int i, thoff, round;
	int err;

	for (i = 0; i < ARRAY_SIZE(tcp_authopt_rfc9235_vectors); i++)
		if (vec(i)->alg == TCP_AUTHOPT_ALG_AES_128_CMAC_96 && !vec_is_syn(vec(i)))
			v = vec(i);
	KUNIT_ASSERT_NOT_NULL(test, v);
	skb = vec_skb(test, v, false);
	vec_layout(v, &thoff, &saddr, &daddr);
	for (round = 0; round < 3; round++) {
		KUNIT_ASSERT_EQ(test, tcp_authopt_calc_mac(v->alg, v->traffic_key, NULL,
							   v->exclude_opts, 0,
							   v->ipv6 ? AF_INET6 : AF_INET,
							   saddr, daddr, skb, mac), 0);
		expect_bytes(test, true, mac, v->mac, TCP_AUTHOPT_MACLEN, v->section,
			     round ? "MAC after a key derivation" : "MAC");
		/* 16 bytes: the master key itself is set on the transform. */
		err = tcp_authopt_kdf(v->alg, tcp_authopt_kdf_mkt, 16, tcp_authopt_kdf_test_context,
				      sizeof(tcp_authopt_kdf_test_context), tkey);
		KUNIT_ASSERT_EQ(test, err, 0);
	}
	kfree_skb(skb);
}

static void test_kdf_key_lengths(struct kunit *test)
{
	u8 key[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	unsigned int i;

	KUNIT_ASSERT_EQ(test, ARRAY_SIZE(tcp_authopt_kdf_vectors), 10);
	for (i = 0; i < ARRAY_SIZE(tcp_authopt_kdf_vectors); i++) {
		const struct tcp_authopt_test_kdf *k = &tcp_authopt_kdf_vectors[i];

		int err = tcp_authopt_kdf(k->alg, tcp_authopt_kdf_mkt, k->mkt_len,
					  tcp_authopt_kdf_test_context,
					  sizeof(tcp_authopt_kdf_test_context), key);

		KUNIT_ASSERT_EQ(test, err, 0);
		expect_bytes(test, true, key, k->traffic_key, k->traffic_key_len,
			     k->alg == 1 ? "HMAC-SHA-1 KDF" : "AES-128-CMAC KDF",
			     k->mkt_len == 0 ? "empty MKT" : k->mkt_len == 1 ? "1-byte MKT" :
			     k->mkt_len == 16 ? "16-byte MKT" :
			     k->mkt_len == 20 ? "20-byte MKT" : "80-byte MKT");
	}
	/* Lengths over 80 and unknown algorithms are refused. */
	KUNIT_EXPECT_EQ(test, tcp_authopt_kdf(1, tcp_authopt_kdf_mkt, 81,
					      tcp_authopt_kdf_test_context, 20, key), -EINVAL);
	KUNIT_EXPECT_EQ(test, tcp_authopt_kdf(TCP_AUTHOPT_NUM_ALGS + 1, tcp_authopt_kdf_mkt, 16,
					      tcp_authopt_kdf_test_context, 20, key), -EINVAL);
}

/* Upstream's other HMACs (SHA-2, SHA-3, RIPEMD-160, MD5): traffic key (a
 * whole digest) and MAC of RFC 9235 packets, against the independent Python
 * implementation. Their transforms exist only once
 * tcp_authopt_crypto_init_alg() made them.
 */
static void test_hmac_keys_and_macs(struct kunit *test)
{
	u8 key[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN], mac[TCP_AUTHOPT_MACLEN];
	unsigned int i, thoff;
	const u8 *saddr, *daddr;

	for (i = 0; i < ARRAY_SIZE(tcp_authopt_hmac_vectors); i++) {
		const struct tcp_authopt_test_hmac *s = &tcp_authopt_hmac_vectors[i];
		const struct tcp_authopt_test_vector *v = vec(s->vector);
		struct sk_buff *skb;

		KUNIT_ASSERT_EQ(test, tcp_authopt_traffic_keylen(s->alg), s->traffic_key_len);
		KUNIT_ASSERT_EQ(test, tcp_authopt_crypto_init_alg(s->alg), 0);
		KUNIT_ASSERT_EQ(test, tcp_authopt_kdf(s->alg, tcp_authopt_rfc9235_mkt,
						      sizeof(tcp_authopt_rfc9235_mkt),
						      v->kdf_context, v->kdf_context_len, key), 0);
		expect_bytes(test, true, key, s->traffic_key, s->traffic_key_len,
			     tcp_authopt_alg_name(s->alg), "traffic key");
		skb = vec_skb(test, v, i & 1);
		vec_layout(v, &thoff, &saddr, &daddr);
		KUNIT_ASSERT_EQ(test, tcp_authopt_calc_mac(s->alg, key, NULL, v->exclude_opts, 0,
							   v->ipv6 ? AF_INET6 : AF_INET,
							   saddr, daddr, skb, mac), 0);
		expect_bytes(test, true, mac, s->mac, TCP_AUTHOPT_MACLEN,
			     tcp_authopt_alg_name(s->alg), "MAC");
		kfree_skb(skb);
	}
	KUNIT_EXPECT_EQ(test, tcp_authopt_alg_by_name("hmac(sha256)"),
			TCP_AUTHOPT_ALG_HMAC_SHA_256);
	KUNIT_EXPECT_EQ(test, tcp_authopt_alg_by_name("cmac(aes128)"),
			TCP_AUTHOPT_ALG_AES_128_CMAC_96);
	KUNIT_EXPECT_EQ(test, tcp_authopt_alg_by_name("hmac(md5)"), TCP_AUTHOPT_ALG_HMAC_MD5);
	KUNIT_EXPECT_EQ(test, tcp_authopt_alg_by_name("hmac(sha0)"), -ENOENT);
}

/* RFC 5926 3.1.1.2: an AES-128-CMAC master key that is not 16 bytes long is
 * first reduced to AES-CMAC(0^128, MKT); deriving from the reduced key
 * directly must give the same traffic key.
 */
static void test_aes_kdf_reduction(struct kunit *test)
{
	u8 direct[16], reduced[16];

	KUNIT_ASSERT_EQ(test, tcp_authopt_kdf(TCP_AUTHOPT_ALG_AES_128_CMAC_96,
					      tcp_authopt_rfc9235_mkt,
					      sizeof(tcp_authopt_rfc9235_mkt),
					      tcp_authopt_kdf_test_context,
					      sizeof(tcp_authopt_kdf_test_context), direct), 0);
	KUNIT_ASSERT_EQ(test, tcp_authopt_kdf(TCP_AUTHOPT_ALG_AES_128_CMAC_96,
					      tcp_authopt_rfc9235_aes_kdf_key,
					      sizeof(tcp_authopt_rfc9235_aes_kdf_key),
					      tcp_authopt_kdf_test_context,
					      sizeof(tcp_authopt_kdf_test_context), reduced), 0);
	expect_bytes(test, true, direct, reduced, sizeof(direct), "3.1", "AES KDF key reduction");
}

/* RFC 9187 section 6: sequence numbers in receive order, expected SNE. */
static const u32 rfc9187_sequence[][2] = {
	{ 0, 0x00000000 }, { 0, 0x30000000 }, { 0, 0x90000000 }, { 0, 0x70000000 },
	{ 0, 0xa0000000 }, { 1, 0x00000001 }, { 0, 0xe0000000 }, { 1, 0x00000000 },
	{ 1, 0x7fffffff }, { 1, 0x00000000 }, { 1, 0x50000000 }, { 1, 0x80000000 },
	{ 1, 0x00000001 }, { 1, 0x40000000 }, { 1, 0x90000000 }, { 1, 0xb0000000 },
	{ 2, 0x0fffffff }, { 2, 0x20000000 }, { 2, 0x90000000 }, { 2, 0x70000000 },
	{ 2, 0xa0000000 }, { 3, 0x00004000 }, { 2, 0xd0000000 }, { 3, 0x20000000 },
	{ 3, 0x90000000 }, { 3, 0x70000000 }, { 3, 0xa0000000 }, { 4, 0x00004000 },
	{ 3, 0xd0000000 },
};

static void test_sne_rfc9187(struct kunit *test)
{
	u32 ref_sne = 0, ref_seq = 0, sne;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rfc9187_sequence); i++) {
		u32 seq = rfc9187_sequence[i][1];

		sne = tcp_authopt_compute_sne(ref_sne, ref_seq, seq);
		KUNIT_EXPECT_EQ_MSG(test, sne, rfc9187_sequence[i][0], "step %u seq %08x",
				    i + 1, seq);
		/* The reference point only moves forward. */
		if (!before(seq, ref_seq)) {
			ref_sne = sne;
			ref_seq = seq;
		}
	}
}

/* The same sequence through the 64-bit references connections keep. */
static void test_sne_ext_rfc9187(struct kunit *test)
{
	atomic64_t ref = ATOMIC64_INIT(0);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rfc9187_sequence); i++) {
		u32 seq = rfc9187_sequence[i][1];
		u64 ext = tcp_authopt_ext_seq(atomic64_read(&ref), seq);

		KUNIT_EXPECT_EQ_MSG(test, (u32)(ext >> 32), rfc9187_sequence[i][0],
				    "step %u seq %08x", i + 1, seq);
		KUNIT_EXPECT_EQ(test, (u32)ext, seq);
		tcp_authopt_ext_advance(&ref, ext);
	}
	/* Never backwards. */
	tcp_authopt_ext_advance(&ref, 5);
	KUNIT_EXPECT_GT(test, (u64)atomic64_read(&ref), 5ULL);
}

static void test_sne_wrap(struct kunit *test)
{
	/* Just before and after the wrap, seen from either side of it. */
	KUNIT_EXPECT_EQ(test, tcp_authopt_compute_sne(5, 0xfffffff0, 0x00000010), 6);
	KUNIT_EXPECT_EQ(test, tcp_authopt_compute_sne(5, 0xfffffff0, 0xffffff00), 5);
	KUNIT_EXPECT_EQ(test, tcp_authopt_compute_sne(6, 0x00000010, 0xfffffff0), 5);
	KUNIT_EXPECT_EQ(test, tcp_authopt_compute_sne(6, 0x00000010, 0x00000020), 6);
	KUNIT_EXPECT_EQ(test, tcp_authopt_compute_sne(0xffffffff, 0xfffffff0, 0x10), 0);
}

/* A 20-byte TCP header followed by @optlen option bytes. */
static const u8 *parse_opts(struct kunit *test, const u8 *opts, unsigned int optlen)
{
	u8 *buf = kunit_kzalloc(test, sizeof(struct tcphdr) + 40, GFP_KERNEL);
	struct tcphdr *th = (struct tcphdr *)buf;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_LE(test, optlen, 40);
	KUNIT_ASSERT_EQ(test, optlen % 4, 0);
	th->doff = (sizeof(*th) + optlen) / 4;
	memcpy(buf + sizeof(*th), opts, optlen);
	return tcp_authopt_find_option(th);
}

static void test_find_option(struct kunit *test)
{
	static const u8 ts_ao[] = {
		1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 29, 16, 5, 0, 1, 2, 3, 4,
		5, 6, 7, 8, 9, 10, 11, 12,
	};
	static const u8 none[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const u8 eol_first[] = {
		0, 0, 0, 0, 29, 16, 5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
		12,
	};
	/* MACs of 11 and 13 bytes: the key, not the parser, decides. */
	static const u8 short_len[] = { 29, 15, 5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0 };
	static const u8 long_len[] = {
		29, 17, 5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0,
		0,
	};
	static const u8 mac1_nops[] = { 29, 5, 5, 0, 1, 1, 1, 1 };
	static const u8 no_mac[] = { 29, 4, 5, 0 };
	static const u8 truncated[] = { 1, 1, 1, 1, 29, 16, 5, 0 };
	static const u8 zero_size[] = {
		8, 0, 0, 0, 29, 16, 5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
		12,
	};
	static const u8 one_size[] = {
		8, 1, 0, 0, 29, 16, 5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
		12,
	};
	static const u8 overrun[] = { 1, 1, 1, 8 };
	static const u8 twice[] = {
		29, 16, 5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 29, 16, 6,
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	};
	const u8 *opt;

	opt = parse_opts(test, ts_ao, sizeof(ts_ao));
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(opt));
	KUNIT_EXPECT_EQ(test, opt[2], 5);
	KUNIT_EXPECT_NULL(test, parse_opts(test, none, sizeof(none)));
	KUNIT_EXPECT_NULL(test, parse_opts(test, none, 0));
	KUNIT_EXPECT_NULL(test, parse_opts(test, eol_first, sizeof(eol_first)));
	opt = parse_opts(test, short_len, sizeof(short_len));
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(opt));
	KUNIT_EXPECT_EQ(test, opt[1], 15);
	opt = parse_opts(test, long_len, sizeof(long_len));
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(opt));
	KUNIT_EXPECT_EQ(test, opt[1], 17);
	opt = parse_opts(test, mac1_nops, sizeof(mac1_nops));
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(opt));
	KUNIT_EXPECT_EQ(test, opt[1], 5);
	KUNIT_EXPECT_PTR_EQ(test, parse_opts(test, no_mac, sizeof(no_mac)), ERR_PTR(-EINVAL));
	KUNIT_EXPECT_PTR_EQ(test, parse_opts(test, truncated, sizeof(truncated)),
			    ERR_PTR(-EINVAL));
	KUNIT_EXPECT_PTR_EQ(test, parse_opts(test, zero_size, sizeof(zero_size)),
			    ERR_PTR(-EINVAL));
	KUNIT_EXPECT_PTR_EQ(test, parse_opts(test, one_size, sizeof(one_size)),
			    ERR_PTR(-EINVAL));
	KUNIT_EXPECT_PTR_EQ(test, parse_opts(test, overrun, sizeof(overrun)),
			    ERR_PTR(-EINVAL));
	KUNIT_EXPECT_PTR_EQ(test, parse_opts(test, twice, sizeof(twice)), ERR_PTR(-EINVAL));
}

/* Key database: a private one, never a namespace's. */

struct keydb_test {
	struct tcp_authopt_keydb db;
};

static struct tcp_authopt_key_info *make_key(struct kunit *test, u32 flags, u8 send_id,
					     u8 recv_id, const char *addr, u32 prefixlen)
{
	struct tcp_authopt_key opt = {
		.flags = flags,
		.send_id = send_id,
		.recv_id = recv_id,
		.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
		.keylen = 4,
		.key = "test",
		.prefixlen = prefixlen,
	};
	struct tcp_authopt_key_info *key;

	if (addr) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&opt.addr;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = in_aton(addr);
	}
	key = tcp_authopt_key_from_opt(&init_net, &opt, sizeof(opt));
	KUNIT_ASSERT_FALSE(test, IS_ERR(key));
	return key;
}

/* Add, dropping the key when the database refuses it. */
static int add_key(struct kunit *test, u32 flags, u8 send_id, u8 recv_id,
		   const char *addr, u32 prefixlen)
{
	struct keydb_test *t = test->priv;
	struct tcp_authopt_key_info *key = make_key(test, flags, send_id, recv_id, addr,
						     prefixlen);
	int err = tcp_authopt_keydb_add(&t->db, key);

	if (err)
		tcp_authopt_key_put(key);
	return err;
}

static int del_key(struct kunit *test, u32 flags, u8 send_id, u8 recv_id,
		   const char *addr, u32 prefixlen)
{
	struct keydb_test *t = test->priv;
	struct tcp_authopt_key_info *key = make_key(test, flags, send_id, recv_id, addr,
						     prefixlen);
	int err = tcp_authopt_keydb_del(&t->db, key);

	tcp_authopt_key_put(key);
	return err;
}

/* The keys for a peer, as "send_id/recv_id/specificity" words. */
static void lookup(struct kunit *test, const char *peer, char *out, size_t size)
{
	struct tcp_authopt_conn conn = { .family = AF_INET, .lport = 179, .rport = 40000 };
	struct keydb_test *t = test->priv;
	struct tcp_authopt_match m;
	unsigned int i;
	int pos = 0;

	conn.raddr.v4.s_addr = in_aton(peer);
	mutex_lock(&t->db.mutex);
	KUNIT_ASSERT_EQ(test, tcp_authopt_keydb_match(&t->db, &conn, &m, GFP_KERNEL), 0);
	out[0] = 0;
	for (i = 0; i < m.n; i++)
		pos += scnprintf(out + pos, size - pos, "%s%u/%u/%d", i ? " " : "",
				 m.keys[i]->send_id, m.keys[i]->recv_id,
				 tcp_authopt_key_specificity(m.keys[i]));
	tcp_authopt_match_free(&m);
	mutex_unlock(&t->db.mutex);
}

/* The keys for @peer are @want, as lookup() writes them. */
static void expect_keys(struct kunit *test, const char *peer, const char *want)
{
	char buf[128];

	lookup(test, peer, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ_MSG(test, buf, want, "keys for %s", peer);
}

#define BIND	TCP_AUTHOPT_KEY_ADDR_BIND
#define PREFIX	(TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_PREFIXLEN)

static void test_keydb_ambiguity(struct kunit *test)
{
	struct keydb_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, add_key(test, 0, 1, 1, NULL, 0), 0);
	/* Equally specific (both unbound) with a shared send_id or recv_id. */
	KUNIT_EXPECT_EQ(test, add_key(test, 0, 1, 2, NULL, 0), -EEXIST);
	KUNIT_EXPECT_EQ(test, add_key(test, 0, 2, 1, NULL, 0), -EEXIST);
	KUNIT_EXPECT_EQ(test, add_key(test, 0, 2, 2, NULL, 0), 0);
	/* More specific keys may reuse ids: they shadow the unbound ones. */
	KUNIT_EXPECT_EQ(test, add_key(test, BIND, 1, 3, "198.51.100.1", 0), 0);
	KUNIT_EXPECT_EQ(test, add_key(test, PREFIX, 1, 4, "198.51.100.0", 24), 0);
	/* Same prefix, same length, shared send_id. */
	KUNIT_EXPECT_EQ(test, add_key(test, PREFIX, 1, 5, "198.51.100.77", 24), -EEXIST);
	/* Same length, another prefix: never the same connection. */
	KUNIT_EXPECT_EQ(test, add_key(test, PREFIX, 1, 5, "203.0.113.0", 24), 0);
	/* Exact address bindings for other addresses do not overlap. */
	KUNIT_EXPECT_EQ(test, add_key(test, BIND, 1, 3, "198.51.100.2", 0), 0);
	KUNIT_EXPECT_EQ(test, t->db.count, 6);

	/* Most specific first; 1/1 is shadowed by 1/3 (send_id 1). */
	expect_keys(test, "198.51.100.1", "1/3/132 2/2/0");
	/* The /24 key (spec (24+1)*4) shadows 1/1. */
	expect_keys(test, "198.51.100.9", "1/4/100 2/2/0");
	expect_keys(test, "192.0.2.1", "1/1/0 2/2/0");
	expect_keys(test, "203.0.113.200", "1/5/100 2/2/0");
}

static void test_keydb_replace_delete(struct kunit *test)
{
	struct keydb_test *t = test->priv;
	struct tcp_authopt_key_info *k;

	KUNIT_EXPECT_EQ(test, add_key(test, BIND, 1, 1, "198.51.100.1", 0), 0);
	/* Same identity: replaced in place, not added. */
	KUNIT_EXPECT_EQ(test, add_key(test, BIND | TCP_AUTHOPT_KEY_NOSEND, 1, 1,
				      "198.51.100.1", 0), 0);
	KUNIT_EXPECT_EQ(test, t->db.count, 1);
	k = hlist_entry(t->db.head.first, struct tcp_authopt_key_info, node);
	KUNIT_EXPECT_TRUE(test, k->flags & TCP_AUTHOPT_KEY_NOSEND);
	/* Delete needs the identity: the unbound key is another one. */
	KUNIT_EXPECT_EQ(test, del_key(test, 0, 1, 1, NULL, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, del_key(test, BIND, 1, 1, "198.51.100.1", 0), 0);
	KUNIT_EXPECT_EQ(test, del_key(test, BIND, 1, 1, "198.51.100.1", 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, t->db.count, 0);
	/* Prefixes are stored canonical: host bits do not make another key. */
	KUNIT_EXPECT_EQ(test, add_key(test, PREFIX, 1, 1, "198.51.100.7", 24), 0);
	KUNIT_EXPECT_EQ(test, del_key(test, PREFIX, 1, 1, "198.51.100.0", 24), 0);
}

/* Every key that applies is considered: 40 keys match one peer, the most
 * specific added last, and it still comes first; shadowing is by id only.
 */
static void test_keydb_many_matches(struct kunit *test)
{
	char buf[512];
	int i;

	for (i = 1; i <= 40; i++)
		KUNIT_ASSERT_EQ(test, add_key(test, 0, i, i, NULL, 0), 0);
	KUNIT_ASSERT_EQ(test, add_key(test, PREFIX, 41, 41, "198.51.100.0", 24), 0);
	KUNIT_ASSERT_EQ(test, add_key(test, BIND, 1, 42, "198.51.100.1", 0), 0);
	lookup(test, "198.51.100.1", buf, sizeof(buf));
	/* 1/42 first and shadowing 1/1, then the /24 key, then 2/2 ... 40/40. */
	KUNIT_EXPECT_EQ(test, strncmp(buf, "1/42/132 41/41/100 2/2/0 3/3/0", 30), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, " 40/40/0"));
	KUNIT_EXPECT_NULL(test, strstr(buf, " 1/1/0"));
}

/* The change counters a lookup for @peer is current for. */
static struct tcp_authopt_gen match_gen(struct kunit *test, const char *peer)
{
	struct tcp_authopt_conn conn = { .family = AF_INET, .lport = 179, .rport = 40000 };
	struct keydb_test *t = test->priv;
	struct tcp_authopt_match m;

	conn.raddr.v4.s_addr = in_aton(peer);
	mutex_lock(&t->db.mutex);
	KUNIT_EXPECT_EQ(test, tcp_authopt_keydb_match(&t->db, &conn, &m, GFP_KERNEL), 0);
	tcp_authopt_match_free(&m);
	mutex_unlock(&t->db.mutex);
	return m.gen;
}

/* A key change leaves the connections of other peers current. */
static void test_keydb_changes_per_peer(struct kunit *test)
{
	struct keydb_test *t = test->priv;
	struct tcp_authopt_gen a, b = { };
	char other[20];
	int i;

	KUNIT_ASSERT_EQ(test, add_key(test, BIND, 1, 1, "198.51.100.1", 0), 0);
	a = match_gen(test, "198.51.100.1");
	/* A peer whose counter is not the first one's (they are hashed). */
	for (i = 2; i < 250; i++) {
		snprintf(other, sizeof(other), "198.51.100.%d", i);
		b = match_gen(test, other);
		if (b.slot != a.slot)
			break;
	}
	KUNIT_ASSERT_NE(test, b.slot, a.slot);

	KUNIT_EXPECT_EQ(test, add_key(test, BIND, 1, 1, other, 0), 0);
	KUNIT_EXPECT_TRUE(test, tcp_authopt_keydb_current(&t->db, &a));
	KUNIT_EXPECT_FALSE(test, tcp_authopt_keydb_current(&t->db, &b));
	b = match_gen(test, other);
	KUNIT_EXPECT_EQ(test, del_key(test, BIND, 1, 1, other, 0), 0);
	KUNIT_EXPECT_TRUE(test, tcp_authopt_keydb_current(&t->db, &a));
	KUNIT_EXPECT_FALSE(test, tcp_authopt_keydb_current(&t->db, &b));

	/* A change of the first peer's own key. */
	KUNIT_EXPECT_EQ(test, add_key(test, BIND | TCP_AUTHOPT_KEY_NOSEND, 1, 1,
				      "198.51.100.1", 0), 0);
	KUNIT_EXPECT_FALSE(test, tcp_authopt_keydb_current(&t->db, &a));

	/* A prefix or unbound key can apply to anybody. */
	a = match_gen(test, "198.51.100.1");
	b = match_gen(test, other);
	KUNIT_EXPECT_EQ(test, add_key(test, PREFIX, 2, 2, "192.0.2.0", 24), 0);
	KUNIT_EXPECT_FALSE(test, tcp_authopt_keydb_current(&t->db, &a));
	KUNIT_EXPECT_FALSE(test, tcp_authopt_keydb_current(&t->db, &b));
	/* A refused add changes nothing. */
	a = match_gen(test, "198.51.100.1");
	KUNIT_EXPECT_EQ(test, add_key(test, PREFIX, 2, 3, "192.0.2.0", 24), -EEXIST);
	KUNIT_EXPECT_TRUE(test, tcp_authopt_keydb_current(&t->db, &a));
}

/* A socket's own keys (upstream's ABI): no shadowing, so any two keys
 * whose peers overlap must not share a send_id or a recv_id, however
 * specific either is (RFC 5925 3.1 as upstream enforces it).
 */
static void test_keydb_private_ambiguity(struct kunit *test)
{
	struct keydb_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, add_key(test, PREFIX, 1, 1, "0.0.0.0", 0), 0);
	/* Any peer overlaps the any-address key. */
	KUNIT_EXPECT_EQ(test, add_key(test, BIND, 1, 3, "198.51.100.1", 0), -EEXIST);
	KUNIT_EXPECT_EQ(test, add_key(test, PREFIX, 3, 1, "198.51.100.0", 24), -EEXIST);
	KUNIT_EXPECT_EQ(test, add_key(test, PREFIX, 2, 2, "198.51.100.0", 24), 0);
	/* Inside the /24, on either side of it. */
	KUNIT_EXPECT_EQ(test, add_key(test, BIND, 2, 4, "198.51.100.9", 0), -EEXIST);
	KUNIT_EXPECT_EQ(test, add_key(test, PREFIX, 4, 2, "198.51.0.0", 16), -EEXIST);
	/* Another prefix of the same length: never the same peer. */
	KUNIT_EXPECT_EQ(test, add_key(test, PREFIX, 2, 2, "203.0.113.0", 24), 0);
	KUNIT_EXPECT_EQ(test, add_key(test, BIND, 5, 5, "198.51.100.9", 0), 0);
	KUNIT_EXPECT_EQ(test, t->db.count, 4);
	/* Every key that applies, most specific first. */
	expect_keys(test, "198.51.100.9", "5/5/132 2/2/100 1/1/4");
	expect_keys(test, "192.0.2.1", "1/1/4");
}

/* Every key that applies is considered: 40 keys for one peer, with the
 * ids of none shared, the most specific added last and still first.
 */
static void test_keydb_private_many_matches(struct kunit *test)
{
	char buf[512];
	int i;

	for (i = 1; i <= 40; i++)
		KUNIT_ASSERT_EQ(test, add_key(test, PREFIX, i, i, "0.0.0.0", 0), 0);
	KUNIT_ASSERT_EQ(test, add_key(test, PREFIX, 41, 41, "198.51.100.0", 24), 0);
	KUNIT_ASSERT_EQ(test, add_key(test, BIND, 42, 42, "198.51.100.1", 0), 0);
	lookup(test, "198.51.100.1", buf, sizeof(buf));
	KUNIT_EXPECT_EQ(test, strncmp(buf, "42/42/132 41/41/100 ", 20), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, " 1/1/4"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, " 40/40/4"));
}

/* One socket's keys: a change for any peer makes every key set stale. */
static void test_keydb_private_changes(struct kunit *test)
{
	struct keydb_test *t = test->priv;
	struct tcp_authopt_gen a, b;

	KUNIT_ASSERT_TRUE(test, t->db.private);
	KUNIT_ASSERT_EQ(test, add_key(test, BIND, 1, 1, "198.51.100.1", 0), 0);
	a = match_gen(test, "198.51.100.1");
	b = match_gen(test, "198.51.100.2");
	KUNIT_EXPECT_TRUE(test, tcp_authopt_keydb_current(&t->db, &a));
	KUNIT_EXPECT_EQ(test, add_key(test, BIND, 1, 1, "198.51.100.2", 0), 0);
	KUNIT_EXPECT_FALSE(test, tcp_authopt_keydb_current(&t->db, &a));
	KUNIT_EXPECT_FALSE(test, tcp_authopt_keydb_current(&t->db, &b));
	expect_keys(test, "198.51.100.2", "1/1/132");
	/* A refused add changes nothing. */
	a = match_gen(test, "198.51.100.1");
	KUNIT_EXPECT_EQ(test, add_key(test, BIND, 1, 2, "198.51.100.1", 0), -EEXIST);
	KUNIT_EXPECT_TRUE(test, tcp_authopt_keydb_current(&t->db, &a));
	KUNIT_EXPECT_EQ(test, del_key(test, BIND, 1, 1, "198.51.100.2", 0), 0);
	KUNIT_EXPECT_FALSE(test, tcp_authopt_keydb_current(&t->db, &a));
	expect_keys(test, "198.51.100.2", "");
}

/* Thousands of peers, each with its keys, beside a few prefix keys. */
static void test_keydb_many_peers(struct kunit *test)
{
	struct keydb_test *t = test->priv;
	char addr[20];
	int i;

	for (i = 0; i < 4096; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.1", i / 256, i % 256);
		KUNIT_ASSERT_EQ(test, add_key(test, BIND, 1, 1, addr, 0), 0);
		KUNIT_ASSERT_EQ(test, add_key(test, BIND, 2, 2, addr, 0), 0);
	}
	KUNIT_ASSERT_EQ(test, add_key(test, PREFIX, 3, 3, "10.7.0.0", 16), 0);
	KUNIT_ASSERT_EQ(test, add_key(test, 0, 4, 4, NULL, 0), 0);
	KUNIT_EXPECT_EQ(test, t->db.count, 2 * 4096 + 2);

	expect_keys(test, "10.7.9.1", "1/1/132 2/2/132 3/3/68 4/4/0");
	expect_keys(test, "10.15.255.1", "1/1/132 2/2/132 4/4/0");
	expect_keys(test, "10.7.9.2", "3/3/68 4/4/0");

	/* A full-width prefix is a key for that address: still ambiguous. */
	KUNIT_EXPECT_EQ(test, add_key(test, PREFIX, 1, 9, "10.7.9.1", 32), -EEXIST);
	KUNIT_EXPECT_EQ(test, add_key(test, PREFIX, 9, 9, "10.7.9.1", 32), 0);
	KUNIT_EXPECT_EQ(test, del_key(test, BIND, 9, 9, "10.7.9.1", 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, del_key(test, PREFIX, 9, 9, "10.7.9.1", 32), 0);

	for (i = 0; i < 4096; i += 2) {
		snprintf(addr, sizeof(addr), "10.%d.%d.1", i / 256, i % 256);
		KUNIT_ASSERT_EQ(test, del_key(test, BIND, 1, 1, addr, 0), 0);
	}
	KUNIT_EXPECT_EQ(test, t->db.count, 3 * 2048 + 2);
	expect_keys(test, "10.7.8.1", "2/2/132 3/3/68 4/4/0");
	expect_keys(test, "10.7.9.1", "1/1/132 2/2/132 3/3/68 4/4/0");
}

/* An IPv4-mapped IPv6 address names the IPv4 peer, as with TCP_MD5SIG. */
static void test_key_v4mapped(struct kunit *test)
{
	struct tcp_authopt_key opt = { .alg = 1, .keylen = 1, .flags = BIND };
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&opt.addr;
	struct tcp_authopt_conn conn = { .family = AF_INET, .lport = 179, .rport = 40000 };
	struct tcp_authopt_key_info *key;

	sin6->sin6_family = AF_INET6;
	ipv6_addr_set_v4mapped(in_aton("198.51.100.1"), &sin6->sin6_addr);
	key = tcp_authopt_key_from_opt(&init_net, &opt, sizeof(opt));
	KUNIT_ASSERT_FALSE(test, IS_ERR(key));
	KUNIT_EXPECT_EQ(test, key->addr.family, AF_INET);
	KUNIT_EXPECT_EQ(test, key->prefixlen, 32);
	conn.raddr.v4.s_addr = in_aton("198.51.100.1");
	KUNIT_EXPECT_TRUE(test, tcp_authopt_key_match(key, &conn));
	conn.raddr.v4.s_addr = in_aton("198.51.100.2");
	KUNIT_EXPECT_FALSE(test, tcp_authopt_key_match(key, &conn));
	tcp_authopt_key_put(key);

	/* A prefix of a mapped address counts IPv4 bits. */
	opt.flags = PREFIX;
	opt.prefixlen = 24;
	key = tcp_authopt_key_from_opt(&init_net, &opt, sizeof(opt));
	KUNIT_ASSERT_FALSE(test, IS_ERR(key));
	KUNIT_EXPECT_TRUE(test, tcp_authopt_key_match(key, &conn));
	tcp_authopt_key_put(key);
	opt.prefixlen = 33;
	KUNIT_EXPECT_PTR_EQ(test, tcp_authopt_key_from_opt(&init_net, &opt, sizeof(opt)),
			    ERR_PTR(-EINVAL));
}

/* The send key rule (abi.md): lock as a preference, then the peer's
 * RNextKeyID, then the longest send lifetime, then the lowest send_id.
 */
static void test_pick_send(struct kunit *test)
{
	struct tcp_authopt_key_info *keys[3], *k;
	u64 now = tcp_authopt_now();
	int i;

	for (i = 0; i < 3; i++) {
		keys[i] = make_key(test, 0, 10 + i, 20 + i, NULL, 0);
		keys[i]->send_end = now + 100 * (i + 1);
	}
	k = tcp_authopt_pick_send(keys, 3, 0, -1, -1);
	KUNIT_EXPECT_EQ(test, k->send_id, 12);
	k = tcp_authopt_pick_send(keys, 3, 0, -1, 10);
	KUNIT_EXPECT_EQ(test, k->send_id, 10);
	k = tcp_authopt_pick_send(keys, 3, TCP_AUTHOPT_FLAG_LOCK_KEYID, 11, 10);
	KUNIT_EXPECT_EQ(test, k->send_id, 11);
	/* A lock on a key that cannot sign falls back to the rule. */
	keys[1]->flags |= TCP_AUTHOPT_KEY_NOSEND;
	k = tcp_authopt_pick_send(keys, 3, TCP_AUTHOPT_FLAG_LOCK_KEYID, 11, -1);
	KUNIT_EXPECT_EQ(test, k->send_id, 12);
	keys[2]->send_end = keys[0]->send_end;
	k = tcp_authopt_pick_send(keys, 3, 0, -1, -1);
	KUNIT_EXPECT_EQ(test, k->send_id, 10);
	keys[0]->send_begin = now + 10;
	keys[2]->send_end = now - 1;
	KUNIT_EXPECT_NULL(test, tcp_authopt_pick_send(keys, 3, 0, -1, -1));
	for (i = 0; i < 3; i++)
		tcp_authopt_key_put(keys[i]);
}

static void expect_einval(struct kunit *test, const struct tcp_authopt_key *opt,
			  const char *what)
{
	KUNIT_EXPECT_PTR_EQ_MSG(test, tcp_authopt_key_from_opt(&init_net, opt, sizeof(*opt)),
				ERR_PTR(-EINVAL), "%s", what);
}

static void test_key_from_opt_errors(struct kunit *test)
{
	struct tcp_authopt_key ok = { .alg = 1, .keylen = 1 }, bad;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&bad.addr;
	struct tcp_authopt_key_info *key;

	key = tcp_authopt_key_from_opt(&init_net, &ok, sizeof(ok));
	KUNIT_ASSERT_FALSE(test, IS_ERR(key));
	tcp_authopt_key_put(key);

	bad = ok;
	bad.flags = 1 << 13;
	expect_einval(test, &bad, "unknown flag");
	bad = ok;
	bad.alg = 0;
	expect_einval(test, &bad, "alg 0");
	bad.alg = 3;
	expect_einval(test, &bad, "alg 3");
	/* An empty master key is valid, as in the original series. */
	bad = ok;
	bad.keylen = 0;
	key = tcp_authopt_key_from_opt(&init_net, &bad, sizeof(bad));
	KUNIT_ASSERT_FALSE(test, IS_ERR(key));
	tcp_authopt_key_put(key);
	bad.keylen = 81;
	expect_einval(test, &bad, "keylen 81");
	bad = ok;
	bad.flags = TCP_AUTHOPT_KEY_ADDR_BIND;
	expect_einval(test, &bad, "address family 0");

	bad = ok;
	bad.flags = PREFIX;
	sin6->sin6_family = AF_INET6;
	bad.prefixlen = 128;
	key = tcp_authopt_key_from_opt(&init_net, &bad, sizeof(bad));
	KUNIT_ASSERT_FALSE(test, IS_ERR(key));
	tcp_authopt_key_put(key);
	bad.prefixlen = 129;
	expect_einval(test, &bad, "IPv6 prefix 129");
	bad.prefixlen = 0x80000000;
	expect_einval(test, &bad, "IPv6 prefix 2^31");

	bad = ok;
	bad.flags = TCP_AUTHOPT_KEY_IFINDEX;
	bad.ifindex = 1;
	expect_einval(test, &bad, "lo is no L3 master");
	bad = ok;
	bad.flags = TCP_AUTHOPT_KEY_LOCAL_PORT;
	bad.local_port_min = 2;
	bad.local_port_max = 1;
	expect_einval(test, &bad, "empty port range");
	bad = ok;
	bad.flags = TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_SEND_LIFETIME_END;
	bad.send_lifetime_begin = 2;
	bad.send_lifetime_end = 1;
	expect_einval(test, &bad, "empty send lifetime");
	/* A deletion only names a key. */
	bad.flags |= TCP_AUTHOPT_KEY_DEL;
	bad.alg = 0;
	key = tcp_authopt_key_from_opt(&init_net, &bad, sizeof(bad));
	KUNIT_ASSERT_FALSE(test, IS_ERR(key));
	tcp_authopt_key_put(key);
	/* Port flags need a buffer that reaches their fields. */
	bad = ok;
	bad.flags = TCP_AUTHOPT_KEY_REMOTE_PORT;
	bad.remote_port_max = 1;
	KUNIT_EXPECT_PTR_EQ(test, tcp_authopt_key_from_opt(&init_net, &bad, 256),
			    ERR_PTR(-EINVAL));
}

static int keydb_test_setup(struct kunit *test, bool private)
{
	struct keydb_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	if (tcp_authopt_keydb_init(&t->db, private))
		return -ENOMEM;
	test->priv = t;
	return 0;
}

static int keydb_test_init(struct kunit *test)
{
	return keydb_test_setup(test, false);
}

static int keydb_private_test_init(struct kunit *test)
{
	return keydb_test_setup(test, true);
}

static void keydb_test_exit(struct kunit *test)
{
	struct keydb_test *t = test->priv;

	tcp_authopt_keydb_flush(&t->db);
	tcp_authopt_keydb_destroy(&t->db);
	/* Keys are freed after a grace period; do not leave them behind. */
	rcu_barrier();
}

static int crypto_suite_init(struct kunit_suite *suite)
{
	return tcp_authopt_crypto_init();
}

static struct kunit_case tcp_authopt_crypto_cases[] = {
	KUNIT_CASE(test_rfc9235_traffic_keys),
	KUNIT_CASE(test_rfc9235_macs),
	KUNIT_CASE(test_rfc9235_macs_paged),
	KUNIT_CASE(test_rfc9235_macs_prepared),
	KUNIT_CASE(test_rfc9235_macs_hdr),
	KUNIT_CASE(test_mac_inputs),
	KUNIT_CASE(test_kdf_key_lengths),
	KUNIT_CASE(test_aes_kdf_reduction),
	KUNIT_CASE(test_cmac_key_kept),
	KUNIT_CASE(test_hmac_keys_and_macs),
	KUNIT_CASE(test_sne_rfc9187),
	KUNIT_CASE(test_sne_ext_rfc9187),
	KUNIT_CASE(test_sne_wrap),
	KUNIT_CASE(test_find_option),
	{}
};

static struct kunit_suite tcp_authopt_crypto_suite = {
	.name = "tcp_authopt_crypto",
	.suite_init = crypto_suite_init,
	.test_cases = tcp_authopt_crypto_cases,
};

static struct kunit_case tcp_authopt_keydb_cases[] = {
	KUNIT_CASE(test_keydb_ambiguity),
	KUNIT_CASE(test_keydb_replace_delete),
	KUNIT_CASE(test_keydb_many_matches),
	KUNIT_CASE(test_keydb_changes_per_peer),
	KUNIT_CASE(test_keydb_many_peers),
	KUNIT_CASE(test_key_v4mapped),
	KUNIT_CASE(test_pick_send),
	KUNIT_CASE(test_key_from_opt_errors),
	{}
};

static struct kunit_suite tcp_authopt_keydb_suite = {
	.name = "tcp_authopt_keydb",
	.init = keydb_test_init,
	.exit = keydb_test_exit,
	.test_cases = tcp_authopt_keydb_cases,
};

/* The private database of a socket (upstream's ABI): its own id rule. */
static struct kunit_case tcp_authopt_keydb_private_cases[] = {
	KUNIT_CASE(test_keydb_private_ambiguity),
	KUNIT_CASE(test_keydb_replace_delete),
	KUNIT_CASE(test_keydb_private_many_matches),
	KUNIT_CASE(test_keydb_private_changes),
	KUNIT_CASE(test_keydb_many_peers),
	{}
};

static struct kunit_suite tcp_authopt_keydb_private_suite = {
	.name = "tcp_authopt_keydb_private",
	.init = keydb_private_test_init,
	.exit = keydb_test_exit,
	.test_cases = tcp_authopt_keydb_private_cases,
};

kunit_test_suites(&tcp_authopt_crypto_suite, &tcp_authopt_keydb_suite,
		  &tcp_authopt_keydb_private_suite);

MODULE_LICENSE("GPL");
