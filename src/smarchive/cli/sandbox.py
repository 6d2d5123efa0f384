"""`smarchive sandbox ...`: serve the sandbox, print what a perfect capture must find."""

from __future__ import annotations

import ipaddress
import json
import signal
import sys
import threading

import click

from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.server import SandboxServer
from smarchive.sandbox.truth import truth as truth_items

DEFAULTS = SandboxConfig()


def _world_options(command):  # type: ignore[no-untyped-def]
    """The options that shape the world, shared by serve and truth."""
    command = click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True)(command)
    command = click.option("--comments-per-post", type=click.IntRange(0, 100), default=DEFAULTS.comments_per_post,
                           show_default=True, help="Upper bound; counts vary per post.")(command)
    command = click.option("--posts-per-year", type=click.IntRange(0, 500), default=DEFAULTS.posts_per_year,
                           show_default=True)(command)
    return command


def _config(posts_per_year: int, comments_per_post: int, seed: int) -> SandboxConfig:
    return SandboxConfig(seed=seed, posts_per_year=posts_per_year, comments_per_post=comments_per_post)


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
def serve(host: str, port: int, posts_per_year: int, comments_per_post: int, seed: int) -> None:
    """Serve the sandbox until SIGTERM or Ctrl-C."""
    if not _loopback(host):
        raise click.UsageError(f"--host {host} is not a loopback address; the sandbox serves 127.0.0.1 only")
    server = SandboxServer(_config(posts_per_year, comments_per_post, seed), host=host, port=port)
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
def truth(year: int, platform: str | None, posts_per_year: int, comments_per_post: int, seed: int) -> None:
    """Print the items of YEAR a perfect capture must find, one JSON object a line."""
    world = build_world(_config(posts_per_year, comments_per_post, seed))
    for item in truth_items(world, year, platform):
        # bytes: click writes them to the binary stream, so the output is UTF-8 whatever the locale
        click.echo(json.dumps(item, ensure_ascii=False).encode("utf-8"))
