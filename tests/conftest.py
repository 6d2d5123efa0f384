"""Shared fixtures: one real capture of the sandbox, reused by the tests that inspect its outputs."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SMALL = {"seed": 1748, "posts_per_year": 6, "comments_per_post": 5}


def write_pipeline(folder: Path, sandbox: dict, accounts: str | None = None) -> Path:
    """A sandbox pipeline at a small scale, using the project's retention rules."""
    path = folder / "small-sandbox.toml"
    settings = "\n".join(f"{k} = {v}" for k, v in sandbox.items())
    path.write_text(f"""
[job]
name = "sandbox-small"
operator = "smarchive tests"
sandbox = true
retention = "{PROJECT / 'retention'}"

[sandbox]
{settings}

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


def run_capture(archive: Path, pipeline: Path, year: int, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smarchive", "capture", "--year", str(year), "--pipeline", str(pipeline),
         "--archive", str(archive), *extra],
        capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONUNBUFFERED": "1"},
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
