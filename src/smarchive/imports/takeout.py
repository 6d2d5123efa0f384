"""Google Takeout's YouTube folder: the channel, its videos' metadata and its comments, as CSV.

Takeout translates folder names, file names and CSV headers into the account's language (`comentarios/
comentarios.csv`, `Kommentare/Kommentare.csv`, ...), so files are recognised by their header's shape, and
columns by position within the layouts Google has used:

comments  7 columns before June 2024: Comment ID, Channel ID, Create Timestamp, Price, Parent Comment ID,
          Video ID, Comment Text; 7 columns after: Channel ID, Create Timestamp, Price, Comment ID, Parent
          Comment ID, Video ID, Comment Text; 8 columns from 2025: the first order plus Top-Level Comment ID.
          The text is JSON: {"takeoutSegments": [{"text": …}]} or, after June 2024, text segments joined by
          commas without brackets ({"text":"…"},{"text":"\\n"},{"text":"…"}).
videos    9 columns: Video ID, Approx Duration (ms), Category, Channel ID, Title (Original), Privacy, State,
          Create Timestamp, Publish Timestamp.
channel   4 columns: Channel ID, Country, Title (Original), Visibility.
my-comments.html (older Takeouts): a list, one `<li>` per comment: a line with the time (`2020-05-06 19:32:44 UTC`,
          before 2019 `2016-06-15T08:50:49Z`) and a link to the video (`watch?v=ID`, with `&lc=COMMENT` when it
          names the comment), then `<br>`, then the comment's text (its lines separated by `<br>`).
"""

from __future__ import annotations

import csv
import io
import json
import re

from smarchive.imports.base import ExportItem, ExportRead, load_text
from smarchive.imports.times import parse_time

COMMENT_WORDS = re.compile(r"comment|comentario|kommentar|commentaire|commento", re.IGNORECASE)
VIDEO_WORDS = re.compile(r"v[ií]deo", re.IGNORECASE)
CHANNEL_WORDS = re.compile(r"channel|canal|kanal|chaîne", re.IGNORECASE)
DESCRIPTION_WORDS = re.compile(r"descri|beschreib|beskriv", re.IGNORECASE)
CHAT_WORDS = re.compile(r"chat", re.IGNORECASE)


def rows_of(text: str) -> list[list[str]]:
    """The CSV's rows without the blank lines real Takeout files end with."""
    return [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]


def kind_of(header: list[str]) -> str:
    """comments | videos | video-texts | channel | "" (histories, playlists, live chat, settings)."""
    joined = " ".join(header)
    if CHAT_WORDS.search(joined):
        return ""
    if len(header) in (7, 8) and len([h for h in header if COMMENT_WORDS.search(h)]) >= 2:
        return "comments"
    if len(header) == 9 and VIDEO_WORDS.search(header[0]) and CHANNEL_WORDS.search(header[3]):
        return "videos"
    if header and VIDEO_WORDS.search(header[0]) and len(header) >= 3 and not CHANNEL_WORDS.search(joined):
        return "video-texts"
    if len(header) == 4 and CHANNEL_WORDS.search(header[0]) and CHANNEL_WORDS.search(header[2]):
        return "channel"
    return ""


def comment_text(raw: str) -> str:
    """The text of Takeout's JSON text segments (either form); a text that is not JSON is kept as it is."""
    stripped = raw.strip()
    if not stripped.startswith("{"):
        return raw
    try:
        parsed = json.loads(f"[{stripped}]")
    except ValueError:
        return raw
    segments = []
    for part in parsed:
        if isinstance(part, dict) and isinstance(part.get("takeoutSegments"), list):
            segments += part["takeoutSegments"]
        else:
            segments.append(part)
    return "".join(s.get("text", "") for s in segments if isinstance(s, dict))


def read_comments(read: ExportRead, member: str, header: list[str], rows: list[list[str]]) -> None:
    channel_first = CHANNEL_WORDS.search(header[0]) is not None
    for n, row in enumerate(rows, 2):
        if len(row) < 7:
            read.problem(member, f"line {n}: {len(row)} columns, expected {len(header)} (cut short?)")
            continue
        if channel_first:
            channel, stamp, _price, comment_id, parent, video, raw = row[:7]
        else:
            comment_id, channel, stamp, _price, parent, video, raw = row[:7]
        at = parse_time(stamp)
        if at is None:
            read.problem(member, f"line {n}: comment {comment_id} has no readable time ({stamp!r}); not imported")
            continue
        if channel:
            read.owner.ids.add(channel)
        reply = bool(parent) and parent != comment_id
        read.add(ExportItem("reply" if reply else "comment", at, comment_text(raw), member, export_id=comment_id,
                            parent_export_id=parent if reply else video, post_export_id=video, author=channel,
                            permalink=f"https://www.youtube.com/watch?v={video}&lc={comment_id}",
                            extra={"video_id": video}))


def read_videos(read: ExportRead, member: str, rows: list[list[str]], descriptions: dict[str, str]) -> None:
    for n, row in enumerate(rows, 2):
        if len(row) < 9:
            read.problem(member, f"line {n}: {len(row)} columns, expected 9 (cut short?)")
            continue
        video, duration, category, channel, title, privacy, state, created, published = row[:9]
        at = parse_time(published) or parse_time(created)
        if at is None:
            read.problem(member, f"line {n}: video {video} has no readable time ({published!r}); not imported")
            continue
        if channel:
            read.owner.ids.add(channel)
        text = title + (f"\n\n{descriptions[video]}" if descriptions.get(video) else "")
        read.add(ExportItem("post", at, text, member, export_id=video, author=channel,
                            permalink=f"https://www.youtube.com/watch?v={video}",
                            extra={"duration_ms": duration, "category": category, "privacy": privacy,
                                   "state": state}))


HTML_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:T| )\d{2}:\d{2}:\d{2}(?:Z| UTC)?")
WATCH = re.compile(r"[?&]v=([\w-]{11})")
COMMENT_LINK = re.compile(r"[?&]lc=([\w.-]+)")


def html_comments(text: str) -> list[tuple[str, str, str, str]]:
    """(time, video id, comment id or "", text) of each `<li>` of a my-comments.html that has a time and a
    video link; [] for any other HTML."""
    import lxml.html

    try:
        root = lxml.html.fromstring(text)
    except (ValueError, lxml.etree.ParserError):
        return []
    found = []
    for li in root.iter("li"):
        lines, current = [], [li.text or ""]
        for child in li:
            if child.tag == "br":
                lines.append("".join(current))
                current = [child.tail or ""]
            else:
                current.append(child.text_content() + (child.tail or ""))
        lines.append("".join(current))
        links = [a.get("href", "") for a in li.iter("a")]
        when = HTML_TIME.search(lines[0])
        video = next((m.group(1) for m in map(WATCH.search, links) if m), "")
        if when and video:
            comment = next((m.group(1) for m in map(COMMENT_LINK.search, links) if m), "")
            found.append((when.group(0), video, comment, "\n".join(lines[1:]).strip()))
    return found


def read_html_comments(read: ExportRead, member: str, comments: list[tuple[str, str, str, str]]) -> None:
    for n, (stamp, video, comment_id, text) in enumerate(comments, 1):
        at = parse_time(stamp)
        if at is None:
            read.problem(member, f"comment {n}: no readable time ({stamp!r}); not imported")
            continue
        reply = "." in comment_id  # a reply's id is <parent id>.<suffix>
        read.add(ExportItem("reply" if reply else "comment", at, text, member, export_id=comment_id,
                            parent_export_id=comment_id.split(".")[0] if reply else video, post_export_id=video,
                            permalink=f"https://www.youtube.com/watch?v={video}"
                                      + (f"&lc={comment_id}" if comment_id else ""),
                            extra={"video_id": video}))


def read_takeout(read: ExportRead, members: list[str]) -> None:
    for member in members:
        if member.lower().endswith((".html", ".htm")):
            text = load_text(read, member)
            comments = html_comments(text) if text else []
            if comments:
                read.members_read.append(member)
                read_html_comments(read, member, comments)
    tables: dict[str, list[tuple[str, list[str], list[list[str]]]]] = {}
    for member in members:
        if not member.lower().endswith(".csv"):
            continue
        text = load_text(read, member)
        if text is None:
            continue
        rows = rows_of(text)
        if not rows:
            continue
        kind = kind_of(rows[0])
        if kind:
            tables.setdefault(kind, []).append((member, rows[0], rows[1:]))
    for member, _header, rows in tables.get("channel", []):
        read.members_read.append(member)
        for row in rows:
            if row and row[0]:
                read.owner.ids.add(row[0])
            if len(row) > 2 and row[2]:
                read.owner.names.add(row[2])
    descriptions: dict[str, str] = {}
    for member, header, rows in tables.get("video-texts", []):
        column = next((i for i, h in enumerate(header) if DESCRIPTION_WORDS.search(h)), None)
        if column is not None:
            read.members_read.append(member)
            descriptions.update({r[0]: r[column] for r in rows if len(r) > column})
    for member, _header, rows in tables.get("videos", []):
        read.members_read.append(member)
        read_videos(read, member, rows, descriptions)
    for member, header, rows in tables.get("comments", []):
        read.members_read.append(member)
        read_comments(read, member, header, rows)
