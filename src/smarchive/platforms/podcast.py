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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from lxml import etree
from lxml import html as lxml_html
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Request, Response

from smarchive.errors import CaptureError
from smarchive.model import Account, Item, MediaRef, SourceRecord
from smarchive.platforms.base import CaptureContext, CapturedResponse, Extraction
from smarchive.platforms.toolkit import counted
from smarchive.platforms.web import PageWatch, grow_to_bottom, open_page, settle, sweep

STOCKHOLM = ZoneInfo("Europe/Stockholm")

BEHAVIOUR: dict = {
    "max_feed_pages": 100,  # rel="next" pages followed at most
    "fetch_timeout_ms": 120_000,  # one enclosure, through every redirect
    "max_fetch_attempts": 6,  # per file, counting 429/503 answers waited out
    "feed_link": 'link[rel=alternate][type="application/rss+xml"], link[rel=alternate][type="application/atom+xml"]',
}

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "media": "http://search.yahoo.com/mrss/",
}
HTML_MARKUP = re.compile(r"</?(p|br|a|div|span|ul|ol|li|strong|em|b|i|h\d)\b[^>]*>", re.IGNORECASE)
REDIRECT_LINK = re.compile(r"""href\s*=\s*["']([^"']+)["']|Redirecting to\s+(\S+)""", re.IGNORECASE)
MAX_HOPS = 10

# Fetch from inside the page: no-cors, so another host's file is fetched (the body stays opaque to the
# script, the browser and the proxy still get it); no-store, so the HTTP cache cannot answer instead.
FETCH_JS = "url => fetch(url, {mode: 'no-cors', cache: 'no-store', credentials: 'include'}).then(r => r.type)"


@dataclass
class Episode:
    guid: str
    title: str
    description: str
    link: str
    published: datetime | None  # UTC
    enclosure_url: str
    enclosure_length: int | None
    enclosure_type: str
    duration: str
    episode: str
    artwork: str

    @property
    def text(self) -> str:
        return f"{self.title}\n\n{self.description}" if self.description else self.title


@dataclass
class Feed:
    url: str
    title: str
    link: str  # the show's web page
    author: str
    next_url: str
    episodes: list[Episode] = field(default_factory=list)


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
        for response in responses:
            by_url.setdefault(response.url, []).append(response)
            if not 200 <= response.status < 300:
                continue
            feed = parse_feed(response.body, response.url, response.content_type)
            for episode in feed.episodes if feed else []:
                if _of_year(episode, year) and episode.guid not in found:
                    found[episode.guid] = (episode, feed, response)
        items = [_to_item(episode, feed, response, account, by_url) for episode, feed, response in found.values()]
        return Extraction(sorted(items, key=lambda item: (item.published_at, item.id)))


# --------------------------------------------------------------------------------- feed parsing

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)


def parse_feed(body: bytes, url: str, content_type: str = "") -> Feed | None:
    """An RSS 2.0 document's channel and items, or None if the body is not one."""
    kind = content_type.lower()
    if kind.startswith(("image/", "audio/", "video/", "font/")) or b"<rss" not in body[:4096]:
        return None
    try:
        root = etree.fromstring(body, PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None or etree.QName(root).localname != "rss":
        return None
    channel = root.find("channel")
    if channel is None:
        return None
    feed = Feed(url=url, title=_text(channel, "title"), link=urljoin(url, _text(channel, "link")),
                author=_text(channel, "itunes:author") or _text(channel, "title"), next_url=_next(channel, url))
    feed.episodes = [e for e in (_episode(node, url) for node in channel.findall("item")) if e is not None]
    return feed


def _text(node: etree._Element, path: str) -> str:
    found = node.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _attr(node: etree._Element, path: str, name: str) -> str:
    found = node.find(path, NS)
    return (found.get(name) or "").strip() if found is not None else ""


def _next(channel: etree._Element, url: str) -> str:
    for link in channel.findall("atom:link", NS):
        if link.get("rel") == "next" and link.get("href"):
            return urljoin(url, link.get("href"))
    return ""


def _episode(node: etree._Element, url: str) -> Episode | None:
    title = _text(node, "title") or _text(node, "itunes:title")
    description = (_plain(_text(node, "description")) or _plain(_text(node, "itunes:summary"))
                   or _plain(_text(node, "content:encoded")))
    enclosure = node.find("enclosure")
    enclosure_url = urljoin(url, (enclosure.get("url") or "").strip()) if enclosure is not None else ""
    length = (enclosure.get("length") or "").strip() if enclosure is not None else ""
    link = _text(node, "link")
    guid = _text(node, "guid") or enclosure_url or link
    if not guid or not (title or description):
        return None
    return Episode(
        guid=guid, title=title, description=description, link=urljoin(url, link) if link else "",
        published=_date(_text(node, "pubDate")), enclosure_url=enclosure_url,
        enclosure_length=int(length) if length.isdigit() else None,
        enclosure_type=(enclosure.get("type") or "").strip() if enclosure is not None else "",
        duration=_text(node, "itunes:duration"), episode=_text(node, "itunes:episode"),
        artwork=urljoin(url, _attr(node, "itunes:image", "href")) if _attr(node, "itunes:image", "href") else "",
    )


def _plain(text: str) -> str:
    """Descriptions are plain text or HTML (often both across one feed): HTML is flattened to paragraphs."""
    if not HTML_MARKUP.search(text):
        return text.strip()
    fragment = lxml_html.fragment_fromstring(text, create_parent="div")
    for br in fragment.iter("br"):
        br.tail = "\n" + (br.tail or "")
    blocks = [_squash(node.text_content()) for node in fragment.iter("p", "li", "h1", "h2", "h3", "h4")]
    blocks = [block for block in blocks if block]
    return "\n\n".join(blocks) if blocks else _squash(fragment.text_content())


def _squash(text: str) -> str:
    """Whitespace as a reader sees it: runs of spaces collapsed, line breaks (from <br>) kept."""
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()


def _date(value: str) -> datetime | None:
    """RFC 822 as the spec says, ISO 8601 as some hosts write; a date without a zone is taken as UTC."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _show_id(ctx: CaptureContext) -> str:
    """The item id the show page's snapshot is tied to."""
    return f"show:{ctx.account.handle or ctx.account.id}"


def _of_year(episode: Episode, year: int) -> bool:
    return episode.published is not None and episode.published.astimezone(STOCKHOLM).year == year


def _unique(episodes: Iterable[Episode]) -> list[Episode]:
    found: dict[str, Episode] = {}
    for episode in episodes:
        found.setdefault(episode.guid, episode)
    return sorted(found.values(), key=lambda e: (e.published or datetime.min.replace(tzinfo=UTC), e.guid))


# --------------------------------------------------------------------------------- helpers


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
        }.items() if v},
    )
