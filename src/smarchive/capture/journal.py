"""Journals that let a run killed at any point resume where it stopped.

RunJournal: which accounts of a run are done. It lives in `archive/runs-in-progress/` while a run is
unfinished. Starting the same job (pipeline, year, accounts) again finds it and resumes that run
under the same run id: accounts already done are not captured again, and since every output of a
run has a fixed name (WARC, manifest file) that is replaced atomically, nothing is duplicated. The
journal is removed when the run is finished.

PageJournal: which pages of a half-done account are captured, in the account's staging folder
(`archive/staging/<run id>/<account>/pages.jsonl`). A page (a post, video or episode with its
comments expanded) is written down once its snapshot is saved and the recording proxy has written
and fsynced every exchange so far; the entry says up to which byte of which proxy WARC that is.
On resume the proxy WARCs of the killed attempt are cut there (whole records only) and kept, and
adapters skip the pages written down (CaptureContext.already_captured).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from smarchive.archive.warc import Snapshot


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


@dataclass
class DonePage:
    """A page captured for good: its snapshot files (relative to staging) and where its records end."""

    item_id: str
    url: str
    taken_at: str
    html: str
    png: str
    warc: str  # the proxy WARC's final name (it is `<warc>.open` while the proxy writes it)
    warc_size: int  # every record of the page lies below this byte


class PageJournal:
    """The pages of one account capture that are done; see the module docstring."""

    FILE = "pages.jsonl"

    def __init__(self, staging: Path):
        self.staging = staging
        self.path = staging / self.FILE
        self.pages: list[DonePage] = []  # durable: written down and fsynced
        self.snapshots: list[Snapshot] = []  # every page done, durable or (this process only) not
        self._done: set[str] = set()

    @classmethod
    def load(cls, staging: Path) -> PageJournal:
        journal = cls(staging)
        if journal.path.exists():
            for line in journal.path.read_text(encoding="utf-8").splitlines():
                try:
                    journal._remember(DonePage(**json.loads(line)))
                except (ValueError, TypeError):
                    continue  # a line cut short by the kill: that page was not done
        return journal

    def done(self, item_id: str) -> bool:
        return item_id in self._done

    def record(self, snapshot: Snapshot, mark: tuple[str, int] | None) -> None:
        """A page is done. With `mark` (proxy WARC name, size on disk) it is written down for good;
        without, it only counts for this process (its records are still coming from the proxy)."""
        if mark is None:
            self.snapshots.append(snapshot)
            self._done.add(snapshot.item_id)
            return
        for path in (snapshot.html_path, snapshot.png_path):
            with open(path, "rb") as f:
                os.fsync(f.fileno())
        fsync_dir(snapshot.html_path.parent)
        page = DonePage(snapshot.item_id, snapshot.url, snapshot.taken_at,
                        str(snapshot.html_path.relative_to(self.staging)),
                        str(snapshot.png_path.relative_to(self.staging)), *mark)
        new = not self.path.exists()
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(page), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if new:
            fsync_dir(self.staging)
        self._remember(page)

    def cut_points(self) -> dict[str, int]:
        """Per proxy WARC, the byte up to which its records belong to pages done."""
        cuts: dict[str, int] = {}
        for page in self.pages:
            cuts[page.warc] = max(cuts.get(page.warc, 0), page.warc_size)
        return cuts

    def keep(self, kept: dict[str, int]) -> int:
        """Forget the pages whose records or snapshots are not all there (`kept`: WARC name -> bytes
        kept). The journal is rewritten (also dropping a line the kill cut short, which new lines
        would otherwise be appended to). Returns how many pages remain."""
        whole = [p for p in self.pages if kept.get(p.warc, -1) >= p.warc_size
                 and (self.staging / p.html).is_file() and (self.staging / p.png).is_file()]
        tmp = self.path.with_name(f".{self.path.name}.part")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("".join(json.dumps(asdict(p), ensure_ascii=False) + "\n" for p in whole))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        self.pages, self.snapshots, self._done = [], [], set()
        for page in whole:
            self._remember(page)
        return len(self.pages)

    def _remember(self, page: DonePage) -> None:
        self.pages.append(page)
        self.snapshots.append(Snapshot(page.item_id, page.url, page.taken_at,
                                       self.staging / page.html, self.staging / page.png))
        self._done.add(page.item_id)
