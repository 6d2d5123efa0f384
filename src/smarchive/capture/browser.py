"""Launching Debian's Chromium under Playwright, the way this machine needs it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from smarchive.errors import SmarchiveError

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")

# Without these, Chromium calls Google hosts on start (refused on a closed network, and noise in a WARC).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]


def find_chromium() -> str:
    """Path of the Chromium binary; SMARCHIVE_CHROMIUM overrides. Raises with install advice."""
    override = os.environ.get("SMARCHIVE_CHROMIUM")
    if override:
        if Path(override).is_file() and os.access(override, os.X_OK):
            return override
        raise SmarchiveError(f"Chromium not found: SMARCHIVE_CHROMIUM={override} is not an executable file "
                             "(install Debian's browser with `sudo apt-get install chromium`)")
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    raise SmarchiveError(
        "Chromium not found: install Debian's browser with `sudo apt-get install chromium` "
        "(or run scripts/setup.sh), or set SMARCHIVE_CHROMIUM to its path"
    )


def launch_options(proxy_port: int | None = None) -> dict:
    """Keyword arguments for playwright's chromium.launch()."""
    options: dict = {"executable_path": find_chromium(), "args": list(CHROMIUM_ARGS), "headless": True}
    if proxy_port is not None:
        # "<-loopback>" removes Chromium's implicit bypass of 127.0.0.1, so the sandbox is recorded too.
        options["proxy"] = {"server": f"http://127.0.0.1:{proxy_port}", "bypass": "<-loopback>"}
    return options
