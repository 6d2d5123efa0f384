"""Reading and writing the WARC files of a capture.

The recording proxy writes raw WARCs into a staging folder. `assemble()` turns them into the
WARC that is kept: a warcinfo record first (software, operator, job), every recorded exchange
(copied byte for byte, except that cookie headers are dropped: session cookies never land in an
archive), then one `resource` record per DOM snapshot and per screenshot.

URI scheme of the records smarchive adds (documented in docs/warc.md):
    urn:smarchive:snapshot:<page URL>    text/html, the DOM after expanding everything
    urn:smarchive:screenshot:<page URL>  image/png, full-page screenshot
Both carry WARC-Refers-To (the response record of the page), WARC-Refers-To-Target-URI (the page
URL) and WARC-Smarchive-Item (the platform id of the post shown); the screenshot is
WARC-Concurrent-To its snapshot.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from smarchive.archive import ledger
from smarchive.model import CapturedResponse

SECRET_HEADERS = {"cookie", "set-cookie", "authorization", "proxy-authorization", "x-csrf-token", "csrf-token"}
SNAPSHOT_SCHEME = "urn:smarchive:snapshot:"
SCREENSHOT_SCHEME = "urn:smarchive:screenshot:"


@dataclass
class Snapshot:
    """A DOM snapshot and screenshot taken during capture, waiting in staging."""

    item_id: str
    url: str
    taken_at: str  # WARC date, e.g. 2024-05-01T10:00:00Z
    html_path: Path
    png_path: Path


@dataclass
class WrittenRecord:
    record_id: str
    offset: int
    uri: str
    warc_type: str


def warc_date(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def sha256_digest_header(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode("ascii")


def build_record(headers: list[tuple[str, str]], block: bytes) -> bytes:
    """One WARC/1.1 record (headers + block), as an uncompressed byte string."""
    lines = ["WARC/1.1"] + [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(block)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + block + b"\r\n\r\n"


def format_warcinfo(fields: dict[str, str]) -> bytes:
    """A warcinfo body: WARC named fields, one `name: value` per line, empty values left out."""
    return "".join(f"{k}: {' '.join(str(v).split())}\r\n" for k, v in fields.items() if v).encode("utf-8")


class WarcAssembler:
    """Writes the final WARC: one gzip member per record, under a temporary name until closed."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tmp_path = self.path.with_name(f".{self.path.name}.part")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._out = open(self.tmp_path, "wb")
        self.records: list[WrittenRecord] = []

    def _write_member(self, raw_member: bytes, record_id: str, uri: str, warc_type: str) -> WrittenRecord:
        written = WrittenRecord(record_id, self._out.tell(), uri, warc_type)
        self._out.write(raw_member)
        self.records.append(written)
        return written

    def write(self, warc_type: str, uri: str | None, content_type: str, block: bytes,
              extra: list[tuple[str, str]] | None = None, date: str | None = None) -> WrittenRecord:
        record_id = new_record_id()
        headers = [("WARC-Type", warc_type), ("WARC-Record-ID", record_id), ("WARC-Date", date or warc_date())]
        if uri is not None:
            headers.append(("WARC-Target-URI" if warc_type != "warcinfo" else "WARC-Filename", uri))
        headers += extra or []
        headers += [("Content-Type", content_type), ("WARC-Block-Digest", sha256_digest_header(block))]
        if warc_type == "resource":
            headers.append(("WARC-Payload-Digest", sha256_digest_header(block)))
        member = gzip.compress(build_record(headers, block), compresslevel=6)
        return self._write_member(member, record_id, uri or "", warc_type)

    def copy_from(self, staging_warc: Path) -> None:
        """Copy the proxy's records, redacting secret headers; its own warcinfo is replaced by ours."""
        # Two handles: the iterator buffers its reads, so raw copies come from a second one.
        with open(staging_warc, "rb") as raw, open(staging_warc, "rb") as copy_src:
            iterator = ArchiveIterator(raw)
            for record in iterator:
                if record.rec_type == "warcinfo":
                    record.raw_stream.read()
                    continue
                rec_headers = record.rec_headers
                http = record.http_headers
                record_id = rec_headers.get_header("WARC-Record-ID")
                uri = rec_headers.get_header("WARC-Target-URI") or ""
                if http is not None and any(n.lower() in SECRET_HEADERS for n, _ in http.headers):
                    payload = record.raw_stream.read()
                    member = gzip.compress(_redacted(rec_headers, http, payload), compresslevel=6)
                    self._write_member(member, record_id, uri, record.rec_type)
                    continue
                offset, length = iterator.get_record_offset(), iterator.get_record_length()
                self.records.append(WrittenRecord(record_id, self._out.tell(), uri, record.rec_type))
                copy_src.seek(offset)
                _copy_bytes(copy_src, self._out, length)

    def close(self) -> Path:
        """Flush, fsync and rename into place: the final name only ever holds a complete file."""
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        os.replace(self.tmp_path, self.path)
        ledger.written(self.path)
        return self.path

    def abort(self) -> None:
        self._out.close()
        self.tmp_path.unlink(missing_ok=True)


def _copy_bytes(src, dst, length: int, chunk: int = 1 << 20) -> None:
    while length > 0:
        data = src.read(min(chunk, length))
        if not data:
            raise OSError("staging WARC ended early")
        dst.write(data)
        length -= len(data)


def _redacted(rec_headers: StatusAndHeaders, http: StatusAndHeaders, payload: bytes) -> bytes:
    """Rebuild a record without secret HTTP headers. The payload and its digest are unchanged."""
    kept = [(n, v) for n, v in http.headers if n.lower() not in SECRET_HEADERS]
    http_block = StatusAndHeaders(http.statusline, kept, protocol=http.protocol).to_bytes()
    block = http_block + payload
    headers = [
        (n, v) for n, v in rec_headers.headers
        if n.lower() not in ("content-length", "warc-block-digest")
    ]
    headers.append(("WARC-Block-Digest", sha256_digest_header(block)))
    return build_record(headers, block)


def iter_responses(warc_path: Path, name: str | None = None) -> Iterator[CapturedResponse]:
    """Every HTTP response in a WARC with its decoded body, paired with its request's method and body."""
    with open(warc_path, "rb") as raw:
        yield from read_responses(raw, name or Path(warc_path).name)


def read_responses(raw: BinaryIO, name: str) -> Iterator[CapturedResponse]:
    """iter_responses over a WARC already open (a file, or a member of a WACZ): one pass, in record order."""
    pending: CapturedResponse | None = None
    pending_id = ""
    iterator = ArchiveIterator(raw)
    for record in iterator:
        if record.rec_type == "response" and record.http_headers is not None:
            if pending is not None:
                yield pending
            pending_id = record.rec_headers.get_header("WARC-Record-ID")
            body = record.content_stream().read()  # before the offset: asking it first reads the record to its end
            pending = _response(record, name, iterator.get_record_offset(), body)
        elif record.rec_type == "request" and pending is not None and \
                record.rec_headers.get_header("WARC-Concurrent-To") == pending_id:
            pending.method = (record.http_headers.protocol or "GET") if record.http_headers else "GET"
            pending.request_body = record.content_stream().read()
            yield pending
            pending = None
        else:
            record.raw_stream.read()
    if pending is not None:
        yield pending


def response_at(raw: BinaryIO, offset: int, name: str) -> CapturedResponse | None:
    """The response record at a byte offset of a WARC already open (without its request's method and body)."""
    raw.seek(offset)
    record = next(iter(ArchiveIterator(raw)), None)
    if record is None or record.rec_type != "response" or record.http_headers is None:
        return None
    return _response(record, name, offset, record.content_stream().read())


def _response(record, name: str, offset: int, body: bytes) -> CapturedResponse:  # noqa: ANN001 (warcio record)
    return CapturedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(record.http_headers.get_statuscode() or 0),
        content_type=record.http_headers.get_header("Content-Type") or "",
        body=body,
        warc_file=name,
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        offset=offset,
        headers={key.lower(): value for key, value in record.http_headers.headers
                 if key.lower() not in SECRET_HEADERS},
        date=record.rec_headers.get_header("WARC-Date") or "",
    )


def iter_records(warc_path: Path) -> Iterator[tuple[int, dict[str, str], bytes]]:
    """(offset, WARC headers, content) of every record: for tests, verification and resource lookups."""
    with open(warc_path, "rb") as raw:
        iterator = ArchiveIterator(raw)
        for record in iterator:
            content = record.content_stream().read()
            yield iterator.get_record_offset(), dict(record.rec_headers.headers), content


def iter_headers(warc_path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(offset, WARC headers) of every record, without reading the contents."""
    with open(warc_path, "rb") as raw:
        iterator = ArchiveIterator(raw)
        for record in iterator:
            yield iterator.get_record_offset(), dict(record.rec_headers.headers)


def headers_at(raw: BinaryIO, offset: int) -> dict[str, str]:
    """The WARC headers of the record at a byte offset of a WARC already open (its block is not read)."""
    raw.seek(offset)
    return dict(next(iter(ArchiveIterator(raw))).rec_headers.headers)


def read_record_at(warc_path: Path, offset: int) -> tuple[dict[str, str], bytes]:
    """The record at a byte offset: what the manifest's (warc_file, offset) points to."""
    with open(warc_path, "rb") as raw:
        raw.seek(offset)
        record = next(iter(ArchiveIterator(raw)))
        return dict(record.rec_headers.headers), record.content_stream().read()


def whole_members(path: Path, limit: int | None = None) -> int:
    """Length of the longest prefix of a gzip file (up to `limit` bytes) made of complete members.

    The proxy writes one gzip member per record; a killed process leaves the last one cut short.
    zlib checks each member's CRC and length trailer, so a member that ends is a whole record.
    """
    good = position = 0
    member = zlib.decompressobj(wbits=31)
    with open(path, "rb") as f:
        while limit is None or position < limit:
            data = f.read(1 << 20 if limit is None else min(1 << 20, limit - position))
            if not data:
                break
            while data:
                try:
                    member.decompress(data)
                except zlib.error:
                    return good
                if not member.eof:
                    position += len(data)
                    break
                position += len(data) - len(member.unused_data)
                good, data = position, member.unused_data
                member = zlib.decompressobj(wbits=31)
    return good


def salvage(raw: Path, out: Path, limit: int) -> int:
    """Copy the whole records of a killed proxy's WARC, up to byte `limit`, to `out` (atomically).

    Returns the length kept, which is less than `limit` only if the file lost data it had fsynced.
    """
    keep = whole_members(raw, limit)
    tmp = out.with_name(f".{out.name}.part")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(raw, "rb") as src, open(tmp, "wb") as dst:
        _copy_bytes(src, dst, keep)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, out)
    ledger.written(out)
    return keep


def gunzip_ok(path: Path) -> bool:
    """True if the whole file decompresses (a truncated WARC fails)."""
    try:
        with gzip.open(path, "rb") as f:
            while f.read(1 << 20):
                pass
        return True
    except (OSError, EOFError):
        return False

