#!/bin/sh
# Installs the Debian packages vigil needs to build, run its demo stack and
# run its tests — only those that are missing, so running it again is cheap.
# Works as root, or as a normal user with sudo.
#   scripts/deps.sh          install what is missing
#   scripts/deps.sh --check  list what is missing; exit 1 if anything is
set -eu

PACKAGES="
build-essential cmake pkg-config git
libncurses-dev libproc2-dev libcjson-dev libyaml-dev libcmocka-dev
libcurl4-openssl-dev
redis-server redis-tools python3 tmux procps systemd curl htop
clang-14 libclang-rt-14-dev
"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

if [ "${1:-}" = "--check" ]; then
    if [ -n "$missing" ]; then
        echo "missing:$missing"
        exit 1
    fi
    echo "all packages present"
    exit 0
fi

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "vigil: missing packages:$missing (run this script as root, or install sudo)" >&2
    exit 1
fi

echo "vigil: installing:$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
