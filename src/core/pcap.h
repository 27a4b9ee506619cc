/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * core/pcap.h - capture of every guest frame, both directions (--pcap)
 *
 * Owns: the capture file, written in the classic pcap format with
 * nanosecond timestamps (magic 0xa1b23c4d) and LINKTYPE_ETHERNET, readable
 * by tcpdump -r and wireshark. Links call pcap_frame() for each frame they
 * receive from or queue to the guest, without their own framing.
 * Does not own: filtering (everything is captured), rotation.
 * Limits: frames are written synchronously to a regular file; a failed
 * write is counted (stats "pcap.write_errors") and capture goes on.
 */
#ifndef GANGWAY_CORE_PCAP_H
#define GANGWAY_CORE_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Create (truncate) @path and write the file header; 0 or -errno */
int pcap_open(const char *path);
void pcap_close(void);

/* True while a capture file is open: lets callers skip gathering work */
bool pcap_active(void);

/**
 * pcap_frame() - record one Ethernet frame
 * @iov:	frame data, possibly preceded by link framing
 * @cnt:	entries in @iov
 * @offset:	bytes at the start of @iov to leave out (virtio-net header,
 *		length prefix), 0 if @iov holds just the frame
 * @now_ns:	CLOCK_MONOTONIC time of the event (the loop's reading)
 */
void pcap_frame(const struct iovec *iov, size_t cnt, size_t offset,
		uint64_t now_ns);

static inline void pcap_buf(const void *frame, size_t len, uint64_t now_ns)
{
	struct iovec iov = { .iov_base = (void *)frame, .iov_len = len };

	pcap_frame(&iov, 1, 0, now_ns);
}

#endif /* GANGWAY_CORE_PCAP_H */
