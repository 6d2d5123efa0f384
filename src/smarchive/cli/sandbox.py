"""`smarchive sandbox ...`: serve the sandbox, print what a perfect capture must find.

Both take the world's shape from a pipeline's `[sandbox]` table (default: pipelines/sandbox.toml, what
`make demo` captures), so `sandbox truth --year 2024` counts what the demo's capture holds; --seed,
--posts-per-year and --comments-per-post override it. The sandbox modules are imported inside the
commands: `smarchive --help` must not pay for building a world.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from smarchive.errors import SmarchiveError

if TYPE_CHECKING:
    from smarchive.sandbox.content import SandboxConfig


def _world_options(command):  # type: ignore[no-untyped-def]
    """The options that shape the world, shared by serve and truth (unset: the pipeline's value)."""
    command = click.option("--seed", type=int, default=None, help="Default: the pipeline's.")(command)
    command = click.option("--comments-per-post", type=click.IntRange(0, 100), default=None,
                           help="Upper bound; counts vary per post. Default: the pipeline's.")(command)
    command = click.option("--posts-per-year", type=click.IntRange(0, 500), default=None,
                           help="Default: the pipeline's.")(command)
    command = click.option("--pipeline", "pipeline_name", default="sandbox", show_default=True,
                           help="Pipeline whose [sandbox] table gives the world's scale, seed and faults.")(command)
    return command


def _config(pipeline_name: str, posts_per_year: int | None, comments_per_post: int | None,
            seed: int | None) -> SandboxConfig:
    """The pipeline's sandbox settings (those SandboxConfig knows), with the options given on top."""
    from smarchive.config import load_pipeline
    from smarchive.sandbox.content import SandboxConfig

    pipeline = load_pipeline(pipeline_name)
    if pipeline.sandbox is None:
        raise SmarchiveError(f"pipeline {pipeline.name} does not run on the sandbox (no `sandbox = true` in [job])")
    known = {f.name for f in dataclasses.fields(SandboxConfig)}
    settings = {k: v for k, v in pipeline.sandbox.items() if k in known}
    given = {"posts_per_year": posts_per_year, "comments_per_post": comments_per_post, "seed": seed}
    settings.update({k: v for k, v in given.items() if v is not None})
    return SandboxConfig(**settings)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.group("sandbox")
def sandbox() -> None:
    """A local imitation of the platforms, for developing and testing the capture."""


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address only.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port.")
@_world_options
def serve(host: str, port: int, pipeline_name: str, posts_per_year: int | None, comments_per_post: int | None,
          seed: int | None) -> None:
    """Serve the sandbox until SIGTERM or Ctrl-C."""
    from smarchive.sandbox.server import SandboxServer

    if not _loopback(host):
        raise click.UsageError(f"--host {host} is not a loopback address; the sandbox serves 127.0.0.1 only")
    server = SandboxServer(_config(pipeline_name, posts_per_year, comments_per_post, seed), host=host, port=port)
    try:
        url = server.start()
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"sandbox listening on {url}")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):  # a timed wait lets the signal handler run promptly
            pass
    finally:
        server.stop()


@sandbox.command()
@click.option("--year", type=int, required=True)
@click.option("--platform", default=None, help="Only this platform (e.g. facebook).")
@_world_options
def truth(year: int, platform: str | None, pipeline_name: str, posts_per_year: int | None,
          comments_per_post: int | None, seed: int | None) -> None:
    """Print the items of YEAR a perfect capture must find, one JSON object a line."""
    from smarchive.sandbox.content import build_world
    from smarchive.sandbox.truth import truth as truth_items

    world = build_world(_config(pipeline_name, posts_per_year, comments_per_post, seed))
    for item in truth_items(world, year, platform):
        # bytes: click writes them to the binary stream, so the output is UTF-8 whatever the locale
        click.echo(json.dumps(item, ensure_ascii=False).encode("utf-8"))


@sandbox.command("export")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write one ZIP per account into (<account-id>.zip).")
@click.option("--account", "accounts", multiple=True, help="Only this account of the pipeline (repeatable).")
@click.option("--format", "form", type=click.Choice(["json", "html"]), default="json", show_default=True,
              help="Facebook and Instagram: Meta's JSON or HTML format (YouTube and LinkedIn have one format).")
@_world_options
def export(out_dir: Path, accounts: tuple[str, ...], form: str, pipeline_name: str, posts_per_year: int | None,
           comments_per_post: int | None, seed: int | None) -> None:
    """Write the sandbox accounts' own data exports (Facebook, Instagram, YouTube Takeout, LinkedIn), from its
    truth, as the platforms deliver them: for `smarchive import` without network."""
    from smarchive.config import load_pipeline
    from smarchive.sandbox.content import build_world
    from smarchive.sandbox.export import WRITERS, export_account

    world = build_world(_config(pipeline_name, posts_per_year, comments_per_post, seed))
    chosen = [a for a in load_pipeline(pipeline_name).select(accounts) if a.platform in WRITERS]
    if not chosen:
        raise SmarchiveError(f"no account of {', '.join(WRITERS)} to export in pipeline {pipeline_name}")
    for account in chosen:
        handle = account.handle or account.url.rstrip("/").rsplit("/", 1)[-1]
        try:
            path = export_account(world, account.platform, handle, out_dir / f"{account.id}.zip", form)
        except ValueError as e:
            raise SmarchiveError(f"{account.id}: {e}") from None
        click.echo(f"{account.id}: {path}")
