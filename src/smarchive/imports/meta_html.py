"""Facebook's and Instagram's "Download your information" in HTML: the same items as the JSON format, read from
the pages Meta renders for a person to open in a browser.

No real HTML export is in ../shared/real-world/; the layout is the one public parsers of these exports read (see
tests/data/meta-html/SOURCES.md). Every page is a list of entry boxes, in two generations of class names:

entry    <div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder"> (2022-) or <div class="pam _3-95 _2pi0 _2lej
         uiBoxWhite noborder"> (2019-2022)
title    an element of class _a6-h (an <h2> or <div>) or _2pio / _2lel: "X uppdaterade sin status.", "X svarade
         på …", an Instagram caption (_2pim _a6-h)
content  the element of class _a6-p or _2let: the text in <div class="_2pin"> blocks, media as <a href>, <img
         src>, <video src> with paths inside the export (`media/posts/202403/x.jpg`), links to the web as <a href>
time     the element of class _a6-o or _2lem (its text, or that of a _a72d inside it), in the UI language:
         "Jan 05, 2024 10:00:00 am", "Feb 28, 2025 10:07 am", "5 jan. 2024 10:00" (Swedish time unless it says UTC)
table    label/value rows (Instagram comments, profiles): <td class="_2pin _a6_q">Kommentar<div><div>TEXT</div>
         </div></td>, and <td class="_a6_q">Tid</td><td class="_a6_r">TIME</td>

What a page holds is told by its entries, never by its file name (translated):
facebook-posts     entries with a _2pin text block (or media) whose title is not a comment's
facebook-comments  entries with a _2pin text block whose title says commented / replied (in the UI language)
instagram-posts    entries with no _2pin block, with media of the export's `media/posts|reels|igtv` folders
instagram-comments tables with a Comment / Kommentar row and a Time / Tid row
*-profile          a table with a Username / Användarnamn row; Facebook's when it links to facebook.com
HTML entities (&amp; &#246; …) are decoded by the parser; Meta's mojibake does not occur in HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from smarchive.imports.base import ExportItem, ExportRead, media_kind
from smarchive.imports.meta_labels import COMMENT_LABELS, NAME_LABELS, REPLY_TITLE, TIME_LABELS, USERNAME_LABELS
from smarchive.imports.times import parse_time

MARKERS = ("_a6-g", "_2lej", "_a6_q", "_2pin")  # a page without any of these is no Meta export page
COMMENT_TITLE = re.compile(r"\b(comment(ed)?|kommenterade|kommenterede|kommenterte|kommentierte|comentó|commenté)\b",
                           re.IGNORECASE)
POST_MEDIA = re.compile(r"(^|/)media/(posts|reels|igtv|other)/")
PROFILE_LINK = re.compile(r"facebook\.com/(?:profile\.php\?id=(\d+)|([\w.\-]+))")


def _classes(element) -> set[str]:  # noqa: ANN001 (an lxml element)
    return set((element.get("class") or "").split())


def _first(element, *names: str):  # noqa: ANN001, ANN202
    """The first descendant carrying one of the class names."""
    for child in element.iter():
        if isinstance(child.tag, str) and _classes(child) & set(names):
            return child
    return None


def text_of(element) -> str:  # noqa: ANN001
    """The element's text as a person reads it: <br> is a new line, the rest of the markup goes."""
    if element is None:
        return ""
    parts = [element.text or ""]
    for child in element:
        if not isinstance(child.tag, str):
            parts.append(child.tail or "")
            continue
        parts.append("\n" if child.tag == "br" else text_of(child))
        parts.append(child.tail or "")
    return "".join(parts)


@dataclass
class Entry:
    """One entry box of a page."""

    title: str = ""
    time: str = ""
    texts: list[str] = field(default_factory=list)  # the _2pin text blocks
    media: list[str] = field(default_factory=list)  # paths inside the export
    links: list[str] = field(default_factory=list)  # to the web
    table: dict[str, str] = field(default_factory=dict)  # label -> value
    permalink: str = ""  # the time is a link to the item on the platform in newer pages

    @property
    def is_comment(self) -> bool:
        return bool(COMMENT_TITLE.search(self.title) or REPLY_TITLE.search(self.title))


def _table(box) -> dict[str, str]:  # noqa: ANN001
    found = {}
    for row in box.iter("tr"):
        cells = [c for c in row if isinstance(c.tag, str) and c.tag == "td"]
        if len(cells) == 2:  # <td>label</td><td>value</td>
            found[text_of(cells[0]).strip()] = text_of(cells[1]).strip()
        elif len(cells) == 1:  # <td>label<div><div>value</div></div></td>
            value = cells[0].find("div")
            found[(cells[0].text or "").strip()] = text_of(value).strip() if value is not None else ""
    return found


def _only_a_link(block, text: str) -> bool:  # noqa: ANN001
    """A block that is one link to the web (a shared link's attachment): a link, not text."""
    links = [a for a in block.iter("a") if re.match(r"^[a-z]+:", a.get("href") or "", re.IGNORECASE)]
    return len(links) == 1 and text_of(links[0]).strip() == text


def _entry(box) -> Entry:  # noqa: ANN001
    title = _first(box, "_a6-h", "_2pio", "_2lel")
    content = _first(box, "_a6-p", "_2let")
    when = _first(box, "_a6-o", "_2lem")
    stamp = _first(when, "_a72d") if when is not None else None
    entry = Entry(text_of(title).strip(), text_of(stamp if stamp is not None else when).strip())
    link = when.find(".//a") if when is not None else None
    if link is not None and (link.get("href") or "").startswith("http"):
        entry.permalink = link.get("href")
    entry.table = _table(box)
    if content is None or entry.table:
        return entry
    for block in content.iter():
        if isinstance(block.tag, str) and "_2pin" in _classes(block):
            text = text_of(block).strip()
            if text and not _only_a_link(block, text):  # a block holding only a photo has none
                entry.texts.append(text)
    for element in content.iter("a", "img", "video", "source"):
        target = (element.get("href") or element.get("src") or "").strip()
        if not target or target.startswith("#"):
            continue
        if re.match(r"^[a-z]+:", target, re.IGNORECASE):
            if element.tag == "a" and target not in entry.links:
                entry.links.append(target)
        elif target not in entry.media:
            entry.media.append(target)
    return entry


def entries(page: str) -> list[Entry]:
    """The entry boxes of a Meta export page; [] for any other HTML."""
    if not any(marker in page for marker in MARKERS):
        return []
    import lxml.html

    try:
        root = lxml.html.fromstring(page)
    except (ValueError, lxml.etree.ParserError):
        return []
    boxes = [e for e in root.iter("div") if _classes(e) & {"_a6-g", "_2lej"}]
    return [_entry(box) for box in boxes]


def _label(table: dict[str, str], labels: tuple[str, ...]) -> str | None:
    return next((table[label] for label in labels if label in table), None)


def shape(found: list[Entry], page: str) -> str:
    """What a page holds (see the module's docstring), or ""."""
    if any(_label(e.table, USERNAME_LABELS) for e in found):
        return "facebook-profile" if PROFILE_LINK.search(page) else "instagram-profile"
    if any(_label(e.table, COMMENT_LABELS) is not None and _label(e.table, TIME_LABELS) for e in found):
        return "instagram-comments"
    dated = [e for e in found if e.time and not e.table]
    if any(e.texts for e in dated):
        return "facebook-comments" if all(e.is_comment for e in dated if e.texts) else "facebook-posts"
    if any(POST_MEDIA.search(m) for e in dated for m in e.media):
        return "instagram-posts"
    return ""


def _time(read: ExportRead, member: str, stamp: str, what: str):  # noqa: ANN202
    """The time of an entry, or None with the entry reported (an importer never guesses a time)."""
    at = parse_time(stamp)
    if at is None:
        read.problem(member, f"{what} without a readable time ({stamp!r}) skipped")
    return at


def _author(read: ExportRead) -> str:
    return sorted(read.owner.names)[0] if read.owner.names else ""


def facebook(read: ExportRead, member: str, found: list[Entry]) -> None:
    """Posts and comments (a page may hold both: an entry is a comment when its title says so)."""
    for entry in found:
        if not entry.time or entry.table or not (entry.texts or entry.media):
            continue
        at = _time(read, member, entry.time, "an entry")
        if at is None:
            continue
        extra = {"title": entry.title} if entry.title else {}
        media = [(path, media_kind(path)) for path in entry.media]
        if entry.is_comment:
            kind = "reply" if REPLY_TITLE.search(entry.title) else "comment"
            read.add(ExportItem(kind, at, "\n".join(entry.texts), member, author=_author(read), media=media,
                                extra=extra))
            continue
        if entry.links:
            extra["links"] = " ".join(entry.links)
        read.add(ExportItem("post", at, "\n".join(entry.texts), member, author=_author(read), media=media,
                            permalink=entry.permalink, extra=extra))


def instagram_posts(read: ExportRead, member: str, found: list[Entry], seen: set) -> None:
    for entry in found:
        media = [m for m in entry.media if POST_MEDIA.search(m)]
        if not entry.time or entry.table or not media:
            continue
        at = _time(read, member, entry.time, "a post")
        if at is None:
            continue
        same = (entry.title, tuple(sorted(p.rsplit("/", 1)[-1] for p in media)))
        if same in seen:  # reels repeat posts, as in the JSON
            continue
        seen.add(same)
        read.add(ExportItem("post", at, entry.title, member, author=_author(read),
                            media=[(path, media_kind(path)) for path in media]))


def instagram_comments(read: ExportRead, member: str, found: list[Entry]) -> None:
    for entry in found:
        value = _label(entry.table, COMMENT_LABELS)
        if value is None:
            continue
        at = _time(read, member, _label(entry.table, TIME_LABELS) or "", "a comment")
        if at is None:
            continue
        owner = [v for k, v in entry.table.items() if k not in COMMENT_LABELS + TIME_LABELS and v]
        read.add(ExportItem("comment", at, value, member, author=_author(read),
                            extra={"media_owner": owner[0]} if owner else {}))


def profile(read: ExportRead, page: str, found: list[Entry]) -> None:
    for entry in found:
        username, name = _label(entry.table, USERNAME_LABELS), _label(entry.table, NAME_LABELS)
        if username:
            read.owner.handles.add(username.lower().lstrip("@"))
        if name:
            read.owner.names.add(name)
    if read.platform == "facebook":
        for match in PROFILE_LINK.finditer(page):
            if match.group(1):
                read.owner.ids.add(match.group(1))
            elif match.group(2).lower() not in ("profile.php",):
                read.owner.handles.add(match.group(2).lower())
