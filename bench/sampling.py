#!/usr/bin/env python3
"""Benchmark 5: what sampling the whole host costs, per sweep and per second.

Part 1, per sweep, for host totals of 200, 1000 and 3000 processes (the
script tops the host up with `sleep 1800` processes it starts itself, kills
them by pid at the end, also on errors, and reports the total actually seen):
in each round, in an order that rotates from round to round,

- vigil's sweep: bench/sweep.c, `sweep N` = N calls of proc_scan_run()
  (src/collectors/proc.c: /proc/PID/stat of every pid through a descriptor
  kept from sweep to sweep, parsed by hand, records sorted, children
  index), its own CPU time over the N sweeps;
- the two-file floor (`sweep --floor2 N`): for every pid in /proc, open +
  read + close of PID/stat and PID/statm, nothing else; and the one-file
  floor (`sweep --floor1 N`, PID/stat only); and, to show what a one-file
  collector could reach, PID/stat with descriptors kept open across sweeps
  and read again with pread(fd, 0) (`sweep --floor1-keep N`; the first
  sweep, which opens them, is not timed);
- procps `top -b -d 0.2 -n N+1`, its CPU from wait4()'s rusage, less that
  of `top -b -n 1` (its start-up and first refresh): CPU per refresh =
  (cpu(N+1) - cpu(1)) / N; total / (N+1) is printed too. Its output (every
  process, each refresh) goes to /dev/null;
- htop (`htop -d 2`, 0.2 s) in a pseudo-terminal of 200x50 opened here:
  its refreshes are counted exactly by a small LD_PRELOAD shim (compiled
  here) that counts its openat(AT_FDCWD, "/proc") — one per scan; its CPU
  (/proc/PID/task/*/schedstat) is read at the start of its 2nd scan and of
  its (N+2)th, so CPU per refresh covers N whole scans and draws and no
  start-up. Left out when htop is not installed.

top and htop run with HOME in a temporary folder (their default settings).
CPU times are medians (and minimums) over --rounds rounds.

Instructions (user space only: callgrind sees no kernel work, which is most
of reading /proc): at the --callgrind-at levels, valgrind --tool=callgrind
over `sweep 21` less `sweep 1` (and the floors), / 20; top: `-n 6` less
`-n 1`, / 5. Plus where vigil's sweep spends them (--toggle-collect=
proc_scan_run, self cost per function).

Part 2, the engine: a stack of 100 services `sleep 1000` (and once more
with 100 `perl` loops that wake twice a second, so that every service's
cgroup counter moves between sweeps and nothing is skipped) (sample_interval
1s) run by `vigil up`; once `vigil status --json` shows 100 running and 3 s
have passed, the engine's CPU (/proc/PID/task/*/schedstat, and stat ticks)
over --engine-seconds (in 3 windows) → ms of CPU per second; reference over
the same windows: `top -b -d 1`. Run with the host as it is (twice: the
engine's default cgroup mode, then VIGIL_CGROUPS=off, which leaves out the
three cgroup files per instance read at each sweep), and with the host
topped up to --engine-host processes (the engine's children included);
`sweep N` alone is measured at the same host size, the engine still up;
in the first run, what the engine opens per second (strace, 10 s, after
the windows).

Where a sweep's CPU time goes, at the largest host size: `perf record -e
cpu-clock` (a software event; works where hardware counters do not) over
`sweep 2N` and `sweep --floor1 2N`: kernel, libc and libproc2 shares and
the top symbols. Left out when perf cannot record. The engine is stopped with `vigil down` (SIGINT if that fails) and
its children are checked to be gone.

    bench/sampling.py [--rounds 5] [--sweeps 20] [--levels 200,1000,3000]
                      [--callgrind-at 1000] [--engine-seconds 30]
                      [--engine-host 1000] [--no-htop] [--no-engine] [--no-cgroups-off]
"""
import argparse
import json
import mmap
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as c  # noqa: E402

SLEEP_S = "1800"  # the extra processes' lifetime: a bound on any leak if this script is killed -9

# Counts htop's scans: each one opens "/proc" with openat(AT_FDCWD, "/proc", O_DIRECTORY).
SHIM_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
static volatile long *count;
__attribute__((constructor)) static void init(void)
{
	const char *p = getenv("SCANCOUNT_FILE");
	if (p == NULL)
		return;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, p, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	void *m = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m != MAP_FAILED)
		count = m;
}
int openat(int dirfd, const char *path, int flags, ...)
{
	long mode = 0;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if (count != NULL && dirfd == AT_FDCWD && (flags & O_DIRECTORY) && path != NULL &&
	    strcmp(path, "/proc") == 0)
		__atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
	return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}
int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));
"""


# ---- host processes -----------------------------------------------------------

def host_procs():
    return sum(1 for e in os.listdir("/proc") if e.isdigit())


class Extras:
    """`sleep` processes started here to fill the host; killed by pid."""

    def __init__(self):
        self.pids = []
        self.sleep = shutil.which("sleep") or "/bin/sleep"

    def set_total(self, total):
        """Starts or kills extras until the host holds about total processes (this one included)."""
        n = host_procs()
        if n < total:
            for _ in range(total - n):
                self.pids.append(os.posix_spawn(self.sleep, ["sleep", SLEEP_S], os.environ))
        else:
            while n > total and self.pids:
                self.kill_one(self.pids.pop())
                n -= 1
        time.sleep(0.5)

    @staticmethod
    def kill_one(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass

    def kill_all(self):
        while self.pids:
            self.kill_one(self.pids.pop())


# ---- measurements -------------------------------------------------------------

def tasks_cpu_ns(pid):
    """CPU ns of every thread of pid (/proc/PID/task/*/schedstat), or None."""
    total = 0
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total


def wait4_cpu(argv, env=None):
    """Runs argv (stdout to /dev/null); its user + system CPU seconds from wait4()."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, st, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(st)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit status {p.returncode}")
    return ru.ru_utime + ru.ru_stime


WARM = []  # ms of CPU of vigil's two untimed first sweeps, per run


def run_sweep(binary, mode, n):
    """(processes seen, ms of CPU per sweep) from bench/sweep.c (its own CPU time over the sweeps only)."""
    argv = [binary] + ([mode] if mode else []) + [str(n)]
    out = subprocess.run(argv, stdout=subprocess.PIPE, check=True, text=True).stdout.split()
    if mode is None:
        WARM.append(int(out[2]) / 1e6)
    return int(out[0]), int(out[1]) / 1e6


class Htop:
    """htop in a pseudo-terminal, its scans counted by the shim."""

    def __init__(self, htop, shim, d):
        self.htop, self.shim = htop, shim
        self.counter = os.path.join(d, "htop-scans")
        self.home = os.path.join(d, "htop-home")
        os.makedirs(self.home, exist_ok=True)

    def start(self, prefix=()):
        with open(self.counter, "wb") as f:
            f.write(b"\0" * 8)
        self.cf = open(self.counter, "r+b")
        self.map = mmap.mmap(self.cf.fileno(), 8)
        m, s = os.openpty()
        import fcntl
        import termios
        fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        env = dict(os.environ, TERM="xterm", HOME=self.home, LD_PRELOAD=self.shim,
                   SCANCOUNT_FILE=self.counter)
        self.proc = subprocess.Popen(list(prefix) + [self.htop, "-d", "2"], stdin=s, stdout=s, stderr=s,
                                     start_new_session=True, env=env)
        os.close(s)
        self.master = m

        def drain():
            try:
                while os.read(m, 65536):
                    pass
            except OSError:
                pass
        self.thread = threading.Thread(target=drain, daemon=True)
        self.thread.start()

    def scans(self):
        return struct.unpack("l", self.map[:8])[0]

    def wait_scans(self, k, limit_s):
        deadline = time.monotonic() + limit_s
        while self.scans() < k:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"htop: {self.scans()} scans, waited for {k}")
            time.sleep(0.001)
        return self.scans()

    def stop(self):
        """Sends q; returns (exit status, CPU seconds from wait4, scans in all)."""
        try:
            os.write(self.master, b"q")
        except OSError:
            pass
        deadline = time.monotonic() + 20
        while True:
            pid, st, ru = os.wait4(self.proc.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.monotonic() > deadline:
                self.proc.kill()
                pid, st, ru = os.wait4(self.proc.pid, 0)
                break
            time.sleep(0.01)
        self.proc.returncode = os.waitstatus_to_exitcode(st)
        n = self.scans()
        os.close(self.master)
        self.thread.join(timeout=5)
        self.map.close()
        self.cf.close()
        return self.proc.returncode, ru.ru_utime + ru.ru_stime, n

    def per_refresh(self, n):
        """CPU ms per refresh over n whole refreshes (start-up left out); also total CPU / scans."""
        self.start()
        try:
            k0 = self.wait_scans(2, 30)
            c0 = tasks_cpu_ns(self.proc.pid)
            k1 = self.wait_scans(k0 + n, 30 + n)
            c1 = tasks_cpu_ns(self.proc.pid)
        finally:
            rc, total, scans = self.stop()
        if rc != 0:
            raise RuntimeError(f"htop: exit status {rc}")
        return (c1 - c0) / 1e6 / (k1 - k0), total * 1000 / max(scans, 1)


def callgrind_ir(argv, outfile, env=None, extra=()):
    """Ir total of a callgrind run of argv."""
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={outfile}"] + list(extra) + argv,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    with open(outfile) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {outfile}")


def callgrind_self(outfile, k):
    """The k functions with the most self cost: (percent, name)."""
    out = subprocess.run(["callgrind_annotate", outfile], stdout=subprocess.PIPE, text=True,
                         stderr=subprocess.DEVNULL).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"^\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.*)$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        name = m.group(3)
        lib = re.search(r"\[(.*)\]\s*$", name)
        fn = re.sub(r"\s*\[.*\]\s*$", "", name).split(":")[-1]
        rows.append((float(m.group(2)), fn + (f" ({os.path.basename(lib.group(1))})" if lib else "")))
        if len(rows) == k:
            break
    return rows


# ---- the engine -----------------------------------------------------------------

# What each of the engine's services runs: idle, or awake twice a second (without forking).
SERVICES = {
    "sleep": '["sleep", "1000"]',
    "waking": '["perl", "-e", "select(undef, undef, undef, 0.5) while 1"]',
}


def stack_text(d, count, kind="sleep"):
    lines = ["version: 1", "name: sampling", "settings:", f"  log_dir: {d}/logs", "  sample_interval: 1s",
             "processes:"]
    for i in range(count):
        lines.append(f'  s{i:03d}: {{command: {SERVICES[kind]}}}')
    return "\n".join(lines) + "\n"


def status(vigil, stack):
    r = subprocess.run([vigil, "status", "--json", "-f", stack], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return None


def engine_files(pid, d, seconds=10):
    """What the engine opens per second, by kind (strace over seconds, after the CPU windows); {} without strace."""
    if shutil.which("strace") is None:
        return {}
    f = os.path.join(d, "engine.strace")
    p = subprocess.Popen(["strace", "-qq", "-y", "-e", "trace=openat,newfstatat,getdents64,pread64,read",
                          "-o", f, "-p", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    p.send_signal(signal.SIGINT)
    p.wait()
    kinds = {}
    fd = r'\d+(?:<[^>]*>)?'
    rules = [
        (r'^openat\(AT_FDCWD, "/proc/\d+/stat"', "/proc/PID/stat opened"),
        (r'^pread64\(\d+</proc/\d+/stat>', "/proc/PID/stat re-read (kept descriptor)"),
        (r'^newfstatat\(AT_FDCWD, "/proc/\d+"', "stat() of /proc/PID (libproc2)"),
        (r'^openat\(AT_FDCWD, "/sys/fs/cgroup/.*/([^/"]+)"', "cgroup {} opened"),
        (r'^pread64\(\d+</sys/fs/cgroup/.*/([^/>]+)>', "cgroup {} re-read (kept descriptor)"),
        (r'^openat\(' + fd + r', "\d+/fd"', "PID/fd folder"),
        (r'^newfstatat\(' + fd + r', "\d+/fd"', "stat() of PID/fd (the count of descriptors)"),
        (r'^openat\(' + fd + r', "\d+/io"', "PID/io"),
        (r'^newfstatat\(' + fd + r', ""', "fstat() of an opened file or folder"),
        (r'^getdents64\(', "getdents64 (a listing of /proc)"),
        (r'^openat\(AT_FDCWD, "([^"]+)"', "{} opened"),
        (r'^read\(\d+<(/proc/[a-z]+)>', "{} read"),
        (r'^read\(\d+<anon_inode:\[?(\w+)', "read of a {}"),
        (r'^(\w+)\(', "other {}"),
    ]
    try:
        with open(f) as fh:
            for line in fh:
                for rx, label in rules:
                    m = re.match(rx, line)
                    if m:
                        k = label.format(*m.groups())
                        kinds[k] = kinds.get(k, 0) + 1
                        break
    finally:
        if os.path.exists(f):
            os.unlink(f)
    return {k: v / seconds for k, v in sorted(kinds.items(), key=lambda x: -x[1])}


def engine_run(vigil, sweep_bin, d, extras, host_total, count, seconds, sweeps, cgroups=True, trace=False,
               kind="sleep"):
    """The engine with count children running SERVICES[kind], the host at host_total (None: as it is);
    VIGIL_CGROUPS=off unless cgroups."""
    stack = os.path.join(d, "vigil.yaml")
    with open(stack, "w") as f:
        f.write(stack_text(d, count, kind))
    if host_total is not None:
        extras.set_total(host_total - count - 2)  # the engine's children and its guardian come on top
    home = os.path.join(d, "top-home")
    os.makedirs(home, exist_ok=True)
    out = open(os.path.join(d, "engine.out"), "wb")
    env = dict(os.environ)
    env.pop("VIGIL_CGROUPS", None)
    if not cgroups:
        env["VIGIL_CGROUPS"] = "off"
    engine = subprocess.Popen([vigil, "up", "-f", stack], stdout=out, stderr=subprocess.STDOUT, cwd=d, env=env)
    top = None
    kids = []
    try:
        deadline = time.monotonic() + 90
        while True:
            st = status(vigil, stack)
            running = [p for p in (st or {}).get("processes", []) if p.get("state") == "running"]
            if len(running) >= count:
                kids = [p["pid"] for p in running]
                break
            if engine.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"engine: {len(running)} of {count} running")
            time.sleep(0.5)
        top = subprocess.Popen(["top", "-b", "-d", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=dict(os.environ, TERM="dumb", HOME=home))
        time.sleep(3)
        windows = 3
        per = {"engine": [], "top": []}
        ticks = []
        procs_seen = []
        t_all = [None, None]
        for w in range(windows):
            e0, t0, k0, w0 = tasks_cpu_ns(engine.pid), tasks_cpu_ns(top.pid), c.cpu_ticks(engine.pid), time.monotonic_ns()
            time.sleep(seconds / windows)
            e1, t1, k1, w1 = tasks_cpu_ns(engine.pid), tasks_cpu_ns(top.pid), c.cpu_ticks(engine.pid), time.monotonic_ns()
            wall_s = (w1 - w0) / 1e9
            per["engine"].append((e1 - e0) / 1e6 / wall_s)
            per["top"].append((t1 - t0) / 1e6 / wall_s)
            ticks.append((k1 - k0, wall_s))
            if w == 0:
                t_all[0] = (e0, t0, w0)
            t_all[1] = (e1, t1, w1)
            procs_seen.append(host_procs())
        st = status(vigil, stack)
        engine_host_procs = (st or {}).get("host", {}).get("procs")
        mode = (st or {}).get("cgroups") or "?"
        wall_s = (t_all[1][2] - t_all[0][2]) / 1e9
        eng = (t_all[1][0] - t_all[0][0]) / 1e6 / wall_s
        topr = (t_all[1][1] - t_all[0][1]) / 1e6 / wall_s
        tick_ms = sum(k for k, _ in ticks) * 1000 / c.TICK / sum(w for _, w in ticks)
        threads = len(os.listdir(f"/proc/{engine.pid}/task"))
        # one bare sweep at this host size (the engine and its children still there)
        bare = sorted(run_sweep(sweep_bin, None, sweeps)[1] for _ in range(3))[1]
        files = engine_files(engine.pid, d) if trace else {}
    finally:
        if top is not None:
            top.send_signal(signal.SIGTERM)
            top.wait()
        subprocess.run([vigil, "down", "-f", stack], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)
        try:
            rc = engine.wait(timeout=30)
        except subprocess.TimeoutExpired:
            rc = c.stop_engine(engine)
        out.close()
        left = [p for p in kids if c.comm(p) in ("sleep", "perl") and c.stat_fields(p) is not None]
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return {"engine": eng, "engine_win": per["engine"], "ticks": tick_ms, "top": topr, "top_win": per["top"],
            "host": round(c.med(procs_seen)), "engine_host": engine_host_procs, "rc": rc, "left": len(left),
            "threads": threads, "bare": bare, "seconds": wall_s, "mode": mode,
            "files": files, "kind": kind}


# ---- output -------------------------------------------------------------------------

def ms(v):
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5, help="rounds per host size, alternating (default 5)")
    ap.add_argument("--sweeps", type=int, default=20, help="sweeps / refreshes per measurement (default 20)")
    ap.add_argument("--levels", default="200,1000,3000", help="host process totals (default 200,1000,3000)")
    ap.add_argument("--callgrind-at", default="1000", help="levels with callgrind counts ('' for none; default 1000)")
    ap.add_argument("--engine-seconds", type=float, default=30, help="engine measurement window (default 30)")
    ap.add_argument("--engine-host", type=int, default=1000,
                    help="also measure the engine with the host at this total (0: only as it is; default 1000)")
    ap.add_argument("--no-htop", action="store_true", help="leave htop out")
    ap.add_argument("--no-engine", action="store_true", help="leave the engine (part 2) out")
    ap.add_argument("--no-cgroups-off", action="store_true",
                    help="leave out the engine run with VIGIL_CGROUPS=off (the host as it is)")
    args = ap.parse_args()
    vigil = c.vigil_path()
    levels = [int(x) for x in args.levels.split(",") if x]
    cg_levels = {int(x) for x in args.callgrind_at.split(",") if x}
    lib = os.path.join(os.path.dirname(vigil), "libvigil_collectors.a")
    if not os.path.exists(lib):
        lib = os.path.join(c.ROOT, "build-bench", "libvigil_collectors.a")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    c.header("5. Sampling cost per sweep, the whole host", ["bench/sampling.py"] + sys.argv[1:])
    extras = Extras()
    with c.TempDir("vigil-bench-sampling-") as d:
        try:
            run(args, vigil, levels, cg_levels, lib, d, extras)
        finally:
            extras.kill_all()


def run(args, vigil, levels, cg_levels, lib, d, extras):
    core = os.path.join(os.path.dirname(lib), "libvigil_core.a")  # proc.c grows its arrays with core/vec
    sweep = c.compile("sweep", d, static=False, extra=["-I", os.path.join(c.ROOT, "src"), lib, core])
    htop_bin = None if args.no_htop else shutil.which("htop")
    htop = None
    if htop_bin:
        shim_c = os.path.join(d, "scancount.c")
        with open(shim_c, "w") as f:
            f.write(SHIM_C)
        shim = os.path.join(d, "scancount.so")
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-shared", "-fPIC", "-o", shim, shim_c, "-ldl"], check=True)
        htop = Htop(htop_bin, shim, d)
    have_cg = shutil.which("valgrind") is not None
    top_home = os.path.join(d, "top-home")
    os.makedirs(top_home, exist_ok=True)
    top_env = dict(os.environ, TERM="dumb", HOME=top_home)
    n = args.sweeps
    names = ["vigil", "floor2", "floor1", "keep", "top", "top1"] + (["htop"] if htop else [])
    results = {}
    cg = {}
    hot = []
    perf = {}
    engine_rows = []
    if not args.no_engine:
        engine_rows.append(engine_run(vigil, sweep, d, extras, None, 100, args.engine_seconds, n, trace=True))
        engine_rows.append(engine_run(vigil, sweep, d, extras, None, 100, args.engine_seconds, n, trace=True,
                                      kind="waking"))
        if not args.no_cgroups_off:
            engine_rows.append(engine_run(vigil, sweep, d, extras, None, 100, args.engine_seconds, n, cgroups=False))
    for level in levels:
        extras.set_total(level)
        warm0 = len(WARM)
        r = {k: [] for k in names}
        r["top_total"], r["htop_total"], r["procs"] = [], [], []
        for rnd in range(args.rounds):
            order = names[rnd % len(names):] + names[:rnd % len(names)]
            for k in order:
                if k == "vigil":
                    p, v = run_sweep(sweep, None, n)
                    r["procs"].append(p)
                    r[k].append(v)
                elif k == "floor2":
                    r[k].append(run_sweep(sweep, "--floor2", n)[1])
                elif k == "floor1":
                    r[k].append(run_sweep(sweep, "--floor1", n)[1])
                elif k == "keep":
                    r[k].append(run_sweep(sweep, "--floor1-keep", n)[1])
                elif k == "top":
                    r[k].append(wait4_cpu(["top", "-b", "-d", "0.2", "-n", str(n + 1)], top_env) * 1000)
                elif k == "top1":
                    r[k].append(wait4_cpu(["top", "-b", "-n", "1"], top_env) * 1000)
                elif k == "htop":
                    per, total = htop.per_refresh(n)
                    r[k].append(per)
                    r["htop_total"].append(total)
        # top per refresh, round by round: (cpu(n+1) - cpu(1)) / n
        r["top_total"] = [t / (n + 1) for t in r["top"]]
        r["top"] = [(t - t1) / n for t, t1 in zip(r["top"], r["top1"])]
        r["warm"] = WARM[warm0:]
        results[level] = r
        if level in cg_levels and have_cg:
            cg[level] = callgrind_counts(sweep, d, top_env)
            hot = callgrind_hot(sweep, d, n)
        if level == max(levels):
            prof = {}
            for name, mode in (("vigil sweep", None), ("floor stat", "--floor1")):
                x = perf_profile([sweep] + ([mode] if mode else []) + [str(2 * n)], d)
                if x is not None:
                    prof[name] = x
            if prof:
                perf[level] = prof
    if not args.no_engine and args.engine_host > 0:
        engine_rows.append(engine_run(vigil, sweep, d, extras, args.engine_host, 100, args.engine_seconds, n))
    extras.kill_all()
    report(args, results, cg, hot, perf, engine_rows, htop is not None, have_cg)


def perf_profile(argv, d):
    """(kernel %, libc %, libproc2 %, top symbols) of a run under perf record -e cpu-clock; None when perf fails."""
    if shutil.which("perf") is None:
        return None
    f = os.path.join(d, "perf.data")
    try:
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "10000", "-o", f, "--"] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

        def report(key):
            return subprocess.run(["perf", "report", "-i", f, "--sort", key, "--stdio"], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, check=True).stdout
        dso = {}
        for line in report("dso").splitlines():
            m = re.match(r"^\s*([\d.]+)%\s+(\S+)", line)
            if m:
                dso[m.group(2)] = float(m.group(1))
        syms = []
        for line in report("sym").splitlines():
            m = re.match(r"^\s*([\d.]+)%\s+\[([k.])\]\s+(\S+)", line)
            if m and len(syms) < 10:
                syms.append((float(m.group(1)), m.group(3) + (" (kernel)" if m.group(2) == "k" else "")))
    except (subprocess.CalledProcessError, OSError):
        return None
    finally:
        if os.path.exists(f):
            os.unlink(f)

    def share(prefix):
        return sum(v for k, v in dso.items() if k.startswith(prefix))
    return share("[kernel"), share("libc.so"), share("libproc2"), syms


def callgrind_counts(sweep, d, top_env):
    out = {}
    f = os.path.join(d, "cg.out")
    for key, mode in (("vigil", None), ("floor2", "--floor2"), ("floor1", "--floor1"), ("keep", "--floor1-keep")):
        argv = [sweep] + ([mode] if mode else [])
        hi = callgrind_ir(argv + ["21"], f)
        lo = callgrind_ir(argv + ["1"], f)
        out[key] = (hi - lo) / 20
    hi = callgrind_ir(["top", "-b", "-d", "0.2", "-n", "6"], f, env=top_env)
    lo = callgrind_ir(["top", "-b", "-n", "1"], f, env=top_env)
    out["top"] = (hi - lo) / 5
    out["procs"] = host_procs()
    os.unlink(f)
    return out


def callgrind_hot(sweep, d, n):
    f = os.path.join(d, "cg-hot.out")
    total = callgrind_ir([sweep, str(n)], f, extra=["--toggle-collect=proc_scan_run"])
    rows = callgrind_self(f, 10)
    os.unlink(f)
    return [(total / n, rows)]


def report(args, results, cg, hot, perf, engine_rows, have_htop, have_cg):
    n = args.sweeps
    print(f"{args.rounds} rounds per host size, the order rotating from round to round; "
          f"{n} sweeps or refreshes per measurement; CPU ms (user + system) per sweep or refresh, "
          "median (min)  ")
    print()
    head = ("| host processes | vigil sweep | floor: stat + statm | floor: stat | stat, descriptors kept (pread) |"
            " `top -b -d 0.2` per refresh | top total / refreshes |")
    sep = "|---|---|---|---|---|---|---|"
    if have_htop:
        head += " `htop -d 2` per refresh | htop total / refreshes |"
        sep += "---|---|"
    head += " vigil / top | vigil / two-file floor | vigil / one-file floor | vigil µs per process |"
    sep += "---|---|---|---|"
    print(head)
    print(sep)
    for level, r in results.items():
        procs = round(c.med(r["procs"]))
        v = c.med(r["vigil"])

        def cell(k):
            return f"{ms(c.med(r[k]))} ({ms(min(r[k]))})"
        row = (f"| {procs} (target {level}) | **{cell('vigil')}** | {cell('floor2')} | {cell('floor1')} | "
               f"{cell('keep')} | {cell('top')} | {ms(c.med(r['top_total']))} |")
        if have_htop:
            row += f" {cell('htop')} | {ms(c.med(r['htop_total']))} |"
        row += (f" {v / c.med(r['top']):.2f}× | {v / c.med(r['floor2']):.2f}× | {v / c.med(r['floor1']):.2f}× | "
                f"{v * 1000 / procs:.1f} |")
        print(row)
    print()
    for level, r in results.items():
        if r.get("warm"):
            print(f"vigil's first two sweeps at {round(c.med(r['procs']))} processes (not in the figures above, as "
                  f"top's first refresh is not: they open a stat and a schedstat descriptor per process): "
                  f"{ms(c.med(r['warm']))} ms together (median)  ")
    if not have_htop:
        print("htop: not measured (not installed, or --no-htop).  ")
    else:
        print("htop: refreshes counted exactly (a shim counts its scans of /proc); it reads stat, statm and the "
              "task folder of every process (threads included, its default), and draws a 200×50 screen.  ")
    print("top: batch mode prints every process each refresh (to /dev/null here); it reads stat and statm "
          "of every process.  ")
    for level, prof in perf.items():
        print(f"where the CPU time goes at {level} processes (`perf record -e cpu-clock`, all of a `sweep {2 * n}` run): " +
              "; ".join(f"{name}: kernel {k:.0f}%, libc {lc:.0f}%, libproc2 {lp:.0f}%"
                        for name, (k, lc, lp, _) in prof.items()) + "  ")
        syms = prof.get("vigil sweep", (0, 0, 0, []))[3]
        if syms:
            print("vigil sweep, top symbols: " + "; ".join(f"{sym} {p:.1f}%" for p, sym in syms) +
                  " (samples in libc's open, read, close and fstatat are mostly the system calls' entry and exit; "
                  "pvm_irq_enable is where the kernel re-enables interrupts, so it collects the samples of "
                  "stretches run with them off)  ")
    print()
    if cg:
        print("Instructions per sweep or refresh (callgrind, **user space only**: the kernel's work of "
              "producing /proc files, most of the CPU time above, is not in them):")
        print()
        print("| host processes | vigil sweep | floor: stat + statm | floor: stat | stat, descriptors kept | "
              "`top -b` per refresh | vigil per process | vigil / top |")
        print("|---|---|---|---|---|---|---|---|")
        for level, x in cg.items():
            print(f"| {x['procs']} (target {level}) | {x['vigil'] / 1e6:.2f} M | {x['floor2'] / 1e6:.2f} M | "
                  f"{x['floor1'] / 1e6:.2f} M | {x['keep'] / 1e6:.2f} M | {x['top'] / 1e6:.1f} M | "
                  f"{x['vigil'] / x['procs']:.0f} | "
                  f"{x['vigil'] / x['top']:.2f}× |")
        print()
        print("(`sweep 21` less `sweep 1`, / 20; top: `-n 6` less `-n 1`, / 5. htop could be counted the same "
              "way, with its scans counted by the shim, at a few minutes of callgrind.)  ")
        for per, rows in hot:
            print(f"where vigil's sweep spends them (`--toggle-collect=proc_scan_run`, {per / 1e6:.2f} M per sweep), "
                  "self cost: " + "; ".join(f"{fn} {p:.1f}%" for p, fn in rows) + "  ")
        print()
    elif not have_cg:
        print("instructions: valgrind not installed, not counted.")
        print()
    if engine_rows:
        print(f"The engine: 100 services (`sleep 1000`, idle; or waking: `perl` waking twice a second, "
              f"so every cgroup's counter moves between sweeps), sample_interval 1s, "
              f"{engine_rows[0]['seconds']:.0f} s (3 windows) after all 100 are running; ms of CPU per second:")
        print()
        print("| services | host processes | cgroups | engine CPU ms/s (schedstat; windows min–max) | engine (stat ticks) | "
              "`top -b -d 1` ms/s, same windows | one bare vigil sweep at this size (ms) | engine / top |")
        print("|---|---|---|---|---|---|---|---|")
        for e in engine_rows:
            print(f"| {e['kind']} | {e['host']} (engine's count: {e['engine_host']}) | {e['mode'].split(':')[0]} | **{e['engine']:.3f}** "
                  f"({min(e['engine_win']):.3f}–{max(e['engine_win']):.3f}) | {e['ticks']:.2f} | "
                  f"{e['top']:.2f} ({min(e['top_win']):.2f}–{max(e['top_win']):.2f}) | {e['bare']:.2f} | "
                  f"{e['engine'] / e['top']:.2f}× |")
        print()
        print("engine exit status: " + ", ".join(str(e["rc"]) for e in engine_rows) +
              f"; threads: {engine_rows[0]['threads']}; supervised processes left after `vigil down`: "
              + ", ".join(str(e["left"]) for e in engine_rows) + "  ")
        for e in engine_rows:
            if e["files"]:
                print(f"what the engine reads per second, {e['kind']} services, host at {e['host']}, {e['mode'].split(':')[0]} "
                      "(strace over 10 s after the windows; descriptors and I/O are read every 5 s): " +
                      "; ".join(f"{k} {v:.1f}" for k, v in e["files"].items()) + "  ")
        print()
    big = max(results) if results else None
    if big is not None:
        r = results[big]
        v, t, f2 = c.med(r["vigil"]), c.med(r["top"]), c.med(r["floor2"])
        procs = round(c.med(r["procs"]))
        print(f"goal ≤ 15 ms per sweep at {procs} processes: {c.verdict(v <= 15)} ({ms(v)} ms)  ")
        print(f"goal half of top or less: {c.verdict(v <= t / 2)} ({v / t:.2f}× top's {ms(t)} ms)  ")
        print(f"goal below the two-file floor: {c.verdict(v < f2)} ({v / f2:.2f}× its {ms(f2)} ms; "
              f"the one-file floor: {ms(c.med(r['floor1']))} ms; one file with descriptors kept: "
              f"{ms(c.med(r['keep']))} ms)  ")
    for e in engine_rows:
        print(f"goal < 1 ms of CPU per second, the engine with 100 processes ({e['kind']}), host at {e['host']}, "
              f"{e['mode'].split(':')[0]}: "
              f"{c.verdict(e['engine'] < 1)} ({e['engine']:.3f} ms/s)  ")
    print()


if __name__ == "__main__":
    main()
