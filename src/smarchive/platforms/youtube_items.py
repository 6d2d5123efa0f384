"""YouTube extraction: from every recorded answer's readings to the account's items of a year, the counts YouTube
showed for them (comment header, each thread's replies, the channel's videos), the channel's identity, and notes
for answers that carried nothing this understands.

Ownership is decided on the channel id (UC…) or the @handle, never on the display name: the account's platform_id,
a /channel/UC… or /@handle in its URL, or its handle, resolved to the channel id through any answer that names both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from smarchive.model import Account, CapturedResponse, Item, MediaRef, SourceRecord, year_of
from smarchive.platforms.base import Extraction, Owner, Reported
from smarchive.platforms.jsondata import as_dict
from smarchive.platforms.toolkit import recorded_at as warc_date
from smarchive.platforms.toolkit import relative_time
from smarchive.platforms.youtube_read import (
    Channel,
    CommentInfo,
    VideoInfo,
    channel_id_of,
    channel_video_count,
    comment_header_count,
    continuation_tokens,
    documents,
    handle_of,
    read_channels,
    read_comments,
    read_feed,
    read_grid,
    read_player,
    read_threads,
    read_watch_next,
    shown_count,
)


@dataclass
class Seen:
    """Everything the recorded answers of one account said, before deciding what is the account's."""

    videos: dict[str, VideoInfo] = field(default_factory=dict)
    comments: dict[str, CommentInfo] = field(default_factory=dict)
    channels: list[tuple[Channel, CapturedResponse]] = field(default_factory=list)
    headers: dict[str, tuple[int, bool, CapturedResponse]] = field(default_factory=dict)  # video id -> count
    video_counts: dict[str, tuple[int, CapturedResponse]] = field(default_factory=dict)  # channel id -> videos
    # continuation token -> the video whose answer offered it: a comment or reply page that names no video (or
    # whose link to it was renamed) belongs to the video of the token it was asked with.
    tokens: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def extract_youtube(recorded: list[CapturedResponse], account: Account, year: int,
                    item_patterns: list[re.Pattern]) -> Extraction:
    seen = Seen()
    for response in recorded:
        understood = _read_response(response, seen)
        if not understood and response.status == 200 and any(p.search(response.url) for p in item_patterns) \
                and not _unparseable_json(response):
            seen.notes.append(f"youtube: an answer of an item pattern yielded nothing: {response.url} "
                              f"(record {response.record_id}); shape: {_shape(response)}")
    ids, handle = _identity(account, seen.channels)
    if not ids and not handle:
        seen.notes.append(f"youtube account {account.id}: its channel is not known; add platform_id = \"UC…\" or "
                          f"handle = \"…\" to its entry in the register (accounts.toml)")
    own = {vid: v for vid, v in seen.videos.items() if _is_account_video(v, ids, handle)}
    kept = {vid: v for vid, v in own.items() if v.epoch is not None and year_of(v.epoch) == year}
    complete = {r.url for r in recorded if r.status == 200}
    items = [_post_item(v, account, complete) for v in kept.values()]
    _fill_video_ids(seen.comments)
    for comment in seen.comments.values():
        video = kept.get(comment.video_id)
        if video is not None:
            items.append(_comment_item(comment, video, account))
        elif not comment.video_id:
            seen.notes.append(f"youtube: comment {comment.comment_id} names no video it belongs to "
                              f"({_where(comment.response)}); left out")
        elif comment.video_id not in seen.videos:
            seen.notes.append(f"youtube: comment {comment.comment_id} of video {comment.video_id}, whose watch page "
                              f"or player answer was not recorded ({_where(comment.response)}); left out")
    reported = _reported(seen, kept, ids)
    owners = _owners(seen.channels, ids)
    return Extraction(items, reported=reported, owners=owners, notes=seen.notes)


# ------------------------------------------------------------------------------------------------ reading


def _read_response(response: CapturedResponse, seen: Seen) -> bool:
    """Read one answer into `seen`; True if anything in it was understood."""
    understood = False
    if "xml" in (response.content_type or "").lower() or response.body[:200].lstrip().startswith(b"<?xml"):
        channel, videos = read_feed(response.body)
        if channel is not None:
            seen.channels.append((channel, response))
        for video in videos:
            _keep_video(video, response, seen)
        understood = channel is not None or bool(videos)
    hint = seen.tokens.get(_asked_continuation(response), "")
    for doc in documents(response):
        understood = _read_document(doc, response, seen, hint) or understood
    return understood


def _asked_continuation(response: CapturedResponse) -> str:
    """The continuation token a POST youtubei/v1 request asked for ("" if none)."""
    if not response.request_body.lstrip().startswith(b"{"):
        return ""
    try:
        body = json.loads(response.request_body)
    except (ValueError, RecursionError):
        return ""
    return body.get("continuation", "") if isinstance(body, dict) and isinstance(
        body.get("continuation"), str) else ""


def _read_document(doc: dict, response: CapturedResponse, seen: Seen, hint: str) -> bool:
    channels = read_channels(doc)
    seen.channels += [(c, response) for c in channels]
    found = [v for v in (read_player(doc), read_watch_next(doc)) if v is not None]
    for video in found:
        _keep_video(video, response, seen)
    comments = read_comments(doc)
    video_ids = {v.video_id for v in found} or {c.video_id for c in comments if c.video_id} or {hint} - {""}
    if len(video_ids) == 1:
        (video_id,) = video_ids
        seen.tokens.update(dict.fromkeys(continuation_tokens(doc), video_id))
    for comment in comments:
        comment.response = response
        comment.video_id = comment.video_id or (hint if hint in video_ids else "")
        known = seen.comments.get(comment.comment_id)
        if known is None or len(comment.text) > len(known.text) or (comment.video_id and not known.video_id):
            seen.comments[comment.comment_id] = comment
    threads = read_threads(doc)
    unread = [t.comment_id or "?" for t in threads if t.comment_id not in {c.comment_id for c in comments}]
    if unread:
        seen.notes.append(f"youtube: {len(unread)} comment threads whose comment could not be read "
                          f"({_where(response)}); shape: {_shape_of(doc)}")
    header = _read_counts(doc, response, seen, video_ids, channels)
    return bool(channels or found or comments or threads or header or read_grid(doc))


def _read_counts(doc: dict, response: CapturedResponse, seen: Seen, video_ids: set[str],
                 channels: list[Channel]) -> bool:
    """Record the comment header and channel video counts of a document; True if it showed a comment header."""
    header = comment_header_count(doc)
    if header and len(video_ids) == 1:
        (video_id,) = video_ids
        known = seen.headers.get(video_id)
        if known is None or (header[1] and not known[1]):  # an exact count wins over a rounded one
            seen.headers[video_id] = (*header, response)
    count = channel_video_count(doc)
    page_channel = as_dict(as_dict(doc.get("metadata")).get("channelMetadataRenderer")).get("externalId")
    if count is not None and channels and page_channel:
        seen.video_counts[page_channel] = (count, response)
    return header is not None


def _keep_video(video: VideoInfo, response: CapturedResponse, seen: Seen) -> None:
    """Merge readings of one video: an exact time (player, feed) wins over a day (watch page's dateText); media
    URLs of every load are candidates."""
    video.response = response
    if video.epoch is None and video.relative_text:  # "Premiered 17 hours ago": counted from the WARC-Date
        moment = warc_date(response)
        estimate = relative_time(video.relative_text, moment) if moment else None
        video.epoch = int(estimate.at.timestamp()) if estimate else None
    known = seen.videos.get(video.video_id)
    if known is None:
        seen.videos[video.video_id] = video
        return
    better, other = (video, known) if _rank(video) > _rank(known) else (known, video)
    better.progressive_urls += [u for u in other.progressive_urls if u not in better.progressive_urls]
    better.thumbnail_urls += [u for u in other.thumbnail_urls if u not in better.thumbnail_urls]
    for name in ("description", "channel_id", "author", "owner_url", "title"):
        if not getattr(better, name):
            setattr(better, name, getattr(other, name))
    seen.videos[video.video_id] = better


def _rank(video: VideoInfo) -> tuple[bool, bool, bool]:
    return video.epoch is not None, video.precision == "second", bool(video.playability)


def _fill_video_ids(comments: dict[str, CommentInfo]) -> None:
    """A reply whose answer names no video belongs to its comment's video."""
    for comment in comments.values():
        if not comment.video_id and comment.reply_level:
            parent = comments.get(comment.parent_id)
            if parent is not None:
                comment.video_id = parent.video_id


# ------------------------------------------------------------------------------------------------ identity


def _identity(account: Account, channels: list[tuple[Channel, CapturedResponse]]) -> tuple[set[str], str]:
    """The account's channel ids and handle: from the register, its URL, and answers naming handle and id."""
    handle = (account.handle or handle_of(account.url)).lstrip("@").lower()
    ids = {account.platform_id, channel_id_of(account.url)} - {""}
    if handle:
        ids |= {c.channel_id for c, _ in channels if c.handle.lower() == handle}
    path = urlsplit(account.url).path.lower().rstrip("/") + "/"  # a /c/Name or /user/Name URL names its channel
    ids |= {c.channel_id for c, _ in channels if c.vanity_path and path.startswith(c.vanity_path.lower() + "/")}
    return ids, handle


def _is_account_video(video: VideoInfo, ids: set[str], handle: str) -> bool:
    if video.channel_id and video.channel_id in ids:
        return True
    return bool(handle) and handle_of(video.owner_url).lower() == handle


def _owners(channels: list[tuple[Channel, CapturedResponse]], ids: set[str]) -> list[Owner]:
    found: dict[str, Owner] = {}
    for channel, response in channels:
        if channel.channel_id in ids and channel.channel_id not in found:
            found[channel.channel_id] = Owner(channel.channel_id, channel.handle, channel.name, _source(response))
    return list(found.values())


# ------------------------------------------------------------------------------------------------ counts


def _reported(seen: Seen, kept: dict[str, VideoInfo], ids: set[str]) -> list[Reported]:
    reported = []
    for video_id in kept:
        if video_id in seen.headers:
            count, exact, response = seen.headers[video_id]
            reported.append(Reported("thread", count, post_id=video_id, source=_source(response),
                                     note="" if exact else "rounded by the platform"))
    for comment in seen.comments.values():
        replies = shown_count(comment.reply_count) if comment.reply_count else None
        if comment.video_id in kept and not comment.reply_level and replies and replies[0] > 0:
            reported.append(Reported("replies", replies[0], post_id=comment.video_id, comment_id=comment.comment_id,
                                     source=_source(comment.response),
                                     note="" if replies[1] else "rounded by the platform"))
    for channel_id, (count, response) in seen.video_counts.items():
        if channel_id in ids:
            reported.append(Reported("posts", count, source=_source(response),
                                     note="the channel's videos of all years"))
    return reported


# ------------------------------------------------------------------------------------------------ items


def _source(response: CapturedResponse | None) -> SourceRecord:
    if response is None:
        return SourceRecord()
    return SourceRecord(warc_file=response.warc_file, record_id=response.record_id, offset=response.offset,
                        url=response.url)


def _site_root(url: str) -> str:
    """Scheme, host and any prefix before YouTube's own paths (the sandbox serves under /youtube)."""
    parts = urlsplit(url)
    path = parts.path
    for marker in ("/watch", "/youtubei/", "/@", "/channel/", "/feeds/"):
        if marker in path:
            path = path[: path.index(marker)]
            break
    return f"{parts.scheme}://{parts.netloc}{path}"


def _watch_url(video: VideoInfo) -> str:
    base = video.response.url if video.response else "https://www.youtube.com/"
    return f"{_site_root(base)}/watch?v={video.video_id}"


def _choose(urls: list[str], complete: set[str]) -> str:
    """The URL whose full (200) answer the WARC holds; else the first offered."""
    return next((u for u in urls if u in complete), urls[0] if urls else "")


def _post_item(video: VideoInfo, account: Account, complete: set[str]) -> Item:
    media = []
    film = _choose(video.progressive_urls, complete)
    if film:
        media.append(MediaRef(url=film, kind="video"))
    thumbnail = _choose(video.thumbnail_urls, complete)
    if thumbnail:
        media.append(MediaRef(url=thumbnail, kind="image"))
    return Item(
        id=video.video_id, parent_id=None, platform="youtube", account=account.id, item_type="post",
        author=video.author, author_is_account=True,
        published_at=datetime.fromtimestamp(video.epoch or 0, UTC), text=video.text, permalink=_watch_url(video),
        media=media, source=_source(video.response), post_id=video.video_id, time_precision=video.precision,
    )


def comment_estimate(comment: CommentInfo) -> tuple[datetime, str]:
    """When a comment was written and how precisely: exact (the sandbox's publishedAt), or "relative" ("för 2 år
    sedan", counted from the answer's WARC-Date)."""
    if comment.published_at:
        try:
            moment = datetime.fromisoformat(comment.published_at.replace("Z", "+00:00"))
            return (moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)), "second"
        except ValueError:
            pass
    seen = recorded_at(comment.response)
    estimate = relative_time(comment.published_text, seen)
    return (estimate.at.astimezone(UTC) if estimate else seen), "relative"


def comment_time(comment: CommentInfo) -> datetime:
    return comment_estimate(comment)[0]


def recorded_at(response: CapturedResponse | None) -> datetime:
    """The WARC-Date of the response (when the platform said "2 år sedan"); now if it is unknown."""
    moment = warc_date(response) if response is not None else None
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _comment_item(comment: CommentInfo, video: VideoInfo, account: Account) -> Item:
    own = comment.is_creator or (bool(video.channel_id) and comment.author_channel_id == video.channel_id)
    permalink = urljoin(_watch_url(video), comment.url) if comment.url else \
        f"{_watch_url(video)}&lc={comment.comment_id}"
    when, precision = comment_estimate(comment)
    extra = {name: value for name, value in (("likes", comment.likes), ("replies", comment.reply_count),
                                             ("pinned", "yes" if comment.pinned else ""),
                                             ("hearted", "yes" if comment.hearted else "")) if value}
    return Item(
        id=comment.comment_id, parent_id=comment.parent_id, platform="youtube", account=account.id,
        item_type="reply" if comment.reply_level else "comment", author=comment.author, author_is_account=own,
        published_at=when, text=comment.text, permalink=permalink, source=_source(comment.response),
        post_id=video.video_id, extra=extra, time_precision=precision,
    )


# ------------------------------------------------------------------------------------------------ notes


def _unparseable_json(response: CapturedResponse) -> bool:
    """A JSON answer that does not parse (cut short, malformed): the pipeline's unreadable-answer check names it
    (and it is usually fetched again), so it is no shape change to warn about here."""
    head = response.body[:64].lstrip()
    looks_json = "json" in (response.content_type or "").lower() or head[:1] in (b"{", b"[") or head.startswith(b")]}")
    return looks_json and not any(True for _ in documents(response))


def _where(response: CapturedResponse | None) -> str:
    return f"{response.url}, record {response.record_id}" if response is not None else "unknown answer"


def _shape(response: CapturedResponse) -> str:
    docs = list(documents(response))
    return _shape_of(docs[0]) if docs else f"{response.content_type or 'no content type'}, {len(response.body)} bytes"


def _shape_of(doc: object, prefix: str = "", depth: int = 0) -> str:
    """The key paths of a document, two levels deep, for a warning: enough to see what changed."""
    paths: list[str] = []
    for key, value in list(as_dict(doc).items())[:12]:
        path = f"{prefix}.{key}" if prefix else key
        inner = _shape_of(value, path, depth + 1) if isinstance(value, dict) and depth < 1 else ""
        paths.append(inner or path)
    return ", ".join(paths)
