"""Podcasts: feeds, tracked and signed enclosures, recall against the sandbox's truth, offline replay."""

from __future__ import annotations

import gzip
import hashlib
import html
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from smarchive.archive.query import connect
from smarchive.archive.store import LocalStorage
from smarchive.archive.warc import iter_records, iter_responses
from smarchive.errors import CaptureError
from smarchive.model import Account
from smarchive.platforms.base import CapturedResponse
from smarchive.platforms.podcast import PodcastAdapter, parse_feed, resolve_media
from smarchive.sandbox import podcast as sandbox_podcast
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.server import SandboxServer
from smarchive.sandbox.truth import truth
from smarchive.sandbox.web import Request

from conftest import pywb_replay, register_toml, run_capture, write_pipeline

SETTINGS = {"seed": 1748, "posts_per_year": 4, "comments_per_post": 4, "throttle_every": 5}
SHOWS = ("vardagshjaltarna", "tonarstiden-teckensprak")  # an audio feed with two feed pages, a video feed
ACCOUNTS = register_toml(*(Account(id=f"podcast-{slug}", platform="podcast", name=slug,
                                   url=f"sandbox:/podcast/{slug}.rss", handle=slug) for slug in SHOWS))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("podcast")
    pipeline = write_pipeline(folder, SETTINGS, ACCOUNTS)
    result = run_capture(folder / "archive", pipeline, 2024)
    assert result.returncode == 0, f"capture failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    return folder / "archive", result


@pytest.fixture(scope="module")
def expected() -> dict[str, dict]:
    world = build_world(SandboxConfig(**SETTINGS))
    return {t["id"]: t for t in truth(world, 2024, "podcast") if t["account"] in SHOWS}


@pytest.fixture(scope="module")
def rows(run) -> dict[str, dict]:
    con = connect(run[0])
    found = con.sql("SELECT * FROM items WHERE platform = 'podcast'").to_arrow_table().to_pylist()
    con.close()
    return {r["item_id"]: r for r in found}


def test_every_episode_of_the_year_and_nothing_else(expected, rows) -> None:
    assert set(rows) == set(expected)
    published = [t["published_at"] for t in expected.values()]
    assert any(p.startswith("2023-12-31") for p in published), "the New Year episode (UTC still 2023) is 2024's"
    for item_id, want in expected.items():
        got = rows[item_id]
        assert got["item_type"] == "post" and got["parent_id"] is None and got["post_id"] == item_id
        assert got["text"] == want["text"]
        assert got["author"] == want["author"] and got["author_is_account"] is True
        assert got["published_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == want["published_at"]
        assert urlsplit(got["permalink"]).path == want["permalink"]
        assert got["year"] == 2024
        extra = dict(got["extra"])  # the feed's own metadata travels in the manifest
        assert want["text"].startswith(extra["title"])
        assert extra["enclosure_type"] in ("audio/mpeg", "video/mp4") and int(extra["enclosure_length"]) > 0
        assert extra["duration"]


def test_audio_video_and_artwork_byte_identical(run, expected, rows) -> None:
    storage = LocalStorage(run[0])
    kinds = set()
    for item_id, want in expected.items():
        got = rows[item_id]
        assert sorted(got["media_sha256"]) == sorted(m["sha256"] for m in want["media"]), item_id
        for media in got["media"]:
            assert hashlib.sha256(storage.get(media["sha256"])).hexdigest() == media["sha256"]
            kinds.add((media["kind"], media["content_type"]))
            if media["kind"] != "image":  # kept from the signed URL the tracking redirects led to
                assert "sig=" in media["url"] and "exp=" in media["url"]
    assert kinds == {("audio", "audio/mpeg"), ("video", "video/mp4"), ("image", "image/png")}


def test_throttling_survived_without_warnings(run) -> None:
    archive, result = run
    assert "HTTP 429" in result.stderr
    statuses = [r.status for w in (archive / "warc").rglob("*.warc.gz") for r in iter_responses(w)]
    assert 429 in statuses
    con = connect(archive)
    warnings = con.sql("SELECT warnings FROM runs").to_arrow_table().to_pylist()[0]["warnings"]
    con.close()
    assert warnings == []


def test_snapshots_of_show_page_and_every_episode(run, rows) -> None:
    for row in rows.values():
        assert row["snapshot_record_id"] and row["screenshot_record_id"]
    uris = {h.get("WARC-Target-URI", "") for w in (run[0] / "warc").rglob("*.warc.gz") for _, h, _ in iter_records(w)}
    for slug in SHOWS:
        assert any(u.startswith("urn:smarchive:snapshot:") and u.endswith(f"/podcast/{slug}/") for u in uris)


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def test_feed_and_audio_replay_offline_in_pywb(run, rows) -> None:
    archive, _ = run
    row = next(r for r in rows.values() if any(m["kind"] == "audio" for m in r["media"]))
    with pytest.raises(OSError):  # the sandbox that served the capture is gone
        fetch(row["source_url"])
    with pywb_replay(sorted((archive / "warc").rglob("*.warc.gz"))) as base:
        feed = fetch(f"{base}/2id_/{row['source_url']}").decode("utf-8")
        title = row["text"].split("\n\n")[0]
        assert f"<title>{html.escape(title, quote=False)}</title>" in feed
        audio = next(m for m in row["media"] if m["kind"] == "audio")
        data = fetch(f"{base}/2id_/{audio['url']}")
        assert hashlib.sha256(data).hexdigest() == audio["sha256"]
        assert data.startswith(b"ID3")


# ------------------------------------------------------------------------ the sandbox itself


def _feed_text(world, slug: str) -> str:
    text, page = "", 1
    while True:
        response = sandbox_podcast.handle(world, Request("GET", f"/podcast/{slug}.rss", {"page": [str(page)]},
                                                         {"host": "127.0.0.1:1"}))
        if response.status != 200:
            return text
        text += gzip.decompress(response.body).decode() if response.body[:2] == b"\x1f\x8b" else response.body.decode()
        page += 1


def test_edition_1_edits_and_deletes_one_episode_per_year() -> None:
    config = SandboxConfig(seed=1748, posts_per_year=6, throttle_every=0)
    before, after = build_world(config), build_world(SandboxConfig(**{**vars(config), "edition": 1}))
    for year in config.years:
        old = {t["id"]: t for t in truth(before, year, "podcast")}
        new = {t["id"]: t for t in truth(after, year, "podcast")}
        deleted, added = set(old) - set(new), set(new) - set(old)
        edited = [i for i in new if i in old and new[i] != old[i]]
        assert len(deleted) == 1 and not added and len(edited) == 1, year
        assert new[edited[0]]["text"] != old[edited[0]]["text"]
        assert new[edited[0]]["published_at"] == old[edited[0]]["published_at"]
        feed = _feed_text(after, new[edited[0]]["account"])
        assert new[edited[0]]["text"].split("\n\n")[0] in feed and deleted.pop() not in feed


def test_same_config_same_bytes_and_paused_show() -> None:
    one, two = build_world(SandboxConfig(posts_per_year=6)), build_world(SandboxConfig(posts_per_year=6))
    pods = {k: m.sha256 for k, m in one.media.items() if m.platform == "podcast"}
    assert pods == {k: m.sha256 for k, m in two.media.items() if m.platform == "podcast"}
    assert truth(one, 2024, "podcast") == truth(two, 2024, "podcast")
    paused = [p for p in one.posts("podcast", "chefspodden")]
    assert paused and max(p.published_at for p in paused) < sandbox_podcast.PAUSED_AFTER
    assert not [t for t in truth(one, 2025, "podcast") if t["account"] == "chefspodden"]


# ------------------------------------------------------------------------ the adapter, without the pipeline


class Context:
    """A CaptureContext without the recording proxy: responses kept from the browser's events."""

    def __init__(self, context: BrowserContext, url: str, year: int, handle: str = "chefspodden") -> None:
        self.account = Account(id=f"podcast-{handle}", platform="podcast", name=handle, url=url, handle=handle)
        self.context, self.account_url, self.year = context, url, year
        self.responses: list[CapturedResponse] = []
        self.snapshots: list[str] = []
        self.warnings: list[str] = []
        self.waits: list[str] = []
        context.on("response", self._record)

    def _record(self, response) -> None:  # type: ignore[no-untyped-def]
        try:
            body = response.body()
        except Exception:  # redirects: the body link stands in for the header
            body = f'<a href="{response.headers.get("location", "")}">Found</a>'.encode()
        self.responses.append(CapturedResponse(response.url, response.status, response.headers.get("content-type", ""),
                                               body, "test", f"<urn:test:{len(self.responses)}>", 0))

    def goto(self, page: Page, url: str, wait_until: str = "load"):  # type: ignore[no-untyped-def]
        for _ in range(5):
            response = page.goto(url, wait_until=wait_until)
            if response is None or response.status not in (429, 503):
                return response
            time.sleep(1)
        return response

    def throttled(self, what: str, retry_after: str | None) -> None:
        self.waits.append(what)
        time.sleep(float(retry_after or 1))

    def already_captured(self, item_id: str) -> bool:
        return False

    def snapshot(self, page: Page, item_id: str) -> None:
        self.snapshots.append(item_id)

    def progress(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        self.warnings.append(message)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(posts_per_year=6, comments_per_post=4, throttle_every=0)) as running:
        yield running


def _capture(browser: Browser, url: str, year: int, route: tuple | None = None) -> Context:
    context = browser.new_context()
    try:
        if route:
            context.route(*route)
        ctx = Context(context, url, year)
        PodcastAdapter().capture(ctx)
        return ctx
    finally:
        context.close()


def test_paused_show_from_its_show_page(server: SandboxServer, browser: Browser) -> None:
    """The show page is configured instead of the feed: the feed is found by its alternate link."""
    for year in (2024, 2025):
        ctx = _capture(browser, server.base_url + "/podcast/chefspodden/", year)
        want = [t for t in truth(server.world, year, "podcast") if t["account"] == "chefspodden"]
        extraction = PodcastAdapter().extract(ctx.responses, ctx.account, year)
        items = extraction.items
        assert [i.id for i in items] == [t["id"] for t in want] and ctx.warnings == []
        assert [o.platform_id for o in extraction.owners] == [sandbox_podcast.show_guid("chefspodden")]
        assert [(r.kind, r.count) for r in extraction.reported] == [("posts", len(want))] and not extraction.notes
        assert [i.text for i in items] == [t["text"] for t in want]
        assert set(ctx.snapshots) == {"show:chefspodden", *(t["id"] for t in want)}
    assert want == []  # paused: nothing in 2025, and no error for it


def test_enclosure_length_mismatch_is_a_warning(server: SandboxServer, browser: Browser) -> None:
    def short(route) -> None:  # type: ignore[no-untyped-def]
        route.fulfill(status=200, content_type="audio/mpeg", body=b"ID3" + bytes(100))

    # A route sees only the first request of a redirect chain: the tracking URL answers with short bytes.
    ctx = _capture(browser, server.base_url + "/podcast/chefspodden.rss", 2024, ("**/podcast/stats/**", short))
    assert any("enclosure length in the feed is" in w and "103 bytes were received" in w
               for w in ctx.warnings), ctx.warnings


def test_throttled_enclosure_fetch_is_retried(server: SandboxServer, browser: Browser) -> None:
    answered: list[str] = []

    def once(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.resource_type == "fetch" and not answered:  # the capture's own fetch, not the player's
            answered.append(route.request.url)
            route.fulfill(status=429, headers={"Retry-After": "1"}, body="Too Many Requests")
        else:
            route.continue_()

    ctx = _capture(browser, server.base_url + "/podcast/chefspodden.rss", 2024, ("**/podcast/stats/**", once))
    assert answered and len(ctx.waits) == 1 and "enclosure" in ctx.waits[0] and ctx.warnings == []
    items = PodcastAdapter().extract(ctx.responses, ctx.account, 2024).items
    want = [t for t in truth(server.world, 2024, "podcast") if t["account"] == "chefspodden"]
    assert [urlsplit(m.url).path for m in items[0].media] == [m["path"] for m in want[0]["media"]]


@pytest.mark.parametrize("path, message", [("/podcast/finnsinte.rss", "HTTP 404"),
                                           ("/podcast/", "HTTP 404"),
                                           ("/web/sociala-medier", "not an RSS feed")])
def test_not_a_feed_fails_cleanly(server: SandboxServer, browser: Browser, path: str, message: str) -> None:
    with pytest.raises(CaptureError, match=message):
        _capture(browser, server.base_url + path, 2024)


# ------------------------------------------------------------------------ extract, on feeds as hosts write them

QUIRKY = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Kommunpodden &amp; co</title><link>https://example.org/podd</link>
<itunes:author>Exempels kommun</itunes:author>
<item><title>HTML i beskrivningen</title>
  <description><![CDATA[<p>F\xc3\xb6rsta stycket &amp; mer.</p><p>Andra<br>raden</p>]]></description>
  <guid isPermaLink="true">https://example.org/podd/1</guid><pubDate>Sun, 31 Dec 2023 23:30:00 GMT</pubDate>
  <enclosure url="https://track.example/r/media.example/1.mp3" length="0" type="audio/mpeg"/></item>
<item><title>Utan guid, ISO-datum</title><itunes:summary>Sammanfattning</itunes:summary>
  <pubDate>2024-06-01T10:00:00+02:00</pubDate>
  <enclosure url="/2.m4a" type="audio/mp4"/><itunes:image href="/2.jpg"/></item>
<item><title>Utan datum</title><guid>x3</guid></item>
<item><title>F\xc3\xb6rra \xc3\xa5ret</title><guid>x4</guid><pubDate>Sun, 31 Dec 2023 22:30:00 +0000</pubDate></item>
</channel></rss>"""


def _response(url: str, body: bytes, status: int = 200, content_type: str = "application/rss+xml") -> CapturedResponse:
    return CapturedResponse(url, status, content_type, body, "w", "<urn:x>", 0)


def test_extract_reads_feeds_as_hosts_write_them() -> None:
    account = Account(id="podcast-x", platform="podcast", name="x", url="https://example.org/feed")
    responses = [
        _response("https://example.org/feed", QUIRKY),
        _response("https://track.example/r/media.example/1.mp3", b"", 302, "text/html"),  # no link: unresolved
        _response("https://example.org/2.m4a", b"", 302, "text/html"),
        _response("https://example.org/2.m4a", b'Found. Redirecting to https://cdn.example/2.m4a?sig=a', 302),
        _response("https://cdn.example/2.m4a?sig=a", b"\x00" * 10, 200, "audio/mp4"),
        _response("https://example.org/garbage", b"<rss><channel><item>\xff\xfe", 200, "text/xml"),
        _response("https://example.org/png", b"\x89PNG<rss", 200, "image/png"),
    ]
    items = PodcastAdapter().extract(responses, account, 2024).items
    assert [(i.id, i.text) for i in items] == [
        ("https://example.org/podd/1", "HTML i beskrivningen\n\nFörsta stycket & mer.\n\nAndra\nraden"),
        ("https://example.org/2.m4a", "Utan guid, ISO-datum\n\nSammanfattning"),
    ]
    assert items[0].published_at == datetime(2023, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 Jan in Stockholm
    assert items[0].author == "Exempels kommun" and items[0].permalink == ""
    assert [(m.url, m.kind) for m in items[0].media] == [("https://track.example/r/media.example/1.mp3", "audio")]
    assert [(m.url, m.kind) for m in items[1].media] == [("https://cdn.example/2.m4a?sig=a", "audio"),
                                                         ("https://example.org/2.jpg", "image")]
    assert [i.id for i in PodcastAdapter().extract(responses, account, 2023).items] == ["x4"]


def test_resolve_prefers_the_complete_recording() -> None:
    class WithHeaders(CapturedResponse):
        headers: list[tuple[str, str]] = []

    hop = WithHeaders("https://a/1", 302, "", b"", "w", "<urn:x>", 0)
    hop.headers = [("Location", "https://b/1?try=2")]
    by_url = {
        "https://a/1": [_response("https://a/1", b'<a href="https://b/1?try=1">x</a>', 302), hop],
        "https://b/1?try=1": [_response("https://b/1?try=1", b"12345", 200, "audio/mpeg")],
        "https://b/1?try=2": [_response("https://b/1?try=2", b"1234567", 200, "audio/mpeg")],
    }
    assert resolve_media("https://a/1", by_url, 5) == "https://b/1?try=1"
    assert resolve_media("https://a/1", by_url, None) == "https://b/1?try=2"
    assert parse_feed(b"<html>no</html>", "https://a/") is None


def test_real_world_podcast_samples_when_present() -> None:
    folder = Path(__file__).resolve().parents[1].parent / "shared" / "real-world"
    feeds = sorted(folder.glob("podcast*/**/*.xml")) + sorted(folder.glob("podcast*/**/*.rss"))
    if not feeds:
        pytest.skip("no podcast feeds among the real-world samples")
    for path in feeds:
        feed = parse_feed(path.read_bytes(), "https://example.org/feed")
        assert feed is not None and feed.episodes, path
