"""Helpers shared by the demo programs: settings from the environment, logging
and a clean exit on SIGTERM/SIGINT. Only the Python standard library is used."""

import os
import signal
import sys
import threading

import resp

HOST = "127.0.0.1"  # the demo binds and connects on loopback only


def redis_port():
    return int(os.environ.get("DEMO_REDIS_PORT", "46390"))


def api_port():
    return int(os.environ.get("DEMO_API_PORT", "48090"))


def connect():
    """A new connection to the demo's redis."""
    return resp.Redis(HOST, redis_port())


def scratch_dir():
    """The folder migrate creates and cleanup removes (one per user id)."""
    return f"/tmp/vigil-demo-{os.getuid()}"


_out_lock = threading.Lock()  # the API logs from several threads


def _write(stream, msg):
    with _out_lock:
        stream.write(msg + "\n")
        stream.flush()


def log(msg):
    """One line per event on stdout."""
    _write(sys.stdout, msg)


def err(msg):
    """Errors go to stderr."""
    _write(sys.stderr, msg)


class Shutdown(BaseException):
    """Raised in the main thread when SIGTERM or SIGINT arrives.

    It derives from BaseException so that the programs' `except Exception`
    and `except OSError` retry loops do not swallow it."""


def _on_signal(signum, frame):
    # A second signal while we are already shutting down is ignored.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise Shutdown(signal.Signals(signum).name)


def run(main):
    """Run main(); on SIGTERM/SIGINT log "shutting down" and exit 0."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        main()
    except Shutdown as why:
        log(f"{why} received, shutting down")
        sys.exit(0)
