#!/bin/sh
# What vigil says a process costs, against the kernel's own accounting over
# the same window: a busy loop reads ~100 % CPU, a process holding 200 MB
# reads its VmRSS, and a `sh -c` wrapper whose three children each burn
# ~30 % reads their sum for the tree while the shell itself reads ~0; a
# process idle at first (its figures not read again while its cgroup's
# counter stands still) reads what the kernel says once it starts to burn
# (~40 %).
. "$(dirname "$0")/lib.sh"

D=$T/stack
mkdir -p "$D"
cat >"$D/vigil.yaml" <<'YAML'
version: 1
settings: {sample_interval: 500ms}
processes:
  busy:
    command: ["sh", "-c", "while :; do :; done"]
  hog:
    command: ["python3", "-c", "import time; b = b'\\x01' * (200 << 20); print('holding', flush=True); time.sleep(1000)"]
    ready: {log: holding, timeout: 20s}
  wrapper:
    command: |
      for i in 1 2 3; do
        python3 -c '
      import time
      while True:
          t = time.monotonic()
          while time.monotonic() - t < 0.03: pass
          time.sleep(0.07)
      ' &
      done
      wait
  napper:
    command: ["python3", "-c", "import time\ntime.sleep(2)\nwhile True:\n    t = time.monotonic()\n    while time.monotonic() - t < 0.04: pass\n    time.sleep(0.06)"]
YAML
engine_start "$D"
cd "$D"
wait_for '"$VIGIL" wait --timeout 1s >/dev/null 2>&1' 30 || fail "the stack never came up"

# Samples vigil's figures for 4 s while reading the kernel's ticks at both ends.
python3 - "$VIGIL" >"$T/m" 2>&1 <<'PY' || fail "the sampling script failed"
import json, os, subprocess, sys, time
vigil = sys.argv[1]
hz = os.sysconf("SC_CLK_TCK")

def status():
    out = subprocess.run([vigil, "status", "--json"], stdout=subprocess.PIPE, text=True).stdout
    return {p["name"]: p for p in json.loads(out)["processes"]}

def ticks(pid):
    try:
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    except OSError:
        return 0

def tree(pid):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                pp = int(open("/proc/%s/stat" % d).read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(pp, []).append(int(d))
            except OSError:
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out

s = status()
busy, wrap, hog = s["busy"]["pid"], s["wrapper"]["pid"], s["hog"]["pid"]
members = tree(wrap)
t0, k0 = time.monotonic(), {p: ticks(p) for p in [busy] + members}
readings = {"busy": [], "wrapper": [], "wrapper_own": []}
while time.monotonic() - t0 < 4:
    time.sleep(0.5)
    s = status()
    readings["busy"].append(s["busy"]["metrics"]["cpu"])
    readings["wrapper"].append(s["wrapper"]["metrics"]["tree_cpu"])
    readings["wrapper_own"].append(s["wrapper"]["metrics"]["cpu"])
t1, k1 = time.monotonic(), {p: ticks(p) for p in [busy] + members}
span = t1 - t0
kern_busy = 100.0 * (k1[busy] - k0[busy]) / hz / span
kern_tree = 100.0 * sum(k1[p] - k0[p] for p in members) / hz / span
avg = lambda v: sum(v[1:]) / max(1, len(v) - 1)   # the first reading may cover time before t0
print("busy vigil %.1f kernel %.1f" % (avg(readings["busy"]), kern_busy))
print("tree vigil %.1f kernel %.1f members %d" % (avg(readings["wrapper"]), kern_tree, len(members)))
print("own vigil %.1f" % avg(readings["wrapper_own"]))
vm = [l for l in open("/proc/%d/status" % hog) if l.startswith("VmRSS:")][0].split()[1]
print("rss vigil %d kernel %d" % (s["hog"]["metrics"]["rss"], int(vm) * 1024))
print("procs %d" % s["wrapper"]["metrics"]["tree_procs"])
napper = s["napper"]["pid"]
while time.monotonic() - t0 < 6:   # its 2 s of sleep are long over; one more window of its own
    time.sleep(0.2)
n0, nt0 = ticks(napper), time.monotonic()
time.sleep(1.6)
s = status()
print("napper vigil %.1f kernel %.1f" % (s["napper"]["metrics"]["cpu"],
    100.0 * (ticks(napper) - n0) / hz / (time.monotonic() - nt0)))
PY
cat "$T/m"
check() { # NAME A B TOL — |A - B| <= TOL
    if awk -v a="$2" -v b="$3" -v t="$4" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; then
        pass "$1: vigil $2, kernel $3"
    else
        fail "$1: vigil $2, kernel $3 (more than $4 apart)"
    fi
}
set -- $(sed -n 's/^busy vigil \([0-9.]*\) kernel \([0-9.]*\)$/\1 \2/p' "$T/m")
check "busy loop CPU %" "$1" "$2" 10
# On an idle machine that is ~100 %; on a shared one the kernel's figure
# above is the reference (a loaded machine gave the loop 25 %), and this
# only guards against nonsense.
awk -v v="$1" 'BEGIN { exit !(v >= 5 && v <= 110) }' && pass "busy loop reads $1 % (one core at most)" ||
    fail "busy loop reads $1 %"
set -- $(sed -n 's/^tree vigil \([0-9.]*\) kernel \([0-9.]*\) .*$/\1 \2/p' "$T/m")
check "wrapper tree CPU %" "$1" "$2" 15
# The three 30 % children count in the tree (the shell alone reads 0): at
# least half what the kernel gave them, which a loaded machine makes less
# than 90 % (CI gave them 21 %).
awk -v v="$1" -v k="$2" 'BEGIN { exit !(v >= 5 && v >= k / 2) }' &&
    pass "the tree's three 30 % children show ($1 %, kernel $2 %)" ||
    fail "the tree reads only $1 % (kernel $2 %)"
set -- $(sed -n 's/^own vigil \([0-9.]*\)$/\1/p' "$T/m")
awk -v v="$1" 'BEGIN { exit !(v < 10) }' && pass "the wrapper shell alone: $1 %" || fail "the shell alone reads $1 %"
set -- $(sed -n 's/^rss vigil \([0-9]*\) kernel \([0-9]*\)$/\1 \2/p' "$T/m")
awk -v a="$1" -v b="$2" 'BEGIN { d = (a - b) / b; if (d < 0) d = -d; exit !(d <= 0.05 && b > 200 * 1048576) }' &&
    pass "200 MB process: RSS $1 within 5 % of VmRSS $2" || fail "RSS $1 vs VmRSS $2"
expect_grep "$T/m" '^procs [4-9]' "the wrapper's tree holds the shell and its three children"
set -- $(sed -n 's/^napper vigil \([0-9.]*\) kernel \([0-9.]*\)$/\1 \2/p' "$T/m")
check "idle, then busy: CPU %" "$1" "$2" 25

# Prometheus text: every line a comment or `name{labels} value`, the families we promise.
run_vigil metrics
expect_rc 0 "metrics"
python3 - "$T/out" >"$T/prom" 2>&1 <<'PY' || fail "metrics output is not valid exposition text: $(cat "$T/prom")"
import re, sys
sample = re.compile(r'^[a-z_:][a-z0-9_:]*\{([a-z_]+="([^"\\]|\\.)*",?)*\} (-?[0-9.e+]+|NaN)$')
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        continue
    if not sample.match(line):
        sys.exit("bad line: " + line)
PY
expect_grep "$T/out" '^vigil_process_tree_cpu_percent\{stack="stack",process="busy",replica="0"\} [0-9]' "metrics: busy's tree CPU"
expect_grep "$T/out" '^vigil_process_memory_bytes\{stack="stack",process="hog",replica="0"\} 2[0-9]{8}$' "metrics: hog's memory"
expect_grep "$T/out" '^vigil_host_memory_total_bytes\{stack="stack"\} [0-9]+$' "metrics: the host"
expect_grep "$T/out" '^# TYPE vigil_process_restarts_total counter$' "metrics: restarts are a counter"

# The history, as CSV and as JSON; a wrong --format names the argument.
run_vigil export --format csv busy
expect_rc 0 "export csv"
expect_line "$T/out" "time,process,resolution,metric,min,avg,max" "export: CSV header"
expect_grep "$T/out" '^20[0-9-]{8}T[0-9:.]{12}Z,busy,fine,tree_cpu,[0-9.]+,[0-9.]+,[0-9.]+$' "export: fine rows for busy"
expect_no_grep "$T/out" ',hog,' "export: only the target"
expect_no_grep "$T/out" ',busy,coarse,' "export: a process younger than the fine window has no 5-minute rows (its fine samples are all of it)"
run_vigil export --format csv hog
expect_grep "$T/out" '^[^,]+,hog,fine,rss,2[0-9]{8},2[0-9]{8},2[0-9]{8}$' "export: the 200 MB process's RSS in whole bytes (no exponent)"
run_vigil export --since 1m
expect_rc 0 "export json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p={x["name"]: x for x in d["processes"]}; assert len(p["busy"]["fine"]["cpu"]) >= 4, p["busy"]["fine"]["cpu"]' "$T/out" &&
    pass "export: JSON with the busy loop's samples" || fail "export: JSON not as expected"
run_vigil export --format xml
expect_rc 2 "export: a wrong format is a usage error"
expect_grep "$T/err" "'--format': 'xml'" "export: the message names the argument"

# The metrics topic of subscribe streams a sample per interval.
python3 - "$D/.vigil/control.sock" >"$T/sub" 2>&1 <<'PY' || fail "no metrics event: $(cat "$T/sub")"
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"id":1,"cmd":"subscribe","topics":["metrics"]}\n')
f = s.makefile("r")
s.settimeout(5)
for line in f:
    m = json.loads(line)
    if m.get("event") == "metrics":
        names = sorted(p["name"] for p in m["data"]["processes"])
        print("names", names, "host", m["data"]["host"]["mem_total"] > 0)
        break
PY
expect_grep "$T/sub" "names \['busy', 'hog', 'napper', 'wrapper'\] host True" "subscribe: a metrics event with every process and the host"

run_vigil down
expect_rc 0 "down"
engine_wait 15 || fail "engine still runs"
finish
