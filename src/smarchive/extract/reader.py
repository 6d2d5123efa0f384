"""Extract stage: items and their media, read back from the kept WARC (never fetched a second time)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from smarchive.archive.store import Storage
from smarchive.archive.warc import iter_responses
from smarchive.model import Account, Item
from smarchive.platforms.base import Adapter, CapturedResponse, Extraction


@dataclass
class StoredMedia:
    url: str
    kind: str
    sha256: str
    size: int
    content_type: str
    location: str


def extract_items(adapter: Adapter, warc_path: Path, account: Account, year: int, warc_name: str) -> Extraction:
    """The account's items of `year` in time order (adapters may return them in any order), with the counts
    the platform showed and the account's identity as the platform gave it."""
    found = adapter.extract(iter_responses(warc_path, warc_name), account, year)
    found.items.sort(key=lambda i: (i.published_at, i.id))
    return found


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


# Anti-hijacking prefixes some platforms put before JSON (Facebook, Google).
JSON_PREFIXES = ("for (;;);", ")]}'")
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def unreadable_answers(warc_path: Path) -> list[str]:
    """A warning for every JSON or XML answer (status 200) that cannot be read, unless the same request
    was answered readably later (a retried transient fault lost nothing). Adapters skip such answers
    silently; this says which ones, so the run report shows what could not be read."""
    seen: dict[tuple[str, str, bytes], tuple[str, bool]] = {}  # request -> (kind, any answer readable)
    for response in iter_responses(warc_path):
        kind = data_kind(response.content_type)
        if response.status != 200 or kind is None:
            continue
        key = (response.method, response.url, response.request_body)
        seen[key] = (kind, seen.get(key, (kind, False))[1] or readable(response, kind))
    return [f"unreadable {kind} answer skipped (malformed or cut short): {method} {url}"
            for (method, url, _), (kind, ok) in seen.items() if not ok]


def data_kind(content_type: str) -> str | None:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type.endswith(("/json", "+json")):
        return "JSON"
    if media_type.endswith(("/xml", "+xml")):
        return "XML"
    return None


def readable(response: CapturedResponse, kind: str) -> bool:
    if kind == "XML":
        try:
            return etree.fromstring(response.body, XML_PARSER) is not None
        except (etree.XMLSyntaxError, ValueError):
            return False
    try:
        text = response.body.decode("utf-8").strip()
    except UnicodeDecodeError:
        return False
    for prefix in JSON_PREFIXES:
        text = text.removeprefix(prefix).lstrip()
    lines = [text] if text else []
    for attempt in (lines, [line for line in text.splitlines() if line.strip()]):  # one document, or one a line
        try:
            for document in attempt:
                json.loads(document)
            return bool(attempt)
        except (json.JSONDecodeError, RecursionError):
            continue
    return False
