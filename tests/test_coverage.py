"""Coverage accounting: the platform's own counts against the items extracted, per post, with a verdict."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from smarchive.archive.manifest import write_account_table
from smarchive.archive.query import run_query, saved_query
from smarchive.config import load_pipeline
from smarchive.errors import ConfigError
from smarchive.extract.coverage import coverage
from smarchive.model import Item
from smarchive.platforms.base import Extraction, Reported

WHEN = datetime(2024, 5, 1, 12, tzinfo=UTC)


def item(item_id: str, kind: str, parent: str | None = None, post: str = "") -> Item:
    return Item(item_id, parent, "facebook", "fb", kind, "someone", False, WHEN, "text",  # type: ignore[arg-type]
                f"https://example.org/{item_id}", post_id=post or item_id)


def thread() -> list[Item]:
    """Post p1: comments c1, c2; c1 has replies r1, r2. Post p2: comment c3."""
    return [item("p1", "post"), item("c1", "comment", "p1", "p1"), item("c2", "comment", "p1", "p1"),
            item("r1", "reply", "c1", "p1"), item("r2", "reply", "c1", "p1"),
            item("p2", "post"), item("c3", "comment", "p2", "p2")]


def test_complete_thread_has_no_shortfall() -> None:
    counts = [Reported("comments", 2, "p1"), Reported("replies", 2, "p1", "c1"), Reported("comments", 1, "p2")]
    covered = coverage(Extraction(thread(), counts), "fb", "facebook", 2024, tolerance=0.0)
    assert [(r.post_id, r.kind, r.reported, r.captured, r.shortfall) for r in covered.rows] == [
        ("p1", "comments", 2, 2, 0), ("p1", "replies", 2, 2, 0), ("p2", "comments", 1, 1, 0)]
    assert not covered.incomplete
    assert covered.summary() == "captured 5 of 5 comments and replies (platform's count), 0 post(s) short"


def test_missing_replies_make_the_post_short_and_the_account_incomplete() -> None:
    counts = [Reported("comments", 2, "p1"), Reported("replies", 5, "p1", "c1", note="hidden by the platform"),
              Reported("comments", 1, "p2")]
    covered = coverage(Extraction(thread(), counts), "fb", "facebook", 2024, tolerance=0.0)
    assert covered.short_posts() == ["p1"]
    assert covered.incomplete
    assert covered.summary().startswith("captured 5 of 8 comments and replies (platform's count), 1 post(s) short")
    assert covered.worst() == ["https://example.org/p1: 3 missing (hidden by the platform)"]
    # 3 of 8 missing is within a 50 % tolerance, not within 30 %
    assert not coverage(Extraction(thread(), counts), "fb", "facebook", 2024, tolerance=0.5).incomplete
    assert coverage(Extraction(thread(), counts), "fb", "facebook", 2024, tolerance=0.3).incomplete


def test_replies_count_found_by_comment_when_the_answer_omits_the_post() -> None:
    covered = coverage(Extraction(thread(), [Reported("replies", 3, comment_id="c1")]), "fb", "facebook", 2024)
    assert [(r.post_id, r.captured, r.shortfall) for r in covered.rows] == [("p1", 2, 1)]


def test_counts_of_posts_not_of_the_year_are_left_out_and_duplicates_count_once() -> None:
    counts = [Reported("comments", 9, "other-year-post"), Reported("comments", 2, "p1"),
              Reported("comments", 1, "p1"), Reported("thread", 2, "p2")]
    covered = coverage(Extraction(thread(), counts), "fb", "facebook", 2024, tolerance=0.0)
    assert [(r.post_id, r.kind, r.reported) for r in covered.rows] == [("p1", "comments", 2), ("p2", "thread", 2)]
    assert covered.short_posts() == ["p2"]  # its thread total is 2, one comment captured


def test_a_year_with_posts_shown_and_nothing_extracted_is_a_failure_whatever_the_tolerance() -> None:
    covered = coverage(Extraction([], [Reported("posts", 14, year=2024)]), "fb", "facebook", 2024, tolerance=1.0)
    assert covered.incomplete
    assert coverage(Extraction([], [Reported("posts", 14, year=2023)]), "fb", "facebook", 2024).incomplete is False


def test_posts_of_the_year_short_of_the_platforms_count() -> None:
    covered = coverage(Extraction(thread(), [Reported("posts", 4, year=2024)]), "fb", "facebook", 2024, 0.0)
    assert [(r.kind, r.reported, r.captured, r.shortfall) for r in covered.rows] == [("posts", 4, 2, 2)]
    assert covered.incomplete


def test_saved_query_lists_short_posts_of_the_latest_run_only(tmp_path: Path) -> None:
    counts = [Reported("comments", 2, "p1"), Reported("replies", 5, "p1", "c1")]
    first = coverage(Extraction(thread(), counts), "fb", "facebook", 2024)
    write_account_table(tmp_path, "coverage", [r.to_dict() for r in first.rows], "20240101T000000Z-aaaaaa",
                        2024, "facebook", "fb")
    short = run_query(tmp_path, saved_query("coverage"), {"year": 2024}).to_pylist()
    assert [(r["post_id"], r["kind"], r["comment_id"], r["shortfall"]) for r in short] == [("p1", "replies", "c1", 3)]
    assert short[0]["permalink"] == "https://example.org/p1"
    complete = coverage(Extraction(thread(), [Reported("comments", 2, "p1")]), "fb", "facebook", 2024)
    write_account_table(tmp_path, "coverage", [r.to_dict() for r in complete.rows], "20240102T000000Z-bbbbbb",
                        2024, "facebook", "fb")
    assert run_query(tmp_path, saved_query("coverage"), {"year": 2024}).num_rows == 0


def pipeline_file(folder: Path, coverage_table: str, sandbox: bool) -> Path:
    path = folder / "p.toml"
    path.write_text(f"""
[job]
name = "p"
sandbox = {str(sandbox).lower()}

{coverage_table}

[[account]]
id = "fb"
platform = "facebook"
name = "Örebro kommun"
url = "https://www.facebook.com/orebrokommun"
""", encoding="utf-8")
    return path


def test_tolerance_per_platform_from_the_pipeline(tmp_path: Path) -> None:
    pipeline = load_pipeline(str(pipeline_file(tmp_path, "[coverage]\ndefault = 0.05\nyoutube = 0.1", False)))
    assert (pipeline.tolerance("facebook"), pipeline.tolerance("youtube")) == (0.05, 0.1)
    assert load_pipeline(str(pipeline_file(tmp_path, "", False))).tolerance("facebook") == 0.02
    assert load_pipeline(str(pipeline_file(tmp_path, "", True))).tolerance("facebook") == 0.0
    with pytest.raises(ConfigError, match="between 0 and 1"):
        load_pipeline(str(pipeline_file(tmp_path, "[coverage]\nfacebook = 5", False)))
    with pytest.raises(ConfigError, match="unknown key tiktok"):
        load_pipeline(str(pipeline_file(tmp_path, "[coverage]\ntiktok = 0.1", False)))
