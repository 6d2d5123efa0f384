"""One WACZ per account and year: the year's WARCs of the account, with pages.jsonl, for replay.

WACZ (Web Archive Collection Zipped) is what ReplayWeb.page and pywb open directly. It is rebuilt
after each run of the year from every WARC of the account (so it always holds all of them),
written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from smarchive.archive import ledger
from smarchive.archive.warc import SNAPSHOT_SCHEME, iter_headers
from smarchive.errors import SmarchiveError

# The `wacz` tool run by this interpreter, as its console script does. Not the script itself: an installed
# smarchive (pip --user, pipx, a wheel beside borrowed dependencies) need not have it beside sys.executable.
WACZ_COMMAND = (sys.executable, "-c", "import sys; from wacz.main import main; sys.exit(main())")


def wacz_path(archive: Path, year: int, account_id: str) -> Path:
    return archive / "wacz" / str(year) / f"{account_id}.wacz"


def account_warcs(archive: Path, year: int, account_id: str) -> list[Path]:
    """The account's WARCs of the year: <account>-<run id>.warc.gz, and not those of an account whose id
    merely starts with this one (facebook-orebrokommun vs facebook-orebrokommun-teckensprak)."""
    pattern = re.compile(re.escape(account_id) + r"-\d{8}T\d{6}Z-[0-9a-f]+\.warc\.gz")
    return sorted(p for p in (archive / "warc" / str(year)).glob(f"{account_id}-*.warc.gz")
                  if pattern.fullmatch(p.name))


def pages(warcs: list[Path], account_url: str) -> list[dict]:
    """The pages a person would open: the account's page, then every post page that was snapshotted.

    No timestamps: `wacz create` then matches each page to its recorded response by URL.
    """
    found: dict[str, dict] = {account_url: {"url": account_url, "title": "Kontots sida"}}
    for warc in warcs:
        for _, headers in iter_headers(warc):
            uri = headers.get("WARC-Target-URI", "")
            if headers.get("WARC-Type") == "resource" and uri.startswith(SNAPSHOT_SCHEME):
                url = uri.removeprefix(SNAPSHOT_SCHEME)
                found[url] = {"url": url, "title": f"Inlägg {headers.get('WARC-Smarchive-Item', '')}".strip()}
    return [{"id": uuid.uuid5(uuid.NAMESPACE_URL, p["url"]).hex, **p} for p in found.values()]


def package(archive: Path, year: int, account_id: str, account_url: str, title: str) -> Path:
    """Build the account's WACZ for the year from all its WARCs; return its path."""
    warcs = account_warcs(archive, year, account_id)
    if not warcs:
        raise SmarchiveError(f"no WARC of {account_id} for {year} to package")
    out = wacz_path(archive, year, account_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part.wacz")
    with tempfile.TemporaryDirectory() as work:
        pages_file = Path(work) / "pages.jsonl"
        lines = [{"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}] + pages(warcs, account_url)
        pages_file.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), "utf-8")
        command = [*WACZ_COMMAND, "create", "-o", str(tmp), "-p", str(pages_file),
                   "--hash-type", "sha256", "--title", title, *map(str, warcs)]
        result = subprocess.run(command, capture_output=True, text=True, cwd=work)
    if result.returncode != 0 or not tmp.exists():
        tmp.unlink(missing_ok=True)
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise SmarchiveError(f"WACZ packaging of {account_id} {year} failed: {detail[-1] if detail else 'no output'}")
    os.replace(tmp, out)
    ledger.written(out)
    return out
