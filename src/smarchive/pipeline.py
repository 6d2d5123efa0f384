"""A run: capture -> extract -> store -> tag -> manifest, account by account.

One account failing (a wall not passed, a platform down) does not stop the others; the report and
the exit code say what failed. Snapchat and other accounts marked not archivable are skipped and
reported with their reason.
"""

from __future__ import annotations

import secrets
import shutil
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import sync_playwright

from smarchive import __version__, dependency_version
from smarchive.archive import wacz
from smarchive.archive.manifest import write_items, write_run
from smarchive.archive.s3store import open_storage
from smarchive.archive.store import file_sha256
from smarchive.capture.account import AccountCaptureResult, JobInfo, capture_account
from smarchive.capture.journal import RunJournal
from smarchive.capture.login import load_state, perform_login
from smarchive.config import Pipeline
from smarchive.errors import CaptureError, SmarchiveError
from smarchive.extract.reader import StoredMedia, extract_items, store_media, unreadable_answers
from smarchive.model import Account, Item
from smarchive.platforms import get_adapter
from smarchive.retention.tag import RetentionEngine
from smarchive.sandbox.web import SANDBOX_CREDENTIALS

SANDBOX_SETTINGS = ("seed", "posts_per_year", "comments_per_post", "edition", "throttle_every", "fail_every",
                    "hang_every", "malformed_every", "hang_seconds", "binary_every", "hostile")


@dataclass
class AccountOutcome:
    account: Account
    status: str  # captured | failed | skipped
    message: str = ""
    items: dict[str, int] = field(default_factory=dict)
    media: int = 0
    warc_file: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    run_id: str
    pipeline: str
    year: int
    archive: Path
    started_at: datetime
    finished_at: datetime | None = None
    outcomes: list[AccountOutcome] = field(default_factory=list)
    manifest_files: list[Path] = field(default_factory=list)
    log_file: Path | None = None

    @property
    def failed(self) -> list[AccountOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


class Progress:
    """Progress lines on stderr, and the same lines in the run's log file."""

    def __init__(self, log_path: Path, stream=sys.stderr):
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "a", encoding="utf-8")
        self._stream = stream

    def __call__(self, message: str) -> None:
        line = f"[{datetime.now().strftime('%H:%M:%S')}] {message}"
        print(line, file=self._stream, flush=True)
        self._log.write(line + "\n")
        self._log.flush()

    def close(self) -> None:
        self._log.close()


def new_run_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def check_archive_writable(archive: Path) -> None:
    """Before any capture work: the archive and the folders a run writes into (those that exist) take a file."""
    try:
        archive.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SmarchiveError(f"archive folder {archive} is not writable (cannot create it): {e.strerror}") from None
    folders = [archive] + [archive / name for name in WRITTEN_FOLDERS if (archive / name).is_dir()]
    if (archive / "manifest").is_dir():  # its partitions too (year=/platform=): a run adds its files there
        folders += [p for p in (archive / "manifest").glob("**/*") if p.is_dir()]
    for folder in folders:
        try:
            probe = folder / f".write-probe-{secrets.token_hex(4)}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as e:
            raise SmarchiveError(f"archive folder {folder} is not writable: {e.strerror or e}; nothing was "
                                 "captured (make it writable, then run again)") from None


WRITTEN_FOLDERS = ("manifest", "warc", "media", "wacz", "logs", "staging", "runs-in-progress")


def resolve_url(url: str, sandbox_base: str | None) -> str:
    if url.startswith("sandbox:"):
        if sandbox_base is None:
            raise SmarchiveError(f"{url} needs the sandbox, but the pipeline does not start it ([job] sandbox = true)")
        return sandbox_base + url.removeprefix("sandbox:")
    return url


def sandbox_auto_login(pipeline: Pipeline) -> bool:
    """The sandbox pipeline logs in by itself (with the sandbox's public test account) unless told not to."""
    return pipeline.sandbox is not None and pipeline.sandbox.get("login", "auto") == "auto"


def start_sandbox(pipeline: Pipeline, stack: ExitStack) -> str | None:
    if pipeline.sandbox is None:
        return None
    from smarchive.sandbox.content import SandboxConfig
    from smarchive.sandbox.server import SandboxServer

    # "<platform>_generation": which generation of a platform's answers the sandbox serves (SandboxConfig).
    settings = {k: v for k, v in pipeline.sandbox.items() if k in SANDBOX_SETTINGS or k.endswith("_generation")}
    server = SandboxServer(SandboxConfig(**settings))
    base = server.start()
    stack.callback(server.stop)
    return base


def run(pipeline: Pipeline, year: int, account_ids: tuple[str, ...], archive: Path,
        progress: Callable[[str], None] | None = None) -> RunReport:
    archive = archive.resolve()
    check_archive_writable(archive)
    accounts = pipeline.select(account_ids)
    now = datetime.now(UTC)
    journal = RunJournal.begin(archive, pipeline.name, year, [a.id for a in accounts], new_run_id(now), now)
    report = RunReport(journal.run_id, pipeline.name, year, archive, journal.started_at)
    report.log_file = archive / "logs" / f"run-{report.run_id}.log"
    log = Progress(report.log_file)
    say = progress or log
    engine = RetentionEngine.load(pipeline.retention_dir, profile=pipeline.retention_profile)
    storage = open_storage(pipeline.storage, archive)
    info = JobInfo(pipeline.name, pipeline.operator, report.run_id, year, pipeline.description)
    if journal.resumed:
        say(f"resuming run {report.run_id}, interrupted before it finished: {len(journal.accounts)} of "
            f"{len(accounts)} account(s) already done (to start afresh instead, delete {journal.path})")
    say(f"run {report.run_id}: pipeline {pipeline.name}, year {year}, {len(accounts)} account(s), archive {archive}")
    try:
        with ExitStack() as stack:
            sandbox_base = start_sandbox(pipeline, stack)
            if sandbox_base:
                say(f"sandbox started at {sandbox_base}")
            pw = stack.enter_context(sync_playwright())
            logins: dict[str, dict] = {}  # sandbox login states made during this run, by platform
            for n, account in enumerate(accounts, 1):
                done = journal.done(account.id)
                if done is not None:
                    report.outcomes.append(outcome_from_dict(account, done))
                    say(f"account {n}/{len(accounts)}: {account.id}: done before the interruption")
                    continue
                say(f"account {n}/{len(accounts)}: {account.id} ({account.platform})")
                outcome, rows = run_account(pw, account, info, archive, storage, engine, sandbox_base, say,
                                            sandbox_auto_login(pipeline), logins)
                # The account's manifest files are written before it counts as done: a crash in between
                # only means it is captured again, and its files (fixed names for this run) replaced.
                report.manifest_files += write_items(archive, rows, report.run_id) if rows else []
                journal.record(account.id, outcome_to_dict(outcome))
                # Kept until now: a kill before the account is done resumes from its page journal.
                shutil.rmtree(staging_folder(archive, report.run_id, account.id), ignore_errors=True)
                report.outcomes.append(outcome)
                say(f"{account.id}: {outcome.status}"
                    + (f": {outcome.message}" if outcome.message else f", {sum(outcome.items.values())} items"))
        report.finished_at = datetime.now(UTC)
        write_run(archive, run_row(report, pipeline))
        journal.finish()
        shutil.rmtree(archive / "staging" / report.run_id, ignore_errors=True)
    finally:
        if progress is None:
            log.close()
    return report


def staging_folder(archive: Path, run_id: str, account_id: str) -> Path:
    """Where an account's capture keeps its proxy WARCs, snapshots and page journal until it is done."""
    return archive / "staging" / run_id / account_id


def outcome_to_dict(outcome: AccountOutcome) -> dict:
    return {"status": outcome.status, "message": outcome.message, "items": outcome.items, "media": outcome.media,
            "warc_file": outcome.warc_file, "warnings": outcome.warnings}


def outcome_from_dict(account: Account, data: dict) -> AccountOutcome:
    return AccountOutcome(account, data["status"], data["message"], dict(data["items"]), data["media"],
                          data["warc_file"], list(data["warnings"]))


def browser_state(pw, adapter, account: Account, url: str, pipeline: str, sandbox_login: bool,
                  say: Callable[[str], None], made: dict[str, dict] | None = None) -> dict | None:
    """The logged-in state to capture with: stored by `smarchive login`, or made now on the sandbox
    (once per platform and run: `made` keeps what this run logged in to)."""
    state = load_state(pipeline, account.platform)
    if state is not None or not getattr(adapter, "requires_login", False):
        return state
    if sandbox_login:
        made = made if made is not None else {}
        if account.platform not in made:
            say(f"{account.id}: logging in to the sandbox's {account.platform} (not recorded)")
            made[account.platform] = perform_login(pw, adapter, url, *SANDBOX_CREDENTIALS)
        return made[account.platform]
    raise CaptureError(f"{account.platform} shows little or nothing to a logged-out browser: run "
                       f"`smarchive login {account.platform} --pipeline {pipeline}` first")


def run_account(pw, account: Account, info: JobInfo, archive: Path, storage, engine, sandbox_base: str | None,
                say: Callable[[str], None], sandbox_login: bool = False,
                logins: dict[str, dict] | None = None) -> tuple[AccountOutcome, list[dict]]:
    if not account.archivable:
        return AccountOutcome(account, "skipped", f"not archivable: {account.reason}"), []
    adapter = get_adapter(account.platform)
    if adapter is None:
        return AccountOutcome(account, "failed", f"no capture adapter for platform {account.platform} yet"), []
    warc_rel = Path("warc") / str(info.year) / f"{account.id}-{info.run_id}.warc.gz"
    try:
        url = resolve_url(account.url, sandbox_base)
        state = browser_state(pw, adapter, account, url, info.job, sandbox_login, say, logins)
        result = capture_account(pw, adapter, account, url, info, staging_folder(archive, info.run_id, account.id),
                                 archive / warc_rel, say, storage_state=state, keep_staging=True)
        say(f"{account.id}: WARC written, extracting items")
        extraction = extract_items(adapter, result.warc_path, account, info.year, str(warc_rel))
        items = extraction.items
        captured_at = datetime.now(UTC)
        media, missing = store_media(items, result.warc_path, storage, account, captured_at.isoformat())
        wacz_file = wacz.package(archive, info.year, account.id, url, f"{account.name} {info.year}")
        say(f"{account.id}: WACZ {wacz_file.relative_to(archive)}")
    except SmarchiveError as e:
        return AccountOutcome(account, "failed", str(e)), []
    tags = engine.tag_all([item_for_tagging(i) for i in items])
    warc_sha = file_sha256(result.warc_path)
    rows = [manifest_row(i, t, result, media, info, str(warc_rel), warc_sha, captured_at)
            for i, t in zip(items, tags, strict=True)]
    counts: dict[str, int] = {}
    for item in items:
        counts[item.item_type] = counts.get(item.item_type, 0) + 1
    warnings = result.warnings + extraction.notes + missing + unreadable_answers(result.warc_path)
    if not items and getattr(adapter, "yields_items", True):
        warnings.append(f"no items of {info.year} found: check the capture (login or consent wall, "
                        "changed page layout, or truly nothing published?)")
    outcome = AccountOutcome(account, "captured", items=counts, media=len(media), warc_file=str(warc_rel),
                             warnings=warnings)
    return outcome, rows


def item_for_tagging(item: Item) -> dict:
    return {"id": item.id, "platform": item.platform, "item_type": item.item_type,
            "author_is_account": item.author_is_account, "text": item.text,
            "published_at": item.published_at.isoformat(), "parent_id": item.parent_id}


def manifest_row(item: Item, tag, result: AccountCaptureResult, media: dict[str, StoredMedia], info: JobInfo,
                 warc_file: str, warc_sha: str, captured_at: datetime) -> dict:
    snap = result.snapshots.get(item.post_id or item.id)
    item_media = [vars(media[m.url]) for m in item.media if m.url in media]
    t = tag.to_dict()
    return {
        "item_id": item.id, "platform": item.platform, "account": item.account, "account_name": result.account.name,
        "year": info.year, "item_type": item.item_type, "parent_id": item.parent_id, "post_id": item.post_id,
        "author": item.author, "author_is_account": item.author_is_account, "published_at": item.published_at,
        "text": item.text, "permalink": item.permalink,
        "media": item_media, "media_sha256": [m["sha256"] for m in item_media],
        "extra": sorted(item.extra.items()) or None,
        "warc_file": warc_file, "warc_sha256": warc_sha, "warc_record_id": item.source.record_id,
        "warc_offset": item.source.offset, "source_url": item.source.url,
        "snapshot_record_id": snap.snapshot_record_id if snap else None,
        "snapshot_offset": snap.snapshot_offset if snap else None,
        "screenshot_record_id": snap.screenshot_record_id if snap else None,
        "screenshot_offset": snap.screenshot_offset if snap else None,
        "tag_category": t["category"], "tag_retention": t["retention"], "tag_cull_from": tag.cull_from,
        "tag_actions": t["actions"], "tag_access": t["access"], "tag_rule_ids": t["rule_ids"],
        "tag_evidence": [{k: e.get(k) for k in ("rule_id", "kind", "name", "term", "text", "start", "end")}
                         for e in t["evidence"]],
        "tag_needs_review": t["needs_review"], "tag_decision": t["decision"],
        "tag_engine_version": t["engine_version"], "tag_ruleset_version": t["ruleset_version"],
        "run_id": info.run_id, "captured_at": captured_at, "software": software_string(),
    }


def software_string() -> str:
    return f"smarchive/{__version__} playwright/{dependency_version('playwright')}"


def run_row(report: RunReport, pipeline: Pipeline) -> dict:
    return {
        "run_id": report.run_id, "job": pipeline.name, "pipeline_file": str(pipeline.path), "year": report.year,
        "started_at": report.started_at, "finished_at": report.finished_at,
        "accounts": [o.account.id for o in report.outcomes],
        "accounts_failed": [o.account.id for o in report.outcomes if o.status == "failed"],
        "accounts_skipped": [o.account.id for o in report.outcomes if o.status == "skipped"],
        "items": sum(sum(o.items.values()) for o in report.outcomes), "media": sum(o.media for o in report.outcomes),
        "warc_files": [o.warc_file for o in report.outcomes if o.warc_file],
        "warnings": [f"{o.account.id}: {w}" for o in report.outcomes for w in o.warnings],
        "errors": [f"{o.account.id}: {o.message}" for o in report.outcomes if o.status == "failed"],
        "software": software_string(), "operator": pipeline.operator,
    }
