// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/harness/vu_evil.c - a malicious vhost-user front-end
 *
 *   vu_evil PATH
 *
 * Connects to a back-end listening on PATH (gangway --vhost-user -s PATH)
 * once per scenario and sends one kind of garbage: oversized payloads,
 * wrong fd counts, queue indexes out of range, bad ring sizes, rings
 * outside memory, memory tables that overflow or overlap, then, with a
 * real memfd as guest memory and the rings started, descriptors outside
 * memory, loops, bad indirect tables and avail index jumps. Each scenario
 * says what the back-end must do: close the connection ("closed"), or
 * keep serving it with the bad ring stopped and its err eventfd signalled
 * ("alive"). Prints one line per scenario, "vu_evil: NAME: OUTCOME", and
 * exits 0 only if every outcome was the expected one. The caller checks
 * the back-end's log and that it is still running.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vu_fe.h"

#define FEATURES	(1ULL << 32 | 1ULL << 15 | 1ULL << 29 | 1ULL << 28 | \
			 1ULL << 30)
#define F_CSUM		(1ULL << 0 | 1ULL << 1)	/* CSUM, GUEST_CSUM */
#define F_TSO		(1ULL << 11 | 1ULL << 12)	/* HOST_TSO4/6 */

static const char *path;

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Does the back-end still answer GET_FEATURES on this connection? */
static bool answers(struct vu_fe *fe)
{
	uint64_t v;

	if (fe_msg(fe, FE_GET_FEATURES, 0, NULL, 0, NULL, 0))
		return false;
	return !fe_reply(fe, FE_GET_FEATURES, &v, 5000) && v;
}

/* A fresh connection the back-end has accepted and serves */
static int fe_connect(struct vu_fe *fe)
{
	int tries;

	memset(fe, 0, sizeof(*fe));
	fe->memfd = -1;
	fe->kick[0] = fe->kick[1] = fe->call[0] = fe->call[1] = -1;
	for (tries = 0; tries < 100; tries++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		fe->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
		if (!connect(fe->sock, (struct sockaddr *)&sa, sizeof(sa)) &&
		    answers(fe))
			return fe_mem_init(fe);
		/* The previous connection may not be closed yet: retry */
		close(fe->sock);
		fe->sock = -1;
		sleep_ms(50);
	}
	return -ECONNREFUSED;
}

/* ---- scenarios on the control channel: each must close ------------- */

static void oversized_payload(struct vu_fe *fe)
{
	uint8_t big[4096] = { 0 };

	fe_msg(fe, FE_SET_FEATURES, 0, big, sizeof(big), NULL, 0);
}

static void size_4g(struct vu_fe *fe)
{
	fe_msg_sized(fe, FE_SET_MEM_TABLE, FE_V1, 0xffffffffu, NULL, 0,
		     NULL, 0);
}

static void fd_where_none_belongs(struct vu_fe *fe)
{
	fe_u64(fe, FE_SET_FEATURES, 0, 1ULL << 32, &fe->memfd, 1);
}

static void too_many_fds(struct vu_fe *fe)
{
	int fds[12], i;
	uint64_t p[5] = { 1, FE_GPA, 4096, FE_UVA, 0 };

	for (i = 0; i < 12; i++)
		fds[i] = fe->memfd;
	fe_msg(fe, FE_SET_MEM_TABLE, 0, p, sizeof(p), fds, 12);
}

static void kick_fd_missing(struct vu_fe *fe)
{
	fe_u64(fe, FE_SET_VRING_KICK, 0, 1, NULL, 0);
}

static void num_index_out_of_range(struct vu_fe *fe)
{
	fe_state(fe, FE_SET_VRING_NUM, 0, 2, 256);
}

static void addr_index_out_of_range(struct vu_fe *fe)
{
	fe_vring_addr(fe, 0, 200, FE_UVA, FE_UVA + 0x2000, FE_UVA + 0x1000);
}

static void call_index_out_of_range(struct vu_fe *fe)
{
	fe_u64(fe, FE_SET_VRING_CALL, 0, 255 | FE_NOFD, NULL, 0);
}

static void enable_index_out_of_range(struct vu_fe *fe)
{
	fe_state(fe, FE_SET_VRING_ENABLE, 0, 0x10000, 1);
}

static void vring_num_zero(struct vu_fe *fe)
{
	fe_state(fe, FE_SET_VRING_NUM, 0, 0, 0);
}

static void vring_num_odd(struct vu_fe *fe)
{
	fe_state(fe, FE_SET_VRING_NUM, 0, 1, 1000);
}

static void vring_num_huge(struct vu_fe *fe)
{
	fe_state(fe, FE_SET_VRING_NUM, 0, 0, 1u << 31);
}

static void ring_outside_memory(struct vu_fe *fe)
{
	fe_mem_table(fe, 0, FE_GPA, FE_MEM_SIZE, FE_UVA, 0);
	fe_state(fe, FE_SET_VRING_NUM, 0, 0, 256);
	fe_vring_addr(fe, 0, 0, FE_UVA + FE_MEM_SIZE, FE_UVA + 0x2000,
		      FE_UVA + 0x1000);
}

static void used_ring_past_end(struct vu_fe *fe)
{
	fe_mem_table(fe, 0, FE_GPA, FE_MEM_SIZE, FE_UVA, 0);
	fe_state(fe, FE_SET_VRING_NUM, 0, 1, 256);
	fe_vring_addr(fe, 0, 1, FE_UVA, FE_UVA + FE_MEM_SIZE - 64,
		      FE_UVA + 0x1000);
}

static void mem_size_offset_overflow(struct vu_fe *fe)
{
	fe_mem_table(fe, 0, FE_GPA, 0x10000, FE_UVA, UINT64_MAX - 0x1000);
}

static void mem_gpa_overflow(struct vu_fe *fe)
{
	fe_mem_table(fe, 0, UINT64_MAX - 0x1000, 0x10000, FE_UVA, 0);
}

static void mem_beyond_file(struct vu_fe *fe)
{
	fe_mem_table(fe, 0, FE_GPA, 64ULL << 30, FE_UVA, 0);
}

static void mem_regions_exceed_fds(struct vu_fe *fe)
{
	uint64_t p[9] = { 2, FE_GPA, 4096, FE_UVA, 0,
			  FE_GPA + 8192, 4096, FE_UVA + 8192, 8192 };

	fe_msg(fe, FE_SET_MEM_TABLE, 0, p, sizeof(p), &fe->memfd, 1);
}

static void mem_overlap(struct vu_fe *fe)
{
	uint64_t p[9] = { 2, FE_GPA, 8192, FE_UVA, 0,
			  FE_GPA + 4096, 4096, FE_UVA + 65536, 8192 };
	int fds[2] = { fe->memfd, fe->memfd };

	fe_msg(fe, FE_SET_MEM_TABLE, 0, p, sizeof(p), fds, 2);
}

static void mem_nine_regions(struct vu_fe *fe)
{
	uint64_t p[1 + 9 * 4] = { 9 };
	int fds[9], i;

	for (i = 0; i < 9; i++) {
		p[1 + i * 4] = FE_GPA + i * 4096ULL;
		p[2 + i * 4] = 4096;
		p[3 + i * 4] = FE_UVA + i * 4096ULL;
		p[4 + i * 4] = i * 4096ULL;
		fds[i] = fe->memfd;
	}
	fe_msg(fe, FE_SET_MEM_TABLE, 0, p, sizeof(p), fds, 9);
}

static void unknown_request(struct vu_fe *fe)
{
	fe_msg(fe, 99, 0, NULL, 0, NULL, 0);
}

static void reply_flag_in_request(struct vu_fe *fe)
{
	fe_msg_sized(fe, FE_GET_FEATURES, FE_V1 | 0x4, 0, NULL, 0, NULL, 0);
}

static void features_not_offered(struct vu_fe *fe)
{
	fe_u64(fe, FE_SET_FEATURES, 0, ~0ULL, NULL, 0);
}

static void truncated_then_eof(struct vu_fe *fe)
{
	uint32_t h[3] = { FE_SET_MEM_TABLE, FE_V1, 40 };

	fe_send_raw(fe, h, sizeof(h), NULL, 0);
	fe_send_raw(fe, "abcd", 4, NULL, 0);
	shutdown(fe->sock, SHUT_WR);
}

/* ---- refused but served -------------------------------------------- */

static void log_base_refused(struct vu_fe *fe)
{
	uint64_t log[2] = { 4096, 0 };

	fe_msg(fe, FE_SET_LOG_BASE, 0, log, sizeof(log), &fe->memfd, 1);
}

/* ---- guest-side garbage in the rings: the ring stops, we stay ------ */

static int err_fd = -1;

static int start_with(struct vu_fe *fe, uint64_t features)
{
	uint64_t idx = 1;
	int rc = fe_start(fe, 16, features);

	if (rc)
		return rc;
	err_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return fe_u64(fe, FE_SET_VRING_ERR, 0, idx, &err_fd, 1);
}

static int start(struct vu_fe *fe)
{
	return start_with(fe, FEATURES);
}

/*
 * A 60-byte IPv4/UDP frame from the guest whose virtio-net header says
 * @flags, @gso, @csum_start, @csum_offset, with @feat acked on top of
 * FEATURES: the ring stays up, the frame is dropped (counted by gangway).
 */
static void tx_with_hdr(struct vu_fe *fe, uint64_t feat, uint8_t flags,
			uint8_t gso, uint16_t start, uint16_t off)
{
	uint8_t frame[60] = { [12] = 0x08, [14] = 0x45 };
	size_t buf = FE_BUF(1, 0);

	if (start_with(fe, FEATURES | feat))
		return;
	memset(fe->mem + buf, 0, FE_HDR);
	fe->mem[buf] = flags;
	fe->mem[buf + 1] = gso;
	memcpy(fe->mem + buf + 6, &start, 2);
	memcpy(fe->mem + buf + 8, &off, 2);
	memcpy(fe->mem + buf + FE_HDR, frame, sizeof(frame));
	fe_desc(fe, 1, 0, FE_GPA + buf, FE_HDR + sizeof(frame), 0, 0);
	fe_avail(fe, 1, 0);
	fe_kick(fe, 1);
}

static void hdr_csum_past_frame(struct vu_fe *fe)
{
	tx_with_hdr(fe, F_CSUM, 1, 0, 34, 60 - 34 - 1);
}

static void hdr_csum_start_huge(struct vu_fe *fe)
{
	tx_with_hdr(fe, F_CSUM, 1, 0, 0xffff, 0xffff);
}

static void hdr_csum_in_eth_header(struct vu_fe *fe)
{
	tx_with_hdr(fe, F_CSUM, 1, 0, 2, 4);
}

static void hdr_unknown_flag(struct vu_fe *fe)
{
	tx_with_hdr(fe, F_CSUM, 0x11, 0, 34, 6);
}

static void hdr_gso_without_tso(struct vu_fe *fe)
{
	tx_with_hdr(fe, F_CSUM, 1, 1, 34, 16);
}

static void hdr_gso_ecn(struct vu_fe *fe)
{
	tx_with_hdr(fe, F_CSUM | F_TSO, 1, 0x81, 34, 16);
}

static void hdr_gso_udp(struct vu_fe *fe)
{
	tx_with_hdr(fe, F_CSUM | F_TSO, 1, 3, 34, 6);
}

static void hdr_csum_not_negotiated(struct vu_fe *fe)
{
	tx_with_hdr(fe, 0, 1, 0, 34, 6);
}

static void desc_outside_memory(struct vu_fe *fe)
{
	if (start(fe))
		return;
	fe_desc(fe, 1, 0, FE_GPA + FE_MEM_SIZE - 4, 1500, 0, 0);
	fe_avail(fe, 1, 0);
	fe_kick(fe, 1);
}

static void desc_far_outside(struct vu_fe *fe)
{
	if (start(fe))
		return;
	fe_desc(fe, 1, 0, 0xfffffffffffff000ULL, 0x2000, 0, 0);
	fe_avail(fe, 1, 0);
	fe_kick(fe, 1);
}

static void desc_loop(struct vu_fe *fe)
{
	if (start(fe))
		return;
	fe_desc(fe, 1, 0, FE_GPA + FE_BUF(1, 0), 64, 1, 1);
	fe_desc(fe, 1, 1, FE_GPA + FE_BUF(1, 1), 64, 1, 2);
	fe_desc(fe, 1, 2, FE_GPA + FE_BUF(1, 2), 64, 1, 0);
	fe_avail(fe, 1, 0);
	fe_kick(fe, 1);
}

static void desc_next_out_of_range(struct vu_fe *fe)
{
	if (start(fe))
		return;
	fe_desc(fe, 1, 0, FE_GPA + FE_BUF(1, 0), 64, 1, 9999);
	fe_avail(fe, 1, 0);
	fe_kick(fe, 1);
}

static void head_out_of_range(struct vu_fe *fe)
{
	if (start(fe))
		return;
	fe_avail(fe, 1, 16);
	fe_kick(fe, 1);
}

static void desc_zero_length(struct vu_fe *fe)
{
	if (start(fe))
		return;
	fe_desc(fe, 1, 0, FE_GPA + FE_BUF(1, 0), 0, 0, 0);
	fe_avail(fe, 1, 0);
	fe_kick(fe, 1);
}

static void indirect_bad_length(struct vu_fe *fe)
{
	if (start(fe))
		return;
	fe_desc(fe, 1, 0, FE_GPA + FE_BUF(1, 0), 24, 4, 0);
	fe_avail(fe, 1, 0);
	fe_kick(fe, 1);
}

static void indirect_loop(struct vu_fe *fe)
{
	size_t t = FE_BUF(1, 5);
	uint8_t *d = fe->mem + t;
	uint64_t a = FE_GPA + FE_BUF(1, 6);
	uint32_t l = 64;
	uint16_t f = 1, n;
	int i;

	if (start(fe))
		return;
	for (i = 0; i < 4; i++) {
		n = (uint16_t)((i + 1) % 4);
		memcpy(d + i * 16, &a, 8);
		memcpy(d + i * 16 + 8, &l, 4);
		memcpy(d + i * 16 + 12, &f, 2);
		memcpy(d + i * 16 + 14, &n, 2);
	}
	fe_desc(fe, 1, 0, FE_GPA + t, 64, 4, 0);
	fe_avail(fe, 1, 0);
	fe_kick(fe, 1);
}

static void indirect_nested(struct vu_fe *fe)
{
	size_t t = FE_BUF(1, 5);

	if (start(fe))
		return;
	fe_desc(fe, 1, 0, FE_GPA + t, 16, 4, 0);
	/* The table's only entry is itself indirect */
	memcpy(fe->mem + t, &(uint64_t){ FE_GPA + t }, 8);
	memcpy(fe->mem + t + 8, &(uint32_t){ 16 }, 4);
	memcpy(fe->mem + t + 12, &(uint16_t){ 4 }, 2);
	fe_avail(fe, 1, 0);
	fe_kick(fe, 1);
}

static void avail_jump(struct vu_fe *fe)
{
	if (start(fe))
		return;
	fe_put16(fe, FE_AVAIL(1) + 2, 1000);
	fe_kick(fe, 1);
}

enum outcome { CLOSED, ALIVE, BROKEN, DROPPED };

static const struct scenario {
	const char *name;
	void (*fn)(struct vu_fe *fe);
	enum outcome want;
} scenarios[] = {
	{ "oversized_payload", oversized_payload, CLOSED },
	{ "size_4g", size_4g, CLOSED },
	{ "fd_where_none_belongs", fd_where_none_belongs, CLOSED },
	{ "too_many_fds", too_many_fds, CLOSED },
	{ "kick_fd_missing", kick_fd_missing, CLOSED },
	{ "num_index_out_of_range", num_index_out_of_range, CLOSED },
	{ "addr_index_out_of_range", addr_index_out_of_range, CLOSED },
	{ "call_index_out_of_range", call_index_out_of_range, CLOSED },
	{ "enable_index_out_of_range", enable_index_out_of_range, CLOSED },
	{ "vring_num_zero", vring_num_zero, CLOSED },
	{ "vring_num_odd", vring_num_odd, CLOSED },
	{ "vring_num_huge", vring_num_huge, CLOSED },
	{ "ring_outside_memory", ring_outside_memory, CLOSED },
	{ "used_ring_past_end", used_ring_past_end, CLOSED },
	{ "mem_size_offset_overflow", mem_size_offset_overflow, CLOSED },
	{ "mem_gpa_overflow", mem_gpa_overflow, CLOSED },
	{ "mem_beyond_file", mem_beyond_file, CLOSED },
	{ "mem_regions_exceed_fds", mem_regions_exceed_fds, CLOSED },
	{ "mem_overlap", mem_overlap, CLOSED },
	{ "mem_nine_regions", mem_nine_regions, CLOSED },
	{ "unknown_request", unknown_request, CLOSED },
	{ "reply_flag_in_request", reply_flag_in_request, CLOSED },
	{ "features_not_offered", features_not_offered, CLOSED },
	{ "truncated_then_eof", truncated_then_eof, CLOSED },
	{ "log_base_refused", log_base_refused, ALIVE },
	{ "desc_outside_memory", desc_outside_memory, BROKEN },
	{ "desc_far_outside", desc_far_outside, BROKEN },
	{ "desc_loop", desc_loop, BROKEN },
	{ "desc_next_out_of_range", desc_next_out_of_range, BROKEN },
	{ "head_out_of_range", head_out_of_range, BROKEN },
	{ "desc_zero_length", desc_zero_length, BROKEN },
	{ "indirect_bad_length", indirect_bad_length, BROKEN },
	{ "indirect_loop", indirect_loop, BROKEN },
	{ "indirect_nested", indirect_nested, BROKEN },
	{ "avail_jump", avail_jump, BROKEN },
	{ "hdr_csum_past_frame", hdr_csum_past_frame, DROPPED },
	{ "hdr_csum_start_huge", hdr_csum_start_huge, DROPPED },
	{ "hdr_csum_in_eth_header", hdr_csum_in_eth_header, DROPPED },
	{ "hdr_unknown_flag", hdr_unknown_flag, DROPPED },
	{ "hdr_gso_without_tso", hdr_gso_without_tso, DROPPED },
	{ "hdr_gso_ecn", hdr_gso_ecn, DROPPED },
	{ "hdr_gso_udp", hdr_gso_udp, DROPPED },
	{ "hdr_csum_not_negotiated", hdr_csum_not_negotiated, DROPPED },
};

static const char *const outcome_str[] = { "closed", "alive", "broken",
					   "dropped" };

/* What became of the connection after a scenario */
static enum outcome observe(struct vu_fe *fe, enum outcome want)
{
	if (want == DROPPED) {
		struct pollfd p = { .fd = err_fd, .events = POLLIN };
		uint32_t id, len;
		int ms;

		/* The chain comes back used, the ring is not stopped */
		for (ms = 0; ms < 5000 && !fe_used(fe, 1, &id, &len); ms += 10)
			sleep_ms(10);
		if (ms >= 5000)
			return answers(fe) ? ALIVE : CLOSED;
		if (poll(&p, 1, 100) == 1)
			return answers(fe) ? BROKEN : CLOSED;
		return answers(fe) ? DROPPED : CLOSED;
	}
	if (want == BROKEN) {
		struct pollfd p = { .fd = err_fd, .events = POLLIN };

		/* The err eventfd fires when the back-end stops the ring */
		if (poll(&p, 1, 5000) != 1)
			return answers(fe) ? ALIVE : CLOSED;
		return answers(fe) ? BROKEN : CLOSED;
	}
	if (fe_closed(fe, want == CLOSED ? 5000 : 200))
		return CLOSED;
	return answers(fe) ? ALIVE : CLOSED;
}

int main(int argc, char **argv)
{
	unsigned int i, bad = 0;
	const char *only = argc > 2 ? argv[2] : NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: vu_evil PATH [SCENARIO]\n");
		return 2;
	}
	path = argv[1];
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *s = &scenarios[i];
		struct vu_fe fe;
		enum outcome got;

		if (only && strcmp(only, s->name))
			continue;
		if (fe_connect(&fe)) {
			printf("vu_evil: %s: cannot connect\n", s->name);
			return 1;
		}
		err_fd = -1;
		s->fn(&fe);
		got = observe(&fe, s->want);
		printf("vu_evil: %s: %s%s\n", s->name, outcome_str[got],
		       got == s->want ? "" : " (UNEXPECTED)");
		fflush(stdout);
		bad += got != s->want;
		if (err_fd >= 0)
			close(err_fd);
		fe_free(&fe);
	}
	return bad ? 1 : 0;
}
