"""The retention engine against the labelled and held-out sets, the cull-date rule, severity, the safety
net, proximity rules, overrides, errors, JSONL."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from smarchive.errors import ConfigError, SmarchiveError
from smarchive.retention.tag import (
    ENGINE_VERSION,
    RetentionEngine,
    ThreadContext,
    cull_date,
    read_jsonl,
    tag_jsonl,
)

DATA = Path(__file__).parent / "data"
HELDOUT2_FLOOR = 0.80  # measured once after the 1.1 changes: 84.8 % (134/158); see docs/retention.md
RETENTION = Path(__file__).resolve().parents[1] / "src" / "smarchive" / "retention" / "rules"


def _decisions(actions: list[str]) -> tuple[bool, bool]:
    return "register" in actions, "remove" in actions


SENSITIVE = ("confidential", "criminal")


def _score(engine: RetentionEngine, path: Path) -> tuple[float, list[str], list[str]]:
    agreement, disagree, missed, _ = _score_all(engine, path)
    return agreement, disagree, missed


def _score_all(engine: RetentionEngine, path: Path) -> tuple[float, list[str], list[str], list[str]]:
    """Register/remove agreement, the disagreements, the confidential/criminal items not tagged as such
    (missed), and those among them that are cull-eligible or open (unsafe: the failure that must not happen;
    a missed item in the safety net is preserved, restricted and shown to a person)."""
    items = read_jsonl(path)
    tags = engine.tag_all(items)
    disagree, missed, unsafe = [], [], []
    for item, tag in zip(items, tags, strict=True):
        exp = item["expected"]
        if _decisions(tag.actions) != (exp["register"], exp["remove"]):
            disagree.append(f"{item['id']} expected {exp['category']} got {tag.category}: {item['text'][:60]}")
        if exp["category"] == "criminal" and tag.category != "criminal":
            missed.append(f"{item['id']} criminal -> {tag.category}")
        if exp["category"] == "confidential" and tag.category not in SENSITIVE:
            missed.append(f"{item['id']} confidential -> {tag.category}")
        if exp["category"] in SENSITIVE and (tag.retention == "cull-eligible" or tag.access == "open"):
            unsafe.append(f"{item['id']} {exp['category']} -> {tag.category}/{tag.retention}/{tag.access}")
    return 1 - len(disagree) / len(items), disagree, missed, unsafe


def _report(name: str, engine: RetentionEngine, path: Path) -> tuple[float, list[str], list[str]]:
    agreement, disagree, missed, unsafe = _score_all(engine, path)
    sensitive = sum(i["expected"]["category"] in SENSITIVE for i in read_jsonl(path))
    print(f"\n{name}: register/remove agreement {agreement:.1%}; confidential/criminal {sensitive}, "
          f"missed {len(missed)} {missed}, cull-eligible or open {len(unsafe)} {unsafe}")
    print(f"{name}: disagreements {disagree}")
    return agreement, missed, unsafe


def test_labelled_set_is_big_and_covers_every_category() -> None:
    items = read_jsonl(DATA / "labelled_items.jsonl")
    counts = Counter(i["expected"]["category"] for i in items)
    assert len(items) >= 200
    assert set(counts) == {"own", "minor", "complaint", "ongoing-case", "initiates-case", "offensive",
                           "confidential", "criminal", "political", "commercial"}
    assert min(counts.values()) >= 9


def test_labelled_set_register_remove_agreement_and_no_missed_confidential_or_criminal(engine) -> None:
    agreement, disagree, missed = _score(engine, DATA / "labelled_items.jsonl")
    print(f"\nlabelled set: register/remove agreement {agreement:.1%}; disagreements: {disagree}")
    assert agreement >= 0.95, disagree
    assert missed == []
    assert _report("labelled set", engine, DATA / "labelled_items.jsonl")[2] == []


def test_heldout_set_is_reported(engine) -> None:
    """The first held-out set, written after the first lexicons were frozen, has since been the development
    set of the 1.1 rules (so its figure is no longer an estimate). No confidential or criminal item may
    be cull-eligible or open; the floor guards against regressions (figures in docs/retention.md)."""
    agreement, _, unsafe = _report("held-out set 1 (development)", engine, DATA / "heldout_items.jsonl")
    assert unsafe == []
    assert agreement >= 0.90


def test_heldout2_set_is_blind_and_covers_every_category() -> None:
    items = read_jsonl(DATA / "heldout2_items.jsonl")
    counts = Counter(i["expected"]["category"] for i in items)
    assert len(items) >= 120
    assert set(counts) == {"own", "minor", "complaint", "ongoing-case", "initiates-case", "offensive",
                           "confidential", "criminal", "political", "commercial"}


def test_heldout2_set_is_reported(engine) -> None:
    """Written before the 1.1 rules and never used to tune them: the honest estimate on new text. The
    floor is the figure measured once after the changes, rounded down (docs/retention.md)."""
    agreement, _, unsafe = _report("held-out set 2 (blind)", engine, DATA / "heldout2_items.jsonl")
    assert unsafe == []
    assert agreement >= HELDOUT2_FLOOR


def test_tag_carries_everything(engine) -> None:
    item = {"id": "c1", "item_type": "comment", "author_is_account": False, "parent_id": "p1",
            "text": "Vad händer med mitt ärende BN 2023-04567?", "published_at": "2024-05-20T09:03:00+02:00"}
    tag = engine.tag(item)
    assert tag.category == "ongoing-case" and tag.actions == ["register"] and tag.retention == "preserve"
    assert tag.access == "open" and tag.cull_from is None and tag.decision == "1748"
    assert tag.engine_version == ENGINE_VERSION and tag.ruleset_version.startswith("orebro:")
    assert {"ORE-040", "ORE-041"} <= set(tag.rule_ids)
    dnr = next(e for e in tag.evidence if e.name == "case_number")
    assert item["text"][dnr.start:dnr.end] == "BN 2023-04567" and dnr.kind == "detector"
    d = tag.to_dict()
    assert json.loads(json.dumps(d))["evidence"][0]["rule_id"] in tag.rule_ids


def test_to_dict_has_every_field_in_order(engine) -> None:
    """to_dict is written out field by field (speed, issue #14): a new field must not be left out."""
    from dataclasses import fields

    from smarchive.retention.tag import Evidence, Tag

    items = read_jsonl(DATA / "labelled_items.jsonl")
    for tag in engine.tag_all(items):
        d = tag.to_dict()
        assert list(d) == [f.name for f in fields(Tag)]
        assert d["cull_from"] == (tag.cull_from.isoformat() if tag.cull_from else None)
        assert all(d[f.name] == getattr(tag, f.name) for f in fields(Tag) if f.name not in ("cull_from", "evidence"))
        assert d["evidence"] == [{f.name: getattr(ev, f.name) for f in fields(Evidence)} for ev in tag.evidence]
        assert all(list(e) == [f.name for f in fields(Evidence)] for e in d["evidence"])


def test_cull_date_whole_calendar_years() -> None:
    assert cull_date(2024, 2) == date(2027, 1, 1)
    assert cull_date(2024, 0) == date(2025, 1, 1)


def test_minor_item_is_cull_eligible_from_next_new_year_in_local_time(engine) -> None:
    item = {"id": "m", "item_type": "comment", "author_is_account": False, "text": "Tack! 👍"}
    late = engine.tag({**item, "published_at": "2024-12-31T23:30:00Z"})  # 00:30 on 1 Jan 2025 in Örebro
    assert late.category == "minor" and late.retention == "cull-eligible"
    assert late.cull_from == date(2026, 1, 1)
    assert engine.tag({**item, "published_at": "2024-06-01"}).cull_from == date(2025, 1, 1)
    undated = engine.tag(item)
    assert undated.cull_from is None and undated.needs_review


def test_period_comes_from_the_decision_data(tmp_path) -> None:
    (tmp_path / "ruleset.toml").write_text("[decision]\nid = \"X-9\"\nperiod_years = 2\n", encoding="utf-8")
    eng = RetentionEngine.load(overrides=tmp_path)
    tag = eng.tag({"id": "m", "item_type": "comment", "author_is_account": False, "text": "👍",
                   "published_at": "2024-03-01T10:00:00+01:00"})
    assert tag.decision == "X-9" and tag.cull_from == date(2027, 1, 1)


def test_severity_stricter_wins_and_all_rules_are_kept(engine) -> None:
    item = {"id": "s", "item_type": "comment", "author_is_account": False, "published_at": "2024-01-02",
            "text": "Tack för ingenting idioter, jag ska bränna ner kommunhuset"}
    tag = engine.tag(item)
    assert tag.category == "criminal" and tag.decided_by == "ORE-010"
    assert {"ORE-010", "ORE-030", "ORE-060"} <= set(tag.rule_ids)
    assert tag.actions == ["register", "report-police", "remove", "refer-servicecenter"]
    assert tag.access == "restricted" and tag.retention == "preserve" and tag.needs_review
    names = {(e.rule_id, e.name) for e in tag.evidence}
    assert {("ORE-010", "threat"), ("ORE-030", "insult"), ("ORE-060", "complaint")} <= names


def test_own_post_is_preserved_even_with_minor_signals(engine) -> None:
    tag = engine.tag({"id": "o", "item_type": "post", "author_is_account": True, "text": "Tack! 👍",
                      "published_at": "2024-01-02"})
    assert tag.category == "own" and tag.retention == "preserve" and tag.actions == []


def test_thread_context_answered_question(engine) -> None:
    items = [
        {"id": "p", "item_type": "post", "author_is_account": True, "text": "Öppet hus!", "parent_id": None},
        {"id": "c", "item_type": "comment", "author_is_account": False, "text": "Kommer det finnas fika?",
         "parent_id": "p", "published_at": "2024-11-02T16:01:00+01:00"},
        {"id": "r", "item_type": "reply", "author_is_account": True, "text": "Självklart!", "parent_id": "c",
         "published_at": "2024-11-02T16:05:00+01:00"},
    ]
    tags = engine.tag_all(items)
    assert tags[1].category == "minor" and "ORE-092" in tags[1].rule_ids
    assert any(e.name == "answered_by_account" and e.term == "r" for e in tags[1].evidence)
    alone = engine.tag(items[1])  # without context nobody has answered: a person looks at it
    assert alone.category == "unclassified" and alone.needs_review
    assert engine.tag(items[1], ThreadContext(True, ("r",))).category == "minor"


def test_reply_to_another_visitor_is_not_feedback(engine, tmp_path) -> None:
    """A comment that answers another visitor's comment (thread context) is conversation between visitors:
    the feedback rules (klagomål, synpunkt, felanmälan by structure) do not register it; a case reference
    or anything sensitive still counts, and the fail-safe keeps it from culling and holds it for review."""
    items = [
        {"id": "p", "item_type": "post", "author_is_account": True, "text": "Nya cykelbanan är klar!",
         "parent_id": None},
        {"id": "c", "item_type": "comment", "author_is_account": False, "text": "Bilisterna borde få en fil till",
         "parent_id": "p"},
        {"id": "r", "item_type": "reply", "author_is_account": False,
         "text": "Eller så cyklar du som alla andra, bussen är ju aldrig i tid ändå", "parent_id": "c"},
        {"id": "d", "item_type": "reply", "author_is_account": False,
         "text": "Jag har ett liknande ärende om gatan, dnr TN 2024-00571.", "parent_id": "c"},
    ]
    tags = engine.tag_all(items)
    reply, case = tags[2], tags[3]
    assert "register" not in reply.actions and reply.retention == "preserve" and reply.needs_review
    assert not {"ORE-060", "ORE-064", "ORE-065"} & set(reply.rule_ids)
    assert case.category == "ongoing-case" and "register" in case.actions  # a case is a case wherever said
    # alone (no thread) the same text is feedback to the municipality
    assert "register" in engine.tag(items[2]).actions
    # a text that opens by tagging someone speaks to that person, thread or not
    tagged = engine.tag(_comment("@Lena Holm såg du detta, bussen är ju aldrig i tid, ta cykeln istället"))
    assert "register" not in tagged.actions and tagged.retention == "preserve"
    assert "register" in engine.tag(_comment("Såg du detta, bussen är ju aldrig i tid, ta cykeln istället")).actions
    # a parent that comes after its child in the input is unknown: the child is not taken as a reply
    assert "register" in engine.tag_all([items[0], items[2], items[1]])[1].actions
    # the streamed tagger gives the same tags
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    tag_jsonl(src, out, engine)
    streamed = [json.loads(line)["tag"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert streamed == [t.to_dict() for t in tags]


def test_comment_on_a_consultation_about_the_plan_is_a_synpunkt_in_that_case(engine, tmp_path) -> None:
    """ORE-042: under the account's post that invites synpunkter (samråd, "tyck till"), a comment naming the
    plan or proposal is an ongoing case (registered), whatever its words; elsewhere "planen" is nothing."""
    items = [
        {"id": "p", "item_type": "post", "author_is_account": True, "parent_id": None,
         "text": "Förslaget till ny avfallsplan är ute på samråd till 1 november. Tyck till på orebro.se!"},
        {"id": "a", "item_type": "comment", "author_is_account": False, "parent_id": "p",
         "text": "Skriv in de i planen att det ska bli billigare"},
        {"id": "b", "item_type": "comment", "author_is_account": False, "parent_id": "p", "text": "Tack för infon!"},
        {"id": "q", "item_type": "post", "author_is_account": True, "parent_id": None,
         "text": "Nu öppnar den nya lekplatsen i Hagaby!"},
        {"id": "c", "item_type": "comment", "author_is_account": False, "parent_id": "q",
         "text": "Skriv in de i planen att det ska bli billigare"},
    ]
    tags = engine.tag_all(items)
    assert tags[1].category == "ongoing-case" and tags[1].actions == ["register"] and "ORE-042" in tags[1].rule_ids
    assert any(e.rule_id == "ORE-042" and e.name == "under_consultation" and e.term == "p" for e in tags[1].evidence)
    assert any(e.rule_id == "ORE-042" and e.name == "consultation_object" and e.text == "planen"
               and e.start is not None for e in tags[1].evidence)
    assert "ORE-042" not in tags[2].rule_ids and "ORE-042" not in tags[4].rule_ids
    assert "ORE-042" not in engine.tag(items[1]).rule_ids  # without the thread nothing tells it is a samråd
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    tag_jsonl(src, out, engine)
    assert [json.loads(line)["tag"] for line in out.read_text(encoding="utf-8").splitlines()] == \
        [t.to_dict() for t in tags]


def test_consultation_lexicon_must_exist(tmp_path) -> None:
    shutil.copytree(RETENTION, tmp_path / "r")
    ruleset = tmp_path / "r" / "ruleset.toml"
    ruleset.write_text(ruleset.read_text(encoding="utf-8").replace('consultation_lexicon = "consultation"',
                                                                   'consultation_lexicon = "nosuch"'),
                       encoding="utf-8")
    with pytest.raises(ConfigError, match="consultation_lexicon"):
        RetentionEngine.load(tmp_path / "r")


def test_praise_needs_room_to_say_what_was_good(engine) -> None:
    """ORE-063 (min_words = 8): a cheer of the post is no synpunkt; praise that tells what was good is."""
    for cheer in ("bra att ni gör sånt här", "Fantastisk bild! Mer sånt här tack"):
        tag = engine.tag(_comment(cheer))
        assert "ORE-063" not in tag.rule_ids and "register" not in tag.actions, cheer
    told = engine.tag(_comment("Bra att ni äntligen byggt om korsningen vid Ica Maxi, mycket säkrare nu."))
    assert told.category == "complaint" and told.actions == ["register"] and "ORE-063" in told.rule_ids
    assert any(e.rule_id == "ORE-063" and e.name == "praise" and e.start == 0 for e in told.evidence)


def test_a_case_word_in_a_very_short_text_is_no_case_but_is_not_culled(engine) -> None:
    tag = engine.tag(_comment("Har sökt! 🤞"))
    assert "ORE-041" not in tag.rule_ids and tag.actions == []
    assert tag.retention == "preserve" and tag.needs_review  # ORE-FS1: a case word is a doubt signal
    assert engine.tag(_comment("Jag har sökt bygglov i maj, när kommer beslutet?")).category == "ongoing-case"


def test_min_words_must_be_a_whole_number(tmp_path) -> None:
    shutil.copytree(RETENTION, tmp_path / "r")
    rules = tmp_path / "r" / "rules.toml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("min_words = 8", "min_words = -1"), encoding="utf-8")
    with pytest.raises(ConfigError, match="min_words"):
        RetentionEngine.load(tmp_path / "r")


def test_unclassified_needs_review_and_is_kept(engine) -> None:
    tag = engine.tag({"id": "u", "item_type": "comment", "author_is_account": False,
                      "text": "Min granne har en ny bil och den är blå och stor", "published_at": "2024-01-01"})
    assert tag.category == "unclassified" and tag.needs_review and tag.retention == "preserve"
    assert tag.rule_ids == ["ORE-999"] and tag.decided_by == "ORE-999"
    assert tag.evidence[0].name == "no_rule_matched"


def test_typos_and_compounds(engine) -> None:
    tag = engine.tag({"id": "t", "item_type": "comment", "author_is_account": False,
                      "text": "Hur går det med bygglovsärendet? Snöröjnngen är usel.", "published_at": "2024-01-01"})
    terms = {(e.name, e.text, e.fuzzy) for e in tag.evidence}
    assert ("case_reference", "ärende", False) in terms
    assert tag.category == "ongoing-case"
    fuzzy = engine.matcher.find("Snöröjnngen var sen")
    assert any(h.fuzzy and h.term == "snöröjning*" for h in fuzzy)


def _comment(text: str) -> dict:
    return {"id": "c", "item_type": "comment", "author_is_account": False, "text": text,
            "published_at": "2024-05-02T10:00:00+02:00"}


def test_threat_is_a_violence_word_near_a_target(engine) -> None:
    tag = engine.tag(_comment("Nästa gång åker jag dit och skjuter den ansvarige"))
    assert tag.category == "criminal" and "ORE-015" in tag.rule_ids
    terms = {(e.name, e.text) for e in tag.evidence if e.rule_id == "ORE-015"}
    assert ("harm", "skjuter") in terms and ("threat_target", "den ansvarige") in terms
    # too far apart: the window is 6 words
    far = engine.tag(_comment("Jägarna skjuter rådjur i skogen varje höst, i år har ingen ens frågat den ansvarige"))
    assert "ORE-015" not in far.rule_ids
    # idioms: a longer harmless term hides the violence word
    assert engine.tag(_comment("Kan ni skjuta upp mötet med honom till nästa vecka?")).category != "criminal"
    assert "harm" not in {e.name for e in engine.tag(_comment("Någon slår ihjäl sig på isen")).evidence}


def test_health_about_a_third_person_is_confidential(engine) -> None:
    for text in ("Grannen är alkoholiserad och barnen är ensamma", "Vår 15-åring har börjat skada sig själv",
                 "Lena på kontoret har cancer"):
        tag = engine.tag(_comment(text))
        assert tag.category == "confidential" and tag.access == "restricted", text
        assert "remove" in tag.actions


def test_safety_net_is_restricted_review_never_cull_eligible(engine) -> None:
    tag = engine.tag(_comment("Har kommunen något program mot psykisk ohälsa bland unga?"))
    assert tag.category == "suspected-sensitive" and tag.decided_by == "ORE-026"
    assert tag.needs_review and tag.access == "restricted" and tag.retention == "preserve"
    # A hold proposes nothing of its own: neither removal nor registration on a suspicion; the archivist
    # decides. Here the other match is an unanswered question (unclassified): no action.
    assert tag.actions == []
    # short chatter with a sensitive word is not culled either
    short = engine.tag(_comment("Stackars invandrare 😂"))
    assert short.retention == "preserve" and short.access == "restricted"


def test_safety_net_is_a_hold_acting_as_what_the_text_otherwise_is(engine) -> None:
    """suspected-sensitive (hold = true) keeps, restricts and holds for review; its actions are those of the
    category the other matched rules decide: political is removed, a complaint registered, chat nothing."""
    political = engine.tag(_comment("Sverige borde ta emot färre flyktingar och satsa mer på återvandring. "
                                    "Det är min åsikt."))
    assert political.category == "suspected-sensitive" and "ORE-070" in political.rule_ids
    assert political.actions == ["remove"] and political.needs_review and political.retention == "preserve"
    assert political.access == "restricted"
    complaint = engine.tag(_comment("Hemtjänstpersonalen gör ett fantastiskt jobb men de har alldeles för lite "
                                    "tid per besök."))
    assert complaint.category == "suspected-sensitive" and complaint.actions == ["register"]
    chat = engine.tag(_comment("Vi var familjehem i fem år, det bästa vi gjort ❤️"))
    # ORE-095 (a positive reaction by its shape) matches too; the net decides and neither proposes an action
    assert chat.category == "suspected-sensitive" and chat.decided_by == "ORE-026" and chat.actions == []
    assert set(chat.rule_ids) <= {"ORE-026", "ORE-095"}
    assert chat.needs_review and chat.retention == "preserve" and chat.access == "restricted"
    # every tag still carries its rule id and evidence with offsets
    assert all(e.start is not None for e in chat.evidence if e.kind == "lexicon")


def test_unclassified_is_restricted_only_when_it_decides(engine) -> None:
    nothing = engine.tag(_comment("Min granne har en ny bil och den är blå och stor"))
    assert nothing.category == "unclassified" and nothing.access == "restricted"
    # an unanswered question (ORE-093, unclassified) that is also a complaint keeps the complaint's access
    both = engine.tag(_comment("Varför är det aldrig plogat på Almbyvägen?"))
    assert both.category == "complaint" and "ORE-093" in both.rule_ids and both.access == "open"


def test_near_condition_in_an_override(tmp_path) -> None:
    over = tmp_path / "near"
    (over / "lexicons").mkdir(parents=True)
    (over / "lexicons" / "fisk.txt").write_text("gädd*\n", encoding="utf-8")
    (over / "lexicons" / "sjo.txt").write_text("*sjön\n", encoding="utf-8")
    (over / "rules.toml").write_text(
        '[[rule]]\nid = "X-1"\nbefore = "ORE-001"\ncategory = "initiates-case"\nwhy = "fish in a lake"\n'
        'when = { author_is_account = false, near = ["fisk", "sjo"], window = 2 }\n', encoding="utf-8")
    eng = RetentionEngine.load(overrides=over)
    assert eng.tag(_comment("Massor av gäddor flyter i Ånnabodasjön")).category == "initiates-case"
    assert "X-1" not in eng.tag(_comment("Gäddorna simmar långt ut, långt bort i Ånnabodasjön")).rule_ids


def test_typo_cache_gives_the_same_hits(engine) -> None:
    text = "Snöröjnngen är usel och sophämtnigen likaså"
    first = [(h.term, h.start, h.fuzzy) for h in engine.matcher.find(text)]
    assert first == [(h.term, h.start, h.fuzzy) for h in engine.matcher.find(text)]
    assert sum(f for _, _, f in first) == 2


def _copy_retention(tmp_path: Path) -> Path:
    target = tmp_path / "retention"
    shutil.copytree(RETENTION, target)
    return target


def test_override_lexicon_and_rules_from_another_folder(tmp_path) -> None:
    over = tmp_path / "kommun-x"
    (over / "lexicons").mkdir(parents=True)
    # A new word in an existing lexicon, a word removed, and a rule disabled and one added.
    (over / "lexicons" / "insult.txt").write_text("knasboll*\n-kärring*\n", encoding="utf-8")
    (over / "lexicons" / "gatunamn.txt").write_text("kungsgatan\n", encoding="utf-8")
    (over / "rules.toml").write_text(
        '[[rule]]\nid = "ORE-090"\ndisabled = true\n\n'
        '[[rule]]\nid = "X-001"\nbefore = "ORE-001"\ncategory = "initiates-case"\nwhy = "street named"\n'
        'when = { author_is_account = false, any_lexicon = ["gatunamn"] }\n', encoding="utf-8")
    eng = RetentionEngine.load(overrides=over)
    base = RetentionEngine.load()
    text = {"id": "1", "item_type": "comment", "author_is_account": False, "published_at": "2024-01-01"}
    assert eng.tag({**text, "text": "Vilka knasbollar"}).category == "offensive"
    assert base.tag({**text, "text": "Vilka knasbollar"}).category != "offensive"
    assert eng.tag({**text, "text": "Din kärring"}).category != "offensive"
    assert eng.tag({**text, "text": "Jaså"}).category == "unclassified"  # the short-item rule is gone
    assert base.tag({**text, "text": "Jaså"}).category == "minor"
    assert eng.rules[0].id == "X-001" and eng.tag({**text, "text": "Kungsgatan!"}).category == "initiates-case"
    assert eng.ruleset_version != base.ruleset_version


def test_profile_folder_overrides_rules(tmp_path) -> None:
    swearing = {"id": "1", "item_type": "comment", "author_is_account": False, "text": "Vilket jävla skit",
                "published_at": "2024-01-01"}
    assert RetentionEngine.load(profile="osthammar").tag(swearing).category == "offensive"
    assert RetentionEngine.load(profile="orebro").tag(swearing).category != "offensive"
    with pytest.raises(ConfigError, match="unknown profile"):
        RetentionEngine.load(profile="atlantis")


@pytest.mark.parametrize(
    "content, problem",
    [
        ("[[rule]\nid = 1", "invalid TOML"),
        ('[[rule]]\nid = "B-1"\ncategory = "nope"\n', "unknown category"),
        ('[[rule]]\nid = "B-1"\ncategory = "minor"\nwhen = { any_lexicon = ["nope"] }\n', "unknown lexicon"),
        ('[[rule]]\nid = "B-1"\ncategory = "minor"\nwhen = { colour = "red" }\n', "unknown condition"),
        ('[[rule]]\nid = "B-1"\ncategory = "minor"\nwhen = { short = "yes" }\n', "true or false"),
        ('[[rule]]\ncategory = "minor"\n', "no id"),
        ('[[rule]]\nid = "B-1"\ncategory = "minor"\nwhen = { near = ["harm"] }\n', "at least two"),
        ('[[rule]]\nid = "B-1"\ncategory = "minor"\nwhen = { window = 3 }\n', "only used with near"),
        ('[[rule]]\nid = "B-1"\ncategory = "minor"\nwhen = { near = ["harm", "nope"] }\n', "unknown lexicon"),
    ],
)
def test_bad_rule_file_raises_config_error_naming_file(tmp_path, content: str, problem: str) -> None:
    folder = _copy_retention(tmp_path)
    (folder / "rules.toml").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem) as err:
        RetentionEngine.load(folder)
    message = str(err.value)
    assert "rules.toml" in message and "\n" not in message


def test_unreadable_lexicon_and_bad_category_raise_config_error(tmp_path) -> None:
    folder = _copy_retention(tmp_path)
    (folder / "lexicons" / "chatter.txt").write_bytes(b"\xff\xfe tack")
    with pytest.raises(ConfigError, match="chatter.txt"):
        RetentionEngine.load(folder)
    folder2 = _copy_retention(tmp_path / "b")
    text = (folder2 / "ruleset.toml").read_text(encoding="utf-8").replace('access = "restricted"', 'access = "secret"')
    (folder2 / "ruleset.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ruleset\.toml: category .*access"):
        RetentionEngine.load(folder2)


def test_tag_jsonl_round_trip(tmp_path, engine) -> None:
    src = DATA / "labelled_items.jsonl"
    out = tmp_path / "tagged.jsonl"
    count = tag_jsonl(src, out, engine)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert count == len(lines) == len(read_jsonl(src))
    first = json.loads(lines[0])
    assert first["id"] == read_jsonl(src)[0]["id"] and first["tag"]["decision"] == "1748"
    assert {"category", "retention", "cull_from", "actions", "access", "rule_ids", "evidence", "needs_review",
            "engine_version", "ruleset_version"} <= set(first["tag"])


@pytest.mark.parametrize(("second", "where"), [
    ('\n{"id": "b", "text": \n', r"in\.jsonl:3: not valid JSON"),
    # NaN is Python's extension, not JSON: refused with its line, so no value is changed on the way out
    ('{"id": "b", "score": NaN}\n', r"in\.jsonl:2: not valid JSON \(NaN"),
])
def test_tag_jsonl_names_the_bad_line(tmp_path, engine, second: str, where: str) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "hej"}\n' + second, encoding="utf-8")
    with pytest.raises(SmarchiveError, match=where):
        tag_jsonl(src, tmp_path / "out.jsonl", engine)
    assert not (tmp_path / "out.jsonl").exists()


def test_tag_jsonl_keeps_every_input_value(tmp_path, engine) -> None:
    """The output carries each item's own values unchanged beside its tag: non-ASCII text, an integer beyond
    64 bits (which the fast writer refuses and the standard library writes), a lone surrogate, nested data."""
    items = [
        {"id": "a", "item_type": "comment", "text": "Förskolan på Vivalla 👍 \u00e5", "n": 2 ** 70,
         "extra": {"likes": 3, "ratio": 0.1, "tags": ["x", None, True]}},
        {"id": "b", "item_type": "comment", "text": "bad \ud800 half", "published_at": "2024-05-01T10:00:00+02:00"},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")  # \\u escapes, a lone surrogate too
    out = tmp_path / "out.jsonl"
    assert tag_jsonl(src, out, engine) == 2
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [{k: v for k, v in w.items() if k != "tag"} for w in written] == read_jsonl(src)
    assert all(w["tag"]["decision"] == "1748" and w["tag"]["rule_ids"] for w in written)


def test_every_personal_data_hit_is_evidence_and_restricts_access(engine: RetentionEngine) -> None:
    """Phone, e-mail and address hits show in the tag even when no rule asked for them (issue #14)."""
    text = "Ring mig på 070-123 45 67 eller maila kalle.p@exempel.se, jag bor på Lindgatan 4"
    tag = engine.tag({"id": "x", "item_type": "comment", "author_is_account": False, "text": text,
                      "published_at": "2025-03-01T10:00:00+01:00"})
    found = {(ev.name, ev.text) for ev in tag.evidence if ev.kind == "detector"}
    assert {("phone", "070-123 45 67"), ("email", "kalle.p@exempel.se"), ("address", "Lindgatan 4")} <= found
    for ev in tag.evidence:
        if ev.kind == "detector":
            assert text[ev.start:ev.end] == ev.text
    assert tag.access == "restricted"


def test_own_contact_data_stays_open_but_identity_numbers_never(engine: RetentionEngine) -> None:
    own = {"id": "o", "item_type": "post", "author_is_account": True, "published_at": "2025-03-01T10:00:00+01:00",
           "text": "Frågor? Ring Servicecenter 019-21 10 00 eller mejla servicecenter@orebro.se"}
    tag = engine.tag(own)
    assert tag.access == "open" and any(ev.name == "phone" for ev in tag.evidence)
    card = engine.tag({**own, "text": "Betala med kort 4539 1488 0343 6467 vid entrén"})
    assert card.access == "restricted" and card.category == "confidential"


def test_flag_key_holds_all_the_flag_checks_read() -> None:
    """The engine remembers flag checks per _flag_key: every field a flag check reads must be in it."""
    from smarchive.retention import tag as tag_module

    key_reads = set(tag_module._flag_key.__code__.co_names)
    engine = RetentionEngine.load()
    for rule in engine.rules:
        for check in tag_module._flag_checks(rule):
            assert set(check.__code__.co_names) - {"bool"} <= key_reads, (rule.id, check.__code__.co_names)
    # The key holds the word count by class (_word_limits): counts of one class pass the same word checks.
    limits = engine._word_limits
    for rule in engine.rules:
        if rule.max_words is not None or rule.min_words:
            checks = [c for c in tag_module._flag_checks(rule) if "words" in c.__code__.co_names]
            answers: dict[int, list[bool]] = {}
            for words in range(100):
                facts = type("F", (), {"words": words})()
                answer = [c(facts) for c in checks]
                assert answers.setdefault(tag_module.bisect_right(limits, words), answer) == answer, (rule.id, words)
