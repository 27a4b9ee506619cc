// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for exec.c: what gangway exec reads from a QEMU command */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/compiler.h"
#include "exec.h"

static void mem_sizes(void **state)
{
	static const struct {
		const char *arg;
		unsigned long long bytes;
	} good[] = {
		{ "512", 512ULL << 20 },
		{ "1G", 1ULL << 30 },
		{ "1.5g", 3ULL << 29 },
		{ "262144k", 256ULL << 20 },
		{ "size=2G,slots=2,maxmem=8G", 2ULL << 30 },
		{ "slots=2,size=64M", 64ULL << 20 },
		{ "512MB", 512ULL << 20 },
	};
	static const char *const bad[] = {
		"lots", "12X", "-1G", "slots=2", "",
	};
	unsigned long long b;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(exec_mem_size(good[i].arg, &b), 0);
		assert_true(b == good[i].bytes);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(exec_mem_size(bad[i], &b), -EINVAL);
}

#define SCAN(vu, ...)	({ char *a_[] = { "qemu", __VA_ARGS__, NULL };	\
			   exec_qemu_scan(a_, "n0", vu, &q); })

static void nic_forms(void **state)
{
	struct exec_qemu q;

	(void)state;
	assert_int_equal(SCAN(false, "-device", "e1000,netdev=n0"), 0);
	assert_int_equal(q.nic, 2);
	assert_string_equal(q.nic_driver, "e1000");

	assert_int_equal(SCAN(false, "--device",
			      "driver=virtio-net-pci,netdev=n0,vectors=4"), 0);
	assert_string_equal(q.nic_driver, "virtio-net-pci");
	assert_int_equal(q.nic_vectors, 4);

	assert_int_equal(SCAN(true, "-device",
			      "{\"driver\": \"virtio-net-pci\", \"netdev\": \"n0\"}"),
			 0);
	assert_string_equal(q.nic_driver, "virtio-net-pci");

	/* netdev=n01 is not netdev=n0; the value of -append is skipped */
	assert_int_equal(SCAN(false, "-device", "e1000,netdev=n01",
			      "-append", "-device"), -EINVAL);
	assert_non_null(strstr(q.err, "no NIC for netdev n0"));

	assert_int_equal(SCAN(false, "-device", "e1000,netdev=n0",
			      "-device", "rtl8139,netdev=n0"), -EINVAL);
	assert_non_null(strstr(q.err, "two NICs"));

	assert_int_equal(SCAN(false, "-daemonize", "-device",
			      "e1000,netdev=n0"), -EINVAL);
	assert_non_null(strstr(q.err, "-daemonize: gangway exec stays"));
}

static void accel_and_memory(void **state)
{
	struct exec_qemu q;

	(void)state;
	assert_int_equal(SCAN(true, "-enable-kvm", "-m", "2G", "-device",
			      "virtio-net-pci,netdev=n0"), 0);
	assert_true(q.kvm);
	assert_true(q.mem_bytes == 2ULL << 30);
	assert_int_equal(SCAN(true, "-accel", "kvm", "-device",
			      "virtio-net-pci,netdev=n0"), 0);
	assert_true(q.kvm);
	assert_int_equal(SCAN(true, "-machine", "q35,accel=kvm:tcg", "-device",
			      "virtio-net-pci,netdev=n0"), 0);
	assert_true(q.kvm);
	assert_int_equal(SCAN(true, "-accel", "tcg", "-device",
			      "virtio-net-pci,netdev=n0"), 0);
	assert_false(q.kvm);
	assert_int_equal(q.mem_bytes, 0);

	assert_int_equal(SCAN(true, "-object",
			      "memory-backend-file,id=m,size=1G,mem-path=/dev/shm/x,share=on",
			      "-numa", "node,memdev=m", "-device",
			      "virtio-net-pci,netdev=n0"), 0);
	assert_true(q.backend_shared);
	assert_int_equal(SCAN(true, "-object",
			      "memory-backend-ram,id=m,size=1G", "-device",
			      "virtio-net-pci,netdev=n0"), -EINVAL);
	assert_non_null(strstr(q.err, "id=m: vhost-user needs share=on"));
	/* without vhost-user, memory is none of our business */
	assert_int_equal(SCAN(false, "-mem-path", "/dev/hugepages", "-device",
			      "e1000,netdev=n0"), 0);
	assert_int_equal(SCAN(false, "-m", "lots", "-device",
			      "e1000,netdev=n0"), -EINVAL);
	assert_non_null(strstr(q.err, "-m lots"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mem_sizes),
		cmocka_unit_test(nic_forms),
		cmocka_unit_test(accel_and_memory),
	};

	return cmocka_run_group_tests_name("exec", tests, NULL, NULL);
}
