"""LinkedIn extraction against pages from the real platform (../shared/real-world/li-html-pages).

Skipped when the samples are absent (a fresh clone). The page parser is the one the adapter uses
for logged-out company pages. (The tests of the old export reader went with it, #11; the import of
LinkedIn's export files is rewritten by a later issue against ../shared/real-world/li-export-format-synthetic.)
"""

from __future__ import annotations

import json
from collections import Counter
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
VOYAGER = SAMPLES / "li-voyager-comments-2025-scraping-learn"
COMMENTS_URL = ("https://www.linkedin.com/voyager/api/graphql?includeWebMetadata=true"
                "&variables=(count:10,start:0)&queryId=voyagerSocialDashComments.0d1b1a1b")
POST = "7320724072932298753"


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


VOYAGER_TYPE = "application/vnd.linkedin.normalized+json+2.1"


def _answer(body: bytes, url: str, content_type: str = VOYAGER_TYPE) -> CapturedResponse:
    return CapturedResponse(url=url, status=200, content_type=content_type, body=body, warc_file="w.warc.gz",
                            record_id="<urn:uuid:li-1>", offset=0, date="2025-04-26T10:00:00Z")


def _comments_answer(mutate=None) -> CapturedResponse:  # noqa: ANN001 (a function changing the document)
    document = json.loads(_need(VOYAGER / "social-dash-comments-included.json").read_text(encoding="utf-8"))
    if mutate is not None:
        mutate(document)
    return _answer(json.dumps(document).encode("utf-8"), COMMENTS_URL)


ORG = Account(id="li-org", platform="linkedin", name="Some Company", url="", handle="some-company")


def test_dash_comment_answer_hand_counts_and_fields() -> None:
    """SOURCES.md: 0 posts, 35 comments = 12 top-level + 23 replies, reply totals per parent 2,1,4,1,2,2,1,6,1,3."""
    extraction = LinkedInAdapter().extract([_comments_answer()], ORG, 2025)
    items = {item.id: item for item in extraction.items}
    assert Counter(item.item_type for item in items.values()) == {"comment": 12, "reply": 23}
    assert all(item.post_id == POST for item in items.values())
    top = items["7320733641888751616"]
    assert (top.item_type, top.author, top.text, top.parent_id) == (
        "comment", "Amirhossein Khabbaz", "Thanks for sharing, Theodore", POST)
    assert Counter(i.parent_id for i in items.values() if i.item_type == "reply")["7320733641888751616"] == 4
    assert items["7320844698028232705"].author == "Manikandan Rajan"
    reply = items["7320738147615584256"]
    assert (reply.item_type, reply.parent_id, reply.author, reply.text) == (
        "reply", "7320733641888751616", "Theodore L.", "Amirhossein Khabbaz Awesome! Tell me how it went :)")
    assert reply.published_at == datetime.fromtimestamp(1745399987129 / 1000, UTC)
    assert reply.time_precision == "second"
    assert "replyUrn=urn%3Ali%3Acomment%3A%28activity%3A7320724072932298753%2C7320738147615584256" in reply.permalink
    assert items["7320752695852638208"].parent_id == "7320750839340441600"
    assert items["7320752695852638208"].author == "Padrig Guillard"
    assert items["7320770434310750208"].parent_id == "7320731516802625536"
    assert items["7320770434310750208"].text.startswith("Vishal Vadher you can have a div inside it.")
    assert not any(item.author_is_account for item in items.values())  # all commenters are members
    assert extraction.notes == []


def test_dash_comment_answer_reports_reply_counts() -> None:
    extraction = LinkedInAdapter().extract([_comments_answer()], ORG, 2025)
    replies = {r.comment_id: r.count for r in extraction.reported if r.kind == "replies" and r.count}
    assert sorted(replies.values()) == sorted([2, 1, 4, 1, 2, 2, 1, 6, 1, 3])
    assert replies["7320731516802625536"] == 6 and replies["7320733641888751616"] == 4
    extracted = Counter(i.parent_id for i in extraction.items if i.item_type == "reply")
    assert {cid: extracted[cid] for cid in replies} == replies  # nothing short
    assert all(r.post_id == POST and r.source.record_id == "<urn:uuid:li-1>" for r in extraction.reported)


def test_renamed_key_warns_and_shows_the_shortfall() -> None:
    """LinkedIn renames `createdAt` in one reply: the reply is lost, the run says so, and the parent's count
    (6 replies) against what was read (5) shows the shortfall."""
    def rename(document: dict) -> None:
        for entity in document["included"]:
            if entity.get("entityUrn", "").startswith("urn:li:fsd_comment:(7320770434310750208,"):
                entity["createdTime"] = entity.pop("createdAt")

    extraction = LinkedInAdapter().extract([_comments_answer(rename)], ORG, 2025)
    assert len(extraction.items) == 34
    assert len(extraction.notes) == 1
    assert COMMENTS_URL in extraction.notes[0] and "<urn:uuid:li-1>" in extraction.notes[0]
    assert "included" in extraction.notes[0]  # the shape, by its key paths
    reported = next(r.count for r in extraction.reported if r.comment_id == "7320731516802625536")
    read = sum(1 for i in extraction.items if i.parent_id == "7320731516802625536")
    assert (reported, read) == (6, 5)


def test_item_answer_that_yields_nothing_is_a_note() -> None:
    """An answer of the comments endpoint whose entities are all renamed gives no item and a warning."""
    def retype(document: dict) -> None:
        for entity in document["included"]:
            entity["$type"] = entity["$type"].replace("social.Comment", "social.CommentV2")

    extraction = LinkedInAdapter().extract([_comments_answer(retype)], ORG, 2025)
    assert extraction.items == []
    assert len(extraction.notes) == 1 and "gave no item" in extraction.notes[0]
    assert sum(r.count for r in extraction.reported if r.kind == "replies") == 23  # shortfall: 23 of 0


def test_reactions_answer_is_not_an_item_answer() -> None:
    body = _need(VOYAGER / "social-dash-reactions.json").read_bytes()
    url = "https://www.linkedin.com/voyager/api/graphql?queryId=voyagerSocialDashReactions.41ebf31a4f4c"
    extraction = LinkedInAdapter().extract([_answer(body, url)], ORG, 2025)
    assert extraction.items == [] and extraction.notes == []


@pytest.mark.parametrize("account", [
    Account(id="li-audiense", platform="linkedin", name="", url="", platform_id="urn:li:organization:10529043"),
    Account(id="li-audiense", platform="linkedin", name="", url="https://www.linkedin.com/company/audiense/"),
], ids=["organization-urn-only", "url-only"])
def test_guest_page_owner_by_id_or_url_not_name(account: Account) -> None:
    """No handle, no name: the organization urn (or the URL) is enough, and the urn is resolved from the page."""
    response = _answer(_need(COMPANY_PAGE).read_bytes(), "https://uk.linkedin.com/company/audiense",
                       "text/html; charset=utf-8")
    extraction = LinkedInAdapter().extract([response], account, 2024)
    assert len(extraction.items) == 4 and all(i.author == "Audiense" for i in extraction.items)
    assert [(o.platform_id, o.handle) for o in extraction.owners] == [("urn:li:organization:10529043", "audiense")]
    # The page shows comment counts but no comment (logged out): 9 comments reported, none readable.
    threads = [r for r in extraction.reported if r.kind == "thread"]
    assert len(threads) == 10 and sum(r.count for r in threads) == 9


def test_pulse_article_title_author_date() -> None:
    article = parse_pulse_article(_need(PULSE).read_text(encoding="utf-8"))
    assert article["title"] == "How Can AI Change Financial Services? Consolidation of the #FinAI tweetstorm"
    assert article["author"] == "Ramya Joseph"
    assert article["published_at"] == datetime(2016, 5, 26, 19, 38, 36, tzinfo=UTC)
    assert article["url"] == "https://www.linkedin.com/pulse/how-can-ai-change-financial-services-consolidation-finai-ramya-joseph"
    assert article["description"].startswith("We had a tweetstorm today on #FinAI")

