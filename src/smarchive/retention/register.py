"""`smarchive register`: the registry worklist (diarieföring) of a year, as CSV.

Every item whose tag asks for `register` (the latest capture of each item, the `items` view), oldest
first: what it is, who wrote it, why it must be registered (category, actions, rules and the words that
matched), whether access must be restricted, and where the capture is (WARC file and record, the DOM
snapshot, and a pywb replay path `<collection>/<14-digit timestamp>/urn:smarchive:snapshot:<page URL>`: the
recorded page the item was captured on, see smarchive.archive.replay). Times a person reads are Swedish time
with the zone shown (`2024-01-05 13:00 CET`), beside the UTC time; list columns (`actions`, `rule_ids`) are
JSON arrays, as in every CSV smarchive writes.

The CSV is UTF-8 with a byte order mark and semicolons, so Swedish Excel opens it with a double click;
DuckDB, pandas and Python's csv read it as well (`delimiter=';'`, `encoding='utf-8-sig'`). It is
written under a temporary name and renamed. Default: `<archive>/register/register-<year>.csv`.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC
from pathlib import Path

from smarchive.archive.decisions import EFFECTIVE
from smarchive.archive.replay import replay_path, target
from smarchive.archive.store import atomic_write
from smarchive.archive.warc import iter_headers
from smarchive.errors import SmarchiveError
from smarchive.model import STOCKHOLM

DETECTOR_EVIDENCE_SHOWN = 2  # characters of a detector hit (personnummer, phone...) shown in the summary
RESTRICTED_NOTE = "BEGRÄNSAD: personuppgifter/sekretess, lämnas inte ut utan prövning"

COLUMNS = [
    "item_id", "platform", "account", "account_name", "item_type", "published_local", "published_utc", "author",
    "text", "category", "category_title", "actions", "access", "restricted", "needs_review", "rule_ids", "evidence",
    "permalink", "warc_file", "warc_record_id", "warc_offset", "snapshot_record_id", "replay_path", "run_id",
]


def evidence_summary(evidence: list[dict] | None) -> str:
    """`ORE-031: personnummer '19…' @12-25 | ORE-060: complaint 'skandal' @4-11` (detector hits shortened)."""
    parts = []
    for e in evidence or []:
        if e.get("kind") == "condition":
            parts.append(f"{e['rule_id']}: {e.get('name')}={e.get('term')}")
            continue
        if e.get("kind") == "model" and e.get("start") is None:  # the second opinion's probability
            parts.append(f"{e['rule_id']}: {e.get('name')} {e.get('term')}")
            continue
        shown = e.get("text") or ""
        if e.get("kind") == "detector" and len(shown) > DETECTOR_EVIDENCE_SHOWN:
            shown = shown[:DETECTOR_EVIDENCE_SHOWN] + "…"
        where = f" @{e['start']}-{e['end']}" if e.get("start") is not None else ""
        parts.append(f"{e['rule_id']}: {e.get('name')} '{shown}'{where}")
    return " | ".join(parts)


def _record_targets(archive: Path, warc_files: set[str]) -> dict[tuple[str, str], str]:
    """(warc file, record id) -> replay target (WARC-Date and URI) of every record: works for archives
    written before the manifest had `replay_target`, and after a cull rewrote the WARCs."""
    targets: dict[tuple[str, str], str] = {}
    for rel in warc_files:
        path = archive / rel
        if not path.is_file():
            continue
        for _, h in iter_headers(path):
            targets[(rel, h.get("WARC-Record-ID", ""))] = target(h.get("WARC-Date", ""), h.get("WARC-Target-URI", ""))
    return targets


def local_time(moment) -> str:  # noqa: ANN001 (datetime or None)
    """Swedish time with the zone shown (CET or CEST), for a person to read."""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


def json_list(values: list | None) -> str:
    """A list column in a CSV: a JSON array (`["ORE-022", "ORE-026"]`), the same in every CSV smarchive writes."""
    return json.dumps(list(values or []), ensure_ascii=False)


def register_rows(archive: Path, year: int, collection: str = "smarchive",
                  category_titles: dict[str, str] | None = None) -> list[dict]:
    from smarchive.archive.query import connect

    if not (archive / "manifest").is_dir():
        raise SmarchiveError(f"no manifest in {archive} (run `smarchive capture` first, or pass --archive)")
    con = connect(archive)
    try:
        # The tag as it stands (an archivist's decision overrides the rules'); an item with a recorded
        # diarienummer is registered already and leaves the worklist (archive/decisions.py).
        rows = con.sql(
            "SELECT * REPLACE (" + ", ".join(f"{EFFECTIVE[k]} AS tag_{k}" for k in ("category", "actions", "access",
                                                                                 "needs_review")) + ") "
            "FROM items WHERE year = " + str(int(year)) + f" AND list_contains({EFFECTIVE['actions']}, 'register') "
            "AND diarienummer IS NULL ORDER BY published_at, platform, item_id").to_arrow_table().to_pylist()
    finally:
        con.close()
    targets = _record_targets(archive, {r["warc_file"] for r in rows if r["warc_file"]})
    out = []
    for r in rows:
        published = r["published_at"]
        # the page the item was captured on (its snapshot), else the answer it was parsed from
        record = r["snapshot_record_id"] or r["warc_record_id"]
        link = replay_path(targets.get((r["warc_file"], record)) or r.get("replay_target"), collection)
        restricted = r["tag_access"] == "restricted"
        out.append({
            "item_id": r["item_id"], "platform": r["platform"], "account": r["account"],
            "account_name": r["account_name"], "item_type": r["item_type"],
            "published_local": local_time(published),
            "published_utc": published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if published else "",
            "author": r["author"], "text": r["text"], "category": r["tag_category"],
            "category_title": (category_titles or {}).get(r["tag_category"], ""),
            "actions": json_list(r["tag_actions"]), "access": r["tag_access"],
            "restricted": RESTRICTED_NOTE if restricted else "",
            "needs_review": "ja" if r["tag_needs_review"] else "",
            "rule_ids": json_list(r["tag_rule_ids"]), "evidence": evidence_summary(r["tag_evidence"]),
            "permalink": r["permalink"], "warc_file": r["warc_file"], "warc_record_id": r["warc_record_id"],
            "warc_offset": r["warc_offset"], "snapshot_record_id": r["snapshot_record_id"] or "",
            "replay_path": link,
            "run_id": r["run_id"],
        })
    return out


def write_register(rows: list[dict], out: Path) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    atomic_write(out, ("\ufeff" + buffer.getvalue()).encode("utf-8"))
    return out
