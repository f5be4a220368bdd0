#!/usr/bin/env python3
"""The demo's one-shot migration: brings the redis "schema" up to date, seeds a
few items and leaves a stamp in a scratch folder under /tmp, then exits 0."""

import json
import os
import time

import common
from common import log

SEED_ITEMS = ["apple", "banana", "cherry", "damson"]


def seed_items(r):
    if r.execute("LLEN", "items"):
        log("items already present, not seeding")
        return
    r.execute("RPUSH", "items", *(json.dumps(i) for i in SEED_ITEMS))
    log(f"seeded {len(SEED_ITEMS)} items")


def init_counters(r):
    for key in ("job_seq", "jobs_done"):
        r.execute("SET", key, 0, "NX")  # NX: keep an existing value
    log("counters job_seq and jobs_done initialised")


# (version, what it does, how): applied in order, each at most once.
MIGRATIONS = [
    (1, "seed items", seed_items),
    (2, "create job counters", init_counters),
]


def main():
    with common.connect() as r:
        current = int(r.execute("GET", "schema_version") or 0)
        log(f"schema is at version {current}")
        for version, what, step in MIGRATIONS:
            if version > current:
                log(f"migration {version}: {what}")
                step(r)
                r.execute("SET", "schema_version", version)
                current = version
        log(f"schema is now at version {current}")

    scratch = common.scratch_dir()
    os.makedirs(scratch, mode=0o700, exist_ok=True)
    stamp = os.path.join(scratch, "migrated")
    with open(stamp, "w") as f:
        f.write(f"schema_version={current} at={time.strftime('%Y-%m-%dT%H:%M:%S')}\n")
    log(f"wrote {stamp}")
    log("migration complete")


if __name__ == "__main__":
    common.run(main)
