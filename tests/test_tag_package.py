"""The retention rules ship as package data: a wheel built from the project, installed in a fresh venv,
tags items exactly as the checkout does (issue #14). Before, the rules were found through a path into
the repository and an installed smarchive could not tag at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from smarchive.retention.tag import DEFAULT_RETENTION_DIR, RetentionEngine, tag_jsonl

PROJECT = Path(__file__).resolve().parents[1]
ITEMS = PROJECT / "tests" / "data" / "eval3_dev.jsonl"


def _build_wheel(tmp: Path) -> Path:
    """Build from a copy of the sources, so no build/ or egg-info lands in the working tree."""
    src = tmp / "project"
    src.mkdir()
    shutil.copytree(PROJECT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PROJECT / name, src / name)
    dist = tmp / "dist"
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-w", str(dist), "-q"]
    try:
        import wheel  # noqa: F401  (bdist_wheel available: build offline against this venv's setuptools)
        cmd.append("--no-build-isolation")
    except ImportError:
        pass  # an isolated build fetches setuptools from the package index
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        if "--no-build-isolation" not in cmd and ("Could not find a version" in proc.stderr
                                                 or "NewConnectionError" in proc.stderr):
            pytest.skip("no wheel package here and the package index is unreachable for an isolated build")
        raise AssertionError(f"wheel build failed:\n{proc.stdout}\n{proc.stderr}")
    wheels = list(dist.glob("smarchive-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def _fresh_venv(tmp: Path, wheel_file: Path) -> Path:
    """A venv with only the wheel installed; the dependencies are borrowed from the running venv
    through a .pth line (which does not process that folder's own .pth files, so the checkout's
    editable install stays invisible)."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    # pip >= 22.3 installs into another interpreter's environment with --python.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "-q", str(wheel_file)], check=True, timeout=300)
    return venv


def test_rules_are_package_data() -> None:
    """The default rule folder is inside the package, with every file the loader needs."""
    assert DEFAULT_RETENTION_DIR.is_relative_to(PROJECT / "src" / "smarchive")
    for name in ("ruleset.toml", "rules.toml", "lexicons"):
        assert (DEFAULT_RETENTION_DIR / name).exists()


def test_installed_wheel_tags_like_the_checkout(tmp_path: Path) -> None:
    wheel_file = _build_wheel(tmp_path)
    venv = _fresh_venv(tmp_path, wheel_file)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SMARCHIVE_PIPELINES")}
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import smarchive; print(smarchive.__file__)"],
                           check=True, capture_output=True, text=True, env=env, cwd=tmp_path).stdout.strip()
    assert Path(where).is_relative_to(venv), f"smarchive imported from {where}, not the installed wheel"

    for profile in ("orebro", "osthammar"):
        installed_out = tmp_path / f"installed-{profile}.jsonl"
        proc = subprocess.run([str(venv / "bin" / "smarchive"), "tag", "--in", str(ITEMS), "--out",
                               str(installed_out), "--profile", profile],
                              capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
        assert proc.returncode == 0, proc.stderr
        checkout_out = tmp_path / f"checkout-{profile}.jsonl"
        tag_jsonl(ITEMS, checkout_out, RetentionEngine.load(profile=profile))
        installed = [json.loads(line)["tag"] for line in installed_out.read_text(encoding="utf-8").splitlines()]
        checkout = [json.loads(line)["tag"] for line in checkout_out.read_text(encoding="utf-8").splitlines()]
        assert len(installed) == len(checkout) == sum(1 for _ in ITEMS.open(encoding="utf-8"))
        assert installed == checkout  # same categories, evidence and ruleset version (same rule files)
