"""Build the SIP(s) of one year: select what Stadsarkivet keeps, write the package, validate it, publish it.

A package is built in a hidden folder beside `--out` and renamed to `--out` only when every package in it
is complete and valid: nothing half-written is ever left under the final name. The rows are streamed from
DuckDB one post's thread at a time, so memory stays flat as the year grows.

What goes in: every item of the year whose tag says `preserve`. Culled items are not in the manifest any
more; their tombstones and the gallringsdokument are. Items still cull-eligible (not culled yet, or waiting
for review) are left out and listed in `documentation/delivery-report.csv` with the reason and the date
they may be culled from. Restricted items are in, with their restriction in the METS rightsMD file
`metadata/other/access-restrictions.csv`, in the manifest (`tag_access`) and on their rendition page.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from smarchive import __version__
from smarchive.archive import ledger
from smarchive.archive.decisions import EFFECTIVE
from smarchive.archive.query import connect
from smarchive.archive.store import Storage
from smarchive.archive.warc import SCREENSHOT_SCHEME, SNAPSHOT_SCHEME, iter_headers, read_record_at
from smarchive.config import DEFAULT_OBJID
from smarchive.deliver import mets, pdf, rendition, validate
from smarchive.deliver.check import xml_findings
from smarchive.deliver.formats import ending_for
from smarchive.deliver.objid import make_objids, recorded_objids
from smarchive.errors import SmarchiveError

FORMATS = ("dir", "tar", "zip")
VENDORED_XSDS = ("mets.xsd", "xlink.xsd", "xml.xsd", "DILCISExtensionMETS.xsd", "DILCISExtensionSIPMETS.xsd",
                 "premis-v3-0.xsd")
DOCS = Path(__file__).resolve().parents[3] / "docs"  # the checkout's docs, when run from one
BATCH = 20_000
MEMORY_LIMIT = "400MB"  # DuckDB's share; the rest of the process stays small (one thread in memory at a time)


@dataclass
class Request:
    archive: Path
    year: int
    storage: Storage
    organisation: str
    pipeline: str
    out: Path
    fmt: str = "dir"
    per_account: bool = False
    created: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    objid: str = DEFAULT_OBJID  # the pipeline's [delivery] objid template (deliver/objid.py)
    pdf: bool = False  # also one PDF/A-2b per account (deliver/pdf.py)


@dataclass
class Delivered:
    objid: str
    path: Path
    accounts: list[str]
    items: int
    culled: int
    not_delivered: int
    files: int
    bytes: int
    mets_sha256: str
    warnings: list[str] = field(default_factory=list)


Say = Callable[[str], None]


# ------------------------------------------------------------------------------------------------ input


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def check_input(req: Request) -> None:
    """Bad input, as one line, before anything is written."""
    from smarchive.retention.cull import pending_plan

    if req.fmt not in FORMATS:
        raise SmarchiveError(f"--format must be one of {', '.join(FORMATS)}, not {req.fmt}")
    if not (req.archive / "manifest").is_dir():
        raise SmarchiveError(f"no manifest in {req.archive} (run `smarchive capture` first, or pass --archive)")
    journals = sorted((req.archive / "runs-in-progress").glob("*.json"))
    if journals:
        raise SmarchiveError(f"the archive has an unfinished run ({journals[0].name} in runs-in-progress/): finish it "
                             "by running the same capture again before delivering")
    if pending_plan(req.archive) is not None:
        raise SmarchiveError("the archive has an unfinished cull: run `smarchive cull --apply` again to finish it "
                             "before delivering")
    if req.out.exists() or req.out.is_symlink():
        raise SmarchiveError(f"{req.out} exists: deliver writes a new folder (give another --out, or move it away)")
    parent = req.out.parent
    if parent.exists() and not os.access(parent, os.W_OK | os.X_OK):
        raise SmarchiveError(f"cannot write in {parent} (permission denied): give an --out in a writable folder")


def year_accounts(con: duckdb.DuckDBPyConnection, archive: Path, year: int) -> tuple[list[tuple[str, str, str]],
                                                                                         set[str]]:
    """(account, name, platform) of every account with items, tombstones or captures (WARCs) in the year, and
    the ids of those captured without any item (a web page): their captured pages are their rendition."""
    rows = con.sql(f"SELECT account, any_value(account_name), any_value(platform) FROM items WHERE year = {year} "
                   "GROUP BY account").fetchall()
    found = {a: (a, n, p) for a, n, p in rows}
    for account, platform in _tombstone_accounts(con, archive, year):
        found.setdefault(account, (account, account, platform))
    pages_only = set()
    run_accounts = con.sql(f"SELECT DISTINCT unnest(accounts) FROM runs WHERE year = {year}").fetchall()
    for (account,) in run_accounts:
        warcs = account_warcs(archive, year, account)
        if account not in found and warcs:
            info = warcinfo(warcs[0])
            found[account] = (account, info.get("account-name") or account, info.get("platform") or "web")
            pages_only.add(account)
    return [found[a] for a in sorted(found)], pages_only


def account_warcs(archive: Path, year: int, account: str) -> list[Path]:
    """The account's WARCs of the year, `<account>-<run id>.warc.gz` (not another account's with a longer id)."""
    return [warc for warc in sorted((archive / "warc" / str(year)).glob(f"{account}-*.warc.gz"))
            if warc.name[len(account) + 1:][:8].isdigit()]


def warcinfo(warc: Path) -> dict[str, str]:
    """The fields of a WARC's first record (warcinfo: account-name, platform, ...), docs/warc.md."""
    headers, body = read_record_at(warc, 0)
    if headers.get("WARC-Type") != "warcinfo":
        return {}
    fields = {}
    for line in body.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


def _tombstone_files(archive: Path) -> list[Path]:
    return sorted((archive / "manifest" / "tombstones").glob("*.parquet"))


def _tombstones_sql(archive: Path) -> str | None:
    files = _tombstone_files(archive)
    if not files:
        return None
    return "read_parquet([" + ", ".join("'" + f.as_posix().replace("'", "''") + "'" for f in files) + "])"


def _tombstone_accounts(con: duckdb.DuckDBPyConnection, archive: Path, year: int) -> list[tuple[str, str]]:
    source = _tombstones_sql(archive)
    if source is None:
        return []
    return con.sql(f"SELECT DISTINCT account, platform FROM {source} WHERE year = {year}").fetchall()


# ---------------------------------------------------------------------------------------------- writing


class Files:
    """The files of one package being built: written under `root`, each hashed as it is written."""

    def __init__(self, root: Path, created: datetime) -> None:
        self.root = root
        self.created = created
        self.entries: dict[str, mets.PackedFile] = {}

    def _record(self, rel: str, sha256: str, size: int, created: datetime | None) -> mets.PackedFile:
        packed = mets.PackedFile(rel, sha256, size, created or self.created)
        self.entries[rel] = packed
        return packed

    def write(self, rel: str, data: bytes, created: datetime | None = None) -> mets.PackedFile:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return self._record(rel, hashlib.sha256(data).hexdigest(), len(data), created)

    def copy(self, rel: str, source: Path) -> mets.PackedFile:
        """A byte-for-byte copy, hashed while copied; CREATED is the source file's modification time."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with open(source, "rb") as src, open(path, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        created = datetime.fromtimestamp(int(source.stat().st_mtime), UTC)
        return self._record(rel, digest.hexdigest(), size, created)

    def written(self, rel: str) -> mets.PackedFile:
        """A file something else wrote under root (DuckDB's COPY): hash it now."""
        sha, size = ledger.file_digest(self.root / rel)
        return self._record(rel, sha, size, None)

    def under(self, prefix: str) -> list[mets.PackedFile]:
        return [self.entries[rel] for rel in sorted(self.entries) if rel.startswith(prefix)]


def _csv_select(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The query with every list, struct or map column as JSON (as in every CSV smarchive writes)."""
    relation = con.sql(sql)
    nested = [name for name, kind in zip(relation.columns, relation.types, strict=True)
              if any(word in str(kind) for word in ("[]", "STRUCT", "MAP"))]
    if not nested:
        return sql
    return f"SELECT * REPLACE ({', '.join(f'to_json({n}) AS {n}' for n in nested)}) FROM ({sql})"


def _copy_csv(con: duckdb.DuckDBPyConnection, files: Files, sql: str, rel: str) -> mets.PackedFile:
    path = files.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({_csv_select(con, sql)}) TO '{path.as_posix()}' (FORMAT csv, HEADER true)")
    return files.written(rel)


def _copy_out(con: duckdb.DuckDBPyConnection, files: Files, sql: str, rel_stem: str) -> None:
    """One table as Parquet (zstd) and CSV (UTF-8, header, JSON for lists), in the query's order."""
    for ending, options in ((".parquet", "FORMAT parquet, COMPRESSION zstd"), (".csv", "FORMAT csv, HEADER true")):
        path = files.root / f"{rel_stem}{ending}"
        path.parent.mkdir(parents=True, exist_ok=True)
        query = sql if ending == ".parquet" else _csv_select(con, sql)
        con.execute(f"COPY ({query}) TO '{path.as_posix()}' ({options})")
        files.written(f"{rel_stem}{ending}")


# --------------------------------------------------------------------------------------------- selection


def current_items_view(con: duckdb.DuckDBPyConnection) -> None:
    """`current_items`: the items with the tag as it stands now (an archivist's decision over the rules' tag),
    so a "preserve" decided in the workbench is delivered and a restriction decided there travels with the item."""
    replaced = ", ".join(f"{EFFECTIVE[k]} AS tag_{k}" for k in ("category", "retention", "cull_from", "actions",
                                                                  "access", "needs_review"))
    con.execute(f"CREATE OR REPLACE TEMP VIEW current_items AS SELECT * REPLACE ({replaced}) FROM items")


@dataclass
class Scope:
    year: int
    accounts: list[tuple[str, str, str]]  # (id, name, platform)
    pages_only: set[str] = field(default_factory=set)  # accounts captured without items: pages are the rendition

    @property
    def ids(self) -> list[str]:
        return [a for a, _, _ in self.accounts]

    def where(self) -> str:
        return f"year = {int(self.year)} AND account IN (SELECT unnest({_sql_list(self.ids)}))"


def delivered_sql(scope: Scope) -> str:
    return f"SELECT * FROM current_items WHERE {scope.where()} AND tag_retention = 'preserve'"


def decisions_sql(scope: Scope) -> str:
    """The decisions about the delivered items, oldest first (those about culled or left-out items stay home)."""
    return (f"SELECT d.* FROM decisions d SEMI JOIN ({delivered_sql(scope)}) i ON d.platform = i.platform AND "
            "d.item_id = i.item_id ORDER BY d.decided_at, d.decision_id")


def report_sql(scope: Scope, archive: Path) -> str:
    """Every item of the year for these accounts, and what became of it: delivered, culled or not delivered."""
    page = "'representations/rendition/data/' || account || '/' || regexp_replace(post_id, '[^A-Za-z0-9._-]', '_', 'g')"
    items = (f"SELECT item_id, platform, account, item_type, post_id, published_at, "
             f"CASE WHEN tag_retention = 'preserve' THEN 'delivered' ELSE 'not-delivered' END AS status, "
             f"CASE WHEN tag_retention = 'preserve' THEN '' WHEN tag_needs_review THEN "
             f"'cull-eligible, needs review: not delivered until an archivist decides' ELSE "
             f"'cull-eligible, not culled yet (may be culled from ' || coalesce(CAST(tag_cull_from AS VARCHAR), '?') "
             f"|| '): left out; deliver again after cull --apply, or after the tag is changed' END AS reason, "
             f"CASE WHEN tag_retention = 'preserve' THEN {page} || '.html' ELSE '' END AS location "
             f"FROM current_items WHERE {scope.where()}")
    tombs = _tombstones_sql(archive)
    if tombs:
        items += (f" UNION ALL SELECT item_id, platform, account, item_type, post_id, published_at, 'culled', "
                  f"'culled under decision ' || decision || ' (cull ' || cull_id || ')', "
                  f"'documentation/gallring/' || cull_id || '/gallringsdokument.csv' "
                  f"FROM {tombs} WHERE {scope.where()}")
    return f"SELECT * FROM ({items}) ORDER BY platform, account, published_at, item_id, status"


RESTRICTIONS_SQL = ("SELECT item_id, platform, account, item_type, post_id, tag_category AS category, "
                    "tag_rule_ids AS rule_ids, tag_actions AS actions, "
                    "'access restricted: confidential or personal data; try (sekretessprövning) before release' "
                    "AS restriction FROM current_items WHERE {where} AND tag_retention = 'preserve' AND tag_access = "
                    "'restricted' ORDER BY platform, account, published_at, item_id")


# --------------------------------------------------------------------------------------------- rendition


def _screenshot(archive: Path, row: dict) -> bytes | None:
    record_id, offset = row.get("screenshot_record_id"), row.get("screenshot_offset")
    warc = archive / (row.get("warc_file") or "")
    if not record_id or not warc.is_file():
        return None
    if offset is not None:
        headers, body = read_record_at(warc, offset)
        if headers.get("WARC-Record-ID") == record_id:
            return body
    for found, headers in iter_headers(warc):  # a rewritten WARC moved it: look it up by id
        if headers.get("WARC-Record-ID") == record_id:
            return read_record_at(warc, found)[1]
    return None


# The columns a rendition page shows (reading only these keeps the per-row cost low).
RENDERED = ("item_id, item_type, parent_id, post_id, author, author_is_account, published_at, text, permalink, media, "
            "tag_category, tag_retention, tag_actions, tag_access, tag_rule_ids, warc_file, screenshot_record_id, "
            "screenshot_offset")


def _threads(con: duckdb.DuckDBPyConnection, scope: Scope, account: str) -> Iterator[list[dict]]:
    """The delivered rows of one account, one post's thread at a time (streamed in batches)."""
    quoted = account.replace("'", "''")
    sql = (f"SELECT {RENDERED} FROM current_items WHERE year = {int(scope.year)} AND account = '{quoted}' "
           "AND tag_retention = 'preserve' ORDER BY post_id, item_type <> 'post', published_at, item_id")
    reader = con.sql(sql).to_arrow_reader(BATCH)
    current: list[dict] = []
    for batch in reader:
        for row in batch.to_pylist():
            if current and row["post_id"] != current[0]["post_id"]:
                yield current
                current = []
            current.append(row)
    if current:
        yield current


@dataclass
class RenditionCounts:
    posts: int = 0
    items: int = 0
    warnings: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # the account's pages in its index's order


def render_account(con: duckdb.DuckDBPyConnection, req: Request, files: Files, scope: Scope,
                   account: tuple[str, str, str]) -> RenditionCounts:
    account_id, name, platform = account
    base = f"representations/rendition/data/{account_id}/"
    counts = RenditionCounts()
    index: list[rendition.PostEntry] = []
    copied: set[str] = set()
    for rows in _threads(con, scope, account_id):
        post = next((r for r in rows if r["item_type"] == "post"), rows[0])
        page = rendition.page_name(post["post_id"] or post["item_id"])
        media: dict[str, list[rendition.MediaLink]] = {}
        for row in rows:
            for m in row.get("media") or []:
                rel = f"media/{m['sha256']}{ending_for(m.get('content_type'))}"
                if rel not in copied:
                    try:
                        files.write(base + rel, req.storage.get(m["sha256"]))
                    except (OSError, KeyError, SmarchiveError) as e:
                        counts.warnings.append(f"{account_id}: media {m['sha256']} of item {row['item_id']} "
                                               f"not in the storage ({e}); left out of the rendition")
                        continue
                    copied.add(rel)
                media.setdefault(row["item_id"], []).append(rendition.MediaLink(m.get("kind") or "file", rel))
        shot = _screenshot(req.archive, post) if post["item_type"] == "post" else None
        shot_rel = f"screenshots/{page.removesuffix('.html')}.png" if shot else None
        if shot and shot_rel:
            files.write(base + shot_rel, shot)
        files.write(base + page, rendition.post_page(name, platform, rows, media, shot_rel))
        index.append(rendition.PostEntry(page, post.get("published_at"), rendition.summary_of(post.get("text")),
                                         len(rows), any(r.get("tag_access") == "restricted" for r in rows)))
        counts.posts += 1
        counts.items += len(rows)
    index.sort(key=lambda p: (p.published_at or datetime.min.replace(tzinfo=UTC), p.page))
    files.write(base + "index.html", rendition.account_index(name, platform, scope.year, index))
    counts.pages = [p.page for p in index]
    return counts


def _captured_pages(warc: Path) -> Iterator[tuple[str, datetime | None, int, int | None]]:
    """(page URL, when, snapshot offset, screenshot offset) of every page a WARC holds a snapshot of."""
    snapshots: dict[str, tuple[datetime | None, int]] = {}
    shots: dict[str, int] = {}
    for offset, headers in iter_headers(warc):
        uri = headers.get("WARC-Target-URI", "")
        if uri.startswith(SNAPSHOT_SCHEME):
            when = headers.get("WARC-Date")
            snapshots[uri.removeprefix(SNAPSHOT_SCHEME)] = (
                datetime.fromisoformat(when.replace("Z", "+00:00")) if when else None, offset)
        elif uri.startswith(SCREENSHOT_SCHEME):
            shots[uri.removeprefix(SCREENSHOT_SCHEME)] = offset
    for url, (when, offset) in snapshots.items():
        yield url, when, offset, shots.get(url)


def render_pages(req: Request, files: Files, scope: Scope, account: tuple[str, str, str]) -> RenditionCounts:
    """An account captured without items (a web page): each captured page with its screenshot and its text,
    from the snapshot and screenshot records of its WARCs; one page per WARC and address, in file order."""
    account_id, name, platform = account
    base = f"representations/rendition/data/{account_id}/"
    counts = RenditionCounts()
    index: list[rendition.PostEntry] = []
    for warc in account_warcs(req.archive, scope.year, account_id):
        run = warc.name.removesuffix(".warc.gz")
        for n, (url, when, snap_at, shot_at) in enumerate(_captured_pages(warc), 1):
            page = f"page-{run.removeprefix(account_id + '-')}-{n:03d}"
            text = rendition.snapshot_text(read_record_at(warc, snap_at)[1])
            shot_rel = None
            if shot_at is not None:
                shot_rel = f"screenshots/{page}.png"
                files.write(base + shot_rel, read_record_at(warc, shot_at)[1])
            files.write(base + page + ".html", rendition.captured_page(name, platform, url, when, text, shot_rel))
            index.append(rendition.PostEntry(page + ".html", when, f"sidan {url}", 0, False))
            counts.posts += 1
    files.write(base + "index.html", rendition.account_index(name, platform, scope.year, index))
    counts.pages = [p.page for p in index]
    return counts


# ----------------------------------------------------------------------------------------------- package


def _captures(req: Request, files: Files, scope: Scope) -> None:
    for account in scope.ids:
        for warc in account_warcs(req.archive, scope.year, account):
            files.copy(f"representations/captures/data/warc/{warc.name}", warc)
        wacz = req.archive / "wacz" / str(scope.year) / f"{account}.wacz"
        if wacz.is_file():
            files.copy(f"representations/captures/data/wacz/{wacz.name}", wacz)


def _manifest_tables(con: duckdb.DuckDBPyConnection, req: Request, files: Files, scope: Scope) -> None:
    base = "representations/manifest/data/"
    order = " ORDER BY platform, account, published_at, item_id"
    # The sort of every column of every delivered item is the largest: with DuckDB's two threads each holding
    # a sort buffer it ran out of its 400 MB at 400 k items (DuckDB 2.0.1); one thread spills instead.
    con.execute("SET threads = 1")
    try:
        _copy_out(con, files, delivered_sql(scope) + order, base + "items")
    finally:
        con.execute("RESET threads")
    tombs = _tombstones_sql(req.archive)
    if tombs:
        _copy_out(con, files, f"SELECT * FROM {tombs} WHERE {scope.where()}" + order, base + "tombstones")
    _copy_out(con, files, f"SELECT * FROM runs WHERE year = {int(scope.year)} AND "
                          f"list_has_any(accounts, {_sql_list(scope.ids)}) ORDER BY started_at, run_id", base + "runs")
    _copy_out(con, files, f"SELECT * FROM coverage WHERE {scope.where()} ORDER BY run_id, account, kind, post_id, "
                          "comment_id", base + "coverage")
    _copy_out(con, files, decisions_sql(scope), base + "decisions")


def _documentation(con: duckdb.DuckDBPyConnection, req: Request, files: Files, scope: Scope) -> list[str]:
    """The delivery report, the gallringsdokument of the culls that touched these items, the manifest's docs."""
    _copy_csv(con, files, report_sql(scope, req.archive), "documentation/delivery-report.csv")
    culls: list[str] = []
    tombs = _tombstones_sql(req.archive)
    if tombs:
        culls = [r[0] for r in con.sql(f"SELECT DISTINCT cull_id FROM {tombs} WHERE {scope.where()} "
                                       "ORDER BY 1").fetchall()]
    for cull_id in culls:
        for name in ("gallringsdokument.csv", "gallringsdokument.html"):
            source = req.archive / "gallring" / cull_id / name
            if source.is_file():
                files.copy(f"documentation/gallring/{cull_id}/{name}", source)
    for doc in ("manifest.md", "delivery.md"):
        if (DOCS / doc).is_file():
            files.copy(f"documentation/{doc}", DOCS / doc)
    return culls


def _events(con: duckdb.DuckDBPyConnection, req: Request, files: Files, scope: Scope,
            culls: list[str]) -> list[mets.Event]:
    software = ("agent-smarchive", "executing program")
    organisation = ("agent-organisation", "authorizer")
    events = []
    runs = con.sql(f"SELECT run_id, started_at, finished_at, accounts, accounts_failed, items FROM runs WHERE "
                   f"year = {int(scope.year)} AND list_has_any(accounts, {_sql_list(scope.ids)}) "
                   "ORDER BY started_at, run_id").fetchall()
    for run_id, started, finished, accounts, failed, items in runs:
        objects = tuple(p.rel for p in files.under("representations/captures/data/warc/") if run_id in p.rel)
        events.append(mets.Event(f"capture-{run_id}", "capture", finished or started,
                                 f"smarchive capture --year {scope.year}: run {run_id}, accounts {', '.join(accounts)}",
                                 f"{items} items; {len(failed or [])} account(s) failed", (software, organisation),
                                 objects))
    tombs = _tombstones_sql(req.archive)
    for cull_id in culls:
        count, decision, culled_at = con.sql(f"SELECT count(*), any_value(decision), max(culled_at) FROM {tombs} "
                                             f"WHERE cull_id = '{cull_id}' AND {scope.where()}").fetchall()[0]
        documents = tuple(p.rel for p in files.under(f"documentation/gallring/{cull_id}/"))
        events.append(mets.Event(f"gallring-{cull_id}", "deletion", culled_at,
                                 f"gallring (culling) under decision {decision} (handlings-id), cull {cull_id}; the "
                                 "gallringsdokument and the tombstones record what was culled",
                                 f"{count} item(s) of this delivery culled", (software, organisation), documents))
    events += _decision_events(con, files, scope)
    events.append(mets.Event("delivery", "information package creation", req.created,
                             f"smarchive deliver --year {scope.year}: E-ARK SIP 2.1 (FGS 2.0)",
                             "package created and validated", (software, organisation)))
    return events


TAG_FIELDS = ("retention", "access", "category", "cull_from", "actions")


def _tag_text(row: dict, side: str) -> str:
    parts = []
    for name in TAG_FIELDS:
        value = row.get(f"{side}_{name}")
        parts.append(f"{name} {', '.join(value) if isinstance(value, list) else value}")
    return "; ".join(parts)


def _decision_detail(row: dict) -> tuple[str, str, str]:
    """(event type, detail, outcome) of one decision (docs/delivery.md: the archivists' decisions)."""
    who = f"{row['role']} {row['decided_by']}"
    if row["kind"] == "review":
        changed = [f"{name} {row.get('old_' + name)} -> {row.get('new_' + name)}" for name in TAG_FIELDS
                   if row.get(f"old_{name}") != row.get(f"new_{name}")]
        what = "changed " + "; ".join(changed) if changed else "confirmed the tag"
        return "appraisal", f"review (granskning) by {who}: {what}", _tag_text(row, "new")
    if row["kind"] == "registered":
        return ("metadata modification", f"registered (diariefört) by {who} as {row['diarienummer']}",
                f"diarienummer {row['diarienummer']}")
    removed = mets.iso(row["removed_at"]) if row.get("removed_at") else "?"
    return ("metadata modification", f"removal from the platform recorded by {who}: removed at {removed}",
            f"removed from {row['platform']} at {removed}")


def person_agent_id(name: str) -> str:
    return f"agent-person-{name}"


def _decision_events(con: duckdb.DuckDBPyConnection, files: Files, scope: Scope) -> list[mets.Event]:
    """Each decision about a delivered item: who (a person agent, by user name only), when, what, and why."""
    events = []
    pages = "representations/rendition/data/"
    reader = con.sql(f"SELECT d.*, i.post_id FROM ({decisions_sql(scope)}) d JOIN current_items i ON "
                     "d.platform = i.platform AND d.item_id = i.item_id ORDER BY d.decided_at, d.decision_id")
    for row in reader.to_arrow_table().to_pylist():
        kind, detail, outcome = _decision_detail(row)
        page = f"{pages}{row['account']}/{rendition.page_name(row['post_id'] or row['item_id'])}"
        events.append(mets.Event(
            f"decision-{row['decision_id']}", kind, row["decided_at"], detail, outcome,
            ((person_agent_id(row["decided_by"]), row["role"] or "decider"), ("agent-organisation", "authorizer")),
            (page,) if page in files.entries else (), (f"{row['platform']}:{row['item_id']}",),
            f"reason: {row['reason']}" if row.get("reason") else ""))
    return events


def _person_agents(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[mets.Agent]:
    """The people who decided about delivered items: their user name and roles, nothing else (no e-mail, no
    password, no session: the decisions hold none, and the workbench's users file is never read here)."""
    rows = con.sql(f"SELECT decided_by, list_sort(list_distinct(list(role))) FROM ({decisions_sql(scope)}) "
                   "GROUP BY decided_by ORDER BY decided_by").fetchall()
    return [mets.Agent(person_agent_id(name), name, "person", note=f"smarchive user; role(s): {', '.join(roles)}")
            for name, roles in rows]


REPRESENTATIONS = (("captures", "Websites", "the captures as recorded: WARC and WACZ"),
                   ("rendition", "Websites", "static HTML per account, readable without software"),
                   ("manifest", "Datasets", "the manifest: items, tombstones, runs, coverage, decisions"))


def _metadata(con: duckdb.DuckDBPyConnection, req: Request, files: Files, scope: Scope, head: mets.Header,
              culls: list[str]) -> mets.PackedFile:
    """Access restrictions, PREMIS, Dublin Core, the representations' METS, then the root METS (written last)."""
    restricted = RESTRICTIONS_SQL.format(where=scope.where())
    rights = _copy_csv(con, files, restricted, "metadata/other/access-restrictions.csv")
    reps = [mets.Representation(name, kind, text) for name, kind, text in REPRESENTATIONS]
    for rep in reps:
        rep.files = files.under(f"representations/{rep.name}/data/")
    agents = [mets.Agent("agent-smarchive", "smarchive", "software", __version__),
              mets.Agent("agent-organisation", req.organisation, "organization"), *_person_agents(con, scope)]
    events = _events(con, req, files, scope, culls)
    premis = files.write("metadata/preservation/premis.xml",
                         mets.premis([p for rep in reps for p in rep.files], events, agents))
    descriptive = files.write("metadata/descriptive/dc.xml", mets.dublin_core([
        ("title", head.label), ("creator", req.organisation), ("publisher", req.organisation),
        ("date", str(scope.year)), ("type", "Sociala medier: inlägg, kommentarer och svar (allmänna handlingar)"),
        ("description", "Accounts: " + "; ".join(f"{a} ({p}: {n})" for a, n, p in scope.accounts)),
        ("language", "sv"), ("identifier", head.objid),
        ("rights", "Innehåller åtkomstbegränsade poster: se metadata/other/access-restrictions.csv")]))
    rep_mets = [(rep, files.write(f"representations/{rep.name}/METS.xml", mets.representation_mets(rep, head)))
                for rep in reps]
    parts = mets.RootParts(descriptive, premis, rights, files.under("documentation/"), files.under("schemas/"),
                           rep_mets)
    return files.write("METS.xml", mets.root_mets(head, parts))


def _account_pdf(files: Files, scope: Scope, account: tuple[str, str, str], pages: list[str]) -> None:
    """`<account>-<year>.pdf` beside the account's HTML: its index, then its pages, as PDF/A-2b."""
    base = f"representations/rendition/data/{account[0]}/"
    folder = files.root / base
    data = pdf.account_pdf([folder / "index.html", *(folder / page for page in pages)],
                           f"{account[1]} ({account[2]}) {scope.year}")
    files.write(f"{base}{account[0]}-{scope.year}.pdf", data)


def build_package(con: duckdb.DuckDBPyConnection, req: Request, scope: Scope, root: Path, objid: str,
                  say: Say) -> Delivered:
    files = Files(root, req.created)
    label = f"{req.organisation}: sociala medier {scope.year}"
    if len(scope.accounts) == 1:
        label += f", {scope.accounts[0][1]}"
    say(f"{objid}: captures (WARC, WACZ)")
    _captures(req, files, scope)
    say(f"{objid}: manifest (Parquet, CSV)")
    _manifest_tables(con, req, files, scope)
    say(f"{objid}: rendition (HTML)")
    warnings: list[str] = []
    summary = []
    for account in scope.accounts:
        if account[0] in scope.pages_only:
            counts = render_pages(req, files, scope, account)
        else:
            counts = render_account(con, req, files, scope, account)
        if req.pdf:
            say(f"{objid}: PDF/A-2b of {account[0]}")
            _account_pdf(files, scope, account, counts.pages)
        warnings += counts.warnings
        summary.append((account[0], account[1], account[2], counts.posts, counts.items))
    files.write("representations/rendition/data/index.html", rendition.root_index(label, scope.year, summary))
    culls = _documentation(con, req, files, scope)
    for name in VENDORED_XSDS:
        files.copy(f"schemas/{name}", validate.XSD / name)
    root_file = _metadata(con, req, files, scope, mets.Header(objid, req.created, label, "smarchive", __version__,
                                                              req.organisation, req.pipeline), culls)
    problems = xml_findings(root)
    if problems.errors:
        raise SmarchiveError(f"the package did not validate ({len(problems.errors)} error(s)), first: "
                             f"{problems.errors[0]}")
    items = sum(s[4] for s in summary)
    report = con.sql(f"SELECT status, count(*) FROM ({report_sql(scope, req.archive)}) GROUP BY 1").fetchall()
    by_status = dict(report)
    return Delivered(objid, root, scope.ids, items, by_status.get("culled", 0), by_status.get("not-delivered", 0),
                     len(files.entries), sum(p.size for p in files.entries.values()), root_file.sha256, warnings)


# ------------------------------------------------------------------------------------------- publishing


def _tar(folder: Path, target: Path, moment: datetime) -> None:
    """A tar of the package folder: sorted entries, fixed owner and time (reproducible)."""
    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = int(moment.timestamp())
        return info

    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=(Path(folder.name) / path.relative_to(folder)).as_posix(), recursive=False,
                    filter=clean)


def _zip(folder: Path, target: Path, moment: datetime) -> None:
    stamp = moment.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo((Path(folder.name) / path.relative_to(folder)).as_posix(), stamp)
            with open(path, "rb") as src, archive.open(info, "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


def deliver(req: Request, say: Say) -> list[Delivered]:
    """Build, validate and publish the package(s) of the year under `req.out`; nothing is left on failure."""
    check_input(req)
    con = connect(req.archive)
    current_items_view(con)  # `decisions` is one of connect's views
    con.execute("SET TimeZone = 'UTC'")  # timestamps in the CSVs: UTC, whoever runs it
    try:
        accounts, pages_only = year_accounts(con, req.archive, req.year)
        if not accounts:
            raise SmarchiveError(f"no capture of {req.year} in {req.archive} (nothing to deliver)")
        groups = [[a] for a in accounts] if req.per_account else [accounts]
        recorded, year_count = recorded_objids(con, req.year)
        objids = make_objids(req.objid, req.year, [g[0][0] if req.per_account else None for g in groups],
                             recorded, year_count)
        staging = req.out.parent / f".{req.out.name}.part-{uuid.uuid4().hex[:8]}"
        try:
            staging.mkdir(parents=True)
        except OSError as e:
            raise SmarchiveError(f"cannot create {req.out}: {e.strerror or e}") from None
        # Sorting a large year spills to disk beside the package instead of growing in memory.
        spill = staging / ".spill"
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute(f"SET temp_directory = '{spill.as_posix()}'")
        try:
            done = []
            for group, objid in zip(groups, objids, strict=True):
                scope = Scope(req.year, group, pages_only & {a for a, _, _ in group})
                built = build_package(con, req, scope, staging / objid, objid, say)
                if req.fmt != "dir":
                    target = staging / f"{objid}.{req.fmt}"
                    (_tar if req.fmt == "tar" else _zip)(staging / objid, target, req.created)
                    shutil.rmtree(staging / objid)
                    built.path = target
                done.append(built)
            con.close()
            shutil.rmtree(spill, ignore_errors=True)
            os.replace(staging, req.out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        con.close()
    for built in done:
        built.path = req.out / built.path.name
    return done
