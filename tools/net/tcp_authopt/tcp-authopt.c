// SPDX-License-Identifier: GPL-2.0
/*
 * tcp-authopt: manage the TCP Authentication Option (RFC 5925) keys of a
 * network namespace through the tcp_authopt ABI (TCP_AUTHOPT_KEY,
 * /proc/net/tcp_authopt, net.ipv4.tcp_authopt, TcpExt TCPAuthOpt*).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tcp-authopt.h"

#define VERSION "1.0"

struct ak_opts opts = { .interval = 2.0 };
const char *progname = "tcp-authopt";

static const char help_main[] =
"Usage: tcp-authopt [OPTIONS] COMMAND [ARGUMENTS]\n"
"\n"
"Manage the TCP Authentication Option (TCP-AO, RFC 5925) keys of a network\n"
"namespace. Keys belong to the namespace, not to a socket: a key applies to\n"
"every connection of the namespace that takes part in TCP-AO.\n"
"\n"
"Commands:\n"
"  key add KEY               add a key, or replace the key of the same identity\n"
"  key del KEY-IDENTITY      delete a key\n"
"  key list [FILTER]         list the installed keys (never their material)\n"
"  status                    availability, the switches, the number of keys\n"
"  counters                  TCP-AO drop counters (TcpExt TCPAuthOpt*)\n"
"  watch [interval S] [count N]\n"
"                            show counters and keys every S seconds\n"
"  apply [--dry-run] FILE    make the installed keys those of a key-chain file\n"
"  help [COMMAND]            this text, or the help of a command\n"
"\n"
"Options (before the command; --json and --help also after it):\n"
"  -n, --netns NAME   work in network namespace NAME (/run/netns/NAME, as made\n"
"                     by 'ip netns add'); NAME may also be a path to a netns file\n"
"  -j, --json         JSON output for key list, status, counters, watch, apply\n"
"  -h, --help         this text; 'COMMAND --help' for a command\n"
"  -V, --version      print the version\n"
"\n"
"Changing keys needs CAP_NET_ADMIN; reading them needs root (the list is\n"
"mode 0400). The host-wide switch net.ipv4.tcp_authopt must be 1.\n"
"\n"
"Exit status:\n"
"  0  success\n"
"  1  the kernel or the system refused (no such key, overlapping key, no\n"
"     permission, ...); for apply: the result differs from the file\n"
"  2  bad command line or input file: nothing was changed\n"
"  3  tcp_authopt is not available: no kernel support, or net.ipv4.tcp_authopt=0\n"
"  4  apply failed and everything it changed was undone\n"
"  5  apply failed and the old state could not be fully restored (see its report)\n"
"\n"
"See tcp-authopt(8).\n";

static const char help_key[] =
"Usage: tcp-authopt key add KEY\n"
"       tcp-authopt key del KEY-IDENTITY\n"
"       tcp-authopt [--json] key list [FILTER]\n"
"\n"
"A key (RFC 5925 Master Key Tuple) is named by its identity: send-id, recv-id,\n"
"peer, vrf (and port ranges). 'tcp-authopt help key add', 'help key del' and\n"
"'help key list' tell more.\n";

static const char help_key_add[] =
"Usage: tcp-authopt key add KEY\n"
"\n"
"Add a key to the network namespace, or replace atomically the key with the\n"
"same identity (send-id, recv-id, peer, vrf, ports): connections see the old\n"
"key or the new one, never neither.\n"
"\n"
"KEY := { send-id ID recv-id ID | id ID } algorithm ALG SECRET [ BINDING ]\n"
"       [ OPTION ]...\n"
"ALG := { hmac-sha-1-96 | aes-128-cmac-96 }\n"
"SECRET := { secret-file PATH | secret-file - | secret-hex-file PATH |\n"
"            secret-hex-file - | --insecure-secret STRING }\n"
"BINDING := [ peer { ADDR | ADDR/LEN | any } ] [ vrf { NAME | default } ]\n"
"           [ local-port PORT[-PORT] ] [ remote-port PORT[-PORT] ]\n"
"OPTION := { send-lifetime BEGIN END | accept-lifetime BEGIN END |\n"
"            lifetime BEGIN END | include-options | exclude-options |\n"
"            nosend | norecv }\n"
"BEGIN := { YYYY-MM-DDTHH:MM[:SS]ZONE | now | @SECONDS }\n"
"END := { BEGIN | infinite };  ZONE := { Z | +HH:MM | -HH:MM }\n"
"\n"
"  send-id ID      KeyID this end puts in the segments it signs (0-255)\n"
"  recv-id ID      KeyID of the segments this key verifies (0-255); one side's\n"
"                  send-id is the other side's recv-id\n"
"  id ID           both at once\n"
"  algorithm ALG   RFC 5926 MAC, as configured on the peer (also: hmac-sha1,\n"
"                  aes-128-cmac)\n"
"  secret-file PATH  the master key: the bytes of PATH (one trailing newline\n"
"                  dropped), 1 to 80 bytes; '-' reads standard input\n"
"  secret-hex-file PATH  the master key in hexadecimal ('-': standard input);\n"
"                  blanks and ':' between bytes are ignored\n"
"  --insecure-secret STRING  the master key on the command line, where every\n"
"                  user can read it (ps, /proc/PID/cmdline): for tests only\n"
"  peer ADDR       only for this peer (IPv4, IPv6 or IPv4-mapped ::ffff:a.b.c.d,\n"
"                  which the kernel keeps as the IPv4 peer a.b.c.d)\n"
"  peer ADDR/LEN   only for peers in this prefix (for an IPv4-mapped prefix write\n"
"                  LEN the IPv6 way, 96-128)\n"
"  peer any        any peer (the default)\n"
"  vrf NAME        only for connections in this VRF (the ifindex of device NAME,\n"
"                  which must be a VRF); 'vrf default': only outside any VRF.\n"
"                  Without vrf the key applies in every VRF\n"
"  local-port, remote-port  only for connections with ports in the range\n"
"                  (extension of this kernel; see PORTS below)\n"
"  send-lifetime BEGIN END    when the key may sign (UTC; the kernel compares\n"
"                  its clock each time); END 'infinite' has no end\n"
"  accept-lifetime BEGIN END  when segments signed with it are accepted\n"
"                  (recv-lifetime is the same); 'lifetime' sets both; the word\n"
"                  'always' instead of BEGIN END removes the bounds\n"
"  include-options the MAC covers TCP options (the RFC default)\n"
"  exclude-options the MAC skips TCP options other than TCP-AO; must match the\n"
"                  peer (Cisco include-tcp-options, Juniper tcp-ao-option)\n"
"  nosend          never sign with this key (rollover: stop using it)\n"
"  norecv          reject segments signed with this key\n"
"\n"
"Keys that can apply to one connection and are equally specific must not\n"
"share a send-id or a recv-id (RFC 5925 3.1); a more specific key (longer\n"
"prefix, then vrf, then ports) shadows a less specific one. A key that breaks\n"
"this is refused, naming the key it overlaps.\n"
"\n"
"PORTS: the tcp_authopt ABI as specified (abi.md) has no port fields; this\n"
"kernel adds local and remote port ranges as an extension. The list the\n"
"kernel shows does not include the ranges: 'key list' shows them as 'set'.\n"
"\n"
"Examples:\n"
"  tcp-authopt key add send-id 1 recv-id 2 algorithm aes-128-cmac-96 \\\n"
"      peer 198.51.100.2 secret-file /etc/tcp-authopt/r2.key\n"
"  printf %%s 'correct horse' | tcp-authopt key add id 7 algorithm hmac-sha-1-96 \\\n"
"      peer 2001:db8::/32 vrf blue secret-file - \\\n"
"      send-lifetime 2026-01-01T00:00:00Z 2026-06-01T00:00:00Z\n";

static const char help_key_del[] =
"Usage: tcp-authopt key del KEY-IDENTITY\n"
"\n"
"Delete the key with exactly this identity.\n"
"\n"
"KEY-IDENTITY := { send-id ID recv-id ID | id ID } [ peer { ADDR | ADDR/LEN |\n"
"                any } ] [ vrf { NAME | default } ] [ local-port PORT[-PORT] ]\n"
"                [ remote-port PORT[-PORT] ]\n"
"\n"
"The identity must be repeated as the key was added: 'peer 192.0.2.0/24' and\n"
"'peer 192.0.2.0' name different keys, and a key added with a vrf is named\n"
"with it. Other key words (algorithm, secrets, lifetimes, ...) are refused.\n"
"A key that is not there gives 'no such key' (exit 1) and lists the keys that\n"
"have the same ids.\n"
"\n"
"Deleting the last key of a peer leaves its authenticated connections unable\n"
"to send (they never fall back to plain TCP): close them first.\n";

static const char help_key_list[] =
"Usage: tcp-authopt [--json] key list [ FILTER ]...\n"
"\n"
"List the keys of the network namespace, sorted by peer, one per line in the\n"
"words of 'key add'. Key material is never shown, nor can it be read back.\n"
"\n"
"FILTER := { send-id ID | recv-id ID | id ID | peer ADDR[/LEN] | vrf NAME }\n"
"  peer ADDR  keys that can apply to that peer (bound to it, to a prefix\n"
"             holding it, or to any peer)\n"
"  vrf NAME   keys bound to that VRF ('vrf default': bound to no VRF)\n"
"\n"
"The kernel shows a key's ids, algorithm, flags, peer and VRF. It does not\n"
"show lifetime times nor port ranges: a bound that is there reads 'set'\n"
"(e.g. 'send-lifetime set infinite'); '-' is an open begin.\n"
"\n"
"--json prints an array of objects: send_id, recv_id, algorithm, alg, peer\n"
"(null: any), family, prefixlen, prefix, vrf, ifindex, local_port,\n"
"remote_port, include_options, nosend, norecv, send_lifetime and\n"
"accept_lifetime ({begin, end}: null, a time or \"set\"), flags.\n";

static const char help_status[] =
"Usage: tcp-authopt [--json] status\n"
"\n"
"Show whether the kernel has tcp_authopt, the host-wide switch\n"
"net.ipv4.tcp_authopt (read from any namespace by probing a socket, as the\n"
"sysctl itself exists only in the initial one), the netns-wide mode\n"
"net.ipv4.tcp_authopt_all_sockets (every new TCP socket takes part), the\n"
"number of keys and how they are bound, and the total drop counter.\n"
"\n"
"Exit status 0 when tcp_authopt is enabled, 3 when it is missing or\n"
"disabled (the report is printed either way).\n";

static const char help_counters[] =
"Usage: tcp-authopt [--json] counters\n"
"\n"
"Show the TCP-AO counters of the network namespace from /proc/net/netstat\n"
"(TcpExt TCPAuthOpt*), and the TCP-MD5 ones beside them (TCPMD5*), which\n"
"count MD5 drops on connections TCP-AO does not protect.\n"
"\n"
"  TCPAuthOptFailure      every segment dropped by TCP-AO (the original\n"
"                         series' counter; the others split it by reason)\n"
"  TCPAuthOptBadMAC       the MAC did not verify (wrong key or secret)\n"
"  TCPAuthOptRequired     keys apply but the segment had no TCP-AO\n"
"  TCPAuthOptKeyNotFound  the KeyID matched no usable key\n"
"  TCPAuthOptUnexpected   TCP-AO from a peer no key applies to\n"
"                         (REJECT_UNEXPECTED)\n"
"  TCPAuthOptMD5AndAO     both TCP-AO and an MD5 option\n"
"  TCPAuthOptMalformed    a malformed TCP-AO option\n"
"  TCPAuthOptIcmpIgnored  ICMP hard errors ignored for authenticated\n"
"                         connections (RFC 5925 7.8)\n"
"\n"
"--json prints one object, counter name to value.\n";

static const char help_watch[] =
"Usage: tcp-authopt [--json] watch [ interval SECONDS ] [ count N ]\n"
"\n"
"Print the counters (with the change since the previous sample) and the keys\n"
"every SECONDS (default 2, at least 0.1), N times (default: until interrupted;\n"
"--interval and --count are the same). On a terminal the screen is redrawn.\n"
"--json prints one JSON object per sample and line: time, keys (the count),\n"
"counters, delta and key_list.\n";

static const char help_apply[] =
"Usage: tcp-authopt [--json] apply [ --dry-run ] { FILE | - }\n"
"\n"
"Make the keys of the network namespace exactly those of a key-chain FILE\n"
"('-': standard input): keys in the file and not installed are added, keys\n"
"in both are replaced (re-added: the kernel replaces a key of the same\n"
"identity atomically; the material cannot be read back to compare), and\n"
"installed keys not in the file are removed.\n"
"\n"
"Everything is checked before the kernel is touched: syntax, secrets, VRF\n"
"devices, duplicates, and the RFC 5925 3.1 rule as the kernel applies it.\n"
"Changes run in this order: new keys, replaced keys, removals (a key that\n"
"overlaps a new one is removed just before it). If the kernel refuses one,\n"
"what was done is undone as far as possible (added keys are deleted again;\n"
"a replaced or removed key cannot be restored, its material being unreadable)\n"
"and the report says which keys are in which state. --dry-run prints the\n"
"plan and changes nothing.\n"
"\n"
"FILE format (the words of 'key add'; line breaks and indentation are free):\n"
"\n"
"  # comment                       (from '#' at the start of a word)\n"
"  algorithm aes-128-cmac-96       defaults for every key below\n"
"  peer 198.51.100.2 2001:db8::2   a peer block: one or more ADDR, ADDR/LEN,\n"
"      vrf blue                    or 'any'; its words are defaults for its keys\n"
"      key 1                       a key; a numeric label 0-255 is also its\n"
"          secret-file r2-1.key    send-id and recv-id\n"
"          send-lifetime 2026-01-01T00:00:00Z 2026-06-01T00:00:00Z\n"
"      key next\n"
"          send-id 2 recv-id 3\n"
"          secret-hex \"00:11:22:33\"\n"
"          accept-lifetime 2026-05-31T00:00:00Z infinite\n"
"\n"
"Key words: send-id, recv-id, id, algorithm, vrf, local-port, remote-port,\n"
"send-lifetime, accept-lifetime, lifetime, include-options, exclude-options,\n"
"nosend, norecv, secret-file PATH, secret-hex-file PATH (relative to the\n"
"file's directory), secret STRING, secret-hex HEX. \"...\" quotes a word\n"
"(\\\" and \\\\ inside). Each key gives one kernel key per address of its peer\n"
"block. A default is undone with include-options, send (after nosend), recv\n"
"(after norecv), local-port any, remote-port any, send-lifetime always, ...\n"
"Secrets are never printed; a file holding secrets should be mode 600.\n"
"\n"
"Installed keys with port ranges cannot be matched exactly (the kernel does\n"
"not show the ranges); apply refuses to remove such a key and assumes one\n"
"in the file with the same ids, peer and vrf is the same key.\n";

/* Every error on the command line goes through here: exit status 2. */
int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ak_vmsg("", fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s help%s%s'.\n", progname, cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

/* After a message that already said what is wrong. */
static int usage_hint(const char *cmd)
{
	fprintf(stderr, "Try '%s help %s'.\n", progname, cmd);
	return EXIT_USAGE;
}

int show_help(const char *cmd, const char *sub)
{
	const char *text = NULL;

	if (!cmd)
		text = help_main;
	else if (!strcmp(cmd, "key") && !sub)
		text = help_key;
	else if ((!strcmp(cmd, "key") && !strcmp(sub, "add")) || !strcmp(cmd, "add"))
		text = help_key_add;
	else if ((!strcmp(cmd, "key") && (!strcmp(sub, "del") || !strcmp(sub, "delete"))) ||
		 !strcmp(cmd, "del") || !strcmp(cmd, "delete"))
		text = help_key_del;
	else if ((!strcmp(cmd, "key") && (!strcmp(sub, "list") || !strcmp(sub, "show"))) ||
		 !strcmp(cmd, "list"))
		text = help_key_list;
	else if (!strcmp(cmd, "status"))
		text = help_status;
	else if (!strcmp(cmd, "counters"))
		text = help_counters;
	else if (!strcmp(cmd, "watch"))
		text = help_watch;
	else if (!strcmp(cmd, "apply"))
		text = help_apply;
	else if (!strcmp(cmd, "help"))
		text = help_main;
	if (!text)
		return usage_error(NULL, "no help for '%s%s%s'", cmd, sub ? " " : "",
				   sub ? sub : "");
	fputs(text, stdout);
	return EXIT_OK;
}

static bool is_help(const char *s)
{
	return !strcmp(s, "--help") || !strcmp(s, "-h") || !strcmp(s, "help");
}

/* --json / -j after the command. */
static bool json_word(const char *s)
{
	if (strcmp(s, "--json") && strcmp(s, "-j"))
		return false;
	opts.json = true;
	return true;
}

static void words_from_argv(struct ak_words *w, int argc, char **argv)
{
	static struct ak_tok toks[256];
	int i;

	w->n = argc < 256 ? argc : 256;
	w->t = toks;
	w->file = NULL;
	w->dir = NULL;
	for (i = 0; i < w->n; i++) {
		toks[i].s = argv[i];
		toks[i].line = 0;
	}
}

static int list_or_explain(struct ak_list *l)
{
	int err;

	if (!key_list_read(l, &err))
		return 0;
	if (err == ENOENT)
		return ao_unavailable() ?: EXIT_UNAVAIL;
	if (err == EACCES || err == EPERM)
		ak_err("reading the keys needs root: %s is mode 0400", KEY_PROC);
	else
		ak_err("%s: %s", KEY_PROC, strerror(err));
	return EXIT_FAIL;
}

/* key add / key del */
static int cmd_key_change(int argc, char **argv, bool del)
{
	const char *cmd = del ? "key del" : "key add";
	unsigned int allow = del ? KA_IDENT : KA_IDENT | KA_PARAMS | KA_SECRET | KA_CLI_SECRET;
	struct ak_words w;
	struct ak_key k;
	char why[256];
	int i = 0, r, err;

	if (argc && is_help(argv[0]))
		return show_help("key", del ? "del" : "add");
	if (!argc)
		return usage_error(cmd, "%s: which key? (%s)", cmd,
				   del ? "send-id ID recv-id ID [peer ...]" :
				   "send-id ID recv-id ID algorithm ALG secret-file PATH [peer ...]");
	words_from_argv(&w, argc, argv);
	key_init(&k);
	while (i < w.n) {
		if (json_word(w.t[i].s)) {
			i++;
			continue;
		}
		if (!strcmp(w.t[i].s, "--help") || !strcmp(w.t[i].s, "-h")) {
			wipe(k.secret, sizeof(k.secret));
			return show_help("key", del ? "del" : "add");
		}
		r = key_attr(&k, &w, &i, allow);
		if (r > 0)
			continue;
		wipe(k.secret, sizeof(k.secret));
		if (r == -1)
			return usage_hint(cmd);
		if (!del && (!strcmp(w.t[i].s, "secret") || !strcmp(w.t[i].s, "secret-hex")))
			return usage_error(cmd,
					   "%s: '%s' is not a word of the command line: secrets come from secret-file, secret-hex-file or --insecure-secret",
					   cmd, w.t[i].s);
		if (r == -2 && del)
			return usage_error(cmd,
					   "key del names a key by its identity (send-id, recv-id, peer, vrf, ports): '%s' does not belong there",
					   w.t[i].s);
		if (r == -2)
			return usage_error(cmd, "%s: '%s' does not belong here", cmd, w.t[i].s);
		return usage_error(cmd, "%s: unknown word '%s'", cmd, w.t[i].s);
	}
	if (key_check(&k, del, why, sizeof(why))) {
		wipe(k.secret, sizeof(k.secret));
		return usage_error(cmd, "%s: %s", cmd, why);
	}
	r = ao_unavailable();
	if (r) {
		wipe(k.secret, sizeof(k.secret));
		return r;
	}
	err = key_kernel(&k, del);
	wipe(k.secret, sizeof(k.secret));
	if (err)
		return key_explain(-err, &k, del, cmd);
	return EXIT_OK;
}

static int cmd_key_list(int argc, char **argv)
{
	struct ak_words w;
	struct ak_key f;
	struct ak_list l;
	struct json j;
	char line[512];
	int i = 0, r, n;

	words_from_argv(&w, argc, argv);
	key_init(&f);
	while (i < w.n) {
		if (json_word(w.t[i].s)) {
			i++;
			continue;
		}
		if (is_help(w.t[i].s))
			return show_help("key", "list");
		r = key_attr(&f, &w, &i, KA_IDS | KA_PEER | KA_VRF);
		if (r > 0)
			continue;
		if (r == -1)
			return usage_hint("key list");
		return usage_error("key list",
				   "key list: '%s' is not a filter (send-id, recv-id, id, peer, vrf)",
				   w.t[i].s);
	}
	r = list_or_explain(&l);
	if (r)
		return r;
	key_list_sort(&l);
	if (opts.json) {
		j_begin(&j, stdout);
		j_arr(&j, NULL);
	}
	for (n = 0; n < l.n; n++) {
		struct ak_key *k = &l.keys[n];

		if ((f.send_id >= 0 && k->send_id != f.send_id) ||
		    (f.recv_id >= 0 && k->recv_id != f.recv_id) ||
		    ((f.flags & KEY_ADDR_FLAGS) && !key_applies_to(k, &f)))
			continue;
		if ((f.flags & TCP_AUTHOPT_KEY_IFINDEX) &&
		    (f.ifindex ? !(k->flags & TCP_AUTHOPT_KEY_IFINDEX) || k->ifindex != f.ifindex :
		     (k->flags & TCP_AUTHOPT_KEY_IFINDEX) && k->ifindex))
			continue;
		if (opts.json) {
			key_json(&j, NULL, k);
		} else {
			key_words(k, line, sizeof(line));
			printf("%s\n", line);
		}
	}
	if (opts.json) {
		j_arr_end(&j);
		j_end(&j);
	}
	key_list_free(&l);
	return EXIT_OK;
}

static int cmd_key(int argc, char **argv)
{
	if (!argc || is_help(argv[0]))
		return show_help("key", argc > 1 ? argv[1] : NULL);
	if (!strcmp(argv[0], "add"))
		return cmd_key_change(argc - 1, argv + 1, false);
	if (!strcmp(argv[0], "del") || !strcmp(argv[0], "delete"))
		return cmd_key_change(argc - 1, argv + 1, true);
	if (!strcmp(argv[0], "list") || !strcmp(argv[0], "show") || !strcmp(argv[0], "ls"))
		return cmd_key_list(argc - 1, argv + 1);
	return usage_error("key", "key: unknown command '%s' (add, del, list)", argv[0]);
}

/* Counters */

struct ctr {
	char name[48];
	unsigned long long val;
};

#define MAX_CTRS 64

static const struct {
	const char *name, *what;
} ctr_help[] = {
	{ "TCPAuthOptFailure", "segments dropped by TCP-AO, all reasons" },
	{ "TCPAuthOptBadMAC", "MAC did not verify" },
	{ "TCPAuthOptRequired", "keys apply, segment without TCP-AO" },
	{ "TCPAuthOptKeyNotFound", "KeyID matched no usable key" },
	{ "TCPAuthOptUnexpected", "TCP-AO where no key applies" },
	{ "TCPAuthOptMD5AndAO", "both TCP-AO and MD5 options" },
	{ "TCPAuthOptMalformed", "malformed TCP-AO option" },
	{ "TCPAuthOptIcmpIgnored", "ICMP hard errors ignored" },
	{ "TCPMD5NotFound", "TCP-MD5: key applies, no MD5 option" },
	{ "TCPMD5Unexpected", "TCP-MD5: MD5 option, no key" },
	{ "TCPMD5Failure", "TCP-MD5: bad signature" },
};

static const char *ctr_what(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ctr_help); i++)
		if (!strcmp(ctr_help[i].name, name))
			return ctr_help[i].what;
	return "";
}

/* TcpExt TCPAuthOpt* then TCPMD5*, in /proc/net/netstat's order. Return n or -errno. */
static int counters_read(struct ctr *c, int max)
{
	static char names[8192], vals[8192];
	int n = 0, pass;
	FILE *f;

	f = fopen("/proc/net/netstat", "re");
	if (!f)
		return -errno;
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, "TcpExt:", 7) || strncmp(vals, "TcpExt:", 7))
			continue;
		for (pass = 0; pass < 2; pass++) {
			char *sn, *sv, *a, *b;
			char ncopy[8192], vcopy[8192];

			strcpy(ncopy, names + 7);
			strcpy(vcopy, vals + 7);
			a = strtok_r(ncopy, "\n ", &sn);
			b = strtok_r(vcopy, "\n ", &sv);
			for (; a && b; a = strtok_r(NULL, "\n ", &sn),
			     b = strtok_r(NULL, "\n ", &sv)) {
				if (strncmp(a, pass ? "TCPMD5" : "TCPAuthOpt", pass ? 6 : 10))
					continue;
				if (n == max)
					break;
				snprintf(c[n].name, sizeof(c[n].name), "%s", a);
				c[n].val = strtoull(b, NULL, 10);
				n++;
			}
		}
	}
	fclose(f);
	return n;
}

static int have_ao_counters(const struct ctr *c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strncmp(c[i].name, "TCPAuthOpt", 10))
			return 1;
	return 0;
}

static int counters_get(struct ctr *c)
{
	int n = counters_read(c, MAX_CTRS);

	if (n < 0) {
		ak_err("/proc/net/netstat: %s", strerror(-n));
		return -EXIT_FAIL;
	}
	if (!have_ao_counters(c, n)) {
		ak_err("the kernel has no TcpExt TCPAuthOpt* counters: no tcp_authopt support");
		return -EXIT_UNAVAIL;
	}
	return n;
}

static void counters_print(const struct ctr *c, int n, const struct ctr *prev)
{
	int i;

	for (i = 0; i < n; i++) {
		if (prev)
			printf("%-22s %12llu %+8lld  %s\n", c[i].name, c[i].val,
			       (long long)(c[i].val - prev[i].val), ctr_what(c[i].name));
		else
			printf("%-22s %12llu  %s\n", c[i].name, c[i].val, ctr_what(c[i].name));
	}
}

static void counters_json(struct json *j, const char *key, const struct ctr *c, int n,
			  const struct ctr *prev)
{
	int i;

	j_obj(j, key);
	for (i = 0; i < n; i++) {
		if (prev)
			j_int(j, c[i].name, (long long)(c[i].val - prev[i].val));
		else
			j_uint(j, c[i].name, c[i].val);
	}
	j_obj_end(j);
}

static int cmd_counters(int argc, char **argv)
{
	struct ctr c[MAX_CTRS];
	struct json j;
	int i, n;

	for (i = 0; i < argc; i++) {
		if (json_word(argv[i]))
			continue;
		if (is_help(argv[i]))
			return show_help("counters", NULL);
		return usage_error("counters", "counters: unknown word '%s'", argv[i]);
	}
	n = counters_get(c);
	if (n < 0)
		return -n;
	if (opts.json) {
		j_begin(&j, stdout);
		counters_json(&j, NULL, c, n, NULL);
		j_end(&j);
	} else {
		counters_print(c, n, NULL);
	}
	return EXIT_OK;
}

/* Status */

static int cmd_status(int argc, char **argv)
{
	int state, i, err, sysctl = -1, all = -1, nkeys = -1, listerr = 0, nctr;
	int naddr = 0, nprefix = 0, nvrf = 0, nports = 0, nnosend = 0, nnorecv = 0;
	int nlife = 0, npeers = 0;
	struct ctr c[MAX_CTRS];
	unsigned long long failures = 0;
	bool have_fail = false;
	struct ak_list l;
	struct json j;
	char buf[32];
	const char *s;

	for (i = 0; i < argc; i++) {
		if (json_word(argv[i]))
			continue;
		if (is_help(argv[i]))
			return show_help("status", NULL);
		return usage_error("status", "status: unknown word '%s'", argv[i]);
	}
	state = ao_probe();
	if (!read_file_str(SYSCTL_ENABLE, buf, sizeof(buf)))
		sysctl = atoi(buf);
	if (!read_file_str(SYSCTL_ALL, buf, sizeof(buf)))
		all = atoi(buf);
	if (!key_list_read(&l, &err)) {
		nkeys = l.n;
		key_list_sort(&l);
		for (i = 0; i < l.n; i++) {
			uint32_t f = l.keys[i].flags;

			naddr += !!(f & KEY_ADDR_FLAGS);
			nprefix += !!(f & TCP_AUTHOPT_KEY_PREFIXLEN);
			nvrf += !!(f & TCP_AUTHOPT_KEY_IFINDEX);
			nports += !!(f & KEY_PORT_FLAGS);
			nnosend += !!(f & TCP_AUTHOPT_KEY_NOSEND);
			nnorecv += !!(f & TCP_AUTHOPT_KEY_NORECV);
			nlife += !!(f & KEY_LIFE_FLAGS);
			/* Sorted by peer: count where the binding changes. */
			if (!i || key_cmp_peer(&l.keys[i - 1], &l.keys[i]))
				npeers++;
		}
		key_list_free(&l);
	} else {
		listerr = err;
	}
	nctr = counters_read(c, MAX_CTRS);
	for (i = 0; i < nctr; i++)
		if (!strcmp(c[i].name, "TCPAuthOptFailure")) {
			failures = c[i].val;
			have_fail = true;
		}

	if (opts.json) {
		j_begin(&j, stdout);
		j_obj(&j, NULL);
		j_bool(&j, "supported", state != AO_UNSUPPORTED);
		if (state == AO_ENABLED || state == AO_DISABLED)
			j_bool(&j, "enabled", state == AO_ENABLED);
		else
			j_null(&j, "enabled");
		if (sysctl >= 0)
			j_int(&j, "sysctl_tcp_authopt", sysctl);
		else
			j_null(&j, "sysctl_tcp_authopt");
		if (all >= 0)
			j_int(&j, "all_sockets", all);
		else
			j_null(&j, "all_sockets");
		if (opts.netns)
			j_str(&j, "netns", opts.netns);
		else
			j_null(&j, "netns");
		if (nkeys >= 0) {
			j_int(&j, "keys", nkeys);
			j_int(&j, "peers", npeers);
			j_int(&j, "address_bound", naddr);
			j_int(&j, "prefix_bound", nprefix);
			j_int(&j, "vrf_bound", nvrf);
			j_int(&j, "port_bound", nports);
			j_int(&j, "nosend", nnosend);
			j_int(&j, "norecv", nnorecv);
			j_int(&j, "with_lifetimes", nlife);
		} else {
			j_null(&j, "keys");
			j_str(&j, "keys_error", strerror(listerr));
		}
		j_int(&j, "key_limit", MAX_KEYS);
		if (nctr > 0 && have_ao_counters(c, nctr))
			counters_json(&j, "counters", c, nctr, NULL);
		else
			j_null(&j, "counters");
		j_obj_end(&j);
		j_end(&j);
		return state == AO_ENABLED ? EXIT_OK : EXIT_UNAVAIL;
	}

	switch (state) {
	case AO_UNSUPPORTED:
		s = "not in this kernel (no " KEY_PROC ")";
		break;
	case AO_DISABLED:
		s = "disabled: sysctl net.ipv4.tcp_authopt=1 to enable (host-wide)";
		break;
	case AO_ENABLED:
		s = "enabled";
		break;
	default:
		s = "unknown (no TCP socket could be opened)";
	}
	printf("tcp_authopt:      %s\n", s);
	if (sysctl >= 0)
		printf("host switch:      net.ipv4.tcp_authopt = %d\n", sysctl);
	else if (state != AO_UNSUPPORTED)
		fprintf(stdout,
			"host switch:      net.ipv4.tcp_authopt is %s (in the initial namespace only)\n",
			state == AO_ENABLED ? "1" : state == AO_DISABLED ? "0" : "?");
	if (all >= 0)
		printf("netns-wide mode:  %s (net.ipv4.tcp_authopt_all_sockets = %d)\n",
		       all ? "on: every new TCP socket takes part" : "off", all);
	printf("namespace:        %s\n", opts.netns ? opts.netns : "(of this process)");
	if (nkeys >= 0) {
		printf("keys:             %d (limit %d), %d distinct bindings\n", nkeys, MAX_KEYS,
		       npeers);
		printf("  bound to:       address %d (prefix %d), vrf %d, ports %d\n",
		       naddr, nprefix, nvrf, nports);
		printf("  marked:         nosend %d, norecv %d, with lifetimes %d\n",
		       nnosend, nnorecv, nlife);
	} else if (listerr == EACCES || listerr == EPERM) {
		printf("keys:             unknown (reading %s needs root)\n", KEY_PROC);
	} else if (state != AO_UNSUPPORTED) {
		printf("keys:             unknown (%s: %s)\n", KEY_PROC, strerror(listerr));
	}
	if (have_fail)
		printf("failures:         TCPAuthOptFailure = %llu\n", failures);
	return state == AO_ENABLED ? EXIT_OK : EXIT_UNAVAIL;
}

/* Watch */

/* Set in a signal handler: C allows only volatile sig_atomic_t there. */
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_watch(int argc, char **argv)
{
	struct ctr c[MAX_CTRS], prev[MAX_CTRS];
	struct sigaction sa;
	struct timespec ts;
	struct ak_list l;
	struct json j;
	bool tty = isatty(STDOUT_FILENO), have_prev = false;
	char now[32], line[512];
	long sample;
	int i, n, err, prevn = 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (json_word(a))
			continue;
		if (is_help(a))
			return show_help("watch", NULL);
		if (!strcmp(a, "interval") || !strcmp(a, "--interval") || !strcmp(a, "-i")) {
			char *end;

			if (i + 1 >= argc)
				return usage_error("watch", "watch: %s needs SECONDS", a);
			opts.interval = strtod(argv[++i], &end);
			if (*end || end == argv[i] || !(opts.interval >= 0.1) ||
			    opts.interval > 86400)
				return usage_error("watch",
						   "watch: interval '%s' is not 0.1-86400 seconds",
						   argv[i]);
			continue;
		}
		if (!strcmp(a, "count") || !strcmp(a, "--count") || !strcmp(a, "-c")) {
			unsigned long v;

			if (i + 1 >= argc)
				return usage_error("watch", "watch: %s needs N", a);
			if (parse_uint(argv[++i], LONG_MAX, &v) || !v)
				return usage_error("watch",
						   "watch: count '%s' is not a positive number",
						   argv[i]);
			opts.count = v;
			continue;
		}
		return usage_error("watch", "watch: unknown word '%s'", a);
	}
	n = counters_get(c);
	if (n < 0)
		return -n;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	for (sample = 1; !stop; sample++) {
		n = counters_read(c, MAX_CTRS);
		if (n < 0)
			n = 0;
		err = 0;
		if (key_list_read(&l, &err))
			l.n = -1;
		else
			key_list_sort(&l);
		format_time(time(NULL), now, sizeof(now));
		if (have_prev && prevn != n)
			have_prev = false;	/* counters changed shape: no delta */
		if (opts.json) {
			j_begin(&j, stdout);
			j_obj(&j, NULL);
			j_str(&j, "time", now);
			j_int(&j, "sample", sample);
			if (l.n >= 0)
				j_int(&j, "keys", l.n);
			else
				j_null(&j, "keys");
			counters_json(&j, "counters", c, n, NULL);
			if (have_prev)
				counters_json(&j, "delta", c, n, prev);
			else
				j_null(&j, "delta");
			j_arr(&j, "key_list");
			for (i = 0; i < l.n; i++)
				key_json(&j, NULL, &l.keys[i]);
			j_arr_end(&j);
			j_obj_end(&j);
			j_end(&j);
		} else {
			if (tty)
				fputs("\033[H\033[2J", stdout);
			else if (sample > 1)
				putchar('\n');
			printf("tcp-authopt watch: %s, every %gs, sample %ld%s%s\n", now,
			       opts.interval, sample, opts.netns ? ", netns " : "",
			       opts.netns ? opts.netns : "");
			counters_print(c, n, have_prev ? prev : NULL);
			if (l.n < 0)
				printf("keys: unknown (%s: %s)\n", KEY_PROC, strerror(err));
			else
				printf("keys: %d\n", l.n);
			for (i = 0; i < l.n; i++) {
				key_words(&l.keys[i], line, sizeof(line));
				printf("  %s\n", line);
			}
			fflush(stdout);
		}
		if (l.n >= 0)
			key_list_free(&l);
		memcpy(prev, c, sizeof(c));
		prevn = n;
		have_prev = true;
		if (opts.count && sample >= opts.count)
			break;
		ts.tv_sec = (time_t)opts.interval;
		ts.tv_nsec = (long)((opts.interval - ts.tv_sec) * 1e9);
		while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	return EXIT_OK;
}

/* -n NAME: as 'ip netns exec', but only the network namespace. */
static int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return usage_error(NULL, "no network namespace '%s' (%s)", name, path);
		ak_err("%s: %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	if (setns(fd, CLONE_NEWNET)) {
		ak_err("entering network namespace %s: %s%s", name, strerror(errno),
		       errno == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		close(fd);
		return EXIT_FAIL;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+n:jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			opts.netns = optarg;
			break;
		case 'j':
			opts.json = true;
			break;
		case 'h':
			return show_help(optind < argc ? argv[optind] : NULL,
					 optind + 1 < argc ? argv[optind + 1] : NULL);
		case 'V':
			printf("tcp-authopt %s\n", VERSION);
			return EXIT_OK;
		case 'd':
			opts.dry_run = true;
			break;
		default:
			if (optopt == 'n' || (optind > 0 && !strcmp(argv[optind - 1], "--netns")))
				return usage_error(NULL, "%s needs a namespace name",
						   argv[optind - 1]);
			return usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error(NULL,
				   "no command given (key, status, counters, watch, apply, help)");
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "help"))
		return show_help(argc ? argv[0] : NULL, argc > 1 ? argv[1] : NULL);
	if (strcmp(cmd, "key") && strcmp(cmd, "status") && strcmp(cmd, "counters") &&
	    strcmp(cmd, "watch") && strcmp(cmd, "apply"))
		return usage_error(NULL,
				   "unknown command '%s' (key, status, counters, watch, apply, help)",
				   cmd);
	if (opts.netns) {
		r = enter_netns(opts.netns);
		if (r)
			return r;
	}
	if (!strcmp(cmd, "key"))
		return cmd_key(argc, argv);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc, argv);
	if (!strcmp(cmd, "counters"))
		return cmd_counters(argc, argv);
	if (!strcmp(cmd, "watch"))
		return cmd_watch(argc, argv);
	return cmd_apply(argc, argv);
}
