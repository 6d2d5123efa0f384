"""`smarchive import`: a platform's own data export into the archive, reconciled with the capture (#18)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from smarchive.cli.common import EXIT_FAILED, check_year
from smarchive.errors import SmarchiveError
from smarchive.model import Account


@click.command("import")
@click.argument("export", type=click.Path(path_type=Path))
@click.option("--account", "account_id", help="An account of the pipeline's register.")
@click.option("--pipeline", "pipeline_name", default="sandbox", show_default=True,
              help="The pipeline whose register holds the account, whose storage and retention rules apply.")
@click.option("--platform", help="With --owner: the platform the export is from.")
@click.option("--owner", help="With --platform: the account by handle, platform id or profile URL.")
@click.option("--year", type=int, help="Import only the items of this year (default: every item, in its year).")
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
def import_command(export: Path, account_id: str | None, pipeline_name: str, platform: str | None,
                   owner: str | None, year: int | None, archive: Path) -> None:
    """Import EXPORT (the platform's data download: the ZIP or its unpacked folder) for one account.

    The export is kept in the archive as received, its media stored, its items added to the manifest with
    source = export and tagged; then they are reconciled with the capture of the same account and years.
    Exits 1 if a file of the export could not be read (the rest is imported) or the export holds items the capture
    missed (the account is incomplete: coverage rows of kind missed-by-capture), 2 on wrong input (nothing written).
    """
    from smarchive.config import load_pipeline
    from smarchive.imports import read_export
    from smarchive.imports.owner import check_owner

    if year is not None:
        check_year(year)
    pipeline = load_pipeline(pipeline_name)
    account = resolve(pipeline, account_id, platform, owner, archive)
    read = read_export(export, platform=account.platform)
    check_owner(read, account)  # another account's export: refused before anything is written
    try:
        imported, reconciliation = write(read, account, year, archive, pipeline)
    except OSError as e:  # disk full, read-only: every file is written under a temporary name first
        where = e.filename or archive.resolve()
        click.echo(f"smarchive: error: cannot write {where} ({e.strerror or e}); the import stopped, files not "
                   "complete were not kept: free space or make the archive writable, then import again", err=True)
        sys.exit(EXIT_FAILED)
    report(read, account, imported, reconciliation)
    if read.problems or (reconciliation is not None and reconciliation.missed()):
        sys.exit(EXIT_FAILED)  # a file not read, or the account incomplete: what the capture missed


def resolve(pipeline, account_id: str | None, platform: str | None, owner: str | None,  # noqa: ANN001
            archive: Path) -> Account:
    if account_id and (platform or owner):
        raise SmarchiveError("give either --account, or --platform with --owner, not both")
    if account_id:
        (account,) = pipeline.with_known_ids(pipeline.select((account_id,)), archive)
        return account
    if not platform or not owner:
        raise SmarchiveError("name the account: --account ID (of the pipeline's register), or --platform P "
                             "--owner HANDLE|PLATFORM-ID|PROFILE-URL")
    from smarchive.cli.extract import owner_account
    from smarchive.config import PLATFORMS

    if platform not in PLATFORMS:
        raise SmarchiveError(f"unknown platform {platform!r} (known: {', '.join(sorted(PLATFORMS))})")
    return owner_account(platform, owner)


def write(read, account: Account, year: int | None, archive: Path, pipeline):  # noqa: ANN001, ANN201
    from datetime import UTC, datetime

    from smarchive.archive import ledger
    from smarchive.archive.manifest import write_account_table, write_items, write_run
    from smarchive.archive.s3store import open_storage
    from smarchive.imports.archiving import build_rows
    from smarchive.imports.reconcile import gap_rows, reconcile
    from smarchive.retention.tag import RetentionEngine

    engine = RetentionEngine.load(pipeline.retention_dir, profile=pipeline.retention_profile)
    storage = open_storage(pipeline.storage, archive)
    archive.mkdir(parents=True, exist_ok=True)
    run_id = ledger.new_session_id("import")
    started = datetime.now(UTC)
    with ledger.recording(archive, run_id):
        imported = build_rows(read, account, year, archive, storage, engine.tag_all, run_id)
        if imported.rows:
            write_items(archive, imported.rows, run_id)
        years = sorted({r["year"] for r in imported.rows})
        reconciliation = reconcile(archive, account.platform, account.id, years) if years else None
        # What the export has and the capture missed is a gap in the capture's coverage: a coverage file of this
        # import per captured year it reconciled (empty when nothing was missed), and the account incomplete.
        post_of = {r["item_id"]: r["post_id"] for r in imported.rows}
        for y in sorted(reconciliation.captured_years if reconciliation else ()):
            write_account_table(archive, "coverage", gap_rows(reconciliation, y, post_of, imported.export_file),
                                run_id, y, account.platform, account.id)
        missed = reconciliation.missed() if reconciliation else []
        write_run(archive, {
            "run_id": run_id, "job": "import", "pipeline_file": str(pipeline.path),
            "year": year if year is not None else None, "started_at": started, "finished_at": datetime.now(UTC),
            "accounts": [account.id], "accounts_failed": [], "accounts_skipped": [],
            "accounts_incomplete": [account.id] if missed else [],
            "items": len(imported.rows), "media": imported.media_stored, "warc_files": [imported.export_file],
            "warnings": [f"{account.id}: {p}" for p in read.problems] + read.notes,
            "errors": [incomplete_line(account, missed)] if missed else [],
            "software": imported.rows[0]["software"] if imported.rows else "", "operator": pipeline.operator})
    return imported, reconciliation


def incomplete_line(account: Account, missed: list[dict]) -> str:
    return (f"{account.id}: incomplete: {len(missed)} item(s) of the export missed by the capture (capture the "
            "year again, or keep the exported items as the record; smarchive query --saved coverage)")


def report(read, account: Account, imported, reconciliation) -> None:  # noqa: ANN001
    by_year = Counter((r["year"], r["item_type"]) for r in imported.rows)
    lines = [f"{account.id} ({account.platform}): {read.layout} export {read.source.path}",
             f"kept as {imported.export_file} (sha256 {imported.export_sha256})",
             f"imported {len(imported.rows)} items, {imported.media_stored} new media file(s)"
             + (f"; {imported.skipped_other_year} item(s) of other years left out" if imported.skipped_other_year
                else "")]
    for y in sorted({y for y, _ in by_year}):
        kinds = (("post", "posts"), ("comment", "comments"), ("reply", "replies"))
        lines.append(f"  {y}: " + ", ".join(f"{by_year[(y, t)]} {word}" for t, word in kinds))
    if read.repairs.count:
        lines.append(f"mojibake repaired in {read.repairs.count} string(s)")
    if imported.media_missing:
        lines.append(f"{len(imported.media_missing)} media file(s) referenced but not in the export, e.g. "
                     f"{imported.media_missing[0]}")
    lines += [f"note: {n}" for n in read.notes]
    if read.problems:
        lines.append(f"NOT READ ({len(read.problems)}): the rest was imported")
        lines += [f"  - {p}" for p in read.problems]
    if reconciliation is not None:
        lines.append(f"reconciliation with the capture: {reconciliation.summary()} "
                     "(smarchive query --saved reconcile)")
        if missed := reconciliation.missed():
            lines.append(incomplete_line(account, missed))
        for row in reconciliation.of("missed-by-capture"):
            lines.append(f"  missed by the capture: {row['item_type']} {row['published_local']} "
                         f"{row['export_id']} {(row['export_text'] or '')[:60]!r}")
        for row in reconciliation.of("text-differs"):
            lines.append(f"  text differs: {row['captured_item_id']} (matched by {row['matched_by']})")
    click.echo("\n".join(lines))
