#!/bin/sh
# Captured output at volume: 2,000,000 lines from one process arrive whole
# and in order in its log file (and across rotated files); a 10 MB line
# without a newline is stored as 64 KiB pieces while the engine's peak
# memory stays that of a tiny stack.
. "$(dirname "$0")/lib.sh"

# check_seq FILE... WHAT — the files, in order, hold `seq 2000000` as out lines.
check_seq() {
    _what=$1
    shift
    # shellcheck disable=SC2016 # awk's own $ fields
    _got=$(awk '
        $2 != "out" { other++ }
        { n++; if ($3 != n && !bad) bad = n; if (n == 1) first = $3; last = $3 }
        END { printf "%d %s %s %d %d", n, first, last, bad, other }' "$@")
    set -- $_got
    if [ "$1" -eq 2000000 ]; then pass "$_what: 2000000 lines"; else fail "$_what: $1 lines"; fi
    if [ "$2" = 1 ] && [ "$3" = 2000000 ]; then pass "$_what: 1 … 2000000"; else
        fail "$_what: first $2, last $3"; fi
    if [ "$4" -eq 0 ]; then pass "$_what: consecutive"; else fail "$_what: line $4 out of order"; fi
    if [ "$5" -eq 0 ]; then pass "$_what: all on stdout"; else fail "$_what: $5 lines not 'out'"; fi
}

# ---- 2,000,000 lines ------------------------------------------------------
mkdir "$T/seq"
cat >"$T/seq/vigil.yaml" <<'EOF'
version: 1
settings: {log_max_size: 1GB}
processes:
  counter: {command: [seq, "2000000"], kind: oneshot}
EOF
t0=$(now_ms)
ENGINE_OUT=/dev/null engine_start "$T/seq"
engine_wait 45 || fail "seq: the engine did not end"
echo "   2000000 lines through the engine in $(($(now_ms) - t0)) ms"
expect_rc 0 "seq: completed" "$T/seq/err"
check_seq "seq" "$T/seq/.vigil/logs/counter.log"
expect_grep "$T/seq/.vigil/logs/counter.log" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z out 1$' \
    "seq: line format"

# The headless printer's copy, to a file: every line, in order, prefixed.
mkdir "$T/print"
cat >"$T/print/vigil.yaml" <<'EOF'
version: 1
processes:
  counter: {command: [seq, "200000"], kind: oneshot}
EOF
engine_start "$T/print"
engine_wait 45 || fail "print: the engine did not end"
expect_rc 0 "print: completed" "$T/print/err"
# shellcheck disable=SC2016 # awk's own $ fields
got=$(awk '$2 == "counter" && $3 == "|" { n++; if ($4 != n && !bad) bad = n }
    END { printf "%d %d", n, bad }' "$T/print/out")
[ "$got" = "200000 0" ] && pass "print: 200000 lines printed in order" || fail "print: $got (lines, first out of order)"
expect_grep "$T/print/out" '^[0-9]{2}:[0-9]{2}:[0-9]{2} counter \| 200000$' "print: the last line"
expect_grep "$T/print/out" 'stack .* is down \(exit status 0\)$' "print: the engine's last word after the output"

# The same across rotation: 20 MB files, the newest last.
mkdir "$T/rot"
cat >"$T/rot/vigil.yaml" <<'EOF'
version: 1
settings: {log_max_size: 20MB, log_max_files: 9}
processes:
  counter: {command: [seq, "2000000"], kind: oneshot}
EOF
ENGINE_OUT=/dev/null engine_start "$T/rot"
engine_wait 45 || fail "rot: the engine did not end"
expect_rc 0 "rot: completed" "$T/rot/err"
L=$T/rot/.vigil/logs/counter.log
files=""
for i in 9 8 7 6 5 4 3 2 1; do [ -f "$L.$i" ] && files="$files $L.$i"; done
files="$files $L"
# shellcheck disable=SC2086 # the list of files
check_seq "rotated" $files
# shellcheck disable=SC2086
n=$(echo $files | wc -w)
big=$(find "$T/rot/.vigil/logs" -name 'counter.log*' -size +20000000c | wc -l)
if [ "$n" -ge 4 ] && [ "$big" -eq 0 ]; then pass "rotated: $n files, none over 20 MB"; else
    fail "rotated: $n files, $big over 20 MB"; fi

# ---- a 10 MB line -----------------------------------------------------------
# Peak RSS of the engine (wait4), as hostile.sh measures vigil check. Under
# AddressSanitizer freed memory waits in a quarantine; a small one keeps the
# figure about the engine's own use.
measure() {
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=1" python3 - "$VIGIL" "$1" <<'PY'
import os, sys
pid = os.fork()
if pid == 0:
    out = os.open(os.devnull, os.O_WRONLY)
    os.dup2(out, 1)
    err = os.open(sys.argv[2] + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(err, 2)
    os.execv(sys.argv[1], [sys.argv[1], "up", "-f", sys.argv[2]])
_, status, ru = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), ru.ru_maxrss)
PY
}
mkdir "$T/tiny" "$T/long"
cat >"$T/tiny/vigil.yaml" <<'EOF'
version: 1
processes:
  tiny: {command: "echo hi", kind: oneshot}
EOF
cat >"$T/long/vigil.yaml" <<'EOF'
version: 1
settings: {log_max_size: 1GB}
processes:
  long: {command: "head -c 10000000 /dev/zero | tr '\\0' x", kind: oneshot}
EOF
set -- $(measure "$T/tiny/vigil.yaml")
base_rc=$1 base_rss=$2
set -- $(measure "$T/long/vigil.yaml")
rc=$1 rss=$2
if [ "$base_rc" -eq 0 ] && [ "$rc" -eq 0 ]; then pass "both stacks completed"; else
    fail "exit $base_rc (tiny), $rc (long)"; cat "$T/long/vigil.yaml.err" >&2; fi
# The engine holds one 64 KiB piece of a line at a time: a long line must not
# cost what it weighs. Measured: within 1 MB of the tiny stack; one copy of
# the line would add 10 MB.
extra=$((rss - base_rss))
if [ "$extra" -lt 8192 ]; then pass "peak RSS ${rss} KiB, +${extra} KiB over a tiny stack"; else
    fail "peak RSS ${rss} KiB, ${extra} KiB more than a tiny stack (${base_rss} KiB)"; fi

L=$T/long/.vigil/logs/long.log
awk '{ print $2, length($0) - length($1) - length($2) - 2 }' "$L" | sort | uniq -c >"$T/pieces"
sed 's/^/   /' "$T/pieces"
# 10,000,000 = 152 × 65,536 + 38,528
expect_grep "$T/pieces" '^ *152 out\+ 65536$' "152 pieces of 64 KiB marked out+"
expect_grep "$T/pieces" '^ *1 out% 38528$' "the rest marked out% (no newline at the end)"
expect_lines "$T/pieces" 2 "nothing else in the log file"
if [ "$(tail -n 1 "$L" | cut -d' ' -f2)" = "out%" ]; then pass "out% comes last"; else fail "out% is not last"; fi
if ! awk '{ sub(/^[^ ]+ [^ ]+ /, ""); if ($0 !~ /^x+$/) exit 1 }' "$L"; then
    fail "the pieces hold something other than x"; else pass "the pieces hold the line's bytes"; fi

# ---- a progress line (\r) -------------------------------------------------
# The line output and `vigil logs` show what a terminal would (the last
# redraw); the file keeps every byte.
mkdir "$T/cr"
cat >"$T/cr/vigil.yaml" <<EOF
processes:
  bar: {command: "printf 'progress 1\\\\rprogress 2\\\\rdone\\\\r\\\\n'; exec sleep $M.9"}
  ask: {command: "printf 'Continue? [y/N] '; exec sleep $M.10"}
EOF
engine_start "$T/cr"
engine_says "$T/cr" 'bar +\| done$' 15 && pass "progress line: the line output shows the last redraw" ||
    fail "progress line: $(grep ' bar ' "$T/cr/out" | od -c | head -5)"
(cd "$T/cr" && "$VIGIL" logs bar) >"$T/crlogs" 2>&1
expect_grep "$T/crlogs" '^[0-9:]{8} bar +\| done$' "progress line: vigil logs shows the last redraw"
tr '\r' '~' <"$T/cr/.vigil/logs/bar.log" >"$T/crfile"
expect_grep "$T/crfile" ' out progress 1~progress 2~done~$' "progress line: the file keeps every byte"
# A prompt without a newline shows while the process waits (within a
# second or so), not only once it has ended.
wait_for '(cd "$T/cr" && "$VIGIL" logs ask) 2>/dev/null | grep -q "Continue? \[y/N\]"' 10 &&
    pass "a line without its newline shows while the process runs" || fail "the prompt never showed"
engine_says "$T/cr" 'ask +\| Continue\? \[y/N\]' 5 || fail "the prompt not in the line output"
expect_grep "$T/cr/.vigil/logs/ask.log" ' out\+ Continue\? \[y/N\] $' "the log file marks it as continued (out+)"
(cd "$T/cr" && "$VIGIL" down >/dev/null) || fail "progress line: down"
engine_wait 10 || fail "progress line: the engine did not end"

finish
