"""Reading Instagram's recorded answers, every generation the web app has sent.

- 2019-20: `window._sharedData` in the page and GraphQL `edge_*` connections (shortcode_media,
  edge_media_to_parent_comment, edge_threaded_comments, edge_owner_to_timeline_media);
- 2021-22: `window.__additionalDataLoaded('/p/CODE/', {"items": [...]})` in the post page, and the REST answers
  /api/v1/media/<id>/info/ (items[]), /api/v1/media/<id>/comments/ (comments[]),
  /api/v1/media/<id>/comments/<cid>/child_comments/ (child_comments[]) and /api/v1/feed/user/<id>/ (items[]);
- 2023+: GraphQL `xdt_api__v1__...` answers, whose nodes are the same media, comment and user dicts as the
  REST answers of 2021-22 (pk, code, taken_at, user, caption, comment_count, child_comment_count).

A reading gives the items found, the counts the platform showed (comment_count, child_comment_count,
media_count / edge_owner_to_timeline_media.count) and the users seen (pk/id and username), so that the adapter
can tell the account's own items by its user id or handle. Nothing here fetches anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

from smarchive.model import CapturedResponse, SourceRecord
from smarchive.platforms.base import Reported
from smarchive.platforms.found import Found
from smarchive.platforms.jsondata import as_dict as _dict
from smarchive.platforms.jsondata import walk as _walk
from smarchive.platforms.toolkit import count_of, epoch_of, json_documents, response_text

# Legacy (2019-20) connections that hold comments of a post.
COMMENT_EDGES = ("edge_media_to_parent_comment", "edge_media_to_comment", "edge_media_preview_comment",
                 "edge_media_to_hoisted_comment")
SHARED_DATA = re.compile(r"window\._sharedData\s*=\s*")
# A call, not the function's definition (`window.__additionalDataLoaded = function(path, data)`).
ADDITIONAL_DATA = re.compile(r"window\.__additionalDataLoaded\(\s*(['\"])(?P<path>[^'\"]*)\1\s*,\s*")
SCRIPT_JSON = re.compile(
    r"<script\b(?=[^>]*\btype\s*=\s*[\"']application/json[\"'])[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)
# REST answers (2021-22): which post and comment an answer belongs to is in its path.
MEDIA_PATH = re.compile(r"/api/v1/media/(?P<media>\d+)(?:_\d+)?/")
CHILD_COMMENTS_PATH = re.compile(r"/comments/(?P<comment>\d+)/child_comments/")
POST_PATH = re.compile(r"/(?:p|reel|tv)/(?P<code>[A-Za-z0-9_-]+)/")
SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Lists of comments / replies in the REST and XDT dicts.
COMMENT_LISTS = ("comments", "preview_comments")
REPLY_LISTS = ("child_comments", "preview_child_comments")


@dataclass
class Reading:
    """What one recorded answer showed."""

    found: list[Found] = field(default_factory=list)
    reported: list[Reported] = field(default_factory=list)
    users: list[dict] = field(default_factory=list)  # {"id", "username", "full_name"} of every user node seen
    consumed: set[int] = field(default_factory=set)  # id() of the JSON dicts a reader used
    payloads: list[object] = field(default_factory=list)  # the JSON documents, for the unmapped-item check


# ------------------------------------------------------------------------------------------------ helpers

def _str(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    return str(value) if isinstance(value, int | str) else ""


def _edges(connection: object) -> Iterator[dict]:
    edges = _dict(connection).get("edges")
    for edge in edges if isinstance(edges, list) else []:
        node = _dict(_dict(edge).get("node"))
        if node:
            yield node


def _dicts(value: object) -> Iterator[dict]:
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, dict):
            yield entry


def shortcode_of(media_id: str) -> str:
    """Instagram's shortcode of a media id (base 64 in a URL-safe alphabet)."""
    if not media_id.isdigit():
        return ""
    number, digits = int(media_id), []
    while number:
        number, rest = divmod(number, 64)
        digits.append(SHORTCODE_ALPHABET[rest])
    return "".join(reversed(digits))


def media_id_of(code: str) -> str:
    """The media id of a shortcode; "" for codes that are not one (the long codes of 2026 carry more)."""
    if not code or len(code) > 12:
        return ""
    number = 0
    for char in code:
        position = SHORTCODE_ALPHABET.find(char)
        if position < 0:
            return ""
        number = number * 64 + position
    return str(number)


def site_root(url: str) -> str:
    """The root the site's paths hang from: the origin, or origin + /instagram under the sandbox."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin + "/instagram" if parts.path.startswith("/instagram/") else origin


def post_url(root: str, code: str) -> str:
    return f"{root}/p/{code}/"


def _variables(url: str, request_body: bytes = b"") -> dict:
    """The GraphQL `variables` of a request: in the URL (GET, 2019-20) or the form body (POST, 2023+)."""
    raw = (parse_qs(urlsplit(url).query).get("variables") or [""])[0]
    if not raw and request_body:
        raw = (parse_qs(request_body.decode("utf-8", "replace")).get("variables") or [""])[0]
    try:
        value = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _media_id(value: object) -> str:
    """A media id as the platform writes it: "3841140344453184270" or "3841140344453184270_52762453"."""
    return _str(value).split("_")[0]


def _user(node: dict) -> dict:
    """The author of a node in either generation: `owner` (2019-20) or `user` (2021+), as {id, username}."""
    user = _dict(node.get("user")) or _dict(node.get("owner"))
    user_id = _str(user.get("pk")) or _str(user.get("id")) or _str(user.get("pk_id"))
    username = _str(user.get("username"))
    if not user_id and not username:
        return {}
    return {"id": user_id, "username": username, "full_name": _str(user.get("full_name"))}


# ------------------------------------------------------------------------------------------------ payloads

def payloads(response: CapturedResponse) -> Iterator[tuple[object, str]]:
    """Every JSON document in a response with the post path it was given for (`__additionalDataLoaded`'s first
    argument, else ""): `_sharedData`, `__additionalDataLoaded` and JSON blobs of a page, or a JSON body."""
    text = response_text(response)
    if text is None:
        return
    content_type = (response.content_type or "").lower()
    if "html" in content_type or text.lstrip().startswith("<"):
        yield from _html_documents(text)
    else:
        for document in json_documents(text):
            yield document, ""


def _html_documents(text: str) -> Iterator[tuple[object, str]]:
    decoder = json.JSONDecoder()
    for pattern in (SHARED_DATA, ADDITIONAL_DATA):
        for match in pattern.finditer(text):
            path = match.groupdict().get("path") or ""
            try:  # the object ends where the JSON ends: raw_decode needs no closing pattern
                yield decoder.raw_decode(text, match.end())[0], path
            except (json.JSONDecodeError, RecursionError):
                continue
    for match in SCRIPT_JSON.finditer(text):
        try:
            yield json.loads(match.group(1).strip()), ""
        except (json.JSONDecodeError, RecursionError):
            continue


# ------------------------------------------------------------------------------------------------ reading

def is_legacy_post(node: dict) -> bool:
    return bool(_str(node.get("id")) and _str(node.get("shortcode")) and "taken_at_timestamp" in node
                and _dict(node.get("owner")))


def is_media(node: dict) -> bool:
    """A media dict of 2021+ (REST items[], XDT nodes): pk, code, a user and what makes it media (taken_at, whose
    value may be null, is missing in 2026 search results). Carousel children are read with their parent."""
    media_keys = ("taken_at", "media_type", "caption", "image_versions2")
    return bool(_str(node.get("pk")) and _str(node.get("code")) and _user(node)
                and any(key in node for key in media_keys))


def _is_comment(node: dict) -> bool:
    return bool(_str(node.get("pk")) and "text" in node and "created_at" in node and _user(node)
                and not _str(node.get("code")))


def read_response(response: CapturedResponse) -> list[Found]:
    """Every post, comment and reply one response shows (the same code reads real and sandbox pages)."""
    return read_answer(response).found


def read_answer(response: CapturedResponse) -> Reading:
    """Items, the platform's counts and the users one recorded answer shows."""
    reading = Reading()
    root = site_root(response.url)
    for payload, path in payloads(response):
        reading.payloads.append(payload)
        _Reader(reading, response, root, path).read(payload)
    return reading


class _Reader:
    """Reads one JSON document of an answer into a Reading."""

    def __init__(self, reading: Reading, response: CapturedResponse, root: str, path: str) -> None:
        self.reading, self.response, self.root = reading, response, root
        url_path = urlsplit(response.url).path
        self.variables = _variables(response.url, response.request_body)
        media = MEDIA_PATH.search(url_path)
        child = CHILD_COMMENTS_PATH.search(url_path)
        code = (POST_PATH.search(path) or POST_PATH.search(url_path))
        self.url_code = code.group("code") if code else ""
        self.url_media = media.group("media") if media else media_id_of(self.url_code)
        self.url_comment = child.group("comment") if child else ""

    def read(self, payload: object) -> None:
        for node in _walk(payload):
            for ad in _walk(node.get("ad")):  # sponsored units are other advertisers' posts: never items
                self.reading.consumed.add(id(ad))
            caption = node.get("caption")  # a caption (pk, text, created_at, user) is its post's text
            if isinstance(caption, dict):
                self.reading.consumed.add(id(caption))
        for node in _walk(payload):
            if id(node) in self.reading.consumed:
                continue
            self._user_node(node)
            if is_legacy_post(node):
                self._legacy_post(node)
            elif is_media(node):
                self._media(node)
            self._legacy_pages(node)
            self._rest_lists(node)
            self._xdt_comments(node)

    # -- counts and users

    def _report(self, kind: str, count: object, post_id: str = "", comment_id: str = "", note: str = "") -> None:
        number = count_of(count)
        if number is None:
            return
        source = SourceRecord(warc_file=self.response.warc_file, record_id=self.response.record_id,
                              offset=self.response.offset, url=self.response.url)
        self.reading.reported.append(Reported(kind=kind, count=number, post_id=post_id, comment_id=comment_id,
                                              source=source, note=note))

    def _user_node(self, node: dict) -> None:
        """A user seen with its posts count: the account's own count of posts (profile, user info answers)."""
        user_id = _str(node.get("pk")) or _str(node.get("id"))
        username = _str(node.get("username"))
        if not user_id or not username:
            return
        self.reading.users.append({"id": user_id, "username": username, "full_name": _str(node.get("full_name"))})
        timeline = _dict(node.get("edge_owner_to_timeline_media"))
        count = node.get("media_count") if "media_count" in node else timeline.get("count")
        self._report("posts", count, note=f"user {user_id}")

    # -- 2019-20

    def _legacy_post(self, node: dict) -> None:
        post_id, code = _str(node["id"]), _str(node.get("shortcode"))
        epoch = epoch_of(node.get("taken_at_timestamp"))
        if epoch is None:
            return
        self.reading.consumed.add(id(node))
        from_page = any(isinstance(_dict(node.get(k)).get("edges"), list) for k in COMMENT_EDGES)
        self.reading.found.append(self._found(post_id, "post", None, post_id, _user(node), epoch,
                                              _legacy_caption(node), code, _legacy_media(node, self.response.url),
                                              from_page))
        self._report("comments", _dict(node.get("edge_media_to_parent_comment")).get("count"), post_id)
        if "edge_media_to_parent_comment" not in node:
            self._report("thread", _dict(node.get("edge_media_to_comment")).get("count"), post_id)
        for key in COMMENT_EDGES:
            for comment in _edges(node.get(key)):
                self._legacy_comment(comment, post_id, code)

    def _legacy_pages(self, node: dict) -> None:
        """A page of comments or replies: which post or comment it is about is in the URL's variables."""
        media = _dict(node.get("shortcode_media"))
        if media and not is_legacy_post(media):
            code = _str(self.variables.get("shortcode"))
            for key in COMMENT_EDGES:
                for comment in _edges(media.get(key)):
                    self._legacy_comment(comment, media_id_of(code), code)
        thread = _dict(_dict(node.get("comment")).get("edge_threaded_comments"))
        if thread:
            parent = _str(self.variables.get("comment_id"))
            for reply in _edges(thread):
                self._legacy_item(reply, "reply", parent, "", "")

    def _legacy_comment(self, node: dict, post_id: str, code: str) -> None:
        if not self._legacy_item(node, "comment", post_id, post_id, code):
            return
        comment_id = _str(node.get("id"))
        thread = _dict(node.get("edge_threaded_comments"))
        self._report("replies", thread.get("count"), post_id, comment_id)
        for reply in _edges(thread):
            # in a page of replies the post is not named: filled in from the parent comment when merging
            self._legacy_item(reply, "reply", comment_id, post_id, code)

    def _legacy_item(self, node: dict, item_type: str, parent: str, post_id: str, code: str) -> bool:
        """A comment or reply node of 2019-20; False if it lacks what an item needs (id, parent, time, owner)."""
        item_id, epoch, owner = _str(node.get("id")), epoch_of(node.get("created_at")), _user(node)
        if not item_id or not parent or epoch is None or not owner:
            return False
        self.reading.consumed.add(id(node))
        self.reading.found.append(self._found(item_id, item_type, parent, post_id, owner, epoch,
                                              _str(node.get("text")), code))
        return True

    # -- 2021+ (REST and XDT share the dicts)

    def _media(self, node: dict) -> None:
        post_id, code = _media_id(node.get("pk")), _str(node.get("code"))
        self.reading.consumed.add(id(node))
        for child in _dicts(node.get("carousel_media")):
            self.reading.consumed.add(id(child))
        caption = _dict(node.get("caption"))
        comments = [c for key in COMMENT_LISTS for c in _dicts(node.get(key))]
        self.reading.found.append(self._found(post_id, "post", None, post_id, _user(node),
                                              epoch_of(node.get("taken_at")), _str(caption.get("text")), code,
                                              _media_files(node, self.response.url), bool(comments)))
        off = "comments turned off" if node.get("comments_disabled") else ""
        self._report("thread", node.get("comment_count"), post_id, note=off)
        for comment in comments:
            self._comment(comment, post_id, code)

    def _rest_lists(self, node: dict) -> None:
        """A REST answer's own lists: /comments/ (comments[]) and /child_comments/ (child_comments[])."""
        if node.get("items") is not None or not self.url_media:
            return
        post_id = self.url_media
        if self.url_comment and isinstance(node.get("child_comments"), list):
            self._report("replies", node.get("child_comment_count"), post_id, self.url_comment)
            self._comment(_dict(node.get("parent_comment")), post_id, "")  # the answer repeats its comment
            for reply in _dicts(node.get("child_comments")):
                self._reply(reply, self.url_comment, post_id, "")
        elif isinstance(node.get("comments"), list) and not _str(node.get("pk")):
            self._report("thread", node.get("comment_count"), post_id)
            for comment in _dicts(node.get("comments")):
                self._comment(comment, post_id, "")

    def _xdt_comments(self, node: dict) -> None:
        """GraphQL comment connections of 2023+ (xdt_api__v1__media__media_id__comments__connection and the
        child comments connection): the post is in the node (media_id), the URL's variables or the path."""
        for key, value in node.items():
            if not (key.startswith("xdt_api__v1__media__") and "comments" in key):
                continue
            post_id = _media_id(self.variables.get("media_id")) or self.url_media
            parent = _str(self.variables.get("comment_id")) or _str(self.variables.get("parent_comment_id"))
            for comment in _edges(value):
                media = _media_id(comment.get("media_id")) or post_id
                if "child_comments" in key or parent or _str(comment.get("parent_comment_id")):
                    self._reply(comment, _str(comment.get("parent_comment_id")) or parent, media, "")
                else:
                    self._comment(comment, media, "")

    def _comment(self, node: dict, post_id: str, code: str) -> None:
        if not _is_comment(node) or not post_id or id(node) in self.reading.consumed:
            return
        if _str(node.get("parent_comment_id")):  # a reply listed among comments (threaded answers do that)
            self._reply(node, _str(node["parent_comment_id"]), post_id, code)
            return
        comment_id, epoch = _str(node["pk"]), epoch_of(node.get("created_at"))
        self.reading.consumed.add(id(node))
        self.reading.found.append(self._found(comment_id, "comment", post_id, post_id, _user(node), epoch,
                                              _str(node.get("text")), code))
        self._report("replies", node.get("child_comment_count"), post_id, comment_id)
        for reply in (r for key in REPLY_LISTS for r in _dicts(node.get(key))):
            self._reply(reply, comment_id, post_id, code)

    def _reply(self, node: dict, parent: str, post_id: str, code: str) -> None:
        if not _is_comment(node) or not parent or id(node) in self.reading.consumed:
            return
        self.reading.consumed.add(id(node))
        self.reading.found.append(self._found(_str(node["pk"]), "reply", parent, post_id, _user(node),
                                              epoch_of(node.get("created_at")), _str(node.get("text")), code))

    def _found(self, item_id: str, item_type: str, parent: str | None, post_id: str, author: dict,
               epoch: int | None, text: str, code: str, media: list[tuple[str, str]] | None = None,
               from_post_page: bool = False) -> Found:
        return Found(id=item_id, item_type=item_type, parent_id=parent, post_id=post_id, author=author, epoch=epoch,
                     text=text, site=self.root, code=code, media=media or [], response=self.response,
                     own_page=from_post_page)


def _legacy_media(node: dict, base: str) -> list[tuple[str, str]]:
    children = list(_edges(node.get("edge_sidecar_to_children"))) or [node]
    media: list[tuple[str, str]] = []
    for child in children:
        display = _str(child.get("display_url"))
        if display:
            media.append((urljoin(base, display), "image"))
        video = _str(child.get("video_url"))
        if child.get("is_video") and video:
            media.append((urljoin(base, video), "video"))
    return media


def _legacy_caption(node: dict) -> str:
    return next((_str(c.get("text")) for c in _edges(node.get("edge_media_to_caption"))), "")


def _media_files(node: dict, base: str) -> list[tuple[str, str]]:
    """The largest image and video of a 2021+ media dict, or of each carousel child."""
    children = list(_dicts(node.get("carousel_media"))) or [node]
    media: list[tuple[str, str]] = []
    for child in children:
        image = next(_dicts(_dict(child.get("image_versions2")).get("candidates")), {})
        if _str(image.get("url")):
            media.append((urljoin(base, _str(image["url"])), "image"))
        video = next(_dicts(child.get("video_versions")), {})
        if _str(video.get("url")):
            media.append((urljoin(base, _str(video["url"])), "video"))
    return media


# ------------------------------------------------------------------------------------------------ unmapped

def looks_like_item(node: dict) -> bool:
    """An object with an id, a text, an author and a time, or a post's id and code: what the platform uses for a
    post, comment or reply, whichever generation."""
    has_id = bool(_str(node.get("pk")) or _str(node.get("id")))
    has_author = bool(_dict(node.get("user")) or _dict(node.get("owner")))
    has_text = any(key in node for key in ("text", "caption", "edge_media_to_caption"))
    has_time = any(word in key for key in node for word in ("taken_at", "created", "timestamp"))
    has_code = bool(_str(node.get("code")) or _str(node.get("shortcode")))
    return has_id and has_author and (has_text or has_code) and (has_time or has_code)


def unmapped(reading: Reading) -> list[tuple[str, int, list[str]]]:
    """Objects of the answer that look like an item and that no reader took, by path: (path, how many, keys)."""
    found: dict[str, tuple[int, list[str]]] = {}
    for payload in reading.payloads:
        for path, node in _walk_paths(payload, "$"):
            if id(node) not in reading.consumed and looks_like_item(node):
                number, keys = found.get(path, (0, _shape(node)))
                found[path] = (number + 1, keys)
    return [(path, number, keys) for path, (number, keys) in found.items()]


SHAPE_KEYS = re.compile(r"pk|id$|code|text|caption|user|owner|taken|created|time|short|comment")


def _shape(node: dict) -> list[str]:
    """The keys of an object that say what it is (ids, codes, texts, authors, times), not its 90 others."""
    keys = sorted(key for key in node if SHAPE_KEYS.search(key))
    return keys[:20] if keys else sorted(node)[:12]


def _walk_paths(value: object, path: str, depth: int = 0) -> Iterator[tuple[str, dict]]:
    if depth > 80:
        return
    if isinstance(value, dict):
        yield path, value
        for key, child in value.items():
            yield from _walk_paths(child, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _walk_paths(child, f"{path}[]", depth + 1)
