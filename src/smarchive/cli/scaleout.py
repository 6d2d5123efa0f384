"""Scale-out commands: `capture --workers N` / `--broker URL` (wired from `capture`), `worker`, `status`."""

from __future__ import annotations

from pathlib import Path

from smarchive.config import Pipeline
from smarchive.pipeline import RunReport


def capture_scaled(pipeline: Pipeline, year: int, accounts: tuple[str, ...], archive: Path, workers: int | None,
                   broker: str | None) -> RunReport:
    """The run with its accounts in parallel: processes here (--workers), or jobs on a broker (--broker)."""
    from smarchive.scaleout.local import LocalPool, choose_workers
    from smarchive.scaleout.run import run_scaled

    selected = [a for a in pipeline.select(accounts) if a.archivable]
    notes: list[str] = []
    n = choose_workers(workers, max(1, len(selected)), notes.append)
    report = run_scaled(pipeline, year, accounts, archive, LocalPool(n), mode=f"{n} browser(s) at once",
                        notes=notes)
    return report
