"""Retention that fails safe (session gen16, issue #14): criminal and confidential structures by their
elements. Every text here was written for this module from general knowledge of Swedish, not copied or
adapted from an evaluation set. Each asserts what the archivist relies on (removed, held, kept, never
cullable), not only a rule id."""

from __future__ import annotations

import pytest

from smarchive.retention.tag import RetentionEngine, Tag

from conftest import citizen_comment


def _tag(engine: RetentionEngine, text: str) -> Tag:
    return citizen_comment(engine, text, "2025-09-03T18:00:00+02:00", "g16")


# Two criminal elements: removed, reported, and held for an archivist (criminal is always reviewed).
CRIMINAL = [
    # uppvigling: a call on anyone + poison or destruction (ORE-112)
    "Någon borde strö ut råttgift i hundrastgården, då slipper vi byrackorna",
    "Dags att punktera däcken på parkeringsvakternas bilar",
    # veiled warning + fire or explosion (ORE-113)
    "Vore väl synd om det brann upp i stadshuset en natt. Säger bara det.",
    # warning + the writer announcing they will turn up (ORE-114)
    "Ni är varnade. Vi dyker upp på mötet i kväll.",
    # film of a third person undressing (ORE-017b)
    "Har filmer på grannflickan när hon klär av sig, säljes billigt",
    # copying a work + offering it for download (ORE-115)
    "Jag har rippat hela filmen från biografen, ladda ner den gratis via min länk",
    # private contact asked of young people (ORE-116)
    "Hej tjejer i sjuan! Skriv till mig privat så får ni presentkort, säg inget till era föräldrar",
    # group hostility, two elements (ORE-102)
    "De kommer aldrig bli svenskar och borde skickas tillbaka allesammans",
]

# A third person's health told by what happened to them, or a named illness: confidential, removed.
CONFIDENTIAL = [
    "Min farmor ligger inne på lasarettet sedan i fredags och ingen har ringt oss",
    "Min svåger fick en stroke förra året och kan inte längre köra",
    "Karin Holm hamnade på akuten i går efter fallet i trappan",
]

# Everyday texts sharing one element with the structures above: never criminal, never removed as such.
NOT_CRIMINAL = [
    "Någon borde laga gatlampan vid skolan, den har varit trasig i veckor",
    "Vi kommer dit på lördag med hela familjen, tänk på att det blir trångt med parkering",
    "Jag har scannat in mina gamla foton från boken om stadsdelen, kan dela dem gratis",
    "Följ fritidsgården på snap, ungdomar! Där kommer alla nyheter om sommarlovet",
    "Barnen byter om i omklädningsrummet, kan ni sätta upp en skylt om att fotografering är förbjudet?",
]


@pytest.mark.parametrize("text", CRIMINAL)
def test_two_criminal_elements_are_removed_and_reviewed(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert tag.category == "criminal", tag.rule_ids
    assert {"register", "remove"} <= set(tag.actions) and tag.needs_review and tag.access == "restricted"
    assert tag.retention == "preserve"
    # the deciding rule's evidence names its elements (two hits at least) with offsets into the text
    decided = [ev for ev in tag.evidence if ev.rule_id == tag.decided_by and ev.kind == "lexicon"]
    assert len({(ev.name, ev.start) for ev in decided}) >= 2
    assert all(text[ev.start:ev.end] == ev.text for ev in decided)


@pytest.mark.parametrize("text", CONFIDENTIAL)
def test_third_person_health_is_confidential(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert tag.category == "confidential", tag.rule_ids
    assert {"register", "remove"} <= set(tag.actions) and tag.access == "restricted"
    assert tag.retention == "preserve"


@pytest.mark.parametrize("text", NOT_CRIMINAL)
def test_one_element_is_not_criminal(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert tag.category != "criminal", tag.rule_ids


def test_one_criminal_element_is_held_never_culled(engine: RetentionEngine) -> None:
    # a poison word alone: not decided, but never open or cull-eligible
    tag = _tag(engine, "Giftiga köttbullar hittade vid parken i morse")
    assert tag.retention == "preserve" and tag.needs_review and tag.access == "restricted"


def test_working_at_a_hospital_is_not_health_data(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Min mamma jobbar på sjukhuset och är jättenöjd med bussarna dit")
    assert "remove" not in tag.actions, tag.rule_ids
    assert tag.retention == "preserve"  # still held: a care word is a sensitive signal


# Complaints by structure (gen16 step 2): a wait with its span, a restricted service, a price called robbery.
COMPLAINTS = [
    "Vi har köat i tre år till kulturskolans pianoundervisning",
    "Simhallen har bara öppet två kvällar i veckan, omöjligt för oss som jobbar",
    "Sophämtningen kostar nu dubbelt så mycket, rena rånet",
]


@pytest.mark.parametrize("text", COMPLAINTS)
def test_plain_complaints_are_registered(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert "register" in tag.actions and tag.retention == "preserve", tag.rule_ids
    assert "remove" not in tag.actions


def test_a_wait_told_with_relief_is_no_complaint(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Väntade två timmar på fyrverkeriet men det var värt det!")
    assert tag.category != "complaint", tag.rule_ids


def test_own_need_as_reason_stays_a_complaint(engine: RetentionEngine) -> None:
    # the writer's own disability as the reason of a synpunkt: registered, not removed (label policy)
    tag = _tag(engine, "Som rullstolsburen kommer jag inte in på biblioteket, och min granne fick hjälpa mig")
    assert "register" in tag.actions and "remove" not in tag.actions, tag.rule_ids


def test_third_persons_need_in_the_same_clause_is_confidential(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Jag är döv och min farfar sitter i rullstol, ingen av oss kommer in på museet")
    assert tag.category == "confidential" and "remove" in tag.actions, tag.rule_ids


def test_a_named_person_called_stupid_is_offensive(engine: RetentionEngine) -> None:
    tag = _tag(engine, "fritidsledaren Emma e så korkad asså")
    assert {"register", "remove"} <= set(tag.actions), tag.rule_ids
    assert _tag(engine, "Tack Emma, det är ingen dum fråga").category != "offensive"


def test_a_seller_pointing_to_their_page_is_commercial(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Stickar handgjorda vantar, kolla in min sida på Instagram")
    assert tag.category == "commercial", tag.rule_ids


def test_an_ideology_called_political_is_political(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Skolan ska inte syssla med klimatideologi, det är en politisk fråga")
    assert tag.category == "political", tag.rule_ids


# Step 3: a broad review net of lay health and support words, a placed child, a relative in a care home.
@pytest.mark.parametrize("text", [
    "Min granne har högt blodtryck och orkar inte bära soporna till miljöstugan",
    "Killen i trean har börjat med hasch, alla vet om det",
    "Hennes ledsagare kom aldrig i lördags",
])
def test_a_lay_health_or_support_word_is_never_open_or_culled(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert tag.retention == "preserve" and tag.access == "restricted", tag.rule_ids
    assert tag.needs_review or "remove" in tag.actions


def test_a_placed_child_is_confidential(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Hos oss bor en placerad flicka sedan i våras och ingen från kommunen har hört av sig")
    assert tag.category == "confidential" and "remove" in tag.actions, tag.rule_ids


def test_a_relative_in_a_care_home_is_confidential(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Stort tack till alla på Ekbackens vårdboende som tar hand om min morfar")
    assert tag.category == "confidential" and "remove" in tag.actions, tag.rule_ids
    for text in ("Min moster jobbar på vårdboendet och trivs", "Han som bor mittemot äldreboendet spelar hög musik"):
        assert _tag(engine, text).category != "confidential", text
