#!/bin/sh
# What takes part in a run, and what `status` counts: `up -d NAME` runs
# NAME and its dependencies, and returns as soon as they are up (a cleanup
# waiting for the shutdown holds nothing up); what was left out, disabled,
# or a cleanup still waiting, is no failure for `status`; `start` brings a
# left-out process in with its dependencies, and a disabled one too. Then
# a shutdown that runs out of time still runs the cleanup; a health probe
# with on_fail: alert raises an alert; and `up -d` refuses what it can
# refuse before the engine exists (unknown names: exit 2; a running stack:
# exit 1, the running engine's log untouched). And a NUL byte in a line
# does not cut it short in `vigil logs`.
. "$(dirname "$0")/lib.sh"

D=$T/s
mkdir -p "$D"
cat >"$D/vigil.yaml" <<YAML
settings: {shutdown_timeout: 2s}
processes:
  db: {command: "exec sleep $M.1", ready: {exec: "true", interval: 100ms}}
  api: {command: "exec sleep $M.2", depends_on: {db: ready}}
  other: {command: "exec sleep $M.3", depends_on: {db: ready}}
  lone: {command: "exec sleep $M.4"}
  off: {command: "exec sleep $M.5", disabled: true}
  stubborn:
    command: "trap '' TERM; while :; do sleep 0.2; done"
    stop_timeout: 30s
  sick:
    command: "exec sleep $M.6"
    health: {exec: "false", interval: 200ms, retries: 1, on_fail: alert}
  nul: {command: "printf 'a\\\\000b\\\\n'; exec sleep $M.8"}
  bye: {command: "echo cleanup ran >bye.txt", kind: cleanup}
YAML
cd "$D"

# ---- up -d with a cleanup: no wait for it ---------------------------------
start=$(now_ms)
run_vigil up -d api stubborn sick nul
took=$(($(now_ms) - start))
expect_rc 0 "up -d api stubborn sick nul"
# Without the fix it waited for the cleanup until its 30 s cap.
if [ "$took" -lt 20000 ]; then pass "up -d returned once they were up (${took}ms)"; else
    fail "up -d took ${took}ms: it waited for the cleanup"; fi
expect_grep "$T/out" '^stack s is up: 5 running ' "the cleanup is not in the summary"
pid=$(cat .vigil/engine.pid)

# ---- status: what is not meant to run is no failure ------------------------
run_vigil status
expect_rc 0 "status with a left-out, a disabled process and a waiting cleanup"
expect_grep "$T/out" '^off +disabled' "the disabled process"
run_vigil status --json
python3 -c '
import json, sys
p = {x["name"]: x for x in json.load(open(sys.argv[1]))["processes"]}
for name, state, reason in (("other", "pending", "not in this run (vigil start other)"),
                            ("bye", "pending", "runs when the stack stops")):
    assert p[name]["state"] == state and p[name]["reason"] == reason and p[name]["good"], p[name]
' "$T/out" && pass "the left-out process and the cleanup say why they wait" ||
    fail "reasons of other and bye"
run_vigil start bye
expect_rc 1 "start of a cleanup"
expect_line "$T/err" "vigil: bye is a cleanup: it runs when the stack stops (vigil down)" "start of a cleanup: says when it runs"
[ ! -e bye.txt ] && pass "start of a cleanup: it did not run" || fail "the cleanup ran on start"

# ---- a reload that changes a left-out process leaves it out ---------------
sed -i "s|  lone: {command: \"exec sleep $M.4\"}|  lone: {command: \"exec sleep $M.4\", env: {V: \"2\"}}|" vigil.yaml
run_vigil reload
expect_rc 0 "reload"
expect_line "$T/out" "lone: changed" "lone changed"
run_vigil status --json lone
python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["processes"][0]; assert p["state"] == "pending" and p["reason"] == "not in this run (vigil start lone)", p' "$T/out" &&
    pass "a changed left-out process stays out" || { fail "reload started lone"; cat "$T/out" >&2; }

# ---- start brings them in --------------------------------------------------
run_vigil start other
expect_rc 0 "start other"
run_vigil wait other --for started --timeout 10s
expect_rc 0 "other runs once started"
[ "$(count_procs "sleep $M.3")" -eq 1 ] && pass "other's process" || fail "other has no process"
run_vigil start lone off
expect_rc 0 "start lone off"
run_vigil wait lone off --for started --timeout 10s
expect_rc 0 "the left-out and the disabled processes run once started"

# ---- on_fail: alert --------------------------------------------------------
wait_for '"$VIGIL" alerts >"$T/alerts" 2>&1 && grep -q "sick" "$T/alerts"' 10 &&
    pass "on_fail: alert raised an alert" || { fail "no alert for sick"; cat "$T/alerts" >&2; }
expect_grep "$T/alerts" 'critical' "a critical one"
# From elsewhere, with -f or --socket, as every control command.
RC=0; (cd / && "$VIGIL" alerts -f "$D/vigil.yaml") >"$T/out" 2>"$T/err" || RC=$?
expect_rc 0 "alerts -f FILE from another folder"
expect_grep "$T/out" 'sick' "lists the alert"
RC=0; (cd / && "$VIGIL" alerts --all --socket "$D/.vigil/control.sock" --json) >"$T/out" 2>"$T/err" || RC=$?
expect_rc 0 "alerts --all --socket PATH --json"
run_vigil status sick
expect_grep "$T/out" '^sick +running' "sick keeps running"

# ---- wait: what can never be, at once; what is late, named -----------------
start=$(now_ms)
run_vigil wait lone --for healthy --timeout 20s
expect_rc 2 "wait --for healthy without a health probe"
expect_line "$T/err" "vigil: lone has no health probe; it cannot be healthy" "says why"
run_vigil wait api --for completed --timeout 20s
expect_rc 2 "wait --for completed on a service"
[ $(($(now_ms) - start)) -lt 10000 ] && pass "both at once, not after the timeout" || fail "wait waited"
run_vigil wait sick --for healthy --timeout 1s
expect_rc 3 "wait for a health that does not come"
expect_grep "$T/err" '^vigil: sick is not healthy after 1s \(running' "the timeout names the process"

# ---- a NUL byte in a line --------------------------------------------------
wait_for '"$VIGIL" logs nul >"$T/nul" 2>&1 && grep -q "b" "$T/nul"' 10 || true
expect_grep "$T/nul" ' nul +\| a�b$' "logs: the line whole, its NUL byte as U+FFFD"
run_vigil logs nul --json
python3 -c 'import json,sys; t=[json.loads(l)["text"] for l in open(sys.argv[1])]; assert t == ["a\ufffdb"], t' "$T/out" &&
    pass "logs --json: the line whole" || { fail "logs --json cut the line"; cat "$T/out" >&2; }

# -n 0: nothing of the backlog (with -f, only what comes).
run_vigil logs -n 0 nul
expect_rc 0 "logs -n 0"
expect_lines "$T/out" 0 "logs -n 0 prints nothing"
RC=0; timeout 1 "$VIGIL" logs -f -n 0 nul >"$T/out" 2>"$T/err" || RC=$?
expect_rc 124 "logs -f -n 0 follows"
expect_lines "$T/out" 0 "logs -f -n 0: none of the old lines"

# ---- what up -d refuses before forking -------------------------------------
before=$(wc -c <.vigil/engine.log)
run_vigil up -d
expect_rc 1 "a second up -d"
expect_line "$T/err" "vigil: the stack in vigil.yaml is already running (engine pid $pid)" "names the running engine"
[ "$(wc -c <.vigil/engine.log)" -eq "$before" ] && pass "the running engine's log untouched" ||
    { fail "the refusal went into the running engine's log"; tail -3 .vigil/engine.log >&2; }
run_vigil alerts ack nosuch
expect_rc 2 "alerts ack with a bad id"
expect_line "$T/err" "vigil: 'nosuch' is not an alert's ID (vigil alerts lists them) or all" "says what an id is"

# ---- a shutdown out of time still runs the cleanup -------------------------
run_vigil down --timeout 30s
expect_rc 0 "down"
expect_grep .vigil/engine.log 'stubborn +▸ stopped \(killed by SIGKILL\)' "stubborn killed at the shutdown timeout"
expect_line bye.txt "cleanup ran" "the cleanup ran after the timeout"
expect_grep .vigil/engine.log 'bye +▸ completed' "the cleanup completed"
wait_for '[ "$(count_procs "sleep $M.")" -eq 0 ]' 10 && pass "nothing left running" || fail "processes left"

# ---- up -d with an unknown name -------------------------------------------
rm -f .vigil/engine.log
run_vigil up -d nosuch
expect_rc 2 "up -d with an unknown process"
expect_line "$T/err" "vigil: no process named 'nosuch' in vigil.yaml" "names it"
[ ! -e .vigil/engine.log ] && pass "no engine started for it" || fail "an engine started"

# ---- no colour on a terminal whose TERM is dumb -----------------------------
mkdir "$T/dumb"
printf 'processes:\n  hi: {command: "echo hello", kind: oneshot}\n' >"$T/dumb/vigil.yaml"
TERM=dumb script -qec "$VIGIL up --no-tui -f $T/dumb/vigil.yaml" /dev/null >"$T/dumb/out" 2>&1 || true
expect_grep "$T/dumb/out" 'hi +\| hello' "on a terminal: the lines"
if grep -q "$(printf '\033')" "$T/dumb/out"; then fail "TERM=dumb: colour codes"; else pass "TERM=dumb: no colour"; fi

# ---- up NAME, NAME disabled: it runs ---------------------------------------
mkdir "$T/o"
printf 'processes:\n  job: {command: "echo job ran", kind: oneshot, disabled: true}\n  x: {command: "exec sleep %s.7"}\n' "$M" >"$T/o/vigil.yaml"
engine_start "$T/o" --no-tui job
engine_wait 20 || fail "the engine did not end"
expect_rc 0 "up job (disabled, named)" "$T/o/err"
expect_grep "$T/o/out" 'job +\| job ran' "the named disabled process ran"
expect_no_grep "$T/o/out" 'x +▸ running' "the other one did not"
# ---- wait on a process blocked for good: at once -------------------------
mkdir "$T/blk"
printf 'processes:\n  base: {command: "exit 1", restart: "no", ready: {log: never, timeout: 1h}}\n  dep: {command: "exec sleep %s.16", depends_on: {base: ready}}\n  up: {command: "exec sleep %s.17", health: {exec: "true", interval: 200ms}}\n' "$M" "$M" >"$T/blk/vigil.yaml"
cd "$T/blk"
run_vigil up -d
wait_for '"$VIGIL" status --json dep | grep -q "waiting: base is exited"' 10 || fail "dep never blocked"
start=$(now_ms)
run_vigil wait dep --timeout 20s
expect_rc 3 "wait on a process whose dependency exited"
expect_grep "$T/err" '^vigil: dep is pending \(waiting: base is exited\)$' "wait: says what blocks it"
[ $(($(now_ms) - start)) -lt 10000 ] && pass "wait: at once, not after the timeout" || fail "wait: waited for a blocked process"
# A stopped process has no health: not the last one it had while running.
run_vigil wait up --for healthy --timeout 10s
expect_rc 0 "up is healthy"
run_vigil stop up
wait_for '"$VIGIL" status up | grep -Eq "^up +stopped"' 10 || fail "up did not stop"
run_vigil status up
expect_grep "$T/out" '^up +stopped .* unknown ' "a stopped process's health is unknown, not healthy"
run_vigil down
cd "$D"

# ---- reload: dependencies join, enabled runs, the operator's stop holds -----
mkdir "$T/r"
cat >"$T/r/vigil.yaml" <<YAML
processes:
  a: {command: "exec sleep $M.11"}
  b: {command: "exec sleep $M.12", disabled: true}
  c: {command: "exec sleep $M.13"}
  d: {command: "exec sleep $M.14"}
YAML
cd "$T/r"
run_vigil up -d a c
expect_rc 0 "reload stack: up -d a c"
run_vigil stop c
wait_for '[ "$(count_procs "sleep $M.13")" -eq 0 ]' 10 || fail "c did not stop"
cat >"$T/r/vigil.yaml" <<YAML
processes:
  a: {command: "exec sleep $M.11", depends_on: [d]}
  b: {command: "exec sleep $M.12"}
  c: {command: "exec sleep $M.15"}
  d: {command: "exec sleep $M.14"}
YAML
run_vigil reload
expect_rc 0 "reload: a depends on d, b enabled, c changed"
wait_for '[ "$(count_procs "sleep $M.14")" -eq 1 ] && [ "$(count_procs "sleep $M.11")" -eq 1 ]' 10 &&
    pass "a's new dependency d joined the run, and a runs" || fail "d: $(count_procs "sleep $M.14"), a: $(count_procs "sleep $M.11")"
wait_for '[ "$(count_procs "sleep $M.12")" -eq 1 ]' 10 && pass "b, enabled, runs" || fail "b did not start"
[ "$(count_procs "sleep $M.15")" -eq 0 ] && pass "c, stopped by the operator, stays stopped with its new definition" ||
    fail "the reload started c"
run_vigil status --json c
expect_grep "$T/out" '"state":[[:space:]]*"stopped"' "c is stopped"
# Every running process disabled by a reload: the engine waits (as for a
# stop) instead of ending with nothing left to run; enabled again, they run.
sed -i 's/^\(  [abd]: {command: "[^"]*"\)/\1, disabled: true/' "$T/r/vigil.yaml"
run_vigil reload
expect_rc 0 "reload: a, b and d disabled"
wait_for '[ "$(count_procs "sleep $M.1[124]")" -eq 0 ]' 10 || fail "the disabled ones still run"
alive "$(cat "$T/r/.vigil/engine.pid")" && pass "the engine stays with every process disabled or stopped" ||
    fail "the engine ended when the reload disabled the last running process"
sed -i 's/, disabled: true//' "$T/r/vigil.yaml"
run_vigil reload
expect_rc 0 "reload: enabled again"
wait_for '[ "$(count_procs "sleep $M.1[124]")" -eq 3 ]' 10 && pass "enabled again, they run" ||
    fail "not running again: $(count_procs "sleep $M.1[124]")"
run_vigil down
expect_rc 0 "reload stack: down"
finish
