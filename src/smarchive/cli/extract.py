"""`smarchive extract`: the adapter extraction over WARCs (and WACZs) recorded elsewhere, with its checks."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from smarchive.cli.common import EXIT_FAILED, check_year
from smarchive.errors import SmarchiveError
from smarchive.model import Account

PLATFORM_IDS = {  # what a platform's own id of an account looks like
    "youtube": re.compile(r"^UC[\w-]{22}$"),
    "linkedin": re.compile(r"^urn:li:(organization|company|fsd_company):\d+$"),
    "facebook": re.compile(r"^\d{6,}$"),
    "instagram": re.compile(r"^\d{4,}$"),
}
URL_PREFIXES = ("channel/", "company/", "c/", "user/")  # path words before a handle or id in a profile URL


@click.command("extract")
@click.argument("warcs", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--year", type=int, required=True, help="Calendar year to extract (Europe/Stockholm time).")
@click.option("--account", "account_id", help="An account of the pipeline's register.")
@click.option("--pipeline", "pipeline_name", default="orebro", show_default=True,
              help="With --account: the pipeline whose register holds it (and whose [coverage] applies).")
@click.option("--platform", help="With --owner: the platform the WARCs were recorded on.")
@click.option("--owner", help="With --platform: the account by handle, platform id (page id, UC…, user id, "
                              "urn:li:organization:…) or profile URL.")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the items as JSON lines (the manifest's fields) to this file.")
def extract_command(warcs: tuple[Path, ...], year: int, account_id: str | None, pipeline_name: str,
                    platform: str | None, owner: str | None, out_path: Path | None) -> None:
    """Read the items of YEAR from WARCS recorded elsewhere (Browsertrix, warcprox, Heritrix, ...).

    Prints the platform's counts against what was read (coverage) and the answers not understood; exits 1
    if the items fall short of the platform's counts beyond tolerance.
    """
    from smarchive.extract.coverage import DEFAULT_TOLERANCE
    from smarchive.extract.elsewhere import check_files, extract_files
    from smarchive.platforms import get_adapter

    check_year(year)
    account, tolerance = resolve_account(account_id, pipeline_name, platform, owner, DEFAULT_TOLERANCE)
    check_files(list(warcs))
    adapter = get_adapter(account.platform)
    if adapter is None:
        raise SmarchiveError(f"smarchive has no adapter for platform {account.platform}")
    found = extract_files(adapter, list(warcs), account, year, tolerance)
    if out_path is not None:
        write_jsonl(out_path, found.extraction.items, account, year)
    report(found, account, year, len(warcs), out_path)
    if found.coverage.incomplete:
        sys.exit(EXIT_FAILED)


def resolve_account(account_id: str | None, pipeline_name: str, platform: str | None, owner: str | None,
                    default_tolerance: float) -> tuple[Account, float]:
    """The account the WARCs are of: from the register (--account) or named directly (--platform, --owner)."""
    if account_id and (platform or owner):
        raise SmarchiveError("give either --account, or --platform with --owner, not both")
    if account_id:
        from smarchive.config import load_pipeline

        pipeline = load_pipeline(pipeline_name)
        (account,) = pipeline.select((account_id,))
        return account, pipeline.tolerance(account.platform)
    if not platform or not owner:
        raise SmarchiveError("name the account: --account ID (of the pipeline's register), or --platform P "
                             "--owner HANDLE|PLATFORM-ID|PROFILE-URL")
    from smarchive.config import PLATFORMS

    if platform not in PLATFORMS:
        raise SmarchiveError(f"unknown platform {platform!r} (known: {', '.join(sorted(PLATFORMS))})")
    return owner_account(platform, owner), default_tolerance


def owner_account(platform: str, owner: str) -> Account:
    """An account named by its handle (@ optional), its platform id, or its profile URL."""
    owner = owner.strip()
    url = owner if owner.startswith(("http://", "https://")) else ""
    if url:
        path = urlsplit(url).path.strip("/")
        for prefix in URL_PREFIXES:
            path = path.removeprefix(prefix)
        owner = path.split("/")[0]
        if not owner:
            raise SmarchiveError(f"--owner {url}: no account in the URL's path")
    owner = owner.removeprefix("@")
    pattern = PLATFORM_IDS.get(platform)
    is_id = bool(pattern and pattern.match(owner))
    return Account(id=f"{platform}-{owner.rsplit(':', 1)[-1]}", platform=platform, name=owner, url=url,
                   handle="" if is_id else owner, platform_id=owner if is_id else "")


def write_jsonl(path: Path, items: list, account: Account, year: int) -> None:  # noqa: ANN001 (list of Item)
    from smarchive.extract.elsewhere import item_row

    tmp = path.with_name(f".{path.name}.part")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            for item in items:
                f.write(json.dumps(item_row(item, account, year), ensure_ascii=False) + "\n")
        os.replace(tmp, path)  # a half-written file never carries the final name
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise SmarchiveError(f"cannot write {path}: {e.strerror or e}") from None


def report(found, account: Account, year: int, files: int, out_path: Path | None) -> None:  # noqa: ANN001
    counts: dict[str, int] = {}
    for item in found.extraction.items:
        counts[item.item_type] = counts.get(item.item_type, 0) + 1
    kinds = ", ".join(f"{counts.get(k, 0)} {k}s" for k in ("post", "comment", "reply")).replace("replys", "replies")
    lines = [f"{account.id} ({account.platform}), {year}: {len(found.extraction.items)} items ({kinds}) "
             f"from {found.responses} responses in {files} file(s)"]
    covered = found.coverage
    status = "INCOMPLETE" if covered.incomplete else "complete"
    lines.append(f"coverage: {covered.summary()} -> {status} (tolerance {covered.tolerance:.0%})"
                 if covered.rows or covered.posts_shown else "coverage: the answers show no counts to compare with")
    lines += [f"  short: {line}" for line in covered.worst()]
    lines.append(f"warnings: {len(found.warnings)}")
    lines += [f"  - {w}" for w in found.warnings]
    if out_path is not None:
        lines.append(f"items -> {out_path}")
    click.echo("\n".join(lines))
