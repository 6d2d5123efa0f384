"""LocalStorage: the default backend, a folder of content-addressed files with JSON sidecars."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from smarchive.archive.store import LocalStorage, StoredObject, atomic_write, media_key, sha256_hex

META = {"original_url": "https://example.org/Örebro_slott.jpg", "captured_at": "2025-03-01T12:00:00Z",
        "account": "facebook-orebrokommun"}


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_put_get_location(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    data = b"jpeg bytes"
    stored = store.put(data, "image/jpeg", META)

    digest = sha256_hex(data)
    path = tmp_path / media_key(digest)
    assert stored == StoredObject(digest, len(data), path.resolve().as_uri(), existed=False)
    assert path.read_bytes() == data and store.get(digest) == data and store.exists(digest)
    assert path.parent.name == digest[:2]


def test_identical_bytes_are_stored_once(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    first = store.put(b"same", "image/png", META)
    path = tmp_path / media_key(first.sha256)
    before = path.stat().st_mtime_ns
    second = store.put(b"same", "image/png", {"account": "another"})

    assert not first.existed and second.existed
    assert path.stat().st_mtime_ns == before
    assert json.loads(path.with_suffix(".json").read_text())["account"] == META["account"]
    assert len(_files(tmp_path)) == 2  # the file and its sidecar, nothing else


def test_damaged_file_is_rewritten(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    stored = store.put(b"original", "image/png", META)
    (tmp_path / media_key(stored.sha256)).write_bytes(b"bit rot")
    again = store.put(b"original", "image/png", META)
    assert not again.existed and store.get(stored.sha256) == b"original"


def test_sidecar_metadata(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    stored = store.put(b"sound", "audio/mpeg", META)
    sidecar_path = (tmp_path / media_key(stored.sha256)).with_suffix(".json")
    sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
    assert sidecar == {"sha256": stored.sha256, "size": 5, "content_type": "audio/mpeg", **META}
    assert "Örebro" in sidecar_path.read_text(encoding="utf-8")  # readable UTF-8, not \\u escapes


def test_failed_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    store = LocalStorage(tmp_path)
    with pytest.raises(OSError, match="No space"):
        store.put(b"half written", "image/png", META)
    assert _files(tmp_path) == []  # no .part leftovers, no truncated media file
    monkeypatch.undo()
    assert not store.put(b"half written", "image/png", META).existed


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.bin"
    atomic_write(target, b"first")
    atomic_write(target, b"second version")
    assert target.read_bytes() == b"second version"
    assert _files(tmp_path) == [target]


def test_delete_removes_file_and_sidecar(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    keep = store.put(b"keep", "image/png", META)
    cull = store.put(b"cull", "image/png", META)
    store.delete(cull.sha256)
    assert not store.exists(cull.sha256) and store.exists(keep.sha256)
    assert not (tmp_path / media_key(cull.sha256)).with_suffix(".json").exists()
    store.delete(cull.sha256)  # deleting twice is fine
    with pytest.raises(FileNotFoundError):
        store.get(cull.sha256)
