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


HEAVY = ("pyarrow", "duckdb", "playwright", "warcio", "smarchive.sandbox.content", "smarchive.retention.cull")


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_nothing_heavy(flag):
    """`smarchive --help` starts in well under 0.3 s because nothing heavy is imported before a command
    runs (benchmarks/startup.py times it; a timing here would fail on a busy machine, this cannot)."""
    code = ("import sys\nfrom smarchive.cli import main\ntry:\n    main([" + repr(flag) + "])\n"
            "except SystemExit:\n    pass\nprint(sorted(m for m in sys.modules if m.startswith(" + repr(HEAVY) + ")))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_sandbox_truth_reads_the_pipelines_scale(tmp_path):
    """`sandbox truth --year 2024` counts the world `make demo` captures (pipelines/sandbox.toml), and
    --pipeline names another; an option given on the command line still wins."""
    import tomllib

    from smarchive.sandbox.content import SandboxConfig, build_world
    from smarchive.sandbox.truth import truth

    demo = tomllib.loads((PROJECT / "pipelines" / "sandbox.toml").read_text(encoding="utf-8"))["sandbox"]
    scale = {k: demo[k] for k in ("seed", "posts_per_year", "comments_per_post")}
    r = smarchive("sandbox", "truth", "--year", "2024")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == len(truth(build_world(SandboxConfig(**scale)), 2024, None))
    assert len(r.stdout.splitlines()) != len(truth(build_world(SandboxConfig()), 2024, None))

    small = tmp_path / "small.toml"
    small.write_text((PROJECT / "pipelines" / "sandbox.toml").read_text(encoding="utf-8")
                     .replace(f"posts_per_year = {scale['posts_per_year']}", "posts_per_year = 2"),
                     encoding="utf-8")
    r = smarchive("sandbox", "truth", "--year", "2024", "--pipeline", str(small), "--platform", "facebook")
    expected = truth(build_world(SandboxConfig(**{**scale, "posts_per_year": 2})), 2024, "facebook")
    assert len(r.stdout.splitlines()) == len(expected)
    r = smarchive("sandbox", "truth", "--year", "2024", "--pipeline", str(small), "--posts-per-year", "3")
    assert len(r.stdout.splitlines()) == len(truth(build_world(SandboxConfig(**{**scale, "posts_per_year": 3})),
                                                   2024, None))


def test_sandbox_truth_refuses_a_pipeline_without_sandbox():
    r = smarchive("sandbox", "truth", "--year", "2024", "--pipeline", "orebro")
    assert r.returncode == 2 and "does not run on the sandbox" in r.stderr


def test_progress_counts_agree_in_number():
    from smarchive.platforms.toolkit import counted

    assert [counted(n, "click") for n in (0, 1, 2)] == ["0 clicks", "1 click", "2 clicks"]
    assert counted(1, "reply", "replies") == "1 reply" and counted(3, "reply", "replies") == "3 replies"


def test_the_demo_log_is_quiet_and_matches_the_truth(demo_capture):
    """`make demo`: no 429 waits (the demo pipeline does not throttle), counts in the right number, no warnings,
    and `smarchive sandbox truth --year 2024` (the demo's scale by default) counts what was captured."""
    import re

    from smarchive.archive.query import run_query

    log = demo_capture.result.stderr
    assert "HTTP 429" not in log and "throttled" not in log
    assert not re.search(r"\b1 (clicks|threads|posts|videos|episodes|scrolls|feed pages)\b", log)
    assert "warnings: 0" in demo_capture.result.stdout
    truth = smarchive("sandbox", "truth", "--year", "2024")
    captured = run_query(demo_capture.archive, "SELECT count(*) AS n FROM items").to_pylist()[0]["n"]
    assert len(truth.stdout.splitlines()) == captured


def test_csv_list_columns_are_json_arrays(demo_capture, tmp_path):
    """A list column in CSV is a JSON array, in a query and in the register alike (never Python's repr)."""
    import csv
    import io
    import json

    r = smarchive("query", "--archive", str(demo_capture.archive), "--format", "csv",
                  "SELECT item_id, tag_rule_ids, tag_actions FROM items WHERE len(tag_rule_ids) > 1 LIMIT 5")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows and all(len(json.loads(row["tag_rule_ids"])) > 1 for row in rows), r.stdout[:300]
    saved = smarchive("query", "--archive", str(demo_capture.archive), "--saved", "register-worklist", "--format",
                      "csv")
    assert all(json.loads(row["actions"]) and "register" in json.loads(row["actions"])
               for row in csv.DictReader(io.StringIO(saved.stdout)))
    out = tmp_path / "register.csv"
    smarchive("register", "--year", "2024", "--archive", str(demo_capture.archive), "--out", str(out))
    register = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig")), delimiter=";"))
    assert register and all(isinstance(json.loads(row["rule_ids"]), list) for row in register)
