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


def settings_for(archive: Path, pipeline_name: str, users_file: Path | None, secure: bool,  # noqa: ANN201
                 workbench_url: str = "", replay_url: str = ""):
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
                    secret=session_secret(archive), secure_cookies=secure, replay_dir=replay.assets_dir(),
                    workbench_url=workbench_url.rstrip("/"), replay_url=replay_url.rstrip("/"))


async def serve_both(app, replay_app, host: str, port: int, replay_port: int) -> None:  # noqa: ANN001
    """The workbench and its replay origin: two uvicorn servers on one event loop, started and stopped together
    (Ctrl-C stops both; one failing to start stops the other)."""
    import asyncio

    import uvicorn

    servers = [uvicorn.Server(uvicorn.Config(a, host=host, port=p, log_level="warning", access_log=False,
                                             server_header=False)) for a, p in ((app, port), (replay_app, replay_port))]
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for s in servers:
            s.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)


@click.command("serve")
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
@click.option("--pipeline", "pipeline_name", default="sandbox", show_default=True,
              help="Pipeline: [storage] of the media, the retention rules' categories.")
@click.option("--users", "users_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The users file (default: $SMARCHIVE_USERS, else ARCHIVE/workbench/users.toml).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback needs a TLS proxy in front (README): cookies are "
                   "then marked Secure.")
@click.option("--port", type=click.IntRange(1, 65535), default=8780, show_default=True)
@click.option("--replay-port", type=click.IntRange(1, 65535), default=None,
              help="Port of the replay origin (\"as it looked\": ReplayWeb.page and the WACZs, no sessions) "
                   "[default: --port + 1].")
@click.option("--url", "workbench_url", default=None,
              help="The workbench's address as browsers reach it (behind a proxy: https://arkiv.example.se) "
                   "[default: http://HOST:PORT].")
@click.option("--replay-url", default=None,
              help="The replay origin's address as browsers reach it: another host name or port than --url "
                   "(https://replay.arkiv.example.se) [default: http://HOST:REPLAY_PORT].")
def serve_command(archive: Path, pipeline_name: str, users_file: Path | None, host: str, port: int,
                  replay_port: int | None, workbench_url: str | None, replay_url: str | None) -> None:
    """The archivists' workbench: find, view in context, decide, register and remove (a web application)."""
    import asyncio

    from smarchive.workbench.app import make_app, make_replay_app

    loopback = is_loopback(host)
    replay_port = replay_port or port + 1
    if replay_port == port:
        raise click.UsageError("--replay-port must differ from --port (the replay is another origin)")
    if not loopback and not (workbench_url and replay_url):
        raise click.UsageError(f"--host {host} is not loopback: give --url and --replay-url, the addresses of "
                               "the TLS proxy in front (README)")
    workbench_url = workbench_url or f"http://{host}:{port}"
    replay_url = replay_url or f"http://{host}:{replay_port}"
    settings = settings_for(archive, pipeline_name, users_file, not loopback, workbench_url, replay_url)
    if settings.workbench_url == settings.replay_url:
        raise click.UsageError("--url and --replay-url must be different origins")
    if not loopback:
        click.echo(f"serving on {host}: put a TLS reverse proxy in front (session cookies are Secure-only)",
                   err=True)
    click.echo(f"workbench: {settings.workbench_url}/  replay: {settings.replay_url}/  (archive {archive.resolve()};"
               " Ctrl-C stops it)", err=True)
    asyncio.run(serve_both(make_app(settings), make_replay_app(settings), host, port, replay_port))
