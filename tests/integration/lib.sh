# Shared helpers for the integration tests (POSIX sh). Each test sources
# this, uses $VIGIL (the binary under test) and a private scratch folder
# $T that is removed on exit.
set -eu

VIGIL=$(realpath "${VIGIL_BIN:?VIGIL_BIN must name the vigil binary}")
SRC=$(realpath "${VIGIL_SRC:?VIGIL_SRC must name the source tree}")
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
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

# expect_rc N WHAT
expect_rc() {
    if [ "$RC" -eq "$1" ]; then pass "$2 (exit $1)"; else
        fail "$2: exit $RC, expected $1"; sed 's/^/  | /' "$T/err" >&2; fi
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

finish() {
    if [ "$FAILS" -gt 0 ]; then
        echo "$FAILS check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
}
