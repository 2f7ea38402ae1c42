/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP Authentication Option (RFC 5925, algorithms RFC 5926): what the TCP
 * stack calls. The implementation's own declarations are in
 * net/ipv4/tcp_authopt_priv.h.
 */
#ifndef _NET_TCP_AUTHOPT_H
#define _NET_TCP_AUTHOPT_H

#include <linux/jump_label.h>
#include <linux/sockptr.h>
#include <linux/tcp.h>
#include <linux/types.h>
#include <net/dropreason.h>
#include <net/tcp.h>

#define TCPOPT_AUTHOPT			29
/* Both RFC 5926 algorithms truncate the MAC to 96 bits. */
#define TCP_AUTHOPT_MACLEN		12
#define TCPOLEN_AUTHOPT_OUTPUT		(4 + TCP_AUTHOPT_MACLEN)
/* Upstream's ABI lets a key choose its MAC length, up to what a SYN has
 * room for beside MSS, timestamps and window scale (20 bytes of option).
 */
#define TCP_AUTHOPT_MAX_MACLEN		16
/* HMAC-SHA-512 (upstream's ABI): its traffic key is a whole digest. */
#define TCP_AUTHOPT_MAX_TRAFFIC_KEYLEN	64

struct tcp_authopt_key_info;

/* Header bytes of the option of a MAC of @maclen bytes. */
static inline unsigned int tcp_authopt_space(u8 maclen)
{
	return round_up(4 + maclen, 4);
}

/**
 * tcp_authopt_put_option() - write a TCP-AO option with its MAC zeroed
 * @p: where the option goes, in the TCP header
 * @keyid: KeyID
 * @rnextkeyid: RNextKeyID
 * @maclen: MAC length, at most %TCP_AUTHOPT_MAX_MACLEN
 *
 * The MAC is computed over the header with the MAC zeroed; NOPs pad the
 * option to a 32-bit boundary, as upstream does.
 *
 * Return: the bytes of header the option takes, padding included.
 */
static inline unsigned int tcp_authopt_put_option(u8 *p, u8 keyid, u8 rnextkeyid, u8 maclen)
{
	unsigned int len = 4 + maclen;

	p[0] = TCPOPT_AUTHOPT;
	p[1] = len;
	p[2] = keyid;
	p[3] = rnextkeyid;
	memset(p + 4, 0, maclen);
	memset(p + len, TCPOPT_NOP, tcp_authopt_space(maclen) - len);
	return tcp_authopt_space(maclen);
}

/**
 * enum tcp_authopt_policy - how a connection is signed, fixed when it starts
 * @TCP_AUTHOPT_UNDECIDED: no connection yet (a new or listening socket);
 *	our SYN, or the peer's SYN for a request socket, decides
 * @TCP_AUTHOPT_NONE: no TCP-AO key matched the peer: stock TCP, with
 *	TCP-MD5 where the socket has an MD5 key for the peer
 * @TCP_AUTHOPT_AO: a TCP-AO key matched: every segment is signed and
 *	verified with TCP-AO until the connection ends; MD5 never applies
 *
 * Keys added or removed later never move a connection from one to the
 * other: its ISNs and its peer's expectations were fixed at the SYN.
 */
enum tcp_authopt_policy {
	TCP_AUTHOPT_UNDECIDED,
	TCP_AUTHOPT_NONE,
	TCP_AUTHOPT_AO,
};

#ifdef CONFIG_TCP_AUTHOPT
DECLARE_STATIC_KEY_FALSE(tcp_authopt_needed_key);
#define tcp_authopt_needed static_branch_unlikely(&tcp_authopt_needed_key)

/* Socket options and socket life (tcp_authopt.c, tcp_authopt_conn.c) */
int tcp_authopt_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			   unsigned int optlen);
int tcp_authopt_getsockopt(struct sock *sk, int optname, sockptr_t optval,
			   sockptr_t optlen, int len);
int tcp_authopt_init_sock(struct sock *sk);
void tcp_authopt_clear(struct sock *sk);
void tcp_authopt_forget(struct sock *sk);
void tcp_authopt_synced(struct sock *sk, const struct sk_buff *skb);

/* Request sockets, accepted sockets, TIME-WAIT */
void __tcp_authopt_req_init(const struct sock *listener, struct request_sock *req,
			    const struct sk_buff *skb);
int tcp_authopt_openreq_child(struct sock *newsk, const struct sock *listener,
			      const struct request_sock *req, const struct sk_buff *skb);
void tcp_authopt_time_wait(struct tcp_timewait_sock *tw, struct sock *sk);
void tcp_authopt_tw_destroy(struct tcp_timewait_sock *tw);

/**
 * tcp_authopt_req_init() - fix the policy of a request socket from its SYN
 * @listener: the listening socket
 * @req: the new request socket, its addresses and ir_iif set
 * @skb: the SYN
 *
 * Always called, so the request's fields are never left uninitialised.
 */
static inline void tcp_authopt_req_init(const struct sock *listener,
					struct request_sock *req,
					const struct sk_buff *skb)
{
	tcp_rsk(req)->ao_policy = TCP_AUTHOPT_NONE;
	tcp_rsk(req)->ao_peer_rnext_valid = false;
	if (tcp_authopt_needed)
		__tcp_authopt_req_init(listener, req, skb);
}

/**
 * tcp_authopt_cookie_req_init() - a request socket rebuilt from a SYN cookie
 * @req: the request socket
 *
 * The SYN is gone: the accepted socket decides its policy when created.
 */
static inline void tcp_authopt_cookie_req_init(struct request_sock *req)
{
	tcp_rsk(req)->ao_policy = TCP_AUTHOPT_UNDECIDED;
	tcp_rsk(req)->ao_peer_rnext_valid = false;
}

/* Output (tcp_authopt_output.c) */

/**
 * struct tcp_authopt_reply - how to sign a reply built without a full socket
 * @alg_id: &enum tcp_authopt_alg of the key
 * @exclude_opts: the key excludes TCP options from the MAC
 * @maclen: the key's MAC length
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
	u8 maclen;
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

struct tcp_authopt_key_info *tcp_authopt_select_key(struct sock *sk, u8 *keyid,
						    u8 *rnextkeyid, u8 *maclen);
int tcp_authopt_hash(struct sock *sk, struct sk_buff *skb,
		     const struct tcp_authopt_key_info *key, u8 *mac);
struct tcp_authopt_key_info *tcp_authopt_synack_key(const struct sock *sk,
						    const struct request_sock *req,
						    u8 *keyid, u8 *rnextkeyid, u8 *maclen);
int tcp_authopt_hash_synack(const struct request_sock *req, struct sk_buff *skb,
			    const struct tcp_authopt_key_info *key, u8 *mac);
int tcp_authopt_reply_prepare(const struct sock *sk, struct sk_buff *skb,
			      struct tcp_authopt_reply *r);
void tcp_authopt_reply_sign(struct tcp_authopt_reply *r, struct tcphdr *th, u8 *opt);

/* Input (tcp_authopt_input.c) */
enum skb_drop_reason tcp_authopt_inbound(struct sock *sk, struct request_sock *req,
					 struct sk_buff *skb, const void *saddr,
					 const void *daddr, int family, int dif, int sdif);
bool tcp_authopt_ignore_icmp(struct sock *sk, int family, int type, int code);

/* Upstream's ABI beside TCP-MD5 (tcp_authopt_uabi.c) */
int tcp_authopt_md5_check(const struct sock *sk, const union tcp_md5_addr *addr, int family,
			  int l3index);
int tcp_authopt_connect_check(struct sock *sk);
#else
static inline int tcp_authopt_md5_check(const struct sock *sk, const union tcp_md5_addr *addr,
					int family, int l3index)
{
	return 0;
}
#endif /* CONFIG_TCP_AUTHOPT */

/**
 * tcp_inbound_sig() - the one check of a segment's signature (TCP-AO or MD5)
 * @sk: full or listening socket (for a request socket: its listener)
 * @req: the request socket the segment is for, or NULL
 * @skb: the segment, TCP header at skb->data
 * @saddr: its source address
 * @daddr: its destination address
 * @family: AF_INET or AF_INET6
 * @dif: the device the segment came in on
 * @sdif: its L3 slave device, 0 without VRF
 *
 * Called before the segment can reach the socket backlog. Where TCP-AO
 * applies it decides alone; otherwise TCP-MD5 checks as it always did.
 *
 * Return: %SKB_NOT_DROPPED_YET or why to drop the segment (counted).
 */
static inline enum skb_drop_reason
tcp_inbound_sig(struct sock *sk, struct request_sock *req, struct sk_buff *skb,
		const void *saddr, const void *daddr, int family, int dif, int sdif)
{
#ifdef CONFIG_TCP_AUTHOPT
	if (tcp_authopt_needed)
		return tcp_authopt_inbound(sk, req, skb, saddr, daddr, family, dif, sdif);
#endif
	return tcp_inbound_md5_hash(sk, skb, saddr, daddr, family, dif, sdif);
}

#endif /* _NET_TCP_AUTHOPT_H */
