// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP Authentication Option (RFC 5925): the per network namespace key
 * database, the socket options that manage it, the net.ipv4.tcp_authopt
 * sysctls and /proc/net/tcp_authopt.
 *
 * Keys (MKTs) belong to the namespace, not to a socket: every socket of the
 * namespace sees them. Readers on the packet path look keys up under RCU
 * and retry a lookup that overlapped a change (a seqcount), so a key being
 * replaced is always seen, old or new. Writers serialise on a mutex.
 *
 * A route server has thousands of peers, each with keys for its address
 * alone: those keys are hashed by address, so a lookup, an add or a delete
 * costs the same with one key or 65,536. Prefix and unbound keys, few in
 * practice, are kept apart in a list that every lookup also walks. A key
 * for one address never ties in specificity with a prefix or unbound key,
 * so the RFC 5925 ambiguity check of an add only looks at its own kind.
 */
#define pr_fmt(fmt) "TCP: authopt: " fmt

#include <linux/kernel.h>
/* After kernel.h: without CONFIG_FAULT_INJECTION it includes nothing itself. */
#include <linux/fault-inject.h>
#include <linux/jhash.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/rhashtable.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/sysctl.h>
#include <linux/ipv6.h>
#include <net/ipv6.h>
#include <net/l3mdev.h>
#include <net/netns/generic.h>
#include <net/sock.h>
#include <net/tcp.h>
#include "tcp_authopt_priv.h"

struct tcp_authopt_net {
	struct tcp_authopt_keydb db;
	/* net.ipv4.tcp_authopt_all_sockets: new TCP sockets take part. */
	int all_sockets;
	struct ctl_table_header *sysctl_hdr;
};

/* Off until something takes part: TCP then looks for TCP-AO state. */
DEFINE_STATIC_KEY_FALSE(tcp_authopt_needed_key);
EXPORT_SYMBOL_GPL(tcp_authopt_needed_key);

/* net.ipv4.tcp_authopt: one switch for the host, 0 until enabled, then 1. */
static int sysctl_tcp_authopt __read_mostly;
static unsigned int tcp_authopt_net_id __read_mostly;
/* Own caches: /proc/slabinfo then counts exactly our objects (leak checks). */
static struct kmem_cache *tcp_authopt_key_cache __read_mostly;
static struct kmem_cache *tcp_authopt_info_cache __read_mostly;

static struct tcp_authopt_net *tcp_authopt_net(const struct net *net)
{
	return net_generic(net, tcp_authopt_net_id);
}

/**
 * tcp_authopt_net_db() - the key database of a network namespace
 * @net: network namespace
 *
 * Return: the database; valid while @net is.
 */
struct tcp_authopt_keydb *tcp_authopt_net_db(const struct net *net)
{
	return &tcp_authopt_net(net)->db;
}

/**
 * tcp_authopt_net_all_sockets() - is the netns-wide mode on
 * @net: network namespace
 *
 * Return: true when every new TCP socket of @net takes part.
 */
bool tcp_authopt_net_all_sockets(const struct net *net)
{
	return READ_ONCE(tcp_authopt_net(net)->all_sockets);
}

static bool tcp_authopt_enabled(void)
{
	return READ_ONCE(sysctl_tcp_authopt);
}

/**
 * tcp_authopt_need() - from now on the TCP hooks look for TCP-AO state
 *
 * Called once something took part successfully; enabling a static key is
 * expensive, so only the first call does it.
 */
void tcp_authopt_need(void)
{
	if (!static_key_enabled(&tcp_authopt_needed_key.key))
		static_branch_enable(&tcp_authopt_needed_key);
}

/* Key database */

static const struct rhashtable_params tcp_authopt_peer_params = {
	.head_offset = offsetof(struct tcp_authopt_key_info, hnode),
	.key_offset = offsetof(struct tcp_authopt_key_info, peer),
	.key_len = sizeof(struct tcp_authopt_peer),
	.automatic_shrinking = true,
};

/**
 * tcp_authopt_keydb_init() - initialise an empty key database
 * @db: database
 * @private: one socket's keys: no table, nothing allocated (cannot fail)
 *
 * Return: 0 or -ENOMEM.
 */
int tcp_authopt_keydb_init(struct tcp_authopt_keydb *db, bool private)
{
	int err;

	INIT_HLIST_HEAD(&db->head);
	INIT_HLIST_HEAD(&db->wide);
	mutex_init(&db->mutex);
	spin_lock_init(&db->lock);
	seqcount_spinlock_init(&db->seq, &db->lock);
	db->count = 0;
	db->wide_gen = 0;
	db->private = private;
	db->peer_gen = NULL;
	if (private)
		return 0;
	db->peer_gen = kcalloc(TCP_AUTHOPT_GEN_SLOTS, sizeof(*db->peer_gen), GFP_KERNEL);
	if (!db->peer_gen)
		return -ENOMEM;
	err = rhltable_init(&db->peers, &tcp_authopt_peer_params);
	if (err) {
		kfree(db->peer_gen);
		db->peer_gen = NULL;
	}
	return err;
}

/**
 * tcp_authopt_keydb_destroy() - release an empty key database
 * @db: database, flushed
 */
void tcp_authopt_keydb_destroy(struct tcp_authopt_keydb *db)
{
	WARN_ON_ONCE(db->count);
	if (db->private)
		return;
	rhltable_destroy(&db->peers);
	kfree(db->peer_gen);
	db->peer_gen = NULL;
}

static void tcp_authopt_peer_set(struct tcp_authopt_peer *p, int family, const void *addr)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	if (family == AF_INET6)
		memcpy(p->addr, addr, sizeof(struct in6_addr));
	else
		p->addr[0] = *(const __be32 *)addr;
}

static unsigned int tcp_authopt_peer_slot(const struct tcp_authopt_peer *p)
{
	return jhash2((const u32 *)p, sizeof(*p) / sizeof(u32), 0) % TCP_AUTHOPT_GEN_SLOTS;
}

/**
 * tcp_authopt_keydb_current() - are matched keys still what a lookup gives
 * @db: database
 * @gen: the change counters the keys were matched at
 *
 * Two loads: no lookup, whatever the number of keys.
 *
 * Return: false when a key that can apply to the same peer changed since.
 */
bool tcp_authopt_keydb_current(struct tcp_authopt_keydb *db, const struct tcp_authopt_gen *gen)
{
	return (db->private || READ_ONCE(db->peer_gen[gen->slot]) == gen->peer) &&
	       READ_ONCE(db->wide_gen) == gen->wide;
}

static void tcp_authopt_key_free_rcu(struct rcu_head *rcu)
{
	struct tcp_authopt_key_info *key = container_of(rcu, struct tcp_authopt_key_info, rcu);

	memzero_explicit(key->key, sizeof(key->key));
	kmem_cache_free(tcp_authopt_key_cache, key);
}

/**
 * tcp_authopt_key_put() - drop a reference to a key
 * @key: key, may be NULL
 *
 * The key (and its key material, zeroed) is freed after an RCU grace
 * period once the last reference is gone.
 */
void tcp_authopt_key_put(struct tcp_authopt_key_info *key)
{
	if (key && refcount_dec_and_test(&key->refcnt))
		call_rcu(&key->rcu, tcp_authopt_key_free_rcu);
}

/* Change the list with readers told to retry; db->mutex held. */
static void tcp_authopt_keydb_write_begin(struct tcp_authopt_keydb *db)
	__acquires(&db->lock)
{
	spin_lock_bh(&db->lock);
	write_seqcount_begin(&db->seq);
}

static void tcp_authopt_keydb_write_end(struct tcp_authopt_keydb *db)
	__releases(&db->lock)
{
	write_seqcount_end(&db->seq);
	spin_unlock_bh(&db->lock);
}

static bool tcp_authopt_key_addr_bound(const struct tcp_authopt_key_info *key)
{
	return key->flags & (TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_PREFIXLEN);
}

/* A key for one address, kept in &tcp_authopt_keydb.peers. */
static bool tcp_authopt_key_is_peer(const struct tcp_authopt_key_info *key)
{
	return tcp_authopt_key_addr_bound(key) &&
	       key->prefixlen == (key->addr.family == AF_INET6 ? 128 : 32);
}

/* Where @db keeps @key: in its table, or in its list of the others. */
static bool tcp_authopt_key_hashed(const struct tcp_authopt_keydb *db,
				   const struct tcp_authopt_key_info *key)
{
	return !db->private && tcp_authopt_key_is_peer(key);
}

/* A key changed: connections it can apply to check their keys again. */
static void tcp_authopt_keydb_changed(struct tcp_authopt_keydb *db,
				      const struct tcp_authopt_key_info *key)
{
	unsigned int slot;

	if (!tcp_authopt_key_hashed(db, key)) {
		WRITE_ONCE(db->wide_gen, db->wide_gen + 1);
		return;
	}
	slot = tcp_authopt_peer_slot(&key->peer);
	WRITE_ONCE(db->peer_gen[slot], db->peer_gen[slot] + 1);
}

static void tcp_authopt_key_unlink(struct tcp_authopt_keydb *db,
				   struct tcp_authopt_key_info *key)
{
	tcp_authopt_keydb_write_begin(db);
	if (tcp_authopt_key_hashed(db, key))
		WARN_ON_ONCE(rhltable_remove(&db->peers, &key->hnode, tcp_authopt_peer_params));
	else
		hlist_del_rcu(&key->wnode);
	hlist_del_rcu(&key->node);
	db->count--;
	tcp_authopt_keydb_changed(db, key);
	tcp_authopt_keydb_write_end(db);
	tcp_authopt_key_put(key);
}

/**
 * tcp_authopt_keydb_flush() - remove every key of a database
 * @db: database
 */
void tcp_authopt_keydb_flush(struct tcp_authopt_keydb *db)
{
	struct tcp_authopt_key_info *key;
	struct hlist_node *n;

	mutex_lock(&db->mutex);
	hlist_for_each_entry_safe(key, n, &db->head, node)
		tcp_authopt_key_unlink(db, key);
	mutex_unlock(&db->mutex);
}

static const void *tcp_authopt_key_addr(const struct tcp_authopt_key_info *key)
{
	if (key->addr.family == AF_INET6)
		return &key->addr.sin6.sin6_addr;
	return &key->addr.sin.sin_addr;
}

/* Do the first @bits bits of two addresses of @family agree? */
static bool tcp_authopt_prefix_eq(int family, const void *a, const void *b,
				  unsigned int bits)
{
	if (family == AF_INET6)
		return ipv6_prefix_equal(a, b, bits);
	if (!bits)
		return true;
	return !((*(const __be32 *)a ^ *(const __be32 *)b) &
		 htonl(~0U << (32 - bits)));
}

/**
 * tcp_authopt_key_specificity() - how narrowly a key is bound
 * @key: key
 *
 * Address binding dominates (a longer prefix is more specific, an exact
 * address is a full-width prefix, any address binding beats none), then
 * an L3 domain binding, then a port limit. Two keys that can both apply to
 * one connection and have the same specificity must not share a send_id or
 * a recv_id (RFC 5925 section 3.1).
 *
 * Return: a number, larger for more specific keys.
 */
int tcp_authopt_key_specificity(const struct tcp_authopt_key_info *key)
{
	int spec = tcp_authopt_key_addr_bound(key) ? key->prefixlen + 1 : 0;

	spec *= 4;
	if (key->flags & TCP_AUTHOPT_KEY_IFINDEX)
		spec += 2;
	if (key->flags & (TCP_AUTHOPT_KEY_LOCAL_PORT | TCP_AUTHOPT_KEY_REMOTE_PORT))
		spec += 1;
	return spec;
}

/**
 * tcp_authopt_key_admits() - does a key's address binding admit a peer
 * @key: key
 * @family: AF_INET or AF_INET6 (IPv4-mapped addresses as AF_INET)
 * @addr: the peer's address
 *
 * Return: true when @key is bound to no address or to one that has @addr.
 */
bool tcp_authopt_key_admits(const struct tcp_authopt_key_info *key, int family,
			    const void *addr)
{
	return !tcp_authopt_key_addr_bound(key) ||
	       (key->addr.family == family &&
		tcp_authopt_prefix_eq(family, tcp_authopt_key_addr(key), addr, key->prefixlen));
}

/**
 * tcp_authopt_key_match() - does a key apply to a connection
 * @key: key
 * @conn: connection identifiers
 *
 * Return: true when every binding of @key admits @conn.
 */
bool tcp_authopt_key_match(const struct tcp_authopt_key_info *key,
			   const struct tcp_authopt_conn *conn)
{
	if (!tcp_authopt_key_admits(key, conn->family, &conn->raddr))
		return false;
	if ((key->flags & TCP_AUTHOPT_KEY_IFINDEX) && key->l3index != conn->l3index)
		return false;
	if (conn->lport < key->lport_min || conn->lport > key->lport_max)
		return false;
	if (conn->rport < key->rport_min || conn->rport > key->rport_max)
		return false;
	return true;
}

/* Is there a connection both keys can apply to? */
static bool tcp_authopt_keys_overlap(const struct tcp_authopt_key_info *a,
				     const struct tcp_authopt_key_info *b)
{
	if (tcp_authopt_key_addr_bound(a) && tcp_authopt_key_addr_bound(b) &&
	    (a->addr.family != b->addr.family ||
	     !tcp_authopt_prefix_eq(a->addr.family, tcp_authopt_key_addr(a),
				    tcp_authopt_key_addr(b),
				    min(a->prefixlen, b->prefixlen))))
		return false;
	if ((a->flags & b->flags & TCP_AUTHOPT_KEY_IFINDEX) && a->l3index != b->l3index)
		return false;
	if (a->lport_max < b->lport_min || b->lport_max < a->lport_min)
		return false;
	if (a->rport_max < b->rport_min || b->rport_max < a->rport_min)
		return false;
	return true;
}

#define TCP_AUTHOPT_KEY_IDENT_FLAGS	(TCP_AUTHOPT_KEY_ADDR_BIND | \
					 TCP_AUTHOPT_KEY_PREFIXLEN | \
					 TCP_AUTHOPT_KEY_IFINDEX | \
					 TCP_AUTHOPT_KEY_LOCAL_PORT | \
					 TCP_AUTHOPT_KEY_REMOTE_PORT)

/* Same identity: what DEL names and what an add replaces. */
static bool tcp_authopt_key_same_ident(const struct tcp_authopt_key_info *a,
				       const struct tcp_authopt_key_info *b)
{
	if (a->send_id != b->send_id || a->recv_id != b->recv_id ||
	    (a->flags & TCP_AUTHOPT_KEY_IDENT_FLAGS) !=
	    (b->flags & TCP_AUTHOPT_KEY_IDENT_FLAGS))
		return false;
	if (tcp_authopt_key_addr_bound(a) &&
	    (a->addr.family != b->addr.family || a->prefixlen != b->prefixlen ||
	     !tcp_authopt_prefix_eq(a->addr.family, tcp_authopt_key_addr(a),
				    tcp_authopt_key_addr(b), a->prefixlen)))
		return false;
	if ((a->flags & TCP_AUTHOPT_KEY_IFINDEX) && a->l3index != b->l3index)
		return false;
	return a->lport_min == b->lport_min && a->lport_max == b->lport_max &&
	       a->rport_min == b->rport_min && a->rport_max == b->rport_max;
}

/* Is @k the key of @key's identity (then *@old), or would it stand
 * ambiguously beside @key? @k is of @key's kind (peer or wide). @spec is
 * @key's specificity, or -1 when any overlap is ambiguous: upstream's ABI
 * does not let the longer prefix win, it refuses the second key.
 */
static bool tcp_authopt_scan_one(struct tcp_authopt_key_info *k,
				 const struct tcp_authopt_key_info *key, int spec,
				 struct tcp_authopt_key_info **old)
{
	if (tcp_authopt_key_same_ident(k, key)) {
		*old = k;
		return false;
	}
	return (k->send_id == key->send_id || k->recv_id == key->recv_id) &&
	       (spec < 0 || tcp_authopt_key_specificity(k) == spec) &&
	       tcp_authopt_keys_overlap(k, key);
}

/* Look at the keys that can share a connection with @key: those for its
 * address, or the prefix and unbound ones. *@old is set to the key of the
 * same identity, if any. db->mutex held.
 *
 * Return: true when another key would stand ambiguously beside @key.
 */
static bool tcp_authopt_keydb_scan(struct tcp_authopt_keydb *db,
				   const struct tcp_authopt_key_info *key,
				   struct tcp_authopt_key_info **old)
{
	int spec = db->private ? -1 : tcp_authopt_key_specificity(key);
	struct tcp_authopt_key_info *k;
	struct rhlist_head *list, *pos;
	bool ambiguous = false;

	*old = NULL;
	if (!tcp_authopt_key_hashed(db, key)) {
		hlist_for_each_entry(k, &db->wide, wnode)
			ambiguous |= tcp_authopt_scan_one(k, key, spec, old);
		return ambiguous;
	}
	rcu_read_lock();	/* for the table; the mutex keeps the keys */
	list = rhltable_lookup(&db->peers, &key->peer, tcp_authopt_peer_params);
	rhl_for_each_entry_rcu(k, pos, list, hnode)
		ambiguous |= tcp_authopt_scan_one(k, key, spec, old);
	rcu_read_unlock();
	return ambiguous;
}

static void tcp_authopt_key_set_peer(struct tcp_authopt_key_info *key)
{
	if (tcp_authopt_key_is_peer(key))
		tcp_authopt_peer_set(&key->peer, key->addr.family, tcp_authopt_key_addr(key));
	else
		memset(&key->peer, 0, sizeof(key->peer));
}

/* Put @key in the database in place of @old (or NULL); in a write section.
 * Return: 0, or -ENOMEM with nothing changed.
 */
static int tcp_authopt_key_link(struct tcp_authopt_keydb *db, struct tcp_authopt_key_info *key,
				struct tcp_authopt_key_info *old)
{
	if (tcp_authopt_key_hashed(db, key)) {
		/* The new key first: nothing has changed if it fails. The
		 * table could not grow right now (GFP_ATOMIC, or a resize
		 * under way): out of memory for the caller, as documented.
		 */
		if (rhltable_insert(&db->peers, &key->hnode, tcp_authopt_peer_params))
			return -ENOMEM;
		if (old)
			WARN_ON_ONCE(rhltable_remove(&db->peers, &old->hnode,
						     tcp_authopt_peer_params));
	} else if (old) {
		hlist_replace_rcu(&old->wnode, &key->wnode);
	} else {
		hlist_add_head_rcu(&key->wnode, &db->wide);
	}
	if (old) {
		hlist_replace_rcu(&old->node, &key->node);
	} else {
		hlist_add_head_rcu(&key->node, &db->head);
		db->count++;
	}
	tcp_authopt_keydb_changed(db, key);
	return 0;
}

/**
 * __tcp_authopt_keydb_add() - add a key, or replace the one of the same identity
 * @db: database
 * @key: new key with one reference, which the database takes over on success
 * @replace: replace a key of the same identity; otherwise -EEXIST
 *
 * Refuses (RFC 5925 section 3.1) a key that, for some connection, would
 * stand beside an equally specific key with the same send_id or recv_id.
 * Only the keys for the same address, or for a key bound to no single
 * address the other such keys, are looked at.
 *
 * Return: 0, -EEXIST on such ambiguity, -ENOSPC when the database is
 * full, or -ENOMEM.
 */
static int __tcp_authopt_keydb_add(struct tcp_authopt_keydb *db,
				   struct tcp_authopt_key_info *key, bool replace)
{
	struct tcp_authopt_key_info *old;
	int err = 0;

	tcp_authopt_key_set_peer(key);
	mutex_lock(&db->mutex);
	if (tcp_authopt_keydb_scan(db, key, &old) || (old && !replace)) {
		err = -EEXIST;
		goto out;
	}
	if (!old && db->count >= TCP_AUTHOPT_MAX_KEYS) {
		err = -ENOSPC;
		goto out;
	}
	tcp_authopt_keydb_write_begin(db);
	err = tcp_authopt_key_link(db, key, old);
	tcp_authopt_keydb_write_end(db);
	if (!err)
		tcp_authopt_key_put(old);
out:
	mutex_unlock(&db->mutex);
	return err;
}

/**
 * tcp_authopt_keydb_add() - add a key, or replace the one of the same identity
 * @db: database
 * @key: as for __tcp_authopt_keydb_add()
 *
 * Return: as __tcp_authopt_keydb_add().
 */
int tcp_authopt_keydb_add(struct tcp_authopt_keydb *db,
			  struct tcp_authopt_key_info *key)
{
	return __tcp_authopt_keydb_add(db, key, true);
}

/**
 * tcp_authopt_keydb_insert() - add a key that must be new
 * @db: database
 * @key: as for tcp_authopt_keydb_add()
 *
 * Upstream's ABI never replaces a key: one of the same identity is EEXIST.
 *
 * Return: as __tcp_authopt_keydb_add().
 */
int tcp_authopt_keydb_insert(struct tcp_authopt_keydb *db,
			     struct tcp_authopt_key_info *key)
{
	return __tcp_authopt_keydb_add(db, key, false);
}

/**
 * tcp_authopt_keydb_copy() - copy the keys that apply to a connection
 * @dst: an empty private database nobody else sees yet
 * @src: the database to copy from; caller holds rcu_read_lock()
 * @conn: the connection
 * @gfp: allocation flags (GFP_ATOMIC for a socket created in softirq)
 *
 * Upstream's ABI gives an accepted socket copies of its listener's keys
 * for its peer: later changes on either side stay theirs.
 *
 * Return: 0 or -ENOMEM (then @dst may hold some keys: flush it).
 */
int tcp_authopt_keydb_copy(struct tcp_authopt_keydb *dst, struct tcp_authopt_keydb *src,
			   const struct tcp_authopt_conn *conn, gfp_t gfp)
{
	struct tcp_authopt_match m;
	unsigned int i;
	int err;

	err = tcp_authopt_keydb_match(src, conn, &m, gfp);
	if (err)
		return err;
	for (i = 0; i < m.n && !err; i++) {
		struct tcp_authopt_key_info *key;

		key = tcp_authopt_should_fail() ? NULL :
		      kmem_cache_alloc(tcp_authopt_key_cache, gfp);
		if (!key) {
			err = -ENOMEM;
			break;
		}
		memcpy(key, m.keys[i], sizeof(*key));
		refcount_set(&key->refcnt, 1);
		atomic64_set(&key->pkt_good, 0);
		atomic64_set(&key->pkt_bad, 0);
		tcp_authopt_keydb_write_begin(dst);
		err = tcp_authopt_key_link(dst, key, NULL);
		tcp_authopt_keydb_write_end(dst);
		if (err)
			tcp_authopt_key_put(key);
	}
	tcp_authopt_match_free(&m);
	return err;
}

/**
 * tcp_authopt_keydb_covers() - is there a key for a peer address
 * @db: database
 * @family: AF_INET or AF_INET6
 * @addr: the peer's address (struct in_addr or struct in6_addr)
 * @l3index: its L3 domain, or -1 for any
 *
 * Return: true when a key bound to an address or prefix covers @addr.
 */
bool tcp_authopt_keydb_covers(struct tcp_authopt_keydb *db, int family, const void *addr,
			      int l3index)
{
	struct tcp_authopt_key_info *key;
	bool found = false;

	mutex_lock(&db->mutex);
	hlist_for_each_entry(key, &db->head, node) {
		if (!tcp_authopt_key_addr_bound(key) || !tcp_authopt_key_admits(key, family, addr))
			continue;
		if (l3index >= 0 && (key->flags & TCP_AUTHOPT_KEY_IFINDEX) &&
		    key->l3index != l3index)
			continue;
		found = true;
		break;
	}
	mutex_unlock(&db->mutex);
	return found;
}

/**
 * tcp_authopt_keydb_retain() - delete the keys that do not apply to a connection
 * @db: database (a socket's own, upstream's ABI)
 * @conn: the connection
 */
void tcp_authopt_keydb_retain(struct tcp_authopt_keydb *db, const struct tcp_authopt_conn *conn)
{
	struct tcp_authopt_key_info *key;
	struct hlist_node *n;

	mutex_lock(&db->mutex);
	hlist_for_each_entry_safe(key, n, &db->head, node)
		if (!tcp_authopt_key_match(key, conn))
			tcp_authopt_key_unlink(db, key);
	mutex_unlock(&db->mutex);
}

/**
 * tcp_authopt_keydb_del() - delete the key with the identity of @ident
 * @db: database
 * @ident: identity (send_id, recv_id, bindings); its @peer is set here
 *
 * Return: 0 or -ENOENT.
 */
int tcp_authopt_keydb_del(struct tcp_authopt_keydb *db,
			  struct tcp_authopt_key_info *ident)
{
	struct tcp_authopt_key_info *key;
	int err = -ENOENT;

	tcp_authopt_key_set_peer(ident);
	mutex_lock(&db->mutex);
	tcp_authopt_keydb_scan(db, ident, &key);
	if (key) {
		tcp_authopt_key_unlink(db, key);
		err = 0;
	}
	mutex_unlock(&db->mutex);
	return err;
}

static int tcp_authopt_key_cmp(const void *a, const void *b)
{
	const struct tcp_authopt_key_info *ka = *(const struct tcp_authopt_key_info **)a;
	const struct tcp_authopt_key_info *kb = *(const struct tcp_authopt_key_info **)b;
	int sa = tcp_authopt_key_specificity(ka), sb = tcp_authopt_key_specificity(kb);

	if (sa != sb)
		return sb - sa;
	if (ka->send_id != kb->send_id)
		return ka->send_id - kb->send_id;
	return ka->recv_id - kb->recv_id;
}

/* Leave out keys whose send_id or recv_id a more specific key already has. */
static unsigned int tcp_authopt_shadow(struct tcp_authopt_key_info **keys, unsigned int n)
{
	DECLARE_BITMAP(send_ids, 256);
	DECLARE_BITMAP(recv_ids, 256);
	unsigned int i, out = 0;

	sort(keys, n, sizeof(*keys), tcp_authopt_key_cmp, NULL);
	bitmap_zero(send_ids, 256);
	bitmap_zero(recv_ids, 256);
	for (i = 0; i < n; i++) {
		struct tcp_authopt_key_info *key = keys[i];

		if (test_bit(key->send_id, send_ids) || test_bit(key->recv_id, recv_ids))
			continue;
		__set_bit(key->send_id, send_ids);
		__set_bit(key->recv_id, recv_ids);
		keys[out++] = key;
	}
	return out;
}

/* Count @key if it applies to @conn, and keep it while there is room. */
static void tcp_authopt_match_one(struct tcp_authopt_key_info *key,
				  const struct tcp_authopt_conn *conn,
				  struct tcp_authopt_key_info **keys, unsigned int cap,
				  unsigned int *total)
{
	if (!tcp_authopt_key_match(key, conn))
		return;
	if (*total < cap)
		keys[*total] = key;
	(*total)++;
}

/**
 * tcp_authopt_keydb_match() - the keys that apply to a connection
 * @db: database
 * @conn: connection identifiers
 * @m: output; release with tcp_authopt_match_free()
 * @gfp: allocation flags, for more matches than fit in @m
 *
 * Every matching key is considered, however many: a matching key is left
 * out only when a more specific matching key already has its send_id or
 * recv_id, so the result never holds two keys with the same send_id or the
 * same recv_id (at most 256 keys). Ties are broken by send_id then recv_id.
 * The result is one consistent state of the database: a walk that
 * overlapped a change is made again. Caller holds rcu_read_lock() or
 * @db->mutex.
 *
 * Return: 0 or -ENOMEM (then @m is empty).
 */
int tcp_authopt_keydb_match(struct tcp_authopt_keydb *db,
			    const struct tcp_authopt_conn *conn,
			    struct tcp_authopt_match *m, gfp_t gfp)
{
	struct tcp_authopt_key_info **keys = m->inline_keys, *key;
	unsigned int cap = ARRAY_SIZE(m->inline_keys), total, seq;
	struct rhlist_head *list, *pos;
	struct tcp_authopt_peer peer;
	bool again;

	tcp_authopt_peer_set(&peer, conn->family, &conn->raddr);
	m->gen.slot = db->private ? 0 : tcp_authopt_peer_slot(&peer);
	m->gen.peer = 0;
	for (;;) {
		/* For the table: callers' RCU or mutex keep the keys. */
		rcu_read_lock();
		seq = read_seqcount_begin(&db->seq);
		m->gen.wide = READ_ONCE(db->wide_gen);
		total = 0;
		if (!db->private) {
			m->gen.peer = READ_ONCE(db->peer_gen[m->gen.slot]);
			list = rhltable_lookup(&db->peers, &peer, tcp_authopt_peer_params);
			rhl_for_each_entry_rcu(key, pos, list, hnode)
				tcp_authopt_match_one(key, conn, keys, cap, &total);
		}
		hlist_for_each_entry_rcu(key, &db->wide, wnode)
			tcp_authopt_match_one(key, conn, keys, cap, &total);
		again = read_seqcount_retry(&db->seq, seq);
		rcu_read_unlock();
		if (again)
			continue;
		if (total <= cap)
			break;
		if (keys != m->inline_keys)
			kfree(keys);
		cap = total + TCP_AUTHOPT_MATCH_INLINE;
		keys = tcp_authopt_should_fail() ? NULL :
		       kmalloc_array(cap, sizeof(*keys), gfp);
		if (!keys) {
			m->keys = m->inline_keys;
			m->n = 0;
			return -ENOMEM;
		}
	}
	m->keys = keys;
	m->n = tcp_authopt_shadow(keys, total);
	return 0;
}

/**
 * tcp_authopt_match_free() - release what tcp_authopt_keydb_match() allocated
 * @m: the match
 */
void tcp_authopt_match_free(struct tcp_authopt_match *m)
{
	if (m->keys != m->inline_keys)
		kfree(m->keys);
	m->keys = m->inline_keys;
	m->n = 0;
}

/* Key buffer sizes binaries built for the ABI pass (abi.md). */
#define TCP_AUTHOPT_KEY_SIZE_ADDR	offsetofend(struct tcp_authopt_key, addr)
#define TCP_AUTHOPT_KEY_SIZE_IFINDEX	offsetofend(struct tcp_authopt_key, ifindex)
#define TCP_AUTHOPT_KEY_SIZE_PREFIXLEN	offsetofend(struct tcp_authopt_key, prefixlen)
#define TCP_AUTHOPT_KEY_SIZE_ORIGINAL	offsetofend(struct tcp_authopt_key, recv_lifetime_end)

static bool tcp_authopt_key_size_ok(unsigned int optlen)
{
	return optlen == TCP_AUTHOPT_KEY_SIZE_ADDR ||
	       optlen == TCP_AUTHOPT_KEY_SIZE_IFINDEX ||
	       optlen == TCP_AUTHOPT_KEY_SIZE_PREFIXLEN ||
	       optlen >= TCP_AUTHOPT_KEY_SIZE_ORIGINAL;
}

/* An IPv4-mapped IPv6 address names the IPv4 peer, as with TCP_MD5SIG; the
 * prefix is stored canonical (host bits clear).
 */
static int tcp_authopt_key_set_addr(struct tcp_authopt_key_info *key,
				    const struct tcp_authopt_key *opt)
{
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)&opt->addr)->sin6_addr;
	bool prefix = opt->flags & TCP_AUTHOPT_KEY_PREFIXLEN;
	int family = opt->addr.ss_family;
	unsigned int plen = opt->prefixlen;
	__be32 a4;

	if (family == AF_INET6 && ipv6_addr_v4mapped(a6)) {
		/* As TCP_MD5SIG: the prefix length is the IPv4 one. */
		if (prefix && plen > 32)
			return -EINVAL;
		a4 = a6->s6_addr32[3];
		plen = prefix ? plen : 32;
	} else if (family == AF_INET6) {
		if (prefix && plen > 128)
			return -EINVAL;
		plen = prefix ? plen : 128;
		key->addr.family = AF_INET6;
		key->prefixlen = plen;
		ipv6_addr_prefix(&key->addr.sin6.sin6_addr, a6, plen);
		return 0;
	} else if (family == AF_INET) {
		if (prefix && plen > 32)
			return -EINVAL;
		a4 = ((const struct sockaddr_in *)&opt->addr)->sin_addr.s_addr;
		plen = prefix ? plen : 32;
	} else {
		return -EINVAL;
	}
	key->addr.family = AF_INET;
	key->prefixlen = plen;
	key->addr.sin.sin_addr.s_addr = plen ? a4 & htonl(~0U << (32 - plen)) : 0;
	return 0;
}

/**
 * tcp_authopt_key_from_opt() - validate a TCP_AUTHOPT_KEY request
 * @net: namespace, for the IFINDEX check
 * @opt: request, zero padded to its full size
 * @optlen: the size the caller passed
 *
 * Return: a new key with one reference, or an ERR_PTR: -EINVAL for unknown
 * flags, a bad algorithm or key length, an address family other than
 * AF_INET/AF_INET6 with ADDR_BIND/PREFIXLEN, a prefix longer than the
 * address (32 bits for an IPv4-mapped address, as TCP_MD5SIG has it), an
 * ifindex that is not an L3 master, empty lifetime or port ranges, or port
 * flags whose fields @optlen does not reach. With DEL only the identity
 * fields (flags, ids, address, ports) are checked.
 */
struct tcp_authopt_key_info *tcp_authopt_key_from_opt(struct net *net,
						      const struct tcp_authopt_key *opt,
						      unsigned int optlen)
{
	struct tcp_authopt_key_info *key;
	u32 flags = opt->flags;
	int err;

	if (flags & ~TCP_AUTHOPT_KEY_KNOWN_FLAGS)
		return ERR_PTR(-EINVAL);
	/* A deletion names a key: what is not its identity is ignored. */
	if (!(flags & TCP_AUTHOPT_KEY_DEL) &&
	    ((opt->alg != TCP_AUTHOPT_ALG_HMAC_SHA_1_96 &&
	      opt->alg != TCP_AUTHOPT_ALG_AES_128_CMAC_96) ||
	     opt->keylen > TCP_AUTHOPT_MAXKEYLEN ||
	     ((flags & TCP_AUTHOPT_KEY_IFINDEX) && opt->ifindex &&
	      !netif_index_is_l3_master(net, opt->ifindex)) ||
	     ((flags & TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN) &&
	      (flags & TCP_AUTHOPT_KEY_SEND_LIFETIME_END) &&
	      opt->send_lifetime_begin > opt->send_lifetime_end) ||
	     ((flags & TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN) &&
	      (flags & TCP_AUTHOPT_KEY_RECV_LIFETIME_END) &&
	      opt->recv_lifetime_begin > opt->recv_lifetime_end)))
		return ERR_PTR(-EINVAL);
	if ((flags & TCP_AUTHOPT_KEY_LOCAL_PORT) &&
	    (optlen < offsetofend(struct tcp_authopt_key, local_port_max) ||
	     opt->local_port_min > opt->local_port_max))
		return ERR_PTR(-EINVAL);
	if ((flags & TCP_AUTHOPT_KEY_REMOTE_PORT) &&
	    (optlen < offsetofend(struct tcp_authopt_key, remote_port_max) ||
	     opt->remote_port_min > opt->remote_port_max))
		return ERR_PTR(-EINVAL);

	key = tcp_authopt_should_fail() ? NULL :
	      kmem_cache_zalloc(tcp_authopt_key_cache, GFP_KERNEL);
	if (!key)
		return ERR_PTR(-ENOMEM);
	refcount_set(&key->refcnt, 1);
	key->flags = flags & ~TCP_AUTHOPT_KEY_DEL;
	if (flags & (TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_PREFIXLEN)) {
		err = tcp_authopt_key_set_addr(key, opt);
		if (err) {
			tcp_authopt_key_put(key);
			return ERR_PTR(err);
		}
	}
	key->send_id = opt->send_id;
	key->recv_id = opt->recv_id;
	key->alg_id = opt->alg;
	key->maclen = TCP_AUTHOPT_MACLEN;
	key->keylen = opt->keylen;
	memcpy(key->key, opt->key, min_t(unsigned int, opt->keylen, TCP_AUTHOPT_MAXKEYLEN));
	key->l3index = flags & TCP_AUTHOPT_KEY_IFINDEX ? opt->ifindex : 0;
	key->send_begin = flags & TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN ?
			  opt->send_lifetime_begin : 0;
	key->send_end = flags & TCP_AUTHOPT_KEY_SEND_LIFETIME_END ?
			opt->send_lifetime_end : U64_MAX;
	key->recv_begin = flags & TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN ?
			  opt->recv_lifetime_begin : 0;
	key->recv_end = flags & TCP_AUTHOPT_KEY_RECV_LIFETIME_END ?
			opt->recv_lifetime_end : U64_MAX;
	key->lport_min = flags & TCP_AUTHOPT_KEY_LOCAL_PORT ? opt->local_port_min : 0;
	key->lport_max = flags & TCP_AUTHOPT_KEY_LOCAL_PORT ? opt->local_port_max : U16_MAX;
	key->rport_min = flags & TCP_AUTHOPT_KEY_REMOTE_PORT ? opt->remote_port_min : 0;
	key->rport_max = flags & TCP_AUTHOPT_KEY_REMOTE_PORT ? opt->remote_port_max : U16_MAX;
	return key;
}

/* Socket state */

/**
 * tcp_authopt_info_alloc() - zeroed TCP-AO state for a socket
 * @gfp: allocation flags
 *
 * Return: the state (policy undecided) or NULL.
 */
struct tcp_authopt_info *tcp_authopt_info_alloc(gfp_t gfp)
{
	if (tcp_authopt_should_fail())
		return NULL;
	return kmem_cache_zalloc(tcp_authopt_info_cache, gfp);
}

static void tcp_authopt_info_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(tcp_authopt_info_cache, container_of(rcu, struct tcp_authopt_info, rcu));
}

/**
 * tcp_authopt_info_free() - free TCP-AO state no longer reachable
 * @info: the state, unpublished; RCU readers may still look at it
 */
void tcp_authopt_info_free(struct tcp_authopt_info *info)
{
	tcp_authopt_keyset_release(info);
	if (info->uabi)
		tcp_authopt_uabi_put(info->uabi);
	call_rcu(&info->rcu, tcp_authopt_info_free_rcu);
}

/**
 * tcp_authopt_clear() - release the TCP-AO state of a socket being freed
 * @sk: socket
 */
void tcp_authopt_clear(struct sock *sk)
{
	struct tcp_authopt_info *info;

	info = rcu_dereference_protected(tcp_sk(sk)->authopt_info, 1);
	if (!info)
		return;
	RCU_INIT_POINTER(tcp_sk(sk)->authopt_info, NULL);
	tcp_authopt_info_free(info);
}
EXPORT_SYMBOL_GPL(tcp_authopt_clear);

/* The socket takes part in TCP-AO from now on; the socket is locked. */
struct tcp_authopt_info *tcp_authopt_info_get_or_create(struct sock *sk)
{
	struct tcp_authopt_info *info = tcp_authopt_info_locked(sk);

	if (info)
		return info;
	info = tcp_authopt_info_alloc(GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	/* A connection already under way stays plain: its ISNs are unknown. */
	if (!((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		info->policy = TCP_AUTHOPT_NONE;
	rcu_assign_pointer(tcp_sk(sk)->authopt_info, info);
	return info;
}

/* As tcp_authopt_info_get_or_create(), for our options: a socket that
 * uses upstream's ABI refuses them, and one that used them refuses
 * upstream's. The socket is locked.
 */
static struct tcp_authopt_info *tcp_authopt_info_ours(struct sock *sk)
{
	struct tcp_authopt_info *info = tcp_authopt_info_get_or_create(sk);

	if (IS_ERR(info))
		return info;
	if (info->uabi)
		return ERR_PTR(-EBUSY);
	info->explicit = true;
	return info;
}

/**
 * tcp_authopt_init_sock() - a new TCP socket takes part in netns-wide mode
 * @sk: socket being created, not yet visible to anybody
 *
 * With net.ipv4.tcp_authopt_all_sockets set, every new TCP socket of the
 * namespace takes part as if it had used TCP_AUTHOPT, so applications that
 * know nothing of TCP-AO are protected by the keys an operator installed.
 *
 * Return: 0 or -ENOMEM (the socket is not created: it must not run
 * unauthenticated where keys apply).
 */
int tcp_authopt_init_sock(struct sock *sk)
{
	struct tcp_authopt_info *info;

	if (!tcp_authopt_needed || !tcp_authopt_net_all_sockets(sock_net(sk)))
		return 0;
	info = tcp_authopt_info_alloc(GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	RCU_INIT_POINTER(tcp_sk(sk)->authopt_info, info);
	return 0;
}
EXPORT_SYMBOL_GPL(tcp_authopt_init_sock);

/* Copy a socket option of a structure that may grow: a short buffer is
 * zero padded, a longer one is accepted only when the excess is zero.
 */
static int tcp_authopt_copy_opt(void *dst, size_t size, sockptr_t src,
				unsigned int optlen, size_t minlen)
{
	int ret;

	if (optlen < minlen)
		return -EINVAL;
	memset(dst, 0, size);
	if (optlen > size) {
		ret = check_zeroed_sockptr(src, size, optlen - size);
		if (ret <= 0)
			return ret ?: -EINVAL;
	}
	if (copy_from_sockptr(dst, src, min_t(size_t, optlen, size)))
		return -EFAULT;
	return 0;
}

static int tcp_authopt_set_key(struct sock *sk, sockptr_t optval, unsigned int optlen)
{
	struct tcp_authopt_keydb *db = tcp_authopt_net_db(sock_net(sk));
	struct tcp_authopt_key_info *key;
	struct tcp_authopt_info *info;
	struct tcp_authopt_key opt;
	int err;

	if (!sockopt_ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	/* Upstream Linux's TCP-AO structs share these option numbers with
	 * other sizes: anything but the sizes of this ABI is refused.
	 */
	if (!tcp_authopt_key_size_ok(optlen))
		return -EINVAL;
	err = tcp_authopt_copy_opt(&opt, sizeof(opt), optval, optlen, 0);
	if (err)
		goto out_wipe;
	key = tcp_authopt_key_from_opt(sock_net(sk), &opt, optlen);
	memzero_explicit(opt.key, sizeof(opt.key));
	if (IS_ERR(key))
		return PTR_ERR(key);
	err = tcp_authopt_crypto_init();
	if (err)
		goto out;

	sockopt_lock_sock(sk);
	info = tcp_authopt_info_ours(sk);
	sockopt_release_sock(sk);
	if (IS_ERR(info)) {
		err = PTR_ERR(info);
		goto out;
	}
	tcp_authopt_need();
	if (opt.flags & TCP_AUTHOPT_KEY_DEL) {
		err = tcp_authopt_keydb_del(db, key);
		goto out;
	}
	err = tcp_authopt_keydb_add(db, key);
	if (!err)
		return 0;
out:
	tcp_authopt_key_put(key);
	return err;
out_wipe:
	memzero_explicit(opt.key, sizeof(opt.key));
	return err;
}

static int tcp_authopt_set(struct sock *sk, sockptr_t optval, unsigned int optlen)
{
	struct tcp_authopt_info *info;
	struct tcp_authopt opt;
	int err;

	err = tcp_authopt_copy_opt(&opt, sizeof(opt), optval, optlen,
				   offsetofend(struct tcp_authopt, flags));
	if (err)
		return err;
	/* ACTIVE is read-only: writing back what getsockopt said is fine. */
	opt.flags &= ~TCP_AUTHOPT_FLAG_ACTIVE;
	if (opt.flags & ~TCP_AUTHOPT_KNOWN_FLAGS)
		return -EINVAL;

	sockopt_lock_sock(sk);
	info = tcp_authopt_info_ours(sk);
	if (!IS_ERR(info)) {
		WRITE_ONCE(info->flags, opt.flags);
		if (opt.flags & TCP_AUTHOPT_FLAG_LOCK_KEYID)
			WRITE_ONCE(info->send_keyid, opt.send_keyid);
		if (opt.flags & TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID)
			WRITE_ONCE(info->send_rnextkeyid, opt.send_rnextkeyid);
	}
	sockopt_release_sock(sk);
	if (IS_ERR(info))
		return PTR_ERR(info);
	tcp_authopt_need();
	return 0;
}

static int tcp_authopt_set_repair(struct sock *sk, sockptr_t optval, unsigned int optlen)
{
	struct tcp_repair_authopt opt;
	struct tcp_authopt_info *info;
	int err;

	err = tcp_authopt_copy_opt(&opt, sizeof(opt), optval, optlen, sizeof(opt));
	if (err)
		return err;
	sockopt_lock_sock(sk);
	if (!tcp_sk(sk)->repair) {
		err = -EPERM;
		goto out;
	}
	info = tcp_authopt_info_ours(sk);
	if (IS_ERR(info)) {
		err = PTR_ERR(info);
		goto out;
	}
	tcp_authopt_set_isns(info, opt.src_isn, opt.dst_isn,
			     (u64)opt.snd_sne << 32 | opt.snd_seq,
			     (u64)opt.rcv_sne << 32 | opt.rcv_seq);
	/* Restored TCP-AO state: the connection is authenticated when keys
	 * match its peer, decided at its first segment.
	 */
	if (info->policy != TCP_AUTHOPT_AO)
		WRITE_ONCE(info->policy, TCP_AUTHOPT_UNDECIDED);
out:
	sockopt_release_sock(sk);
	if (!err)
		tcp_authopt_need();
	return err;
}

/**
 * tcp_authopt_setsockopt() - TCP_AUTHOPT, TCP_AUTHOPT_KEY, TCP_REPAIR_AUTHOPT
 * @sk: socket
 * @optname: option
 * @optval: user buffer
 * @optlen: its length
 *
 * Return: 0 or a negative errno; -EPERM until net.ipv4.tcp_authopt is 1.
 */
int tcp_authopt_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			   unsigned int optlen)
{
	/* Upstream's structs have sizes none of ours has; upstream has no
	 * switch like net.ipv4.tcp_authopt for them.
	 */
	if (optname == TCP_AO_REPAIR || tcp_authopt_uabi_size(optname, optlen))
		return tcp_authopt_uabi_setsockopt(sk, optname, optval, optlen);
	if (!tcp_authopt_enabled())
		return -EPERM;
	switch (optname) {
	case TCP_AUTHOPT:
		return tcp_authopt_set(sk, optval, optlen);
	case TCP_AUTHOPT_KEY:
		return tcp_authopt_set_key(sk, optval, optlen);
	case TCP_REPAIR_AUTHOPT:
		return tcp_authopt_set_repair(sk, optval, optlen);
	}
	return -ENOPROTOOPT;
}

/**
 * tcp_authopt_getsockopt() - read TCP_AUTHOPT or TCP_REPAIR_AUTHOPT
 * @sk: socket
 * @optname: option
 * @optval: user buffer
 * @optlen: user length, updated to the number of bytes written
 * @len: length the user passed, already checked to be >= 0
 *
 * Return: 0 or a negative errno: -EPERM until net.ipv4.tcp_authopt is 1,
 * -ENOENT for a socket that never took part.
 */
int tcp_authopt_getsockopt(struct sock *sk, int optname, sockptr_t optval,
			   sockptr_t optlen, int len)
{
	union {
		struct tcp_authopt opt;
		struct tcp_repair_authopt repair;
	} u;
	struct tcp_authopt_info *info;
	size_t size;
	u32 ids;
	int err = 0;

	if ((optname == TCP_AO_INFO && len == sizeof(struct tcp_ao_info_opt)) ||
	    optname == TCP_AO_GET_KEYS || optname == TCP_AO_REPAIR)
		return tcp_authopt_uabi_getsockopt(sk, optname, optval, optlen, len);
	if (!tcp_authopt_enabled())
		return -EPERM;
	memset(&u, 0, sizeof(u));
	sockopt_lock_sock(sk);
	info = tcp_authopt_info_locked(sk);
	if (optname == TCP_REPAIR_AUTHOPT) {
		size = sizeof(u.repair);
		if (!tcp_sk(sk)->repair) {
			err = -EPERM;
		} else if (!info) {
			err = -ENOENT;
		} else {
			u64 snd = atomic64_read(&info->snd_ext);
			u64 rcv = atomic64_read(&info->rcv_ext);

			u.repair.src_isn = info->src_isn;
			u.repair.dst_isn = info->dst_isn;
			u.repair.snd_sne = snd >> 32;
			u.repair.rcv_sne = rcv >> 32;
			u.repair.snd_seq = (u32)snd;
			u.repair.rcv_seq = (u32)rcv;
		}
	} else {
		size = sizeof(u.opt);
		if (!info) {
			err = -ENOENT;
		} else {
			u.opt.flags = info->flags & TCP_AUTHOPT_KNOWN_FLAGS;
			if (info->policy == TCP_AUTHOPT_AO)
				u.opt.flags |= TCP_AUTHOPT_FLAG_ACTIVE;
			u.opt.send_keyid = info->send_keyid;
			u.opt.send_rnextkeyid = info->send_rnextkeyid;
			ids = READ_ONCE(info->recv_ids);
			if (ids & TCP_AUTHOPT_RECV_IDS_VALID) {
				u.opt.recv_keyid = ids & 0xff;
				u.opt.recv_rnextkeyid = (ids >> 8) & 0xff;
			}
		}
	}
	sockopt_release_sock(sk);
	if (err)
		return err;

	len = min_t(unsigned int, len, size);
	if (copy_to_sockptr(optlen, &len, sizeof(int)) ||
	    copy_to_sockptr(optval, &u, len))
		return -EFAULT;
	return 0;
}

/* /proc/net/tcp_authopt: the keys of the namespace, never their material. */
static int tcp_authopt_proc_show(struct seq_file *seq, void *v)
{
	struct tcp_authopt_keydb *db = tcp_authopt_net_db(seq_file_single_net(seq));
	struct tcp_authopt_key_info *key;

	seq_puts(seq, "flags\tsend_id\trecv_id\talg\taddr\tl3index\n");
	rcu_read_lock();
	hlist_for_each_entry_rcu(key, &db->head, node) {
		seq_printf(seq, "0x%x\t%u\t%u\t%u\t", key->flags, key->send_id,
			   key->recv_id, key->alg_id);
		if (!tcp_authopt_key_addr_bound(key))
			seq_putc(seq, '*');
		else if (key->addr.family == AF_INET6)
			seq_printf(seq, "%pI6c", tcp_authopt_key_addr(key));
		else
			seq_printf(seq, "%pI4", tcp_authopt_key_addr(key));
		if (key->flags & TCP_AUTHOPT_KEY_PREFIXLEN)
			seq_printf(seq, "/%u", key->prefixlen);
		seq_printf(seq, "\t%d\n", key->l3index);
	}
	rcu_read_unlock();
	return 0;
}

/* Read or parse a 0/1 sysctl through *@val, which holds the current value.
 * Return: 1 when *@val is to be written, 0 when done, or a negative errno.
 */
static int tcp_authopt_sysctl_bool(int write, void *buffer, size_t *lenp, loff_t *ppos,
				   int *val)
{
	struct ctl_table tmp = {
		.data = val,
		.maxlen = sizeof(*val),
		.extra1 = SYSCTL_ZERO,
		.extra2 = SYSCTL_ONE,
	};

	return proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos) ?: write;
}

/* net.ipv4.tcp_authopt: writable 0 -> 1 only. */
static int tcp_authopt_sysctl_handler(struct ctl_table *table, int write,
				      void *buffer, size_t *lenp, loff_t *ppos)
{
	int val = READ_ONCE(sysctl_tcp_authopt);
	int ret = tcp_authopt_sysctl_bool(write, buffer, lenp, ppos, &val);

	if (ret <= 0)
		return ret;
	if (READ_ONCE(sysctl_tcp_authopt) && !val)
		return -EPERM;
	WRITE_ONCE(sysctl_tcp_authopt, val);
	return 0;
}

/* net.ipv4.tcp_authopt_all_sockets: 0 or 1, once tcp_authopt is enabled. */
static int tcp_authopt_all_sockets_handler(struct ctl_table *table, int write,
					   void *buffer, size_t *lenp, loff_t *ppos)
{
	struct tcp_authopt_net *tn = container_of(table->data, struct tcp_authopt_net,
						  all_sockets);
	int val = READ_ONCE(tn->all_sockets);
	int ret = tcp_authopt_sysctl_bool(write, buffer, lenp, ppos, &val);

	if (ret <= 0)
		return ret;
	if (val && !tcp_authopt_enabled())
		return -EPERM;
	if (val)
		tcp_authopt_need();
	WRITE_ONCE(tn->all_sockets, val);
	return 0;
}

/* Host-wide, as in the original series: only the initial namespace has it. */
static struct ctl_table tcp_authopt_host_table[] = {
	{
		.procname = "tcp_authopt",
		.data = &sysctl_tcp_authopt,
		.maxlen = sizeof(int),
		.mode = 0644,
		.proc_handler = tcp_authopt_sysctl_handler,
	},
	{ }
};

static struct ctl_table tcp_authopt_net_table[] = {
	{
		.procname = "tcp_authopt_all_sockets",
		.maxlen = sizeof(int),
		.mode = 0644,
		.proc_handler = tcp_authopt_all_sockets_handler,
	},
	{ }
};

static int __net_init tcp_authopt_net_init(struct net *net)
{
	struct tcp_authopt_net *tn = tcp_authopt_net(net);
	struct ctl_table *table;

	if (tcp_authopt_keydb_init(&tn->db, false))
		return -ENOMEM;
	table = kmemdup(tcp_authopt_net_table, sizeof(tcp_authopt_net_table), GFP_KERNEL);
	if (!table)
		goto err_db;
	table[0].data = &tn->all_sockets;
	tn->sysctl_hdr = register_net_sysctl(net, "net/ipv4", table);
	if (!tn->sysctl_hdr)
		goto err_table;
	if (IS_ENABLED(CONFIG_PROC_FS) &&
	    !proc_create_net_single("tcp_authopt", 0400, net->proc_net,
				    tcp_authopt_proc_show, NULL))
		goto err_sysctl;
	return 0;

err_sysctl:
	unregister_net_sysctl_table(tn->sysctl_hdr);
err_table:
	kfree(table);
err_db:
	tcp_authopt_keydb_destroy(&tn->db);
	return -ENOMEM;
}

static void __net_exit tcp_authopt_net_exit(struct net *net)
{
	struct tcp_authopt_net *tn = tcp_authopt_net(net);
	struct ctl_table *table = tn->sysctl_hdr->ctl_table_arg;

	remove_proc_entry("tcp_authopt", net->proc_net);
	unregister_net_sysctl_table(tn->sysctl_hdr);
	kfree(table);
	tcp_authopt_keydb_flush(&tn->db);
	tcp_authopt_keydb_destroy(&tn->db);
}

static struct pernet_operations tcp_authopt_net_ops = {
	.init = tcp_authopt_net_init,
	.exit = tcp_authopt_net_exit,
	.id = &tcp_authopt_net_id,
	.size = sizeof(struct tcp_authopt_net),
};

#ifdef CONFIG_FAIL_TCP_AUTHOPT
/* Our allocations fail on demand (debugfs fail_tcp_authopt, see
 * Documentation/fault-injection): softirq paths are out of reach of
 * failslab's task filter, and the other users of the kmalloc caches would
 * fail with us.
 */
static DECLARE_FAULT_ATTR(tcp_authopt_fail_attr);

bool tcp_authopt_should_fail(void)
{
	return should_fail(&tcp_authopt_fail_attr, 1);
}

static int __init tcp_authopt_fail_init(void)
{
	return PTR_ERR_OR_ZERO(fault_create_debugfs_attr("fail_tcp_authopt", NULL,
							 &tcp_authopt_fail_attr));
}
late_initcall(tcp_authopt_fail_init);
#endif

static int __init tcp_authopt_init(void)
{
	int err;

	tcp_authopt_key_cache = KMEM_CACHE(tcp_authopt_key_info, SLAB_PANIC);
	tcp_authopt_info_cache = KMEM_CACHE(tcp_authopt_info, SLAB_PANIC);
	err = register_pernet_subsys(&tcp_authopt_net_ops);
	if (err)
		return err;
	if (!register_net_sysctl(&init_net, "net/ipv4", tcp_authopt_host_table))
		pr_err("cannot register net.ipv4.tcp_authopt\n");
	return 0;
}
fs_initcall(tcp_authopt_init);
