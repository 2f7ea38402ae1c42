// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP-AO state of a connection: its policy (fixed when it starts), the
 * keys that apply to it with their traffic keys, which key signs and which
 * verifies, and how the state moves through request, full and TIME-WAIT
 * sockets and tcp_disconnect().
 *
 * A full socket keeps its keys in a key set that is never changed once
 * published: it is replaced, with the socket locked, when the namespace's
 * key database moved on or the ISNs changed, and freed after an RCU grace
 * period, so the receive path can use it before the socket backlog,
 * without the socket lock. Request and TIME-WAIT sockets look keys up in
 * the database when they need them.
 */
#define pr_fmt(fmt) "TCP: authopt: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <net/l3mdev.h>
#include <net/tcp.h>
#include "tcp_authopt_priv.h"

/* Keys and their use */

/**
 * tcp_authopt_now() - wall clock for key lifetimes
 *
 * Return: UTC seconds.
 */
u64 tcp_authopt_now(void)
{
	return ktime_get_real_seconds();
}

/**
 * tcp_authopt_key_can_send() - may a key sign now
 * @key: key
 * @now: from tcp_authopt_now()
 *
 * Return: true when not NOSEND and inside its send lifetime.
 */
bool tcp_authopt_key_can_send(const struct tcp_authopt_key_info *key, u64 now)
{
	return !(key->flags & TCP_AUTHOPT_KEY_NOSEND) &&
	       now >= key->send_begin && now <= key->send_end;
}

/**
 * tcp_authopt_key_can_recv() - may a key verify now
 * @key: key
 * @now: from tcp_authopt_now()
 *
 * Return: true when not NORECV and inside its receive lifetime.
 */
bool tcp_authopt_key_can_recv(const struct tcp_authopt_key_info *key, u64 now)
{
	return !(key->flags & TCP_AUTHOPT_KEY_NORECV) &&
	       now >= key->recv_begin && now <= key->recv_end;
}

/**
 * tcp_authopt_pick_send() - the key that signs (RFC 5925 7.5.2, abi.md)
 * @keys: the keys that apply to the connection
 * @n: their number
 * @flags: the socket's &enum tcp_authopt_flag bits
 * @locked_id: send_id locked with LOCK_KEYID, or chosen before (-1: none)
 * @peer_rnext: the RNextKeyID the peer sent last (-1: not known)
 *
 * The locked (or earlier chosen) key if usable; else the one the peer asked
 * for with RNextKeyID; else the usable key valid for the longest time,
 * lowest send_id first on a tie. A lock is a preference, never a way to
 * stop a session.
 *
 * Return: the key, or NULL when none may sign now.
 */
struct tcp_authopt_key_info *
tcp_authopt_pick_send(struct tcp_authopt_key_info * const *keys, unsigned int n,
		      u32 flags, int locked_id, int peer_rnext)
{
	struct tcp_authopt_key_info *best = NULL, *asked = NULL;
	u64 now = tcp_authopt_now();
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct tcp_authopt_key_info *k = keys[i];

		if (!tcp_authopt_key_can_send(k, now))
			continue;
		if (k->send_id == locked_id)
			return k;
		if (k->send_id == peer_rnext)
			asked = k;
		if (!best || k->send_end > best->send_end ||
		    (k->send_end == best->send_end && k->send_id < best->send_id))
			best = k;
	}
	return asked ?: best;
}

/**
 * tcp_authopt_rnext() - the RNextKeyID to send with a key
 * @key: the key that signs
 * @flags: the socket's &enum tcp_authopt_flag bits
 * @locked: the RNextKeyID locked with LOCK_RNEXTKEYID
 *
 * Return: @locked when locked, else the key's recv_id.
 */
u8 tcp_authopt_rnext(const struct tcp_authopt_key_info *key, u32 flags, u8 locked)
{
	if (flags & TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID)
		return locked;
	return key->recv_id;
}

/**
 * tcp_authopt_send_key() - the key with a SendID among a connection's keys
 * @keys: the keys that apply to the connection
 * @n: their number
 * @send_id: the SendID
 *
 * Return: the key, usable now or not, or NULL.
 */
struct tcp_authopt_key_info *tcp_authopt_send_key(struct tcp_authopt_key_info * const *keys,
						  unsigned int n, u8 send_id)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (keys[i]->send_id == send_id)
			return keys[i];
	return NULL;
}

/**
 * tcp_authopt_recv_index() - the key that verifies a KeyID
 * @keys: the keys that apply to the connection
 * @n: their number
 * @keyid: the KeyID of the segment
 *
 * Return: the index in @keys of the usable key whose recv_id is @keyid, or -1.
 */
int tcp_authopt_recv_index(struct tcp_authopt_key_info * const *keys, unsigned int n,
			   u8 keyid)
{
	u64 now = tcp_authopt_now();
	unsigned int i;

	for (i = 0; i < n; i++)
		if (keys[i]->recv_id == keyid && tcp_authopt_key_can_recv(keys[i], now))
			return i;
	return -1;
}

/**
 * tcp_authopt_info_locked() - TCP-AO state of a locked full socket
 * @sk: the socket
 *
 * Return: the state, or NULL when the socket does not take part.
 */
struct tcp_authopt_info *tcp_authopt_info_locked(const struct sock *sk)
{
	return rcu_dereference_protected(tcp_sk(sk)->authopt_info, lockdep_sock_is_held(sk));
}

/**
 * tcp_authopt_sk_l3index() - the L3 domain (VRF) of a socket
 * @sk: the socket
 *
 * Return: the ifindex of the L3 master it is bound to, 0 for the default VRF.
 */
int tcp_authopt_sk_l3index(const struct sock *sk)
{
	return l3mdev_master_ifindex_by_index(sock_net(sk), sk->sk_bound_dev_if);
}

/* Full sockets: the key set */

static void tcp_authopt_keyset_free_rcu(struct rcu_head *rcu)
{
	struct tcp_authopt_keyset *ks = container_of(rcu, struct tcp_authopt_keyset, rcu);
	unsigned int i;

	for (i = 0; i < ks->n; i++)
		tcp_authopt_key_put(ks->keys[i]);
	kfree_sensitive(ks);
}

/**
 * tcp_authopt_keyset_free() - free a key set after a grace period
 * @ks: the key set, no longer reachable; may be NULL
 */
void tcp_authopt_keyset_free(struct tcp_authopt_keyset *ks)
{
	if (ks)
		call_rcu(&ks->rcu, tcp_authopt_keyset_free_rcu);
}

/**
 * tcp_authopt_keyset_release() - drop a socket's key set
 * @info: the socket's state; the socket is locked or unreachable
 *
 * The next segment builds a new one.
 */
void tcp_authopt_keyset_release(struct tcp_authopt_info *info)
{
	tcp_authopt_keyset_free(rcu_replace_pointer(info->keyset, NULL, true));
}

static bool tcp_authopt_keyset_current(const struct tcp_authopt_keyset *ks,
				       const struct tcp_authopt_info *info,
				       struct tcp_authopt_keydb *db)
{
	bool isns = READ_ONCE(info->isns_known);

	return ks && tcp_authopt_keydb_current(db, &ks->gen) && ks->has_tkeys == isns &&
	       (!isns || (ks->src_isn == READ_ONCE(info->src_isn) &&
			  ks->dst_isn == READ_ONCE(info->dst_isn)));
}

/* Build a key set for the connection of @sk: every key that applies, a
 * reference held on each, and the traffic keys once both ISNs are known.
 * Under RCU; may run in softirq.
 */
static struct tcp_authopt_keyset *tcp_authopt_keyset_build(struct sock *sk,
							   struct tcp_authopt_info *info)
{
	struct tcp_authopt_keydb *db = tcp_authopt_info_db(sock_net(sk), info);
	struct tcp_authopt_match m;
	struct tcp_authopt_keyset *ks;
	struct tcp_authopt_flow flow;
	struct tcp_authopt_conn conn;
	unsigned int i, taken;
	bool tkeys;
	int err;

	tcp_authopt_flow_sk(sk, &flow);
	tcp_authopt_conn_from_flow(&flow, true, tcp_authopt_sk_l3index(sk), &conn);
retry:
	err = tcp_authopt_keydb_match(db, &conn, &m, GFP_ATOMIC);
	if (err)
		return ERR_PTR(err);
	tkeys = READ_ONCE(info->isns_known);
	ks = tcp_authopt_should_fail() ? NULL :
	     kzalloc(struct_size(ks, keys, m.n) +
		     (tkeys ? m.n * sizeof(struct tcp_authopt_tkeys) : 0), GFP_ATOMIC);
	if (!ks) {
		tcp_authopt_match_free(&m);
		return ERR_PTR(-ENOMEM);
	}
	/* A key removed since the walk: its change counter moved too. */
	for (taken = 0; taken < m.n; taken++)
		if (!refcount_inc_not_zero(&m.keys[taken]->refcnt))
			break;
	if (taken < m.n) {
		for (i = 0; i < taken; i++)
			tcp_authopt_key_put(m.keys[i]);
		tcp_authopt_match_free(&m);
		kfree(ks);
		goto retry;
	}
	ks->gen = m.gen;
	ks->n = m.n;
	memcpy(ks->keys, m.keys, m.n * sizeof(*m.keys));
	tcp_authopt_match_free(&m);
	if (!tkeys)
		return ks;

	ks->has_tkeys = true;
	ks->src_isn = READ_ONCE(info->src_isn);
	ks->dst_isn = READ_ONCE(info->dst_isn);
	ks->tkeys = (struct tcp_authopt_tkeys *)&ks->keys[ks->n];
	for (i = 0; i < ks->n; i++) {
		struct tcp_authopt_tkeys *tk = &ks->tkeys[i];
		struct tcp_authopt_flow f = flow;

		err = tcp_authopt_flow_kdf(ks->keys[i], &f, ks->src_isn, ks->dst_isn,
					   tk->send_other.key);
		tcp_authopt_flow_reverse(&f);
		err = err ?: tcp_authopt_flow_kdf(ks->keys[i], &f, ks->dst_isn, ks->src_isn,
						  tk->recv_other.key);
		if (err) {
			tcp_authopt_keyset_free_rcu(&ks->rcu);
			return ERR_PTR(err);
		}
		tcp_authopt_hmac_prepare(ks->keys[i]->alg_id, tk->send_other.key,
					 &tk->send_other.hmac);
		tcp_authopt_hmac_prepare(ks->keys[i]->alg_id, tk->recv_other.key,
					 &tk->recv_other.hmac);
	}
	return ks;
}

/**
 * tcp_authopt_keyset_locked() - the key set of a locked full socket
 * @sk: the socket, locked
 * @info: its state
 *
 * Brings the key set up to date first.
 *
 * Return: the key set (valid while the socket is locked) or an ERR_PTR.
 */
struct tcp_authopt_keyset *tcp_authopt_keyset_locked(struct sock *sk,
						     struct tcp_authopt_info *info)
{
	struct tcp_authopt_keydb *db = tcp_authopt_info_db(sock_net(sk), info);
	struct tcp_authopt_keyset *ks = rcu_dereference_protected(info->keyset, true);

	if (tcp_authopt_keyset_current(ks, info, db))
		return ks;
	rcu_read_lock();
	ks = tcp_authopt_keyset_build(sk, info);
	rcu_read_unlock();
	if (IS_ERR(ks))
		return ks;
	tcp_authopt_keyset_free(rcu_replace_pointer(info->keyset, ks, true));
	return ks;
}

/**
 * tcp_authopt_keyset_rcu() - the key set of a full socket, without its lock
 * @sk: the socket
 * @info: its state
 * @temporary: output, true when the result is the caller's to free with
 *	tcp_authopt_keyset_free()
 *
 * For the receive path before the backlog, under RCU. An outdated key set
 * is replaced when the socket can be locked now; if its owner holds it,
 * the caller gets a key set of its own for this segment.
 *
 * Return: the key set or an ERR_PTR.
 */
struct tcp_authopt_keyset *tcp_authopt_keyset_rcu(struct sock *sk,
						  struct tcp_authopt_info *info,
						  bool *temporary)
{
	struct tcp_authopt_keydb *db = tcp_authopt_info_db(sock_net(sk), info);
	struct tcp_authopt_keyset *ks = rcu_dereference(info->keyset);

	*temporary = false;
	if (tcp_authopt_keyset_current(ks, info, db))
		return ks;
	bh_lock_sock_nested(sk);
	if (sock_owned_by_user(sk)) {
		bh_unlock_sock(sk);
		*temporary = true;
		return tcp_authopt_keyset_build(sk, info);
	}
	ks = tcp_authopt_keyset_locked(sk, info);
	bh_unlock_sock(sk);
	return ks;
}

/* Each segment needs a MAC of its own: no GSO. The route was set up before
 * the policy was known (connect(), accept()), so segments as large as GSO
 * allows would still be built and cut later, each copy with one MAC.
 */
static void tcp_authopt_no_gso(struct sock *sk)
{
	sk_gso_disable(sk);
	sk->sk_gso_max_size = 0;
	sk->sk_gso_max_segs = 1;
}

/* Every segment of the connection carries the option: count it in the
 * header length, as TCP does for timestamps and MD5, so that header
 * prediction matches the peer's segments (the fast path) and the cached
 * MSS leaves room for it. Only once the header length is final: the
 * SYN-ACK sets it again on the active side. The option is as long as the
 * sending key's MAC makes it; should another key sign later,
 * tcp_current_mss() corrects the MSS by the difference.
 */
static void tcp_authopt_count_option(struct sock *sk, struct tcp_authopt_info *info)
{
	struct tcp_authopt_keyset *ks = tcp_authopt_keyset_locked(sk, info);
	struct tcp_authopt_key_info *key = NULL;

	if (!IS_ERR(ks))
		key = tcp_authopt_send_key(ks->keys, ks->n, info->send_keyid);
	tcp_sk(sk)->tcp_header_len += tcp_authopt_space(key ? key->maclen : TCP_AUTHOPT_MACLEN);
	tcp_sync_mss(sk, inet_csk(sk)->icsk_pmtu_cookie);
}

/**
 * tcp_authopt_policy() - the policy of a full socket's connection
 * @sk: the socket, locked
 * @info: its state
 *
 * A connection that has not decided yet decides at its first segment in
 * SYN_SENT (our SYN) or, restored by repair, in a synchronized state:
 * TCP-AO when a key applies to its peer. Until then (closed or listening
 * sockets) nothing is decided.
 *
 * Return: &enum tcp_authopt_policy; %TCP_AUTHOPT_UNDECIDED when it could
 * not decide (no memory for the key lookup) where it had to.
 */
u8 tcp_authopt_policy(struct sock *sk, struct tcp_authopt_info *info)
{
	struct tcp_authopt_keyset *ks;

	if (info->policy != TCP_AUTHOPT_UNDECIDED ||
	    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN | TCPF_NEW_SYN_RECV)))
		return info->policy;
	ks = tcp_authopt_keyset_locked(sk, info);
	if (IS_ERR(ks))
		return TCP_AUTHOPT_UNDECIDED;
	if (ks->n) {
		tcp_authopt_no_gso(sk);
		WRITE_ONCE(info->policy, TCP_AUTHOPT_AO);
	} else {
		WRITE_ONCE(info->policy, TCP_AUTHOPT_NONE);
	}
	return info->policy;
}

/**
 * tcp_authopt_set_isns() - set a connection's ISNs and SNE references
 * @info: the state of a locked socket
 * @src_isn: our ISN
 * @dst_isn: the peer's ISN
 * @snd_ext: extended reference of the send direction (SNE << 32 | seq)
 * @rcv_ext: the same for the receive direction
 */
void tcp_authopt_set_isns(struct tcp_authopt_info *info, u32 src_isn, u32 dst_isn,
			  u64 snd_ext, u64 rcv_ext)
{
	WRITE_ONCE(info->src_isn, src_isn);
	WRITE_ONCE(info->dst_isn, dst_isn);
	atomic64_set(&info->snd_ext, snd_ext);
	atomic64_set(&info->rcv_ext, rcv_ext);
	WRITE_ONCE(info->isns_known, true);
	tcp_authopt_keyset_release(info);
}

/**
 * tcp_authopt_synced() - the peer's ISN is known
 * @sk: full socket, locked, leaving SYN_SENT
 * @skb: the peer's SYN-ACK, or its SYN crossing ours (simultaneous open)
 *
 * From here on segments are signed and verified with both ISNs.
 */
void tcp_authopt_synced(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_authopt_info *info = tcp_authopt_info_locked(sk);
	u32 isn = TCP_SKB_CB(skb)->seq;

	if (!info || info->policy != TCP_AUTHOPT_AO)
		return;
	tcp_authopt_set_isns(info, info->src_isn, isn, atomic64_read(&info->snd_ext), isn);
	/* From tcp_finish_connect(); crossed SYNs set the length again later
	 * and keep the slow path.
	 */
	if (sk->sk_state == TCP_ESTABLISHED)
		tcp_authopt_count_option(sk, info);
}
EXPORT_SYMBOL_GPL(tcp_authopt_synced);

/**
 * tcp_authopt_forget() - forget a connection, keep the configuration
 * @sk: the socket, locked: just disconnected (tcp_disconnect()), or about
 *	to send the SYN of a new connection
 *
 * Its next connection decides its policy, ISNs and keys anew; the flags
 * and the locked KeyIDs set through TCP_AUTHOPT stay.
 */
void tcp_authopt_forget(struct sock *sk)
{
	struct tcp_authopt_info *info = tcp_authopt_info_locked(sk);

	if (!info)
		return;
	tcp_authopt_keyset_release(info);
	WRITE_ONCE(info->policy, TCP_AUTHOPT_UNDECIDED);
	WRITE_ONCE(info->isns_known, false);
	WRITE_ONCE(info->src_isn, 0);
	WRITE_ONCE(info->dst_isn, 0);
	atomic64_set(&info->snd_ext, 0);
	atomic64_set(&info->rcv_ext, 0);
	WRITE_ONCE(info->recv_ids, 0);
	if (!(info->flags & TCP_AUTHOPT_FLAG_LOCK_KEYID))
		WRITE_ONCE(info->send_keyid, 0);
	if (!(info->flags & TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID))
		WRITE_ONCE(info->send_rnextkeyid, 0);
}
EXPORT_SYMBOL_GPL(tcp_authopt_forget);

/**
 * tcp_authopt_record_recv() - remember the KeyIDs of a verified segment
 * @info: the connection's state (no lock needed)
 * @opt: its TCP-AO option
 */
void tcp_authopt_record_recv(struct tcp_authopt_info *info, const u8 *opt)
{
	u32 ids = TCP_AUTHOPT_RECV_IDS_VALID | opt[3] << 8 | opt[2];

	if (READ_ONCE(info->recv_ids) != ids)
		WRITE_ONCE(info->recv_ids, ids);
}

/* Views: connections whose keys come from the database */

/**
 * tcp_authopt_view_sk() - view of a full or TIME-WAIT socket
 * @v: output
 * @sk: the socket (only sock_common fields are read)
 * @info: its TCP-AO state
 */
void tcp_authopt_view_sk(struct tcp_authopt_view *v, const struct sock *sk,
			 const struct tcp_authopt_info *info)
{
	u32 ids = READ_ONCE(info->recv_ids);

	v->db = tcp_authopt_info_db(sock_net(sk), info);
	tcp_authopt_flow_sk(sk, &v->flow);
	v->l3index = l3mdev_master_ifindex_by_index(sock_net(sk), sk->sk_bound_dev_if);
	v->policy = READ_ONCE(info->policy);
	v->flags = READ_ONCE(info->flags);
	/* A reply goes out with the key the connection uses. */
	v->cur_keyid = READ_ONCE(info->send_keyid);
	v->cur_rnext = READ_ONCE(info->send_rnextkeyid);
	v->locked_rnext = v->cur_rnext;
	v->peer_rnext = ids & TCP_AUTHOPT_RECV_IDS_VALID ? (ids >> 8) & 0xff : -1;
	v->src_isn = READ_ONCE(info->src_isn);
	v->dst_isn = READ_ONCE(info->dst_isn);
	v->snd_ext = atomic64_read(&info->snd_ext);
	v->rcv_ext = atomic64_read(&info->rcv_ext);
}

/**
 * tcp_authopt_view_req() - view of a request socket
 * @v: output
 * @listener: its listener
 * @req: the request socket
 *
 * The key chosen at SYN time stays the one that signs; both SNEs count
 * from the ISNs.
 */
void tcp_authopt_view_req(struct tcp_authopt_view *v, const struct sock *listener,
			  const struct request_sock *req)
{
	const struct tcp_authopt_info *linfo = rcu_dereference(tcp_sk(listener)->authopt_info);
	const struct tcp_request_sock *treq = tcp_rsk(req);

	v->db = tcp_authopt_info_db(sock_net(listener), linfo);
	tcp_authopt_flow_req(req, &v->flow);
	v->l3index = l3mdev_master_ifindex_by_index(sock_net(listener), inet_rsk(req)->ir_iif);
	v->policy = treq->ao_policy;
	v->flags = linfo ? READ_ONCE(linfo->flags) : 0;
	v->locked_rnext = linfo ? READ_ONCE(linfo->send_rnextkeyid) : 0;
	v->cur_keyid = -1;
	if (v->policy == TCP_AUTHOPT_AO) {
		v->cur_keyid = treq->ao_send_id;
		v->cur_rnext = treq->ao_rnext;
	} else if (linfo && (v->flags & TCP_AUTHOPT_FLAG_LOCK_KEYID)) {
		v->cur_keyid = READ_ONCE(linfo->send_keyid);
	}
	v->peer_rnext = treq->ao_peer_rnext_valid ? treq->ao_peer_rnext : -1;
	v->src_isn = treq->snt_isn;
	v->dst_isn = treq->rcv_isn;
	v->snd_ext = treq->snt_isn;
	v->rcv_ext = treq->rcv_isn;
}

/**
 * tcp_authopt_view_pick() - the key that signs for a viewed connection
 * @v: the view
 * @m: the keys that apply to it
 * @rnextkeyid: output, the RNextKeyID to send
 *
 * Return: the key, or NULL when none may sign now.
 */
struct tcp_authopt_key_info *tcp_authopt_view_pick(const struct tcp_authopt_view *v,
						   const struct tcp_authopt_match *m,
						   u8 *rnextkeyid)
{
	struct tcp_authopt_key_info *key;

	key = tcp_authopt_pick_send(m->keys, m->n, v->flags, v->cur_keyid, v->peer_rnext);
	if (!key)
		return NULL;
	if (key->send_id == v->cur_keyid && v->policy == TCP_AUTHOPT_AO)
		*rnextkeyid = v->cur_rnext;
	else
		*rnextkeyid = tcp_authopt_rnext(key, v->flags, v->locked_rnext);
	return key;
}

/**
 * tcp_authopt_view_match() - the keys that apply to a viewed connection
 * @v: the view
 * @m: output; release with tcp_authopt_match_free()
 *
 * Under RCU.
 *
 * Return: 0 or -ENOMEM.
 */
int tcp_authopt_view_match(const struct tcp_authopt_view *v, struct tcp_authopt_match *m)
{
	struct tcp_authopt_conn conn;

	tcp_authopt_conn_from_flow(&v->flow, true, v->l3index, &conn);
	return tcp_authopt_keydb_match(v->db, &conn, m, GFP_ATOMIC);
}

/* Request sockets, accepted sockets, TIME-WAIT */

/**
 * __tcp_authopt_req_init() - fix the policy of a request socket
 * @listener: the listening socket
 * @req: the request socket, its addresses and ir_iif set
 * @skb: the SYN, already verified by tcp_authopt_inbound()
 *
 * TCP-AO when the listener takes part and a key applies to the peer; then
 * the key that signs the SYN-ACK is chosen now, honouring the RNextKeyID
 * of the SYN, and kept for retransmissions.
 */
void __tcp_authopt_req_init(const struct sock *listener, struct request_sock *req,
			    const struct sk_buff *skb)
{
	struct tcp_request_sock *treq = tcp_rsk(req);
	const struct tcp_authopt_info *linfo;
	struct tcp_authopt_key_info *key;
	struct tcp_authopt_match m;
	struct tcp_authopt_view v;
	const u8 *opt;

	treq->ao_peer_rnext_valid = false;
	if (!rcu_access_pointer(tcp_sk(listener)->authopt_info))
		return;
	opt = tcp_authopt_find_option(tcp_hdr(skb));
	if (!IS_ERR_OR_NULL(opt)) {
		treq->ao_peer_rnext_valid = true;
		treq->ao_peer_rnext = opt[3];
	}
	/* Until a key is chosen below, the view picks afresh. */
	treq->ao_policy = TCP_AUTHOPT_NONE;
	treq->ao_send_id = 0;
	treq->ao_rnext = 0;
	rcu_read_lock();
	linfo = rcu_dereference(tcp_sk(listener)->authopt_info);
	tcp_authopt_view_req(&v, listener, req);
	if (tcp_authopt_view_match(&v, &m)) {
		/* Cannot tell whether keys apply: no SYN-ACK goes out. */
		treq->ao_policy = TCP_AUTHOPT_AO;
	} else if (m.n) {
		treq->ao_policy = TCP_AUTHOPT_AO;
		key = tcp_authopt_view_pick(&v, &m, &treq->ao_rnext);
		if (key)
			treq->ao_send_id = key->send_id;
		/* Upstream's RNext_key: the key the SYN came with. */
		if (key && linfo && linfo->uabi && !IS_ERR_OR_NULL(opt))
			treq->ao_rnext = opt[2];
	}
	tcp_authopt_match_free(&m);
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(__tcp_authopt_req_init);

/**
 * tcp_authopt_openreq_child() - TCP-AO state of a socket created by accept
 * @newsk: the new socket
 * @listener: its listener
 * @req: the request socket it comes from
 * @skb: the segment completing the handshake (the SYN for Fast Open)
 *
 * The child takes part when the listener does, with the listener's flags,
 * the policy of its request (decided now for a SYN cookie: the SYN is
 * gone) and the ISNs of the handshake; getsockopt() on it reports the
 * KeyIDs in use right from accept() on.
 *
 * Return: 0 or -ENOMEM.
 */
int tcp_authopt_openreq_child(struct sock *newsk, const struct sock *listener,
			      const struct request_sock *req, const struct sk_buff *skb)
{
	const struct tcp_authopt_info *linfo = rcu_dereference(tcp_sk(listener)->authopt_info);
	const struct tcp_request_sock *treq = tcp_rsk(req);
	struct tcp_authopt_info *info;
	const u8 *opt;

	RCU_INIT_POINTER(tcp_sk(newsk)->authopt_info, NULL);
	if (!linfo)
		return 0;
	info = tcp_authopt_info_alloc(GFP_ATOMIC);
	if (!info)
		return -ENOMEM;
	if (linfo->uabi) {
		/* Published with the info below; freed with it on failure. */
		RCU_INIT_POINTER(tcp_sk(newsk)->authopt_info, info);
		if (tcp_authopt_uabi_child(newsk, info, linfo->uabi))
			return -ENOMEM;
	}
	info->flags = READ_ONCE(linfo->flags);
	info->send_keyid = READ_ONCE(linfo->send_keyid);
	info->send_rnextkeyid = READ_ONCE(linfo->send_rnextkeyid);
	info->src_isn = treq->snt_isn;
	info->dst_isn = treq->rcv_isn;
	atomic64_set(&info->snd_ext, treq->snt_isn);
	atomic64_set(&info->rcv_ext, treq->rcv_isn);
	info->isns_known = true;
	info->policy = treq->ao_policy;
	rcu_assign_pointer(tcp_sk(newsk)->authopt_info, info);
	/* The new socket is locked: it can decide and build its key set. */
	if (info->policy == TCP_AUTHOPT_UNDECIDED)
		tcp_authopt_policy(newsk, info);
	if (info->policy != TCP_AUTHOPT_AO)
		return 0;
	tcp_authopt_no_gso(newsk);
	if (treq->ao_policy == TCP_AUTHOPT_AO) {
		info->send_keyid = treq->ao_send_id;
		info->send_rnextkeyid = treq->ao_rnext;
		/* Upstream's child has its current and RNext keys set. */
		if (info->uabi)
			info->flags |= TCP_AUTHOPT_FLAG_LOCK_KEYID |
				       TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID;
	}
	tcp_authopt_count_option(newsk, info);
	opt = tcp_authopt_find_option(tcp_hdr(skb));
	if (!IS_ERR_OR_NULL(opt))
		tcp_authopt_record_recv(info, opt);
	return 0;
}
EXPORT_SYMBOL_GPL(tcp_authopt_openreq_child);

/**
 * tcp_authopt_time_wait() - give a TIME-WAIT socket the state of its connection
 * @tw: the new TIME-WAIT socket
 * @sk: the full socket going to TIME-WAIT, locked
 *
 * The TIME-WAIT socket gets a copy without the key set (it looks keys up
 * when it needs them) and the same policy; the full socket keeps its state
 * for getsockopt(). Should the copy fail for an authenticated connection,
 * TIME-WAIT takes the state itself rather than answer unsigned.
 */
void tcp_authopt_time_wait(struct tcp_timewait_sock *tw, struct sock *sk)
{
	struct tcp_authopt_info *info = tcp_authopt_info_locked(sk), *copy;

	RCU_INIT_POINTER(tw->tw_authopt_info, NULL);
	if (!info || info->policy != TCP_AUTHOPT_AO)
		return;
	copy = tcp_authopt_info_alloc(GFP_ATOMIC);
	if (copy) {
		copy->flags = info->flags;
		copy->recv_ids = READ_ONCE(info->recv_ids);
		copy->src_isn = info->src_isn;
		copy->dst_isn = info->dst_isn;
		atomic64_set(&copy->snd_ext, atomic64_read(&info->snd_ext));
		atomic64_set(&copy->rcv_ext, atomic64_read(&info->rcv_ext));
		copy->policy = info->policy;
		copy->isns_known = info->isns_known;
		copy->send_keyid = info->send_keyid;
		copy->send_rnextkeyid = info->send_rnextkeyid;
		if (info->uabi) {
			refcount_inc(&info->uabi->refcnt);
			copy->uabi = info->uabi;
		}
	} else {
		RCU_INIT_POINTER(tcp_sk(sk)->authopt_info, NULL);
		tcp_authopt_keyset_release(info);
		copy = info;
	}
	rcu_assign_pointer(tw->tw_authopt_info, copy);
}
EXPORT_SYMBOL_GPL(tcp_authopt_time_wait);

/**
 * tcp_authopt_tw_destroy() - release the TCP-AO state of a TIME-WAIT socket
 * @tw: the socket
 */
void tcp_authopt_tw_destroy(struct tcp_timewait_sock *tw)
{
	struct tcp_authopt_info *info = rcu_dereference_protected(tw->tw_authopt_info, 1);

	if (info)
		tcp_authopt_info_free(info);
}
EXPORT_SYMBOL_GPL(tcp_authopt_tw_destroy);
