"""`smarchive show ITEM_ID`: the item with its thread, tag, provenance and files; its screenshot and DOM snapshot
written out of the WARC, byte for byte."""

from __future__ import annotations

import hashlib
import html
import json
import subprocess
import sys

from warcio.archiveiterator import ArchiveIterator

from smarchive.archive.query import run_query


def smarchive(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarchive", *args], capture_output=True, text=True, timeout=120)


def a_reply(archive) -> dict:
    return run_query(archive, "SELECT * FROM items WHERE item_type = 'reply' AND screenshot_record_id IS NOT NULL "
                              "ORDER BY published_at, item_id LIMIT 1").to_pylist()[0]


def record_payload(warc, record_id: str) -> bytes:
    """The record's body, found by scanning the whole WARC (independent of the manifest's offsets)."""
    with open(warc, "rb") as f:
        for record in ArchiveIterator(f):
            if record.rec_headers.get_header("WARC-Record-ID") == record_id:
                return record.content_stream().read()
    raise AssertionError(f"{record_id} not in {warc}")


def test_show_prints_item_thread_tag_provenance_and_files(sandbox_capture):
    archive = sandbox_capture.archive
    reply = a_reply(archive)
    r = smarchive("show", reply["item_id"], "--archive", str(archive))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert reply["text"].splitlines()[0] in out
    lines = out.splitlines()
    marked = [line for line in lines if line.startswith(" > ")]
    assert len(marked) == 1 and reply["item_id"] in marked[0]
    assert any(reply["post_id"] in line and " post " in line for line in lines), "the thread shows its post"
    assert any(reply["parent_id"] in line and "comment" in line for line in lines), "and the comment it answers"
    assert f"tag: {reply['tag_category']}, {reply['tag_retention']}" in out
    assert reply["run_id"] in out and reply["warc_record_id"] in out
    assert f"warc: {reply['warc_file']}" in out and "MISSING" not in out
    assert "CET" in out or "CEST" in out


def test_show_json_names_the_files_it_came_from(sandbox_capture):
    archive = sandbox_capture.archive
    reply = a_reply(archive)
    r = smarchive("show", reply["item_id"], "--archive", str(archive), "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["item"]["item_id"] == reply["item_id"] and info["item"]["text"] == reply["text"]
    thread_ids = {t["item_id"] for t in info["thread"]}
    assert {reply["item_id"], reply["post_id"], reply["parent_id"]} <= thread_ids
    assert info["tag"]["rule_ids"] == reply["tag_rule_ids"]
    roles = {f["role"]: f for f in info["files"]}
    assert roles["warc"]["exists"] and roles["wacz"]["exists"] and roles["manifest"]["exists"]
    assert (archive / roles["manifest"]["path"]).name == f"run-{reply['run_id']}.parquet"
    assert info["provenance"]["replay_path"].startswith("smarchive/")
    assert "urn:smarchive:snapshot:" in info["provenance"]["replay_path"]


def test_show_writes_screenshot_and_snapshot_from_the_warc(sandbox_capture, tmp_path):
    archive = sandbox_capture.archive
    reply = a_reply(archive)
    png, page = tmp_path / "shot.png", tmp_path / "page.html"
    r = smarchive("show", reply["item_id"], "--archive", str(archive), "--screenshot", str(png),
                  "--snapshot", str(page))
    assert r.returncode == 0, r.stderr
    warc = archive / reply["warc_file"]
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert hashlib.sha256(png.read_bytes()).digest() == \
        hashlib.sha256(record_payload(warc, reply["screenshot_record_id"])).digest()
    assert page.read_bytes() == record_payload(warc, reply["snapshot_record_id"])
    first = reply["text"].splitlines()[0]
    assert html.escape(first, quote=False) in page.read_text("utf-8") or first in page.read_text("utf-8")


def test_show_unknown_item_is_one_line(sandbox_capture):
    r = smarchive("show", "no-such-item", "--archive", str(sandbox_capture.archive))
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["smarchive: error: no item no-such-item in the archive"]
