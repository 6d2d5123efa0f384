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

from smarchive.model import Account, CapturedResponse, Item, SourceRecord

__all__ = ["Adapter", "CaptureContext", "CapturedResponse", "Extraction", "Owner", "Reported"]


@dataclass
class Reported:
    """A count the platform itself showed for something the capture recorded (read, never fetched again).

    The extract stage compares it with what was extracted: a shortfall is reported, never silent.
    """

    kind: str  # "comments": top-level comments of a post; "thread": comments + replies of a post, where the
    #            platform shows one total; "replies": replies of one comment ("Visa 12 svar");
    #            "posts": posts/videos/episodes an account or feed says it has
    count: int
    post_id: str = ""  # the post, video or episode the count is about ("" for kind="posts")
    comment_id: str = ""  # for kind="replies": the comment whose replies are counted
    year: int | None = None  # for kind="posts": the year the count covers, if the platform says so
    source: SourceRecord = field(default_factory=SourceRecord)  # the answer the count was read from
    note: str = ""  # what the platform said about it, e.g. "comments turned off"


@dataclass
class Owner:
    """An account as the platform identifies it, resolved from the recorded answers."""

    platform_id: str  # Facebook page id, YouTube channel id UC…, Instagram user id, LinkedIn organization URN
    handle: str = ""
    name: str = ""
    source: SourceRecord = field(default_factory=SourceRecord)


@dataclass
class Extraction:
    """What an adapter read from an account's recorded responses."""

    items: list[Item]
    reported: list[Reported] = field(default_factory=list)  # the platform's own counts, for coverage
    owners: list[Owner] = field(default_factory=list)  # the account's identity as the platform gave it
    notes: list[str] = field(default_factory=list)  # answers seen but not usable, in words (run warnings)


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

    Adapters that know which recorded answers carry items define one of
        item_url_patterns: tuple[str, ...]   (regular expressions on the URL)
        def carries_items(self, response: CapturedResponse) -> bool   (where the URL alone cannot tell)
    so that the extract stage flags such an answer that gave no item (extract/unrecognised.py).
    """

    platform: str

    def capture(self, ctx: CaptureContext) -> None:
        """Capture the account's items of ctx.year. Raise CaptureError if a wall cannot be passed."""

    def extract(self, responses: Iterable[CapturedResponse], account: Account, year: int) -> Extraction:
        """Parse the items of `year` from recorded responses (set Item.source from the response), with the
        counts the platform showed for them and the account's identity as the platform gave it."""
