"""Extract stage: items and their media, read back from the kept WARC (never fetched a second time)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smarchive.model import Account, Item
from smarchive.platforms.base import Adapter
from smarchive.store import Storage
from smarchive.warc import iter_responses


@dataclass
class StoredMedia:
    url: str
    kind: str
    sha256: str
    size: int
    content_type: str
    location: str


def extract_items(adapter: Adapter, warc_path: Path, account: Account, year: int, warc_name: str) -> list[Item]:
    """The account's items of `year` in time order (adapters may return them in any order)."""
    items = adapter.extract(iter_responses(warc_path, warc_name), account, year)
    return sorted(items, key=lambda i: (i.published_at, i.id))


def store_media(items: list[Item], warc_path: Path, storage: Storage, account: Account,
                captured_at: str) -> tuple[dict[str, StoredMedia], list[str]]:
    """Store every media file the items show, from the bytes recorded in the WARC.

    Returns the stored files by URL, and a warning for each file the WARC does not hold.
    """
    wanted = {m.url: m.kind for item in items for m in item.media}
    stored: dict[str, StoredMedia] = {}
    for response in iter_responses(warc_path):
        kind = wanted.get(response.url)
        if kind is None or response.status != 200 or response.url in stored:
            continue
        content_type = response.content_type.split(";")[0].strip()
        obj = storage.put(response.body, content_type,
                          {"original_url": response.url, "captured_at": captured_at, "account": account.id})
        stored[response.url] = StoredMedia(response.url, kind, obj.sha256, obj.size, content_type, obj.location)
    missing = [f"media not captured: {url}" for url in wanted if url not in stored]
    return stored, missing
