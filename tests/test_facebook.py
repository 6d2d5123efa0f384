"""The Facebook adapter against the sandbox, end to end with real Chromium, and extract's robustness."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from smarchive.browser import launch_options
from smarchive.errors import CaptureError
from smarchive.model import Account
from smarchive.platforms.base import CapturedResponse
from smarchive.platforms.facebook import BEHAVIOUR, FacebookAdapter
from smarchive.sandbox import facebook as sandbox_facebook
from smarchive.sandbox.content import SandboxConfig
from smarchive.sandbox.server import SandboxServer
from smarchive.sandbox.truth import truth

CONFIG = SandboxConfig(posts_per_year=6, comments_per_post=5)
ACCOUNT = Account(id="facebook-orebrokommun", platform="facebook", name="Örebro kommun",
                  url="sandbox:/facebook/orebrokommun", handle="orebrokommun")


class RecordingContext:
    """A CaptureContext that keeps every response body, as the WARC would."""

    def __init__(self, context: BrowserContext, account_url: str, year: int) -> None:
        self.account = ACCOUNT
        self.year = year
        self.context = context
        self.account_url = account_url
        self.responses: list[CapturedResponse] = []
        self.snapshots: list[str] = []
        self.messages: list[str] = []
        self.warnings: list[str] = []
        context.on("response", self._record)

    def _record(self, response) -> None:  # type: ignore[no-untyped-def]
        try:
            body = response.body()
        except Exception:  # redirects and 304s have no body
            return
        request = response.request
        self.responses.append(CapturedResponse(
            url=response.url, status=response.status, content_type=response.headers.get("content-type", ""),
            body=body, warc_file="test", record_id=f"<urn:test:{len(self.responses)}>",
            offset=len(self.responses), method=request.method,
            request_body=(request.post_data or "").encode("utf-8"),
        ))

    def snapshot(self, page: Page, item_id: str) -> None:
        assert page.locator(f'[data-post-id="{item_id}"]').count() == 1
        self.snapshots.append(item_id)

    def progress(self, message: str) -> None:
        self.messages.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(CONFIG) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(**launch_options())
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def captured(server: SandboxServer, browser: Browser) -> Iterator[RecordingContext]:
    context = browser.new_context()
    try:
        ctx = RecordingContext(context, server.base_url + "/facebook/orebrokommun", 2024)
        FacebookAdapter().capture(ctx)
        yield ctx
    finally:
        context.close()


def test_capture_then_extract_finds_every_item_of_the_year(server: SandboxServer, captured: RecordingContext) -> None:
    expected = {row["id"]: row for row in truth(server.world, 2024, "facebook")}
    items = FacebookAdapter().extract(captured.responses, ACCOUNT, 2024)
    got = {item.id: item for item in items}
    assert len(items) == len(got), "duplicates in extract output"
    assert set(got) == set(expected)
    for item_id, row in expected.items():
        item = got[item_id]
        assert item.parent_id == row["parent_id"]
        assert item.post_id == row["post_id"]
        assert item.item_type == row["item_type"]
        assert item.text == row["text"]
        assert item.author == row["author"]
        assert item.author_is_account == row["author_is_account"]
        assert item.published_at.strftime("%Y-%m-%dT%H:%M:%SZ") == row["published_at"]
        assert item.published_at.utcoffset().total_seconds() == 0
        assert item.account == ACCOUNT.id and item.platform == "facebook"
        assert item.permalink == server.base_url + row["permalink"]
        assert [urlsplit(m.url).path for m in item.media] == [m["path"] for m in row["media"]]
        assert item.source.warc_file == "test" and item.source.offset >= 0 and item.source.url


def test_nothing_from_other_years_and_boundaries_kept(server: SandboxServer, captured: RecordingContext) -> None:
    ids = {item.id for item in FacebookAdapter().extract(captured.responses, ACCOUNT, 2024)}
    for other in (2023, 2025):
        assert ids.isdisjoint(row["id"] for row in truth(server.world, other))
    rows = truth(server.world, 2024)
    assert any(r["item_type"] == "post" and r["published_at"].startswith("2023-12-31") for r in rows)
    assert any(r["item_type"] != "post" and r["published_at"].startswith("2025-01") for r in rows)
    assert {r["id"] for r in rows} <= ids


def test_one_snapshot_per_post_and_media_recorded(server: SandboxServer, captured: RecordingContext) -> None:
    rows = truth(server.world, 2024)
    posts = [r["id"] for r in rows if r["item_type"] == "post"]
    assert sorted(captured.snapshots) == sorted(posts)
    assert captured.warnings == []
    recorded = {urlsplit(r.url).path: hashlib.sha256(r.body).hexdigest() for r in captured.responses}
    for row in rows:
        for media in row["media"]:
            assert recorded.get(media["path"]) == media["sha256"]


def test_threads_were_expanded_through_the_api(server: SandboxServer, captured: RecordingContext) -> None:
    docs = Counter(parse_qs(r.request_body.decode()).get("doc_id", [""])[0] for r in captured.responses
                   if r.method == "POST" and "/api/graphql/" in r.url)
    assert docs[sandbox_facebook.DOC_TIMELINE] >= 3
    assert docs[sandbox_facebook.DOC_COMMENTS] >= 1 and docs[sandbox_facebook.DOC_REPLIES] >= 1
    # without the expansion answers the year would be incomplete: the clicks are what made recall 100%
    without = [r for r in captured.responses
               if b"CommentsList" not in r.request_body and b"Depth1" not in r.request_body]
    assert len(FacebookAdapter().extract(without, ACCOUNT, 2024)) < len(truth(server.world, 2024))


def test_extract_is_idempotent_over_repeated_responses(captured: RecordingContext) -> None:
    once = FacebookAdapter().extract(captured.responses, ACCOUNT, 2024)
    twice = FacebookAdapter().extract(captured.responses + captured.responses, ACCOUNT, 2024)
    assert [i.id for i in once] == [i.id for i in twice]


def test_capture_of_missing_page_raises(server: SandboxServer, browser: Browser) -> None:
    context = browser.new_context()
    try:
        ctx = RecordingContext(context, server.base_url + "/facebook/finnsinte", 2024)
        with pytest.raises(CaptureError):
            FacebookAdapter().capture(ctx)
    finally:
        context.close()


def test_unpassable_consent_wall_raises(server: SandboxServer, browser: Browser) -> None:
    context = browser.new_context()
    wall = ('<!doctype html><div role="dialog" aria-modal="true"><p>Logga in för att fortsätta</p>'
            '<button>Logga in</button></div>')
    context.route("**/facebook/orebrokommun", lambda route: route.fulfill(body=wall, content_type="text/html"))
    try:
        ctx = RecordingContext(context, server.base_url + "/facebook/orebrokommun", 2024)
        with pytest.raises(CaptureError, match="cookie dialog"):
            FacebookAdapter().capture(ctx)
    finally:
        context.close()


def test_timeline_that_stops_loading_raises(server: SandboxServer, browser: Browser,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BEHAVIOUR, "scroll_wait_ms", 300)
    context = browser.new_context()
    context.route("**/api/graphql/", lambda route: route.abort())
    try:
        ctx = RecordingContext(context, server.base_url + "/facebook/orebrokommun", 2023)
        with pytest.raises(CaptureError, match="stopped loading"):
            FacebookAdapter().capture(ctx)
    finally:
        context.close()


def _response(body: bytes, content_type: str = "application/json") -> CapturedResponse:
    url = "http://127.0.0.1:9/x"
    return CapturedResponse(url=url, status=200, content_type=content_type, body=body, warc_file="w",
                            record_id="<urn:x>", offset=0)


def test_extract_skips_garbage() -> None:
    story = {"__typename": "Story", "post_id": "42", "creation_time": 1718000000,
             "url": "/facebook/orebrokommun/posts/42",
             "message": {"text": "Hej"}, "actors": [{"__typename": "Page", "id": "7", "name": "Örebro kommun",
                                                     "url": "/facebook/orebrokommun"}],
             "attachments": [{"media": {"image": {"uri": "/facebook/media/a.png"}}}, {"media": None}, "x"]}
    garbage = [
        _response(b"\xff\xfe\x00garbage"),
        _response(b"{not json"),
        _response(b"[" * 100_000 + b"]" * 100_000),
        _response(json.dumps({"__typename": "Story", "post_id": ["x"], "creation_time": "abc"}).encode()),
        _response(json.dumps({"__typename": "Story", "post_id": "1", "creation_time": 1e300, "actors": []}).encode()),
        _response(json.dumps({"__typename": "Comment", "legacy_fbid": "9", "created_time": True}).encode()),
        _response(json.dumps({"__typename": "Comment", "legacy_fbid": "9", "created_time": 1718000000,
                              "parent_feedback": "oops", "author": 3}).encode()),
        _response(b"<html><script type='application/json'>{broken</script></html>", "text/html"),
        _response(b"<html><script type='application/json'></script>", "text/html"),
        _response(b"\x89PNG\r\n", "image/png"),
        _response(b""),
        _response(b"null"),
        _response(b'"just a string"'),
        _response(("for (;;);" + json.dumps({"data": {"node": story}})).encode()),
    ]
    items = FacebookAdapter().extract(garbage, ACCOUNT, 2024)
    assert [(i.id, i.text, i.permalink) for i in items] == [
        ("42", "Hej", "http://127.0.0.1:9/facebook/orebrokommun/posts/42")
    ]
    assert [m.url for m in items[0].media] == ["http://127.0.0.1:9/facebook/media/a.png"]
    assert FacebookAdapter().extract(garbage, ACCOUNT, 2023) == []
