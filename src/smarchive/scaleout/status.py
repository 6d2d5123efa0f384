"""Where each account of a run stands: queued, waiting (for a browser slot), running (where), done, failed,
incomplete, skipped. `smarchive status` reads it from the broker (distributed mode), from the archive's
runs in progress (`runs-in-progress/<run>.accounts.json`, kept by the coordinator of a scaled-out run; the run
journal of a sequential one), or from the `runs` table once a run is finished.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

DONE_STATES = {"captured": "done", "done": "done"}  # an outcome's status as `status` names it


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class RunStatus:
    """The coordinator's view of a scaled-out run, saved on every change (atomically: `status` reads it)."""

    path: Path
    info: dict = field(default_factory=dict)  # pipeline, year, started_at
    accounts: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def begin(cls, archive: Path, run_id: str, info: dict, account_ids: list[str], done: dict[str, dict]) -> RunStatus:
        status = cls(archive / "runs-in-progress" / f"{run_id}.accounts.json", dict(info))
        for account in account_ids:
            state = done[account]["status"] if account in done else "queued"
            status.accounts[account] = {"state": DONE_STATES.get(state, state), "where": "", "since": now()}
        status.save()
        return status

    def set(self, account: str, state: str, where: str = "") -> None:
        state = DONE_STATES.get(state, state)
        current = self.accounts.get(account, {})
        if (current.get("state"), current.get("where")) == (state, where):
            return
        self.accounts[account] = {"state": state, "where": where, "since": now()}
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.part")
        tmp.write_text(json.dumps({**self.info, "accounts": self.accounts}, ensure_ascii=False),
                       encoding="utf-8")
        os.replace(tmp, self.path)

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)


def rows(accounts: dict[str, dict]) -> list[list[str]]:
    return [[a, DONE_STATES.get(s.get("state", ""), s.get("state", "")), s.get("where", ""), s.get("since", "")]
            for a, s in accounts.items()]


def summary(accounts: dict[str, dict]) -> str:
    counts: dict[str, int] = {}
    for s in accounts.values():
        state = DONE_STATES.get(s.get("state", ""), s.get("state", ""))
        counts[state] = counts.get(state, 0) + 1
    order = ["queued", "waiting", "running", "done", "failed", "incomplete", "skipped"]
    return ", ".join(f"{counts[k]} {k}" for k in order + sorted(set(counts) - set(order)) if counts.get(k))


def in_progress(archive: Path) -> dict[str, dict]:
    """Runs in progress in the archive: run id -> {"pipeline", "year", "accounts": {account: state}}."""
    found: dict[str, dict] = {}
    folder = archive / "runs-in-progress"
    for path in sorted(folder.glob("*.accounts.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[path.name.removesuffix(".accounts.json")] = data
    for path in sorted(folder.glob("*.json")):  # a sequential run's journal: the accounts done so far
        if path.name.endswith(".accounts.json"):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["run_id"] in found:
            continue
        accounts = {a: {"state": o["status"], "where": "", "since": ""} for a, o in data["accounts"].items()}
        pipeline, year, _key = path.stem.rsplit("-", 2)
        found[data["run_id"]] = {"pipeline": pipeline, "year": year, "accounts": accounts,
                                 "note": "a sequential run: accounts not listed are not done yet"}
    return found


def finished(row: dict) -> dict[str, dict]:
    """A finished run's accounts and states, from its row of the `runs` table."""
    where = dict(w.split(": ", 1) for w in (row.get("account_workers") or []) if ": " in w)
    states: dict[str, dict] = {}
    for account in row["accounts"] or []:
        state = ("failed" if account in (row["accounts_failed"] or [])
                 else "incomplete" if account in (row.get("accounts_incomplete") or [])
                 else "skipped" if account in (row["accounts_skipped"] or []) else "done")
        states[account] = {"state": state, "where": where.get(account, ""), "since": str(row["finished_at"] or "")}
    return states
