// SPDX-License-Identifier: GPL-2.0
/*
 * Upstream Linux's TCP-AO socket options (TCP_AO_ADD_KEY, TCP_AO_DEL_KEY,
 * TCP_AO_INFO, TCP_AO_GET_KEYS, TCP_AO_REPAIR) on our kernel: told apart
 * from ours by their sizes, one interface per socket, keys that belong to
 * the socket, accepted sockets with copies of their listener's keys, the
 * per-socket and per-key counters, and never TCP-MD5 and TCP-AO for one
 * peer. Checkpoint and restore through TCP_AO_REPAIR: repair.c.
 *
 * Two network namespaces, A and B, joined by a veth pair (netns_lib.h);
 * B listens, A connects. HMAC-SHA-1-96 and HMAC-SHA-256 over IPv4,
 * AES-128-CMAC-96 and HMAC-SHA-512 over IPv6.
 *
 * Needs root, ip(8), CONFIG_VETH and CONFIG_TCP_MD5SIG.
 */
#define _GNU_SOURCE
#include "netns_lib.h"

#ifndef TCP_AO_ADD_KEY
#error "needs the uapi headers of a kernel with upstream's TCP-AO options"
#endif

#define PORT		179
#define SND_A		100
#define SND_B		101
#define SECRET		"tcp-ao upstream abi selftest"
#define BYTES		(64u << 10)
#define NO_CONNECT_MS	1500

FIXTURE(uabi) {
	struct env e;
	int listener, client, server;
};

FIXTURE_VARIANT(uabi) {
	const char *alg;
	const char *addr[2];
	int maclen;	/* of the connection's keys; 0: the default, 12 */
};

FIXTURE_VARIANT_ADD(uabi, hmac_sha1_ipv4) {
	.alg = "hmac(sha1)",
	.addr = { ADDR4_A, ADDR4_B },
};

/* MAC lengths other than 96 bits: the option is 4 + maclen bytes. */
FIXTURE_VARIANT_ADD(uabi, aes_cmac_ipv6_mac16) {
	.alg = "cmac(aes128)",
	.addr = { ADDR6_A, ADDR6_B },
	.maclen = 16,
};

/* Upstream's ABI only: HMAC-SHA-2 (hmac(sha256) is what BIRD offers). */
FIXTURE_VARIANT_ADD(uabi, hmac_sha256_ipv4_mac4) {
	.alg = "hmac(sha256)",
	.addr = { ADDR4_A, ADDR4_B },
	.maclen = 4,
};

FIXTURE_VARIANT_ADD(uabi, hmac_sha512_ipv6) {
	.alg = "hmac(sha512)",
	.addr = { ADDR6_A, ADDR6_B },
	.maclen = 12,
};

/* The crypto API's other hashes; an odd MAC length, padded with NOPs. */
FIXTURE_VARIANT_ADD(uabi, hmac_sha3_512_ipv4_mac1) {
	.alg = "hmac(sha3-512)",
	.addr = { ADDR4_A, ADDR4_B },
	.maclen = 1,
};

FIXTURE_VARIANT_ADD(uabi, hmac_rmd160_ipv6_mac15) {
	.alg = "hmac(rmd160)",
	.addr = { ADDR6_A, ADDR6_B },
	.maclen = 15,
};

FIXTURE_VARIANT_ADD(uabi, hmac_md5_ipv4_mac8) {
	.alg = "hmac(md5)",
	.addr = { ADDR4_A, ADDR4_B },
	.maclen = 8,
};

FIXTURE_SETUP(uabi)
{
	self->listener = -1;
	self->client = -1;
	self->server = -1;
	env_setup(_metadata, &self->e, netns_pair_setup, C_COUNT);
}

FIXTURE_TEARDOWN(uabi)
{
	if (self->server >= 0)
		close(self->server);
	if (self->client >= 0)
		close(self->client);
	if (self->listener >= 0)
		close(self->listener);
	env_teardown(&self->e);
}

/* A key for @peer (full-width prefix) on @fd, its MAC @maclen bytes (0:
 * the default): 0 or -errno.
 */
static int ao_add_len(int fd, const char *alg, const char *peer, int sndid, int rcvid,
		      const char *secret, int maclen)
{
	return ao_add_net(fd, alg, peer, addr_family(peer) == AF_INET6 ? 128 : 32, sndid,
			  rcvid, secret, maclen);
}

static int ao_add(int fd, const char *alg, const char *peer, int sndid, int rcvid,
		  const char *secret)
{
	return ao_add_len(fd, alg, peer, sndid, rcvid, secret, 0);
}

/* Delete a key; with @next >= 0, make the key with that SendID current. */
static int ao_del_next(int fd, const char *peer, int sndid, int rcvid, int next)
{
	struct tcp_ao_del del;
	struct sockaddr_storage ss;

	memset(&del, 0, sizeof(del));
	sockaddr_fill(&ss, peer, 0);
	memcpy(&del.addr, &ss, sizeof(ss));
	del.prefix = addr_family(peer) == AF_INET6 ? 128 : 32;
	del.sndid = sndid;
	del.rcvid = rcvid;
	del.set_current = next >= 0;
	del.current_key = next >= 0 ? next : 0;
	return setsockopt(fd, IPPROTO_TCP, TCP_AO_DEL_KEY, &del, sizeof(del)) ? -errno : 0;
}

static int ao_del(int fd, const char *peer, int sndid, int rcvid)
{
	return ao_del_next(fd, peer, sndid, rcvid, -1);
}

static int ao_info(int fd, struct tcp_ao_info_opt *info)
{
	socklen_t len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return getsockopt(fd, IPPROTO_TCP, TCP_AO_INFO, info, &len) ? -errno : 0;
}

/* TCP_AO_GET_KEYS with whatever @keys holds: 0 or -errno. */
static int ao_keys_raw(int fd, struct tcp_ao_getsockopt *keys)
{
	socklen_t len = sizeof(*keys);

	return getsockopt(fd, IPPROTO_TCP, TCP_AO_GET_KEYS, keys, &len) ? -errno : 0;
}

/* Every key of @fd into @keys (room for @n): the number of keys, or -errno. */
static int ao_keys(int fd, struct tcp_ao_getsockopt *keys, unsigned int n)
{
	socklen_t len = sizeof(*keys);

	memset(keys, 0, n * sizeof(*keys));
	keys[0].nkeys = n;
	keys[0].get_all = 1;
	if (getsockopt(fd, IPPROTO_TCP, TCP_AO_GET_KEYS, keys, &len))
		return -errno;
	return keys[0].nkeys;
}

/* The listener's key has @b_secret and a MAC of @b_maclen bytes. */
static void add_keys_len(struct __test_metadata *_metadata, struct _test_data_uabi *self,
			 const struct _fixture_variant_uabi *variant, const char *b_secret,
			 int b_maclen)
{
	int fam = addr_family(variant->addr[A]);

	self->listener = socket_in(_metadata, &self->e, B, fam, UNTOUCHED, NULL,
				   variant->addr[B], PORT);
	ASSERT_EQ(0, ao_add_len(self->listener, variant->alg, variant->addr[A], SND_B, SND_A,
				b_secret, b_maclen));
	ASSERT_EQ(0, listen(self->listener, 8));
	self->client = socket_in(_metadata, &self->e, A, fam, UNTOUCHED, NULL, NULL, 0);
	ASSERT_EQ(0, ao_add_len(self->client, variant->alg, variant->addr[B], SND_A, SND_B,
				SECRET, variant->maclen));
}

static void add_keys(struct __test_metadata *_metadata, struct _test_data_uabi *self,
		     const struct _fixture_variant_uabi *variant, const char *b_secret)
{
	add_keys_len(_metadata, self, variant, b_secret, variant->maclen);
}

/* One interface per socket, in both orders. */
TEST_F(uabi, one_abi_per_socket)
{
	int fam = addr_family(variant->addr[A]), fd;

	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	fd = tcp_socket(fam, 0);	/* TCP_AUTHOPT: ours */
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, ao_add(fd, variant->alg, variant->addr[B], SND_A, SND_B, SECRET));
	close(fd);
	fd = tcp_socket(fam, UNTOUCHED);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ao_add(fd, variant->alg, variant->addr[B], SND_A, SND_B, SECRET));
	EXPECT_EQ(-EBUSY, authopt_set(fd, 0, 0, 0));
	close(fd);
}

TEST_F(uabi, key_errors)
{
	struct tcp_ao_getsockopt keys[2];
	int fd;

	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	fd = tcp_socket(addr_family(variant->addr[A]), UNTOUCHED);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, ao_del(fd, variant->addr[B], SND_A, SND_B));
	EXPECT_EQ(-ENOENT, ao_add(fd, "hmac(nosuchhash)", variant->addr[B], SND_A, SND_B,
				  SECRET));
	ASSERT_EQ(0, ao_add(fd, variant->alg, variant->addr[B], SND_A, SND_B, SECRET));
	/* Never replaced; RFC 5925 3.1: no shared ids for one peer. */
	EXPECT_EQ(-EEXIST, ao_add(fd, variant->alg, variant->addr[B], SND_A, SND_B, SECRET));
	EXPECT_EQ(-EEXIST, ao_add(fd, variant->alg, variant->addr[B], SND_A, 7, SECRET));
	ASSERT_EQ(1, ao_keys(fd, keys, 2));
	EXPECT_EQ(SND_A, keys[0].sndid);
	EXPECT_EQ(SND_B, keys[0].rcvid);
	EXPECT_EQ(12, keys[0].maclen);
	/* Upstream reports the crypto API's name of AES-128-CMAC. */
	EXPECT_STREQ(strcmp(variant->alg, "cmac(aes128)") ? variant->alg : "cmac(aes)",
		     keys[0].alg_name);
	/* The key going away cannot be the next current one. */
	EXPECT_EQ(-ENOENT, ao_del_next(fd, variant->addr[B], SND_A, SND_B, SND_A));
	/* A MAC no SYN has room for beside MSS, timestamps, window scale. */
	EXPECT_EQ(-EMSGSIZE, ao_add_len(fd, variant->alg, variant->addr[B], 1, 1, SECRET, 17));
	EXPECT_EQ(-EMSGSIZE, ao_add_len(fd, variant->alg, variant->addr[B], 1, 1, SECRET, 37));
	EXPECT_EQ(0, ao_del(fd, variant->addr[B], SND_A, SND_B));
	EXPECT_EQ(0, ao_keys(fd, keys, 2));
	/* Up to 16 bytes, reported as asked for. */
	ASSERT_EQ(0, ao_add_len(fd, variant->alg, variant->addr[B], 2, 2, SECRET, 16));
	ASSERT_EQ(0, ao_add_len(fd, variant->alg, variant->addr[B], 3, 3, SECRET, 1));
	ASSERT_EQ(2, ao_keys(fd, keys, 2));
	EXPECT_EQ(keys[0].sndid == 2 ? 16 : 1, keys[0].maclen);
	EXPECT_EQ(keys[1].sndid == 2 ? 16 : 1, keys[1].maclen);
	close(fd);
	/* No state of upstream's, whatever was asked. */
	fd = tcp_socket(addr_family(variant->addr[A]), UNTOUCHED);
	ASSERT_LE(0, fd);
	memset(keys, 0xff, sizeof(keys));
	EXPECT_EQ(-ENOENT, ao_keys_raw(fd, keys));
	close(fd);
}

/*
 * Upstream's RFC 5925 3.1 rule: ids shared by keys whose peers overlap are
 * refused, however specific either is (ours lets the longer prefix win).
 */
TEST_F(uabi, overlapping_ids)
{
	bool v6 = addr_family(variant->addr[A]) == AF_INET6;
	const char *any = v6 ? "::" : "0.0.0.0";
	int fd;

	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	fd = tcp_socket(v6 ? AF_INET6 : AF_INET, UNTOUCHED);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ao_add_net(fd, variant->alg, any, 0, SND_A, SND_B, SECRET, 0));
	EXPECT_EQ(-EEXIST, ao_add(fd, variant->alg, variant->addr[B], SND_A, 1, SECRET));
	EXPECT_EQ(-EEXIST, ao_add(fd, variant->alg, variant->addr[B], 1, SND_B, SECRET));
	/* Other ids for the same peer are fine. */
	EXPECT_EQ(0, ao_add(fd, variant->alg, variant->addr[B], 1, 1, SECRET));
	close(fd);
}

/* Current and RNext keys set before connecting read back, and stay. */
TEST_F(uabi, current_rnext_before_connect)
{
	struct tcp_ao_getsockopt keys[4];
	struct tcp_ao_info_opt info;
	socklen_t len = sizeof(info);
	int fd, i;

	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	fd = tcp_socket(addr_family(variant->addr[A]), UNTOUCHED);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ao_add(fd, variant->alg, variant->addr[B], SND_A, SND_B, SECRET));
	ASSERT_EQ(0, ao_add(fd, variant->alg, variant->addr[B], SND_A + 2, SND_B + 2, SECRET));
	/* None is current yet, not even one with KeyIDs 0. */
	ASSERT_EQ(0, ao_add(fd, variant->alg, variant->addr[B], 0, 0, SECRET));
	ASSERT_EQ(0, ao_info(fd, &info));
	EXPECT_EQ(0, (int)info.set_current);
	EXPECT_EQ(0, (int)info.set_rnext);
	ASSERT_EQ(3, ao_keys(fd, keys, 4));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, (int)keys[i].is_current) TH_LOG("key %u", keys[i].sndid);
		EXPECT_EQ(0, (int)keys[i].is_rnext) TH_LOG("key %u", keys[i].rcvid);
	}
	memset(&info, 0, sizeof(info));
	info.set_current = 1;
	info.current_key = SND_A + 2;
	info.set_rnext = 1;
	info.rnext = SND_B + 2;
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_AO_INFO, &info, len));
	info.current_key = 99;	/* no such key */
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_AO_INFO, &info, len));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, ao_info(fd, &info));
	EXPECT_EQ(1, (int)info.set_current);
	EXPECT_EQ(SND_A + 2, info.current_key);
	EXPECT_EQ(1, (int)info.set_rnext);
	EXPECT_EQ(SND_B + 2, info.rnext);
	ASSERT_EQ(3, ao_keys(fd, keys, 4));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(keys[i].sndid == SND_A + 2, (int)keys[i].is_current);
		EXPECT_EQ(keys[i].rcvid == SND_B + 2, (int)keys[i].is_rnext);
	}
	EXPECT_EQ(-EBUSY, ao_del(fd, variant->addr[B], SND_A + 2, SND_B + 2));
	EXPECT_EQ(0, ao_del(fd, variant->addr[B], SND_A, SND_B));
	close(fd);
}

/* Any user may add keys: no more than net.core.optmem_max bytes a socket. */
TEST_F(uabi, key_limit)
{
	const char *path = "/proc/sys/net/core/optmem_max";
	bool v6 = addr_family(variant->addr[A]) == AF_INET6;
	int fd, initns, i, ret = 0;
	char old[32] = "";
	char addr[64];
	FILE *f;

	/* A host-wide setting, in the initial namespace (PID 1's). */
	initns = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, initns);
	ASSERT_EQ(0, ns_enter(initns));
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(old, sizeof(old), f));
	fclose(f);
	old[strcspn(old, "\n")] = '\0';
	ASSERT_EQ(0, sysctl_write(path, "20480"));
	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	fd = tcp_socket(v6 ? AF_INET6 : AF_INET, UNTOUCHED);
	ASSERT_LE(0, fd);
	for (i = 0; i < 250 && !ret; i++) {
		/* One peer per key. */
		snprintf(addr, sizeof(addr), v6 ? "2001:db8::%x" : "198.51.100.%d", i + 1);
		ret = ao_add(fd, variant->alg, addr, 1, 1, SECRET);
	}
	EXPECT_EQ(-ENOMEM, ret) TH_LOG("%d keys added", i);
	EXPECT_LT(10, i);
	close(fd);
	ASSERT_EQ(0, ns_enter(initns));
	EXPECT_EQ(0, sysctl_write(path, old));
	close(initns);
}

/* Signed both ways, counted per socket and per key on both ends. */
TEST_F(uabi, connect_counted)
{
	struct tcp_ao_getsockopt keys[2];
	struct tcp_ao_info_opt info;
	int side, fd;

	add_keys(_metadata, self, variant, SECRET);
	self->server = connect_accept(_metadata, self->client, self->listener,
				      variant->addr[B], PORT);
	exchange(_metadata, self->client, self->server, BYTES, false);
	for (side = A; side <= B; side++) {
		fd = side == A ? self->client : self->server;
		ASSERT_EQ(0, ao_info(fd, &info));
		EXPECT_LT(3, info.pkt_good) TH_LOG("%s", side_name(side));
		EXPECT_EQ(0, info.pkt_bad);
		EXPECT_EQ(0, info.pkt_key_not_found);
		EXPECT_EQ(0, info.pkt_ao_required);
		EXPECT_EQ(1, (int)info.set_current);
		EXPECT_EQ(side == A ? SND_A : SND_B, info.current_key);
		ASSERT_EQ(1, ao_keys(fd, keys, 2));
		EXPECT_EQ(info.pkt_good, keys[0].pkt_good) TH_LOG("%s", side_name(side));
		EXPECT_EQ(1, (int)keys[0].is_current);
	}
	expect_counters_unchanged(_metadata, &self->e);
}

/* A MAC of another length than the key's is a bad MAC (TCPAOBad). */
TEST_F(uabi, wrong_maclen)
{
	long long bad = tcpext_counter(self->e.netstat[B], "TCPAOBad");
	struct tcp_ao_info_opt info;

	add_keys_len(_metadata, self, variant, SECRET, variant->maclen == 8 ? 12 : 8);
	expect_no_connection(_metadata, self->client, self->listener, variant->addr[B], PORT,
			     NO_CONNECT_MS);
	ASSERT_EQ(0, ao_info(self->listener, &info));
	EXPECT_LT(0, info.pkt_bad);
	EXPECT_EQ(0, info.pkt_good);
	EXPECT_LE(0, bad);
	EXPECT_LT(bad, tcpext_counter(self->e.netstat[B], "TCPAOBad"));
	EXPECT_LT(0, counter_delta(_metadata, &self->e, B, C_BADMAC));
}

TEST_F(uabi, wrong_key)
{
	struct tcp_ao_info_opt info;

	add_keys(_metadata, self, variant, "not the same secret");
	expect_no_connection(_metadata, self->client, self->listener, variant->addr[B], PORT,
			     NO_CONNECT_MS);
	ASSERT_EQ(0, ao_info(self->listener, &info));
	EXPECT_LT(0, info.pkt_bad);
	EXPECT_EQ(0, info.pkt_good);
}

/*
 * Upstream's choices that applications may rely on: at connect() the keys
 * for other peers go and the key added last is current and RNext; an
 * accepted socket sends with the key the SYN asked for and asks for the
 * one it came with; the peer's RNextKeyID wins over a current key set
 * later; a connected socket takes no key for another peer.
 */
TEST_F(uabi, connect_key_choice)
{
	const char *other = addr_family(variant->addr[B]) == AF_INET6 ?
			    "2001:db8:ffff::99" : "203.0.113.99";
	int fam = addr_family(variant->addr[A]), ml = variant->maclen;
	struct tcp_ao_getsockopt keys[4];
	struct tcp_ao_info_opt info;
	int side, fd;

	self->listener = socket_in(_metadata, &self->e, B, fam, UNTOUCHED, NULL,
				   variant->addr[B], PORT);
	ASSERT_EQ(0, ao_add_len(self->listener, variant->alg, variant->addr[A], SND_B, SND_A,
				SECRET, ml));
	ASSERT_EQ(0, ao_add_len(self->listener, variant->alg, variant->addr[A], SND_B + 2,
				SND_A + 2, SECRET, ml));
	ASSERT_EQ(0, listen(self->listener, 8));
	self->client = socket_in(_metadata, &self->e, A, fam, UNTOUCHED, NULL, NULL, 0);
	ASSERT_EQ(0, ao_add_len(self->client, variant->alg, variant->addr[B], SND_A, SND_B,
				SECRET, ml));
	ASSERT_EQ(0, ao_add_len(self->client, variant->alg, other, 1, 1, SECRET, ml));
	ASSERT_EQ(0, ao_add_len(self->client, variant->alg, variant->addr[B], SND_A + 2,
				SND_B + 2, SECRET, ml));
	self->server = connect_accept(_metadata, self->client, self->listener,
				      variant->addr[B], PORT);
	exchange(_metadata, self->client, self->server, BYTES, false);
	ASSERT_EQ(2, ao_keys(self->client, keys, 4));
	EXPECT_NE(1, keys[0].sndid);
	EXPECT_NE(1, keys[1].sndid);
	for (side = A; side <= B; side++) {
		fd = side == A ? self->client : self->server;
		ASSERT_EQ(0, ao_info(fd, &info));
		EXPECT_EQ(side == A ? SND_A + 2 : SND_B + 2, info.current_key)
			TH_LOG("%s", side_name(side));
		EXPECT_EQ(side == A ? SND_B + 2 : SND_A + 2, info.rnext)
			TH_LOG("%s", side_name(side));
	}
	/* The server still asks for SND_A + 2: the client goes back to it. */
	memset(&info, 0, sizeof(info));
	info.set_current = 1;
	info.current_key = SND_A;
	ASSERT_EQ(0, setsockopt(self->client, IPPROTO_TCP, TCP_AO_INFO, &info, sizeof(info)));
	exchange(_metadata, self->client, self->server, BYTES, false);
	ASSERT_EQ(0, ao_info(self->client, &info));
	EXPECT_EQ(SND_A + 2, info.current_key);
	EXPECT_EQ(-EINVAL, ao_add_len(self->client, variant->alg, other, 1, 1, SECRET, ml));
	expect_counters_unchanged(_metadata, &self->e);
}

/* The accepted socket's keys are its own: the listener's go, it goes on. */
TEST_F(uabi, child_keys_are_copies)
{
	struct tcp_ao_getsockopt keys[2];

	add_keys(_metadata, self, variant, SECRET);
	self->server = connect_accept(_metadata, self->client, self->listener,
				      variant->addr[B], PORT);
	ASSERT_EQ(0, ao_del(self->listener, variant->addr[A], SND_B, SND_A));
	EXPECT_EQ(0, ao_keys(self->listener, keys, 2));
	EXPECT_EQ(1, ao_keys(self->server, keys, 2));
	exchange(_metadata, self->client, self->server, BYTES, true);
	expect_counters_unchanged(_metadata, &self->e);
}

/* The key in use stays while the connection lives. */
TEST_F(uabi, key_in_use_stays)
{
	add_keys(_metadata, self, variant, SECRET);
	self->server = connect_accept(_metadata, self->client, self->listener,
				      variant->addr[B], PORT);
	EXPECT_EQ(-EBUSY, ao_del(self->client, variant->addr[B], SND_A, SND_B));
	exchange(_metadata, self->client, self->server, BYTES, true);
}

/*
 * One peer never has both TCP-MD5 and TCP-AO on an upstream-ABI socket:
 * each refuses a key where the other has one (EKEYREJECTED), ao_required
 * refuses MD5 keys, and connect() refuses a peer both apply to.
 */
TEST_F(uabi, md5_exclusion)
{
	bool v6 = addr_family(variant->addr[A]) == AF_INET6;
	const char *net = v6 ? "2001:db8::" : "198.51.100.0";
	struct tcp_ao_info_opt info;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ret;

	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	fd = tcp_socket(v6 ? AF_INET6 : AF_INET, UNTOUCHED);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, md5_set(fd, variant->addr[B], "md5 secret"));
	EXPECT_EQ(-EKEYREJECTED, ao_add(fd, variant->alg, variant->addr[B], SND_A, SND_B,
					SECRET));
	/* Keys for other peers are fine, but then not ao_required. */
	ASSERT_EQ(0, ao_add(fd, variant->alg, v6 ? "2001:db8:1::1" : "203.0.113.1", SND_A,
			    SND_B, SECRET));
	ASSERT_EQ(0, ao_info(fd, &info));
	info.ao_required = 1;
	len = sizeof(info);
	errno = 0;
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_AO_INFO, &info, len));
	EXPECT_EQ(EKEYREJECTED, errno);
	close(fd);

	fd = tcp_socket(v6 ? AF_INET6 : AF_INET, UNTOUCHED);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ao_add_net(fd, variant->alg, net, v6 ? 64 : 24, SND_A, SND_B, SECRET, 0));
	EXPECT_EQ(-EKEYREJECTED, md5_set(fd, variant->addr[B], "md5 secret"));
	close(fd);

	/* An MD5 key first, then a TCP-AO key for the peer's prefix. */
	fd = tcp_socket(v6 ? AF_INET6 : AF_INET, UNTOUCHED);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, md5_set(fd, variant->addr[B], "md5 secret"));
	ASSERT_EQ(0, ao_add_net(fd, variant->alg, net, v6 ? 64 : 24, SND_A, SND_B, SECRET, 0));
	len = sockaddr_fill(&ss, variant->addr[B], PORT);
	ret = connect(fd, (struct sockaddr *)&ss, len) ? errno : 0;
	EXPECT_EQ(EKEYREJECTED, ret) TH_LOG("connect: %s", strerror(ret));
	close(fd);

	/* Keys for other peers only: nothing to sign with for this one. */
	fd = tcp_socket(v6 ? AF_INET6 : AF_INET, UNTOUCHED);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ao_add(fd, variant->alg, v6 ? "2001:db8:1::1" : "203.0.113.1", SND_A,
			    SND_B, SECRET));
	ret = connect(fd, (struct sockaddr *)&ss, len) ? errno : 0;
	EXPECT_EQ(EKEYREJECTED, ret) TH_LOG("connect: %s", strerror(ret));
	close(fd);
}

/* TCP_AO_REPAIR: repair mode only, never on a listener, state needed. */
TEST_F(uabi, repair_rules)
{
	int fam = addr_family(variant->addr[A]), fd, on = 1;
	struct tcp_ao_repair r = { .snt_isn = htonl(1), .rcv_isn = htonl(2) };
	socklen_t len = sizeof(r);

	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	fd = tcp_socket(fam, UNTOUCHED);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ao_add(fd, variant->alg, variant->addr[B], SND_A, SND_B, SECRET));
	errno = 0;
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_AO_REPAIR, &r, sizeof(r)));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_AO_REPAIR, &r, &len));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)));
	EXPECT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_AO_REPAIR, &r, sizeof(r)));
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_AO_REPAIR, &r, &len));
	EXPECT_EQ(sizeof(r), len);
	EXPECT_EQ(htonl(1), r.snt_isn);
	EXPECT_EQ(htonl(2), r.rcv_isn);
	len = sizeof(r) - 1;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_AO_REPAIR, &r, &len));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_AO_REPAIR, &r, sizeof(r) - 1));
	EXPECT_EQ(EINVAL, errno);
	close(fd);

	/* A listener in repair mode, and a socket without upstream's state. */
	fd = socket_in(_metadata, &self->e, B, fam, UNTOUCHED, NULL, variant->addr[B], PORT);
	ASSERT_EQ(0, ao_add(fd, variant->alg, variant->addr[A], SND_B, SND_A, SECRET));
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)));
	ASSERT_EQ(0, listen(fd, 8));
	len = sizeof(r);
	errno = 0;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_AO_REPAIR, &r, &len));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_AO_REPAIR, &r, sizeof(r)));
	EXPECT_EQ(EPERM, errno);
	close(fd);
	fd = tcp_socket(fam, UNTOUCHED);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)));
	errno = 0;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_AO_REPAIR, &r, &len));
	EXPECT_EQ(ENOENT, errno);
	close(fd);
}

TEST_HARNESS_MAIN
