"""YouTube imitation: channel video tabs, watch pages, InnerTube-like JSON, a player, a consent wall.

What it does to a capture, like the real site (structure after public InnerTube recordings):
- EU consent: a page request without the SOCS cookie is redirected (302) to
  /youtube/consent?continue=<url>; "Godkänn alla" or "Avvisa alla" sets the cookie and redirects back.
- Channel /youtube/@<handle>/videos: `var ytInitialData = {...}` holds the first videos of the tab
  (richItemRenderer > lockupViewModel, with relative times only) and a continuationItemRenderer;
  more arrive from POST /youtube/youtubei/v1/browse {"continuation": token} as the grid scrolls.
- Watch /youtube/watch?v=<id>: `var ytInitialPlayerResponse` (videoDetails, microformat publishDate
  in Pacific time, streamingData) and `var ytInitialData` (title, description, comment section).
  Comments are never in the HTML: the section holds a continuation token only; POST
  /youtube/youtubei/v1/next answers with commentThreadRenderer items whose content lives in
  frameworkUpdates.entityBatchUpdate.mutations (commentEntityPayload, the 2024+ entity model).
  Replies ("3 svar") and further comments are more `next` continuations.
- The player uses MediaSource for adaptive webm segments unless MediaSource.isTypeSupported says
  no; then it plays the progressive mp4 from /youtube/videoplayback?id=&itag=18&exp=&sig= (signed,
  expiring) and only ever asks for byte ranges: Range requests get at most RANGE_CHUNK bytes (206).
- Every distinct page and API call may be answered 429 once (Throttle, Retry-After: 1).

Sandbox simplification: a comment's commentEntityPayload carries `publishedAt` (ISO 8601, UTC)
beside the relative `publishedTime` ("för 2 veckor sedan"); the real InnerTube gives the relative
text only. Deleted videos (edition 1) answer with playabilityStatus ERROR, as the real site does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import random
import re
import struct
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from smarchive.sandbox.content import (
    CITIZENS,
    COMMENT_TEXTS,
    LONG_COMMENT,
    PLACES,
    REPLY_FROM_CITIZEN,
    STOCKHOLM,
    MediaFile,
    World,
    WorldAccount,
    WorldItem,
    _post_times,
    make_png,
)
from smarchive.sandbox.web import (
    Request,
    Response,
    Throttle,
    html_response,
    json_response,
    not_found,
    sign_path,
    signature_problem,
)

PACIFIC = ZoneInfo("America/Los_Angeles")  # the real microformat gives publishDate in Google's time zone
CONSENT_COOKIE = "SOCS"
CONSENT_MAX_AGE = 395 * 24 * 3600
GRID_PAGE = 4  # videos in the initial HTML and per browse continuation
COMMENTS_PAGE = 4  # comment threads per `next` answer
REPLIES_PAGE = 2  # replies per `next` answer ("Visa fler svar" for the rest)
RANGE_CHUNK = 64 * 1024  # the most a Range request gets back, so a player never has the whole file
PROGRESSIVE_ITAG = "18"
ADAPTIVE_ITAG = "243"
STATIC_FILES = {"youtube.js": "text/javascript; charset=utf-8", "youtube.css": "text/css; charset=utf-8"}
ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

CHANNELS = (
    ("orebrokommun", "Örebro kommun"),
    ("orebrokommunteckensprak", "Örebro kommun – Teckenspråk"),
)

# ---------------------------------------------------------------------------------------------
# Content

TITLES = (
    ("Så fungerar snöröjningen i Örebro", "Vi följer med en plogbil en natt i januari. Huvudgator och busslinjer "
     "plogas först, sedan gång- och cykelvägar och sist bostadsgator i till exempel {place}."),
    ("Välkommen till nya biblioteket i {place}", "Följ med på en rundtur i det renoverade biblioteket. Här finns "
     "läshörna för barn, studieplatser och en ny meröppen lösning så att du kan låna även kvällstid."),
    ("Förskola i Örebro – så ansöker du", "Vi visar steg för steg hur du ansöker om plats i förskola via "
     "e-tjänsten på orebro.se. Ansök senast fyra månader innan du behöver plats."),
    ("Sommar på Wadköping", "Hantverkare, musik och sagostunder i Wadköping hela sommaren. Fri entré till "
     "gårdarna, öppet tisdag till söndag."),
    ("Svampen 50 år", "Vattentornet Svampen fyller år! Vi berättar historien om tornet och visar utsikten "
     "från toppen. Restaurangen och utsiktsplanet har öppet som vanligt."),
    ("Badplatserna öppnar", "Vattenprover tas varannan vecka vid Gustavsvik, Ånnaboda och Hampetorp. "
     "Resultaten hittar du på orebro.se/bad."),
    ("Lediga jobb: undersköterska i hemtjänsten", "Möt Leila som jobbar i hemtjänsten i {place}. Vi söker "
     "fler kollegor, både sommarvikarier och tillsvidareanställda. Läs mer och ansök på orebro.se/jobb."),
    ("Evenemang i Kulturkvarteret", "Konserter, barnteater och utställningar i Kulturkvarteret i vår. "
     "Här är ett urval av vad som händer de närmaste veckorna."),
    ("Kommunfullmäktige – sammanfattning", "En kort sammanfattning av beslut i kommunfullmäktige: budget, "
     "nya cykelvägar och en ny skola i {place}."),
)

LONG_DESCRIPTION = (
    "\n\nOm videon\nI den här videon berättar medarbetare från förvaltningen om arbetet och svarar på de "
    "vanligaste frågorna vi får från er invånare. Videon är textad på svenska.\n\n"
    "Kapitel\n0:00 Inledning\n0:42 Så går det till\n2:15 Vanliga frågor\n3:30 Kontakt\n\n"
    "Har du frågor eller vill lämna en synpunkt? Kontakta Servicecenter på 019-21 10 00 eller via "
    "orebro.se/kontakt. Vi svarar inte på ärenden i kommentarsfältet. Läs mer om hur vi hanterar "
    "kommentarer i våra riktlinjer för sociala medier på orebro.se."
)

SIGN_LANGUAGE_PREFIX = "Teckenspråkstolkat: "

NEW_YEAR_TITLE = ("Gott nytt år {year} från Örebro kommun!", "Tack för {prev} och välkommen {year}! 🎆 Här är "
                  "några av årets höjdpunkter i kommunen.")
NEW_YEAR_EVE_TITLE = ("Nyårsafton i Örebro", "Fyrverkerier kräver tillstånd i centrala Örebro. Var rädda om "
                      "varandra och om djuren ikväll. Gott nytt år! 🎇")

YOUTUBE_COMMENTS = (
    "Bra video! 👍",
    "Vilken låt är det i bakgrunden?",
    "Kan ni lägga upp fler sånna här filmer, väldigt informativt",
    "Varför är det ingen textning på engelska?",
    "😍😍",
    "Jag bor i {place} och har aldrig sett plogbilen på vår gata. Skandal.",
    "Tack för en bra film. Hälsningar från Vivalla",
)

CREATOR_REPLIES = (
    "Tack för att du tittar! 😊",
    "Hej! Det finns textning, välj CC i spelaren.",
    "Hej! Vi tar med oss förslaget. Du kan också lämna synpunkter via orebro.se/kontakt.",
    "Hej! Kontakta gärna Servicecenter på 019-21 10 00 så hjälper de dig.",
)

CREATOR_PINNED = "Har du frågor om innehållet i videon? Kontakta Servicecenter på 019-21 10 00. 📞"


def build(world: World, rng: random.Random) -> None:
    """Two channels; one video per "post", each with comments and replies (one level, as on YouTube)."""
    accounts = [WorldAccount("youtube", handle, name, "UC" + _random_id(rng, 22)) for handle, name in CHANNELS]
    world.accounts["youtube"] = accounts
    ids: set[str] = set()
    edition = world.config.edition
    for number, account in enumerate(accounts):
        count = world.config.posts_per_year if number == 0 else max(2, world.config.posts_per_year // 2)
        for year in world.config.years:
            times = _post_times(rng, year, count)
            changes = _edition_changes(count) if edition and number == 0 else {}
            for index, when in enumerate(times):
                items, media = _video(world, rng, account, ids, index, count, when, number == 1)
                change = changes.get(index)
                if change == "deleted":
                    continue  # deleted with its thread and files (drawn all the same: the rest stays identical)
                if change == "edited":
                    items[0] = replace(items[0], text=items[0].text.replace("\n\n", " (uppdaterad)\n\n", 1)
                                       + "\n\nRättelse: en tidigare version av beskrivningen hade fel datum.")
                world.media.update(media)
                for item in items:
                    world.add(item)


def _edition_changes(count: int) -> dict[int, str]:
    """Which video of a year edition 1 edits and deletes: never the New Year boundary ones."""
    middle = list(range(1, count - 1))
    if not middle:
        return {}
    changes = {middle[0]: "edited"}
    if len(middle) > 1:
        changes[middle[-1]] = "deleted"
    return changes


def _random_id(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(ID_ALPHABET) for _ in range(length))


def _new_id(rng: random.Random, ids: set[str], make) -> str:  # noqa: ANN001 (a zero-argument id maker)
    while True:
        candidate = make()
        if candidate not in ids:
            ids.add(candidate)
            return candidate


def _fake_mp4(rng: random.Random, size: int) -> bytes:
    """An ISO-BMFF shaped file (ftyp, free, mdat): real bytes with the right magic, not a playable film."""
    ftyp = b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
    free = b"smarchive sandbox video"
    payload = rng.randbytes(size)
    boxes = [(b"ftyp", ftyp), (b"free", free), (b"mdat", payload)]
    return b"".join(struct.pack(">I", 8 + len(data)) + kind + data for kind, data in boxes)


def _fill(rng: random.Random, template: str, when: datetime) -> str:
    local = when.astimezone(STOCKHOLM)
    return template.format(place=rng.choice(PLACES), year=local.year, prev=local.year - 1)


def _title_and_description(rng: random.Random, index: int, count: int, when: datetime) -> tuple[str, str]:
    if index == 0:
        title, description = NEW_YEAR_TITLE
    elif index == count - 1:
        title, description = NEW_YEAR_EVE_TITLE
    else:
        title, description = rng.choice(TITLES)
    description = _fill(rng, description, when)
    if index % 3 == 2:  # long enough to be cut behind "Visa mer"
        description += LONG_DESCRIPTION
    return _fill(rng, title, when), description


def _video(world: World, rng: random.Random, account: WorldAccount, ids: set[str], index: int, count: int,
           when: datetime, sign_language: bool) -> tuple[list[WorldItem], dict[str, MediaFile]]:
    video_id = _new_id(rng, ids, lambda: _random_id(rng, 11))
    title, description = _title_and_description(rng, index, count, when)
    if sign_language:
        title = SIGN_LANGUAGE_PREFIX + title
    video = MediaFile(f"{video_id}-video", "youtube", "video/mp4", _fake_mp4(rng, rng.randrange(90_000, 160_000)))
    thumbnail = MediaFile(f"{video_id}-thumb", "youtube", "image/png", make_png(rng, len(ids), 96, 54))
    post = WorldItem(
        id=video_id, platform="youtube", account=account.handle, item_type="post", parent_id=None, post_id=video_id,
        author=account.name, author_id=account.id, author_is_account=True, published_at=when,
        text=f"{title}\n\n{description}", media=(video.id, thumbnail.id), reactions=rng.randrange(0, 300),
    )
    items = [post]
    moment = when
    if index == count - 1:  # the New Year's Eve video: its whole thread is written next year
        moment = datetime(when.astimezone(STOCKHOLM).year + 1, 1, 1, 0, 0, tzinfo=STOCKHOLM).astimezone(UTC)
    for _ in range(_comment_count(rng, index, count, world.config.comments_per_post)):
        moment += timedelta(minutes=rng.randrange(1, 900))
        items += _comment(rng, account, ids, post, moment)
    return items, {video.id: video, thumbnail.id: thumbnail}


def _comment_count(rng: random.Random, index: int, count: int, upper: int) -> int:
    if index == count - 1:
        return upper
    if index == 1:
        return 0
    return min(upper, rng.choice((0, 1, 2, upper, upper, upper)))


def _citizen(rng: random.Random) -> tuple[str, str]:
    """A YouTube display handle like "@annalindqvist4821" and a channel id, stable per person."""
    name = rng.choice(CITIZENS)
    digest = hashlib.sha256(name.encode()).hexdigest()
    plain = name.lower().translate(str.maketrans("åäöé", "aaoe")).replace(" ", "").replace("-", "")
    return f"@{plain}{int(digest[:6], 16) % 10000}", "UC" + base64.urlsafe_b64encode(bytes.fromhex(digest[:32])
                                                                                      ).decode()[:22]


def _comment(rng: random.Random, account: WorldAccount, ids: set[str], post: WorldItem,
             when: datetime) -> list[WorldItem]:
    comment_id = _new_id(rng, ids, lambda: "Ugx" + _random_id(rng, 19) + "4AaABAg")
    roll = rng.random()
    if roll < 0.08:
        author, author_id, own = f"@{account.handle}", account.id, True
        text = CREATOR_PINNED
    else:
        (author, author_id), own = _citizen(rng), False
        pool = COMMENT_TEXTS + YOUTUBE_COMMENTS
        text = _fill(rng, LONG_COMMENT if roll > 0.9 else rng.choice(pool), when)
    comment = WorldItem(
        id=comment_id, platform="youtube", account=account.handle, item_type="comment", parent_id=post.id,
        post_id=post.id, author=author, author_id=author_id, author_is_account=own, published_at=when, text=text,
        reactions=rng.randrange(0, 40),
    )
    items = [comment]
    moment = when
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
        moment += timedelta(minutes=rng.randrange(3, 600))
        items.append(_reply(rng, account, ids, comment, moment))
    return items


def _reply(rng: random.Random, account: WorldAccount, ids: set[str], comment: WorldItem,
           when: datetime) -> WorldItem:
    reply_id = _new_id(rng, ids, lambda: f"{comment.id}.{_random_id(rng, 22)}")
    if rng.random() < 0.5:
        author, author_id, own = f"@{account.handle}", account.id, True
        text = rng.choice(CREATOR_REPLIES)
    else:
        (author, author_id), own = _citizen(rng), False
        text = _fill(rng, rng.choice(REPLY_FROM_CITIZEN), when)
        if rng.random() < 0.3:  # YouTube has one reply level: answers to a reply name its author
            text = f"{comment.author} {text}"
    return WorldItem(
        id=reply_id, platform="youtube", account=account.handle, item_type="reply", parent_id=comment.id,
        post_id=comment.post_id, author=author, author_id=author_id, author_is_account=own, published_at=when,
        text=text, reactions=rng.randrange(0, 10),
    )


def permalink(item: WorldItem) -> str:
    """A video's watch page; a comment or reply is the watch page highlighting it (lc=)."""
    base = f"/youtube/watch?v={item.post_id}"
    return base if item.item_type == "post" else f"{base}&lc={item.id}"


# ---------------------------------------------------------------------------------------------
# Shared bits of the JSON


def _opaque(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def _unopaque(value: str) -> str:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ""


def _token(kind: str, owner: str, offset: int) -> str:
    return _opaque(f"{kind}\x00{owner}\x00{offset}")


def _untoken(token: object) -> tuple[str, str, int] | None:
    parts = _unopaque(str(token or "")).split("\x00")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2])


def relative_time(moment: datetime, now: datetime | None = None) -> str:
    """Swedish relative time as YouTube shows it: "för 3 veckor sedan"."""
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    days = seconds // 86400
    steps = ((seconds < 60, seconds, "sekund", "sekunder"), (seconds < 3600, seconds // 60, "minut", "minuter"),
             (seconds < 86400, seconds // 3600, "timme", "timmar"), (days < 7, days, "dag", "dagar"),
             (days < 30, days // 7, "vecka", "veckor"), (days < 365, days // 30, "månad", "månader"),
             (True, days // 365, "år", "år"))
    for applies, number, one, many in steps:
        if applies:
            return f"för {number} {one if number == 1 else many} sedan"
    return ""


def _continuation(token: str, api: str, text: str | None = None) -> dict:
    endpoint = {"commandMetadata": {"webCommandMetadata": {"sendPost": True, "apiUrl": api}},
                "continuationCommand": {"token": token, "request": "CONTINUATION_REQUEST_TYPE_WATCH_NEXT"
                                        if api.endswith("next") else "CONTINUATION_REQUEST_TYPE_BROWSE"}}
    if text is None:
        return {"continuationItemRenderer": {"trigger": "CONTINUATION_TRIGGER_ON_ITEM_SHOWN",
                                             "continuationEndpoint": endpoint}}
    return {"continuationItemRenderer": {"trigger": "CONTINUATION_TRIGGER_ON_ITEM_SHOWN", "button": {
        "buttonRenderer": {"text": {"runs": [{"text": text}]}, "command": endpoint}}}}


API_BROWSE = "/youtube/youtubei/v1/browse"
API_NEXT = "/youtube/youtubei/v1/next"


def _videos(world: World, account: WorldAccount) -> list[WorldItem]:
    return world.posts("youtube", account.handle)


def _title(item: WorldItem) -> str:
    return item.text.split("\n\n", 1)[0]


def _description(item: WorldItem) -> str:
    parts = item.text.split("\n\n", 1)
    return parts[1] if len(parts) > 1 else ""


def _signed_media(world: World, media_id: str, base: str) -> str:
    return base + sign_path(world.media[media_id].path, world.secret)


def _playback_url(world: World, video: WorldItem, itag: str, base: str) -> str:
    """/youtube/videoplayback?id=&itag=&exp=&sig=: the signature covers id and itag (a virtual path)."""
    signed = sign_path(_playback_key(video.id, itag), world.secret)
    return f"{base}/youtube/videoplayback?id={video.id}&itag={itag}&{signed.split('?', 1)[1]}"


def _playback_key(video_id: str, itag: str) -> str:
    return f"/youtube/videoplayback/{video_id}/{itag}"


# ---------------------------------------------------------------------------------------------
# Channel tab


def _lockup(world: World, video: WorldItem, base: str, now: datetime) -> dict:
    url = f"/youtube/watch?v={video.id}"
    thumb = _signed_media(world, video.media[1], base)
    return {"richItemRenderer": {"content": {"lockupViewModel": {
        "contentId": video.id,
        "contentType": "LOCKUP_CONTENT_TYPE_VIDEO",
        "contentImage": {"thumbnailViewModel": {"image": {"sources": [{"url": thumb, "width": 96, "height": 54}]},
                                                "overlays": [{"thumbnailBottomOverlayViewModel": {"badges": [
                                                    {"thumbnailBadgeViewModel": {"text": "3:41"}}]}}]}},
        "metadata": {"lockupMetadataViewModel": {
            "title": {"content": _title(video)},
            "metadata": {"contentMetadataViewModel": {"metadataRows": [{"metadataParts": [
                {"text": {"content": f"{video.reactions * 7 + 31} visningar"}},
                {"text": {"content": relative_time(video.published_at, now)}}]}], "delimiter": " • "}}}},
        "rendererContext": {"commandContext": {"onTap": {"innertubeCommand": {
            "commandMetadata": {"webCommandMetadata": {"url": url, "webPageType": "WEB_PAGE_TYPE_WATCH"}},
            "watchEndpoint": {"videoId": video.id}}}}},
    }}}}


def _grid_items(world: World, account: WorldAccount, offset: int, base: str) -> list[dict]:
    videos = _videos(world, account)
    now = datetime.now(UTC)
    items = [_lockup(world, v, base, now) for v in videos[offset : offset + GRID_PAGE]]
    if offset + GRID_PAGE < len(videos):
        items.append(_continuation(_token("browse", account.id, offset + GRID_PAGE), API_BROWSE))
    return items


def _channel_data(world: World, account: WorldAccount, base: str) -> dict:
    channel_url = f"{base}/youtube/@{account.handle}"
    return {
        "responseContext": {"visitorData": "sandbox"},
        "contents": {"twoColumnBrowseResultsRenderer": {"tabs": [
            {"tabRenderer": {"title": "Start", "selected": False}},
            {"tabRenderer": {"title": "Videor", "selected": True, "content": {"richGridRenderer": {
                "contents": _grid_items(world, account, 0, base)}}}},
        ]}},
        "header": {"pageHeaderRenderer": {"pageTitle": account.name, "content": {"pageHeaderViewModel": {
            "title": {"dynamicTextViewModel": {"text": {"content": account.name}}},
            "metadata": {"contentMetadataViewModel": {"metadataRows": [
                {"metadataParts": [{"text": {"content": f"@{account.handle}"}}]}]}}}}}},
        "metadata": {"channelMetadataRenderer": {
            "title": account.name, "externalId": account.id, "vanityChannelUrl": channel_url,
            "channelUrl": f"{base}/youtube/channel/{account.id}",
            "description": f"Officiell kanal för {account.name}. Frågor? Kontakta Servicecenter 019-21 10 00."}},
    }


# ---------------------------------------------------------------------------------------------
# Watch page and comments


def _pacific(moment: datetime) -> str:
    return moment.astimezone(PACIFIC).isoformat()


def _player_response(world: World, video: WorldItem, account: WorldAccount, base: str) -> dict:
    thumb = _signed_media(world, video.media[1], base)
    size = len(world.media[video.media[0]].data)
    return {
        "responseContext": {"visitorData": "sandbox"},
        "playabilityStatus": {"status": "OK", "playableInEmbed": True},
        "streamingData": {
            "expiresInSeconds": "300",
            "formats": [{"itag": int(PROGRESSIVE_ITAG), "url": _playback_url(world, video, PROGRESSIVE_ITAG, base),
                         "mimeType": 'video/mp4; codecs="avc1.42001E, mp4a.40.2"', "contentLength": str(size),
                         "width": 640, "height": 360, "quality": "medium", "qualityLabel": "360p"}],
            "adaptiveFormats": [{"itag": int(ADAPTIVE_ITAG), "url": _playback_url(world, video, ADAPTIVE_ITAG, base),
                                 "mimeType": 'video/webm; codecs="vp9"', "width": 640, "height": 360,
                                 "qualityLabel": "360p"}],
        },
        "videoDetails": {
            "videoId": video.id, "title": _title(video), "lengthSeconds": "221", "channelId": account.id,
            "shortDescription": _description(video), "author": account.name,
            "thumbnail": {"thumbnails": [{"url": thumb, "width": 96, "height": 54}]},
            "viewCount": str(video.reactions * 7 + 31), "isPrivate": False, "isLiveContent": False,
        },
        "microformat": {"playerMicroformatRenderer": {
            "title": {"simpleText": _title(video)}, "description": {"simpleText": _description(video)},
            "lengthSeconds": "221", "ownerProfileUrl": f"{base}/youtube/@{account.handle}",
            "externalChannelId": account.id, "ownerChannelName": account.name,
            "publishDate": _pacific(video.published_at), "uploadDate": _pacific(video.published_at),
            "thumbnail": {"thumbnails": [{"url": thumb, "width": 96, "height": 54}]},
        }},
    }


def _unavailable_player(video_id: str) -> dict:
    return {"responseContext": {"visitorData": "sandbox"},
            "playabilityStatus": {"status": "ERROR", "reason": "Videon är inte tillgänglig",
                                  "errorScreen": {"playerErrorMessageRenderer": {
                                      "reason": {"simpleText": "Videon är inte tillgänglig"}}}},
            "videoDetails": {"videoId": video_id}}


def _watch_data(world: World, video: WorldItem, account: WorldAccount, base: str) -> dict:
    local = video.published_at.astimezone(STOCKHOLM)
    months = ("jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.", "nov.", "dec.")
    url = f"/youtube/watch?v={video.id}"
    return {
        "responseContext": {"visitorData": "sandbox"},
        "currentVideoEndpoint": {"commandMetadata": {"webCommandMetadata": {"url": url}},
                                 "watchEndpoint": {"videoId": video.id}},
        "contents": {"twoColumnWatchNextResults": {"results": {"results": {"contents": [
            {"videoPrimaryInfoRenderer": {
                "title": {"runs": [{"text": _title(video)}]},
                "viewCount": {"videoViewCountRenderer": {"viewCount": {
                    "simpleText": f"{video.reactions * 7 + 31} visningar"}}},
                "dateText": {"simpleText": f"{local.day} {months[local.month - 1]} {local.year}"},
                "relativeDateText": {"simpleText": relative_time(video.published_at)}}},
            {"videoSecondaryInfoRenderer": {
                "owner": {"videoOwnerRenderer": {"title": {"runs": [{"text": account.name, "navigationEndpoint": {
                    "browseEndpoint": {"browseId": account.id, "canonicalBaseUrl": f"/@{account.handle}"}}}]}}},
                "attributedDescription": {"content": _description(video)},
                "showMoreText": {"simpleText": "Visa mer"}, "showLessText": {"simpleText": "Visa mindre"}}},
            {"itemSectionRenderer": {"sectionIdentifier": "comment-item-section", "targetId": "comments-section",
                                     "contents": [_continuation(_token("comments", video.id, 0), API_NEXT)]}},
        ]}}}},
    }


def _comment_view(item: WorldItem) -> dict:
    return {"commentViewModel": {"commentViewModel": {
        "commentId": item.id, "commentKey": _opaque(f"comment\x00{item.id}"),
        "commentSurfaceKey": _opaque(f"surface\x00{item.id}"), "toolbarStateKey": _opaque(f"toolbar\x00{item.id}"),
        **({"pinnedText": f"Fäst av {item.author}"} if _pinned(item) else {}),
    }}}


def _pinned(item: WorldItem) -> bool:
    return item.item_type == "comment" and item.author_is_account


def _hearted(item: WorldItem) -> bool:
    return not item.author_is_account and item.reactions % 4 == 0


def _mutations(world: World, items: list[WorldItem], account: WorldAccount, base: str, now: datetime) -> list[dict]:
    found = []
    for item in items:
        replies = len(world.children(item.id)) if item.item_type == "comment" else 0
        key = _opaque(f"comment\x00{item.id}")
        found.append({"entityKey": key, "type": "ENTITY_MUTATION_TYPE_REPLACE", "payload": {"commentEntityPayload": {
            "key": key,
            "properties": {
                "commentId": item.id, "content": {"content": item.text},
                "publishedTime": relative_time(item.published_at, now),
                "publishedAt": item.published_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "replyLevel": 0 if item.item_type == "comment" else 1,
                "authorButtonA11y": item.author, "toolbarStateKey": _opaque(f"toolbar\x00{item.id}"),
            },
            "author": {"channelId": item.author_id, "displayName": item.author, "isVerified": item.author_is_account,
                       "isCreator": item.author_is_account, "isCurrentUser": False,
                       "avatarThumbnailUrl": "",
                       "channelCommand": {"innertubeCommand": {"commandMetadata": {"webCommandMetadata": {
                           "url": f"/youtube/{item.author}"}}, "browseEndpoint": {"browseId": item.author_id}}}},
            "toolbar": {"likeCountNotliked": str(item.reactions or ""), "replyCount": str(replies or ""),
                        "heartActiveTooltip": f"❤ av @{account.handle}"},
        }}})
        surface = _opaque(f"surface\x00{item.id}")
        found.append({"entityKey": surface, "type": "ENTITY_MUTATION_TYPE_REPLACE", "payload": {
            "commentSurfaceEntityPayload": {"key": surface, "publishedTimeCommand": {"innertubeCommand": {
                "commandMetadata": {"webCommandMetadata": {"url": f"{permalink(item)}",
                                                           "webPageType": "WEB_PAGE_TYPE_WATCH"}},
                "watchEndpoint": {"videoId": item.post_id}}}}}})
        toolbar = _opaque(f"toolbar\x00{item.id}")
        found.append({"entityKey": toolbar, "type": "ENTITY_MUTATION_TYPE_REPLACE", "payload": {
            "engagementToolbarStateEntityPayload": {
                "key": toolbar, "likeState": "TOOLBAR_LIKE_STATE_INDIFFERENT",
                "heartState": "TOOLBAR_HEART_STATE_HEARTED" if _hearted(item) else "TOOLBAR_HEART_STATE_UNHEARTED"}}})
    return found


def _legacy(world: World, item: WorldItem, account: WorldAccount, now: datetime) -> dict:
    """A comment or reply in the pre-2024 shape: all in one commentRenderer; its video is named only by the
    published-time link, as on the real site."""
    replies = len(world.children(item.id)) if item.item_type == "comment" else 0
    renderer: dict = {
        "commentId": item.id, "contentText": {"runs": [{"text": item.text}]},
        "authorText": {"simpleText": item.author},
        "authorEndpoint": {"browseEndpoint": {"browseId": item.author_id, "canonicalBaseUrl": f"/{item.author}"}},
        "publishedTimeText": {"runs": [{"text": relative_time(item.published_at, now), "navigationEndpoint": {
            "commandMetadata": {"webCommandMetadata": {"url": permalink(item), "webPageType": "WEB_PAGE_TYPE_WATCH"}},
            "watchEndpoint": {"videoId": item.post_id}}}]},
        # Sandbox simplification, as in the entity model: the exact time beside the relative one.
        "publishedAt": item.published_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "voteCount": {"simpleText": str(item.reactions or "")}, "authorIsChannelOwner": item.author_is_account,
        "isLiked": False,
    }
    if replies:
        renderer["replyCount"] = replies
    if _pinned(item):
        renderer["pinnedCommentBadge"] = {"pinnedCommentBadgeRenderer": {"label": {"runs": [
            {"text": f"Fäst av {account.name}"}]}}}
    if _hearted(item):
        renderer["actionButtons"] = {"commentActionButtonsRenderer": {"creatorHeart": {"creatorHeartRenderer": {
            "isHearted": True, "heartedTooltip": f"❤ av @{account.handle}"}}}}
    return {"commentRenderer": renderer}


def _old_generation(world: World) -> bool:
    return world.config.youtube_generation == "2020"


def _thread(world: World, comment: WorldItem, account: WorldAccount) -> dict:
    view = _legacy(world, comment, account, datetime.now(UTC)) if _old_generation(world) else None
    thread: dict = {**({"comment": view} if view else _comment_view(comment)),
                    "renderingPriority": "RENDERING_PRIORITY_PINNED_COMMENT" if _pinned(comment)
                    else "RENDERING_PRIORITY_UNKNOWN"}
    replies = world.children(comment.id)
    if replies:
        label = "1 svar" if len(replies) == 1 else f"{len(replies)} svar"
        renderer = {"contents": [_continuation(_token("replies", comment.id, 0), API_NEXT)],
                    "viewReplies": {"buttonRenderer": {"text": {"runs": [{"text": label}]}}},
                    "hideReplies": {"buttonRenderer": {"text": {"runs": [{"text": label}]}}},
                    "targetId": f"comment-replies-item-{comment.id}"}
        if any(r.author_is_account for r in replies):
            renderer["viewRepliesCreatorThumbnail"] = {"thumbnails": [], "accessibility": {
                "accessibilityData": {"label": f"Svar från @{account.handle}"}}}
        thread["replies"] = {"commentRepliesRenderer": renderer}
    return {"commentThreadRenderer": thread}


def _display_order(world: World, video: WorldItem) -> list[WorldItem]:
    """The channel's pinned comment first, then the rest oldest first."""
    comments = world.children(video.id)
    return [c for c in comments if _pinned(c)] + [c for c in comments if not _pinned(c)]


def _comments_page(world: World, video: WorldItem, account: WorldAccount, offset: int, base: str) -> dict:
    now = datetime.now(UTC)
    comments = _display_order(world, video)
    page = comments[offset : offset + COMMENTS_PAGE]
    items: list[dict] = [_thread(world, c, account) for c in page]
    if offset + COMMENTS_PAGE < len(comments):
        items.append(_continuation(_token("comments", video.id, offset + COMMENTS_PAGE), API_NEXT))
    if offset == 0:
        # Like YouTube, the header counts comments and replies together.
        total = str(len(comments) + sum(len(world.children(c.id)) for c in comments))
        header = {"commentsHeaderRenderer": {"countText": {"runs": [{"text": total}, {"text": " kommentarer"}]},
                                             "commentsCount": {"runs": [{"text": total}]}}}
        endpoints = [
            {"reloadContinuationItemsCommand": {"targetId": "comments-section", "continuationItems": [header],
                                                "slot": "RELOAD_CONTINUATION_SLOT_HEADER"}},
            {"reloadContinuationItemsCommand": {"targetId": "comments-section", "continuationItems": items,
                                                "slot": "RELOAD_CONTINUATION_SLOT_BODY"}},
        ]
    else:
        endpoints = [{"appendContinuationItemsAction": {"targetId": "comments-section", "continuationItems": items}}]
    if _old_generation(world):
        return {"responseContext": {"visitorData": "sandbox"}, "onResponseReceivedEndpoints": endpoints}
    return {"responseContext": {"visitorData": "sandbox"}, "onResponseReceivedEndpoints": endpoints,
            "frameworkUpdates": {"entityBatchUpdate": {"mutations": _mutations(world, page, account, base, now)}}}


def _replies_page(world: World, comment: WorldItem, account: WorldAccount, offset: int, base: str) -> dict:
    replies = world.children(comment.id)
    page = replies[offset : offset + REPLIES_PAGE]
    now = datetime.now(UTC)
    items: list[dict] = [_legacy(world, r, account, now) if _old_generation(world) else _comment_view(r)
                         for r in page]
    if offset + REPLIES_PAGE < len(replies):
        items.append(_continuation(_token("replies", comment.id, offset + REPLIES_PAGE), API_NEXT, "Visa fler svar"))
    return {"responseContext": {"visitorData": "sandbox"}, "onResponseReceivedEndpoints": [
        {"appendContinuationItemsAction": {"targetId": f"comment-replies-item-{comment.id}",
                                           "continuationItems": items}}],
            "frameworkUpdates": {"entityBatchUpdate": {
                "mutations": [] if _old_generation(world) else _mutations(world, page, account, base, now)}}}


# ---------------------------------------------------------------------------------------------
# Requests


def handle(world: World, request: Request) -> Response:
    """Answer a request whose path starts with /youtube/."""
    parts = [p for p in request.path.split("/") if p][1:]
    if request.method == "POST":
        return _post(world, request, parts)
    if parts == ["videoplayback"]:
        return videoplayback(world, request)
    if len(parts) == 2 and parts[0] == "media":
        return media(world, request, parts[1])
    if len(parts) == 2 and parts[0] == "static":
        return static(parts[1])
    if parts == ["consent"]:
        return consent_page(request)
    if not parts or not (parts == ["watch"] or parts[0].startswith("@")):
        return not_found()
    if not _consented(request):
        return _to_consent(request)
    refused = _throttle(world).check("GET " + request.path + "?" + "&".join(request.query.get("v", [])))
    if refused is not None:
        return refused
    if parts == ["watch"]:
        return watch_page(world, request)
    account = world.account("youtube", parts[0][1:])
    if account is None:
        return not_found("Den här kanalen finns inte.")
    if len(parts) == 1:
        return Response(302, "text/html; charset=utf-8", b"", [("Location", f"/youtube/@{account.handle}/videos")])
    if parts[1:] == ["videos"]:
        return channel_page(world, account, request)
    return not_found()


def _post(world: World, request: Request, parts: list[str]) -> Response:
    if parts == ["consent", "save"]:
        return consent_save(request)
    if parts[:2] != ["youtubei", "v1"] or len(parts) != 3 or parts[2] not in ("browse", "next"):
        return not_found()
    if not _consented(request):
        return json_response({"error": {"code": 403, "message": "Consent required", "status": "PERMISSION_DENIED"}},
                             403)
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return _api_error("Invalid JSON payload received.")
    refused = _throttle(world).check(f"{parts[2]}:{body.get('continuation') or body.get('videoId')}")
    if refused is not None:
        return refused
    return browse(world, request, body) if parts[2] == "browse" else watch_next(world, request, body)


def _api_error(message: str, status: int = 400) -> Response:
    return json_response({"error": {"code": status, "message": message, "status": "INVALID_ARGUMENT"}}, status)


def _throttle(world: World) -> Throttle:
    return world.runtime.setdefault("youtube-throttle", Throttle(world.config.throttle_every))  # type: ignore[return-value]


def browse(world: World, request: Request, body: dict) -> Response:
    token = _untoken(body.get("continuation"))
    account = next((a for a in world.accounts["youtube"] if token and a.id == token[1]), None)
    if token is None or token[0] != "browse" or account is None:
        return _api_error("Request contains an invalid argument.")
    items = _grid_items(world, account, token[2], request.base_url)
    return json_response({"responseContext": {"visitorData": "sandbox"}, "onResponseReceivedActions": [
        {"appendContinuationItemsAction": {"continuationItems": items}}]})


def watch_next(world: World, request: Request, body: dict) -> Response:
    base = request.base_url
    if body.get("videoId") and not body.get("continuation"):
        video = _video_item(world, str(body["videoId"]))
        if video is None:
            return _api_error("Request contains an invalid argument.")
        return json_response(_watch_data(world, video, _owner(world, video), base))
    token = _untoken(body.get("continuation"))
    target = world.item(token[1]) if token else None
    if token is None or target is None:
        return _api_error("Request contains an invalid argument.")
    account = _owner(world, target)
    if token[0] == "comments" and target.item_type == "post":
        return json_response(_comments_page(world, target, account, token[2], base))
    if token[0] == "replies" and target.item_type == "comment":
        return json_response(_replies_page(world, target, account, token[2], base))
    return _api_error("Request contains an invalid argument.")


def _owner(world: World, item: WorldItem) -> WorldAccount:
    account = world.account("youtube", item.account)
    assert account is not None
    return account


def _video_item(world: World, video_id: str) -> WorldItem | None:
    item = world.item(video_id)
    return item if item is not None and item.platform == "youtube" and item.item_type == "post" else None


def _consented(request: Request) -> bool:
    return request.cookies.get(CONSENT_COOKIE, "").startswith("CA")


def _to_consent(request: Request) -> Response:
    target = request.path + ("?" + "&".join(f"{k}={quote(v, safe='')}" for k, vs in request.query.items()
                                             for v in vs) if request.query else "")
    location = "/youtube/consent?continue=" + quote(target, safe="")
    return Response(302, "text/html; charset=utf-8", b"", [("Location", location), ("Cache-Control", "no-store")],
                    compressible=False)


def _safe_continue(value: str) -> str:
    """Only back into the sandbox's YouTube: the consent page is no open redirect."""
    parsed = urlsplit(value)
    if parsed.scheme or parsed.netloc or not parsed.path.startswith("/youtube/"):
        return "/youtube/@orebrokommun/videos"
    return value


def consent_page(request: Request) -> Response:
    target = _safe_continue((request.query.get("continue") or [""])[0])
    page = f"""<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Innan du fortsätter till YouTube</title>
<link rel="stylesheet" href="/youtube/static/youtube.css"></head>
<body class="consent-page">
<div class="consent-box" role="dialog" aria-modal="true" aria-labelledby="consent-title">
<h1 id="consent-title">Innan du fortsätter till YouTube</h1>
<p>Vi använder cookies och data för att leverera och underhålla tjänster, spåra avbrott och skydda mot spam,
bedrägerier och otillåten användning. Om du väljer Godkänn alla använder vi även cookies för att utveckla nya
tjänster och visa anpassade annonser.</p>
<form method="post" action="/youtube/consent/save">
<input type="hidden" name="continue" value="{html.escape(target)}">
<button type="submit" name="set" value="nej">Avvisa alla</button>
<button type="submit" name="set" value="ja" class="primary">Godkänn alla</button>
</form></div></body></html>"""
    return html_response(page)


def consent_save(request: Request) -> Response:
    """Either answer lifts the wall; the cookie remembers it for a year, as SOCS does."""
    form = request.form()
    value = "CAISAiAD" if form.get("set") == "ja" else "CAESAiAD"
    cookie = f"{CONSENT_COOKIE}={value}; Path=/; Max-Age={CONSENT_MAX_AGE}; SameSite=Lax"
    return Response(303, "text/html; charset=utf-8", b"", [
        ("Location", _safe_continue(form.get("continue", ""))), ("Set-Cookie", cookie), ("Cache-Control", "no-store")],
        compressible=False)


def videoplayback(world: World, request: Request) -> Response:
    video_id = (request.query.get("id") or [""])[0]
    itag = (request.query.get("itag") or [""])[0]
    video = _video_item(world, video_id)
    if video is None or itag not in (PROGRESSIVE_ITAG, ADAPTIVE_ITAG):
        return Response(404, "text/plain; charset=utf-8", b"Not Found", compressible=False)
    signed = replace(request, path=_playback_key(video_id, itag))
    problem = signature_problem(signed, world.secret)
    if problem is not None:
        return problem
    data = world.media[video.media[0]].data
    content_type = "video/mp4" if itag == PROGRESSIVE_ITAG else "video/webm"
    headers = [("Accept-Ranges", "bytes"), ("Cache-Control", "private, max-age=21240")]
    wanted = _range(request.headers.get("range", ""), len(data))
    if wanted is None:
        return Response(200, content_type, data, headers, compressible=False)
    start, end = wanted
    if start >= len(data):
        return Response(416, "text/plain; charset=utf-8", b"", [("Content-Range", f"bytes */{len(data)}")],
                        compressible=False)
    end = min(end, start + RANGE_CHUNK - 1, len(data) - 1)
    headers.append(("Content-Range", f"bytes {start}-{end}/{len(data)}"))
    return Response(206, content_type, data[start : end + 1], headers, compressible=False)


RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


def _range(value: str, size: int) -> tuple[int, int] | None:
    match = RANGE.match(value.strip())
    if not match:
        return None
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else size - 1
    return start, end


def media(world: World, request: Request, filename: str) -> Response:
    found = next((m for m in world.media.values() if m.platform == "youtube" and m.filename == filename), None)
    if found is None or found.content_type.startswith("video/"):  # films only through videoplayback
        return not_found()
    problem = signature_problem(request, world.secret)
    if problem is not None:
        return problem
    return Response(200, found.content_type, found.data, [("Cache-Control", "public, max-age=7200")],
                    compressible=False)


def static(name: str) -> Response:
    if name not in STATIC_FILES:
        return not_found()
    data = resources.files("smarchive.sandbox").joinpath("static", name).read_bytes()
    return Response(200, STATIC_FILES[name], data, [("Cache-Control", "public, max-age=600")])


# ---------------------------------------------------------------------------------------------
# Pages


def _script_var(name: str, payload: dict) -> str:
    """`var name = {...};` as the real pages embed it; '</' and line separators escaped."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"<script nonce=\"sandbox\">var {name} = {text};</script>"


def _page(title: str, body_attrs: str, scripts: str) -> str:
    return f"""<!doctype html>
<html lang="sv-SE">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="/youtube/static/youtube.css">
</head>
<body {body_attrs}>
<header id="masthead"><a class="logo" href="/youtube/@orebrokommun/videos">YouTube</a>
<span class="sandbox-note">sandlåda</span></header>
<main id="app"></main>
{scripts}
<script src="/youtube/static/youtube.js"></script>
</body>
</html>
"""


def channel_page(world: World, account: WorldAccount, request: Request) -> Response:
    data = _channel_data(world, account, request.base_url)
    attrs = f'data-page="channel" data-channel-id="{account.id}" data-handle="{html.escape(account.handle)}"'
    return html_response(_page(f"{account.name} - YouTube", attrs, _script_var("ytInitialData", data)))


def watch_page(world: World, request: Request) -> Response:
    video_id = (request.query.get("v") or [""])[0]
    video = _video_item(world, video_id)
    if video is None:  # removed or never there: the real site answers 200 with an error player
        scripts = _script_var("ytInitialPlayerResponse", _unavailable_player(video_id))
        return html_response(_page("YouTube", 'data-page="watch"', scripts))
    account = _owner(world, video)
    base = request.base_url
    scripts = (_script_var("ytInitialPlayerResponse", _player_response(world, video, account, base)) + "\n"
               + _script_var("ytInitialData", _watch_data(world, video, account, base)))
    attrs = f'data-page="watch" data-video-id="{video.id}"'
    return html_response(_page(f"{_title(video)} - YouTube", attrs, scripts))

