"""The Parquet manifest: one row per captured item, what Stadsarkivet ingests and archivists query.

Layout under the archive folder (hive-partitioned, append-only: a run adds files, never rewrites):
    manifest/items/year=YYYY/platform=P/account=A/run-<run_id>.parquet
    manifest/runs/run-<run_id>.parquet
Every file is written under a temporary name and renamed when complete. The column meanings are
documented in docs/manifest.md; SCHEMA_VERSION changes when a column changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from smarchive.errors import SmarchiveError

SCHEMA_VERSION = "1.0"

MEDIA_TYPE = pa.struct([
    ("url", pa.string()),
    ("kind", pa.string()),
    ("sha256", pa.string()),
    ("size", pa.int64()),
    ("content_type", pa.string()),
    ("location", pa.string()),
])

EVIDENCE_TYPE = pa.struct([
    ("rule_id", pa.string()),
    ("kind", pa.string()),
    ("name", pa.string()),
    ("term", pa.string()),
    ("text", pa.string()),
    ("start", pa.int32()),
    ("end", pa.int32()),
])

UTC_TS = pa.timestamp("us", tz="UTC")

ITEM_SCHEMA = pa.schema([
    ("item_id", pa.string()),
    ("platform", pa.string()),
    ("account", pa.string()),
    ("account_name", pa.string()),
    ("year", pa.int32()),
    ("item_type", pa.string()),
    ("parent_id", pa.string()),
    ("post_id", pa.string()),
    ("author", pa.string()),
    ("author_is_account", pa.bool_()),
    ("published_at", UTC_TS),
    ("text", pa.string()),
    ("permalink", pa.string()),
    ("media", pa.list_(MEDIA_TYPE)),
    ("media_sha256", pa.list_(pa.string())),
    ("warc_file", pa.string()),
    ("warc_sha256", pa.string()),
    ("warc_record_id", pa.string()),
    ("warc_offset", pa.int64()),
    ("source_url", pa.string()),
    ("snapshot_record_id", pa.string()),
    ("snapshot_offset", pa.int64()),
    ("screenshot_record_id", pa.string()),
    ("screenshot_offset", pa.int64()),
    ("tag_category", pa.string()),
    ("tag_retention", pa.string()),
    ("tag_cull_from", pa.date32()),
    ("tag_actions", pa.list_(pa.string())),
    ("tag_access", pa.string()),
    ("tag_rule_ids", pa.list_(pa.string())),
    ("tag_evidence", pa.list_(EVIDENCE_TYPE)),
    ("tag_needs_review", pa.bool_()),
    ("tag_decision", pa.string()),
    ("tag_engine_version", pa.string()),
    ("tag_ruleset_version", pa.string()),
    ("run_id", pa.string()),
    ("captured_at", UTC_TS),
    ("software", pa.string()),
], metadata={"smarchive.schema_version": SCHEMA_VERSION})

RUN_SCHEMA = pa.schema([
    ("run_id", pa.string()),
    ("job", pa.string()),
    ("pipeline_file", pa.string()),
    ("year", pa.int32()),
    ("started_at", UTC_TS),
    ("finished_at", UTC_TS),
    ("accounts", pa.list_(pa.string())),
    ("accounts_failed", pa.list_(pa.string())),
    ("accounts_skipped", pa.list_(pa.string())),
    ("items", pa.int64()),
    ("media", pa.int64()),
    ("warc_files", pa.list_(pa.string())),
    ("warnings", pa.list_(pa.string())),
    ("errors", pa.list_(pa.string())),
    ("software", pa.string()),
    ("operator", pa.string()),
], metadata={"smarchive.schema_version": SCHEMA_VERSION})

ALLOWED = {
    "item_type": {"post", "comment", "reply"},
    "tag_retention": {"preserve", "cull-eligible"},
    "tag_access": {"open", "restricted"},
}
REQUIRED = ("item_id", "platform", "account", "year", "item_type", "published_at", "text", "run_id", "tag_category",
            "tag_retention", "tag_rule_ids")


def validate_rows(rows: list[dict]) -> None:
    """Refuse rows that would mislead a reader: missing required values, values outside the vocabularies."""
    for n, row in enumerate(rows):
        for key in REQUIRED:
            if row.get(key) in (None, "", []):
                raise SmarchiveError(f"manifest row {n} ({row.get('item_id')}): {key} is missing")
        for key, allowed in ALLOWED.items():
            if row.get(key) not in allowed:
                raise SmarchiveError(f"manifest row {n} ({row.get('item_id')}): {key}={row.get(key)!r} "
                                     f"is not one of {sorted(allowed)}")
        if row["item_type"] != "post" and not row.get("parent_id"):
            raise SmarchiveError(f"manifest row {n} ({row['item_id']}): a {row['item_type']} needs a parent_id")


def write_atomic(table: pa.Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def items_path(archive: Path, year: int, platform: str, account: str, run_id: str) -> Path:
    return (archive / "manifest" / "items" / f"year={year}" / f"platform={platform}" / f"account={account}"
            / f"run-{run_id}.parquet")


def write_items(archive: Path, rows: list[dict], run_id: str) -> list[Path]:
    """Validate and write one Parquet file per (year, platform, account) partition."""
    validate_rows(rows)
    groups: dict[tuple[int, str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["year"], row["platform"], row["account"]), []).append(row)
    written = []
    for (year, platform, account), group in sorted(groups.items()):
        table = pa.Table.from_pylist(group, schema=ITEM_SCHEMA)
        written.append(write_atomic(table, items_path(archive, year, platform, account, run_id)))
    return written


def write_run(archive: Path, run: dict) -> Path:
    table = pa.Table.from_pylist([run], schema=RUN_SCHEMA)
    return write_atomic(table, archive / "manifest" / "runs" / f"run-{run['run_id']}.parquet")


def item_files(archive: Path) -> list[Path]:
    return sorted((archive / "manifest" / "items").glob("year=*/platform=*/account=*/*.parquet"))


def read_items(archive: Path, columns: Iterable[str] | None = None) -> pa.Table:
    """Every item row of every run (all captures), as one Arrow table."""
    files = item_files(archive)
    if not files:
        return ITEM_SCHEMA.empty_table()
    return pa.concat_tables([pq.read_table(f, columns=list(columns) if columns else None,
                                           schema=ITEM_SCHEMA) for f in files])
