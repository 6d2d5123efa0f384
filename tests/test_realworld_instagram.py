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
from smarchive.platforms.instagram_read import read_answer

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


# ------------------------------------------------------------------------------------------------ 2026 GraphQL

GRAPHQL = Path(__file__).resolve().parents[1] / ".." / "shared" / "real-world" / "ig-graphql-2026-creatorscan"
RECORDED = "2026-02-26T16:11:41Z"  # when the HAR was recorded (SOURCES.md)
needs_graphql = pytest.mark.skipif(not GRAPHQL.is_dir(), reason="real-world GraphQL answers not present")


def _graphql_warc(tmp_path: Path, files: dict[str, bytes], friendly: str = "PolarisFeedTimelineRootV2Query") -> Path:
    """A WARC as a crawler records the web app: POST /graphql/query (form variables) and its JSON answer, per
    file; read back by the same reader the pipeline uses."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "recorded.warc.gz"
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for body in files.values():
            url = "https://www.instagram.com/graphql/query"
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/javascript; charset=utf-8")],
                                    protocol="HTTP/1.1")
            response = writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http,
                                                 warc_headers_dict={"WARC-Date": RECORDED})
            form = f"fb_api_req_friendly_name={friendly}&variables=%7B%7D".encode()
            request = writer.create_warc_record(
                url, "request", payload=BytesIO(form), warc_headers_dict={"WARC-Date": RECORDED},
                http_headers=StatusAndHeaders("POST /graphql/query HTTP/1.1", [("Host", "www.instagram.com")],
                                              is_http_request=True))
            request.rec_headers.replace_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
            writer.write_record(response)
            writer.write_record(request)
    return path


def _extract(warc: Path, account: Account, year: int):  # noqa: ANN202 (an Extraction)
    from smarchive.extract.reader import extract_items

    return extract_items(InstagramAdapter(), warc, account, year, warc.name)


def _graphql_response(name: str, body: bytes | None = None) -> CapturedResponse:
    return CapturedResponse(url="https://www.instagram.com/graphql/query", status=200,
                            content_type="text/javascript; charset=utf-8",
                            body=body if body is not None else (GRAPHQL / name).read_bytes(), warc_file=name,
                            record_id="<urn:sample>", offset=0, method="POST", date=RECORDED)


FEED = [  # SOURCES.md hand count: 3 posts + 1 ad unit, 0 comments, 0 replies
    # pk, code, user id, username, taken_at, comment_count, media kinds, caption start
    ("3841140344453184270", "DVOeMrDjbsO", "52762453", "mlb", 1772119633, 53, ["image"], "#OpeningDay is almost here"),
    ("3839790657171476128", "DVJrUI0kc6g", "64737469319", "danaxnajib", 1771958851, 91, ["image", "video"],
     "entry 02. slow and intentional"),
    ("3831662270083082678", "DUszIibkam21RMP_knrZFf6ZhYhdBfIFYAjvWg0", "1916510320", "superealme", 1770989758, 5,
     ["image", "image"], "🎀"),
]


@needs_graphql
def test_feed_timeline_hand_count_three_posts_no_ad() -> None:
    found = read_response(_graphql_response("feed-timeline-root-v2.json"))
    assert [(f.item_type, f.id, f.code) for f in found] == [("post", pk, code) for pk, code, *_ in FEED]
    assert sum(f.item_type == "comment" for f in found) == 0 and sum(f.item_type == "reply" for f in found) == 0


@needs_graphql
@pytest.mark.parametrize(("pk", "code", "user_id", "username", "taken_at", "comments", "kinds", "caption"), FEED)
def test_feed_timeline_posts_through_a_warc(tmp_path: Path, pk: str, code: str, user_id: str, username: str,
                                            taken_at: int, comments: int, kinds: list[str], caption: str) -> None:
    warc = _graphql_warc(tmp_path, {"feed": (GRAPHQL / "feed-timeline-root-v2.json").read_bytes()})
    result = _extract(warc, _account(username, username), 2026)
    assert [(i.item_type, i.id) for i in result.items] == [("post", pk)]
    post = result.items[0]
    assert post.author == username and post.author_is_account and post.text.startswith(caption)
    assert post.published_at == datetime.fromtimestamp(taken_at, UTC) and post.time_precision == "second"
    assert post.permalink == f"https://www.instagram.com/p/{code}/" and post.parent_id is None
    assert [m.kind for m in post.media] == kinds and all("cdninstagram.com" in m.url for m in post.media)
    assert post.source.record_id.startswith("<urn:uuid:")
    # the platform's own count, for coverage: none of those comments were recorded, so all are short
    assert [(r.kind, r.count, r.post_id) for r in result.reported] == [("thread", comments, pk)]
    assert [(o.platform_id, o.handle) for o in result.owners] == [(user_id, username)]
    assert result.notes == []


@needs_graphql
def test_account_known_by_user_id_only_or_by_its_profile_url(tmp_path: Path) -> None:
    """No handle in the register: the user id decides; without either, the handle of the profile URL resolves
    the id from the answers. The display name never decides."""
    warc = _graphql_warc(tmp_path, {"feed": (GRAPHQL / "feed-timeline-root-v2.json").read_bytes()})
    by_id = Account(id="instagram-x", platform="instagram", name="Någon helt annan", url="https://www.instagram.com/",
                    platform_id="52762453")
    assert [i.id for i in _extract(warc, by_id, 2026).items] == ["3841140344453184270"]
    by_url = Account(id="instagram-x", platform="instagram", name="Någon helt annan",
                     url="https://www.instagram.com/superealme/")
    result = _extract(warc, by_url, 2026)
    assert [i.id for i in result.items] == ["3831662270083082678"]
    assert [o.platform_id for o in result.owners] == ["1916510320"]
    by_name = Account(id="instagram-x", platform="instagram", name="MLB ⚾", url="https://www.instagram.com/")
    assert _extract(warc, by_name, 2026).items == []


SEARCH = [  # SOURCES.md examples: #1, #2, #24 of the 24 posts
    (0, "3451154726618512282", "C_k9vBZAbua", "miki.faerie", 40,
     "makeup recommendations for those who want a LONG-LASTING gla"),
    (1, "3680140052379020024", "DMSe-EhvSr4", "minnacosmetics.hn", 433, "Mocha mousse makeup ☕️"),
    (23, "3827311546243100792", "DUdV5LGkjB4", "riyaulann", 39, ""),
]


@needs_graphql
def test_keyword_search_hand_count_24_posts_without_times() -> None:
    reading = read_answer(_graphql_response("keyword-search-makeup.json"))
    posts = [f for f in reading.found if f.item_type == "post"]
    assert len(posts) == 24 and len(reading.found) == 24  # 0 comments, 0 replies
    counts = {r.post_id: r.count for r in reading.reported if r.kind == "thread"}
    for index, pk, code, username, comments, caption in SEARCH:
        assert (posts[index].id, posts[index].code, posts[index].author["username"]) == (pk, code, username)
        assert posts[index].text.startswith(caption) and posts[index].epoch is None
        assert counts[pk] == comments


@needs_graphql
def test_search_posts_without_a_time_are_named_not_dropped_silently() -> None:
    adapter = InstagramAdapter()
    result = adapter.extract([_graphql_response("keyword-search-makeup.json")],
                             _account("miki.faerie", "miki"), 2026)
    assert result.items == []  # no time: cannot be placed in a year
    assert any("without a time" in n and "https://www.instagram.com/p/C_k9vBZAbua/" in n for n in result.notes)


@needs_graphql
def test_renamed_key_in_a_real_answer_is_warned_about(tmp_path: Path) -> None:
    """The platform renames `code` of one post: the post is not read, and the run says which answer and where."""
    data = json.loads((GRAPHQL / "feed-timeline-root-v2.json").read_bytes())
    media = data["data"]["xdt_api__v1__feed__timeline__connection"]["edges"][0]["node"]["media"]
    media["shortcode_v2"] = media.pop("code")
    warc = _graphql_warc(tmp_path, {"feed": json.dumps(data).encode()})
    result = _extract(warc, _account("mlb", "MLB"), 2026)
    assert result.items == []
    note = next(n for n in result.notes if "not read" in n)
    assert "$.data.xdt_api__v1__feed__timeline__connection.edges[].node.media" in note
    assert "https://www.instagram.com/graphql/query" in note and "<urn:uuid:" in note and "shortcode_v2" in note


def test_renamed_comment_time_in_a_real_page_shows_a_shortfall() -> None:
    """2019 page: `created_at` of every comment renamed. The 691 comments the page reports stay reported, none is
    extracted (was 24), and the objects not read are named."""
    name, url = POSTS[0][:2]
    text = (SAMPLES / name).read_text(encoding="utf-8").replace('"created_at":', '"created_time":')
    response = CapturedResponse(url=url, status=200, content_type="text/html; charset=utf-8",
                                body=text.encode("utf-8"), warc_file=name, record_id="<urn:sample>", offset=0)
    result = InstagramAdapter().extract([response], _account("salmahayek", "Salma Hayek"), 2019)
    post_id = media_id_of("B4-a94MJ8of")
    assert [i.item_type for i in result.items] == ["post"]
    comments = next(r for r in result.reported if r.kind == "comments" and r.post_id == post_id)
    assert comments.count == 691 > sum(i.item_type == "comment" for i in result.items) == 0
    assert any("not read" in n and "edge_media_to_parent_comment" in n and "created_time" in n for n in result.notes)


def test_counts_reported_by_the_2019_pages() -> None:
    name, url = POSTS[0][:2]
    result = InstagramAdapter().extract([_response(name, url)], _account("salmahayek", "Salma Hayek"), 2019)
    post_id = media_id_of("B4-a94MJ8of")
    assert ("comments", 691, post_id) in [(r.kind, r.count, r.post_id) for r in result.reported]
    assert [o.handle for o in result.owners] == ["salmahayek"] and result.owners[0].platform_id


@needs_graphql
def test_account_that_cannot_be_told_says_what_to_add_to_the_register() -> None:
    nameless = Account(id="instagram-okand", platform="instagram", name="MLB ⚾", url="https://www.instagram.com/")
    result = InstagramAdapter().extract([_graphql_response("feed-timeline-root-v2.json")], nameless, 2026)
    assert result.items == [] and any("instagram-okand" in n and "platform_id" in n for n in result.notes)
