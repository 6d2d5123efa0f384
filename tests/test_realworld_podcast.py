"""The podcast adapter against a real feed (../shared/real-world/podcast-rss-rssparser: Giant Bombcast, 730
episodes 2008-2019, "PST" zones) and a paged-feed example, through a WARC built from the files. Skipped when the
samples are not there (a fresh clone)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from smarchive.archive.warc import WarcAssembler, iter_responses
from smarchive.model import Account
from smarchive.platforms.base import CapturedResponse
from smarchive.platforms.podcast import PodcastAdapter

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "real-world" / "podcast-rss-rssparser"
GIANTBOMB = SAMPLES / "giantbomb-podcast.rss"
PAGED = SAMPLES / "pagination-links-synthetic.rss"
FEED_URL = "https://www.giantbomb.com/podcast-xml/giant-bombcast/"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="real-world samples absent")


def warc_of(tmp_path: Path, answers: list[tuple[str, bytes]]) -> list[CapturedResponse]:
    """A WARC holding the feeds as HTTP answers, read back as the pipeline reads WARCs."""
    writer = WarcAssembler(tmp_path / "feeds.warc.gz")
    for url, body in answers:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {len(body)}\r\n\r\n"
        writer.write("response", url, "application/http; msgtype=response", head.encode() + body)
    return list(iter_responses(writer.close()))


def account(platform_id: str = "") -> Account:
    return Account(id="podcast-giantbomb", platform="podcast", name="Giant Bombcast", url=FEED_URL,
                   platform_id=platform_id)


def test_the_real_feed_gives_the_hand_counts(tmp_path: Path) -> None:
    responses = warc_of(tmp_path, [(FEED_URL, GIANTBOMB.read_bytes())])
    per_year = {year: PodcastAdapter().extract(responses, account(), year) for year in range(2007, 2021)}
    assert sum(len(e.items) for e in per_year.values()) == 730, "SOURCES.md: 730 episodes"
    items = [i for e in per_year.values() for i in e.items]
    assert len({i.id for i in items}) == 730 and all(i.item_type == "post" and i.parent_id is None for i in items)
    assert all(len(i.media) == 2 and i.media[0].kind == "audio" for i in items), "enclosure + artwork each"
    assert per_year[2007].items == [] and per_year[2020].items == []
    for year, extraction in per_year.items():  # the feed's own count per year equals what was read
        assert [(r.kind, r.count, r.year) for r in extraction.reported] == [("posts", len(extraction.items), year)]
        assert extraction.notes == []
    by_id = {i.id: i for i in items}
    first = by_id["1600-2823"]
    assert first.text.startswith("Giant Bombcast 603: Call of Tuesday")
    assert first.published_at == datetime(2019, 10, 1, 22, 30, tzinfo=UTC), "Tue, 01 Oct 2019 14:30:00 PST"
    assert first.extra["enclosure_length"] == "105003355" and first.extra["enclosure_type"] == "audio/mpeg"
    assert first.permalink.startswith("https://www.giantbomb.com/shows/603-call-of-tuesday/")
    assert first.author == "Giant Bomb" and first.time_precision == "second"
    assert by_id["1600-2818"].published_at == datetime(2019, 9, 24, 22, 49, tzinfo=UTC), "14:49 PST, as written"
    oldest = by_id["1600-20"]
    assert oldest.text.startswith("Giant Bombcast Arrow Pointing Down Podcast Beta")
    assert oldest.published_at == datetime(2008, 2, 18, 9, 54, tzinfo=UTC)
    (owner,) = per_year[2019].owners
    assert owner.name == "Giant Bombcast" and owner.platform_id == "https://www.giantbomb.com"  # its odd self link


def test_a_renamed_element_is_a_shortfall_and_a_note(tmp_path: Path) -> None:
    """Episodes whose <guid>, <enclosure> and <link> are renamed cannot be keyed: the feed still lists them."""
    body = GIANTBOMB.read_bytes()
    first = body.index(b"<item>")
    broken = body[:first] + body[first:].replace(b"<guid", b"<gid", 3).replace(b"</guid>", b"</gid>", 3) \
        .replace(b"<enclosure", b"<enc", 3).replace(b"<link>", b"<lnk>", 3).replace(b"</link>", b"</lnk>", 3)
    extraction = PodcastAdapter().extract(warc_of(tmp_path, [(FEED_URL, broken)]), account(), 2019)
    (listed,) = extraction.reported
    assert (listed.count, len(extraction.items)) == (43, 40), "43 listed for 2019, 3 unreadable"
    assert any("3 episodes" in n and "could not be read" in n and FEED_URL in n for n in extraction.notes)


def test_a_next_page_that_was_not_recorded_is_named(tmp_path: Path) -> None:
    url = "http://example.org/index.atom?page=3"
    extraction = PodcastAdapter().extract(warc_of(tmp_path, [(url, PAGED.read_bytes())]),
                                          Account(id="p", platform="podcast", name="x", url=url), 2021)
    (item,) = extraction.items
    assert (item.id, item.text.split("\n")[0]) == ("a6f22abe-be5c-4a37-8f4b-8be3d69b0235", "The First Episode")
    assert item.published_at == datetime(2021, 1, 21, 7, 58, tzinfo=UTC), "Thu, 21 Jan 2021 18:58:00 +1100"
    assert [n for n in extraction.notes if "next page http://example.org/index.atom?page=4" in n]


def test_a_register_platform_id_keeps_other_shows_out(tmp_path: Path) -> None:
    answers = [(FEED_URL, GIANTBOMB.read_bytes()), ("http://example.org/index.atom?page=3", PAGED.read_bytes())]
    responses = warc_of(tmp_path, answers)
    extraction = PodcastAdapter().extract(responses, account("https://www.giantbomb.com"), 2021)
    assert extraction.items == [] and any("another show" in n for n in extraction.notes)
    assert len(PodcastAdapter().extract(responses, account("https://www.giantbomb.com"), 2019).items) == 43


def test_an_answer_of_the_feed_url_that_is_no_feed_is_named(tmp_path: Path) -> None:
    responses = warc_of(tmp_path, [(FEED_URL, b"<html><body>Service unavailable</body></html>")])
    extraction = PodcastAdapter().extract(responses, account(), 2019)
    assert extraction.items == [] and any("not a readable RSS feed" in n for n in extraction.notes)
