"""What reading an export gives: items with their provenance, the media they reference, and the problems."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from smarchive.imports.source import ExportSource
from smarchive.imports.text import Repairs


@dataclass
class ExportItem:
    """A post, comment or reply as the export has it."""

    item_type: str  # post | comment | reply
    published_at: datetime  # UTC
    text: str
    member: str  # the path inside the export it was read from
    export_id: str = ""  # the platform's own id of the item, as the capture spells it ("" if the export has none)
    parent_export_id: str = ""  # the platform id of the post (or comment) it answers, if the export says
    post_export_id: str = ""  # the platform id of the post its thread is under, if the export says
    author: str = ""
    author_is_account: bool = True  # an export holds what the account itself wrote
    permalink: str = ""
    media: list[tuple[str, str]] = field(default_factory=list)  # (path inside the export, kind)
    extra: dict[str, str] = field(default_factory=dict)
    key: str = ""  # export_id, or a stable hash of what the item is (set by ExportRead.add)


@dataclass
class Problem:
    member: str
    reason: str  # "empty", "truncated", "unreadable: ...", "bad time: ..."

    def __str__(self) -> str:
        return f"{self.member}: {self.reason}"


@dataclass
class Owner:
    """Who the export says it belongs to (ids and handles are compared, never display names)."""

    ids: set[str] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)


@dataclass
class ExportRead:
    platform: str
    layout: str  # e.g. "facebook-json", "instagram-json-2024", "youtube-takeout", "linkedin-csv"
    source: ExportSource
    items: list[ExportItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    owner: Owner = field(default_factory=Owner)
    members_read: list[str] = field(default_factory=list)
    repairs: Repairs = field(default_factory=Repairs)
    notes: list[str] = field(default_factory=list)  # what was read but is not an item (messages, profile pictures)

    def add(self, item: ExportItem) -> None:
        item.key = item.export_id or stable_key(item)
        self.items.append(item)

    def problem(self, member: str, reason: str) -> None:
        self.problems.append(Problem(member, reason))


def stable_key(item: ExportItem) -> str:
    """An id for an item the export gives none: what it is (type, time, text, media), hashed. The same item in
    a later export of the same account hashes the same, so importing twice adds nothing new."""
    what = "\x1f".join([item.item_type, item.published_at.isoformat(), item.text, item.parent_export_id,
                        *(path.rsplit("/", 1)[-1] for path, _ in item.media)])
    return "h" + hashlib.sha256(what.encode("utf-8")).hexdigest()[:24]


def load_json(read: ExportRead, member: str) -> object | None:
    """A JSON member, or None with the problem recorded: an empty file, or one cut short (truncated) or not
    JSON at all. The rest of the export is read on."""
    data = read.source.read(member)
    if not data.strip():
        read.problem(member, "empty file")
        return None
    try:
        import json

        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        read.problem(member, "not UTF-8 text")
    except ValueError as e:  # json.JSONDecodeError
        at_end = getattr(e, "pos", 0) >= len(data.rstrip()) - 1
        read.problem(member, "truncated (the JSON ends too early)" if at_end else f"not valid JSON ({e})")
    return None


def load_text(read: ExportRead, member: str) -> str | None:
    """A text member (CSV, HTML), or None with the problem recorded (empty, or not UTF-8)."""
    data = read.source.read(member)
    if not data.strip():
        read.problem(member, "empty file")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        read.problem(member, "not UTF-8 text")
        return None


def media_kind(path: str) -> str:
    lower = path.lower()
    if lower.endswith((".mp4", ".mov", ".webm", ".m4v")):
        return "video"
    if lower.endswith((".mp3", ".m4a", ".aac", ".ogg", ".wav")):
        return "audio"
    return "image"
