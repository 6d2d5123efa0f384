"""What a run tells the operator when it is done: a short, plain summary on stdout."""

from __future__ import annotations

from collections.abc import Sequence

import click

from smarchive.pipeline import RunReport

PLURAL = {"post": "posts", "comment": "comments", "reply": "replies"}


def format_table(header: Sequence[str], rows: Sequence[Sequence[object]], max_width: int = 60) -> str:
    def cell(value: object) -> str:
        text = "" if value is None else str(value).replace("\n", " ")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cell(h) for h in header]] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines + [f"({len(rows)} row{'s' if len(rows) != 1 else ''})"])


def coverage_lines(report: RunReport) -> list[str]:
    """Per account, the platform's own counts against what was captured."""
    lines = [f"  {o.account.id}: {o.coverage}" + (" (INCOMPLETE)" if o.status == "incomplete" else "")
             for o in report.outcomes if o.coverage]
    return ["coverage:"] + lines if lines else []


def print_summary(report: RunReport) -> None:
    secs = (report.finished_at - report.started_at).total_seconds() if report.finished_at else 0
    rows = []
    for o in report.outcomes:
        items = ", ".join(f"{o.items[t]} {PLURAL[t]}" for t in PLURAL if t in o.items) or "-"
        rows.append([o.account.id, o.account.platform, o.status, items, o.media, len(o.warnings), o.message])
    total_items = sum(sum(o.items.values()) for o in report.outcomes)
    total_media = sum(o.media for o in report.outcomes)
    warnings = [f"{o.account.id}: {w}" for o in report.outcomes for w in o.warnings]
    out = [
        f"smarchive run {report.run_id}  pipeline={report.pipeline}  year={report.year}  ({secs:.0f} s)",
        "",
        format_table(["account", "platform", "status", "items", "media", "warnings", "note"], rows),
        "",
        f"accounts: {len(report.outcomes)} ({sum(o.status == 'captured' for o in report.outcomes)} captured, "
        f"{len(report.failed)} failed, {len(report.incomplete)} incomplete, "
        f"{sum(o.status == 'skipped' for o in report.outcomes)} skipped)",
        f"items:    {total_items}",
        f"media:    {total_media} files",
    ]
    out += coverage_lines(report) + [f"warnings: {len(warnings)}"]
    out += [f"  - {w}" for w in warnings[:20]]
    if len(warnings) > 20:
        out.append(f"  ... and {len(warnings) - 20} more (see the log)")
    out += [
        "",
        f"archive:  {report.archive}",
        f"  WARC:     {report.archive / 'warc' / str(report.year)}",
        f"  media:    {report.archive / 'media'}",
        f"  manifest: {report.archive / 'manifest'} ({len(report.manifest_files)} file(s) written)",
        f"  log:      {report.log_file}",
        f"query it:  smarchive query --archive {report.archive} \"SELECT item_type, tag_category, count(*) "
        f"FROM items GROUP BY ALL\"",
    ]
    out += [f"FAILED: {o.account.id}: {o.message}" for o in report.failed]
    out += [f"INCOMPLETE: {o.account.id}: {o.message}" for o in report.incomplete]
    click.echo("\n".join(out))
