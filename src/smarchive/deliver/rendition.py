"""The rendition readable without software: static HTML per account, one page per post with its thread.

UTF-8, no JavaScript, no external references: every `src` and `href` is a relative path inside the
rendition (images, the screenshot, video and audio files are copied beside the pages). Texts are written
exactly as captured (HTML-escaped, shown with `white-space: pre-wrap`, so line breaks stay). Each item
shows its retention tag and rule, and its access restriction when it has one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import lxml.html
from lxml import etree

from smarchive.model import STOCKHOLM

STYLE = """body{font-family:sans-serif;max-width:50em;margin:1em auto;padding:0 1em;color:#111}
.item{border-left:3px solid #999;margin:.8em 0;padding:.3em .8em}.post{border-color:#225}
.comment{margin-left:1.5em}.reply{margin-left:3em}.text{white-space:pre-wrap}
.meta{color:#444;font-size:.85em}.restricted{background:#fde;border-color:#a03}
.notice{font-weight:bold;color:#a03}img{max-width:100%}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"""

SAFE = re.compile(r"[^A-Za-z0-9._-]")


def page_name(post_id: str) -> str:
    """A file name for a post's page: the id where it is safe, else the id with unsafe characters replaced."""
    name = SAFE.sub("_", post_id)
    return f"{name}.html"


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M %Z")


def _document(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html lang="sv">\n<head>\n<meta charset="utf-8">\n<title>{_e(title)}</title>\n'
            f"<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n").encode()


@dataclass(frozen=True)
class MediaLink:
    kind: str  # image, video, audio
    href: str  # relative to the account's folder


def _tag_line(row: dict) -> str:
    rules = ", ".join(row.get("tag_rule_ids") or [])
    actions = ", ".join(row.get("tag_actions") or [])
    parts = [f"kategori: {_e(row.get('tag_category'))}", f"bevarande: {_e(row.get('tag_retention'))}",
             f"regel: {_e(rules)}"]
    if actions:
        parts.append(f"åtgärder: {_e(actions)}")
    return " · ".join(parts)


def item_html(row: dict, media: list[MediaLink]) -> str:
    kind = row["item_type"]
    restricted = row.get("tag_access") == "restricted"
    classes = f"item {kind}" + (" restricted" if restricted else "")
    notice = ('<p class="notice">Åtkomstbegränsad (sekretess eller personuppgifter): pröva före utlämnande.</p>'
              if restricted else "")
    own = " (kontot)" if row.get("author_is_account") else ""
    media_html = "".join(
        f'<p><img src="{_e(m.href)}" alt="bild"></p>' if m.kind == "image"
        else f'<p><a href="{_e(m.href)}">{_e(m.kind)}: {_e(m.href.rsplit("/", 1)[-1])}</a></p>'
        for m in media)
    return (f'<div class="{classes}" id="item-{_e(row["item_id"])}">{notice}'
            f'<p class="meta">{_e(kind)} · {_e(row.get("author"))}{own} · {_e(local_time(row.get("published_at")))}'
            f' · id {_e(row["item_id"])}</p>'
            f'<div class="text">{_e(row.get("text"))}</div>{media_html}'
            f'<p class="meta">{_tag_line(row)}</p></div>')


def thread_order(rows: list[dict]) -> list[dict]:
    """The post first, then each comment followed by its replies, in time order."""
    by_parent: dict[str, list[dict]] = {}
    for row in rows:
        if row["item_type"] != "post":
            by_parent.setdefault(row.get("parent_id") or "", []).append(row)
    ordered: list[dict] = []

    def visit(parent: str) -> None:
        for child in sorted(by_parent.get(parent, []), key=lambda r: (r["published_at"], r["item_id"])):
            ordered.append(child)
            visit(child["item_id"])

    posts = [r for r in rows if r["item_type"] == "post"]
    for post in posts:
        ordered.append(post)
        visit(post["item_id"])
    seen = {id(r) for r in ordered}
    # Comments whose parent is not delivered (culled) still belong to the thread: shown at the end.
    ordered += sorted((r for r in rows if id(r) not in seen), key=lambda r: (r["published_at"], r["item_id"]))
    return ordered


def post_page(account_name: str, platform: str, rows: list[dict], media: dict[str, list[MediaLink]],
              screenshot: str | None) -> bytes:
    post = next((r for r in rows if r["item_type"] == "post"), rows[0])
    permalink = post.get("permalink") or ""
    shot = f'<h2>Skärmbild</h2><p><img src="{_e(screenshot)}" alt="skärmbild av sidan"></p>' if screenshot else ""
    body = (f'<p><a href="index.html">{_e(account_name)}</a></p>'
            f"<h1>{_e(account_name)} ({_e(platform)}): {_e(local_time(post.get('published_at')))}</h1>"
            f'<p class="meta">adress på plattformen (hämtas inte): {_e(permalink)}</p>'
            + "".join(item_html(r, media.get(r["item_id"], [])) for r in thread_order(rows)) + shot)
    return _document(f"{account_name}: {post['item_id']}", body)


@dataclass
class PostEntry:
    page: str
    published_at: datetime | None
    summary: str
    items: int
    restricted: bool


def account_index(account_name: str, platform: str, year: int, posts: Iterable[PostEntry]) -> bytes:
    rows = "".join(
        f'<tr><td>{_e(local_time(p.published_at))}</td><td><a href="{_e(p.page)}">{_e(p.summary)}</a></td>'
        f'<td>{p.items}</td><td>{"åtkomstbegränsad" if p.restricted else ""}</td></tr>' for p in posts)
    body = (f'<p><a href="../index.html">alla konton</a></p><h1>{_e(account_name)} ({_e(platform)}) {year}</h1>'
            f"<table><tr><th>publicerad</th><th>inlägg</th><th>poster i tråden</th><th>åtkomst</th></tr>{rows}</table>")
    return _document(f"{account_name} {year}", body)


def root_index(title: str, year: int, accounts: list[tuple[str, str, str, int, int]]) -> bytes:
    """accounts: (folder, name, platform, posts, items)."""
    rows = "".join(f'<tr><td><a href="{_e(folder)}/index.html">{_e(name)}</a></td><td>{_e(platform)}</td>'
                   f"<td>{posts}</td><td>{items}</td></tr>" for folder, name, platform, posts, items in accounts)
    body = (f"<h1>{_e(title)}</h1><p>Sociala medier {year}: det som bevaras. Gallrade poster finns inte här; "
            "de förtecknas i gallringsdokumenten och i manifestets tombstones.</p>"
            f"<table><tr><th>konto</th><th>plattform</th><th>inlägg</th><th>poster</th></tr>{rows}</table>")
    return _document(f"{title} {year}", body)


def summary_of(text: str | None, limit: int = 100) -> str:
    first = " ".join((text or "").split())
    return first if len(first) <= limit else first[: limit - 1] + "…"


# Elements whose text is not shown, and elements that start a new line, in a captured page's DOM snapshot.
HIDDEN = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object", "embed"}
BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header",
          "footer", "nav", "main", "aside", "blockquote", "pre", "table", "ul", "ol", "dl", "dt", "dd", "figure",
          "figcaption", "form", "button", "hr"}


def snapshot_text(snapshot: bytes) -> str:
    """The text a reader saw on a captured page (its DOM snapshot), line by line: no markup, no script, nothing
    fetched. The snapshot itself stays in the captures (the WARC's resource record)."""
    if not snapshot.strip():
        return ""
    try:
        doc = lxml.html.document_fromstring(snapshot)
    except (etree.ParserError, ValueError):
        return ""
    parts: list[str] = []

    def walk(element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in HIDDEN:
            if element.tail:
                parts.append(element.tail)
            return
        if tag in BLOCKS:
            parts.append("\n")
        if element.text and tag:
            parts.append(element.text)
        for child in element:
            walk(child)
        if tag in BLOCKS:
            parts.append("\n")
        if element.tail:
            parts.append(element.tail)

    walk(doc)
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)


def captured_page(account_name: str, platform: str, url: str, when: datetime | None, text: str,
                  screenshot: str | None) -> bytes:
    """A page captured without items (a web page account): its screenshot and its text, the address as text."""
    shot = f'<h2>Skärmbild</h2><p><img src="{_e(screenshot)}" alt="skärmbild av sidan"></p>' if screenshot else ""
    body = (f'<p><a href="index.html">{_e(account_name)}</a></p>'
            f"<h1>{_e(account_name)} ({_e(platform)}): {_e(local_time(when))}</h1>"
            f'<p class="meta">adress (hämtas inte): {_e(url)} · sidan som den såg ut vid insamlingen; '
            "den insamlade sidan (DOM) finns i WARC-filen</p>"
            f'<h2>Text på sidan</h2><div class="item post"><div class="text">{_e(text)}</div></div>{shot}')
    return _document(f"{account_name}: {url}", body)
