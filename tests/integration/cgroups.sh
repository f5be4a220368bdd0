#!/bin/sh
# Cgroups where the machine has them: a memory limit of 50 MB ends a child
# that wants 100 MB and vigil says the OOM killer did it; a CPU limit of 50 %
# holds a busy loop near half a core; a process that left its process
# group (setsid) is still stopped with its service, and still killed by the
# guardian when the engine is killed with SIGKILL; a daemon whose parent
# exited (so no ppid links it to its service) still counts in the service's
# tree; no cgroup is left behind.
. "$(dirname "$0")/lib.sh"

D=$T/stack
mkdir -p "$D"
cat >"$D/vigil.yaml" <<YAML
version: 1
settings: {sample_interval: 500ms}
processes:
  hungry:
    command: ["python3", "-c", "import time; print('start', flush=True); b = b'\\\\x01' * (100 << 20); time.sleep(100)"]
    restart: "no"
    limits: {memory: 50MB}
  capped:
    command: ["sh", "-c", "while :; do :; done"]
    limits: {cpu: 50%}
  runaway:
    command: "setsid sleep $M.1 & echo escaped; sleep $M.2"
  daemon:
    command: "sh -c 'setsid sleep $M.3 &'; echo forked; exec sleep $M.4"
  crowd:
    command: "i=0; while [ \$i -lt 800 ]; do sleep $M.5 & i=\$((i+1)); done; echo spawned; wait"
YAML
"$VIGIL" check -f "$D/vigil.yaml" >"$T/check" 2>&1
if ! grep -q 'memory limit' "$T/check" || ! grep -q '^  cgroup' "$T/check"; then
    echo "   skipped: no cgroup with limits here: $(grep cgroup "$T/check")"
    finish
    exit 0
fi
pass "check names the cgroup mode: $(grep '^  cgroup' "$T/check" | sed 's/^ *//')"
engine_start "$D"
cd "$D"
engine_says "$D" 'hungry +▸ exited \(killed by the OOM killer \(memory limit 50MB\)\)' 30 &&
    pass "the 100 MB child under a 50 MB limit: killed by the OOM killer, and vigil says so" ||
    fail "no OOM exit: $(grep hungry "$D/out" | tail -3)"
engine_says "$D" 'runaway +\| escaped' 15 || fail "runaway did not start"
wait_for '[ "$(count_procs "^sleep $M\\.1$")" -eq 1 ]' 10 || fail "the escaped sleep is not running"

# Half a core: read over 3 s from the kernel's own counter of the cgroup.
python3 - "$VIGIL" >"$T/cpu" 2>&1 <<'PY' || fail "cpu script failed"
import json, subprocess, sys, time
vigil = sys.argv[1]
time.sleep(0.1)
vals = []
for _ in range(8):
    time.sleep(0.5)
    s = json.loads(subprocess.run([vigil, "status", "--json", "capped"], stdout=subprocess.PIPE, text=True).stdout)
    m = s["processes"][0]["metrics"]
    if m:
        vals.append(m["tree_cpu"])
        cg = m["cgroup"]
print("capped %.1f cgroup %s" % (sum(vals[2:]) / max(1, len(vals) - 2), cg))
PY
cat "$T/cpu"
v=$(sed -n 's/^capped \([0-9.]*\) .*/\1/p' "$T/cpu")
# At most half a core (a busy machine may give it less, never more).
awk -v v="$v" 'BEGIN { exit !(v >= 10 && v <= 60) }' && pass "a busy loop limited to 50 % reads $v %" ||
    fail "the CPU-limited loop reads $v %"
expect_grep "$T/cpu" 'cgroup True' "its CPU comes from its cgroup"

# The daemon's tree: its cgroup's members, the orphaned sleep included.
engine_says "$D" 'daemon +\| forked' 15 || fail "daemon did not start"
wait_for '[ "$(count_procs "^sleep $M\\.3$")" -eq 1 ]' 10 || fail "the daemonized sleep is not running"
orphan=$(pgrep -f "^sleep $M\\.3$")
wait_for '"$VIGIL" status --json daemon | python3 -c "import json,sys; m=json.load(sys.stdin)[\"processes\"][0][\"metrics\"]; sys.exit(not (m and m[\"tree_procs\"] == 2))"' 10 &&
    pass "a daemon whose parent exited counts in its service's tree (2 processes)" ||
    fail "daemon's tree: $("$VIGIL" status --json daemon)"
python3 - "$D/.vigil/control.sock" >"$T/tree" 2>&1 <<'PY' || fail "history request failed: $(cat "$T/tree")"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"id":1,"cmd":"history","targets":["daemon"]}\n')
r = json.loads(s.makefile("r").readline())
print(" ".join("%d:%s" % (m["pid"], m["name"]) for m in r["result"]["processes"][0]["tree"]))
PY
expect_grep "$T/tree" "(^| )$orphan:sleep( |$)" "the orphan ($orphan) is in the tree the detail view shows"

# A tree longer than one read of cgroup.procs (800 pids do not fit in 4 KiB).
engine_says "$D" 'crowd +\| spawned' 60 || fail "crowd did not start its 800 children"
wait_for '"$VIGIL" status --json crowd | python3 -c "import json,sys; m=json.load(sys.stdin)[\"processes\"][0][\"metrics\"]; sys.exit(not (m and m[\"tree_procs\"] == 801))"' 15 &&
    pass "a service with 800 children: 801 processes in its tree" ||
    fail "crowd's tree: $("$VIGIL" status --json crowd | python3 -c 'import json,sys; print(json.load(sys.stdin)["processes"][0]["metrics"].get("tree_procs"))')"
run_vigil stop crowd
expect_rc 0 "stop crowd"
wait_for '[ "$(count_procs "^sleep $M\\.5$")" -eq 0 ]' 20 || fail "crowd's children left: $(count_procs "^sleep $M\\.5$")"

# Stopping the service ends the process that left its group.
run_vigil stop runaway
expect_rc 0 "stop runaway"
wait_for '[ "$(count_procs "^sleep $M\\.1$")" -eq 0 ]' 10 && pass "stop: the setsid'd process went with its cgroup" ||
    fail "stop: $(count_procs "sleep $M\\.1") escaped process(es) left"
run_vigil start runaway
wait_for '[ "$(count_procs "^sleep $M\\.1$")" -eq 1 ]' 10 || fail "runaway did not start again"

# SIGKILL to the engine: the guardian kills the cgroup's processes too, and removes the cgroups.
kill -9 "$ENGINE_PID"
wait_for '[ "$(count_procs "sleep $M\\.")" -eq 0 ]' 15 && pass "kill -9 of the engine: the escaped process is gone too" ||
    fail "kill -9: $(count_procs "sleep $M\\.") left"
engine_wait 5 || true
stack=$(basename "$D")
wait_for "! ls -d /sys/fs/cgroup/*/vigil/$stack /sys/fs/cgroup/*/*/*/vigil/$stack >/dev/null 2>&1" 10 &&
    pass "no cgroup left behind" || fail "cgroups left: $(ls -d /sys/fs/cgroup/*/vigil/$stack* /sys/fs/cgroup/*/*/*/vigil/$stack* 2>/dev/null)"
finish
