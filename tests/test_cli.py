"""Bad input: one line on stderr naming the problem, a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def smarchive(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarchive", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("smarchive: error: ")
    for word in words:
        assert word in lines[0], lines[0]


def test_unknown_account(tmp_path):
    r = smarchive("capture", "--year", "2024", "--account", "facebook-nope", "--archive", str(tmp_path))
    assert_one_line_error(r, "unknown account", "facebook-nope")


def test_unknown_pipeline(tmp_path):
    r = smarchive("capture", "--year", "2024", "--pipeline", "nosuch", "--archive", str(tmp_path))
    assert_one_line_error(r, "unknown pipeline", "nosuch", "sandbox")


def test_year_in_future(tmp_path):
    r = smarchive("capture", "--year", str(date.today().year + 1), "--archive", str(tmp_path))
    assert_one_line_error(r, "future")


def test_year_before_2004(tmp_path):
    r = smarchive("capture", "--year", "2003", "--archive", str(tmp_path))
    assert_one_line_error(r, "2003", "2004")


def test_year_not_a_number(tmp_path):
    r = smarchive("capture", "--year", "tjugo", "--archive", str(tmp_path))
    assert_one_line_error(r, "tjugo")


def test_invalid_toml(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[job\nname = "x"\n')
    r = smarchive("capture", "--year", "2024", "--pipeline", str(bad), "--archive", str(tmp_path / "a"))
    assert_one_line_error(r, "invalid TOML", "bad.toml")


def test_unreadable_config(tmp_path):
    bad = tmp_path / "binary.toml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    r = smarchive("capture", "--year", "2024", "--pipeline", str(bad), "--archive", str(tmp_path / "a"))
    assert_one_line_error(r, "binary.toml")


def test_unknown_key_and_platform(tmp_path):
    bad = tmp_path / "typo.toml"
    bad.write_text('[job]\nname = "x"\nopertor = "y"\n')
    assert_one_line_error(smarchive("capture", "--year", "2024", "--pipeline", str(bad)), "unknown key", "opertor")
    bad.write_text('[job]\nname = "x"\n[[account]]\nid = "a"\nplatform = "myspace"\nname = "A"\nurl = "http://x"\n')
    assert_one_line_error(smarchive("capture", "--year", "2024", "--pipeline", str(bad)), "unknown platform", "myspace")


def test_chromium_missing(tmp_path):
    r = smarchive("capture", "--year", "2024", "--archive", str(tmp_path),
                  env={"SMARCHIVE_CHROMIUM": str(tmp_path / "no-chromium")})
    assert_one_line_error(r, "Chromium not found", "apt-get install chromium")


def test_archive_not_writable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    r = smarchive("capture", "--year", "2024", "--archive", str(blocker / "archive"))
    assert_one_line_error(r, "not writable", str(blocker))


def test_query_without_manifest(tmp_path):
    assert_one_line_error(smarchive("query", "--archive", str(tmp_path), "SELECT 1"), "no manifest")


def test_accounts_register_lists_snapchat_reason():
    r = smarchive("accounts", "--pipeline", "orebro")
    assert r.returncode == 0, r.stderr
    snap = [line for line in r.stdout.splitlines() if line.startswith("snapchat-orebrokommun")]
    assert snap and "not archivable" in snap[0]
    assert "facebook-orebrokommun" in r.stdout


@pytest.mark.parametrize("args", [["--help"], ["capture", "--help"]])
def test_help(args):
    r = smarchive(*args)
    assert r.returncode == 0 and "Usage" in r.stdout


def test_pipeline_cannot_point_outside(tmp_path):
    folder = tmp_path / "pipelines"
    folder.mkdir()
    bad = folder / "escape.toml"
    bad.write_text('[job]\nname = "x"\naccounts_file = "../../../../etc/passwd"\n')
    assert_one_line_error(smarchive("capture", "--year", "2024", "--pipeline", str(bad)), "outside", "passwd")
    bad.write_text('[job]\nname = "x"\nretention = "/etc"\n[[account]]\nid = "a"\nplatform = "web"\nname = "A"\n'
                   'url = "http://127.0.0.1:9/"\n')
    assert_one_line_error(smarchive("capture", "--year", "2024", "--pipeline", str(bad)), "outside", "/etc")


def test_hostile_toml_values(tmp_path):
    bad = tmp_path / "types.toml"
    bad.write_text('[job]\nname = "x"\n[[account]]\nid = 7\nplatform = "web"\nname = "A"\nurl = "http://x/"\n')
    assert_one_line_error(smarchive("capture", "--year", "2024", "--pipeline", str(bad)), "id")
    bad.write_text('account = "not a table"\n[job]\nname = "x"\n')
    assert_one_line_error(smarchive("capture", "--year", "2024", "--pipeline", str(bad)), "account")
    bad.write_text("[job]\nname = \"x\"\n" + "a" * 100_000 + " = 1\n")
    r = smarchive("capture", "--year", "2024", "--pipeline", str(bad))
    assert_one_line_error(r, "unknown key")
    assert len(r.stderr) < 500, "a hostile key is not echoed whole"
