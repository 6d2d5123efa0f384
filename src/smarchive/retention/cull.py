"""`smarchive cull`: gallring (culling) of the items the culling decision allows, documented.

Dry run (the default) lists the items of a year that are `cull-eligible`, due (`tag_cull_from` on or
before `--as-of`) and not flagged `needs_review`, and changes nothing. `--apply` culls them:

Order of the steps (each step is idempotent, every rewritten file is written under a temporary name,
fsynced and renamed, so a crash leaves every file either old or new, never half written):

  0. plan      `gallring/<cull-id>/plan.json`: the items (ids, hashes, rules: never text), the WARCs to
               scan with their SHA-256 before, the candidate media. Written before anything changes.
               A plan whose status is not "done" is resumed by the next `cull --apply` (whatever
               `--as-of` says), so an interrupted cull is always completed, never started twice.
  1. warc      every WARC of the accounts concerned is rewritten without the culled content (records
               touched carry `WARC-Smarchive-Cull: <cull-id>`). The texts to find are read from the
               manifest, which still holds the culled rows: that is why this step comes first.
  2. wacz      the WACZ of every account-year whose WARC changed is rebuilt (smarchive.archive.wacz.package).
  3. manifest  the culled rows (every capture) are removed from the item files, and the remaining
               rows of changed WARCs get the new `warc_sha256` and record offsets (looked up by
               record id in the new file, so it does not matter which WARCs the crashed attempt did).
  4. media     media of the culled items that no remaining row references are deleted from storage.
  5. register  rows of culled items are removed from earlier registry worklists (archive/register/).
  6. record    tombstones `manifest/tombstones/cull-<cull-id>.parquet` and the gallringsdokument
               (`gallring/<cull-id>/gallringsdokument.csv` and `.html`); then the plan is marked done.

Between steps 1 and 3 `smarchive verify` reports the rewritten WARCs as different from the manifest:
re-running `smarchive cull --apply` finishes the job and verify passes again.

How content is removed from a WARC (the capture is evidence: remove what the decision allows, keep
everything else byte-identical; what belongs to a culled item is decided in smarchive.retention.redact):
- Responses whose decoded payload is culled media are replaced by a `metadata` record that refers to
  the original record id and says why.
- HTML and JSON payloads are parsed with positions. Each JSON object and HTML element is *owned* by
  the item whose id is one of its plain values / attribute values (innermost wins: a comment node owns
  its body, its reply nodes own theirs). Inside a culled item's own node, strings holding its text or
  equal to its author's name become "[gallrad]"; inside a preserved item's node nothing is touched, so
  a preserved "Tack!" stays while a culled "Tack!" goes. Outside any item's node only texts no
  preserved item contains are replaced (whole strings from 6 characters, substrings from 12).
  Changed responses are stored decoded (Content-Encoding and Transfer-Encoding dropped), with new
  digests, under the same WARC-Record-ID (so the manifest, the requests' WARC-Concurrent-To and the
  snapshots' WARC-Refers-To stay valid), marked by `WARC-Smarchive-Cull`.
- DOM snapshots are redacted the same way. A screenshot cannot be edited: the screenshot of a page
  that showed culled content is re-rendered offline in Chromium from the redacted snapshot (scripts
  off, network off: style sheets and images are served from the WARC itself, culled media is gone),
  and marked as re-rendered.
"""

from __future__ import annotations

import csv
import getpass
import gzip
import hashlib
import html
import io
import json
import os
import re
import secrets
import socket
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from smarchive import __version__
from smarchive.archive import ledger
from smarchive.archive.manifest import item_files, write_atomic, write_items_file
from smarchive.archive.store import Storage, atomic_write, file_sha256
from smarchive.archive.warc import (
    SCREENSHOT_SCHEME,
    SNAPSHOT_SCHEME,
    build_record,
    iter_headers,
    new_record_id,
    sha256_digest_header,
    warc_date,
)
from smarchive.errors import SmarchiveError
from smarchive.retention.gallring import gallring_csv, gallring_html
from smarchive.retention.redact import MARK, Culled, Redactor, redact_html, redact_payload

CULL_HEADER = "WARC-Smarchive-Cull"
NOTE_HEADER = "WARC-Smarchive-Cull-Note"
STEPS = ("warc", "wacz", "manifest", "media", "register", "record")
WARC_NAME = re.compile(r"^(?P<account>.+)-(?P<run>\d{8}T\d{6}Z-[0-9a-f]+)\.warc\.gz$")
RENDER_RESOURCE_LIMIT = 200 * 1024 * 1024

TOMBSTONE_SCHEMA = pa.schema([
    ("cull_id", pa.string()),
    ("item_id", pa.string()),
    ("platform", pa.string()),
    ("account", pa.string()),
    ("year", pa.int32()),
    ("item_type", pa.string()),
    ("post_id", pa.string()),
    ("published_at", pa.timestamp("us", tz="UTC")),
    ("text_sha256", pa.string()),
    ("media_sha256", pa.list_(pa.string())),
    ("category", pa.string()),
    ("rule_ids", pa.list_(pa.string())),
    ("decision", pa.string()),
    ("cull_from", pa.date32()),
    ("culled_at", pa.timestamp("us", tz="UTC")),
], metadata={"smarchive.schema_version": "1.0"})


# ------------------------------------------------------------------------------------------- selection


def _connect(archive: Path):
    from smarchive.archive.query import connect

    if not (archive / "manifest").is_dir():
        raise SmarchiveError(f"no manifest in {archive} (run `smarchive capture` first, or pass --archive)")
    return connect(archive)


@dataclass
class Selection:
    due: list[dict]
    not_yet_due: int
    needs_review: int


def select_items(archive: Path, year: int, as_of: date) -> Selection:
    """The latest capture of every cull-eligible item of `year`, split into due / not due / to review."""
    con = _connect(archive)
    try:
        rows = con.sql(
            "SELECT item_id, platform, account, year, item_type, post_id, published_at, text, author, media_sha256, "
            "tag_category, tag_rule_ids, tag_cull_from, tag_decision, tag_needs_review FROM items "
            f"WHERE year = {int(year)} AND tag_retention = 'cull-eligible' "
            "ORDER BY published_at, platform, item_id").to_arrow_table().to_pylist()
    finally:
        con.close()
    due = [r for r in rows if not r["tag_needs_review"] and r["tag_cull_from"] is not None
           and r["tag_cull_from"] <= as_of]
    review = sum(1 for r in rows if r["tag_needs_review"])
    return Selection(due, len(rows) - len(due) - review, review)


def text_sha256(text: str | None) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------- the plan


def new_cull_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def plan_path(archive: Path, cull_id: str) -> Path:
    return archive / "gallring" / cull_id / "plan.json"


def save_plan(archive: Path, plan: dict) -> None:
    atomic_write(plan_path(archive, plan["cull_id"]),
                 json.dumps(plan, ensure_ascii=False, indent=1, default=str).encode("utf-8"))


def pending_plan(archive: Path) -> dict | None:
    """An unfinished cull (interrupted): it must be completed before another one starts."""
    for path in sorted((archive / "gallring").glob("*/plan.json")):
        plan = json.loads(path.read_text("utf-8"))
        if plan.get("status") != "done":
            return plan
    return None


def account_warcs_all_years(archive: Path, account: str) -> list[Path]:
    found = []
    for path in sorted((archive / "warc").glob("*/*.warc.gz")):
        m = WARC_NAME.match(path.name)
        if m and m.group("account") == account:
            found.append(path)
    return found


def make_plan(archive: Path, year: int, as_of: date, selection: Selection, decision: dict, operator: str,
              pipeline_name: str) -> dict:
    now = datetime.now(UTC)
    cull_id = new_cull_id(now)
    keys = {(r["platform"], r["item_id"]) for r in selection.due}
    con = _connect(archive)
    try:
        captures = con.sql("SELECT platform, item_id, account, warc_file, warc_sha256, media_sha256 "
                           "FROM item_captures").to_arrow_table().to_pylist()
    finally:
        con.close()
    accounts = {(r["platform"], r["account"]) for r in selection.due}
    warcs: dict[str, str] = {}
    for row in captures:
        if (row["platform"], row["account"]) in accounts and row["warc_file"]:
            warcs.setdefault(row["warc_file"], row["warc_sha256"])
    for _, account in accounts:
        for path in account_warcs_all_years(archive, account):
            rel = path.relative_to(archive).as_posix()
            if rel not in warcs:
                warcs[rel] = file_sha256(path)
    media = sorted({m for row in captures if (row["platform"], row["item_id"]) in keys
                    for m in row["media_sha256"] or []})
    items = [{
        "item_id": r["item_id"], "platform": r["platform"], "account": r["account"], "year": r["year"],
        "item_type": r["item_type"], "post_id": r["post_id"], "published_at": r["published_at"].isoformat(),
        "text_sha256": text_sha256(r["text"]), "media_sha256": list(r["media_sha256"] or []),
        "category": r["tag_category"], "rule_ids": list(r["tag_rule_ids"] or []),
        "decision": r["tag_decision"] or decision["id"],
        "cull_from": r["tag_cull_from"].isoformat() if r["tag_cull_from"] else None,
    } for r in selection.due]
    return {
        "cull_id": cull_id, "status": "pending", "year": year, "as_of": as_of.isoformat(),
        "started_at": now.isoformat(), "finished_at": None, "decision": decision, "operator": operator,
        "user": _user(), "host": socket.gethostname(), "pipeline": pipeline_name,
        "software": f"smarchive/{__version__}", "items": items, "warcs": warcs, "media": media,
        "done_steps": [], "result": {},
    }


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 (no user name is not a reason to stop)
        return ""


# ------------------------------------------------------------------------------------------- WARC rewrite


@dataclass
class WarcChange:
    rewritten: int = 0
    media_replaced: int = 0
    screenshots: int = 0


class Renderer:
    """Chromium, started on first use: re-renders a redacted snapshot offline for a new screenshot."""

    def __init__(self) -> None:
        self._pw = None
        self._browser = None

    def render(self, snapshot_html: str, page_url: str, resources: dict[str, tuple[str, bytes]]) -> bytes:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            from smarchive.capture.browser import launch_options

            self._pw = sync_playwright().start()
            self._browser = self._pw.chromium.launch(**launch_options())
        from smarchive.capture.account import VIEWPORT

        context = self._browser.new_context(java_script_enabled=False, viewport=VIEWPORT, service_workers="block")
        try:
            page = context.new_page()

            def route(r) -> None:
                found = resources.get(r.request.url.split("#")[0])
                if found is None:
                    r.abort()
                else:
                    r.fulfill(status=200, headers={"Content-Type": found[0]}, body=found[1])

            page.route("**/*", route)
            base = f'<base href="{html.escape(page_url, quote=True)}">'
            head = re.search(r"<head[^>]*>", snapshot_html, re.I)
            doc = (snapshot_html[:head.end()] + base + snapshot_html[head.end():]) if head else base + snapshot_html
            page.set_content(doc, wait_until="load", timeout=60_000)
            return page.screenshot(full_page=True)
        finally:
            context.close()

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._pw.stop()
            self._browser = self._pw = None


def _strip_digests(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    drop = {"content-length", "warc-block-digest", "warc-payload-digest"}  # marks of earlier culls are kept
    return [(n, v) for n, v in headers if n.lower() not in drop]


def _member(headers: list[tuple[str, str]], block: bytes) -> bytes:
    return gzip.compress(build_record(headers, block), compresslevel=6)


def _resource_member(rec_headers: list[tuple[str, str]], block: bytes, cull_id: str, note: str) -> bytes:
    headers = _strip_digests(rec_headers)
    headers += [(CULL_HEADER, cull_id), (NOTE_HEADER, note), ("WARC-Payload-Digest", sha256_digest_header(block)),
                ("WARC-Block-Digest", sha256_digest_header(block))]
    return _member(headers, block)


def _response_member(rec_headers: list[tuple[str, str]], http: StatusAndHeaders, payload: bytes,
                     cull_id: str, decision: str) -> bytes:
    drop = {"content-encoding", "transfer-encoding", "content-length"}
    kept = [(n, v) for n, v in http.headers if n.lower() not in drop] + [("Content-Length", str(len(payload)))]
    block = StatusAndHeaders(http.statusline, kept, protocol=http.protocol).to_bytes() + payload
    headers = _strip_digests(rec_headers)
    headers += [(CULL_HEADER, cull_id),
                (NOTE_HEADER, f"content of items culled under decision {decision} replaced by {MARK}; "
                              "payload stored decoded"),
                ("WARC-Payload-Digest", sha256_digest_header(payload)),
                ("WARC-Block-Digest", sha256_digest_header(block))]
    return _member(headers, block)


def _media_member(rec_headers: dict[str, str], sha: str, content_type: str, cull_id: str, decision: str,
                  items: list[str]) -> bytes:
    body = "".join(f"{k}: {v}\r\n" for k, v in [
        ("culled-by", f"smarchive cull {cull_id}"),
        ("decision", decision),
        ("reason", f"media of item(s) culled under the culling decision {decision} (gallring)"),
        ("items", " ".join(items)),
        ("original-record-type", rec_headers.get("WARC-Type", "")),
        ("original-content-type", content_type),
        ("payload-sha256", sha),
    ]).encode("utf-8")
    headers = [("WARC-Type", "metadata"), ("WARC-Record-ID", new_record_id()), ("WARC-Date", warc_date()),
               ("WARC-Target-URI", rec_headers.get("WARC-Target-URI", "")),
               ("WARC-Refers-To", rec_headers.get("WARC-Record-ID", "")),
               ("WARC-Refers-To-Target-URI", rec_headers.get("WARC-Target-URI", "")),
               (CULL_HEADER, cull_id), ("Content-Type", "application/warc-fields"),
               ("WARC-Block-Digest", sha256_digest_header(body))]
    return _member(headers, body)


def rewrite_warc(path: Path, redactor: Redactor, media: dict[str, list[str]], culled_posts: set[str], cull_id: str,
                 decision: str, renderer: Renderer) -> WarcChange | None:
    """Rewrite one WARC without culled content; untouched records are copied byte for byte."""
    change = WarcChange()
    offsets: list[int] = []
    replaced: dict[int, bytes] = {}
    snapshots: dict[str, tuple[str, str, bool]] = {}  # record id -> (html, page url, changed)
    screenshots: list[tuple[int, list[tuple[str, str]]]] = []
    resources: dict[str, tuple[str, bytes]] = {}
    resource_bytes = 0
    with open(path, "rb") as raw:
        iterator = ArchiveIterator(raw, no_record_parse=False)
        for index, record in enumerate(iterator):
            try:
                headers = record.rec_headers
                rec_list = list(headers.headers)
                rec_dict = dict(rec_list)
                uri = headers.get_header("WARC-Target-URI") or ""
                if record.rec_type == "response" and record.http_headers is not None:
                    payload = record.content_stream().read()
                    http = record.http_headers
                    ct = http.get_header("Content-Type") or ""
                    sha = hashlib.sha256(payload).hexdigest()
                    if sha in media:
                        replaced[index] = _media_member(rec_dict, sha, ct, cull_id, decision, media[sha])
                        change.media_replaced += 1
                        continue
                    new = redact_payload(payload, ct, redactor)
                    if new is not None:
                        replaced[index] = _response_member(rec_list, http, new, cull_id, decision)
                        change.rewritten += 1
                        payload = new
                    status = http.get_statuscode() or ""
                    if status == "200" and resource_bytes < RENDER_RESOURCE_LIMIT and \
                            any(k in ct.lower() for k in ("css", "image", "font")):
                        resources.setdefault(uri, (ct, payload))
                        resource_bytes += len(payload)
                elif record.rec_type == "resource" and uri.startswith(SNAPSHOT_SCHEME):
                    block = record.content_stream().read()
                    text = block.decode("utf-8", errors="replace")
                    new = redact_html(text, redactor)
                    snap_post = rec_dict.get("WARC-Smarchive-Item", "")
                    changed = new != text
                    if changed:
                        replaced[index] = _resource_member(
                            rec_list, new.encode("utf-8"), cull_id,
                            f"DOM snapshot: content of items culled under decision {decision} replaced by {MARK}")
                        change.rewritten += 1
                    snapshots[rec_dict.get("WARC-Record-ID", "")] = (new, uri.removeprefix(SNAPSHOT_SCHEME),
                                                                     changed or snap_post in culled_posts)
                elif record.rec_type == "resource" and uri.startswith(SCREENSHOT_SCHEME):
                    record.content_stream().read()
                    screenshots.append((index, rec_list))
                else:
                    record.raw_stream.read()
            finally:  # warcio must read a record to its end before it tells where the record began
                offsets.append(iterator.get_record_offset())
    for index, rec_list in screenshots:
        rec = dict(rec_list)
        snap = snapshots.get(rec.get("WARC-Concurrent-To", ""))
        if snap is None or not snap[2] or rec.get(CULL_HEADER) == cull_id:
            continue
        png = renderer.render(snap[0], snap[1], resources)
        replaced[index] = _resource_member(
            rec_list, png, cull_id,
            "screenshot re-rendered offline (scripts and network off) from the redacted DOM snapshot: "
            "not as captured")
        change.screenshots += 1
    if not replaced:
        return None
    offsets.append(path.stat().st_size)
    tmp = path.with_name(f".{path.name}.part")
    try:
        with open(path, "rb") as src, open(tmp, "wb") as out:
            for index in range(len(offsets) - 1):
                if index in replaced:
                    out.write(replaced[index])
                else:
                    src.seek(offsets[index])
                    out.write(src.read(offsets[index + 1] - offsets[index]))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    ledger.written(path)  # the rewrite's new hash; the captured one stays in the ledger's history
    return change


def warc_marked(path: Path, cull_id: str) -> bool:
    return any(h.get(CULL_HEADER) == cull_id for _, h in iter_headers(path))


# ------------------------------------------------------------------------------------------- apply


@dataclass
class CullResult:
    plan: dict
    resumed: bool
    files: dict[str, list[str]] = field(default_factory=dict)


def _redactor(archive: Path, plan: dict) -> tuple[Redactor, set[str]]:
    keys = {(i["platform"], i["item_id"]) for i in plan["items"]}
    platforms = {i["platform"] for i in plan["items"]}
    con = _connect(archive)
    try:
        rows = con.sql("SELECT platform, item_id, text, author, author_is_account, post_id "
                       "FROM item_captures").to_arrow_table().to_pylist()
    finally:
        con.close()
    culled: dict[str, Culled] = {}
    known: set[str] = set()
    preserved: list[str] = []
    for row in rows:
        if row["platform"] not in platforms:
            continue
        known.add(row["item_id"])
        if (row["platform"], row["item_id"]) in keys:
            old = culled.get(row["item_id"], Culled((), ()))
            authors = old.authors + ((row["author"],) if row["author"] and not row["author_is_account"] else ())
            culled[row["item_id"]] = Culled(tuple(dict.fromkeys(old.texts + (row["text"] or "",))),
                                            tuple(dict.fromkeys(authors)))
        else:
            preserved += [row["text"] or "", row["author"] or ""]
    posts = {i["post_id"] for i in plan["items"] if i["post_id"]} | {i["item_id"] for i in plan["items"]
                                                                    if i["item_type"] == "post"}
    return Redactor(culled, known, preserved), posts


def step_warc(archive: Path, plan: dict, say: Callable[[str], None]) -> None:
    redactor, posts = _redactor(archive, plan)
    media: dict[str, list[str]] = {}
    for item in plan["items"]:
        for sha in item["media_sha256"]:
            media.setdefault(sha, []).append(item["item_id"])
    remaining = _remaining_media(archive, plan)
    media = {sha: ids for sha, ids in media.items() if sha not in remaining}
    renderer = Renderer()
    try:
        for rel in sorted(plan["warcs"]):
            path = archive / rel
            if not path.is_file():
                continue
            path.with_name(f".{path.name}.part").unlink(missing_ok=True)
            change = rewrite_warc(path, redactor, media, posts, plan["cull_id"], plan["decision"]["id"], renderer)
            if change:
                say(f"{rel}: {change.rewritten} record(s) redacted, {change.media_replaced} media response(s) "
                    f"replaced, {change.screenshots} screenshot(s) re-rendered")
    finally:
        renderer.close()
    result = plan["result"]
    result["replacements"] = result.get("replacements", 0) + redactor.replaced
    result["ambiguous_left"] = result.get("ambiguous_left", 0) + redactor.left_ambiguous


def _remaining_media(archive: Path, plan: dict) -> set[str]:
    """Media still referenced by a row that is not culled."""
    keys = {(i["platform"], i["item_id"]) for i in plan["items"]}
    table = pa.concat_tables([pq.read_table(f, columns=["platform", "item_id", "media_sha256"])
                              for f in item_files(archive)]) if item_files(archive) else None
    if table is None:
        return set()
    return {m for row in table.to_pylist() if (row["platform"], row["item_id"]) not in keys
            for m in row["media_sha256"] or []}


def changed_warcs(archive: Path, plan: dict) -> list[str]:
    return [rel for rel in sorted(plan["warcs"]) if (archive / rel).is_file()
            and warc_marked(archive / rel, plan["cull_id"])]


def _wacz_source(wacz_file: Path) -> tuple[str, str] | None:
    """(account URL, title) of an existing WACZ, read from its pages and datapackage."""
    try:
        with zipfile.ZipFile(wacz_file) as z:
            title = json.loads(z.read("datapackage.json")).get("title", "")
            for line in z.read("pages/pages.jsonl").decode("utf-8").splitlines():
                page = json.loads(line) if line.strip() else {}
                if page.get("url") and page.get("title") == "Kontots sida":
                    return page["url"], title
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    return None


def step_wacz(archive: Path, plan: dict, say: Callable[[str], None]) -> list[str]:
    from smarchive.archive import wacz

    done = []
    for key in sorted({(Path(rel).parent.name, WARC_NAME.match(Path(rel).name).group("account"))
                       for rel in changed_warcs(archive, plan) if WARC_NAME.match(Path(rel).name)}):
        year, account = int(key[0]), key[1]
        target = wacz.wacz_path(archive, year, account)
        source = _wacz_source(target) if target.is_file() else None
        if source is None:
            continue
        wacz.package(archive, year, account, source[0], source[1])
        done.append(target.relative_to(archive).as_posix())
        say(f"{done[-1]}: rebuilt")
    return done


def step_manifest(archive: Path, plan: dict, say: Callable[[str], None]) -> list[str]:
    keys = {(i["platform"], i["item_id"]) for i in plan["items"]}
    new_state: dict[str, tuple[str, dict[str, int]]] = {}
    for rel in changed_warcs(archive, plan):
        path = archive / rel
        index = {h.get("WARC-Record-ID", ""): off for off, h in iter_headers(path)}
        new_state[rel] = (file_sha256(path), index)
    changed = []
    for path in item_files(archive):
        table = pq.read_table(path)
        rows = table.to_pylist()
        keep = [r for r in rows if (r["platform"], r["item_id"]) not in keys]
        dirty = len(keep) != len(rows)
        for row in keep:
            state = new_state.get(row["warc_file"])
            if state is None:
                continue
            sha, index = state
            update = {"warc_sha256": sha}
            for off, rid in (("warc_offset", "warc_record_id"), ("snapshot_offset", "snapshot_record_id"),
                             ("screenshot_offset", "screenshot_record_id")):
                if row.get(rid):
                    update[off] = index.get(row[rid])
            if any(row.get(k) != v for k, v in update.items()):
                row.update(update)
                dirty = True
        if not dirty:
            continue
        meta = dict(table.schema.metadata or {})
        culls = [c for c in meta.get(b"smarchive.culls", b"").decode().split() if c]
        meta[b"smarchive.culls"] = " ".join(dict.fromkeys(culls + [plan["cull_id"]])).encode()
        schema = table.schema.with_metadata(meta)
        # The word index and summary are rebuilt with it: they must forget the culled texts too.
        write_items_file(pa.Table.from_pylist(keep, schema=schema), path)
        changed.append(path.relative_to(archive).as_posix())
        say(f"{changed[-1]}: {len(rows) - len(keep)} row(s) removed, {len(keep)} kept")
    return changed


def step_media(archive: Path, plan: dict, storage: Storage, say: Callable[[str], None]) -> list[str]:
    remaining = _remaining_media(archive, plan)
    deleted = []
    for sha in plan["media"]:
        if sha in remaining:
            continue
        deleted.append(storage.location(sha))  # also when a crashed attempt already deleted it
        if storage.exists(sha):
            storage.delete(sha)
            say(f"media deleted: {deleted[-1]}")
    return deleted


def step_register(archive: Path, plan: dict, say: Callable[[str], None]) -> list[str]:
    """Earlier registry worklists must not keep a culled item's text either."""
    ids = {i["item_id"] for i in plan["items"]}
    changed = []
    for path in sorted((archive / "register").glob("*.csv")):
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
        delimiter = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        if not rows or "item_id" not in rows[0]:
            continue
        col = rows[0].index("item_id")
        keep = [rows[0]] + [r for r in rows[1:] if len(r) <= col or r[col] not in ids]
        if len(keep) == len(rows):
            continue
        out = io.StringIO(newline="")
        csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(keep)
        atomic_write(path, ("\ufeff" if raw.startswith(b"\xef\xbb\xbf") else "").encode() + out.getvalue().encode())
        changed.append(path.relative_to(archive).as_posix())
        say(f"{changed[-1]}: {len(rows) - len(keep)} culled row(s) removed")
    return changed


def tombstone_path(archive: Path, cull_id: str) -> Path:
    return archive / "manifest" / "tombstones" / f"cull-{cull_id}.parquet"


def step_record(archive: Path, plan: dict) -> list[str]:
    culled_at = datetime.fromisoformat(plan["result"]["culled_at"])
    rows = [{**{k: i[k] for k in ("item_id", "platform", "account", "year", "item_type", "post_id", "text_sha256",
                                  "media_sha256", "category", "rule_ids", "decision")},
             "cull_id": plan["cull_id"], "published_at": datetime.fromisoformat(i["published_at"]),
             "cull_from": date.fromisoformat(i["cull_from"]) if i["cull_from"] else None, "culled_at": culled_at}
            for i in plan["items"]]
    tomb = write_atomic(pa.Table.from_pylist(rows, schema=TOMBSTONE_SCHEMA), tombstone_path(archive, plan["cull_id"]))
    folder = archive / "gallring" / plan["cull_id"]
    files = plan["result"]["files"]
    files["tombstones"] = [tomb.relative_to(archive).as_posix()]
    atomic_write(folder / "gallringsdokument.csv", gallring_csv(plan).encode("utf-8"))
    atomic_write(folder / "gallringsdokument.html", gallring_html(plan).encode("utf-8"))
    return [p.relative_to(archive).as_posix() for p in (folder / "gallringsdokument.csv",
                                                         folder / "gallringsdokument.html")]


def apply(archive: Path, plan: dict, storage: Storage, say: Callable[[str], None]) -> dict:
    """Run the steps of a plan not done yet (see the module docstring); returns the finished plan."""
    done = plan["done_steps"]
    result = plan["result"]
    files = result.setdefault("files", {})
    for step in STEPS:
        if step in done:
            continue
        say(f"cull {plan['cull_id']}: step {step}")
        if step == "warc":
            step_warc(archive, plan, say)
            files["warc"] = changed_warcs(archive, plan)
            files["warc_sha256"] = {rel: [plan["warcs"][rel], file_sha256(archive / rel)] for rel in files["warc"]}
            for rel in files["warc"]:  # also those rewritten before an interruption, not recorded then
                ledger.written(archive / rel, files["warc_sha256"][rel][1], (archive / rel).stat().st_size)
        elif step == "wacz":
            files["wacz"] = step_wacz(archive, plan, say)
        elif step == "manifest":
            files["manifest"] = step_manifest(archive, plan, say)
        elif step == "media":
            result["media_deleted"] = step_media(archive, plan, storage, say)
        elif step == "register":
            files["register"] = step_register(archive, plan, say)
        elif step == "record":
            result.setdefault("culled_at", datetime.now(UTC).isoformat())
            files["gallringsdokument"] = step_record(archive, plan)
        done.append(step)
        save_plan(archive, plan)
    plan["status"] = "done"
    plan["finished_at"] = datetime.now(UTC).isoformat()
    save_plan(archive, plan)
    return plan


# ------------------------------------------------------------------------------------------- command
