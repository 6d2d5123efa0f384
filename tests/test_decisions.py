"""Decisions are append-only archive records that the items view, `register`, `cull` and the saved queries follow:
an archivist's "preserve" keeps an item the rules would cull, a diarienummer takes an item off the register, a
review takes it off needs-review; they survive a cull and a reindex; `smarchive decide` refuses bad input."""

from __future__ import annotations

import csv
import hashlib
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from smarchive.archive import decisions
from smarchive.archive.manifest import ITEM_SCHEMA, item_files
from smarchive.archive.query import connect, query_rows
from smarchive.archive.sql import same_columns
from smarchive.cli import cli, main


def smarchive(*args: str) -> SimpleNamespace:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def refused(capsys, *args: str) -> SimpleNamespace:
    """The command as a user runs it (`main`: errors become one line and an exit code), in-process."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        main(list(args))
    out = capsys.readouterr()
    return SimpleNamespace(returncode=stopped.value.code, stdout=out.out, stderr=out.err)


query = query_rows  # the rows of one query over the archive's views


def register_ids(archive: Path, pipeline: str) -> list[str]:
    result = smarchive("register", "--year", "2024", "--archive", str(archive), "--pipeline", pipeline)
    assert result.returncode == 0, result.stderr
    with open(archive / "register" / "register-2024.csv", encoding="utf-8-sig", newline="") as f:
        return [r["item_id"] for r in csv.DictReader(f, delimiter=";")]


@pytest.fixture
def archive(sandbox_capture, tmp_path) -> tuple[Path, str]:
    copy = tmp_path / "archive"
    shutil.copytree(sandbox_capture.archive, copy)
    return copy, str(sandbox_capture.archive.parent / "small-sandbox.toml")


def test_review_is_a_record_the_items_view_shows(archive):
    folder, pipeline = archive
    item = query(folder, "SELECT * FROM items WHERE tag_needs_review ORDER BY published_at, item_id LIMIT 1")[0]
    open_before = len(query(folder, "SELECT 1 FROM items WHERE tag_needs_review AND decided_at IS NULL"))
    review_before = smarchive("query", "--archive", str(folder), "--saved", "needs-review", "--format", "csv")
    result = smarchive("decide", item["item_id"], "--archive", str(folder), "--pipeline", pipeline, "--by", "anna",
                       "--category", "own", "--retention", "preserve", "--access", "restricted",
                       "--reason", "kommunens egen information")
    assert result.returncode == 0, result.stderr
    row = query(folder, f"SELECT * FROM items WHERE item_id = '{item['item_id']}'")[0]
    assert (row["decision_category"], row["decision_retention"], row["decision_access"], row["decision_by"],
            row["decision_reason"]) == ("own", "preserve", "restricted", "anna", "kommunens egen information")
    # the captured text and the rules' tag are never rewritten: the decision stands beside them
    assert {k: row[k] for k in ITEM_SCHEMA.names} == {k: item[k] for k in ITEM_SCHEMA.names}
    assert len(query(folder, "SELECT 1 FROM items WHERE tag_needs_review AND decided_at IS NULL")) == open_before - 1
    review_after = smarchive("query", "--archive", str(folder), "--saved", "needs-review", "--format", "csv")
    assert item["item_id"] in review_before.stdout and item["item_id"] not in review_after.stdout
    files = decisions.decision_files(folder)
    assert len(files) == 1
    recorded = pq.read_table(files[0]).to_pylist()[0]
    assert recorded["old_category"] == item["tag_category"] and recorded["new_category"] == "own"
    assert recorded["kind"] == "review" and recorded["decided_by"] == "anna"
    ledger = query(folder, "SELECT path FROM ledger_state")
    assert files[0].relative_to(folder).as_posix() in {r["path"] for r in ledger}


def test_latest_review_wins_and_history_is_kept(archive):
    folder, pipeline = archive
    item_id = query(folder, "SELECT item_id FROM items ORDER BY item_id LIMIT 1")[0]["item_id"]
    assert smarchive("decide", item_id, "--archive", str(folder), "--retention", "cull-eligible",
                     "--cull-from", "2030-01-01", "--reason", "först").returncode == 0
    assert smarchive("decide", item_id, "--archive", str(folder), "--retention", "preserve",
                     "--reason", "sedan").returncode == 0
    row = query(folder, f"SELECT * FROM items WHERE item_id = '{item_id}'")[0]
    assert (row["decision_retention"], row["decision_cull_from"], row["decision_reason"]) == ("preserve", None,
                                                                                               "sedan")
    con = connect(folder)
    past = decisions.history(con, item_id, row["platform"])
    con.close()
    assert [d["reason"] for d in past] == ["först", "sedan"]
    assert past[1]["old_retention"] == "cull-eligible" and past[1]["old_cull_from"] == date(2030, 1, 1)


def test_decisions_of_two_generations_are_read_together(archive):
    """Decision files of one schema are read without reconciling them (every items query joins them); a file
    written before a column existed, first among them, is still read by name: the column stays, from the
    files that have it, and every decision counts."""
    folder, _pipeline = archive
    first, second = (r["item_id"] for r in query(folder, "SELECT item_id FROM items ORDER BY item_id LIMIT 2"))
    for item_id, reason in ((first, "först"), (second, "sedan")):
        assert smarchive("decide", item_id, "--archive", str(folder), "--retention", "preserve",
                         "--reason", reason).returncode == 0
    files = decisions.decision_files(folder)
    con = connect(folder)
    assert len(files) == 2 and same_columns(con, files)
    con.close()
    older = pq.read_table(files[0])
    pq.write_table(older.drop_columns(["software"]), files[0])
    con = connect(folder)
    assert not same_columns(con, files)
    con.close()
    assert query(folder, "SELECT count(*) AS n, count(software) AS s FROM decisions") == [{"n": 2, "s": 1}]
    reasons = query(folder, f"SELECT decision_reason FROM items WHERE item_id IN ('{first}', '{second}') "
                            "ORDER BY decision_reason")
    assert [r["decision_reason"] for r in reasons] == ["först", "sedan"]


def test_diarienummer_takes_the_item_off_the_register(archive):
    folder, pipeline = archive
    before = register_ids(folder, pipeline)
    assert before, "nothing to register in the capture: the test would prove nothing"
    result = smarchive("decide", before[0], "--archive", str(folder), "--by", "registrator",
                       "--diarienummer", "KS 2024-00123")
    assert result.returncode == 0, result.stderr
    assert register_ids(folder, pipeline) == before[1:]
    saved = smarchive("query", "--archive", str(folder), "--saved", "register-worklist", "--format", "csv")
    assert before[0] not in saved.stdout and before[1] in saved.stdout
    row = query(folder, f"SELECT diarienummer, registered_by FROM items WHERE item_id = '{before[0]}'")[0]
    assert row == {"diarienummer": "KS 2024-00123", "registered_by": "registrator"}


def test_an_archivist_can_put_an_item_on_the_register(archive):
    folder, pipeline = archive
    before = register_ids(folder, pipeline)
    item_id = query(folder, "SELECT item_id FROM items WHERE NOT list_contains(tag_actions, 'register') "
                            "ORDER BY published_at, item_id LIMIT 1")[0]["item_id"]
    assert smarchive("decide", item_id, "--archive", str(folder), "--action", "register", "--reason",
                     "synpunkt på verksamheten").returncode == 0
    assert set(register_ids(folder, pipeline)) == set(before) | {item_id}


def test_preserve_keeps_an_item_the_rules_would_cull(archive):
    """The decision holds through a cull --apply and a reindex, and the decision files are untouched by both."""
    folder, pipeline = archive
    due = query(folder, "SELECT item_id, text FROM items WHERE tag_retention = 'cull-eligible' AND NOT "
                        f"tag_needs_review AND tag_cull_from <= DATE '{date.today()}' ORDER BY published_at, item_id")
    assert len(due) >= 2, "the capture has too little to cull: the test would prove nothing"
    kept = due[0]
    assert smarchive("decide", kept["item_id"], "--archive", str(folder), "--retention", "preserve", "--by",
                     "anna", "--reason", "dokumenterar en händelse").returncode == 0
    digest = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in decisions.decision_files(folder)}
    dry = smarchive("cull", "--year", "2024", "--archive", str(folder), "--pipeline", pipeline)
    assert kept["item_id"] not in dry.stdout and due[1]["item_id"] in dry.stdout
    applied = smarchive("cull", "--year", "2024", "--archive", str(folder), "--pipeline", pipeline, "--apply")
    assert applied.returncode == 0, applied.stderr
    assert smarchive("reindex", "--archive", str(folder)).returncode == 0
    rows = query(folder, f"SELECT item_id, text, decision_retention FROM items WHERE item_id IN "
                         f"('{kept['item_id']}', '{due[1]['item_id']}')")
    assert rows == [{"item_id": kept["item_id"], "text": kept["text"], "decision_retention": "preserve"}]
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in decisions.decision_files(folder)} == digest
    assert smarchive("verify", "--archive", str(folder), "--pipeline", pipeline).returncode == 0


@pytest.mark.parametrize("args, message", [
    (["--retention", "preserve"], "needs a reason"),
    (["--retention", "cull-eligible", "--reason", "x"], None),  # keeps the rules' date when there is one
    (["--diarienummer", "hej"], "is not a diarienummer"),
    (["--category", "nonsense", "--reason", "x"], "unknown category"),
    (["--confirm", "--retention", "preserve", "--reason", "x"], "--confirm keeps the tag"),
    (["--confirm", "--diarienummer", "KS 2024-1"], "give one decision"),
    ([], "give one decision"),
    (["--removed-at", "2024-05-01T10:00"], "needs its zone"),
])
def test_bad_decisions_are_refused_in_one_line(archive, capsys, args, message):
    folder, pipeline = archive
    item = query(folder, "SELECT item_id, tag_cull_from FROM items WHERE tag_retention = 'preserve' "
                         "ORDER BY item_id LIMIT 1")[0]
    result = refused(capsys, "decide", item["item_id"], "--archive", str(folder), "--pipeline", pipeline, *args)
    if message is None:  # a preserved item has no date of the rules to keep: cull-eligible needs --cull-from
        message = "needs the date"
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert decisions.decision_files(folder) == []


def test_unknown_item_is_refused(archive, capsys):
    folder, _ = archive
    result = refused(capsys, "decide", "no-such-item", "--archive", str(folder), "--confirm", "--reason", "x")
    assert result.returncode == 2 and "no item 'no-such-item'" in result.stderr


def test_a_later_capture_of_the_item_keeps_its_decision(archive):
    """A second run of the year writes new items files beside the old ones; the decision is on the item (platform,
    item id), not on a capture, so the latest capture shows it too."""
    folder, _ = archive
    item = query(folder, "SELECT item_id, platform, year, account FROM items ORDER BY item_id LIMIT 1")[0]
    assert smarchive("decide", item["item_id"], "--archive", str(folder), "--retention", "preserve",
                     "--reason", "bevaras").returncode == 0
    first = next(p for p in item_files(folder) if f"account={item['account']}" in str(p))
    later = pq.read_table(first)
    later = later.set_column(later.schema.get_field_index("run_id"), "run_id",
                             pa.array(["29991231T000000Z-later"] * later.num_rows))
    later = later.set_column(later.schema.get_field_index("captured_at"), "captured_at",
                             pa.array([datetime(2999, 12, 31, tzinfo=UTC)] * later.num_rows, pa.timestamp("us", "UTC")))
    pq.write_table(later, first.with_name("run-29991231T000000Z-later.parquet"))
    row = query(folder, f"SELECT run_id, decision_retention FROM items WHERE item_id = '{item['item_id']}'")
    assert row == [{"run_id": "29991231T000000Z-later", "decision_retention": "preserve"}]


def decision_rows(archive: Path) -> list[dict]:
    con = connect(archive)
    try:
        return con.sql("SELECT * FROM decisions ORDER BY decided_at, decision_id").to_arrow_table().to_pylist()
    finally:
        con.close()


def test_reindex_compacts_decisions_and_keeps_every_one(archive):
    """Thousands of one-decision files slow every query; `reindex` merges a year's into one file. Every decision
    is kept with every value as recorded, the items view's current decision is the same, the ledger knows the
    new file and the removed ones, and the archive verifies."""
    folder, _ = archive
    ids = [r["item_id"] for r in query(folder, "SELECT item_id FROM items ORDER BY item_id LIMIT 3")]
    for n, item_id in enumerate(ids * 2):
        assert smarchive("decide", item_id, "--archive", str(folder), "--retention", "preserve",
                         "--reason", f"skäl {n}").returncode == 0
    assert smarchive("decide", ids[0], "--archive", str(folder), "--by", "registrator",
                     "--diarienummer", "KS 2024-00123").returncode == 0
    before_files = decisions.decision_files(folder)
    before, current = decision_rows(folder), query(folder, "SELECT * FROM items WHERE decided_at IS NOT NULL "
                                                           "ORDER BY item_id")
    assert len(before_files) == len(before) == 7
    assert smarchive("reindex", "--archive", str(folder)).returncode == 0
    after_files = decisions.decision_files(folder)
    assert len(after_files) == len({f.parent for f in before_files}) and not any(f.exists() for f in before_files)
    assert decision_rows(folder) == before
    assert query(folder, "SELECT * FROM items WHERE decided_at IS NOT NULL ORDER BY item_id") == current
    ledger = {r["path"]: r for r in query(folder, "SELECT path, sha256 FROM ledger_state")}
    assert all(f.relative_to(folder).as_posix() in ledger for f in after_files)
    assert not any(f.relative_to(folder).as_posix() in ledger for f in before_files)
    assert smarchive("verify", "--archive", str(folder)).returncode == 0
    # a decision after the compaction is a new file beside the merged one; the next compaction merges both
    assert smarchive("decide", ids[1], "--archive", str(folder), "--retention", "preserve",
                     "--reason", "senare").returncode == 0
    assert len(decisions.decision_files(folder)) == len(after_files) + 1
    assert [r["reason"] for r in decision_rows(folder)][-1] == "senare"
    assert len(decisions.compact(folder)) == 1 and len(decision_rows(folder)) == 8


def test_many_decisions_are_compacted_as_they_come_and_a_copy_counts_once(archive, monkeypatch):
    folder, _ = archive
    monkeypatch.setattr(decisions, "COMPACT_AFTER", 3)
    item_id = query(folder, "SELECT item_id FROM items ORDER BY item_id LIMIT 1")[0]["item_id"]
    for n in range(4):
        assert smarchive("decide", item_id, "--archive", str(folder), "--retention", "preserve",
                         "--reason", f"skäl {n}").returncode == 0
    files = decisions.decision_files(folder)
    assert len(files) == 1 and "compacted" in files[0].name
    assert [r["reason"] for r in decision_rows(folder)] == [f"skäl {n}" for n in range(4)]
    # a compaction interrupted after writing the merged file and before removing the old ones leaves copies:
    # each decision still counts once
    shutil.copy(files[0], files[0].with_name("decision-00000000T000000000000Z-copy.parquet"))
    assert [r["reason"] for r in decision_rows(folder)] == [f"skäl {n}" for n in range(4)]
    assert query(folder, f"SELECT decision_reason FROM items WHERE item_id = '{item_id}'") == [
        {"decision_reason": "skäl 3"}]
    assert len(decisions.compact(folder)) == 1 and len(decision_rows(folder)) == 4
