"""`smarchive cull`: the dry run changes nothing; --apply removes the culled items' content everywhere,
keeps tombstones and writes the gallringsdokument; verify passes; a second --apply is a no-op; an
interrupted cull is completed by the next --apply."""

from __future__ import annotations

import csv
import gzip
import hashlib
import html
import io
import json
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from smarchive.archive.query import query_rows
from smarchive.archive.store import LocalStorage
from smarchive.capture.render import SnapshotRenderer
from smarchive.cli import cli
from smarchive.retention import cull

PROJECT = Path(__file__).resolve().parents[1]


def smarchive(*args: str) -> SimpleNamespace:
    """The command in-process (a subprocess per call costs seconds of imports): returncode, stdout, stderr."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def pipeline_of(sandbox_capture) -> str:
    return str(sandbox_capture.archive.parent / "small-sandbox.toml")


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


query = query_rows  # the rows of one query over the archive's views


def forms(text: str) -> set[str]:
    return {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1], html.escape(text),
            html.escape(text, quote=False)}


def every_output(archive: Path):
    """(where, decoded text) of every file, every WARC record's decoded payload, every WACZ member."""
    for path in sorted(archive.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(archive).as_posix()
        data = path.read_bytes()
        if path.name.endswith(".warc.gz"):
            yield from warc_contents(rel, data)
        elif path.suffix == ".wacz":
            with zipfile.ZipFile(path) as z:
                for name in z.namelist():
                    member = z.read(name)
                    if name.endswith(".warc.gz"):
                        yield from warc_contents(f"{rel}:{name}", member)
                    else:
                        yield f"{rel}:{name}", (gzip.decompress(member) if name.endswith(".gz") else member)
        else:
            yield rel, data


def warc_contents(where: str, data: bytes):
    yield where, gzip.decompress(data)
    for record in ArchiveIterator(io.BytesIO(data)):
        yield f"{where}#{record.rec_headers.get_header('WARC-Target-URI')}", record.content_stream().read()


def culled_original(archive: Path) -> Path:
    return archive.parent / "original"


@pytest.fixture(scope="module")
def culled(sandbox_capture, tmp_path_factory):
    """A copy of the capture, with a register CSV, culled with --apply; plus what it held before."""
    archive = tmp_path_factory.mktemp("cull") / "archive"
    shutil.copytree(sandbox_capture.archive, archive)
    shutil.copytree(sandbox_capture.archive, culled_original(archive))
    pipeline = pipeline_of(sandbox_capture)
    assert smarchive("register", "--year", "2024", "--archive", str(archive), "--pipeline", pipeline).returncode == 0
    before = query(archive, "SELECT * FROM item_captures")
    due = query(archive, "SELECT item_id, text, author, media_sha256 FROM items WHERE year = 2024 AND "
                         f"tag_retention = 'cull-eligible' AND NOT tag_needs_review AND tag_cull_from <= DATE "
                         f"'{date.today()}'")
    assert due, "the sandbox capture has nothing to cull: the test would prove nothing"
    result = smarchive("cull", "--year", "2024", "--archive", str(archive), "--pipeline", pipeline, "--apply")
    assert result.returncode == 0, result.stderr
    return archive, before, due, result, pipeline


def test_dry_run_changes_nothing(sandbox_capture, tmp_path):
    archive = tmp_path / "archive"
    shutil.copytree(sandbox_capture.archive, archive)
    before = tree(archive)
    due = query(archive, "SELECT item_id FROM items WHERE year = 2024 AND tag_retention = 'cull-eligible' AND "
                         f"NOT tag_needs_review AND tag_cull_from <= DATE '{date.today()}'")
    result = smarchive("cull", "--year", "2024", "--archive", str(archive), "--pipeline", pipeline_of(sandbox_capture))
    assert result.returncode == 0, result.stderr
    assert "dry run: nothing changed" in result.stdout
    assert all(r["item_id"] in result.stdout for r in due)
    assert f"{len(due)} item(s) of 2024 may be culled" in result.stdout
    assert tree(archive) == before


def test_apply_then_verify_passes(culled):
    archive, _, due, result, pipeline = culled
    assert f"culled {len(due)} item(s)" in result.stdout
    check = smarchive("verify", "--deep", "--archive", str(archive), "--pipeline", pipeline)
    assert check.returncode == 0 and "verify: OK" in check.stdout, check.stdout


def test_culled_text_is_gone_from_every_output(culled):
    archive, before, due, _, _ = culled
    culled_ids = {r["item_id"] for r in due}
    # Other items' texts: preserved rows, and items in the WARC that are not in the manifest (the timeline
    # also loads posts and comments of the year before). A culled text another item also holds cannot be
    # searched for globally (that item keeps it); such texts are checked per item below.
    others = [r["text"] or "" for r in before if r["item_id"] not in culled_ids]
    others += [text for where, data in every_output(culled_original(archive)) if b"legacy_fbid" in data
               for node_id, text in _json_nodes(data.decode("utf-8", "replace")) if node_id not in culled_ids]
    unique = {r["text"] for r in due if not any(r["text"] in other for other in others)}
    assert unique
    needles = {f.encode("utf-8") for t in unique for f in forms(t)}
    found = [(where, n.decode()) for where, data in every_output(archive) for n in needles if n in data]
    assert not found, found[:10]
    assert not query(archive, "SELECT item_id FROM item_captures WHERE item_id IN "
                              f"({', '.join(repr(i) for i in culled_ids)})")
    # Per item, also for shared texts: no JSON node of a culled item keeps its text.
    texts = {r["item_id"]: r["text"] for r in due}
    for where, data in every_output(archive):
        if where.endswith("/") or b"legacy_fbid" not in data:
            continue
        for node_id, text in _json_nodes(data.decode("utf-8", "replace")):
            if node_id in texts:
                assert texts[node_id] not in text, (where, node_id)


def _json_nodes(text: str):
    """(legacy_fbid, the node's body text) of every comment node in the JSON documents in a payload."""
    docs = []
    for blob in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', text, re.S) or [text]:
        try:
            docs.append(json.loads(blob))
        except ValueError:
            pass

    def walk(node):
        if isinstance(node, dict):
            if "legacy_fbid" in node and isinstance(node.get("body"), dict):
                yield node["legacy_fbid"], node["body"].get("text") or ""
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for doc in docs:
        yield from walk(doc)


def test_culled_media_is_deleted(culled):
    archive, before, due, _, _ = culled
    culled_ids = {r["item_id"] for r in due}
    kept = {m for r in before if r["item_id"] not in culled_ids for m in r["media_sha256"] or []}
    gone = {m for r in due for m in r["media_sha256"] or []} - kept
    storage = LocalStorage(archive)
    assert all(not storage.exists(sha) for sha in gone)
    assert all(storage.exists(sha) for sha in kept)
    assert not any(sha in name for sha in gone for name, _ in every_output(archive))


def test_tombstones_and_gallringsdokument(culled):
    archive, _, due, _, _ = culled
    tombs = list((archive / "manifest" / "tombstones").glob("cull-*.parquet"))
    assert len(tombs) == 1
    rows = pq.read_table(tombs[0]).to_pylist()
    assert {r["item_id"] for r in rows} == {r["item_id"] for r in due}
    assert "text" not in pq.read_schema(tombs[0]).names
    assert all(r["decision"] == "1748" and r["rule_ids"] and r["cull_from"] and r["culled_at"] for r in rows)
    by_id = {r["item_id"]: r for r in due}
    assert all(r["text_sha256"] == hashlib.sha256(by_id[r["item_id"]]["text"].encode()).hexdigest() for r in rows)
    cull_id = rows[0]["cull_id"]
    folder = archive / "gallring" / cull_id
    document = (folder / "gallringsdokument.csv").read_text("utf-8-sig")
    page = (folder / "gallringsdokument.html").read_text("utf-8")
    lines = list(csv.reader(io.StringIO(document), delimiter=";"))
    facts = {line[0]: line[1] for line in lines if len(line) == 2}
    assert facts["Gallringsbeslut (handlings-id)"] == "1748" and "ringa eller tillfällig" in facts["Beslutets text"]
    assert facts["Antal gallrade objekt"] == str(len(due)) and facts["Utfört av"] == "smarchive tests"
    for r in rows:
        assert r["item_id"] in document and r["text_sha256"] in document
        assert r["item_id"] in page and r["text_sha256"] in page
    for heading in ("Under vilket beslut", "Gallrade objekt", "Ändrade filer"):
        assert heading in page
    assert any(line[:1] == ["WARC (innehåll ersatt med [gallrad])"] for line in lines)
    assert json.loads((folder / "plan.json").read_text())["status"] == "done"


def test_preserved_items_are_untouched(culled):
    archive, before, due, _, _ = culled
    culled_ids = {r["item_id"] for r in due}
    after = {(r["run_id"], r["item_id"]): r for r in query(archive, "SELECT * FROM item_captures")}
    moved = {"warc_sha256", "warc_offset", "snapshot_offset", "screenshot_offset"}
    kept = [r for r in before if r["item_id"] not in culled_ids]
    assert len(after) == len(kept)
    for row in kept:
        new = after[(row["run_id"], row["item_id"])]
        assert {k: v for k, v in row.items() if k not in moved} == {k: v for k, v in new.items() if k not in moved}
    warc = b"".join(data for where, data in every_output(archive) if "#" in where and ".wacz" not in where)
    own = [r for r in kept if r["author_is_account"] or "register" in (r["tag_actions"] or [])]
    assert own
    for row in own:
        assert any(f.encode() in warc for f in forms(row["text"])), row["item_id"]
    register = (archive / "register" / "register-2024.csv").read_text("utf-8-sig")
    assert all(r["item_id"] in register for r in kept if "register" in (r["tag_actions"] or []))


def test_second_apply_is_a_no_op(culled):
    archive, _, _, _, pipeline = culled
    before = tree(archive)
    again = smarchive("cull", "--year", "2024", "--archive", str(archive), "--pipeline", pipeline, "--apply")
    assert again.returncode == 0 and "nothing to cull" in again.stdout, again.stdout + again.stderr
    assert tree(archive) == before


def test_interrupted_cull_is_completed(sandbox_capture, tmp_path):
    archive = tmp_path / "archive"
    shutil.copytree(sandbox_capture.archive, archive)
    pipeline = pipeline_of(sandbox_capture)
    selection = cull.select_items(archive, 2024, date.today())
    decision = {"id": "1748", "title": "t", "text": "x"}
    plan = cull.make_plan(archive, 2024, date.today(), selection, decision, "test", "test")
    cull.save_plan(archive, plan)
    with SnapshotRenderer() as renderer:  # ... and the power goes out after the WARCs were rewritten:
        cull.step_warc(plan, cull.Cull(archive, LocalStorage(archive), lambda _m: None, renderer.render))
    half = smarchive("verify", "--archive", str(archive), "--pipeline", pipeline)
    assert half.returncode == 1 and "WARC differs" in half.stdout
    dry = smarchive("cull", "--year", "2024", "--archive", str(archive), "--pipeline", pipeline)
    assert "was interrupted" in dry.stdout
    done = smarchive("cull", "--year", "2024", "--archive", str(archive), "--pipeline", pipeline, "--apply")
    assert done.returncode == 0 and plan.cull_id in done.stdout, done.stderr
    check = smarchive("verify", "--deep", "--archive", str(archive), "--pipeline", pipeline)
    assert check.returncode == 0, check.stdout
    assert (archive / "gallring" / plan.cull_id / "gallringsdokument.html").is_file()
    tomb = pq.read_table(cull.tombstone_path(archive, plan.cull_id)).to_pylist()
    assert {r["item_id"] for r in tomb} == {r["item_id"] for r in selection.due}


def test_cull_is_in_the_fixity_ledger_and_sealed(culled):
    archive, _, _, result, _ = culled
    cull_id = re.search(r"\(cull (\S+)\)", result.stdout).group(1)
    rewritten = query(archive, "SELECT path, list(sha256 ORDER BY recorded_at) AS hashes FROM ledger WHERE "
                               f"role = 'warc' GROUP BY path HAVING list_contains(list(run_id), 'cull-{cull_id}')")
    assert rewritten, "the cull rewrote WARCs: their new hashes are in the ledger"
    for row in rewritten:  # the captured hash stays in the history, the new one is the current state
        assert len(set(row["hashes"])) == 2
        assert hashlib.sha256((archive / row["path"]).read_bytes()).hexdigest() == row["hashes"][-1]
    removed = {r["path"] for r in query(archive, "SELECT path FROM ledger WHERE event = 'removed'")}
    assert removed and not removed & {r["path"] for r in query(archive, "SELECT path FROM ledger_state")}
    assert all(not (archive / p).exists() for p in removed)
    seals = sorted((archive / "seals").glob("*/seal.json"))
    assert json.loads(seals[-1].read_text())["reason"] == f"cull {cull_id}"
