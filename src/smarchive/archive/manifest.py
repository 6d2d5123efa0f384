"""The Parquet manifest: one row per captured item, what Stadsarkivet ingests and archivists query.

Layout under the archive folder (hive-partitioned, append-only: a run adds files, never rewrites):
    manifest/items/year=YYYY/platform=P/account=A/run-<run_id>.parquet
    manifest/terms/<same partition>/run-<run_id>.parquet      word index of that items file
    manifest/summaries/<same partition>/run-<run_id>.parquet  its counts, for the account summary
    manifest/runs/run-<run_id>.parquet
Every file is written under a temporary name and renamed when complete. The column meanings are
documented in docs/manifest.md; SCHEMA_VERSION changes when a column changes.

Items files are sorted by (published_at, item_id), with a Bloom filter on item_id: worklists in time
order read the first row groups only, and a lookup by id skips the row groups that cannot hold it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from smarchive.archive import ledger
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
    ("extra", pa.map_(pa.string(), pa.string())),
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
    ("replay_target", pa.string()),  # <WARC-Date digits>/<URI> of the recorded page showing it (archive/replay.py)
    ("time_precision", pa.string()),  # how exact published_at is: second, minute, day or relative (model.Item)
    # Where the item came from (#18): "capture" (empty in older files: read as capture) or "export" (the platform's
    # own data download, `smarchive import`), and for an export: the stored export file, the path inside it,
    # and the platform's own id of the item (or a stable hash when the export gives none).
    ("source", pa.string()),
    ("export_file", pa.string()),
    ("export_member", pa.string()),
    ("export_id", pa.string()),
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
    ("accounts_incomplete", pa.list_(pa.string())),  # short of the platform's counts beyond tolerance
    ("account_workers", pa.list_(pa.string())),  # "account: host-pid" where a scaled-out run captured it (#17)
], metadata={"smarchive.schema_version": SCHEMA_VERSION})

# The word index behind `smarchive query --saved search`: one row per (word, item), sorted by word, so a
# search reads a few row groups instead of every text. item_row (the item's row in its items file, from 0) lets
# a search page read only its items' rows; indexes written before it have none (search then joins on the key,
# reading the items row groups of the page's time span). Rebuilt from an items file whenever it changes.
TERMS_SCHEMA = pa.schema([("term", pa.string()), ("platform", pa.string()), ("item_id", pa.string()),
                          ("year", pa.int32()), ("published_at", UTC_TS), ("run_id", pa.string()),
                          ("item_row", pa.int64()), ("positions", pa.list_(pa.int32()))],
                         metadata={"smarchive.schema_version": SCHEMA_VERSION})

# One row per items file: what `--saved account-summary` shows, counted when the file is written, so the
# summary of ten million items reads a few dozen rows.
SUMMARY_SCHEMA = pa.schema([
    ("year", pa.int32()), ("platform", pa.string()), ("account", pa.string()), ("run_id", pa.string()),
    ("items", pa.int64()), ("posts", pa.int64()), ("comments", pa.int64()), ("replies", pa.int64()),
    ("media", pa.int64()), ("to_register", pa.int64()), ("to_remove", pa.int64()), ("cull_eligible", pa.int64()),
    ("needs_review", pa.int64()), ("last_captured", UTC_TS),
], metadata={"smarchive.schema_version": SCHEMA_VERSION})
SUMMARY_COLUMNS = ["year", "platform", "account", "run_id", "item_type", "media_sha256", "tag_actions",
                   "tag_retention", "tag_needs_review", "captured_at"]
SORT_KEYS = [("published_at", "ascending"), ("item_id", "ascending")]
# Columns queries filter on: only these carry min/max statistics (the footer of a file read by every
# query stays small; a text's min/max would be hundreds of bytes per row group, for no pruning).
FILTERED = ["item_id", "platform", "account", "year", "item_type", "parent_id", "post_id", "author_is_account",
            "published_at", "warc_file", "tag_category", "tag_retention", "tag_cull_from", "tag_access",
            "tag_needs_review", "tag_decision", "run_id", "captured_at"]
# Columns with a value (nearly) per row: a dictionary would only be built to be thrown away.
UNIQUE_VALUED = {"item_id", "parent_id", "post_id", "author", "published_at", "text", "permalink", "warc_record_id",
                 "warc_offset", "source_url", "snapshot_record_id", "snapshot_offset", "screenshot_record_id",
                 "screenshot_offset", "media", "media_sha256", "tag_evidence", "extra", "replay_target"}
TOKEN_SEPARATORS = r"[^\p{L}\p{N}]+"  # letters and digits of any script make words; all else separates

ALLOWED = {
    "item_type": {"post", "comment", "reply"},
    "tag_retention": {"preserve", "cull-eligible"},
    "tag_access": {"open", "restricted"},
}
REQUIRED = ("item_id", "platform", "account", "year", "item_type", "published_at", "text", "run_id", "tag_category",
            "tag_retention", "tag_rule_ids")
# Required, but may be empty: a photo posted without a caption has the text "" (never null).
MAY_BE_EMPTY = {"text"}


def validate_rows(rows: list[dict]) -> None:
    """Refuse rows that would mislead a reader (see validate_table)."""
    validate_table(pa.Table.from_pylist(rows, schema=ITEM_SCHEMA))


def validate_table(table: pa.Table | pa.RecordBatch) -> None:
    """Refuse rows that would mislead a reader: required values missing, values outside the vocabularies,
    a comment or reply without its parent. Vectorised, so it costs little on millions of rows."""
    for key in REQUIRED:
        column = table.column(key)
        bad = pc.is_null(column)
        if pa.types.is_string(column.type) and key not in MAY_BE_EMPTY:
            bad = pc.or_(bad, pc.equal(column, ""))
        elif pa.types.is_list(column.type):
            bad = pc.or_(bad, pc.equal(pc.list_value_length(column), 0))
        _refuse(table, bad, lambda _row, k=key: f"{k} is missing")
    for key, allowed in ALLOWED.items():
        bad = pc.invert(pc.fill_null(pc.is_in(table.column(key), pa.array(sorted(allowed))), False))
        _refuse(table, bad, lambda row, k=key, a=allowed: f"{k}={row[k]!r} is not one of {sorted(a)}")
    orphan = pc.and_(pc.not_equal(table.column("item_type"), "post"), pc.is_null(table.column("parent_id")))
    _refuse(table, orphan, lambda row: f"a {row['item_type']} needs a parent_id")


def _refuse(table: pa.Table | pa.RecordBatch, bad: pa.Array, message) -> None:  # noqa: ANN001
    bad = pc.fill_null(bad, True)
    if pc.any(bad).as_py():
        index = pc.index(bad, True).as_py()
        row = table.slice(index, 1).to_pylist()[0]
        raise SmarchiveError(f"manifest row {index} ({row.get('item_id')}): {message(row)}")


def write_atomic(table: pa.Table, path: Path, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    try:
        pq.write_table(table, tmp, **{"compression": "zstd", **options})
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    ledger.written(path)
    return path


def items_path(archive: Path, year: int, platform: str, account: str, run_id: str) -> Path:
    return (archive / "manifest" / "items" / f"year={year}" / f"platform={platform}" / f"account={account}"
            / f"run-{run_id}.parquet")


def write_items(archive: Path, rows: list[dict], run_id: str) -> list[Path]:
    """Validate and write one Parquet file per (year, platform, account) partition."""
    groups: dict[tuple[int, str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["year"], row["platform"], row["account"]), []).append(row)
    tables = {key: pa.Table.from_pylist(group, schema=ITEM_SCHEMA) for key, group in sorted(groups.items())}
    for table in tables.values():
        validate_table(table)  # all partitions checked before any file is written
    return [write_items_file(table, items_path(archive, *key, run_id)) for key, table in tables.items()]


def items_file_options(rows_per_group: int) -> dict:
    """How items files are written: zstd, sorted by SORT_KEYS (declared in the file), Bloom filter on item_id."""
    return {
        "compression": "zstd",
        "use_dictionary": [n for n in ITEM_SCHEMA.names if n not in UNIQUE_VALUED],
        "write_statistics": FILTERED,
        "sorting_columns": pq.SortingColumn.from_ordering(ITEM_SCHEMA, SORT_KEYS),
        "bloom_filter_options": {"item_id": {"ndv": max(rows_per_group, 1024), "fpp": 0.01}},
    }


def in_time_order(table: pa.Table) -> pa.Table:
    """The table sorted by SORT_KEYS; a table already in strictly increasing time is returned as it is."""
    times = table.column("published_at")
    if len(times) < 2 or pc.all(pc.greater(times.slice(1), times.slice(0, len(times) - 1))).as_py():
        return table
    return table.sort_by(SORT_KEYS)


def write_items_file(table: pa.Table, path: Path) -> Path:
    """Sort, write atomically, and (re)build the file's word index and summary."""
    table = in_time_order(table)
    rows_per_group = ItemFileWriter.ROW_GROUP
    write_atomic(table, path, row_group_size=rows_per_group, **items_file_options(min(table.num_rows,
                                                                                      rows_per_group)))
    write_sidecars(path, table)
    return path


class ItemFileWriter:
    """Stream record batches into one partition file: constant memory, whatever the number of rows.

    Batches should come in published_at order (extraction yields items so); each batch is sorted, the
    file as a whole is not re-sorted, since the writer never holds the table. The file appears under its
    final name only when closed without error, with its summary; its word index is a separate step
    (`write_terms(path)`), which reads the text back.
    """

    ROW_GROUP = 32 * 1024  # small enough that a page of a worklist or a search reads little beyond it

    def __init__(self, archive: Path, year: int, platform: str, account: str, run_id: str):
        self.path = items_path(archive, year, platform, account, run_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.name}.part")
        self._writer = pq.ParquetWriter(self._tmp, ITEM_SCHEMA, **items_file_options(self.ROW_GROUP))
        self._summary = Summary()
        self.rows = 0

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        validate_table(batch)
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        table = in_time_order(table.cast(ITEM_SCHEMA))
        self._writer.write_table(table, row_group_size=self.ROW_GROUP)
        self._summary.add(table)
        self.rows += table.num_rows

    def close(self) -> Path:
        self._writer.close()
        with open(self._tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(self._tmp, self.path)
        ledger.written(self.path)
        write_summary(self.path, self._summary)
        return self.path

    def abort(self) -> None:
        self._writer.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> ItemFileWriter:
        return self

    def __exit__(self, exc_type, *_exc) -> None:  # noqa: ANN001
        if exc_type is None:
            self.close()
        else:
            self.abort()


def sidecar_path(items_file: Path, kind: str) -> Path:
    """manifest/items/<partition>/run-X.parquet -> manifest/<kind>/<partition>/run-X.parquet"""
    parts = list(items_file.parts)
    index = len(parts) - 1 - parts[::-1].index("items")
    return Path(*parts[:index], kind, *parts[index + 1:])


# Built by DuckDB: splitting, de-duplicating and sorting millions of words is what it does fast, in two
# threads, and within TERMS_MEMORY (it sorts on disk beyond that). `positions`: where the word is in the text's
# list of words (1 = first; what separates words is not counted), so a phrase's words can be checked to follow one
# another without reading the text. Found per word by a scan of the item's words, not by grouping all
# (word, position) pairs, which does not fit in TERMS_MEMORY at 10 M items.
# PARQUET_VERSION V2: delta encodings for the time and the row, which rise within each word: at 10 M items the
# index is 14 % smaller and a word's rows are read ~20 % faster than with V1's plain encoding.
TERMS_SQL = """
COPY (
    SELECT term, platform, item_id, year, published_at, run_id, item_row,
           list_filter(range(1, len(words) + 1), lambda i: words[i] = term)::INTEGER[] AS positions FROM (
        SELECT unnest(list_distinct(words)) AS term, words,
               platform, item_id, year, published_at, run_id, item_row FROM (
            SELECT regexp_split_to_array(lower(coalesce(text, '')), '{separators}') AS words,
                   platform, item_id, year, published_at, run_id, file_row_number AS item_row
            FROM read_parquet('{items}', file_row_number = true, hive_partitioning = false)))
    WHERE length(term) >= 2
    ORDER BY term, published_at, item_id
) TO '{out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 65536, PARQUET_VERSION V2,
              KV_METADATA {{'smarchive.schema_version': '{version}', 'smarchive.items_rows': '{rows}',
                            'smarchive.items_bytes': '{size}'}})
"""
TERMS_MEMORY = "600MB"


def write_terms(items_file: Path) -> Path:
    """Write (or rebuild) the word index of one items file: one row per distinct lower-cased word (two
    characters or more) of each item's text, sorted by word, then time, with the item's row in the file."""
    import duckdb  # only the index needs it here

    path = sidecar_path(items_file, "terms")
    tmp = path.with_name(f".{path.name}.part")
    spill = path.with_name(f".{path.name}.sort")
    path.parent.mkdir(parents=True, exist_ok=True)
    quote = lambda p: str(p).replace("'", "''")  # noqa: E731
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET memory_limit = '{TERMS_MEMORY}'")
        con.execute(f"SET temp_directory = '{quote(spill)}'")
        # the items file it was built from, by rows and size: search tells an index out of step (index_gaps)
        rows, size = pq.read_metadata(items_file).num_rows, items_file.stat().st_size
        con.execute(TERMS_SQL.format(separators=TOKEN_SEPARATORS, items=quote(items_file), out=quote(tmp),
                                     version=SCHEMA_VERSION, rows=rows, size=size))
        os.replace(tmp, path)
        ledger.written(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    return path


class Summary:
    """The counts of one items file, added up batch by batch (vectorised: cheap on millions of rows)."""

    def __init__(self) -> None:
        self.key: dict | None = None
        self.counts = dict.fromkeys(["items", "posts", "comments", "replies", "media", "to_register", "to_remove",
                                     "cull_eligible", "needs_review"], 0)
        self.last_captured = None

    @classmethod
    def of(cls, table: pa.Table) -> Summary:
        summary = cls()
        summary.add(table)
        return summary

    def add(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if self.key is None:
            self.key = {k: table.column(k)[0].as_py() for k in ("year", "platform", "account", "run_id")}
        types = table.column("item_type")
        actions = table.column("tag_actions")
        for name, mask in (
            ("posts", pc.equal(types, "post")), ("comments", pc.equal(types, "comment")),
            ("replies", pc.equal(types, "reply")),
            ("to_register", _rows_with(actions, "register")), ("to_remove", _rows_with(actions, "remove")),
            ("cull_eligible", pc.equal(table.column("tag_retention"), "cull-eligible")),
            ("needs_review", table.column("tag_needs_review")),
        ):
            self.counts[name] += pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0
        self.counts["items"] += table.num_rows
        self.counts["media"] += pc.sum(pc.list_value_length(table.column("media_sha256"))).as_py() or 0
        latest = pc.max(table.column("captured_at")).as_py()
        if latest is not None and (self.last_captured is None or latest > self.last_captured):
            self.last_captured = latest

    def table(self) -> pa.Table:
        return pa.Table.from_pylist([{**(self.key or {}), **self.counts, "last_captured": self.last_captured}],
                                    schema=SUMMARY_SCHEMA)


def _rows_with(lists: pa.ChunkedArray, value: str) -> pa.Array:
    """A mask of the rows whose list holds `value` (each row counted once)."""
    flat = pc.list_flatten(lists)
    hit_rows = pc.unique(pc.filter(pc.list_parent_indices(lists), pc.equal(flat, value)))
    return pc.is_in(pa.array(range(len(lists)), pa.int64()), value_set=pc.cast(hit_rows, pa.int64()))


def write_summary(items_file: Path, summary: Summary | None = None) -> Path:
    """Write (or rebuild) the summary of one items file; an empty file has none."""
    if summary is None:
        summary = Summary.of(pq.read_table(items_file, columns=SUMMARY_COLUMNS, schema=ITEM_SCHEMA))
    path = sidecar_path(items_file, "summaries")
    if summary.key is None:
        if path.exists():
            path.unlink()
            ledger.removed(path)
        return path
    return write_atomic(summary.table(), path)


def write_sidecars(items_file: Path, items: pa.Table | None = None) -> None:
    """Rebuild what is derived from an items file (word index, summary) after it is written or rewritten."""
    write_terms(items_file)
    write_summary(items_file, Summary.of(items) if items is not None else None)


# What the platform said exists against what was extracted: one row per count it showed (a post's comments, a
# comment's replies, an account's posts of the year), written for every account a run extracts.
COVERAGE_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("account", pa.string()), ("platform", pa.string()), ("year", pa.int32()),
    ("post_id", pa.string()), ("permalink", pa.string()), ("kind", pa.string()), ("comment_id", pa.string()),
    ("reported", pa.int64()), ("captured", pa.int64()), ("shortfall", pa.int64()), ("reason", pa.string()),
    ("source_url", pa.string()), ("source_record_id", pa.string()),
], metadata={"smarchive.schema_version": SCHEMA_VERSION})

# Recorded answers that should carry items but gave none, and JSON objects that look like items nobody read.
UNRECOGNISED_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("account", pa.string()), ("platform", pa.string()), ("year", pa.int32()),
    ("problem", pa.string()), ("url", pa.string()), ("warc_record_id", pa.string()), ("shape", pa.string()),
], metadata={"smarchive.schema_version": SCHEMA_VERSION})

# The account's identity as the platform gave it (issue #12): one row per account a run extracts, saying on
# which platform id ownership was decided and where the capture read it (empty when nothing resolved it).
OWNERS_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("account", pa.string()), ("platform", pa.string()), ("year", pa.int32()),
    ("platform_id", pa.string()), ("handle", pa.string()), ("name", pa.string()), ("resolved_from", pa.string()),
    ("source_url", pa.string()), ("source_record_id", pa.string()),
], metadata={"smarchive.schema_version": SCHEMA_VERSION})

TABLE_SCHEMAS = {"coverage": COVERAGE_SCHEMA, "unrecognised": UNRECOGNISED_SCHEMA, "owners": OWNERS_SCHEMA}


def write_account_table(archive: Path, table_name: str, rows: list[dict], run_id: str, year: int, platform: str,
                        account: str) -> Path:
    """One account's rows of a run for `coverage` or `unrecognised` (an empty file too: it says the account was
    checked in that run, so older runs' rows no longer count as the latest)."""
    schema = TABLE_SCHEMAS[table_name]
    rows = [{**row, "run_id": run_id, "year": year, "platform": platform, "account": account} for row in rows]
    path = (archive / "manifest" / table_name / f"year={year}" / f"platform={platform}" / f"account={account}"
            / f"run-{run_id}.parquet")
    return write_atomic(pa.Table.from_pylist(rows, schema=schema), path)


def account_table_files(archive: Path, table_name: str) -> list[Path]:
    return sorted((archive / "manifest" / table_name).glob("year=*/platform=*/account=*/*.parquet"))


def write_run(archive: Path, run: dict) -> Path:
    table = pa.Table.from_pylist([run], schema=RUN_SCHEMA)
    return write_atomic(table, archive / "manifest" / "runs" / f"run-{run['run_id']}.parquet")


# One row per package `smarchive deliver` wrote (docs/delivery.md): manifest/deliveries/delivery-<OBJID>.parquet
DELIVERY_SCHEMA = pa.schema([
    ("objid", pa.string()), ("year", pa.int32()), ("accounts", pa.list_(pa.string())), ("items", pa.int64()),
    ("culled", pa.int64()), ("not_delivered", pa.int64()), ("files", pa.int64()), ("bytes", pa.int64()),
    ("mets_sha256", pa.string()), ("created_at", UTC_TS), ("format", pa.string()), ("path", pa.string()),
], metadata={"smarchive.schema_version": SCHEMA_VERSION})


def write_delivery(archive: Path, row: dict) -> Path:
    table = pa.Table.from_pylist([row], schema=DELIVERY_SCHEMA)
    return write_atomic(table, archive / "manifest" / "deliveries" / f"delivery-{row['objid']}.parquet")


def item_files(archive: Path) -> list[Path]:
    return sorted((archive / "manifest" / "items").glob("year=*/platform=*/account=*/*.parquet"))


def read_items(archive: Path, columns: Iterable[str] | None = None) -> pa.Table:
    """Every item row of every run (all captures), as one Arrow table."""
    files = item_files(archive)
    if not files:
        return ITEM_SCHEMA.empty_table()
    return pa.concat_tables([pq.read_table(f, columns=list(columns) if columns else None,
                                           schema=ITEM_SCHEMA) for f in files])
