#!/bin/sh
# bench/profile.sh — where the engine's time goes, for the benchmarks that
# miss their goal. Builds build-bench-prof (Release flags plus -g and frame
# pointers), then:
#   1. callgrind over `vigil up` capturing `seq N` (N=200000 by default):
#      instructions per captured line, and the functions that cost them;
#   2. callgrind over the respawn storm of bench/respawn.py for ~8 s:
#      instructions per restart in the engine's own code;
#   3. strace -c over the engine during the respawn storm: system calls per
#      restart;
#   4. where the engine's page faults happen during the respawn storm
#      (perf record -e page-faults, when perf works here);
#   5. the fixed cost of starting the binary: `vigil --version` and
#      `vigil up` of a oneshot `seq 1` against /bin/true (CPU, page faults);
#   6. bench/respawn.py --variants: the floor with fork and with posix_spawn,
#      thin and with the engine's libraries loaded.
# Needs valgrind and strace (perf optional). Everything runs in a temporary folder, removed
# at the end; every engine started is stopped with SIGINT and waited for.
#
#   bench/profile.sh [LINES]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
lines=${1:-200000}
prof="$root/build-bench-prof"
tmp=$(mktemp -d /tmp/vigil-bench-prof-XXXXXX)
engine=""
cleanup() {
	if [ -n "$engine" ] && kill -0 "$engine" 2>/dev/null; then
		kill -INT "$engine"
		wait "$engine" || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

for tool in valgrind callgrind_annotate strace cc; do
	command -v "$tool" >/dev/null || { echo "profile.sh: needs $tool" >&2; exit 1; }
done

echo "## Profiles"
echo
echo "command: \`bench/profile.sh $lines\`  "
echo "machine: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), Linux $(uname -r)"
echo
cmake -S "$root" -B "$prof" -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_C_FLAGS_RELEASE="-O3 -DNDEBUG -g -fno-omit-frame-pointer" -DVIGIL_TESTS=OFF >/dev/null
cmake --build "$prof" -j2 >/dev/null
vigil="$prof/vigil"

# Prints the top inclusive entries of a callgrind file, engine and libc only.
top_inclusive() {
	callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
		grep -E '^ *[0-9,]+ \(' | grep -v -E 'ld-linux|below main|libc_start|PROGRAM TOTALS' | head -"$2"
}
top_self() {
	callgrind_annotate "$1" 2>/dev/null |
		grep -E '^ *[0-9,]+ \(' | grep -v 'PROGRAM TOTALS' | head -"$2"
}
# The biggest callgrind.out.* in $1: the engine's (the guardian's is small).
engine_out() {
	# shellcheck disable=SC2012
	ls -S "$1"/callgrind.out.* | head -1
}
total() {
	callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'
}

# ---- 1. log capture -----------------------------------------------------
mkdir -p "$tmp/log"
cat >"$tmp/log/vigil.yaml" <<EOF
version: 1
name: logprof
settings:
  log_dir: $tmp/log/logs
  log_max_size: 1GB
processes:
  seq:
    command: ["seq", "$lines"]
    kind: oneshot
EOF
valgrind --tool=callgrind --callgrind-out-file="$tmp/log/callgrind.out.%p" \
	"$vigil" up -f "$tmp/log/vigil.yaml" >/dev/null 2>"$tmp/log/valgrind.err"
f=$(engine_out "$tmp/log")
t=$(total "$f")
up=$(callgrind_annotate --inclusive=yes "$f" 2>/dev/null | awk '/cmd_up.c:up_on_event/ {gsub(",", "", $1); print $1; exit}')
feed=$(callgrind_annotate --inclusive=yes "$f" 2>/dev/null | awk '/logstore.c:logstore_feed/ {gsub(",", "", $1); print $1; exit}')
echo "### 1. \`vigil up\` capturing \`seq $lines\` (callgrind)"
echo
echo "total $t instructions = $((t / lines)) per line; logstore_feed (inclusive, with the printer it calls) $((feed / lines)) per line,"
echo "of which up_on_event (cmd_up.c, the stdout printer) $((up / lines)) per line; the log store itself $(((feed - up) / lines)) per line."
echo
echo '```'
top_inclusive "$f" 24
echo '```'
echo

# ---- 2. and 3. respawn storm --------------------------------------------
mkdir -p "$tmp/rs"
cc -O2 -std=c11 -D_GNU_SOURCE -static -o "$tmp/rs/tiny" "$here/tiny.c" 2>/dev/null ||
	cc -O2 -std=c11 -D_GNU_SOURCE -o "$tmp/rs/tiny" "$here/tiny.c"
cat >"$tmp/rs/vigil.yaml" <<EOF
version: 1
name: respawnprof
settings:
  log_dir: $tmp/rs/logs
processes:
  tiny:
    command: ["$tmp/rs/tiny", "$tmp/rs/stamps"]
    restart: always
    backoff: {initial: 0s, max: 0s, factor: 1}
    max_restarts: 1000000
    restart_window: 1s
EOF
count() { [ -f "$tmp/rs/stamps" ] && wc -l <"$tmp/rs/stamps" || echo 0; }

valgrind --tool=callgrind --callgrind-out-file="$tmp/rs/callgrind.out.%p" \
	"$vigil" up -f "$tmp/rs/vigil.yaml" >/dev/null 2>"$tmp/rs/valgrind.err" &
engine=$!
sleep 8
kill -INT "$engine"
wait "$engine" || true
engine=""
n=$(count)
f=$(engine_out "$tmp/rs")
loop=$(callgrind_annotate --inclusive=yes "$f" 2>/dev/null | awk '/loop.c:loop_run_once/ {gsub(",", "", $1); print $1; exit}')
env=$(callgrind_annotate --inclusive=yes "$f" 2>/dev/null | awk '/supervisor.c:sv_build_env/ {gsub(",", "", $1); print $1; exit}')
echo "### 2. Respawn storm under callgrind ($n restarts in ~8 s)"
echo
echo "engine's event loop: $((loop / n)) instructions per restart, of which sv_build_env $((env / n));"
echo "start-up (dynamic linking of $(ldd "$vigil" | wc -l) libraries, curl_global_init) and the rest: $((($(total "$f") - loop) / 1000)) thousand instructions once."
echo
echo '```'
top_inclusive "$f" 30
echo '```'
echo
rm -f "$tmp/rs/stamps"

"$vigil" up -f "$tmp/rs/vigil.yaml" >/dev/null 2>&1 &
engine=$!
sleep 1
strace -c -p "$engine" -o "$tmp/rs/strace.txt" 2>/dev/null &
st=$!
sleep 3
kill -INT "$st"
wait "$st" || true
clones=$(awk '$NF == "clone" {print $(NF-1)}' "$tmp/rs/strace.txt")
kill -INT "$engine"
wait "$engine" || true
engine=""
echo "### 3. System calls of the engine per restart (strace -c, 3 s, $clones restarts)"
echo
echo '```'
awk -v n="$clones" 'NR > 2 && $NF != "total" && $1 !~ /^-/ {
	calls = ($5 ~ /^[0-9]+$/ && NF == 6) ? $4 : $4; printf "%-16s %6.2f per restart\n", $NF, $4 / n }' "$tmp/rs/strace.txt" |
	sort -k2 -n -r
echo '```'
echo

# ---- 4. page faults ------------------------------------------------------
if perf stat -e page-faults true >/dev/null 2>&1; then
	rm -f "$tmp/rs/stamps"
	"$prof/vigil" up -f "$tmp/rs/vigil.yaml" >/dev/null 2>&1 &
	engine=$!
	sleep 1
	f0=$(awk '{print $10}' "/proc/$engine/stat")
	n0=$(count)
	perf record -q -e page-faults -c 1 -g -t "$engine" -o "$tmp/rs/pf.data" -- sleep 3 >/dev/null 2>&1 || true
	f1=$(awk '{print $10}' "/proc/$engine/stat")
	n1=$(count)
	kill -INT "$engine"
	wait "$engine" || true
	engine=""
	echo "### 4. The engine's page faults during the respawn storm (perf record -e page-faults, 3 s)"
	echo
	echo "$(((f1 - f0) / (n1 - n0))) minor faults per restart ($((f1 - f0)) over $((n1 - n0)) restarts); where they happen:"
	echo
	echo '```'
	perf report -i "$tmp/rs/pf.data" --stdio --no-children --sort dso,sym -g none 2>/dev/null |
		grep -v -E '^#|^$' | head -15
	echo '```'
	echo
fi

# ---- 5. fixed cost ---------------------------------------------------------
sed "s/\"$lines\"/\"1\"/" "$tmp/log/vigil.yaml" >"$tmp/log/one.yaml"
echo "### 5. Fixed cost of starting the binary (20 runs each, median)"
echo
python3 - "$root/build-bench/vigil" "$tmp/log/one.yaml" <<'PY'
import os, statistics, subprocess, sys
vigil, one = sys.argv[1], sys.argv[2]
cases = [("/bin/true", ["/bin/true"]), ("vigil --version", [vigil, "--version"]),
         ("vigil up, a oneshot `seq 1` (engine + guardian + seq)", [vigil, "up", "-f", one])]
res = {name: [] for name, _ in cases}
for _ in range(20):
    for name, argv in cases:
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, ru = os.wait4(p.pid, 0)
        res[name].append(((ru.ru_utime + ru.ru_stime) * 1e3, ru.ru_minflt))
for name, _ in cases:
    cpu = statistics.median(x[0] for x in res[name])
    flt = statistics.median(x[1] for x in res[name])
    print(f"- {name}: {cpu:.1f} ms CPU, {flt:.0f} page faults")
PY
echo "- the engine binary needs $(ldd "$root/build-bench/vigil" | wc -l) shared libraries (ldd): $(ldd "$root/build-bench/vigil" | awk '{print $1}' | sed 's/\.so.*//' | tr '\n' ' ')"
echo

# ---- 6. what fork costs ---------------------------------------------------
python3 "$here/respawn.py" --variants --rounds 3 --restarts 1000
