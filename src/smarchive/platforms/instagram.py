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


Extract (platforms/instagram_read.py reads the answers): the dependable data is the JSON, never the page text
(relative times such as "3 v", cut captions), in every generation the site has sent: `_sharedData` and GraphQL
`edge_*` (2019-20), `__additionalDataLoaded` and the /api/v1/ REST answers (2021-22), the `xdt_api__v1__…`
GraphQL answers (2023+). The platform's own counts (comment_count, child_comment_count, media_count) go into
Extraction.reported; the account is recognised by its user id (Account.platform_id) or its handle, never by its
display name; an item-carrying answer (instagram.toml) that yields nothing, and an object that looks like an
item but is not read, become notes naming the answer.

Year rule: a post belongs to the year of its publication in Europe/Stockholm time; comments and
replies belong to their post's year (a thread is archived with its post).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from smarchive.errors import CaptureError, LoginWall
from smarchive.model import Account, Item, MediaRef, year_bounds, year_of
from smarchive.platforms.base import CaptureContext, CapturedResponse, Extraction, Owner, Reported
from smarchive.platforms.found import Found
from smarchive.platforms.instagram_read import (
    Reading,
    is_legacy_post,
    is_media,
    media_id_of,
    payloads,
    post_url,
    read_answer,
    read_response,
    shortcode_of,
    site_root,
    unmapped,
)
from smarchive.platforms.jsondata import as_dict as _dict
from smarchive.platforms.jsondata import walk as _walk
from smarchive.platforms.toolkit import counted

__all__ = ["BEHAVIOUR", "EXTRACT", "InstagramAdapter", "login_url", "media_id_of", "read_response", "shortcode_of"]


def _load_behaviour() -> tuple[dict, dict]:
    """instagram.toml beside this module: capture behaviours and the item-carrying answers."""
    data = tomllib.loads(resources.files("smarchive.platforms").joinpath("instagram.toml").read_text("utf-8"))
    behaviour = dict(data["behaviour"])
    behaviour["expand_button"] = re.compile(behaviour["expand_button"])
    for key in ("consent_buttons", "login_buttons"):
        behaviour[key] = tuple(behaviour[key])
    extract = dict(data["extract"])
    extract["item_url_patterns"] = [re.compile(p) for p in extract["item_url_patterns"]]
    return behaviour, extract


# How the capture behaves (what to look for, what to click, how long to wait) and which answers carry items.
BEHAVIOUR, EXTRACT = _load_behaviour()
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
        start, end = year_bounds(ctx.year)
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
        found: list[Found] = []
        reported: list[Reported] = []
        users: list[dict] = []
        recorded: dict[str, str] = {}  # media path -> a URL the capture recorded it under
        pages = 0
        for response in responses:
            if response.status != 200:
                continue
            if _is_media(response):
                recorded.setdefault(urlsplit(response.url).path, response.url)
                continue
            pages += 1 if "html" in response.content_type.lower() else 0
            reading = read_answer(response)
            found += reading.found
            reported += reading.reported
            users += reading.users
            self.notes += _answer_notes(response, reading)
        items = _merge(found)
        posts = {raw.id: raw for raw in items.values() if raw.item_type == "post"}
        if not posts:
            self.notes.append(f"no Instagram posts in {pages} recorded page(s) and their JSON: an app shell "
                              "without its data (fetched without JavaScript), a login wall, or nothing published")
        owner = _Owner.of(account, users)
        self.notes += _untimed(posts, owner) + owner.unresolved(account, bool(posts))
        kept = [raw for raw in items.values() if _belongs(raw, items, posts, owner, year)]
        ids = {raw.id for raw in kept if raw.item_type == "post"}
        return Extraction([_to_item(raw, owner, account, recorded) for raw in kept],
                          reported=_reported_of(reported, ids, owner), owners=owner.found(),
                          notes=list(self.notes))


# --------------------------------------------------------------------------------- capture helpers


def login_url(account_url: str) -> str:
    """The login form beside a profile URL: https://www.instagram.com/<handle>/ -> /accounts/login/."""
    profile = account_url if account_url.endswith("/") else account_url + "/"
    return urljoin(profile, ".." + BEHAVIOUR["login_path"])


def _login_wall(url: str) -> LoginWall:
    return LoginWall(f"instagram: login wall on {url}: the browser is not logged in (stored login state "
                        "missing or expired); run `smarchive login instagram` and capture again")


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
        for payload, _ in payloads(fake):
            config = _dict(_dict(payload).get("config"))
            if "viewer" in config and config["viewer"] is None:
                self.logged_out = True
            for node in _walk(payload):
                self._read_node(node, url)

    def _read_node(self, node: dict, url: str) -> None:
        for key in ("edge_owner_to_timeline_media", "xdt_api__v1__feed__user_timeline_graphql_connection"):
            connection = _dict(node.get(key))
            if "page_info" in connection:
                self.has_next = bool(_dict(connection["page_info"]).get("has_next_page"))
        if "more_available" in node and isinstance(node.get("items"), list):  # the REST feed of 2021-22
            self.has_next = bool(node["more_available"])
        if is_legacy_post(node):
            post_id, code, epoch = str(node["id"]), str(node["shortcode"]), node.get("taken_at_timestamp")
        elif is_media(node):
            post_id, code, epoch = str(node["pk"]).split("_")[0], str(node["code"]), node.get("taken_at")
        else:
            return
        pinned = bool(node.get("pinned_for_users") or node.get("timeline_pinned_user_ids"))
        epoch = epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else 0
        self.posts.setdefault(post_id, (epoch, pinned, post_url(site_root(url), code)))

    def reached(self, start: int) -> bool:
        return not self.has_next or any(epoch < start and not pinned for epoch, pinned, _ in self.posts.values())

    def of_year(self, start: int, end: int) -> list[tuple[str, str]]:
        return [(post_id, link) for post_id, (epoch, _, link) in self.posts.items() if start <= epoch < end]


# --------------------------------------------------------------------------------- extract helpers


def _is_media(response: CapturedResponse) -> bool:
    return response.content_type.lower().startswith(("image/", "video/", "audio/"))


def _item_carrying(response: CapturedResponse, reading: Reading) -> bool:
    """An answer of a pattern that carries items (instagram.toml): a post page, a REST media/feed answer, or a
    GraphQL answer whose data holds an item-carrying key."""
    path = urlsplit(response.url).path
    if any(pattern.search(path) for pattern in EXTRACT["item_url_patterns"]):
        return True
    if BEHAVIOUR["graphql_path"] not in path:
        return False
    keys = set(EXTRACT["graphql_item_keys"])
    return any(keys & set(_dict(_dict(p).get("data"))) for p in reading.payloads)


def _answer_notes(response: CapturedResponse, reading: Reading) -> list[str]:
    """Warnings for answers not understood: item-carrying but nothing read, or objects that look like items and
    were not read (named with the URL, the WARC record and the object's key paths)."""
    where = f"{response.url} (record {response.record_id or '?'} in {response.warc_file or '?'})"
    notes = [f"instagram: {number} object(s) like an item not read at {path} (keys {', '.join(keys)}) in {where}"
             for path, number, keys in unmapped(reading)[:5]]
    if not reading.found and not reading.reported and _item_carrying(response, reading):
        shape = sorted({key for p in reading.payloads for key in _dict(p)} |
                       {f"data.{key}" for p in reading.payloads for key in _dict(_dict(p).get("data"))})
        notes.append(f"instagram: an answer that carries items gave none: {where}, shape {shape[:12]}")
    return notes


@dataclass
class _Owner:
    """The account as the answers know it: its user id (from the register or resolved by handle) and handle."""

    user_id: str
    handle: str
    users: list[dict]

    @classmethod
    def of(cls, account: Account, users: list[dict]) -> _Owner:
        handle = (account.handle or _handle_of_url(account.url)).lower()
        user_id = account.platform_id
        if not user_id and handle:  # resolved from any user node of the answers with that handle
            user_id = next((u["id"] for u in users if u["username"].lower() == handle and u["id"]), "")
        if not handle and user_id:
            handle = next((u["username"].lower() for u in users if u["id"] == user_id and u["username"]), "")
        return cls(user_id, handle, users)

    def is_account(self, author: dict) -> bool:
        if self.user_id and _str(author.get("id")):
            return _str(author.get("id")) == self.user_id
        return bool(self.handle) and _str(author.get("username")).lower() == self.handle

    def unresolved(self, account: Account, any_posts: bool) -> list[str]:
        """One line saying what to add to the register when the answers cannot tell the account's posts."""
        if self.user_id or not any_posts:
            return []
        if not self.handle:
            return [f"instagram: {account.id} has neither handle nor platform_id in the register and its URL names "
                    "no profile: add handle = \"<username>\" or platform_id = \"<Instagram user id>\""]
        return [f"instagram: no recorded answer gives the user id of @{self.handle}: add platform_id = "
                f"\"<Instagram user id>\" to {account.id} in the register if its posts are missing"]

    def found(self) -> list[Owner]:
        if not self.user_id:
            return []
        name = next((u["full_name"] for u in self.users if u["id"] == self.user_id and u["full_name"]), "")
        return [Owner(platform_id=self.user_id, handle=self.handle, name=name)]


def _handle_of_url(url: str) -> str:
    """The handle in a profile URL: https://www.instagram.com/<handle>/ (also under the sandbox)."""
    parts = [p for p in urlsplit(url.removeprefix("sandbox:")).path.split("/") if p]
    if parts and parts[0] == "instagram" and len(parts) > 1:
        parts = parts[1:]
    reserved = {"p", "reel", "tv", "explore", "accounts", "stories", "api", "graphql"}
    return parts[0] if parts and parts[0] not in reserved else ""


def _str(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    return str(value) if isinstance(value, int | str) else ""


def _untimed(posts: dict[str, Found], owner: _Owner) -> list[str]:
    """Posts of the account the answers gave without a time: they cannot be placed in a year; say so."""
    untimed = [raw for raw in posts.values() if raw.epoch is None and owner.is_account(raw.author)]
    if not untimed:
        return []
    links = ", ".join(post_url(raw.site, raw.code) for raw in untimed[:5])
    return [f"instagram: {len(untimed)} post(s) of the account without a time in the answers (not placed in a "
            f"year): {links}"]


def _merge(found: list[Found]) -> dict[str, Found]:
    """One per id: the most complete reading wins; on a tie, the first recorded. Replies get their post."""
    merged: dict[str, Found] = {}
    for raw in found:
        current = merged.get(raw.id)
        if current is None or raw.completeness() > current.completeness():
            if current is not None and not raw.post_id:
                raw.post_id, raw.code = current.post_id, current.code
            merged[raw.id] = raw
    posts = {raw.id: raw for raw in merged.values() if raw.item_type == "post"}
    for raw in merged.values():
        if raw.item_type == "reply" and not raw.post_id:
            parent = merged.get(raw.parent_id or "")
            if parent is not None:
                raw.post_id = parent.post_id
        post = posts.get(raw.post_id)
        if post is not None and not raw.code:  # REST comment answers name the post by id only
            raw.code = post.code
    return merged


def _belongs(raw: Found, items: dict[str, Found], posts: dict[str, Found], owner: _Owner, year: int) -> bool:
    """Of the account's posts of the year, or in their threads (a thread without its post is not kept)."""
    post = posts.get(raw.post_id)
    if post is None or post.epoch is None or not owner.is_account(post.author):
        return False
    if raw.item_type != "post" and raw.epoch is None:
        return False
    if raw.item_type == "reply" and raw.parent_id not in items:
        return False
    return year_of(post.epoch) == year


def _reported_of(reported: list[Reported], post_ids: set[str], owner: _Owner) -> list[Reported]:
    """The platform's counts about what was kept: per post and comment the largest seen (a later answer may
    show more), and the account's posts count."""
    best: dict[tuple[str, str, str], Reported] = {}
    for count in reported:
        if count.kind == "posts":
            if count.note.removeprefix("user ") != owner.user_id:
                continue
        elif count.post_id not in post_ids:
            continue
        key = (count.kind, count.post_id, count.comment_id)
        if key not in best or count.count > best[key].count:
            best[key] = count
    return list(best.values())


def _permalink(raw: Found) -> str:
    code = raw.code or shortcode_of(raw.post_id)
    base = post_url(raw.site, code)
    if raw.item_type == "post":
        return base
    if raw.item_type == "comment":
        return f"{base}c/{raw.id}/"
    return f"{base}c/{raw.parent_id}/r/{raw.id}/"


def _recorded_url(url: str, recorded: dict[str, str]) -> str:
    """The URL the file was recorded under: signed links differ per page view, the file's path does not."""
    return recorded.get(urlsplit(url).path, url)


def _to_item(raw: Found, owner: _Owner, account: Account, recorded: dict[str, str]) -> Item:
    return raw.item("instagram", account, author=_str(raw.author.get("username")),
                    author_is_account=owner.is_account(raw.author), permalink=_permalink(raw),
                    media=[MediaRef(url=_recorded_url(url, recorded), kind=kind) for url, kind in raw.media])  # type: ignore[arg-type]
