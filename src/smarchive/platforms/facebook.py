"""Facebook Pages: drive the page so a year's posts and threads land in the WARC, read them back.

Capture: open the page, pass the cookie dialog, scroll the timeline (newest first) until a post
older than the year is loaded (a pinned post sits on top whatever its age: it neither stops nor
shortens the scroll), then open every post of the year on its permalink and expand all comments
and replies there. Timelines expand few comments and autoscroll stops early, so the permalink is
where a thread is recorded whole; "Visa mer" is clicked so the snapshot shows whole texts, and a
video's progressive file is fetched whole through the page (the player only asks for byte ranges)
so that it is in the WARC. 429/503 answers are waited out (Retry-After) within the run's budget.
Logged out, Facebook hides comments behind "Logga in för att se fler kommentarer": the capture
needs a logged-in browser state (`smarchive login facebook`), and fails clearly without one.

Extract: the dependable data is the JSON, not the page: the `<script type="application/json">`
blobs in the HTML and the GraphQL bodies. Pages show relative times ("3 dagar") and cut long
texts; the JSON has epochs and full texts. Anything not understood is skipped.

Year rule: a post belongs to the year of its publication in Europe/Stockholm time; comments and
replies belong to their post's year, even when written later (a thread is archived with its post).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from smarchive.errors import CaptureError, LoginWall
from smarchive.model import Account, Item, MediaRef, year_bounds, year_of
from smarchive.platforms import facebook_basic
from smarchive.platforms.answer_shape import key_paths
from smarchive.platforms.base import CaptureContext, CapturedResponse, Extraction, Owner, Reported
from smarchive.platforms.behaviour import load_behaviour
from smarchive.platforms.browsing import Expanded, click_all, each_post, expand_all
from smarchive.platforms.facebook_read import Reading, handle_from_url, handle_of, read_response
from smarchive.platforms.found import Found
from smarchive.platforms.jsondata import most_complete as _merge
from smarchive.platforms.toolkit import AccountKeys, counted, json_documents, largest_counts, response_text

# How the capture behaves, as data (facebook.toml): what to look for, what to click, how long to wait.
BEHAVIOUR: dict = load_behaviour("facebook")


class FacebookAdapter:
    platform = "facebook"
    requires_login = True  # logged out, Facebook shows one comment per post

    # ----------------------------------------------------------------------------- login

    def login(self, page: Page, account_url: str, username: str, password: str) -> None:
        """Fill Facebook's login form (cookie dialog first); CaptureError if the login is refused."""
        url = urljoin(account_url.rstrip("/") + "/", BEHAVIOUR["login_path"])
        url += "?next=" + quote(urlsplit(account_url).path or "/", safe="/")
        self._navigate(page, url, None)
        self._pass_consent(page, url, BEHAVIOUR["login_ready"])
        fields = BEHAVIOUR["login_fields"]
        try:
            page.wait_for_selector(BEHAVIOUR["login_ready"], timeout=BEHAVIOUR["content_timeout_ms"])
            page.fill(fields["username"], username)
            page.fill(fields["password"], password)
            with page.expect_navigation(timeout=BEHAVIOUR["navigation_timeout_ms"]):
                page.locator(BEHAVIOUR["login_submit"]).first.click()
        except PlaywrightError as error:
            raise CaptureError(f"Facebook login form at {url} could not be used: "
                               f"{error.message.splitlines()[0]}") from None
        problem = page.locator(BEHAVIOUR["login_error"])
        if problem.count() or page.locator(BEHAVIOUR["login_ready"]).count():
            said = problem.first.inner_text().strip() if problem.count() else "the login form is shown again"
            raise CaptureError(f"Facebook refused the login of {username}: {said}")

    # ----------------------------------------------------------------------------- capture

    def capture(self, ctx: CaptureContext) -> None:
        start, end = _year_bounds(ctx.year)
        page = self._new_page(ctx)
        try:
            self._open(page, ctx, ctx.account_url)
            if facebook_basic.is_basic(page):  # the plain-HTML views: links, no script (facebook_basic.py)
                facebook_basic.capture(ctx, page, start, end)
                return
            permalinks = self._collect_posts(page, ctx, start, end)
        finally:
            page.close()
        ctx.progress(f"{counted(len(permalinks), 'post')} of {ctx.year} found on the timeline")
        page = self._new_page(ctx)
        try:
            each_post(ctx, permalinks, lambda post_id, url: self._capture_post(page, ctx, post_id, url))
        finally:
            page.close()

    def _capture_post(self, page: Page, ctx: CaptureContext, post_id: str, url: str) -> str | None:
        """Open a post's permalink, expand its thread, fetch its videos whole, snapshot it."""
        if not self._open(page, ctx, url, missing_ok=True):
            ctx.warn(f"post {post_id} is no longer on Facebook ({url}); only the timeline shows it")
            return None
        self._wait_for_post(page, post_id)
        clicks = self._expand(page, ctx, post_id)
        self._require_login_state(page)
        self._show_whole_texts(page)
        videos = self._fetch_videos(page, ctx, post_id)
        ctx.snapshot(page, post_id)
        return f"{counted(clicks, 'thread')} expanded" + (f", {counted(videos, 'video')} recorded" if videos else "")

    @staticmethod
    def _new_page(ctx: CaptureContext) -> Page:
        """A page that notes the XHRs answered 429/503, for _wait_out_throttling to honour."""
        page = ctx.context.new_page()
        throttled: list[tuple[str, str | None]] = []

        def note(response: Response) -> None:
            if response.status in BEHAVIOUR["throttled_status"] and response.request.resource_type in ("xhr", "fetch"):
                throttled.append((f"{response.request.method} {response.url}: HTTP {response.status}",
                                  response.headers.get("retry-after")))

        page.on("response", note)
        page.throttled = throttled  # type: ignore[attr-defined]
        return page

    @staticmethod
    def _wait_out_throttling(page: Page, ctx: CaptureContext) -> bool:
        """Sleep as the platform asked for every throttled XHR since the last call; True if there was any."""
        noted: list = getattr(page, "throttled", [])
        waited = bool(noted)
        while noted:
            what, retry_after = noted.pop(0)
            ctx.throttled(what, retry_after)
        return waited

    def _navigate(self, page: Page, url: str, ctx: CaptureContext | None) -> Response | None:
        try:
            if ctx is not None:  # 429/503 are waited out there, within the run's budget
                return ctx.goto(page, url)
            return page.goto(url, wait_until="load", timeout=BEHAVIOUR["navigation_timeout_ms"])
        except PlaywrightError as error:
            raise CaptureError(f"cannot open {url}: {error.message.splitlines()[0]}") from None

    def _open(self, page: Page, ctx: CaptureContext, url: str, missing_ok: bool = False) -> bool:
        """Open a page and pass the cookie dialog; False if it is gone (404/410) and missing_ok."""
        response = self._navigate(page, url, ctx)
        if response is not None and response.status in (404, 410) and missing_ok:
            return False
        if response is not None and response.status >= 400:
            raise CaptureError(f"{url} answered HTTP {response.status}")
        self._pass_consent(page, url, f'{BEHAVIOUR["post"]}, {BEHAVIOUR["feed_end"]}, {BEHAVIOUR["basic"]["post"]}')
        return True

    def _pass_consent(self, page: Page, url: str, content: str) -> None:
        """Accept the cookie dialog if it is there; it reloads the page when answered."""
        dialog = page.locator(BEHAVIOUR["consent_dialog"])
        try:  # the dialog may be added by script after load: wait for it or for content
            page.wait_for_selector(f'{BEHAVIOUR["consent_dialog"]}, {content}', timeout=BEHAVIOUR["content_timeout_ms"])
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

    def _visible_posts(self, page: Page) -> list[tuple[str, int, str, bool]]:
        """(post id, epoch, permalink, pinned) of every post in the DOM, in page order."""
        script = """(els, a) => els.map(e => {
            const link = e.querySelector(a.link);
            return [e.getAttribute(a.id), Number(e.getAttribute(a.time)), link ? link.href : '', e.matches(a.pinned)];
        })"""
        names = {"id": BEHAVIOUR["post_id_attribute"], "time": BEHAVIOUR["post_time_attribute"],
                 "link": BEHAVIOUR["post_link"], "pinned": BEHAVIOUR["pinned"]}
        return [tuple(row) for row in page.eval_on_selector_all(BEHAVIOUR["post"], script, names)]

    @staticmethod
    def _reached_older(posts: list[tuple[str, int, str, bool]], start: int) -> bool:
        """A post older than the year, not counting a pinned one: marked, or first and out of order."""
        for index, (_, epoch, _, pinned) in enumerate(posts):
            out_of_order = index == 0 and len(posts) > 1 and epoch < posts[1][1]
            if epoch < start and not pinned and not out_of_order:
                return True
        return False

    def _collect_posts(self, page: Page, ctx: CaptureContext, start: int, end: int) -> list[tuple[str, str]]:
        try:
            page.wait_for_selector(f'{BEHAVIOUR["post"]}, {BEHAVIOUR["feed_end"]}',
                                   timeout=BEHAVIOUR["content_timeout_ms"])
        except PlaywrightTimeout:
            raise CaptureError(f"no posts appeared on {page.url} (a wall the capture cannot pass?)") from None
        idle = 0
        for _ in range(BEHAVIOUR["max_scrolls"]):
            posts = self._visible_posts(page)
            if self._reached_older(posts, start) or page.locator(BEHAVIOUR["feed_end"]).count():
                return self._of_year(posts, ctx.account_url, start, end)
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            grew = self._wait_for_more(page, len(posts))
            if self._wait_out_throttling(page, ctx):
                continue  # the page retries by itself after Retry-After: not an idle scroll
            idle = 0 if grew else idle + 1
            if idle >= BEHAVIOUR["max_idle_scrolls"]:
                raise CaptureError(
                    f"timeline of {ctx.account_url} stopped loading after {len(posts)} posts "
                    f"before reaching {ctx.year - 1}"
                )
            if grew:
                ctx.progress(f"timeline: {counted(len(self._visible_posts(page)), 'post')} loaded")
        raise CaptureError(f"timeline of {ctx.account_url} not exhausted after {BEHAVIOUR['max_scrolls']} scrolls")

    def _wait_for_more(self, page: Page, count: int) -> bool:
        script = "([sel, n]) => document.querySelectorAll(sel).length > n"
        try:
            page.wait_for_function(script, arg=[BEHAVIOUR["post"], count], timeout=BEHAVIOUR["scroll_wait_ms"])
            return True
        except PlaywrightTimeout:
            return page.locator(BEHAVIOUR["feed_end"]).count() > 0

    @staticmethod
    def _of_year(posts: list[tuple[str, int, str, bool]], account_url: str, start: int,
                 end: int) -> list[tuple[str, str]]:
        chosen: dict[str, str] = {}
        for post_id, epoch, link, _ in posts:
            if post_id and start <= epoch < end and post_id not in chosen:
                chosen[post_id] = link or urljoin(account_url.rstrip("/") + "/", f"posts/{post_id}")
        return list(chosen.items())

    def _expand(self, page: Page, ctx: CaptureContext, post_id: str) -> int:
        """Click every "more comments" / "N svar" button until none is left; returns the clicks."""
        def click(button: Locator) -> Expanded:
            answered = self._click_and_wait(page, button)
            # throttled: the same button is clicked again after the wait
            return Expanded(answered=answered, throttled=self._wait_out_throttling(page, ctx))

        return expand_all(ctx, page, lambda: page.get_by_role("button", name=BEHAVIOUR["expand_button"]).first, click,
                          post_id=post_id, limit=BEHAVIOUR["max_expansions_per_post"],
                          max_failures=BEHAVIOUR["max_failed_expansions"])

    def _click_and_wait(self, page: Page, button) -> bool:  # type: ignore[no-untyped-def]
        """Click and wait for the GraphQL answer and for the page to render it."""
        def is_graphql(response) -> bool:  # type: ignore[no-untyped-def]
            return BEHAVIOUR["graphql_path"] in response.url and response.request.method == "POST"

        try:
            with page.expect_response(is_graphql, timeout=BEHAVIOUR["xhr_timeout_ms"]) as answer:
                button.click(timeout=BEHAVIOUR["xhr_timeout_ms"])
            response = answer.value
            if not response.ok:
                # An error answer (5xx) is not read by the page, and Chromium may never report it finished.
                return False
            response.finished()
            page.wait_for_function(
                "sel => !document.querySelector(sel)", arg=BEHAVIOUR["busy"], timeout=BEHAVIOUR["xhr_timeout_ms"]
            )
            return response.ok
        except PlaywrightError:
            return False

    def _require_login_state(self, page: Page) -> None:
        """Logged out, the thread is cut short: recording it so would silently lose comments."""
        if page.get_by_text(BEHAVIOUR["login_prompt"]).count():
            raise LoginWall(f"Facebook hides comments on {page.url} behind 'Logga in för att se fler "
                               f"kommentarer': the browser is not logged in. Run `smarchive login facebook` "
                               f"(or check that the stored login state is still valid)")

    def _show_whole_texts(self, page: Page) -> None:
        """Click "Visa mer" so the snapshot shows whole texts (the JSON has them anyway)."""
        click_all(lambda: page.get_by_role("button", name=BEHAVIOUR["see_more"]).first, limit=BEHAVIOUR["max_see_more"],
                  timeout_ms=BEHAVIOUR["xhr_timeout_ms"])
    def _fetch_videos(self, page: Page, ctx: CaptureContext, post_id: str) -> int:
        """Fetch each video's progressive file whole through the page, so the WARC holds all of it.

        The player asks for byte ranges only (206 answers, and only as far as it plays); a plain
        GET from the page goes through the recording proxy like any other request.
        """
        script = "els => els.map(v => v.currentSrc || v.src || '').filter(u => u && !u.startsWith('blob:'))"
        urls = page.eval_on_selector_all(f'{BEHAVIOUR["post"]}[{BEHAVIOUR["post_id_attribute"]}="{post_id}"] '
                                         f'{BEHAVIOUR["video"]}', script)
        fetch = """async url => {
            const r = await fetch(url, {cache: 'no-store', credentials: 'include'});
            const size = (await r.arrayBuffer()).byteLength;
            return [r.status, r.headers.get('retry-after'), size];
        }"""
        done = 0
        for url in dict.fromkeys(urls):
            for _ in range(BEHAVIOUR["max_failed_expansions"] + 1):
                status, retry_after, size = page.evaluate(fetch, url)
                if status not in BEHAVIOUR["throttled_status"]:
                    break
                ctx.throttled(f"video {url}: HTTP {status}", retry_after)
            if status == 200 and size > 0:
                done += 1
            else:
                ctx.warn(f"post {post_id}: video {url} could not be fetched whole (HTTP {status})")
        return done

    # ----------------------------------------------------------------------------- extract

    def carries_items(self, response: CapturedResponse) -> bool:
        """For the extract stage's check: whether a JSON answer is one that carries items (facebook.toml's
        `item_graphql_names`; one that gives none is flagged there, with a row of the `unrecognised` table).
        The pages of `item_url_patterns` hold no JSON the check could judge: the reader's own notes judge them."""
        return _graphql_carries_items(response)

    def extract(self, responses: Iterable[CapturedResponse], account: Account, year: int) -> Extraction:
        found: list[Found] = []
        reported: list[Reported] = []
        owners: list[Owner] = []
        notes: list[str] = []
        recorded = _RecordedMedia()
        for response in responses:
            recorded.note(response)
            reading = read_response(response)
            found += reading.found
            reported += reading.reported
            owners += reading.owners
            notes += _notes(response, reading)
        items = _merge(found)
        keys = _AccountKeys.of(account, owners)
        posts = {raw.id: raw for raw in items.values() if raw.item_type == "post"}
        kept = [raw for raw in items.values() if _in_year(raw, posts, year) and _of_account(raw, posts, keys)]
        return Extraction([_to_item(raw, account, keys, recorded) for raw in kept],
                          reported=largest_counts(reported), owners=keys.owners(owners), notes=notes)


# --------------------------------------------------------------------------------- helpers


class _AccountKeys(AccountKeys):
    """The page id(s) and handle(s) of the account (see AccountKeys)."""

    @classmethod
    def of(cls, account: Account, owners: list[Owner]) -> _AccountKeys:
        return cls.known(account.platform_id, (account.handle, handle_from_url(account.url)), owners)

    def matches(self, author: dict) -> bool:
        if author.get("__typename") not in (None, "Page"):
            return False  # a User is never the account
        author_id = str(author.get("id") or "")
        if author_id and author_id in self.ids:
            return True
        handle = handle_of(author).lower()
        return bool(handle) and handle in self.handles


def _year_bounds(year: int) -> tuple[int, int]:
    """Epoch seconds of 1 January 00:00 Stockholm time of the year and of the next."""
    return year_bounds(year)


def _in_year(raw: Found, posts: dict[str, Found], year: int) -> bool:
    # A thread's year is its post's; without the post recorded, the item's own time is the best evidence.
    post = posts.get(raw.post_id, raw)
    return year_of(post.epoch) == year


def _of_account(raw: Found, posts: dict[str, Found], keys: _AccountKeys) -> bool:
    post = posts.get(raw.post_id)
    if post is None:
        return raw.item_type != "post"  # an orphan comment was recorded on the account's pages
    return keys.matches(post.author)



def _carries_items(response: CapturedResponse) -> bool:
    """An answer of facebook.toml's item-carrying URL patterns or GraphQL queries."""
    return any(pattern.search(response.url) for pattern in BEHAVIOUR["item_url_patterns"]) or \
        _graphql_carries_items(response)


def _graphql_carries_items(response: CapturedResponse) -> bool:
    if BEHAVIOUR["graphql_path"] not in response.url:
        return False
    body = response.request_body.decode("utf-8", "replace")
    # A WARC without the request (some crawlers keep only responses) cannot tell the query: counted as one that
    # carries items, so that a changed answer is not passed over in silence.
    return not body.strip() or any(name in body for name in BEHAVIOUR["item_graphql_names"])


def _notes(response: CapturedResponse, reading: Reading) -> list[str]:
    """Warnings for answers the reader did not understand: Comment/Story nodes that could not be read (a
    renamed key), or an item-carrying answer that gave nothing (facebook.toml says which answers carry items).
    Where the extract stage's check flags the same answer (with a row of the manifest table `unrecognised`),
    its warning stands for both: one warning per answer."""
    where = f"{response.url} (record {response.record_id})"
    missed = reading.item_shaped - reading.item_read
    if missed > 0:
        return [f"facebook: {missed} Comment/Story nodes in {where} could not be read (shape: {_shape(response)})"]
    if response.status == 200 and not reading.found and _carries_items(response):
        return [f"facebook: answer of an item-carrying URL gave no item: {where} (shape: {_shape(response)})"]
    return []


def _shape(response: CapturedResponse) -> str:
    text = response_text(response) or ""
    documents = list(json_documents(text))
    if documents:
        return key_paths(documents[0])
    title = re.search(r"<title[^>]*>(.*?)</title", text, re.IGNORECASE | re.DOTALL)
    return f"HTML titled {' '.join(title.group(1).split())!r}" if title else "not JSON"


class _RecordedMedia:
    """Media files recorded whole (HTTP 200), by URL without its signature.

    Facebook signs media URLs afresh in every response, so the URL an item's JSON names may not be
    the one the browser fetched (an earlier page's signature did). Same file, same URL once the
    signature parameters are dropped; other parameters (a segment's bytestart) keep files apart.
    """

    def __init__(self) -> None:
        self._best: dict[str, tuple[int, str]] = {}
        self._exact: set[str] = set()

    def note(self, response: CapturedResponse) -> None:
        content_type = (response.content_type or "").lower()
        if response.status != 200 or not response.body or not content_type.startswith(("image/", "video/", "audio/")):
            return
        self._exact.add(response.url)
        key = _unsigned(response.url)
        if len(response.body) > self._best.get(key, (-1, ""))[0]:
            self._best[key] = (len(response.body), response.url)

    def resolve(self, url: str) -> str:
        if url in self._exact:
            return url
        return self._best.get(_unsigned(url), (0, url))[1]


def _unsigned(url: str) -> str:
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k not in BEHAVIOUR["signature_params"]]
    return parts._replace(query=urlencode(sorted(kept)), fragment="").geturl()


def _to_item(raw: Found, account: Account, keys: _AccountKeys, recorded: _RecordedMedia) -> Item:
    return raw.item("facebook", account, author=str(raw.author.get("name") or ""),
                    author_is_account=keys.matches(raw.author), permalink=raw.url,
                    media=[MediaRef(url=recorded.resolve(url), kind=kind) for url, kind in raw.media])  # type: ignore[arg-type]
