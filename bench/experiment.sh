#!/bin/sh
# bench/experiment.sh — measures a proposed engine change without touching
# the engine's sources: copies the source tree (as it is now, without build
# folders and .git) into a temporary folder, applies patches and/or linker
# flags there, builds it (Release), and runs a benchmark with that binary
# (--alt) beside a build of the same copy without them (as VIGIL),
# alternating, in the same invocation.
#
#   bench/experiment.sh VARIANT[,VARIANT...] BENCHMARK [BENCHMARK OPTIONS...]
#
#   VARIANT    printer        bench/experiments/printer-memcpy.patch
#              clock          bench/experiments/clock-per-read.patch
#              printer+clock  both
#              vfork          bench/experiments/spawn-vfork.patch (an estimate only:
#                             spawn.c's fork() becomes vfork())
#              bindnow        no patch; linked with -Wl,-z,now
#              FILE.patch     any patch (-p1, from the top of the tree)
#   BENCHMARK  log | respawn | startup  (bench/logthroughput.py, respawn.py,
#              startup.py; log takes several variants, the others one)
#
# e.g. bench/experiment.sh printer,printer+clock log --runs 11
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
[ $# -ge 2 ] || { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
variants=$1 bench=$2
shift 2
case "$bench" in
log) script="$here/logthroughput.py" ;;
respawn) script="$here/respawn.py" ;;
startup) script="$here/startup.py" ;;
*) echo "experiment.sh: unknown benchmark '$bench' (log, respawn, startup)" >&2; exit 2 ;;
esac
case "$bench,$variants" in
respawn,*,* | startup,*,*) echo "experiment.sh: $bench takes one variant" >&2; exit 2 ;;
esac

tmp=$(mktemp -d /tmp/vigil-bench-exp-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/bin"
alts=""
echo "# experiment: $variants"
echo
for variant in base $(echo "$variants" | tr ',' ' '); do
	patches="" ldflags=""
	case "$variant" in
	base) ;;
	printer) patches="$here/experiments/printer-memcpy.patch" ;;
	clock) patches="$here/experiments/clock-per-read.patch" ;;
	printer+clock) patches="$here/experiments/printer-memcpy.patch $here/experiments/clock-per-read.patch" ;;
	vfork) patches="$here/experiments/spawn-vfork.patch" ;;
	bindnow) ldflags="-Wl,-z,now" ;;
	*.patch) patches=$(cd "$(dirname "$variant")" && pwd)/$(basename "$variant") ;;
	*) echo "experiment.sh: unknown variant '$variant'" >&2; exit 2 ;;
	esac
	name=vigil-$(basename "$variant" .patch)
	src="$tmp/src-$name"
	mkdir -p "$src"
	(cd "$root" && tar --exclude='./build*' --exclude=./.git --exclude=./.vigil -cf - .) | tar -xf - -C "$src"
	for p in $patches; do
		patch -s -p1 -d "$src" <"$p"
	done
	log="$tmp/build.log"
	if ! { cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DVIGIL_TESTS=OFF \
		${ldflags:+-DCMAKE_EXE_LINKER_FLAGS="$ldflags"} && cmake --build "$src/build" -j2; } >"$log" 2>&1; then
		cat "$log" >&2
		exit 1
	fi
	cp "$src/build/vigil" "$tmp/bin/$name"
	rm -rf "$src"
	# shellcheck disable=SC2046
	echo "- $name: the sources as they are now$( [ -n "$patches" ] && printf ' + %s' $(for p in $patches; do basename "$p"; done))$( [ -n "$ldflags" ] && printf ', linked with %s' "$ldflags")  "
	[ "$variant" = base ] || alts="$alts --alt $tmp/bin/$name"
done
echo
# shellcheck disable=SC2086
VIGIL="$tmp/bin/vigil-base" python3 "$script" $alts "$@"
