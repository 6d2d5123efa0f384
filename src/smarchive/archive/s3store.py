"""S3-compatible object storage for media files (production backend), plus `open_storage`.

Objects live at `<prefix>/media/<sha256[:2]>/<sha256>`, the same layout as LocalStorage. Every upload
carries its SHA-256 so the server rejects bytes damaged on the way (BadDigest); every read is hashed
again here. Writes are idempotent: a HEAD first, then a conditional put (`If-None-Match: *`) so two
writers racing for one key never overwrite each other. Credentials come only from the standard AWS
chain (environment, shared files, instance roles); they are never parameters and never logged.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, IncompleteReadError
from botocore.exceptions import ConnectionError as BotoConnectionError

from smarchive.archive.store import LocalStorage, Storage, StoredObject, media_key, sha256_hex
from smarchive.errors import ConfigError, SmarchiveError

log = logging.getLogger(__name__)
T = TypeVar("T")

MiB = 1024 * 1024
DEFAULT_MULTIPART_THRESHOLD = 16 * MiB
DEFAULT_PART_SIZE = 16 * MiB
MIN_PART_SIZE = 5 * MiB  # S3's minimum for every part but the last
MAX_PARTS = 10_000
METADATA_LIMIT = 2048  # S3: user metadata keys + values, in bytes
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")

# Printable ASCII stays readable in metadata; '%' and space are encoded so decoding is exact and
# HTTP cannot trim leading/trailing blanks. Everything else (å, ä, ö, newlines) is UTF-8 percent-encoded.
_META_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")
_META_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")

_TRANSIENT_CODES = {
    "SlowDown", "Throttling", "ThrottlingException", "RequestThrottled", "RequestLimitExceeded",
    "TooManyRequestsException", "RequestTimeout", "RequestTimeoutException", "InternalError",
    "ServiceUnavailable", "ConditionalRequestConflict",
    # The server saw other bytes than we hashed: damaged in transit, worth sending again.
    "BadDigest", "XAmzContentSHA256Mismatch",
}
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
_EXISTS_CODES = {"412", "PreconditionFailed"}


class _GaveUp(Exception):
    """A transient failure that outlasted the retry policy; `_errors` words it for the user."""

    def __init__(self, cause: Exception, attempts: int):
        super().__init__(str(cause))
        self.cause = cause
        self.attempts = attempts


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for one S3 request, bounded in attempts and in seconds."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    deadline: float = 60.0  # no new attempt starts later than this after the first one

    def delay(self, attempt: int) -> float:
        top = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(top / 2, top)  # jitter: many workers do not retry in lockstep


def encode_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """Metadata as S3 can carry it: keys lower-case with '-', values ASCII (UTF-8 percent-encoded)."""
    out = {}
    for key, value in metadata.items():
        name = key.lower().replace("_", "-")
        if not _META_KEY.match(name):
            raise ValueError(f"metadata key {key!r} must be ASCII letters, digits, '_' or '-'")
        out[name] = quote(str(value), safe=_META_SAFE)
    return out


def decode_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """Inverse of encode_metadata; keys come back with '_' (original_url, captured_at...)."""
    return {key.replace("-", "_"): unquote(value) for key, value in metadata.items()}


def fit_metadata(metadata: Mapping[str, str], limit: int = METADATA_LIMIT) -> dict[str, str]:
    """Encode and, if over S3's 2 KB limit, shorten the longest values (named in `truncated`).

    Losing the tail of a very long URL in object metadata is better than losing the file; the
    manifest keeps the full value.
    """
    values = {k: str(v) for k, v in metadata.items()}
    truncated: list[str] = []
    while True:
        encoded = encode_metadata({**values, **({"truncated": ",".join(truncated)} if truncated else {})})
        over = sum(len(k) + len(v) for k, v in encoded.items()) - limit
        if over <= 0:
            return encoded
        longest = max(values, key=lambda k: len(encoded[k.lower().replace("_", "-")]))
        if not values[longest]:
            raise ValueError("metadata keys alone exceed S3's 2 KB limit")
        # A character encodes to at most 12 bytes (%XX x 4), so this always shortens enough to progress.
        values[longest] = values[longest][: max(0, len(values[longest]) - max(1, over // 12) - 1)]
        if longest not in truncated:
            truncated.append(longest)


def _b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _status(exc: Exception) -> int:
    response = getattr(exc, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def is_transient(exc: Exception) -> bool:
    """Connection trouble, 5xx, throttling: worth another attempt. Anything else is final."""
    if isinstance(exc, BotoConnectionError | HTTPClientError | IncompleteReadError):
        return True
    if isinstance(exc, ClientError):
        return _error_code(exc) in _TRANSIENT_CODES or _status(exc) >= 500 or _status(exc) == 429
    return False


def describe(exc: Exception) -> str:
    """The cause in one line: S3 error code and message, or the connection problem."""
    code = _error_code(exc)
    text = f"{code} (HTTP {_status(exc)}): {exc.response['Error'].get('Message', '')}" if code else (
        f"{type(exc).__name__}: {exc}"
    )
    return " ".join(text.split())


def _public_endpoint(url: str) -> str:
    """The endpoint without any user:password@ part, fit for messages."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class S3Storage:
    """Media in an S3 bucket, content-addressed by SHA-256, verified on write and on read."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        object_lock_days: int | None = None,
        legal_hold: bool = False,
        client: Any = None,
        *,
        object_lock_mode: str = "GOVERNANCE",
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        part_size: int = DEFAULT_PART_SIZE,
        retry: RetryPolicy | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
    ):
        if object_lock_mode not in LOCK_MODES:
            raise ValueError(f"object_lock_mode must be one of {LOCK_MODES}, not {object_lock_mode!r}")
        if object_lock_days is not None and object_lock_days < 1:
            raise ValueError("object_lock_days must be at least 1")
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3 minimum)")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.object_lock_days = object_lock_days
        self.object_lock_mode = object_lock_mode
        self.legal_hold = legal_hold
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size
        self.retry = retry or RetryPolicy()
        self._session = None
        self._client = client or self._make_client(endpoint_url, region, connect_timeout, read_timeout)
        self.endpoint = _public_endpoint(self._client.meta.endpoint_url)
        self._lock_checked = False

    def _make_client(self, endpoint_url: str | None, region: str | None, connect: float, read: float) -> Any:
        config = Config(
            # Our own retry loop (bounded in time, one clear error at the end) replaces botocore's.
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=connect,
            read_timeout=read,
            # Path-style works with every S3-compatible server; virtual hosts need DNS per bucket.
            s3={"addressing_style": "path"} if endpoint_url else None,
        )
        self._session = boto3.session.Session()  # the standard credential chain, nothing else
        return self._session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> S3Storage:
        """Build from the `[storage]` table (or a whole config holding one); see docs/storage.md."""
        table = _storage_table(cfg) or {}
        unknown = set(table) - _S3_KEYS
        if unknown:
            raise ConfigError(f"[storage]: unknown key(s) {', '.join(sorted(unknown))} for backend 's3'")
        bucket = _get(table, "bucket", str, required=True)
        lock_days = _get(table, "object_lock_days", int)
        mode = _get(table, "object_lock_mode", str) or "GOVERNANCE"
        if mode not in LOCK_MODES:
            raise ConfigError(f"[storage] object_lock_mode must be GOVERNANCE or COMPLIANCE, not {mode!r}")
        if lock_days is not None and lock_days < 1:
            raise ConfigError("[storage] object_lock_days must be at least 1")
        return cls(
            bucket=bucket,
            prefix=_get(table, "prefix", str) or "",
            endpoint_url=_get(table, "endpoint", str),
            region=_get(table, "region", str),
            object_lock_days=lock_days,
            legal_hold=bool(_get(table, "legal_hold", bool)),
            object_lock_mode=mode,
        )

    # -- keys and locations --------------------------------------------------------------------

    def key(self, sha256: str) -> str:
        return f"{self.prefix}/{media_key(sha256)}" if self.prefix else media_key(sha256)

    def location(self, sha256: str) -> str:
        return f"s3://{self.bucket}/{self.key(sha256)}"

    # -- the Storage protocol --------------------------------------------------------------------

    def put(self, data: bytes, content_type: str, metadata: dict[str, str]) -> StoredObject:
        digest = sha256_hex(data)
        key = self.key(digest)
        with self._errors("put", key):
            self._check_object_lock()
            size = self._stored_size(key)
            if size is None:
                args = self._put_args(content_type, metadata)
                big = len(data) >= self.multipart_threshold
                created = self._put_multipart(key, data, args) if big else self._put_single(key, data, args)
            else:
                self._check_size(key, size, len(data))
                created = False
        return StoredObject(digest, len(data), self.location(digest), existed=not created)

    def get(self, sha256: str) -> bytes:
        key = self.key(sha256)
        with self._errors("get", key):
            try:
                data = self._call("get", self._read, key=key)
            except Exception as exc:
                if _error_code(exc) in _MISSING_CODES:
                    raise FileNotFoundError(self.location(sha256)) from None
                raise
        if sha256_hex(data) != sha256:
            raise SmarchiveError(
                f"{self.location(sha256)} at {self.endpoint}: content read back does not match its SHA-256"
            )
        return data

    def exists(self, sha256: str) -> bool:
        key = self.key(sha256)
        with self._errors("exists", key):
            return self._stored_size(key) is not None

    def delete(self, sha256: str) -> None:
        """Delete (cull). In a versioned / object-lock bucket this only adds a delete marker."""
        key = self.key(sha256)
        with self._errors("delete", key):
            self._call("delete", self._client.delete_object, Bucket=self.bucket, Key=key)

    def metadata(self, sha256: str) -> dict[str, str]:
        """The stored object's metadata, decoded, plus its content_type."""
        key = self.key(sha256)
        with self._errors("head", key):
            head = self._call("head", self._client.head_object, Bucket=self.bucket, Key=key)
        return {"content_type": head.get("ContentType", ""), **decode_metadata(head.get("Metadata", {}))}

    # -- writing ---------------------------------------------------------------------------------

    def _put_args(self, content_type: str, metadata: Mapping[str, str]) -> dict[str, Any]:
        args: dict[str, Any] = {"ContentType": content_type, "Metadata": fit_metadata(metadata)}
        if self.object_lock_days:
            args["ObjectLockMode"] = self.object_lock_mode
            args["ObjectLockRetainUntilDate"] = datetime.now(UTC) + timedelta(days=self.object_lock_days)
        if self.legal_hold:
            args["ObjectLockLegalHoldStatus"] = "ON"
        return args

    def _put_single(self, key: str, data: bytes, args: dict[str, Any]) -> bool:
        """One PUT; False if the key appeared meanwhile (a racing writer, or our own lost reply)."""
        try:
            self._call(
                "put", self._client.put_object, Bucket=self.bucket, Key=key, Body=data,
                ChecksumAlgorithm="SHA256", ChecksumSHA256=_b64_sha256(data), IfNoneMatch="*", **args,
            )
        except Exception as exc:
            if _error_code(exc) in _EXISTS_CODES:
                return False
            raise
        return True

    def _put_multipart(self, key: str, data: bytes, args: dict[str, Any]) -> bool:
        """Multipart upload, every part with its own SHA-256; aborted (best effort) on any failure."""
        upload = self._call(
            "create multipart", self._client.create_multipart_upload,
            Bucket=self.bucket, Key=key, ChecksumAlgorithm="SHA256", **args,
        )
        upload_id = upload["UploadId"]
        try:
            parts = [self._upload_part(key, upload_id, n, chunk) for n, chunk in self._chunks(data)]
            self._call(
                "complete multipart", self._client.complete_multipart_upload, Bucket=self.bucket, Key=key,
                UploadId=upload_id, MultipartUpload={"Parts": parts}, IfNoneMatch="*",
            )
        except Exception as exc:
            self._abort(key, upload_id)
            if _error_code(exc) in _EXISTS_CODES:
                return False
            raise
        return True

    def _chunks(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        size = max(self.part_size, -(-len(data) // MAX_PARTS))
        for number, start in enumerate(range(0, len(data), size), start=1):
            yield number, data[start : start + size]

    def _upload_part(self, key: str, upload_id: str, number: int, chunk: bytes) -> dict[str, Any]:
        checksum = _b64_sha256(chunk)
        reply = self._call(
            f"upload part {number}", self._client.upload_part, Bucket=self.bucket, Key=key,
            UploadId=upload_id, PartNumber=number, Body=chunk,
            ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum,
        )
        return {"PartNumber": number, "ETag": reply["ETag"], "ChecksumSHA256": checksum}

    def _abort(self, key: str, upload_id: str) -> None:
        """One try only: if the server is gone, a lifecycle rule cleans up (docs/storage.md)."""
        try:
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except Exception as exc:  # the original failure is the one to report
            log.warning("S3 abort multipart %s at %s failed: %s", key, self.endpoint, describe(exc))

    # -- reading and checks ----------------------------------------------------------------------

    def _read(self, key: str) -> bytes:
        # Reading the body is inside the retried call: a connection lost mid-stream is transient too.
        reply = self._client.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        return reply["Body"].read()

    def _stored_size(self, key: str) -> int | None:
        try:
            head = self._call("head", self._client.head_object, Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _error_code(exc) in _MISSING_CODES:
                return None
            raise
        return int(head["ContentLength"])

    def _check_size(self, key: str, stored: int, expected: int) -> None:
        if stored != expected:
            raise SmarchiveError(
                f"s3://{self.bucket}/{key} at {self.endpoint} holds {stored} bytes, expected {expected}: "
                "the stored object is not what its key promises; inspect it by hand"
            )

    def _check_object_lock(self) -> None:
        """Retention was asked for: refuse to write into a bucket that cannot keep that promise."""
        if self._lock_checked or not (self.object_lock_days or self.legal_hold):
            return
        try:
            reply = self._call(
                "object lock check", self._client.get_object_lock_configuration, Bucket=self.bucket
            )
            enabled = reply.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
        except Exception as exc:
            if _error_code(exc) != "ObjectLockConfigurationNotFoundError":
                raise
            enabled = False
        if not enabled:
            raise SmarchiveError(
                f"S3 bucket {self.bucket!r} at {self.endpoint} has no object lock, but [storage] asks for "
                "retention/legal hold: create the bucket with object lock enabled, or remove "
                "object_lock_days/legal_hold"
            )
        self._lock_checked = True

    # -- retries and errors ----------------------------------------------------------------------

    def _call(self, what: str, method: Callable[..., T], **kwargs: Any) -> T:
        """Call `method`, retrying transient failures with backoff; non-transient errors pass through."""
        started = time.monotonic()
        attempt = 1
        while True:
            try:
                return method(**kwargs)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                delay = self.retry.delay(attempt)
                if attempt >= self.retry.attempts or time.monotonic() - started + delay > self.retry.deadline:
                    raise _GaveUp(exc, attempt) from exc
                log.warning(
                    "S3 %s at %s: %s; retry %d/%d in %.1fs",
                    what, self.endpoint, self._scrub(describe(exc)), attempt, self.retry.attempts - 1, delay,
                )
                time.sleep(delay)
                attempt += 1

    @contextmanager
    def _errors(self, what: str, key: str) -> Iterator[None]:
        """Turn any remaining botocore error into a one-line SmarchiveError."""
        try:
            yield
        except _GaveUp as gave_up:
            raise self._error(f"{what} {key}", gave_up.cause, gave_up.attempts) from gave_up.cause
        except (BotoCoreError, ClientError) as exc:
            raise self._error(f"{what} {key}", exc) from exc

    def _error(self, what: str, exc: Exception, attempts: int = 1) -> SmarchiveError:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        message = f"S3 {what} failed at {self.endpoint} bucket {self.bucket!r}{tries}: {describe(exc)}"
        return SmarchiveError(self._scrub(message))

    def _scrub(self, text: str) -> str:
        """Belt and braces: no server or library message may carry our keys into a log or error."""
        creds = self._session.get_credentials() if self._session is not None else None
        if creds is not None:
            frozen = creds.get_frozen_credentials()
            for secret in (frozen.access_key, frozen.secret_key, frozen.token):
                if secret:
                    text = text.replace(secret, "***")
        return " ".join(text.split())


_S3_KEYS = {
    "backend", "endpoint", "bucket", "prefix", "region", "object_lock_days", "object_lock_mode", "legal_hold",
}


def _storage_table(cfg: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Accept the `[storage]` table itself or a whole config that holds one."""
    if cfg is not None and isinstance(cfg.get("storage"), Mapping):
        return cfg["storage"]
    return cfg


def _get(table: Mapping[str, Any], key: str, kind: type, required: bool = False) -> Any:
    value = table.get(key)
    if value is None:
        if required:
            raise ConfigError(f"[storage] needs `{key}`")
        return None
    # bool is an int in Python; `object_lock_days = true` is a mistake, not one day.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"[storage] `{key}` must be {kind.__name__}, not {type(value).__name__}")
    return value


def open_storage(cfg: Mapping[str, Any] | None, archive_dir: Path) -> Storage:
    """The configured backend: LocalStorage(archive_dir) by default, S3Storage for backend "s3"."""
    table = _storage_table(cfg) or {}
    backend = table.get("backend", "local")
    if backend == "local":
        unknown = set(table) - {"backend", "path"}
        if unknown:
            raise ConfigError(f"[storage]: unknown key(s) {', '.join(sorted(unknown))} for backend 'local'")
        path = _get(table, "path", str)
        return LocalStorage(Path(path).expanduser() if path else Path(archive_dir))
    if backend == "s3":
        return S3Storage.from_config(table)
    raise ConfigError(f"[storage] backend must be 'local' or 's3', not {backend!r}")
