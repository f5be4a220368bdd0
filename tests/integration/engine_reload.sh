#!/bin/sh
# vigil reload against a real engine: an added process starts, a removed
# one stops and disappears, a changed one restarts with its new definition
# (after the old one is down), an unchanged one keeps its pid, scaling
# replicas down or up keeps the replicas that stay; a broken
# file changes nothing and its problems are printed.
. "$(dirname "$0")/lib.sh"

D=$T/stack
mkdir -p "$D"
cat >"$D/vigil.yaml" <<YAML
processes:
  keep: {command: "exec sleep $M.1"}
  gone: {command: "exec sleep $M.2"}
  change: {command: "echo v1; exec sleep $M.3"}
  rep: {command: "exec sleep $M.6", replicas: 3}
YAML
engine_start "$D"
cd "$D"
wait_for '[ -S .vigil/control.sock ] && "$VIGIL" wait --timeout 1s >/dev/null 2>&1' 15 || fail "never ready"
pid_of() {
    "$VIGIL" status --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["processes"][0]["pid"])'
}
keep=$(pid_of keep)
rep0=$(pid_of rep:0) rep1=$(pid_of rep:1)

cat >"$D/vigil.yaml" <<YAML
processes:
  keep: {command: "exec sleep $M.1"}
  change: {command: "echo v2; exec sleep $M.4"}
  new: {command: "exec sleep $M.5"}
  rep: {command: "exec sleep $M.6", replicas: 2}
YAML
run_vigil reload
expect_rc 0 "reload"
expect_line "$T/out" "new: added" "reports the added process"
expect_line "$T/out" "gone: removed" "the removed one"
expect_line "$T/out" "change: changed" "the changed one"
wait_for '"$VIGIL" wait --timeout 1s >/dev/null 2>&1 && [ "$(count_procs "sleep $M.2")" -eq 0 ]' 15 \
    && pass "settled" || fail "did not settle"
[ "$(pid_of keep)" = "$keep" ] && pass "unchanged process kept its pid" || fail "keep was restarted"
[ "$(count_procs "sleep $M.2")" -eq 0 ] && pass "removed process stopped" || fail "gone still runs"
[ "$(count_procs "sleep $M.3")" -eq 0 ] && [ "$(count_procs "sleep $M.4")" -eq 1 ] \
    && pass "changed process runs its new command" || fail "change not replaced"
[ "$(count_procs "sleep $M.5")" -eq 1 ] && pass "added process runs" || fail "new not started"
[ "$(pid_of rep:0) $(pid_of rep:1)" = "$rep0 $rep1" ] && pass "scaled down: the replicas that stay keep their pids" ||
    fail "scaled down: rep:0 and rep:1 restarted"
[ "$(count_procs "sleep $M.6")" -eq 2 ] && pass "scaled down: two replicas run" || fail "scaled down: $(count_procs "sleep $M.6") replicas"
run_vigil status
expect_no_grep "$T/out" '^gone ' "the removed process is no longer listed"
expect_no_grep "$T/out" '^rep:2 ' "the replica scaled away is no longer listed"
expect_before "$D/out" 'change +▸ stopped' 'change +\| v2' "the old instance stopped before the new one started"
# Its cgroup passes to the new instance: freeing the old one kills nothing.
changed=$(pid_of change)
wait_for '[ "$(pid_of change)" != "$changed" ]' 2 || true
[ "$(pid_of change)" = "$changed" ] && pass "the new instance keeps running (pid $changed)" ||
    fail "the new instance was restarted: pid $changed, then $(pid_of change)"
expect_no_grep "$D/out" 'change +▸ [a-z]+ \(killed by SIGKILL' "the new instance was not killed with the old one's cgroup"
# Its lines before the reload stay in memory for vigil logs, before the new ones.
run_vigil logs change
expect_rc 0 "logs of the changed process"
expect_before "$T/out" 'v1$' 'v2$' "logs: the old instance's lines, then the new one's"

sed -i 's/replicas: 2/replicas: 4/' "$D/vigil.yaml"
# What a running process takes as it is: tags, group, how it stops, its restart policy.
sed -i "s|  keep: {command: \"exec sleep $M.1\"}|  keep: {command: \"exec sleep $M.1\", tags: [db], group: data, stop_timeout: 5s, restart: always, backoff: {initial: 2s}}|" "$D/vigil.yaml"
run_vigil reload
expect_line "$T/out" "rep: changed" "scaled up: reported"
expect_no_grep "$T/out" '^keep' "tags, group, stop and restart settings: not a change that restarts"
[ "$(pid_of keep)" = "$keep" ] && pass "keep runs on with its new tags and settings" || fail "keep was restarted"
run_vigil status --json @data
python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["processes"]; assert [x["name"] for x in p] == ["keep"] and p[0]["tags"] == ["db"], p' "$T/out" &&
    pass "its new group and tags apply" || fail "keep's group and tags: $(head -c 300 "$T/out")"
wait_for '[ "$(count_procs "sleep $M.6")" -eq 4 ]' 10 && pass "scaled up: four replicas run" ||
    fail "scaled up: $(count_procs "sleep $M.6") replicas"
[ "$(pid_of rep:0) $(pid_of rep:1)" = "$rep0 $rep1" ] && pass "scaled up: the first two keep their pids" ||
    fail "scaled up: rep:0 and rep:1 restarted"

# Settings: a new log folder is made; what applies later is said.
sed -i '1i settings: {log_dir: newlogs, sample_interval: 2s}' "$D/vigil.yaml"
run_vigil reload
expect_rc 0 "reload with new settings"
[ -d "$D/newlogs" ] && pass "the new log folder is made" || fail "no $D/newlogs"
expect_grep "$T/out" '^applies later: log settings: ' "says the log settings apply to new processes"
expect_grep "$T/out" '^applies later: sample_interval: ' "says sample_interval applies after a restart"

# From one replica to two: "solo" becomes "solo:0" (a new name, so a new
# instance), which starts only once "solo" is down (it would bind the same
# port); its lines stay with it.
cat >>"$D/vigil.yaml" <<YAML
  solo: {command: "trap 'sleep 1; exit 0' TERM; echo solo up; while :; do sleep 0.05; done; : $M.8"}
YAML
run_vigil reload
engine_says "$D" 'solo +\| solo up' 15 || fail "solo never ran"
sed -i 's/^\(  solo: {command: .*\)}$/\1, replicas: 2}/' "$D/vigil.yaml"
run_vigil reload
expect_rc 0 "reload: solo to two replicas"
engine_says "$D" 'solo:0 +▸ running' 15 || fail "solo:0 never ran"
expect_before "$D/out" 'solo +▸ stopped' 'solo:0 +▸ running' "1 to 2 replicas: solo:0 starts once solo is down"
run_vigil logs solo:0
expect_grep "$T/out" 'solo up' "1 to 2 replicas: solo:0 has solo's lines"

printf 'processes:\n  keep: {command: "exec sleep 1", restart: sometimes}\n' >"$D/vigil.yaml"
run_vigil reload
expect_rc 2 "a broken file"
expect_grep "$T/err" "vigil.yaml:2:44: invalid restart policy 'sometimes'" "its problems are printed"
[ "$(count_procs "sleep $M.5")" -eq 1 ] && pass "nothing changed" || fail "a broken reload changed something"

run_vigil down
expect_rc 0 "down"
engine_wait 10 || fail "engine still runs"
[ "$(count_procs "sleep $M.")" -eq 0 ] && pass "nothing left" || fail "processes left"

# A reload while the stack shuts down is refused (nothing would start).
mkdir "$T/slow"
printf 'processes:\n  slow: {command: "trap \x27\x27 TERM; while :; do sleep 0.1; done; : %s.9", stop_timeout: 3s}\n' "$M" >"$T/slow/vigil.yaml"
engine_start "$T/slow"
cd "$T/slow"
wait_for '"$VIGIL" wait --timeout 1s >/dev/null 2>&1' 15 || fail "slow never ran"
kill -INT "$ENGINE_PID"
engine_says "$T/slow" 'slow +▸ stopping' 10 || fail "slow never stopping"
printf 'processes:\n  slow: {command: "exec sleep %s.8"}\n  new: {command: "exec sleep %s.8"}\n' "$M" "$M" >"$T/slow/vigil.yaml"
run_vigil reload
expect_rc 1 "reload during the shutdown"
expect_line "$T/err" "vigil: the stack is shutting down; nothing to reload" "says why"
engine_wait 10 || fail "slow: the engine did not stop"

# A reload that changes a process the operator is stopping: one row under
# the name (the instance still stopping) until it is down; the replacement,
# held stopped, says nothing before then.
mkdir "$T/held"
printf 'processes:\n  stub: {command: "trap \x27\x27 TERM; while :; do sleep 0.1; done; : %s.10", stop_timeout: 2s}\n' "$M" >"$T/held/vigil.yaml"
engine_start "$T/held"
cd "$T/held"
wait_for '"$VIGIL" wait --timeout 1s >/dev/null 2>&1' 15 || fail "held: stub never ran"
"$VIGIL" stop --no-wait stub >/dev/null
engine_says "$T/held" 'stub +▸ stopping' 10 || fail "held: stub never stopping"
sed -i "s/: $M.10/: $M.11/" "$T/held/vigil.yaml"
run_vigil reload
expect_rc 0 "held: reload while stub stops"
run_vigil status
[ "$(grep -c '^stub ' "$T/out")" -eq 1 ] && pass "held: one row for the name while the old instance stops" ||
    fail "held: $(grep -c '^stub ' "$T/out") rows for stub"
expect_grep "$T/out" '^stub +stopping ' "held: the row is the instance still stopping"
engine_says "$T/held" 'stub +▸ stopped \(killed by SIGKILL\)' 10 || fail "held: stub never killed"
[ "$(grep -cE 'stub +▸ stopped' "$T/held/out")" -eq 1 ] && pass "held: 'stopped' said once, when it was" ||
    fail "held: $(grep -E 'stub +▸' "$T/held/out" | tr '\n' ';')"
run_vigil status stub
expect_grep "$T/out" '^stub +stopped ' "held: then the replacement, held stopped"
[ "$(count_procs ": $M.1[01]")" -eq 0 ] && pass "held: not started again" || fail "held: the reload started stub"
run_vigil down
engine_wait 10 || fail "held: the engine did not stop"
finish
