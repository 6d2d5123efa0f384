"""Who may use the workbench: users.toml, kept by the municipality, with argon2 password hashes.

Default place: `<archive>/workbench/users.toml` (the archive is the one place smarchive writes; the folder is
working configuration, not archive content, so the fixity ledger leaves it alone). `--users FILE` or
`$SMARCHIVE_USERS` put it elsewhere. Written atomically with mode 0600:

    [users.anna]
    role = "archivist"
    password = "$argon2id$v=19$m=65536,t=3,p=4$..."

Roles: `reader` sees open items only; `archivist` sees restricted items too and decides (reviews);
`registrar` sees restricted items too and records diarienummer and removals.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from smarchive.errors import SmarchiveError

ROLES = ("reader", "archivist", "registrar")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("smarchive: no such user")


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def sees_restricted(self) -> bool:
        return self.role in ("archivist", "registrar")

    def may(self, kind: str) -> bool:
        """May this user record a decision of `kind` (smarchive.archive.decisions.KINDS)?"""
        return {"review": self.role == "archivist",
                "registered": self.role in ("registrar", "archivist"),
                "removed": self.role in ("registrar", "archivist")}.get(kind, False)


def users_path(archive: Path, given: Path | None = None) -> Path:
    if given is not None:
        return given
    if os.environ.get("SMARCHIVE_USERS"):
        return Path(os.environ["SMARCHIVE_USERS"])
    return archive / "workbench" / "users.toml"


def load(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SmarchiveError(f"cannot read the users file {path}: {e}") from None
    users = data.get("users", {})
    for name, entry in users.items():
        if entry.get("role") not in ROLES or not str(entry.get("password", "")).startswith("$argon2"):
            raise SmarchiveError(f"users file {path}: user {name!r} needs a role ({', '.join(ROLES)}) "
                                 "and an argon2 password hash")
    return users


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def save(path: Path, users: dict[str, dict]) -> None:
    """Write the file atomically, readable by its owner only (it holds password hashes)."""
    lines = ["# smarchive workbench users (smarchive user add NAME --role ROLE). Passwords are argon2 hashes.", ""]
    for name in sorted(users):
        lines += [f"[users.{_toml_string(name)}]", f"role = {_toml_string(users[name]['role'])}",
                  f"password = {_toml_string(users[name]['password'])}", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def add(path: Path, name: str, role: str, password: str) -> None:
    if not NAME.match(name):
        raise SmarchiveError(f"user name {name!r}: lower-case letters, digits, '.', '_' or '-' (at most 64)")
    if role not in ROLES:
        raise SmarchiveError(f"role {role!r}: one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise SmarchiveError(f"the password needs at least {MIN_PASSWORD} characters")
    users = load(path)
    users[name] = {"role": role, "password": _HASHER.hash(password)}
    save(path, users)


def remove(path: Path, name: str) -> None:
    users = load(path)
    if name not in users:
        raise SmarchiveError(f"no user {name!r} in {path}")
    del users[name]
    save(path, users)


def authenticate(path: Path, name: str, password: str) -> User | None:
    """The user if the password is right, else None (in about the same time either way)."""
    entry = load(path).get(name)
    try:
        _HASHER.verify(entry["password"] if entry else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return User(name, entry["role"]) if entry else None


def current(path: Path, name: str) -> User | None:
    """The user as the file says now (a removed user, or a changed role, counts from the next request)."""
    entry = load(path).get(name)
    return User(name, entry["role"]) if entry else None
