// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP-AO on the wire: the option (RFC 5925 2.2), the two directions of a
 * connection as the KDF context and the MAC pseudo-header see them
 * (RFC 5925 5.1, 5.2), for full, request and received segments.
 */
#include <linux/kernel.h>
#include <linux/ipv6.h>
#include <net/ipv6.h>
#include <net/tcp.h>
#include "tcp_authopt_priv.h"

/* Walk the options of @th: the TCP-AO option goes to *@ao (NULL if none),
 * and *@md5 tells whether an MD5 signature option is present.
 */
static int tcp_authopt_scan_options(const struct tcphdr *th, const u8 **ao, bool *md5)
{
	const u8 *opt = (const u8 *)(th + 1);
	int len = th->doff * 4 - (int)sizeof(*th);

	*ao = NULL;
	*md5 = false;
	while (len > 0) {
		u8 kind = opt[0], size;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			opt++;
			len--;
			continue;
		}
		if (len < 2)
			return -EINVAL;
		size = opt[1];
		if (size < 2 || size > len)
			return -EINVAL;
		if (kind == TCPOPT_AUTHOPT) {
			/* Any MAC length (RFC 5925 2.2): the key decides. */
			if (*ao || size <= 4)
				return -EINVAL;
			*ao = opt;
		} else if (kind == TCPOPT_MD5SIG) {
			*md5 = true;
		}
		opt += size;
		len -= size;
	}
	return 0;
}

/**
 * tcp_authopt_find_option() - find the TCP-AO option of a TCP header
 * @th: TCP header, followed by th->doff * 4 - 20 bytes of options
 *
 * Return: the option (kind, length, KeyID, RNextKeyID, MAC), NULL when
 * there is none, ERR_PTR(-EINVAL) when the options are malformed, the
 * TCP-AO option has no MAC, or TCP-AO appears twice. Whether its length
 * fits the key is the caller's to check.
 */
const u8 *tcp_authopt_find_option(const struct tcphdr *th)
{
	const u8 *ao;
	bool md5;

	if (tcp_authopt_scan_options(th, &ao, &md5))
		return ERR_PTR(-EINVAL);
	return ao;
}

/**
 * tcp_authopt_has_md5() - does a TCP header carry an MD5 signature option
 * @th: TCP header with well-formed options
 *
 * Return: true when it does.
 */
bool tcp_authopt_has_md5(const struct tcphdr *th)
{
	const u8 *ao;
	bool md5;

	return !tcp_authopt_scan_options(th, &ao, &md5) && md5;
}

/**
 * tcp_authopt_sk_is_v4() - does a socket talk IPv4
 * @sk: full or TIME-WAIT socket
 *
 * Return: true for IPv4 sockets and IPv6 sockets with a v4-mapped peer.
 */
bool tcp_authopt_sk_is_v4(const struct sock *sk)
{
	return sk->sk_family == AF_INET ||
	       ipv6_addr_v4mapped(&sk->sk_v6_daddr);
}

/**
 * tcp_authopt_flow_sk() - our direction of a full or TIME-WAIT socket
 * @sk: the socket
 * @f: output; we are the source
 *
 * The local port is the one on the wire: once a connection is closed
 * (a RST sent by tcp_close() or tcp_disconnect()), inet_num may already
 * be 0, inet_sport is not.
 */
void tcp_authopt_flow_sk(const struct sock *sk, struct tcp_authopt_flow *f)
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
	if (sk->sk_state == TCP_TIME_WAIT)
		f->sport = inet_twsk(sk)->tw_sport;
	else
		f->sport = inet_sk(sk)->inet_sport;
	f->dport = sk->sk_dport;
}

/**
 * tcp_authopt_flow_req() - our direction of a request socket
 * @req: the request socket
 * @f: output; we are the source
 */
void tcp_authopt_flow_req(const struct request_sock *req, struct tcp_authopt_flow *f)
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

/**
 * tcp_authopt_flow_skb() - the direction of a received segment
 * @skb: the segment, TCP header at its transport header
 * @f: output; the peer is the source
 */
void tcp_authopt_flow_skb(const struct sk_buff *skb, struct tcp_authopt_flow *f)
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

/**
 * tcp_authopt_flow_reverse() - the other direction
 * @f: the flow, reversed in place
 */
void tcp_authopt_flow_reverse(struct tcp_authopt_flow *f)
{
	swap(f->saddr, f->daddr);
	swap(f->sport, f->dport);
}

/**
 * tcp_authopt_conn_from_flow() - what keys are matched against, from a flow
 * @f: the flow
 * @local: the source of @f is us (else the peer)
 * @l3index: L3 master ifindex of the connection, 0 without VRF
 * @conn: output
 */
void tcp_authopt_conn_from_flow(const struct tcp_authopt_flow *f, bool local,
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

/**
 * tcp_authopt_flow_kdf() - traffic key of one direction (RFC 5925 5.2)
 * @key: the master key tuple
 * @f: the direction: its source is the KDF context's source
 * @sisn: ISN of the source
 * @disn: ISN of the destination, 0 for a SYN
 * @traffic_key: output
 *
 * Return: 0 or a negative errno.
 */
int tcp_authopt_flow_kdf(const struct tcp_authopt_key_info *key,
			 const struct tcp_authopt_flow *f, u32 sisn, u32 disn,
			 u8 *traffic_key)
{
	u8 ctx[TCP_AUTHOPT_MAX_CONTEXT_LEN];
	unsigned int len;

	len = tcp_authopt_kdf_context(ctx, f->family, &f->saddr, &f->daddr,
				      f->sport, f->dport, htonl(sisn), htonl(disn));
	return tcp_authopt_kdf(key->alg_id, key->key, key->keylen, ctx, len, traffic_key);
}

/**
 * tcp_authopt_flow_mac() - MAC of a segment travelling in direction @f
 * @key: the master key tuple (algorithm, options covered or not)
 * @tkey: the traffic key of that direction
 * @hs: its prepared HMAC state, or NULL
 * @sne: sequence number extension of the segment
 * @f: the direction, for the pseudo-header
 * @skb: the segment
 * @mac: output, the key's MAC length (the segment's option has as much room)
 *
 * Return: 0 or a negative errno.
 */
int tcp_authopt_flow_mac(const struct tcp_authopt_key_info *key, const u8 *tkey,
			 const struct tcp_authopt_hmac_state *hs, u32 sne,
			 const struct tcp_authopt_flow *f, struct sk_buff *skb, u8 *mac)
{
	return tcp_authopt_calc_mac(key->alg_id, tkey, hs,
				    key->flags & TCP_AUTHOPT_KEY_EXCLUDE_OPTS, sne,
				    f->family, &f->saddr, &f->daddr, skb, mac);
}
