"""The manifest as Stadsarkivet gets it: readable by DuckDB, pyarrow and Polars; validated; append-only."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pyarrow.parquet as pq
import pytest

from smarchive.archive.manifest import ITEM_SCHEMA, SCHEMA_VERSION, item_files, validate_rows, write_items
from smarchive.errors import SmarchiveError


def test_readable_by_pyarrow_duckdb_and_polars(sandbox_capture):
    polars = pytest.importorskip("polars")
    root = sandbox_capture.archive / "manifest" / "items"
    files = item_files(sandbox_capture.archive)
    assert files and all("year=2024/platform=facebook/account=facebook-orebrokommun" in str(f) for f in files)
    table = pq.read_table(files[0])
    assert table.schema.metadata[b"smarchive.schema_version"].decode() == SCHEMA_VERSION
    assert table.schema.equals(ITEM_SCHEMA, check_metadata=False)
    con = duckdb.connect()
    sql = f"SELECT count(*) FROM read_parquet('{root}/**/*.parquet', hive_partitioning=false)"
    n_duck = con.sql(sql).fetchall()[0][0]
    frame = polars.read_parquet(str(files[0]), hive_partitioning=False)
    assert n_duck == table.num_rows == frame.height
    assert set(frame["item_type"].to_list()) == {"post", "comment", "reply"}


def test_time_precision_is_kept_and_empty_in_older_files(sandbox_capture, tmp_path):
    """How exact each published_at is travels into the manifest; an items file written before the column
    existed still reads, showing it empty."""
    from smarchive.archive.query import connect

    precisions = connect(sandbox_capture.archive).sql(
        "SELECT time_precision, count(*) FROM items GROUP BY ALL").fetchall()
    assert precisions == [("second", sum(n for _, n in precisions))]  # the sandbox gives exact times
    older = tmp_path / "archive"
    files = item_files(sandbox_capture.archive)
    for path in files:
        target = older / path.relative_to(sandbox_capture.archive)
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pq.read_table(path).drop_columns(["time_precision"]), target)
    con = connect(older)
    assert con.sql("SELECT count(*), count(time_precision) FROM items").fetchall()[0][1] == 0
    assert con.sql("SELECT count(*) FROM items").fetchall()[0][0] == sum(n for _, n in precisions)


def _row(**overrides) -> dict:
    row = {"item_id": "1", "platform": "facebook", "account": "a", "year": 2024, "item_type": "post",
           "published_at": datetime(2024, 5, 1, tzinfo=UTC), "text": "Hej", "run_id": "r1",
           "tag_category": "own", "tag_retention": "preserve", "tag_access": "open", "tag_rule_ids": ["ORE-001"],
           "media": [], "media_sha256": [], "tag_actions": [], "tag_evidence": []}
    row.update(overrides)
    return row


@pytest.mark.parametrize("bad, message", [
    ({"item_type": "story"}, "item_type"),
    ({"tag_retention": "maybe"}, "tag_retention"),
    ({"tag_rule_ids": []}, "tag_rule_ids"),
    ({"item_type": "comment", "parent_id": None}, "parent_id"),
])
def test_invalid_rows_refused(bad, message):
    with pytest.raises(SmarchiveError, match=message):
        validate_rows([_row(**bad)])


def test_runs_append_without_rewriting(tmp_path):
    first = write_items(tmp_path, [_row()], "run-a")
    before = first[0].read_bytes()
    second = write_items(tmp_path, [_row(text="Hej igen")], "run-b")
    assert first[0].read_bytes() == before and first != second
    assert len(item_files(tmp_path)) == 2
    assert not list(tmp_path.rglob("*.part"))
