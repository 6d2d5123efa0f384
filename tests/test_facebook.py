"""The Facebook adapter against the sandbox, end to end with real Chromium, and extract's robustness.

Direct captures (a logged-in context, recorded from Playwright's responses) test the adapter's
behaviour; one run of the real CLI over both Facebook accounts tests recall through the recording
proxy, the WARC, extract and the manifest, and replays a post from the WARC in pywb.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from smarchive.archive.warc import SNAPSHOT_SCHEME, iter_records
from smarchive.capture.account import NO_MEDIA_SOURCE, AccountSession, RetryBudget
from smarchive.errors import CaptureError, LoginWall
from smarchive.model import Account
from smarchive.pipeline import SANDBOX_CREDENTIALS
from smarchive.platforms.base import CapturedResponse
from smarchive.platforms.facebook import BEHAVIOUR, FacebookAdapter
from smarchive.sandbox import facebook as sandbox_facebook
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.server import SandboxServer
from smarchive.sandbox.truth import truth

from conftest import pywb_replay, register_toml, run_capture, write_pipeline

CONFIG = SandboxConfig(posts_per_year=6, comments_per_post=5)
ACCOUNT = Account(id="facebook-orebrokommun", platform="facebook", name="Örebro kommun",
                  url="sandbox:/facebook/orebrokommun", handle="orebrokommun")
SIGNS = Account(id="facebook-orebrokommunteckensprak", platform="facebook", name="Örebro kommun – Teckenspråk",
                url="sandbox:/facebook/orebrokommunteckensprak", handle="orebrokommunteckensprak")


class RecordingContext(AccountSession):
    """The real CaptureContext (goto and throttled with a retry budget), keeping every response body
    as the WARC would, and noting snapshots instead of writing them."""

    def __init__(self, context: BrowserContext, account_url: str, year: int, account: Account = ACCOUNT,
                 budget: RetryBudget | None = None) -> None:
        self.messages: list[str] = []
        super().__init__(account, account_url, year, context, Path("/nonexistent"), self.messages.append, budget)
        self.responses: list[CapturedResponse] = []
        self.snapshots: list[str] = []  # type: ignore[assignment]
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
        # "Visa mer" was clicked: the snapshot shows whole texts
        assert page.get_by_role("button", name="Visa mer").count() == 0
        self.snapshots.append(item_id)  # type: ignore[arg-type]


def own_truth(world, year: int, account: Account = ACCOUNT) -> list[dict]:  # type: ignore[no-untyped-def]
    return [row for row in truth(world, year, "facebook") if row["account"] == account.handle]


def logged_in_context(browser: Browser, base_url: str) -> BrowserContext:
    """What `smarchive login facebook` leaves: consent given, session cookie set; MediaSource off."""
    context = browser.new_context()
    context.add_init_script(NO_MEDIA_SOURCE)
    page = context.new_page()
    FacebookAdapter().login(page, base_url + "/facebook/orebrokommun", *SANDBOX_CREDENTIALS)
    page.close()
    return context


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(CONFIG) as running:
        yield running


@pytest.fixture(scope="module")
def captured(server: SandboxServer, browser: Browser) -> Iterator[RecordingContext]:
    context = logged_in_context(browser, server.base_url)
    try:
        ctx = RecordingContext(context, server.base_url + "/facebook/orebrokommun", 2024)
        FacebookAdapter().capture(ctx)
        yield ctx
    finally:
        context.close()


def test_capture_then_extract_finds_every_item_of_the_year(server: SandboxServer, captured: RecordingContext) -> None:
    expected = {row["id"]: row for row in own_truth(server.world, 2024)}
    items = FacebookAdapter().extract(captured.responses, ACCOUNT, 2024).items
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
    ids = {item.id for item in FacebookAdapter().extract(captured.responses, ACCOUNT, 2024).items}
    for other in (2023, 2025):
        assert ids.isdisjoint(row["id"] for row in truth(server.world, other))
    rows = own_truth(server.world, 2024)
    assert any(r["item_type"] == "post" and r["published_at"].startswith("2023-12-31") for r in rows)
    assert any(r["item_type"] != "post" and r["published_at"].startswith("2025-01") for r in rows)
    assert {r["id"] for r in rows} <= ids


def test_one_snapshot_per_post_and_media_recorded(server: SandboxServer, captured: RecordingContext) -> None:
    rows = own_truth(server.world, 2024)
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
    assert len(FacebookAdapter().extract(without, ACCOUNT, 2024).items) < len(own_truth(server.world, 2024))


def test_extract_is_idempotent_over_repeated_responses(captured: RecordingContext) -> None:
    once = FacebookAdapter().extract(captured.responses, ACCOUNT, 2024).items
    twice = FacebookAdapter().extract(captured.responses + captured.responses, ACCOUNT, 2024).items
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
    items = FacebookAdapter().extract(garbage, ACCOUNT, 2024).items
    assert [(i.id, i.text, i.permalink) for i in items] == [
        ("42", "Hej", "http://127.0.0.1:9/facebook/orebrokommun/posts/42")
    ]
    assert [m.url for m in items[0].media] == ["http://127.0.0.1:9/facebook/media/a.png"]
    assert FacebookAdapter().extract(garbage, ACCOUNT, 2023).items == []


# --- the hard parts, one by one


def test_throttled_requests_were_waited_out(captured: RecordingContext) -> None:
    """The sandbox answers 429 (Retry-After: 1) to every 7th distinct page or API call."""
    assert any("HTTP 429" in m for m in captured.messages), captured.messages
    assert captured.budget.attempts >= 1 and captured.budget.spent >= 1


def test_pinned_older_post_neither_stops_nor_joins_the_year(server: SandboxServer,
                                                            captured: RecordingContext) -> None:
    first_page = next(r for r in captured.responses if urlsplit(r.url).path == "/facebook/orebrokommun"
                      and r.status == 200)
    start = first_page.body.index(b'id="initial-data"')
    blob = first_page.body[first_page.body.index(b">", start) + 1:first_page.body.index(b"</script>", start)]
    first = json.loads(blob)["data"]["node"]["timeline_feed_units"]["edges"][0]["node"]
    assert first["is_pinned"] and first["creation_time"] < 1704063600  # pinned, from 2023
    ids = {i.id for i in FacebookAdapter().extract(captured.responses, ACCOUNT, 2024).items}
    assert first["post_id"] not in ids
    assert any("6 posts of 2024 found" in m for m in captured.messages)
    posts = [("p", 100, "", True), ("a", 300, "", False), ("b", 200, "", False)]
    assert not FacebookAdapter._reached_older(posts, 150)  # the pinned one is older: keep scrolling
    assert not FacebookAdapter._reached_older([("p", 100, "", False), *posts[1:]], 150)  # out of order
    assert FacebookAdapter._reached_older([*posts, ("c", 120, "", False)], 150)


def test_logged_out_capture_fails_clearly(server: SandboxServer, browser: Browser) -> None:
    context = browser.new_context()
    try:
        ctx = RecordingContext(context, server.base_url + "/facebook/orebrokommun", 2024)
        with pytest.raises(LoginWall, match="not logged in.*smarchive login facebook"):
            FacebookAdapter().capture(ctx)
    finally:
        context.close()


def test_wrong_password_is_refused(server: SandboxServer, browser: Browser) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        with pytest.raises(CaptureError, match="refused the login.*Fel e-postadress eller lösenord"):
            FacebookAdapter().login(page, server.base_url + "/facebook/orebrokommun", SANDBOX_CREDENTIALS[0], "fel")
        assert not [c for c in context.cookies() if c["name"] == sandbox_facebook.SESSION_COOKIE]
    finally:
        context.close()


def _always_429(route) -> None:  # type: ignore[no-untyped-def]
    route.fulfill(status=429, body="Too Many Requests", headers={"Retry-After": "1"})


@pytest.mark.parametrize("pattern", ["**/facebook/orebrokommun", "**/api/graphql/"])
def test_gives_up_when_throttled_beyond_the_budget(server: SandboxServer, browser: Browser, pattern: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BEHAVIOUR, "scroll_wait_ms", 1_200)
    context = logged_in_context(browser, server.base_url)
    context.route(pattern, _always_429)
    budget = RetryBudget(total=2, sleep=lambda seconds: None)
    try:
        ctx = RecordingContext(context, server.base_url + "/facebook/orebrokommun", 2023, budget=budget)
        with pytest.raises(CaptureError, match="gave up after 3 attempts"):
            FacebookAdapter().capture(ctx)
    finally:
        context.close()


# --- the real pipeline over both accounts: recording proxy -> WARC -> extract -> manifest; pywb replay

ACCOUNTS_TOML = register_toml(ACCOUNT, SIGNS)


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory) -> Iterator[tuple[Path, dict]]:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("facebook-pipeline")
    settings = {"seed": 1748, "posts_per_year": 4, "comments_per_post": 4}
    pipeline = write_pipeline(folder, settings, ACCOUNTS_TOML)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SMARCHIVE_STATE_DIR", str(folder / "state"))  # no stored login: the sandbox logs in
        result = run_capture(folder / "archive", pipeline, 2024)
    assert result.returncode == 0, f"capture failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    yield folder / "archive", settings


def _manifest(archive: Path) -> dict[str, dict]:
    from smarchive.archive.query import connect

    con = connect(archive)
    try:
        rows = con.sql("SELECT * FROM items WHERE platform = 'facebook'").to_arrow_table().to_pylist()
    finally:
        con.close()
    return {r["item_id"]: r for r in rows}


def test_pipeline_recall_is_complete_for_both_accounts(pipeline_run) -> None:  # type: ignore[no-untyped-def]
    archive, settings = pipeline_run
    world = build_world(SandboxConfig(**settings))
    expected = {r["id"]: r for r in truth(world, 2024, "facebook")}
    got = _manifest(archive)
    for account in (ACCOUNT, SIGNS):
        want = {k for k, r in expected.items() if r["account"] == account.handle}
        have = {k for k, r in got.items() if r["account"] == account.id}
        print(f"{account.id}: {len(have & want)}/{len(want)} items of 2024, {len(have - want)} extra")
        assert have == want and {expected[k]["item_type"] for k in want} == {"post", "comment", "reply"}
    for item_id, row in expected.items():
        mine = got[item_id]
        assert (mine["item_type"], mine["parent_id"], mine["post_id"], mine["author"], mine["author_is_account"]) == (
            row["item_type"], row["parent_id"], row["post_id"], row["author"], row["author_is_account"])
        assert mine["text"] == row["text"]  # untruncated: "Visa mer" texts come whole from the JSON
        assert mine["published_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == row["published_at"]
        assert sorted(mine["media_sha256"]) == sorted(m["sha256"] for m in row["media"]), item_id
    assert any(len(r["text"]) > 400 for r in expected.values())


def test_pipeline_stores_whole_videos(pipeline_run) -> None:  # type: ignore[no-untyped-def]
    from smarchive.archive.store import LocalStorage

    archive, settings = pipeline_run
    world = build_world(SandboxConfig(**settings))
    videos = {m.sha256: m for m in world.media.values() if m.content_type == "video/mp4"}
    stored = [m for row in _manifest(archive).values() for m in row["media"] if m["kind"] == "video"]
    assert len(stored) == 4  # one per sign-language post of 2024
    for media in stored:
        assert media["content_type"] == "video/mp4" and media["sha256"] in videos
        assert LocalStorage(archive).get(media["sha256"]) == videos[media["sha256"]].data


def test_pipeline_permalink_replays_with_its_comments(pipeline_run) -> None:  # type: ignore[no-untyped-def]
    from smarchive.archive.replay import page_url

    archive, _ = pipeline_run
    rows = _manifest(archive).values()
    counts = Counter(r["post_id"] for r in rows if r["item_type"] == "comment")
    post = max((r for r in rows if r["item_type"] == "post"), key=lambda r: counts[r["item_id"]])
    comments = [r for r in rows if r["post_id"] == post["item_id"] and r["item_type"] == "comment"]
    assert len(comments) > sandbox_facebook.FIRST_COMMENTS
    url = page_url(post["replay_target"])  # the post page as recorded (the permalink is `sandbox:/…`)
    with pytest.raises(OSError):  # the sandbox is gone: what follows comes from the WARC only
        urllib.request.urlopen(url, timeout=5)
    warcs = sorted((archive / "warc").rglob("*.warc.gz"))
    with pywb_replay(warcs) as pywb:
        with urllib.request.urlopen(f"{pywb}/2id_/{url}", timeout=30) as response:
            page = response.read().decode("utf-8")
    # the first comments are in the page's own JSON; the rest came by XHR POST, kept in the snapshot
    in_page = [c for c in comments if json.dumps(c["text"], ensure_ascii=False)[1:-1] in page]
    assert len(in_page) >= sandbox_facebook.FIRST_COMMENTS
    snapshot = next(body for warc in warcs for _, headers, body in iter_records(warc)
                    if headers.get("WARC-Target-URI") == SNAPSHOT_SCHEME + url)
    import html as html_module

    text = html_module.unescape(snapshot.decode("utf-8"))
    assert all(c["text"] in text for c in comments)
