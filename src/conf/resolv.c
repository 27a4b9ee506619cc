// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf/resolv.c - nameservers and search list from resolv.conf
 *
 * resolv.conf(5): "nameserver ADDR" lines (up to CONF_MAX_DNS per family
 * kept), and "search"/"domain" lines where the last one wins. Comment
 * lines start with '#' or ';'. IPv6 nameservers may carry a "%scope"
 * suffix, which we drop: the guest has no use for the host's scope.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf/discover.h"

#define RESOLV_FILE_MAX	65536

bool conf_name_valid(const char *s)
{
	size_t len = strlen(s), label = 0, i;

	if (!len || len > CONF_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (!label)
				return false;	/* empty label, or leading dot */
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

/* Copy the next blank-separated word of [*p, end) into @w; false at end */
static bool resolv_word(const char **p, const char *end, char *w, size_t wlen,
			bool *truncated)
{
	const char *s = *p;
	size_t n = 0;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	if (s >= end)
		return false;
	*truncated = false;
	while (s < end && *s != ' ' && *s != '\t' && *s != '\r') {
		if (n + 1 < wlen)
			w[n++] = *s;
		else
			*truncated = true;
		s++;
	}
	w[n] = '\0';
	*p = s;
	return true;
}

static void resolv_nameserver(struct resolv_conf *rc, char *w)
{
	struct in_addr a4;
	struct in6_addr a6;
	char *pct;

	if (inet_pton(AF_INET, w, &a4) == 1) {
		if (rc->dns4_count < CONF_MAX_DNS)
			rc->dns4[rc->dns4_count++] = a4;
		return;
	}
	pct = strchr(w, '%');
	if (pct)
		*pct = '\0';
	if (inet_pton(AF_INET6, w, &a6) == 1 && rc->dns6_count < CONF_MAX_DNS)
		rc->dns6[rc->dns6_count++] = a6;
}

/* Parse one line [s, end), without its newline */
static void resolv_line(struct resolv_conf *rc, const char *s, const char *end)
{
	char w[CONF_NAME_MAX + 2];
	bool trunc;

	if (!resolv_word(&s, end, w, sizeof(w), &trunc))
		return;
	if (w[0] == '#' || w[0] == ';')
		return;
	if (!strcmp(w, "nameserver")) {
		if (resolv_word(&s, end, w, sizeof(w), &trunc) && !trunc)
			resolv_nameserver(rc, w);
		return;
	}
	if (strcmp(w, "search") && strcmp(w, "domain"))
		return;
	/* The last search or domain line replaces what came before */
	rc->search_count = 0;
	while (resolv_word(&s, end, w, sizeof(w), &trunc)) {
		if (trunc || !conf_name_valid(w))
			continue;
		if (rc->search_count >= CONF_MAX_SEARCH)
			break;
		memcpy(rc->search[rc->search_count++], w, strlen(w) + 1);
	}
}

void resolv_parse(const char *buf, size_t len, struct resolv_conf *rc)
{
	const char *end = buf + len, *s = buf;

	memset(rc, 0, sizeof(*rc));
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;

		resolv_line(rc, s, le);
		s = nl ? nl + 1 : end;
	}
}

int resolv_read(const char *path, struct resolv_conf *rc)
{
	static char buf[RESOLV_FILE_MAX];
	size_t len = 0;
	ssize_t n;
	int fd;

	memset(rc, 0, sizeof(*rc));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	resolv_parse(buf, len, rc);
	return 0;
}
