"""Importing the platforms' own data exports (issue #18): readers against real exports, the mojibake repair,
times, the `smarchive import` command, and reconciliation with the capture.

Real exports are read from ../shared/real-world/ (skipped when absent); each test arranges the real files in
the layout the platform ships (in tmp_path) so detection is tested too.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smarchive.imports import read_export
from smarchive.imports.text import MOJIBAKE, repair, unquote_lines
from smarchive.imports.times import parse_time

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real-world"


def real(folder: str) -> Path:
    path = REAL / folder
    if not path.is_dir():
        pytest.skip(f"{path} not present")
    return path


def arrange(tmp_path: Path, files: dict[str, Path]) -> Path:
    """An export folder in tmp_path with the real files at the paths the platform uses."""
    root = tmp_path / "export"
    for inside, original in files.items():
        (root / inside).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, root / inside)
    return root


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# ------------------------------------------------------------------------------------------ the repair

CORRECT = [
    "Snöröjningen i Hovsta börjar i morgon, håll avstånd till plogbilarna!",
    "ÅÄÖ åäö éü – “citat” och ’apostrof’ … 019-21 10 00",
    "Mobiloverførsler: Rødgrød med fløde, Æbleskiver og Ålborg",
    "Tak for i dag 😀🎆👏🏽 ❤️ #örebro",
    "Ã är en bokstav i portugisiska och Â i rumänska",  # one-byte letters with no UTF-8 meaning together
    "مرحبا بكم في أوريبرو",
    "naïve café façade © ® ° ± ² ³ µ ¶ · ¹ º » ¼ ½ ¾ ¿",
]


@pytest.mark.parametrize("text", CORRECT)
def test_repair_never_damages_correct_text(text: str) -> None:
    assert repair(text) == (text, False)


@pytest.mark.parametrize(("broken", "fixed"), [
    ("Mobiloverf\u00c3\u00b8rsler", "Mobiloverførsler"),
    ("Sn\u00c3\u00b6r\u00c3\u00b6jning i \u00c3\u0096rebro \u00c3\u00a5ret runt", "Snöröjning i Örebro året runt"),
    ("f\u00e2\u0080\u00a6 my foot", "f… my foot"),
    ("Tack \u00f0\u009f\u0098\u0080", "Tack 😀"),
])
def test_repair_undoes_meta_byte_escaping(broken: str, fixed: str) -> None:
    assert repair(broken) == (fixed, True)


def test_linkedin_per_line_quotes_removed_only_when_every_line_has_them() -> None:
    assert unquote_lines('"Rad ett"\n""\n"Rad tre"') == "Rad ett\n\nRad tre"
    assert unquote_lines('He said "hi"."\n""\n"Next "line" here.') == 'He said "hi".\n\nNext "line" here.'
    assert unquote_lines('"Citat" sa hon\noch gick') == '"Citat" sa hon\noch gick'
    assert unquote_lines("utan citat") == "utan citat"


@pytest.mark.parametrize(("value", "expected"), [
    (1354805114, utc(2012, 12, 6, 14, 45, 14)),
    ("1637861590767", utc(2021, 11, 25, 17, 33, 10, 767000)),
    ("2023-09-19T17:42:53.434647+00:00", utc(2023, 9, 19, 17, 42, 53, 434647)),
    ("2016-01-29T18:26:53.255+00:00", utc(2016, 1, 29, 18, 26, 53, 255000)),
    ("2026-04-02 07:15:00 UTC", utc(2026, 4, 2, 7, 15)),
    ("2020-05-06 19:32:44 UTC", utc(2020, 5, 6, 19, 32, 44)),
    ("2016-06-15T08:50:49Z", utc(2016, 6, 15, 8, 50, 49)),
    ("5 jan. 2024 10:00", utc(2024, 1, 5, 9, 0)),  # Swedish UI: Swedish time (CET)
    ("den 1 juli 2024 kl. 14:05", None),  # "den" first: not a date this reads; None, never a guess
    ("1 juli 2024 kl. 14:05", utc(2024, 7, 1, 12, 5)),  # CEST
    ("Jan 5, 2024, 10:00 PM", utc(2024, 1, 5, 21, 0)),
    ("Jan 05, 2024 10:00:00 am", utc(2024, 1, 5, 9, 0)),  # Meta's HTML pages, English
    ("Feb 28, 2025 10:07 pm", utc(2025, 2, 28, 21, 7)),
    ("mars 02, 2024 3:30 em", utc(2024, 3, 2, 14, 30)),  # Meta's HTML pages, Swedish: fm/em
    ("jan. 05, 2024 12:10 fm", utc(2024, 1, 4, 23, 10)),
    ("2026-02-30 10:00:00", None), ("2026-13-05 09:00:00", None), ("sometime later", None), ("0", None),
    ("202+00:00", None), ("1999-01-01", None), ("", None),
])
def test_times_as_exports_write_them(value: object, expected: datetime | None) -> None:
    assert parse_time(value) == expected


# ------------------------------------------------------------------------------------------ real exports

def test_facebook_dyi_json_real(tmp_path: Path) -> None:
    src = real("export-fb-ig-json-2022-waultar")
    export = arrange(tmp_path, {
        "your_facebook_activity/posts/your_posts_1.json": src / "facebook_objectbox/posts/your_posts_1.json",
        "your_facebook_activity/comments_and_reactions/comments.json":
            src / "facebook_objectbox/comments_and_reactions/comments_and_reactions.json",
        "your_facebook_activity/comments_and_reactions/posts_and_comments.json":
            src / "facebook_objectbox/comments_and_reactions/posts_and_comments.json",
        "your_facebook_activity/groups/your_posts_in_groups.json": src / "parser_data/your_posts_in_groups.json",
    })
    read = read_export(export)
    assert (read.platform, read.problems) == ("facebook", [])
    counts = Counter((i.member.rsplit("/", 1)[-1], i.item_type) for i in read.items)
    # SOURCES.md: 14 post entries, comments_v2: 6 entries; group_posts_v2: 3 (reactions are not items)
    assert counts == {("your_posts_1.json", "post"): 14, ("comments.json", "comment"): 6,
                      ("your_posts_in_groups.json", "post"): 3}
    by_time = {i.published_at: i for i in read.items}
    first = by_time[utc(2012, 12, 6, 14, 45, 14)]
    assert first.text == "Sne sne!"
    assert first.extra["title"] == "Malou Elmelund Landsgaard har tilføjet et nyt billede."
    assert first.media == [("posts/media/Mobiloverforsler_uqsXWfBGvQ/28055_498092266878953_310909280_n_"
                            "498092266878953.jpg", "image")]
    assert by_time[utc(2010, 1, 23, 15, 23, 49)].text == "TØS\n"
    assert by_time[utc(2012, 3, 9, 20, 21, 45)].extra["links"] == "http://autoinsurance4all.info/video.php?id=526"
    # 10 strings of these files are mojibake; 7 of them are item fields (texts, titles), all repaired
    assert read.repairs.count == 7
    assert not any(MOJIBAKE.search(i.text + i.extra.get("title", "")) for i in read.items)
    assert by_time[utc(2012, 1, 5, 19, 2, 9)].text.startswith("\n Hvis I ikke har nogen planer på søndag, så:\n "
                                                             "Invitation til åbent hus hos Shinson Hapkido – Holbæk")


def test_facebook_comments_replies_told_by_title_and_bad_files_reported(tmp_path: Path) -> None:
    src = real("export-fb-ig-json-2022-waultar") / "parser_data"
    export = arrange(tmp_path, {"posts/your_posts_1.json": src / "your_posts_1.json",
                                "comments/comments.json": src / "facebook_comments.json",
                                "posts/corrupt.json": src / "corrupt.json",
                                "posts/empty.json": src / "empty_list.json"})
    (export / "posts" / "zero.json").write_bytes(b"")
    read = read_export(export)
    assert [str(p) for p in read.problems] == ["posts/corrupt.json: truncated (the JSON ends too early)",
                                               "posts/zero.json: empty file"]
    counts = Counter((i.member, i.item_type) for i in read.items)
    assert counts == {("posts/your_posts_1.json", "post"): 14, ("comments/comments.json", "comment"): 6,
                      ("comments/comments.json", "reply"): 2}
    assert Counter(i.text for i in read.items if i.member.startswith("comments")) == {
        "REDACTED COMMENT": 7, "http://www.holbaekshinsonhapkido.dk/enrollment2.php": 1}
    replies = {i.extra["title"] for i in read.items if i.item_type == "reply"}
    assert all("replied" in t or "svaret" in t for t in replies), replies


def test_instagram_older_layout_real(tmp_path: Path) -> None:
    src = real("export-fb-ig-json-2022-waultar") / "parser_data"
    export = arrange(tmp_path, {"content/posts_1.json": src / "instagram_media.json",
                                "comments/post_comments.json": src / "post_comments.json"})
    read = read_export(export)
    assert read.platform == "instagram"
    counts = Counter((i.member, i.item_type) for i in read.items)
    # 6 entries: 4 posts, 1 IGTV video wrapped in ig_igtv_media, 1 profile picture (not a post)
    assert counts == {("content/posts_1.json", "post"): 5, ("comments/post_comments.json", "comment"): 2}
    assert read.notes == ["content/posts_1.json: 1 entries are not posts (ig_profile_picture); not imported"]
    carousel = next(i for i in read.items if i.published_at == utc(2018, 6, 30, 14, 50, 26))
    assert carousel.text.startswith("And finally, after a long wait (f… my foot) I finally did a running #backflip")
    assert len(carousel.media) == 2
    assert [i.text for i in read.items if i.item_type == "comment"] == ["The comment", "The comment"]
    assert [i.published_at for i in read.items if i.item_type == "comment"] == [utc(2019, 2, 19, 23, 22),
                                                                                 utc(2019, 2, 21, 1, 29)]


def test_instagram_2024_layout_real_reels_deduplicated(tmp_path: Path) -> None:
    src = real("export-ig-json-2025-instagram-to-bluesky")
    files = {}
    for n, case in enumerate(["test_image", "test_images", "test_mixed_media", "test_video"], 1):
        files[f"your_instagram_activity/media/posts_{n}.json"] = src / case / "posts.json"
        files[f"your_instagram_activity/media/reels_{n}.json"] = src / case / "reels.json"
    read = read_export(arrange(tmp_path, files))
    assert (read.platform, read.problems) == ("instagram", [])
    posts = sorted(read.items, key=lambda i: i.published_at)
    # SOURCES.md: 4 distinct posts, 17 media references; the reels repeat 2 of them
    assert len(posts) == 4 and sum(len(p.media) for p in posts) == 17
    assert [p.published_at for p in posts] == [utc(2016, 3, 23, 11, 32, 16), utc(2022, 7, 26, 21, 45, 55),
                                               utc(2024, 7, 7, 20, 35, 31), utc(2024, 8, 4, 19, 52, 37)]
    assert posts[0].text == "Pokemon test video"
    assert posts[3].text == "A great rainy day lunch\n#italiansub"
    assert Counter(kind for p in posts for _, kind in p.media) == {"image": 13, "video": 4}


def test_youtube_takeout_comments_both_column_orders_real(tmp_path: Path) -> None:
    src = real("export-yt-csv-2023-takeout-parser-snippets")
    read = read_export(arrange(tmp_path, {
        "Takeout/YouTube and YouTube Music/comments/comments.csv": src / "comments-pre-2024-06.csv",
        "Takeout/YouTube and YouTube Music/comments/comments (1).csv": src / "comments-post-2024-06.csv"}))
    assert (read.platform, read.problems) == ("youtube", [])
    by_id = {i.export_id: i for i in read.items}
    assert len(by_id) == 4  # SOURCES.md: 2 + 2 comments, one a reply
    reply = by_id["UgwDN8UeMxW4NDFbvY54AaABAg.9iwJkUYNcXa9u0lv3j3Abh"]
    assert (reply.item_type, reply.parent_export_id) == ("reply", "UgwDN8UeMxW4NDFbvY54AaABAg")
    assert reply.published_at == utc(2023, 8, 30, 1, 54, 46, 801024)
    joined = by_id["UgytHqobEtqoKm_-pYB4AaABAg"]
    assert joined.text == "> I am about to get buried in the concrete\nthe most normal  Veritasium video!"
    assert (joined.item_type, joined.parent_export_id) == ("comment", "rWVAzS6duAs")
    assert by_id["UgiNMzGz_nAsjXfCoAEC"].published_at == utc(2016, 1, 29, 18, 26, 53, 255000)
    assert by_id["UgxtiXQkY7gqHbldJ1F4AaABAg"].text == "coalowl the legend"
    assert read.owner.ids == {"UCYnl1cugi7Lw1h8j6JNqNEg", "UCA6DtnbZ2KJckyTYfXOwQNA"}


def test_youtube_takeout_spanish_redacted_values_flagged_not_imported() -> None:
    read = read_export(real("export-yt-csv-2025-es-whatif"))
    assert read.platform == "youtube" and read.items == []
    # SOURCES.md: 2 comments with timestamp 0, 1 video with a truncated timestamp: flagged, nothing guessed
    assert [str(p) for p in read.problems] == [
        "takeout-youtube-es/metadatos del vídeo/vídeos.csv: line 2: video 1 has no readable time ('20220'); "
        "not imported",
        "takeout-youtube-es/comentarios/comentarios.csv: line 2: comment 1 has no readable time ('0'); not imported",
        "takeout-youtube-es/comentarios/comentarios.csv: line 3: comment 1 has no readable time ('0'); not imported"]
    assert read.owner.names == {"test"}


def test_linkedin_csv_quoting_and_zip(tmp_path: Path) -> None:
    src = real("li-export-format-synthetic")
    export = tmp_path / "Basic_LinkedInDataExport_12-04-2026.zip"
    with zipfile.ZipFile(export, "w") as z:
        z.write(src / "shares-parity.csv", "Shares.csv")
        z.write(src / "comments-parity.csv", "Comments.csv")
    read = read_export(export)
    assert read.platform == "linkedin"
    posts = {i.export_id: i for i in read.items if i.item_type == "post"}
    assert sorted(posts, key=int) == ["1", "2", "3", "4", "6"]  # share 5 is dated 2026-02-30: reported
    assert [str(p) for p in read.problems] == ["Shares.csv: line 8: share 5 has no readable date "
                                               "('2026-02-30 10:00:00'); not imported"]
    assert posts["1"].text == 'He said "hi".\n\nNext "line" here.'
    assert posts["2"].text == "Smart “quotes” and naïve emoji 📌 stay intact."
    assert posts["4"].published_at == utc(2026, 4, 2, 7, 15)
    comments = [i for i in read.items if i.item_type == "comment"]
    assert comments[0].text == 'She wrote "great post" yesterday.\n📌 Naïve “smart quotes” line.'
    assert [c.parent_export_id for c in comments] == ["1", "2", "3", "4", "5"]


def test_linkedin_percent_encoded_urns_and_media_rows_make_one_share(tmp_path: Path) -> None:
    export = tmp_path / "li"
    export.mkdir()
    (export / "Shares.csv").write_text(
        "Date,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility\n"
        '2024-03-01 08:00:00,https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A7169000000000000001,'
        '"""Vi söker en ""förskollärare"" till Hovsta!""\n""""\n""Sök senast 31 mars."""'
        ",,https://media.licdn.com/a.jpg,PUBLIC\n"
        + "".join(f"2024-03-01 08:00:00,https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A7169000000000000001,"
                  f",,https://media.licdn.com/{c}.jpg,PUBLIC\n" for c in "bcde"), encoding="utf-8")
    (export / "Comments.csv").write_text(
        "Date,Link,Message\n2024-03-02 09:00:00,https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A71690"
        "00000000000009?commentUrn=urn%3Ali%3Acomment%3A%28activity%3A7169000000000000009%2C7169000000000000123%29"
        ",Tack!\n", encoding="utf-8")
    read = read_export(export)
    post, comment = sorted(read.items, key=lambda i: i.item_type != "post")
    assert (post.export_id, post.text) == ("7169000000000000001",
                                           'Vi söker en "förskollärare" till Hovsta!\n\nSök senast 31 mars.')
    assert post.extra["media_urls"].split() == [f"https://media.licdn.com/{c}.jpg" for c in "abcde"]
    assert (comment.export_id, comment.parent_export_id) == ("7169000000000000123", "7169000000000000009")


# ------------------------------------------------------------------------------------------ the command

def smarchive(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarchive", *args], capture_output=True, text=True, timeout=300)


def query(archive: Path, sql: str) -> list[dict]:
    result = smarchive("query", "--archive", str(archive), "--format", "json", sql)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_truncated_and_empty_members_named_rest_imported_exit_1(tmp_path: Path) -> None:
    src = real("export-yt-csv-2023-takeout-parser-snippets")
    export = tmp_path / "takeout.zip"
    good = (src / "comments-pre-2024-06.csv").read_bytes()
    with zipfile.ZipFile(export, "w") as z:
        z.writestr("Takeout/YouTube and YouTube Music/comments/comments.csv", good)
        z.writestr("Takeout/YouTube and YouTube Music/channels/channel.csv",
                   "Channel ID,Channel Country,Channel Title (Original),Channel Visibility\n"
                   "UCA6DtnbZ2KJckyTYfXOwQNA,SE,Kanalen,Public\n")
        cut = (src / "comments-post-2024-06.csv").read_bytes()
        z.writestr("Takeout/YouTube and YouTube Music/comments/comments (1).csv", cut[:cut.index(b",0,Ugi") + 3])
        z.writestr("Takeout/YouTube and YouTube Music/video metadata/videos.csv", b"")
    archive = tmp_path / "archive"
    result = smarchive("import", str(export), "--platform", "youtube", "--owner", "UCA6DtnbZ2KJckyTYfXOwQNA",
                       "--archive", str(archive))
    assert result.returncode == 1, result.stderr
    assert "NOT READ (2): the rest was imported" in result.stdout
    assert ("  - Takeout/YouTube and YouTube Music/comments/comments (1).csv: line 3: 4 columns, expected 7 "
            "(cut short?)") in result.stdout
    assert "  - Takeout/YouTube and YouTube Music/video metadata/videos.csv: empty file" in result.stdout
    rows = query(archive, "SELECT item_id, item_type, source, export_member, export_id, export_file, text "
                          "FROM items ORDER BY published_at")
    assert [(r["item_type"], r["export_id"], r["source"]) for r in rows] == [
        ("comment", "UgytHqobEtqoKm_-pYB4AaABAg", "export"),  # the cut file's first row, whole
        ("reply", "UgwDN8UeMxW4NDFbvY54AaABAg.9iwJkUYNcXa9u0lv3j3Abh", "export"),
        ("comment", "UgxtiXQkY7gqHbldJ1F4AaABAg", "export")]
    kept = archive / rows[0]["export_file"]
    assert kept.read_bytes() == export.read_bytes()  # kept as received, under its SHA-256
    assert kept.name == hashlib.sha256(export.read_bytes()).hexdigest() + ".zip"
    assert smarchive("verify", "--archive", str(archive)).returncode == 0
    shown = smarchive("show", "export:UgxtiXQkY7gqHbldJ1F4AaABAg", "--archive", str(archive))
    assert (f"  imported from the export {rows[0]['export_file']}, Takeout/YouTube and YouTube Music/comments/"
            "comments.csv (export id UgxtiXQkY7gqHbldJ1F4AaABAg)") in shown.stdout, shown.stdout + shown.stderr


def test_wrong_account_or_platform_refused_nothing_written(tmp_path: Path) -> None:
    src = real("export-yt-csv-2023-takeout-parser-snippets")
    archive = tmp_path / "archive"
    other = smarchive("import", str(src), "--platform", "youtube", "--owner", "UC" + "x" * 22,
                      "--archive", str(archive))
    assert other.returncode == 2
    assert other.stderr.count("\n") == 1 and "is the export of youtube account" in other.stderr
    assert "nothing was imported" in other.stderr
    platform = smarchive("import", str(src), "--platform", "instagram", "--owner", "orebrokommun",
                         "--archive", str(archive))
    assert platform.returncode == 2
    assert platform.stderr.strip().endswith("is an export of youtube, not instagram")
    assert not archive.exists()


# ------------------------------------------------------------------------------------------ end to end

HIDDEN_FROM = [("facebook", "facebook-orebrokommun"), ("instagram", "instagram-orebrokommun"),
               ("youtube", "youtube-orebrokommun")]
DEMO_WORLD = {"seed": 1748, "posts_per_year": 8, "comments_per_post": 5, "throttle_every": 0}  # sandbox.toml's


def posts_to_hide() -> dict[str, dict]:
    """Per account of HIDDEN_FROM, the first 2024 post (of the demo's world) that citizens commented on and the
    account did not: hidden with its thread, it is the one item of the account's own that the export has and the
    capture cannot (an own reply under it would be a second one)."""
    from smarchive.sandbox.content import SandboxConfig, build_world
    from smarchive.sandbox.truth import truth

    world = build_world(SandboxConfig(**{k: v for k, v in DEMO_WORLD.items() if k != "throttle_every"}))
    items = truth(world, 2024)
    chosen = {}
    for platform, account in HIDDEN_FROM:
        handle = account.removeprefix(f"{platform}-")
        for post in (i for i in items if (i["platform"], i["account"], i["item_type"]) == (platform, handle, "post")):
            thread = [i for i in world.items if i.post_id == post["id"] and i.item_type != "post"]
            if thread and not any(i.author_is_account for i in thread):
                chosen[account] = post
                break
    return chosen


@pytest.fixture(scope="module")
def hidden_capture(tmp_path_factory) -> tuple[Path, Path, dict[str, dict]]:
    """The demo's world captured (three accounts, 2024) with one post of each hidden from the platforms' pages
    (`[sandbox] hidden_posts`); the pipeline, so `sandbox export` writes the same world's exports."""
    from smarchive.model import Account

    from conftest import register_toml, run_capture, write_pipeline

    folder = tmp_path_factory.mktemp("hidden")
    hidden = posts_to_hide()
    ids = ", ".join(f'"{p["id"]}"' for p in hidden.values())
    url = {"facebook": "sandbox:/facebook/orebrokommun", "instagram": "sandbox:/instagram/orebrokommun/",
           "youtube": "sandbox:/youtube/@orebrokommun/videos"}
    register = register_toml(*(Account(id=account, platform=platform, name="Örebro kommun", url=url[platform],
                                       handle="orebrokommun") for platform, account in HIDDEN_FROM))
    pipeline = write_pipeline(folder, {**DEMO_WORLD, "hidden_posts": f"[{ids}]"}, register)
    archive = folder / "archive"
    result = run_capture(archive, pipeline, 2024)
    assert result.returncode == 0, f"capture failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    return archive, pipeline, hidden


def test_sandbox_export_reconciled_with_a_capture_that_never_saw_three_posts(hidden_capture, tmp_path: Path) -> None:
    """The done-when of #18: the platforms never showed three posts (one each on Facebook, Instagram and YouTube);
    the accounts' own exports hold them; the reconciliation lists exactly those three as missed by the capture,
    they are counted in the capture's coverage, and each import says its account is incomplete (exit 1)."""
    from conftest import copy_archive

    original, pipeline, hidden = hidden_capture
    archive = copy_archive(original, tmp_path / "archive")  # the HTML test imports into its own copy
    captured = query(archive, "SELECT item_id FROM items")
    assert not {p["id"] for p in hidden.values()} & {r["item_id"] for r in captured}  # the capture never saw them
    exports = tmp_path / "exports"
    made = smarchive("sandbox", "export", "--out", str(exports), "--pipeline", str(pipeline),
                     *(a for _, acc in HIDDEN_FROM for a in ("--account", acc)))
    assert made.returncode == 0, made.stderr
    for _, account in HIDDEN_FROM:
        result = smarchive("import", str(exports / f"{account}.zip"), "--account", account, "--year", "2024",
                           "--pipeline", str(pipeline), "--archive", str(archive))
        assert result.returncode == 1, result.stdout + result.stderr  # incomplete: the capture missed an item
        assert "reconciliation with the capture: 1 missed by the capture" in result.stdout, result.stdout
        assert f"{account}: incomplete: 1 item(s) of the export missed by the capture" in result.stdout
    reconciled = smarchive("query", "--saved", "reconcile", "--year", "2024", "--format", "json", "--archive",
                           str(archive))
    assert reconciled.returncode == 0, reconciled.stderr
    found = [json.loads(line) for line in reconciled.stdout.splitlines()]
    missed = [r for r in found if r["finding"] == "missed-by-capture"]
    assert sorted((r["account"], r["item_type"], r["export_text"]) for r in missed) == sorted(
        (account, "post", hidden[account]["text"][:100]) for _, account in HIDDEN_FROM)
    youtube = next(r for r in missed if r["platform"] == "youtube")
    assert youtube["export_id"] == hidden["youtube-orebrokommun"]["id"]
    assert [r for r in found if r["finding"] == "text-differs"] == []
    # Own Facebook/Instagram replies whose post the export does not name, found in no capture: the first days of
    # January, answers to posts of December 2023 (not captured here); the others were placed in their threads.
    unplaced = [r for r in found if r["finding"] == "unplaced"]
    assert unplaced and all(r["published_local"] < "2024-01-05" for r in unplaced)
    assert {r["platform"] for r in unplaced} <= {"facebook", "instagram"}
    # What the export lacks is what others wrote: the account's own items are all in its export.
    assert all(r["expected"] for r in found if r["finding"] == "missing-from-export")
    # Counted in the capture's coverage: one row per missed item, in the saved coverage query and the summary.
    gaps = json.loads(smarchive("query", "--saved", "coverage", "--year", "2024", "--format", "json",
                                "--archive", str(archive)).stdout.replace("}\n{", "},{").join("[]"))
    assert sorted((g["account"], g["kind"], g["shortfall"]) for g in gaps) == sorted(
        (account, "missed-by-capture", 1) for _, account in HIDDEN_FROM)
    assert {g["post_id"] for g in gaps} == {r["export_item_id"] for r in missed}
    summary = query(archive, "SELECT account, count(*) AS n FROM coverage WHERE kind = 'missed-by-capture' "
                             "GROUP BY ALL ORDER BY ALL")
    assert summary == [{"account": account, "n": 1} for _, account in sorted(HIDDEN_FROM, key=lambda h: h[1])]
    figures = json.loads(smarchive("query", "--saved", "account-summary", "--year", "2024", "--format", "json",
                                   "--archive", str(archive)).stdout.replace("}\n{", "},{").join("[]"))
    assert sorted((f["account"], f["missed_by_capture"]) for f in figures) == sorted(
        (account, 1) for _, account in HIDDEN_FROM)
    runs = query(archive, "SELECT accounts_incomplete FROM runs WHERE job = 'import' ORDER BY run_id")
    assert [r["accounts_incomplete"] for r in runs] == [[account] for _, account in HIDDEN_FROM]
    counts = query(archive, "SELECT source, count(*) AS n FROM items WHERE account = 'facebook-orebrokommun' "
                            "AND item_type = 'post' GROUP BY ALL ORDER BY ALL")
    assert counts == [{"source": "capture", "n": 7}, {"source": "export", "n": 8}]
    verified = smarchive("verify", "--archive", str(archive))
    assert "exports/" not in verified.stdout + verified.stderr  # the kept exports are in the ledger and intact


def test_sandbox_html_export_reconciled_with_the_same_capture(hidden_capture, tmp_path: Path) -> None:
    """The same done-when on Meta's HTML format: the Facebook and Instagram exports as HTML pages, imported into a
    copy of the capture, list exactly the hidden post of each as missed by the capture."""
    from conftest import copy_archive

    original, pipeline, hidden = hidden_capture
    archive = copy_archive(original, tmp_path / "archive")
    meta = [account for platform, account in HIDDEN_FROM if platform != "youtube"]
    made = smarchive("sandbox", "export", "--format", "html", "--out", str(tmp_path / "html"), "--pipeline",
                     str(pipeline), *(a for account in meta for a in ("--account", account)))
    assert made.returncode == 0, made.stderr
    for account in meta:
        result = smarchive("import", str(tmp_path / "html" / f"{account}.zip"), "--account", account, "--year",
                           "2024", "--pipeline", str(pipeline), "--archive", str(archive))
        assert result.returncode == 1, result.stdout + result.stderr
        assert "-dyi-html export" in result.stdout and "1 missed by the capture" in result.stdout, result.stdout
    reconciled = smarchive("query", "--saved", "reconcile", "--year", "2024", "--format", "json", "--archive",
                           str(archive))
    rows = [json.loads(line) for line in reconciled.stdout.splitlines()]
    assert sorted((r["account"], r["item_type"], r["export_text"]) for r in rows
                  if r["finding"] == "missed-by-capture") == sorted(
        (account, "post", hidden[account]["text"][:100]) for account in meta)
    assert [r for r in rows if r["finding"] == "text-differs"] == []


@pytest.mark.parametrize(("real_file", "inside", "posts", "notes"), [
    ("export-fb-ig-json-2022-waultar/parser_data/facebook_media.json", "posts/your_posts_1.json", 5,
     ["posts/your_posts_1.json: 4 entries are not posts (no timestamp); not imported"]),  # 9 entries: 4 messages
    ("export-fb-ig-json-2022-waultar/parser_data/instagram_post.json", "content/posts_1.json", 5, []),
])
def test_single_real_post_files(tmp_path: Path, real_file: str, inside: str, posts: int, notes: list[str]) -> None:
    path = REAL / real_file
    if not path.is_file():
        pytest.skip(f"{path} not present")
    read = read_export(arrange(tmp_path, {inside: path}))
    assert (len(read.items), read.notes, read.problems) == (posts, notes, [])
    assert all(i.item_type == "post" for i in read.items)


def test_linkedin_adversarial_corpus_every_bad_date_reported(tmp_path: Path) -> None:
    src = real("li-export-format-synthetic")
    read = read_export(arrange(tmp_path, {"Shares.csv": src / "shares-corpus.csv",
                                          "Comments.csv": src / "comments-corpus.csv"}))
    # 220 rows each, every one dated 1999, NA, 2026-02-30, 2026-13-05, 2026-06-31 or "sometime later"
    assert read.items == [] and len(read.problems) == 440


def test_youtube_takeout_older_my_comments_html(tmp_path: Path) -> None:
    """The older Takeout page (layout as SOURCES.md of export-yt-csv-2023-takeout-parser-snippets describes it:
    no real sample is public): one <li> per comment, time and video link, <br>, the text."""
    page = tmp_path / "Takeout" / "YouTube and YouTube Music" / "my-comments" / "my-comments.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        '<html><body><ul>'
        '<li>Sent at 2020-05-06 19:32:44 UTC while watching <a href="https://www.youtube.com/watch?v=ncbrB7IsB6v'
        '&amp;lc=UgxoPaSxMClp89Xf4JNc644AaABAg">Gott nytt år</a>.<br/>Tack för att ni tittar!<br/>Rad två 😊</li>'
        '<li>On 2016-06-15T08:50:49Z you replied on <a href="http://www.youtube.com/watch?v=ZuvK-oe647c&amp;'
        'lc=UgiNMzGz_nAsjXfCoAEC.8abc">a video</a><br>Hej & välkommen</li>'
        '<li>A list item that is no comment <a href="https://example.org/">link</a></li>'
        '</ul></body></html>', encoding="utf-8")
    read = read_export(tmp_path / "Takeout")
    assert (read.platform, read.problems) == ("youtube", [])
    first, second = read.items
    assert (first.item_type, first.export_id, first.parent_export_id, first.text, first.published_at) == (
        "comment", "UgxoPaSxMClp89Xf4JNc644AaABAg", "ncbrB7IsB6v", "Tack för att ni tittar!\nRad två 😊",
        utc(2020, 5, 6, 19, 32, 44))
    assert (second.item_type, second.parent_export_id, second.post_export_id, second.text, second.published_at) == (
        "reply", "UgiNMzGz_nAsjXfCoAEC", "ZuvK-oe647c", "Hej & välkommen", utc(2016, 6, 15, 8, 50, 49))


def test_export_media_stored_and_the_export_kept_once(tmp_path: Path) -> None:
    """The sandbox's Instagram export, unpacked into a folder with a space in its name: its media files (paths
    inside the export) go to storage under their SHA-256, the folder is kept as one ZIP, twice the same."""
    made = smarchive("sandbox", "export", "--out", str(tmp_path / "zips"), "--account", "instagram-tborebro")
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "min export"
    with zipfile.ZipFile(tmp_path / "zips" / "instagram-tborebro.zip") as z:
        z.extractall(folder)
        media = {n: z.read(n) for n in z.namelist() if n.startswith("media/")}
    archive = tmp_path / "archive"
    for _ in range(2):
        result = smarchive("import", str(folder), "--account", "instagram-tborebro", "--year", "2024",
                           "--archive", str(archive))
        assert result.returncode == 0, result.stderr
    rows = query(archive, "SELECT item_id, media, export_file FROM items WHERE item_type = 'post' "
                          "ORDER BY published_at")
    assert len(rows) == 8 and len({r["export_file"] for r in rows}) == 1
    assert len(list((archive / "exports").rglob("*.zip"))) == 1
    stored = [m for r in rows for m in r["media"]]
    assert stored and all(m["url"].removeprefix("export:") in media for m in stored)
    for m in stored:
        data = media[m["url"].removeprefix("export:")]
        assert m["sha256"] == hashlib.sha256(data).hexdigest()
        assert (archive / "media" / m["sha256"][:2] / m["sha256"]).read_bytes() == data
    assert smarchive("verify", "--archive", str(archive)).returncode == 0


def test_instagram_post_without_caption_is_an_item(tmp_path: Path) -> None:
    """A photo posted with no caption: an item with the text "" (it made the whole import exit 2 before)."""
    export = tmp_path / "ig"
    (export / "media" / "posts" / "202403").mkdir(parents=True)
    (export / "media" / "posts" / "202403" / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0 a photo")
    (export / "your_instagram_activity" / "media").mkdir(parents=True)
    (export / "your_instagram_activity" / "media" / "posts_1.json").write_text(json.dumps([
        {"media": [{"uri": "media/posts/202403/a.jpg", "creation_timestamp": 1709290800, "title": ""}]},
        {"media": [{"uri": "media/posts/202403/a.jpg", "creation_timestamp": 1709377200}], "title": "Med text"}]))
    archive = tmp_path / "archive"
    result = smarchive("import", str(export), "--platform", "instagram", "--owner", "orebrokommun",
                       "--archive", str(archive))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = query(archive, "SELECT text, len(media) AS media FROM items ORDER BY published_at")
    assert rows == [{"text": "", "media": 1}, {"text": "Med text", "media": 1}]


def test_facebook_export_naming_an_owner_that_cannot_be_checked_is_refused(tmp_path: Path) -> None:
    """A Facebook export whose profile names its owner by id only, for an account known by its handle: it may be
    another account's, so nothing is imported (one line, exit 2); with the id given, it is checked and imported."""
    export = tmp_path / "fb"
    (export / "personal_information" / "profile_information").mkdir(parents=True)
    (export / "personal_information" / "profile_information" / "profile_information.json").write_text(json.dumps(
        {"profile_v2": {"name": {"full_name": "Någon annan"},
                        "profile_uri": "https://www.facebook.com/profile.php?id=100000000000001"}}))
    (export / "your_facebook_activity" / "posts").mkdir(parents=True)
    (export / "your_facebook_activity" / "posts" / "your_posts_1.json").write_text(json.dumps(
        [{"timestamp": 1709290800, "data": [{"post": "Hej"}], "title": "Någon annan uppdaterade sin status."}]))
    archive = tmp_path / "archive"
    refused = smarchive("import", str(export), "--account", "facebook-orebrokommun", "--archive", str(archive))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr.count("\n") == 1 and "is the export of facebook account 100000000000001" in refused.stderr
    assert "cannot be checked against facebook-orebrokommun" in refused.stderr and not archive.exists()
    other = smarchive("import", str(export), "--platform", "facebook", "--owner", "100000000000002",
                      "--archive", str(archive))
    assert other.returncode == 2 and "not of facebook-100000000000002" in other.stderr and not archive.exists()
    same = smarchive("import", str(export), "--platform", "facebook", "--owner", "100000000000001",
                     "--archive", str(archive))
    assert same.returncode == 0, same.stdout + same.stderr


# ------------------------------------------------------------------------------------------ Meta's HTML format

META_HTML = Path(__file__).resolve().parent / "data" / "meta-html"  # modelled fixtures: see its SOURCES.md


def test_facebook_html_both_generations_posts_comments_replies_entities() -> None:
    """The 2022- pages (_a6-g, English UI) and the 2019-2022 pages (_2lej, Swedish UI): posts with their media
    and links, comments and replies told by the title, HTML entities decoded, a time that is no time reported."""
    new = read_export(META_HTML / "facebook-2023-en")
    assert (new.platform, new.layout) == ("facebook", "facebook-dyi-html")
    assert (new.owner.handles, new.owner.names) == ({"orebrokommun"}, {"Örebro kommun"})
    assert [str(p) for p in new.problems] == [
        "your_facebook_activity/posts/your_posts_1.html: an entry without a readable time ('sometime') skipped"]
    by_type = {t: [i for i in new.items if i.item_type == t] for t in ("post", "comment", "reply")}
    first, link = sorted(by_type["post"], key=lambda i: i.published_at)
    assert (first.text, first.published_at) == (
        "Snöröjningen i Hovsta börjar i morgon & pågår till fredag.\nHåll avstånd till plogbilarna!",
        utc(2024, 1, 5, 9, 0))
    assert first.media == [("your_facebook_activity/posts/media/Timeline_photos/431_photo.jpg", "image")]
    assert first.permalink == "https://www.facebook.com/orebrokommun/posts/pfbid0abc"
    assert (link.text, link.extra["links"]) == ('Läs mer om "Örebro växer" – 5 < 10 😀', "https://www.orebro.se/vaxer")
    assert [(i.text, i.published_at) for i in by_type["comment"]] == [("Tack för alla tips!", utc(2024, 1, 5, 10, 30))]
    assert [i.text for i in by_type["reply"]] == ["Hej Anna! Plogbilen kommer vid 7."]
    old = read_export(META_HTML / "facebook-2021-sv")
    assert (old.layout, old.problems) == ("facebook-dyi-html", [])
    assert sorted((i.item_type, i.published_at, i.text) for i in old.items) == [
        ("comment", utc(2021, 7, 2, 7, 5), "Välkomna!"),
        ("post", utc(2020, 12, 31, 23, 15), "Gott nytt år från oss alla på Örebro kommun!"),  # 00:15 CET
        ("post", utc(2021, 7, 1, 12, 5), "Badplatserna öppnar för säsongen!"),
        ("reply", utc(2021, 7, 2, 7, 0), "Hej Erik, badet öppnar 1 juli.")]


def test_instagram_html_posts_comments_profile_swedish(tmp_path: Path) -> None:
    """Instagram's HTML pages in Swedish: captions (one post without), photo and video with spaces in the file
    name, the comments table (Kommentar, Medieägare, Tid with fm/em), the owner; imported with its media."""
    read = read_export(META_HTML / "instagram-2024-sv")
    assert (read.platform, read.layout, read.problems, read.owner.handles) == (
        "instagram", "instagram-dyi-html", [], {"orebrokommun"})
    posts = sorted((i for i in read.items if i.item_type == "post"), key=lambda i: i.published_at)
    assert [(p.text, p.published_at, [k for _, k in p.media]) for p in posts] == [
        ("Vi söker sommarvikarier! Ansök senast 15 mars 😎 #örebro", utc(2024, 3, 1, 8, 0), ["image", "video"]),
        ("", utc(2024, 3, 2, 14, 30), ["image"])]
    (comment,) = [i for i in read.items if i.item_type == "comment"]
    assert (comment.text, comment.published_at, comment.extra) == (
        "@anna_s tack, vi hör av oss!", utc(2024, 3, 1, 9, 12), {"media_owner": "orebrokommun"})
    archive = tmp_path / "archive"
    result = smarchive("import", str(META_HTML / "instagram-2024-sv"), "--platform", "instagram", "--owner",
                       "orebrokommun", "--archive", str(archive))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "instagram-dyi-html export" in result.stdout
    rows = query(archive, "SELECT text, media_sha256 FROM items WHERE item_type = 'post' ORDER BY published_at")
    photo = (META_HTML / "instagram-2024-sv" / "media" / "posts" / "202403" / "17990_bild med mellanslag.jpg")
    assert rows[1] == {"text": "", "media_sha256": [hashlib.sha256(photo.read_bytes()).hexdigest()]}


def test_another_account_html_export_refused(tmp_path: Path) -> None:
    result = smarchive("import", str(META_HTML / "facebook-2023-en"), "--platform", "facebook", "--owner",
                       "someoneelse", "--archive", str(tmp_path / "archive"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "is the export of facebook account orebrokommun, not of" in result.stderr
    assert not (tmp_path / "archive").exists()


@pytest.mark.parametrize("account", ["facebook-orebrokommun", "instagram-orebrokommun"])
def test_sandbox_html_export_gives_the_items_of_its_json_export(tmp_path: Path, account: str) -> None:
    """`sandbox export --format html`: the same account's HTML and JSON exports read as the same items. Facebook's
    pages show the second, so the stable ids are the same too (a later export in the other format adds nothing
    new); Instagram's show the minute (and its JSON dates a single photo a second early): times within 60 s."""
    for form in ("json", "html"):
        made = smarchive("sandbox", "export", "--format", form, "--out", str(tmp_path / form), "--account", account)
        assert made.returncode == 0, made.stderr
    json_read, html_read = (read_export(tmp_path / form / f"{account}.zip") for form in ("json", "html"))
    assert (json_read.layout.endswith("-json"), html_read.layout.endswith("-html")) == (True, True)
    assert html_read.problems == [] and len(html_read.items) > 20
    if account.startswith("facebook"):
        assert sorted(i.key for i in html_read.items) == sorted(i.key for i in json_read.items)
    both = [sorted(((i.item_type, i.text, [p.rsplit("/", 1)[-1] for p, _ in i.media]), i.published_at)
                   for i in r.items) for r in (html_read, json_read)]
    assert [what for what, _ in both[0]] == [what for what, _ in both[1]]
    assert all(abs((a - b).total_seconds()) < 60 for (_, a), (_, b) in zip(*both, strict=True))
