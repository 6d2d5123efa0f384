#!/usr/bin/env bash
# Install everything smarchive needs on a fresh Debian machine: Chromium from Debian, a virtualenv
# in .venv with the package and its test tools. Safe to run again; does nothing that is done.
set -euo pipefail
cd "$(dirname "$0")/.."

# redis-server: distributed mode (#17); libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0: WeasyPrint (deliver --pdf)
APT_PACKAGES="chromium fonts-dejavu-core fonts-noto-color-emoji xvfb redis-server libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
# shellcheck disable=SC2086
if ! dpkg -s $APT_PACKAGES >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium, fonts, xvfb (for the headed login test; Playwright cannot download its own browser here) and redis-server (distributed mode)"
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

# pywb (replay, used by the tests) pins redis==2.10.6, which Celery's Redis transport (distributed mode) cannot
# use: pywb gets a venv of its own, and its two commands are linked into .venv/bin, where the tests look for them.
if [ ! -x .venv-pywb/bin/wayback ]; then
    echo "setup: installing pywb into .venv-pywb"
    python3 -m venv .venv-pywb
    .venv-pywb/bin/pip install -q --disable-pip-version-check 'pywb>=2.8'
fi
for tool in wayback wb-manager; do
    ln -sfn "$PWD/.venv-pywb/bin/$tool" ".venv/bin/$tool"
done
