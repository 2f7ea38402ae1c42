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
#include <linux/ipv6.h>
#include <crypto/algapi.h>
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
 * Return: the key, NULL when no key applies, ERR_PTR(-ENOKEY) when keys
 * apply but none may sign now: the segment must not go out unsigned.
 */
static struct tcp_authopt_key_info *
tcp_authopt_pick_send(struct tcp_authopt_key_info **keys, unsigned int n, u32 flags,
		      u8 locked_id, int peer_rnext)
{
	struct tcp_authopt_key_info *best = NULL;
	u64 now = tcp_authopt_now();
	unsigned int i;

	if (!n)
		return NULL;
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
	if (info->keys_valid && info->db_gen == gen)
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
	info->active = info->nkeys > 0;
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
				    info->recv_ids_valid ? info->recv_rnextkeyid : -1);
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

static int tcp_authopt_req_lookup(const struct sock *listener, const struct request_sock *req,
				  struct tcp_authopt_key_info **keys)
{
	struct tcp_authopt_flow f;
	struct tcp_authopt_conn conn;
	int l3index;

	tcp_authopt_flow_req(req, &f);
	l3index = l3mdev_master_ifindex_by_index(sock_net(listener), inet_rsk(req)->ir_iif);
	tcp_authopt_conn_from_flow(&f, true, l3index, &conn);
	return tcp_authopt_keydb_lookup(tcp_authopt_net_db(sock_net(listener)), &conn,
					keys, TCP_AUTHOPT_LOOKUP_MAX);
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
	struct tcp_authopt_info *info = rcu_dereference(tcp_sk(listener)->authopt_info);
	struct tcp_authopt_key_info *keys[TCP_AUTHOPT_LOOKUP_MAX], *key;
	const struct tcp_request_sock *treq = tcp_rsk(req);
	int n;

	if (!info)
		return NULL;
	n = tcp_authopt_req_lookup(listener, req, keys);
	key = tcp_authopt_pick_send(keys, n, READ_ONCE(info->flags), READ_ONCE(info->send_keyid),
				    treq->ao_rnext_valid ? treq->ao_rnextkeyid : -1);
	if (!IS_ERR_OR_NULL(key))
		*rnextkeyid = tcp_authopt_rnext(key, READ_ONCE(info->flags),
						READ_ONCE(info->send_rnextkeyid));
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
 *
 * The child takes part when the listener does, with the listener's flags
 * and the ISNs of the handshake.
 *
 * Return: 0 or -ENOMEM.
 */
int tcp_authopt_openreq_child(struct sock *newsk, const struct sock *listener,
			      const struct request_sock *req)
{
	const struct tcp_authopt_info *linfo = rcu_dereference(tcp_sk(listener)->authopt_info);
	struct tcp_authopt_info *info;

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
	rcu_assign_pointer(tcp_sk(newsk)->authopt_info, info);
	sk_gso_disable(newsk);
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

/* The checks every receiver makes before the MAC. Returns the option to
 * verify, or NULL with *@reason telling whether the segment passes as is
 * (%SKB_NOT_DROPPED_YET) or is dropped (counted already).
 */
static const u8 *tcp_authopt_precheck(struct net *net, const struct sk_buff *skb,
				      unsigned int nkeys, u32 flags,
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
	if (!nkeys) {
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

/* Verify with a traffic key derived now (SYN, SYN-ACK, handshake, cookies). */
static enum skb_drop_reason tcp_authopt_verify_isn(struct net *net, struct sk_buff *skb,
						   const struct tcp_authopt_key_info *key,
						   u32 peer_isn, u32 our_isn, const u8 *opt)
{
	u8 tkey[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	struct tcp_authopt_flow f;
	enum skb_drop_reason reason;
	u32 seq = ntohl(tcp_hdr(skb)->seq);

	tcp_authopt_flow_skb(skb, &f);
	if (tcp_authopt_flow_kdf(key, &f, peer_isn, our_isn, tkey))
		return tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_FAILURE,
					"TCP-AO key derivation failed");
	reason = tcp_authopt_verify(net, skb, key, tkey,
				    tcp_authopt_compute_sne(0, peer_isn, seq), opt);
	memzero_explicit(tkey, sizeof(tkey));
	return reason;
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

static enum skb_drop_reason tcp_authopt_check_keyid(struct net *net, struct sk_buff *skb,
						    const struct tcp_authopt_key_info *key)
{
	if (key)
		return SKB_NOT_DROPPED_YET;
	return tcp_authopt_drop(net, skb, SKB_DROP_REASON_TCP_AUTHOPT_KEYNOTFOUND,
				"TCP-AO KeyID not usable");
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
		struct tcp_authopt_conn conn;
		struct tcp_authopt_flow f;

		tcp_authopt_flow_skb(skb, &f);
		tcp_authopt_conn_from_flow(&f, false, ip_hdr(skb)->version == 4 ?
					   (tcp_v4_sdif(skb) ? inet_iif(skb) : 0) :
					   (tcp_v6_sdif(skb) ? tcp_v6_iif_l3_slave(skb) : 0),
					   &conn);
		n = tcp_authopt_keydb_lookup(tcp_authopt_net_db(net), &conn, keys,
					     ARRAY_SIZE(keys));
		opt = tcp_authopt_precheck(net, skb, n, READ_ONCE(info->flags), &reason);
		if (!opt)
			return reason;
		key = tcp_authopt_recv_key(keys, n, opt[2]);
		reason = tcp_authopt_check_keyid(net, skb, key);
		if (reason)
			return reason;
		tcp_authopt_guess_isns(th, &peer_isn, &our_isn);
		return tcp_authopt_verify_isn(net, skb, key, peer_isn, our_isn, opt);
	}

	tcp_authopt_refresh(sk, info);
	opt = tcp_authopt_precheck(net, skb, info->nkeys, info->flags, &reason);
	if (!opt)
		return reason;
	for (i = 0; i < info->nkeys; i++)
		keys[i] = info->keys[i].key;
	key = tcp_authopt_recv_key(keys, info->nkeys, opt[2]);
	reason = tcp_authopt_check_keyid(net, skb, key);
	if (reason)
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
	struct tcp_authopt_info *info = rcu_dereference(tcp_sk(listener)->authopt_info);
	struct tcp_authopt_key_info *keys[TCP_AUTHOPT_LOOKUP_MAX];
	const struct tcp_authopt_key_info *key;
	struct net *net = sock_net(listener);
	enum skb_drop_reason reason;
	const u8 *opt;
	int n;

	if (!info)
		return SKB_NOT_DROPPED_YET;
	n = tcp_authopt_req_lookup(listener, req, keys);
	opt = tcp_authopt_precheck(net, skb, n, READ_ONCE(info->flags), &reason);
	if (!opt)
		return reason;
	key = tcp_authopt_recv_key(keys, n, opt[2]);
	reason = tcp_authopt_check_keyid(net, skb, key);
	if (reason)
		return reason;
	return tcp_authopt_verify_isn(net, skb, key, tcp_rsk(req)->rcv_isn,
				      tcp_rsk(req)->snt_isn, opt);
}
EXPORT_SYMBOL_GPL(tcp_authopt_inbound_check_req);
