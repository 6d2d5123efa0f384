"""YouTube channels: find the year's videos on the Videos tab, record each watch page whole, read it back.

Capture: pass the EU consent page, scroll the channel's Videos tab (newest first; it shows relative
times only, "för 2 år sedan") until the loaded videos are surely older than the year, then open the
watch page of every video that may belong to the year. There the player response gives the exact
publish time: videos of other years are left, the rest get their media fetched whole (the player only
asks for byte ranges, and MediaSource is switched off by the capture so it takes the progressive mp4),
every comment continuation and reply thread loaded ("N svar", "Visa fler svar"), long texts expanded
("Visa mer", "Läs mer"), and a snapshot taken, in context.

Extract: the dependable data is InnerTube JSON: `ytInitialPlayerResponse` / `ytInitialData` embedded
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

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urljoin, urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from smarchive.errors import CaptureError
from smarchive.model import Account, Item, MediaRef, SourceRecord
from smarchive.platforms.base import CaptureContext, CapturedResponse, Extraction
from smarchive.platforms.jsondata import as_dict as _dict
from smarchive.platforms.jsondata import walk as _walk
from smarchive.platforms.toolkit import counted

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# How the capture behaves, as data: what to look for, what to click, how long to wait.
BEHAVIOUR: dict = {
    "consent_paths": ("/consent", "/youtube/consent"),  # consent.youtube.com/... or the sandbox's page
    # Tried in this order; either answer lifts the wall on the real site.
    "consent_buttons": ("Godkänn alla", "Accept all", "Avvisa alla", "Reject all"),
    "grid_item": ".video-tile[data-video-id], ytd-rich-item-renderer",
    "grid_continuation": "#contents .continuation, ytd-continuation-item-renderer",
    "comments_continuation": "#comments .continuation",
    "relative_time": ".relative-time",
    "retry_button": "Försök igen",
    "reply_button": re.compile(r"^(\d+ svar|1 svar|Visa fler svar|\d+ repl(y|ies)|Show more replies|Försök igen)$"),
    "expand_text": re.compile(r"^(Visa mer|Läs mer|\.\.\.mer|Show more|Read more)$"),
    "api_path": "/youtubei/v1/",
    "busy": "[aria-busy=true]",
    "navigation_timeout_ms": 30_000,
    "content_timeout_ms": 15_000,
    "xhr_timeout_ms": 15_000,
    "max_steps_per_page": 2_000,
    "max_failed_loads": 3,
    "slack_days": 10,  # how far a relative time ("för 1 år sedan") may be off, beyond its own rounding
}

LATEST_EPOCH = 4_102_444_800  # 2100-01-01
DAY = 86_400
UNITS = {  # relative-time words, Swedish and English, to seconds
    "sekund": 1, "sekunder": 1, "second": 1, "seconds": 1,
    "minut": 60, "minuter": 60, "minute": 60, "minutes": 60,
    "timme": 3600, "timmar": 3600, "hour": 3600, "hours": 3600,
    "dag": DAY, "dagar": DAY, "day": DAY, "days": DAY,
    "vecka": 7 * DAY, "veckor": 7 * DAY, "week": 7 * DAY, "weeks": 7 * DAY,
    "månad": 30 * DAY, "månader": 30 * DAY, "month": 30 * DAY, "months": 30 * DAY,
    "år": 365 * DAY, "year": 365 * DAY, "years": 365 * DAY,
}
RELATIVE = re.compile(r"(\d+)\s+([a-zåäö]+)", re.IGNORECASE)
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
        try:
            handle.scroll_into_view_if_needed(timeout=timeout)
            page.wait_for_function("el => !el.isConnected || el.getAttribute('data-state') === 'error'",
                                   arg=handle, timeout=timeout)
            loaded = page.evaluate("el => !el.isConnected", handle)
        except PlaywrightError:
            loaded = False
        finally:
            handle.dispose()
        if not loaded:
            self._wait_out(ctx, failed, "continuation")
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
        timeout = BEHAVIOUR["xhr_timeout_ms"]
        handle = _handle(button)
        if handle is None:
            return True
        try:
            handle.click(timeout=timeout)
            page.wait_for_function("el => !el.isConnected || el.getAttribute('aria-busy') !== 'true'",
                                   arg=handle, timeout=timeout)
            loaded = page.evaluate("el => !el.isConnected", handle)
        except PlaywrightError:
            loaded = False
        finally:
            handle.dispose()
        if not loaded:
            self._wait_out(ctx, failed, "reply thread")
        return loaded

    def _expand_texts(self, page: Page) -> None:
        """Open "Visa mer" / "Läs mer" so the snapshot shows whole texts, like the JSON has them."""
        for _ in range(BEHAVIOUR["max_steps_per_page"]):
            button = page.get_by_role("button", name=BEHAVIOUR["expand_text"]).first
            if button.count() == 0:
                return
            try:
                button.click(timeout=BEHAVIOUR["xhr_timeout_ms"])
            except PlaywrightError:
                return

    # ----------------------------------------------------------------------------- extract

    def extract(self, responses: Iterable[CapturedResponse], account: Account, year: int) -> Extraction:
        recorded = list(responses)
        complete = {r.url for r in recorded if r.status == 200}
        videos: dict[str, VideoInfo] = {}
        comments: dict[str, CommentInfo] = {}
        owners: dict[str, str] = {}  # channel id -> handle
        for response in recorded:
            for doc in documents(response):
                _read_document(doc, response, videos, comments, owners)
        own = {vid: v for vid, v in videos.items() if _is_account_video(v, account, owners)}
        kept = [v for v in own.values() if v.epoch is not None and _stockholm_year(v.epoch) == year]
        items = [_post_item(v, account, complete) for v in kept]
        by_video = {v.video_id: v for v in kept}
        for comment in comments.values():
            video = by_video.get(comment.video_id)
            if video is not None:
                items.append(_comment_item(comment, video, account))
        return Extraction(items)


# --------------------------------------------------------------------------------- reading JSON


@dataclass
class VideoInfo:
    """What a player response (and the watch page's ytInitialData) says about a video."""

    video_id: str
    title: str = ""
    description: str = ""
    channel_id: str = ""
    author: str = ""
    owner_url: str = ""
    publish_date: str = ""
    epoch: int | None = None
    playability: str = ""
    reason: str = ""
    progressive_urls: list[str] = field(default_factory=list)
    thumbnail_urls: list[str] = field(default_factory=list)
    content_length: int = 0
    response: CapturedResponse | None = None

    @property
    def text(self) -> str:
        return f"{self.title}\n\n{self.description}" if self.description else self.title


@dataclass
class CommentInfo:
    """A comment or reply as one `next` answer (or a page) shows it."""

    comment_id: str
    text: str
    author: str
    author_channel_id: str
    is_creator: bool
    published_text: str  # relative, as shown
    published_at: str = ""  # exact, when the source has it
    reply_level: int = 0
    video_id: str = ""
    url: str = ""
    likes: str = ""
    reply_count: str = ""
    hearted: bool = False
    pinned: bool = False
    response: CapturedResponse | None = None

    @property
    def parent_id(self) -> str:
        return self.comment_id.split(".", 1)[0] if self.reply_level else self.video_id


@dataclass
class GridVideo:
    """A video tile of a channel tab or a browse continuation."""

    video_id: str
    title: str
    published_text: str


EMBEDDED = re.compile(r"(?:var\s+|window\[[\"'])(ytInitialPlayerResponse|ytInitialData)(?:[\"']\])?\s*=\s*")


def embedded_json(html_text: str) -> dict[str, list[dict]]:
    """The JSON objects a page assigns to ytInitialPlayerResponse / ytInitialData, by name."""
    decoder = json.JSONDecoder()
    found: dict[str, list[dict]] = {}
    for match in EMBEDDED.finditer(html_text):
        try:
            value, _ = decoder.raw_decode(html_text, match.end())
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(value, dict):
            found.setdefault(match.group(1), []).append(value)
    return found


def documents(response: CapturedResponse) -> Iterator[dict]:
    """Every InnerTube document in a response: a page's embedded objects, or a JSON body."""
    content_type = (response.content_type or "").lower()
    if content_type.startswith(("image/", "video/", "audio/", "font/")) or not response.body:
        return
    try:
        text = response.body.decode("utf-8")
    except UnicodeDecodeError:
        return
    stripped = text.lstrip()
    if "html" in content_type or stripped.startswith("<"):
        for docs in embedded_json(text).values():
            yield from docs
        return
    if stripped.startswith(")]}'"):  # the anti-hijacking prefix of some Google JSON
        stripped = stripped.split("\n", 1)[-1]
    try:
        value = json.loads(stripped)
    except (json.JSONDecodeError, RecursionError):
        return
    if isinstance(value, dict):
        yield value


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _str(value: object) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int) and not isinstance(
        value, bool) else ""


def _text(value: object) -> str:
    """InnerTube text: {"simpleText"}, {"runs": [{"text"}]} or {"content"}."""
    node = _dict(value)
    if isinstance(node.get("simpleText"), str):
        return node["simpleText"]
    if isinstance(node.get("content"), str):
        return node["content"]
    return "".join(_str(_dict(run).get("text")) for run in _list(node.get("runs")))


def read_player(doc: object) -> VideoInfo | None:
    """A player response (ytInitialPlayerResponse or /player) as a VideoInfo; None if it is none."""
    doc = _dict(doc)
    details = _dict(doc.get("videoDetails"))
    status = _dict(doc.get("playabilityStatus"))
    video_id = _str(details.get("videoId"))
    if not video_id or not (status or details.get("title")):
        return None
    micro = _dict(_dict(doc.get("microformat")).get("playerMicroformatRenderer"))
    streaming = _dict(doc.get("streamingData"))
    progressive = [f for f in map(_dict, _list(streaming.get("formats"))) if _str(f.get("url"))]
    thumbs = _list(_dict(details.get("thumbnail")).get("thumbnails")) or _list(
        _dict(micro.get("thumbnail")).get("thumbnails"))
    publish = _str(micro.get("publishDate")) or _str(micro.get("uploadDate"))
    length = _str(progressive[0].get("contentLength")) if progressive else ""
    return VideoInfo(
        video_id=video_id,
        title=_str(details.get("title")) or _text(micro.get("title")),
        description=_str(details.get("shortDescription")) or _text(micro.get("description")),
        channel_id=_str(details.get("channelId")) or _str(micro.get("externalChannelId")),
        author=_str(details.get("author")) or _str(micro.get("ownerChannelName")),
        owner_url=_str(micro.get("ownerProfileUrl")),
        publish_date=publish,
        epoch=_publish_epoch(publish),
        playability=_str(status.get("status")),
        reason=_str(status.get("reason")) or _text(_dict(_dict(status.get("errorScreen")).get(
            "playerErrorMessageRenderer")).get("reason")),
        progressive_urls=[_str(f.get("url")) for f in progressive],
        thumbnail_urls=[_str(_dict(t).get("url")) for t in thumbs if _str(_dict(t).get("url"))],
        content_length=int(length) if length.isdigit() else 0,
    )


def playability_problem(video: VideoInfo | None) -> str | None:
    """Why a video cannot be watched (LOGIN_REQUIRED, ERROR, UNPLAYABLE...), or None if it can."""
    if video is None or video.playability in ("", "OK"):
        return None
    return f"{video.playability}: {video.reason}" if video.reason else video.playability


def _publish_epoch(value: str) -> int | None:
    """publishDate: "2024-01-01T00:12:00-08:00" (exact) or "2019-12-05" (a day: taken as noon UTC)."""
    if not value:
        return None
    try:
        if "T" in value:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return int(moment.timestamp())
        day = date.fromisoformat(value)
        return int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())
    except ValueError:
        return None


def read_comments(doc: object) -> list[CommentInfo]:
    """Comments and replies of one document: entity payloads (2024+) and older commentRenderers."""
    doc = _dict(doc)
    mutations = _list(_dict(_dict(doc.get("frameworkUpdates")).get("entityBatchUpdate")).get("mutations"))
    payloads: dict[str, dict] = {}
    for mutation in map(_dict, mutations):
        for kind, payload in _dict(mutation.get("payload")).items():
            payloads.setdefault(kind, {})[_str(mutation.get("entityKey")) or _str(_dict(payload).get("key"))] = \
                _dict(payload)
    surfaces = _surface_urls(payloads.get("commentSurfaceEntityPayload", {}))
    hearts = {key for key, p in payloads.get("engagementToolbarStateEntityPayload", {}).items()
              if p.get("heartState") == "TOOLBAR_HEART_STATE_HEARTED"}
    views = {(_str(v.get("commentKey"))): v for v in _comment_views(doc)}
    found = []
    for key, payload in payloads.get("commentEntityPayload", {}).items():
        comment = _entity_comment(payload, surfaces)
        if comment is None:
            continue
        view = views.get(key, {})
        comment.hearted = _str(view.get("toolbarStateKey")) in hearts or _str(
            _dict(payload.get("properties")).get("toolbarStateKey")) in hearts
        comment.pinned = bool(view.get("pinnedText"))
        found.append(comment)
    found += [c for c in map(_legacy_comment, _walk(doc)) if c is not None]
    return found


def _comment_views(doc: dict) -> Iterator[dict]:
    for node in _walk(doc):
        view = _dict(_dict(node.get("commentViewModel")).get("commentViewModel"))
        if view:
            yield view


def _surface_urls(surfaces: dict[str, dict]) -> dict[str, tuple[str, str]]:
    """comment id -> (video id, url) from each comment's "published time" link (watch?v=...&lc=...)."""
    found = {}
    for surface in surfaces.values():
        url = _str(_dict(_dict(_dict(_dict(surface.get("publishedTimeCommand")).get("innertubeCommand")).get(
            "commandMetadata")).get("webCommandMetadata")).get("url"))
        query = parse_qs(urlsplit(url).query)
        if query.get("v") and query.get("lc"):
            found[query["lc"][0]] = (query["v"][0], url)
    return found


def _entity_comment(payload: dict, surfaces: dict[str, tuple[str, str]]) -> CommentInfo | None:
    props = _dict(payload.get("properties"))
    author = _dict(payload.get("author"))
    comment_id = _str(props.get("commentId"))
    if not comment_id:
        return None
    toolbar = _dict(payload.get("toolbar"))
    video_id, url = surfaces.get(comment_id, ("", ""))
    level = props.get("replyLevel")
    return CommentInfo(
        comment_id=comment_id, text=_text(props.get("content")), author=_str(author.get("displayName")),
        author_channel_id=_str(author.get("channelId")), is_creator=author.get("isCreator") is True,
        published_text=_str(props.get("publishedTime")), published_at=_str(props.get("publishedAt")),
        reply_level=level if isinstance(level, int) and not isinstance(level, bool) else int("." in comment_id),
        video_id=video_id, url=url, likes=_str(toolbar.get("likeCountNotliked")),
        reply_count=_str(toolbar.get("replyCount")),
    )


def _legacy_comment(node: dict) -> CommentInfo | None:
    """The pre-2024 shape: {"commentRenderer": {commentId, contentText, authorText, publishedTimeText...}}."""
    renderer = _dict(node.get("commentRenderer"))
    comment_id = _str(renderer.get("commentId"))
    if not comment_id:
        return None
    endpoint = _dict(_dict(renderer.get("authorEndpoint")).get("browseEndpoint"))
    return CommentInfo(
        comment_id=comment_id, text=_text(renderer.get("contentText")), author=_text(renderer.get("authorText")),
        author_channel_id=_str(endpoint.get("browseId")), is_creator=renderer.get("authorIsChannelOwner") is True,
        published_text=_text(renderer.get("publishedTimeText")), reply_level=int("." in comment_id),
        likes=_text(renderer.get("voteCount")), reply_count=_str(renderer.get("replyCount")),
        pinned=bool(renderer.get("pinnedCommentBadge")),
        hearted=bool(_dict(_dict(renderer.get("actionButtons")).get("commentActionButtonsRenderer")).get(
            "creatorHeart")),
    )


@dataclass
class ThreadInfo:
    """A comment thread's frame: its replies button ("3 svar") and whether the channel answered in it."""

    comment_id: str
    replies_text: str
    creator_replied: bool
    pinned: bool
    reply_tokens: list[str]


def read_threads(doc: object) -> list[ThreadInfo]:
    found = []
    for node in _walk(doc):
        thread = _dict(node.get("commentThreadRenderer"))
        if not thread:
            continue
        view = _dict(_dict(thread.get("commentViewModel")).get("commentViewModel"))
        legacy = _dict(_dict(thread.get("comment")).get("commentRenderer"))
        comment_id = _str(view.get("commentId")) or _str(legacy.get("commentId"))
        replies = _dict(_dict(thread.get("replies")).get("commentRepliesRenderer"))
        found.append(ThreadInfo(
            comment_id=comment_id,
            replies_text=_text(_dict(_dict(replies.get("viewReplies")).get("buttonRenderer")).get("text")),
            creator_replied=bool(replies.get("viewRepliesCreatorThumbnail")),
            pinned=thread.get("renderingPriority") == "RENDERING_PRIORITY_PINNED_COMMENT" or bool(
                view.get("pinnedText")),
            reply_tokens=continuation_tokens(replies),
        ))
    return found


def read_grid(doc: object) -> list[GridVideo]:
    """Video tiles of a channel tab page or browse continuation (lockupViewModel or gridVideoRenderer)."""
    found = []
    for node in _walk(doc):
        lockup = _dict(node.get("lockupViewModel"))
        if lockup and lockup.get("contentType") in (None, "LOCKUP_CONTENT_TYPE_VIDEO") and lockup.get("contentId"):
            meta = _dict(_dict(lockup.get("metadata")).get("lockupMetadataViewModel"))
            rows = _list(_dict(_dict(meta.get("metadata")).get("contentMetadataViewModel")).get("metadataRows"))
            parts = [_text(_dict(p).get("text")) for row in rows for p in _list(_dict(row).get("metadataParts"))]
            when = next((p for p in parts if _age_range(p) is not None), "")
            found.append(GridVideo(_str(lockup["contentId"]), _text(meta.get("title")), when))
        for key in ("gridVideoRenderer", "videoRenderer"):
            renderer = _dict(node.get(key))
            if renderer.get("videoId"):
                found.append(GridVideo(_str(renderer["videoId"]), _text(renderer.get("title")),
                                       _text(renderer.get("publishedTimeText"))))
    return found


def continuation_tokens(doc: object) -> list[str]:
    """Every continuation token a document offers (more videos, comments, replies)."""
    tokens = []
    for node in _walk(doc):
        command = _dict(node.get("continuationCommand"))
        if _str(command.get("token")):
            tokens.append(command["token"])
    return tokens


def _channel_handles(doc: dict, owners: dict[str, str]) -> None:
    meta = _dict(_dict(doc.get("metadata")).get("channelMetadataRenderer"))
    channel_id = _str(meta.get("externalId"))
    handle = _handle_of(_str(meta.get("vanityChannelUrl")))
    if channel_id and handle:
        owners[channel_id] = handle


def _handle_of(url: str) -> str:
    match = re.search(r"/@([^/?#]+)", url)
    return match.group(1) if match else ""


def _read_document(doc: dict, response: CapturedResponse, videos: dict[str, VideoInfo],
                   comments: dict[str, CommentInfo], owners: dict[str, str]) -> None:
    _channel_handles(doc, owners)
    video = read_player(doc)
    if video is not None:
        video.response = response
        known = videos.get(video.video_id)
        if known is None or (known.epoch is None and video.epoch is not None):
            videos[video.video_id] = video
        else:  # another load of the same page: its media URLs are candidates too
            known.progressive_urls += [u for u in video.progressive_urls if u not in known.progressive_urls]
            known.thumbnail_urls += [u for u in video.thumbnail_urls if u not in known.thumbnail_urls]
    for comment in read_comments(doc):
        comment.response = response
        known_comment = comments.get(comment.comment_id)
        if known_comment is None or len(comment.text) > len(known_comment.text) or (
                comment.video_id and not known_comment.video_id):
            comments[comment.comment_id] = comment


# --------------------------------------------------------------------------------- items


def _year_bounds(year: int) -> tuple[int, int]:
    start = datetime(year, 1, 1, tzinfo=STOCKHOLM)
    end = datetime(year + 1, 1, 1, tzinfo=STOCKHOLM)
    return int(start.timestamp()), int(end.timestamp())


def _stockholm_year(epoch: int) -> int:
    return datetime.fromtimestamp(epoch, STOCKHOLM).year


def _age_range(text: str) -> tuple[int, int] | None:
    """Seconds of age a relative time means: "för 2 veckor sedan" -> [14 days, 21 days)."""
    match = RELATIVE.search(text or "")
    if not match:
        return None
    unit = UNITS.get(match.group(2).lower())
    if unit is None:
        return None
    number = int(match.group(1))
    return number * unit, (number + 1) * unit


def _published_range(text: str, now: float) -> tuple[float, float]:
    """Earliest and latest publication a relative time allows (wide open if it is not understood)."""
    ages = _age_range(text)
    if ages is None:
        return -math.inf, math.inf
    slack = BEHAVIOUR["slack_days"] * DAY + ages[0] * 0.05
    return now - ages[1] - slack, now - ages[0] + slack


def resolve_relative(text: str, reference: datetime) -> datetime | None:
    """An estimate of when "för 3 månader sedan" / "4 years ago" was, seen from `reference`."""
    ages = _age_range(text)
    return reference - timedelta(seconds=ages[0]) if ages else None


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


def _site_root(url: str) -> str:
    """Scheme, host and any prefix before YouTube's own paths (the sandbox serves under /youtube)."""
    parts = urlsplit(url)
    path = parts.path
    for marker in ("/watch", "/youtubei/", "/@", "/channel/"):
        if marker in path:
            path = path[: path.index(marker)]
            break
    return f"{parts.scheme}://{parts.netloc}{path}"


def _is_account_video(video: VideoInfo, account: Account, owners: dict[str, str]) -> bool:
    handle = _handle_of(video.owner_url) or owners.get(video.channel_id, "")
    if account.handle and handle:
        return handle.lower() == account.handle.lstrip("@").lower()
    return video.author == account.name


def _choose(urls: list[str], complete: set[str]) -> str:
    """The URL whose full (200) answer the WARC holds; else the first offered."""
    return next((u for u in urls if u in complete), urls[0] if urls else "")


def _source(response: CapturedResponse | None) -> SourceRecord:
    if response is None:
        return SourceRecord()
    return SourceRecord(warc_file=response.warc_file, record_id=response.record_id, offset=response.offset,
                        url=response.url)


def _watch_url(video: VideoInfo) -> str:
    base = video.response.url if video.response else "https://www.youtube.com/"
    return f"{_site_root(base)}/watch?v={video.video_id}"


def _post_item(video: VideoInfo, account: Account, complete: set[str]) -> Item:
    media = []
    film = _choose(video.progressive_urls, complete)
    if film:
        media.append(MediaRef(url=film, kind="video"))
    thumbnail = _choose(video.thumbnail_urls, complete)
    if thumbnail:
        media.append(MediaRef(url=thumbnail, kind="image"))
    return Item(
        id=video.video_id, parent_id=None, platform="youtube", account=account.id, item_type="post",
        author=video.author, author_is_account=True,
        published_at=datetime.fromtimestamp(video.epoch or 0, UTC), text=video.text, permalink=_watch_url(video),
        media=media, source=_source(video.response), post_id=video.video_id,
    )


def comment_time(comment: CommentInfo) -> datetime:
    if comment.published_at:
        try:
            moment = datetime.fromisoformat(comment.published_at.replace("Z", "+00:00"))
            return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    # The real site says only "för 2 år sedan": an estimate, counted from when the answer was recorded.
    seen = recorded_at(comment.response)
    return resolve_relative(comment.published_text, seen) or seen


def recorded_at(response: CapturedResponse | None) -> datetime:
    """The WARC-Date of the response (when the platform said "2 år sedan"); now if it is unknown."""
    try:
        moment = datetime.fromisoformat(response.date.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _comment_item(comment: CommentInfo, video: VideoInfo, account: Account) -> Item:
    own = comment.is_creator or (bool(video.channel_id) and comment.author_channel_id == video.channel_id)
    permalink = urljoin(_watch_url(video), comment.url) if comment.url else \
        f"{_watch_url(video)}&lc={comment.comment_id}"
    return Item(
        id=comment.comment_id, parent_id=comment.parent_id, platform="youtube", account=account.id,
        item_type="reply" if comment.reply_level else "comment", author=comment.author, author_is_account=own,
        published_at=comment_time(comment), text=comment.text, permalink=permalink,
        source=_source(comment.response), post_id=video.video_id,
    )
