#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/unit/layering.sh SRCDIR - the folders under src/ are the layers
# (docs/STYLE section 1); this checks every '#include "..."' line against
# the table of what each layer may include, and fails on the first layer
# that reaches above or beside itself:
#
#	packet    core/compiler.h only (no log, no I/O)
#	core      core
#	link      core, packet
#	services  core, packet
#	flow      core, packet
#	conf      core, packet
#	src/*.c   (main.c, ingress.c, exec.c and their headers) everything,
#	          except that only main.c includes link/ (docs/HACKING.md)
#
# A layer may always include its own headers. A bare '#include "x.h"'
# names a header beside the includer if there is one, otherwise a file at
# the top of src/ (ingress.h, exec.h), which no layer may include.
set -eu
src=${1:?usage: layering.sh SRCDIR}/src
[ -d "$src/core" ] || { echo "layering: no $src/core" >&2; exit 2; }

allowed() {	# allowed LAYER TARGET -> 0 if LAYER may include TARGET
	layer=$1 target=$2
	tdir=${target%%/*}
	[ "$tdir" = "$target" ] && tdir=.	# top-level file of src/
	[ "$tdir" = "$layer" ] && return 0
	case "$layer" in
	packet)	[ "$target" = core/compiler.h ] ;;
	core)	return 1 ;;
	link|services|flow|conf)
		[ "$tdir" = core ] || [ "$tdir" = packet ] ;;
	main)	return 0 ;;
	top)	[ "$tdir" != link ] ;;
	*)	return 1 ;;	# a new folder must be added to this table
	esac
}

bad=0 n=0
for f in $(cd "$src" && find . -name '*.[ch]' | sed 's|^\./||' | sort); do
	case "$f" in
	*/*)	layer=${f%%/*} ;;
	main.c)	layer=main ;;
	*)	layer=top ;;
	esac
	dir=$(dirname "$f")
	for inc in $(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1/p' \
		     "$src/$f"); do
		n=$((n + 1))
		case "$inc" in
		*/*)	target=$inc ;;
		*)	if [ -e "$src/$dir/$inc" ]; then
				target=$dir/$inc
			else
				target=$inc
			fi ;;
		esac
		if ! allowed "$layer" "$target"; then
			echo "layering: src/$f includes \"$inc\": $layer/ may not include $target" >&2
			bad=1
		fi
	done
done
[ "$bad" = 0 ] && echo "layering: $n includes under src/ follow the layer table"
exit "$bad"
