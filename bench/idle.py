#!/usr/bin/env python3
"""Benchmark 4: the engine's memory and idle CPU with 100 `sleep` children.

The stack of bench/startup.py (100 services `sleep 1000`). Once all 100
are running and 2 s have passed, the engine's CPU time is read at the
start and end of --windows windows of --seconds each, from
/proc/PID/stat (utime+stime, ticks) and /proc/PID/schedstat (ns), and
reported as ms of CPU per second; also its context switches per second
(wake-ups). Then its VmRSS and VmHWM (/proc/PID/status), split into
anonymous memory and file pages, with the file pages per library.

References measured over the same windows: `top -b -d 1` (a monitor that
samples every second) and a plain `sleep` (the idle floor), both started
from here at the same time as the engine; and vigil's guardian process.

    bench/idle.py [--windows N] [--seconds S] [--count K]
"""
import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as c  # noqa: E402
from startup import stack_text  # noqa: E402


def ctxt(pid):
    """Voluntary + involuntary context switches of pid (its wake-ups, roughly)."""
    s = c.status_kib(pid, "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")
    return sum(s.values())


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_by_file(pid):
    """KiB of Rss per mapped file (anonymous memory under "[anon]")."""
    out = {}
    cur = None
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                parts = line.split()
                if "-" in parts[0] and len(parts) >= 5 and ":" in parts[3]:
                    cur = parts[5] if len(parts) >= 6 and parts[5].startswith("/") else "[anon]"
                elif parts[0] == "Rss:":
                    out[cur] = out.get(cur, 0) + int(parts[1])
    except OSError:
        pass
    return out


def wait_running(path, count, proc, limit_s=60):
    deadline = time.monotonic() + limit_s
    while True:
        with open(path, "rb") as f:
            n = f.read().count("▸ running".encode())
        if n >= count:
            return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{n} of {count} running")
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--windows", type=int, default=3, help="measurement windows (default 3)")
    ap.add_argument("--seconds", type=float, default=10, help="seconds per window (default 10)")
    ap.add_argument("--count", type=int, default=100, help="sleep children (default 100)")
    args = ap.parse_args()
    vigil = c.vigil_path()
    c.header(f"4. Memory and idle CPU with {args.count} children", ["bench/idle.py"] + sys.argv[1:])
    with c.TempDir("vigil-bench-idle-") as d:
        stack = os.path.join(d, "vigil.yaml")
        with open(stack, "w") as f:
            f.write(stack_text(d, args.count))
        out = os.path.join(d, "vigil.out")
        procs = {}
        with open(out, "wb") as o:
            engine = subprocess.Popen([vigil, "up", "-f", stack], stdout=o, stderr=subprocess.STDOUT)
        try:
            procs["top -b -d 1"] = subprocess.Popen(["top", "-b", "-d", "1"], stdout=subprocess.DEVNULL,
                                                    stderr=subprocess.DEVNULL, env=dict(os.environ, TERM="dumb"))
            procs["sleep (idle floor)"] = subprocess.Popen(["sleep", "1000"])
            wait_running(out, args.count, engine)
            time.sleep(2)
            guardian = [p for p in c.children(engine.pid) if c.exe(p) == os.path.realpath(vigil)]
            pids = {"vigil engine": engine.pid}
            if guardian:
                pids["vigil guardian"] = guardian[0]
            pids.update({k: p.pid for k, p in procs.items()})
            per = {k: [] for k in pids}
            for _ in range(args.windows):
                m0 = {k: (c.CpuMark(p), ctxt(p)) for k, p in pids.items()}
                time.sleep(args.seconds)
                m1 = {k: (c.CpuMark(p), ctxt(p)) for k, p in pids.items()}
                for k in pids:
                    ns_ms, tick_ms, wall_ms = m1[k][0].since(m0[k][0])
                    per[k].append((ns_ms * 1000 / wall_ms, tick_ms * 1000 / wall_ms,
                                   (m1[k][1] - m0[k][1]) * 1000 / wall_ms))
            mem = {k: c.status_kib(p, "VmRSS", "VmHWM", "RssAnon", "RssFile") for k, p in pids.items()}
            for k, p in pids.items():
                mem[k]["Pss"] = pss_kib(p)
            files = rss_by_file(engine.pid)
            running_children = sum(1 for p in c.children(engine.pid) if c.comm(p) == "sleep")
        finally:
            rc = c.stop_engine(engine)
            for p in procs.values():
                p.send_signal(signal.SIGTERM)
                p.wait()
        print(f"{args.windows} windows of {args.seconds:g} s, after {args.count} children running "
              f"({running_children} sleep children of the engine at the end); engine exit status {rc}  ")
        print()
        print("| process | CPU ms/s (schedstat: median, min, max) | CPU ms/s (stat ticks, median) | wake-ups/s | VmRSS | VmHWM | RssAnon / RssFile | Pss |")
        print("|---|---|---|---|---|---|---|---|")
        for k in pids:
            a = [x[0] for x in per[k]]
            m = mem[k]
            print(f"| {k} | {c.med(a):.3f}, {min(a):.3f}, {max(a):.3f} | {c.med([x[1] for x in per[k]]):.2f} | "
                  f"{c.med([x[2] for x in per[k]]):.1f} | {m.get('VmRSS', 0) / 1024:.2f} MiB | "
                  f"{m.get('VmHWM', 0) / 1024:.2f} MiB | {m.get('RssAnon', 0) / 1024:.2f} / {m.get('RssFile', 0) / 1024:.2f} MiB | {m['Pss'] / 1024:.2f} MiB |")
        print()
        groups = {}
        for path, kib in files.items():
            base = os.path.basename(path)
            if path == "[anon]":
                g = "anonymous mappings (heap, stack, buffers)"
            elif path == os.path.realpath(vigil):
                g = "the vigil binary"
            elif base.startswith(("libc.so", "ld-linux", "libm.so")):
                g = "libc, libm, ld.so"
            elif base.startswith(("libyaml", "libcjson", "libncursesw", "libtinfo")):
                g = "libyaml, libcjson, libncursesw, libtinfo"
            elif base.startswith(("libproc2", "libsystemd", "libgcrypt", "libgpg-error", "liblzma", "libzstd",
                                  "liblz4", "libcap.")):
                g = "libproc2 and what libsystemd pulls in (gcrypt, lzma, zstd, lz4, cap; loaded at the 2nd sample)"
            else:
                g = "other libraries (libcurl and what it pulls in once an http probe loads it)"
            groups[g] = groups.get(g, 0) + kib
        print("engine RSS by mapping (a library's share includes its relocated, private dirty pages): " + "; ".join(f"{g}: {kib / 1024:.2f} MiB"
                                                     for g, kib in sorted(groups.items(), key=lambda x: -x[1])) + "  ")
        e = mem["vigil engine"]
        cpu = c.med([x[0] for x in per["vigil engine"]])
        print(f"goal < 4 MiB RSS: {c.verdict(e.get('VmRSS', 1e9) < 4096)} (VmRSS {e.get('VmRSS', 0) / 1024:.2f} MiB, "
              f"VmHWM {e.get('VmHWM', 0) / 1024:.2f} MiB); goal < 1 ms CPU per second idle: "
              f"{c.verdict(cpu < 1)} ({cpu:.3f} ms/s)")
        print()


if __name__ == "__main__":
    main()
