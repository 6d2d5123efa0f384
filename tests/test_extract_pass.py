"""The extract stage reads an account's WARC once: items, the platform's counts, media and answer checks."""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest

from smarchive.archive.s3store import open_storage
from smarchive.extract.coverage import coverage
from smarchive.extract.reader import extract_items, read_account, store_media, unreadable_answers
from smarchive.model import Account
from smarchive.platforms.facebook import FacebookAdapter
from warcs import Answer, demo_facebook_answers, real_file, write_warc

ORE = Account(id="facebook-orebrokommun", platform="facebook", name="Örebro kommun", url="", handle="orebrokommun")


def count_opens(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[str]:
    """Every opening of `path` from now on (by anything: warcio, the reader, the storage)."""
    opened: list[str] = []
    real_open = builtins.open

    def counting_open(file, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if str(file) == str(path):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    return opened


def test_one_pass_gives_what_three_passes_gave(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = Answer("https://sandbox.example/facebook/api/graphql/", b'{"data": {"node": {"id"', "application/json",
                    method="POST", request_body=b"doc_id=cut")
    warc = write_warc(tmp_path / "demo.warc.gz", [*demo_facebook_answers(), broken])
    storage = open_storage(None, tmp_path / "archive")
    before = extract_items(FacebookAdapter(), warc, ORE, 2024, "demo.warc.gz")
    media_before, missing_before = store_media(before.items, warc, storage, ORE, "2024-06-02T00:00:00+00:00")

    opened = count_opens(monkeypatch, warc)
    read = read_account(FacebookAdapter(), warc, ORE, 2024, "demo.warc.gz", storage, "2024-06-02T00:00:00+00:00")
    assert len(opened) == 1  # one open, one pass; media read at their offsets from the same file
    assert [(i.id, i.item_type, i.parent_id) for i in read.extraction.items] == [
        (i.id, i.item_type, i.parent_id) for i in before.items]
    assert [i.item_type for i in read.extraction.items] == ["post", "comment", "comment", "reply", "reply"]
    assert {url: vars(m) for url, m in read.media.items()} == {url: vars(m) for url, m in media_before.items()}
    assert list(read.media) == ["https://sandbox.example/facebook/media/p.png"] and not missing_before
    monkeypatch.undo()
    assert read.warnings == unreadable_answers(warc) and len(read.warnings) == 1
    assert "POST https://sandbox.example/facebook/api/graphql/" in read.warnings[0]


def test_platform_counts_of_the_demo_answers(tmp_path: Path) -> None:
    storage = open_storage(None, tmp_path / "archive")
    whole = write_warc(tmp_path / "whole.warc.gz", demo_facebook_answers())
    read = read_account(FacebookAdapter(), whole, ORE, 2024, "whole.warc.gz", storage, "2024-06-02T00:00:00+00:00")
    assert not coverage(read.extraction, ORE.id, "facebook", 2024, 0.0).incomplete
    short = write_warc(tmp_path / "short.warc.gz", demo_facebook_answers(replies_shown=0))
    read = read_account(FacebookAdapter(), short, ORE, 2024, "short.warc.gz", storage, "2024-06-02T00:00:00+00:00")
    covered = coverage(read.extraction, ORE.id, "facebook", 2024, 0.0)
    assert covered.incomplete and covered.short_posts() == ["9001"]
    assert covered.worst() == ["https://sandbox.example/facebook/orebrokommun/posts/9001: 2 missing"]


def test_one_pass_over_a_real_recorded_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = real_file("fb-mobile-facebook-scraper", "extracted", "m_Nintendo_posts_page_feed_loggedout.html")
    warc = write_warc(tmp_path / "m.warc.gz", [Answer("https://m.facebook.com/Nintendo/posts/", page.read_bytes())])
    nintendo = Account(id="facebook-nintendo", platform="facebook", name="Nintendo", url="", handle="Nintendo")
    opened = count_opens(monkeypatch, warc)
    read = read_account(FacebookAdapter(), warc, nintendo, 2021, "m.warc.gz", open_storage(None, tmp_path),
                        "2021-06-10T12:00:00+00:00")
    assert len(opened) == 1
    assert [(i.id, i.item_type) for i in read.extraction.items] == [("4193752747375813", "post"),
                                                                    ("4194934713924283", "post")]
    assert read.extraction.items[0].source.record_id.startswith("<urn:uuid:")
