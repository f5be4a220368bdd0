#!/bin/sh
# Alerts from real processes: a busy loop fires "cpu > 50% for 2 samples",
# holds, and resolves when it stops; a crash loop fires "restarts > 2 in
# 1m" (critical); a talker fires a log rule; `vigil alerts` lists them,
# `alerts ack` acknowledges; an exec notifier gets each as JSON on stdin,
# once per cooldown.
. "$(dirname "$0")/lib.sh"

D=$T/stack
mkdir -p "$D"
cat >"$D/vigil.yaml" <<YAML
version: 1
settings: {sample_interval: 200ms}
processes:
  busy:
    command: "while :; do :; done"
    alerts: ["cpu > 50% for 2 samples"]
  crashy:
    command: "sleep 0.1; exit 1"
    backoff: {initial: 100ms, max: 100ms}
    max_restarts: 50
    alerts:
      - {rule: "restarts > 2 in 1m", severity: critical}
  talker:
    command: "while :; do echo 'ERROR boom'; sleep 0.2; done"
    alerts: ['log =~ "ERROR" > 2 in 10s']
  quiet:
    command: "exec sleep $M.1"
alerts:
  cooldown: 1h
  notify: {exec: "cat >> '$T/notified.jsonl'; echo >> '$T/notified.jsonl'"}
  rules:
    - {rule: "memory > 1TB", target: "#none"}
YAML
engine_start "$D"
cd "$D"
engine_says "$D" 'alert warning fired: busy: cpu > 50% for 2 samples \(now [0-9.]+%\)' 20 &&
    pass "busy: the CPU rule fired" || fail "busy: no alert: $(grep alert "$D/out" | head -3)"
engine_says "$D" 'alert critical fired: crashy: restarts > 2 in 1m' 20 &&
    pass "crashy: the restarts rule fired (critical)" || fail "crashy: no alert"
engine_says "$D" 'alert warning fired: talker: log =~ "ERROR" > 2 in 10s' 20 &&
    pass "talker: the log rule fired" || fail "talker: no alert"
expect_no_grep "$D/out" 'quiet.*alert|memory > 1TB' "no alert for what does not hold"
n=$(grep -c 'fired: busy' "$D/out")
[ "$n" -eq 1 ] && pass "busy: fired once while it holds" || fail "busy: fired $n times"

run_vigil alerts
expect_rc 0 "alerts"
expect_grep "$T/out" '^ID +SEVERITY +STATE +FIRED +ALERT$' "alerts: the header"
expect_grep "$T/out" '^[0-9]+ +critical +active +[0-9:]{8} crashy: restarts > 2 in 1m' "alerts: crashy listed"
run_vigil alerts --json
id=$(python3 -c 'import json,sys; a=[x for x in json.load(open(sys.argv[1])) if x["target"]=="busy"]; print(a[0]["id"])' "$T/out")
run_vigil alerts ack "$id"
expect_rc 0 "alerts ack $id"
engine_says "$D" 'alert warning acknowledged: busy:' 10 && pass "ack: said" || fail "ack: not said"
run_vigil alerts
expect_grep "$T/out" "^$id +warning +acknowledged" "alerts: acknowledged"
run_vigil alerts ack 99999
expect_rc 1 "ack of an unknown id"
expect_grep "$T/err" 'no active, unacknowledged alert 99999' "ack: says which"

# It stops holding: resolved (after the hysteresis), listed under --all.
run_vigil stop busy
engine_says "$D" 'alert warning resolved: busy: cpu > 50%' 15 && pass "busy: resolved once stopped" ||
    fail "busy: not resolved"
run_vigil alerts --all
expect_grep "$T/out" "^$id +warning +resolved" "alerts --all: the resolved one"

# The notifier: each fired alert as JSON, once (cooldown 1h), resolves too.
wait_for '[ "$(grep -c "\"event\":\"resolved\"" "$T/notified.jsonl" 2>/dev/null)" -ge 1 ]' 10 || true
python3 - "$T/notified.jsonl" >"$T/n" 2>&1 <<'PY' || fail "notifier: $(cat "$T/n")"
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
fired = [m for m in msgs if m["event"] == "fired"]
names = sorted({m["alert"]["target"] for m in fired})
assert names == ["busy", "crashy", "talker"], names
assert all(m["stack"] == "stack" and m["alert"]["severity"] in ("warning", "critical") for m in msgs)
assert any(m["event"] == "resolved" and m["alert"]["target"] == "busy" for m in msgs), msgs
assert len([m for m in fired if m["alert"]["target"] == "busy"]) == 1
print("notified ok", len(msgs))
PY
expect_grep "$T/n" "notified ok" "notifier: valid JSON on stdin for each, once per pair"

run_vigil down
expect_rc 0 "down"
engine_wait 15 || fail "engine still runs"
finish
