"""The platforms' own data exports as a second source: read, keep, reconcile with the capture (issue #18).

`read_export(path)` opens a downloaded export (the ZIP or its unpacked folder), detects which platform's
export it is from what its files hold (not from their names, which are translated), and reads its items
with their provenance. Readers: `meta` (Facebook and Instagram JSON; `meta_html` their HTML format), `takeout`
(YouTube), `linkedin`.
`reconcile` matches imported items with captured ones. The command is `smarchive import` (cli/imports.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from smarchive.errors import SmarchiveError
from smarchive.imports import linkedin, meta, meta_html, takeout
from smarchive.imports.base import ExportItem, ExportRead, Problem
from smarchive.imports.source import ExportSource

__all__ = ["ExportItem", "ExportRead", "Problem", "detect", "read_export"]

READERS = {"facebook": meta.read_meta, "instagram": meta.read_meta, "youtube": takeout.read_takeout,
           "linkedin": linkedin.read_linkedin}
LAYOUTS = {"facebook": "facebook-dyi-json", "instagram": "instagram-dyi-json", "youtube": "google-takeout-youtube",
           "linkedin": "linkedin-csv"}


def _platform_of_member(source: ExportSource, member: str) -> str:
    lower = member.lower()
    try:
        if lower.endswith(".json"):
            kind = meta.shape(json.loads(source.read(member).decode("utf-8-sig")))
            return kind.split("-")[0] if kind else ""
        if lower.endswith(".csv"):
            head = source.read(member)[:4096].decode("utf-8-sig", errors="replace")
            header = linkedin.header_of(head)
            if header[:3] in (linkedin.SHARES_HEADER, linkedin.COMMENTS_HEADER):
                return "linkedin"
            return "youtube" if takeout.kind_of(header) else ""
        if lower.endswith((".html", ".htm")):
            page = source.read(member).decode("utf-8", "replace")
            kind = meta_html.shape(meta_html.entries(page), page)
            if kind:
                return kind.split("-")[0]
            return "youtube" if takeout.html_comments(page) else ""
    except (ValueError, UnicodeDecodeError):
        return ""  # unreadable members are reported when the export is read
    return ""


def detect(source: ExportSource) -> dict[str, list[str]]:
    """platform -> the members that hold its item data (posts, comments, videos, the owner)."""
    found: dict[str, list[str]] = {}
    for member in source.names():
        platform = _platform_of_member(source, member)
        if platform:
            found.setdefault(platform, []).append(member)
    return found


def read_export(path: Path, platform: str | None = None) -> ExportRead:
    """Read an export. `platform` chooses, when the export holds several platforms' data (or checks it)."""
    source = ExportSource.open(path)
    found = detect(source)
    if platform is not None and platform not in READERS:
        raise SmarchiveError(f"smarchive cannot import {platform} exports (it reads: {', '.join(READERS)})")
    if not found:
        raise SmarchiveError(f"{path} holds no export smarchive recognises (Facebook or Instagram JSON or HTML, Google "
                             "Takeout YouTube, LinkedIn CSV)")
    if platform is None:
        if len(found) > 1:
            raise SmarchiveError(f"{path} holds exports of {', '.join(sorted(found))}: say which (--platform)")
        platform = next(iter(found))
    elif platform not in found:
        raise SmarchiveError(f"{path} is an export of {', '.join(sorted(found))}, not {platform}")
    read = ExportRead(platform, LAYOUTS[platform], source)
    members = [m for m in source.names() if m.lower().endswith((".json", ".csv", ".html", ".htm"))]
    # Members of another platform's data (a folder holding both) are left to that platform's import.
    others = {m for p, ms in found.items() if p != platform for m in ms}
    READERS[platform](read, [m for m in members if m not in others])
    return read
