"""The LinkedIn imitation: a company page, its auth wall, a Voyager-like JSON API and signed media.

What it imitates (and why a capture finds it hard):
- Logged out, the company page is the guest page: the ~10 newest posts, relative times only
  ("18 tim", "2 v"), no comments, and a sign-in modal; a post URL redirects to the auth wall
  (`/linkedin/authwall?...&sessionRedirect=...`). Only a logged-in browser sees the year.
- Logging in is a form POST to `/linkedin/login`; it sets `li_at` (the session, HttpOnly) and
  `JSESSIONID` (a CSRF value the page's script echoes in a `csrf-token` header on every API call).
- Logged in, the company page is an app shell: its script loads the feed from
  `GET /linkedin/voyager/api/feed/updates?companyId=&start=&count=&paginationToken=` as the user
  scrolls (cursor-paged: a page after the first needs the token of the previous answer).
- A post's permalink page embeds the post and its first comments as HTML-escaped JSON in a
  `<code id="bpr-guid-…">` element, like LinkedIn's rehydration blobs; more comments come from
  `GET /linkedin/voyager/api/feed/comments?q=comments&updateUrn=…` behind "Läs in fler kommentarer",
  replies from `…?q=replies&commentUrn=…` behind "N svar" / "Visa tidigare svar".
- The DOM shows relative times and cuts long texts behind "…se mer"; the JSON has `createdAt`
  (epoch ms) and full texts. Activity ids carry their time too (id >> 22 = epoch ms), as on LinkedIn.
- Images are served on signed URLs that expire; page and API requests are throttled (429).

JSON shapes (all lists are `{"elements": [...], "paging": {"start", "count", "total"},
"metadata": {"paginationToken"}}`):
- Update: {"$type": "com.linkedin.voyager.dash.feed.Update", "entityUrn", "updateMetadata": {"urn":
  "urn:li:activity:<id>"}, "actor": {"name": {"text"}, "urn": "urn:li:company:<id>", "navigationUrl",
  "subDescription": {"text": "2 v"}}, "commentary": {"text": {"text"}}, "createdAt", "edited",
  "content": {"images": [{"url", "width", "height", "accessibilityText"}]}, "permalink",
  "socialDetail": {"urn", "totalSocialActivityCounts": {"numComments", "numLikes"}, "comments": list}}
- Comment: {"$type": "com.linkedin.voyager.dash.social.Comment", "urn": "urn:li:comment:(activity:<post>,<id>)",
  "entityUrn", "threadUrn": "urn:li:activity:<post>", "parentCommentUrn", "commenter": {"title": {"text"},
  "actorUrn", "navigationUrl"}, "commentary": {"text"}, "createdAt", "content": {"images"}, "permalink",
  "socialDetail": {"totalSocialActivityCounts": {"numComments", "numLikes"}}}
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import secrets
import time
from datetime import UTC, datetime, timedelta
from importlib import resources
from urllib.parse import quote, urlencode

from smarchive.sandbox.content import (
    CITIZENS,
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
from smarchive.sandbox.web import (
    SANDBOX_CREDENTIALS,
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

COMPANY = WorldAccount(platform="linkedin", handle="orebro-kommun", name=MUNICIPALITY, id="15190")
SESSION_COOKIE = "li_at"
CSRF_COOKIE = "JSESSIONID"
GUEST_POSTS = 10  # what the logged-out company page shows
FEED_PAGE = 5  # updates per API page by default
FIRST_COMMENTS = 2  # comments embedded with a post on its permalink page
MAX_COUNT = 10  # the API never returns more than this per request
STATIC_FILES = {"linkedin.js": "text/javascript; charset=utf-8", "linkedin.css": "text/css; charset=utf-8"}
EDITED_INDEX, DELETED_INDEX = 1, 2  # per year, in edition 1 (needs posts_per_year >= 4)

# ---------------------------------------------------------------------------------------------
# Content: employer branding from the municipality's company page, comments from members.

POST_TEXTS = (
    "Vi söker fler förskollärare till våra förskolor i {place}! Hos oss får du kollegor som bryr sig, "
    "tid för planering och möjlighet att utvecklas. Sök senast den {day} {month}. #lediga_jobb #förskola",
    "Möt {name}, undersköterska i hemtjänsten i {place}: \"Det bästa med jobbet är mötena. Varje dag gör "
    "jag skillnad för någon.\" Vill du också jobba hos oss? Se våra lediga jobb på orebro.se/jobb.",
    "Nu öppnar ansökan till sommarjobb för ungdomar 16–19 år. Sommarjobba i parkerna, på badplatserna "
    "eller i äldreomsorgen. Ansök via orebro.se senast den {day} {month}. ☀️",
    "Vi är stolta över att ha utsetts till en av Sveriges bästa arbetsplatser för nyutexaminerade. "
    "Tack till alla medarbetare som gör Örebro kommun till en arbetsplats att vara stolt över! 💙",
    "Lediga jobb: Vi söker en erfaren projektledare till stadsbyggnad. Du kommer att leda arbetet med "
    "nya bostadsområden i {place} och Södra Ladugårdsängen. Välkommen med din ansökan!",
    "Bakom kulisserna på Kulturkvarteret: våra bibliotekarier, tekniker och scenmästare ser till att "
    "tusentals örebroare får uppleva kultur varje vecka. #arbetsplats #kultur",
    "Välkommen till vår rekryteringsmässa i Conventum den {day} {month}! Träffa chefer och medarbetare "
    "från förskola, skola, vård och omsorg. Ta med ditt CV – vi har intervjuer på plats.",
    "Våra socialsekreterare gör ett viktigt jobb varje dag. Nu söker vi fler till barn- och "
    "ungdomsenheten. Vi erbjuder introduktion, handledning och friskvårdsbidrag.",
    "Grattis till våra medarbetare i Wadköping som fått pris för årets besöksbemötande! 🏆 "
    "Ni gör Örebro till en stad man vill komma tillbaka till.",
)

LONG_POST = (
    "Hur är det att jobba i Örebro kommun? Vi frågade några av våra drygt 11 000 medarbetare.\n\n"
    "\"Jag började som vikarie i hemtjänsten i {place} och i dag är jag enhetschef. Kommunen har gett mig "
    "utbildning och stöd hela vägen\", säger {name}.\n\n"
    "\"Som ingenjör på tekniska förvaltningen får jag vara med och bygga framtidens stad: gång- och "
    "cykelvägar, Svampen, nya parker. Det är ett jobb med mening\", berättar en kollega.\n\n"
    "Vi erbjuder friskvårdsbidrag, flexibel arbetstid där verksamheten tillåter, möjlighet till "
    "löneväxling till pension och ett arbetsliv där du kan växa. Se alla lediga jobb på orebro.se/jobb "
    "och följ oss här för fler berättelser från våra arbetsplatser. #medarbetare #lediga_jobb"
)

NEW_YEAR_POST = ("Gott nytt år från alla oss medarbetare i Örebro kommun! 🎆 Tack för {prev} – i {year} "
                 "fortsätter vi att söka engagerade kollegor. Vill du vara med?")
NEW_YEAR_EVE_POST = ("Medan många firar nyår jobbar våra kollegor inom vård och omsorg, räddningstjänst och "
                     "socialjour. Tack för att ni finns där dygnet runt! 🎇 #medarbetare")
EDITED_SUFFIX = "\n\nUppdatering: ansökningstiden är förlängd, välkommen med din ansökan! (redigerat)"

CASE_COMMENT = "Jag har en fråga om mitt ärende BN 2024-00123, vem kan jag kontakta?"
COMMENT_TEXTS = (
    "Grattis! Välförtjänt 👏",
    "👏👏👏",
    "💙",
    "Spännande tjänst! Finns det möjlighet att jobba deltid?",
    "Vilken fin arbetsplats, jag trivdes jättebra när jag var vikarie där.",
    "Jag sökte för tre månader sedan och har fortfarande inte fått något svar. Dåligt bemötande.",
    "Förslag: skriv ut lönespannet i annonserna, det skulle göra det lättare att söka.",
    "Tack för att ni lyfter medarbetarna! 🙌",
    "Hur lång är ansökningstiden?",
    CASE_COMMENT,
    "kan man söka fast man inte har utbildningen än, går sista terminen nu",
    "Delar gärna i mitt nätverk!",
    "Bästa kollegorna ❤️",
    "Var hittar man anonsen? hittar den inte på hemsidan",
)

LONG_COMMENT = (
    "Jag vill lämna en synpunkt på rekryteringsprocessen. Jag har sökt tre tjänster inom äldreomsorgen i "
    "{place} under hösten och aldrig fått någon återkoppling, inte ens ett automatiskt svar.\n\n"
    "Det är svårt att förstå när ni samtidigt skriver att ni har brist på personal. Kan ni se över hur "
    "ansökningar hanteras? Jag är utbildad undersköterska och vill gärna jobba hos er."
)

ACCOUNT_REPLIES = (
    "Hej! Tack för din fråga. Kontakta gärna rekryterande chef, kontaktuppgifter finns i annonsen.",
    "Hej! Vi skickar vidare det till HR-avdelningen. Du kan också kontakta Servicecenter på 019-21 10 00.",
    "Tack för fina ord! Vi hälsar till kollegorna. 💙",
    "Hej! Annonserna finns på orebro.se/jobb under Lediga jobb.",
)

MEMBER_REPLIES = (
    "Håller med!",
    "Samma erfarenhet här.",
    "Ja, det står i annonsen 🙂",
    "Grattis från oss i {place}!",
)

MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")


def build(world: World, rng: random.Random) -> None:
    """The company page and its posts of every configured year (edition 1: one edited, one deleted)."""
    world.accounts["linkedin"] = [COMPANY]
    edited: set[str] = set()
    ids: set[int] = set()
    for year in world.config.years:
        count = world.config.posts_per_year
        for index, when in enumerate(_post_times(rng, year, count)):
            items, media = _thread(world, rng, ids, year, index, when)
            change = _edition_change(world, index, count)
            if change == "deleted":
                continue  # the post and its thread are gone from the platform
            if change == "edited":
                items[0] = _replace_text(items[0], items[0].text + EDITED_SUFFIX)
                edited.add(items[0].id)
            world.media.update(media)
            for item in items:
                world.add(item)
    world.runtime["linkedin_edited"] = edited


def _edition_change(world: World, index: int, count: int) -> str:
    if world.config.edition != 1 or count < 4:
        return ""
    return {EDITED_INDEX: "edited", DELETED_INDEX: "deleted"}.get(index, "")


def _replace_text(item: WorldItem, text: str) -> WorldItem:
    fields = {name: getattr(item, name) for name in item.__dataclass_fields__}
    return WorldItem(**{**fields, "text": text})


def _time_id(rng: random.Random, ids: set[int], when: datetime) -> str:
    """An id like LinkedIn's: the epoch in ms in the high bits, random low bits."""
    while True:
        candidate = (int(when.timestamp() * 1000) << 22) | rng.getrandbits(22)
        if candidate not in ids:
            ids.add(candidate)
            return str(candidate)


def _member(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(CITIZENS)
    return name, "ACoAA" + hashlib.sha256(f"li-{name}".encode()).hexdigest()[:14].upper()


def _fill(rng: random.Random, template: str, when: datetime) -> str:
    local = when.astimezone(STOCKHOLM)
    deadline = local + timedelta(days=21)
    return template.format(place=rng.choice(PLACES), name=rng.choice(CITIZENS).split()[0], day=deadline.day,
                           month=MONTHS[deadline.month - 1], year=local.year, prev=local.year - 1)


def _post_text(rng: random.Random, index: int, count: int, when: datetime) -> str:
    if index == 0:
        return _fill(rng, NEW_YEAR_POST, when)
    if index == count - 1:
        return NEW_YEAR_EVE_POST
    if index % 4 == 2:
        return _fill(rng, LONG_POST, when)
    return _fill(rng, rng.choice(POST_TEXTS), when)


def _images(rng: random.Random, owner: str, count: int) -> dict[str, MediaFile]:
    found = {}
    for k in range(count):
        media_id = f"li{owner}{k}"
        # The index bar comes from the owner's time, so editions that delete a post change no other image.
        data = make_png(rng, ((int(owner) >> 22) % (1 << 36)) * 4 + k, width=80, height=45)
        found[media_id] = MediaFile(id=media_id, platform="linkedin", content_type="image/png", data=data)
    return found


def _comment_count(rng: random.Random, index: int, count: int, upper: int) -> int:
    if index == count - 1:
        return upper  # the New Year's Eve thread: all written in January, more than one page
    return min(upper, rng.choice((0, 1, 3, upper, upper)))


def _thread(world: World, rng: random.Random, ids: set[int], year: int, index: int,
            when: datetime) -> tuple[list[WorldItem], dict[str, MediaFile]]:
    """A post with its comments and replies (not yet added), and the media they show."""
    count = world.config.posts_per_year
    post_id = _time_id(rng, ids, when)
    media = _images(rng, post_id, rng.choice((0, 1, 1, 2)) if index != 1 else 1)
    post = WorldItem(id=post_id, platform="linkedin", account=COMPANY.handle, item_type="post", parent_id=None,
                     post_id=post_id, author=COMPANY.name, author_id=COMPANY.id, author_is_account=True,
                     published_at=when, text=_post_text(rng, index, count, when), media=tuple(media),
                     reactions=rng.randrange(3, 600))
    items = [post]
    moment = when
    if index == count - 1:  # comments after midnight: written next year, archived with this post
        moment = datetime(year + 1, 1, 1, 0, 0, tzinfo=STOCKHOLM).astimezone(UTC)
    for number in range(_comment_count(rng, index, count, world.config.comments_per_post)):
        moment += timedelta(minutes=rng.randrange(1, 900))
        # Every year has a comment about an ongoing case (it must be registered, never culled).
        forced = CASE_COMMENT if index == count - 1 and number == 1 else None
        items += _comment(rng, ids, post, moment, media, forced)
    return items, media


def _comment(rng: random.Random, ids: set[int], post: WorldItem, when: datetime, media: dict[str, MediaFile],
             forced: str | None = None) -> list[WorldItem]:
    roll = rng.random()
    if forced:
        (author, author_id), is_account, text = _member(rng), False, forced
    elif roll < 0.08:
        author, author_id, is_account, text = COMPANY.name, COMPANY.id, True, rng.choice(ACCOUNT_REPLIES)
    else:
        (author, author_id), is_account = _member(rng), False
        text = _fill(rng, LONG_COMMENT if roll > 0.9 else rng.choice(COMMENT_TEXTS), when)
    comment_id = _time_id(rng, ids, when)
    images = _images(rng, comment_id, 1) if rng.random() < 0.12 else {}
    media.update(images)
    comment = WorldItem(id=comment_id, platform="linkedin", account=COMPANY.handle, item_type="comment",
                        parent_id=post.id, post_id=post.id, author=author, author_id=author_id,
                        author_is_account=is_account, published_at=when, text=text, media=tuple(images),
                        reactions=rng.randrange(0, 40))
    thread = [comment]
    moment = when
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        moment += timedelta(minutes=rng.randrange(3, 600))
        thread.append(_reply(rng, ids, comment, moment))
    return thread


def _reply(rng: random.Random, ids: set[int], comment: WorldItem, when: datetime) -> WorldItem:
    if rng.random() < 0.5:
        author, author_id, is_account, text = COMPANY.name, COMPANY.id, True, rng.choice(ACCOUNT_REPLIES)
    else:
        (author, author_id), is_account = _member(rng), False
        text = _fill(rng, rng.choice(MEMBER_REPLIES), when)
    return WorldItem(id=_time_id(rng, ids, when), platform="linkedin", account=COMPANY.handle, item_type="reply",
                     parent_id=comment.id, post_id=comment.post_id, author=author, author_id=author_id,
                     author_is_account=is_account, published_at=when, text=text, reactions=rng.randrange(0, 10))


# ---------------------------------------------------------------------------------------------
# URNs and permalinks


def activity_urn(post_id: str) -> str:
    return f"urn:li:activity:{post_id}"


def comment_urn(item: WorldItem) -> str:
    return f"urn:li:comment:(activity:{item.post_id},{item.id})"


def permalink(item: WorldItem) -> str:
    """Like LinkedIn's: comments and replies are the post's URL with commentUrn / replyUrn."""
    base = f"/linkedin/feed/update/{activity_urn(item.post_id)}/"
    if item.item_type == "post":
        return base
    if item.item_type == "comment":
        return f"{base}?commentUrn={quote(comment_urn(item), safe='')}"
    parent = f"urn:li:comment:(activity:{item.post_id},{item.parent_id})"
    return f"{base}?commentUrn={quote(parent, safe='')}&replyUrn={quote(comment_urn(item), safe='')}"


# ---------------------------------------------------------------------------------------------
# Requests


def handle(world: World, request: Request) -> Response:
    """Answer a request whose path starts with /linkedin/."""
    parts = [p for p in request.path.split("/") if p][1:]
    if parts[:1] == ["static"] and len(parts) == 2:
        return static(parts[1])
    if parts[:1] == ["media"] and len(parts) == 2:
        return media(world, request, parts[1])
    if parts == ["login"]:
        return login_submit(world, request) if request.method == "POST" else login_page(request)
    if request.method != "GET":
        return not_found()
    throttled = _throttle(world).check(request.path + "?" + urlencode(sorted(request.query.items()), doseq=True))
    if throttled is not None:
        return throttled
    if parts[:3] == ["voyager", "api", "feed"] and len(parts) == 4:
        return api(world, request, parts[3])
    if parts == ["authwall"]:
        return authwall_page(request)
    if parts == ["feed"]:
        return home_page(world, request)
    if parts == [COMPANY.handle]:  # the sandbox's index links /<platform>/<handle>
        return _redirect(f"/linkedin/company/{COMPANY.handle}/")
    if parts[:2] == ["company", COMPANY.handle] and parts[2:] in ([], ["posts"]):
        return company_page(world, request)
    if len(parts) == 3 and parts[:2] == ["feed", "update"]:
        return permalink_page(world, request, parts[2])
    return not_found("Sidan finns inte")


def _throttle(world: World) -> Throttle:
    throttle = world.runtime.get("linkedin_throttle")
    if not isinstance(throttle, Throttle):
        throttle = Throttle(world.config.throttle_every)
        world.runtime["linkedin_throttle"] = throttle
    return throttle


def _logged_in(world: World, request: Request) -> bool:
    return session_valid(request.cookies.get(SESSION_COOKIE), world.secret)


def _credentials() -> tuple[str, str]:
    return SANDBOX_CREDENTIALS


def _redirect(location: str, cookies: list[str] | None = None) -> Response:
    headers = [("Location", location), ("Cache-Control", "no-store")]
    headers += [("Set-Cookie", cookie) for cookie in cookies or []]
    return Response(303 if cookies else 302, "text/html; charset=utf-8", b"", headers, compressible=False)


def login_submit(world: World, request: Request) -> Response:
    form = request.form()
    target = form.get("session_redirect") or "/linkedin/feed/"
    if not target.startswith("/linkedin/"):
        target = "/linkedin/feed/"  # never an open redirect
    username, password = _credentials()
    if form.get("session_key", "").strip().lower() != username or form.get("session_password") != password:
        return login_page(request, error="Fel e-postadress eller lösenord. Försök igen.", status=200)
    cookies = [f"{SESSION_COOKIE}={session_token(world.secret, username)}; Path=/linkedin; HttpOnly; SameSite=Lax",
               f"{CSRF_COOKIE}=ajax:{secrets.randbelow(10**18):018d}; Path=/linkedin; SameSite=Lax"]
    return _redirect(target, cookies)


def media(world: World, request: Request, filename: str) -> Response:
    found = next((m for m in world.media.values() if m.platform == "linkedin" and m.filename == filename), None)
    if found is None:
        return not_found()
    problem = signature_problem(request, world.secret)
    if problem is not None:
        return problem
    return Response(200, found.content_type, found.data, [("Cache-Control", "private, max-age=300")],
                    compressible=False)


def static(name: str) -> Response:
    if name not in STATIC_FILES:
        return not_found()
    data = resources.files("smarchive.sandbox").joinpath("static", name).read_bytes()
    return Response(200, STATIC_FILES[name], data, [("Cache-Control", "public, max-age=600")])


# ---------------------------------------------------------------------------------------------
# JSON


def _ms(item: WorldItem) -> int:
    return int(item.published_at.timestamp() * 1000)


def relative_time(moment: datetime, now: float | None = None) -> str:
    """LinkedIn's Swedish relative time: "nu", "5 min", "18 tim", "3 d", "2 v", "4 mån", "1 år"."""
    seconds = max(0, int((now if now is not None else time.time()) - moment.timestamp()))
    for limit, unit, label in ((60, 1, "nu"), (3600, 60, "min"), (86400, 3600, "tim"), (604800, 86400, "d"),
                               (2629800, 604800, "v"), (31557600, 2629800, "mån")):
        if seconds < limit:
            return label if unit == 1 else f"{seconds // unit} {label}"
    return f"{seconds // 31557600} år"


def _company_node(base: str) -> dict:
    return {"name": {"text": COMPANY.name}, "urn": f"urn:li:company:{COMPANY.id}",
            "navigationUrl": f"{base}/linkedin/company/{COMPANY.handle}/",
            "description": {"text": "18 408 följare"}}


def _images_json(world: World, item: WorldItem, base: str) -> list[dict]:
    return [{"url": base + sign_path(world.media[m].path, world.secret), "width": 80, "height": 45,
             "accessibilityText": "Ingen alternativ text angiven för den här bilden"} for m in item.media]


def _token(world: World, owner: str, start: int) -> str:
    return hashlib.sha256(f"{world.secret}|{owner}|{start}".encode()).hexdigest()[:20]


def _listing(world: World, owner: str, rows: list, start: int, count: int, render) -> dict:  # noqa: ANN001
    page = rows[start:start + count]
    end = start + len(page)
    return {"elements": [render(row) for row in page],
            "paging": {"start": start, "count": count, "total": len(rows), "links": []},
            "metadata": {"paginationToken": _token(world, owner, end) if end < len(rows) else None}}


def _comment_json(world: World, item: WorldItem, base: str) -> dict:
    if item.author_is_account:
        commenter = {"title": {"text": COMPANY.name}, "actorUrn": f"urn:li:company:{COMPANY.id}",
                     "navigationUrl": f"{base}/linkedin/company/{COMPANY.handle}/"}
    else:
        commenter = {"title": {"text": item.author}, "actorUrn": f"urn:li:member:{item.author_id}",
                     "navigationUrl": f"{base}/linkedin/in/{item.author_id}/"}
    parent = None if item.item_type == "comment" else f"urn:li:comment:(activity:{item.post_id},{item.parent_id})"
    return {
        "$type": "com.linkedin.voyager.dash.social.Comment",
        "urn": comment_urn(item),
        "entityUrn": f"urn:li:fsd_comment:({item.id},{activity_urn(item.post_id)})",
        "threadUrn": activity_urn(item.post_id),
        "parentCommentUrn": parent,
        "commenter": commenter,
        "commentary": {"text": item.text},
        "createdAt": _ms(item),
        "timeAgo": relative_time(item.published_at),
        "content": {"images": _images_json(world, item, base)},
        "permalink": base + permalink(item),
        "socialDetail": {"totalSocialActivityCounts": {"numComments": len(world.children(item.id)),
                                                       "numLikes": item.reactions}},
    }


def _comments(world: World, parent: WorldItem, start: int, count: int, base: str) -> dict:
    owner = activity_urn(parent.id) if parent.item_type == "post" else comment_urn(parent)
    return _listing(world, owner, world.children(parent.id), start, count,
                    lambda item: _comment_json(world, item, base))


def _update_json(world: World, post: WorldItem, base: str, comments: int) -> dict:
    edited = post.id in world.runtime.get("linkedin_edited", set())  # type: ignore[operator]
    ago = relative_time(post.published_at) + (" • Redigerat" if edited else "")
    return {
        "$type": "com.linkedin.voyager.dash.feed.Update",
        "entityUrn": f"urn:li:fsd_update:({activity_urn(post.id)},COMPANY_FEED,DEFAULT)",
        "updateMetadata": {"urn": activity_urn(post.id), "trackingId": _token(world, post.id, -1)},
        "actor": {**_company_node(base), "subDescription": {"text": ago}},
        "commentary": {"text": {"text": post.text}},
        "createdAt": _ms(post),
        "edited": edited,
        "content": {"images": _images_json(world, post, base)},
        "permalink": base + permalink(post),
        "socialDetail": {
            "urn": f"urn:li:fsd_socialDetail:({activity_urn(post.id)})",
            # LinkedIn's "N comments" under a post counts the replies too, as the real site does.
            "totalSocialActivityCounts": {"numComments": _thread_size(world, post.id), "numLikes": post.reactions},
            "comments": _comments(world, post, 0, comments, base),
        },
    }


def _problem(status: int, message: str) -> Response:
    return json_response({"status": status, "message": message}, status)


def _int(request: Request, name: str, default: int) -> int | None:
    value = (request.query.get(name) or [str(default)])[0]
    return int(value) if value.isdigit() else None


def api(world: World, request: Request, endpoint: str) -> Response:
    if not _logged_in(world, request):
        return _problem(401, "Unauthorized")
    csrf = request.cookies.get(CSRF_COOKIE)
    if not csrf or request.headers.get("csrf-token") != csrf:
        return _problem(403, "CSRF check failed")
    start, count = _int(request, "start", 0), _int(request, "count", FEED_PAGE)
    if start is None or count is None:
        return _problem(400, "start and count must be numbers")
    count = max(1, min(MAX_COUNT, count))
    q = (request.query.get("q") or [""])[0]
    if endpoint == "updates":
        owner, rows = _feed_rows(world, request)
    elif endpoint == "comments" and q in ("comments", "replies"):
        owner, rows = _comment_rows(world, request, q)
    else:
        return _problem(400, "unknown endpoint or q")
    if rows is None:
        return _problem(404, "Not found")
    if start and (request.query.get("paginationToken") or [""])[0] != _token(world, owner, start):
        return _problem(400, "Invalid paginationToken")
    base = request.base_url
    if endpoint == "updates":
        listing = _listing(world, owner, rows, start, count, lambda p: _update_json(world, p, base, 0))
    else:
        listing = _listing(world, owner, rows, start, count, lambda c: _comment_json(world, c, base))
    if world.config.linkedin_generation != "dash":
        return json_response(listing)
    answer = normalized(listing)
    if q == "replies":
        answer["included"].append(_replies_detail(owner, listing))
    return json_response(answer)


# ---------------------------------------------------------------------------------------------
# The "dash" generation (2023+): normalized answers


def normalized(value: dict) -> dict:
    """The answer as LinkedIn's normalized JSON sends it: every entity (a dict with an entityUrn) below the top
    moved into `included[]`, referred to by its urn under the key with a `*` in front. Replies lose
    `parentCommentUrn`: the real dash Comment does not carry it."""
    included: list[dict] = []
    return {"data": _refer(value, included), "included": included}


def _refer(value: object, included: list[dict]) -> object:
    if isinstance(value, list):
        return [_refer(v, included) for v in value]
    if not isinstance(value, dict):
        return value
    node = {}
    for key, child in value.items():
        if key == "parentCommentUrn":
            continue
        if isinstance(child, dict) and child.get("entityUrn"):
            included.append(_refer(child, included))
            node["*" + key] = child["entityUrn"]
        elif isinstance(child, list) and child and all(isinstance(c, dict) and c.get("entityUrn") for c in child):
            included.extend(_refer(c, included) for c in child)
            node["*" + key] = [c["entityUrn"] for c in child]
        else:
            node[key] = _refer(child, included)
    return node


def _replies_detail(comment_urn: str, listing: dict) -> dict:
    """The parent's SocialDetail, which alone says which comments are its replies (as on the real site)."""
    return {
        "$type": "com.linkedin.voyager.dash.social.SocialDetail",
        "entityUrn": f"urn:li:fsd_socialDetail:({comment_urn},{comment_urn},urn:li:highlightedReply:-)",
        "threadUrn": comment_urn,
        "comments": {"*elements": [c["entityUrn"] for c in listing["elements"]], "paging": listing["paging"]},
    }


def _feed_rows(world: World, request: Request) -> tuple[str, list | None]:
    company = (request.query.get("companyId") or [""])[0]
    if company != COMPANY.id:
        return company, None
    return f"company:{company}", world.posts("linkedin", COMPANY.handle)


def _comment_rows(world: World, request: Request, q: str) -> tuple[str, list | None]:
    if q == "comments":
        owner = (request.query.get("updateUrn") or [""])[0]
        post = world.item(owner.removeprefix("urn:li:activity:"))
        ok = post is not None and post.platform == "linkedin" and post.item_type == "post"
        return owner, world.children(post.id) if ok else None
    owner = (request.query.get("commentUrn") or [""])[0]
    comment_id = owner.rstrip(")").rsplit(",", 1)[-1]
    comment = world.item(comment_id)
    ok = comment is not None and comment.platform == "linkedin" and comment.item_type == "comment"
    return owner, world.children(comment.id) if ok and comment_urn(comment) == owner else None


# ---------------------------------------------------------------------------------------------
# Pages


def _page(title: str, body_attrs: str, main: str, script: bool = True) -> str:
    js = '<script src="/linkedin/static/linkedin.js"></script>' if script else ""
    return f"""<!doctype html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="/linkedin/static/linkedin.css">
</head>
<body {body_attrs}>
<header class="global-nav"><a class="nav-logo" href="/linkedin/feed/">Linked<span>in</span></a>
<span class="sandbox-note">sandlåda</span></header>
{main}
{js}
</body>
</html>
"""


def _company_header() -> str:
    return (f'<section class="top-card"><h1 class="top-card-layout__title">{html.escape(COMPANY.name)}</h1>'
            '<p class="top-card-layout__headline">Myndighet · Örebro, Örebro län · 18 408 följare</p>'
            '<p class="about">Vi är Örebros största arbetsgivare med drygt 11 000 medarbetare inom '
            'förskola, skola, vård och omsorg, kultur, teknik och samhällsbyggnad.</p></section>')


def _blob(payload: dict, number: int = 1) -> str:
    """JSON as LinkedIn embeds it: HTML-escaped inside a hidden <code> element."""
    text = html.escape(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), quote=True)
    return f'<code style="display: none" id="bpr-guid-{number}">{text}</code>'


def company_page(world: World, request: Request) -> Response:
    if not _logged_in(world, request):
        return guest_company_page(world, request)
    attrs = f'data-view="company" data-logged-in="true" data-company-id="{COMPANY.id}"'
    main = (f'{_company_header()}<h2 class="updates-title">Inlägg</h2>'
            '<main id="feed" class="feed" role="feed" aria-label="Inlägg"></main>')
    return html_response(_page(f"{COMPANY.name} | LinkedIn", attrs, main))


def _guest_card(world: World, post: WorldItem, position: int, base: str) -> str:
    """A post as the logged-out page shows it, in the structure of LinkedIn's guest markup."""
    urn = activity_urn(post.id)
    images = "".join(
        f'<li class="feed-images-content__list-item" data-test-id="feed-images-content__list-item">'
        f'<img src="{html.escape(base + sign_path(world.media[m].path, world.secret))}" alt=""></li>'
        for m in post.media)
    gallery = f'<ul data-test-id="feed-images-content">{images}</ul>' if images else ""
    comments = len(world.children(post.id))
    edited = post.id in world.runtime.get("linkedin_edited", set())  # type: ignore[operator]
    return f"""<li class="mb-1"><div data-id="entire-feed-card-link" class="relative">
<a class="main-feed-card__overlay-link" data-id="main-feed-card__full-link" href="{base}{permalink(post)}"
 aria-label="Uppdatering {position}"></a>
<article class="main-feed-activity-card" data-activity-urn="{urn}" data-id="main-feed-card"
 data-feed-item-list-position="{position}">
<div class="entity-lockup" data-test-id="main-feed-activity-card__entity-lockup">
<a class="actor-name" href="{base}/linkedin/company/{COMPANY.handle}/">{html.escape(COMPANY.name)}</a>
<p class="actor-followers">18 408 följare</p>
<span class="meta"><time class="flex-none">{relative_time(post.published_at)}
{'<span>Redigerat</span>' if edited else ''}</time></span></div>
<div class="attributed-text-segment-list__container">
<p class="attributed-text-segment-list__content attributed-text-segment-list__content-truncated" dir="ltr"
 data-test-id="main-feed-activity-card__commentary">{html.escape(post.text)}</p>
<button class="attributed-text-segment-list__btn-truncation" data-feed-action="see-more-post"
 aria-hidden="true">…se mer</button></div>
{gallery}
<div class="social-counts">
<a href="/linkedin/signup" data-test-id="social-actions__reactions" data-num-reactions="{post.reactions}"
 aria-label="{post.reactions} reaktioner"><span data-test-id="social-actions__reaction-count"
>{post.reactions}</span></a>
{f'<a href="/linkedin/signup" data-test-id="social-actions__comments" data-num-comments="{comments}">'
 f'{comments} kommentarer</a>' if comments else ''}
</div></article></div></li>"""


SIGN_IN_MODAL = """
<div class="contextual-sign-in-modal base-contextual-sign-in-modal" data-show-on-page-load="">
 <section id="sign-in-modal" aria-modal="true" role="dialog" aria-labelledby="sign-in-modal-header" class="modal">
  <h2 id="sign-in-modal-header">Logga in för att se mer från Örebro kommun</h2>
  <a class="sign-in-modal__button" href="/linkedin/login?session_redirect={redirect}">Logga in</a>
  <a class="join-button" href="/linkedin/signup">Gå med nu</a>
  <button class="modal__dismiss" aria-label="Stäng">×</button>
 </section>
</div>"""


def guest_company_page(world: World, request: Request) -> Response:
    base = request.base_url
    posts = world.posts("linkedin", COMPANY.handle)[:GUEST_POSTS]
    cards = "".join(_guest_card(world, post, n, base) for n, post in enumerate(posts, start=1))
    redirect = quote(request.path, safe="")
    main = (f'{_company_header()}<section class="updates" data-test-id="updates"><h2>Uppdateringar</h2>'
            f'<ul class="updates__list">{cards}</ul>'
            f'<p class="updates__more">Logga in för att se fler inlägg.</p></section>'
            + SIGN_IN_MODAL.format(redirect=redirect))
    return html_response(_page(f"{COMPANY.name} | LinkedIn", 'data-view="guest-company" data-logged-in="false"',
                               main))


def permalink_page(world: World, request: Request, urn: str) -> Response:
    post = world.item(urn.removeprefix("urn:li:activity:")) if urn.startswith("urn:li:activity:") else None
    if post is None or post.platform != "linkedin" or post.item_type != "post":
        return not_found("Inlägget går inte att visa. Det kan ha tagits bort.")
    if not _logged_in(world, request):
        target = request.path + ("?" + urlencode(request.query, doseq=True) if request.query else "")
        wall = urlencode({"trk": "public_post", "sessionRedirect": request.base_url + target})
        return _redirect(f"/linkedin/authwall?{wall}")
    update = _update_json(world, post, request.base_url, FIRST_COMMENTS)
    data = normalized(update) if world.config.linkedin_generation == "dash" else {"data": update, "included": []}
    attrs = f'data-view="permalink" data-logged-in="true" data-activity-urn="{activity_urn(post.id)}"'
    main = f'<main id="feed" class="feed permalink" aria-label="Inlägg"></main>\n{_blob(data)}'
    return html_response(_page(f"{post.text[:60]} | {COMPANY.name} | LinkedIn", attrs, main))


def authwall_page(request: Request) -> Response:
    redirect = (request.query.get("sessionRedirect") or [""])[0]
    main = f"""<main class="authwall" id="authwall">
<h1>Gå med i LinkedIn eller logga in för att fortsätta</h1>
<p>Du måste vara inloggad för att se det här inlägget.</p>
<a class="authwall-join-form__form-toggle--bottom" href="/linkedin/login?session_redirect={quote(redirect, safe='')}"
>Logga in</a>
</main>"""
    return html_response(_page("Logga in | LinkedIn", 'data-view="authwall" data-logged-in="false"', main,
                               script=False))


def login_page(request: Request, error: str = "", status: int = 200) -> Response:
    redirect = (request.query.get("session_redirect") or [request.form().get("session_redirect", "")])[0]
    notice = f'<p class="form__error" role="alert">{html.escape(error)}</p>' if error else ""
    main = f"""<main class="login" id="app__container">
<h1 class="header__content__heading">Logga in</h1>
<p>Håll dig uppdaterad om din yrkesvärld</p>
{notice}
<form class="login__form" method="post" action="/linkedin/login">
<input type="hidden" name="session_redirect" value="{html.escape(redirect)}">
<label for="username">E-postadress eller telefon</label>
<input id="username" name="session_key" type="text" autocomplete="username" required>
<label for="password">Lösenord</label>
<input id="password" name="session_password" type="password" autocomplete="current-password" required>
<button class="btn__primary--large" type="submit" aria-label="Logga in">Logga in</button>
</form></main>"""
    return html_response(_page("LinkedIn Logga in", 'data-view="login" data-logged-in="false"', main,
                               script=False), status=status)


def home_page(world: World, request: Request) -> Response:
    if not _logged_in(world, request):
        return _redirect("/linkedin/login?session_redirect=%2Flinkedin%2Ffeed%2F")
    main = (f'<main class="home" id="home"><h1>Välkommen tillbaka</h1>'
            f'<a href="/linkedin/company/{COMPANY.handle}/">{html.escape(COMPANY.name)}</a></main>')
    return html_response(_page("Flöde | LinkedIn", 'data-view="home" data-logged-in="true"', main, script=False))


def _thread_size(world: World, post_id: str) -> int:
    """Comments and replies under a post: the total LinkedIn shows as the post's comment count."""
    comments = world.children(post_id)
    return len(comments) + sum(len(world.children(c.id)) for c in comments)
