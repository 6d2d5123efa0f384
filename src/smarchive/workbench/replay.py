""""As it looked": the workbench's replay of a captured page with Webrecorder's ReplayWeb.page.

ReplayWeb.page (npm `replaywebpage`, AGPL-3.0) runs in the browser: `ui.js` draws the `<replay-web-page>`
element, `sw.js` is a service worker that reads the account's WACZ by HTTP Range requests and answers the
replayed page's requests from it. Both are served unmodified, as separate files, by the workbench's replay
origin, `ui.js` also by the workbench itself (`scripts/setup.sh` fetches them with `npm pack`, SHA-256 pinned,
into the virtualenv; never a CDN).

Isolation: the replayed pages' own scripts run in ReplayWeb.page's frames, so the frames, `sw.js` and the WACZ are
served from a second origin (`smarchive serve --replay-port`, the workbench's port + 1) that has no sessions: it
ignores the workbench's cookie (browsers send a cookie of 127.0.0.1 to every port) and opens a WACZ only for a
short-lived token (`token`, `check`) that the workbench's "as it looked" page puts in the WACZ's URL: an HMAC with
the workbench's secret over the user, the year, the account and the expiry. A script in a replayed page is then
on another origin than the workbench: the browser's same-origin policy keeps it from reading workbench pages.

The service worker's scope is the folder it is served from: `sw.js` is served at `/replay/sw.js` of the replay
origin, so its scope `/replay/` covers the replay frames the element opens (`replayBase="REPLAY_ORIGIN/replay/"`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import sys
import time
from datetime import UTC
from pathlib import Path

from smarchive.archive.replay import page_url, warc_timestamp
from smarchive.archive.wacz import wacz_path

ASSETS = ("ui.js", "sw.js", "LICENSE")
# What sw.js itself serves at its scope's root (its `serveIndex` page): ReplayWeb.page's app. The workbench serves
# the same for the frame's first load, before the service worker controls it.
FRAME_HTML = ('<!doctype html>\n<html><head><meta charset="utf-8"><script src="./ui.js"></script></head>\n'
              "<body><replay-app-main></replay-app-main></body></html>\n")
# The frame's own policy: framed by the workbench's origin only (the `{workbench}` filled in); ReplayWeb.page's icons
# are data: URLs it also fetches.
FRAME_CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' data: blob:; "
             "style-src 'self' 'unsafe-inline'; frame-ancestors {workbench}")
# A token is valid until the end of the next half hour after it is made (30 to 60 minutes): the same page opened
# again within the half hour gets the same token, so ReplayWeb.page (which names what it keeps of a WACZ by its
# URL) finds what it read before instead of reading the index again.
TOKEN_PERIOD = 1800
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


def _key(secret: str) -> bytes:
    """The tokens' own key, derived from the workbench's secret (a token is never a valid session cookie)."""
    return hashlib.sha256(b"smarchive replay token\0" + secret.encode()).digest()


def token(secret: str, user: str, year: int, account: str, now: float | None = None) -> str:
    """A token that lets `user` read the account's WACZ of the year on the replay origin for 30 to 60 minutes."""
    now = time.time() if now is None else now
    expires = (int(now) // TOKEN_PERIOD + 2) * TOKEN_PERIOD
    body = json.dumps({"u": user, "y": int(year), "a": account, "e": expires}, separators=(",", ":")).encode()
    sig = hmac.new(_key(secret), body, hashlib.sha256).digest()
    return (base64.urlsafe_b64encode(body).rstrip(b"=") + b"." + base64.urlsafe_b64encode(sig).rstrip(b"=")).decode()


def check(secret: str, value: str, year: str, account: str, now: float | None = None) -> str | None:
    """The user a token was made for, when it is genuine, unexpired and made for this year and account; else None."""
    try:
        body_b64, sig_b64 = value.split(".")
        body = base64.urlsafe_b64decode(body_b64 + "=" * (-len(body_b64) % 4))
        sig = base64.urlsafe_b64decode(sig_b64 + "=" * (-len(sig_b64) % 4))
    except (ValueError, TypeError):
        return None
    if not hmac.compare_digest(sig, hmac.new(_key(secret), body, hashlib.sha256).digest()):
        return None
    claims = json.loads(body)
    now = time.time() if now is None else now
    if str(claims.get("y")) != year or claims.get("a") != account or not now < claims.get("e", 0):
        return None
    return str(claims["u"])
