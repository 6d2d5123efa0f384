"""Shared fixtures: one real capture of the sandbox, reused by the tests that inspect its outputs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from smarchive.model import Account
from smarchive.retention.tag import RetentionEngine, Tag

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PROJECT = Path(__file__).resolve().parents[1]
SMALL = {"seed": 1748, "posts_per_year": 6, "comments_per_post": 5}


# The demo's Facebook account, as the tests' small pipelines register it.
FACEBOOK = Account(id="facebook-orebrokommun", platform="facebook", name="Örebro kommun",
                   url="sandbox:/facebook/orebrokommun", handle="orebrokommun")


def register_toml(*accounts: Account) -> str:
    """The [[account]] tables of a register for the tests' pipelines (a handle only where the account has one)."""
    tables = []
    for account in accounts:
        handle = f'handle = "{account.handle}"\n' if account.handle else ""
        tables.append(f'\n[[account]]\nid = "{account.id}"\nplatform = "{account.platform}"\nname = "{account.name}"\n'
                      f'url = "{account.url}"\n{handle}')
    return "".join(tables)


def write_pipeline(folder: Path, sandbox: dict, accounts: str | None = None, storage: str = "") -> Path:
    """A sandbox pipeline at a small scale, using the project's retention rules.

    `storage` is the body of a [storage] table (TOML), empty for the local default.
    """
    path = folder / "small-sandbox.toml"
    settings = "\n".join(f"{k} = {v}" for k, v in sandbox.items())
    storage_table = f"[storage]\n{storage}" if storage else ""
    path.write_text(f"""
[job]
name = "sandbox-small"
operator = "smarchive tests"
sandbox = true
retention = "{PROJECT / 'src' / 'smarchive' / 'retention' / 'rules'}"

[sandbox]
{settings}

{storage_table}

{accounts or '''
[[account]]
id = "facebook-orebrokommun"
platform = "facebook"
name = "Örebro kommun (sandbox)"
url = "sandbox:/facebook/orebrokommun"
handle = "orebrokommun"

[[account]]
id = "snapchat-orebrokommun"
platform = "snapchat"
name = "Örebro kommun"
archivable = false
reason = "Advertising only; content lasts 24 hours."
'''}
""", encoding="utf-8")
    return path


@dataclass
class CaptureRun:
    archive: Path
    result: subprocess.CompletedProcess
    year: int
    sandbox: dict


def run_capture(archive: Path, pipeline: Path, year: int, *extra: str,
                env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smarchive", "capture", "--year", str(year), "--pipeline", str(pipeline),
         "--archive", str(archive), *extra],
        capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )


@pytest.fixture(scope="session")
def sandbox_capture(tmp_path_factory) -> CaptureRun:
    """`smarchive capture --year 2024` on a small sandbox; the sandbox is stopped when it returns."""
    folder = tmp_path_factory.mktemp("capture")
    pipeline = write_pipeline(folder, SMALL)
    archive = folder / "archive"
    result = run_capture(archive, pipeline, 2024)
    assert result.returncode == 0, f"capture failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    return CaptureRun(archive, result, 2024, SMALL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def pywb_replay(warcs: list[Path]) -> Iterator[str]:
    """pywb serving `warcs` on 127.0.0.1; yields the collection's base URL, stops pywb afterwards.

    Replay URLs: f"{base}/2id_/{url}" gives the recorded bytes, f"{base}/2mp_/{url}" the page
    rewritten for a browser.
    """
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "wayback").exists():
        import pytest

        pytest.skip("pywb is not installed")
    root = Path(tempfile.mkdtemp(prefix="pywb-"))
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = None
    try:
        subprocess.run([bin_dir / "wb-manager", "init", "smarchive"], cwd=root, check=True, env=env,
                       capture_output=True)
        for warc in warcs:
            subprocess.run([bin_dir / "wb-manager", "add", "smarchive", str(warc)], cwd=root, check=True, env=env,
                           capture_output=True)
        port = free_port()
        proc = subprocess.Popen([bin_dir / "wayback", "-b", "127.0.0.1", "-p", str(port)], cwd=root, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("pywb did not start") from None
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/smarchive"
    finally:
        if proc is not None:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=20)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def demo_capture(tmp_path_factory) -> CaptureRun:
    """What `make demo` makes: `smarchive capture --year 2024` with the embedded sandbox pipeline, every account.

    Captured once per test session (about 2-3 minutes). Tests that change the archive work on a copy
    (`copy_archive`), so the others see it as captured.
    """
    folder = tmp_path_factory.mktemp("demo")
    archive = folder / "archive"
    result = run_capture(archive, PROJECT / "pipelines" / "sandbox.toml", 2024)
    assert result.returncode == 0, f"demo capture failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    return CaptureRun(archive, result, 2024, {})


def copy_archive(archive: Path, dest: Path) -> Path:
    """A copy of an archive folder to change in a test (media in local storage come along)."""
    shutil.copytree(archive, dest, symlinks=True)
    return dest


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One real Chromium per test module (Debian's, with the project's launch flags)."""
    from playwright.sync_api import sync_playwright

    from smarchive.capture.browser import launch_options

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(**launch_options())
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def engine() -> RetentionEngine:
    """The package's rules, profile "orebro" (what `smarchive tag` uses without --profile)."""
    return RetentionEngine.load()


def citizen_comment(engine: RetentionEngine, text: str, published_at: str, item_id: str = "c") -> Tag:
    """The tag of a comment by a member of the public (not the account), without a thread around it."""
    return engine.tag({"id": item_id, "item_type": "comment", "author_is_account": False, "text": text,
                       "published_at": published_at})


def removed_and_held(tag: Tag) -> bool:
    """Registered, proposed for removal, held for an archivist, restricted and kept: how criminal items end."""
    return ({"register", "remove"} <= set(tag.actions) and tag.needs_review and tag.access == "restricted"
            and tag.retention == "preserve")


def assert_criminal_by_elements(tag: Tag, rule: str, text: str) -> None:
    """`rule` made the item criminal (removed and held) on two or more elements, each shown at its offsets."""
    assert tag.category == "criminal", tag.rule_ids
    assert rule in tag.rule_ids
    assert removed_and_held(tag)
    decided = [ev for ev in tag.evidence if ev.rule_id == rule and ev.kind == "lexicon"]
    assert len({ev.name for ev in decided}) >= 2
    assert all(text[ev.start:ev.end] == ev.text for ev in decided)
