"""`[sandbox] facebook_generation = "basic"`: the sandbox serves mbasic.facebook.com's plain HTML (2014-2022, as the
real recordings of ../shared/real-world/fb-mbasic-phoenix show it), and smarchive reads all of it: every post,
comment and reply of the year, against the sandbox's truth and the counts the pages show."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest

from smarchive.extract.elsewhere import extract_files
from smarchive.model import STOCKHOLM, Account, year_of
from smarchive.platforms.facebook import FacebookAdapter
from smarchive.platforms.facebook_html import parse
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.facebook_basic import shown_time
from smarchive.sandbox.server import SandboxServer
from smarchive.sandbox.truth import truth
from smarchive.sandbox.web import SANDBOX_CREDENTIALS, session_token
from warcs import Answer, write_warc

from conftest import FACEBOOK, register_toml, run_capture, write_pipeline

YEAR = 2024
SETTINGS = {"seed": 1748, "posts_per_year": 4, "comments_per_post": 4, "throttle_every": 0,
            "facebook_generation": "basic"}
REPLIES_LINK = re.compile(r'href="(/facebook/comment/replies/\?ctoken=[0-9_]+)"')


def _crawl(base: str, handle: str, cookie: str) -> list[Answer]:
    """Every page a reader of mbasic follows: the timeline's "See more stories" to the year's start, each post of
    the year, its "View more comments" pages and each comment's replies page."""
    def get(path: str) -> Answer:
        request = urllib.request.Request(base + path, headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return Answer(base + path, answer.read(), answer.headers["Content-Type"], date="2025-01-10T09:00:00Z")

    answers, path, posts = [], f"/facebook/{handle}", []
    while path:
        answers.append(get(path))
        page = parse(answers[-1].body.decode(), answers[-1].url)
        posts += [p.id for p in page.posts if p.publish_time and year_of(p.publish_time) == YEAR]
        older = any(p.publish_time and year_of(p.publish_time) < YEAR for p in page.posts)
        path = "" if older or not page.next_page_url else page.next_page_url.removeprefix(base)
    for post_id in posts:
        path = f"/facebook/{handle}/posts/{post_id}"
        while path:
            answers.append(get(path))
            body = answers[-1].body.decode()
            answers += [get(link.replace("&amp;", "&")) for link in REPLIES_LINK.findall(body)]
            path = parse(body, answers[-1].url).more_comments_url.removeprefix(base)
    return answers


@pytest.fixture(scope="module")
def expected() -> dict[str, dict]:
    world = build_world(SandboxConfig(**SETTINGS))
    return {r["id"]: r for r in truth(world, YEAR, "facebook") if r["account"] == FACEBOOK.handle}


def _same_item(got, want: dict) -> None:  # noqa: ANN001 (an Item)
    assert (got.item_type, got.parent_id, got.post_id, got.author, got.author_is_account, got.text) == (
        want["item_type"], want["parent_id"], want["post_id"], want["author"], want["author_is_account"], want["text"])
    # Posts carry their exact time (data-ft publish_time); comments and replies only the shown one, to the minute.
    shown = got.published_at.strftime("%Y-%m-%dT%H:%M") if got.item_type != "post" else \
        got.published_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert shown == (want["published_at"][:16] if got.item_type != "post" else want["published_at"])
    assert got.time_precision == ("second" if got.item_type == "post" else "minute")


def test_the_basic_pages_are_read_completely(tmp_path: Path, expected: dict[str, dict]) -> None:
    with SandboxServer(SandboxConfig(**SETTINGS)) as server:
        cookie = f"xs={session_token(server.world.secret, SANDBOX_CREDENTIALS[0])}"
        answers = _crawl(server.base_url, FACEBOOK.handle, cookie)
    assert any("/comment/replies/" in a.url for a in answers) and any("?p=" in a.url for a in answers)
    account = Account(id=FACEBOOK.id, platform="facebook", name=FACEBOOK.name, url="", handle=FACEBOOK.handle)
    found = extract_files(FacebookAdapter(), [write_warc(tmp_path / "basic.warc.gz", answers)], account, YEAR,
                          tolerance=0.0)
    items = {i.id: i for i in found.extraction.items}
    assert set(items) == set(expected) and {r["item_type"] for r in expected.values()} == {"post", "comment", "reply"}
    for item_id, want in expected.items():
        _same_item(items[item_id], want)
    assert not found.coverage.incomplete and found.warnings == [] and found.unrecognised == []
    kinds = {row.kind for row in found.coverage.rows}
    assert kinds == {"thread", "replies"} and all(row.shortfall == 0 for row in found.coverage.rows)


def test_shown_times_are_swedish_clock_times() -> None:
    world = build_world(SandboxConfig(**SETTINGS))
    winter = next(i for i in world.items if i.platform == "facebook" and i.published_at.month == 1)
    local = winter.published_at.astimezone(STOCKHOLM)  # UTC+1 in January
    assert local.utcoffset() is not None and local.utcoffset().total_seconds() == 3600
    clock = f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    assert shown_time(winter) == f"{local:%b} {local.day}, {local.year} at {clock}"


def test_a_capture_of_the_basic_pages_has_every_item(tmp_path: Path, expected: dict[str, dict]) -> None:
    """`smarchive capture` with real Chromium follows the plain-HTML links (timeline, more comments, replies
    pages) and archives every item of the year, with complete coverage (a shortfall would exit 1)."""
    settings = {**SETTINGS, "facebook_generation": '"basic"'}
    pipeline = write_pipeline(tmp_path, settings, register_toml(FACEBOOK))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SMARCHIVE_STATE_DIR", str(tmp_path / "state"))  # no stored login: the sandbox logs in
        result = run_capture(tmp_path / "archive", pipeline, YEAR)
    assert result.returncode == 0, f"capture failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    from smarchive.archive.query import connect

    con = connect(tmp_path / "archive")
    try:
        rows = con.sql("SELECT item_id, time_precision FROM items").fetchall()
        short = con.sql("SELECT count(*) FROM coverage WHERE shortfall > 0").fetchall()[0][0]
        checked = con.sql("SELECT count(*) FROM coverage").fetchall()[0][0]
    finally:
        con.close()
    assert {item_id for item_id, _ in rows} == set(expected)
    assert {precision for _, precision in rows} == {"second", "minute"}
    assert checked > 0 and short == 0
