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
                     .replace(f"posts_per_year = {scale['posts_per_year']}", "posts_per_year = 2")
                     .replace('retention = "../retention"', f'retention = "{PROJECT / "retention"}"'),
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
