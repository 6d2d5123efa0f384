"""The `smarchive` command. Every user-facing error is one line on stderr and a non-zero exit."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from pathlib import Path

import click

from smarchive import __version__
from smarchive.errors import SmarchiveError

FIRST_YEAR = 2004  # the oldest social media platform archived here (Facebook) opened in 2004
EXIT_FAILED = 1  # the run finished, but something failed (see the report)
EXIT_USAGE = 2  # bad input, configuration or environment: nothing was done


def check_year(year: int) -> int:
    this_year = date.today().year
    if year > this_year:
        raise SmarchiveError(f"year {year} is in the future (this is {this_year})")
    if year < FIRST_YEAR:
        raise SmarchiveError(f"year {year} is before {FIRST_YEAR}, when the first of these platforms opened")
    return year


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
def capture(year: int, pipeline_name: str, accounts: tuple[str, ...], archive: Path) -> None:
    """Capture, store, tag and add to the manifest every item of YEAR."""
    from smarchive.browser import find_chromium
    from smarchive.config import load_pipeline
    from smarchive.pipeline import run
    from smarchive.report import print_summary

    check_year(year)
    pipeline = load_pipeline(pipeline_name)
    pipeline.select(accounts)
    if any(a.archivable for a in pipeline.select(accounts)):
        find_chromium()
    report = run(pipeline, year, accounts, archive)
    print_summary(report)
    if report.failed:
        sys.exit(EXIT_FAILED)


@cli.command()
@click.argument("sql", required=False)
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def query(sql: str | None, archive: Path, fmt: str) -> None:
    """Run SQL (DuckDB) over the manifest: views `items` (latest capture of each item),
    `item_captures` (every capture) and `runs`."""
    from smarchive.query import run_query

    if not sql:
        raise SmarchiveError('give a query, e.g. smarchive query "SELECT platform, count(*) FROM items GROUP BY 1"')
    print_table(run_query(archive, sql), fmt)


def print_table(table, fmt: str) -> None:
    rows = table.to_pylist()
    if fmt == "json":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False, default=str))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(table.column_names)
        for row in rows:
            writer.writerow([row[c] for c in table.column_names])
    else:
        from smarchive.report import format_table

        click.echo(format_table(table.column_names, [[row[c] for c in table.column_names] for row in rows]))


@cli.command()
@click.option("--in", "in_path", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True,
              help="Items as JSON lines (fields: see docs/retention.md).")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--retention", "retention_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Rule folder (default: the project's retention/).")
@click.option("--profile", default="orebro", show_default=True, help="Municipality profile in the rule folder.")
def tag(in_path: Path, out_path: Path, retention_dir: Path | None, profile: str) -> None:
    """Tag items against the culling decision (handlings-id 1748), with rule ids and evidence."""
    from smarchive.tag import RetentionEngine, tag_jsonl

    engine = RetentionEngine.load(retention_dir, profile=profile)
    count = tag_jsonl(in_path, out_path, engine)
    click.echo(f"tagged {count} items -> {out_path}")


@cli.command()
@click.option("--pipeline", "pipeline_name", default="orebro", show_default=True)
def accounts(pipeline_name: str) -> None:
    """List the account register of a pipeline (confirmed URLs, what is not archivable and why)."""
    from smarchive.config import load_pipeline
    from smarchive.platforms import get_adapter
    from smarchive.report import format_table

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
def login(platform: str, pipeline_name: str, username: str | None) -> None:
    """Log in to PLATFORM once and store the browser state captures start from.

    The password is read from SMARCHIVE_PASSWORD or prompted for (hidden); it is never stored,
    logged or recorded. The state is written with mode 0600 to $SMARCHIVE_STATE_DIR (default
    ~/.local/state/smarchive/PIPELINE/PLATFORM.json).
    """
    import os
    from contextlib import ExitStack

    from playwright.sync_api import sync_playwright

    from smarchive.browser import find_chromium
    from smarchive.config import load_pipeline
    from smarchive.login import perform_login, save_state, state_path
    from smarchive.pipeline import resolve_url, start_sandbox
    from smarchive.platforms import get_adapter

    pipeline = load_pipeline(pipeline_name)
    account = next((a for a in pipeline.accounts if a.platform == platform and a.archivable), None)
    if account is None:
        raise SmarchiveError(f"pipeline {pipeline.name} has no archivable {platform} account")
    adapter = get_adapter(platform)
    if adapter is None or not hasattr(adapter, "login"):
        raise SmarchiveError(f"smarchive has no login for platform {platform}")
    find_chromium()
    username = username or click.prompt(f"{platform} user name")
    password = os.environ.get("SMARCHIVE_PASSWORD") or click.prompt(f"{platform} password", hide_input=True)
    with ExitStack() as stack:
        base = start_sandbox(pipeline, stack)
        pw = stack.enter_context(sync_playwright())
        state = perform_login(pw, adapter, resolve_url(account.url, base), username, password)
    path = save_state(state, state_path(pipeline.name, platform))
    click.echo(f"logged in to {platform}; browser state saved to {path} (mode 600)")


def _register_optional_groups() -> None:
    from smarchive.sandbox.cli import sandbox

    cli.add_command(sandbox)


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
