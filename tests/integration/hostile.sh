#!/bin/sh
# Hostile stack files: an alias bomb, a 10 MB file, a file of many nodes,
# deep nesting, binary and Latin-1 bytes, text that is not YAML. Each gets
# exit status 2 and an error naming the file — never a crash — within
# 64 MB of memory beyond a small valid file's, and 2 s of CPU.
. "$(dirname "$0")/lib.sh"

python3 - "$T" <<'PY'
import os, sys
t = sys.argv[1]
def w(name, data):
    with open(os.path.join(t, name), "wb") as f:
        f.write(data)
w("small.yaml", b"processes:\n  a: {command: 'true'}\n")
lines = [b'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
for i in range(1, 10):
    lines.append(b"a%d: &a%d [" % (i, i) + b",".join([b"*a%d" % (i - 1)] * 9) + b"]")
lines.append(b"processes: {x: {command: *a9}}")
w("bomb.yaml", b"\n".join(lines) + b"\n")
w("big.yaml", b"processes:\n  a: {command: 'true'}\n" + b"# padding padding padding\n" * 400000)
w("nodes.yaml", b"processes:\n  a: {command: 'true'}\nx: [" + b"1," * 1900000 + b"1]\n")
w("deep.yaml", b"processes: " + b"[" * 100000 + b"]" * 100000 + b"\n")
w("binary.yaml", open("/bin/true", "rb").read())
w("latin1.yaml", "processes:\n  caf\u00e9: {command: 'true'}\n".encode("latin-1"))
w("text.yaml", b"This is a plain paragraph of prose,\nnot a stack file at all.\n")
w("json.yaml", b'{"processes": {"a": {"command": ["true"]}}}')
w("longkey.yaml", b"processes:\n  " + b"k" * 3000000 + b": {command: 'true'}\n")
PY

# measure FILE — prints "RC MAXRSS_KB CPU_MS" for `vigil check -f FILE`.
# Under AddressSanitizer freed memory is held in a quarantine that would
# count as ours; a small quarantine keeps the figure about vigil's own use.
measure() {
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=1" \
    python3 - "$VIGIL" "$1" <<'PY'
import os, sys
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    err = os.open(sys.argv[2] + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(err, 2)
    os.execv(sys.argv[1], [sys.argv[1], "check", "-f", sys.argv[2]])
_, status, ru = os.wait4(pid, 0)
rc = os.waitstatus_to_exitcode(status)
print(rc, ru.ru_maxrss, int((ru.ru_utime + ru.ru_stime) * 1000))
PY
}

set -- $(measure "$T/small.yaml")
base_rss=$2
if [ "$1" -eq 0 ]; then pass "small file is valid (rss ${base_rss} KiB)"; else fail "small file: exit $1"; fi

for f in bomb big nodes deep binary latin1 text longkey; do
    set -- $(measure "$T/$f.yaml")
    rc=$1 rss=$2 cpu=$3
    extra=$((rss - base_rss))
    if [ "$rc" -eq 2 ]; then pass "$f: rejected with exit 2"; else fail "$f: exit $rc, expected 2"; fi
    if [ "$extra" -lt 65536 ]; then pass "$f: +${extra} KiB"; else fail "$f: used ${extra} KiB more than a small file"; fi
    if [ "$cpu" -lt 2000 ]; then pass "$f: ${cpu} ms CPU"; else fail "$f: ${cpu} ms CPU"; fi
    if grep -q "^$T/$f.yaml:" "$T/$f.yaml.err" && [ "$(wc -l <"$T/$f.yaml.err")" -le 20 ]; then
        pass "$f: error names the file"; else fail "$f: error output"; sed 's/^/  | /' "$T/$f.yaml.err" | head -5 >&2; fi
    echo "   $(head -1 "$T/$f.yaml.err" | cut -c1-160)"
done

expect_grep "$T/bomb.yaml.err" "aliases are expanded" "bomb: says why"
expect_grep "$T/big.yaml.err" "too large" "big: says why"
expect_grep "$T/nodes.yaml.err" "too many YAML nodes" "nodes: says why"
expect_grep "$T/deep.yaml.err" "nesting is too deep" "deep: says why"
expect_grep "$T/binary.yaml.err" "UTF-8" "binary: says why"
expect_grep "$T/latin1.yaml.err" "UTF-8" "latin1: says why"
expect_grep "$T/text.yaml.err" "must be a mapping" "text: says why"

set -- $(measure "$T/json.yaml")
if [ "$1" -eq 0 ]; then pass "JSON is YAML: accepted"; else fail "json: exit $1"; fi

finish
