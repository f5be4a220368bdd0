#!/bin/sh
# bench/run.sh — builds the Release binary (build-bench/) if needed and runs
# every benchmark, printing Markdown (figures, goals, references).
#
#   bench/run.sh            benchmarks 0-5 (about 10 minutes)
#   bench/run.sh respawn    some of: forkcost respawn log startup idle sampling profile
#
# Each benchmark is also runnable alone (see bench/README.md). Set VIGIL to
# measure another binary.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
if [ -z "${VIGIL:-}" ]; then
	log=$(mktemp /tmp/vigil-bench-build-XXXXXX)
	# cheap when up to date; rebuilds when the sources changed
	if ! { cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DVIGIL_TESTS=OFF &&
		cmake --build "$root/build-bench" -j2; } >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		echo "run.sh: the Release build failed" >&2
		exit 1
	fi
	rm -f "$log"
fi
if [ "${1:-}" != profile ]; then
	echo "# vigil benchmarks"
	echo
	echo "binary: ${VIGIL:-$root/build-bench/vigil} (built $(date -r "${VIGIL:-$root/build-bench/vigil}" '+%Y-%m-%d %H:%M'))  "
	if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
		echo "source: $(git -C "$root" log -1 --format='%h %s' 2>/dev/null)  "
		dirty=$(git -C "$root" status --porcelain -- src CMakeLists.txt 2>/dev/null | awk '{print $2}' | tr '\n' ' ')
		echo "uncommitted changes in the sources: ${dirty:-none}"
	fi
	echo
fi

tmp=""
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT INT TERM
forkcost() {
	tmp=$(mktemp -d /tmp/vigil-bench-fork-XXXXXX)
	cc -O2 -std=c11 -D_GNU_SOURCE -static -o "$tmp/forkcost" "$here/forkcost.c" 2>/dev/null ||
		cc -O2 -std=c11 -D_GNU_SOURCE -o "$tmp/forkcost" "$here/forkcost.c"
	echo "## 0. What process creation costs on this machine"
	echo
	echo "command: \`bench/run.sh forkcost\` (bench/forkcost.c, 500 rounds each)  "
	echo "machine: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), Linux $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	"$tmp/forkcost" 500 | sed 's/^/- /'
	echo
	rm -rf "$tmp"
	tmp=""
}

run() {
	case "$1" in
	forkcost) forkcost ;;
	respawn) python3 "$here/respawn.py" ;;
	log) python3 "$here/logthroughput.py" ;;
	startup) python3 "$here/startup.py" ;;
	idle) python3 "$here/idle.py" ;;
	sampling) python3 "$here/sampling.py" ;;
	profile) sh "$here/profile.sh" ;;
	*) echo "run.sh: unknown benchmark '$1' (forkcost, respawn, log, startup, idle, sampling, profile)" >&2; exit 2 ;;
	esac
}

if [ $# -eq 0 ]; then
	set -- forkcost respawn log startup idle sampling
fi
for b in "$@"; do
	run "$b"
done
