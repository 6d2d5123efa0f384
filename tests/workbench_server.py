"""The workbench for tests: users of each role, and the real server (uvicorn) on a free 127.0.0.1 port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from smarchive.cli.serve import settings_for
from smarchive.workbench import users
from smarchive.workbench.app import make_app

from conftest import free_port

PASSWORDS = {"anna": "anna-arkivarie-2024", "rolf": "rolf-registrator-2024", "lisa": "lisa-lasare-2024"}
ROLES = {"anna": "archivist", "rolf": "registrar", "lisa": "reader"}


def add_users(archive: Path) -> Path:
    path = users.users_path(archive)
    for name, role in ROLES.items():
        users.add(path, name, role, PASSWORDS[name])
    return path


@contextmanager
def running(archive: Path, pipeline: str) -> Iterator[str]:
    """`smarchive serve` in a thread; yields its base URL and stops it afterwards, also on failure."""
    app = make_app(settings_for(archive, pipeline, None, secure=False))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the workbench did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
