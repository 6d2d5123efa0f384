"""Capturing Facebook's plain-HTML views (mbasic.facebook.com, 2014-2022): every step is a link, not a button.

The timeline is followed through its "See more stories" links until a post older than the year shows; each post
of the year is opened on its permalink, its "View more comments" pages and every comment's replies page
(/comment/replies/?ctoken=) are opened in a second tab, so that all of them are recorded; then the permalink
page is snapshotted. What to follow is read with the same parser that reads the recorded pages
(facebook_html.parse), so the capture and the extraction agree on what a page holds.
"""

from __future__ import annotations

from urllib.parse import urljoin

from playwright.sync_api import Page

from smarchive.errors import CaptureError, LoginWall
from smarchive.platforms import facebook_html
from smarchive.platforms.base import CaptureContext
from smarchive.platforms.behaviour import load_behaviour
from smarchive.platforms.browsing import each_post
from smarchive.platforms.toolkit import counted

BEHAVIOUR: dict = load_behaviour("facebook")
BASIC: dict = BEHAVIOUR["basic"]


def is_basic(page: Page) -> bool:
    """A plain-HTML view: data-ft posts and none of the www site's."""
    return page.locator(BASIC["post"]).count() > 0 and page.locator(BEHAVIOUR["post"]).count() == 0


def capture(ctx: CaptureContext, page: Page, start: int, end: int) -> None:
    """Capture the year's posts and threads, starting from the timeline open in `page`."""
    posts = _timeline(ctx, page, start, end)
    ctx.progress(f"{counted(len(posts), 'post')} of {ctx.year} found on the timeline (plain-HTML pages)")
    other = ctx.context.new_page()
    try:
        each_post(ctx, posts, lambda post_id, url: _capture_post(ctx, page, other, post_id, url))
    finally:
        other.close()


def _capture_post(ctx: CaptureContext, page: Page, other: Page, post_id: str, url: str) -> str | None:
    """Open the post's permalink in `page`, its further pages in `other`; snapshot the permalink."""
    if not _open(ctx, page, url):
        ctx.warn(f"post {post_id} is no longer on Facebook ({url}); only the timeline shows it")
        return None
    if page.get_by_text(BEHAVIOUR["login_prompt"]).count():
        raise LoginWall(f"Facebook hides comments on {page.url} behind 'Logga in för att se fler "
                           f"kommentarer': the browser is not logged in. Run `smarchive login facebook`")
    pages = _thread(ctx, page, other, post_id)
    ctx.snapshot(page, post_id)
    return f"{counted(pages, 'page')} of comments and replies"


def _open(ctx: CaptureContext, page: Page, url: str) -> bool:
    """Open a page; False if it is gone (404/410); CaptureError for other errors."""
    response = ctx.goto(page, url)
    if response is not None and response.status in (404, 410):
        return False
    if response is not None and response.status >= 400:
        raise CaptureError(f"{url} answered HTTP {response.status}")
    return True


def _timeline(ctx: CaptureContext, page: Page, start: int, end: int) -> list[tuple[str, str]]:
    """(post id, permalink) of the year's posts, newest first, following the timeline's "more" links."""
    chosen: dict[str, str] = {}
    for _ in range(BASIC["max_pages"]):
        shown = facebook_html.parse(page.content(), page.url)
        for post in shown.posts:
            if post.publish_time is not None and start <= post.publish_time < end:
                chosen.setdefault(post.id, urljoin(ctx.account_url.rstrip("/") + "/", f"posts/{post.id}"))
        older = any(post.publish_time is not None and post.publish_time < start for post in shown.posts)
        if older or not shown.next_page_url:
            return list(chosen.items())
        _open(ctx, page, shown.next_page_url)
        ctx.progress(f"timeline: {counted(len(chosen), 'post')} of {ctx.year} so far")
    raise CaptureError(f"timeline of {ctx.account_url} not exhausted after {BASIC['max_pages']} pages")


def _thread(ctx: CaptureContext, page: Page, other: Page, post_id: str) -> int:
    """Open the post's further comment pages and every replies page in `other`; returns how many."""
    opened = 0
    text, url = page.content(), page.url
    for _ in range(BASIC["max_pages"]):
        shown = facebook_html.parse(text, url)
        for comment in shown.comments:
            if comment.replies_url and not _open(ctx, other, comment.replies_url):
                ctx.warn(f"post {post_id}: the replies of comment {comment.id} are gone ({comment.replies_url})")
            opened += 1 if comment.replies_url else 0
        if not shown.more_comments_url:
            return opened
        if not _open(ctx, other, shown.more_comments_url):
            ctx.warn(f"post {post_id}: comments could not all be opened ({shown.more_comments_url})")
            return opened
        opened += 1
        text, url = other.content(), other.url
    ctx.warn(f"post {post_id}: stopped after {counted(opened, 'page')} of comments and replies ({page.url})")
    return opened
