// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Upstream Linux's TCP-AO socket options (6.7+), for daemons built for it,
 * on the same engine as ours: TCP_AO_ADD_KEY, TCP_AO_DEL_KEY and
 * TCP_AO_INFO. The option numbers 38-40 are ours too; upstream's structs
 * are told apart by their exact sizes, which none of ours has.
 *
 * Under upstream's ABI keys belong to the socket: they live in a private
 * key database hung off the socket's TCP-AO state, which the same lookup,
 * signing and verifying code reads instead of the namespace's. An accepted
 * socket gets copies of its listener's keys for its peer; a TIME-WAIT
 * socket keeps a reference. One socket uses one ABI.
 */
#define pr_fmt(fmt) "TCP: authopt: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <net/l3mdev.h>
#include <net/tcp.h>
#include "tcp_authopt_priv.h"

/**
 * tcp_authopt_uabi_alloc() - state of a socket under upstream's ABI
 * @gfp: allocation flags
 *
 * Return: the state with one reference and no key, or NULL.
 */
struct tcp_authopt_uabi *tcp_authopt_uabi_alloc(gfp_t gfp)
{
	struct tcp_authopt_uabi *u;

	u = tcp_authopt_should_fail() ? NULL : kzalloc(sizeof(*u), gfp);
	if (!u)
		return NULL;
	refcount_set(&u->refcnt, 1);
	/* A private database allocates nothing: this cannot fail. */
	tcp_authopt_keydb_init(&u->db, true);
	return u;
}

static void tcp_authopt_uabi_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct tcp_authopt_uabi, rcu));
}

/**
 * tcp_authopt_uabi_put() - drop a reference
 * @u: the state
 *
 * May run in softirq (a socket or TIME-WAIT socket freed there): the last
 * reference drops the keys without the database mutex, as nobody else can
 * reach them; RCU readers still walking them are covered by the grace
 * periods of the keys and of @u.
 */
void tcp_authopt_uabi_put(struct tcp_authopt_uabi *u)
{
	struct tcp_authopt_key_info *key;
	struct hlist_node *n;

	if (!refcount_dec_and_test(&u->refcnt))
		return;
	hlist_for_each_entry_safe(key, n, &u->db.head, node)
		tcp_authopt_key_put(key);
	call_rcu(&u->rcu, tcp_authopt_uabi_free_rcu);
}

/**
 * tcp_authopt_uabi_child() - an accepted socket's state under upstream's ABI
 * @newsk: the new socket
 * @info: its TCP-AO state, published on @newsk
 * @lu: the listener's
 *
 * Copies of the listener's keys that apply to the new connection, and its
 * settings. In softirq.
 *
 * Return: 0 or -ENOMEM (@info is freed with @newsk).
 */
int tcp_authopt_uabi_child(struct sock *newsk, struct tcp_authopt_info *info,
			   struct tcp_authopt_uabi *lu)
{
	struct tcp_authopt_flow flow;
	struct tcp_authopt_conn conn;
	struct tcp_authopt_uabi *u;

	u = tcp_authopt_uabi_alloc(GFP_ATOMIC);
	if (!u)
		return -ENOMEM;
	info->uabi = u;
	u->ao_required = READ_ONCE(lu->ao_required);
	u->accept_icmps = READ_ONCE(lu->accept_icmps);
	tcp_authopt_flow_sk(newsk, &flow);
	tcp_authopt_conn_from_flow(&flow, true,
				   l3mdev_master_ifindex_by_index(sock_net(newsk),
								  newsk->sk_bound_dev_if),
				   &conn);
	return tcp_authopt_keydb_copy(&u->db, &lu->db, &conn, GFP_ATOMIC);
}

/**
 * tcp_authopt_uabi_count() - a drop, in the socket's own counters
 * @u: the socket's state
 * @reason: why
 */
void tcp_authopt_uabi_count(struct tcp_authopt_uabi *u, enum skb_drop_reason reason)
{
	switch (reason) {
	case SKB_DROP_REASON_TCP_AUTHOPT_FAILURE:
		atomic64_inc(&u->pkt_bad);
		break;
	case SKB_DROP_REASON_TCP_AUTHOPT_KEYNOTFOUND:
	case SKB_DROP_REASON_TCP_AUTHOPT_UNEXPECTED:
		atomic64_inc(&u->key_not_found);
		break;
	case SKB_DROP_REASON_TCP_AUTHOPT_REQUIRED:
		atomic64_inc(&u->ao_required_drops);
		break;
	default:
		break;
	}
}

/**
 * tcp_authopt_uabi_size() - is this upstream's struct rather than ours
 * @optname: TCP_AO_ADD_KEY, TCP_AO_DEL_KEY or TCP_AO_INFO (38 to 40)
 * @optlen: the caller's buffer length
 *
 * Return: true for the exact size of upstream's struct for @optname.
 */
bool tcp_authopt_uabi_size(int optname, unsigned int optlen)
{
	switch (optname) {
	case TCP_AO_ADD_KEY:
		return optlen == sizeof(struct tcp_ao_add);
	case TCP_AO_DEL_KEY:
		return optlen == sizeof(struct tcp_ao_del);
	case TCP_AO_INFO:
		return optlen == sizeof(struct tcp_ao_info_opt);
	}
	return false;
}

/* The socket's state under upstream's ABI, created if @create and the
 * socket has none; the socket is locked.
 */
static struct tcp_authopt_info *tcp_authopt_uabi_info(struct sock *sk, bool create)
{
	struct tcp_authopt_info *info = tcp_authopt_info_locked(sk);
	struct tcp_authopt_uabi *u;

	if (info && info->uabi)
		return info;
	/* Our options used, or a connection already decided without it. */
	if (info && (info->explicit || info->policy != TCP_AUTHOPT_UNDECIDED))
		return ERR_PTR(-EBUSY);
	if (!create)
		return ERR_PTR(-ENOENT);
	/* A connection under way stays as it started, but one being
	 * restored in repair mode takes its keys now (upstream's restore
	 * adds them after connect(), before TCP_AO_REPAIR).
	 */
	if (!((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)) && !tcp_sk(sk)->repair)
		return ERR_PTR(-EINVAL);
	u = tcp_authopt_uabi_alloc(GFP_KERNEL);
	if (!u)
		return ERR_PTR(-ENOMEM);
	info = tcp_authopt_info_get_or_create(sk);
	if (IS_ERR(info)) {
		tcp_authopt_uabi_put(u);
		return info;
	}
	/* Upstream drops TCP-AO from peers it has no key for. */
	WRITE_ONCE(info->flags, info->flags | TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED);
	WRITE_ONCE(info->uabi, u);
	tcp_authopt_need();
	return info;
}

/* Our struct for a key of upstream's: address, prefix, VRF checked as
 * upstream does.
 */
static int tcp_authopt_uabi_key_opt(struct sock *sk, const struct sockaddr_storage *ss,
				    u8 prefix, s32 ifindex, u8 keyflags,
				    struct tcp_authopt_key *opt)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	struct in6_addr masked;
	__be32 a4 = 0;
	bool any, host_bits;
	unsigned int width;

	if (ss->ss_family == AF_INET) {
		width = 32;
		a4 = sin->sin_addr.s_addr;
		if (sin->sin_port)
			return -EINVAL;
	} else if (ss->ss_family == AF_INET6 && sk->sk_family == AF_INET6) {
		/* An IPv4-mapped address: an IPv4 peer, with an IPv4 prefix. */
		width = ipv6_addr_v4mapped(&sin6->sin6_addr) ? 32 : 128;
		a4 = sin6->sin6_addr.s6_addr32[3];
		if (sin6->sin6_port)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (prefix > width)
		return -EINVAL;
	if (width == 32) {
		any = !a4;
		host_bits = prefix < 32 && (a4 & ~htonl(prefix ? ~0U << (32 - prefix) : 0));
	} else {
		any = ipv6_addr_any(&sin6->sin6_addr);
		ipv6_addr_prefix(&masked, &sin6->sin6_addr, prefix);
		host_bits = !ipv6_addr_equal(&masked, &sin6->sin6_addr);
	}
	/* Prefix 0 is for any peer of the family, and only then; no bits past
	 * the prefix.
	 */
	if (any != !prefix || host_bits)
		return -EINVAL;
	if (ifindex && !(keyflags & TCP_AO_KEYF_IFINDEX))
		return -EINVAL;
	memset(opt, 0, sizeof(*opt));
	memcpy(&opt->addr, ss, sizeof(*ss));
	opt->flags = TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_PREFIXLEN;
	opt->prefixlen = prefix;
	if (keyflags & TCP_AO_KEYF_EXCLUDE_OPT)
		opt->flags |= TCP_AUTHOPT_KEY_EXCLUDE_OPTS;
	if (keyflags & TCP_AO_KEYF_IFINDEX) {
		opt->flags |= TCP_AUTHOPT_KEY_IFINDEX;
		opt->ifindex = ifindex;
	}
	return 0;
}

/* Is there a key with @send_id (>= 0) or @recv_id (>= 0) on the socket? */
static bool tcp_authopt_uabi_has_id(struct tcp_authopt_uabi *u, int send_id, int recv_id)
{
	struct tcp_authopt_key_info *key;
	bool found = false;

	mutex_lock(&u->db.mutex);
	hlist_for_each_entry(key, &u->db.head, node)
		if (key->send_id == send_id || key->recv_id == recv_id)
			found = true;
	mutex_unlock(&u->db.mutex);
	return found;
}

/* @id when it is in use on a connection or was set (@lock), else -1. */
static int tcp_authopt_uabi_id(const struct tcp_authopt_info *info, u32 lock, u8 id)
{
	if (info->policy != TCP_AUTHOPT_AO && !(info->flags & lock))
		return -1;
	return id;
}

/* Upstream's Current_key: the SendID signing, or set to; -1 for none. */
static int tcp_authopt_uabi_current(const struct tcp_authopt_info *info)
{
	return tcp_authopt_uabi_id(info, TCP_AUTHOPT_FLAG_LOCK_KEYID,
				   READ_ONCE(info->send_keyid));
}

/* Upstream's RNext_key: the RecvID asked for, or set to be; -1 for none. */
static int tcp_authopt_uabi_rnext(const struct tcp_authopt_info *info)
{
	return tcp_authopt_uabi_id(info, TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID,
				   READ_ONCE(info->send_rnextkeyid));
}

/* set_current / set_rnext: which key signs and which RNextKeyID goes out. */
static void tcp_authopt_uabi_select(struct tcp_authopt_info *info, bool set_current,
				    u8 send_id, bool set_rnext, u8 rnext)
{
	if (set_current) {
		WRITE_ONCE(info->send_keyid, send_id);
		WRITE_ONCE(info->flags, info->flags | TCP_AUTHOPT_FLAG_LOCK_KEYID);
	}
	if (set_rnext) {
		WRITE_ONCE(info->send_rnextkeyid, rnext);
		WRITE_ONCE(info->flags, info->flags | TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID);
	}
}

/* A socket that has a peer takes no key for another one, nor once it is
 * connected a key for a VRF it is not bound to (upstream's EINVAL): such a
 * key could never sign or verify its segments.
 */
static bool tcp_authopt_uabi_other_peer(const struct sock *sk,
					const struct tcp_authopt_key_info *key, int ifindex)
{
	struct tcp_authopt_flow f;

	if (ifindex && READ_ONCE(sk->sk_bound_dev_if) != ifindex &&
	    !((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		return true;
	tcp_authopt_flow_sk(sk, &f);
	if (f.family == AF_INET ? !f.daddr.v4.s_addr : ipv6_addr_any(&f.daddr.v6))
		return false;
	return !tcp_authopt_key_admits(key, f.family, &f.daddr);
}

/* Has the socket a TCP-MD5 key for the address of @key (socket locked)?
 * A TCP-AO key bound to no VRF conflicts with MD5 keys in any: 6.1 has no
 * lookup across L3 domains, so each VRF an MD5 key is bound to is asked.
 */
static bool tcp_authopt_uabi_md5_for(const struct sock *sk,
				     const struct tcp_authopt_key_info *key)
{
#ifdef CONFIG_TCP_MD5SIG
	const struct tcp_md5sig_info *md5sig;
	const union tcp_md5_addr *addr;
	struct tcp_md5sig_key *k;

	if (key->addr.family == AF_INET6)
		addr = (const union tcp_md5_addr *)&key->addr.sin6.sin6_addr;
	else
		addr = (const union tcp_md5_addr *)&key->addr.sin.sin_addr;
	if (key->flags & TCP_AUTHOPT_KEY_IFINDEX)
		return tcp_md5_do_lookup(sk, key->l3index, addr, key->addr.family);
	if (tcp_md5_do_lookup(sk, 0, addr, key->addr.family))
		return true;
	md5sig = rcu_dereference_protected(tcp_sk(sk)->md5sig_info, lockdep_sock_is_held(sk));
	if (!md5sig)
		return false;
	hlist_for_each_entry(k, &md5sig->head, node)
		if ((k->flags & TCP_MD5SIG_FLAG_IFINDEX) &&
		    tcp_md5_do_lookup(sk, k->l3index, addr, key->addr.family))
			return true;
	return false;
#else
	return false;
#endif
}

/* Has the socket any TCP-MD5 key (socket locked)? */
static bool tcp_authopt_uabi_any_md5(const struct sock *sk)
{
#ifdef CONFIG_TCP_MD5SIG
	const struct tcp_md5sig_info *md5sig;

	md5sig = rcu_dereference_protected(tcp_sk(sk)->md5sig_info, lockdep_sock_is_held(sk));
	return md5sig && !hlist_empty(&md5sig->head);
#else
	return false;
#endif
}

static int tcp_authopt_uabi_add(struct sock *sk, sockptr_t optval)
{
	struct tcp_authopt_key_info *key;
	struct tcp_authopt_info *info;
	struct tcp_authopt_key opt;
	struct tcp_ao_add cmd;
	int alg, err;

	if (copy_from_sockptr(&cmd, optval, sizeof(cmd)))
		return -EFAULT;
	err = -EINVAL;
	if (cmd.reserved || cmd.reserved2 || cmd.keylen > TCP_AO_MAXKEYLEN ||
	    (cmd.keyflags & ~(TCP_AO_KEYF_IFINDEX | TCP_AO_KEYF_EXCLUDE_OPT)))
		goto out_wipe;
	/* 0 is RFC 5925's usual 96 bits. A SYN must have room for the option
	 * beside MSS, timestamps and window scale, as upstream requires.
	 */
	if (!cmd.maclen)
		cmd.maclen = TCP_AUTHOPT_MACLEN;
	err = -EMSGSIZE;
	if (cmd.maclen > TCP_AUTHOPT_MAX_MACLEN)
		goto out_wipe;
	err = -EINVAL;
	cmd.alg_name[sizeof(cmd.alg_name) - 1] = '\0';
	alg = tcp_authopt_alg_by_name(cmd.alg_name);
	if (alg < 0) {
		err = alg;
		goto out_wipe;
	}
	/* The MAC is a prefix of one digest (as long as a traffic key). */
	if (cmd.maclen > tcp_authopt_traffic_keylen(alg))
		goto out_wipe;
	/* The crypto API's "cmac(aes)": no RFC 5926 key reduction there. */
	if (!strcmp(cmd.alg_name, "cmac(aes)") && cmd.keylen != 16)
		goto out_wipe;
	if ((cmd.set_current || cmd.set_rnext) && sk->sk_state == TCP_LISTEN)
		goto out_wipe;
	err = tcp_authopt_uabi_key_opt(sk, &cmd.addr, cmd.prefix, cmd.ifindex, cmd.keyflags,
				       &opt);
	if (err)
		goto out_wipe;
	opt.send_id = cmd.sndid;
	opt.recv_id = cmd.rcvid;
	/* Our struct knows RFC 5926's two algorithms only: the key gets its
	 * own below.
	 */
	opt.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96;
	opt.keylen = cmd.keylen;
	memcpy(opt.key, cmd.key, cmd.keylen);
	key = tcp_authopt_key_from_opt(sock_net(sk), &opt, sizeof(opt));
	memzero_explicit(opt.key, sizeof(opt.key));
	memzero_explicit(cmd.key, sizeof(cmd.key));
	if (IS_ERR(key))
		return PTR_ERR(key);
	key->alg_id = alg;
	key->maclen = cmd.maclen;
	key->counted = true;
	err = -EINVAL;
	if (tcp_authopt_uabi_other_peer(sk, key,
					cmd.keyflags & TCP_AO_KEYF_IFINDEX ? cmd.ifindex : 0))
		goto out_put;
	err = tcp_authopt_crypto_init() ?: tcp_authopt_crypto_init_alg(alg);
	if (err)
		goto out_put;

	sockopt_lock_sock(sk);
	info = tcp_authopt_uabi_info(sk, true);
	if (IS_ERR(info)) {
		err = PTR_ERR(info);
	} else if (tcp_authopt_uabi_md5_for(sk, key)) {
		/* TCP-MD5 and TCP-AO for one peer: which one would apply? */
		err = -EKEYREJECTED;
	} else if ((info->uabi->db.count + 1) * sizeof(*key) >
		   READ_ONCE(sysctl_optmem_max)) {
		/* Any user may add keys to its sockets: as upstream, no more
		 * than net.core.optmem_max bytes of them per socket.
		 */
		err = -ENOMEM;
	} else {
		err = tcp_authopt_keydb_insert(&info->uabi->db, key);
		if (!err) {
			key = NULL;
			tcp_authopt_uabi_select(info, cmd.set_current, cmd.sndid,
						cmd.set_rnext, cmd.rcvid);
		}
	}
	sockopt_release_sock(sk);
out_put:
	tcp_authopt_key_put(key);
	return err;
out_wipe:
	memzero_explicit(cmd.key, sizeof(cmd.key));
	return err;
}

static int tcp_authopt_uabi_del(struct sock *sk, sockptr_t optval)
{
	struct tcp_authopt_key_info *ident;
	struct tcp_authopt_info *info;
	struct tcp_authopt_key opt;
	struct tcp_ao_del cmd;
	int err;

	if (copy_from_sockptr(&cmd, optval, sizeof(cmd)))
		return -EFAULT;
	if (cmd.reserved || cmd.reserved2 || (cmd.keyflags & ~TCP_AO_KEYF_IFINDEX))
		return -EINVAL;
	if ((cmd.set_current || cmd.set_rnext) && sk->sk_state == TCP_LISTEN)
		return -EINVAL;
	if (cmd.del_async && sk->sk_state != TCP_LISTEN)
		return -EINVAL;
	err = tcp_authopt_uabi_key_opt(sk, &cmd.addr, cmd.prefix, cmd.ifindex, cmd.keyflags,
				       &opt);
	if (err)
		return err;
	opt.flags |= TCP_AUTHOPT_KEY_DEL;
	opt.send_id = cmd.sndid;
	opt.recv_id = cmd.rcvid;
	ident = tcp_authopt_key_from_opt(sock_net(sk), &opt, sizeof(opt));
	if (IS_ERR(ident))
		return PTR_ERR(ident);

	sockopt_lock_sock(sk);
	info = tcp_authopt_uabi_info(sk, false);
	if (IS_ERR(info)) {
		err = PTR_ERR(info);
		goto out;
	}
	/* The keys to use next must exist, and not be the one going away. */
	err = -ENOENT;
	if ((cmd.set_current && (cmd.current_key == cmd.sndid ||
				 !tcp_authopt_uabi_has_id(info->uabi, cmd.current_key, -1))) ||
	    (cmd.set_rnext && (cmd.rnext == cmd.rcvid ||
			       !tcp_authopt_uabi_has_id(info->uabi, -1, cmd.rnext))))
		goto out;
	/* The current and RNext keys stay (RFC 5925: an MKT in use is not
	 * destroyed), unless others are named in the same call.
	 */
	err = -EBUSY;
	if ((cmd.set_current ? cmd.current_key : tcp_authopt_uabi_current(info)) == cmd.sndid ||
	    (cmd.set_rnext ? cmd.rnext : tcp_authopt_uabi_rnext(info)) == cmd.rcvid)
		goto out;
	tcp_authopt_uabi_select(info, cmd.set_current, cmd.current_key, cmd.set_rnext, cmd.rnext);
	err = tcp_authopt_keydb_del(&info->uabi->db, ident);
out:
	sockopt_release_sock(sk);
	tcp_authopt_key_put(ident);
	return err;
}

static int tcp_authopt_uabi_set_info(struct sock *sk, sockptr_t optval)
{
	struct tcp_authopt_info *info;
	struct tcp_ao_info_opt cmd;
	struct tcp_authopt_uabi *u;
	int err = 0;

	if (copy_from_sockptr(&cmd, optval, sizeof(cmd)))
		return -EFAULT;
	if (cmd.reserved || cmd.reserved2)
		return -EINVAL;
	if ((cmd.set_current || cmd.set_rnext) && sk->sk_state == TCP_LISTEN)
		return -EINVAL;

	sockopt_lock_sock(sk);
	info = tcp_authopt_uabi_info(sk, true);
	if (IS_ERR(info)) {
		err = PTR_ERR(info);
		goto out;
	}
	u = info->uabi;
	/* TCP-AO for every peer leaves none to the socket's TCP-MD5 keys. */
	if (cmd.ao_required && tcp_authopt_uabi_any_md5(sk)) {
		err = -EKEYREJECTED;
		goto out;
	}
	if ((cmd.set_current && !tcp_authopt_uabi_has_id(u, cmd.current_key, -1)) ||
	    (cmd.set_rnext && !tcp_authopt_uabi_has_id(u, -1, cmd.rnext))) {
		err = -ENOENT;
		goto out;
	}
	if (cmd.set_counters) {
		atomic64_set(&u->pkt_good, cmd.pkt_good);
		atomic64_set(&u->pkt_bad, cmd.pkt_bad);
		atomic64_set(&u->key_not_found, cmd.pkt_key_not_found);
		atomic64_set(&u->ao_required_drops, cmd.pkt_ao_required);
		atomic64_set(&u->dropped_icmp, cmd.pkt_dropped_icmp);
	}
	WRITE_ONCE(u->ao_required, cmd.ao_required);
	WRITE_ONCE(u->accept_icmps, cmd.accept_icmps);
	tcp_authopt_uabi_select(info, cmd.set_current, cmd.current_key, cmd.set_rnext, cmd.rnext);
out:
	sockopt_release_sock(sk);
	return err;
}

/* TCP_AO_REPAIR is for a socket in repair mode, not a listener, with
 * upstream's state; the socket is locked.
 */
static struct tcp_authopt_info *tcp_authopt_uabi_repair_info(struct sock *sk)
{
	if (!tcp_sk(sk)->repair || sk->sk_state == TCP_LISTEN ||
	    !sockopt_ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN))
		return ERR_PTR(-EPERM);
	return tcp_authopt_uabi_info(sk, false);
}

/* Upstream's ISNs and SNEs: the SNEs are those of the queue ends, which
 * TCP_QUEUE_SEQ set before.
 */
static int tcp_authopt_uabi_set_repair(struct sock *sk, sockptr_t optval, unsigned int optlen)
{
	struct tcp_authopt_info *info;
	struct tcp_ao_repair cmd;
	struct tcp_sock *tp;

	if (optlen < sizeof(cmd))
		return -EINVAL;
	if (copy_from_sockptr(&cmd, optval, sizeof(cmd)))
		return -EFAULT;
	sockopt_lock_sock(sk);
	tp = tcp_sk(sk);
	info = tcp_authopt_uabi_repair_info(sk);
	if (!IS_ERR(info)) {
		tcp_authopt_set_isns(info, ntohl(cmd.snt_isn), ntohl(cmd.rcv_isn),
				     (u64)cmd.snd_sne << 32 | tp->snd_nxt,
				     (u64)cmd.rcv_sne << 32 | tp->rcv_nxt);
		/* As for TCP_REPAIR_AUTHOPT: decided at the first segment. */
		if (info->policy != TCP_AUTHOPT_AO)
			WRITE_ONCE(info->policy, TCP_AUTHOPT_UNDECIDED);
	}
	sockopt_release_sock(sk);
	return PTR_ERR_OR_ZERO(info);
}

static int tcp_authopt_uabi_get_repair(struct sock *sk, sockptr_t optval, sockptr_t optlen,
				       int len)
{
	struct tcp_authopt_info *info;
	struct tcp_ao_repair out;
	struct tcp_sock *tp;

	if (len < sizeof(out))
		return -EINVAL;
	memset(&out, 0, sizeof(out));
	sockopt_lock_sock(sk);
	tp = tcp_sk(sk);
	info = tcp_authopt_uabi_repair_info(sk);
	if (!IS_ERR(info)) {
		out.snt_isn = htonl(info->src_isn);
		out.rcv_isn = htonl(info->dst_isn);
		out.snd_sne = tcp_authopt_ext_seq(atomic64_read(&info->snd_ext),
						  tp->snd_nxt) >> 32;
		out.rcv_sne = tcp_authopt_ext_seq(atomic64_read(&info->rcv_ext),
						  tp->rcv_nxt) >> 32;
	}
	sockopt_release_sock(sk);
	if (IS_ERR(info))
		return PTR_ERR(info);
	len = sizeof(out);
	if (copy_to_sockptr(optlen, &len, sizeof(len)) || copy_to_sockptr(optval, &out, len))
		return -EFAULT;
	return 0;
}

/**
 * tcp_authopt_uabi_setsockopt() - upstream's TCP_AO_ADD_KEY/DEL_KEY/INFO/REPAIR
 * @sk: socket
 * @optname: TCP_AO_REPAIR, or an option whose struct's size
 *	tcp_authopt_uabi_size() checked
 * @optval: user buffer
 * @optlen: its length
 *
 * Return: 0 or a negative errno as upstream gives; -EBUSY on a socket
 * that uses our options.
 */
int tcp_authopt_uabi_setsockopt(struct sock *sk, int optname, sockptr_t optval,
				unsigned int optlen)
{
	switch (optname) {
	case TCP_AO_ADD_KEY:
		return tcp_authopt_uabi_add(sk, optval);
	case TCP_AO_DEL_KEY:
		return tcp_authopt_uabi_del(sk, optval);
	case TCP_AO_INFO:
		return tcp_authopt_uabi_set_info(sk, optval);
	case TCP_AO_REPAIR:
		return tcp_authopt_uabi_set_repair(sk, optval, optlen);
	}
	return -ENOPROTOOPT;
}

/**
 * tcp_authopt_md5_check() - may a socket take a TCP-MD5 key for a peer
 * @sk: socket, locked (TCP_MD5SIG)
 * @addr: the MD5 key's address
 * @family: AF_INET or AF_INET6
 * @l3index: its L3 domain, or -1 for a key not bound to one
 *
 * A socket with upstream's TCP-AO keys refuses a TCP-MD5 key for a peer
 * one of them covers, or for any peer under ao_required, as upstream: one
 * peer never has both. Keys of our ABI are the namespace's and TCP-AO
 * simply wins over MD5 for their peers.
 *
 * Return: 0 or -EKEYREJECTED.
 */
int tcp_authopt_md5_check(const struct sock *sk, const union tcp_md5_addr *addr, int family,
			  int l3index)
{
	struct tcp_authopt_info *info = tcp_authopt_info_locked(sk);

	if (!info || !info->uabi)
		return 0;
	if (READ_ONCE(info->uabi->ao_required) ||
	    tcp_authopt_keydb_covers(&info->uabi->db, family, addr, l3index))
		return -EKEYREJECTED;
	return 0;
}

/* Upstream's Current_key and RNext_key when none was set: the key added
 * last of those for the peer (applications may depend on that choice).
 */
static void tcp_authopt_uabi_default_keys(struct tcp_authopt_info *info,
					  const struct tcp_authopt_keyset *ks)
{
	struct tcp_authopt_key_info *key, *newest = NULL;
	unsigned int i;

	if ((info->flags & TCP_AUTHOPT_FLAG_LOCK_KEYID) &&
	    (info->flags & TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID))
		return;
	mutex_lock(&info->uabi->db.mutex);
	/* Newest first: keys are added at the head. */
	hlist_for_each_entry(key, &info->uabi->db.head, node) {
		for (i = 0; i < ks->n && !newest; i++)
			if (ks->keys[i] == key)
				newest = key;
		if (newest)
			break;
	}
	mutex_unlock(&info->uabi->db.mutex);
	if (newest)
		tcp_authopt_uabi_select(info, !(info->flags & TCP_AUTHOPT_FLAG_LOCK_KEYID),
					newest->send_id,
					!(info->flags & TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID),
					newest->recv_id);
}

/**
 * tcp_authopt_uabi_rnext_request() - the peer asks for another send key
 * @info: state of a full socket using upstream's ABI
 * @keys: the keys that apply to its connection
 * @n: their number
 * @rnext: the RNextKeyID of a segment that verified
 *
 * As upstream does, the key the peer names becomes the current key when
 * the socket has one, even one set with TCP_AO_INFO since.
 */
void tcp_authopt_uabi_rnext_request(struct tcp_authopt_info *info,
				    struct tcp_authopt_key_info * const *keys, unsigned int n,
				    u8 rnext)
{
	/* Without a current key the peer's request decides anyway. */
	if (!(READ_ONCE(info->flags) & TCP_AUTHOPT_FLAG_LOCK_KEYID) ||
	    READ_ONCE(info->send_keyid) == rnext)
		return;
	if (tcp_authopt_send_key(keys, n, rnext))
		WRITE_ONCE(info->send_keyid, rnext);
}

/**
 * tcp_authopt_connect_check() - upstream's rules for connect()
 * @sk: socket, locked, its addresses set
 *
 * A socket with upstream's TCP-AO state connects only where exactly one
 * of TCP-AO and TCP-MD5 applies: a peer with both (or an MD5 key under
 * ao_required) is ambiguous, and a peer with neither would get an
 * unsigned connection from a socket set up for TCP-AO. A peer with an MD5
 * key only gets TCP-MD5. Keys for other peers are deleted; current and
 * RNext keys not set by then are the key added last.
 *
 * Return: 0 or -EKEYREJECTED (or -ENOMEM).
 */
int tcp_authopt_connect_check(struct sock *sk)
{
	struct tcp_authopt_info *info = tcp_authopt_info_locked(sk);
	struct tcp_authopt_keyset *ks;
	struct tcp_authopt_conn conn;
	struct tcp_authopt_flow f;
	bool md5 = false;

	if (!info || !info->uabi)
		return 0;
#ifdef CONFIG_TCP_MD5SIG
	md5 = tcp_sk(sk)->af_specific->md5_lookup(sk, sk);
#endif
	ks = tcp_authopt_keyset_locked(sk, info);
	if (IS_ERR(ks))
		return PTR_ERR(ks);
	if (md5)
		return ks->n || READ_ONCE(info->uabi->ao_required) ? -EKEYREJECTED : 0;
	if (!ks->n)
		return -EKEYREJECTED;
	/* As upstream: the keys for other peers go, they can never apply. */
	tcp_authopt_flow_sk(sk, &f);
	tcp_authopt_conn_from_flow(&f, true, tcp_authopt_sk_l3index(sk), &conn);
	tcp_authopt_keydb_retain(&info->uabi->db, &conn);
	ks = tcp_authopt_keyset_locked(sk, info);
	if (IS_ERR(ks))
		return PTR_ERR(ks);
	tcp_authopt_uabi_default_keys(info, ks);
	return 0;
}

/* Does @key pass the filter of a TCP_AO_GET_KEYS request? */
static bool tcp_authopt_uabi_key_listed(const struct tcp_authopt_info *info,
					const struct tcp_authopt_key_info *key,
					const struct tcp_ao_getsockopt *in,
					const struct tcp_authopt_key_info *ident)
{
	bool cur = key->send_id == tcp_authopt_uabi_current(info);
	bool rnext = key->recv_id == tcp_authopt_uabi_rnext(info);

	if (in->get_all)
		return true;
	if (in->is_current || in->is_rnext)
		return (in->is_current && cur) || (in->is_rnext && rnext);
	if (key->send_id != in->sndid || key->recv_id != in->rcvid)
		return false;
	if (ident->l3index != key->l3index && (in->keyflags & TCP_AO_KEYF_IFINDEX))
		return false;
	return key->addr.family == ident->addr.family &&
	       key->prefixlen == ident->prefixlen &&
	       !memcmp(&key->addr, &ident->addr, sizeof(key->addr));
}

static void tcp_authopt_uabi_key_out(const struct tcp_authopt_info *info,
				     const struct tcp_authopt_key_info *key,
				     struct tcp_ao_getsockopt *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(&out->addr, &key->addr, sizeof(key->addr));
	/* The crypto API's names, as upstream reports them. */
	strscpy(out->alg_name, tcp_authopt_alg_name(key->alg_id), sizeof(out->alg_name));
	out->sndid = key->send_id;
	out->rcvid = key->recv_id;
	out->prefix = key->prefixlen;
	out->maclen = key->maclen;
	/* As upstream: the socket's owner installed the key and reads it
	 * back. Upstream keeps an AES-128-CMAC key of another length than
	 * 16 reduced to 16 bytes (RFC 5926 3.1.1.2) and reports that; the
	 * reduced bytes are not kept here, so they read as zeros.
	 */
	if (key->alg_id == TCP_AUTHOPT_ALG_AES_128_CMAC_96 && key->keylen != 16) {
		out->keylen = 16;
	} else {
		out->keylen = key->keylen;
		memcpy(out->key, key->key, key->keylen);
	}
	if (key->flags & TCP_AUTHOPT_KEY_EXCLUDE_OPTS)
		out->keyflags |= TCP_AO_KEYF_EXCLUDE_OPT;
	if (key->flags & TCP_AUTHOPT_KEY_IFINDEX)
		out->keyflags |= TCP_AO_KEYF_IFINDEX;
	out->ifindex = key->l3index;
	out->is_current = key->send_id == tcp_authopt_uabi_current(info);
	out->is_rnext = key->recv_id == tcp_authopt_uabi_rnext(info);
	out->pkt_good = atomic64_read(&key->pkt_good);
	out->pkt_bad = atomic64_read(&key->pkt_bad);
}

/* TCP_AO_GET_KEYS: an array of structs of @len bytes each, the first one
 * the filter.
 */
/* Check a TCP_AO_GET_KEYS filter; *@ident is the key it names, if any. */
static int tcp_authopt_uabi_get_filter(struct sock *sk, const struct tcp_ao_getsockopt *in,
				       struct tcp_authopt_key *opt,
				       struct tcp_authopt_key_info **ident)
{
	int err;

	*ident = NULL;
	if (in->pkt_good || in->pkt_bad || in->reserved ||
	    (in->keyflags & ~TCP_AO_KEYF_IFINDEX) ||
	    (in->ifindex && !(in->keyflags & TCP_AO_KEYF_IFINDEX)) ||
	    (in->get_all && (in->is_current || in->is_rnext)))
		return -EINVAL;
	if (in->get_all || in->is_current || in->is_rnext) {
		if (in->addr.ss_family || in->prefix || in->sndid || in->rcvid)
			return -EINVAL;
		return 0;
	}
	if (in->addr.ss_family != AF_INET && in->addr.ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	err = tcp_authopt_uabi_key_opt(sk, &in->addr, in->prefix, in->ifindex, in->keyflags, opt);
	if (err)
		return err;
	opt->flags |= TCP_AUTHOPT_KEY_DEL;
	*ident = tcp_authopt_key_from_opt(sock_net(sk), opt, sizeof(*opt));
	if (IS_ERR(*ident)) {
		err = PTR_ERR(*ident);
		*ident = NULL;
	}
	return err;
}

static int tcp_authopt_uabi_get_keys(struct sock *sk, sockptr_t optval, sockptr_t optlen,
				     int len)
{
	struct tcp_authopt_key_info *key, *ident = NULL;
	struct tcp_authopt_info *info;
	/* Too large for the stack together. */
	struct {
		struct tcp_ao_getsockopt in, out;
		struct tcp_authopt_key opt;
	} *b;
	u32 matched = 0;
	size_t off = 0;
	int err;

	if (len <= 0)
		return -EINVAL;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	err = -EFAULT;
	if (copy_from_sockptr(&b->in, optval, min_t(int, len, sizeof(b->in))))
		goto out_free;

	sockopt_lock_sock(sk);
	/* A socket without upstream's keys says so whatever it was asked. */
	info = tcp_authopt_uabi_info(sk, false);
	if (IS_ERR(info)) {
		err = PTR_ERR(info);
		goto out;
	}
	err = tcp_authopt_uabi_get_filter(sk, &b->in, &b->opt, &ident);
	if (err)
		goto out;
	err = 0;
	mutex_lock(&info->uabi->db.mutex);
	hlist_for_each_entry(key, &info->uabi->db.head, node) {
		if (!tcp_authopt_uabi_key_listed(info, key, &b->in, ident))
			continue;
		if (++matched > b->in.nkeys)
			continue;
		tcp_authopt_uabi_key_out(info, key, &b->out);
		if (copy_to_sockptr_offset(optval, off, &b->out,
					   min_t(int, len, sizeof(b->out)))) {
			err = -EFAULT;
			break;
		}
		off += len;
	}
	mutex_unlock(&info->uabi->db.mutex);
out:
	sockopt_release_sock(sk);
	tcp_authopt_key_put(ident);
	if (!err) {
		len = sizeof(struct tcp_ao_getsockopt);
		if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
		    copy_to_sockptr_offset(optval, offsetof(struct tcp_ao_getsockopt, nkeys),
					   &matched, sizeof(matched)))
			err = -EFAULT;
	}
out_free:
	kfree_sensitive(b);
	return err;
}

/**
 * tcp_authopt_uabi_getsockopt() - upstream's TCP_AO_INFO, GET_KEYS, REPAIR
 * @sk: socket
 * @optname: TCP_AO_INFO, TCP_AO_GET_KEYS or TCP_AO_REPAIR
 * @optval: user buffer
 * @optlen: user length, updated
 * @len: the length the user passed
 *
 * Return: 0 or a negative errno; -ENOENT without upstream's state.
 */
int tcp_authopt_uabi_getsockopt(struct sock *sk, int optname, sockptr_t optval,
				sockptr_t optlen, int len)
{
	struct tcp_authopt_info *info;
	struct tcp_ao_info_opt out;
	struct tcp_authopt_uabi *u;
	int err = 0, cur, rnext;

	if (optname == TCP_AO_GET_KEYS)
		return tcp_authopt_uabi_get_keys(sk, optval, optlen, len);
	if (optname == TCP_AO_REPAIR)
		return tcp_authopt_uabi_get_repair(sk, optval, optlen, len);
	if (optname != TCP_AO_INFO)
		return -ENOPROTOOPT;
	memset(&out, 0, sizeof(out));
	sockopt_lock_sock(sk);
	info = tcp_authopt_uabi_info(sk, false);
	if (IS_ERR(info)) {
		err = PTR_ERR(info);
		goto out;
	}
	u = info->uabi;
	/* The keys in use, or those set for the connection to come. */
	cur = tcp_authopt_uabi_current(info);
	rnext = tcp_authopt_uabi_rnext(info);
	out.set_current = cur >= 0;
	out.current_key = cur >= 0 ? cur : 0;
	out.set_rnext = rnext >= 0;
	out.rnext = rnext >= 0 ? rnext : 0;
	out.ao_required = READ_ONCE(u->ao_required);
	out.accept_icmps = READ_ONCE(u->accept_icmps);
	out.pkt_good = atomic64_read(&u->pkt_good);
	out.pkt_bad = atomic64_read(&u->pkt_bad);
	out.pkt_key_not_found = atomic64_read(&u->key_not_found);
	out.pkt_ao_required = atomic64_read(&u->ao_required_drops);
	out.pkt_dropped_icmp = atomic64_read(&u->dropped_icmp);
out:
	sockopt_release_sock(sk);
	if (err)
		return err;
	len = min_t(int, len, sizeof(out));
	if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
	    copy_to_sockptr(optval, &out, len))
		return -EFAULT;
	return 0;
}
