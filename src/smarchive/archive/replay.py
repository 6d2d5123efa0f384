"""Links into the capture that open: where a person can see an item again in a replay tool (pywb).

An item is shown on the recorded page it was captured on. The best such page is the post page's DOM
snapshot (`urn:smarchive:snapshot:<page URL>`, docs/warc.md): it holds every comment and reply as
expanded during the capture, which the page's own first answer (HTML before scripts ran) may not.
An item without a snapshot points at the response it was parsed from (an RSS feed, a JSON answer).
The permalink is never used: that URL was usually never fetched, so a replay tool has nothing for it.

A *replay target* is `<14-digit WARC-Date>/<WARC-Target-URI>`; a *replay path* is the target after a
pywb collection name: `smarchive/20240105120000/urn:smarchive:snapshot:https://…`, opened as
`http://HOST:PORT/<replay path>` (pywb picks the capture nearest that time).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from smarchive.archive.warc import headers_at

COLLECTION = "smarchive"  # the pywb collection the README's replay steps make


def warc_timestamp(warc_date: str) -> str:
    """`2024-01-05T12:00:00Z` -> `20240105120000` (what pywb expects in a replay URL)."""
    digits = "".join(c for c in warc_date if c.isdigit())
    return digits[:14].ljust(14, "0") if digits else ""


def target(warc_date: str, uri: str) -> str:
    stamp = warc_timestamp(warc_date)
    return f"{stamp}/{uri}" if stamp and uri else ""


def replay_path(replay_target: str | None, collection: str = COLLECTION) -> str:
    return f"{collection}/{replay_target}" if replay_target else ""


def targets_at(warc_path: Path, offsets: Iterable[int]) -> dict[int, str]:
    """offset -> replay target of the record there (the WARC opened once; only each record's headers read)."""
    found: dict[int, str] = {}
    with open(warc_path, "rb") as raw:
        for offset in sorted({o for o in offsets if o is not None and o >= 0}):
            headers = headers_at(raw, offset)
            found[offset] = target(headers.get("WARC-Date", ""), headers.get("WARC-Target-URI", ""))
    return found


def add_replay_targets(rows: list[dict], warc_path: Path) -> None:
    """Set each manifest row's `replay_target`: its post page's snapshot, else the record it was parsed from."""
    def offset(row: dict) -> int | None:
        return row["snapshot_offset"] if row.get("snapshot_offset") is not None else row.get("warc_offset")

    found = targets_at(warc_path, (offset(r) for r in rows))
    for row in rows:
        row["replay_target"] = found.get(offset(row)) or None  # type: ignore[arg-type]


def stable_permalink(url: str | None, sandbox_base: str | None) -> str | None:
    """A sandbox permalink as `sandbox:/path`, like the pipeline's account URLs: the sandbox's port is
    picked afresh each run, so a link with it would lead nowhere once the run is over."""
    if url and sandbox_base and url.startswith(sandbox_base + "/"):
        return "sandbox:" + url.removeprefix(sandbox_base)
    return url


SNAPSHOT_PREFIX = "urn:smarchive:snapshot:"


def page_url(replay_target: str | None) -> str:
    """The URL of the recorded page a replay target shows (the snapshot's page, as fetched during the capture)."""
    uri = (replay_target or "").partition("/")[2]
    return uri.removeprefix(SNAPSHOT_PREFIX)
