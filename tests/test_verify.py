"""`smarchive verify` finds every missing or altered file, and passes on an intact archive."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from smarchive.archive.store import LocalStorage
from smarchive.archive.verify import verify


@pytest.fixture()
def archive_copy(sandbox_capture, tmp_path):
    copy = tmp_path / "archive"
    shutil.copytree(sandbox_capture.archive, copy)
    return copy


def test_intact_archive_verifies(archive_copy):
    report = verify(archive_copy, LocalStorage(archive_copy), deep=True)
    assert report.ok, report.problems
    assert report.rows > 0 and report.warc_files == 1 and report.media_files > 0
    assert report.records_checked >= report.rows


def test_tampering_is_found(archive_copy):
    media = sorted((archive_copy / "media").rglob("*[0-9a-f]"))
    media = [m for m in media if m.is_file() and m.suffix == ""]
    altered, removed = media[0], media[1]
    altered.write_bytes(altered.read_bytes() + b"x")
    removed.unlink()
    warc = next((archive_copy / "warc").rglob("*.warc.gz"))
    with open(warc, "ab") as f:
        f.write(b"\0")
    report = verify(archive_copy, LocalStorage(archive_copy))
    text = "\n".join(report.problems)
    # Each found twice: against the manifest's hashes and against the fixity ledger.
    assert len(report.problems) == 6, text
    assert altered.name in text and "differs" in text
    assert removed.name in text and "missing media" in text
    assert "WARC differs" in text and warc.name in text
    rel = lambda path: path.relative_to(archive_copy).as_posix()  # noqa: E731
    assert f"size differs: {rel(altered)} (media)" in text and f"missing: {rel(removed)} (media" in text
    assert f"size differs: {rel(warc)} (warc)" in text


def test_cli_exit_codes(archive_copy):
    def run() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "smarchive", "verify", "--archive", str(archive_copy)],
                              capture_output=True, text=True, timeout=120)

    ok = run()
    assert ok.returncode == 0 and "verify: OK" in ok.stdout
    next((archive_copy / "warc").rglob("*.warc.gz")).unlink()
    bad = run()
    assert bad.returncode == 1 and "missing WARC" in bad.stdout
