"""The METS files (root and per representation), PREMIS 3 and the descriptive Dublin Core of a package.

Everything here is a pure function of what it is given: the same files and events give the same bytes,
so a package is reproducible apart from its OBJID and creation date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from smarchive.deliver.formats import format_of

METS = "http://www.loc.gov/METS/"
XLINK = "http://www.w3.org/1999/xlink"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS = "http://www.loc.gov/premis/v3"
SIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
# No CSIP content information type specification covers web archives or social media: OTHER, named here.
OTHER_CIT = "smarchive social media delivery 1.0 (docs/delivery.md)"
NSMAP = {"mets": METS, "xlink": XLINK, "csip": CSIP, "sip": SIP, "xsi": XSI}
SCHEMA_LOCATIONS = (f"{METS} schemas/mets.xsd {XLINK} schemas/xlink.xsd {CSIP} schemas/DILCISExtensionMETS.xsd "
                    f"{SIP} schemas/DILCISExtensionSIPMETS.xsd")


@dataclass(frozen=True)
class PackedFile:
    """A file in the package: path relative to the package root, SHA-256, size, when it was created."""

    rel: str
    sha256: str
    size: int
    created: datetime


@dataclass
class Header:
    objid: str
    created: datetime
    label: str
    software: str
    version: str
    organisation: str  # the archive creator (arkivbildare) and submitter, from the pipeline's operator
    organisation_id: str


@dataclass
class Representation:
    name: str  # folder under representations/
    content_type: str  # CSIP content category of this representation (TYPE)
    description: str
    files: list[PackedFile] = field(default_factory=list)  # its data/ files, paths relative to the package


def iso(moment: datetime) -> str:
    """UTC, to the second (a naive time is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _m(tag: str) -> str:
    return f"{{{METS}}}{tag}"


def _root(objid: str, content_type: str, label: str) -> etree._Element:
    root = etree.Element(_m("mets"), nsmap=NSMAP)
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATIONS)
    root.set("OBJID", objid)
    root.set("LABEL", label)
    root.set("TYPE", content_type)
    root.set(f"{{{CSIP}}}CONTENTINFORMATIONTYPE", "OTHER")
    root.set(f"{{{CSIP}}}OTHERCONTENTINFORMATIONTYPE", OTHER_CIT)
    root.set("PROFILE", SIP_PROFILE)
    return root


def _header(root: etree._Element, head: Header) -> None:
    hdr = etree.SubElement(root, _m("metsHdr"), CREATEDATE=iso(head.created), LASTMODDATE=iso(head.created),
                           RECORDSTATUS="NEW")
    hdr.set(f"{{{CSIP}}}OAISPACKAGETYPE", "SIP")
    software = etree.SubElement(hdr, _m("agent"), ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    etree.SubElement(software, _m("name")).text = head.software
    note = etree.SubElement(software, _m("note"))
    note.text = head.version
    note.set(f"{{{CSIP}}}NOTETYPE", "SOFTWARE VERSION")
    archivist = etree.SubElement(hdr, _m("agent"), ROLE="ARCHIVIST", TYPE="ORGANIZATION")
    etree.SubElement(archivist, _m("name")).text = head.organisation
    code = etree.SubElement(archivist, _m("note"))
    code.text = head.organisation_id
    code.set(f"{{{CSIP}}}NOTETYPE", "IDENTIFICATIONCODE")
    submitter = etree.SubElement(hdr, _m("agent"), ROLE="OTHER", OTHERROLE="SUBMITTER", TYPE="ORGANIZATION")
    etree.SubElement(submitter, _m("name")).text = head.organisation


def _checksummed(element: etree._Element, packed: PackedFile, mime: str) -> None:
    element.set("MIMETYPE", mime)
    element.set("SIZE", str(packed.size))
    element.set("CREATED", iso(packed.created))
    element.set("CHECKSUM", packed.sha256)
    element.set("CHECKSUMTYPE", "SHA-256")


def _locate(element: etree._Element, href: str) -> None:
    element.set("LOCTYPE", "URL")
    element.set(f"{{{XLINK}}}type", "simple")
    element.set(f"{{{XLINK}}}href", href)


def _file(group: etree._Element, file_id: str, packed: PackedFile, href: str) -> None:
    fmt = format_of(packed.rel)
    element = etree.SubElement(group, _m("file"), ID=file_id)
    _checksummed(element, packed, fmt.mime)
    element.set(f"{{{SIP}}}FILEFORMATNAME", fmt.name)
    if fmt.version:
        element.set(f"{{{SIP}}}FILEFORMATVERSION", fmt.version)
    if fmt.puid:
        element.set(f"{{{SIP}}}FORMATREGISTRY", "PRONOM")
        element.set(f"{{{SIP}}}FORMATREGISTRYKEY", fmt.puid)
    _locate(etree.SubElement(element, _m("FLocat")), href)


def _md_ref(parent: etree._Element, packed: PackedFile, mdtype: str, other: str = "") -> None:
    ref = etree.SubElement(parent, _m("mdRef"))
    _locate(ref, packed.rel)
    ref.set("MDTYPE", mdtype)
    if other:
        ref.set("OTHERMDTYPE", other)
    _checksummed(ref, packed, format_of(packed.rel).mime)


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def representation_mets(rep: Representation, head: Header) -> bytes:
    """representations/<rep>/METS.xml: every data file with MIMETYPE, SIZE, CREATED, SHA-256; one Data group."""
    prefix = f"representations/{rep.name}/"
    root = _root(rep.name, rep.content_type, rep.description)
    _header(root, head)
    file_sec = etree.SubElement(root, _m("fileSec"), ID=f"{rep.name}-fileSec")
    group = etree.SubElement(file_sec, _m("fileGrp"), ID=f"{rep.name}-data", USE="Data")
    group.set(f"{{{CSIP}}}CONTENTINFORMATIONTYPE", "OTHER")
    group.set(f"{{{CSIP}}}OTHERCONTENTINFORMATIONTYPE", OTHER_CIT)
    for n, packed in enumerate(rep.files, 1):
        _file(group, f"{rep.name}-file-{n:07d}", packed, packed.rel.removeprefix(prefix))
    smap = etree.SubElement(root, _m("structMap"), ID=f"{rep.name}-structMap", TYPE="PHYSICAL", LABEL="CSIP")
    top = etree.SubElement(smap, _m("div"), ID=f"{rep.name}-div", LABEL=rep.name)
    data = etree.SubElement(top, _m("div"), ID=f"{rep.name}-div-data", LABEL="Data")
    etree.SubElement(data, _m("fptr"), FILEID=f"{rep.name}-data")
    return serialise(root)


@dataclass
class RootParts:
    descriptive: PackedFile
    preservation: PackedFile
    rights: PackedFile
    documentation: list[PackedFile]
    schemas: list[PackedFile]
    representations: list[tuple[Representation, PackedFile]]  # each with its METS.xml


def root_mets(head: Header, parts: RootParts) -> bytes:
    """The package's METS.xml: header and agents, dmdSec, amdSec, fileSec, structMap with an mptr per representation."""
    root = _root(head.objid, "Mixed", head.label)
    _header(root, head)
    dmd = etree.SubElement(root, _m("dmdSec"), ID="dmd-dc", CREATED=iso(parts.descriptive.created), STATUS="CURRENT")
    _md_ref(dmd, parts.descriptive, "DC")
    amd = etree.SubElement(root, _m("amdSec"), ID="amd")
    rights = etree.SubElement(amd, _m("rightsMD"), ID="rights-access", STATUS="CURRENT")  # METS order: rights first
    _md_ref(rights, parts.rights, "OTHER", "smarchive access restrictions (docs/delivery.md)")
    prov = etree.SubElement(amd, _m("digiprovMD"), ID="digiprov-premis", STATUS="CURRENT")
    _md_ref(prov, parts.preservation, "PREMIS")
    file_sec = etree.SubElement(root, _m("fileSec"), ID="fileSec")
    for use, gid, files in (("Documentation", "grp-documentation", parts.documentation),
                            ("Schemas", "grp-schemas", parts.schemas)):
        group = etree.SubElement(file_sec, _m("fileGrp"), ID=gid, USE=use)
        for n, packed in enumerate(files, 1):
            _file(group, f"{gid}-{n:04d}", packed, packed.rel)
    for rep, mets_file in parts.representations:
        group = etree.SubElement(file_sec, _m("fileGrp"), ID=f"grp-rep-{rep.name}", USE=f"Representations/{rep.name}")
        group.set(f"{{{CSIP}}}CONTENTINFORMATIONTYPE", "OTHER")
        group.set(f"{{{CSIP}}}OTHERCONTENTINFORMATIONTYPE", OTHER_CIT)
        _file(group, f"file-rep-{rep.name}-mets", mets_file, mets_file.rel)
    smap = etree.SubElement(root, _m("structMap"), ID="structMap-csip", TYPE="PHYSICAL", LABEL="CSIP")
    top = etree.SubElement(smap, _m("div"), ID="div-package", LABEL=head.objid)
    etree.SubElement(top, _m("div"), ID="div-metadata", LABEL="Metadata", DMDID="dmd-dc",
                     ADMID="digiprov-premis rights-access")
    for label, gid in (("Documentation", "grp-documentation"), ("Schemas", "grp-schemas")):
        div = etree.SubElement(top, _m("div"), ID=f"div-{label.lower()}", LABEL=label)
        etree.SubElement(div, _m("fptr"), FILEID=gid)
    reps = etree.SubElement(top, _m("div"), ID="div-representations", LABEL="Representations")
    for rep, _ in parts.representations:
        etree.SubElement(reps, _m("fptr"), FILEID=f"grp-rep-{rep.name}")
    for rep, mets_file in parts.representations:
        div = etree.SubElement(reps, _m("div"), ID=f"div-rep-{rep.name}", LABEL=f"Representations/{rep.name}")
        mptr = etree.SubElement(div, _m("mptr"))
        _locate(mptr, mets_file.rel)
        mptr.set(f"{{{XLINK}}}title", f"grp-rep-{rep.name}")
    return serialise(root)


# -------------------------------------------------------------------------------------------------- PREMIS


# The event types used, from the Library of Congress PREMIS event type vocabulary (label -> code): every
# eventType carries the vocabulary's URI and the term's, so an archive need not guess what a word means.
EVENT_TYPES = "http://id.loc.gov/vocabulary/preservation/eventType"
EVENT_TYPE_CODES = {"capture": "cap", "deletion": "del", "information package creation": "ipc",
                    "appraisal": "app", "metadata modification": "mem"}
ITEM_ID_TYPE = "smarchive item"  # linkingObjectIdentifierType of an item: "<platform>:<item_id>"


@dataclass(frozen=True)
class Event:
    identifier: str
    type: str  # a label of EVENT_TYPE_CODES (the Library of Congress event type vocabulary)
    when: datetime
    detail: str
    outcome: str
    agents: tuple[tuple[str, str], ...]  # (agent id, role)
    objects: tuple[str, ...] = ()  # package paths of the objects (or documents) involved
    items: tuple[str, ...] = ()  # items involved, as "<platform>:<item_id>" (rows of the manifest, divs of pages)
    note: str = ""  # eventOutcomeDetailNote: why (an archivist's reason)


@dataclass(frozen=True)
class Agent:
    identifier: str
    name: str
    type: str  # software, organization, person
    version: str = ""
    note: str = ""


def _p(tag: str) -> str:
    return f"{{{PREMIS}}}{tag}"


def _ident(parent: etree._Element, kind: str, value: str) -> None:
    ident = etree.SubElement(parent, _p(f"{kind}Identifier"))
    etree.SubElement(ident, _p(f"{kind}IdentifierType")).text = "local"
    etree.SubElement(ident, _p(f"{kind}IdentifierValue")).text = value


def _premis_object(root: etree._Element, packed: PackedFile) -> None:
    fmt = format_of(packed.rel)
    obj = etree.SubElement(root, _p("object"))
    obj.set(f"{{{XSI}}}type", "premis:file")
    _ident(obj, "object", packed.rel)
    chars = etree.SubElement(obj, _p("objectCharacteristics"))
    fixity = etree.SubElement(chars, _p("fixity"))
    etree.SubElement(fixity, _p("messageDigestAlgorithm")).text = "SHA-256"
    etree.SubElement(fixity, _p("messageDigest")).text = packed.sha256
    etree.SubElement(chars, _p("size")).text = str(packed.size)
    fmt_el = etree.SubElement(chars, _p("format"))
    designation = etree.SubElement(fmt_el, _p("formatDesignation"))
    etree.SubElement(designation, _p("formatName")).text = fmt.name
    if fmt.version:
        etree.SubElement(designation, _p("formatVersion")).text = fmt.version
    if fmt.puid:
        registry = etree.SubElement(fmt_el, _p("formatRegistry"))
        etree.SubElement(registry, _p("formatRegistryName")).text = "PRONOM"
        etree.SubElement(registry, _p("formatRegistryKey")).text = fmt.puid


def _premis_event(root: etree._Element, event: Event) -> None:
    element = etree.SubElement(root, _p("event"))
    _ident(element, "event", event.identifier)
    kind = etree.SubElement(element, _p("eventType"), authority="eventType", authorityURI=EVENT_TYPES,
                            valueURI=f"{EVENT_TYPES}/{EVENT_TYPE_CODES[event.type]}")
    kind.text = event.type
    etree.SubElement(element, _p("eventDateTime")).text = iso(event.when)
    detail = etree.SubElement(element, _p("eventDetailInformation"))
    etree.SubElement(detail, _p("eventDetail")).text = event.detail
    outcome = etree.SubElement(element, _p("eventOutcomeInformation"))
    etree.SubElement(outcome, _p("eventOutcome")).text = event.outcome
    if event.note:
        note = etree.SubElement(etree.SubElement(outcome, _p("eventOutcomeDetail")), _p("eventOutcomeDetailNote"))
        note.text = event.note
    for agent_id, role in event.agents:
        link = etree.SubElement(element, _p("linkingAgentIdentifier"))
        etree.SubElement(link, _p("linkingAgentIdentifierType")).text = "local"
        etree.SubElement(link, _p("linkingAgentIdentifierValue")).text = agent_id
        etree.SubElement(link, _p("linkingAgentRole")).text = role
    for rel in event.objects:
        link = etree.SubElement(element, _p("linkingObjectIdentifier"))
        etree.SubElement(link, _p("linkingObjectIdentifierType")).text = "local"
        etree.SubElement(link, _p("linkingObjectIdentifierValue")).text = rel
    for item in event.items:
        link = etree.SubElement(element, _p("linkingObjectIdentifier"))
        etree.SubElement(link, _p("linkingObjectIdentifierType")).text = ITEM_ID_TYPE
        etree.SubElement(link, _p("linkingObjectIdentifierValue")).text = item


def _premis_agent(root: etree._Element, agent: Agent) -> None:
    element = etree.SubElement(root, _p("agent"))
    _ident(element, "agent", agent.identifier)
    etree.SubElement(element, _p("agentName")).text = agent.name
    etree.SubElement(element, _p("agentType")).text = agent.type
    if agent.version:
        etree.SubElement(element, _p("agentVersion")).text = agent.version
    if agent.note:
        etree.SubElement(element, _p("agentNote")).text = agent.note


def premis(objects: Iterable[PackedFile], events: list[Event], agents: list[Agent]) -> bytes:
    """metadata/preservation/premis.xml: every representation file with fixity and format, the events, agents."""
    root = etree.Element(_p("premis"), nsmap={"premis": PREMIS, "xsi": XSI}, version="3.0")
    root.set(f"{{{XSI}}}schemaLocation", f"{PREMIS} ../../schemas/premis-v3-0.xsd")
    for packed in objects:
        _premis_object(root, packed)
    for event in events:
        _premis_event(root, event)
    for agent in agents:
        _premis_agent(root, agent)
    return serialise(root)


def dublin_core(fields: list[tuple[str, str]]) -> bytes:
    """metadata/descriptive/dc.xml: simple Dublin Core (OAI-DC container) describing the delivery."""
    oai = "http://www.openarchives.org/OAI/2.0/oai_dc/"
    dc = "http://purl.org/dc/elements/1.1/"
    root = etree.Element(f"{{{oai}}}dc", nsmap={"oai_dc": oai, "dc": dc})
    for name, value in fields:
        etree.SubElement(root, f"{{{dc}}}{name}").text = value
    return serialise(root)
