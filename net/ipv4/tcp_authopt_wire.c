// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP-AO on the wire: which keys apply to a connection, which one signs,
 * signing and verifying segments, and the sequence number extension.
 *
 * A socket that takes part caches the keys that apply to its connection,
 * each with its traffic keys, and refreshes the set only when the
 * namespace's key database changed (its generation moved), so a segment
 * costs one MAC and no key lookup or KDF in the common case. Full sockets
 * use the cache with the socket lock held; request and TIME-WAIT sockets
 * look keys up under RCU and derive traffic keys on the fly.
 */
#define pr_fmt(fmt) "TCP: authopt: " fmt

#include <linux/kernel.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ipv6.h>
#include <crypto/algapi.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/ipv6.h>
#include <net/l3mdev.h>
#include <net/tcp.h>
#include <net/tcp_authopt.h>

struct static_key_false tcp_authopt_needed_key = STATIC_KEY_FALSE_INIT;
EXPORT_SYMBOL_GPL(tcp_authopt_needed_key);

/* Addresses and ports of one direction of a connection. */
struct tcp_authopt_flow {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} saddr, daddr;
	__be16 sport, dport;
};

static bool tcp_authopt_sk_is_v4(const struct sock *sk)
{
	return sk->sk_family == AF_INET ||
	       ipv6_addr_v4mapped(&sk->sk_v6_daddr);
}

/* Our direction of a full socket: we are the source. */
static void tcp_authopt_flow_sk(const struct sock *sk, struct tcp_authopt_flow *f)
{
	if (tcp_authopt_sk_is_v4(sk)) {
		f->family = AF_INET;
		f->saddr.v4.s_addr = sk->sk_rcv_saddr;
		f->daddr.v4.s_addr = sk->sk_daddr;
	} else {
		f->family = AF_INET6;
		f->saddr.v6 = sk->sk_v6_rcv_saddr;
		f->daddr.v6 = sk->sk_v6_daddr;
	}
	f->sport = htons(inet_sk(sk)->inet_num);
	f->dport = sk->sk_dport;
}

/* Our direction of a request socket. */
static void tcp_authopt_flow_req(const struct request_sock *req, struct tcp_authopt_flow *f)
{
	const struct inet_request_sock *ireq = inet_rsk(req);

	if (req->rsk_ops->family == AF_INET) {
		f->family = AF_INET;
		f->saddr.v4.s_addr = ireq->ir_loc_addr;
		f->daddr.v4.s_addr = ireq->ir_rmt_addr;
	} else {
		f->family = AF_INET6;
		f->saddr.v6 = ireq->ir_v6_loc_addr;
		f->daddr.v6 = ireq->ir_v6_rmt_addr;
	}
	f->sport = htons(ireq->ir_num);
	f->dport = ireq->ir_rmt_port;
}

/* The direction of a received segment: the peer is the source. */
static void tcp_authopt_flow_skb(const struct sk_buff *skb, struct tcp_authopt_flow *f)
{
	const struct tcphdr *th = tcp_hdr(skb);

	if (ip_hdr(skb)->version == 4) {
		f->family = AF_INET;
		f->saddr.v4.s_addr = ip_hdr(skb)->saddr;
		f->daddr.v4.s_addr = ip_hdr(skb)->daddr;
	} else {
		f->family = AF_INET6;
		f->saddr.v6 = ipv6_hdr(skb)->saddr;
		f->daddr.v6 = ipv6_hdr(skb)->daddr;
	}
	f->sport = th->source;
	f->dport = th->dest;
}

static void tcp_authopt_flow_reverse(struct tcp_authopt_flow *f)
{
	swap(f->saddr, f->daddr);
	swap(f->sport, f->dport);
}

/* Key matching view of a flow, whose source is @local ? us : the peer. */
static void tcp_authopt_conn_from_flow(const struct tcp_authopt_flow *f, bool local,
				       int l3index, struct tcp_authopt_conn *conn)
{
	conn->family = f->family;
	conn->l3index = l3index;
	conn->lport = ntohs(local ? f->sport : f->dport);
	conn->rport = ntohs(local ? f->dport : f->sport);
	if (f->family == AF_INET6)
		conn->raddr.v6 = local ? f->daddr.v6 : f->saddr.v6;
	else
		conn->raddr.v4 = local ? f->daddr.v4 : f->saddr.v4;
}

static int tcp_authopt_sk_l3index(const struct sock *sk)
{
	return l3mdev_master_ifindex_by_index(sock_net(sk), sk->sk_bound_dev_if);
}

static unsigned int tcp_authopt_flow_context(u8 *buf, const struct tcp_authopt_flow *f,
					     u32 sisn, u32 disn)
{
	return tcp_authopt_kdf_context(buf, f->family, &f->saddr, &f->daddr,
				       f->sport, f->dport, htonl(sisn), htonl(disn));
}

static int tcp_authopt_flow_kdf(const struct tcp_authopt_key_info *key,
				const struct tcp_authopt_flow *f, u32 sisn, u32 disn,
				u8 *traffic_key)
{
	u8 ctx[TCP_AUTHOPT_MAX_CONTEXT_LEN];
	unsigned int len = tcp_authopt_flow_context(ctx, f, sisn, disn);

	return tcp_authopt_kdf(key->alg_id, key->key, key->keylen, ctx, len, traffic_key);
}

static u64 tcp_authopt_now(void)
{
	return ktime_get_real_seconds();
}

static bool tcp_authopt_key_can_send(const struct tcp_authopt_key_info *key, u64 now)
{
	return !(key->flags & TCP_AUTHOPT_KEY_NOSEND) &&
	       now >= key->send_begin && now <= key->send_end;
}

static bool tcp_authopt_key_can_recv(const struct tcp_authopt_key_info *key, u64 now)
{
	return !(key->flags & TCP_AUTHOPT_KEY_NORECV) &&
	       now >= key->recv_begin && now <= key->recv_end;
}

/* The send key among @keys (RFC 5925 7.5.2 and abi.md): the locked one, or
 * the one the peer asked for with RNextKeyID, or the usable key valid for
 * the longest time, lowest send_id first on a tie.
 *
 * Return: the key, NULL when no key applies and none is @required,
 * ERR_PTR(-ENOKEY) when keys apply (or are required because the connection
 * is authenticated) but none may sign now: the segment must not go out
 * unsigned.
 */
static struct tcp_authopt_key_info *
tcp_authopt_pick_send(struct tcp_authopt_key_info **keys, unsigned int n, u32 flags,
		      u8 locked_id, int peer_rnext, bool required)
{
	struct tcp_authopt_key_info *best = NULL;
	u64 now = tcp_authopt_now();
	unsigned int i;

	if (!n)
		return required ? ERR_PTR(-ENOKEY) : NULL;
	for (i = 0; i < n; i++) {
		struct tcp_authopt_key_info *k = keys[i];

		if (!tcp_authopt_key_can_send(k, now))
			continue;
		if (flags & TCP_AUTHOPT_FLAG_LOCK_KEYID) {
			if (k->send_id == locked_id)
				return k;
			continue;
		}
		if (k->send_id == peer_rnext)
			return k;
		if (!best || k->send_end > best->send_end ||
		    (k->send_end == best->send_end && k->send_id < best->send_id))
			best = k;
	}
	return best ?: ERR_PTR(-ENOKEY);
}

static u8 tcp_authopt_rnext(const struct tcp_authopt_key_info *key, u32 flags, u8 locked)
{
	if (flags & TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID)
		return locked;
	return key->recv_id;
}

/* Full sockets: the cached key set */

/**
 * tcp_authopt_release_keys() - drop the keys a socket caches
 * @info: the socket's state
 *
 * The next segment looks the keys up again.
 */
void tcp_authopt_release_keys(struct tcp_authopt_info *info)
{
	unsigned int i;

	for (i = 0; i < info->nkeys; i++) {
		tcp_authopt_key_put(info->keys[i].key);
		memzero_explicit(&info->keys[i], sizeof(info->keys[i]));
	}
	info->nkeys = 0;
	info->keys_valid = false;
}

/* Bring the cached key set up to date; the socket is locked. */
static void tcp_authopt_refresh(struct sock *sk, struct tcp_authopt_info *info)
{
	struct tcp_authopt_keydb *db = tcp_authopt_net_db(sock_net(sk));
	struct tcp_authopt_key_info *found[TCP_AUTHOPT_LOOKUP_MAX];
	struct tcp_authopt_flow flow;
	struct tcp_authopt_conn conn;
	unsigned int gen, i;
	int n;

	/* Pairs with smp_store_release() in tcp_authopt_keydb_changed(). */
	gen = smp_load_acquire(&db->gen);
	if ((info->keys_valid && info->db_gen == gen) || info->plain)
		return;
	tcp_authopt_release_keys(info);
	tcp_authopt_flow_sk(sk, &flow);
	tcp_authopt_conn_from_flow(&flow, true, tcp_authopt_sk_l3index(sk), &conn);

	rcu_read_lock();
	n = tcp_authopt_keydb_lookup(db, &conn, found, ARRAY_SIZE(found));
	for (i = 0; i < n && info->nkeys < TCP_AUTHOPT_CONN_KEYS; i++) {
		if (READ_ONCE(found[i]->dead) || !refcount_inc_not_zero(&found[i]->refcnt))
			continue;
		info->keys[info->nkeys++].key = found[i];
	}
	rcu_read_unlock();
	info->db_gen = gen;
	info->keys_valid = true;
	/* Once authenticated, always: losing the keys stops the connection. */
	if (info->nkeys)
		info->active = true;
}

static struct tcp_authopt_conn_key *
tcp_authopt_conn_key(struct tcp_authopt_info *info, const struct tcp_authopt_key_info *key)
{
	unsigned int i;

	for (i = 0; i < info->nkeys; i++)
		if (info->keys[i].key == key)
			return &info->keys[i];
	return NULL;
}

/* Traffic keys of a cached key, derived once the ISNs are known. */
static int tcp_authopt_conn_tkeys(struct sock *sk, struct tcp_authopt_info *info,
				  struct tcp_authopt_conn_key *ck)
{
	struct tcp_authopt_flow f;
	int err;

	if (ck->tkeys_valid)
		return 0;
	tcp_authopt_flow_sk(sk, &f);
	err = tcp_authopt_flow_kdf(ck->key, &f, info->src_isn, info->dst_isn, ck->send_other);
	if (err)
		return err;
	tcp_authopt_flow_reverse(&f);
	err = tcp_authopt_flow_kdf(ck->key, &f, info->dst_isn, info->src_isn, ck->recv_other);
	if (err)
		return err;
	ck->tkeys_valid = true;
	return 0;
}

static void tcp_authopt_invalidate_tkeys(struct tcp_authopt_info *info)
{
	unsigned int i;

	for (i = 0; i < info->nkeys; i++)
		info->keys[i].tkeys_valid = false;
}

static struct tcp_authopt_info *tcp_authopt_info(const struct sock *sk)
{
	return rcu_dereference_check(tcp_sk(sk)->authopt_info, lockdep_sock_is_held(sk));
}

/**
 * tcp_authopt_select_key() - the key that signs the next segment of a socket
 * @sk: full socket, locked
 * @rnextkeyid: output, RNextKeyID to send
 *
 * Return: the key (valid while the socket is locked), NULL when the
 * connection is not authenticated, or ERR_PTR(-ENOKEY) when keys apply
 * but none may sign now.
 */
struct tcp_authopt_key_info *tcp_authopt_select_key(struct sock *sk, u8 *rnextkeyid)
{
	struct tcp_authopt_info *info = tcp_authopt_info(sk);
	struct tcp_authopt_key_info *keys[TCP_AUTHOPT_CONN_KEYS], *key;
	unsigned int i;

	if (!info)
		return NULL;
	tcp_authopt_refresh(sk, info);
	for (i = 0; i < info->nkeys; i++)
		keys[i] = info->keys[i].key;
	key = tcp_authopt_pick_send(keys, info->nkeys, info->flags, info->send_keyid,
				    info->recv_ids_valid ? info->recv_rnextkeyid : -1,
				    info->active);
	/* A segment goes out unsigned: TCP-AO cannot start later. */
	if (!key)
		info->plain = true;
	if (IS_ERR_OR_NULL(key))
		return key;
	info->send_keyid = key->send_id;
	*rnextkeyid = tcp_authopt_rnext(key, info->flags, info->send_rnextkeyid);
	info->send_rnextkeyid = *rnextkeyid;
	return key;
}
EXPORT_SYMBOL_GPL(tcp_authopt_select_key);

/* SNE of @seq against a reference point that only moves forward. */
static u32 tcp_authopt_track_sne(u32 *ref_sne, u32 *ref_seq, u32 seq)
{
	u32 sne = tcp_authopt_compute_sne(*ref_sne, *ref_seq, seq);

	if (!before(seq, *ref_seq)) {
		*ref_sne = sne;
		*ref_seq = seq;
	}
	return sne;
}

static int tcp_authopt_mac_flow(const struct tcp_authopt_key_info *key, const u8 *tkey,
				u32 sne, const struct tcp_authopt_flow *f,
				struct sk_buff *skb, u8 *mac)
{
	return tcp_authopt_calc_mac(key->alg_id, tkey,
				    key->flags & TCP_AUTHOPT_KEY_EXCLUDE_OPTS, sne,
				    f->family, &f->saddr, &f->daddr, skb, mac);
}

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
		     struct tcp_authopt_key_info *key, u8 *mac)
{
	struct tcp_authopt_info *info = tcp_authopt_info(sk);
	const struct tcphdr *th = tcp_hdr(skb);
	u32 seq = ntohl(th->seq);
	struct tcp_authopt_conn_key *ck;
	struct tcp_authopt_flow f;
	u8 tkey[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	u32 sne;
	int err;

	if (!info || !key)
		return -EINVAL;
	ck = tcp_authopt_conn_key(info, key);
	if (!ck)
		return -ENOKEY;
	tcp_authopt_flow_sk(sk, &f);
	if (th->syn && !th->ack) {
		/* Our SYN: it fixes our ISN and restarts both SNEs. */
		info->src_isn = seq;
		info->snd_seq = seq;
		info->snd_sne = 0;
		tcp_authopt_invalidate_tkeys(info);
		err = tcp_authopt_flow_kdf(key, &f, seq, 0, tkey);
		if (!err)
			err = tcp_authopt_mac_flow(key, tkey, 0, &f, skb, mac);
		memzero_explicit(tkey, sizeof(tkey));
		return err;
	}
	err = tcp_authopt_conn_tkeys(sk, info, ck);
	if (err)
		return err;
	sne = tcp_authopt_track_sne(&info->snd_sne, &info->snd_seq, seq);
	return tcp_authopt_mac_flow(key, ck->send_other, sne, &f, skb, mac);
}
EXPORT_SYMBOL_GPL(tcp_authopt_hash);

/* Request sockets (and SYN cookies): stateless, under RCU */

/* What signing or verifying needs of a connection when its cached keys
 * cannot be used: request and TIME-WAIT sockets, and replies sent without
 * the socket lock. Keys come from the database, traffic keys are derived.
 */
struct tcp_authopt_view {
	struct tcp_authopt_flow flow;	/* our direction */
	int l3index;
	u32 flags;
	u8 send_keyid;
	u8 send_rnextkeyid;
	int peer_rnext;			/* -1: not known */
	bool active;
	u32 src_isn, dst_isn;
	u32 snd_sne, snd_seq;
	u32 rcv_sne, rcv_seq;
};

static void tcp_authopt_view_flags(struct tcp_authopt_view *v, const struct tcp_authopt_info *info)
{
	v->flags = info ? READ_ONCE(info->flags) : 0;
	v->send_keyid = info ? READ_ONCE(info->send_keyid) : 0;
	v->send_rnextkeyid = info ? READ_ONCE(info->send_rnextkeyid) : 0;
}

/* A full or TIME-WAIT socket (only sock_common fields are read from @sk). */
static void tcp_authopt_view_info(struct tcp_authopt_view *v, const struct sock *sk,
				  const struct tcp_authopt_info *info)
{
	tcp_authopt_flow_sk(sk, &v->flow);
	v->l3index = tcp_authopt_sk_l3index(sk);
	tcp_authopt_view_flags(v, info);
	v->peer_rnext = READ_ONCE(info->recv_ids_valid) ? READ_ONCE(info->recv_rnextkeyid) : -1;
	v->active = READ_ONCE(info->active);
	v->src_isn = READ_ONCE(info->src_isn);
	v->dst_isn = READ_ONCE(info->dst_isn);
	v->snd_sne = READ_ONCE(info->snd_sne);
	v->snd_seq = READ_ONCE(info->snd_seq);
	v->rcv_sne = READ_ONCE(info->rcv_sne);
	v->rcv_seq = READ_ONCE(info->rcv_seq);
}

/* A request socket; both SNEs count from the ISNs. */
static void tcp_authopt_view_req(struct tcp_authopt_view *v, const struct sock *listener,
				 const struct request_sock *req)
{
	const struct tcp_request_sock *treq = tcp_rsk(req);

	tcp_authopt_flow_req(req, &v->flow);
	v->l3index = l3mdev_master_ifindex_by_index(sock_net(listener), inet_rsk(req)->ir_iif);
	tcp_authopt_view_flags(v, rcu_dereference(tcp_sk(listener)->authopt_info));
	v->peer_rnext = treq->ao_rnext_valid ? treq->ao_rnextkeyid : -1;
	v->active = false;
	v->src_isn = treq->snt_isn;
	v->dst_isn = treq->rcv_isn;
	v->snd_sne = 0;
	v->snd_seq = treq->snt_isn;
	v->rcv_sne = 0;
	v->rcv_seq = treq->rcv_isn;
}

static int tcp_authopt_view_lookup(struct net *net, const struct tcp_authopt_view *v,
				   struct tcp_authopt_key_info **keys)
{
	struct tcp_authopt_conn conn;

	tcp_authopt_conn_from_flow(&v->flow, true, v->l3index, &conn);
	return tcp_authopt_keydb_lookup(tcp_authopt_net_db(net), &conn, keys,
					TCP_AUTHOPT_LOOKUP_MAX);
}

/**
 * tcp_authopt_select_key_req() - the key that signs a SYN-ACK
 * @listener: listening socket, which takes part
 * @req: request socket
 * @rnextkeyid: output, RNextKeyID to send
 *
 * Honours the RNextKeyID of the SYN when we have that key. Caller holds
 * rcu_read_lock() until the SYN-ACK is signed.
 *
 * Return: as tcp_authopt_select_key().
 */
struct tcp_authopt_key_info *tcp_authopt_select_key_req(const struct sock *listener,
							const struct request_sock *req,
							u8 *rnextkeyid)
{
	struct tcp_authopt_key_info *keys[TCP_AUTHOPT_LOOKUP_MAX], *key;
	struct tcp_authopt_view v;
	int n;

	if (!rcu_access_pointer(tcp_sk(listener)->authopt_info))
		return NULL;
	tcp_authopt_view_req(&v, listener, req);
	n = tcp_authopt_view_lookup(sock_net(listener), &v, keys);
	key = tcp_authopt_pick_send(keys, n, v.flags, v.send_keyid, v.peer_rnext, false);
	if (!IS_ERR_OR_NULL(key))
		*rnextkeyid = tcp_authopt_rnext(key, v.flags, v.send_rnextkeyid);
	return key;
}
EXPORT_SYMBOL_GPL(tcp_authopt_select_key_req);

/**
 * tcp_authopt_hash_req() - sign a SYN-ACK
 * @req: request socket
 * @skb: the SYN-ACK, TCP header at skb->data
 * @key: key from tcp_authopt_select_key_req()
 * @mac: where the MAC goes
 *
 * Return: 0 or a negative errno.
 */
int tcp_authopt_hash_req(const struct request_sock *req, struct sk_buff *skb,
			 const struct tcp_authopt_key_info *key, u8 *mac)
{
	const struct tcp_request_sock *treq = tcp_rsk(req);
	u8 tkey[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	struct tcp_authopt_flow f;
	int err;

	tcp_authopt_flow_req(req, &f);
	err = tcp_authopt_flow_kdf(key, &f, treq->snt_isn, treq->rcv_isn, tkey);
	if (!err)
		err = tcp_authopt_mac_flow(key, tkey,
					   tcp_authopt_compute_sne(0, treq->snt_isn,
								   ntohl(tcp_hdr(skb)->seq)),
					   &f, skb, mac);
	memzero_explicit(tkey, sizeof(tkey));
	return err;
}
EXPORT_SYMBOL_GPL(tcp_authopt_hash_req);

/**
 * tcp_authopt_req_init() - remember what the SYN asked for
 * @req: new request socket
 * @skb: the SYN
 */
void tcp_authopt_req_init(struct request_sock *req, const struct sk_buff *skb)
{
	const u8 *opt = tcp_authopt_find_option(tcp_hdr(skb));

	tcp_rsk(req)->ao_rnext_valid = !IS_ERR_OR_NULL(opt);
	tcp_rsk(req)->ao_rnextkeyid = IS_ERR_OR_NULL(opt) ? 0 : opt[3];
}
EXPORT_SYMBOL_GPL(tcp_authopt_req_init);

/**
 * tcp_authopt_openreq_child() - TCP-AO state of a socket created by accept
 * @newsk: the new socket
 * @listener: its listener
 * @req: the request socket it comes from
 * @skb: the segment completing the handshake (the SYN for Fast Open)
 *
 * The child takes part when the listener does, with the listener's flags
 * and the ISNs of the handshake; getsockopt() on it reports the KeyIDs in
 * use right from accept() on.
 *
 * Return: 0 or -ENOMEM.
 */
int tcp_authopt_openreq_child(struct sock *newsk, const struct sock *listener,
			      const struct request_sock *req, const struct sk_buff *skb)
{
	const struct tcp_authopt_info *linfo = rcu_dereference(tcp_sk(listener)->authopt_info);
	struct tcp_authopt_info *info;
	const u8 *opt;
	u8 rnext;

	RCU_INIT_POINTER(tcp_sk(newsk)->authopt_info, NULL);
	if (!linfo)
		return 0;
	info = tcp_authopt_info_alloc(GFP_ATOMIC);
	if (!info)
		return -ENOMEM;
	info->flags = READ_ONCE(linfo->flags);
	info->send_keyid = READ_ONCE(linfo->send_keyid);
	info->send_rnextkeyid = READ_ONCE(linfo->send_rnextkeyid);
	info->src_isn = tcp_rsk(req)->snt_isn;
	info->dst_isn = tcp_rsk(req)->rcv_isn;
	info->snd_seq = info->src_isn;
	info->rcv_seq = info->dst_isn;
	/* The new socket is locked: ACTIVE is right from accept() on. */
	tcp_authopt_refresh(newsk, info);
	info->plain = !info->active;
	rcu_assign_pointer(tcp_sk(newsk)->authopt_info, info);
	sk_gso_disable(newsk);
	if (!info->active)
		return 0;
	opt = tcp_authopt_find_option(tcp_hdr(skb));
	if (!IS_ERR_OR_NULL(opt)) {
		info->recv_keyid = opt[2];
		info->recv_rnextkeyid = opt[3];
		info->recv_ids_valid = true;
	}
	/* Records send_keyid and send_rnextkeyid; the result may wait. */
	tcp_authopt_select_key(newsk, &rnext);
	return 0;
}
EXPORT_SYMBOL_GPL(tcp_authopt_openreq_child);

/* Receive */

static void tcp_authopt_drop_stat(struct net *net, enum skb_drop_reason reason)
{
	int mib;

	switch (reason) {
	case SKB_DROP_REASON_TCP_AUTHOPT_FAILURE:
		mib = LINUX_MIB_TCPAUTHOPTFAILURE;
		break;
	case SKB_DROP_REASON_TCP_AUTHOPT_REQUIRED:
		mib = LINUX_MIB_TCPAUTHOPTREQUIRED;
		break;
	case SKB_DROP_REASON_TCP_AUTHOPT_KEYNOTFOUND:
		mib = LINUX_MIB_TCPAUTHOPTKEYNOTFOUND;
		break;
	case SKB_DROP_REASON_TCP_AUTHOPT_UNEXPECTED:
		mib = LINUX_MIB_TCPAUTHOPTUNEXPECTED;
		break;
	case SKB_DROP_REASON_TCP_AUTHOPT_MD5_AND_AO:
		mib = LINUX_MIB_TCPAUTHOPTMD5ANDAO;
		break;
	default:
		mib = LINUX_MIB_TCPAUTHOPTMALFORMED;
		break;
	}
	NET_INC_STATS(net, mib);
}

static enum skb_drop_reason tcp_authopt_drop(struct net *net, const struct sk_buff *skb,
					     enum skb_drop_reason reason, const char *why)
{
	const struct tcphdr *th = tcp_hdr(skb);

	tcp_authopt_drop_stat(net, reason);
	if (ip_hdr(skb)->version == 4)
		net_info_ratelimited("%s from %pI4:%u to %pI4:%u\n", why, &ip_hdr(skb)->saddr,
				     ntohs(th->source), &ip_hdr(skb)->daddr, ntohs(th->dest));
	else
		net_info_ratelimited("%s from [%pI6c]:%u to [%pI6c]:%u\n", why,
				     &ipv6_hdr(skb)->saddr, ntohs(th->source),
				     &ipv6_hdr(skb)->daddr, ntohs(th->dest));
	return reason;
}

/* The checks every receiver makes before the MAC; TCP-AO is @required
 * when keys match the peer or the connection is authenticated. Returns the
 * option to verify, or NULL with *@reason telling whether the segment
 * passes as is (%SKB_NOT_DROPPED_YET) or is dropped (counted already).
 */
static const u8 *tcp_authopt_precheck(struct net *net, const struct sk_buff *skb,
				      bool required, u32 flags,
				      enum skb_drop_reason *reason)
{
	const struct tcphdr *th = tcp_hdr(skb);
	const u8 *opt = tcp_authopt_find_option(th);

	*reason = SKB_NOT_DROPPED_YET;
	if (IS_ERR(opt)) {
		*reason = tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_MALFORMED,
					   "malformed TCP-AO option");
		return NULL;
	}
	if (opt && tcp_authopt_has_md5(th)) {
		*reason = tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_MD5_AND_AO,
					   "both TCP-AO and MD5 options");
		return NULL;
	}
	if (!required) {
		if (opt && (flags & TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED))
			*reason = tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_UNEXPECTED,
						   "unexpected TCP-AO");
		return NULL;
	}
	if (!opt)
		*reason = tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_REQUIRED,
					   "TCP-AO required but missing");
	return opt;
}

/* Keys for the connection of a received segment, whose source is the peer. */
static int tcp_authopt_skb_lookup(struct net *net, const struct sk_buff *skb, int l3index,
				  struct tcp_authopt_key_info **keys)
{
	struct tcp_authopt_conn conn;
	struct tcp_authopt_flow f;

	tcp_authopt_flow_skb(skb, &f);
	tcp_authopt_conn_from_flow(&f, false, l3index, &conn);
	return tcp_authopt_keydb_lookup(tcp_authopt_net_db(net), &conn, keys,
					TCP_AUTHOPT_LOOKUP_MAX);
}

static const struct tcp_authopt_key_info *
tcp_authopt_recv_key(struct tcp_authopt_key_info **keys, unsigned int n, u8 keyid)
{
	u64 now = tcp_authopt_now();
	unsigned int i;

	for (i = 0; i < n; i++)
		if (keys[i]->recv_id == keyid && tcp_authopt_key_can_recv(keys[i], now))
			return keys[i];
	return NULL;
}

/* Compare the MAC of @skb made with @tkey and @sne to the one it carries. */
static enum skb_drop_reason tcp_authopt_verify(struct net *net, struct sk_buff *skb,
					       const struct tcp_authopt_key_info *key,
					       const u8 *tkey, u32 sne, const u8 *opt)
{
	struct tcp_authopt_flow f;
	u8 mac[TCP_AUTHOPT_MACLEN];

	tcp_authopt_flow_skb(skb, &f);
	if (tcp_authopt_mac_flow(key, tkey, sne, &f, skb, mac) ||
	    crypto_memneq(mac, opt + 4, TCP_AUTHOPT_MACLEN))
		return tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_FAILURE,
					"TCP-AO MAC mismatch");
	return SKB_NOT_DROPPED_YET;
}

/* Verify with a traffic key derived now (handshake, cookies, TIME-WAIT). */
static enum skb_drop_reason tcp_authopt_verify_isn_sne(struct net *net, struct sk_buff *skb,
						       const struct tcp_authopt_key_info *key,
						       u32 peer_isn, u32 our_isn, u32 sne,
						       const u8 *opt)
{
	u8 tkey[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	struct tcp_authopt_flow f;
	enum skb_drop_reason reason;

	tcp_authopt_flow_skb(skb, &f);
	if (tcp_authopt_flow_kdf(key, &f, peer_isn, our_isn, tkey))
		return tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_FAILURE,
					"TCP-AO key derivation failed");
	reason = tcp_authopt_verify(net, skb, key, tkey, sne, opt);
	memzero_explicit(tkey, sizeof(tkey));
	return reason;
}

/* Same, during the handshake: the SNE counts from the peer's ISN. */
static enum skb_drop_reason tcp_authopt_verify_isn(struct net *net, struct sk_buff *skb,
						   const struct tcp_authopt_key_info *key,
						   u32 peer_isn, u32 our_isn, const u8 *opt)
{
	return tcp_authopt_verify_isn_sne(net, skb, key, peer_isn, our_isn,
					  tcp_authopt_compute_sne(0, peer_isn,
								  ntohl(tcp_hdr(skb)->seq)),
					  opt);
}

/* The ISNs of a segment that reaches a socket without them (RFC 5925 5.2). */
static void tcp_authopt_guess_isns(const struct tcphdr *th, u32 *peer_isn, u32 *our_isn)
{
	if (th->syn) {
		*peer_isn = ntohl(th->seq);
		*our_isn = th->ack ? ntohl(th->ack_seq) - 1 : 0;
	} else {
		/* A SYN cookie ACK: both ISNs are one before. */
		*peer_isn = ntohl(th->seq) - 1;
		*our_isn = ntohl(th->ack_seq) - 1;
	}
}

/* The checks before the MAC and the key to verify with: NULL with *@reason
 * telling whether the segment passes as plain TCP (%SKB_NOT_DROPPED_YET) or
 * is dropped (counted already). *@opt is the TCP-AO option.
 */
static const struct tcp_authopt_key_info *
tcp_authopt_recv_check(struct net *net, const struct sk_buff *skb,
		       struct tcp_authopt_key_info **keys, int n, bool required, u32 flags,
		       const u8 **opt, enum skb_drop_reason *reason)
{
	const struct tcp_authopt_key_info *key;

	*opt = tcp_authopt_precheck(net, skb, required, flags, reason);
	if (!*opt)
		return NULL;
	key = tcp_authopt_recv_key(keys, n, (*opt)[2]);
	if (!key)
		*reason = tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_KEYNOTFOUND,
					   "TCP-AO KeyID not usable");
	return key;
}

/**
 * tcp_authopt_inbound_check() - verify a segment for a full or listening socket
 * @sk: socket, locked (or a listener)
 * @skb: segment, TCP header at skb->data
 *
 * Return: %SKB_NOT_DROPPED_YET to accept, or why to drop (counted).
 */
enum skb_drop_reason tcp_authopt_inbound_check(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_authopt_info *info = tcp_authopt_info(sk);
	struct tcp_authopt_key_info *keys[TCP_AUTHOPT_LOOKUP_MAX];
	const struct tcphdr *th = tcp_hdr(skb);
	const struct tcp_authopt_key_info *key;
	struct net *net = sock_net(sk);
	enum skb_drop_reason reason;
	struct tcp_authopt_conn_key *ck;
	u32 peer_isn, our_isn, seq;
	const u8 *opt;
	unsigned int i;
	int n;

	if (!info)
		return SKB_NOT_DROPPED_YET;

	if (sk->sk_state == TCP_LISTEN) {
		n = tcp_authopt_skb_lookup(net, skb, ip_hdr(skb)->version == 4 ?
					   (tcp_v4_sdif(skb) ? inet_iif(skb) : 0) :
					   (tcp_v6_sdif(skb) ? tcp_v6_iif_l3_slave(skb) : 0),
					   keys);
		key = tcp_authopt_recv_check(net, skb, keys, n, n > 0, READ_ONCE(info->flags),
					     &opt, &reason);
		if (!key)
			return reason;
		tcp_authopt_guess_isns(th, &peer_isn, &our_isn);
		return tcp_authopt_verify_isn(net, skb, key, peer_isn, our_isn, opt);
	}

	tcp_authopt_refresh(sk, info);
	for (i = 0; i < info->nkeys; i++)
		keys[i] = info->keys[i].key;
	key = tcp_authopt_recv_check(net, skb, keys, info->nkeys, info->nkeys || info->active,
				     info->flags, &opt, &reason);
	if (!key)
		return reason;

	seq = ntohl(th->seq);
	if (sk->sk_state == TCP_SYN_SENT) {
		/* Only a SYN-ACK (or SYN) tells the peer's ISN. */
		if (!th->syn)
			return tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_FAILURE,
						"TCP-AO segment before the peer's ISN");
		reason = tcp_authopt_verify_isn(net, skb, key, seq, info->src_isn, opt);
		if (reason)
			return reason;
		info->dst_isn = seq;
		info->rcv_seq = seq;
		info->rcv_sne = 0;
		tcp_authopt_invalidate_tkeys(info);
	} else {
		ck = tcp_authopt_conn_key(info, key);
		if (tcp_authopt_conn_tkeys(sk, info, ck))
			return tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_FAILURE,
						"TCP-AO key derivation failed");
		reason = tcp_authopt_verify(net, skb, key, ck->recv_other,
					    tcp_authopt_compute_sne(info->rcv_sne, info->rcv_seq,
								    seq), opt);
		if (reason)
			return reason;
		tcp_authopt_track_sne(&info->rcv_sne, &info->rcv_seq, seq);
	}
	info->recv_keyid = opt[2];
	info->recv_rnextkeyid = opt[3];
	info->recv_ids_valid = true;
	return SKB_NOT_DROPPED_YET;
}
EXPORT_SYMBOL_GPL(tcp_authopt_inbound_check);

/**
 * tcp_authopt_inbound_check_req() - verify a segment for a request socket
 * @req: request socket, whose listener takes part
 * @skb: segment, TCP header at skb->data
 *
 * Return: as tcp_authopt_inbound_check().
 */
enum skb_drop_reason tcp_authopt_inbound_check_req(struct request_sock *req,
						   struct sk_buff *skb)
{
	const struct sock *listener = req->rsk_listener;
	struct tcp_authopt_key_info *keys[TCP_AUTHOPT_LOOKUP_MAX];
	const struct tcp_authopt_key_info *key;
	struct net *net = sock_net(listener);
	enum skb_drop_reason reason;
	struct tcp_authopt_view v;
	const u8 *opt;
	int n;

	if (!rcu_access_pointer(tcp_sk(listener)->authopt_info))
		return SKB_NOT_DROPPED_YET;
	tcp_authopt_view_req(&v, listener, req);
	n = tcp_authopt_view_lookup(net, &v, keys);
	key = tcp_authopt_recv_check(net, skb, keys, n, n > 0, v.flags, &opt, &reason);
	if (!key)
		return reason;
	return tcp_authopt_verify_isn(net, skb, key, v.dst_isn, v.src_isn, opt);
}
EXPORT_SYMBOL_GPL(tcp_authopt_inbound_check_req);

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

/* The view of whatever @sk is; false when it does not take part. */
static bool tcp_authopt_view_any(struct tcp_authopt_view *v, const struct sock *sk,
				 struct sk_buff *skb)
{
	const struct tcp_authopt_info *info;
	struct sock *rsk;

	switch (sk->sk_state) {
	case TCP_TIME_WAIT:
		info = rcu_dereference(tcp_twsk(sk)->tw_authopt_info);
		break;
	case TCP_NEW_SYN_RECV:
		tcp_authopt_view_req(v, inet_reqsk(sk)->rsk_listener, inet_reqsk(sk));
		return rcu_access_pointer(tcp_sk(inet_reqsk(sk)->rsk_listener)->authopt_info);
	case TCP_LISTEN:
		if (!rcu_access_pointer(tcp_sk(sk)->authopt_info))
			return false;
		/* No request: no ISNs, the reply goes unsigned (RFC 5925 7.7). */
		rsk = tcp_authopt_find_req(sk, skb);
		if (!rsk)
			return false;
		tcp_authopt_view_req(v, sk, inet_reqsk(rsk));
		sock_gen_put(rsk);
		return true;
	default:
		info = rcu_dereference(tcp_sk(sk)->authopt_info);
		break;
	}
	if (!info)
		return false;
	tcp_authopt_view_info(v, sk, info);
	return true;
}

/**
 * tcp_authopt_reply_prepare() - decide how a reply to a segment is signed
 * @sk: the socket the reply is for: full, TIME-WAIT, listener (answering
 *	for a request socket) or NULL
 * @skb: the segment replied to, already verified
 * @r: output, for tcp_authopt_reply_sign()
 *
 * Return: 1 when the reply must be signed with @r, 0 when it goes out
 * unsigned (not an authenticated connection, or no connection at all), or
 * a negative errno when it must not be sent: the connection is
 * authenticated but no key may sign now.
 */
int tcp_authopt_reply_prepare(const struct sock *sk, struct sk_buff *skb,
			      struct tcp_authopt_reply *r)
{
	struct tcp_authopt_key_info *keys[TCP_AUTHOPT_LOOKUP_MAX], *key;
	struct tcp_authopt_view v;
	int n, err = 0;

	if (!sk)
		return 0;
	rcu_read_lock();
	if (!tcp_authopt_view_any(&v, sk, skb))
		goto out;
	n = tcp_authopt_view_lookup(sock_net(sk), &v, keys);
	key = tcp_authopt_pick_send(keys, n, v.flags, v.send_keyid, v.peer_rnext, v.active);
	if (IS_ERR_OR_NULL(key)) {
		err = PTR_ERR_OR_ZERO(key);
		goto out;
	}
	r->alg_id = key->alg_id;
	r->exclude_opts = key->flags & TCP_AUTHOPT_KEY_EXCLUDE_OPTS;
	r->keyid = key->send_id;
	r->rnextkeyid = tcp_authopt_rnext(key, v.flags, v.send_rnextkeyid);
	r->sne_ref = v.snd_sne;
	r->seq_ref = v.snd_seq;
	r->family = v.flow.family;
	memcpy(&r->saddr, &v.flow.saddr, sizeof(r->saddr));
	memcpy(&r->daddr, &v.flow.daddr, sizeof(r->daddr));
	err = tcp_authopt_flow_kdf(key, &v.flow, v.src_isn, v.dst_isn, r->traffic_key) ?: 1;
out:
	rcu_read_unlock();
	return err;
}
EXPORT_SYMBOL_GPL(tcp_authopt_reply_prepare);

/**
 * tcp_authopt_reply_sign() - put a signed TCP-AO option on a reply
 * @r: from tcp_authopt_reply_prepare() returning 1; its traffic key is wiped
 * @th: the reply's TCP header, complete, its doff counting the option
 * @opt: where the %TCPOLEN_AUTHOPT_OUTPUT bytes of the option go
 */
void tcp_authopt_reply_sign(struct tcp_authopt_reply *r, struct tcphdr *th, u8 *opt)
{
	u32 sne = tcp_authopt_compute_sne(r->sne_ref, r->seq_ref, ntohl(th->seq));

	opt[0] = TCPOPT_AUTHOPT;
	opt[1] = TCPOLEN_AUTHOPT_OUTPUT;
	opt[2] = r->keyid;
	opt[3] = r->rnextkeyid;
	memset(opt + 4, 0, TCP_AUTHOPT_MACLEN);
	/* Cannot fail for a key that was accepted; a zero MAC is dropped anyway. */
	if (tcp_authopt_calc_mac_hdr(r->alg_id, r->traffic_key, r->exclude_opts, sne,
				     r->family, &r->saddr, &r->daddr, th, opt + 4))
		memset(opt + 4, 0, TCP_AUTHOPT_MACLEN);
	memzero_explicit(r->traffic_key, sizeof(r->traffic_key));
}
EXPORT_SYMBOL_GPL(tcp_authopt_reply_sign);

/* TIME-WAIT */

/**
 * tcp_authopt_time_wait() - give a TIME-WAIT socket the state of its connection
 * @tw: the new TIME-WAIT socket
 * @sk: the full socket going to TIME-WAIT, locked
 *
 * The TIME-WAIT socket gets a copy without cached keys (it looks keys up
 * when it needs them); the full socket keeps its state for getsockopt().
 * Should the copy fail, TIME-WAIT takes the state itself rather than
 * answer unsigned.
 */
void tcp_authopt_time_wait(struct tcp_timewait_sock *tw, struct sock *sk)
{
	struct tcp_authopt_info *info = tcp_authopt_info(sk), *copy;

	RCU_INIT_POINTER(tw->tw_authopt_info, NULL);
	if (!info)
		return;
	copy = tcp_authopt_info_alloc(GFP_ATOMIC);
	if (copy) {
		memcpy(copy, info, offsetof(struct tcp_authopt_info, keys));
		copy->nkeys = 0;
		copy->keys_valid = false;
	} else {
		RCU_INIT_POINTER(tcp_sk(sk)->authopt_info, NULL);
		tcp_authopt_release_keys(info);
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

/**
 * tcp_authopt_inbound_check_tw() - verify a segment for a TIME-WAIT socket
 * @sk: the TIME-WAIT socket
 * @skb: segment, TCP header at skb->data
 *
 * Return: as tcp_authopt_inbound_check().
 */
enum skb_drop_reason tcp_authopt_inbound_check_tw(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_authopt_info *info = rcu_dereference(tcp_twsk(sk)->tw_authopt_info);
	struct tcp_authopt_key_info *keys[TCP_AUTHOPT_LOOKUP_MAX];
	const struct tcphdr *th = tcp_hdr(skb);
	const struct tcp_authopt_key_info *key;
	struct net *net = sock_net(sk);
	enum skb_drop_reason reason;
	struct tcp_authopt_view v;
	u32 seq = ntohl(th->seq);
	const u8 *opt;
	int n;

	if (!info)
		return SKB_NOT_DROPPED_YET;
	tcp_authopt_view_info(&v, sk, info);
	n = tcp_authopt_view_lookup(net, &v, keys);
	key = tcp_authopt_recv_check(net, skb, keys, n, n > 0 || v.active, v.flags, &opt,
				     &reason);
	if (!key)
		return reason;
	/* A SYN reusing the 4-tuple starts a new connection: its own ISN. */
	if (th->syn && !th->ack)
		return tcp_authopt_verify_isn(net, skb, key, seq, 0, opt);
	return tcp_authopt_verify_isn_sne(net, skb, key, v.dst_isn, v.src_isn,
					  tcp_authopt_compute_sne(v.rcv_sne, v.rcv_seq, seq),
					  opt);
}
EXPORT_SYMBOL_GPL(tcp_authopt_inbound_check_tw);

/**
 * tcp_authopt_ignore_icmp() - whether an ICMP error is ignored (RFC 5925 7.8)
 * @sk: full socket, bh-locked
 * @family: AF_INET or AF_INET6, of the ICMP message
 * @type: ICMP type
 * @code: ICMP code
 *
 * "Hard" errors must not reset an authenticated connection: anybody can
 * forge them. Fragmentation needed (ICMPv4 code 4) still updates the path
 * MTU: it never resets a connection.
 *
 * Return: true when the caller drops the message (counted).
 */
bool tcp_authopt_ignore_icmp(struct sock *sk, int family, int type, int code)
{
	struct tcp_authopt_info *info = tcp_authopt_info(sk);
	bool hard;

	if (!info || !READ_ONCE(info->active))
		return false;
	if (family == AF_INET)
		hard = type == ICMP_DEST_UNREACH &&
		       (code == ICMP_PROT_UNREACH || code == ICMP_PORT_UNREACH);
	else
		hard = type == ICMPV6_DEST_UNREACH && code >= ICMPV6_ADM_PROHIBITED &&
		       code <= ICMPV6_PORT_UNREACH;
	if (hard)
		__NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPAUTHOPTICMPIGNORED);
	return hard;
}
EXPORT_SYMBOL_GPL(tcp_authopt_ignore_icmp);

/**
 * tcp_authopt_md5_exempt() - whether TCP-AO, not MD5, checks a segment
 * @sk: full or listening socket the segment is for
 * @skb: the segment
 * @l3index: L3 master ifindex the segment came in on, 0 without VRF
 *
 * When both TCP-AO and MD5 keys match a peer, TCP-AO is used (RFC 5925
 * 7.6): the MD5 check steps aside for connections that are authenticated
 * or whose peer a TCP-AO key matches. A segment merely carrying a TCP-AO
 * option does not qualify, or it could slip past MD5.
 *
 * Return: true when TCP-AO verifies @skb instead of MD5.
 */
bool tcp_authopt_md5_exempt(const struct sock *sk, const struct sk_buff *skb, int l3index)
{
	const struct tcp_authopt_info *info = rcu_dereference(tcp_sk(sk)->authopt_info);
	struct tcp_authopt_key_info *keys[TCP_AUTHOPT_LOOKUP_MAX];

	if (!info)
		return false;
	if (READ_ONCE(info->active))
		return true;
	return tcp_authopt_skb_lookup(sock_net(sk), skb, l3index, keys) > 0;
}
EXPORT_SYMBOL_GPL(tcp_authopt_md5_exempt);
