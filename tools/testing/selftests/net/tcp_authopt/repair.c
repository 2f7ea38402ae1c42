// SPDX-License-Identifier: GPL-2.0
/*
 * TCP_REPAIR_AUTHOPT: checkpoint and restore of TCP-AO connections, and the
 * sequence number extension (RFC 5925 section 6.2) across the 2^32 wrap.
 *
 * The connection tests build two network namespaces, A and B, joined by a
 * veth pair, as connect.c does:
 *
 *	A: va 198.51.100.1/24 2001:db8::1/64  <---->  B: vb 198.51.100.2/24 2001:db8::2/64
 *
 * Both namespaces enable net.ipv4.tcp_authopt and hold one key for the
 * other side (A sends with KeyID 7 and receives 9, B the reverse). A
 * connection is either made by a plain handshake or put together with
 * TCP_REPAIR on both ends, with sequence numbers just below 2^32 and the
 * TCP-AO state (ISNs, SNEs, reference sequence numbers) given through
 * TCP_REPAIR_AUTHOPT. Checkpoints read a socket's state in repair mode and
 * close it there (nothing goes on the wire); a new socket gets it back.
 *
 * The *_uabi variants run the same connections through upstream Linux's
 * ABI: keys added to each socket with TCP_AO_ADD_KEY, the state read and
 * restored with TCP_AO_REPAIR (ISNs and SNEs; the SNEs are those of the
 * queue ends, which TCP_QUEUE_SEQ sets), no sysctl.
 *
 * One thread drives both ends with non-blocking sockets, moving between the
 * namespaces with setns(); everything has a deadline.
 *
 * Needs root, ip(8) and CONFIG_VETH.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "netns_lib.h"

#define PORT_A		40179	/* of the connections made in repair mode */
#define PORT_B		179

#define ID_A		7
#define ID_B		9
#define SECRET		"tcp-ao repair selftest"

/* TCP option kinds for TCP_REPAIR_OPTIONS (<netinet/tcp.h> clashes with <linux/tcp.h>). */
#define OPT_MSS		2
#define OPT_WINDOW	3
#define OPT_SACK_PERM	4
#define OPT_TIMESTAMP	8

#define MSS		1400	/* of the connections made in repair mode */
#define WSCALE		7

/* Where the connections made in repair mode start: just below 2^32. */
#define WRAP_SEQ_A	(0u - (64u << 10))
#define WRAP_SEQ_B	(0u - (48u << 10) - 4321u)

#define WRAP_BYTES	(1024u << 10)	/* per direction, across the wrap */
#define MORE_BYTES	(256u << 10)	/* per direction, after a restore */
#define WARMUP_BYTES	(64u << 10)
#define UNREAD_BYTES	10000u		/* left in a receive queue at checkpoint */
#define PROBE_BYTES	1000u		/* that must not get through */

/* Deadlines (ms). */
#define REPAIR_XFER_MS	15000
#define NO_XFER_MS	2000	/* waiting for data that must not arrive */
#define QUIET_MS	3000	/* for the queues to drain */

/* The TcpExt counters the connection tests watch: C_FAILURE to C_KEYNOTFOUND. */
#define REPAIR_COUNTERS	(C_KEYNOTFOUND + 1)

/* ------------------------------------------------------------------------ */
/* Repair mode                                                              */
/* ------------------------------------------------------------------------ */

static int queue_seq_set(int fd, int queue, __u32 seq)
{
	int ret = repair_queue(fd, queue);

	if (ret)
		return ret;
	return setsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, sizeof(seq)) ? -errno : 0;
}

/* The connection tests of a *_uabi variant use upstream's ABI. */
static bool uabi;

/* Upstream's TCP_AO_REPAIR as our struct: the reference points of its
 * SNEs are the queue ends.
 */
static int ao_repair_get_uabi(int fd, struct tcp_repair_authopt *ao)
{
	struct tcp_ao_repair r;
	socklen_t len = sizeof(r);
	int ret;

	if (getsockopt(fd, IPPROTO_TCP, TCP_AO_REPAIR, &r, &len))
		return -errno;
	if (len != sizeof(r))
		return -EMSGSIZE;
	ao->src_isn = ntohl(r.snt_isn);
	ao->dst_isn = ntohl(r.rcv_isn);
	ao->snd_sne = r.snd_sne;
	ao->rcv_sne = r.rcv_sne;
	ret = queue_seq_get(fd, TCP_SEND_QUEUE, &ao->snd_seq);
	return ret ?: queue_seq_get(fd, TCP_RECV_QUEUE, &ao->rcv_seq);
}

static int ao_repair_get(int fd, struct tcp_repair_authopt *ao)
{
	socklen_t len = sizeof(*ao);

	memset(ao, 0, sizeof(*ao));
	if (uabi)
		return ao_repair_get_uabi(fd, ao);
	if (getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, ao, &len))
		return -errno;
	return len == sizeof(*ao) ? 0 : -EMSGSIZE;
}

/* Upstream's ABI takes the reference points from the queue ends: the
 * tests only give it the state of a socket whose queues end there.
 */
static int ao_repair_set(int fd, const struct tcp_repair_authopt *ao)
{
	struct tcp_ao_repair r = {
		.snt_isn = htonl(ao->src_isn),
		.rcv_isn = htonl(ao->dst_isn),
		.snd_sne = ao->snd_sne,
		.rcv_sne = ao->rcv_sne,
	};

	if (uabi)
		return setsockopt(fd, IPPROTO_TCP, TCP_AO_REPAIR, &r, sizeof(r)) ? -errno : 0;
	return setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, ao, sizeof(*ao)) ? -errno : 0;
}

static int window_get(int fd, struct tcp_repair_window *w)
{
	socklen_t len = sizeof(*w);

	if (getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, w, &len))
		return -errno;
	return len == sizeof(*w) ? 0 : -EMSGSIZE;
}

static int window_set(int fd, const struct tcp_repair_window *w)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, w, sizeof(*w)) ? -errno : 0;
}

/* What a checkpoint of an established socket holds. */
struct tcp_state {
	struct sockaddr_storage local, peer;
	socklen_t addrlen;
	struct tcp_info info;
	struct tcp_repair_window window;
	struct tcp_repair_authopt ao;
	struct tcp_authopt opt;
	int mss;
	__u32 tstamp;
	__u32 write_seq;	/* end of the send queue */
	__u32 rcv_nxt;		/* end of the receive queue */
	int outq, inq;		/* bytes in the queues */
	unsigned char *outbuf, *inbuf;
};

static void tcp_state_free(struct tcp_state *st)
{
	free(st->outbuf);
	free(st->inbuf);
	st->outbuf = NULL;
	st->inbuf = NULL;
}

/* Peek the whole of @queue (@len bytes) and read its end sequence number. */
static int queue_dump(int fd, int queue, int len, __u32 *seq, unsigned char **buf)
{
	ssize_t ret;

	*buf = NULL;
	ret = queue_seq_get(fd, queue, seq);
	if (ret || !len)
		return ret;
	*buf = malloc(len);
	if (!*buf)
		return -ENOMEM;
	ret = recv(fd, *buf, len, MSG_PEEK | MSG_DONTWAIT);
	if (ret < 0)
		return -errno;
	return ret == len ? 0 : -EMSGSIZE;
}

/* Put @len bytes in @queue of a socket in repair mode. */
static int queue_load(int fd, int queue, const unsigned char *buf, int len)
{
	ssize_t ret;
	int off = 0;

	if (!len)
		return 0;
	ret = repair_queue(fd, queue);
	if (ret)
		return ret;
	while (off < len) {
		ret = send(fd, buf + off, len - off, 0);
		if (ret <= 0)
			return ret ? -errno : -EIO;
		off += ret;
	}
	return 0;
}

#define CHECK(step, expr) do {						\
	int __ret = (expr);						\
									\
	ASSERT_EQ(0, __ret) TH_LOG("%s: %s", step, strerror(-__ret));	\
} while (0)

#define CHECK_ERRNO(step, expr) CHECK(step, (expr) ? -errno : 0)

/* Put @fd in repair mode and read everything a restore needs. */
static void checkpoint(struct __test_metadata *_metadata, int fd, struct tcp_state *st)
{
	socklen_t len;

	memset(st, 0, sizeof(*st));
	CHECK("TCP_REPAIR on", repair_mode(fd, TCP_REPAIR_ON));

	len = sizeof(st->local);
	CHECK_ERRNO("getsockname", getsockname(fd, (struct sockaddr *)&st->local, &len));
	st->addrlen = len;
	len = sizeof(st->peer);
	CHECK_ERRNO("getpeername", getpeername(fd, (struct sockaddr *)&st->peer, &len));
	ASSERT_EQ(st->addrlen, len);

	len = sizeof(st->info);
	CHECK_ERRNO("TCP_INFO", getsockopt(fd, IPPROTO_TCP, TCP_INFO, &st->info, &len));
	ASSERT_EQ(sizeof(st->info), len);
	ASSERT_EQ(1, st->info.tcpi_state) TH_LOG("not established");
	len = sizeof(st->mss);
	CHECK_ERRNO("TCP_MAXSEG", getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &st->mss, &len));
	len = sizeof(st->tstamp);
	CHECK_ERRNO("TCP_TIMESTAMP",
		    getsockopt(fd, IPPROTO_TCP, TCP_TIMESTAMP, &st->tstamp, &len));
	CHECK("TCP_REPAIR_WINDOW", window_get(fd, &st->window));
	if (!uabi)
		CHECK("TCP_AUTHOPT", authopt_get(fd, &st->opt));
	CHECK("TCP_REPAIR_AUTHOPT", ao_repair_get(fd, &st->ao));

	CHECK_ERRNO("SIOCOUTQ", ioctl(fd, SIOCOUTQ, &st->outq));
	CHECK_ERRNO("SIOCINQ", ioctl(fd, SIOCINQ, &st->inq));
	CHECK("send queue", queue_dump(fd, TCP_SEND_QUEUE, st->outq, &st->write_seq,
				       &st->outbuf));
	CHECK("receive queue", queue_dump(fd, TCP_RECV_QUEUE, st->inq, &st->rcv_nxt,
					  &st->inbuf));
}

/*
 * Rebuild the connection of @st in @fd, a new socket taking part in TCP-AO:
 * restore_connect() makes it an established socket in repair mode, then
 * restore_finish() gives it the rest with the TCP-AO state @ao and leaves
 * repair mode with a window probe.
 */
static void restore_connect(struct __test_metadata *_metadata, int fd,
			    const struct tcp_state *st)
{
	CHECK("TCP_REPAIR on", repair_mode(fd, TCP_REPAIR_ON));
	CHECK_ERRNO("bind", bind(fd, (struct sockaddr *)&st->local, st->addrlen));
	CHECK("send seq", queue_seq_set(fd, TCP_SEND_QUEUE, st->write_seq - st->outq));
	CHECK("receive seq", queue_seq_set(fd, TCP_RECV_QUEUE, st->rcv_nxt - st->inq));
	CHECK_ERRNO("connect", connect(fd, (struct sockaddr *)&st->peer, st->addrlen));
}

static void restore_finish(struct __test_metadata *_metadata, int fd, const struct tcp_state *st,
			   const struct tcp_repair_authopt *ao)
{
	struct tcp_repair_opt opts[4];
	int n = 0;

	opts[n].opt_code = OPT_MSS;
	opts[n++].opt_val = st->mss;
	if (st->info.tcpi_options & TCPI_OPT_WSCALE) {
		opts[n].opt_code = OPT_WINDOW;
		opts[n++].opt_val = st->info.tcpi_snd_wscale | st->info.tcpi_rcv_wscale << 16;
	}
	if (st->info.tcpi_options & TCPI_OPT_SACK) {
		opts[n].opt_code = OPT_SACK_PERM;
		opts[n++].opt_val = 0;
	}
	if (st->info.tcpi_options & TCPI_OPT_TIMESTAMPS) {
		opts[n].opt_code = OPT_TIMESTAMP;
		opts[n++].opt_val = 0;
	}
	CHECK_ERRNO("TCP_REPAIR_OPTIONS",
		    setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts, n * sizeof(opts[0])));
	if (st->info.tcpi_options & TCPI_OPT_TIMESTAMPS)
		CHECK_ERRNO("TCP_TIMESTAMP", setsockopt(fd, IPPROTO_TCP, TCP_TIMESTAMP,
							&st->tstamp, sizeof(st->tstamp)));
	CHECK("receive queue", queue_load(fd, TCP_RECV_QUEUE, st->inbuf, st->inq));
	CHECK("send queue", queue_load(fd, TCP_SEND_QUEUE, st->outbuf, st->outq));
	CHECK("TCP_REPAIR_WINDOW", window_set(fd, &st->window));
	CHECK("TCP_REPAIR_AUTHOPT", ao_repair_set(fd, ao));
	CHECK("TCP_REPAIR off", repair_mode(fd, TCP_REPAIR_OFF));
}

/* ------------------------------------------------------------------------ */
/* Connection fixture                                                       */
/* ------------------------------------------------------------------------ */

FIXTURE(conn) {
	struct env e;
	int fd[2];
	struct xfer x;		/* goes on across a checkpoint and restore */
	struct tcp_state st;
};

FIXTURE_VARIANT(conn) {
	int alg;
	int family;
	const char *addr[2];
	bool uabi;
};

FIXTURE_VARIANT_ADD(conn, hmac_sha1_ipv4) {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	.family = AF_INET,
	.addr = { ADDR4_A, ADDR4_B },
};

FIXTURE_VARIANT_ADD(conn, hmac_sha1_ipv6) {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	.family = AF_INET6,
	.addr = { ADDR6_A, ADDR6_B },
};

FIXTURE_VARIANT_ADD(conn, aes_cmac_ipv4) {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	.family = AF_INET,
	.addr = { ADDR4_A, ADDR4_B },
};

FIXTURE_VARIANT_ADD(conn, aes_cmac_ipv6) {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	.family = AF_INET6,
	.addr = { ADDR6_A, ADDR6_B },
};

FIXTURE_VARIANT_ADD(conn, hmac_sha1_ipv4_uabi) {
	.alg = TCP_AUTHOPT_ALG_HMAC_SHA_1_96,
	.family = AF_INET,
	.addr = { ADDR4_A, ADDR4_B },
	.uabi = true,
};

FIXTURE_VARIANT_ADD(conn, aes_cmac_ipv6_uabi) {
	.alg = TCP_AUTHOPT_ALG_AES_128_CMAC_96,
	.family = AF_INET6,
	.addr = { ADDR6_A, ADDR6_B },
	.uabi = true,
};

FIXTURE_SETUP(conn)
{
	int i, ret;

	memset(self, 0, sizeof(*self));
	self->fd[A] = -1;
	self->fd[B] = -1;
	env_setup(_metadata, &self->e, netns_pair_setup, REPAIR_COUNTERS);
	ASSERT_EQ(0, xfer_init(&self->x, -1, -1, 0, false, 0));
	uabi = variant->uabi;
	for (i = A; i <= B && !uabi; i++) {
		ASSERT_EQ(0, ns_enter(self->e.ns[i]));
		ret = key_add(variant->alg, i == A ? ID_A : ID_B, i == A ? ID_B : ID_A, SECRET,
			      variant->addr[i == A ? B : A]);
		ASSERT_EQ(0, ret) TH_LOG("%s: key: %s", side_name(i), strerror(-ret));
	}
}

FIXTURE_TEARDOWN(conn)
{
	int side;

	tcp_state_free(&self->st);
	xfer_free(&self->x);
	for (side = A; side <= B; side++)
		if (self->fd[side] >= 0)
			close(self->fd[side]);
	env_teardown(&self->e);
}

/* Upstream's ABI: @fd of @side gets the key for the other side. */
static void uabi_key(struct __test_metadata *_metadata, struct _test_data_conn *self,
		     const struct _fixture_variant_conn *variant, int side, int fd)
{
	const char *alg = variant->alg == TCP_AUTHOPT_ALG_HMAC_SHA_1_96 ? "hmac(sha1)" :
			  "cmac(aes128)";
	int ret = ao_add_net(fd, alg, variant->addr[side == A ? B : A],
			     variant->family == AF_INET6 ? 128 : 32, side == A ? ID_A : ID_B,
			     side == A ? ID_B : ID_A, SECRET, 0);

	ASSERT_EQ(0, ret) TH_LOG("%s: TCP_AO_ADD_KEY: %s", side_name(side), strerror(-ret));
}

static void set_fd(struct _test_data_conn *self, int side, int fd)
{
	self->fd[side] = fd;
	self->x.end[side].fd = fd;
}

/*
 * A socket of @side (see socket_in()) for a connection to the other side:
 * under upstream's ABI with its own key for the other side's address.
 */
static int side_socket(struct __test_metadata *_metadata, struct _test_data_conn *self,
		       const struct _fixture_variant_conn *variant, int side, __u32 flags)
{
	int fd = socket_in(_metadata, &self->e, side, variant->family,
			   uabi ? UNTOUCHED : flags, NULL, NULL, 0);

	if (uabi)
		uabi_key(_metadata, self, variant, side, fd);
	return fd;
}

/* Queue @a_to_b bytes from A to B and @b_to_a back, and move them. */
static int xfer(struct _test_data_conn *self, size_t a_to_b, size_t b_to_a, int timeout_ms)
{
	xfer_more(&self->x, a_to_b, b_to_a, timeout_ms);
	return xfer_run(&self->x, SIZE_MAX);
}

static void xfer_check(struct __test_metadata *_metadata, struct _test_data_conn *self,
		       size_t a_to_b, size_t b_to_a)
{
	int ret = xfer(self, a_to_b, b_to_a, REPAIR_XFER_MS);

	xfer_expect_ok(_metadata, &self->x, ret);
	ASSERT_EQ(0, ret);
}

/* A plain handshake from A to B and some traffic: both ends authenticated. */
static void establish(struct __test_metadata *_metadata, struct _test_data_conn *self,
		      const struct _fixture_variant_conn *variant)
{
	struct tcp_ao_info_opt info;
	struct tcp_authopt opt;
	socklen_t len;
	int lfd, side;

	lfd = listen_at(_metadata, &self->e, B, variant->addr[B], PORT_B,
			uabi ? UNTOUCHED : 0, NULL);
	if (uabi)
		uabi_key(_metadata, self, variant, B, lfd);
	set_fd(self, A, side_socket(_metadata, self, variant, A, 0));
	set_fd(self, B, connect_accept(_metadata, self->fd[A], lfd, variant->addr[B], PORT_B));
	close(lfd);

	/* Some traffic, then both ends must be authenticated. */
	xfer_check(_metadata, self, WARMUP_BYTES, WARMUP_BYTES);
	for (side = A; side <= B; side++) {
		if (uabi) {
			len = sizeof(info);
			ASSERT_EQ(0, getsockopt(self->fd[side], IPPROTO_TCP, TCP_AO_INFO, &info,
						&len));
			ASSERT_LT(0, info.pkt_good) TH_LOG("%s: nothing verified", side_name(side));
			continue;
		}
		ASSERT_EQ(0, authopt_get(self->fd[side], &opt));
		ASSERT_TRUE(!!(opt.flags & TCP_AUTHOPT_FLAG_ACTIVE))
			TH_LOG("%s: not authenticated, flags 0x%x", side_name(side), opt.flags);
	}
}

/*
 * A socket of side @side in repair mode, bound and connected to the other
 * side, sending from @snd_seq and receiving from @rcv_seq.
 */
static void repair_socket(struct __test_metadata *_metadata, struct _test_data_conn *self,
			  const struct _fixture_variant_conn *variant, int side,
			  __u32 snd_seq, __u32 rcv_seq)
{
	struct tcp_repair_opt opts[] = {
		{ .opt_code = OPT_MSS, .opt_val = MSS },
		{ .opt_code = OPT_WINDOW, .opt_val = WSCALE | WSCALE << 16 },
		{ .opt_code = OPT_SACK_PERM, .opt_val = 0 },
	};
	int peer = side == A ? B : A, mss = MSS, fd;
	struct sockaddr_storage local, remote;
	socklen_t len;

	fd = side_socket(_metadata, self, variant, side, 0);
	set_fd(self, side, fd);
	CHECK_ERRNO("TCP_MAXSEG", setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)));
	CHECK("TCP_REPAIR on", repair_mode(fd, TCP_REPAIR_ON));
	len = sockaddr_fill(&local, variant->addr[side], side == A ? PORT_A : PORT_B);
	CHECK_ERRNO("bind", bind(fd, (struct sockaddr *)&local, len));
	CHECK("send seq", queue_seq_set(fd, TCP_SEND_QUEUE, snd_seq));
	CHECK("receive seq", queue_seq_set(fd, TCP_RECV_QUEUE, rcv_seq));
	len = sockaddr_fill(&remote, variant->addr[peer], side == A ? PORT_B : PORT_A);
	CHECK_ERRNO("connect", connect(fd, (struct sockaddr *)&remote, len));
	CHECK_ERRNO("TCP_REPAIR_OPTIONS",
		    setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts, sizeof(opts)));
}

/*
 * Put together an authenticated connection whose sequence numbers start just
 * below 2^32, both ends in repair mode: no segment goes on the wire until
 * both are complete.
 */
static void build_near_wrap(struct __test_metadata *_metadata, struct _test_data_conn *self,
			    const struct _fixture_variant_conn *variant)
{
	const __u32 seq[2] = { WRAP_SEQ_A, WRAP_SEQ_B };
	struct tcp_repair_window win[2];
	int side;

	repair_socket(_metadata, self, variant, A, seq[A], seq[B]);
	repair_socket(_metadata, self, variant, B, seq[B], seq[A]);
	for (side = A; side <= B; side++)
		CHECK("TCP_REPAIR_WINDOW get", window_get(self->fd[side], &win[side]));

	for (side = A; side <= B; side++) {
		int peer = side == A ? B : A;
		struct tcp_repair_window w = {
			.snd_wl1 = seq[peer],
			.snd_wnd = win[peer].rcv_wnd,
			.max_window = win[peer].rcv_wnd,
			.rcv_wnd = win[side].rcv_wnd,
			.rcv_wup = seq[peer],
		};
		struct tcp_repair_authopt ao = {
			.src_isn = seq[side] - 1,
			.dst_isn = seq[peer] - 1,
			.snd_sne = 0,
			.rcv_sne = 0,
			.snd_seq = seq[side],
			.rcv_seq = seq[peer],
		};
		struct tcp_repair_authopt got;

		CHECK("TCP_REPAIR_WINDOW set", window_set(self->fd[side], &w));
		CHECK("TCP_REPAIR_AUTHOPT set", ao_repair_set(self->fd[side], &ao));
		CHECK("TCP_REPAIR_AUTHOPT get", ao_repair_get(self->fd[side], &got));
		ASSERT_EQ(0, memcmp(&ao, &got, sizeof(ao)))
			TH_LOG("%s: TCP_REPAIR_AUTHOPT reads back differently", side_name(side));
	}
	for (side = A; side <= B; side++)
		CHECK("TCP_REPAIR off", repair_mode(self->fd[side], TCP_REPAIR_OFF_NO_WP));
}

/* Wait until both ends have everything they sent acknowledged. */
static void wait_quiet(struct __test_metadata *_metadata, struct _test_data_conn *self)
{
	struct timespec t0;
	int outq[2], side;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (side = A; side <= B; side++)
			ASSERT_EQ(0, ioctl(self->fd[side], SIOCOUTQ, &outq[side]));
		if (!outq[A] && !outq[B])
			break;
		ASSERT_GT(QUIET_MS, elapsed_ms(&t0))
			TH_LOG("unacknowledged: A %d B %d bytes", outq[A], outq[B]);
		usleep(10000);
	}
	/* Let a last ACK or window update land. */
	usleep(50000);
}

/* The TCP-AO state and queue ends of a live socket, through repair mode. */
static void snapshot(struct __test_metadata *_metadata, int fd, struct tcp_repair_authopt *ao,
		     __u32 *write_seq, __u32 *rcv_nxt)
{
	CHECK("TCP_REPAIR on", repair_mode(fd, TCP_REPAIR_ON));
	CHECK("TCP_REPAIR_AUTHOPT get", ao_repair_get(fd, ao));
	CHECK("send seq", queue_seq_get(fd, TCP_SEND_QUEUE, write_seq));
	CHECK("receive seq", queue_seq_get(fd, TCP_RECV_QUEUE, rcv_nxt));
	CHECK("TCP_REPAIR off", repair_mode(fd, TCP_REPAIR_OFF_NO_WP));
}

/* Checkpoint A and close it in repair mode: nothing is sent. */
static void checkpoint_a(struct __test_metadata *_metadata, struct _test_data_conn *self)
{
	wait_quiet(_metadata, self);
	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	checkpoint(_metadata, self->fd[A], &self->st);
	close(self->fd[A]);
	set_fd(self, A, -1);
}

/*
 * A new socket for A, restored from the checkpoint with TCP-AO state @ao;
 * without @ao, it is left in repair mode right after connect().
 */
static void restore_a(struct __test_metadata *_metadata, struct _test_data_conn *self,
		      const struct _fixture_variant_conn *variant,
		      const struct tcp_repair_authopt *ao)
{
	int fd;

	fd = side_socket(_metadata, self, variant, A, self->st.opt.flags);
	set_fd(self, A, fd);
	restore_connect(_metadata, fd, &self->st);
	if (ao)
		restore_finish(_metadata, fd, &self->st, ao);
}

/* A sends PROBE_BYTES that must not get to B: B drops them for their MAC. */
static void expect_a_dropped(struct __test_metadata *_metadata, struct _test_data_conn *self)
{
	size_t rcvd = self->x.end[B].rcvd;
	int ret;

	ret = xfer(self, PROBE_BYTES, 0, NO_XFER_MS);
	EXPECT_EQ(-ETIMEDOUT, ret) TH_LOG("transfer: %s", strerror(-ret));
	EXPECT_EQ(rcvd, self->x.end[B].rcvd) TH_LOG("B got data signed with the wrong state");
	EXPECT_LT(0, counter_delta(_metadata, &self->e, B, C_FAILURE));
}

/*
 * 1 MiB each way from just below 2^32: every segment after the wrap is signed
 * and checked with SNE 1, and both ends count the wrap of both directions.
 */
TEST_F_TIMEOUT(conn, sne_wrap, 60)
{
	const __u32 seq[2] = { WRAP_SEQ_A, WRAP_SEQ_B };
	struct tcp_repair_authopt ao[2];
	__u32 write_seq[2], rcv_nxt[2];
	int side;

	build_near_wrap(_metadata, self, variant);
	xfer_check(_metadata, self, WRAP_BYTES, WRAP_BYTES);
	wait_quiet(_metadata, self);

	for (side = A; side <= B; side++) {
		ASSERT_EQ(0, ns_enter(self->e.ns[side]));
		snapshot(_metadata, self->fd[side], &ao[side], &write_seq[side], &rcv_nxt[side]);
	}
	for (side = A; side <= B; side++) {
		int peer = side == A ? B : A;
		const char *s = side_name(side);

		EXPECT_EQ(seq[side] + WRAP_BYTES, write_seq[side]) TH_LOG("%s", s);
		EXPECT_EQ(seq[peer] + WRAP_BYTES, rcv_nxt[side]) TH_LOG("%s", s);
		EXPECT_EQ(seq[side] - 1, ao[side].src_isn) TH_LOG("%s", s);
		EXPECT_EQ(seq[peer] - 1, ao[side].dst_isn) TH_LOG("%s", s);
		EXPECT_EQ(1u, ao[side].snd_sne) TH_LOG("%s: snd_seq 0x%x", s, ao[side].snd_seq);
		EXPECT_EQ(1u, ao[side].rcv_sne) TH_LOG("%s: rcv_seq 0x%x", s, ao[side].rcv_seq);
		/* The reference points are past the wrap, up to the queue ends. */
		EXPECT_GE(write_seq[side], ao[side].snd_seq) TH_LOG("%s", s);
		EXPECT_GE(rcv_nxt[side], ao[side].rcv_seq) TH_LOG("%s", s);
		EXPECT_EQ(ao[side].snd_seq, ao[peer].rcv_seq)
			TH_LOG("%s sent up to 0x%x, %s got up to 0x%x", s, ao[side].snd_seq,
			       side_name(peer), ao[peer].rcv_seq);
	}
	expect_counters_unchanged(_metadata, &self->e);
}

/*
 * A handshake-made connection; A is checkpointed with data still unread in
 * its receive queue, closed, and restored in a new socket. The connection
 * goes on authenticated both ways, the unread data first.
 */
TEST_F_TIMEOUT(conn, roundtrip, 60)
{
	struct tcp_repair_authopt ao;
	__u32 write_seq, rcv_nxt;

	establish(_metadata, self, variant);
	self->x.end[B].send_goal += UNREAD_BYTES;
	ASSERT_EQ(0, xfer(self, 0, 0, REPAIR_XFER_MS));

	checkpoint_a(_metadata, self);
	EXPECT_EQ((int)UNREAD_BYTES, self->st.inq);
	EXPECT_EQ(0, self->st.outq);
	EXPECT_EQ(0u, self->st.ao.snd_sne);
	EXPECT_EQ(0u, self->st.ao.rcv_sne);
	restore_a(_metadata, self, variant, &self->st.ao);

	self->x.end[A].recv_goal += UNREAD_BYTES;
	xfer_check(_metadata, self, MORE_BYTES, MORE_BYTES);
	wait_quiet(_metadata, self);

	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	snapshot(_metadata, self->fd[A], &ao, &write_seq, &rcv_nxt);
	EXPECT_EQ(self->st.ao.src_isn, ao.src_isn);
	EXPECT_EQ(self->st.ao.dst_isn, ao.dst_isn);
	EXPECT_EQ(self->st.write_seq + MORE_BYTES, write_seq);
	EXPECT_EQ(self->st.rcv_nxt + MORE_BYTES, rcv_nxt);
	expect_counters_unchanged(_metadata, &self->e);
}

/*
 * Past the wrap (SNE 1 both ways), A is checkpointed and restored: the SNEs
 * travel with the state and the connection keeps authenticating.
 */
TEST_F_TIMEOUT(conn, roundtrip_wrapped, 60)
{
	struct tcp_repair_authopt ao;
	__u32 write_seq, rcv_nxt;

	build_near_wrap(_metadata, self, variant);
	xfer_check(_metadata, self, WRAP_BYTES, WRAP_BYTES);

	checkpoint_a(_metadata, self);
	EXPECT_EQ(1u, self->st.ao.snd_sne);
	EXPECT_EQ(1u, self->st.ao.rcv_sne);
	restore_a(_metadata, self, variant, &self->st.ao);

	xfer_check(_metadata, self, MORE_BYTES, MORE_BYTES);
	wait_quiet(_metadata, self);

	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	snapshot(_metadata, self->fd[A], &ao, &write_seq, &rcv_nxt);
	EXPECT_EQ(1u, ao.snd_sne);
	EXPECT_EQ(1u, ao.rcv_sne);
	EXPECT_EQ(WRAP_SEQ_A - 1, ao.src_isn);
	EXPECT_EQ(WRAP_SEQ_B - 1, ao.dst_isn);
	expect_counters_unchanged(_metadata, &self->e);
}

/* Restoring A with its ISN off by one: B drops what A' sends. */
TEST_F_TIMEOUT(conn, wrong_isn, 60)
{
	struct tcp_repair_authopt ao;

	establish(_metadata, self, variant);

	checkpoint_a(_metadata, self);
	ao = self->st.ao;
	ao.src_isn++;
	restore_a(_metadata, self, variant, &ao);

	expect_a_dropped(_metadata, self);
}

/* Past the wrap, restoring A with a send SNE of 0 instead of 1: B drops. */
TEST_F_TIMEOUT(conn, wrong_sne, 60)
{
	struct tcp_repair_authopt ao;

	build_near_wrap(_metadata, self, variant);
	xfer_check(_metadata, self, WRAP_BYTES, WRAP_BYTES);

	checkpoint_a(_metadata, self);
	ASSERT_EQ(1u, self->st.ao.snd_sne);
	ao = self->st.ao;
	ao.snd_sne = 0;
	restore_a(_metadata, self, variant, &ao);

	expect_a_dropped(_metadata, self);
}

/*
 * TCP_REPAIR_AUTHOPT on a socket that already signed and verified segments
 * (its traffic keys are derived): the new ISN must be used from then on.
 */
TEST_F_TIMEOUT(conn, set_on_live_socket, 60)
{
	struct tcp_repair_authopt ao;

	establish(_metadata, self, variant);
	wait_quiet(_metadata, self);

	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	CHECK("TCP_REPAIR on", repair_mode(self->fd[A], TCP_REPAIR_ON));
	CHECK("TCP_REPAIR_AUTHOPT get", ao_repair_get(self->fd[A], &ao));
	ao.src_isn++;
	CHECK("TCP_REPAIR_AUTHOPT set", ao_repair_set(self->fd[A], &ao));
	CHECK("TCP_REPAIR off", repair_mode(self->fd[A], TCP_REPAIR_OFF_NO_WP));

	expect_a_dropped(_metadata, self);
}

/*
 * A segment from B reaches the restored socket after connect() but before
 * TCP_REPAIR_AUTHOPT (B retransmitting while A migrates). It cannot be
 * verified yet and is dropped; once the state is restored, B's retransmission
 * and the rest of the connection authenticate.
 */
TEST_F_TIMEOUT(conn, segment_during_restore, 60)
{
	establish(_metadata, self, variant);
	checkpoint_a(_metadata, self);
	restore_a(_metadata, self, variant, NULL);

	/* B sends while A has no TCP-AO state yet: A drops it. */
	self->x.end[B].send_goal += PROBE_BYTES;
	ASSERT_EQ(0, xfer(self, 0, 0, REPAIR_XFER_MS));
	usleep(50000);
	EXPECT_LT(0, counter_delta(_metadata, &self->e, A, C_FAILURE));
	self->e.before[A][C_FAILURE] = tcpext_counter(self->e.netstat[A],
						      counter_name[C_FAILURE]);

	ASSERT_EQ(0, ns_enter(self->e.ns[A]));
	restore_finish(_metadata, self->fd[A], &self->st, &self->st.ao);

	self->x.end[A].recv_goal += PROBE_BYTES;
	xfer_check(_metadata, self, MORE_BYTES, MORE_BYTES);
	expect_counters_unchanged(_metadata, &self->e);
}

/* ------------------------------------------------------------------------ */
/* Socket option checks                                                     */
/* ------------------------------------------------------------------------ */

static const struct tcp_repair_authopt sample = {
	.src_isn = 0x01020304,
	.dst_isn = 0xf0e0d0c0,
	.snd_sne = 3,
	.rcv_sne = 0xffffffff,
	.snd_seq = 0x11111111,
	.rcv_seq = 0x80000000,
};

/* A namespace with TCP-AO enabled and loopback up. */
FIXTURE(sockopt) {
	int fd;		/* taking part in TCP-AO, closed state */
};

FIXTURE_SETUP(sockopt)
{
	int ret;

	self->fd = -1;
	ASSERT_EQ(0, unshare(CLONE_NEWNET)) TH_LOG("unshare: %m");
	ret = ip_batch("link set lo up\n");
	ASSERT_EQ(0, ret) TH_LOG("ip: %s", strerror(-ret));
	ret = sysctl_enable();
	ASSERT_EQ(0, ret) TH_LOG("sysctl: %s", strerror(-ret));
	self->fd = tcp_socket(AF_INET, 0);
	ASSERT_LE(0, self->fd) TH_LOG("socket: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(sockopt)
{
	if (self->fd >= 0)
		close(self->fd);
}

static void expect_eperm(struct __test_metadata *_metadata, int fd, const char *what)
{
	struct tcp_repair_authopt ao;
	socklen_t len = sizeof(ao);

	errno = 0;
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &sample, sizeof(sample)))
		TH_LOG("%s: set", what);
	EXPECT_EQ(EPERM, errno) TH_LOG("%s: set: %m", what);
	errno = 0;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &ao, &len))
		TH_LOG("%s: get", what);
	EXPECT_EQ(EPERM, errno) TH_LOG("%s: get: %m", what);
}

/* Outside repair mode, both directions fail with EPERM. */
TEST_F(sockopt, eperm)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int lfd, cfd, afd;

	expect_eperm(_metadata, self->fd, "closed socket");

	/* In repair mode and out again. */
	ASSERT_EQ(0, repair_mode(self->fd, TCP_REPAIR_ON));
	EXPECT_EQ(0, ao_repair_set(self->fd, &sample));
	ASSERT_EQ(0, repair_mode(self->fd, TCP_REPAIR_OFF_NO_WP));
	expect_eperm(_metadata, self->fd, "after repair mode");

	/* Both ends of an established connection over loopback. */
	lfd = tcp_socket(AF_INET, 0);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, getsockname(lfd, (struct sockaddr *)&sin, &len));
	ASSERT_EQ(0, listen(lfd, 1));
	expect_eperm(_metadata, lfd, "listener");
	cfd = tcp_socket(AF_INET, 0);
	ASSERT_LE(0, cfd);
	ASSERT_TRUE(!connect(cfd, (struct sockaddr *)&sin, sizeof(sin)) || errno == EINPROGRESS);
	ASSERT_EQ(1, wait_fd(lfd, POLLIN, CONNECT_MS));
	afd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, afd);
	expect_eperm(_metadata, cfd, "client");
	expect_eperm(_metadata, afd, "accepted");
	close(afd);
	close(cfd);
	close(lfd);
}

/* Short, long and bad buffers in repair mode. */
TEST_F(sockopt, buffers)
{
	struct {
		struct tcp_repair_authopt ao;
		__u32 extra;
	} big = { .ao = sample };
	struct tcp_repair_authopt ao;
	socklen_t len;
	int fd = self->fd;

	ASSERT_EQ(0, repair_mode(fd, TCP_REPAIR_ON));

	/* The whole struct is needed to set. */
	for (len = 0; len < sizeof(sample); len += 4) {
		errno = 0;
		EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &sample, len))
			TH_LOG("set with %u bytes", len);
		EXPECT_EQ(EINVAL, errno) TH_LOG("set with %u bytes: %m", len);
	}
	errno = 0;
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &sample, sizeof(sample) - 1));
	EXPECT_EQ(EINVAL, errno);

	/* Longer: only with zeros past the end. */
	big.extra = 1;
	errno = 0;
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &big, sizeof(big)));
	EXPECT_EQ(EINVAL, errno);
	big.extra = 0;
	EXPECT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &big, sizeof(big)))
		TH_LOG("zero-padded set: %m");

	/* Bad pointers. */
	errno = 0;
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, NULL, sizeof(sample)));
	EXPECT_EQ(EFAULT, errno);
	len = sizeof(ao);
	errno = 0;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, NULL, &len));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &ao, NULL));
	EXPECT_EQ(EFAULT, errno);
	len = -1;
	errno = 0;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &ao, &len));
	EXPECT_EQ(EINVAL, errno);

	/* A failed set leaves the state alone; get reads what was set. */
	ASSERT_EQ(0, ao_repair_get(fd, &ao));
	EXPECT_EQ(0, memcmp(&ao, &sample, sizeof(ao)));

	/* Short get: truncated, with the length written back. */
	memset(&ao, 0xa5, sizeof(ao));
	len = 8;
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &ao, &len)) TH_LOG("%m");
	EXPECT_EQ(8u, len);
	EXPECT_EQ(sample.src_isn, ao.src_isn);
	EXPECT_EQ(sample.dst_isn, ao.dst_isn);
	EXPECT_EQ(0xa5a5a5a5u, ao.snd_sne) TH_LOG("wrote past the length");

	/* Long get: the struct size comes back. */
	memset(&big, 0xa5, sizeof(big));
	len = sizeof(big);
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &big, &len)) TH_LOG("%m");
	EXPECT_EQ(sizeof(sample), len);
	EXPECT_EQ(0, memcmp(&big.ao, &sample, sizeof(sample)));
}

/* A socket that never took part has no TCP-AO state to read. */
TEST_F(sockopt, no_state)
{
	struct tcp_repair_authopt ao;
	socklen_t len = sizeof(ao);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, repair_mode(fd, TCP_REPAIR_ON));
	errno = 0;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &ao, &len));
	EXPECT_EQ(ENOENT, errno) TH_LOG("%m");
	/* Setting the state makes it take part. */
	EXPECT_EQ(0, ao_repair_set(fd, &sample));
	ASSERT_EQ(0, ao_repair_get(fd, &ao));
	EXPECT_EQ(0, memcmp(&ao, &sample, sizeof(ao)));
	close(fd);
}

/* TEST() has a variant parameter it does not use: keep -Wextra builds clean. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
/* Until net.ipv4.tcp_authopt is 1, EPERM even in repair mode. */
TEST(sysctl_off)
{
	struct tcp_repair_authopt ao;
	socklen_t len = sizeof(ao);
	int fd;

	ASSERT_EQ(0, unshare(CLONE_NEWNET)) TH_LOG("unshare: %m");
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, repair_mode(fd, TCP_REPAIR_ON));
	errno = 0;
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &sample, sizeof(sample)));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_AUTHOPT, &ao, &len));
	EXPECT_EQ(EPERM, errno);
	close(fd);
}

#pragma GCC diagnostic pop

TEST_HARNESS_MAIN
