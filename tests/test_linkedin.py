"""LinkedIn: the sandbox's walls, and the real pipeline end to end (login, proxy, WARC, manifest, replay).

One `smarchive capture` of a small sandbox (LinkedIn account only) is shared by the recall, media
and replay tests; the wall tests talk to their own in-process sandbox.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser

from smarchive.archive.query import connect
from smarchive.archive.store import LocalStorage
from smarchive.archive.warc import iter_responses
from smarchive.errors import CaptureError, LoginWall
from smarchive.model import Account
from smarchive.pipeline import SANDBOX_CREDENTIALS
from smarchive.platforms.base import CapturedResponse
from smarchive.platforms.linkedin import LinkedInAdapter, parse_guest_feed
from smarchive.sandbox import linkedin as sandbox_linkedin
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.server import SandboxServer
from smarchive.sandbox.truth import truth
from smarchive.sandbox.web import session_token, sign_path

from conftest import pywb_replay, register_toml, run_capture, write_pipeline

SETTINGS = {"seed": 1748, "posts_per_year": 5, "comments_per_post": 5, "throttle_every": 5}
YEAR = 2024
ACCOUNT = Account(id="linkedin-orebro-kommun", platform="linkedin", name="Örebro kommun (sandbox)",
                  url="sandbox:/linkedin/company/orebro-kommun/", handle="orebro-kommun")
ACCOUNTS_TOML = register_toml(ACCOUNT)


# ------------------------------------------------------------------------------ the pipeline run


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    """`smarchive capture --year 2024` of the LinkedIn account (the sandbox serving today's "dash" answers:
    normalized, replies known only from their parent's SocialDetail); the sandbox is stopped when it returns."""
    return _capture(tmp_path_factory.mktemp("linkedin"), SETTINGS)


@pytest.fixture(scope="module")
def nested_run(tmp_path_factory) -> dict:
    """The same capture with the sandbox serving the older generation (entities nested, parentCommentUrn)."""
    return _capture(tmp_path_factory.mktemp("linkedin-nested"), {**SETTINGS, "linkedin_generation": '"nested"'})


def _capture(folder, settings: dict) -> dict:  # noqa: ANN001 (a pytest temporary Path)
    pipeline = write_pipeline(folder, settings, ACCOUNTS_TOML)
    archive = folder / "archive"
    with pytest.MonkeyPatch.context() as patch:  # no stored login of the user's may leak in
        patch.setenv("SMARCHIVE_STATE_DIR", str(folder / "state"))
        started = time.monotonic()
        result = run_capture(archive, pipeline, YEAR)
        seconds = time.monotonic() - started
    assert result.returncode == 0, f"capture failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    con = connect(archive)
    rows = con.sql("SELECT * FROM items WHERE platform = 'linkedin'").to_arrow_table().to_pylist()
    con.close()
    warcs = sorted((archive / "warc").rglob("*.warc.gz"))
    return {"archive": archive, "result": result, "rows": {r["item_id"]: r for r in rows}, "warcs": warcs,
            "seconds": seconds}


@pytest.fixture(scope="module")
def expected() -> dict[str, dict]:
    world = build_world(SandboxConfig(**SETTINGS))
    return {row["id"]: row for row in truth(world, YEAR, "linkedin")}


def test_recall_is_complete_for_the_year(run, expected) -> None:
    rows = run["rows"]
    assert set(rows) == set(expected), (f"missing {set(expected) - set(rows)}, extra {set(rows) - set(expected)}")
    assert {r["item_type"] for r in expected.values()} == {"post", "comment", "reply"}
    for item_id, want in expected.items():
        got = rows[item_id]
        for name in ("item_type", "parent_id", "post_id", "text", "author", "author_is_account"):
            assert got[name] == want[name], (item_id, name)
        assert got["published_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == want["published_at"]
        # stored as sandbox:/path: the sandbox's port changes every run (#13)
        assert got["permalink"].endswith(want["permalink"]) and got["permalink"].startswith("sandbox:/")
        assert got["year"] == YEAR and got["account"] == ACCOUNT.id
        assert got["snapshot_record_id"], "every item links to its post's snapshot"
    # untruncated: the long employer-branding post is far longer than what the page shows before "…se mer"
    assert max(len(r["text"]) for r in expected.values() if r["item_type"] == "post") > 400


def test_recall_is_complete_for_the_older_generation(nested_run, expected) -> None:
    rows = nested_run["rows"]
    assert set(rows) == set(expected), (f"missing {set(expected) - set(rows)}, extra {set(rows) - set(expected)}")
    for item_id, want in expected.items():
        for name in ("item_type", "parent_id", "post_id", "text", "author", "author_is_account"):
            assert rows[item_id][name] == want[name], (item_id, name)


def test_the_default_generation_is_normalized(run) -> None:
    """The default capture recorded dash answers: `included[]` entities, and replies without parentCommentUrn."""
    answers = [r for warc in run["warcs"] for r in iter_responses(warc) if "/voyager/api/feed/comments" in r.url
               and r.status == 200]
    assert answers
    documents = [json.loads(r.body) for r in answers]
    assert all("included" in d and "*elements" in d["data"] for d in documents)
    assert not any("parentCommentUrn" in entity for d in documents for entity in d["included"])


def test_year_boundaries(run, expected) -> None:
    posts = [r for r in expected.values() if r["item_type"] == "post"]
    assert any(r["published_at"].startswith(f"{YEAR - 1}-12-31") for r in posts)  # 00:xx on 1 Jan, Stockholm
    late = [r for r in expected.values() if r["item_type"] != "post" and r["published_at"].startswith(f"{YEAR + 1}-01")]
    assert late and all(r["id"] in run["rows"] for r in late)
    world = build_world(SandboxConfig(**SETTINGS))
    others = {r["id"] for y in (YEAR - 1, YEAR + 1) for r in truth(world, y, "linkedin")}
    assert others and others.isdisjoint(run["rows"])


def test_media_byte_identical(run, expected) -> None:
    storage = LocalStorage(run["archive"])
    stored = 0
    for item_id, want in expected.items():
        got = run["rows"][item_id]
        assert sorted(got["media_sha256"]) == sorted(m["sha256"] for m in want["media"]), item_id
        for media in got["media"]:
            assert "sig=" in media["url"] and "exp=" in media["url"]  # the signed URL the browser fetched
            assert hashlib.sha256(storage.get(media["sha256"])).hexdigest() == media["sha256"]
            stored += 1
    assert stored == sum(len(r["media"]) for r in expected.values()) > 0


def test_throttling_was_survived(run) -> None:
    log = run["result"].stdout + run["result"].stderr
    assert re.search(r"throttled: .*HTTP 429", log), "the feed or comment API answered 429 at least once"
    assert "HTTP 429 for " in log, "a page answered 429 at least once"
    statuses = [r.status for warc in run["warcs"] for r in iter_responses(warc)]
    assert statuses.count(429) >= 2
    assert run["seconds"] < 120


def test_no_session_cookie_or_password_in_the_warc(run) -> None:
    raw = b"".join(gzip.decompress(w.read_bytes()) for w in run["warcs"])
    assert not re.search(rb"(?im)^(set-)?cookie:", raw)
    assert SANDBOX_CREDENTIALS[1].encode() not in raw  # the login is not recorded
    assert b"li_at=" not in raw


def _post_with_most_comments(expected: dict[str, dict]) -> dict:
    counts = {p: sum(1 for r in expected.values() if r["post_id"] == p and r["item_type"] == "comment")
              for p in expected}
    return expected[max(counts, key=lambda p: (counts[p], p))]


def test_permalink_replays_from_the_warc_with_its_comments(run, expected) -> None:
    """pywb on 127.0.0.1, the sandbox stopped: the post page and the recorded comment answers replay."""
    post = _post_with_most_comments(expected)
    from smarchive.archive.replay import page_url

    url = page_url(run["rows"][post["id"]]["replay_target"])  # the post page as recorded
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=5)  # the sandbox that served the capture is gone
    thread = {r["id"] for r in expected.values() if r["post_id"] == post["id"] and r["item_type"] != "post"}
    api = [r.url for w in run["warcs"] for r in iter_responses(w)
           if "/voyager/api/feed/comments" in r.url and r.status == 200 and post["id"] in r.url]
    assert api, "more comments were loaded through the API"
    with pywb_replay(run["warcs"]) as pywb:
        page = _fetch(f"{pywb}/2id_/{url}")
        answers = [_fetch(f"{pywb}/2id_/{u}") for u in api]
        rewritten = _fetch(f"{pywb}/2mp_/{url}").decode("utf-8")
    assert "bpr-guid-1" in rewritten and "/static/linkedin.js" in rewritten
    recorded = [CapturedResponse(url, 200, "text/html; charset=utf-8", page, "replay", "<urn:0>", 0)]
    recorded += [CapturedResponse(u, 200, "application/json", body, "replay", f"<urn:{n}>", n)
                 for n, (u, body) in enumerate(zip(api, answers, strict=True), start=1)]
    items = LinkedInAdapter().extract(recorded, ACCOUNT, YEAR).items
    on_page = [i.id for i in LinkedInAdapter().extract(recorded[:1], ACCOUNT, YEAR).items if i.item_type == "comment"]
    first = [r["id"] for r in expected.values() if r["parent_id"] == post["id"]][:2]
    assert on_page == first  # the page itself holds the first comments
    assert {i.id for i in items if i.item_type != "post"} == thread
    assert next(i for i in items if i.id == post["id"]).text == post["text"]


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


# ------------------------------------------------------------------------------ the walls, in-process


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(**{**SETTINGS, "throttle_every": 0})) as running:
        yield running


def _get(server: SandboxServer, path: str, cookies: dict[str, str] | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request, redirects not followed."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        extra = dict(headers or {})
        if cookies:
            extra["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        connection.request("GET", path, headers=extra)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _session(server: SandboxServer) -> dict[str, str]:
    return {"li_at": session_token(server.world.secret, SANDBOX_CREDENTIALS[0]), "JSESSIONID": "ajax:1"}


def test_logged_out_company_page_is_the_guest_page(server: SandboxServer) -> None:
    status, _, body = _get(server, "/linkedin/company/orebro-kommun/")
    page = body.decode("utf-8")
    assert status == 200 and "contextual-sign-in-modal" in page and 'role="dialog"' in page
    posts = parse_guest_feed(page, server.base_url)
    newest = server.world.posts("linkedin", "orebro-kommun")
    assert [p.activity_id for p in posts] == [p.id for p in newest[:10]] and len(newest) > 10
    assert all(re.fullmatch(r"(nu|\d+ (min|tim|d|v|mån|år))", p.relative_time) for p in posts)
    assert "createdAt" not in page and "bpr-guid" not in page  # no exact times, no JSON
    assert all(p.published_at == server.world.item(p.activity_id).published_at for p in posts)  # ids carry time


def test_logged_out_post_redirects_to_the_auth_wall(server: SandboxServer) -> None:
    post = server.world.posts("linkedin", "orebro-kommun")[0]
    status, headers, _ = _get(server, f"/linkedin/feed/update/urn:li:activity:{post.id}/")
    assert status == 302
    location = urlsplit(headers["location"])
    assert location.path == "/linkedin/authwall"
    assert parse_qs(location.query)["sessionRedirect"][0].endswith(f"urn:li:activity:{post.id}/")
    status, _, body = _get(server, headers["location"])
    assert status == 200 and "logga in" in body.decode("utf-8").lower()


def test_api_needs_session_and_csrf_and_a_valid_cursor(server: SandboxServer) -> None:
    query = "/linkedin/voyager/api/feed/updates?" + urlencode({"companyId": "15190", "start": 0, "count": 3})
    assert _get(server, query)[0] == 401
    assert _get(server, query, _session(server))[0] == 403  # no csrf-token header
    status, _, body = _get(server, query, _session(server), {"csrf-token": "ajax:1"})
    answer = json.loads(body)  # normalized (the default "dash" generation): the updates are in `included`
    page = answer["data"]
    assert status == 200 and len(page["*elements"]) == 3 and page["paging"]["total"] == 15
    update = next(e for e in answer["included"] if e["entityUrn"] == page["*elements"][0])
    assert update["updateMetadata"]["urn"].startswith("urn:li:activity:") and update["createdAt"] > 1.6e12
    token = page["metadata"]["paginationToken"]
    nxt = "/linkedin/voyager/api/feed/updates?" + urlencode({"companyId": "15190", "start": 3, "count": 3})
    assert _get(server, nxt, _session(server), {"csrf-token": "ajax:1"})[0] == 400  # no token
    status, _, body = _get(server, nxt + f"&paginationToken={token}", _session(server), {"csrf-token": "ajax:1"})
    assert status == 200 and json.loads(body)["data"]["paging"]["start"] == 3


def test_media_needs_a_valid_unexpired_signature(server: SandboxServer) -> None:
    media = next(m for m in server.world.media.values() if m.platform == "linkedin")
    assert _get(server, media.path)[0] == 403
    assert _get(server, sign_path(media.path, "wrong secret"))[0] == 403
    assert _get(server, sign_path(media.path, server.world.secret, now=time.time() - 3600))[0] == 403
    status, headers, body = _get(server, sign_path(media.path, server.world.secret))
    assert status == 200 and headers["content-type"] == "image/png" and body == media.data


def test_throttle_answers_429_with_retry_after() -> None:
    with SandboxServer(SandboxConfig(**{**SETTINGS, "throttle_every": 2})) as running:
        answers = [_get(running, f"/linkedin/company/orebro-kommun/?n={n}") for n in range(4)]
        again = _get(running, "/linkedin/company/orebro-kommun/?n=1")
    assert [a[0] for a in answers] == [200, 429, 200, 429]
    assert answers[1][1]["retry-after"] == "1" and again[0] == 200  # once per page


class _Context:
    """The least CaptureContext a wall test needs."""

    def __init__(self, context, url: str) -> None:  # noqa: ANN001
        self.account, self.year, self.context, self.account_url = ACCOUNT, YEAR, context, url

    def goto(self, page, url: str, wait_until: str = "load"):  # noqa: ANN001, ANN201
        return page.goto(url, wait_until=wait_until)

    def throttled(self, what: str, retry_after: str | None) -> None:
        time.sleep(float(retry_after or 1))

    def already_captured(self, item_id: str) -> bool:
        return False

    def snapshot(self, page, item_id: str) -> None:  # noqa: ANN001
        pass

    def progress(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


def test_capture_logged_out_fails_clearly(server: SandboxServer, browser: Browser) -> None:
    context = browser.new_context()
    try:
        company = _Context(context, server.base_url + "/linkedin/company/orebro-kommun/")
        with pytest.raises(LoginWall, match=r"logged-out view .*smarchive login linkedin"):
            LinkedInAdapter().capture(company)
        post = server.world.posts("linkedin", "orebro-kommun")[0]
        permalink = _Context(context, f"{server.base_url}/linkedin/feed/update/urn:li:activity:{post.id}/")
        with pytest.raises(LoginWall, match=r"auth wall .*not logged in"):
            LinkedInAdapter().capture(permalink)
    finally:
        context.close()


def test_login_refused_and_accepted(server: SandboxServer, browser: Browser) -> None:
    url = server.base_url + "/linkedin/company/orebro-kommun/"
    context = browser.new_context()
    try:
        with pytest.raises(CaptureError, match="refused the login .*Fel e-postadress eller lösenord"):
            LinkedInAdapter().login(context.new_page(), url, SANDBOX_CREDENTIALS[0], "fel-lösenord")
        LinkedInAdapter().login(context.new_page(), url, *SANDBOX_CREDENTIALS)
        assert {c["name"] for c in context.cookies()} >= {"li_at", "JSESSIONID"}
    finally:
        context.close()


# ------------------------------------------------------------------------------ content


def test_edition_1_edits_one_post_and_deletes_another_per_year() -> None:
    before = build_world(SandboxConfig(**SETTINGS))
    after = build_world(SandboxConfig(**{**SETTINGS, "edition": 1}))
    for year in before.config.years:
        old = {r["id"]: r for r in truth(before, year, "linkedin")}
        new = {r["id"]: r for r in truth(after, year, "linkedin")}
        gone = [i for i in old if i not in new]
        assert set(new) <= set(old)
        assert [old[i]["item_type"] for i in gone].count("post") == 1
        assert all(old[i]["post_id"] in gone for i in gone)  # the deleted post took its thread along
        edited = [i for i in new if new[i]["text"] != old[i]["text"]]
        assert len(edited) == 1 and new[edited[0]]["item_type"] == "post"
        assert new[edited[0]]["text"].startswith(old[edited[0]]["text"]) and "redigerat" in new[edited[0]]["text"]


def test_content_is_deterministic_and_plausible() -> None:
    one, two = build_world(SandboxConfig(**SETTINGS)), build_world(SandboxConfig(**SETTINGS))
    assert truth(one, YEAR, "linkedin") == truth(two, YEAR, "linkedin")
    li = {k: m.data for k, m in one.media.items() if m.platform == "linkedin"}
    assert li and li == {k: m.data for k, m in two.media.items() if m.platform == "linkedin"}
    assert all(data.startswith(b"\x89PNG") for data in li.values()) and len(set(li.values())) == len(li)
    texts = " ".join(r["text"] for y in one.config.years for r in truth(one, y, "linkedin"))
    for word in ("lediga jobb", "medarbetare", "BN 2024-00123"):
        assert word.lower() in texts.lower()
    newest = one.posts("linkedin", "orebro-kommun")[0]
    assert sandbox_linkedin.permalink(newest) == f"/linkedin/feed/update/urn:li:activity:{newest.id}/"

