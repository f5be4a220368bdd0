#!/usr/bin/env python3
"""Benchmark 1: reaction time from a child's exit to the next exec, zero backoff.

One service, `command: [tiny, STAMPS, CODE]` (--exit CODE, default 1: each
exit is a crash, with its crash report), restart: always, backoff 0s/0s/1,
max_restarts 1000000 in restart_window 1s. bench/tiny.c appends
"START_NS EXIT_NS" (CLOCK_MONOTONIC) to STAMPS at its start and just before
_exit(1). Respawn latency = start of child i+1 - exit of child i.

Engine CPU per restart = (utime+stime of the engine over the measured
window) / restarts in the window, read from /proc/PID/schedstat (ns) and
/proc/PID/stat (ticks) of the running engine. The first --warmup restarts
are left out (engine start-up).

Reference in the same invocation, alternating with vigil: bench/minisup.c,
fork + execv + waitpid in a loop (the floor), measured the same way.

With --variants (used by bench/profile.sh) three more loops run in each
round, to separate the costs: minisup with posix_spawn (vfork, no copy of
the address space), and minisup linked with the engine's libraries and
libcurl initialized (an address space like the engine's), with fork and
with posix_spawn.

--alt PATH adds a second vigil binary (e.g. one built with other flags),
measured the same way in each round.

    bench/respawn.py [--restarts N] [--rounds R] [--warmup W] [--exit CODE] [--variants] [--alt PATH]
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as c  # noqa: E402

STACK = """version: 1
name: respawn
settings:
  log_dir: {dir}/logs
processes:
  tiny:
    command: ["{tiny}", "{stamps}", "{code}"]
    restart: always
    backoff: {{initial: 0s, max: 0s, factor: 1}}
    max_restarts: 1000000
    restart_window: 1s
"""


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def wait_lines(path, n, proc, limit_s):
    deadline = time.monotonic() + limit_s
    while True:
        k = count_lines(path)
        if k >= n:
            return k
        if proc.poll() is not None:
            raise RuntimeError(f"supervisor exited early (status {proc.returncode}) after {k} children")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {k} of {n} children in {limit_s}s")
        time.sleep(0.02)


NAMES = {
    "vigil": "vigil up",
    "floor": "floor: fork/exec/waitpid loop (bench/minisup.c)",
    "floor-vfork": "minisup -v: posix_spawn (vfork) loop",
    "fat-fork": "minisup-fat: fork loop, engine's libraries loaded",
    "fat-vfork": "minisup-fat -v: posix_spawn loop, engine's libraries loaded",
}


def guardian_of(pid, vigil):
    for ch in c.children(pid):
        if c.exe(ch) == os.path.realpath(vigil):
            return ch
    return None


def one_run(kind, argv, stamps, args, vigil):
    """Runs one supervisor until args.restarts restarts after the warm-up; returns figures."""
    errlog = stamps + ".stderr"
    with open(errlog, "w") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, cwd=os.path.dirname(stamps))
    try:
        wait_lines(stamps, args.warmup, proc, 30)
        guardian = guardian_of(proc.pid, argv[0]) if kind.startswith("vigil") else None
        k0a = count_lines(stamps)
        m0 = c.CpuMark(proc.pid)
        g0 = c.CpuMark(guardian) if guardian else None
        k0b = count_lines(stamps)
        wait_lines(stamps, k0b + args.restarts, proc, 90)
        k1a = count_lines(stamps)
        m1 = c.CpuMark(proc.pid)
        g1 = c.CpuMark(guardian) if guardian else None
        k1b = count_lines(stamps)
        rss = c.status_kib(proc.pid, "VmRSS", "VmHWM")
    finally:
        rc = c.stop_engine(proc)
    recs = []
    with open(stamps) as f:
        for line in f:
            a, b = line.split()
            recs.append((int(a), int(b)))
    os.unlink(stamps)
    restarts = (k1a + k1b) / 2 - (k0a + k0b) / 2
    lat = [(recs[i + 1][0] - recs[i][1]) / 1e3 for i in range(k0b, min(k1a, len(recs) - 1))]
    ns_ms, tick_ms, wall_ms = m1.since(m0)
    out = {
        "kind": kind, "rc": rc, "restarts": restarts, "lat_us": lat,
        "cpu_us": ns_ms * 1e3 / restarts, "cpu_tick_us": tick_ms * 1e3 / restarts,
        "wall_us": wall_ms * 1e3 / restarts, "core_pct": 100 * ns_ms / wall_ms,
        "rss": rss, "faults": (m1.minflt - m0.minflt) / restarts,
        "sys_pct": 100 * (m1.stime - m0.stime) / max(1, m1.ticks - m0.ticks),
    }
    if g0 and g1 and g0.ns is not None and g1.ns is not None:
        out["guardian_us"] = g1.since(g0)[0] * 1e3 / restarts
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--restarts", type=int, default=2000, help="measured restarts per run (default 2000)")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each supervisor, alternating (default 3)")
    ap.add_argument("--warmup", type=int, default=20, help="restarts left out at the start (default 20)")
    ap.add_argument("--exit", type=int, choices=range(10), default=1,
                    help="tiny's exit status (default 1: a crash, so vigil writes a crash report each time; 0: a clean exit)")
    ap.add_argument("--variants", action="store_true", help="also run the minisup variants (see above)")
    ap.add_argument("--alt", metavar="PATH", help="another vigil binary to measure beside build-bench/vigil")
    args = ap.parse_args()
    vigil = c.vigil_path()
    c.header("1. Respawn latency, zero backoff", ["bench/respawn.py"] + sys.argv[1:])
    with c.TempDir("vigil-bench-respawn-") as d:
        tiny = c.compile("tiny", d)
        minisup = c.compile("minisup", d)
        stamps = os.path.join(d, "stamps")
        kinds = ["vigil", "floor"]
        code = str(args.exit)
        cmds = {"vigil": None, "floor": [minisup, tiny, stamps, code]}
        if args.variants:
            fat = c.compile("minisup", d, out="minisup-fat", static=False,
                            extra=["-DMINISUP_FAT", "-lcjson", "-lyaml", "-lcurl", "-lm", "-lncursesw"])
            kinds += ["floor-vfork", "fat-fork", "fat-vfork"]
            cmds.update({"floor-vfork": [minisup, "-v", tiny, stamps, code], "fat-fork": [fat, tiny, stamps, code],
                         "fat-vfork": [fat, "-v", tiny, stamps, code]})
        stack = os.path.join(d, "vigil.yaml")
        with open(stack, "w") as f:
            f.write(STACK.format(dir=d, tiny=tiny, stamps=stamps, code=args.exit))
        cmds["vigil"] = [vigil, "up", "-f", stack]
        if args.alt:
            kinds.insert(1, "vigil-alt")
            cmds["vigil-alt"] = [os.path.abspath(args.alt), "up", "-f", stack]
            NAMES["vigil-alt"] = f"{os.path.basename(args.alt)} up"
        runs = {k: [] for k in kinds}
        for r in range(args.rounds):
            for kind in kinds if r % 2 == 0 else kinds[::-1]:
                argv = cmds[kind]
                res = one_run(kind, argv, stamps, args, vigil)
                runs[kind].append(res)
                lat = res["lat_us"]
                print(f"- round {r + 1} {kind:5}: {res['restarts']:.0f} restarts, latency median "
                      f"{c.med(lat):.0f} µs p90 {c.pct(lat, 90):.0f} µs min {min(lat):.0f} µs; "
                      f"CPU/restart {res['cpu_us']:.0f} µs (ticks: {res['cpu_tick_us']:.0f} µs)"
                      f"{'; guardian %.1f µs' % res['guardian_us'] if 'guardian_us' in res else ''}; "
                      f"{res['sys_pct']:.0f}% in the kernel; {res['faults']:.1f} page faults/restart; "
                      f"{res['wall_us']:.0f} µs wall/restart; {res['core_pct']:.0f}% of a core; "
                      f"RSS {res['rss'].get('VmRSS', '?')} KiB; exit {res['rc']}")
        print()
        print("| supervisor | restarts | latency median | p90 | p99 | min | CPU per restart (median of runs, min) | of it in the kernel | page faults per restart | % of a core | wall per restart |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        summary = {}
        for kind in kinds:
            rs = runs[kind]
            lat = [x for r in rs for x in r["lat_us"]]
            cpu = [r["cpu_us"] for r in rs]
            summary[kind] = (c.med(lat), c.pct(lat, 90), c.med(cpu))
            name = NAMES[kind]
            print(f"| {name} | {sum(r['restarts'] for r in rs):.0f} | {c.med(lat):.0f} µs | "
                  f"{c.pct(lat, 90):.0f} µs | {c.pct(lat, 99):.0f} µs | {min(lat):.0f} µs | "
                  f"{c.med(cpu):.0f} µs, {min(cpu):.0f} µs | {c.med([r['sys_pct'] for r in rs]):.0f}% | "
                  f"{c.med([r['faults'] for r in rs]):.1f} | "
                  f"{c.med([r['core_pct'] for r in rs]):.0f}% | {c.med([r['wall_us'] for r in rs]):.0f} µs |")
        v, f = summary["vigil"], summary["floor"]
        print()
        print(f"vigil / floor: latency median {v[0] / f[0]:.1f}x, p90 {v[1] / f[1]:.1f}x, CPU per restart {v[2] / f[2]:.1f}x  ")
        g = [r["guardian_us"] for r in runs["vigil"] if "guardian_us" in r]
        if g:
            print(f"vigil's guardian process: {c.med(g):.1f} µs CPU per restart (not counted above)  ")
        print(f"goal respawn < 1 ms: {c.verdict(v[0] < 1000 and v[1] < 1000)} (median {v[0]:.0f} µs, p90 {v[1]:.0f} µs); "
              f"goal < 0.2 ms engine CPU per restart: {c.verdict(v[2] < 200)} ({v[2]:.0f} µs)")
        print()


if __name__ == "__main__":
    main()
