// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP-AO on output: how every segment we send is signed.
 *
 * Full sockets (with the socket locked) sign with their key set: our SYN
 * with Send_SYN (destination ISN 0), everything else with the cached
 * Send_Other key. A SYN-ACK of a request socket and a reply sent without
 * a full socket (RST and ACK of request, TIME-WAIT and full sockets) take
 * their keys from the database and derive the traffic key on the spot.
 * A connection whose policy is TCP-AO never sends unsigned: when no key
 * may sign, nothing is sent.
 */
#define pr_fmt(fmt) "TCP: authopt: " fmt

#include <linux/kernel.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/tcp.h>
#include "tcp_authopt_priv.h"

/**
 * tcp_authopt_select_key() - the key that signs the next segment of a socket
 * @sk: full socket, locked
 * @keyid: output, the KeyID to send
 * @rnextkeyid: output, the RNextKeyID to send
 * @maclen: output, the key's MAC length (the default one without a key)
 *
 * Decides the connection's policy at its first segment (our SYN).
 *
 * Return: the key (valid while the socket is locked); NULL when the
 * segment is not signed with TCP-AO; an ERR_PTR when it must not be sent:
 * -ENOKEY when the connection is authenticated but no key may sign now,
 * -ENOMEM when the keys could not be looked up.
 */
struct tcp_authopt_key_info *tcp_authopt_select_key(struct sock *sk, u8 *keyid,
						    u8 *rnextkeyid, u8 *maclen)
{
	struct tcp_authopt_info *info = tcp_authopt_info_locked(sk);
	struct tcp_authopt_keyset *ks;
	struct tcp_authopt_key_info *key;
	u32 ids;

	*maclen = TCP_AUTHOPT_MACLEN;
	if (!info)
		return NULL;
	switch (tcp_authopt_policy(sk, info)) {
	case TCP_AUTHOPT_AO:
		break;
	case TCP_AUTHOPT_UNDECIDED:
		if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
			return NULL;
		return ERR_PTR(-ENOMEM);
	default:
		return NULL;
	}
	ks = tcp_authopt_keyset_locked(sk, info);
	if (IS_ERR(ks))
		return ERR_CAST(ks);
	ids = READ_ONCE(info->recv_ids);
	key = tcp_authopt_pick_send(ks->keys, ks->n, info->flags,
				    info->flags & TCP_AUTHOPT_FLAG_LOCK_KEYID ?
				    info->send_keyid : -1,
				    ids & TCP_AUTHOPT_RECV_IDS_VALID ? (ids >> 8) & 0xff : -1);
	if (!key)
		return ERR_PTR(-ENOKEY);
	*keyid = key->send_id;
	*maclen = key->maclen;
	*rnextkeyid = tcp_authopt_rnext(key, info->flags, info->send_rnextkeyid);
	WRITE_ONCE(info->send_keyid, *keyid);
	WRITE_ONCE(info->send_rnextkeyid, *rnextkeyid);
	return key;
}
EXPORT_SYMBOL_GPL(tcp_authopt_select_key);

/**
 * tcp_authopt_hash() - sign a segment of a full socket
 * @sk: socket, locked
 * @skb: segment, its TCP header (with the TCP-AO option) at skb->data
 * @key: key from tcp_authopt_select_key()
 * @mac: where the MAC goes in the TCP-AO option
 *
 * Return: 0 or a negative errno, in which case the segment must not be sent.
 */
int tcp_authopt_hash(struct sock *sk, struct sk_buff *skb,
		     const struct tcp_authopt_key_info *key, u8 *mac)
{
	struct tcp_authopt_info *info = tcp_authopt_info_locked(sk);
	const struct tcphdr *th = tcp_hdr(skb);
	u8 tkey[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	u32 seq = ntohl(th->seq);
	struct tcp_authopt_keyset *ks;
	struct tcp_authopt_flow f;
	unsigned int i;
	u64 ext;
	int err;

	if (!info || !key)
		return -EINVAL;
	ks = rcu_dereference_protected(info->keyset, true);
	for (i = 0; ks && i < ks->n; i++)
		if (ks->keys[i] == key)
			break;
	if (!ks || i == ks->n)
		return -ENOKEY;
	tcp_authopt_flow_sk(sk, &f);
	if (th->syn && !th->ack) {
		/* Our SYN (RFC 5925 5.2): Send_SYN, destination ISN 0, SNE 0. */
		WRITE_ONCE(info->src_isn, seq);
		atomic64_set(&info->snd_ext, seq);
		err = tcp_authopt_flow_kdf(key, &f, seq, 0, tkey) ?:
		      tcp_authopt_flow_mac(key, tkey, NULL, 0, &f, skb, mac);
		memzero_explicit(tkey, sizeof(tkey));
		return err;
	}
	/* No peer ISN yet (a RST in SYN_SENT): no traffic key can exist. */
	if (!ks->has_tkeys)
		return -ENOKEY;
	ext = tcp_authopt_ext_seq(atomic64_read(&info->snd_ext), seq);
	if (ext > (u64)atomic64_read(&info->snd_ext))
		atomic64_set(&info->snd_ext, ext);
	return tcp_authopt_flow_mac(key, ks->tkeys[i].send_other.key, &ks->tkeys[i].send_other.hmac,
				    ext >> 32, &f, skb, mac);
}
EXPORT_SYMBOL_GPL(tcp_authopt_hash);

/**
 * tcp_authopt_synack_key() - the key that signs a SYN-ACK
 * @sk: the listener, or the Fast Open child answering for @req
 * @req: request socket
 * @keyid: output, the KeyID to send
 * @rnextkeyid: output, the RNextKeyID to send
 * @maclen: output, the key's MAC length (the default one without a key)
 *
 * The key chosen when the SYN came (honouring its RNextKeyID), while it
 * may sign. Caller holds rcu_read_lock() until the SYN-ACK is signed.
 *
 * Return: the key; NULL when the request is not TCP-AO; ERR_PTR(-ENOKEY)
 * when it is but no key may sign now (no SYN-ACK goes out).
 */
struct tcp_authopt_key_info *tcp_authopt_synack_key(const struct sock *sk,
						    const struct request_sock *req,
						    u8 *keyid, u8 *rnextkeyid, u8 *maclen)
{
	struct tcp_authopt_key_info *key = NULL;
	struct tcp_authopt_match m;
	struct tcp_authopt_view v;

	*maclen = TCP_AUTHOPT_MACLEN;
	if (tcp_rsk(req)->ao_policy != TCP_AUTHOPT_AO)
		return NULL;
	tcp_authopt_view_req(&v, sk, req);
	if (!tcp_authopt_view_match(&v, &m))
		key = tcp_authopt_view_pick(&v, &m, rnextkeyid);
	tcp_authopt_match_free(&m);
	if (!key)
		return ERR_PTR(-ENOKEY);
	*keyid = key->send_id;
	*maclen = key->maclen;
	return key;
}
EXPORT_SYMBOL_GPL(tcp_authopt_synack_key);

/**
 * tcp_authopt_hash_synack() - sign a SYN-ACK
 * @req: request socket
 * @skb: the SYN-ACK, TCP header at skb->data
 * @key: key from tcp_authopt_synack_key()
 * @mac: where the MAC goes
 *
 * Return: 0 or a negative errno.
 */
int tcp_authopt_hash_synack(const struct request_sock *req, struct sk_buff *skb,
			    const struct tcp_authopt_key_info *key, u8 *mac)
{
	const struct tcp_request_sock *treq = tcp_rsk(req);
	u8 tkey[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	struct tcp_authopt_flow f;
	int err;

	tcp_authopt_flow_req(req, &f);
	err = tcp_authopt_flow_kdf(key, &f, treq->snt_isn, treq->rcv_isn, tkey) ?:
	      tcp_authopt_flow_mac(key, tkey, NULL,
				   tcp_authopt_compute_sne(0, treq->snt_isn,
							   ntohl(tcp_hdr(skb)->seq)),
				   &f, skb, mac);
	memzero_explicit(tkey, sizeof(tkey));
	return err;
}
EXPORT_SYMBOL_GPL(tcp_authopt_hash_synack);

/* Replies without a full socket (RST, TIME-WAIT and request ACKs) */

/* The request socket a listener answers for: tcp_check_req() passes the
 * listener to send_reset(), the request is still hashed.
 */
static struct sock *tcp_authopt_find_req(const struct sock *listener, struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct net *net = sock_net(listener);
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;
	struct sock *rsk = NULL;

	if (ip_hdr(skb)->version == 4)
		rsk = __inet_lookup_established(net, hinfo, ip_hdr(skb)->saddr, th->source,
						ip_hdr(skb)->daddr, ntohs(th->dest),
						inet_iif(skb), tcp_v4_sdif(skb));
#if IS_ENABLED(CONFIG_IPV6)
	else
		rsk = __inet6_lookup_established(net, hinfo, &ipv6_hdr(skb)->saddr, th->source,
						 &ipv6_hdr(skb)->daddr, ntohs(th->dest),
						 tcp_v6_iif(skb), tcp_v6_sdif(skb));
#endif
	if (rsk && (rsk->sk_state != TCP_NEW_SYN_RECV ||
		    inet_reqsk(rsk)->rsk_listener != listener)) {
		sock_gen_put(rsk);
		rsk = NULL;
	}
	return rsk;
}

/* No connection to sign for (no socket, or a listener without the request
 * a segment belongs to): the ISNs are unknown (RFC 5925 7.7). A reply to a
 * segment that carries TCP-AO would reach a peer that signs and drops what
 * is not signed: none is sent, as upstream does. Other segments get the
 * unsigned reply of stock TCP.
 */
static int tcp_authopt_reply_unsigned(struct sk_buff *skb)
{
	return tcp_authopt_find_option(tcp_hdr(skb)) ? -ENOTCONN : 0;
}

/* The view of whatever @sk is; false when TCP-AO does not sign for it.
 * *@orphan: @sk is a listener that has no request for @skb.
 */
static bool tcp_authopt_view_any(struct tcp_authopt_view *v, const struct sock *sk,
				 struct sk_buff *skb, bool *orphan)
{
	const struct tcp_authopt_info *info;
	struct sock *rsk;

	switch (sk->sk_state) {
	case TCP_TIME_WAIT:
		info = rcu_dereference(tcp_twsk(sk)->tw_authopt_info);
		break;
	case TCP_NEW_SYN_RECV:
		tcp_authopt_view_req(v, inet_reqsk(sk)->rsk_listener, inet_reqsk(sk));
		return v->policy == TCP_AUTHOPT_AO;
	case TCP_LISTEN:
		if (!rcu_access_pointer(tcp_sk(sk)->authopt_info))
			return false;
		rsk = tcp_authopt_find_req(sk, skb);
		*orphan = !rsk;
		if (!rsk)
			return false;
		tcp_authopt_view_req(v, sk, inet_reqsk(rsk));
		sock_gen_put(rsk);
		return v->policy == TCP_AUTHOPT_AO;
	default:
		info = rcu_dereference(tcp_sk(sk)->authopt_info);
		break;
	}
	if (!info || READ_ONCE(info->policy) != TCP_AUTHOPT_AO)
		return false;
	tcp_authopt_view_sk(v, sk, info);
	return true;
}

/**
 * tcp_authopt_reply_prepare() - decide how a reply to a segment is signed
 * @sk: the socket the reply is for: full, TIME-WAIT, request, listener
 *	(answering for a request socket) or NULL
 * @skb: the segment replied to, already verified
 * @r: output, for tcp_authopt_reply_sign()
 *
 * Return: 1 when the reply must be signed with @r, 0 when TCP-AO does not
 * sign it (the connection's policy is not TCP-AO, or there is no
 * connection for a segment without TCP-AO), or a negative errno when it
 * must not be sent: the connection is authenticated but no key may sign
 * now, or there is no connection for a segment that carries TCP-AO.
 */
int tcp_authopt_reply_prepare(const struct sock *sk, struct sk_buff *skb,
			      struct tcp_authopt_reply *r)
{
	struct tcp_authopt_key_info *key;
	struct tcp_authopt_match m;
	struct tcp_authopt_view v;
	bool orphan = false;
	int err = 0;

	if (!sk)
		return tcp_authopt_reply_unsigned(skb);
	rcu_read_lock();
	if (!tcp_authopt_view_any(&v, sk, skb, &orphan)) {
		if (orphan)
			err = tcp_authopt_reply_unsigned(skb);
		goto out;
	}
	err = tcp_authopt_view_match(&v, &m);
	if (err)
		goto out;
	key = tcp_authopt_view_pick(&v, &m, &r->rnextkeyid);
	if (!key) {
		err = -ENOKEY;
		goto out_free;
	}
	r->alg_id = key->alg_id;
	r->exclude_opts = key->flags & TCP_AUTHOPT_KEY_EXCLUDE_OPTS;
	r->maclen = key->maclen;
	r->keyid = key->send_id;
	r->sne_ref = v.snd_ext >> 32;
	r->seq_ref = (u32)v.snd_ext;
	r->family = v.flow.family;
	memcpy(&r->saddr, &v.flow.saddr, sizeof(r->saddr));
	memcpy(&r->daddr, &v.flow.daddr, sizeof(r->daddr));
	err = tcp_authopt_flow_kdf(key, &v.flow, v.src_isn, v.dst_isn, r->traffic_key) ?: 1;
out_free:
	tcp_authopt_match_free(&m);
out:
	rcu_read_unlock();
	return err;
}
EXPORT_SYMBOL_GPL(tcp_authopt_reply_prepare);

/**
 * tcp_authopt_reply_sign() - put a signed TCP-AO option on a reply
 * @r: from tcp_authopt_reply_prepare() returning 1; its traffic key is wiped
 * @th: the reply's TCP header, complete, its doff counting the option
 * @opt: where the option goes: tcp_authopt_space() of @r->maclen bytes
 */
void tcp_authopt_reply_sign(struct tcp_authopt_reply *r, struct tcphdr *th, u8 *opt)
{
	u32 sne = tcp_authopt_compute_sne(r->sne_ref, r->seq_ref, ntohl(th->seq));

	tcp_authopt_put_option(opt, r->keyid, r->rnextkeyid, r->maclen);
	/* Cannot fail for a key that was accepted; a zero MAC is dropped anyway. */
	if (tcp_authopt_calc_mac_hdr(r->alg_id, r->traffic_key, r->exclude_opts, sne,
				     r->family, &r->saddr, &r->daddr, th, opt + 4))
		memset(opt + 4, 0, r->maclen);
	memzero_explicit(r->traffic_key, sizeof(r->traffic_key));
}
EXPORT_SYMBOL_GPL(tcp_authopt_reply_sign);
