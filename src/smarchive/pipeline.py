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
from smarchive.account_ids import ID_PLATFORMS, KnownId, ids_path, read_ids, render_ids
from smarchive.archive import ledger, wacz
from smarchive.archive.manifest import write_account_table, write_items, write_run
from smarchive.archive.replay import add_replay_targets, stable_permalink
from smarchive.archive.s3store import open_storage
from smarchive.archive.store import atomic_write, file_sha256
from smarchive.capture.account import AccountCaptureResult, JobInfo, capture_account
from smarchive.capture.journal import RunJournal
from smarchive.capture.login import load_state, perform_login
from smarchive.config import Pipeline
from smarchive.errors import CaptureError, SmarchiveError
from smarchive.extract.coverage import Coverage, coverage
from smarchive.extract.reader import StoredMedia, read_account
from smarchive.extract.unrecognised import adapter_notes
from smarchive.model import Account, Item
from smarchive.platforms import get_adapter
from smarchive.platforms.base import Owner
from smarchive.retention.tag import RetentionEngine
from smarchive.sandbox import launch as sandbox_launch
from smarchive.sandbox.launch import SANDBOX_CREDENTIALS


@dataclass
class AccountOutcome:
    account: Account
    status: str  # captured | incomplete (short of the platform's counts beyond tolerance) | failed | skipped
    message: str = ""
    items: dict[str, int] = field(default_factory=dict)
    media: int = 0
    warc_file: str = ""
    warnings: list[str] = field(default_factory=list)
    coverage: str = ""  # "captured N of M comments and replies (platform's count), K post(s) short"
    tables: dict[str, list[dict]] = field(default_factory=dict)  # coverage, unrecognised rows (not journalled)


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

    @property
    def incomplete(self) -> list[AccountOutcome]:
        """Accounts short of the platform's own counts beyond tolerance: not done, the run exits 1."""
        return [o for o in self.outcomes if o.status == "incomplete"]


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


WRITTEN_FOLDERS = ("manifest", "warc", "media", "wacz", "logs", "staging", "runs-in-progress", "ledger", "seals",
                   "accounts-ids")


def resolve_url(url: str, sandbox_base: str | None) -> str:
    if url.startswith("sandbox:"):
        if sandbox_base is None:
            raise SmarchiveError(f"{url} needs the sandbox, but the pipeline does not start it ([job] sandbox = true)")
        return sandbox_base + url.removeprefix("sandbox:")
    return url


def sandbox_auto_login(pipeline: Pipeline) -> bool:
    """The sandbox pipeline logs in by itself (with the sandbox's public test account) unless told not to."""
    return sandbox_launch.auto_login(pipeline.sandbox)


def start_sandbox(pipeline: Pipeline, stack: ExitStack) -> str | None:
    if pipeline.sandbox is None:
        return None
    return sandbox_launch.start(pipeline.sandbox, stack, f"{pipeline.path} [sandbox]")


@dataclass
class RunStart:
    """What every way of running a year (here one account after another; scaleout in parallel) begins with."""
    accounts: list[Account]
    journal: RunJournal
    report: RunReport
    log: Progress
    say: Callable[[str], None]


def begin_run(pipeline: Pipeline, year: int, account_ids: tuple[str, ...], archive: Path,
              progress: Callable[[str], None] | None = None, mode: str = "") -> RunStart:
    """Check the sandbox settings and the archive, begin (or resume) the run's journal and say so."""
    if pipeline.sandbox is not None:  # a wrong [sandbox] key fails before anything is written
        sandbox_launch.sandbox_config(pipeline.sandbox, f"{pipeline.path} [sandbox]")
    check_archive_writable(archive)
    accounts = pipeline.with_known_ids(pipeline.select(account_ids), archive)
    now = datetime.now(UTC)
    journal = RunJournal.begin(archive, pipeline.name, year, [a.id for a in accounts], new_run_id(now), now)
    report = RunReport(journal.run_id, pipeline.name, year, archive, journal.started_at)
    report.log_file = archive / "logs" / f"run-{report.run_id}.log"
    log = Progress(report.log_file)
    say = progress or log
    if journal.resumed:
        say(f"resuming run {report.run_id}, interrupted before it finished: {len(journal.accounts)} of "
            f"{len(accounts)} account(s) already done (to start afresh instead, delete {journal.path})")
    say(f"run {report.run_id}: pipeline {pipeline.name}, year {year}, {len(accounts)} account(s), archive {archive}"
        + (f", {mode}" if mode else ""))
    return RunStart(accounts, journal, report, log, say)


def run(pipeline: Pipeline, year: int, account_ids: tuple[str, ...], archive: Path,
        progress: Callable[[str], None] | None = None) -> RunReport:
    archive = archive.resolve()
    start = begin_run(pipeline, year, account_ids, archive, progress)
    accounts, journal, report, log, say = start.accounts, start.journal, start.report, start.log, start.say
    engine = RetentionEngine.load(pipeline.retention_dir, profile=pipeline.retention_profile)
    storage = open_storage(pipeline.storage, archive)
    info = JobInfo(pipeline.name, pipeline.operator, report.run_id, year, pipeline.description)
    recording = ledger.start(archive, report.run_id)  # every file written from here is in the fixity ledger
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
                                            sandbox_auto_login(pipeline), logins,
                                            tolerance=pipeline.tolerance(account.platform))
                # The account's manifest files are written before it counts as done: a crash in between
                # only means it is captured again, and its files (fixed names for this run) replaced.
                report.manifest_files += write_items(archive, rows, report.run_id) if rows else []
                report.manifest_files += write_tables(archive, outcome, report.run_id, year)
                record_ids(archive, pipeline.name, outcome, report.run_id, say)
                journal.record(account.id, outcome_to_dict(outcome))
                # Kept until now: a kill before the account is done resumes from its page journal.
                shutil.rmtree(staging_folder(archive, report.run_id, account.id), ignore_errors=True)
                report.outcomes.append(outcome)
                say(f"{account.id}: {outcome.status}"
                    + (f": {outcome.message}" if outcome.message else f", {sum(outcome.items.values())} items"))
                if outcome.coverage:
                    say(f"{account.id}: coverage: {outcome.coverage}")
        report.finished_at = datetime.now(UTC)
        write_run(archive, run_row(report, pipeline))
        journal.finish()
        shutil.rmtree(archive / "staging" / report.run_id, ignore_errors=True)
        seal_run(archive, pipeline, f"run {report.run_id}", say)
    finally:
        ledger.stop(recording)
        if progress is None:
            log.close()
    return report


def seal_run(archive: Path, pipeline: Pipeline, reason: str, say: Callable[[str], None]) -> None:
    """Seal the ledger's state; a seal that could not be signed or time-stamped is said, not fatal (the
    capture is done and recorded; `smarchive seal` seals again)."""
    from smarchive.archive.seal import seal

    try:
        result = seal(archive, pipeline.seal, reason)
    except (OSError, ValueError, SmarchiveError) as e:  # e.g. a ledger line that no longer parses
        say(f"seal: warning: not sealed: {e} (run `smarchive verify`, then `smarchive seal`)")
        return
    say(f"sealed: {result.summary()}")
    for warning in result.warnings:
        say(f"seal: warning: {warning}")


def staging_folder(archive: Path, run_id: str, account_id: str) -> Path:
    """Where an account's capture keeps its proxy WARCs, snapshots and page journal until it is done."""
    return archive / "staging" / run_id / account_id


def write_tables(archive: Path, outcome: AccountOutcome, run_id: str, year: int) -> list[Path]:
    """The account's coverage and unrecognised rows of this run (fixed names: a resumed run replaces them)."""
    account = outcome.account
    return [write_account_table(archive, name, rows, run_id, year, account.platform, account.id)
            for name, rows in outcome.tables.items()]


def outcome_to_dict(outcome: AccountOutcome) -> dict:
    return {"status": outcome.status, "message": outcome.message, "items": outcome.items, "media": outcome.media,
            "warc_file": outcome.warc_file, "warnings": outcome.warnings, "coverage": outcome.coverage}


def outcome_from_dict(account: Account, data: dict) -> AccountOutcome:
    return AccountOutcome(account, data["status"], data["message"], dict(data["items"]), data["media"],
                          data["warc_file"], list(data["warnings"]), data.get("coverage", ""))


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
                logins: dict[str, dict] | None = None, tolerance: float = 0.0) -> tuple[AccountOutcome, list[dict]]:
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
        captured_at = datetime.now(UTC)
        # One pass over the WARC: items, counts, media and answer checks (see extract/reader.py).
        read = read_account(adapter, result.warc_path, account, info.year, str(warc_rel), storage,
                            captured_at.isoformat())
        extraction, items, media = read.extraction, read.extraction.items, read.media
        wacz_file = wacz.package(archive, info.year, account.id, url, f"{account.name} {info.year}")
        say(f"{account.id}: WACZ {wacz_file.relative_to(archive)}")
    except SmarchiveError as e:
        return AccountOutcome(account, "failed", str(e)), []
    owners = owner_rows(account, extraction.owners)
    unresolved = unresolved_owner(account, owners)
    if unresolved:  # its items cannot be told from others' (ownership is never decided on a display name)
        return AccountOutcome(account, "failed", unresolved, warc_file=str(warc_rel)), []
    tags = engine.tag_all([item_for_tagging(i) for i in items])
    warc_sha = file_sha256(result.warc_path)
    rows = [manifest_row(i, t, result, media, info, str(warc_rel), warc_sha, captured_at)
            for i, t in zip(items, tags, strict=True)]
    add_replay_targets(rows, result.warc_path)  # links that open in replay (#13)
    for row in rows:
        row["permalink"] = stable_permalink(row["permalink"], sandbox_base)
    counts: dict[str, int] = {}
    for item in items:
        counts[item.item_type] = counts.get(item.item_type, 0) + 1
    warnings = result.warnings + adapter_notes(extraction.notes, read.unrecognised) + read.warnings
    if not items and getattr(adapter, "yields_items", True):
        warnings.append(f"no items of {info.year} found: check the capture (login or consent wall, "
                        "changed page layout, or truly nothing published?)")
    covered = coverage(extraction, account.id, account.platform, info.year, tolerance)
    outcome = AccountOutcome(account, "captured", items=counts, media=len(media), warc_file=str(warc_rel),
                             warnings=warnings, tables={"coverage": [r.to_dict() for r in covered.rows],
                                                        "unrecognised": read.unrecognised, "owners": owners})
    judge_coverage(outcome, covered, info.year, say)
    return outcome, rows


def owner_rows(account: Account, owners: list[Owner]) -> list[dict]:
    """The account's identity for the `owners` table: the owner the capture resolved (the one with the known
    id first, if the adapter gave several), else the id the register or an earlier capture gave (if any)."""
    found = [o for o in owners if o.platform_id]
    found.sort(key=lambda o: o.platform_id != account.platform_id)  # stable: the known id first
    if found:
        o = found[0]
        return [{"platform_id": o.platform_id, "handle": o.handle or account.handle, "name": o.name,
                 "resolved_from": "capture", "source_url": o.source.url, "source_record_id": o.source.record_id}]
    if account.platform_id:
        return [{"platform_id": account.platform_id, "handle": account.handle, "name": "",
                 "resolved_from": "register", "source_url": "", "source_record_id": ""}]
    return []


# What the operator adds for an account whose owner no answer resolved, per platform.
ID_HINTS = {"facebook": "the page id", "instagram": "the user id", "youtube": "the channel id UC…",
            "linkedin": "the organization URN, urn:li:organization:…"}


def unresolved_owner(account: Account, owners: list[dict]) -> str:
    """One line saying what to add to the register, if the account's owner cannot be told; else ""."""
    if owners or account.platform_id or account.handle or account.platform not in ID_PLATFORMS:
        return ""
    return (f"owner of {account.id} not resolved: no recorded answer gives its {account.platform} id; add "
            f"platform_id = \"…\" ({ID_HINTS[account.platform]}) or handle = \"…\" to its [[account]] "
            "in the register")


def record_ids(archive: Path, pipeline: str, outcome: AccountOutcome, run_id: str,
               say: Callable[[str], None]) -> None:
    """Keep an id this capture resolved in ARCHIVE/accounts-ids/PIPELINE.toml (atomically, ledgered), so that
    later runs decide ownership on it. Ids the register gave are not copied: the register already says them."""
    row = next((r for r in outcome.tables.get("owners", []) if r["resolved_from"] == "capture"), None)
    if row is None:
        return
    path = ids_path(archive, pipeline)
    known = read_ids(path)
    account = outcome.account
    entry = known.get(account.id)
    if entry and (entry.platform, entry.platform_id) == (account.platform, row["platform_id"]):
        return  # unchanged: the file keeps the run that first resolved it
    if entry and entry.platform == account.platform:
        say(f"{account.id}: warning: its {account.platform} id changed from {entry.platform_id} to "
            f"{row['platform_id']} (recorded in {path})")
    known[account.id] = KnownId(account.platform, row["platform_id"], row["handle"], row["name"], run_id,
                                datetime.now(UTC).isoformat(timespec="seconds"))
    atomic_write(path, render_ids(known))
    say(f"{account.id}: {account.platform} id {row['platform_id']} recorded in {path}")


def judge_coverage(outcome: AccountOutcome, covered: Coverage, year: int, say: Callable[[str], None]) -> None:
    """Say what the platform counted against what was captured; beyond tolerance the account is incomplete
    (not done: the next run of the year captures it again, and what this run has is kept in the archive)."""
    if covered.rows or covered.posts_shown:
        outcome.coverage = covered.summary()
    elif covered.items:  # said, so that nobody takes silence for completeness
        outcome.coverage = "not checked: the adapter reports none of the platform's counts"
    worst = covered.worst()
    for line in worst:
        say(f"{outcome.account.id}: short: {line}")
    if not covered.incomplete:
        return
    outcome.status = "incomplete"
    if covered.posts_shown and not covered.items:
        outcome.message = (f"the platform shows {covered.posts_shown} post(s) but no item of {year} was extracted "
                           "(a changed answer format, or a wall?); run the year again after checking the capture")
    else:
        outcome.message = (f"{outcome.coverage}, beyond the tolerance of {covered.tolerance:.0%}; run the year "
                           "again to fetch the short posts (what was captured is kept)")
    outcome.warnings += [f"short post: {line}" for line in worst]


def item_for_tagging(item: Item) -> dict:
    return {"id": item.id, "platform": item.platform, "item_type": item.item_type,
            "author_is_account": item.author_is_account, "text": item.text,
            "published_at": item.published_at.isoformat(), "parent_id": item.parent_id}


def manifest_row(item: Item, tag, result: AccountCaptureResult, media: dict[str, StoredMedia], info: JobInfo,
                 warc_file: str, warc_sha: str, captured_at: datetime) -> dict:
    snap = result.snapshots.get(item.post_id or item.id)
    item_media = [vars(media[m.url]) for m in item.media if m.url in media]
    return {
        "item_id": item.id, "platform": item.platform, "account": item.account, "account_name": result.account.name,
        "year": info.year, "item_type": item.item_type, "parent_id": item.parent_id, "post_id": item.post_id,
        "author": item.author, "author_is_account": item.author_is_account, "published_at": item.published_at,
        "time_precision": item.time_precision, "text": item.text, "permalink": item.permalink,
        "media": item_media, "media_sha256": [m["sha256"] for m in item_media],
        "extra": sorted(item.extra.items()) or None,
        "warc_file": warc_file, "warc_sha256": warc_sha, "warc_record_id": item.source.record_id,
        "warc_offset": item.source.offset, "source_url": item.source.url,
        "snapshot_record_id": snap.snapshot_record_id if snap else None,
        "snapshot_offset": snap.snapshot_offset if snap else None,
        "screenshot_record_id": snap.screenshot_record_id if snap else None,
        "screenshot_offset": snap.screenshot_offset if snap else None,
        **tag.manifest_columns(),
        "run_id": info.run_id, "captured_at": captured_at, "software": software_string(),
        "source": "capture",  # beside `export` (smarchive import, #18)
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
        "accounts_incomplete": [o.account.id for o in report.outcomes if o.status == "incomplete"],
        "items": sum(sum(o.items.values()) for o in report.outcomes), "media": sum(o.media for o in report.outcomes),
        "warc_files": [o.warc_file for o in report.outcomes if o.warc_file],
        "warnings": [f"{o.account.id}: {w}" for o in report.outcomes for w in o.warnings],
        "errors": [f"{o.account.id}: {o.message}" for o in report.outcomes if o.status in ("failed", "incomplete")],
        "software": software_string(), "operator": pipeline.operator,
    }
