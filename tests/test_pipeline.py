"""End to end: the manifest of a real capture of the sandbox equals the sandbox's ground truth."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from smarchive.archive.query import connect, run_query
from smarchive.archive.store import LocalStorage
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.truth import truth


@pytest.fixture(scope="module")
def expected(sandbox_capture):
    world = build_world(SandboxConfig(**sandbox_capture.sandbox))
    return {t["id"]: t for t in truth(world, sandbox_capture.year, platform="facebook")
            if t["account"] == "orebrokommun"}


@pytest.fixture(scope="module")
def manifest_rows(sandbox_capture):
    con = connect(sandbox_capture.archive)
    rows = con.sql("SELECT * FROM items WHERE platform = 'facebook'").to_arrow_table().to_pylist()
    con.close()
    return {r["item_id"]: r for r in rows}


def test_every_item_of_the_year_and_nothing_else(expected, manifest_rows):
    assert set(manifest_rows) == set(expected)
    kinds = {t["item_type"] for t in expected.values()}
    assert kinds == {"post", "comment", "reply"}, "the sandbox year must exercise every item type"


def test_items_match_truth_exactly(expected, manifest_rows):
    for item_id, want in expected.items():
        got = manifest_rows[item_id]
        assert got["item_type"] == want["item_type"]
        assert got["parent_id"] == want["parent_id"]
        assert got["text"] == want["text"], item_id
        assert got["author"] == want["author"]
        assert got["author_is_account"] == want["author_is_account"]
        assert got["published_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == want["published_at"]
        assert got["year"] == 2024


def test_media_byte_identical(sandbox_capture, expected, manifest_rows):
    storage = LocalStorage(sandbox_capture.archive)
    n = 0
    for item_id, want in expected.items():
        got = manifest_rows[item_id]
        assert sorted(got["media_sha256"]) == sorted(m["sha256"] for m in want["media"])
        for media in got["media"]:
            data = storage.get(media["sha256"])
            assert hashlib.sha256(data).hexdigest() == media["sha256"]
            assert media["location"].startswith("file://")
            n += 1
    assert n > 0


def test_provenance_points_into_the_warc(sandbox_capture, manifest_rows):
    from smarchive.archive.warc import read_record_at

    archive = sandbox_capture.archive
    for row in manifest_rows.values():
        warc = archive / row["warc_file"]
        assert hashlib.sha256(warc.read_bytes()).hexdigest() == row["warc_sha256"]
        headers, _ = read_record_at(warc, row["warc_offset"])
        assert headers["WARC-Record-ID"] == row["warc_record_id"]
        headers, html = read_record_at(warc, row["snapshot_offset"])
        assert headers["WARC-Record-ID"] == row["snapshot_record_id"]
        assert headers["WARC-Type"] == "resource" and headers["WARC-Target-URI"].startswith("urn:smarchive:snapshot:")
        headers, png = read_record_at(warc, row["screenshot_offset"])
        assert png.startswith(b"\x89PNG")


def test_every_item_tagged_with_rule_and_decision(manifest_rows):
    for row in manifest_rows.values():
        assert row["tag_rule_ids"], row["item_id"]
        assert row["tag_retention"] in ("preserve", "cull-eligible")
        assert row["tag_decision"] == "1748"
        if row["author_is_account"]:
            assert row["tag_retention"] == "preserve"


def test_summary_and_skipped_snapchat(sandbox_capture, expected):
    out = sandbox_capture.result.stdout
    assert "snapchat-orebrokommun" in out and "skipped" in out
    assert f"items:    {len(expected)}" in out
    runs = run_query(sandbox_capture.archive, "SELECT accounts_skipped, items FROM runs").to_pylist()
    assert runs == [{"accounts_skipped": ["snapchat-orebrokommun"], "items": len(expected)}]


def test_no_cookie_in_any_output(sandbox_capture):
    """The consent cookie the capture accepted is in no WARC header, manifest or log."""
    import gzip
    import re

    archive = sandbox_capture.archive
    cookie_header = re.compile(rb"(?im)^(set-)?cookie:")
    warcs = list((archive / "warc").rglob("*.warc.gz"))
    assert warcs
    for warc in warcs:
        raw = gzip.decompress(warc.read_bytes())
        assert not cookie_header.search(raw), warc
    for log in (archive / "logs").glob("*.log"):
        assert not cookie_header.search(log.read_bytes())
    rows = run_query(archive, "SELECT * FROM item_captures").to_pylist()
    rows += run_query(archive, "SELECT * FROM runs").to_pylist()
    assert rows and "sb_consent=" not in repr(rows)


def test_query_command_over_items(sandbox_capture, expected):
    table = run_query(sandbox_capture.archive, "SELECT item_type, count(*) AS n FROM items GROUP BY 1 ORDER BY 1")
    counts = {r["item_type"]: r["n"] for r in table.to_pylist()}
    want: dict[str, int] = {}
    for t in expected.values():
        want[t["item_type"]] = want.get(t["item_type"], 0) + 1
    assert counts == want
    assert duckdb.__version__


def test_warc_is_valid_and_starts_with_warcinfo(sandbox_capture):
    import subprocess
    import sys
    from pathlib import Path

    from smarchive.archive.warc import iter_records

    warcs = sorted((sandbox_capture.archive / "warc" / "2024").glob("*.warc.gz"))
    assert [w.name.split("-2")[0] for w in warcs] == ["facebook-orebrokommun"]
    warcio = Path(sys.executable).parent / "warcio"
    check = subprocess.run([warcio, "check", "-v", warcs[0]], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]
    records = list(iter_records(warcs[0]))
    offset, headers, body = records[0]
    assert offset == 0 and headers["WARC-Type"] == "warcinfo"
    fields = dict(line.split(": ", 1) for line in body.decode().splitlines())
    assert fields["software"].startswith("smarchive/")
    assert fields["operator"] == "smarchive tests" and fields["job"] == "sandbox-small"
    assert fields["account-id"] == "facebook-orebrokommun" and fields["year"] == "2024"
    # no leftovers: staging removed, no temporary files beside the kept ones
    assert not list(sandbox_capture.archive.rglob("*.part"))
    assert not any((sandbox_capture.archive / "staging").rglob("*.warc*"))


def test_wacz_per_account_and_year_validates(sandbox_capture, expected):
    import json
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    wacz = sandbox_capture.archive / "wacz" / "2024" / "facebook-orebrokommun.wacz"
    check = subprocess.run([Path(sys.executable).parent / "wacz", "validate", "-f", str(wacz)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with zipfile.ZipFile(wacz) as z:
        lines = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()]
    urls = {p["url"] for p in lines[1:]}
    posts = {t["permalink"] for t in expected.values() if t["item_type"] == "post"}
    assert len(posts) == len([u for u in urls if "/posts/" in u])
