"""archive/rewrite.py: records replaced in place, every other record copied byte for byte."""

from __future__ import annotations

import gzip
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from smarchive.archive.rewrite import WarcSplice, metadata_member, resource_member, response_member
from smarchive.archive.warc import build_record, new_record_id, sha256_digest_header


def _response(uri: str, body: bytes) -> bytes:
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                            protocol="HTTP/1.1").to_bytes() + gzip.compress(body)
    headers = [("WARC-Type", "response"), ("WARC-Record-ID", new_record_id()), ("WARC-Target-URI", uri),
               ("WARC-Date", "2024-05-01T10:00:00Z"), ("Content-Type", "application/http; msgtype=response"),
               ("WARC-Block-Digest", sha256_digest_header(http))]
    return gzip.compress(build_record(headers, http))


def _resource(uri: str, block: bytes) -> bytes:
    headers = [("WARC-Type", "resource"), ("WARC-Record-ID", new_record_id()), ("WARC-Target-URI", uri),
               ("WARC-Date", "2024-05-01T10:00:00Z"), ("Content-Type", "text/html"),
               ("WARC-Block-Digest", sha256_digest_header(block))]
    return gzip.compress(build_record(headers, block))


def _warc(tmp_path: Path) -> tuple[Path, list[bytes]]:
    members = [_response(f"https://example.org/{n}", f"<p>page {n}</p>".encode()) for n in range(2)]
    members.append(_resource("urn:smarchive:snapshot:https://example.org/2", b"<p>page 2</p>"))
    path = tmp_path / "a.warc.gz"
    path.write_bytes(b"".join(members))
    return path, members


def _records(path: Path) -> list[tuple[dict[str, str], bytes]]:
    with open(path, "rb") as fh:
        return [(dict(r.rec_headers.headers), r.content_stream().read()) for r in ArchiveIterator(fh)]


def test_only_the_replaced_record_changes(tmp_path: Path) -> None:
    path, members = _warc(tmp_path)
    original_id = _records(path)[1][0]["WARC-Record-ID"]
    splice = WarcSplice(path)
    for view in splice.records():
        if view.uri.endswith("/1"):
            assert view.payload() == b"<p>page 1</p>"  # decoded: Content-Encoding undone
            splice.replace(view.index, response_member(view.headers, view.http, b"<p>[gallrad]</p>", [("X-Why", "t")]))
    assert splice.commit()
    data = path.read_bytes()
    assert data.startswith(members[0]) and data.endswith(members[2])  # untouched records, same bytes
    (h0, _), (h1, p1), (h2, _) = _records(path)
    assert p1 == b"<p>[gallrad]</p>" and h1["X-Why"] == "t"
    assert h1["WARC-Record-ID"] == original_id  # the same id: the manifest's and other records' references hold
    assert h1["WARC-Payload-Digest"] == sha256_digest_header(p1)
    assert not list(tmp_path.glob(".*.part"))


def test_nothing_to_replace_leaves_the_file_alone(tmp_path: Path) -> None:
    path, _ = _warc(tmp_path)
    before = path.stat().st_mtime_ns, path.read_bytes()
    splice = WarcSplice(path)
    assert [v.rec_type for v in splice.records()] == ["response", "response", "resource"]
    assert not splice.commit()
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before


def test_resource_and_metadata_replacements_read_back(tmp_path: Path) -> None:
    path, _ = _warc(tmp_path)
    splice = WarcSplice(path)
    for view in splice.records():
        if view.index == 0:
            splice.replace(0, metadata_member(view, [("reason", "culled")], [("X-Cull", "c1")]))
        elif view.index == 2:
            splice.replace(2, resource_member(view.headers, b"new block", []))
    splice.commit()
    (h0, p0), (_, p1), (h2, p2) = _records(path)
    assert h0["WARC-Type"] == "metadata" and h0["WARC-Refers-To-Target-URI"] == "https://example.org/0"
    assert p0 == b"reason: culled\r\n" and h0["X-Cull"] == "c1"
    assert p1 == b"<p>page 1</p>"
    assert p2 == b"new block" and h2["WARC-Block-Digest"] == sha256_digest_header(b"new block")
