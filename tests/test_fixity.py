"""The fixity ledger of the demo archive: every file the run wrote is in it with its hash; `verify --deep`
names every flipped byte, deleted file and stray file, of every kind the archive holds; plain `verify`
names the deletions and size changes."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from smarchive.archive.ledger import archive_files, recording
from smarchive.archive.query import connect
from smarchive.archive.store import atomic_write
from smarchive.archive.verify import wacz_problems

from conftest import copy_archive

PLATFORMS = ("facebook", "instagram", "linkedin", "youtube", "podcast", "web")


def smarchive(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarchive", *args], capture_output=True, text=True, timeout=900)


def ledger_state(archive: Path) -> dict[str, dict]:
    con = connect(archive)
    try:
        rows = con.sql("SELECT * FROM ledger_state").to_arrow_table().to_pylist()
    finally:
        con.close()
    return {r["path"]: r for r in rows}


def test_the_demo_ledger_holds_every_file_it_wrote(demo_capture):
    archive = demo_capture.archive
    state = ledger_state(archive)
    assert set(state) == set(archive_files(archive))
    roles = {r["role"] for r in state.values()}
    assert {"warc", "wacz", "media", "media-sidecar", "manifest-items", "word-index", "manifest-summary",
            "manifest-runs"} <= roles
    warcs = [p for p, r in state.items() if r["role"] == "warc"]
    assert {p.split("/")[-1].split("-")[0] for p in warcs} == set(PLATFORMS)  # the web page's WARC too
    con = connect(archive)
    [(run_id,)] = con.execute("SELECT run_id FROM runs").fetchall()
    con.close()
    assert {r["run_id"] for r in state.values()} == {run_id}
    shown = smarchive("query", "--archive", str(archive), "--format", "csv",
                      "SELECT role, count(*) AS files FROM ledger_state GROUP BY role ORDER BY role")
    assert shown.returncode == 0 and "warc," in shown.stdout, shown.stderr
    check = smarchive("verify", "--deep", "--archive", str(archive))
    assert check.returncode == 0 and "verify: OK" in check.stdout, check.stdout
    assert f"{len(state)} files of the fixity ledger re-hashed" in check.stdout


def flip(path: Path) -> None:
    """One byte in the middle of the file, inverted: same size, different content."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def by_role(state: dict[str, dict], role: str) -> list[str]:
    return sorted(p for p, r in state.items() if r["role"] == role)


@pytest.fixture(scope="module")
def damaged(demo_capture, tmp_path_factory):
    """A copy of the demo with a register and a cull (so a gallringsdokument), then damaged: (archive, what)."""
    archive = copy_archive(demo_capture.archive, tmp_path_factory.mktemp("damaged") / "archive")
    assert smarchive("register", "--year", "2024", "--archive", str(archive)).returncode == 0
    culled = smarchive("cull", "--year", "2024", "--archive", str(archive), "--as-of", "2099-01-01", "--apply")
    assert culled.returncode == 0, culled.stderr[-2000:]
    state = ledger_state(archive)
    flipped, deleted, resized = [], [], []
    for platform in PLATFORMS:
        warcs = [p for p in by_role(state, "warc") if p.split("/")[-1].startswith(platform + "-")]
        flipped.append(warcs[0])
        deleted += warcs[1:2]  # platforms with two accounts lose one WARC
    for role in ("wacz", "media", "manifest-items", "word-index"):
        files = by_role(state, role)
        flipped.append(files[0])
        deleted.append(files[1])
    flipped += [by_role(state, "register")[0], by_role(state, "manifest-runs")[0], by_role(state, "tombstones")[0]]
    documents = by_role(state, "gallringsdokument")
    flipped.append(next(p for p in documents if p.endswith(".csv")))
    deleted.append(next(p for p in documents if p.endswith(".html")))
    resized += [by_role(state, "media")[2], by_role(state, "manifest-summary")[0]]
    for rel in flipped:
        flip(archive / rel)
    for rel in deleted:
        (archive / rel).unlink()
    for rel in resized:
        with open(archive / rel, "ab") as f:
            f.write(b"\n")
    strays = ["warc/2024/stray.warc.gz", "media/00/not-written-by-smarchive"]
    for rel in strays:
        (archive / rel).parent.mkdir(parents=True, exist_ok=True)
        (archive / rel).write_bytes(b"stray")
    return archive, {"flipped": flipped, "deleted": deleted, "resized": resized, "strays": strays}


def test_deep_verify_names_every_damaged_file(damaged):
    archive, what = damaged
    check = smarchive("verify", "--deep", "--archive", str(archive))
    assert check.returncode == 1
    out = check.stdout
    missed = [rel for rel in what["flipped"] if f"content differs: {rel} " not in out]
    missed += [rel for rel in what["deleted"] if f"missing: {rel} " not in out]
    missed += [rel for rel in what["resized"] if f"size differs: {rel} " not in out]
    missed += [rel for rel in what["strays"] if f"not in the ledger: {rel} " not in out]
    assert not missed, f"not named: {missed}\n{out}"
    wacz = next(rel for rel in what["flipped"] if rel.endswith(".wacz"))
    assert f"WACZ damaged: {wacz}: bad CRC-32" in out


def test_plain_verify_names_deletions_size_changes_and_strays(damaged):
    archive, what = damaged
    check = smarchive("verify", "--archive", str(archive))
    assert check.returncode == 1
    out = check.stdout
    missed = [rel for rel in what["deleted"] if f"missing: {rel} " not in out]
    missed += [rel for rel in what["resized"] if f"size differs: {rel} " not in out]
    missed += [rel for rel in what["strays"] if f"not in the ledger: {rel} " not in out]
    assert not missed, f"not named: {missed}\n{out}"


def _write_in_own_process(archive: str, run_id: str, name: str) -> None:
    with recording(Path(archive), run_id):
        atomic_write(Path(archive) / "register" / name, name.encode())


def test_parallel_writers_keep_their_own_ledger_files(tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_in_own_process, args=(str(archive), "run-1", f"{n}.csv"))
               for n in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert len(list((archive / "ledger" / "run-1").glob("*.jsonl"))) == 3
    assert set(ledger_state(archive)) == {f"register/{n}.csv" for n in range(3)}


def test_only_writes_inside_the_recorded_archive_are_recorded(tmp_path):
    archive, outside = tmp_path / "archive", tmp_path / "elsewhere.csv"
    atomic_write(archive / "register" / "before.csv", b"not recording yet")
    with recording(archive, "run-1"):
        atomic_write(outside, b"a file of the user's")
        atomic_write(archive / "register" / "inside.csv", b"recorded")
        atomic_write(archive / "logs" / "x.log", b"the run's own folder")
    state = ledger_state(archive)
    assert set(state) == {"register/inside.csv"}
    assert state["register/inside.csv"]["sha256"] == hashlib.sha256(b"recorded").hexdigest()
    assert set(archive_files(archive)) - set(state) == {"register/before.csv"}


def repack(original: Path, out: Path, fix_datapackage: bool) -> Path:
    """The WACZ rebuilt with its pages list changed (valid CRCs); its datapackage.json mended or not."""
    changed = b""
    with zipfile.ZipFile(original) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "pages/pages.jsonl":
                data = changed = data.replace(b"Kontots sida", b"Kontots sidA")
            elif info.filename == "datapackage.json" and fix_datapackage:
                package = json.loads(data)
                for resource in package["resources"]:
                    if resource["path"] == "pages/pages.jsonl":
                        resource["hash"] = "sha256:" + hashlib.sha256(changed).hexdigest()
                data = json.dumps(package).encode()
            dst.writestr(info, data)
    return out


def test_a_repacked_wacz_fails_its_datapackage_digests(demo_capture, tmp_path):
    original = sorted((demo_capture.archive / "wacz").rglob("*.wacz"))[0]
    assert wacz_problems(original) == []
    assert wacz_problems(repack(original, tmp_path / "a.wacz", False)) == \
        ["pages/pages.jsonl does not match its datapackage.json sha256"]
    assert wacz_problems(repack(original, tmp_path / "b.wacz", True)) == \
        ["datapackage.json does not match datapackage-digest.json"]


def test_an_archive_without_a_ledger_is_adopted(demo_capture, tmp_path):
    """An archive from before the ledger: verify notes it; `seal --adopt` records it as it is, and the state
    it records is the very state the capture's own seal sealed."""
    archive = copy_archive(demo_capture.archive, tmp_path / "archive")
    [run_seal] = sorted((archive / "seals").glob("*/seal.json"))
    sealed_state = json.loads(run_seal.read_text())["state_sha256"]
    shutil.rmtree(archive / "ledger")
    shutil.rmtree(archive / "seals")
    before = smarchive("verify", "--archive", str(archive))
    assert before.returncode == 0 and "note: no fixity ledger" in before.stdout
    adopted = smarchive("seal", "--adopt", "--archive", str(archive))
    assert adopted.returncode == 0, adopted.stderr
    assert f"adopted {len(list(archive_files(archive)))} file(s)" in adopted.stdout
    [adopt_seal] = sorted((archive / "seals").glob("*/seal.json"))
    assert json.loads(adopt_seal.read_text())["state_sha256"] == sealed_state
    after = smarchive("verify", "--deep", "--archive", str(archive))
    assert after.returncode == 0 and "note:" not in after.stdout, after.stdout


def test_verify_names_a_row_whose_media_digest_is_not_a_sha256(demo_capture, tmp_path):
    """A flipped byte once turned a media digest into a string with a NUL in it: verify built a storage path from
    it and stopped with "embedded null byte". A digest that is not a SHA-256 makes the manifest file a finding."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from smarchive.archive.store import LocalStorage
    from smarchive.archive.verify import verify

    archive = copy_archive(demo_capture.archive, tmp_path / "archive")
    for target in sorted((archive / "manifest" / "items").rglob("*.parquet")):
        table = pq.read_table(target)
        media = table.column("media_sha256").to_pylist()
        row = next((n for n, digests in enumerate(media) if digests), None)
        if row is not None:
            break
    for damaged in (media[row][0][:10] + "\x00" + media[row][0][11:], "../" + media[row][0][3:]):
        media[row] = [damaged, *media[row][1:]]
        column = table.schema.get_field_index("media_sha256")
        pq.write_table(table.set_column(column, "media_sha256", pa.array(media, table.schema.field(column).type)),
                       target)
        report = verify(archive, LocalStorage(archive), deep=True)
        rel = target.relative_to(archive).as_posix()
        assert any(p.startswith(f"unreadable manifest file {rel}: ValueError: a row with a media digest that is "
                                "not a SHA-256") for p in report.problems), report.problems


def test_verify_reports_a_damaged_manifest_file_wherever_the_byte_flips(demo_capture, tmp_path):
    """A flipped byte in a Parquet page can decode into bad UTF-8, nulls or huge numbers without failing the
    read. Wherever the byte lands, verify must name the file or read on; it must never stop with a traceback
    (that once hid every other finding of a damaged archive)."""
    from smarchive.archive.store import LocalStorage
    from smarchive.archive.verify import verify

    archive = copy_archive(demo_capture.archive, tmp_path / "archive")
    target = sorted((archive / "manifest" / "items").rglob("*.parquet"))[0]
    original = target.read_bytes()
    storage = LocalStorage(archive)
    rel = target.relative_to(archive).as_posix()
    crashes = []
    for position in range(7, len(original), max(1, len(original) // 40)):  # ~40 places, every region of the file
        damaged = bytearray(original)
        damaged[position] ^= 0xFF
        target.write_bytes(bytes(damaged))
        try:
            report = verify(archive, storage, deep=True)
        except Exception as e:  # noqa: BLE001 (the very thing this test looks for)
            crashes.append(f"{position}: {type(e).__name__}: {e}")
            continue
        assert any(f"content differs: {rel} " in p for p in report.problems), position
    assert not crashes
