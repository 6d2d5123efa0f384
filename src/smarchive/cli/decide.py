"""`smarchive decide ITEM_ID …`: record a decision about an item from the command line (for scripting).

The same append-only records as the workbench writes (smarchive.archive.decisions): a review (confirm or
change the tag, with a reason), a diarienummer, or the time an item was removed from the platform.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path

import click

from smarchive.errors import SmarchiveError

ROLE_OF_KIND = {"review": "archivist", "registered": "registrar", "removed": "communicator"}


def _categories(pipeline_name: str) -> set[str]:
    from smarchive.config import load_pipeline
    from smarchive.retention.tag import RetentionEngine

    pipeline = load_pipeline(pipeline_name)
    return set(RetentionEngine.load(pipeline.retention_dir, profile=pipeline.retention_profile).categories)


def _when(value: str) -> datetime:
    if value == "now":
        return datetime.now(UTC)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise SmarchiveError(f"--removed-at {value!r}: give an ISO time with its zone "
                             "(2024-05-02T14:00+02:00) or `now`") from None


@click.command("decide")
@click.argument("item_id")
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
@click.option("--pipeline", "pipeline_name", default="sandbox", show_default=True,
              help="Pipeline whose retention rules give the categories.")
@click.option("--platform", help="The item's platform, if its id is on several.")
@click.option("--by", "by", help="Who decides (default: the user running the command).")
@click.option("--confirm", is_flag=True, help="Confirm the tag as it stands (a review; needs --reason).")
@click.option("--category", help="Change the category (a category id of the rules).")
@click.option("--retention", type=click.Choice(["preserve", "cull-eligible"]), help="Change the retention.")
@click.option("--cull-from", "cull_from", type=click.DateTime(["%Y-%m-%d"]), help="First day it may be culled.")
@click.option("--action", "actions", multiple=True,
              type=click.Choice(["register", "remove", "report-police", "refer-servicecenter"]),
              help="The actions (repeatable; replaces the tag's). --no-actions for none.")
@click.option("--no-actions", is_flag=True, help="No actions at all.")
@click.option("--access", type=click.Choice(["open", "restricted"]), help="Change the access.")
@click.option("--reason", default="", help="Why (required for a review).")
@click.option("--diarienummer", help="Record that the item is registered under this number (KS 2024-00123).")
@click.option("--removed-at", "removed_at", help="Record when the item was removed from the platform (ISO or now).")
def decide_command(item_id: str, archive: Path, pipeline_name: str, platform: str | None, by: str | None,
                   confirm: bool, category: str | None, retention: str | None, cull_from: datetime | None,
                   actions: tuple[str, ...], no_actions: bool, access: str | None, reason: str,
                   diarienummer: str | None, removed_at: str | None) -> None:
    """Record a decision about ITEM_ID: a review, a diarienummer or a removal from the platform (append-only)."""
    from smarchive.archive import decisions
    from smarchive.archive.ledger import new_session_id, recording
    from smarchive.archive.query import connect

    changes = (category, retention, cull_from, access) != (None,) * 4 or actions or no_actions
    kinds = [k for k, given in (("review", confirm or changes), ("registered", diarienummer is not None),
                                ("removed", removed_at is not None)) if given]
    if len(kinds) != 1:
        raise SmarchiveError("give one decision: --confirm or a change (--retention, --category, --action, "
                             "--access, --cull-from), or --diarienummer, or --removed-at")
    if confirm and changes:
        raise SmarchiveError("--confirm keeps the tag as it stands: leave out the changes, or --confirm")
    if category is not None and category not in (known := _categories(pipeline_name)):
        raise SmarchiveError(f"unknown category {category!r} (categories: {', '.join(sorted(known))})")
    if not (archive / "manifest").is_dir():
        raise SmarchiveError(f"no manifest in {archive} (run `smarchive capture` first, or pass --archive)")
    kind = kinds[0]
    who = by or getpass.getuser()
    con = connect(archive)
    try:
        row = decisions.find_item(con, item_id, platform)
    finally:
        con.close()
    if kind == "review":
        decision = decisions.review(row, who, ROLE_OF_KIND[kind], reason, category=category, retention=retention,
                                    cull_from=cull_from.date() if cull_from else None,
                                    actions=[] if no_actions else (list(actions) or None), access=access)
    elif kind == "registered":
        decision = decisions.registered(row, who, ROLE_OF_KIND[kind], diarienummer or "", reason)
    else:
        decision = decisions.removed(row, who, ROLE_OF_KIND[kind], _when(removed_at or ""), reason)
    with recording(archive, new_session_id("decide")):
        path = decisions.record(archive, decision)
    click.echo(f"{kind} of {row['platform']} {row['item_id']} by {who} recorded -> {path}")
