"""`smarchive login PLATFORM --headed` (#12, item 8): a visible window for a person to log in, the state saved
as the plain login saves it; without a display, one line saying to do it on a desktop and where the file goes."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from smarchive.capture.login import direct_launch_options, headed_launch_options, headed_login
from smarchive.config import load_pipeline
from smarchive.pipeline import resolve_url, start_sandbox
from smarchive.platforms.facebook import FacebookAdapter
from smarchive.sandbox.facebook import SESSION_COOKIE
from smarchive.sandbox.launch import SANDBOX_CREDENTIALS

from conftest import SMALL, write_pipeline

needs_xvfb = pytest.mark.skipif(shutil.which("Xvfb") is None or shutil.which("xvfb-run") is None,
                                reason="Xvfb not installed (apt-get install xvfb)")


def login_cli(pipeline: Path, state_dir: Path, env: dict[str, str], *prefix: str,
              stdin: str = "") -> subprocess.CompletedProcess:
    without_display = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run([*prefix, sys.executable, "-m", "smarchive", "login", "facebook", "--pipeline",
                           str(pipeline), "--headed"], input=stdin, capture_output=True, text=True, timeout=300,
                          env={**without_display, "SMARCHIVE_STATE_DIR": str(state_dir), **env})


def test_headed_login_without_display_says_where_the_state_file_goes(tmp_path: Path) -> None:
    pipeline = write_pipeline(tmp_path, SMALL)
    result = login_cli(pipeline, tmp_path / "states", {})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    expected = tmp_path / "states" / "sandbox-small" / "facebook.json"
    assert len(lines) == 1 and "desktop" in lines[0] and str(expected) in lines[0], result.stderr
    assert not expected.exists()


@pytest.fixture
def xvfb_display(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A virtual X display for this process (Xvfb picks a free number and tells it on a pipe)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb not installed (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as f:
            number = f.readline().strip()
        assert number.isdigit(), "Xvfb did not start"
        monkeypatch.setenv("DISPLAY", f":{number}")
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@needs_xvfb
def test_headed_login_keeps_what_the_person_did_in_the_window(tmp_path: Path, xvfb_display: str) -> None:
    """The sandbox's login form filled through the visible window's own page, then the window closed."""
    pipeline = load_pipeline(str(write_pipeline(tmp_path, SMALL)))
    account = next(a for a in pipeline.accounts if a.platform == "facebook")
    with ExitStack() as stack:
        url = resolve_url(account.url, start_sandbox(pipeline, stack))
        pw = stack.enter_context(sync_playwright())

        def person(page: Page) -> None:
            FacebookAdapter().login(page, url, *SANDBOX_CREDENTIALS)
            page.close()  # what closing the window does to the page

        logged_in = headed_login(pw, url, threading.Event(), opened=person)
        pressed = threading.Event()
        pressed.set()  # Enter before logging in: a state without the session
        logged_out = headed_login(pw, url, pressed)
    assert SESSION_COOKIE in {c["name"] for c in logged_in["cookies"]}
    assert SESSION_COOKIE not in {c["name"] for c in logged_out["cookies"]}


@needs_xvfb
def test_headed_login_command_under_xvfb_saves_the_state_on_enter(tmp_path: Path) -> None:
    pipeline = write_pipeline(tmp_path, SMALL)
    result = login_cli(pipeline, tmp_path / "states", {}, "xvfb-run", "-a", stdin="\n")
    assert result.returncode == 0, result.stderr[-2000:]
    saved = tmp_path / "states" / "sandbox-small" / "facebook.json"
    assert saved.is_file() and stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert f"saved to {saved}" in result.stdout


def test_headed_browser_reaches_real_hosts_but_the_sandbox_stays_closed() -> None:
    """The capture's resolver rule (every host NOTFOUND, names resolved by the recording proxy) would leave a
    person on a desktop with an error page instead of the platform's login; the sandbox keeps it."""
    real = headed_launch_options("https://www.instagram.com/orebrokommun/")
    sandbox = headed_launch_options("http://127.0.0.1:8080/instagram/orebrokommun/")
    assert real["headless"] is False and sandbox["headless"] is False
    assert not any(a.startswith("--host-resolver-rules=") for a in real["args"])
    assert any(a.startswith("--host-resolver-rules=") for a in sandbox["args"])
    assert "proxy" not in real  # never through the recording proxy: a password must not land in a WARC
    plain = direct_launch_options("https://www.linkedin.com/company/orebro-kommun/")  # `login` without --headed
    assert plain["headless"] is True and not any(a.startswith("--host-resolver-rules=") for a in plain["args"])
