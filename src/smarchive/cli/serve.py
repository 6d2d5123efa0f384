"""`smarchive serve`: the archivists' workbench (smarchive.workbench) on 127.0.0.1, served by uvicorn."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from smarchive.errors import SmarchiveError


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def settings_for(archive: Path, pipeline_name: str, users_file: Path | None, secure: bool):  # noqa: ANN201
    from smarchive.archive.s3store import open_storage
    from smarchive.config import load_pipeline
    from smarchive.retention.tag import RetentionEngine
    from smarchive.workbench import replay, users
    from smarchive.workbench.app import Settings, session_secret

    if not (archive / "manifest").is_dir():
        raise SmarchiveError(f"no manifest in {archive} (run `smarchive capture` first, or pass --archive)")
    pipeline = load_pipeline(pipeline_name)
    engine = RetentionEngine.load(pipeline.retention_dir, profile=pipeline.retention_profile)
    path = users.users_path(archive, users_file)
    if not users.load(path):
        raise SmarchiveError(f"no users in {path}: add one first, e.g. `smarchive user add anna --role archivist "
                             f"--archive {archive}`")
    return Settings(archive=archive.resolve(), users_file=path, storage=open_storage(pipeline.storage,
                                                                                     archive.resolve()),
                    categories={cid: c.title for cid, c in engine.categories.items()},
                    secret=session_secret(archive), secure_cookies=secure, replay_dir=replay.assets_dir())


@click.command("serve")
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
@click.option("--pipeline", "pipeline_name", default="sandbox", show_default=True,
              help="Pipeline: [storage] of the media, the retention rules' categories.")
@click.option("--users", "users_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The users file (default: $SMARCHIVE_USERS, else ARCHIVE/workbench/users.toml).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback needs a TLS proxy in front (README): cookies are "
                   "then marked Secure.")
@click.option("--port", type=click.IntRange(0, 65535), default=8780, show_default=True)
def serve_command(archive: Path, pipeline_name: str, users_file: Path | None, host: str, port: int) -> None:
    """The archivists' workbench: find, view in context, decide, register and remove (a web application)."""
    import uvicorn

    from smarchive.workbench.app import make_app

    loopback = is_loopback(host)
    app = make_app(settings_for(archive, pipeline_name, users_file, secure=not loopback))
    if not loopback:
        click.echo(f"serving on {host}: put a TLS reverse proxy in front (session cookies are Secure-only)",
                   err=True)
    click.echo(f"workbench: http://{host}:{port}/  (archive {archive.resolve()}; Ctrl-C stops it)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, server_header=False)
