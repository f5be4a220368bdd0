#!/bin/sh
# A full disk under the log folder: the engine and its processes keep
# running, every line still reaches the processes' consumers, and the lost
# bytes are reported with the reason. Needs a small tmpfs (root); skipped
# where mounting is not allowed.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/tiny"
if ! mount -t tmpfs -o size=64k tmpfs "$T/tiny" 2>/dev/null; then
    echo "skipped: cannot mount a tmpfs here"
    exit 0
fi
trap 'umount "$T/tiny" 2>/dev/null; rm -rf "$T"' EXIT

cat >"$T/vigil.yaml" <<YAML
settings: {log_dir: $T/tiny/logs}
processes:
  chatty: {command: "seq 100000; echo done", kind: oneshot}
YAML
RC=0
timeout 60 "$VIGIL" up -f "$T/vigil.yaml" >"$T/out" 2>"$T/err" || RC=$?
expect_rc 0 "the run completes on a full disk"
expect_grep "$T/out" '^[0-9:]+ chatty +\| 100000$' "every line still reaches the output"
expect_grep "$T/out" '^[0-9:]+ chatty +\| done$' "the last line too"
expect_grep "$T/out" "chatty +▸ warning \\([0-9]+ bytes of log could not be written to .*chatty.log \\(No space left on device\\)\\)" "the loss is reported with its reason"
expect_grep "$T/out" 'chatty +▸ completed \(status 0\)' "the process is unaffected"

# Crash reports on a full disk: the engine says so once and goes on.
mkdir -p "$T/c/.vigil/crashes"
mount -t tmpfs -o size=64k tmpfs "$T/c/.vigil/crashes" || fail "second tmpfs"
trap 'umount "$T/tiny" "$T/c/.vigil/crashes" 2>/dev/null; rm -rf "$T"' EXIT
dd if=/dev/zero of="$T/c/.vigil/crashes/filler" bs=4k count=64 2>/dev/null || true
cat >"$T/c/vigil.yaml" <<YAML
settings: {log_dir: $T/c/logs}
processes:
  crashy:
    command: "echo boom; exit 2"
    backoff: {initial: 100ms, max: 100ms}
    max_restarts: 3
YAML
RC=0
timeout 60 "$VIGIL" up -f "$T/c/vigil.yaml" >"$T/cout" 2>"$T/cerr" || RC=$?
expect_rc 1 "the crash loop ends fatal, the engine ends normally" "$T/cerr"
expect_grep "$T/cout" 'crashy +! no crash report: .*crashes: No space left on device' "no room for a crash report: said"
n=$(grep -c 'no crash report' "$T/cout" || true)
[ "$n" -eq 1 ] && pass "said once, not at every crash" || fail "said $n times"
expect_grep "$T/cout" 'crashy +▸ fatal' "the restarts went on to fatal"
finish
