"""Extraction from WARCs and WACZs another crawler wrote (Browsertrix, warcprox, Heritrix, pywb).

The same adapter extraction and checks as a capture run (reader.scan), over every response of the files given,
each file opened and read once. A WACZ is read through the WARCs in its `archive/` folder.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from warcio.exceptions import ArchiveLoadFailed

from smarchive.archive.warc import read_responses
from smarchive.errors import SmarchiveError
from smarchive.extract import unrecognised
from smarchive.extract.coverage import Coverage, coverage
from smarchive.extract.reader import scan
from smarchive.model import Account, CapturedResponse, Item
from smarchive.platforms.base import Adapter, Extraction


@dataclass
class Elsewhere:
    """What the adapter read from files recorded elsewhere."""

    extraction: Extraction
    coverage: Coverage
    warnings: list[str]  # unreadable answers, answers not understood, the adapter's own notes
    unrecognised: list[dict]
    responses: int


def extract_files(adapter: Adapter, paths: list[Path], account: Account, year: int,
                  tolerance: float) -> Elsewhere:
    counted = Counted()
    with ExitStack() as stack:
        responses = counted.tap(all_responses(paths, stack))
        try:
            extraction, watch = scan(adapter, responses, account, year)
        except ArchiveLoadFailed as e:
            raise SmarchiveError(f"{counted.current}: not a WARC file ({str(e).strip() or 'unknown format'})") \
                from None
    rows = watch.unrecognised.rows(extraction.items)
    warnings = (unrecognised.adapter_notes(extraction.notes, rows) + watch.answers.warnings()
                + unrecognised.warnings(rows))
    covered = coverage(extraction, account.id, account.platform, year, tolerance)
    return Elsewhere(extraction, covered, warnings, rows, counted.count)


class Counted:
    """Counts the responses read, and remembers which file is being read (for error messages)."""

    def __init__(self) -> None:
        self.count = 0
        self.current = ""

    def tap(self, responses: Iterator[tuple[str, CapturedResponse]]) -> Iterator[CapturedResponse]:
        for name, response in responses:
            self.current = name
            self.count += 1
            yield response


def all_responses(paths: list[Path], stack: ExitStack) -> Iterator[tuple[str, CapturedResponse]]:
    """(file name, response) of every file in turn; a WACZ's WARCs in name order."""
    for path in paths:
        if path.suffix.lower() == ".wacz":
            yield from wacz_responses(path, stack)
        else:
            raw = stack.enter_context(open(path, "rb"))
            yield from some(str(path), read_responses(raw, path.name))


def some(name: str, responses: Iterator[CapturedResponse]) -> Iterator[tuple[str, CapturedResponse]]:
    """The responses of one file, named; a file without any is an error (not a WARC, or nothing recorded)."""
    count = 0
    for response in responses:
        count += 1
        yield name, response
    if not count:
        raise SmarchiveError(f"{name}: not a WARC with HTTP responses (no response record found)")


def wacz_responses(path: Path, stack: ExitStack) -> Iterator[tuple[str, CapturedResponse]]:
    try:
        archive = stack.enter_context(zipfile.ZipFile(path))
    except zipfile.BadZipFile:
        raise SmarchiveError(f"{path}: not a WACZ (not a ZIP file)") from None
    members = sorted(n for n in archive.namelist() if n.startswith("archive/") and n.endswith((".warc", ".warc.gz")))
    if not members:
        raise SmarchiveError(f"{path}: a WACZ without WARC files (nothing under archive/)")
    for member in members:
        raw = stack.enter_context(archive.open(member))
        yield from some(f"{path}!{member}", read_responses(raw, f"{path.name}!{member}"))


def check_files(paths: list[Path]) -> None:
    """Every file exists and is a WARC or WACZ by its name: one line naming the first that is not."""
    if not paths:
        raise SmarchiveError("give at least one WARC or WACZ file")
    for path in paths:
        if not path.is_file():
            raise SmarchiveError(f"{path}: no such file")
        if not path.name.lower().endswith((".warc", ".warc.gz", ".wacz")):
            raise SmarchiveError(f"{path}: not a WARC or WACZ by its name (.warc, .warc.gz, .wacz)")


def item_row(item: Item, account: Account, year: int) -> dict:
    """An item as a JSON line: the manifest's fields that extraction decides (no tags, no run)."""
    return {
        "item_id": item.id, "platform": item.platform, "account": account.id, "account_name": account.name,
        "year": year, "item_type": item.item_type, "parent_id": item.parent_id, "post_id": item.post_id,
        "author": item.author, "author_is_account": item.author_is_account,
        "published_at": item.published_at.isoformat(), "time_precision": item.time_precision, "text": item.text,
        "permalink": item.permalink, "media": [{"url": m.url, "kind": m.kind} for m in item.media],
        "extra": dict(sorted(item.extra.items())) or None, "warc_file": item.source.warc_file,
        "warc_record_id": item.source.record_id, "warc_offset": item.source.offset, "source_url": item.source.url,
    }
