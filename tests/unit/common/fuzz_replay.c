// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/unit/common/fuzz_replay.c - run a libFuzzer target as a unit test
 *
 * The one replay driver for every fuzz target (in src/<layer>/fuzz/ and
 * fuzz/): linked with a target instead of libFuzzer, it feeds every
 * file of each corpus directory given (seeds, and the crashers we found)
 * to LLVMFuzzerTestOneInput(), in name order, then a fixed number of
 * deterministic mutations of them, so the normal test run, with
 * ASan/UBSan in that build, keeps exercising every target.
 *
 * Mutations, 1 to 6 steps each: bit flips, bytes and 16-bit fields set to
 * boundary values (lengths, header versions, EtherTypes), random bytes
 * replaced or inserted, bytes deleted, slices duplicated, truncation; with
 * -x, half the steps insert a token of a libFuzzer dictionary instead
 * (the text parsers' punctuation and keywords).
 *
 * A failed check in a target traps (or a sanitizer reports): the test
 * fails, and the input that did it, with its seed file and mutation
 * number, is dumped in hex on stderr; with FUZZ_SAVE=FILE in the
 * environment each input is also written to FILE before it runs.
 *
 * Usage: fuzz_replay_<target> [-n MUTATIONS] [-x DICT] DIR...
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Present when a sanitizer runtime is linked in; NULL otherwise */
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

#define SEEDS_MAX	256
#define INPUT_MAX	16384
#define TOKENS_MAX	256
#define TOKEN_LEN_MAX	64

struct input {
	char *name;		/* file the bytes (or their seed) came from */
	uint8_t *data;
	size_t len;
};

static struct input seeds[SEEDS_MAX];
static int nseeds;

static uint8_t tokens[TOKENS_MAX][TOKEN_LEN_MAX];
static size_t token_len[TOKENS_MAX];
static int ntokens;

/* What runs now, for the dump when it fails */
static const char *cur_name;
static long cur_mutation = -1;	/* -1: the seed file itself */
static const uint8_t *cur_data;
static size_t cur_len;

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void put(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(2, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void put_str(const char *s)
{
	put(s, strlen(s));
}

static void put_num(unsigned long v)
{
	char b[24];
	int i = sizeof(b);

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(b + i, sizeof(b) - (size_t)i);
}

/**
 * dump_current() - say which input failed, from a signal handler too
 *
 * Only write(2) and plain stores: it runs after a trap or a sanitizer
 * report, when stdio may be in any state.
 */
static void dump_current(void)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (!cur_data)
		return;
	put_str("fuzz_replay: failed on ");
	if (cur_mutation < 0) {
		put_str("seed ");
	} else {
		put_str("mutation ");
		put_num((unsigned long)cur_mutation);
		put_str(" of seed ");
	}
	put_str(cur_name);
	put_str(", ");
	put_num(cur_len);
	put_str(" bytes:");
	for (i = 0; i < cur_len; i++) {
		char b[3] = { i % 32 ? ' ' : '\n', hex[cur_data[i] >> 4],
			      hex[cur_data[i] & 15] };

		put(b, 3);
	}
	put_str("\n");
}

static void on_fatal_signal(int sig)
{
	dump_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void save(const uint8_t *d, size_t n)
{
	const char *path = getenv("FUZZ_SAVE");
	FILE *f;

	if (!path || !(f = fopen(path, "wb")))
		return;
	fwrite(d, 1, n, f);
	fclose(f);
}

static void run(const char *name, long mutation, const uint8_t *d, size_t n)
{
	cur_name = name;
	cur_mutation = mutation;
	cur_data = d;
	cur_len = n;
	save(d, n);
	LLVMFuzzerTestOneInput(d, n);
}

/**
 * load_dict() - read a libFuzzer dictionary: one "quoted" token a line,
 * with \\, \" and \xNN escapes; blank lines and # comments are skipped
 * @path:	file name
 *
 * Return: 0, or -1 after a message naming the file and line
 */
static int load_dict(const char *path)
{
	char line[512];
	int lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '"'), *end = strrchr(line, '"');
		char *first = line + strspn(line, " \t\r\n");
		size_t n = 0;

		lineno++;
		if (!*first || *first == '#')
			continue;
		if (!p || end == p || ntokens == TOKENS_MAX)
			goto bad;
		for (p++; p < end; p++) {
			if (n == TOKEN_LEN_MAX)
				goto bad;
			if (*p != '\\') {
				tokens[ntokens][n++] = (uint8_t)*p;
				continue;
			}
			p++;
			if (*p == 'x' && p + 2 < end &&
			    isxdigit((unsigned char)p[1]) &&
			    isxdigit((unsigned char)p[2])) {
				char hex[3] = { p[1], p[2], 0 };

				tokens[ntokens][n++] =
					(uint8_t)strtoul(hex, NULL, 16);
				p += 2;
			} else if (*p == '\\' || *p == '"') {
				tokens[ntokens][n++] = (uint8_t)*p;
			} else {
				goto bad;
			}
		}
		token_len[ntokens++] = n;
	}
	fclose(f);
	return 0;
bad:
	fprintf(stderr, "%s:%d: not a dictionary entry (\"token\")\n",
		path, lineno);
	fclose(f);
	return -1;
}

/**
 * load_dir() - replay every file of a corpus directory, in name order,
 * and keep it as a seed for the mutations
 * @dir:	directory
 *
 * Return: 0, or -1 if the directory cannot be read
 */
static int load_dir(const char *dir)
{
	struct dirent **de;
	int i, n = scandir(dir, &de, NULL, alphasort);

	if (n < 0) {
		perror(dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct input *s = &seeds[nseeds];
		ssize_t r = 0;
		int fd;

		if (de[i]->d_name[0] == '.' || nseeds == SEEDS_MAX)
			goto next;
		if (asprintf(&s->name, "%s/%s", dir, de[i]->d_name) < 0)
			goto next;
		fd = open(s->name, O_RDONLY);
		s->data = malloc(INPUT_MAX);
		s->len = 0;
		while (fd >= 0 && s->len < INPUT_MAX &&
		       (r = read(fd, s->data + s->len, INPUT_MAX - s->len)) > 0)
			s->len += (size_t)r;
		if (fd >= 0)
			close(fd);
		if (fd < 0 || r < 0) {
			free(s->data);
			free(s->name);
			goto next;
		}
		run(s->name, -1, s->data, s->len);
		nseeds++;
next:
		free(de[i]);
	}
	free(de);
	return 0;
}

static void insert(uint8_t *b, size_t *len, size_t pos,
		   const uint8_t *what, size_t n)
{
	if (*len + n > INPUT_MAX)
		return;
	memmove(b + pos + n, b + pos, *len - pos);
	memcpy(b + pos, what, n);
	*len += n;
}

static size_t mutate(uint8_t *b, size_t len)
{
	static const uint8_t edge8[] = { 0, 1, 0x7f, 0x80, 0xfe, 0xff,
					 0x45, 0x46, 0x4f, 0x60, 6, 17, 58,
					 43, 44, 60 };
	static const uint16_t edge16[] = { 0, 1, 7, 8, 19, 20, 40, 0x7fff,
					   0xffff, 0x0800, 0x86dd, 0x0806,
					   0x2000, 0x1fff };
	int k, steps = 1 + (int)(next() % 6);

	for (k = 0; k < steps; k++) {
		size_t pos = len ? next() % len : 0;
		uint8_t byte = (uint8_t)next();
		size_t n;

		if (ntokens && next() % 2) {	/* insert a token */
			int t = (int)(next() % (uint64_t)ntokens);

			pos = next() % (len + 1);
			insert(b, &len, pos, tokens[t], token_len[t]);
			continue;
		}
		switch (next() % 8) {
		case 0:		/* flip a bit */
			if (len)
				b[pos] ^= (uint8_t)(1u << (next() % 8));
			break;
		case 1:		/* a boundary byte */
			if (len)
				b[pos] = edge8[next() % sizeof(edge8)];
			break;
		case 2:		/* a boundary 16-bit field, big-endian */
			if (len >= 2) {
				uint16_t v = edge16[next() % (sizeof(edge16) /
							      sizeof(*edge16))];

				pos = next() % (len - 1);
				b[pos] = (uint8_t)(v >> 8);
				b[pos + 1] = (uint8_t)v;
			}
			break;
		case 3:		/* replace a byte */
			if (len)
				b[pos] = byte;
			break;
		case 4:		/* insert a random byte */
			insert(b, &len, pos, &byte, 1);
			break;
		case 5:		/* delete a byte */
			if (len) {
				memmove(b + pos, b + pos + 1, len - pos - 1);
				len--;
			}
			break;
		case 6:		/* duplicate a slice: shift a copy up */
			n = next() % 16;
			if (pos + n <= len && len + n <= INPUT_MAX) {
				memmove(b + pos + n, b + pos, len - pos);
				len += n;
			}
			break;
		default:	/* truncate */
			len = next() % (len + 1);
			break;
		}
	}
	return len;
}

static int usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-n MUTATIONS] [-x DICT] DIR...\n", argv0);
	return 2;
}

int main(int argc, char **argv)
{
	static uint8_t buf[INPUT_MAX];
	long mutations = 2000, m;
	int opt;

	while ((opt = getopt(argc, argv, "n:x:")) != -1) {
		if (opt == 'n')
			mutations = atol(optarg);
		else if (opt != 'x' || load_dict(optarg))
			return usage(argv[0]);
	}
	if (optind == argc)
		return usage(argv[0]);

	signal(SIGILL, on_fatal_signal);	/* __builtin_trap() */
	signal(SIGTRAP, on_fatal_signal);
	signal(SIGABRT, on_fatal_signal);	/* assert() */
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(dump_current);

	for (; optind < argc; optind++)
		if (load_dir(argv[optind]))
			return 2;
	if (!nseeds) {
		fprintf(stderr, "fuzz_replay: no inputs in the corpus\n");
		return 2;
	}
	for (m = 0; m < mutations; m++) {
		const struct input *s = &seeds[next() % (uint64_t)nseeds];
		size_t len;

		memcpy(buf, s->data, s->len);
		len = mutate(buf, s->len);
		run(s->name, m, buf, len);
	}
	printf("fuzz_replay: %d seeds, %ld mutations: ok\n", nseeds,
	       mutations);
	return 0;
}
