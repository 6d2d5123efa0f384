"""LinkedIn extraction against pages from the real platform (../shared/real-world/li-html-pages).

Skipped when the samples are absent (a fresh clone). The page parser is the one the adapter uses
for logged-out company pages. (The tests of the old export reader went with it, #11; the import of
LinkedIn's export files is rewritten by a later issue against ../shared/real-world/li-export-format-synthetic.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smarchive.model import Account
from smarchive.platforms.base import CapturedResponse
from smarchive.platforms.linkedin import LinkedInAdapter, activity_time_ms, parse_guest_feed, parse_pulse_article

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "real-world"
PAGES = SAMPLES / "li-html-pages"
COMPANY_PAGE = PAGES / "metascraper__linkedin_company_audiense_10529043.html"
PULSE = PAGES / "metascraper__linkedin_pulse_article.html"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real-world sample {path} not present")
    return path


@pytest.fixture(scope="module")
def guest_posts():
    text = _need(COMPANY_PAGE).read_text(encoding="utf-8")
    return parse_guest_feed(text, "https://uk.linkedin.com/company/audiense")


def test_logged_out_company_page_shows_ten_posts(guest_posts) -> None:
    assert len(guest_posts) == 10
    assert len({p.urn for p in guest_posts}) == 10
    assert guest_posts[0].urn == "urn:li:activity:7248246460041809920"
    assert guest_posts[-1].urn == "urn:li:activity:7246478240276434944"
    # Relative times only, as the page shows them; "Edited" is marked apart.
    assert [p.relative_time for p in guest_posts] == ["4d", "20h", "2d", "1d", "2d", "2d", "3d", "3d", "1w", "5d"]
    assert [p.edited for p in guest_posts].count(True) == 4
    assert guest_posts[0].edited and not guest_posts[1].edited


def test_logged_out_company_page_texts_and_counts(guest_posts) -> None:
    first = guest_posts[0]
    assert first.text.startswith("From Twitter tool to audience intelligence platform: 💾 Javier Burón's journey")
    assert "Key lessons:\n\n• Adapt to industry changes\n• Foster strategic partnerships" in first.text
    assert first.text.endswith("#AI #Startup #SaaS")
    assert first.header == "Audiense reposted this"
    assert first.author == "🇨🇦 Andrew Jenkins"
    assert first.reactions == 33 and first.comments == 2
    assert first.permalink == "https://www.linkedin.com/posts/audiense_tech-ai-startup-activity-7248246460041809920-pOe5"
    assert all(p.text for p in guest_posts)
    assert sum(1 for p in guest_posts if p.comments) == 4
    assert [(p.reactions, p.comments) for p in guest_posts] == [
        (33, 2), (11, 0), (4, 0), (2, 0), (11, 1), (4, 0), (5, 0), (4, 0), (24, 5), (12, 1)]
    assert [p.author for p in guest_posts].count("Audiense") == 4
    assert sum(1 for p in guest_posts if p.images) == 5
    assert all(url.startswith("https://media.licdn.com/") for p in guest_posts for url in p.images)


def test_activity_ids_carry_the_publication_time(guest_posts) -> None:
    # The page has no dates; LinkedIn activity ids hold epoch ms in bits 22 and up.
    times = [p.published_at for p in guest_posts]
    assert times[0] == datetime(2024, 10, 5, 8, 23, 41, 981000, tzinfo=UTC)
    assert max(times) - min(times) < timedelta(days=8)  # "20h" … "1w" on one page
    assert activity_time_ms("urn:li:activity:7248246460041809920") == 1728116621981
    assert activity_time_ms("not an urn") is None


def test_adapter_reads_a_recorded_guest_page(guest_posts) -> None:
    """The adapter's extract falls back to the guest page markup, with times from the ids."""
    body = _need(COMPANY_PAGE).read_bytes()
    response = CapturedResponse(url="https://uk.linkedin.com/company/audiense", status=200,
                                content_type="text/html; charset=utf-8", body=body, warc_file="w",
                                record_id="<urn:x>", offset=0)
    account = Account(id="li-audiense", platform="linkedin", name="Audiense", url="", handle="audiense")
    items = sorted(LinkedInAdapter().extract([response], account, 2024).items, key=lambda i: (i.published_at, i.id))
    # Only the company's own posts (the reposts of others' posts are not the account's).
    own = [p for p in guest_posts if p.author_url.split("?")[0].rstrip("/").endswith("/company/audiense")]
    assert own and [i.id for i in items] == sorted((p.activity_id for p in own),
                                                  key=lambda i: activity_time_ms(f"urn:li:activity:{i}"))
    assert all(i.author_is_account and i.item_type == "post" and i.published_at.year == 2024 for i in items)
    assert LinkedInAdapter().extract([response], account, 2023).items == []


def test_pulse_article_title_author_date() -> None:
    article = parse_pulse_article(_need(PULSE).read_text(encoding="utf-8"))
    assert article["title"] == "How Can AI Change Financial Services? Consolidation of the #FinAI tweetstorm"
    assert article["author"] == "Ramya Joseph"
    assert article["published_at"] == datetime(2016, 5, 26, 19, 38, 36, tzinfo=UTC)
    assert article["url"] == "https://www.linkedin.com/pulse/how-can-ai-change-financial-services-consolidation-finai-ramya-joseph"
    assert article["description"].startswith("We had a tweetstorm today on #FinAI")

