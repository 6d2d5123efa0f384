"""The YouTube extraction code against what YouTube really sends (../shared/real-world samples).

InnerTube recordings by NewPipeExtractor (youtubei/v1/next comment pages, reply pages, browse
continuations of a Videos tab) and watch / channel pages from pytube's mocks. Skipped when the
samples are not there (a fresh clone).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smarchive.model import Account
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
