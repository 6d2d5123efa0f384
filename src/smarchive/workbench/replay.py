""""As it looked": the workbench's replay of a captured page with Webrecorder's ReplayWeb.page.

ReplayWeb.page (npm `replaywebpage`, AGPL-3.0) runs in the browser: `ui.js` draws the `<replay-web-page>`
element, `sw.js` is a service worker that reads the account's WACZ by HTTP Range requests and answers the
replayed page's requests from it. Both are served unmodified, as separate files, from the workbench's own origin
(`scripts/setup.sh` fetches them with `npm pack`, SHA-256 pinned, into the virtualenv; never a CDN).

The service worker's scope is the folder it is served from: `sw.js` is served at `/replay/sw.js`, so its scope
`/replay/` covers the replay frames the element opens (`replayBase="/replay/"`).
"""

from __future__ import annotations

import os
import re
import sys
from datetime import UTC
from pathlib import Path

from smarchive.archive.replay import page_url, warc_timestamp
from smarchive.archive.wacz import wacz_path

ASSETS = ("ui.js", "sw.js", "LICENSE")
# What sw.js itself serves at its scope's root (its `serveIndex` page): ReplayWeb.page's app. The workbench serves
# the same for the frame's first load, before the service worker controls it.
FRAME_HTML = ('<!doctype html>\n<html><head><meta charset="utf-8"><script src="./ui.js"></script></head>\n'
              "<body><replay-app-main></replay-app-main></body></html>\n")
# The frame's own policy: framed by the workbench only; ReplayWeb.page's icons are data: URLs it also fetches.
FRAME_CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' data: blob:; "
             "style-src 'self' 'unsafe-inline'; frame-ancestors 'self'")
ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # an account id as in the WACZ's file name


def assets_dir() -> Path:
    """Where setup put ReplayWeb.page: $SMARCHIVE_REPLAYWEBPAGE, else the virtualenv's share/ folder."""
    return Path(os.environ.get("SMARCHIVE_REPLAYWEBPAGE") or Path(sys.prefix) / "share" / "smarchive"
                / "replaywebpage")


def installed(folder: Path | None) -> bool:
    return folder is not None and all((folder / name).is_file() for name in ASSETS)


def version(folder: Path | None) -> str:
    try:
        return (folder / "VERSION").read_text(encoding="ascii").strip() if folder else ""
    except OSError:
        return ""


def wacz_file(archive: Path, year: str, account: str) -> Path | None:
    """The account's WACZ of the year, or None: only a year of digits and an account id without `/`, `\\` or a
    leading dot come in, and the file found must lie in the archive's wacz/ folder (no traversal, no symlink out)."""
    if not year.isdigit() or not ACCOUNT_ID.match(account) or ".." in account:
        return None
    root = (archive / "wacz").resolve()
    path = wacz_path(archive, int(year), account).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def target(item: dict) -> tuple[str, str]:
    """(url, 14-digit time) to open in the replay: the post page as recorded when the item was captured (the
    page its DOM snapshot was taken of, else the response it was parsed from). The permalink is the fallback:
    mostly it was never fetched itself, so the WACZ rarely holds it."""
    replay_target = item.get("replay_target") or ""
    stamp = replay_target.partition("/")[0]
    url = page_url(replay_target) or item.get("permalink") or ""
    if not stamp and item.get("captured_at"):
        stamp = warc_timestamp(item["captured_at"].astimezone(UTC).isoformat())
    return url, stamp
