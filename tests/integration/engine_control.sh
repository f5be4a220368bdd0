#!/bin/sh
# The control socket of a running engine, through the CLI: status (table,
# JSON, exit 0/3), stop/start/restart by name, replica, @group and #tag,
# signal, logs (tail and grep), wait, errors for targets that match
# nothing, malformed requests answered while the engine goes on, down.
. "$(dirname "$0")/lib.sh"

D=$T/stack
mkdir -p "$D"
cat >"$D/vigil.yaml" <<YAML
processes:
  db: {command: "echo db up; exec sleep $M.1", ready: {log: "db up"}, group: data, tags: [core]}
  api: {command: "trap 'echo got HUP' HUP; while :; do echo tick; sleep 0.1; done",
        depends_on: {db: ready}, group: web, replicas: 2}
  job: {command: "echo job done", kind: oneshot}
YAML
engine_start "$D"
wait_for "[ -S '$D/.vigil/control.sock' ]" 10 || fail "no control socket"
if [ "$(stat -c %a "$D/.vigil/control.sock")" = 600 ]; then pass "socket mode 0600"; else fail "socket mode"; fi

# Commands find the engine from the stack's folder, like git finds .git.
mkdir -p "$D/sub/dir"
cd "$D/sub/dir"
wait_for '"$VIGIL" wait --timeout 1s >/dev/null 2>&1' 15 || fail "the stack never got ready"
run_vigil status
expect_rc 0 "status: everything good"
expect_grep "$T/out" '^NAME +STATE +PID +CPU% +MEM +UPTIME +RESTARTS +HEALTH +GROUP +TAGS$' "status header"
expect_grep "$T/out" '^db +running +[0-9]+ .* data +core$' "db row"
expect_grep "$T/out" '^api:1 +running ' "replica rows"
expect_grep "$T/out" '^job +completed +- ' "oneshot row"

run_vigil stop api:1
expect_rc 0 "stop a replica"
# It returns once the process is down (as systemctl stop), saying how it ended.
expect_grep "$T/out" '^api:1: stopped \(' "names what it stopped and how it ended"
"$VIGIL" status api:1 | grep -q "^api:1 *stopped *- " && pass "api:1 stopped, no pid, when stop returns" ||
    fail "api:1 not stopped when stop returned"
run_vigil status
expect_rc 3 "status: 3 when a process is not good"
run_vigil wait api --timeout 2s
expect_rc 3 "wait gives up at once on a stopped process"
expect_grep "$T/err" "api:1 is stopped" "and says which"
run_vigil start @web
expect_rc 0 "start a group"
run_vigil wait --timeout 10s
expect_rc 0 "wait: all ready again"

old=$("$VIGIL" status --json db | python3 -c 'import json,sys; print(json.load(sys.stdin)["processes"][0]["pid"])')
run_vigil restart '#core'
expect_rc 0 "restart by tag"
# It returns once db runs its new process (as systemctl restart).
expect_grep "$T/out" '^db: running' "restart: says where db is"
new=$("$VIGIL" status --json db | python3 -c 'import json,sys; p=json.load(sys.stdin)["processes"][0]; print(p["pid"] if p["state"]=="running" else 0)')
[ "$new" != 0 ] && [ "$new" != "$old" ] && pass "restart: db runs a new process when restart returns" ||
    fail "restart returned before db ran again ($old -> $new)"
wait_for "[ \"\$(\"$VIGIL\" status --json db | python3 -c 'import json,sys; p=json.load(sys.stdin)[\"processes\"][0]; print(p[\"pid\"] if p[\"state\"]==\"running\" else 0)')\" != 0 ] && [ \"\$(\"$VIGIL\" status --json db | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"processes\"][0][\"pid\"])')\" != $old ]" 10 \
    && pass "db restarted with a new pid" || fail "db pid unchanged after restart"

run_vigil signal HUP api:0
expect_rc 0 "signal"
engine_says "$D" 'api:0 +\| got HUP' 5 && pass "the process got the signal" || fail "no HUP seen"
run_vigil signal HUP job
expect_rc 1 "signal to a process that does not run"
run_vigil signal HUPP api
expect_rc 2 "unknown signal name"
expect_line "$T/err" "vigil: unknown signal 'HUPP' (did you mean 'SIGHUP'?)" "suggests the signal"

run_vigil stop nothing
expect_rc 2 "a target that matches nothing is a usage error, as for up NAME"
expect_line "$T/err" "vigil: no process or group named nothing" "says so"
run_vigil start @nogroup
expect_rc 2 "start of a group that does not exist"
expect_line "$T/err" "vigil: no group named nogroup" "groups too"
for verb in status logs wait export metrics; do
    run_vigil $verb nothing
    expect_rc 2 "$verb of a target that matches nothing"
done
run_vigil reload extra
expect_rc 2 "reload with an argument"
expect_grep "$T/err" "'reload' takes no TARGET" "reload: says it takes none"

run_vigil logs api:0 -n 3
expect_rc 0 "logs"
expect_lines "$T/out" 3 "-n 3 gives three lines"
expect_grep "$T/out" '^[0-9:]{8} api:0 +\| tick$' "prefixed like vigil up"
run_vigil logs --grep 'job done'
expect_grep "$T/out" ' job +\| job done$' "grep across processes"
run_vigil logs --json -n 1 job
expect_grep "$T/out" '"name":"job","ts":[0-9]+,"stream":"out","text":"job done"' "JSON lines"

# Another user is refused (the socket is 0600 in a 0700 folder; the
# engine also checks the peer's uid).
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
    RC=0
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$VIGIL" status \
        --socket "$D/.vigil/control.sock" >"$T/out" 2>"$T/err" || RC=$?
    expect_rc 1 "another user is refused"
    expect_grep "$T/err" "[Pp]ermission denied" "and told why"
fi

# attach --stdio carries the protocol over stdin/stdout (what ssh uses).
printf '{"id":5,"cmd":"version"}\n{"id":6,"cmd":"status","target":"job"}\n' | timeout 10 "$VIGIL" attach --stdio >"$T/attach" 2>&1
expect_grep "$T/attach" '^\{"id":5,"ok":true,"result":\{"version":' "attach: a reply per request"
expect_grep "$T/attach" '^\{"id":6,"ok":true,"result":\{"stack":"stack".*"name":"job"' "attach: in order"

# logs -f follows new lines until interrupted.
timeout 3 "$VIGIL" logs -f -n 1 api:1 >"$T/follow" 2>&1 || true
n=$(grep -c 'api:1 *| tick' "$T/follow" || true)
[ "$n" -ge 5 ] && pass "logs -f followed $n new lines" || fail "logs -f printed $n lines"
expect_no_grep "$T/follow" 'api:0' "only the target's lines"

# Malformed input gets an error reply; the engine and the connection go on.
python3 - "$D/.vigil/control.sock" >"$T/raw" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"id":1,"cmd":"bogus"}\nnot json\n' + b'x' * (2 << 20) + b'\n{"id":2,"cmd":"version"}\n')
s.shutdown(socket.SHUT_WR)
print(s.makefile().read())
PY
expect_line "$T/raw" '{"id":1,"ok":false,"error":"unknown command '"'"'bogus'"'"'"}' "unknown command"
expect_line "$T/raw" '{"id":null,"ok":false,"error":"invalid JSON"}' "invalid JSON"
expect_grep "$T/raw" 'too long' "an oversized line"
expect_grep "$T/raw" '^\{"id":2,"ok":true,"result":\{"version":' "the connection still works"

run_vigil down
expect_rc 0 "down"
expect_line "$T/out" "stack is down" "down waits for the engine"
engine_wait 10 || fail "the engine still runs after down"
expect_grep "$D/out" 'vigil +▸ stack stack is down \(exit status 0\)' "a clean end"
[ "$(count_procs "sleep $M.1")" -eq 0 ] && pass "nothing left running" || fail "processes left"
run_vigil status
expect_rc 1 "status with no engine"
expect_grep "$T/err" "^vigil: no running stack found here" "says so"
finish
