// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/unit/conf/fuzz_replay.c - run a fuzz target without libFuzzer
 *
 * Feeds every file of a corpus directory to LLVMFuzzerTestOneInput(),
 * then a fixed number of deterministic mutations of them (byte changes,
 * insertions of the spec's own punctuation and words, truncation), so the
 * normal test run exercises the target under ASan/UBSan. A failed check
 * in the target traps: the test fails with the input on stderr.
 * Usage: fuzz_replay CORPUS_DIR [MUTATIONS]
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEEDS_MAX	64
#define INPUT_MAX	1024

static uint8_t seeds[SEEDS_MAX][INPUT_MAX];
static size_t seed_len[SEEDS_MAX];
static int nseeds;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const tokens[] = {
	",", "-", ":", "~", "/", "%", "all", "none", "auto", "[", "]", "::",
	".", "0", "1", "65535", "65536", "127.0.0.1", "::1", "fe80::1",
	"nameserver ", "search ", "domain ", "\n", " ", "\t", "\r", "#",
};

static void run(const uint8_t *d, size_t n)
{
	/* Shown only if the target traps (stderr is kept by meson) */
	fprintf(stderr, "input: %.*s\n", (int)n, (const char *)d);
	LLVMFuzzerTestOneInput(d, n);
}

static size_t mutate(uint8_t *buf, size_t len)
{
	int k, steps = 1 + (int)(next() % 4);

	for (k = 0; k < steps; k++) {
		size_t pos = len ? next() % (len + 1) : 0;
		const char *t;
		size_t tl;

		switch (next() % 4) {
		case 0:		/* replace a byte */
			if (len && pos < len)
				buf[pos] = (uint8_t)next();
			break;
		case 1:		/* insert a token */
			t = tokens[next() % (sizeof(tokens) / sizeof(*tokens))];
			tl = strlen(t);
			if (len + tl >= INPUT_MAX)
				break;
			memmove(buf + pos + tl, buf + pos, len - pos);
			memcpy(buf + pos, t, tl);
			len += tl;
			break;
		case 2:		/* delete a byte */
			if (len && pos < len) {
				memmove(buf + pos, buf + pos + 1,
					len - pos - 1);
				len--;
			}
			break;
		default:	/* truncate */
			len = pos;
			break;
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	long i, mutations = argc > 2 ? atol(argv[2]) : 2000;
	uint8_t buf[INPUT_MAX];
	struct dirent *de;
	DIR *dir;

	if (argc < 2 || !(dir = opendir(argv[1]))) {
		fprintf(stderr, "usage: %s CORPUS_DIR [MUTATIONS]\n", argv[0]);
		return 2;
	}
	while ((de = readdir(dir)) && nseeds < SEEDS_MAX) {
		char path[4096];
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, seeds[nseeds], INPUT_MAX - 1);
		close(fd);
		if (n < 0)
			continue;
		seed_len[nseeds] = (size_t)n;
		run(seeds[nseeds], seed_len[nseeds]);
		nseeds++;
	}
	closedir(dir);
	if (!nseeds) {
		fprintf(stderr, "no seeds in %s\n", argv[1]);
		return 1;
	}
	for (i = 0; i < mutations; i++) {
		int s = (int)(next() % (uint64_t)nseeds);
		size_t len;

		memcpy(buf, seeds[s], seed_len[s]);
		len = mutate(buf, seed_len[s]);
		run(buf, len);
	}
	printf("%d seeds, %ld mutations: ok\n", nseeds, mutations);
	return 0;
}
