"""The README's query examples work on the demo archive (#13): each `smarchive query` line of its code blocks,
every saved query and every `--saved search` example of its table gives rows."""

from __future__ import annotations

import csv
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from smarchive.archive.query import saved_queries

PROJECT = Path(__file__).resolve().parents[1]
README = (PROJECT / "README.md").read_text(encoding="utf-8")


def code_lines() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]


def query_examples() -> list[str]:
    """Runnable query lines (the usage synopsis, with [OPTIONS] and NAME placeholders, is not an example)."""
    return [line for line in code_lines() if line.startswith("smarchive query ") and "[" not in line.split('"')[0]
            and "NAME" not in line]


def search_examples() -> list[str]:
    return re.findall(r"`(--saved search [^`]+)`", README)


def run(args: list[str], archive: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarchive", *args, "--archive", str(archive)],
                          capture_output=True, text=True, timeout=300)


def data_rows(result: subprocess.CompletedProcess) -> int:
    assert result.returncode == 0, result.stderr
    return len(list(csv.reader(io.StringIO(result.stdout)))) - 1


def test_the_readme_has_examples():
    assert len(query_examples()) >= 4 and len(search_examples()) >= 3


@pytest.mark.parametrize("line", query_examples())
def test_readme_query_example_gives_rows(demo_capture, tmp_path, line):
    args = shlex.split(line)[1:]
    if "--out" in args:
        out = tmp_path / Path(args[args.index("--out") + 1]).name
        args[args.index("--out") + 1] = str(out)
        r = run(args, demo_capture.archive)
        assert r.returncode == 0, r.stderr
        assert len(out.read_text(encoding="utf-8").splitlines()) > 1, line
    else:
        assert data_rows(run([*args[:-1], "--format", "csv", args[-1]], demo_capture.archive)) > 0, line


@pytest.mark.parametrize("name", sorted(set(saved_queries()) - {"search"}))
def test_every_saved_query_gives_rows_on_the_demo(demo_capture, name):
    assert f"`{name}`" in README, "each saved query is in the README's table"
    rows = data_rows(run(["query", "--saved", name, "--year", "2024", "--format", "csv"], demo_capture.archive))
    if name == "coverage":  # the short posts: the demo captures every post whole (test_coverage_sandbox: some short)
        assert rows == 0
    elif name == "reconcile":  # nothing imported into the demo (test_imports imports the sandbox's exports)
        assert rows == 0
    else:
        assert rows > 0


@pytest.mark.parametrize("example", search_examples())
def test_readme_search_example_gives_rows(demo_capture, example):
    args = shlex.split(example)
    assert data_rows(run(["query", *args, "--format", "csv"], demo_capture.archive)) > 0, example
