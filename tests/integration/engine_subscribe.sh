#!/bin/sh
# Subscribers of a real engine: two of them receive the same state events
# in the same order; one that never reads does not delay another client's
# `status`, and the engine goes on.
. "$(dirname "$0")/lib.sh"

D=$T/stack
mkdir -p "$D"
cat >"$D/vigil.yaml" <<YAML
processes:
  api: {command: "while :; do echo tick; sleep 0.01; done"}
YAML
engine_start "$D"
wait_for "[ -S '$D/.vigil/control.sock' ]" 10 || fail "no control socket"
cd "$D"
wait_for '"$VIGIL" wait --timeout 1s >/dev/null 2>&1' 15 || fail "never ready"

python3 - "$D/.vigil/control.sock" "$VIGIL" >"$T/sub" 2>&1 <<'PY' || fail "the subscriber script failed"
import json, socket, subprocess, sys, time
path, vigil = sys.argv[1], sys.argv[2]

def connect(topics):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall((json.dumps({"id": 1, "cmd": "subscribe", "topics": topics}) + "\n").encode())
    return s

a, b = connect(["state"]), connect(["state"])
lazy = connect(["logs"])        # subscribes to the busy topic and never reads
subprocess.run([vigil, "restart", "api"], check=True, stdout=subprocess.DEVNULL)
subprocess.run([vigil, "wait", "api", "--timeout", "10s"], check=True)

def states(s):
    f = s.makefile("r")
    out, deadline = [], time.time() + 10
    s.settimeout(10)
    for line in f:
        m = json.loads(line)
        if m.get("event") == "state":
            out.append((m["data"]["name"], m["data"]["state"]))
            if m["data"]["state"] == "running" and len(out) > 1:
                break
        if time.time() > deadline:
            break
    return out

sa, sb = states(a), states(b)
print("a:", sa)
print("b:", sb)
print("same:", sa == sb and len(sa) >= 3)
# The lazy client has not read a byte for seconds of output; others are served.
t = time.time()
for _ in range(5):
    subprocess.run([vigil, "status"], check=True, stdout=subprocess.DEVNULL)
print("status_ms:", int((time.time() - t) * 1000 / 5))
lazy.close()
PY
cat "$T/sub"
expect_line "$T/sub" "same: True" "two subscribers see the same events in the same order"
expect_grep "$T/sub" "a: \[\('api', 'stopping'\), \('api', 'stopped'\), \('api', 'pending'\), \('api', '(starting|running)'\)" "stop, stopped, pending, started"
ms=$(sed -n 's/^status_ms: //p' "$T/sub")
[ -n "$ms" ] && [ "$ms" -lt 2000 ] && pass "status answered in ${ms} ms beside a subscriber that never reads" || fail "status slow or missing: $ms"
run_vigil down
expect_rc 0 "down"
engine_wait 10 || fail "engine still runs"

# An engine whose stdout is /dev/null prints no line, yet a `logs -f`
# subscriber gets every new one.
D2=$T/quiet
mkdir -p "$D2"
cat >"$D2/vigil.yaml" <<YAML
processes:
  api: {command: "i=0; while :; do i=\$((i+1)); echo line \$i; sleep 0.02; done"}
YAML
ENGINE_OUT=/dev/null engine_start "$D2"
cd "$D2"
wait_for '"$VIGIL" wait --timeout 1s >/dev/null 2>&1' 15 || fail "quiet: never ready"
timeout 3 "$VIGIL" logs -f -n 1 api >"$T/quiet.out" 2>&1 || true
n=$(grep -c "line [0-9]*$" "$T/quiet.out" || true)
[ "$n" -ge 20 ] && pass "logs -f got $n lines from an engine printing to /dev/null" || fail "logs -f got $n lines"
run_vigil down
expect_rc 0 "quiet: down"
engine_wait 10 || fail "quiet: engine still runs"
finish
