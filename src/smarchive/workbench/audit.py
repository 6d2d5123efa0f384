"""The workbench's audit log: who saw a restricted item, who decided what, who exported what, and when.

Append-only JSON lines, one file per day: `<archive>/audit/audit-<YYYY-MM-DD>.jsonl` (UTC days). Each line
is written with O_APPEND and fsynced before the page is answered, so what was shown is on disk. Like the
run logs, the folder is appended to as it goes and so is left out of the fixity ledger.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

_LOCK = threading.Lock()


def audit_path(archive: Path, when: datetime) -> Path:
    return archive / "audit" / f"audit-{when:%Y-%m-%d}.jsonl"


def log(archive: Path, user: str, role: str, action: str, **what: object) -> None:
    """Append one event: `action` is e.g. `view-restricted`, `media-restricted`, `decision`, `export`, `login`."""
    when = datetime.now(UTC)
    line = json.dumps({"at": when.isoformat(timespec="microseconds"), "user": user, "role": role,
                       "action": action, **what}, ensure_ascii=False, default=str) + "\n"
    path = audit_path(archive, when)
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)


def read(archive: Path) -> list[dict]:
    """Every event, oldest first."""
    events = []
    for path in sorted((archive / "audit").glob("audit-*.jsonl")):
        events += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return events
