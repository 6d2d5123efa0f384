"""The Instagram imitation: profiles, post pages, login, consent and a GraphQL-like API, from a World.

What it imitates (and why), after the real site and the saved pages in real-world/ig-html-pages:
- Logged out, a profile shows three posts under a "Logga in" modal and the API answers 401
  `require_login`; a post page redirects to the login form. Logged in (cookie `sessionid` from
  the login form's `POST /instagram/accounts/login/ajax/`), the grid loads posts by cursor.
- Every page is an app shell: the data sits in `window._sharedData` (like the 2019 pages:
  entry_data.ProfilePage[0].graphql.user / entry_data.PostPage[0].graphql.shortcode_media) and
  a script renders it. A cookie dialog hides everything until answered.
- Captions are cut behind "… mer"; a post shows its first comments, the rest come behind
  "Läs in fler kommentarer", replies behind "Visa svar (N)"; a carousel shows one image at a
  time ("Nästa"); a video plays by MediaSource unless that is unsupported, then from the
  progressive mp4. Times on screen are relative ("3 v"); exact epochs live in the JSON.
- Media URLs are signed and expire (web.sign_path); pages and API calls are throttled (429).
- With SandboxConfig.login_wall_after = n, the n-th profile or post page a logged-in browser opens is answered
  as to a logged-out one, once (the real site's way of showing a session it no longer trusts a login wall).

Two generations of the data, chosen by SandboxConfig.instagram_generation:
- "2019": GraphQL GET /instagram/graphql/query/?query_hash=H&variables=JSON, pages with `_sharedData.entry_data`:
  TIMELINE_HASH {id, first, after}          -> data.user.edge_owner_to_timeline_media
  COMMENTS_HASH {shortcode, first, after}   -> data.shortcode_media.edge_media_to_parent_comment
  REPLIES_HASH  {comment_id, first, after}  -> data.comment.edge_threaded_comments
- "2023" (default, what the site sends today): GraphQL POST /instagram/graphql/query with form fields `doc_id` and
  `variables`, answering xdt media and comment dicts (pk, code, taken_at, user, caption, comment_count,
  child_comment_count, image_versions2, video_versions, carousel_media); the page's first data sits in a
  `<script type="application/json" data-sjs>` blob, `_sharedData` keeps only the config:
  TIMELINE_DOC {username, first, after}                  -> data.xdt_api__v1__feed__user_timeline_graphql_connection
  COMMENTS_DOC {media_id, first, after}                  -> data.xdt_api__v1__media__media_id__comments__connection
  REPLIES_DOC  {media_id, parent_comment_id, first, after}
      -> data.xdt_api__v1__media__media_id__comments__parent_comment_id__child_comments__connection
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import random
import struct
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from urllib.parse import quote, urlencode

from smarchive.sandbox.content import (
    STOCKHOLM,
    MediaFile,
    World,
    WorldAccount,
    WorldItem,
    _post_times,
    make_png,
)
from smarchive.sandbox.web import (
    SANDBOX_CREDENTIALS,
    ForgetSession,
    Request,
    Response,
    Throttle,
    html_response,
    json_response,
    not_found,
    session_token,
    session_valid,
    sign_path,
    signature_problem,
)

PLATFORM = "instagram"
SESSION_COOKIE = "sessionid"
CONSENT_COOKIE = "ig_consent"
COOKIE_MAX_AGE = 365 * 24 * 3600
LOGGED_OUT_POSTS = 3  # what a profile shows behind the login modal
GRID_FIRST = 4  # posts in the profile's initial data (the real site: 12)
GRID_PAGE = 4  # posts per scroll
FIRST_COMMENTS = 2  # comments in a post page's initial data
COMMENT_PAGE = 3
REPLY_PAGE = 2
MAX_FIRST = 12  # the API never returns more per request, whatever the client asks
TIMELINE_HASH = hashlib.md5(b"ProfileTimelineMedia").hexdigest()
COMMENTS_HASH = hashlib.md5(b"PostParentComments").hexdigest()
REPLIES_HASH = hashlib.md5(b"CommentThreadedReplies").hexdigest()
TIMELINE_DOC, COMMENTS_DOC, REPLIES_DOC = "7381344031985950", "7146838652074535", "6984209338279816"
TIMELINE_KEY = "xdt_api__v1__feed__user_timeline_graphql_connection"
COMMENTS_KEY = "xdt_api__v1__media__media_id__comments__connection"
REPLIES_KEY = "xdt_api__v1__media__media_id__comments__parent_comment_id__child_comments__connection"
STATIC_FILES = {"instagram.js": "text/javascript; charset=utf-8", "instagram.css": "text/css; charset=utf-8"}
SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


# ---------------------------------------------------------------------------------------------
# Content: two accounts, captions, citizens' comments and replies.

ACCOUNTS = (
    WorldAccount(platform=PLATFORM, handle="orebrokommun", name="Örebro kommun", id="1592873551"),
    WorldAccount(platform=PLATFORM, handle="tborebro", name="Tillbakablick Örebro", id="4307218645"),
)

USERNAMES = (
    "anna.lindqvist", "mo.alhassan", "karin_p_82", "erikjohansson.orebro", "fatima.yusuf", "lg_berg",
    "saraoberg", "mikael.nystrom", "asa_ek", "jonashedlund", "leila.karimi", "bjorn.akesson",
    "emmasjogren_", "per.stahl", "hannawallin", "ahmed.nur", "ingrid.holm47", "oskarlund", "majaeriksson",
    "gunnel.andersson",
)

PLACES = ("Vivalla", "Brickebacken", "Adolfsberg", "Mosås", "Rynninge", "Oxhagen", "Varberga", "Tybble",
          "Sörbyängen", "Haga", "Norrby", "Almby", "Lillån", "Hovsta")

RELAY_CAPTIONS = (
    "Hej! Den här veckan är det vi på Stadsbiblioteket som tar över kontot 📚 Följ med bakom hyllorna "
    "och se hur det går till när vi tar emot och sorterar tusentals böcker varje vecka. #örebro #bibliotek",
    "Veckans kontoövertagare: förskolan i {place}! Idag har barnen byggt snögubbar och fikat ute ❄️☕ "
    "#förskola #örebrokommun",
    "Snöröjningen pågår för fullt. Vi plogar huvudgator och busslinjer först, sedan gång- och "
    "cykelvägar. Tack för ert tålamod! 🚜 #snöröjning #örebro",
    "Helgens evenemang i Kulturkvarteret: barnteater, konsert och öppen verkstad för hela familjen. "
    "Fri entré! 🎭 #kulturkvarteret #evenemang",
    "Nu öppnar badplatserna! Vattenprover tas varannan vecka vid Ånnaboda, Hampetorp och Lill-Mosjön. "
    "Resultaten finns på orebro.se/bad ☀️🏊 #badplatser #sommar",
    "Vi söker sommarvikarier till äldreomsorgen och hemtjänsten i {place}. Sök senast 15 mars via "
    "orebro.se/jobb 💼 #ledigajobb #örebrokommun",
    "Kvällsljus över Svampen 🍄 Vattentornet är ett av Örebros mest kända landmärken, byggt 1958. "
    "#svampen #örebro",
    "Wadköping en sommarmorgon. Hantverkarna öppnar sina bodar klockan 11 hela juli 🌿 #wadköping",
)

ARCHIVE_CAPTIONS = (
    "Stortorget i Örebro, omkring 1935. Spårvagnen på väg mot Järntorget och folk i hattar överallt. "
    "Foto: Stadsarkivet #tillbakablick #örebro",
    "Svampen under byggnad 1957. Vattentornet invigdes året efter och blev snabbt stadens symbol. "
    "Foto: Stadsarkivet #svampen",
    "Wadköping 1965, strax efter att de första gårdarna flyttats dit från stadens centrum. "
    "Känner du igen någon på bilden? #wadköping #stadsarkivet",
    "Drottninggatan en vinterdag 1948. Snöröjning med häst och plog! ❄️ Foto: Stadsarkivet "
    "#tillbakablick",
    "Badplatsen vid Ånnaboda sommaren 1952 ☀️ Vet du vem som är på bilden? Skriv gärna en "
    "kommentar! #badplatser #stadsarkivet",
    "Örebro slott från Svartån, vykort från 1910-talet. #örebroslott #tillbakablick",
)

LONG_CAPTION = (
    "Visste du att Örebro kommuns arkiv rymmer över en miljon fotografier? 📷\n\n"
    "I Stadsarkivets bildarkiv finns allt från glasplåtar från 1880-talet till digitala bilder från "
    "i år. Här hittar du gatumiljöer, skolklasser, fabriker och fester från hela kommunen, bland annat "
    "från {place}.\n\n"
    "Vill du se fler bilder? Besök läsesalen i Kulturkvarteret eller sök i den digitala "
    "bilddatabasen. Har du själv gamla fotografier som du vill lämna till arkivet? Kontakta oss via "
    "Servicecenter på 019-21 10 00. #stadsarkivet #örebro #tillbakablick"
)

NEW_YEAR = "Gott nytt år från oss alla! 🎆 Tack för {prev} och välkommen {year}. #örebro #nyttår"
NEW_YEAR_EVE = (
    "Snart tolvslag! Tänk på att fyrverkerier kräver tillstånd i centrala Örebro. Var rädda om "
    "varandra och om djuren ikväll 🎇 #nyårsafton"
)

COMMENTS = (
    "Tack för infon!",
    "😍😍",
    "👏",
    "Så fint! ❤️",
    "När öppnar det igen?",
    "Varför plogas inte {place}? Har inte sett en plogbil på tre dagar 😡",
    "Kan man ta med hund dit?",
    "Jag har skickat in en anmälan om detta, ärende BN 2024-00123. Hur går det med den?",
    "Helt otroligt att gatlyset i {place} fortfarande är släckt. Skandal.",
    "Min morfar jobbade där! Han står längst till vänster tror jag",
    "Förslag: sätt upp fler papperskorgar vid lekplatsen i {place} 🙏",
    "haha ja det var tider det 😂",
    "vart söker man, finns det nån länk",
    "tack för infromationen men när öppnar bibloteket??",
    "Ni gör ett fantastiskt jobb, tack till alla som jobbar med detta!",
    "Gott nytt år på er med! 🥂",
)

LONG_COMMENT = (
    "Jag vill lämna en synpunkt. Vi som bor i {place} har under flera vintrar märkt att vår gata "
    "plogas sist av alla, ibland först efter fyra dagar. Äldre grannar kommer inte ut och hemtjänsten "
    "får svårt att ta sig fram.\n\nKan ni se över ordningen? Tacksam för återkoppling."
)

ACCOUNT_REPLIES = (
    "@{user} Hej! Vi har skickat vidare till ansvarig enhet. Du kan också kontakta Servicecenter på "
    "019-21 10 00.",
    "@{user} Hej och tack för att du hör av dig! Vi återkommer så snart vi vet mer.",
    "@{user} Hej! Det öppnar igen på måndag. Välkommen! 😊",
    "@{user} Hej! Gör gärna en felanmälan via orebro.se/felanmalan så att vi kan åtgärda det.",
)

CITIZEN_REPLIES = ("@{user} håller med!", "@{user} samma här i {place}", "@{user} det står på hemsidan 🙂",
                   "@{user} ❤️", "@{user} precis vad jag tänkte")

EDIT_NOTE = "\n\nUppdatering: tiden är ändrad, vi börjar i stället klockan 13. Välkomna! ✏️"


def shortcode(media_id: str) -> str:
    """Instagram's shortcode: the media id in base 64, with its URL-safe alphabet."""
    number, digits = int(media_id), []
    while number:
        number, rest = divmod(number, 64)
        digits.append(SHORTCODE_ALPHABET[rest])
    return "".join(reversed(digits)) or "A"


def media_id_of(code: str) -> str:
    """The media id a shortcode encodes, or "" if it is not one."""
    number = 0
    for char in code:
        position = SHORTCODE_ALPHABET.find(char)
        if position < 0:
            return ""
        number = number * 64 + position
    return str(number) if code else ""


def permalink(item: WorldItem) -> str:
    """The real site's forms: /p/<code>/, /p/<code>/c/<comment>/, /p/<code>/c/<comment>/r/<reply>/."""
    base = f"/{PLATFORM}/p/{shortcode(item.post_id)}/"
    if item.item_type == "post":
        return base
    if item.item_type == "comment":
        return f"{base}c/{item.id}/"
    return f"{base}c/{item.parent_id}/r/{item.id}/"


def build(world: World, rng: random.Random) -> None:
    world.accounts[PLATFORM] = list(ACCOUNTS)
    ids: set[str] = set()
    for account in ACCOUNTS:
        items: list[WorldItem] = []
        for year in world.config.years:
            times = _post_times(rng, year, world.config.posts_per_year)
            year_items = [_post_thread(world, rng, account, ids, year, index, when) for index, when in enumerate(times)]
            if world.config.edition == 1 and account.handle == "orebrokommun":
                year_items = _second_edition(year_items)
            items += [item for thread in year_items for item in thread]
        for item in items:
            world.add(item)


def pinned(world: World) -> set[str]:
    """The relay account keeps its first post of all pinned on top of its grid, out of date order."""
    found = world.runtime.get("instagram_pinned")
    if not isinstance(found, set):
        posts = world.posts(PLATFORM, "orebrokommun")
        found = world.runtime.setdefault("instagram_pinned", {posts[-1].id} if posts else set())
    return found  # type: ignore[return-value]


def _second_edition(threads: list[list[WorldItem]]) -> list[list[WorldItem]]:
    """A later state of the year: one post's caption edited, another post deleted with its thread."""
    if len(threads) < 4:
        return threads
    edited, deleted = 2, 3  # never the New Year boundary posts
    post = threads[edited][0]
    threads = list(threads)
    threads[edited] = [replace(post, text=post.text + EDIT_NOTE), *threads[edited][1:]]
    del threads[deleted]
    return threads


def _new_id(rng: random.Random, ids: set[str], low: int, high: int) -> str:
    while True:
        candidate = str(rng.randrange(low, high))
        if candidate not in ids:
            ids.add(candidate)
            return candidate


def _fill(rng: random.Random, template: str, when: datetime, user: str = "") -> str:
    local = when.astimezone(STOCKHOLM)
    return template.format(place=rng.choice(PLACES), year=local.year, prev=local.year - 1, user=user)


def _caption(rng: random.Random, account: WorldAccount, index: int, count: int, when: datetime) -> str:
    if index == 0:
        return _fill(rng, NEW_YEAR, when)
    if index == count - 1:
        return NEW_YEAR_EVE
    if index % 4 == 3 or index == count - 2:  # cut behind "mer" on the page
        return _fill(rng, LONG_CAPTION, when)
    pool = RELAY_CAPTIONS if account.handle == "orebrokommun" else ARCHIVE_CAPTIONS
    return _fill(rng, rng.choice(pool), when)


def _kind(rng: random.Random, index: int, count: int) -> str:
    """image | sidecar | video: every year of a small world has each kind at least once."""
    if count >= 4 and index in (1, 2):
        return "sidecar" if index == 1 else "video"
    return rng.choice(("image", "image", "sidecar", "video"))


def _own_media(world: World) -> int:
    """How many media files this platform has: indices independent of the other platforms' media."""
    return sum(1 for m in world.media.values() if m.platform == PLATFORM)


def _add_image(world: World, rng: random.Random, media_id: str) -> str:
    data = make_png(rng, _own_media(world) + 7000)
    world.media[media_id] = MediaFile(id=media_id, platform=PLATFORM, content_type="image/png", data=data)
    return media_id


def make_mp4(rng: random.Random, index: int) -> bytes:
    """A small deterministic file with MP4 boxes (ftyp, free, mdat): served as video/mp4, not playable."""
    payload = bytes(rng.randrange(256) for _ in range(2048 + 64 * (index % 16)))
    ftyp = b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
    free = f"smarchive sandbox video {index}".encode()
    return b"".join(struct.pack(">I", 8 + len(data)) + kind + data
                    for kind, data in ((b"ftyp", ftyp), (b"free", free), (b"mdat", payload)))


def _post_media(world: World, rng: random.Random, post_id: str, kind: str) -> tuple[str, ...]:
    if kind == "image":
        return (_add_image(world, rng, f"{post_id}_0"),)
    if kind == "sidecar":
        return tuple(_add_image(world, rng, f"{post_id}_{n}") for n in range(rng.randrange(2, 5)))
    poster = _add_image(world, rng, f"{post_id}_0")
    video_id = f"{post_id}_v"
    world.media[video_id] = MediaFile(id=video_id, platform=PLATFORM, content_type="video/mp4",
                                      data=make_mp4(rng, _own_media(world)))
    return (poster, video_id)


def _post_thread(world: World, rng: random.Random, account: WorldAccount, ids: set[str], year: int, index: int,
                 when: datetime) -> list[WorldItem]:
    count = world.config.posts_per_year
    post_id = _new_id(rng, ids, 3_000_000_000_000_000_000, 3_400_000_000_000_000_000)
    media = _post_media(world, rng, post_id, _kind(rng, index, count))
    post = WorldItem(
        id=post_id, platform=PLATFORM, account=account.handle, item_type="post", parent_id=None, post_id=post_id,
        author=account.handle, author_id=account.id, author_is_account=True, published_at=when,
        text=_caption(rng, account, index, count, when), media=media, reactions=rng.randrange(20, 900),
    )
    thread = [post]
    moment = when
    if index == count - 1:  # the New Year's Eve thread is written next year and archived with its post
        moment = datetime(year + 1, 1, 1, 0, 0, tzinfo=STOCKHOLM).astimezone(UTC)
    upper = world.config.comments_per_post
    comments = upper if index == count - 1 else min(upper, rng.choice((0, 1, 3, upper, upper)))
    for _ in range(comments):
        moment += timedelta(minutes=rng.randrange(1, 900))
        thread += _comment_thread(rng, account, ids, post, moment)
    return thread


def _comment_thread(rng: random.Random, account: WorldAccount, ids: set[str], post: WorldItem,
                    when: datetime) -> list[WorldItem]:
    user = rng.choice(USERNAMES)
    roll = rng.random()
    text = _fill(rng, LONG_COMMENT if roll > 0.9 else rng.choice(COMMENTS), when)
    comment = WorldItem(
        id=_new_id(rng, ids, 17_840_000_000_000_000, 18_400_000_000_000_000), platform=PLATFORM,
        account=account.handle, item_type="comment", parent_id=post.id, post_id=post.id, author=user,
        author_id=_user_id(user), author_is_account=False, published_at=when, text=text,
        reactions=rng.randrange(0, 30),
    )
    thread = [comment]
    moment = when
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        moment += timedelta(minutes=rng.randrange(3, 600))
        by_account = rng.random() < 0.5
        author = account.handle if by_account else rng.choice([u for u in USERNAMES if u != user])
        text = _fill(rng, rng.choice(ACCOUNT_REPLIES if by_account else CITIZEN_REPLIES), moment, user)
        thread.append(WorldItem(
            id=_new_id(rng, ids, 17_840_000_000_000_000, 18_400_000_000_000_000), platform=PLATFORM,
            account=account.handle, item_type="reply", parent_id=comment.id, post_id=post.id, author=author,
            author_id=account.id if by_account else _user_id(author), author_is_account=by_account,
            published_at=moment, text=text, reactions=rng.randrange(0, 10),
        ))
    return thread


def _user_id(username: str) -> str:
    return str(int(hashlib.sha256(username.encode()).hexdigest(), 16) % 10**10 + 10**10)


# ---------------------------------------------------------------------------------------------
# Requests


def handle(world: World, request: Request) -> Response:
    """Answer a request whose path starts with /instagram/."""
    parts = [p for p in request.path.split("/") if p][1:]
    if parts[:1] == ["static"] and len(parts) == 2:
        return static(parts[1])
    if parts[:1] == ["media"] and len(parts) == 2:
        return media(world, request, parts[1])
    if parts[:1] == ["accounts"]:
        return accounts(world, request, parts[1:])
    if parts == ["consent"] and request.method == "POST":
        return consent(request)
    if parts == ["graphql", "query"] and request.method == "POST" and _current(world):
        slow = _throttle(world).check(request.path + "?" + urlencode(sorted(request.form().items())))
        return slow if slow is not None else graphql_xdt(world, request)
    if request.method != "GET":
        return not_found()
    slow = _throttle(world).check(request.path + "?" + urlencode(sorted(request.query.items()), doseq=True))
    if slow is not None:
        return slow
    if parts == ["graphql", "query"]:
        return graphql(world, request)
    if not parts:
        return home_page(world, request)
    if parts[:1] == ["p"] and len(parts) in (2, 4, 6):
        return post_page(world, request, parts[1])
    account = world.account(PLATFORM, parts[0]) if len(parts) == 1 else None
    if account is None:
        return not_found("Sidan är inte tillgänglig.")
    if not request.path.endswith("/"):
        return Response(301, "text/html; charset=utf-8", b"", [("Location", request.path + "/")])
    return profile_page(world, request, account)


def _current(world: World) -> bool:
    """True when the sandbox serves today's generation (xdt GraphQL), not the 2019 one."""
    return world.config.instagram_generation != "2019"


def _throttle(world: World) -> Throttle:
    throttle = world.runtime.get("instagram_throttle")
    if not isinstance(throttle, Throttle):
        throttle = world.runtime.setdefault("instagram_throttle", Throttle(world.config.throttle_every))
    return throttle  # type: ignore[return-value]


def _logged_in(world: World, request: Request) -> bool:
    return session_valid(request.cookies.get(SESSION_COOKIE), world.secret)


def _page_logged_in(world: World, request: Request) -> bool:
    """For a profile or post page: logged in, unless this is the page where the session is forgotten
    (SandboxConfig.login_wall_after: a login wall shown to one browser)."""
    if not _logged_in(world, request):
        return False
    forget = world.runtime.get("instagram_forget")
    if not isinstance(forget, ForgetSession):
        forget = world.runtime.setdefault("instagram_forget", ForgetSession(world.config.login_wall_after))
    return not forget.forgets()  # type: ignore[union-attr]


def _consented(request: Request) -> bool:
    return request.cookies.get(CONSENT_COOKIE) in ("all", "essential")


def consent(request: Request) -> Response:
    choice = "all" if request.form().get("choice") == "all" else "essential"
    response = json_response({"status": "ok", "choice": choice})
    response.headers.append(("Set-Cookie", f"{CONSENT_COOKIE}={choice}; Path=/; Max-Age={COOKIE_MAX_AGE}; "
                                           "SameSite=Lax"))
    return response


def accounts(world: World, request: Request, rest: list[str]) -> Response:
    if rest == ["login"] and request.method == "GET":
        return login_page(world, request)
    if rest == ["login", "ajax"] and request.method == "POST":
        return login_ajax(world, request)
    if rest == ["logout"]:
        response = Response(302, "text/html; charset=utf-8", b"", [("Location", f"/{PLATFORM}/accounts/login/")])
        response.headers.append(("Set-Cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0"))
        return response
    return not_found()


def login_ajax(world: World, request: Request) -> Response:
    """Like the real endpoint: HTTP 200 either way, `authenticated` says whether it worked."""
    form = request.form()
    username = form.get("username", "").strip()
    # "#PWD_INSTAGRAM_BROWSER:0:<time>:<password>", the real site's (unencrypted) form
    password = form.get("enc_password", "").split(":", 3)[-1] if form.get("enc_password") else ""
    known = username.lower() == SANDBOX_CREDENTIALS[0]
    if not known or password != SANDBOX_CREDENTIALS[1]:
        return json_response({"user": known, "authenticated": False, "status": "ok"})
    response = json_response({"user": True, "userId": "71022935", "authenticated": True, "oneTapPrompt": True,
                              "status": "ok"})
    token = session_token(world.secret, username.lower())
    response.headers.append(("Set-Cookie", f"{SESSION_COOKIE}={token}; Path=/; Max-Age={COOKIE_MAX_AGE}; "
                                           "HttpOnly; SameSite=Lax"))
    return response


def media(world: World, request: Request, filename: str) -> Response:
    problem = signature_problem(request, world.secret)
    if problem is not None:
        return problem
    found = next((m for m in world.media.values() if m.platform == PLATFORM and m.filename == filename), None)
    if found is None:
        return not_found()
    return Response(200, found.content_type, found.data, [("Cache-Control", "max-age=1209600"),
                                                          ("Accept-Ranges", "none")], compressible=False)


def static(name: str) -> Response:
    if name not in STATIC_FILES:
        return not_found()
    data = resources.files("smarchive.sandbox").joinpath("static", name).read_bytes()
    return Response(200, STATIC_FILES[name], data, [("Cache-Control", "public, max-age=600")])


# ---------------------------------------------------------------------------------------------
# JSON nodes, shaped after the real site's GraphQL (see real-world/ig-html-pages)


def _opaque(text: str) -> str:
    return "QVF" + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _cursor_offset(cursor: object, owner: str) -> int | None:
    """The offset in a cursor for `owner`; 0 for none; None for a foreign or broken cursor."""
    if cursor in (None, ""):
        return 0
    value = str(cursor).removeprefix("QVF")
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    name, _, offset = text.rpartition(":")
    return int(offset) if name == owner and offset.isdigit() else None


def _signed(world: World, media_id: str, base: str) -> str:
    return base + sign_path(world.media[media_id].path, world.secret)


def _epoch(item: WorldItem) -> int:
    return int(item.published_at.timestamp())


def _owner(world: World, item: WorldItem) -> dict:
    node = {"id": item.author_id, "is_verified": item.author_is_account, "username": item.author,
            "profile_pic_url": ""}
    if item.author_is_account:
        account = world.account(PLATFORM, item.account)
        node["full_name"] = account.name if account else item.author
    return node


def _page(edges: list[dict], owner: str, offset: int, total: int) -> dict:
    end = offset + len(edges)
    has_next = end < total
    return {"count": total, "page_info": {"has_next_page": has_next, "end_cursor": _opaque(f"{owner}:{end}")
                                          if has_next else None}, "edges": edges}


def _comment_node(world: World, item: WorldItem) -> dict:
    node = {"id": item.id, "text": item.text, "created_at": _epoch(item), "did_report_as_spam": False,
            "owner": _owner(world, item), "viewer_has_liked": False, "edge_liked_by": {"count": item.reactions}}
    if item.item_type == "comment":
        replies = world.children(item.id)
        node["edge_threaded_comments"] = _page([], item.id, 0, len(replies))
    return node


def _comments(world: World, post: WorldItem, offset: int, first: int) -> dict:
    children = world.children(post.id)
    edges = [{"node": _comment_node(world, c)} for c in children[offset : offset + first]]
    return _page(edges, post.id, offset, len(children))


def _replies(world: World, comment: WorldItem, offset: int, first: int) -> dict:
    children = world.children(comment.id)
    edges = [{"node": _comment_node(world, r)} for r in children[offset : offset + first]]
    return _page(edges, comment.id, offset, len(children))


def _media_fields(world: World, post: WorldItem, base: str) -> dict:
    images = [m for m in post.media if world.media[m].content_type.startswith("image/")]
    videos = [m for m in post.media if world.media[m].content_type.startswith("video/")]
    display = _signed(world, images[0], base)
    fields: dict = {"__typename": "GraphVideo" if videos else "GraphSidecar" if len(images) > 1 else "GraphImage",
                    "display_url": display, "is_video": bool(videos),
                    "display_resources": [{"src": display, "config_width": 64, "config_height": 48}]}
    if videos:
        fields["video_url"] = _signed(world, videos[0], base)
        fields["video_view_count"] = post.reactions * 7
        fields["dash_info"] = {"is_dash_eligible": True, "number_of_qualities": 2,
                               "video_dash_manifest": f"{base}/{PLATFORM}/media/{post.id}.mpd"}
    if len(images) > 1:
        fields["edge_sidecar_to_children"] = {"edges": [
            {"node": {"__typename": "GraphImage", "id": media_id.replace("_", ""), "is_video": False,
                      "display_url": _signed(world, media_id, base), "dimensions": {"height": 48, "width": 64}}}
            for media_id in images
        ]}
    return fields


def _post_node(world: World, post: WorldItem, base: str, grid: bool) -> dict:
    """A shortcode_media (post page) or a timeline node (grid): the grid has no comments."""
    all_comments = [i for i in world.items if i.post_id == post.id and i.item_type != "post"]
    node = {
        "id": post.id, "shortcode": shortcode(post.id), "dimensions": {"height": 48, "width": 64},
        **_media_fields(world, post, base),
        "accessibility_caption": "Bilden kan innehålla: utomhus",
        "edge_media_to_caption": {"edges": [{"node": {"text": post.text}}]},
        "caption_is_edited": post.text.endswith(EDIT_NOTE),
        "comments_disabled": False,
        "taken_at_timestamp": _epoch(post),
        "edge_media_preview_like": {"count": post.reactions, "edges": []},
        "owner": _owner(world, post),
        "location": {"id": "213385402", "name": "Örebro, Sweden", "slug": "orebro-sweden"},
    }
    if grid:
        node["edge_media_to_comment"] = {"count": len(all_comments)}
        node["thumbnail_src"] = node["display_url"]
        on_top = post.id in pinned(world)
        node["pinned_for_users"] = [{"id": node["owner"]["id"], "username": post.author}] if on_top else []
    else:
        node["edge_media_to_parent_comment"] = {**_comments(world, post, 0, FIRST_COMMENTS),
                                                "count": len(all_comments)}
    return node


def _timeline_order(world: World, account: WorldAccount) -> list[WorldItem]:
    """Pinned posts first, then newest first, like the real grid."""
    posts = world.posts(PLATFORM, account.handle)
    on_top = pinned(world)
    return [p for p in posts if p.id in on_top] + [p for p in posts if p.id not in on_top]


def _timeline(world: World, account: WorldAccount, offset: int, first: int, base: str) -> dict:
    posts = _timeline_order(world, account)
    edges = [{"node": _post_node(world, p, base, grid=True)} for p in posts[offset : offset + first]]
    return _page(edges, account.id, offset, len(posts))


def _user_node(world: World, account: WorldAccount, base: str, first: int) -> dict:
    return {"id": account.id, "username": account.handle, "full_name": account.name, "is_private": False,
            "is_verified": True, "biography": "Officiellt konto för Örebro kommun. Moderering: orebro.se/sociala",
            "edge_followed_by": {"count": 12000 + int(account.id) % 9000},
            "edge_owner_to_timeline_media": _timeline(world, account, 0, first, base)}


# ---------------------------------------------------------------------------------------------
# Today's generation (2023+): xdt dicts, after the real answers in real-world/ig-graphql-2026-creatorscan


def _xdt_user(world: World, item: WorldItem) -> dict:
    owner = _owner(world, item)
    return {"pk": owner["id"], "id": owner["id"], "username": owner["username"], "is_verified": owner["is_verified"],
            "full_name": owner.get("full_name", ""), "profile_pic_url": "", "__typename": "XDTUserDict"}


def _candidates(url: str) -> dict:
    return {"candidates": [{"url": url, "width": 64, "height": 48}]}


def _xdt_media(world: World, post: WorldItem, base: str) -> dict:
    """A post as an xdt media dict, built from the same fields as the 2019 node (so both tell the same truth)."""
    legacy = _post_node(world, post, base, grid=True)
    user = _xdt_user(world, post)
    children = [e["node"] for e in legacy.get("edge_sidecar_to_children", {}).get("edges", [])]
    node: dict = {
        "pk": post.id, "id": f"{post.id}_{user['pk']}", "code": legacy["shortcode"], "taken_at": _epoch(post),
        "media_type": 8 if children else 2 if legacy["is_video"] else 1,
        "product_type": "carousel_container" if children else "clips" if legacy["is_video"] else "feed",
        "user": user, "owner": {"id": user["pk"]},
        "caption": {"pk": str(int(post.id) + 7), "text": post.text, "created_at": _epoch(post),
                    "has_translation": None},
        "caption_is_edited": legacy["caption_is_edited"], "comment_count": legacy["edge_media_to_comment"]["count"],
        "comments_disabled": False, "like_count": post.reactions,
        "accessibility_caption": legacy["accessibility_caption"],
        "image_versions2": _candidates(legacy["display_url"]), "location": legacy["location"],
        "timeline_pinned_user_ids": [int(user["pk"])] if legacy["pinned_for_users"] else [],
        "__typename": "XDTMediaDict",
    }
    if legacy["is_video"]:
        node["video_versions"] = [{"type": 101, "url": legacy["video_url"], "width": 64, "height": 48}]
        node["is_dash_eligible"] = True
        node["video_dash_manifest"] = legacy["dash_info"]["video_dash_manifest"]
    if children:
        node["carousel_media"] = [{"pk": c["id"], "id": f"{c['id']}_{user['pk']}", "media_type": 1,
                                   "image_versions2": _candidates(c["display_url"])} for c in children]
    return node


def _xdt_comment(world: World, item: WorldItem) -> dict:
    node = {"pk": item.id, "text": item.text, "created_at": _epoch(item), "user": _xdt_user(world, item),
            "comment_like_count": item.reactions, "__typename": "XDTCommentDict"}
    if item.item_type == "comment":
        node["child_comment_count"] = len(world.children(item.id))
    else:
        node["parent_comment_id"] = item.parent_id
    return node


def _xdt_connection(edges: list[dict], owner: str, offset: int, total: int) -> dict:
    end = offset + len(edges)
    has_next = end < total
    return {"edges": edges, "page_info": {"has_next_page": has_next,
                                          "end_cursor": _opaque(f"{owner}:{end}") if has_next else None}}


def _xdt_children(world: World, parent: WorldItem, offset: int, first: int) -> dict:
    children = world.children(parent.id)
    edges = [{"node": _xdt_comment(world, c), "cursor": ""} for c in children[offset : offset + first]]
    return _xdt_connection(edges, parent.id, offset, len(children))


def _xdt_timeline(world: World, account: WorldAccount, offset: int, first: int, base: str) -> dict:
    posts = _timeline_order(world, account)
    edges = [{"node": _xdt_media(world, p, base), "cursor": ""} for p in posts[offset : offset + first]]
    return _xdt_connection(edges, account.id, offset, len(posts))


def graphql_xdt(world: World, request: Request) -> Response:
    """POST /graphql/query with doc_id and variables, as the web app has asked since 2023."""
    if not _logged_in(world, request):
        return _fail("Please wait a few minutes before you try again.", 401, require_login=True)
    form = request.form()
    try:
        variables = json.loads(form.get("variables") or "{}")
    except json.JSONDecodeError:
        return _fail("variables is not JSON", 400)
    if not isinstance(variables, dict):
        return _fail("variables must be an object", 400)
    first = variables.get("first", GRID_PAGE)
    first = max(1, min(MAX_FIRST, first if isinstance(first, int) and not isinstance(first, bool) else GRID_PAGE))
    resolvers = {TIMELINE_DOC: _xdt_resolve_timeline, COMMENTS_DOC: _xdt_resolve_comments,
                 REPLIES_DOC: _xdt_resolve_replies}
    resolver = resolvers.get(form.get("doc_id", ""))
    if resolver is None:
        return _fail("invalid doc_id", 400)
    data = resolver(world, variables, first, request.base_url)
    if data is None:
        return _fail("unknown id or cursor", 400)
    return json_response({"data": data, "extensions": {"is_final": True}, "status": "ok"})


def _xdt_resolve_timeline(world: World, variables: dict, first: int, base: str) -> dict | None:
    account = world.account(PLATFORM, str(variables.get("username", "")))
    offset = _cursor_offset(variables.get("after"), account.id) if account else None
    if account is None or offset is None:
        return None
    return {TIMELINE_KEY: _xdt_timeline(world, account, offset, first, base)}


def _xdt_resolve_comments(world: World, variables: dict, first: int, base: str) -> dict | None:
    post = world.item(str(variables.get("media_id", "")))
    offset = _cursor_offset(variables.get("after"), post.id) if post else None
    if post is None or post.platform != PLATFORM or post.item_type != "post" or offset is None:
        return None
    return {COMMENTS_KEY: _xdt_children(world, post, offset, first)}


def _xdt_resolve_replies(world: World, variables: dict, first: int, base: str) -> dict | None:
    comment = world.item(str(variables.get("parent_comment_id", "")))
    offset = _cursor_offset(variables.get("after"), comment.id) if comment else None
    if comment is None or comment.platform != PLATFORM or comment.item_type != "comment" or offset is None \
            or comment.post_id != str(variables.get("media_id", "")):
        return None
    return {REPLIES_KEY: _xdt_children(world, comment, offset, first)}


def _xdt_profile_data(world: World, account: WorldAccount, base: str, first: int) -> dict:
    posts = _timeline_order(world, account)
    user = {"pk": account.id, "id": account.id, "username": account.handle, "full_name": account.name,
            "biography": "Officiellt konto för Örebro kommun. Moderering: orebro.se/sociala", "is_verified": True,
            "media_count": len(posts), "follower_count": 12000 + int(account.id) % 9000}
    return {"data": {"user": user, TIMELINE_KEY: _xdt_timeline(world, account, 0, first, base)}}


def _xdt_post_data(world: World, post: WorldItem, base: str) -> dict:
    return {"data": {"xdt_api__v1__media__shortcode__web_info": {"items": [_xdt_media(world, post, base)]},
                     COMMENTS_KEY: _xdt_children(world, post, 0, FIRST_COMMENTS)}}


# ---------------------------------------------------------------------------------------------
# The API


def _fail(message: str, status: int, **extra: object) -> Response:
    return json_response({"message": message, "status": "fail", **extra}, status)


def graphql(world: World, request: Request) -> Response:
    if not _logged_in(world, request):
        # what the real API answers a logged-out client
        return _fail("Please wait a few minutes before you try again.", 401, require_login=True)
    query_hash = (request.query.get("query_hash") or [""])[0]
    try:
        variables = json.loads((request.query.get("variables") or ["{}"])[0])
    except json.JSONDecodeError:
        return _fail("variables is not JSON", 400)
    if not isinstance(variables, dict):
        return _fail("variables must be an object", 400)
    first = variables.get("first", GRID_PAGE)
    first = max(1, min(MAX_FIRST, first if isinstance(first, int) and not isinstance(first, bool) else GRID_PAGE))
    resolvers = {TIMELINE_HASH: _resolve_timeline, COMMENTS_HASH: _resolve_comments, REPLIES_HASH: _resolve_replies}
    resolver = resolvers.get(query_hash)
    if resolver is None:
        return _fail("invalid query_hash", 400)
    data = resolver(world, variables, first, request.base_url)
    if data is None:
        return _fail("unknown id or cursor", 400)
    return json_response({"data": data, "status": "ok"})


def _resolve_timeline(world: World, variables: dict, first: int, base: str) -> dict | None:
    account = next((a for a in ACCOUNTS if a.id == str(variables.get("id"))), None)
    offset = _cursor_offset(variables.get("after"), account.id) if account else None
    if account is None or offset is None:
        return None
    return {"user": {"edge_owner_to_timeline_media": _timeline(world, account, offset, first, base)}}


def _resolve_comments(world: World, variables: dict, first: int, base: str) -> dict | None:
    post = world.item(media_id_of(str(variables.get("shortcode", ""))))
    offset = _cursor_offset(variables.get("after"), post.id) if post else None
    if post is None or post.platform != PLATFORM or post.item_type != "post" or offset is None:
        return None
    return {"shortcode_media": {"edge_media_to_parent_comment": _comments(world, post, offset, first)}}


def _resolve_replies(world: World, variables: dict, first: int, base: str) -> dict | None:
    comment = world.item(str(variables.get("comment_id", "")))
    offset = _cursor_offset(variables.get("after"), comment.id) if comment else None
    if comment is None or comment.platform != PLATFORM or comment.item_type != "comment" or offset is None:
        return None
    return {"comment": {"edge_threaded_comments": _replies(world, comment, offset, first)}}


# ---------------------------------------------------------------------------------------------
# Pages: an app shell with window._sharedData, rendered by static/instagram.js


def _shared_data(world: World, request: Request, entry: dict) -> str:
    viewer = {"username": "arkivarie", "id": "71022935"} if _logged_in(world, request) else None
    data = {
        "config": {"csrf_token": hashlib.sha256(request.path.encode()).hexdigest()[:32], "viewer": viewer,
                   "viewerId": viewer["id"] if viewer else None},
        "country_code": "SE", "language_code": "sv", "locale": "sv_SE",
        "consent_required": not _consented(request),
        "query_hashes": {"timeline": TIMELINE_HASH, "comments": COMMENTS_HASH, "replies": REPLIES_HASH},
        "query_docs": {"timeline": TIMELINE_DOC, "comments": COMMENTS_DOC, "replies": REPLIES_DOC},
        "generation": world.config.instagram_generation,
        "entry_data": entry,
        "hostname": request.headers.get("host", ""),
    }
    return _script_json(data)


def _script_json(data: object) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _shell(title: str, description: str, view: str, shared: str, data: dict | None = None) -> str:
    blob = f'<script type="application/json" data-sjs>{_script_json(data)}</script>\n' if data else ""
    return f"""<!DOCTYPE html>
<html lang="sv" class="no-js">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<meta property="og:title" content="{html.escape(title)}">
<meta property="og:description" content="{html.escape(description)}">
<link rel="stylesheet" href="/{PLATFORM}/static/instagram.css">
</head>
<body data-view="{view}">
<div id="react-root"><span class="loading" aria-label="Läser in…"></span></div>
{blob}<script type="text/javascript">window._sharedData = {shared};</script>
<script src="/{PLATFORM}/static/instagram.js"></script>
</body>
</html>
"""


def profile_page(world: World, request: Request, account: WorldAccount) -> Response:
    logged_in = _page_logged_in(world, request)
    user = _user_node(world, account, request.base_url, GRID_FIRST if logged_in else LOGGED_OUT_POSTS)
    if not logged_in:  # logged out: a few posts and no way on
        user["edge_owner_to_timeline_media"]["page_info"] = {"has_next_page": False, "end_cursor": None}
    entry = {"ProfilePage": [{"logging_page_id": f"profilePage_{account.id}", "graphql": {"user": user}}]}
    count = user["edge_owner_to_timeline_media"]["count"]
    title = f"{account.name} (@{account.handle}) • Instagram-foton och -videor"
    description = f"{count} inlägg – se Instagram-foton och -videor från {account.name} (@{account.handle})"
    if _current(world):  # today: the page's data as xdt dicts in a JSON blob, none in _sharedData
        data = _xdt_profile_data(world, account, request.base_url, GRID_FIRST if logged_in else LOGGED_OUT_POSTS)
        if not logged_in:
            data["data"][TIMELINE_KEY]["page_info"] = {"has_next_page": False, "end_cursor": None}
        shared = _shared_data(world, request, {"ProfilePage": [{}]})
        return html_response(_shell(title, description, "profile", shared, data))
    return html_response(_shell(title, description, "profile", _shared_data(world, request, entry)))


def post_page(world: World, request: Request, code: str) -> Response:
    post = world.item(media_id_of(code))
    if post is None or post.platform != PLATFORM or post.item_type != "post":
        return not_found("Sidan är inte tillgänglig.")
    if not _page_logged_in(world, request):
        target = f"/{PLATFORM}/accounts/login/?next={quote(request.path)}"
        return Response(302, "text/html; charset=utf-8", b"", [("Location", target)])
    account = world.account(PLATFORM, post.account)
    name = account.name if account else post.author
    title = f"{name} på Instagram: ”{post.text[:80]}”"
    if _current(world):
        shared = _shared_data(world, request, {"PostPage": [{}]})
        return html_response(_shell(title, post.text[:150], "post", shared, _xdt_post_data(world, post,
                                                                                          request.base_url)))
    node = _post_node(world, post, request.base_url, grid=False)
    entry = {"PostPage": [{"graphql": {"shortcode_media": node}}]}
    return html_response(_shell(title, post.text[:150], "post", _shared_data(world, request, entry)))


def home_page(world: World, request: Request) -> Response:
    if not _logged_in(world, request):
        return Response(302, "text/html; charset=utf-8", b"", [("Location", f"/{PLATFORM}/accounts/login/")])
    entry = {"FeedPage": [{"accounts": [{"username": a.handle, "full_name": a.name} for a in ACCOUNTS]}]}
    return html_response(_shell("Instagram", "Instagram", "feed", _shared_data(world, request, entry)))


def login_page(world: World, request: Request) -> Response:
    entry = {"LoginAndSignupPage": [{"next": (request.query.get("next") or [f"/{PLATFORM}/"])[0]}]}
    return html_response(_shell("Logga in • Instagram", "Logga in på Instagram", "login",
                                _shared_data(world, request, entry)))
