"""One account job: what a worker process does for one account of a run.

A job is a plain dict (it crosses a process pipe or a Celery queue as JSON): the pipeline file, the
archive, the run id, the year, the account and the sandbox's base URL. The worker loads the pipeline
itself, so jobs of several pipelines can share one queue and never mix. The result is a dict too:
the account's outcome as the run journal keeps it, its owner rows (for the ids file the coordinator
writes) and the manifest files written.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict
from pathlib import Path

from smarchive.archive import ledger
from smarchive.archive.manifest import write_items
from smarchive.archive.s3store import open_storage
from smarchive.capture.account import JobInfo
from smarchive.config import load_pipeline
from smarchive.model import Account
from smarchive.pipeline import (
    Progress,
    outcome_to_dict,
    run_account,
    sandbox_auto_login,
    write_tables,
)
from smarchive.retention.tag import RetentionEngine


def make_job(pipeline_file: Path, archive: Path, run_id: str, year: int, account: Account,
             sandbox_base: str | None, log_file: Path) -> dict:
    return {"pipeline_file": str(Path(pipeline_file).resolve()), "archive": str(archive), "run_id": run_id,
            "year": year, "account": asdict(account), "sandbox_base": sandbox_base, "log_file": str(log_file)}


def worker_name() -> str:
    """Where a job runs, as `status` shows it: host and process id."""
    return f"{socket.gethostname()}-{os.getpid()}"


def capture_job(job: dict) -> dict:
    """Capture, extract, tag and write the manifest parts of one account (in this process)."""
    from playwright.sync_api import sync_playwright  # only in the process that browses

    pipeline = load_pipeline(job["pipeline_file"])
    account = Account(**job["account"])
    archive = Path(job["archive"])
    run_id, year = job["run_id"], int(job["year"])
    log = Progress(Path(job["log_file"]))
    engine = RetentionEngine.load(pipeline.retention_dir, profile=pipeline.retention_profile)
    storage = open_storage(pipeline.storage, archive)
    info = JobInfo(pipeline.name, pipeline.operator, run_id, year, pipeline.description)
    recording = ledger.start(archive, run_id)  # this process's own ledger file: parallel writers never share one
    try:
        with sync_playwright() as pw:
            outcome, rows = run_account(pw, account, info, archive, storage, engine, job["sandbox_base"], log,
                                        sandbox_auto_login(pipeline), {},
                                        tolerance=pipeline.tolerance(account.platform))
        # Written before the job reports done: a kill in between only means the account is captured again
        # and its files (fixed names for this run) replaced.
        files = write_items(archive, rows, run_id) if rows else []
        files += write_tables(archive, outcome, run_id, year)
    finally:
        ledger.stop(recording)
        log.close()
    return {"account": account.id, "outcome": outcome_to_dict(outcome),
            "owners": outcome.tables.get("owners", []), "manifest_files": [str(f) for f in files],
            "worker": worker_name()}
