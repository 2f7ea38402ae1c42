// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP-AO cryptography: traffic key derivation and MAC computation for the
 * two RFC 5926 algorithms, HMAC-SHA-1-96 and AES-128-CMAC-96, and for the
 * other HMACs (SHA-2, SHA-3, RIPEMD-160, MD5) that upstream's ABI offers.
 *
 * Transforms are per CPU and used with bottom halves disabled, so the send
 * path (process context) and the receive path (softirq) never share one.
 * All crypto work uses synchronous shash on linear buffers: nothing is
 * handed to the crypto API through a scatterlist, so buffers on a
 * virtually mapped stack are safe. Nothing here allocates or sleeps after
 * tcp_authopt_crypto_init().
 */
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/ipv6.h>
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/sha1.h>
#include "tcp_authopt_priv.h"

#define CMAC_KEYLEN		16

/* The crypto API's names, which upstream's ABI uses too, and the traffic
 * key length: 20 for HMAC-SHA-1, 16 for AES-128-CMAC, a digest for the
 * other HMACs (upstream's KDF).
 */
static const struct {
	const char *name;
	u8 keylen;
} tcp_authopt_algs[TCP_AUTHOPT_NUM_ALGS] = {
	[TCP_AUTHOPT_ALG_HMAC_SHA_1_96 - 1] = { "hmac(sha1)", 20 },
	[TCP_AUTHOPT_ALG_AES_128_CMAC_96 - 1] = { "cmac(aes)", 16 },
	[TCP_AUTHOPT_ALG_HMAC_SHA_224 - 1] = { "hmac(sha224)", 28 },
	[TCP_AUTHOPT_ALG_HMAC_SHA_256 - 1] = { "hmac(sha256)", 32 },
	[TCP_AUTHOPT_ALG_HMAC_SHA_384 - 1] = { "hmac(sha384)", 48 },
	[TCP_AUTHOPT_ALG_HMAC_SHA_512 - 1] = { "hmac(sha512)", 64 },
	[TCP_AUTHOPT_ALG_HMAC_SHA3_224 - 1] = { "hmac(sha3-224)", 28 },
	[TCP_AUTHOPT_ALG_HMAC_SHA3_256 - 1] = { "hmac(sha3-256)", 32 },
	[TCP_AUTHOPT_ALG_HMAC_SHA3_384 - 1] = { "hmac(sha3-384)", 48 },
	[TCP_AUTHOPT_ALG_HMAC_SHA3_512 - 1] = { "hmac(sha3-512)", 64 },
	[TCP_AUTHOPT_ALG_HMAC_RMD160 - 1] = { "hmac(rmd160)", 20 },
	[TCP_AUTHOPT_ALG_HMAC_MD5 - 1] = { "hmac(md5)", 16 },
};

/* Allocated by tcp_authopt_crypto_init(); the others on first use. */
#define TCP_AUTHOPT_BASE_ALGS	2

/* The "TCP-AO" label, RFC 5925 section 5.2. */
static const u8 tcp_authopt_kdf_label[] = { 'T', 'C', 'P', '-', 'A', 'O' };

struct tcp_authopt_pcpu {
	struct shash_desc *desc[TCP_AUTHOPT_NUM_ALGS];
	/* Plain SHA-1, resumed from the states of a prepared HMAC key. */
	struct shash_desc *sha1;
	/* The traffic key the CMAC transform holds, when @cmac_key_set:
	 * consecutive segments of a connection skip the AES key expansion.
	 */
	bool cmac_key_set;
	u8 cmac_key[CMAC_KEYLEN];
	/* Copy of the TCP header with checksum and MAC zeroed. */
	u8 hdr[60];
	/* KDF input: i, label, context, output length. */
	u8 kdf_in[1 + sizeof(tcp_authopt_kdf_label) + TCP_AUTHOPT_MAX_CONTEXT_LEN + 2];
};

static struct tcp_authopt_pcpu __percpu *tcp_authopt_pcpu;
static DEFINE_MUTEX(tcp_authopt_crypto_mutex);
/* The SHA-1 driver's exported state fits &struct tcp_authopt_hmac_state. */
static bool tcp_authopt_hmac_prepare_ok __read_mostly;

/* Also for the slot whose allocation failed (an error pointer). */
static void tcp_authopt_desc_free(struct shash_desc *desc)
{
	if (IS_ERR_OR_NULL(desc))
		return;
	crypto_free_shash(desc->tfm);
	kfree_sensitive(desc);
}

static struct shash_desc *tcp_authopt_desc_alloc(const char *name)
{
	struct crypto_shash *tfm = crypto_alloc_shash(name, 0, 0);
	struct shash_desc *desc;

	if (IS_ERR(tfm))
		return ERR_CAST(tfm);
	desc = kzalloc(sizeof(*desc) + crypto_shash_descsize(tfm), GFP_KERNEL);
	if (!desc) {
		crypto_free_shash(tfm);
		return ERR_PTR(-ENOMEM);
	}
	desc->tfm = tfm;
	return desc;
}

static void tcp_authopt_crypto_free(struct tcp_authopt_pcpu __percpu *pcpu)
{
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct tcp_authopt_pcpu *p = per_cpu_ptr(pcpu, cpu);

		for (i = 0; i < TCP_AUTHOPT_NUM_ALGS; i++)
			tcp_authopt_desc_free(p->desc[i]);
		tcp_authopt_desc_free(p->sha1);
	}
	free_percpu(pcpu);
}

/**
 * tcp_authopt_crypto_init() - allocate the per-CPU transforms, once
 *
 * Called from process context before the first key is added, so the packet
 * path never allocates.
 *
 * Return: 0 or a negative errno.
 */
int tcp_authopt_crypto_init(void)
{
	struct tcp_authopt_pcpu __percpu *pcpu;
	struct crypto_shash *sha1;
	int cpu, i, err = 0;

	/* Pairs with the release below: a set pointer means ready tfms. */
	if (smp_load_acquire(&tcp_authopt_pcpu))
		return 0;
	mutex_lock(&tcp_authopt_crypto_mutex);
	if (tcp_authopt_pcpu)
		goto out;
	pcpu = alloc_percpu(struct tcp_authopt_pcpu);
	if (!pcpu) {
		err = -ENOMEM;
		goto out;
	}
	for_each_possible_cpu(cpu) {
		struct tcp_authopt_pcpu *p = per_cpu_ptr(pcpu, cpu);

		for (i = 0; i < TCP_AUTHOPT_BASE_ALGS; i++) {
			p->desc[i] = tcp_authopt_desc_alloc(tcp_authopt_algs[i].name);
			if (IS_ERR(p->desc[i])) {
				err = PTR_ERR(p->desc[i]);
				goto fail;
			}
		}
		p->sha1 = tcp_authopt_desc_alloc("sha1");
		if (IS_ERR(p->sha1)) {
			err = PTR_ERR(p->sha1);
			goto fail;
		}
	}
	/* Without a state that fits, HMAC keys are set per segment. */
	sha1 = per_cpu_ptr(pcpu, cpumask_first(cpu_possible_mask))->sha1->tfm;
	tcp_authopt_hmac_prepare_ok =
		crypto_shash_statesize(sha1) <=
			sizeof_field(struct tcp_authopt_hmac_state, state[0]) &&
		crypto_shash_blocksize(sha1) == SHA1_BLOCK_SIZE;
	/* Publish the transforms only once all of them are set up. */
	smp_store_release(&tcp_authopt_pcpu, pcpu);
	goto out;
fail:
	tcp_authopt_crypto_free(pcpu);
out:
	mutex_unlock(&tcp_authopt_crypto_mutex);
	return err;
}

/**
 * tcp_authopt_crypto_init_alg() - allocate the transforms of an algorithm
 * @alg_id: &enum tcp_authopt_alg or one of upstream's other HMACs
 *
 * After tcp_authopt_crypto_init(), before the first key of @alg_id is
 * added: the other HMACs' transforms are made only for those who use them
 * (the hash may be a module, loaded here).
 *
 * Return: 0, -ENOENT when the crypto API has no such hash, or -ENOMEM.
 */
int tcp_authopt_crypto_init_alg(u8 alg_id)
{
	/* Pairs with the release in tcp_authopt_crypto_init(). */
	struct tcp_authopt_pcpu __percpu *pcpu = smp_load_acquire(&tcp_authopt_pcpu);
	struct shash_desc *desc;
	int cpu, i = alg_id - 1, err = 0;

	if (!tcp_authopt_traffic_keylen(alg_id) || !pcpu)
		return -EINVAL;
	if (i < TCP_AUTHOPT_BASE_ALGS)
		return 0;
	/* Pairs with the release below: a set slot holds a ready transform. */
	if (smp_load_acquire(&per_cpu_ptr(pcpu, cpumask_first(cpu_possible_mask))->desc[i]))
		return 0;
	mutex_lock(&tcp_authopt_crypto_mutex);
	for_each_possible_cpu(cpu) {
		if (per_cpu_ptr(pcpu, cpu)->desc[i])
			continue;
		desc = tcp_authopt_desc_alloc(tcp_authopt_algs[i].name);
		if (IS_ERR(desc)) {
			err = PTR_ERR(desc);
			break;
		}
		/* Keys of @alg_id, and so their MACs, come after this. */
		smp_store_release(&per_cpu_ptr(pcpu, cpu)->desc[i], desc);
	}
	if (err) {
		for_each_possible_cpu(cpu) {
			tcp_authopt_desc_free(per_cpu_ptr(pcpu, cpu)->desc[i]);
			per_cpu_ptr(pcpu, cpu)->desc[i] = NULL;
		}
	}
	mutex_unlock(&tcp_authopt_crypto_mutex);
	return err;
}

static bool tcp_authopt_alg_valid(u8 alg_id)
{
	return tcp_authopt_traffic_keylen(alg_id);
}

/**
 * tcp_authopt_traffic_keylen() - traffic key length of an algorithm
 * @alg_id: &enum tcp_authopt_alg or one of upstream's other HMACs
 *
 * Return: 20 for HMAC-SHA-1, 16 for AES-128-CMAC, the digest size for
 * the other HMACs, 0 for unknown algorithms.
 */
unsigned int tcp_authopt_traffic_keylen(u8 alg_id)
{
	if (!alg_id || alg_id > TCP_AUTHOPT_NUM_ALGS)
		return 0;
	return tcp_authopt_algs[alg_id - 1].keylen;
}

/**
 * tcp_authopt_alg_name() - the crypto API's name of an algorithm
 * @alg_id: &enum tcp_authopt_alg or one of upstream's other HMACs
 *
 * Return: the name (upstream's TCP_AO_GET_KEYS reports it), or "".
 */
const char *tcp_authopt_alg_name(u8 alg_id)
{
	return tcp_authopt_alg_valid(alg_id) ? tcp_authopt_algs[alg_id - 1].name : "";
}

/**
 * tcp_authopt_alg_by_name() - the algorithm of a crypto API name
 * @name: as upstream's TCP_AO_ADD_KEY takes it
 *
 * "cmac(aes128)" is RFC 5926's AES-128-CMAC-96 with its key reduction;
 * the crypto API's "cmac(aes)" is the caller's to tell apart.
 *
 * Return: the algorithm, or -ENOENT (as the crypto API answers upstream).
 */
int tcp_authopt_alg_by_name(const char *name)
{
	int i;

	if (!strcmp(name, "cmac(aes128)"))
		return TCP_AUTHOPT_ALG_AES_128_CMAC_96;
	for (i = 0; i < TCP_AUTHOPT_NUM_ALGS; i++)
		if (!strcmp(name, tcp_authopt_algs[i].name))
			return i + 1;
	return -ENOENT;
}

/* With BH disabled: the calling CPU's descriptor for @alg_id. */
static struct shash_desc *tcp_authopt_desc(u8 alg_id)
{
	/* Set once by tcp_authopt_crypto_init_alg(), before any key needs it. */
	return READ_ONCE(this_cpu_ptr(tcp_authopt_pcpu)->desc[alg_id - 1]);
}

/**
 * tcp_authopt_kdf() - derive a traffic key (RFC 5925 5.2, RFC 5926 3.1)
 * @alg_id: &enum tcp_authopt_alg
 * @mkt: master key
 * @mktlen: master key length, 0 to %TCP_AUTHOPT_MAXKEYLEN
 * @context: KDF context (see tcp_authopt_kdf_context())
 * @ctxlen: context length
 * @traffic_key: output, tcp_authopt_traffic_keylen() bytes
 *
 * Return: 0 or a negative errno.
 */
int tcp_authopt_kdf(u8 alg_id, const u8 *mkt, unsigned int mktlen,
		    const u8 *context, unsigned int ctxlen, u8 *traffic_key)
{
	unsigned int outbits = tcp_authopt_traffic_keylen(alg_id) * 8;
	struct tcp_authopt_pcpu *p;
	struct shash_desc *desc;
	u8 *in;
	int err;

	if (!tcp_authopt_alg_valid(alg_id) || !tcp_authopt_pcpu ||
	    ctxlen > TCP_AUTHOPT_MAX_CONTEXT_LEN || mktlen > TCP_AUTHOPT_MAXKEYLEN)
		return -EINVAL;

	local_bh_disable();
	p = this_cpu_ptr(tcp_authopt_pcpu);
	desc = tcp_authopt_desc(alg_id);
	/* No transform: tcp_authopt_crypto_init_alg() was not called. */
	err = -EINVAL;
	if (!desc)
		goto out;
	/* The master key replaces any traffic key the transform held. */
	p->cmac_key_set = false;
	if (alg_id == TCP_AUTHOPT_ALG_AES_128_CMAC_96 && mktlen != CMAC_KEYLEN) {
		/* RFC 5926 3.1.1.2: K = AES-CMAC(0^128, MKT) for other lengths. */
		static const u8 zero_key[CMAC_KEYLEN];

		err = crypto_shash_setkey(desc->tfm, zero_key, CMAC_KEYLEN) ?:
		      crypto_shash_digest(desc, mkt, mktlen, traffic_key) ?:
		      crypto_shash_setkey(desc->tfm, traffic_key, CMAC_KEYLEN);
	} else {
		err = crypto_shash_setkey(desc->tfm, mkt, mktlen);
	}
	if (err)
		goto out;

	in = p->kdf_in;
	in[0] = 1;
	memcpy(in + 1, tcp_authopt_kdf_label, sizeof(tcp_authopt_kdf_label));
	memcpy(in + 1 + sizeof(tcp_authopt_kdf_label), context, ctxlen);
	put_unaligned_be16(outbits, in + 1 + sizeof(tcp_authopt_kdf_label) + ctxlen);
	err = crypto_shash_digest(desc, in, 1 + sizeof(tcp_authopt_kdf_label) + ctxlen + 2,
				  traffic_key);
out:
	local_bh_enable();
	return err;
}

/**
 * tcp_authopt_kdf_context() - build the KDF context of one direction
 * @buf: output, at least %TCP_AUTHOPT_MAX_CONTEXT_LEN bytes
 * @family: AF_INET or AF_INET6
 * @saddr: source address of the direction (&struct in_addr or &struct in6_addr)
 * @daddr: destination address
 * @sport: source port
 * @dport: destination port
 * @sisn: ISN of the source
 * @disn: ISN of the destination, 0 for a SYN
 *
 * Return: the context length.
 */
unsigned int tcp_authopt_kdf_context(u8 *buf, int family,
				     const void *saddr, const void *daddr,
				     __be16 sport, __be16 dport,
				     __be32 sisn, __be32 disn)
{
	unsigned int alen = family == AF_INET6 ? 16 : 4;
	u8 *p = buf;

	memcpy(p, saddr, alen);
	p += alen;
	memcpy(p, daddr, alen);
	p += alen;
	memcpy(p, &sport, 2);
	memcpy(p + 2, &dport, 2);
	memcpy(p + 4, &sisn, 4);
	memcpy(p + 8, &disn, 4);
	return p + 12 - buf;
}

/* Feed bytes [offset, skb->len) of @skb, paged data included. */
static int tcp_authopt_hash_skb(struct shash_desc *desc, struct sk_buff *skb,
				unsigned int offset)
{
	struct skb_seq_state st;
	unsigned int consumed = 0;
	const u8 *data;
	unsigned int len;
	int err;

	if (offset >= skb->len)
		return 0;
	skb_prepare_seq_read(skb, offset, skb->len, &st);
	while ((len = skb_seq_read(consumed, &data, &st)) != 0) {
		err = crypto_shash_update(desc, data, len);
		if (err) {
			skb_abort_seq_read(&st);
			return err;
		}
		consumed += len;
	}
	return 0;
}

/**
 * tcp_authopt_hmac_prepare() - hash the padded key blocks of an HMAC key once
 * @alg_id: &enum tcp_authopt_alg
 * @traffic_key: the traffic key
 * @hs: output; left not ready for other algorithms or if it fails
 *
 * HMAC (RFC 2104) hashes the key XOR ipad, then the message, and hashes that
 * result after the key XOR opad. Setting an HMAC key on every segment redoes
 * both key blocks: two SHA-1 compressions, as much as the whole MAC of a pure
 * ACK. A connection's traffic keys keep the SHA-1 states after those blocks
 * and each MAC resumes from them.
 */
void tcp_authopt_hmac_prepare(u8 alg_id, const u8 *traffic_key,
			      struct tcp_authopt_hmac_state *hs)
{
	static const u8 pad[2] = { 0x36, 0x5c };
	u8 block[SHA1_BLOCK_SIZE];
	struct shash_desc *desc;
	int i, j, err = 0;

	hs->ready = false;
	if (alg_id != TCP_AUTHOPT_ALG_HMAC_SHA_1_96 || !READ_ONCE(tcp_authopt_hmac_prepare_ok))
		return;
	local_bh_disable();
	desc = this_cpu_ptr(tcp_authopt_pcpu)->sha1;
	for (i = 0; i < 2 && !err; i++) {
		memset(block, pad[i], sizeof(block));
		for (j = 0; j < SHA1_DIGEST_SIZE; j++)
			block[j] ^= traffic_key[j];
		err = crypto_shash_init(desc) ?:
		      crypto_shash_update(desc, block, sizeof(block)) ?:
		      crypto_shash_export(desc, hs->state[i]);
	}
	local_bh_enable();
	memzero_explicit(block, sizeof(block));
	hs->ready = !err;
}

/* Start a MAC: resume a prepared HMAC or set the key. */
static struct shash_desc *tcp_authopt_mac_start(struct tcp_authopt_pcpu *p, u8 alg_id,
						const u8 *traffic_key,
						const struct tcp_authopt_hmac_state *hs)
{
	struct shash_desc *desc = tcp_authopt_desc(alg_id);
	int err;

	if (!desc)
		return ERR_PTR(-EINVAL);
	if (hs && hs->ready) {
		err = crypto_shash_import(p->sha1, hs->state[0]);
		return err ? ERR_PTR(err) : p->sha1;
	}
	if (alg_id == TCP_AUTHOPT_ALG_AES_128_CMAC_96) {
		if (!p->cmac_key_set || crypto_memneq(p->cmac_key, traffic_key, CMAC_KEYLEN)) {
			p->cmac_key_set = false;
			err = crypto_shash_setkey(desc->tfm, traffic_key, CMAC_KEYLEN);
			if (err)
				return ERR_PTR(err);
			memcpy(p->cmac_key, traffic_key, CMAC_KEYLEN);
			p->cmac_key_set = true;
		}
		err = crypto_shash_init(desc);
	} else {
		err = crypto_shash_setkey(desc->tfm, traffic_key,
					  tcp_authopt_traffic_keylen(alg_id)) ?:
		      crypto_shash_init(desc);
	}
	return err ? ERR_PTR(err) : desc;
}

/* Finish a MAC started by tcp_authopt_mac_start(). */
static int tcp_authopt_mac_finish(struct shash_desc *desc,
				  const struct tcp_authopt_hmac_state *hs, u8 *out)
{
	if (!hs || !hs->ready)
		return crypto_shash_final(desc, out);
	return crypto_shash_final(desc, out) ?:
	       crypto_shash_import(desc, hs->state[1]) ?:
	       crypto_shash_finup(desc, out, SHA1_DIGEST_SIZE, out);
}

/* MAC of the TCP header copied to @p->hdr (@hlen bytes of a segment of
 * @tcplen bytes) followed by the payload of @skb from @off, if @skb is set.
 * Bottom halves are disabled: @p is this CPU's.
 */
static int tcp_authopt_mac_hdr(struct tcp_authopt_pcpu *p, u8 alg_id, const u8 *traffic_key,
			       const struct tcp_authopt_hmac_state *hs,
			       bool exclude_opts, u32 sne, int family, const void *saddr,
			       const void *daddr, unsigned int hlen, unsigned int tcplen,
			       struct sk_buff *skb, unsigned int off, u8 *mac)
{
	u8 out[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	struct shash_desc *desc;
	struct tcphdr *th = (struct tcphdr *)p->hdr;
	__be32 sne_be = htonl(sne);
	unsigned int maclen;
	const u8 *ao;
	int err;

	th->check = 0;
	ao = tcp_authopt_find_option(th);
	if (IS_ERR_OR_NULL(ao))
		return -EINVAL;
	/* The option's length says how much of the digest (as long as the
	 * traffic key, for every algorithm) is the MAC.
	 */
	maclen = ao[1] - 4;
	if (maclen > TCP_AUTHOPT_MAX_MACLEN || maclen > tcp_authopt_traffic_keylen(alg_id))
		return -EINVAL;
	memset((u8 *)ao + 4, 0, maclen);

	desc = tcp_authopt_mac_start(p, alg_id, traffic_key, hs);
	if (IS_ERR(desc))
		return PTR_ERR(desc);
	err = crypto_shash_update(desc, (u8 *)&sne_be, sizeof(sne_be));
	if (err)
		return err;

	if (family == AF_INET6) {
		struct {
			struct in6_addr saddr, daddr;
			__be32 len;
			u8 zero[3], nexthdr;
		} __packed ph6 = {
			.saddr = *(const struct in6_addr *)saddr,
			.daddr = *(const struct in6_addr *)daddr,
			.len = htonl(tcplen),
			.nexthdr = IPPROTO_TCP,
		};

		err = crypto_shash_update(desc, (u8 *)&ph6, sizeof(ph6));
	} else {
		struct {
			__be32 saddr, daddr;
			u8 zero, protocol;
			__be16 len;
		} __packed ph4 = {
			.saddr = *(const __be32 *)saddr,
			.daddr = *(const __be32 *)daddr,
			.protocol = IPPROTO_TCP,
			.len = htons(tcplen),
		};

		err = crypto_shash_update(desc, (u8 *)&ph4, sizeof(ph4));
	}
	if (err)
		return err;

	if (exclude_opts)
		err = crypto_shash_update(desc, p->hdr, sizeof(*th)) ?:
		      crypto_shash_update(desc, ao, ao[1]);
	else
		err = crypto_shash_update(desc, p->hdr, hlen);
	if (!err && skb)
		err = tcp_authopt_hash_skb(desc, skb, off);
	err = err ?: tcp_authopt_mac_finish(desc, hs, out);
	if (!err)
		memcpy(mac, out, maclen);
	memzero_explicit(out, sizeof(out));
	return err;
}

/**
 * tcp_authopt_calc_mac() - compute the TCP-AO MAC of a segment
 * @alg_id: &enum tcp_authopt_alg
 * @traffic_key: traffic key of the segment's direction
 * @hs: its prepared HMAC state (tcp_authopt_hmac_prepare()), or NULL
 * @exclude_opts: leave TCP options other than TCP-AO out of the MAC
 * @sne: sequence number extension of the segment's sequence number
 * @family: AF_INET or AF_INET6, for the pseudo-header
 * @saddr: source address (&struct in_addr or &struct in6_addr)
 * @daddr: destination address
 * @skb: segment; its transport header is the TCP header, which must carry
 *	a TCP-AO option, and the segment runs to the end of the skb
 * @mac: output, as many bytes as the TCP-AO option has room for
 *
 * The input is SNE, pseudo-header, TCP header with checksum and MAC zeroed
 * (RFC 5925 5.1) and the payload, paged data included.
 *
 * Return: 0 or a negative errno.
 */
int tcp_authopt_calc_mac(u8 alg_id, const u8 *traffic_key,
			 const struct tcp_authopt_hmac_state *hs, bool exclude_opts,
			 u32 sne, int family, const void *saddr,
			 const void *daddr, struct sk_buff *skb, u8 *mac)
{
	unsigned int toff = skb_transport_offset(skb);
	struct tcp_authopt_pcpu *p;
	unsigned int tcplen, hlen;
	int err;

	if (!tcp_authopt_traffic_keylen(alg_id) || !tcp_authopt_pcpu || (int)toff < 0 ||
	    skb->len < toff + sizeof(struct tcphdr))
		return -EINVAL;
	tcplen = skb->len - toff;

	local_bh_disable();
	p = this_cpu_ptr(tcp_authopt_pcpu);
	err = skb_copy_bits(skb, toff, p->hdr, sizeof(struct tcphdr));
	if (err)
		goto out;
	hlen = ((struct tcphdr *)p->hdr)->doff * 4;
	if (hlen < sizeof(struct tcphdr) || hlen > tcplen) {
		err = -EINVAL;
		goto out;
	}
	err = skb_copy_bits(skb, toff, p->hdr, hlen) ?:
	      tcp_authopt_mac_hdr(p, alg_id, traffic_key, hs, exclude_opts, sne, family,
				  saddr, daddr, hlen, tcplen, skb, toff + hlen, mac);
out:
	local_bh_enable();
	return err;
}

/**
 * tcp_authopt_calc_mac_hdr() - compute the TCP-AO MAC of a segment without payload
 * @alg_id: &enum tcp_authopt_alg
 * @traffic_key: traffic key of the segment's direction
 * @exclude_opts: leave TCP options other than TCP-AO out of the MAC
 * @sne: sequence number extension of the segment's sequence number
 * @family: AF_INET or AF_INET6, for the pseudo-header
 * @saddr: source address
 * @daddr: destination address
 * @th: TCP header with its options, carrying a TCP-AO option
 * @mac: output, as many bytes as the TCP-AO option has room for
 *
 * For replies built in a buffer (RST and ACK without a full socket).
 *
 * Return: 0 or a negative errno.
 */
int tcp_authopt_calc_mac_hdr(u8 alg_id, const u8 *traffic_key, bool exclude_opts,
			     u32 sne, int family, const void *saddr,
			     const void *daddr, const struct tcphdr *th, u8 *mac)
{
	unsigned int hlen = th->doff * 4;
	int err;

	if (!tcp_authopt_traffic_keylen(alg_id) || !tcp_authopt_pcpu ||
	    hlen < sizeof(*th) || hlen > sizeof_field(struct tcp_authopt_pcpu, hdr))
		return -EINVAL;
	local_bh_disable();
	memcpy(this_cpu_ptr(tcp_authopt_pcpu)->hdr, th, hlen);
	err = tcp_authopt_mac_hdr(this_cpu_ptr(tcp_authopt_pcpu), alg_id, traffic_key,
				  NULL, exclude_opts, sne, family, saddr, daddr, hlen, hlen,
				  NULL, 0, mac);
	local_bh_enable();
	return err;
}
