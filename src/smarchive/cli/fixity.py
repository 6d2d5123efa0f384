"""`smarchive seal`: seal the fixity ledger's state now (runs and culls seal by themselves).

The work is done in smarchive.archive.seal; docs/fixity.md says what a seal holds and how verify checks it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from smarchive.cli.common import EXIT_FAILED
from smarchive.errors import SmarchiveError


@click.command("seal")
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
@click.option("--pipeline", "pipeline_name", default="sandbox", show_default=True,
              help="Pipeline whose [seal] table names the signing key and the time-stamp authority.")
@click.option("--adopt", is_flag=True, help="First record in the ledger every file it does not know, as it is now "
              "(an archive written before smarchive kept a ledger): run `smarchive verify` first.")
def seal_command(archive: Path, pipeline_name: str, adopt: bool) -> None:
    """Seal the archive's fixity ledger: digest, signature and RFC 3161 time-stamp as configured.

    Exit 1 if a configured signature or time-stamp could not be made (the digest-only seal is kept)."""
    from smarchive.archive.ledger import adopt as adopt_files
    from smarchive.archive.ledger import ledger_files, new_session_id
    from smarchive.archive.seal import seal
    from smarchive.config import load_pipeline

    pipeline = load_pipeline(pipeline_name)
    if adopt:
        if not (archive / "manifest").is_dir():
            raise SmarchiveError(f"no manifest in {archive}: nothing to adopt (pass --archive?)")
        adopted = adopt_files(archive, new_session_id("adopt"))
        click.echo(f"adopted {len(adopted)} file(s) the ledger did not know")
    if not ledger_files(archive):
        raise SmarchiveError(f"no fixity ledger in {archive} (nothing recorded to seal; pass --archive, or "
                             "--adopt for an archive written before smarchive kept a ledger)")
    result = seal(archive, pipeline.seal, "smarchive seal")
    click.echo(f"sealed: {result.summary()}")
    for warning in result.warnings:
        click.echo(f"seal: warning: {warning}", err=True)
    if result.warnings:
        sys.exit(EXIT_FAILED)
