"""Scale-out (#17): several browsers at once on one machine (`capture --workers N`), and account jobs on a
Celery queue with a real redis-server, served by real `smarchive worker` processes.

Every test runs the real pipeline (sandbox, Chromium, warcprox, manifest) and compares the manifest with the
sandbox's truth: nothing lost, nothing twice within a run.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from smarchive.archive.query import run_query
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.truth import truth
from smarchive.scaleout.local import BROWSER_MEMORY, choose_workers
from test_resume import check_archive

from conftest import PROJECT, run_capture, write_pipeline

SMALL = {"seed": 1748, "posts_per_year": 4, "comments_per_post": 3, "throttle_every": 0}
REGISTER = tomllib.loads((PROJECT / "pipelines" / "sandbox.toml").read_text(encoding="utf-8"))["account"]


def accounts_toml(ids: list[str]) -> str:
    """The sandbox register's [[account]] tables of `ids`, as TOML."""
    out = []
    for account in (a for a in REGISTER if a["id"] in ids):
        lines = [f"{k} = {v!r}".replace("'", '"') if isinstance(v, str) else f"{k} = {str(v).lower()}"
                 for k, v in account.items()]
        out.append("[[account]]\n" + "\n".join(lines))
    return "\n\n".join(out) + "\n"


def expected(sandbox: dict, ids: list[str]) -> dict[tuple[str, str], dict]:
    """What a perfect capture of the accounts `ids` finds in 2024 (the sandbox's truth)."""
    world = build_world(SandboxConfig(**sandbox))
    handles = {(a["platform"], a.get("handle", "")) for a in REGISTER if a["id"] in ids}
    return {(t["platform"], t["id"]): t for t in truth(world, 2024)
            if (t["platform"], t["account"]) in handles}


def test_workers_from_free_memory() -> None:
    said: list[str] = []
    assert choose_workers(None, 16, said.append, memory=9 * 1024**3) == 4  # 2 GiB a browser
    assert choose_workers(None, 3, said.append, memory=64 * 1024**3) == 3  # never more than the accounts
    assert choose_workers(None, 5, said.append, memory=BROWSER_MEMORY // 2) == 1  # always one
    assert not said
    assert choose_workers(6, 16, said.append, memory=5 * 1024**3) == 2
    assert said and "free memory holds 2 browser(s)" in said[0]


FOUR = ["facebook-orebrokommun", "instagram-orebrokommun", "youtube-orebrokommun", "podcast-vardagshjaltarna",
        "snapchat-orebrokommun"]


def test_capture_with_two_workers_is_a_whole_run(tmp_path: Path) -> None:
    """Four accounts (and Snapchat, skipped), two browsers at once: every item of the truth, once; one run row
    as a sequential run writes it; each account's progress on the terminal."""
    pipeline = write_pipeline(tmp_path, SMALL, accounts_toml(FOUR))
    archive = tmp_path / "archive"
    result = run_capture(archive, pipeline, 2024, "--workers", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    want = expected(SMALL, FOUR)
    check_archive(archive, want)
    runs = run_query(archive, "SELECT * FROM runs").to_pylist()
    assert len(runs) == 1
    run = runs[0]
    assert run["accounts"] == FOUR  # the register's order, whatever order they finished in
    assert run["accounts_skipped"] == ["snapchat-orebrokommun"] and not run["accounts_failed"]
    assert run["items"] == len(want)
    assert len(run["warc_files"]) == 4
    # Two processes browsed at once: each account started in a process of its own, and said so.
    started = re.findall(r"(\S+): started in process (\d+)", result.stderr)
    assert {a for a, _ in started} == set(FOUR) and len({p for _, p in started}) == len(FOUR)
    assert "2 browser(s) at once" in result.stderr
    for account in FOUR[:-1]:
        assert re.search(rf"{account}: captured \(on \S+-\d+\), \d+ items", result.stderr)
    # Every process wrote its own ledger file, all under the run.
    writers = list((archive / "ledger" / run["run_id"]).glob("*.jsonl"))
    assert len(writers) >= 5  # the coordinator and one per account
