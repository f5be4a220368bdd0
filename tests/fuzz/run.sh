#!/bin/sh
# Fuzzes the control protocol's request decoder (src/core/proto.c) with
# libFuzzer: builds tests/fuzz/fuzz_proto.c with clang, ASan and UBSan into
# a temporary folder and runs it on a copy of tests/fuzz/corpus for a
# bounded time. Exits non-zero on a crash, a leak, undefined behaviour, an
# input that takes over 5 s, or memory over 2 GB; the input that did it is
# kept and its path printed.
#   tests/fuzz/run.sh          fuzz for 20 s
#   tests/fuzz/run.sh 60       fuzz for 60 s (or FUZZ_SECONDS=60)
# Needs clang with its libFuzzer runtime (Debian: clang, libclang-rt-dev)
# and pkg-config and libcjson-dev.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
seconds=${1:-${FUZZ_SECONDS:-20}}

cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
    for c in clang clang-14 clang-15 clang-16 clang-17 clang-18 clang-19; do
        if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
    done
fi
if [ -z "$cc" ]; then
    echo "fuzz: clang not found (install clang and libclang-rt-dev)" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fuzz.XXXXXX")
# shellcheck disable=SC2317 # called by the trap
cleanup() { [ -n "${keep:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

# shellcheck disable=SC2046 # pkg-config's words are meant to split
"$cc" -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I "$src/src" \
    "$here/fuzz_proto.c" "$src/src/core/proto.c" "$src/src/core/units.c" \
    "$src/src/core/signame.c" "$src/src/core/strutil.c" \
    $(pkg-config --cflags --libs libcjson) -lm \
    -o "$work/fuzz_proto"

mkdir "$work/corpus"
cp "$here"/corpus/* "$work/corpus/"

echo "fuzz: $cc, ${seconds}s, corpus of $(find "$work/corpus" -type f | wc -l) seeds"
if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$work/fuzz_proto" -max_total_time="$seconds" -max_len=4096 -timeout=5 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" \
    "$work/corpus" >"$work/log" 2>&1; then
    grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/log" || true
    echo "fuzz: no crash"
    exit 0
fi
keep=1
tail -n 60 "$work/log" >&2
echo "fuzz: FAILED; the log and the input are in $work" >&2
for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
    [ -e "$f" ] && echo "fuzz: input: $f" >&2
done
exit 1
