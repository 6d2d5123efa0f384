"""Seals: the fixity ledger's state at a moment, digested, signed and time-stamped.

A seal is a folder `seals/<seal id>/`:

    seal.json   what is sealed: for every ledger file its size and SHA-256 at that moment (the ledger is
                append-only, so later lines never change what was sealed), and the SHA-256 of the state
                those lines give (one `path<TAB>sha256<TAB>size` line per file, sorted)
    seal.p7s    a detached CMS signature of seal.json (DER), made with the municipality's key, if configured
    seal.tsq    the RFC 3161 time-stamp request sent for seal.json, if a TSA is configured
    seal.tsr    the TSA's reply, holding the time-stamp token

The signing and time-stamping are done with the `openssl` command (cms, ts); the key never leaves it,
and a key passphrase is passed by environment variable name, never on a command line.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smarchive import __version__
from smarchive.archive.ledger import SEALS_DIR, Entry, current_state, ledger_files, parse_lines, state_digest
from smarchive.errors import SmarchiveError

SEAL_FILE, SIGNATURE, TS_QUERY, TS_REPLY = "seal.json", "seal.p7s", "seal.tsq", "seal.tsr"


@dataclass
class SealResult:
    folder: Path
    files: int
    state_sha256: str
    signed: bool = False
    timestamped: bool = False
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        how = ", ".join(w for w, done in (("signed", self.signed), ("time-stamped", self.timestamped)) if done)
        return (f"{self.files} file(s), state sha256 {self.state_sha256[:16]}…, "
                f"{how or 'digest only (no [seal] key or TSA configured)'} -> {self.folder}")


def _openssl(*args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["openssl", *args], capture_output=True, timeout=60)
    except FileNotFoundError:
        raise SmarchiveError("sealing needs the `openssl` command (apt-get install openssl)") from None


def _error(result: subprocess.CompletedProcess) -> str:
    lines = (result.stderr or result.stdout or b"").decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else f"openssl exit {result.returncode}"


def sealed_ledger(archive: Path) -> tuple[list[dict], list[Entry]]:
    """Each ledger file's size and hash now, and the entries they hold."""
    files, entries = [], []
    for path in ledger_files(archive):
        data = path.read_bytes()
        rel = path.relative_to(archive).as_posix()
        files.append({"file": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        entries += parse_lines(data, rel)
    return files, entries


def seal(archive: Path, settings: dict[str, Any] | None, reason: str) -> SealResult:
    """Seal the ledger's current state; sign and time-stamp it as configured ([seal] of the pipeline)."""
    settings = settings or {}
    archive = Path(archive).resolve()
    try:
        files, entries = sealed_ledger(archive)
    except ValueError as e:
        raise SmarchiveError(f"the fixity ledger cannot be sealed: {e}") from None
    state = current_state(entries)
    now = datetime.now(UTC)
    seal_id = now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
    document = {"seal_id": seal_id, "created_at": now.isoformat(timespec="microseconds"), "reason": reason,
                "algorithm": "sha256", "state_sha256": state_digest(state), "files": len(state),
                "bytes": sum(e.size or 0 for e in state.values()), "ledger": files,
                "software": f"smarchive/{__version__}"}
    folder = archive / SEALS_DIR / seal_id
    work = archive / SEALS_DIR / f".{seal_id}.part"
    work.mkdir(parents=True)
    (work / SEAL_FILE).write_bytes(json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))
    result = SealResult(folder, len(state), document["state_sha256"])
    if settings.get("key"):
        result.signed = _sign(work, settings, result.warnings)
    if settings.get("tsa_url"):
        result.timestamped = _timestamp(work, settings, result.warnings)
    for name in os.listdir(work):
        with open(work / name, "rb") as f:
            os.fsync(f.fileno())
    os.replace(work, folder)  # a seal folder appears complete or not at all
    return result


def _sign(work: Path, settings: dict, warnings: list[str]) -> bool:
    args = ["cms", "-sign", "-binary", "-in", str(work / SEAL_FILE), "-signer", str(settings["cert"]),
            "-inkey", str(settings["key"]), "-outform", "DER", "-out", str(work / SIGNATURE)]
    if settings.get("key_password_env"):  # openssl reads the passphrase from the environment itself
        args += ["-passin", f"env:{settings['key_password_env']}"]
    result = _openssl(*args)
    if result.returncode != 0:
        (work / SIGNATURE).unlink(missing_ok=True)
        warnings.append(f"not signed: openssl cms: {_error(result)}")
        return False
    return True


def _timestamp(work: Path, settings: dict, warnings: list[str]) -> bool:
    query = _openssl("ts", "-query", "-data", str(work / SEAL_FILE), "-sha256", "-cert", "-out", str(work / TS_QUERY))
    if query.returncode != 0:
        warnings.append(f"not time-stamped: openssl ts -query: {_error(query)}")
        return False
    request = urllib.request.Request(str(settings["tsa_url"]), data=(work / TS_QUERY).read_bytes(), method="POST",
                                     headers={"Content-Type": "application/timestamp-query"})
    try:
        with urllib.request.urlopen(request, timeout=float(settings.get("tsa_timeout", 30))) as answer:
            reply = answer.read()
    except (urllib.error.URLError, OSError) as e:
        warnings.append(f"not time-stamped: the TSA at {settings['tsa_url']} did not answer: {e}")
        return False
    (work / TS_REPLY).write_bytes(reply)
    status = _openssl("ts", "-reply", "-in", str(work / TS_REPLY), "-text")
    if status.returncode != 0 or b"Status: Granted" not in status.stdout:
        (work / TS_REPLY).unlink()
        warnings.append(f"not time-stamped: the TSA's reply is not a granted time-stamp ({_error(status)})")
        return False
    return True


# ------------------------------------------------------------------------------------------- checking


@dataclass
class SealCheck:
    seals: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def seal_folders(archive: Path) -> list[Path]:
    return sorted(p.parent for p in (Path(archive) / SEALS_DIR).glob(f"*/{SEAL_FILE}"))


def check_seals(archive: Path, settings: dict[str, Any] | None) -> SealCheck:
    """Every seal: the ledger it sealed is unchanged, its signature and time-stamp token verify."""
    settings = settings or {}
    archive = Path(archive)
    check = SealCheck()
    latest: dict | None = None
    for folder in seal_folders(archive):
        check.seals += 1
        name = f"seal {folder.name}"
        try:
            document = json.loads((folder / SEAL_FILE).read_bytes())
        except ValueError as e:
            check.problems.append(f"{name}: {SEAL_FILE} is not readable JSON ({e})")
            continue
        _check_ledger(archive, name, document, check)
        _check_signature(folder, name, settings, check)
        _check_token(folder, name, settings, check)
        if latest is None or document.get("created_at", "") > latest.get("created_at", ""):
            latest = document
    if latest is not None:
        _check_unsealed(archive, latest, check)
    return check


def _check_ledger(archive: Path, name: str, document: dict, check: SealCheck) -> None:
    entries: list[Entry] = []
    for item in document.get("ledger", []):
        path = archive / item["file"]
        if not path.is_file():
            check.problems.append(f"{name}: ledger file {item['file']} is missing")
            return
        with open(path, "rb") as f:
            data = f.read(item["size"])
        if len(data) < item["size"] or hashlib.sha256(data).hexdigest() != item["sha256"]:
            check.problems.append(f"{name}: ledger file {item['file']} was changed after it was sealed "
                                  "(its sealed lines differ)")
            return
        entries += parse_lines(data, item["file"])
    if state_digest(current_state(entries)) != document.get("state_sha256"):
        check.problems.append(f"{name}: the sealed ledger lines do not give the sealed state digest")


def _check_unsealed(archive: Path, latest: dict, check: SealCheck) -> None:
    """Lines added after the latest seal must be dated after it: a line slipped in behind a seal is not."""
    sealed = {item["file"]: item["size"] for item in latest.get("ledger", [])}
    for path in ledger_files(archive):
        rel = path.relative_to(archive).as_posix()
        data = path.read_bytes()[sealed.get(rel, 0):]
        for entry in parse_lines(data, rel):
            if entry.recorded_at <= latest["created_at"]:
                check.problems.append(f"ledger line for {entry.path} in {rel} is dated {entry.recorded_at}, "
                                      f"before seal {latest['seal_id']}, but is not in it")


def _check_signature(folder: Path, name: str, settings: dict, check: SealCheck) -> None:
    if not (folder / SIGNATURE).is_file():
        if settings.get("key"):
            check.notes.append(f"{name}: not signed (sealed before a key was configured, or signing failed)")
        return
    trust = settings.get("ca") or settings.get("cert")
    args = ["cms", "-verify", "-binary", "-inform", "DER", "-in", str(folder / SIGNATURE),
            "-content", str(folder / SEAL_FILE), "-purpose", "any", "-out", os.devnull]
    args += ["-CAfile", str(trust)] if trust else ["-noverify"]
    result = _openssl(*args)
    if result.returncode != 0:
        check.problems.append(f"{name}: signature does not verify ({_error(result)})")
    elif not trust:
        check.notes.append(f"{name}: signature intact, but the signer was not checked ([seal] cert or ca not "
                           "configured)")


def _check_token(folder: Path, name: str, settings: dict, check: SealCheck) -> None:
    if not (folder / TS_REPLY).is_file():
        if settings.get("tsa_url"):
            check.notes.append(f"{name}: not time-stamped (sealed before a TSA was configured, or it did not answer)")
        return
    if not settings.get("tsa_ca"):
        check.notes.append(f"{name}: time-stamp token kept but not checked ([seal] tsa_ca not configured)")
        return
    args = ["ts", "-verify", "-data", str(folder / SEAL_FILE), "-in", str(folder / TS_REPLY),
            "-CAfile", str(settings["tsa_ca"])]
    if settings.get("tsa_cert"):
        args += ["-untrusted", str(settings["tsa_cert"])]
    result = _openssl(*args)
    if result.returncode != 0 or b"OK" not in result.stdout:
        check.problems.append(f"{name}: time-stamp token does not verify against the TSA certificate "
                              f"({_error(result)})")


def token_time(folder: Path) -> str | None:
    """The time the TSA vouched for, as it printed it (for people; verify does not need it)."""
    result = _openssl("ts", "-reply", "-in", str(folder / TS_REPLY), "-text")
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("Time stamp:"):
            return line.split(":", 1)[1].strip()
    return None
