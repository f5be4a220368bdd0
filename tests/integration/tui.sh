#!/bin/sh
# The dashboard, driven in tmux against a real engine: `vigil up` on a
# terminal shows the stack; r restarts the selected process (its RESTARTS
# goes up, its PID changes), s stops it, S starts it; t filters by tag; /
# in the logs finds a line; the screen reflows on resize and says so when
# it is too small; q then d detaches and the stack runs on; `vigil monit`
# attaches again and q leaves; nothing is left running.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || { fail "tmux is missing (scripts/deps.sh installs it)"; finish; }

D=$T/shop
mkdir -p "$D"
cat >"$D/vigil.yaml" <<YAML
version: 1
name: shop
settings: {sample_interval: 500ms}
processes:
  db:
    command: "echo db ready; exec sleep $M.1"
    tags: [data]
    group: storage
  api:
    command: "i=0; while :; do i=\$((i+1)); echo hello \$i; sleep 0.2; done"
    group: web
  worker:
    command: "exec sleep $M.2"
    replicas: 2
    tags: [jobs]
    alerts: ["state == stopped"]
YAML

S="vigil-tui-$$"
export TMUX_TMPDIR="$T"
tmux -f /dev/null new-session -d -s "$S" -x 132 -y 43 \
    "cd '$D' && TERM=xterm-256color LANG=C.UTF-8 '$VIGIL' up; echo EXIT=\$?; sleep 60"
# On any way out: the tmux session, and the engines the dashboard started in the background.
cleanup_tmux() {
    # The test's own tmux server (TMUX_TMPDIR is its folder): every session and what runs in them.
    tmux kill-server 2>/dev/null || true
    for d in "$D" "$T/chatty" "$T/homes/alpha" "$T/homes/beta"; do
        [ -S "$d/.vigil/control.sock" ] && "$VIGIL" down -f "$d/vigil.yaml" >/dev/null 2>&1 || true
    done
}
trap 'cleanup_tmux; engines_stop; rm -rf "$T"' EXIT

screen() { tmux capture-pane -p -t "$S" >"$T/screen"; }
shows() { # REGEX SECONDS — waits until the screen matches
    _sh_re=$1
    wait_for 'screen; grep -Eq -- "$_sh_re" "$T/screen"' "$2"
}
row() { screen; grep -E "^$1 " "$T/screen" | head -1; }

shows '^worker:1 +running' 20 && pass "vigil up on a terminal shows the stack" || fail "no table: $(cat "$T/screen")"
expect_grep "$T/screen" '^vigil shop' "the header names the stack"
expect_grep "$T/screen" '^NAME +STATE +PID +CPU% +MEM +RESTARTS +UPTIME' "the table's columns"
cd "$D"
pid0=$("$VIGIL" status --json api | python3 -c 'import json,sys; print(json.load(sys.stdin)["processes"][0]["pid"])')

# Select api with the name filter, restart it.
tmux send-keys -t "$S" / a p i Enter
shows '^api +running' 5 || fail "filter: api not shown"
expect_no_grep "$T/screen" '^db ' "filter /api hides db"
tmux send-keys -t "$S" r
wait_for '[ "$("$VIGIL" status --json api | python3 -c "import json,sys; p=json.load(sys.stdin)[\"processes\"][0]; print(p[\"restarts\"], p[\"pid\"] != $pid0 and p[\"state\"] == \"running\")")" = "1 True" ]' 15 &&
    pass "r: restarted (RESTARTS 1, a new PID)" || fail "r: $("$VIGIL" status api)"
shows '^api +running +[0-9]+ .* 1 +[0-9]' 5 && pass "r: the table shows RESTARTS 1" || fail "r: table: $(row api)"
shows 'restart api: done' 5 && pass "r: the result in the footer" || fail "r: no result line"
tmux send-keys -t "$S" s
shows '^api +stopped' 10 && pass "s: stopped" || fail "s: $(row api)"
tmux send-keys -t "$S" S
shows '^api +running' 10 && pass "S: running again" || fail "S: $(row api)"

# An alert in the banner; a acknowledges it.
tmux send-keys -t "$S" Escape
"$VIGIL" stop worker:1 >/dev/null
shows 'warning: worker:1: state == stopped' 10 && pass "alert: the banner shows it" || fail "alert: $(sed -n 3p "$T/screen")"
tmux send-keys -t "$S" a
shows 'warning \(acknowledged\): worker:1' 10 && pass "alert: a acknowledged it" || fail "ack: $(sed -n 3p "$T/screen")"
tmux send-keys -t "$S" t j o b s Enter
shows 'warning \(acknowledged\): worker:1.*filter: #jobs' 5 && pass "alert: the filter is shown beside it" ||
    fail "alert and filter: $(sed -n 3p "$T/screen")"
"$VIGIL" start worker:1 >/dev/null
wait_for 'screen; ! grep -q "state == stopped" "$T/screen"' 10 && pass "alert: gone once resolved" ||
    fail "alert still shown: $(sed -n 3p "$T/screen")"

# Esc clears; t filters by a tag.
tmux send-keys -t "$S" Escape
shows '^db ' 5 || fail "Esc did not clear the filter"
tmux send-keys -t "$S" t j o b s Enter
shows 'filter: #jobs' 5 && pass "t: the filter is shown" || fail "t: no filter line"
expect_grep "$T/screen" '^worker:0 ' "t jobs: worker:0 shown"
expect_no_grep "$T/screen" '^(db|api) ' "t jobs: db and api hidden"
tmux send-keys -t "$S" Escape

# Logs: all processes, search for a line.
tmux send-keys -t "$S" l
shows 'logs: all processes' 5 && pass "l: the log pane merges every process" || fail "l: $(grep logs: "$T/screen")"
tmux send-keys -t "$S" Tab / h e l l o ' ' 1 Enter
shows 'logs: all processes · scrolled, [0-9]+ newer · /hello 1' 5 && pass "/ in the logs: searching" || fail "search: $(grep logs: "$T/screen")"
expect_grep "$T/screen" 'api +\| hello 1' "search: the matching line is on screen"
# Scrolled back (PgUp) while api prints: the pane keeps its lines, the count of newer ones grows.
newer() { sed -n 's/.*scrolled, \([0-9]*\) newer.*/\1/p' "$T/screen"; }
pane() { sed '1,/logs: all processes/d;$d' "$T/screen"; }
tmux send-keys -t "$S" Escape
wait_for 'screen; [ -n "$(pane | tail -1)" ]' 20 || fail "logs: the pane did not fill: $(pane)"
tmux send-keys -t "$S" PPage
shows 'logs: all processes · scrolled, [0-9]+ newer' 5 || fail "PgUp: $(grep logs: "$T/screen")"
n0=$(newer)
pane >"$T/pane0"
wait_for 'screen; [ "$(newer)" -ge $((n0 + 10)) ]' 15 || fail "PgUp: no new lines counted: $(grep logs: "$T/screen")"
pane >"$T/pane1"
cmp -s "$T/pane0" "$T/pane1" && pass "PgUp: the scrolled pane stays put as lines arrive" ||
    fail "PgUp: the pane moved: $(diff "$T/pane0" "$T/pane1" | head -6)"
tmux send-keys -t "$S" Escape Tab

# Resize: reflows; too small says so.
tmux resize-window -t "$S" -x 100 -y 30
shows '^worker:1 ' 5 && pass "resize to 100x30: redrawn" || fail "resize: $(head -5 "$T/screen")"
python3 -c 'import sys; sys.exit(any(len(l.rstrip("\n")) > 100 for l in open(sys.argv[1], encoding="utf-8")))' "$T/screen" &&
    pass "resize: nothing wider than 100 columns" || fail "resize: lines wider than the window"
tmux resize-window -t "$S" -x 70 -y 20
shows 'needs at least 80x24' 5 && pass "70x20: a clear message" || fail "small: $(cat "$T/screen")"
tmux resize-window -t "$S" -x 132 -y 43
shows '^worker:1 ' 5 || fail "back to 132x43"

# q, then d: detached; the stack runs on.
tmux send-keys -t "$S" q
shows 'Stop the stack\? \[y/N/d=detach\]' 5 && pass "q asks" || fail "q: no question"
tmux send-keys -t "$S" d
shows 'EXIT=0' 10 && pass "d: the dashboard ends with status 0" || fail "d: $(tail -3 "$T/screen")"
expect_grep "$T/screen" 'detached; the stack runs on' "d: says the stack runs on"
run_vigil status
expect_rc 0 "after detaching: every process still good"

# vigil monit attaches again; q leaves at once.
tmux kill-session -t "$S"
tmux -f /dev/null new-session -d -s "$S" -x 132 -y 43 \
    "cd '$D' && TERM=xterm-256color LANG=C.UTF-8 '$VIGIL' monit --refresh 0.5; echo EXIT=\$?; sleep 60"
shows '^api +running' 15 && pass "monit: attached" || fail "monit: $(cat "$T/screen")"
tmux send-keys -t "$S" q
shows 'EXIT=0' 10 && pass "monit: q detaches" || fail "monit q: $(tail -3 "$T/screen")"
run_vigil status
expect_rc 0 "after monit: still running"

# The engine goes away under monit: the screen says so, and attaches again
# when an engine is back; SIGTERM to the screen leaves a sane terminal.
tmux kill-session -t "$S"
tmux -f /dev/null new-session -d -s "$S" -x 132 -y 43 \
    "cd '$D' && TERM=xterm-256color LANG=C.UTF-8 '$VIGIL' monit --refresh 0.5; echo EXIT=\$?; stty -a | tr ' ;' '\\n\\n' | grep -qx -- -echo && echo ECHO=off || echo ECHO=on; sleep 60"
shows '^api +running' 15 || fail "monit 2: not attached"
run_vigil down
expect_rc 0 "down under monit"
shows 'the stack is down \(exit status 0\) — attaching again when it runs' 10 && pass "monit: the stack is down — attaching again" || fail "monit: no banner: $(sed -n 3p "$T/screen")"
(cd "$D" && "$VIGIL" up -d >/dev/null) || fail "up -d again"
shows '^api +running' 20 && pass "monit: attached again to the new engine" || fail "monit: did not come back"
expect_no_grep "$T/screen" 'the stack is down|engine gone' "monit: the banner is gone"
monit_pid=$(pgrep -f "vigil monit --refresh 0.5" | head -1)
[ -n "$monit_pid" ] && kill -TERM "$monit_pid"
shows 'EXIT=0' 10 && pass "SIGTERM: the screen ends" || fail "SIGTERM: $(tail -3 "$T/screen")"
shows '^ECHO=' 5 || true
expect_grep "$T/screen" '^ECHO=on$' "SIGTERM: the terminal echoes again (endwin ran)"

# monit with no stack: a clear message.
cd "$T"
run_vigil monit
expect_rc 1 "monit with no stack here"
expect_grep "$T/err" 'vigil top' "monit without a stack points to vigil top"

# vigil monit --ssh a --ssh b: two engines through ssh (a stand-in ssh here
# that runs the remote command locally in each "host's" home), one table.
for h in alpha beta; do
    mkdir -p "$T/homes/$h"
    cat >"$T/homes/$h/vigil.yaml" <<YAML
version: 1
name: st$h
processes:
  api: {command: "while :; do echo $h says hi; sleep 0.3; done"}
YAML
    (cd "$T/homes/$h" && "$VIGIL" up -d >/dev/null) || fail "ssh: $h did not start"
done
mkdir -p "$T/bin"
ln -sf "$VIGIL" "$T/bin/vigil"
cat >"$T/bin/fakessh" <<'SH'
#!/bin/sh
# ssh -T -o BatchMode=yes HOST COMMAND: COMMAND runs in $SSH_HOMES/HOST.
while [ $# -gt 2 ]; do case "$1" in -T) shift ;; -o) shift 2 ;; *) break ;; esac; done
[ "$1" = hang ] && exec sleep 60 # a host that never answers
cd "$SSH_HOMES/${1#*@}" || exit 255
shift
exec sh -c "$*"
SH
chmod +x "$T/bin/fakessh"
tmux kill-session -t "$S"
tmux -f /dev/null new-session -d -s "$S" -x 132 -y 43 \
    "cd '$T' && PATH='$T/bin':\$PATH VIGIL_SSH=fakessh SSH_HOMES='$T/homes' TERM=xterm-256color LANG=C.UTF-8 '$VIGIL' monit --ssh alpha --ssh me@beta --ssh hang; echo EXIT=\$?; sleep 60"
shows '^beta/api +running' 15 && pass "ssh: beta's api" || fail "ssh: $(sed -n 1,8p "$T/screen")"
shows '^alpha/api +running' 15 && pass "ssh: alpha's api in the same table" || fail "ssh: no alpha: $(sed -n 1,8p "$T/screen")"
expect_grep "$T/screen" 'hang: connecting' "ssh: the banner names the host that has not answered"
expect_grep "$T/screen" 'stalpha@alpha stbeta@beta|stbeta@beta stalpha@alpha' "ssh: the header names both stacks"
before=$(cd "$T/homes/beta" && "$VIGIL" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["processes"][0]["pid"])')
tmux send-keys -t "$S" / beta Enter r
wait_for '[ "$(cd "$T/homes/beta" && "$VIGIL" status --json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"processes\"][0][\"restarts\"])")" = 1 ]' 15 &&
    pass "ssh: r restarted beta's api on beta" || fail "ssh: restart did not reach beta"
after=$(cd "$T/homes/alpha" && "$VIGIL" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["processes"][0]["restarts"])')
[ "$after" = 0 ] && pass "ssh: alpha untouched" || fail "ssh: alpha restarted too"
[ "$before" != "" ] || fail "ssh: no pid for beta"
tmux send-keys -t "$S" q
shows 'EXIT=0' 10 && pass "ssh: q leaves" || fail "ssh q: $(tail -3 "$T/screen")"
# -f names the remote file; the remote shell gets it quoted.
cp "$T/homes/alpha/vigil.yaml" "$T/homes/alpha/it's a stack.yaml"
tmux kill-session -t "$S"
tmux -f /dev/null new-session -d -s "$S" -x 132 -y 43 \
    "cd '$T' && PATH='$T/bin':\$PATH VIGIL_SSH=fakessh SSH_HOMES='$T/homes' TERM=xterm-256color LANG=C.UTF-8 '$VIGIL' monit --ssh alpha -f \"it's a stack.yaml\"; echo EXIT=\$?; sleep 60"
shows '^api +running' 15 && pass "ssh: -f with a quote and a space reaches the remote stack" ||
    fail "ssh -f: $(sed -n 1,8p "$T/screen")"
tmux send-keys -t "$S" q
shows 'EXIT=0' 10 || fail "ssh -f q: $(tail -3 "$T/screen")"
for h in alpha beta; do (cd "$T/homes/$h" && "$VIGIL" down >/dev/null) || fail "ssh: $h down"; done

# A stack that ends by itself under the dashboard: it says so with the
# result, q leaves at once, and vigil up exits with the engine's status.
mkdir -p "$T/ends"
printf 'processes:\n  job: {command: "echo working; sleep 1; exit 1", kind: oneshot}\n' >"$T/ends/vigil.yaml"
tmux kill-session -t "$S"
tmux -f /dev/null new-session -d -s "$S" -x 132 -y 43 \
    "cd '$T/ends' && TERM=xterm-256color LANG=C.UTF-8 '$VIGIL' up; echo EXIT=\$?; sleep 60"
shows 'the stack is down \(exit status 1\) — q leaves' 20 && pass "ended: the banner says the stack ended, with its status" ||
    fail "ended: $(sed -n 1,6p "$T/screen")"
expect_grep "$T/screen" '^job +failed' "ended: the last states stay on screen"
expect_no_grep "$T/screen" 'engine gone' "ended: not taken for a lost engine"
tmux send-keys -t "$S" q
shows 'EXIT=1' 10 && pass "ended: q leaves at once, vigil up exits 1" || fail "ended q: $(tail -4 "$T/screen")"
expect_no_grep "$T/screen" 'runs on' "ended: does not say the stack runs on"

# A chatty process beside a slow one: once the chatty one has printed more
# lines than the dashboard holds, the slow one's lines are still in its pane.
L=$T/chatty
mkdir -p "$L"
cat >"$L/vigil.yaml" <<YAML
version: 1
name: chatty
processes:
  tick:
    command: "i=0; while :; do i=\$((i+1)); echo tick \$i; sleep 0.2; done"
  spam:
    command: "while :; do seq -f 'spam line %g' 1 2000; sleep 0.1; done"
YAML
tmux kill-session -t "$S"
tmux -f /dev/null new-session -d -s "$S" -x 132 -y 43 \
    "cd '$L' && TERM=xterm-256color LANG=C.UTF-8 '$VIGIL' up; echo EXIT=\$?; sleep 60"
shows '^spam +running' 20 || fail "chatty: no table: $(head -8 "$T/screen")"
tmux send-keys -t "$S" / '^tick$' Enter
shows 'logs: tick' 5 || fail "chatty: tick not selected: $(grep logs: "$T/screen")"
wait_for '[ "$(cd "$L" && "$VIGIL" logs spam -n 20000 | wc -l)" -ge 20000 ]' 30 ||
    fail "chatty: spam did not print 20000 lines"
shows 'spam line' 0 && fail "chatty: spam's lines in tick's pane" || true
wait_for 'screen; [ "$(grep -Ec "\| tick [0-9]+$" "$T/screen")" -ge 8 ]' 10 &&
    pass "chatty: the slow process's lines stay in its pane" ||
    fail "chatty: $(grep -Ec '\| tick [0-9]+$' "$T/screen") tick lines: $(sed -n '/logs: tick/,$p' "$T/screen")"
tmux send-keys -t "$S" q y
shows 'EXIT=' 20 || fail "chatty: q y did not end the dashboard"

# vigil top: every process on the host; filter to one of ours, k then y sends SIGTERM.
vname="vt$$"                    # a command name of our own: the filter finds only it
cp "$(command -v sleep)" "$T/$vname"
"$T/$vname" 1000 &
victim=$!
tmux kill-session -t "$S"
tmux -f /dev/null new-session -d -s "$S" -x 132 -y 43 \
    "TERM=xterm-256color LANG=C.UTF-8 '$VIGIL' top --refresh 0.5; echo EXIT=\$?; sleep 60"
shows '^vigil top host +[0-9]+ processes' 15 && pass "top: the host's processes" || fail "top: $(head -3 "$T/screen")"
expect_grep "$T/screen" '^ +PID +NAME +STATE +CPU%' "top: its columns"
expect_grep "$T/screen" 'k SIGTERM K SIGKILL T tree' "top: the footer lists top's keys"
expect_no_grep "$T/screen" 'r restart|t tag|g group' "top: none of the stack's keys in the footer"
tmux send-keys -t "$S" '?'
shows 'Keys \(vigil top\)' 5 && pass "top: ? shows top's keys" || fail "top help: $(sed -n 3,20p "$T/screen")"
expect_no_grep "$T/screen" 'restart|tag / a group' "top: the help has none of the stack's keys"
tmux send-keys -t "$S" Escape
wait_for 'screen; ! grep -q "Keys (vigil top)" "$T/screen"' 5 || fail "top: the help did not close"
tmux send-keys -t "$S" / "^$vname\$" Enter
shows "^ +$victim +$vname +sleeping" 10 && pass "top: / filters to our process ($victim)" || fail "top filter: $(sed -n 4,8p "$T/screen")"
tmux send-keys -t "$S" k
shows "Send SIGTERM to $victim \($vname\)\? \[y/N\]" 5 && pass "top: k asks first" || fail "top k: $(tail -1 "$T/screen")"
tmux send-keys -t "$S" y
wait_for "! alive $victim" 10 && pass "top: y sent SIGTERM" || fail "top: $victim still alive"
wait "$victim" 2>/dev/null || true
tmux send-keys -t "$S" Escape T
shows '└ ' 10 && pass "top: T shows the tree" || fail "top tree: $(sed -n 4,8p "$T/screen")"
tmux send-keys -t "$S" q
shows 'EXIT=0' 10 && pass "top: q leaves" || fail "top q: $(tail -3 "$T/screen")"

cd "$D"
run_vigil down
expect_rc 0 "down"
wait_for '[ "$(count_procs "sleep $M\\.")" -eq 0 ]' 15 && pass "nothing left running" ||
    fail "$(count_procs "sleep $M\\.") left"
finish
