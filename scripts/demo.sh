#!/bin/sh
# The README's first command: installs what is missing, builds vigil, and
# brings up the demo stack (config/demo.yaml) in the foreground; Ctrl-C
# stops it.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
build/vigil check -q -f config/demo.yaml
exec build/vigil up -f config/demo.yaml
