#!/bin/sh
# Crash reports: an exit code, a SIGSEGV, a SIGKILL and (where a cgroup
# memory limit can be set) an OOM kill each leave .vigil/crashes/ID.json with
# the right reason, the last lines and the tree; a crash loop keeps at most
# settings.crash_reports of them; a clean exit and a requested stop leave
# none; `vigil crashes` lists and shows them without an engine.
. "$(dirname "$0")/lib.sh"

D=$T/stack
mkdir -p "$D"
cat >"$D/vigil.yaml" <<YAML
version: 1
settings: {sample_interval: 200ms, crash_reports: 3}
processes:
  code:
    command: "echo about to fail; sleep 1.5; exit 3"
    restart: "no"
  segv:
    command: "echo segv; sleep 1.5; kill -SEGV \$\$\$\$"
    restart: "no"
  killed:
    command: "echo waiting; exec sleep $M.1"
    restart: "no"
  loop:
    command: "echo crash; sleep 0.2; exit 1"
    restart: always
    backoff: {initial: 100ms, max: 100ms}
    max_restarts: 8
    restart_window: 1m
  clean:
    command: "echo fine; exit 0"
    kind: oneshot
  stopped:
    command: "exec sleep $M.2"
  show:
    command: "echo named show; exit 2"
    restart: "no"
  hungry:
    command: ["python3", "-c", "import time; print('start', flush=True); time.sleep(0.5); b = b'\\\\x01' * (100 << 20); time.sleep(100)"]
    restart: "no"
    limits: {memory: 50MB}
YAML
engine_start "$D"
cd "$D"
engine_says "$D" 'code +▸ exited \(status 3\)' 20 || fail "code did not exit"
engine_says "$D" 'segv +▸ exited \(killed by SIGSEGV' 20 || fail "segv did not crash"
wait_for '[ "$(count_procs "sleep $M\\.1")" -eq 1 ]' 10 || fail "killed did not start"
pkill -KILL -f "^sleep $M\\.1\$"
engine_says "$D" 'killed +▸ exited \(killed by SIGKILL\)' 20 || fail "killed not seen"
engine_says "$D" 'loop +▸ fatal' 30 || fail "loop never fatal"
run_vigil stop stopped
expect_rc 0 "stop stopped"

C=$D/.vigil/crashes
report() { ls "$C" | grep "^$1-" | tail -1; }
for n in code segv killed; do
    [ -n "$(report $n)" ] && pass "$n: a report" || fail "$n: no report in $(ls "$C" | tr '\n' ' ')"
done
python3 - "$C" >"$T/chk" 2>&1 <<'PY' || fail "report contents: $(cat "$T/chk")"
import json, os, sys
d = sys.argv[1]
def last(name):
    fs = sorted(f for f in os.listdir(d) if f.startswith(name + "-"))
    return json.load(open(os.path.join(d, fs[-1])))
c = last("code")
assert c["exit_code"] == 3 and c["signal"] is None and c["ended"] == "status 3", c["ended"]
assert any(l["text"] == "about to fail" for l in c["logs"]), c["logs"]
assert c["command"].startswith("echo about to fail"), c["command"]
assert c["tree"] and c["tree"][0]["pid"] == c["pid"], c["tree"]
assert "tree_cpu" in c["metrics"] and len(c["metrics"]["rss"]) >= 1, c["metrics"]
s = last("segv")
assert s["signal"] == "SIGSEGV" and s["exit_code"] is None, s
k = last("killed")
assert k["signal"] == "SIGKILL" and not k["oom_kill"], k
print("contents ok")
PY
expect_grep "$T/chk" "contents ok" "reports carry the exit code, signal, last lines, tree and figures"
n=$(ls "$C" | grep -c '^loop-' || true)
[ "$n" -eq 3 ] && pass "crash loop: 3 reports kept (crash_reports: 3)" || fail "crash loop: $n reports"
[ -z "$(report clean)" ] && pass "a clean exit: no report" || fail "clean left a report"
[ -z "$(report stopped)" ] && pass "a requested stop: no report" || fail "stopped left a report"

if grep -q 'memory limit' "$D/out" || "$VIGIL" check -f "$D/vigil.yaml" | grep -q 'memory limit'; then
    engine_says "$D" 'hungry +▸ exited \(killed by the OOM killer' 20 &&
        pass "OOM: named" || fail "OOM: $(grep hungry "$D/out" | tail -2)"
    python3 -c 'import json,os,sys; d=sys.argv[1]; f=sorted(x for x in os.listdir(d) if x.startswith("hungry-"))[-1]; r=json.load(open(os.path.join(d,f))); sys.exit(not (r["oom_kill"] and r["signal"] == "SIGKILL"))' "$C" &&
        pass "OOM: the report says oom_kill" || fail "OOM: report"
else
    echo "   skipped OOM: no cgroup memory limit here"
fi

run_vigil down
expect_rc 0 "down"
engine_wait 15 || fail "engine still runs"

# Listed and shown with no engine running.
run_vigil crashes
expect_rc 0 "crashes"
expect_grep "$T/out" '^ID +PROCESS +WHEN +ENDED$' "crashes: the header"
expect_grep "$T/out" '^segv-[0-9T.]+Z +segv +.* killed by SIGSEGV' "crashes: segv listed"
run_vigil crashes code --json
expect_rc 0 "crashes code --json"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert len(a)==1 and a[0]["name"]=="code", a' "$T/out" &&
    pass "crashes NAME --json: only that process" || fail "crashes code --json: $(cat "$T/out")"
id=$(report segv | sed 's/\.json$//')
run_vigil crashes show "$id"
expect_rc 0 "crashes show"
expect_grep "$T/out" '^segv \(stack stack\): killed by SIGSEGV' "show: how it ended"
expect_grep "$T/out" '^  [0-9:]{8} \| segv$' "show: its last lines"
expect_grep "$T/out" '^pid [0-9]+ · up [0-9.]+s · ' "show: the uptime in seconds"
expect_grep "$T/out" '^last minute: cpu [0-9.]+% -> [0-9.]+%, memory [0-9.]+[BKMG] -> [0-9.]+[BKMG] \(' "show: memory as sizes"
# A crash loop's report: the lines of earlier runs, then this run's, marked.
run_vigil crashes show "$(report loop | sed 's/\.json$//')"
expect_grep "$T/out" '^  -- this run \(pid [0-9]+\) --$' "show: where this run's lines begin"
# A process named show: `vigil crashes show` lists its reports.
engine_says "$D" 'show +▸ exited \(status 2\)' 20 || fail "show did not exit"
run_vigil crashes show
expect_rc 0 "crashes show, for a process named show"
expect_grep "$T/out" '^show-[0-9T.]+Z +show +' "crashes show: the process show's report"
run_vigil crashes show "$(report show | sed 's/\.json$//')"
expect_grep "$T/out" '^show \(stack stack\): status 2 at ' "crashes show ID still shows one"
run_vigil crashes nosuch
expect_rc 2 "crashes of a process the stack does not have"
expect_grep "$T/err" "no process named 'nosuch'" "crashes NAME: says it is no process"
run_vigil crashes clean
expect_rc 0 "crashes of a process that never crashed"
expect_line "$T/out" "no crash reports for clean" "says it has none"
run_vigil crashes show nosuch
expect_rc 1 "show of an unknown id"
expect_grep "$T/err" "no crash report 'nosuch'" "show: says which"
finish
