"""`smarchive extract`: the adapter extraction over WARCs and WACZs recorded elsewhere, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from warcs import Answer, demo_facebook_answers, real_file, write_warc

IG_POST = "https://www.instagram.com/p/B4-a94MJ8of/"


def smarchive(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarchive", *args], capture_output=True, text=True, timeout=300)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_demo_warc_by_owner_url(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "demo.warc.gz", demo_facebook_answers())
    out = tmp_path / "items.jsonl"
    result = smarchive("extract", "--year", "2024", "--platform", "facebook", "--owner",
                       "https://www.facebook.com/orebrokommun/", str(warc), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "5 items (1 posts, 2 comments, 2 replies)" in result.stdout
    assert "captured 4 of 4 comments and replies (platform's count), 0 post(s) short -> complete" in result.stdout
    assert "warnings: 0" in result.stdout
    items = lines(out)
    assert [(i["item_id"], i["item_type"], i["parent_id"]) for i in items] == [
        ("9001", "post", None), ("9101", "comment", "9001"), ("9102", "comment", "9001"),
        ("9200", "reply", "9101"), ("9201", "reply", "9101")]
    post = items[0]
    assert (post["author"], post["author_is_account"], post["account"]) == ("Örebro kommun", True,
                                                                            "facebook-orebrokommun")
    assert post["published_at"] == "2024-06-01T10:00:00+00:00" and post["text"] == "Välkommen till parken!"
    assert post["media"] == [{"url": "https://sandbox.example/facebook/media/p.png", "kind": "image"}]
    assert post["warc_file"] == "demo.warc.gz" and post["warc_record_id"].startswith("<urn:uuid:")


def test_demo_warc_short_of_the_platforms_count_exits_1(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "short.warc.gz", demo_facebook_answers(replies_shown=0))
    result = smarchive("extract", "--year", "2024", "--account", "facebook-orebrokommun", "--pipeline", "sandbox",
                       str(warc))
    assert result.returncode == 1, result.stderr
    assert "captured 2 of 4 comments and replies (platform's count), 1 post(s) short -> INCOMPLETE" in result.stdout
    assert "short: https://sandbox.example/facebook/orebrokommun/posts/9001: 2 missing" in result.stdout


def ig_answer(body: bytes) -> Answer:
    return Answer(IG_POST, body, date="2019-11-20T10:00:00Z")


def test_real_instagram_page_from_a_warc_and_a_wacz(tmp_path: Path) -> None:
    page = real_file("ig-html-pages", "html2text__instagram_photo_B4-a94MJ8of.html").read_bytes()
    warc = write_warc(tmp_path / "ig.warc.gz", [ig_answer(page)])
    wacz = tmp_path / "ig.wacz"
    with zipfile.ZipFile(wacz, "w") as z:  # a WACZ keeps its WARCs stored under archive/
        z.write(warc, "archive/data.warc.gz", compress_type=zipfile.ZIP_STORED)
        z.writestr("datapackage.json", "{}")
    for source in (warc, wacz):
        out = tmp_path / f"{source.suffix}.jsonl"
        result = smarchive("extract", "--year", "2019", "--platform", "instagram", "--owner", "@salmahayek",
                           str(source), "--out", str(out))
        # the page sent its post and 24 of its 691 comments (the rest were never in the answer): what was sent
        # is written, and the shortfall against the page's own count is said, with exit 1
        assert result.returncode == 1, result.stderr
        assert "captured 24 of 691 comments" in result.stdout and "667 missing" in result.stdout
        items = lines(out)
        assert [sum(i["item_type"] == t for i in items) for t in ("post", "comment", "reply")] == [1, 24, 0]
        comment = next(i for i in items if i["item_id"] == "17989306549281624")
        assert (comment["author"], comment["text"], comment["parent_id"]) == (
            "maddiemay72", "Wow all stunning women. Great Gene's", items[0]["item_id"])
        assert items[0]["permalink"] == IG_POST and items[0]["author"] == "salmahayek"


def test_real_answer_with_a_renamed_key_warns(tmp_path: Path) -> None:
    page = real_file("ig-html-pages", "html2text__instagram_photo_B4-a94MJ8of.html").read_bytes()
    warc = write_warc(tmp_path / "ig.warc.gz", [ig_answer(page.replace(b'"created_at"', b'"createdAt"'))])
    result = smarchive("extract", "--year", "2019", "--platform", "instagram", "--owner", "salmahayek", str(warc))
    assert "1 items (1 posts, 0 comments, 0 replies)" in result.stdout
    assert f"answer not understood (item-like object not extracted, 24x): {IG_POST} record <urn:uuid:" in result.stdout
    assert "createdAt" in result.stdout


@pytest.mark.parametrize(("args", "words"), [
    (["--platform", "facebook", "--owner", "x", "missing.warc.gz"], "no such file"),
    (["--platform", "facebook", "NOTES"], "--owner"),
    (["--account", "facebook-orebrokommun", "--platform", "facebook", "--owner", "x", "NOTES"], "not both"),
    (["--platform", "tiktok", "--owner", "x", "BAD"], "unknown platform 'tiktok'"),
    (["--platform", "facebook", "--owner", "x", "BAD"], "not a WARC"),
    (["--platform", "facebook", "--owner", "x", "NOTES"], "not a WARC or WACZ by its name"),
    (["--account", "nobody", "--pipeline", "sandbox", "BAD"], "unknown account nobody"),
])
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    (tmp_path / "bad.warc.gz").write_text("this is not a WARC\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")
    paths = {"BAD": str(tmp_path / "bad.warc.gz"), "NOTES": str(tmp_path / "notes.txt"),
             "missing.warc.gz": str(tmp_path / "missing.warc.gz")}
    result = smarchive("extract", "--year", "2024", *[paths.get(a, a) for a in args])
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("smarchive: error:") and words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
