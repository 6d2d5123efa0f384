"""Seals: a run seals the fixity ledger (signed with the municipality's key, time-stamped by a real RFC 3161
TSA on 127.0.0.1); `smarchive verify` checks the signature and the token against the configured
certificates; a tampered ledger, seal or token fails."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smarchive.archive.ledger import recording
from smarchive.archive.store import atomic_write
from tsa import Pki, make_pki, running_tsa

from conftest import PROJECT, copy_archive, run_capture, write_pipeline

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")

WEB_ONLY = '''
[[account]]
id = "web-sociala-medier"
platform = "web"
name = "Sociala medier (sandbox)"
url = "sandbox:/web/sociala-medier"
handle = "sociala-medier"
'''


def seal_table(pki: Pki, tsa_url: str | None = None, tsa_ca: Path | None = None) -> str:
    lines = [f'key = "{pki.signer_key}"', f'cert = "{pki.signer_cert}"', f'ca = "{pki.ca}"',
             f'tsa_ca = "{tsa_ca or pki.ca}"']
    if tsa_url:
        lines.append(f'tsa_url = "{tsa_url}"')
    return "\n[seal]\n" + "\n".join(lines) + "\n"


def sandbox_pipeline(folder: Path, seal: str) -> Path:
    """The demo's pipeline (pipelines/sandbox.toml) with a [seal] table, written to `folder`."""
    text = (PROJECT / "pipelines" / "sandbox.toml").read_text("utf-8")
    path = folder / "sealed-sandbox.toml"
    path.write_text(text + seal, "utf-8")
    return path


def smarchive(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarchive", *args], capture_output=True, text=True, timeout=600)


def seal_folders(archive: Path) -> list[Path]:
    return sorted(p for p in (archive / "seals").iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def test_a_run_seals_with_signature_and_timestamp(pki, tmp_path):
    with running_tsa(pki) as (url, requests):
        pipeline = write_pipeline(tmp_path, {"seed": 1748}, accounts=WEB_ONLY)
        pipeline.write_text(pipeline.read_text("utf-8") + seal_table(pki, url), "utf-8")
        archive = tmp_path / "archive"
        result = run_capture(archive, pipeline, 2024)
        assert result.returncode == 0, result.stderr[-3000:]
        assert len(requests) == 1, "the run's seal asks the TSA once"
    assert "signed, time-stamped" in result.stderr
    [seal] = seal_folders(archive)
    assert {p.name for p in seal.iterdir()} == {"seal.json", "seal.p7s", "seal.tsq", "seal.tsr"}
    document = json.loads((seal / "seal.json").read_text())
    assert document["reason"].startswith("run ") and document["files"] > 0
    check = smarchive("verify", "--deep", "--archive", str(archive), "--pipeline", str(pipeline))
    assert check.returncode == 0, check.stdout
    assert "1 seal(s)" in check.stdout and "note:" not in check.stdout, check.stdout


@pytest.fixture(scope="module")
def sealed_demo(demo_capture, pki, tmp_path_factory):
    """A copy of the demo archive, sealed with `smarchive seal` (signed, time-stamped by the local TSA)."""
    folder = tmp_path_factory.mktemp("sealed-demo")
    archive = copy_archive(demo_capture.archive, folder / "archive")
    with running_tsa(pki) as (url, requests):
        pipeline = sandbox_pipeline(folder, seal_table(pki, url))
        result = smarchive("seal", "--archive", str(archive), "--pipeline", str(pipeline))
        assert len(requests) == 1
    assert result.returncode == 0, result.stderr
    assert "signed, time-stamped" in result.stdout
    return archive, pipeline


def verify(archive: Path, pipeline: Path) -> subprocess.CompletedProcess:
    return smarchive("verify", "--archive", str(archive), "--pipeline", str(pipeline))


def test_sealed_demo_verifies(sealed_demo):
    archive, pipeline = sealed_demo
    check = verify(archive, pipeline)
    assert check.returncode == 0, check.stdout
    # The demo's own run seal (no key configured then) is noted as unsigned; the new seal checks out.
    assert "2 seal(s)" in check.stdout
    assert "signature does not verify" not in check.stdout and "token does not verify" not in check.stdout


def test_tampered_ledger_fails(sealed_demo, tmp_path):
    archive = copy_archive(sealed_demo[0], tmp_path / "archive")
    ledger_file = sorted((archive / "ledger").glob("*/*.jsonl"))[0]
    lines = ledger_file.read_text("utf-8").splitlines(keepends=True)
    entry = json.loads(lines[0])
    # Someone makes a changed file look legitimate: the ledger line gets the new file's hash.
    entry["sha256"] = "0" * 64
    lines[0] = json.dumps(entry, sort_keys=True) + "\n"
    ledger_file.write_text("".join(lines), "utf-8")
    check = verify(archive, sealed_demo[1])
    assert check.returncode == 1
    assert f"ledger file {ledger_file.relative_to(archive).as_posix()} was changed after it was sealed" in check.stdout


def test_line_slipped_in_behind_a_seal_fails(sealed_demo, tmp_path):
    archive = copy_archive(sealed_demo[0], tmp_path / "archive")
    forged = archive / "ledger" / "forged" / "host-1.jsonl"
    forged.parent.mkdir()
    old = json.loads(sorted((archive / "ledger").glob("2*/*.jsonl"))[0].read_text().splitlines()[0])
    forged.write_text(json.dumps({**old, "run_id": "forged", "writer": "host-1"}) + "\n")
    check = verify(archive, sealed_demo[1])
    assert check.returncode == 1 and f"in ledger/forged/host-1.jsonl is dated {old['recorded_at']}" in check.stdout


def test_tampered_seal_fails_signature_and_token(sealed_demo, tmp_path):
    archive = copy_archive(sealed_demo[0], tmp_path / "archive")
    seal_file = seal_folders(archive)[-1] / "seal.json"
    seal_file.write_text(seal_file.read_text().replace('"reason": "smarchive seal"', '"reason": "smarchive seaL"'))
    check = verify(archive, sealed_demo[1])
    assert check.returncode == 1
    assert "signature does not verify" in check.stdout and "time-stamp token does not verify" in check.stdout


def test_token_is_checked_against_the_configured_tsa_certificate(sealed_demo, tmp_path):
    other = make_pki(tmp_path / "other-pki")
    archive, _ = sealed_demo
    pipeline = sandbox_pipeline(tmp_path, seal_table(other, tsa_ca=other.ca))
    check = verify(archive, pipeline)
    assert check.returncode == 1
    assert "time-stamp token does not verify against the TSA certificate" in check.stdout
    assert "signature does not verify" in check.stdout  # signed by a key the other CA never certified


@pytest.mark.parametrize(("table", "words"), [
    ('tsa_urll = "http://127.0.0.1:1/"', ["[seal]", "unknown key tsa_urll"]),
    ('key = "signer.key"', ["signing needs both 'key' and 'cert'"]),
    ('key = "signer.key"\ncert = "nowhere.pem"', ["cert", "nowhere.pem not found"]),
    ('tsa_url = "ftp://tsa.example/"', ["tsa_url", "http://"]),
])
def test_a_wrong_seal_table_is_one_line(pki, tmp_path, table, words):
    for name in ("signer.key", "signer.pem"):
        shutil.copy(pki.folder / name, tmp_path / name)
    pipeline = sandbox_pipeline(tmp_path, f"\n[seal]\n{table}\n")
    result = smarchive("seal", "--archive", str(tmp_path / "archive"), "--pipeline", str(pipeline))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("smarchive: error: ") and all(w in line for w in words), line


def test_a_tsa_that_does_not_answer_leaves_a_signed_seal_and_exit_1(pki, tmp_path):
    archive = tmp_path / "archive"
    with recording(archive, "run-1"):
        atomic_write(archive / "register" / "register-2024.csv", b"item_id\r\n")
    with running_tsa(pki) as (url, _):
        pass  # started and stopped: nothing listens on its port any more
    pipeline = sandbox_pipeline(tmp_path, seal_table(pki, url))
    result = smarchive("seal", "--archive", str(archive), "--pipeline", str(pipeline))
    assert result.returncode == 1 and "not time-stamped: the TSA at" in result.stderr
    assert "signed" in result.stdout
    newest = seal_folders(archive)[-1]
    assert not (newest / "seal.tsr").exists() and (newest / "seal.p7s").exists()
