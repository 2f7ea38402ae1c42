// SPDX-License-Identifier: GPL-2.0
/*
 * tcp-authopt: messages, number and time parsing, secrets, JSON output.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tcp-authopt.h"

/* "progname: PREFIX" and the message on stderr, after what stdout holds;
 * the caller ends the line.
 */
void ak_vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s", progname, prefix);
	vfprintf(stderr, fmt, ap);
}

void ak_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ak_vmsg("", fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void ak_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ak_vmsg("warning: ", fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* An error about word @i: in a file it names the file and line. */
void tokerr(const struct ak_words *w, int i, const char *fmt, ...)
{
	char where[PATH_MAX + 32] = "";
	va_list ap;

	if (w && w->file) {
		if (i >= w->n)
			i = w->n - 1;
		snprintf(where, sizeof(where), "%s:%d: ", w->file, i >= 0 ? w->t[i].line : 0);
	}
	va_start(ap, fmt);
	ak_vmsg(where, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Key material must not linger in memory the process gives back. */
void wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

/* Decimal only: "010" is ten, not eight; no sign, no trailing junk. */
int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + (*p)[i] - '0';
	}
	*p += n;
	*out = v;
	return 0;
}

/*
 * ISO 8601 with an explicit zone, as UTC seconds: YYYY-MM-DDTHH:MM[:SS]
 * followed by Z or +HH[:MM] / -HH[:MM]. Also "now" and "@SECONDS". A time
 * without a zone is refused: the kernel compares UTC and a router's local
 * time is a classic source of keys that never become valid.
 */
int parse_time(const char *s, uint64_t *out)
{
	int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 0;
	const char *p = s;
	struct tm tm, chk;
	unsigned long v;
	time_t t;

	if (!strcmp(s, "now")) {
		*out = (uint64_t)time(NULL);
		return 0;
	}
	if (*s == '@') {
		if (parse_uint(s + 1, ULONG_MAX, &v))
			return -1;
		*out = v;
		return 0;
	}
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d) || (*p != 'T' && *p != 't'))
		return -1;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
		return -1;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &sec))
			return -1;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (*p && digits(&p, 2, &om))
			return -1;
		if (oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* timegm() normalises 2026-02-30 to March: refuse what moved. */
	if (!gmtime_r(&t, &chk) || chk.tm_mday != d || chk.tm_mon != mo - 1)
		return -1;
	t -= sign * (oh * 3600 + om * 60);
	if (t < 0)
		return -1;
	*out = (uint64_t)t;
	return 0;
}

void format_time(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t > (uint64_t)LONG_MAX || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "@%llu", (unsigned long long)t);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Hex digits; blanks and ':' between bytes are ignored, "0x" may lead. */
int hex_decode(const char *s, unsigned char *out, int max, int *len)
{
	int n = 0, hi = -1, v;

	while (isspace((unsigned char)*s))
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++) {
		if (isspace((unsigned char)*s) || *s == ':') {
			if (hi >= 0)
				return -1;	/* an odd digit before a separator */
			continue;
		}
		v = hexval((unsigned char)*s);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= max)
			return -2;
		out[n++] = hi << 4 | v;
		hi = -1;
	}
	if (hi >= 0)
		return -1;
	*len = n;
	return 0;
}

/*
 * Read a secret from @path ("-" is standard input; relative paths are taken
 * from @dir when set). Text secrets lose one trailing newline, which editors
 * and echo add. On failure @why says why, never quoting the material.
 */
int read_secret(const char *path, const char *dir, bool hex, unsigned char *out,
		int *len, bool *from_stdin, char *why, size_t whylen)
{
	char buf[4096 + 1], full[PATH_MAX];
	size_t n = 0;
	struct stat st;
	ssize_t r;
	int fd, ret = -1;

	if (!strcmp(path, "-")) {
		fd = STDIN_FILENO;
		*from_stdin = true;
	} else {
		if (dir && path[0] != '/') {
			if ((size_t)snprintf(full, sizeof(full), "%s/%s", dir, path) >=
			    sizeof(full)) {
				snprintf(why, whylen, "path too long");
				return -1;
			}
			path = full;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (!fstat(fd, &st) && S_ISREG(st.st_mode) && (st.st_mode & 044))
			ak_warn("secret file %s can be read by group or others (chmod 600 it)",
				path);
	}
	for (;;) {
		r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (!r)
			break;
		n += r;
		if (n >= sizeof(buf) - 1) {
			snprintf(why, whylen, "%s: too long for a secret", path);
			goto out;
		}
	}
	buf[n] = 0;
	if (hex) {
		int err = hex_decode(buf, out, TCP_AUTHOPT_MAXKEYLEN, len);

		if (err == -2)
			snprintf(why, whylen, "%s: more than %d bytes; TCP-AO keys are at most %d",
				 path, TCP_AUTHOPT_MAXKEYLEN, TCP_AUTHOPT_MAXKEYLEN);
		else if (err)
			snprintf(why, whylen,
				 "%s: not hexadecimal (pairs of digits, blanks or ':' between bytes)",
				 path);
		else if (!*len)
			snprintf(why, whylen, "%s: empty secret", path);
		else
			ret = 0;
		goto out;
	}
	if (n && buf[n - 1] == '\n')
		n--;
	if (n && buf[n - 1] == '\r')
		n--;
	if (!n) {
		snprintf(why, whylen, "%s: empty secret", path);
	} else if (n > TCP_AUTHOPT_MAXKEYLEN) {
		snprintf(why, whylen, "%s: secret is %zu bytes; TCP-AO keys are at most %d",
			 path, n, TCP_AUTHOPT_MAXKEYLEN);
	} else {
		memcpy(out, buf, n);
		*len = n;
		ret = 0;
	}
out:
	wipe(buf, sizeof(buf));
	if (fd != STDIN_FILENO)
		close(fd);
	return ret;
}

/* First line of a small file, without its newline. */
int read_file_str(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int err;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f)) {
		err = ferror(f) ? -EIO : -ENODATA;
		fclose(f);
		return err;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* JSON: compact, one document per line (watch prints one per sample). */
static void j_escape(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void j_sep(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (key) {
		j_escape(j->f, key);
		fputc(':', j->f);
	}
}

void j_begin(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

void j_end(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}

static void j_open(struct json *j, const char *key, int c)
{
	j_sep(j, key);
	fputc(c, j->f);
	if (j->depth < (int)ARRAY_SIZE(j->need_comma) - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

void j_obj(struct json *j, const char *key)
{
	j_open(j, key, '{');
}

void j_obj_end(struct json *j)
{
	j->depth--;
	fputc('}', j->f);
}

void j_arr(struct json *j, const char *key)
{
	j_open(j, key, '[');
}

void j_arr_end(struct json *j)
{
	j->depth--;
	fputc(']', j->f);
}

void j_str(struct json *j, const char *key, const char *val)
{
	j_sep(j, key);
	j_escape(j->f, val);
}

void j_int(struct json *j, const char *key, long long val)
{
	j_sep(j, key);
	fprintf(j->f, "%lld", val);
}

void j_uint(struct json *j, const char *key, unsigned long long val)
{
	j_sep(j, key);
	fprintf(j->f, "%llu", val);
}

void j_bool(struct json *j, const char *key, bool val)
{
	j_sep(j, key);
	fputs(val ? "true" : "false", j->f);
}

void j_null(struct json *j, const char *key)
{
	j_sep(j, key);
	fputs("null", j->f);
}
