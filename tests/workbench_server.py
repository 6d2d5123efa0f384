"""The workbench for tests: users of each role, and the real servers (uvicorn) on free 127.0.0.1 ports: the
workbench and its replay origin, in one thread on one event loop, as `smarchive serve` runs them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from smarchive.cli.serve import serve_both, settings_for
from smarchive.workbench import users
from smarchive.workbench.app import make_app, make_replay_app

from conftest import free_port

PASSWORDS = {"anna": "anna-arkivarie-2024", "rolf": "rolf-registrator-2024", "lisa": "lisa-lasare-2024"}
ROLES = {"anna": "archivist", "rolf": "registrar", "lisa": "reader"}


def add_users(archive: Path) -> Path:
    path = users.users_path(archive)
    for name, role in ROLES.items():
        users.add(path, name, role, PASSWORDS[name])
    return path


class Base(str):
    """The workbench's base URL; `.replay` is the replay origin's."""

    replay: str


@contextmanager
def running(archive: Path, pipeline: str) -> Iterator[Base]:
    """`smarchive serve` in a thread; yields its base URL and stops it afterwards, also on failure."""
    port, replay_port = free_port(), free_port()
    base = Base(f"http://127.0.0.1:{port}")
    base.replay = f"http://127.0.0.1:{replay_port}"
    settings = settings_for(archive, pipeline, None, False, base, base.replay)
    loop = asyncio.new_event_loop()
    task: list[asyncio.Task] = []

    def run() -> None:
        task.append(loop.create_task(serve_both(make_app(settings), make_replay_app(settings), "127.0.0.1", port,
                                                replay_port)))
        try:
            loop.run_until_complete(task[0])
        except asyncio.CancelledError:  # the stop below: serve_both has stopped both servers
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not all(answers(url) for url in (base + "/login", base.replay + "/replay/LICENSE")):
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the workbench did not start")
            time.sleep(0.05)
        yield base
    finally:
        if task:
            loop.call_soon_threadsafe(task[0].cancel)
        thread.join(timeout=15)
        loop.close()


def answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.HTTPError:
        return False
