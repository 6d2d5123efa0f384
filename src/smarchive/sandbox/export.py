"""The sandbox's accounts as the platforms' own data exports, written from its world (the truth), so that
`smarchive import` and the reconciliation can be tested end to end without network (#18).

One ZIP per account, in the layout and with the quirks of the real thing:
- Facebook: DYI JSON (`your_facebook_activity/posts/your_posts_1.json`, `…/comments_and_reactions/comments.json`,
  `personal_information/profile_information/profile_information.json`), every string in Meta's mojibake
  (UTF-8 bytes as \\u00XX), Swedish titles ("… svarade på …" tells a reply), the media files inside;
- Instagram: the 2024 layout (`your_instagram_activity/media/posts_1.json`, `…/comments/post_comments_1.json`
  with Swedish labels "Kommentar", "Tid"), mojibake, a single-media post's caption on the media, media inside;
- YouTube: Google Takeout (`Takeout/YouTube and YouTube Music/`: `channels/channel.csv`, `video metadata/
  videos.csv` and `video texts.csv`, `comments/comments.csv` in the 2025 8-column layout, text as JSON segments);
- LinkedIn: `Shares.csv` (percent-encoded URNs, every line of a text quoted, one row per media file) and
  `Comments.csv` (backslash-escaped quotes).
An export holds what the account itself wrote: its posts, and its own comments and replies.

Facebook and Instagram also in Meta's HTML format (`format="html"`, `sandbox export --format html`): the same
files as .html pages of entry boxes (the 2022- class names: _a6-g, _a6-h, _a6-p, _2pin, _a6-o; Instagram's
comments and profile as _a6_q label tables), times in Swedish UI language and Swedish time ("5 jan. 2024 10:00:00"
on Facebook, "jan. 05, 2024 10:00 fm" on Instagram), text HTML-escaped with <br /> for new lines, the media inside.
"""

from __future__ import annotations

import csv
import html
import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from smarchive.model import STOCKHOLM
from smarchive.sandbox.content import World, WorldAccount, WorldItem

ZIP_DATE = (2025, 2, 1, 12, 0, 0)


def mojibake(text: str) -> str:
    """What Meta writes: the UTF-8 bytes of the text, each as a character (escaped \\u00XX by json.dumps)."""
    return text.encode("utf-8").decode("latin-1")


def _meta_json(data: object) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=True).encode("ascii")


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _own(world: World, account: WorldAccount) -> tuple[list[WorldItem], list[WorldItem]]:
    """The account's posts, and its own comments and replies (oldest first)."""
    mine = [i for i in world.items if i.platform == account.platform and i.account == account.handle]
    posts = sorted((i for i in mine if i.item_type == "post"), key=lambda i: (i.published_at, i.id))
    own = sorted((i for i in mine if i.item_type != "post" and i.author_is_account),
                 key=lambda i: (i.published_at, i.id))
    return posts, own


def _store_media(world: World, post: WorldItem, folder: str, files: dict[str, bytes]) -> list[str]:
    """Put the post's media files in the export under `folder`; their paths, in the post's order."""
    paths = []
    for m in post.media:
        path = f"{folder}/{world.media[m].filename}"
        files[path] = world.media[m].data
        paths.append(path)
    return paths


def _facebook_media_folder(account: WorldAccount) -> str:
    return f"your_facebook_activity/posts/media/Tidslinjefoton_{account.handle}"


def _instagram_media_folder(post: WorldItem) -> str:
    return f"media/posts/{post.published_at:%Y%m}"


def _facebook_comment_title(world: World, account: WorldAccount, item: WorldItem) -> str:
    """Facebook's title of the account's own comment or reply, the only place a reply is told apart."""
    parent = world.item(item.parent_id or "")
    whose = f"{parent.author}s kommentar" if parent else "en kommentar"
    return (f"{account.name} svarade på {whose}." if item.item_type == "reply"
            else f"{account.name} kommenterade sitt eget inlägg.")


def facebook(world: World, account: WorldAccount, files: dict[str, bytes]) -> None:
    posts, own = _own(world, account)
    entries = []
    for post in posts:
        media = [{"data": [{"media": {"uri": path, "creation_timestamp": _epoch(post.published_at),
                                      "title": mojibake("Tidslinjefoton")}}]}
                 for path in _store_media(world, post, _facebook_media_folder(account), files)]
        entry = {"timestamp": _epoch(post.published_at), "data": [{"post": mojibake(post.text)}],
                 "title": mojibake(f"{account.name} uppdaterade sin status.")}
        if media:
            entry["attachments"] = media
        entries.append(entry)
    files["your_facebook_activity/posts/your_posts_1.json"] = _meta_json(entries[::-1])  # newest first
    comments = []
    for item in own:
        title = _facebook_comment_title(world, account, item)
        comments.append({"timestamp": _epoch(item.published_at), "title": mojibake(title),
                         "data": [{"comment": {"timestamp": _epoch(item.published_at),
                                               "comment": mojibake(item.text), "author": mojibake(account.name)}}]})
    files["your_facebook_activity/comments_and_reactions/comments.json"] = _meta_json({"comments_v2": comments})
    files["personal_information/profile_information/profile_information.json"] = _meta_json({"profile_v2": {
        "name": {"full_name": mojibake(account.name)}, "username": account.handle,
        "profile_uri": f"https://www.facebook.com/{account.handle}"}})


def instagram(world: World, account: WorldAccount, files: dict[str, bytes]) -> None:
    posts, own = _own(world, account)
    entries = []
    for post in posts:
        media = [{"uri": path, "creation_timestamp": _epoch(post.published_at) - 1, "title": ""}
                 for path in _store_media(world, post, _instagram_media_folder(post), files)]
        if len(media) == 1:  # a single photo: the caption sits on the media, no post-level fields
            media[0]["title"] = mojibake(post.text)
            entries.append({"media": media})
        else:
            entries.append({"media": media, "title": mojibake(post.text),
                            "creation_timestamp": _epoch(post.published_at)})
    files["your_instagram_activity/media/posts_1.json"] = _meta_json(entries[::-1])
    files["your_instagram_activity/media/reels.json"] = _meta_json({"ig_reels_media": []})
    comments = [{"media_list_data": [], "string_map_data": {
        "Kommentar": {"value": mojibake(i.text)}, "Medieägare": {"value": account.handle},
        "Tid": {"timestamp": _epoch(i.published_at)}}} for i in own]
    files["your_instagram_activity/comments/post_comments_1.json"] = _meta_json(comments[::-1])
    files["personal_information/personal_information/personal_information.json"] = _meta_json({"profile_user": [
        {"string_map_data": {"Användarnamn": {"value": account.handle}, "Namn": {"value": mojibake(account.name)}}}]})


def _csv(rows: list[list[str]], **dialect: object) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", **dialect)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8") + b"\n" * 6  # Takeout ends its files with blank lines


def _takeout_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def youtube(world: World, account: WorldAccount, files: dict[str, bytes]) -> None:
    posts, own = _own(world, account)
    top = "Takeout/YouTube and YouTube Music"
    files[f"{top}/channels/channel.csv"] = _csv([["Channel ID", "Channel Country", "Channel Title (Original)",
                                                  "Channel Visibility"], [account.id, "SE", account.name, "Public"]])
    videos = [["Video ID", "Approx Duration (ms)", "Video Category", "Channel ID", "Video Title (Original)",
               "Privacy", "Video State", "Video Create Timestamp", "Video Publish Timestamp"]]
    texts = [["Video ID", "Create Timestamp of Video Text", "Video Title Text Segments 1",
              "Video Description (Original)"]]
    for post in posts:
        title, _, description = post.text.partition("\n\n")
        videos.append([post.id, "60000", "People & Blogs", account.id, title, "Public", "Processed",
                       _takeout_time(post.published_at), _takeout_time(post.published_at)])
        texts.append([post.id, _takeout_time(post.published_at), title, description])
    files[f"{top}/video metadata/videos.csv"] = _csv(videos)
    files[f"{top}/video metadata/video texts.csv"] = _csv(texts)
    comments = [["Comment ID", "Channel ID", "Comment Create Timestamp", "Price", "Parent Comment ID", "Video ID",
                 "Comment Text", "Top-Level Comment ID"]]
    for item in own:
        parent = item.parent_id if item.item_type == "reply" else ""
        segments = ",".join(json.dumps({"text": line + ("\n" if n < len(item.text.split("\n")) - 1 else "")},
                                       ensure_ascii=False)
                            for n, line in enumerate(item.text.split("\n")))
        comments.append([item.id, account.id, _takeout_time(item.published_at), "0", parent, item.post_id,
                         segments, parent or item.id])
    files[f"{top}/comments/comments.csv"] = _csv(comments)


def _linkedin_lines(text: str) -> str:
    """Every line in quotes (inner quotes left as they are): how LinkedIn's Shares.csv writes a text."""
    return "\n".join(f'"{line}"' for line in text.split("\n"))


def linkedin(world: World, account: WorldAccount, files: dict[str, bytes]) -> None:
    posts, own = _own(world, account)
    shares = [["Date", "ShareLink", "ShareCommentary", "SharedUrl", "MediaUrl", "Visibility"]]
    for post in posts:
        link = "https://www.linkedin.com/feed/update/" + quote(f"urn:li:activity:{post.id}", safe="")
        date = post.published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        media = [f"https://media.licdn.com/dms/image/{world.media[m].filename}" for m in post.media] or [""]
        for n, url in enumerate(media):  # one row per media file, the text on the first
            shares.append([date, link, _linkedin_lines(post.text) if n == 0 else "", "", url, "PUBLIC"])
    files["Shares.csv"] = _csv(shares)
    comments = [["Date", "Link", "Message"]]
    for item in own:
        urn = f"urn:li:comment:(activity:{item.post_id},{item.id})"
        link = (f"https://www.linkedin.com/feed/update/{quote(f'urn:li:activity:{item.post_id}', safe='')}"
                f"?commentUrn={quote(urn, safe='')}")
        comments.append([item.published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), link, item.text])
    files["Comments.csv"] = _csv(comments, escapechar="\\", doublequote=False)


# ------------------------------------------------------------------------------------- Meta's HTML format

SV_MONTHS = ("jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.", "nov.", "dec.")


def _page(title: str, boxes: list[str]) -> bytes:
    return ('<!DOCTYPE html><html><head><meta charset="utf-8" /><title>' + html.escape(title) + "</title></head>"
            '<body class="_5vb_ _2yq _a7o5"><div class="_a706" role="main">\n' + "\n".join(boxes)
            + "\n</div></body></html>\n").encode("utf-8")


def _html_text(text: str) -> str:
    return "<br />".join(html.escape(line, quote=False) for line in text.split("\n"))


def _sv_day_first(moment: datetime) -> str:
    local = moment.astimezone(STOCKHOLM)
    return f"{local.day} {SV_MONTHS[local.month - 1]} {local.year} {local:%H:%M:%S}"


def _sv_month_first(moment: datetime) -> str:
    local = moment.astimezone(STOCKHOLM)
    half = "fm" if local.hour < 12 else "em"
    return f"{SV_MONTHS[local.month - 1]} {local.day:02d}, {local.year} {(local.hour % 12) or 12}:{local:%M} {half}"


def _box(title: str, content: str, when: str) -> str:
    head = f'<h2 class="_2ph_ _a6-h _a6-i">{html.escape(title)}</h2>' if title else ""
    return (f'<div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder">{head}<div class="_2ph_ _a6-p"><div>{content}'
            f'</div></div><div class="_3-94 _a6-o">{html.escape(when)}</div></div>')


def _table_box(rows: list[tuple[str, str]], time_label: str = "", when: str = "") -> str:
    cells = "".join(f'<tr><td colspan="2" class="_2pin _a6_q">{html.escape(label)}<div><div>{_html_text(value)}'
                    "</div></div></td></tr>" for label, value in rows)
    if time_label:
        cells += (f'<tr><td class="_2pin _a6_q">{html.escape(time_label)}</td>'
                  f'<td class="_2pin _2piu _a6_r">{html.escape(when)}</td></tr>')
    return (f'<div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder"><div class="_a6-p"><table style="table-layout: '
            f'fixed;">{cells}</table></div></div>')


def _media_html(paths: list[str], world: World, media_ids: tuple[str, ...]) -> str:
    out = []
    for path, m in zip(paths, media_ids, strict=True):
        src = html.escape(path)
        tag = (f'<video src="{src}" controls="1" class="_a6_o _3-96"></video>'
               if world.media[m].content_type.startswith("video/") else f'<img src="{src}" class="_a6_o _3-96" />')
        out.append(f'<div class="_2pin"><a href="{src}" target="_blank">{tag}</a></div>')
    return "".join(out)


def facebook_html(world: World, account: WorldAccount, files: dict[str, bytes]) -> None:
    posts, own = _own(world, account)
    boxes = []
    for post in posts[::-1]:  # newest first
        paths = _store_media(world, post, _facebook_media_folder(account), files)
        content = f'<div class="_2pin"><div>{_html_text(post.text)}</div></div>' + _media_html(paths, world, post.media)
        boxes.append(_box(f"{account.name} uppdaterade sin status.", content, _sv_day_first(post.published_at)))
    files["your_facebook_activity/posts/your_posts_1.html"] = _page("Dina inlägg", boxes)
    comments = [_box(_facebook_comment_title(world, account, item),
                     f'<div class="_2pin"><div>{_html_text(item.text)}</div></div>', _sv_day_first(item.published_at))
                for item in own[::-1]]
    files["your_facebook_activity/comments_and_reactions/comments.html"] = _page("Kommentarer", comments)
    files["personal_information/profile_information/profile_information.html"] = _page("Profilinformation", [
        _table_box([("Namn", account.name), ("Användarnamn", account.handle)])
        .replace("</table>", '<tr><td colspan="2" class="_2pin _a6_q">Profil-URL<div><div><a href="https://www.'
                 f'facebook.com/{account.handle}">https://www.facebook.com/{account.handle}</a></div></div></td></tr>'
                 "</table>")])


def instagram_html(world: World, account: WorldAccount, files: dict[str, bytes]) -> None:
    posts, own = _own(world, account)
    boxes = []
    for post in posts[::-1]:
        paths = _store_media(world, post, _instagram_media_folder(post), files)
        caption = (f'<h2 class="_3-95 _2pim _a6-h _a6-i">{_html_text(post.text)}</h2>' if post.text else "")
        media = _media_html(paths, world, post.media).replace('class="_2pin"', "")
        boxes.append(f'<div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder">{caption}<div class="_3-95 _a6-p">'
                     f'<div>{media}</div></div><div class="_3-94 _a6-o">{_sv_month_first(post.published_at)}</div>'
                     "</div>")
    files["your_instagram_activity/content/posts_1.html"] = _page("Inlägg", boxes)
    comments = [_table_box([("Kommentar", i.text), ("Medieägare", account.handle)], "Tid",
                           _sv_month_first(i.published_at)) for i in own[::-1]]
    files["your_instagram_activity/comments/post_comments_1.html"] = _page("Kommentarer", comments)
    files["personal_information/personal_information/personal_information.html"] = _page(
        "Personlig information", [_table_box([("Användarnamn", account.handle), ("Namn", account.name)])])


WRITERS: dict[str, Callable[[World, WorldAccount, dict[str, bytes]], None]] = {
    "facebook": facebook, "instagram": instagram, "youtube": youtube, "linkedin": linkedin}
HTML_WRITERS: dict[str, Callable[[World, WorldAccount, dict[str, bytes]], None]] = {
    "facebook": facebook_html, "instagram": instagram_html}
FORMATS = ("json", "html")  # json: each platform's usual format; html: Meta's HTML (others keep their own)


def export_account(world: World, platform: str, handle: str, out: Path, form: str = "json") -> Path:
    """Write the account's export as a ZIP at `out`; the account is the world's (platform, handle). `form`
    "html": Facebook and Instagram in Meta's HTML format (the other platforms have one format only)."""
    account = world.account(platform, handle)
    if account is None or platform not in WRITERS:
        raise ValueError(f"the sandbox has no {platform} account {handle!r} it can export")
    files: dict[str, bytes] = {}
    writer = HTML_WRITERS.get(platform, WRITERS[platform]) if form == "html" else WRITERS[platform]
    writer(world, account, files)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            z.writestr(zipfile.ZipInfo(name, ZIP_DATE), files[name], zipfile.ZIP_DEFLATED)
    tmp.replace(out)
    return out
