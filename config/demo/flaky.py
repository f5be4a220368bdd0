#!/usr/bin/env python3
"""A deliberately unreliable demo service: it runs for 3-15 s, then fails with
exit status 1 — either an orderly error exit or an unhandled exception — so the
supervisor's restarts and backoff have something to do."""

import random
import sys
import time

import common
from common import err, log


def main():
    lifetime = random.uniform(3, 15)
    log(f"starting; feeling fine for about {lifetime:.0f} s")
    start = time.monotonic()
    while start + lifetime - time.monotonic() > 2:
        time.sleep(2)
        log(f"still up after {time.monotonic() - start:.0f} s")
    time.sleep(max(0.0, start + lifetime - time.monotonic()))
    if random.random() < 0.6:
        err("lost the connection to an imaginary upstream; exiting with status 1")
        sys.exit(1)
    raise RuntimeError("simulated crash")  # traceback on stderr, exit status 1


if __name__ == "__main__":
    common.run(main)
