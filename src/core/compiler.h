/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * core/compiler.h - small language helpers shared by every layer
 *
 * Owns: container_of(), ARRAY_SIZE(), branch hints, byte-order loads and
 * stores on raw bytes (used only inside src/packet/).
 * Uses: nothing but the C library headers. The one header packet/ may use.
 */
#ifndef GANGWAY_CORE_COMPILER_H
#define GANGWAY_CORE_COMPILER_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member)					\
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))
#define UNUSED			__attribute__((unused))
#define PRINTF_FMT(a, b)	__attribute__((format(printf, a, b)))
#define NORETURN		__attribute__((noreturn))

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

#endif /* GANGWAY_CORE_COMPILER_H */
