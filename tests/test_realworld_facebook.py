"""Facebook's plain-HTML views as really served (saved mbasic pages, m.facebook.com recordings).

The samples live outside the project (../shared/real-world, see its README); the tests skip when
they are absent. Counts and fields asserted here were read off the files themselves.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smarchive.model import Account
from smarchive.platforms import facebook_html
from smarchive.platforms.base import CapturedResponse
from smarchive.platforms.facebook import FacebookAdapter

SAMPLES = Path(__file__).resolve().parents[1] / ".." / "shared" / "real-world"
MBASIC = SAMPLES / "fb-mbasic-phoenix"
MOBILE = SAMPLES / "fb-mobile-facebook-scraper" / "extracted"


def _page(folder: Path, name: str) -> tuple[str, str]:
    """The file's text and the URL SingleFile noted in its header comment (mbasic), if any."""
    path = folder / name
    if not path.exists():
        pytest.skip(f"real-world sample {path} not available")
    text = path.read_text(encoding="utf-8")
    found = re.search(r"^\s*url: (\S+)", text[:2000], re.MULTILINE)
    return text, found.group(1) if found else ""


def test_mbasic_photo_permalink_with_comments_and_more_link() -> None:
    text, url = _page(MBASIC, "c-sonko.html")
    page = facebook_html.parse(text, url)
    assert [(p.id, p.author) for p in page.posts] == [("840811325957217", "Mike Sonko.")]
    assert page.posts[0].text.startswith("Watu Wangu,\n") and "Nyayo Market" in page.posts[0].text
    assert len(page.comments) == 10
    first = page.comments[0]
    assert (first.id, first.author, first.time_text) == ("840836359288047", "Joe Mwithiga", "Dec 24, 2014")
    assert first.text.startswith("Thank Bwana Senator..God Bless you")
    assert page.comments[1].author == "Kiprono Dennis"
    assert all(c.replies_url and "/comment/replies/" in c.replies_url for c in page.comments)
    assert page.more_comments_url.startswith("https://mbasic.facebook.com/GovernorMikeSonkoMbuvi/photos/")
    assert "p=10" in page.more_comments_url


def test_mbasic_story_permalink() -> None:
    text, url = _page(MBASIC, "c-mutoko.html")
    page = facebook_html.parse(text, url)
    post = page.posts[0]
    assert (post.id, post.author, post.publish_time) == ("1718176531560719", "Caroline Mutoko", 1512711993)
    assert post.text.startswith("We've been lied to and we've lied to each other.")
    assert len(page.comments) == 10 and page.comments[0].author == "Faith Gatimi Maranga"
    assert "story_fbid=1718176531560719" in page.more_comments_url

    text, url = _page(MBASIC, "c-comms.html")
    page = facebook_html.parse(text, url)
    assert [(p.id, p.author, p.time_text) for p in page.posts] == [("1568248436688749", "NOCK- Olympics Kenya",
                                                                     "6 hrs")]
    assert page.posts[0].text.startswith("What are some of the issues you would like addressed")
    assert page.comments == [] and page.more_comments_url == ""


@pytest.mark.parametrize(("name", "parent", "replies"), [
    ("Replies_2020-06-16_9_55_42_PM.html", ("2685189311755295", "Jenny Zinovia Kali"),
     [("2685221571752069", "Marily Pritz", "Jenny Zinovia Kali no they are not")]),
    ("j-sonko__j-sonko-replies.html", ("840822419289441", "Kiprono Dennis"),
     [("840879272617089", "Margaret Stella", "uzuri ni mtanzania ametoa that comment ...hehe"),
      ("840889065949443", "Kiprono Dennis", "mkale si mtanzania")]),
])
def test_mbasic_reply_pages(name: str, parent: tuple[str, str], replies: list[tuple[str, str, str]]) -> None:
    text, url = _page(MBASIC, name)
    page = facebook_html.parse(text, url)
    head, *rest = page.comments
    assert (head.id, head.author, head.parent_id) == (*parent, "")
    assert [(c.id, c.author, c.text) for c in rest] == replies
    assert all(c.parent_id == parent[0] for c in rest)


def test_mbasic_arabic_text_untouched() -> None:
    text, url = _page(MBASIC, "arabic_1.html")
    page = facebook_html.parse(text, url)
    assert len(page.posts) == 4 and {p.author for p in page.posts} == {"منصة شباب وعي"}
    assert page.posts[0].id == "427586212291576" and page.posts[0].publish_time == 1637778873
    assert page.posts[0].text.startswith("برعاية هيئة الأمم المتحدة للمرأة منصة شباب وعي")
    assert "\u200e" not in page.posts[0].author  # direction marks dropped from names
    assert len(page.comments) == 26
    assert (page.comments[0].author, page.comments[0].text) == ("هشام بايحيى", "موفقين")
    assert (page.comments[1].author, page.comments[1].text) == ("Hasem Hulais", "بالتوفيق والنجاح")


def test_mbasic_page_timeline_and_show_more() -> None:
    text, url = _page(MBASIC, "Watch_The_Med_-_Alarmphone_2020-06-16_9_55_43_PM.html")
    page = facebook_html.parse(text, url)
    assert len(page.posts) == 5
    assert {p.author for p in page.posts} == {"Watch The Med - Alarmphone"}
    assert page.posts[0].id == "2687841991490027" and page.posts[0].publish_time == 1592336772
    assert page.posts[0].text.startswith("Amdh section Nador denounces the 10 year prison sentence")
    assert page.next_page_url.startswith("https://mbasic.facebook.com/watchthemed.alarmphone?sectionLo")


def test_mobile_page_feed_and_cursor_pagination() -> None:
    text, _ = _page(MOBILE, "m_Nintendo_posts_page_feed_loggedout.html")
    page = facebook_html.parse(text, "https://m.facebook.com/Nintendo/posts/")
    assert [(p.id, p.page_id, p.publish_time) for p in page.posts] == [
        ("4194934713924283", "119240841493711", 1622853212), ("4193752747375813", "119240841493711", 1622819482)]
    assert page.posts[1].author == "Nintendo" and page.posts[1].text.startswith("May 2021 is in the books!")
    assert "page_content_list_view/more/?page_id=119240841493711" in page.next_page_url
    assert page.next_cursor.startswith("AQHR5kUv-VzgVoVb02Jg")

    more, _ = _page(MOBILE, "m_page_content_list_view_more_pagination_loggedout.html")
    assert more.startswith("for (;;);")
    page = facebook_html.parse(more, "https://m.facebook.com/page_content_list_view/more/")
    assert len(page.posts) == 4 and page.posts[0].id == "4191173794300375"
    assert page.posts[0].text.startswith("Which enemy from a Nintendo game are you most scared of?")
    assert page.next_cursor.startswith("AQHRa11clnd8QlP2q8pU")  # the next cursor differs: paging goes on


@pytest.mark.parametrize(("name", "first"), [
    ("m_Nintendo_post_4194934713924283_permalink_loggedout.html", ("4195147880569633", "Steven Defoe")),
    ("m_Nintendo_post_4187481031336318_permalink_loggedin.html", ("4188269761257445", "Facebook Watch")),
])
def test_mobile_permalink_comments_hidden_in_code_blocks(name: str, first: tuple[str, str]) -> None:
    text, _ = _page(MOBILE, name)
    assert "<code" in text and 'data-sigil="comment"' in text
    page = facebook_html.parse(text, "https://m.facebook.com/")
    assert len(page.comments) == 30 and (page.comments[0].id, page.comments[0].author) == first
    assert all(c.text or c.author for c in page.comments)
    assert "View more comments" in text and "/photos/" in page.more_comments_url


def test_adapter_extracts_timed_posts_from_basic_html() -> None:
    """The JSON adapter shares the parser: m. pages that turn up in a WARC still yield their posts."""
    text, _ = _page(MOBILE, "m_Nintendo_posts_page_feed_loggedout.html")
    response = CapturedResponse(url="https://m.facebook.com/Nintendo/posts/", status=200,
                                content_type="text/html; charset=utf-8", body=text.encode("utf-8"),
                                warc_file="w", record_id="<urn:x>", offset=0)
    account = Account(id="facebook-nintendo", platform="facebook", name="Nintendo", url="", handle="Nintendo")
    items = sorted(FacebookAdapter().extract([response], account, 2021).items, key=lambda i: (i.published_at, i.id))
    assert [(i.id, i.item_type, i.author, i.author_is_account) for i in items] == [
        ("4193752747375813", "post", "Nintendo", True), ("4194934713924283", "post", "Nintendo", True)]
    assert items[0].published_at.isoformat() == "2021-06-04T15:11:22+00:00"
    assert FacebookAdapter().extract([response], account, 2020).items == []
