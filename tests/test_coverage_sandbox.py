"""End to end on the sandbox: replies hidden from the capture are reported, per post; the next run fetches them.

The sandbox's broken "N svar" buttons (SandboxConfig.broken_reply_buttons) answer without a reply while each
comment still shows its count: what a real platform does when it hides replies from a browser.
"""

from __future__ import annotations

import json
import subprocess
import sys

from smarchive.archive.query import run_query, saved_query
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.truth import truth

from conftest import FACEBOOK, register_toml, run_capture, write_pipeline

YEAR = 2024
SETTINGS = {"seed": 1748, "posts_per_year": 4, "comments_per_post": 4, "throttle_every": 0}
ACCOUNT = register_toml(FACEBOOK)


def posts_with_replies() -> list[str]:
    """The account's posts of the year with at least one reply, in time order (from the sandbox's truth)."""
    items = [t for t in truth(build_world(SandboxConfig(**SETTINGS)), YEAR, "facebook")
             if t["account"] == "orebrokommun"]
    with_replies = {t["post_id"] for t in items if t["item_type"] == "reply"}
    return [t["id"] for t in items if t["item_type"] == "post" and t["id"] in with_replies]


def short_posts(archive) -> set[str]:  # noqa: ANN001
    return {r["post_id"] for r in run_query(archive, saved_query("coverage"), {"year": YEAR}).to_pylist()}


def test_hidden_replies_make_the_run_incomplete_and_the_next_run_fetches_them(tmp_path):
    candidates = posts_with_replies()
    assert len(candidates) >= 2, "the sandbox's world should have posts with replies"
    broken = candidates[:2]
    archive = tmp_path / "archive"
    first = tmp_path / "first"
    first.mkdir()
    result = run_capture(archive, write_pipeline(first, {**SETTINGS, "broken_reply_buttons": broken}, ACCOUNT), YEAR)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "INCOMPLETE: facebook-orebrokommun" in result.stdout
    assert "coverage:" in result.stdout and "2 post(s) short" in result.stdout
    for post_id in broken:  # the worst posts are named by permalink in the log
        assert f"/posts/{post_id}" in result.stderr
    assert short_posts(archive) == set(broken)
    runs = run_query(archive, "SELECT accounts_incomplete FROM runs").to_pylist()
    assert runs == [{"accounts_incomplete": ["facebook-orebrokommun"]}]

    second = tmp_path / "second"
    second.mkdir()
    result = run_capture(archive, write_pipeline(second, SETTINGS, ACCOUNT), YEAR)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "0 post(s) short" in result.stdout
    assert short_posts(archive) == set()
    expected = {t["id"] for t in truth(build_world(SandboxConfig(**SETTINGS)), YEAR, "facebook")
                if t["account"] == "orebrokommun"}
    assert set(run_query(archive, "SELECT item_id FROM items").column("item_id").to_pylist()) == expected

    listed = subprocess.run([sys.executable, "-m", "smarchive", "query", "--archive", str(archive), "--saved",
                             "coverage", "--format", "json"], capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and [json.loads(line) for line in listed.stdout.splitlines()] == []
