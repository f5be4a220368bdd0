#!/bin/sh
# `vigil check`: the demo stack, every problem of a bad file reported at
# once as FILE:LINE:COL, file discovery, paths relative to the file, and
# secrets masked.
. "$(dirname "$0")/lib.sh"

# The demo stack is valid, text and JSON.
run_vigil check -f "$SRC/config/demo.yaml"
expect_rc 0 "demo stack is valid"
expect_grep "$T/out" '^stack demo ' "names the stack"
expect_grep "$T/out" '^  1\. db ' "db starts first"
expect_grep "$T/out" '^  7\. cleanup ' "cleanup comes last"
run_vigil check -f "$SRC/config/demo.yaml" --json
expect_rc 0 "demo stack --json"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["name"]=="demo"; assert [p["name"] for p in d["processes"]][:3]==["db","migrate","api"]' "$T/out"; then
    pass "--json is JSON in start order"; else fail "--json output"; fi

# Every problem at once, in file order, nothing else on stdout.
cat >"$T/bad.yaml" <<'YAML'
version: 1
processes:
  db:
    command: ["redis-server"]
    stop_signal: SIGTREM
    restart: sometimes
  api:
    comand: "python3 -m http.server"
    depends_on: {db: ready, cache: started}
    ready: {tcp: "127.0.0.1:99999"}
    replicas: 0
  web:
    command: ""
    stop_timeout: 10x
YAML
run_vigil check -f "$T/bad.yaml"
expect_rc 2 "a bad file"
expect_line "$T/err" "$T/bad.yaml:5:18: unknown signal 'SIGTREM' (did you mean 'SIGTERM'?)" "signal typo"
expect_line "$T/err" "$T/bad.yaml:6:14: invalid restart policy 'sometimes' (expected one of: no, always, on-failure, unless-stopped)" "bad policy"
expect_line "$T/err" "$T/bad.yaml:8:5: unknown key 'comand' in process 'api' (did you mean 'command'?)" "key typo"
expect_line "$T/err" "$T/bad.yaml:7:3: process 'api' has no 'command'" "missing command"
expect_line "$T/err" "$T/bad.yaml:9:29: 'api' depends on 'cache', which is not a process of this stack" "missing dependency"
expect_line "$T/err" "$T/bad.yaml:10:18: invalid address '127.0.0.1:99999' in 'ready.tcp': the port must be a number between 1 and 65535" "bad port"
expect_line "$T/err" "$T/bad.yaml:11:15: 'replicas' must be at least 1" "replicas 0"
expect_line "$T/err" "$T/bad.yaml:13:14: 'command' is empty" "empty command"
expect_line "$T/err" "$T/bad.yaml:14:19: 'stop_timeout': unknown duration unit (use ms, s, m, h or d)" "bad unit"
expect_lines "$T/err" 9 "nine problems, nine lines"
if [ -s "$T/out" ]; then fail "nothing on stdout for a bad file"; else pass "stdout empty"; fi
# File order: line numbers never go down.
if awk -F: '{ if ($2 < last) exit 1; last = $2 }' "$T/err"; then pass "file order"; else fail "not in file order"; fi

# A cycle names the whole loop.
cat >"$T/cycle.yaml" <<'YAML'
processes:
  db: {command: "true", depends_on: [api]}
  api: {command: "true", depends_on: [db]}
YAML
run_vigil check -f "$T/cycle.yaml"
expect_rc 2 "cycle"
expect_line "$T/err" "$T/cycle.yaml:3:39: dependency cycle: db -> api -> db" "names the cycle"

# Discovery: vigil.yaml, then vigil.yml, in the current folder.
mkdir -p "$T/disc/web" "$T/other"
printf 'processes:\n  a: {command: "true", cwd: web, env_file: vars.env}\n' >"$T/disc/vigil.yml"
printf 'TOKEN=abc123\nPLAIN=visible\n' >"$T/disc/vars.env"
(cd "$T/disc" && "$VIGIL" check >"$T/out" 2>"$T/err") && RC=0 || RC=$?
expect_rc 0 "finds vigil.yml"
expect_grep "$T/out" "cwd +$T/disc/web\$" "cwd relative to the file's folder"
expect_line "$T/out" "         TOKEN=********" "secret masked"
expect_line "$T/out" "         PLAIN=visible" "plain value shown"
printf 'processes:\n  b: "true"\n' >"$T/disc/vigil.yaml"
(cd "$T/disc" && "$VIGIL" check >"$T/out" 2>"$T/err") && RC=0 || RC=$?
expect_grep "$T/out" '^  1\. b ' "vigil.yaml is preferred"
(cd "$T/other" && "$VIGIL" check -f ../disc/vigil.yml --json >"$T/out" 2>"$T/err") && RC=0 || RC=$?
expect_rc 0 "-f from another folder"
expect_grep "$T/out" "\"cwd\":[[:space:]]+\"$T/disc/web\"" "paths stay relative to the file, not the caller"
expect_grep "$T/out" '"TOKEN":[[:space:]]+"\*\*\*\*\*\*\*\*"' "secret masked in JSON"
(cd "$T/other" && "$VIGIL" check -f ../disc/vigil.yml --json --show-secrets >"$T/out" 2>"$T/err") && RC=0 || RC=$?
expect_grep "$T/out" '"TOKEN":[[:space:]]+"abc123"' "--show-secrets"
(cd "$T/other" && "$VIGIL" check >"$T/out" 2>"$T/err") && RC=0 || RC=$?
expect_rc 2 "no stack file here"
expect_line "$T/err" "vigil: no stack file: vigil.yaml or vigil.yml not found in this folder (use -f FILE)" "says what it looked for"
run_vigil check -f "$T/missing.yaml"
expect_rc 2 "missing file"
expect_line "$T/err" "$T/missing.yaml: cannot open: No such file or directory" "names the file"
run_vigil check -f "$T"
expect_rc 2 "a folder"

# A file from a Windows editor: a byte-order mark (stack file and env_file)
# and CRLF line ends; columns of later messages are counted without the mark.
printf '\357\273\277FROM_BOM=1\r\n' >"$T/bom.env"
printf '\357\273\277processes:\r\n  a: {command: "true", env_file: bom.env}\r\n' >"$T/bom.yaml"
run_vigil check -f "$T/bom.yaml"
expect_rc 0 "a byte-order mark is accepted"
expect_line "$T/out" "         FROM_BOM=1" "and in an env_file"
printf '\357\273\277processes: {a: {command: "true", stop_signal: SIGTREM}}\n' >"$T/bom.yaml"
run_vigil check -f "$T/bom.yaml"
expect_line "$T/err" "$T/bom.yaml:1:47: unknown signal 'SIGTREM' (did you mean 'SIGTERM'?)" "columns without the mark"

# As root, where vigil switches users, a user or group that does not exist is
# an error of the file, for check and for up (nothing starts); numbers need
# no entry.
if [ "$(id -u)" -eq 0 ]; then
    cat >"$T/user.yaml" <<'YAML'
processes:
  a: {command: "touch started", user: no-such-user-xyz}
  b: {command: "true", user: "nobody:no-such-group-xyz"}
  c: {command: "true", user: "54321:54322"}
YAML
    run_vigil check -f "$T/user.yaml"
    expect_rc 2 "an unknown user"
    expect_line "$T/err" "$T/user.yaml:2:39: unknown user 'no-such-user-xyz' (not in this system's user database; a number is taken as a uid)" "names the user where it is written"
    expect_line "$T/err" "$T/user.yaml:3:38: unknown group 'no-such-group-xyz' (not in this system's group database; a number is taken as a gid)" "names the group where it is written"
    expect_lines "$T/err" 2 "and nothing about the uid and gid without entries"
    RC=0
    timeout 20 "$VIGIL" up --no-tui -f "$T/user.yaml" >"$T/out" 2>"$T/err" || RC=$?
    expect_rc 2 "vigil up refuses it"
    expect_grep "$T/err" "user.yaml:2:39: unknown user" "and says why"
    if [ -e "$T/started" ]; then fail "a process started"; else pass "before starting anything"; fi
fi

# ${VAR} expansion comes from the environment.
printf 'processes:\n  a: {command: ["echo", "${GREETING:-hi}", "$$HOME"]}\n' >"$T/env.yaml"
GREETING=hello "$VIGIL" check -f "$T/env.yaml" >"$T/out" 2>"$T/err" && RC=0 || RC=$?
expect_grep "$T/out" "command +echo hello '\\\$HOME'" "expansion and \$\$"

finish
