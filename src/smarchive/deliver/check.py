"""`smarchive verify --package PATH`: a delivered package against its own METS files.

Every file the root METS and the representation METS files list (fileSec, dmdSec and amdSec mdRef, mptr)
is re-hashed and compared with its SIZE and CHECKSUM (SHA-256); a listed file that is missing, a file
whose bytes differ, and a file in the package that no METS lists are each named. The structure (the
folders E-ARK CSIP asks for, one mptr per representation) and the XSDs and Schematron rules are checked
too (validate.py). eark-validator checks no checksum, size or missing file: this does.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

from smarchive.archive.ledger import file_digest
from smarchive.deliver import validate
from smarchive.errors import SmarchiveError

M = "{http://www.loc.gov/METS/}"
HREF = "{http://www.w3.org/1999/xlink}href"
REQUIRED_FOLDERS = ("metadata", "representations", "schemas", "documentation")


@dataclass
class PackageReport:
    files_checked: int = 0
    problems: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)  # failures of rules listed as wrong (validate.WRONG_RULES)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Listed:
    rel: str
    size: int | None
    sha256: str | None
    listed_in: str


def _rel(base: PurePosixPath, href: str) -> str | None:
    """A METS href as a path relative to the package root; None if it leaves the package."""
    href = href.removeprefix("file:")
    parts: list[str] = []
    for part in (base / href).parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def _listed_in(doc: etree._ElementTree, base: PurePosixPath, name: str) -> tuple[list[Listed], list[str]]:
    """Files a METS document lists with their size and checksum, and its representation METS (mptr)."""
    listed, pointers = [], []
    for file in doc.iter(f"{M}file"):
        for loc in file.iter(f"{M}FLocat"):
            listed.append(Listed(_rel(base, loc.get(HREF, "")) or "", _int(file.get("SIZE")), file.get("CHECKSUM"),
                                 name))
    for ref in doc.iter(f"{M}mdRef"):
        listed.append(Listed(_rel(base, ref.get(HREF, "")) or "", _int(ref.get("SIZE")), ref.get("CHECKSUM"), name))
    for mptr in doc.iter(f"{M}mptr"):
        pointers.append(_rel(base, mptr.get(HREF, "")) or "")
    return listed, pointers


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _on_disk(root: Path) -> set[str]:
    found = set()
    for folder, _dirs, names in os.walk(root):
        for name in names:
            found.add((Path(folder) / name).relative_to(root).as_posix())
    return found


def check_package(root: Path, deep: bool = True) -> PackageReport:
    """Everything wrong with the package folder `root`, each problem naming the file."""
    if not root.is_dir():
        raise SmarchiveError(f"no package folder at {root}")
    if not (root / "METS.xml").is_file():
        raise SmarchiveError(f"{root} has no METS.xml: not an E-ARK package")
    report = PackageReport()
    for folder in REQUIRED_FOLDERS:
        if not (root / folder).is_dir():
            report.problems.append(f"structure: no {folder}/ folder (E-ARK CSIP)")
    # Each METS is parsed once: its listing is read here and the same tree goes to the XSD and Schematron
    # checks (xml_findings); one that is not well-formed is reported once, by validate.parse.
    mets: dict[str, etree._ElementTree | None] = {}
    root_doc = _parse_mets(root, "METS.xml", mets, report)
    if root_doc is None:
        return report
    if root_doc.getroot().get("OBJID") != root.name:
        report.problems.append(f"structure: OBJID {root_doc.getroot().get('OBJID')} is not the folder's name "
                               f"{root.name} (CSIP1)")
    listed, pointers = _listed_in(root_doc, PurePosixPath("."), "METS.xml")
    for rel in pointers:
        if not (root / rel).is_file():
            report.problems.append(f"missing: {rel} (representation METS named by an mptr)")
            continue
        rep_doc = _parse_mets(root, rel, mets, report)
        if rep_doc is None:
            continue
        more, _ = _listed_in(rep_doc, PurePosixPath(rel).parent, rel)
        listed += more
    expected = {"METS.xml"}
    for entry in listed:
        expected.add(entry.rel)
        _check_file(root, entry, report, deep)
    report.files_checked = len(listed)
    for rel in sorted(_on_disk(root) - expected):
        report.problems.append(f"not in the METS: {rel} (a file no METS lists)")
    if not report.problems or deep:
        found = xml_findings(root, mets)
        report.problems += found.errors
        report.exceptions += found.exceptions
    return report


def _parse_mets(root: Path, rel: str, parsed: dict[str, etree._ElementTree | None],
                report: PackageReport) -> etree._ElementTree | None:
    """The METS file at `rel` parsed (kept in `parsed` for xml_findings), or None with the reason reported."""
    found = validate.Findings()
    parsed[rel] = validate.parse(root / rel, rel, found)
    report.problems += found.errors
    return parsed[rel]


@contextmanager
def unpacked(path: Path) -> Iterator[Path]:
    """The package folder: `path` itself, or a .tar / .zip package unpacked into a temporary folder."""
    if path.is_dir() or not path.is_file():
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="smarchive-package-") as tmp:
        try:
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as archive:
                    archive.extractall(tmp)  # zipfile drops absolute paths and ".." parts
            elif path.suffix == ".tar":
                with tarfile.open(path) as archive:
                    archive.extractall(tmp, filter="data")  # refuses links and paths outside tmp
            else:
                raise SmarchiveError(f"{path} is not a package folder, .tar or .zip")
        except (tarfile.TarError, zipfile.BadZipFile, OSError) as e:
            raise SmarchiveError(f"cannot unpack {path}: {e}") from None
        folders = list(Path(tmp).iterdir())
        if len(folders) != 1 or not folders[0].is_dir():
            raise SmarchiveError(f"{path} does not hold one package folder")
        yield folders[0]


def _check_file(root: Path, entry: Listed, report: PackageReport, deep: bool) -> None:
    path = root / entry.rel
    if not entry.rel or not path.is_file():
        report.problems.append(f"missing: {entry.rel or '(a path outside the package)'} (listed in {entry.listed_in})")
        return
    size = path.stat().st_size
    if entry.size is not None and size != entry.size:
        report.problems.append(f"size differs: {entry.rel} ({size} bytes, {entry.listed_in} says {entry.size})")
        return
    if deep and entry.sha256:
        sha, _ = file_digest(path)
        if sha != entry.sha256.lower():
            report.problems.append(f"content differs: {entry.rel} (SHA-256 {sha[:16]}…, {entry.listed_in} says "
                                   f"{entry.sha256[:16]}…)")


def xml_findings(root: Path, mets: Mapping[str, etree._ElementTree | None] | None = None) -> validate.Findings:
    """XSD and the CSIP/SIP Schematron rules on every METS (root and representations), XSD of the PREMIS file,
    and our own check of the Dublin Core file (no DC XSD is vendored: see validate.check_dublin_core).
    `mets`: METS files already parsed, by path in the package (None: not well-formed, already reported)."""
    found = validate.Findings()
    done = mets or {}

    def rel(path: Path) -> str:
        return path.relative_to(root).as_posix()

    def parsed(paths: list[Path]) -> Iterator[tuple[etree._ElementTree, str]]:
        """The well-formed files of `paths`, each parsed once, with their paths in the package (one that is
        missing or not well-formed is an error in `found`, unless the caller has reported it)."""
        for path in paths:
            name = rel(path)
            doc = done[name] if name in done else validate.parse(path, name, found)
            if doc is not None:
                yield doc, name

    for doc, name in parsed([root / "METS.xml", *sorted(root.glob("representations/*/METS.xml"))]):
        found.extend(validate.check_xsd(doc, validate.mets_schema(), name))
        found.extend(validate.check_schematron(doc, name, representation=name != "METS.xml"))
    for path in sorted(root.glob("metadata/preservation/*.xml")):  # streamed: the largest file, one entry per file
        found.extend(validate.check_xsd_streamed(path, validate.premis_schema(), rel(path)))
    for doc, name in parsed(sorted(root.glob("metadata/descriptive/*.xml"))):
        found.extend(validate.check_dublin_core(doc, name))
    return found
