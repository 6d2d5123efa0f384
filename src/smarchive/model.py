"""The records smarchive moves between stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

# A post belongs to the calendar year it was published in, in Swedish time (the culling decision and the
# archive count years so); its comments and replies go with it.
STOCKHOLM = ZoneInfo("Europe/Stockholm")

# The one list of the platforms an account may be on. The adapters (smarchive.platforms.ADAPTERS) and the
# sandbox's imitations (smarchive.sandbox.platforms.MODULES) are tables keyed by it, checked on import by
# platform_table; the order is the sandbox's build order (its world depends on it).
PLATFORMS = ("facebook", "linkedin", "instagram", "youtube", "podcast", "web", "snapchat")
# On the list so the register can name them, but not captured (advertising only, content gone in 24 hours).
UNCAPTURED = ("snapchat",)

T = TypeVar("T")
ItemType = Literal["post", "comment", "reply"]
MediaKind = Literal["image", "video", "audio"]


@dataclass(frozen=True)
class Account:
    """One entry of the account register (pipelines/accounts.toml)."""

    id: str  # register id, e.g. "facebook-orebrokommun"
    platform: str  # adapter name: facebook, instagram, linkedin, youtube, podcast, web, snapchat
    name: str
    url: str  # may start with "sandbox:" and is then resolved against the running sandbox
    handle: str = ""  # the platform's own name for the account, e.g. "orebrokommun"
    # The platform's stable id of the account: Facebook page id, YouTube channel id (UC…), Instagram user id,
    # LinkedIn organization URN. Ownership is decided on it when known (names change, ids do not).
    platform_id: str = ""
    confirmed: bool = False  # URL confirmed by the communications department
    archivable: bool = True
    reason: str = ""  # why not archivable


@dataclass(frozen=True)
class MediaRef:
    """A media file an item shows, by the URL the browser fetched it from."""

    url: str
    kind: MediaKind = "image"


@dataclass
class SourceRecord:
    """Where in the WARC the data an item was parsed from lies."""

    warc_file: str = ""  # file name, relative to the run's warc folder
    record_id: str = ""  # WARC-Record-ID, e.g. "<urn:uuid:...>"
    offset: int = -1  # byte offset of the record in the (gzip) WARC file
    url: str = ""  # WARC-Target-URI of the record


@dataclass
class Item:
    """A post, comment or reply, as published on the platform."""

    id: str  # the platform's own id; unique within the platform
    parent_id: str | None  # post for a comment, comment for a reply, None for a post
    platform: str
    account: str  # Account.id
    item_type: ItemType
    author: str
    author_is_account: bool
    published_at: datetime  # timezone-aware, UTC
    text: str
    permalink: str
    media: list[MediaRef] = field(default_factory=list)
    source: SourceRecord = field(default_factory=SourceRecord)
    post_id: str = ""  # the post this item belongs to (itself for a post)
    # Platform facts without a column of their own, e.g. a podcast episode's duration and enclosure type.
    extra: dict[str, str] = field(default_factory=dict)
    # How precisely the platform gave published_at: "second" (an exact timestamp), "minute", "day" (a date
    # without a time: placed at the start of that day in Swedish time), or "relative" (e.g. "för 2 veckor
    # sedan", counted back from the answer's WARC-Date). Anything but "second"/"minute" is an estimate.
    time_precision: str = "second"


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


def year_bounds(year: int) -> tuple[int, int]:
    """Epoch seconds of 1 January 00:00 Swedish time of `year` and of the year after."""
    return (int(datetime(year, 1, 1, tzinfo=STOCKHOLM).timestamp()),
            int(datetime(year + 1, 1, 1, tzinfo=STOCKHOLM).timestamp()))


def year_of(epoch: float) -> int:
    """The calendar year, in Swedish time, of a moment given in epoch seconds."""
    return datetime.fromtimestamp(epoch, STOCKHOLM).year


def platform_table(table: dict[str, T], name: str) -> dict[str, T]:
    """`table`, after checking it has one entry per captured platform, in PLATFORMS order.

    A platform added to one table but not to PLATFORMS (or the other way round) fails on import, naming both."""
    expected = [p for p in PLATFORMS if p not in UNCAPTURED]
    if list(table) != expected:
        raise RuntimeError(f"{name} is keyed {list(table)}, but smarchive.model.PLATFORMS says {expected}")
    return table
