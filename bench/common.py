"""Helpers shared by the vigil benchmarks (python3 standard library only).

Paths: the vigil binary is $VIGIL, or build-bench/vigil at the top of the
repository (build it with bench/run.sh or the cmake lines in bench/README.md).
The small C programs in bench/ are compiled by compile() into a temporary
folder with `cc -O2` (static when the C library allows it).
"""
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
TICK = os.sysconf("SC_CLK_TCK")


def vigil_path():
    path = os.environ.get("VIGIL") or os.path.join(ROOT, "build-bench", "vigil")
    if not os.access(path, os.X_OK):
        sys.exit(f"bench: no vigil binary at {path}; build it first:\n"
                 "  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DVIGIL_TESTS=OFF"
                 " && cmake --build build-bench -j2")
    return path


class TempDir:
    """A temporary folder removed on exit, whatever happens."""

    def __init__(self, prefix):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def compile(name, outdir, out=None, static=True, extra=()):
    """Compiles bench/NAME.c to OUTDIR/OUT (default NAME); returns the path.

    Static when the C library allows it (a small, quick-to-exec binary),
    unless static=False; extra: more flags and libraries after the source.
    """
    src = os.path.join(BENCH, name + ".c")
    out = os.path.join(outdir, out or name)
    base = [os.environ.get("CC", "cc"), "-O2", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-o", out, src]
    base += list(extra)
    if not static or subprocess.run(base[:1] + ["-static"] + base[1:],
                                    stderr=subprocess.DEVNULL).returncode != 0:
        subprocess.run(base, check=True)
    return out


# ---- /proc ------------------------------------------------------------------

def stat_fields(pid):
    """(utime ticks, stime ticks, minor faults) of pid from /proc/PID/stat, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]), int(fields[12]), int(fields[7])


def cpu_ticks(pid):
    """utime + stime of pid in clock ticks (/proc/PID/stat), or None."""
    s = stat_fields(pid)
    return None if s is None else s[0] + s[1]


def cpu_ns(pid):
    """CPU time of pid's main thread in ns (/proc/PID/schedstat), or None."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def sched(pid):
    """(ns on a CPU, ns waiting for a CPU) of pid's main thread (/proc/PID/schedstat), or None."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            v = f.read().split()
        return int(v[0]), int(v[1])
    except (OSError, ValueError, IndexError):
        return None


class CpuMark:
    """Both CPU readings of a process at one moment."""

    def __init__(self, pid):
        s = stat_fields(pid) or (0, 0, 0)
        self.utime, self.stime, self.minflt = s
        self.ticks = s[0] + s[1]
        self.ns = cpu_ns(pid)
        self.t = time.monotonic_ns()

    def since(self, earlier):
        """(ms of CPU from schedstat, ms of CPU from stat ticks, wall ms)."""
        return ((self.ns - earlier.ns) / 1e6,
                (self.ticks - earlier.ticks) * 1000 / TICK,
                (self.t - earlier.t) / 1e6)


def status_kib(pid, *keys):
    """Fields of /proc/PID/status in KiB, e.g. VmRSS, VmHWM."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in keys:
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def exe(pid):
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


# ---- processes --------------------------------------------------------------

def stop_engine(proc, timeout=30):
    """SIGINT to the engine, then wait; SIGKILL only if it hangs (and say so)."""
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"bench: warning: engine {proc.pid} did not stop in {timeout}s after SIGINT;"
              " killing it", file=sys.stderr)
        proc.kill()
        return proc.wait()


def wait_exit_nowait(pid):
    """Waits until pid has exited without reaping it (its /proc stays readable)."""
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)


# ---- figures ----------------------------------------------------------------

def pct(values, p):
    """The p-th percentile (nearest rank) of values."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(round(p / 100 * len(v) + 0.5)) - 1))
    return v[k]


def med(values):
    return statistics.median(values) if values else float("nan")


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
    except OSError:
        load = "?"
    return (f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.cpu_count()} CPUs ({model}), "
            f"Linux {platform.release()}, load average {load} at the start")


def header(title, argv):
    print(f"## {title}")
    print()
    print(f"command: `{' '.join(argv)}`  ")
    print(f"machine: {machine()}  ")
    print(f"vigil: {vigil_path()}")
    print()


def verdict(ok):
    return "**met**" if ok else "**missed**"
