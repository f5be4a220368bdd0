#!/bin/sh
# The README's first command: installs what is missing, builds vigil, and
# brings up the demo stack (config/demo.yaml).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
exec build/vigil check -f config/demo.yaml
