"""The Facebook imitation: pages, consent wall, GraphQL-like API and media, rendered from a World.

What it imitates (and why): the page shows nothing until the cookie dialog is answered; the
timeline holds the first posts only and loads the rest through `POST /facebook/api/graphql/`
(form-encoded `doc_id` and JSON `variables`, cursor-paged) as the user scrolls; every post shows
two comments, the rest come behind "Visa fler kommentarer", replies behind "N svar"; the page
shows relative Swedish times while exact data lives only in JSON (an embedded
`<script type="application/json">` blob in the HTML, and the GraphQL bodies).

GraphQL documents (doc_id, variables -> data.node):
- ProfileCometTimelineFeedRefetchQuery {id: page id, cursor, count} -> Page with timeline_feed_units
- CommentsListComponentsPaginationQuery {id: post feedback id, cursor, count} -> Feedback with display_comments
- Depth1CommentsListPaginationQuery {id: comment feedback id, cursor, count} -> Comment with
  feedback.replies_connection
"""

from __future__ import annotations

import base64
import binascii
import html
import json
from importlib import resources

from smarchive.sandbox.content import World, WorldAccount, WorldItem, build_facebook
from smarchive.sandbox.truth import facebook_permalink as permalink
from smarchive.sandbox.web import Request, Response, html_response, json_response, not_found

CONSENT_COOKIE = "sb_consent"
CONSENT_MAX_AGE = 180 * 24 * 3600
TIMELINE_PAGE = 3  # posts in the initial HTML and per scroll by default
FIRST_COMMENTS = 2  # comments shown with a post before "Visa fler kommentarer"
MAX_PAGE = 10  # the API never returns more than this per request, whatever the client asks
DOC_TIMELINE = "ProfileCometTimelineFeedRefetchQuery"
DOC_COMMENTS = "CommentsListComponentsPaginationQuery"
DOC_REPLIES = "Depth1CommentsListPaginationQuery"
STATIC_FILES = {"facebook.js": "text/javascript; charset=utf-8", "facebook.css": "text/css; charset=utf-8"}


build = build_facebook


def handle(world: World, request: Request) -> Response:
    """Answer a request whose path starts with /facebook/."""
    parts = [p for p in request.path.split("/") if p][1:]
    if request.method == "POST":
        if parts == ["api", "graphql"]:
            return graphql(world, request)
        if parts == ["consent"]:
            return consent(request)
        return not_found()
    if len(parts) == 2 and parts[0] == "media":
        return media(world, request, parts[1])
    if len(parts) == 2 and parts[0] == "static":
        return static(parts[1])
    account = world.account("facebook", parts[0]) if parts else None
    if account is None:
        return not_found()
    if len(parts) == 1:
        return timeline_page(world, account, request)
    if len(parts) == 3 and parts[1] == "posts":
        return permalink_page(world, account, request, parts[2])
    return not_found()


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


# --- JSON nodes, shaped after the real GraphQL


def _epoch(item: WorldItem) -> int:
    return int(item.published_at.timestamp())


def _page_node(account: WorldAccount, base: str) -> dict:
    return {"__typename": "Page", "id": account.id, "name": account.name,
            "url": f"{base}/facebook/{account.handle}"}


def _author_node(world: World, item: WorldItem, base: str) -> dict:
    if item.author_is_account:
        account = world.account(item.platform, item.account)
        assert account is not None
        return _page_node(account, base)
    return {"__typename": "User", "id": item.author_id, "name": item.author,
            "url": f"{base}/facebook/profile.php?id={item.author_id}"}


def _photos(world: World, item: WorldItem, base: str) -> list[dict]:
    return [
        {"style_list": ["photo"], "media": {
            "__typename": "Photo", "id": media_id, "accessibility_caption": "Bilden kan innehålla: text",
            "image": {"uri": f"{base}{world.media[media_id].path}", "width": 64, "height": 48}}}
        for media_id in item.media
    ]


def _connection(edges: list[dict], owner: str, offset: int, total: int) -> dict:
    end = offset + len(edges)
    return {"edges": edges, "page_info": {"has_next_page": end < total,
                                          "end_cursor": _cursor(owner, end) if edges else None}}


def _comments(world: World, post: WorldItem, offset: int, count: int, base: str) -> dict:
    children = world.children(post.id)
    page = children[offset : offset + count]
    edges = [{"cursor": _cursor(post.id, offset + n + 1), "node": _comment_node(world, c, base)}
             for n, c in enumerate(page)]
    return {"count": len(children), **_connection(edges, post.id, offset, len(children))}


def _replies(world: World, comment: WorldItem, offset: int, count: int, base: str) -> dict:
    children = world.children(comment.id)
    page = children[offset : offset + count]
    edges = [{"cursor": _cursor(comment.id, offset + n + 1), "node": _comment_node(world, r, base)}
             for n, r in enumerate(page)]
    return {"count": len(children), **_connection(edges, comment.id, offset, len(children))}


def _comment_node(world: World, item: WorldItem, base: str) -> dict:
    replies = len(world.children(item.id))
    node = {
        "__typename": "Comment",
        "id": _opaque(f"comment:{item.post_id}_{item.id}"),
        "legacy_fbid": item.id,
        "depth": 0 if item.item_type == "comment" else 1,
        "created_time": _epoch(item),
        "url": base + permalink(item),
        "body": {"text": item.text},
        "author": _author_node(world, item, base),
        "attachments": _photos(world, item, base),
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


def _story_node(world: World, post: WorldItem, base: str) -> dict:
    account = world.account(post.platform, post.account)
    assert account is not None
    return {
        "__typename": "Story",
        "id": _opaque(f"S:_I{account.id}:{post.id}"),
        "post_id": post.id,
        "creation_time": _epoch(post),
        "url": base + permalink(post),
        "message": {"text": post.text} if post.text else None,
        "actors": [_page_node(account, base)],
        "attachments": _photos(world, post, base),
        "feedback": {
            "id": _opaque(f"feedback:{post.id}"),
            "reaction_count": {"count": post.reactions},
            "comment_count": {"total_count": len(world.children(post.id))},
            "display_comments": _comments(world, post, 0, FIRST_COMMENTS, base),
        },
    }


def _timeline(world: World, account: WorldAccount, offset: int, count: int, base: str) -> dict:
    posts = world.posts("facebook", account.handle)
    page = posts[offset : offset + count]
    edges = [{"cursor": _cursor(account.id, offset + n + 1), "node": _story_node(world, p, base)}
             for n, p in enumerate(page)]
    return {**_page_node(account, base), "username": account.handle,
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
    node = resolvers[doc](world, str(variables.get("id", "")), variables.get("cursor"), count, request.base_url)
    if node is None:
        return _error("unknown id or cursor")
    return json_response({"data": {"node": node}, "extensions": {"is_final": True}})


def _resolve_timeline(world: World, node_id: str, cursor: object, count: int, base: str) -> dict | None:
    account = next((a for a in world.accounts.get("facebook", []) if a.id == node_id), None)
    offset = _offset(cursor, node_id)
    if account is None or offset is None:
        return None
    return _timeline(world, account, offset, count, base)


def _resolve_comments(world: World, node_id: str, cursor: object, count: int, base: str) -> dict | None:
    post = world.item(_unopaque(node_id).removeprefix("feedback:"))
    offset = _offset(cursor, post.id) if post else None
    if post is None or post.item_type != "post" or offset is None:
        return None
    return {"__typename": "Feedback", "id": node_id, "display_comments": _comments(world, post, offset, count, base)}


def _resolve_replies(world: World, node_id: str, cursor: object, count: int, base: str) -> dict | None:
    comment = world.item(_unopaque(node_id).removeprefix("feedback:"))
    offset = _offset(cursor, comment.id) if comment else None
    if comment is None or comment.item_type != "comment" or offset is None:
        return None
    node = _comment_node(world, comment, base)
    node["feedback"]["replies_connection"] = _replies(world, comment, offset, count, base)
    return node


def consent(request: Request) -> Response:
    """Either answer dismisses the wall (as on the real site); the cookie remembers it."""
    choice = "all" if request.form().get("choice") == "all" else "essential"
    cookie = f"{CONSENT_COOKIE}={choice}; Path=/; Max-Age={CONSENT_MAX_AGE}; SameSite=Lax"
    response = json_response({"ok": True, "choice": choice})
    response.headers.append(("Set-Cookie", cookie))
    return response


def media(world: World, request: Request, filename: str) -> Response:
    found = next((m for m in world.media.values() if m.platform == "facebook" and m.filename == filename), None)
    if found is None:
        return not_found()
    etag = f'"{found.sha256[:32]}"'
    headers = [("Cache-Control", "public, max-age=31536000, immutable"), ("ETag", etag)]
    if request.headers.get("if-none-match") == etag:
        return Response(304, found.content_type, b"", headers, compressible=False)
    return Response(200, found.content_type, found.data, headers, compressible=False)


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


def _page(title: str, account: WorldAccount, body_attrs: str, main: str, consented: bool) -> str:
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
<section class="profile"><h1>{html.escape(account.name)}</h1>
<p class="handle">@{html.escape(account.handle)} · Myndighet</p></section>
{main}
{"" if consented else CONSENT_DIALOG}
<script src="/facebook/static/facebook.js"></script>
</body>
</html>
"""


def timeline_page(world: World, account: WorldAccount, request: Request) -> Response:
    consented = _consented(request)
    attrs = f'data-view="timeline" data-page-id="{account.id}" data-handle="{html.escape(account.handle)}"'
    if consented:
        data = {"data": {"node": _timeline(world, account, 0, TIMELINE_PAGE, request.base_url)}}
        main = f'<main id="feed" role="feed" aria-label="Inlägg"></main>\n{_blob(data)}'
    else:
        main = '<main id="feed" role="feed" aria-label="Inlägg" data-state="blocked"></main>'
    return html_response(_page(f"{account.name} | Facebook", account, attrs, main, consented))


def permalink_page(world: World, account: WorldAccount, request: Request, post_id: str) -> Response:
    post = world.item(post_id)
    if post is None or post.item_type != "post" or post.account != account.handle:
        return not_found("Det här innehållet är inte tillgängligt just nu")
    consented = _consented(request)
    attrs = f'data-view="permalink" data-page-id="{account.id}" data-handle="{html.escape(account.handle)}"'
    if consented:
        data = {"data": {"node": _story_node(world, post, request.base_url)}}
        main = f'<main id="feed" aria-label="Inlägg"></main>\n{_blob(data)}'
    else:
        main = '<main id="feed" aria-label="Inlägg" data-state="blocked"></main>'
    title = f"{account.name} - {post.text[:60]} | Facebook"
    return html_response(_page(title, account, attrs, main, consented))
