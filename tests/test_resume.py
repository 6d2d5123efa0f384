"""A run killed with SIGKILL at any point, then started again, finishes the job: nothing lost, nothing twice.

The default suite kills between accounts and twice mid-account (checking there that the pages captured
before the kill are kept, not fetched again), and kills Chromium under a capture; `-m slow` runs the
seeded fault-injection soak (20 kill points per platform) and prints its figures.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest

from smarchive.archive.query import run_query
from smarchive.archive.warc import SNAPSHOT_SCHEME, iter_headers
from smarchive.model import Account
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.truth import truth

from conftest import FACEBOOK, register_toml, run_capture, write_pipeline

SMALL = {"seed": 1748, "posts_per_year": 4, "comments_per_post": 3, "throttle_every": 0}
TWO_FACEBOOK = register_toml(FACEBOOK, Account(id="facebook-orebrokommun-teckensprak", platform="facebook",
                                               name="Örebro kommun – Teckenspråk",
                                               url="sandbox:/facebook/orebrokommunteckensprak",
                                               handle="orebrokommunteckensprak"))


def start_capture(archive: Path, pipeline: Path, read_progress: bool = True) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "smarchive", "capture", "--year", "2024", "--pipeline", str(pipeline),
         "--archive", str(archive)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE if read_progress else subprocess.DEVNULL, text=True,
        start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the whole job (Python, its proxy threads, Playwright's driver and Chromium), like a crash."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def kill_when(proc: subprocess.Popen, marker: str, timeout: float = 300) -> str:
    """Read progress lines until one contains `marker`, then kill. Returns what was read."""
    seen = []
    deadline = time.monotonic() + timeout
    for line in proc.stderr:
        seen.append(line)
        if marker in line or time.monotonic() > deadline:
            break
    kill(proc)
    return "".join(seen)


def expected(sandbox: dict, accounts: set[str], platform: str = "facebook") -> dict[tuple[str, str], dict]:
    world = build_world(SandboxConfig(**sandbox))
    return {(t["platform"], t["id"]): t for t in truth(world, 2024, platform) if t["account"] in accounts}


def check_archive(archive: Path, want: dict[tuple[str, str], dict]) -> dict[str, int]:
    """Nothing lost, nothing twice, every file whole. Returns the figures.

    A kill that lands after a run has finished (while the process is still shutting down) makes the
    next start a second, complete run: its captures are its own, never a duplicate within a run.
    """
    rows = run_query(archive, "SELECT run_id, platform, item_id, text FROM item_captures").to_pylist()
    per_run = [(r["run_id"], r["platform"], r["item_id"]) for r in rows]
    duplicated = len(per_run) - len(set(per_run))
    latest = run_query(archive, "SELECT platform, item_id, text FROM items").to_pylist()
    keys = [(r["platform"], r["item_id"]) for r in latest]
    lost = set(want) - set(keys)
    assert not lost, f"lost {len(lost)} items"
    assert duplicated == 0, f"{duplicated} items twice within a run"
    assert len(keys) == len(set(keys)) and set(keys) == set(want)
    assert all(r["text"] == want[(r["platform"], r["item_id"])]["text"] for r in latest)
    for warc in archive.rglob("*.warc.gz"):
        assert sum(1 for _ in iter_headers(warc)) > 0  # warcio reads every WARC to its end
    for parquet in (archive / "manifest").rglob("*.parquet"):
        pq.read_table(parquet)
    assert not list((archive / "runs-in-progress").glob("*.json")), "the journal is removed when the run is done"
    runs = run_query(archive, "SELECT run_id FROM runs").column("run_id").to_pylist()
    assert len(runs) in (1, 2) and {r["run_id"] for r in rows} <= set(runs), "every capture belongs to a finished run"
    return {"items": len(keys), "lost": len(lost), "duplicated": duplicated}


def test_killed_between_accounts_resumes_without_redoing_the_first(tmp_path):
    pipeline = write_pipeline(tmp_path, SMALL, TWO_FACEBOOK)
    archive = tmp_path / "archive"
    kill_when(start_capture(archive, pipeline), "facebook-orebrokommun: captured")
    first = sorted((archive / "warc" / "2024").glob("facebook-orebrokommun-2*.warc.gz"))
    assert len(first) == 1
    stamp = first[0].stat().st_mtime_ns
    again = run_capture(archive, pipeline, 2024)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resuming run" in again.stderr and "done before the interruption" in again.stderr
    assert first[0].stat().st_mtime_ns == stamp, "an account done before the crash is not captured again"
    check_archive(archive, expected(SMALL, {"orebrokommun", "orebrokommunteckensprak"}))


def test_killed_mid_capture_resumes(tmp_path):
    pipeline = write_pipeline(tmp_path, SMALL, TWO_FACEBOOK)
    archive = tmp_path / "archive"
    kill_when(start_capture(archive, pipeline), "post 2/")
    again = run_capture(archive, pipeline, 2024)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resuming run" in again.stderr
    check_archive(archive, expected(SMALL, {"orebrokommun", "orebrokommunteckensprak"}))
    assert not list(archive.rglob("*.part")), "no half-written file is left where a reader would find it"


def test_pages_done_before_the_kill_are_not_captured_again(tmp_path):
    one = TWO_FACEBOOK.split("[[account]]")[1]
    pipeline = write_pipeline(tmp_path, SMALL, "[[account]]" + one)
    archive = tmp_path / "archive"
    kill_when(start_capture(archive, pipeline), "post 2/")
    staging = next((archive / "staging").glob("*/facebook-orebrokommun"))
    assert list((staging / "proxy").glob("*.warc.gz.open")), "the killed proxy left its WARC open"
    done = {page["item_id"]: page["url"]
            for page in map(json.loads, (staging / "pages.jsonl").read_text().splitlines())}
    assert len(done) >= 2, "posts 1 and 2 were written down before their progress lines"

    again = run_capture(archive, pipeline, 2024)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"facebook-orebrokommun: resuming: {len(done)} page(s) captured before the interruption are kept" \
        in again.stderr
    for item_id in done:
        assert f"{item_id}: already captured" in again.stderr
    check_archive(archive, expected(SMALL, {"orebrokommun"}))
    assert not (archive / "staging").exists() or not any((archive / "staging").iterdir())

    [warc] = (archive / "warc" / "2024").glob("facebook-orebrokommun-*.warc.gz")
    check = subprocess.run([Path(sys.executable).parent / "warcio", "check", "-v", warc], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout[-2000:]
    records = [headers for _, headers in iter_headers(warc)]
    ids = {h["WARC-Record-ID"] for h in records}
    for item_id, url in done.items():
        # by path: the sandbox listens on a new port after the restart
        pages = [h for h in records if h["WARC-Type"] == "response"
                 and urlsplit(h.get("WARC-Target-URI", "")).path == urlsplit(url).path]
        assert len(pages) == 1, f"{url} was fetched again on resume ({len(pages)} captures)"
        snaps = [h for h in records if h.get("WARC-Target-URI") == SNAPSHOT_SCHEME + url]
        assert len(snaps) == 1 and snaps[0]["WARC-Smarchive-Item"] == item_id
        assert snaps[0]["WARC-Refers-To"] == pages[0]["WARC-Record-ID"] and pages[0]["WARC-Record-ID"] in ids


PLATFORMS = {
    "facebook": ("facebook-orebrokommun", "/facebook/orebrokommun", "orebrokommun"),
    "instagram": ("instagram-orebrokommun", "/instagram/orebrokommun/", "orebrokommun"),
    "linkedin": ("linkedin-orebrokommun", "/linkedin/company/orebro-kommun/", "orebro-kommun"),
    "youtube": ("youtube-orebrokommun", "/youtube/@orebrokommun/videos", "orebrokommun"),
    "podcast": ("podcast-vardagshjaltarna", "/podcast/vardagshjaltarna.rss", "vardagshjaltarna"),
}


def one_account(platform: str) -> str:
    """The [[account]] table of the platform's account in PLATFORMS."""
    account_id, path, handle = PLATFORMS[platform]
    return f'''
[[account]]
id = "{account_id}"
platform = "{platform}"
name = "{account_id}"
url = "sandbox:{path}"
handle = "{handle}"
'''


@pytest.mark.slow
@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_fault_injection_soak(platform, tmp_path):
    """20 seeded kill points over the whole length of a capture; after each, resume and compare with truth."""
    handle = PLATFORMS[platform][2]
    settings = {**SMALL, "throttle_every": 7}
    pipeline = write_pipeline(tmp_path, settings, one_account(platform))
    want = expected(settings, {handle}, platform)
    t0 = time.monotonic()
    baseline = run_capture(tmp_path / "baseline", pipeline, 2024)
    duration = time.monotonic() - t0
    assert baseline.returncode == 0
    rng = random.Random(f"kill-{platform}")
    figures = {"kill points": 0, "items compared": 0, "lost": 0, "duplicated": 0, "pages kept on resume": 0}
    for n in range(20):
        archive = tmp_path / f"archive-{n}"
        delay = rng.uniform(0.2, duration)
        proc = start_capture(archive, pipeline, read_progress=False)
        time.sleep(delay)
        if proc.poll() is None:
            kill(proc)
            again = run_capture(archive, pipeline, 2024)
            assert again.returncode == 0, again.stderr[-2000:]
            kept = re.search(r"resuming: (\d+) page\(s\)", again.stderr)
            figures["pages kept on resume"] += int(kept.group(1)) if kept else 0
        else:  # it finished before the kill point: nothing to resume (a second run would be a new capture)
            assert proc.returncode == 0
        result = check_archive(archive, want)
        figures["kill points"] += 1
        figures["items compared"] += result["items"]
        figures["lost"] += result["lost"]
        figures["duplicated"] += result["duplicated"]
    print(f"\n{platform}: {figures} (full capture {duration:.1f} s)")


def chromium_pids(root: int) -> list[int]:
    """Chromium browser processes (not its renderers or helpers) descending from a process."""
    parent, cmdlines = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdlines[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except (OSError, IndexError, ValueError):
                continue

    def descends(pid: int) -> bool:
        while pid > 1:
            pid = parent.get(pid, 0)
            if pid == root:
                return True
        return False

    return [pid for pid, cmd in cmdlines.items() if b"chromium" in cmd[0]
            and not any(a.startswith(b"--type=") for a in cmd) and descends(pid)]


def test_chromium_crash_mid_page_is_survived(tmp_path):
    one = TWO_FACEBOOK.split("[[account]]")[1]
    pipeline = write_pipeline(tmp_path, SMALL, "[[account]]" + one)
    archive = tmp_path / "archive"
    proc = start_capture(archive, pipeline)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "post 2/" in line:
            for pid in chromium_pids(proc.pid):
                os.kill(pid, signal.SIGKILL)
            break
    rest = proc.stderr.read()
    assert proc.wait(timeout=300) == 0, "".join(seen) + rest
    assert "Chromium crashed" in rest and "capturing the account anew" in rest
    assert "post 1/4" in "".join(seen) and "already captured" in rest, "the second browser skips pages done"
    runs = run_query(archive, "SELECT warnings FROM runs").to_pylist()
    assert any("Chromium crashed" in w for w in runs[0]["warnings"])
    check_archive(archive, expected(SMALL, {"orebrokommun"}))
