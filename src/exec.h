/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * exec.h - gangway exec: run a QEMU command with gangway as its network
 *
 * Owns: the `gangway exec [OPTION]... -- QEMU-COMMAND...` subcommand, a
 * launcher that gives any QEMU from 7.2 on what QEMU 10.1's -netdev passt
 * gives: it starts the daemon itself (as QEMU 10.1 does: --quiet ... --pid
 * FILE --fd 3, waiting for the launching parent to exit), adds the netdev
 * (and, for vhost-user, the shared guest memory) to the QEMU command,
 * starts a new daemon whenever the old one goes away, forwards signals
 * and exits with QEMU's status.
 * Does not own: anything of the daemon; it runs no event loop of gangway's
 * and shares no state with the rest of the program.
 */
#ifndef GANGWAY_EXEC_H
#define GANGWAY_EXEC_H

#include <stdbool.h>
#include <stddef.h>

/**
 * exec_main() - run `gangway exec`
 * @argc, @argv:	the arguments from "exec" on (argv[0] is "exec")
 * @self:	the program's own argv[0], used as the daemon's argv[0]
 * Return: exit status for main(): QEMU's (128 + signal if killed), or 1
 * if nothing could be started
 */
int exec_main(int argc, char **argv, const char *self);

/**
 * struct exec_qemu - what gangway exec learnt from a QEMU command line
 * @nic:	index of the -device value that uses our netdev, or -1
 * @nic_driver:	that device's driver ("virtio-net-pci"), "" if none
 * @nic_vectors: its vectors= value, -1 if not given
 * @has_netdev:	the command already defines a netdev with our id
 * @mem_bytes:	guest RAM from -m, 0 if -m was not given
 * @has_numa:	-numa given
 * @has_mem_path: -mem-path given
 * @backend_shared: a memory-backend object with share=on is given
 * @backend_private: a memory-backend object without share=on (its id)
 * @kvm:	the first accelerator asked for is KVM (else TCG)
 * @err:	first problem found, as a message for the user ("" if none)
 */
struct exec_qemu {
	int nic;
	char nic_driver[64];
	long nic_vectors;
	bool has_netdev;
	unsigned long long mem_bytes;
	bool has_numa;
	bool has_mem_path;
	bool backend_shared;
	char backend_private[64];
	bool kvm;
	char err[512];
};

/**
 * exec_qemu_scan() - read the parts of a QEMU command gangway exec cares for
 * @argv:	QEMU command, argv[0] the program, NULL-terminated
 * @id:		the netdev id we will add
 * @vhost_user:	check what vhost-user needs, too
 * @q:		result
 * Return: 0, or -EINVAL with @q->err saying what cannot work
 */
int exec_qemu_scan(char *const *argv, const char *id, bool vhost_user,
		   struct exec_qemu *q);

/* Parse a QEMU -m value ("512", "1G", "size=2G,maxmem=4G") into bytes */
int exec_mem_size(const char *val, unsigned long long *bytes);

#endif /* GANGWAY_EXEC_H */
