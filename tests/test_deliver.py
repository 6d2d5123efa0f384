"""`smarchive deliver`: the E-ARK SIP 2.1 (FGS 2.0) package of the demo year after `cull --apply`.

The demo archive is copied, culled (as a municipality does before delivering) and delivered once per
module; the tests check the package with the real schemas and rules, open the rendition in the real
Chromium, account for every item of the year, tamper with the package, and feed the command bad input.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from smarchive.archive.query import query_rows
from smarchive.deliver import validate
from smarchive.deliver.check import check_package, xml_findings

from conftest import copy_archive

M = "{http://www.loc.gov/METS/}"
XLINK = "{http://www.w3.org/1999/xlink}"
CSIP = "{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}"
P = "{http://www.loc.gov/premis/v3}"


def smarchive(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarchive", *args], capture_output=True, text=True, timeout=900)


def normalized(text: str | None) -> str:
    return " ".join((text or "").split())


rows = query_rows  # the rows of one query over the archive's views


@dataclass
class Delivery:
    archive: Path
    out: Path
    package: Path
    before: list[dict]  # every item of 2024 before the cull
    culled: set[tuple[str, str]]  # (platform, item_id)
    result: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def delivered(demo_capture, tmp_path_factory) -> Delivery:
    folder = tmp_path_factory.mktemp("deliver")
    archive = copy_archive(demo_capture.archive, folder / "archive")
    before = rows(archive, "SELECT platform, item_id, account, item_type, text, tag_retention FROM items "
                           "WHERE year = 2024")
    culled = smarchive("cull", "--year", "2024", "--archive", str(archive), "--as-of", "2099-01-01", "--apply")
    assert culled.returncode == 0, culled.stderr[-2000:]
    gone = {(r["platform"], r["item_id"]) for r in rows(archive, "SELECT platform, item_id FROM read_parquet("
                                                                  f"'{archive}/manifest/tombstones/*.parquet')")}
    out = folder / "out"
    result = smarchive("deliver", "--year", "2024", "--archive", str(archive), "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    packages = [p for p in out.iterdir() if p.is_dir()]
    assert len(packages) == 1, packages
    return Delivery(archive, out, packages[0], before, gone, result)


def test_package_validates_against_the_eark_schemas_and_rules(delivered):
    """XSD and Schematron on the root METS and on every representation METS: only listed rules may fail, and
    the rules written for the root METS only on a representation METS."""
    found = xml_findings(delivered.package)
    assert not found.errors, found.errors[:10]
    failed = {(e.split(": ", 1)[0], e.split(": ", 1)[1].split(" ", 1)[0]) for e in found.exceptions}
    for rel, rule in failed:
        allowed = validate.WRONG_RULES.keys() | (validate.PACKAGE_ONLY_RULES.keys() if rel != "METS.xml" else set())
        assert rule in allowed, f"{rule} failed on {rel} and is not listed"
    reps = {rel for rel, _ in failed if rel.startswith("representations/")}
    assert reps == {f"representations/{r}/METS.xml" for r in ("captures", "manifest", "rendition")}, reps


def test_validation_catches_a_broken_mets(delivered, tmp_path):
    """The XSD and Schematron really run: a METS header without CREATEDATE fails CSIP7, a bad element the XSD;
    a bad element in the last object of the PREMIS file (validated while streamed) is named with its line."""
    broken = shutil.copytree(delivered.package, tmp_path / delivered.package.name)
    mets = broken / "METS.xml"
    tree = etree.parse(str(mets))
    header = tree.getroot().find(f"{M}metsHdr")
    del header.attrib["CREATEDATE"]
    etree.SubElement(tree.getroot(), f"{M}notMets")
    tree.write(str(mets), xml_declaration=True, encoding="UTF-8")
    rep = broken / "representations/rendition/METS.xml"
    tree = etree.parse(str(rep))
    del tree.getroot().find(f"{M}metsHdr").attrib["CREATEDATE"]
    tree.write(str(rep), xml_declaration=True, encoding="UTF-8")
    dc = broken / "metadata/descriptive/dc.xml"
    dc.write_bytes(dc.read_bytes().replace(b"</oai_dc:dc>", b"<dc:colour>blue</dc:colour></oai_dc:dc>"))
    premis = broken / "metadata/preservation/premis.xml"
    text = premis.read_text(encoding="utf-8")
    at = text.rindex("<premis:size>")
    premis.write_text(text[:at] + "<premis:colour/>" + text[at:], encoding="utf-8")
    premis_line = text[:at].count("\n") + 1
    found = xml_findings(broken)
    assert any(e.startswith(f"metadata/preservation/premis.xml: XSD: line {premis_line}: ") and "colour" in e
               for e in found.errors), found.errors
    assert any(e.startswith("METS.xml: CSIP7 ") for e in found.errors), found.errors
    assert any(e.startswith("representations/rendition/METS.xml: CSIP7 ") for e in found.errors), found.errors
    assert any("XSD" in e and "notMets" in e for e in found.errors), found.errors
    assert any(e.startswith("metadata/descriptive/dc.xml: DC:") and "colour" in e for e in found.errors)


def test_package_meets_the_csip_and_sip_requirements(delivered):
    """Our own checks of requirements, named by their ids in E-ARK CSIP/SIP 2.1."""
    root = delivered.package
    mets = etree.parse(str(root / "METS.xml")).getroot()
    assert mets.get("OBJID") == root.name  # CSIP1: the package's folder is named by its OBJID
    assert mets.get("PROFILE") == "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"  # SIP2
    header = mets.find(f"{M}metsHdr")
    assert header.get(f"{CSIP}OAISPACKAGETYPE") == "SIP"  # CSIP9/SIP4
    agents = {(a.get("ROLE"), a.get("TYPE")): a for a in header.findall(f"{M}agent")}
    software = agents[("CREATOR", "OTHER")]  # CSIP10-16: the software and its version
    assert software.findtext(f"{M}name") == "smarchive" and software.findtext(f"{M}note")
    assert agents[("ARCHIVIST", "ORGANIZATION")].findtext(f"{M}name") == "smarchive sandbox"  # the operator
    for folder in ("metadata/descriptive", "metadata/preservation", "representations", "schemas", "documentation"):
        assert (root / folder).is_dir(), folder
    mptrs = [m.get(f"{XLINK}href") for m in mets.iter(f"{M}mptr")]  # CSIP109: one per representation
    assert sorted(mptrs) == [f"representations/{r}/METS.xml" for r in ("captures", "manifest", "rendition")]
    for href in mptrs:
        rep = etree.parse(str(root / href)).getroot()
        files = list(rep.iter(f"{M}file"))
        on_disk = sorted(p for p in (root / href).parent.joinpath("data").rglob("*") if p.is_file())
        assert len(files) == len(on_disk) > 0
        for file in files:  # CSIP68-72: MIMETYPE, SIZE, CREATED, CHECKSUM, CHECKSUMTYPE on every file
            assert all(file.get(a) for a in ("MIMETYPE", "SIZE", "CREATED", "CHECKSUM")), etree.tostring(file)
            assert file.get("CHECKSUMTYPE") == "SHA-256"
    captures = {p.name for p in (root / "representations/captures/data").rglob("*") if p.is_file()}
    warcs = {p.name for p in (delivered.archive / "warc/2024").glob("*.warc.gz")}
    assert warcs <= captures and any(n.endswith(".wacz") for n in captures)
    premis = etree.parse(str(root / "metadata/preservation/premis.xml")).getroot()
    events = [e.findtext("{*}eventType") for e in premis.iter("{*}event")]
    assert "capture" in events and "deletion" in events, events  # the capture runs and the gallring
    assert list((root / "documentation/gallring").glob("*/gallringsdokument.csv"))
    manifest = {p.name for p in (root / "representations/manifest/data").iterdir()}
    assert {"items.parquet", "items.csv", "tombstones.parquet", "tombstones.csv"} <= manifest


RUN_SUFFIX = re.compile(r"-\d{8}T\d{6}Z-[0-9a-f]+\.warc\.gz$")


def captured_accounts(archive: Path, year: int) -> set[str]:
    """Every account with a WARC of the year (`<account>-<run id>.warc.gz`), items or not."""
    return {RUN_SUFFIX.sub("", p.name) for p in (archive / "warc" / str(year)).glob("*.warc.gz")}


def test_every_account_captured_in_the_year_is_in_the_package(delivered):
    """Nothing captured is left out: the web page (WARCs, a snapshot and a screenshot, no items) is delivered
    with its WARC and WACZ and a rendition page showing its screenshot and its text."""
    root = delivered.package
    accounts = captured_accounts(delivered.archive, 2024)
    web = [a for a in accounts if a.startswith("web-")]
    assert web and len(accounts) > 10, accounts
    data = root / "representations/rendition/data"
    top = (data / "index.html").read_text(encoding="utf-8")
    for account in accounts:
        assert (data / account / "index.html").is_file(), account
        assert f'href="{account}/index.html"' in top, account
        assert (root / f"representations/captures/data/wacz/{account}.wacz").is_file(), account
    for account in web:
        pages = sorted((data / account).glob("page-*.html"))
        assert pages, account
        html = pages[0].read_text(encoding="utf-8")
        shot = lxml.html.fromstring(html).xpath("//img/@src")
        assert shot and (data / account / shot[0]).read_bytes().startswith(b"\x89PNG"), account
        text = lxml.html.fromstring(html).xpath("string(//div[@class='text'])")
        assert len(text.split()) > 5 and "<" not in text, text[:200]


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_item_of_the_year_is_accounted_for(delivered):
    root = delivered.package
    report = {(r["platform"], r["item_id"]): r for r in _csv(root / "documentation/delivery-report.csv")}
    items_csv = {(r["platform"], r["item_id"]) for r in _csv(root / "representations/manifest/data/items.csv")}
    missing, wrong = [], []
    for item in delivered.before:
        key = (item["platform"], item["item_id"])
        entry = report.get(key)
        if entry is None:
            missing.append(key)
        elif key in delivered.culled:
            if entry["status"] != "culled" or key in items_csv:
                wrong.append((key, entry["status"]))
        elif entry["status"] == "delivered":
            page = root / entry["location"]
            if key not in items_csv or not page.is_file() or f'id="item-{item["item_id"]}"' not in page.read_text():
                wrong.append((key, "delivered but not in the CSV or its page"))
        elif entry["status"] != "not-delivered" or not entry["reason"]:
            wrong.append((key, entry["status"]))
    assert not missing, f"{len(missing)} items of 2024 not accounted for: {missing[:5]}"
    assert not wrong, wrong[:5]
    assert len(delivered.culled) > 20 and len(items_csv) > 100


def test_restricted_items_carry_their_restriction(delivered):
    root = delivered.package
    restricted = _csv(root / "metadata/other/access-restrictions.csv")
    expected = rows(delivered.archive, "SELECT item_id FROM items WHERE year = 2024 AND tag_access = 'restricted'")
    assert {r["item_id"] for r in restricted} == {r["item_id"] for r in expected} and restricted
    items = {r["item_id"]: r for r in _csv(root / "representations/manifest/data/items.csv")}
    assert all(items[r["item_id"]]["tag_access"] == "restricted" for r in restricted)


def test_rendition_in_chromium_shows_delivered_texts_and_no_culled(delivered):
    """Every page opened in the real Chromium from file://, with every request outside the package refused."""
    from playwright.sync_api import sync_playwright

    from smarchive.capture.browser import launch_options

    data = delivered.package / "representations/rendition/data"
    pages = sorted(data.rglob("*.html"))
    for page_file in pages:  # no script, and every reference a relative path inside the rendition
        doc = lxml.html.parse(str(page_file)).getroot()
        assert not doc.xpath("//script | //iframe | //object | //embed | //link[@rel='stylesheet']"), page_file
        for element in doc.iter():
            for name in ("src", "href"):
                ref = element.get(name)
                if ref is not None:
                    assert ":" not in ref and not ref.startswith("/"), (page_file, ref)
                    assert (page_file.parent / ref).resolve().is_relative_to(data.resolve()), (page_file, ref)
    outside: list[str] = []
    seen: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        try:
            page = browser.new_page()

            def guard(route) -> None:  # noqa: ANN001 (playwright Route)
                url = route.request.url
                if url.startswith(data.as_uri()):
                    route.continue_()
                else:
                    outside.append(url)
                    route.abort()

            page.route("**/*", guard)
            for page_file in pages:
                page.goto(page_file.as_uri(), wait_until="load")
                seen.append(normalized(page.inner_text("body")))
                broken = page.evaluate("[...document.images].filter(i => !i.complete || !i.naturalWidth).length")
                assert broken == 0, f"{page_file}: {broken} image(s) do not load"
        finally:
            browser.close()
    assert not outside, f"requests outside the package: {outside[:5]}"
    shown = "\n".join(seen)
    delivered_rows = [r for r in delivered.before if (r["platform"], r["item_id"]) not in delivered.culled
                      and r["tag_retention"] == "preserve"]
    not_shown = [r["item_id"] for r in delivered_rows if normalized(r["text"]) not in shown]
    assert not not_shown, f"{len(not_shown)} delivered texts not in the rendition: {not_shown[:5]}"
    kept_text = "\n".join(normalized(r["text"]) for r in delivered_rows)
    culled = {normalized(r["text"]) for r in delivered.before if (r["platform"], r["item_id"]) in delivered.culled}
    distinct = [t for t in culled if t and t not in kept_text]  # a culled text no kept item also says
    assert len(distinct) > 10
    leaked = [t for t in distinct if t in shown]
    assert not leaked, f"culled texts in the rendition: {leaked[:3]}"


def test_verify_package_names_a_changed_a_missing_and_an_extra_file(delivered, tmp_path):
    clean = smarchive("verify", "--package", str(delivered.package))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    package = shutil.copytree(delivered.package, tmp_path / delivered.package.name)
    warc = sorted((package / "representations/captures/data/warc").iterdir())[0]
    with open(warc, "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    image = sorted((package / "representations/rendition/data").rglob("media/*.png"))[0]
    image.unlink()
    (package / "documentation/extra.txt").write_text("not listed")
    check = smarchive("verify", "--package", str(package))
    assert check.returncode == 1, check.stdout
    rel = package.as_posix() + "/"
    assert f"content differs: {warc.as_posix().removeprefix(rel)} " in check.stdout, check.stdout
    assert f"missing: {image.as_posix().removeprefix(rel)} " in check.stdout, check.stdout
    assert "not in the METS: documentation/extra.txt " in check.stdout, check.stdout


def test_bad_input_is_one_line_and_leaves_nothing(delivered, tmp_path):
    archive = str(delivered.archive)
    cases = {
        "no capture": ("--year", "2023", "--out", str(tmp_path / "a")),
        "exists": ("--year", "2024", "--out", str(delivered.out)),
        "not writable": ("--year", "2024", "--out", str(delivered.package / "METS.xml" / "sub")),
    }
    for name, args in cases.items():
        result = smarchive("deliver", "--archive", archive, *args)
        assert result.returncode == 2, (name, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (name, result.stderr)
    assert not (tmp_path / "a").exists() and not list(tmp_path.glob(".a.part-*"))
    journal = delivered.archive / "runs-in-progress" / "20990101T000000Z-abcdef.json"
    journal.parent.mkdir(exist_ok=True)
    journal.write_text("{}")
    try:
        result = smarchive("deliver", "--archive", archive, "--year", "2024", "--out", str(tmp_path / "b"))
    finally:
        journal.unlink()
    assert result.returncode == 2 and "unfinished run" in result.stderr, result.stderr
    assert not (tmp_path / "b").exists()


def _created(package: Path) -> bytes:
    return etree.parse(str(package / "METS.xml")).getroot().find(f"{M}metsHdr").get("CREATEDATE").encode()


def _comparable(package: Path, created: set[bytes]) -> dict[str, bytes]:
    """Every file's bytes, with the OBJID and the creation times `created` taken out.

    Both packages' creation times are taken out of both: a time in the archive (a cull's) that falls in the
    same second as one package's creation is then taken out of both alike. The root METS also loses the
    checksums of the XML files it lists (the representation METS, PREMIS, Dublin Core): those files hold the
    OBJID or the date, so their hashes differ with them."""
    root = etree.parse(str(package / "METS.xml"))
    for element in root.iter(f"{M}FLocat", f"{M}mdRef"):
        if element.get(f"{XLINK}href", "").endswith(".xml"):
            holder = element if element.tag == f"{M}mdRef" else element.getparent()
            holder.attrib.pop("CHECKSUM")
    files = {p.relative_to(package).as_posix(): p.read_bytes() for p in sorted(package.rglob("*")) if p.is_file()}
    files["METS.xml"] = etree.tostring(root)
    comparable = {}
    for rel, data in files.items():
        data = data.replace(package.name.encode(), b"OBJID")
        for moment in created:
            data = data.replace(moment, b"CREATED")
        comparable[rel] = data
    return comparable


def test_the_same_archive_gives_the_same_package_apart_from_objid_and_date(delivered, tmp_path):
    again = smarchive("deliver", "--year", "2024", "--archive", str(delivered.archive), "--out", str(tmp_path / "o"))
    assert again.returncode == 0, again.stderr
    second = next((tmp_path / "o").iterdir())
    created = {_created(delivered.package), _created(second)}
    first_files, second_files = _comparable(delivered.package, created), _comparable(second, created)
    assert sorted(first_files) == sorted(second_files)
    differ = [rel for rel in first_files if first_files[rel] != second_files[rel]]
    assert not differ, differ


def test_per_account_tar_packages_inside_the_archive(delivered, tmp_path):
    """The default --out is inside the archive: the packages go into its fixity ledger, verify stays clean."""
    result = smarchive("deliver", "--year", "2024", "--archive", str(delivered.archive), "--format", "tar",
                       "--per-account")
    assert result.returncode == 0, result.stderr
    out = next((delivered.archive / "delivery").iterdir())
    tars = sorted(out.glob("*.tar"))
    accounts = captured_accounts(delivered.archive, 2024)
    assert len(tars) == len(accounts) == len(list(out.iterdir()))
    with tarfile.open(tars[0]) as tar:
        names = tar.getnames()
        assert f"{tars[0].stem}/METS.xml" in names
        tar.extractall(tmp_path / "unpacked", filter="data")
    assert check_package(tmp_path / "unpacked" / tars[0].stem).ok
    checked = smarchive("verify", "--package", str(tars[-1]))  # a .tar is checked as it is
    assert checked.returncode == 0 and "package OK" in checked.stdout, checked.stdout + checked.stderr
    recorded = rows(delivered.archive, "SELECT objid, format FROM deliveries WHERE format = 'tar'")
    assert {r["objid"] for r in recorded} == {t.stem for t in tars}
    check = smarchive("verify", "--archive", str(delivered.archive))
    assert check.returncode == 0, check.stdout[-3000:]


def test_cull_eligible_items_not_yet_culled_are_left_out_and_listed(demo_capture, tmp_path):
    archive = copy_archive(demo_capture.archive, tmp_path / "archive")
    eligible = rows(archive, "SELECT platform, item_id, text FROM items WHERE year = 2024 "
                             "AND tag_retention = 'cull-eligible'")
    assert eligible
    out = tmp_path / "out"
    result = smarchive("deliver", "--year", "2024", "--archive", str(archive), "--out", str(out))
    assert result.returncode == 0, result.stderr
    package = next(out.iterdir())
    report = {(r["platform"], r["item_id"]): r for r in _csv(package / "documentation/delivery-report.csv")}
    items_csv = {(r["platform"], r["item_id"]) for r in _csv(package / "representations/manifest/data/items.csv")}
    for row in eligible:
        key = (row["platform"], row["item_id"])
        assert report[key]["status"] == "not-delivered" and "cull-eligible" in report[key]["reason"]
        assert key not in items_csv
    pages = "".join(p.read_text(encoding="utf-8") for p in package.rglob("*.html"))
    assert all(f'id="item-{r["item_id"]}"' not in pages for r in eligible)
    assert os.listdir(out) == [package.name]


def test_archivists_decisions_decide_what_is_delivered_and_restricted(demo_capture, tmp_path):
    """An archivist's "preserve" on a cull-eligible item keeps it through the cull and into the package; an
    access restriction decided on an open item travels with it into the package's restriction list. Every
    decision about a delivered item is a PREMIS event (LoC event type, the person by user name, the item, the
    reason) and a row of the manifest's decisions table; a decision about an item culled since is in neither."""
    archive = copy_archive(demo_capture.archive, tmp_path / "archive")
    [kept, gone] = rows(archive, "SELECT platform, item_id FROM items WHERE year = 2024 AND "
                                 "tag_retention = 'cull-eligible' ORDER BY item_id LIMIT 2")
    [hidden] = rows(archive, "SELECT platform, item_id FROM items WHERE year = 2024 AND tag_retention = 'preserve' "
                             "AND tag_access = 'open' ORDER BY item_id LIMIT 1")
    for item, change, by in ((kept, ("--retention", "preserve"), "arkivarie"),
                             (hidden, ("--access", "restricted", "--reason", "personuppgifter"), "arkivarie"),
                             (hidden, ("--diarienummer", "KS 2024-00123"), "registrator"),
                             (gone, ("--confirm", "--reason", "test: may be culled"), "arkivarie")):
        reason = () if "--reason" in change or "--diarienummer" in change else ("--reason", "test: bevaras")
        decided = smarchive("decide", item["item_id"], "--platform", item["platform"], "--archive", str(archive),
                            *change, *reason, "--by", by)
        assert decided.returncode == 0, decided.stderr
    culled = smarchive("cull", "--year", "2024", "--archive", str(archive), "--as-of", "2099-01-01", "--apply")
    assert culled.returncode == 0, culled.stderr[-2000:]
    out = tmp_path / "out"
    result = smarchive("deliver", "--year", "2024", "--archive", str(archive), "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    [package] = [p for p in out.iterdir() if p.is_dir()]
    items = {r["item_id"]: r for r in _csv(package / "representations/manifest/data/items.csv")}
    assert kept["item_id"] in items and items[kept["item_id"]]["tag_retention"] == "preserve"
    restricted = {r["item_id"] for r in _csv(package / "metadata/other/access-restrictions.csv")}
    assert hidden["item_id"] in restricted
    recorded = {r["decision_id"]: r for r in rows(archive, "SELECT decision_id, item_id, kind, reason FROM "
                                                           f"read_parquet('{archive}/manifest/decisions/*/*.parquet')")}
    expected = {d for d, r in recorded.items() if r["item_id"] != gone["item_id"]}
    assert len(recorded) == 4 and len(expected) == 3
    table = _csv(package / "representations/manifest/data/decisions.csv")
    assert {r["decision_id"] for r in table} == expected
    assert (package / "representations/manifest/data/decisions.parquet").is_file()
    assert not xml_findings(package).errors
    premis = etree.parse(str(package / "metadata/preservation/premis.xml")).getroot()
    events = {e.findtext(f"{P}eventIdentifier/{P}eventIdentifierValue"): e for e in premis.iter(f"{P}event")}
    assert {e.removeprefix("decision-") for e in events if e.startswith("decision-")} == expected
    loc = "http://id.loc.gov/vocabulary/preservation/eventType/"
    for decision_id in expected:
        event, decision = events[f"decision-{decision_id}"], recorded[decision_id]
        kind = event.find(f"{P}eventType")
        assert (kind.text, kind.get("valueURI")) == (("appraisal", loc + "app") if decision["kind"] == "review"
                                                     else ("metadata modification", loc + "mem"))
        links = {(link.findtext(f"{P}linkingObjectIdentifierType"), link.findtext(f"{P}linkingObjectIdentifierValue"))
                 for link in event.iter(f"{P}linkingObjectIdentifier")}
        platform = {kept["item_id"]: kept["platform"], hidden["item_id"]: hidden["platform"]}[decision["item_id"]]
        assert ("smarchive item", f"{platform}:{decision['item_id']}") in links
        page = [value for kind_, value in links if kind_ == "local"]
        assert page and f'id="item-{decision["item_id"]}"' in (package / page[0]).read_text(encoding="utf-8")
        if decision["reason"]:
            assert event.findtext(f".//{P}eventOutcomeDetailNote") == f"reason: {decision['reason']}"
    restricting = next(e for d, e in events.items() if d.startswith("decision-") and "access open -> restricted" in
                       e.findtext(f"{P}eventDetailInformation/{P}eventDetail"))
    assert restricting.findtext(f".//{P}eventOutcomeDetailNote") == "reason: personuppgifter"
    people = {a.findtext(f"{P}agentName"): a for a in premis.iter(f"{P}agent")
              if a.findtext(f"{P}agentType") == "person"}
    assert set(people) == {"arkivarie", "registrator"}
    for name, agent in people.items():  # a user name and roles: nothing else about the person
        assert [child.tag.removeprefix(P) for child in agent] == ["agentIdentifier", "agentName", "agentType",
                                                                 "agentNote"], name
        linked = {link.findtext(f"{P}linkingAgentIdentifierValue")
                  for e in events.values() for link in e.iter(f"{P}linkingAgentIdentifier")}
        assert agent.findtext(f"{P}agentIdentifier/{P}agentIdentifierValue") in linked


def _pipeline_with(tmp_path: Path, delivery: str) -> Path:
    """The demo's pipeline with a [delivery] table of a municipality's own."""
    source = Path(__file__).resolve().parents[1] / "pipelines" / "sandbox.toml"
    path = tmp_path / f"job-{len(list(tmp_path.glob('job-*.toml')))}.toml"
    path.write_text(source.read_text(encoding="utf-8") + f"\n[delivery]\n{delivery}\n", encoding="utf-8")
    return path


def test_objid_from_the_municipalitys_template_new_for_every_package(delivered, tmp_path):
    """`[delivery] objid = "SE-ORE-SM-{year}-{seq:03d}"` names the packages; {seq} goes on from the deliveries
    recorded; an OBJID delivered before, an invalid template, or {account} without --per-account: one line,
    exit 2, nothing written."""
    archive = copy_archive(delivered.archive, tmp_path / "archive")
    before = len(rows(archive, "SELECT objid FROM deliveries WHERE year = 2024"))
    numbered = _pipeline_with(tmp_path, 'objid = "SE-ORE-SM-{year}-{seq:03d}"')
    made = []
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        result = smarchive("deliver", "--year", "2024", "--archive", str(archive), "--pipeline", str(numbered),
                           "--out", str(out))
        assert result.returncode == 0, result.stderr[-2000:]
        [package] = list(out.iterdir())
        made.append(package.name)
        assert etree.parse(str(package / "METS.xml")).getroot().get("OBJID") == package.name
    assert made == [f"SE-ORE-SM-2024-{before + 1:03d}", f"SE-ORE-SM-2024-{before + 2:03d}"]
    assert check_package(tmp_path / "out2" / made[1]).ok
    recorded = {r["objid"] for r in rows(archive, "SELECT objid FROM deliveries")}
    assert set(made) <= recorded
    cases = {
        "delivered before": (f'objid = "{made[0]}"', (), "was delivered before"),
        "invalid": ('objid = "SE ORE/{year}"', (), "not a valid OBJID"),
        "unknown field": ('objid = "SE-{kommun}-{seq}"', (), "unknown field"),
        "account, one package": ('objid = "SE-ORE-{account}-{seq}"', (), "--per-account"),
        "same id twice": ('objid = "SE-ORE-PA-{year}"', ("--per-account",), "two packages"),
    }
    for name, (template, extra, says) in cases.items():
        out = tmp_path / f"bad-{len(list(tmp_path.glob('bad-*')))}"
        result = smarchive("deliver", "--year", "2024", "--archive", str(archive), "--pipeline",
                           str(_pipeline_with(tmp_path, template)), "--out", str(out), *extra)
        assert result.returncode == 2, (name, result.stderr[-500:])
        assert len(result.stderr.strip().splitlines()) == 1 and says in result.stderr, (name, result.stderr)
        assert not out.exists() and not list(tmp_path.glob(f".{out.name}.part-*")), name
    assert len(rows(archive, "SELECT objid FROM deliveries")) == len(recorded)


def _pdf_text(data: bytes) -> bytes:
    """The PDF's bytes with every Flate stream inflated (the XMP metadata and object streams are compressed)."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", match.end())
        try:
            parts.append(zlib.decompress(data[match.end():end]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_pdf_a_rendition_of_every_account(delivered, tmp_path):
    """`deliver --pdf`: one PDF/A-2b per account beside its HTML, identified as PDF/A-2b (XMP pdfaid), every
    delivered item of the account a named destination in it (its div laid out), listed in the METS with its
    PRONOM id. Conformance itself is not checked (no veraPDF here)."""
    out = tmp_path / "out"
    result = smarchive("deliver", "--year", "2024", "--archive", str(delivered.archive), "--out", str(out), "--pdf")
    assert result.returncode == 0, result.stderr[-2000:]
    [package] = list(out.iterdir())
    data = package / "representations/rendition/data"
    delivered_items = {(r["account"], r["item_id"]) for r in _csv(package / "representations/manifest/data/items.csv")}
    for account in captured_accounts(delivered.archive, 2024):
        pdf = (data / account / f"{account}-2024.pdf").read_bytes()
        assert pdf.startswith(b"%PDF-1.7"), account
        text = _pdf_text(pdf)
        assert b'pdfaid:part="2"' in text and b'pdfaid:conformance="B"' in text, account
        missing = [i for a, i in delivered_items if a == account and f"(item-{i})".encode() not in text]
        assert not missing, (account, missing[:5])
    rep = etree.parse(str(package / "representations/rendition/METS.xml")).getroot()
    pdfs = [f for f in rep.iter(f"{M}file") if f.find(f"{M}FLocat").get(f"{XLINK}href").endswith(".pdf")]
    assert len(pdfs) == len(captured_accounts(delivered.archive, 2024))
    sip = "{https://DILCIS.eu/XML/METS/SIPExtensionMETS}"
    assert {(f.get("MIMETYPE"), f.get(f"{sip}FORMATREGISTRYKEY")) for f in pdfs} == {("application/pdf", "fmt/477")}
    assert check_package(package).ok
