"""The `smarchive` command. Every user-facing error is one line on stderr and a non-zero exit.

This package is the top floor: it may import any stage. One module per command group (`retention`:
register and cull; `sandbox`); `common` holds what commands share, `report` the run summary.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click

from smarchive import __version__
from smarchive.cli.common import EXIT_FAILED, EXIT_USAGE, check_year, write_problem
from smarchive.errors import SmarchiveError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="smarchive")
def cli() -> None:
    """Archive a municipality's social media as public records: capture, store, tag, manifest."""


@cli.command()
@click.option("--year", type=int, required=True, help="Calendar year to archive (Europe/Stockholm time).")
@click.option("--pipeline", "pipeline_name", default="sandbox", show_default=True,
              help="Pipeline name (pipelines/NAME.toml) or path to a pipeline TOML file.")
@click.option("--account", "accounts", multiple=True, help="Only this account id (repeatable).")
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True,
              help="Archive folder: WARCs, media, manifest, logs.")
@click.option("--workers", help="Capture N accounts at once, each its own browser in its own process, or `auto`: "
              "as many as free memory holds (2 GiB per browser); see README, distributed mode.")
@click.option("--broker", help="Put one job per account on this Celery broker (redis://HOST:PORT/DB) for "
              "`smarchive worker`s, and finish the run when the last is done.")
def capture(year: int, pipeline_name: str, accounts: tuple[str, ...], archive: Path, workers: str | None = None,
            broker: str | None = None) -> None:
    """Capture, store, tag and add to the manifest every item of YEAR."""
    from smarchive.capture.browser import find_chromium
    from smarchive.cli.report import print_summary
    from smarchive.config import load_pipeline
    from smarchive.pipeline import run

    check_year(year)
    pipeline = load_pipeline(pipeline_name)
    pipeline.select(accounts)
    if any(a.archivable for a in pipeline.select(accounts)):
        find_chromium()
    try:
        if workers is not None or broker or pipeline_broker(pipeline):
            from smarchive.cli.scaleout import capture_scaled

            report = capture_scaled(pipeline, year, accounts, archive, workers, broker)
        else:
            report = run(pipeline, year, accounts, archive)
    except OSError as e:
        # Disk full or a folder turned read-only mid-run: one line, then stop (the next account could
        # not be written either). The journal keeps what was done; the same command resumes.
        click.echo(f"smarchive: error: {write_problem(e, archive)}", err=True)
        sys.exit(EXIT_FAILED)
    print_summary(report)
    if report.failed or report.incomplete:  # incomplete: short of the platform's own counts, not done
        sys.exit(EXIT_FAILED)


def pipeline_broker(pipeline) -> str:  # noqa: ANN001 (Pipeline)
    """The broker a pipeline names in [scaleout] (distributed mode without --broker), else ""."""
    return str(getattr(pipeline, "scaleout", {}).get("broker", ""))


@cli.command()
@click.argument("sql", required=False)
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "parquet"]), default="table",
              show_default=True)
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the result to this file instead of stdout (required for parquet).")
@click.option("--saved", help="Run a saved query instead of SQL: " + ", ".join(
    ["register-worklist", "cull-candidates", "account-summary", "search", "needs-review", "coverage",
     "reconcile"]) + ".")
@click.option("--year", type=int, help="With --saved: only this year.")
@click.option("--limit", type=click.IntRange(min=0),
              help="At most this many rows (0: all). Default: 1000 for a table on the terminal, else all.")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True,
              help="Skip this many rows first (the next page: --offset 1000).")
def query(sql: str | None, archive: Path, fmt: str, out_path: Path | None, saved: str | None,
          year: int | None, limit: int | None, offset: int) -> None:
    """Run SQL (DuckDB) over the manifest, or a saved query.

    Views: `items` (latest capture of each item), `item_captures` (every capture), `runs`, `terms`,
    `account_summary`. With --saved search, SQL is the text to search for. A table on the terminal
    shows the first 1000 rows (--limit, --offset page on; --limit 0 shows all); csv, json and parquet
    give every row unless --limit is given.
    """
    from smarchive.archive.query import PAGE, run_query, saved_query
    from smarchive.archive.search import GAPS

    params: dict = {"year": year}
    if saved:
        if saved == "search":
            if not sql:
                raise SmarchiveError("--saved search needs the text to search for, e.g. --saved search snöröjning")
            params["text"] = sql
        elif sql:
            raise SmarchiveError(f"give either SQL or --saved {saved}, not both")
        sql = saved_query(saved)
    elif not sql:
        raise SmarchiveError('give a query, e.g. smarchive query "SELECT platform, count(*) FROM items GROUP BY 1" '
                             "or --saved account-summary")
    elif year is not None:
        raise SmarchiveError("--year goes with --saved; in SQL, write WHERE year = ...")
    page = limit if limit is not None else (PAGE if fmt == "table" and out_path is None else 0)
    table = run_query(archive, sql, params if saved else None, page + 1 if page else None, offset)
    for gap in (table.schema.metadata or {}).get(GAPS, b"").decode().splitlines():  # what search could not read
        click.echo(f"warning: {gap}", err=True)
    more = bool(page) and table.num_rows > page
    if more:
        table = table.slice(0, page)
    from smarchive.archive.ledger import new_session_id, recording

    with recording(archive, new_session_id("query")):  # an --out FILE inside the archive goes into its ledger
        write_result(table, fmt, out_path)
    if more:
        click.echo(f"rows {offset + 1}-{offset + page} shown, more follow: --offset {offset + page} for the next "
                   "page, --limit 0 for all, or --format csv --out FILE", err=True)


@cli.command()
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
def reindex(archive: Path) -> None:
    """Rebuild the word index and the summary of every manifest file (after a restore, or when this
    smarchive's index format is newer than the archive's), and merge each year's decision files into one
    (every decision kept as recorded). The items files are not changed."""
    from smarchive.archive.manifest import item_files, write_sidecars

    files = item_files(archive)
    if not files:
        raise SmarchiveError(f"no manifest files in {archive}")
    from smarchive.archive.decisions import compact
    from smarchive.archive.ledger import new_session_id, recording

    with recording(archive, new_session_id("reindex")):
        for n, path in enumerate(files, 1):
            write_sidecars(path)
            click.echo(f"[{n}/{len(files)}] {path.relative_to(archive)}", err=True)
        for merged in compact(archive):  # a year's decisions in one file: every query opens one, not thousands
            click.echo(f"decisions compacted into {merged.relative_to(archive)}", err=True)


def write_result(table, fmt: str, out_path: Path | None) -> None:  # noqa: ANN001 (pyarrow Table)
    from smarchive.archive.ledger import written

    if fmt == "parquet":
        if out_path is None:
            raise SmarchiveError("--format parquet needs --out FILE")
        import pyarrow.parquet as pq

        pq.write_table(table, out_path, compression="zstd")
        written(out_path)
        click.echo(f"{table.num_rows} rows -> {out_path}", err=True)
        return
    if out_path is not None:
        with open(out_path, "w", encoding="utf-8", newline="") as f:
            print_table(table, fmt, f)
        written(out_path)
        click.echo(f"{table.num_rows} rows -> {out_path}", err=True)
    else:
        print_table(table, fmt, sys.stdout)


def csv_cell(value: object) -> object:
    """A list (or struct, map) in a CSV cell or a table on the terminal is a JSON array (object), never Python's
    repr: the same in every CSV smarchive writes, and readable by any JSON parser."""
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def print_table(table, fmt: str, out) -> None:  # noqa: ANN001 (pyarrow Table, text stream)
    rows = table.to_pylist()
    if fmt == "json":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(table.column_names)
        for row in rows:
            writer.writerow([csv_cell(row[c]) for c in table.column_names])
    else:
        from smarchive.cli.report import format_table

        out.write(format_table(table.column_names, [[csv_cell(row[c]) for c in table.column_names] for row in rows])
                  + "\n")


@cli.command()
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
@click.option("--pipeline", "pipeline_name", default="sandbox", show_default=True,
              help="Pipeline whose [storage] holds the media (local folder or S3).")
@click.option("--deep", is_flag=True, help="Also re-hash every file of the fixity ledger, check the WACZs' inner "
              "digests and every record offset in the manifest.")
@click.option("--package", "package", type=click.Path(path_type=Path),
              help="Check a delivered package (folder, .tar or .zip; smarchive deliver) instead: every file against "
              "its METS.")
def verify(archive: Path, pipeline_name: str, deep: bool, package: Path | None) -> None:
    """Check the archive against its fixity ledger, seals and manifest; exit 1 if anything is missing or differs."""
    if package is not None:
        from smarchive.cli.deliver import verify_package

        verify_package(package)
        return
    from smarchive.archive.s3store import open_storage
    from smarchive.archive.verify import verify as run_verify
    from smarchive.config import load_pipeline

    if not (archive / "manifest").is_dir():
        raise SmarchiveError(f"no manifest in {archive} (run `smarchive capture` first, or pass --archive)")
    pipeline = load_pipeline(pipeline_name)
    storage = open_storage(pipeline.storage, archive.resolve())
    report = run_verify(archive, storage, deep=deep, progress=lambda m: click.echo(m, err=True), seal=pipeline.seal)
    click.echo(f"checked {report.manifest_files} manifest files, {report.rows} rows, {report.warc_files} WARC files, "
               f"{report.media_files} media files" + (f", {report.records_checked} record offsets" if deep else "")
               + f"; {report.ledger_files} files of the fixity ledger"
               + (" re-hashed" if deep else " (size)") + f", {report.seals} seal(s)")
    for note in report.notes:
        click.echo(f"note: {note}")
    for problem in report.problems:
        click.echo(f"PROBLEM: {problem}")
    if report.ok:
        click.echo("verify: OK, nothing missing or different")
    else:
        click.echo(f"verify: {len(report.problems)} problem(s)")
        sys.exit(EXIT_FAILED)


@cli.command()
@click.option("--in", "in_path", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True,
              help="Items as JSON lines (fields: see docs/retention.md).")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--retention", "retention_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Rule folder (default: the rules shipped in the package, smarchive/retention/rules/).")
@click.option("--profile", default="orebro", show_default=True, help="Municipality profile in the rule folder.")
def tag(in_path: Path, out_path: Path, retention_dir: Path | None, profile: str) -> None:
    """Tag items against the culling decision (handlings-id 1748), with rule ids and evidence."""
    from smarchive.retention.tag import RetentionEngine, tag_jsonl

    engine = RetentionEngine.load(retention_dir, profile=profile)
    count = tag_jsonl(in_path, out_path, engine)
    click.echo(f"tagged {count} items -> {out_path}")


@cli.command()
@click.option("--pipeline", "pipeline_name", default="orebro", show_default=True)
def accounts(pipeline_name: str) -> None:
    """List the account register of a pipeline (confirmed URLs, what is not archivable and why)."""
    from smarchive.cli.report import format_table
    from smarchive.config import load_pipeline
    from smarchive.platforms import get_adapter

    pipeline = load_pipeline(pipeline_name)
    rows = []
    for a in pipeline.accounts:
        status = ("not archivable: " + a.reason if not a.archivable
                  else "ok" if get_adapter(a.platform) else "no adapter yet")
        rows.append([a.id, a.platform, a.name, a.url, "yes" if a.confirmed else "NO", status])
    click.echo(format_table(["id", "platform", "name", "url", "confirmed", "status"], rows))


@cli.command()
@click.argument("platform")
@click.option("--pipeline", "pipeline_name", default="orebro", show_default=True,
              help="The pipeline whose account of PLATFORM to log in to (states are kept per pipeline).")
@click.option("--username", help="Account name or e-mail (prompted for if not given).")
@click.option("--headed", is_flag=True,
              help="Open a visible browser window to log in by hand (two-factor prompts, captchas); "
                   "needs a desktop. Press Enter or close the window when logged in.")
def login(platform: str, pipeline_name: str, username: str | None, headed: bool) -> None:
    """Log in to PLATFORM once and store the browser state captures start from.

    The password is read from SMARCHIVE_PASSWORD or prompted for (hidden); it is never stored,
    logged or recorded. The state is written with mode 0600 to $SMARCHIVE_STATE_DIR (default
    ~/.local/state/smarchive/PIPELINE/PLATFORM.json). With --headed, the person logs in in a
    visible window instead (nothing is prompted for), e.g. on a desktop, and carries the state
    file to the server.
    """
    import os
    from contextlib import ExitStack

    from playwright.sync_api import sync_playwright

    from smarchive.capture.browser import find_chromium
    from smarchive.capture.login import perform_login, save_state, state_path
    from smarchive.config import load_pipeline
    from smarchive.pipeline import resolve_url, start_sandbox
    from smarchive.platforms import get_adapter

    pipeline = load_pipeline(pipeline_name)
    account = next((a for a in pipeline.accounts if a.platform == platform and a.archivable), None)
    if account is None:
        raise SmarchiveError(f"pipeline {pipeline.name} has no archivable {platform} account")
    adapter = get_adapter(platform)
    if adapter is None or not hasattr(adapter, "login"):
        raise SmarchiveError(f"smarchive has no login for platform {platform}")
    if headed:
        _headed_login(pipeline, account, platform)
        return
    find_chromium()
    username = username or click.prompt(f"{platform} user name")
    password = os.environ.get("SMARCHIVE_PASSWORD") or click.prompt(f"{platform} password", hide_input=True)
    with ExitStack() as stack:
        base = start_sandbox(pipeline, stack)
        pw = stack.enter_context(sync_playwright())
        state = perform_login(pw, adapter, resolve_url(account.url, base), username, password)
    path = save_state(state, state_path(pipeline.name, platform))
    click.echo(f"logged in to {platform}; browser state saved to {path} (mode 600)")


def _headed_login(pipeline, account, platform: str) -> None:  # noqa: ANN001 (Pipeline, Account)
    """`login --headed`: a visible window for the person; the state saved as the plain login saves it."""
    import sys
    from contextlib import ExitStack

    from playwright.sync_api import sync_playwright

    from smarchive.capture.browser import find_chromium
    from smarchive.capture.login import enter_pressed, has_display, headed_login, save_state, state_path
    from smarchive.pipeline import resolve_url, start_sandbox

    path = state_path(pipeline.name, platform)
    if not has_display():
        raise SmarchiveError(f"login --headed needs a desktop ($DISPLAY and $WAYLAND_DISPLAY are unset): run "
                             f"`smarchive login {platform} --pipeline {pipeline.name} --headed` on a desktop, "
                             f"then copy the state file it saves to this server as {path} (mode 600)")
    find_chromium()
    with ExitStack() as stack:
        base = start_sandbox(pipeline, stack)
        pw = stack.enter_context(sync_playwright())
        click.echo(f"log in to {platform} in the browser window, then press Enter here (or close the window)",
                   err=True)
        state = headed_login(pw, resolve_url(account.url, base), enter_pressed(sys.stdin))
    path = save_state(state, path)
    if not state.get("cookies"):
        click.echo("warning: the browser held no cookies: were you logged in? (run the login again if not)",
                   err=True)
    click.echo(f"logged in to {platform}; browser state saved to {path} (mode 600)")


def _register_optional_groups() -> None:
    from smarchive.cli.decide import decide_command
    from smarchive.cli.deliver import deliver_command
    from smarchive.cli.extract import extract_command
    from smarchive.cli.fixity import seal_command
    from smarchive.cli.imports import import_command
    from smarchive.cli.retention import cull_command, register_command
    from smarchive.cli.sandbox import sandbox
    from smarchive.cli.scaleout import status_command, worker_command
    from smarchive.cli.serve import serve_command
    from smarchive.cli.show import show_command
    from smarchive.cli.user import user_group

    cli.add_command(sandbox)
    cli.add_command(show_command)
    cli.add_command(extract_command)
    cli.add_command(register_command)
    cli.add_command(cull_command)
    cli.add_command(seal_command)
    cli.add_command(decide_command)
    cli.add_command(user_group)
    cli.add_command(serve_command)
    cli.add_command(import_command)
    cli.add_command(deliver_command)
    cli.add_command(worker_command)
    cli.add_command(status_command)


_register_optional_groups()


def main(argv: list[str] | None = None) -> None:
    """Entry point: turn every expected failure into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="smarchive", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("smarchive: aborted", err=True)
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as e:
        click.echo(e.ctx.get_help() if e.ctx else str(e))
        sys.exit(0)
    except click.ClickException as e:
        click.echo(f"smarchive: error: {e.format_message()}", err=True)
        sys.exit(EXIT_USAGE)
    except SmarchiveError as e:
        click.echo(f"smarchive: error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("smarchive: interrupted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
