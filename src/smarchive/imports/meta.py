"""Facebook's and Instagram's "Download your information" in JSON: Meta's shapes, Meta's mojibake.

Every JSON member is looked at and recognised by its shape, not its name (the names change between export
generations and with the account's language):

Facebook  posts: a list of {timestamp, data: [{post}], attachments: [{data: [{media: {uri, title, description},
          external_context: {url}}]}], title}; `group_posts_v2` the same in groups; comments: {comments_v2 |
          group_comments_v2: [{timestamp, data: [{comment: {comment, author, timestamp}}], title}]}, a reply told
          only by its localized title ("… replied to …", "… svarade på …", "… har svaret på …").
Instagram posts: a list of {media: [{uri, creation_timestamp, title}], title?, creation_timestamp?} (the older
          `content/posts_1.json` and the 2024 `your_instagram_activity/media/posts_1.json`); reels
          {ig_reels_media: [...]} repeat posts and are de-duplicated; comments: the older
          {comments_media_comments: [{title, string_list_data: [{value, timestamp}]}]} and the 2024 list of
          {string_map_data: {"Comment" | "Kommentar": {value}, "Time" | "Tid": {timestamp}, ...}}.
Owner     Facebook profile_v2 {name: {full_name}, username, profile_uri}; Instagram profile_user
          [{string_map_data: {"Username" | "Användarnamn": {value}}}].
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smarchive.imports import meta_html
from smarchive.imports.base import ExportItem, ExportRead, load_json, load_text, media_kind
from smarchive.imports.meta_labels import COMMENT_LABELS, NAME_LABELS, REPLY_TITLE, TIME_LABELS, USERNAME_LABELS
from smarchive.imports.times import parse_time


def shape(data: object) -> str:
    """What a Meta JSON document holds: facebook-posts, facebook-comments, instagram-posts, instagram-reels,
    instagram-comments, facebook-profile, instagram-profile, or "" (not item data: reactions, events, ...)."""
    if isinstance(data, dict):
        if "group_posts_v2" in data:
            return "facebook-posts"
        if "comments_v2" in data or "group_comments_v2" in data:
            return "facebook-comments"
        if "ig_reels_media" in data:
            return "instagram-reels"
        if "comments_media_comments" in data or "comments_reels_comments" in data:
            return "instagram-comments"
        if "profile_v2" in data:
            return "facebook-profile"
        if "profile_user" in data:
            return "instagram-profile"
        return ""
    if not isinstance(data, list) or not data or not all(isinstance(e, dict) for e in data):
        return ""
    if all("comments_v2" in e or "group_comments_v2" in e for e in data):
        return "facebook-comments"
    first = data[0]
    if "timestamp" in first and ({"data", "attachments", "title"} & set(first)):
        return "facebook-posts"
    if isinstance(first.get("media"), list):
        return "instagram-posts"
    if isinstance(first.get("string_map_data"), dict) and _label(first["string_map_data"], COMMENT_LABELS):
        return "instagram-comments"
    return ""


def _label(fields: dict, labels: tuple[str, ...]) -> dict | None:
    for label in labels:
        if isinstance(fields.get(label), dict):
            return fields[label]
    return None


# ------------------------------------------------------------------------------------------------- Facebook

def facebook_posts(read: ExportRead, member: str, data: object) -> None:
    entries = data.get("group_posts_v2", []) if isinstance(data, dict) else data
    others = [e for e in entries if "timestamp" not in e]
    if others:  # e.g. Messenger messages (timestamp_ms, sender_name) in the same list
        read.notes.append(f"{member}: {len(others)} entries are not posts (no timestamp); not imported")
    for entry in entries:
        if "timestamp" not in entry:
            continue
        at = parse_time(entry.get("timestamp"))
        if at is None:
            read.problem(member, f"a post without a readable time ({entry.get('timestamp')!r}) skipped")
            continue
        texts = [read.repairs(d["post"]) for d in entry.get("data") or [] if isinstance(d, dict) and d.get("post")]
        media, links = [], []
        for attachment in entry.get("attachments") or []:
            for part in attachment.get("data") or []:
                if isinstance(part.get("media"), dict) and part["media"].get("uri"):
                    media.append((read.repairs(part["media"]["uri"]), media_kind(part["media"]["uri"])))
                    description = read.repairs(part["media"].get("description"))
                    if description and not texts:
                        texts.append(description)
                if isinstance(part.get("external_context"), dict) and part["external_context"].get("url"):
                    links.append(read.repairs(part["external_context"]["url"]))
        extra = {"title": read.repairs(entry.get("title"))} if entry.get("title") else {}
        if links:
            extra["links"] = " ".join(links)
        read.add(ExportItem("post", at, "\n".join(texts), member, author=_author(read), media=media, extra=extra))


def facebook_comments(read: ExportRead, member: str, data: object) -> None:
    groups = data if isinstance(data, list) else [data]
    for group in groups:
        for key in ("comments_v2", "group_comments_v2"):
            for entry in group.get(key, []) if isinstance(group, dict) else []:
                facebook_comment(read, member, entry)


def facebook_comment(read: ExportRead, member: str, entry: dict) -> None:
    comment = next((d["comment"] for d in entry.get("data") or [] if isinstance(d.get("comment"), dict)), {})
    at = parse_time(comment.get("timestamp", entry.get("timestamp")))
    if at is None:
        read.problem(member, f"a comment without a readable time ({entry.get('timestamp')!r}) skipped")
        return
    title = read.repairs(entry.get("title"))
    media = [(read.repairs(p["media"]["uri"]), media_kind(p["media"]["uri"]))
             for a in entry.get("attachments") or [] for p in a.get("data") or []
             if isinstance(p.get("media"), dict) and p["media"].get("uri")]
    kind = "reply" if REPLY_TITLE.search(title) else "comment"
    read.add(ExportItem(kind, at, read.repairs(comment.get("comment")), member,
                        author=read.repairs(comment.get("author")) or _author(read), media=media,
                        extra={"title": title} if title else {}))


def _author(read: ExportRead) -> str:
    return sorted(read.owner.names)[0] if read.owner.names else ""


def facebook_profile(read: ExportRead, data: dict) -> None:
    profile = data.get("profile_v2") or {}
    name = profile.get("name")
    full = name.get("full_name") if isinstance(name, dict) else name
    if full:
        read.owner.names.add(read.repairs(full))
    if profile.get("username"):
        read.owner.handles.add(str(profile["username"]).lower())
    uri = str(profile.get("profile_uri") or "")
    match = re.search(r"facebook\.com/(?:profile\.php\?id=(\d+)|([\w.\-]+))", uri)
    if match:
        if match.group(1):
            read.owner.ids.add(match.group(1))
        else:
            read.owner.handles.add(match.group(2).lower())
    if profile.get("id"):
        read.owner.ids.add(str(profile["id"]))


# ------------------------------------------------------------------------------------------------ Instagram

def instagram_posts(read: ExportRead, member: str, data: object, seen: set) -> None:
    entries = data.get("ig_reels_media", []) if isinstance(data, dict) else data
    # IGTV videos come wrapped ({ig_igtv_media: [post]}) inside the posts list of older exports.
    entries = [p for e in entries for p in (e.get("ig_igtv_media") or [e])]
    others = [e for e in entries if not isinstance(e.get("media"), list)]
    if others:
        keys = ", ".join(sorted({k for e in others for k in e}))
        read.notes.append(f"{member}: {len(others)} entries are not posts ({keys}); not imported")
    for entry in entries:
        if not isinstance(entry.get("media"), list):
            continue
        media_list = [m for m in entry.get("media") or [] if isinstance(m, dict)]
        first = media_list[0] if media_list else {}
        at = parse_time(entry.get("creation_timestamp", first.get("creation_timestamp")))
        if at is None:
            read.problem(member, "a post without a readable time skipped")
            continue
        caption = read.repairs(entry.get("title") or first.get("title") or "")
        media = [(read.repairs(m["uri"]), media_kind(m["uri"])) for m in media_list if m.get("uri")]
        same = (caption, tuple(sorted(p.rsplit("/", 1)[-1] for p, _ in media)))
        if same in seen:  # a carousel with video is in posts_1.json and in reels.json
            continue
        seen.add(same)
        read.add(ExportItem("post", at, caption, member, author=_author(read), media=media))


def instagram_comments(read: ExportRead, member: str, data: object) -> None:
    if isinstance(data, dict):
        entries = data.get("comments_media_comments", []) + data.get("comments_reels_comments", [])
    else:
        entries = data
    for entry in entries:
        if isinstance(entry.get("string_map_data"), dict):  # 2024: labels in the UI language
            fields = entry["string_map_data"]
            value = (_label(fields, COMMENT_LABELS) or {}).get("value", "")
            at = parse_time((_label(fields, TIME_LABELS) or {}).get("timestamp"))
            owner = [v["value"] for k, v in fields.items()
                     if k not in COMMENT_LABELS + TIME_LABELS and isinstance(v, dict) and v.get("value")]
            extra = {"media_owner": read.repairs(owner[0])} if owner else {}
        else:  # older: the title names the media owner
            value, at, extra = "", None, {}
            for item in entry.get("string_list_data") or []:
                value, at = item.get("value", ""), parse_time(item.get("timestamp"))
            if entry.get("title"):
                extra = {"media_owner": read.repairs(entry["title"])}
        if at is None:
            read.problem(member, "a comment without a readable time skipped")
            continue
        read.add(ExportItem("comment", at, read.repairs(value), member, author=_author(read), extra=extra))


def instagram_profile(read: ExportRead, data: dict) -> None:
    for entry in data.get("profile_user") or []:
        fields = entry.get("string_map_data") or {}
        username = (_label(fields, USERNAME_LABELS) or {}).get("value")
        name = (_label(fields, NAME_LABELS) or {}).get("value")
        if username:
            read.owner.handles.add(read.repairs(username).lower())
        if name:
            read.owner.names.add(read.repairs(name))


READERS = {"facebook-posts": facebook_posts, "facebook-comments": facebook_comments,
           "instagram-comments": instagram_comments}


def read_meta(read: ExportRead, members: list[str]) -> None:
    """Read every JSON or HTML member of a Meta export of read.platform (owner first, so items carry its name)."""
    documents = []
    for member in members:
        if member.lower().endswith((".html", ".htm")):
            document = _html_document(read, member)
            if document is not None:
                documents.append(document)
            continue
        data = load_json(read, member)
        if data is None:
            continue
        kind = shape(data)
        if kind == f"{read.platform}-profile":
            (facebook_profile if read.platform == "facebook" else instagram_profile)(read, data)
        elif kind.startswith(read.platform):
            documents.append((member, kind, data))
    if documents and all(isinstance(d[2], HtmlPage) for d in documents):
        read.layout = read.layout.replace("-json", "-html")
    seen: set = set()
    # Posts before reels: the reels file repeats posts, and the post is the one kept.
    for member, kind, data in sorted(documents, key=lambda d: (d[1] == "instagram-reels", d[0])):
        read.members_read.append(member)
        if isinstance(data, HtmlPage):
            _read_html(read, member, kind, data, seen)
        elif kind in ("instagram-posts", "instagram-reels"):
            instagram_posts(read, member, data, seen)
        else:
            READERS[kind](read, member, data)


@dataclass
class HtmlPage:
    text: str
    entries: list


def _html_document(read: ExportRead, member: str) -> tuple[str, str, HtmlPage] | None:
    """A page of the HTML format: its owner read at once, its items kept for later; None for other pages."""
    text = load_text(read, member)
    if text is None:
        return None
    found = meta_html.entries(text)
    kind = meta_html.shape(found, text)
    if kind == f"{read.platform}-profile":
        meta_html.profile(read, text, found)
        return None
    return (member, kind, HtmlPage(text, found)) if kind.startswith(read.platform) else None


def _read_html(read: ExportRead, member: str, kind: str, page: HtmlPage, seen: set) -> None:
    if kind.startswith("facebook-"):
        meta_html.facebook(read, member, page.entries)
    elif kind == "instagram-posts":
        meta_html.instagram_posts(read, member, page.entries, seen)
    elif kind == "instagram-comments":
        meta_html.instagram_comments(read, member, page.entries)
