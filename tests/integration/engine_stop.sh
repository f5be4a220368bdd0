#!/bin/sh
# Stopping: a TERM-ignoring process gets SIGKILL after its stop_timeout,
# with its grandchildren; kill -9 of the engine leaves nothing behind (the
# guardian ends every group, politely first); SIGTERM to the engine is
# graceful within shutdown_timeout; a second SIGINT kills every group now;
# without cgroups, daemons that left their group (adopted by the engine, the
# subreaper) end with the stack.
# Processes are found by markers unique to this run (`sleep $M.N`).
. "$(dirname "$0")/lib.sh"

# gone REGEX SECONDS — waits until no process matches; prints the ms it took
# from $t0 (or "never").
gone_after() {
    _re=$1
    if wait_for '[ "$(count_procs "$_re")" -eq 0 ]' "$2"; then echo $(($(now_ms) - t0)); else echo never; fi
}

# expect_ms VALUE MIN MAX WHAT
expect_ms() {
    if [ "$1" != never ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; then pass "$4 (${1}ms)"; else
        fail "$4: ${1}ms, expected $2..$3"; fi
}

# A TERM-ignoring shell with grandchildren (they inherit the ignored TERM),
# and a polite one with grandchildren.
stubborn="trap '' TERM; echo up; sh -c 'sleep $M.1 & sleep $M.2'"
polite="echo up; sh -c 'sleep $M.3 & sleep $M.4'"

# ---- stop escalation --------------------------------------------------------
mkdir "$T/esc"
cat >"$T/esc/vigil.yaml" <<EOF
version: 1
settings: {shutdown_timeout: 30s}
processes:
  stubborn: {command: "$stubborn", stop_timeout: 1s}
  polite: {command: "$polite", stop_timeout: 1s}
EOF
engine_start "$T/esc"
wait_for '[ "$(count_procs "^sleep $M\.[1-4]\$")" -eq 4 ]' 20 || fail "esc: the sleeps never ran"
t0=$(now_ms)
kill -TERM "$ENGINE_PID"
ms=$(gone_after "sleep $M\\.[34]" 2)
expect_ms "$ms" 0 900 "polite and its grandchildren end on SIGTERM"
ms=$(gone_after "sleep $M\\.[12]" 4)
# SIGKILL at stop_timeout (1 s), not before; gone within stop_timeout + 1 s.
expect_ms "$ms" 900 2000 "stubborn and its grandchildren end at stop_timeout"
engine_wait 10 || fail "esc: the engine did not stop"
expect_rc 0 "esc: stopped cleanly" "$T/esc/err"
O=$T/esc/out
expect_grep "$O" '^[0-9:]{8} stubborn +▸ stopping \(SIGTERM sent\)$' "stubborn: SIGTERM first"
expect_grep "$O" '^[0-9:]{8} stubborn +▸ stopped \(killed by SIGKILL\)$' "stubborn: then SIGKILL"
expect_grep "$O" '^[0-9:]{8} polite +▸ stopped \(killed by SIGTERM\)$' "polite: SIGTERM was enough"

# ---- kill -9 of the engine ---------------------------------------------------
mkdir "$T/k9"
cat >"$T/k9/vigil.yaml" <<EOF
version: 1
processes:
  stubborn: {command: "$stubborn", stop_timeout: 1s}
  polite: {command: "$polite", stop_timeout: 1s}
  # A grandchild that notes its SIGTERM (the child dies with the engine);
  # off the dead engine's pipes, where "Terminated" would kill it by SIGPIPE.
  noted:
    command: "sh -c 'trap \"echo TERM >got-term; exit 0\" TERM; : >trap-set; while :; do sleep 0.05; done; : $M.5' >/dev/null 2>&1 & wait"
    stop_timeout: 1s
  # A daemon that left its process group and session (setsid): in the
  # service's cgroup only, it gets the guardian's SIGTERM too.
  escaped:
    command: "setsid sh -c 'trap \"echo TERM >escaped-term; exit 0\" TERM; : >escaped-set; while :; do sleep 0.05; done; : $M.6' >/dev/null 2>&1 & exec sleep $M.7"
    stop_timeout: 1s
  # Exec probes hold children too: one starting (its ready probe never
  # ends), one running (a health probe under way when the engine dies).
  probed:
    command: "exec sleep $M.8"
    ready: {exec: "sleep $M.9 & sleep $M.50; wait", timeout: 1h}
  checked:
    command: "exec sleep $M.51"
    health: {exec: "setsid -f sleep $M.54; sleep $M.52 & sleep $M.53; wait", interval: 100ms, timeout: 1h}
  noter: $(run_dir_noter "$T/k9/run-dir")
EOF
engine_start "$T/k9"
wait_for '[ -s "$T/k9/run-dir" ]' 20 || fail "k9: noter never ran"
wait_for '[ "$(count_procs "^sleep $M\.[1-4]\$")" -eq 4 ]' 20 || fail "k9: the sleeps never ran"
wait_for '[ -f "$T/k9/trap-set" ]' 20 || fail "k9: noted never ran"
wait_for '[ -f "$T/k9/escaped-set" ]' 20 || fail "k9: escaped never ran"
wait_for '[ "$(count_procs "^sleep $M\.(9|50|52|53|54)\$")" -eq 5 ]' 20 || fail "k9: the probes never ran"
guardian=$(pgrep -P "$ENGINE_PID" -x vigil || true)
t0=$(now_ms)
kill -KILL "$ENGINE_PID"
engine_wait 5 || fail "k9: the engine survived SIGKILL"
ms=$(gone_after "sleep $M\\.[34]|: $M\\.5" 3)
expect_ms "$ms" 0 1500 "k9: polite processes end on the guardian's SIGTERM"
ms=$(gone_after "sleep $M\\.[12]" 5)
expect_ms "$ms" 800 3000 "k9: TERM-ignoring ones end by SIGKILL after stop_timeout"
if [ -f "$T/k9/got-term" ]; then pass "k9: the guardian sent SIGTERM first"; else
    fail "k9: no SIGTERM reached the grandchild"; fi
if wait_for '[ -f "$T/k9/escaped-term" ]' 3; then
    pass "k9: the daemon that left its group got SIGTERM too"
else
    fail "k9: no SIGTERM reached the escaped daemon"
fi
wait_for '[ "$(count_procs ": $M\\.6")" -eq 0 ]' 5 && pass "k9: the escaped daemon is gone" ||
    fail "k9: the escaped daemon is left"
if [ -n "$guardian" ]; then
    if wait_for "! alive $guardian" 3; then pass "k9: the guardian exits when done"; else
        fail "k9: the guardian $guardian still runs"; fi
else
    fail "k9: no guardian process found"
fi
wait_for '[ "$(count_procs "^sleep $M\.(9|50|52|53|54)\$")" -eq 0 ]' 5 &&
    pass "k9: exec probes and their children are gone, setsid'ed ones too" ||
    fail "k9: exec probes left: $(count_procs "^sleep $M\.(9|50|52|53|54)\$")"
forget_run_dir "$T/k9/run-dir"

# ---- SIGTERM: graceful within shutdown_timeout --------------------------------
mkdir "$T/grace"
cat >"$T/grace/vigil.yaml" <<EOF
version: 1
settings: {shutdown_timeout: 2s}
processes:
  stubborn: {command: "$stubborn", stop_timeout: 30s}
  tidy: {command: "trap 'echo tidying; exit 0' TERM; echo up; while :; do sleep 0.05; done"}
EOF
engine_start "$T/grace"
wait_for '[ "$(count_procs "^sleep $M\.[12]\$")" -eq 2 ]' 20 || fail "grace: the sleeps never ran"
engine_says "$T/grace" 'tidy +\| up' 20 || fail "grace: tidy never ran"
t0=$(now_ms)
kill -TERM "$ENGINE_PID"
engine_wait 10 || fail "grace: the engine did not stop"
ms=$(($(now_ms) - t0))
expect_ms "$ms" 1800 3500 "grace: the engine ends at shutdown_timeout"
n=$(count_procs "sleep $M\\.[12]")
if [ "$n" -eq 0 ]; then pass "grace: nothing left"; else fail "grace: $n processes left"; fi
O=$T/grace/out
expect_grep "$O" '^[0-9:]{8} tidy +\| tidying$' "grace: tidy got SIGTERM"
expect_grep "$O" '^[0-9:]{8} tidy +▸ stopped \(status 0\)$' "grace: tidy stopped on its own"
expect_grep "$O" '^[0-9:]{8} stubborn +▸ stopped \(killed by SIGKILL\)$' "grace: stubborn killed at the timeout"
expect_rc 0 "grace: exit status" "$T/grace/err"

# ---- a program under a shell: the shell dies first, the program has stop_timeout ----
# ("; true" keeps the outer shell as the parent whatever the shell does.)
mkdir "$T/wrap"
cat >"$T/wrap/vigil.yaml" <<EOF
version: 1
processes:
  wrapped:
    command: "sh -c 'trap \"sleep 1.5; echo clean >drained; exit 0\" TERM; echo up; while :; do sleep 0.05; done; : $M.70'; true"
    stop_timeout: 10s
  slowpoke:
    command: "sh -c 'trap \"sleep 30; exit 0\" TERM; echo up; while :; do sleep 0.05; done; : $M.71'; true"
    stop_timeout: 1s
EOF
engine_start "$T/wrap"
cd "$T/wrap"
engine_says "$T/wrap" 'wrapped +\| up' 20 || fail "wrap: wrapped never ran"
engine_says "$T/wrap" 'slowpoke +\| up' 20 || fail "wrap: slowpoke never ran"
t0=$(now_ms)
run_vigil stop wrapped slowpoke
engine_says "$T/wrap" 'wrapped +▸ stopped' 10 || fail "wrap: wrapped never stopped"
ms=$(($(now_ms) - t0))
[ -f "$T/wrap/drained" ] && pass "wrap: the program under the shell finished its shutdown (${ms}ms)" ||
    fail "wrap: killed before its shutdown ended (${ms}ms after the stop)"
expect_ms "$ms" 1400 9500 "wrap: stopped once the program had ended, not when the shell did"
engine_says "$T/wrap" 'slowpoke +▸ stopped' 10 || fail "wrap: slowpoke never stopped"
[ "$(count_procs ": $M\\.71")" -eq 0 ] && pass "wrap: one slower than stop_timeout is killed at it" ||
    fail "wrap: slowpoke's program is left"
expect_before "$T/wrap/out" 'slowpoke +▸ stopping' 'slowpoke +▸ stopped' "wrap: slowpoke stopping, then stopped"
run_vigil down
engine_wait 10 || fail "wrap: the engine did not stop"
cd "$T"

# ---- a second SIGINT --------------------------------------------------------
mkdir "$T/twice"
cat >"$T/twice/vigil.yaml" <<EOF
version: 1
settings: {shutdown_timeout: 30s}
processes:
  stubborn: {command: "$stubborn", stop_timeout: 30s}
  polite: {command: "$polite", stop_timeout: 30s}
EOF
engine_start "$T/twice"
wait_for '[ "$(count_procs "^sleep $M\.[1-4]\$")" -eq 4 ]' 20 || fail "twice: the sleeps never ran"
kill -INT "$ENGINE_PID"
engine_says "$T/twice" 'stubborn +▸ stopping' 10 || fail "twice: stubborn never stopping"
engine_says "$T/twice" 'polite +▸ stopped' 10 || fail "twice: polite never stopped"
t0=$(now_ms)
# From another process than the first (the same sender twice within 250 ms
# counts once: see "timeout" below).
env kill -INT "$ENGINE_PID"
ms=$(gone_after "sleep $M\\.[12]" 3)
expect_ms "$ms" 0 1000 "twice: every group killed at once"
engine_wait 5 || fail "twice: the engine did not stop"
expect_rc 0 "twice: exit status" "$T/twice/err"
O=$T/twice/out
expect_grep "$O" '^[0-9:]{8} vigil +▸ killing every process now$' "twice: says so"
expect_grep "$O" '^[0-9:]{8} stubborn +▸ stopped \(killed by SIGKILL\)$' "twice: stubborn killed"

# ---- timeout -s INT: one request, though it comes twice -----------------------
# timeout signals its child, then its own process group, the child in it.
mkdir "$T/timeout"
cat >"$T/timeout/vigil.yaml" <<EOF
version: 1
processes:
  sleeper: {command: "exec sleep $M.5"}
  tidy: {command: "echo tidied", kind: cleanup}
EOF
RC=0
timeout -s INT 2 "$VIGIL" up -f "$T/timeout/vigil.yaml" >"$T/timeout/out" 2>"$T/timeout/err" || RC=$?
O=$T/timeout/out
expect_no_grep "$O" 'killing every process now' "timeout: one graceful stop, not a kill"
expect_grep "$O" '^[0-9:]{8} tidy +\| tidied$' "timeout: the cleanup ran"
expect_grep "$O" '^[0-9:]{8} sleeper +▸ stopped \(killed by SIGTERM\)$' "timeout: sleeper stopped politely"
# The same, made certain: two SIGINTs from one sender, the second once the
# first was taken (a pending one would merge with it).
engine_start "$T/timeout"
engine_says "$T/timeout" 'sleeper +▸ running' 10 || fail "twice from one: never running"
python3 -c 'import os, signal, sys, time
p = int(sys.argv[1])
os.kill(p, signal.SIGINT)
time.sleep(0.02)
os.kill(p, signal.SIGINT)' "$ENGINE_PID"
engine_wait 10 || fail "twice from one: the engine did not stop"
expect_no_grep "$O" 'killing every process now' "twice from one sender at once: one graceful stop"
expect_grep "$O" '^[0-9:]{8} tidy +\| tidied$' "twice from one sender at once: the cleanup ran"

# ---- without cgroups: daemons that left their group end with the stack ------
mkdir "$T/nocg"
cat >"$T/nocg/vigil.yaml" <<EOF
version: 1
processes:
  holder: {command: "setsid sleep $M.60 & echo started; exec sleep $M.61"}
  deaf: {command: "setsid sh -c 'trap \"\" TERM; while :; do sleep 0.1; done; : $M.62' & echo started; exit 0", restart: "no"}
EOF
VIGIL_CGROUPS=off engine_start "$T/nocg"
engine_says "$T/nocg" 'deaf +▸ exited' 10 || fail "nocg: deaf never exited"
wait_for '[ "$(count_procs "sleep $M\\.60")" -eq 1 ] && [ "$(count_procs ": $M\\.62")" -eq 1 ]' 10 ||
    fail "nocg: the daemons never ran"
kill -INT "$ENGINE_PID"
engine_wait 15 || fail "nocg: the engine did not stop"
[ "$(count_procs "sleep $M\\.60")" -eq 0 ] && pass "nocg: a daemon that left its group ends with the stack" ||
    fail "nocg: sleep $M.60 left behind"
[ "$(count_procs ": $M\\.62")" -eq 0 ] && pass "nocg: one that ignores SIGTERM too (SIGKILL after 2 s)" ||
    fail "nocg: the TERM-ignoring daemon left behind"
expect_grep "$T/nocg/out" 'ending 2 processes left behind \(orphaned, adopted by vigil\)' "nocg: says so"

finish
