"""Reading LinkedIn's recorded answers: Voyager JSON (old and "dash" generations), rehydration blobs of
permalink pages, and the logged-out company page.

Generations read:
- Voyager JSON with nested entities (what the sandbox serves): `Update` with `updateMetadata.urn`, `Comment`
  with `urn`, `parentCommentUrn` and a nested `socialDetail.totalSocialActivityCounts`;
- Voyager "normalized" answers (`application/vnd.linkedin.normalized+json+2.1`, 2023+): the entities sit
  side by side in `included[]` and point at each other by urn. A reply's `Comment` carries no parent: the
  parent is the comment whose `SocialDetail` lists it in `comments["*elements"]` (or, failing that, the
  `commentUrn` of the reply's own permalink). Counts come from `SocialDetail.comments.paging.total` and
  `SocialActivityCounts.numComments`;
- the logged-out company page (`article.main-feed-activity-card`), with times from the activity ids.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urljoin, urlsplit

import lxml.html
from lxml import etree

from smarchive.model import SourceRecord
from smarchive.platforms.base import CapturedResponse, Owner, Reported
from smarchive.platforms.found import Found, Reading  # Reading: item-shaped are Comment/Update entities
from smarchive.platforms.jsondata import as_dict as _dict
from smarchive.platforms.jsondata import walk as _walk
from smarchive.platforms.toolkit import count_of, epoch_of, json_documents

LATEST_MS = 4_102_444_800_000  # 2100-01-01: anything later is not a timestamp
ACTIVITY = re.compile(r"urn:li:activity:(\d+)")
COMMENT = re.compile(r"urn:li:comment:\((?:activity|ugcPost):(\d+),(\d+)\)")
DASH_COMMENT = re.compile(r"urn:li:fsd_comment:\((\d+),urn:li:(?:activity|ugcPost):(\d+)\)")
ORGANIZATION = re.compile(r"urn:li:(?:organization|company|fsd_company|fs_normalized_company|fs_company):(\d+)")
GUEST_ORGANIZATION = re.compile(r'data-semaphore-content-type="COMPANY"[^>]*?data-semaphore-content-urn='
                                r'"(urn:li:organization:\d+)"')


def activity_time_ms(urn: str) -> int | None:
    """Epoch ms a LinkedIn activity id carries in its bits 22 and up."""
    match = ACTIVITY.search(urn or "")
    if not match:
        return None
    ms = int(match.group(1)) >> 22
    return ms if 0 < ms < LATEST_MS else None


def organization_id(urn: str) -> str:
    """`urn:li:organization:N` for any of LinkedIn's spellings of a company urn, else ""."""
    match = ORGANIZATION.search(urn or "")
    return f"urn:li:organization:{match.group(1)}" if match else ""


def company_handle(url: str) -> str:
    """`orebro-kommun` from …/company/orebro-kommun/…, else ""."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    return parts[parts.index("company") + 1] if "company" in parts[:-1] else ""




def read_response(response: CapturedResponse, content_type: str) -> Reading:
    try:
        text = response.body.decode("utf-8")
    except UnicodeDecodeError:
        return Reading()
    reading = Reading()
    stripped = text.lstrip()
    is_html = "html" in content_type or stripped.startswith("<")
    documents = _html_blobs(text) if is_html else json_documents(stripped)
    for document in documents:
        _read_document(document, response, reading)
    if is_html and "main-feed-activity-card" in text:
        _read_guest_page(text, response, reading)
    return reading


def _read_document(document: object, response: CapturedResponse, reading: Reading) -> None:
    nodes = list(_walk(document))
    parents = _reply_parents(nodes)
    for node in nodes:
        kind = _str(node.get("$type"))
        if kind.endswith((".Update", ".Comment")):
            reading.item_shaped += 1
        raw = _raw_item(node, response, parents)
        if raw is not None:
            reading.found.append(raw)
        reading.reported += _counts(node, response)
        owner = _owner(node, response)
        if owner is not None:
            reading.owners.append(owner)


CODE_BLOB = re.compile(r"<code\b[^>]*\bid=[\"']bpr-guid-[^\"']*[\"'][^>]*>(.*?)</code\s*>", re.IGNORECASE | re.DOTALL)
SCRIPT_JSON = re.compile(
    r"<script\b(?=[^>]*\btype\s*=\s*[\"']application/json[\"'])[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)


def _html_blobs(text: str) -> Iterator[object]:
    """LinkedIn's rehydration blobs: HTML-escaped JSON in hidden <code> elements; also JSON scripts."""
    for match in CODE_BLOB.finditer(text):
        yield from json_documents(html.unescape(match.group(1)).strip())
    for match in SCRIPT_JSON.finditer(text):
        yield from json_documents(match.group(1).strip())


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""



def _image_urls(content: object, base: str) -> list[str]:
    images = _dict(content).get("images")
    urls = [_str(_dict(image).get("url")) for image in images] if isinstance(images, list) else []
    return [urljoin(base, url) for url in urls if url]


def _source(response: CapturedResponse) -> SourceRecord:
    return SourceRecord(warc_file=response.warc_file, record_id=response.record_id, offset=response.offset,
                        url=response.url)


# ------------------------------------------------------------------------------------- comments and replies


def _comment_ids(node: dict) -> tuple[str, str] | None:
    """(post id, comment id) of a Comment: its `urn`, or its dash `entityUrn`."""
    match = COMMENT.fullmatch(_str(node.get("urn")))
    if match:
        return match.group(1), match.group(2)
    match = DASH_COMMENT.fullmatch(_str(node.get("entityUrn")))
    return (match.group(2), match.group(1)) if match else None


def _reply_parents(nodes: list[dict]) -> dict[str, str]:
    """reply id -> parent comment id, from the SocialDetail of each comment listing its replies."""
    parents: dict[str, str] = {}
    for node in nodes:
        if not _str(node.get("$type")).endswith(".SocialDetail"):
            continue
        thread = COMMENT.fullmatch(_str(node.get("threadUrn")))
        if not thread:
            continue
        comments = _dict(node.get("comments"))
        elements = comments.get("*elements") or comments.get("elements") or []
        for element in elements if isinstance(elements, list) else []:
            urn = element if isinstance(element, str) else _str(_dict(element).get("entityUrn"))
            child = DASH_COMMENT.fullmatch(urn) or COMMENT.fullmatch(urn)
            if child:
                child_id = child.group(1) if urn.startswith("urn:li:fsd_comment") else child.group(2)
                parents[child_id] = thread.group(2)
    return parents


def _parent_from_permalink(url: str, own_id: str) -> str:
    """A reply's permalink names both the reply (`replyUrn`) and the comment it answers (`commentUrn`)."""
    query = parse_qs(urlsplit(url).query)
    reply = COMMENT.fullmatch((query.get("replyUrn") or [""])[0])
    parent = COMMENT.fullmatch((query.get("commentUrn") or [""])[0])
    if reply and parent and reply.group(2) == own_id and parent.group(2) != own_id:
        return parent.group(2)
    return ""


def _author(name: object, url: object, urn: object) -> dict:
    """An author as the shared Found record carries it: LinkedIn names members and companies by urn and URL."""
    return {"name": _str(name), "url": _str(url), "urn": _str(urn)}


def _images(urls: list[str]) -> list[tuple[str, str]]:
    return [(url, "image") for url in urls]


def _raw_item(node: dict, response: CapturedResponse, parents: dict[str, str]) -> Found | None:
    kind = _str(node.get("$type"))
    if kind.endswith(".Update"):
        return _raw_post(node, response)
    if kind.endswith(".Comment"):
        return _raw_comment(node, response, parents)
    return None


def _raw_post(node: dict, response: CapturedResponse) -> Found | None:
    match = ACTIVITY.fullmatch(_str(_dict(node.get("updateMetadata")).get("urn")))
    ms = epoch_of(node.get("createdAt"), 1000, digits=False)
    actor = _dict(node.get("actor"))
    if not match or ms is None or not actor:
        return None
    url = _str(node.get("permalink"))
    return Found(
        id=match.group(1), item_type="post", parent_id=None, post_id=match.group(1),
        author=_author(_dict(actor.get("name")).get("text"), actor.get("navigationUrl"), actor.get("urn")),
        epoch=ms / 1000, text=_str(_dict(_dict(node.get("commentary")).get("text")).get("text")),
        url=urljoin(response.url, url) if url else "", media=_images(_image_urls(node.get("content"), response.url)),
        response=response,
    )


def _raw_comment(node: dict, response: CapturedResponse, parents: dict[str, str]) -> Found | None:
    ids = _comment_ids(node)
    ms = epoch_of(node.get("createdAt"), 1000, digits=False)
    commenter = _dict(node.get("commenter"))
    if not ids or ms is None or not commenter:
        return None
    post_id, comment_id = ids
    url = _str(node.get("permalink"))
    parent_urn = COMMENT.fullmatch(_str(node.get("parentCommentUrn")))
    parent = (parent_urn.group(2) if parent_urn else "") or parents.get(comment_id, "") or \
        _parent_from_permalink(url, comment_id)
    author_urn = _str(commenter.get("actorUrn")) or _str(commenter.get("urn")) or \
        _str(_dict(commenter.get("actor")).get("companyUrn"))
    return Found(
        id=comment_id, item_type="reply" if parent else "comment", parent_id=parent or post_id,
        post_id=post_id, author=_author(_dict(commenter.get("title")).get("text"), commenter.get("navigationUrl"),
                                        author_urn),
        epoch=ms / 1000, text=_str(_dict(node.get("commentary")).get("text")),
        url=urljoin(response.url, url) if url else "",
        media=_images(_image_urls(node.get("content"), response.url)), response=response,
    )


# ------------------------------------------------------------------------------------- counts and owners


def _counts(node: dict, response: CapturedResponse) -> list[Reported]:
    """The counts LinkedIn shows: replies of a comment, comments of a post (with or without replies)."""
    kind = _str(node.get("$type"))
    found: list[Reported] = []
    if kind.endswith(".SocialDetail"):
        total = count_of(_dict(_dict(node.get("comments")).get("paging")).get("total"))
        found += _count_for(_str(node.get("threadUrn")), total, "comments", response)
    elif kind.endswith(".SocialActivityCounts"):
        # The urn names what is counted; a post's numComments includes the replies (LinkedIn's "N comments").
        found += _count_for(_str(node.get("entityUrn")), count_of(node.get("numComments")), "thread", response)
    elif kind.endswith((".Update", ".Comment")):  # nested social detail (the sandbox's shape)
        counts = _dict(_dict(node.get("socialDetail")).get("totalSocialActivityCounts"))
        urn = _str(node.get("urn")) or _str(_dict(node.get("updateMetadata")).get("urn"))
        found += _count_for(urn, count_of(counts.get("numComments")), "thread", response)
    return found


def _count_for(urn: str, total: int | None, post_kind: str, response: CapturedResponse) -> list[Reported]:
    if total is None:
        return []
    comment = COMMENT.search(urn)
    if comment:
        return [Reported("replies", total, post_id=comment.group(1), comment_id=comment.group(2),
                         source=_source(response))]
    activity = ACTIVITY.search(urn)
    if activity:
        return [Reported(post_kind, total, post_id=activity.group(1), source=_source(response))]
    return []


def _owner(node: dict, response: CapturedResponse) -> Owner | None:
    """A company as LinkedIn names it: a Company entity, or the company actor of an update."""
    kind = _str(node.get("$type"))
    if kind.endswith(".Company"):
        platform_id = organization_id(_str(node.get("entityUrn")))
        name = _str(node.get("name"))
        handle = _str(node.get("universalName")) or company_handle(_str(node.get("url")))
    elif kind.endswith(".Update"):
        actor = _dict(node.get("actor"))
        platform_id = organization_id(_str(actor.get("urn")))
        name = _str(_dict(actor.get("name")).get("text"))
        handle = company_handle(_str(actor.get("navigationUrl")))
    else:
        return None
    return Owner(platform_id, handle=handle, name=name, source=_source(response)) if platform_id else None


# ------------------------------------------------------------------------------------- logged-out page


@dataclass
class GuestPost:
    """A post as LinkedIn's logged-out company page shows it."""

    urn: str
    activity_id: str
    published_at: datetime | None  # from the activity id; the page itself shows only relative_time
    relative_time: str  # "18h", "1w", "18 tim", "2 v"
    edited: bool
    author: str
    author_url: str
    header: str  # e.g. "Audiense reposted this"
    text: str
    reactions: int
    comments: int
    images: list[str] = field(default_factory=list)
    permalink: str = ""


def _read_guest_page(text: str, response: CapturedResponse, reading: Reading) -> None:
    posts = parse_guest_feed(text, response.url)
    reading.found += [_guest_found(post, response) for post in posts]
    # The page shows each post's comment count but no comment: captured logged out, the shortfall is real.
    reading.reported += [Reported("thread", post.comments, post_id=post.activity_id, source=_source(response),
                                  note="logged-out page: comments not shown") for post in posts]
    match = GUEST_ORGANIZATION.search(text)
    handle = company_handle(response.url)
    if match and handle:
        reading.owners.append(Owner(match.group(1), handle=handle, source=_source(response)))


def _html_root(text: str) -> etree._Element | None:
    try:
        return lxml.html.fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def _attr_int(nodes: list, name: str) -> int:
    value = nodes[0].get(name, "") if nodes else ""
    return int(value) if value.strip().isdigit() else 0


def parse_guest_feed(text: str, base_url: str = "") -> list[GuestPost]:
    """The posts of a logged-out company page (`article.main-feed-activity-card`), in page order."""
    root = _html_root(text)
    if root is None:
        return []
    posts = []
    for card in root.xpath('//article[@data-activity-urn][contains(@class, "main-feed-activity-card")]'):
        urn = card.get("data-activity-urn", "")
        match = ACTIVITY.fullmatch(urn)
        if match:
            posts.append(_guest_post(card, urn, match.group(1), base_url))
    return posts


def _guest_post(card: etree._Element, urn: str, activity_id: str, base_url: str) -> GuestPost:
    commentary = card.xpath('.//*[@data-test-id="main-feed-activity-card__commentary"]')
    time_node = card.xpath(".//time")
    time_text = time_node[0].text_content() if time_node else ""
    lockup = card.xpath('.//*[@data-test-id="main-feed-activity-card__entity-lockup"]//a')
    actor = next((a for a in lockup if a.text_content().strip()), None)
    header = card.xpath('.//*[contains(@class, "main-feed-activity-card__header")]')
    images = card.xpath('.//*[@data-test-id="feed-images-content"]//img')
    link = card.xpath('preceding-sibling::a[contains(@class, "main-feed-card__overlay-link")]/@href')
    ms = activity_time_ms(urn)
    return GuestPost(
        urn=urn, activity_id=activity_id,
        published_at=datetime.fromtimestamp(ms / 1000, UTC) if ms is not None else None,
        relative_time=(time_node[0].text or "").strip() if time_node else "",
        edited=bool(re.search(r"\b(Edited|Redigerat)\b", time_text)),
        author=" ".join(actor.text_content().split()) if actor is not None else "",
        author_url=urljoin(base_url, actor.get("href", "")) if actor is not None else "",
        header=" ".join(header[0].text_content().split()) if header else "",
        text=commentary[0].text_content().strip() if commentary else "",
        reactions=_attr_int(card.xpath('.//*[@data-test-id="social-actions__reactions"]'), "data-num-reactions"),
        comments=_attr_int(card.xpath('.//*[@data-test-id="social-actions__comments"]'), "data-num-comments"),
        images=[urljoin(base_url, img.get("src") or img.get("data-delayed-url") or "") for img in images],
        permalink=urljoin(base_url, link[0]) if link else "",
    )


def _guest_found(post: GuestPost, response: CapturedResponse) -> Found:
    return Found(
        id=post.activity_id, item_type="post", parent_id=None, post_id=post.activity_id,
        author=_author(post.author, post.author_url, ""), epoch=(activity_time_ms(post.urn) or 0) / 1000,
        text=post.text, url=post.permalink, media=_images(post.images), response=response, rank=0,
    )


def parse_pulse_article(text: str) -> dict:
    """Title, author, publication time and URL of a LinkedIn (Pulse) article page."""
    root = _html_root(text)
    if root is None:
        return {}

    def first(xpath: str) -> str:
        found = root.xpath(xpath)
        value = found[0] if found else ""
        value = value if isinstance(value, str) else value.text_content()
        return " ".join(value.split())

    published = first('//time[@itemprop="datePublished"]/@datetime') or first(
        '//meta[@property="article:published_time"]/@content')
    return {
        "title": first('//h1[@itemprop="headline"]') or first('//meta[@property="og:title"]/@content'),
        "author": first('//*[@rel="author"][@itemprop="author"]') or first('//*[@rel="author"]'),
        "published_at": _iso_datetime(published),
        "url": first('//meta[@property="og:url"]/@content'),
        "description": first('//meta[@property="og:description"]/@content'),
    }


def _iso_datetime(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
