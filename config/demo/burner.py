#!/usr/bin/env python3
"""A demo process with bursty CPU use: it spins a core for 1-3 s, then sleeps
for 2-5 s, over and over, so the CPU sparklines have a shape."""

import random
import time

import common
from common import log


def main():
    while True:
        burst = random.uniform(1, 3)
        log(f"burst: busy for {burst:.1f} s")
        end = time.monotonic() + burst
        loops = 0
        while time.monotonic() < end:
            loops += 1
        log(f"burst done after {loops} loops")

        idle = random.uniform(2, 5)
        log(f"idle for {idle:.1f} s")
        time.sleep(idle)


if __name__ == "__main__":
    common.run(main)
