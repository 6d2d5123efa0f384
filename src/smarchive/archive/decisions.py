"""Decisions: what archivists, registrars and communicators decided about an item, as archive records.

A decision is never an edit. Each one is appended as its own Parquet file
`manifest/decisions/year=<year>/decision-<UTC stamp>-<id>.parquet` (one row, written atomically and recorded in
the fixity ledger), and nothing ever rewrites or removes it: not a cull, not a reindex, not a second capture.
The captured text and the rules' tag (`tag_*`) stay as they were; the `items` view adds the *current* decision
beside them (the columns of `ITEM_DECISION_COLUMNS`), and `register`, `cull` and the saved queries follow it.

Three kinds, each with its own "latest wins":
    review      an archivist confirms the tag or changes it (category, retention, cull date, actions, access),
                with a required reason
    registered  a registrar records the diarienummer the item was registered (diariefört) under
    removed     the person who removed the item from the platform records when
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from smarchive.archive.manifest import SCHEMA_VERSION, UTC_TS, write_atomic
from smarchive.archive.sql import read_files
from smarchive.errors import SmarchiveError

KINDS = ("review", "registered", "removed")
RETENTIONS = ("preserve", "cull-eligible")
ACCESS = ("open", "restricted")
ACTIONS = ("register", "remove", "report-police", "refer-servicecenter")
# KS 2024-00123, BUN 2024/123, 2024-001234: letters (the board), a year and a serial. Loose on purpose:
# each municipality numbers its own way, but a diarienummer always carries a year and a number.
DIARIENUMMER = re.compile(r"^(?:[A-ZÅÄÖ]{1,6}[ -])?(?:19|20)\d{2}[-/.:]\d{1,6}(?:[-/.:]\d{1,4})?$")

DECISION_SCHEMA = pa.schema([
    ("decision_id", pa.string()),
    ("kind", pa.string()),
    ("item_id", pa.string()),
    ("platform", pa.string()),
    ("account", pa.string()),
    ("year", pa.int32()),
    ("decided_by", pa.string()),
    ("role", pa.string()),
    ("decided_at", UTC_TS),
    ("reason", pa.string()),
    ("old_category", pa.string()),
    ("old_retention", pa.string()),
    ("old_cull_from", pa.date32()),
    ("old_actions", pa.list_(pa.string())),
    ("old_access", pa.string()),
    ("new_category", pa.string()),
    ("new_retention", pa.string()),
    ("new_cull_from", pa.date32()),
    ("new_actions", pa.list_(pa.string())),
    ("new_access", pa.string()),
    ("diarienummer", pa.string()),
    ("removed_at", UTC_TS),
    ("software", pa.string()),
], metadata={"smarchive.schema_version": SCHEMA_VERSION})

# Added to the `items` view (name -> SQL type): empty for an item nobody decided about.
ITEM_DECISION_COLUMNS = {
    "decision_category": "VARCHAR", "decision_retention": "VARCHAR", "decision_cull_from": "DATE",
    "decision_actions": "VARCHAR[]", "decision_access": "VARCHAR", "decision_reason": "VARCHAR",
    "decision_by": "VARCHAR", "decided_at": "TIMESTAMPTZ", "diarienummer": "VARCHAR",
    "registered_by": "VARCHAR", "registered_at": "TIMESTAMPTZ", "removed_from_platform_at": "TIMESTAMPTZ",
    "removed_by": "VARCHAR",
}


@dataclass
class Decision:
    """One decision about one item, as recorded. `old_*` is what held before it (the current decision, else the
    rules' tag); `new_*` is set for a review only."""

    kind: str
    item_id: str
    platform: str
    account: str
    year: int
    decided_by: str
    role: str
    reason: str = ""
    old: dict = field(default_factory=dict)
    new: dict = field(default_factory=dict)
    diarienummer: str | None = None
    removed_at: datetime | None = None
    decided_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    decision_id: str = field(default_factory=lambda: secrets.token_hex(6))

    def row(self) -> dict:
        from smarchive import __version__

        return {
            "decision_id": self.decision_id, "kind": self.kind, "item_id": self.item_id, "platform": self.platform,
            "account": self.account, "year": self.year, "decided_by": self.decided_by, "role": self.role,
            "decided_at": self.decided_at, "reason": self.reason or None,
            **{f"old_{k}": self.old.get(k) for k in ("category", "retention", "cull_from", "actions", "access")},
            **{f"new_{k}": self.new.get(k) for k in ("category", "retention", "cull_from", "actions", "access")},
            "diarienummer": self.diarienummer, "removed_at": self.removed_at, "software": f"smarchive {__version__}",
        }


def decisions_root(archive: Path) -> Path:
    return archive / "manifest" / "decisions"


def decision_files(archive: Path) -> list[Path]:
    """Every file holding decisions: one-decision files and the compacted files that merged earlier ones."""
    return sorted(decisions_root(archive).glob("year=*/decision-*.parquet"))


# A year folder with more one-decision files than this is compacted when the next decision is recorded:
# thousands of small files cost every query a file open each (reindex compacts whatever there is).
COMPACT_AFTER = 1000


def compact(archive: Path, at_least: int = 2) -> list[Path]:
    """Merge each year's decision files into one file, when there are `at_least` of them. Returns the new files.

    Append-only holds: every decision is copied as it was (same values, every column), the merged file is
    written atomically and read back and compared before any merged file is removed, and each file is removed
    only after that (a crash in between leaves a decision in two files: `items` and `decisions` count it once,
    and the next compaction merges the copies). A decision recorded meanwhile is in a file not listed, and stays.
    """
    import pyarrow.parquet as pq

    from smarchive.archive import ledger

    made = []
    for folder in sorted(decisions_root(archive).glob("year=*")):
        files = sorted(folder.glob("decision-*.parquet"))
        if len(files) < max(at_least, 2):
            continue
        rows = _distinct_rows(pa.concat_tables([pq.read_table(f, schema=DECISION_SCHEMA) for f in files]))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = folder / f"decision-{stamp}-compacted-{len(rows)}.parquet"
        write_atomic(pa.Table.from_pylist(rows, schema=DECISION_SCHEMA), path)
        if _distinct_rows(pq.read_table(path, schema=DECISION_SCHEMA)) != rows:  # never remove before it holds
            path.unlink()
            raise SmarchiveError(f"compacting {folder}: the merged file does not read back as written; nothing removed")
        for f in files:
            f.unlink()
            ledger.removed(f)
        made.append(path)
    return made


def _distinct_rows(table: pa.Table) -> list[dict]:
    """The decisions of a table, each once (by decision_id), oldest first."""
    by_id = {r["decision_id"]: r for r in table.to_pylist()}
    return sorted(by_id.values(), key=lambda r: (r["decided_at"], r["decision_id"]))


def check_review(new: dict, reason: str) -> None:
    """A review must say why, and what it says must be a tag the rest of smarchive understands."""
    if not reason.strip():
        raise SmarchiveError("a review decision needs a reason (--reason)")
    if new.get("retention") not in RETENTIONS:
        raise SmarchiveError(f"retention must be one of {', '.join(RETENTIONS)}, not {new.get('retention')!r}")
    if new["retention"] == "cull-eligible" and not isinstance(new.get("cull_from"), date):
        raise SmarchiveError("cull-eligible needs the date it may be culled from (--cull-from YYYY-MM-DD)")
    if new["retention"] == "preserve" and new.get("cull_from") is not None:
        raise SmarchiveError("a preserved item has no cull date (drop --cull-from)")
    if new.get("access") not in ACCESS:
        raise SmarchiveError(f"access must be one of {', '.join(ACCESS)}, not {new.get('access')!r}")
    unknown = [a for a in new.get("actions") or [] if a not in ACTIONS]
    if unknown:
        raise SmarchiveError(f"unknown action {unknown[0]!r} (actions: {', '.join(ACTIONS)})")
    if not (new.get("category") or "").strip():
        raise SmarchiveError("a review decision needs a category")


def check_diarienummer(value: str) -> str:
    value = " ".join((value or "").split())
    if not DIARIENUMMER.match(value):
        raise SmarchiveError(f"{value!r} is not a diarienummer (e.g. KS 2024-00123)")
    return value


def record(archive: Path, decision: Decision) -> Path:
    """Append one decision to the archive (a new file; never a rewrite). Returns the file."""
    if decision.kind not in KINDS:
        raise SmarchiveError(f"unknown decision kind {decision.kind!r}")
    if decision.kind == "review":
        check_review(decision.new, decision.reason)
    elif decision.kind == "registered":
        decision.diarienummer = check_diarienummer(decision.diarienummer or "")
    elif decision.removed_at is None:
        raise SmarchiveError("a removal needs the time the item was removed from the platform")
    stamp = decision.decided_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = decisions_root(archive) / f"year={decision.year}" / f"decision-{stamp}-{decision.decision_id}.parquet"
    table = pa.Table.from_pylist([decision.row()], schema=DECISION_SCHEMA)
    written = write_atomic(table, path)
    if sum(1 for _ in path.parent.glob("decision-*.parquet")) > COMPACT_AFTER:
        compact(archive, COMPACT_AFTER)
    return written


def current_sql(files: list[Path], uniform: bool = False) -> str:
    """One row per (platform, item_id) that has decisions, with the ITEM_DECISION_COLUMNS: the latest review's
    tag and reason, the latest diarienummer, the latest removal. Ties in time are broken by decision id.
    `uniform`: every file has the same columns (sql.same_columns), read without reconciling them."""
    source = read_files(files, uniform)

    def latest(kind: str, value: str) -> str:
        return f"arg_max_null({value}, (decided_at, decision_id)) FILTER (WHERE kind = '{kind}')"

    return (
        "SELECT platform AS _d_platform, item_id AS _d_item_id, "
        f"{latest('review', 'new_category')} AS decision_category, "
        f"{latest('review', 'new_retention')} AS decision_retention, "
        f"{latest('review', 'new_cull_from')} AS decision_cull_from, "
        f"{latest('review', 'new_actions')} AS decision_actions, "
        f"{latest('review', 'new_access')} AS decision_access, "
        f"{latest('review', 'reason')} AS decision_reason, "
        f"{latest('review', 'decided_by')} AS decision_by, "
        "max(decided_at) FILTER (WHERE kind = 'review') AS decided_at, "
        f"{latest('registered', 'diarienummer')} AS diarienummer, "
        f"{latest('registered', 'decided_by')} AS registered_by, "
        "max(decided_at) FILTER (WHERE kind = 'registered') AS registered_at, "
        f"{latest('removed', 'removed_at')} AS removed_from_platform_at, "
        f"{latest('removed', 'decided_by')} AS removed_by "
        f"FROM {source} GROUP BY platform, item_id"
    )


def with_decisions_sql(items_sql: str, files: list[Path], uniform: bool = False) -> str:
    """The items view with the current decision of each item beside its columns (NULL where none).

    With no decisions at all the columns are typed NULLs, so the view costs nothing more than before."""
    if not files:
        added = ", ".join(f"NULL::{t} AS {n}" for n, t in ITEM_DECISION_COLUMNS.items())
        return f"SELECT *, {added} FROM ({items_sql})"
    columns = ", ".join(f"_d.{n}" for n in ITEM_DECISION_COLUMNS)
    return (f"SELECT _i.*, {columns} FROM ({items_sql}) _i LEFT JOIN ({current_sql(files, uniform)}) _d "
            "ON _i.platform = _d._d_platform AND _i.item_id = _d._d_item_id")


# The tag as it stands now: the latest review's, else the rules'. Used by register, cull and the saved queries.
EFFECTIVE = {
    "category": "coalesce(decision_category, tag_category)",
    "retention": "coalesce(decision_retention, tag_retention)",
    "cull_from": "CASE WHEN decided_at IS NOT NULL THEN decision_cull_from ELSE tag_cull_from END",
    "actions": "coalesce(decision_actions, tag_actions)",
    "access": "coalesce(decision_access, tag_access)",
    "needs_review": "(tag_needs_review AND decided_at IS NULL)",
}


def current_tag(row: dict) -> dict:
    """The tag an item has now (a row of the items view): what a new decision's `old_*` records."""
    if row.get("decided_at") is not None:
        return {"category": row["decision_category"], "retention": row["decision_retention"],
                "cull_from": row["decision_cull_from"], "actions": list(row["decision_actions"] or []),
                "access": row["decision_access"]}
    return {"category": row.get("tag_category"), "retention": row.get("tag_retention"),
            "cull_from": row.get("tag_cull_from"), "actions": list(row.get("tag_actions") or []),
            "access": row.get("tag_access")}


def find_item(con, item_id: str, platform: str | None = None) -> dict:  # noqa: ANN001 (DuckDB connection)
    """The items-view row of an item (with its current decision); one line if absent or ambiguous."""
    sql = "SELECT * FROM items WHERE item_id = $id" + (" AND platform = $platform" if platform else "")
    params = {"id": item_id, **({"platform": platform} if platform else {})}
    rows = con.sql(sql, params=params).to_arrow_table().to_pylist()
    if not rows:
        raise SmarchiveError(f"no item {item_id!r}" + (f" on {platform}" if platform else "") + " in the archive")
    if len(rows) > 1:
        raise SmarchiveError(f"item id {item_id!r} is on several platforms ({', '.join(r['platform'] for r in rows)}):"
                             " give --platform")
    return rows[0]


def review(row: dict, by: str, role: str, reason: str, *, category: str | None = None,
           retention: str | None = None, cull_from: date | None = None, actions: list[str] | None = None,
           access: str | None = None) -> Decision:
    """A review of `row` (an items-view row): the tag as it stands, with what is given changed. Nothing given:
    the archivist confirms the tag as it is."""
    old = current_tag(row)
    new = dict(old)
    for key, value in (("category", category), ("retention", retention), ("actions", actions), ("access", access)):
        if value is not None:
            new[key] = value
    if retention == "preserve":
        new["cull_from"] = None
    if cull_from is not None:
        new["cull_from"] = cull_from
    return Decision("review", row["item_id"], row["platform"], row["account"], row["year"], by, role, reason,
                    old=old, new=new)


def registered(row: dict, by: str, role: str, diarienummer: str, reason: str = "") -> Decision:
    return Decision("registered", row["item_id"], row["platform"], row["account"], row["year"], by, role, reason,
                    old=current_tag(row), diarienummer=diarienummer)


def removed(row: dict, by: str, role: str, when: datetime, reason: str = "") -> Decision:
    if when.tzinfo is None:
        raise SmarchiveError("the removal time needs its zone (e.g. 2024-05-02T14:00+02:00)")
    return Decision("removed", row["item_id"], row["platform"], row["account"], row["year"], by, role, reason,
                    old=current_tag(row), removed_at=when.astimezone(UTC))


HISTORY_SQL = ("SELECT * FROM decisions WHERE item_id = $id AND platform = $platform "
               "ORDER BY decided_at, decision_id")


def decisions_view_sql(files: list[Path], uniform: bool = False) -> str:
    """The `decisions` view: every decision recorded, each once (a copy left by an interrupted compaction
    is the same decision). `uniform`: as for current_sql."""
    source = read_files(files, uniform)
    return f"SELECT * EXCLUDE (_copy) FROM (SELECT *, row_number() OVER (PARTITION BY decision_id) AS _copy " \
           f"FROM {source}) WHERE _copy = 1"


def history(con, item_id: str, platform: str) -> list[dict]:  # noqa: ANN001 (DuckDB connection)
    """Every decision about one item, oldest first (from the `decisions` view that query.connect defines)."""
    return con.sql(HISTORY_SQL, params={"id": item_id, "platform": platform}).to_arrow_table().to_pylist()
