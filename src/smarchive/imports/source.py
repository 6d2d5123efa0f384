"""An export as the platform delivered it: a ZIP file or the folder it was unpacked into.

Members are named by their path inside the export, with forward slashes, exactly as the platform named them
(spaces and non-Latin letters included), so a media `uri` in the JSON finds its file either way.
"""

from __future__ import annotations

import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from smarchive.errors import SmarchiveError


def _key(name: str) -> str:
    """Names compared in NFC: a ZIP made on a Mac may spell `vídeos` with a combining accent."""
    return unicodedata.normalize("NFC", name)


@dataclass
class ExportSource:
    """The members of one export, readable by path."""

    path: Path
    members: dict[str, str] = field(default_factory=dict)  # NFC path inside -> the name to open it by
    _zip: zipfile.ZipFile | None = None

    @classmethod
    def open(cls, path: Path) -> ExportSource:
        path = Path(path)
        if path.is_dir():
            found = {_key(p.relative_to(path).as_posix()): p.relative_to(path).as_posix()
                     for p in sorted(path.rglob("*")) if p.is_file()}
            return cls(path, found)
        if not path.is_file():
            raise SmarchiveError(f"no export at {path} (give the downloaded ZIP or the folder it was unpacked into)")
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as e:
            raise SmarchiveError(f"{path} is neither a folder nor a readable ZIP file: {e}") from None
        found = {_key(info.filename): info.filename for info in archive.infolist() if not info.is_dir()}
        return cls(path, found, archive)

    @property
    def is_zip(self) -> bool:
        return self._zip is not None

    def names(self) -> list[str]:
        return sorted(self.members)

    def read(self, name: str) -> bytes:
        real = self.members[_key(name)]
        if self._zip is not None:
            return self._zip.read(real)
        return (self.path / real).read_bytes()

    def find(self, name: str) -> str | None:
        """A member by its path, or by a path that ends with it (media uris are relative to the export's
        top folder; a ZIP may add one folder level above it)."""
        key = _key(name.lstrip("/"))
        if key in self.members:
            return key
        tails = [m for m in self.members if m.endswith("/" + key)]
        return tails[0] if len(tails) == 1 else None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> ExportSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
