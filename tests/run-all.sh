#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/run-all.sh - THE test command: install what the build and the tests
# need, build, run the unit and system tests, then do it all again with
# AddressSanitizer and UndefinedBehaviorSanitizer.
#
# Usage: bash tests/run-all.sh        (as root: namespaces, tap, QEMU)
# Environment:
#	GANGWAY_NO_APT=1	skip apt-get (everything is installed already)
#	GANGWAY_NO_ASAN=1	skip the sanitizer build (quicker local runs)
#	GANGWAY_JOBS=N		build jobs (default 2)
#	GANGWAY_NO_FUZZ=1	skip the short libFuzzer run (tests/run-fuzz.sh)
#	GANGWAY_FUZZ_SECS=N	seconds per fuzz target (default 30)
# Build directories: build/ and build-asan/ (reused if present).
# Exits non-zero if anything failed; every step still runs, and the meson
# test summaries are printed at the end.
set -u
cd "$(dirname "$0")/.."
src=$(pwd)
jobs=${GANGWAY_JOBS:-2}
logdir="$src/build-logs"
mkdir -p "$logdir"
failed=()
start=$(date +%s)

step() {
	echo
	echo "=== $* ($(( $(date +%s) - start )) s)"
}

# run NAME CMD...: run a step, remember it if it fails
run() {
	local name=$1
	shift
	step "$name"
	if ! "$@"; then
		echo "=== FAILED: $name"
		failed+=("$name")
		return 1
	fi
}

packages=(
	meson ninja-build gcc pkg-config libcmocka-dev
	qemu-system-x86 busybox-static iproute2 iputils-ping kmod cpio
	xz-utils gzip file dpkg
	python3 python3-pytest python3-scapy
	iperf3 socat tcpdump curl netcat-openbsd
	passt slirp4netns valgrind clang isc-dhcp-client
	scdoc man-db groff-base
)

if [ "$(id -u)" != 0 ]; then
	echo "run-all.sh: must run as root (network namespaces, tap, QEMU)" >&2
	exit 1
fi

# retry N CMD...: run CMD up to N times, 30 s apart (a mirror's hiccup
# is not a test failure)
retry() {
	local tries=$1 i
	shift
	for ((i = 1; i <= tries; i++)); do
		"$@" && return 0
		[ "$i" -lt "$tries" ] &&
			echo "=== attempt $i failed; again in 30 s" && sleep 30
	done
	return 1
}

if [ -z "${GANGWAY_NO_APT:-}" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt_opts=(-y -q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
	# The package lists we have do if the update fails: only a failed
	# install (below) stops the run
	step "apt-get update"
	retry 3 apt-get "${apt_opts[@]}" update ||
		echo "=== apt-get update failed; using the package lists we have"
	run "apt-get install" retry 3 apt-get "${apt_opts[@]}" install \
		--no-install-recommends "${packages[@]}" || exit 1
fi

# ICMP echo tests: the daemon uses unprivileged ping sockets
sysctl -q -w net.ipv4.ping_group_range="0 2147483647" ||
	failed+=("sysctl ping_group_range")

# The guest kernel and initramfs, once, before any QEMU test needs them
run "guest kernel and initramfs" sh tests/guest/build.sh

rm -f "$logdir"/*.txt "$logdir"/*.log

# build_and_test DIR [meson setup options]
build_and_test() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		run "meson setup $dir" meson setup --reconfigure "$dir" "$@" ||
			return
	else
		run "meson setup $dir" meson setup "$dir" "$@" || return
	fi
	run "compile $dir" meson compile -C "$dir" -j "$jobs" || return
	run "unit tests $dir" mtest "$dir" unit "$jobs"
	run "system tests $dir" mtest "$dir" system 1
}

# mtest DIR SUITE JOBS: meson test, its console output kept for the summary
mtest() {
	local out="$logdir/$(basename "$1")-$2.txt"
	meson test -C "$1" --suite "$2" --num-processes "$3" \
		--print-errorlogs 2>&1 | tee "$out"
	local rc=${PIPESTATUS[0]}
	cp "$1/meson-logs/testlog.txt" "$logdir/$(basename "$1")-$2.log" \
		2>/dev/null
	return "$rc"
}

build_and_test build
if [ -z "${GANGWAY_NO_ASAN:-}" ]; then
	build_and_test build-asan -Db_sanitize=address,undefined \
		-Db_lundef=false
fi

# Each libFuzzer target for a bounded time (clang, build-fuzz/)
if [ -z "${GANGWAY_NO_FUZZ:-}" ]; then
	run "fuzz targets (${GANGWAY_FUZZ_SECS:-30} s each)" \
		bash tests/run-fuzz.sh "${GANGWAY_FUZZ_SECS:-30}"
fi

echo
echo "=== Summary ($(( $(date +%s) - start )) s)"
for f in "$logdir"/build-unit.txt "$logdir"/build-system.txt \
	 "$logdir"/build-asan-unit.txt "$logdir"/build-asan-system.txt; do
	[ -f "$f" ] || continue
	echo "--- $(basename "$f" .txt)"
	sed -n '/^Ok:/,/^Timeout:/p' "$f"
	grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)' \
		"$f" | awk '!seen[$0]++' || true
done
if [ ${#failed[@]} -gt 0 ]; then
	echo
	echo "FAILED steps:"
	printf '  %s\n' "${failed[@]}"
	exit 1
fi
echo
echo "All steps passed."
