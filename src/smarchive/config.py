"""Pipelines and the account register, read from TOML in pipelines/.

A pipeline named on the command line (`--pipeline sandbox`) is looked up in $SMARCHIVE_PIPELINES, then in
the checkout's pipelines/ folder, then in the copy shipped inside the package (data/pipelines/), so an
installed wheel runs the embedded sandbox and has the register template without a checkout.

A pipeline file names a job (operator, retention profile, storage) and its accounts, inline as
[[account]] tables and/or from a register file (`accounts_file`). Everything is validated on load,
so a typo stops the run before a browser starts, with one line naming the file and the problem.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smarchive.account_ids import ids_path, read_ids, with_known_ids
from smarchive.errors import ConfigError
from smarchive.model import PLATFORMS, UNCAPTURED, Account

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The pipelines shipped in the package (same files as the checkout's pipelines/, kept equal by a test).
PACKAGE_PIPELINES = Path(__file__).resolve().parent / "data" / "pipelines"
# The retention rules are package data (same folder as smarchive.retention.tag.DEFAULT_RETENTION_DIR).
PACKAGE_RULES = Path(__file__).resolve().parent / "retention" / "rules"
JOB_KEYS = {"name", "description", "operator", "accounts_file", "accounts", "sandbox", "retention",
            "retention_profile", "year_timezone"}
ACCOUNT_KEYS = {"id", "platform", "name", "url", "handle", "confirmed", "archivable", "reason", "notes",
                "platform_id"}
TOP_KEYS = {"job", "account", "storage", "sandbox", "seal", "coverage", "scaleout", "delivery"}
# [delivery] objid: the template of a delivered package's OBJID (its folder's name). Fields: {year}, {seq} (the
# year's delivery number, 1 for the first package of the year; a format spec such as {seq:03d} is allowed),
# {account} (with --per-account) and {uuid}. The default keeps the E-ARK habit of a UUID.
DEFAULT_OBJID = "uuid-{uuid}"
OBJID_FIELDS = {"year", "seq", "account", "uuid"}
# An OBJID names a folder (and a .tar/.zip) on any file system: letters, digits, '.', '_' and '-', no leading dot.
OBJID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
SEAL_FILES = {"key", "cert", "ca", "tsa_ca", "tsa_cert"}  # [seal] keys naming files
SEAL_KEYS = SEAL_FILES | {"key_password_env", "tsa_url", "tsa_timeout"}


@dataclass
class Pipeline:
    name: str
    path: Path
    description: str = ""
    operator: str = ""
    accounts: list[Account] = field(default_factory=list)
    sandbox: dict[str, Any] | None = None  # sandbox settings when the job runs on the embedded sandbox
    storage: dict[str, Any] = field(default_factory=dict)
    retention_dir: Path = PACKAGE_RULES
    retention_profile: str = "orebro"
    seal: dict[str, Any] = field(default_factory=dict)  # [seal]: signing key and TSA (docs/fixity.md), files resolved
    # [coverage]: per platform (or "default"), the fraction of the platform's own count of comments and replies
    # that may be missing before an account is incomplete (see smarchive.extract.coverage).
    coverage: dict[str, float] = field(default_factory=dict)
    # [scaleout]: broker (distributed mode), browsers (per-platform limit of browsers at once), backoff (seconds
    # every browser on a platform waits after a 429 on one of them), login_wall_backoff (the same after a login
    # wall); see smarchive.scaleout.courtesy.
    scaleout: dict[str, Any] = field(default_factory=dict)
    objid: str = DEFAULT_OBJID  # [delivery] objid: the template of a delivered package's OBJID

    def tolerance(self, platform: str) -> float:
        """The coverage tolerance of a platform: [coverage] PLATFORM, else [coverage] default, else 0 on the
        sandbox (its counts are exact) and 2 % on the real platforms."""
        fallback = 0.0 if self.sandbox is not None else 0.02
        return self.coverage.get(platform, self.coverage.get("default", fallback))

    def select(self, account_ids: tuple[str, ...]) -> list[Account]:
        """The accounts to run: all of them, or those named (unknown names are an error)."""
        if not account_ids:
            return list(self.accounts)
        known = {a.id: a for a in self.accounts}
        unknown = [a for a in account_ids if a not in known]
        if unknown:
            raise ConfigError(
                f"unknown account {', '.join(unknown)} in pipeline {self.name} "
                f"(known: {', '.join(sorted(known))})"
            )
        return [known[a] for a in account_ids]

    def with_known_ids(self, accounts: list[Account], archive: Path) -> list[Account]:
        """`accounts` with the platform ids earlier captures resolved (ARCHIVE/accounts-ids/NAME.toml) filled
        in where the register gives none: ownership is then decided on the id (see smarchive.account_ids)."""
        return with_known_ids(accounts, read_ids(ids_path(archive, self.name)))


def pipelines_dir() -> Path:
    """The first folder pipelines are looked up in (where a user puts their own)."""
    return pipelines_dirs()[0]


def pipelines_dirs() -> list[Path]:
    """The folders a pipeline NAME is looked up in, first match wins: $SMARCHIVE_PIPELINES, the checkout's
    pipelines/, the package's own. An installed wheel has no checkout (PROJECT_ROOT is then site-packages'
    parent), so only the package folder answers there."""
    dirs = [Path(os.environ["SMARCHIVE_PIPELINES"])] if os.environ.get("SMARCHIVE_PIPELINES") else []
    dirs += [PROJECT_ROOT / "pipelines", PACKAGE_PIPELINES]
    return [d for i, d in enumerate(dirs) if d not in dirs[:i]]


def available_pipelines() -> list[str]:
    return sorted({p.stem for d in pipelines_dirs() for p in d.glob("*.toml") if p.stem != "accounts"})


def resolve_pipeline(name_or_path: str) -> Path:
    """A pipeline by name (pipelines/NAME.toml) or by path to a TOML file."""
    if name_or_path.endswith(".toml") or os.sep in name_or_path:
        path = Path(name_or_path)
        if not path.is_file():
            raise ConfigError(f"pipeline file not found: {path}")
        return path
    for folder in pipelines_dirs():
        path = folder / f"{name_or_path}.toml"
        if path.is_file():
            return path
    raise ConfigError(
        f"unknown pipeline {name_or_path!r} (available: {', '.join(available_pipelines()) or 'none'})"
    )


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"invalid TOML in {path}: {e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"invalid TOML in {path}: not UTF-8 text") from None


def _check_keys(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        names = ", ".join(k if len(k) <= 40 else k[:40] + "…" for k in unknown[:5])
        raise ConfigError(f"{where}: unknown key {names} (allowed: {', '.join(sorted(allowed))})")


def parse_account(table: Any, where: str) -> Account:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: an [[account]] entry must be a table")
    _check_keys(table, ACCOUNT_KEYS, where)
    for key in ("id", "platform", "name"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise ConfigError(f"{where}: account needs a non-empty string {key!r}")
    where = f"{where} account {table['id']!r}"
    if table["platform"] not in PLATFORMS:
        raise ConfigError(f"{where}: unknown platform {table['platform']!r} (known: {', '.join(sorted(PLATFORMS))})")
    archivable = table.get("archivable", table["platform"] not in UNCAPTURED)
    if not isinstance(archivable, bool):
        raise ConfigError(f"{where}: 'archivable' must be true or false")
    if archivable and not isinstance(table.get("url"), str):
        raise ConfigError(f"{where}: an archivable account needs a 'url'")
    if not archivable and not str(table.get("reason", "")).strip():
        raise ConfigError(f"{where}: an account that is not archivable needs a 'reason'")
    return Account(
        id=table["id"],
        platform=table["platform"],
        name=table["name"],
        url=str(table.get("url", "")),
        handle=str(table.get("handle", "")),
        platform_id=str(table.get("platform_id", "")),  # the operator's word wins over accounts-ids/ (#12)
        confirmed=bool(table.get("confirmed", False)),
        archivable=archivable,
        reason=str(table.get("reason", "")),
    )


def _relative(base: Path, value: str, where: str) -> Path:
    """A file a pipeline refers to. It must lie beside the pipeline (its folder or below) or in the project:
    a pipeline cannot make smarchive read arbitrary files of the machine."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: must be a path (a non-empty string)")
    path = (base.parent / value).resolve()
    allowed = [base.resolve().parent, PROJECT_ROOT]
    if not any(path == root or root in path.parents for root in allowed):
        raise ConfigError(f"{where}: {value} is outside the pipeline's folder and the project; "
                          "keep referenced files beside the pipeline")
    if not path.exists():
        raise ConfigError(f"{where}: {value} not found (looked at {path})")
    return path


def parse_seal(table: Any, path: Path) -> dict[str, Any]:
    """[seal]: files relative to the pipeline, or absolute (a signing key usually lives in a protected folder)."""
    where = f"{path} [seal]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    _check_keys(table, SEAL_KEYS, where)
    seal = dict(table)
    for key in SEAL_FILES & set(table):
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where} {key}: must be a path (a non-empty string)")
        file = (path.parent / value).resolve()
        if not file.is_file():
            raise ConfigError(f"{where} {key}: {value} not found (looked at {file})")
        seal[key] = file
    if ("key" in seal) != ("cert" in seal):
        raise ConfigError(f"{where}: signing needs both 'key' and 'cert'")
    if "tsa_url" in seal and not str(seal["tsa_url"]).startswith(("http://", "https://")):
        raise ConfigError(f"{where} tsa_url: must be an http:// or https:// URL")
    return seal


def load_pipeline(name_or_path: str) -> Pipeline:
    path = resolve_pipeline(name_or_path)
    data = read_toml(path)
    _check_keys(data, TOP_KEYS, str(path))
    job = data.get("job", {})
    if not isinstance(job, dict):
        raise ConfigError(f"{path}: [job] must be a table")
    _check_keys(job, JOB_KEYS, f"{path} [job]")
    accounts = [parse_account(t, str(path)) for t in data.get("account", [])]
    if "accounts_file" in job:
        register = _relative(path, job["accounts_file"], f"{path} [job] accounts_file")
        reg_data = read_toml(register)
        _check_keys(reg_data, {"account"}, str(register))
        accounts += [parse_account(t, str(register)) for t in reg_data.get("account", [])]
    ids = [a.id for a in accounts]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(f"{path}: account id listed twice: {', '.join(duplicates)}")
    if not accounts:
        raise ConfigError(f"{path}: the pipeline has no accounts")
    sandbox = data.get("sandbox") if job.get("sandbox", False) else None
    retention = job.get("retention")
    retention_dir = _relative(path, retention, f"{path} [job] retention") if retention else PACKAGE_RULES
    coverage = parse_coverage(data.get("coverage", {}), f"{path} [coverage]")
    return Pipeline(
        name=str(job.get("name", path.stem)),
        path=path,
        description=str(job.get("description", "")),
        operator=str(job.get("operator", "")),
        accounts=accounts,
        sandbox=dict(sandbox or {}) if job.get("sandbox", False) else None,
        storage=dict(data.get("storage", {})),
        retention_dir=retention_dir,
        retention_profile=str(job.get("retention_profile", "orebro")),
        seal=parse_seal(data.get("seal", {}), path),
        coverage=coverage,
        scaleout=parse_scaleout(data.get("scaleout", {}), f"{path} [scaleout]"),
        objid=parse_delivery(data.get("delivery", {}), f"{path} [delivery]"),
    )


def template_fields(template: str) -> set[str]:
    """The {fields} a format template names ("SE-{year}-{seq:03d}" -> {"year", "seq"})."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def parse_delivery(table: Any, where: str) -> str:
    """[delivery] objid = "SE-ORE-SM-{year}-{seq:03d}": checked now, so a bad template stops before any work."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    _check_keys(table, {"objid"}, where)
    template = table.get("objid", DEFAULT_OBJID)
    if not isinstance(template, str) or not template.strip():
        raise ConfigError(f"{where} objid: a template such as \"SE-ORE-SM-{{year}}-{{seq:03d}}\", not {template!r}")
    try:
        unknown = sorted(template_fields(template) - OBJID_FIELDS)
        if unknown:
            raise ConfigError(f"{where} objid: unknown field {{{unknown[0]}}} in {template!r} (fields: "
                              f"{', '.join('{' + f + '}' for f in sorted(OBJID_FIELDS))})")
        sample = template.format(year=2024, seq=1, account="facebook-example", uuid=uuid.UUID(int=0))
    except (ValueError, IndexError, KeyError) as e:
        raise ConfigError(f"{where} objid: {template!r} is not a valid template ({e})") from None
    if not OBJID_PATTERN.match(sample):
        raise ConfigError(f"{where} objid: {template!r} gives {sample!r}, not a valid OBJID (letters, digits, "
                          "'.', '_', '-'; it names the package's folder)")
    return template


def parse_coverage(table: Any, where: str) -> dict[str, float]:
    """[coverage] default = 0.02, facebook = 0.05, ...: fractions between 0 and 1, per platform."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    _check_keys(table, set(PLATFORMS) | {"default"}, where)
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ConfigError(f"{where}: {key} must be a fraction between 0 and 1 (0.02 = 2 %), not {value!r}")
    return {k: float(v) for k, v in table.items()}


def parse_scaleout(table: Any, where: str) -> dict[str, Any]:
    """[scaleout] broker = "redis://…", backoff = 60, login_wall_backoff = 600, [scaleout.browsers] default = 4, ..."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    _check_keys(table, {"broker", "backoff", "login_wall_backoff", "browsers"}, where)
    if "broker" in table and not str(table["broker"]).startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"{where} broker: expected a Redis URL, redis://HOST:PORT/DB, not {table['broker']!r}")
    for key in ("backoff", "login_wall_backoff"):
        seconds = table.get(key, 0)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ConfigError(f"{where} {key}: seconds (a number, 0 or more), not {seconds!r}")
    browsers = table.get("browsers", {})
    if not isinstance(browsers, dict):
        raise ConfigError(f"{where} browsers must be a table (platform = number of browsers at once)")
    _check_keys(browsers, set(PLATFORMS) | {"default"}, f"{where} browsers")
    for key, value in browsers.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{where} browsers: {key} must be a whole number of browsers, 1 or more, not {value!r}")
    return dict(table)
