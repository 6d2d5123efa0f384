"""Any other web page (e.g. the municipality's page listing its channels): record it whole, in context.

Capture: open the page, answer a cookie banner if a known one is shown, scroll to the bottom until
the page stops growing (bounded: infinite lists exist), then sweep down through it one screen at a
time so images that load only when scrolled into view are requested (jumping straight to the
bottom skips them), wait for the network to settle, and take a snapshot and screenshot.
Extract: a web page is context, not a thread of items; it yields none.

The scrolling helpers are shared with adapters whose pages need the same (podcast show pages).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from smarchive.errors import CaptureError
from smarchive.model import Account
from smarchive.platforms.base import CaptureContext, CapturedResponse, Extraction
from smarchive.platforms.toolkit import counted

BEHAVIOUR: dict = {
    # Consent banners seen on Swedish public-sector sites: Cookiebot, OneTrust, CookieYes, Sitevision's own
    # and hand-made ones. The first visible container wins; its accept button is found by name.
    "banners": (
        "#CybotCookiebotDialog",
        "#onetrust-banner-sdk",
        ".cky-consent-container",
        "#cookie-banner, .cookie-banner, .sv-cookie-consent-banner, [aria-label=Kakor], [aria-label=Cookies]",
        "[id*=cookie i][role=dialog], [id*=consent i][role=dialog], [class*=cookie i][role=region]",
    ),
    "accept_button": re.compile(
        r"^\s*(godkänn|acceptera|tillåt)( alla)?( kakor| cookies)?\s*$|^\s*(accept|allow)( all)?( cookies)?\s*$"
        r"|^\s*jag (godkänner|förstår)\s*$|^\s*ok\s*$", re.IGNORECASE),
    "banner_wait_ms": 2_000,  # banners are often added by script just after load
    "navigation_timeout_ms": 30_000,
    "scroll_wait_ms": 4_000,  # longest wait for the page to grow after a scroll
    "quiet_ms": 700,  # no request in flight for this long, and no growth: the scroll loaded nothing
    "max_idle_scrolls": 2,  # scrolls in a row without growth: the bottom is reached
    "max_scrolls": 60,  # infinite lists: stop here and say so
    "sweep_step": 0.8,  # of the viewport height, per step of the sweep
    "sweep_wait_ms": 200,
    "settle_ms": 8_000,  # waiting for images and the network after the sweep
}

THROTTLED = (429, 500, 502, 503, 504)  # 5xx now and then, like a rate limit: wait, retry


class WebAdapter:
    platform = "web"
    yields_items = False  # a page is context only: "no items found" is not a sign of a failed capture

    def capture(self, ctx: CaptureContext) -> None:
        if ctx.already_captured(ctx.account_url):
            ctx.progress(f"{ctx.account_url}: already captured")
            return
        page = ctx.context.new_page()
        watch = PageWatch(page)  # before the first request, so the in-flight count is right
        try:
            open_page(page, ctx, ctx.account_url)
            watch.pending.clear()  # the navigation's own 429s were waited out by ctx.goto
            accept_consent(page, ctx)
            scrolls = grow_to_bottom(page, ctx, watch)
            sweep(page, ctx, watch)
            missing = settle(page)
            if missing:
                ctx.warn(f"{missing} lazy image(s) on {page.url} never loaded")
            ctx.snapshot(page, ctx.account_url)
            ctx.progress(f"{page.url}: recorded after {counted(scrolls, 'scroll')}")
        finally:
            page.close()

    def extract(self, responses: Iterable[CapturedResponse], account: Account, year: int) -> Extraction:
        for _ in responses:  # nothing to parse, but the WARC is read to its end like for any adapter
            pass
        return Extraction([])


def open_page(page: Page, ctx: CaptureContext, url: str) -> Response:
    """ctx.goto with the errors a capture can act on turned into CaptureError."""
    try:
        response = ctx.goto(page, url)
    except PlaywrightError as error:
        raise CaptureError(f"cannot open {url}: {error.message.splitlines()[0]}") from None
    if response is None:
        raise CaptureError(f"{url} gave no response")
    if response.status >= 400:
        raise CaptureError(f"{url} answered HTTP {response.status}")
    return response


def accept_consent(page: Page, ctx: CaptureContext) -> bool:
    """Answer a known cookie banner if one is shown; True if one was answered.

    A banner without an accept button is reported, not fatal: the page is still recorded (with the
    banner in the screenshot), which is better than nothing for a plain web page.
    """
    selector = ", ".join(BEHAVIOUR["banners"])
    try:
        page.wait_for_selector(selector, state="visible", timeout=BEHAVIOUR["banner_wait_ms"])
    except PlaywrightTimeout:
        return False
    banner = next((page.locator(s).first for s in BEHAVIOUR["banners"]
                   if page.locator(s).count() and page.locator(s).first.is_visible()), None)
    if banner is None:
        return False
    button = banner.get_by_role("button", name=BEHAVIOUR["accept_button"])
    if button.count() == 0:
        ctx.warn(f"cookie banner on {page.url} has no button to accept it; recorded with the banner shown")
        return False
    try:
        button.first.click(timeout=BEHAVIOUR["navigation_timeout_ms"])
        banner.wait_for(state="hidden", timeout=BEHAVIOUR["navigation_timeout_ms"])
        page.wait_for_load_state("load", timeout=BEHAVIOUR["navigation_timeout_ms"])  # some banners reload
    except PlaywrightError:
        ctx.warn(f"cookie banner on {page.url} did not go away when accepted")
        return False
    return True


class PageWatch:
    """Follows a page's requests: how many are in flight, and which were answered 429/503, so the
    capture knows when a page has gone quiet and waits out throttling like the page's own script."""

    def __init__(self, page: Page) -> None:
        self.in_flight = 0
        self.pending: list[tuple[str, str | None]] = []
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)
        page.on("response", self._seen)

    def _started(self, _request: object) -> None:
        self.in_flight += 1

    def _ended(self, _request: object) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def _seen(self, response: Response) -> None:
        if response.status in THROTTLED:
            self.pending.append((response.url, response.headers.get("retry-after")))

    def wait_out(self, ctx: CaptureContext) -> bool:
        """Wait as the platform asked (within the retry budget); True if anything was throttled."""
        if not self.pending:
            return False
        url, retry_after = self.pending[-1]
        count = len(self.pending)
        self.pending.clear()
        ctx.throttled(f"{count} request(s), e.g. {url}", retry_after)
        return True


def _height(page: Page) -> int:
    return int(page.evaluate("() => document.documentElement.scrollHeight"))


def _grew(page: Page, last: int, watch: PageWatch) -> bool:
    """Wait until the page is taller than `last` (True), or quiet for a while without growing (False)."""
    deadline = time.monotonic() + BEHAVIOUR["scroll_wait_ms"] / 1000
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        if _height(page) > last:
            return True
        if watch.in_flight == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= BEHAVIOUR["quiet_ms"] / 1000:
                return False
        else:
            quiet_since = None
        page.wait_for_timeout(100)  # lets Playwright deliver the page's events meanwhile
    return _height(page) > last


def grow_to_bottom(page: Page, ctx: CaptureContext, watch: PageWatch) -> int:
    """Scroll to the bottom until the height stops growing; returns the number of scrolls."""
    last = _height(page)
    idle = 0
    for scrolls in range(1, BEHAVIOUR["max_scrolls"] + 1):
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        grew = _grew(page, last, watch)
        waited = watch.wait_out(ctx)
        if grew or waited:  # after a 429 the page's own retry may still make it grow
            idle = 0
            last = _height(page)
            continue
        idle += 1
        if idle >= BEHAVIOUR["max_idle_scrolls"]:
            return scrolls
    ctx.warn(f"{page.url} still grew after {BEHAVIOUR['max_scrolls']} scrolls; recorded what had loaded")
    return BEHAVIOUR["max_scrolls"]


def sweep(page: Page, ctx: CaptureContext, watch: PageWatch) -> None:
    """Scroll from the top down one screen at a time, so every lazily loaded element is seen once."""
    viewport = int(page.evaluate("() => window.innerHeight")) or 900
    step = max(100, int(viewport * BEHAVIOUR["sweep_step"]))
    y = 0
    while y < _height(page):
        page.evaluate("y => window.scrollTo(0, y)", y)
        page.wait_for_timeout(BEHAVIOUR["sweep_wait_ms"])
        y += step
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    watch.wait_out(ctx)


def settle(page: Page) -> int:
    """Wait for images and the network to finish (bounded); returns how many lazy images never loaded."""
    try:
        page.wait_for_function("() => Array.from(document.images).every(i => i.complete)",
                               timeout=BEHAVIOUR["settle_ms"])
        page.wait_for_load_state("networkidle", timeout=BEHAVIOUR["settle_ms"])
    except PlaywrightTimeout:
        pass  # a page that never goes quiet (polling, players) is recorded as it is
    # Lazy loaders keep the real URL in data-src until the image is in view; still there and not shown = missed.
    return int(page.evaluate("""() => Array.from(document.querySelectorAll('img[data-src]'))
        .filter(i => i.currentSrc !== new URL(i.dataset.src, location.href).href).length"""))
