// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzing of the TCP-AO socket options TCP_AUTHOPT, TCP_AUTHOPT_KEY and
 * TCP_REPAIR_AUTHOPT (abi.md): every optlen from 0 to 320 with zero and
 * random bytes (and nearly valid ones for keys), set and get, on sockets in
 * every state of both families; valid structs with one field corrupted; bad
 * pointers; calls without CAP_NET_ADMIN; random calls. A model of the ABI gives, for
 * each call, the answers allowed (see "Legal answers" below) and anything
 * else fails the test. getsockopt must not write past the length it
 * returns, nor touch the buffer or optlen when it fails. Every key the
 * kernel accepts is deleted at once (and must then be absent), and
 * /proc/net/tcp_authopt must be empty before the namespaces go away; the
 * VM catches splats and, with --leakcheck, keys or socket state left in
 * the slab caches.
 *
 * Topology: the "fuzz" tests (per family) fuzz the sockets of namespace A,
 * joined to B by a veth (netns_lib.h): B is the peer of their connections
 * and drops (nftables) the SYNs to port 9, so that A has a connection stuck
 * in SYN-SENT. The "fields" tests, about how the buffers are parsed, use
 * one namespace whose sockets of both families connect over lo.
 *
 * The pseudo-random generator starts from TCP_AUTHOPT_FUZZ_SEED (a fixed
 * default otherwise), which every test prints: running again with the same
 * seed repeats the same calls. TCP_AUTHOPT_FUZZ_ITERS sets the number of
 * calls of the random test. A failure is logged with its call, its optlen
 * and a hex dump of the buffer, for a reproducer.
 *
 * Needs root, ip(8), nft(8), CONFIG_VETH, CONFIG_NF_TABLES_INET and
 * CONFIG_NET_VRF.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "netns_lib.h"

/*
 * Legal answers, per option (0 is success):
 *
 * set TCP_AUTHOPT: EINVAL (optlen < 4, a non-zero byte past the 8-byte
 *	struct, an unknown flag; ACTIVE is read-only and ignored); EFAULT
 *	(unreadable buffer); EPERM only without CAP_NET_ADMIN (abi.md does not
 *	say whether it is needed).
 * get TCP_AUTHOPT: ENOENT (the socket never used TCP_AUTHOPT or
 *	TCP_AUTHOPT_KEY; after a refused call of either, 0 or ENOENT);
 *	EINVAL (optlen < 0); EFAULT. optlen reads back min(optlen, 8); the
 *	flags that were set read back, ACTIVE only on the authenticated
 *	connection.
 * set TCP_AUTHOPT_KEY: EINVAL (optlen not 216, 220, 224 or >= 256, a
 *	non-zero byte past the struct, unknown flag, bad alg, keylen > 80, a
 *	bound address not AF_INET/AF_INET6, a prefix longer than the address,
 *	an IFINDEX that is not an L3 master, a port range the buffer does not
 *	hold); ENOENT (DEL of an absent key); EEXIST (ids shared with an
 *	equally specific overlapping key); ENOSPC (table full: never reached
 *	here); EFAULT; EPERM (no CAP_NET_ADMIN).
 *	Left open by abi.md, so 0 or EINVAL: inverted lifetimes or port
 *	ranges, PREFIXLEN without ADDR_BIND on a bad address, a buffer cut
 *	inside the port ranges (257 to 263 bytes), a DEL naming an identity no
 *	key can have (EINVAL or ENOENT). An accepted key is deleted by the
 *	same buffer with DEL (0), after which DEL answers ENOENT.
 * get TCP_AUTHOPT_KEY: ENOPROTOOPT or EOPNOTSUPP (set only); EINVAL;
 *	EFAULT.
 * set TCP_REPAIR_AUTHOPT: EPERM (not in repair mode); EINVAL (optlen < 24,
 *	a non-zero byte past the struct; either may come before EPERM);
 *	EFAULT. What was set reads back.
 * get TCP_REPAIR_AUTHOPT: EPERM (not in repair mode); ENOENT (no TCP-AO
 *	state yet; 0 allowed too); EINVAL; EFAULT. optlen reads back
 *	min(optlen, 24).
 * ENOMEM and anything else is a failure.
 *
 * Not fuzzed here: the exact sizes of upstream Linux's structs on these
 * option numbers (288 bytes on TCP_AUTHOPT, 144 on TCP_AUTHOPT_KEY, 48 on
 * TCP_REPAIR_AUTHOPT, set and get), which are upstream's TCP_AO_ADD_KEY,
 * TCP_AO_DEL_KEY and TCP_AO_INFO (uabi.c tests them).
 */

#define SEED_ENV	"TCP_AUTHOPT_FUZZ_SEED"
#define ITERS_ENV	"TCP_AUTHOPT_FUZZ_ITERS"
#define DEFAULT_SEED	0x7cba0f5eed2025ull
#define DEFAULT_ITERS	10000

#define MAX_LEN		320	/* optlen fuzzed: 0 to MAX_LEN */
#define GUARD		64	/* bytes watched after a getsockopt buffer */
#define GUARD_BYTE	0xa5
#define LOG_MAX		20	/* failures logged */
#define DUMP_MAX	4	/* of which with a hex dump of the buffer */

#define PORT_PEER	179	/* B's listener */
#define PORT_DROP	9	/* B drops the SYNs to it */
#define PORT_OWN	180	/* A's listener */

#define FIX_SECRET	"tcp-ao fuzz fixture key"
#define FIX_ID_A	100	/* send_id of A's fixture key */
#define FIX_ID_B	101	/* send_id of B's */

/* Sizes: each struct cut after a field ends where the next one starts. */
#define AUTHOPT_MIN		offsetof(struct tcp_authopt, send_keyid)
#define AUTHOPT_SIZE		sizeof(struct tcp_authopt)
#define KEY_LEN_ADDR		offsetof(struct tcp_authopt_key, ifindex)
#define KEY_LEN_IFINDEX		offsetof(struct tcp_authopt_key, prefixlen)
#define KEY_LEN_PREFIXLEN	offsetof(struct tcp_authopt_key, send_lifetime_begin)
#define KEY_LEN_ABI		offsetof(struct tcp_authopt_key, local_port_min)
#define KEY_LEN_LPORT		offsetof(struct tcp_authopt_key, remote_port_min)
#define KEY_SIZE		sizeof(struct tcp_authopt_key)
#define REPAIR_SIZE		sizeof(struct tcp_repair_authopt)

static_assert(KEY_LEN_ADDR == 216 && KEY_LEN_IFINDEX == 220 && KEY_LEN_PREFIXLEN == 224,
	      "abi.md struct cuts");
static_assert(KEY_LEN_ABI == 256 && KEY_LEN_LPORT == 260 && KEY_SIZE == 264, "key size");
static_assert(MAX_LEN >= KEY_SIZE, "fuzzed lengths cover the key struct");

#define KEY_KNOWN_FLAGS		((TCP_AUTHOPT_KEY_REMOTE_PORT << 1) - 1)
#define KEY_BIND_FLAGS		(TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_PREFIXLEN)
#define KEY_PORT_FLAGS		(TCP_AUTHOPT_KEY_LOCAL_PORT | TCP_AUTHOPT_KEY_REMOTE_PORT)
#define AUTHOPT_SETTABLE	(TCP_AUTHOPT_FLAG_LOCK_KEYID | \
				 TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID | \
				 TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED)
#define AUTHOPT_KNOWN_FLAGS	(AUTHOPT_SETTABLE | TCP_AUTHOPT_FLAG_ACTIVE)

/* tcpi_state values (include/net/tcp_states.h). */
#define TCPS_ESTABLISHED	1
#define TCPS_SYN_SENT		2
#define TCPS_CLOSE		7
#define TCPS_LISTEN		10

enum { O_AUTHOPT, O_KEY, O_REPAIR, O_COUNT };

static const int opt_name[O_COUNT] = { TCP_AUTHOPT, TCP_AUTHOPT_KEY, TCP_REPAIR_AUTHOPT };
static const char * const opt_str[O_COUNT] = {
	"TCP_AUTHOPT", "TCP_AUTHOPT_KEY", "TCP_REPAIR_AUTHOPT"
};

/* Answers, as bits of the mask of those allowed. */
enum {
	A_OK, A_EINVAL, A_EPERM, A_ENOENT, A_EEXIST, A_ENOSPC, A_EFAULT,
	A_ENOPROTOOPT, A_EOPNOTSUPP, A_OTHER, A_COUNT
};

static const int r_errno[A_COUNT] = {
	0, EINVAL, EPERM, ENOENT, EEXIST, ENOSPC, EFAULT, ENOPROTOOPT, EOPNOTSUPP, -1
};

static const char * const r_str[A_COUNT] = {
	"0", "EINVAL", "EPERM", "ENOENT", "EEXIST", "ENOSPC", "EFAULT", "ENOPROTOOPT",
	"EOPNOTSUPP", "other"
};

#define M(r)		(1u << (r))
#define M_NOGET		(M(A_ENOPROTOOPT) | M(A_EOPNOTSUPP))

/* How abi.md judges a field: valid, left open (EINVAL or as if valid), invalid. */
enum { V_OK, V_ODD, V_BAD };

/* Buffer contents. */
enum { F_ZERO, F_RANDOM, F_NEAR, F_FLIP, F_COUNT };
static const char * const fill_str[F_COUNT] = { "zero", "random", "near-valid", "zero+flips" };

/* Does the socket take part in TCP-AO: no, yes, or abi.md does not say. */
enum { T_NO, T_YES, T_MAYBE };

/* Socket states fuzzed. ESTABLISHED_AO comes last: it adds keys. */
enum {
	ST_NEW, ST_BOUND, ST_LISTEN, ST_CONNECTING, ST_ESTABLISHED, ST_CLOSED,
	ST_REPAIR, ST_REPAIR_ESTABLISHED, ST_ESTABLISHED_AO, ST_COUNT
};

static const char * const st_str[ST_COUNT] = {
	"new", "bound", "listening", "connecting", "established", "closed",
	"repair", "repair-established", "established-ao"
};

#define ST_ALL		((1u << ST_COUNT) - 1)

struct fz_sock {
	int family;
	int fd;
	int peer;		/* B's end of the connection, or -1 */
	int tcp_state;		/* tcpi_state it must keep */
	bool repair;		/* in TCP_REPAIR mode */
	bool repair_set;	/* TCP_REPAIR_AUTHOPT was set */
	bool active;		/* TCP_AUTHOPT must read ACTIVE */
	int touched;		/* T_NO, T_YES, T_MAYBE */
	const char *name;
};

struct fz {
	struct __test_metadata *md;
	int family;
	__u64 seed, rng;
	unsigned int vrf;	/* ifindex of A's VRF device: the only L3 master */
	unsigned int lo;	/* another ifindex, not an L3 master */
	bool nocap;		/* CAP_NET_ADMIN dropped */
	bool nodump;		/* the buffer of the call is not readable */
	const char *phase;
	long iter;		/* call number in the phase, for the log */
	unsigned long set[O_COUNT], set_ok[O_COUNT], get[O_COUNT], get_ok[O_COUNT];
	unsigned long added, failures, upstream;
	struct timespec start;
};

static int worse(int a, int b)
{
	return a > b ? a : b;
}

static const char *fam_str(int family)
{
	return family == AF_INET6 ? "ipv6" : family == AF_INET ? "ipv4" : "ipv4+ipv6";
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

static bool all_bytes(const unsigned char *p, size_t len, unsigned char val)
{
	while (len--)
		if (*p++ != val)
			return false;
	return true;
}

static int r_of(int ret)
{
	int r;

	for (r = 0; r < A_OTHER; r++)
		if (ret == -r_errno[r])
			return r;
	return A_OTHER;
}

static const char *mask_str(unsigned int mask, char *buf, size_t size)
{
	size_t len = 0;
	int r;

	buf[0] = '\0';
	for (r = 0; r < A_COUNT; r++)
		if (mask & M(r))
			len += snprintf(buf + len, size - min_sz(len, size), "%s%s",
					len ? "|" : "", r_str[r]);
	return buf;
}

static const char *ret_str(int ret, char *buf, size_t size)
{
	if (r_of(ret) != A_OTHER)
		return r_str[r_of(ret)];
	snprintf(buf, size, "errno %d (%s)", -ret, strerror(-ret));
	return buf;
}

/* ------------------------------------------------------------------------ */
/* Pseudo-random numbers (splitmix64), reproducible from the seed           */
/* ------------------------------------------------------------------------ */

static __u64 rnd(struct fz *f)
{
	__u64 z = (f->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned int rnd_below(struct fz *f, unsigned int n)
{
	return rnd(f) % n;
}

/* True with probability @num/@den. */
static bool chance(struct fz *f, unsigned int num, unsigned int den)
{
	return rnd_below(f, den) < num;
}

static void rnd_bytes(struct fz *f, void *buf, size_t len)
{
	unsigned char *p = buf;
	__u64 word = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i & 7))
			word = rnd(f);
		p[i] = word >> ((i & 7) * 8);
	}
}

static __u64 seed_get(void)
{
	const char *s = getenv(SEED_ENV);

	return s && *s ? strtoull(s, NULL, 0) : DEFAULT_SEED;
}

/* Each test has a stream of its own, so that it repeats alone too. */
static void fz_start(struct fz *f, struct __test_metadata *_metadata, const char *phase)
{
	const char *p;
	__u64 h = 0xcbf29ce484222325ull;

	f->md = _metadata;
	f->seed = seed_get();
	for (p = phase; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	f->rng = f->seed ^ h ^ f->family;
	f->phase = phase;
	f->iter = 0;
	clock_gettime(CLOCK_MONOTONIC, &f->start);
	TH_LOG("%s: seed 0x%llx (set %s to repeat)", fam_str(f->family),
	       (unsigned long long)f->seed, SEED_ENV);
}

static void fz_report(struct fz *f)
{
	struct __test_metadata *_metadata = f->md;
	unsigned long set = 0, get = 0;
	int o;

	for (o = 0; o < O_COUNT; o++) {
		set += f->set[o];
		get += f->get[o];
	}
	TH_LOG("set %lu, get %lu in %ld ms; %lu keys added, deleted; %lu upstream sizes skipped",
	       set, get, elapsed_ms(&f->start), f->added, f->upstream);
	for (o = 0; o < O_COUNT; o++)
		TH_LOG("  %-18s set %6lu (%5lu ok)  get %6lu (%5lu ok)", opt_str[o],
		       f->set[o], f->set_ok[o], f->get[o], f->get_ok[o]);
	EXPECT_EQ(0UL, f->failures) TH_LOG("%lu calls answered against the ABI (seed 0x%llx)",
					   f->failures, (unsigned long long)f->seed);
}

/* ------------------------------------------------------------------------ */
/* Failures                                                                 */
/* ------------------------------------------------------------------------ */

static void fz_fail(struct fz *f, const struct fz_sock *s, const void *buf, size_t dump,
		    const char *fmt, ...)
{
	struct __test_metadata *_metadata = f->md;
	const unsigned char *p = buf;
	char msg[256], hex[3 * 32 + 1];
	size_t i, j;
	va_list ap;

	if (f->failures++ >= LOG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	TH_LOG("FAIL %s %s socket, %s #%ld: %s", s ? fam_str(s->family) : "",
	       s ? s->name : "no", f->phase, f->iter, msg);
	if (!p || f->failures > DUMP_MAX)
		return;
	for (i = 0; i < dump; i += 32) {
		for (j = 0; j < 32 && i + j < dump; j++)
			sprintf(hex + 3 * j, " %02x", p[i + j]);
		TH_LOG("  %03zu:%s", i, hex);
	}
}

/* ------------------------------------------------------------------------ */
/* The model: what abi.md allows for a call                                 */
/* ------------------------------------------------------------------------ */

static bool key_len_ok(socklen_t len)
{
	return len == KEY_LEN_ADDR || len == KEY_LEN_IFINDEX || len == KEY_LEN_PREFIXLEN ||
	       len >= KEY_LEN_ABI;
}

/* Are optlen and what lies past the struct acceptable? */
static bool len_ok(int opt, const unsigned char *buf, socklen_t len)
{
	static const size_t size[O_COUNT] = { AUTHOPT_SIZE, KEY_SIZE, REPAIR_SIZE };

	switch (opt) {
	case O_AUTHOPT:
		if (len < AUTHOPT_MIN)
			return false;
		break;
	case O_KEY:
		if (!key_len_ok(len))
			return false;
		break;
	default:
		if (len < REPAIR_SIZE)
			return false;
	}
	return !buf || len <= size[opt] || all_bytes(buf + size[opt], len - size[opt], 0);
}

static unsigned int verdict_mask(int v)
{
	return v == V_OK ? M(A_OK) : v == V_BAD ? M(A_EINVAL) : M(A_OK) | M(A_EINVAL);
}

static unsigned int authopt_expect(const unsigned char *buf, socklen_t len)
{
	__u32 flags;

	if (!len_ok(O_AUTHOPT, buf, len))
		return M(A_EINVAL);
	memcpy(&flags, buf, sizeof(flags));
	return flags & ~AUTHOPT_KNOWN_FLAGS ? M(A_EINVAL) : M(A_OK);
}

/* The bound address of @k (ADDR_BIND or PREFIXLEN set). */
static int addr_verdict(const struct tcp_authopt_key *k)
{
	const struct sockaddr_in6 *sin6 = (const void *)&k->addr;
	/* PREFIXLEN alone: abi.md does not say that it binds the key. */
	int bad = k->flags & TCP_AUTHOPT_KEY_ADDR_BIND ? V_BAD : V_ODD;
	__u32 max;

	if (k->addr.ss_family == AF_INET)
		max = 32;
	else if (k->addr.ss_family == AF_INET6)
		max = IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) ? 32 : 128;
	else
		return bad;
	if ((k->flags & TCP_AUTHOPT_KEY_PREFIXLEN) && k->prefixlen > max)
		return bad;
	return V_OK;
}

/* A lifetime bound by both its flags and ending before it begins. */
static bool lifetime_inverted(__u32 flags, __u32 begin_flag, __u32 end_flag, __u64 begin,
			      __u64 end)
{
	return (flags & begin_flag) && (flags & end_flag) && begin > end;
}

/*
 * TCP_AUTHOPT_KEY with @len bytes of @buf, in a namespace without a key
 * that overlaps it (the callers delete every key they add).
 */
static unsigned int key_expect(const struct fz *f, const unsigned char *buf, socklen_t len)
{
	int id = V_OK, other = V_OK, ifindex = V_OK;
	struct tcp_authopt_key k;

	if (f->nocap)
		return M(A_EPERM) | M(A_EINVAL);
	if (!len_ok(O_KEY, buf, len))
		return M(A_EINVAL);
	memset(&k, 0, sizeof(k));
	memcpy(&k, buf, min_sz(len, KEY_SIZE));
	if (k.flags & ~KEY_KNOWN_FLAGS)
		return M(A_EINVAL);

	/* The identity: ids, address, ifindex, port ranges. */
	if (len > KEY_LEN_ABI && len < KEY_SIZE)
		id = V_ODD;
	if (k.flags & TCP_AUTHOPT_KEY_LOCAL_PORT)
		id = worse(id, len < KEY_LEN_LPORT ? V_BAD :
			   k.local_port_min > k.local_port_max ? V_ODD : V_OK);
	if (k.flags & TCP_AUTHOPT_KEY_REMOTE_PORT)
		id = worse(id, len < KEY_SIZE ? V_BAD :
			   k.remote_port_min > k.remote_port_max ? V_ODD : V_OK);
	if (k.flags & KEY_BIND_FLAGS)
		id = worse(id, addr_verdict(&k));
	if ((k.flags & TCP_AUTHOPT_KEY_IFINDEX) && k.ifindex && k.ifindex != f->vrf)
		ifindex = V_BAD;

	if (k.flags & TCP_AUTHOPT_KEY_DEL) {
		/* Nothing to delete; an impossible identity may be refused. */
		id = worse(id, ifindex == V_BAD ? V_ODD : V_OK);
		return id == V_OK ? M(A_ENOENT) : M(A_ENOENT) | M(A_EINVAL);
	}
	if ((k.alg != TCP_AUTHOPT_ALG_HMAC_SHA_1_96 &&
	     k.alg != TCP_AUTHOPT_ALG_AES_128_CMAC_96) ||
	    k.keylen > TCP_AUTHOPT_MAXKEYLEN)
		other = V_BAD;
	if (lifetime_inverted(k.flags, TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN,
			      TCP_AUTHOPT_KEY_SEND_LIFETIME_END,
			      k.send_lifetime_begin, k.send_lifetime_end) ||
	    lifetime_inverted(k.flags, TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN,
			      TCP_AUTHOPT_KEY_RECV_LIFETIME_END,
			      k.recv_lifetime_begin, k.recv_lifetime_end))
		other = worse(other, V_ODD);
	return verdict_mask(worse(worse(id, ifindex), other));
}

static unsigned int repair_expect(const struct fz_sock *s, const unsigned char *buf,
				  socklen_t len)
{
	bool ok = len_ok(O_REPAIR, buf, len);

	if (!s->repair)
		return ok ? M(A_EPERM) : M(A_EPERM) | M(A_EINVAL);
	return ok ? M(A_OK) : M(A_EINVAL);
}

static unsigned int set_expect(const struct fz *f, const struct fz_sock *s, int opt,
			       const unsigned char *buf, socklen_t len)
{
	unsigned int allowed;

	switch (opt) {
	case O_AUTHOPT:
		allowed = authopt_expect(buf, len);
		break;
	case O_KEY:
		return key_expect(f, buf, len);
	default:
		allowed = repair_expect(s, buf, len);
	}
	return f->nocap ? allowed | M(A_EPERM) : allowed;
}

/* getsockopt of @opt with optlen @len; *@size gets the size of the struct. */
static unsigned int get_expect(const struct fz *f, const struct fz_sock *s, int opt, int len,
			       size_t *size)
{
	unsigned int allowed, perm = f->nocap ? M(A_EPERM) : 0;

	*size = 0;
	if (opt == O_KEY)
		return M_NOGET | (len < 0 ? M(A_EINVAL) : 0);
	if (len < 0)
		return M(A_EINVAL);
	if (opt == O_REPAIR) {
		*size = REPAIR_SIZE;
		if (!s->repair)
			return M(A_EPERM);
		if (s->touched == T_YES || s->repair_set)
			return M(A_OK) | perm;
		return M(A_OK) | M(A_ENOENT) | perm;
	}
	*size = AUTHOPT_SIZE;
	switch (s->touched) {
	case T_NO:
		allowed = M(A_ENOENT);
		break;
	case T_YES:
		allowed = M(A_OK);
		break;
	default:
		allowed = M(A_OK) | M(A_ENOENT);
	}
	return allowed | perm;
}

/* ------------------------------------------------------------------------ */
/* Checked calls                                                            */
/* ------------------------------------------------------------------------ */

/* The size of upstream's struct on @opt: a call for upstream's ABI. */
static bool upstream_size(int opt, int len)
{
	static const int size[O_COUNT] = {
		[O_AUTHOPT] = 288, [O_KEY] = 144, [O_REPAIR] = 48,
	};

	return len == size[opt];
}

/* setsockopt with the answers @allowed: 0 or -errno. Upstream's sizes are
 * skipped and answer -EINVAL, as a refused call.
 */
static int fz_set(struct fz *f, const struct fz_sock *s, int opt, const void *buf,
		  socklen_t len, unsigned int allowed)
{
	char want[128], got[64];
	int ret;

	if (upstream_size(opt, len)) {
		f->upstream++;
		return -EINVAL;
	}
	f->set[opt]++;
	ret = setsockopt(s->fd, IPPROTO_TCP, opt_name[opt], buf, len) ? -errno : 0;
	if (!(allowed & M(r_of(ret))))
		fz_fail(f, s, buf, buf && !f->nodump ? min_sz(len, MAX_LEN) : 0,
			"set %s optlen %u: %s, allowed %s", opt_str[opt], len,
			ret_str(ret, got, sizeof(got)), mask_str(allowed, want, sizeof(want)));
	if (!ret)
		f->set_ok[opt]++;
	return ret;
}

static void flags_check(struct fz *f, const struct fz_sock *s, __u32 flags)
{
	if (flags & ~AUTHOPT_KNOWN_FLAGS)
		fz_fail(f, s, NULL, 0, "get TCP_AUTHOPT: unknown flags 0x%x", flags);
	if (!!(flags & TCP_AUTHOPT_FLAG_ACTIVE) != s->active)
		fz_fail(f, s, NULL, 0, "get TCP_AUTHOPT: flags 0x%x, ACTIVE should be %d",
			flags, s->active);
}

/*
 * getsockopt of @opt with optlen @len into a buffer with guard bytes.
 * On success, the bytes read are compared with @ref (a read of the whole
 * struct) when given, and copied to @out when given. Returns 0 or -errno.
 */
static int fz_get(struct fz *f, const struct fz_sock *s, int opt, int len,
		  const unsigned char *ref, size_t ref_len, unsigned char *out)
{
	unsigned char buf[MAX_LEN + GUARD];
	char want[128], got[64];
	socklen_t olen = len;
	unsigned int allowed;
	size_t size, n;
	int ret;

	if (opt == O_REPAIR && upstream_size(opt, len)) {
		f->upstream++;
		return -EINVAL;
	}
	memset(buf, GUARD_BYTE, sizeof(buf));
	allowed = get_expect(f, s, opt, len, &size);
	f->get[opt]++;
	ret = getsockopt(s->fd, IPPROTO_TCP, opt_name[opt], buf, &olen) ? -errno : 0;
	if (!(allowed & M(r_of(ret))))
		fz_fail(f, s, NULL, 0, "get %s optlen %d: %s, allowed %s", opt_str[opt], len,
			ret_str(ret, got, sizeof(got)), mask_str(allowed, want, sizeof(want)));
	if (ret) {
		if ((int)olen != len)
			fz_fail(f, s, NULL, 0, "get %s optlen %d failed but set optlen to %d",
				opt_str[opt], len, (int)olen);
		if (!all_bytes(buf, sizeof(buf), GUARD_BYTE))
			fz_fail(f, s, buf, sizeof(buf), "get %s optlen %d failed but wrote",
				opt_str[opt], len);
		return ret;
	}
	f->get_ok[opt]++;
	n = len < 0 ? 0 : min_sz(len, size);
	if (olen != n)
		fz_fail(f, s, NULL, 0, "get %s optlen %d: optlen reads %u, not %zu",
			opt_str[opt], len, olen, n);
	if (!all_bytes(buf + n, sizeof(buf) - n, GUARD_BYTE))
		fz_fail(f, s, buf, sizeof(buf), "get %s optlen %d: wrote past %zu bytes",
			opt_str[opt], len, n);
	if (ref && memcmp(buf, ref, min_sz(n, ref_len)))
		fz_fail(f, s, buf, n, "get %s optlen %d: not the start of the whole struct",
			opt_str[opt], len);
	if (opt == O_AUTHOPT && n >= AUTHOPT_MIN) {
		__u32 flags;

		memcpy(&flags, buf, sizeof(flags));
		flags_check(f, s, flags);
	}
	if (out)
		memcpy(out, buf, n);
	return 0;
}

/* A key that was just added: DEL with the same struct, then it is gone. */
static void key_remove(struct fz *f, const struct fz_sock *s, const unsigned char *buf,
		       socklen_t len)
{
	unsigned char del[MAX_LEN + 8];
	__u32 flags;

	memcpy(del, buf, len);
	memcpy(&flags, del, sizeof(flags));
	flags |= TCP_AUTHOPT_KEY_DEL;
	memcpy(del, &flags, sizeof(flags));
	f->added++;
	fz_set(f, s, O_KEY, del, len, M(A_OK));
	fz_set(f, s, O_KEY, del, len, M(A_ENOENT));
}

/* What a call that answered @ret did to the socket, and the read back checks. */
static void after_set(struct fz *f, struct fz_sock *s, int opt, const unsigned char *buf,
		      socklen_t len, int ret)
{
	unsigned char got[REPAIR_SIZE];
	struct tcp_authopt set, now;
	__u32 flags;

	if (ret) {
		/* Whether a refused call "used" the option, abi.md does not say. */
		if (opt != O_REPAIR && s->touched == T_NO)
			s->touched = T_MAYBE;
		return;
	}
	switch (opt) {
	case O_AUTHOPT:
		s->touched = T_YES;
		memset(&set, 0, sizeof(set));
		memcpy(&set, buf, min_sz(len, sizeof(set)));
		if (!fz_get(f, s, O_AUTHOPT, sizeof(now), NULL, 0, (unsigned char *)&now) &&
		    (now.flags & AUTHOPT_SETTABLE) != (set.flags & AUTHOPT_SETTABLE))
			fz_fail(f, s, buf, min_sz(len, MAX_LEN),
				"TCP_AUTHOPT flags 0x%x set, 0x%x read back", set.flags, now.flags);
		break;
	case O_KEY:
		s->touched = T_YES;
		memcpy(&flags, buf, sizeof(flags));
		if (!(flags & TCP_AUTHOPT_KEY_DEL))
			key_remove(f, s, buf, len);
		break;
	default:
		if (s->touched == T_NO)
			s->touched = T_MAYBE;
		s->repair_set = true;
		if (!fz_get(f, s, O_REPAIR, REPAIR_SIZE, NULL, 0, got) &&
		    memcmp(got, buf, REPAIR_SIZE))
			fz_fail(f, s, got, REPAIR_SIZE, "TCP_REPAIR_AUTHOPT reads back otherwise");
	}
}

/* setsockopt as the model says, then the follow-up of after_set(). */
static int fz_set_model(struct fz *f, struct fz_sock *s, int opt, const unsigned char *buf,
			socklen_t len)
{
	int ret = fz_set(f, s, opt, buf, len, set_expect(f, s, opt, buf, len));

	after_set(f, s, opt, buf, len, ret);
	return ret;
}

/* getsockopt with optlen -1, INT_MIN and 0 to MAX_LEN, each against a whole read. */
static void get_lengths(struct fz *f, struct fz_sock *s, int opt)
{
	unsigned char ref[MAX_LEN];
	bool have_ref;
	int len;

	have_ref = !fz_get(f, s, opt, MAX_LEN, NULL, 0, ref);
	fz_get(f, s, opt, -1, NULL, 0, NULL);
	fz_get(f, s, opt, INT_MIN, NULL, 0, NULL);
	for (len = 0; len <= MAX_LEN; len++) {
		f->iter = len;
		fz_get(f, s, opt, len, have_ref ? ref : NULL, MAX_LEN, NULL);
	}
}

/* ------------------------------------------------------------------------ */
/* Buffers                                                                  */
/* ------------------------------------------------------------------------ */

static void key_near(struct fz *f, struct tcp_authopt_key *k, socklen_t len)
{
	struct sockaddr_in6 *sin6 = (void *)&k->addr;
	bool mapped = false;
	__u64 t;
	__u16 p;

	if (chance(f, 7, 8))
		k->flags &= KEY_KNOWN_FLAGS;
	if (chance(f, 3, 4))
		k->flags &= ~TCP_AUTHOPT_KEY_DEL;
	if (chance(f, 7, 8))
		k->alg = 1 + rnd_below(f, 2);
	if (chance(f, 7, 8))
		k->keylen %= TCP_AUTHOPT_MAXKEYLEN + 1;
	if (chance(f, 7, 8)) {
		k->addr.ss_family = chance(f, 1, 2) ? AF_INET : AF_INET6;
		if (k->addr.ss_family == AF_INET6 && chance(f, 1, 4)) {
			memset(&sin6->sin6_addr, 0, 10);
			sin6->sin6_addr.s6_addr[10] = 0xff;
			sin6->sin6_addr.s6_addr[11] = 0xff;
			mapped = true;
		}
	}
	if (chance(f, 7, 8))
		k->prefixlen %= k->addr.ss_family == AF_INET6 && !mapped ? 129 : 33;
	if (chance(f, 7, 8))
		k->ifindex = chance(f, 1, 2) ? 0 : f->vrf;
	if (chance(f, 7, 8) && k->send_lifetime_begin > k->send_lifetime_end) {
		t = k->send_lifetime_begin;
		k->send_lifetime_begin = k->send_lifetime_end;
		k->send_lifetime_end = t;
	}
	if (chance(f, 7, 8) && k->recv_lifetime_begin > k->recv_lifetime_end) {
		t = k->recv_lifetime_begin;
		k->recv_lifetime_begin = k->recv_lifetime_end;
		k->recv_lifetime_end = t;
	}
	if (chance(f, 7, 8) && k->local_port_min > k->local_port_max) {
		p = k->local_port_min;
		k->local_port_min = k->local_port_max;
		k->local_port_max = p;
	}
	if (chance(f, 7, 8) && k->remote_port_min > k->remote_port_max) {
		p = k->remote_port_min;
		k->remote_port_min = k->remote_port_max;
		k->remote_port_max = p;
	}
	if (len < KEY_SIZE && chance(f, 7, 8))
		k->flags &= ~KEY_PORT_FLAGS;
}

/* Random bytes bent towards a valid struct, field by field. */
static void near_valid(struct fz *f, int opt, unsigned char *buf, socklen_t len)
{
	static const size_t size[O_COUNT] = { AUTHOPT_SIZE, KEY_SIZE, REPAIR_SIZE };
	struct tcp_authopt_key k;
	__u32 flags;

	rnd_bytes(f, buf, len);
	if (opt == O_AUTHOPT && len >= AUTHOPT_MIN && chance(f, 7, 8)) {
		memcpy(&flags, buf, sizeof(flags));
		flags &= AUTHOPT_KNOWN_FLAGS;
		memcpy(buf, &flags, sizeof(flags));
	}
	if (opt == O_KEY) {
		memset(&k, 0, sizeof(k));
		memcpy(&k, buf, min_sz(len, sizeof(k)));
		key_near(f, &k, len);
		memcpy(buf, &k, min_sz(len, sizeof(k)));
	}
	if (len > size[opt] && chance(f, 7, 8))
		memset(buf + size[opt], 0, len - size[opt]);
}

static void fill(struct fz *f, int opt, int kind, unsigned char *buf, socklen_t len)
{
	int i, n;

	switch (kind) {
	case F_ZERO:
		memset(buf, 0, len);
		break;
	case F_RANDOM:
		rnd_bytes(f, buf, len);
		break;
	case F_NEAR:
		near_valid(f, opt, buf, len);
		break;
	default:
		memset(buf, 0, len);
		n = 1 + rnd_below(f, 4);
		for (i = 0; len && i < n; i++)
			buf[rnd_below(f, len)] ^= 1 << rnd_below(f, 8);
	}
}

/* An optlen for the random test: half of them at or around a boundary. */
static socklen_t pick_len(struct fz *f)
{
	static const socklen_t edges[] = {
		0, 1, 3, 4, 5, 7, 8, 9, 16, 23, 24, 25, 215, 216, 217, 219, 220, 221, 223,
		224, 225, 255, 256, 257, 259, 260, 261, 263, 264, 265, 272, MAX_LEN
	};

	if (chance(f, 1, 2))
		return edges[rnd_below(f, ARRAY_SIZE(edges))];
	return rnd_below(f, MAX_LEN + 1);
}

/* ------------------------------------------------------------------------ */
/* Setup: namespaces, sockets in each state                                 */
/* ------------------------------------------------------------------------ */

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -errno;
	return ti.tcpi_state;
}

/* In the current namespace: drop the TCP segments to @port. */
static int nft_drop_port(int port)
{
	FILE *nft = popen("nft -f -", "w");

	if (!nft)
		return -errno;
	fprintf(nft, "add table inet fuzz\n"
		"add chain inet fuzz in { type filter hook input priority 0; policy accept; }\n"
		"add rule inet fuzz in tcp dport %d drop\n", port);
	return ip_close(nft);
}

/* Lines of /proc/net/tcp_authopt of the current namespace after the header. */
static int proc_keys(void)
{
	char buf[4096];
	int fd, lines = 0;
	ssize_t n, i;

	fd = open("/proc/self/net/tcp_authopt", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	if (n < 0)
		return -errno;
	return lines ? lines - 1 : -EBADMSG;
}

FIXTURE(fuzz) {
	struct env e;
	struct fz f;
	struct fz_sock s[ST_COUNT];
	int listener;		/* B's, for A's connections */
	bool keys_b;		/* B holds its fixture key */
};

FIXTURE_VARIANT(fuzz) {
	int family;
	const char *addr_a;
	const char *addr_b;
};

FIXTURE_VARIANT_ADD(fuzz, ipv4) {
	.family = AF_INET,
	.addr_a = ADDR4_A,
	.addr_b = ADDR4_B,
};

FIXTURE_VARIANT_ADD(fuzz, ipv6) {
	.family = AF_INET6,
	.addr_a = ADDR6_A,
	.addr_b = ADDR6_B,
};

FIXTURE_SETUP(fuzz)
{
	int i;

	memset(&self->f, 0, sizeof(self->f));
	for (i = 0; i < ST_COUNT; i++) {
		self->s[i].fd = -1;
		self->s[i].peer = -1;
		self->s[i].name = st_str[i];
	}
	self->listener = -1;
	self->keys_b = false;
	self->f.family = variant->family;
	env_setup(_metadata, &self->e, netns_pair_setup, 0);
	ASSERT_EQ(0, ns_enter(self->e.ns[B]));
	ASSERT_EQ(0, nft_drop_port(PORT_DROP)) TH_LOG("nft in B (CONFIG_NF_TABLES_INET?)");
	self->listener = listen_at(_metadata, &self->e, B, variant->addr_b, PORT_PEER, 0, NULL);
	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	ASSERT_EQ(0, ip_batch("link add fz-vrf type vrf table 100\nlink set fz-vrf up\n"))
		TH_LOG("a VRF device in A (CONFIG_NET_VRF?)");
	self->f.vrf = if_nametoindex("fz-vrf");
	self->f.lo = if_nametoindex("lo");
	ASSERT_NE(0U, self->f.vrf);
	ASSERT_NE(0U, self->f.lo);
}

FIXTURE_TEARDOWN(fuzz)
{
	int i;

	for (i = 0; i < ST_COUNT; i++) {
		if (self->s[i].fd >= 0)
			close(self->s[i].fd);
		if (self->s[i].peer >= 0)
			close(self->s[i].peer);
	}
	if (self->listener >= 0)
		close(self->listener);
	env_teardown(&self->e);
}

/* The fixture key of @side, bound to the other side's address. */
static int fixture_key(struct _test_data_fuzz *self, const struct _fixture_variant_fuzz *variant,
		       int side, bool del)
{
	struct key_spec ks = {
		.flags = TCP_AUTHOPT_KEY_ADDR_BIND | (del ? TCP_AUTHOPT_KEY_DEL : 0),
		.send_id = side == A ? FIX_ID_A : FIX_ID_B,
		.recv_id = side == A ? FIX_ID_B : FIX_ID_A,
		.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
		.secret = FIX_SECRET,
		.addr = side == A ? variant->addr_b : variant->addr_a,
	};

	return key_in(&self->e, side, &ks);
}

/* A connection from A to B's listener; the fd of A's end. */
static int connection(struct __test_metadata *_metadata, struct _test_data_fuzz *self,
		      const struct _fixture_variant_fuzz *variant, __u32 flags, int *peer)
{
	int fd = socket_in(_metadata, &self->e, A, variant->family, flags, NULL, NULL, 0);

	*peer = connect_accept(_metadata, fd, self->listener, variant->addr_b, PORT_PEER);
	return fd;
}

/* A's socket of state @st; the process ends up in A. */
static void state_open(struct __test_metadata *_metadata, struct _test_data_fuzz *self,
		       const struct _fixture_variant_fuzz *variant, int st)
{
	struct fz_sock *s = &self->s[st];
	struct sockaddr_storage ss;
	socklen_t len;
	int ret;

	s->family = variant->family;
	s->touched = T_NO;
	s->active = false;
	s->repair = false;
	s->repair_set = false;
	switch (st) {
	case ST_NEW:
	case ST_REPAIR:
		s->fd = socket_in(_metadata, &self->e, A, variant->family, UNTOUCHED, NULL,
				  NULL, 0);
		s->tcp_state = TCPS_CLOSE;
		break;
	case ST_BOUND:
		s->fd = socket_in(_metadata, &self->e, A, variant->family, UNTOUCHED, NULL,
				  variant->addr_a, 0);
		s->tcp_state = TCPS_CLOSE;
		break;
	case ST_LISTEN:
		s->fd = listen_at(_metadata, &self->e, A, variant->addr_a, PORT_OWN, UNTOUCHED,
				  NULL);
		s->tcp_state = TCPS_LISTEN;
		break;
	case ST_CONNECTING:
		s->fd = socket_in(_metadata, &self->e, A, variant->family, UNTOUCHED, NULL,
				  NULL, 0);
		len = sockaddr_fill(&ss, variant->addr_b, PORT_DROP);
		ret = connect(s->fd, (struct sockaddr *)&ss, len);
		ASSERT_EQ(-1, ret);
		ASSERT_EQ(EINPROGRESS, errno) TH_LOG("connect to the filtered port: %m");
		s->tcp_state = TCPS_SYN_SENT;
		break;
	case ST_ESTABLISHED:
	case ST_REPAIR_ESTABLISHED:
		s->fd = connection(_metadata, self, variant, UNTOUCHED, &s->peer);
		s->tcp_state = TCPS_ESTABLISHED;
		break;
	case ST_CLOSED:
		/* Both sides close; A's end passes TIME-WAIT to a timewait sock. */
		s->fd = connection(_metadata, self, variant, UNTOUCHED, &s->peer);
		ASSERT_EQ(0, shutdown(s->fd, SHUT_WR));
		ASSERT_EQ(1, wait_fd(s->peer, POLLIN, CONNECT_MS)) TH_LOG("B saw no FIN");
		close(s->peer);
		s->peer = -1;
		ASSERT_EQ(1, wait_fd(s->fd, POLLIN, CONNECT_MS)) TH_LOG("A saw no FIN");
		s->tcp_state = TCPS_CLOSE;
		break;
	case ST_ESTABLISHED_AO:
		ASSERT_EQ(0, fixture_key(self, variant, A, false));
		ASSERT_EQ(0, fixture_key(self, variant, B, false));
		self->keys_b = true;
		s->fd = connection(_metadata, self, variant, 0, &s->peer);
		s->tcp_state = TCPS_ESTABLISHED;
		s->touched = T_YES;
		s->active = true;
		expect_authopt(_metadata, "A", s->fd, true, FIX_ID_A, FIX_ID_B);
		/* The namespace's keys stay empty while fuzzing. */
		ASSERT_EQ(0, fixture_key(self, variant, A, true));
		break;
	}
	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	if (st == ST_REPAIR || st == ST_REPAIR_ESTABLISHED) {
		ASSERT_EQ(0, repair_mode(s->fd, 1)) TH_LOG("TCP_REPAIR on a %s socket", s->name);
		s->repair = true;
	}
	ASSERT_EQ(s->tcp_state, tcp_state(s->fd)) TH_LOG("%s socket", s->name);
}

static void states_open(struct __test_metadata *_metadata, struct _test_data_fuzz *self,
			const struct _fixture_variant_fuzz *variant, unsigned int mask)
{
	int st;

	for (st = 0; st < ST_COUNT; st++)
		if (mask & (1u << st))
			state_open(_metadata, self, variant, st);
}

/*
 * After the fuzzing: each socket is in its state still, the connections
 * carry data (the authenticated one once A's key is back), and no key is
 * left in either namespace.
 */
static void states_finish(struct __test_metadata *_metadata, struct _test_data_fuzz *self,
			  const struct _fixture_variant_fuzz *variant)
{
	struct fz_sock *s;
	int st;

	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	for (st = 0; st < ST_COUNT; st++) {
		s = &self->s[st];
		if (s->fd >= 0)
			EXPECT_EQ(s->tcp_state, tcp_state(s->fd)) TH_LOG("%s socket", s->name);
	}
	s = &self->s[ST_ESTABLISHED];
	if (s->fd >= 0)
		exchange(_metadata, s->fd, s->peer, 4096, false);
	/* Out of repair mode (a window probe goes out), no key applies yet. */
	s = &self->s[ST_REPAIR_ESTABLISHED];
	if (s->fd >= 0) {
		if (s->repair)
			ASSERT_EQ(0, repair_mode(s->fd, 0));
		s->repair = false;
		exchange(_metadata, s->fd, s->peer, 4096, false);
	}
	s = &self->s[ST_ESTABLISHED_AO];
	if (s->fd >= 0) {
		ASSERT_EQ(0, fixture_key(self, variant, A, false));
		exchange(_metadata, s->fd, s->peer, 4096, false);
		expect_authopt(_metadata, "A", s->fd, true, -1, FIX_ID_B);
		EXPECT_EQ(0, fixture_key(self, variant, A, true));
	}
	if (self->keys_b) {
		EXPECT_EQ(0, fixture_key(self, variant, B, true));
		self->keys_b = false;
	}
	ASSERT_EQ(0, ns_enter(self->e.ns[B]));
	EXPECT_EQ(0, proc_keys()) TH_LOG("keys left in B");
	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	EXPECT_EQ(0, proc_keys()) TH_LOG("keys left in A");
}

/* ------------------------------------------------------------------------ */
/* Every optlen, every state                                                */
/* ------------------------------------------------------------------------ */

static void run_lengths(struct fz *f, struct fz_sock *s, int fills)
{
	unsigned char buf[MAX_LEN];
	int opt, kind;
	socklen_t len;

	for (opt = 0; opt < O_COUNT; opt++)
		get_lengths(f, s, opt);
	for (kind = 0; kind < F_COUNT; kind++) {
		if (!(fills & (1 << kind)))
			continue;
		f->phase = fill_str[kind];
		for (opt = 0; opt < O_COUNT; opt++) {
			for (len = 0; len <= MAX_LEN; len++) {
				f->iter = len;
				fill(f, opt, kind, buf, len);
				fz_set_model(f, s, opt, buf, len);
			}
		}
	}
	f->phase = "get after";
	for (opt = 0; opt < O_COUNT; opt++)
		get_lengths(f, s, opt);
}

#define LENGTH_FILLS	((1 << F_ZERO) | (1 << F_RANDOM))

/*
 * Each option with each optlen from 0 to 320, zero and random, set and get
 * (before and after the sets), on A's sockets in each state; then nearly
 * valid keys at each optlen, which the kernel accepts now and then (keys
 * are the namespace's: once is enough).
 */
TEST_F_TIMEOUT(fuzz, lengths, 300)
{
	unsigned char buf[MAX_LEN];
	struct fz *f = &self->f;
	socklen_t len;
	int st, i;

	states_open(_metadata, self, variant, ST_ALL);
	fz_start(f, _metadata, "lengths");
	for (st = 0; st < ST_COUNT; st++) {
		f->phase = "get before";
		run_lengths(f, &self->s[st], LENGTH_FILLS);
	}
	f->phase = "key near-valid";
	for (i = 0; i < 2; i++) {
		for (len = 0; len <= MAX_LEN; len++) {
			f->iter = len;
			fill(f, O_KEY, F_NEAR, buf, len);
			fz_set_model(f, &self->s[ST_NEW], O_KEY, buf, len);
		}
	}
	f->phase = "finish";
	states_finish(_metadata, self, variant);
	fz_report(f);
}

/* ------------------------------------------------------------------------ */
/* Random calls                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Random calls on the sockets of every state: set (random, nearly valid or
 * nearly zero bytes) and get of the three options, with random optlen, and
 * repair mode turned on and off now and then.
 */
TEST_F_TIMEOUT(fuzz, random, 300)
{
	static const int kinds[] = { F_RANDOM, F_NEAR, F_NEAR, F_FLIP };
	const char *env = getenv(ITERS_ENV);
	long iters = env && *env ? strtol(env, NULL, 0) : DEFAULT_ITERS;
	unsigned char buf[MAX_LEN];
	struct fz *f = &self->f;
	struct fz_sock *s;
	int opt, op, kind;
	socklen_t len;

	states_open(_metadata, self, variant, ST_ALL);
	fz_start(f, _metadata, "random");
	TH_LOG("%ld random calls (%s)", iters, ITERS_ENV);
	for (f->iter = 0; f->iter < iters; f->iter++) {
		s = &self->s[rnd_below(f, ST_COUNT)];
		op = rnd_below(f, 64);
		opt = rnd_below(f, O_COUNT);
		len = pick_len(f);
		if (op == 0 && (s == &self->s[ST_REPAIR] || s == &self->s[ST_REPAIR_ESTABLISHED])) {
			f->phase = "random TCP_REPAIR";
			s->repair = !s->repair;
			if (repair_mode(s->fd, s->repair))
				fz_fail(f, s, NULL, 0, "TCP_REPAIR %d: %m", s->repair);
		} else if (op < 20) {
			f->phase = "random get";
			fz_get(f, s, opt, len, NULL, 0, NULL);
		} else {
			kind = kinds[rnd_below(f, ARRAY_SIZE(kinds))];
			f->phase = fill_str[kind];
			fill(f, opt, kind, buf, len);
			fz_set_model(f, s, opt, buf, len);
		}
	}
	f->phase = "finish";
	states_finish(_metadata, self, variant);
	fz_report(f);
}

/* ------------------------------------------------------------------------ */
/* One namespace for the tests of fields and pointers                      */
/* ------------------------------------------------------------------------ */

/*
 * These tests look at how the options parse their buffers: the sockets of
 * both families live in one namespace and connect over lo.
 */
enum { FS_NEW, FS_ESTABLISHED, FS_REPAIR, FS_REPAIR_ESTABLISHED, FS_COUNT };

static const char * const fs_str[FS_COUNT] = {
	"new", "established", "repair", "repair-established"
};

FIXTURE(fields) {
	struct fz f;
	int listener[2];	/* per family, on lo */
	struct fz_sock s[2][FS_COUNT];
};

FIXTURE_SETUP(fields)
{
	int i, k, ret;

	memset(&self->f, 0, sizeof(self->f));
	for (i = 0; i < 2; i++) {
		self->listener[i] = -1;
		for (k = 0; k < FS_COUNT; k++) {
			self->s[i][k].fd = -1;
			self->s[i][k].peer = -1;
		}
	}
	ASSERT_EQ(0, unshare(CLONE_NEWNET)) TH_LOG("unshare(CLONE_NEWNET): %m (run as root)");
	ret = ip_batch("link set lo up\naddr add %s/32 dev lo\naddr add %s/128 dev lo nodad\n"
		       "link add fz-vrf type vrf table 100\nlink set fz-vrf up\n",
		       ADDR4_A, ADDR6_A);
	ASSERT_EQ(0, ret) TH_LOG("lo and a VRF device (CONFIG_NET_VRF?)");
	ret = sysctl_enable();
	ASSERT_EQ(0, ret) TH_LOG("net.ipv4.tcp_authopt: %s", strerror(-ret));
	self->f.vrf = if_nametoindex("fz-vrf");
	self->f.lo = if_nametoindex("lo");
	ASSERT_NE(0U, self->f.vrf);
	ASSERT_NE(0U, self->f.lo);
	for (i = 0; i < 2; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sockaddr_fill(&ss, i ? ADDR6_A : ADDR4_A, PORT_PEER);

		self->listener[i] = tcp_socket(i ? AF_INET6 : AF_INET, UNTOUCHED);
		ASSERT_LE(0, self->listener[i]);
		ASSERT_EQ(0, bind(self->listener[i], (struct sockaddr *)&ss, len));
		ASSERT_EQ(0, listen(self->listener[i], 8));
	}
}

FIXTURE_TEARDOWN(fields)
{
	int i, k;

	for (i = 0; i < 2; i++) {
		for (k = 0; k < FS_COUNT; k++) {
			if (self->s[i][k].fd >= 0)
				close(self->s[i][k].fd);
			if (self->s[i][k].peer >= 0)
				close(self->s[i][k].peer);
		}
		if (self->listener[i] >= 0)
			close(self->listener[i]);
	}
}

/* The sockets of the states in @mask, in both families. */
static void fields_open(struct __test_metadata *_metadata, struct _test_data_fields *self,
			unsigned int mask)
{
	int i, k, ret;

	for (i = 0; i < 2; i++) {
		for (k = 0; k < FS_COUNT; k++) {
			struct fz_sock *s = &self->s[i][k];

			if (!(mask & (1u << k)))
				continue;
			memset(s, 0, sizeof(*s));
			s->peer = -1;
			s->family = i ? AF_INET6 : AF_INET;
			s->name = fs_str[k];
			s->touched = T_NO;
			s->tcp_state = TCPS_CLOSE;
			s->fd = tcp_socket(s->family, UNTOUCHED);
			ASSERT_LE(0, s->fd);
			if (k == FS_ESTABLISHED || k == FS_REPAIR_ESTABLISHED) {
				ret = connect_wait(s->fd, i ? ADDR6_A : ADDR4_A, PORT_PEER,
						   CONNECT_MS);
				ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
				s->peer = accept_wait(self->listener[i], CONNECT_MS);
				ASSERT_LE(0, s->peer);
				s->tcp_state = TCPS_ESTABLISHED;
			}
			if (k == FS_REPAIR || k == FS_REPAIR_ESTABLISHED) {
				ASSERT_EQ(0, repair_mode(s->fd, 1));
				s->repair = true;
			}
		}
	}
}

/* The sockets kept their state, the connections carry data, no key is left. */
static void fields_finish(struct __test_metadata *_metadata, struct _test_data_fields *self)
{
	struct fz_sock *s;
	int i, k;

	for (i = 0; i < 2; i++) {
		for (k = 0; k < FS_COUNT; k++) {
			s = &self->s[i][k];
			if (s->fd < 0)
				continue;
			EXPECT_EQ(s->tcp_state, tcp_state(s->fd))
				TH_LOG("%s %s socket", fam_str(s->family), s->name);
			if (s->peer < 0)
				continue;
			/* Out of repair mode (a window probe goes out) without CAP_NET_ADMIN? */
			if (s->repair && self->f.nocap)
				continue;
			if (s->repair)
				ASSERT_EQ(0, repair_mode(s->fd, 0));
			s->repair = false;
			exchange(_metadata, s->fd, s->peer, 4096, false);
		}
	}
	EXPECT_EQ(0, proc_keys()) TH_LOG("keys left");
}

/* ------------------------------------------------------------------------ */
/* One field corrupted                                                      */
/* ------------------------------------------------------------------------ */

static void key_base(struct fz *f, struct tcp_authopt_key *k, int base)
{
	struct sockaddr_in6 *sin6 = (void *)&k->addr;
	struct sockaddr_in *sin = (void *)&k->addr;
	__u64 now = time(NULL);

	memset(k, 0, sizeof(*k));
	k->send_id = 1;
	k->recv_id = 2;
	k->alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96;
	k->keylen = 16;
	memset(k->key, 'k', k->keylen);
	switch (base) {
	case 0:
		break;
	case 1:
		k->flags = TCP_AUTHOPT_KEY_ADDR_BIND;
		k->alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96;
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, "203.0.113.1", &sin->sin_addr);
		break;
	case 2:
		k->flags = TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_PREFIXLEN;
		k->prefixlen = 48;
		sin6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8:1::", &sin6->sin6_addr);
		break;
	case 3:
		k->flags = TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_PREFIXLEN;
		k->prefixlen = 24;
		sin6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "::ffff:203.0.113.0", &sin6->sin6_addr);
		break;
	default:
		k->flags = TCP_AUTHOPT_KEY_IFINDEX | KEY_PORT_FLAGS |
			   TCP_AUTHOPT_KEY_NOSEND | TCP_AUTHOPT_KEY_EXCLUDE_OPTS |
			   TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_SEND_LIFETIME_END |
			   TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_RECV_LIFETIME_END;
		k->ifindex = f->vrf;
		k->local_port_min = 179;
		k->local_port_max = 179;
		k->remote_port_min = 1024;
		k->remote_port_max = 65535;
		k->send_lifetime_begin = now - 3600;
		k->send_lifetime_end = now + 3600;
		k->recv_lifetime_begin = now - 3600;
		k->recv_lifetime_end = now + 7200;
	}
}

#define KEY_BASES	5

static int try_key(struct fz *f, struct fz_sock *s, const struct tcp_authopt_key *k,
		   socklen_t len)
{
	unsigned char buf[MAX_LEN];

	memset(buf, 0, sizeof(buf));
	memcpy(buf, k, min_sz(len, sizeof(*k)));
	f->iter++;
	return fz_set_model(f, s, O_KEY, buf, len);
}

static int set_key_exp(struct fz *f, struct fz_sock *s, const struct tcp_authopt_key *k,
		       unsigned int allowed)
{
	f->iter++;
	return fz_set(f, s, O_KEY, k, sizeof(*k), allowed);
}

static void key_fields(struct fz *f, struct fz_sock *s, int base)
{
	static const __u32 prefixlens[] = {
		256, 257, 0x1000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000020,
		0x80000080, 0xffffff80, 0xfffffffe, 0xffffffff
	};
	static const __u64 times[] = {
		0, 1, 1700000000, 1ull << 63, ~0ull - 1, ~0ull
	};
	static const __u16 ports[] = { 0, 1, 179, 1023, 1024, 65534, 65535 };
	static const socklen_t lens[] = {
		KEY_LEN_ADDR, KEY_LEN_IFINDEX, KEY_LEN_PREFIXLEN, KEY_LEN_ABI, 257, 259,
		KEY_LEN_LPORT, 261, 263, KEY_SIZE, 265, 272, MAX_LEN
	};
	const __u32 lifetime_flags[2][2] = {
		{ TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN, TCP_AUTHOPT_KEY_SEND_LIFETIME_END },
		{ TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN, TCP_AUTHOPT_KEY_RECV_LIFETIME_END },
	};
	struct tcp_authopt_key k, b;
	unsigned char buf[MAX_LEN];
	unsigned int i, j, v, w;
	__u32 bits;

	key_base(f, &b, base);
	f->iter = 0;
	if (set_expect(f, s, O_KEY, (void *)&b, sizeof(b)) != M(A_OK))
		fz_fail(f, s, NULL, 0, "base key %d: the model refuses it", base);

	/* Each flag bit toggled: unknown ones are refused. */
	for (i = 0; i < 32; i++) {
		k = b;
		k.flags ^= 1u << i;
		try_key(f, s, &k, sizeof(k));
	}
	/*
	 * The loops over fields that do not depend on the others run on some
	 * bases only, for time: ids on an unbound and a bound key, alg and
	 * keylen on a key of each algorithm, families on an unbound key and an
	 * IPv6 one, lifetimes and ports on an unbound key and the one with all
	 * the flags.
	 */
	for (v = 0; v < 256; v++) {
		if (base == 0 || base == 2) {
			k = b;
			k.send_id = v;
			try_key(f, s, &k, sizeof(k));
			k = b;
			k.recv_id = v;
			try_key(f, s, &k, sizeof(k));
		}
		if (base > 1)
			continue;
		k = b;
		k.alg = v;
		try_key(f, s, &k, sizeof(k));
		k = b;
		k.keylen = v;
		memset(k.key, 'k', sizeof(k.key));
		try_key(f, s, &k, sizeof(k));
	}
	/* Address families, with ADDR_BIND, with a prefix and with PREFIXLEN alone. */
	bits = b.flags & KEY_BIND_FLAGS;
	for (v = 0; (base == 0 || base == 2) && v < 256; v++) {
		k = b;
		k.addr.ss_family = v;
		try_key(f, s, &k, sizeof(k));
		k.flags |= TCP_AUTHOPT_KEY_ADDR_BIND;
		try_key(f, s, &k, sizeof(k));
		k.flags |= TCP_AUTHOPT_KEY_PREFIXLEN;
		k.prefixlen = 8;
		try_key(f, s, &k, sizeof(k));
		k.flags &= ~TCP_AUTHOPT_KEY_ADDR_BIND;
		try_key(f, s, &k, sizeof(k));
	}
	/* Prefix lengths, with the base's flags and with PREFIXLEN. */
	for (v = 0; v < 256 + ARRAY_SIZE(prefixlens); v++) {
		k = b;
		k.prefixlen = v < 256 ? v : prefixlens[v - 256];
		try_key(f, s, &k, sizeof(k));
		if (bits) {
			k.flags |= TCP_AUTHOPT_KEY_PREFIXLEN;
			try_key(f, s, &k, sizeof(k));
		}
	}
	/* Garbage ifindex, ignored without IFINDEX. */
	for (v = 0; v < 16; v++) {
		const __u32 special[] = {
			0, f->lo, f->vrf, f->vrf + 1, f->vrf - 1, 9999, 0x7fffffff, 0x80000000,
			0xffffffff
		};

		k = b;
		k.ifindex = v < ARRAY_SIZE(special) ? special[v] : (__u32)rnd(f);
		try_key(f, s, &k, sizeof(k));
		k.flags ^= TCP_AUTHOPT_KEY_IFINDEX;
		try_key(f, s, &k, sizeof(k));
	}
	/* Lifetimes, inverted or not, under one, the other or both flags. */
	for (i = 0; (base == 0 || base == 4) && i < 2; i++) {
		for (v = 0; v < ARRAY_SIZE(times); v++) {
			for (w = 0; w < ARRAY_SIZE(times); w++) {
				for (j = 1; j <= 3; j++) {
					__u64 *begin = i ? &k.recv_lifetime_begin :
							   &k.send_lifetime_begin;
					__u64 *end = i ? &k.recv_lifetime_end :
							 &k.send_lifetime_end;

					k = b;
					k.flags &= ~(lifetime_flags[i][0] | lifetime_flags[i][1]);
					if (j & 1)
						k.flags |= lifetime_flags[i][0];
					if (j & 2)
						k.flags |= lifetime_flags[i][1];
					*begin = times[v];
					*end = times[w];
					try_key(f, s, &k, sizeof(k));
				}
			}
		}
	}
	/* Port ranges, inverted or not, with and without their flag. */
	for (v = 0; (base == 0 || base == 4) && v < ARRAY_SIZE(ports); v++) {
		for (w = 0; w < ARRAY_SIZE(ports); w++) {
			k = b;
			k.local_port_min = ports[v];
			k.local_port_max = ports[w];
			try_key(f, s, &k, sizeof(k));
			k.flags ^= TCP_AUTHOPT_KEY_LOCAL_PORT;
			try_key(f, s, &k, sizeof(k));
			k = b;
			k.remote_port_min = ports[v];
			k.remote_port_max = ports[w];
			try_key(f, s, &k, sizeof(k));
			k.flags ^= TCP_AUTHOPT_KEY_REMOTE_PORT;
			try_key(f, s, &k, sizeof(k));
		}
	}
	/* The struct cuts, and non-zero bytes past the struct. */
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		try_key(f, s, &b, lens[i]);
		for (j = KEY_SIZE; j < lens[i]; j += 7) {
			memset(buf, 0, sizeof(buf));
			memcpy(buf, &b, sizeof(b));
			buf[j] = 1 + rnd_below(f, 255);
			f->iter++;
			fz_set_model(f, s, O_KEY, buf, lens[i]);
		}
	}
	/* Bytes that mean nothing: past keylen, and the rest of the address. */
	for (i = 0; i < 8; i++) {
		k = b;
		rnd_bytes(f, k.key + k.keylen, sizeof(k.key) - k.keylen);
		try_key(f, s, &k, sizeof(k));
		k = b;
		rnd_bytes(f, (char *)&k.addr + 2, sizeof(k.addr) - 2);
		try_key(f, s, &k, sizeof(k));
	}

	/* DEL: of an absent key, then of one that is there, by its identity only. */
	k = b;
	k.flags |= TCP_AUTHOPT_KEY_DEL;
	set_key_exp(f, s, &k, M(A_ENOENT));
	set_key_exp(f, s, &b, M(A_OK));
	for (i = 0; i < 8; i++) {
		k = b;
		k.flags |= TCP_AUTHOPT_KEY_DEL;
		switch (i) {
		case 0:
			k.send_id++;
			break;
		case 1:
			k.recv_id++;
			break;
		case 2:
			k.flags ^= TCP_AUTHOPT_KEY_ADDR_BIND;
			break;
		case 3:
			k.flags ^= TCP_AUTHOPT_KEY_IFINDEX;
			break;
		case 4:
			k.flags ^= TCP_AUTHOPT_KEY_LOCAL_PORT;
			break;
		case 5:
			k.remote_port_min++;
			k.flags |= TCP_AUTHOPT_KEY_REMOTE_PORT;
			break;
		case 6:
			k.addr.ss_family = k.addr.ss_family == AF_INET ? AF_INET6 : AF_INET;
			k.flags |= TCP_AUTHOPT_KEY_ADDR_BIND;
			break;
		default:
			k.prefixlen = b.flags & TCP_AUTHOPT_KEY_PREFIXLEN ? b.prefixlen - 1 : 9;
			k.flags |= TCP_AUTHOPT_KEY_PREFIXLEN;
		}
		/* Another identity: absent, as the model has it for an empty table. */
		try_key(f, s, &k, sizeof(k));
	}
	k = b;
	k.flags |= TCP_AUTHOPT_KEY_DEL | TCP_AUTHOPT_KEY_NOSEND | TCP_AUTHOPT_KEY_NORECV;
	k.flags ^= TCP_AUTHOPT_KEY_EXCLUDE_OPTS | TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN |
		   TCP_AUTHOPT_KEY_SEND_LIFETIME_END;
	k.alg = 77;
	k.keylen = 200;
	k.send_lifetime_begin = 2000;
	k.send_lifetime_end = 1000;
	rnd_bytes(f, k.key, sizeof(k.key));
	set_key_exp(f, s, &k, M(A_OK));
	set_key_exp(f, s, &k, M(A_ENOENT));

	/* Ids shared with an equally specific key: EEXIST; replacing: 0. */
	set_key_exp(f, s, &b, M(A_OK));
	k = b;
	k.recv_id++;
	set_key_exp(f, s, &k, M(A_EEXIST));
	k = b;
	k.send_id++;
	set_key_exp(f, s, &k, M(A_EEXIST));
	k = b;
	k.alg = k.alg == TCP_AUTHOPT_ALG_HMAC_SHA_1_96 ? TCP_AUTHOPT_ALG_AES_128_CMAC_96 :
							 TCP_AUTHOPT_ALG_HMAC_SHA_1_96;
	k.flags ^= TCP_AUTHOPT_KEY_NORECV;
	set_key_exp(f, s, &k, M(A_OK));
	if (proc_keys() != 1)
		fz_fail(f, s, NULL, 0, "base key %d: %d keys listed after a replace, not 1",
			base, proc_keys());
	k = b;
	k.send_id++;
	k.recv_id++;
	set_key_exp(f, s, &k, M(A_OK));
	k.flags |= TCP_AUTHOPT_KEY_DEL;
	set_key_exp(f, s, &k, M(A_OK));
	k = b;
	k.flags |= TCP_AUTHOPT_KEY_DEL;
	set_key_exp(f, s, &k, M(A_OK));
	if (proc_keys() != 0)
		fz_fail(f, s, NULL, 0, "base key %d: %d keys left", base, proc_keys());
}

/* TCP_AUTHOPT_KEY: valid keys of each kind with one field corrupted. */
TEST_F_TIMEOUT(fields, key_fields, 120)
{
	struct fz *f = &self->f;
	int base;

	fields_open(_metadata, self, 1u << FS_NEW);
	fz_start(f, _metadata, "key_fields");
	for (base = 0; base < KEY_BASES; base++) {
		char phase[32];

		snprintf(phase, sizeof(phase), "key base %d", base);
		f->phase = phase;
		/* Keys are the namespace's: the socket family should not matter. */
		key_fields(f, &self->s[base & 1][FS_NEW], base);
	}
	f->phase = "finish";
	fields_finish(_metadata, self);
	fz_report(f);
}

/*
 * TCP_AUTHOPT: each flag bit, each id byte and short and long buffers;
 * TCP_REPAIR_AUTHOPT: each field, in and out of repair mode.
 */
TEST_F_TIMEOUT(fields, authopt_repair_fields, 120)
{
	static const __u32 values[] = {
		0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff
	};
	unsigned char buf[MAX_LEN];
	struct tcp_repair_authopt rep;
	struct fz *f = &self->f;
	struct tcp_authopt o, b = {
		.flags = TCP_AUTHOPT_FLAG_LOCK_KEYID | TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED,
		.send_keyid = 1,
		.send_rnextkeyid = 2,
	};
	unsigned int i, v, st;
	socklen_t len;

	fields_open(_metadata, self, (1u << FS_COUNT) - 1);
	fz_start(f, _metadata, "authopt_repair_fields");
	for (st = 0; st < 2 * FS_COUNT; st++) {
		struct fz_sock *s = &self->s[st / FS_COUNT][st % FS_COUNT];

		f->phase = "authopt flags";
		for (i = 0; i < 32; i++) {
			o = b;
			o.flags ^= 1u << i;
			f->iter = i;
			fz_set_model(f, s, O_AUTHOPT, (void *)&o, sizeof(o));
		}
		f->phase = "authopt ids";
		/* Every id byte once per family is enough: they are not checked. */
		for (v = 0; st % FS_COUNT == FS_NEW && v < 4 * 256; v++) {
			o = b;
			o.flags |= TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID;
			((__u8 *)&o.send_keyid)[v / 256] = v % 256;
			f->iter = v;
			fz_set_model(f, s, O_AUTHOPT, (void *)&o, sizeof(o));
		}
		f->phase = "authopt tail";
		for (len = 0; len <= 4 * AUTHOPT_SIZE; len++) {
			memset(buf, 0, sizeof(buf));
			memcpy(buf, &b, sizeof(b));
			if (len > AUTHOPT_SIZE && chance(f, 1, 2))
				buf[AUTHOPT_SIZE + rnd_below(f, len - AUTHOPT_SIZE)] = 0x80;
			f->iter = len;
			fz_set_model(f, s, O_AUTHOPT, buf, len);
		}
		f->phase = "repair fields";
		for (i = 0; i < 6; i++) {
			for (v = 0; v < ARRAY_SIZE(values) + 4; v++) {
				memset(&rep, 0, sizeof(rep));
				((__u32 *)&rep)[i] = v < ARRAY_SIZE(values) ? values[v] :
							(__u32)rnd(f);
				f->iter = i * 100 + v;
				fz_set_model(f, s, O_REPAIR, (void *)&rep, sizeof(rep));
			}
		}
		f->phase = "repair tail";
		for (len = 0; len <= 2 * REPAIR_SIZE; len++) {
			rnd_bytes(f, buf, sizeof(buf));
			if (len > REPAIR_SIZE && chance(f, 1, 2))
				memset(buf + REPAIR_SIZE, 0, len - REPAIR_SIZE);
			f->iter = len;
			fz_set_model(f, s, O_REPAIR, buf, len);
		}
	}
	f->phase = "finish";
	fields_finish(_metadata, self);
	fz_report(f);
}

/* ------------------------------------------------------------------------ */
/* Bad pointers                                                             */
/* ------------------------------------------------------------------------ */

/* Two pages, the second inaccessible: the address where it starts. */
static unsigned char *guard_page(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *p;

	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mprotect(p + pg, pg, PROT_NONE))
		return NULL;
	return p + pg;
}

/* Where the read-only copy of the valid struct of @opt is. */
#define RO_OFF(opt)	(64 + 1024 * (opt))

/* A valid struct of @opt, zero up to MAX_LEN. */
static void valid_struct(struct fz *f, int opt, unsigned char *buf)
{
	struct tcp_authopt_key k;
	__u32 flags = TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED;

	memset(buf, 0, MAX_LEN);
	if (opt == O_AUTHOPT) {
		memcpy(buf, &flags, sizeof(flags));
	} else if (opt == O_KEY) {
		key_base(f, &k, 0);
		memcpy(buf, &k, sizeof(k));
	} else {
		rnd_bytes(f, buf, REPAIR_SIZE);
	}
}

/* A read-only page with the valid struct of each option at RO_OFF(). */
static unsigned char *ro_page(struct fz *f)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *p;
	int opt;

	if (pg < RO_OFF(O_COUNT))
		return NULL;
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (opt = 0; opt < O_COUNT; opt++)
		valid_struct(f, opt, p + RO_OFF(opt));
	return mprotect(p, pg, PROT_READ) ? NULL : p;
}

/* setsockopt from a bad pointer: the buffer must not be read back nor dumped. */
static void set_bad(struct fz *f, struct fz_sock *s, int opt, const void *p, socklen_t len,
		    unsigned int allowed)
{
	int ret;

	f->nodump = true;
	ret = fz_set(f, s, opt, p, len, allowed);
	f->nodump = false;
	if (ret)
		after_set(f, s, opt, NULL, len, ret);
}

static int get_raw(struct fz *f, const struct fz_sock *s, int opt, void *val, socklen_t *lenp,
		   unsigned int allowed, const char *what)
{
	char want[128], got[64];
	int ret;

	f->get[opt]++;
	ret = getsockopt(s->fd, IPPROTO_TCP, opt_name[opt], val, lenp) ? -errno : 0;
	if (!(allowed & M(r_of(ret))))
		fz_fail(f, s, NULL, 0, "get %s, %s: %s, allowed %s", opt_str[opt], what,
			ret_str(ret, got, sizeof(got)), mask_str(allowed, want, sizeof(want)));
	if (!ret)
		f->get_ok[opt]++;
	return ret;
}

static void bad_get(struct fz *f, struct fz_sock *s, int opt, unsigned char *guard,
		    unsigned char *ro)
{
	const size_t size = opt == O_AUTHOPT ? AUTHOPT_SIZE : REPAIR_SIZE;
	const unsigned int no = opt == O_KEY ? M_NOGET : 0;
	unsigned char buf[MAX_LEN], ref[MAX_LEN];
	socklen_t *lenp, len;
	int ret;

	memset(ref, 0, sizeof(ref));
	if (opt != O_KEY && fz_get(f, s, opt, MAX_LEN, NULL, 0, ref))
		fz_fail(f, s, NULL, 0, "get %s: socket not ready", opt_str[opt]);
	get_raw(f, s, opt, buf, NULL, M(A_EFAULT) | no, "optlen NULL");
	get_raw(f, s, opt, buf, (socklen_t *)guard, M(A_EFAULT) | no, "optlen unmapped");
	lenp = (socklen_t *)(guard - 2);
	get_raw(f, s, opt, buf, lenp, M(A_EFAULT) | no, "optlen across the guard page");
	lenp = (socklen_t *)(ro + RO_OFF(O_AUTHOPT));
	get_raw(f, s, opt, buf, lenp, M(A_EFAULT) | no, "optlen read-only");
	len = -1;
	get_raw(f, s, opt, buf, &len, M(A_EINVAL) | no, "optlen -1");
	len = INT_MIN;
	get_raw(f, s, opt, buf, &len, M(A_EINVAL) | no, "optlen INT_MIN");
	len = size;
	get_raw(f, s, opt, NULL, &len, M(A_EFAULT) | no, "optval NULL");
	len = 0;
	ret = get_raw(f, s, opt, NULL, &len, M(A_OK) | M(A_EFAULT) | no, "optval NULL, optlen 0");
	if (!ret && len)
		fz_fail(f, s, NULL, 0, "get %s optval NULL: optlen %u", opt_str[opt], len);
	len = 1;
	get_raw(f, s, opt, guard, &len, M(A_EFAULT) | no, "optval unmapped");
	len = size;
	get_raw(f, s, opt, guard - size + 1, &len, M(A_EFAULT) | no,
		"optval ending in the guard page");
	/* Room for the struct only, optlen larger: nothing is written past it. */
	if (opt != O_KEY)
		memset(guard - size, GUARD_BYTE, size);
	len = MAX_LEN;
	ret = get_raw(f, s, opt, guard - size, &len, M(A_OK) | no,
		      "optval with room for the struct only");
	if (!ret && (len != size || memcmp(guard - size, ref, size)))
		fz_fail(f, s, guard - size, size, "get %s at the guard page: optlen %u",
			opt_str[opt], len);
	/* Still readable as before. */
	if (opt != O_KEY && !fz_get(f, s, opt, MAX_LEN, NULL, 0, buf) &&
	    memcmp(buf, ref, size))
		fz_fail(f, s, buf, size, "get %s changed after the bad calls", opt_str[opt]);
}

/*
 * NULL, unmapped and read-only pointers, buffers ending at an unmapped
 * page (so that reading past optlen faults), negative optlen.
 */
TEST_F_TIMEOUT(fields, bad_pointers, 60)
{
	static const socklen_t lens[] = {
		0, 1, 3, 4, 5, 8, 9, 23, 24, 25, 215, 216, 217, 220, 224, 256, 260, 264, 265,
		MAX_LEN
	};
	unsigned char tmp[MAX_LEN], *guard, *ro, *p;
	struct fz *f = &self->f;
	unsigned int i, allowed;
	struct fz_sock *s;
	int fam, opt;

	fields_open(_metadata, self, (1u << FS_NEW) | (1u << FS_REPAIR));
	fz_start(f, _metadata, "bad_pointers");
	guard = guard_page();
	ASSERT_NE(NULL, guard);
	ro = ro_page(f);
	ASSERT_NE(NULL, ro);

	for (fam = 0; fam < 2; fam++) {
		for (opt = 0; opt < O_COUNT; opt++) {
			s = &self->s[fam][opt == O_REPAIR ? FS_REPAIR : FS_NEW];
			f->phase = opt_str[opt];
			for (i = 0; i < ARRAY_SIZE(lens); i++) {
				socklen_t len = lens[i];

				f->iter = len;
				valid_struct(f, opt, tmp);
				/* At the end of the mapping: nothing past optlen is read. */
				p = guard - len;
				memcpy(p, tmp, len);
				fz_set_model(f, s, opt, p, len);
				/* The last byte unmapped, all of it, NULL. */
				allowed = M(A_EFAULT) | (len_ok(opt, NULL, len) ? 0 : M(A_EINVAL));
				if (len) {
					p = guard - len + 1;
					memcpy(p, tmp, len - 1);
					set_bad(f, s, opt, p, len, allowed);
				}
				set_bad(f, s, opt, guard, len, allowed);
				set_bad(f, s, opt, NULL, len, allowed);
				/* Read-only memory is fine to read from. */
				fz_set_model(f, s, opt, ro + RO_OFF(opt), len);
			}
		}
		for (opt = 0; opt < O_COUNT; opt++) {
			s = &self->s[fam][opt == O_REPAIR ? FS_REPAIR : FS_NEW];
			f->phase = opt_str[opt];
			bad_get(f, s, opt, guard, ro);
		}
	}
	f->phase = "finish";
	fields_finish(_metadata, self);
	fz_report(f);
}

/* ------------------------------------------------------------------------ */
/* Without CAP_NET_ADMIN                                                    */
/* ------------------------------------------------------------------------ */

static int drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	const __u32 bit = CAP_TO_MASK(CAP_NET_ADMIN);
	const int i = CAP_TO_INDEX(CAP_NET_ADMIN);

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[i].effective &= ~bit;
	data[i].permitted &= ~bit;
	data[i].inheritable &= ~bit;
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/*
 * Keys are namespace-wide: without CAP_NET_ADMIN no TCP_AUTHOPT_KEY call
 * may succeed, whatever its buffer.
 */
TEST_F_TIMEOUT(fields, no_net_admin, 120)
{
	const int fills[] = { F_RANDOM, F_NEAR };
	unsigned char buf[MAX_LEN];
	struct fz *f = &self->f;
	struct fz_sock *s;
	int fam, k, i;
	socklen_t len;

	fields_open(_metadata, self, (1u << FS_NEW) | (1u << FS_ESTABLISHED) | (1u << FS_REPAIR));
	ASSERT_EQ(0, drop_net_admin());
	f->nocap = true;
	fz_start(f, _metadata, "no_net_admin");
	for (fam = 0; fam < 2; fam++) {
		for (k = 0; k < FS_COUNT; k++) {
			s = &self->s[fam][k];
			if (s->fd < 0)
				continue;
			for (i = 0; i < (int)ARRAY_SIZE(fills); i++) {
				f->phase = fill_str[fills[i]];
				for (len = 0; len <= MAX_LEN; len++) {
					f->iter = len;
					fill(f, O_KEY, fills[i], buf, len);
					fz_set_model(f, s, O_KEY, buf, len);
				}
			}
		}
		/* The per-socket options, with and without repair mode. */
		s = &self->s[fam][FS_NEW];
		f->phase = "TCP_AUTHOPT";
		for (len = 0; len <= MAX_LEN; len++) {
			f->iter = len;
			fill(f, O_AUTHOPT, F_NEAR, buf, len);
			fz_set_model(f, s, O_AUTHOPT, buf, len);
		}
		get_lengths(f, s, O_AUTHOPT);
		s = &self->s[fam][FS_REPAIR];
		f->phase = "TCP_REPAIR_AUTHOPT";
		for (len = 0; len <= MAX_LEN; len++) {
			f->iter = len;
			fill(f, O_REPAIR, F_NEAR, buf, len);
			fz_set_model(f, s, O_REPAIR, buf, len);
		}
		get_lengths(f, s, O_REPAIR);
	}
	f->phase = "finish";
	fields_finish(_metadata, self);
	fz_report(f);
}

TEST_HARNESS_MAIN
