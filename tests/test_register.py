"""`smarchive register`: the registry worklist holds exactly the items to register, with why and where."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from smarchive.archive.query import connect
from smarchive.archive.warc import read_record_at
from smarchive.cli import cli
from smarchive.retention.register import evidence_summary

PROJECT = Path(__file__).resolve().parents[1]


def smarchive(*args: str) -> SimpleNamespace:
    """The command in-process (a subprocess per call costs seconds of imports): returncode, stdout, stderr."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


@pytest.fixture(scope="module")
def register(sandbox_capture, tmp_path_factory):
    archive = tmp_path_factory.mktemp("register") / "archive"
    shutil.copytree(sandbox_capture.archive, archive)
    result = smarchive("register", "--year", "2024", "--archive", str(archive),
                       "--pipeline", str(sandbox_capture.archive.parent / "small-sandbox.toml"))
    assert result.returncode == 0, result.stderr
    path = archive / "register" / "register-2024.csv"
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    return archive, rows, result, path


def test_exactly_the_items_to_register(register):
    archive, rows, result, path = register
    con = connect(archive)
    expected = con.sql("SELECT item_id, tag_access FROM items WHERE year = 2024 AND "
                       "list_contains(tag_actions, 'register') ORDER BY published_at, platform, item_id"
                       ).to_arrow_table().to_pylist()
    con.close()
    assert expected
    assert [r["item_id"] for r in rows] == [e["item_id"] for e in expected]
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert f"{len(rows)} item(s) of 2024 to register" in result.stdout
    restricted = {e["item_id"] for e in expected if e["tag_access"] == "restricted"}
    assert {r["item_id"] for r in rows if r["restricted"]} == restricted
    assert all("register" in json.loads(r["actions"]) for r in rows)  # a JSON array, as in every CSV


def test_evidence_and_links(register):
    archive, rows, _, _ = register
    for row in rows:
        assert row["text"] and row["rule_ids"] and row["category_title"]
        assert re.match(r"^ORE-\d{3}: ", row["evidence"]), row["evidence"]
        assert re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} CES?T$", row["published_local"])
        assert row["published_utc"].endswith("Z")
        # the recorded page the item was captured on (its post page's snapshot), not the never-fetched permalink
        assert re.match(r"^smarchive/\d{14}/urn:smarchive:snapshot:http://127\.0\.0\.1:\d+/", row["replay_path"])
        assert row["permalink"].startswith("sandbox:/")
        headers, _ = read_record_at(archive / row["warc_file"], int(row["warc_offset"]))
        assert headers["WARC-Record-ID"] == row["warc_record_id"]
        assert row["snapshot_record_id"].startswith("<urn:uuid:")


def test_evidence_summary_shortens_detector_hits():
    summary = evidence_summary([
        {"rule_id": "ORE-031", "kind": "detector", "name": "personnummer", "text": "19121212-1212", "start": 12,
         "end": 25},
        {"rule_id": "ORE-060", "kind": "lexicon", "name": "complaint", "text": "skandal", "start": 0, "end": 7},
        {"rule_id": "ORE-093", "kind": "condition", "name": "question", "term": "true"},
    ])
    assert summary == "ORE-031: personnummer '19…' @12-25 | ORE-060: complaint 'skandal' @0-7 | ORE-093: question=true"


def test_out_option_and_missing_archive(register, tmp_path):
    archive = register[0]
    out = tmp_path / "lista.csv"
    assert smarchive("register", "--year", "2024", "--archive", str(archive), "--out", str(out)).returncode == 0
    assert out.read_bytes() == (archive / "register" / "register-2024.csv").read_bytes()
    missing = subprocess.run([sys.executable, "-m", "smarchive", "register", "--year", "2024", "--archive",
                              str(tmp_path / "nothing")], capture_output=True, text=True, timeout=120, cwd=PROJECT)
    assert missing.returncode == 2 and missing.stderr.strip().count("\n") == 0 and "no manifest" in missing.stderr
