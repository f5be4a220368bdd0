#!/usr/bin/env python3
"""A demo worker: takes jobs from the redis list 'jobs', "processes" them and
counts them in 'jobs_done'. It also queues made-up jobs now and then, so there
is always some activity. Several replicas can run side by side."""

import json
import os
import random
import time

import common
import resp
from common import err, log

NAME = f"worker-{os.environ.get('VIGIL_REPLICA', '1')}"


def queue_synthetic_job(r):
    job_id = r.execute("INCR", "job_seq")
    item = random.choice(["resize image", "send email", "reindex", "render report"])
    r.execute("RPUSH", "jobs", json.dumps({"id": job_id, "item": item, "source": NAME}))
    log(f"queued job {job_id} ({item})")


def process(r, raw):
    try:
        job = json.loads(raw)
        job_id, item, source = job["id"], job["item"], job["source"]
    except (ValueError, TypeError, KeyError):
        err(f"skipping malformed job: {raw[:80]!r}")
        return
    start = time.monotonic()
    time.sleep(random.uniform(0.02, 0.4))  # the "work"
    ms = (time.monotonic() - start) * 1000
    done = r.execute("INCR", "jobs_done")
    log(f"job {job_id} done in {ms:.0f} ms ({item!r} from {source}; {done} done in total)")


def main():
    log(f"{NAME} starting")
    r = None
    next_synthetic = 0.0
    while True:
        try:
            if r is None:
                r = common.connect()
                log(f"connected to redis on {common.HOST}:{common.redis_port()}")
            if time.monotonic() >= next_synthetic:
                queue_synthetic_job(r)
                next_synthetic = time.monotonic() + random.uniform(2, 6)
            reply = r.execute("BLPOP", "jobs", 1)  # wait at most 1 s for a job
            if reply is not None:
                process(r, reply[1])
        except (OSError, resp.RedisError) as e:
            err(f"redis error: {e}; retrying in 2 s")
            if r is not None:
                r.close()
                r = None
            time.sleep(2)


if __name__ == "__main__":
    common.run(main)
