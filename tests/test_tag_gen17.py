"""Elements in general form (session gen17, issue #14): criminal, offensive, case, complaint, advert and
political structures, each by its elements. Every text here was written for this module from general
knowledge of Swedish, not copied or adapted from an evaluation set. For each element a sentence the change
tags as intended and a near miss (an everyday use, a negation, a search) it must not; each asserts what
the archivist relies on (removed, held, registered, never cullable), not only a rule id."""

from __future__ import annotations

import pytest

from smarchive.retention.tag import RetentionEngine, Tag

from conftest import assert_criminal_by_elements, citizen_comment


def _tag(engine: RetentionEngine, text: str) -> Tag:
    return citizen_comment(engine, text, "2026-03-12T19:00:00+01:00", "g17")


# Two or three criminal elements: removed, reported and held for an archivist.
CRIMINAL = [
    # a hidden object + a hint it is no innocent thing + knowledge of the target (ORE-117)
    ("ORE-117", "Jag har något i jackan som inte är en leksak. Vi vet var du bor, Kalle"),
    # ... + a warning to stay away (ORE-117b)
    ("ORE-117b", "Bäst att ni inte visar er vid badet i kväll, jag tar med mig nåt som smäller"),
    # knowledge told as shared knowledge + a weapon (ORE-110 with the new knowledge forms)
    ("ORE-110", "Skaffade en ny kniv i helgen. Bygglovshandläggaren bor ju på Storgatan, jag ser honom varje kväll"),
    # a conditional loss of safety + knowledge of their cars (ORE-019 with the new veiled forms)
    ("ORE-019", "Stänger ni badhuset så ska ni inte känna er säkra, vi vet vilken bil ni har"),
    # a call to gather + wrecking property (ORE-118)
    ("ORE-118", "Möt upp vid stationen på fredag så krossar vi rutorna på p-automaterna, ta med kompisar"),
    # young people + money + two expressions of being out of the parents' sight (ORE-119)
    ("ORE-119", "Söker killar 13-15 för fotojobb, 400 kr i timmen, kom hem till mig, utan föräldrar"),
]


@pytest.mark.parametrize(("rule", "text"), CRIMINAL)
def test_criminal_elements_areremoved_and_held(engine: RetentionEngine, rule: str, text: str) -> None:
    assert_criminal_by_elements(_tag(engine, text), rule, text)


# Near misses: one element, or the everyday sense of the words. Never criminal.
NOT_CRIMINAL = [
    "Jag har något i väskan till dig, en liten present från semestern!",
    "Ta med något i fickan att äta och håll er borta från isen vid udden",
    "Kom inte hit om du är förkyld, jag har med mig något mot hosta",
    "Vi samlas vid skolan på lördag och river det gamla staketet med föreningen, ta med handskar",
    "Vi samlas vid torget och plockar skräp, ta med folk!",
    "Barnen kan inte gå säkra till skolan längs Storgatan, vi vet var problemet är",
    "Dagläger för tjejer 10-12 år, 300 kr per dag, inga föräldrar behöver följa med",
    "Barnkalas hemma hos mig på lördag för tjejerna i klassen, ta med 50 kr till godis",
]


@pytest.mark.parametrize("text", NOT_CRIMINAL)
def test_one_element_or_everyday_words_are_not_criminal(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert tag.category != "criminal", tag.rule_ids
    assert "report-police" not in tag.actions


@pytest.mark.parametrize("text", [
    # a hidden object + a hint, nothing else: a partial threat (ORE-026c)
    "Jag har nåt i ryggsäcken som inte är en leksak 😶",
    # young people + out of the parents' sight, without money: partial (ORE-026b)
    "Tjejer, ni får gärna komma hem till mig och baka efter skolan",
])
def test_a_partial_element_is_held_never_culled(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert tag.retention == "preserve" and tag.needs_review and tag.access == "restricted", tag.rule_ids


def test_contempt_for_a_group_by_exclusion_is_offensive(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Missbrukarna vid stationen borde hållas borta så att vanligt folk slipper se dem")
    assert tag.category == "offensive" and "ORE-038" in tag.rule_ids, tag.rule_ids
    assert {"register", "remove"} <= set(tag.actions) and tag.access == "restricted"


@pytest.mark.parametrize("text", [
    "Hemlösa ska inte behöva hållas borta från centrum, de behöver en värmestuga",
    "Uteliggarna i parken är många, men jag tycker inte att de ska låsas in",
    "Personer med funktionshinder ska kunna bo här precis som vanligt folk",
])
def test_a_rejected_or_absent_exclusion_is_not_offensive(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert "ORE-038" not in tag.rule_ids, tag.rule_ids


def test_own_application_in_plain_words_is_an_ongoing_case(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Vi sökte bygglov för altanen i höstas men e-tjänsten visar bara att den handläggs")
    assert tag.category == "ongoing-case" and "register" in tag.actions, tag.rule_ids
    assert tag.retention == "preserve"


@pytest.mark.parametrize("text", [
    "Jag sökte på hemsidan efter ansökan om bygglov men hittade den inte",
    "Vi sökte oss till stranden i fredags, det var underbart",
])
def test_a_search_is_no_application(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert "ORE-044" not in tag.rule_ids, tag.rule_ids


def test_an_agenda_item_referred_to_is_an_ongoing_case(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Gällande punkt 7 om nya badhuset: tänk på alla barnfamiljer när ni beslutar")
    assert tag.category == "ongoing-case" and "register" in tag.actions, tag.rule_ids
    assert _tag(engine, "Var börjar punkt 7 i sändningen?").category != "ongoing-case"


# Plain complaints about a municipal service: a nuisance that recurs, a missing amenity, a charge.
@pytest.mark.parametrize("text", [
    "Fritidsgården bullrar till klockan ett varje lördag, vi grannar kan inte sova",
    "Hundarna skäller hela kvällarna vid den nya hundrastgården",
    "Inga bänkar och ingen toalett vid nya utegymmet, svårt för oss äldre",
    "Begriper inte varför ni tar betalt för att man parkerar vid sin egen stuga, befängt",
])
def test_plain_service_complaints_are_registered(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert "register" in tag.actions and "remove" not in tag.actions, tag.rule_ids
    assert tag.retention == "preserve"


def test_a_joyful_noise_is_no_complaint(engine: RetentionEngine) -> None:
    # "skriker av glädje", "smällde" (fireworks): not the nuisance words, whatever the recurrence
    for text in ("Barnen skriker av glädje på lekplatsen varje dag, härligt att höra",
                 "Fyrverkerierna smällde hela natten på nyår, så fint det var"):
        assert _tag(engine, text).category != "complaint", text


def test_praise_of_a_guide_by_qualities_is_registered(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Vår guide Ali på stadsvandringen var otroligt påläst och lyhörd för alla frågor")
    assert tag.category == "complaint" and "register" in tag.actions, tag.rule_ids


# Adverts in general form: a business's own pitch, a free offer with a call, reseller recruitment, a profile.
@pytest.mark.parametrize("text", [
    "Vi på Städteamet Ek tar hand om ert kontor. Boka ett kostnadsfritt möte!",
    "Bli återförsäljare för våra ekologiska ljus och få provision, skriv till oss",
    "Handstickade mössor i alla storlekar, kolla min profil 🧶",
    "Snabb och proffsig flytthjälp för bara 500 kr i timmen. Swisha så bokar vi",
])
def test_adverts_are_commercial(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert tag.category == "commercial" and "register" not in tag.actions, tag.rule_ids


def test_praise_with_a_price_is_still_registered(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Simhallen var toppen, proffsig personal och för bara 40 kr fick barnen bada hela dagen")
    assert "register" in tag.actions and tag.category != "commercial", tag.rule_ids


def test_a_group_reporting_a_fault_is_still_a_case(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Vi på Lärkans förskola vill felanmäla en trasig gunga på gården")
    assert "register" in tag.actions and tag.category == "initiates-case", tag.rule_ids


# Political stances on national and international policy, and questions put to the elected.
@pytest.mark.parametrize("text", [
    "Ta ner Ukrainas flagga från stadshuset, det är inte vårt krig",
    "Krav på medborgarskap borde vara mycket hårdare, med ett riktigt språktest",
    "Varför svarar inte kommunfullmäktiges ordförande? Vi vill ha svar från politikerna nu",
])
def test_policy_stances_are_political(engine: RetentionEngine, text: str) -> None:
    tag = _tag(engine, text)
    assert tag.category == "political" and "remove" in tag.actions, tag.rule_ids
    assert "register" not in tag.actions


@pytest.mark.parametrize("text", [
    "Ukrainska familjer fick hjälp av biblioteket med svenskkurser, jättebra",
    "Min kusin fick svenskt medborgarskap efter sju år, grattis!",
])
def test_a_country_or_citizenship_named_is_no_stance(engine: RetentionEngine, text: str) -> None:
    assert _tag(engine, text).category != "political", text


def test_a_relative_waiting_for_lss_housing_is_confidential(engine: RetentionEngine) -> None:
    tag = _tag(engine, "Min bror har väntat på plats i gruppbostad i tre år nu")
    assert tag.category == "confidential" and "remove" in tag.actions, tag.rule_ids
    assert "remove" not in _tag(engine, "Jag begär ut ritningarna till den nya gruppbostaden på Ekvägen").actions
