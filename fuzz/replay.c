// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz/replay.c - run a fuzz target without libFuzzer, as a unit test
 *
 * Feeds every file of each directory given (seeds, and the crashers we
 * found: tests/fuzz-corpus/<target>/) to LLVMFuzzerTestOneInput(), then
 * a fixed number of deterministic mutations of them (bit flips, byte
 * values at the edges, truncations, duplicated slices), so the normal
 * test run, with ASan/UBSan in that build, keeps exercising every target.
 * A failed check in a target traps: the test fails, and the file name or
 * mutation number is on stderr.
 * Usage: fuzz_replay_<target> [-n MUTATIONS] DIR...
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEEDS_MAX	256
#define INPUT_MAX	16384

static uint8_t *seeds[SEEDS_MAX];
static size_t seed_len[SEEDS_MAX];
static int nseeds;
static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void load_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		perror(dir);
		exit(2);
	}
	while ((de = readdir(d)) && nseeds < SEEDS_MAX) {
		char path[4096];
		uint8_t *buf;
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		buf = malloc(INPUT_MAX);
		n = read(fd, buf, INPUT_MAX);
		close(fd);
		if (n < 0) {
			free(buf);
			continue;
		}
		fprintf(stderr, "replay: %s\n", path);
		LLVMFuzzerTestOneInput(buf, (size_t)n);
		seeds[nseeds] = buf;
		seed_len[nseeds++] = (size_t)n;
	}
	closedir(d);
}

static size_t mutate(uint8_t *b, size_t len)
{
	static const uint8_t edge[] = { 0, 1, 0x7f, 0x80, 0xfe, 0xff };
	int k, steps = 1 + (int)(next() % 6);

	for (k = 0; k < steps && len; k++) {
		size_t pos = next() % len;

		switch (next() % 5) {
		case 0:
			b[pos] ^= (uint8_t)(1u << (next() % 8));
			break;
		case 1:
			b[pos] = edge[next() % sizeof(edge)];
			break;
		case 2:
			b[pos] = (uint8_t)next();
			break;
		case 3:
			len = pos + 1;		/* truncate */
			break;
		case 4: {			/* duplicate a slice */
			size_t n = next() % 16;

			if (pos + n <= len && len + n <= INPUT_MAX) {
				memmove(b + pos + n, b + pos, len - pos);
				len += n;
			}
			break;
		}
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	static uint8_t buf[INPUT_MAX];
	long mutations = 20000, m;
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "-n")) {
		mutations = atol(argv[2]);
		i = 3;
	}
	for (; i < argc; i++)
		load_dir(argv[i]);
	if (!nseeds) {
		fprintf(stderr, "replay: no inputs\n");
		return 2;
	}
	for (m = 0; m < mutations; m++) {
		int s = (int)(next() % (uint64_t)nseeds);
		size_t len = seed_len[s];

		memcpy(buf, seeds[s], len);
		len = mutate(buf, len);
		LLVMFuzzerTestOneInput(buf, len);
	}
	fprintf(stderr, "replay: %d inputs, %ld mutations\n", nseeds,
		mutations);
	return 0;
}
