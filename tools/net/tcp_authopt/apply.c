// SPDX-License-Identifier: GPL-2.0
/*
 * tcp-authopt apply: make the keys of a namespace those of a key-chain file.
 *
 * The file is read and checked whole before the kernel is touched. The
 * kernel has no transaction, so the changes are ordered to keep what can be
 * undone first (new keys), and on a failure the report says what could not
 * be undone: key material cannot be read back, so a replaced or removed key
 * cannot be restored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tcp-authopt.h"

#define MAX_FILE	(4 << 20)

struct block {
	struct ak_key tmpl;	/* the block's defaults */
	struct ak_key *peers;	/* addresses only */
	int npeers;
};

struct fkey {
	struct ak_key k;
	int block;
	const char *label;
};

enum { OP_ADD, OP_REPLACE, OP_REMOVE };
enum { R_PLANNED, R_DONE, R_GONE, R_FAILED, R_UNDONE, R_UNDO_FAILED, R_SKIPPED };

struct op {
	int type;
	struct ak_key *key;	/* to add, replace with, or remove */
	struct ak_key *first_for; /* a removal made early for this new key */
	int result;
	int err;
};

static const char *const op_verb[] = { "add", "replace", "remove" };
static const char *const op_done[] = { "added", "replaced", "removed" };
static const char *const res_name[] = {
	"planned", "done", "already-gone", "failed", "undone", "undo-failed", "not-attempted",
};

struct apply {
	struct ak_words w;
	char *text;
	size_t textlen;		/* the text is split in place: wipe it all */
	mode_t mode;
	char *dirbuf;
	struct ak_key global;
	struct block *blocks;
	int nblocks;
	struct fkey *fkeys;
	int nfkeys;
	struct ak_key *want;	/* the file, expanded: one per kernel key */
	int nwant;
	struct ak_list have;
	struct op *ops;
	int nops;
};

static void *grow(void *p, int n, size_t size)
{
	/* Powers of two from 16: grow when n reaches one. */
	if (n >= 16 && (n & (n - 1)))
		return p;
	p = realloc(p, (n < 16 ? 16 : 2 * (size_t)n) * size);
	if (!p) {
		ak_err("out of memory");
		exit(EXIT_FAIL);
	}
	return p;
}

static int read_all(const char *path, struct apply *a)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	size_t cap = 65536, n = 0;
	struct stat st;
	ssize_t r;

	if (fd < 0) {
		ak_err("apply: %s: %s", path, strerror(errno));
		return errno == ENOENT ? EXIT_USAGE : EXIT_FAIL;
	}
	if (fd != STDIN_FILENO && !fstat(fd, &st) && S_ISREG(st.st_mode))
		a->mode = st.st_mode;	/* checked once the secrets are known */
	a->text = malloc(cap + 1);
	if (!a->text) {
		ak_err("out of memory");
		return EXIT_FAIL;
	}
	for (;;) {
		if (n == cap) {
			char *t;

			if (cap >= MAX_FILE) {
				ak_err("apply: %s: larger than %d bytes", path, MAX_FILE);
				return EXIT_USAGE;
			}
			t = malloc(2 * cap + 1);
			if (!t) {
				ak_err("out of memory");
				return EXIT_FAIL;
			}
			memcpy(t, a->text, n);
			wipe(a->text, n);
			free(a->text);
			a->text = t;
			cap *= 2;
		}
		r = read(fd, a->text + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ak_err("apply: %s: %s", path, strerror(errno));
			return EXIT_FAIL;
		}
		if (!r)
			break;
		n += r;
		a->textlen = n;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	a->text[n] = 0;
	a->textlen = n;
	if (strlen(a->text) != n) {
		ak_err("apply: %s: a NUL byte: not a text file", path);
		return EXIT_USAGE;
	}
	return 0;
}

/* Words, with "..." quoting and # comments; the text is split in place. */
static int tokenize(struct apply *a)
{
	struct ak_words *w = &a->w;
	char *p = a->text, *out;
	int line = 1, start;

	while (*p) {
		if (*p == '\n') {
			line++;
			p++;
			continue;
		}
		if (*p == ' ' || *p == '\t' || *p == '\r') {
			p++;
			continue;
		}
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		w->t = grow(w->t, w->n, sizeof(*w->t));
		w->t[w->n].line = line;
		out = p;
		w->t[w->n].s = p;
		w->n++;
		if (*p == '"') {
			start = line;
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				else if (*p == '\n')
					line++;
				*out++ = *p;
			}
			if (!*p) {
				ak_err("%s:%d: a quote is not closed", w->file, start);
				return -1;
			}
			p++;
			if (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
				ak_err("%s:%d: a blank must follow a closing quote", w->file, line);
				return -1;
			}
		} else {
			while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
				*out++ = *p++;
		}
		if (*p == '\n')
			line++;
		if (*p)
			p++;
		*out = 0;
	}
	return 0;
}

static bool looks_like_addr(const char *s)
{
	return !strcmp(s, "any") || (s[0] >= '0' && s[0] <= '9') || strchr(s, ':');
}

static bool after_secret(const struct ak_words *w, int i)
{
	return i >= 2 && (!strcmp(w->t[i - 2].s, "secret") ||
			  !strcmp(w->t[i - 2].s, "secret-hex"));
}

static int parse(struct apply *a)
{
	struct ak_words *w = &a->w;
	int i = 0, cur_block = -1, cur_key = -1, r;
	unsigned long v;
	char why[256];

	key_init(&a->global);
	while (i < w->n) {
		const char *s = w->t[i].s;

		if (!strcmp(s, "peer")) {
			struct block *b;

			a->blocks = grow(a->blocks, a->nblocks, sizeof(*a->blocks));
			b = &a->blocks[a->nblocks];
			memset(b, 0, sizeof(*b));
			b->tmpl = a->global;
			cur_block = a->nblocks++;
			cur_key = -1;
			for (i++; i < w->n && looks_like_addr(w->t[i].s); i++) {
				struct ak_key p;

				key_init(&p);
				if (key_set_peer(&p, w->t[i].s, why, sizeof(why))) {
					tokerr(w, i, "peer: %s", why);
					return -1;
				}
				if (b->npeers && (!(p.flags & KEY_ADDR_FLAGS) ||
						  !(b->peers[0].flags & KEY_ADDR_FLAGS))) {
					tokerr(w, i, "peer: 'any' stands alone in a peer block");
					return -1;
				}
				b->peers = grow(b->peers, b->npeers, sizeof(*b->peers));
				b->peers[b->npeers++] = p;
			}
			if (!b->npeers) {
				tokerr(w, i - 1, "peer needs one or more ADDR, ADDR/LEN, or 'any'");
				return -1;
			}
			continue;
		}
		if (!strcmp(s, "key")) {
			struct fkey *f;

			if (cur_block < 0) {
				tokerr(w, i,
				       "a key outside a peer block: start one with 'peer ADDR' or 'peer any'");
				return -1;
			}
			if (i + 1 >= w->n) {
				tokerr(w, i,
				       "key needs a label (a number 0-255 is also its send-id and recv-id)");
				return -1;
			}
			a->fkeys = grow(a->fkeys, a->nfkeys, sizeof(*a->fkeys));
			f = &a->fkeys[a->nfkeys];
			f->k = a->blocks[cur_block].tmpl;
			f->k.file = w->file;
			f->k.line = w->t[i].line;
			f->block = cur_block;
			f->label = w->t[i + 1].s;
			if (!parse_uint(f->label, 255, &v)) {
				f->k.send_id = v;
				f->k.recv_id = v;
			}
			cur_key = a->nfkeys++;
			i += 2;
			continue;
		}
		{
			struct ak_key *t = cur_key >= 0 ? &a->fkeys[cur_key].k :
					   cur_block >= 0 ? &a->blocks[cur_block].tmpl : &a->global;
			unsigned int allow = KA_VRF | KA_PORTS | KA_PARAMS | KA_SECRET |
					     KA_FILE_SECRET;

			if (cur_key >= 0)
				allow |= KA_IDS;
			r = key_attr(t, w, &i, allow);
			if (r > 0)
				continue;
			if (r == -1)
				return -1;
			if (r == -2) {
				tokerr(w, i, "'%s' belongs inside a key block ('key LABEL')", s);
				return -1;
			}
			if (after_secret(w, i))
				tokerr(w, i,
				       "unknown word after a secret: quote a secret that has blanks (secret \"...\")");
			else if (!strcmp(s, "--insecure-secret"))
				tokerr(w, i, "use 'secret' in a file");
			else
				tokerr(w, i, "unknown word '%s'", s);
			return -1;
		}
	}
	return 0;
}

static void src_str(const struct ak_key *k, char *buf, size_t len)
{
	if (k->file)
		snprintf(buf, len, "%s:%d", k->file, k->line);
	else
		snprintf(buf, len, "installed");
}

/* Expand each key over the addresses of its block; check the whole. */
static int expand_and_check(struct apply *a)
{
	char why[256], n1[160], n2[160];
	int i, p, j, bad = 0;

	for (i = 0; i < a->nfkeys; i++) {
		struct fkey *f = &a->fkeys[i];
		struct block *b = &a->blocks[f->block];

		if (key_check(&f->k, false, why, sizeof(why))) {
			ak_err("%s:%d: key %s: %s", a->w.file, f->k.line, f->label, why);
			bad = 1;
			continue;
		}
		for (p = 0; p < b->npeers; p++) {
			struct ak_key *d;

			a->want = grow(a->want, a->nwant, sizeof(*a->want));
			d = &a->want[a->nwant++];
			*d = f->k;
			d->flags = (d->flags & ~KEY_ADDR_FLAGS) |
				   (b->peers[p].flags & KEY_ADDR_FLAGS);
			d->family = b->peers[p].family;
			d->mapped = b->peers[p].mapped;
			d->prefixlen = b->peers[p].prefixlen;
			memcpy(d->addr, b->peers[p].addr, sizeof(d->addr));
		}
	}
	if (bad)
		return -1;
	if (a->nwant > MAX_KEYS) {
		ak_err("%s: %d keys; a namespace holds at most %d", a->w.file, a->nwant, MAX_KEYS);
		return -1;
	}
	for (i = 0; i < a->nwant; i++) {
		for (j = 0; j < i; j++) {
			struct ak_key *x = &a->want[i], *y = &a->want[j];

			key_name(x, n1, sizeof(n1));
			if (key_same_ident(x, y)) {
				ak_err("%s:%d: %s is given twice (also at line %d)", a->w.file,
				       x->line, n1, y->line);
				bad = 1;
			} else if (key_conflict(x, y)) {
				key_name(y, n2, sizeof(n2));
				ak_err("%s:%d: %s overlaps %s of line %d (RFC 5925 3.1): equally specific keys that can apply to one connection must not share a send-id or a recv-id",
				       a->w.file, x->line, n1, n2, y->line);
				bad = 1;
			}
		}
	}
	return bad ? -1 : 0;
}

static void add_op(struct apply *a, int type, struct ak_key *k, struct ak_key *first_for)
{
	a->ops = grow(a->ops, a->nops, sizeof(*a->ops));
	a->ops[a->nops].type = type;
	a->ops[a->nops].key = k;
	a->ops[a->nops].first_for = first_for;
	a->ops[a->nops].result = R_PLANNED;
	a->ops[a->nops].err = 0;
	a->nops++;
}

/*
 * Order: adds that can be undone, replaces, then each add that overlaps
 * an installed key going away right after removing that key, then the
 * other removals. Replacing keeps a key's identity, so it never overlaps.
 */
static int plan(struct apply *a)
{
	int nh = a->have.n, i, j, bad = 0;
	int *match = calloc(nh + 1, sizeof(int));
	bool *wmatched = calloc(a->nwant + 1, sizeof(bool));
	bool *removed = calloc(nh + 1, sizeof(bool));
	char name[160];

	if (!match || !wmatched || !removed) {
		ak_err("out of memory");
		exit(EXIT_FAIL);
	}
	for (i = 0; i < nh; i++) {
		match[i] = -1;
		for (j = 0; j < a->nwant && match[i] < 0; j++)
			if (!wmatched[j] && key_same_ident(&a->have.keys[i], &a->want[j]))
				match[i] = j;
		if (match[i] >= 0) {
			wmatched[match[i]] = true;
		} else if (a->have.keys[i].ports_unknown) {
			key_name(&a->have.keys[i], name, sizeof(name));
			ak_err("apply: installed %s has port ranges the kernel does not show: apply cannot remove it; delete it with 'key del' and its ports, or put it in the file",
			       name);
			bad = 1;
		}
	}
	if (bad)
		goto out;
	/* 1: new keys that overlap nothing going away */
	for (j = 0; j < a->nwant; j++) {
		bool clash = false;

		if (wmatched[j])
			continue;
		for (i = 0; i < nh && !clash; i++)
			clash = match[i] < 0 && key_conflict(&a->have.keys[i], &a->want[j]);
		if (!clash)
			add_op(a, OP_ADD, &a->want[j], NULL);
	}
	/* 2: replacements */
	for (j = 0; j < a->nwant; j++)
		if (wmatched[j])
			add_op(a, OP_REPLACE, &a->want[j], NULL);
	/* 3: new keys that need an installed key gone first */
	for (j = 0; j < a->nwant; j++) {
		bool clash = false;

		if (wmatched[j])
			continue;
		for (i = 0; i < nh; i++) {
			if (match[i] >= 0 || !key_conflict(&a->have.keys[i], &a->want[j]))
				continue;
			clash = true;
			if (!removed[i]) {
				add_op(a, OP_REMOVE, &a->have.keys[i], &a->want[j]);
				removed[i] = true;
			}
		}
		if (clash)
			add_op(a, OP_ADD, &a->want[j], NULL);
	}
	/* 4: the other removals */
	for (i = 0; i < nh; i++)
		if (match[i] < 0 && !removed[i])
			add_op(a, OP_REMOVE, &a->have.keys[i], NULL);
out:
	free(match);
	free(wmatched);
	free(removed);
	return bad ? -1 : 0;
}

static void count_ops(const struct apply *a, int n[3])
{
	int i;

	n[0] = 0;
	n[1] = 0;
	n[2] = 0;
	for (i = 0; i < a->nops; i++)
		n[a->ops[i].type]++;
}

static void print_op(const struct op *o, const char *verb)
{
	char words[512], src[PATH_MAX + 16], first[160];

	key_words(o->key, words, sizeof(words));
	src_str(o->key, src, sizeof(src));
	printf("%-9s %s  (%s)\n", verb, words, src);
	if (o->first_for) {
		key_name(o->first_for, first, sizeof(first));
		printf("%-9s   before adding %s, which it overlaps\n", "", first);
	}
}

static void print_json(const struct apply *a, const char *path, const char *state)
{
	char src[PATH_MAX + 16], name[160];
	struct json j;
	int n[3], i;

	count_ops(a, n);
	j_begin(&j, stdout);
	j_obj(&j, NULL);
	j_str(&j, "file", path);
	if (opts.netns)
		j_str(&j, "netns", opts.netns);
	else
		j_null(&j, "netns");
	j_bool(&j, "dry_run", opts.dry_run);
	j_str(&j, "state", state);
	j_int(&j, "add", n[OP_ADD]);
	j_int(&j, "replace", n[OP_REPLACE]);
	j_int(&j, "remove", n[OP_REMOVE]);
	j_int(&j, "file_keys", a->nwant);
	j_int(&j, "installed_keys", a->have.n);
	j_arr(&j, "operations");
	for (i = 0; i < a->nops; i++) {
		const struct op *o = &a->ops[i];

		j_obj(&j, NULL);
		j_str(&j, "op", op_verb[o->type]);
		key_json(&j, "key", o->key);
		if (o->key->file) {
			src_str(o->key, src, sizeof(src));
			j_str(&j, "source", src);
		} else {
			j_null(&j, "source");
		}
		if (o->first_for) {
			key_name(o->first_for, name, sizeof(name));
			j_str(&j, "before_adding", name);
		}
		j_str(&j, "result", res_name[o->result]);
		if (o->err)
			j_str(&j, "error", strerror(o->err));
		j_obj_end(&j);
	}
	j_arr_end(&j);
	j_obj_end(&j);
	j_end(&j);
}

/* After a failure: undo what can be, then say exactly what is where. */
static int roll_back(struct apply *a, int failed)
{
	char name[160];
	bool restored = true;
	int i, err, left = 0;

	for (i = failed - 1; i >= 0; i--) {
		struct op *o = &a->ops[i];

		if (o->type != OP_ADD || o->result != R_DONE)
			continue;
		err = key_kernel(o->key, true);
		o->result = err ? R_UNDO_FAILED : R_UNDONE;
		o->err = err ? -err : 0;
	}
	for (i = failed + 1; i < a->nops; i++)
		a->ops[i].result = R_SKIPPED;
	for (i = 0; i < failed; i++) {
		int r = a->ops[i].result;

		if (r == R_DONE || r == R_UNDO_FAILED)
			restored = false;
	}
	fflush(stdout);
	fprintf(stderr, "%s: apply: rolling back:\n", progname);
	for (i = 0; i < failed; i++) {
		struct op *o = &a->ops[i];

		key_name(o->key, name, sizeof(name));
		switch (o->result) {
		case R_UNDONE:
			fprintf(stderr, "  deleted again: %s\n", name);
			break;
		case R_UNDO_FAILED:
			fprintf(stderr, "  STILL INSTALLED (deleting it again failed: %s): %s\n",
				strerror(o->err), name);
			break;
		case R_GONE:
			fprintf(stderr, "  was already gone: %s\n", name);
			break;
		case R_DONE:
			if (o->type == OP_REPLACE)
				fprintf(stderr,
					"  replaced, stays with the file's material (the old material cannot be read back): %s\n",
					name);
			else
				fprintf(stderr,
					"  removed, cannot be restored (its material cannot be read back): %s\n",
					name);
			break;
		}
	}
	for (i = failed + 1; i < a->nops; i++)
		left++;
	key_name(a->ops[failed].key, name, sizeof(name));
	fprintf(stderr, "  failed: %s %s\n", op_verb[a->ops[failed].type], name);
	if (left)
		fprintf(stderr, "  not attempted: %d more change%s\n", left, left > 1 ? "s" : "");
	if (restored)
		fprintf(stderr, "%s: apply: the keys are as they were before apply\n", progname);
	else
		fprintf(stderr,
			"%s: apply: the keys are NOT as before: see above ('key list' shows them)\n",
			progname);
	return restored ? EXIT_APPLY_RESTORED : EXIT_APPLY_PARTIAL;
}

static int execute(struct apply *a, const char *path)
{
	char name[160];
	struct ak_list now;
	int i, err, n[3], missing = 0;

	for (i = 0; i < a->nops; i++) {
		struct op *o = &a->ops[i];

		err = key_kernel(o->key, o->type == OP_REMOVE);
		if (err == -ENOENT && o->type == OP_REMOVE) {
			o->result = R_GONE;
			continue;
		}
		if (err) {
			static const char *const what[] = {
				"apply: adding", "apply: replacing", "apply: removing",
			};

			o->result = R_FAILED;
			o->err = -err;
			key_explain(-err, o->key, o->type == OP_REMOVE, what[o->type]);
			err = roll_back(a, i);
			if (opts.json)
				print_json(a, path,
					   err == EXIT_APPLY_RESTORED ? "restored" : "partial");
			return err;
		}
		o->result = R_DONE;
		if (!opts.json)
			print_op(o, op_done[o->type]);
	}
	count_ops(a, n);
	/* Check the outcome: another program may have changed keys meanwhile. */
	if (key_list_read(&now, &err)) {
		ak_err("apply: cannot read the keys back: %s", strerror(err));
		missing = -1;
	} else {
		for (i = 0; i < a->nwant; i++) {
			int j;

			for (j = 0; j < now.n && !key_same_ident(&now.keys[j], &a->want[i]); j++)
				;
			if (j == now.n) {
				key_name(&a->want[i], name, sizeof(name));
				ak_err("apply: %s is not installed after apply", name);
				missing++;
			}
		}
		if (now.n != a->nwant) {
			ak_err("apply: %d keys installed after apply, the file has %d (a concurrent change?)",
			       now.n, a->nwant);
			missing++;
		}
		key_list_free(&now);
	}
	if (opts.json)
		print_json(a, path, missing ? "differs" : "applied");
	else
		printf("applied: %d added, %d replaced, %d removed; %d keys installed\n",
		       n[OP_ADD], n[OP_REPLACE], n[OP_REMOVE], a->nwant);
	return missing ? EXIT_FAIL : EXIT_OK;
}

static void cleanup(struct apply *a)
{
	int i;

	for (i = 0; i < a->nwant; i++)
		wipe(a->want[i].secret, sizeof(a->want[i].secret));
	for (i = 0; i < a->nfkeys; i++)
		wipe(a->fkeys[i].k.secret, sizeof(a->fkeys[i].k.secret));
	for (i = 0; i < a->nblocks; i++) {
		wipe(a->blocks[i].tmpl.secret, sizeof(a->blocks[i].tmpl.secret));
		free(a->blocks[i].peers);
	}
	wipe(a->global.secret, sizeof(a->global.secret));
	if (a->text)
		wipe(a->text, a->textlen);
	free(a->text);
	free(a->w.t);
	free(a->want);
	free(a->fkeys);
	free(a->blocks);
	free(a->ops);
	free(a->dirbuf);
	key_list_free(&a->have);
}

static bool has_inline_secret(const struct ak_words *w)
{
	int i;

	for (i = 0; i < w->n; i++)
		if (!strcmp(w->t[i].s, "secret") || !strcmp(w->t[i].s, "secret-hex"))
			return true;
	return false;
}

int cmd_apply(int argc, char **argv)
{
	struct apply a;
	const char *path = NULL;
	int i, r, err, n[3];

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			opts.json = true;
		} else if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "dry-run")) {
			opts.dry_run = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "help")) {
			return show_help("apply", NULL);
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error("apply", "apply: unknown option '%s'", argv[i]);
		} else if (path) {
			return usage_error("apply", "apply: one FILE only ('%s' and '%s')", path,
					   argv[i]);
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return usage_error("apply", "apply: which FILE? ('-' for standard input)");

	memset(&a, 0, sizeof(a));
	a.w.file = strcmp(path, "-") ? path : "<stdin>";
	r = read_all(path, &a);
	if (r)
		goto out;
	if (strcmp(path, "-")) {
		a.dirbuf = strdup(path);
		a.w.dir = a.dirbuf ? dirname(a.dirbuf) : NULL;
	}
	r = EXIT_USAGE;
	if (tokenize(&a) || parse(&a) || expand_and_check(&a))
		goto out;
	if (a.mode & 044 && has_inline_secret(&a.w))
		ak_warn("%s holds secrets and can be read by group or others (chmod 600 it)",
			path);
	if (key_list_read(&a.have, &err)) {
		if (err == ENOENT) {
			r = ao_unavailable() ?: EXIT_UNAVAIL;
		} else {
			ak_err("apply: reading the installed keys: %s: %s%s", KEY_PROC,
			       strerror(err), err == EACCES ? " (needs root)" : "");
			r = EXIT_FAIL;
		}
		goto out;
	}
	if (plan(&a))
		goto out;
	count_ops(&a, n);
	if (opts.dry_run) {
		if (ao_probe() == AO_DISABLED)
			ak_warn("tcp_authopt is disabled (sysctl net.ipv4.tcp_authopt=1): applying would fail");
		if (opts.json) {
			print_json(&a, path, "planned");
		} else {
			fprintf(stdout,
				"plan: %d to add, %d to replace, %d to remove (file: %d keys, installed: %d)\n",
				n[OP_ADD], n[OP_REPLACE], n[OP_REMOVE], a.nwant, a.have.n);
			for (i = 0; i < a.nops; i++)
				print_op(&a.ops[i], op_verb[a.ops[i].type]);
		}
		r = EXIT_OK;
		goto out;
	}
	r = ao_unavailable();
	if (r)
		goto out;
	r = execute(&a, path);
out:
	cleanup(&a);
	return r;
}
