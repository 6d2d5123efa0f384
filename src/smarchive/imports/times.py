"""Times as exports write them: epoch seconds (or milliseconds), ISO 8601 with microseconds, LinkedIn's
`2024-01-05 10:00:00` (UTC, sometimes with ` UTC`), and strings in the account's UI language
("5 jan. 2024 10:00", "Jan 5, 2024, 10:00 AM", "5. januar 2024", Meta's Swedish HTML
"mars 01, 2024 3:30 em"). A time that cannot be read gives None and
the row is reported: an importer never guesses a year.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from smarchive.model import STOCKHOLM

EARLIEST = datetime(2004, 1, 1, tzinfo=UTC)  # no social platform of interest held anything before 2004

MONTHS: dict[str, int] = {}
for number, names in enumerate((
    "jan januari january januar enero ene janv janvier",
    "feb februari february februar febrero febr fevr",
    "mar mars march märz marts marzo mrz",
    "apr april abril avr",
    "maj may mai mayo",
    "jun juni june junio juin",
    "jul juli july julio juil",
    "aug augusti august agosto ago",
    "sep sept september septiembre septembre",
    "okt oktober oct october octubre octobre",
    "nov november noviembre novembre",
    "dec december dezember diciembre dic decembre dez",
), start=1):
    for name in names.split():
        MONTHS[name] = number

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}| ?UTC)?$")
DAY_FIRST = re.compile(r"^(\d{1,2})\.?\s+([^\W\d]+)\.?,?\s+(\d{4})(?:,?\s+(?:kl\.?\s+|at\s+|um\s+)?"
                       r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?|[fe]\.?m\.?)?)?", re.IGNORECASE)
MONTH_FIRST = re.compile(r"^([^\W\d]+)\.?\s+(\d{1,2}),?\s+(\d{4})(?:,?\s+(?:at\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?"
                         r"\s*([ap]\.?m\.?|[fe]\.?m\.?)?)?", re.IGNORECASE)


def parse_time(value: object, zone=UTC) -> datetime | None:  # noqa: ANN001 (a tzinfo)
    """A timezone-aware UTC datetime, or None. Naive strings are read in `zone` (LinkedIn and Takeout write
    UTC; a UI-language string is in the zone the account was viewed in, Swedish time for Örebro)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _epoch(float(value))
    text = str(value).strip()
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return _epoch(float(text))
    found = _iso(text, zone) if ISO.match(text) else _ui(text)
    if found is None or found < EARLIEST:
        return None
    return found.astimezone(UTC)


def _epoch(seconds: float) -> datetime | None:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    found = datetime.fromtimestamp(seconds, UTC)
    return found if found >= EARLIEST else None


def _iso(text: str, zone) -> datetime | None:  # noqa: ANN001
    utc = text.endswith("UTC")
    text = text.removesuffix("UTC").strip().replace("Z", "+00:00")
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        return None  # 2026-02-30 is not a day
    if found.tzinfo is None:
        found = found.replace(tzinfo=UTC if utc else zone)
    return found


def _ui(text: str) -> datetime | None:
    """A date the way a person reads it in the platform's UI language; Swedish time unless it says UTC."""
    match = DAY_FIRST.match(text)
    if match:
        day, month, year, hour, minute, second, half = match.groups()
    else:
        match = MONTH_FIRST.match(text)
        if not match:
            return None
        month, day, year, hour, minute, second, half = match.groups()
    number = MONTHS.get(month.lower().rstrip("."))
    if number is None:
        return None
    h = int(hour or 0)
    # am/pm, and Swedish fm/em (förmiddag, eftermiddag) as Meta's Swedish HTML pages write them
    if half and half.lower()[0] in "pe" and h < 12:
        h += 12
    elif half and half.lower()[0] in "af" and h == 12:
        h = 0
    zone = UTC if "UTC" in text else STOCKHOLM
    try:
        return datetime(int(year), number, int(day), h, int(minute or 0), int(second or 0), tzinfo=zone)
    except ValueError:
        return None
