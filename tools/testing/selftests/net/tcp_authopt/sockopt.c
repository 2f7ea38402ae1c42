// SPDX-License-Identifier: GPL-2.0
/*
 * Socket option ABI of the TCP Authentication Option (RFC 5925).
 *
 * Checks each statement of the user ABI that existing BGP/LDP daemons were
 * built for: TCP_AUTHOPT, TCP_AUTHOPT_KEY, TCP_REPAIR_AUTHOPT, the host-wide
 * switch net.ipv4.tcp_authopt, the per-namespace
 * net.ipv4.tcp_authopt_all_sockets, /proc/net/tcp_authopt and TcpExt
 * TCPAuthOptFailure.
 *
 * Keys are global to a network namespace, so every authopt test runs in a
 * namespace of its own: tests cannot see each other's keys and no key is left
 * behind on the host. The link tests join two namespaces with a veth pair
 * (netns_lib.h) to see what a short TCP_AUTHOPT buffer puts on the wire.
 *
 * net.ipv4.tcp_authopt lives in the initial namespace and cannot be turned
 * off: every test turns it on itself, so the order of the tests does not
 * matter, except for sysctl.fresh_boot, which checks the state before anyone
 * turned it on. That test runs only with TCP_AUTHOPT_FRESH_BOOT=1 in the
 * environment, for a kernel booted for this program alone (it is the first
 * test the harness runs), and is skipped otherwise.
 *
 * The tests fail, not skip, on a kernel without the feature: enabling it is
 * asserted. Needs root, ip(8) and CONFIG_VETH.
 */
#define _GNU_SOURCE
#include <net/if.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <linux/capability.h>

#include "netns_lib.h"

#define ALL_SOCKETS_PATH	"/proc/sys/net/ipv4/tcp_authopt_all_sockets"
#define PROC_PATH		"/proc/net/tcp_authopt"
#define FRESH_BOOT_ENV		"TCP_AUTHOPT_FRESH_BOOT"

/* Distinctive master key, searched for in everything the kernel shows. */
#define SECRET_KEY	"SECRETKEYMATERIAL"
#define DEFAULT_KEY	"tcp-ao selftest key"

#define MAX_PROC_KEYS	64
#define KEY_SIZE	sizeof(struct tcp_authopt_key)

/* Optional socket option buffers are accepted in these ABI revisions. */
#define KEY_LEN_TO_IFINDEX	offsetof(struct tcp_authopt_key, ifindex)
#define KEY_LEN_TO_PREFIXLEN	offsetof(struct tcp_authopt_key, prefixlen)
#define KEY_LEN_TO_LIFETIMES	offsetof(struct tcp_authopt_key, send_lifetime_begin)
#define KEY_LEN_TO_PORTS	offsetof(struct tcp_authopt_key, local_port_min)
/* abi.md's whole struct ends with the lifetimes; ours adds the port ranges. */
#define KEY_LEN_ABI		KEY_LEN_TO_PORTS

#define PORT		179

static int lo_up(void)
{
	struct ifreq ifr;
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ret = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		ret = -errno;
out:
	close(fd);
	return ret;
}

/*
 * Move the calling process into a fresh network namespace. The harness runs
 * every test in a child of its own, so the host namespace is never touched.
 */
static int netns_enter(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	return lo_up();
}

/* Create a namespace, its fd in *@fd, and stay in the current one. */
static int netns_new(int *fd)
{
	int cur, ret;

	cur = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	ret = netns_enter();
	if (!ret) {
		*fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (*fd < 0)
			ret = -errno;
	}
	if (setns(cur, CLONE_NEWNET) && !ret)
		ret = -errno;
	close(cur);
	return ret;
}

/* Enter the initial namespace, where the host-wide switch lives. */
static int init_netns_enter(void)
{
	int fd, ret;

	fd = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = ns_enter(fd);
	close(fd);
	return ret;
}

static int read_text(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t ret;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ret = read(fd, buf + len, size - 1 - len);
		if (ret < 0) {
			ret = -errno;
			close(fd);
			return ret;
		}
		if (ret == 0)
			break;
		len += ret;
	}
	buf[len] = '\0';
	close(fd);
	return len;
}

/* Integer sysctl @path of the current namespace. */
static int sysctl_get(const char *path, int *val)
{
	char buf[32], *end;
	int ret;

	ret = read_text(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	*val = strtol(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0'))
		return -EBADMSG;
	return 0;
}

static int sock_tcp(int family)
{
	return socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
}

static int set_authopt_len(int fd, const void *opt, socklen_t len)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT, opt, len))
		return -errno;
	return 0;
}

static int set_authopt(int fd, const struct tcp_authopt *opt)
{
	return set_authopt_len(fd, opt, sizeof(*opt));
}

static int get_authopt(int fd, void *buf, socklen_t *len)
{
	if (getsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT, buf, len))
		return -errno;
	return 0;
}

static int set_key_len(int fd, const void *key, socklen_t len)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT_KEY, key, len))
		return -errno;
	return 0;
}

static int set_key(int fd, const struct tcp_authopt_key *key)
{
	return set_key_len(fd, key, sizeof(*key));
}

static int del_key(int fd, const struct tcp_authopt_key *key)
{
	struct tcp_authopt_key del = *key;

	del.flags |= TCP_AUTHOPT_KEY_DEL;
	return set_key(fd, &del);
}

static int set_repair_len(int fd, const void *buf, socklen_t len)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, buf, len))
		return -errno;
	return 0;
}

static int get_repair(int fd, void *buf, socklen_t *len)
{
	if (getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, buf, len))
		return -errno;
	return 0;
}

static void key_init(struct tcp_authopt_key *key, int send_id, int recv_id)
{
	memset(key, 0, sizeof(*key));
	key->send_id = send_id;
	key->recv_id = recv_id;
	key->alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96;
	key->keylen = strlen(DEFAULT_KEY);
	memcpy(key->key, DEFAULT_KEY, key->keylen);
}

static void key_set_secret(struct tcp_authopt_key *key, const char *secret)
{
	memset(key->key, 0, sizeof(key->key));
	key->keylen = strlen(secret);
	memcpy(key->key, secret, key->keylen);
}

/* Fill @addr from a numeric IPv4 or IPv6 string (the tests' own constants). */
static void addr_fill(struct __kernel_sockaddr_storage *addr, const char *str)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;

	memset(addr, 0, sizeof(*addr));
	if (strchr(str, ':')) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, str, &sin6.sin6_addr) != 1)
			abort();
		memcpy(addr, &sin6, sizeof(sin6));
	} else {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		if (inet_pton(AF_INET, str, &sin.sin_addr) != 1)
			abort();
		memcpy(addr, &sin, sizeof(sin));
	}
}

static void key_bind(struct tcp_authopt_key *key, const char *str)
{
	key->flags |= TCP_AUTHOPT_KEY_ADDR_BIND;
	addr_fill(&key->addr, str);
}

static void key_prefix(struct tcp_authopt_key *key, const char *str, int prefixlen)
{
	key_bind(key, str);
	key->flags |= TCP_AUTHOPT_KEY_PREFIXLEN;
	key->prefixlen = prefixlen;
}

/*
 * One line of /proc/net/tcp_authopt. The expected format is a header line,
 * then per key, tab separated: flags (hex, "0x%x"), send_id, recv_id, alg
 * (decimal), addr ("*" when unbound, "addr/prefixlen" with PREFIXLEN) and
 * l3index (decimal). Everything that depends on the format is in
 * proc_parse_line() so it can be adjusted in one place.
 */
struct proc_key {
	unsigned int flags;
	unsigned int send_id;
	unsigned int recv_id;
	unsigned int alg;
	int family;		/* AF_UNSPEC for "*" */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	int prefixlen;		/* -1 when the line has no "/prefixlen" */
	int l3index;
};

/* Whole text of the last read, for the key material checks. */
static char proc_text[65536];

static bool parse_ulong(const char *s, int base, unsigned long max, unsigned long *val)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*val = strtoul(s, &end, base);
	return !errno && !*end && *val <= max && *s != '-';
}

static bool proc_parse_addr(char *s, struct proc_key *key)
{
	unsigned long prefixlen;
	char *slash;

	key->prefixlen = -1;
	if (!strcmp(s, "*")) {
		key->family = AF_UNSPEC;
		return true;
	}
	slash = strchr(s, '/');
	if (slash) {
		*slash = '\0';
		if (!parse_ulong(slash + 1, 10, 128, &prefixlen))
			return false;
		key->prefixlen = prefixlen;
	}
	key->family = strchr(s, ':') ? AF_INET6 : AF_INET;
	return inet_pton(key->family, s, &key->addr) == 1;
}

static bool proc_parse_line(char *line, struct proc_key *key)
{
	unsigned long val[5];
	char *field[6], *p = line;
	int i;

	/* Exactly the six documented fields. */
	for (i = 0; i < 6; i++) {
		field[i] = strsep(&p, "\t");
		if (!field[i])
			return false;
	}
	if (p)
		return false;
	if (!parse_ulong(field[0], 16, 0xffffffffUL, &val[0]) ||
	    !parse_ulong(field[1], 10, 255, &val[1]) ||
	    !parse_ulong(field[2], 10, 255, &val[2]) ||
	    !parse_ulong(field[3], 10, 255, &val[3]) ||
	    !parse_ulong(field[5], 10, 0x7fffffffUL, &val[4]))
		return false;
	key->flags = val[0];
	key->send_id = val[1];
	key->recv_id = val[2];
	key->alg = val[3];
	key->l3index = val[4];
	return proc_parse_addr(field[4], key);
}

/*
 * Read and parse /proc/net/tcp_authopt of the caller's namespace.
 * Returns the number of keys, or a negative errno (-EBADMSG when the
 * contents do not follow the documented format).
 */
static int proc_keys_read(struct proc_key *keys, int max)
{
	char copy[512], *line, *next;
	int ret, n = 0;

	ret = read_text(PROC_PATH, proc_text, sizeof(proc_text));
	if (ret < 0)
		return ret;
	line = strchr(proc_text, '\n');
	if (!line) {
		fprintf(stderr, "# %s: no header line\n", PROC_PATH);
		return -EBADMSG;
	}
	for (line++; *line; line = next) {
		size_t len;

		next = strchr(line, '\n');
		if (!next) {
			fprintf(stderr, "# %s: unterminated line\n", PROC_PATH);
			return -EBADMSG;
		}
		len = next - line;
		next++;
		if (!len)
			continue;
		if (len >= sizeof(copy) || n >= max)
			return -E2BIG;
		memcpy(copy, line, len);
		copy[len] = '\0';
		if (!proc_parse_line(copy, &keys[n])) {
			fprintf(stderr, "# %s: bad line: %.*s\n", PROC_PATH, (int)len, line);
			return -EBADMSG;
		}
		n++;
	}
	return n;
}

static int proc_count(struct __test_metadata *_metadata)
{
	struct proc_key keys[MAX_PROC_KEYS];
	int n;

	n = proc_keys_read(keys, MAX_PROC_KEYS);
	ASSERT_LE(0, n) TH_LOG("reading %s: %s", PROC_PATH, strerror(-n));
	return n;
}

static const struct proc_key *proc_find(const struct proc_key *keys, int n,
					unsigned int send_id, unsigned int recv_id)
{
	int i;

	for (i = 0; i < n; i++)
		if (keys[i].send_id == send_id && keys[i].recv_id == recv_id)
			return &keys[i];
	return NULL;
}

/*
 * Assert that exactly one listed key has these ids and that its columns
 * match. @addr is NULL for an unbound key; @prefixlen is -1 for a key
 * without PREFIXLEN, whose line has no "/prefixlen".
 */
static void expect_proc_key(struct __test_metadata *_metadata,
			    unsigned int send_id, unsigned int recv_id, unsigned int flags,
			    unsigned int alg, const char *addr, int prefixlen,
			    int l3index)
{
	struct proc_key keys[MAX_PROC_KEYS];
	const struct proc_key *key;
	struct __kernel_sockaddr_storage ss;
	int n, i, matches = 0;

	n = proc_keys_read(keys, MAX_PROC_KEYS);
	ASSERT_LE(0, n) TH_LOG("reading %s: %s", PROC_PATH, strerror(-n));
	for (i = 0; i < n; i++)
		if (keys[i].send_id == send_id && keys[i].recv_id == recv_id)
			matches++;
	ASSERT_EQ(1, matches) TH_LOG("key %u/%u listed %d times", send_id, recv_id, matches);
	key = proc_find(keys, n, send_id, recv_id);
	EXPECT_EQ(flags, key->flags);
	EXPECT_EQ(alg, key->alg);
	EXPECT_EQ(l3index, key->l3index);
	/* "/prefixlen" when PREFIXLEN is set, and only then. */
	EXPECT_EQ(prefixlen, key->prefixlen) TH_LOG("key %u/%u", send_id, recv_id);
	if (!addr) {
		EXPECT_EQ(AF_UNSPEC, key->family);
		return;
	}
	addr_fill(&ss, addr);
	ASSERT_EQ(ss.ss_family, key->family);
	if (key->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		EXPECT_EQ(0, memcmp(&sin->sin_addr, &key->addr.v4, 4));
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		EXPECT_EQ(0, memcmp(&sin6->sin6_addr, &key->addr.v6, 16));
	}
}

/*
 * Drop CAP_NET_ADMIN from all sets with the raw syscalls (libcap is not
 * needed). The process stays uid 0, so only the capability check can deny.
 */
static int drop_cap_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	const int idx = CAP_TO_INDEX(CAP_NET_ADMIN);
	const __u32 mask = CAP_TO_MASK(CAP_NET_ADMIN);

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[idx].effective &= ~mask;
	data[idx].permitted &= ~mask;
	data[idx].inheritable &= ~mask;
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	return (data[idx].effective & mask) ? -EPERM : 0;
}

/*
 * Run @fn in a forked child inside a new network namespace. Children use
 * plain return codes rather than the harness assertions (which would unwind
 * into the harness from the wrong process); 0 means success.
 */
static pid_t fork_in_new_netns(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid)
		return pid;
	if (netns_enter())
		_exit(100);
	_exit(fn(arg));
}

/* Has child @pid exited? It stays there for wait_child(). */
static bool child_exited(pid_t pid)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	if (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT))
		return true;
	return info.si_pid == pid;
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* ------------------------------------------------------------------------ */
/* net.ipv4.tcp_authopt: one switch for the whole host                      */
/* ------------------------------------------------------------------------ */

/*
 * TCP-AO is off: on new IPv4 and IPv6 sockets of the current namespace, the
 * three options fail with EPERM, set and get, with arguments that would
 * otherwise be valid (so EPERM cannot be an EINVAL or ENOENT in disguise).
 */
static void expect_options_eperm(struct __test_metadata *_metadata, const char *where)
{
	const int family[] = { AF_INET, AF_INET6 };
	struct tcp_repair_authopt rep;
	struct tcp_authopt_key key;
	struct tcp_authopt opt;
	unsigned int i;
	socklen_t len;
	int fd;

	key_init(&key, 1, 1);
	for (i = 0; i < ARRAY_SIZE(family); i++) {
		fd = sock_tcp(family[i]);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-EPERM, set_key(fd, &key)) TH_LOG("%s: set TCP_AUTHOPT_KEY", where);
		memset(&opt, 0, sizeof(opt));
		EXPECT_EQ(-EPERM, set_authopt(fd, &opt)) TH_LOG("%s: set TCP_AUTHOPT", where);
		len = sizeof(opt);
		EXPECT_EQ(-EPERM, get_authopt(fd, &opt, &len)) TH_LOG("%s: get TCP_AUTHOPT", where);
		/* In repair mode, where TCP_REPAIR_AUTHOPT is otherwise allowed. */
		ASSERT_EQ(0, repair_mode(fd, 1)) TH_LOG("%s: TCP_REPAIR", where);
		memset(&rep, 0, sizeof(rep));
		EXPECT_EQ(-EPERM, set_repair_len(fd, &rep, sizeof(rep)))
			TH_LOG("%s: set TCP_REPAIR_AUTHOPT", where);
		len = sizeof(rep);
		EXPECT_EQ(-EPERM, get_repair(fd, &rep, &len))
			TH_LOG("%s: get TCP_REPAIR_AUTHOPT", where);
		close(fd);
	}
}

/*
 * TCP-AO is on in the current namespace: TCP_AUTHOPT can be set and read
 * back and, with @keys, a key added, listed and deleted.
 */
static void expect_options_work(struct __test_metadata *_metadata, const char *where, bool keys)
{
	struct tcp_authopt_key key;
	struct tcp_authopt opt;
	socklen_t len;
	int fd;

	fd = sock_tcp(AF_INET6);
	ASSERT_LE(0, fd);
	memset(&opt, 0, sizeof(opt));
	EXPECT_EQ(0, set_authopt(fd, &opt)) TH_LOG("%s: set TCP_AUTHOPT", where);
	len = sizeof(opt);
	EXPECT_EQ(0, get_authopt(fd, &opt, &len)) TH_LOG("%s: get TCP_AUTHOPT", where);
	if (keys) {
		key_init(&key, 1, 1);
		EXPECT_EQ(0, set_key(fd, &key)) TH_LOG("%s: add a key", where);
		EXPECT_EQ(1, proc_count(_metadata)) TH_LOG("%s: keys listed", where);
		EXPECT_EQ(0, del_key(fd, &key)) TH_LOG("%s: delete the key", where);
	}
	close(fd);
}

/*
 * Namespace @ns does not show the host-wide switch, but does show
 * net.ipv4.tcp_authopt_all_sockets, which stays per namespace.
 */
static void expect_no_switch_in(struct __test_metadata *_metadata, int ns, const char *where)
{
	ASSERT_EQ(0, ns_enter(ns));
	EXPECT_NE(0, access(SYSCTL_PATH, F_OK)) TH_LOG("%s shows %s", where, SYSCTL_PATH);
	EXPECT_EQ(0, access(ALL_SOCKETS_PATH, F_OK))
		TH_LOG("%s: %s: %m", where, ALL_SOCKETS_PATH);
}

/* These tests act on the initial namespace, where the switch lives. */
FIXTURE(sysctl) {
	int unused;
};

FIXTURE_SETUP(sysctl)
{
	ASSERT_EQ(0, init_netns_enter()) TH_LOG("initial namespace: %m (run as root)");
	ASSERT_EQ(0, access(SYSCTL_PATH, F_OK))
		TH_LOG("%s: %m: kernel without TCP_AUTHOPT?", SYSCTL_PATH);
}

FIXTURE_TEARDOWN(sysctl)
{
}

/*
 * The first test of the program: on a kernel where nothing has enabled
 * TCP-AO yet, the switch is 0 and the options fail with EPERM in every
 * namespace; one write of 1 in the initial namespace enables them in the
 * namespaces created before and after it, and it cannot be undone.
 */
TEST_F(sysctl, fresh_boot)
{
	const char *fresh = getenv(FRESH_BOOT_ENV);
	int before, after, val = -1;

	if (!fresh || strcmp(fresh, "1"))
		SKIP(return, "needs a fresh boot: run with %s=1 in a VM of its own",
		     FRESH_BOOT_ENV);
	ASSERT_EQ(0, sysctl_get(SYSCTL_PATH, &val));
	ASSERT_EQ(0, val)
		TH_LOG("%s=1, yet net.ipv4.tcp_authopt is %d: not a fresh boot",
		       FRESH_BOOT_ENV, val);

	ASSERT_EQ(0, netns_new(&before));
	expect_no_switch_in(_metadata, before, "a child namespace");
	expect_options_eperm(_metadata, "child namespace, switch 0");
	ASSERT_EQ(0, init_netns_enter());
	expect_options_eperm(_metadata, "initial namespace, switch 0");

	ASSERT_EQ(0, sysctl_write(SYSCTL_PATH, "1"));
	ASSERT_EQ(0, sysctl_get(SYSCTL_PATH, &val));
	EXPECT_EQ(1, val);
	expect_options_work(_metadata, "initial namespace", false);
	ASSERT_EQ(0, netns_new(&after));
	ASSERT_EQ(0, ns_enter(before));
	expect_options_work(_metadata, "namespace created before enabling", true);
	ASSERT_EQ(0, ns_enter(after));
	expect_options_work(_metadata, "namespace created after enabling", true);
	expect_no_switch_in(_metadata, after, "a child namespace, switch 1");

	ASSERT_EQ(0, init_netns_enter());
	EXPECT_EQ(-EPERM, sysctl_write(SYSCTL_PATH, "0"));
	ASSERT_EQ(0, sysctl_get(SYSCTL_PATH, &val));
	EXPECT_EQ(1, val);
	close(before);
	close(after);
}

/* One switch for the host: in the initial namespace only. */
TEST_F(sysctl, initial_netns_only)
{
	int ns, val = -1;

	ASSERT_EQ(0, sysctl_get(SYSCTL_PATH, &val));
	EXPECT_TRUE(val == 0 || val == 1) TH_LOG("value %d", val);
	ASSERT_EQ(0, netns_new(&ns));
	expect_no_switch_in(_metadata, ns, "a child namespace");
	close(ns);
}

/* Enabling is one-way: the stack cannot drop state that sockets rely on. */
TEST_F(sysctl, no_disable)
{
	int val = -1;

	ASSERT_EQ(0, sysctl_write(SYSCTL_PATH, "1"));
	ASSERT_EQ(0, sysctl_get(SYSCTL_PATH, &val));
	ASSERT_EQ(1, val);
	EXPECT_EQ(-EPERM, sysctl_write(SYSCTL_PATH, "0"));
	ASSERT_EQ(0, sysctl_get(SYSCTL_PATH, &val));
	EXPECT_EQ(1, val);
	/* Writing 1 again is not a change and must not fail. */
	EXPECT_EQ(0, sysctl_write(SYSCTL_PATH, "1"));
}

/*
 * Enabled in the initial namespace, TCP-AO is enabled in the namespaces that
 * existed then and in those created later, nested ones included.
 */
TEST_F(sysctl, enabled_in_every_netns)
{
	int before, after, nested;

	ASSERT_EQ(0, netns_new(&before));
	ASSERT_EQ(0, sysctl_write(SYSCTL_PATH, "1"));
	ASSERT_EQ(0, netns_new(&after));

	ASSERT_EQ(0, ns_enter(before));
	expect_options_work(_metadata, "namespace created before", true);
	ASSERT_EQ(0, ns_enter(after));
	expect_options_work(_metadata, "namespace created after", true);
	ASSERT_EQ(0, netns_new(&nested));
	ASSERT_EQ(0, ns_enter(nested));
	expect_options_work(_metadata, "namespace created from a child namespace", true);
	close(nested);
	close(after);
	close(before);
}

/* net.ipv4.tcp_authopt_all_sockets stays a setting of each namespace. */
TEST_F(sysctl, all_sockets_per_netns)
{
	int ns1, ns2, val = -1;

	ASSERT_EQ(0, sysctl_write(SYSCTL_PATH, "1"));
	ASSERT_EQ(0, netns_new(&ns1));
	ASSERT_EQ(0, netns_new(&ns2));

	ASSERT_EQ(0, ns_enter(ns1));
	/* Kernels with a per-namespace switch need it here too. */
	ASSERT_EQ(0, sysctl_enable());
	ASSERT_EQ(0, sysctl_get(ALL_SOCKETS_PATH, &val));
	EXPECT_EQ(0, val) TH_LOG("off by default");
	ASSERT_EQ(0, sysctl_write(ALL_SOCKETS_PATH, "1"));
	ASSERT_EQ(0, sysctl_get(ALL_SOCKETS_PATH, &val));
	EXPECT_EQ(1, val);

	ASSERT_EQ(0, ns_enter(ns2));
	ASSERT_EQ(0, sysctl_get(ALL_SOCKETS_PATH, &val));
	EXPECT_EQ(0, val) TH_LOG("set in another namespace");
	ASSERT_EQ(0, ns_enter(ns1));
	ASSERT_EQ(0, sysctl_get(ALL_SOCKETS_PATH, &val));
	EXPECT_EQ(1, val);
	close(ns2);
	close(ns1);
}

FIXTURE(authopt) {
	int fd4;
	int fd6;
};

FIXTURE_SETUP(authopt)
{
	int ret;

	self->fd4 = -1;
	self->fd6 = -1;
	ASSERT_EQ(0, netns_enter()) TH_LOG("unshare(CLONE_NEWNET): %m (run as root)");
	ret = sysctl_enable();
	ASSERT_EQ(0, ret) TH_LOG("enabling net.ipv4.tcp_authopt: %s: kernel without TCP_AUTHOPT?",
				 strerror(-ret));
	/* Untouched: the tests decide which options these sockets use. */
	self->fd4 = sock_tcp(AF_INET);
	ASSERT_LE(0, self->fd4);
	self->fd6 = sock_tcp(AF_INET6);
	ASSERT_LE(0, self->fd6);
}

FIXTURE_TEARDOWN(authopt)
{
	if (self->fd4 >= 0)
		close(self->fd4);
	if (self->fd6 >= 0)
		close(self->fd6);
}

/* The flags that were set read back, without ACTIVE on an unconnected socket. */
TEST_F(authopt, authopt_set_get)
{
	const __u32 flags = TCP_AUTHOPT_FLAG_LOCK_KEYID |
			    TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID |
			    TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED;
	struct tcp_authopt_key key;
	struct tcp_authopt opt;
	int fds[] = { self->fd4, self->fd6 };
	socklen_t len;
	unsigned int i;

	key_init(&key, 5, 6);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		memset(&opt, 0, sizeof(opt));
		opt.flags = flags;
		opt.send_keyid = 5;
		opt.send_rnextkeyid = 6;
		ASSERT_EQ(0, set_authopt(fds[i], &opt));

		memset(&opt, 0xaa, sizeof(opt));
		len = sizeof(opt);
		ASSERT_EQ(0, get_authopt(fds[i], &opt, &len));
		ASSERT_EQ(sizeof(opt), len);
		EXPECT_EQ(flags, opt.flags);
		/* Before connect these are "none yet" or the locked values. */
		EXPECT_TRUE(opt.send_keyid == 0 || opt.send_keyid == 5);
		EXPECT_TRUE(opt.send_rnextkeyid == 0 || opt.send_rnextkeyid == 6);
		/* Nothing was received: no garbage may show here. */
		EXPECT_EQ(0, opt.recv_keyid);
		EXPECT_EQ(0, opt.recv_rnextkeyid);

		/* Flags can be cleared again. */
		memset(&opt, 0, sizeof(opt));
		ASSERT_EQ(0, set_authopt(fds[i], &opt));
		memset(&opt, 0xaa, sizeof(opt));
		len = sizeof(opt);
		ASSERT_EQ(0, get_authopt(fds[i], &opt, &len));
		EXPECT_EQ(0U, opt.flags);
	}
}

/* Unknown bits are refused so that they can be given a meaning later. */
TEST_F(authopt, authopt_unknown_flags)
{
	const __u32 bad[] = { 1U << 4, 1U << 7, 1U << 31,
			      TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED | (1U << 4) };
	struct tcp_authopt opt;
	socklen_t len;
	unsigned int i;

	memset(&opt, 0, sizeof(opt));
	opt.flags = TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED;
	ASSERT_EQ(0, set_authopt(self->fd4, &opt));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		opt.flags = bad[i];
		EXPECT_EQ(-EINVAL, set_authopt(self->fd4, &opt))
			TH_LOG("flags 0x%x", bad[i]);
	}
	/* A refused set must leave the previous state alone. */
	len = sizeof(opt);
	ASSERT_EQ(0, get_authopt(self->fd4, &opt, &len));
	EXPECT_EQ((__u32)TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED, opt.flags);
}

/*
 * ACTIVE is read-only: setting it is ignored, so a daemon may write back
 * what getsockopt returned; it never appears on an unconnected socket.
 */
TEST_F(authopt, authopt_set_active_ignored)
{
	struct tcp_authopt opt;
	socklen_t len;

	memset(&opt, 0, sizeof(opt));
	opt.flags = TCP_AUTHOPT_FLAG_ACTIVE | TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED;
	ASSERT_EQ(0, set_authopt(self->fd4, &opt));
	opt.flags = TCP_AUTHOPT_FLAG_ACTIVE;
	ASSERT_EQ(0, set_authopt(self->fd6, &opt));

	memset(&opt, 0xaa, sizeof(opt));
	len = sizeof(opt);
	ASSERT_EQ(0, get_authopt(self->fd4, &opt, &len));
	EXPECT_EQ((__u32)TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED, opt.flags);
	memset(&opt, 0xaa, sizeof(opt));
	len = sizeof(opt);
	ASSERT_EQ(0, get_authopt(self->fd6, &opt, &len));
	EXPECT_EQ(0U, opt.flags);
}

/* A 4-byte buffer (flags only) is an old, shorter struct: zero padded. */
TEST_F(authopt, authopt_short_optlen)
{
	struct tcp_authopt opt;
	__u32 flags = TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED;
	socklen_t len;

	ASSERT_EQ(0, set_authopt_len(self->fd4, &flags, sizeof(flags)));
	memset(&opt, 0xaa, sizeof(opt));
	len = sizeof(opt);
	ASSERT_EQ(0, get_authopt(self->fd4, &opt, &len));
	ASSERT_EQ(sizeof(opt), len);
	EXPECT_EQ((__u32)TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED, opt.flags);
	EXPECT_EQ(0, opt.recv_keyid);
	EXPECT_EQ(0, opt.recv_rnextkeyid);
}

/* Longer buffers are fine only when the part the kernel does not know is 0. */
TEST_F(authopt, authopt_long_optlen)
{
	unsigned char buf[sizeof(struct tcp_authopt) + 8];
	struct tcp_authopt opt;
	socklen_t len;

	memset(buf, 0, sizeof(buf));
	memset(&opt, 0, sizeof(opt));
	opt.flags = TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED;
	memcpy(buf, &opt, sizeof(opt));
	EXPECT_EQ(0, set_authopt_len(self->fd4, buf, sizeof(buf)));

	opt.flags = 0;
	memcpy(buf, &opt, sizeof(opt));
	buf[sizeof(opt)] = 1;
	EXPECT_EQ(-EINVAL, set_authopt_len(self->fd4, buf, sizeof(buf)));
	buf[sizeof(opt)] = 0;
	buf[sizeof(buf) - 1] = 0x80;
	EXPECT_EQ(-EINVAL, set_authopt_len(self->fd4, buf, sizeof(buf)));

	len = sizeof(opt);
	ASSERT_EQ(0, get_authopt(self->fd4, &opt, &len));
	EXPECT_EQ((__u32)TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED, opt.flags);
}

static bool all_bytes(const unsigned char *p, size_t len, unsigned char val)
{
	while (len--)
		if (*p++ != val)
			return false;
	return true;
}

/* A larger buffer gets exactly the struct; nothing is written beyond it. */
TEST_F(authopt, authopt_get_optlen_large)
{
	unsigned char buf[64];
	struct tcp_authopt opt;
	socklen_t len;

	memset(&opt, 0, sizeof(opt));
	opt.flags = TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED;
	ASSERT_EQ(0, set_authopt(self->fd4, &opt));

	memset(buf, 0xaa, sizeof(buf));
	len = sizeof(buf);
	ASSERT_EQ(0, get_authopt(self->fd4, buf, &len));
	ASSERT_EQ(sizeof(struct tcp_authopt), len);
	EXPECT_TRUE(all_bytes(buf + len, sizeof(buf) - len, 0xaa));
	memcpy(&opt, buf, sizeof(opt));
	EXPECT_EQ((__u32)TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED, opt.flags);
	EXPECT_EQ(0, opt.recv_keyid);
	EXPECT_EQ(0, opt.recv_rnextkeyid);
}

/* A smaller buffer gets that many leading bytes of the struct, no more. */
TEST_F(authopt, authopt_get_optlen_small)
{
	unsigned char buf[sizeof(struct tcp_authopt) + 8];
	struct tcp_authopt opt, ref;
	socklen_t len, want;

	memset(&opt, 0, sizeof(opt));
	opt.flags = TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED | TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID;
	opt.send_rnextkeyid = 7;
	ASSERT_EQ(0, set_authopt(self->fd4, &opt));
	len = sizeof(ref);
	ASSERT_EQ(0, get_authopt(self->fd4, &ref, &len));
	ASSERT_EQ(sizeof(ref), len);

	for (want = 1; want < sizeof(struct tcp_authopt); want++) {
		memset(buf, 0xaa, sizeof(buf));
		len = want;
		ASSERT_EQ(0, get_authopt(self->fd4, buf, &len)) TH_LOG("optlen %u", want);
		EXPECT_EQ(want, len);
		EXPECT_EQ(0, memcmp(buf, &ref, want)) TH_LOG("optlen %u", want);
		EXPECT_TRUE(all_bytes(buf + want, sizeof(buf) - want, 0xaa))
			TH_LOG("optlen %u: wrote past the buffer", want);
	}
}

/*
 * TCP_AUTHOPT takes 4 to 8 bytes, the fields left out read as zero; a
 * buffer without the whole flags is refused.
 */
TEST_F(authopt, authopt_optlen_range)
{
	struct tcp_authopt opt, got;
	socklen_t len, glen;

	memset(&opt, 0, sizeof(opt));
	opt.flags = TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED;
	for (len = 0; len < sizeof(opt.flags); len++)
		EXPECT_EQ(-EINVAL, set_authopt_len(self->fd4, &opt, len)) TH_LOG("optlen %u", len);
	for (len = sizeof(opt.flags); len <= sizeof(opt); len++) {
		/* Alternate the flags, so that each set shows. */
		opt.flags = len & 1 ? TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID :
				      TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED;
		EXPECT_EQ(0, set_authopt_len(self->fd4, &opt, len)) TH_LOG("optlen %u", len);
		glen = sizeof(got);
		ASSERT_EQ(0, get_authopt(self->fd4, &got, &glen));
		EXPECT_EQ(opt.flags, got.flags) TH_LOG("optlen %u", len);
	}
}

/*
 * getsockopt(TCP_AUTHOPT) fails with ENOENT on a socket that never used
 * TCP_AUTHOPT or TCP_AUTHOPT_KEY, keys in its namespace or not; once a
 * socket used either option, it reads back.
 */
TEST_F(authopt, authopt_get_untouched_enoent)
{
	unsigned char buf[sizeof(struct tcp_authopt)];
	struct tcp_authopt_key key;
	struct tcp_authopt opt;
	socklen_t len;
	int fd;

	memset(buf, 0xaa, sizeof(buf));
	len = sizeof(buf);
	EXPECT_EQ(-ENOENT, get_authopt(self->fd4, buf, &len));
	len = sizeof(buf);
	EXPECT_EQ(-ENOENT, get_authopt(self->fd6, buf, &len));
	len = 1;
	EXPECT_EQ(-ENOENT, get_authopt(self->fd6, buf, &len)) TH_LOG("short buffer");
	EXPECT_TRUE(all_bytes(buf, sizeof(buf), 0xaa));

	/* A key of the namespace, added through another socket. */
	fd = sock_tcp(AF_INET);
	ASSERT_LE(0, fd);
	key_init(&key, 1, 1);
	ASSERT_EQ(0, set_key(fd, &key));
	len = sizeof(opt);
	EXPECT_EQ(-ENOENT, get_authopt(self->fd4, &opt, &len)) TH_LOG("with a key");

	/* The socket that added it takes part, without options set. */
	len = sizeof(opt);
	EXPECT_EQ(0, get_authopt(fd, &opt, &len));
	EXPECT_EQ(0U, opt.flags);
	/* So does one that deleted it. */
	EXPECT_EQ(0, del_key(self->fd6, &key));
	len = sizeof(opt);
	EXPECT_EQ(0, get_authopt(self->fd6, &opt, &len));
	/* And one that set TCP_AUTHOPT. */
	memset(&opt, 0, sizeof(opt));
	ASSERT_EQ(0, set_authopt(self->fd4, &opt));
	len = sizeof(opt);
	EXPECT_EQ(0, get_authopt(self->fd4, &opt, &len));
	close(fd);
}

/*
 * Upstream Linux's struct tcp_ao_add (288 bytes) on option 38: its first
 * bytes would pass for valid TCP_AUTHOPT flags, the rest is not zero. It
 * is upstream's TCP_AO_ADD_KEY here, never read as ours.
 */
struct upstream_ao_add {
	struct __kernel_sockaddr_storage addr;
	char alg_name[64];
	__s32 ifindex;
	__u32 bits;		/* set_current, set_rnext */
	__u16 reserved;
	__u8 prefix;
	__u8 sndid;
	__u8 rcvid;
	__u8 maxmac;
	__u8 keyflags;
	__u8 keylen;
	__u8 key[80];
};

static_assert(sizeof(struct upstream_ao_add) == 288, "upstream struct tcp_ao_add size");

TEST_F(authopt, authopt_upstream_ao_add)
{
	struct upstream_ao_add add;
	struct sockaddr_in sin;

	memset(&add, 0, sizeof(add));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ASSERT_EQ(1, inet_pton(AF_INET, "198.51.100.1", &sin.sin_addr));
	memcpy(&add.addr, &sin, sizeof(sin));
	strcpy(add.alg_name, "cmac(aes128)");
	add.prefix = 32;
	add.sndid = 1;
	add.rcvid = 1;
	add.maxmac = 12;
	add.keylen = 16;
	memset(add.key, 'k', add.keylen);
	/* Upstream's TCP_AO_ADD_KEY: a key of this socket, none of ours. */
	EXPECT_EQ(0, set_authopt_len(self->fd4, &add, sizeof(add)));
	EXPECT_EQ(0, proc_count(_metadata));
	/* One ABI per socket. */
	EXPECT_EQ(-EBUSY, set_authopt_len(self->fd4, &add, sizeof(struct tcp_authopt)));
}

/* Key material can never be read back: TCP_AUTHOPT_KEY is set-only. */
TEST_F(authopt, key_get_unsupported)
{
	unsigned char buf[KEY_SIZE + 16];
	struct tcp_authopt_key key;
	socklen_t len;
	int ret;

	key_init(&key, 1, 1);
	key_set_secret(&key, SECRET_KEY);
	ASSERT_EQ(0, set_key(self->fd4, &key));

	memset(buf, 0xaa, sizeof(buf));
	len = sizeof(buf);
	ret = getsockopt(self->fd4, IPPROTO_TCP, TCP_AUTHOPT_KEY, buf, &len) ? errno : 0;
	EXPECT_TRUE(ret == EOPNOTSUPP || ret == ENOPROTOOPT) TH_LOG("errno %d", ret);
	EXPECT_TRUE(all_bytes(buf, sizeof(buf), 0xaa));
}

/* The repair option is only for checkpoint/restore of a frozen socket. */
TEST_F(authopt, repair_authopt_needs_repair_mode)
{
	struct tcp_repair_authopt rep;
	socklen_t len;
	int ret;

	memset(&rep, 0, sizeof(rep));
	ret = setsockopt(self->fd4, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &rep, sizeof(rep));
	EXPECT_EQ(EPERM, ret ? errno : 0);
	len = sizeof(rep);
	ret = getsockopt(self->fd4, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &rep, &len);
	EXPECT_EQ(EPERM, ret ? errno : 0);
}

/*
 * In repair mode TCP_REPAIR_AUTHOPT takes the 24-byte state and gives it
 * back; a longer buffer only with a zero tail.
 */
TEST_F(authopt, repair_authopt_round_trip)
{
	const struct tcp_repair_authopt set[2] = {
		{ 0x11223344, 0x55667788, 1, 2, 0x99aabbcc, 0xddeeff00 },
		{ 0xfffffff0, 0x00000010, 0xffffffff, 0, 0x80000000, 0x7fffffff },
	};
	unsigned char buf[sizeof(struct tcp_repair_authopt) + 8];
	const size_t size = sizeof(struct tcp_repair_authopt);
	int fds[] = { self->fd4, self->fd6 };
	unsigned int i;
	socklen_t len;

	ASSERT_EQ(24U, size);
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		ASSERT_EQ(0, repair_mode(fds[i], 1));
		EXPECT_EQ(-EINVAL, set_repair_len(fds[i], &set[0], size - 1));
		ASSERT_EQ(0, set_repair_len(fds[i], &set[0], size));
		memset(buf, 0xaa, sizeof(buf));
		len = sizeof(buf);
		ASSERT_EQ(0, get_repair(fds[i], buf, &len));
		EXPECT_EQ(size, len);
		EXPECT_EQ(0, memcmp(buf, &set[0], size));
		EXPECT_TRUE(all_bytes(buf + size, sizeof(buf) - size, 0xaa));

		memset(buf, 0, sizeof(buf));
		memcpy(buf, &set[1], size);
		buf[size + 3] = 1;
		EXPECT_EQ(-EINVAL, set_repair_len(fds[i], buf, sizeof(buf)));
		buf[size + 3] = 0;
		EXPECT_EQ(0, set_repair_len(fds[i], buf, sizeof(buf)));
		memset(buf, 0xaa, sizeof(buf));
		len = size;
		ASSERT_EQ(0, get_repair(fds[i], buf, &len));
		EXPECT_EQ(size, len);
		EXPECT_EQ(0, memcmp(buf, &set[1], size));

		/* Out of repair mode, the option is refused again. */
		ASSERT_EQ(0, repair_mode(fds[i], 0));
		len = sizeof(buf);
		EXPECT_EQ(-EPERM, get_repair(fds[i], buf, &len));
		EXPECT_EQ(-EPERM, set_repair_len(fds[i], &set[0], size));
	}
}

/* Every documented flag, algorithm and binding is accepted. */
TEST_F(authopt, key_add_valid)
{
	struct tcp_authopt_key key;
	time_t now = time(NULL);
	int count = 0;

#define ADD_OK(fd) do {							\
		ASSERT_EQ(0, set_key(fd, &key))				\
			TH_LOG("key %u/%u flags 0x%x", key.send_id,	\
			       key.recv_id, key.flags);			\
		count++;						\
	} while (0)

	key_init(&key, 0, 0);
	ADD_OK(self->fd4);
	key_init(&key, 255, 255);
	ADD_OK(self->fd4);

	key_init(&key, 1, 1);
	key.keylen = 1;
	ADD_OK(self->fd4);
	key_init(&key, 2, 2);
	key.keylen = TCP_AUTHOPT_MAXKEYLEN;
	memset(key.key, 'k', key.keylen);
	ADD_OK(self->fd4);

	/* AES-128-CMAC with a 16-byte key and with one the KDF must fold. */
	key_init(&key, 3, 3);
	key.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96;
	key.keylen = 16;
	ADD_OK(self->fd4);
	key_init(&key, 4, 4);
	key.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96;
	key_set_secret(&key, "testvector");
	ADD_OK(self->fd4);

	key_init(&key, 5, 5);
	key.flags = TCP_AUTHOPT_KEY_EXCLUDE_OPTS | TCP_AUTHOPT_KEY_NOSEND |
		    TCP_AUTHOPT_KEY_NORECV;
	ADD_OK(self->fd4);

	key_init(&key, 6, 6);
	key.flags = TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_SEND_LIFETIME_END |
		    TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_RECV_LIFETIME_END;
	key.send_lifetime_begin = now - 3600;
	key.send_lifetime_end = now + 3600;
	key.recv_lifetime_begin = now - 3600;
	key.recv_lifetime_end = now + 7200;
	ADD_OK(self->fd4);

	key_init(&key, 7, 7);
	key.flags = TCP_AUTHOPT_KEY_LOCAL_PORT | TCP_AUTHOPT_KEY_REMOTE_PORT;
	key.local_port_min = 179;
	key.local_port_max = 179;
	key.remote_port_min = 1024;
	key.remote_port_max = 65535;
	ADD_OK(self->fd4);

	key_init(&key, 8, 8);
	key_bind(&key, "198.51.100.1");
	ADD_OK(self->fd4);
	key_init(&key, 9, 9);
	key_prefix(&key, "198.51.100.0", 24);
	ADD_OK(self->fd4);
	key_init(&key, 10, 10);
	key_prefix(&key, "203.0.113.9", 32);
	ADD_OK(self->fd4);
	key_init(&key, 11, 11);
	key_bind(&key, "2001:db8::1");
	ADD_OK(self->fd6);
	key_init(&key, 12, 12);
	key_prefix(&key, "2001:db8:1::", 48);
	ADD_OK(self->fd6);
	key_init(&key, 13, 13);
	key_prefix(&key, "2001:db8::9", 128);
	ADD_OK(self->fd6);

	/* IFINDEX with 0 means "the default VRF". */
	key_init(&key, 14, 14);
	key.flags = TCP_AUTHOPT_KEY_IFINDEX;
	key.ifindex = 0;
	ADD_OK(self->fd4);
#undef ADD_OK

	EXPECT_EQ(count, proc_count(_metadata));
	expect_proc_key(_metadata, 14, 14, TCP_AUTHOPT_KEY_IFINDEX,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, NULL, -1, 0);
	expect_proc_key(_metadata, 7, 7,
			TCP_AUTHOPT_KEY_LOCAL_PORT | TCP_AUTHOPT_KEY_REMOTE_PORT,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, NULL, -1, 0);
}

/* Unknown key flags are refused, including the first unassigned bit. */
TEST_F(authopt, key_unknown_flags)
{
	const __u32 bad[] = { 1U << 13, 1U << 20, 1U << 31 };
	struct tcp_authopt_key key;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		key_init(&key, 1, 1);
		key.flags = bad[i];
		EXPECT_EQ(-EINVAL, set_key(self->fd4, &key)) TH_LOG("flags 0x%x", bad[i]);
		key.flags = bad[i] | TCP_AUTHOPT_KEY_DEL;
		EXPECT_EQ(-EINVAL, set_key(self->fd4, &key)) TH_LOG("DEL | 0x%x", bad[i]);
	}
	EXPECT_EQ(0, proc_count(_metadata));
}

TEST_F(authopt, key_bad_alg)
{
	const int bad[] = { 0, 3, 255 };
	struct tcp_authopt_key key;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		key_init(&key, 1, 1);
		key.alg = bad[i];
		EXPECT_EQ(-EINVAL, set_key(self->fd4, &key)) TH_LOG("alg %d", bad[i]);
	}
	EXPECT_EQ(0, proc_count(_metadata));
}

TEST_F(authopt, key_bad_keylen)
{
	const int bad[] = { TCP_AUTHOPT_MAXKEYLEN + 1, 255 };
	struct tcp_authopt_key key;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		key_init(&key, 1, 1);
		key.keylen = bad[i];
		EXPECT_EQ(-EINVAL, set_key(self->fd4, &key)) TH_LOG("keylen %d", bad[i]);
	}
	EXPECT_EQ(0, proc_count(_metadata));
}

/* An empty master key is accepted, for both algorithms. */
TEST_F(authopt, key_empty_master)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	key_set_secret(&key, "");
	EXPECT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 2, 2);
	key_set_secret(&key, "");
	key.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96;
	key_bind(&key, "2001:db8::1");
	EXPECT_EQ(0, set_key(self->fd6, &key));
	EXPECT_EQ(2, proc_count(_metadata));
	expect_proc_key(_metadata, 1, 1, 0, TCP_AUTHOPT_ALG_HMAC_SHA_1_96, NULL, -1, 0);
	expect_proc_key(_metadata, 2, 2, TCP_AUTHOPT_KEY_ADDR_BIND,
			TCP_AUTHOPT_ALG_AES_128_CMAC_96, "2001:db8::1", -1, 0);
}

/* Only AF_INET and AF_INET6 addresses can be bound. */
TEST_F(authopt, key_addr_bind_bad_family)
{
	const int bad[] = { AF_UNSPEC, AF_UNIX, AF_PACKET };
	struct tcp_authopt_key key;
	struct sockaddr_un sun;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		key_init(&key, 1, 1);
		key.flags = TCP_AUTHOPT_KEY_ADDR_BIND;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = bad[i];
		strcpy(sun.sun_path, "/nonexistent");
		memcpy(&key.addr, &sun, sizeof(sun));
		EXPECT_EQ(-EINVAL, set_key(self->fd4, &key)) TH_LOG("family %d", bad[i]);
		EXPECT_EQ(-EINVAL, set_key(self->fd6, &key)) TH_LOG("family %d", bad[i]);
		key.flags |= TCP_AUTHOPT_KEY_PREFIXLEN;
		key.prefixlen = 8;
		EXPECT_EQ(-EINVAL, set_key(self->fd4, &key)) TH_LOG("family %d", bad[i]);
	}
	EXPECT_EQ(0, proc_count(_metadata));
}

/*
 * Prefixes longer than the address are refused. 256 and 0x80000020 catch a
 * kernel truncating the u32 to a byte (they would become 0 and 32).
 */
TEST_F(authopt, key_prefixlen_too_long)
{
	const __u32 bad4[] = { 33, 255, 256, 0x80000020 };
	const __u32 bad6[] = { 129, 255, 256 + 64, 0xffffffff };
	struct tcp_authopt_key key;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad4); i++) {
		key_init(&key, 1, 1);
		key_prefix(&key, "198.51.100.0", bad4[i]);
		EXPECT_EQ(-EINVAL, set_key(self->fd4, &key)) TH_LOG("prefixlen %u", bad4[i]);
	}
	for (i = 0; i < ARRAY_SIZE(bad6); i++) {
		key_init(&key, 1, 1);
		key_prefix(&key, "2001:db8::", bad6[i]);
		EXPECT_EQ(-EINVAL, set_key(self->fd6, &key)) TH_LOG("prefixlen %u", bad6[i]);
	}
	EXPECT_EQ(0, proc_count(_metadata));

	key_init(&key, 1, 1);
	key_prefix(&key, "198.51.100.1", 32);
	EXPECT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 2, 2);
	key_prefix(&key, "2001:db8::1", 128);
	EXPECT_EQ(0, set_key(self->fd6, &key));
}

/*
 * A prefix on an IPv4-mapped address is an IPv4 prefix, as with
 * TCP_MD5SIG: 0 to 32 bits, more is EINVAL.
 */
TEST_F(authopt, key_mapped_prefixlen)
{
	const __u32 bad[] = { 33, 64, 96, 128 };
	const __u32 good[] = { 0, 24, 32 };
	struct tcp_authopt_key key;
	unsigned int i;

	/* As TCP_MD5SIG: the prefix of a mapped address counts IPv4 bits. */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		key_init(&key, 1, 1);
		key_prefix(&key, "::ffff:198.51.100.0", bad[i]);
		EXPECT_EQ(-EINVAL, set_key(self->fd6, &key)) TH_LOG("prefixlen %u", bad[i]);
		EXPECT_EQ(-EINVAL, set_key(self->fd4, &key)) TH_LOG("prefixlen %u", bad[i]);
	}
	EXPECT_EQ(0, proc_count(_metadata));
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		key_init(&key, 1 + i, 1 + i);
		key_prefix(&key, "::ffff:198.51.100.0", good[i]);
		EXPECT_EQ(0, set_key(self->fd6, &key)) TH_LOG("prefixlen %u", good[i]);
	}
	EXPECT_EQ((int)ARRAY_SIZE(good), proc_count(_metadata));
}

/*
 * An IPv4-mapped address names the IPv4 peer: a key bound to
 * ::ffff:198.51.100.1 is the key bound to 198.51.100.1, so adding one
 * replaces the other and either address deletes it.
 */
TEST_F(authopt, key_mapped_same_peer)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	key_bind(&key, "198.51.100.1");
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 1, 1);
	key_bind(&key, "::ffff:198.51.100.1");
	key.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96;
	EXPECT_EQ(0, set_key(self->fd6, &key));
	EXPECT_EQ(1, proc_count(_metadata));
	key_init(&key, 1, 1);
	key_bind(&key, "198.51.100.1");
	EXPECT_EQ(0, del_key(self->fd6, &key));
	EXPECT_EQ(0, proc_count(_metadata));

	key_init(&key, 2, 2);
	key_bind(&key, "198.51.100.2");
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_bind(&key, "::ffff:198.51.100.2");
	EXPECT_EQ(0, del_key(self->fd4, &key));
	EXPECT_EQ(0, proc_count(_metadata));
}

/* IFINDEX must name an L3 master (VRF) device, or be 0 for the default VRF. */
TEST_F(authopt, key_ifindex_not_l3mdev)
{
	const __u32 bad[] = { if_nametoindex("lo"), 9999, 0xffffffff };
	struct tcp_authopt_key key;
	unsigned int i;

	ASSERT_NE(0U, bad[0]);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		key_init(&key, 1, 1);
		key.flags = TCP_AUTHOPT_KEY_IFINDEX;
		key.ifindex = bad[i];
		EXPECT_EQ(-EINVAL, set_key(self->fd4, &key)) TH_LOG("ifindex %u", bad[i]);
	}
	EXPECT_EQ(0, proc_count(_metadata));
}

/* A key bound to a VRF shows its l3index and is identified by it. */
TEST_F(authopt, key_ifindex_vrf)
{
	struct tcp_authopt_key key;
	unsigned int vrf;

	if (system("ip link add tao-vrf type vrf table 1000 >/dev/null 2>&1") ||
	    system("ip link set tao-vrf up >/dev/null 2>&1"))
		SKIP(return, "cannot create a VRF device (CONFIG_NET_VRF, iproute2)");
	vrf = if_nametoindex("tao-vrf");
	ASSERT_NE(0U, vrf);

	key_init(&key, 1, 1);
	key.flags = TCP_AUTHOPT_KEY_IFINDEX;
	key.ifindex = vrf;
	ASSERT_EQ(0, set_key(self->fd4, &key));
	expect_proc_key(_metadata, 1, 1, TCP_AUTHOPT_KEY_IFINDEX,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, NULL, -1, vrf);

	/* The binding is part of the identity used by DEL. */
	key.flags = 0;
	key.ifindex = 0;
	EXPECT_EQ(-ENOENT, del_key(self->fd4, &key));
	key.flags = TCP_AUTHOPT_KEY_IFINDEX;
	EXPECT_EQ(-ENOENT, del_key(self->fd4, &key));
	key.ifindex = vrf;
	EXPECT_EQ(0, del_key(self->fd4, &key));
	EXPECT_EQ(0, proc_count(_metadata));
}

/* Old binaries pass the struct cut after addr, ifindex, prefixlen or lifetimes. */
TEST_F(authopt, key_optlen_struct_cuts)
{
	const socklen_t lens[] = { KEY_LEN_TO_IFINDEX, KEY_LEN_TO_PREFIXLEN,
				   KEY_LEN_TO_LIFETIMES, KEY_LEN_TO_PORTS, KEY_SIZE };
	struct tcp_authopt_key key;
	unsigned int i;

	/* The ABI fixes these, whatever the header says. */
	ASSERT_EQ(216U, KEY_LEN_TO_IFINDEX);
	ASSERT_EQ(220U, KEY_LEN_TO_PREFIXLEN);
	ASSERT_EQ(224U, KEY_LEN_TO_LIFETIMES);
	ASSERT_EQ(256U, KEY_LEN_TO_PORTS);
	ASSERT_EQ(264U, KEY_SIZE);

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		key_init(&key, 10 + i, 20 + i);
		key_bind(&key, "198.51.100.1");
		EXPECT_EQ(0, set_key_len(self->fd4, &key, lens[i])) TH_LOG("optlen %u", lens[i]);
	}
	EXPECT_EQ((int)ARRAY_SIZE(lens), proc_count(_metadata));
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		expect_proc_key(_metadata, 10 + i, 20 + i, TCP_AUTHOPT_KEY_ADDR_BIND,
				TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "198.51.100.1", -1, 0);
}

/*
 * Bytes past optlen must read as zero, not as whatever lies in memory after
 * the caller's buffer: an ifindex of 9999 beyond a 216-byte buffer must be
 * seen as 0 (default VRF, valid), and is refused once it is inside it.
 */
TEST_F(authopt, key_optlen_tail_not_read)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	key.flags = TCP_AUTHOPT_KEY_IFINDEX;
	key.ifindex = 9999;
	EXPECT_EQ(-EINVAL, set_key_len(self->fd4, &key, KEY_LEN_TO_PREFIXLEN));
	EXPECT_EQ(0, set_key_len(self->fd4, &key, KEY_LEN_TO_IFINDEX));
	expect_proc_key(_metadata, 1, 1, TCP_AUTHOPT_KEY_IFINDEX,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, NULL, -1, 0);
}

/*
 * Anything shorter than the struct cut after addr is refused, but for the
 * size of upstream Linux's struct tcp_ao_del (144 bytes), which is its
 * TCP_AO_DEL_KEY (key_upstream_ao_del).
 */
TEST_F(authopt, key_optlen_too_short)
{
	socklen_t len, first_bad = 0;
	struct tcp_authopt_key key;
	int ret, bad = 0;

	key_init(&key, 1, 1);
	for (len = 0; len < KEY_LEN_TO_IFINDEX; len++) {
		if (len == 144)	/* upstream's struct tcp_ao_del */
			continue;
		ret = set_key_len(self->fd4, &key, len);
		if (ret != -EINVAL && !bad++)
			first_bad = len;
	}
	EXPECT_EQ(0, bad) TH_LOG("%d lengths below %zu not refused, the first %u",
				 bad, KEY_LEN_TO_IFINDEX, first_bad);
	EXPECT_EQ(0, proc_count(_metadata));
}

/*
 * Upstream Linux's struct tcp_ao_del (144 bytes) uses option 39 too. Read as
 * our struct, its sockaddr_in for 192.0.2.16 holds flags 0x2, send_id 192,
 * recv_id 0, alg 2 and keylen 16: a valid key, which a kernel taking short
 * buffers would add where the caller meant to delete. Here it is upstream's
 * TCP_AO_DEL_KEY. 192.0.2.0/24 (RFC 5737) is the documentation range whose
 * third byte is an alg; it never goes on the wire.
 */
struct upstream_ao_del {
	struct __kernel_sockaddr_storage addr;
	__s32 ifindex;
	__u32 bits;		/* set_current, set_rnext, del_async */
	__u16 reserved;
	__u8 prefix;
	__u8 sndid;
	__u8 rcvid;
	__u8 current_key;
	__u8 rnext;
	__u8 keyflags;
};

static_assert(sizeof(struct upstream_ao_del) == 144, "upstream struct tcp_ao_del size");

TEST_F(authopt, key_upstream_ao_del)
{
	struct proc_key keys[MAX_PROC_KEYS];
	struct upstream_ao_del del;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	int n;

	memset(&del, 0, sizeof(del));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ASSERT_EQ(1, inet_pton(AF_INET, "192.0.2.16", &sin.sin_addr));
	memcpy(&del.addr, &sin, sizeof(sin));
	del.prefix = 32;
	del.sndid = 1;
	del.rcvid = 1;
	/* Upstream's TCP_AO_DEL_KEY, of a key this socket does not have. */
	EXPECT_EQ(-ENOENT, set_key_len(self->fd4, &del, sizeof(del)));
	n = proc_keys_read(keys, MAX_PROC_KEYS);
	ASSERT_LE(0, n);
	EXPECT_EQ(0, n) TH_LOG("tcp_ao_del added key flags 0x%x send_id %u recv_id %u alg %u",
			       keys[0].flags, keys[0].send_id, keys[0].recv_id, keys[0].alg);

	memset(&del, 0, sizeof(del));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	ASSERT_EQ(1, inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr));
	memcpy(&del.addr, &sin6, sizeof(sin6));
	del.prefix = 128;
	del.sndid = 1;
	del.rcvid = 1;
	EXPECT_EQ(-ENOENT, set_key_len(self->fd6, &del, sizeof(del)));
	EXPECT_EQ(0, proc_count(_metadata));
}

/*
 * From 216 bytes to abi.md's whole struct, only the documented cuts are
 * accepted: 216, 220, 224 and 256. A buffer ending inside a field is not a
 * struct any binary was built with. (Between 256 and our 264 bytes the port
 * ranges are cut: not part of abi.md, not checked here.)
 */
TEST_F(authopt, key_optlen_only_cuts)
{
	socklen_t len, first_bad = 0;
	struct tcp_authopt_key key;
	int ret, bad = 0;

	for (len = KEY_LEN_TO_IFINDEX; len <= KEY_LEN_ABI; len++) {
		bool cut = len == KEY_LEN_TO_IFINDEX || len == KEY_LEN_TO_PREFIXLEN ||
			   len == KEY_LEN_TO_LIFETIMES || len == KEY_LEN_ABI;

		key_init(&key, 1, 1);
		key_bind(&key, "198.51.100.1");
		ret = set_key_len(self->fd4, &key, len);
		if (cut) {
			EXPECT_EQ(0, ret) TH_LOG("optlen %u", len);
			EXPECT_EQ(0, del_key(self->fd4, &key));
		} else if (ret != -EINVAL && !bad++) {
			first_bad = len;
		}
	}
	EXPECT_EQ(0, bad) TH_LOG("%d lengths between the cuts not refused, the first %u",
				 bad, first_bad);
	EXPECT_EQ(0, proc_count(_metadata));
}

/* Port ranges are refused when the buffer does not hold them. */
TEST_F(authopt, key_port_flags_short_buffer)
{
	const socklen_t lens[] = { KEY_LEN_TO_IFINDEX, KEY_LEN_TO_PREFIXLEN,
				   KEY_LEN_TO_LIFETIMES, KEY_LEN_ABI };
	const __u32 flags[] = { TCP_AUTHOPT_KEY_LOCAL_PORT, TCP_AUTHOPT_KEY_REMOTE_PORT,
				TCP_AUTHOPT_KEY_LOCAL_PORT | TCP_AUTHOPT_KEY_REMOTE_PORT };
	struct tcp_authopt_key key;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		key_init(&key, 1, 1);
		key.flags = flags[i];
		key.local_port_min = 179;
		key.local_port_max = 179;
		key.remote_port_min = 1024;
		key.remote_port_max = 65535;
		for (j = 0; j < ARRAY_SIZE(lens); j++) {
			socklen_t len = lens[j];

			EXPECT_EQ(-EINVAL, set_key_len(self->fd4, &key, len))
				TH_LOG("flags 0x%x optlen %u", key.flags, len);
		}
	}
	/* The remote range ends the struct: a buffer with the local one only. */
	key.flags = TCP_AUTHOPT_KEY_REMOTE_PORT;
	EXPECT_EQ(-EINVAL, set_key_len(self->fd4, &key,
				       offsetof(struct tcp_authopt_key, remote_port_min)));
	EXPECT_EQ(0, proc_count(_metadata));

	key.flags = TCP_AUTHOPT_KEY_LOCAL_PORT | TCP_AUTHOPT_KEY_REMOTE_PORT;
	EXPECT_EQ(0, set_key_len(self->fd4, &key, KEY_SIZE));
	EXPECT_EQ(1, proc_count(_metadata));
}

/* A newer, longer struct is accepted only if the unknown tail is zero. */
TEST_F(authopt, key_optlen_long)
{
	static unsigned char buf[4096];
	struct tcp_authopt_key key;

	memset(buf, 0, sizeof(buf));
	key_init(&key, 1, 1);
	memcpy(buf, &key, sizeof(key));
	EXPECT_EQ(0, set_key_len(self->fd4, buf, sizeof(key) + 8));

	key_init(&key, 2, 2);
	memcpy(buf, &key, sizeof(key));
	buf[sizeof(key)] = 1;
	EXPECT_EQ(-EINVAL, set_key_len(self->fd4, buf, sizeof(key) + 8));
	buf[sizeof(key)] = 0;
	buf[sizeof(key) + 7] = 0x80;
	EXPECT_EQ(-EINVAL, set_key_len(self->fd4, buf, sizeof(key) + 8));
	buf[sizeof(key) + 7] = 0;
	buf[sizeof(buf) - 1] = 1;
	EXPECT_EQ(-EINVAL, set_key_len(self->fd4, buf, sizeof(buf)));
	buf[sizeof(buf) - 1] = 0;
	EXPECT_EQ(0, set_key_len(self->fd4, buf, sizeof(buf)));

	EXPECT_EQ(2, proc_count(_metadata));
}

TEST_F(authopt, key_del_absent)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	EXPECT_EQ(-ENOENT, del_key(self->fd4, &key));
	key_bind(&key, "198.51.100.1");
	EXPECT_EQ(-ENOENT, del_key(self->fd4, &key));
}

/* DEL looks only at the identity: alg and key bytes need not be valid. */
TEST_F(authopt, key_add_del)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 2);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	ASSERT_EQ(1, proc_count(_metadata));

	memset(&key, 0, sizeof(key));
	key.send_id = 1;
	key.recv_id = 2;
	EXPECT_EQ(0, del_key(self->fd4, &key));
	EXPECT_EQ(0, proc_count(_metadata));
	EXPECT_EQ(-ENOENT, del_key(self->fd4, &key));
}

/*
 * DEL names a key by send_id, recv_id and its bindings only: the algorithm,
 * the key bytes, NOSEND/NORECV/EXCLUDE_OPTS and lifetimes, even invalid
 * ones, are ignored.
 */
TEST_F(authopt, key_del_ignores_other_fields)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 2);
	key_bind(&key, "198.51.100.1");
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 3, 4);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	ASSERT_EQ(2, proc_count(_metadata));

	key_init(&key, 1, 2);
	key_bind(&key, "198.51.100.1");
	key.flags |= TCP_AUTHOPT_KEY_NOSEND | TCP_AUTHOPT_KEY_NORECV |
		     TCP_AUTHOPT_KEY_EXCLUDE_OPTS |
		     TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_SEND_LIFETIME_END |
		     TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_RECV_LIFETIME_END;
	key.alg = 77;
	key.keylen = 200;
	memset(key.key, 0xff, sizeof(key.key));
	key.send_lifetime_begin = 2000;
	key.send_lifetime_end = 1000;
	key.recv_lifetime_begin = 2000;
	key.recv_lifetime_end = 1000;
	EXPECT_EQ(0, del_key(self->fd4, &key));
	EXPECT_EQ(1, proc_count(_metadata));

	key_init(&key, 3, 4);
	key.alg = 0;
	key.keylen = TCP_AUTHOPT_MAXKEYLEN + 1;
	key.flags = TCP_AUTHOPT_KEY_NOSEND;
	EXPECT_EQ(0, del_key(self->fd4, &key));
	EXPECT_EQ(0, proc_count(_metadata));
}

/* DEL must match the address of a bound key, and only that key. */
TEST_F(authopt, key_del_identity)
{
	struct tcp_authopt_key key, other;

	key_init(&key, 1, 1);
	key_bind(&key, "198.51.100.1");
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&other, 1, 1);
	key_bind(&other, "198.51.100.2");
	ASSERT_EQ(0, set_key(self->fd4, &other));
	ASSERT_EQ(2, proc_count(_metadata));

	key_init(&key, 1, 1);
	EXPECT_EQ(-ENOENT, del_key(self->fd4, &key));
	key_bind(&key, "198.51.100.3");
	EXPECT_EQ(-ENOENT, del_key(self->fd4, &key));
	key_init(&key, 1, 2);
	key_bind(&key, "198.51.100.1");
	EXPECT_EQ(-ENOENT, del_key(self->fd4, &key));
	EXPECT_EQ(2, proc_count(_metadata));

	key_init(&key, 1, 1);
	key_bind(&key, "198.51.100.1");
	EXPECT_EQ(0, del_key(self->fd4, &key));
	EXPECT_EQ(1, proc_count(_metadata));
	expect_proc_key(_metadata, 1, 1, TCP_AUTHOPT_KEY_ADDR_BIND,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "198.51.100.2", -1, 0);
}

/* Adding a key with an existing identity replaces it in place. */
TEST_F(authopt, key_replace)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	expect_proc_key(_metadata, 1, 1, 0, TCP_AUTHOPT_ALG_HMAC_SHA_1_96, NULL, -1, 0);
	key.flags = TCP_AUTHOPT_KEY_NOSEND;
	key.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96;
	ASSERT_EQ(0, set_key(self->fd4, &key));
	EXPECT_EQ(1, proc_count(_metadata));
	expect_proc_key(_metadata, 1, 1, TCP_AUTHOPT_KEY_NOSEND,
			TCP_AUTHOPT_ALG_AES_128_CMAC_96, NULL, -1, 0);

	key_init(&key, 2, 2);
	key_bind(&key, "198.51.100.1");
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key.flags |= TCP_AUTHOPT_KEY_NORECV;
	ASSERT_EQ(0, set_key(self->fd4, &key));
	EXPECT_EQ(2, proc_count(_metadata));
	expect_proc_key(_metadata, 2, 2, TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_NORECV,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "198.51.100.1", -1, 0);

	key_init(&key, 3, 3);
	key_bind(&key, "2001:db8::1");
	ASSERT_EQ(0, set_key(self->fd6, &key));
	key.flags |= TCP_AUTHOPT_KEY_EXCLUDE_OPTS;
	ASSERT_EQ(0, set_key(self->fd6, &key));
	EXPECT_EQ(3, proc_count(_metadata));
	expect_proc_key(_metadata, 3, 3,
			TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_EXCLUDE_OPTS,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "2001:db8::1", -1, 0);
}

/* Replacing a key while another process reads the listing. */
struct replace_watch {
	int reads;		/* listings the reader checked */
	int stop;		/* the writer is done */
};

#define REPLACE_READS		200
#define REPLACE_DEADLINE_MS	10000

/*
 * The reader: every listing holds exactly the one key, in its first or its
 * second version as a whole (flags and alg change together). Returns 0 or
 * the step that failed.
 */
static int replace_reader(struct replace_watch *w)
{
	const unsigned int v1 = TCP_AUTHOPT_KEY_ADDR_BIND;
	const unsigned int v2 = TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_NOSEND;
	struct proc_key keys[MAX_PROC_KEYS];
	int n;

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		n = proc_keys_read(keys, MAX_PROC_KEYS);
		if (n != 1)
			return 1;
		if (keys[0].send_id != 1 || keys[0].recv_id != 1)
			return 2;
		if (!(keys[0].flags == v1 && keys[0].alg == TCP_AUTHOPT_ALG_HMAC_SHA_1_96) &&
		    !(keys[0].flags == v2 && keys[0].alg == TCP_AUTHOPT_ALG_AES_128_CMAC_96))
			return 3;
		__atomic_add_fetch(&w->reads, 1, __ATOMIC_RELEASE);
	}
	return 0;
}

/*
 * Adding a key with the identity of an existing one replaces it atomically:
 * a concurrent reader never sees it missing, twice or half changed.
 */
TEST_F(authopt, key_replace_atomic)
{
	struct tcp_authopt_key key;
	struct replace_watch *w;
	struct timespec t0;
	int ret = 0, rounds;
	pid_t pid;

	w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, w);
	key_init(&key, 1, 1);
	key_bind(&key, "198.51.100.1");
	ASSERT_EQ(0, set_key(self->fd4, &key));

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(replace_reader(w));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (rounds = 0; __atomic_load_n(&w->reads, __ATOMIC_ACQUIRE) < REPLACE_READS;
	     rounds++) {
		if (elapsed_ms(&t0) > REPLACE_DEADLINE_MS || child_exited(pid))
			break;
		key_init(&key, 1, 1);
		key_bind(&key, "198.51.100.1");
		if (rounds & 1) {
			key.flags |= TCP_AUTHOPT_KEY_NOSEND;
			key.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96;
		}
		ret = set_key(self->fd4, &key);
		if (ret)
			break;
	}
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	EXPECT_EQ(0, ret) TH_LOG("replace %d: %s", rounds, strerror(-ret));
	ret = wait_child(pid);
	EXPECT_EQ(0, ret) TH_LOG("the reader saw a bad listing (step %d) after %d replaces",
				 ret, rounds);
	EXPECT_LE(REPLACE_READS, w->reads) TH_LOG("%d listings in %d ms", w->reads,
						  REPLACE_DEADLINE_MS);
	EXPECT_EQ(1, proc_count(_metadata));
	munmap(w, sizeof(*w));
}

/*
 * RFC 5925: among the MKTs that apply to one connection, SendIDs are unique
 * and RecvIDs are unique. Equally specific keys that could both apply to the
 * same peer must not share either id.
 */
TEST_F(authopt, key_ambiguous_unbound)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 1, 2);
	EXPECT_EQ(-EEXIST, set_key(self->fd4, &key));
	key_init(&key, 2, 1);
	EXPECT_EQ(-EEXIST, set_key(self->fd4, &key));
	EXPECT_EQ(1, proc_count(_metadata));
	key_init(&key, 2, 2);
	EXPECT_EQ(0, set_key(self->fd4, &key));
	EXPECT_EQ(2, proc_count(_metadata));
}

TEST_F(authopt, key_ambiguous_addr)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	key_bind(&key, "198.51.100.1");
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 1, 2);
	key_bind(&key, "198.51.100.1");
	EXPECT_EQ(-EEXIST, set_key(self->fd4, &key));
	key_init(&key, 2, 1);
	key_bind(&key, "198.51.100.1");
	EXPECT_EQ(-EEXIST, set_key(self->fd4, &key));

	key_init(&key, 1, 1);
	key_bind(&key, "2001:db8::1");
	ASSERT_EQ(0, set_key(self->fd6, &key));
	key_init(&key, 1, 2);
	key_bind(&key, "2001:db8::1");
	EXPECT_EQ(-EEXIST, set_key(self->fd6, &key));
	key_init(&key, 2, 1);
	key_bind(&key, "2001:db8::1");
	EXPECT_EQ(-EEXIST, set_key(self->fd6, &key));

	EXPECT_EQ(2, proc_count(_metadata));
}

TEST_F(authopt, key_ambiguous_prefix)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	key_prefix(&key, "203.0.113.0", 24);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 1, 2);
	key_prefix(&key, "203.0.113.0", 24);
	EXPECT_EQ(-EEXIST, set_key(self->fd4, &key));
	key_init(&key, 2, 1);
	key_prefix(&key, "203.0.113.0", 24);
	EXPECT_EQ(-EEXIST, set_key(self->fd4, &key));

	key_init(&key, 1, 1);
	key_prefix(&key, "2001:db8:1::", 64);
	ASSERT_EQ(0, set_key(self->fd6, &key));
	key_init(&key, 2, 1);
	key_prefix(&key, "2001:db8:1::", 64);
	EXPECT_EQ(-EEXIST, set_key(self->fd6, &key));

	EXPECT_EQ(2, proc_count(_metadata));
}

/*
 * Keys of different specificity may share ids: the most specific one that
 * matches the peer is used, so there is no ambiguity.
 */
TEST_F(authopt, key_ids_reuse_specificity)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 1, 2);
	key_bind(&key, "198.51.100.1");
	EXPECT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 2, 1);
	key_prefix(&key, "198.51.100.0", 28);
	EXPECT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 1, 3);
	key_prefix(&key, "198.51.100.0", 24);
	EXPECT_EQ(0, set_key(self->fd4, &key));
	EXPECT_EQ(4, proc_count(_metadata));
}

/* Keys bound to peers that cannot be the same connection may share ids. */
TEST_F(authopt, key_ids_reuse_disjoint)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	key_bind(&key, "198.51.100.1");
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 1, 2);
	key_bind(&key, "198.51.100.2");
	EXPECT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 2, 1);
	key_bind(&key, "198.51.100.3");
	EXPECT_EQ(0, set_key(self->fd4, &key));
	/* Same ids as the first key, other family: a new key, not a replace. */
	key_init(&key, 1, 1);
	key_bind(&key, "2001:db8::1");
	EXPECT_EQ(0, set_key(self->fd6, &key));
	key_init(&key, 3, 3);
	key_prefix(&key, "203.0.113.0", 25);
	EXPECT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 3, 4);
	key_prefix(&key, "203.0.113.128", 25);
	EXPECT_EQ(0, set_key(self->fd4, &key));
	EXPECT_EQ(6, proc_count(_metadata));
}

/* Keys belong to the namespace and outlive the socket that added them. */
TEST_F(authopt, key_global_not_per_socket)
{
	struct tcp_authopt_key key;
	int fd;

	fd = sock_tcp(AF_INET);
	ASSERT_LE(0, fd);
	key_init(&key, 1, 1);
	ASSERT_EQ(0, set_key(fd, &key));
	close(fd);
	EXPECT_EQ(1, proc_count(_metadata));
	EXPECT_EQ(0, del_key(self->fd6, &key));
	EXPECT_EQ(0, proc_count(_metadata));
}

/* Keys are namespace-wide state: changing them takes CAP_NET_ADMIN. */
TEST_F(authopt, key_add_needs_net_admin)
{
	struct tcp_authopt_key key;

	ASSERT_EQ(0, drop_cap_net_admin());
	key_init(&key, 1, 1);
	EXPECT_EQ(-EPERM, set_key(self->fd4, &key));
	EXPECT_EQ(-EPERM, set_key(self->fd6, &key));
	EXPECT_EQ(0, proc_count(_metadata));
}

TEST_F(authopt, key_del_needs_net_admin)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	ASSERT_EQ(0, drop_cap_net_admin());
	EXPECT_EQ(-EPERM, del_key(self->fd4, &key));
	EXPECT_EQ(1, proc_count(_metadata));
}

/* The key table is for the administrator only. */
TEST_F(authopt, proc_mode)
{
	struct stat st;

	ASSERT_EQ(0, stat(PROC_PATH, &st)) TH_LOG("%s: %m", PROC_PATH);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0400U, st.st_mode & 07777);
}

/* The first line of the last listing read is a header, not a key. */
static void expect_proc_header(struct __test_metadata *_metadata)
{
	size_t len = strcspn(proc_text, "\n");
	struct proc_key key;
	char line[512];

	ASSERT_EQ('\n', proc_text[len]) TH_LOG("no header line");
	ASSERT_GT(sizeof(line), len);
	EXPECT_LT(0U, len) TH_LOG("empty header line");
	memcpy(line, proc_text, len);
	line[len] = '\0';
	EXPECT_FALSE(proc_parse_line(line, &key)) TH_LOG("a key comes first: %s", line);
}

/* Every column of every key, for each kind of binding. */
TEST_F(authopt, proc_format)
{
	struct tcp_authopt_key key;

	/* Without keys, the header line alone. */
	EXPECT_EQ(0, proc_count(_metadata));
	expect_proc_header(_metadata);
	EXPECT_EQ(strlen(proc_text), strcspn(proc_text, "\n") + 1) TH_LOG("%s", proc_text);

	key_init(&key, 1, 2);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 3, 4);
	key.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96;
	key.flags = TCP_AUTHOPT_KEY_NOSEND;
	key_bind(&key, "198.51.100.1");
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 5, 6);
	key.flags = TCP_AUTHOPT_KEY_EXCLUDE_OPTS;
	key_prefix(&key, "203.0.113.0", 25);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 7, 8);
	key_bind(&key, "2001:db8::1");
	ASSERT_EQ(0, set_key(self->fd6, &key));
	key_init(&key, 9, 10);
	key_prefix(&key, "2001:db8:1::", 64);
	ASSERT_EQ(0, set_key(self->fd6, &key));
	key_init(&key, 200, 100);
	key.flags = TCP_AUTHOPT_KEY_NORECV | TCP_AUTHOPT_KEY_RECV_LIFETIME_END;
	key.recv_lifetime_end = time(NULL) + 3600;
	ASSERT_EQ(0, set_key(self->fd4, &key));

	EXPECT_EQ(6, proc_count(_metadata));
	expect_proc_key(_metadata, 1, 2, 0, TCP_AUTHOPT_ALG_HMAC_SHA_1_96, NULL, -1, 0);
	expect_proc_key(_metadata, 3, 4, TCP_AUTHOPT_KEY_NOSEND | TCP_AUTHOPT_KEY_ADDR_BIND,
			TCP_AUTHOPT_ALG_AES_128_CMAC_96, "198.51.100.1", -1, 0);
	expect_proc_key(_metadata, 5, 6,
			TCP_AUTHOPT_KEY_EXCLUDE_OPTS | TCP_AUTHOPT_KEY_ADDR_BIND |
			TCP_AUTHOPT_KEY_PREFIXLEN,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "203.0.113.0", 25, 0);
	expect_proc_key(_metadata, 7, 8, TCP_AUTHOPT_KEY_ADDR_BIND,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "2001:db8::1", -1, 0);
	expect_proc_key(_metadata, 9, 10,
			TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_PREFIXLEN,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "2001:db8:1::", 64, 0);
	expect_proc_key(_metadata, 200, 100,
			TCP_AUTHOPT_KEY_NORECV | TCP_AUTHOPT_KEY_RECV_LIFETIME_END,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, NULL, -1, 0);

	expect_proc_header(_metadata);

	/* A deleted key disappears from the listing. */
	key_init(&key, 1, 2);
	ASSERT_EQ(0, del_key(self->fd4, &key));
	EXPECT_EQ(5, proc_count(_metadata));
}

static bool text_has_hex(const char *text, const char *s, bool upper)
{
	char hex[2 * TCP_AUTHOPT_MAXKEYLEN + 1];
	size_t i;

	for (i = 0; s[i] && i < TCP_AUTHOPT_MAXKEYLEN; i++)
		sprintf(hex + 2 * i, upper ? "%02X" : "%02x", (unsigned char)s[i]);
	hex[2 * i] = '\0';
	return strstr(text, hex);
}

/* The listing must never show key material, in clear or in hex. */
TEST_F(authopt, proc_no_key_material)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	key_set_secret(&key, SECRET_KEY);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 2, 2);
	key.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96;
	key_set_secret(&key, SECRET_KEY);
	key_bind(&key, "2001:db8::1");
	ASSERT_EQ(0, set_key(self->fd6, &key));

	ASSERT_EQ(2, proc_count(_metadata));
	EXPECT_EQ(NULL, strstr(proc_text, SECRET_KEY));
	EXPECT_EQ(NULL, strstr(proc_text, "SECRETKE"));
	EXPECT_FALSE(text_has_hex(proc_text, SECRET_KEY, false));
	EXPECT_FALSE(text_has_hex(proc_text, SECRET_KEY, true));
	EXPECT_FALSE(text_has_hex(proc_text, "SECRETKE", false));
	EXPECT_FALSE(text_has_hex(proc_text, "SECRETKE", true));
}

/*
 * Monitoring written for the original series reads TcpExt
 * TCPAuthOptFailure; a new namespace starts it at 0.
 */
TEST_F(authopt, counter_failure_exists)
{
	int fd = open("/proc/self/net/netstat", O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("/proc/net/netstat: %m");
	EXPECT_EQ(0, tcpext_counter(fd, "TCPAuthOptFailure")) TH_LOG("-1: not in TcpExt");
	close(fd);
}

struct netns_sync {
	int to_parent;
	int from_parent;
};

/* Runs in namespace B while namespace A (the test's) holds key 10/11. */
static int child_keys_isolated(void *arg)
{
	struct proc_key keys[MAX_PROC_KEYS];
	struct netns_sync *sync = arg;
	struct tcp_authopt_key key;
	char c;
	int fd, n;

	if (sysctl_enable())
		return 1;
	if (proc_keys_read(keys, MAX_PROC_KEYS) != 0)
		return 2;
	fd = sock_tcp(AF_INET);
	if (fd < 0)
		return 3;
	/* The same ids as A's key: no conflict across namespaces. */
	key_init(&key, 10, 11);
	if (set_key(fd, &key))
		return 4;
	key_init(&key, 20, 21);
	if (set_key(fd, &key))
		return 5;
	n = proc_keys_read(keys, MAX_PROC_KEYS);
	if (n != 2 || !proc_find(keys, n, 20, 21))
		return 6;
	if (write(sync->to_parent, "r", 1) != 1)
		return 7;
	if (read(sync->from_parent, &c, 1) != 1)
		return 8;
	/* A deleted its key meanwhile; B's copy with the same ids stays. */
	n = proc_keys_read(keys, MAX_PROC_KEYS);
	if (n != 2 || !proc_find(keys, n, 10, 11) || !proc_find(keys, n, 20, 21))
		return 9;
	return 0;
}

/* Each namespace has its own key table; changes do not cross over. */
TEST_F(authopt, keys_per_netns)
{
	struct proc_key keys[MAX_PROC_KEYS];
	struct tcp_authopt_key key;
	int to_parent[2], from_parent[2];
	struct netns_sync sync;
	pid_t pid;
	char c;
	int n, ret;

	/* Report a dead child through its exit code, not as SIGPIPE here. */
	signal(SIGPIPE, SIG_IGN);
	key_init(&key, 10, 11);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(from_parent));
	sync.to_parent = to_parent[1];
	sync.from_parent = from_parent[0];
	pid = fork_in_new_netns(child_keys_isolated, &sync);
	ASSERT_LT(0, pid);
	/* Only the child keeps a write end, so its death ends our read. */
	close(to_parent[1]);
	close(from_parent[0]);

	EXPECT_EQ(1, read(to_parent[0], &c, 1)) TH_LOG("child did not get ready");
	n = proc_keys_read(keys, MAX_PROC_KEYS);
	EXPECT_EQ(1, n);
	EXPECT_NE(NULL, proc_find(keys, n, 10, 11));
	EXPECT_EQ(NULL, proc_find(keys, n, 20, 21));
	EXPECT_EQ(0, del_key(self->fd4, &key));
	EXPECT_EQ(0, proc_count(_metadata));

	EXPECT_EQ(1, write(from_parent[1], "g", 1));
	ret = wait_child(pid);
	EXPECT_EQ(0, ret) TH_LOG("child in the other netns failed at step %d", ret);
	close(to_parent[0]);
	close(from_parent[1]);
}

static int child_add_keys(void *arg)
{
	struct proc_key keys[MAX_PROC_KEYS];
	struct tcp_authopt_key key;
	int fd, i;

	(void)arg;
	if (sysctl_enable())
		return 1;
	fd = sock_tcp(AF_INET);
	if (fd < 0)
		return 2;
	for (i = 0; i < 4; i++) {
		key_init(&key, 70 + i, 80 + i);
		if (set_key(fd, &key))
			return 3;
	}
	if (proc_keys_read(keys, MAX_PROC_KEYS) != 4)
		return 4;
	/* Exit with the socket and the keys still there. */
	return 0;
}

/* Keys of a namespace that went away do not show up anywhere else. */
TEST_F(authopt, keys_gone_with_child_netns)
{
	pid_t pid;
	int ret;

	pid = fork_in_new_netns(child_add_keys, NULL);
	ASSERT_LT(0, pid);
	ret = wait_child(pid);
	ASSERT_EQ(0, ret) TH_LOG("child in the other netns failed at step %d", ret);
	EXPECT_EQ(0, proc_count(_metadata));
}

/* ------------------------------------------------------------------------ */
/* On the wire, between namespaces A and B (netns_lib.h)                    */
/* ------------------------------------------------------------------------ */

FIXTURE(link) {
	struct env e;
	int listener;
};

FIXTURE_SETUP(link)
{
	self->listener = -1;
	env_setup(_metadata, &self->e, netns_pair_setup, C_COUNT);
}

FIXTURE_TEARDOWN(link)
{
	if (self->listener >= 0)
		close(self->listener);
	env_teardown(&self->e);
}

/*
 * A TCP_AUTHOPT buffer of 4 to 8 bytes is zero padded: with
 * LOCK_RNEXTKEYID, A's segments carry send_rnextkeyid 42 only when the
 * buffer reaches that byte, RNextKeyID 0 otherwise (not 42 read from beyond
 * the buffer, not the default, B's send id 2).
 */
TEST_F(link, authopt_optlen_padded)
{
	const struct tcp_authopt opt = {
		.flags = TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID,
		.send_keyid = 1,
		.send_rnextkeyid = 42,
	};
	struct key_spec ka = {
		.flags = TCP_AUTHOPT_KEY_ADDR_BIND,
		.send_id = 1,
		.recv_id = 2,
		.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
		.secret = DEFAULT_KEY,
		.addr = ADDR4_B,
	};
	struct key_spec kb = ka;
	struct tcp_authopt got;
	int client, server;
	socklen_t len;
	__u8 want;

	kb.send_id = 2;
	kb.recv_id = 1;
	kb.addr = ADDR4_A;
	ASSERT_EQ(0, key_in(&self->e, A, &ka));
	ASSERT_EQ(0, key_in(&self->e, B, &kb));
	self->listener = listen_at(_metadata, &self->e, B, ADDR4_B, PORT, 0, NULL);

	for (len = sizeof(opt.flags); len <= sizeof(opt); len++) {
		want = len > offsetof(struct tcp_authopt, send_rnextkeyid) ? 42 : 0;
		client = socket_in(_metadata, &self->e, A, AF_INET, UNTOUCHED, NULL, NULL, 0);
		ASSERT_EQ(0, set_authopt_len(client, &opt, len)) TH_LOG("optlen %u", len);
		server = connect_accept(_metadata, client, self->listener, ADDR4_B, PORT);
		exchange(_metadata, client, server, 4096, false);

		expect_authopt(_metadata, "A", client, true, 1, 2);
		expect_authopt(_metadata, "B", server, true, 2, 1);
		ASSERT_EQ(0, authopt_get(client, &got));
		EXPECT_EQ(want, got.send_rnextkeyid) TH_LOG("A, optlen %u", len);
		ASSERT_EQ(0, authopt_get(server, &got));
		EXPECT_EQ(want, got.recv_rnextkeyid) TH_LOG("B, optlen %u", len);
		close(client);
		close(server);
	}
	expect_counters_unchanged(_metadata, &self->e);
}

TEST_HARNESS_MAIN
