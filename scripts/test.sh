#!/bin/sh
# The README's second command: installs what is missing, builds vigil with
# AddressSanitizer + UndefinedBehaviorSanitizer and warnings as errors, and
# runs every test. An optimized build with warnings as errors comes first:
# some warnings (maybe-uninitialized, format-truncation) only show with -O2.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_WERROR=ON -DVIGIL_TESTS=OFF >/dev/null
cmake --build build-rel -j"$(nproc)"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON -DVIGIL_WERROR=ON >/dev/null
cmake --build build-test -j"$(nproc)"
cd build-test
exec ctest --output-on-failure -j2 "$@"
