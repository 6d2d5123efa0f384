"""Media storage: every file once, content-addressed by SHA-256.

Two backends share one small interface: a local folder (the default) and S3-compatible object
storage (smarchive.archive.s3store). Keys are `media/<sha256[:2]>/<sha256>`, so a file stored twice is
stored once, and a key alone proves what the bytes must hash to.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from smarchive.archive import ledger
from smarchive.errors import SmarchiveError


@dataclass(frozen=True)
class StoredObject:
    sha256: str
    size: int
    location: str  # URI a person can follow: file:///... or s3://bucket/key
    existed: bool  # True if identical bytes were already stored


_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def is_sha256(value: object) -> bool:
    """A SHA-256 as media files are stored under it: 64 lower-case hex digits, nothing else (a value from a
    damaged manifest or a URL must not become a storage path)."""
    return isinstance(value, str) and _SHA256_HEX.fullmatch(value) is not None


def media_key(sha256: str) -> str:
    return f"media/{sha256[:2]}/{sha256}"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Storage(Protocol):
    """Where media files go. Implementations must be idempotent and verify what they write."""

    def put(self, data: bytes, content_type: str, metadata: dict[str, str]) -> StoredObject:
        """Store bytes under their SHA-256; return where they are."""

    def get(self, sha256: str) -> bytes:
        """Read stored bytes back, verified: FileNotFoundError if absent, SmarchiveError if they differ."""

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None:
        """Remove stored bytes (culling)."""

    def location(self, sha256: str) -> str: ...


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    ledger.written(path, sha256_hex(data), len(data))


class LocalStorage:
    """A folder: <root>/media/ab/abcdef... plus a .json sidecar with content type and metadata."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        return self.root / media_key(sha256)

    def location(self, sha256: str) -> str:
        return self._path(sha256).resolve().as_uri()

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def put(self, data: bytes, content_type: str, metadata: dict[str, str]) -> StoredObject:
        digest = sha256_hex(data)
        path = self._path(digest)
        sidecar_path = path.with_suffix(".json")
        existed = path.is_file() and sha256_hex(path.read_bytes()) == digest
        if not existed:
            atomic_write(path, data)
        if not sidecar_path.is_file():  # also mends a crash between the two writes
            sidecar = {"sha256": digest, "size": len(data), "content_type": content_type, **metadata}
            atomic_write(sidecar_path, json.dumps(sidecar, ensure_ascii=False, indent=1).encode())
        return StoredObject(digest, len(data), self.location(digest), existed)

    def get(self, sha256: str) -> bytes:
        data = self._path(sha256).read_bytes()
        if sha256_hex(data) != sha256:
            raise SmarchiveError(f"stored file {self._path(sha256)} does not match its SHA-256")
        return data

    def delete(self, sha256: str) -> None:
        for path in (self._path(sha256), self._path(sha256).with_suffix(".json")):
            path.unlink(missing_ok=True)
            ledger.removed(path)
