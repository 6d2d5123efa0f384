"""One record of what a reader found in one recorded answer, for every adapter that reads threads (Facebook,
Instagram, LinkedIn): an item before the readings of it in several answers are merged, and before the account
and year are decided.

The author is kept as the platform gave it, as a dict with any of the keys `id`, `name`, `username`, `url`,
`urn` and `__typename` (Facebook's node type): who the account is differs per platform (a Page id, a user id,
an organization urn), so each adapter's account keys read the keys they know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from smarchive.model import Account, CapturedResponse, Item, MediaRef, SourceRecord
from smarchive.platforms.base import Owner, Reported


@dataclass
class Found:
    """An item as read from one response, before merging duplicates."""

    id: str
    item_type: str  # "post" | "comment" | "reply"
    parent_id: str | None
    post_id: str  # "" where the answer does not say (a page of replies): filled in from the parent on merging
    author: dict  # see the module's docstring
    epoch: float | None  # seconds since 1970 (UTC); None: the answer gave no time
    text: str
    response: CapturedResponse
    url: str = ""  # the permalink, where the answer gives or implies it
    media: list[tuple[str, str]] = field(default_factory=list)  # (url, kind)
    precision: str = "second"  # Item.time_precision: how exactly the answer gave the time
    rank: int = 1  # how good the answer's kind is as a source (LinkedIn: 0 for a guest page's HTML)
    own_page: bool = False  # read from the item's own page (Instagram's post page): the last tie-break
    site: str = ""  # the site's root URL, where the permalink is built later (Instagram)
    code: str = ""  # the post's short code in its permalink (Instagram's shortcode)

    def completeness(self) -> tuple[int, int, int, int, int, int, int]:
        """Which of two readings of one item to keep: the better source, then an exact time, then a known
        parent (a reply's parent is known only from the answer that lists it), then more text, more media,
        a permalink, the item's own page."""
        exact = self.epoch is not None and self.precision == "second"
        return (self.rank, 1 if exact else 0, 1 if self.item_type == "reply" else 0, len(self.text),
                len(self.media), 1 if self.url else 0, 1 if self.own_page else 0)

    def item(self, platform: str, account: Account, *, author: str, author_is_account: bool, permalink: str,
             media: list[MediaRef]) -> Item:
        """The item for the manifest; the adapter decides what is platform-specific (who the author is, whether
        it is the account, the permalink, and the URL each media file was recorded under)."""
        response = self.response
        return Item(
            id=self.id,
            parent_id=self.parent_id,
            platform=platform,
            account=account.id,
            item_type=self.item_type,  # type: ignore[arg-type]
            author=author,
            author_is_account=author_is_account,
            published_at=datetime.fromtimestamp(self.epoch or 0, UTC),
            text=self.text,
            permalink=permalink,
            media=media,
            source=SourceRecord(warc_file=response.warc_file, record_id=response.record_id, offset=response.offset,
                                url=response.url),
            post_id=self.post_id,
            time_precision=self.precision,
        )


@dataclass
class Reading:
    """What one answer gave: the items found, the platform's own counts, the accounts it names (their ids), and
    how many item-shaped objects it held, understood or not (more of them than items found is a warning)."""

    found: list[Found] = field(default_factory=list)
    reported: list[Reported] = field(default_factory=list)
    owners: list[Owner] = field(default_factory=list)
    item_shaped: int = 0
