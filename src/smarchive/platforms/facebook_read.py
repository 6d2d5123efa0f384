"""Reading Facebook's recorded answers: the Comet GraphQL JSON of www.facebook.com and the plain-HTML views
(mbasic.facebook.com, m.facebook.com).

Generations read:
- Comet (www, 2020+): `Story` nodes (`post_id`, `creation_time`, `actors`, `message.text`, attachments) in
  timeline feed units and permalink blobs; `Comment` nodes (`legacy_fbid`, `created_time` — or, in later
  answers, `comment_action_links[].comment.created_time` —, `author`, `body.text`, `parent_feedback.share_fbid`,
  `comment_parent`) in comment lists and depth-1 reply lists. Counts: a comment's
  `feedback.replies_fields.total_count`; a post's `feedback.comment_count.total_count` (top-level comments) or
  `comment_rendering_instance.comments.total_count` / `total_comment_count` (comments and replies);
- mbasic/m. pages (2014-2022 recordings): posts from `data-ft`, comments by element id, replies on
  `/comment/replies/?ctoken=<post>_<comment>` pages; shown counts ("10 Comments", "· 2 replies"); shown times
  ("Dec 24, 2014", "Yesterday at 6:25 PM", "6 hrs", "on Fri") converted from the answer's WARC-Date, with
  their precision.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from smarchive.model import STOCKHOLM, SourceRecord
from smarchive.platforms import facebook_html
from smarchive.platforms.base import CapturedResponse, Owner, Reported
from smarchive.platforms.found import Found
from smarchive.platforms.found import Reading as FoundReading
from smarchive.platforms.jsondata import as_dict as _dict
from smarchive.platforms.jsondata import walk as _walk
from smarchive.platforms.toolkit import (
    count_of,
    epoch_of,
    json_documents,
    local_day,
    recorded_at,
    relative_time,
    response_text,
)

JSON_PREFIX = "for (;;);"
# First path segments of facebook.com URLs that are not a Page's handle.
NOT_HANDLES = {"page_content_list_view", "story.php", "story", "permalink.php", "permalink", "groups", "photo.php",
               "photo", "watch", "comment", "ufi", "profile.php", "home.php", "login", "api", "media", "l.php"}


@dataclass
class Reading(FoundReading):
    """What one answer gave (see found.Reading; item-shaped: Comment/Story nodes), and of the item-shaped nodes
    how many were read."""

    item_read: int = 0  # ... and of them, read
    basic_page: bool = False  # an mbasic/m. page (no JSON)


def read_response(response: CapturedResponse) -> Reading:
    reading = Reading()
    text = response_text(response)
    if text is None:
        return reading
    stripped = text.lstrip()
    content_type = (response.content_type or "").lower()
    if "html" in content_type or stripped.startswith("<"):
        blobs = list(_html_blobs(text))
        for blob in blobs:
            _read_document(blob, response, reading)
        if not blobs and (facebook_html.looks_like_basic_html(text) or _basic_host(response.url)):
            read_basic_page(text, response, reading)
    elif "json" in content_type or "javascript" in content_type or stripped.startswith(("{", "[", JSON_PREFIX)):
        for document in json_documents(stripped):
            _read_document(document, response, reading)
        if stripped.startswith(JSON_PREFIX) and "data-ft" in stripped:
            read_basic_page(stripped, response, reading)  # an m. "more" page: HTML inside JSON
    return reading


SCRIPT_JSON = re.compile(
    r"<script\b(?=[^>]*\btype\s*=\s*[\"']application/json[\"'])[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)


def _html_blobs(text: str) -> Iterator[object]:
    # A regex instead of an HTML parser: a blob's body is raw text up to "</script" by the HTML rules.
    for match in SCRIPT_JSON.finditer(text):
        yield from json_documents(match.group(1).strip())


def source_of(response: CapturedResponse) -> SourceRecord:
    return SourceRecord(warc_file=response.warc_file, record_id=response.record_id, offset=response.offset,
                        url=response.url)


def _str(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | str):
        return str(value)
    return ""


def handle_of(page_node: dict) -> str:
    username = _str(page_node.get("username"))
    if username:
        return username
    return handle_from_url(_str(page_node.get("url")))


def handle_from_url(url: str) -> str:
    """`orebrokommun` from https://www.facebook.com/orebrokommun/… (also under the sandbox's /facebook/)."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if parts[:1] == ["facebook"]:
        parts = parts[1:]
    first = parts[0] if parts else ""
    usable = first and first not in NOT_HANDLES and not first.endswith(".php") and not first.isdigit()
    return first if usable else ""  # a number there is a page id, not a handle


def _basic_host(url: str) -> bool:
    """mbasic./m./touch. Facebook: pages of plain HTML, even where they carry no data-ft (a replies page). A
    replies page (/comment/replies/?ctoken=) is one on any host: www has no such page (a mirror, the sandbox)."""
    host = urlsplit(url).hostname or ""
    if facebook_html.REPLIES_LINK in urlsplit(url).path and "ctoken=" in url:
        return True
    return host.endswith("facebook.com") and host.split(".", 1)[0] in ("mbasic", "m", "touch", "d", "free")


# ------------------------------------------------------------------------------------- Comet JSON


def _read_document(document: object, response: CapturedResponse, reading: Reading) -> None:
    for node in _walk(document):
        kind = node.get("__typename")
        if kind == "Comment" or (kind == "Story" and "post_id" in node and "actors" in node):
            reading.item_shaped += 1
        raw = _raw_item(node, response)
        if raw is not None:
            reading.found.append(raw)
            reading.item_read += 1
        reading.reported += _comet_counts(node, response)
        if kind == "Page" and _str(node.get("id")) and handle_of(node):
            reading.owners.append(Owner(_str(node["id"]), handle=handle_of(node), name=_str(node.get("name")),
                                        source=source_of(response)))


VIDEO_URL_FIELDS = ("playable_url", "browser_native_sd_url", "browser_native_hd_url", "playable_url_quality_hd")


def _media_urls(attachments: object, base: str) -> list[tuple[str, str]]:
    """(url, kind) of every photo, and of every video's poster image and progressive file."""
    urls: list[tuple[str, str]] = []
    for attachment in attachments if isinstance(attachments, list) else []:
        media = _dict(_dict(attachment).get("media"))
        uri = _str(_dict(media.get("image")).get("uri"))
        if uri:
            urls.append((urljoin(base, uri), "image"))
        video = next((_str(media.get(name)) for name in VIDEO_URL_FIELDS if _str(media.get(name))), "")
        if video:
            urls.append((urljoin(base, video), "video"))
    return urls


def _raw_item(node: dict, response: CapturedResponse) -> Found | None:
    kind = node.get("__typename")
    if kind == "Story":
        return _raw_post(node, response)
    if kind == "Comment":
        return _raw_comment(node, response)
    return None


def _raw_post(node: dict, response: CapturedResponse) -> Found | None:
    post_id = _str(node.get("post_id"))
    # Timeline feed units of the www site keep the time and the text in their `comet_sections` only.
    sections = node.get("comet_sections")
    epoch = epoch_of(node.get("creation_time"))
    if epoch is None:
        epoch = epoch_of(_first(sections, "creation_time"))
    actors = node.get("actors")
    actor = _dict(actors[0]) if isinstance(actors, list) and actors else {}
    if not post_id or epoch is None or not actor:
        return None
    url = _str(node.get("url")) or _str(node.get("permalink_url")) or _str(_first(sections, "url"))
    text = _str(_dict(node.get("message")).get("text")) or _str(_dict(_first(sections, "message")).get("text"))
    return Found(
        id=post_id, item_type="post", parent_id=None, post_id=post_id, author=actor, epoch=epoch,
        text=text, url=urljoin(response.url, url) if url else "",
        media=_media_urls(node.get("attachments"), response.url), response=response,
    )


def _first(value: object, key: str) -> object:
    """The first value of `key` in a JSON value, depth first (None if absent)."""
    for node in _walk(value):
        if node.get(key) is not None:
            return node[key]
    return None


def _comment_time(node: dict) -> int | None:
    """`created_time` on the comment, or (later Comet answers) on its action links' comment."""
    epoch = epoch_of(node.get("created_time"))
    links = node.get("comment_action_links")
    for link in links if epoch is None and isinstance(links, list) else []:
        epoch = epoch_of(_dict(_dict(link).get("comment")).get("created_time"))
        if epoch is not None:
            break
    return epoch


def _raw_comment(node: dict, response: CapturedResponse) -> Found | None:
    comment_id = _str(node.get("legacy_fbid"))
    url = _str(node.get("url"))
    post_id = _str(_dict(node.get("parent_feedback")).get("share_fbid")) or post_id_of_url(url)
    epoch = _comment_time(node)
    author = _dict(node.get("author"))
    if not comment_id or not post_id or epoch is None or not author:
        return None
    parent = _str(_dict(node.get("comment_parent")).get("legacy_fbid")) or \
        _str(_dict(node.get("comment_direct_parent")).get("legacy_fbid"))
    return Found(
        id=comment_id, item_type="reply" if parent else "comment", parent_id=parent or post_id, post_id=post_id,
        author=author, epoch=epoch, text=_str(_dict(node.get("body")).get("text")),
        url=urljoin(response.url, url) if url else "", media=_media_urls(node.get("attachments"), response.url),
        response=response,
    )


# Paths of a post's comment count, and whether it counts the replies too ("thread") or not ("comments").
POST_COUNTS = (
    (("feedback", "comment_count", "total_count"), "comments"),
    (("feedback", "comment_rendering_instance", "comments", "total_count"), "thread"),
    (("feedback", "total_comment_count"), "thread"),
    (("comments_count_summary_renderer", "feedback", "comment_rendering_instance", "comments", "total_count"),
     "thread"),
)


def _at(node: dict, path: tuple[str, ...]) -> object:
    value: object = node
    for key in path:
        value = _dict(value).get(key)
    return value


def _comet_counts(node: dict, response: CapturedResponse) -> list[Reported]:
    kind = node.get("__typename")
    if kind == "Comment":
        feedback = _dict(node.get("feedback"))
        total = count_of(_dict(feedback.get("replies_fields")).get("total_count"))
        if total is None:
            total = count_of(_dict(feedback.get("replies_fields")).get("count"))
        post_id = _str(_dict(node.get("parent_feedback")).get("share_fbid")) or post_id_of_url(_str(node.get("url")))
        comment_id = _str(node.get("legacy_fbid"))
        if total is None or not comment_id or not post_id:
            return []
        return [Reported("replies", total, post_id=post_id, comment_id=comment_id, source=source_of(response))]
    if kind == "Story" and _str(node.get("post_id")):
        found = []
        for path, count_kind in POST_COUNTS:
            total = count_of(_at(node, path))
            if total is not None:
                found.append(Reported(count_kind, total, post_id=_str(node["post_id"]), source=source_of(response)))
        return found
    return []


# ------------------------------------------------------------------------------------- mbasic / m. pages


def post_id_of_url(url: str) -> str:
    """The post a Facebook URL is about: /posts/<id>, story_fbid=, /photos/<album>/<id>, permalink id=, a
    replies page's ctoken=<post>_<comment>, ft_ent_identifier=."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    for name in ("story_fbid", "ft_ent_identifier", "fbid"):
        value = (query.get(name) or [""])[0]
        if value.isdigit():
            return value
    token = (query.get("ctoken") or [""])[0]
    if "_" in token:
        return token.split("_", 1)[0]
    path = [p for p in parts.path.split("/") if p]
    for marker in ("posts", "videos", "permalink"):
        if marker in path[:-1] and path[path.index(marker) + 1].isdigit():
            return path[path.index(marker) + 1]
    if "photos" in path and path[-1].isdigit():
        return path[-1]
    if "groups" in path and (query.get("view") or [""])[0] == "permalink":
        value = (query.get("id") or [""])[0]
        return value if value.isdigit() else ""
    return ""


def _album_post(url: str) -> str:
    """The post a photo belongs to, on the page of one photo of a multi-photo post (/photos/pcb.<post>/<photo>)."""
    match = re.search(r"/photos/pcb\.(\d+)/", urlsplit(url).path)
    return match.group(1) if match else ""


def story_context(url: str) -> dict[str, str]:
    """What a Facebook link's `_ft_` parameter says: top_level_post_id, page_id, content_owner_id_new, and the
    post's publish_time (inside page_insights)."""
    value = (parse_qs(urlsplit(url).query).get("_ft_") or [""])[0]
    context: dict[str, str] = {}
    for part in value.split(":"):
        key, _, item = part.partition(".")
        if key in ("top_level_post_id", "page_id", "content_owner_id_new") and item.isdigit():
            context.setdefault(key, item)
    moment = re.search(r'"publish_time":(\d+)', unquote(value))
    if moment:
        context["publish_time"] = moment.group(1)
    return context


def read_basic_page(text: str, response: CapturedResponse, reading: Reading) -> None:
    """Posts, comments, replies, shown counts and the Page of an mbasic/m. page."""
    reading.basic_page = True
    try:
        page = facebook_html.parse(text, response.url)
    except ValueError:
        return
    seen = recorded_at(response)
    context = story_context(response.url)
    main_post = context.get("top_level_post_id") or post_id_of_url(response.url)
    handle = handle_from_url(response.url)
    page_url = f"https://www.facebook.com/{handle}" if handle else ""
    album_post = _album_post(response.url)
    for post in page.posts:
        if album_post and post.id == post_id_of_url(response.url):
            continue  # one photo of a multi-photo post: not a post of its own
        if not post.page_id and post.id == main_post:
            post.page_id = context.get("page_id") or context.get("content_owner_id_new", "")
        if post.publish_time is None and post.id == main_post and context.get("publish_time"):
            post.publish_time = int(context["publish_time"])
        raw = _basic_post(post, response, seen, page_url)
        if raw is not None:
            reading.found.append(raw)
        if post.comment_count is not None:
            reading.reported.append(Reported("thread", post.comment_count, post_id=post.id,
                                             source=source_of(response)))
        if post.page_id and (post.id == main_post or not main_post):
            reading.owners.append(Owner(post.page_id, handle=handle, name=post.author, source=source_of(response)))
    main_post = main_post or (page.posts[0].id if len(page.posts) == 1 else "")
    for comment in page.comments:
        post_id = comment.post_id or main_post
        if album_post and post_id == post_id_of_url(response.url):
            post_id = album_post  # a comment on one photo of a multi-photo post is archived with the post
        if not post_id:
            continue
        reading.found.append(_basic_comment(comment, post_id, response, seen))
        if comment.reply_count is not None:
            reading.reported.append(Reported("replies", comment.reply_count, post_id=post_id, comment_id=comment.id,
                                             source=source_of(response)))


def _basic_post(post: facebook_html.HtmlPost, response: CapturedResponse, seen: datetime | None,
                page_url: str) -> Found | None:
    if post.publish_time is not None:
        epoch, precision = post.publish_time, "second"
    else:
        shown = shown_time(post.time_text, seen)
        if shown is None:
            return None
        epoch, precision = int(shown[0].timestamp()), shown[1]
    actor = {"__typename": "Page", "id": post.page_id, "name": post.author, "url": page_url}
    return Found(id=post.id, item_type="post", parent_id=None, post_id=post.id, author=actor, epoch=epoch,
                 text=post.text, url=f"{page_url}/posts/{post.id}" if page_url else
                 f"https://www.facebook.com/{post.id}", media=[], response=response, precision=precision)


def _basic_comment(comment: facebook_html.HtmlComment, post_id: str, response: CapturedResponse,
                   seen: datetime | None) -> Found:
    shown = shown_time(comment.time_text, seen)
    # Without a readable time the comment still belongs to its post (and its post's year): it is kept, with
    # the time the page was seen as the only evidence.
    moment, precision = shown if shown is not None else (seen or datetime.now(UTC), "relative")
    url = f"https://www.facebook.com/{post_id}?comment_id={comment.parent_id or comment.id}"
    if comment.parent_id:
        url += f"&reply_comment_id={comment.id}"
    author = {"name": comment.author, "url": comment.author_url}
    return Found(id=comment.id, item_type="reply" if comment.parent_id else "comment",
                 parent_id=comment.parent_id or post_id, post_id=post_id, author=author,
                 epoch=int(moment.timestamp()), text=comment.text, url=url, media=[], response=response,
                 precision=precision)


# ------------------------------------------------------------------------------------- shown times

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
CLOCK = re.compile(r"\s+at\s+(\d{1,2}):(\d{2})\s*([AP]M)?$", re.IGNORECASE)
DATE_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%b %d", "%B %d", "%d %b", "%d %B")
SHORT_UNITS = {"mths": "months", "mth": "month", "mos": "months"}


def shown_time(text: str, seen: datetime | None) -> tuple[datetime, str] | None:
    """A time as an mbasic/m. page shows it, as a moment (UTC) and Item.time_precision: "minute" for a date
    with a clock time, "day" for a date alone, "relative" for times counted back from when the page was seen
    ("6 hrs", "Yesterday at 6:25 PM", "on Fri"). Shown clock times are read in Swedish time, the archive's
    convention; a date without a year is the latest such date not after the page was seen."""
    text = " ".join((text or "").split())
    if not text:
        return None
    local_seen = seen.astimezone(STOCKHOLM) if seen else None
    clock = CLOCK.search(text)
    day_text = text[: clock.start()] if clock else text
    day = _shown_day(day_text, local_seen)
    if day is not None:
        return _placed(day[0], clock, day[1])
    if seen is None:
        return None
    words = " ".join(SHORT_UNITS.get(word.lower(), word) for word in text.split())
    estimate = relative_time(words, seen)
    return (estimate.at.astimezone(UTC), "relative") if estimate else None


def _shown_day(text: str, local_seen: datetime | None) -> tuple[date, bool] | None:
    """(the day, whether it was counted from when the page was seen) of "Dec 24, 2014", "Yesterday", "on Fri"."""
    lowered = text.lower().removeprefix("on ").removeprefix("last ").strip()
    if local_seen is not None and lowered in ("yesterday", "igår", "i går", "today", "idag", "i dag"):
        back = 1 if lowered in ("yesterday", "igår", "i går") else 0
        return local_seen.date() - timedelta(days=back), True
    if local_seen is not None and lowered[:3] in WEEKDAYS and lowered.isalpha():
        back = (local_seen.weekday() - WEEKDAYS[lowered[:3]]) % 7 or 7
        return local_seen.date() - timedelta(days=back), True
    for layout in DATE_FORMATS:
        try:
            parsed = datetime.strptime(text.strip(), layout)
        except ValueError:
            continue
        if "%Y" in layout:
            return parsed.date(), False
        if local_seen is None:
            return None
        guess = parsed.replace(year=local_seen.year).date()
        return (guess if guess <= local_seen.date() else guess.replace(year=local_seen.year - 1)), False
    return None


def _placed(day: date, clock: re.Match | None, relative: bool) -> tuple[datetime, str]:
    if clock is None:
        return local_day(day).at.astimezone(UTC), "relative" if relative else "day"
    hour, minute = int(clock.group(1)), int(clock.group(2))
    if clock.group(3):
        hour = hour % 12 + (12 if clock.group(3).upper() == "PM" else 0)
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=STOCKHOLM)
    return moment.astimezone(UTC), "relative" if relative else "minute"
