"""The same year captured twice, with a post edited and one deleted in between: nothing is lost.

`items` shows each item as last captured (the edited text); the deleted post stays in the archive
from the first capture; `item_captures` keeps both versions of the edited one.
"""

from __future__ import annotations

from smarchive.archive.query import SUMMARY_SQL, run_query, saved_query
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.truth import truth

from conftest import FACEBOOK, register_toml, run_capture, write_pipeline

SETTINGS = {"seed": 1748, "posts_per_year": 4, "comments_per_post": 2, "throttle_every": 0}
ACCOUNT = register_toml(FACEBOOK)


def posts(edition: int) -> dict[str, str]:
    world = build_world(SandboxConfig(**SETTINGS, edition=edition))
    return {t["id"]: t["text"] for t in truth(world, 2024, "facebook")
            if t["account"] == "orebrokommun" and t["item_type"] == "post"}


def test_edit_and_delete_between_runs(tmp_path):
    archive = tmp_path / "archive"
    for edition in (0, 1):  # the platform as first captured, then a week later
        folder = tmp_path / f"edition-{edition}"
        folder.mkdir()
        result = run_capture(archive, write_pipeline(folder, {**SETTINGS, "edition": edition}, ACCOUNT), 2024)
        assert result.returncode == 0, result.stderr[-2000:]

    before, after = posts(0), posts(1)
    deleted = set(before) - set(after)
    edited = {i for i in after if i in before and after[i] != before[i]}
    assert len(deleted) == 1 and len(edited) == 1

    latest = {r["item_id"]: r["text"] for r in run_query(
        archive, "SELECT item_id, text FROM items WHERE item_type = 'post'").to_pylist()}
    assert set(latest) == set(before), "the deleted post is still in the archive"
    (edited_id,) = edited
    assert latest[edited_id] == after[edited_id], "items shows the latest capture"
    versions = run_query(archive, f"SELECT text FROM item_captures WHERE item_id = '{edited_id}' "
                                  "ORDER BY captured_at").column("text").to_pylist()
    assert versions == [before[edited_id], after[edited_id]]
    assert run_query(archive, "SELECT count(*) AS n FROM runs").to_pylist()[0]["n"] == 2

    # Search sees the latest capture once: the edit's words find the post, an item found by both runs'
    # word indexes is listed once, and the account summary (counted live here: two runs) matches `items`.
    for text in ("uppdatering ändrats", '"informationen har ändrats"'):
        found = run_query(archive, saved_query("search"), {"year": 2024, "text": text}).column("item_id").to_pylist()
        assert found == [edited_id], text
    old_word = max(before[edited_id].split(), key=len).strip(".,!?")
    found = run_query(archive, saved_query("search"), {"year": None, "text": old_word}).column("item_id").to_pylist()
    assert found.count(edited_id) == 1 and len(found) == len(set(found))
    summary = run_query(archive, "SELECT * FROM account_summary").to_pylist()
    live = run_query(archive, SUMMARY_SQL.format(source="SELECT * FROM items")).to_pylist()
    assert summary == live and summary[0]["items"] == run_query(archive, "SELECT count(*) AS n FROM items"
                                                                ).to_pylist()[0]["n"]
