"""The accounts' platform ids as the captures resolved them: ARCHIVE/accounts-ids/PIPELINE.toml.

Display names change and are shared ("Örebro kommun" is several accounts); the platform's own id of an
account (Facebook page id, YouTube channel id UC…, Instagram user id, LinkedIn organization URN) does not.
The first capture of an account resolves it from the recorded answers; a run writes it here, and later runs
load it back into Account.platform_id so that ownership is decided on it. The file lives in the archive,
the one place a run writes (the register may be a read-only checkout, shared with other pipelines); the
operator commits it by copying it beside the register, or by adding `platform_id = "…"` to the register,
which always wins over this file.

Format, one table per register id:

    [facebook-orebrokommun]
    platform = "facebook"
    platform_id = "100064420468286"
    handle = "orebrokommun"
    name = "Örebro kommun"
    run_id = "20261204T150000Z-abc123"
    resolved_at = "2026-12-04T15:00:00+00:00"
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from smarchive.errors import ConfigError
from smarchive.model import Account

IDS_DIR = "accounts-ids"
# The platforms whose accounts have an id the adapters resolve (issue #12, item 4); an account of these that
# ends a capture with neither a resolved owner nor a platform_id nor a handle cannot be told from others.
ID_PLATFORMS = ("facebook", "instagram", "youtube", "linkedin")


@dataclass(frozen=True)
class KnownId:
    """One account's resolved identity, as the file keeps it."""

    platform: str
    platform_id: str
    handle: str = ""
    name: str = ""
    run_id: str = ""
    resolved_at: str = ""


def ids_path(archive: Path, pipeline: str) -> Path:
    """Where a pipeline's resolved ids are kept: one file per pipeline (the sandbox's ids never mix with
    the real platforms' ones)."""
    return archive / IDS_DIR / f"{pipeline}.toml"


def read_ids(path: Path) -> dict[str, KnownId]:
    """The file's entries by register id; {} if there is no file yet."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: unreadable account ids ({e}); fix or delete it (the next capture "
                          "resolves the ids again)") from None
    names = {f.name for f in fields(KnownId)}
    known: dict[str, KnownId] = {}
    for account_id, table in data.items():
        if not isinstance(table, dict) or not isinstance(table.get("platform_id"), str) \
                or not isinstance(table.get("platform"), str):
            raise ConfigError(f"{path}: [{account_id}] needs the strings platform and platform_id")
        known[account_id] = KnownId(**{k: str(v) for k, v in table.items() if k in names})
    return known


def render_ids(known: dict[str, KnownId]) -> bytes:
    """The file's text, sorted by register id (a stable diff when the operator commits it)."""
    lines = ["# Platform ids of the accounts, as smarchive's captures resolved them (see README: Account ids).",
             "# Written by each run; the register's own platform_id wins over this file.", ""]
    for account_id in sorted(known):
        lines.append(f"[{_toml_key(account_id)}]")
        for f in fields(KnownId):
            value = getattr(known[account_id], f.name)
            if value:
                # A JSON string is a valid TOML basic string (same escapes), whatever the text holds.
                lines.append(f"{f.name} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    return "\n".join(lines).encode("utf-8")


def _toml_key(key: str) -> str:
    bare = key.replace("-", "").replace("_", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key, ensure_ascii=False)


def with_known_ids(accounts: list[Account], known: dict[str, KnownId]) -> list[Account]:
    """The accounts, with platform_id filled from earlier captures where the register gives none.

    An entry of another platform (the account was moved in the register) is not used."""
    out = []
    for account in accounts:
        entry = known.get(account.id)
        if not account.platform_id and entry and entry.platform == account.platform:
            account = replace(account, platform_id=entry.platform_id)
        out.append(account)
    return out
