#!/usr/bin/env python3
"""The demo's cleanup step, run when the stack shuts down: it removes the
scratch folder that migrate created under /tmp and says what it removed."""

import os
import shutil

import common
from common import log


def main():
    path = common.scratch_dir()
    if os.path.islink(path):  # never follow a link planted in /tmp
        os.unlink(path)
        log(f"removed symlink {path}")
        return
    if not os.path.isdir(path):
        log(f"nothing to clean up: {path} does not exist")
        return
    files = [os.path.join(d, f) for d, _, names in os.walk(path) for f in names]
    shutil.rmtree(path)
    for f in files:
        log(f"removed {f}")
    log(f"removed {path} ({len(files)} files)")


if __name__ == "__main__":
    common.run(main)
