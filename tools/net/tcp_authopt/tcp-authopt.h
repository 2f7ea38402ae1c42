/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcp-authopt: operator tool for the TCP Authentication Option (RFC 5925)
 * keys of a network namespace. Shared declarations.
 */
#ifndef TCP_AUTHOPT_CLI_H
#define TCP_AUTHOPT_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <linux/types.h>
#include <linux/socket.h>
#include <linux/tcp.h>

/* Built against headers without the series: the ABI is fixed (abi.md). */
#ifndef TCP_AUTHOPT_KEY
#define TCP_AUTHOPT		38
#define TCP_AUTHOPT_KEY		39

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
#endif

/* Exit codes (documented in --help and tcp-authopt(8)). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the kernel or the system refused */
	EXIT_USAGE = 2,		/* bad command line or file: nothing changed */
	EXIT_UNAVAIL = 3,	/* no tcp_authopt in the kernel, or disabled */
	EXIT_APPLY_RESTORED = 4, /* apply failed, rolled back to the old state */
	EXIT_APPLY_PARTIAL = 5,	/* apply failed, the old state is not back */
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Format checking as the kernel's __printf(); userspace has no such macro. */
#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif

#define KEY_PROC	"/proc/net/tcp_authopt"
#define SYSCTL_ENABLE	"/proc/sys/net/ipv4/tcp_authopt"
#define SYSCTL_ALL	"/proc/sys/net/ipv4/tcp_authopt_all_sockets"
#define MAX_KEYS	65536	/* per namespace, tcp_authopt.rst */

#define KEY_IDENT_FLAGS	(TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_PREFIXLEN | \
			 TCP_AUTHOPT_KEY_IFINDEX | TCP_AUTHOPT_KEY_LOCAL_PORT | \
			 TCP_AUTHOPT_KEY_REMOTE_PORT)
#define KEY_ADDR_FLAGS	(TCP_AUTHOPT_KEY_ADDR_BIND | TCP_AUTHOPT_KEY_PREFIXLEN)
#define KEY_PORT_FLAGS	(TCP_AUTHOPT_KEY_LOCAL_PORT | TCP_AUTHOPT_KEY_REMOTE_PORT)
#define KEY_LIFE_FLAGS	(TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN | \
			 TCP_AUTHOPT_KEY_SEND_LIFETIME_END | \
			 TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN | \
			 TCP_AUTHOPT_KEY_RECV_LIFETIME_END)

/* A key as the tool sees it: parsed from words, or read from the kernel. */
struct ak_key {
	uint32_t flags;		/* TCP_AUTHOPT_KEY_*, never DEL */
	int send_id, recv_id;	/* -1 while unset */
	int alg;		/* 0 while unset */
	int family;		/* AF_INET/AF_INET6 when address-bound */
	unsigned char addr[16];	/* canonical: IPv4-mapped stored as IPv4 */
	unsigned int prefixlen;	/* bits of @family */
	bool mapped;		/* given as ::ffff:a.b.c.d, sent that way */
	uint32_t ifindex;	/* with TCP_AUTHOPT_KEY_IFINDEX */
	char vrf[32];		/* name as given or resolved, "" for none */
	uint16_t lport_min, lport_max, rport_min, rport_max;
	bool from_kernel;	/* read from /proc: no lifetimes, ports, material */
	bool ports_unknown;	/* from the kernel list: ranges not shown */
	uint64_t send_begin, send_end, recv_begin, recv_end;
	unsigned char secret[TCP_AUTHOPT_MAXKEYLEN];
	int secret_len;		/* -1: no secret given */
	bool secret_stdin;	/* secret came from standard input */
	const char *file;	/* origin for messages, or NULL */
	int line;
};

struct ak_list {
	struct ak_key *keys;
	int n;
};

/* Words of a command line or of a file, with where each came from. */
struct ak_tok {
	char *s;
	int line;	/* 0 on the command line */
};

struct ak_words {
	struct ak_tok *t;
	int n;
	const char *file;	/* NULL for the command line */
	const char *dir;	/* directory of @file, for relative secret paths */
};

/* Which keywords a parser accepts (key_attr()). */
enum {
	KA_IDS = 1 << 0,	/* send-id recv-id id */
	KA_PEER = 1 << 1,	/* peer */
	KA_VRF = 1 << 2,	/* vrf */
	KA_PORTS = 1 << 3,	/* local-port remote-port */
	KA_PARAMS = 1 << 4,	/* algorithm lifetimes options nosend norecv */
	KA_SECRET = 1 << 5,	/* secret-file secret-hex-file */
	KA_CLI_SECRET = 1 << 6,	/* --insecure-secret */
	KA_FILE_SECRET = 1 << 7, /* secret secret-hex (in an apply file) */
};

#define KA_IDENT	(KA_IDS | KA_PEER | KA_VRF | KA_PORTS)

/* Global options. */
struct ak_opts {
	bool json;
	bool dry_run;
	const char *netns;
	double interval;
	long count;
};

extern struct ak_opts opts;
extern const char *progname;

/* util.c */
void ak_vmsg(const char *prefix, const char *fmt, va_list ap) __printf(2, 0);
void ak_err(const char *fmt, ...) __printf(1, 2);
void ak_warn(const char *fmt, ...) __printf(1, 2);
void tokerr(const struct ak_words *w, int i, const char *fmt, ...) __printf(3, 4);
void wipe(void *p, size_t n);
int parse_uint(const char *s, unsigned long max, unsigned long *out);
int parse_time(const char *s, uint64_t *out);
void format_time(uint64_t t, char *buf, size_t len);
int read_secret(const char *path, const char *dir, bool hex, unsigned char *out,
		int *len, bool *from_stdin, char *why, size_t whylen);
int hex_decode(const char *s, unsigned char *out, int max, int *len);
int read_file_str(const char *path, char *buf, size_t len);

struct json {
	FILE *f;
	int depth;
	bool need_comma[16];
};

void j_begin(struct json *j, FILE *f);
void j_end(struct json *j);
void j_obj(struct json *j, const char *key);
void j_obj_end(struct json *j);
void j_arr(struct json *j, const char *key);
void j_arr_end(struct json *j);
void j_str(struct json *j, const char *key, const char *val);
void j_int(struct json *j, const char *key, long long val);
void j_uint(struct json *j, const char *key, unsigned long long val);
void j_bool(struct json *j, const char *key, bool val);
void j_null(struct json *j, const char *key);

/* keys.c */
void key_init(struct ak_key *k);
const char *alg_name(int alg);
int key_attr(struct ak_key *k, const struct ak_words *w, int *i, unsigned int allow);
int key_set_peer(struct ak_key *k, const char *s, char *why, size_t whylen);
int key_set_vrf(struct ak_key *k, const char *name, char *why, size_t whylen);
int key_check(const struct ak_key *k, bool del, char *why, size_t whylen);
int key_specificity(const struct ak_key *k);
bool key_overlap(const struct ak_key *a, const struct ak_key *b);
bool key_conflict(const struct ak_key *a, const struct ak_key *b);
bool key_same_ident(const struct ak_key *a, const struct ak_key *b);
bool key_applies_to(const struct ak_key *k, const struct ak_key *peer);
void key_peer_str(const struct ak_key *k, char *buf, size_t len);
void key_name(const struct ak_key *k, char *buf, size_t len);
void key_words(const struct ak_key *k, char *buf, size_t len);
void key_json(struct json *j, const char *jkey, const struct ak_key *k);
int key_kernel(const struct ak_key *k, bool del);
int key_list_read(struct ak_list *l, int *err);
void key_list_sort(struct ak_list *l);
int key_cmp_peer(const struct ak_key *a, const struct ak_key *b);
void key_list_free(struct ak_list *l);
int key_explain(int err, const struct ak_key *k, bool del, const char *what);
int ao_probe(void);
int ao_unavailable(void);

enum { AO_ENABLED, AO_DISABLED, AO_UNSUPPORTED, AO_UNKNOWN };

/* apply.c */
int cmd_apply(int argc, char **argv);

/* tcp-authopt.c */
int show_help(const char *cmd, const char *sub);
int usage_error(const char *cmd, const char *fmt, ...) __printf(2, 3);

#endif
