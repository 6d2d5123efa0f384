"""LinkedIn data export (`Shares.csv`, `Comments.csv`) read into item-like dicts, for importing.

The export files are awkward, and a reader must not lose a row because of it:
- a UTF-8 byte-order mark, or a legacy Windows encoding;
- preamble lines ("Notes:", a description, a blank line) before the header row;
- Shares.csv doubles quotes inside quoted fields (RFC 4180), Comments.csv escapes them with a
  backslash (`\\"`) and doubles backslashes; fields span lines;
- placeholders for "no value" (NULL, N/A, <NA>, #N/A, NaN, none...), invalid dates (30 February,
  month 13, "sometime later"), control characters (a bell in the middle of a text).
Every data row becomes one dict; a date that cannot be read gives `published_at = None` and keeps the
original in `date_raw`. Texts are kept as written (formula-like "=cmd" included): escaping them is
the job of whoever writes a spreadsheet, not of the archive.

An export holds the account's own activity only (not others' comments on it): it complements a
capture, it does not replace one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

NULLS = {"", "null", "none", "na", "n/a", "<na>", "#n/a", "#n/a n/a", "nan", "1.#qnan", "-nan", "nil"}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%m/%d/%y, %I:%M %p")
URN = re.compile(r"urn:li:(activity|share|ugcPost):(\d+)")

# Header names (lower case) that mark the header row of each kind of file.
KINDS = {
    "shares": ({"date", "sharelink"}, {"sharecommentary"}),
    "comments": ({"date", "link"}, {"message"}),
}


def decode(data: bytes) -> str:
    """Text of an export file: UTF-8 (with or without BOM), else Windows-1252, line ends unified."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _header_index(lines: list[str]) -> int:
    """The first line that looks like a header (several comma-separated names), after any preamble."""
    for index, line in enumerate(lines[:50]):
        names = {cell.strip().strip('"').lower() for cell in line.split(",")}
        if any(required <= names for required, _ in KINDS.values()):
            return index
    for index, line in enumerate(lines[:50]):
        if line.count(",") >= 1 and not line.lower().startswith("notes"):
            return index
    return 0


def _uses_backslash_escapes(text: str) -> bool:
    # Comments.csv writes \" for a quote (and \\ for a backslash); Shares.csv doubles quotes instead.
    return '\\"' in text or "\\\\" in text


def read_table(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(column names, [(line number, cells)]) of an export file, preamble skipped."""
    text = decode(data)
    lines = text.split("\n")
    start = _header_index(lines)
    body = "\n".join(lines[start:])
    if "\n" in body:
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # one share may be very long
    reader = csv.reader(io.StringIO(body, newline=""), doublequote=True, strict=False,
                        escapechar="\\" if _uses_backslash_escapes(body) else None)
    header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    for cells in reader:
        if not header:
            header = [cell.strip() for cell in cells]
            continue
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        rows.append((start + reader.line_num, cells))
    return header, rows


def clean(value: str | None) -> str:
    """A cell's text: control characters removed, placeholders for "no value" made empty."""
    if value is None:
        return ""
    value = CONTROL.sub("", value)
    return "" if value.strip().lower() in NULLS else value


def parse_date(value: str) -> datetime | None:
    """A UTC datetime from the formats exports use ("2024-05-01 10:00:00", "… UTC", "01 May 2024")."""
    text = clean(value).strip().removesuffix(" UTC").removesuffix("Z").strip()
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _record(header: list[str], cells: list[str]) -> dict[str, str]:
    cells = cells + [""] * (len(header) - len(cells))
    return {name.lower(): cells[n] for n, name in enumerate(header)}


def _kind(header: list[str]) -> str:
    names = {name.lower() for name in header}
    for kind, (required, text_columns) in KINDS.items():
        if required <= names and text_columns & names:
            return kind
    return ""


def _urn_id(link: str) -> tuple[str, str]:
    match = URN.search(link)
    return (match.group(1), match.group(2)) if match else ("", "")


def _row_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def read_shares(path: Path | str) -> list[dict]:
    """Shares.csv as post dicts: id, item_type, published_at, date_raw, text, permalink, shared_url,
    media_url, visibility, line (where the row ends in the file)."""
    header, rows = read_table(Path(path).read_bytes())
    if _kind(header) != "shares":
        raise ValueError(f"{path}: not a LinkedIn Shares export (columns: {', '.join(header)})")
    items = []
    for line, cells in rows:
        record = _record(header, cells)
        link = clean(record.get("sharelink")).strip()
        _, share_id = _urn_id(link)
        items.append({
            "id": share_id or _row_id(record.get("date", ""), link, record.get("sharecommentary", "")),
            "item_type": "post", "parent_id": None, "post_id": share_id,
            "published_at": parse_date(record.get("date", "")), "date_raw": record.get("date", ""),
            "text": clean(record.get("sharecommentary")).strip(), "permalink": link,
            "shared_url": clean(record.get("sharedurl")).strip(), "media_url": clean(record.get("mediaurl")).strip(),
            "visibility": clean(record.get("visibility")).strip(), "line": line,
        })
    return items


def _unescape_comment(text: str) -> str:
    # Quoted fields are already unescaped by the reader; a doubled quote left over stood in an unquoted
    # field, where Comments.csv also doubles quotes ("Plain text with ""doubled"" quotes").
    return text.replace('""', '"')


def read_comments(path: Path | str) -> list[dict]:
    """Comments.csv as comment dicts: id (stable hash of the row), item_type, post_id, parent_id,
    published_at, date_raw, text, permalink, line (where the row ends in the file)."""
    header, rows = read_table(Path(path).read_bytes())
    if _kind(header) != "comments":
        raise ValueError(f"{path}: not a LinkedIn Comments export (columns: {', '.join(header)})")
    items = []
    for line, cells in rows:
        record = _record(header, cells)
        link = clean(record.get("link")).strip()
        _, post_id = _urn_id(link)
        items.append({
            "id": _row_id(record.get("date", ""), link, record.get("message", "")),
            "item_type": "comment", "parent_id": post_id or None, "post_id": post_id,
            "published_at": parse_date(record.get("date", "")), "date_raw": record.get("date", ""),
            "text": _unescape_comment(clean(record.get("message")).strip()), "permalink": link, "line": line,
        })
    return items
