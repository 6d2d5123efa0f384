#!/usr/bin/env bash
# Install everything smarchive needs on a fresh Debian machine: Chromium from Debian, a virtualenv
# in .venv with the package and its test tools. Safe to run again; does nothing that is done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="chromium fonts-dejavu-core fonts-noto-color-emoji xvfb"
# shellcheck disable=SC2086
if ! dpkg -s $APT_PACKAGES >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium, fonts and xvfb (for the headed login test; Playwright cannot download its own browser here)"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $APT_PACKAGES >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.smarchive-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: installing smarchive and its dependencies into .venv"
    .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'
    touch "$stamp"
fi
