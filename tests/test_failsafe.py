"""The fail-safe (issue #14, docs/retention.md "Fail-safe"): what the engine is not sure of goes to
review, never to culling and never open; a question that needs no answer is not held as unanswered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smarchive.errors import ConfigError
from smarchive.retention.tag import DEFAULT_RETENTION_DIR, RetentionEngine, Tag, ThreadContext, thread_contexts

from conftest import citizen_comment

DATA = Path(__file__).parent / "data"
LABELLED = ("labelled_items.jsonl", "heldout_items.jsonl", "heldout2_items.jsonl", "eval3_dev.jsonl")


def comment(engine: RetentionEngine, text: str) -> Tag:
    return citizen_comment(engine, text, "2024-03-01T10:00:00+01:00", "c")


@pytest.fixture(scope="module")
def rules_only(tmp_path_factory: pytest.TempPathFactory) -> RetentionEngine:
    """The package's rules with the second opinion off: what the fail-safe alone does to access (the model
    may restrict more; its sensitive head flags "min son" and "Min dotter ..." since it was trained on
    seven sets: tests/test_second_opinion.py)."""
    folder = tmp_path_factory.mktemp("rules_only")
    (folder / "ruleset.toml").write_text('[second_opinion]\nmodel = ""\n', encoding="utf-8")
    return RetentionEngine.load(overrides=folder)


def failsafe_evidence(tag: Tag) -> list[tuple[str, str, int | None]]:
    return [(ev.name, ev.text, ev.start) for ev in tag.evidence if ev.rule_id == "ORE-FS1"]


def test_plain_minor_item_stays_cull_eligible(engine) -> None:
    # Failing safe is not sending everything to review: a bare thank-you is still culled.
    tag = comment(engine, "Tack! 👍")
    assert (tag.category, tag.retention, tag.access, tag.needs_review) == ("minor", "cull-eligible", "open", False)
    assert "ORE-FS1" not in tag.rule_ids


def test_personal_data_in_a_short_item_holds_it(engine) -> None:
    # Three words is "short" (minor), but a phone number is personal data: never culled unread.
    tag = comment(engine, "Ring mig 0701234567")
    assert tag.retention == "preserve" and tag.cull_from is None
    assert tag.access == "restricted" and tag.needs_review
    assert "ORE-FS1" in tag.rule_ids and any(r.startswith("ORE-FS1 (fail-safe)") for r in tag.reasons)
    assert ("phone", "0701234567", 9) in failsafe_evidence(tag)


def test_child_in_a_short_item_blocks_culling_but_not_access(rules_only) -> None:
    tag = comment(rules_only, "Snyggt! 😍 min son")
    assert tag.retention == "preserve" and tag.needs_review and tag.access == "open"
    assert ("child", "son", 14) in failsafe_evidence(tag)


def test_person_near_negative_word_is_reviewed_even_when_registered(engine) -> None:
    # A complaint is registered and not removed; a named person next to a negative word may be förtal
    # or a sensitive matter about someone else, so a person reads it and it is not open meanwhile.
    tag = comment(engine, "Hallå Lisa, du är sämst aldrig kommer du")
    assert "register" in tag.actions and tag.needs_review and tag.access == "restricted"
    names = {name for name, _, _ in failsafe_evidence(tag)}
    assert {"person_name", "dissatisfaction"} <= names


def test_unidentified_date_like_number_is_a_signal(engine) -> None:
    # Not a valid personnummer (check digit), but shaped like a birth date: held, with the number shown.
    tag = comment(engine, "Hej min bror 19850312 1235")
    assert tag.retention == "preserve" and tag.needs_review and tag.access == "restricted"
    hits = [ev for ev in tag.evidence if ev.name == "unidentified_number"]
    assert hits and hits[0].text.startswith("19850312")
    # An invoice amount, a time range or a case number is no such signal.
    for text in ("Fakturan var på 1 245 kr", "Öppet 8.30–11.30", "Ärende 2025/00123"):
        assert not [ev for ev in comment(engine, text).evidence if ev.name == "unidentified_number"], text


def test_question_that_needs_no_answer_is_not_held(engine) -> None:
    tag = comment(engine, "Ska vi gå dit på lördag? 😊")
    assert tag.category == "minor" and "ORE-094" in tag.rule_ids and "ORE-093" not in tag.rule_ids
    assert tag.retention == "cull-eligible" and not tag.needs_review
    # A question put to the municipality and not answered is still held for review.
    asked = comment(engine, "Kommer det finnas fika?")
    assert "ORE-093" in asked.rule_ids and asked.needs_review and asked.retention == "preserve"


def test_long_registered_text_is_reviewed(engine) -> None:
    text = "Snöröjningen på vår gata är dålig. " + " ".join(["Vi väntar och väntar på att något ska hända."] * 6)
    tag = comment(engine, text)
    assert tag.needs_review and tag.retention == "preserve"


@pytest.mark.parametrize("name", LABELLED)
def test_no_cull_eligible_item_carries_a_weak_signal(engine, name: str) -> None:
    # The invariant an archivist relies on, over every labelled set we may look at: an item the engine
    # makes cull-eligible has no personal data and no sensitive or doubt signal at all (the deciding
    # rule's own elements aside: a shop's phone number in an advert).
    items = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    fs, contexts, rules = engine.failsafe, thread_contexts(items), {r.id: r for r in engine.rules}
    assert fs is not None
    culled = 0
    for item, tag in zip(items, engine.tag_all(items), strict=True):
        if tag.retention != "cull-eligible":
            continue
        culled += 1
        facts = engine._facts(item, contexts.get(item["id"], ThreadContext()), None)
        assert not fs.sensitive(facts, rules[tag.decided_by].any_detector), item["id"]
        assert not fs.doubt(facts), item["id"]
    assert culled, "nothing cull-eligible: the invariant would hold trivially"


def test_failsafe_names_unknown_lexicon(tmp_path: Path) -> None:
    (tmp_path / "ruleset.toml").write_text('[failsafe]\nsensitive_lexicons = ["no_such_lexicon"]\n',
                                           encoding="utf-8")
    with pytest.raises(ConfigError, match="no_such_lexicon"):
        RetentionEngine.load(DEFAULT_RETENTION_DIR, overrides=tmp_path)


def test_failsafe_can_be_switched_off_per_overrides(tmp_path: Path) -> None:
    # A profile may narrow the fail-safe (documented); with no signals the short phone item is minor again.
    (tmp_path / "ruleset.toml").write_text('[failsafe]\nsensitive_lexicons = []\ndoubt_lexicons = []\n'
                                           'person_lexicons = []\nnumber_digits = 0\nlong_words = 0\n'
                                           '[second_opinion]\nmodel = ""\n',  # and the model's review
                                           encoding="utf-8")
    engine = RetentionEngine.load(DEFAULT_RETENTION_DIR, overrides=tmp_path)
    tag = comment(engine, "Snyggt! 😍 min son")
    assert tag.retention == "cull-eligible" and "ORE-FS1" not in tag.rule_ids


def test_registered_item_about_someone_else_is_read_first(rules_only) -> None:
    # A case enquiry about the writer's daughter: registered and open as before, but a person reads it
    # before it is handed out (it tells about a child); the evidence names the word and where.
    text = "Min dotter har sökt plats på kulturskolan i ett år nu, när får vi besked om ansökan?"
    tag = comment(rules_only, text)
    assert "register" in tag.actions and tag.access == "open" and tag.needs_review
    held = [(name, word, start) for name, word, start in failsafe_evidence(tag)]
    assert ("third_person", "dotter", text.index("dotter")) in held
    assert len(held) == len(set(held))


def test_registered_item_about_the_writer_alone_is_not_held_for_that(engine) -> None:
    tag = comment(engine, "Jag ansökte om bygglov för ett garage i mars, när kommer beslutet?")
    assert "register" in tag.actions and not tag.needs_review and "ORE-FS1" not in tag.rule_ids
    # Praise naming a service and a role, no person: registered as beröm, nobody else is told about.
    tag = comment(engine, "Bra jobbat med snöröjningen på Rudbecksgatan i morse, tack till plogbilsföraren!")
    assert "register" in tag.actions and not tag.needs_review
