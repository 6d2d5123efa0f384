"""Podcasts: an RSS feed with audio (or video) files. Episodes are posts; they have no comments.

Capture: open the feed in the browser (following RFC 5005 `rel="next"` pages: hosts cut long
feeds), then the show page the channel links to, then each episode of the year on its own page
(snapshot there, in context), and fetch every enclosure and artwork of the year from inside that
page, so the request goes through the recording proxy and the bytes land in the WARC. Enclosure
URLs pass through tracking redirects to signed URLs that expire: the bytes are kept now. The
declared enclosure length is checked against the bytes received; a mismatch is a warning.
(Playwright's APIRequestContext is not used: through the recording proxy it fails with
ECONNRESET for http targets; an in-page fetch goes through the browser's own network stack.)

Extract: episodes of the year from every recorded feed document, with their feed metadata.
The text is title + blank line + description (plain text; HTML descriptions are flattened).
The episode's media are its enclosure, resolved through the recorded redirects to the response
that holds the bytes, and its artwork.

Year rule: an episode belongs to the Stockholm-time year of its pubDate.
"""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import resources
from urllib.parse import urljoin

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Request, Response

from smarchive.errors import CaptureError
from smarchive.model import STOCKHOLM, Account, Item, MediaRef, SourceRecord
from smarchive.platforms.base import CaptureContext, CapturedResponse, Extraction, Owner, Reported
from smarchive.platforms.podcast_read import Episode, Feed, parse_feed
from smarchive.platforms.toolkit import counted
from smarchive.platforms.web import PageWatch, grow_to_bottom, open_page, settle, sweep

__all__ = ["Episode", "Feed", "PodcastAdapter", "parse_feed", "resolve_media"]


# How the capture behaves, as data (podcast.toml beside this module).
BEHAVIOUR: dict = tomllib.loads(resources.files("smarchive.platforms").joinpath("podcast.toml").read_text("utf-8"))

REDIRECT_LINK = re.compile(r"""href\s*=\s*["']([^"']+)["']|Redirecting to\s+(\S+)""", re.IGNORECASE)
MAX_HOPS = 10

# Fetch from inside the page: no-cors, so another host's file is fetched (the body stays opaque to the
# script, the browser and the proxy still get it); no-store, so the HTTP cache cannot answer instead.
FETCH_JS = "url => fetch(url, {mode: 'no-cors', cache: 'no-store', credentials: 'include'}).then(r => r.type)"


class PodcastAdapter:
    platform = "podcast"

    # ----------------------------------------------------------------------------- capture

    def capture(self, ctx: CaptureContext) -> None:
        page = ctx.context.new_page()
        try:
            feeds = self._read_feeds(page, ctx)
            episodes = _unique(e for feed in feeds for e in feed.episodes if _of_year(e, ctx.year))
            undated = [e.guid for feed in feeds for e in feed.episodes if e.published is None]
            if undated:
                ctx.warn(f"{len(undated)} episode(s) without a readable pubDate, not archived: {undated[:5]}")
            ctx.progress(f"{feeds[0].title}: {counted(len(episodes), 'episode')} of {ctx.year} "
                         f"in {counted(len(feeds), 'feed page')}")
            if feeds[0].link and not ctx.already_captured(_show_id(ctx)):
                self._show_page(page, ctx, feeds[0].link)
            for number, episode in enumerate(episodes, start=1):
                if ctx.already_captured(episode.guid):
                    ctx.progress(f"episode {number}/{len(episodes)} {episode.guid}: already captured")
                    continue
                self._episode(page, ctx, episode)
                ctx.progress(f"episode {number}/{len(episodes)} {episode.guid}: {episode.title[:60]}")
        finally:
            page.close()

    def _read_feeds(self, page: Page, ctx: CaptureContext) -> list[Feed]:
        url = ctx.account_url
        feeds: list[Feed] = []
        seen: set[str] = set()
        while url and url not in seen and len(feeds) < BEHAVIOUR["max_feed_pages"]:
            seen.add(url)
            response = open_page(page, ctx, url)
            feed = parse_feed(response.body(), response.url)
            if feed is None and not feeds:
                url = self._alternate_feed(page, url)  # a show page was configured: find its feed
                if url:
                    continue
            if feed is None:
                raise CaptureError(f"{response.url} is not an RSS feed "
                                   f"(Content-Type {response.headers.get('content-type', '-')})")
            feeds.append(feed)
            url = feed.next_url
        if url and url not in seen:
            ctx.warn(f"feed {ctx.account_url}: stopped after {len(feeds)} pages; older episodes not read")
        return feeds

    @staticmethod
    def _alternate_feed(page: Page, url: str) -> str:
        try:
            href = page.locator(BEHAVIOUR["feed_link"]).first.get_attribute("href", timeout=1_000)
        except PlaywrightError:
            href = None
        return urljoin(url, href) if href else ""

    def _show_page(self, page: Page, ctx: CaptureContext, url: str) -> None:
        watch = PageWatch(page)
        try:
            open_page(page, ctx, url)
        except CaptureError as error:  # the episodes are in the feed: the show page is context only
            ctx.warn(f"show page not recorded: {error}")
            return
        watch.pending.clear()  # the navigation's own 429s were waited out by ctx.goto
        grow_to_bottom(page, ctx, watch)
        sweep(page, ctx, watch)
        settle(page)
        ctx.snapshot(page, _show_id(ctx))

    def _episode(self, page: Page, ctx: CaptureContext, episode: Episode) -> None:
        """The episode page, its artwork and audio; the snapshot last, as it marks the episode done."""
        opened = False
        if episode.link:
            try:
                open_page(page, ctx, episode.link)
                settle(page)
                opened = True
            except CaptureError as error:
                ctx.warn(f"episode {episode.guid}: page not recorded: {error}")
        self._media(page, ctx, episode)
        if opened:
            ctx.snapshot(page, episode.guid)

    def _media(self, page: Page, ctx: CaptureContext, episode: Episode) -> None:
        if episode.artwork:
            self._fetch(page, ctx, episode.artwork, f"artwork of {episode.guid}")
        if not episode.enclosure_url:
            ctx.warn(f"episode {episode.guid} has no enclosure")
            return
        response = self._fetch(page, ctx, episode.enclosure_url, f"enclosure of {episode.guid}")
        if response is not None:
            self._check_length(ctx, episode, response)

    def _fetch(self, page: Page, ctx: CaptureContext, url: str, what: str) -> Response | None:
        """Fetch a file from inside the page, through every redirect; waits out 429/503."""
        for _ in range(BEHAVIOUR["max_fetch_attempts"]):
            try:
                with page.expect_response(lambda r: _final_of(r, url), timeout=BEHAVIOUR["fetch_timeout_ms"]) as info:
                    page.evaluate(FETCH_JS, url)
                response = info.value
                response.finished()
            except PlaywrightError as error:
                ctx.warn(f"{what} could not be fetched: {error.message.splitlines()[0]}")
                return None
            if response.status in (429, 503):
                ctx.throttled(f"{what}: HTTP {response.status}", response.headers.get("retry-after"))
                continue
            if response.status >= 400:
                ctx.warn(f"{what}: HTTP {response.status} from {response.url}")
                return None
            return response
        ctx.warn(f"{what}: still throttled after {BEHAVIOUR['max_fetch_attempts']} attempts")
        return None

    @staticmethod
    def _check_length(ctx: CaptureContext, episode: Episode, response: Response) -> None:
        received = _received_bytes(response)
        declared = episode.enclosure_length
        if declared and received is not None and received != declared:
            ctx.warn(f"episode {episode.guid}: enclosure length in the feed is {declared} bytes, "
                     f"{received} bytes were received from {response.url}")
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        if episode.enclosure_type and kind and kind != episode.enclosure_type:
            ctx.warn(f"episode {episode.guid}: enclosure type in the feed is {episode.enclosure_type}, "
                     f"the server sent {kind}")

    # ----------------------------------------------------------------------------- extract

    def extract(self, responses: Iterable[CapturedResponse], account: Account, year: int) -> Extraction:
        found: dict[str, tuple[Episode, Feed, CapturedResponse]] = {}
        by_url: dict[str, list[CapturedResponse]] = {}
        feeds: dict[str, tuple[Feed, CapturedResponse]] = {}  # feed page URL -> its fullest recording
        notes: list[str] = []
        unreadable: list[CapturedResponse] = []  # answers that should have been a feed and are not
        for response in responses:
            by_url.setdefault(response.url, []).append(response)
            if not 200 <= response.status < 300:
                continue
            feed = parse_feed(response.body, response.url, response.content_type)
            if feed is None:
                if _is_feed_answer(response, account):
                    unreadable.append(response)
                continue
            if not _is_accounts_feed(feed, account):
                notes.append(f"podcast: {response.url} is the feed of another show ({feed.platform_id}); left out")
                continue
            known = feeds.get(response.url)
            # A copy cut short lists fewer episodes (or shorter ones): the fullest recording of each page counts.
            if known is None or (len(feed.episodes), len(response.body)) > (len(known[0].episodes), len(known[1].body)):
                feeds[response.url] = (feed, response)
        for feed, response in feeds.values():  # the fullest recording of each feed page
            for episode in feed.episodes:
                if _of_year(episode, year) and episode.guid not in found:
                    found[episode.guid] = (episode, feed, response)
        items = [_to_item(episode, feed, response, account, by_url) for episode, feed, response in found.values()]
        notes += [f"podcast: {r.url} (record {r.record_id}) is not a readable RSS feed "
                  f"({r.content_type or 'no content type'}, {len(r.body)} bytes)"
                  for r in unreadable if r.url not in feeds]  # unless it was fetched readably again
        notes += _feed_notes(feeds)
        return Extraction(sorted(items, key=lambda item: (item.published_at, item.id)),
                          reported=_listed(feeds, year), owners=_owners(feeds, account), notes=notes)


# --------------------------------------------------------------------------------- helpers


def _show_id(ctx: CaptureContext) -> str:
    """The item id the show page's snapshot is tied to."""
    return f"show:{ctx.account.handle or ctx.account.id}"


def _is_feed_answer(response: CapturedResponse, account: Account) -> bool:
    """An answer that should have been a feed: the account's own feed URL, or a URL of the feed patterns."""
    own = account.url.split(":", 1)[1] if account.url.startswith("sandbox:") else account.url.split("://", 1)[-1]
    # The account may name its show page (HTML, whose feed link the capture follows): that is no broken feed.
    page = "html" in (response.content_type or "").lower()
    return (bool(own) and response.url.endswith(own) and not page) or any(
        re.search(pattern, response.url) for pattern in BEHAVIOUR["item_url_patterns"])


def _is_accounts_feed(feed: Feed, account: Account) -> bool:
    """With a platform id in the register (podcast:guid or feed URL) only that show's feed is the account's; without
    one, every feed the account's capture recorded is (the capture follows only the account's own feed)."""
    if not account.platform_id:
        return True
    return account.platform_id in (feed.podcast_guid, feed.url, *feed.own_urls)


def _feed_notes(feeds: dict[str, tuple[Feed, CapturedResponse]]) -> list[str]:
    notes = []
    for url, (feed, response) in feeds.items():
        if feed.next_url and feed.next_url not in feeds:
            notes.append(f"podcast: feed page {url} links to a next page {feed.next_url} that was not recorded: "
                         f"its episodes are missing")
        if feed.unreadable:
            notes.append(f"podcast: {feed.unreadable} episodes of {url} (record {response.record_id}) could not be "
                         f"read (no guid, enclosure or link, or no title); left out")
        if feed.undated:
            notes.append(f"podcast: {feed.undated} episodes without a readable pubDate in {url} "
                         f"(record {response.record_id}); left out")
    return notes


def _listed(feeds: dict[str, tuple[Feed, CapturedResponse]], year: int) -> list[Reported]:
    """The episodes the recorded feed pages list for the year (their <item>s), to compare with those read."""
    if not feeds:
        return []
    count = len(set().union(*(feed.listed_keys.get(year, set()) for feed, _ in feeds.values())))
    first = next(iter(feeds.values()))[1]
    return [Reported("posts", count, year=year, source=_source(first),
                     note="episodes the recorded feed pages list for the year")]


def _owners(feeds: dict[str, tuple[Feed, CapturedResponse]], account: Account) -> list[Owner]:
    found: dict[str, Owner] = {}
    for feed, response in feeds.values():
        found.setdefault(feed.platform_id, Owner(feed.platform_id, account.handle, feed.title, _source(response)))
    return list(found.values())


def _source(response: CapturedResponse) -> SourceRecord:
    return SourceRecord(warc_file=response.warc_file, record_id=response.record_id, offset=response.offset,
                        url=response.url)


def _of_year(episode: Episode, year: int) -> bool:
    return episode.published is not None and episode.published.astimezone(STOCKHOLM).year == year


def _unique(episodes: Iterable[Episode]) -> list[Episode]:
    found: dict[str, Episode] = {}
    for episode in episodes:
        found.setdefault(episode.guid, episode)
    return sorted(found.values(), key=lambda e: (e.published or datetime.min.replace(tzinfo=UTC), e.guid))




def _root(request: Request) -> Request:
    while request.redirected_from is not None:
        request = request.redirected_from
    return request


def _final_of(response: Response, url: str) -> bool:
    """The last response of the redirect chain that started at `url`."""
    return not 300 <= response.status < 400 and _root(response.request).url == url


def _received_bytes(response: Response) -> int | None:
    try:
        return len(response.body())
    except PlaywrightError:  # bodies the browser did not keep: the size on the wire (no content coding)
        size = response.request.sizes().get("responseBodySize")
        return size if isinstance(size, int) and size >= 0 else None


def _location(response: CapturedResponse) -> str:
    """Where a recorded redirect points: its Location header when the record carries headers, else the
    link most servers put in a redirect's body."""
    headers = getattr(response, "headers", None)  # not on CapturedResponse yet (see the report)
    if isinstance(headers, dict):
        value = headers.get("location") or headers.get("Location")
    elif isinstance(headers, list):
        value = next((v for k, v in headers if k.lower() == "location"), None)
    else:
        value = None
    if not value:
        match = REDIRECT_LINK.search(response.body[:4096].decode("utf-8", "replace"))
        value = html.unescape(match.group(1) or match.group(2)) if match else None
    return urljoin(response.url, value) if value else ""


def resolve_media(url: str, by_url: dict[str, list[CapturedResponse]], length: int | None = None) -> str:
    """The URL whose recorded response holds the bytes `url` led to, through recorded redirects.

    Several chains may have been recorded (a player and the capture's own fetch): a complete one
    (bytes == declared length) wins, else the largest. Returns `url` itself if nothing was recorded.
    """
    candidates: list[CapturedResponse] = []
    queue, seen = [url], set()
    while queue and len(seen) < MAX_HOPS * 8:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        for response in by_url.get(current, []):
            if 300 <= response.status < 400:
                target = _location(response)
                if target:
                    queue.append(target)
            elif 200 <= response.status < 300 and response.body:
                candidates.append(response)
    if not candidates:
        return url
    best = max(candidates, key=lambda r: (len(r.body) == length, len(r.body)))
    return best.url


def _media_kind(mime: str, url: str) -> str:
    if mime.startswith("video/") or url.lower().split("?")[0].endswith((".mp4", ".m4v", ".mov", ".webm")):
        return "video"
    return "audio"


def _to_item(episode: Episode, feed: Feed, response: CapturedResponse, account: Account,
             by_url: dict[str, list[CapturedResponse]]) -> Item:
    media = []
    if episode.enclosure_url:
        final = resolve_media(episode.enclosure_url, by_url, episode.enclosure_length)
        media.append(MediaRef(url=final, kind=_media_kind(episode.enclosure_type, episode.enclosure_url)))
    if episode.artwork:
        media.append(MediaRef(url=resolve_media(episode.artwork, by_url), kind="image"))
    assert episode.published is not None
    return Item(
        id=episode.guid, parent_id=None, platform="podcast", account=account.id, item_type="post",
        author=feed.author, author_is_account=True, published_at=episode.published, text=episode.text,
        permalink=episode.link, media=media,
        source=SourceRecord(warc_file=response.warc_file, record_id=response.record_id, offset=response.offset,
                            url=response.url),
        post_id=episode.guid,
        extra={k: v for k, v in {
            "title": episode.title, "duration": episode.duration, "episode": episode.episode,
            "enclosure_url": episode.enclosure_url, "enclosure_type": episode.enclosure_type,
            "enclosure_length": "" if episode.enclosure_length is None else str(episode.enclosure_length),
            "season": episode.season, "episode_type": episode.episode_type,
            "itunes_block": "yes" if episode.blocked else "",
        }.items() if v},
    )
