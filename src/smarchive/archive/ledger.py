"""The fixity ledger: every file the archive writes, recorded when it is written.

Each writer (one process of one run or command) appends JSON lines to its own file,
`ledger/<run id>/<host>-<pid>.jsonl`, so parallel writers never share a file; every line is fsync'd
before the write it records is reported done. A line says which file (path relative to the archive),
its SHA-256 and size, its role, the run and the time. A rewrite (a cull) appends a new line with the new
hash, a deletion a `removed` line: the old lines stay, so the ledger is the history and its last line per
path is the current state (`ledger_state`).

Recording is switched on for a block of work with `recording(archive, run_id)`; the write sites
(`atomic_write`, the WARC, Parquet and WACZ writers, media storage) call `written()` / `removed()`, which
record only while a recording is active and only paths inside its archive.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

LEDGER_DIR = "ledger"
SEALS_DIR = "seals"
# Folders a run keeps for itself (working state, logs, the ledger and seals): not archive content, so
# neither recorded nor reported as strays. Logs are appended to while a run goes; see docs/fixity.md.
UNTRACKED_DIRS = (LEDGER_DIR, SEALS_DIR, "logs", "staging", "runs-in-progress",
                  "workbench", "audit")  # the workbench's users and session key; its audit log, appended as it goes

ROLES = (  # first matching prefix of the path relative to the archive -> role
    ("warc/", "warc"), ("wacz/", "wacz"), ("manifest/items/", "manifest-items"), ("manifest/terms/", "word-index"),
    ("manifest/summaries/", "manifest-summary"), ("manifest/runs/", "manifest-runs"),
    ("manifest/tombstones/", "tombstones"),
    ("manifest/deliveries/", "deliveries"), ("register/", "register"), ("delivery/", "delivery"),
    ("manifest/decisions/", "decisions"),
)


def role_of(rel: str) -> str:
    """What a file is, from where it lives (docs/fixity.md lists the roles)."""
    if rel.startswith("media/"):
        return "media-sidecar" if rel.endswith(".json") else "media"
    if rel.startswith("gallring/"):
        name = rel.rsplit("/", 1)[-1]
        return "gallringsdokument" if name.startswith("gallringsdokument") else "cull-plan"
    return next((role for prefix, role in ROLES if rel.startswith(prefix)), "other")


def is_tracked(rel: str) -> bool:
    """True for archive content; false for the run's own folders and half-written temporary files."""
    first, _, _rest = rel.partition("/")
    name = rel.rsplit("/", 1)[-1]
    if first in UNTRACKED_DIRS:
        return False
    return not (name.startswith(".") and (".part" in name or name.startswith(".write-probe-")))


def new_session_id(command: str) -> str:
    return f"{command}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


class Ledger:
    """One writer's ledger file, opened on first use."""

    def __init__(self, archive: Path, run_id: str):
        self.archive = Path(archive).resolve()
        self.run_id = run_id
        self.writer = f"{socket.gethostname()}-{os.getpid()}"
        self.path = self.archive / LEDGER_DIR / run_id / f"{self.writer}.jsonl"
        self._seq = 0
        self._file = None
        self._last: dict[str, tuple] = {}  # what this writer last recorded per path: the same twice is one line

    def relative(self, path: Path) -> str | None:
        """The path relative to the archive, or None if it lies outside it or is not tracked."""
        try:
            rel = Path(os.path.abspath(path)).relative_to(self.archive).as_posix()
        except ValueError:
            return None
        return rel if is_tracked(rel) else None

    def append(self, entry: dict) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")
            self._seq = self._lines_already()
        self._seq += 1
        line = {"seq": self._seq, "recorded_at": datetime.now(UTC).isoformat(timespec="microseconds"),
                "run_id": self.run_id, "writer": self.writer, **entry}
        self._last[entry["path"]] = (entry["event"], entry["sha256"], entry["size"])
        self._file.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())  # the record is on disk before the write counts as done

    def last(self, rel: str) -> tuple | None:
        return self._last.get(rel)

    def _lines_already(self) -> int:
        with open(self.path, encoding="utf-8") as f:
            return sum(1 for _ in f)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


_active: ContextVar[Ledger | None] = ContextVar("smarchive_ledger", default=None)


@contextmanager
def recording(archive: Path, run_id: str) -> Iterator[Ledger]:
    """Record every archive write made inside the block under `run_id` (nested blocks take over)."""
    ledger = Ledger(archive, run_id)
    token = _active.set(ledger)
    try:
        yield ledger
    finally:
        _active.reset(token)
        ledger.close()


def active() -> Ledger | None:
    return _active.get()


def file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def written(path: Path, sha256: str | None = None, size: int | None = None) -> None:
    """Record that `path` now holds complete bytes (hashed here unless the writer knows the hash)."""
    ledger = _active.get()
    if ledger is None:
        return
    rel = ledger.relative(path)
    if rel is None:
        return
    if sha256 is None or size is None:
        sha256, size = file_digest(Path(path))
    if ledger.last(rel) == ("written", sha256, size):
        return
    ledger.append({"event": "written", "path": rel, "sha256": sha256, "size": size, "role": role_of(rel)})


def removed(path: Path) -> None:
    """Record that `path` was deleted on purpose (a cull): verify then no longer expects it."""
    ledger = _active.get()
    if ledger is None:
        return
    rel = ledger.relative(path)
    if rel is not None:
        ledger.append({"event": "removed", "path": rel, "sha256": None, "size": None, "role": role_of(rel)})


# ------------------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Entry:
    path: str
    event: str
    sha256: str | None
    size: int | None
    role: str
    run_id: str
    recorded_at: str
    writer: str
    seq: int

    @property
    def order(self) -> tuple:
        return (self.recorded_at, self.run_id, self.writer, self.seq)


def ledger_files(archive: Path) -> list[Path]:
    return sorted((Path(archive) / LEDGER_DIR).glob("*/*.jsonl"))


def parse_lines(data: bytes, source: str) -> list[Entry]:
    """The entries of one ledger file's bytes; a line that does not parse is an error (tampering)."""
    entries = []
    for n, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            entries.append(Entry(d["path"], d["event"], d.get("sha256"), d.get("size"), d.get("role", ""),
                                 d["run_id"], d["recorded_at"], d["writer"], int(d["seq"])))
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{source} line {n} is not a ledger entry ({e})") from None
    return entries


def read_entries(archive: Path) -> list[Entry]:
    """The whole history, in the order it happened."""
    entries = []
    for path in ledger_files(archive):
        entries += parse_lines(path.read_bytes(), path.relative_to(archive).as_posix())
    return sorted(entries, key=lambda e: e.order)


def current_state(entries: list[Entry]) -> dict[str, Entry]:
    """The last entry per path, without the paths whose last entry is a removal."""
    state: dict[str, Entry] = {}
    for entry in sorted(entries, key=lambda e: e.order):
        if entry.event == "removed":
            state.pop(entry.path, None)
        else:
            state[entry.path] = entry
    return state


def state_digest(state: dict[str, Entry]) -> str:
    """SHA-256 over the state, one `path<TAB>sha256<TAB>size` line per file in path order (what a seal signs)."""
    lines = "".join(f"{p}\t{e.sha256}\t{e.size}\n" for p, e in sorted(state.items()))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def archive_files(archive: Path) -> Iterator[str]:
    """Every tracked file on disk, as a path relative to the archive."""
    archive = Path(archive)
    for root, dirs, files in os.walk(archive):
        rel_root = Path(root).relative_to(archive).as_posix()
        if rel_root == ".":
            dirs[:] = [d for d in dirs if d not in UNTRACKED_DIRS]
            rel_root = ""
        for name in files:
            rel = f"{rel_root}/{name}" if rel_root else name
            if is_tracked(rel):
                yield rel


LEDGER_COLUMNS = ("path VARCHAR, event VARCHAR, sha256 VARCHAR, size BIGINT, role VARCHAR, run_id VARCHAR, "
                  "recorded_at TIMESTAMPTZ, writer VARCHAR, seq BIGINT")


def ledger_views_sql(archive: Path) -> list[str]:
    """DuckDB statements defining `ledger` (the history) and `ledger_state` (what the archive holds now)."""
    files = ledger_files(archive)
    columns = "{" + ", ".join(f"'{c.split()[0]}': '{c.split(' ', 1)[1]}'" for c in LEDGER_COLUMNS.split(", ")) + "}"
    if files:
        listing = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in files) + "]"
        source = f"SELECT * FROM read_json({listing}, format = 'newline_delimited', columns = {columns})"
    else:
        source = "SELECT " + ", ".join(f"NULL::{c.split()[1]} AS {c.split()[0]}" for c in LEDGER_COLUMNS.split(", ")) \
            + " WHERE false"
    return [
        "CREATE VIEW ledger AS SELECT path, event, sha256, size, role, run_id, recorded_at, writer, seq "
        f"FROM ({source})",
        "CREATE VIEW ledger_state AS SELECT path, sha256, size, role, run_id, recorded_at FROM (SELECT *, "
        "row_number() OVER (PARTITION BY path ORDER BY recorded_at DESC, run_id DESC, writer DESC, seq DESC) AS _n "
        "FROM ledger) "
        "WHERE _n = 1 AND event = 'written'",
    ]


def start(archive: Path, run_id: str) -> tuple[Ledger, object]:
    """`recording` for code that cannot indent its work into a `with` block; pair with `stop`."""
    ledger = Ledger(archive, run_id)
    return ledger, _active.set(ledger)


def stop(started: tuple[Ledger, object]) -> None:
    ledger, token = started
    _active.reset(token)
    ledger.close()


def adopt(archive: Path, run_id: str) -> list[str]:
    """Record every file of the archive the ledger does not know, as it is now (an archive written before
    smarchive kept a ledger). Adopting trusts those files: verify them against the manifest first."""
    archive = Path(archive)
    known = set(current_state(read_entries(archive))) if ledger_files(archive) else set()
    unknown = sorted(set(archive_files(archive)) - known)
    with recording(archive, run_id):
        for rel in unknown:
            written(archive / rel)
    return unknown
