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

from collections.abc import Iterable
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from smarchive.errors import CaptureError, LoginWall
from smarchive.model import Account, Item, MediaRef, year_bounds, year_of
from smarchive.platforms.answer_shape import key_paths
from smarchive.platforms.base import CaptureContext, CapturedResponse, Extraction, Owner, Reported
from smarchive.platforms.behaviour import load_behaviour
from smarchive.platforms.browsing import Expanded, click_all, each_post, expand_all
from smarchive.platforms.found import Found
from smarchive.platforms.jsondata import most_complete as _merge
from smarchive.platforms.linkedin_read import (
    ACTIVITY,
    GuestPost,
    Reading,
    activity_time_ms,
    company_handle,
    organization_id,
    parse_guest_feed,
    parse_pulse_article,
    read_response,
)
from smarchive.platforms.toolkit import AccountKeys, counted, json_documents, largest_counts, response_text

__all__ = ["BEHAVIOUR", "GuestPost", "LinkedInAdapter", "activity_time_ms", "company_handle", "parse_guest_feed",
           "parse_pulse_article"]

# How the capture behaves, as data (linkedin.toml): what to look for, what to click, how long to wait.
BEHAVIOUR: dict = load_behaviour("linkedin")

# A scroll event too: scrolling to where the page already is fires none, and the feed loads on scroll.
SCROLL_DOWN = "window.scrollTo(0, document.body.scrollHeight); window.dispatchEvent(new Event('scroll'))"


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
            each_post(ctx, permalinks, lambda post_id, url: self._capture_post(ctx, page, post_id, url))
        finally:
            page.close()

    def _capture_post(self, ctx: CaptureContext, page: Page, post_id: str, url: str) -> str:
        """Open an update's permalink, expand its comments and replies and its texts, snapshot it."""
        self._open(ctx, page, url)
        self._wait_for_post(page, post_id)
        clicks = self._expand(page, ctx, post_id)
        self._see_more(page)
        ctx.snapshot(page, post_id)
        return f"{counted(clicks, 'thread')} expanded"

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
            raise LoginWall(
                f"LinkedIn sent {url} to its auth wall ({page.url}): the browser is not logged in. "
                "Run `smarchive login linkedin` (the stored login is missing or has expired)."
            )
        if page.locator(BEHAVIOUR["guest_page"]).count():
            raise LoginWall(
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
        def click(button: Locator) -> Expanded:
            status, retry_after = self._click_and_wait(page, button)
            if status in BEHAVIOUR["throttled_statuses"]:
                ctx.throttled(f"comments of post {post_id}: HTTP {status}", retry_after)
                return Expanded(throttled=True)
            return Expanded(detail=f", HTTP {status}") if status else Expanded(answered=True)

        return expand_all(ctx, page, lambda: page.get_by_role("button", name=BEHAVIOUR["expand_button"]).first, click,
                          post_id=post_id, limit=BEHAVIOUR["max_expansions_per_post"],
                          max_failures=BEHAVIOUR["max_failed_expansions"])

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
        click_all(lambda: page.locator(BEHAVIOUR["see_more"]).first, limit=500, timeout_ms=BEHAVIOUR["xhr_timeout_ms"])

    # ----------------------------------------------------------------------------- extract

    def extract(self, responses: Iterable[CapturedResponse], account: Account, year: int) -> Extraction:
        found: list[Found] = []
        reported: list[Reported] = []
        owners: list[Owner] = []
        notes: list[str] = []
        fetched: dict[str, str] = {}  # media path -> the signed URL the browser fetched it from
        for response in responses:
            content_type = (response.content_type or "").lower()
            if content_type.startswith(("image/", "video/", "audio/")):
                if response.status == 200:
                    fetched.setdefault(urlsplit(response.url).path, response.url)
                continue
            if response.status != 200 or not response.body:
                continue
            reading = read_response(response, content_type)
            found += reading.found
            reported += reading.reported
            owners += reading.owners
            notes += _notes(response, reading)
        items = _merge(found)
        posts = {raw.id: raw for raw in items.values() if raw.item_type == "post"}
        keys = _AccountKeys.of(account, owners)
        kept = [raw for raw in items.values() if _in_year(raw, posts, year) and _of_account(raw, posts, keys)]
        return Extraction([_to_item(raw, keys, account, fetched) for raw in kept], reported=largest_counts(reported),
                          owners=keys.owners(owners), notes=notes)


# --------------------------------------------------------------------------------- capture helpers


def login_url(account_url: str) -> str:
    """The login page of the LinkedIn the account lives on (the sandbox serves it under /linkedin)."""
    parts = urlsplit(account_url)
    prefix = parts.path.split("/company/", 1)[0] if "/company/" in parts.path else ""
    return f"{parts.scheme}://{parts.netloc}{prefix}/login"


def _year_bounds_ms(year: int) -> tuple[int, int]:
    start, end = year_bounds(year)
    return start * 1000, end * 1000


def _of_year(posts: list[tuple[str, str]], start: int, end: int) -> list[tuple[str, str]]:
    chosen: dict[str, str] = {}
    for urn, link in posts:
        ms = activity_time_ms(urn)
        match = ACTIVITY.search(urn)
        if match and ms is not None and start <= ms < end and link:
            chosen.setdefault(match.group(1), link)
    return list(chosen.items())



# --------------------------------------------------------------------------------- extract helpers


def _in_year(raw: Found, posts: dict[str, Found], year: int) -> bool:
    post = posts.get(raw.post_id, raw)  # without its post recorded, the item's own time is the best evidence
    return year_of(post.epoch or 0) == year


class _AccountKeys(AccountKeys):
    """The organization urn(s) and handle(s) of the account (see AccountKeys)."""

    @classmethod
    def of(cls, account: Account, owners: list[Owner]) -> _AccountKeys:
        return cls.known(organization_id(account.platform_id), (account.handle, company_handle(account.url)), owners)

    def matches(self, author: dict) -> bool:
        author_urn, author_url = author.get("urn", ""), author.get("url", "")
        org = organization_id(author_urn)
        if org:
            return org in self.ids or (not self.ids and company_handle(author_url).lower() in self.handles)
        handle = company_handle(author_url).lower()
        return bool(handle) and handle in self.handles


def _of_account(raw: Found, posts: dict[str, Found], keys: _AccountKeys) -> bool:
    post = posts.get(raw.post_id)
    if post is None:
        return raw.item_type != "post"  # an orphan comment was recorded on the account's pages
    return keys.matches(post.author)



def _notes(response: CapturedResponse, reading: Reading) -> list[str]:
    """Warnings for answers the reader did not understand: an item-carrying answer that gave nothing, or item
    entities (Comment, Update) that could not be read (a renamed key)."""
    where = f"{response.url} (record {response.record_id})"
    missed = reading.item_shaped - len([f for f in reading.found if f.rank == 1])
    if missed > 0:
        return [f"linkedin: {missed} Comment/Update entities in {where} could not be read "
                f"(shape: {_shape(response)})"]
    carries_items = any(p.search(response.url) for p in BEHAVIOUR["item_url_patterns"])
    if carries_items and not reading.found and not _empty_listing(response):
        return [f"linkedin: answer of an item-carrying URL gave no item: {where} (shape: {_shape(response)})"]
    return []


def _documents(response: CapturedResponse) -> list[object]:
    text = response_text(response)
    return list(json_documents(text)) if text else []


def _shape(response: CapturedResponse) -> str:
    documents = _documents(response)
    return key_paths(documents[0]) if documents else "not JSON"


def _empty_listing(response: CapturedResponse) -> bool:
    """An answer that says there is nothing (a collection with no elements) is understood, not a warning."""
    for document in _documents(response):
        data = document.get("data") if isinstance(document, dict) else None
        paging = data.get("paging") if isinstance(data, dict) else None
        elements = (data or {}).get("elements") if isinstance(data, dict) else None
        if isinstance(document, dict) and isinstance(document.get("elements"), list):
            elements, paging = document["elements"], document.get("paging")
        if elements == [] or (isinstance(paging, dict) and paging.get("total") == 0):
            return True
    return False


def _to_item(raw: Found, keys: _AccountKeys, account: Account, fetched: dict[str, str]) -> Item:
    # Signed media URLs differ per answer (new expiry); name the file by the URL the browser really fetched.
    media = [MediaRef(url=fetched.get(urlsplit(url).path, url), kind="image") for url, _ in raw.media]
    return raw.item("linkedin", account, author=raw.author.get("name", ""), author_is_account=keys.matches(raw.author),
                    permalink=raw.url, media=media)
