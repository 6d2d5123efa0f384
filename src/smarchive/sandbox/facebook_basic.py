"""The Facebook imitation's older generation, `[sandbox] facebook_generation = "basic"`: the plain-HTML pages of
mbasic.facebook.com (2014-2022), as the real recordings in ../shared/real-world/fb-mbasic-phoenix show them.

No script and no JSON: a page's posts are `<article data-ft='{"top_level_post_id", "page_id", "page_insights":
{<page id>: {"post_context": {"publish_time"}}}}'>` with the Page's name in `h3 strong a`, the text in the
`div[data-ft*='"tn":"*s"']`, a shown time in `<abbr>` and "N comments"; the timeline continues behind a "See more
stories" link (`?cursor=<offset>`). A post's permalink shows its comments a few at a time as
`<div id="<comment id>"><div><h3><a>Author</a></h3><div>text</div><div><abbr>Dec 24, 2014 at 6:25 PM</abbr> ·
<a href="/comment/replies/?ctoken=<post>_<comment>">2 replies</a></div></div></div>`, more behind "View more
comments" (`div#see_next_<post>`, `?p=<offset>`); replies only on their own page
(`/facebook/comment/replies/?ctoken=<post>_<comment>`: the comment first, then its replies). Comments and
replies carry only the shown time, to the minute, in Swedish time; logged out, a page shows no comments but
"Logga in för att se fler kommentarer". The same URLs as the current generation, the same consent-free,
throttled answers.
"""

from __future__ import annotations

import html
import json
from urllib.parse import quote

from smarchive.sandbox.content import STOCKHOLM, World, WorldAccount, WorldItem
from smarchive.sandbox.web import Request, Response, html_response, not_found

TIMELINE_PAGE = 3  # posts per timeline page
COMMENTS_PAGE = 3  # comments per permalink page, the rest behind "View more comments"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LOGIN_PROMPT = "Logga in för att se fler kommentarer"


def shown_time(item: WorldItem) -> str:
    """"Dec 24, 2014 at 6:25 PM": how mbasic shows a time (Swedish time; English words, as the recordings)."""
    local = item.published_at.astimezone(STOCKHOLM)
    hour = local.hour % 12 or 12
    return (f"{MONTHS[local.month - 1]} {local.day}, {local.year} at {hour}:{local.minute:02d} "
            f"{'AM' if local.hour < 12 else 'PM'}")


def _compact(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))  # as the real data-ft attributes


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in text.split("\n\n"))


def _document(title: str, view: str, content: str) -> str:
    return (f'<!doctype html>\n<html lang="sv"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
            f'\n<body data-view="{view}" data-generation="basic"><div id="root" role="main">\n{content}\n</div>'
            f"</body></html>\n")


def _article(world: World, account: WorldAccount, post: WorldItem) -> str:
    data = {"top_level_post_id": post.id, "page_id": account.id, "content_owner_id_new": account.id,
            "page_insights": {account.id: {"page_id": account.id, "post_context": {
                "publish_time": int(post.published_at.timestamp()), "story_fbid": [post.id]}}}}
    link = f"/facebook/{account.handle}/posts/{post.id}"
    count = len(world.children(post.id)) + sum(len(world.children(c.id)) for c in world.children(post.id))
    shown = f' · <a href="{link}">{count} comments</a>' if count else ""
    return (f'<article data-ft="{html.escape(_compact(data))}">'
            f'<header><h3><strong><a href="/facebook/{account.handle}">{html.escape(account.name)}</a></strong></h3>'
            f"</header>"
            f'<div data-ft="{html.escape(_compact({"tn": "*s"}))}">{_paragraphs(post.text)}</div>'
            f'<footer><abbr>{shown_time(post)}</abbr>{shown} · <a class="permalink" href="{link}">Full Story</a>'
            f"</footer></article>")


def _author_link(world: World, item: WorldItem) -> str:
    if item.author_is_account:
        return f"/facebook/{item.account}"
    return f"/facebook/profile.php?id={quote(item.author_id)}"


def _comment(world: World, item: WorldItem, with_replies_link: bool) -> str:
    replies = len(world.children(item.id))
    link = ""
    if with_replies_link and replies:
        link = (f' · <a href="/facebook/comment/replies/?ctoken={item.post_id}_{item.id}">'
                f"{replies} {'reply' if replies == 1 else 'replies'}</a>")
    return (f'<div id="{item.id}"><div><h3><a href="{_author_link(world, item)}">{html.escape(item.author)}</a></h3>'
            f"<div>{_paragraphs(item.text)}</div><div><abbr>{shown_time(item)}</abbr>{link}</div></div></div>")


def timeline_page(world: World, account: WorldAccount, request: Request) -> Response:
    offset = _number(request, "cursor")
    posts = world.posts("facebook", account.handle)
    shown = posts[offset:offset + TIMELINE_PAGE]
    more = ""
    if offset + TIMELINE_PAGE < len(posts):
        more = (f'<div id="see_more_stories"><a href="/facebook/{account.handle}?cursor={offset + TIMELINE_PAGE}">'
                "See more stories</a></div>")
    articles = "\n".join(_article(world, account, post) for post in shown)
    return html_response(_document(f"{account.name}", "basic-timeline",
                                   f"<h1>{html.escape(account.name)}</h1>\n<section>{articles}</section>\n{more}"))


def permalink_page(world: World, account: WorldAccount, request: Request, post: WorldItem,
                   logged_in: bool) -> Response:
    offset = _number(request, "p")
    comments = world.children(post.id)
    if not logged_in:
        thread = f"<div>{LOGIN_PROMPT}</div>"
    else:
        thread = "".join(_comment(world, c, True) for c in comments[offset:offset + COMMENTS_PAGE])
        if offset + COMMENTS_PAGE < len(comments):
            thread += (f'<div id="see_next_{post.id}"><a href="/facebook/{account.handle}/posts/{post.id}'
                       f'?p={offset + COMMENTS_PAGE}">View more comments…</a></div>')
    return html_response(_document(f"{account.name} - {post.text[:60]}", "basic-permalink",
                                   f'{_article(world, account, post)}\n<div id="ufi_{post.id}">{thread}</div>'))


def replies_page(world: World, request: Request, logged_in: bool) -> Response:
    token = (request.query.get("ctoken") or [""])[0]
    post_id, _, comment_id = token.partition("_")
    comment = world.item(comment_id)
    if comment is None or comment.item_type != "comment" or comment.post_id != post_id:
        return not_found("Det här innehållet är inte tillgängligt just nu")
    account = world.account("facebook", comment.account)
    assert account is not None
    header = (f'<header><a href="/facebook/{account.handle}/posts/{post_id}">Replies to '
              f"{html.escape(comment.author)}'s comment on {html.escape(account.name)}'s post · View post</a></header>")
    if not logged_in:
        return html_response(_document("Replies", "basic-replies", f"{header}<div>{LOGIN_PROMPT}</div>"))
    thread = _comment(world, comment, False) + "".join(_comment(world, r, False) for r in world.children(comment.id))
    return html_response(_document("Replies", "basic-replies", header + thread))


def _number(request: Request, name: str) -> int:
    value = (request.query.get(name) or ["0"])[0]
    return int(value) if value.isdigit() else 0
