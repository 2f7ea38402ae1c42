/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP Authentication Option uapi for the selftests.
 *
 * The selftests are usually built against the headers exported from the
 * kernel under test (KHDR_INCLUDES), which carry these definitions. When they
 * are built against older host headers, provide an identical copy so that the
 * tests still build; the static assertions below pin the layout to the ABI
 * contract in both cases, so a header drifting from it fails the build.
 */
#ifndef _SELFTESTS_TCP_AUTHOPT_UAPI_H
#define _SELFTESTS_TCP_AUTHOPT_UAPI_H

#include <assert.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/socket.h>
#include <linux/tcp.h>

#ifndef TCP_AUTHOPT

#define TCP_AUTHOPT		38	/* TCP Authentication Option (RFC 5925) */
#define TCP_AUTHOPT_KEY		39	/* TCP Authentication Option Key (RFC 5925) */
#define TCP_REPAIR_AUTHOPT	40	/* TCP-AO state for TCP_REPAIR */

enum tcp_authopt_flag {
	TCP_AUTHOPT_FLAG_LOCK_KEYID = (1 << 0),
	TCP_AUTHOPT_FLAG_LOCK_RNEXTKEYID = (1 << 1),
	TCP_AUTHOPT_FLAG_REJECT_UNEXPECTED = (1 << 2),
	TCP_AUTHOPT_FLAG_ACTIVE = (1 << 3),
};

struct tcp_authopt {
	__u32	flags;
	__u8	send_keyid;
	__u8	send_rnextkeyid;
	__u8	recv_keyid;
	__u8	recv_rnextkeyid;
};

enum tcp_authopt_key_flag {
	TCP_AUTHOPT_KEY_DEL = (1 << 0),
	TCP_AUTHOPT_KEY_EXCLUDE_OPTS = (1 << 1),
	TCP_AUTHOPT_KEY_ADDR_BIND = (1 << 2),
	TCP_AUTHOPT_KEY_IFINDEX = (1 << 3),
	TCP_AUTHOPT_KEY_NOSEND = (1 << 4),
	TCP_AUTHOPT_KEY_NORECV = (1 << 5),
	TCP_AUTHOPT_KEY_PREFIXLEN = (1 << 6),
	TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN = (1 << 7),
	TCP_AUTHOPT_KEY_SEND_LIFETIME_END = (1 << 8),
	TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN = (1 << 9),
	TCP_AUTHOPT_KEY_RECV_LIFETIME_END = (1 << 10),
	TCP_AUTHOPT_KEY_LOCAL_PORT = (1 << 11),
	TCP_AUTHOPT_KEY_REMOTE_PORT = (1 << 12),
};

enum tcp_authopt_alg {
	TCP_AUTHOPT_ALG_HMAC_SHA_1_96 = 1,
	TCP_AUTHOPT_ALG_AES_128_CMAC_96 = 2,
};

#define TCP_AUTHOPT_MAXKEYLEN	80

struct tcp_authopt_key {
	__u32	flags;
	__u8	send_id;
	__u8	recv_id;
	__u8	alg;
	__u8	keylen;
	__u8	key[TCP_AUTHOPT_MAXKEYLEN];
	struct __kernel_sockaddr_storage addr;
	__u32	ifindex;
	__u32	prefixlen;
	__u64	send_lifetime_begin;
	__u64	send_lifetime_end;
	__u64	recv_lifetime_begin;
	__u64	recv_lifetime_end;
	__u16	local_port_min;
	__u16	local_port_max;
	__u16	remote_port_min;
	__u16	remote_port_max;
};

struct tcp_repair_authopt {
	__u32	src_isn;
	__u32	dst_isn;
	__u32	snd_sne;
	__u32	rcv_sne;
	__u32	snd_seq;
	__u32	rcv_seq;
};

#endif /* TCP_AUTHOPT */

/*
 * The ABI contract: existing binaries hard-code these numbers, so they must
 * hold on every architecture whatever header provided the definitions.
 */
static_assert(TCP_AUTHOPT == 38, "TCP_AUTHOPT value");
static_assert(TCP_AUTHOPT_KEY == 39, "TCP_AUTHOPT_KEY value");
static_assert(TCP_REPAIR_AUTHOPT == 40, "TCP_REPAIR_AUTHOPT value");

static_assert(TCP_AUTHOPT_FLAG_ACTIVE == 8, "TCP_AUTHOPT_FLAG_ACTIVE value");
static_assert(TCP_AUTHOPT_KEY_PREFIXLEN == 64, "TCP_AUTHOPT_KEY_PREFIXLEN value");
static_assert(TCP_AUTHOPT_KEY_RECV_LIFETIME_END == 1024,
	      "TCP_AUTHOPT_KEY_RECV_LIFETIME_END value");
static_assert(TCP_AUTHOPT_KEY_REMOTE_PORT == 4096,
	      "TCP_AUTHOPT_KEY_REMOTE_PORT value");
static_assert(TCP_AUTHOPT_MAXKEYLEN == 80, "TCP_AUTHOPT_MAXKEYLEN value");

static_assert(sizeof(struct tcp_authopt) == 8, "tcp_authopt size");
static_assert(offsetof(struct tcp_authopt, send_keyid) == 4,
	      "tcp_authopt.send_keyid offset");
static_assert(offsetof(struct tcp_authopt, recv_rnextkeyid) == 7,
	      "tcp_authopt.recv_rnextkeyid offset");

static_assert(offsetof(struct tcp_authopt_key, send_id) == 4,
	      "tcp_authopt_key.send_id offset");
static_assert(offsetof(struct tcp_authopt_key, keylen) == 7,
	      "tcp_authopt_key.keylen offset");
static_assert(offsetof(struct tcp_authopt_key, key) == 8,
	      "tcp_authopt_key.key offset");
static_assert(offsetof(struct tcp_authopt_key, addr) == 88,
	      "tcp_authopt_key.addr offset");
static_assert(offsetof(struct tcp_authopt_key, ifindex) == 216,
	      "tcp_authopt_key.ifindex offset");
static_assert(offsetof(struct tcp_authopt_key, prefixlen) == 220,
	      "tcp_authopt_key.prefixlen offset");
static_assert(offsetof(struct tcp_authopt_key, send_lifetime_begin) == 224,
	      "tcp_authopt_key.send_lifetime_begin offset");
static_assert(offsetof(struct tcp_authopt_key, recv_lifetime_end) == 248,
	      "tcp_authopt_key.recv_lifetime_end offset");
static_assert(offsetof(struct tcp_authopt_key, local_port_min) == 256,
	      "tcp_authopt_key.local_port_min offset");
static_assert(offsetof(struct tcp_authopt_key, remote_port_max) == 262,
	      "tcp_authopt_key.remote_port_max offset");
static_assert(sizeof(struct tcp_authopt_key) == 264, "tcp_authopt_key size");

static_assert(sizeof(struct tcp_repair_authopt) == 24,
	      "tcp_repair_authopt size");
static_assert(offsetof(struct tcp_repair_authopt, rcv_seq) == 20,
	      "tcp_repair_authopt.rcv_seq offset");

#endif /* _SELFTESTS_TCP_AUTHOPT_UAPI_H */
