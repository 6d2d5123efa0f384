"""Facebook's plain-HTML views as really served (saved mbasic pages, m.facebook.com recordings).

The samples live outside the project (../shared/real-world, see its README); the tests skip when
they are absent. Counts and fields asserted here were read off the files themselves.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from smarchive.model import STOCKHOLM, Account
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


# --- the adapter over whole recordings: hand counts, fields, coverage counts and warnings
#
# SOURCES.md of these folders names what each file shows but gives no item counts; the counts below were made
# by hand from the files (comment elements: mbasic `<div id=N><div><h3>`, m. `data-commentid="<post>_<comment>"`;
# posts: distinct `top_level_post_id` of `data-ft`) and are the same for every run.

CASSETTES = SAMPLES / "fb-mobile-facebook-scraper" / "cassettes"
NINTENDO_ID = "119240841493711"


def _cassette(name: str) -> list[CapturedResponse]:
    """The recorded answers of a vcrpy cassette, as the WARC reader would give them (bodies decoded)."""
    yaml = pytest.importorskip("yaml")
    path = CASSETTES / name
    if not path.exists():
        pytest.skip(f"real-world sample {path} not available")
    answers = []
    for number, interaction in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]):
        answer = interaction["response"]
        headers = {key.lower(): values[0] for key, values in answer["headers"].items()}
        body = answer["body"]["string"] or b""
        body = body.encode("utf-8") if isinstance(body, str) else body
        if body and headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        answers.append(CapturedResponse(
            url=interaction["request"]["uri"], status=answer["status"]["code"],
            content_type=headers.get("content-type", ""), body=body, warc_file="cassette.warc.gz",
            record_id=f"<urn:uuid:{name}-{number}>", offset=number,
            date=parsedate_to_datetime(headers["date"]).isoformat()))
    return answers


def _saved_page(name: str) -> CapturedResponse:
    """A SingleFile-saved mbasic page as recorded: its URL and its saved date (the WARC-Date) from the header."""
    text, url = _page(MBASIC, name)
    saved = re.search(r"saved date: \w+ (\w+ \d+ \d+ [\d:]+) GMT([+-]\d{4})", text[:3000])
    assert saved, name
    moment = datetime.strptime(f"{saved.group(1)} {saved.group(2)}", "%b %d %Y %H:%M:%S %z")
    return CapturedResponse(url=url, status=200, content_type="text/html; charset=utf-8", body=text.encode("utf-8"),
                            warc_file="saved.warc.gz", record_id=f"<urn:uuid:{name}>", offset=0,
                            date=moment.isoformat())


def _kinds(items: list) -> dict[str, int]:
    return dict(Counter(item.item_type for item in items))


def _page_account(**known: str) -> Account:
    return Account(id="fb-page", platform="facebook", name="", url=known.pop("url", ""), **known)


@pytest.mark.parametrize("account", [_page_account(handle="Nintendo"), _page_account(platform_id=NINTENDO_ID)],
                         ids=["by-handle", "by-page-id"])
def test_mobile_walk_logged_out_hand_counts(account: Account) -> None:
    """The logged-out m. walk: 2 + 4 posts of 2021 on the feed pages, 30 + 21 + 30 comments on the three
    permalinks that show comments (photo and post URL of one post show the same thread); replies stay behind
    their links (not recorded), so the replies each comment shows are reported as not captured."""
    extraction = FacebookAdapter().extract(_cassette("TestGetPosts.test_smoketest.yaml"), account, 2021)
    items = extraction.items
    assert _kinds(items) == {"post": 6, "comment": 81}
    per_post = Counter(i.post_id for i in items if i.item_type == "comment")
    assert per_post == {"4194934713924283": 30, "4188053201279101": 21, "4187481031336318": 30}
    posts = {i.id: i for i in items if i.item_type == "post"}
    assert posts["4194934713924283"].published_at == datetime.fromtimestamp(1622853212, UTC)
    assert all(p.author == "Nintendo" and p.author_is_account and p.time_precision == "second"
               for p in posts.values())
    first = next(i for i in items if i.id == "4195147880569633")
    assert (first.author, first.parent_id, first.time_precision) == ("Steven Defoe", "4194934713924283", "relative")
    assert first.permalink == "https://www.facebook.com/4194934713924283?comment_id=4195147880569633"
    assert not first.author_is_account
    assert [(o.platform_id, o.handle) for o in extraction.owners] == [(NINTENDO_ID, "Nintendo")]
    threads = {r.post_id: r.count for r in extraction.reported if r.kind == "thread"}
    assert threads == {"4194934713924283": 34, "4193752747375813": 19, "4191173794300375": 313,
                       "4188174317933656": 18, "4188053201279101": 23, "4187481031336318": 577}
    replies = [r for r in extraction.reported if r.kind == "replies"]
    assert len(replies) == 33 and all(r.count > 0 for r in replies)  # shown, none recorded: a shortfall
    assert extraction.notes == []


def test_multi_photo_post_with_photo_threads() -> None:
    """story.php of a 2020 multi-photo post: the post and its 30 comments, and 4 + 2 + 12 + 6 comments on its
    photos' own pages (archived with the post); the same page also shows three 2021 posts with their threads."""
    answers = _cassette("TestGetPosts.test_get_posts.yaml")
    # No answer of this walk names the Page's id and handle together (story.php names the id, photo pages the
    # handle): the register holds both once a first capture resolved them (as the smoketest walk does).
    account = _page_account(handle="Nintendo", platform_id=NINTENDO_ID)
    older = FacebookAdapter().extract(answers, account, 2020).items
    assert _kinds(older) == {"post": 1, "comment": 54}
    assert all(i.post_id == "3065154550235644" for i in older)
    newer = FacebookAdapter().extract(answers, account, 2021).items
    assert _kinds(newer) == {"post": 3, "comment": 78}
    assert Counter(i.post_id for i in newer if i.item_type == "comment") == {
        "4194934713924283": 30, "4191173794300375": 30, "4193752747375813": 18}


@pytest.mark.parametrize(("names", "account", "year", "counts"), [
    (["c-sonko.html"], _page_account(handle="GovernorMikeSonkoMbuvi"), 2014, {"post": 1, "comment": 10}),
    (["j-sonko__j-sonko.html", "j-sonko__j-sonko-replies.html"], _page_account(handle="GovernorMikeSonkoMbuvi"),
     2014, {"post": 1, "comment": 10, "reply": 2}),
    (["c-mutoko.html"], _page_account(platform_id="143849585660096"), 2017, {"post": 1, "comment": 10}),
    (["c-comms.html"], _page_account(platform_id="197019303811676"), 2020, {"post": 1}),
    (["Replies_2020-06-16_9_55_42_PM.html"], _page_account(platform_id="1525906057683632"), 2020,
     {"comment": 1, "reply": 1}),
    (["arabic_1.html"], _page_account(platform_id="108686864181514"), 2021, {"post": 1, "comment": 26}),
    (["arabic_1.html"], _page_account(platform_id="108686864181514"), 2022, {"post": 3}),
    (["Watch_The_Med_-_Alarmphone_2020-06-16_9_55_43_PM.html"],
     _page_account(url="https://www.facebook.com/watchthemed.alarmphone/"), 2020, {"post": 5}),
    (["hashtag-example.html"], _page_account(platform_id="100000437359602"), 2020, {"post": 1, "comment": 1}),
    (["outside-link-example.html"], _page_account(platform_id="100000817593494"), 2020, {"post": 1}),
    (["shared-post.html"], _page_account(platform_id="1493585120748711"), 2020, {"post": 1}),
    (["People_who_reacted_2020-06-16_9_55_42_PM.html"], _page_account(platform_id="1525906057683632"), 2020, {}),
])
def test_mbasic_pages_hand_counts(names: list[str], account: Account, year: int, counts: dict[str, int]) -> None:
    extraction = FacebookAdapter().extract([_saved_page(name) for name in names], account, year)
    assert _kinds(extraction.items) == counts
    assert extraction.notes == []
    posts = [i for i in extraction.items if i.item_type == "post"]
    assert all(p.author_is_account for p in posts)  # known by page id, handle or URL: never by name


def test_mbasic_thread_fields_times_and_counts() -> None:
    answers = [_saved_page("j-sonko__j-sonko.html"), _saved_page("j-sonko__j-sonko-replies.html")]
    extraction = FacebookAdapter().extract(answers, _page_account(handle="GovernorMikeSonkoMbuvi"), 2014)
    items = {i.id: i for i in extraction.items}
    post = items["840811325957217"]
    assert (post.author, post.time_precision) == ("Mike Sonko.", "day")  # "Dec 24, 2014": a date alone
    assert post.published_at == datetime(2014, 12, 24, 12, tzinfo=STOCKHOLM)
    comment = items["840836359288047"]
    assert (comment.author, comment.parent_id, comment.time_precision) == ("Joe Mwithiga", post.id, "day")
    assert comment.text.startswith("Thank Bwana Senator..God Bless you")
    reply = items["840879272617089"]
    assert (reply.item_type, reply.parent_id, reply.author, reply.text) == (
        "reply", "840822419289441", "Margaret Stella", "uzuri ni mtanzania ametoa that comment ...hehe")
    assert reply.permalink.endswith("?comment_id=840822419289441&reply_comment_id=840879272617089")
    replies = {r.comment_id: r.count for r in extraction.reported if r.kind == "replies"}
    assert sorted(replies.values()) == [2, 2, 3]
    assert replies["840822419289441"] == 2  # ... and both were read from its replies page: complete
    assert sum(1 for i in items.values() if i.parent_id == "840822419289441") == 2


def test_shown_times_counted_from_the_saved_date() -> None:
    """'Jun 13 at 6:15 PM' on a page saved 16 June 2020: minute precision, Swedish time, the year of the save."""
    extraction = FacebookAdapter().extract([_saved_page("Replies_2020-06-16_9_55_42_PM.html")],
                                           _page_account(platform_id="1525906057683632"), 2020)
    times = sorted((i.published_at, i.time_precision) for i in extraction.items)
    assert times[0] == (datetime(2020, 6, 13, 18, 15, tzinfo=STOCKHOLM), "minute")
    seen = _saved_page("hashtag-example.html").date
    items = FacebookAdapter().extract([_saved_page("hashtag-example.html")],
                                      _page_account(platform_id="100000437359602"), 2020).items
    post = next(i for i in items if i.item_type == "post")  # "1 hr" before the page was saved
    assert post.time_precision == "relative"
    assert post.published_at == datetime.fromisoformat(seen) - timedelta(hours=1)


def test_error_page_of_a_replies_url_is_a_note() -> None:
    """failed8.html: Facebook answered a replies URL with "cannot be displayed": no item, and a warning."""
    extraction = FacebookAdapter().extract([_saved_page("failed8.html")],
                                           _page_account(platform_id="141683192654500"), 2020)
    assert extraction.items == []
    assert len(extraction.notes) == 1 and "/comment/replies/" in extraction.notes[0]
    assert "<urn:uuid:failed8.html>" in extraction.notes[0]


def test_renamed_class_warns_and_shows_the_shortfall() -> None:
    """Facebook renames the comment-body marker on a permalink: the 30 comments are lost, the answer is named,
    and the post's count (34 comments shown on the feed) against what was read shows the shortfall."""
    answers = _cassette("TestGetPosts.test_smoketest.yaml")
    broken = []
    for answer in answers:
        if "4194934713924283" in answer.url and answer.status == 200:
            body = answer.body.replace(b'data-sigil="comment"', b'data-sigil="kommentar"')
            answer = dataclasses.replace(answer, body=body)
        broken.append(answer)
    extraction = FacebookAdapter().extract(broken, _page_account(handle="Nintendo"), 2021)
    assert sum(1 for i in extraction.items if i.post_id == "4194934713924283" and i.item_type == "comment") == 0
    noted = [n for n in extraction.notes if "4194934713924283" in n]
    assert len(noted) == 1 and "/Nintendo/posts/4194934713924283" in noted[0]
    thread = next(r for r in extraction.reported if r.kind == "thread" and r.post_id == "4194934713924283")
    assert thread.count == 34


def _graphql(document: dict, name: str) -> CapturedResponse:
    return CapturedResponse(url="https://www.facebook.com/api/graphql/", status=200, content_type="application/json",
                            body=json.dumps(document).encode("utf-8"), warc_file="w", record_id="<urn:uuid:gql>",
                            offset=0, method="POST", request_body=f"fb_api_req_friendly_name={name}".encode())


def test_comet_reply_list_with_time_on_action_links_and_counts() -> None:
    """A depth-1 reply list as later Comet answers shape it: `created_time` only under comment_action_links,
    the reply count under feedback.replies_fields. (No recorded Comet answer is in the real-world folders: this
    is the documented shape, written by hand.)"""
    reply = {"__typename": "Comment", "legacy_fbid": "902", "depth": 1, "body": {"text": "Tack!"},
             "author": {"__typename": "User", "id": "100001", "name": "Anna"},
             "comment_action_links": [{"__typename": "CommentActionLink", "comment": {"created_time": 1704103200}}],
             "parent_feedback": {"share_fbid": "700"}, "comment_parent": {"legacy_fbid": "901"},
             "feedback": {"replies_fields": {"total_count": 0}}}
    parent = {"__typename": "Comment", "legacy_fbid": "901", "depth": 0, "created_time": 1704100000,
              "body": {"text": "Fråga"}, "author": {"__typename": "User", "id": "100002", "name": "Bo"},
              "parent_feedback": {"share_fbid": "700"}, "comment_parent": None,
              "feedback": {"replies_fields": {"total_count": 2},
                           "replies_connection": {"edges": [{"node": reply}]}}}
    answer = _graphql({"data": {"node": parent}}, "Depth1CommentsListPaginationQuery")
    extraction = FacebookAdapter().extract([answer], _page_account(platform_id="555"), 2024)
    items = {i.id: i for i in extraction.items}
    assert (items["902"].item_type, items["902"].parent_id, items["902"].post_id) == ("reply", "901", "700")
    assert items["902"].published_at == datetime.fromtimestamp(1704103200, UTC)
    assert {r.comment_id: r.count for r in extraction.reported if r.kind == "replies"} == {"901": 2, "902": 0}
    assert extraction.notes == []  # 2 replies shown, 1 read: the shortfall is for coverage to report

    del reply["comment_action_links"]  # a renamed time: the reply is lost, and the answer is named
    extraction = FacebookAdapter().extract([_graphql({"data": {"node": parent}}, "Depth1CommentsListPaginationQuery")],
                                           _page_account(platform_id="555"), 2024)
    assert [i.id for i in extraction.items] == ["901"]
    assert len(extraction.notes) == 1 and "1 Comment/Story nodes" in extraction.notes[0]
    assert "data.node" in extraction.notes[0]


def test_graphql_answer_of_an_item_query_without_items_is_a_note() -> None:
    answer = _graphql({"data": {"node": {"__typename": "Feedback", "comment_list_v2": {"edges": []}}}},
                      "CommentsListComponentsPaginationQuery")
    extraction = FacebookAdapter().extract([answer], _page_account(platform_id="555"), 2024)
    assert extraction.items == [] and len(extraction.notes) == 1 and "gave no item" in extraction.notes[0]
    other = _graphql({"data": {"viewer": {"notifications": []}}}, "CometNotificationsDropdownQuery")
    assert FacebookAdapter().extract([other], _page_account(platform_id="555"), 2024).notes == []


def test_comet_feed_unit_with_time_and_text_in_comet_sections() -> None:
    """A www timeline feed unit keeps creation_time and message under comet_sections (hand-written, as
    documented in docs/facebook.md); the post's shown comment total counts the replies too."""
    unit = {"__typename": "Story", "post_id": "800", "actors": [{"__typename": "Page", "id": "555",
                                                                 "name": "Kommunen", "url": "https://www.facebook.com/kommunen"}],
            "comet_sections": {
                "content": {"story": {"message": {"text": "Välkommen till biblioteket"}}},
                "context_layout": {"story": {"comet_sections": {"metadata": [
                    {"story": {"creation_time": 1717236000, "url": "https://www.facebook.com/kommunen/posts/800"}}]}}},
                "feedback": {"story": {"feedback_context": {}}}},
            "feedback": {"comment_rendering_instance": {"comments": {"total_count": 7}}}}
    answer = _graphql({"data": {"node": {"timeline_list_feed_units": {"edges": [{"node": unit}]}}}},
                      "ProfileCometTimelineFeedRefetchQuery")
    extraction = FacebookAdapter().extract([answer], _page_account(url="https://www.facebook.com/kommunen"), 2024)
    [post] = extraction.items
    assert (post.id, post.text, post.author_is_account) == ("800", "Välkommen till biblioteket", True)
    assert post.published_at == datetime.fromtimestamp(1717236000, UTC)
    assert post.permalink == "https://www.facebook.com/kommunen/posts/800"
    assert [(r.kind, r.count) for r in extraction.reported] == [("thread", 7)]
    assert [(o.platform_id, o.handle) for o in extraction.owners] == [("555", "kommunen")]
    assert extraction.notes == []
