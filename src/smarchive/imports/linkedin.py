"""LinkedIn's data export: `Shares.csv` (the account's posts) and `Comments.csv` (its comments), as they are.

- ShareLink and Link hold the post's URN percent-encoded (`urn%3Ali%3Ashare%3A7012…`): decoded before the id
  is taken (the capture's id is the number of `urn:li:activity|share|ugcPost:N`).
- ShareCommentary wraps every line of the text in double quotes (text.unquote_lines removes them).
- A share with several media has one row per media file, the same ShareLink on each: one item, its media
  listed in order.
- Comments.csv escapes quotes with a backslash (`\\"great post\\"`) as well as by doubling them.
- Dates are UTC, `2024-01-05 10:00:00` (sometimes with ` UTC`); an impossible date (2026-02-30) is
  reported and the row not imported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from urllib.parse import unquote

from smarchive.imports.base import ExportItem, ExportRead, load_text
from smarchive.imports.text import unquote_lines
from smarchive.imports.times import parse_time

URN = re.compile(r"urn:li:(activity|share|ugcPost|groupPost):(\d+)")
COMMENT_URN = re.compile(r"urn:li:comment:\((?:activity|ugcPost|share):(\d+),(\d+)\)")
SHARES_HEADER = ["Date", "ShareLink", "ShareCommentary"]
COMMENTS_HEADER = ["Date", "Link", "Message"]


def post_id(link: str) -> str:
    """The post's number from a (percent-encoded) LinkedIn link, or ""."""
    match = URN.search(unquote(unquote(link)))
    return match.group(2) if match else ""


def is_url(value: str) -> bool:
    return value.strip().lower().startswith(("http://", "https://"))


def header_of(text: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text)), [])
    return [h.strip() for h in first]


def numbered(reader: csv.DictReader) -> Iterator[tuple[int, dict]]:
    """Each row with the line of the file it starts on (a text may span lines)."""
    start = 2
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def read_shares(read: ExportRead, member: str, text: str) -> None:
    shares: dict[str, ExportItem | None] = {}
    for n, row in numbered(csv.DictReader(io.StringIO(text))):
        link = row.get("ShareLink") or ""
        key = post_id(link) or link
        media = row.get("MediaUrl") or ""
        if key in shares:  # one more media row of a share already read
            if is_url(media):
                shares[key].extra["media_urls"] += " " + media.strip()
            continue
        at = parse_time(row.get("Date"))
        if at is None:
            read.problem(member, f"line {n}: share {key} has no readable date ({row.get('Date')!r}); not imported")
            shares[key] = None  # its further media rows are not another share
            continue
        extra = {"media_urls": media.strip() if is_url(media) else ""}
        if is_url(row.get("SharedUrl") or ""):
            extra["shared_url"] = row["SharedUrl"].strip()
        if row.get("Visibility"):
            extra["visibility"] = row["Visibility"]
        item = ExportItem("post", at, unquote_lines(row.get("ShareCommentary") or ""), member, export_id=post_id(link),
                          permalink=unquote(link), extra=extra)
        shares[key] = item
    for item in shares.values():
        if item is not None:
            if not item.extra["media_urls"]:
                del item.extra["media_urls"]
            read.add(item)


def read_comments(read: ExportRead, member: str, text: str) -> None:
    reader = csv.DictReader(io.StringIO(text), escapechar="\\", doublequote=True)
    for n, row in numbered(reader):
        link = unquote(unquote(row.get("Link") or ""))
        at = parse_time(row.get("Date"))
        if at is None:
            read.problem(member, f"line {n}: comment on {link} has no readable date ({row.get('Date')!r}); "
                         "not imported")
            continue
        urn = COMMENT_URN.search(link)
        read.add(ExportItem("comment", at, row.get("Message") or "", member, export_id=urn.group(2) if urn else "",
                            parent_export_id=urn.group(1) if urn else post_id(link),
                            post_export_id=urn.group(1) if urn else post_id(link), permalink=link))


def read_linkedin(read: ExportRead, members: list[str]) -> None:
    for member in members:
        if not member.lower().endswith(".csv"):
            continue
        text = load_text(read, member)
        if text is None:
            continue
        header = header_of(text)
        if header[:3] == SHARES_HEADER:
            read.members_read.append(member)
            read_shares(read, member, text)
        elif header[:3] == COMMENTS_HEADER:
            read.members_read.append(member)
            read_comments(read, member, text)
