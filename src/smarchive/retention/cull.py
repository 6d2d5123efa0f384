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
import hashlib
import io
import json
import re
import secrets
import socket
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from smarchive import __version__
from smarchive.archive import ledger, wacz
from smarchive.archive.decisions import EFFECTIVE
from smarchive.archive.manifest import item_files, write_atomic, write_items_file
from smarchive.archive.rewrite import (
    Headers,
    RecordView,
    WarcSplice,
    metadata_member,
    resource_member,
    response_member,
)
from smarchive.archive.store import Storage, atomic_write, file_sha256
from smarchive.archive.warc import SCREENSHOT_SCHEME, SNAPSHOT_SCHEME, iter_headers
from smarchive.errors import SmarchiveError
from smarchive.retention.gallring import gallring_csv, gallring_html
from smarchive.retention.redact import MARK, Culled, Redactor, redact_html, redact_payload

CULL_HEADER = "WARC-Smarchive-Cull"
NOTE_HEADER = "WARC-Smarchive-Cull-Note"
WARC_NAME = re.compile(r"^(?P<account>.+)-(?P<run>\d{8}T\d{6}Z-[0-9a-f]+)\.warc\.gz$")
RENDER_RESOURCE_LIMIT = 200 * 1024 * 1024

# Draws a redacted DOM snapshot again as a PNG: (snapshot html, page url, resources by url) -> PNG.
# Passed in (smarchive.capture.render.SnapshotRenderer.render): culling does not start browsers itself.
Render = Callable[[str, str, dict[str, tuple[str, bytes]]], bytes]

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


def _rows(archive: Path, sql: str) -> list[dict]:
    """The rows of a query over the archive's manifest views (see smarchive.archive.query)."""
    from smarchive.archive.query import query_rows

    if not (archive / "manifest").is_dir():
        raise SmarchiveError(f"no manifest in {archive} (run `smarchive capture` first, or pass --archive)")
    return query_rows(archive, sql)


@dataclass
class Selection:
    due: list[dict]
    not_yet_due: int
    needs_review: int


def select_items(archive: Path, year: int, as_of: date) -> Selection:
    """The latest capture of every cull-eligible item of `year`, split into due / not due / to review."""
    # The tag as it stands: an archivist's decision (archive/decisions.py) overrides the rules' tag, so a
    # "preserve" keeps an item the rules would cull, and a reviewed item no longer waits for review.
    rows = _rows(archive, "SELECT item_id, platform, account, year, item_type, post_id, published_at, text, author, "
                          f"media_sha256, {EFFECTIVE['category']} AS tag_category, tag_rule_ids, "
                          f"{EFFECTIVE['cull_from']} AS tag_cull_from, tag_decision, "
                          f"{EFFECTIVE['needs_review']} AS tag_needs_review "
                          f"FROM items WHERE year = {int(year)} AND {EFFECTIVE['retention']} = 'cull-eligible' "
                          "ORDER BY published_at, platform, item_id")
    due = [r for r in rows if not r["tag_needs_review"] and r["tag_cull_from"] is not None
           and r["tag_cull_from"] <= as_of]
    review = sum(1 for r in rows if r["tag_needs_review"])
    return Selection(due, len(rows) - len(due) - review, review)


def text_sha256(text: str | None) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------- the plan


@dataclass
class PlannedItem:
    """One item to cull, as the plan records it: ids, hashes and rules, never its text."""

    item_id: str
    platform: str
    account: str
    year: int
    item_type: str
    post_id: str | None
    published_at: str  # ISO 8601, UTC
    text_sha256: str
    media_sha256: list[str]
    category: str | None
    rule_ids: list[str]
    decision: str
    cull_from: str | None  # ISO date


@dataclass
class Plan:
    """A cull, from before anything changes to done: saved as `gallring/<cull-id>/plan.json` after every step.

    `result` is the record of what the steps did (the files they changed, the media they deleted,
    counts), read back by the gallringsdokument; its keys appear as the steps run."""

    cull_id: str
    year: int
    as_of: str  # ISO date
    started_at: str
    decision: dict[str, str]  # id, title, text of the culling decision
    operator: str
    user: str
    host: str
    pipeline: str
    software: str
    items: list[PlannedItem]
    warcs: dict[str, str]  # WARC (relative to the archive) -> its SHA-256 before the cull
    media: list[str]  # SHA-256 of the culled items' media (deleted unless a kept row still uses it)
    status: str = "pending"  # pending | done
    finished_at: str | None = None
    done_steps: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(**{**data, "items": [PlannedItem(**i) for i in data["items"]]})

    @property
    def files(self) -> dict[str, Any]:
        """What each step changed, by step (`result.files`)."""
        return self.result.setdefault("files", {})


def new_cull_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def plan_path(archive: Path, cull_id: str) -> Path:
    return archive / "gallring" / cull_id / "plan.json"


def save_plan(archive: Path, plan: Plan) -> None:
    atomic_write(plan_path(archive, plan.cull_id),
                 json.dumps(plan.to_dict(), ensure_ascii=False, indent=1, default=str).encode("utf-8"))


def pending_plan(archive: Path) -> Plan | None:
    """An unfinished cull (interrupted): it must be completed before another one starts."""
    for path in sorted((archive / "gallring").glob("*/plan.json")):
        plan = json.loads(path.read_text("utf-8"))
        if plan.get("status") != "done":
            return Plan.from_dict(plan)
    return None


def account_warcs_all_years(archive: Path, account: str) -> list[Path]:
    found = []
    for path in sorted((archive / "warc").glob("*/*.warc.gz")):
        m = WARC_NAME.match(path.name)
        if m and m.group("account") == account:
            found.append(path)
    return found


def make_plan(archive: Path, year: int, as_of: date, selection: Selection, decision: dict, operator: str,
              pipeline_name: str) -> Plan:
    now = datetime.now(UTC)
    keys = {(r["platform"], r["item_id"]) for r in selection.due}
    captures = _rows(archive, "SELECT platform, item_id, account, warc_file, warc_sha256, media_sha256 "
                              "FROM item_captures")
    accounts = {(r["platform"], r["account"]) for r in selection.due}
    warcs: dict[str, str] = {}
    for row in captures:
        if (row["platform"], row["account"]) in accounts and row["warc_file"]:
            warcs.setdefault(row["warc_file"], row["warc_sha256"])
    for _, account in accounts:  # every year's WARC of the account: a later capture may show an old post
        for path in account_warcs_all_years(archive, account):
            rel = path.relative_to(archive).as_posix()
            if rel not in warcs:
                warcs[rel] = file_sha256(path)
    media = sorted({m for row in captures if (row["platform"], row["item_id"]) in keys
                    for m in row["media_sha256"] or []})
    return Plan(cull_id=new_cull_id(now), year=year, as_of=as_of.isoformat(), started_at=now.isoformat(),
                decision=decision, operator=operator, user=_user(), host=socket.gethostname(),
                pipeline=pipeline_name, software=f"smarchive/{__version__}",
                items=[_planned(r, decision) for r in selection.due], warcs=warcs, media=media)


def _planned(row: dict, decision: dict) -> PlannedItem:
    return PlannedItem(
        item_id=row["item_id"], platform=row["platform"], account=row["account"], year=row["year"],
        item_type=row["item_type"], post_id=row["post_id"], published_at=row["published_at"].isoformat(),
        text_sha256=text_sha256(row["text"]), media_sha256=list(row["media_sha256"] or []),
        category=row["tag_category"], rule_ids=list(row["tag_rule_ids"] or []),
        decision=row["tag_decision"] or decision["id"],
        cull_from=row["tag_cull_from"].isoformat() if row["tag_cull_from"] else None)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 (no user name is not a reason to stop)
        return ""


# ------------------------------------------------------------------------------------------- the steps


@dataclass
class Cull:
    """What every step works with besides the plan: the archive, the media storage, progress lines and the
    snapshot re-renderer (passed in: culling does not start browsers itself)."""

    archive: Path
    storage: Storage
    say: Callable[[str], None]
    render: Render


# The one contract of a step: read the plan, change the archive, note what was done in plan.result. Each is
# idempotent (a crashed attempt is simply run again) and writes every file atomically.
Step = Callable[[Plan, Cull], None]


@dataclass
class WarcChange:
    rewritten: int = 0
    media_replaced: int = 0
    screenshots: int = 0


class _WarcCull:
    """One pass over one WARC: decides, record by record, what to replace (see the module docstring)."""

    def __init__(self, splice: WarcSplice, redactor: Redactor, media: dict[str, list[str]], culled_posts: set[str],
                 cull_id: str, decision: str) -> None:
        self.splice, self.redactor, self.media, self.culled_posts = splice, redactor, media, culled_posts
        self.cull_id, self.decision = cull_id, decision
        self.change = WarcChange()
        self.snapshots: dict[str, tuple[str, str, bool]] = {}  # record id -> (html, page url, needs re-render)
        self.screenshots: list[RecordView] = []
        self.resources: dict[str, tuple[str, bytes]] = {}  # style sheets, images, fonts for the re-renderer
        self._resource_bytes = 0

    def mark(self, note: str) -> Headers:
        return [(CULL_HEADER, self.cull_id), (NOTE_HEADER, note)]

    def record(self, view: RecordView) -> None:
        if view.rec_type == "response" and view.http is not None:
            self.response(view)
        elif view.rec_type == "resource" and view.uri.startswith(SNAPSHOT_SCHEME):
            self.snapshot(view)
        elif view.rec_type == "resource" and view.uri.startswith(SCREENSHOT_SCHEME):
            self.screenshots.append(view)

    def response(self, view: RecordView) -> None:
        payload = view.payload()
        ct = view.http.get_header("Content-Type") or ""
        sha = hashlib.sha256(payload).hexdigest()
        if sha in self.media:
            self.splice.replace(view.index, metadata_member(view, self.media_fields(view, sha, ct),
                                                            [(CULL_HEADER, self.cull_id)]))
            self.change.media_replaced += 1
            return
        new = redact_payload(payload, ct, self.redactor)
        if new is not None:
            note = f"content of items culled under decision {self.decision} replaced by {MARK}; payload stored decoded"
            self.splice.replace(view.index, response_member(view.headers, view.http, new, self.mark(note)))
            self.change.rewritten += 1
            payload = new
        self.keep_resource(view, ct, payload)

    def media_fields(self, view: RecordView, sha: str, content_type: str) -> Headers:
        return [("culled-by", f"smarchive cull {self.cull_id}"), ("decision", self.decision),
                ("reason", f"media of item(s) culled under the culling decision {self.decision} (gallring)"),
                ("items", " ".join(self.media[sha])), ("original-record-type", view.header("WARC-Type")),
                ("original-content-type", content_type), ("payload-sha256", sha)]

    def keep_resource(self, view: RecordView, content_type: str, payload: bytes) -> None:
        """Keep what a re-rendered screenshot may need (up to RENDER_RESOURCE_LIMIT bytes in all)."""
        if (view.http.get_statuscode() or "") != "200" or self._resource_bytes >= RENDER_RESOURCE_LIMIT:
            return
        if any(k in content_type.lower() for k in ("css", "image", "font")):
            self.resources.setdefault(view.uri, (content_type, payload))
            self._resource_bytes += len(payload)

    def snapshot(self, view: RecordView) -> None:
        text = view.payload().decode("utf-8", errors="replace")
        new = redact_html(text, self.redactor)
        changed = new != text
        if changed:
            note = f"DOM snapshot: content of items culled under decision {self.decision} replaced by {MARK}"
            self.splice.replace(view.index, resource_member(view.headers, new.encode("utf-8"), self.mark(note)))
            self.change.rewritten += 1
        shows_culled_post = view.header("WARC-Smarchive-Item") in self.culled_posts
        self.snapshots[view.header("WARC-Record-ID")] = (new, view.uri.removeprefix(SNAPSHOT_SCHEME),
                                                         changed or shows_culled_post)

    def rerender(self, render: Render) -> None:
        """Screenshots of pages that showed culled content, drawn again from the redacted snapshot."""
        for view in self.screenshots:
            snap = self.snapshots.get(view.header("WARC-Concurrent-To"))
            if snap is None or not snap[2] or view.header(CULL_HEADER) == self.cull_id:
                continue
            png = render(snap[0], snap[1], self.resources)
            note = ("screenshot re-rendered offline (scripts and network off) from the redacted DOM snapshot: "
                    "not as captured")
            self.splice.replace(view.index, resource_member(view.headers, png, self.mark(note)))
            self.change.screenshots += 1


def rewrite_warc(path: Path, redactor: Redactor, media: dict[str, list[str]], culled_posts: set[str], cull_id: str,
                 decision: str, render: Render) -> WarcChange | None:
    """Rewrite one WARC without culled content; untouched records are copied byte for byte."""
    splice = WarcSplice(path)
    work = _WarcCull(splice, redactor, media, culled_posts, cull_id, decision)
    for view in splice.records():
        work.record(view)
    work.rerender(render)
    if not splice.commit():
        return None
    ledger.written(path)  # the rewrite's new hash; the captured one stays in the ledger's history
    return work.change


def warc_marked(path: Path, cull_id: str) -> bool:
    return any(h.get(CULL_HEADER) == cull_id for _, h in iter_headers(path))


def _redactor(archive: Path, plan: Plan) -> tuple[Redactor, set[str]]:
    keys = {(i.platform, i.item_id) for i in plan.items}
    platforms = {i.platform for i in plan.items}
    rows = _rows(archive, "SELECT platform, item_id, text, author, author_is_account, post_id FROM item_captures")
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
    posts = {i.post_id for i in plan.items if i.post_id} | {i.item_id for i in plan.items if i.item_type == "post"}
    return Redactor(culled, known, preserved), posts


def step_warc(plan: Plan, cull: Cull) -> None:
    """1. Every WARC of the accounts concerned, rewritten without the culled content."""
    redactor, posts = _redactor(cull.archive, plan)
    media: dict[str, list[str]] = {}
    for item in plan.items:
        for sha in item.media_sha256:
            media.setdefault(sha, []).append(item.item_id)
    remaining = _remaining_media(cull.archive, plan)
    media = {sha: ids for sha, ids in media.items() if sha not in remaining}
    for rel in sorted(plan.warcs):
        path = cull.archive / rel
        if not path.is_file():
            continue
        path.with_name(f".{path.name}.part").unlink(missing_ok=True)
        change = rewrite_warc(path, redactor, media, posts, plan.cull_id, plan.decision["id"], cull.render)
        if change:
            cull.say(f"{rel}: {change.rewritten} record(s) redacted, {change.media_replaced} media response(s) "
                     f"replaced, {change.screenshots} screenshot(s) re-rendered")
    result = plan.result
    result["replacements"] = result.get("replacements", 0) + redactor.replaced
    result["ambiguous_left"] = result.get("ambiguous_left", 0) + redactor.left_ambiguous
    plan.files["warc"] = changed_warcs(cull.archive, plan)
    plan.files["warc_sha256"] = {rel: [plan.warcs[rel], file_sha256(cull.archive / rel)]
                                 for rel in plan.files["warc"]}
    for rel in plan.files["warc"]:  # also those rewritten before an interruption, not recorded then
        ledger.written(cull.archive / rel, plan.files["warc_sha256"][rel][1], (cull.archive / rel).stat().st_size)


def _remaining_media(archive: Path, plan: Plan) -> set[str]:
    """Media still referenced by a row that is not culled."""
    keys = {(i.platform, i.item_id) for i in plan.items}
    table = pa.concat_tables([pq.read_table(f, columns=["platform", "item_id", "media_sha256"])
                              for f in item_files(archive)]) if item_files(archive) else None
    if table is None:
        return set()
    return {m for row in table.to_pylist() if (row["platform"], row["item_id"]) not in keys
            for m in row["media_sha256"] or []}


def changed_warcs(archive: Path, plan: Plan) -> list[str]:
    return [rel for rel in sorted(plan.warcs) if (archive / rel).is_file()
            and warc_marked(archive / rel, plan.cull_id)]


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


def step_wacz(plan: Plan, cull: Cull) -> None:
    """2. The WACZ of every account-year whose WARC changed, rebuilt."""
    done = []
    for key in sorted({(Path(rel).parent.name, WARC_NAME.match(Path(rel).name).group("account"))
                       for rel in changed_warcs(cull.archive, plan) if WARC_NAME.match(Path(rel).name)}):
        year, account = int(key[0]), key[1]
        target = wacz.wacz_path(cull.archive, year, account)
        source = _wacz_source(target) if target.is_file() else None
        if source is None:
            continue
        wacz.package(cull.archive, year, account, source[0], source[1])
        done.append(target.relative_to(cull.archive).as_posix())
        cull.say(f"{done[-1]}: rebuilt")
    plan.files["wacz"] = done


def _new_warc_state(archive: Path, plan: Plan) -> dict[str, tuple[str, dict[str, int]]]:
    """Changed WARC -> (its new SHA-256, record id -> offset)."""
    state = {}
    for rel in changed_warcs(archive, plan):
        path = archive / rel
        state[rel] = (file_sha256(path), {h.get("WARC-Record-ID", ""): off for off, h in iter_headers(path)})
    return state


def _moved(row: dict, state: tuple[str, dict[str, int]]) -> dict:
    """The columns of a kept row that change with its rewritten WARC."""
    sha, index = state
    update: dict = {"warc_sha256": sha}
    for off, rid in (("warc_offset", "warc_record_id"), ("snapshot_offset", "snapshot_record_id"),
                     ("screenshot_offset", "screenshot_record_id")):
        if row.get(rid):
            update[off] = index.get(row[rid])
    return update


def step_manifest(plan: Plan, cull: Cull) -> None:
    """3. Culled rows removed from the item files; kept rows of changed WARCs get the new hashes and offsets."""
    keys = {(i.platform, i.item_id) for i in plan.items}
    new_state = _new_warc_state(cull.archive, plan)
    changed = []
    for path in item_files(cull.archive):
        table = pq.read_table(path)
        rows = table.to_pylist()
        keep = [r for r in rows if (r["platform"], r["item_id"]) not in keys]
        dirty = len(keep) != len(rows)
        for row in keep:
            update = _moved(row, new_state[row["warc_file"]]) if row["warc_file"] in new_state else {}
            if any(row.get(k) != v for k, v in update.items()):
                row.update(update)
                dirty = True
        if not dirty:
            continue
        meta = dict(table.schema.metadata or {})
        culls = [c for c in meta.get(b"smarchive.culls", b"").decode().split() if c]
        meta[b"smarchive.culls"] = " ".join(dict.fromkeys(culls + [plan.cull_id])).encode()
        schema = table.schema.with_metadata(meta)
        # The word index and summary are rebuilt with it: they must forget the culled texts too.
        write_items_file(pa.Table.from_pylist(keep, schema=schema), path)
        changed.append(path.relative_to(cull.archive).as_posix())
        cull.say(f"{changed[-1]}: {len(rows) - len(keep)} row(s) removed, {len(keep)} kept")
    plan.files["manifest"] = changed


def step_media(plan: Plan, cull: Cull) -> None:
    """4. Media of the culled items that no kept row references, deleted from storage."""
    remaining = _remaining_media(cull.archive, plan)
    deleted = []
    for sha in plan.media:
        if sha in remaining:
            continue
        deleted.append(cull.storage.location(sha))  # also when a crashed attempt already deleted it
        if cull.storage.exists(sha):
            cull.storage.delete(sha)
            cull.say(f"media deleted: {deleted[-1]}")
    plan.result["media_deleted"] = deleted


def step_register(plan: Plan, cull: Cull) -> None:
    """5. Earlier registry worklists must not keep a culled item's text either."""
    ids = {i.item_id for i in plan.items}
    changed = []
    for path in sorted((cull.archive / "register").glob("*.csv")):
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
        changed.append(path.relative_to(cull.archive).as_posix())
        cull.say(f"{changed[-1]}: {len(rows) - len(keep)} culled row(s) removed")
    plan.files["register"] = changed


def tombstone_path(archive: Path, cull_id: str) -> Path:
    return archive / "manifest" / "tombstones" / f"cull-{cull_id}.parquet"


def step_record(plan: Plan, cull: Cull) -> None:
    """6. Tombstones and the gallringsdokument (CSV and HTML)."""
    plan.result.setdefault("culled_at", datetime.now(UTC).isoformat())
    culled_at = datetime.fromisoformat(plan.result["culled_at"])
    rows = [{**{k: getattr(i, k) for k in ("item_id", "platform", "account", "year", "item_type", "post_id",
                                           "text_sha256", "media_sha256", "category", "rule_ids", "decision")},
             "cull_id": plan.cull_id, "published_at": datetime.fromisoformat(i.published_at),
             "cull_from": date.fromisoformat(i.cull_from) if i.cull_from else None, "culled_at": culled_at}
            for i in plan.items]
    tomb = write_atomic(pa.Table.from_pylist(rows, schema=TOMBSTONE_SCHEMA), tombstone_path(cull.archive, plan.cull_id))
    folder = cull.archive / "gallring" / plan.cull_id
    plan.files["tombstones"] = [tomb.relative_to(cull.archive).as_posix()]
    as_dict = plan.to_dict()
    atomic_write(folder / "gallringsdokument.csv", gallring_csv(as_dict).encode("utf-8"))
    atomic_write(folder / "gallringsdokument.html", gallring_html(as_dict).encode("utf-8"))
    plan.files["gallringsdokument"] = [p.relative_to(cull.archive).as_posix() for p in
                                       (folder / "gallringsdokument.csv", folder / "gallringsdokument.html")]


# The chain, in order (see the module docstring for why this order). The names are what plan.json records
# in done_steps: keep them stable, an interrupted cull of an older version resumes by them.
CHAIN: tuple[tuple[str, Step], ...] = (
    ("warc", step_warc),
    ("wacz", step_wacz),
    ("manifest", step_manifest),
    ("media", step_media),
    ("register", step_register),
    ("record", step_record),
)
STEPS = tuple(name for name, _ in CHAIN)


def apply(plan: Plan, cull: Cull) -> Plan:
    """Run the steps of a plan not done yet, saving the plan after each; returns the finished plan."""
    plan.result.setdefault("files", {})  # the command reads it, even if every step was done before a crash
    for name, step in CHAIN:
        if name in plan.done_steps:
            continue
        cull.say(f"cull {plan.cull_id}: step {name}")
        step(plan, cull)
        plan.done_steps.append(name)
        save_plan(cull.archive, plan)
    plan.status = "done"
    plan.finished_at = datetime.now(UTC).isoformat()
    save_plan(cull.archive, plan)
    return plan
