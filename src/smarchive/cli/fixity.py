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
def seal_command(archive: Path, pipeline_name: str) -> None:
    """Seal the archive's fixity ledger: digest, signature and RFC 3161 time-stamp as configured.

    Exit 1 if a configured signature or time-stamp could not be made (the digest-only seal is kept)."""
    from smarchive.archive.ledger import ledger_files
    from smarchive.archive.seal import seal
    from smarchive.config import load_pipeline

    pipeline = load_pipeline(pipeline_name)
    if not ledger_files(archive):
        raise SmarchiveError(f"no fixity ledger in {archive} (nothing recorded to seal; pass --archive?)")
    result = seal(archive, pipeline.seal, "smarchive seal")
    click.echo(f"sealed: {result.summary()}")
    for warning in result.warnings:
        click.echo(f"seal: warning: {warning}", err=True)
    if result.warnings:
        sys.exit(EXIT_FAILED)
