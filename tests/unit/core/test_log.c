// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for core/log.c, core/stats.c and core/pcap.c */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/pcap.h"
#include "core/stats.h"

static char path[64];

static size_t slurp(const char *p, char *buf, size_t cap)
{
	int fd = open(p, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return (size_t)n;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay++;
	}
	return n;
}

/* Levels filter; the file gets a line per message; quiet keeps warnings */
static void log_file_levels_and_ratelimit(void **state)
{
	struct ratelimit rl = { 0 };
	char buf[4096];
	uint64_t t0 = 5000000000ULL;
	int i;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/gangway_log_test_%d", getpid());
	unlink(path);
	assert_int_equal(log_open(LOG_DEST_FILE, path), 0);
	log_daemonized();			/* file only from now on */
	log_set_level(LOG_LVL_WARN);		/* --quiet */
	info("hidden info %d", 1);
	warn("shown warning %d", 2);
	err("shown error %d", 3);
	debug("hidden debug");
	for (i = 0; i < 10; i++)		/* within one second */
		log_ratelimited(&rl, t0 + (uint64_t)i * 1000, LOG_LVL_WARN,
				"guest did %s", "something");
	log_ratelimited(&rl, t0 + 2000000000ULL, LOG_LVL_WARN,
			"guest did %s", "it again");
	log_set_level(LOG_LVL_DEBUG);
	debug("now shown");
	slurp(path, buf, sizeof(buf));
	assert_null(strstr(buf, "hidden"));
	assert_non_null(strstr(buf, "shown warning 2\n"));
	assert_non_null(strstr(buf, "shown error 3\n"));
	assert_int_equal(count(buf, "guest did something"), 1);
	assert_non_null(strstr(buf,
		"guest did it again (9 similar messages suppressed)\n"));
	assert_non_null(strstr(buf, "now shown\n"));
	assert_non_null(strstr(buf, "gangway["));
	unlink(path);
}

/* An overlong message is cut, not overflowed */
static void log_long_message_truncated(void **state)
{
	char big[5000], buf[8192];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(path, sizeof(path), "/tmp/gangway_log_test2_%d", getpid());
	unlink(path);
	assert_int_equal(log_open(LOG_DEST_FILE, path), 0);
	log_daemonized();
	err("%s", big);
	assert_true(slurp(path, buf, sizeof(buf)) < 1200);
	assert_non_null(strstr(buf, "xxxx\n"));
	unlink(path);
}

/* --log-size: the file never grows past the limit; newest lines kept */
static void log_file_stays_under_limit(void **state)
{
	struct stat st;
	char buf[8192];
	int i;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/gangway_log_test3_%d", getpid());
	unlink(path);
	assert_int_equal(log_open(LOG_DEST_FILE, path), 0);
	log_set_file_max(8192);
	log_daemonized();
	for (i = 0; i < 1000; i++) {
		err("line %04d of a log that keeps growing", i);
		assert_int_equal(stat(path, &st), 0);
		assert_true(st.st_size <= 8192);
	}
	slurp(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "line 0999 of"));
	assert_null(strstr(buf, "line 0001 of"));
	log_set_file_max(0);
	unlink(path);
}

static const char *const names[] = { "alpha", "beta" };
static uint64_t vals[2];

static void stats_lookup_by_name(void **state)
{
	(void)state;
	assert_int_equal(stats_register("testmod", names, vals, 2), 0);
	vals[1] = 77;
	assert_int_equal(stats_get("testmod", "beta"), 77);
	assert_int_equal(stats_get("testmod", "gamma"), 0);
	assert_int_equal(stats_get("nomod", "beta"), 0);
	assert_int_equal(stats_register("testmod", names, vals, 2), 0);
}

/* pcap: file header, then one record per frame; iov pieces joined */
static void pcap_records_frames(void **state)
{
	uint8_t a[10], b[30], buf[512];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	uint32_t w[6];
	size_t n;

	(void)state;
	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	snprintf(path, sizeof(path), "/tmp/gangway_pcap_test_%d", getpid());
	assert_int_equal(pcap_open(path), 0);
	assert_true(pcap_active());
	pcap_frame(iov, 2, 0, 1000);
	pcap_frame(iov, 2, 12, 2000);		/* skip a link header */
	pcap_close();
	assert_false(pcap_active());
	pcap_frame(iov, 2, 0, 3000);		/* closed: ignored */

	n = slurp(path, (char *)buf, sizeof(buf));
	assert_int_equal(n, 24 + 16 + 40 + 16 + 28);
	memcpy(w, buf, sizeof(w));
	assert_int_equal(w[0], 0xa1b23c4d);
	assert_int_equal(w[5] & 0xffff, 1);	/* LINKTYPE_ETHERNET */
	memcpy(w, buf + 24, 16);
	assert_int_equal(w[2], 40);
	assert_int_equal(w[3], 40);
	assert_int_equal(buf[24 + 16], 0x11);
	assert_int_equal(buf[24 + 16 + 10], 0x22);
	memcpy(w, buf + 24 + 16 + 40, 16);
	assert_int_equal(w[2], 28);
	assert_int_equal(buf[24 + 16 + 40 + 16], 0x22);
	assert_int_equal(stats_get("pcap", "frames"), 2);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log_file_levels_and_ratelimit),
		cmocka_unit_test(log_long_message_truncated),
		cmocka_unit_test(log_file_stays_under_limit),
		cmocka_unit_test(stats_lookup_by_name),
		cmocka_unit_test(pcap_records_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
