"""`smarchive verify`: the archive against its fixity ledger and seals, and against the manifest.

An archive is only as good as the proof that nothing changed. Every item row names its WARC
file with that file's SHA-256, and its media by SHA-256; verify recomputes them all and reports
what is missing or differs. With deep=True it also checks that each row's record offsets still
point at the record ids the row names.

The fixity ledger (smarchive.archive.ledger) lists every file the archive wrote: verify checks each
exists with its size (deep: its SHA-256, and a WACZ's inner CRCs and datapackage digests), reports files
the ledger does not know, and checks the seals (smarchive.archive.seal).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from smarchive.archive import ledger
from smarchive.archive.manifest import item_files
from smarchive.archive.seal import check_seals
from smarchive.archive.store import Storage, file_sha256, is_sha256
from smarchive.archive.warc import read_record_at
from smarchive.errors import SmarchiveError


@dataclass
class VerifyReport:
    manifest_files: int = 0
    rows: int = 0
    warc_files: int = 0
    media_files: int = 0
    records_checked: int = 0
    ledger_files: int = 0  # files the ledger says the archive holds, checked
    seals: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(archive: Path, storage: Storage, deep: bool = False,
           progress: Callable[[str], None] = lambda _m: None, seal: dict[str, Any] | None = None) -> VerifyReport:
    report = VerifyReport()
    check_ledger(archive, deep, report, progress)
    sealed = check_seals(archive, seal)
    report.seals, report.problems, report.notes = sealed.seals, report.problems + sealed.problems, \
        report.notes + sealed.notes
    warcs: dict[str, set[str]] = {}  # warc file -> the SHA-256 values rows claim for it
    media: set[str] = set()
    offsets: list[tuple[str, int, str]] = []
    for path in item_files(archive):
        report.manifest_files += 1
        try:
            rows = _manifest_rows(path, deep)
        except Exception as e:  # noqa: BLE001 (damaged Parquet fails in many ways: each is a finding, not a crash)
            report.problems.append(f"unreadable manifest file {path.relative_to(archive)}: {type(e).__name__}: {e}")
            continue
        for warc_file, warc_sha256, media_sha256, row_offsets in rows:
            report.rows += 1
            warcs.setdefault(warc_file, set()).add(warc_sha256)
            media.update(media_sha256)
            offsets += [(warc_file, offset, record_id) for offset, record_id in row_offsets]
    progress(f"verify: {report.rows} rows, {len(warcs)} WARC files, {len(media)} media files")
    for name, claimed in sorted(warcs.items()):
        report.warc_files += 1
        _check_warc(archive, name, claimed, report)
    for digest in sorted(media):
        report.media_files += 1
        _check_media(storage, digest, report)
    for name, offset, record_id in offsets:
        report.records_checked += 1
        _check_record(archive / name, offset, record_id, report)
    return report


def _manifest_rows(path: Path, deep: bool) -> list[tuple[str, str, list[str], list[tuple[int, str]]]]:
    """(warc_file, warc_sha256, media digests, record offsets) per row, checked for type.

    A flipped byte in a Parquet page may decode into values of the wrong kind (bad UTF-8, nulls, huge
    numbers) without failing the read; that must raise here, inside the caller's try, not later."""
    out = []
    for row in pq.read_table(path).to_pylist():
        media_sha256 = list(row["media_sha256"] or [])
        if not all(is_sha256(d) for d in media_sha256):  # it names a storage path: nothing else may
            raise ValueError(f"a row with a media digest that is not a SHA-256 ({row.get('item_id')!r})")
        if row.get("source") == "export" and isinstance(row.get("export_file"), str):
            # An imported item (#18) has no WARC: its export file is checked instead, against the SHA-256 it is
            # stored under (exports/<sha[:2]>/<sha256>.zip).
            name = row["export_file"]
            out.append((name, Path(name).name.split(".")[0], media_sha256, []))
            continue
        warc_file, warc_sha256 = row["warc_file"], row["warc_sha256"]
        if not isinstance(warc_file, str) or not isinstance(warc_sha256, str):
            raise ValueError(f"a row without a readable WARC name or hash ({row.get('item_id')!r})")
        row_offsets = []
        if deep:
            for o, r in (("warc_offset", "warc_record_id"), ("snapshot_offset", "snapshot_record_id"),
                         ("screenshot_offset", "screenshot_record_id")):
                if row[o] is not None:
                    row_offsets.append((int(row[o]), str(row[r])))
        out.append((warc_file, warc_sha256, media_sha256, row_offsets))
    return out


def _check_warc(archive: Path, name: str, claimed: set[str], report: VerifyReport) -> None:
    path = archive / name
    if not path.is_file():
        report.problems.append(f"missing WARC: {name}")
        return
    actual = file_sha256(path)
    if len(claimed) > 1 or actual not in claimed:
        report.problems.append(f"WARC differs from the manifest: {name} (sha256 {actual}, manifest "
                               f"{', '.join(sorted(claimed))})")


def _check_media(storage: Storage, digest: str, report: VerifyReport) -> None:
    try:
        storage.get(digest)  # get() re-hashes and raises if the bytes differ
    except FileNotFoundError:
        report.problems.append(f"missing media file: {storage.location(digest)}")
    except (SmarchiveError, OSError) as e:
        report.problems.append(f"media file differs or cannot be read: {storage.location(digest)} ({e})")


def _check_record(path: Path, offset: int, record_id: str, report: VerifyReport) -> None:
    if not path.is_file():
        return  # already reported as a missing WARC
    try:
        headers, _ = read_record_at(path, offset)
    except Exception as e:  # noqa: BLE001
        report.problems.append(f"no readable record at {path.name}@{offset}: {e}")
        return
    if headers.get("WARC-Record-ID") != record_id:
        report.problems.append(f"record at {path.name}@{offset} is {headers.get('WARC-Record-ID')}, "
                               f"manifest says {record_id}")


def check_ledger(archive: Path, deep: bool, report: VerifyReport, progress: Callable[[str], None]) -> None:
    """Every file of the ledger's state is there with its size (deep: its hash); nothing else is."""
    try:
        entries = ledger.read_entries(archive)
    except (OSError, ValueError) as e:
        report.problems.append(f"fixity ledger unreadable: {e}")
        return
    if not entries:
        report.notes.append("no fixity ledger: this archive was written before smarchive kept one; only the "
                            "manifest's hashes are checked")
        return
    state = ledger.current_state(entries)
    progress(f"verify: {len(state)} files in the fixity ledger{' (re-hashing each)' if deep else ''}")
    for rel, entry in sorted(state.items()):
        report.ledger_files += 1
        _check_ledger_file(archive, rel, entry, deep, report)
    for rel in sorted(set(ledger.archive_files(archive)) - set(state)):
        report.problems.append(f"not in the ledger: {rel} (a file the archive did not write, or written "
                               "without recording)")


def _check_ledger_file(archive: Path, rel: str, entry: ledger.Entry, deep: bool, report: VerifyReport) -> None:
    path = archive / rel
    if not path.is_file():
        report.problems.append(f"missing: {rel} ({entry.role}, in the ledger since run {entry.run_id})")
        return
    size = path.stat().st_size
    if size != entry.size:
        report.problems.append(f"size differs: {rel} ({entry.role}): {size} bytes, ledger {entry.size}")
        return
    if not deep:
        return
    actual, _ = ledger.file_digest(path)
    if actual != entry.sha256:
        report.problems.append(f"content differs: {rel} ({entry.role}): sha256 {actual}, ledger {entry.sha256}")
    if rel.endswith(".wacz"):
        report.problems += [f"WACZ damaged: {rel}: {p}" for p in wacz_problems(path)]


def wacz_problems(path: Path) -> list[str]:
    """A WACZ's own checks: every member's CRC-32, every resource against datapackage.json, and
    datapackage.json against datapackage-digest.json."""
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
            if bad is not None:
                return [f"bad CRC-32 in {bad}"]
            raw = z.read("datapackage.json")
            package = json.loads(raw)
            problems = []
            if "datapackage-digest.json" in z.namelist():  # the package's own digest of datapackage.json
                algorithm, _, digest = str(json.loads(z.read("datapackage-digest.json")).get("hash", "")).partition(":")
                if algorithm == "sha256" and hashlib.sha256(raw).hexdigest() != digest:
                    problems.append("datapackage.json does not match datapackage-digest.json")
            for resource in package.get("resources", []):
                data = z.read(resource["path"])
                algorithm, _, digest = str(resource.get("hash", "")).partition(":")
                if resource.get("bytes") is not None and len(data) != resource["bytes"]:
                    problems.append(f"{resource['path']} is {len(data)} bytes, datapackage.json says "
                                    f"{resource['bytes']}")
                elif algorithm == "sha256" and hashlib.sha256(data).hexdigest() != digest:
                    problems.append(f"{resource['path']} does not match its datapackage.json sha256")
            return problems
    except Exception as e:  # noqa: BLE001 (a damaged zip can raise almost anything: RuntimeError, EOFError, ...)
        return [f"unreadable ({type(e).__name__}: {e})"]
