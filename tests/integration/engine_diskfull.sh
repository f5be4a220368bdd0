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
finish
