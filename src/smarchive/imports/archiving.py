"""An export into the archive: the file kept as received, its media stored, its items in the manifest.

- The export file is kept content-addressed: `ARCHIVE/exports/<sha[:2]>/<sha256>.zip` (a folder is packed into
  a ZIP first, members in name order with fixed dates, so the same folder always gives the same file), written
  atomically and recorded in the fixity ledger.
- Media the items reference by path inside the export go to the pipeline's storage like captured media (the
  same file twice is stored once); a referenced file missing from the export is noted, not fatal.
- Each item becomes a manifest row with `source = export`, `item_id = export:<id>` (the platform's id when the
  export gives it, else a stable hash: see base.stable_key), `export_file`, `export_member` and `export_id`.
  The prefix keeps it beside, never in place of, the captured item of the same id: both are kept.
- Without a year, an item goes to the year it was published in (Swedish time); a comment or reply whose post
  is in the export goes with its post, as in a capture.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from smarchive import __version__
from smarchive.archive import ledger
from smarchive.imports.base import ExportItem, ExportRead
from smarchive.model import STOCKHOLM, Account

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
                 ".gif": "image/gif", ".heic": "image/heic", ".mp4": "video/mp4", ".mov": "video/quicktime",
                 ".webm": "video/webm", ".mp3": "audio/mpeg", ".m4a": "audio/mp4"}


@dataclass
class Imported:
    """What an import wrote (for the report)."""

    export_file: str  # relative to the archive
    export_sha256: str
    rows: list[dict] = field(default_factory=list)
    media_stored: int = 0
    media_missing: list[str] = field(default_factory=list)
    skipped_other_year: int = 0


def keep_export(read: ExportRead, archive: Path) -> tuple[str, str]:
    """Store the export (ZIP as received, or the folder packed) content-addressed; (relative path, sha256)."""
    folder = archive / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".export.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            if read.source.is_zip:
                with open(read.source.path, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
            else:
                pack_folder(read, out)
            out.flush()
            os.fsync(out.fileno())
        digest = sha256_file(tmp)
        final = folder / digest[:2] / f"{digest}.zip"
        if final.is_file() and sha256_file(final) == digest:
            tmp.unlink()
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            ledger.written(final, digest, final.stat().st_size)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return final.relative_to(archive).as_posix(), digest


def pack_folder(read: ExportRead, out: io.BufferedWriter) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in read.source.names():
            info = zipfile.ZipInfo(read.source.members[name], ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, read.source.read(name))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def archive_year(item: ExportItem, posts: dict[str, ExportItem]) -> int:
    """The item's year: its post's, when the post is in the export; else its own (Swedish time)."""
    post = posts.get(item.post_export_id or item.parent_export_id) if item.item_type != "post" else None
    return (post or item).published_at.astimezone(STOCKHOLM).year


@dataclass
class Placed:
    """Where the capture has an exported comment whose post the export does not name."""

    year: int
    parent_id: str | None
    post_id: str
    item_id: str


def normalized(text: str) -> str:
    return " ".join((text or "").split()).lower()


def place_in_capture(read: ExportRead, account: Account, archive: Path) -> dict[int, Placed]:
    """Comments and replies whose post the export does not name (Facebook, Instagram): found in the capture of
    the account, any year, by the reconciliation's rule (within 120 s, the same text; each captured item once),
    they take its year, parent and post. id(ExportItem) -> Placed."""
    unplaced = [i for i in read.items if i.item_type != "post" and not (i.post_export_id or i.parent_export_id)]
    if not unplaced or not (archive / "manifest").is_dir():
        return {}
    from smarchive.archive.query import connect

    con = connect(archive)
    try:
        captured = con.execute(
            "SELECT item_id, parent_id, post_id, year, published_at, text FROM items WHERE source = 'capture' "
            "AND platform = ? AND account = ? AND item_type <> 'post'", [account.platform, account.id]).fetchall()
    finally:
        con.close()
    by_text: dict[str, list[tuple]] = {}
    for row in captured:
        by_text.setdefault(normalized(row[5]), []).append(row)
    placed: dict[int, Placed] = {}
    used: set[str] = set()
    for item in unplaced:
        near = [(abs((r[4] - item.published_at).total_seconds()), r) for r in by_text.get(normalized(item.text), [])
                if r[0] not in used]
        near = sorted((gap, r) for gap, r in near if gap <= MATCH_SECONDS)
        if near:
            row = near[0][1]
            used.add(row[0])
            placed[id(item)] = Placed(row[3], row[1], row[2], row[0])
    return placed


MATCH_SECONDS = 120  # the reconciliation's window for exact times (saved query `reconcile`)


def item_ids(item: ExportItem, by_platform_id: dict[str, ExportItem]) -> tuple[str, str | None, str]:
    """(item_id, parent_id, post_id) in the manifest: exported items are `export:<key>`; a parent the export holds
    is named so too; a parent it does not hold keeps the platform's id (the captured item's, if captured), or
    `export:unknown` when the export does not say which post a comment answers (Facebook, Instagram)."""
    own = f"export:{item.key}"
    if item.item_type == "post":
        return own, None, own
    parent = item.parent_export_id
    parent_id = (f"export:{parent}" if parent in by_platform_id else parent) or "export:unknown"
    if parent_id == "export:unknown":  # a thread of its own, not one with every unplaced comment
        return own, parent_id, own
    post = by_platform_id.get(item.post_export_id or parent)
    if post is not None and post.item_type != "post":  # a reply: its comment's post
        post = by_platform_id.get(post.parent_export_id)
    post_id = f"export:{post.key}" if post is not None else (item.post_export_id or parent_id)
    return own, parent_id, post_id


def store_media(read: ExportRead, item: ExportItem, storage, export_sha: str, imported: Imported) -> list[dict]:  # noqa: ANN001
    stored = []
    for path, kind in item.media:
        member = read.source.find(path)
        if member is None:
            imported.media_missing.append(path)
            continue
        data = read.source.read(member)
        content_type = CONTENT_TYPES.get(Path(member).suffix.lower(), "application/octet-stream")
        obj = storage.put(data, content_type, {"origin": "export", "export_sha256": export_sha, "member": member})
        imported.media_stored += not obj.existed
        stored.append({"url": f"export:{member}", "kind": kind, "sha256": obj.sha256, "size": obj.size,
                       "content_type": content_type, "location": obj.location})
    return stored


def build_rows(read: ExportRead, account: Account, year: int | None, archive: Path, storage,  # noqa: ANN001
               tag_all: Callable[[list[dict]], list], run_id: str) -> Imported:
    """Keep the export, store its media, and make the manifest rows of its items (of `year`, if given)."""
    export_file, export_sha = keep_export(read, archive)
    imported = Imported(export_file, export_sha)
    by_platform_id = {i.export_id: i for i in read.items if i.export_id}
    posts = {k: i for k, i in by_platform_id.items() if i.item_type == "post"}
    placed = place_in_capture(read, account, archive)
    chosen = []
    for item in read.items:
        where = placed.get(id(item))
        item_year = where.year if where else archive_year(item, posts)
        if year is not None and item_year != year:
            imported.skipped_other_year += 1
            continue
        chosen.append((item, item_year, where))
    tags = tag_all([{"id": f"export:{i.key}", "platform": account.platform, "item_type": i.item_type,
                     "author_is_account": i.author_is_account, "text": i.text,
                     "published_at": i.published_at.isoformat(), "parent_id": i.parent_export_id or None}
                    for i, _, _ in chosen])
    now = datetime.now(UTC)
    for (item, item_year, where), tag in zip(chosen, tags, strict=True):
        media = store_media(read, item, storage, export_sha, imported)
        item_id, parent_id, post_id = item_ids(item, by_platform_id)
        if where is not None:  # linked to the thread the capture has it in
            parent_id, post_id = where.parent_id, where.post_id
            item.extra["captured_item_id"] = where.item_id
        imported.rows.append(row(item, item_id, parent_id, post_id, item_year, account, media, tag, run_id, now,
                                 export_file, export_sha))
    return imported


def row(item: ExportItem, item_id: str, parent_id: str | None, post_id: str, year: int, account: Account,
        media: list[dict], tag, run_id: str, now: datetime, export_file: str, export_sha: str) -> dict:  # noqa: ANN001
    return {
        "item_id": item_id, "platform": account.platform, "account": account.id, "account_name": account.name,
        "year": year, "item_type": item.item_type, "parent_id": parent_id, "post_id": post_id,
        "author": item.author or account.name, "author_is_account": item.author_is_account,
        "published_at": item.published_at, "time_precision": "second", "text": item.text,
        "permalink": item.permalink, "media": media, "media_sha256": [m["sha256"] for m in media],
        "extra": sorted(item.extra.items()) or None,
        "warc_file": None, "warc_sha256": None, "warc_record_id": None, "warc_offset": None,
        "source_url": None,
        **tag.manifest_columns(),
        "run_id": run_id, "captured_at": now, "software": f"smarchive/{__version__} import",
        "source": "export", "export_file": export_file, "export_member": item.member, "export_id": item.key,
    }
