// SPDX-License-Identifier: GPL-2.0
/*
 * The TCP Authentication Option (RFC 5925) under concurrency: many
 * authenticated connections move data while keys and settings change
 * around them, and a namespace full of connections is dropped.
 *
 * churn_under_load: 200 connections between namespaces A and B in four
 * groups (IPv4 with HMAC-SHA-1, IPv6 with AES-128-CMAC, IPv4 with prefix
 * keys and AES-128-CMAC, IPv4-mapped IPv6 with HMAC-SHA-1) carry checked
 * data streams both ways without pause, driven by worker threads with
 * epoll. Meanwhile a thread adds, replaces and deletes keys for other peers
 * (addresses, prefixes, port ranges, the default VRF) at about 1000
 * changes a second, checking refusals and /proc/net/tcp_authopt as it
 * goes, and every few seconds each group's keys roll over: the next key on
 * both sides, the switch asked for through RNextKeyID or forced with
 * LOCK_KEYID (from either side), the old key made NOSEND, then deleted.
 * The live keys are also re-added unchanged all along. No connection may
 * fail or stall, no byte may differ, no TCP-AO drop counter may move.
 *
 * sysctl_flips: net.ipv4.tcp_authopt_all_sockets flips in both namespaces
 * while connections (some of them opened by sockets that never used the
 * options, under the netns-wide mode) run and sockets come and go: every
 * new socket, and every connection of sockets that never used the options,
 * follows the value it was created under.
 *
 * netns_delete_live: a namespace A is dropped while it holds authenticated
 * established connections, children nobody accepted, request sockets (the
 * handshake never completes), TIME-WAIT sockets and keys, one of them just
 * added. The connections A aborts on the way must be reset at B, and B,
 * which also has connections to a namespace C, is not affected otherwise.
 *
 *	A: va 198.51.100.1 .3 .5/24  <---->  B: vb 198.51.100.2 .4 .6/24
 *	      2001:db8::1/64                       2001:db8::2/64
 *
 *	netns_delete_live: A: va .1, ::1 <----> B: vb .2, ::2
 *	                   B: vbc 203.0.113.1/24 <----> C: vc 203.0.113.2/24
 *
 * TCP_AUTHOPT_CHURN_SECS sets how long the load runs (default 30 s, at most
 * 600; 300 for a soak); the other tests scale with it.
 * TCP_AUTHOPT_CHURN_RATE sets the unrelated key changes a second (default
 * 1000; 0 to compare the throughput without them). Progress goes to TAP
 * comments. The leak check of the test VM (no tcp_authopt slab object left
 * once the namespaces are gone) completes the assertions.
 *
 * Needs root, ip(8), nft(8), CONFIG_VETH and CONFIG_NF_TABLES_INET.
 */
#define _GNU_SOURCE
#include <net/if.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "netns_lib.h"

#define ALL_SOCKETS_PATH	"/proc/sys/net/ipv4/tcp_authopt_all_sockets"
#define PROC_KEYS_PATH		"/proc/self/net/tcp_authopt"

#define PORT		179
#define PORT_UNTOUCHED	181	/* test 2: listener that never used the options */
#define PORT_FLIP	180	/* test 2: a new connection per flip */

#define NGROUPS		4
#define NCONNS		200	/* churn_under_load */
#define NCONNS_FLIPS	24	/* sysctl_flips, plus NUNTOUCHED */
#define NUNTOUCHED	8
#define NCONNS_BC	8	/* netns_delete_live, between B and C */
#define MAX_CONNS	NCONNS
#define NWORKERS	4	/* at most; one per CPU */
#define WORKER_NICE	5

/* Socket buffers: 400 sockets must not push TCP into memory pressure. */
#define SOCK_BUF	(64 << 10)
#define SEND_CHUNK	(8u << 10)
#define RECV_CHUNK	(64u << 10)

#define DEFAULT_SECS	30
#define MAX_SECS	600
#define CHURN_RATE	1000	/* unrelated key changes per second */
#define NSLOTS		96	/* unrelated key identities per namespace */

/* Timing of the controller (ms). */
#define TICK_MS		50
#define ROLL_MS		3000	/* between the rollovers of a group */
#define ADDED_MS	500	/* next key present on both sides before the switch */
#define RETIRE_MS	1000	/* old key NOSEND before it is deleted */
#define PROGRESS_MS	10000

/* Deadlines (ms). */
#define SWITCH_MS	20000	/* every connection of a group on the next key */
#define STALL_MS	45000	/* a direction of a connection moving no byte */
#define DRAIN_MS	60000	/* both FINs and every byte, once the load stops */
#define NS_GONE_MS	90000	/* a dropped namespace dismantled */
#define STATE_MS	10000	/* sockets reaching the states a test builds */
#define RESET_MS	3000	/* a RST arriving */

#define MIB		(1024.0 * 1024.0)

/* Atomic accesses to fields that threads share. */
#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define ADD(x, v)	__atomic_add_fetch(&(x), (v), __ATOMIC_RELAXED)

static int env_int(const char *name, int def, int min, int max)
{
	const char *s = getenv(name);
	int v = s && *s ? atoi(s) : def;

	return v < min ? min : v > max ? max : v;
}

/* Unrelated key changes a second (TCP_AUTHOPT_CHURN_RATE, to compare). */
static int churn_rate(void)
{
	return env_int("TCP_AUTHOPT_CHURN_RATE", CHURN_RATE, 0, 100000);
}

/* How long the load runs, in seconds. */
static int churn_secs(void)
{
	return env_int("TCP_AUTHOPT_CHURN_SECS", DEFAULT_SECS, 5, MAX_SECS);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	usleep(ms * 1000);
}

/* xorshift64*: each thread has its own state. */
static __u64 rnd(__u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* ------------------------------------------------------------------------ */
/* Groups of connections and their keys                                     */
/* ------------------------------------------------------------------------ */

struct group {
	const char *name;
	int family;			/* of the sockets */
	int alg;
	const char *addr[2];		/* the sockets' addresses in A and in B */
	const char *key_addr[2];	/* what the keys of A and of B name */
	int prefixlen;			/* of the keys; 0: ADDR_BIND, exact */
};

/*
 * The prefix keys name 198.51.100.4/31 and .2/31: of the peers of each
 * side they cover only their group's. Keys of different groups never
 * apply to the same connection.
 */
static const struct group groups[NGROUPS] = {
	{ "ipv4/hmac-sha1", AF_INET, TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	  { ADDR4_A, ADDR4_B }, { ADDR4_B, ADDR4_A }, 0 },
	{ "ipv6/aes-cmac", AF_INET6, TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	  { ADDR6_A, ADDR6_B }, { ADDR6_B, ADDR6_A }, 0 },
	{ "ipv4-prefix/aes-cmac", AF_INET, TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	  { "198.51.100.3", "198.51.100.4" }, { "198.51.100.4", "198.51.100.3" }, 31 },
	{ "ipv4-mapped/hmac-sha1", AF_INET6, TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	  { "::ffff:198.51.100.5", "::ffff:198.51.100.6" },
	  { "::ffff:198.51.100.6", "::ffff:198.51.100.5" }, 0 },
};

static int load_net_setup(int ns[2])
{
	static const char * const addrs_a[] = {
		ADDR4_A, "198.51.100.3", "198.51.100.5", ADDR6_A, NULL
	};
	static const char * const addrs_b[] = {
		ADDR4_B, "198.51.100.4", "198.51.100.6", ADDR6_B, NULL
	};
	const char * const *addrs[2] = { addrs_a, addrs_b };

	return veth_pair_setup(ns, addrs);
}

/* KeyID that @side sends with in generation @gen of group @g. */
static __u8 key_id(int g, int side, unsigned int gen)
{
	return 1 + (gen * 8 + g * 2 + side) % 248;
}

struct gen_key {
	struct key_spec ks;
	char secret[64];
};

/* Side @side's key of generation @gen of group @g, with @extra flags. */
static void group_key(struct gen_key *k, int g, int side, unsigned int gen, __u32 extra)
{
	const struct group *gr = &groups[g];

	memset(k, 0, sizeof(*k));
	snprintf(k->secret, sizeof(k->secret), "churn selftest %s generation %u", gr->name, gen);
	k->ks.flags = (gr->prefixlen ? TCP_AUTHOPT_KEY_PREFIXLEN : TCP_AUTHOPT_KEY_ADDR_BIND) |
		      extra;
	k->ks.send_id = key_id(g, side, gen);
	k->ks.recv_id = key_id(g, !side, gen);
	k->ks.alg = gr->alg;
	k->ks.secret = k->secret;
	k->ks.addr = gr->key_addr[side];
	k->ks.prefixlen = gr->prefixlen;
}

/* Add, replace (or with DEL delete) a group key in @side: 0 or -errno. */
static int group_key_set(struct env *e, int g, int side, unsigned int gen, __u32 flags)
{
	struct gen_key k;

	group_key(&k, g, side, gen, flags);
	return key_in(e, side, &k.ks);
}

/* ------------------------------------------------------------------------ */
/* The load: connections moving checked streams, driven by workers         */
/* ------------------------------------------------------------------------ */

struct end {
	int fd;
	int conn;		/* index, for messages */
	int side;
	__u64 send_seed;
	__u64 recv_seed;
	__u64 sent;		/* written by the end's worker only */
	__u64 rcvd;
	bool shut;		/* SHUT_WR done (draining) */
	bool eof;
	bool done;
};

struct conn {
	struct end end[2];	/* [A]: the client, [B]: the accepted socket */
	int group;
	bool untouched;		/* never used the options (netns-wide mode) */
	__u64 seen[2];		/* end[i].rcvd at the last stall check */
	long seen_ms[2];
};

enum { RUN, DRAIN, ABORT };

struct load;

/*
 * A worker's buffers come from the main thread: under User-Mode Linux, a
 * thread that maps memory (malloc()) while another one starts trips a
 * scheduler BUG in fork_handler(), unrelated to TCP.
 */
struct worker {
	struct load *l;
	int idx;
	pthread_t thread;
	bool started;
	unsigned char *out, *in, *expect;
};

struct load {
	struct conn conns[MAX_CONNS];
	int nconns;
	struct worker workers[NWORKERS];
	int nworkers;
	int phase;
	pthread_mutex_t lock;
	bool failed;
	char why[512];
};

/* What a connection belongs to, for messages. */
static const char *conn_name(const struct conn *c)
{
	return c->group < NGROUPS ? groups[c->group].name : "C-B";
}

static void load_init(struct load *l)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
}

/* Record the first failure of a thread and stop everything. */
static void load_fail(struct load *l, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&l->lock);
	if (!l->failed) {
		va_start(ap, fmt);
		vsnprintf(l->why, sizeof(l->why), fmt, ap);
		va_end(ap);
		l->failed = true;
	}
	pthread_mutex_unlock(&l->lock);
	STORE(l->phase, ABORT);
}

static bool load_failed(struct load *l)
{
	bool failed;

	pthread_mutex_lock(&l->lock);
	failed = l->failed;
	pthread_mutex_unlock(&l->lock);
	return failed;
}

static void end_fail(struct load *l, struct end *e, const char *what, int err)
{
	const struct conn *c = &l->conns[e->conn];

	load_fail(l, "connection %d (%s%s), %s end: %s: %s (sent %llu, received %llu)",
		  e->conn, conn_name(c), c->untouched ? ", untouched" : "",
		  side_name(e->side), what, strerror(-err), e->sent, e->rcvd);
}

/* Receive what is queued and check it against the peer's stream. */
static int end_recv(struct load *l, struct end *e, unsigned char *in, unsigned char *expect)
{
	ssize_t ret;

	if (e->eof)
		return 0;
	ret = recv(e->fd, in, RECV_CHUNK, MSG_DONTWAIT);
	if (ret < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (ret == 0) {
		/* The peer shuts down only once the load drains. */
		if (LOAD(l->phase) != DRAIN)
			return -EPIPE;
		e->eof = true;
		return 0;
	}
	stream_fill(e->recv_seed, e->rcvd, expect, ret);
	if (memcmp(in, expect, ret))
		return -EBADMSG;
	STORE(e->rcvd, e->rcvd + ret);
	return 0;
}

/* Send the next bytes of the stream, as many as the socket takes. */
static int end_send(struct end *e, unsigned char *out)
{
	ssize_t ret;

	stream_fill(e->send_seed, e->sent, out, SEND_CHUNK);
	ret = send(e->fd, out, SEND_CHUNK, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (ret < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	STORE(e->sent, e->sent + ret);
	return 0;
}

/* Shut down the sending side of the worker's ends: the load drains. */
static int worker_drain(struct worker *w, int epfd)
{
	struct load *l = w->l;
	int i, side;

	for (i = w->idx; i < l->nconns; i += l->nworkers) {
		for (side = A; side <= B; side++) {
			struct end *e = &l->conns[i].end[side];
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = e };

			if (e->done || e->shut)
				continue;
			if (shutdown(e->fd, SHUT_WR)) {
				end_fail(l, e, "shutdown", -errno);
				return -1;
			}
			e->shut = true;
			if (epoll_ctl(epfd, EPOLL_CTL_MOD, e->fd, &ev)) {
				end_fail(l, e, "epoll_ctl", -errno);
				return -1;
			}
		}
	}
	return 0;
}

/* The first end of the worker that has not finished draining. */
static struct end *worker_pending(struct worker *w)
{
	struct load *l = w->l;
	int i, side;

	for (i = w->idx; i < l->nconns; i += l->nworkers)
		for (side = A; side <= B; side++)
			if (!l->conns[i].end[side].done)
				return &l->conns[i].end[side];
	return NULL;
}

/*
 * Both ends of every nworkers-th connection: send whenever a socket takes
 * more, receive and check whatever arrives; once draining, FIN after the
 * last byte and read up to the peer's FIN.
 */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct load *l = w->l;
	struct epoll_event ev[64];
	int epfd, i, n, side, live = 0, ret = 0;
	long drain_start = 0;

	/*
	 * The data would take all of a uniprocessor: the key changes and
	 * the controller come first.
	 */
	setpriority(PRIO_PROCESS, gettid(), WORKER_NICE);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		load_fail(l, "worker %d: epoll_create1: %m", w->idx);
		return NULL;
	}
	for (i = w->idx; i < l->nconns; i += l->nworkers) {
		for (side = A; side <= B; side++) {
			struct end *e = &l->conns[i].end[side];
			struct epoll_event one = { .events = EPOLLIN | EPOLLOUT, .data.ptr = e };

			if (epoll_ctl(epfd, EPOLL_CTL_ADD, e->fd, &one)) {
				end_fail(l, e, "epoll_ctl", -errno);
				goto out;
			}
			live++;
		}
	}
	while (live > 0) {
		int phase = LOAD(l->phase);

		if (phase == ABORT)
			break;
		if (phase == DRAIN && !drain_start) {
			drain_start = now_ms();
			if (worker_drain(w, epfd))
				break;
		}
		if (drain_start && now_ms() - drain_start > DRAIN_MS) {
			struct end *e = worker_pending(w);

			end_fail(l, e, "draining", -ETIMEDOUT);
			break;
		}
		n = epoll_wait(epfd, ev, ARRAY_SIZE(ev), 100);
		if (n < 0 && errno != EINTR) {
			load_fail(l, "worker %d: epoll_wait: %m", w->idx);
			break;
		}
		for (i = 0; i < n; i++) {
			struct end *e = ev[i].data.ptr;
			const char *what = "recv";

			if (e->done)
				continue;
			ret = 0;
			if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				ret = end_recv(l, e, w->in, w->expect);
			if (!ret && !e->shut && (ev[i].events & EPOLLOUT)) {
				what = "send";
				ret = end_send(e, w->out);
			}
			if (ret) {
				end_fail(l, e, what, ret);
				break;
			}
			if (e->shut && e->eof) {
				epoll_ctl(epfd, EPOLL_CTL_DEL, e->fd, NULL);
				e->done = true;
				live--;
			}
		}
		if (ret)
			break;
	}
out:
	close(epfd);
	return NULL;
}

static void load_start(struct __test_metadata *_metadata, struct load *l)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int i, ret;

	l->nworkers = cpus < 1 ? 1 : cpus > NWORKERS ? NWORKERS : cpus;
	STORE(l->phase, RUN);
	for (i = 0; i < l->nworkers; i++) {
		struct worker *w = &l->workers[i];

		w->l = l;
		w->idx = i;
		w->out = malloc(SEND_CHUNK);
		w->in = malloc(RECV_CHUNK);
		w->expect = malloc(RECV_CHUNK);
		ASSERT_TRUE(w->out && w->in && w->expect);
	}
	for (i = 0; i < l->nworkers; i++) {
		ret = pthread_create(&l->workers[i].thread, NULL, worker_main, &l->workers[i]);
		ASSERT_EQ(0, ret) TH_LOG("pthread_create: %s", strerror(ret));
		l->workers[i].started = true;
	}
}

/* Stop the workers (@phase: DRAIN to finish the streams, ABORT) and join them. */
static void load_stop(struct load *l, int phase)
{
	int i;

	if (LOAD(l->phase) != ABORT)
		STORE(l->phase, phase);
	for (i = 0; i < NWORKERS; i++) {
		struct worker *w = &l->workers[i];

		if (w->started)
			pthread_join(w->thread, NULL);
		w->started = false;
		free(w->out);
		free(w->in);
		free(w->expect);
		w->out = NULL;
		w->in = NULL;
		w->expect = NULL;
	}
}

static void load_close(struct load *l)
{
	int i, side;

	load_stop(l, ABORT);
	for (i = 0; i < l->nconns; i++) {
		for (side = A; side <= B; side++) {
			if (l->conns[i].end[side].fd >= 0)
				close(l->conns[i].end[side].fd);
			l->conns[i].end[side].fd = -1;
		}
	}
	l->nconns = 0;
}

/* Bytes received so far by all ends. */
static __u64 load_bytes(struct load *l)
{
	__u64 sum = 0;
	int i;

	for (i = 0; i < l->nconns; i++)
		sum += LOAD(l->conns[i].end[A].rcvd) + LOAD(l->conns[i].end[B].rcvd);
	return sum;
}

/* Bytes the slowest direction of any connection moved so far. */
static __u64 load_min_bytes(struct load *l)
{
	__u64 min = ~0ull, got;
	int i, side;

	for (i = 0; i < l->nconns; i++) {
		for (side = A; side <= B; side++) {
			got = LOAD(l->conns[i].end[side].rcvd);
			if (got < min)
				min = got;
		}
	}
	return l->nconns ? min : 0;
}

/*
 * Every direction of every connection moved bytes within STALL_MS: 0, or
 * the load fails.
 */
static int load_check_stalls(struct load *l, long now)
{
	int i, side;

	for (i = 0; i < l->nconns; i++) {
		struct conn *c = &l->conns[i];

		for (side = A; side <= B; side++) {
			__u64 got = LOAD(c->end[side].rcvd);

			if (got != c->seen[side] || !c->seen_ms[side]) {
				c->seen[side] = got;
				c->seen_ms[side] = now;
			} else if (now - c->seen_ms[side] > STALL_MS) {
				load_fail(l,
					  "connection %d (%s): %s received nothing for %ld ms (%llu bytes so far)",
					  i, conn_name(c), side_name(side),
					  now - c->seen_ms[side], got);
				return -1;
			}
		}
	}
	return 0;
}

/* After a drain: both streams of every connection complete, both FINs seen. */
static void load_verify(struct __test_metadata *_metadata, struct load *l)
{
	int i, side;

	for (i = 0; i < l->nconns; i++) {
		struct conn *c = &l->conns[i];

		for (side = A; side <= B; side++) {
			struct end *e = &c->end[side];

			EXPECT_TRUE(e->done) TH_LOG("connection %d, %s end: not finished", i,
						    side_name(side));
			EXPECT_EQ(c->end[!side].sent, e->rcvd)
				TH_LOG("connection %d (%s): %s got %llu of %llu bytes", i,
				       conn_name(c), side_name(side), e->rcvd,
				       c->end[!side].sent);
		}
	}
}

/* Socket buffers of a socket of the load. */
static void set_bufs(struct __test_metadata *_metadata, int fd)
{
	int size = SOCK_BUF;

	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)));
}

/*
 * A new connection of the load in group @g (for messages and key checks):
 * a client in A (e->ns[A]) with TCP_AUTHOPT @flags bound to @addr_a,
 * accepted from @listener, which listens in B on @addr_b:@port.
 */
static void load_add(struct __test_metadata *_metadata, struct env *e, struct load *l,
		     int g, int family, const char *addr_a, const char *addr_b, int port,
		     int listener, __u32 flags)
{
	struct conn *c;
	int fd;

	ASSERT_GT(MAX_CONNS, l->nconns);
	c = &l->conns[l->nconns];
	memset(c, 0, sizeof(*c));
	c->end[A].fd = -1;
	c->end[B].fd = -1;
	c->group = g;
	c->untouched = flags == UNTOUCHED;
	fd = socket_in(_metadata, e, A, family, flags, NULL, addr_a, 0);
	c->end[A].fd = fd;
	set_bufs(_metadata, fd);
	c->end[B].fd = connect_accept(_metadata, fd, listener, addr_b, port);
	for (fd = A; fd <= B; fd++) {
		c->end[fd].conn = l->nconns;
		c->end[fd].side = fd;
		c->end[fd].send_seed = 0x6368726e00000000ull + l->nconns * 2 + fd;
		c->end[fd].recv_seed = 0x6368726e00000000ull + l->nconns * 2 + !fd;
	}
	l->nconns++;
}

/* A listener in B for group @g with TCP_AUTHOPT @flags. */
static int group_listener(struct __test_metadata *_metadata, struct env *e, int g, int port,
			  __u32 flags)
{
	int fd = socket_in(_metadata, e, B, groups[g].family, flags, NULL, groups[g].addr[B],
			   port);

	set_bufs(_metadata, fd);
	ASSERT_EQ(0, listen(fd, 64)) TH_LOG("listen: %m");
	return fd;
}

/* @n connections spread over the groups, with the keys of generation 0. */
static void load_add_groups(struct __test_metadata *_metadata, struct env *e, struct load *l,
			    int n)
{
	int g, i, listener[NGROUPS];

	for (g = 0; g < NGROUPS; g++)
		listener[g] = group_listener(_metadata, e, g, PORT, 0);
	for (i = 0; i < n; i++) {
		const struct group *gr = &groups[i % NGROUPS];

		load_add(_metadata, e, l, i % NGROUPS, gr->family, gr->addr[A], gr->addr[B],
			 PORT, listener[i % NGROUPS], 0);
	}
	for (g = 0; g < NGROUPS; g++)
		close(listener[g]);
}

/* Generation 0 keys of every group on both sides. */
static void keys_gen0(struct __test_metadata *_metadata, struct env *e)
{
	int g, side, ret;

	for (g = 0; g < NGROUPS; g++) {
		for (side = A; side <= B; side++) {
			ret = group_key_set(e, g, side, 0, 0);
			ASSERT_EQ(0, ret) TH_LOG("%s: key of %s: %s", side_name(side),
						 groups[g].name, strerror(-ret));
		}
	}
}

/* Connection @c sends and receives with generation @gen of its group (and is ACTIVE). */
static int conn_on_gen(struct conn *c, unsigned int gen, struct tcp_authopt *got)
{
	int side, ret;

	memset(got, 0, 2 * sizeof(*got));
	for (side = A; side <= B; side++) {
		ret = authopt_get(c->end[side].fd, &got[side]);
		if (ret)
			return ret;
		if (!(got[side].flags & TCP_AUTHOPT_FLAG_ACTIVE) ||
		    got[side].send_keyid != key_id(c->group, side, gen) ||
		    got[side].recv_keyid != key_id(c->group, !side, gen))
			return -EAGAIN;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Unrelated keys: adds, replaces and deletes at CHURN_RATE                 */
/* ------------------------------------------------------------------------ */

struct churn {
	struct load *l;
	int fd[2][2];		/* [side][IPv6]: sockets that set the keys */
	int proc[2];		/* /proc/net/tcp_authopt of each side */
	int live_min, live_max;	/* keys the groups have on a side */
	int rate;
	bool stop;
	pthread_t thread;
	bool started;
	__u64 rng;
	bool present[2][NSLOTS];
	int npresent[2];
	unsigned long changes;	/* adds, replaces and deletes done */
	unsigned long refused;	/* EEXIST and ENOENT checks passed */
	unsigned long proc_reads;
	char buf[65536];	/* /proc/net/tcp_authopt */
};

/*
 * The key of slot @slot: six kinds of identity (IPv4 and IPv6 addresses,
 * IPv4 and IPv6 prefixes, the default VRF, port ranges) naming peers in
 * 203.0.113.0/24 and 2001:db8:c0::/44, nobody's. Each slot's identity is
 * fixed; each add or replace draws its algorithm, material and other flags.
 * Returns the family of the key.
 */
static int slot_key(struct tcp_authopt_key *k, int slot, __u64 *rng, bool del)
{
	struct sockaddr_storage ss;
	int n = slot / 6, family;
	char addr[64];
	time_t t = time(NULL);
	__u64 r;

	memset(k, 0, sizeof(*k));
	switch (slot % 6) {
	case 0:
		k->flags = TCP_AUTHOPT_KEY_ADDR_BIND;
		snprintf(addr, sizeof(addr), "203.0.113.%d", 1 + n);
		break;
	case 1:
		k->flags = TCP_AUTHOPT_KEY_ADDR_BIND;
		snprintf(addr, sizeof(addr), "2001:db8:c0::%x", 1 + n);
		break;
	case 2:
		k->flags = TCP_AUTHOPT_KEY_PREFIXLEN;
		k->prefixlen = 30;
		snprintf(addr, sizeof(addr), "203.0.113.%d", 128 + 4 * n);
		break;
	case 3:
		k->flags = TCP_AUTHOPT_KEY_PREFIXLEN | TCP_AUTHOPT_KEY_ADDR_BIND;
		k->prefixlen = 64;
		snprintf(addr, sizeof(addr), "2001:db8:c1:%x::", n);
		break;
	case 4:
		/* The default VRF only. */
		k->flags = TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_IFINDEX;
		snprintf(addr, sizeof(addr), "203.0.113.%d", 64 + n);
		break;
	default:
		k->flags = TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_LOCAL_PORT |
			   TCP_AUTHOPT_KEY_REMOTE_PORT;
		k->local_port_min = PORT;
		k->local_port_max = PORT;
		k->remote_port_min = 1024;
		k->remote_port_max = 65535;
		snprintf(addr, sizeof(addr), "2001:db8:c2::%x", 1 + n);
		break;
	}
	family = sockaddr_fill(&ss, addr, 0) == sizeof(struct sockaddr_in6) ? AF_INET6 : AF_INET;
	memcpy(&k->addr, &ss, sizeof(ss));
	k->send_id = slot * 37 + 11;
	k->recv_id = slot * 53 + 5;
	if (del) {
		k->flags |= TCP_AUTHOPT_KEY_DEL;
		return family;
	}

	r = rnd(rng);
	k->alg = r & 1 ? TCP_AUTHOPT_ALG_HMAC_SHA_1_96 : TCP_AUTHOPT_ALG_AES_128_CMAC_96;
	k->keylen = (r >> 1) % (TCP_AUTHOPT_MAXKEYLEN + 1);
	for (n = 0; n < k->keylen; n++)
		k->key[n] = rnd(rng);
	if (r & (1 << 8))
		k->flags |= TCP_AUTHOPT_KEY_EXCLUDE_OPTS;
	if ((r & (3 << 9)) == 0)
		k->flags |= TCP_AUTHOPT_KEY_NOSEND;
	if ((r & (3 << 11)) == 0)
		k->flags |= TCP_AUTHOPT_KEY_NORECV;
	if (r & (1 << 13)) {
		k->flags |= TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_SEND_LIFETIME_END;
		k->send_lifetime_begin = t - 60;
		k->send_lifetime_end = t + (r >> 20) % 3600;
	}
	if (r & (1 << 14)) {
		k->flags |= TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_RECV_LIFETIME_END;
		k->recv_lifetime_begin = t + (r >> 32) % 60;
		k->recv_lifetime_end = k->recv_lifetime_begin + 3600;
	}
	return family;
}

static int churn_setsockopt(struct churn *ch, int side, int family,
			    const struct tcp_authopt_key *k)
{
	int fd = ch->fd[side][family == AF_INET6];

	return setsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT_KEY, k, sizeof(*k)) ? -errno : 0;
}

/* Number of keys the open /proc/net/tcp_authopt @fd lists, or -errno. */
static int proc_key_lines(int fd, char *buf, size_t size)
{
	int n = 0, lines = 0;
	ssize_t ret;
	size_t len = 0;

	if (lseek(fd, 0, SEEK_SET))
		return -errno;
	while (len < size - 1) {
		ret = read(fd, buf + len, size - 1 - len);
		if (ret < 0)
			return -errno;
		if (!ret)
			break;
		len += ret;
	}
	buf[len] = '\0';
	if (strncmp(buf, "flags\t", 6))
		return -EBADMSG;
	for (; buf[n]; n++)
		lines += buf[n] == '\n';
	return lines - 1;
}

/* One change of a random slot of a random side; checks now and then. */
static int churn_one(struct churn *ch)
{
	__u64 r = rnd(&ch->rng);
	int side = r & 1, slot = (r >> 1) % NSLOTS, family, ret;
	bool *present = &ch->present[side][slot];
	struct tcp_authopt_key k;
	bool del = *present && (r >> 16) % 3 == 0;

	family = slot_key(&k, slot, &ch->rng, del);
	ret = churn_setsockopt(ch, side, family, &k);
	if (ret) {
		load_fail(ch->l, "%s: %s of unrelated key %d: %s", side_name(side),
			  del ? "delete" : *present ? "replace" : "add", slot, strerror(-ret));
		return ret;
	}
	ADD(ch->changes, 1);
	if (del != !*present) {
		*present = !del;
		ch->npresent[side] += del ? -1 : 1;
	}

	if ((r >> 24) % 64 == 0) {
		/* Deleting an absent key fails; nobody else touches these. */
		if (!*present) {
			slot_key(&k, slot, &ch->rng, true);
			ret = churn_setsockopt(ch, side, family, &k);
		} else {
			/* Same send_id, other recv_id, as specific: ambiguous. */
			family = slot_key(&k, slot, &ch->rng, false);
			k.recv_id++;
			ret = churn_setsockopt(ch, side, family, &k);
			ret = ret == -EEXIST ? -ENOENT : ret ? ret : -EALREADY;
		}
		if (ret != -ENOENT) {
			load_fail(ch->l, "%s: unrelated key %d (%s): %s instead of a refusal",
				  side_name(side), slot,
				  *present ? "ambiguous add" : "absent delete",
				  ret == -EALREADY ? "success" : strerror(-ret));
			return -1;
		}
		ch->refused++;
	}
	if ((r >> 30) % 128 == 0) {
		int n = proc_key_lines(ch->proc[side], ch->buf, sizeof(ch->buf));

		ch->proc_reads++;
		int have = ch->npresent[side];

		if (n < have + ch->live_min || n > have + ch->live_max) {
			load_fail(ch->l, "%s: /proc/net/tcp_authopt lists %d keys, not %d + %d..%d",
				  side_name(side), n, ch->npresent[side], ch->live_min,
				  ch->live_max);
			return -1;
		}
	}
	return 0;
}

static void *churn_main(void *arg)
{
	struct churn *ch = arg;
	long start = now_ms(), due;
	unsigned long done = 0;

	while (!LOAD(ch->stop) && LOAD(ch->l->phase) == RUN) {
		due = (now_ms() - start) * ch->rate / 1000;
		if ((long)done >= due) {
			sleep_ms(1);
			continue;
		}
		/* Never more than a second of changes in a burst. */
		if (due - (long)done > ch->rate)
			done = due - ch->rate;
		if (churn_one(ch))
			break;
		done++;
	}
	return NULL;
}

/* Sockets and /proc files in A and B; the thread starts changing keys. */
static void churn_start(struct __test_metadata *_metadata, struct env *e, struct churn *ch,
			struct load *l, int rate)
{
	int side, v6, ret;

	ch->l = l;
	ch->rate = rate;
	ch->live_min = NGROUPS;
	ch->live_max = 2 * NGROUPS;
	ch->rng = 0x9e3779b97f4a7c15ull ^ (__u64)time(NULL);
	for (side = A; side <= B; side++) {
		ASSERT_EQ(0, ns_enter(e->ns[side]));
		for (v6 = 0; v6 < 2; v6++) {
			ch->fd[side][v6] = tcp_socket(v6 ? AF_INET6 : AF_INET, 0);
			ASSERT_LE(0, ch->fd[side][v6]);
		}
		ch->proc[side] = open(PROC_KEYS_PATH, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, ch->proc[side]) TH_LOG("%s: %m", PROC_KEYS_PATH);
	}
	ret = pthread_create(&ch->thread, NULL, churn_main, ch);
	ASSERT_EQ(0, ret) TH_LOG("pthread_create: %s", strerror(ret));
	ch->started = true;
}

static void churn_stop(struct churn *ch)
{
	int side, v6;

	STORE(ch->stop, true);
	if (ch->started)
		pthread_join(ch->thread, NULL);
	ch->started = false;
	for (side = A; side <= B; side++) {
		for (v6 = 0; v6 < 2; v6++) {
			if (ch->fd[side][v6] >= 0)
				close(ch->fd[side][v6]);
			ch->fd[side][v6] = -1;
		}
		if (ch->proc[side] >= 0)
			close(ch->proc[side]);
		ch->proc[side] = -1;
	}
}

/* ------------------------------------------------------------------------ */
/* Key rollover of the groups, by the controller                            */
/* ------------------------------------------------------------------------ */

enum { R_IDLE, R_ADDED, R_SWITCH, R_RETIRE };

static const char * const roll_state_name[] = { "idle", "next key added", "switching",
						 "old key NOSEND" };

struct roll {
	unsigned int gen;	/* keys in use; gen + 1 too when not idle */
	int state;
	long since;		/* ms, when the state was entered */
	long next;		/* ms, next rollover */
	int initiator;		/* the side that makes the switch */
	bool by_keyid;		/* LOCK_KEYID, else LOCK_RNEXTKEYID */
	unsigned int done;	/* rollovers completed */
};

struct ctl {
	struct env *e;
	struct load *l;
	struct roll roll[NGROUPS];
	bool rollover;
	unsigned long key_ops;		/* rollover adds, flag changes, deletes */
	unsigned long live_replaces;	/* live keys re-added unchanged */
	unsigned int replace_next;
	long long moved[2][C_COUNT];	/* counters that moved: reported once */
};

static int ctl_key(struct ctl *c, int g, int side, unsigned int gen, __u32 flags)
{
	int ret = group_key_set(c->e, g, side, gen, flags);

	if (ret)
		load_fail(c->l, "%s: key generation %u of %s (flags 0x%x): %s", side_name(side),
			  gen, groups[g].name, flags, strerror(-ret));
	else
		c->key_ops++;
	return ret;
}

/* Lock (or with @unlock release) the switch on the initiating ends of group @g. */
static int roll_lock(struct ctl *c, int g, bool unlock)
{
	struct roll *r = &c->roll[g];
	int i, s = r->initiator, ret;

	for (i = 0; i < c->l->nconns; i++) {
		struct conn *cn = &c->l->conns[i];

		if (cn->group != g)
			continue;
		if (unlock)
			ret = authopt_set(cn->end[s].fd, 0, 0, 0);
		else if (r->by_keyid)
			ret = authopt_set(cn->end[s].fd, TCP_AUTHOPT_FLAG_LOCK_KEYID,
					  key_id(g, s, r->gen + 1), 0);
		else
			ret = authopt_set(cn->end[s].fd, TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID, 0,
					  key_id(g, !s, r->gen + 1));
		if (ret) {
			load_fail(c->l, "connection %d: TCP_AUTHOPT: %s", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * Every connection of group @g on generation @gen: 1, 0 when one is not
 * (yet), -1 on failure. With @must, not being there is a failure.
 */
static int roll_check(struct ctl *c, int g, unsigned int gen, bool must)
{
	struct tcp_authopt got[2];
	int i, ret;

	for (i = 0; i < c->l->nconns; i++) {
		struct conn *cn = &c->l->conns[i];

		if (cn->group != g)
			continue;
		ret = conn_on_gen(cn, gen, got);
		if (ret == -EAGAIN && !must)
			return 0;
		if (ret) {
			load_fail(c->l,
				  "connection %d (%s) not on generation %u (A sends %u, B %u); "
				  "A 0x%x send %u recv %u, B 0x%x send %u recv %u: %s",
				  i, groups[g].name, gen, key_id(g, A, gen), key_id(g, B, gen),
				  got[A].flags, got[A].send_keyid, got[A].recv_keyid,
				  got[B].flags, got[B].send_keyid, got[B].recv_keyid,
				  strerror(-ret));
			return -1;
		}
	}
	return 1;
}

/*
 * One step of the rollover of group @g: add the next key on both sides,
 * make the switch, wait until every connection is on it, release the lock
 * and make the old key NOSEND, then delete it.
 */
static int roll_step(struct ctl *c, int g, long now, bool ending)
{
	struct roll *r = &c->roll[g];
	int side, ret;

	switch (r->state) {
	case R_IDLE:
		if (ending || now < r->next)
			return 0;
		/* Both orders of the sides, both mechanisms, both initiators. */
		for (side = A; side <= B; side++)
			if (ctl_key(c, g, side ^ (r->gen & 1), r->gen + 1, 0))
				return -1;
		r->by_keyid = (r->gen + g) & 1;
		r->initiator = ((r->gen >> 1) + g) & 1;
		break;
	case R_ADDED:
		if (now - r->since < ADDED_MS)
			return 0;
		if (roll_lock(c, g, false))
			return -1;
		break;
	case R_SWITCH:
		ret = roll_check(c, g, r->gen + 1, now - r->since > SWITCH_MS);
		if (ret <= 0)
			return ret;
		if (roll_lock(c, g, true))
			return -1;
		for (side = A; side <= B; side++)
			if (ctl_key(c, g, side, r->gen, TCP_AUTHOPT_KEY_NOSEND))
				return -1;
		break;
	case R_RETIRE:
		if (now - r->since < RETIRE_MS)
			return 0;
		/* Without the lock, the default choice stays on the new key. */
		if (roll_check(c, g, r->gen + 1, true) < 0)
			return -1;
		for (side = A; side <= B; side++)
			if (ctl_key(c, g, side, r->gen, TCP_AUTHOPT_KEY_DEL))
				return -1;
		r->gen++;
		r->done++;
		r->next = now + ROLL_MS;
		r->state = R_IDLE;
		r->since = now;
		return 0;
	}
	r->state++;
	r->since = now;
	return 0;
}

/*
 * Re-add one of the keys in use, unchanged (same identity, material and
 * flags): the replace must not cost the connections a single segment.
 */
static int ctl_replace_live(struct ctl *c)
{
	unsigned int n = c->replace_next++;
	int g = n % NGROUPS, side = (n / NGROUPS) & 1, ret;
	struct roll *r = &c->roll[g];

	ret = group_key_set(c->e, g, side, r->gen,
			    r->state == R_RETIRE ? TCP_AUTHOPT_KEY_NOSEND : 0);
	if (!ret && r->state != R_IDLE)
		ret = group_key_set(c->e, g, side, r->gen + 1, 0);
	if (ret) {
		load_fail(c->l, "%s: re-adding a live key of %s: %s", side_name(side),
			  groups[g].name, strerror(-ret));
		return ret;
	}
	c->live_replaces++;
	return 0;
}

/* Report the first movement of each TCP-AO counter, with the rollover states. */
static int ctl_counters(struct __test_metadata *_metadata, struct ctl *c, long t)
{
	int side, i, g, moved = 0;

	for (side = A; side <= B; side++) {
		for (i = 0; i < C_COUNT; i++) {
			long long v = tcpext_counter(c->e->netstat[side], counter_name[i]) -
				      c->e->before[side][i];

			if (v == c->moved[side][i])
				continue;
			c->moved[side][i] = v;
			moved++;
			TH_LOG("t=%ld ms: %s %s is now %lld", t, side_name(side),
			       counter_name[i], v);
		}
	}
	if (moved)
		for (g = 0; g < NGROUPS; g++)
			TH_LOG("  %s: generation %u, %s for %ld ms", groups[g].name,
			       c->roll[g].gen, roll_state_name[c->roll[g].state],
			       t - c->roll[g].since);
	return moved;
}

struct run_report {
	long ms;
	__u64 bytes;
	unsigned long churn_changes;
	unsigned int rollovers;
};

/*
 * Run the load for @secs, with the rollovers when @c->rollover, checking
 * stalls and counters as it goes and reporting progress. Then finish the
 * rollovers under way and stop @ch (may be NULL). Returns 0 or -1 (the
 * load failed: l->why).
 */
static int ctl_run(struct __test_metadata *_metadata, struct ctl *c, struct churn *ch, int secs,
		   struct run_report *rep)
{
	long start = now_ms(), last_report = start, last_stall = start, now, end;
	unsigned long last_changes = 0;
	__u64 last_bytes = 0;
	int g, ret = 0;
	bool busy;

	end = start + secs * 1000L;
	for (g = 0; g < NGROUPS; g++) {
		c->roll[g].since = start;
		/* Staggered: the groups roll over at different times. */
		c->roll[g].next = start + 1000 + g * ROLL_MS / NGROUPS;
	}
	for (;;) {
		sleep_ms(TICK_MS);
		now = now_ms();
		if (load_failed(c->l))
			break;
		busy = false;
		for (g = 0; c->rollover && g < NGROUPS && !ret; g++) {
			ret = roll_step(c, g, now, now >= end);
			busy |= c->roll[g].state != R_IDLE;
		}
		if (ret || ctl_replace_live(c))
			break;
		ctl_counters(_metadata, c, now - start);
		if (now - last_stall >= 1000) {
			last_stall = now;
			if (load_check_stalls(c->l, now))
				break;
		}
		if (now - last_report >= PROGRESS_MS) {
			__u64 bytes = load_bytes(c->l);
			unsigned long changes = ch ? LOAD(ch->changes) : 0;
			unsigned int rolls = 0;

			for (g = 0; g < NGROUPS; g++)
				rolls += c->roll[g].done;
			TH_LOG("t=%3lds: %.1f MiB received (%.2f MiB/s, slowest way %llu KiB); "
			       "unrelated key changes %lu (%lu/s), rollovers %u, live key replaces %lu",
			       (now - start) / 1000, bytes / MIB,
			       (bytes - last_bytes) / MIB * 1000 / (now - last_report),
			       load_min_bytes(c->l) >> 10,
			       changes, (changes - last_changes) * 1000 / (now - last_report),
			       rolls, c->live_replaces);
			last_bytes = bytes;
			last_changes = changes;
			last_report = now;
		}
		if (now >= end && !busy)
			break;
		if (now >= end + 2 * SWITCH_MS) {
			load_fail(c->l, "rollovers still under way %ld ms after the end",
				  now - end);
			break;
		}
	}
	if (ch) {
		STORE(ch->stop, true);
		pthread_join(ch->thread, NULL);
		ch->started = false;
	}
	rep->ms = now_ms() - start;
	rep->bytes = load_bytes(c->l);
	rep->churn_changes = ch ? ch->changes : 0;
	rep->rollovers = 0;
	for (g = 0; g < NGROUPS; g++)
		rep->rollovers += c->roll[g].done;
	return load_failed(c->l) ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Fixture                                                                  */
/* ------------------------------------------------------------------------ */

FIXTURE(churn) {
	struct env e;
	struct load *l;
	struct churn ch;
};

FIXTURE_SETUP(churn)
{
	int side, v6;

	for (side = A; side <= B; side++) {
		self->e.ns[side] = -1;
		self->e.netstat[side] = -1;
		self->e.snmp[side] = -1;
		self->ch.proc[side] = -1;
		for (v6 = 0; v6 < 2; v6++)
			self->ch.fd[side][v6] = -1;
	}
	self->l = malloc(sizeof(*self->l));
	ASSERT_NE(NULL, self->l);
	load_init(self->l);
}

FIXTURE_TEARDOWN(churn)
{
	if (self->l)
		load_stop(self->l, ABORT);
	churn_stop(&self->ch);
	if (self->l) {
		load_close(self->l);
		free(self->l);
	}
	env_teardown(&self->e);
}

static void expect_load_ok(struct __test_metadata *_metadata, struct load *l)
{
	EXPECT_FALSE(l->failed) TH_LOG("%s", l->why);
}

/* Drain the load and check every stream; the keys of generation @gen[g] in use. */
static void drain_and_verify(struct __test_metadata *_metadata, struct load *l,
			     const unsigned int *gen)
{
	struct tcp_authopt got[2];
	long start;
	int i;

	for (i = 0; gen && i < l->nconns; i++) {
		struct conn *c = &l->conns[i];
		int ret = conn_on_gen(c, gen[c->group], got);

		EXPECT_EQ(0, ret) TH_LOG("connection %d (%s%s): A 0x%x send %u recv %u; "
					 "B 0x%x send %u recv %u, generation %u",
					 i, conn_name(c), c->untouched ? ", untouched" : "",
					 got[A].flags, got[A].send_keyid, got[A].recv_keyid,
					 got[B].flags, got[B].send_keyid, got[B].recv_keyid,
					 gen[c->group]);
	}
	start = now_ms();
	load_stop(l, DRAIN);
	expect_load_ok(_metadata, l);
	if (!l->failed)
		load_verify(_metadata, l);
	TH_LOG("drained in %ld ms", now_ms() - start);
}

static void report_retrans(struct __test_metadata *_metadata, struct env *e, long long *before)
{
	int side;

	for (side = A; side <= B; side++)
		TH_LOG("%s: %lld segments retransmitted", side_name(side),
		       proc_counter(e->snmp[side], "Tcp:", "RetransSegs") - before[side]);
}

/* ------------------------------------------------------------------------ */
/* churn_under_load                                                         */
/* ------------------------------------------------------------------------ */

TEST_F_TIMEOUT(churn, churn_under_load, MAX_SECS + 180)
{
	struct ctl c = { .e = &self->e, .l = self->l, .rollover = true };
	unsigned int gen[NGROUPS];
	struct run_report rep;
	long long retrans[2];
	long t0 = now_ms();
	int secs = churn_secs(), g, side, never = 0;

	env_setup(_metadata, &self->e, load_net_setup, C_COUNT);
	keys_gen0(_metadata, &self->e);
	load_add_groups(_metadata, &self->e, self->l, NCONNS);
	TH_LOG("%d connections up in %ld ms; load for %d s", self->l->nconns, now_ms() - t0,
	       secs);
	for (side = A; side <= B; side++)
		retrans[side] = proc_counter(self->e.snmp[side], "Tcp:", "RetransSegs");

	load_start(_metadata, self->l);
	churn_start(_metadata, &self->e, &self->ch, self->l, churn_rate());
	ctl_run(_metadata, &c, &self->ch, secs, &rep);
	expect_load_ok(_metadata, self->l);

	for (g = 0; g < NGROUPS; g++)
		gen[g] = c.roll[g].gen;
	drain_and_verify(_metadata, self->l, self->l->failed ? NULL : gen);

	TH_LOG("%d connections, %.1f MiB in %.1f s (%.2f MiB/s); "
	       "unrelated key changes %lu (%lu/s, %lu refusals checked, %lu /proc reads); "
	       "rollovers %u (%lu key operations); live key replaces %lu",
	       self->l->nconns, rep.bytes / MIB, rep.ms / 1000.0, rep.bytes / MIB * 1000 / rep.ms,
	       rep.churn_changes, rep.churn_changes * 1000 / rep.ms, self->ch.refused,
	       self->ch.proc_reads, rep.rollovers, c.key_ops, c.live_replaces);
	report_retrans(_metadata, &self->e, retrans);
	/* Each group rolled over at least once when the load ran long enough. */
	for (g = 0; g < NGROUPS; g++)
		never += !c.roll[g].done;
	EXPECT_EQ(0, secs >= 10 ? never : 0) TH_LOG("groups that never rolled over");
	expect_counters_unchanged(_metadata, &self->e);
}

/* ------------------------------------------------------------------------ */
/* sysctl_flips                                                             */
/* ------------------------------------------------------------------------ */

struct flips {
	struct env *e;
	struct load *l;
	int sysctl[2];		/* tcp_authopt_all_sockets of each side, open */
	bool stop;
	unsigned long flips;
	unsigned long sockets_checked;
	unsigned long conns_checked;
	unsigned long sockets_churned;
};

static int sysctl_set(int fd, int v)
{
	char c = '0' + v;

	return pwrite(fd, &c, 1, 0) == 1 ? 0 : -errno;
}

/* A new socket of the current namespace takes part iff @v: 0 or -1 (failed). */
static int check_new_socket(struct flips *f, int side, int family, int v)
{
	struct tcp_authopt opt;
	int fd, ret;

	fd = tcp_socket(family, UNTOUCHED);
	if (fd < 0) {
		load_fail(f->l, "%s: socket: %s", side_name(side), strerror(-fd));
		return -1;
	}
	ret = authopt_get(fd, &opt);
	close(fd);
	if (ret != (v ? 0 : -ENOENT)) {
		load_fail(f->l, "%s: new socket with tcp_authopt_all_sockets=%d: TCP_AUTHOPT: %s",
			  side_name(side), v, ret ? strerror(-ret) : "readable");
		return -1;
	}
	f->sockets_checked++;
	return 0;
}

/* Send all of @len bytes of @buf on non-blocking @fd, with a deadline. */
static int send_all(int fd, const char *buf, size_t len)
{
	ssize_t ret;

	while (len) {
		ret = wait_fd(fd, POLLOUT, CONNECT_MS);
		if (ret <= 0)
			return ret ? ret : -ETIMEDOUT;
		ret = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (ret < 0)
			return -errno;
		buf += ret;
		len -= ret;
	}
	return 0;
}

/* Receive exactly @len bytes equal to @want on @fd, with a deadline. */
static int recv_all(int fd, const char *want, size_t len)
{
	char buf[512];
	ssize_t ret;

	while (len) {
		ret = wait_fd(fd, POLLIN, CONNECT_MS);
		if (ret <= 0)
			return ret ? ret : -ETIMEDOUT;
		ret = recv(fd, buf, len < sizeof(buf) ? len : sizeof(buf), MSG_DONTWAIT);
		if (ret <= 0)
			return ret ? -errno : -EPIPE;
		if (memcmp(buf, want, ret))
			return -EBADMSG;
		want += ret;
		len -= ret;
	}
	return 0;
}

/*
 * A connection between sockets that never used the options, created with
 * the netns-wide mode @v on both sides: TCP-AO (with group 0's key) iff @v.
 * A closes first and keeps the TIME-WAIT socket.
 */
static int check_new_conn(struct flips *f, int v)
{
	static const char msg[] = "all_sockets";
	const struct group *gr = &groups[0];
	int fd[3] = { -1, -1, -1 }, side, ret;
	struct sockaddr_storage ss;
	struct tcp_authopt opt;
	const char *what;
	socklen_t len;

	what = "listener";
	ret = ns_enter(f->e->ns[B]);
	fd[2] = ret ?: tcp_socket(gr->family, UNTOUCHED);
	if (fd[2] < 0)
		goto fail;
	len = sockaddr_fill(&ss, gr->addr[B], PORT_FLIP);
	ret = bind(fd[2], (struct sockaddr *)&ss, len) || listen(fd[2], 8) ? -errno : 0;
	if (ret)
		goto fail;
	what = "client";
	ret = ns_enter(f->e->ns[A]);
	fd[A] = ret ?: tcp_socket(gr->family, UNTOUCHED);
	if (fd[A] < 0)
		goto fail;
	len = sockaddr_fill(&ss, gr->addr[A], 0);
	ret = bind(fd[A], (struct sockaddr *)&ss, len) ? -errno : 0;
	ret = ret ?: connect_wait(fd[A], gr->addr[B], PORT_FLIP, CONNECT_MS);
	if (ret)
		goto fail;
	what = "accept";
	fd[B] = accept_wait(fd[2], CONNECT_MS);
	if (fd[B] < 0) {
		ret = fd[B];
		goto fail;
	}
	what = "exchange";
	ret = send_all(fd[A], msg, sizeof(msg)) ?: recv_all(fd[B], msg, sizeof(msg)) ?:
	      send_all(fd[B], msg, sizeof(msg)) ?: recv_all(fd[A], msg, sizeof(msg));
	if (ret)
		goto fail;
	for (side = A; side <= B; side++) {
		ret = authopt_get(fd[side], &opt);
		if (v ? ret || !(opt.flags & TCP_AUTHOPT_FLAG_ACTIVE) : ret != -ENOENT) {
			load_fail(f->l,
				  "%s: connection with tcp_authopt_all_sockets=%d: TCP_AUTHOPT %s, flags 0x%x",
				  side_name(side), v, ret ? strerror(-ret) : "ok", opt.flags);
			ret = -1;
			goto out;
		}
	}
	f->conns_checked++;
	ret = 0;
	goto out;
fail:
	load_fail(f->l, "connection with tcp_authopt_all_sockets=%d: %s: %s", v, what,
		  strerror(ret < 0 ? -ret : ret));
	ret = -1;
out:
	for (side = 0; side < 3; side++)
		if (fd[side] >= 0)
			close(fd[side]);
	return ret;
}

/* Flip the mode on both sides and check new sockets and connections each time. */
static void *flips_main(void *arg)
{
	struct flips *f = arg;
	int side, v = 1;

	while (!LOAD(f->stop) && LOAD(f->l->phase) == RUN) {
		for (side = A; side <= B; side++) {
			int ret = sysctl_set(f->sysctl[side], v);

			if (ret) {
				load_fail(f->l, "%s: tcp_authopt_all_sockets=%d: %s",
					  side_name(side), v, strerror(-ret));
				return NULL;
			}
		}
		f->flips++;
		for (side = A; side <= B; side++) {
			if (ns_enter(f->e->ns[side]) ||
			    check_new_socket(f, side, AF_INET, v) ||
			    check_new_socket(f, side, AF_INET6, v))
				return NULL;
		}
		if (check_new_conn(f, v))
			return NULL;
		v = !v;
	}
	return NULL;
}

/* Sockets created and closed in both namespaces as fast as it goes. */
static void *sockets_main(void *arg)
{
	struct flips *f = arg;
	int i, fd[8], side = A;

	while (!LOAD(f->stop) && LOAD(f->l->phase) == RUN) {
		if (ns_enter(f->e->ns[side])) {
			load_fail(f->l, "setns: %m");
			return NULL;
		}
		for (i = 0; i < 8; i++) {
			fd[i] = socket(i & 1 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd[i] < 0) {
				load_fail(f->l, "%s: socket: %m", side_name(side));
				return NULL;
			}
			/* Some take part on their own, some listen. */
			if (i % 4 == 2)
				authopt_set(fd[i], 0, 0, 0);
			if (i % 4 == 3)
				listen(fd[i], 1);
		}
		for (i = 0; i < 8; i++)
			close(fd[i]);
		ADD(f->sockets_churned, 8);
		side = !side;
	}
	return NULL;
}

TEST_F_TIMEOUT(churn, sysctl_flips, MAX_SECS / 3 + 120)
{
	struct ctl c = { .e = &self->e, .l = self->l, .rollover = false };
	struct flips f = { .e = &self->e, .l = self->l };
	int secs = churn_secs() / 3, side, i, listener, ret;
	pthread_t flipper, socketer;
	unsigned int gen[NGROUPS] = { 0 };
	struct run_report rep;

	if (secs < 10)
		secs = 10;
	env_setup(_metadata, &self->e, load_net_setup, C_COUNT);
	keys_gen0(_metadata, &self->e);
	load_add_groups(_metadata, &self->e, self->l, NCONNS_FLIPS);

	for (side = A; side <= B; side++) {
		ASSERT_EQ(0, ns_enter(self->e.ns[side]));
		f.sysctl[side] = open(ALL_SOCKETS_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, f.sysctl[side]) TH_LOG("%s: %m", ALL_SOCKETS_PATH);
		ASSERT_EQ(0, sysctl_set(f.sysctl[side], 1));
	}
	/* Connections of sockets that never used the options, in the mode. */
	listener = group_listener(_metadata, &self->e, 0, PORT_UNTOUCHED, UNTOUCHED);
	for (i = 0; i < NUNTOUCHED; i++)
		load_add(_metadata, &self->e, self->l, 0, groups[0].family, groups[0].addr[A],
			 groups[0].addr[B], PORT_UNTOUCHED, listener, UNTOUCHED);
	close(listener);
	ASSERT_EQ(0, sysctl_set(f.sysctl[A], 0) ?: sysctl_set(f.sysctl[B], 0));
	TH_LOG("%d connections (%d of untouched sockets); flips for %d s", self->l->nconns,
	       NUNTOUCHED, secs);

	load_start(_metadata, self->l);
	ret = pthread_create(&flipper, NULL, flips_main, &f);
	ASSERT_EQ(0, ret);
	ret = pthread_create(&socketer, NULL, sockets_main, &f);
	if (ret) {
		STORE(f.stop, true);
		pthread_join(flipper, NULL);
		ASSERT_EQ(0, ret);
	}
	ctl_run(_metadata, &c, NULL, secs, &rep);
	STORE(f.stop, true);
	pthread_join(flipper, NULL);
	pthread_join(socketer, NULL);
	for (side = A; side <= B; side++) {
		EXPECT_EQ(0, sysctl_set(f.sysctl[side], 0));
		close(f.sysctl[side]);
	}
	expect_load_ok(_metadata, self->l);
	drain_and_verify(_metadata, self->l, self->l->failed ? NULL : gen);

	TH_LOG("%lu flips in %.1f s: %lu new sockets and %lu new connections checked; "
	       "%lu sockets created and closed; %.1f MiB moved",
	       f.flips, rep.ms / 1000.0, f.sockets_checked, f.conns_checked,
	       f.sockets_churned, rep.bytes / MIB);
	EXPECT_LE(4ul, f.flips) TH_LOG("too few flips");
	expect_counters_unchanged(_metadata, &self->e);
}

/* ------------------------------------------------------------------------ */
/* netns_delete_live                                                        */
/* ------------------------------------------------------------------------ */

#define ADDR4_BC	"203.0.113.1"
#define ADDR4_C		"203.0.113.2"
#define PORT_QUEUE	180	/* A's listener that never accepts */
#define PORT_DEFER	181	/* A's listener with TCP_DEFER_ACCEPT */
#define PORT_SYN	182	/* A's listener whose SYN-ACKs B drops */
#define PER_KIND	4	/* sockets of each kind, per family */
#define A_OTHER_KEYS	48	/* unrelated keys in A */
#define ID_A		7	/* A (and C) send with 7, B with 9 */
#define ID_B		9
#define SECRET		"churn selftest: netns_delete_live"

#define NFT_TABLE	"table inet churn"
#define MAX_ROUNDS	10

/* Feed commands to one "nft -f -" in the current namespace. */
static int nft_batch(const char *fmt, ...)
{
	va_list ap;
	FILE *nft;

	nft = popen("nft -f -", "w");
	if (!nft)
		return -errno;
	va_start(ap, fmt);
	vfprintf(nft, fmt, ap);
	va_end(ap);
	return ip_close(nft);
}

/* C (as side A of @ns) and B (side B), joined by vc <-> vbc. */
static int bc_net_setup(int ns[2])
{
	static const char * const addrs_c[] = { ADDR4_C, NULL };
	static const char * const addrs_b[] = { ADDR4_BC, NULL };
	char path[64];
	int ret;

	ret = netns_create(ns, path, sizeof(path));
	if (ret)
		return ret;
	ret = ip_batch("link add vbc type veth peer name vc netns %s\n", path);
	if (ret)
		return ret;
	ret = side_setup("vbc", addrs_b);
	if (ret)
		return ret;
	ret = ns_enter(ns[A]);
	return ret ?: side_setup("vc", addrs_c);
}

/* Sockets of namespace A, by their TCP state in /proc/net/tcp{,6}. */
static void tcp_states(struct __test_metadata *_metadata, int count[16])
{
	static const char * const files[] = { "/proc/self/net/tcp", "/proc/self/net/tcp6" };
	char line[512];
	unsigned int i, st;
	FILE *f;

	memset(count, 0, 16 * sizeof(int));
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		f = fopen(files[i], "re");
		ASSERT_NE(NULL, f) TH_LOG("%s: %m", files[i]);
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, " %*s %*s %*s %x", &st) == 1 && st < 16)
				count[st]++;
		fclose(f);
	}
}

#define ST_ESTABLISHED	1
#define ST_SYN_RECV	3
#define ST_TIME_WAIT	6

/* Wait until A has at least @min sockets in TCP state @st. */
static void wait_state(struct __test_metadata *_metadata, int st, int min, const char *what)
{
	long start = now_ms();
	int count[16];

	for (;;) {
		tcp_states(_metadata, count);
		if (count[st] >= min)
			return;
		ASSERT_GT(STATE_MS, now_ms() - start)
			TH_LOG("A has %d %s sockets, not %d", count[st], what, min);
		sleep_ms(100);
	}
}

struct fdset {
	int fd[256];
	int n;
};

static int fdset_add(struct fdset *s, int fd)
{
	if (fd >= 0 && s->n < (int)ARRAY_SIZE(s->fd))
		s->fd[s->n++] = fd;
	return fd;
}

static void fdset_close(struct fdset *s)
{
	while (s->n)
		close(s->fd[--s->n]);
}

/* A listener in the current namespace on @addr:@port, before listen() @defer. */
static int listener_at(struct __test_metadata *_metadata, struct env *e, int side,
		       const char *addr, int port, int defer)
{
	int fd = socket_in(_metadata, e, side, addr_family(addr), 0, NULL, addr, port);

	ASSERT_EQ(0, defer ? setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer,
					sizeof(defer)) : 0);
	ASSERT_EQ(0, listen(fd, 64)) TH_LOG("listen: %m");
	return fd;
}

/* A socket of A (or B) bound to @addr, taking part. */
static int sock_a(struct __test_metadata *_metadata, struct env *e, int family, const char *addr)
{
	return socket_in(_metadata, e, A, family, 0, NULL, addr, 0);
}

static int sock_b(struct __test_metadata *_metadata, struct env *e, int family, const char *addr)
{
	return socket_in(_metadata, e, B, family, 0, NULL, addr, 0);
}

/* @fd's peer closed: read up to its FIN. */
static void expect_eof(struct __test_metadata *_metadata, int fd)
{
	char buf[4096];
	ssize_t ret;

	do {
		ASSERT_EQ(1, wait_fd(fd, POLLIN, CONNECT_MS));
		ret = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	} while (ret > 0);
	ASSERT_EQ(0, ret) TH_LOG("recv: %m");
}

/* Data both ways, then A closes first: A's socket ends in TIME-WAIT. */
static void a_closes_first(struct __test_metadata *_metadata, int afd, int bfd)
{
	exchange(_metadata, afd, bfd, 4 << 10, false);
	ASSERT_EQ(0, shutdown(afd, SHUT_WR));
	expect_eof(_metadata, bfd);
	close(bfd);
	expect_eof(_metadata, afd);
	close(afd);
}

/*
 * How many of B's sockets @s saw the reset their peer in A sent when it
 * aborted, waiting up to RESET_MS for all of them.
 */
static int resets_seen(struct fdset *s)
{
	struct pollfd pfd[ARRAY_SIZE(s->fd)];
	long start = now_ms();
	int i, left, seen = 0;
	char c;

	for (i = 0; i < s->n; i++) {
		pfd[i].fd = s->fd[i];
		pfd[i].events = POLLIN;
	}
	for (left = s->n; left && now_ms() - start < RESET_MS;) {
		if (poll(pfd, s->n, 100) < 0 && errno != EINTR)
			break;
		for (i = 0; i < s->n; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			/* B read all the data A sent: a reset, or a FIN at worst. */
			if (recv(pfd[i].fd, &c, 1, MSG_DONTWAIT) < 0 && errno == ECONNRESET)
				seen++;
			pfd[i].fd = -1;
			left--;
		}
	}
	return seen;
}

/*
 * One round: a new namespace A linked to B, filled with authenticated
 * sockets in every state and keys, then dropped. A's aborts must reset
 * B's ends. Returns once A is gone, with the process in B.
 */
static void delete_round(struct __test_metadata *_metadata, struct env *bc, int round)
{
	static const char * const addrs_a[] = { ADDR4_A, ADDR6_A, NULL };
	static const char * const fam_addr[2][2] = { { ADDR4_A, ADDR4_B }, { ADDR6_A, ADDR6_B } };
	struct fdset a_fds = { .n = 0 }, b_fds = { .n = 0 }, b_syn = { .n = 0 };
	struct fdset b_reset = { .n = 0 };
	struct env ab = { .ns = { -1, bc->ns[B] } };
	int count[16], kfd[2], f, i, afd, bfd, lb[2], la[2][4], ret;
	struct tcp_authopt_key k;
	__u64 rng = round + 1;
	char path[64];
	long start;

	/* A, linked to B. */
	ASSERT_EQ(0, ns_enter(bc->ns[B]));
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", getpid(), bc->ns[B]);
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ab.ns[A] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ab.ns[A]);
	ASSERT_EQ(0, ip_batch("link add va type veth peer name vb netns %s\n", path));
	ASSERT_EQ(0, side_setup("va", addrs_a));
	ab.netstat[A] = open("/proc/self/net/netstat", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ab.netstat[A]);
	for (i = 0; i < C_COUNT; i++)
		ab.before[A][i] = tcpext_counter(ab.netstat[A], counter_name[i]);
	ASSERT_EQ(0, ns_enter(bc->ns[B]));
	ASSERT_EQ(0, ip_batch("addr add %s/24 dev vb\n"
			      "addr add %s/64 dev vb nodad\n"
			      "link set vb up\n", ADDR4_B, ADDR6_B));
	/* B drops the SYN-ACKs of A's port PORT_SYN: those handshakes never end. */
	ASSERT_EQ(0, nft_batch("%s {\n chain in {\n"
			       "  type filter hook input priority 0; policy accept;\n"
			       "  tcp sport %d tcp flags & (syn | ack) == syn | ack drop\n }\n}\n",
			       NFT_TABLE, PORT_SYN));

	/* Keys in A: for B, and unrelated ones. */
	ASSERT_EQ(0, ns_enter(ab.ns[A]));
	for (f = 0; f < 2; f++) {
		ASSERT_EQ(0, key_add(TCP_AUTHOPT_ALG_HMAC_SHA_1_96, ID_A, ID_B, SECRET,
				     fam_addr[f][B]));
		kfd[f] = fdset_add(&a_fds, tcp_socket(f ? AF_INET6 : AF_INET, 0));
		ASSERT_LE(0, kfd[f]);
	}
	for (i = 0; i < A_OTHER_KEYS; i++) {
		f = slot_key(&k, i, &rng, false) == AF_INET6;
		ASSERT_EQ(0, setsockopt(kfd[f], IPPROTO_TCP, TCP_AUTHOPT_KEY, &k, sizeof(k)))
			TH_LOG("unrelated key %d: %m", i);
	}

	for (f = 0; f < 2; f++) {
		lb[f] = fdset_add(&b_fds, listener_at(_metadata, &ab, B, fam_addr[f][B], PORT, 0));
		la[f][0] = fdset_add(&a_fds, listener_at(_metadata, &ab, A, fam_addr[f][A],
							 PORT, 0));
		la[f][1] = fdset_add(&a_fds, listener_at(_metadata, &ab, A, fam_addr[f][A],
							 PORT_QUEUE, 0));
		la[f][2] = fdset_add(&a_fds, listener_at(_metadata, &ab, A, fam_addr[f][A],
							 PORT_DEFER, 60));
		la[f][3] = fdset_add(&a_fds, listener_at(_metadata, &ab, A, fam_addr[f][A],
							 PORT_SYN, 0));
	}

	/*
	 * Established, A to B and B to A, with data left unread on one side:
	 * A aborts those where it has unread data. Then TIME-WAIT in A: A
	 * closes first, as client and as server.
	 */
	for (f = 0; f < 2; f++) {
		const char *a = fam_addr[f][A], *b = fam_addr[f][B];
		int family = addr_family(a);

		for (i = 0; i < PER_KIND; i++) {
			afd = fdset_add(&a_fds, sock_a(_metadata, &ab, family, a));
			bfd = connect_accept(_metadata, afd, lb[f], b, PORT);
			fdset_add(i & 1 ? &b_fds : &b_reset, bfd);
			exchange(_metadata, afd, bfd, 16 << 10, false);
			ASSERT_EQ(0, send_all(i & 1 ? afd : bfd, SECRET, sizeof(SECRET)));
			bfd = sock_b(_metadata, &ab, family, b);
			fdset_add(i & 1 ? &b_fds : &b_reset, bfd);
			afd = fdset_add(&a_fds, connect_accept(_metadata, bfd, la[f][0], a, PORT));
			exchange(_metadata, afd, bfd, 16 << 10, false);
			ASSERT_EQ(0, send_all(i & 1 ? afd : bfd, SECRET, sizeof(SECRET)));

			afd = sock_a(_metadata, &ab, family, a);
			bfd = connect_accept(_metadata, afd, lb[f], b, PORT);
			a_closes_first(_metadata, afd, bfd);
			bfd = sock_b(_metadata, &ab, family, b);
			afd = connect_accept(_metadata, bfd, la[f][0], a, PORT);
			a_closes_first(_metadata, afd, bfd);
		}
	}

	/*
	 * Children A never accepts (closing their listener aborts them) and
	 * request sockets: B's final ACK held back by TCP_DEFER_ACCEPT, or
	 * A's SYN-ACK dropped. Last, so that their timers are young when A
	 * goes.
	 */
	for (f = 0; f < 2; f++) {
		const char *a = fam_addr[f][A], *b = fam_addr[f][B];
		int family = addr_family(a);

		for (i = 0; i < PER_KIND; i++) {
			bfd = fdset_add(&b_reset, sock_b(_metadata, &ab, family, b));
			ret = connect_wait(bfd, a, PORT_QUEUE, CONNECT_MS);
			ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
			bfd = fdset_add(&b_fds, sock_b(_metadata, &ab, family, b));
			ret = connect_wait(bfd, a, PORT_DEFER, CONNECT_MS);
			ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
			bfd = fdset_add(&b_syn, sock_b(_metadata, &ab, family, b));
			ret = connect_wait(bfd, a, PORT_SYN, 0);
			ASSERT_EQ(-ETIMEDOUT, ret) TH_LOG("connect: %s", strerror(-ret));
		}
	}

	ASSERT_EQ(0, ns_enter(ab.ns[A]));
	/* A's ends of 2 x 2 x PER_KIND connections, and the unaccepted children. */
	wait_state(_metadata, ST_ESTABLISHED, 6 * PER_KIND, "established");
	wait_state(_metadata, ST_SYN_RECV, 4 * PER_KIND, "SYN-RECV");
	wait_state(_metadata, ST_TIME_WAIT, 4 * PER_KIND, "TIME-WAIT");
	tcp_states(_metadata, count);
	TH_LOG("round %d: A has %d established, %d SYN-RECV, %d TIME-WAIT sockets and %d keys",
	       round, count[ST_ESTABLISHED], count[ST_SYN_RECV], count[ST_TIME_WAIT],
	       2 + A_OTHER_KEYS);
	for (i = 0; i < C_COUNT; i++) {
		long long delta = tcpext_counter(ab.netstat[A], counter_name[i]) - ab.before[A][i];

		EXPECT_EQ(0, delta) TH_LOG("A: %s", counter_name[i]);
	}
	/* One more key while all this is live: the sockets' key sets are stale. */
	f = slot_key(&k, A_OTHER_KEYS, &rng, false) == AF_INET6;
	ASSERT_EQ(0, setsockopt(kfd[f], IPPROTO_TCP, TCP_AUTHOPT_KEY, &k, sizeof(k)));

	/*
	 * Drop A: B's handshakes that never end go first (silently, in
	 * SYN-SENT), then every reference to A. B keeps its ends; those A
	 * aborted must have been reset.
	 */
	ASSERT_EQ(0, ns_enter(bc->ns[B]));
	fdset_close(&b_syn);
	fdset_close(&a_fds);
	ret = resets_seen(&b_reset);
	TH_LOG("round %d: %d of B's %d connections that A aborted were reset", round, ret,
	       b_reset.n);
	EXPECT_EQ(b_reset.n, ret) TH_LOG("A's RSTs did not reach B's sockets (dropped by B?)");
	close(ab.netstat[A]);
	close(ab.ns[A]);
	start = now_ms();
	while (if_nametoindex("vb")) {
		ASSERT_GT(NS_GONE_MS, now_ms() - start) TH_LOG("namespace A still there");
		sleep_ms(100);
	}
	TH_LOG("round %d: namespace A gone %ld ms after its last reference", round,
	       now_ms() - start);
	fdset_close(&b_reset);
	fdset_close(&b_fds);
	EXPECT_EQ(0, nft_batch("delete %s\n", NFT_TABLE));
}

/* Rounds: 2 by default, up to MAX_ROUNDS for a soak. */
TEST_F_TIMEOUT(churn, netns_delete_live, MAX_ROUNDS * 40 + 60)
{
	static const char * const b_keys[] = { ADDR4_A, ADDR6_A, ADDR4_C };
	int rounds = churn_secs() / 30, r, listener, i, n;
	__u64 before;
	long start;
	int proc;

	if (rounds < 2)
		rounds = 2;
	if (rounds > MAX_ROUNDS)
		rounds = MAX_ROUNDS;
	env_setup(_metadata, &self->e, bc_net_setup, C_COUNT);
	/* C (side A of the env) and B: keys for each other, and B's for A. */
	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	ASSERT_EQ(0, key_add(TCP_AUTHOPT_ALG_AES_128_CMAC_96, ID_A, ID_B, SECRET, ADDR4_BC));
	ASSERT_EQ(0, ns_enter(self->e.ns[B]));
	for (i = 0; i < (int)ARRAY_SIZE(b_keys); i++) {
		int alg = i == 2 ? TCP_AUTHOPT_ALG_AES_128_CMAC_96 : TCP_AUTHOPT_ALG_HMAC_SHA_1_96;

		ASSERT_EQ(0, key_add(alg, ID_B, ID_A, SECRET, b_keys[i]));
	}
	proc = open(PROC_KEYS_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, proc);

	listener = listener_at(_metadata, &self->e, B, ADDR4_BC, PORT, 0);
	for (i = 0; i < NCONNS_BC; i++)
		load_add(_metadata, &self->e, self->l, NGROUPS, AF_INET, ADDR4_C, ADDR4_BC, PORT,
			 listener, 0);
	close(listener);
	load_start(_metadata, self->l);

	for (r = 1; r <= rounds; r++) {
		delete_round(_metadata, &self->e, r);
		/* B's keys are all there, its connections to C go on. */
		n = proc_key_lines(proc, self->ch.buf, sizeof(self->ch.buf));
		EXPECT_EQ((int)ARRAY_SIZE(b_keys), n) TH_LOG("B's keys after round %d", r);
		before = load_bytes(self->l);
		start = now_ms();
		while (load_bytes(self->l) < before + (256 << 10)) {
			ASSERT_GT(STALL_MS, now_ms() - start) TH_LOG("B-C connections stalled");
			ASSERT_FALSE(load_failed(self->l)) TH_LOG("%s", self->l->why);
			sleep_ms(50);
		}
	}
	close(proc);
	drain_and_verify(_metadata, self->l, NULL);
	TH_LOG("%d rounds; B-C connections moved %.1f MiB", rounds, load_bytes(self->l) / MIB);
	expect_counters_unchanged(_metadata, &self->e);
}

TEST_HARNESS_MAIN
