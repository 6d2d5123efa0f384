"""The Instagram readers on the 2021-22 and 2023+ answer shapes that ../shared/real-world does not hold
(issue #12: `__additionalDataLoaded`, /api/v1/media/<id>/info/, /comments/, /child_comments/, /api/v1/feed/user/,
and the xdt GraphQL comment connections). The answers below are written here, in the documented shapes, with the
fields the issue names; the 2026 media dicts they share are tested on real answers in test_realworld_instagram.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from smarchive.model import Account
from smarchive.platforms.base import CapturedResponse
from smarchive.platforms.instagram import InstagramAdapter, shortcode_of

SITE = "https://www.instagram.com"
OWNER = {"pk": 1234567, "username": "orebrokommun", "full_name": "Örebro kommun"}
EPOCH = 1_655_000_000  # 2022-06-12


def _user(n: int) -> dict:
    return {"pk": 9000 + n, "username": f"person{n}"}


def _media(n: int, comments: int = 0, **extra: object) -> dict:
    pk = str(2_800_000_000_000_000_000 + n)
    return {"pk": pk, "id": f"{pk}_{OWNER['pk']}", "code": shortcode_of(pk), "taken_at": EPOCH + n * 3600,
            "media_type": 1, "user": OWNER, "comment_count": comments,
            "caption": {"pk": f"1790{n}", "text": f"Inlägg {n}", "created_at": EPOCH + n * 3600, "user": OWNER},
            "image_versions2": {"candidates": [{"url": f"https://scontent.cdninstagram.com/{n}.jpg"}]}, **extra}


def _comment(n: int, replies: int = 0, **extra: object) -> dict:
    return {"pk": str(17_000_000_000_000 + n), "text": f"Kommentar {n}", "created_at": EPOCH + 100 + n,
            "user": _user(n), "child_comment_count": replies, **extra}


def _reply(n: int, parent: dict) -> dict:
    return {"pk": str(18_000_000_000_000 + n), "text": f"@{parent['user']['username']} svar {n}",
            "created_at": EPOCH + 200 + n, "user": _user(100 + n), "parent_comment_id": parent["pk"]}


def _answer(path: str, body: object, request: dict | None = None, html: bool = False) -> CapturedResponse:
    content = body if isinstance(body, str) else json.dumps(body)
    form = f"variables={json.dumps(request)}".encode() if request is not None else b""
    return CapturedResponse(url=SITE + path, status=200, content_type="text/html" if html else "application/json",
                            body=content.encode("utf-8"), warc_file="w.warc.gz", record_id=f"<urn:{path}>", offset=0,
                            method="POST" if form else "GET", request_body=form, date="2022-12-01T10:00:00Z")


ACCOUNT = Account(id="instagram-orebrokommun", platform="instagram", name="Örebro kommun",
                  url=f"{SITE}/orebrokommun/", handle="orebrokommun")


def _legacy_node(media: dict) -> dict:
    """The same post as the profile's `_sharedData` grid node of those years."""
    return {"id": media["pk"], "shortcode": media["code"], "taken_at_timestamp": media["taken_at"],
            "owner": {"id": str(OWNER["pk"]), "username": OWNER["username"]},
            "edge_media_to_caption": {"edges": [{"node": {"text": media["caption"]["text"]}}]},
            "edge_media_to_comment": {"count": media["comment_count"]},
            "display_url": media["image_versions2"]["candidates"][0]["url"]}


def _crawl_2022() -> list[CapturedResponse]:
    """A 2022 crawl shaped as issue #12 tells the Browsertrix one: 16 posts (12 in the profile's `_sharedData`
    grid, 4 more from /api/v1/feed/user/), each post page with `__additionalDataLoaded`, 20 comments from
    /comments/ (comments[]) and 20 replies from /child_comments/ (child_comments[])."""
    counts = [2] * 4 + [1] * 12  # comments per post: 20 in all, one reply each
    posts = [_media(n, comments=2 * counts[n]) for n in range(16)]
    user = {"id": str(OWNER["pk"]), "username": OWNER["username"], "full_name": OWNER["full_name"],
            "edge_owner_to_timeline_media": {"count": 16, "page_info": {"has_next_page": True},
                                             "edges": [{"node": _legacy_node(p)} for p in posts[:12]]}}
    shared = {"entry_data": {"ProfilePage": [{"graphql": {"user": user}}]}}
    answers = [_answer("/orebrokommun/", f"<script>window._sharedData = {json.dumps(shared)};</script>", html=True),
               _answer(f"/api/v1/feed/user/{OWNER['pk']}/", {"items": posts[12:], "more_available": False})]
    number = 0
    for n, post in enumerate(posts):
        answers.append(_answer(f"/p/{post['code']}/", f"<script>window.__additionalDataLoaded('/p/{post['code']}/',"
                                                      f"{json.dumps({'items': [post]})});</script>", html=True))
        comments = [_comment(number + k, replies=1) for k in range(counts[n])]
        number += counts[n]
        answers.append(_answer(f"/api/v1/media/{post['pk']}/comments/",
                               {"comments": comments, "comment_count": post["comment_count"]}))
        for comment in comments:
            answers.append(_answer(f"/api/v1/media/{post['pk']}/comments/{comment['pk']}/child_comments/",
                                   {"child_comments": [_reply(int(comment["pk"][-3:]), comment)],
                                    "child_comment_count": 1, "parent_comment": comment}))
    return answers


def _kinds(items: list) -> tuple[int, int, int]:
    kinds = [i.item_type for i in items]
    return kinds.count("post"), kinds.count("comment"), kinds.count("reply")


def test_2021_22_crawl_16_posts_20_comments_20_replies() -> None:
    answers = _crawl_2022()
    assert _kinds(InstagramAdapter().extract(answers, ACCOUNT, 2022).items) == (16, 20, 20)
    # what the 2019-only reader saw of the same crawl: the 12 posts of the _sharedData grid, no thread
    legacy = [a for a in answers if "window._sharedData" in a.body.decode()]
    assert _kinds(InstagramAdapter().extract(legacy, ACCOUNT, 2022).items) == (12, 0, 0)


def test_2021_22_rest_answers_fields_and_counts() -> None:
    result = InstagramAdapter().extract(_crawl_2022(), ACCOUNT, 2022)
    assert result.notes == []
    reply = next(i for i in result.items if i.item_type == "reply")
    parent = next(i for i in result.items if i.id == reply.parent_id)
    post = next(i for i in result.items if i.id == parent.post_id)
    assert reply.post_id == post.id and parent.parent_id == post.id
    assert reply.author == "person100" and reply.text == "@person0 svar 0"
    assert reply.published_at == datetime.fromtimestamp(EPOCH + 200, UTC) and reply.time_precision == "second"
    assert reply.permalink == f"{SITE}/p/{post.permalink.split('/')[-2]}/c/{parent.id}/r/{reply.id}/"
    assert post.author_is_account and post.text == "Inlägg 0" and [m.kind for m in post.media] == ["image"]
    reported = {(r.kind, r.post_id, r.comment_id): r.count for r in result.reported}
    assert reported[("posts", "", "")] == 16
    assert reported[("thread", post.id, "")] == 4 and reported[("replies", post.id, parent.id)] == 1
    assert sum(count for (kind, *_), count in reported.items() if kind == "thread") == 40  # 20 comments + 20 replies
    assert [(o.platform_id, o.handle, o.name) for o in result.owners] == [("1234567", "orebrokommun", "Örebro kommun")]


def test_missing_replies_leave_the_counts_short() -> None:
    """The child_comments answers were never recorded (a broken "Visa svar" button): 0 replies, 8 counted."""
    answers = [a for a in _crawl_2022() if "child_comments" not in a.url]
    result = InstagramAdapter().extract(answers, ACCOUNT, 2022)
    assert sum(i.item_type == "reply" for i in result.items) == 0
    assert sum(r.count for r in result.reported if r.kind == "replies") == 20


def test_rest_answer_of_an_unknown_shape_is_a_note() -> None:
    answers = _crawl_2022()
    renamed = _answer(f"/api/v1/media/{_media(0)['pk']}/comments/", {"comment_list": [], "status": "ok"})
    result = InstagramAdapter().extract([*answers[:3], renamed], ACCOUNT, 2022)
    assert any("gave none" in n and "/comments/" in n and "comment_list" in n for n in result.notes)


def test_2023_xdt_graphql_comments_and_replies() -> None:
    post = _media(1, comments=3)
    comment = _comment(1, replies=1)
    answers = [
        _answer("/graphql/query", {"data": {"xdt_api__v1__feed__user_timeline_graphql_connection": {
            "edges": [{"node": post}], "page_info": {"has_next_page": False}}}}, request={"username": "orebrokommun"}),
        _answer("/graphql/query", {"data": {"xdt_api__v1__media__media_id__comments__connection": {
            "edges": [{"node": comment}, {"node": _comment(2)}]}}}, request={"media_id": post["pk"]}),
        _answer("/graphql/query", {"data": {
            "xdt_api__v1__media__media_id__comments__parent_comment_id__child_comments__connection": {
                "edges": [{"node": _reply(1, comment)}]}}},
            request={"media_id": post["pk"], "parent_comment_id": comment["pk"]}),
    ]
    result = InstagramAdapter().extract(answers, ACCOUNT, 2022)
    assert sorted(i.item_type for i in result.items) == ["comment", "comment", "post", "reply"]
    reply = next(i for i in result.items if i.item_type == "reply")
    assert (reply.parent_id, reply.post_id) == (comment["pk"], post["pk"])
    assert result.notes == []


def test_xdt_comments_without_their_post_are_warned_about() -> None:
    """A comment connection whose post cannot be told (no media_id anywhere) is named, not dropped silently."""
    answer = _answer("/graphql/query", {"data": {"xdt_api__v1__media__media_id__comments__connection": {
        "edges": [{"node": _comment(1)}]}}})
    result = InstagramAdapter().extract([answer], ACCOUNT, 2022)
    assert any("not read" in n and "xdt_api__v1__media__media_id__comments__connection" in n for n in result.notes)
