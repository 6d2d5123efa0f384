"""Facebook's plain-HTML views (mbasic.facebook.com and m.facebook.com), read without a browser.

These views carry no GraphQL JSON: posts are `article`/`div` elements with a `data-ft` JSON
attribute (post id, page id, and on m. often `page_insights.*.post_context.publish_time`),
comments are elements with the comment id as their `id`, the author in an `h3` (mbasic) or
`._2b05` (m.), the text beside it; long threads continue behind "View more comments" links
(`see_next_<post id>`), replies behind `/comment/replies/?ctoken=<post>_<comment>` links, and a
Page timeline continues on `page_content_list_view/more/?...start_cursor=...` (m.) or a "Show
more" link (mbasic). m. hides parts of the page in `<code><!-- ... --></code>` blocks and sends
its "more" pages as `for (;;);{"payload":{"actions":[{"html": ...}]}}`: both are unwrapped.

Times on these pages are relative or human ("6 hrs", "Dec 24, 2014"): they are kept as shown;
only `publish_time` from `data-ft` is an exact time. The JSON adapter (facebook.py) uses
`posts_with_time` to read posts out of such pages when they turn up in a WARC.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import lxml.html
from lxml import etree

JSON_PREFIX = "for (;;);"
HIDDEN_BLOCK = re.compile(r"<code\b[^>]*>\s*<!--(.*?)-->\s*</code>", re.DOTALL | re.IGNORECASE)
MORE_COMMENTS = re.compile(r"^\W*(View more comments|View previous comments|Visa fler kommentarer)\W*$", re.I)
REPLIES_LINK = "/comment/replies/"
TIMELINE_MORE = re.compile(r"page_content_list_view/more/\?[^\"'\s<>]+")
SHOW_MORE = re.compile(r"^(Show more|See more stories|See More Posts|Visa mer|Fler inlägg)$", re.I)
DIRECTION_MARKS = "\u200e\u200f\u202a\u202b\u202c"


@dataclass
class HtmlComment:
    id: str  # the comment's own id (the last part of "post_comment" tokens)
    author: str
    text: str
    time_text: str  # as shown: "Dec 24, 2014", "6 hrs"
    parent_id: str = ""  # the comment replied to, on a replies page
    replies_url: str = ""  # the "N replies" link, when the thread continues on its own page
    post_id: str = ""  # the post commented on, where the markup says (m.: data-commentid="<post>_<comment>")
    reply_count: int | None = None  # "2 replies", "Kiprono Dennis replied · 2 replies", "3 svar"
    author_url: str = ""  # the author's profile link, as shown


@dataclass
class HtmlPost:
    id: str  # top_level_post_id
    author: str
    text: str
    page_id: str = ""
    publish_time: int | None = None  # epoch seconds, when data-ft carries it
    time_text: str = ""
    comment_count: int | None = None  # "10 Comments", "19 comments", "3 kommentarer" under the post


@dataclass
class HtmlPage:
    """What one mbasic/m. page shows."""

    title: str = ""
    posts: list[HtmlPost] = field(default_factory=list)
    comments: list[HtmlComment] = field(default_factory=list)
    more_comments_url: str = ""  # "View more comments"
    next_page_url: str = ""  # timeline continuation
    next_cursor: str = ""  # the timeline_cursor inside next_page_url


def parse(body: str, url: str = "") -> HtmlPage:
    """Parse an mbasic/m. page (or an m. `for (;;);` continuation) into posts, comments and links."""
    html_text, extra = _unwrap(body)
    html_text = HIDDEN_BLOCK.sub(lambda m: m.group(1), html_text)
    if not html_text.strip():
        return HtmlPage()
    root = lxml.html.fromstring(html_text)
    page = HtmlPage(title=_clean(root.findtext(".//title") or ""))
    page.posts = [post for post in (_post(el) for el in _post_elements(root)) if post is not None]
    if not page.posts:
        page.posts = _photo_post(root, url)
    page.comments = _comments(root, url)
    page.more_comments_url = _more_comments(root, url)
    page.next_page_url = _next_page(root, html_text + extra, url)
    page.next_cursor = _cursor(page.next_page_url)
    return page


def posts_with_time(body: str, url: str = "") -> list[HtmlPost]:
    """The posts of a page that carry an exact publish time (others cannot be placed in a year)."""
    try:
        return [post for post in parse(body, url).posts if post.publish_time is not None]
    except (etree.ParserError, ValueError):
        return []


def looks_like_basic_html(body: str) -> bool:
    """mbasic/m. markup: data-ft posts or comment ids, and no GraphQL JSON blobs."""
    return "data-ft" in body or "data-sigil=\"comment" in body or body.lstrip().startswith(JSON_PREFIX)


# --- unwrapping


def _unwrap(body: str) -> tuple[str, str]:
    """(HTML, other text) of a page; an m. continuation's HTML actions joined, its scripts kept as text."""
    stripped = body.lstrip()
    if not stripped.startswith(JSON_PREFIX):
        return body, ""
    try:
        payload = json.loads(stripped.removeprefix(JSON_PREFIX))
    except json.JSONDecodeError:
        return "", ""
    actions = payload.get("payload", {}).get("actions", []) if isinstance(payload, dict) else []
    html_parts = [a.get("html", "") for a in actions if isinstance(a, dict) and isinstance(a.get("html"), str)]
    code = [a.get("code", "") for a in actions if isinstance(a, dict) and isinstance(a.get("code"), str)]
    return "<div>" + "".join(html_parts) + "</div>", "\n".join(code)


# --- text


def _clean(text: str) -> str:
    for mark in DIRECTION_MARKS:
        text = text.replace(mark, "")
    return text.replace("\xa0", " ").strip()


def _text(element: lxml.html.HtmlElement) -> str:
    """Visible text with <br> and paragraphs as line breaks (how the page shows it)."""
    lines: list[str] = []
    for block in element.xpath("./p") or [element]:
        copy = lxml.html.fromstring(lxml.html.tostring(block, encoding="unicode"))
        for br in copy.iter("br"):
            br.tail = "\n" + (br.tail or "")
        lines.append(_clean(copy.text_content()))
    return "\n\n".join(line for line in lines if line)


# --- posts


def _post_elements(root: lxml.html.HtmlElement) -> Iterator[lxml.html.HtmlElement]:
    seen: set[str] = set()
    for element in root.xpath("//*[@data-ft]"):
        data = _data_ft(element)
        post_id = str(data.get("top_level_post_id") or "")
        if post_id and post_id not in seen:
            seen.add(post_id)
            yield element


def _data_ft(element: lxml.html.HtmlElement) -> dict:
    try:
        data = json.loads(element.get("data-ft") or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _post(element: lxml.html.HtmlElement) -> HtmlPost | None:
    data = _data_ft(element)
    authors = element.xpath(".//h3//strong//a | .//header//strong//a | .//strong[contains(@class,'actor')]"
                            " | .//h3//a")
    author = _clean(authors[0].text_content()) if authors else ""
    bodies = element.xpath(".//div[contains(@data-ft,'\"tn\":\"*s\"')] | .//div[contains(@class,'_5rgt')]"
                           " | .//div[contains(@class,'msg')]/div[contains(@class,'_2vj8')]")
    text = _text(bodies[0]) if bodies else ""
    times = element.xpath(".//abbr")
    return HtmlPost(id=str(data["top_level_post_id"]), author=author, text=text,
                    page_id=str(data.get("page_id") or data.get("content_owner_id_new") or ""),
                    publish_time=_publish_time(data), time_text=_clean(times[0].text_content()) if times else "",
                    comment_count=_shown_count(element, COMMENT_COUNT))


COMMENT_COUNT = re.compile(r"^(\d[\d,]*) (comments?|kommentarer|kommentar)$", re.IGNORECASE)
REPLY_COUNT = re.compile(r"(?:^|·\s*)(\d[\d,]*) (repl(?:y|ies)|svar)$", re.IGNORECASE)


def _shown_count(element: lxml.html.HtmlElement, pattern: re.Pattern) -> int | None:
    """A count the page shows in a link or label under an element ("10 Comments", "· 2 replies")."""
    for node in element.xpath(".//a | .//span | .//div[not(*)]"):
        match = pattern.search(_clean(" ".join(node.text_content().split())))
        if match:
            return int(match.group(1).replace(",", ""))
    return None


PHOTO_URL = re.compile(r"/photos/[^/]+/(\d+)")


def _photo_post(root: lxml.html.HtmlElement, url: str) -> list[HtmlPost]:
    """mbasic photo permalinks: no post id in data-ft; the id is in the URL, the caption in div.msg."""
    match = PHOTO_URL.search(urlsplit(url).path)
    messages = root.xpath("//div[contains(@class,'msg')]")
    if not match or not messages:
        return []
    actor = messages[0].xpath(".//strong[contains(@class,'actor')] | .//strong")
    body = messages[0].xpath("./div[contains(@class,'_2vj8')]") or messages[0].xpath("./div")
    times = root.xpath("//div[contains(@class,'attachment')]//abbr")
    return [HtmlPost(id=match.group(1), author=_clean(actor[0].text_content()) if actor else "",
                     text=_text(body[0]) if body else "", time_text=_clean(times[0].text_content()) if times else "")]


def _publish_time(data: dict) -> int | None:
    insights = data.get("page_insights")
    for value in (insights.values() if isinstance(insights, dict) else []):
        context = value.get("post_context") if isinstance(value, dict) else None
        moment = context.get("publish_time") if isinstance(context, dict) else None
        if isinstance(moment, int) and not isinstance(moment, bool) and moment > 0:
            return moment
    return None


# --- comments


def _comments(root: lxml.html.HtmlElement, url: str) -> list[HtmlComment]:
    found = [c for c in (_m_comment(el, url) for el in root.xpath("//div[@data-sigil='comment']")) if c]
    if not found:
        found = [c for c in (_basic_comment(el, url) for el in root.xpath("//div[@id]")) if c]
    parent = _replies_parent(url)
    if parent:  # a replies page shows the comment replied to first, then its replies
        for comment in found:
            if comment.id != parent:
                comment.parent_id = parent
    return found


def _basic_comment(element: lxml.html.HtmlElement, url: str) -> HtmlComment | None:
    """mbasic: <div id="<comment id>"><div><h3><a>Author</a></h3><div>text</div>...<abbr>time</abbr>"""
    comment_id = element.get("id", "")
    heads = element.xpath("./div/h3[a]")
    if not comment_id.isdigit() or not heads:
        return None
    head = heads[0]
    body = head.getnext()
    times = element.xpath("./div/div//abbr")
    links = head.xpath(".//a[@href]")
    return HtmlComment(id=comment_id, author=_clean(head.text_content()), text=_text(body) if body is not None else "",
                       time_text=_clean(times[-1].text_content()) if times else "",
                       replies_url=_replies_url(element, url), reply_count=_reply_count(element),
                       author_url=urljoin(url, links[0].get("href")) if links else "")


def _m_comment(element: lxml.html.HtmlElement, url: str) -> HtmlComment | None:
    """m.: <div data-sigil="comment" id="<comment id>">…<div class="_2b05">Author</div>
    <div data-commentid="<post>_<comment>" data-sigil="comment-body">text</div>"""
    comment_id = element.get("id", "")
    authors = element.xpath(".//div[contains(@class,'_2b05')]")
    bodies = element.xpath(".//div[@data-sigil='comment-body']")
    if not comment_id or not authors:
        return None
    times = element.xpath(".//abbr")
    token = bodies[0].get("data-commentid", "") if bodies else ""
    links = authors[0].xpath("ancestor-or-self::a[@href] | .//a[@href]")
    return HtmlComment(id=comment_id, author=_clean(authors[0].text_content()),
                       text=_text(bodies[0]) if bodies else "",
                       time_text=_clean(times[0].text_content()) if times else "",
                       replies_url=_replies_url(element, url), reply_count=_reply_count(element),
                       post_id=token.split("_", 1)[0] if "_" in token else "",
                       author_url=urljoin(url, links[0].get("href")) if links else "")


def _reply_count(element: lxml.html.HtmlElement) -> int | None:
    """The reply count a comment shows on its replies link (mbasic) or "replies-see-more" (m.)."""
    own = element.get("id", "")
    links = f".//a[contains(@href,'{REPLIES_LINK}')] | .//*[contains(@data-sigil,'replies-see-more')]"
    for link in element.xpath(links):
        token = (parse_qs(urlsplit(link.get("href", "")).query).get("ctoken") or [""])[0]
        if token and not token.endswith("_" + own):
            continue  # a nested comment's link
        match = REPLY_COUNT.search(_clean(" ".join(link.text_content().split())))
        if match:
            return int(match.group(1).replace(",", ""))
    return None


def _replies_url(element: lxml.html.HtmlElement, url: str) -> str:
    own = element.get("id", "")
    for link in element.xpath(f".//a[contains(@href,'{REPLIES_LINK}')]"):
        href = link.get("href", "")
        token = (parse_qs(urlsplit(href).query).get("ctoken") or [""])[0]
        if token.endswith("_" + own):
            return urljoin(url, href)
    return ""


def _replies_parent(url: str) -> str:
    if REPLIES_LINK not in url:
        return ""
    token = (parse_qs(urlsplit(url).query).get("ctoken") or [""])[0]
    return token.rsplit("_", 1)[-1] if "_" in token else ""


# --- continuation links


def _more_comments(root: lxml.html.HtmlElement, url: str) -> str:
    for link in root.xpath("//div[starts-with(@id,'see_next_')]//a | //div[starts-with(@id,'see_prev_')]//a"):
        if link.get("href"):
            return urljoin(url, link.get("href"))
    for link in root.xpath("//a[@href]"):
        if MORE_COMMENTS.match(_clean(link.text_content())):
            return urljoin(url, link.get("href"))
    return ""


def _next_page(root: lxml.html.HtmlElement, text: str, url: str) -> str:
    match = TIMELINE_MORE.search(text.replace("\\/", "/"))
    if match:
        found = match.group(0)
        found = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), found)
        return urljoin(url or "https://m.facebook.com/", "/" + found.replace("&amp;", "&"))
    for link in root.xpath("//a[@href]"):
        if SHOW_MORE.match(_clean(link.text_content())):
            return urljoin(url, link.get("href"))
    return ""


def _cursor(next_url: str) -> str:
    """The timeline cursor of a continuation URL (start_cursor JSON, or a plain cursor parameter)."""
    if not next_url:
        return ""
    query = parse_qs(urlsplit(next_url).query)
    start = (query.get("start_cursor") or [""])[0]
    if start:
        try:
            value = json.loads(unquote(start)) if start.startswith("%") else json.loads(start)
        except json.JSONDecodeError:
            value = {}
        if isinstance(value, dict) and isinstance(value.get("timeline_cursor"), str):
            return value["timeline_cursor"]
    return (query.get("cursor") or [""])[0]
