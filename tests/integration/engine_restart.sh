#!/bin/sh
# Exits and restarts: a crash loop whose restart delays follow its backoff
# (measured from the children's spawn times) and that ends fatal
# after max_restarts, other restart policies and exit descriptions, and a
# failed exec (or cwd) reported with its reason in the output and the log
# file. With nothing left to run, vigil exits by itself, 1 on failure.
. "$(dirname "$0")/lib.sh"

mkdir "$T/c"
spawn_stamp "$T/c"
cat >"$T/c/vigil.yaml" <<'EOF'
version: 1
name: crash
processes:
  crashy:
    command: ". ./stamp; exit 1"
    backoff: {initial: 200ms, factor: 2, max: 1s}
    max_restarts: 5
    restart_window: 1m
EOF
mkdir "$T/x"
cat >"$T/x/vigil.yaml" <<'EOF'
version: 1
name: exits
processes:
  always:
    command: "exit 0"
    restart: always
    max_restarts: 2
    backoff: {initial: 100ms}
  clean: {command: "echo bye; exit 0"}
  killed: {command: "kill -KILL $$$$", restart: "no"}
  noexec: {command: ["./no-such"], restart: "no"}
  nocwd: {command: ["true"], cwd: ./missing-dir, restart: "no"}
  noshell: {command: "./no-such-script", restart: "no"}
EOF
# Alone in its stack, so nothing else keeps the engine busy.
O=$T/c/out
start=$(now_ms)
engine_start "$T/c"
engine_wait 30 || fail "the engine did not end by itself"
took=$(($(now_ms) - start))
expect_rc 1 "nothing left to run, crashy fatal" "$T/c/err"
expect_grep "$O" '^[0-9:]{8} vigil +▸ stack crash is down \(exit status 1\)$' "down line"
# 200+400+800+1000+1000 ms of backoff, plus the engine's start and end.
if [ "$took" -ge 3400 ] && [ "$took" -le 15000 ]; then pass "the crash loop took ${took}ms"; else
    fail "the crash loop took ${took}ms"; fi

# ---- the crash loop ---------------------------------------------------------
grep -E '^[0-9:]{8} crashy +▸ ' "$O" | sed 's/^[0-9:]* crashy *▸ //' >"$T/crashy.states"
cat >"$T/crashy.expected" <<'EOF'
backoff (status 1; restart in 200ms)
backoff (status 1; restart in 400ms)
backoff (status 1; restart in 800ms)
backoff (status 1; restart in 1s)
backoff (status 1; restart in 1s)
fatal (status 1; 5 restarts in 1m, giving up)
EOF
grep -v '^running' "$T/crashy.states" >"$T/crashy.got" || true
if cmp -s "$T/crashy.got" "$T/crashy.expected"; then pass "crashy: backoff steps, then fatal"; else
    fail "crashy: states"; diff "$T/crashy.expected" "$T/crashy.got" >&2 || true; fi
n=$(grep -c '^running (pid' "$T/crashy.states" || true)
if [ "$n" -eq 6 ]; then pass "crashy: ran 6 times"; else fail "crashy: ran $n times, expected 6"; fi

# Spawn times, from the kernel, in the child's log file.
L=$T/c/.vigil/logs/crashy.log
spawn_ms <"$L" | awk '$2 == "out" { print $3 }' >"$T/spawns"
expect_lines "$T/spawns" 6 "crashy: 6 spawns in the log file"
# Each gap is the backoff delay (plus the child's short life): within
# -10% / +50% + 100 ms of 200, 400, 800, 1000, 1000 ms.
awk 'BEGIN { split("200 400 800 1000 1000", want, " ") }
    NR > 1 {
        gap = $1 - prev; w = want[NR - 1]
        ok = gap >= 0.9 * w && gap <= 1.5 * w + 100
        printf "%s restart %d after %.0fms (backoff %dms)\n", ok ? "ok:" : "FAIL:", NR - 1, gap, w
    }
    { prev = $1 }' "$T/spawns" >"$T/gaps"
cat "$T/gaps"
if grep -q '^FAIL' "$T/gaps"; then fail "crashy: restart delays off"; fi

# ---- other exits ------------------------------------------------------------
O=$T/x/out
engine_start "$T/x"
engine_wait 30 || fail "exits: the engine did not end by itself"
expect_rc 1 "exits: nothing left to run, something failed" "$T/x/err"
expect_grep "$O" '^[0-9:]{8} always +▸ backoff \(status 0; restart in 100ms\)$' "always: restarts a clean exit"
expect_grep "$O" '^[0-9:]{8} always +▸ backoff \(status 0; restart in 200ms\)$' "always: then after 200ms"
expect_grep "$O" '^[0-9:]{8} always +▸ fatal \(status 0; 2 restarts in 1m, giving up\)$' "always: fatal after 2"
expect_grep "$O" '^[0-9:]{8} clean +▸ exited \(status 0\)$' "on-failure: a clean exit stays exited"
expect_grep "$O" '^[0-9:]{8} killed +▸ exited \(killed by SIGKILL\)$' "a signal is named"
expect_grep "$O" '^[0-9:]{8} noshell +! .*not found$' "a missing script: the shell says so"
expect_grep "$O" '^[0-9:]{8} noshell +▸ exited \(status 127\)$' "a missing script: status 127"

# ---- a failed exec ----------------------------------------------------------
expect_grep "$O" '^[0-9:]{8} noexec +! spawn failed: \./no-such: No such file or directory$' \
    "failed exec: the reason in the output"
expect_grep "$O" '^[0-9:]{8} noexec +▸ exited \(spawn failed: \./no-such: No such file or directory\)$' \
    "failed exec: the reason in the state"
expect_grep "$T/x/.vigil/logs/noexec.log" \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z err spawn failed: \./no-such: No such file or directory$' \
    "failed exec: the reason in the log file"
expect_grep "$O" "^[0-9:]{8} nocwd +▸ exited \\(spawn failed: cwd $T/x/missing-dir: No such file or directory\\)\$" \
    "failed cwd: the reason in the state"
expect_grep "$T/x/.vigil/logs/nocwd.log" "Z err spawn failed: cwd $T/x/missing-dir: No such file" \
    "failed cwd: the reason in the log file"

finish
