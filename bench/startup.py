#!/usr/bin/env python3
"""Benchmark 3: time to bring 100 processes to running.

A stack of 100 services `sleep 1000` (no probes, no dependencies). Time
from the engine's start (just before fork) until its stdout, a pipe read
here, has carried 100 `▸ running` lines (each line is stamped as it is
read). vigil prints "running" after the exec succeeded (its spawn waits for
the exec), so that is 100 processes exec'd.

Reference, alternating in the same invocation: `sh -c 'for i in $(seq 100);
do sleep 1000 & done; echo spawned'`, read the same way: time until
"spawned" (the shell forked 100 times), and until all 100 children are
exec'd (each /proc/PID/comm is "sleep"; polled from here).

--alt PATH adds another vigil binary, measured the same way in each round.

    bench/startup.py [--runs N] [--count K] [--alt PATH]
"""
import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as c  # noqa: E402


def stack_text(d, count):
    lines = ["version: 1", "name: startup", "settings:", f"  log_dir: {d}/logs", "processes:"]
    for i in range(count):
        lines.append(f'  s{i:03d}: {{command: ["sleep", "1000"]}}')
    return "\n".join(lines) + "\n"


def run_vigil(vigil, stack, count):
    t0 = time.monotonic_ns()
    proc = subprocess.Popen([vigil, "up", "-f", stack], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    running = 0
    t_all = None
    try:
        for line in proc.stdout:
            if "▸ running".encode() in line:
                running += 1
                if running == count:
                    t_all = time.monotonic_ns()
                    break
        cpu = c.CpuMark(proc.pid)
        on_cpu, waiting = c.sched(proc.pid)
        faults = c.stat_fields(proc.pid)[2]
    finally:
        proc.send_signal(signal.SIGINT)
        # keep reading so the engine never blocks on a full pipe while it stops
        for _ in proc.stdout:
            pass
        rc = c.stop_engine(proc)
    if t_all is None:
        raise RuntimeError(f"only {running} of {count} processes running (exit {rc})")
    wall = t_all - t0
    return {"ms": wall / 1e6, "cpu_ms": cpu.ns / 1e6, "rc": rc, "wait_ms": waiting / 1e6,
            "blocked_ms": (wall - on_cpu - waiting) / 1e6, "faults": faults}


def run_ref(count):
    script = f'p=""; for i in $(seq {count}); do sleep 1000 & p="$p $!"; done; echo spawned $p'
    t0 = time.monotonic_ns()
    proc = subprocess.Popen(["sh", "-c", script], stdout=subprocess.PIPE, start_new_session=True)
    pids = []
    try:
        line = proc.stdout.readline()
        t_forked = time.monotonic_ns()
        pids = [int(x) for x in line.split()[1:]]
        left = set(pids)
        while left:
            left = {p for p in left if c.comm(p) != "sleep"}
        t_exec = time.monotonic_ns()
        proc.wait()
    finally:
        for p in pids:
            try:
                os.kill(p, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        proc.wait()
    if len(pids) != count:
        raise RuntimeError(f"the shell started {len(pids)} processes, not {count}")
    return {"forked_ms": (t_forked - t0) / 1e6, "exec_ms": (t_exec - t0) / 1e6}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=11, help="runs of each, alternating (default 11)")
    ap.add_argument("--count", type=int, default=100, help="processes (default 100)")
    ap.add_argument("--alt", metavar="PATH", help="another vigil binary to measure beside build-bench/vigil")
    args = ap.parse_args()
    vigil = c.vigil_path()
    c.header(f"3. Time to bring {args.count} processes to running", ["bench/startup.py"] + sys.argv[1:])
    with c.TempDir("vigil-bench-startup-") as d:
        stack = os.path.join(d, "vigil.yaml")
        with open(stack, "w") as f:
            f.write(stack_text(d, args.count))
        v, ref, alt = [], [], []
        kinds = ["vigil", "alt", "ref"] if args.alt else ["vigil", "ref"]
        for i in range(args.runs):
            for kind in kinds if i % 2 == 0 else kinds[::-1]:
                if kind == "vigil":
                    v.append(run_vigil(vigil, stack, args.count))
                elif kind == "alt":
                    alt.append(run_vigil(os.path.abspath(args.alt), stack, args.count))
                else:
                    ref.append(run_ref(args.count))
                time.sleep(0.2)  # let the stopped processes go before the next run
        vm = [r["ms"] for r in v]
        fk = [r["forked_ms"] for r in ref]
        ex = [r["exec_ms"] for r in ref]
        print(f"runs: {args.runs} of each, alternating  ")
        print()
        print("| | median | min | max |")
        print("|---|---|---|---|")
        print(f"| `vigil up`: start → {args.count} `▸ running` lines read | {c.med(vm):.1f} ms | {min(vm):.1f} ms | {max(vm):.1f} ms |")
        if alt:
            am = [r["ms"] for r in alt]
            print(f"| `{os.path.basename(args.alt)} up`: start → {args.count} `▸ running` lines read | "
                  f"{c.med(am):.1f} ms | {min(am):.1f} ms | {max(am):.1f} ms |")
        print(f"| shell loop: start → `spawned` read ({args.count} forks done) | {c.med(fk):.1f} ms | {min(fk):.1f} ms | {max(fk):.1f} ms |")
        print(f"| shell loop: start → all {args.count} exec'd (`comm` = sleep) | {c.med(ex):.1f} ms | {min(ex):.1f} ms | {max(ex):.1f} ms |")
        print()
        print(f"engine CPU from start to the {args.count}th running line: median "
              f"{c.med([r['cpu_ms'] for r in v]):.1f} ms ({c.med([r['cpu_ms'] for r in v]) / args.count * 1000:.0f} µs per process)  ")
        print(f"engine's time until then (median): {c.med([r['cpu_ms'] for r in v]):.0f} ms on a CPU, "
              f"{c.med([r['wait_ms'] for r in v]):.0f} ms waiting for a CPU, "
              f"{c.med([r['blocked_ms'] for r in v]):.0f} ms blocked (mostly in spawn's read of the exec report; "
              f"the first output is flushed only when the loop first sleeps, after all {args.count} spawns); "
              f"{c.med([r['faults'] for r in v]):.0f} page faults  ")
        if alt:
            print(f"{os.path.basename(args.alt)}: engine {c.med([r['cpu_ms'] for r in alt]):.0f} ms on a CPU, "
                  f"{c.med([r['wait_ms'] for r in alt]):.0f} ms waiting for a CPU, "
                  f"{c.med([r['blocked_ms'] for r in alt]):.0f} ms blocked; "
                  f"{c.med([r['faults'] for r in alt]):.0f} page faults  ")
        print(f"vigil / shell loop: {c.med(vm) / c.med(ex):.2f}x (vs all exec'd), "
              f"{c.med(vm) / c.med(fk):.2f}x (vs forks done)  ")
        print(f"goal < 100 ms: {c.verdict(c.med(vm) < 100)} (median {c.med(vm):.1f} ms, min {min(vm):.1f} ms)")
        print()


if __name__ == "__main__":
    main()
