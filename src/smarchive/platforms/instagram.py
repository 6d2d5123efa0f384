"""Instagram: log in once, then drive a profile so a year's posts and threads land in the WARC.

Instagram shows almost nothing to a logged-out browser (a few posts under a "Logga in" modal, or a
redirect to the login form), so the capture starts from a stored, logged-in browser state made
by `smarchive login instagram`; if the wall shows anyway the capture fails with that advice
instead of archiving an empty profile.

Capture: open the profile, pass the cookie dialog, scroll the grid until the posts loaded by the
cursor-paged GraphQL calls reach back past the year (pinned posts sit on top out of date order
and are not taken as the end), then open every post of the year on its permalink and expand it
there: "mer" on the caption, every carousel image ("Nästa"), "Läs in fler kommentarer" and
"Visa svar (N)" until nothing is left; videos are taken from their progressive file.

Extract: the dependable data is the JSON, never the page text (relative times such as "3 v",
cut captions): `window._sharedData` in the HTML (entry_data.ProfilePage / PostPage, as in the
real 2019 pages) and the GraphQL answers (edge_owner_to_timeline_media,
edge_media_to_parent_comment, edge_threaded_comments); which post or comment an answer belongs
to is read from the `variables` of its URL. Anything not understood is skipped.

Year rule: a post belongs to the year of its publication in Europe/Stockholm time; comments and
replies belong to their post's year (a thread is archived with its post).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    "consent_dialog": "[role=dialog]:has-text('cookies')",
    # Either answer lifts the wall on the real site.
    "consent_buttons": ("Tillåt alla cookies", "Allow all cookies", "Avböj valfria cookies",
                        "Decline optional cookies", "Only allow essential cookies"),
    "login_path": "/accounts/login/",
    "login_wall": "[role=dialog]:has-text('Logga in för att'), [role=dialog]:has-text('Log in to')",
    "username_field": "input[name=username]",
    "password_field": "input[name=password]",
    "login_buttons": ("Logga in", "Log in"),
    "login_error": "#slfErrorAlert:visible, [role=alert]:visible",
    "grid_ready": "main a[href*='/p/'], main .empty",
    "post_ready": "main article",
    # "mer" on a caption, "Nästa" in a carousel, more comments, "Visa svar (3)"; never "Dölj svar".
    "expand_button": re.compile(r"^(mer|more|Nästa|Next|Läs in fler kommentarer|Visa fler kommentarer|"
                                r"Load more comments|View more comments|Visa svar \(\d+\)|View replies \(\d+\))$"),
    "busy": "[aria-busy=true]",
    "video": "main article video",
    "graphql_path": "/graphql/query/",
    "navigation_timeout_ms": 30_000,
    "content_timeout_ms": 15_000,
    "xhr_timeout_ms": 15_000,
    "scroll_wait_ms": 3_000,
    "max_idle_scrolls": 5,  # scrolls in a row that load nothing before giving up
    "max_scrolls": 1_000,
    "max_expansions_per_post": 1_000,
    "max_failed_expansions": 3,
}

# Where post, comment and reply permalinks come from and which edges hold comments.
COMMENT_EDGES = ("edge_media_to_parent_comment", "edge_media_to_comment", "edge_media_preview_comment",
                 "edge_media_to_hoisted_comment")
SHARED_DATA = re.compile(r"window\._sharedData\s*=\s*")
SCRIPT_JSON = re.compile(
    r"<script\b(?=[^>]*\btype\s*=\s*[\"']application/json[\"'])[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)
SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
LATEST_EPOCH = 4_102_444_800  # 2100-01-01: anything later is not a timestamp
THROTTLED = (429, 500, 502, 503, 504)  # 5xx now and then, like a rate limit: wait, retry


class InstagramAdapter:
    platform = "instagram"
    requires_login = True

    def __init__(self) -> None:
        self.notes: list[str] = []  # what the last extract could not find, in words

    # ----------------------------------------------------------------------------- login

    def login(self, page: Page, account_url: str, username: str, password: str) -> None:
        """Fill the login form; raise CaptureError if the platform refuses the credentials."""
        url = login_url(account_url)
        try:
            page.goto(url, wait_until="load", timeout=BEHAVIOUR["navigation_timeout_ms"])
            self._pass_consent(page, url, BEHAVIOUR["username_field"])
            page.wait_for_selector(BEHAVIOUR["username_field"], timeout=BEHAVIOUR["content_timeout_ms"])
        except PlaywrightTimeout:
            raise CaptureError(f"instagram: no login form on {url}") from None
        page.fill(BEHAVIOUR["username_field"], username)
        page.fill(BEHAVIOUR["password_field"], password)
        button = self._first_button(page, BEHAVIOUR["login_buttons"])
        if button is None:
            raise CaptureError(f"instagram: the login form on {url} has no 'Logga in' button")
        if not button.is_enabled():  # the form refuses to send, e.g. a password under six characters
            raise CaptureError(f"instagram: login refused for {username}: the form does not accept these "
                               "credentials (empty or too short?)")
        button.click(timeout=BEHAVIOUR["content_timeout_ms"])
        self._wait_for_login(page, url, username)

    def _wait_for_login(self, page: Page, url: str, username: str) -> None:
        script = "([path, error]) => !location.pathname.endsWith(path) || !!document.querySelector(error)"
        try:
            page.wait_for_function(script, arg=[BEHAVIOUR["login_path"], "#slfErrorAlert:not([hidden])"],
                                   timeout=BEHAVIOUR["navigation_timeout_ms"])
            page.wait_for_load_state("load")
        except PlaywrightTimeout:
            raise CaptureError(f"instagram: no answer to the login on {url}") from None
        if urlsplit(page.url).path.endswith(BEHAVIOUR["login_path"]):
            alert = page.locator(BEHAVIOUR["login_error"])
            reason = alert.first.inner_text().strip() if alert.count() else "the login page is still shown"
            raise CaptureError(f"instagram: login refused for {username}: {reason}")

    # ----------------------------------------------------------------------------- capture

    def capture(self, ctx: CaptureContext) -> None:
        start, end = _year_bounds(ctx.year)
        profile = ctx.account_url if ctx.account_url.endswith("/") else ctx.account_url + "/"
        page = ctx.context.new_page()
        try:
            watcher = _Watcher(page)
            response = self._open(ctx, page, profile, BEHAVIOUR["grid_ready"])
            timeline = _Timeline()
            timeline.read(_body_text(response), profile)
            if timeline.logged_out:
                raise _login_wall(profile)
            self._scroll_grid(ctx, page, watcher, timeline, start)
        finally:
            page.close()
        chosen = timeline.of_year(start, end)
        ctx.progress(f"{counted(len(chosen), 'post')} of {ctx.year} found in the grid")
        page = ctx.context.new_page()
        try:
            watcher = _Watcher(page)
            for number, (post_id, url) in enumerate(chosen, start=1):
                if ctx.already_captured(post_id):
                    ctx.progress(f"post {number}/{len(chosen)} {post_id}: already captured")
                    continue
                self._open(ctx, page, url, BEHAVIOUR["post_ready"])
                clicks = self._expand(ctx, page, watcher, post_id)
                self._keep_videos(ctx, page, post_id)
                ctx.snapshot(page, post_id)
                ctx.progress(f"post {number}/{len(chosen)} {post_id}: {counted(clicks, 'click')} to expand it")
        finally:
            page.close()

    def _open(self, ctx: CaptureContext, page: Page, url: str, ready: str) -> Response | None:
        """Navigate (429s waited out), pass the cookie dialog, fail on the login wall, wait for content."""
        try:
            response = ctx.goto(page, url)
        except PlaywrightError as error:
            raise CaptureError(f"instagram: cannot open {url}: {error.message.splitlines()[0]}") from None
        if urlsplit(page.url).path.endswith(BEHAVIOUR["login_path"]):
            raise _login_wall(url)
        if response is not None and response.status >= 400:
            raise CaptureError(f"instagram: {url} answered HTTP {response.status}")
        self._pass_consent(page, url, f"{ready}, {BEHAVIOUR['login_wall']}")
        try:
            page.wait_for_selector(f"{ready}, {BEHAVIOUR['login_wall']}", timeout=BEHAVIOUR["content_timeout_ms"])
        except PlaywrightTimeout:
            raise CaptureError(f"instagram: nothing appeared on {url} (a wall the capture cannot pass?)") from None
        if page.locator(BEHAVIOUR["login_wall"]).count():
            raise _login_wall(url)
        return response

    def _pass_consent(self, page: Page, url: str, content: str) -> None:
        """Answer the cookie dialog if it is shown; the page goes on without reloading."""
        dialog = page.locator(BEHAVIOUR["consent_dialog"])
        try:  # the dialog is added by script: wait for it or for content
            page.wait_for_selector(f"{BEHAVIOUR['consent_dialog']}, {content}", timeout=BEHAVIOUR["content_timeout_ms"])
        except PlaywrightTimeout:
            return  # nothing at all: the callers' own waits report it
        if dialog.count() == 0 or not dialog.first.is_visible():
            return
        button = self._first_button(dialog.first, BEHAVIOUR["consent_buttons"])
        if button is None:
            raise CaptureError(f"instagram: cookie dialog on {url} has no button to accept it")
        button.click(timeout=BEHAVIOUR["content_timeout_ms"])
        try:
            dialog.first.wait_for(state="detached", timeout=BEHAVIOUR["content_timeout_ms"])
        except PlaywrightTimeout:
            raise CaptureError(f"instagram: cookie dialog on {url} did not go away when accepted") from None

    @staticmethod
    def _first_button(scope, names: tuple[str, ...]):  # type: ignore[no-untyped-def]
        for name in names:
            button = scope.get_by_role("button", name=name, exact=True)
            if button.count():
                return button.first
        return None

    def _scroll_grid(self, ctx: CaptureContext, page: Page, watcher: _Watcher, timeline: _Timeline,
                     start: int) -> None:
        """Scroll until the grid holds a post older than the year, or has no more."""
        seen = idle = 0
        for _ in range(BEHAVIOUR["max_scrolls"]):
            for answer in watcher.new_answers():
                if answer.status in THROTTLED:
                    ctx.throttled(f"grid of {ctx.account_url}: HTTP {answer.status}", answer.retry_after)
                elif answer.ok:
                    timeline.read(answer.text(), answer.url)
            if timeline.reached(start):
                return
            grew = len(timeline.posts) > seen
            seen = len(timeline.posts)
            idle = 0 if grew else idle + 1
            if idle > BEHAVIOUR["max_idle_scrolls"]:
                raise CaptureError(f"instagram: grid of {ctx.account_url} stopped loading after {seen} posts "
                                   f"before reaching {ctx.year - 1}")
            if grew:
                ctx.progress(f"grid: {counted(seen, 'post')} loaded")
            # up a little, then to the bottom: a scroll event even when already at the bottom
            page.evaluate("window.scrollBy(0, -300); window.scrollTo(0, document.body.scrollHeight)")
            watcher.wait_for_answer(page, BEHAVIOUR["scroll_wait_ms"])
        raise CaptureError(f"instagram: grid of {ctx.account_url} not exhausted after {BEHAVIOUR['max_scrolls']} "
                           "scrolls")

    def _expand(self, ctx: CaptureContext, page: Page, watcher: _Watcher, post_id: str) -> int:
        """Click every "mer", "Nästa", more-comments and "Visa svar (N)" until none is left."""
        clicks = failures = 0
        watcher.new_answers()
        while clicks < BEHAVIOUR["max_expansions_per_post"]:
            button = page.locator("main article").get_by_role("button", name=BEHAVIOUR["expand_button"]).first
            if button.count() == 0:
                return clicks
            label = button.get_attribute("aria-label") or button.inner_text()
            clicks += 1
            ok = self._click_and_settle(page, button)
            throttled = [a for a in watcher.new_answers() if a.status in THROTTLED]
            for answer in throttled:
                ctx.throttled(f"post {post_id}: '{label}' answered HTTP {answer.status}", answer.retry_after)
            if ok and not throttled:
                failures = 0
                continue
            failures += 0 if throttled else 1
            if failures >= BEHAVIOUR["max_failed_expansions"]:
                ctx.warn(f"post {post_id}: could not expand everything ('{label}' failed) on {page.url}")
                return clicks
        ctx.warn(f"post {post_id}: stopped expanding after {counted(clicks, 'click')} ({page.url})")
        return clicks

    @staticmethod
    def _click_and_settle(page: Page, button) -> bool:  # type: ignore[no-untyped-def]
        """Click, then wait until no request is pending (aria-busy) and every image has loaded."""
        settled = """sel => !document.querySelector(sel) &&
            [...document.querySelectorAll('main article img')].every(i => i.complete)"""
        try:
            button.click(timeout=BEHAVIOUR["xhr_timeout_ms"])
            page.wait_for_function(settled, arg=BEHAVIOUR["busy"], timeout=BEHAVIOUR["xhr_timeout_ms"])
            return True
        except PlaywrightError:
            return False

    def _keep_videos(self, ctx: CaptureContext, page: Page, post_id: str) -> None:
        """Make sure each video's progressive file is recorded whole: the player may stop reading early."""
        script = "videos => videos.flatMap(v => [v.currentSrc || v.src, v.poster])"
        sources = page.eval_on_selector_all(BEHAVIOUR["video"], script)
        for source in sources:
            if source.startswith("blob:"):
                ctx.warn(f"post {post_id}: a video plays through MediaSource only; its file is not in the WARC")
                continue
            if not source:
                continue
            script = "async url => { const r = await fetch(url); await r.arrayBuffer(); return r.status; }"
            try:
                status = page.evaluate(script, source)
            except PlaywrightError as error:
                status = error.message.splitlines()[0]
            if status != 200:
                ctx.warn(f"post {post_id}: video {source} could not be fetched ({status})")

    # ----------------------------------------------------------------------------- extract

    def extract(self, responses: Iterable[CapturedResponse], account: Account, year: int) -> Extraction:
        self.notes = []
        found: list[_Found] = []
        recorded: dict[str, str] = {}  # media path -> a URL the capture recorded it under
        pages = 0
        for response in responses:
            if response.status != 200:
                continue
            if _is_media(response):
                recorded.setdefault(urlsplit(response.url).path, response.url)
                continue
            pages += 1 if "html" in response.content_type.lower() else 0
            found += read_response(response)
        items = _merge(found)
        posts = {raw.id: raw for raw in items.values() if raw.item_type == "post"}
        if not posts:
            self.notes.append(f"no Instagram posts in {pages} recorded page(s) and their JSON: an app shell "
                              "without its data (fetched without JavaScript), a login wall, or nothing published")
        kept = [raw for raw in items.values() if _belongs(raw, items, posts, account, year)]
        return Extraction([_to_item(raw, items, account, recorded) for raw in kept], notes=list(self.notes))


# --------------------------------------------------------------------------------- capture helpers


def login_url(account_url: str) -> str:
    """The login form beside a profile URL: https://www.instagram.com/<handle>/ -> /accounts/login/."""
    profile = account_url if account_url.endswith("/") else account_url + "/"
    return urljoin(profile, ".." + BEHAVIOUR["login_path"])


def _login_wall(url: str) -> CaptureError:
    return CaptureError(f"instagram: login wall on {url}: the browser is not logged in (stored login state "
                        "missing or expired); run `smarchive login instagram` and capture again")


def _year_bounds(year: int) -> tuple[int, int]:
    """Epoch seconds of 1 January 00:00 Stockholm time of the year and of the next."""
    return (int(datetime(year, 1, 1, tzinfo=STOCKHOLM).timestamp()),
            int(datetime(year + 1, 1, 1, tzinfo=STOCKHOLM).timestamp()))


def _body_text(response: Response | None) -> str:
    try:
        return response.text() if response is not None else ""
    except PlaywrightError:
        return ""


@dataclass
class _Answer:
    """A GraphQL answer seen by the page: status now, body when asked for."""

    response: Response
    status: int
    url: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retry_after(self) -> str | None:
        return self.response.headers.get("retry-after")

    def text(self) -> str:
        return _body_text(self.response)


class _Watcher:
    """Collects the page's GraphQL answers as they arrive (also those its scripts start on their own)."""

    def __init__(self, page: Page) -> None:
        self._answers: list[_Answer] = []
        self._read = 0
        page.on("response", self._on_response)

    def _on_response(self, response: Response) -> None:
        if BEHAVIOUR["graphql_path"] in response.url:
            self._answers.append(_Answer(response, response.status, response.url))

    def new_answers(self) -> list[_Answer]:
        fresh = self._answers[self._read:]
        self._read = len(self._answers)
        for answer in fresh:
            if answer.status >= 400:
                continue  # an error answer is not read by the page; Chromium may never report it finished
            try:
                answer.response.finished()
            except PlaywrightError:
                pass
        return fresh

    def wait_for_answer(self, page: Page, timeout_ms: int) -> bool:
        waited = 0
        while waited < timeout_ms:
            if len(self._answers) > self._read:
                return True
            page.wait_for_timeout(100)  # lets Playwright deliver the page's events
            waited += 100
        return False


@dataclass
class _Timeline:
    """The grid as the JSON describes it: post ids, epochs, pinned or not, and whether more can load."""

    posts: dict[str, tuple[int, bool, str]] = field(default_factory=dict)  # id -> (epoch, pinned, permalink)
    has_next: bool = True
    logged_out: bool = False

    def read(self, text: str, url: str) -> None:
        fake = CapturedResponse(url=url, status=200, content_type="text/html" if text.lstrip().startswith("<")
                                else "application/json", body=text.encode("utf-8"), warc_file="", record_id="",
                                offset=0)
        for payload in _payloads(fake):
            config = _dict(_dict(payload).get("config"))
            if "viewer" in config and config["viewer"] is None:
                self.logged_out = True
            for node in _walk(payload):
                connection = _dict(node.get("edge_owner_to_timeline_media"))
                if "page_info" in connection:
                    self.has_next = bool(_dict(connection["page_info"]).get("has_next_page"))
                if _is_post(node):
                    pinned = bool(node.get("pinned_for_users"))
                    link = _post_url(_site_root(url), _str(node.get("shortcode")))
                    self.posts.setdefault(_str(node["id"]), (_epoch(node.get("taken_at_timestamp")) or 0, pinned, link))

    def reached(self, start: int) -> bool:
        return not self.has_next or any(epoch < start and not pinned for epoch, pinned, _ in self.posts.values())

    def of_year(self, start: int, end: int) -> list[tuple[str, str]]:
        return [(post_id, link) for post_id, (epoch, _, link) in self.posts.items() if start <= epoch < end]


# --------------------------------------------------------------------------------- extract helpers


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
    root: str  # the site's root URL, for permalinks
    shortcode: str
    media: list[tuple[str, str]]  # (url, kind)
    response: CapturedResponse
    from_post_page: bool = False

    def completeness(self) -> tuple[int, int, int]:
        return (len(self.text), len(self.media), 1 if self.from_post_page else 0)


def _is_media(response: CapturedResponse) -> bool:
    return response.content_type.lower().startswith(("image/", "video/", "audio/"))


def _payloads(response: CapturedResponse) -> Iterator[object]:
    """Every JSON document in a response: `window._sharedData` and JSON blobs of a page, or a JSON body."""
    content_type = (response.content_type or "").lower()
    if content_type.startswith(("image/", "video/", "audio/", "font/")) or not response.body:
        return
    try:
        text = response.body.decode("utf-8")
    except UnicodeDecodeError:
        return
    stripped = text.lstrip()
    if "html" in content_type or stripped.startswith("<"):
        yield from _html_documents(text)
    elif "json" in content_type or "javascript" in content_type or stripped.startswith(("{", "[")):
        try:
            yield json.loads(stripped)
        except (json.JSONDecodeError, RecursionError):
            return


def _html_documents(text: str) -> Iterator[object]:
    decoder = json.JSONDecoder()
    for match in SHARED_DATA.finditer(text):
        try:  # the object ends where the JSON ends: raw_decode needs no closing pattern
            yield decoder.raw_decode(text, match.end())[0]
        except (json.JSONDecodeError, RecursionError):
            continue
    for match in SCRIPT_JSON.finditer(text):
        try:
            yield json.loads(match.group(1).strip())
        except (json.JSONDecodeError, RecursionError):
            continue


def _str(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    return str(value) if isinstance(value, int | str) else ""


def _epoch(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    elif isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and 0 <= value < LATEST_EPOCH else None


def _edges(connection: object) -> Iterator[dict]:
    edges = _dict(connection).get("edges")
    for edge in edges if isinstance(edges, list) else []:
        node = _dict(_dict(edge).get("node"))
        if node:
            yield node


def shortcode_of(media_id: str) -> str:
    """Instagram's shortcode of a media id (base 64 in a URL-safe alphabet)."""
    if not media_id.isdigit():
        return ""
    number, digits = int(media_id), []
    while number:
        number, rest = divmod(number, 64)
        digits.append(SHORTCODE_ALPHABET[rest])
    return "".join(reversed(digits))


def media_id_of(code: str) -> str:
    number = 0
    for char in code:
        position = SHORTCODE_ALPHABET.find(char)
        if position < 0:
            return ""
        number = number * 64 + position
    return str(number) if code else ""


def _site_root(url: str) -> str:
    """The root the site's paths hang from: the origin, or origin + /instagram under the sandbox."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin + "/instagram" if parts.path.startswith("/instagram/") else origin


def _post_url(root: str, code: str) -> str:
    return f"{root}/p/{code}/"


def _variables(url: str) -> dict:
    raw = (parse_qs(urlsplit(url).query).get("variables") or [""])[0]
    try:
        value = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _is_post(node: dict) -> bool:
    return bool(_str(node.get("id")) and _str(node.get("shortcode")) and "taken_at_timestamp" in node
                and _dict(node.get("owner")))


def read_response(response: CapturedResponse) -> list[_Found]:
    """Every post, comment and reply one response shows (the same code reads real and sandbox pages)."""
    found: list[_Found] = []
    root = _site_root(response.url)
    variables = _variables(response.url)
    for payload in _payloads(response):
        for node in _walk(payload):
            if _is_post(node):
                found += _read_post(node, response, root)
            media = _dict(node.get("shortcode_media"))
            if media and not _is_post(media):  # a page of comments: the post is in the URL's variables
                code = _str(variables.get("shortcode"))
                post_id = media_id_of(code)
                for key in COMMENT_EDGES:
                    for comment in _edges(media.get(key)):
                        found += _read_comment(comment, post_id, code, response, root)
            thread = _dict(_dict(node.get("comment")).get("edge_threaded_comments"))
            if thread:  # a page of replies: the comment is in the URL's variables
                parent = _str(variables.get("comment_id"))
                found += [r for reply in _edges(thread) if (r := _read_reply(reply, parent, response, root))]
    return found


def _post_media(node: dict, base: str) -> list[tuple[str, str]]:
    children = list(_edges(node.get("edge_sidecar_to_children"))) or [node]
    media: list[tuple[str, str]] = []
    for child in children:
        display = _str(child.get("display_url"))
        if display:
            media.append((urljoin(base, display), "image"))
        video = _str(child.get("video_url"))
        if child.get("is_video") and video:
            media.append((urljoin(base, video), "video"))
    return media


def _caption(node: dict) -> str:
    return next((_str(c.get("text")) for c in _edges(node.get("edge_media_to_caption"))), "")


def _read_post(node: dict, response: CapturedResponse, root: str) -> list[_Found]:
    epoch = _epoch(node.get("taken_at_timestamp"))
    if epoch is None:
        return []
    post_id, code = _str(node["id"]), _str(node.get("shortcode"))
    found = [_Found(id=post_id, item_type="post", parent_id=None, post_id=post_id, author=_dict(node["owner"]),
                    epoch=epoch, text=_caption(node), root=root, shortcode=code,
                    media=_post_media(node, response.url), response=response,
                    from_post_page=any(isinstance(_dict(node.get(k)).get("edges"), list) for k in COMMENT_EDGES))]
    for key in COMMENT_EDGES:
        for comment in _edges(node.get(key)):
            found += _read_comment(comment, post_id, code, response, root)
    return found


def _read_comment(node: dict, post_id: str, code: str, response: CapturedResponse, root: str) -> list[_Found]:
    comment_id, epoch, owner = _str(node.get("id")), _epoch(node.get("created_at")), _dict(node.get("owner"))
    if not comment_id or not post_id or epoch is None or not owner:
        return []
    found = [_Found(id=comment_id, item_type="comment", parent_id=post_id, post_id=post_id, author=owner,
                    epoch=epoch, text=_str(node.get("text")), root=root, shortcode=code, media=[],
                    response=response)]
    for reply in _edges(node.get("edge_threaded_comments")):
        read = _read_reply(reply, comment_id, response, root)
        if read is not None:
            read.post_id, read.shortcode = post_id, code
            found.append(read)
    return found


def _read_reply(node: dict, parent: str, response: CapturedResponse, root: str) -> _Found | None:
    reply_id, epoch, owner = _str(node.get("id")), _epoch(node.get("created_at")), _dict(node.get("owner"))
    if not reply_id or not parent or epoch is None or not owner:
        return None
    # the post is not in a page of replies: filled in from the parent comment when merging
    return _Found(id=reply_id, item_type="reply", parent_id=parent, post_id="", author=owner, epoch=epoch,
                  text=_str(node.get("text")), root=root, shortcode="", media=[], response=response)


def _merge(found: list[_Found]) -> dict[str, _Found]:
    """One per id: the most complete reading wins; on a tie, the first recorded. Replies get their post."""
    merged: dict[str, _Found] = {}
    for raw in found:
        current = merged.get(raw.id)
        if current is None or raw.completeness() > current.completeness():
            if current is not None and not raw.post_id:
                raw.post_id, raw.shortcode = current.post_id, current.shortcode
            merged[raw.id] = raw
    for raw in merged.values():
        if raw.item_type == "reply" and not raw.post_id:
            parent = merged.get(raw.parent_id or "")
            if parent is not None:
                raw.post_id, raw.shortcode = parent.post_id, parent.shortcode
    return merged


def _stockholm_year(epoch: int) -> int:
    return datetime.fromtimestamp(epoch, STOCKHOLM).year


def _is_account(author: dict, account: Account) -> bool:
    if account.handle:
        return _str(author.get("username")).lower() == account.handle.lower()
    return _str(author.get("full_name")) == account.name


def _belongs(raw: _Found, items: dict[str, _Found], posts: dict[str, _Found], account: Account, year: int) -> bool:
    """Of the account's posts of the year, or in their threads (a thread without its post is not kept)."""
    post = posts.get(raw.post_id)
    if post is None or not _is_account(post.author, account):
        return False
    if raw.item_type == "reply" and raw.parent_id not in items:
        return False
    return _stockholm_year(post.epoch) == year


def _permalink(raw: _Found, items: dict[str, _Found]) -> str:
    code = raw.shortcode or shortcode_of(raw.post_id)
    base = _post_url(raw.root, code)
    if raw.item_type == "post":
        return base
    if raw.item_type == "comment":
        return f"{base}c/{raw.id}/"
    return f"{base}c/{raw.parent_id}/r/{raw.id}/"


def _recorded_url(url: str, recorded: dict[str, str]) -> str:
    """The URL the file was recorded under: signed links differ per page view, the file's path does not."""
    return recorded.get(urlsplit(url).path, url)


def _to_item(raw: _Found, items: dict[str, _Found], account: Account, recorded: dict[str, str]) -> Item:
    response = raw.response
    return Item(
        id=raw.id,
        parent_id=raw.parent_id,
        platform="instagram",
        account=account.id,
        item_type=raw.item_type,  # type: ignore[arg-type]
        author=_str(raw.author.get("username")),
        author_is_account=_is_account(raw.author, account),
        published_at=datetime.fromtimestamp(raw.epoch, UTC),
        text=raw.text,
        permalink=_permalink(raw, items),
        media=[MediaRef(url=_recorded_url(url, recorded), kind=kind) for url, kind in raw.media],  # type: ignore[arg-type]
        source=SourceRecord(warc_file=response.warc_file, record_id=response.record_id, offset=response.offset,
                            url=response.url),
        post_id=raw.post_id,
    )
