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

# ReplayWeb.page (Webrecorder, AGPL-3.0): the workbench's "as it looked" replay. Served unmodified, as separate
# files, from the workbench's own origin (never a CDN). `npm install replaywebpage` fails on a dependency pin the
# registry lacks, and the workbench needs only the built ui.js and sw.js at the package root: `npm pack` fetches
# the published tarball, checked against its pinned SHA-256 before anything in it is unpacked.
RWP_VERSION=2.5.3
RWP_SHA256=b7d35c39c4da9b7121c5a393911d8675d4cc6f19513c380191e16b086bea812c
rwp_dir=.venv/share/smarchive/replaywebpage
if [ "$(cat "$rwp_dir/VERSION" 2>/dev/null)" != "$RWP_VERSION" ]; then
    echo "setup: fetching ReplayWeb.page $RWP_VERSION (npm pack) into $rwp_dir"
    if ! command -v npm >/dev/null 2>&1; then
        sudo_cmd=""
        [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
        $sudo_cmd apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq npm >/dev/null
    fi
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && npm pack --silent "replaywebpage@$RWP_VERSION" >/dev/null)
    tarball="$work/replaywebpage-$RWP_VERSION.tgz"
    if ! echo "$RWP_SHA256  $tarball" | sha256sum --check --quiet; then
        echo "setup: replaywebpage-$RWP_VERSION.tgz does not have the pinned SHA-256: not unpacked" >&2
        exit 1
    fi
    tar -xzf "$tarball" -C "$work" package/ui.js package/sw.js package/LICENSE
    mkdir -p "$work/out"
    for f in ui.js sw.js LICENSE; do mv "$work/package/$f" "$work/out/$f"; done
    (cd "$work/out" && sha256sum ui.js sw.js LICENSE > SHA256SUMS)
    echo "$RWP_VERSION" > "$work/out/VERSION"
    # the new folder replaces the old one whole: a half-fetched one is never served
    mkdir -p "$(dirname "$rwp_dir")"
    rm -rf "$rwp_dir.old"
    [ -d "$rwp_dir" ] && mv "$rwp_dir" "$rwp_dir.old"
    mv "$work/out" "$rwp_dir"
    rm -rf "$rwp_dir.old"
fi
