"""Elements in general form (session gen18, issue #14): veiled threats by knowledge and grudge, harm made
conditional, being where the target is, dehumanising comparisons, a racist emoji trope, care neglect, finds
and requests the municipality acts on, and a visitor joining another's synpunkt. Every text here was written
for this module from general knowledge of Swedish, not copied or adapted from an evaluation set. Each
positive has a near miss (the everyday sense of the same words) that must not be tagged the same way."""

from __future__ import annotations

import pytest

from smarchive.retention.tag import RetentionEngine, Tag

from conftest import assert_criminal_by_elements, citizen_comment


def _tag(engine: RetentionEngine, text: str) -> Tag:
    return citizen_comment(engine, text, "2026-05-20T18:30:00+02:00", "g18")


CRIMINAL = [
    # knowledge of the target + a grudge announced (ORE-120)
    ("ORE-120", "Rektorn ska veta att vi föräldrar inte glömmer det här. Vi vet exakt var hon parkerar."),
    # harm + a condition on what the addressee goes on doing (ORE-121)
    ("ORE-121", "Om det här fortsätter tar jag med mig en kofot till byggbodarna i natt"),
    # knowledge of where the target works + being there when they leave (ORE-122)
    ("ORE-122", "Vi vet var du jobbar, Stina. Vi väntar utanför när du slutar på fredag"),
    # a wish that an elected official die as Palme did (ORE-104 with the new violence form)
    ("ORE-104", "Den där kommunalrådet borde sluta som Olof Palme"),
    # a group told it has no place in the country's elections (ORE-101 with the new hostility form)
    ("ORE-101", "Invandrare har ingenting i våra val att göra, rösta inte alls"),
]


@pytest.mark.parametrize(("rule", "text"), CRIMINAL)
def test_criminal_elements_areremoved_and_held(engine: RetentionEngine, rule: str, text: str) -> None:
    assert_criminal_by_elements(_tag(engine, text), rule, text)


NOT_CRIMINAL = [
    "Vi glömmer aldrig vår fina fritidsledare Bengt, vila i frid",
    "Jag vet exakt var bussen stannar, vi ses där klockan tre!",
    "Om det här fortsätter att regna får vi ställa in loppisen",
    "Om det fortsätter så här blir det en fin sommar, tack för fina badplatser",
    "Vi ses efter jobbet på fredag vid festivalen!",
    "Har någon en kofot att låna ut? Vi ska riva gamla altanen",
]


@pytest.mark.parametrize("text", NOT_CRIMINAL)
def test_one_element_or_everyday_words_are_not_criminal(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert tag.category != "criminal", tag.rule_ids
    assert "report-police" not in tag.actions


@pytest.mark.parametrize(("rule", "text"), [
    ("ORE-038b", "Dom är som kackerlackor, överallt i trapphuset"),
    ("ORE-038c", "Alla missbrukare i parken är rena ohyran"),
    ("ORE-039", "🐒🐒🍌"),
])
def test_dehumanising_is_offensive_and_held(engine: RetentionEngine, rule: str, text: str) -> None:
    tag = _tag(engine, text)
    assert rule in tag.rule_ids, tag.rule_ids
    assert tag.category in ("offensive", "criminal")
    assert {"register", "remove"} <= set(tag.actions) and tag.access == "restricted"
    assert tag.needs_review or rule != "ORE-039"  # whether an emoji trope is hets: an archivist decides


@pytest.mark.parametrize("text", [
    "Råttorna i källaren är stora som katter, kan ni skicka någon?",
    "Apan på Skansen åt en banan, så söt",
    "🐒",
    "🍌🍓🍎",
])
def test_animals_and_fruit_are_not_people(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert tag.category not in ("offensive", "criminal"), tag.rule_ids
    assert "remove" not in tag.actions


def test_neglect_in_care_of_a_relative_is_confidential(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Min pappa på korttidsboendet fick trycksår för att ingen vände honom på nätterna")
    assert tag.category == "confidential" and "remove" in tag.actions, tag.rule_ids
    assert tag.access == "restricted"


def test_a_find_the_municipality_acts_on_is_registered(engine: RetentionEngine) -> None:
    # "döda" is also the verb "kill" (a harm word): the safety net may hold it as well, but never drops it
    tag = _tag(engine, "Det ligger en död räv och två döda fåglar på gång- och cykelvägen vid ån")
    assert "ORE-050" in tag.rule_ids and "register" in tag.actions, tag.rule_ids
    assert tag.retention == "preserve"


def test_a_takedown_request_is_a_case(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Jag tog bilden ni använder och vill att den tas bort eller att ni skriver mitt namn")
    assert tag.category == "initiates-case" and "register" in tag.actions, tag.rule_ids
    assert tag.retention == "preserve"


def test_praise_with_a_wish_to_repeat_is_not_culled_unread(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Kören på nationaldagen var helt fantastisk! Bjud in dem igen!")
    assert tag.retention == "preserve", tag.rule_ids


def test_a_broken_promise_is_a_complaint(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Sopbilen kom inte i tisdags heller. Håll de tider ni lovar i utskicket")
    assert "register" in tag.actions and tag.retention == "preserve", tag.rule_ids


def test_joining_a_synpunkt_is_never_culled_unread(engine: RetentionEngine) -> None:
    joined = _tag(engine, "Instämmer med inlägget ovan!")
    assert joined.retention == "preserve" and joined.needs_review, joined.rule_ids
    assert _tag(engine, "Tack, fin bild!").retention == "cull-eligible"
