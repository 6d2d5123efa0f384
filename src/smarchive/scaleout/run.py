"""The coordinator of a scaled-out run: one job per account, the run's records written once at the end.

The same run as `pipeline.run` (same journal, run id, resume, manifest, seal), except that the accounts
are handed to a dispatcher (processes on this machine, or a Celery queue) and their results gathered as
they finish. What several writers could race on stays here, in one process: the run journal, the
platform ids file (`accounts-ids/<pipeline>.toml`), the run's row and the seal. The outcomes are kept in
the register's order, so the run's row reads as a sequential run's.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from smarchive.archive import ledger
from smarchive.archive.manifest import write_run
from smarchive.capture.journal import RunJournal
from smarchive.config import Pipeline
from smarchive.model import Account
from smarchive.pipeline import (
    AccountOutcome,
    RunReport,
    begin_run,
    outcome_from_dict,
    record_ids,
    run_row,
    seal_run,
    staging_folder,
    start_sandbox,
)
from smarchive.scaleout.job import make_job
from smarchive.scaleout.status import RunStatus


class Dispatcher(Protocol):
    """Runs account jobs somewhere; yields each job's result (job.capture_job's dict) as it finishes."""

    def run(self, jobs: list[dict], say: Callable[[str], None],
            on_state: Callable[[str, str, str], None] | None = None) -> Iterator[dict]: ...


def failed_result(job: dict, message: str, worker: str = "") -> dict:
    """The result of a job whose process died or whose worker could not run it: the account failed."""
    return {"account": job["account"]["id"], "worker": worker, "owners": [], "manifest_files": [],
            "outcome": {"status": "failed", "message": message, "items": {}, "media": 0, "warc_file": "",
                        "warnings": [], "coverage": ""}}


def run_scaled(pipeline: Pipeline, year: int, account_ids: tuple[str, ...], archive: Path, dispatcher: Dispatcher,
               progress: Callable[[str], None] | None = None, mode: str = "",
               notes: list[str] | None = None) -> RunReport:
    archive = archive.resolve()
    start = begin_run(pipeline, year, account_ids, archive, progress, mode)
    accounts, journal, report, log, say = start.accounts, start.journal, start.report, start.log, start.say
    for note in notes or []:
        say(note)
    status = RunStatus.begin(archive, report.run_id, {"pipeline": pipeline.name, "year": year,
                                                     "started_at": report.started_at.isoformat(timespec="seconds"),
                                                     "mode": mode}, [a.id for a in accounts], journal.accounts)
    recording = ledger.start(archive, report.run_id)
    outcomes: dict[str, AccountOutcome] = {}
    workers: dict[str, str] = {}  # account -> where it was captured
    try:
        with ExitStack() as stack:
            sandbox_base = start_sandbox(pipeline, stack)
            if sandbox_base:
                say(f"sandbox started at {sandbox_base}")
            jobs = []
            for account in accounts:
                done = journal.done(account.id)
                if done is not None:
                    outcomes[account.id] = outcome_from_dict(account, done)
                    say(f"{account.id}: done before the interruption")
                else:
                    jobs.append(make_job(pipeline.path, archive, report.run_id, year, account, sandbox_base,
                                         report.log_file))
            by_id = {a.id: a for a in accounts}
            for result in dispatcher.run(jobs, say, status.set):
                account = result["account"]
                outcomes[account] = account_finished(archive, pipeline, journal, report, by_id[account], result, say)
                workers[account] = result.get("worker", "")
                status.set(account, outcomes[account].status, workers[account])
        report.outcomes = [outcomes[a.id] for a in accounts if a.id in outcomes]  # the register's order
        report.finished_at = datetime.now(UTC)
        row = run_row(report, pipeline)
        row["account_workers"] = [f"{a.id}: {workers[a.id]}" for a in accounts if workers.get(a.id)]
        write_run(archive, row)
        journal.finish()
        status.finish()
        shutil.rmtree(archive / "staging" / report.run_id, ignore_errors=True)
        seal_run(archive, pipeline, f"run {report.run_id}", say)
    finally:
        ledger.stop(recording)
        if progress is None:
            log.close()
    return report


def account_finished(archive: Path, pipeline: Pipeline, journal: RunJournal, report: RunReport, account: Account,
                     result: dict, say: Callable[[str], None]) -> AccountOutcome:
    """What the sequential run does after an account, for a job's result: ids, journal, staging, progress."""
    outcome = outcome_from_dict(account, result["outcome"])
    outcome.tables = {"owners": result.get("owners", [])}
    report.manifest_files += [Path(f) for f in result.get("manifest_files", [])]
    record_ids(archive, pipeline.name, outcome, report.run_id, say)
    journal.record(account.id, result["outcome"])
    shutil.rmtree(staging_folder(archive, report.run_id, account.id), ignore_errors=True)
    where = f" (on {result['worker']})" if result.get("worker") else ""
    say(f"{account.id}: {outcome.status}{where}"
        + (f": {outcome.message}" if outcome.message else f", {sum(outcome.items.values())} items"))
    if outcome.coverage:
        say(f"{account.id}: coverage: {outcome.coverage}")
    return outcome
