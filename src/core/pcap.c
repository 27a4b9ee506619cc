// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core/pcap.c - capture of every guest frame, both directions (--pcap)
 *
 * Timestamps are wall-clock time, derived from the CLOCK_MONOTONIC reading
 * the loop hands us plus the offset between the two clocks measured once
 * at pcap_open(): one clock read per wakeup, and a capture whose packet
 * times never go backwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/compiler.h"
#include "core/pcap.h"
#include "core/stats.h"

#define PCAP_MAGIC_NSEC		0xa1b23c4dU
#define PCAP_VERSION_MAJOR	2
#define PCAP_VERSION_MINOR	4
#define PCAP_SNAPLEN		262144U
#define PCAP_LINKTYPE_ETHERNET	1
#define PCAP_IOV_MAX		64	/* pieces of one frame in one writev */

/* File header, written in host byte order as the format allows */
struct pcap_file_hdr {
	uint32_t magic;
	uint16_t major;
	uint16_t minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

struct pcap_rec_hdr {
	uint32_t ts_sec;
	uint32_t ts_nsec;
	uint32_t caplen;
	uint32_t len;
};

enum pcap_stat {
	PCAP_FRAMES,
	PCAP_BYTES,
	PCAP_WRITE_ERRORS,
	PCAP_TRUNCATED,		/* too many iovec pieces: frame cut short */
	PCAP_STAT__COUNT
};

static const char *const pcap_stat_names[] = {
	[PCAP_FRAMES]		= "frames",
	[PCAP_BYTES]		= "bytes",
	[PCAP_WRITE_ERRORS]	= "write_errors",
	[PCAP_TRUNCATED]	= "truncated",
};
static_assert(ARRAY_SIZE(pcap_stat_names) == PCAP_STAT__COUNT,
	      "a name for every pcap counter");

static uint64_t pcap_stats[PCAP_STAT__COUNT];
static int pcap_fd = -1;
static uint64_t pcap_mono_to_real_ns;	/* add to CLOCK_MONOTONIC */

bool pcap_active(void)
{
	return pcap_fd >= 0;
}

static uint64_t pcap_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int pcap_open(const char *path)
{
	struct pcap_file_hdr h = {
		.magic = PCAP_MAGIC_NSEC,
		.major = PCAP_VERSION_MAJOR,
		.minor = PCAP_VERSION_MINOR,
		.snaplen = PCAP_SNAPLEN,
		.linktype = PCAP_LINKTYPE_ETHERNET,
	};
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, &h, sizeof(h)) != (ssize_t)sizeof(h)) {
		int ret = errno ? -errno : -EIO;

		close(fd);
		return ret;
	}
	pcap_mono_to_real_ns = pcap_clock_ns(CLOCK_REALTIME) -
			       pcap_clock_ns(CLOCK_MONOTONIC);
	pcap_fd = fd;
	stats_register("pcap", pcap_stat_names, pcap_stats, PCAP_STAT__COUNT);
	return 0;
}

void pcap_close(void)
{
	if (pcap_fd >= 0)
		close(pcap_fd);
	pcap_fd = -1;
}

/* #syscalls: writev */
void pcap_frame(const struct iovec *iov, size_t cnt, size_t offset,
		uint64_t now_ns)
{
	struct iovec out[PCAP_IOV_MAX + 1];
	struct pcap_rec_hdr rh;
	size_t i, n = 1, len = 0, full = 0;
	bool cut = false;
	uint64_t t;
	ssize_t want;

	if (pcap_fd < 0)
		return;

	for (i = 0; i < cnt; i++) {
		const char *base = iov[i].iov_base;
		size_t l = iov[i].iov_len;

		if (offset >= l) {
			offset -= l;
			continue;
		}
		full += l - offset;
		if (n > PCAP_IOV_MAX || len + (l - offset) > PCAP_SNAPLEN) {
			cut = true;
		} else {
			out[n].iov_base = (void *)(base + offset);
			out[n].iov_len = l - offset;
			len += l - offset;
			n++;
		}
		offset = 0;
	}
	if (cut)
		pcap_stats[PCAP_TRUNCATED]++;

	t = now_ns + pcap_mono_to_real_ns;
	rh.ts_sec = (uint32_t)(t / 1000000000ULL);
	rh.ts_nsec = (uint32_t)(t % 1000000000ULL);
	rh.caplen = (uint32_t)len;
	rh.len = (uint32_t)full;
	out[0].iov_base = &rh;
	out[0].iov_len = sizeof(rh);

	want = (ssize_t)(sizeof(rh) + len);
	if (writev(pcap_fd, out, (int)n) != want) {
		pcap_stats[PCAP_WRITE_ERRORS]++;
		return;
	}
	pcap_stats[PCAP_FRAMES]++;
	pcap_stats[PCAP_BYTES] += len;
}
