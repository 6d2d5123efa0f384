"""Logged-in browser states: made once by `smarchive login PLATFORM`, used by every capture.

Instagram shows almost nothing and LinkedIn redirects to an auth wall when logged out, so those
captures start from a stored browser state (cookies and local storage). The state is a secret:
it is written with mode 0600 in a 0700 folder, never into the archive, and the login itself does
not go through the recording proxy (a password must never land in a WARC). The cookies a capture
then sends are removed from every WARC record (smarchive.archive.warc).
"""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Playwright
from playwright.sync_api import Error as PlaywrightError

from smarchive.capture.browser import launch_options
from smarchive.errors import CaptureError, SmarchiveError

STATE_DIR_ENV = "SMARCHIVE_STATE_DIR"
log = logging.getLogger(__name__)


def state_dir() -> Path:
    default = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "smarchive"
    return Path(os.environ.get(STATE_DIR_ENV, default))


def state_path(pipeline: str, platform: str) -> Path:
    """One state per pipeline and platform: the sandbox's logins never mix with the real ones."""
    return state_dir() / pipeline / f"{platform}.json"


def save_state(state: dict, path: Path) -> Path:
    """Write a browser state readable by its owner only, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def load_state(pipeline: str, platform: str) -> dict | None:
    """The stored state for a platform, or None. A state others can read is refused."""
    path = state_path(pipeline, platform)
    if not path.exists():
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SmarchiveError(f"login state {path} is readable by others (mode {mode:o}): "
                             f"run `chmod 600 {path}` or `smarchive login {platform}` again")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SmarchiveError(f"login state {path} is unreadable ({e}): "
                             f"run `smarchive login {platform}` again") from None


def perform_login(pw: Playwright, adapter, account_url: str, username: str, password: str) -> dict:  # noqa: ANN001
    """Log in with a fresh browser that is NOT recorded; return its state (cookies, local storage)."""
    if not hasattr(adapter, "login"):
        raise SmarchiveError(f"smarchive has no login for platform {adapter.platform}")
    browser = pw.chromium.launch(**direct_launch_options(account_url))
    try:
        context = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm")
        page = context.new_page()
        try:
            adapter.login(page, account_url, username, password)
        except PlaywrightError as e:
            raise CaptureError(f"login to {adapter.platform} failed: {str(e).splitlines()[0]}") from None
        return context.storage_state()
    finally:
        browser.close()


DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY")
POLL_MS = 500  # how often the window is checked (and its state kept) while the person logs in


def has_display() -> bool:
    """True if a visible window can be opened here (an X11 or Wayland desktop, or Xvfb)."""
    return any(os.environ.get(name) for name in DISPLAY_VARIABLES)


def headed_login(pw: Playwright, start_url: str, done: threading.Event,
                 opened: Callable[[Page], None] | None = None) -> dict:
    """Open a visible browser (NOT recorded) at start_url for a person to log in however the platform asks
    (two-factor prompts, captchas); return its state once they close the window or `done` is set (Enter).

    The state is kept every POLL_MS while the window is open: closing Chromium's last window ends the
    browser, and its state can no longer be asked for then. `opened` gets the page once it is shown, for a
    caller that drives it (the tests fill the sandbox's form through it)."""
    browser = pw.chromium.launch(**headed_launch_options(start_url))
    try:
        context = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm", no_viewport=True)
        page = context.new_page()
        try:
            page.goto(start_url, wait_until="domcontentloaded")
        except PlaywrightError as e:  # the person can still type an address into the window
            log.warning("could not open %s: %s", start_url, str(e).splitlines()[0])
        if opened is not None:
            opened(page)
        return _wait_for_person(browser, context, done)
    finally:
        if browser.is_connected():
            browser.close()


def direct_launch_options(start_url: str, headless: bool = True) -> dict:
    """Chromium for a login, able to reach the real platform. The capture's options map every host name to
    NOTFOUND (a capture reaches the web only through its recording proxy, which resolves names); a login
    goes direct, unrecorded, so it keeps that rule only for the sandbox on loopback."""
    options = {**launch_options(), "headless": headless}
    if urlsplit(start_url).hostname not in ("127.0.0.1", "localhost"):
        options["args"] = [a for a in options["args"] if not a.startswith("--host-resolver-rules=")]
    return options


def headed_launch_options(start_url: str) -> dict:
    """Chromium for a person: visible, direct (see direct_launch_options)."""
    return direct_launch_options(start_url, headless=False)


def _wait_for_person(browser: Browser, context: BrowserContext, done: threading.Event) -> dict:
    """The context's state when the person is done: Enter pressed, or every window closed."""
    state: dict = context.storage_state()
    while not done.is_set() and browser.is_connected() and context.pages:
        try:
            state = context.storage_state()
            context.pages[0].wait_for_timeout(POLL_MS)
        except PlaywrightError:  # the window closed between the checks: the last state kept counts
            break
    try:
        return context.storage_state() if browser.is_connected() else state
    except PlaywrightError:
        return state


def enter_pressed(stream: TextIO) -> threading.Event:
    """An event set when a line (Enter) is read from `stream`; read in a daemon thread because
    Playwright's sync API must stay on the main thread."""
    event = threading.Event()

    def read() -> None:
        try:
            line = stream.readline()
        except (OSError, ValueError):  # no usable input: only closing the window ends the login
            return
        if line:  # an end of input (stdin from /dev/null) is not an Enter
            event.set()

    threading.Thread(target=read, name="login-enter", daemon=True).start()
    return event
