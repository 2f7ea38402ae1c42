// SPDX-License-Identifier: GPL-2.0
/*
 * tcp-authopt: keys. Parsing key words, the kernel's rules for which keys
 * may coexist (RFC 5925 section 3.1 as Documentation/networking/
 * tcp_authopt.rst states them), TCP_AUTHOPT_KEY and /proc/net/tcp_authopt.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "tcp-authopt.h"

/* Sizes TCP_AUTHOPT_KEY accepts: the original struct, or with the ports. */
#define KEY_SIZE_ORIGINAL	256
#define KEY_SIZE_PORTS		264

void key_init(struct ak_key *k)
{
	memset(k, 0, sizeof(*k));
	k->send_id = -1;
	k->recv_id = -1;
	k->secret_len = -1;
}

static const struct {
	const char *name;
	int alg;
} alg_names[] = {
	{ "hmac-sha-1-96", TCP_AUTHOPT_ALG_HMAC_SHA_1_96 },
	{ "aes-128-cmac-96", TCP_AUTHOPT_ALG_AES_128_CMAC_96 },
	/* What router configurations call them. */
	{ "hmac-sha1-96", TCP_AUTHOPT_ALG_HMAC_SHA_1_96 },
	{ "hmac-sha-1", TCP_AUTHOPT_ALG_HMAC_SHA_1_96 },
	{ "hmac-sha1", TCP_AUTHOPT_ALG_HMAC_SHA_1_96 },
	{ "aes-128-cmac", TCP_AUTHOPT_ALG_AES_128_CMAC_96 },
	{ "aes-cmac-96", TCP_AUTHOPT_ALG_AES_128_CMAC_96 },
};

const char *alg_name(int alg)
{
	if (alg == TCP_AUTHOPT_ALG_HMAC_SHA_1_96)
		return "hmac-sha-1-96";
	if (alg == TCP_AUTHOPT_ALG_AES_128_CMAC_96)
		return "aes-128-cmac-96";
	return NULL;
}

static int parse_alg(const char *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(alg_names); i++)
		if (!strcasecmp(s, alg_names[i].name))
			return alg_names[i].alg;
	return 0;
}

static bool prefix_eq(int family, const unsigned char *a, const unsigned char *b,
		      unsigned int bits)
{
	unsigned int bytes = bits / 8, rest = bits % 8;

	(void)family;
	if (memcmp(a, b, bytes))
		return false;
	if (!rest)
		return true;
	return !((a[bytes] ^ b[bytes]) & (0xff << (8 - rest)));
}

static void prefix_clear(unsigned char *a, int family, unsigned int bits)
{
	unsigned int size = family == AF_INET ? 4 : 16, i;

	for (i = 0; i < size; i++) {
		if (bits >= 8 * (i + 1))
			continue;
		if (bits <= 8 * i)
			a[i] = 0;
		else
			a[i] &= 0xff << (8 - (bits - 8 * i));
	}
}

/*
 * "any", ADDR or ADDR/LEN; IPv4, IPv6 or IPv4-mapped IPv6. The kernel keeps
 * a mapped address as the IPv4 peer (tcp_authopt.rst), so it is kept so
 * here too; its /LEN is written the IPv6 way (96-128) and sent to the
 * kernel in IPv4 bits, as the ABI counts them.
 */
int key_set_peer(struct ak_key *k, const char *s, char *why, size_t whylen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned char a[16], orig[16];
	unsigned long len = 0;
	bool has_len = false;
	int family;

	k->flags &= ~KEY_ADDR_FLAGS;
	k->family = 0;
	k->mapped = false;
	k->prefixlen = 0;
	memset(k->addr, 0, sizeof(k->addr));
	if (!strcmp(s, "any"))
		return 0;
	if (strlen(s) >= sizeof(buf)) {
		snprintf(why, whylen, "not an address or prefix");
		return -1;
	}
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = 0;
		has_len = true;
	}
	if (inet_pton(AF_INET, buf, a) == 1) {
		family = AF_INET;
	} else if (inet_pton(AF_INET6, buf, a) == 1) {
		family = AF_INET6;
	} else {
		snprintf(why, whylen, "'%s' is not an IPv4 or IPv6 address", buf);
		return -1;
	}
	if (has_len && parse_uint(slash, family == AF_INET ? 32 : 128, &len)) {
		snprintf(why, whylen, "bad prefix length '%s' (0-%d)", slash,
			 family == AF_INET ? 32 : 128);
		return -1;
	}
	if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
		if (has_len && len < 96) {
			snprintf(why, whylen,
				 "prefix /%lu of an IPv4-mapped address covers more than IPv4: use 96-128 (/%lu is a.b.c.d/%lu)",
				 len, len + 96 > 128 ? 128 : len + 96, len);
			return -1;
		}
		memmove(a, a + 12, 4);
		family = AF_INET;
		k->mapped = true;
		if (has_len)
			len -= 96;
	}
	if (!has_len)
		len = family == AF_INET ? 32 : 128;
	memcpy(orig, a, 16);
	prefix_clear(a, family, len);
	if (memcmp(orig, a, family == AF_INET ? 4 : 16)) {
		char shown[INET6_ADDRSTRLEN];

		inet_ntop(family, a, shown, sizeof(shown));
		ak_warn("%s has host bits set: the kernel keeps %s/%lu", s, shown, len);
	}
	k->family = family;
	memcpy(k->addr, a, 16);
	k->prefixlen = len;
	k->flags |= TCP_AUTHOPT_KEY_ADDR_BIND;
	if (has_len)
		k->flags |= TCP_AUTHOPT_KEY_PREFIXLEN;
	return 0;
}

/* The kernel takes only L3 master devices; VRF is the one driver of those. */
static int dev_driver(const char *name, char *drv, size_t len)
{
	struct ethtool_drvinfo info;
	struct ifreq ifr;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memset(&info, 0, sizeof(info));
	info.cmd = ETHTOOL_GDRVINFO;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		err = -errno;
	else
		snprintf(drv, len, "%.*s", (int)sizeof(info.driver), info.driver);
	close(fd);
	return err;
}

/* "default" is the default VRF (IFINDEX with ifindex 0). */
int key_set_vrf(struct ak_key *k, const char *name, char *why, size_t whylen)
{
	char drv[64] = "";
	unsigned int idx;

	if (!strcmp(name, "default")) {
		k->flags |= TCP_AUTHOPT_KEY_IFINDEX;
		k->ifindex = 0;
		snprintf(k->vrf, sizeof(k->vrf), "default");
		return 0;
	}
	if (strlen(name) >= IF_NAMESIZE) {
		snprintf(why, whylen, "'%s' is not a device name", name);
		return -1;
	}
	idx = if_nametoindex(name);
	if (!idx) {
		snprintf(why, whylen, "no device '%s' in this network namespace", name);
		return -1;
	}
	if (dev_driver(name, drv, sizeof(drv)) || strcmp(drv, "vrf")) {
		snprintf(why, whylen, "'%s' is not a VRF device%s%s%s", name,
			 *drv ? " (driver " : "", drv, *drv ? ")" : "");
		return -1;
	}
	k->flags |= TCP_AUTHOPT_KEY_IFINDEX;
	k->ifindex = idx;
	snprintf(k->vrf, sizeof(k->vrf), "%s", name);
	return 0;
}

/* "N" or "N-M". */
static int parse_ports(const char *s, uint16_t *min, uint16_t *max)
{
	char buf[16], *dash;
	unsigned long a, b;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = 0;
	if (parse_uint(buf, 65535, &a))
		return -1;
	b = a;
	if (dash && parse_uint(dash, 65535, &b))
		return -1;
	if (a > b)
		return -1;
	*min = a;
	*max = b;
	return 0;
}

/* send-lifetime / accept-lifetime: BEGIN END|infinite, or always. */
static int parse_lifetime(struct ak_key *k, const struct ak_words *w, int *i,
			  bool send, bool recv)
{
	const char *kw = w->t[*i].s;
	uint64_t b, e = 0;
	bool end;

	if (*i + 1 < w->n && !strcmp(w->t[*i + 1].s, "always")) {
		if (send)
			k->flags &= ~(TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN |
				      TCP_AUTHOPT_KEY_SEND_LIFETIME_END);
		if (recv)
			k->flags &= ~(TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN |
				      TCP_AUTHOPT_KEY_RECV_LIFETIME_END);
		*i += 2;
		return 1;
	}
	if (*i + 2 >= w->n) {
		tokerr(w, *i, "%s needs BEGIN and END (or 'always')", kw);
		return -1;
	}
	if (parse_time(w->t[*i + 1].s, &b)) {
		tokerr(w, *i + 1,
		       "%s: bad time '%s' (use YYYY-MM-DDTHH:MM:SSZ, an offset such as +01:00, 'now' or @SECONDS)",
		       kw, w->t[*i + 1].s);
		return -1;
	}
	end = strcmp(w->t[*i + 2].s, "infinite");
	if (end && parse_time(w->t[*i + 2].s, &e)) {
		tokerr(w, *i + 2,
		       "%s: bad end time '%s' (ISO 8601 with a zone, 'now', @SECONDS or 'infinite')",
		       kw, w->t[*i + 2].s);
		return -1;
	}
	if (end && e < b) {
		tokerr(w, *i + 2, "%s: ends (%s) before it begins (%s)", kw,
		       w->t[*i + 2].s, w->t[*i + 1].s);
		return -1;
	}
	if (send) {
		k->flags |= TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN;
		k->flags &= ~TCP_AUTHOPT_KEY_SEND_LIFETIME_END;
		if (end)
			k->flags |= TCP_AUTHOPT_KEY_SEND_LIFETIME_END;
		k->send_begin = b;
		k->send_end = e;
	}
	if (recv) {
		k->flags |= TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN;
		k->flags &= ~TCP_AUTHOPT_KEY_RECV_LIFETIME_END;
		if (end)
			k->flags |= TCP_AUTHOPT_KEY_RECV_LIFETIME_END;
		k->recv_begin = b;
		k->recv_end = e;
	}
	*i += 3;
	return 1;
}

static int set_secret(struct ak_key *k, const struct ak_words *w, int i, const char *path,
		      bool hex)
{
	char why[PATH_MAX + 128];

	if (k->secret_len >= 0) {
		tokerr(w, i, "more than one secret given");
		return -1;
	}
	if (read_secret(path, w->dir, hex, k->secret, &k->secret_len, &k->secret_stdin,
			why, sizeof(why))) {
		tokerr(w, i, "%s: %s", w->t[i].s, why);
		return -1;
	}
	return 0;
}

/* A secret written in the words themselves (never echoed in messages). */
static int set_inline_secret(struct ak_key *k, const struct ak_words *w, int i,
			     const char *s, bool hex)
{
	size_t n = strlen(s);
	int err;

	if (k->secret_len >= 0) {
		tokerr(w, i, "more than one secret given");
		return -1;
	}
	if (hex) {
		err = hex_decode(s, k->secret, TCP_AUTHOPT_MAXKEYLEN, &k->secret_len);
		if (err || !k->secret_len) {
			k->secret_len = -1;
			tokerr(w, i, "%s: %s", w->t[i].s,
			       err == -2 ? "more than 80 bytes" :
			       err ? "not hexadecimal" : "empty secret");
			return -1;
		}
		return 0;
	}
	if (!n || n > TCP_AUTHOPT_MAXKEYLEN) {
		tokerr(w, i, "%s: %s", w->t[i].s,
		       n ? "longer than 80 bytes, the most TCP-AO allows" : "empty secret");
		return -1;
	}
	memcpy(k->secret, s, n);
	k->secret_len = n;
	return 0;
}

static int need_args(const struct ak_words *w, int i, int n, const char *what)
{
	if (i + n < w->n)
		return 0;
	tokerr(w, i, "%s needs %s", w->t[i].s, what);
	return -1;
}

/*
 * One key attribute at word *i. Return: 1 (consumed, *i advanced), 0 (not a
 * key word), -1 (error reported) or -2 (a key word @allow does not take).
 */
int key_attr(struct ak_key *k, const struct ak_words *w, int *i, unsigned int allow)
{
	const char *kw = w->t[*i].s;
	char why[256];
	unsigned long v;

	if (!strcmp(kw, "send-id") || !strcmp(kw, "recv-id") ||
	    !strcmp(kw, "receive-id") || !strcmp(kw, "id")) {
		if (!(allow & KA_IDS))
			return -2;
		if (need_args(w, *i, 1, "a number 0-255"))
			return -1;
		if (parse_uint(w->t[*i + 1].s, 255, &v)) {
			tokerr(w, *i + 1, "%s: '%s' is not a number 0-255", kw, w->t[*i + 1].s);
			return -1;
		}
		if (strcmp(kw, "recv-id") && strcmp(kw, "receive-id"))
			k->send_id = v;
		if (strcmp(kw, "send-id"))
			k->recv_id = v;
		*i += 2;
		return 1;
	}
	if (!strcmp(kw, "peer")) {
		if (!(allow & KA_PEER))
			return -2;
		if (need_args(w, *i, 1, "ADDR, ADDR/LEN or any"))
			return -1;
		if (key_set_peer(k, w->t[*i + 1].s, why, sizeof(why))) {
			tokerr(w, *i + 1, "peer: %s", why);
			return -1;
		}
		*i += 2;
		return 1;
	}
	if (!strcmp(kw, "vrf")) {
		if (!(allow & KA_VRF))
			return -2;
		if (need_args(w, *i, 1, "a VRF device name or 'default'"))
			return -1;
		if (key_set_vrf(k, w->t[*i + 1].s, why, sizeof(why))) {
			tokerr(w, *i + 1, "vrf: %s", why);
			return -1;
		}
		*i += 2;
		return 1;
	}
	if (!strcmp(kw, "local-port") || !strcmp(kw, "remote-port")) {
		bool local = kw[0] == 'l';

		if (!(allow & KA_PORTS))
			return -2;
		if (need_args(w, *i, 1, "PORT or MIN-MAX"))
			return -1;
		if (!strcmp(w->t[*i + 1].s, "any")) {
			k->flags &= ~(local ? TCP_AUTHOPT_KEY_LOCAL_PORT :
				      TCP_AUTHOPT_KEY_REMOTE_PORT);
		} else {
			if (parse_ports(w->t[*i + 1].s, local ? &k->lport_min : &k->rport_min,
					local ? &k->lport_max : &k->rport_max)) {
				tokerr(w, *i + 1, "%s: '%s' is not PORT or MIN-MAX (0-65535)", kw,
				       w->t[*i + 1].s);
				return -1;
			}
			k->flags |= local ? TCP_AUTHOPT_KEY_LOCAL_PORT :
					    TCP_AUTHOPT_KEY_REMOTE_PORT;
		}
		*i += 2;
		return 1;
	}
	if (!strcmp(kw, "algorithm") || !strcmp(kw, "alg")) {
		if (!(allow & KA_PARAMS))
			return -2;
		if (need_args(w, *i, 1, "hmac-sha-1-96 or aes-128-cmac-96"))
			return -1;
		k->alg = parse_alg(w->t[*i + 1].s);
		if (!k->alg) {
			tokerr(w, *i + 1,
			       "%s: unknown algorithm '%s' (hmac-sha-1-96 or aes-128-cmac-96)",
			       kw, w->t[*i + 1].s);
			return -1;
		}
		*i += 2;
		return 1;
	}
	if (!strcmp(kw, "send-lifetime")) {
		if (!(allow & KA_PARAMS))
			return -2;
		return parse_lifetime(k, w, i, true, false);
	}
	if (!strcmp(kw, "accept-lifetime") || !strcmp(kw, "recv-lifetime")) {
		if (!(allow & KA_PARAMS))
			return -2;
		return parse_lifetime(k, w, i, false, true);
	}
	if (!strcmp(kw, "lifetime")) {
		if (!(allow & KA_PARAMS))
			return -2;
		return parse_lifetime(k, w, i, true, true);
	}
	if (!strcmp(kw, "include-options") || !strcmp(kw, "exclude-options") ||
	    !strcmp(kw, "nosend") || !strcmp(kw, "norecv") ||
	    !strcmp(kw, "send") || !strcmp(kw, "recv")) {
		if (!(allow & KA_PARAMS))
			return -2;
		if (!strcmp(kw, "include-options"))
			k->flags &= ~TCP_AUTHOPT_KEY_EXCLUDE_OPTS;
		else if (!strcmp(kw, "exclude-options"))
			k->flags |= TCP_AUTHOPT_KEY_EXCLUDE_OPTS;
		else if (!strcmp(kw, "nosend"))
			k->flags |= TCP_AUTHOPT_KEY_NOSEND;
		else if (!strcmp(kw, "norecv"))
			k->flags |= TCP_AUTHOPT_KEY_NORECV;
		else if (!strcmp(kw, "send"))
			k->flags &= ~TCP_AUTHOPT_KEY_NOSEND;
		else
			k->flags &= ~TCP_AUTHOPT_KEY_NORECV;
		*i += 1;
		return 1;
	}
	if (!strcmp(kw, "secret-file") || !strcmp(kw, "secret-hex-file")) {
		if (!(allow & KA_SECRET))
			return -2;
		if (need_args(w, *i, 1, "a path or '-' (standard input)"))
			return -1;
		if (w->file && !strcmp(w->t[*i + 1].s, "-")) {
			tokerr(w, *i + 1, "%s -: standard input is not available in a file", kw);
			return -1;
		}
		if (set_secret(k, w, *i, w->t[*i + 1].s, kw[7] == 'h'))
			return -1;
		*i += 2;
		return 1;
	}
	if (!strcmp(kw, "--insecure-secret")) {
		if (!(allow & KA_CLI_SECRET))
			return -2;
		if (need_args(w, *i, 1, "the secret (visible to every user in ps)"))
			return -1;
		if (set_inline_secret(k, w, *i, w->t[*i + 1].s, false))
			return -1;
		*i += 2;
		return 1;
	}
	if (!strcmp(kw, "secret") || !strcmp(kw, "secret-hex")) {
		if (!(allow & KA_FILE_SECRET))
			return -2;
		if (need_args(w, *i, 1, "a value"))
			return -1;
		if (set_inline_secret(k, w, *i, w->t[*i + 1].s, kw[6] == '-'))
			return -1;
		*i += 2;
		return 1;
	}
	return 0;
}

/* Complete enough to send? */
int key_check(const struct ak_key *k, bool del, char *why, size_t whylen)
{
	if (k->send_id < 0 || k->recv_id < 0) {
		snprintf(why, whylen, "send-id and recv-id are required (or id N for both)");
		return -1;
	}
	if (del)
		return 0;
	if (!k->alg) {
		snprintf(why, whylen,
			 "algorithm is required (hmac-sha-1-96 or aes-128-cmac-96, as on the peer)");
		return -1;
	}
	if (k->secret_len < 0) {
		snprintf(why, whylen,
			 "a secret is required: secret-file PATH|-, secret-hex-file PATH|- (or --insecure-secret STRING)");
		return -1;
	}
	return 0;
}

static bool addr_bound(const struct ak_key *k)
{
	return k->flags & KEY_ADDR_FLAGS;
}

/* The kernel's order: address prefix, then VRF, then ports. */
int key_specificity(const struct ak_key *k)
{
	int spec = addr_bound(k) ? (int)k->prefixlen + 1 : 0;

	spec *= 4;
	if (k->flags & TCP_AUTHOPT_KEY_IFINDEX)
		spec += 2;
	if (k->flags & KEY_PORT_FLAGS)
		spec += 1;
	return spec;
}

static void port_range(const struct ak_key *k, bool local, unsigned int *min, unsigned int *max)
{
	uint32_t flag = local ? TCP_AUTHOPT_KEY_LOCAL_PORT : TCP_AUTHOPT_KEY_REMOTE_PORT;

	/* A range /proc does not show could be anything: assume all. */
	if (!(k->flags & flag) || k->ports_unknown) {
		*min = 0;
		*max = 65535;
	} else {
		*min = local ? k->lport_min : k->rport_min;
		*max = local ? k->lport_max : k->rport_max;
	}
}

/* Can one connection match both keys? */
bool key_overlap(const struct ak_key *a, const struct ak_key *b)
{
	unsigned int amin, amax, bmin, bmax;
	int side;

	if (addr_bound(a) && addr_bound(b) &&
	    (a->family != b->family ||
	     !prefix_eq(a->family, a->addr, b->addr,
			a->prefixlen < b->prefixlen ? a->prefixlen : b->prefixlen)))
		return false;
	if ((a->flags & b->flags & TCP_AUTHOPT_KEY_IFINDEX) && a->ifindex != b->ifindex)
		return false;
	for (side = 0; side < 2; side++) {
		port_range(a, side, &amin, &amax);
		port_range(b, side, &bmin, &bmax);
		if (amax < bmin || bmax < amin)
			return false;
	}
	return true;
}

/* What the kernel refuses with EEXIST (RFC 5925 section 3.1). */
bool key_conflict(const struct ak_key *a, const struct ak_key *b)
{
	return (a->send_id == b->send_id || a->recv_id == b->recv_id) &&
	       key_specificity(a) == key_specificity(b) && key_overlap(a, b);
}

/* Same identity: a DEL names it, an add replaces it. */
bool key_same_ident(const struct ak_key *a, const struct ak_key *b)
{
	if (a->send_id != b->send_id || a->recv_id != b->recv_id ||
	    (a->flags & KEY_IDENT_FLAGS) != (b->flags & KEY_IDENT_FLAGS))
		return false;
	if (addr_bound(a) && (a->family != b->family || a->prefixlen != b->prefixlen ||
			      !prefix_eq(a->family, a->addr, b->addr, a->prefixlen)))
		return false;
	if ((a->flags & TCP_AUTHOPT_KEY_IFINDEX) && a->ifindex != b->ifindex)
		return false;
	if (a->ports_unknown || b->ports_unknown)
		return true;	/* as far as anyone can tell */
	return (!(a->flags & TCP_AUTHOPT_KEY_LOCAL_PORT) ||
		(a->lport_min == b->lport_min && a->lport_max == b->lport_max)) &&
	       (!(a->flags & TCP_AUTHOPT_KEY_REMOTE_PORT) ||
		(a->rport_min == b->rport_min && a->rport_max == b->rport_max));
}

/* Could @k apply to connections with the address (prefix) of @peer? */
bool key_applies_to(const struct ak_key *k, const struct ak_key *peer)
{
	if (!addr_bound(k))
		return true;
	return k->family == peer->family &&
	       prefix_eq(k->family, k->addr, peer->addr,
			 k->prefixlen < peer->prefixlen ? k->prefixlen : peer->prefixlen);
}

void key_peer_str(const struct ak_key *k, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!addr_bound(k)) {
		snprintf(buf, len, "any");
		return;
	}
	inet_ntop(k->family, k->addr, a, sizeof(a));
	if (k->flags & TCP_AUTHOPT_KEY_PREFIXLEN)
		snprintf(buf, len, "%s/%u", a, k->prefixlen);
	else
		snprintf(buf, len, "%s", a);
}

static void vrf_str(const struct ak_key *k, char *buf, size_t len)
{
	if (k->vrf[0])
		snprintf(buf, len, "%s", k->vrf);
	else if (!k->ifindex)
		snprintf(buf, len, "default");
	else
		snprintf(buf, len, "ifindex-%u", k->ifindex);
}

static void ports_str(const struct ak_key *k, bool local, char *buf, size_t len)
{
	uint16_t min = local ? k->lport_min : k->rport_min;
	uint16_t max = local ? k->lport_max : k->rport_max;

	if (k->ports_unknown)
		snprintf(buf, len, "set");
	else if (min == max)
		snprintf(buf, len, "%u", min);
	else
		snprintf(buf, len, "%u-%u", min, max);
}

/* "key 7/9 for 198.51.100.2 in vrf red": how messages name a key. */
void key_name(const struct ak_key *k, char *buf, size_t len)
{
	char peer[INET6_ADDRSTRLEN + 8], vrf[40], lp[16], rp[16];
	size_t n;

	key_peer_str(k, peer, sizeof(peer));
	n = snprintf(buf, len, "key %d/%d for %s", k->send_id, k->recv_id,
		     addr_bound(k) ? peer : "any peer");
	if (n < len && (k->flags & TCP_AUTHOPT_KEY_IFINDEX)) {
		vrf_str(k, vrf, sizeof(vrf));
		n += snprintf(buf + n, len - n, " in vrf %s", vrf);
	}
	if (n < len && (k->flags & TCP_AUTHOPT_KEY_LOCAL_PORT)) {
		ports_str(k, true, lp, sizeof(lp));
		n += snprintf(buf + n, len - n, " local-port %s", lp);
	}
	if (n < len && (k->flags & TCP_AUTHOPT_KEY_REMOTE_PORT)) {
		ports_str(k, false, rp, sizeof(rp));
		snprintf(buf + n, len - n, " remote-port %s", rp);
	}
}

static void life_word(const struct ak_key *k, uint32_t flag, uint64_t t, bool end,
		      char *buf, size_t len)
{
	if (!(k->flags & flag))
		snprintf(buf, len, end ? "infinite" : "-");
	else if (k->from_kernel)
		snprintf(buf, len, "set");	/* the kernel does not show it */
	else
		format_time(t, buf, len);
}

/*
 * A key in the words of the command line: identity first (what key del
 * takes), then the rest. Lifetimes the kernel does not show read "set".
 */
void key_words(const struct ak_key *k, char *buf, size_t len)
{
	char peer[INET6_ADDRSTRLEN + 8], tmp[40], b[32], e[32];
	size_t n;

#define ADD(...) do { if (n < len) n += snprintf(buf + n, len - n, __VA_ARGS__); } while (0)
	n = 0;
	key_peer_str(k, peer, sizeof(peer));
	ADD("send-id %d recv-id %d peer %s", k->send_id, k->recv_id, peer);
	if (k->flags & TCP_AUTHOPT_KEY_IFINDEX) {
		vrf_str(k, tmp, sizeof(tmp));
		ADD(" vrf %s", tmp);
	}
	if (k->flags & TCP_AUTHOPT_KEY_LOCAL_PORT) {
		ports_str(k, true, tmp, sizeof(tmp));
		ADD(" local-port %s", tmp);
	}
	if (k->flags & TCP_AUTHOPT_KEY_REMOTE_PORT) {
		ports_str(k, false, tmp, sizeof(tmp));
		ADD(" remote-port %s", tmp);
	}
	if (alg_name(k->alg))
		ADD(" algorithm %s", alg_name(k->alg));
	else
		ADD(" algorithm %d", k->alg);
	ADD(" %s", k->flags & TCP_AUTHOPT_KEY_EXCLUDE_OPTS ? "exclude-options" :
	    "include-options");
	if (k->flags & TCP_AUTHOPT_KEY_NOSEND)
		ADD(" nosend");
	if (k->flags & TCP_AUTHOPT_KEY_NORECV)
		ADD(" norecv");
	if (k->flags & (TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_SEND_LIFETIME_END)) {
		life_word(k, TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN, k->send_begin, false,
			  b, sizeof(b));
		life_word(k, TCP_AUTHOPT_KEY_SEND_LIFETIME_END, k->send_end, true, e, sizeof(e));
		ADD(" send-lifetime %s %s", b, e);
	}
	if (k->flags & (TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN | TCP_AUTHOPT_KEY_RECV_LIFETIME_END)) {
		life_word(k, TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN, k->recv_begin, false,
			  b, sizeof(b));
		life_word(k, TCP_AUTHOPT_KEY_RECV_LIFETIME_END, k->recv_end, true, e, sizeof(e));
		ADD(" accept-lifetime %s %s", b, e);
	}
	if (k->flags & ~(KEY_IDENT_FLAGS | KEY_LIFE_FLAGS | TCP_AUTHOPT_KEY_EXCLUDE_OPTS |
			 TCP_AUTHOPT_KEY_NOSEND | TCP_AUTHOPT_KEY_NORECV))
		ADD(" flags 0x%x", k->flags);
#undef ADD
}

static void life_json(struct json *j, const char *name, const struct ak_key *k,
		      uint32_t bflag, uint64_t b, uint32_t eflag, uint64_t e)
{
	char t[32];

	j_obj(j, name);
	if (!(k->flags & bflag)) {
		j_null(j, "begin");
	} else {
		life_word(k, bflag, b, false, t, sizeof(t));
		j_str(j, "begin", t);
	}
	if (!(k->flags & eflag)) {
		j_null(j, "end");
	} else {
		life_word(k, eflag, e, true, t, sizeof(t));
		j_str(j, "end", t);
	}
	j_obj_end(j);
}

/* Never the material: only its length when the tool holds it. */
void key_json(struct json *j, const char *jkey, const struct ak_key *k)
{
	char s[INET6_ADDRSTRLEN + 8];

	j_obj(j, jkey);
	j_int(j, "send_id", k->send_id);
	j_int(j, "recv_id", k->recv_id);
	if (alg_name(k->alg))
		j_str(j, "algorithm", alg_name(k->alg));
	else
		j_null(j, "algorithm");
	j_int(j, "alg", k->alg);
	if (addr_bound(k)) {
		key_peer_str(k, s, sizeof(s));
		j_str(j, "peer", s);
		j_str(j, "family", k->family == AF_INET ? "inet" : "inet6");
		j_uint(j, "prefixlen", k->prefixlen);
		j_bool(j, "prefix", k->flags & TCP_AUTHOPT_KEY_PREFIXLEN);
	} else {
		j_null(j, "peer");
	}
	if (k->flags & TCP_AUTHOPT_KEY_IFINDEX) {
		vrf_str(k, s, sizeof(s));
		j_str(j, "vrf", s);
		j_uint(j, "ifindex", k->ifindex);
	} else {
		j_null(j, "vrf");
	}
	if (k->flags & TCP_AUTHOPT_KEY_LOCAL_PORT) {
		ports_str(k, true, s, sizeof(s));
		j_str(j, "local_port", s);
	}
	if (k->flags & TCP_AUTHOPT_KEY_REMOTE_PORT) {
		ports_str(k, false, s, sizeof(s));
		j_str(j, "remote_port", s);
	}
	j_bool(j, "include_options", !(k->flags & TCP_AUTHOPT_KEY_EXCLUDE_OPTS));
	j_bool(j, "nosend", k->flags & TCP_AUTHOPT_KEY_NOSEND);
	j_bool(j, "norecv", k->flags & TCP_AUTHOPT_KEY_NORECV);
	life_json(j, "send_lifetime", k, TCP_AUTHOPT_KEY_SEND_LIFETIME_BEGIN, k->send_begin,
		  TCP_AUTHOPT_KEY_SEND_LIFETIME_END, k->send_end);
	life_json(j, "accept_lifetime", k, TCP_AUTHOPT_KEY_RECV_LIFETIME_BEGIN, k->recv_begin,
		  TCP_AUTHOPT_KEY_RECV_LIFETIME_END, k->recv_end);
	snprintf(s, sizeof(s), "0x%x", k->flags);
	j_str(j, "flags", s);
	if (k->secret_len >= 0)
		j_int(j, "secret_bytes", k->secret_len);
	j_obj_end(j);
}

static int tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd;
}

/* Add (replace) or delete through any TCP socket: keys are per namespace. */
int key_kernel(const struct ak_key *k, bool del)
{
	struct tcp_authopt_key opt;
	socklen_t size = k->flags & KEY_PORT_FLAGS ? KEY_SIZE_PORTS : KEY_SIZE_ORIGINAL;
	int fd, err = 0;

	memset(&opt, 0, sizeof(opt));
	opt.flags = k->flags | (del ? TCP_AUTHOPT_KEY_DEL : 0);
	opt.send_id = k->send_id;
	opt.recv_id = k->recv_id;
	opt.alg = k->alg;
	if (!del && k->secret_len > 0) {
		opt.keylen = k->secret_len;
		memcpy(opt.key, k->secret, k->secret_len);
	}
	if (addr_bound(k) && k->family == AF_INET && !k->mapped) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&opt.addr;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, k->addr, 4);
	} else if (addr_bound(k)) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&opt.addr;

		sin6->sin6_family = AF_INET6;
		if (k->mapped) {
			sin6->sin6_addr.s6_addr[10] = 0xff;
			sin6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&sin6->sin6_addr.s6_addr[12], k->addr, 4);
		} else {
			memcpy(&sin6->sin6_addr, k->addr, 16);
		}
	}
	opt.prefixlen = k->prefixlen;
	opt.ifindex = k->ifindex;
	opt.send_lifetime_begin = k->send_begin;
	opt.send_lifetime_end = k->send_end;
	opt.recv_lifetime_begin = k->recv_begin;
	opt.recv_lifetime_end = k->recv_end;
	opt.local_port_min = k->lport_min;
	opt.local_port_max = k->lport_max;
	opt.remote_port_min = k->rport_min;
	opt.remote_port_max = k->rport_max;

	fd = tcp_socket();
	if (fd < 0)
		err = -errno;
	else if (setsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT_KEY, &opt, size))
		err = -errno;
	if (fd >= 0)
		close(fd);
	wipe(&opt, sizeof(opt));
	return err;
}

/* One line of /proc/net/tcp_authopt: flags send_id recv_id alg addr l3index. */
static int parse_proc_line(char *line, struct ak_key *k)
{
	unsigned int flags, sid, rid, alg;
	char addr[INET6_ADDRSTRLEN + 8], *slash;
	unsigned long plen;
	int l3, family;

	if (sscanf(line, "%x %u %u %u %50s %d", &flags, &sid, &rid, &alg, addr, &l3) != 6 ||
	    sid > 255 || rid > 255)
		return -1;
	key_init(k);
	k->flags = flags;
	k->send_id = sid;
	k->recv_id = rid;
	k->alg = alg;
	k->ifindex = l3;
	if (flags & TCP_AUTHOPT_KEY_IFINDEX) {
		if (!l3)
			snprintf(k->vrf, sizeof(k->vrf), "default");
		else if (!if_indextoname(l3, k->vrf))
			k->vrf[0] = 0;
	}
	k->from_kernel = true;
	k->ports_unknown = flags & KEY_PORT_FLAGS;
	if (k->ports_unknown) {
		k->lport_max = 65535;
		k->rport_max = 65535;
	}
	if (!strcmp(addr, "*"))
		return 0;
	slash = strchr(addr, '/');
	if (slash)
		*slash++ = 0;
	family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, addr, k->addr) != 1)
		return -1;
	k->family = family;
	k->prefixlen = family == AF_INET ? 32 : 128;
	if (slash) {
		if (parse_uint(slash, k->prefixlen, &plen))
			return -1;
		k->prefixlen = plen;
	}
	return 0;
}

/* The installed keys. Return 0, or -1 with *err the errno. */
int key_list_read(struct ak_list *l, int *err)
{
	char line[256];
	FILE *f;
	int cap = 0;

	l->keys = NULL;
	l->n = 0;
	f = fopen(KEY_PROC, "re");
	if (!f) {
		*err = errno;
		return -1;
	}
	if (!fgets(line, sizeof(line), f)) {
		*err = ferror(f) ? EIO : 0;
		fclose(f);
		return *err ? -1 : 0;
	}
	while (fgets(line, sizeof(line), f)) {
		if (l->n == cap) {
			struct ak_key *nk;

			cap = cap ? cap * 2 : 64;
			nk = realloc(l->keys, cap * sizeof(*nk));
			if (!nk) {
				*err = ENOMEM;
				fclose(f);
				key_list_free(l);
				return -1;
			}
			l->keys = nk;
		}
		if (parse_proc_line(line, &l->keys[l->n])) {
			ak_warn("%s: line not understood: %s", KEY_PROC, line);
			continue;
		}
		l->n++;
	}
	fclose(f);
	return 0;
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct ak_key *a = pa, *b = pb;
	int c;

	if (!!(a->flags & KEY_ADDR_FLAGS) != !!(b->flags & KEY_ADDR_FLAGS))
		return a->flags & KEY_ADDR_FLAGS ? 1 : -1;
	if (a->family != b->family)
		return a->family - b->family;
	c = memcmp(a->addr, b->addr, 16);
	if (c)
		return c;
	if (a->prefixlen != b->prefixlen)
		return (int)a->prefixlen - (int)b->prefixlen;
	/* Same binding, same place: status counts bindings on this order. */
	if ((a->flags ^ b->flags) & KEY_IDENT_FLAGS)
		return (int)(a->flags & KEY_IDENT_FLAGS) - (int)(b->flags & KEY_IDENT_FLAGS);
	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	if (a->send_id != b->send_id)
		return a->send_id - b->send_id;
	return a->recv_id - b->recv_id;
}

/* 0 when two keys are bound alike (peer, vrf, kind of port binding). */
int key_cmp_peer(const struct ak_key *a, const struct ak_key *b)
{
	if ((a->flags ^ b->flags) & KEY_IDENT_FLAGS)
		return 1;
	if ((a->flags & KEY_ADDR_FLAGS) &&
	    (a->family != b->family || a->prefixlen != b->prefixlen ||
	     memcmp(a->addr, b->addr, 16)))
		return 1;
	return (a->flags & TCP_AUTHOPT_KEY_IFINDEX) && a->ifindex != b->ifindex;
}

void key_list_sort(struct ak_list *l)
{
	if (l->n)
		qsort(l->keys, l->n, sizeof(l->keys[0]), key_cmp);
}

void key_list_free(struct ak_list *l)
{
	free(l->keys);
	l->keys = NULL;
	l->n = 0;
}

/*
 * Is TCP-AO usable from here? getsockopt(TCP_AUTHOPT) on a fresh socket
 * answers from any namespace without privileges: EPERM while the host-wide
 * switch is 0, ENOENT (or success in the netns-wide mode) once it is 1.
 * /proc/net/tcp_authopt tells this ABI from upstream TCP_AO, which uses the
 * same option numbers.
 */
int ao_probe(void)
{
	struct tcp_authopt opt;
	socklen_t len = sizeof(opt);
	int fd, ret;

	if (access(KEY_PROC, F_OK) && errno == ENOENT)
		return AO_UNSUPPORTED;
	fd = tcp_socket();
	if (fd < 0)
		return AO_UNKNOWN;
	if (!getsockopt(fd, IPPROTO_TCP, TCP_AUTHOPT, &opt, &len) || errno == ENOENT)
		ret = AO_ENABLED;
	else if (errno == EPERM)
		ret = AO_DISABLED;
	else if (errno == ENOPROTOOPT)
		ret = AO_UNSUPPORTED;
	else
		ret = AO_UNKNOWN;
	close(fd);
	return ret;
}

/* Before changing keys: 0, or a message and EXIT_UNAVAIL. */
int ao_unavailable(void)
{
	switch (ao_probe()) {
	case AO_UNSUPPORTED:
		ak_err("this kernel has no tcp_authopt (no %s): build with CONFIG_TCP_AUTHOPT; upstream TCP_AO kernels use another ABI",
		       KEY_PROC);
		return EXIT_UNAVAIL;
	case AO_DISABLED:
		ak_err("tcp_authopt is disabled: sysctl net.ipv4.tcp_authopt=1 (host-wide, in the initial namespace; it cannot be turned off again)");
		return EXIT_UNAVAIL;
	}
	return 0;
}

/* Explain a failed TCP_AUTHOPT_KEY; return the exit code. */
int key_explain(int err, const struct ak_key *k, bool del, const char *what)
{
	char name[160], other[160];
	struct ak_list l;
	int e, i, found = 0;

	key_name(k, name, sizeof(name));
	if (err == EPERM) {
		if (ao_unavailable())
			return EXIT_UNAVAIL;
		ak_err("%s: permission denied: changing keys needs CAP_NET_ADMIN in the network namespace",
		       what);
		return EXIT_FAIL;
	}
	if (err == ENOPROTOOPT)
		return ao_unavailable() ?: EXIT_FAIL;
	if (err == ENOENT && del) {
		ak_err("%s: no such key: %s", what, name);
		if (!key_list_read(&l, &e)) {
			for (i = 0; i < l.n; i++) {
				if (l.keys[i].send_id != k->send_id ||
				    l.keys[i].recv_id != k->recv_id)
					continue;
				if (!found++)
					fprintf(stderr,
						"  installed with these ids (a key is named by its ids, peer, vrf and ports):\n");
				key_words(&l.keys[i], other, sizeof(other));
				fprintf(stderr, "    %s\n", other);
			}
			key_list_free(&l);
		}
		return EXIT_FAIL;
	}
	if (!del && (err == EEXIST || err == EINVAL) && !key_list_read(&l, &e)) {
		for (i = 0; i < l.n; i++) {
			if (key_same_ident(&l.keys[i], k) || !key_conflict(&l.keys[i], k))
				continue;
			key_name(&l.keys[i], other, sizeof(other));
			ak_err("%s: this key overlaps %s (RFC 5925 3.1): equally specific keys that can apply to one connection must not share a send-id or a recv-id",
			       what, other);
			found = 1;
			break;
		}
		key_list_free(&l);
		if (found)
			return EXIT_FAIL;
	}
	switch (err) {
	case EEXIST:
		ak_err("%s: the kernel reports that %s overlaps another key (RFC 5925 3.1), but no such key is listed now",
		       what, name);
		break;
	case EINVAL:
		if ((k->flags & TCP_AUTHOPT_KEY_IFINDEX) && k->ifindex)
			ak_err("%s: the kernel refused %s as invalid (EINVAL): is vrf %s (ifindex %u) still a VRF device?",
			       what, name, k->vrf, k->ifindex);
		else
			ak_err("%s: the kernel refused %s as invalid (EINVAL)", what, name);
		break;
	case ENOSPC:
		ak_err("%s: the network namespace already holds %d keys, the most it can", what,
		       MAX_KEYS);
		break;
	case ENOMEM:
		ak_err("%s: the kernel is out of memory", what);
		break;
	default:
		ak_err("%s: %s: %s", what, name, strerror(err));
	}
	return EXIT_FAIL;
}
