#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/run-fuzz.sh - build the libFuzzer targets (fuzz/) with clang, ASan
# and UBSan in build-fuzz/, and run each for a bounded time.
#
# Usage: bash tests/run-fuzz.sh [SECONDS_PER_TARGET]   (default 30)
# Each target starts from a scratch copy of its checked-in corpus
# (listed below), so new coverage inputs do not pile up in
# the tree. A crash stops that target and is copied next to the seeds as
# crash-<target>-<hash>: commit it, fix the bug, and the unit test that
# replays that corpus keeps it fixed. Exits non-zero on a crash.
set -u
cd "$(dirname "$0")/.."
secs=${1:-30}
jobs=${GANGWAY_JOBS:-2}
if [ -f build-fuzz/build.ninja ]; then
	CC=clang meson setup --reconfigure build-fuzz -Dfuzz=true -Dwerror=false >/dev/null
else
	CC=clang meson setup build-fuzz -Dfuzz=true -Dwerror=false >/dev/null
fi || exit 1
meson compile -C build-fuzz -j "$jobs" >/dev/null || exit 1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
work=$(mktemp -d)
# target:corpus (seeds and crashers, checked in)
targets="ingress:tests/fuzz-corpus/ingress
vhost_user:tests/fuzz-corpus/vhost_user
frame:tests/unit/packet/corpus/frame
dhcp:tests/unit/services/corpus/dhcp
dhcpv6:tests/unit/services/corpus/dhcpv6
ndp:tests/unit/services/corpus/ndp
virtq:tests/unit/link/corpus/virtq
ports:tests/unit/conf/corpus/ports
resolv:tests/unit/conf/corpus/resolv"
for tc in $targets; do
	t=${tc%%:*}
	corpus=${tc#*:}
	bin=build-fuzz/fuzz/fuzz-$t
	mkdir -p "$work/$t" "$work/$t-crash"
	cp "$corpus"/* "$work/$t/"
	# A dictionary beside the corpus (corpus/*.dict) goes with it
	dict=
	for d in "${corpus%/*}"/*.dict; do
		[ -f "$d" ] && dict=-dict=$d
	done
	echo "=== fuzz-$t: ${secs}s"
	if ! "$bin" $dict -max_total_time="$secs" -max_len=4096 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$work/$t-crash/" \
		"$work/$t" 2>"$work/$t.log"; then
		failed=1
		echo "=== fuzz-$t: FAILED"
		tail -40 "$work/$t.log"
		for c in "$work/$t-crash"/*; do
			[ -f "$c" ] || continue
			cp "$c" "$corpus/crash-$t-$(basename "$c" |
				sed 's/^[a-z-]*-//' | cut -c1-12)"
		done
	else
		grep -E "^Done [0-9]+ runs" "$work/$t.log" | tr '\n' ' '
		grep -E "cov: [0-9]+" -o "$work/$t.log" | tail -1
	fi
done
rm -rf "$work"
exit $failed
