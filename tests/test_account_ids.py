"""Accounts known by stable ids (#12, item 4): a capture resolves the platform id, records it in the run's
`owners` table and in ARCHIVE/accounts-ids/PIPELINE.toml, later runs decide ownership on it, and an account
whose owner nobody can tell fails with one line saying what to add to the register."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from smarchive.account_ids import KnownId, ids_path, read_ids, render_ids, with_known_ids
from smarchive.archive.query import connect
from smarchive.config import load_pipeline
from smarchive.errors import ConfigError
from smarchive.extract.reader import extract_items
from smarchive.model import Account
from smarchive.pipeline import AccountOutcome, owner_rows, record_ids, unresolved_owner
from smarchive.platforms.base import Owner
from smarchive.platforms.facebook import FacebookAdapter
from warcs import demo_facebook_answers, write_warc

FB = Account(id="facebook-orebrokommun", platform="facebook", name="Örebro kommun", url="", handle="orebrokommun")


def test_ids_file_round_trip_keeps_every_character(tmp_path: Path) -> None:
    known = {"youtube-ö \"x\"": KnownId("youtube", "UCabc", "orebro", 'Örebro "kommun" \\ 1', "run-1", "2026")}
    path = tmp_path / "ids.toml"
    path.write_bytes(render_ids(known))
    assert read_ids(path) == known


def test_broken_ids_file_is_one_config_error(tmp_path: Path) -> None:
    path = tmp_path / "ids.toml"
    path.write_text('[facebook-x]\nplatform = "facebook"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[facebook-x\] needs the strings platform and platform_id"):
        read_ids(path)


def test_known_ids_fill_the_register_but_never_override_it() -> None:
    bare = dataclasses.replace(FB, handle="")
    own = dataclasses.replace(FB, id="facebook-own", platform_id="111")
    moved = dataclasses.replace(FB, id="instagram-moved", platform="instagram")
    known = {bare.id: KnownId("facebook", "222"), own.id: KnownId("facebook", "999"),
             moved.id: KnownId("facebook", "333")}
    filled = with_known_ids([bare, own, moved], known)
    assert [a.platform_id for a in filled] == ["222", "111", ""]


def test_pipeline_reads_platform_id_from_register_and_ids_from_archive(tmp_path: Path) -> None:
    pipeline_file = tmp_path / "p.toml"
    pipeline_file.write_text("""[job]
name = "p"
[[account]]
id = "youtube-a"
platform = "youtube"
name = "A"
url = "https://www.youtube.com/@a"
platform_id = "UCregister"
[[account]]
id = "youtube-b"
platform = "youtube"
name = "B"
url = "https://www.youtube.com/@b"
""", encoding="utf-8")
    archive = tmp_path / "archive"
    ids_path(archive, "p").parent.mkdir(parents=True)
    ids_path(archive, "p").write_bytes(render_ids({"youtube-a": KnownId("youtube", "UCfile"),
                                                   "youtube-b": KnownId("youtube", "UCfileb")}))
    pipeline = load_pipeline(str(pipeline_file))
    accounts = pipeline.with_known_ids(pipeline.accounts, archive)
    assert [a.platform_id for a in accounts] == ["UCregister", "UCfileb"]


def test_owner_rows_prefer_the_known_id() -> None:
    account = dataclasses.replace(FB, platform_id="2")
    rows = owner_rows(account, [Owner("1", "other"), Owner("2", "", "Örebro kommun")])
    assert [(r["platform_id"], r["handle"], r["resolved_from"]) for r in rows] == [("2", "orebrokommun", "capture")]
    assert owner_rows(account, [])[0]["resolved_from"] == "register"
    assert owner_rows(dataclasses.replace(FB, handle=""), []) == []


def test_unresolved_owner_is_one_line_naming_account_and_what_to_add() -> None:
    bare = Account(id="youtube-x", platform="youtube", name="X", url="https://www.youtube.com/")
    line = unresolved_owner(bare, [])
    assert "\n" not in line and "youtube-x" in line
    assert 'platform_id = "…" (the channel id UC…)' in line and 'handle = "…"' in line
    assert unresolved_owner(dataclasses.replace(bare, handle="x"), []) == ""
    assert unresolved_owner(dataclasses.replace(bare, platform="web"), []) == ""
    assert unresolved_owner(bare, owner_rows(bare, [Owner("UCx")])) == ""


def test_record_ids_writes_once_and_says_a_changed_id(tmp_path: Path) -> None:
    said: list[str] = []
    outcome = AccountOutcome(FB, "captured", tables={"owners": owner_rows(FB, [Owner("42", "orebrokommun", "Ö")])})
    record_ids(tmp_path, "p", outcome, "run-1", said.append)
    record_ids(tmp_path, "p", outcome, "run-2", said.append)  # unchanged: the first run stays recorded
    assert read_ids(ids_path(tmp_path, "p"))[FB.id] == KnownId("facebook", "42", "orebrokommun", "Ö", "run-1",
                                                               read_ids(ids_path(tmp_path, "p"))[FB.id].resolved_at)
    outcome.tables["owners"] = owner_rows(FB, [Owner("43", "orebrokommun")])
    record_ids(tmp_path, "p", outcome, "run-3", said.append)
    assert read_ids(ids_path(tmp_path, "p"))[FB.id].platform_id == "43"
    assert any("changed from 42 to 43" in s for s in said)
    assert not list(ids_path(tmp_path, "p").parent.glob(".*"))  # no temporary file left behind


def test_an_id_alone_finds_the_account_and_nothing_finds_none(tmp_path: Path) -> None:
    """Recorded answers read three ways: by handle (first capture), by the id it resolved alone (a later run
    with the register's handle gone), and with neither (the account fails with the one line)."""
    warc = write_warc(tmp_path / "demo.warc.gz", demo_facebook_answers())
    first = extract_items(FacebookAdapter(), warc, FB, 2024, "demo.warc.gz")
    rows = owner_rows(FB, first.owners)
    assert first.items and rows and rows[0]["resolved_from"] == "capture"
    by_id = dataclasses.replace(FB, handle="", platform_id=rows[0]["platform_id"])
    again = extract_items(FacebookAdapter(), warc, by_id, 2024, "demo.warc.gz")
    assert sorted(i.id for i in again.items) == sorted(i.id for i in first.items)
    nobody = dataclasses.replace(FB, handle="")
    lost = extract_items(FacebookAdapter(), warc, nobody, 2024, "demo.warc.gz")
    assert lost.items == [] and lost.owners == []
    assert unresolved_owner(nobody, owner_rows(nobody, lost.owners)).startswith("owner of facebook-orebrokommun")


def test_sandbox_capture_records_the_page_id(sandbox_capture) -> None:  # noqa: ANN001 (fixture)
    """A real capture of the sandbox: the id the answers gave is in the `owners` view and in the ids file."""
    archive = sandbox_capture.archive
    with connect(archive) as con:
        owners = con.execute("SELECT account, platform_id, handle, resolved_from, source_record_id FROM owners "
                             "WHERE account = 'facebook-orebrokommun'").fetchall()
        items = con.execute("SELECT count(*) FROM items WHERE account = 'facebook-orebrokommun'").fetchone()[0]
    assert len(owners) == 1 and items > 0
    account, platform_id, handle, resolved_from, record_id = owners[0]
    assert platform_id and handle == "orebrokommun" and resolved_from == "capture" and record_id.startswith("<urn:")
    known = read_ids(ids_path(archive, "sandbox-small"))
    assert known[account].platform_id == platform_id and known[account].platform == "facebook"
    assert "id " + platform_id + " recorded in" in sandbox_capture.result.stderr


def test_a_later_run_finds_the_sandbox_account_by_its_recorded_id_alone(sandbox_capture) -> None:  # noqa: ANN001
    """The captured WARC read again as a later run reads it: the register's handle and URL gone, only the id
    the first run recorded (loaded the way a run loads it) — every item is still the account's own."""
    archive = sandbox_capture.archive
    with connect(archive) as con:
        warc, items = con.execute("SELECT any_value(warc_file), count(*) FROM items "
                                  "WHERE account = 'facebook-orebrokommun'").fetchone()
    bare = Account(id="facebook-orebrokommun", platform="facebook", name="Örebro kommun", url="")
    (by_id,) = load_pipeline_of(archive).with_known_ids([bare], archive)
    assert by_id.platform_id
    again = extract_items(FacebookAdapter(), archive / warc, by_id, sandbox_capture.year, Path(warc).name)
    assert len(again.items) == items
    lost = extract_items(FacebookAdapter(), archive / warc, bare, sandbox_capture.year, Path(warc).name)
    assert lost.items == [] and unresolved_owner(bare, owner_rows(bare, lost.owners))


def load_pipeline_of(archive: Path):  # noqa: ANN201 (Pipeline)
    """The sandbox_capture fixture's pipeline file (written beside its archive by conftest.write_pipeline)."""
    return load_pipeline(str(archive.parent / "small-sandbox.toml"))
