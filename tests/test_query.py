"""Queries archivists rely on: the saved ones agree with plain SQL; output formats round-trip."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from smarchive.archive.manifest import SORT_KEYS, item_files
from smarchive.archive.query import SUMMARY_SQL, run_query, saved_queries, saved_query


def smarchive(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarchive", *args], capture_output=True, text=True, timeout=120)


def test_saved_queries_listed_and_documented():
    queries = saved_queries()
    assert {"register-worklist", "cull-candidates", "account-summary", "search"} <= set(queries)
    assert all(q["description"] for q in queries.values())


def test_register_worklist_is_every_item_with_register_action(sandbox_capture):
    archive = sandbox_capture.archive
    saved = run_query(archive, saved_query("register-worklist"), {"year": 2024}).column("item_id").to_pylist()
    direct = run_query(archive, "SELECT item_id FROM items WHERE list_contains(tag_actions, 'register')")
    assert sorted(saved) == sorted(direct.column("item_id").to_pylist())
    assert saved, "the sandbox year has items to register"
    assert run_query(archive, saved_query("register-worklist"), {"year": 2023}).num_rows == 0


def test_cull_candidates_and_summary_agree(sandbox_capture):
    archive = sandbox_capture.archive
    cull = run_query(archive, saved_query("cull-candidates"), {"year": 2024})
    summary = run_query(archive, saved_query("account-summary"), {"year": None}).to_pylist()
    assert len(summary) == 1 and summary[0]["cull_eligible"] == cull.num_rows > 0
    total = run_query(archive, "SELECT count(*) AS n FROM items").to_pylist()[0]["n"]
    assert summary[0]["posts"] + summary[0]["comments"] + summary[0]["replies"] == total


def test_cli_table_shows_a_page_and_says_more_follow(sandbox_capture, tmp_path):
    archive = str(sandbox_capture.archive)
    total = run_query(sandbox_capture.archive, "SELECT count(*) AS n FROM items").to_pylist()[0]["n"]
    r = smarchive("query", "--archive", archive, "--limit", "5", "--offset", "5",
                  "SELECT item_id FROM items ORDER BY item_id")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 2 + 5 + 1  # header, rule, five rows, "(5 rows)"
    assert "rows 6-10 shown, more follow: --offset 10" in r.stderr
    out = tmp_path / "all.csv"
    r = smarchive("query", "--archive", archive, "--format", "csv", "--out", str(out), "SELECT item_id FROM items")
    assert r.returncode == 0 and len(out.read_text().splitlines()) == total + 1, "csv gives every row"


def test_account_summary_counts_what_items_holds(sandbox_capture):
    archive = sandbox_capture.archive
    from_files = run_query(archive, "SELECT * FROM account_summary ORDER BY ALL").to_pylist()
    live = run_query(archive, SUMMARY_SQL.format(source="SELECT * FROM items") + " ORDER BY ALL").to_pylist()
    assert from_files == live and live[0]["items"] > 0


def test_items_files_are_in_time_order_with_a_bloom_filter(sandbox_capture):
    for path in item_files(sandbox_capture.archive):
        table = pq.read_table(path)
        assert table.equals(table.sort_by(SORT_KEYS)), path
        meta = pq.ParquetFile(path).metadata.row_group(0)
        assert [c.column_index for c in meta.sorting_columns][:1] == [table.schema.get_field_index("published_at")]
        item_id = meta.column(table.schema.get_field_index("item_id"))
        assert item_id.bloom_filter_offset is not None or getattr(item_id, "has_bloom_filter", False), path


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_cli_formats(sandbox_capture, fmt):
    r = smarchive("query", "--archive", str(sandbox_capture.archive), "--format", fmt,
                  "SELECT item_type, count(*) AS n FROM items GROUP BY 1 ORDER BY 1")
    assert r.returncode == 0, r.stderr
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        assert [row["item_type"] for row in rows] == ["comment", "post", "reply"]
    elif fmt == "json":
        rows = [json.loads(line) for line in r.stdout.splitlines()]
        assert sum(row["n"] for row in rows) > 0
    else:
        assert r.stdout.splitlines()[0].split() == ["item_type", "n"]


def test_cli_parquet_and_saved(sandbox_capture, tmp_path):
    out = tmp_path / "summary.parquet"
    r = smarchive("query", "--archive", str(sandbox_capture.archive), "--saved", "account-summary",
                  "--year", "2024", "--format", "parquet", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert pq.read_table(out).num_rows == 1
    bad = smarchive("query", "--archive", str(sandbox_capture.archive), "SELECT nonsense FROM items")
    assert bad.returncode == 2 and bad.stderr.startswith("smarchive: error: query failed")
