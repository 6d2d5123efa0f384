"""The generic web adapter: the municipality's page listing its channels, recorded whole and replayed offline."""

from __future__ import annotations

import hashlib
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from smarchive.archive.warc import iter_records, iter_responses
from smarchive.errors import CaptureError
from smarchive.model import Account
from smarchive.platforms.web import WebAdapter
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.server import SandboxServer

from conftest import pywb_replay, register_toml, run_capture, write_pipeline

# throttle_every = 1: the page and every page of its news list are answered 429 once.
SETTINGS = {"seed": 1748, "posts_per_year": 4, "comments_per_post": 4, "throttle_every": 1}
ACCOUNTS = register_toml(Account(id="web-sociala-medier", platform="web", name="Örebro kommun: Sociala medier",
                                 url="sandbox:/web/sociala-medier"))
REAL_WORLD = Path(__file__).resolve().parents[1].parent / "shared" / "real-world"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web")
    pipeline = write_pipeline(folder, SETTINGS, ACCOUNTS)
    result = run_capture(folder / "archive", pipeline, 2024)
    assert result.returncode == 0, f"capture failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    warcs = sorted((folder / "archive" / "warc" / "2024").glob("web-sociala-medier-*.warc.gz"))
    assert len(warcs) == 1
    return folder / "archive", result, warcs[0]


@pytest.fixture(scope="module")
def records(run) -> dict[str, list[tuple[dict, bytes]]]:
    found: dict[str, list[tuple[dict, bytes]]] = {}
    for _, headers, body in iter_records(run[2]):
        found.setdefault(headers.get("WARC-Target-URI", ""), []).append((headers, body))
    return found


def _page_url(records) -> str:
    return next(u for u in records if u.startswith("http") and u.endswith("/web/sociala-medier"))


def test_page_snapshot_and_screenshot_in_the_warc(records) -> None:
    url = _page_url(records)
    assert any(h["WARC-Type"] == "response" for h, _ in records[url])
    (snap_headers, snapshot), = records["urn:smarchive:snapshot:" + url]
    (shot_headers, screenshot), = records["urn:smarchive:screenshot:" + url]
    html = snapshot.decode("utf-8")
    assert "<h1>Sociala medier</h1>" in html and "Vardagshjältarna" in html
    assert 'id="cookie-banner"' not in html, "the cookie banner was answered before the snapshot"
    assert html.count('class="nyhet"') == 9, "the news list was scrolled to its end"
    assert 'href="/podcast/tonarstiden-teckensprak/"' in html and 'href="/facebook/orebrokommun"' in html
    assert snap_headers["WARC-Refers-To-Target-URI"] == url and screenshot.startswith(b"\x89PNG")
    assert shot_headers["WARC-Concurrent-To"] == snap_headers["WARC-Record-ID"]


def test_every_lazy_image_recorded_byte_identical(run) -> None:
    world = build_world(SandboxConfig(**SETTINGS))
    want = {m.path: m.sha256 for m in world.media.values() if m.platform == "web"}
    got = {urlsplit(r.url).path: hashlib.sha256(r.body).hexdigest() for r in iter_responses(run[2])
           if r.status == 200 and "/web/media/" in r.url}
    assert got == want


def test_throttled_page_and_api_survived(run) -> None:
    _, result, warc = run
    statuses = {}
    for response in iter_responses(warc):
        statuses.setdefault(response.url.split("/", 3)[3], []).append(response.status)
    assert statuses["web/sociala-medier"] == [429, 200]
    assert [s for u, s in statuses.items() if u.startswith("web/api/nyheter")] == [[429, 200]] * 3
    assert "HTTP 429" in result.stderr and "captured" in result.stdout


def test_no_items_from_a_web_page(run) -> None:
    assert not list((run[0] / "manifest" / "items").rglob("*platform=web*/*.parquet"))


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def test_pywb_replays_the_page_offline(run, records) -> None:
    url = _page_url(records)
    with pytest.raises(OSError):  # the sandbox is stopped
        fetch(url)
    with pywb_replay([run[2]]) as base:
        page = fetch(f"{base}/2id_/{url}").decode("utf-8")
        assert "<h1>Sociala medier</h1>" in page
        rewritten = fetch(f"{base}/2mp_/{url}").decode("utf-8")
        assert "Det här tar vi bort" in rewritten
        image = url.rsplit("/web/", 1)[0] + "/web/media/web-nyhet-8.png"  # the last lazy image of the list
        world = build_world(SandboxConfig(**SETTINGS))
        assert fetch(f"{base}/2id_/{image}") == world.media["web-nyhet-8"].data


# ------------------------------------------------------------------------ the adapter, without the pipeline


class Context:
    def __init__(self, context: BrowserContext, url: str) -> None:
        self.account = Account(id="web-x", platform="web", name="x", url=url)
        self.context, self.account_url, self.year = context, url, 2024
        self.snapshots: list[str] = []
        self.warnings: list[str] = []

    def goto(self, page: Page, url: str, wait_until: str = "load"):  # type: ignore[no-untyped-def]
        response = page.goto(url, wait_until=wait_until)
        while response is not None and response.status == 429:
            time.sleep(1)
            response = page.goto(url, wait_until=wait_until)
        return response

    def throttled(self, what: str, retry_after: str | None) -> None:
        time.sleep(1)

    def already_captured(self, item_id: str) -> bool:
        return False

    def snapshot(self, page: Page, item_id: str) -> None:
        self.snapshots.append(page.content())

    def progress(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        self.warnings.append(message)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(posts_per_year=4, throttle_every=0)) as running:
        yield running


def _capture(browser: Browser, url: str, routes: dict[str, object] | None = None) -> Context:
    context = browser.new_context()
    try:
        for pattern, handler in (routes or {}).items():
            context.route(pattern, handler)
        ctx = Context(context, url)
        WebAdapter().capture(ctx)
        return ctx
    finally:
        context.close()


def test_missing_page_fails_cleanly(server: SandboxServer, browser: Browser) -> None:
    with pytest.raises(CaptureError, match="answered HTTP 404"):
        _capture(browser, server.base_url + "/web/finns-inte")


def test_banner_without_accept_button_is_reported(server: SandboxServer, browser: Browser) -> None:
    page = ('<!doctype html><html><body><h1>Hej</h1><div id="cookie-banner">Vi använder kakor.'
            '<button>Läs mer</button></div></body></html>')
    ctx = _capture(browser, server.base_url + "/web/x",
                   {"**/web/x": lambda route: route.fulfill(body=page, content_type="text/html")})
    assert len(ctx.snapshots) == 1 and "Hej" in ctx.snapshots[0]
    assert any("no button to accept it" in w for w in ctx.warnings)


@pytest.mark.parametrize("sample", ["li-html-pages/metascraper__linkedin_company_audiense_10529043.html",
                                    "yt-html-pytube/channel-videos.html"])
def test_real_world_pages(browser: Browser, sample: str) -> None:
    """Saved real pages, served offline (their other resources fail fast): recorded with a snapshot, no items."""
    path = REAL_WORLD / sample
    if not path.exists():
        pytest.skip(f"{path} not present")
    body = path.read_bytes()

    def serve(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url == "http://real.example/page":
            route.fulfill(body=body, content_type="text/html; charset=utf-8")
        else:
            route.abort()

    ctx = _capture(browser, "http://real.example/page", {"**/*": serve})
    assert len(ctx.snapshots) == 1 and len(ctx.snapshots[0]) > 1000
    assert WebAdapter().extract([], Account(id="x", platform="web", name="x", url=""), 2024).items == []
