/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP Authentication Option (RFC 5925, algorithms RFC 5926).
 *
 * Keys (MKTs) live in a per network namespace database; sockets that take
 * part hold a struct tcp_authopt_info with the connection state (ISNs,
 * sequence number extensions, cached traffic keys).
 */
#ifndef _NET_TCP_AUTHOPT_H
#define _NET_TCP_AUTHOPT_H

#include <linux/types.h>
#include <linux/tcp.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/socket.h>
#include <linux/sockptr.h>
#include <net/net_namespace.h>
#include <net/tcp.h>
#include <net/dropreason.h>
#include <linux/jump_label.h>

struct sk_buff;
struct sock;
struct request_sock;

#define TCPOPT_AUTHOPT			29
/* Both RFC 5926 algorithms truncate the MAC to 96 bits. */
#define TCP_AUTHOPT_MACLEN		12
#define TCPOLEN_AUTHOPT_OUTPUT		(4 + TCP_AUTHOPT_MACLEN)
#define TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN	20
/* Largest KDF context: two IPv6 addresses, two ports, two ISNs. */
#define TCP_AUTHOPT_MAX_CONTEXT_LEN	(16 + 16 + 2 + 2 + 4 + 4)

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
 * struct tcp_authopt_key_info - one Master Key Tuple in a namespace database
 * @node: entry in &tcp_authopt_keydb.head, RCU protected
 * @rcu: for freeing after a grace period
 * @refcnt: the database holds one reference, cached traffic keys one each
 * @dead: set once removed from the database; cached users drop it
 * @flags: &enum tcp_authopt_key_flag bits, DEL excluded
 * @send_id: KeyID put on segments signed with this key
 * @recv_id: KeyID of segments verified with this key
 * @alg_id: &enum tcp_authopt_alg
 * @keylen: length of @key
 * @key: master key
 * @prefixlen: address bits to match (full width for ADDR_BIND without PREFIXLEN)
 * @l3index: L3 master ifindex for IFINDEX, 0 for the default VRF
 * @addr: peer address or prefix (AF_INET or AF_INET6)
 * @send_begin: send lifetime start, UTC seconds (0 when unset)
 * @send_end: send lifetime end, UTC seconds (U64_MAX when unset)
 * @recv_begin: receive lifetime start, UTC seconds (0 when unset)
 * @recv_end: receive lifetime end, UTC seconds (U64_MAX when unset)
 * @lport_min: first local port (0 when unset)
 * @lport_max: last local port (65535 when unset)
 * @rport_min: first remote port (0 when unset)
 * @rport_max: last remote port (65535 when unset)
 */
struct tcp_authopt_key_info {
	struct hlist_node node;
	struct rcu_head rcu;
	refcount_t refcnt;
	bool dead;
	u32 flags;
	u8 send_id;
	u8 recv_id;
	u8 alg_id;
	u8 keylen;
	u8 key[TCP_AUTHOPT_MAXKEYLEN];
	u8 prefixlen;
	int l3index;
	struct sockaddr_storage addr;
	u64 send_begin;
	u64 send_end;
	u64 recv_begin;
	u64 recv_end;
	u16 lport_min;
	u16 lport_max;
	u16 rport_min;
	u16 rport_max;
};

/**
 * struct tcp_authopt_keydb - the keys of one network namespace
 * @head: keys, RCU readers on the packet path
 * @mutex: serialises writers
 * @count: number of keys
 * @gen: changes whenever a key is added, replaced or removed
 */
struct tcp_authopt_keydb {
	struct hlist_head head;
	struct mutex mutex;	/* serialises writers */
	unsigned int count;
	unsigned int gen;
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

/* Keys per network namespace. */
#define TCP_AUTHOPT_MAX_KEYS		65536
/* Matching keys considered for one connection, before shadowing. */
#define TCP_AUTHOPT_LOOKUP_MAX		32
/* Keys a connection caches with their traffic keys (most specific first). */
#define TCP_AUTHOPT_CONN_KEYS		8

/**
 * struct tcp_authopt_conn_key - a key that applies to a connection
 * @key: the key, a reference held
 * @tkeys_valid: @send_other and @recv_other are derived for the current ISNs
 * @send_other: Send_Other traffic key (RFC 5925 5.2)
 * @recv_other: Receive_Other traffic key
 */
struct tcp_authopt_conn_key {
	struct tcp_authopt_key_info *key;
	bool tkeys_valid;
	u8 send_other[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
	u8 recv_other[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
};

/**
 * struct tcp_authopt_info - TCP-AO state of a socket that takes part
 * @rcu: for freeing after a grace period
 * @flags: &enum tcp_authopt_flag bits set through TCP_AUTHOPT
 * @active: a key matched the peer: every segment is authenticated from
 *	then on, also when its keys go away (nothing is sent unsigned)
 * @plain: the connection started without TCP-AO and stays plain TCP: keys
 *	added later do not apply to it (nor would its ISNs be known)
 * @send_keyid: send_id of the key in use, or the one locked
 * @send_rnextkeyid: RNextKeyID sent, or the one locked
 * @recv_keyid: KeyID of the last segment received
 * @recv_rnextkeyid: RNextKeyID of the last segment received
 * @src_isn: our initial sequence number
 * @dst_isn: the peer's initial sequence number
 * @snd_sne: sequence number extension of @snd_seq
 * @rcv_sne: sequence number extension of @rcv_seq
 * @snd_seq: highest sequence number sent, reference for the send SNE
 * @rcv_seq: highest sequence number received, reference for the receive SNE
 * @recv_ids_valid: @recv_keyid and @recv_rnextkeyid hold what the peer sent
 * @keys_valid: @keys is the set for database generation @db_gen
 * @db_gen: generation of the namespace key database @keys was taken from
 * @nkeys: number of entries in @keys
 * @keys: the keys that apply to the connection, most specific first
 */
struct tcp_authopt_info {
	struct rcu_head rcu;
	u32 flags;
	bool active;
	bool plain;
	u8 send_keyid;
	u8 send_rnextkeyid;
	u8 recv_keyid;
	u8 recv_rnextkeyid;
	u32 src_isn;
	u32 dst_isn;
	u32 snd_sne;
	u32 rcv_sne;
	u32 snd_seq;
	u32 rcv_seq;
	bool recv_ids_valid;
	bool keys_valid;
	unsigned int db_gen;
	unsigned int nkeys;
	struct tcp_authopt_conn_key keys[TCP_AUTHOPT_CONN_KEYS];
};

struct tcp_authopt_keydb *tcp_authopt_net_db(const struct net *net);
int tcp_authopt_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			   unsigned int optlen);
int tcp_authopt_getsockopt(struct sock *sk, int optname, sockptr_t optval,
			   sockptr_t optlen, int len);
void tcp_authopt_clear(struct sock *sk);
struct tcp_authopt_info *tcp_authopt_info_alloc(gfp_t gfp);
void tcp_authopt_info_free(struct tcp_authopt_info *info);
int tcp_authopt_init_sock(struct sock *sk);

/* On the wire (tcp_authopt_wire.c) */
DECLARE_STATIC_KEY_FALSE(tcp_authopt_needed_key);
#define tcp_authopt_needed static_branch_unlikely(&tcp_authopt_needed_key)

/**
 * struct tcp_authopt_reply - how to sign a reply built without a full socket
 * @alg_id: &enum tcp_authopt_alg of the key
 * @exclude_opts: the key excludes TCP options from the MAC
 * @keyid: KeyID to send
 * @rnextkeyid: RNextKeyID to send
 * @sne_ref: sequence number extension of @seq_ref
 * @seq_ref: send reference point the reply's SNE is computed against
 * @family: AF_INET or AF_INET6
 * @saddr: our address
 * @daddr: the peer's address
 * @traffic_key: Send_Other traffic key, wiped once used
 */
struct tcp_authopt_reply {
	u8 alg_id;
	bool exclude_opts;
	u8 keyid;
	u8 rnextkeyid;
	u32 sne_ref;
	u32 seq_ref;
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} saddr, daddr;
	u8 traffic_key[TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN];
};

int tcp_authopt_reply_prepare(const struct sock *sk, struct sk_buff *skb,
			      struct tcp_authopt_reply *r);
void tcp_authopt_reply_sign(struct tcp_authopt_reply *r, struct tcphdr *th, u8 *opt);
void tcp_authopt_time_wait(struct tcp_timewait_sock *tw, struct sock *sk);
void tcp_authopt_tw_destroy(struct tcp_timewait_sock *tw);
enum skb_drop_reason tcp_authopt_inbound_check_tw(struct sock *sk, struct sk_buff *skb);
bool tcp_authopt_ignore_icmp(struct sock *sk, int family, int type, int code);
bool tcp_authopt_md5_exempt(const struct sock *sk, const struct sk_buff *skb, int l3index);

struct tcp_authopt_key_info *tcp_authopt_select_key(struct sock *sk, u8 *rnextkeyid);
int tcp_authopt_hash(struct sock *sk, struct sk_buff *skb,
		     struct tcp_authopt_key_info *key, u8 *mac);
struct tcp_authopt_key_info *tcp_authopt_select_key_req(const struct sock *listener,
							const struct request_sock *req,
							u8 *rnextkeyid);
int tcp_authopt_hash_req(const struct request_sock *req, struct sk_buff *skb,
			 const struct tcp_authopt_key_info *key, u8 *mac);
void tcp_authopt_req_init(struct request_sock *req, const struct sk_buff *skb);
int tcp_authopt_openreq_child(struct sock *newsk, const struct sock *listener,
			      const struct request_sock *req, const struct sk_buff *skb);
enum skb_drop_reason tcp_authopt_inbound_check(struct sock *sk, struct sk_buff *skb);
enum skb_drop_reason tcp_authopt_inbound_check_req(struct request_sock *req,
						   struct sk_buff *skb);
void tcp_authopt_release_keys(struct tcp_authopt_info *info);

void tcp_authopt_keydb_init(struct tcp_authopt_keydb *db);
void tcp_authopt_keydb_flush(struct tcp_authopt_keydb *db);
struct tcp_authopt_key_info *tcp_authopt_key_from_opt(struct net *net,
						      const struct tcp_authopt_key *opt);
int tcp_authopt_keydb_add(struct tcp_authopt_keydb *db,
			  struct tcp_authopt_key_info *key);
int tcp_authopt_keydb_del(struct tcp_authopt_keydb *db,
			  const struct tcp_authopt_key_info *ident);
void tcp_authopt_key_put(struct tcp_authopt_key_info *key);
bool tcp_authopt_key_match(const struct tcp_authopt_key_info *key,
			   const struct tcp_authopt_conn *conn);
int tcp_authopt_key_specificity(const struct tcp_authopt_key_info *key);
int tcp_authopt_keydb_lookup(struct tcp_authopt_keydb *db,
			     const struct tcp_authopt_conn *conn,
			     struct tcp_authopt_key_info **keys,
			     unsigned int max);

/* Crypto (tcp_authopt_crypto.c) */
int tcp_authopt_crypto_init(void);
unsigned int tcp_authopt_traffic_keylen(u8 alg_id);
int tcp_authopt_kdf(u8 alg_id, const u8 *mkt, unsigned int mktlen,
		    const u8 *context, unsigned int ctxlen, u8 *traffic_key);
unsigned int tcp_authopt_kdf_context(u8 *buf, int family,
				     const void *saddr, const void *daddr,
				     __be16 sport, __be16 dport,
				     __be32 sisn, __be32 disn);
int tcp_authopt_calc_mac(u8 alg_id, const u8 *traffic_key, bool exclude_opts,
			 u32 sne, int family, const void *saddr,
			 const void *daddr, struct sk_buff *skb,
			 u8 *mac);
int tcp_authopt_calc_mac_hdr(u8 alg_id, const u8 *traffic_key, bool exclude_opts,
			     u32 sne, int family, const void *saddr,
			     const void *daddr, const struct tcphdr *th, u8 *mac);

/* Option parsing */
const u8 *tcp_authopt_find_option(const struct tcphdr *th);
bool tcp_authopt_has_md5(const struct tcphdr *th);

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

#endif /* _NET_TCP_AUTHOPT_H */
