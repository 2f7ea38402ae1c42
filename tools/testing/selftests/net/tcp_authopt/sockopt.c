// SPDX-License-Identifier: GPL-2.0
/*
 * Socket option ABI of the TCP Authentication Option (RFC 5925).
 *
 * Checks TCP_AUTHOPT, TCP_AUTHOPT_KEY and TCP_REPAIR_AUTHOPT, the
 * net.ipv4.tcp_authopt sysctl and /proc/net/tcp_authopt against the ABI that
 * existing BGP/LDP daemons were built for. Keys are global to a network
 * namespace, so every test runs in a namespace of its own: tests cannot see
 * each other's keys and nothing is left behind on the host.
 *
 * The tests must fail, not skip, on a kernel without the feature: the fixture
 * setups assert that the sysctl exists.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "authopt_uapi.h"
/* The 6.1 harness has an unused handler parameter: keep -Wextra builds clean. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../../kselftest_harness.h"
#pragma GCC diagnostic pop

#define SYSCTL_PATH	"/proc/sys/net/ipv4/tcp_authopt"
#define PROC_PATH	"/proc/net/tcp_authopt"

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

static int sysctl_read(int *val)
{
	char buf[32], *end;
	int ret;

	ret = read_text(SYSCTL_PATH, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	*val = strtol(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0'))
		return -EBADMSG;
	return 0;
}

static int sysctl_write(const char *val)
{
	ssize_t ret;
	int fd;

	fd = open(SYSCTL_PATH, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val));
	ret = ret < 0 ? -errno : 0;
	close(fd);
	return ret;
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

	/* Fields beyond the sixth are tolerated (e.g. port ranges). */
	for (i = 0; i < 6; i++) {
		field[i] = strsep(&p, "\t");
		if (!field[i])
			return false;
	}
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
 * match. @addr is NULL for an unbound key; @prefixlen is -1 for ADDR_BIND
 * without PREFIXLEN, where a "/<full width>" suffix is tolerated.
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
	if (!addr) {
		EXPECT_EQ(AF_UNSPEC, key->family);
		return;
	}
	addr_fill(&ss, addr);
	ASSERT_EQ(ss.ss_family, key->family);
	if (key->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		EXPECT_EQ(0, memcmp(&sin->sin_addr, &key->addr.v4, 4));
		if (prefixlen < 0 && key->prefixlen >= 0)
			EXPECT_EQ(32, key->prefixlen);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		EXPECT_EQ(0, memcmp(&sin6->sin6_addr, &key->addr.v6, 16));
		if (prefixlen < 0 && key->prefixlen >= 0)
			EXPECT_EQ(128, key->prefixlen);
	}
	if (prefixlen >= 0)
		EXPECT_EQ(prefixlen, key->prefixlen);
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

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

FIXTURE(sysctl) {
	int unused;
};

FIXTURE_SETUP(sysctl)
{
	ASSERT_EQ(0, netns_enter()) TH_LOG("unshare(CLONE_NEWNET): %m (run as root)");
	ASSERT_EQ(0, access(SYSCTL_PATH, F_OK))
		TH_LOG("%s: %m: kernel without TCP_AUTHOPT?", SYSCTL_PATH);
}

FIXTURE_TEARDOWN(sysctl)
{
}

/* The feature is off in every new namespace until an admin turns it on. */
TEST_F(sysctl, default_zero)
{
	int val = -1;

	ASSERT_EQ(0, sysctl_read(&val));
	ASSERT_EQ(0, val);
}

/* While off, nothing can be configured or queried through the options. */
TEST_F(sysctl, disabled_eperm)
{
	struct tcp_authopt_key key;
	struct tcp_authopt opt = {};
	int family[] = { AF_INET, AF_INET6 };
	socklen_t len;
	unsigned int i;
	int fd;

	key_init(&key, 1, 1);
	for (i = 0; i < ARRAY_SIZE(family); i++) {
		fd = sock_tcp(family[i]);
		ASSERT_LE(0, fd);
		/* Valid arguments, so EPERM cannot be an EINVAL in disguise. */
		EXPECT_EQ(-EPERM, set_key(fd, &key));
		EXPECT_EQ(-EPERM, set_authopt(fd, &opt));
		len = sizeof(opt);
		EXPECT_EQ(-EPERM, get_authopt(fd, &opt, &len));
		close(fd);
	}
}

/* Enabling is one-way: the stack cannot drop state that sockets rely on. */
TEST_F(sysctl, enable_then_no_disable)
{
	struct tcp_authopt_key key;
	int val = -1, fd;

	ASSERT_EQ(0, sysctl_write("1"));
	ASSERT_EQ(0, sysctl_read(&val));
	ASSERT_EQ(1, val);
	EXPECT_EQ(-EPERM, sysctl_write("0"));
	ASSERT_EQ(0, sysctl_read(&val));
	EXPECT_EQ(1, val);

	/* Writing 1 again is not a change and must not fail. */
	EXPECT_EQ(0, sysctl_write("1"));

	fd = sock_tcp(AF_INET);
	ASSERT_LE(0, fd);
	key_init(&key, 1, 1);
	EXPECT_EQ(0, set_key(fd, &key));
	close(fd);
}

static int child_sysctl_off(void *arg)
{
	struct tcp_authopt_key key;
	int val = -1, fd;

	(void)arg;
	if (sysctl_read(&val))
		return 1;
	if (val != 0)
		return 2;
	fd = sock_tcp(AF_INET);
	if (fd < 0)
		return 3;
	key_init(&key, 1, 1);
	if (set_key(fd, &key) != -EPERM)
		return 4;
	return 0;
}

/* Enabling in one namespace must not enable it in others. */
TEST_F(sysctl, per_netns)
{
	int val = -1, ret;
	pid_t pid;

	ASSERT_EQ(0, sysctl_write("1"));
	pid = fork_in_new_netns(child_sysctl_off, NULL);
	ASSERT_LT(0, pid);
	ret = wait_child(pid);
	EXPECT_EQ(0, ret) TH_LOG("child in the other netns failed at step %d", ret);
	ASSERT_EQ(0, sysctl_read(&val));
	EXPECT_EQ(1, val);
}

FIXTURE(authopt) {
	int fd4;
	int fd6;
};

FIXTURE_SETUP(authopt)
{
	self->fd4 = -1;
	self->fd6 = -1;
	ASSERT_EQ(0, netns_enter()) TH_LOG("unshare(CLONE_NEWNET): %m (run as root)");
	ASSERT_EQ(0, access(SYSCTL_PATH, F_OK))
		TH_LOG("%s: %m: kernel without TCP_AUTHOPT?", SYSCTL_PATH);
	ASSERT_EQ(0, sysctl_write("1"));
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
	EXPECT_EQ(TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED, opt.flags);
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
	key_bind(&key, "10.0.0.1");
	ADD_OK(self->fd4);
	key_init(&key, 9, 9);
	key_prefix(&key, "10.0.0.0", 8);
	ADD_OK(self->fd4);
	key_init(&key, 10, 10);
	key_prefix(&key, "10.9.9.9", 32);
	ADD_OK(self->fd4);
	key_init(&key, 11, 11);
	key_bind(&key, "fd00::1");
	ADD_OK(self->fd6);
	key_init(&key, 12, 12);
	key_prefix(&key, "fd00:1::", 48);
	ADD_OK(self->fd6);
	key_init(&key, 13, 13);
	key_prefix(&key, "fd00::9", 128);
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
		key_prefix(&key, "10.0.0.0", bad4[i]);
		EXPECT_EQ(-EINVAL, set_key(self->fd4, &key)) TH_LOG("prefixlen %u", bad4[i]);
	}
	for (i = 0; i < ARRAY_SIZE(bad6); i++) {
		key_init(&key, 1, 1);
		key_prefix(&key, "fd00::", bad6[i]);
		EXPECT_EQ(-EINVAL, set_key(self->fd6, &key)) TH_LOG("prefixlen %u", bad6[i]);
	}
	EXPECT_EQ(0, proc_count(_metadata));

	key_init(&key, 1, 1);
	key_prefix(&key, "10.0.0.1", 32);
	EXPECT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 2, 2);
	key_prefix(&key, "fd00::1", 128);
	EXPECT_EQ(0, set_key(self->fd6, &key));
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
		key_bind(&key, "10.0.0.1");
		EXPECT_EQ(0, set_key_len(self->fd4, &key, lens[i])) TH_LOG("optlen %u", lens[i]);
	}
	EXPECT_EQ((int)ARRAY_SIZE(lens), proc_count(_metadata));
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		expect_proc_key(_metadata, 10 + i, 20 + i, TCP_AUTHOPT_KEY_ADDR_BIND,
				TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "10.0.0.1", -1, 0);
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

/* Cut before alg, the zero padding makes alg 0: refused, not accepted. */
TEST_F(authopt, key_optlen_too_short)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	EXPECT_EQ(-EINVAL, set_key_len(self->fd4, &key, sizeof(key.flags)));
	EXPECT_EQ(-EINVAL, set_key_len(self->fd4, &key, 0));
	EXPECT_EQ(0, proc_count(_metadata));
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
	key_bind(&key, "10.0.0.1");
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

/* DEL must match the address of a bound key, and only that key. */
TEST_F(authopt, key_del_identity)
{
	struct tcp_authopt_key key, other;

	key_init(&key, 1, 1);
	key_bind(&key, "10.0.0.1");
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&other, 1, 1);
	key_bind(&other, "10.0.0.2");
	ASSERT_EQ(0, set_key(self->fd4, &other));
	ASSERT_EQ(2, proc_count(_metadata));

	key_init(&key, 1, 1);
	EXPECT_EQ(-ENOENT, del_key(self->fd4, &key));
	key_bind(&key, "10.0.0.3");
	EXPECT_EQ(-ENOENT, del_key(self->fd4, &key));
	key_init(&key, 1, 2);
	key_bind(&key, "10.0.0.1");
	EXPECT_EQ(-ENOENT, del_key(self->fd4, &key));
	EXPECT_EQ(2, proc_count(_metadata));

	key_init(&key, 1, 1);
	key_bind(&key, "10.0.0.1");
	EXPECT_EQ(0, del_key(self->fd4, &key));
	EXPECT_EQ(1, proc_count(_metadata));
	expect_proc_key(_metadata, 1, 1, TCP_AUTHOPT_KEY_ADDR_BIND,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "10.0.0.2", -1, 0);
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
	key_bind(&key, "10.0.0.1");
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key.flags |= TCP_AUTHOPT_KEY_NORECV;
	ASSERT_EQ(0, set_key(self->fd4, &key));
	EXPECT_EQ(2, proc_count(_metadata));
	expect_proc_key(_metadata, 2, 2, TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_NORECV,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "10.0.0.1", -1, 0);

	key_init(&key, 3, 3);
	key_bind(&key, "fd00::1");
	ASSERT_EQ(0, set_key(self->fd6, &key));
	key.flags |= TCP_AUTHOPT_KEY_EXCLUDE_OPTS;
	ASSERT_EQ(0, set_key(self->fd6, &key));
	EXPECT_EQ(3, proc_count(_metadata));
	expect_proc_key(_metadata, 3, 3,
			TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_EXCLUDE_OPTS,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "fd00::1", -1, 0);
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
	key_bind(&key, "10.0.0.1");
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 1, 2);
	key_bind(&key, "10.0.0.1");
	EXPECT_EQ(-EEXIST, set_key(self->fd4, &key));
	key_init(&key, 2, 1);
	key_bind(&key, "10.0.0.1");
	EXPECT_EQ(-EEXIST, set_key(self->fd4, &key));

	key_init(&key, 1, 1);
	key_bind(&key, "fd00::1");
	ASSERT_EQ(0, set_key(self->fd6, &key));
	key_init(&key, 1, 2);
	key_bind(&key, "fd00::1");
	EXPECT_EQ(-EEXIST, set_key(self->fd6, &key));
	key_init(&key, 2, 1);
	key_bind(&key, "fd00::1");
	EXPECT_EQ(-EEXIST, set_key(self->fd6, &key));

	EXPECT_EQ(2, proc_count(_metadata));
}

TEST_F(authopt, key_ambiguous_prefix)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	key_prefix(&key, "10.1.2.0", 24);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 1, 2);
	key_prefix(&key, "10.1.2.0", 24);
	EXPECT_EQ(-EEXIST, set_key(self->fd4, &key));
	key_init(&key, 2, 1);
	key_prefix(&key, "10.1.2.0", 24);
	EXPECT_EQ(-EEXIST, set_key(self->fd4, &key));

	key_init(&key, 1, 1);
	key_prefix(&key, "fd00:1::", 64);
	ASSERT_EQ(0, set_key(self->fd6, &key));
	key_init(&key, 2, 1);
	key_prefix(&key, "fd00:1::", 64);
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
	key_bind(&key, "10.0.0.1");
	EXPECT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 2, 1);
	key_prefix(&key, "10.0.0.0", 24);
	EXPECT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 1, 3);
	key_prefix(&key, "10.0.0.0", 16);
	EXPECT_EQ(0, set_key(self->fd4, &key));
	EXPECT_EQ(4, proc_count(_metadata));
}

/* Keys bound to peers that cannot be the same connection may share ids. */
TEST_F(authopt, key_ids_reuse_disjoint)
{
	struct tcp_authopt_key key;

	key_init(&key, 1, 1);
	key_bind(&key, "10.0.0.1");
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 1, 2);
	key_bind(&key, "10.0.0.2");
	EXPECT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 2, 1);
	key_bind(&key, "10.0.0.3");
	EXPECT_EQ(0, set_key(self->fd4, &key));
	/* Same ids as the first key, other family: a new key, not a replace. */
	key_init(&key, 1, 1);
	key_bind(&key, "fd00::1");
	EXPECT_EQ(0, set_key(self->fd6, &key));
	key_init(&key, 3, 3);
	key_prefix(&key, "10.1.0.0", 16);
	EXPECT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 3, 4);
	key_prefix(&key, "10.2.0.0", 16);
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

/* Every column of every key, for each kind of binding. */
TEST_F(authopt, proc_format)
{
	struct tcp_authopt_key key;

	EXPECT_EQ(0, proc_count(_metadata));
	EXPECT_NE(NULL, strchr(proc_text, '\n')) TH_LOG("no header line");

	key_init(&key, 1, 2);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 3, 4);
	key.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96;
	key.flags = TCP_AUTHOPT_KEY_NOSEND;
	key_bind(&key, "10.0.0.1");
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 5, 6);
	key.flags = TCP_AUTHOPT_KEY_EXCLUDE_OPTS;
	key_prefix(&key, "10.1.0.0", 16);
	ASSERT_EQ(0, set_key(self->fd4, &key));
	key_init(&key, 7, 8);
	key_bind(&key, "fd00::1");
	ASSERT_EQ(0, set_key(self->fd6, &key));
	key_init(&key, 9, 10);
	key_prefix(&key, "fd00:1::", 64);
	ASSERT_EQ(0, set_key(self->fd6, &key));
	key_init(&key, 200, 100);
	key.flags = TCP_AUTHOPT_KEY_NORECV | TCP_AUTHOPT_KEY_RECV_LIFETIME_END;
	key.recv_lifetime_end = time(NULL) + 3600;
	ASSERT_EQ(0, set_key(self->fd4, &key));

	EXPECT_EQ(6, proc_count(_metadata));
	expect_proc_key(_metadata, 1, 2, 0, TCP_AUTHOPT_ALG_HMAC_SHA_1_96, NULL, -1, 0);
	expect_proc_key(_metadata, 3, 4, TCP_AUTHOPT_KEY_NOSEND | TCP_AUTHOPT_KEY_ADDR_BIND,
			TCP_AUTHOPT_ALG_AES_128_CMAC_96, "10.0.0.1", -1, 0);
	expect_proc_key(_metadata, 5, 6,
			TCP_AUTHOPT_KEY_EXCLUDE_OPTS | TCP_AUTHOPT_KEY_ADDR_BIND |
			TCP_AUTHOPT_KEY_PREFIXLEN,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "10.1.0.0", 16, 0);
	expect_proc_key(_metadata, 7, 8, TCP_AUTHOPT_KEY_ADDR_BIND,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "fd00::1", -1, 0);
	expect_proc_key(_metadata, 9, 10,
			TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_PREFIXLEN,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, "fd00:1::", 64, 0);
	expect_proc_key(_metadata, 200, 100,
			TCP_AUTHOPT_KEY_NORECV | TCP_AUTHOPT_KEY_RECV_LIFETIME_END,
			TCP_AUTHOPT_ALG_HMAC_SHA_1_96, NULL, -1, 0);

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
	key_bind(&key, "fd00::1");
	ASSERT_EQ(0, set_key(self->fd6, &key));

	ASSERT_EQ(2, proc_count(_metadata));
	EXPECT_EQ(NULL, strstr(proc_text, SECRET_KEY));
	EXPECT_EQ(NULL, strstr(proc_text, "SECRETKE"));
	EXPECT_FALSE(text_has_hex(proc_text, SECRET_KEY, false));
	EXPECT_FALSE(text_has_hex(proc_text, SECRET_KEY, true));
	EXPECT_FALSE(text_has_hex(proc_text, "SECRETKE", false));
	EXPECT_FALSE(text_has_hex(proc_text, "SECRETKE", true));
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

	if (sysctl_write("1"))
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
	if (sysctl_write("1"))
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

TEST_HARNESS_MAIN
