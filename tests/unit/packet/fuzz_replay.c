// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/unit/packet/fuzz_replay.c - run a binary fuzz target without
 * libFuzzer
 *
 * Feeds every file of a corpus directory to LLVMFuzzerTestOneInput(),
 * then a fixed number of deterministic mutations of them: bit flips,
 * bytes set to boundary values (0, 1, 0x7f, 0x80, 0xff), 16-bit fields
 * set to small or huge lengths, insertions and deletions, truncation.
 * A failed check in the target traps (or ASan/UBSan reports), so the test
 * fails; the last input is then in mutation.bin in the working directory
 * only if the environment names FUZZ_SAVE (to keep normal runs clean).
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
#define INPUT_MAX	2048

static uint8_t seeds[SEEDS_MAX][INPUT_MAX];
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

static const uint8_t edge8[] = { 0, 1, 0x7f, 0x80, 0xff, 0x45, 0x46,
				 0x4f, 0x60, 6, 17, 58, 0, 43, 44, 60 };
static const uint16_t edge16[] = { 0, 1, 7, 8, 19, 20, 40, 0x7fff, 0xffff,
				   0x0800, 0x86dd, 0x0806, 0x2000, 0x1fff };

static void save(const uint8_t *d, size_t n)
{
	const char *path = getenv("FUZZ_SAVE");
	FILE *f;

	if (!path || !(f = fopen(path, "wb")))
		return;
	fwrite(d, 1, n, f);
	fclose(f);
}

static size_t mutate(uint8_t *buf, size_t len)
{
	int k, steps = 1 + (int)(next() % 4);

	for (k = 0; k < steps; k++) {
		size_t pos = len ? next() % len : 0;

		switch (next() % 6) {
		case 0:		/* flip a bit */
			if (len)
				buf[pos] ^= (uint8_t)(1u << (next() % 8));
			break;
		case 1:		/* a boundary byte */
			if (len)
				buf[pos] = edge8[next() % sizeof(edge8)];
			break;
		case 2:		/* a boundary 16-bit field */
			if (len >= 2) {
				uint16_t v = edge16[next() % (sizeof(edge16) /
							      sizeof(*edge16))];

				pos = next() % (len - 1);
				buf[pos] = (uint8_t)(v >> 8);
				buf[pos + 1] = (uint8_t)v;
			}
			break;
		case 3:		/* insert a random byte */
			if (len + 1 < INPUT_MAX) {
				memmove(buf + pos + 1, buf + pos, len - pos);
				buf[pos] = (uint8_t)next();
				len++;
			}
			break;
		case 4:		/* delete a byte */
			if (len) {
				memmove(buf + pos, buf + pos + 1,
					len - pos - 1);
				len--;
			}
			break;
		default:	/* truncate */
			len = len ? next() % (len + 1) : 0;
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
		n = read(fd, seeds[nseeds], INPUT_MAX);
		close(fd);
		if (n < 0)
			continue;
		seed_len[nseeds] = (size_t)n;
		save(seeds[nseeds], seed_len[nseeds]);
		LLVMFuzzerTestOneInput(seeds[nseeds], seed_len[nseeds]);
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
		save(buf, len);
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("%d seeds, %ld mutations: ok\n", nseeds, mutations);
	return 0;
}
