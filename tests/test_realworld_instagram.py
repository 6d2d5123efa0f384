"""The Instagram extractor on real saved pages (../shared/real-world/ig-html-pages): 2019-era post pages
with `window._sharedData`, and a 2023 profile fetched without JavaScript (an app shell, no data).

The same code the adapter runs on a WARC reads them; the samples are read in place, never copied."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smarchive.model import Account
from smarchive.platforms.base import CapturedResponse
from smarchive.platforms.instagram import InstagramAdapter, media_id_of, read_response

SAMPLES = Path(__file__).resolve().parents[1] / ".." / "shared" / "real-world" / "ig-html-pages"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="real-world samples not present")


def _response(name: str, url: str) -> CapturedResponse:
    return CapturedResponse(url=url, status=200, content_type="text/html; charset=utf-8",
                            body=(SAMPLES / name).read_bytes(), warc_file=name, record_id="<urn:sample>", offset=0)


def _account(handle: str, name: str) -> Account:
    return Account(id=f"instagram-{handle}", platform="instagram", name=name, url=f"https://www.instagram.com/{handle}/",
                   handle=handle)


def _shortcode_media(name: str) -> dict:
    """The sample's own JSON, read independently of the adapter, to compare counts with."""
    text = (SAMPLES / name).read_text(encoding="utf-8")
    start = text.index("{", text.index("window._sharedData"))
    data = json.JSONDecoder().raw_decode(text, start)[0]
    return data["entry_data"]["PostPage"][0]["graphql"]["shortcode_media"]


def _comment_ids(media: dict) -> tuple[set[str], set[str]]:
    comments, replies = set(), set()
    for key in ("edge_media_to_parent_comment", "edge_media_preview_comment", "edge_media_to_hoisted_comment"):
        for edge in media.get(key, {}).get("edges", []):
            comments.add(edge["node"]["id"])
            replies |= {r["node"]["id"] for r in edge["node"].get("edge_threaded_comments", {}).get("edges", [])}
    return comments, replies


POSTS = [
    # file, url, owner, post year, first words of the caption, media kinds
    ("html2text__instagram_photo_B4-a94MJ8of.html", "https://www.instagram.com/p/B4-a94MJ8of/", "salmahayek",
     2019, "I was so moved when I saw this picture with my mother", ["image"]),
    ("html2text__instagram_video_B4u_r6VJwsN.html", "https://www.instagram.com/p/B4u_r6VJwsN/", "salmahayek",
     2019, "I saw this powerful video and I wanted to share it with you for Veterans Day", ["image", "video"]),
    ("metascraper__instagram_post_BWUDBntl3_Z.html", "https://www.instagram.com/p/BWUDBntl3_Z/", "teslamotors",
     2017, "The first Model 3 production car", ["image"]),
]


@pytest.mark.parametrize(("name", "url", "owner", "year", "caption", "kinds"), POSTS)
def test_shared_data_post_pages(name: str, url: str, owner: str, year: int, caption: str, kinds: list[str]) -> None:
    media = _shortcode_media(name)
    items = InstagramAdapter().extract([_response(name, url)], _account(owner, owner), year).items
    posts = [i for i in items if i.item_type == "post"]
    assert len(posts) == 1
    post = posts[0]
    assert post.id == media["id"] == media_id_of(media["shortcode"])
    assert post.text.startswith(caption) and post.text == media["edge_media_to_caption"]["edges"][0]["node"]["text"]
    assert post.author == owner and post.author_is_account
    assert post.published_at == datetime.fromtimestamp(media["taken_at_timestamp"], UTC)
    assert post.permalink == url
    assert [m.kind for m in post.media] == kinds and all(m.url.startswith("https://") for m in post.media)
    # the comments present in the page (the rest, up to the page's stated count, were never sent)
    comment_ids, reply_ids = _comment_ids(media)
    comments = [i for i in items if i.item_type == "comment"]
    replies = [i for i in items if i.item_type == "reply"]
    assert {c.id for c in comments} == comment_ids and {r.id for r in replies} == reply_ids
    assert media["edge_media_to_parent_comment"]["count"] > len(comments)
    assert all(c.parent_id == post.id and c.post_id == post.id and c.text for c in comments)
    assert all(r.parent_id in comment_ids and r.post_id == post.id for r in replies)
    assert all(c.permalink.startswith(url + "c/") for c in comments + replies)


def test_comment_counts_and_fields_in_the_samples() -> None:
    photo = InstagramAdapter().extract([_response(*POSTS[0][:2])], _account("salmahayek", "Salma Hayek"), 2019).items
    # 24 parent comments sent with the page (of 691); the 2 preview comments are among them
    assert sum(i.item_type == "comment" for i in photo) == 24
    assert {"17861023621592431", "18013189300254878"} <= {i.id for i in photo}
    first = next(i for i in photo if i.id == "17989306549281624")
    assert (first.author, first.text) == ("maddiemay72", "Wow all stunning women. Great Gene's")
    assert not first.author_is_account
    assert first.published_at == datetime.fromtimestamp(1574039885, UTC)
    tesla = InstagramAdapter().extract([_response(*POSTS[2][:2])], _account("teslamotors", "Tesla"), 2017).items
    assert sum(i.item_type == "reply" for i in tesla) == 4  # threaded replies shipped with the page
    # comments written in 2018 on a 2017 post stay in 2017 with their post (the year rule)
    assert any(i.item_type == "comment" and i.published_at.year == 2018 for i in tesla)
    assert InstagramAdapter().extract([_response(*POSTS[2][:2])], _account("teslamotors", "Tesla"), 2018).items == []


def test_other_accounts_posts_are_not_taken() -> None:
    account = _account("orebrokommun", "Örebro kommun")
    items = InstagramAdapter().extract([_response(*POSTS[0][:2])], account, 2019).items
    assert items == []
    assert len(read_response(_response(*POSTS[0][:2]))) > 1  # read, then left out as another account's


def test_app_shell_profile_has_no_posts_and_says_so() -> None:
    name = "datahtml__instagram_profile_plan.nacionalfiat11.html"
    adapter = InstagramAdapter()
    response = _response(name, "https://www.instagram.com/plan.nacionalfiat11/")
    assert read_response(response) == []
    assert adapter.extract([response], _account("plan.nacionalfiat11", "Plan Nacional Fiat"), 2023).items == []
    assert adapter.notes and "no Instagram posts" in adapter.notes[0] and "without JavaScript" in adapter.notes[0]
