"""A run's journal: which accounts are done, so that a run killed at any point resumes where it stopped.

The journal lives in `archive/runs-in-progress/` while a run is unfinished. Starting the same job
(pipeline, year, accounts) again finds it and resumes that run under the same run id: accounts
already done are not captured again; an account that was half-done is captured again from the
start, and since every output of a run has a fixed name (WARC, manifest file) that is replaced
atomically, nothing is duplicated. The journal is removed when the run is finished.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass
class RunJournal:
    path: Path
    run_id: str
    started_at: datetime
    accounts: dict[str, dict] = field(default_factory=dict)  # account id -> outcome, once done
    resumed: bool = False

    @staticmethod
    def location(archive: Path, pipeline: str, year: int, account_ids: list[str]) -> Path:
        key = hashlib.sha256("\n".join(account_ids).encode()).hexdigest()[:8]
        return archive / "runs-in-progress" / f"{pipeline}-{year}-{key}.json"

    @classmethod
    def begin(cls, archive: Path, pipeline: str, year: int, account_ids: list[str], run_id: str,
              started_at: datetime) -> RunJournal:
        """The unfinished run of this job if there is one (resumed=True), else a new one."""
        path = cls.location(archive, pipeline, year, account_ids)
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, data["run_id"], datetime.fromisoformat(data["started_at"]), data["accounts"], True)
        journal = cls(path, run_id, started_at)
        journal._save()
        return journal

    def done(self, account_id: str) -> dict | None:
        return self.accounts.get(account_id)

    def record(self, account_id: str, outcome: dict) -> None:
        self.accounts[account_id] = outcome
        self._save()

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.part")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"run_id": self.run_id, "started_at": self.started_at.isoformat(),
                       "accounts": self.accounts}, f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


def fsync_dir(folder: Path) -> None:
    """Make the names in a folder (a file just created or renamed) survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
