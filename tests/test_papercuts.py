"""Paper cuts a new user met in the first hour (#13): each one mended and held here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def smarchive(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarchive", *args], capture_output=True, text=True,
                          env={**os.environ}, cwd=cwd, timeout=300)


@pytest.mark.parametrize("sql", [
    "DELETE FROM items",
    "COPY (SELECT 1) TO 'out.csv'",
    "SELECT 1; DROP VIEW items",
    "CREATE TABLE t AS SELECT 1",
])
def test_only_select_queries_are_run(tmp_path, sql):
    (tmp_path / "archive" / "manifest").mkdir(parents=True)
    r = smarchive("query", "--archive", str(tmp_path / "archive"), sql, cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "only SELECT/WITH queries are allowed" in lines[0]
    assert not (tmp_path / "out.csv").exists()


def test_select_and_with_are_run(tmp_path):
    (tmp_path / "archive" / "manifest").mkdir(parents=True)
    for sql in ("SELECT count(*) AS n FROM items", "WITH t AS (SELECT 41 + 1 AS n) SELECT n FROM t"):
        r = smarchive("query", "--archive", str(tmp_path / "archive"), "--format", "csv", sql)
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines()[0] == "n"
