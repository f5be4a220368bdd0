#!/usr/bin/env python3
"""Benchmark 6: the dashboard's cost.

1. Render cost per frame (bench/render.c, built here against build-bench's
   libraries): 10, 100 and 1000 processes, the log pane following a process
   that writes 10,000 lines per frame (a frame a second), 200x60; CPU per
   frame for drawing alone and with taking in the lines. Medians of 5 runs.
2. `vigil top` per refresh beside `top -b` at the same refresh period and
   host size (the host's own processes plus N `sleep` children started
   here): vigil top runs in tmux (it needs a terminal) for a window of
   seconds; its CPU is both of its processes (the screen and the sampling
   agent) from /proc/PID/stat, divided by the refreshes in the window.

    bench/render.py [--rounds 5] [--levels 1000,3000] [--seconds 20]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as c  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def build_render(tmp):
    out = os.path.join(tmp, "render")
    b = os.path.join(ROOT, "build-bench")
    subprocess.run(["cc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-I" + os.path.join(ROOT, "src"), "-o", out,
                    os.path.join(HERE, "render.c"), os.path.join(b, "libvigil_ui.a"),
                    os.path.join(b, "libvigil_core.a"), "-lncursesw", "-ltinfo", "-lcjson", "-lyaml",
                    "-lm", "-ldl"], check=True)
    return out


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if v else float("nan")


def ticks(pid):
    try:
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    except OSError:
        return 0


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if int(open("/proc/%s/stat" % d).read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d))
            except OSError:
                pass
    return out


def vigil_top_cpu(vigil, seconds, refresh, tmp):
    """CPU ms per refresh of vigil top (screen + agent) in a tmux pane."""
    sess = "vbench%d" % os.getpid()
    env = dict(os.environ, TMUX_TMPDIR=tmp)
    subprocess.run(["tmux", "-f", "/dev/null", "new-session", "-d", "-s", sess, "-x", "200", "-y", "60",
                    "TERM=xterm-256color LANG=C.UTF-8 exec %s top --refresh %s" % (vigil, refresh)],
                   check=True, env=env)
    try:
        deadline = time.time() + 10
        screen = None
        while time.time() < deadline and screen is None:
            pane = subprocess.run(["tmux", "list-panes", "-t", sess, "-F", "#{pane_pid}"],
                                  stdout=subprocess.PIPE, text=True, env=env).stdout.split()
            if pane:
                screen = int(pane[0])
            time.sleep(0.1)
        time.sleep(2)  # past the first sweeps
        procs = [screen] + children(screen)
        t0 = {p: ticks(p) for p in procs}
        time.sleep(seconds)
        t1 = {p: ticks(p) for p in procs}
        hz = os.sysconf("SC_CLK_TCK")
        total = sum(t1[p] - t0[p] for p in procs) * 1000.0 / hz
        return total / (seconds / refresh), len(procs)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", sess], env=env)


def top_cpu(seconds, refresh):
    n = int(seconds / refresh)
    p = subprocess.Popen(["top", "-b", "-d", str(refresh), "-n", str(n + 1)], stdout=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return (ru.ru_utime + ru.ru_stime) * 1000.0 / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--levels", default="1000,3000")
    ap.add_argument("--seconds", type=float, default=20)
    a = ap.parse_args()
    vigil = os.environ.get("VIGIL", os.path.join(ROOT, "build-bench", "vigil"))
    tmp = tempfile.mkdtemp(prefix="vigil-bench-render-")
    sleeps = []
    try:
        render = build_render(tmp)
        print("## 6. The dashboard's cost\n")
        print("command: `bench/render.py`  ")
        print("machine: %s  \n" % c.machine())
        print("### Render cost per frame (`bench/render.c`, 200x60, medians of %d runs of 30 frames)\n" % a.rounds)
        print("| processes | drawing, CPU ms per frame | with 10,000 new log lines, CPU ms per frame |")
        print("|---|---|---|")
        worst = 0
        for n in (10, 100, 1000):
            d, t = [], []
            for _ in range(a.rounds):
                out = subprocess.run([render, str(n), "30", "10000"], stdout=subprocess.PIPE, text=True,
                                     check=True).stdout.split()
                d.append(float(out[1]))
                t.append(float(out[2]))
            print("| %d | %.2f | %.2f |" % (n, median(d), median(t)))
            if n == 1000:
                worst = median(t)
        print("\ngoal: a frame under 2 ms of CPU at 1000 rows: **%s** (%.2f ms)\n" %
              ("met" if worst < 2 else "missed", worst))
        if shutil.which("tmux") is None:
            print("vigil top: tmux is missing, not measured")
            return
        print("### `vigil top` per refresh beside `top -b` (refresh 1 s, %g s windows, alternating)\n" % a.seconds)
        print("| host processes | vigil top (screen + agent), CPU ms per refresh | top -b, CPU ms per refresh | vigil / top |")
        print("|---|---|---|---|")
        for level in [int(x) for x in a.levels.split(",")]:
            have = len([d for d in os.listdir("/proc") if d.isdigit()])
            while have < level:
                sleeps.append(subprocess.Popen(["sleep", "1000"]))
                have += 1
            vt, tt = [], []
            for _ in range(max(1, a.rounds // 2)):
                vt.append(vigil_top_cpu(vigil, a.seconds, 1.0, tmp)[0])
                tt.append(top_cpu(a.seconds, 1.0))
            host = len([d for d in os.listdir("/proc") if d.isdigit()])
            print("| %d | %.1f | %.1f | %.2fx |" % (host, median(vt), median(tt), median(vt) / median(tt)))
    finally:
        for p in sleeps:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
