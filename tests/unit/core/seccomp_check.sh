#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/unit/core/seccomp_check.sh SRCDIR - every system call named by a
# "#syscalls" annotation in SRCDIR/src must be on the reviewed list in
# SRCDIR/src/core/seccomp.c, so that a new call shows up in review (and
# here) before it shows up as a SIGSYS in a running daemon.
# Annotation form: "#syscalls: name name ..." (a "#syscalls:vu" tag may
# name calls for the vhost-user link only; they are checked the same way).
set -eu
src=${1:?usage: seccomp_check.sh SRCDIR}
list="$src/src/core/seccomp.c"
names=$(grep -rhoE '#syscalls(:[a-z]+)?: [a-z0-9_ ]+' "$src/src" |
	sed -E 's/#syscalls(:[a-z]+)?: //' | tr ' ' '\n' | grep . | sort -u)
missing=0
for n in $names; do
	if ! grep -qE "SC\($n, " "$list"; then
		echo "seccomp_check: '$n' is annotated in src/ but not allowed in src/core/seccomp.c" >&2
		missing=1
	fi
done
count=$(echo "$names" | wc -w)
[ "$missing" = 0 ] && echo "seccomp_check: $count annotated system calls, all on the list"
exit "$missing"
