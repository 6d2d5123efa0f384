"""Instagram: the sandbox's walls, and the adapter end to end through the real pipeline (recording
proxy -> WARC -> extract -> manifest), measured against the sandbox's truth, then replayed offline."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from smarchive.archive.query import connect
from smarchive.archive.store import LocalStorage
from smarchive.archive.warc import iter_records, iter_responses, read_record_at
from smarchive.capture.account import NO_MEDIA_SOURCE, AccountSession
from smarchive.errors import CaptureError, LoginWall
from smarchive.model import Account
from smarchive.pipeline import SANDBOX_CREDENTIALS
from smarchive.platforms.base import CapturedResponse
from smarchive.platforms.instagram import BEHAVIOUR, InstagramAdapter, login_url, shortcode_of
from smarchive.sandbox import instagram as sandbox_ig
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.server import SandboxServer
from smarchive.sandbox.truth import truth
from smarchive.sandbox.web import session_token

from conftest import pywb_replay, register_toml, run_capture, write_pipeline

SANDBOX = {"seed": 1748, "posts_per_year": 4, "comments_per_post": 4, "throttle_every": 5}
CONFIG = SandboxConfig(**SANDBOX)
YEAR = 2024
HANDLES = ("orebrokommun", "tborebro")
NAMES = {"orebrokommun": "Örebro kommun", "tborebro": "Tillbakablick Örebro"}
ACCOUNTS_TOML = register_toml(*(Account(id=f"instagram-{handle}", platform="instagram", name=NAMES[handle],
                                        url=f"sandbox:/instagram/{handle}/", handle=handle) for handle in HANDLES))


# --------------------------------------------------------------------------------- the real pipeline


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Iterator[tuple[Path, str]]:
    """`smarchive capture --year 2024` of both accounts; the sandbox is stopped when it returns."""
    folder = tmp_path_factory.mktemp("instagram")
    pipeline = write_pipeline(folder, SANDBOX, ACCOUNTS_TOML)
    with pytest.MonkeyPatch.context() as patch:  # no stored login of the developer's may leak in
        patch.setenv("SMARCHIVE_STATE_DIR", str(folder / "state"))
        result = run_capture(folder / "archive", pipeline, YEAR)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    yield folder / "archive", log


@pytest.fixture(scope="module")
def expected() -> dict[str, dict]:
    return {row["id"]: row for row in truth(build_world(CONFIG), YEAR, "instagram")}


@pytest.fixture(scope="module")
def rows(run) -> dict[str, dict]:
    con = connect(run[0])
    found = con.sql("SELECT * FROM items WHERE platform = 'instagram'").to_arrow_table().to_pylist()
    con.close()
    return {row["item_id"]: row for row in found}


def test_full_recall_of_the_year_through_the_pipeline(expected, rows) -> None:
    assert set(rows) == set(expected), "recall and precision must both be 100 %"
    assert {r["item_type"] for r in expected.values()} == {"post", "comment", "reply"}
    assert {r["account"] for r in expected.values()} == set(HANDLES)
    for item_id, want in expected.items():
        got = rows[item_id]
        assert got["account"] == f"instagram-{want['account']}"
        assert (got["item_type"], got["parent_id"], got["post_id"]) == (want["item_type"], want["parent_id"],
                                                                        want["post_id"])
        assert got["text"] == want["text"], item_id  # untruncated, though the page cuts it behind "mer"
        assert (got["author"], got["author_is_account"]) == (want["author"], want["author_is_account"])
        assert got["published_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == want["published_at"]
        assert got["permalink"].endswith(want["permalink"]) and got["year"] == YEAR


@pytest.fixture(scope="module")
def legacy_rows(tmp_path_factory) -> dict[str, dict]:
    """The same capture against the sandbox serving the 2019 generation (_sharedData, GET GraphQL edge_*)."""
    folder = tmp_path_factory.mktemp("instagram-2019")
    pipeline = write_pipeline(folder, {**SANDBOX, "instagram_generation": "\"2019\""}, ACCOUNTS_TOML)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SMARCHIVE_STATE_DIR", str(folder / "state"))
        result = run_capture(folder / "archive", pipeline, YEAR)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    con = connect(folder / "archive")
    found = con.sql("SELECT * FROM items WHERE platform = 'instagram'").to_arrow_table().to_pylist()
    con.close()
    return {row["item_id"]: row for row in found}


def test_full_recall_of_the_2019_generation(expected, legacy_rows) -> None:
    assert set(legacy_rows) == set(expected), "recall and precision must both be 100 % in every generation"
    for item_id, want in expected.items():
        got = legacy_rows[item_id]
        assert (got["item_type"], got["parent_id"], got["post_id"], got["text"], got["author"]) == (
            want["item_type"], want["parent_id"], want["post_id"], want["text"], want["author"]), item_id


def test_platform_counts_match_what_was_captured(run, rows) -> None:
    """Each post's comment_count, each comment's child_comment_count and the profile's media_count, as recorded,
    against what was extracted: complete on the sandbox, and no answer left not understood."""
    from smarchive.extract.reader import extract_items

    for handle, name in (("orebrokommun", "Örebro kommun"), ("tborebro", "Tillbakablick Örebro")):
        warc = next((run[0] / "warc" / str(YEAR)).glob(f"instagram-{handle}-*.warc.gz"))
        account = Account(id=f"instagram-{handle}", platform="instagram", name=name, url="", handle=handle)
        result = extract_items(InstagramAdapter(), warc, account, YEAR, warc.name)
        assert result.notes == [] and [o.platform_id for o in result.owners] == [
            a.id for a in sandbox_ig.ACCOUNTS if a.handle == handle]
        items = result.items
        threads = [r for r in result.reported if r.kind == "thread"]
        assert {r.post_id for r in threads} == {i.id for i in items if i.item_type == "post"}
        for count in threads:
            assert count.count == sum(1 for i in items if i.post_id == count.post_id and i.item_type != "post")
        for count in (r for r in result.reported if r.kind == "replies"):
            assert count.count == sum(1 for i in items if i.parent_id == count.comment_id)
        assert any(r.kind == "posts" and r.count >= sum(i.item_type == "post" for i in items)
                   for r in result.reported)


def test_media_byte_identical_images_and_videos(run, expected, rows) -> None:
    storage = LocalStorage(run[0])
    kinds = set()
    for item_id, want in expected.items():
        got = rows[item_id]
        assert got["media_sha256"] == [m["sha256"] for m in want["media"]], item_id
        for media in got["media"]:
            assert hashlib.sha256(storage.get(media["sha256"])).hexdigest() == media["sha256"]
            kinds.add((media["kind"], media["content_type"]))
    assert {("image", "image/png"), ("video", "video/mp4")} <= kinds
    carousels = [r for r in expected.values() if r["item_type"] == "post" and len(r["media"]) > 2]
    assert carousels, "a carousel with all its images (only the first is shown before 'Nästa')"


def test_year_boundaries_and_nothing_from_other_years(rows) -> None:
    world = build_world(CONFIG)
    for other in (YEAR - 1, YEAR + 1):
        assert set(rows).isdisjoint(r["id"] for r in truth(world, other, "instagram"))
    times = [r["published_at"].strftime("%Y-%m-%d") for r in rows.values()]
    assert any(t.startswith(f"{YEAR - 1}-12-31") for t in times), "a post of 00:xx on 1 January, Stockholm"
    assert any(t.startswith(f"{YEAR + 1}-01") for t in times), "New Year's Eve thread written next January"


def test_throttling_was_met_and_survived(run) -> None:
    archive, log = run
    assert re.search(r"instagram-\w+: (HTTP 429 for|throttled: )", log), "the sandbox throttles every 5th request"
    throttled = [h["WARC-Target-URI"] for warc in (archive / "warc").rglob("*.warc.gz")
                 for _, h, body in iter_records(warc) if h.get("WARC-Type") == "response"
                 and body.startswith(b"Too Many Requests")]
    assert throttled, "the 429 answers are in the WARC, as the platform gave them"
    assert any("/graphql/query" in url for url in throttled) and any("/p/" in url for url in throttled)
    assert "2 captured, 0 failed" in log and "warnings: 0" in log


def test_snapshot_per_post_holds_the_expanded_thread(run, expected, rows) -> None:
    posts = [r for r in expected.values() if r["item_type"] == "post"]
    for post in posts:
        row = rows[post["id"]]
        headers, html = read_record_at(run[0] / row["warc_file"], row["snapshot_offset"])
        assert headers["WARC-Target-URI"].startswith("urn:smarchive:snapshot:")
        page = html.decode("utf-8")
        for child in (r for r in expected.values() if r["post_id"] == post["id"] and r["item_type"] != "post"):
            assert _html(child["text"]) in page, child["id"]
        assert "Visa svar (" not in page and 'aria-label="Läs in fler kommentarer"' not in page


def test_post_permalink_replays_offline_with_its_comments(run, expected, rows) -> None:
    archive = run[0]
    post_id = max((r for r in expected.values() if r["item_type"] == "post"),
                  key=lambda r: sum(1 for c in expected.values() if c["parent_id"] == r["id"]))["id"]
    from smarchive.archive.replay import page_url

    url = page_url(rows[post_id]["replay_target"])  # the post page as recorded (the permalink is `sandbox:/…`)
    comments = [r for r in expected.values() if r["parent_id"] == post_id]
    # today's generation asks for more comments by POST /graphql/query (doc_id, variables with the media id)
    recorded_json = [(r.url, r.request_body) for warc in (archive / "warc").rglob("*.warc.gz")
                     for r in iter_responses(warc) if r.method == "POST" and r.url.endswith("/graphql/query")
                     and sandbox_ig.COMMENTS_DOC in r.request_body.decode()
                     and post_id in urllib.request.unquote(r.request_body.decode())]
    with pytest.raises(OSError):  # the sandbox that served the capture is gone
        urllib.request.urlopen(url, timeout=5)
    with pywb_replay(sorted((archive / "warc").rglob("*.warc.gz"))) as pywb:
        page = _fetch(f"{pywb}/2id_/{url}").decode("utf-8")
        replayed = page + "".join(_fetch(f"{pywb}/2id_/{u}", body).decode("utf-8") for u, body in recorded_json)
    assert "data-sjs" in page and _json(comments[0]["text"]) in page  # first comments in the page
    assert recorded_json, "the rest of the comments came by POST GraphQL, which pywb replays by its body"
    for comment in comments:
        assert _json(comment["text"]) in replayed, comment["id"]


def _fetch(url: str, body: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
                                     if body else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def _json(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1].replace("</", "<\\/")


def _html(text: str) -> str:
    import html

    return html.escape(text, quote=False)


# --------------------------------------------------------------------------------- walls, one by one


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(**{**SANDBOX, "throttle_every": 0})) as running:
        yield running


def _session(server: SandboxServer, browser: Browser, tmp_path: Path, cookies: list[dict]) -> AccountSession:
    context = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm")
    context.add_init_script(NO_MEDIA_SOURCE)
    context.add_cookies(cookies)
    account = Account(id="instagram-orebrokommun", platform="instagram", name="Örebro kommun",
                      url="sandbox:/instagram/orebrokommun/", handle="orebrokommun")
    return AccountSession(account, server.base_url + "/instagram/orebrokommun/", YEAR, context, tmp_path,
                          lambda message: None)


def _cookie(server: SandboxServer, name: str, value: str) -> dict:
    return {"name": name, "value": value, "url": server.base_url}


@pytest.mark.parametrize("cookies", ["none", "forged", "consent-only"])
def test_login_wall_fails_cleanly(server: SandboxServer, browser: Browser, tmp_path: Path, cookies: str) -> None:
    jar = {"none": [], "forged": [_cookie(server, "sessionid", "arkivarie@orebro.example.0123456789abcdef01234567"),
                                   _cookie(server, "ig_consent", "all")],
           "consent-only": [_cookie(server, "ig_consent", "essential")]}[cookies]
    ctx = _session(server, browser, tmp_path, jar)
    try:
        with pytest.raises(LoginWall, match=r"instagram: login wall .* run `smarchive login instagram`"):
            InstagramAdapter().capture(ctx)
    finally:
        ctx.context.close()


def test_login_with_wrong_password_is_refused(server: SandboxServer, browser: Browser) -> None:
    context = browser.new_context(locale="sv-SE")
    try:
        page = context.new_page()
        with pytest.raises(CaptureError, match="instagram: login refused for .*: Ditt lösenord var fel"):
            InstagramAdapter().login(page, server.base_url + "/instagram/orebrokommun/", SANDBOX_CREDENTIALS[0],
                                         "fel-losenord")
        assert not any(c["name"] == "sessionid" for c in context.cookies())
    finally:
        context.close()


def test_login_passes_consent_and_stores_a_session(server: SandboxServer, browser: Browser) -> None:
    context = browser.new_context(locale="sv-SE")
    try:
        page = context.new_page()
        InstagramAdapter().login(page, server.base_url + "/instagram/orebrokommun", *SANDBOX_CREDENTIALS)
        names = {c["name"] for c in context.cookies()}
        assert {"sessionid", "ig_consent"} <= names
    finally:
        context.close()


def test_post_page_consent_dialog_is_passed(server: SandboxServer, browser: Browser, tmp_path: Path) -> None:
    token = session_token(server.world.secret, SANDBOX_CREDENTIALS[0])
    ctx = _session(server, browser, tmp_path, [_cookie(server, "sessionid", token)])  # logged in, no consent
    post = server.world.posts("instagram", "orebrokommun")[2]
    try:
        page = ctx.context.new_page()
        InstagramAdapter()._open(ctx, page, server.base_url + sandbox_ig.permalink(post), BEHAVIOUR["post_ready"])
        assert page.locator("main article").count() == 1 and page.locator("#consent").count() == 0
        assert page.locator("main article time[datetime]").count() > 0
    finally:
        ctx.context.close()


def test_login_url_for_real_and_sandbox_profiles() -> None:
    assert login_url("https://www.instagram.com/orebrokommun/") == "https://www.instagram.com/accounts/login/"
    assert login_url("http://127.0.0.1:8000/instagram/tborebro") == "http://127.0.0.1:8000/instagram/accounts/login/"


# --------------------------------------------------------------------------------- the sandbox itself


def _open(opener, url: str, data: bytes | None = None) -> tuple[int, bytes, str]:
    try:
        with opener.open(url, data=data, timeout=10) as response:
            return response.status, response.read(), response.url
    except urllib.error.HTTPError as error:
        return error.code, error.read(), url


def _shared(html: bytes) -> dict:
    text = html.decode("utf-8")
    start = text.index("window._sharedData = ") + len("window._sharedData = ")
    return json.JSONDecoder().raw_decode(text, start)[0]


def _page_data(html: bytes) -> dict:
    """Today's generation: the page's xdt data in its JSON blob."""
    text = html.decode("utf-8")
    start = text.index(">", text.index("<script type=\"application/json\" data-sjs")) + 1
    return json.JSONDecoder().raw_decode(text, start)[0]["data"]


@pytest.fixture(scope="module")
def legacy_server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(**{**SANDBOX, "throttle_every": 0, "instagram_generation": "2019"})) as running:
        yield running


def test_sandbox_logged_out_shows_little(server: SandboxServer, legacy_server: SandboxServer) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    status, html, _ = _open(opener, server.base_url + "/instagram/orebrokommun/")
    timeline = _page_data(html)[sandbox_ig.TIMELINE_KEY]
    assert status == 200 and len(timeline["edges"]) <= 3 and timeline["page_info"]["has_next_page"] is False
    assert _shared(html)["entry_data"] == {"ProfilePage": [{}]}  # no post data outside the blob
    form = f"doc_id={sandbox_ig.TIMELINE_DOC}&variables=%7B%22username%22%3A%22orebrokommun%22%7D".encode()
    status, body, _ = _open(opener, server.base_url + "/instagram/graphql/query", form)
    assert status == 401 and json.loads(body)["require_login"] is True
    status, html, _ = _open(opener, legacy_server.base_url + "/instagram/orebrokommun/")  # the 2019 generation
    user = _shared(html)["entry_data"]["ProfilePage"][0]["graphql"]["user"]
    assert status == 200 and len(user["edge_owner_to_timeline_media"]["edges"]) <= 3
    assert user["edge_owner_to_timeline_media"]["page_info"]["has_next_page"] is False
    api = f"/instagram/graphql/query/?query_hash={sandbox_ig.TIMELINE_HASH}"
    status, body, _ = _open(opener, legacy_server.base_url + api)
    assert status == 401 and json.loads(body)["require_login"] is True
    post = server.world.posts("instagram", "tborebro")[0]
    status, _, final = _open(opener, server.base_url + sandbox_ig.permalink(post))
    assert "/instagram/accounts/login/" in final


def test_sandbox_media_links_are_signed_and_expire(server: SandboxServer) -> None:
    token = session_token(server.world.secret, SANDBOX_CREDENTIALS[0])
    opener = urllib.request.build_opener()
    opener.addheaders = [("Cookie", f"sessionid={token}; ig_consent=all")]
    post = next(p for p in server.world.posts("instagram", "orebrokommun") if len(p.media) > 1)
    _, html, _ = _open(opener, server.base_url + sandbox_ig.permalink(post))
    data = _page_data(html)
    media = data["xdt_api__v1__media__shortcode__web_info"]["items"][0]
    url = media["image_versions2"]["candidates"][0]["url"]
    status, body, _ = _open(opener, url)
    assert status == 200 and body.startswith(b"\x89PNG")
    assert _open(opener, url.replace("sig=", "sig=00"))[0] == 403
    path = url.split("?")[0]
    expired = _open(opener, path + "?exp=1000&sig=" + "0" * 24)
    assert expired[0] == 403 and _open(opener, path)[0] == 403
    assert data[sandbox_ig.COMMENTS_KEY]["page_info"]["has_next_page"] in (True, False)


def test_sandbox_login_endpoint(server: SandboxServer) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    url = server.base_url + "/instagram/accounts/login/ajax/"
    wrong = f"username={SANDBOX_CREDENTIALS[0]}&enc_password=%23PWD_INSTAGRAM_BROWSER:0:1:fel".encode()
    assert json.loads(_open(opener, url, wrong)[1])["authenticated"] is False
    right = f"username={SANDBOX_CREDENTIALS[0]}&enc_password=%23PWD_INSTAGRAM_BROWSER:0:1:{SANDBOX_CREDENTIALS[1]}"
    assert json.loads(_open(opener, url, right.encode())[1])["authenticated"] is True
    status, html, _ = _open(opener, server.base_url + "/instagram/orebrokommun/")
    assert _shared(html)["config"]["viewer"] is not None


def test_edition_one_edits_and_deletes_a_post_each_year() -> None:
    before = {r["id"]: r for r in truth(build_world(CONFIG), YEAR, "instagram")}
    after = {r["id"]: r for r in truth(build_world(SandboxConfig(**{**SANDBOX, "edition": 1})), YEAR, "instagram")}
    gone = set(before) - set(after)
    assert set(after) <= set(before)
    deleted = [before[i] for i in gone if before[i]["item_type"] == "post"]
    assert len(deleted) == 1 and all(before[i]["post_id"] == deleted[0]["id"] for i in gone)
    edited = [i for i in after if after[i]["text"] != before[i]["text"]]
    assert len(edited) == 1 and after[edited[0]]["item_type"] == "post"
    assert after[edited[0]]["text"].startswith(before[edited[0]]["text"]) and after[edited[0]]["text"].endswith(
        sandbox_ig.EDIT_NOTE)


def test_world_is_deterministic() -> None:
    one, two = build_world(CONFIG), build_world(CONFIG)
    assert truth(one, YEAR, "instagram") == truth(two, YEAR, "instagram")
    media = {k: v.data for k, v in one.media.items() if v.platform == "instagram"}
    assert media == {k: v.data for k, v in two.media.items() if v.platform == "instagram"}
    assert len(set(media.values())) == len(media)


def test_extract_skips_garbage() -> None:
    node = {"id": "3300000000000000001", "shortcode": shortcode_of("3300000000000000001"),
            "taken_at_timestamp": 1718000000, "owner": {"username": "orebrokommun"},
            "edge_media_to_caption": {"edges": [{"node": {"text": "Hej"}}, "x"]},
            "display_url": "/instagram/media/a.png",
            "edge_media_to_parent_comment": {"edges": [{"node": {"id": "1", "created_at": "x"}}, None, 3]}}
    url = "http://127.0.0.1:9/instagram/p/x/"

    def response(body: bytes, content_type: str = "application/json") -> CapturedResponse:
        return CapturedResponse(url=url, status=200, content_type=content_type, body=body, warc_file="w",
                                record_id="<urn:x>", offset=0)

    garbage = [response(b"\xff\xfe"), response(b"{not json"), response(b"[" * 100_000 + b"]" * 100_000),
               response(b"<script>window._sharedData = {broken;</script>", "text/html"),
               response(json.dumps({"id": "1", "shortcode": "B", "taken_at_timestamp": 1e300, "owner": {}}).encode()),
               response(json.dumps({"data": {"comment": {"edge_threaded_comments": {"edges": [{"node": {}}]}}}})
                        .encode()),
               response(b"null"), response(b"\x89PNG", "image/png"),
               response(f"<script>window._sharedData = {json.dumps({'graphql': node})};</script>".encode(),
                        "text/html")]
    account = Account(id="instagram-orebrokommun", platform="instagram", name="Örebro kommun", url="",
                      handle="orebrokommun")
    items = InstagramAdapter().extract(garbage, account, 2024).items
    assert [(i.id, i.text, i.permalink) for i in items] == [
        ("3300000000000000001", "Hej", f"http://127.0.0.1:9/instagram/p/{node['shortcode']}/")]
    assert [m.url for m in items[0].media] == ["http://127.0.0.1:9/instagram/media/a.png"]
    assert InstagramAdapter().extract(garbage, account, 2023).items == []
