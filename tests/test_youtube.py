"""The YouTube adapter against the sandbox: real Chromium directly, then the real pipeline and pywb replay."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from smarchive.errors import CaptureError
from smarchive.model import Account
from smarchive.platforms.base import CapturedResponse
from smarchive.platforms.youtube import CommentInfo, YouTubeAdapter, comment_time, read_comments, read_player
from smarchive.sandbox import youtube as sandbox_youtube
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.server import SandboxServer
from smarchive.sandbox.truth import truth

from conftest import pywb_replay, register_toml, run_capture, write_pipeline

YEAR = 2024
SETTINGS = {"seed": 1748, "posts_per_year": 5, "comments_per_post": 5, "throttle_every": 9}
CONFIG = SandboxConfig(**SETTINGS)
MAIN = Account(id="youtube-orebrokommun", platform="youtube", name="Örebro kommun",
               url="sandbox:/youtube/@orebrokommun/videos", handle="orebrokommun")
SIGNS = Account(id="youtube-orebrokommunteckensprak", platform="youtube", name="Örebro kommun – Teckenspråk",
                url="sandbox:/youtube/@orebrokommunteckensprak/videos", handle="orebrokommunteckensprak")


class RecordingContext:
    """A CaptureContext that keeps every response body, as the WARC would."""

    def __init__(self, context: BrowserContext, account: Account, account_url: str, year: int) -> None:
        self.account = account
        self.year = year
        self.context = context
        self.account_url = account_url
        self.responses: list[CapturedResponse] = []
        self.snapshots: list[str] = []
        self.messages: list[str] = []
        self.warnings: list[str] = []
        self.waits: list[str | None] = []
        context.on("response", self._record)

    def _record(self, response) -> None:  # type: ignore[no-untyped-def]
        try:
            body = response.body()
        except Exception:  # redirects and media ranges: no body to be had, but the status counts
            body = b""
        request = response.request
        self.responses.append(CapturedResponse(
            url=response.url, status=response.status, content_type=response.headers.get("content-type", ""),
            body=body, warc_file="test", record_id=f"<urn:test:{len(self.responses)}>",
            offset=len(self.responses), method=request.method,
            request_body=(request.post_data or "").encode("utf-8"),
        ))

    def goto(self, page: Page, url: str, wait_until: str = "load"):  # type: ignore[no-untyped-def]
        for _ in range(5):
            response = page.goto(url, wait_until=wait_until)
            if response is None or response.status != 429:
                return response
            self.waits.append(response.headers.get("retry-after"))
            page.wait_for_timeout(1000)
        raise CaptureError(f"{url} kept answering 429")

    def throttled(self, what: str, retry_after: str | None) -> None:
        self.waits.append(retry_after)
        if len(self.waits) > 40:
            raise CaptureError(f"{what}: too many 429s")
        import time

        time.sleep(float(retry_after or 1))

    def already_captured(self, item_id: str) -> bool:
        return False

    def snapshot(self, page: Page, item_id: str) -> None:
        assert page.locator("#comments").count() == 1
        assert page.get_by_role("button", name="Visa mer").count() == 0, "description left cut"
        self.snapshots.append(item_id)

    def progress(self, message: str) -> None:
        self.messages.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(CONFIG) as running:
        yield running


def _warc_responses(archive: Path, account: Account) -> list[CapturedResponse]:
    from smarchive.archive.warc import iter_responses

    (warc,) = sorted((archive / "warc" / str(YEAR)).glob(f"{account.id}-2*.warc.gz"))
    return list(iter_responses(warc))


def test_consent_wall_without_buttons_fails_cleanly(server: SandboxServer, browser: Browser) -> None:
    context = browser.new_context()
    wall = ("<!doctype html><h1>Innan du fortsätter till YouTube</h1>"
            "<p>Logga in för att fortsätta</p><button>Logga in</button>")
    context.route(re.compile(r"/youtube/consent\?"), lambda route: route.fulfill(body=wall, content_type="text/html"))
    try:
        # (opened directly: Chromium does not hand a redirect's follow-up request to a route)
        url = server.base_url + "/youtube/consent?continue=%2Fyoutube%2F%40orebrokommun%2Fvideos"
        ctx = RecordingContext(context, MAIN, url, YEAR)
        with pytest.raises(CaptureError, match="consent page .* has no button to accept it"):
            YouTubeAdapter().capture(ctx)
    finally:
        context.close()


def test_unknown_channel_fails_cleanly(server: SandboxServer, browser: Browser) -> None:
    context = browser.new_context()
    try:
        ctx = RecordingContext(context, MAIN, server.base_url + "/youtube/@finnsinte/videos", YEAR)
        with pytest.raises(CaptureError, match="HTTP 404"):
            YouTubeAdapter().capture(ctx)
    finally:
        context.close()


def test_edition_one_edits_and_deletes_one_video_per_year() -> None:
    before = build_world(SandboxConfig(**{**SETTINGS, "edition": 0}))
    after = build_world(SandboxConfig(**{**SETTINGS, "edition": 1}))
    for year in before.config.years:
        old = {r["id"]: r for r in truth(before, year, "youtube") if r["item_type"] == "post"}
        new = {r["id"]: r for r in truth(after, year, "youtube") if r["item_type"] == "post"}
        assert len(set(old) - set(new)) == 1 and set(new) <= set(old)
        edited = [i for i in new if new[i]["text"] != old[i]["text"]]
        assert len(edited) == 1 and "uppdaterad" in new[edited[0]]["text"]
        gone = (set(old) - set(new)).pop()
        assert not [r for r in truth(after, year, "youtube") if r["post_id"] == gone]


def test_deleted_video_page_reports_unavailable() -> None:
    after = build_world(SandboxConfig(**{**SETTINGS, "edition": 1}))
    before = build_world(SandboxConfig(**{**SETTINGS, "edition": 0}))
    gone = next(i.id for i in before.items if i.platform == "youtube" and i.item_type == "post"
                and after.item(i.id) is None)
    with SandboxServer(after.config) as running:
        opener = urllib.request.build_opener()
        opener.addheaders = [("Cookie", "SOCS=CAISAiAD")]
        page = opener.open(f"{running.base_url}/youtube/watch?v={gone}").read().decode()
    start = page.index("var ytInitialPlayerResponse = ") + len("var ytInitialPlayerResponse = ")
    player = json.JSONDecoder().raw_decode(page, start)[0]
    assert read_player(player).playability == "ERROR"


# --- the real pipeline: recording proxy -> WARC -> extract -> manifest, then pywb replay


ACCOUNTS = register_toml(MAIN, SIGNS)


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("youtube")
    pipeline = write_pipeline(folder, SETTINGS, ACCOUNTS)
    archive = folder / "archive"
    result = run_capture(archive, pipeline, YEAR)
    assert result.returncode == 0, f"capture failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return archive


def test_pipeline_recall_is_complete(pipeline_run: Path) -> None:
    from smarchive.archive.query import connect
    from smarchive.archive.store import LocalStorage

    con = connect(pipeline_run)
    rows = con.sql("SELECT * FROM items WHERE platform = 'youtube'").to_arrow_table().to_pylist()
    con.close()
    got = {r["item_id"]: r for r in rows}
    world = build_world(CONFIG)
    expected = {t["id"]: t for t in truth(world, YEAR, "youtube")}
    assert set(got) == set(expected), f"missing {set(expected) - set(got)}, extra {set(got) - set(expected)}"
    storage = LocalStorage(pipeline_run)
    for item_id, want in expected.items():
        row = got[item_id]
        assert (row["text"], row["author"], row["author_is_account"], row["parent_id"]) == (
            want["text"], want["author"], want["author_is_account"], want["parent_id"])
        assert row["published_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == want["published_at"]
        assert row["year"] == YEAR
        assert sorted(row["media_sha256"]) == sorted(m["sha256"] for m in want["media"])
        for media in row["media"]:
            assert hashlib.sha256(storage.get(media["sha256"])).hexdigest() == media["sha256"]
        if want["item_type"] == "post":
            assert row["snapshot_record_id"], item_id
    print(f"youtube recall {len(got)}/{len(expected)}:", Counter(t["item_type"] for t in expected.values()))


def test_replay_watch_page_and_comments_from_the_warc(pipeline_run: Path) -> None:
    """pywb, sandbox stopped: the watch page replays, and its comments are in the recorded `next` POST
    answers (pywb matches a POST by its body) and in the DOM snapshot."""
    from smarchive.archive.warc import iter_records

    warcs = sorted((pipeline_run / "warc" / str(YEAR)).glob("youtube-orebrokommun-*.warc.gz"))
    assert len(warcs) == 1
    world = build_world(CONFIG)
    post = next(t for t in truth(world, YEAR, "youtube")
                if t["item_type"] == "post" and t["account"] == "orebrokommun"
                and any(c["post_id"] == t["id"] and c["item_type"] == "comment" for c in truth(world, YEAR)))
    comments = [t for t in truth(world, YEAR, "youtube") if t["post_id"] == post["id"] and t["item_type"] != "post"]
    watch_url = next(h["WARC-Target-URI"] for _, h, _ in iter_records(warcs[0])
                     if h.get("WARC-Type") == "response" and h["WARC-Target-URI"].endswith(post["permalink"]))
    snapshot = next(body for _, h, body in iter_records(warcs[0])
                    if h.get("WARC-Target-URI") == f"urn:smarchive:snapshot:{watch_url}")
    requests = [body for _, h, body in iter_records(warcs[0])
                if h.get("WARC-Type") == "request" and "/youtubei/v1/next" in h["WARC-Target-URI"]]
    next_url = watch_url.split("/youtube/watch")[0] + "/youtube/youtubei/v1/next?prettyPrint=false"
    first_page = next(body for body in requests
                      if sandbox_youtube._untoken(json.loads(body)["continuation"]) == ("comments", post["id"], 0))
    with pywb_replay(warcs) as base:
        page = urllib.request.urlopen(f"{base}/2id_/{watch_url}", timeout=30).read().decode()
        assert post["text"].split("\n\n")[0] in page
        request = urllib.request.Request(f"{base}/2id_/{next_url}", data=first_page, method="POST",
                                         headers={"Content-Type": "application/json"})
        replayed = urllib.request.urlopen(request, timeout=30).read().decode()
    top = [c for c in comments if c["item_type"] == "comment"]
    shown = {c.comment_id: c.text for c in read_comments(json.loads(replayed))}
    assert len(shown) == min(len(top), sandbox_youtube.COMMENTS_PAGE)
    assert all(shown[c["id"]] == c["text"] for c in top if c["id"] in shown)
    dom = snapshot.decode()
    for comment in comments:
        assert comment["id"] in dom


def test_extract_from_the_warc_matches_truth_per_account(pipeline_run: Path) -> None:
    world = build_world(CONFIG)
    base = _sandbox_base(pipeline_run)
    for account in (MAIN, SIGNS):
        rows = [r for r in truth(world, YEAR, "youtube") if r["account"] == account.handle]
        assert {r["item_type"] for r in rows} == {"post", "comment", "reply"}
        extraction = YouTubeAdapter().extract(_warc_responses(pipeline_run, account), account, YEAR)
        items = extraction.items
        got = {item.id: item for item in items}
        assert extraction.notes == [], "every answer of the current generation is understood"
        shown = {r.post_id: r.count for r in extraction.reported if r.kind == "thread"}
        assert shown == {vid: sum(1 for i in items if i.post_id == vid and i.item_type != "post")
                         for vid in shown} and len(shown) == sum(i.item_type == "post" for i in items)
        assert len(items) == len(got), "duplicates in extract output"
        assert set(got) == {row["id"] for row in rows}
        for row in rows:
            item = got[row["id"]]
            assert (item.item_type, item.parent_id, item.post_id) == (row["item_type"], row["parent_id"],
                                                                      row["post_id"])
            assert item.permalink == base + row["permalink"]
    rows = truth(world, YEAR, "youtube")
    # the year's boundaries: a video at 00:xx on 1 January (still 2023 in UTC), a thread written in 2025
    assert any(r["item_type"] == "post" and r["published_at"].startswith("2023-12-31") for r in rows)
    assert any(r["item_type"] != "post" and r["published_at"].startswith("2025-01") for r in rows)
    for other in (2023, 2025):
        assert {r["id"] for r in rows}.isdisjoint(r["id"] for r in truth(world, other))


def _sandbox_base(archive: Path) -> str:
    responses = _warc_responses(archive, MAIN)
    url = next(r.url for r in responses if "/youtube/watch" in r.url)
    return url.split("/youtube/")[0]


def test_media_fetched_whole_though_the_player_asked_for_a_range(pipeline_run: Path) -> None:
    responses = _warc_responses(pipeline_run, MAIN)
    world = build_world(CONFIG)
    bodies = {r.url: r.body for r in responses if r.status == 200}
    partial = [r for r in responses if r.status == 206 and "/videoplayback" in r.url]
    assert partial, "the player should have asked for a byte range of the progressive file"
    items = YouTubeAdapter().extract(responses, MAIN, YEAR).items
    for item in (i for i in items if i.item_type == "post"):
        want = sorted(world.media[m].sha256 for m in world.item(item.id).media)
        assert [m.kind for m in item.media] == ["video", "image"]
        assert sorted(hashlib.sha256(bodies[m.url]).hexdigest() for m in item.media) == want
        film = urlsplit(item.media[0].url)
        assert film.path == "/youtube/videoplayback" and {"exp", "sig", "id"} <= set(parse_qs(film.query))


def test_comments_only_arrive_through_next_continuations(pipeline_run: Path) -> None:
    responses = _warc_responses(pipeline_run, MAIN)
    world = build_world(CONFIG)
    pages = [r for r in responses if "/youtube/watch" in r.url and r.status == 200]
    comment = next(i for i in world.items if i.platform == "youtube" and i.item_type == "comment")
    assert pages and all(comment.text.encode() not in p.body for p in pages)
    kinds: Counter = Counter()
    for response in responses:
        if response.method == "POST" and "/youtubei/v1/next" in response.url and response.status == 200:
            kinds[sandbox_youtube._untoken(json.loads(response.request_body)["continuation"])[0]] += 1
    assert kinds["comments"] >= 3 and kinds["replies"] >= 3
    assert [r for r in responses if "/youtubei/v1/browse" in r.url and r.status == 200], "the grid was scrolled"


def test_consent_and_throttling_were_survived_without_warnings(pipeline_run: Path) -> None:
    from smarchive.archive.query import run_query

    responses = _warc_responses(pipeline_run, MAIN) + _warc_responses(pipeline_run, SIGNS)
    assert any(r.status == 429 for r in responses), "the sandbox throttled and the capture went on"
    assert any("/youtube/consent" in r.url for r in responses)
    runs = run_query(pipeline_run, "SELECT warnings, errors, accounts_failed FROM runs").to_pylist()
    assert runs == [{"warnings": [], "errors": [], "accounts_failed": []}]


def test_a_relative_comment_time_counts_from_when_it_was_recorded() -> None:
    """"för 2 veckor sedan" read from a WARC recorded on 1 March 2021 means mid-February 2021, whenever
    the WARC is read."""
    response = CapturedResponse(url="https://www.youtube.com/youtubei/v1/next", status=200,
                                content_type="application/json", body=b"{}", warc_file="w", record_id="<urn:x>",
                                offset=0, date="2021-03-01T10:00:00Z")
    comment = CommentInfo(comment_id="c1", text="Tack!", author="@någon", author_channel_id="", is_creator=False,
                          published_text="för 2 veckor sedan")
    comment.response = response
    assert comment_time(comment) == datetime(2021, 2, 15, 10, tzinfo=UTC)


def test_the_older_comment_generation_is_read_completely(tmp_path: Path) -> None:
    """[sandbox] youtube_generation = "2020": comments as commentRenderer, the video id only in their time link.
    Recall against the sandbox's truth stays 100%, with exact counts and no warnings."""
    from smarchive.archive.query import connect

    settings = {**SETTINGS, "posts_per_year": 3, "youtube_generation": '"2020"'}
    pipeline = write_pipeline(tmp_path, settings, ACCOUNTS.split("\n\n[[account]]")[0])
    archive = tmp_path / "archive"
    result = run_capture(archive, pipeline, YEAR)
    assert result.returncode == 0, f"capture failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    world = build_world(SandboxConfig(**{**SETTINGS, "posts_per_year": 3, "youtube_generation": "2020"}))
    expected = {t["id"]: t for t in truth(world, YEAR, "youtube") if t["account"] == MAIN.handle}
    assert {t["item_type"] for t in expected.values()} == {"post", "comment", "reply"}
    responses = _warc_responses(archive, MAIN)
    assert any(b'"commentRenderer"' in r.body for r in responses)
    assert not any(b'"commentEntityPayload"' in r.body for r in responses), "the old generation only"
    extraction = YouTubeAdapter().extract(responses, MAIN, YEAR)
    got = {i.id: i for i in extraction.items}
    assert set(got) == set(expected)
    for item_id, row in expected.items():
        assert (got[item_id].item_type, got[item_id].parent_id) == (row["item_type"], row["parent_id"])
    assert extraction.notes == []
    shown = {r.post_id: r.count for r in extraction.reported if r.kind == "thread"}
    extracted = {vid: sum(1 for i in extraction.items if i.post_id == vid and i.item_type != "post")
                 for vid in shown}
    assert shown == extracted, "each video's comment header equals what was read"
    con = connect(archive)
    assert con.sql("SELECT count(*) FROM items WHERE platform = 'youtube'").fetchall() == [(len(expected),)]
    con.close()
