#!/usr/bin/env python3
"""Benchmark 2: log capture throughput.

A stack with one oneshot, `seq 2000000`, its log file in a temporary
folder (log_max_size 1GB, so no rotation), run by `vigil up` with stdout
to /dev/null. Measured: wall time from the engine's start (just before
fork) to its exit, and the engine's own CPU time (read from /proc while it
is a zombie, so seq's CPU is not in it). After every run the log file is
checked: all lines "1" ... "2000000", in order, each with a vigil stamp.

Reference, alternating with vigil in the same invocation: `seq 2000000 |
cat > FILE` (the two processes started from here, no shell), wall time from
the start to both exits, cat's CPU time (the counterpart of the engine's),
and the same check of FILE. Also, to separate the engine's fixed cost
(start-up, shutdown) from the per-line cost: `vigil up` running a oneshot
`seq 1`.

--alt PATH (repeatable) adds other vigil binaries, measured the same way
in each round (for experiments: a build with other flags or a patch).

    bench/logthroughput.py [--runs N] [--lines L] [--alt PATH]...
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as c  # noqa: E402

STACK = """version: 1
name: logbench
settings:
  log_dir: {dir}/logs
  log_max_size: 1GB
processes:
  seq:
    command: ["seq", "{lines}"]
    kind: oneshot
"""


def check(checklog, lines, path, stamped):
    argv = [checklog] + (["-s"] if stamped else []) + [str(lines), path]
    r = subprocess.run(argv, stdout=subprocess.PIPE, text=True)
    return r.returncode == 0, r.stdout.strip()


def run_vigil(vigil, stack, d, lines, checklog):
    log = os.path.join(d, "logs", "seq.log")
    if os.path.exists(log):
        os.unlink(log)
    with open(os.path.join(d, "vigil.stderr"), "w") as err:
        t0 = time.monotonic_ns()
        proc = subprocess.Popen([vigil, "up", "-f", stack], stdout=subprocess.DEVNULL, stderr=err)
        try:
            c.wait_exit_nowait(proc.pid)
            t1 = time.monotonic_ns()
            cpu_ns = c.cpu_ns(proc.pid)
            st = c.stat_fields(proc.pid)
            hwm = c.status_kib(proc.pid, "VmHWM").get("VmHWM")  # gone for a zombie; kept if present
            _, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            c.stop_engine(proc)
    ok, msg = check(checklog, lines, log, True)
    size = os.path.getsize(log) if os.path.exists(log) else 0
    os.unlink(log)
    return {"wall_ms": (t1 - t0) / 1e6, "cpu_ms": cpu_ns / 1e6,
            "tree_cpu_ms": (ru.ru_utime + ru.ru_stime) * 1e3, "rc": proc.returncode,
            "ok": ok and proc.returncode == 0, "msg": msg, "bytes": size, "hwm": hwm,
            "sys_pct": 100 * st[1] / max(1, st[0] + st[1])}


def run_ref(d, lines, checklog):
    out = os.path.join(d, "ref.out")
    with open(out, "wb") as f:
        t0 = time.monotonic_ns()
        seq = subprocess.Popen(["seq", str(lines)], stdout=subprocess.PIPE)
        cat = subprocess.Popen(["cat"], stdin=seq.stdout, stdout=f)
        seq.stdout.close()
        _, s1, ru_seq = os.wait4(seq.pid, 0)
        _, s2, ru_cat = os.wait4(cat.pid, 0)
        t1 = time.monotonic_ns()
        seq.returncode = os.waitstatus_to_exitcode(s1)
        cat.returncode = os.waitstatus_to_exitcode(s2)
    ok, msg = check(checklog, lines, out, False)
    size = os.path.getsize(out)
    os.unlink(out)
    return {"wall_ms": (t1 - t0) / 1e6, "cpu_ms": (ru_cat.ru_utime + ru_cat.ru_stime) * 1e3,
            "tree_cpu_ms": (ru_cat.ru_utime + ru_cat.ru_stime + ru_seq.ru_utime + ru_seq.ru_stime) * 1e3,
            "rc": cat.returncode, "ok": ok and seq.returncode == 0 and cat.returncode == 0,
            "msg": msg, "bytes": size}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=25, help="runs of each, alternating (default 25)")
    ap.add_argument("--lines", type=int, default=2000000, help="lines seq prints (default 2000000)")
    ap.add_argument("--alt", metavar="PATH", action="append", default=[],
                    help="another vigil binary to measure too (repeatable)")
    args = ap.parse_args()
    vigil = c.vigil_path()
    c.header("2. Log capture throughput", ["bench/logthroughput.py"] + sys.argv[1:])
    with c.TempDir("vigil-bench-log-") as d:
        checklog = c.compile("checklog", d)
        stack = os.path.join(d, "vigil.yaml")
        with open(stack, "w") as f:
            f.write(STACK.format(dir=d, lines=args.lines))
        stack1 = os.path.join(d, "one.yaml")
        with open(stack1, "w") as f:
            f.write(STACK.format(dir=d, lines=1))
        bins = {"vigil": vigil}
        for k, alt in enumerate(args.alt):
            bins[f"alt{k + 1}"] = os.path.abspath(alt)
        kinds = list(bins) + ["ref", "fixed"]
        runs = {k: [] for k in kinds}
        for i in range(args.runs):
            for kind in kinds if i % 2 == 0 else kinds[::-1]:
                if kind == "ref":
                    r = run_ref(d, args.lines, checklog)
                elif kind == "fixed":
                    r = run_vigil(vigil, stack1, d, 1, checklog)
                else:
                    r = run_vigil(bins[kind], stack, d, args.lines, checklog)
                runs[kind].append(r)
                if not r["ok"]:
                    print(f"- run {i + 1} {kind}: LOST OR DISORDERED LINES: {r['msg']} (exit {r['rc']})")
        v, ref = runs["vigil"], runs["ref"]
        print(f"runs: {args.runs} of each, alternating; log file {v[0]['bytes'] / 1e6:.1f} MB "
              f"(vigil, stamped) vs {ref[0]['bytes'] / 1e6:.1f} MB (cat)")
        print()
        print("| | wall median | wall min | own CPU median | own CPU min | CPU incl. seq, median | complete and in order |")
        print("|---|---|---|---|---|---|---|")
        rows = [("`vigil up` (oneshot `seq 2000000`)", v, "engine")]
        rows += [(f"`{os.path.basename(bins[k])} up`", runs[k], "engine") for k in bins if k != "vigil"]
        rows += [("`seq 2000000 \\| cat > file`", ref, "cat")]
        rows += [("fixed cost: `vigil up` (oneshot `seq 1`)", runs["fixed"], "engine")]
        for name, rs, own in rows:
            print(f"| {name} | {c.med([r['wall_ms'] for r in rs]):.0f} ms | {min(r['wall_ms'] for r in rs):.0f} ms | "
                  f"{c.med([r['cpu_ms'] for r in rs]):.0f} ms ({own}) | {min(r['cpu_ms'] for r in rs):.0f} ms | "
                  f"{c.med([r['tree_cpu_ms'] for r in rs]):.0f} ms | {sum(r['ok'] for r in rs)}/{len(rs)} |")
        ratio_med = c.med([r['wall_ms'] for r in v]) / c.med([r['wall_ms'] for r in ref])
        ratio_min = min(r['wall_ms'] for r in v) / min(r['wall_ms'] for r in ref)
        pairs = sorted(a["wall_ms"] / b["wall_ms"] for a, b in zip(v, ref))
        cpu_ratio = c.med([r['cpu_ms'] for r in v]) / c.med([r['cpu_ms'] for r in ref])
        print()
        print(f"vigil / reference, wall: {ratio_med:.2f}x (medians), {ratio_min:.2f}x (minimums), "
              f"{c.med(pairs):.2f}x (median of the per-round ratios); own CPU: {cpu_ratio:.2f}x  ")
        for k in bins:
            if k != "vigil":
                print(f"{os.path.basename(bins[k])} / reference, wall: "
                      f"{c.med([r['wall_ms'] for r in runs[k]]) / c.med([r['wall_ms'] for r in ref]):.2f}x (medians); "
                      f"own CPU {c.med([r['cpu_ms'] for r in runs[k]]) / c.med([r['cpu_ms'] for r in ref]):.2f}x; "
                      f"lines complete in {sum(r['ok'] for r in runs[k])}/{len(runs[k])} runs  ")
        print(f"engine CPU in the kernel: {c.med([r['sys_pct'] for r in v]):.0f}% (stat ticks, median)  ")
        print(f"lines: vigil {sum(r['ok'] for r in v)}/{len(v)} runs complete and in order, "
              f"reference {sum(r['ok'] for r in ref)}/{len(ref)}  ")
        print(f"goal < 1.3x `seq | cat > file`: {c.verdict(ratio_med < 1.3)} ({ratio_med:.2f}x); "
              f"no line lost: {c.verdict(all(r['ok'] for r in v))}")
        print()


if __name__ == "__main__":
    main()
