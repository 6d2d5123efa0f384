"""`smarchive deliver`: the year's SIP for the city archive (E-ARK CSIP/SIP 2.1 = FGS Paketstruktur 2.0)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from smarchive.cli.common import EXIT_FAILED, check_year
from smarchive.errors import SmarchiveError


@click.command("deliver")
@click.option("--year", type=int, required=True, help="The calendar year to deliver.")
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
@click.option("--pipeline", "pipeline_name", default="sandbox", show_default=True,
              help="Pipeline: its operator is the archive creator and submitter; its [storage] holds the media.")
@click.option("--out", "out", type=click.Path(path_type=Path),
              help="A new folder for the package(s) (default: ARCHIVE/delivery/YEAR-<UTC time>). Must not exist.")
@click.option("--format", "fmt", type=click.Choice(["dir", "tar", "zip"]), default="dir", show_default=True,
              help="The package as a folder, or one .tar / .zip file per package (named by its OBJID).")
@click.option("--per-account", is_flag=True, help="One package per account instead of one for the whole year.")
@click.option("--pdf", is_flag=True, help="Also each account's rendition as one PDF/A-2b file (WeasyPrint).")
def deliver_command(year: int, archive: Path, pipeline_name: str, out: Path | None, fmt: str,
                    per_account: bool, pdf: bool) -> None:
    """Write the SIP(s) of YEAR: captures (WARC, WACZ), an HTML rendition and the manifest, with METS and PREMIS.

    Only what is kept goes in: culled items are out (their tombstones and gallringsdokument are in); items that
    are still cull-eligible are left out and listed in documentation/delivery-report.csv. See docs/delivery.md.
    """
    from smarchive.archive.ledger import new_session_id, recording, written
    from smarchive.archive.manifest import write_delivery
    from smarchive.archive.s3store import open_storage
    from smarchive.config import load_pipeline
    from smarchive.deliver.package import Request, deliver

    check_year(year)
    pipeline = load_pipeline(pipeline_name)
    created = datetime.now(UTC).replace(microsecond=0)
    out = out or archive / "delivery" / f"{year}-{created.strftime('%Y%m%dT%H%M%SZ')}"
    if not (archive / "manifest").is_dir():
        raise SmarchiveError(f"no manifest in {archive} (run `smarchive capture` first, or pass --archive)")
    storage = open_storage(pipeline.storage, archive.resolve())
    request = Request(archive, year, storage, pipeline.operator or pipeline.name, pipeline.name, out, fmt,
                      per_account, created, pipeline.objid, pdf)
    done = deliver(request, lambda message: click.echo(message, err=True))
    with recording(archive, new_session_id("deliver")):
        for package in done:
            _record(archive, package, year, created, fmt, written)
            write_delivery(archive, {
                "objid": package.objid, "year": year, "accounts": package.accounts, "items": package.items,
                "culled": package.culled, "not_delivered": package.not_delivered, "files": package.files,
                "bytes": package.bytes, "mets_sha256": package.mets_sha256, "created_at": created, "format": fmt,
                "path": _shown(package.path, archive)})
    for package in done:
        for warning in package.warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(f"{package.objid}: {len(package.accounts)} account(s), {package.items} items delivered, "
                   f"{package.culled} culled, {package.not_delivered} not delivered (cull-eligible, listed in "
                   f"documentation/delivery-report.csv); {package.files} files, {package.bytes} bytes -> "
                   f"{package.path}")
    click.echo(f"delivered {len(done)} package(s) of {year} -> {out}; check one with "
               f"`smarchive verify --package {done[0].path}`")


def _shown(path: Path, archive: Path) -> str:
    try:
        return path.resolve().relative_to(archive.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def _record(archive: Path, package, year: int, created: datetime, fmt: str, written) -> None:  # noqa: ANN001
    """A package written inside the archive goes into its fixity ledger (verify would call it a stray otherwise)."""
    try:
        package.path.resolve().relative_to(archive.resolve())
    except ValueError:
        return
    files = [package.path] if package.path.is_file() else sorted(p for p in package.path.rglob("*") if p.is_file())
    for path in files:
        written(path)


def verify_package(package: Path) -> None:
    """`verify --package PATH` (a folder, .tar or .zip): every file re-hashed against the METS, the structure and
    the schemas; exit 1 on any problem."""
    import sys

    from smarchive.deliver.check import check_package, unpacked
    from smarchive.deliver.validate import WRONG_RULES

    with unpacked(package) as folder:
        report = check_package(folder)
    click.echo(f"checked {report.files_checked} files listed in the METS of {folder.name}, re-hashed (SHA-256); "
               "METS and PREMIS against their XSDs, every METS against the E-ARK CSIP/SIP Schematron")
    failed: dict[str, int] = {}
    for exception in report.exceptions:  # "METS.xml: CSIP63 (file) at ...": counted by rule
        rule = exception.split(": ", 1)[-1].split(" ", 1)[0]
        failed[rule] = failed.get(rule, 0) + 1
    for rule, count in sorted(failed.items()):
        why = ("listed as wrong in the E-ARK rule set" if rule in WRONG_RULES else
               "written for the root METS, failed on a representation METS")
        click.echo(f"note: Schematron rule {rule} failed {count} time(s); {why} (docs/delivery.md), so it does not "
                   "count")
    for problem in report.problems:
        click.echo(f"PROBLEM: {problem}")
    if report.ok:
        click.echo("verify: package OK, nothing missing, extra or different")
    else:
        click.echo(f"verify: {len(report.problems)} problem(s)")
        sys.exit(EXIT_FAILED)
