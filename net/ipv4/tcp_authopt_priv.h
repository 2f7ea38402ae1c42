/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP Authentication Option: declarations shared by the files of the
 * implementation, by concern:
 *   tcp_authopt.c         the key database, socket options, sysctls, /proc
 *   tcp_authopt_crypto.c  traffic keys and MACs (RFC 5925 5, RFC 5926)
 *   tcp_authopt_wire.c    the option, flows, KDF contexts, sequence number
 *                         extension
 *   tcp_authopt_conn.c    a connection's policy, keys and state: request,
 *                         full and TIME-WAIT sockets
 *   tcp_authopt_output.c  how every segment we send is signed
 *   tcp_authopt_input.c   the one inbound decision, ICMP
 */
#ifndef _NET_IPV4_TCP_AUTHOPT_PRIV_H
#define _NET_IPV4_TCP_AUTHOPT_PRIV_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/seqlock.h>
#include <linux/socket.h>
#include <crypto/sha1.h>
#include <net/tcp_authopt.h>

/* Largest KDF context: two IPv6 addresses, two ports, two ISNs. */
#define TCP_AUTHOPT_MAX_CONTEXT_LEN	(16 + 16 + 2 + 2 + 4 + 4)
/* Keys per network namespace. */
#define TCP_AUTHOPT_MAX_KEYS		65536
/* Change counters of a database: peers share one when their hashes do. */
#define TCP_AUTHOPT_GEN_SLOTS		256

/* Key flags accepted by TCP_AUTHOPT_KEY. */
#define TCP_AUTHOPT_KEY_KNOWN_FLAGS	(TCP_AUTHOPT_KEY_DEL | \
					 TCP_AUTHOPT_KEY_EXCLUDE_OPTS | \
					 TCP_AUTHOPT_KEY_ADDR_BIND | \
					 TCP_AUTHOPT_KEY_IFINDEX | \
					 TCP_AUTHOPT_KEY_NOSEND | \
					 TCP_AUTHOPT_KEY_NORECV | \
					 TCP_AUTHOPT_KEY_PREFIXLEN | \
					 TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN | \
					 TCP_AUTHOPT_KEY_SEND_LIFETIME_END | \
					 TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN | \
					 TCP_AUTHOPT_KEY_RECV_LIFETIME_END | \
					 TCP_AUTHOPT_KEY_LOCAL_PORT | \
					 TCP_AUTHOPT_KEY_REMOTE_PORT)

/* Flags settable through TCP_AUTHOPT; ACTIVE is read-only. */
#define TCP_AUTHOPT_KNOWN_FLAGS		(TCP_AUTHOPT_FLAG_LOCK_KEYID | \
					 TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID | \
					 TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED)

/**
 * struct tcp_authopt_peer - the address one key is bound to, hashed
 * @addr: the IPv4 address in @addr[0], or the IPv6 address
 * @family: AF_INET or AF_INET6
 */
struct tcp_authopt_peer {
	__be32 addr[4];
	u32 family;
};

/**
 * struct tcp_authopt_key_info - one Master Key Tuple in a namespace database
 * @node: entry in &tcp_authopt_keydb.head, RCU protected
 * @hnode: entry in &tcp_authopt_keydb.peers (a key for one address)
 * @wnode: entry in &tcp_authopt_keydb.wide (any other key)
 * @peer: the address of a key in @hnode's table (zero for the others)
 * @rcu: for freeing after a grace period
 * @refcnt: the database holds one reference, key sets of connections one each
 * @flags: &enum tcp_authopt_key_flag bits, DEL excluded
 * @send_id: KeyID put on segments signed with this key
 * @recv_id: KeyID of segments verified with this key
 * @alg_id: &enum tcp_authopt_alg
 * @keylen: length of @key, 0 to %TCP_AUTHOPT_MAXKEYLEN
 * @key: master key
 * @prefixlen: address bits to match (full width for ADDR_BIND without PREFIXLEN)
 * @maclen: MAC length: %TCP_AUTHOPT_MACLEN but for upstream's ABI, whose
 *	keys choose theirs (up to %TCP_AUTHOPT_MAX_MACLEN)
 * @l3index: L3 master ifindex for IFINDEX, 0 for the default VRF
 * @addr: peer address or prefix, AF_INET or AF_INET6; an IPv4-mapped IPv6
 *	address is stored as the IPv4 address it names
 * @send_begin: send lifetime start, UTC seconds (0 when unset)
 * @send_end: send lifetime end, UTC seconds (U64_MAX when unset)
 * @recv_begin: receive lifetime start, UTC seconds (0 when unset)
 * @recv_end: receive lifetime end, UTC seconds (U64_MAX when unset)
 * @lport_min: first local port (0 when unset)
 * @lport_max: last local port (65535 when unset)
 * @rport_min: first remote port (0 when unset)
 * @rport_max: last remote port (65535 when unset)
 * @counted: a socket's own key (upstream's ABI), which counts below
 * @pkt_good: segments it verified
 * @pkt_bad: segments with its recv_id whose MAC did not verify
 */
/* A key's address: not a sockaddr_storage (128 bytes), keys are many. */
union tcp_authopt_key_addr {
	sa_family_t family;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

struct tcp_authopt_key_info {
	struct hlist_node node;
	union {
		struct rhlist_head hnode;
		struct hlist_node wnode;
	};
	struct tcp_authopt_peer peer;
	struct rcu_head rcu;
	refcount_t refcnt;
	u32 flags;
	u8 send_id;
	u8 recv_id;
	u8 alg_id;
	u8 keylen;
	u8 key[TCP_AUTHOPT_MAXKEYLEN];
	u8 prefixlen;
	u8 maclen;
	int l3index;
	union tcp_authopt_key_addr addr;
	u64 send_begin;
	u64 send_end;
	u64 recv_begin;
	u64 recv_end;
	u16 lport_min;
	u16 lport_max;
	u16 rport_min;
	u16 rport_max;
	bool counted;
	atomic64_t pkt_good;
	atomic64_t pkt_bad;
};

/**
 * struct tcp_authopt_keydb - the keys of one network namespace
 * @head: every key, for listing and flushing
 * @peers: keys bound to one address (ADDR_BIND, or a full-width prefix)
 *	by that address: what a route server has thousands of
 * @wide: the other keys (prefixes, unbound), which few databases have
 * @mutex: serialises writers
 * @lock: taken with bottom halves off while a writer changes the keys
 * @seq: readers retry a walk that overlapped a change, so a replaced key
 *	is never missing from what they see
 * @count: number of keys
 * @wide_gen: changes of @wide keys, which can apply to any connection
 * @peer_gen: changes of @peers keys, by slot of their address's hash: a
 *	connection's key set is out of date only when one of its two
 *	counters moved, so a change for one peer leaves the others alone;
 *	NULL in a private database
 * @private: the keys of one socket (upstream's ABI): a handful, all in
 *	@wide, with no table, so that a copy can be made in softirq
 */
struct tcp_authopt_keydb {
	struct hlist_head head;
	struct rhltable peers;
	struct hlist_head wide;
	struct mutex mutex;	/* serialises writers */
	spinlock_t lock;	/* publishes changes to the keys */
	seqcount_spinlock_t seq;
	unsigned int count;
	unsigned int wide_gen;
	unsigned int *peer_gen;
	bool private;
};

/**
 * struct tcp_authopt_gen - what a set of matched keys was current for
 * @slot: the peer's slot in &tcp_authopt_keydb.peer_gen
 * @peer: the value of that slot
 * @wide: the value of &tcp_authopt_keydb.wide_gen
 */
struct tcp_authopt_gen {
	unsigned int slot;
	unsigned int peer;
	unsigned int wide;
};

/**
 * struct tcp_authopt_conn - what a key is matched against
 * @family: AF_INET or AF_INET6 (v4-mapped connections use AF_INET)
 * @l3index: L3 master ifindex of the connection, 0 without VRF
 * @lport: local port, host order
 * @rport: remote port, host order
 * @raddr: peer address (&in_addr for AF_INET, &in6_addr for AF_INET6)
 */
struct tcp_authopt_conn {
	int family;
	int l3index;
	u16 lport;
	u16 rport;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} raddr;
};

/* Matches kept without allocating; more are allocated, never cut. */
#define TCP_AUTHOPT_MATCH_INLINE	16

/**
 * struct tcp_authopt_match - the keys that apply to a connection
 * @n: number of keys in @keys
 * @gen: the database's change counters they were taken at
 * @keys: most specific first; no references held (RCU or the database
 *	mutex keeps them)
 * @inline_keys: storage for @keys when there are few
 */
struct tcp_authopt_match {
	unsigned int n;
	struct tcp_authopt_gen gen;
	struct tcp_authopt_key_info **keys;
	struct tcp_authopt_key_info *inline_keys[TCP_AUTHOPT_MATCH_INLINE];
};

/* Algorithms beyond &enum tcp_authopt_alg, for keys of upstream's ABI
 * only: HMAC with the crypto API's other hashes, traffic keys of a whole
 * digest (upstream's KDF, RFC 5926 3.1.1.1 with L = the digest size).
 */
#define TCP_AUTHOPT_ALG_HMAC_SHA_224	3
#define TCP_AUTHOPT_ALG_HMAC_SHA_256	4
#define TCP_AUTHOPT_ALG_HMAC_SHA_384	5
#define TCP_AUTHOPT_ALG_HMAC_SHA_512	6
#define TCP_AUTHOPT_ALG_HMAC_SHA3_224	7
#define TCP_AUTHOPT_ALG_HMAC_SHA3_256	8
#define TCP_AUTHOPT_ALG_HMAC_SHA3_384	9
#define TCP_AUTHOPT_ALG_HMAC_SHA3_512	10
#define TCP_AUTHOPT_ALG_HMAC_RMD160	11
#define TCP_AUTHOPT_ALG_HMAC_MD5	12
#define TCP_AUTHOPT_NUM_ALGS		12

/**
 * struct tcp_authopt_hmac_state - an HMAC-SHA-1 key, ready to resume
 * @ready: @state holds the states; otherwise the key is set per MAC
 * @state: exported SHA-1 state after the key XOR ipad block, then after
 *	the key XOR opad block
 */
struct tcp_authopt_hmac_state {
	bool ready;
	u8 state[2][sizeof(struct sha1_state)] __aligned(8);
};

/**
 * struct tcp_authopt_tkey - a traffic key kept for a connection
 * @key: the traffic key
 * @hmac: its prepared HMAC state
 */
struct tcp_authopt_tkey {
	u8 key[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	struct tcp_authopt_hmac_state hmac;
};

/**
 * struct tcp_authopt_tkeys - traffic keys of one key for one connection
 * @send_other: Send_Other (RFC 5925 5.2): everything we send but a SYN
 * @recv_other: Receive_Other: everything we receive but a SYN
 */
struct tcp_authopt_tkeys {
	struct tcp_authopt_tkey send_other;
	struct tcp_authopt_tkey recv_other;
};

/**
 * struct tcp_authopt_keyset - the keys of a connection, with traffic keys
 * @rcu: for freeing after a grace period
 * @gen: the database's change counters @keys were taken at
 * @has_tkeys: @tkeys hold the traffic keys for @src_isn and @dst_isn
 * @src_isn: our ISN when @tkeys were derived
 * @dst_isn: the peer's ISN when @tkeys were derived
 * @n: number of keys
 * @tkeys: @n traffic key pairs, parallel to @keys, or NULL
 * @keys: every key that applies to the connection, most specific first,
 *	a reference held on each
 *
 * Never changed once published: a full socket replaces it with the socket
 * locked; the receive path reads it under RCU before the backlog.
 */
struct tcp_authopt_keyset {
	struct rcu_head rcu;
	struct tcp_authopt_gen gen;
	bool has_tkeys;
	u32 src_isn;
	u32 dst_isn;
	unsigned int n;
	struct tcp_authopt_tkeys *tkeys;
	struct tcp_authopt_key_info *keys[];
};

/**
 * struct tcp_authopt_uabi - a socket using upstream Linux's ABI (TCP_AO_*)
 * @refcnt: held by the socket's state and by a TIME-WAIT copy of it
 * @rcu: for freeing after a grace period
 * @db: the socket's own keys (private): upstream's keys belong to the socket
 * @ao_required: drop segments without TCP-AO even from peers with no key
 * @accept_icmps: let ICMP hard errors act (upstream's default: ignored)
 * @pkt_good: segments verified
 * @pkt_bad: segments whose MAC did not verify
 * @key_not_found: segments with a KeyID no key has, or unexpected TCP-AO
 * @ao_required_drops: segments dropped for lack of TCP-AO
 * @dropped_icmp: ICMP hard errors ignored
 */
struct tcp_authopt_uabi {
	refcount_t refcnt;
	struct rcu_head rcu;
	struct tcp_authopt_keydb db;
	bool ao_required;
	bool accept_icmps;
	atomic64_t pkt_good;
	atomic64_t pkt_bad;
	atomic64_t key_not_found;
	atomic64_t ao_required_drops;
	atomic64_t dropped_icmp;
};

/* &tcp_authopt_info.recv_ids: what the peer's last verified segment said. */
#define TCP_AUTHOPT_RECV_IDS_VALID	BIT(16)

/**
 * struct tcp_authopt_info - TCP-AO state of a socket that takes part
 * @rcu: for freeing after a grace period
 * @keyset: the connection's keys (full sockets only)
 * @snd_ext: highest sequence number sent, with its extension in the upper
 *	32 bits: the reference for the send SNE
 * @rcv_ext: the same for received segments, advanced by the receive path
 *	before the backlog (without the socket lock)
 * @flags: &enum tcp_authopt_flag bits set through TCP_AUTHOPT
 * @recv_ids: KeyID and RNextKeyID of the last verified segment
 *	(RNextKeyID << 8 | KeyID), with %TCP_AUTHOPT_RECV_IDS_VALID
 * @src_isn: our initial sequence number
 * @dst_isn: the peer's initial sequence number
 * @policy: &enum tcp_authopt_policy of the connection
 * @isns_known: both ISNs are set
 * @send_keyid: send_id of the key in use, or the one locked
 * @send_rnextkeyid: RNextKeyID sent, or the one locked
 * @uabi: set when the socket uses upstream's ABI (never changed after)
 * @explicit: the socket used our socket options (not only the netns-wide
 *	mode), so upstream's options are refused on it
 */
struct tcp_authopt_info {
	struct rcu_head rcu;
	struct tcp_authopt_keyset __rcu *keyset;
	atomic64_t snd_ext;
	atomic64_t rcv_ext;
	u32 flags;
	u32 recv_ids;
	u32 src_isn;
	u32 dst_isn;
	u8 policy;
	bool isns_known;
	u8 send_keyid;
	u8 send_rnextkeyid;
	bool explicit;
	struct tcp_authopt_uabi *uabi;
};

/* Addresses and ports of one direction of a connection. */
struct tcp_authopt_flow {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} saddr, daddr;
	__be16 sport, dport;
};

/* What signing or verifying needs of a connection whose key set cannot be
 * used (request and TIME-WAIT sockets, replies sent without the socket
 * lock): keys come from the database, traffic keys are derived on the spot.
 */
struct tcp_authopt_view {
	struct tcp_authopt_keydb *db;	/* where its keys are */
	struct tcp_authopt_flow flow;	/* our direction */
	int l3index;
	u8 policy;
	u32 flags;
	int cur_keyid;			/* send_id of the key in use, -1: none */
	u8 cur_rnext;			/* the RNextKeyID sent with it */
	u8 locked_rnext;		/* with TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID */
	int peer_rnext;			/* -1: not known */
	u32 src_isn, dst_isn;
	u64 snd_ext, rcv_ext;
};

/* tcp_authopt.c: key database and socket state */
struct tcp_authopt_keydb *tcp_authopt_net_db(const struct net *net);
bool tcp_authopt_net_all_sockets(const struct net *net);
void tcp_authopt_need(void);
int tcp_authopt_keydb_init(struct tcp_authopt_keydb *db, bool private);
void tcp_authopt_keydb_flush(struct tcp_authopt_keydb *db);
void tcp_authopt_keydb_destroy(struct tcp_authopt_keydb *db);
struct tcp_authopt_key_info *tcp_authopt_key_from_opt(struct net *net,
						      const struct tcp_authopt_key *opt,
						      unsigned int optlen);
int tcp_authopt_keydb_add(struct tcp_authopt_keydb *db,
			  struct tcp_authopt_key_info *key);
int tcp_authopt_keydb_insert(struct tcp_authopt_keydb *db,
			     struct tcp_authopt_key_info *key);
int tcp_authopt_keydb_copy(struct tcp_authopt_keydb *dst, struct tcp_authopt_keydb *src,
			   const struct tcp_authopt_conn *conn, gfp_t gfp);
bool tcp_authopt_keydb_covers(struct tcp_authopt_keydb *db, int family, const void *addr,
			      int l3index);
void tcp_authopt_keydb_retain(struct tcp_authopt_keydb *db, const struct tcp_authopt_conn *conn);
int tcp_authopt_keydb_del(struct tcp_authopt_keydb *db,
			  struct tcp_authopt_key_info *ident);
void tcp_authopt_key_put(struct tcp_authopt_key_info *key);
bool tcp_authopt_key_admits(const struct tcp_authopt_key_info *key, int family,
			    const void *addr);
bool tcp_authopt_key_match(const struct tcp_authopt_key_info *key,
			   const struct tcp_authopt_conn *conn);
int tcp_authopt_key_specificity(const struct tcp_authopt_key_info *key);
int tcp_authopt_keydb_match(struct tcp_authopt_keydb *db,
			    const struct tcp_authopt_conn *conn,
			    struct tcp_authopt_match *m, gfp_t gfp);
void tcp_authopt_match_free(struct tcp_authopt_match *m);
bool tcp_authopt_keydb_current(struct tcp_authopt_keydb *db, const struct tcp_authopt_gen *gen);
struct tcp_authopt_info *tcp_authopt_info_alloc(gfp_t gfp);
void tcp_authopt_info_free(struct tcp_authopt_info *info);
struct tcp_authopt_info *tcp_authopt_info_get_or_create(struct sock *sk);

/**
 * tcp_authopt_info_db() - where the keys of a socket are
 * @net: its namespace
 * @info: its TCP-AO state, or NULL
 *
 * Return: the socket's own keys under upstream's ABI, else the namespace's.
 */
static inline struct tcp_authopt_keydb *tcp_authopt_info_db(const struct net *net,
							    const struct tcp_authopt_info *info)
{
	return info && info->uabi ? &info->uabi->db : tcp_authopt_net_db(net);
}

/* tcp_authopt_uabi.c: upstream Linux's ABI */
struct tcp_authopt_uabi *tcp_authopt_uabi_alloc(gfp_t gfp);
void tcp_authopt_uabi_put(struct tcp_authopt_uabi *u);
bool tcp_authopt_uabi_size(int optname, unsigned int optlen);
int tcp_authopt_uabi_setsockopt(struct sock *sk, int optname, sockptr_t optval,
				unsigned int optlen);
int tcp_authopt_uabi_getsockopt(struct sock *sk, int optname, sockptr_t optval,
				sockptr_t optlen, int len);
void tcp_authopt_uabi_count(struct tcp_authopt_uabi *u, enum skb_drop_reason reason);
void tcp_authopt_uabi_rnext_request(struct tcp_authopt_info *info,
				    struct tcp_authopt_key_info * const *keys, unsigned int n,
				    u8 rnext);
int tcp_authopt_uabi_child(struct sock *newsk, struct tcp_authopt_info *info,
			   struct tcp_authopt_uabi *lu);
#ifdef CONFIG_FAIL_TCP_AUTHOPT
bool tcp_authopt_should_fail(void);
#else
static inline bool tcp_authopt_should_fail(void)
{
	return false;
}
#endif

/* tcp_authopt_crypto.c */
int tcp_authopt_crypto_init(void);
unsigned int tcp_authopt_traffic_keylen(u8 alg_id);
const char *tcp_authopt_alg_name(u8 alg_id);
int tcp_authopt_alg_by_name(const char *name);
int tcp_authopt_crypto_init_alg(u8 alg_id);
int tcp_authopt_kdf(u8 alg_id, const u8 *mkt, unsigned int mktlen,
		    const u8 *context, unsigned int ctxlen, u8 *traffic_key);
unsigned int tcp_authopt_kdf_context(u8 *buf, int family,
				     const void *saddr, const void *daddr,
				     __be16 sport, __be16 dport,
				     __be32 sisn, __be32 disn);
void tcp_authopt_hmac_prepare(u8 alg_id, const u8 *traffic_key,
			      struct tcp_authopt_hmac_state *hs);
int tcp_authopt_calc_mac(u8 alg_id, const u8 *traffic_key,
			 const struct tcp_authopt_hmac_state *hs, bool exclude_opts,
			 u32 sne, int family, const void *saddr,
			 const void *daddr, struct sk_buff *skb,
			 u8 *mac);
int tcp_authopt_calc_mac_hdr(u8 alg_id, const u8 *traffic_key, bool exclude_opts,
			     u32 sne, int family, const void *saddr,
			     const void *daddr, const struct tcphdr *th, u8 *mac);

/* tcp_authopt_wire.c */
const u8 *tcp_authopt_find_option(const struct tcphdr *th);
bool tcp_authopt_has_md5(const struct tcphdr *th);
bool tcp_authopt_sk_is_v4(const struct sock *sk);
int tcp_authopt_sk_l3index(const struct sock *sk);
void tcp_authopt_flow_sk(const struct sock *sk, struct tcp_authopt_flow *f);
void tcp_authopt_flow_req(const struct request_sock *req, struct tcp_authopt_flow *f);
void tcp_authopt_flow_skb(const struct sk_buff *skb, struct tcp_authopt_flow *f);
void tcp_authopt_flow_reverse(struct tcp_authopt_flow *f);
void tcp_authopt_conn_from_flow(const struct tcp_authopt_flow *f, bool local,
				int l3index, struct tcp_authopt_conn *conn);
int tcp_authopt_flow_kdf(const struct tcp_authopt_key_info *key,
			 const struct tcp_authopt_flow *f, u32 sisn, u32 disn,
			 u8 *traffic_key);
int tcp_authopt_flow_mac(const struct tcp_authopt_key_info *key, const u8 *tkey,
			 const struct tcp_authopt_hmac_state *hs, u32 sne,
			 const struct tcp_authopt_flow *f, struct sk_buff *skb, u8 *mac);

/* tcp_authopt_conn.c */
u64 tcp_authopt_now(void);
bool tcp_authopt_key_can_send(const struct tcp_authopt_key_info *key, u64 now);
bool tcp_authopt_key_can_recv(const struct tcp_authopt_key_info *key, u64 now);
struct tcp_authopt_key_info *
tcp_authopt_pick_send(struct tcp_authopt_key_info * const *keys, unsigned int n,
		      u32 flags, int locked_id, int peer_rnext);
u8 tcp_authopt_rnext(const struct tcp_authopt_key_info *key, u32 flags, u8 locked);
struct tcp_authopt_key_info *tcp_authopt_send_key(struct tcp_authopt_key_info * const *keys,
						  unsigned int n, u8 send_id);
int tcp_authopt_recv_index(struct tcp_authopt_key_info * const *keys, unsigned int n,
			   u8 keyid);
struct tcp_authopt_info *tcp_authopt_info_locked(const struct sock *sk);
u8 tcp_authopt_policy(struct sock *sk, struct tcp_authopt_info *info);
struct tcp_authopt_keyset *tcp_authopt_keyset_locked(struct sock *sk,
						     struct tcp_authopt_info *info);
struct tcp_authopt_keyset *tcp_authopt_keyset_rcu(struct sock *sk,
						  struct tcp_authopt_info *info,
						  bool *temporary);
void tcp_authopt_keyset_free(struct tcp_authopt_keyset *ks);
void tcp_authopt_keyset_release(struct tcp_authopt_info *info);
void tcp_authopt_set_isns(struct tcp_authopt_info *info, u32 src_isn, u32 dst_isn,
			  u64 snd_ext, u64 rcv_ext);
void tcp_authopt_view_sk(struct tcp_authopt_view *v, const struct sock *sk,
			 const struct tcp_authopt_info *info);
void tcp_authopt_view_req(struct tcp_authopt_view *v, const struct sock *listener,
			  const struct request_sock *req);
int tcp_authopt_view_match(const struct tcp_authopt_view *v, struct tcp_authopt_match *m);
void tcp_authopt_record_recv(struct tcp_authopt_info *info, const u8 *opt);
struct tcp_authopt_key_info *tcp_authopt_view_pick(const struct tcp_authopt_view *v,
						   const struct tcp_authopt_match *m,
						   u8 *rnextkeyid);

/* tcp_authopt_input.c */
enum skb_drop_reason tcp_authopt_drop(struct net *net, const struct sk_buff *skb,
				      enum skb_drop_reason reason);

/**
 * tcp_authopt_compute_sne() - sequence number extension of a sequence number
 * @ref_sne: SNE of the reference point
 * @ref_seq: reference sequence number (highest seen in this direction)
 * @seq: sequence number to extend
 *
 * RFC 5925 section 6.2: picks the SNE that puts @seq closest to @ref_seq, so
 * segments from before a wrap keep the old SNE and those after it get the
 * new one. Passes the RFC 9187 validation sequence.
 *
 * Return: the SNE of @seq.
 */
static inline u32 tcp_authopt_compute_sne(u32 ref_sne, u32 ref_seq, u32 seq)
{
	if (before(seq, ref_seq)) {
		if (seq > ref_seq)
			return ref_sne - 1;
	} else if (seq < ref_seq) {
		return ref_sne + 1;
	}
	return ref_sne;
}

/* A sequence number extended (SNE << 32 | seq) against an extended reference. */
static inline u64 tcp_authopt_ext_seq(u64 ref, u32 seq)
{
	return (u64)tcp_authopt_compute_sne(ref >> 32, (u32)ref, seq) << 32 | seq;
}

/* Move an extended reference forward to @ext, never back; lockless. */
static inline void tcp_authopt_ext_advance(atomic64_t *ref, u64 ext)
{
	s64 cur = atomic64_read(ref);

	while ((u64)cur < ext && !atomic64_try_cmpxchg(ref, &cur, ext))
		;
}

#endif /* _NET_IPV4_TCP_AUTHOPT_PRIV_H */
