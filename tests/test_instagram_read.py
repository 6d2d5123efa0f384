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


def _crawl_2022() -> list[CapturedResponse]:
    """A 2022 crawl as the issue describes it: profile info, the REST feed (4 posts), a post page with
    __additionalDataLoaded, /info/, comments (2 per post... ) and child comments."""
    posts = [_media(n, comments=4) for n in range(4)]
    answers = [_answer(f"/api/v1/users/{OWNER['pk']}/info/", {"user": {**OWNER, "media_count": 4}}),
               _answer(f"/api/v1/feed/user/{OWNER['pk']}/", {"items": posts[:3], "more_available": True}),
               _answer(f"/p/{posts[3]['code']}/",
                       f"<script>window.__additionalDataLoaded('/p/{posts[3]['code']}/',"
                       f"{json.dumps({'items': [posts[3]]})});</script>", html=True)]
    for n, post in enumerate(posts):
        comments = [_comment(10 * n + k, replies=1) for k in range(2)]
        answers.append(_answer(f"/api/v1/media/{post['pk']}/comments/", {"comments": comments, "comment_count": 4}))
        for k, comment in enumerate(comments):
            answers.append(_answer(f"/api/v1/media/{post['pk']}/comments/{comment['pk']}/child_comments/",
                                   {"child_comments": [_reply(10 * n + k, comment)], "child_comment_count": 1,
                                    "parent_comment": comment}))
    return answers


def test_2021_22_rest_answers_posts_comments_replies() -> None:
    result = InstagramAdapter().extract(_crawl_2022(), ACCOUNT, 2022)
    kinds = [i.item_type for i in result.items]
    assert (kinds.count("post"), kinds.count("comment"), kinds.count("reply")) == (4, 8, 8)
    assert result.notes == []
    reply = next(i for i in result.items if i.item_type == "reply")
    parent = next(i for i in result.items if i.id == reply.parent_id)
    post = next(i for i in result.items if i.id == parent.post_id)
    assert reply.post_id == post.id and parent.parent_id == post.id
    assert reply.author == "person100" and reply.text.startswith("@person0 svar")
    assert reply.published_at == datetime.fromtimestamp(EPOCH + 200, UTC)
    assert reply.permalink == f"{SITE}/p/{post.permalink.split('/')[-2]}/c/{parent.id}/r/{reply.id}/"
    assert post.author_is_account and post.text == "Inlägg 0" and [m.kind for m in post.media] == ["image"]
    reported = {(r.kind, r.post_id, r.comment_id): r.count for r in result.reported}
    assert reported[("posts", "", "")] == 4
    assert reported[("thread", post.id, "")] == 4 and reported[("replies", post.id, parent.id)] == 1
    assert [(o.platform_id, o.handle, o.name) for o in result.owners] == [("1234567", "orebrokommun", "Örebro kommun")]


def test_missing_replies_leave_the_counts_short() -> None:
    """The child_comments answers were never recorded (a broken "Visa svar" button): 0 replies, 8 counted."""
    answers = [a for a in _crawl_2022() if "child_comments" not in a.url]
    result = InstagramAdapter().extract(answers, ACCOUNT, 2022)
    assert sum(i.item_type == "reply" for i in result.items) == 0
    assert sum(r.count for r in result.reported if r.kind == "replies") == 8


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
