#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/unit/layering_selftest.sh LAYERING_SH - layering.sh must pass a
# tree that follows the table and fail each tree below that breaks it once.
set -eu
check=${1:?usage: layering_selftest.sh LAYERING_SH}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mktree() {	# a minimal tree that follows the table
	rm -rf "$tmp/t"
	for d in core packet link services flow conf; do
		mkdir -p "$tmp/t/src/$d/fuzz"
		: > "$tmp/t/src/$d/$d.h"
	done
	: > "$tmp/t/src/core/compiler.h"
	: > "$tmp/t/src/ingress.h"
	printf '#include "core/compiler.h"\n#include "packet/packet.h"\n' \
		> "$tmp/t/src/packet/a.c"
	printf '#include "core/core.h"\n#include <stdio.h>\n' \
		> "$tmp/t/src/core/a.c"
	for d in link services flow conf; do
		printf '#include "core/core.h"\n#include "packet/packet.h"\n#include "%s.h"\n' \
			"$d" > "$tmp/t/src/$d/a.c"
	done
	printf '#include "services/services.h"\n' > "$tmp/t/src/services/fuzz/f.c"
	printf '#include "link/link.h"\n#include "flow/flow.h"\n#include "ingress.h"\n' \
		> "$tmp/t/src/main.c"
	printf '#include "services/services.h"\n#include "flow/flow.h"\n#include "conf/conf.h"\n#include "ingress.h"\n' \
		> "$tmp/t/src/ingress.c"
}

fail=0
mktree
if ! sh "$check" "$tmp/t" >/dev/null 2>&1; then
	echo "selftest: a clean tree was refused" >&2
	fail=1
fi

# file, line that breaks the table
while IFS='|' read -r file line; do
	mktree
	echo "$line" >> "$tmp/t/src/$file"
	if sh "$check" "$tmp/t" >/dev/null 2>&1; then
		echo "selftest: src/$file with '$line' was accepted" >&2
		fail=1
	else
		n=$((${n:-0} + 1))
	fi
done <<'CASES'
packet/a.c|#include "core/log.h"
packet/a.c|#include "services/services.h"
core/a.c|#include "packet/packet.h"
core/a.c|#include "link/link.h"
core/a.c|#include "conf/conf.h"
core/a.c|#include "flow/flow.h"
core/a.c|#include "services/services.h"
link/a.c|#include "services/services.h"
link/a.c|#include "conf/conf.h"
services/a.c|#include "flow/flow.h"
services/a.c|#include "link/link.h"
services/a.c|  #  include "conf/conf.h"
services/fuzz/f.c|#include "flow/flow.h"
flow/a.c|#include "services/services.h"
flow/a.c|#include "ingress.h"
conf/a.c|#include "link/link.h"
conf/a.c|#include "flow/flow.h"
ingress.c|#include "link/link.h"
CASES
[ "$fail" = 0 ] && echo "selftest: clean tree accepted, $n violations refused"
exit "$fail"
