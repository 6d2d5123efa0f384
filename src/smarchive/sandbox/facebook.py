"""The Facebook imitation: pages, consent wall, login, GraphQL-like API and media, rendered from a World.

What it imitates (and why): the page shows nothing until the cookie dialog is answered; the
timeline holds the first posts only (a pinned, older post first) and loads the rest through
`POST /facebook/api/graphql/` (form-encoded `doc_id` and JSON `variables`, cursor-paged) as the
user scrolls; every post shows two comments, the rest come behind "Visa fler kommentarer",
replies behind "N svar"; logged out, only the first comment shows, then "Logga in för att se fler
kommentarer" (the API refuses comment pages without a session). Long texts are cut behind "Visa
mer" in the page. The page shows relative Swedish times while exact data lives only in JSON (an
embedded `<script type="application/json">` blob in the HTML, and the GraphQL bodies). Media are
served on signed, expiring URLs; videos play through MediaSource (byte-range segments) when the
browser supports it, else from the progressive MP4. Every n-th distinct page or API call is
answered 429 with Retry-After once (SandboxConfig.throttle_every).

Routes:
    GET  /facebook/<handle>                  timeline page (consent wall until answered)
    GET  /facebook/<handle>/posts/<post id>  permalink page; 404 for a deleted post
    POST /facebook/api/graphql/              doc_id + variables -> {"data": {"node": ...}}
    POST /facebook/consent/                  choice=all|essential -> cookie sb_consent
    GET|POST /facebook/login/                email, pass, next -> session cookie xs, 303 to next
    GET  /facebook/media/<file>?exp=&sig=    signed media; Range and bytestart/byteend for video

GraphQL documents (doc_id, variables -> data.node):
- ProfileCometTimelineFeedRefetchQuery {id: page id, cursor, count} -> Page with timeline_feed_units
- CommentsListComponentsPaginationQuery {id: post feedback id, cursor, count} -> Feedback with display_comments
- Depth1CommentsListPaginationQuery {id: comment feedback id, cursor, count} -> Comment with
  feedback.replies_connection
Story nodes carry `is_pinned`, `edited_time` (edited posts, shown "Redigerat") and attachments:
Photo {image.uri} or Video {image.uri (poster), playable_url (progressive MP4)}.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from urllib.parse import quote, urlsplit

from smarchive.sandbox import facebook_basic
from smarchive.sandbox.content import MediaFile, World, WorldAccount, WorldItem, build_facebook, facebook_pinned
from smarchive.sandbox.truth import facebook_permalink as permalink
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

CONSENT_COOKIE = "sb_consent"
CONSENT_MAX_AGE = 180 * 24 * 3600
SESSION_COOKIE = "xs"  # the real site's session cookie is called xs too
SESSION_MAX_AGE = 90 * 24 * 3600
TIMELINE_PAGE = 3  # posts in the initial HTML and per scroll by default
FIRST_COMMENTS = 2  # comments shown with a post before "Visa fler kommentarer"
LOGGED_OUT_COMMENTS = 1  # logged out, the rest is behind "Logga in för att se fler kommentarer"
LOGIN_PROMPT = "Logga in för att se fler kommentarer"
LOGIN_ERROR = "Fel e-postadress eller lösenord. Försök igen."
MAX_PAGE = 10  # the API never returns more than this per request, whatever the client asks
DOC_TIMELINE = "ProfileCometTimelineFeedRefetchQuery"
DOC_COMMENTS = "CommentsListComponentsPaginationQuery"
DOC_REPLIES = "Depth1CommentsListPaginationQuery"
STATIC_FILES = {"facebook.js": "text/javascript; charset=utf-8", "facebook.css": "text/css; charset=utf-8"}


build = build_facebook


def handle(world: World, request: Request) -> Response:
    """Answer a request whose path starts with /facebook/."""
    parts = [p for p in request.path.split("/") if p][1:]
    if parts == ["login"]:
        return login(world, request)
    if request.method == "POST":
        if parts == ["api", "graphql"]:
            return _throttled(world, request) or graphql(world, request)
        if parts == ["consent"]:
            return consent(request)
        return not_found()
    if len(parts) == 2 and parts[0] == "media":
        return media(world, request, parts[1])
    if len(parts) == 2 and parts[0] == "static":
        return static(parts[1])
    if world.config.facebook_generation == "basic":
        return _basic(world, request, parts)
    account = world.account("facebook", parts[0]) if parts else None
    if account is None:
        return not_found()
    if len(parts) == 1:
        return _throttled(world, request) or timeline_page(world, account, request)
    if len(parts) == 3 and parts[1] == "posts":
        return _throttled(world, request) or permalink_page(world, account, request, parts[2])
    return not_found()


def _basic(world: World, request: Request, parts: list[str]) -> Response:
    """The pages of the older, plain-HTML generation (facebook_basic.py), at the same URLs."""
    logged_in = _logged_in(world, request)
    if parts == ["comment", "replies"]:
        return _throttled(world, request) or facebook_basic.replies_page(world, request, logged_in)
    account = world.account("facebook", parts[0]) if parts else None
    if account is None:
        return not_found()
    if len(parts) == 1:
        return _throttled(world, request) or facebook_basic.timeline_page(world, account, request)
    post = world.item(parts[2]) if len(parts) == 3 and parts[1] == "posts" else None
    if post is None or post.item_type != "post" or post.account != account.handle:
        return not_found("Det här innehållet är inte tillgängligt just nu")
    return _throttled(world, request) or facebook_basic.permalink_page(world, account, request, post, logged_in)


def _throttled(world: World, request: Request) -> Response | None:
    """429 + Retry-After once for every n-th distinct page or API call, like the real rate limiter."""
    throttle = world.runtime.get("facebook-throttle")
    if not isinstance(throttle, Throttle):
        throttle = world.runtime.setdefault("facebook-throttle", Throttle(world.config.throttle_every))
    key = request.path
    if request.method == "POST":
        form = request.form()
        key += f"|{form.get('doc_id', '')}|{form.get('variables', '')}"
    return throttle.check(key)  # type: ignore[union-attr]


# --- ids and cursors: opaque base64 like the real site's, so a parser must use the plain fields


def _opaque(text: str) -> str:
    return base64.b64encode(text.encode()).decode().rstrip("=")


def _unopaque(value: str) -> str:
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ""


def _cursor(owner: str, offset: int) -> str:
    return _opaque(f"cursor:{owner}:{offset}")


def _offset(cursor: object, owner: str) -> int | None:
    """Offset encoded in a cursor for `owner`; 0 for no cursor; None for a foreign or broken one."""
    if cursor in (None, ""):
        return 0
    parts = _unopaque(str(cursor)).split(":")
    if len(parts) != 3 or parts[0] != "cursor" or parts[1] != owner or not parts[2].isdigit():
        return None
    return int(parts[2])


def _consented(request: Request) -> bool:
    return request.cookies.get(CONSENT_COOKIE) in ("all", "essential")


def _logged_in(world: World, request: Request) -> bool:
    return session_valid(request.cookies.get(SESSION_COOKIE), world.secret)


# --- JSON nodes, shaped after the real GraphQL


@dataclass(frozen=True)
class View:
    """Who is asking: absolute URLs need the host, media URLs a fresh signature, comments a session."""

    world: World
    base: str
    logged_in: bool

    def media_url(self, media: MediaFile) -> str:
        return self.base + sign_path(media.path, self.world.secret)


def _view(world: World, request: Request) -> View:
    return View(world, request.base_url, _logged_in(world, request))


def _epoch(item: WorldItem) -> int:
    return int(item.published_at.timestamp())


def _page_node(account: WorldAccount, base: str) -> dict:
    return {"__typename": "Page", "id": account.id, "name": account.name,
            "url": f"{base}/facebook/{account.handle}"}


def _author_node(view: View, item: WorldItem) -> dict:
    if item.author_is_account:
        account = view.world.account(item.platform, item.account)
        assert account is not None
        return _page_node(account, view.base)
    return {"__typename": "User", "id": item.author_id, "name": item.author,
            "url": f"{view.base}/facebook/profile.php?id={item.author_id}"}


def _attachments(view: View, item: WorldItem) -> list[dict]:
    """Photos, and videos with their poster (the image just before the video in item.media)."""
    files = [view.world.media[m] for m in item.media]
    attachments: list[dict] = []
    for n, media in enumerate(files):
        if media.content_type.startswith("video/"):
            continue
        following = files[n + 1] if n + 1 < len(files) else None
        image = {"uri": view.media_url(media), "width": 64, "height": 48}
        if following is not None and following.content_type.startswith("video/"):
            attachments.append({"style_list": ["video_inline", "video"], "media": {
                "__typename": "Video", "id": following.id, "image": image,
                "playable_url": view.media_url(following), "playable_mime_type": following.content_type,
                "playable_duration_in_ms": 42_000, "is_playable": True,
                "accessibility_caption": "Video med teckenspråk"}})
        else:
            attachments.append({"style_list": ["photo"], "media": {
                "__typename": "Photo", "id": media.id, "accessibility_caption": "Bilden kan innehålla: text",
                "image": image}})
    return attachments


def _connection(edges: list[dict], owner: str, offset: int, total: int) -> dict:
    end = offset + len(edges)
    return {"edges": edges, "page_info": {"has_next_page": end < total,
                                          "end_cursor": _cursor(owner, end) if edges else None}}


def _comments(view: View, post: WorldItem, offset: int, count: int) -> dict:
    children = view.world.children(post.id)
    page = children[offset : offset + count]
    edges = [{"cursor": _cursor(post.id, offset + n + 1), "node": _comment_node(view, c)}
             for n, c in enumerate(page)]
    return {"count": len(children), **_connection(edges, post.id, offset, len(children))}


def _replies(view: View, comment: WorldItem, offset: int, count: int) -> dict:
    children = view.world.children(comment.id)
    page = children[offset : offset + count]
    edges = [{"cursor": _cursor(comment.id, offset + n + 1), "node": _comment_node(view, r)}
             for n, r in enumerate(page)]
    return {"count": len(children), **_connection(edges, comment.id, offset, len(children))}


def _comment_node(view: View, item: WorldItem) -> dict:
    replies = len(view.world.children(item.id))
    node = {
        "__typename": "Comment",
        "id": _opaque(f"comment:{item.post_id}_{item.id}"),
        "legacy_fbid": item.id,
        "depth": 0 if item.item_type == "comment" else 1,
        "created_time": _epoch(item),
        "url": view.base + permalink(item),
        "body": {"text": item.text},
        "author": _author_node(view, item),
        "attachments": _attachments(view, item),
        "parent_feedback": {"id": _opaque(f"feedback:{item.post_id}"), "share_fbid": item.post_id},
        "comment_parent": None,
        "feedback": {"id": _opaque(f"feedback:{item.id}"), "reactors": {"count": item.reactions},
                     "replies_fields": {"total_count": replies},
                     "replies_connection": {"edges": [], "page_info": {"has_next_page": replies > 0,
                                                                        "end_cursor": None}}},
    }
    if item.item_type == "reply":
        node["comment_parent"] = {"id": _opaque(f"comment:{item.post_id}_{item.parent_id}"),
                                  "legacy_fbid": item.parent_id}
    return node


def _story_node(view: View, post: WorldItem) -> dict:
    account = view.world.account(post.platform, post.account)
    assert account is not None
    edited_at = getattr(post, "edited_at", None)
    shown = FIRST_COMMENTS if view.logged_in else LOGGED_OUT_COMMENTS
    return {
        "__typename": "Story",
        "id": _opaque(f"S:_I{account.id}:{post.id}"),
        "post_id": post.id,
        "creation_time": _epoch(post),
        "edited_time": int(edited_at.timestamp()) if edited_at else None,
        "is_pinned": bool(getattr(post, "pinned", False)),
        "url": view.base + permalink(post),
        "message": {"text": post.text} if post.text else None,
        "actors": [_page_node(account, view.base)],
        "attachments": _attachments(view, post),
        "feedback": {
            "id": _opaque(f"feedback:{post.id}"),
            "reaction_count": {"count": post.reactions},
            "comment_count": {"total_count": len(view.world.children(post.id))},
            "display_comments": _comments(view, post, 0, shown),
            "viewer_must_log_in": not view.logged_in,
        },
    }


def _timeline(view: View, account: WorldAccount, offset: int, count: int) -> dict:
    """Newest first, the pinned post (whatever its age) ahead of all the others."""
    posts = view.world.posts("facebook", account.handle)
    pinned = facebook_pinned(view.world, account.handle)
    if pinned is not None:
        posts = [pinned] + [p for p in posts if p.id != pinned.id]
    page = posts[offset : offset + count]
    edges = [{"cursor": _cursor(account.id, offset + n + 1), "node": _story_node(view, p)}
             for n, p in enumerate(page)]
    return {**_page_node(account, view.base), "username": account.handle,
            "timeline_feed_units": _connection(edges, account.id, offset, len(posts))}


# --- the API


def _error(message: str, status: int = 400) -> Response:
    return json_response({"errors": [{"message": message, "severity": "CRITICAL"}], "data": None}, status)


def graphql(world: World, request: Request) -> Response:
    if not _consented(request):
        return _error("Cookie consent required", 403)
    form = request.form()
    try:
        variables = json.loads(form.get("variables") or "{}")
    except json.JSONDecodeError:
        return _error("variables is not JSON")
    if not isinstance(variables, dict):
        return _error("variables must be an object")
    count = variables.get("count", TIMELINE_PAGE)
    count = max(1, min(MAX_PAGE, count if isinstance(count, int) else TIMELINE_PAGE))
    doc = form.get("doc_id", "")
    resolvers = {DOC_TIMELINE: _resolve_timeline, DOC_COMMENTS: _resolve_comments, DOC_REPLIES: _resolve_replies}
    if doc not in resolvers:
        return _error(f"unknown doc_id {doc!r}")
    view = _view(world, request)
    if doc != DOC_TIMELINE and not view.logged_in:
        return _error(LOGIN_PROMPT, 401)
    node = resolvers[doc](view, str(variables.get("id", "")), variables.get("cursor"), count)
    if node is None:
        return _error("unknown id or cursor")
    return json_response({"data": {"node": node}, "extensions": {"is_final": True}})


def _resolve_timeline(view: View, node_id: str, cursor: object, count: int) -> dict | None:
    account = next((a for a in view.world.accounts.get("facebook", []) if a.id == node_id), None)
    offset = _offset(cursor, node_id)
    if account is None or offset is None:
        return None
    return _timeline(view, account, offset, count)


def _resolve_comments(view: View, node_id: str, cursor: object, count: int) -> dict | None:
    post = view.world.item(_unopaque(node_id).removeprefix("feedback:"))
    offset = _offset(cursor, post.id) if post else None
    if post is None or post.item_type != "post" or offset is None:
        return None
    return {"__typename": "Feedback", "id": node_id, "display_comments": _comments(view, post, offset, count)}


def _resolve_replies(view: View, node_id: str, cursor: object, count: int) -> dict | None:
    comment = view.world.item(_unopaque(node_id).removeprefix("feedback:"))
    offset = _offset(cursor, comment.id) if comment else None
    if comment is None or comment.item_type != "comment" or offset is None:
        return None
    node = _comment_node(view, comment)
    node["feedback"]["replies_connection"] = _replies(view, comment, offset, count)
    if comment.post_id in view.world.config.broken_reply_buttons:  # answered, but with nothing (see SandboxConfig)
        node["feedback"]["replies_connection"] = _connection([], comment.id, offset, offset)
    return node


def consent(request: Request) -> Response:
    """Either answer dismisses the wall (as on the real site); the cookie remembers it."""
    choice = "all" if request.form().get("choice") == "all" else "essential"
    cookie = f"{CONSENT_COOKIE}={choice}; Path=/; Max-Age={CONSENT_MAX_AGE}; SameSite=Lax"
    response = json_response({"ok": True, "choice": choice})
    response.headers.append(("Set-Cookie", cookie))
    return response


def login(world: World, request: Request) -> Response:
    """The login form; a right password sets the session cookie and goes back to where it came from."""
    form = request.form() if request.method == "POST" else {}
    target = form.get("next") or (request.query.get("next") or [""])[0]
    target = target if _is_local(target) else "/facebook/"
    if request.method != "POST":
        return html_response(_login_html(target, "", _consented(request)))
    username, password = form.get("email", ""), form.get("pass", "")
    if (username, password) != SANDBOX_CREDENTIALS:
        return html_response(_login_html(target, username, _consented(request), failed=True))
    cookie = (f"{SESSION_COOKIE}={session_token(world.secret, username)}; Path=/facebook/; "
              f"Max-Age={SESSION_MAX_AGE}; HttpOnly; SameSite=Lax")
    return Response(303, "text/html; charset=utf-8", b"", [("Location", target), ("Set-Cookie", cookie),
                                                              ("Cache-Control", "no-store")])


def _is_local(target: str) -> bool:
    """Only paths of this site: the login must not become an open redirect."""
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/facebook/")


BYTE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def media(world: World, request: Request, filename: str) -> Response:
    """A CDN: signed, expiring URLs; byte ranges (Range header, or the player's bytestart/byteend)."""
    found = next((m for m in world.media.values() if m.platform == "facebook" and m.filename == filename), None)
    if found is None:
        return not_found()
    problem = signature_problem(request, world.secret)
    if problem is not None:
        return problem
    etag = f'"{found.sha256[:32]}"'
    headers = [("Cache-Control", "public, max-age=31536000, immutable"), ("ETag", etag), ("Accept-Ranges", "bytes")]
    if request.headers.get("if-none-match") == etag:
        return Response(304, found.content_type, b"", headers, compressible=False)
    start, end = _param(request, "bytestart"), _param(request, "byteend")
    if start is not None:  # a MediaSource segment: 200 with the slice, as the real CDN answers
        return Response(200, found.content_type, found.data[start : (end + 1) if end is not None else None],
                        headers, compressible=False)
    match = BYTE_RANGE.match(request.headers.get("range", "").strip())
    if match and (match.group(1) or match.group(2)):
        return _partial(found, match.group(1), match.group(2), headers)
    return Response(200, found.content_type, found.data, headers, compressible=False)


def _param(request: Request, name: str) -> int | None:
    value = (request.query.get(name) or [""])[0]
    return int(value) if value.isdigit() else None


def _partial(found: MediaFile, first: str, last: str, headers: list[tuple[str, str]]) -> Response:
    size = len(found.data)
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    else:  # "bytes=-N": the last N bytes
        start, end = max(0, size - int(last)), size - 1
    if start >= size or start > end:
        return Response(416, "text/plain; charset=utf-8", b"", [("Content-Range", f"bytes */{size}")],
                        compressible=False)
    return Response(206, found.content_type, found.data[start : end + 1],
                    [*headers, ("Content-Range", f"bytes {start}-{end}/{size}")], compressible=False)


def static(name: str) -> Response:
    if name not in STATIC_FILES:
        return not_found()
    data = resources.files("smarchive.sandbox").joinpath("static", name).read_bytes()
    return Response(200, STATIC_FILES[name], data, [("Cache-Control", "public, max-age=600")])


# --- pages


CONSENT_DIALOG = """
<div id="consent" class="consent-backdrop" role="dialog" aria-modal="true" aria-labelledby="consent-title">
  <div class="consent-box">
    <h2 id="consent-title">Tillåt användning av cookies från Facebook i den här webbläsaren?</h2>
    <p>Vi använder cookies för att visa innehåll, förbättra och skydda våra tjänster. Du kan läsa mer
       i vår cookiepolicy.</p>
    <div class="consent-actions">
      <button type="button" data-consent="essential">Avvisa valfria cookies</button>
      <button type="button" data-consent="all" class="primary">Tillåt alla cookies</button>
    </div>
  </div>
</div>"""


def _blob(payload: dict) -> str:
    """JSON for inside <script>: '</' and line separators escaped so the HTML parser can't end it early."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'<script type="application/json" id="initial-data" data-sjs>{text}</script>'


def _document(title: str, body_attrs: str, content: str, consented: bool) -> str:
    return f"""<!doctype html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="/facebook/static/facebook.css">
</head>
<body {body_attrs}>
<header class="topbar"><span class="logo">facebook</span> <span class="sandbox-note">sandlåda</span></header>
{content}
{"" if consented else CONSENT_DIALOG}
<script src="/facebook/static/facebook.js"></script>
</body>
</html>
"""


def _page(title: str, account: WorldAccount, body_attrs: str, main: str, consented: bool) -> str:
    profile = (f'<section class="profile"><h1>{html.escape(account.name)}</h1>\n'
               f'<p class="handle">@{html.escape(account.handle)} · Myndighet</p></section>\n{main}')
    return _document(title, body_attrs, profile, consented)


def _login_html(target: str, username: str, consented: bool, failed: bool = False) -> str:
    error = f'<div id="error_box" role="alert" class="login-error">{LOGIN_ERROR}</div>' if failed else ""
    form = f"""<main class="login"><h1>Logga in på Facebook</h1>{error}
<form id="login_form" method="post" action="/facebook/login/">
<input type="hidden" name="next" value="{html.escape(target)}">
<label>E-postadress eller mobilnummer <input type="text" name="email" value="{html.escape(username)}"
 autocomplete="username"></label>
<label>Lösenord <input type="password" name="pass" autocomplete="current-password"></label>
<button type="submit" name="login" value="1">Logga in</button>
</form></main>"""
    return _document("Logga in på Facebook", 'data-view="login"', form, consented)


def _body_attrs(view_name: str, account: WorldAccount, view: View) -> str:
    return (f'data-view="{view_name}" data-page-id="{account.id}" data-handle="{html.escape(account.handle)}" '
            f'data-logged-in="{"true" if view.logged_in else "false"}"')


def _login_link(request: Request) -> str:
    return "/facebook/login/?next=" + quote(request.path, safe="/")


def timeline_page(world: World, account: WorldAccount, request: Request) -> Response:
    consented, view = _consented(request), _view(world, request)
    attrs = _body_attrs("timeline", account, view) + f' data-login="{html.escape(_login_link(request))}"'
    if consented:
        data = {"data": {"node": _timeline(view, account, 0, TIMELINE_PAGE)}}
        main = f'<main id="feed" role="feed" aria-label="Inlägg"></main>\n{_blob(data)}'
    else:
        main = '<main id="feed" role="feed" aria-label="Inlägg" data-state="blocked"></main>'
    return html_response(_page(f"{account.name} | Facebook", account, attrs, main, consented))


def permalink_page(world: World, account: WorldAccount, request: Request, post_id: str) -> Response:
    post = world.item(post_id)
    if post is None or post.item_type != "post" or post.account != account.handle:
        return not_found("Det här innehållet är inte tillgängligt just nu")
    consented, view = _consented(request), _view(world, request)
    attrs = _body_attrs("permalink", account, view) + f' data-login="{html.escape(_login_link(request))}"'
    if consented:
        data = {"data": {"node": _story_node(view, post)}}
        main = f'<main id="feed" aria-label="Inlägg"></main>\n{_blob(data)}'
    else:
        main = '<main id="feed" aria-label="Inlägg" data-state="blocked"></main>'
    title = f"{account.name} - {post.text[:60]} | Facebook"
    return html_response(_page(title, account, attrs, main, consented))
