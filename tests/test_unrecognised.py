"""Answers the adapter did not understand are flagged with their URL, WARC record id and shape."""

from __future__ import annotations

import json
from pathlib import Path

from smarchive.archive.s3store import open_storage
from smarchive.extract.coverage import coverage
from smarchive.extract.elsewhere import extract_files
from smarchive.extract.reader import read_account
from smarchive.extract.unrecognised import looks_like_item, shape
from smarchive.model import Account
from smarchive.platforms.facebook import FacebookAdapter
from smarchive.platforms.instagram import InstagramAdapter
from warcs import DEMO, Answer, demo_facebook_answers, real_file, write_warc

ORE = Account(id="facebook-orebrokommun", platform="facebook", name="Örebro kommun", url="", handle="orebrokommun")


def read(tmp_path: Path, answers: list[Answer], account: Account = ORE, year: int = 2024, adapter=None):  # noqa: ANN001, ANN201
    warc = write_warc(tmp_path / "t.warc.gz", answers)
    return read_account(adapter or FacebookAdapter(), warc, account, year, "t.warc.gz",
                        open_storage(None, tmp_path / "archive"), "2024-06-02T00:00:00+00:00")


def test_answers_read_completely_raise_nothing(tmp_path: Path) -> None:
    found = read(tmp_path, demo_facebook_answers())
    assert found.unrecognised == [] and found.warnings == []


def test_a_renamed_key_is_flagged_and_shows_as_a_shortfall(tmp_path: Path) -> None:
    answers = demo_facebook_answers()
    replies = answers[2]
    replies.body = replies.body.replace(b'"created_time"', b'"createdAt"')  # the platform renamed a key
    found = read(tmp_path, answers)
    assert [i.item_type for i in found.extraction.items] == ["post", "comment", "comment"]
    rows = [r for r in found.unrecognised if r["problem"] == "item-like object not extracted"]
    assert len(rows) == 2  # the two replies of that answer
    record_id = next(r for r in found.unrecognised).get("warc_record_id")
    assert all(r["url"] == f"{DEMO}/facebook/api/graphql/" and r["warc_record_id"] == record_id for r in rows)
    assert "createdAt" in rows[0]["shape"] and "body.text" in rows[0]["shape"]
    assert rows[0]["shape"].startswith("data.node.feedback.replies_connection.edges[].node: ")
    assert any(record_id in w and "createdAt" in w for w in found.warnings)
    covered = coverage(found.extraction, ORE.id, "facebook", 2024, tolerance=0.02)
    assert covered.incomplete and covered.short_posts() == ["9001"]


def test_an_answer_of_an_item_url_without_items_is_flagged(tmp_path: Path) -> None:
    empty = Answer(f"{DEMO}/facebook/api/graphql/", json.dumps({"data": {"node": {"feed_v2": {"edges": []}}}}).encode(),
                   "application/json", method="POST")
    found = read(tmp_path, [*demo_facebook_answers(), empty])
    assert [(r["problem"], r["shape"]) for r in found.unrecognised] == [
        ("answer of an item URL gave no item", "data.node")]
    assert len(found.warnings) == 1 and "gave no item" in found.warnings[0]


def test_items_of_other_years_are_not_flagged(tmp_path: Path) -> None:
    found = read(tmp_path, demo_facebook_answers(), year=2023)
    assert found.extraction.items == [] and found.unrecognised == []


def test_item_likeness_and_shape() -> None:
    assert looks_like_item({"pk": 1, "text": "hej", "user": {"username": "a"}, "created_at": 1})
    assert not looks_like_item({"id": "1", "name": "Örebro kommun", "url": "https://x"})
    assert shape({"id": 1, "user": {"username": "a", "pk": 2}, "tags": []}) == "id, user.username, user.pk, tags[]"


def test_a_real_answer_with_a_renamed_key_is_flagged(tmp_path: Path) -> None:
    """A real 2019 Instagram post page whose comments' `created_at` is renamed: 24 comments not read, each named."""
    page = real_file("ig-html-pages", "html2text__instagram_photo_B4-a94MJ8of.html").read_bytes()
    account = Account(id="instagram-salmahayek", platform="instagram", name="Salma Hayek", url="",
                      handle="salmahayek")
    url = "https://www.instagram.com/p/B4-a94MJ8of/"
    whole = read(tmp_path, [Answer(url, page)], account, 2019, InstagramAdapter())
    assert sum(i.item_type == "comment" for i in whole.extraction.items) == 24 and whole.unrecognised == []

    renamed = read(tmp_path, [Answer(url, page.replace(b'"created_at"', b'"created_time"'))], account, 2019,
                   InstagramAdapter())
    assert [i.item_type for i in renamed.extraction.items] == ["post"]
    assert len(renamed.unrecognised) == 24
    assert {r["url"] for r in renamed.unrecognised} == {url}
    assert all("created_time" in r["shape"] and "owner.username" in r["shape"] for r in renamed.unrecognised)
    assert any("24x" in w and url in w for w in renamed.warnings)


def test_one_answer_not_understood_gives_exactly_one_warning(tmp_path: Path) -> None:
    """facebook.toml alone says which answers carry items; an answer not understood is warned about once, by
    the adapter or by the extract stage's check, never by both (`smarchive extract` and a run alike)."""
    renamed = demo_facebook_answers()
    renamed[2].body = renamed[2].body.replace(b'"created_time"', b'"createdAt"')
    empty = json.dumps({"data": {"node": {"feed_v2": {"edges": []}}}}).encode()
    query = Answer(f"{DEMO}/facebook/api/graphql/", empty, "application/json", method="POST",
                   request_body=b"doc_id=CommentsListComponentsPaginationQuery&variables=%7B%7D")
    permalink = Answer(f"{DEMO}/facebook/orebrokommun/posts/9002", b"<html><title>Inget</title><p>tomt</p></html>")
    for case, answers in (("renamed key", renamed), ("empty comment list", [*demo_facebook_answers(), query]),
                          ("empty permalink page", [*demo_facebook_answers(), permalink])):
        warc = write_warc(tmp_path / f"{case}.warc.gz", answers)
        found = extract_files(FacebookAdapter(), [warc], ORE, 2024, tolerance=0.02)
        assert len(found.warnings) == 1, (case, found.warnings)
        flagged = {row["warc_record_id"] for row in found.unrecognised}
        assert len(flagged) <= 1 and all(record_id in found.warnings[0] for record_id in flagged), case
        assert "/posts/9002" in found.warnings[0] if case == "empty permalink page" else flagged, case


def test_an_empty_answer_of_a_query_that_carries_no_items_is_not_flagged(tmp_path: Path) -> None:
    """Facebook's GraphQL answers share one URL: facebook.toml's query names tell the item-carrying ones."""
    other = Answer(f"{DEMO}/facebook/api/graphql/", json.dumps({"data": {"viewer": {"badge_count": 0}}}).encode(),
                   "application/json", method="POST", request_body=b"doc_id=CometNotificationsBadgeCountQuery")
    found = extract_files(FacebookAdapter(), [write_warc(tmp_path / "t.warc.gz", [*demo_facebook_answers(), other])],
                          ORE, 2024, tolerance=0.02)
    assert found.unrecognised == [] and found.warnings == []
