#!/bin/sh
# The engine's dependency order: every condition (started, ready, healthy,
# completed, completed_successfully), independent processes started
# together, a dependent of a fatal or failed process left pending with the
# reason, and shutdown in reverse dependency order (also through a oneshot
# that already completed), after SIGINT and after SIGTERM.
. "$(dirname "$0")/lib.sh"

# ---- every condition --------------------------------------------------------
mkdir "$T/cond"
cat >"$T/cond/vigil.yaml" <<EOF
version: 1
name: cond
settings: {shutdown_timeout: 20s}
processes:
  plain: {command: "exec sleep $M.1"}
  slow: {command: "sleep 0.6; echo slow-ready; exec sleep $M.2", ready: {log: "^slow-ready\$"}}
  # One check only: an exec probe still running when the engine exits
  # leaks its reaper record in probe.c (reported), which fails under LSan.
  hp: {command: "exec sleep $M.3", health: {exec: "true", initial_delay: 300ms, interval: 1h}}
  okjob: {command: "sleep 0.3; echo job-done", kind: oneshot}
  badjob: {command: "sleep 0.3; exit 3", kind: oneshot}
  on-started: {command: "exec sleep $M.4", depends_on: {slow: started}}
  on-ready: {command: "exec sleep $M.5", depends_on: {slow: ready}}
  on-healthy: {command: "exec sleep $M.6", depends_on: {hp: healthy}}
  on-completed: {command: "echo ran", kind: oneshot, depends_on: {badjob: completed}}
  on-success: {command: "echo ran", kind: oneshot, depends_on: {okjob: completed_successfully}}
  on-bad: {command: "echo never", kind: oneshot, depends_on: {badjob: completed_successfully}}
EOF
O=$T/cond/out
engine_start "$T/cond"
engine_says "$T/cond" 'on-healthy +▸ running' 20 || fail "on-healthy never ran"
engine_says "$T/cond" 'on-ready +▸ running' 10 || fail "on-ready never ran"
engine_says "$T/cond" 'on-completed +▸ completed' 10 || fail "on-completed never completed"
engine_says "$T/cond" 'on-success +▸ completed' 10 || fail "on-success never completed"

# Independent processes start together: all five are spawned before any of
# them is ready or done (okjob and badjob take 0.3 s, slow 0.6 s).
first_end=$(line_no "$O" '(okjob|badjob) +▸ (completed|failed)')
for p in plain slow hp okjob badjob; do
    n=$(line_no "$O" "^[0-9:]+ $p +▸ (starting|running) \\(pid")
    if [ "$n" -gt 0 ] && [ "$n" -lt "$first_end" ]; then pass "$p started with the others"; else
        fail "$p spawned at line $n, the first oneshot ended at line $first_end"; fi
done
expect_before "$O" 'badjob +▸ running' 'slow +▸ ready' "badjob did not wait for slow"

expect_before "$O" 'slow +▸ starting' 'on-started +▸ running' "started: after slow spawned"
expect_before "$O" 'on-started +▸ running' 'slow +▸ ready' "started: before slow was ready"
expect_grep "$O" 'slow +▸ ready \(log matched\)' "slow ready on its log line"
expect_before "$O" 'slow +▸ ready' 'on-ready +▸ running' "ready: after slow was ready"
expect_before "$O" 'hp +▸ healthy' 'on-healthy +▸ running' "healthy: after hp was healthy"
expect_before "$O" 'hp +▸ running' 'hp +▸ healthy' "hp runs, then is healthy"
expect_before "$O" 'badjob +▸ failed \(status 3\)' 'on-completed +▸ running' "completed: after badjob failed"
expect_before "$O" 'okjob +▸ completed \(status 0\)' 'on-success +▸ running' \
    "completed_successfully: after okjob completed"
expect_line_re() { expect_grep "$1" "^[0-9:]{8} $2\$" "$3"; }
expect_line_re "$O" 'on-bad +▸ pending \(waiting: badjob is failed\)' "on-bad waits: badjob is failed"
expect_no_grep "$O" 'on-bad +(▸ (starting|running)|\|)' "on-bad never ran"

# SIGINT: dependents stop before what they depend on.
kill -INT "$ENGINE_PID"
engine_wait 20 || fail "cond: the engine did not stop"
expect_rc 1 "cond: a oneshot failed" "$T/cond/err"
expect_grep "$O" 'vigil +▸ interrupted: stopping the stack' "cond: says it stops"
expect_before "$O" 'on-started +▸ stopped' 'slow +▸ stopping' "on-started stopped before slow stops"
expect_before "$O" 'on-ready +▸ stopped' 'slow +▸ stopping' "on-ready stopped before slow stops"
expect_before "$O" 'on-healthy +▸ stopped' 'hp +▸ stopping' "on-healthy stopped before hp stops"
expect_grep "$O" 'on-bad +▸ stopped \(not started: shutting down\)' "on-bad ends stopped"
expect_grep "$O" 'vigil +▸ stack cond is down \(exit status 1\)' "cond: down line"
n=$(count_procs "sleep $M\\.")
if [ "$n" -eq 0 ]; then pass "cond: nothing left running"; else fail "cond: $n processes left"; fi

# ---- a fatal dependency ------------------------------------------------------
mkdir "$T/fatal"
cat >"$T/fatal/vigil.yaml" <<EOF
version: 1
name: fatal
processes:
  db: {command: "echo db crashing; exit 1", ready: {log: "never printed"},
       max_restarts: 2, backoff: {initial: 100ms, max: 100ms}}
  web: {command: "echo never", depends_on: {db: ready}}
  web2: {command: "echo never", depends_on: {db: started}}
EOF
engine_start "$T/fatal"
engine_wait 20 || fail "fatal: the engine did not end by itself"
expect_rc 1 "fatal: nothing left to run" "$T/fatal/err"
O=$T/fatal/out
expect_grep "$O" '^[0-9:]{8} db +▸ fatal \(status 1; 2 restarts in 1m, giving up\)$' "db ends fatal"
expect_grep "$O" '^[0-9:]{8} web +▸ pending \(waiting: db is fatal\)$' "web: waiting: db is fatal"
expect_no_grep "$O" 'web +(▸ running|\|)' "web never ran"
# started: db did start, three times, so web2 ran (it printed and exited).
expect_grep "$O" 'web2 +\| never' "web2 ran once db had started"

# ---- reverse order after SIGTERM, through a completed oneshot ---------------
mkdir "$T/order"
svc() { # svc NAME — a service that says goodbye on SIGTERM, slowly
    echo "trap 'echo bye-$1; sleep 0.2; exit 0' TERM; echo up-$1; while :; do sleep 0.05; done"
}
cat >"$T/order/vigil.yaml" <<EOF
version: 1
name: order
settings: {shutdown_timeout: 20s}
processes:
  db: {command: "$(svc db)", ready: {log: "^up-db\$"}}
  cache: {command: "$(svc cache)"}
  migrate: {command: "echo migrated", kind: oneshot, depends_on: {db: ready}}
  api: {command: "$(svc api)", depends_on: {migrate: completed_successfully, cache: started},
        ready: {log: "^up-api\$"}}
  worker: {command: "$(svc worker)", depends_on: {api: ready}}
  lone: {command: "$(svc lone)"}
EOF
O=$T/order/out
engine_start "$T/order"
engine_says "$T/order" 'worker +\| up-worker' 20 || fail "order: worker never came up"
expect_before "$O" 'migrate +▸ completed' 'api +▸ starting' "api after migrate"
expect_before "$O" 'api +▸ ready' 'worker +▸ running' "worker after api"
kill -TERM "$ENGINE_PID"
engine_wait 20 || fail "order: the engine did not stop"
expect_rc 0 "order: a clean shutdown" "$T/order/err"
expect_grep "$O" 'vigil +▸ terminated: stopping the stack' "order: says it stops"
expect_before "$O" 'worker +▸ stopping \(SIGTERM sent\)' 'worker +▸ stopped' "worker stops"
expect_before "$O" 'worker +▸ stopped \(status 0\)' 'api +▸ stopping' "worker stopped before api stops"
expect_before "$O" 'api +▸ stopped' 'cache +▸ stopping' "api stopped before cache stops"
expect_before "$O" 'api +▸ stopped' 'db +▸ stopping' "api stopped before db stops (through migrate)"
expect_before "$O" 'lone +▸ stopping' 'worker +▸ stopped' "lone stops at once"
for p in worker api db cache lone; do
    expect_before "$O" "$p +\\| bye-$p" "$p +▸ stopped \\(status 0\\)" "$p said goodbye"
done

finish
