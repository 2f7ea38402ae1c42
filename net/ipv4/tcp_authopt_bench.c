// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP-AO per-segment MAC cost, for make bench (not make check): the time of
 * one tcp_authopt_calc_mac() over a real segment, next to the time of the
 * same keyed hash over the same number of bytes in one linear buffer with
 * its key set once (the crypto limit). Measured inside the kernel, where
 * system call overhead (large on UML) plays no part. Each case also checks
 * that both ways give the same MAC, so a fast wrong MAC cannot pass.
 */
#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/skbuff.h>
#include <linux/sort.h>
#include <linux/tcp.h>
#include <linux/ip.h>
#include <crypto/hash.h>
#include <net/tcp.h>
#include "tcp_authopt_priv.h"

#define BENCH_ROUNDS	2000
/* TCP header of an established connection: timestamps, then TCP-AO. */
#define BENCH_THLEN	(sizeof(struct tcphdr) + 12 + TCPOLEN_AUTHOPT_OUTPUT)

static const unsigned int bench_payloads[] = { 60, 128, 1448 };

struct bench_seg {
	struct sk_buff *skb;
	__be32 saddr, daddr;
	/* What the MAC covers, in one buffer: SNE, pseudo-header, header, data. */
	u8 *flat;
	unsigned int flatlen;
};

static void bench_seg_build(struct kunit *test, struct bench_seg *s, unsigned int payload)
{
	unsigned int tcplen = BENCH_THLEN + payload;
	struct tcphdr *th;
	u8 *opt, *p;

	s->saddr = htonl(0xc6336401);	/* 198.51.100.1 */
	s->daddr = htonl(0xc6336402);
	s->skb = alloc_skb(sizeof(struct iphdr) + tcplen, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->skb);
	skb_reset_network_header(s->skb);
	skb_put_zero(s->skb, sizeof(struct iphdr));
	skb_set_transport_header(s->skb, sizeof(struct iphdr));
	th = skb_put_zero(s->skb, BENCH_THLEN);
	th->source = htons(179);
	th->dest = htons(40000);
	th->seq = htonl(1000);
	th->ack_seq = htonl(2000);
	th->doff = BENCH_THLEN / 4;
	th->ack = 1;
	th->window = htons(500);
	opt = (u8 *)(th + 1);
	opt[0] = TCPOPT_NOP;
	opt[1] = TCPOPT_NOP;
	opt[2] = TCPOPT_TIMESTAMP;
	opt[3] = TCPOLEN_TIMESTAMP;
	opt[12] = TCPOPT_AUTHOPT;
	opt[13] = TCPOLEN_AUTHOPT_OUTPUT;
	opt[14] = 1;
	opt[15] = 1;
	p = skb_put(s->skb, payload);
	memset(p, 0xa5, payload);

	/* SNE 0, IPv4 pseudo-header, header with MAC zeroed, payload. */
	s->flatlen = 4 + 12 + tcplen;
	s->flat = kunit_kzalloc(test, s->flatlen, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->flat);
	memcpy(s->flat + 4, &s->saddr, 4);
	memcpy(s->flat + 8, &s->daddr, 4);
	s->flat[13] = IPPROTO_TCP;
	put_unaligned_be16(tcplen, s->flat + 14);
	memcpy(s->flat + 16, th, tcplen);
}

#define BENCH_REPS	9

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* One timed loop of the way @way: nanoseconds per MAC.
 * 0: as a connection signs, with its prepared key state;
 * 1: the key set up for every MAC (HMAC without prepared state; CMAC with
 *    two keys in turn, as segments of two connections interleaved);
 * 2: the raw keyed hash of the flat buffer, key set once.
 */
static u64 bench_loop(int way, u8 alg, const u8 tkey[2][TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN],
		      const struct tcp_authopt_hmac_state *hs,
		      struct bench_seg *s, struct shash_desc *desc, u8 *out)
{
	ktime_t t = ktime_get();
	unsigned int r;

	if (way == 2)
		local_bh_disable();
	for (r = 0; r < BENCH_ROUNDS; r++) {
		if (way == 2)
			crypto_shash_digest(desc, s->flat, s->flatlen, out);
		else
			tcp_authopt_calc_mac(alg, tkey[way & r & 1], way ? NULL : hs, false, 0,
					     AF_INET, &s->saddr, &s->daddr, s->skb, out);
	}
	if (way == 2)
		local_bh_enable();
	return div_u64(ktime_to_ns(ktime_sub(ktime_get(), t)), BENCH_ROUNDS);
}

static void bench_alg(struct kunit *test, u8 alg, const char *tfm_name, const char *label)
{
	static const char * const way_names[3] = { "segment", "setkey", "raw" };
	u8 tkey[2][TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN], out[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	u8 ref[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	unsigned int klen = tcp_authopt_traffic_keylen(alg);
	struct tcp_authopt_hmac_state hs;
	u64 ns[3][BENCH_REPS];
	struct crypto_shash *tfm;
	struct bench_seg s;
	unsigned int i, rep;
	int way;

	get_random_bytes(tkey, sizeof(tkey));
	tcp_authopt_hmac_prepare(alg, tkey[0], &hs);
	tfm = crypto_alloc_shash(tfm_name, 0, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(tfm));
	KUNIT_ASSERT_EQ(test, crypto_shash_setkey(tfm, tkey[0], klen), 0);

	for (i = 0; i < ARRAY_SIZE(bench_payloads); i++) {
		SHASH_DESC_ON_STACK(desc, tfm);

		bench_seg_build(test, &s, bench_payloads[i]);
		desc->tfm = tfm;
		KUNIT_ASSERT_EQ(test, crypto_shash_digest(desc, s.flat, s.flatlen, ref), 0);
		/* Interleaved, so a busy host slows every way alike. */
		for (rep = 0; rep < BENCH_REPS; rep++)
			for (way = 0; way < 3; way++)
				ns[way][rep] = bench_loop(way, alg, tkey, &hs, &s, desc, out);
		for (way = 0; way < 2; way++) {
			KUNIT_EXPECT_EQ(test, tcp_authopt_calc_mac(alg, tkey[0], way ? NULL : &hs,
								   false, 0, AF_INET, &s.saddr,
								   &s.daddr, s.skb, out), 0);
			KUNIT_EXPECT_EQ(test, memcmp(out, ref, TCP_AUTHOPT_MACLEN), 0);
		}
		/* One line per figure, read by workbench/bench.sh. */
		for (way = 0; way < 3; way++) {
			sort(ns[way], BENCH_REPS, sizeof(u64), bench_cmp_u64, NULL);
			kunit_info(test, "bench-mac %s payload=%u bytes=%u way=%s min_ns=%llu median_ns=%llu max_ns=%llu\n",
				   label, bench_payloads[i], s.flatlen, way_names[way],
				   ns[way][0], ns[way][BENCH_REPS / 2], ns[way][BENCH_REPS - 1]);
		}
		shash_desc_zero(desc);
		kfree_skb(s.skb);
	}
	crypto_free_shash(tfm);
}

static void bench_mac_hmac_sha1(struct kunit *test)
{
	bench_alg(test, TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "hmac(sha1)", "hmac-sha-1-96");
}

static void bench_mac_aes_cmac(struct kunit *test)
{
	bench_alg(test, TCP_AUTHOPT_ALG_AES_128_CMAC_96, "cmac(aes)", "aes-128-cmac-96");
}

static int bench_suite_init(struct kunit_suite *suite)
{
	return tcp_authopt_crypto_init();
}

static struct kunit_case tcp_authopt_bench_cases[] = {
	KUNIT_CASE(bench_mac_hmac_sha1),
	KUNIT_CASE(bench_mac_aes_cmac),
	{}
};

static struct kunit_suite tcp_authopt_bench_suite = {
	.name = "tcp_authopt_bench",
	.suite_init = bench_suite_init,
	.test_cases = tcp_authopt_bench_cases,
};

kunit_test_suites(&tcp_authopt_bench_suite);

MODULE_LICENSE("GPL");
