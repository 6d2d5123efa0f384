"""No secret in any output: a capture of every sandbox platform, logged in, then every byte searched.

Searched for: the password and user name the sandbox logs in with, each platform's session token,
and any Cookie / Set-Cookie / Authorization / CSRF header, in every WARC record (decompressed), every
manifest column (through DuckDB), every log line, WACZ, register and media sidecar.
"""

from __future__ import annotations

import gzip
import re
import zipfile

import pytest

from smarchive.archive.query import run_query
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.web import SANDBOX_CREDENTIALS, session_token

from conftest import run_capture, write_pipeline

TINY = {"seed": 1748, "posts_per_year": 2, "comments_per_post": 2, "throttle_every": 0}
ACCOUNTS = [
    ("facebook-orebrokommun", "facebook", "/facebook/orebrokommun", "orebrokommun"),
    ("instagram-orebrokommun", "instagram", "/instagram/orebrokommun/", "orebrokommun"),
    ("linkedin-orebrokommun", "linkedin", "/linkedin/company/orebro-kommun/", "orebro-kommun"),
    ("youtube-orebrokommun", "youtube", "/youtube/@orebrokommun/videos", "orebrokommun"),
    ("podcast-vardagshjaltarna", "podcast", "/podcast/vardagshjaltarna.rss", "vardagshjaltarna"),
    ("web-sociala-medier", "web", "/web/sociala-medier", "sociala-medier"),
]
SECRET_HEADER = re.compile(rb"(?im)^(set-cookie|cookie|authorization|proxy-authorization|x-csrf-token|csrf-token):")


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("secrets")
    accounts = "".join(f'\n[[account]]\nid = "{i}"\nplatform = "{p}"\nname = "{i}"\nurl = "sandbox:{u}"\n'
                       f'handle = "{h}"\n' for i, p, u, h in ACCOUNTS)
    result = run_capture(folder / "archive", write_pipeline(folder, TINY, accounts), 2024)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    return folder / "archive"


def secrets() -> list[bytes]:
    user, password = SANDBOX_CREDENTIALS
    world = build_world(SandboxConfig(**TINY))
    tokens = {session_token(world.secret, name) for name in (user, user.lower())}
    return [password.encode(), *(t.encode() for t in tokens)]


def test_no_secret_in_any_warc_record(archive):
    warcs = list(archive.rglob("*.warc.gz"))
    assert len(warcs) == len(ACCOUNTS)
    for warc in warcs:
        raw = gzip.decompress(warc.read_bytes())
        assert not SECRET_HEADER.search(raw), f"{warc.name}: {SECRET_HEADER.search(raw).group(0)!r}"
        for secret in secrets():
            assert secret not in raw, f"{warc.name} holds a secret"


def test_no_secret_in_manifest_logs_or_packages(archive):
    rows = run_query(archive, "SELECT * FROM item_captures").to_pylist()
    rows += run_query(archive, "SELECT * FROM runs").to_pylist()
    assert rows
    text = repr(rows).encode()
    files = [p for p in archive.rglob("*") if p.is_file() and p.suffix in (".log", ".json", ".csv", ".jsonl")]
    blobs = [text] + [p.read_bytes() for p in files]
    for wacz in archive.rglob("*.wacz"):
        with zipfile.ZipFile(wacz) as z:
            blobs += [z.read(n) if not n.endswith(".gz") else gzip.decompress(z.read(n)) for n in z.namelist()]
    for blob in blobs:
        for secret in secrets():
            assert secret not in blob
        assert user_name_free(blob)


def user_name_free(blob: bytes) -> bool:
    return SANDBOX_CREDENTIALS[0].encode() not in blob
