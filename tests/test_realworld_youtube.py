"""The YouTube extraction code against what YouTube really sends (../shared/real-world samples).

InnerTube recordings by NewPipeExtractor (youtubei/v1/next comment pages, reply pages, browse
continuations of a Videos tab) and watch / channel pages from pytube's mocks. Skipped when the
samples are not there (a fresh clone).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from smarchive.archive.warc import WarcAssembler, iter_responses, warc_date
from smarchive.model import STOCKHOLM, Account
from smarchive.platforms.base import CapturedResponse
from smarchive.platforms.youtube import (
    YouTubeAdapter,
    continuation_tokens,
    documents,
    embedded_json,
    playability_problem,
    read_comments,
    read_grid,
    read_player,
    read_threads,
    resolve_relative,
)

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "real-world"
NEWPIPE = SAMPLES / "yt-innertube-newpipe"
PYTUBE = SAMPLES / "yt-html-pytube"

pytestmark = pytest.mark.skipif(not (NEWPIPE.is_dir() and PYTUBE.is_dir()), reason="real-world samples absent")


def recorded(name: str) -> CapturedResponse:
    """A NewPipe mock recording as the WARC reader would hand it over (request body included)."""
    data = json.loads((NEWPIPE / name).read_text(encoding="utf-8"))
    request, response = data["request"], data["response"]
    return CapturedResponse(
        url=request["url"], status=response["responseCode"], content_type="application/json",
        body=response["responseBody"].encode("utf-8"), warc_file="sample", record_id=f"<urn:{name}>", offset=0,
        method=request["httpMethod"], request_body=bytes(b % 256 for b in request["dataToSend"]),
    )


def page(name: str, url: str) -> CapturedResponse:
    return CapturedResponse(url=url, status=200, content_type="text/html; charset=utf-8",
                            body=(PYTUBE / name).read_bytes(), warc_file="sample", record_id=f"<urn:{name}>", offset=0)


def comments_of(name: str):  # type: ignore[no-untyped-def]
    return [c for doc in documents(recorded(name)) for c in read_comments(doc)]


def threads_of(name: str):  # type: ignore[no-untyped-def]
    return [t for doc in documents(recorded(name)) for t in read_threads(doc)]


# --- youtubei/v1/next: comments


def test_first_next_answer_has_no_comments_only_a_continuation() -> None:
    response = recorded("youtubecommentsextractor_replies__generated_mock_2.json")
    assert json.loads(response.request_body)["videoId"] == "xaQJbozY_Is"
    (doc,) = documents(response)
    assert read_comments(doc) == []
    section = [t for t in continuation_tokens(doc) if t.startswith("Eg0SC3hhUUpib3pZX0lz")]
    assert section, "the comment section is a continuation token"


def test_comment_page_in_the_entity_model() -> None:
    comments = comments_of("youtubecommentsextractor_replies__generated_mock_3.json")
    assert len(comments) == 20 and all(c.reply_level == 0 for c in comments)
    assert {c.video_id for c in comments} == {"xaQJbozY_Is"}
    first = next(c for c in comments if c.comment_id == "UgwSOM0QHBLysE3vZE54AaABAg")
    assert first.author == "@kurzgesagt" and first.is_creator and first.pinned
    assert first.text.startswith("The 12,022 Calendar is sold out")
    assert first.published_text == "4 years ago (edited)" and first.published_at == ""
    assert first.reply_count == "327" and first.likes == "9.8k"
    assert first.parent_id == "xaQJbozY_Is"
    assert first.url == "/watch?v=xaQJbozY_Is&lc=UgwSOM0QHBLysE3vZE54AaABAg"
    threads = threads_of("youtubecommentsextractor_replies__generated_mock_3.json")
    pinned = [t for t in threads if t.pinned]
    assert [t.comment_id for t in pinned] == ["UgwSOM0QHBLysE3vZE54AaABAg"]
    assert pinned[0].replies_text == "327 replies" and len(pinned[0].reply_tokens) == 1


def test_reply_page() -> None:
    replies = comments_of("youtubecommentsextractor_replies__generated_mock_4.json")
    assert len(replies) == 10 and all(r.reply_level == 1 for r in replies)
    assert {r.parent_id for r in replies} == {"UgwSOM0QHBLysE3vZE54AaABAg"}
    by_id = {r.comment_id: r for r in replies}
    first = by_id["UgwSOM0QHBLysE3vZE54AaABAg.9TOrAAD78Z59TP5tOBhBXP"]
    assert (first.author, first.text, first.published_text) == ("@andrefarfan4372", "First", "4 years ago")
    second = by_id["UgwSOM0QHBLysE3vZE54AaABAg.9TOrAAD78Z59TP5wzZaXg0"]
    assert second.text.strip() == "@andrefarfan4372\xa0 im 2nd yessss"
    (doc,) = documents(recorded("youtubecommentsextractor_replies__generated_mock_4.json"))
    assert len(continuation_tokens(doc)) == 1, "more replies behind one more continuation"


def test_creator_reply_hearted_and_pinned_comments() -> None:
    comments = comments_of("youtubecommentsextractor_creatorreply__generated_mock_3.json")
    assert len(comments) == 20 and {c.video_id for c in comments} == {"bem4adjGKjE"}
    assert [c.author for c in comments if c.is_creator] == ["@UndineAlmani"]
    assert sum(c.hearted for c in comments) == 9
    threads = threads_of("youtubecommentsextractor_creatorreply__generated_mock_3.json")
    answered = [t for t in threads if t.creator_replied]
    assert len(answered) == 6
    assert {t.replies_text for t in answered} == {"1 reply", "2 replies"}
    assert "UgyvwwIVFcQdcOjxAmV4AaABAg" in {t.comment_id for t in answered}

    hearted = comments_of("youtubecommentsextractor_heartedbycreator__generated_mock_3.json")
    assert len(hearted) == 20 and sum(c.hearted for c in hearted) == 9
    assert next(c for c in hearted if c.comment_id == "UgwVQuzyc79rasw-_P94AaABAg").hearted
    assert not next(c for c in hearted if c.comment_id == "Ugz1Zrohy_1rB1ecwJF4AaABAg").hearted

    pinned = comments_of("youtubecommentsextractor_pinned__generated_mock_3.json")
    top = [c for c in pinned if c.pinned]
    assert len(pinned) == 20 and [c.comment_id for c in top] == ["Ugyh_hTLZVme65Jqc954AaABAg"]
    assert top[0].author == "@lemondefr" and top[0].is_creator
    assert top[0].text.startswith("Pour retrouver toutes nos vidéos d'explication sur le Covid-19")


def test_relative_times_are_estimated_against_a_reference() -> None:
    reference = datetime(2026, 1, 27, tzinfo=UTC)
    assert resolve_relative("4 years ago (edited)", reference) == datetime(2022, 1, 28, tzinfo=UTC)
    assert resolve_relative("14 hours ago", reference) == datetime(2026, 1, 26, 10, tzinfo=UTC)
    assert resolve_relative("för 2 veckor sedan", reference) == datetime(2026, 1, 13, tzinfo=UTC)
    assert resolve_relative("igår", reference) is None


# --- youtubei/v1/browse: the Videos tab


def test_videos_tab_and_its_continuation() -> None:
    (first,) = documents(recorded("youtubechanneltabextractor_videos__generated_mock_3.json"))
    tiles = read_grid(first)
    assert len(tiles) == 30 and len({t.video_id for t in tiles}) == 30
    assert tiles[0].video_id == "BD-LB23rRBE" and tiles[0].published_text == "13 days ago"
    assert tiles[0].title.startswith("Expert Panel III: Global Perspectives on Open Heritage")
    token = next(t for t in continuation_tokens(first) if t.startswith("4qmFsgLZCRIY"))
    more = recorded("youtubechanneltabextractor_videos__generated_mock_4.json")
    assert json.loads(more.request_body)["continuation"] == token
    (second,) = documents(more)
    next_tiles = read_grid(second)
    assert len(next_tiles) == 30 and not {t.video_id for t in tiles} & {t.video_id for t in next_tiles}
    assert (next_tiles[0].video_id, next_tiles[0].published_text) == ("CIFHx7_z3Vc", "1 year ago")
    assert len(continuation_tokens(second)) == 1


def test_channel_home_browse_is_read_without_videos_as_items() -> None:
    response = recorded("youtubechannelextractor_gronkh__generated_mock_3.json")
    assert len([t for doc in documents(response) for t in read_grid(doc)]) == 30
    gronkh = Account(id="youtube-gronkh", platform="youtube", name="GronkhTV", url="x", handle="GronkhTV")
    assert YouTubeAdapter().extract([response], gronkh, 2026).items == []  # tiles have no dates: no items


# --- pytube's pages


def test_watch_page_player_response_and_initial_data() -> None:
    response = page("watch_2lAe1cqCOXo.html", "https://www.youtube.com/watch?v=2lAe1cqCOXo")
    found = embedded_json(response.body.decode("utf-8"))
    assert set(found) == {"ytInitialPlayerResponse", "ytInitialData"}
    video = read_player(found["ytInitialPlayerResponse"][0])
    assert video is not None and playability_problem(video) is None
    assert video.title == "YouTube Rewind 2019: For the Record | #YouTubeRewind"
    assert video.publish_date == "2019-12-05" and video.author == "YouTube"
    assert video.description.startswith("In 2018, we made something you didn’t like.")
    assert video.description.endswith("visit: https://rewind.youtube/about") and len(video.description) == 1004
    assert len(video.progressive_urls) == 2 and video.channel_id == "UCBR8-60-B28hp2BmDPdntcQ"
    data = found["ytInitialData"][0]
    assert read_comments(data) == [], "comments are never in the HTML"
    assert any(t.startswith("Eg0SCzJsQWUxY3FDT1hv") for t in continuation_tokens(data))

    # No handle in the register: the channel id in the account's URL decides, not the display name.
    account = Account(id="youtube-youtube", platform="youtube", name="Not the name YouTube shows",
                      url="https://www.youtube.com/channel/UCBR8-60-B28hp2BmDPdntcQ")
    extraction = YouTubeAdapter().extract([response], account, 2019)
    (item,) = extraction.items
    assert item.time_precision == "day", "publishDate is a bare date"
    assert [(o.platform_id, o.name) for o in extraction.owners] == [("UCBR8-60-B28hp2BmDPdntcQ", "YouTube")]
    assert (item.id, item.item_type, item.author) == ("2lAe1cqCOXo", "post", "YouTube")
    assert item.text == f"{video.title}\n\n{video.description}"
    assert item.published_at.date().isoformat() == "2019-12-05"
    assert item.permalink == "https://www.youtube.com/watch?v=2lAe1cqCOXo"
    assert [m.kind for m in item.media] == ["video", "image"]
    assert YouTubeAdapter().extract([response], account, 2020).items == []


def test_login_required_video_is_reported_not_crashed_on() -> None:
    response = page("watch_irauhITDrsE.html", "https://www.youtube.com/watch?v=irauhITDrsE")
    players = embedded_json(response.body.decode("utf-8"))["ytInitialPlayerResponse"]
    video = read_player(players[0])
    assert video is not None and video.playability == "LOGIN_REQUIRED"
    assert playability_problem(video) == "LOGIN_REQUIRED: Sign in to confirm your age"
    assert video.progressive_urls == [] and video.title == "THE MOST AGE RESTRICTED VIDEO EVER"
    info = read_player(json.loads((PYTUBE / "vid_info_irauhITDrsE.json").read_text(encoding="utf-8")))
    assert info is not None and info.playability == "LOGIN_REQUIRED"
    account = Account(id="x", platform="youtube", name="OfficialDuckStudios", url="x",
                      platform_id="UCyuj5evMBVwyGrqfoKegmBw")
    (item,) = YouTubeAdapter().extract([response], account, 2016).items
    assert item.media[0].kind == "image" and len(item.media) == 1, "no film to keep, only its thumbnail"


def test_channel_videos_page_grid() -> None:
    response = page("channel-videos.html", "https://www.youtube.com/c/ProgrammingKnowledge/videos")
    docs = list(documents(response))
    tiles = [t for doc in docs for t in read_grid(doc)]
    assert len(tiles) == 30
    assert (tiles[0].video_id, tiles[0].published_text) == ("t_xLpJo_35k", "2 days ago")
    assert tiles[1].title == "Docker Tutorial | Crash Course"
    assert len([t for doc in docs for t in continuation_tokens(doc)]) == 1


def test_garbage_is_skipped() -> None:
    def response(body: bytes, content_type: str = "application/json") -> CapturedResponse:
        return CapturedResponse(url="http://127.0.0.1:9/youtube/youtubei/v1/next", status=200,
                                content_type=content_type, body=body, warc_file="w", record_id="<x>", offset=0)

    junk = [response(b"\xff\xfe"), response(b"{not json"), response(b"[" * 100_000 + b"]" * 100_000),
            response(b"null"), response(b'{"frameworkUpdates": {"entityBatchUpdate": {"mutations": [1, {}]}}}'),
            response(b'{"videoDetails": {"videoId": 5}, "playabilityStatus": []}'),
            response(b"<html><script>var ytInitialData = {broken</script>", "text/html"),
            response(b"\x00\x00\x00\x18ftypisom", "video/mp4")]
    account = Account(id="x", platform="youtube", name="Örebro kommun", url="x", handle="orebrokommun")
    assert YouTubeAdapter().extract(junk, account, 2024).items == []


# --- the adapter's extract over a WARC built from the recordings: hand counts, fields, counts, owners, notes

# The NewPipe recordings of one watch page each: /next (video, owner, comment panel), the first comment page,
# and (for "replies") one reply page. Hand counts: comments = commentEntityPayload mutations of the comment page
# (20 each), replies = those of the reply page (10); each watch page is one video (post).
SETS = {  # set -> (video id, channel id, handle, year, posts, comments, replies, comment header "N Comments")
    "replies": ("xaQJbozY_Is", "UCsXVk37bltHxD1rDPwtNM8Q", "kurzgesagt", 2021, 1, 20, 10, 21_051),
    "creatorreply": ("bem4adjGKjE", "UCGc7D1dcbCWHzh3SfDhSFhw", "UndineAlmani", 2023, 1, 20, 0, 105),
    "heartedbycreator": ("RwTdoQNVMTY", "UCFWb7yv47XOZwogZzZhNgww", "connor.craftt", 2026, 1, 20, 0, 68),
    "pinned": ("bjFtFMilb34", "UCYpRDnhk5H8h16jpS84uqsA", "lemondefr", 2020, 1, 20, 0, 5_145),
}


def _http_block(status: int, content_type: str, body: bytes, date: str) -> bytes:
    head = f"HTTP/1.1 {status} OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return (head + (f"Date: {date}\r\n" if date else "") + "\r\n").encode("utf-8") + body


def warc_of(tmp_path: Path, answers: list[tuple]) -> list[CapturedResponse]:
    """A WARC holding the answers (url, content type, body, HTTP Date[, POST body]) with their requests, read back
    as the pipeline reads WARCs."""
    writer = WarcAssembler(tmp_path / "real.warc.gz")
    for url, content_type, body, date, *posted in answers:
        when = warc_date(parsedate_to_datetime(date)) if date else None
        written = writer.write("response", url, "application/http; msgtype=response",
                               _http_block(200, content_type, body, date), date=when)
        request = posted[0] if posted else b""
        head = f"{'POST' if request else 'GET'} {urlsplit(url).path} HTTP/1.1\r\nHost: {urlsplit(url).netloc}\r\n"
        writer.write("request", url, "application/http; msgtype=request", f"{head}\r\n".encode() + request,
                     extra=[("WARC-Concurrent-To", written.record_id)], date=when)
    return list(iter_responses(writer.close()))


def newpipe_answers(names: list[str], mutate: tuple[str, str] | None = None) -> list[tuple[str, str, bytes, str]]:
    found = []
    for name in names:
        data = json.loads((NEWPIPE / name).read_text(encoding="utf-8"))
        body = data["response"]["responseBody"]
        if mutate:
            body = body.replace(f'"{mutate[0]}"', f'"{mutate[1]}"')
        date = (data["response"]["responseHeaders"].get("date") or [""])[0]
        posted = bytes(b % 256 for b in data["request"]["dataToSend"] or [])
        found.append((data["request"]["url"], "application/json; charset=UTF-8", body.encode("utf-8"), date, posted))
    return found


def set_files(name: str) -> list[str]:
    files = [f"youtubecommentsextractor_{name}__generated_mock_{n}.json" for n in (2, 3, 4)]
    return [f for f in files if (NEWPIPE / f).is_file()]


def kinds(items) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return tuple(sum(i.item_type == kind for i in items) for kind in ("post", "comment", "reply"))  # type: ignore


@pytest.mark.parametrize("name", sorted(SETS))
def test_comment_recordings_give_the_hand_counts(name: str, tmp_path: Path) -> None:
    video_id, channel_id, handle, year, posts, comments, replies, header = SETS[name]
    responses = warc_of(tmp_path, newpipe_answers(set_files(name)))
    # Registered as in pipelines/accounts.toml: no handle, only the channel URL with its @handle.
    account = Account(id=f"youtube-{name}", platform="youtube", name="whatever the register says",
                      url=f"https://www.youtube.com/@{handle}")
    extraction = YouTubeAdapter().extract(responses, account, year)
    assert kinds(extraction.items) == (posts, comments, replies)
    assert YouTubeAdapter().extract(responses, account, year + 1).items == [], "the video's year only"
    assert [o.platform_id for o in extraction.owners] == [channel_id]
    assert {o.handle for o in extraction.owners} == {handle}
    (post,) = [i for i in extraction.items if i.item_type == "post"]
    assert (post.id, post.time_precision, post.parent_id) == (video_id, "day", None)
    assert post.permalink == f"https://www.youtube.com/watch?v={video_id}"
    assert post.published_at.astimezone(STOCKHOLM).year == year
    for item in extraction.items:
        assert item.post_id == video_id and item.author and item.source.record_id.startswith("<urn:uuid:")
        if item.item_type == "comment":
            assert item.parent_id == video_id and item.time_precision == "relative"
            assert item.permalink.startswith(f"https://www.youtube.com/watch?v={video_id}&lc={item.id}")
    thread = [r for r in extraction.reported if r.kind == "thread"]
    assert [(r.post_id, r.count, r.note) for r in thread] == [(video_id, header, "")], "the exact header wins"
    replies_shown = {r.comment_id: r.count for r in extraction.reported if r.kind == "replies"}
    shown = {i.id: i.extra.get("replies", "") for i in extraction.items if i.item_type == "comment"}
    assert replies_shown == {cid: int(n) for cid, n in shown.items() if n and n != "0"}
    assert extraction.notes == []


def test_replies_sample_fields(tmp_path: Path) -> None:
    responses = warc_of(tmp_path, newpipe_answers(set_files("replies")))
    account = Account(id="yt", platform="youtube", name="x", url="x", platform_id="UCsXVk37bltHxD1rDPwtNM8Q")
    by_id = {i.id: i for i in YouTubeAdapter().extract(responses, account, 2021).items}
    post = by_id["xaQJbozY_Is"]
    assert post.text.startswith("What Dinosaurs ACTUALLY Looked Like?\n\nThe 12,022 Calendar is sold out")
    assert post.author == "Kurzgesagt – In a Nutshell" and post.published_at.date().isoformat() == "2021-10-12"
    pinned = by_id["UgwSOM0QHBLysE3vZE54AaABAg"]
    assert (pinned.author, pinned.author_is_account, pinned.extra["pinned"]) == ("@kurzgesagt", True, "yes")
    # "4 years ago (edited)", seen on Mon, 26 Jan 2026 18:01:08 GMT: four years of 365 days before.
    assert pinned.published_at == datetime(2022, 1, 27, 18, 1, 8, tzinfo=UTC)
    reply = by_id["UgwSOM0QHBLysE3vZE54AaABAg.9TOrAAD78Z59TP5tOBhBXP"]
    assert (reply.item_type, reply.parent_id, reply.author, reply.text) == (
        "reply", "UgwSOM0QHBLysE3vZE54AaABAg", "@andrefarfan4372", "First")
    assert reply.time_precision == "relative" and reply.post_id == "xaQJbozY_Is"
    shown = [r for r in YouTubeAdapter().extract(responses, account, 2021).reported if r.kind == "replies"]
    assert {r.comment_id: r.count for r in shown}["UgwSOM0QHBLysE3vZE54AaABAg"] == 327


def test_a_renamed_key_is_warned_about_and_shows_as_a_shortfall(tmp_path: Path) -> None:
    """YouTube renames the comment payload: the run must say so, and the counts show what is missing."""
    answers = newpipe_answers(set_files("replies"), mutate=("commentEntityPayload", "commentEntityPayloadV2"))
    responses = warc_of(tmp_path, answers)
    account = Account(id="yt", platform="youtube", name="x", url="https://www.youtube.com/@kurzgesagt")
    extraction = YouTubeAdapter().extract(responses, account, 2021)
    assert kinds(extraction.items) == (1, 0, 0)
    (thread,) = [r for r in extraction.reported if r.kind == "thread"]
    assert thread.count == 21_051, "the platform's own count stays: 21,051 shown, 0 extracted"
    warned = [n for n in extraction.notes if "could not be read" in n]
    assert len(warned) == 1 and "20 comment threads" in warned[0] and "youtubei/v1/next" in warned[0]
    assert "<urn:uuid:" in warned[0] and "frameworkUpdates" in warned[0]
    assert any("yielded nothing" in n and "youtubei/v1/next" in n for n in extraction.notes), "the reply page"


def test_comments_whose_video_link_is_renamed(tmp_path: Path) -> None:
    """Without their own link to the video, comments belong to the video whose answer offered the continuation
    token they were asked with; without the request either, each is named in a note, never dropped silently."""
    answers = newpipe_answers(set_files("pinned"), mutate=("publishedTimeCommand", "publishedTimeCmd"))
    account = Account(id="yt", platform="youtube", name="x", url="https://www.youtube.com/@lemondefr")
    extraction = YouTubeAdapter().extract(warc_of(tmp_path, answers), account, 2020)
    assert kinds(extraction.items) == (1, 20, 0) and extraction.notes == []
    assert [r.count for r in extraction.reported if r.kind == "thread"] == [5_145]
    unasked = [answer[:4] for answer in answers]  # the WARC lost its request records
    extraction = YouTubeAdapter().extract(warc_of(tmp_path / "unasked", unasked), account, 2020)
    assert kinds(extraction.items) == (1, 0, 0)
    assert sum("names no video" in n for n in extraction.notes) == 20


def test_an_account_that_cannot_be_resolved_says_what_to_add(tmp_path: Path) -> None:
    responses = warc_of(tmp_path, newpipe_answers(set_files("creatorreply")))
    account = Account(id="youtube-x", platform="youtube", name="Undine Almani", url="https://example.org/")
    extraction = YouTubeAdapter().extract(responses, account, 2023)
    assert extraction.items == [], "a display name alone never decides"
    assert any("youtube-x" in n and "platform_id" in n for n in extraction.notes)


def test_channel_pages_report_their_video_count_and_owner(tmp_path: Path) -> None:
    responses = warc_of(tmp_path, newpipe_answers(["youtubechanneltabextractor_videos__generated_mock_3.json",
                                                   "youtubechanneltabextractor_videos__generated_mock_4.json"]))
    account = Account(id="cc", platform="youtube", name="x", url="https://www.youtube.com/@creativecommons")
    extraction = YouTubeAdapter().extract(responses, account, 2025)
    assert extraction.items == [] and extraction.notes == []  # tiles carry no date: the watch pages decide
    assert [(r.kind, r.count) for r in extraction.reported] == [("posts", 258)]
    assert [(o.platform_id, o.name) for o in extraction.owners] == [("UCTwECeGqMZee77BjdoYtI2Q", "Creative Commons")]


PYTUBE_PAGES = {  # file -> (url, content type); hand count: two videos (2019, 2016), no comments
    "watch_2lAe1cqCOXo.html": ("https://www.youtube.com/watch?v=2lAe1cqCOXo", "text/html"),
    "watch_irauhITDrsE.html": ("https://www.youtube.com/watch?v=irauhITDrsE", "text/html"),
    "embed_2lAe1cqCOXo.html": ("https://www.youtube.com/embed/2lAe1cqCOXo", "text/html"),
    "embed_irauhITDrsE.html": ("https://www.youtube.com/embed/irauhITDrsE", "text/html"),
    "vid_info_2lAe1cqCOXo.json": ("https://www.youtube.com/youtubei/v1/player", "application/json"),
    "vid_info_irauhITDrsE.json": ("https://www.youtube.com/youtubei/v1/player", "application/json"),
    "channel-videos.html": ("https://www.youtube.com/c/ProgrammingKnowledge/videos", "text/html"),
    "playlist.html": ("https://www.youtube.com/playlist?list=PLx", "text/html"),
}


def test_an_older_custom_channel_url_resolves_to_its_channel_id(tmp_path: Path) -> None:
    """A register entry with only a /c/Name URL (2021): the channel page's vanityChannelUrl names its UC… id."""
    url, kind = PYTUBE_PAGES["channel-videos.html"]
    responses = warc_of(tmp_path, [(url, kind, (PYTUBE / "channel-videos.html").read_bytes(), "")])
    account = Account(id="pk", platform="youtube", name="x", url="https://www.youtube.com/c/ProgrammingKnowledge/videos")
    extraction = YouTubeAdapter().extract(responses, account, 2021)
    assert [o.platform_id for o in extraction.owners] == ["UCs6nmQViDpUw0nuIx9c_WvA"]
    assert extraction.items == [] and extraction.notes == []  # a grid of tiles: no items, nothing misunderstood


def test_pytube_pages_give_the_hand_counts(tmp_path: Path) -> None:
    answers = [(url, kind, (PYTUBE / name).read_bytes(), "Tue, 03 Aug 2021 10:00:00 GMT")
               for name, (url, kind) in PYTUBE_PAGES.items()]
    responses = warc_of(tmp_path, answers)
    rewind = Account(id="yt", platform="youtube", name="x", url="x", platform_id="UCBR8-60-B28hp2BmDPdntcQ")
    ducks = Account(id="yt", platform="youtube", name="x", url="x", platform_id="UCyuj5evMBVwyGrqfoKegmBw")
    (video,) = YouTubeAdapter().extract(responses, rewind, 2019).items
    assert (video.id, video.author, video.time_precision) == ("2lAe1cqCOXo", "YouTube", "day")
    assert [m.kind for m in video.media] == ["video", "image"]
    (restricted,) = YouTubeAdapter().extract(responses, ducks, 2016).items
    assert restricted.id == "irauhITDrsE" and restricted.text.startswith("THE MOST AGE RESTRICTED VIDEO EVER")


def test_a_watch_page_body_that_is_a_json_array(tmp_path: Path) -> None:
    """`watch?v=…&pbj=1` answers [playerResponse, {…}, ytInitialData]: the same video as the HTML page."""
    html = (PYTUBE / "watch_2lAe1cqCOXo.html").read_text(encoding="utf-8")
    found = embedded_json(html)
    body = json.dumps([{"playerResponse": found["ytInitialPlayerResponse"][0]}, {"page": "watch"},
                       {"response": found["ytInitialData"][0]}]).encode("utf-8")
    responses = warc_of(tmp_path, [("https://www.youtube.com/watch?v=2lAe1cqCOXo&pbj=1", "application/json",
                                    body, "")])
    account = Account(id="yt", platform="youtube", name="x", url="https://www.youtube.com/channel/"
                      "UCBR8-60-B28hp2BmDPdntcQ")
    (item,) = YouTubeAdapter().extract(responses, account, 2019).items
    assert item.id == "2lAe1cqCOXo" and len(item.media) == 2


FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/"
      xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id=UCabcdefghijklmnopqrstuv"/>
 <id>yt:channel:abcdefghijklmnopqrstuv</id>
 <yt:channelId>abcdefghijklmnopqrstuv</yt:channelId>
 <title>Örebro kommun</title>
 <author><name>Örebro kommun</name><uri>https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv</uri></author>
 <published>2012-03-01T08:00:00+00:00</published>
 <entry>
  <id>yt:video:vid0000000a</id>
  <yt:videoId>vid0000000a</yt:videoId>
  <yt:channelId>UCabcdefghijklmnopqrstuv</yt:channelId>
  <title>Nyårsfirande på Stortorget</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=vid0000000a"/>
  <author><name>Örebro kommun</name><uri>https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv</uri></author>
  <published>2024-12-31T23:30:00+00:00</published>
  <updated>2025-01-02T10:00:00+00:00</updated>
  <media:group>
   <media:title>Nyårsfirande på Stortorget</media:title>
   <media:thumbnail url="https://i1.ytimg.com/vi/vid0000000a/hqdefault.jpg" width="480" height="360"/>
   <media:description>Fyrverkerier vid midnatt.</media:description>
  </media:group>
 </entry>
</feed>
""".encode()


def test_the_channel_rss_feed_is_read(tmp_path: Path) -> None:
    """The feed's shape (YouTube's documented Atom feed, written here by hand): exact times, channel id."""
    responses = warc_of(tmp_path, [("https://www.youtube.com/feeds/videos.xml?channel_id=UCabcdefghijklmnopqrstuv",
                                    "application/atom+xml; charset=UTF-8", FEED, "")])
    account = Account(id="yt", platform="youtube", name="x",
                      url="https://www.youtube.com/feeds/videos.xml?channel_id=UCabcdefghijklmnopqrstuv")
    extraction = YouTubeAdapter().extract(responses, account, 2025)
    (item,) = extraction.items  # 23:30 UTC on New Year's Eve is 00:30 in Stockholm: 2025
    assert (item.id, item.time_precision, item.text) == (
        "vid0000000a", "second", "Nyårsfirande på Stortorget\n\nFyrverkerier vid midnatt.")
    assert item.media[0].url == "https://i1.ytimg.com/vi/vid0000000a/hqdefault.jpg"
    assert [o.platform_id for o in extraction.owners] == ["UCabcdefghijklmnopqrstuv"]
    assert YouTubeAdapter().extract(responses, account, 2024).items == []


def test_legacy_comment_renderers_keep_their_video_from_the_time_link(tmp_path: Path) -> None:
    """Pre-2024 answers: the video id is only in publishedTimeText's link (this is where all were dropped)."""
    def renderer(comment_id: str, text: str) -> dict:
        link = {"navigationEndpoint": {"commandMetadata": {"webCommandMetadata": {
            "url": f"/watch?v=xaQJbozY_Is&lc={comment_id}"}}, "watchEndpoint": {"videoId": "xaQJbozY_Is"}}}
        return {"commentRenderer": {
            "commentId": comment_id, "contentText": {"runs": [{"text": text}]},
            "authorText": {"simpleText": "@someone"}, "replyCount": 1 if "." not in comment_id else None,
            "authorEndpoint": {"browseEndpoint": {"browseId": "UCsomeoneelse000000000000"}},
            "publishedTimeText": {"runs": [{"text": "2 years ago", **link}]}}}
    page = {"onResponseReceivedEndpoints": [{"reloadContinuationItemsCommand": {"continuationItems": [
        {"commentThreadRenderer": {"comment": renderer("UgzOLD", "Bra video"), "replies": {
            "commentRepliesRenderer": {"contents": [renderer("UgzOLD.r1", "Håller med")]}}}}]}}]}
    answers = newpipe_answers(["youtubecommentsextractor_replies__generated_mock_2.json"])
    answers.append(("https://www.youtube.com/youtubei/v1/next?prettyPrint=false", "application/json",
                    json.dumps(page).encode("utf-8"), "Mon, 26 Jan 2026 18:01:08 GMT"))
    account = Account(id="yt", platform="youtube", name="x", url="https://www.youtube.com/@kurzgesagt")
    extraction = YouTubeAdapter().extract(warc_of(tmp_path, answers), account, 2021)
    assert kinds(extraction.items) == (1, 1, 1) and extraction.notes == []
    assert [(r.kind, r.comment_id, r.count) for r in extraction.reported if r.kind == "replies"] == [
        ("replies", "UgzOLD", 1)]


def test_a_watch_page_that_shows_a_relative_date_is_placed_from_the_warc_date(tmp_path: Path) -> None:
    """A fresh video's dateText can be relative ("Premiered 17 hours ago"): counted back from the WARC-Date."""
    answers = newpipe_answers(set_files("heartedbycreator"), mutate=("26 Jan 2026", "Premiered 17 hours ago"))
    account = Account(id="yt", platform="youtube", name="x", url="https://www.youtube.com/@connor.craftt")
    extraction = YouTubeAdapter().extract(warc_of(tmp_path, answers), account, 2026)
    (post,) = [i for i in extraction.items if i.item_type == "post"]
    seen = parsedate_to_datetime(answers[0][3])
    assert post.time_precision == "relative" and seen - post.published_at == timedelta(hours=17)
    assert kinds(extraction.items) == (1, 20, 0)
