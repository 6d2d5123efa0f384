"""Links that open (#13): every replay_path of the demo's register opens, in pywb and Chromium with the sandbox
gone, on a page that shows the item's text; saved queries give the same links; no permalink points at the
sandbox's temporary port."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from smarchive.archive.query import run_query, saved_query

from conftest import pywb_replay


def normalized(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def register(demo_capture, tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("register") / "register-2024.csv"  # not into the shared demo archive
    r = subprocess.run([sys.executable, "-m", "smarchive", "register", "--year", "2024", "--archive",
                        str(demo_capture.archive), "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig")), delimiter=";"))


def page_texts(page) -> str:  # noqa: ANN001 (playwright Page)
    """What the page shows, in every frame (pywb shows the recorded page in a frame under its banner)."""
    texts = []
    for frame in page.frames:
        try:
            texts.append(frame.evaluate("document.body ? document.body.innerText : ''"))
        except Exception:  # noqa: BLE001 (a frame that went away while read shows nothing)
            continue
    return normalized(" ".join(texts))


def test_every_replay_path_of_the_register_opens_on_its_item(demo_capture, register):
    from playwright.sync_api import sync_playwright

    from smarchive.capture.browser import launch_options

    assert len(register) > 20, "the demo year has items to register"
    assert all(r["replay_path"] for r in register), "every row has a link"
    warcs = sorted(Path(demo_capture.archive, "warc").rglob("*.warc.gz"))
    opened, failed = 0, []
    with pywb_replay(warcs) as base, sync_playwright() as playwright:
        host = base.removesuffix("/smarchive")
        browser = playwright.chromium.launch(**launch_options())
        try:
            page = browser.new_page()
            for row in register:
                page.goto(f"{host}/{row['replay_path']}", wait_until="load", timeout=60_000)
                if normalized(row["text"]) in page_texts(page):
                    opened += 1
                else:
                    failed.append((row["item_id"], row["platform"], row["replay_path"]))
        finally:
            browser.close()
    print(f"replay paths that open on their item: {opened} of {len(register)}")
    assert not failed, f"{opened} of {len(register)} open on their item; not: {failed[:5]}"


def test_saved_queries_give_the_registers_links(demo_capture, register):
    saved = run_query(demo_capture.archive, saved_query("register-worklist"), {"year": 2024}).to_pylist()
    assert {r["item_id"]: r["replay_path"] for r in saved} == {r["item_id"]: r["replay_path"] for r in register}


def test_no_permalink_points_at_the_sandboxs_temporary_port(demo_capture, register):
    stored = run_query(demo_capture.archive, "SELECT DISTINCT permalink FROM items").column("permalink").to_pylist()
    assert stored and all(p.startswith("sandbox:/") for p in stored), [p for p in stored if "127.0.0.1" in p][:3]
    assert all(r["permalink"].startswith("sandbox:/") for r in register)
