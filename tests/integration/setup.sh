#!/bin/sh
# The set-up scripts: valid shell, idempotent (a second run installs
# nothing and needs no root), every program the demo stack and the tests
# use is present, and the README's first command brings the demo up.
. "$(dirname "$0")/lib.sh"

for s in "$SRC/scripts/deps.sh" "$SRC/scripts/demo.sh" "$SRC/scripts/test.sh" "$SRC/.ci/run"; do
    if sh -n "$s"; then pass "$(basename "$s") parses"; else fail "$s has a syntax error"; fi
done

if "$SRC/scripts/deps.sh" --check >"$T/out" 2>&1; then pass "every package is installed"; else
    fail "packages missing after set-up: $(cat "$T/out")"; fi

# As a normal user with everything present: no sudo, no apt, exit 0.
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    if setpriv --reuid=nobody --regid=nogroup --clear-groups sh "$SRC/scripts/deps.sh" >"$T/out" 2>&1; then
        pass "deps.sh as a normal user with nothing missing"
    else
        fail "deps.sh as nobody: $(cat "$T/out")"
    fi
fi

for prog in redis-server redis-cli python3 tmux systemd-notify curl cmake pkg-config; do
    if command -v "$prog" >/dev/null 2>&1; then pass "$prog is installed"; else fail "$prog is missing"; fi
done

# Debian's own python3, whatever else is first on PATH, has what the demo imports.
if /usr/bin/python3 -c 'import http.server, json, socket, signal, threading' 2>"$T/err"; then
    pass "python3 has the demo's modules"; else fail "python3 modules: $(cat "$T/err")"; fi

finish
