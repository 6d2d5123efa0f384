"""The OBJIDs of the packages of one delivery, from the pipeline's template (`[delivery] objid`).

An OBJID names the package (METS `@OBJID`, CSIP1) and its folder, and an archive files the package under it:
it must be new. Every id is made and checked before anything is written, so a template that gives an id
already delivered (the manifest's `deliveries` table), or the same id twice in one delivery, is refused
with one line and nothing half-written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import duckdb

from smarchive.config import DEFAULT_OBJID, OBJID_PATTERN, template_fields
from smarchive.errors import SmarchiveError


def make_objids(template: str, year: int, accounts: list[str | None], recorded: set[str], year_count: int,
                new_uuid: Callable[[], uuid.UUID] = uuid.uuid4) -> list[str]:
    """One OBJID per package: `accounts` holds each package's account (None for a package of all accounts).

    {seq} counts the year's packages: the first package ever delivered of the year is 1, and a later delivery
    goes on from the number of packages the `deliveries` table records for the year (`year_count`)."""
    template = template or DEFAULT_OBJID
    if "account" in template_fields(template) and None in accounts:
        raise SmarchiveError(f"[delivery] objid {template!r} uses {{account}}: deliver with --per-account, or drop "
                             "{account} from the template")
    made: list[str] = []
    for n, account in enumerate(accounts, 1):
        objid = template.format(year=year, seq=year_count + n, account=account or "", uuid=new_uuid())
        if not OBJID_PATTERN.match(objid):
            raise SmarchiveError(f"[delivery] objid {template!r} gives {objid!r}: not a valid OBJID (letters, "
                                 "digits, '.', '_', '-', no leading dot)")
        if objid in recorded:
            raise SmarchiveError(f"OBJID {objid} was delivered before (the deliveries table has it): an OBJID "
                                 "names one package only; give [delivery] objid a {seq} or {uuid}")
        if objid in made:
            raise SmarchiveError(f"[delivery] objid {template!r} gives {objid} to two packages of this delivery: "
                                 "add {account} or {seq}")
        made.append(objid)
    return made


def recorded_objids(con: duckdb.DuckDBPyConnection, year: int) -> tuple[set[str], int]:
    """Every OBJID the archive has delivered, and how many packages of `year` it has delivered."""
    rows = con.sql("SELECT objid, year FROM deliveries").fetchall()
    return {objid for objid, _ in rows}, sum(1 for _, y in rows if y == year)
