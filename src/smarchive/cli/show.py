"""`smarchive show ITEM_ID`: one item as an archivist needs it, and its screenshot or DOM snapshot out of the WARC.

Prints the item (the latest capture, as the `items` view has it) with its thread (the post and every comment
and reply of it, the item marked), its tag (category, retention, actions, access, rules and evidence), its
provenance (run, time, software, the record it was parsed from, the replay path) and the files it came from
(WARC, WACZ, manifest file, media). `--screenshot FILE` writes the full-page PNG of the post's page and
`--snapshot FILE` its DOM snapshot (HTML), both read from the WARC by the manifest's record id and offset.
`--json` prints the same as one JSON object (times in UTC, ISO 8601) instead of text.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from smarchive.errors import SmarchiveError

STOCKHOLM_ZONE = "Europe/Stockholm"


def _rows(con, sql: str, params: dict) -> list[dict]:  # noqa: ANN001 (DuckDB connection)
    return con.sql(sql, params=params).to_arrow_table().to_pylist()


def find_item(con, item_id: str, platform: str | None) -> dict:  # noqa: ANN001 (DuckDB connection)
    rows = _rows(con, "SELECT * FROM items WHERE item_id = $id AND ($platform IS NULL OR platform = $platform)",
                 {"id": item_id, "platform": platform})
    if not rows:
        raise SmarchiveError(f"no item {item_id}" + (f" on {platform}" if platform else "") + " in the archive")
    if len(rows) > 1:
        raise SmarchiveError(f"item id {item_id} is on several platforms ({', '.join(r['platform'] for r in rows)}): "
                             "add --platform")
    return rows[0]


def thread_of(con, item: dict) -> list[dict]:  # noqa: ANN001 (DuckDB connection)
    """The post and every comment and reply of it, in time order (the latest capture of each)."""
    post = item["post_id"] or item["item_id"]
    return _rows(con, "SELECT item_id, parent_id, item_type, author, published_at, text FROM items "
                      "WHERE platform = $platform AND (post_id = $post OR item_id = $post) "
                      "ORDER BY item_type <> 'post', published_at, item_id",
                 {"platform": item["platform"], "post": post})


def manifest_file(archive: Path, item: dict) -> Path:
    return (archive / "manifest" / "items" / f"year={item['year']}" / f"platform={item['platform']}"
            / f"account={item['account']}" / f"run-{item['run_id']}.parquet")


def files_of(archive: Path, item: dict) -> list[dict]:
    """Where each file the item came from lives, and whether it is there (README: The archive folder)."""
    files = [("warc", item["warc_file"]), ("wacz", f"wacz/{item['year']}/{item['account']}.wacz"),
             ("manifest", str(manifest_file(archive, item).relative_to(archive)))]
    if item.get("source") == "export":  # imported (#18): no WARC, the export file kept as received
        files = [("export", item.get("export_file"))] + files[2:]
    out = [{"role": role, "path": rel, "exists": bool(rel) and (archive / rel).is_file()} for role, rel in files]
    for m in item["media"] or []:
        location = m.get("location") or ""
        local = Path(location.removeprefix("file://")) if location.startswith("file://") else None
        out.append({"role": f"media ({m.get('kind')})", "path": location, "sha256": m.get("sha256"),
                    "exists": local.is_file() if local else None})
    return out


def record_bytes(archive: Path, item: dict, kind: str) -> bytes:
    """The body of the item's snapshot or screenshot record, found by offset and checked by record id."""
    from smarchive.archive.warc import iter_headers, read_record_at

    record_id, offset = item[f"{kind}_record_id"], item[f"{kind}_offset"]
    if not record_id:
        raise SmarchiveError(f"item {item['item_id']} has no {kind} (only post pages are snapshotted; "
                             "this item's page was not)")
    warc = archive / item["warc_file"]
    if not warc.is_file():
        raise SmarchiveError(f"the WARC of item {item['item_id']} is missing: {warc}")
    if offset is not None:
        headers, body = read_record_at(warc, offset)
        if headers.get("WARC-Record-ID") == record_id:
            return body
    # The offset no longer points at it (a rewritten WARC): look the record up by id.
    for found, headers in iter_headers(warc):
        if headers.get("WARC-Record-ID") == record_id:
            return read_record_at(warc, found)[1]
    raise SmarchiveError(f"the {kind} record {record_id} of item {item['item_id']} is not in {warc}")


def replay_target_of(archive: Path, item: dict) -> str | None:
    """The manifest's replay target, or (an archive written before it existed) the snapshot's, from the WARC."""
    from smarchive.archive.replay import targets_at

    if item.get("replay_target"):
        return item["replay_target"]
    offset = item["snapshot_offset"] if item["snapshot_offset"] is not None else item["warc_offset"]
    warc = archive / (item["warc_file"] or "")
    if offset is None or not warc.is_file():
        return None
    return targets_at(warc, [offset]).get(offset) or None


def describe(archive: Path, item: dict, thread: list[dict], run: dict | None) -> dict:
    from smarchive.archive.replay import replay_path
    from smarchive.retention.register import evidence_summary

    return {
        "item": {k: item[k] for k in ("item_id", "platform", "account", "account_name", "year", "item_type",
                                      "parent_id", "post_id", "author", "author_is_account", "published_at",
                                      "text", "permalink")},
        "thread": thread,
        "tag": {"category": item["tag_category"], "retention": item["tag_retention"],
                "cull_from": item["tag_cull_from"], "actions": item["tag_actions"], "access": item["tag_access"],
                "rule_ids": item["tag_rule_ids"], "needs_review": item["tag_needs_review"],
                "decision": item["tag_decision"], "evidence": evidence_summary(item["tag_evidence"]),
                "ruleset_version": item["tag_ruleset_version"]},
        "provenance": {"run_id": item["run_id"], "captured_at": item["captured_at"], "software": item["software"],
                       "job": (run or {}).get("job"), "operator": (run or {}).get("operator"),
                       "source_url": item["source_url"], "warc_record_id": item["warc_record_id"],
                       "warc_offset": item["warc_offset"], "snapshot_record_id": item["snapshot_record_id"],
                       "screenshot_record_id": item["screenshot_record_id"],
                       "replay_path": replay_path(replay_target_of(archive, item)),
                       # an imported item (#18): the export it was read from, instead of a WARC record
                       **({k: item.get(k) for k in ("source", "export_file", "export_member", "export_id")}
                          if item.get("source") == "export" else {})},
        "files": files_of(archive, item),
    }


def _local(moment: datetime | None) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(STOCKHOLM_ZONE)).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


def print_text(info: dict) -> None:
    item, tag, prov = info["item"], info["tag"], info["provenance"]
    click.echo(f"{item['platform']} {item['item_type']} {item['item_id']} ({item['account']}, {item['year']})")
    click.echo(f"  by {item['author']}{' (the account)' if item['author_is_account'] else ''}, "
               f"published {_local(item['published_at'])}")
    click.echo(f"  permalink: {item['permalink']}")
    click.echo("  " + (item["text"] or "").replace("\n", "\n  "))
    click.echo(f"thread ({len(info['thread'])} {'item' if len(info['thread']) == 1 else 'items'}):")
    for t in info["thread"]:
        mark = ">" if t["item_id"] == item["item_id"] else " "
        indent = {"post": "", "comment": "  ", "reply": "    "}.get(t["item_type"], "")
        first = " ".join((t["text"] or "").split())[:70]
        click.echo(f" {mark} {indent}{t['item_type']} {t['item_id']} {_local(t['published_at'])} "
                   f"{t['author']}: {first}")
    click.echo(f"tag: {tag['category']}, {tag['retention']}" + (f" from {tag['cull_from']}" if tag["cull_from"] else "")
               + f", access {tag['access']}, actions {json.dumps(tag['actions'] or [])}, "
               f"rules {json.dumps(tag['rule_ids'] or [])}" + (", NEEDS REVIEW" if tag["needs_review"] else ""))
    if tag["evidence"]:
        click.echo(f"  evidence: {tag['evidence']}")
    click.echo(f"provenance: run {prov['run_id']} ({prov['job'] or '?'}, operator {prov['operator'] or '?'}), "
               f"captured {_local(prov['captured_at'])}, {prov['software']}")
    if prov.get("source") == "export":
        click.echo(f"  imported from the export {prov['export_file']}, {prov['export_member']} "
                   f"(export id {prov['export_id']})")
    else:
        click.echo(f"  parsed from {prov['source_url']} (record {prov['warc_record_id']} at offset "
                   f"{prov['warc_offset']})")
    click.echo(f"  snapshot {prov['snapshot_record_id'] or '-'}, screenshot {prov['screenshot_record_id'] or '-'}")
    click.echo(f"  replay: {prov['replay_path'] or '-'}")
    click.echo("files:")
    for f in info["files"]:
        state = {True: "", False: "  (MISSING)", None: ""}[f["exists"]]
        click.echo(f"  {f['role']}: {f['path']}{state}")


def write_out(archive: Path, item: dict, kind: str, out: Path) -> None:
    from smarchive.archive.store import atomic_write

    data = record_bytes(archive, item, kind)
    atomic_write(out, data)
    click.echo(f"{kind} of {item['item_id']} ({len(data)} bytes) -> {out}", err=True)


@click.command("show")
@click.argument("item_id")
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
@click.option("--platform", default=None, help="Only needed when the id is on several platforms.")
@click.option("--screenshot", "screenshot", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the full-page screenshot (PNG) of the item's post page to this file.")
@click.option("--snapshot", "snapshot", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the DOM snapshot (HTML) of the item's post page to this file.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def show_command(item_id: str, archive: Path, platform: str | None, screenshot: Path | None,
                 snapshot: Path | None, as_json: bool) -> None:
    """Show ITEM_ID with its thread, tag, provenance and files; write its screenshot or snapshot."""
    from smarchive.archive.query import connect

    if not (archive / "manifest").is_dir():
        raise SmarchiveError(f"no manifest in {archive} (run `smarchive capture` first, or pass --archive)")
    con = connect(archive)
    try:
        item = find_item(con, item_id, platform)
        thread = thread_of(con, item)
        runs = _rows(con, "SELECT job, operator FROM runs WHERE run_id = $run", {"run": item["run_id"]})
    finally:
        con.close()
    info = describe(archive, item, thread, (runs or [None])[0])
    for kind, out in (("screenshot", screenshot), ("snapshot", snapshot)):
        if out is not None:
            write_out(archive, item, kind, out)
    if as_json:
        sys.stdout.write(json.dumps(info, ensure_ascii=False, default=str) + "\n")
    else:
        print_text(info)
