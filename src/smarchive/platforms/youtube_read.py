"""Reading what YouTube sends: InnerTube JSON (pages' embedded objects, youtubei/v1 answers, `?pbj=1` arrays) and
the channel's RSS feed, into plain records the adapter turns into items.

Generations read:
- videos: the player response (`videoDetails` + `microformat`, exact publish time or a bare date), the watch page's
  `/next` answer (`videoPrimaryInfoRenderer.dateText`, a date only, owner in `videoSecondaryInfoRenderer`), and the
  channel RSS feed (`feeds/videos.xml?channel_id=UC…`, Atom with exact times);
- comments: the 2024+ entity model (`commentThreadRenderer > commentViewModel`, content in
  `frameworkUpdates.entityBatchUpdate.mutations[].payload.commentEntityPayload`) and the older `commentRenderer`
  (video id at `publishedTimeText.runs[0].navigationEndpoint.watchEndpoint.videoId` among others);
- the Videos tab: `richItemRenderer > lockupViewModel` (2024+) and `gridVideoRenderer` / `videoRenderer`;
- counts: the comment header ("21,051 Comments", or the rounded "21k"), each thread's `replyCount`, the channel's
  "258 videos".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from smarchive.model import CapturedResponse
from smarchive.platforms.jsondata import as_dict as _dict
from smarchive.platforms.jsondata import walk as _walk
from smarchive.platforms.toolkit import Estimate, json_documents, local_day, response_text, titled_text

DAY = 86_400
UNITS = {  # relative-time words, Swedish and English, to seconds (for the capture's age windows)
    "sekund": 1, "sekunder": 1, "second": 1, "seconds": 1,
    "minut": 60, "minuter": 60, "minute": 60, "minutes": 60,
    "timme": 3600, "timmar": 3600, "hour": 3600, "hours": 3600,
    "dag": DAY, "dagar": DAY, "day": DAY, "days": DAY,
    "vecka": 7 * DAY, "veckor": 7 * DAY, "week": 7 * DAY, "weeks": 7 * DAY,
    "månad": 30 * DAY, "månader": 30 * DAY, "month": 30 * DAY, "months": 30 * DAY,
    "år": 365 * DAY, "year": 365 * DAY, "years": 365 * DAY,
}
RELATIVE = re.compile(r"(\d+)\s+([a-zåäö]+)", re.IGNORECASE)


# ------------------------------------------------------------------------------------------------ records


@dataclass
class VideoInfo:
    """What a player response, a watch page's /next answer or a feed entry says about a video."""

    video_id: str
    title: str = ""
    description: str = ""
    channel_id: str = ""
    author: str = ""
    owner_url: str = ""
    publish_date: str = ""
    epoch: int | None = None
    precision: str = "second"  # "second" (an exact time), "day" (a date only), "relative" ("17 hours ago")
    relative_text: str = ""  # a watch page's dateText when it is relative ("Premiered 17 hours ago")
    playability: str = ""
    reason: str = ""
    progressive_urls: list[str] = field(default_factory=list)
    thumbnail_urls: list[str] = field(default_factory=list)
    content_length: int = 0
    response: CapturedResponse | None = None

    @property
    def text(self) -> str:
        return titled_text(self.title, self.description)


@dataclass
class CommentInfo:
    """A comment or reply as one `next` answer (or a page) shows it."""

    comment_id: str
    text: str
    author: str
    author_channel_id: str
    is_creator: bool
    published_text: str  # relative, as shown
    published_at: str = ""  # exact, when the source has it
    reply_level: int = 0
    video_id: str = ""
    url: str = ""
    likes: str = ""
    reply_count: str = ""
    hearted: bool = False
    pinned: bool = False
    response: CapturedResponse | None = None

    @property
    def parent_id(self) -> str:
        return self.comment_id.split(".", 1)[0] if self.reply_level else self.video_id


@dataclass
class GridVideo:
    """A video tile of a channel tab or a browse continuation."""

    video_id: str
    title: str
    published_text: str


@dataclass
class ThreadInfo:
    """A comment thread's frame: its replies button ("3 svar") and whether the channel answered in it."""

    comment_id: str
    replies_text: str
    creator_replied: bool
    pinned: bool
    reply_tokens: list[str]


@dataclass
class Channel:
    """A channel as an answer names it: the owner of a page, a video or a feed."""

    channel_id: str
    handle: str = ""
    name: str = ""
    vanity_path: str = ""  # "/c/ProgrammingKnowledge", "/user/YouTube": the older custom URLs


# ------------------------------------------------------------------------------------------------ documents


EMBEDDED = re.compile(r"(?:var\s+|window\[[\"'])(ytInitialPlayerResponse|ytInitialData)(?:[\"']\])?\s*=\s*")


def embedded_json(html_text: str) -> dict[str, list[dict]]:
    """The JSON objects a page assigns to ytInitialPlayerResponse / ytInitialData, by name."""
    decoder = json.JSONDecoder()
    found: dict[str, list[dict]] = {}
    for match in EMBEDDED.finditer(html_text):
        try:
            value, _ = decoder.raw_decode(html_text, match.end())
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(value, dict):
            found.setdefault(match.group(1), []).append(value)
    return found


def documents(response: CapturedResponse) -> Iterator[dict]:
    """Every InnerTube document in a response: a page's embedded objects, a JSON body, or the parts of a JSON array
    body (`?pbj=1`: [playerResponse, {…}, ytInitialData], or [{page, playerResponse, response}])."""
    text = response_text(response)
    if text is None:
        return
    stripped = text.lstrip()
    if "html" in (response.content_type or "").lower() or stripped.startswith("<"):
        for docs in embedded_json(text).values():
            yield from docs
        return
    for value in json_documents(text):
        for part in value if isinstance(value, list) else [value]:
            if not isinstance(part, dict):
                continue
            yield part
            for key in ("playerResponse", "response"):  # the pbj envelope names its parts
                if isinstance(part.get(key), dict):
                    yield part[key]


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _str(value: object) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int) and not isinstance(
        value, bool) else ""


def _text(value: object) -> str:
    """InnerTube text: {"simpleText"}, {"runs": [{"text"}]} or {"content"}."""
    node = _dict(value)
    if isinstance(node.get("simpleText"), str):
        return node["simpleText"]
    if isinstance(node.get("content"), str):
        return node["content"]
    return "".join(_str(_dict(run).get("text")) for run in _list(node.get("runs")))


def handle_of(url: str) -> str:
    """"orebrokommun" of ".../@orebrokommun/videos"; "" if the URL names no handle."""
    match = re.search(r"/@([^/?#]+)", url)
    return match.group(1) if match else ""


def channel_id_of(url: str) -> str:
    """"UC…" of ".../channel/UC…" or "...feeds/videos.xml?channel_id=UC…"; "" if the URL names none."""
    match = re.search(r"(?:/channel/|channel_id=)(UC[\w-]{22})", url)
    return match.group(1) if match else ""


# ------------------------------------------------------------------------------------------------ videos


def read_player(doc: object) -> VideoInfo | None:
    """A player response (ytInitialPlayerResponse or /player) as a VideoInfo; None if it is none."""
    doc = _dict(doc)
    details = _dict(doc.get("videoDetails"))
    status = _dict(doc.get("playabilityStatus"))
    video_id = _str(details.get("videoId"))
    if not video_id or not (status or details.get("title")):
        return None
    micro = _dict(_dict(doc.get("microformat")).get("playerMicroformatRenderer"))
    streaming = _dict(doc.get("streamingData"))
    progressive = [f for f in map(_dict, _list(streaming.get("formats"))) if _str(f.get("url"))]
    thumbs = _list(_dict(details.get("thumbnail")).get("thumbnails")) or _list(
        _dict(micro.get("thumbnail")).get("thumbnails"))
    publish = _str(micro.get("publishDate")) or _str(micro.get("uploadDate"))
    moment = publish_time(publish)
    length = _str(progressive[0].get("contentLength")) if progressive else ""
    return VideoInfo(
        video_id=video_id,
        title=_str(details.get("title")) or _text(micro.get("title")),
        description=_str(details.get("shortDescription")) or _text(micro.get("description")),
        channel_id=_str(details.get("channelId")) or _str(micro.get("externalChannelId")),
        author=_str(details.get("author")) or _str(micro.get("ownerChannelName")),
        owner_url=_str(micro.get("ownerProfileUrl")),
        publish_date=publish,
        epoch=int(moment.at.timestamp()) if moment else None,
        precision="day" if moment and moment.precision == "day" else "second",
        playability=_str(status.get("status")),
        reason=_str(status.get("reason")) or _text(_dict(_dict(status.get("errorScreen")).get(
            "playerErrorMessageRenderer")).get("reason")),
        progressive_urls=[_str(f.get("url")) for f in progressive],
        thumbnail_urls=[_str(_dict(t).get("url")) for t in thumbs if _str(_dict(t).get("url"))],
        content_length=int(length) if length.isdigit() else 0,
    )


def publish_time(value: str) -> Estimate | None:
    """publishDate: "2024-01-01T00:12:00-08:00" (exact) or "2019-12-05" (a day, placed by the Swedish calendar)."""
    if not value:
        return None
    try:
        if "T" in value:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return Estimate(moment if moment.tzinfo else moment.replace(tzinfo=UTC), "exact")
        return local_day(date.fromisoformat(value))
    except ValueError:
        return None


MONTHS = {  # English and Swedish month names and abbreviations (dateText of a watch page)
    **{name: number for number, name in enumerate(
        "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)},
    **{name: number for number, name in enumerate(
        "januari februari mars april maj juni juli augusti september oktober november december".split(), start=1)},
    **{name: number for number, name in enumerate(
        "january february march april may june july august september october november december".split(), start=1)},
    "okt": 10, "sept": 9, "maj": 5,
}
DAY_FIRST = re.compile(r"(\d{1,2})\s+([a-zåäö]+)\.?\s+(\d{4})", re.IGNORECASE)  # "12 Oct 2021", "12 okt. 2021"
MONTH_FIRST = re.compile(r"([a-zåäö]+)\.?\s+(\d{1,2}),\s+(\d{4})", re.IGNORECASE)  # "Oct 12, 2021"
ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def shown_date(text: str) -> date | None:
    """The calendar day a watch page's dateText shows ("Premiered 12 Oct 2021", "Oct 12, 2021", "12 okt. 2021")."""
    for pattern, order in ((ISO_DAY, "ymd"), (DAY_FIRST, "dmy"), (MONTH_FIRST, "mdy")):
        match = pattern.search(text or "")
        if not match:
            continue
        parts = dict(zip(order, match.groups(), strict=True))
        month = int(parts["m"]) if parts["m"].isdigit() else MONTHS.get(parts["m"].lower())
        try:
            return date(int(parts["y"]), month, int(parts["d"])) if month else None
        except ValueError:
            return None
    return None


def read_watch_next(doc: object) -> VideoInfo | None:
    """The video of a watch page's ytInitialData or its /next answer: title, owner and the day it shows
    (dateText, a date only: "day" precision). None if the document is not a watch page's."""
    doc = _dict(doc)
    video_id = _str(_dict(_dict(doc.get("currentVideoEndpoint")).get("watchEndpoint")).get("videoId"))
    primary = secondary = {}
    for node in _walk(doc.get("contents")):
        primary = primary or _dict(node.get("videoPrimaryInfoRenderer"))
        secondary = secondary or _dict(node.get("videoSecondaryInfoRenderer"))
    if not video_id or not primary:
        return None
    owner = _dict(_dict(secondary.get("owner")).get("videoOwnerRenderer"))
    browse = _dict(_dict(owner.get("navigationEndpoint")).get("browseEndpoint"))
    day = shown_date(_text(primary.get("dateText")))
    description = _text(secondary.get("attributedDescription")) or _text(secondary.get("description"))
    return VideoInfo(
        video_id=video_id, title=_text(primary.get("title")), description=description,
        channel_id=_str(browse.get("browseId")), author=_text(owner.get("title")),
        owner_url=_str(browse.get("canonicalBaseUrl")), publish_date=day.isoformat() if day else "",
        epoch=int(local_day(day).at.timestamp()) if day else None, precision="day" if day else "relative",
        relative_text="" if day else _text(primary.get("dateText")) or _text(primary.get("relativeDateText")),
    )


ATOM = {"a": "http://www.w3.org/2005/Atom", "yt": "http://www.youtube.com/xml/schemas/2015",
        "media": "http://search.yahoo.com/mrss/"}


def read_feed(body: bytes) -> tuple[Channel | None, list[VideoInfo]]:
    """The channel RSS feed (feeds/videos.xml?channel_id=UC…, Atom): its channel and its entries (exact times).
    (None, []) for anything else."""
    if b"<feed" not in body[:2000]:
        return None, []
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None, []
    if root.tag != f"{{{ATOM['a']}}}feed":
        return None, []
    channel_id = root.findtext("yt:channelId", "", ATOM).strip()
    channel_id = channel_id if channel_id.startswith("UC") else f"UC{channel_id}" if channel_id else ""
    name = root.findtext("a:author/a:name", "", ATOM).strip() or root.findtext("a:title", "", ATOM).strip()
    channel = Channel(channel_id, handle_of(root.findtext("a:author/a:uri", "", ATOM)), name) if channel_id else None
    videos = [v for v in map(lambda e: _feed_entry(e, channel), root.findall("a:entry", ATOM)) if v]
    return channel, videos


def _feed_entry(entry: etree._Element, channel: Channel | None) -> VideoInfo | None:
    video_id = entry.findtext("yt:videoId", "", ATOM).strip()
    if not video_id:
        return None
    moment = publish_time(entry.findtext("a:published", "", ATOM).strip())
    thumbnail = entry.find("media:group/media:thumbnail", ATOM)
    return VideoInfo(
        video_id=video_id, title=entry.findtext("a:title", "", ATOM).strip(),
        description=entry.findtext("media:group/media:description", "", ATOM).strip(),
        channel_id=entry.findtext("yt:channelId", "", ATOM).strip() or (channel.channel_id if channel else ""),
        author=entry.findtext("a:author/a:name", "", ATOM).strip(),
        owner_url=entry.findtext("a:author/a:uri", "", ATOM).strip(),
        publish_date=entry.findtext("a:published", "", ATOM).strip(),
        epoch=int(moment.at.timestamp()) if moment else None,
        thumbnail_urls=[thumbnail.get("url")] if thumbnail is not None and thumbnail.get("url") else [],
    )


def playability_problem(video: VideoInfo | None) -> str | None:
    """Why a video cannot be watched (LOGIN_REQUIRED, ERROR, UNPLAYABLE...), or None if it can."""
    if video is None or video.playability in ("", "OK"):
        return None
    return f"{video.playability}: {video.reason}" if video.reason else video.playability


# ------------------------------------------------------------------------------------------------ comments


def read_comments(doc: object) -> list[CommentInfo]:
    """Comments and replies of one document: entity payloads (2024+) and older commentRenderers."""
    doc = _dict(doc)
    mutations = _list(_dict(_dict(doc.get("frameworkUpdates")).get("entityBatchUpdate")).get("mutations"))
    payloads: dict[str, dict] = {}
    for mutation in map(_dict, mutations):
        for kind, payload in _dict(mutation.get("payload")).items():
            payloads.setdefault(kind, {})[_str(mutation.get("entityKey")) or _str(_dict(payload).get("key"))] = \
                _dict(payload)
    surfaces = _surface_urls(payloads.get("commentSurfaceEntityPayload", {}))
    hearts = {key for key, p in payloads.get("engagementToolbarStateEntityPayload", {}).items()
              if p.get("heartState") == "TOOLBAR_HEART_STATE_HEARTED"}
    views = {(_str(v.get("commentKey"))): v for v in _comment_views(doc)}
    found = []
    for key, payload in payloads.get("commentEntityPayload", {}).items():
        comment = _entity_comment(payload, surfaces)
        if comment is None:
            continue
        view = views.get(key, {})
        comment.hearted = _str(view.get("toolbarStateKey")) in hearts or _str(
            _dict(payload.get("properties")).get("toolbarStateKey")) in hearts
        comment.pinned = bool(view.get("pinnedText"))
        found.append(comment)
    found += [c for c in map(_legacy_comment, _walk(doc)) if c is not None]
    return found


def _comment_views(doc: dict) -> Iterator[dict]:
    for node in _walk(doc):
        view = _dict(_dict(node.get("commentViewModel")).get("commentViewModel"))
        if view:
            yield view


def _surface_urls(surfaces: dict[str, dict]) -> dict[str, tuple[str, str]]:
    """comment id -> (video id, url) from each comment's "published time" link (watch?v=...&lc=...)."""
    found = {}
    for surface in surfaces.values():
        url = _str(_dict(_dict(_dict(_dict(surface.get("publishedTimeCommand")).get("innertubeCommand")).get(
            "commandMetadata")).get("webCommandMetadata")).get("url"))
        query = parse_qs(urlsplit(url).query)
        if query.get("v") and query.get("lc"):
            found[query["lc"][0]] = (query["v"][0], url)
    return found


def _entity_comment(payload: dict, surfaces: dict[str, tuple[str, str]]) -> CommentInfo | None:
    props = _dict(payload.get("properties"))
    author = _dict(payload.get("author"))
    comment_id = _str(props.get("commentId"))
    if not comment_id:
        return None
    toolbar = _dict(payload.get("toolbar"))
    video_id, url = surfaces.get(comment_id, ("", ""))
    level = props.get("replyLevel")
    return CommentInfo(
        comment_id=comment_id, text=_text(props.get("content")), author=_str(author.get("displayName")),
        author_channel_id=_str(author.get("channelId")), is_creator=author.get("isCreator") is True,
        published_text=_str(props.get("publishedTime")), published_at=_str(props.get("publishedAt")),
        reply_level=level if isinstance(level, int) and not isinstance(level, bool) else int("." in comment_id),
        video_id=video_id, url=url, likes=_str(toolbar.get("likeCountNotliked")),
        reply_count=_str(toolbar.get("replyCount")),
    )


def _legacy_comment(node: dict) -> CommentInfo | None:
    """The pre-2024 shape: {"commentRenderer": {commentId, contentText, authorText, publishedTimeText...}}."""
    renderer = _dict(node.get("commentRenderer"))
    comment_id = _str(renderer.get("commentId"))
    if not comment_id:
        return None
    endpoint = _dict(_dict(renderer.get("authorEndpoint")).get("browseEndpoint"))
    video_id, url = _legacy_video(renderer)
    return CommentInfo(
        comment_id=comment_id, text=_text(renderer.get("contentText")), author=_text(renderer.get("authorText")),
        author_channel_id=_str(endpoint.get("browseId")), is_creator=renderer.get("authorIsChannelOwner") is True,
        published_text=_text(renderer.get("publishedTimeText")), reply_level=int("." in comment_id),
        published_at=_str(renderer.get("publishedAt")),  # the sandbox's exact time; the real site has none
        video_id=video_id, url=url, likes=_text(renderer.get("voteCount")),
        reply_count=_str(renderer.get("replyCount")), pinned=bool(renderer.get("pinnedCommentBadge")),
        hearted=bool(_dict(_dict(renderer.get("actionButtons")).get("commentActionButtonsRenderer")).get(
            "creatorHeart")),
    )


def _legacy_video(renderer: dict) -> tuple[str, str]:
    """(video id, link) of a commentRenderer: its published-time link (watchEndpoint or the link's URL), else the
    video named by its action buttons' endpoints. The real answers carry it there, not beside the comment."""
    for node in _walk(renderer.get("publishedTimeText")) or ():
        watch = _dict(_dict(node.get("navigationEndpoint")).get("watchEndpoint"))
        url = _str(_dict(_dict(_dict(node.get("navigationEndpoint")).get("commandMetadata")).get(
            "webCommandMetadata")).get("url"))
        video_id = _str(watch.get("videoId")) or (parse_qs(urlsplit(url).query).get("v") or [""])[0]
        if video_id:
            return video_id, url
    for node in _walk(renderer.get("actionButtons")):
        video_id = _str(node.get("videoId"))
        if video_id:
            return video_id, ""
    return "", ""


def read_threads(doc: object) -> list[ThreadInfo]:
    found = []
    for node in _walk(doc):
        thread = _dict(node.get("commentThreadRenderer"))
        if not thread:
            continue
        view = _dict(_dict(thread.get("commentViewModel")).get("commentViewModel"))
        legacy = _dict(_dict(thread.get("comment")).get("commentRenderer"))
        comment_id = _str(view.get("commentId")) or _str(legacy.get("commentId"))
        replies = _dict(_dict(thread.get("replies")).get("commentRepliesRenderer"))
        found.append(ThreadInfo(
            comment_id=comment_id,
            replies_text=_text(_dict(_dict(replies.get("viewReplies")).get("buttonRenderer")).get("text")),
            creator_replied=bool(replies.get("viewRepliesCreatorThumbnail")),
            pinned=thread.get("renderingPriority") == "RENDERING_PRIORITY_PINNED_COMMENT" or bool(
                view.get("pinnedText")),
            reply_tokens=continuation_tokens(replies),
        ))
    return found


# ------------------------------------------------------------------------------------------------ counts


COUNT = re.compile(r"(\d[\d,.\s\u00a0\u202f]*)\s*([kKmM]|tn|mn)?")


def shown_count(text: str) -> tuple[int, bool] | None:
    """A count as shown: ("21,051" -> 21051, exact), ("21k" -> 21000, rounded), ("1,2 tn" -> 1200, rounded)."""
    match = COUNT.search(text or "")
    if not match:
        return None
    digits, suffix = match.group(1).strip(), (match.group(2) or "").lower()
    if not suffix:
        plain = re.sub(r"[,.\s\u00a0\u202f]", "", digits)
        return (int(plain), True) if plain.isdigit() else None
    number = float(digits.replace(",", ".").replace(" ", ""))
    scale = 1_000 if suffix in ("k", "tn") else 1_000_000
    return int(round(number * scale)), False


def comment_header_count(doc: object) -> tuple[int, bool] | None:
    """The comment count a comment section's header or the watch page's comment panel shows (comments and replies
    together, as YouTube counts them), with whether it is exact. The exact "21,051 Comments" wins over "21k"."""
    best: tuple[int, bool] | None = None
    for node in _walk(doc):
        header = _dict(node.get("commentsHeaderRenderer"))
        panel = _dict(node.get("engagementPanelTitleHeaderRenderer"))
        texts = [_text(header.get("countText")), _text(header.get("commentsCount"))] if header else []
        if panel and _dict(panel.get("contextualInfo")) and _is_comment_panel(panel):
            texts.append(_text(panel.get("contextualInfo")))
        for text in texts:
            count = shown_count(text)
            if count and (best is None or (count[1] and not best[1])):
                best = count
    return best


def _is_comment_panel(panel: dict) -> bool:
    """The watch page's comment panel: its menu sorts comments (the panel's title is localised)."""
    return "sortFilterSubMenuRenderer" in _dict(panel.get("menu")) or _text(panel.get("title")).lower() in (
        "comments", "kommentarer")


def channel_video_count(doc: object) -> int | None:
    """The "258 videos" / "258 videoklipp" a channel page's header shows."""
    for node in _walk(doc):
        header = _dict(node.get("pageHeaderViewModel")) or _dict(node.get("c4TabbedHeaderRenderer"))
        if not header:
            continue
        for inner in _walk(header):
            for value in (inner.get("content"), _text(inner.get("videosCountText"))):
                if isinstance(value, str) and re.search(r"\b(videos?|videoklipp|videor)\b", value, re.IGNORECASE):
                    count = shown_count(value)
                    if count and count[1]:
                        return count[0]
    return None


def read_channels(doc: object) -> list[Channel]:
    """The channels a document names as owners: of the page (channelMetadataRenderer) and of a watch page's
    video (videoOwnerRenderer)."""
    doc = _dict(doc)
    found = []
    meta = _dict(_dict(doc.get("metadata")).get("channelMetadataRenderer"))
    if _str(meta.get("externalId")):
        vanity = _str(meta.get("vanityChannelUrl"))
        found.append(Channel(meta["externalId"], handle_of(vanity), _str(meta.get("title")),
                             urlsplit(vanity).path if re.search(r"/(c|user)/", vanity) else ""))
    video = read_watch_next(doc)
    if video is not None and video.channel_id:
        found.append(Channel(video.channel_id, handle_of(video.owner_url), video.author))
    return found


# ------------------------------------------------------------------------------------------------ Videos tab


def read_grid(doc: object) -> list[GridVideo]:
    """Video tiles of a channel tab page or browse continuation (lockupViewModel or gridVideoRenderer)."""
    found = []
    for node in _walk(doc):
        lockup = _dict(node.get("lockupViewModel"))
        if lockup and lockup.get("contentType") in (None, "LOCKUP_CONTENT_TYPE_VIDEO") and lockup.get("contentId"):
            meta = _dict(_dict(lockup.get("metadata")).get("lockupMetadataViewModel"))
            rows = _list(_dict(_dict(meta.get("metadata")).get("contentMetadataViewModel")).get("metadataRows"))
            parts = [_text(_dict(p).get("text")) for row in rows for p in _list(_dict(row).get("metadataParts"))]
            when = next((p for p in parts if age_range(p) is not None), "")
            found.append(GridVideo(_str(lockup["contentId"]), _text(meta.get("title")), when))
        for key in ("gridVideoRenderer", "videoRenderer"):
            renderer = _dict(node.get(key))
            if renderer.get("videoId"):
                found.append(GridVideo(_str(renderer["videoId"]), _text(renderer.get("title")),
                                       _text(renderer.get("publishedTimeText"))))
    return found


def continuation_tokens(doc: object) -> list[str]:
    """Every continuation token a document offers (more videos, comments, replies)."""
    tokens = []
    for node in _walk(doc):
        command = _dict(node.get("continuationCommand"))
        if _str(command.get("token")):
            tokens.append(command["token"])
    return tokens


# ------------------------------------------------------------------------------------------------ ages


def age_range(text: str) -> tuple[int, int] | None:
    """Seconds of age a relative time means: "för 2 veckor sedan" -> [14 days, 21 days)."""
    match = RELATIVE.search(text or "")
    if not match:
        return None
    unit = UNITS.get(match.group(2).lower())
    if unit is None:
        return None
    number = int(match.group(1))
    return number * unit, (number + 1) * unit


def resolve_relative(text: str, reference: datetime) -> datetime | None:
    """An estimate of when "för 3 månader sedan" / "4 years ago" was, seen from `reference`."""
    ages = age_range(text)
    return reference - timedelta(seconds=ages[0]) if ages else None
