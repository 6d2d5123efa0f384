"""Rewriting records of a kept WARC in place, everything else byte for byte.

A kept WARC is evidence: when content must go (culling), the records concerned are replaced and every
other record is copied unchanged, at the same position in the file. `WarcSplice` walks the records
once, lets the caller say which to replace (by index), and writes the new file under a temporary name,
fsynced and renamed: a crash leaves either the old file or the new one. The builders below make the
replacement records with fresh digests; what to write in them (why, under which decision) is the
caller's business, passed in as extra headers.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

from smarchive.archive.warc import build_record, new_record_id, sha256_digest_header, warc_date

Headers = list[tuple[str, str]]


@dataclass
class RecordView:
    """One record as a rewriter sees it: its WARC headers in order, and its payload on demand."""

    index: int
    rec_type: str
    uri: str
    headers: Headers
    http: StatusAndHeaders | None
    _record: ArcWarcRecord = field(repr=False)
    _payload: bytes | None = field(default=None, repr=False)

    def header(self, name: str, default: str = "") -> str:
        return dict(self.headers).get(name, default)

    def payload(self) -> bytes:
        """The decoded payload (HTTP body without transfer/content encoding; a resource's block)."""
        if self._payload is None:
            self._payload = self._record.content_stream().read()
        return self._payload


class WarcSplice:
    """Read a WARC's records once, collect replacements, then write the file anew (atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.replaced: dict[int, bytes] = {}
        self._offsets: list[int] = []

    def records(self) -> Iterator[RecordView]:
        with open(self.path, "rb") as raw:
            iterator = ArchiveIterator(raw, no_record_parse=False)
            for index, record in enumerate(iterator):
                view = RecordView(index, record.rec_type, record.rec_headers.get_header("WARC-Target-URI") or "",
                                  list(record.rec_headers.headers), record.http_headers, record)
                try:
                    yield view
                finally:  # warcio must read a record to its end before it tells where the record began
                    if view._payload is None:
                        record.raw_stream.read()
                    self._offsets.append(iterator.get_record_offset())

    def replace(self, index: int, member: bytes) -> None:
        self.replaced[index] = member

    def commit(self) -> bool:
        """Write the WARC with the replacements (after `records()` was read to the end); False if none."""
        if not self.replaced:
            return False
        offsets = self._offsets + [self.path.stat().st_size]
        tmp = self.path.with_name(f".{self.path.name}.part")
        try:
            with open(self.path, "rb") as src, open(tmp, "wb") as out:
                for index in range(len(offsets) - 1):
                    if index in self.replaced:
                        out.write(self.replaced[index])
                    else:
                        src.seek(offsets[index])
                        out.write(src.read(offsets[index + 1] - offsets[index]))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return True


# --- replacement records


def member(headers: Headers, block: bytes) -> bytes:
    """One gzip member holding one record (a kept WARC is a sequence of such members)."""
    return gzip.compress(build_record(headers, block), compresslevel=6)


def _without_digests(headers: Headers) -> Headers:
    drop = {"content-length", "warc-block-digest", "warc-payload-digest"}  # other marks (earlier culls) are kept
    return [(n, v) for n, v in headers if n.lower() not in drop]


def resource_member(headers: Headers, block: bytes, extra: Headers) -> bytes:
    """The same resource record (same WARC-Record-ID) with a new block and `extra` headers."""
    new = _without_digests(headers) + extra
    new += [("WARC-Payload-Digest", sha256_digest_header(block)), ("WARC-Block-Digest", sha256_digest_header(block))]
    return member(new, block)


def response_member(headers: Headers, http: StatusAndHeaders, payload: bytes, extra: Headers) -> bytes:
    """The same response record with a new payload, stored decoded (Content- and Transfer-Encoding dropped)."""
    drop = {"content-encoding", "transfer-encoding", "content-length"}
    kept = [(n, v) for n, v in http.headers if n.lower() not in drop] + [("Content-Length", str(len(payload)))]
    block = StatusAndHeaders(http.statusline, kept, protocol=http.protocol).to_bytes() + payload
    new = _without_digests(headers) + extra
    new += [("WARC-Payload-Digest", sha256_digest_header(payload)), ("WARC-Block-Digest", sha256_digest_header(block))]
    return member(new, block)


def metadata_member(original: RecordView, fields: Headers, extra: Headers) -> bytes:
    """A new `metadata` record standing in for `original` (WARC-Refers-To it), its body `fields`."""
    body = "".join(f"{k}: {v}\r\n" for k, v in fields).encode("utf-8")
    headers = [("WARC-Type", "metadata"), ("WARC-Record-ID", new_record_id()), ("WARC-Date", warc_date()),
               ("WARC-Target-URI", original.uri),
               ("WARC-Refers-To", original.header("WARC-Record-ID")),
               ("WARC-Refers-To-Target-URI", original.uri)]
    headers += extra + [("Content-Type", "application/warc-fields"), ("WARC-Block-Digest", sha256_digest_header(body))]
    return member(headers, body)
