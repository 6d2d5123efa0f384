"""The retention rules ship as package data: a wheel built from the project, installed in a fresh venv,
tags items exactly as the checkout does (issue #14). Before, the rules were found through a path into
the repository and an installed smarchive could not tag at all.

The embedded pipelines ship the same way (issue #11): the installed wheel, run from a folder outside the
checkout, captures a sandbox account with `--pipeline sandbox` and finds what `sandbox truth` lists."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from smarchive import __version__, config
from smarchive.archive.query import run_query
from smarchive.config import PACKAGE_PIPELINES, load_pipeline, resolve_pipeline
from smarchive.errors import ConfigError
from smarchive.retention.tag import DEFAULT_RETENTION_DIR, RetentionEngine, tag_jsonl

PROJECT = Path(__file__).resolve().parents[1]
ITEMS = PROJECT / "tests" / "data" / "eval3_dev.jsonl"
# A small sandbox account (2 episodes in 2024), so the installed capture stays short.
PODCAST = "podcast-sveriges-viktigaste-chefspodd"


@dataclass
class Installed:
    """A fresh venv holding only the wheel, and a folder outside the checkout to run it from."""
    venv: Path
    cwd: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.venv / "bin" / "smarchive"), *args], capture_output=True, text=True,
                              env=self.env, cwd=self.cwd, timeout=timeout)


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


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel built and installed once for this module's tests (a build takes tens of seconds)."""
    tmp = tmp_path_factory.mktemp("wheel")
    venv = _fresh_venv(tmp, _build_wheel(tmp))
    # No PYTHONPATH (it would put the checkout's sources first) and no pipeline folder of the user's.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SMARCHIVE_PIPELINES")}
    cwd = tmp / "elsewhere"
    cwd.mkdir()
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import smarchive; print(smarchive.__file__)"],
                           check=True, capture_output=True, text=True, env=env, cwd=cwd).stdout.strip()
    assert Path(where).is_relative_to(venv), f"smarchive imported from {where}, not the installed wheel"
    return Installed(venv, cwd, env)


def test_installed_wheel_tags_like_the_checkout(installed: Installed, tmp_path: Path) -> None:
    for profile in ("orebro", "osthammar"):
        installed_out = tmp_path / f"installed-{profile}.jsonl"
        proc = installed.run("tag", "--in", str(ITEMS), "--out", str(installed_out), "--profile", profile)
        assert proc.returncode == 0, proc.stderr
        checkout_out = tmp_path / f"checkout-{profile}.jsonl"
        tag_jsonl(ITEMS, checkout_out, RetentionEngine.load(profile=profile))
        installed_tags = [json.loads(line)["tag"] for line in installed_out.read_text(encoding="utf-8").splitlines()]
        checkout = [json.loads(line)["tag"] for line in checkout_out.read_text(encoding="utf-8").splitlines()]
        assert len(installed_tags) == len(checkout) == sum(1 for _ in ITEMS.open(encoding="utf-8"))
        assert installed_tags == checkout  # same categories, evidence and ruleset version (same rule files)


def test_shipped_pipelines_equal_the_checkouts() -> None:
    """The package's copy of pipelines/ is what an installed smarchive runs: it must not drift from the
    files the README and the tests name. After editing pipelines/*.toml, copy them:
    cp pipelines/*.toml src/smarchive/data/pipelines/"""
    checkout = {p.name: p.read_bytes() for p in (PROJECT / "pipelines").glob("*.toml")}
    shipped = {p.name: p.read_bytes() for p in PACKAGE_PIPELINES.glob("*.toml")}
    assert {"sandbox.toml", "orebro.toml", "accounts.toml"} <= set(shipped)
    assert shipped.keys() == checkout.keys()
    for name, data in checkout.items():
        assert shipped[name] == data, f"src/smarchive/data/pipelines/{name} differs from pipelines/{name}"


def test_pipeline_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A NAME is looked up in $SMARCHIVE_PIPELINES, then the checkout's pipelines/, then the package."""
    own = tmp_path / "own"
    own.mkdir()
    (own / "sandbox.toml").write_text((PROJECT / "pipelines" / "sandbox.toml").read_text("utf-8"), "utf-8")
    monkeypatch.setenv("SMARCHIVE_PIPELINES", str(own))
    assert resolve_pipeline("sandbox") == own / "sandbox.toml"  # the user's own wins
    assert resolve_pipeline("orebro") == config.PROJECT_ROOT / "pipelines" / "orebro.toml"  # not there: checkout

    # No checkout (as in an installed wheel, where PROJECT_ROOT is site-packages' parent): the package's copy,
    # whose register beside it is read too.
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path / "no-checkout")
    assert resolve_pipeline("orebro") == PACKAGE_PIPELINES / "orebro.toml"
    register = load_pipeline("orebro")
    assert "snapchat-orebrokommun" in {a.id for a in register.accounts}
    with pytest.raises(ConfigError, match="available: orebro, sandbox"):
        resolve_pipeline("nosuch")


def test_installed_wheel_knows_its_version_and_pipelines(installed: Installed) -> None:
    version = installed.run("--version")
    assert version.returncode == 0, version.stderr
    assert __version__ in version.stdout
    # The register template ships too: `accounts --pipeline orebro` lists it outside the checkout.
    register = installed.run("accounts", "--pipeline", "orebro")
    assert register.returncode == 0, register.stderr
    assert "facebook-orebrokommun" in register.stdout and "snapchat-orebrokommun" in register.stdout
    unknown = installed.run("capture", "--year", "2024", "--pipeline", "nosuch", "--archive", "a")
    assert unknown.returncode != 0 and "available: orebro, sandbox" in unknown.stderr


def test_installed_wheel_captures_the_sandbox(installed: Installed) -> None:
    """`capture --pipeline sandbox` from the wheel (real sandbox, Chromium, warcprox, DuckDB manifest) finds
    the account's items of the year that the installed `sandbox truth` lists, each with its text."""
    truth = installed.run("sandbox", "truth", "--year", "2024", "--platform", "podcast")
    assert truth.returncode == 0, truth.stderr
    want = {t["id"]: t for t in map(json.loads, truth.stdout.splitlines()) if t["account"] == "chefspodden"}
    assert want, "the sandbox's podcast has episodes in 2024"

    archive = installed.cwd / "archive"
    proc = installed.run("capture", "--year", "2024", "--pipeline", "sandbox", "--account", PODCAST,
                         "--archive", str(archive), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = run_query(archive, "SELECT account, item_id, text FROM items").to_pylist()
    assert {r["account"] for r in rows} == {PODCAST}
    assert sorted(r["item_id"] for r in rows) == sorted(want)
    assert all(r["text"] == want[r["item_id"]]["text"] for r in rows)
    # The replay package is built too (its tool is run through the interpreter, not a script beside it).
    assert (archive / "wacz" / "2024" / f"{PODCAST}.wacz").is_file()
