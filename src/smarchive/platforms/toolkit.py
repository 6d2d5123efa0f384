"""What every adapter needs when reading recorded answers: JSON in its many wrappings, and times as platforms
show them (exact, a date only, or relative to when the page was seen).

Adapters read JSON through `json_documents`, walk it with `smarchive.platforms.jsondata`, and turn relative
times ("för 2 veckor sedan", "18h", "1 year ago") into an estimate with its precision through `relative_time`,
counted from the answer's WARC-Date, never from the time extraction runs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from smarchive.model import STOCKHOLM, CapturedResponse
from smarchive.platforms.base import Owner, Reported

LATEST_EPOCH = 4_102_444_800  # 2100-01-01: anything later is not a timestamp
# Anti-hijacking prefixes some platforms put before JSON (Facebook, Google).
JSON_PREFIXES = ("for (;;);", ")]}'")
MEDIA_TYPES = ("image/", "video/", "audio/", "font/")


def response_text(response: CapturedResponse) -> str | None:
    """The body as text, or None for media and bodies that are not UTF-8."""
    if (response.content_type or "").lower().startswith(MEDIA_TYPES) or not response.body:
        return None
    try:
        return response.body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def json_documents(text: str) -> Iterator[object]:
    """Every JSON document in a body: one document (object or array), or one per line (streamed GraphQL answers),
    after any anti-hijacking prefix. Bodies that are not JSON give nothing."""
    stripped = text.lstrip()
    for prefix in JSON_PREFIXES:
        if stripped.startswith(prefix):
            stripped = stripped[len(prefix):].lstrip()
    if not stripped or stripped[0] not in "[{":
        return
    try:
        yield json.loads(stripped)
        return
    except (json.JSONDecodeError, RecursionError):
        pass
    for line in stripped.splitlines():
        line = line.strip()
        if line[:1] in ("{", "["):
            try:
                yield json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                continue


# ------------------------------------------------------------------------------------------------ times

@dataclass(frozen=True)
class Estimate:
    """A moment as the platform gave it: exact, or only to a precision (a day, a week, ...)."""

    at: datetime  # timezone-aware
    precision: str  # "exact" | "minute" | "hour" | "day" | "week" | "month" | "year"


MINUTE, HOUR, DAY = 60, 3600, 86_400
UNITS: dict[str, tuple[int, str]] = {}  # unit word (Swedish or English, short or long) -> (seconds, precision)
for words, seconds, precision in (
    ("s sek sekund sekunder second seconds sec secs", 1, "minute"),
    ("m min minut minuter minute minutes mins", MINUTE, "minute"),
    ("h t tim timme timmar hour hours hr hrs", HOUR, "hour"),
    ("d dag dagar day days", DAY, "day"),
    ("v w vecka veckor week weeks wk wks", 7 * DAY, "week"),
    ("mån mo månad månader month months", 30 * DAY, "month"),
    ("år y yr yrs year years", 365 * DAY, "year"),
):
    for word in words.split():
        UNITS[word] = (seconds, precision)

RELATIVE = re.compile(r"(?<![\w.])(\d+|en|ett|a|an|one)\s*([a-zåäö]+)\b", re.IGNORECASE)
NOW_WORDS = re.compile(r"\b(just nu|nyss|just now|now|nu)\b", re.IGNORECASE)
YESTERDAY = re.compile(r"\b(igår|i går|yesterday)\b", re.IGNORECASE)
ONE = {"en", "ett", "a", "an", "one"}


def relative_time(text: str, recorded_at: datetime) -> Estimate | None:
    """When "för 2 veckor sedan", "18h", "1 year ago", "igår" was, seen from `recorded_at` (the WARC-Date of the
    answer that showed it). None if the text is not a relative time this understands."""
    if not text:
        return None
    if NOW_WORDS.search(text):
        return Estimate(recorded_at, "minute")
    if YESTERDAY.search(text):
        return Estimate(recorded_at - timedelta(days=1), "day")
    match = RELATIVE.search(text)
    if not match:
        return None
    unit = UNITS.get(match.group(2).lower())
    if unit is None:
        return None
    number = 1 if match.group(1).lower() in ONE else int(match.group(1))
    seconds, precision = unit
    return Estimate(recorded_at - timedelta(seconds=number * seconds), precision)


def recorded_at(response: CapturedResponse) -> datetime | None:
    """When the answer was recorded (its WARC-Date), timezone-aware; None if the record does not say."""
    if not response.date:
        return None
    try:
        return datetime.fromisoformat(response.date.replace("Z", "+00:00"))
    except ValueError:
        return None


def local_day(day: date, zone=STOCKHOLM) -> Estimate:  # noqa: ANN001 (a tzinfo)
    """A date the platform gave without a time, placed at noon of that day in the platform's own zone (so that
    it falls in the right calendar year), with day precision."""
    return Estimate(datetime(day.year, day.month, day.day, 12, tzinfo=zone), "day")


def epoch_of(value: object, per_second: int = 1, digits: bool = True) -> int | None:
    """A timestamp as a platform's JSON gives it: an integer, a float, or (if `digits`) a string of digits; in
    seconds, or in milliseconds with `per_second=1000`. None for anything else and for what cannot be a time of
    a post (negative, after 2099)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    elif digits and isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and 0 <= value < LATEST_EPOCH * per_second else None


def titled_text(title: str, description: str) -> str:
    """The text of an item that has a title and a description (a video, an episode): the title, a blank line,
    the description; the title alone if there is no description."""
    return f"{title}\n\n{description}" if description else title


def counted(n: int, word: str, plural: str | None = None) -> str:
    """`1 click`, `2 clicks`, `0 replies`: a count with its noun in the right number, for progress lines
    a person reads (English plural: `word + "s"` unless given)."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def count_of(value: object) -> int | None:
    """A count as a platform's JSON gives it: a non-negative integer, else None (absent, null, a bool)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def largest_counts(reported: list[Reported]) -> list[Reported]:
    """One count per (kind, post, comment): the same count is shown in several answers; the largest wins (a
    later answer may count comments written since)."""
    best: dict[tuple[str, str, str], Reported] = {}
    for count in reported:
        key = (count.kind, count.post_id, count.comment_id)
        if key not in best or count.count > best[key].count:
            best[key] = count
    return list(best.values())


@dataclass
class AccountKeys:
    """What identifies an account: its platform id(s) and handle(s), from the register and from the answers (an
    owner the answers name with a known handle gives its id, and the other way round). Never its display name:
    names are not unique and change. Each adapter adds `matches` for its own shape of author."""

    ids: set[str] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)

    @classmethod
    def known(cls, platform_id: str, handles: Iterable[str], owners: list[Owner]) -> AccountKeys:
        keys = cls({platform_id} - {""}, {h.lower() for h in handles if h})
        for owner in owners:
            if owner.platform_id in keys.ids or owner.handle.lower() in keys.handles:
                keys.ids.add(owner.platform_id)
                if owner.handle:
                    keys.handles.add(owner.handle.lower())
        return keys

    def owners(self, owners: list[Owner]) -> list[Owner]:
        """The account's identity as the answers gave it, once per platform id (one with a name preferred)."""
        chosen: dict[str, Owner] = {}
        for owner in owners:
            if owner.platform_id in self.ids:
                current = chosen.get(owner.platform_id)
                if current is None or (not current.name and owner.name):
                    chosen[owner.platform_id] = owner
        return list(chosen.values())

