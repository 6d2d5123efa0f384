"""Reading podcast feeds: RSS 2.0 with the itunes and podcast (Podcasting 2.0) namespaces.

A feed is the account: its identity is the show's `podcast:guid` (stable across moves of the feed), else the
feed URL it names as its own (`itunes:new-feed-url`, `atom:link rel="self"`). Episodes are posts, keyed by their
`<guid>`. The feed shows how many episodes it lists (its `<item>`s, per year of pubDate), which the extraction
compares with the episodes it could read; a `rel="next"` page (RFC 5005) the capture did not record is named.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree
from lxml import html as lxml_html

from smarchive.model import STOCKHOLM
from smarchive.platforms.toolkit import titled_text

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "media": "http://search.yahoo.com/mrss/",
    "podcast": "https://podcastindex.org/namespace/1.0",
}
HTML_MARKUP = re.compile(r"</?(p|br|a|div|span|ul|ol|li|strong|em|b|i|h\d)\b[^>]*>", re.IGNORECASE)


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
    season: str = ""
    episode_type: str = ""  # itunes:episodeType: full, trailer, bonus
    blocked: bool = False  # itunes:block yes: hidden from directories, still published in the feed

    @property
    def text(self) -> str:
        return titled_text(self.title, self.description)


@dataclass
class Feed:
    url: str
    title: str
    link: str  # the show's web page
    author: str
    next_url: str
    episodes: list[Episode] = field(default_factory=list)
    podcast_guid: str = ""  # podcast:guid, the show's stable id
    own_urls: list[str] = field(default_factory=list)  # URLs the feed names as its own (self, new-feed-url)
    listed: Counter = field(default_factory=Counter)  # year (Stockholm, of pubDate) -> <item>s the feed lists
    # year -> keys of those <item>s (guid, else title and pubDate): one episode listed by several recordings of
    # a feed page (a resumed run meets the sandbox, or a CDN, under another URL) is counted once
    listed_keys: dict[int, set[str]] = field(default_factory=dict)
    undated: int = 0  # <item>s without a readable pubDate
    unreadable: int = 0  # <item>s that are no episode this can key (no guid, enclosure or link; no title)

    @property
    def platform_id(self) -> str:
        """The show's identity: its podcast:guid, else the feed URL it names as its own, else where it was read."""
        return self.podcast_guid or (self.own_urls[0] if self.own_urls else self.url)


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
    nodes = channel.findall("item")
    feed.episodes = [e for e in (_episode(node, url) for node in nodes) if e is not None]
    feed.unreadable = len(nodes) - len(feed.episodes)
    feed.podcast_guid = _text(channel, "podcast:guid")
    feed.own_urls = [u for u in (_text(channel, "itunes:new-feed-url"), _self_link(channel, url)) if u]
    for node in nodes:
        published = _date(_text(node, "pubDate"))
        if published is None:
            feed.undated += 1
        else:
            year = published.astimezone(STOCKHOLM).year
            feed.listed[year] += 1
            key = _text(node, "guid") or f"{_text(node, 'title')}|{_text(node, 'pubDate')}"
            feed.listed_keys.setdefault(year, set()).add(key)
    return feed


def _self_link(channel: etree._Element, url: str) -> str:
    for link in channel.findall("atom:link", NS):
        if link.get("rel") == "self" and link.get("href"):
            return urljoin(url, link.get("href"))
    return ""


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
        season=_text(node, "itunes:season") or _attr(node, "podcast:season", "name") or _text(node, "podcast:season"),
        episode_type=_text(node, "itunes:episodeType"),
        blocked=_text(node, "itunes:block").lower() == "yes",
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

