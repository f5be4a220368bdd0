#!/bin/sh
# Each readiness probe against a real program: redis-server with a log
# probe, python3's http.server with an http probe (and a tcp health probe),
# Debian's systemd-notify with a notify probe, a tcp probe and an exec probe
# that pass only once the test allows it, and a ready probe that times out,
# after which the restart policy decides.
. "$(dirname "$0")/lib.sh"

set -- $(free_ports 3)
RP=$1 HP=$2 TP=$3
mkdir -p "$T/p/www"
spawn_stamp "$T/p" # the children whose timeouts are timed source it first
echo "hello from www" >"$T/p/www/hello.txt"
cat >"$T/p/vigil.yaml" <<EOF
version: 1
name: probes
settings: {shutdown_timeout: 20s}
processes:
  redis:
    command: [redis-server, --port, "$RP", --bind, 127.0.0.1, --save, "", --appendonly, "no"]
    ready: {log: "Ready to accept connections", timeout: 30s}
  ping:
    command: [redis-cli, -h, 127.0.0.1, -p, "$RP", ping]
    kind: oneshot
    depends_on: {redis: ready}
  web:
    command: [python3, -m, http.server, --bind, 127.0.0.1, "$HP"]
    cwd: ./www
    ready: {http: "http://127.0.0.1:$HP/hello.txt", interval: 100ms, timeout: 30s}
    health: {tcp: "127.0.0.1:$HP", interval: 300ms, timeout: 2s}
  fetch:
    command: [curl, -sS, --fail, "http://127.0.0.1:$HP/hello.txt"]
    kind: oneshot
    depends_on: {web: ready}
  notified:
    command: "sleep 0.3; systemd-notify --ready --status=up; exec sleep $M.1"
    ready: {notify: true, timeout: 30s}
  listener:
    command: [python3, -c, "import os, socket, time\nwhile not os.path.exists('go-tcp'): time.sleep(0.05)\ns = socket.socket(); s.bind(('127.0.0.1', $TP)); s.listen()\nprint('listening', flush=True)\ntime.sleep(1000)"]
    ready: {tcp: "127.0.0.1:$TP", interval: 100ms, timeout: 30s}
  checked:
    command: "exec sleep $M.2"
    ready: {exec: "test -f go-exec", interval: 100ms, timeout: 30s}
  slow-retry:
    command: ". ./stamp; exec sleep $M.3"
    ready: {exec: "false", interval: 200ms, timeout: 1s}
    stop_timeout: 1500ms
    restart: on-failure
    max_restarts: 3
    backoff: {initial: 100ms, max: 100ms}
  crash-early: # the first instance dies while starting, the second stays
    command: ". ./stamp; if [ -f crashed ]; then exec sleep $M.5; fi; touch crashed; sleep 1; exit 1"
    ready: {exec: "false", interval: 200ms, timeout: 3s}
    backoff: {initial: 100ms}
    max_restarts: 1000 # never fatal however slowly the test reaches its end: stopped there
  slow-once:
    command: "exec sleep $M.4"
    ready: {exec: "exit 7", interval: 200ms, timeout: 1s}
    restart: "no"
EOF
O=$T/p/out
engine_start "$T/p"

# tcp and exec: not ready while the test holds them back.
engine_says "$T/p" 'listener +▸ starting' 20 || fail "listener never started"
engine_says "$T/p" 'checked +▸ starting' 20 || fail "checked never started"
engine_says "$T/p" 'notified +▸ ready' 20 || fail "notified never ready"
expect_no_grep "$O" 'listener +▸ ready' "tcp: not ready before the port listens"
expect_no_grep "$O" 'checked +▸ ready' "exec: not ready before the command passes"
touch "$T/p/go-tcp" "$T/p/go-exec"

engine_says "$T/p" 'listener +▸ ready' 20 || fail "listener never ready"
engine_says "$T/p" 'checked +▸ ready' 20 || fail "checked never ready"
engine_says "$T/p" 'redis +▸ ready' 30 || fail "redis never ready"
engine_says "$T/p" 'ping +▸ (completed|failed)' 20 || fail "ping never ended"
engine_says "$T/p" 'fetch +▸ (completed|failed)' 30 || fail "fetch never ended"
engine_says "$T/p" 'web +▸ healthy' 20 || fail "web never healthy"
engine_says "$T/p" 'slow-retry +▸ fatal' 20 || fail "slow-retry never fatal"
engine_says "$T/p" 'slow-once +▸ exited' 20 || fail "slow-once never exited"
engine_says "$T/p" 'crash-early +▸ backoff \(not ready' 20 || fail "crash-early never timed out"

expect_grep "$O" '^[0-9:]{8} redis +▸ ready \(log matched\)$' "log: redis ready on its log line"
expect_before "$O" 'redis +\| .*Ready to accept connections' 'redis +▸ ready' "log: the line came first"
expect_grep "$O" '^[0-9:]{8} ping +\| PONG$' "redis answers the dependent"
expect_grep "$O" '^[0-9:]{8} ping +▸ completed \(status 0\)$' "ping completed"

expect_grep "$O" '^[0-9:]{8} web +▸ ready \(http 200 in [0-9.]+ms\)$' "http: web ready on 200"
expect_grep "$O" '^[0-9:]{8} fetch +\| hello from www$' "web serves the dependent"
expect_grep "$O" '^[0-9:]{8} web +▸ healthy \(tcp 127\.0\.0\.1:'"$HP"'.*\)$' "tcp health: web healthy"

expect_grep "$O" '^[0-9:]{8} notified +\| \[notify\] STATUS=up$' "notify: STATUS shown"
expect_grep "$O" '^[0-9:]{8} notified +▸ ready \(READY=1\)$' "notify: ready on READY=1"

expect_grep "$O" '^[0-9:]{8} listener +▸ ready \(tcp 127\.0\.0\.1:'"$TP"'.*\)$' "tcp: listener ready"
expect_grep "$O" '^[0-9:]{8} checked +▸ ready \(exec exit 0.*\)$' "exec: checked ready"

# Timed out: the policy restarts, then gives up; "no" leaves it exited.
# (On a loaded machine the timeout may come before the first attempt
# reported, without "(last: …)".)
for i in 1 2 3; do echo "backoff (not ready after 1s; killed by SIGTERM; restart in 100ms)"; done >"$T/want"
echo "fatal (not ready after 1s; killed by SIGTERM; 3 restarts in 1m, giving up)" >>"$T/want"
grep -E '^[0-9:]{8} slow-retry +▸ (backoff|fatal)' "$O" |
    sed 's/^[0-9:]* slow-retry *▸ //; s/ (last: exec exit 1)//' >"$T/got" || true
expect_grep "$O" '^[0-9:]{8} slow-retry +▸ backoff \(not ready after 1s \(last: exec exit 1\);' \
    "ready timeout: the last attempt is named"
if cmp -s "$T/want" "$T/got"; then pass "ready timeout: 3 restarts by on-failure, then fatal"; else
    fail "ready timeout: slow-retry's states"; diff "$T/want" "$T/got" >&2 || true; fi
expect_grep "$O" '^[0-9:]{8} slow-once +▸ exited \(not ready after 1s( \(last: exec exit 7\))?; killed by SIGTERM\)$' \
    "ready timeout: exited with restart no"
L=$T/p/.vigil/logs/slow-retry.log
expect_grep "$L" '^[0-9T:.-]+Z err not ready after 1s' "ready timeout in the log file"
python3 -c '
import glob, json, sys
ended = [json.load(open(f))["ended"] for f in glob.glob(sys.argv[1] + "/slow-retry-*.json")]
assert ended and all(e.startswith("not ready after 1s") and e.endswith("killed by SIGTERM") for e in ended), ended
' "$T/p/.vigil/crashes" && pass "ready timeout: the crash reports say it" || fail "crash reports of slow-retry"

# timeouts LOG — for each instance (the child sources the stamp first), the
# ms from its spawn to the engine's "not ready after" note, or "none".
timeouts() {
    spawn_ms <"$1" | python3 -c '
import sys, datetime
spawn, out = None, []
for line in sys.stdin:
    stamp, stream, text = line.rstrip("\n").split(" ", 2)
    if stream == "out":
        if spawn is not None:
            out.append("none")
        spawn = int(text)
    elif text.startswith("not ready after") and spawn is not None:
        dt = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
        out.append(str(int(dt.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000 - spawn)))
        spawn = None
if spawn is not None:
    out.append("none")
print(" ".join(out))
'
}
# Each instance's timeout counts from its own spawn (-5% for the clocks'
# ticks, +50% + 100 ms): nothing of an earlier instance fires on a later one.
set -- $(timeouts "$L")
if [ $# -eq 4 ]; then pass "slow-retry: 4 instances"; else fail "slow-retry: $# instances ($*)"; fi
for ms in "$@"; do
    if [ "$ms" != none ] && [ "$ms" -ge 950 ] && [ "$ms" -le 1600 ]; then pass "slow-retry: not ready after ${ms}ms"; else
        fail "slow-retry: not ready after ${ms}ms, expected 1000"; fi
done
expect_no_grep "$O" 'slow-retry +▸ .*SIGKILL' "slow-retry: SIGTERM was enough every time"
set -- $(timeouts "$T/p/.vigil/logs/crash-early.log")
if [ "${1:-}" = none ] && [ -n "${2:-}" ] && [ "$2" != none ] && [ "$2" -ge 2900 ] && [ "$2" -le 4600 ]; then
    pass "crash-early: the second instance's timeout counts from its spawn (${2}ms)"; else
    fail "crash-early: timeouts $*, expected none then 3000"; fi
expect_grep "$O" '^[0-9:]{8} crash-early +▸ backoff \(status 1; restart in 100ms\)$' "crash-early: crashed while starting"

kill -INT "$ENGINE_PID"
engine_wait 30 || fail "the engine did not stop"
expect_rc 1 "probes: slow-retry is fatal" "$T/p/err"
for p in redis web notified listener checked crash-early; do
    expect_grep "$O" "^[0-9:]{8} $p +▸ stopped" "$p stopped"
done
n=$(count_procs "sleep $M\\.")
if [ "$n" -eq 0 ]; then pass "nothing left running"; else fail "$n processes left"; fi

finish
