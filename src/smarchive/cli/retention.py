"""`smarchive register` and `smarchive cull`: the registry worklist and culling (gallring), as commands.

The work is done in smarchive.retention.register and smarchive.retention.cull; this module reads the
options, prints what was done and turns it into exit codes.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import click

from smarchive.archive.ledger import new_session_id, recording
from smarchive.cli.common import check_year
from smarchive.errors import SmarchiveError

# The retention modules (and pyarrow, DuckDB behind them) are imported inside the commands, so that
# `smarchive --help` and `--version` start at once.


def _category_titles(pipeline_name: str) -> dict[str, str]:
    from smarchive.config import load_pipeline
    from smarchive.retention.tag import RetentionEngine

    pipeline = load_pipeline(pipeline_name)
    engine = RetentionEngine.load(pipeline.retention_dir, profile=pipeline.retention_profile)
    return {cid: c.title for cid, c in engine.categories.items()}


@click.command("register")
@click.option("--year", type=int, required=True, help="The archived year.")
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
@click.option("--pipeline", "pipeline_name", default="sandbox", show_default=True,
              help="Pipeline whose retention rules give the category titles.")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="CSV to write (default: ARCHIVE/register/register-YEAR.csv).")
@click.option("--collection", default="smarchive", show_default=True, help="pywb collection name in replay paths.")
def register_command(year: int, archive: Path, pipeline_name: str, out_path: Path | None, collection: str) -> None:
    """Write the registry worklist (diarieföring) of YEAR: every item the rules say must be registered."""
    from smarchive.cli.report import format_table
    from smarchive.retention.register import register_rows, write_register

    check_year(year)
    rows = register_rows(archive, year, collection, _category_titles(pipeline_name))
    with recording(archive, new_session_id("register")):  # recorded in the fixity ledger if inside the archive
        out = write_register(rows, out_path or archive / "register" / f"register-{year}.csv")
    categories = Counter(r["category"] for r in rows)
    actions = Counter(a for r in rows for a in json.loads(r["actions"]))
    table = [["category", k, n] for k, n in sorted(categories.items())] + \
            [["action", k, n] for k, n in sorted(actions.items())]
    if table:
        click.echo(format_table(["by", "value", "items"], table))
    restricted = sum(1 for r in rows if r["restricted"])
    click.echo(f"{len(rows)} item(s) of {year} to register, {restricted} with restricted access "
               f"(personal or confidential data) -> {out}")


def _decision(pipeline) -> dict:
    from smarchive.retention.tag import RetentionEngine

    engine = RetentionEngine.load(pipeline.retention_dir, profile=pipeline.retention_profile)
    d = engine.ruleset["decision"]
    return {"id": str(d["id"]), "title": str(d.get("title", "")), "text": " ".join(str(d.get("text", "")).split())}


@click.command("cull")
@click.option("--year", type=int, required=True, help="The archived year whose items to cull.")
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
@click.option("--pipeline", "pipeline_name", default="sandbox", show_default=True,
              help="Pipeline: [storage] of the media, operator, retention rules (decision text).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Cull what may be culled on this date (default: today).")
@click.option("--apply", "do_apply", is_flag=True, help="Cull: remove the items' content and media, keep tombstones, "
              "write the gallringsdokument. Without it: a dry run that changes nothing.")
def cull_command(year: int, archive: Path, pipeline_name: str, as_of: datetime | None, do_apply: bool) -> None:
    """List (dry run) or cull (--apply) the items of YEAR that the culling decision allows to cull."""
    from smarchive.archive.s3store import open_storage
    from smarchive.cli.report import format_table
    from smarchive.config import load_pipeline
    from smarchive.retention.cull import Cull, apply, make_plan, pending_plan, save_plan, select_items
    from smarchive.retention.gallring import local_time

    check_year(year)
    archive = archive.resolve()
    pipeline = load_pipeline(pipeline_name)
    day = as_of.date() if as_of else date.today()
    pending = pending_plan(archive) if (archive / "gallring").is_dir() else None
    if pending and pending.year != year:
        raise SmarchiveError(f"cull {pending.cull_id} of {pending.year} was interrupted: complete it first "
                             f"with `smarchive cull --year {pending.year} --apply`")
    if pending and not do_apply:
        click.echo(f"cull {pending.cull_id} was interrupted ({len(pending.items)} items, steps done: "
                   f"{', '.join(pending.done_steps) or 'none'}): `--apply` completes it")
        return
    if pending is None:
        selection = select_items(archive, year, day)
        rows = [[r["item_id"], r["item_type"], local_time(r["published_at"]), r["tag_category"],
                 ", ".join(r["tag_rule_ids"] or []), r["tag_cull_from"], " ".join((r["text"] or "").split())[:40]]
                for r in selection.due]
        if rows:
            click.echo(format_table(["item_id", "type", "published", "category", "rules", "cull_from", "text"], rows))
        media = {m for r in selection.due for m in r["media_sha256"] or []}
        click.echo(f"{len(selection.due)} item(s) of {year} may be culled as of {day} under decision "
                   f"{_decision(pipeline)['id']} ({len(media)} media file(s)); "
                   f"{selection.not_yet_due} cull-eligible later, {selection.needs_review} need review (kept)")
        if not do_apply:
            click.echo("dry run: nothing changed (add --apply to cull)")
            return
        if not selection.due:
            click.echo("nothing to cull")
            return
        plan = make_plan(archive, year, day, selection, _decision(pipeline), pipeline.operator, pipeline.name)
        with recording(archive, f"cull-{plan.cull_id}"):
            save_plan(archive, plan)
        resumed = False
    else:
        plan, resumed = pending, True
    storage = open_storage(pipeline.storage, archive)
    from smarchive.capture.render import SnapshotRenderer
    from smarchive.pipeline import Progress, seal_run

    log = Progress(archive / "logs" / f"cull-{plan.cull_id}.log")
    try:
        log(f"cull {plan.cull_id}{' (resumed)' if resumed else ''}: {len(plan.items)} item(s) of "
            f"{plan.year}, decision {plan.decision['id']}")
        with recording(archive, f"cull-{plan.cull_id}"), SnapshotRenderer() as renderer:
            apply(plan, Cull(archive, storage, log, renderer.render))  # rewrites get new hashes in the ledger
        seal_run(archive, pipeline, f"cull {plan.cull_id}", log)
    finally:
        log.close()
    files = plan.files
    click.echo(f"culled {len(plan.items)} item(s) (cull {plan.cull_id}): {len(files.get('warc', []))} WARC(s) "
               f"rewritten, {len(files.get('manifest', []))} manifest file(s), "
               f"{len(plan.result.get('media_deleted', []))} media file(s) deleted, "
               f"{len(files.get('wacz', []))} WACZ rebuilt")
    click.echo(f"tombstones: {archive / files['tombstones'][0]}")
    click.echo(f"gallringsdokument: {archive / files['gallringsdokument'][0]} (and .html): register it")
    if plan.result.get("ambiguous_left"):
        click.echo(f"note: {plan.result['ambiguous_left']} occurrence(s) of a culled text outside any item's "
                   "node were left, because a preserved item has the same text")
