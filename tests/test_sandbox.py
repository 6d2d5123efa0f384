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

from smarchive.sandbox import facebook
from smarchive.sandbox.cli import sandbox
from smarchive.sandbox.content import STOCKHOLM, SandboxConfig, build_world
from smarchive.sandbox.server import SandboxServer
from smarchive.sandbox.truth import truth

SMALL = SandboxConfig(posts_per_year=6, comments_per_post=5)
PAGE_ID = "100064545367913"


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


def test_images_are_distinct_pngs() -> None:
    world = build_world(SandboxConfig())
    assert len(world.media) > 10
    digests = {m.sha256 for m in world.media.values()}
    assert len(digests) == len(world.media)
    for media in world.media.values():
        assert media.data.startswith(b"\x89PNG\r\n\x1a\n") and media.content_type == "image/png"
        assert media.path == f"/facebook/media/{media.id}.png"


def test_truth_follows_the_year_rule_with_boundary_cases() -> None:
    world = build_world(SandboxConfig())
    seen: Counter[str] = Counter()
    for year in world.config.years:
        rows = truth(world, year)
        posts = {r["id"]: r for r in rows if r["item_type"] == "post"}
        for row in rows:
            seen[row["id"]] += 1
            assert row["post_id"] in posts  # a thread is in its post's year
            assert _utc(posts[row["post_id"]]).astimezone(STOCKHOLM).year == year
            assert row["published_at"].endswith("Z") and row["platform"] == "facebook"
            assert row["account"] == "orebrokommun"
            assert row["permalink"].startswith(f"/facebook/orebrokommun/posts/{row['post_id']}")
        # a post just after New Year in Stockholm is still the previous year in UTC
        assert any(_utc(p).year == year - 1 for p in posts.values())
        # a late December post whose thread was written in January of the next year
        assert any(r["item_type"] != "post" and _utc(r).year == year + 1 for r in rows)
    assert set(seen) == {i.id for i in world.items} and set(seen.values()) == {1}


def test_truth_shape_and_order() -> None:
    world = build_world(SMALL)
    rows = truth(world, 2024, "facebook")
    assert rows == truth(world, 2024) and truth(world, 2024, "instagram") == []
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


def _graphql(server: SandboxServer, doc: str, variables: dict, headers: dict | None = None) -> tuple[int, dict]:
    body = urllib.parse.urlencode({"doc_id": doc, "variables": json.dumps(variables)}).encode()
    status, _, data = _request(server, "/facebook/api/graphql/", body, headers if headers is not None else CONSENTED)
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
    assert ids == [p.id for p in server.world.posts("facebook", "orebrokommun")]
    times = [p.published_at for p in server.world.posts("facebook", "orebrokommun")]
    assert times == sorted(times, reverse=True)


def test_comment_and_reply_paging(server: SandboxServer) -> None:
    world = server.world
    post = max(world.posts("facebook", "orebrokommun"), key=lambda p: len(world.children(p.id)))
    _, _, html = _request(server, f"/facebook/orebrokommun/posts/{post.id}", headers=CONSENTED)
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
    status, _, _ = _request(server, "/facebook/api/graphql/", b"doc_id=x&variables={", CONSENTED)
    assert status == 400
    assert _request(server, "/facebook/orebrokommun/posts/123", headers=CONSENTED)[0] == 404
    assert _request(server, "/facebook/nobody")[0] == 404
    assert _request(server, "/nowhere")[0] == 404


def test_media_is_served_cacheable(server: SandboxServer) -> None:
    media = next(iter(server.world.media.values()))
    status, headers, body = _request(server, media.path)
    assert status == 200 and headers["Content-Type"] == "image/png" and body == media.data
    assert "max-age" in headers["Cache-Control"]
    assert hashlib.sha256(body).hexdigest() == media.sha256
    assert _request(server, media.path, headers={"If-None-Match": headers["ETag"]})[0] == 304
    assert _request(server, "/facebook/media/nothing.png")[0] == 404


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
    assert rows == truth(build_world(SMALL), 2024)


def test_cli_serve_rejects_non_loopback_host() -> None:
    result = CliRunner().invoke(sandbox, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "loopback" in result.output


def test_cli_serve_until_sigterm() -> None:
    code = "from smarchive.sandbox.cli import sandbox; sandbox()"
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
