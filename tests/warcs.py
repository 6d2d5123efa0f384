"""Build small WARCs in tests from answers (real recorded bodies or demo ones), as another crawler would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from smarchive.archive.warc import WarcAssembler

REAL_WORLD = Path(__file__).resolve().parents[1] / ".." / "shared" / "real-world"


@dataclass
class Answer:
    url: str
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    method: str = "GET"
    request_body: bytes = b""
    date: str = "2021-06-10T12:00:00Z"


def write_warc(path: Path, answers: list[Answer]) -> Path:
    """A gzipped WARC with a response and its request record per answer (request after response, as pywb and
    smarchive's proxy write them)."""
    warc = WarcAssembler(path)
    for answer in answers:
        head = (f"HTTP/1.1 {answer.status} OK\r\nContent-Type: {answer.content_type}\r\n"
                f"Content-Length: {len(answer.body)}\r\n\r\n").encode()
        response = warc.write("response", answer.url, "application/http; msgtype=response", head + answer.body,
                              date=answer.date)
        request = f"{answer.method} {answer.url} HTTP/1.1\r\nHost: example\r\n\r\n".encode() + answer.request_body
        warc.write("request", answer.url, "application/http; msgtype=request", request,
                   extra=[("WARC-Concurrent-To", response.record_id)], date=answer.date)
    return warc.close()


def real_file(*parts: str) -> Path:
    """A file of ../shared/real-world; the test skips when the folder is absent."""
    import pytest

    path = REAL_WORLD.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real-world sample {path} not available")
    return path


PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360"
                    "000002000154a24f5d0000000049454e44ae426082")
DEMO = "https://sandbox.example"
DEMO_PAGE = {"__typename": "Page", "id": "100064545367913", "name": "Örebro kommun",
             "url": f"{DEMO}/facebook/orebrokommun"}


def demo_comment(comment_id: str, post_id: str, epoch: int, replies: int = 0, parent: str = "") -> dict:
    """A comment (or reply, with `parent`) as the sandbox's Facebook GraphQL answers show it."""
    return {"__typename": "Comment", "legacy_fbid": comment_id, "depth": 1 if parent else 0, "created_time": epoch,
            "url": f"{DEMO}/facebook/orebrokommun/posts/{post_id}?comment_id={comment_id}",
            "body": {"text": f"kommentar {comment_id}"},
            "author": {"__typename": "User", "id": f"u{comment_id}", "name": f"Person {comment_id}"},
            "parent_feedback": {"share_fbid": post_id},
            "comment_parent": {"legacy_fbid": parent} if parent else None,
            "feedback": {"replies_fields": {"total_count": replies}}}


def demo_facebook_answers(replies_shown: int = 2) -> list[Answer]:
    """One demo post of 2024 (a photo, 2 comments; the first says it has 2 replies) and its photo, as the sandbox
    serves them; `replies_shown` of the 2 replies are in the recorded answers."""
    post_epoch = 1_717_236_000  # 2024-06-01
    story = {"__typename": "Story", "post_id": "9001", "creation_time": post_epoch,
             "url": f"{DEMO}/facebook/orebrokommun/posts/9001", "message": {"text": "Välkommen till parken!"},
             "actors": [DEMO_PAGE],
             "attachments": [{"media": {"__typename": "Photo", "image": {"uri": f"{DEMO}/facebook/media/p.png"}}}],
             "feedback": {"comment_count": {"total_count": 2}, "display_comments": {"edges": [
                 {"node": demo_comment("9101", "9001", post_epoch + 60, replies=2)},
                 {"node": demo_comment("9102", "9001", post_epoch + 120)}]}}}
    timeline = {"data": {"node": {**DEMO_PAGE, "username": "orebrokommun",
                                  "timeline_feed_units": {"edges": [{"node": story}]}}}}
    replies = {"data": {"node": {**demo_comment("9101", "9001", post_epoch + 60, replies=2), "feedback": {
        "replies_fields": {"total_count": 2}, "replies_connection": {"edges": [
            {"node": demo_comment(f"920{n}", "9001", post_epoch + 300 + n, parent="9101")}
            for n in range(replies_shown)]}}}}}
    graphql = f"{DEMO}/facebook/api/graphql/"
    return [Answer(graphql, json.dumps(timeline).encode(), "application/json", method="POST",
                   request_body=b"doc_id=timeline"),
            Answer(f"{DEMO}/facebook/media/p.png", PNG, "image/png"),
            Answer(graphql, json.dumps(replies).encode(), "application/json", method="POST",
                   request_body=b"doc_id=replies")]
