"""YouTube channels: find the year's videos on the Videos tab, record each watch page whole, read it back.

Capture: pass the EU consent page, scroll the channel's Videos tab (newest first; it shows relative
times only, "för 2 år sedan") until the loaded videos are surely older than the year, then open the
watch page of every video that may belong to the year. There the player response gives the exact
publish time: videos of other years are left, the rest get their media fetched whole (the player only
asks for byte ranges, and MediaSource is switched off by the capture so it takes the progressive mp4),
every comment continuation and reply thread loaded ("N svar", "Visa fler svar"), long texts expanded
("Visa mer", "Läs mer"), and a snapshot taken, in context.

Extract (readers in youtube_read.py, items and counts in youtube_items.py; behaviours in youtube.toml): the
dependable data is InnerTube JSON: `ytInitialPlayerResponse` / `ytInitialData` embedded
in the pages and the bodies of POST youtubei/v1/next and /browse. Comments come in the 2024+ entity
shape (commentThreadRenderer > commentViewModel keys, content in frameworkUpdates mutations
commentEntityPayload) or the older commentRenderer. Anything not understood is skipped.

Times: a video's microformat publishDate is exact (with a UTC offset, or a bare date on older pages).
A comment's time on the real site is relative only ("4 years ago"); it is resolved against the
time the answer was recorded (its WARC-Date), an estimate. The sandbox adds an exact `publishedAt`,
which wins when present.

Year rule: a video belongs to the year of its publication in Europe/Stockholm time; comments and
replies belong to their video's year.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from smarchive.errors import CaptureError
from smarchive.model import Account, year_bounds
from smarchive.platforms.base import CaptureContext, CapturedResponse, Extraction
from smarchive.platforms.browsing import click_all
from smarchive.platforms.toolkit import counted
from smarchive.platforms.youtube_items import comment_time, extract_youtube, recorded_at
from smarchive.platforms.youtube_read import (  # re-exported: the readers' public names, as before
    CommentInfo,
    GridVideo,
    ThreadInfo,
    VideoInfo,
    age_range,
    continuation_tokens,
    documents,
    embedded_json,
    playability_problem,
    read_comments,
    read_grid,
    read_player,
    read_threads,
    resolve_relative,
)

__all__ = ["CommentInfo", "GridVideo", "ThreadInfo", "VideoInfo", "YouTubeAdapter", "comment_time",
           "continuation_tokens", "documents", "embedded_json", "playability_problem", "read_comments", "read_grid",
           "read_player", "read_threads", "recorded_at", "resolve_relative"]


def _behaviour() -> dict:
    """youtube.toml beside this module: selectors, labels, timeouts and item URL patterns (regexes compiled)."""
    data = tomllib.loads(resources.files("smarchive.platforms").joinpath("youtube.toml").read_text("utf-8"))
    for key in ("consent_paths", "consent_buttons"):
        data[key] = tuple(data[key])
    for key in ("reply_button", "expand_text"):
        data[key] = re.compile(data[key])
    data["item_url_patterns"] = [re.compile(p) for p in data["item_url_patterns"]]
    return data


# How the capture behaves, as data: what to look for, what to click, how long to wait.
BEHAVIOUR: dict = _behaviour()

DAY = 86_400
FETCH_WHOLE = """async (url) => {
  const response = await fetch(url, {cache: 'no-store', credentials: 'include'});
  const body = await response.arrayBuffer();
  return [response.status, body.byteLength, response.headers.get('retry-after')];
}"""


class YouTubeAdapter:
    platform = "youtube"

    # ----------------------------------------------------------------------------- capture

    def capture(self, ctx: CaptureContext) -> None:
        start, end = _year_bounds(ctx.year)
        page = ctx.context.new_page()
        failed: list[tuple[str, str | None]] = []  # API answers 429/503 the page's script saw

        def watch(response: Response) -> None:
            if BEHAVIOUR["api_path"] in response.url and response.status in (429, 503):
                failed.append((response.url, response.headers.get("retry-after")))

        page.on("response", watch)
        try:
            self._open(ctx, page, ctx.account_url)
            candidates = self._collect_videos(ctx, page, start, end, failed)
            ctx.progress(f"{counted(len(candidates), 'video')} on the channel may be of {ctx.year}")
            done = 0
            for video_id, url in candidates:
                if ctx.already_captured(video_id):  # of the year, or it would not have been captured
                    ctx.progress(f"video {video_id}: already captured")
                    done += 1
                    continue
                verdict = self._capture_video(ctx, page, video_id, url, start, end, failed)
                if verdict == "older":
                    break  # the tab is newest first: everything after is older still
                done += verdict == "captured"
            ctx.progress(f"{counted(done, 'video')} of {ctx.year} captured")
        finally:
            page.close()

    def _open(self, ctx: CaptureContext, page: Page, url: str) -> None:
        response = ctx.goto(page, url)
        if _on_consent_page(page):
            self._accept_consent(page, url)
            response = ctx.goto(page, url)
        if _on_consent_page(page):
            raise CaptureError(f"YouTube's consent page is still shown for {url} after accepting it")
        if response is not None and response.status >= 400:
            raise CaptureError(f"{url} answered HTTP {response.status}")

    def _accept_consent(self, page: Page, url: str) -> None:
        for name in BEHAVIOUR["consent_buttons"]:
            button = page.get_by_role("button", name=name, exact=True)
            if button.count():
                try:
                    with page.expect_navigation(timeout=BEHAVIOUR["navigation_timeout_ms"]):
                        button.first.click()
                except PlaywrightError:
                    raise CaptureError(f"YouTube's consent page for {url} did not go away when accepted") from None
                return
        raise CaptureError(f"YouTube's consent page for {url} has no button to accept it "
                           f"(looked for {', '.join(BEHAVIOUR['consent_buttons'])})")

    def _collect_videos(self, ctx: CaptureContext, page: Page, start: int, end: int,
                        failed: list) -> list[tuple[str, str]]:
        """Scroll the Videos tab until the last tile is surely older than the year; the possible ones."""
        try:
            page.wait_for_selector(f'{BEHAVIOUR["grid_item"]}, {BEHAVIOUR["grid_continuation"]}',
                                   timeout=BEHAVIOUR["content_timeout_ms"])
        except PlaywrightTimeout:
            raise CaptureError(f"no videos appeared on {page.url} (a wall the capture cannot pass?)") from None
        now = datetime.now(UTC).timestamp()
        failures = 0
        for _ in range(BEHAVIOUR["max_steps_per_page"]):
            tiles = self._tiles(page)
            if tiles and _published_range(tiles[-1][2], now)[1] < start:
                break
            sentinel = page.locator(BEHAVIOUR["grid_continuation"]).first
            if sentinel.count() == 0:
                break
            failures = 0 if self._load(ctx, page, sentinel, failed) else failures + 1
            if failures >= BEHAVIOUR["max_failed_loads"]:
                raise CaptureError(f"the Videos tab of {ctx.account_url} stopped loading after {len(tiles)} videos")
            ctx.progress(f"Videos tab: {counted(len(self._tiles(page)), 'video')} loaded")
        chosen: dict[str, str] = {}
        for video_id, href, relative in self._tiles(page):
            low, high = _published_range(relative, now)
            if video_id and high >= start and low < end:
                chosen.setdefault(video_id, href)
        return list(chosen.items())

    def _tiles(self, page: Page) -> list[tuple[str, str, str]]:
        script = """(els, sel) => els.map(e => {
            const link = e.querySelector('a[href*="watch"]');
            const when = e.querySelector(sel);
            return [e.getAttribute('data-video-id') || '', link ? link.href : '', when ? when.textContent : ''];
        })"""
        rows = page.eval_on_selector_all(BEHAVIOUR["grid_item"], script, BEHAVIOUR["relative_time"])
        return [(row[0] or _video_id_of(row[1]), row[1], row[2]) for row in rows]

    def _load(self, ctx: CaptureContext, page: Page, sentinel, failed: list) -> bool:  # type: ignore[no-untyped-def]
        """Bring a continuation into view and wait for it to load; True if it did."""
        timeout = BEHAVIOUR["xhr_timeout_ms"]
        handle = _handle(sentinel)
        if handle is None:
            return True  # it loaded by itself (it was in view already) and is gone
        if handle.get_attribute("data-state") == "error":
            self._wait_out(ctx, failed, "continuation")
            retry = handle.query_selector("button")
            if retry is not None:
                retry.click(timeout=timeout)
        return self._until_gone(ctx, page, handle, handle.scroll_into_view_if_needed,
                                "el => !el.isConnected || el.getAttribute('data-state') === 'error'", failed,
                                "continuation")

    def _until_gone(self, ctx: CaptureContext, page: Page, handle, act: Callable[..., None],  # type: ignore[no-untyped-def]
                    settled: str, failed: list, what: str) -> bool:
        """Act on a continuation or reply button (scroll to it, click it) and wait until the page has settled; True
        if what it loaded replaced it. Otherwise the 429/503s the page's script met are waited out (Retry-After),
        and the caller tries again."""
        timeout = BEHAVIOUR["xhr_timeout_ms"]
        try:
            act(timeout=timeout)
            page.wait_for_function(settled, arg=handle, timeout=timeout)
            loaded = page.evaluate("el => !el.isConnected", handle)
        except PlaywrightError:
            loaded = False
        finally:
            handle.dispose()
        if not loaded:
            self._wait_out(ctx, failed, what)
        return loaded

    def _wait_out(self, ctx: CaptureContext, failed: list, what: str) -> None:
        """Honour the 429/503s the page's script met (Retry-After), then the caller tries again."""
        while failed:
            url, retry_after = failed.pop(0)
            ctx.throttled(f"{what} {urlsplit(url).path}", retry_after)

    def _capture_video(self, ctx: CaptureContext, page: Page, video_id: str, url: str, start: int, end: int,
                       failed: list) -> str:
        """Open a watch page; "newer", "older", "unavailable" or "captured"."""
        self._open(ctx, page, url)
        video = read_player(page.evaluate("() => window.ytInitialPlayerResponse || null"))
        problem = playability_problem(video)
        if video is None or problem:
            ctx.warn(f"video {video_id} ({url}): {problem or 'no player response'}")
            return "unavailable"
        epoch = video.epoch
        if epoch is None:
            ctx.warn(f"video {video_id}: no publish date in its player response; captured to be safe")
        elif epoch >= end:
            return "newer"
        elif epoch < start:
            return "older"
        self._fetch_media(ctx, page, video)  # first: the signed URLs expire
        loads = self._expand_comments(ctx, page, video_id, failed)
        self._expand_texts(page)
        ctx.snapshot(page, video_id)
        ctx.progress(f"video {video_id}: {loads} comment pages and reply threads loaded")
        return "captured"

    def _fetch_media(self, ctx: CaptureContext, page: Page, video: VideoInfo) -> None:
        """Fetch the progressive file and the thumbnail whole, so the WARC has the full bytes (not a 206)."""
        if page.evaluate("() => (document.querySelector('video') || {}).currentSrc || ''").startswith("blob:"):
            ctx.warn(f"video {video.video_id}: the player uses MediaSource; its progressive file is fetched instead")
        wanted = [(url, "video file") for url in video.progressive_urls[:1]]
        wanted += [(url, "thumbnail") for url in video.thumbnail_urls[:1]]
        if not video.progressive_urls:
            ctx.warn(f"video {video.video_id}: no progressive file offered; only the page is kept")
        for url, what in wanted:
            for _ in range(10):
                status, size, retry_after = page.evaluate(FETCH_WHOLE, url)
                if status not in (429, 503):
                    break
                ctx.throttled(f"{what} of {video.video_id}", retry_after)
            if status != 200:
                ctx.warn(f"video {video.video_id}: {what} answered HTTP {status} ({url})")
            elif what == "video file" and video.content_length and size != video.content_length:
                ctx.warn(f"video {video.video_id}: got {size} of {video.content_length} bytes of the video file")

    def _expand_comments(self, ctx: CaptureContext, page: Page, video_id: str, failed: list) -> int:
        """Load every comment page (on scroll) and reply thread (on click) until nothing is left."""
        loads = failures = 0
        for _ in range(BEHAVIOUR["max_steps_per_page"]):
            sentinel = page.locator(BEHAVIOUR["comments_continuation"]).first
            if sentinel.count():
                ok = self._load(ctx, page, sentinel, failed)
            else:
                button = page.get_by_role("button", name=BEHAVIOUR["reply_button"]).first
                if button.count() == 0:
                    return loads
                ok = self._click(ctx, page, button, failed)
            loads += ok
            failures = 0 if ok else failures + 1
            if failures >= BEHAVIOUR["max_failed_loads"]:
                ctx.warn(f"video {video_id}: comments could not all be loaded ({page.url})")
                return loads
        ctx.warn(f"video {video_id}: stopped loading comments after {loads} loads ({page.url})")
        return loads

    def _click(self, ctx: CaptureContext, page: Page, button, failed: list) -> bool:  # type: ignore[no-untyped-def]
        handle = _handle(button)
        if handle is None:
            return True
        return self._until_gone(ctx, page, handle, handle.click,
                                "el => !el.isConnected || el.getAttribute('aria-busy') !== 'true'", failed,
                                "reply thread")

    def _expand_texts(self, page: Page) -> None:
        """Open "Visa mer" / "Läs mer" so the snapshot shows whole texts, like the JSON has them."""
        click_all(lambda: page.get_by_role("button", name=BEHAVIOUR["expand_text"]).first,
                  limit=BEHAVIOUR["max_steps_per_page"], timeout_ms=BEHAVIOUR["xhr_timeout_ms"])

    # ----------------------------------------------------------------------------- extract

    def extract(self, responses: Iterable[CapturedResponse], account: Account, year: int) -> Extraction:
        return extract_youtube(list(responses), account, year, BEHAVIOUR["item_url_patterns"])


# --------------------------------------------------------------------------------- capture helpers


def _year_bounds(year: int) -> tuple[int, int]:
    return year_bounds(year)


def _published_range(text: str, now: float) -> tuple[float, float]:
    """Earliest and latest publication a relative time allows (wide open if it is not understood)."""
    ages = age_range(text)
    if ages is None:
        return -math.inf, math.inf
    slack = BEHAVIOUR["slack_days"] * DAY + ages[0] * 0.05
    return now - ages[1] - slack, now - ages[0] + slack


def _handle(locator):  # type: ignore[no-untyped-def]
    """The element now, or None if it went away meanwhile (a continuation that loaded by itself)."""
    try:
        return locator.element_handle(timeout=1_000)
    except PlaywrightError:
        return None


def _on_consent_page(page: Page) -> bool:
    parts = urlsplit(page.url)
    return parts.netloc.startswith("consent.") or parts.path.rstrip("/").endswith(BEHAVIOUR["consent_paths"])


def _video_id_of(url: str) -> str:
    return (parse_qs(urlsplit(url).query).get("v") or [""])[0]
