# Shared helpers for the integration tests (POSIX sh). Each test sources
# this, uses $VIGIL (the binary under test) and a private scratch folder
# $T that is removed on exit, after every engine the test started is
# stopped (see engine_start).
set -eu

VIGIL=$(realpath "${VIGIL_BIN:?VIGIL_BIN must name the vigil binary}")
SRC=$(realpath "${VIGIL_SRC:?VIGIL_SRC must name the source tree}")
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-test.XXXXXX")
ENGINES=""
trap 'engines_stop; rm -rf "$T"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
FAILS=0

fail() {
    echo "FAIL: $*" >&2
    FAILS=$((FAILS + 1))
}

pass() {
    echo "ok: $*"
}

# run_vigil ARGS... — runs vigil, keeping stdout, stderr and status in
# $T/out, $T/err and $RC.
run_vigil() {
    RC=0
    "$VIGIL" "$@" >"$T/out" 2>"$T/err" || RC=$?
}

# expect_rc N WHAT [ERRFILE] — $RC is N; else shows ERRFILE (default $T/err).
expect_rc() {
    if [ "$RC" -eq "$1" ]; then pass "$2 (exit $1)"; else
        fail "$2: exit $RC, expected $1"; sed 's/^/  | /' "${3:-$T/err}" >&2 || true; fi
}

# expect_line FILE TEXT WHAT — FILE holds a line exactly equal to TEXT.
expect_line() {
    if grep -Fqx -- "$2" "$1"; then pass "$3"; else
        fail "$3: no line '$2' in $1"; sed 's/^/  | /' "$1" >&2; fi
}

# expect_grep FILE PATTERN WHAT — an extended regex matches a line of FILE.
expect_grep() {
    if grep -Eq -- "$2" "$1"; then pass "$3"; else
        fail "$3: /$2/ not in $1"; sed 's/^/  | /' "$1" | head -40 >&2; fi
}

# expect_no_grep FILE PATTERN WHAT
expect_no_grep() {
    if grep -Eq -- "$2" "$1"; then
        fail "$3: /$2/ found in $1"; grep -E -- "$2" "$1" | head -5 >&2; else pass "$3"; fi
}

# expect_lines FILE N WHAT — FILE has exactly N lines.
expect_lines() {
    n=$(wc -l <"$1")
    if [ "$n" -eq "$2" ]; then pass "$3"; else fail "$3: $n lines, expected $2"; cat "$1" >&2; fi
}

# ---- waiting ---------------------------------------------------------------

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# spawn_stamp DIR — writes DIR/stamp, for a child's command to source first
# (". ./stamp; ..."): it prints one line, "CLOCK START UPTIME" — the shell's
# clock (ns), and from the kernel when its process was forked (ticks since
# boot) with the uptime read just after the clock. spawn_ms turns it into
# the spawn's time, so a test measures from the spawn itself, not from
# whenever sh and date got a CPU after it (100-200 ms on a busy machine).
spawn_stamp() {
    printf '%s\n' 'read -r s </proc/$$/stat; set -- $s; n=$(date +%s%N); read -r u _ </proc/uptime; echo "$n ${22} $u"' >"$1/stamp"
}

# spawn_ms — a filter of a log file whose child sourced the stamp: each of
# the stamp's lines becomes "TIME out MS", MS the spawn's time in ms since
# the epoch (10 ms ticks); other lines pass as they are.
spawn_ms() {
    awk -v tick="$(getconf CLK_TCK)" '$2 == "out" && NF == 5 { printf "%s out %.0f\n", $1, $3 / 1e6 - ($5 - $4 / tick) * 1000; next } { print }'
}

# wait_for COMMAND SECONDS — evaluates COMMAND (a shell string) every
# 0.05 s until it succeeds; false once SECONDS (a fraction is fine) passed.
wait_for() {
    _wf_end=$(($(now_ms) + $(awk -v s="$2" 'BEGIN { printf "%d", s * 1000 }')))
    while ! eval "$1"; do
        [ "$(now_ms)" -lt "$_wf_end" ] || return 1
        sleep 0.05
    done
}

# alive PID — the process exists and is not a zombie.
alive() {
    _al=$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$_al" ] && [ "$_al" != Z ]
}

# count_procs REGEX — how many processes have a command line matching
# REGEX (pgrep -f); use a marker unique to the test, e.g. `sleep $M.1`.
count_procs() {
    pgrep -fc -- "$1" 2>/dev/null || true
}

# A number for markers in command lines (`sleep $M.1`), unique to this run.
M="7$$$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')"

# free_ports [N] — N (default 1) distinct TCP ports on 127.0.0.1 that
# nothing listens on right now, one per line.
free_ports() {
    python3 - "${1:-1}" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))
PY
}

# line_no FILE REGEX — the number of the first line of FILE matching the
# extended REGEX, or 0 when none does.
line_no() {
    _ln=$(grep -En -m1 -- "$2" "$1" | cut -d: -f1) || true
    echo "${_ln:-0}"
}

# expect_before FILE REGEX1 REGEX2 WHAT — both match lines of FILE, the
# first line matching REGEX1 comes before the first matching REGEX2.
expect_before() {
    _b1=$(line_no "$1" "$2")
    _b2=$(line_no "$1" "$3")
    if [ "$_b1" -gt 0 ] && [ "$_b2" -gt 0 ] && [ "$_b1" -lt "$_b2" ]; then pass "$4"; else
        fail "$4: /$2/ at line $_b1, /$3/ at line $_b2"; sed 's/^/  | /' "$1" | head -60 >&2; fi
}

# ---- the engine ------------------------------------------------------------

# engine_start DIR [ARGS...] — runs `vigil up -f DIR/vigil.yaml ARGS` in the
# background, stdout in DIR/out (or $ENGINE_OUT when set), stderr in
# DIR/err; its pid in $ENGINE_PID. Every engine started is stopped on exit.
engine_start() {
    _es_dir=$1
    shift
    "$VIGIL" up -f "$_es_dir/vigil.yaml" "$@" >"${ENGINE_OUT:-$_es_dir/out}" 2>"$_es_dir/err" &
    ENGINE_PID=$!
    ENGINES="$ENGINES $ENGINE_PID"
}

# engine_wait SECONDS [PID] — waits for the engine ($ENGINE_PID) to exit,
# its status in $RC; false (RC=-1) when it still runs after SECONDS.
engine_wait() {
    _ew_pid=${2:-$ENGINE_PID}
    RC=-1
    wait_for "! alive $_ew_pid" "$1" || return 1
    RC=0
    wait "$_ew_pid" || RC=$?
    _ew_left=""
    for _p in $ENGINES; do [ "$_p" = "$_ew_pid" ] || _ew_left="$_ew_left $_p"; done
    ENGINES=$_ew_left
}

# engine_says DIR REGEX SECONDS — waits until a line of DIR/out matches.
engine_says() {
    _es_out=$1/out
    _es_re=$2
    wait_for 'grep -Eq -- "$_es_re" "$_es_out"' "$3"
}

# A process that leaves the name of its engine's run folder in FILE (it
# needs a notify probe for $NOTIFY_SOCKET to be set); add it to a stack
# whose engine a test kills with SIGKILL, and call forget_run_dir after.
run_dir_noter() {
    echo "{command: 'echo \"\$NOTIFY_SOCKET\" >$1; exec sleep $M.0', ready: {notify: true, timeout: 1h}}"
}

# forget_run_dir FILE — checks that the run folder of an engine killed with
# SIGKILL, as named in FILE by run_dir_noter, was removed by its guardian
# (and removes it, failing, when it was not).
forget_run_dir() {
    _rd=$(dirname "$(cat "$1" 2>/dev/null || echo .)")
    case $_rd in
    /tmp/vigil-??????)
        if wait_for "[ ! -d '$_rd' ]" 5; then pass "the guardian removed the run folder"; else
            rm -f "$_rd"/*.sock; rmdir "$_rd"; fail "run folder $_rd left behind"; fi ;;
    *) fail "no run folder named in $1" ;;
    esac
}

# Stops what is left: SIGINT twice (the second kills every group at
# once), then SIGKILL to the engine (its guardian ends the rest).
engines_stop() {
    for _p in $ENGINES; do
        alive "$_p" || continue
        kill -INT "$_p" 2>/dev/null || true
        wait_for "! alive $_p" 0.3 || kill -INT "$_p" 2>/dev/null || true
        wait_for "! alive $_p" 5 || kill -KILL "$_p" 2>/dev/null || true
    done
    for _p in $ENGINES; do wait "$_p" 2>/dev/null || true; done
    ENGINES=""
}

finish() {
    if [ "$FAILS" -gt 0 ]; then
        echo "$FAILS check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
}
