#!/bin/sh
# `vigil up` as a command: one engine per stack (a second one names the
# first's pid), `vigil up NAME` runs NAME and what it depends on, an unknown
# name is a usage error, the exit status says whether a oneshot failed,
# cleanups run after the others stopped, replicas and the VIGIL_* variables,
# environment precedence, and a process that leaves a background child
# holding its output is still finished.
. "$(dirname "$0")/lib.sh"

# ---- one engine per stack -----------------------------------------------------
mkdir "$T/one"
cat >"$T/one/vigil.yaml" <<EOF
version: 1
name: one
processes:
  svc: {command: "echo up; exec sleep $M.1"}
  tidy: {command: "echo cleaning", kind: cleanup}
  noter: $(run_dir_noter "$T/one/run-dir")
EOF
engine_start "$T/one"
first=$ENGINE_PID
engine_says "$T/one" 'svc +\| up' 20 || fail "one: svc never ran"
if [ "$(cat "$T/one/.vigil/engine.pid")" = "$first" ]; then pass "engine.pid holds the engine's pid"; else
    fail "engine.pid: $(cat "$T/one/.vigil/engine.pid")"; fi
RC=0
timeout 20 "$VIGIL" up -f "$T/one/vigil.yaml" >"$T/out" 2>"$T/err" || RC=$?
expect_rc 1 "a second vigil up"
expect_line "$T/err" "vigil: the stack in $T/one/vigil.yaml is already running (engine pid $first)" \
    "the second names the first's pid"
if alive "$first"; then pass "the first engine runs on"; else fail "the first engine is gone"; fi
expect_no_grep "$T/one/out" 'svc +▸ (stopping|stopped)' "svc was not disturbed"

# Cleanup after the others stopped.
kill -INT "$first"
engine_wait 20 || fail "one: the engine did not stop"
expect_rc 0 "one: stopped" "$T/one/err"
expect_before "$T/one/out" 'svc +▸ stopped' 'tidy +▸ running' "the cleanup runs after svc stopped"
expect_grep "$T/one/out" '^[0-9:]{8} tidy +\| cleaning$' "the cleanup ran"
expect_before "$T/one/out" 'tidy +▸ completed' 'vigil +▸ stack one is down' "the cleanup ends before the engine"
if [ ! -e "$T/one/.vigil/engine.pid" ]; then pass "engine.pid removed on exit"; else fail "engine.pid left behind"; fi

# After a crash (kill -9) the lock is free again.
rm -f "$T/one/run-dir"
engine_start "$T/one"
engine_says "$T/one" 'svc +\| up' 20 || fail "one: svc never ran again"
wait_for '[ -s "$T/one/run-dir" ]' 20 || fail "one: noter never ran"
kill -KILL "$ENGINE_PID"
engine_wait 5 || fail "one: the engine survived SIGKILL"
wait_for '[ "$(count_procs "sleep $M\.[01]")" -eq 0 ]' 5 || fail "one: svc outlived the engine"
forget_run_dir "$T/one/run-dir"
engine_start "$T/one"
engine_says "$T/one" 'svc +\| up' 20 || fail "one: no restart after a crash"
kill -TERM "$ENGINE_PID"
engine_wait 20 || fail "one: the engine did not stop"
expect_rc 0 "one: a new engine after a crash" "$T/one/err"

# ---- vigil up NAME ------------------------------------------------------------
mkdir "$T/sel"
cat >"$T/sel/vigil.yaml" <<'EOF'
version: 1
name: sel
processes:
  db: {command: "echo db", kind: oneshot}
  cache: {command: "echo cache", kind: oneshot}
  api: {command: "echo api", kind: oneshot, depends_on: {db: completed_successfully}}
  worker: {command: "echo worker", kind: oneshot, depends_on: [api]}
  other: {command: "echo other", kind: oneshot}
  tidy: {command: "echo cleaning", kind: cleanup}
EOF
engine_start "$T/sel" api
engine_wait 20 || fail "sel: the engine did not end"
expect_rc 0 "up api: every oneshot completed" "$T/sel/err"
O=$T/sel/out
expect_grep "$O" '^[0-9:]{8} db +\| db$' "up api: db ran (a dependency)"
expect_grep "$O" '^[0-9:]{8} api +\| api$' "up api: api ran"
expect_grep "$O" '^[0-9:]{8} tidy +\| cleaning$' "up api: the cleanup ran"
expect_no_grep "$O" '^[0-9:]{8} (cache|worker|other) ' "up api: nothing else ran"

RC=0
timeout 20 "$VIGIL" up -f "$T/sel/vigil.yaml" nope >"$T/out" 2>"$T/err" || RC=$?
expect_rc 2 "up with an unknown name"
expect_line "$T/err" "vigil: no process named 'nope' in $T/sel/vigil.yaml" "names the unknown process"
expect_no_grep "$T/out" '▸ (running|starting)' "nothing started"
if [ ! -e "$T/sel/.vigil/engine.pid" ]; then pass "no engine.pid left"; else fail "engine.pid left behind"; fi

# A failing oneshot: exit status 1.
mkdir "$T/bad"
cat >"$T/bad/vigil.yaml" <<'EOF'
version: 1
processes:
  good: {command: "true", kind: oneshot}
  bad: {command: "exit 4", kind: oneshot}
EOF
engine_start "$T/bad"
engine_wait 20 || fail "bad: the engine did not end"
expect_rc 1 "a failed oneshot" "$T/bad/err"
expect_grep "$T/bad/out" '^[0-9:]{8} bad +▸ failed \(status 4\)$' "bad failed"

# ---- replicas, VIGIL_*, environment -------------------------------------------
mkdir "$T/env"
cat >"$T/env/vigil.yaml" <<'EOF'
version: 1
name: envstack
env: {BAR: stack, BAZ: stack}
processes:
  w:
    command: 'echo "replica $VIGIL_REPLICA of $VIGIL_PROCESS in $VIGIL_STACK"'
    kind: oneshot
    replicas: 3
  show:
    command: 'echo "FOO=$FOO BAR=$BAR BAZ=$BAZ"'
    kind: oneshot
    env: {BAZ: process}
  lim:
    command: 'echo "nofile $(ulimit -n)"'
    kind: oneshot
EOF
# A soft descriptor limit below the hard one, as on most machines, for the engine to raise.
ulimit -Sn 1024 2>/dev/null || true
FOO=engine BAR=engine BAZ=engine engine_start "$T/env"
engine_wait 20 || fail "env: the engine did not end"
expect_rc 0 "env: completed" "$T/env/err"
O=$T/env/out
for r in 0 1 2; do
    expect_grep "$O" "^[0-9:]{8} w:$r +\\| replica $r of w in envstack\$" "replica w:$r sees VIGIL_REPLICA=$r"
    expect_grep "$O" "^[0-9:]{8} w:$r +▸ completed \\(status 0\\)\$" "w:$r completed"
    if [ -f "$T/env/.vigil/logs/w:$r.log" ]; then pass "w:$r has its log file"; else fail "no log file for w:$r"; fi
done
expect_no_grep "$O" '^[0-9:]{8} w:3 ' "no fourth replica"
expect_grep "$O" '^[0-9:]{8} show +\| FOO=engine BAR=stack BAZ=process$' \
    "environment: the engine's, then the stack's, then the process's"
# The engine raises its own descriptor limit (to keep /proc files open); its processes get the one it was given.
expect_grep "$O" "^[0-9:]{8} lim +\\| nofile $(ulimit -n)\$" "the descriptor limit the engine was started with ($(ulimit -n)), not its own"

# ---- user: the login variables of the user switched to (as root) ---------------
if [ "$(id -u)" -eq 0 ] && getent passwd nobody >/dev/null; then
    mkdir "$T/login"
    cat >"$T/login/vigil.yaml" <<'EOF'
version: 1
processes:
  nobody:
    command: 'echo "HOME=$HOME USER=$USER LOGNAME=$LOGNAME SHELL=$SHELL ids=$(id -u):$(id -g)"'
    kind: oneshot
    user: nobody
  bare:
    command: 'echo "HOME=$HOME USER=$USER LOGNAME=$LOGNAME SHELL=$SHELL ids=$(id -u):$(id -g)"'
    kind: oneshot
    user: "54321"
  mine:
    command: 'echo "HOME=$HOME USER=$USER LOGNAME=$LOGNAME SHELL=$SHELL"'
    kind: oneshot
    user: nobody
    env: {HOME: /srv/app, USER: app}
EOF
    home=$(getent passwd nobody | cut -d: -f6)
    shell=$(getent passwd nobody | cut -d: -f7)
    HOME=/root USER=root LOGNAME=root SHELL=/bin/bash engine_start "$T/login"
    engine_wait 20 || fail "login: the engine did not end"
    expect_rc 0 "login: completed" "$T/login/err"
    O=$T/login/out
    expect_grep "$O" "^[0-9:]{8} nobody +\\| HOME=$home USER=nobody LOGNAME=nobody SHELL=$shell ids=$(id -u nobody):$(id -g nobody)\$" \
        "user: HOME, USER, LOGNAME and SHELL from its entry, not the engine's"
    expect_grep "$O" '^[0-9:]{8} bare +\| HOME=/ USER=54321 LOGNAME=54321 SHELL=/bin/sh ids=54321:54321$' \
        "a uid with no entry runs, its group the same number"
    expect_grep "$O" "^[0-9:]{8} mine +\\| HOME=/srv/app USER=app LOGNAME=nobody SHELL=$shell\$" \
        "the stack file's env wins over the entry"
fi

# ---- a background child holding the output ------------------------------------
mkdir "$T/bg"
cat >"$T/bg/vigil.yaml" <<EOF
version: 1
processes:
  leaver: {command: "sleep $M.2 & echo left", kind: oneshot}
EOF
t0=$(now_ms)
engine_start "$T/bg"
engine_wait 10 || fail "bg: the engine did not end"
ms=$(($(now_ms) - t0))
expect_rc 0 "bg: completed" "$T/bg/err"
expect_grep "$T/bg/out" '^[0-9:]{8} leaver +\| left$' "bg: its output was captured"
expect_grep "$T/bg/out" '^[0-9:]{8} leaver +▸ completed \(status 0\)$' "bg: completed"
# 1 s of grace, then the rest of its group is killed.
if [ "$ms" -ge 900 ] && [ "$ms" -le 3500 ]; then pass "bg: finished in ${ms}ms"; else fail "bg: finished in ${ms}ms"; fi
n=$(count_procs "sleep $M\\.2")
if [ "$n" -eq 0 ]; then pass "bg: the background child was killed"; else fail "bg: $n left"; fi

# One that left its process group (setsid) keeps the pipe. With cgroups it
# is killed with the rest of its cgroup after the 1 s grace; without them
# (VIGIL_CGROUPS=off) the engine stops waiting after 2 s, and it is ours to
# end afterwards.
mkdir "$T/esc"
cat >"$T/esc/vigil.yaml" <<EOF
version: 1
processes:
  escaper: {command: "setsid sleep $M.3 & echo left", kind: oneshot}
EOF
t0=$(now_ms)
engine_start "$T/esc"
engine_wait 10 || fail "esc: the engine did not end"
ms=$(($(now_ms) - t0))
expect_rc 0 "esc: completed" "$T/esc/err"
expect_grep "$T/esc/out" '^[0-9:]{8} escaper +▸ completed \(status 0\)$' "esc: completed"
if grep -q 'cgroup none' "$T/esc/out"; then
    if [ "$ms" -ge 1900 ] && [ "$ms" -le 4500 ]; then pass "esc: finished in ${ms}ms"; else fail "esc: finished in ${ms}ms"; fi
else
    if [ "$ms" -ge 900 ] && [ "$ms" -le 3500 ]; then pass "esc: finished in ${ms}ms (cgroup)"; else fail "esc: finished in ${ms}ms"; fi
    n=$(count_procs "sleep $M\\.3")
    if [ "$n" -eq 0 ]; then pass "esc: the escaped process was killed with its cgroup"; else fail "esc: $n left"; fi
fi
for pid in $(pgrep -f "^sleep $M\\.3\$" || true); do kill "$pid"; done

mkdir "$T/esc2"
cp "$T/esc/vigil.yaml" "$T/esc2/"
t0=$(now_ms)
VIGIL_CGROUPS=off engine_start "$T/esc2"
engine_wait 10 || fail "esc2: the engine did not end"
ms=$(($(now_ms) - t0))
expect_grep "$T/esc2/out" 'cgroup none: turned off' "esc2: cgroups off"
if [ "$ms" -ge 1900 ] && [ "$ms" -le 4500 ]; then pass "esc2: finished in ${ms}ms"; else fail "esc2: finished in ${ms}ms"; fi
for pid in $(pgrep -f "^sleep $M\\.3\$" || true); do kill "$pid"; done

# The host's figures are read once something uses them: a stack nobody
# looks at never loads libproc2 (and what it pulls in), and the first
# status has them all the same.
mkdir "$T/host"
printf 'processes:\n  idle: {command: "exec sleep %s.8"}\n' "$M" >"$T/host/vigil.yaml"
engine_start "$T/host"
engine_says "$T/host" 'idle +▸ running' 10 || fail "host: idle never ran"
if wait_for "grep -q libproc2 /proc/$ENGINE_PID/maps" 3; then
    fail "host: libproc2 loaded with nobody asking"
else
    pass "host: libproc2 not loaded while nobody asks (3 s, 3 samples)"
fi
cd "$T/host"
run_vigil status
expect_rc 0 "host: status"
# Its CPU needs two readings a tick apart: the first answer says it is not
# known yet ("-"), never a made-up 0; the next one has it.
expect_grep "$T/out" '^host: cpu (-|[0-9.]+%) of [0-9]+ cores, memory [0-9.]+[KMGT]?i?B? used' "host: the first status has the host's figures"
expect_no_grep "$T/out" '^host: cpu 0\.0% ' "host: no made-up 0 % of CPU"
wait_for '"$VIGIL" status >"$T/out" 2>&1 && grep -Eq "^host: cpu [0-9.]+% of" "$T/out"' 5 &&
    pass "host: the CPU known from the next reading on" || fail "host: CPU never known: $(grep host: "$T/out")"
grep -q libproc2 "/proc/$ENGINE_PID/maps" && pass "host: read from the first request on" ||
    fail "host: libproc2 not loaded after a status"
run_vigil down
expect_rc 0 "host: down"
engine_wait 10 || fail "host: the engine did not end"
# down again: the stack is down already, which is what was asked (exit 0);
# a folder with no stack and a missing -f file are mistakes (exit 1).
run_vigil down
expect_rc 0 "down on a stack that is not running"
expect_grep "$T/err" 'vigil.yaml: the stack is not running; nothing to stop' "down: says there was nothing to stop"
run_vigil down -f "$T/host/vigil.yaml"
expect_rc 0 "down -f on a stack that is not running"
run_vigil down -f "$T/host/nope.yaml"
expect_rc 1 "down -f with a missing file"
expect_grep "$T/err" 'nope.yaml: No such file' "down -f: names the missing file"
mkdir -p "$T/nostack"
cd "$T/nostack"
run_vigil down
expect_rc 1 "down where there is no stack"
cd "$T"

finish
