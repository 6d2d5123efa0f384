"""Extract stage: items and their media, read back from the kept WARC (never fetched a second time).

`read_account` reads the WARC once: the adapter's extraction, the check of every data answer and the
location of every recorded body are fed from the same pass, and the media the items show are then read from
the same open file at the offsets noted (a WARC of many gigabytes is not read three times).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from smarchive.archive.store import Storage
from smarchive.archive.warc import iter_responses, read_responses, response_at
from smarchive.extract import unrecognised
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


@dataclass
class AccountRead:
    """What one pass over an account's WARC gave."""

    extraction: Extraction  # items in time order, the platform's counts, its identity of the account
    media: dict[str, StoredMedia]  # stored media by URL
    warnings: list[str]  # media the WARC does not hold, answers that could not be read
    unrecognised: list[dict] = field(default_factory=list)  # rows of the manifest table `unrecognised`


class Watch:
    """Notes what the checks need of every response while the adapter reads it (bodies are not kept)."""

    def __init__(self, adapter: Adapter, year: int) -> None:
        self.answers = AnswerCheck()
        self.unrecognised = unrecognised.UnrecognisedCheck.for_adapter(adapter, year)
        self.offsets: dict[str, int] = {}  # URL -> offset of its first answer with status 200

    def tap(self, responses: Iterable[CapturedResponse]) -> Iterator[CapturedResponse]:
        for response in responses:
            self.answers.note(response)
            self.unrecognised.note(response)
            if response.status == 200:
                self.offsets.setdefault(response.url, response.offset)
            yield response


def scan(adapter: Adapter, responses: Iterable[CapturedResponse], account: Account, year: int) -> tuple[
        Extraction, Watch]:
    """The adapter's extraction and the checks of every answer, from one reading of `responses`."""
    watch = Watch(adapter, year)
    tapped = watch.tap(responses)
    found = adapter.extract(tapped, account, year)
    for _ in tapped:  # an adapter that stopped early: the checks still see every answer
        pass
    found.items.sort(key=lambda i: (i.published_at, i.id))
    return found, watch


def read_account(adapter: Adapter, warc_path: Path, account: Account, year: int, warc_name: str,
                 storage: Storage, captured_at: str) -> AccountRead:
    """Items, counts, media and answer checks of an account's kept WARC, opening and reading it once."""
    with open(warc_path, "rb") as raw:
        extraction, watch = scan(adapter, read_responses(raw, warc_name), account, year)
        media, missing = store_recorded_media(extraction.items, raw, watch.offsets, warc_name, storage, account,
                                              captured_at)
    rows = watch.unrecognised.rows(extraction.items)
    return AccountRead(extraction, media, missing + watch.answers.warnings() + unrecognised.warnings(rows), rows)


def store_recorded_media(items: list[Item], raw, offsets: dict[str, int], warc_name: str,  # noqa: ANN001
                         storage: Storage, account: Account, captured_at: str) -> tuple[dict[str, StoredMedia],
                                                                                         list[str]]:
    """store_media, reading only the records the items need from the WARC already open (`raw`)."""
    wanted = {m.url: m.kind for item in items for m in item.media}
    stored: dict[str, StoredMedia] = {}
    for url, kind in wanted.items():
        response = response_at(raw, offsets[url], warc_name) if url in offsets else None
        if response is not None:
            stored[url] = _store(response, kind, storage, account, captured_at)
    return stored, [f"media not captured: {url}" for url in wanted if url not in stored]


def _store(response: CapturedResponse, kind: str, storage: Storage, account: Account,
           captured_at: str) -> StoredMedia:
    content_type = response.content_type.split(";")[0].strip()
    obj = storage.put(response.body, content_type,
                      {"original_url": response.url, "captured_at": captured_at, "account": account.id})
    return StoredMedia(response.url, kind, obj.sha256, obj.size, content_type, obj.location)


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
    check = AnswerCheck()
    for response in iter_responses(warc_path):
        check.note(response)
    return check.warnings()


class AnswerCheck:
    """unreadable_answers, one response at a time (so that it can ride along another pass)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str, bytes], tuple[str, bool]] = {}  # request -> (kind, any answer readable)

    def note(self, response: CapturedResponse) -> None:
        kind = data_kind(response.content_type)
        if response.status != 200 or kind is None:
            return
        key = (response.method, response.url, response.request_body)
        self.seen[key] = (kind, self.seen.get(key, (kind, False))[1] or readable(response, kind))

    def warnings(self) -> list[str]:
        return [f"unreadable {kind} answer skipped (malformed or cut short): {method} {url}"
                for (method, url, _), (kind, ok) in self.seen.items() if not ok]


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
