"""Rules by legal elements (issue #14): each criminal or offensive rule names the elements that
matched, with offsets; one element alone goes to review, never to culling or open access."""

from __future__ import annotations

import pytest

from smarchive.retention.tag import RetentionEngine, Tag

from conftest import citizen_comment


def _tag(engine: RetentionEngine, text: str) -> Tag:
    return citizen_comment(engine, text, "2025-02-03T12:00:00+01:00", "t")


def _elements(tag: Tag, rule_id: str) -> set[str]:
    return {ev.name for ev in tag.evidence if ev.rule_id == rule_id and ev.kind == "lexicon"}


@pytest.mark.parametrize("text, rule_id, elements", [
    ("Det vore synd om något hände med kontoret på Storgatan i helgen", "ORE-018",
     {"threat_veiled", "threat_target"}),
    ("Jag vet vilken dagis din lilla går på. Bara så du vet", "ORE-019", {"knowledge", "threat_veiled"}),
    ("Kurderna ligger bakom allt elände i området", "ORE-101", {"protected_group", "group_hostility"}),
    ("Skicka hem dem nu, de förstör allt", "ORE-102", {"group_hostility"}),
    ("Alla ut på gatorna i kväll och bränn containrarna", "ORE-103", {"incitement", "harm"}),
])
def test_criminal_by_elements_with_offsets(engine: RetentionEngine, text: str, rule_id: str,
                                           elements: set[str]) -> None:
    tag = _tag(engine, text)
    assert tag.category == "criminal" and rule_id in tag.rule_ids, tag.rule_ids
    assert {"register", "remove", "report-police"} <= set(tag.actions)
    assert tag.retention == "preserve" and tag.access == "restricted" and tag.needs_review  # a human reports
    assert elements <= _elements(tag, rule_id)
    for ev in tag.evidence:
        if ev.kind == "lexicon":
            assert text[ev.start:ev.end] == ev.text  # offsets point at what matched


@pytest.mark.parametrize("text", [
    "Se upp för halkan vid stationen",                # a veiled-threat phrase alone, harmless here
    "Det blev en sjukdom i hela skolan i vintras",    # a contempt phrase with no group
])
def test_one_element_alone_is_review_never_cull_or_open(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert tag.category != "criminal"
    assert tag.retention == "preserve"


def test_partial_threat_goes_to_review(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Man vet aldrig vad som kan hända en mörk kväll")
    assert tag.category == "suspected-sensitive" and tag.needs_review and tag.access == "restricted"
    assert tag.retention == "preserve" and "threat_veiled" in {ev.name for ev in tag.evidence}


def test_defamation_of_a_person_identified_by_role_is_offensive(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Vaktmästaren på Norrskolan langar knark till eleverna, sparka honom")
    assert tag.category == "offensive" and {"accusation", "role"} <= _elements(tag, "ORE-033")


def test_own_functional_need_stays_a_complaint_but_a_third_persons_is_confidential(engine: RetentionEngine) -> None:
    own = _tag(engine, "Jag sitter i rullstol och hissen vid stationen har varit trasig i tre veckor")
    assert own.category != "confidential" and "remove" not in own.actions
    other = _tag(engine, "Min pappa sitter i rullstol och hissen vid stationen har varit trasig i tre veckor")
    assert other.category == "confidential" and "remove" in other.actions


def test_professional_words_in_another_sense_are_not_confidential(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Jag har sökt tjänsten som socialsekreterare hos er, när får jag besked?")
    assert tag.category != "confidential"


def test_political_guard_no_removal_for_a_complaint_with_a_party_jab(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Gatlyktorna på Ekvägen har varit släckta i en månad, typiskt Moderaterna")
    assert "register" in tag.actions and "remove" not in tag.actions
    political = _tag(engine, "Rösta bort Moderaterna i valet")
    assert political.category == "political" and "remove" in political.actions


def test_plain_language_complaint_without_stock_words(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Sopbilen har inte varit här på tre veckor, tunnan svämmar över")
    assert tag.category in ("complaint", "initiates-case") and "register" in tag.actions


def test_falun_profile_keeps_political_comments_up_but_removes_crime(tmp_path) -> None:
    """Falun's guideline removes only what is unlawful or offensive; `--profile falun` works in the CLI."""
    import json

    from click.testing import CliRunner

    from smarchive.cli import cli

    base = {"item_type": "comment", "author_is_account": False, "published_at": "2025-05-01T10:00:00+02:00"}
    items = [{**base, "id": "p1", "text": "Rösta bort Socialdemokraterna i valet"},
             {**base, "id": "p2", "text": "Jag vet var du bor och det vore synd om huset började brinna"}]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    result = CliRunner().invoke(cli, ["tag", "--in", str(src), "--out", str(out), "--profile", "falun"])
    assert result.exit_code == 0, result.output
    tags = {json.loads(line)["id"]: json.loads(line)["tag"] for line in out.read_text(encoding="utf-8").splitlines()}
    assert tags["p1"]["category"] == "political" and "remove" not in tags["p1"]["actions"]
    assert tags["p1"]["ruleset_version"].startswith("falun:")
    assert tags["p2"]["category"] == "criminal" and "remove" in tags["p2"]["actions"]
    orebro = RetentionEngine.load(profile="orebro").tag(items[0])
    assert "remove" in orebro.actions  # Örebro removes political discussion


def test_fuzzy_matching_keeps_typos_but_not_other_words() -> None:
    from smarchive.retention.lexicon import LexiconMatcher

    m = LexiconMatcher({"commercial": ["tjänster"], "service": ["snöröjning*"], "harm": ["spränger"],
                        "complaint": ["otrevlig*"]}, fuzzy_min_length=7)
    assert [h.lexicon for h in m.find("snöröjnngen är sen")] == ["service"]  # a real typo still matches
    assert m.find("jag sökte tjänsten") == []       # another inflection, another sense
    assert m.find("han springer till bussen") == []  # one vowel for another: another word
    assert m.find("det var trevligt") == []          # a different first letter


def test_a_longer_term_hides_only_its_own_lexicon_or_as_an_idiom() -> None:
    """A rule's element must not vanish because another lexicon has a longer term at the same place
    ("kommunhuset" as a threat's target hid the service "kommun*", so a complaint lost its service); an
    idiom still hides every shorter term ("slår ihjäl sig" is not violence)."""
    from smarchive.retention.lexicon import LexiconMatcher

    m = LexiconMatcher({"threat_target": ["kommunhus*"], "service": ["kommun*", "kommunhuset"],
                        "negation": ["inte"], "dissatisfaction": ["inte fått"],
                        "violence": ["slår ihjäl"], "idiom": ["slår ihjäl sig"]}, fuzzy_min_length=0)
    hits = {(h.lexicon, h.term) for h in m.find("kommunhuset har inte fått svar")}
    assert {("threat_target", "kommunhus*"), ("service", "kommunhuset"), ("negation", "inte"),
            ("dissatisfaction", "inte fått")} == hits  # the service's own longest term, not also "kommun*"
    assert [h.lexicon for h in m.find("han slår ihjäl sig på jobbet")] == ["idiom"]
    assert [h.lexicon for h in m.find("jag slår ihjäl dig")] == ["violence"]


def test_a_phrase_with_extra_whitespace_hides_no_more_than_when_single_spaced() -> None:
    """People type double spaces and line breaks inside phrases: the other lexicons' shorter terms under
    the phrase still hit, each with its span in the text as written."""
    from smarchive.retention.lexicon import LexiconMatcher

    m = LexiconMatcher({"sarcasm": ["tack för ingenting"], "thanks": ["tack"], "gratitude": ["tack för"]},
                       fuzzy_min_length=0)
    for text in ("tack för ingenting", "tack  för \n ingenting", "tack\tför  ingenting"):
        spans = {h.lexicon: text[h.start:h.end] for h in m.find(text)}
        assert set(spans) == {"sarcasm", "thanks", "gratitude"}, text
        assert spans["sarcasm"] == text and spans["thanks"] == "tack"
        gratitude = spans["gratitude"]
        assert " ".join(gratitude.split()) == "tack för" and text.startswith(gratitude)


def test_register_csv_evidence_names_elements_and_offsets(engine: RetentionEngine) -> None:
    """The register CSV's evidence column (built from the manifest's tag_evidence) shows each element."""
    from smarchive.retention.register import evidence_summary

    text = "Jag vet vilken bil handläggaren kör. Vore synd om den fick punka, ring 070-123 45 67"
    tag = _tag(engine, text)
    summary = evidence_summary([e for e in tag.to_dict()["evidence"]])
    start = text.index("vet vilken")
    assert f"ORE-019: knowledge 'vet vilken' @{start}-{start + len('vet vilken')}" in summary
    assert "ORE-019: threat_veiled 'Vore synd om'" in summary
    phone = text.index("070")
    # detector hits are shortened in the register (the number itself stays in the restricted manifest)
    assert f"PERSONAL-DATA: phone '07…' @{phone}-{phone + len('070-123 45 67')}" in summary
