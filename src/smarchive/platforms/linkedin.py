"""LinkedIn company pages: capture a year's posts and threads from a logged-in browser, read them back.

Logged out, LinkedIn shows a company's ~10 newest posts with relative times ("18h") under a
sign-in modal, and redirects every post URL to its auth wall. So the capture runs with a stored,
logged-in browser state (`smarchive login linkedin`) and fails with a clear message when it lands
on the wall or on the guest page anyway.

Capture: open the company page, scroll the feed (newest first; loaded by the Voyager API) until a
post older than the year appears, then open every post of the year on its permalink, expand
"…se mer", "Läs in fler kommentarer" and the reply buttons ("N svar", "Visa tidigare svar"), and
take a snapshot there. An API call answered 429 leaves a retry button (feed) or a marked button
(comments): the capture waits as Retry-After says (ctx.throttled) and clicks again.

Extract: the dependable data is the JSON: the Voyager API answers and the HTML-escaped JSON
blobs (`<code id="bpr-guid-…">`) of permalink pages, with exact `createdAt` (epoch ms) and full
texts. The DOM shows relative times and cut texts. A logged-out company page (if one was recorded)
is read as a fallback, with times from the activity ids (LinkedIn ids carry epoch ms in bits 22+).

Year rule: a post belongs to the year of its publication in Europe/Stockholm time; comments and
replies belong to their post's year, even when written later.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import lxml.html
from lxml import etree
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from smarchive.errors import CaptureError
from smarchive.model import Account, Item, MediaRef, SourceRecord
from smarchive.platforms.base import CaptureContext, CapturedResponse, Extraction
from smarchive.platforms.jsondata import as_dict as _dict
from smarchive.platforms.jsondata import most_complete as _merge
from smarchive.platforms.jsondata import walk as _walk
from smarchive.platforms.toolkit import counted

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# How the capture behaves, as data: what to look for, what to click, how long to wait.
BEHAVIOUR: dict = {
    "post": "article[data-activity-urn]",
    "post_urn_attribute": "data-activity-urn",
    "post_link": "a.update-permalink",
    "feed_end": ".feed-end",
    "feed_retry": "button.feed-retry",
    "busy": "[aria-busy=true]",
    # Where LinkedIn sends a browser that is not logged in.
    "auth_wall_paths": ("/authwall", "/login", "/uas/login", "/checkpoint", "/signup"),
    # The guest (logged-out) company page: a sign-in modal over ~10 posts.
    "guest_page": ".contextual-sign-in-modal, body[data-logged-in=false]",
    "see_more": "button.see-more",
    "expand_button": re.compile(
        r"^(Läs in fler kommentarer|Visa fler kommentarer|Visa tidigare svar|Visa fler svar|(Visa )?\d+ svar"
        r"|Load more comments|See previous replies|\d+ repl(y|ies))$"
    ),
    "throttled_statuses": ("429", "500", "502", "503", "504"),  # 5xx now and then: wait, retry
    "content_timeout_ms": 15_000,
    "xhr_timeout_ms": 15_000,
    "scroll_wait_ms": 3_000,
    "max_idle_scrolls": 5,
    "max_scrolls": 1_000,
    "max_expansions_per_post": 1_000,
    "max_failed_expansions": 3,
}

# A scroll event too: scrolling to where the page already is fires none, and the feed loads on scroll.
SCROLL_DOWN = "window.scrollTo(0, document.body.scrollHeight); window.dispatchEvent(new Event('scroll'))"
LATEST_MS = 4_102_444_800_000  # 2100-01-01: anything later is not a timestamp
ACTIVITY = re.compile(r"urn:li:activity:(\d+)")
COMMENT = re.compile(r"urn:li:comment:\((?:activity|ugcPost):(\d+),(\d+)\)")


class LinkedInAdapter:
    platform = "linkedin"
    requires_login = True

    # ----------------------------------------------------------------------------- login

    def login(self, page: Page, account_url: str, username: str, password: str) -> None:
        """Fill LinkedIn's login form; CaptureError if the session cookie does not come back."""
        url = login_url(account_url)
        response = page.goto(url, wait_until="load")
        if response is not None and response.status >= 400:
            raise CaptureError(f"LinkedIn login page {url} answered HTTP {response.status}")
        try:
            page.fill("#username", username)
            page.fill("#password", password)
            with page.expect_navigation(wait_until="load"):
                page.click("form button[type=submit]")
        except PlaywrightError as error:
            raise CaptureError(f"LinkedIn login form at {url} could not be used: "
                               f"{error.message.splitlines()[0]}") from None
        if not any(cookie["name"] == "li_at" for cookie in page.context.cookies()):
            alert = page.locator("[role=alert]")
            reason = alert.first.inner_text().strip() if alert.count() else f"still at {page.url}"
            raise CaptureError(f"LinkedIn refused the login of {username}: {reason}")

    # ----------------------------------------------------------------------------- capture

    def capture(self, ctx: CaptureContext) -> None:
        start, end = _year_bounds_ms(ctx.year)
        page = ctx.context.new_page()
        try:
            self._open(ctx, page, ctx.account_url)
            permalinks = self._collect_posts(page, ctx, start, end)
        finally:
            page.close()
        ctx.progress(f"{counted(len(permalinks), 'post')} of {ctx.year} found in the feed")
        page = ctx.context.new_page()
        try:
            for number, (post_id, url) in enumerate(permalinks, start=1):
                if ctx.already_captured(post_id):
                    ctx.progress(f"post {number}/{len(permalinks)} {post_id}: already captured")
                    continue
                self._open(ctx, page, url)
                self._wait_for_post(page, post_id)
                clicks = self._expand(page, ctx, post_id)
                self._see_more(page)
                ctx.snapshot(page, post_id)
                ctx.progress(f"post {number}/{len(permalinks)} {post_id}: {counted(clicks, 'thread')} expanded")
        finally:
            page.close()

    def _open(self, ctx: CaptureContext, page: Page, url: str) -> None:
        try:
            response = ctx.goto(page, url)
        except PlaywrightError as error:
            raise CaptureError(f"cannot open {url}: {error.message.splitlines()[0]}") from None
        self._check_walls(page, url)
        if response is not None and response.status >= 400:
            raise CaptureError(f"{url} answered HTTP {response.status}")

    @staticmethod
    def _check_walls(page: Page, url: str) -> None:
        path = urlsplit(page.url).path
        if any(marker in path for marker in BEHAVIOUR["auth_wall_paths"]):
            raise CaptureError(
                f"LinkedIn sent {url} to its auth wall ({page.url}): the browser is not logged in. "
                "Run `smarchive login linkedin` (the stored login is missing or has expired)."
            )
        if page.locator(BEHAVIOUR["guest_page"]).count():
            raise CaptureError(
                f"LinkedIn showed the logged-out view of {url} (sign-in modal; only the newest ~10 posts, "
                "no comments). Run `smarchive login linkedin` (the stored login is missing or has expired)."
            )

    def _wait_for_post(self, page: Page, post_id: str) -> None:
        selector = f'{BEHAVIOUR["post"]}[{BEHAVIOUR["post_urn_attribute"]}="urn:li:activity:{post_id}"]'
        try:
            page.wait_for_selector(selector, timeout=BEHAVIOUR["content_timeout_ms"])
        except PlaywrightTimeout:
            raise CaptureError(f"post {post_id} did not appear on its permalink page {page.url}") from None

    def _visible_posts(self, page: Page) -> list[tuple[str, str]]:
        """(activity URN, permalink) of every post in the DOM, in page order."""
        script = """(els, a) => els.map(e => {
            const link = e.querySelector(a.link);
            return [e.getAttribute(a.urn) || '', link ? link.href : ''];
        })"""
        names = {"urn": BEHAVIOUR["post_urn_attribute"], "link": BEHAVIOUR["post_link"]}
        return [tuple(row) for row in page.eval_on_selector_all(BEHAVIOUR["post"], script, names)]

    def _collect_posts(self, page: Page, ctx: CaptureContext, start: int, end: int) -> list[tuple[str, str]]:
        anything = f'{BEHAVIOUR["post"]}, {BEHAVIOUR["feed_end"]}, {BEHAVIOUR["feed_retry"]}'
        try:
            page.wait_for_selector(anything, timeout=BEHAVIOUR["content_timeout_ms"])
        except PlaywrightTimeout:
            raise CaptureError(f"no posts appeared on {page.url} (a wall the capture cannot pass?)") from None
        idle = failures = 0
        for _ in range(BEHAVIOUR["max_scrolls"]):
            posts = self._visible_posts(page)
            times = [activity_time_ms(urn) for urn, _ in posts]
            if any(t is not None and t < start for t in times) or page.locator(BEHAVIOUR["feed_end"]).count():
                return _of_year(posts, start, end)
            retry = page.locator(BEHAVIOUR["feed_retry"])
            if retry.count():
                failures = self._retry_feed(ctx, page, retry.first, failures)
            else:
                page.evaluate(SCROLL_DOWN)
            progressed = self._wait_for_more(page, len(posts))
            idle = 0 if progressed else idle + 1
            if idle >= BEHAVIOUR["max_idle_scrolls"]:
                raise CaptureError(f"feed of {ctx.account_url} stopped loading after {len(posts)} posts "
                                   f"before reaching {ctx.year - 1}")
        raise CaptureError(f"feed of {ctx.account_url} not exhausted after {BEHAVIOUR['max_scrolls']} scrolls")

    @staticmethod
    def _retry_feed(ctx: CaptureContext, page: Page, retry, failures: int) -> int:  # noqa: ANN001
        status = retry.get_attribute("data-status") or ""
        if status in BEHAVIOUR["throttled_statuses"]:
            ctx.throttled(f"feed of {ctx.account_url}: HTTP {status}", retry.get_attribute("data-retry-after"))
        else:
            failures += 1
            if failures >= BEHAVIOUR["max_failed_expansions"]:
                raise CaptureError(f"feed of {ctx.account_url} keeps failing to load (HTTP {status or '?'})")
        retry.click()
        return failures

    def _wait_for_more(self, page: Page, count: int) -> bool:
        """True when more posts, the feed's end or a retry button appeared."""
        script = "([post, end, retry, n]) => document.querySelectorAll(post).length > n || " \
                 "!!document.querySelector(end) || !!document.querySelector(retry)"
        args = [BEHAVIOUR["post"], BEHAVIOUR["feed_end"], BEHAVIOUR["feed_retry"], count]
        try:
            page.wait_for_function(script, arg=args, timeout=BEHAVIOUR["scroll_wait_ms"])
            return True
        except PlaywrightTimeout:
            return False

    def _expand(self, page: Page, ctx: CaptureContext, post_id: str) -> int:
        """Click every "more comments" / reply button until none is left; returns the clicks."""
        clicks = failures = 0
        while clicks < BEHAVIOUR["max_expansions_per_post"]:
            button = page.get_by_role("button", name=BEHAVIOUR["expand_button"]).first
            if button.count() == 0:
                return clicks
            clicks += 1
            status, retry_after = self._click_and_wait(page, button)
            if status in BEHAVIOUR["throttled_statuses"]:
                ctx.throttled(f"comments of post {post_id}: HTTP {status}", retry_after)
            elif status:
                failures += 1
                if failures >= BEHAVIOUR["max_failed_expansions"]:
                    ctx.warn(f"post {post_id}: comments could not all be expanded ({page.url}, HTTP {status})")
                    return clicks
            else:
                failures = 0
        ctx.warn(f"post {post_id}: stopped expanding after {counted(clicks, 'click')} ({page.url})")
        return clicks

    @staticmethod
    def _click_and_wait(page: Page, button) -> tuple[str, str | None]:  # noqa: ANN001
        """Click, wait until the page has handled the API answer; (error status or "", Retry-After)."""
        try:
            handle = button.element_handle(timeout=BEHAVIOUR["xhr_timeout_ms"])
            handle.click(timeout=BEHAVIOUR["xhr_timeout_ms"])
            page.wait_for_function("b => !b.isConnected || b.getAttribute('aria-busy') !== 'true'", arg=handle,
                                   timeout=BEHAVIOUR["xhr_timeout_ms"])
            return (handle.get_attribute("data-status") or "", handle.get_attribute("data-retry-after"))
        except PlaywrightError:
            return ("timeout", None)

    @staticmethod
    def _see_more(page: Page) -> None:
        """Open every "…se mer", so the snapshot shows whole texts (the JSON has them anyway)."""
        for _ in range(500):
            button = page.locator(BEHAVIOUR["see_more"]).first
            if button.count() == 0:
                return
            try:
                button.click(timeout=BEHAVIOUR["xhr_timeout_ms"])
            except PlaywrightError:
                return

    # ----------------------------------------------------------------------------- extract

    def extract(self, responses: Iterable[CapturedResponse], account: Account, year: int) -> Extraction:
        found: list[_Found] = []
        fetched: dict[str, str] = {}  # media path -> the signed URL the browser fetched it from
        for response in responses:
            content_type = (response.content_type or "").lower()
            if content_type.startswith(("image/", "video/", "audio/")):
                if response.status == 200:
                    fetched.setdefault(urlsplit(response.url).path, response.url)
                continue
            if response.status != 200 or not response.body:
                continue
            found += _read_response(response, content_type)
        items = _merge(found)
        posts = {raw.id: raw for raw in items.values() if raw.item_type == "post"}
        kept = [raw for raw in items.values() if _in_year(raw, posts, year) and _of_account(raw, posts, account)]
        return Extraction([_to_item(raw, account, fetched) for raw in kept])


# --------------------------------------------------------------------------------- capture helpers


def login_url(account_url: str) -> str:
    """The login page of the LinkedIn the account lives on (the sandbox serves it under /linkedin)."""
    parts = urlsplit(account_url)
    prefix = parts.path.split("/company/", 1)[0] if "/company/" in parts.path else ""
    return f"{parts.scheme}://{parts.netloc}{prefix}/login"


def activity_time_ms(urn: str) -> int | None:
    """Epoch ms a LinkedIn activity id carries in its bits 22 and up."""
    match = ACTIVITY.search(urn or "")
    if not match:
        return None
    ms = int(match.group(1)) >> 22
    return ms if 0 < ms < LATEST_MS else None


def _year_bounds_ms(year: int) -> tuple[int, int]:
    start = datetime(year, 1, 1, tzinfo=STOCKHOLM)
    end = datetime(year + 1, 1, 1, tzinfo=STOCKHOLM)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def _of_year(posts: list[tuple[str, str]], start: int, end: int) -> list[tuple[str, str]]:
    chosen: dict[str, str] = {}
    for urn, link in posts:
        ms = activity_time_ms(urn)
        match = ACTIVITY.search(urn)
        if match and ms is not None and start <= ms < end and link:
            chosen.setdefault(match.group(1), link)
    return list(chosen.items())


# --------------------------------------------------------------------------------- extract helpers


@dataclass
class _Found:
    """An item as read from one response, before merging duplicates."""

    id: str
    item_type: str
    parent_id: str | None
    post_id: str
    author: str
    author_url: str
    author_urn: str
    ms: int
    text: str
    url: str
    media: list[str]
    response: CapturedResponse
    rank: int = 1  # 1: from JSON; 0: from a guest page's HTML (times from ids, no comments)

    def completeness(self) -> tuple[int, int, int, int]:
        return (self.rank, len(self.text), len(self.media), 1 if self.url else 0)


def _read_response(response: CapturedResponse, content_type: str) -> list[_Found]:
    try:
        text = response.body.decode("utf-8")
    except UnicodeDecodeError:
        return []
    found = []
    stripped = text.lstrip()
    is_html = "html" in content_type or stripped.startswith("<")
    documents = _html_blobs(text) if is_html else _json_documents(stripped)
    for document in documents:
        for node in _walk(document):
            raw = _raw_item(node, response)
            if raw is not None:
                found.append(raw)
    if is_html and "main-feed-activity-card" in text:
        found += [_guest_found(post, response) for post in parse_guest_feed(text, response.url)]
    return found


CODE_BLOB = re.compile(r"<code\b[^>]*\bid=[\"']bpr-guid-[^\"']*[\"'][^>]*>(.*?)</code\s*>", re.IGNORECASE | re.DOTALL)
SCRIPT_JSON = re.compile(
    r"<script\b(?=[^>]*\btype\s*=\s*[\"']application/json[\"'])[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)


def _html_blobs(text: str) -> Iterator[object]:
    """LinkedIn's rehydration blobs: HTML-escaped JSON in hidden <code> elements; also JSON scripts."""
    for match in CODE_BLOB.finditer(text):
        yield from _json_documents(html.unescape(match.group(1)).strip())
    for match in SCRIPT_JSON.finditer(text):
        yield from _json_documents(match.group(1).strip())


def _json_documents(text: str) -> Iterator[object]:
    if not text.startswith(("{", "[")):
        return
    try:
        yield json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _ms(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    if isinstance(value, int) and 0 <= value < LATEST_MS:
        return value
    return None


def _image_urls(content: object, base: str) -> list[str]:
    images = _dict(content).get("images")
    urls = [_str(_dict(image).get("url")) for image in images] if isinstance(images, list) else []
    return [urljoin(base, url) for url in urls if url]


def _raw_item(node: dict, response: CapturedResponse) -> _Found | None:
    kind = _str(node.get("$type"))
    if kind.endswith(".Update"):
        return _raw_post(node, response)
    if kind.endswith(".Comment"):
        return _raw_comment(node, response)
    return None


def _raw_post(node: dict, response: CapturedResponse) -> _Found | None:
    match = ACTIVITY.fullmatch(_str(_dict(node.get("updateMetadata")).get("urn")))
    ms = _ms(node.get("createdAt"))
    actor = _dict(node.get("actor"))
    if not match or ms is None or not actor:
        return None
    url = _str(node.get("permalink"))
    return _Found(
        id=match.group(1), item_type="post", parent_id=None, post_id=match.group(1),
        author=_str(_dict(actor.get("name")).get("text")), author_url=_str(actor.get("navigationUrl")),
        author_urn=_str(actor.get("urn")), ms=ms,
        text=_str(_dict(_dict(node.get("commentary")).get("text")).get("text")),
        url=urljoin(response.url, url) if url else "", media=_image_urls(node.get("content"), response.url),
        response=response,
    )


def _raw_comment(node: dict, response: CapturedResponse) -> _Found | None:
    match = COMMENT.fullmatch(_str(node.get("urn")))
    ms = _ms(node.get("createdAt"))
    commenter = _dict(node.get("commenter"))
    if not match or ms is None or not commenter:
        return None
    post_id, comment_id = match.groups()
    parent = COMMENT.fullmatch(_str(node.get("parentCommentUrn")))
    url = _str(node.get("permalink"))
    return _Found(
        id=comment_id, item_type="reply" if parent else "comment", parent_id=parent.group(2) if parent else post_id,
        post_id=post_id, author=_str(_dict(commenter.get("title")).get("text")),
        author_url=_str(commenter.get("navigationUrl")), author_urn=_str(commenter.get("actorUrn")), ms=ms,
        text=_str(_dict(node.get("commentary")).get("text")), url=urljoin(response.url, url) if url else "",
        media=_image_urls(node.get("content"), response.url), response=response,
    )


def _stockholm_year(ms: int) -> int:
    return datetime.fromtimestamp(ms / 1000, STOCKHOLM).year


def _in_year(raw: _Found, posts: dict[str, _Found], year: int) -> bool:
    post = posts.get(raw.post_id, raw)  # without its post recorded, the item's own time is the best evidence
    return _stockholm_year(post.ms) == year


def company_handle(url: str) -> str:
    """`orebro-kommun` from …/company/orebro-kommun/…, else ""."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    return parts[parts.index("company") + 1] if "company" in parts[:-1] else ""


def _is_account(raw: _Found, account: Account) -> bool:
    handle = company_handle(raw.author_url)
    if account.handle and handle:
        return handle.lower() == account.handle.lower()
    if raw.author_urn and not raw.author_urn.startswith(("urn:li:company:", "urn:li:organization:")):
        return False
    return raw.author == account.name


def _of_account(raw: _Found, posts: dict[str, _Found], account: Account) -> bool:
    post = posts.get(raw.post_id)
    if post is None:
        return raw.item_type != "post"  # an orphan comment was recorded on the account's pages
    return _is_account(post, account)


def _to_item(raw: _Found, account: Account, fetched: dict[str, str]) -> Item:
    response = raw.response
    # Signed media URLs differ per answer (new expiry); name the file by the URL the browser really fetched.
    media = [MediaRef(url=fetched.get(urlsplit(url).path, url), kind="image") for url in raw.media]
    return Item(
        id=raw.id,
        parent_id=raw.parent_id,
        platform="linkedin",
        account=account.id,
        item_type=raw.item_type,  # type: ignore[arg-type]
        author=raw.author,
        author_is_account=_is_account(raw, account),
        published_at=datetime.fromtimestamp(raw.ms / 1000, UTC),
        text=raw.text,
        permalink=raw.url,
        media=media,
        source=SourceRecord(warc_file=response.warc_file, record_id=response.record_id, offset=response.offset,
                            url=response.url),
        post_id=raw.post_id,
    )


# --------------------------------------------------------------------------------- saved pages


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


def _guest_found(post: GuestPost, response: CapturedResponse) -> _Found:
    return _Found(
        id=post.activity_id, item_type="post", parent_id=None, post_id=post.activity_id, author=post.author,
        author_url=post.author_url, author_urn="", ms=activity_time_ms(post.urn) or 0, text=post.text,
        url=post.permalink, media=post.images, response=response, rank=0,
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
