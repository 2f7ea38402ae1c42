/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A router between the two ends of the TCP-AO selftests, for tests that
 * need a real network path: loss, delay, reordering, duplication and a
 * smaller MTU on the way.
 *
 *	A: va 198.51.100.2/24  <-->  R: ra 198.51.100.1/24
 *	      2001:db8:a::2/64             2001:db8:a::1/64
 *	                                rb 203.0.113.1/24   <-->  B: vb 203.0.113.2/24
 *	                                   2001:db8:b::1/64             2001:db8:b::2/64
 *
 * R forwards IPv4 and IPv6; A and B route everything through it, with
 * static neighbours. On R, tc netem on ra and rb shapes what leaves towards
 * A and towards B, and an nftables table "mb" with a forward chain "lossy"
 * (created by the first mb_nft()) drops chosen segments. A rule that drops
 * only the first N segments it matches uses a packet limit of N per day:
 * the bucket starts full with N tokens and gets back one token a day, so
 * exactly the first N matches pass the limit (and are dropped) and every
 * later one goes on through the chain. A counter after the limit tells how
 * many were dropped.
 *
 * The links are set up through rtnetlink and the tools run without a
 * shell: under User-Mode Linux, starting a process costs a good part of a
 * second.
 *
 * Needs tc(8) with netem, nft(8) and, for mb_ip(), ip(8); CONFIG_VETH,
 * CONFIG_NET_SCH_NETEM, CONFIG_NF_TABLES_INET and CONFIG_NFT_LIMIT. Include
 * after netns_lib.h.
 */
#ifndef _SELFTESTS_TCP_AUTHOPT_MIDDLEBOX_H
#define _SELFTESTS_TCP_AUTHOPT_MIDDLEBOX_H

#include <net/if.h>
#include <spawn.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "netns_lib.h"

extern char **environ;

#define MB_ADDR4_A	"198.51.100.2"
#define MB_ADDR4_RA	"198.51.100.1"
#define MB_ADDR4_RB	"203.0.113.1"
#define MB_ADDR4_B	"203.0.113.2"
#define MB_ADDR6_A	"2001:db8:a::2"
#define MB_ADDR6_RA	"2001:db8:a::1"
#define MB_ADDR6_RB	"2001:db8:b::1"
#define MB_ADDR6_B	"2001:db8:b::2"

/* Segments forwarded from A towards B, and back. */
#define MB_A2B		"iifname \"ra\" meta l4proto tcp"
#define MB_B2A		"iifname \"rb\" meta l4proto tcp"

/* TCP flag matches. */
#define MB_SYN		"tcp flags & (syn | ack) == syn"
#define MB_SYNACK	"tcp flags & (syn | ack) == syn | ack"
#define MB_FIN		"tcp flags & fin == fin"
#define MB_PURE_ACK	"tcp flags == ack"
/* Longer than any segment without payload (IP + TCP + 40 bytes of options). */
#define MB_DATA		"meta length > 200"

/*
 * Rules for mb_nft(), tagged with the comment @tag, each on a line: drop the
 * first @n (a number) segments that match @match (see the header comment),
 * drop them all, or only count them.
 */
#define MB_RULE(match, stmt, tag) \
	"add rule inet mb lossy " match " " stmt " comment \"" tag "\"\n"
#define MB_DROP_FIRST(match, n, tag) \
	MB_RULE(match, "limit rate 1/day burst " #n " packets counter drop", tag)
#define MB_DROP_ALL(match, tag)	MB_RULE(match, "counter drop", tag)
#define MB_COUNT(match, tag)	MB_RULE(match, "counter", tag)

#define MB_POLL_US	2000	/* polling period of mb_wait_state() */

/* The three namespaces and the TcpExt counters watched on A and B. */
struct mb {
	struct env e;		/* A and B */
	int r;			/* R's namespace */
	char listing[16384];	/* R's rules with their counters, by mb_list() */
};

/*
 * Start @argv (searched in PATH) with a pipe to its standard input, or
 * from its standard output with @read. Returns the pipe's end, or NULL.
 */
static inline FILE *mb_spawn(const char * const *argv, bool read, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int p[2], err;
	FILE *f;

	if (pipe2(p, O_CLOEXEC))
		return NULL;
	err = posix_spawn_file_actions_init(&fa);
	if (!err) {
		err = posix_spawn_file_actions_adddup2(&fa, read ? p[1] : p[0], read ? 1 : 0);
		if (!err)
			err = posix_spawnp(pid, argv[0], &fa, NULL, (char * const *)argv,
					   environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(read ? p[1] : p[0]);
	f = err ? NULL : fdopen(read ? p[0] : p[1], read ? "r" : "w");
	if (!f) {
		close(read ? p[0] : p[1]);
		if (!err)
			waitpid(*pid, NULL, 0);
		errno = err ?: errno;
	}
	return f;
}

/* Close what mb_spawn() returned and reap the process: 0 when it succeeded. */
static inline int mb_reap(FILE *f, pid_t pid)
{
	int status;

	fclose(f);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Feed the text @fmt, ... to the batch reader @argv ("ip -batch -", ...). */
static inline int mb_vbatch(const char * const *argv, const char *prefix, const char *fmt,
			    va_list ap)
{
	pid_t pid;
	FILE *f;

	f = mb_spawn(argv, false, &pid);
	if (!f)
		return -errno;
	if (prefix)
		fputs(prefix, f);
	vfprintf(f, fmt, ap);
	return mb_reap(f, pid);
}

/* ip(8) commands, one a line, in the current namespace. */
static inline int mb_ip(const char *fmt, ...)
{
	static const char * const argv[] = { "ip", "-batch", "-", NULL };
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = mb_vbatch(argv, NULL, fmt, ap);
	va_end(ap);
	return ret;
}

/* tc(8) commands, one a line, in R. */
static inline int mb_tc(struct mb *m, const char *fmt, ...)
{
	static const char * const argv[] = { "tc", "-batch", "-", NULL };
	va_list ap;
	int ret;

	ret = ns_enter(m->r);
	if (ret)
		return ret;
	va_start(ap, fmt);
	ret = mb_vbatch(argv, NULL, fmt, ap);
	va_end(ap);
	return ret;
}

/*
 * nft(8) commands (MB_RULE() lines...) in R, as one transaction, after
 * creating the table and its forward chain if they are not there yet.
 */
static inline int mb_nft(struct mb *m, const char *fmt, ...)
{
	static const char * const argv[] = { "nft", "-f", "-", NULL };
	static const char table[] =
		"add table inet mb\n"
		"add chain inet mb lossy { type filter hook forward priority 0; policy accept; }\n";
	va_list ap;
	int ret;

	ret = ns_enter(m->r);
	if (ret)
		return ret;
	va_start(ap, fmt);
	ret = mb_vbatch(argv, table, fmt, ap);
	va_end(ap);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Links, addresses, neighbours and routes, through rtnetlink               */
/* ------------------------------------------------------------------------ */

/* A request: the header, the fixed part of the message, then attributes. */
struct mb_nl {
	struct nlmsghdr nh;
	char buf[512];
};

/* Start a request of @type: its fixed part of @len bytes, zeroed. */
static inline void *mb_nl_init(struct mb_nl *req, int type, int flags, size_t len)
{
	memset(req, 0, sizeof(*req));
	req->nh.nlmsg_len = NLMSG_LENGTH(len);
	req->nh.nlmsg_type = type;
	req->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&req->nh);
}

/* Append an attribute; a nest when @data is NULL, closed by mb_nl_end(). */
static inline struct rtattr *mb_nl_attr(struct mb_nl *req, int type, const void *data, size_t len)
{
	struct rtattr *rta = (void *)((char *)req + NLMSG_ALIGN(req->nh.nlmsg_len));

	if (NLMSG_ALIGN(req->nh.nlmsg_len) + RTA_SPACE(len) > sizeof(*req))
		abort();
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (data)
		memcpy(RTA_DATA(rta), data, len);
	req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

static inline void mb_nl_end(struct mb_nl *req, struct rtattr *nest)
{
	nest->rta_len = (char *)req + req->nh.nlmsg_len - (char *)nest;
}

/* Send @req in the current namespace: 0 or the kernel's -errno. */
static inline int mb_nl_talk(struct mb_nl *req)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	int fd, ret;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, req, req->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		ret = -errno;
	else if (recv(fd, &ack, sizeof(ack), 0) < (ssize_t)sizeof(ack))
		ret = -EPROTO;	/* the ack comes truncated: only its start matters */
	else
		ret = ack.nh.nlmsg_type == NLMSG_ERROR ? ack.err.error : -EPROTO;
	close(fd);
	return ret;
}

/* Fixed link-layer addresses: the neighbours are static (see mb_end_setup()). */
static const unsigned char mb_mac_ra[6] = { 2, 0, 0, 0, 0x0a, 1 };
static const unsigned char mb_mac_a[6] = { 2, 0, 0, 0, 0x0a, 2 };
static const unsigned char mb_mac_rb[6] = { 2, 0, 0, 0, 0x0b, 1 };
static const unsigned char mb_mac_b[6] = { 2, 0, 0, 0, 0x0b, 2 };

/* veth @name (@mac) here, its peer @peer (@peer_mac) in namespace @peer_ns. */
static inline int mb_veth_add(const char *name, const unsigned char *mac, const char *peer,
			      const unsigned char *peer_mac, int peer_ns)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct rtattr *info, *data, *end;
	struct mb_nl req;

	mb_nl_init(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(ifi));
	mb_nl_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
	mb_nl_attr(&req, IFLA_ADDRESS, mac, 6);
	info = mb_nl_attr(&req, IFLA_LINKINFO, NULL, 0);
	mb_nl_attr(&req, IFLA_INFO_KIND, "veth", sizeof("veth"));
	data = mb_nl_attr(&req, IFLA_INFO_DATA, NULL, 0);
	end = mb_nl_attr(&req, VETH_INFO_PEER, &ifi, sizeof(ifi));
	mb_nl_attr(&req, IFLA_IFNAME, peer, strlen(peer) + 1);
	mb_nl_attr(&req, IFLA_ADDRESS, peer_mac, 6);
	mb_nl_attr(&req, IFLA_NET_NS_FD, &peer_ns, sizeof(peer_ns));
	mb_nl_end(&req, end);
	mb_nl_end(&req, data);
	mb_nl_end(&req, info);
	return mb_nl_talk(&req);
}

/* Bring @dev up; with @gso_max_segs unless 0. */
static inline int mb_link_up(const char *dev, __u32 gso_max_segs)
{
	struct ifinfomsg *ifi;
	struct mb_nl req;

	ifi = mb_nl_init(&req, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_index = if_nametoindex(dev);
	if (!ifi->ifi_index)
		return -ENODEV;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (gso_max_segs)
		mb_nl_attr(&req, IFLA_GSO_MAX_SEGS, &gso_max_segs, sizeof(gso_max_segs));
	return mb_nl_talk(&req);
}

/* Fill @buf with the numeric address @addr: its family. */
static inline int mb_addr(const char *addr, void *buf)
{
	int family = addr_family(addr);

	if (inet_pton(family, addr, buf) != 1)
		abort();
	return family;
}

/* @addr/@prefixlen on @dev (IPv6 without duplicate address detection). */
static inline int mb_addr_add(const char *dev, const char *addr, int prefixlen)
{
	struct ifaddrmsg *ifa;
	unsigned char a[16];
	struct mb_nl req;

	ifa = mb_nl_init(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	ifa->ifa_family = mb_addr(addr, a);
	ifa->ifa_prefixlen = prefixlen;
	ifa->ifa_flags = ifa->ifa_family == AF_INET6 ? IFA_F_NODAD : 0;
	ifa->ifa_index = if_nametoindex(dev);
	if (!ifa->ifa_index)
		return -ENODEV;
	mb_nl_attr(&req, IFA_LOCAL, a, ifa->ifa_family == AF_INET6 ? 16 : 4);
	mb_nl_attr(&req, IFA_ADDRESS, a, ifa->ifa_family == AF_INET6 ? 16 : 4);
	return mb_nl_talk(&req);
}

/* A permanent neighbour @addr at @mac on @dev. */
static inline int mb_neigh_add(const char *dev, const char *addr, const unsigned char *mac)
{
	unsigned char a[16];
	struct mb_nl req;
	struct ndmsg *nd;

	nd = mb_nl_init(&req, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, sizeof(*nd));
	nd->ndm_family = mb_addr(addr, a);
	nd->ndm_state = NUD_PERMANENT;
	nd->ndm_ifindex = if_nametoindex(dev);
	if (!nd->ndm_ifindex)
		return -ENODEV;
	mb_nl_attr(&req, NDA_DST, a, nd->ndm_family == AF_INET6 ? 16 : 4);
	mb_nl_attr(&req, NDA_LLADDR, mac, 6);
	return mb_nl_talk(&req);
}

/* The default route of @gw's family, through @gw on @dev. */
static inline int mb_route_default(const char *dev, const char *gw)
{
	unsigned char a[16];
	struct mb_nl req;
	struct rtmsg *rtm;
	int oif;

	rtm = mb_nl_init(&req, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(*rtm));
	rtm->rtm_family = mb_addr(gw, a);
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	oif = if_nametoindex(dev);
	if (!oif)
		return -ENODEV;
	mb_nl_attr(&req, RTA_GATEWAY, a, rtm->rtm_family == AF_INET6 ? 16 : 4);
	mb_nl_attr(&req, RTA_OIF, &oif, sizeof(oif));
	return mb_nl_talk(&req);
}

/* ------------------------------------------------------------------------ */
/* Setup                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * In the current namespace (A or B): the end's addresses on @dev, routes
 * through R at @gw4/@gw6 (link-layer address @gw_mac), the TCP options the
 * tests count on, TCP-AO enabled.
 */
static inline int mb_end_setup(const char *dev, const char *addr4, const char *addr6,
			       const char *gw4, const char *gw6, const unsigned char *gw_mac)
{
	int ret;

	/*
	 * One segment per packet, also for plain TCP (TCP-AO never uses GSO):
	 * what R drops or reorders is then a segment on both. Permanent
	 * neighbours: resolution races with the links coming up (an IPv6 one
	 * can cost a SYN or SYN-ACK) and would add losses of its own.
	 */
	ret = mb_link_up("lo", 0) ?:
	      mb_link_up(dev, 1) ?:
	      mb_addr_add(dev, addr4, 24) ?:
	      mb_addr_add(dev, addr6, 64) ?:
	      mb_neigh_add(dev, gw4, gw_mac) ?:
	      mb_neigh_add(dev, gw6, gw_mac) ?:
	      mb_route_default(dev, gw4) ?:
	      mb_route_default(dev, gw6);
	if (ret)
		return ret;
	/* Orphans a test leaves behind must not keep the namespace for minutes. */
	return sysctl_write("/proc/sys/net/ipv4/tcp_orphan_retries", "1") ?:
	       sysctl_write("/proc/sys/net/ipv4/tcp_fin_timeout", "1") ?:
	       sysctl_write("/proc/sys/net/ipv4/tcp_sack", "1") ?:
	       sysctl_write("/proc/sys/net/ipv4/tcp_timestamps", "1") ?:
	       sysctl_write("/proc/sys/net/ipv4/tcp_dsack", "1") ?:
	       sysctl_enable();
}

/* In R: both links, static neighbours, forwarding. */
static inline int mb_router_setup(int ns_a, int ns_b)
{
	return mb_link_up("lo", 0) ?:
	       mb_veth_add("ra", mb_mac_ra, "va", mb_mac_a, ns_a) ?:
	       mb_veth_add("rb", mb_mac_rb, "vb", mb_mac_b, ns_b) ?:
	       mb_addr_add("ra", MB_ADDR4_RA, 24) ?:
	       mb_addr_add("ra", MB_ADDR6_RA, 64) ?:
	       mb_addr_add("rb", MB_ADDR4_RB, 24) ?:
	       mb_addr_add("rb", MB_ADDR6_RB, 64) ?:
	       mb_link_up("ra", 0) ?:
	       mb_link_up("rb", 0) ?:
	       mb_neigh_add("ra", MB_ADDR4_A, mb_mac_a) ?:
	       mb_neigh_add("ra", MB_ADDR6_A, mb_mac_a) ?:
	       mb_neigh_add("rb", MB_ADDR4_B, mb_mac_b) ?:
	       mb_neigh_add("rb", MB_ADDR6_B, mb_mac_b) ?:
	       sysctl_write("/proc/sys/net/ipv4/ip_forward", "1") ?:
	       sysctl_write("/proc/sys/net/ipv6/conf/all/forwarding", "1");
}

static inline int mb_netns_new(int *fd)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	*fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

/* Build A, R and B; returns with the process in A. */
static inline int mb_netns_setup(struct mb *m)
{
	int ret;

	ret = mb_netns_new(&m->e.ns[A]) ?: mb_netns_new(&m->e.ns[B]) ?: mb_netns_new(&m->r) ?:
	      mb_router_setup(m->e.ns[A], m->e.ns[B]);
	if (ret)
		return ret;
	ret = ns_enter(m->e.ns[B]) ?:
	      mb_end_setup("vb", MB_ADDR4_B, MB_ADDR6_B, MB_ADDR4_RB, MB_ADDR6_RB, mb_mac_rb);
	if (ret)
		return ret;
	return ns_enter(m->e.ns[A]) ?:
	       mb_end_setup("va", MB_ADDR4_A, MB_ADDR6_A, MB_ADDR4_RA, MB_ADDR6_RA, mb_mac_ra);
}

/* Build the topology and read the first @counters TcpExt counters of A and B. */
static inline void mb_setup(struct __test_metadata *_metadata, struct mb *m, int counters)
{
	int side, c, ret;

	m->r = -1;
	for (side = A; side <= B; side++) {
		m->e.ns[side] = -1;
		m->e.netstat[side] = -1;
		m->e.snmp[side] = -1;
	}
	m->e.counters = counters;
	ret = mb_netns_setup(m);
	ASSERT_EQ(0, ret) TH_LOG("namespaces, links and router setup: %s", strerror(-ret));
	for (side = A; side <= B; side++) {
		ASSERT_EQ(0, ns_enter(m->e.ns[side]));
		m->e.netstat[side] = open("/proc/self/net/netstat", O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, m->e.netstat[side]) TH_LOG("/proc/net/netstat: %m");
		m->e.snmp[side] = open("/proc/self/net/snmp", O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, m->e.snmp[side]) TH_LOG("/proc/net/snmp: %m");
		for (c = 0; c < counters; c++) {
			m->e.before[side][c] = tcpext_counter(m->e.netstat[side], counter_name[c]);
			ASSERT_LE(0, m->e.before[side][c])
				TH_LOG("no TcpExt %s in /proc/net/netstat", counter_name[c]);
		}
	}
}

static inline void mb_teardown(struct mb *m)
{
	env_teardown(&m->e);
	if (m->r >= 0)
		close(m->r);
}

/* ------------------------------------------------------------------------ */
/* On R                                                                     */
/* ------------------------------------------------------------------------ */

/* Remove every rule. */
static inline int mb_flush(struct mb *m)
{
	return mb_nft(m, "flush chain inet mb lossy\n");
}

/* Take a snapshot of R's rules and their counters, for mb_counter(). */
static inline int mb_list(struct mb *m)
{
	static const char * const argv[] = { "nft", "list", "chain", "inet", "mb", "lossy", NULL };
	size_t len;
	pid_t pid;
	FILE *f;
	int ret;

	m->listing[0] = '\0';
	ret = ns_enter(m->r);
	if (ret)
		return ret;
	f = mb_spawn(argv, true, &pid);
	if (!f)
		return -errno;
	len = fread(m->listing, 1, sizeof(m->listing) - 1, f);
	m->listing[len] = '\0';
	return mb_reap(f, pid);
}

/* Packets counted by the rule tagged @tag in the last mb_list(), or -1. */
static inline long long mb_counter(struct mb *m, const char *tag)
{
	static const char counter[] = "counter packets ";
	const char *line, *end, *p;
	char want[64];

	snprintf(want, sizeof(want), "comment \"%s\"", tag);
	for (line = m->listing; *line; line = end + 1) {
		end = strchrnul(line, '\n');
		p = strstr(line, want);
		if (p && p < end) {
			p = strstr(line, counter);
			return p && p < end ? strtoll(p + strlen(counter), NULL, 10) : -1;
		}
		if (!*end)
			break;
	}
	return -1;
}

/* netem @params on both of R's links (towards A and towards B); NULL: none. */
static inline int mb_netem(struct mb *m, const char *params)
{
	if (!params)
		return mb_tc(m, "qdisc del dev ra root\nqdisc del dev rb root\n");
	return mb_tc(m, "qdisc replace dev ra root netem %s\nqdisc replace dev rb root netem %s\n",
		     params, params);
}

/* ------------------------------------------------------------------------ */
/* Socket states                                                            */
/* ------------------------------------------------------------------------ */

/* TCP states as TCP_INFO and /proc/net/tcp show them (include/net/tcp_states.h). */
enum {
	MB_ESTABLISHED = 1,
	MB_SYN_SENT,
	MB_SYN_RECV,
	MB_FIN_WAIT1,
	MB_FIN_WAIT2,
	MB_TIME_WAIT,
	MB_CLOSE,
	MB_CLOSE_WAIT,
	MB_LAST_ACK,
	MB_LISTEN,
	MB_CLOSING,
};

static inline int mb_tcp_info(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) ? -errno : 0;
}

/* tcpi_state of @fd, or -errno. */
static inline int mb_state(int fd)
{
	struct tcp_info ti;
	int ret = mb_tcp_info(fd, &ti);

	return ret ? ret : ti.tcpi_state;
}

/* Wait until @fd is in @state: 0, -ETIMEDOUT (with *@last the last state seen) or -errno. */
static inline int mb_wait_state(int fd, int state, int timeout_ms, int *last)
{
	struct timespec t0;
	int cur;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		cur = mb_state(fd);
		if (last)
			*last = cur;
		if (cur < 0)
			return cur;
		if (cur == state)
			return 0;
		if (elapsed_ms(&t0) >= timeout_ms)
			return -ETIMEDOUT;
		usleep(MB_POLL_US);
	}
}

/*
 * The state of the socket of the current namespace from local port @lport
 * to remote port @rport in /proc/net/tcp and tcp6 (TIME-WAIT ones
 * included), or 0 when there is none.
 */
static inline int mb_proc_state(int lport, int rport)
{
	static const char * const files[] = { "/proc/self/net/tcp", "/proc/self/net/tcp6" };
	unsigned int l, r, st;
	char line[512];
	int found = 0;
	size_t i;
	FILE *f;

	for (i = 0; i < ARRAY_SIZE(files) && !found; i++) {
		f = fopen(files[i], "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %x",
				   &l, &r, &st) != 3)
				continue;
			if ((int)l == lport && (int)r == rport && st != MB_LISTEN) {
				found = st;
				break;
			}
		}
		fclose(f);
	}
	return found;
}

/* Local port of @fd, or -1. */
static inline int mb_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Wait for end of stream on @fd (nothing else may come): 0, -ETIMEDOUT, -EPROTO or -errno. */
static inline int mb_wait_eof(int fd, int timeout_ms)
{
	char c;
	int ret;

	ret = wait_fd(fd, POLLIN, timeout_ms);
	if (ret <= 0)
		return ret ? ret : -ETIMEDOUT;
	ret = recv(fd, &c, 1, MSG_DONTWAIT);
	if (ret < 0)
		return -errno;
	return ret ? -EPROTO : 0;
}

#endif /* _SELFTESTS_TCP_AUTHOPT_MIDDLEBOX_H */
