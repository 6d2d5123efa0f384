"""`smarchive verify`: re-hash every WARC and every stored media file against the manifest.

An archive is only as good as the proof that nothing changed. Every item row names its WARC
file with that file's SHA-256, and its media by SHA-256; verify recomputes them all and reports
what is missing or differs. With deep=True it also checks that each row's record offsets still
point at the record ids the row names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from smarchive.archive.manifest import item_files
from smarchive.archive.store import Storage, file_sha256
from smarchive.archive.warc import read_record_at
from smarchive.errors import SmarchiveError


@dataclass
class VerifyReport:
    manifest_files: int = 0
    rows: int = 0
    warc_files: int = 0
    media_files: int = 0
    records_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(archive: Path, storage: Storage, deep: bool = False,
           progress: Callable[[str], None] = lambda _m: None) -> VerifyReport:
    report = VerifyReport()
    warcs: dict[str, set[str]] = {}  # warc file -> the SHA-256 values rows claim for it
    media: set[str] = set()
    offsets: list[tuple[str, int, str]] = []
    for path in item_files(archive):
        report.manifest_files += 1
        try:
            table = pq.read_table(path)
        except Exception as e:  # noqa: BLE001 (any unreadable Parquet is a finding, not a crash)
            report.problems.append(f"unreadable manifest file {path.relative_to(archive)}: {e}")
            continue
        for row in table.to_pylist():
            report.rows += 1
            warcs.setdefault(row["warc_file"], set()).add(row["warc_sha256"])
            media.update(row["media_sha256"] or [])
            if deep:
                offsets += [(row["warc_file"], row[o], row[r]) for o, r in
                            (("warc_offset", "warc_record_id"), ("snapshot_offset", "snapshot_record_id"),
                             ("screenshot_offset", "screenshot_record_id")) if row[o] is not None]
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
    except SmarchiveError as e:
        report.problems.append(f"media file differs: {storage.location(digest)} ({e})")


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
