"""The podcast imitation: RSS feeds, show and episode pages, tracked and signed enclosures.

What it imitates (and why):
- `/podcast/<slug>.rss` is an RSS 2.0 feed with the itunes, atom and content namespaces. Like
  many hosts it holds only the newest FEED_PAGE episodes; older ones are on `?page=2`, `?page=3`...
  linked with `<atom:link rel="next">` (RFC 5005 paging), so a capture of an older year must follow it.
- Feeds differ the way real ones do: pubDate with a local offset or in GMT, itunes:duration as
  HH:MM:SS, MM:SS or plain seconds, plain-text descriptions plus HTML in content:encoded.
- Enclosure URLs go through a tracking prefix (`/podcast/stats/redirect.mp3/<host>/<path>`, like
  podtrac) to the host's download URL (`/podcast/dl/<slug>/<file>`), which redirects to a signed URL
  that expires (`/podcast/media/<file>?exp=..&sig=..`). Nothing in the feed points at the bytes.
- `/podcast/<slug>/` is the show page: every episode with an `<audio>` (or `<video>`) player that
  preloads nothing and a description cut after a few lines; `/podcast/<slug>/avsnitt-<n>/` is an
  episode's own page, whose player preloads metadata (the browser requests the file).
- Feeds, pages and redirects are throttled (429 + Retry-After) like everything else in the sandbox.

The sign-language version of Tonårstiden is a separate video feed (video/mp4 enclosures).
"Sveriges viktigaste chefspodd" is paused: no episodes after PAUSED_AFTER, the feed stays up.
"""

from __future__ import annotations

import html
import random
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape

from smarchive.sandbox.content import (
    MUNICIPALITY,
    PLACES,
    STOCKHOLM,
    MediaFile,
    World,
    WorldAccount,
    WorldItem,
    _post_times,
    make_png,
)
from smarchive.sandbox.web import Request, Response, Throttle, html_response, not_found, sign_path, signature_problem

PLATFORM = "podcast"
FEED_PAGE = 10  # episodes per feed document, newest first
SHOW_TRUNCATE = 140  # characters of a description shown on the show page before "Visa mer"
PAUSED_AFTER = datetime(2024, 6, 14, tzinfo=STOCKHOLM)
TRACKING_PREFIX = "/podcast/stats/redirect.mp3/"
FEED_TYPE = "application/rss+xml; charset=utf-8"

# --------------------------------------------------------------------------------------- content


@dataclass(frozen=True)
class Show:
    slug: str
    title: str
    description: str
    media_type: str  # of the enclosures: audio/mpeg or video/mp4
    date_style: str  # "local" (+0100/+0200) or "gmt"
    duration_style: str  # "hms", "ms" or "seconds"


SHOWS = (
    Show("vardagshjaltarna", "Vardagshjältarna",
         "Podden för dig som funderar på vad du ska bli när du blir stor. I varje avsnitt möter vi en "
         "medarbetare i Örebro kommun, en vardagshjälte, som berättar vad hen faktiskt gör på jobbet – även "
         "en trött och gråmulen tisdag.", "audio/mpeg", "local", "hms"),
    Show("chefspodden", "Sveriges viktigaste chefspodd",
         "Örebro kommuns arbete ur ett ledarperspektiv, för chefer, ledare och medarbetare som vill få större "
         "insyn. Podden är pausad just nu, men alla tidigare avsnitt finns kvar att lyssna på.",
         "audio/mpeg", "gmt", "seconds"),
    Show("tonarstiden", "Tonårstiden – Hur svårt kan det va?",
         "För dig som är tonårsförälder och har frågor och funderingar kring tonårstiden. Bakom podden står "
         "Föräldrastöd och Fältgruppen i Örebro kommun.", "audio/mpeg", "local", "ms"),
    Show("tonarstiden-teckensprak", "Tonårstiden – Hur svårt kan det va? (teckenspråkstolkad)",
         "Teckenspråkstolkad version av podden Tonårstiden – Hur svårt kan det va?, med Föräldrastöd och "
         "Fältgruppen i Örebro kommun.", "video/mp4", "local", "hms"),
)

ROLES = (
    ("lokalvårdare", "Man ser allt som andra missar"),
    ("bibliotekarie på Stadsbiblioteket", "Det är inte bara böcker"),
    ("förskollärare i {place}", "Varje dag är en ny upptäcktsfärd"),
    ("trafikplanerare", "Varför blir det vägarbete just nu?"),
    ("arkivarie på Stadsarkivet", "Vi sparar det som ska finnas kvar om hundra år"),
    ("badvakt på Gustavsvik", "Säkerheten först, sedan solen"),
    ("undersköterska i hemtjänsten i {place}", "Kaffet hos Gunnel är det bästa"),
    ("driftledare för snöröjningen", "Klockan fyra ringer telefonen"),
    ("stadsträdgårdsmästare", "Blommorna i Stadsparken planeras ett år i förväg"),
    ("kock i skolköket i {place}", "800 portioner före elva"),
    ("miljöinspektör", "Nej, vi är inte ute efter att sätta dit någon"),
    ("fritidsledare i Kulturkvarteret", "Ungdomarna bestämmer mer än man tror"),
)

LEADERSHIP = (
    ("Att leda på distans", "Hur håller man ihop en arbetsgrupp som sällan ses? Två chefer från vård och "
     "omsorg delar med sig av vad som fungerat – och vad som inte gjorde det."),
    ("Tillitsbaserad styrning i praktiken", "Vad betyder tillit när budgeten är tight? Vi pratar om "
     "handlingsutrymme, uppföljning och modet att släppa kontrollen."),
    ("Chef i välfärden", "En rektor och en enhetschef inom hemtjänsten om att leda när behoven ökar "
     "snabbare än resurserna."),
    ("Arbetsmiljö och återhämtning", "Hur märker man att en medarbetare är på väg att gå in i väggen? "
     "Företagshälsovården ger konkreta råd."),
    ("Kompetensförsörjning & rekrytering", "Lediga jobb i kommunen: hur vi når fler sökande och behåller "
     "dem vi har."),
)

TEEN_TOPICS = (
    ("Skärmtid och sociala medier", "Hur mycket är för mycket? Vi pratar om mobilen vid middagsbordet, "
     "nätdejting och vad man som förälder kan säga utan att det blir bråk."),
    ("Alkohol och fester", "Fältgruppen berättar vad de ser ute en fredagskväll i {place} och hur du kan "
     "prata med din tonåring om alkohol."),
    ("När tonåringen slutar prata med dig", "Tystnad vid frukostbordet – är det normalt? Föräldrastöd ger "
     "tips på hur man håller kontakten."),
    ("Sömn och skola", "Varför vill tonåringar sova till lunch? Om dygnsrytm, skolstress och läxor."),
    ("Gränser och tjat", "Hur sätter man gränser som håller utan att tjata? Lyssnarfrågor om utegångstider "
     "och veckopeng."),
    ("Första kärleken", "Om relationer, samtycke och hur man stöttar när hjärtat krossas."),
)

OUTROS = (
    "Har du frågor? Kontakta Servicecenter på 019-21 10 00.",
    "Tipsa oss om nästa vardagshjälte via orebro.se/poddar!",
    "Lyssna i din poddapp eller på orebro.se.",
)

EDIT_NOTE = "\n\nRättelse: i en tidigare version av avsnittsbeskrivningen stod fel datum för nästa träff."


# Podcasting 2.0: a show's podcast:guid is the UUIDv5 of its feed URL without the scheme, in this namespace; it
# stays when the feed moves (the sandbox's port changes every run, so a fixed host stands in for it).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


def show_guid(slug: str) -> str:
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, f"podcast.orebro.example/podcast/{slug}.rss"))


def build(world: World, rng: random.Random) -> None:
    """Four feeds; the sign-language feed mirrors Tonårstiden's episodes with its own files."""
    accounts = [WorldAccount(platform=PLATFORM, handle=s.slug, name=s.title, id=str(1748100 + n))
                for n, s in enumerate(SHOWS)]
    world.accounts[PLATFORM] = accounts
    for n, show in enumerate(SHOWS):
        world.media[_art_id(show.slug)] = MediaFile(_art_id(show.slug), PLATFORM, "image/png", make_png(rng, 900 + n))
    count = world.config.posts_per_year
    teen = []
    for show, account in zip(SHOWS[:3], accounts[:3], strict=True):
        episodes = _episodes(rng, show, count if show.slug == "vardagshjaltarna" else max(2, count // 2),
                             world.config.years)
        if show.slug == "tonarstiden":
            teen = episodes
        _publish(world, rng, show, account, episodes)
    signed = [(when, f"{title} (teckenspråkstolkat)", "Teckenspråkstolkad version av avsnittet. " + text)
              for when, title, text in teen]
    _publish(world, rng, SHOWS[3], accounts[3], signed)


def _art_id(slug: str) -> str:
    return f"art-{slug}"


def _episodes(rng: random.Random, show: Show, count: int, years: tuple[int, ...]) -> list[tuple[datetime, str, str]]:
    """(published, title, description) oldest first; the paused show stops at PAUSED_AFTER."""
    found = []
    for year in years:
        for when in _post_times(rng, year, count):
            place = rng.choice(PLACES)
            if show.slug == "vardagshjaltarna":
                role, quote = rng.choice(ROLES)
                role = role.format(place=place)
                title = f"{role[0].upper()}{role[1:]} – ”{quote}”"
                text = (f"Vad gör en {role} på riktigt? I det här avsnittet får vi följa med en arbetsdag, "
                        f"från första kaffet till sista mötet, och reda ut vad titeln egentligen betyder.\n\n"
                        f"{rng.choice(OUTROS)}")
            elif show.slug == "chefspodden":
                title, text = rng.choice(LEADERSHIP)
                text = f"{text}\n\n{rng.choice(OUTROS)}"
            else:
                title, text = rng.choice(TEEN_TOPICS)
                text = text.format(place=place) + "\n\nFöräldrastöd finns på orebro.se/foraldrastod."
            if show.slug == "chefspodden" and when > PAUSED_AFTER:
                continue  # paused: the draws above are made anyway, so the other feeds stay the same
            found.append((when, title, text))
    return found


def _publish(world: World, rng: random.Random, show: Show, account: WorldAccount,
             episodes: list[tuple[datetime, str, str]]) -> None:
    """Number the episodes, make their files, apply the edition's edit and deletion."""
    fates = _edition_fates(world, episodes) if show.slug == "vardagshjaltarna" else {}
    for number, (when, title, text) in enumerate(episodes, start=1):
        guid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        enclosure = f"ep-{guid.replace('-', '')[:16]}"
        art = f"{enclosure}-art"
        art_data = make_png(rng, number)
        data = make_video(rng, number) if show.media_type == "video/mp4" else make_mp3(rng, title)
        seconds = rng.randrange(900, 3600)
        fate = fates.get(number, "")
        if fate == "deleted":
            continue  # gone from the feed; the draws above were made, so the rest stays identical
        if fate == "edited":
            title, text = f"{title} (uppdaterad)", text + EDIT_NOTE
        world.media[art] = MediaFile(art, PLATFORM, "image/png", art_data)
        world.media[enclosure] = MediaFile(enclosure, PLATFORM, show.media_type, data)
        world.add(Episode(
            id=guid, platform=PLATFORM, account=account.handle, item_type="post", parent_id=None, post_id=guid,
            author=MUNICIPALITY, author_id=account.id, author_is_account=True, published_at=when,
            text=f"{title}\n\n{text}", media=(enclosure, art), number=number, title=title, description=text,
            seconds=seconds,
        ))


def _edition_fates(world: World, episodes: list[tuple[datetime, str, str]]) -> dict[int, str]:
    """Edition 1: in every year, the 2nd episode is edited and the 3rd deleted (never a boundary one)."""
    if world.config.edition < 1:
        return {}
    fates: dict[int, str] = {}
    by_year: dict[int, list[int]] = {}
    for number, (when, _, _) in enumerate(episodes, start=1):
        by_year.setdefault(when.astimezone(STOCKHOLM).year, []).append(number)
    for numbers in by_year.values():
        if len(numbers) >= 4:
            fates[numbers[1]] = "edited"
            fates[numbers[2]] = "deleted"
    return fates


@dataclass(frozen=True)
class Episode(WorldItem):
    """A WorldItem with what only a feed shows."""

    number: int = 0
    title: str = ""
    description: str = ""
    seconds: int = 0


def make_mp3(rng: random.Random, title: str) -> bytes:
    """An ID3v2.4 tag with the title, then MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, mono).

    Real bytes with a correct structure; the frames carry random payloads, not music.
    """
    text = b"\x03" + title.encode("utf-8")  # 3 = UTF-8
    frame = b"TIT2" + _syncsafe(len(text)) + b"\x00\x00" + text
    tag = b"ID3\x04\x00\x00" + _syncsafe(len(frame)) + frame
    header = bytes((0xFF, 0xFB, 0x90, 0xC4))
    frames = [header + bytes(17) + rng.randbytes(417 - 4 - 17) for _ in range(8 + rng.randrange(0, 12))]
    return tag + b"".join(frames)


def make_video(rng: random.Random, index: int) -> bytes:
    """An MP4-shaped file (ftyp, free, mdat boxes): real bytes of the right type, not a playable stream."""
    ftyp = struct.pack(">I4s4sI", 24, b"ftyp", b"isom", 512) + b"isomiso2"
    note = f"smarchive sandbox podcast video {index}".encode()
    free = struct.pack(">I4s", 8 + len(note), b"free") + note
    payload = rng.randbytes(6000 + rng.randrange(0, 6000))
    return ftyp + free + struct.pack(">I4s", 8 + len(payload), b"mdat") + payload


def _syncsafe(size: int) -> bytes:
    return bytes(((size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F))


def permalink(item: WorldItem) -> str:
    """The episode's own page."""
    number = item.number if isinstance(item, Episode) else 0
    return f"/podcast/{item.account}/avsnitt-{number}/"


# --------------------------------------------------------------------------------------- serving


def handle(world: World, request: Request) -> Response:
    """Answer a request whose path starts with /podcast/."""
    path = request.path
    parts = [p for p in path.split("/") if p][1:]
    if request.method != "GET" or not parts:
        return not_found()
    if parts[0] == "media" and len(parts) == 2:
        return media(world, request, parts[1])
    throttled = _throttle(world).check(path + "?" + "&".join(f"{k}={v}" for k, v in sorted(request.query.items())))
    if throttled is not None:
        return throttled
    if path.startswith(TRACKING_PREFIX):
        return _tracking_redirect(request)
    if parts[0] == "dl" and len(parts) == 3:
        return _download_redirect(world, request, parts[1], parts[2])
    if len(parts) == 1 and parts[0].endswith(".rss"):
        show = _show(world, parts[0].removesuffix(".rss"))
        return feed(world, request, show) if show else not_found()
    show = _show(world, parts[0])
    if show is None:
        return not_found()
    if len(parts) == 1:
        return show_page(world, request, show)
    if len(parts) == 2 and parts[1].startswith("avsnitt-"):
        return episode_page(world, request, show, parts[1].removeprefix("avsnitt-"))
    return not_found()


def _throttle(world: World) -> Throttle:
    throttle = world.runtime.get("podcast-throttle")
    if not isinstance(throttle, Throttle):
        throttle = world.runtime["podcast-throttle"] = Throttle(world.config.throttle_every)
    return throttle


def _show(world: World, slug: str) -> Show | None:
    if world.account(PLATFORM, slug) is None:
        return None
    return next((s for s in SHOWS if s.slug == slug), None)


def _episodes_of(world: World, show: Show) -> list[Episode]:
    return [e for e in world.posts(PLATFORM, show.slug) if isinstance(e, Episode)]  # newest first


def _redirect(location: str) -> Response:
    # A body naming the target, as most web servers write one; clients must use the Location header.
    body = f'<html><body><a href="{html.escape(location)}">Found</a></body></html>'
    return Response(302, "text/html; charset=utf-8", body.encode(), [("Location", location),
                                                                       ("Cache-Control", "no-store")])


def _tracking_redirect(request: Request) -> Response:
    """podtrac-style: the prefix is followed by the real URL without its scheme; same host only here."""
    rest = request.path.removeprefix(TRACKING_PREFIX)
    host, _, target = rest.partition("/")
    if host != request.headers.get("host", "") or not target.startswith("podcast/dl/"):
        return not_found()
    return _redirect(f"{request.base_url}/{target}")


def _download_redirect(world: World, request: Request, slug: str, filename: str) -> Response:
    """The host's download URL: a fresh signed, expiring URL on every request."""
    found = world.media.get(filename.rsplit(".", 1)[0])
    if found is None or found.filename != filename or world.account(PLATFORM, slug) is None:
        return not_found()
    return _redirect(f"{request.base_url}{sign_path(found.path, world.secret)}")


def media(world: World, request: Request, filename: str) -> Response:
    found = world.media.get(filename.rsplit(".", 1)[0])
    if found is None or found.platform != PLATFORM or found.filename != filename:
        return not_found()
    if not found.content_type.startswith("image/"):  # artwork is public; episode files are signed
        problem = signature_problem(request, world.secret)
        if problem is not None:
            return problem
    headers = [("Cache-Control", "private, max-age=300"), ("Accept-Ranges", "none"),
               ("ETag", f'"{found.sha256[:32]}"')]
    return Response(200, found.content_type, found.data, headers, compressible=False)


def enclosure_url(base: str, host: str, episode: Episode, found: MediaFile) -> str:
    return f"{base}{TRACKING_PREFIX}{host}/podcast/dl/{episode.account}/{found.filename}"


def _date(moment: datetime, style: str) -> str:
    if style == "gmt":
        return format_datetime(moment.astimezone(UTC), usegmt=True)
    return format_datetime(moment.astimezone(STOCKHOLM))


def _duration(seconds: int, style: str) -> str:
    if style == "seconds":
        return str(seconds)
    if style == "ms":
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _x(text: str) -> str:
    return xml_escape(text, {'"': "&quot;"})


def _item_xml(world: World, request: Request, show: Show, episode: Episode) -> str:
    audio, art = (world.media[m] for m in episode.media)
    base = request.base_url
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in episode.description.split("\n\n"))
    return f"""
    <item>
      <title>{_x(episode.title)}</title>
      <description>{_x(episode.description)}</description>
      <content:encoded><![CDATA[{paragraphs}]]></content:encoded>
      <link>{_x(base + permalink(episode))}</link>
      <guid isPermaLink="false">{episode.id}</guid>
      <pubDate>{_date(episode.published_at, show.date_style)}</pubDate>
      <enclosure url="{_x(enclosure_url(base, request.headers.get('host', ''), episode, audio))}" \
length="{len(audio.data)}" type="{audio.content_type}"/>
      <itunes:title>{_x(episode.title)}</itunes:title>
      <itunes:episode>{episode.number}</itunes:episode>
      <itunes:episodeType>full</itunes:episodeType>
      <itunes:duration>{_duration(episode.seconds, show.duration_style)}</itunes:duration>
      <itunes:image href="{_x(base + art.path)}"/>
      <itunes:explicit>false</itunes:explicit>
    </item>"""


def feed(world: World, request: Request, show: Show) -> Response:
    episodes = _episodes_of(world, show)
    page = (request.query.get("page") or ["1"])[0]
    if not page.isdigit() or int(page) < 1:
        return not_found()
    number = int(page)
    chunk = episodes[(number - 1) * FEED_PAGE : number * FEED_PAGE]
    if number > 1 and not chunk:
        return not_found()
    base = request.base_url
    self_url = f"{base}/podcast/{show.slug}.rss"
    paging = f'<atom:link href="{_x(self_url)}" rel="first"/>' if number > 1 else ""
    if number * FEED_PAGE < len(episodes):
        paging += f'\n    <atom:link href="{_x(self_url)}?page={number + 1}" rel="next"/>'
    built = episodes[0].published_at if episodes else datetime(2020, 1, 1, tzinfo=UTC)
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" \
xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" \
xmlns:podcast="https://podcastindex.org/namespace/1.0">
  <channel>
    <title>{_x(show.title)}</title>
    <podcast:guid>{show_guid(show.slug)}</podcast:guid>
    <link>{_x(f"{base}/podcast/{show.slug}/")}</link>
    <atom:link href="{_x(self_url + ('' if number == 1 else f'?page={number}'))}" rel="self" \
type="application/rss+xml"/>
    {paging}
    <language>sv</language>
    <copyright>© Örebro kommun</copyright>
    <description>{_x(show.description)}</description>
    <lastBuildDate>{_date(built, show.date_style)}</lastBuildDate>
    <itunes:author>{MUNICIPALITY}</itunes:author>
    <itunes:owner><itunes:name>{MUNICIPALITY}</itunes:name><itunes:email>kommunikation@orebro.example\
</itunes:email></itunes:owner>
    <itunes:image href="{_x(base + world.media[_art_id(show.slug)].path)}"/>
    <itunes:category text="Government"/>
    <itunes:explicit>false</itunes:explicit>
    <itunes:type>episodic</itunes:type>{"".join(_item_xml(world, request, show, e) for e in chunk)}
  </channel>
</rss>
"""
    return Response(200, FEED_TYPE, xml.encode("utf-8"), [("Cache-Control", "max-age=60")])


# --------------------------------------------------------------------------------------- pages

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f1ec;color:#222}
header{background:#1d3557;color:#fff;padding:16px 24px}header a{color:#fff}
main{max-width:760px;margin:0 auto;padding:16px}
.episode{background:#fff;border-radius:8px;padding:16px;margin:12px 0;display:flex;gap:16px}
.episode img{width:96px;height:72px;border-radius:4px}.episode h2{font-size:1.1em;margin:0 0 6px}
audio,video{width:100%;margin-top:8px}.meta{color:#666;font-size:.85em}
"""


def _page(title: str, show: Show, body: str, request: Request) -> Response:
    feed_url = f"{request.base_url}/podcast/{show.slug}.rss"
    return html_response(f"""<!doctype html>
<html lang="sv">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<link rel="alternate" type="application/rss+xml" title="{html.escape(show.title)}" href="{html.escape(feed_url)}">
<style>{STYLE}</style>
</head>
<body>
<header><a href="/podcast/{show.slug}/">{html.escape(show.title)}</a> · en podd från {MUNICIPALITY}</header>
<main>
{body}
</main>
</body>
</html>
""")


def _player(world: World, request: Request, episode: Episode, preload: str) -> str:
    found = world.media[episode.media[0]]
    tag = "video" if found.content_type.startswith("video/") else "audio"
    src = enclosure_url(request.base_url, request.headers.get("host", ""), episode, found)
    return (f'<{tag} controls preload="{preload}" src="{html.escape(src)}">'
            f'<a href="{html.escape(src)}">Ladda ner avsnittet</a></{tag}>')


def _local(moment: datetime) -> str:
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d")


def show_page(world: World, request: Request, show: Show) -> Response:
    blocks = []
    for episode in _episodes_of(world, show):
        art = world.media[episode.media[1]]
        short = episode.description if len(episode.description) <= SHOW_TRUNCATE else (
            episode.description[:SHOW_TRUNCATE].rstrip() + "… <a href=\"" + permalink(episode) + "\">Visa mer</a>")
        short = short if short.endswith("</a>") else html.escape(short)
        blocks.append(f"""<article class="episode" data-guid="{episode.id}">
<img src="{art.path}" alt="" loading="lazy" width="96" height="72">
<div><h2><a href="{permalink(episode)}">{html.escape(episode.title)}</a></h2>
<p class="meta">Avsnitt {episode.number} · {_local(episode.published_at)}</p>
<p>{short}</p>
{_player(world, request, episode, "none")}</div>
</article>""")
    intro = f"<h1>{html.escape(show.title)}</h1><p>{html.escape(show.description)}</p>"
    if not blocks:
        blocks.append("<p>Inga avsnitt ännu.</p>")
    return _page(f"{show.title} – podd", show, intro + "\n".join(blocks), request)


def episode_page(world: World, request: Request, show: Show, number: str) -> Response:
    episode = next((e for e in _episodes_of(world, show) if str(e.number) == number), None)
    if episode is None:
        return not_found("Avsnittet finns inte")
    art = world.media[episode.media[1]]
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in episode.description.split("\n\n"))
    body = f"""<article class="episode" data-guid="{episode.id}">
<img src="{art.path}" alt="Omslagsbild" width="96" height="72">
<div><h1>{html.escape(episode.title)}</h1>
<p class="meta">Avsnitt {episode.number} · {_local(episode.published_at)} · {episode.seconds // 60} min</p>
{paragraphs}
{_player(world, request, episode, "metadata")}</div>
</article>"""
    return _page(f"{episode.title} – {show.title}", show, body, request)


def show_links() -> list[tuple[str, str]]:
    """(title, slug) of every show, in the order the municipality lists them."""
    return [(s.title, s.slug) for s in SHOWS]

