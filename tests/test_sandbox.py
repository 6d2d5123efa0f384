"""The sandbox: deterministic world, the year rule in the truth, HTTP behaviour, the CLI."""

from __future__ import annotations

import gzip
import hashlib
import json
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import pytest
from click.testing import CliRunner

from smarchive.cli.sandbox import sandbox
from smarchive.pipeline import SANDBOX_CREDENTIALS
from smarchive.sandbox import facebook
from smarchive.sandbox.content import EDITED_SUFFIX, STOCKHOLM, SandboxConfig, build_world, facebook_pinned
from smarchive.sandbox.server import SandboxServer
from smarchive.sandbox.truth import truth
from smarchive.sandbox.web import session_token, sign_path

SMALL = SandboxConfig(posts_per_year=6, comments_per_post=5, throttle_every=0)  # 429s tested on their own
PAGE_ID = "100064545367913"
HANDLES = ("orebrokommun", "orebrokommunteckensprak")


def _utc(row: dict) -> datetime:
    return datetime.fromisoformat(row["published_at"].replace("Z", "+00:00"))


# --- world and truth


def test_world_is_deterministic_including_images() -> None:
    one, two = build_world(SandboxConfig()), build_world(SandboxConfig())
    assert one.items == two.items
    assert {k: m.data for k, m in one.media.items()} == {k: m.data for k, m in two.media.items()}
    for year in one.config.years:
        assert json.dumps(truth(one, year)) == json.dumps(truth(two, year))
    other = build_world(SandboxConfig(seed=7))
    assert [i.text for i in other.items] != [i.text for i in one.items]


def test_media_are_distinct_pngs_and_mp4s() -> None:
    world = build_world(SandboxConfig())
    files = [m for m in world.media.values() if m.platform == "facebook"]
    assert len(files) > 10
    assert len({m.sha256 for m in files}) == len(files)
    kinds = Counter(m.content_type for m in files)
    assert set(kinds) == {"image/png", "video/mp4"} and kinds["video/mp4"] >= 12
    for media in files:
        if media.content_type == "image/png":
            assert media.data.startswith(b"\x89PNG\r\n\x1a\n") and media.path == f"/facebook/media/{media.id}.png"
        else:
            assert media.data[4:12] == b"ftypisom" and media.path == f"/facebook/media/{media.id}.mp4"


def test_sign_language_page_has_video_posts() -> None:
    world = build_world(SMALL)
    assert [a.handle for a in world.accounts["facebook"]] == list(HANDLES)
    assert world.accounts["facebook"][1].name == "Örebro kommun – Teckenspråk"
    posts = world.posts("facebook", "orebrokommunteckensprak")
    assert len(posts) == 4 * len(SMALL.years)
    for post in posts:
        types = [world.media[m].content_type for m in post.media]
        assert types == ["image/png", "video/mp4"]  # poster, then the progressive file
        assert "teckenspråk" in post.text.lower()


def test_truth_follows_the_year_rule_with_boundary_cases() -> None:
    world = build_world(SandboxConfig())
    seen: Counter[str] = Counter()
    for year in world.config.years:
        rows = truth(world, year, "facebook")
        posts = {r["id"]: r for r in rows if r["item_type"] == "post"}
        for row in rows:
            seen[row["id"]] += 1
            assert row["post_id"] in posts  # a thread is in its post's year
            assert _utc(posts[row["post_id"]]).astimezone(STOCKHOLM).year == year
            assert row["published_at"].endswith("Z") and row["platform"] == "facebook"
            assert row["account"] in HANDLES
            assert row["permalink"].startswith(f"/facebook/{row['account']}/posts/{row['post_id']}")
        # a post just after New Year in Stockholm is still the previous year in UTC
        assert any(_utc(p).year == year - 1 for p in posts.values())
        # a late December post whose thread was written in January of the next year
        assert any(r["item_type"] != "post" and _utc(r).year == year + 1 for r in rows)
    mine = {i.id for i in world.items if i.platform == "facebook"}
    assert set(seen) == mine and set(seen.values()) == {1}


def test_truth_shape_and_order() -> None:
    world = build_world(SMALL)
    rows = truth(world, 2024, "facebook")
    assert rows == [r for r in truth(world, 2024) if r["platform"] == "facebook"]
    assert set(rows[0]) == {"id", "parent_id", "post_id", "item_type", "platform", "account", "author",
                            "author_is_account", "published_at", "text", "permalink", "media"}
    assert rows[0]["item_type"] == "post" and rows[0]["parent_id"] is None
    for row in rows:
        if row["item_type"] == "reply":
            parent = next(r for r in rows if r["id"] == row["parent_id"])
            assert parent["item_type"] == "comment" and rows.index(parent) < rows.index(row)
        for media in row["media"]:
            assert set(media) == {"sha256", "content_type", "path"}


def test_content_has_the_registers_the_tagger_needs() -> None:
    texts = [i.text for i in build_world(SandboxConfig()).items]
    assert any(t == "👍❤️" for t in texts)
    assert any("Vivalla" in t or "plogas" in t for t in texts)
    assert any("BN 2024-00123" in t for t in texts)
    assert any(t.startswith("Hej! Vi har skickat vidare") for t in texts)
    assert any(len(t) > 400 and "\n" in t for t in texts)
    world = build_world(SandboxConfig())
    counts = [len(world.children(p.id)) for p in world.posts("facebook", "orebrokommun")]
    assert 0 in counts and max(counts) > facebook.FIRST_COMMENTS
    assert any(len(world.children(c.id)) > 3 for c in world.items if c.item_type == "comment")


# --- HTTP


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SMALL) as running:
        yield running


def _request(server: SandboxServer, path: str, data: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(server.base_url + path, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


CONSENTED = {"Cookie": f"{facebook.CONSENT_COOKIE}=all"}
SESSION = session_token(build_world(SMALL).secret, SANDBOX_CREDENTIALS[0])
LOGGED_IN = {"Cookie": f"{facebook.CONSENT_COOKIE}=all; {facebook.SESSION_COOKIE}={SESSION}"}


def _graphql(server: SandboxServer, doc: str, variables: dict, headers: dict | None = None) -> tuple[int, dict]:
    body = urllib.parse.urlencode({"doc_id": doc, "variables": json.dumps(variables)}).encode()
    status, _, data = _request(server, "/facebook/api/graphql/", body, headers if headers is not None else LOGGED_IN)
    return status, json.loads(data)


def _blob(html: bytes) -> dict:
    text = html.decode()
    start = text.index('<script type="application/json"')
    start = text.index(">", start) + 1
    return json.loads(text[start : text.index("</script>", start)])


def test_consent_wall_blocks_the_data(server: SandboxServer) -> None:
    status, _, html = _request(server, "/facebook/orebrokommun")
    assert status == 200 and "Tillåt alla cookies".encode() in html and b"Avvisa valfria cookies" in html
    assert b"application/json" not in html
    status, payload = _graphql(server, facebook.DOC_TIMELINE, {"id": PAGE_ID}, headers={})
    assert status == 403 and payload["data"] is None
    status, headers, _ = _request(server, "/facebook/consent/", b"choice=all")
    assert status == 200 and headers["Set-Cookie"].startswith("sb_consent=all;")
    status, _, html = _request(server, "/facebook/orebrokommun", headers=CONSENTED)
    assert "Tillåt alla cookies".encode() not in html and b'id="consent"' not in html
    assert b'data-logged-in="false"' in html
    assert len(_blob(html)["data"]["node"]["timeline_feed_units"]["edges"]) == facebook.TIMELINE_PAGE


def test_timeline_paging_terminates_and_covers_all_posts(server: SandboxServer) -> None:
    _, _, html = _request(server, "/facebook/orebrokommun", headers=CONSENTED)
    connection = _blob(html)["data"]["node"]["timeline_feed_units"]
    ids = [e["node"]["post_id"] for e in connection["edges"]]
    for _ in range(100):
        if not connection["page_info"]["has_next_page"]:
            break
        status, payload = _graphql(server, facebook.DOC_TIMELINE,
                                   {"id": PAGE_ID, "cursor": connection["page_info"]["end_cursor"], "count": 3})
        assert status == 200
        connection = payload["data"]["node"]["timeline_feed_units"]
        ids += [e["node"]["post_id"] for e in connection["edges"]]
    assert not connection["page_info"]["has_next_page"]
    posts = server.world.posts("facebook", "orebrokommun")
    pinned = facebook_pinned(server.world, "orebrokommun")
    assert pinned is not None and pinned.published_at.year == 2023
    # the pinned post first, older than the rest of the first page; then newest first, without it
    assert ids == [pinned.id] + [p.id for p in posts if p.id != pinned.id]
    times = [p.published_at for p in posts]
    assert times == sorted(times, reverse=True)


def test_comment_and_reply_paging(server: SandboxServer) -> None:
    world = server.world
    post = max(world.posts("facebook", "orebrokommun"), key=lambda p: len(world.children(p.id)))
    _, _, html = _request(server, f"/facebook/orebrokommun/posts/{post.id}", headers=LOGGED_IN)
    story = _blob(html)["data"]["node"]
    assert story["post_id"] == post.id and story["message"]["text"] == post.text
    connection = story["feedback"]["display_comments"]
    assert len(connection["edges"]) == facebook.FIRST_COMMENTS and connection["page_info"]["has_next_page"]
    ids = [e["node"]["legacy_fbid"] for e in connection["edges"]]
    while connection["page_info"]["has_next_page"]:
        status, payload = _graphql(server, facebook.DOC_COMMENTS, {
            "id": story["feedback"]["id"], "cursor": connection["page_info"]["end_cursor"], "count": 3})
        assert status == 200
        connection = payload["data"]["node"]["display_comments"]
        ids += [e["node"]["legacy_fbid"] for e in connection["edges"]]
    assert ids == [c.id for c in world.children(post.id)]

    comment = max((i for i in world.items if i.item_type == "comment"), key=lambda c: len(world.children(c.id)))
    feedback_id = facebook._opaque(f"feedback:{comment.id}")
    replies, cursor = [], None
    for _ in range(20):
        status, payload = _graphql(server, facebook.DOC_REPLIES, {"id": feedback_id, "cursor": cursor, "count": 3})
        node = payload["data"]["node"]
        assert node["legacy_fbid"] == comment.id
        page = node["feedback"]["replies_connection"]
        replies += [(e["node"]["legacy_fbid"], e["node"]["comment_parent"]["legacy_fbid"]) for e in page["edges"]]
        cursor = page["page_info"]["end_cursor"]
        if not page["page_info"]["has_next_page"]:
            break
    assert replies == [(r.id, comment.id) for r in world.children(comment.id)] and len(replies) > 3


def test_api_rejects_bad_requests(server: SandboxServer) -> None:
    assert _graphql(server, "NoSuchQuery", {"id": PAGE_ID})[0] == 400
    assert _graphql(server, facebook.DOC_TIMELINE, {"id": PAGE_ID, "cursor": "bm9wZQ"})[0] == 400
    assert _graphql(server, facebook.DOC_COMMENTS, {"id": "garbage"})[0] == 400
    status, _, _ = _request(server, "/facebook/api/graphql/", b"doc_id=x&variables={", LOGGED_IN)
    assert status == 400
    assert _request(server, "/facebook/orebrokommun/posts/123", headers=CONSENTED)[0] == 404
    assert _request(server, "/facebook/nobody")[0] == 404
    assert _request(server, "/nowhere")[0] == 404


def test_media_is_served_signed_and_cacheable(server: SandboxServer) -> None:
    media = next(m for m in server.world.media.values() if m.platform == "facebook")
    signed = sign_path(media.path, server.world.secret)
    status, headers, body = _request(server, signed)
    assert status == 200 and headers["Content-Type"] == "image/png" and body == media.data
    assert "max-age" in headers["Cache-Control"]
    assert hashlib.sha256(body).hexdigest() == media.sha256
    assert _request(server, signed, headers={"If-None-Match": headers["ETag"]})[0] == 304
    assert _request(server, "/facebook/media/nothing.png")[0] == 404
    # unsigned, tampered, expired: the CDN's 403
    expired = sign_path(media.path, server.world.secret, now=1_000_000)
    for path, said in ((media.path, b"Bad signature"), (signed[:-1] + ("0" if signed[-1] != "0" else "1"),
                                                         b"Bad signature"), (expired, b"expired")):
        status, _, body = _request(server, path)
        assert status == 403 and said in body


def test_video_byte_ranges(server: SandboxServer) -> None:
    video = next(m for m in server.world.media.values() if m.content_type == "video/mp4")
    signed = sign_path(video.path, server.world.secret)
    status, headers, body = _request(server, signed)
    assert status == 200 and headers["Content-Type"] == "video/mp4" and body == video.data
    status, headers, body = _request(server, signed, headers={"Range": "bytes=0-99"})
    assert status == 206 and body == video.data[:100]
    assert headers["Content-Range"] == f"bytes 0-99/{len(video.data)}"
    status, _, body = _request(server, signed + "&bytestart=100&byteend=199")  # a MediaSource segment
    assert status == 200 and body == video.data[100:200]
    assert _request(server, signed, headers={"Range": f"bytes={len(video.data)}-"})[0] == 416


def test_story_json_carries_signed_video_and_flags(server: SandboxServer) -> None:
    post = server.world.posts("facebook", "orebrokommunteckensprak")[0]
    _, _, html = _request(server, f"/facebook/orebrokommunteckensprak/posts/{post.id}", headers=LOGGED_IN)
    story = _blob(html)["data"]["node"]
    media = story["attachments"][0]["media"]
    assert media["__typename"] == "Video"
    assert "?exp=" in media["playable_url"] and "&sig=" in media["playable_url"]
    assert urllib.parse.urlsplit(media["playable_url"]).path == server.world.media[post.media[1]].path
    assert story["is_pinned"] is False and story["edited_time"] is None


def test_logged_out_shows_one_comment_and_a_login_prompt(server: SandboxServer) -> None:
    world = server.world
    post = max(world.posts("facebook", "orebrokommun"), key=lambda p: len(world.children(p.id)))
    _, _, html = _request(server, f"/facebook/orebrokommun/posts/{post.id}", headers=CONSENTED)
    feedback = _blob(html)["data"]["node"]["feedback"]
    assert len(feedback["display_comments"]["edges"]) == facebook.LOGGED_OUT_COMMENTS
    assert feedback["viewer_must_log_in"] is True
    status, payload = _graphql(server, facebook.DOC_COMMENTS, {"id": feedback["id"]}, headers=CONSENTED)
    assert status == 401 and payload["errors"][0]["message"] == facebook.LOGIN_PROMPT
    assert facebook.LOGIN_PROMPT.encode() in _request(server, "/facebook/static/facebook.js")[2]


def test_login_form_sets_a_session_cookie(server: SandboxServer) -> None:
    status, _, html = _request(server, "/facebook/login/?next=/facebook/orebrokommun")
    assert status == 200 and b'name="email"' in html and b'name="pass"' in html
    assert b'value="/facebook/orebrokommun"' in html and b'id="consent"' in html

    def post(email: str, password: str, target: str) -> tuple[int, dict, bytes]:
        form = urllib.parse.urlencode({"email": email, "pass": password, "next": target}).encode()
        opener = urllib.request.build_opener(_NoRedirect)
        request = urllib.request.Request(server.base_url + "/facebook/login/", data=form, headers=CONSENTED)
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    status, headers, html = post(SANDBOX_CREDENTIALS[0], "fel", "/facebook/orebrokommun")
    assert status == 200 and "Set-Cookie" not in headers and b"Fel e-postadress" in html
    status, headers, _ = post(*SANDBOX_CREDENTIALS, "/facebook/orebrokommun")
    assert status == 303 and headers["Location"] == "/facebook/orebrokommun"
    assert headers["Set-Cookie"].startswith(f"{facebook.SESSION_COOKIE}={SESSION};")
    status, headers, _ = post(*SANDBOX_CREDENTIALS, "https://evil.example/")
    assert status == 303 and headers["Location"] == "/facebook/"  # no open redirect


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def test_pages_and_api_answer_429_with_retry_after() -> None:
    with SandboxServer(SandboxConfig(posts_per_year=2, comments_per_post=2, throttle_every=2)) as running:
        assert _request(running, "/facebook/orebrokommun", headers=CONSENTED)[0] == 200
        status, headers, _ = _request(running, "/facebook/orebrokommunteckensprak", headers=CONSENTED)
        assert status == 429 and headers["Retry-After"] == "1"
        assert _request(running, "/facebook/orebrokommunteckensprak", headers=CONSENTED)[0] == 200  # once only
        assert _graphql(running, facebook.DOC_TIMELINE, {"id": PAGE_ID})[0] == 200
        body = urllib.parse.urlencode({"doc_id": facebook.DOC_TIMELINE, "variables": '{"count": 2}'}).encode()
        status, headers, _ = _request(running, "/facebook/api/graphql/", body, LOGGED_IN)
        assert status == 429 and headers["Retry-After"] == "1"


def test_edition_1_edits_one_post_and_deletes_another_per_year() -> None:
    before = build_world(SMALL)
    after = build_world(SandboxConfig(posts_per_year=6, comments_per_post=5, throttle_every=0, edition=1))
    for year in SMALL.years:
        old = {r["id"]: r for r in truth(before, year, "facebook")}
        new = {r["id"]: r for r in truth(after, year, "facebook")}
        for handle in HANDLES:
            old_posts = [k for k, r in old.items() if r["account"] == handle and r["item_type"] == "post"]
            new_posts = [k for k, r in new.items() if r["account"] == handle and r["item_type"] == "post"]
            gone = set(old_posts) - set(new_posts)
            assert len(gone) == 1 and set(new_posts) < set(old_posts)
            # the deleted post's thread went with it; nothing else changed but one text
            assert set(old) - set(new) >= {k for k, r in old.items() if r["post_id"] in gone}
            edited = [k for k in new_posts if new[k]["text"] != old[k]["text"]]
            assert len(edited) == 1 and new[edited[0]]["text"] == old[edited[0]]["text"] + EDITED_SUFFIX
        kept = set(new)
        assert all(new[k] == old[k] for k in kept if new[k]["text"] == old[k]["text"])
    with SandboxServer(after.config) as running:
        deleted = next(p for p in before.posts("facebook", "orebrokommun") if after.item(p.id) is None)
        assert _request(running, f"/facebook/orebrokommun/posts/{deleted.id}", headers=LOGGED_IN)[0] == 404
        edited = next(p for p in after.posts("facebook", "orebrokommun") if p.text.endswith(EDITED_SUFFIX))
        _, _, html = _request(running, f"/facebook/orebrokommun/posts/{edited.id}", headers=LOGGED_IN)
        story = _blob(html)["data"]["node"]
        assert story["edited_time"] > story["creation_time"] and story["message"]["text"] == edited.text
        assert b"Redigerat" in _request(running, "/facebook/static/facebook.js")[2]


def test_gzip_when_accepted_and_static_files(server: SandboxServer) -> None:
    status, headers, body = _request(server, "/facebook/orebrokommun",
                                     headers={**CONSENTED, "Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") == "gzip" and b"initial-data" in gzip.decompress(body)
    status, headers, body = _request(server, "/facebook/static/facebook.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and b"graphql" in body


def test_server_stops() -> None:
    running = SandboxServer(SMALL)
    url = running.start()
    assert url.startswith("http://127.0.0.1:") and running.base_url == url
    running.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/", timeout=2)


# --- CLI


def test_cli_truth_prints_jsonl() -> None:
    result = CliRunner().invoke(sandbox, ["truth", "--year", "2024", "--posts-per-year", "6",
                                          "--comments-per-post", "5", "--platform", "facebook"])
    assert result.exit_code == 0, result.output
    assert "Örebro kommun".encode() in result.stdout_bytes  # UTF-8, not \u escapes
    rows = [json.loads(line) for line in result.stdout_bytes.decode("utf-8").splitlines()]
    assert rows == truth(build_world(SMALL), 2024, "facebook")


def test_cli_serve_rejects_non_loopback_host() -> None:
    result = CliRunner().invoke(sandbox, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "loopback" in result.output


def test_cli_serve_until_sigterm() -> None:
    code = "from smarchive.cli.sandbox import sandbox; sandbox()"
    process = subprocess.Popen([sys.executable, "-c", code, "serve", "--posts-per-year", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("sandbox listening on http://127.0.0.1:")
        with urllib.request.urlopen(line.rsplit(" ", 1)[1] + "/", timeout=5) as response:
            assert "Örebro kommun" in response.read().decode()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def test_instagram_forgets_the_session_once_at_login_wall_after() -> None:
    """[sandbox] login_wall_after = 2: the 2nd post or profile page a logged-in browser opens is a login wall (the
    post page sends it to the login form), once; the pages before and after are served logged in."""
    import http.client
    from dataclasses import replace

    from smarchive.sandbox import instagram as sandbox_ig

    config = replace(SMALL, login_wall_after=2)
    world = build_world(config)
    post = world.posts("instagram", "orebrokommun")[0]
    cookie = f"{sandbox_ig.CONSENT_COOKIE}=all; {sandbox_ig.SESSION_COOKIE}={session_token(world.secret, 'arkivarie')}"
    answers = []
    with SandboxServer(config) as running:
        host, port = urllib.parse.urlsplit(running.base_url).netloc.split(":")
        for _ in range(4):
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            connection.request("GET", f"/instagram/p/{sandbox_ig.shortcode(post.id)}/", headers={"Cookie": cookie})
            answer = connection.getresponse()
            answers.append((answer.status, answer.getheader("Location", "")))
            connection.close()
    assert [status for status, _ in answers] == [200, 302, 200, 200]
    assert answers[1][1].startswith("/instagram/accounts/login/?next=")
