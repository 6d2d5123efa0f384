"""Facebook Pages: drive the page so a year's posts and threads land in the WARC, read them back.

Capture: open the page, pass the cookie dialog, scroll the timeline (newest first) until a post
older than the year is loaded, then open every post of the year on its permalink and expand all
comments and replies there. Timelines expand few comments and autoscroll stops early, so the
permalink is where a thread is recorded whole; a snapshot is taken there, in context.

Extract: the dependable data is the JSON, not the page: the `<script type="application/json">`
blobs in the HTML and the GraphQL bodies. Pages show relative times ("3 dagar") and cut long
texts; the JSON has epochs and full texts. Anything not understood is skipped.

Year rule: a post belongs to the year of its publication in Europe/Stockholm time; comments and
replies belong to their post's year, even when written later (a thread is archived with its post).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from smarchive.errors import CaptureError
from smarchive.model import Account, Item, MediaRef, SourceRecord
from smarchive.platforms.base import CaptureContext, CapturedResponse

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# How the capture behaves, as data: what to look for, what to click, how long to wait.
BEHAVIOUR: dict = {
    "consent_dialog": "[role=dialog][aria-modal=true], #consent",
    # Tried in this order; either answer lifts the wall on the real site.
    "consent_buttons": ("Tillåt alla cookies", "Allow all cookies", "Avvisa valfria cookies",
                        "Decline optional cookies"),
    "post": "article[data-post-id]",
    "post_id_attribute": "data-post-id",
    "post_time_attribute": "data-utime",
    "post_link": "a.permalink",
    "feed_end": ".feed-end",
    "busy": "[aria-busy=true]",
    # "Visa fler kommentarer", "Visa fler svar", "3 svar", "Visa 3 svar"
    "expand_button": re.compile(r"^(Visa fler kommentarer|Visa fler svar|Visa tidigare kommentarer|(Visa )?\d+ svar)$"),
    "graphql_path": "/api/graphql/",
    "navigation_timeout_ms": 30_000,
    "content_timeout_ms": 15_000,
    "xhr_timeout_ms": 15_000,
    "scroll_wait_ms": 3_000,
    "max_idle_scrolls": 5,  # scrolls in a row that load nothing before giving up
    "max_scrolls": 1_000,
    "max_expansions_per_post": 1_000,
    "max_failed_expansions": 3,
}

JSON_PREFIX = "for (;;);"  # Facebook's anti-hijacking prefix on some JSON bodies
MAX_DEPTH = 80
LATEST_EPOCH = 4_102_444_800  # 2100-01-01: anything later is not a timestamp


class FacebookAdapter:
    platform = "facebook"

    # ----------------------------------------------------------------------------- capture

    def capture(self, ctx: CaptureContext) -> None:
        start, end = _year_bounds(ctx.year)
        page = ctx.context.new_page()
        try:
            self._open(page, ctx.account_url)
            permalinks = self._collect_posts(page, ctx, start, end)
        finally:
            page.close()
        ctx.progress(f"{len(permalinks)} posts of {ctx.year} found on the timeline")
        page = ctx.context.new_page()
        try:
            for number, (post_id, url) in enumerate(permalinks, start=1):
                self._open(page, url)
                self._wait_for_post(page, post_id)
                clicks = self._expand(page, ctx, post_id)
                ctx.snapshot(page, post_id)
                ctx.progress(f"post {number}/{len(permalinks)} {post_id}: {clicks} threads expanded")
        finally:
            page.close()

    def _open(self, page: Page, url: str) -> None:
        try:
            response = page.goto(url, wait_until="load", timeout=BEHAVIOUR["navigation_timeout_ms"])
        except PlaywrightError as error:
            raise CaptureError(f"cannot open {url}: {error.message.splitlines()[0]}") from None
        if response is not None and response.status >= 400:
            raise CaptureError(f"{url} answered HTTP {response.status}")
        self._pass_consent(page, url)

    def _pass_consent(self, page: Page, url: str) -> None:
        """Accept the cookie dialog if it is there; it reloads the page when answered."""
        dialog = page.locator(BEHAVIOUR["consent_dialog"])
        try:  # the dialog may be added by script after load: wait for it or for content
            page.wait_for_selector(f'{BEHAVIOUR["consent_dialog"]}, {BEHAVIOUR["post"]}, {BEHAVIOUR["feed_end"]}',
                                   timeout=BEHAVIOUR["content_timeout_ms"])
        except PlaywrightTimeout:
            return  # nothing at all: the callers' own waits report it
        if dialog.count() == 0 or not dialog.first.is_visible():
            return
        button = self._consent_button(dialog)
        if button is None:
            raise CaptureError(f"cookie dialog on {url} has no button to accept it")
        try:
            with page.expect_navigation(timeout=BEHAVIOUR["navigation_timeout_ms"]):
                button.click()
        except PlaywrightError:
            raise CaptureError(f"cookie dialog on {url} did not go away when accepted") from None
        if dialog.count() and dialog.first.is_visible():
            raise CaptureError(f"cookie dialog on {url} is still shown after accepting it")

    @staticmethod
    def _consent_button(dialog):  # type: ignore[no-untyped-def]
        for text in BEHAVIOUR["consent_buttons"]:
            button = dialog.first.get_by_role("button", name=text, exact=True)
            if button.count():
                return button.first
        return None

    def _wait_for_post(self, page: Page, post_id: str) -> None:
        selector = f'{BEHAVIOUR["post"]}[{BEHAVIOUR["post_id_attribute"]}="{post_id}"]'
        try:
            page.wait_for_selector(selector, timeout=BEHAVIOUR["content_timeout_ms"])
        except PlaywrightTimeout:
            raise CaptureError(f"post {post_id} did not appear on its permalink page {page.url}") from None

    def _visible_posts(self, page: Page) -> list[tuple[str, int, str]]:
        """(post id, epoch, permalink) of every post in the DOM, in page order."""
        script = """(els, a) => els.map(e => {
            const link = e.querySelector(a.link);
            return [e.getAttribute(a.id), Number(e.getAttribute(a.time)), link ? link.href : ''];
        })"""
        names = {"id": BEHAVIOUR["post_id_attribute"], "time": BEHAVIOUR["post_time_attribute"],
                 "link": BEHAVIOUR["post_link"]}
        return [tuple(row) for row in page.eval_on_selector_all(BEHAVIOUR["post"], script, names)]

    def _collect_posts(self, page: Page, ctx: CaptureContext, start: int, end: int) -> list[tuple[str, str]]:
        try:
            page.wait_for_selector(f'{BEHAVIOUR["post"]}, {BEHAVIOUR["feed_end"]}',
                                   timeout=BEHAVIOUR["content_timeout_ms"])
        except PlaywrightTimeout:
            raise CaptureError(f"no posts appeared on {page.url} (a wall the capture cannot pass?)") from None
        idle = 0
        for _ in range(BEHAVIOUR["max_scrolls"]):
            posts = self._visible_posts(page)
            if any(epoch < start for _, epoch, _ in posts) or page.locator(BEHAVIOUR["feed_end"]).count():
                return self._of_year(posts, ctx.account_url, start, end)
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            grew = self._wait_for_more(page, len(posts))
            idle = 0 if grew else idle + 1
            if idle >= BEHAVIOUR["max_idle_scrolls"]:
                raise CaptureError(
                    f"timeline of {ctx.account_url} stopped loading after {len(posts)} posts "
                    f"before reaching {ctx.year - 1}"
                )
            if grew:
                ctx.progress(f"timeline: {len(self._visible_posts(page))} posts loaded")
        raise CaptureError(f"timeline of {ctx.account_url} not exhausted after {BEHAVIOUR['max_scrolls']} scrolls")

    def _wait_for_more(self, page: Page, count: int) -> bool:
        script = "([sel, n]) => document.querySelectorAll(sel).length > n"
        try:
            page.wait_for_function(script, arg=[BEHAVIOUR["post"], count], timeout=BEHAVIOUR["scroll_wait_ms"])
            return True
        except PlaywrightTimeout:
            return page.locator(BEHAVIOUR["feed_end"]).count() > 0

    @staticmethod
    def _of_year(posts: list[tuple[str, int, str]], account_url: str, start: int, end: int) -> list[tuple[str, str]]:
        chosen: dict[str, str] = {}
        for post_id, epoch, link in posts:
            if post_id and start <= epoch < end and post_id not in chosen:
                chosen[post_id] = link or urljoin(account_url.rstrip("/") + "/", f"posts/{post_id}")
        return list(chosen.items())

    def _expand(self, page: Page, ctx: CaptureContext, post_id: str) -> int:
        """Click every "more comments" / "N svar" button until none is left; returns the clicks."""
        clicks = failures = 0
        while clicks < BEHAVIOUR["max_expansions_per_post"]:
            button = page.get_by_role("button", name=BEHAVIOUR["expand_button"]).first
            if button.count() == 0:
                return clicks
            clicks += 1
            if self._click_and_wait(page, button):
                failures = 0
                continue
            failures += 1
            if failures >= BEHAVIOUR["max_failed_expansions"]:
                ctx.warn(f"post {post_id}: comments could not all be expanded ({page.url})")
                return clicks
        ctx.warn(f"post {post_id}: stopped expanding after {clicks} clicks ({page.url})")
        return clicks

    def _click_and_wait(self, page: Page, button) -> bool:  # type: ignore[no-untyped-def]
        """Click and wait for the GraphQL answer and for the page to render it."""
        def is_graphql(response) -> bool:  # type: ignore[no-untyped-def]
            return BEHAVIOUR["graphql_path"] in response.url and response.request.method == "POST"

        try:
            with page.expect_response(is_graphql, timeout=BEHAVIOUR["xhr_timeout_ms"]) as answer:
                button.click(timeout=BEHAVIOUR["xhr_timeout_ms"])
            response = answer.value
            response.finished()
            page.wait_for_function(
                "sel => !document.querySelector(sel)", arg=BEHAVIOUR["busy"], timeout=BEHAVIOUR["xhr_timeout_ms"]
            )
            return response.ok
        except PlaywrightError:
            return False

    # ----------------------------------------------------------------------------- extract

    def extract(self, responses: Iterable[CapturedResponse], account: Account, year: int) -> list[Item]:
        found: list[_Found] = []
        pages: dict[str, str] = {}  # page id -> handle, from every Page node seen
        for response in responses:
            for payload in _payloads(response):
                for node in _walk(payload):
                    _remember_page(node, pages)
                    raw = _raw_item(node, response)
                    if raw is not None:
                        found.append(raw)
        items = _merge(found)
        posts = {raw.id: raw for raw in items.values() if raw.item_type == "post"}
        kept = [raw for raw in items.values() if _in_year(raw, posts, year) and _of_account(raw, posts, account, pages)]
        kept.sort(key=lambda raw: _thread_key(raw, items))
        return [_to_item(raw, account, pages) for raw in kept]


# --------------------------------------------------------------------------------- helpers


def _year_bounds(year: int) -> tuple[int, int]:
    """Epoch seconds of 1 January 00:00 Stockholm time of the year and of the next."""
    start = datetime(year, 1, 1, tzinfo=STOCKHOLM)
    end = datetime(year + 1, 1, 1, tzinfo=STOCKHOLM)
    return int(start.timestamp()), int(end.timestamp())


@dataclass
class _Found:
    """An item as read from one response, before merging duplicates."""

    id: str
    item_type: str
    parent_id: str | None
    post_id: str
    author: dict
    epoch: int
    text: str
    url: str
    media: list[str]
    response: CapturedResponse

    def completeness(self) -> tuple[int, int, int]:
        return (len(self.text), len(self.media), 1 if self.url else 0)


def _payloads(response: CapturedResponse) -> Iterator[object]:
    """Every JSON document in a response: an HTML page's JSON blobs, or a (GraphQL) JSON body."""
    content_type = (response.content_type or "").lower()
    if content_type.startswith(("image/", "video/", "audio/", "font/")) or not response.body:
        return
    try:
        text = response.body.decode("utf-8")
    except UnicodeDecodeError:
        return
    stripped = text.lstrip()
    if "html" in content_type or stripped.startswith("<"):
        yield from _html_blobs(text)
    elif "json" in content_type or "javascript" in content_type or stripped.startswith(("{", "[", JSON_PREFIX)):
        yield from _json_documents(stripped)


SCRIPT_JSON = re.compile(
    r"<script\b(?=[^>]*\btype\s*=\s*[\"']application/json[\"'])[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)


def _html_blobs(text: str) -> Iterator[object]:
    # A regex instead of an HTML parser: a blob's body is raw text up to "</script" by the HTML rules.
    for match in SCRIPT_JSON.finditer(text):
        yield from _json_documents(match.group(1).strip())


def _json_documents(text: str) -> Iterator[object]:
    """One document, or several on separate lines (streamed GraphQL answers)."""
    text = text.removeprefix(JSON_PREFIX)
    try:
        yield json.loads(text)
        return
    except (json.JSONDecodeError, RecursionError):
        pass
    for line in text.splitlines():
        line = line.strip().removeprefix(JSON_PREFIX)
        if line.startswith(("{", "[")):
            try:
                yield json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                continue


def _walk(value: object, depth: int = 0) -> Iterator[dict]:
    """Every dict in a JSON document, depth-first, bounded against pathological nesting."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _walk(child, depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child, depth + 1)


def _str(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | str):
        return str(value)
    return ""


def _epoch(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    elif isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and 0 <= value < LATEST_EPOCH:
        return value
    return None


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _handle_of(page_node: dict) -> str:
    username = _str(page_node.get("username"))
    if username:
        return username
    path = urlsplit(_str(page_node.get("url"))).path.rstrip("/")
    return path.rsplit("/", 1)[-1] if path else ""


def _remember_page(node: dict, pages: dict[str, str]) -> None:
    if node.get("__typename") == "Page" and _str(node.get("id")):
        handle = _handle_of(node)
        if handle:
            pages[_str(node["id"])] = handle


def _photo_urls(attachments: object, base: str) -> list[str]:
    urls = []
    for attachment in attachments if isinstance(attachments, list) else []:
        media = _dict(_dict(attachment).get("media"))
        uri = _str(_dict(media.get("image")).get("uri"))
        if uri:
            urls.append(urljoin(base, uri))
    return urls


def _raw_item(node: dict, response: CapturedResponse) -> _Found | None:
    kind = node.get("__typename")
    if kind == "Story":
        return _raw_post(node, response)
    if kind == "Comment":
        return _raw_comment(node, response)
    return None


def _raw_post(node: dict, response: CapturedResponse) -> _Found | None:
    post_id = _str(node.get("post_id"))
    epoch = _epoch(node.get("creation_time"))
    actors = node.get("actors")
    actor = _dict(actors[0]) if isinstance(actors, list) and actors else {}
    if not post_id or epoch is None or not actor:
        return None
    url = _str(node.get("url"))
    return _Found(
        id=post_id, item_type="post", parent_id=None, post_id=post_id, author=actor, epoch=epoch,
        text=_str(_dict(node.get("message")).get("text")), url=urljoin(response.url, url) if url else "",
        media=_photo_urls(node.get("attachments"), response.url), response=response,
    )


def _raw_comment(node: dict, response: CapturedResponse) -> _Found | None:
    comment_id = _str(node.get("legacy_fbid"))
    post_id = _str(_dict(node.get("parent_feedback")).get("share_fbid"))
    epoch = _epoch(node.get("created_time"))
    author = _dict(node.get("author"))
    if not comment_id or not post_id or epoch is None or not author:
        return None
    parent = _str(_dict(node.get("comment_parent")).get("legacy_fbid"))
    url = _str(node.get("url"))
    return _Found(
        id=comment_id, item_type="reply" if parent else "comment", parent_id=parent or post_id, post_id=post_id,
        author=author, epoch=epoch, text=_str(_dict(node.get("body")).get("text")),
        url=urljoin(response.url, url) if url else "", media=_photo_urls(node.get("attachments"), response.url),
        response=response,
    )


def _merge(found: list[_Found]) -> dict[str, _Found]:
    """One per id: the most complete reading wins; on a tie, the first recorded."""
    merged: dict[str, _Found] = {}
    for raw in found:
        current = merged.get(raw.id)
        if current is None or raw.completeness() > current.completeness():
            merged[raw.id] = raw
    return merged


def _stockholm_year(epoch: int) -> int:
    return datetime.fromtimestamp(epoch, STOCKHOLM).year


def _in_year(raw: _Found, posts: dict[str, _Found], year: int) -> bool:
    # A thread's year is its post's; without the post recorded, the item's own time is the best evidence.
    post = posts.get(raw.post_id, raw)
    return _stockholm_year(post.epoch) == year


def _of_account(raw: _Found, posts: dict[str, _Found], account: Account, pages: dict[str, str]) -> bool:
    post = posts.get(raw.post_id)
    if post is None:
        return raw.item_type != "post"  # an orphan comment was recorded on the account's pages
    return _is_account(post.author, account, pages)


def _is_account(author: dict, account: Account, pages: dict[str, str]) -> bool:
    if author.get("__typename") not in (None, "Page"):
        return False
    handle = pages.get(_str(author.get("id"))) or _handle_of(author)
    if account.handle:
        return handle.lower() == account.handle.lower()
    return _str(author.get("name")) == account.name


def _thread_key(raw: _Found, items: dict[str, _Found]) -> tuple:
    """Thread order: the post, then each comment followed by its replies, oldest first."""
    post = items.get(raw.post_id)
    head = (post.epoch if post else raw.epoch, raw.post_id)
    if raw.item_type == "post":
        return (*head, 0)
    comment = items.get(raw.parent_id or "") if raw.item_type == "reply" else raw
    anchor = (comment.epoch, comment.id) if comment else (raw.epoch, raw.parent_id or "")
    own = (1, raw.epoch, raw.id) if raw.item_type == "reply" else (0, 0, "")
    return (*head, 1, *anchor, *own)


def _to_item(raw: _Found, account: Account, pages: dict[str, str]) -> Item:
    response = raw.response
    return Item(
        id=raw.id,
        parent_id=raw.parent_id,
        platform="facebook",
        account=account.id,
        item_type=raw.item_type,  # type: ignore[arg-type]
        author=_str(raw.author.get("name")),
        author_is_account=_is_account(raw.author, account, pages),
        published_at=datetime.fromtimestamp(raw.epoch, UTC),
        text=raw.text,
        permalink=raw.url,
        media=[MediaRef(url=url, kind="image") for url in raw.media],
        source=SourceRecord(warc_file=response.warc_file, record_id=response.record_id, offset=response.offset,
                            url=response.url),
        post_id=raw.post_id,
    )
