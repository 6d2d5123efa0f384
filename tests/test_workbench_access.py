"""Who may see what in the workbench, over real HTTP: a reader never meets a restricted item (pages, thread,
media, screenshot, search and its counts, exports, worklists, overview), even by guessing URLs; forms without
the session's CSRF token, forged session cookies, path traversal and open redirects are refused; restricted
views and decisions go to the audit log."""

from __future__ import annotations

import csv
import hashlib
import http.client
import io
import re
import shutil
import socket
import time
from urllib.parse import quote, urlsplit

import httpx
import pyarrow.parquet as pq
import pytest
from itsdangerous import TimestampSigner

from smarchive.archive import decisions
from smarchive.archive.decisions import EFFECTIVE
from smarchive.archive.query import connect
from smarchive.workbench import audit, replay

from workbench_server import PASSWORDS, add_users, running


def rows(archive, sql: str) -> list[dict]:
    con = connect(archive)
    try:
        return con.sql(sql).to_arrow_table().to_pylist()
    finally:
        con.close()


def login(base: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf": token, "user": name, "password": PASSWORDS[name], "next": "/"})
    assert answer.status_code == 303 and answer.headers["location"] == "/", answer.text
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def raw_get(base: str, path: str, cookies: httpx.Cookies) -> tuple[int, bytes]:
    """A request line sent exactly as written (httpx would resolve `..` itself)."""
    parts = urlsplit(base)
    con = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        con.putrequest("GET", path, skip_accept_encoding=True)
        con.putheader("Cookie", cookie)
        con.endheaders()
        answer = con.getresponse()
        return answer.status, answer.read()
    finally:
        con.close()


@pytest.fixture(scope="module")
def bench(sandbox_capture, tmp_path_factory):
    """A copy of the capture with users of each role, a restricted post with media (restricted by an archivist's
    decision), and the workbench serving it."""
    archive = tmp_path_factory.mktemp("workbench") / "archive"
    shutil.copytree(sandbox_capture.archive, archive)
    pipeline = str(sandbox_capture.archive.parent / "small-sandbox.toml")
    add_users(archive)
    post = rows(archive, "SELECT * FROM items WHERE item_type = 'post' AND len(media_sha256) > 0 AND "
                         "tag_access = 'open' AND (SELECT count(*) FROM items c WHERE c.post_id = items.item_id) > 2 "
                         "ORDER BY published_at, item_id LIMIT 1")[0]
    decisions.record(archive, decisions.review(post, "anna", "archivist", "personuppgifter i bilden",
                                               access="restricted"))
    with running(archive, pipeline) as base:
        yield archive, base, post


def restricted_items(archive) -> list[dict]:
    return rows(archive, "SELECT item_id, platform, text, media_sha256, post_id FROM items WHERE "
                         "coalesce(decision_access, tag_access) = 'restricted' ORDER BY item_id")


def shared_word(archive, post: dict) -> str:
    """A word of the restricted post that open items have too (so a search finds both kinds)."""
    def open_items(word: str) -> int:
        return rows(archive, f"SELECT count(DISTINCT item_id) AS n FROM terms WHERE term = '{word}' AND item_id IN "
                             "(SELECT item_id FROM items WHERE coalesce(decision_access, tag_access) = 'open')")[0]["n"]
    words = {w.lower() for w in re.findall(r"[^\W\d_]{4,}", post["text"])}
    best = max(sorted(words), key=open_items)
    assert open_items(best) > 0, "no word of the post is in an open item"
    return best


def test_reader_gets_404_for_every_route_of_a_restricted_item(bench):
    archive, base, post = bench
    restricted = restricted_items(archive)
    assert len(restricted) >= 2, "only the decision restricts anything: the rules' restricted items are untested"
    reader, archivist = login(base, "lisa"), login(base, "anna")
    token = csrf_of(reader.get("/search").text)
    for item in restricted:
        p, i = quote(item["platform"], safe=""), quote(item["item_id"], safe="")
        for path in (f"/item/{p}/{i}", f"/screenshot/{p}/{i}"):
            assert reader.get(path).status_code == 404, path
        assert archivist.get(f"/item/{p}/{i}").status_code == 200
        decided = reader.post(f"/decide/{p}/{i}", data={"csrf": token, "kind": "review", "confirm": "1",
                                                        "reason": "x"})
        assert decided.status_code in (403, 404)
    only_restricted = {sha for sha in post["media_sha256"]
                       if not rows(archive, f"SELECT 1 FROM items WHERE list_contains(media_sha256, '{sha}') AND "
                                            "coalesce(decision_access, tag_access) = 'open'")}
    assert only_restricted, "the restricted post's media are shown by open items too: nothing to test"
    for sha in only_restricted:
        assert reader.get(f"/media/{sha}").status_code == 404
        shown = archivist.get(f"/media/{sha}")
        assert shown.status_code == 200 and shown.headers["x-content-sha256"] == sha
    assert len(decisions.decision_files(archive)) == 1  # the reader's POSTs recorded nothing


def test_restricted_items_are_absent_from_a_readers_search_counts_and_exports(bench):
    archive, base, post = bench
    reader, archivist = login(base, "lisa"), login(base, "anna")
    word = shared_word(archive, post)
    for_archivist = archivist.get("/search", params={"q": word}).text
    first = reader.get("/search", params={"q": word}).text  # its page; the facets and total come after (htmx)
    assert 'hx-get="/search/facets?' in first and post["item_id"] not in first
    facets = reader.get("/search/facets", params={"q": word}).text
    assert post["item_id"] not in facets
    for_reader = reader.get("/search", params={"q": word}).text  # counted now: the page with its facets
    assert 'hx-get="/search/facets?' not in for_reader and for_reader.count('id="total"') == 1
    assert f"/item/{post['platform']}/{quote(post['item_id'], safe='')}" in for_archivist
    assert post["item_id"] not in for_reader
    assert re.search(r'id="total" hx-swap-oob="true">(\d+)<', facets).group(1) == \
        re.search(r'id="total">(\d+)<', for_reader).group(1)
    restricted_ids = {r["item_id"] for r in restricted_items(archive)}
    total = int(re.search(r'id="total">(\d+)<', for_reader).group(1))
    visible = rows(archive, f"SELECT count(*) AS n FROM items WHERE item_id IN (SELECT item_id FROM terms WHERE "
                            f"term LIKE '{word.lower()}%') AND coalesce(decision_access, tag_access) = 'open'")[0]["n"]
    assert total == visible
    facet_counts = [int(n) for n in re.findall(r'data-facet="access">(\w+)</a> <span class="count">(\d+)',
                                               for_reader) for n in [n[1]]]
    assert sum(facet_counts) == total and "restricted" not in re.findall(r'data-facet="access">(\w+)<', for_reader)
    # Every facet's counts are the reader's visible hits grouped by the decided value (an archivist's decision
    # wins over the tag), counted here independently of the workbench's code.
    visible_hits = (f"item_id IN (SELECT item_id FROM terms WHERE term LIKE '{word.lower()}%') "
                    f"AND {EFFECTIVE['access']} = 'open'")
    for facet, column in (("platform", "platform"), ("category", EFFECTIVE["category"]),
                          ("needs_review", EFFECTIVE["needs_review"])):
        shown = {value: int(n) for value, n in re.findall(
            rf'data-facet="{facet}">([^<]+)</a> <span class="count">(\d+)', for_reader)}
        counted = {str(r["v"]): r["n"] for r in rows(archive, f"SELECT {column} AS v, count(*) AS n FROM items "
                                                             f"WHERE {visible_hits} GROUP BY ALL")}
        if facet == "needs_review":
            counted = {("ja" if v == "True" else "nej"): n for v, n in counted.items()}
        assert shown == counted, facet
    exported = reader.get("/export/search.csv", params={"q": word})
    assert exported.content.startswith(b"\xef\xbb\xbf")
    ids = {r["item_id"] for r in csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";")}
    assert ids and not ids & restricted_ids
    for name in ("needs-review", "register", "remove", "cull"):
        for fmt in ("csv", "parquet"):
            answer = reader.get(f"/export/{name}.{fmt}")
            assert answer.status_code == 200
            got = (pq.read_table(io.BytesIO(answer.content)).column("item_id").to_pylist() if fmt == "parquet" else
                   [r["item_id"] for r in csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")),
                                                         delimiter=";")])
            assert not set(got) & restricted_ids, (name, fmt)
        assert not any(i in reader.get(f"/worklist/{name}").text for i in restricted_ids)
    # the thread of an open comment of the restricted post shows neither the post nor its text
    comment = rows(archive, f"SELECT item_id FROM items WHERE post_id = '{post['item_id']}' AND item_type = 'comment'"
                            " AND coalesce(decision_access, tag_access) = 'open' LIMIT 1")[0]
    page = reader.get(f"/item/{post['platform']}/{quote(comment['item_id'], safe='')}")
    assert page.status_code == 200 and post["text"][:40] not in page.text
    overview = reader.get("/").text
    open_items = rows(archive, "SELECT count(*) AS n FROM items WHERE coalesce(decision_access, tag_access) = 'open'")
    cells = re.findall(r"<tr><td>\d{4}</td><td>\w+</td><td>[^<]+</td><td>(\d+)</td>", overview)
    assert sum(int(c) for c in cells) == open_items[0]["n"]


def test_forms_without_csrf_and_forged_cookies_are_refused(bench):
    archive, base, post = bench
    archivist = login(base, "anna")
    target = rows(archive, "SELECT item_id, platform FROM items WHERE tag_access = 'open' LIMIT 1")[0]
    before = len(decisions.decision_files(archive))
    path = f"/decide/{target['platform']}/{quote(target['item_id'], safe='')}"
    form = {"kind": "review", "confirm": "1", "reason": "utan token"}
    assert archivist.post(path, data=form).status_code == 403
    assert archivist.post(path, data={**form, "csrf": "guessed"}).status_code == 403
    assert len(decisions.decision_files(archive)) == before
    assert httpx.post(f"{base}/login", data={"user": "anna", "password": PASSWORDS["anna"]}).status_code == 403
    forged = TimestampSigner("not the workbench's key").sign(b'{"user": "anna"}').decode()
    stranger = httpx.get(f"{base}/worklist/needs-review", cookies={"smarchive_workbench": forged})
    assert stranger.status_code == 303 and stranger.headers["location"].startswith("/login")
    tampered = httpx.get(f"{base}/", cookies={"smarchive_workbench": archivist.cookies["smarchive_workbench"][:-2]
                                              + "xx"})
    assert tampered.status_code == 303


@pytest.mark.parametrize("path", [
    "/media/../workbench/users.toml", "/media/..%2f..%2fworkbench%2fusers.toml", "/media/%2e%2e/%2e%2e/etc/passwd",
    "/media/%2e%2e%2fworkbench%2fsession.key", "/static/../app.py", "/static/..%2fusers.py",
    "/static/%2e%2e/%2e%2e/%2e%2e/workbench/users.toml", "/screenshot/facebook/..%2f..%2fworkbench%2fusers.toml",
    "/wacz/2024/..%2f..%2fworkbench%2fusers.toml", "/wacz/..%2f..%2fworkbench/users.wacz",
    "/wacz/2024/%2e%2e%2f%2e%2e%2fworkbench%2fsession.key%2f.wacz", "/wacz/2024/..%5c..%5cworkbench%5cusers.wacz",
    "/replay/..%2f..%2fworkbench%2fusers.toml", "/replay/%2e%2e%2fapp.py", "/replay/../app.py",
    "/as-it-looked/facebook/..%2f..%2fworkbench%2fusers.toml",
])
def test_path_traversal_is_refused(bench, path):
    archive, base, _ = bench
    archivist = login(base, "anna")
    for origin in (base, base.replay):  # the workbench, and the replay origin (WACZs, ReplayWeb.page)
        status, body = raw_get(origin, path, archivist.cookies)
        assert status in (400, 403, 404)
        assert b"argon2" not in body and b"import" not in body and b"root:" not in body


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "\\\\evil"])
def test_no_open_redirect_after_login(bench, target):
    _, base, _ = bench
    client = httpx.Client(base_url=base, follow_redirects=False)
    token = csrf_of(client.get("/login", params={"next": target}).text)
    answer = client.post("/login", data={"csrf": token, "user": "lisa", "password": PASSWORDS["lisa"],
                                         "next": target})
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_restricted_views_and_decisions_are_audited(bench):
    archive, base, post = bench
    registrar = login(base, "rolf")
    page = registrar.get(f"/item/{post['platform']}/{quote(post['item_id'], safe='')}")
    assert page.status_code == 200
    token = csrf_of(page.text)
    assert registrar.post(f"/decide/{post['platform']}/{quote(post['item_id'], safe='')}",
                          data={"csrf": token, "kind": "review", "confirm": "1", "reason": "x"}).status_code == 403
    answer = registrar.post(f"/decide/{post['platform']}/{quote(post['item_id'], safe='')}",
                            data={"csrf": token, "kind": "registered", "diarienummer": "KS 2024-00042"})
    assert answer.status_code == 303
    events = audit.read(archive)
    assert {"user": "rolf", "action": "view-restricted", "item_id": post["item_id"]}.items() <= next(
        e for e in events if e["action"] == "view-restricted" and e["user"] == "rolf").items()
    decided = [e for e in events if e["action"] == "decision" and e["user"] == "rolf"]
    assert decided and decided[-1]["kind"] == "registered" and decided[-1]["item_id"] == post["item_id"]
    assert rows(archive, f"SELECT diarienummer FROM items WHERE item_id = '{post['item_id']}'")[0] == {
        "diarienummer": "KS 2024-00042"}


# ---------------------------------------------------------------- "as it looked": replay page, WACZ, ReplayWeb.page

def replay_path(item: dict) -> str:
    return f"/as-it-looked/{quote(item['platform'], safe='')}/{quote(item['item_id'], safe='')}"


def source_of(page: str) -> str:
    """The WACZ's URL that an "as it looked" page gives ReplayWeb.page: on the replay origin, with a token."""
    return re.search(r'<replay-web-page source="([^"]+)"', page).group(1)


def secret_of(archive) -> str:
    return (archive / "workbench" / "session.key").read_text().strip()


def test_replay_of_an_account_holding_restricted_items_is_for_archivists_and_registrars_only(bench):
    """A WACZ holds every page of the account's year: one restricted comment in it makes the whole file, and the
    replay of any of its items, unavailable to a reader (404, as if it did not exist)."""
    archive, base, post = bench
    wacz = archive / "wacz" / "2024" / "facebook-orebrokommun.wacz"
    whole = wacz.read_bytes()
    path = "/wacz/2024/facebook-orebrokommun.wacz"
    open_item = rows(archive, "SELECT item_id, platform FROM items WHERE account = 'facebook-orebrokommun' AND "
                              "coalesce(decision_access, tag_access) = 'open' LIMIT 1")[0]
    reader, archivist, registrar = login(base, "lisa"), login(base, "anna"), login(base, "rolf")
    for item in [*restricted_items(archive), open_item]:
        assert reader.get(replay_path(item)).status_code == 404, item
    # a reader holding a genuine token of their own (as if the page had given one) still gets nothing of it
    forged = f"{base.replay}{path}?token={replay.token(secret_of(archive), 'lisa', 2024, 'facebook-orebrokommun')}"
    assert httpx.get(forged).status_code == 404
    assert httpx.get(forged, headers={"Range": "bytes=0-3"}).status_code == 404
    assert httpx.head(forged).status_code == 404
    assert "as-it-looked" not in reader.get(f"/item/{open_item['platform']}/{quote(open_item['item_id'], safe='')}"
                                            ).text
    assert archivist.get(path).status_code == 404  # the workbench's origin serves no WACZ at all

    page = archivist.get(replay_path(post))
    assert page.status_code == 200
    source = source_of(page.text)
    assert source.startswith(f"{base.replay}{path}?token=")
    assert f'replayBase="{base.replay}/replay/"' in page.text and 'src="/replay/ui.js"' in page.text
    assert page.headers["content-security-policy"].endswith(f"frame-src {base.replay}")  # frames the replay only
    assert f"form-action 'self' {base.replay};" in page.headers["content-security-policy"]  # logout passes there
    item_page = archivist.get(f"/item/{post['platform']}/{quote(post['item_id'], safe='')}").text
    assert f'href="{replay_path(post)}"' in item_page
    for who in (archivist, registrar):  # ReplayWeb.page reads the WACZ in parts: Range must work
        source = source_of(who.get(replay_path(post)).text)
        head = httpx.get(source, headers={"Range": "bytes=0-3"})
        assert head.status_code == 206 and head.content == b"PK\x03\x04" == whole[:4]
        assert head.headers["content-range"] == f"bytes 0-3/{len(whole)}"
        tail = httpx.get(source, headers={"Range": "bytes=-22"})  # the zip's end of central directory
        assert tail.status_code == 206 and tail.content == whole[-22:]
    full = httpx.get(source)
    assert full.status_code == 200 and full.headers["accept-ranges"] == "bytes"
    assert hashlib.sha256(full.content).hexdigest() == hashlib.sha256(whole).hexdigest()

    events = audit.read(archive)
    assert any(e["action"] == "replay-restricted" and e["user"] == "anna" and e["item_id"] == post["item_id"]
               for e in events)
    reads = [e for e in events if e["action"] == "wacz-restricted" and e["user"] == "anna"]
    assert len(reads) == 1 and reads[0]["wacz"] == "wacz/2024/facebook-orebrokommun.wacz"  # once, not per Range


def test_the_replay_origin_takes_no_session_only_a_token_for_that_account_and_year(bench):
    """The replay origin gets the workbench's session cookie too (a cookie of 127.0.0.1 goes to every port): it
    must count for nothing there. Only the token the workbench made opens a WACZ: unexpired, unaltered, for that
    account and year."""
    archive, base, post = bench
    archivist = login(base, "anna")
    source = source_of(archivist.get(replay_path(post)).text)
    path, _, grant = source.removeprefix(base.replay).partition("?token=")
    assert httpx.get(source, headers={"Range": "bytes=0-3"}).status_code == 206  # the token alone opens it
    with_session = httpx.Client(base_url=base.replay, cookies=archivist.cookies)
    assert with_session.get(path).status_code == 403  # the session, no token
    assert with_session.get(path, params={"token": archivist.cookies["smarchive_workbench"]}).status_code == 403
    assert httpx.get(f"{base.replay}{path}?token={grant[:-3]}AAA").status_code == 403  # altered signature
    # account B: the capture has one account, so B's WACZ is a copy of A's under another account's name
    other = archive / "wacz" / "2024" / "facebook-annankommun.wacz"
    shutil.copyfile(archive / "wacz" / "2024" / "facebook-orebrokommun.wacz", other)
    try:
        assert httpx.get(f"{base.replay}/wacz/2024/{other.stem}.wacz?token={grant}").status_code == 403
        own = replay.token(secret_of(archive), "anna", 2024, other.stem)  # B's own token opens B
        assert httpx.get(f"{base.replay}/wacz/2024/{other.stem}.wacz?token={own}").status_code == 200
    finally:
        other.unlink()
    assert httpx.get(f"{base.replay}/wacz/2025/facebook-orebrokommun.wacz?token={grant}").status_code == 403
    secret = secret_of(archive)
    expired = replay.token(secret, "anna", 2024, "facebook-orebrokommun", now=time.time() - 2 * replay.TOKEN_PERIOD)
    assert httpx.get(f"{base.replay}{path}?token={expired}").status_code == 403
    fresh = replay.token(secret, "anna", 2024, "facebook-orebrokommun")
    assert httpx.get(f"{base.replay}{path}?token={fresh}", headers={"Range": "bytes=0-3"}).status_code == 206
    gone = replay.token(secret, "nobody", 2024, "facebook-orebrokommun")  # a user no longer in users.toml
    assert httpx.get(f"{base.replay}{path}?token={gone}").status_code == 403
    wrong_key = replay.token("not the workbench's key", "anna", 2024, "facebook-orebrokommun")
    assert httpx.get(f"{base.replay}{path}?token={wrong_key}").status_code == 403
    # and the replay origin has no workbench pages, whatever cookie comes along
    for page in ("/", "/search?q=x", f"/item/{post['platform']}/{quote(post['item_id'], safe='')}", "/login"):
        assert with_session.get(page).status_code == 404, page


def test_the_workbench_answers_no_request_made_for_the_replay_origin(bench):
    """Scripts on the replay origin (the replayed pages') send the session cookie along to the workbench (same
    site): the workbench refuses what they send (Origin, Fetch Metadata) and never allows a cross-origin read."""
    archive, base, post = bench
    archivist = login(base, "anna")
    item = f"/item/{post['platform']}/{quote(post['item_id'], safe='')}"
    assert archivist.get(item).status_code == 200
    before = len([e for e in audit.read(archive) if e["action"] == "view-restricted"])
    for headers in ({"Origin": base.replay}, {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors"},
                    {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"},
                    {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"},
                    {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}):
        answer = archivist.get(item, headers=headers)
        assert answer.status_code == 403, headers
        assert "access-control-allow-origin" not in answer.headers
        token = csrf_of(archivist.get("/search").text)
        posted = archivist.post(f"/decide/{post['platform']}/{quote(post['item_id'], safe='')}", headers=headers,
                                data={"csrf": token, "kind": "registered", "diarienummer": "KS 2024-00999"})
        assert posted.status_code == 403, headers
    # nothing was shown: no view of the restricted item was logged for them
    assert len([e for e in audit.read(archive) if e["action"] == "view-restricted"]) == before
    # a link followed from elsewhere still opens the page (a top-level navigation)
    followed = archivist.get(item, headers={"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate",
                                            "Sec-Fetch-Dest": "document"})
    assert followed.status_code == 200 and "access-control-allow-origin" not in followed.headers
    assert followed.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in followed.headers[
        "content-security-policy"]


def test_replaywebpage_is_served_unmodified_from_the_replay_origin(bench):
    archive, base, _ = bench
    archivist = login(base, "anna")
    folder = replay.assets_dir()
    sums = dict(line.split()[::-1] for line in (folder / "SHA256SUMS").read_text().splitlines())
    for origin, names in ((base.replay, ("ui.js", "sw.js", "LICENSE")), (base, ("ui.js", "LICENSE"))):
        for name in names:
            answer = httpx.get(f"{origin}/replay/{name}")
            assert answer.status_code == 200
            assert hashlib.sha256(answer.content).hexdigest() == sums[name]  # as unpacked from the checked tarball
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in httpx.get(f"{base.replay}/replay/LICENSE").text
    assert httpx.get(f"{base.replay}/replay/sw.js").headers["content-type"].startswith("text/javascript")
    frame = httpx.get(f"{base.replay}/replay/")  # the replay frame, framed by the workbench's pages only
    assert frame.status_code == 200 and "<replay-app-main>" in frame.text
    assert frame.headers["content-security-policy"].endswith(f"frame-ancestors {base}")
    worker = httpx.get(f"{base.replay}/replay/sw.js").headers["content-security-policy"]
    assert "frame-ancestors 'none'" in worker and "connect-src 'self'" in worker  # it reads the WACZ from there
    for path in ("/replay/", "/replay/sw.js", "/replay/package.json"):  # no service worker on the workbench's origin
        assert archivist.get(path).status_code == 404, path
    assert httpx.get(f"{base.replay}/replay/package.json").status_code == 404
    assert archivist.get("/").headers["x-frame-options"] == "DENY"
    # the workbench's logout passes through the replay origin, which clears its storage and comes back
    bye = httpx.get(f"{base.replay}/logout")
    assert bye.headers["clear-site-data"] == '"cache", "storage"' and f"url={base}/login" in bye.text


@pytest.fixture(scope="module")
def opened(sandbox_capture, tmp_path_factory):
    """A copy where an archivist has decided every restricted item open: the account's WACZ then holds nothing a
    reader may not see."""
    archive = tmp_path_factory.mktemp("workbench-open") / "archive"
    shutil.copytree(sandbox_capture.archive, archive)
    add_users(archive)
    for item in rows(archive, "SELECT * FROM items WHERE tag_access = 'restricted'"):
        decisions.record(archive, decisions.review(item, "anna", "archivist", "prövat: kan lämnas ut", access="open"))
    with running(archive, str(sandbox_capture.archive.parent / "small-sandbox.toml")) as base:
        yield archive, base


def test_a_reader_replays_an_account_with_nothing_restricted_until_an_item_is_restricted(opened):
    archive, base = opened
    post = rows(archive, "SELECT * FROM items WHERE item_type = 'post' ORDER BY published_at LIMIT 1")[0]
    reader = login(base, "lisa")
    page = reader.get(replay_path(post))
    assert page.status_code == 200
    source = source_of(page.text)
    assert httpx.get(source, headers={"Range": "bytes=0-3"}).status_code == 206
    assert not any(e["action"].startswith(("replay-", "wacz-")) for e in audit.read(archive))
    comment = rows(archive, f"SELECT * FROM items WHERE post_id = '{post['item_id']}' AND item_type = 'comment' "
                            "LIMIT 1")[0]
    decisions.record(archive, decisions.review(comment, "anna", "archivist", "personuppgifter", access="restricted"))
    assert httpx.get(source, headers={"Range": "bytes=0-3"}).status_code == 404  # the decision counts at once
    assert reader.get(replay_path(post)).status_code == 404


def test_without_replaywebpage_the_workbench_starts_and_says_so(sandbox_capture, tmp_path, monkeypatch):
    archive = tmp_path / "archive"
    shutil.copytree(sandbox_capture.archive, archive)
    add_users(archive)
    monkeypatch.setenv("SMARCHIVE_REPLAYWEBPAGE", str(tmp_path / "not-installed"))
    post = rows(archive, "SELECT * FROM items WHERE item_type = 'post' LIMIT 1")[0]
    with running(archive, str(sandbox_capture.archive.parent / "small-sandbox.toml")) as base:
        archivist = login(base, "anna")
        page = archivist.get(replay_path(post))
        assert page.status_code == 200 and "make setup" in page.text and "<replay-web-page" not in page.text
        for path in ("/replay/ui.js", "/replay/sw.js", "/replay/"):
            assert archivist.get(path).status_code == 404
            assert httpx.get(base.replay + path).status_code == 404


def test_serve_starts_and_stops_the_workbench_and_its_replay_origin_together(sandbox_capture, tmp_path):
    """`smarchive serve` as a user starts it: one process, two ports (the replay origin on --port + 1); Ctrl-C
    (SIGINT) stops both. Binding elsewhere without the two public addresses is refused."""
    import signal
    import subprocess
    import sys

    from conftest import free_port

    archive = tmp_path / "archive"
    shutil.copytree(sandbox_capture.archive, archive)
    add_users(archive)
    command = [sys.executable, "-m", "smarchive", "serve", "--archive", str(archive), "--pipeline",
               str(sandbox_capture.archive.parent / "small-sandbox.toml")]
    refused = subprocess.run([*command, "--host", "0.0.0.0"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--url and --replay-url" in refused.stderr
    port = free_port()
    same = subprocess.run([*command, "--port", str(port), "--replay-port", str(port)], capture_output=True,
                          text=True, timeout=60)
    assert same.returncode == 2 and "--replay-port must differ" in same.stderr
    process = subprocess.Popen([*command, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    base, replay_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{replay_base}/replay/LICENSE").status_code == 200 and login(base, "anna"):
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        post = rows(archive, "SELECT * FROM items WHERE item_type = 'post' LIMIT 1")[0]
        assert source_of(login(base, "anna").get(replay_path(post)).text).startswith(f"{replay_base}/wacz/")
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode in (0, -signal.SIGINT, 130), err
    assert f"workbench: {base}/  replay: {replay_base}/" in err
    # Both stopped: their ports can be bound again. (Not "a request fails": the ports come from the
    # ephemeral range, where a connect to a closed port may connect the client to itself.)
    for free in (port, port + 1):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", free))  # OSError "address in use" while anything still listens


def test_a_search_says_which_items_files_it_could_not_search(sandbox_capture, tmp_path):
    """An items file without its word index (lost, or never built after a crash) is named on the search page,
    with what to run: its items are not in the results, and the page does not look complete."""
    archive = tmp_path / "archive"
    shutil.copytree(sandbox_capture.archive, archive)
    add_users(archive)
    lost = sorted((archive / "manifest" / "terms").rglob("*.parquet"))[0]
    lost.unlink()
    shown = "manifest/items/" + lost.relative_to(archive / "manifest" / "terms").as_posix()
    with running(archive, str(sandbox_capture.archive.parent / "small-sandbox.toml")) as base:
        page = login(base, "anna").get("/search", params={"q": "och"})
        assert page.status_code == 200
        assert "Sökningen är ofullständig" in page.text and shown in page.text and "smarchive reindex" in page.text
        assert "ofullständig" not in login(base, "anna").get("/search").text, "said with a search, not before"
