"""Capture stage: drive Chromium through an account's pages, recording everything into a WARC.

For each account: start a recording proxy, launch Chromium routed through it, let the platform
adapter browse (consent, scrolling, expanding, permalinks), then assemble the kept WARC from the
proxy's records plus the DOM snapshots and screenshots the adapter asked for.

Every page done (snapshot taken, its records flushed to disk by the proxy) is written down in the
account's page journal (journal.PageJournal). A capture killed half-way and started again keeps
those pages: the killed proxy's WARC is cut after the last page done and copied into the kept WARC
with the new attempt's records, and the adapter skips those pages (listing pages are browsed again
to find the rest).
"""

from __future__ import annotations

import os
import platform as host_platform
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Protocol

from playwright.sync_api import BrowserContext, Page, Playwright, Response
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from smarchive import __version__, dependency_version
from smarchive.archive.warc import (
    SCREENSHOT_SCHEME,
    SNAPSHOT_SCHEME,
    Snapshot,
    WarcAssembler,
    format_warcinfo,
    warc_date,
)
from smarchive.archive.warc import salvage as salvage_warc
from smarchive.capture.browser import launch_options
from smarchive.capture.journal import PageJournal
from smarchive.capture.recorder import Recorder
from smarchive.errors import CaptureError, LoginWall, SmarchiveError
from smarchive.model import Account
from smarchive.platforms.base import Adapter

VIEWPORT = {"width": 1280, "height": 900}
MAX_SCREENSHOT_HEIGHT = 16_384  # Chromium's own texture limit; taller pages are cut (and said so)


@dataclass
class SnapshotRecords:
    """Where a post's snapshot and screenshot landed in the kept WARC."""

    snapshot_record_id: str
    snapshot_offset: int
    screenshot_record_id: str
    screenshot_offset: int


@dataclass
class AccountCaptureResult:
    account: Account
    warc_path: Path
    snapshots: dict[str, SnapshotRecords] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    browser_version: str = ""
    snapshot_count: int = 0


@dataclass
class JobInfo:
    """What the warcinfo record says about who captured what, and why."""

    job: str
    operator: str
    run_id: str
    year: int
    description: str = ""


class RetryBudget:
    """How long one account may spend waiting out 429/503 answers before it is given up.

    Retry-After is honoured (seconds or an HTTP date) up to `max_wait`; without it the wait doubles
    from 1 s. Once `total` seconds of waiting are spent, the account fails with a clear message.
    """

    def __init__(self, total: float = 300.0, max_wait: float = 120.0, sleep: Callable[[float], None] = time.sleep):
        self.total = total
        self.max_wait = max_wait
        self.spent = 0.0
        self.attempts = 0
        self._sleep = sleep

    def wait(self, what: str, retry_after: str | None,
             trouble: str = "keeps answering 'too many requests / unavailable'") -> None:
        self.attempts += 1
        delay = min(parse_retry_after(retry_after) or 2.0 ** min(self.attempts - 1, 6), self.max_wait)
        if self.spent + delay > self.total:
            raise CaptureError(f"{what}: the platform {trouble}; "
                               f"gave up after {self.attempts} attempts and {self.spent:.0f} s of waiting "
                               f"(limit {self.total:.0f} s). Try again later.")
        self.spent += delay
        self._sleep(delay)


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


# Answers worth waiting out: rate limits, and server errors that real platforms give now and then.
THROTTLED = (429, 500, 502, 503, 504)


class Courtesy(Protocol):
    """Courtesy shared with other browsers on the same platform (scaleout sets one: a worker, or a --workers
    process; see set_courtesy). None in a sequential run: its one browser waits its own Retry-After."""

    def wait_turn(self, platform: str, progress: Callable[[str], None]) -> None:
        """Before a navigation: wait out a back-off another browser on `platform` was told to take."""

    def throttled(self, platform: str, seconds: float) -> None:
        """This browser was answered 429/503 by `platform`: every browser on it waits `seconds` (at least)."""

    def login_wall(self, platform: str) -> None:
        """This browser met a login wall on `platform` (errors.LoginWall): every browser on it backs off."""


_courtesy: Courtesy | None = None


def set_courtesy(courtesy: Courtesy | None) -> None:
    """Share back-offs with other processes (smarchive.scaleout sets it in a worker process; None: only here)."""
    global _courtesy
    _courtesy = courtesy


def _shared_throttle(platform: str, retry_after: str | None) -> None:
    if _courtesy is not None:
        _courtesy.throttled(platform, parse_retry_after(retry_after) or 2.0)


def _shared_login_wall(platform: str) -> None:
    if _courtesy is not None:
        _courtesy.login_wall(platform)


# Playwright's "Navigation to X is interrupted by another navigation to X": a stalled page's late start of the
# same navigation (seen under load with answers that stall longer than the page timeout); going again is right.
TRANSIENT_NET_ERRORS = ("net::ERR_ABORTED", "net::ERR_CONNECTION_RESET", "net::ERR_CONNECTION_CLOSED",
                        "net::ERR_EMPTY_RESPONSE", "net::ERR_TIMED_OUT", "interrupted by another navigation")
MAX_DROPPED = 3  # per navigation


def page_timeout() -> float:
    """Seconds a navigation may take before it counts as no answer (SMARCHIVE_PAGE_TIMEOUT, default 30)."""
    try:
        return max(1.0, float(os.environ.get("SMARCHIVE_PAGE_TIMEOUT", "30")))
    except ValueError:
        return 30.0


class AccountSession:
    """The CaptureContext an adapter sees: browser context, year, and snapshot/progress hooks.

    With `pages` (and the `recorder` whose records they are), every snapshot marks its page done in
    the page journal, and already_captured() answers from it.
    """

    def __init__(self, account: Account, account_url: str, year: int, context: BrowserContext | None,
                 staging: Path, progress: Callable[[str], None], budget: RetryBudget | None = None,
                 pages: PageJournal | None = None, recorder: Recorder | None = None):
        self.account = account
        self.account_url = account_url
        self.year = year
        self.context = context
        self._staging = staging
        self._progress = progress
        self.budget = budget or RetryBudget()
        self.snapshots: list[Snapshot] = []
        self.warnings: list[str] = []
        self._pages = pages
        self._recorder = recorder

    def already_captured(self, item_id: str) -> bool:
        return self._pages is not None and self._pages.done(item_id)

    def goto(self, page: Page, url: str, wait_until: str = "load") -> Response | None:
        dropped = 0
        while True:
            if _courtesy is not None:
                _courtesy.wait_turn(self.account.platform, self.progress)
            try:
                response = page.goto(url, wait_until=wait_until)
            except PlaywrightTimeout:
                # A platform that does not answer now may answer in a moment: same budget as a 503.
                self.progress(f"no answer from {url} within {page_timeout():.0f} s; trying again")
                self.budget.wait(f"{url}: no answer", None, trouble="does not answer (timed out)")
                continue
            except PlaywrightError as e:
                # A connection dropped or a navigation cut short (a late answer to an earlier, stalled
                # request can abort it): tried again a few times; anything else is the adapter's to judge.
                error = next((m for m in TRANSIENT_NET_ERRORS if m in str(e)), None)
                dropped += 1
                if error is None or dropped > MAX_DROPPED:
                    raise
                self.progress(f"{error} for {url}; trying again")
                self.budget.wait(f"{url}: {error}", None, trouble="drops the connection")
                continue
            if response is None or response.status not in THROTTLED:
                return response
            retry_after = response.headers.get("retry-after")
            self.progress(f"HTTP {response.status} for {url}; waiting (Retry-After: {retry_after or '-'})")
            if response.status in (429, 503):  # the platform's "slow down": every browser on it slows down
                _shared_throttle(self.account.platform, retry_after)
            self.budget.wait(f"{url}: HTTP {response.status}", retry_after)

    def throttled(self, what: str, retry_after: str | None) -> None:
        self.progress(f"throttled: {what}; waiting (Retry-After: {retry_after or '-'})")
        _shared_throttle(self.account.platform, retry_after)
        self.budget.wait(what, retry_after)

    def snapshot(self, page: Page, item_id: str) -> None:
        n = len(self.snapshots)
        html_path = self._staging / f"snapshot-{n:05d}.html"
        png_path = self._staging / f"screenshot-{n:05d}.png"
        html_path.write_text(page.content(), encoding="utf-8")
        height = int(page.evaluate("() => document.documentElement.scrollHeight"))
        if height <= MAX_SCREENSHOT_HEIGHT:
            page.screenshot(path=str(png_path), full_page=True)
        else:
            # A whole very long page (a show page listing hundreds of episodes) takes gigabytes to render;
            # the DOM snapshot beside it holds everything, the screenshot shows the top.
            width = page.viewport_size["width"] if page.viewport_size else VIEWPORT["width"]
            page.screenshot(path=str(png_path), full_page=True,
                            clip={"x": 0, "y": 0, "width": width, "height": MAX_SCREENSHOT_HEIGHT})
            self.warn(f"{page.url}: page is {height} px tall; screenshot covers the top {MAX_SCREENSHOT_HEIGHT} px "
                      "(the DOM snapshot has all of it)")
        snapshot = Snapshot(item_id, page.url, warc_date(), html_path, png_path)
        self.snapshots.append(snapshot)
        if self._pages is not None:
            mark = self._recorder.flush() if self._recorder is not None else None
            if mark is None and self._recorder is not None:
                self.progress(f"{item_id}: the recorder is slow to write; this page is captured again if the run "
                              "is interrupted")
            self._pages.record(snapshot, mark)

    def progress(self, message: str) -> None:
        self._progress(f"{self.account.id}: {message}")

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self._progress(f"{self.account.id}: warning: {message}")


def warcinfo_fields(info: JobInfo, account: Account, account_url: str, browser_version: str) -> dict[str, str]:
    return {
        "software": f"smarchive/{__version__} (warcprox/{dependency_version('warcprox')}, "
                    f"playwright/{dependency_version('playwright')}, Chromium/{browser_version})",
        "format": "WARC File Format 1.1",
        "conformsTo": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "operator": info.operator,
        "job": info.job,
        "description": info.description,
        "run-id": info.run_id,
        "year": str(info.year),
        "account-id": account.id,
        "account-name": account.name,
        "platform": account.platform,
        "account-url": account_url,
        "hostname": host_platform.node(),
        "isPartOf": f"{info.job}/{info.year}/{account.id}",
    }


# Players then fall back from MediaSource (segments a WARC cannot replay) to the progressive file.
NO_MEDIA_SOURCE = """
(() => {
  for (const name of ['MediaSource', 'ManagedMediaSource', 'WebKitMediaSource']) {
    if (window[name]) { window[name].isTypeSupported = () => false; }
  }
})();
"""


class BrowserCrashed(Exception):
    """Chromium (or the page's renderer) died under the adapter."""


def capture_account(pw: Playwright, adapter: Adapter, account: Account, account_url: str, info: JobInfo,
                    staging: Path, warc_path: Path, progress: Callable[[str], None],
                    storage_state: dict | None = None, budget: RetryBudget | None = None,
                    record: bool = True, keep_staging: bool = False) -> AccountCaptureResult:
    """Capture one account into `warc_path`. Raises CaptureError/SmarchiveError if it cannot be done.

    `storage_state` is a logged-in browser state (from `smarchive login`): its cookies are sent by
    the browser but removed from every WARC record. If `staging` holds the page journal of a killed
    attempt at this capture, the pages it captured are kept and not browsed again. If Chromium
    crashes, it is started again (once) and the adapter goes over the account again, skipping the
    pages already done; what the first browser recorded stays in the WARC.
    record=False browses the same way with no recording proxy and writes no WARC (benchmarks/capture.py
    measures what recording costs). keep_staging=True leaves the staging folder (with its page
    journal) for the caller to delete once the account's outputs are safe.
    """
    pages = resume_pages(staging, account.id, progress) if record else None
    if not record:
        shutil.rmtree(staging, ignore_errors=True)
    recorder = Recorder(staging / "proxy", prefix=account.id).start() if record else None
    raw_warcs: list[Path] = []
    crashes: list[str] = []
    try:
        for attempt in range(1, MAX_BROWSER_STARTS + 1):
            snapshots_dir = new_folder(staging, "snapshots")
            session = AccountSession(account, account_url, info.year, None, snapshots_dir, progress, budget,
                                     pages, recorder)
            try:
                browser_version = browse(pw, adapter, session, recorder, storage_state)
                break
            except BrowserCrashed as e:
                crashes.append(str(e))
                if attempt == MAX_BROWSER_STARTS:
                    raise CaptureError(f"{account.id}: Chromium crashed {attempt} times ({e})") from None
                kept = len(pages.snapshots) if pages else 0
                progress(f"{account.id}: Chromium crashed ({e}); starting it again and capturing the account anew, "
                         f"except the {kept} page(s) already captured")
    finally:
        if recorder is not None:
            raw_warcs = recorder.stop()
    result = AccountCaptureResult(account, warc_path, warnings=session.warnings, browser_version=browser_version)
    result.warnings += [f"Chromium crashed ({c}); the account was browsed again (pages already captured were kept)"
                        for c in crashes]
    snapshots = pages.snapshots if pages is not None else session.snapshots
    if record:
        salvaged = sorted((staging / "salvaged").glob("*.warc.gz"))
        assemble_warc(result, salvaged + raw_warcs, snapshots,
                      warcinfo_fields(info, account, account_url, browser_version))
    result.snapshot_count = len(snapshots)
    if not keep_staging:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def resume_pages(staging: Path, prefix: str, progress: Callable[[str], None]) -> PageJournal:
    """The page journal of this capture, keeping what a killed attempt captured for good.

    Each proxy WARC the killed attempt left (`*.warc.gz.open`, its last record maybe cut short) is cut
    at the last page done and moved to `salvaged/`; records after that belong to a page not finished,
    which is captured again. With no page done, the staging folder starts empty.
    """
    pages = PageJournal.load(staging)
    if not pages.pages:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        return PageJournal(staging)
    cuts = pages.cut_points()
    for raw in sorted((staging / "proxy").glob(f"{prefix}-*.warc.gz*")):
        name = raw.name.removesuffix(".open")
        if name in cuts:
            salvage_warc(raw, staging / "salvaged" / name, cuts[name])
        raw.unlink()  # after the copy is in place: a kill in between only means salvaging it again
    kept = {p.name: p.stat().st_size for p in (staging / "salvaged").glob("*.warc.gz")}
    count = pages.keep(kept)
    progress(f"{prefix}: resuming: {count} page(s) captured before the interruption are kept")
    return pages


def new_folder(parent: Path, stem: str) -> Path:
    """parent/stem-N for the first N not used yet (snapshots of earlier attempts stay where they are)."""
    n = 1
    while (parent / f"{stem}-{n}").exists():
        n += 1
    folder = parent / f"{stem}-{n}"
    folder.mkdir(parents=True)
    return folder


MAX_BROWSER_STARTS = 2


def browse(pw: Playwright, adapter: Adapter, session: AccountSession, recorder: Recorder | None,
           storage_state: dict | None) -> str:
    """One browser, one pass of the adapter over the account. Returns Chromium's version."""
    try:
        browser = pw.chromium.launch(**launch_options(recorder.port if recorder else None))
    except PlaywrightError as e:
        raise SmarchiveError(f"Chromium failed to start: {str(e).splitlines()[0]}") from None
    try:
        session.context = browser.new_context(
            ignore_https_errors=True,  # the recording proxy re-signs TLS with its own CA
            viewport=VIEWPORT,
            locale="sv-SE",
            timezone_id="Europe/Stockholm",
            service_workers="block",  # a service worker could answer from its cache, past the recorder
            storage_state=storage_state,
        )
        session.context.add_init_script(NO_MEDIA_SOURCE)
        session.context.set_default_navigation_timeout(page_timeout() * 1000)
        try:
            adapter.capture(session)
        except (PlaywrightError, SmarchiveError) as e:
            # Adapters may wrap browser errors in their own: ask the browser whether it is still there.
            if not browser.is_connected() or "crash" in str(e).lower():
                raise BrowserCrashed(str(e).splitlines()[0] if str(e) else type(e).__name__) from None
            if isinstance(e, LoginWall):  # the one seam from an adapter's login wall to the shared back-off
                _shared_login_wall(session.account.platform)
            if isinstance(e, SmarchiveError):
                raise
            raise CaptureError(f"{session.account.id}: browser error: {str(e).splitlines()[0]}") from None
        return browser.version
    finally:
        try:
            browser.close()
        except PlaywrightError:
            pass  # already gone (crashed)


def assemble_warc(result: AccountCaptureResult, raw_warcs: list[Path], snapshots: list[Snapshot],
                  info: dict[str, str]) -> None:
    out = WarcAssembler(result.warc_path)
    try:
        out.write("warcinfo", result.warc_path.name, "application/warc-fields",
                  format_warcinfo(info))
        for raw in raw_warcs:
            out.copy_from(raw)
        last_response = {r.uri: r for r in out.records if r.warc_type == "response"}
        for snap in snapshots:
            page_record = last_response.get(snap.url)
            refers = [("WARC-Refers-To", page_record.record_id)] if page_record else []
            refers += [("WARC-Refers-To-Target-URI", snap.url), ("WARC-Smarchive-Item", snap.item_id)]
            html = out.write("resource", SNAPSHOT_SCHEME + snap.url, "text/html; charset=utf-8",
                             snap.html_path.read_bytes(), refers, date=snap.taken_at)
            png = out.write("resource", SCREENSHOT_SCHEME + snap.url, "image/png", snap.png_path.read_bytes(),
                            refers + [("WARC-Concurrent-To", html.record_id)], date=snap.taken_at)
            result.snapshots[snap.item_id] = SnapshotRecords(html.record_id, html.offset, png.record_id, png.offset)
        out.close()
    except BaseException:
        out.abort()
        raise
