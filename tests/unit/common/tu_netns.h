/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tests/unit/common/tu_netns.h - the loopback device of a test's own
 * network namespace
 *
 * Unit tests that use real host sockets move into a network namespace of
 * their own first (unshare(CLONE_NEWNET) in their setup), whose "lo"
 * starts down: bring it up before the first bind().
 */
#ifndef GANGWAY_TEST_TU_NETNS_H
#define GANGWAY_TEST_TU_NETNS_H

#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bring "lo" up; 0 on success, -1 with errno set */
static inline int tu_lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int rc;

	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!rc) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

#endif /* GANGWAY_TEST_TU_NETNS_H */
