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

    def of(self, finding: str) -> list[dict]:
        return [r for r in self.rows if r["finding"] == finding]

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
    finally:
        con.close()
    return Reconciliation(table.to_pylist())
