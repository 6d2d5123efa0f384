"""The sandbox's world: accounts, items and media, built deterministically from a seed.

Year rule (the archive's, and the truth's): a post belongs to the year of its publication in
Europe/Stockholm local time. Its comments and replies belong to their post's year, even when
written in the next year, because a thread is archived with its post, in context. The content
includes the hard cases on purpose: every year opens with a post just after midnight on
1 January (Stockholm), which is still 31 December in UTC, and closes with a post late on
31 December whose comments and replies are all written in January of the next year.

This module is platform-neutral: a World holds accounts per platform and their items; the pages
and APIs that show them are rendered elsewhere (sandbox/facebook.py for Facebook). Another
platform adds a `_build_<platform>` function here and a renderer module beside facebook.py.
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from smarchive.errors import ConfigError
from smarchive.model import STOCKHOLM  # the sandbox's pages show Swedish time, like the real platforms

MUNICIPALITY = "Örebro kommun"


@dataclass(frozen=True)
class SandboxConfig:
    """What the world is built from. comments_per_post is an upper bound; counts vary per post."""

    seed: int = 1748
    years: tuple[int, ...] = (2023, 2024, 2025)
    posts_per_year: int = 12
    comments_per_post: int = 6
    # 0: the world as first captured; 1: a later state of the same world, where each platform has
    # edited one post and deleted another (what a second run of the same year must cope with).
    edition: int = 0
    # Every n-th distinct page (or API call) is answered 429 once, with Retry-After: 1. 0 = never.
    throttle_every: int = 7
    # Transient faults (sandbox/web.py Faults), once for every n-th distinct page or API answer; 0 = never.
    fail_every: int = 0  # HTTP 500
    hang_every: int = 0  # no answer for hang_seconds, then the answer
    malformed_every: int = 0  # JSON/XML cut in half, status 200
    hang_seconds: float = 35.0  # longer than a browser's 30 s navigation timeout
    binary_every: int = 0  # bytes that are not UTF-8 where JSON or HTML is expected, status 200
    # Hostile input (make_hostile): control characters, a 1 MB post, text that breaks HTML, a 50 MB
    # image, and pages whose HTML is broken at the end. Off by default: the truth then changes.
    hostile: bool = False
    # Which generation of its data each platform serves: the current one by default, older ones on request.
    # LinkedIn: "dash" (2023+: normalized answers, entities side by side in `included[]`, replies known only
    # from their parent's SocialDetail) or "nested" (entities inside each other, replies with parentCommentUrn).
    linkedin_generation: str = "dash"
    # Instagram: "2023" (xdt GraphQL POST answers and JSON in the
    # page, as the site sends today) or "2019" (window._sharedData and GraphQL edge_* answers).
    instagram_generation: str = "2023"
    # YouTube's comment answers: "2024" (today's: commentViewModel, content in
    # frameworkUpdates commentEntityPayload) or "2020" (commentThreadRenderer > commentRenderer, the video id only
    # in the published-time link).
    youtube_generation: str = "2024"
    # Facebook: "comet" (today's www: GraphQL answers and JSON in the page) or "basic" (mbasic.facebook.com's plain
    # HTML of 2014-2022: data-ft posts, comments by element id, replies on their own pages; facebook_basic.py).
    facebook_generation: str = "comet"
    # Facebook posts (by post id) whose "N svar" buttons are broken: the click is answered, but with no reply,
    # while each comment still shows its reply count. A capture then misses those replies, as when a real
    # platform hides them; coverage must report exactly these posts short. Empty: every button works.
    broken_reply_buttons: tuple[str, ...] = ()
    # Instagram forgets a logged-in session once: the n-th profile or post page a logged-in browser opens (counted
    # over all browsers on the sandbox) is answered as to a logged-out one, a login wall. 0 = never. The world and
    # its truth stay the same; the capture that meets the wall fails its account (and backs off, scaleout/courtesy).
    login_wall_after: int = 0
    # Posts (by post id, any platform) the platforms' pages and APIs never show, with their threads, while the
    # truth and the accounts' own exports (`sandbox export`) still hold them: what a capture misses and only
    # the export has (#18). Empty: every post is shown.
    hidden_posts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # From TOML these are lists of ids (strings or numbers); kept as tuples of strings (hashable, comparable).
        object.__setattr__(self, "broken_reply_buttons", tuple(str(p) for p in self.broken_reply_buttons))
        object.__setattr__(self, "hidden_posts", tuple(str(p) for p in self.hidden_posts))


@dataclass(frozen=True)
class WorldAccount:
    """An account on a platform, e.g. the municipality's Facebook page."""

    platform: str
    handle: str  # the platform's name for it, used in URLs
    name: str
    id: str  # the platform's numeric id


EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "video/mp4": ".mp4", "video/webm": ".webm",
              "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/ogg": ".ogg"}


@dataclass(frozen=True)
class MediaFile:
    """A generated media file; `path` is where the sandbox serves it."""

    id: str
    platform: str
    content_type: str
    data: bytes

    @property
    def filename(self) -> str:
        return f"{self.id}{EXTENSIONS.get(self.content_type, '.bin')}"

    @property
    def path(self) -> str:
        return f"/{self.platform}/media/{self.filename}"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class WorldItem:
    """A post, comment or reply as published."""

    id: str
    platform: str
    account: str  # WorldAccount.handle
    item_type: str  # post | comment | reply
    parent_id: str | None
    post_id: str
    author: str
    author_id: str
    author_is_account: bool
    published_at: datetime  # UTC
    text: str
    media: tuple[str, ...] = ()  # MediaFile ids
    reactions: int = 0


@dataclass
class World:
    config: SandboxConfig
    accounts: dict[str, list[WorldAccount]] = field(default_factory=dict)  # platform -> accounts
    items: list[WorldItem] = field(default_factory=list)
    media: dict[str, MediaFile] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_id: dict[str, WorldItem] = {}
        self._children: dict[str, list[WorldItem]] = {}
        # State of a running server (throttle counters and the like), kept apart from the content.
        self.runtime: dict[str, object] = {}

    @property
    def secret(self) -> str:
        """Signs media URLs and session cookies; from the seed, so valid across restarts."""
        return f"sandbox-secret-{self.config.seed}"

    def add(self, item: WorldItem) -> None:
        self.items.append(item)
        self._by_id[item.id] = item
        if item.parent_id is not None:
            self._children.setdefault(item.parent_id, []).append(item)

    def account(self, platform: str, handle: str) -> WorldAccount | None:
        return next((a for a in self.accounts.get(platform, []) if a.handle == handle), None)

    def item(self, item_id: str) -> WorldItem | None:
        return self._by_id.get(item_id)

    def posts(self, platform: str, handle: str) -> list[WorldItem]:
        """The account's posts, newest first (timeline order)."""
        found = [i for i in self.items if i.platform == platform and i.account == handle and i.item_type == "post"]
        return sorted(found, key=lambda i: (i.published_at, i.id), reverse=True)

    def children(self, parent_id: str) -> list[WorldItem]:
        """Comments of a post or replies of a comment, oldest first (display order)."""
        return sorted(self._children.get(parent_id, []), key=lambda i: (i.published_at, i.id))

    def archive_year(self, item: WorldItem) -> int:
        """The year rule: the Stockholm year of the item's post."""
        post = self._by_id.get(item.post_id, item)
        return stockholm_year(post.published_at)


def shown_world(config: SandboxConfig | None = None) -> World:
    """The world as the platforms show it: `build_world`, without the posts of `config.hidden_posts` and their
    threads (their media files stay on the CDN). A hidden id that is no post of the world is an error, so a
    typo does not silently hide nothing."""
    world = build_world(config)
    hidden = set(world.config.hidden_posts)
    if not hidden:
        return world
    posts = {i.id for i in world.items if i.item_type == "post"}
    unknown = sorted(hidden - posts)
    if unknown:
        raise ConfigError(f"[sandbox] hidden_posts: no post {', '.join(unknown)} in the sandbox's world "
                          "(see `sandbox truth`)")
    shown = World(config=world.config, accounts=world.accounts, media=world.media)
    for item in world.items:
        if item.post_id not in hidden:
            shown.add(item)
    return shown


def stockholm_year(moment: datetime) -> int:
    return moment.astimezone(STOCKHOLM).year


def build_world(config: SandboxConfig | None = None) -> World:
    """Same config, same world, byte for byte (texts, times, ids and image bytes).

    Each platform draws from its own random stream, so adding a platform changes no other's content.
    """
    from smarchive.sandbox.platforms import builders

    config = config or SandboxConfig()
    world = World(config=config)
    for name, build in builders():
        build(world, random.Random(config.seed if name == "facebook" else f"{config.seed}-{name}"))
    if config.hostile:
        make_hostile(world)
    return world


# Text no archive may change: C0 controls (NUL, BEL, ESC, VT, FF), DEL, a C1 control, bidi override,
# a byte order mark, zero-width characters; tab and CRLF kept as written.
CONTROL_TEXT = ("Kontrolltecken:\x00NUL \x07BEL \x1b[31mESC\x1b[0m \x0bVT\x0cFF \x7fDEL \x85NEL "
                "\u202egnidnäv\u202c \ufeffBOM \u200bZWSP\u200d \ttab\r\nCRLF slut")
# Text that closes or opens markup wherever it lands unescaped.
MARKUP_TEXT = ('</script></textarea></div><!-- <script>alert("x")</script> <![CDATA[ ]]> '
               "&amp;&lt;&#0;&#xD800; <p <b>fet</i> ]]> -->")
HUGE_TEXT_CHARS = 1_000_000
HUGE_MEDIA_BYTES = 50 * 1024 * 1024


def make_hostile(world: World) -> None:
    """The first account of each platform gets, in every year: a post of control characters (whose first
    comment breaks markup), a post of 1 MB of text; Facebook's, in the middle year (2024), one 50 MB image
    (a PNG with trailing bytes)."""
    for platform, accounts in world.accounts.items():
        if not accounts:
            continue
        posts = sorted(world.posts(platform, accounts[0].handle), key=lambda i: (i.published_at, i.id))
        by_year: dict[int, list[WorldItem]] = {}
        for post in posts:
            by_year.setdefault(world.archive_year(post), []).append(post)
        for year, year_posts in by_year.items():
            if len(year_posts) >= 2:
                _retext(world, year_posts[0], CONTROL_TEXT)
                _retext(world, year_posts[1], _huge_text())
                comments = world.children(year_posts[0].id)
                if comments:
                    _retext(world, comments[0], MARKUP_TEXT)
            images = [m for p in year_posts for m in p.media if world.media[m].content_type == "image/png"]
            # One huge file is enough (the sandbox keeps its world in memory): Facebook, the middle year.
            if images and platform == "facebook" and year == world.config.years[len(world.config.years) // 2]:
                _make_huge(world, images[0])


def _make_huge(world: World, media_id: str) -> None:
    big = world.media[media_id]
    padding = random.Random(big.id).randbytes(HUGE_MEDIA_BYTES - len(big.data))
    world.media[big.id] = replace(big, data=big.data + padding)  # bytes after IEND: still a valid PNG


def _huge_text() -> str:
    line = "Örebro kommun informerar: snöröjning, förskola, bibliotek och badplatser – läs mer på orebro.se. "
    return (line * (HUGE_TEXT_CHARS // len(line) + 1))[:HUGE_TEXT_CHARS]


def _retext(world: World, item: WorldItem, text: str) -> None:
    changed = replace(item, text=text)
    world.items[world.items.index(item)] = changed
    world._by_id[item.id] = changed
    if item.parent_id is not None:
        siblings = world._children[item.parent_id]
        siblings[siblings.index(item)] = changed


# ---------------------------------------------------------------------------------------------
# Images: small PNGs, one distinct pattern per file (colours from the seed, the index as bits).


def make_png(rng: random.Random, index: int, width: int = 64, height: int = 48) -> bytes:
    base = (rng.randrange(40, 220), rng.randrange(40, 220), rng.randrange(40, 220))
    accent = tuple(255 - c for c in base)
    stripe = rng.randrange(3, 9)
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type "None" for every scanline
        for x in range(width):
            if y < 4:  # a bar encoding the index keeps every image distinct
                bit = (index >> (x // 2)) & 1
                pixel = (255, 255, 255) if bit else (0, 0, 0)
            else:
                pixel = accent if ((x + y) // stripe) % 2 else base
            row.extend(pixel)
        rows.append(bytes(row))
    raw = b"".join(rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(
        b"IEND", b""
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


# ---------------------------------------------------------------------------------------------
# Facebook content: the municipality's page, citizens' comments, replies.

PLACES = (
    "Vivalla", "Baronbackarna", "Brickebacken", "Adolfsberg", "Lillån", "Mosås", "Rynninge", "Hovsta",
    "Oxhagen", "Varberga", "Markbacken", "Tybble", "Sörbyängen", "Haga", "Norrby", "Almby",
)

CITIZENS = (
    "Anna Lindqvist", "Mohammed Al-Hassan", "Karin Pettersson", "Erik Johansson", "Fatima Yusuf",
    "Lars-Göran Berg", "Sara Öberg", "Mikael Nyström", "Åsa Ek", "Jonas Hedlund", "Leila Karimi",
    "Björn Åkesson", "Emma Sjögren", "Per Ståhl", "Hanna Wallin", "Ahmed Nur", "Ingrid Holm",
    "Oskar Lund", "Maja Eriksson", "Gunnel Andersson",
)

POST_TEXTS = (
    "Snöröjningen är igång i hela kommunen sedan klockan 04. Huvudgator och busslinjer plogas först, "
    "därefter gång- och cykelvägar och sist bostadsgator. Tack för ert tålamod! ❄️",
    "Nu öppnar vi biblioteket i {place} igen efter renoveringen. Välkommen på invigning på lördag klockan "
    "11–14 med sagostund, fika och boktips från personalen. 📚",
    "Ansökan till förskola inför hösten är öppen. Ansök senast fyra månader innan du behöver plats. "
    "Du ansöker via e-tjänsten på orebro.se.",
    "Vägarbete på Drottninggatan vecka {week}. Busstrafiken leds om via Fabriksgatan. Räkna med längre "
    "restid i rusningstrafik.",
    "Badplatserna öppnar för säsongen! Vattenprover tas varannan vecka vid Gustavsvik, Ånnaboda och "
    "Hampetorp. Resultaten hittar du på orebro.se/bad. ☀️🏊",
    "Helgens evenemang i Kulturkvarteret: konsert med Örebro kammarorkester, barnteater och en "
    "utställning om stadens historia. Fri entré till utställningen.",
    "Lediga jobb: vi söker sommarvikarier till äldreomsorgen och hemtjänsten i {place}. Sista "
    "ansökningsdag är den 15 mars. Välkommen med din ansökan!",
    "Snart är det val. Förtidsröstningen öppnar den 21 augusti i Medborgarhuset, på biblioteken och i "
    "Krämaren. Ta med giltig id-handling. 🗳️",
    "Från och med måndag byggs lekplatsen i {place} om. Den nya lekplatsen får gungor för alla åldrar, "
    "en tillgänglig sandlåda och fler sittplatser.",
    "Tyck till om den nya parken vid Svartån! Vi vill veta vad du tycker om förslaget. Lämna dina "
    "synpunkter senast den 30 april.",
)

LONG_POST = (
    "Vintern är här och vi vill berätta hur snöröjningen fungerar i Örebro kommun.\n\n"
    "När det har snöat mer än fem centimeter börjar vi ploga. Först plogas huvudgator, busslinjer och "
    "viktiga gång- och cykelvägar. Därefter plogas lokalgator och sist bostadsgator och parkeringar.\n\n"
    "Det kan ta upp till tre dygn efter att det slutat snöa innan alla gator i {place} och andra "
    "bostadsområden är plogade. Vi sandar också där det är halt, särskilt vid busshållplatser, "
    "övergångsställen och backar.\n\n"
    "Har du frågor om snöröjningen eller vill göra en felanmälan? Kontakta Servicecenter på "
    "019-21 10 00 eller via orebro.se/felanmalan. Tack för att du visar hänsyn till plogbilarna! 🚜❄️"
)

NEW_YEAR_POST = "Gott nytt år från oss alla på Örebro kommun! 🎆 Tack för {prev} och välkommen {year}."
NEW_YEAR_EVE_POST = (
    "Snart är det tolvslaget. Tänk på att fyrverkerier kräver tillstånd i centrala Örebro. "
    "Var rädda om varandra och om djuren ikväll. Gott nytt år! 🎇"
)

COMMENT_TEXTS = (
    "Tack för informationen!",
    "👍❤️",
    "👏👏",
    "Varför plogas inte {place}? Har inte sett en plogbil på tre dagar.",
    "När öppnar det igen?",
    "Så bra! Äntligen 😊",
    "Kan man ta med hund dit?",
    "Jag har skickat in en anmälan om detta, ärende BN 2024-00123. Hur går det med den?",
    "Hur ska man kunna ta sig fram med rullator när ingen sandar?? Skandal.",
    "Fantastiskt fin utställning, vi var där i söndags med barnen!",
    "Förslag: sätt upp fler papperskorgar vid lekplatsen i {place}.",
    "haha ja det var ju en tidsfråga 😂",
    "vart ska man vända sig om man vill söka, finns det nån länk",
    "Gatlyset på min gata i {place} har varit släckt i två veckor. Vem ansvarar för det?",
    "Gott nytt år på er med! 🥂",
    "Tack till alla som jobbar med detta, ni gör ett bra jobb.",
    "Tack för infromationen men när öppnar bibloteket igen??",
)

LONG_COMMENT = (
    "Jag vill lämna en synpunkt. Vi som bor i {place} har under flera vintrar märkt att vår gata "
    "plogas sist av alla, ibland först efter fyra dagar. Det gör att äldre grannar inte kommer ut "
    "och hemtjänsten får svårt att ta sig fram.\n\n"
    "Jag förstår att huvudgatorna måste gå först, men kan ni se över ordningen? Vi har också "
    "ringt Servicecenter men inte fått något svar. Tacksam för återkoppling.\n\n"
    "Mvh en trött granne"
)

REPLY_FROM_MUNICIPALITY = (
    "Hej! Vi har skickat vidare till ansvarig enhet. Du kan också kontakta Servicecenter på 019-21 10 00.",
    "Hej och tack för att du hör av dig! Vi återkommer så snart vi vet mer.",
    "Hej! Det stämmer, det öppnar igen på måndag. Välkommen!",
    "Hej! Gör gärna en felanmälan via orebro.se/felanmalan så att vi kan åtgärda det.",
)

REPLY_FROM_CITIZEN = (
    "Håller med!",
    "Samma här i {place}.",
    "Det står på hemsidan 🙂",
    "Precis vad jag tänkte också",
    "❤️",
)


SIGN_LANGUAGE = "Örebro kommun – Teckenspråk"

SIGN_POST_TEXTS = (
    "Information på teckenspråk: så fungerar snöröjningen i {place} i vinter. Videon är textad. 🤟",
    "Teckenspråkstolkad information om förskola: så ansöker du om plats inför hösten.",
    "På teckenspråk: biblioteket i {place} har öppet igen. Välkommen på visning med teckenspråkstolk på "
    "lördag klockan 11.",
    "Nyheter från Örebro kommun på teckenspråk, vecka {week}: vägarbeten, evenemang i Kulturkvarteret och "
    "lediga jobb.",
    "Teckenspråk: badplatserna öppnar för säsongen. Vi berättar om vattenprover och tillgängliga badplatser.",
    "Information på teckenspråk om valet: här kan du förtidsrösta och så tar du dig dit.",
)

EDITED_SUFFIX = "\n\nUppdatering: informationen har ändrats sedan inlägget publicerades. Se orebro.se för det senaste."

# Edition 1 (a later state of the same world): per account and year, the post at this chronological
# index is edited and the one at the next is deleted (with its thread). Neither is a boundary post.
EDITED_INDEX = 1
DELETED_INDEX = 2


@dataclass(frozen=True)
class FacebookItem(WorldItem):
    """A WorldItem with what only Facebook shows: an edit marker, a pinned post."""

    edited_at: datetime | None = None  # set when the text was edited after publication ("Redigerat")
    pinned: bool = False  # shown first on the timeline whatever its age


def build_facebook(world: World, rng: random.Random) -> None:
    """Two Pages: the municipality's main Page and its sign-language Page (video posts)."""
    main = WorldAccount(platform="facebook", handle="orebrokommun", name=MUNICIPALITY, id="100064545367913")
    signs = WorldAccount(platform="facebook", handle="orebrokommunteckensprak", name=SIGN_LANGUAGE,
                         id="100069281736520")
    world.accounts["facebook"] = [main, signs]
    ids: set[str] = set()
    _build_facebook_page(world, rng, main, ids, world.config.posts_per_year, video=False)
    # Its own stream, so the main Page's content does not depend on the sign-language Page's.
    sign_rng = random.Random(f"{world.config.seed}-facebook-teckensprak")
    _build_facebook_page(world, sign_rng, signs, ids, max(4, world.config.posts_per_year // 2), video=True)


def _build_facebook_page(world: World, rng: random.Random, page: WorldAccount, ids: set[str], count: int,
                         video: bool) -> None:
    for year in world.config.years:
        for index, when in enumerate(_post_times(rng, year, count)):
            thread = _facebook_thread(world, rng, page, ids, year, index, count, when, video)
            fate = _edition_fate(world, index, count)
            if fate == "deleted":  # gone from the platform with its thread (its media files stay on the CDN)
                continue
            post = thread[0]
            if fate == "edited":
                edited_at = post.published_at + timedelta(days=2, hours=3)
                post = replace(post, text=post.text + EDITED_SUFFIX, edited_at=edited_at)
            if year == world.config.years[0] and index == count - 1:
                post = replace(post, pinned=True)  # pinned: older than every later year's posts
            for item in (post, *thread[1:]):
                world.add(item)


def _edition_fate(world: World, index: int, count: int) -> str:
    if world.config.edition < 1 or count < 4:
        return ""
    return {EDITED_INDEX: "edited", DELETED_INDEX: "deleted"}.get(index, "")


def facebook_pinned(world: World, handle: str) -> WorldItem | None:
    """The account's pinned post, if any."""
    return next((p for p in world.posts("facebook", handle) if getattr(p, "pinned", False)), None)


def make_video(rng: random.Random, index: int, size: int = 48 * 1024) -> bytes:
    """A small deterministic MP4-shaped file (ftyp, free, mdat boxes): real bytes, not a playable stream."""
    ftyp = struct.pack(">I4s4sI", 24, b"ftyp", b"isom", 512) + b"isomiso2"
    note = f"smarchive sandbox video {index}".encode()
    free = struct.pack(">I4s", 8 + len(note), b"free") + note
    payload = rng.randbytes(size)
    mdat = struct.pack(">I4s", 8 + len(payload), b"mdat") + payload
    return ftyp + free + mdat


def _add_video(world: World, rng: random.Random, owner_id: str) -> tuple[str, ...]:
    """A poster image and the progressive MP4 of a video post."""
    poster = _add_media(world, rng, "facebook", owner_id, 1)
    media_id = f"{owner_id}v"
    world.media[media_id] = MediaFile(id=media_id, platform="facebook", content_type="video/mp4",
                                      data=make_video(rng, len(world.media)))
    return (*poster, media_id)


def _post_times(rng: random.Random, year: int, count: int) -> list[datetime]:
    """Spread over the year; the first just after New Year, the last just before the next one."""
    times: list[datetime] = []
    for index in range(count):
        if index == 0:
            local = datetime(year, 1, 1, 0, rng.randrange(5, 50), tzinfo=STOCKHOLM)
        elif index == count - 1:
            local = datetime(year, 12, 31, 22, rng.randrange(30, 59), tzinfo=STOCKHOLM)
        else:
            day = 10 + (index * 340) // max(count - 1, 1) + rng.randrange(0, 4)
            local = datetime(year, 1, 1, rng.randrange(7, 20), rng.randrange(0, 60), tzinfo=STOCKHOLM)
            local += timedelta(days=day - 1)
        times.append(local.astimezone(UTC))
    return times


def _new_id(rng: random.Random, ids: set[str]) -> str:
    while True:
        candidate = str(rng.randrange(10**15, 10**16))
        if candidate not in ids:
            ids.add(candidate)
            return candidate


def _citizen(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(CITIZENS)
    return name, "1000" + str(int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**11).zfill(11)


def _fill(rng: random.Random, template: str, when: datetime) -> str:
    local = when.astimezone(STOCKHOLM)
    return template.format(
        place=rng.choice(PLACES), week=local.isocalendar()[1], year=local.year, prev=local.year - 1
    )


def _post_text(rng: random.Random, index: int, count: int, when: datetime) -> str:
    if index == 0:
        return _fill(rng, NEW_YEAR_POST, when)
    if index == count - 1:
        return NEW_YEAR_EVE_POST
    if index % 5 == 2:
        return _fill(rng, LONG_POST, when)
    return _fill(rng, rng.choice(POST_TEXTS), when)


def _add_media(world: World, rng: random.Random, platform: str, owner_id: str, count: int) -> tuple[str, ...]:
    found = []
    for k in range(count):
        media_id = f"{owner_id}{k}"
        data = make_png(rng, len(world.media))
        world.media[media_id] = MediaFile(id=media_id, platform=platform, content_type="image/png", data=data)
        found.append(media_id)
    return tuple(found)


def _comment_count(rng: random.Random, index: int, count: int, upper: int) -> int:
    if index == count - 1:
        return upper  # the New Year's Eve thread: all in January, and more than one page
    if index == 1:
        return 0  # one post with no comments at all
    # Skewed so that most posts have a thread longer than the first page (2 comments).
    return min(upper, rng.choice((0, 1, 2, upper, upper, upper)))


def _facebook_thread(
    world: World, rng: random.Random, page: WorldAccount, ids: set[str], year: int, index: int, count: int,
    when: datetime, video: bool,
) -> list[WorldItem]:
    """A post with its comments and replies, not yet added to the world."""
    post_id = _new_id(rng, ids)
    if video:
        text = _fill(rng, rng.choice(SIGN_POST_TEXTS), when)
        media = _add_video(world, rng, post_id)
    else:
        text = _post_text(rng, index, count, when)
        media = _add_media(world, rng, "facebook", post_id, rng.choice((0, 1, 1, 1, 2, 3)) if index != 1 else 1)
    post = FacebookItem(
        id=post_id, platform="facebook", account=page.handle, item_type="post", parent_id=None,
        post_id=post_id, author=page.name, author_id=page.id, author_is_account=True, published_at=when,
        text=text, media=media, reactions=rng.randrange(0, 400),
    )
    thread: list[WorldItem] = [post]
    moment = when
    if index == count - 1:  # comments after midnight: written next year, archived with this post
        moment = datetime(year + 1, 1, 1, 0, 0, tzinfo=STOCKHOLM).astimezone(UTC)
    for _ in range(_comment_count(rng, index, count, world.config.comments_per_post)):
        moment += timedelta(minutes=rng.randrange(1, 900))
        thread += _comment_thread(world, rng, page, ids, post, moment)
    return thread


def _comment_thread(
    world: World, rng: random.Random, page: WorldAccount, ids: set[str], post: WorldItem, when: datetime
) -> list[WorldItem]:
    comment_id = _new_id(rng, ids)
    roll = rng.random()
    if roll < 0.08:
        author, author_id, is_page = page.name, page.id, True
        text = rng.choice(REPLY_FROM_MUNICIPALITY)
    else:
        (author, author_id), is_page = _citizen(rng), False
        text = _fill(rng, LONG_COMMENT if roll > 0.9 else rng.choice(COMMENT_TEXTS), when)
    media = _add_media(world, rng, "facebook", comment_id, 1) if rng.random() < 0.12 else ()
    comment = FacebookItem(
        id=comment_id, platform="facebook", account=page.handle, item_type="comment", parent_id=post.id,
        post_id=post.id, author=author, author_id=author_id, author_is_account=is_page, published_at=when,
        text=text, media=media, reactions=rng.randrange(0, 30),
    )
    thread: list[WorldItem] = [comment]
    replies = rng.choice((0, 0, 0, 1, 1, 2, 4))
    moment = when
    for _ in range(replies):
        moment += timedelta(minutes=rng.randrange(3, 600))
        thread.append(_reply(rng, page, ids, comment, moment))
    return thread


def _reply(rng: random.Random, page: WorldAccount, ids: set[str], comment: WorldItem, when: datetime) -> WorldItem:
    if rng.random() < 0.5:
        author, author_id, is_page = page.name, page.id, True
        text = rng.choice(REPLY_FROM_MUNICIPALITY)
    else:
        (author, author_id), is_page = _citizen(rng), False
        text = _fill(rng, rng.choice(REPLY_FROM_CITIZEN), when)
    return FacebookItem(
        id=_new_id(rng, ids), platform="facebook", account=page.handle, item_type="reply",
        parent_id=comment.id, post_id=comment.post_id, author=author, author_id=author_id,
        author_is_account=is_page, published_at=when, text=text, reactions=rng.randrange(0, 10),
    )
