"""Reconciliation of an imported export with the capture of the same account and year.

The rule is the saved query `reconcile` (src/smarchive/data/saved_queries.toml): by the platform's id where the
export has one, else by time and text. This module runs it for one account and summarises it for the report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from smarchive.archive.query import connect, execute, saved_query


@dataclass
class Reconciliation:
    rows: list[dict] = field(default_factory=list)
    captured_years: set[int] = field(default_factory=set)  # the years of the account that a capture holds


    def of(self, finding: str) -> list[dict]:
        return [r for r in self.rows if r["finding"] == finding]

    def missed(self, year: int | None = None) -> list[dict]:
        """What the export has and the capture missed (of one year): the coverage gaps. Only in years a capture
        holds: a year never captured has no coverage to fall short of (everything is missed-by-capture in the
        saved query, but nothing is incomplete)."""
        return [r for r in self.of("missed-by-capture")
                if r["year"] in self.captured_years and (year is None or r["year"] == year)]

    def summary(self) -> str:
        counts = Counter(r["finding"] for r in self.rows)
        expected = sum(1 for r in self.of("missing-from-export") if r["expected"])
        return (f"{counts['missed-by-capture']} missed by the capture, {counts['missing-from-export']} missing from "
                f"the export ({expected} of them others' comments, expected), {counts['text-differs']} with "
                f"different text, {counts['unplaced']} comment(s) of posts the export does not name and no capture "
                "holds (unplaced)")


def reconcile(archive: Path, platform: str, account: str, years: list[int]) -> Reconciliation:
    """The saved query's findings for one account, in the given years."""
    sql = (f"SELECT * FROM ({saved_query('reconcile')}) WHERE platform = $platform AND account = $account "
           "AND list_contains($years, year)")
    con = connect(archive)
    try:
        table = execute(con, sql, {"year": None, "platform": platform, "account": account, "years": years})
        captured = con.execute("SELECT DISTINCT year FROM items WHERE source = 'capture' AND platform = ? AND "
                               "account = ? AND list_contains(?, year)", [platform, account, years]).fetchall()
    finally:
        con.close()
    return Reconciliation(table.to_pylist(), {y for (y,) in captured})


GAP_KIND = "missed-by-capture"


def gap_rows(reconciliation: Reconciliation, year: int, post_of: dict[str, str], export_file: str) -> list[dict]:
    """The capture's coverage rows of one year that the import found (manifest `coverage`, kind
    `missed-by-capture`): one per exported item the capture missed, reported 1, captured 0, shortfall 1.
    `post_of` gives the manifest post_id of an exported item (item_id -> post_id)."""
    rows = []
    for r in reconciliation.missed(year):
        item_id = r["export_item_id"]
        rows.append({"post_id": post_of.get(item_id, item_id), "permalink": r["permalink"] or "", "kind": GAP_KIND,
                     "comment_id": item_id if r["item_type"] != "post" else "", "reported": 1, "captured": 0,
                     "shortfall": 1, "reason": f"{r['item_type']} in the platform's export, not in the capture",
                     "source_url": export_file, "source_record_id": r["export_member"] or ""})
    return rows
