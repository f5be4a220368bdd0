#!/bin/sh
# `vigil up -d`: the engine in the background — one summary line, exit 0;
# a second `up -d` refuses naming the running engine; problems in the
# stack file are printed where the user is; `vigil down` ends it all.
. "$(dirname "$0")/lib.sh"

D=$T/stack
mkdir -p "$D"
cat >"$D/vigil.yaml" <<YAML
processes:
  db: {command: "echo db up; exec sleep $M.2", ready: {log: "db up"}}
  api: {command: "exec sleep $M.3", depends_on: {db: ready}}
YAML
cd "$D"
run_vigil up -d
expect_rc 0 "up -d"
expect_grep "$T/out" "^stack stack is up: 2 running \\(engine pid [0-9]+; its output in $D/.vigil/engine.log\\)$" "one summary line"
expect_lines "$T/out" 1 "only one line"
pid=$(sed -n 's/.*engine pid \([0-9]*\).*/\1/p' "$T/out")
alive "$pid" && pass "the engine runs in the background" || fail "no engine"
[ "$(cat .vigil/engine.pid)" = "$pid" ] && pass "engine.pid names it" || fail "engine.pid"
sid=$(ps -o sid= -p "$pid" | tr -d ' ')
[ "$sid" != "$(ps -o sid= -p $$ | tr -d ' ')" ] && pass "in its own session" || fail "same session as the caller"
run_vigil up -d
expect_rc 1 "a second up -d"
expect_line "$T/err" "vigil: the stack in vigil.yaml is already running (engine pid $pid)" "names the running engine"
run_vigil status
expect_rc 0 "status from the same folder"
expect_grep .vigil/engine.log 'api +▸ running' "the engine's output goes to engine.log"

printf 'processes:\n  x: {command: "true", stop_signal: SIGNOPE}\n' >"$T/bad.yaml"
run_vigil up -d -f "$T/bad.yaml"
expect_rc 2 "a bad stack file"
expect_grep "$T/err" "bad.yaml:2:37: unknown signal 'SIGNOPE'" "its problems, here"

# A crash leaves a stale socket and pid file: the next engine replaces them.
kill -9 "$pid"
wait_for '[ "$(count_procs "sleep $M.")" -eq 0 ]' 15 && pass "the guardian ended the stack" || fail "stack left after kill -9"
run_vigil status
expect_rc 1 "status on a dead engine"
expect_grep "$T/err" "no engine is running" "says the socket is stale"
run_vigil up -d
expect_rc 0 "up -d over a stale socket"
pid=$(sed -n 's/.*engine pid \([0-9]*\).*/\1/p' "$T/out")
run_vigil status
expect_rc 0 "the new engine answers"

run_vigil down
expect_rc 0 "down"
wait_for "! alive $pid" 10 && pass "the engine is gone" || { fail "engine still runs"; kill "$pid"; }
[ "$(count_procs "sleep $M.")" -eq 0 ] && pass "nothing left" || fail "processes left"

# A stack that ends while up -d waits: its result, not "is up".
mkdir -p "$T/fails"
printf 'processes:\n  x: {command: ["./nope"], restart: "no"}\n  y: {command: "true", cwd: /nonexistent-vigil-dir, restart: "no"}\n' >"$T/fails/vigil.yaml"
cd "$T/fails"
run_vigil up -d
expect_rc 1 "up -d of a stack whose every process fails"
expect_grep "$T/err" "^vigil: stack fails ended: 2 exited \\(exit status 1; its output in $T/fails/.vigil/engine.log\\)$" "says it ended, with its status"
expect_no_grep "$T/out" 'is up' "does not say it is up"
mkdir -p "$T/jobs"
printf 'processes:\n  j: {command: "exit 0", kind: oneshot, ready: {log: never, timeout: 1h}}\n' >"$T/jobs/vigil.yaml"
cd "$T/jobs"
run_vigil up -d
expect_rc 0 "up -d of a stack of jobs that all succeed"
expect_grep "$T/out" "^stack jobs ended: 1 completed \\(exit status 0;" "says it ended, status 0"
cd "$T"
finish
