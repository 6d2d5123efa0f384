"""The workbench in the real Chromium (Playwright), on the `make demo` archive: an archivist logs in, searches a
word, opens an item and sees its thread and the evidence highlighted, opens it "as it looked" (ReplayWeb.page
replaying the post page from the account's WACZ) and sees the post's text in the replay, records a decision from
the needs-review worklist and sees the list shrink by one and the decision in `smarchive query`; a registrar records a
diarienummer and `smarchive register --year 2024` no longer lists the item; decisions survive a restart and a
reindex.

SMARCHIVE_WORKBENCH_SHOTS=DIR saves a screenshot of each page looked at into DIR (docs/workbench/ holds them).
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from playwright.sync_api import Page, expect

from smarchive.archive.query import query_rows
from smarchive.cli import cli

from conftest import copy_archive
from workbench_server import PASSWORDS, add_users, running

SHOTS = os.environ.get("SMARCHIVE_WORKBENCH_SHOTS")


def smarchive(*args: str) -> SimpleNamespace:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


rows = query_rows  # the rows of one query over the archive's views


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def demo(demo_capture, tmp_path_factory) -> Path:
    archive = copy_archive(demo_capture.archive, tmp_path_factory.mktemp("bench") / "archive")
    add_users(archive)
    return archive


def log_in(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=user]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("form.login button[type=submit]")
    expect(page.locator("h1")).to_have_text("Översikt")


def register_ids(archive: Path) -> list[str]:
    assert smarchive("register", "--year", "2024", "--archive", str(archive)).returncode == 0
    with open(archive / "register" / "register-2024.csv", encoding="utf-8-sig", newline="") as f:
        return [r["item_id"] for r in csv.DictReader(f, delimiter=";")]


# run in the replay's frame: what a script of a replayed page gets when it reads a workbench page with the cookies
READ_WORKBENCH = """async (url) => {
  let read = "blocked", opaque = "";
  try { const r = await fetch(url, {credentials: "include"}); read = "read " + r.status + " " + (await r.text()); }
  catch (e) {}
  try { const r = await fetch(url, {credentials: "include", mode: "no-cors"}); opaque = r.type + " " + r.status; }
  catch (e) { opaque = "failed"; }
  return [read, opaque];
}"""


def see_as_it_looked(page: Page, base, post_text: str) -> None:  # noqa: ANN001 (workbench_server.Base)
    """From an item page, "Som det såg ut": ReplayWeb.page replays the post page from the account's WACZ, served by
    the workbench's replay origin (the sandbox that served the capture is gone; nothing comes from anywhere
    else). A script on the replay origin cannot read the workbench's pages."""
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
        (base + "/", base.replay + "/", "data:", "blob:")) else None)
    item_url = page.url
    page.click("a.as-it-looked")
    expect(page).to_have_url(re.compile(r"/as-it-looked/"))
    # the replayed page is a frame in a frame: <replay-web-page>'s (shadow DOM) holds the app, the app the page
    replayed = page.frame_locator("replay-web-page iframe").frame_locator("iframe")
    first_line = post_text.splitlines()[0].strip()
    expect(replayed.get_by_text(first_line, exact=False).first).to_be_visible(timeout=60_000)
    assert replayed.locator("body").inner_text().count(first_line) >= 1
    shot(page, "replay")
    assert not outside, outside
    frames = [f for f in page.frames if f != page.main_frame]  # ReplayWeb.page's app, and the replayed page in it
    assert len(frames) >= 2 and all(f.url.startswith(base.replay + "/replay/") for f in frames)  # the other origin
    workbench_page = page.content()
    assert "<h1>" in workbench_page and "anna (archivist)" in workbench_page  # what a read would give away
    for frame in frames:  # a script there reads nothing of the workbench: an opaque answer or a policy's refusal
        # in the app's frame, by the browser; in the replayed page ReplayWeb.page also rewrites the URL into the
        # archive (its service worker answers "not found"), so the request never leaves it
        read, opaque = frame.evaluate(READ_WORKBENCH, item_url)
        assert "anna (archivist)" not in read + opaque and "<h1>" not in read, (frame.url, read, opaque)
        if frame.parent_frame == page.main_frame:
            assert read == "blocked" and opaque in ("opaque 0", "failed"), (read, opaque)
    assert "replay-web-page" not in page.evaluate("document.cookie")  # and no cookie is readable (HttpOnly)
    assert stored(page, base.replay) == (True, True)  # the service worker and what it kept, on the replay origin
    page.goto(item_url)


def stored(page: Page, origin: str) -> tuple[bool, bool]:
    """Whether the origin has a service worker and IndexedDB databases, looked at from a top-level page of it
    (outside the service worker's /replay/ scope)."""
    page.goto(origin + "/")
    kept = (page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") >= 1,
            page.evaluate("indexedDB.databases().then(d => d.length)") >= 1)
    return kept


def test_archivist_finds_views_and_decides(demo, browser):
    target = rows(demo, "SELECT item_id, platform, post_id, list_filter(tag_evidence, lambda e: e.kind = 'lexicon' "
                        "AND e.start IS NOT NULL) AS evidence FROM items WHERE item_type = 'comment' AND "
                        "len(list_filter(tag_evidence, lambda e: e.kind = 'lexicon' AND e.start IS NOT NULL)) > 0 "
                        "ORDER BY published_at, item_id LIMIT 1")[0]
    evidence = target["evidence"][0]["text"]
    word = max(re.findall(r"[^\W\d_]+", evidence), key=len)
    post_text = rows(demo, f"SELECT text FROM items WHERE platform = '{target['platform']}' "
                           f"AND item_id = '{target['post_id']}'")[0]["text"]
    thread_size = rows(demo, f"SELECT count(*) AS n FROM items WHERE platform = '{target['platform']}' "
                             f"AND post_id = '{target['post_id']}'")[0]["n"]
    with running(demo, "sandbox") as base:
        page = browser.new_page()
        try:
            log_in(page, base, "anna")
            before = int(page.locator("#open-needs-review").inner_text())
            assert before > 0
            shot(page, "overview")
            page.click("nav >> text=Sök")
            page.fill("input[name=q]", word)
            page.press("input[name=q]", "Enter")
            expect(page.locator("ol.results li").first).to_be_visible()
            assert word.lower() in page.locator("ol.results mark").first.inner_text().lower()
            expect(page.locator("aside.facets h3").first).to_be_visible()  # counted after the page, by htmx
            assert page.locator("#total").inner_text().isdigit()
            shot(page, "search")
            link = page.locator(f"a.item-link[href='/item/{target['platform']}/{quote(target['item_id'], safe='')}']")
            if link.count() == 0:  # not on the first page: the facet of its platform narrows the results
                page.click(f"a[data-facet=platform]:text-is('{target['platform']}')")
            link.first.click()
            expect(page.locator(".thread article.this")).to_have_count(1)
            assert page.locator(".thread article").count() == thread_size
            marks = page.locator(".thread article.this mark.evidence").all_inner_texts()
            assert evidence in marks
            shot(page, "item")
            see_as_it_looked(page, base, post_text)

            page.goto(f"{base}/worklist/needs-review")
            first = page.locator("tr.row").first
            item_id = first.get_attribute("data-item")
            first.locator("form.review select[name=retention]").select_option("preserve")
            first.locator("form.review input[name=reason]").fill("Bedömd: kommunens information, bevaras")
            first.locator("form.review button.change").click()
            expect(first.locator("form.review .outcome")).to_have_text("Beslutet är registrerat.")
            shot(page, "worklist")
            page.goto(f"{base}/")
            expect(page.locator("#open-needs-review")).to_have_text(str(before - 1))
            page.click("header button.link")  # English
            expect(page.locator("h1")).to_have_text("Overview")
            page.click("header form[action='/logout'] button")  # the replay's keepings leave with the session
            expect(page).to_have_url(re.compile(r"/login$"))
            assert page.url.startswith(base + "/")  # through the replay origin's /logout and back
            assert stored(page, base.replay) == (False, False)
        finally:
            page.close()
    answer = smarchive("query", "--archive", str(demo), "--format", "csv",
                       f"SELECT item_id, decision_retention, decision_by, decision_reason FROM items "
                       f"WHERE item_id = '{item_id}'")
    assert f"{item_id},preserve,anna,Bedömd: kommunens information, bevaras" in answer.stdout.replace('"', "")


def test_registrar_records_a_diarienummer(demo, browser):
    before = register_ids(demo)
    with running(demo, "sandbox") as base:
        page = browser.new_page()
        try:
            log_in(page, base, "rolf")
            page.goto(f"{base}/worklist/register?year=2024")
            first = page.locator("tr.row").first
            item_id = first.get_attribute("data-item")
            assert item_id == before[0]
            assert first.locator("form.review").count() == 0  # a registrar does not review
            first.locator("form.registered input[name=diarienummer]").fill("KS 2024-00123")
            first.locator("form.registered button").click()
            expect(first.locator("form.registered .outcome")).to_have_text("Beslutet är registrerat.")
        finally:
            page.close()
    assert register_ids(demo) == before[1:]
    # a restart (new server, same archive) and a reindex keep the decisions
    assert smarchive("reindex", "--archive", str(demo)).returncode == 0
    with running(demo, "sandbox") as base:
        page = browser.new_page()
        try:
            log_in(page, base, "anna")
            platform = rows(demo, f"SELECT platform FROM items WHERE item_id = '{item_id}'")[0]["platform"]
            page.goto(f"{base}/item/{platform}/{quote(item_id, safe='')}")
            expect(page.locator("#diarienummer")).to_have_text("KS 2024-00123")
            assert "rolf (registrar)" in page.locator("ol.history").inner_text()
        finally:
            page.close()
    assert register_ids(demo) == before[1:]
