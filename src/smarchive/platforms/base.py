"""The interface every platform adapter implements.

An adapter knows two things about its platform: how to drive a browser through an account's
pages so that everything of the year lands in the WARC (capture), and how to read items back
out of the recorded responses (extract). It never fetches anything during extract.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from playwright.sync_api import BrowserContext, Page, Response

from smarchive.model import Account, Item


@dataclass
class CapturedResponse:
    """One HTTP response read back from a WARC, body already de-chunked and decompressed."""

    url: str
    status: int
    content_type: str
    body: bytes
    warc_file: str
    record_id: str
    offset: int
    method: str = "GET"
    request_body: bytes = b""  # e.g. the GraphQL variables of a POST
    headers: dict[str, str] = field(default_factory=dict)  # response headers, lower-case names
    date: str = ""  # WARC-Date: when it was recorded (what relative times like "2 år sedan" count from)


class CaptureContext(Protocol):
    """What the capture stage hands an adapter for one account."""

    account: Account
    year: int
    context: BrowserContext  # already routed through the recording proxy
    account_url: str  # Account.url resolved (sandbox: URLs made absolute)

    def snapshot(self, page: Page, item_id: str) -> None:
        """Record the page's DOM (HTML) and a full-page screenshot, tied to item_id. Call it last, when
        everything of the page is fetched and expanded: it marks the page done (see already_captured)."""

    def already_captured(self, item_id: str) -> bool:
        """True if item_id's page was snapshotted earlier in this capture: before the run was killed
        (its records and snapshot are kept) or before Chromium crashed. Skip such pages. Listing pages
        (timeline, grid, feed) are browsed again to find the others; only per-item pages are skipped."""

    def progress(self, message: str) -> None:
        """Tell the operator what is happening (shown on long work)."""

    def warn(self, message: str) -> None:
        """Something the run report must mention; the capture goes on."""

    def goto(self, page: Page, url: str, wait_until: str = "load") -> Response | None:
        """page.goto, but HTTP 429/503 are waited out (Retry-After honoured, backing off) within a
        bounded time; then CaptureError. Use it for every navigation."""

    def throttled(self, what: str, retry_after: str | None) -> None:
        """An XHR (or anything) answered 429/503: sleep as Retry-After or backoff says, or raise
        CaptureError once the account's retry budget is spent. Call, then try again."""


class Adapter(Protocol):
    """Capture and extraction for one platform.

    Adapters of platforms that need a logged-in browser also define
        requires_login = True
        def login(self, page: Page, account_url: str, username: str, password: str) -> None
    which fills the platform's login form (raise CaptureError if refused); `smarchive login`
    stores the resulting browser state, and capture starts from it.
    """

    platform: str

    def capture(self, ctx: CaptureContext) -> None:
        """Capture the account's items of ctx.year. Raise CaptureError if a wall cannot be passed."""

    def extract(self, responses: Iterable[CapturedResponse], account: Account, year: int) -> list[Item]:
        """Parse the items of `year` from recorded responses; set Item.source from the response."""
