// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP-AO on input: the one decision about every received segment, made
 * before the segment can reach the socket backlog (where TCP-MD5 is
 * checked), for every kind of socket:
 *
 *   socket       policy                          ISNs (peer, ours) of the MAC
 *   listener     TCP-AO if a key matches the     SYN: (seq, 0)
 *                peer, else stock                SYN-ACK: (seq, ack - 1)
 *                                                ACK (SYN cookie): (seq - 1, ack - 1)
 *   request      fixed by its SYN                SYN: (seq, 0); else (IRS, ISS)
 *   SYN_SENT     fixed by our SYN                SYN: (seq, 0); SYN-ACK: (seq, ISS);
 *                                                else: dropped (no peer ISN yet)
 *   other full   fixed at the start              SYN: (seq, 0); else (IRS, ISS)
 *   TIME-WAIT    that of its connection          SYN: (seq, 0); else (IRS, ISS)
 *
 * A SYN without ACK is always signed with destination ISN 0 (RFC 5925
 * 5.2), whatever state it meets. "Stock" is TCP without TCP-AO: TCP-MD5
 * checks the segment where the socket has an MD5 key for the peer. Under
 * TCP-AO, MD5 never applies. The SNE of a SYN or SYN-ACK is 0, that of a
 * handshake segment counts from the peer's ISN, and that of a later one
 * is taken against the highest sequence number verified so far.
 */
#define pr_fmt(fmt) "TCP: authopt: " fmt

#include <linux/kernel.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <crypto/algapi.h>
#include <net/tcp.h>
#include "tcp_authopt_priv.h"

static int tcp_authopt_drop_mib(enum skb_drop_reason reason)
{
	switch (reason) {
	case SKB_DROP_REASON_TCP_AUTHOPT_FAILURE:
		return LINUX_MIB_TCPAUTHOPTBADMAC;
	case SKB_DROP_REASON_TCP_AUTHOPT_REQUIRED:
		return LINUX_MIB_TCPAUTHOPTREQUIRED;
	case SKB_DROP_REASON_TCP_AUTHOPT_KEYNOTFOUND:
		return LINUX_MIB_TCPAUTHOPTKEYNOTFOUND;
	case SKB_DROP_REASON_TCP_AUTHOPT_UNEXPECTED:
		return LINUX_MIB_TCPAUTHOPTUNEXPECTED;
	case SKB_DROP_REASON_TCP_AUTHOPT_MD5_AND_AO:
		return LINUX_MIB_TCPAUTHOPTMD5ANDAO;
	case SKB_DROP_REASON_TCP_AUTHOPT_MALFORMED:
		return LINUX_MIB_TCPAUTHOPTMALFORMED;
	default:
		return 0;
	}
}

/* The same drop under upstream Linux's counter names (6.7+), which
 * monitoring written for upstream TCP-AO reads: a MAC mismatch is
 * TCPAOBad, an unsigned segment where TCP-AO applies TCPAORequired, and
 * a KeyID no key has, or TCP-AO from a peer no key is for,
 * TCPAOKeyNotFound. Upstream has no counter for the other reasons.
 */
static int tcp_authopt_drop_upstream_mib(enum skb_drop_reason reason)
{
	switch (reason) {
	case SKB_DROP_REASON_TCP_AUTHOPT_FAILURE:
		return LINUX_MIB_TCPAOBAD;
	case SKB_DROP_REASON_TCP_AUTHOPT_REQUIRED:
		return LINUX_MIB_TCPAOREQUIRED;
	case SKB_DROP_REASON_TCP_AUTHOPT_KEYNOTFOUND:
	case SKB_DROP_REASON_TCP_AUTHOPT_UNEXPECTED:
		return LINUX_MIB_TCPAOKEYNOTFOUND;
	default:
		return 0;
	}
}

static const char *tcp_authopt_drop_why(enum skb_drop_reason reason)
{
	switch (reason) {
	case SKB_DROP_REASON_TCP_AUTHOPT_FAILURE:
		return "TCP-AO MAC mismatch";
	case SKB_DROP_REASON_TCP_AUTHOPT_REQUIRED:
		return "TCP-AO required but missing";
	case SKB_DROP_REASON_TCP_AUTHOPT_KEYNOTFOUND:
		return "TCP-AO KeyID not usable";
	case SKB_DROP_REASON_TCP_AUTHOPT_UNEXPECTED:
		return "unexpected TCP-AO";
	case SKB_DROP_REASON_TCP_AUTHOPT_MD5_AND_AO:
		return "both TCP-AO and MD5 options";
	case SKB_DROP_REASON_TCP_AUTHOPT_MALFORMED:
		return "malformed TCP-AO option";
	case SKB_DROP_REASON_NOMEM:
		return "no memory to verify TCP-AO";
	default:
		return "TCP-AO segment not verifiable";
	}
}

/**
 * tcp_authopt_drop() - count and log a segment TCP-AO drops
 * @net: namespace
 * @skb: the segment
 * @reason: why
 *
 * TCPAuthOptFailure counts every drop (abi.md); a finer counter per reason
 * sits beside it, and upstream's counter for the reason where it has one.
 *
 * Return: @reason.
 */
enum skb_drop_reason tcp_authopt_drop(struct net *net, const struct sk_buff *skb,
				      enum skb_drop_reason reason)
{
	const struct tcphdr *th = tcp_hdr(skb);
	const char *why = tcp_authopt_drop_why(reason);
	int mib = tcp_authopt_drop_mib(reason);
	int umib = tcp_authopt_drop_upstream_mib(reason);

	__NET_INC_STATS(net, LINUX_MIB_TCPAUTHOPTFAILURE);
	if (mib)
		__NET_INC_STATS(net, mib);
	if (umib)
		__NET_INC_STATS(net, umib);
	if (ip_hdr(skb)->version == 4)
		net_info_ratelimited("%s from %pI4:%u to %pI4:%u\n", why, &ip_hdr(skb)->saddr,
				     ntohs(th->source), &ip_hdr(skb)->daddr, ntohs(th->dest));
	else
		net_info_ratelimited("%s from [%pI6c]:%u to [%pI6c]:%u\n", why,
				     &ipv6_hdr(skb)->saddr, ntohs(th->source),
				     &ipv6_hdr(skb)->daddr, ntohs(th->dest));
	return reason;
}

/* What one segment is checked against; filled per kind of socket. */
struct tcp_authopt_rx {
	u8 policy;		/* of the connection, for this segment */
	u32 flags;		/* the socket's TCP_AUTHOPT flags */
	struct tcp_authopt_key_info **keys;
	unsigned int nkeys;
	struct tcp_authopt_keyset *ks;	/* a full socket's, or NULL */
	bool ks_temporary;
	struct tcp_authopt_match m;	/* when keys come from the database */
	bool have_match;
};

/* Stock TCP: MD5 where it applies, and REJECT_UNEXPECTED if asked for. */
static enum skb_drop_reason tcp_authopt_rx_stock(const struct sock *sk, struct sk_buff *skb,
						 u32 flags, const void *saddr,
						 const void *daddr, int family, int dif,
						 int sdif)
{
	const u8 *opt;

	if (flags & TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED) {
		opt = tcp_authopt_find_option(tcp_hdr(skb));
		/* Our ABI's option: what its keys would send (16 bytes). */
		if (!IS_ERR_OR_NULL(opt) && opt[1] == TCPOLEN_AUTHOPT_OUTPUT)
			return tcp_authopt_drop(sock_net(sk), skb,
						SKB_DROP_REASON_TCP_AUTHOPT_UNEXPECTED);
	}
	if (sk->sk_state == TCP_TIME_WAIT)
		return SKB_NOT_DROPPED_YET;
	return tcp_inbound_md5_hash(sk, skb, saddr, daddr, family, dif, sdif);
}

/* The keys a segment for a listener's peer is checked against. */
static int tcp_authopt_rx_listener(struct sock *sk, struct sk_buff *skb, int l3index,
				   struct tcp_authopt_rx *rx)
{
	struct tcp_authopt_keydb *db;
	struct tcp_authopt_conn conn;
	struct tcp_authopt_flow f;
	int err;

	tcp_authopt_flow_skb(skb, &f);
	tcp_authopt_conn_from_flow(&f, false, l3index, &conn);
	db = tcp_authopt_info_db(sock_net(sk), rcu_dereference(tcp_sk(sk)->authopt_info));
	err = tcp_authopt_keydb_match(db, &conn, &rx->m, GFP_ATOMIC);
	if (err)
		return err;
	rx->have_match = true;
	rx->keys = rx->m.keys;
	rx->nkeys = rx->m.n;
	rx->policy = rx->nkeys ? TCP_AUTHOPT_AO : TCP_AUTHOPT_NONE;
	return 0;
}

static int tcp_authopt_rx_view(struct sock *sk, const struct tcp_authopt_view *v,
			       struct tcp_authopt_rx *rx)
{
	int err = tcp_authopt_view_match(v, &rx->m);

	if (err)
		return err;
	rx->have_match = true;
	rx->keys = rx->m.keys;
	rx->nkeys = rx->m.n;
	return 0;
}

static void tcp_authopt_rx_done(struct tcp_authopt_rx *rx)
{
	if (rx->have_match)
		tcp_authopt_match_free(&rx->m);
	if (rx->ks_temporary)
		tcp_authopt_keyset_free(rx->ks);
}

/* Verify @skb, whose TCP-AO option is @opt, with the ISNs and SNE given;
 * @tkeys (parallel to rx->keys) when Receive_Other is cached for them.
 */
static enum skb_drop_reason tcp_authopt_rx_mac(struct net *net, struct sk_buff *skb,
					       const struct tcp_authopt_rx *rx, const u8 *opt,
					       u32 peer_isn, u32 our_isn, u32 sne,
					       const struct tcp_authopt_tkeys *tkeys)
{
	u8 tkey[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN], mac[TCP_AUTHOPT_MAX_MACLEN];
	struct tcp_authopt_key_info *key;
	struct tcp_authopt_flow f;
	int i, err;

	i = tcp_authopt_recv_index(rx->keys, rx->nkeys, opt[2]);
	if (i < 0)
		return tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_KEYNOTFOUND);
	key = rx->keys[i];
	tcp_authopt_flow_skb(skb, &f);
	/* A MAC of another length than the key's cannot be its MAC. */
	if (opt[1] != 4 + key->maclen) {
		err = -EBADMSG;
	} else if (tkeys) {
		err = tcp_authopt_flow_mac(key, tkeys[i].recv_other.key, &tkeys[i].recv_other.hmac,
					   sne, &f, skb, mac);
	} else {
		err = tcp_authopt_flow_kdf(key, &f, peer_isn, our_isn, tkey) ?:
		      tcp_authopt_flow_mac(key, tkey, NULL, sne, &f, skb, mac);
		memzero_explicit(tkey, sizeof(tkey));
	}
	if (err || crypto_memneq(mac, opt + 4, key->maclen)) {
		if (key->counted)
			atomic64_inc(&key->pkt_bad);
		return tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_FAILURE);
	}
	if (key->counted)
		atomic64_inc(&key->pkt_good);
	/* Upstream's count of verified segments, which ours never had. */
	__NET_INC_STATS(net, LINUX_MIB_TCPAOGOOD);
	return SKB_NOT_DROPPED_YET;
}

/* Under TCP-AO: the option must be there, well formed and alone; under our
 * ABI 16 bytes long, as both RFC 5926 algorithms make it. An MD5
 * signature instead is, under upstream's ABI (@uabi), the MD5 drop that
 * upstream counts for it (TCPMD5Unexpected: the socket has no MD5 key for
 * a peer with a TCP-AO key) rather than a missing TCP-AO option.
 */
static const u8 *tcp_authopt_rx_option(struct net *net, struct sk_buff *skb, bool uabi,
				       enum skb_drop_reason *reason)
{
	const struct tcphdr *th = tcp_hdr(skb);
	const u8 *opt = tcp_authopt_find_option(th);

	if (IS_ERR(opt) || (opt && !uabi && opt[1] != TCPOLEN_AUTHOPT_OUTPUT)) {
		*reason = tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_MALFORMED);
	} else if (opt && tcp_authopt_has_md5(th)) {
		*reason = tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_MD5_AND_AO);
	} else if (!opt && uabi && tcp_authopt_has_md5(th)) {
		__NET_INC_STATS(net, LINUX_MIB_TCPMD5UNEXPECTED);
		*reason = SKB_DROP_REASON_TCP_MD5UNEXPECTED;
	} else if (!opt) {
		*reason = tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_REQUIRED);
	} else {
		return opt;
	}
	return NULL;
}

/**
 * tcp_authopt_inbound() - the one decision about a received segment
 * @sk: full, listening or TIME-WAIT socket (for a request socket: its listener)
 * @req: the request socket the segment is for, or NULL
 * @skb: the segment, TCP header at skb->data
 * @saddr: its source address, for TCP-MD5
 * @daddr: its destination address, for TCP-MD5
 * @family: AF_INET or AF_INET6, for TCP-MD5
 * @dif: the device it came in on
 * @sdif: its L3 slave device, 0 without VRF
 *
 * Called before the backlog without the socket lock (see the table at the
 * top of this file). A segment that passes under TCP-AO moves the receive
 * SNE reference of a full socket and records its KeyIDs.
 *
 * Return: %SKB_NOT_DROPPED_YET or why to drop the segment (counted).
 */
enum skb_drop_reason tcp_authopt_inbound(struct sock *sk, struct request_sock *req,
					 struct sk_buff *skb, const void *saddr,
					 const void *daddr, int family, int dif, int sdif)
{
	const struct tcphdr *th = tcp_hdr(skb);
	u32 seq = ntohl(th->seq), ack = ntohl(th->ack_seq);
	struct tcp_authopt_info *info = NULL;
	struct tcp_authopt_uabi *uabi = NULL;
	struct tcp_authopt_rx rx = { };
	const struct tcp_authopt_tkeys *tkeys = NULL;
	struct net *net = sock_net(sk);
	enum skb_drop_reason reason;
	struct tcp_authopt_view v = { };
	u32 peer_isn, our_isn, sne;
	bool track = false;
	const u8 *opt;
	u64 ext = 0;
	int err = 0;

	/* First: whose policy, and the keys it can be checked with. */
	if (req) {
		const struct tcp_authopt_info *linfo = rcu_dereference(tcp_sk(sk)->authopt_info);

		rx.flags = linfo ? READ_ONCE(linfo->flags) : 0;
		uabi = linfo ? linfo->uabi : NULL;
		rx.policy = tcp_rsk(req)->ao_policy;
		if (rx.policy == TCP_AUTHOPT_AO) {
			tcp_authopt_view_req(&v, sk, req);
			err = tcp_authopt_rx_view(sk, &v, &rx);
		}
	} else if (sk->sk_state == TCP_TIME_WAIT) {
		info = rcu_dereference(tcp_twsk(sk)->tw_authopt_info);
		if (info) {
			tcp_authopt_view_sk(&v, sk, info);
			rx.flags = v.flags;
			rx.policy = v.policy;
			if (rx.policy == TCP_AUTHOPT_AO)
				err = tcp_authopt_rx_view(sk, &v, &rx);
		}
	} else if (sk->sk_state == TCP_LISTEN) {
		info = rcu_dereference(tcp_sk(sk)->authopt_info);
		if (info) {
			rx.flags = READ_ONCE(info->flags);
			err = tcp_authopt_rx_listener(sk, skb, sdif ? dif : 0, &rx);
		}
	} else {
		info = rcu_dereference(tcp_sk(sk)->authopt_info);
		if (info) {
			rx.flags = READ_ONCE(info->flags);
			rx.policy = READ_ONCE(info->policy);
			/* Restored by repair and not decided yet: as its keys say. */
			if (rx.policy != TCP_AUTHOPT_NONE) {
				rx.ks = tcp_authopt_keyset_rcu(sk, info, &rx.ks_temporary);
				if (IS_ERR(rx.ks)) {
					err = PTR_ERR(rx.ks);
					rx.ks = NULL;
				} else {
					rx.keys = rx.ks->keys;
					rx.nkeys = rx.ks->n;
					if (rx.policy == TCP_AUTHOPT_UNDECIDED)
						rx.policy = rx.nkeys ? TCP_AUTHOPT_AO :
								       TCP_AUTHOPT_NONE;
				}
			}
		}
	}
	if (info)
		uabi = info->uabi;
	if (err) {
		reason = tcp_authopt_drop(net, skb, SKB_DROP_REASON_NOMEM);
		goto out;
	}
	if (rx.policy != TCP_AUTHOPT_AO) {
		/* Upstream's ao_required: TCP-AO even from peers without a key. */
		if (uabi && READ_ONCE(uabi->ao_required) && !tcp_authopt_find_option(th))
			reason = tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_REQUIRED);
		else
			reason = tcp_authopt_rx_stock(sk, skb, rx.flags, saddr, daddr, family,
						      dif, sdif);
		goto out;
	}

	/* TCP-AO: which ISNs and which SNE the MAC was made with. */
	opt = tcp_authopt_rx_option(net, skb, uabi, &reason);
	if (!opt)
		goto out;
	sne = 0;
	if (th->syn && !th->ack) {
		peer_isn = seq;
		our_isn = 0;
	} else if (req) {
		peer_isn = v.dst_isn;
		our_isn = v.src_isn;
		sne = tcp_authopt_compute_sne(0, peer_isn, seq);
	} else if (sk->sk_state == TCP_LISTEN) {
		peer_isn = th->syn ? seq : seq - 1;
		our_isn = ack - 1;
		sne = tcp_authopt_compute_sne(0, peer_isn, seq);
	} else if (sk->sk_state == TCP_SYN_SENT) {
		if (!th->syn) {
			reason = tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_FAILURE);
			goto out;
		}
		peer_isn = seq;
		our_isn = READ_ONCE(info->src_isn);
	} else if (sk->sk_state == TCP_TIME_WAIT) {
		peer_isn = v.dst_isn;
		our_isn = v.src_isn;
		sne = tcp_authopt_ext_seq(v.rcv_ext, seq) >> 32;
	} else {
		peer_isn = READ_ONCE(info->dst_isn);
		our_isn = READ_ONCE(info->src_isn);
		ext = tcp_authopt_ext_seq(atomic64_read(&info->rcv_ext), seq);
		sne = ext >> 32;
		track = true;
		if (rx.ks->has_tkeys && rx.ks->dst_isn == peer_isn && rx.ks->src_isn == our_isn)
			tkeys = rx.ks->tkeys;
	}

	reason = tcp_authopt_rx_mac(net, skb, &rx, opt, peer_isn, our_isn, sne, tkeys);
	if (reason || !info || sk->sk_state == TCP_LISTEN)
		goto out;
	if (track)
		tcp_authopt_ext_advance(&info->rcv_ext, ext);
	if (sk->sk_state != TCP_TIME_WAIT) {
		tcp_authopt_record_recv(info, opt);
		if (uabi)
			tcp_authopt_uabi_rnext_request(info, rx.keys, rx.nkeys, opt[3]);
	}
out:
	if (uabi) {
		if (reason)
			tcp_authopt_uabi_count(uabi, reason);
		else if (rx.policy == TCP_AUTHOPT_AO)
			atomic64_inc(&uabi->pkt_good);
	}
	tcp_authopt_rx_done(&rx);
	return reason;
}
EXPORT_SYMBOL_GPL(tcp_authopt_inbound);

/**
 * tcp_authopt_ignore_icmp() - whether an ICMP error is ignored (RFC 5925 7.8)
 * @sk: full socket, bh-locked
 * @family: AF_INET or AF_INET6, of the ICMP message
 * @type: ICMP type
 * @code: ICMP code
 *
 * "Hard" errors must not reset an authenticated connection: anybody can
 * forge them. ICMPv4 fragmentation needed is deliberately not ignored
 * (RFC 5925 7.8 lists it): in Linux it never resets a connection, it only
 * lowers the path MTU, as ICMPv6 packet too big does, which RFC 5925 does
 * not list; ignoring it would blackhole TCP-AO connections on IPv4 paths
 * with a smaller MTU.
 *
 * Return: true when the caller drops the message (counted).
 */
bool tcp_authopt_ignore_icmp(struct sock *sk, int family, int type, int code)
{
	struct tcp_authopt_info *info = rcu_dereference(tcp_sk(sk)->authopt_info);
	bool hard;

	if (!info || READ_ONCE(info->policy) != TCP_AUTHOPT_AO)
		return false;
	if (info->uabi && READ_ONCE(info->uabi->accept_icmps))
		return false;
	if (family == AF_INET)
		hard = type == ICMP_DEST_UNREACH &&
		       (code == ICMP_PROT_UNREACH || code == ICMP_PORT_UNREACH);
	else
		hard = type == ICMPV6_DEST_UNREACH && code >= ICMPV6_ADM_PROHIBITED &&
		       code <= ICMPV6_PORT_UNREACH;
	if (hard) {
		__NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPAUTHOPTICMPIGNORED);
		__NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPAODROPPEDICMPS);
		if (info->uabi)
			atomic64_inc(&info->uabi->dropped_icmp);
	}
	return hard;
}
EXPORT_SYMBOL_GPL(tcp_authopt_ignore_icmp);
