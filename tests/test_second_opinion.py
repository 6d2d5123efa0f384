"""The statistical second opinion (issue #14, docs/retention.md "Second opinion"): a small linear model
shipped with the rules that can only make a tag stricter -- send items to review, and propose registering
an item no rule decides -- never cull, open or remove on its word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smarchive.errors import ConfigError
from smarchive.retention.second_opinion import SecondOpinion, features
from smarchive.retention.tag import DEFAULT_RETENTION_DIR, RetentionEngine, Tag, thread_contexts

DATA = Path(__file__).parent / "data"
# Every set the model is trained on (never a blind one).
SETS = ("labelled_items.jsonl", "heldout_items.jsonl", "heldout2_items.jsonl", "eval3_dev.jsonl",
        "eval4_dev.jsonl", "eval6_dev.jsonl", "eval7_dev.jsonl")
OFF = '[second_opinion]\nmodel = ""\n'
# Written for these tests in words the lexicons lack: a complaint about a municipal service that no rule
# decides, and an everyday remark that no rule decides either.
MISSED_COMPLAINT = "Trappan vid stationen har saknat räcke i flera månader, äldre kan inte ta sig upp."
PLAIN_REMARK = "Katten på bilden liknar vår gamla Misse"


def comment(engine: RetentionEngine, text: str) -> Tag:
    return engine.tag({"id": "c", "item_type": "comment", "author_is_account": False, "text": text,
                       "published_at": "2024-03-01T10:00:00+01:00"})


def tiny_model(folder: Path, lines: str, register: bool = False) -> None:
    """An overrides folder whose model knows a few words (weights chosen by hand for the test); without
    ``register`` in the old two-head format (that head off)."""
    (folder / "ruleset.toml").write_text('[second_opinion]\nmodel = "model/tiny.txt"\n', encoding="utf-8")
    (folder / "model").mkdir()
    heads = ("sensitive", "keep", "register") if register else ("sensitive", "keep")
    header = "".join(f"@bias\t{h}\t-4\n@threshold\t{h}\t0.5\n" for h in heads)
    (folder / "model" / "tiny.txt").write_text(header + lines, encoding="utf-8")


def test_model_holds_a_minor_item_with_evidence_and_offsets(tmp_path: Path) -> None:
    tiny_model(tmp_path, "w:blåbärssoppa\t9\t0\n")
    engine = RetentionEngine.load(overrides=tmp_path)
    text = "Mums, BLÅBÄRSSOPPA!"
    tag = comment(engine, text)
    assert (tag.retention, tag.access, tag.needs_review) == ("preserve", "restricted", True)
    assert tag.rule_ids[-1] == "ORE-ML1" and tag.category == "minor"  # the category is still the rules'
    words = [ev for ev in tag.evidence if ev.kind == "model" and ev.start is not None]
    assert [(ev.name, ev.text, text[ev.start:ev.end]) for ev in words] == [
        ("sensitive", "BLÅBÄRSSOPPA", "BLÅBÄRSSOPPA")]
    assert "remove" not in tag.actions and "register" not in tag.actions  # no action on the model's word


def test_keep_head_only_keeps_from_culling(tmp_path: Path) -> None:
    tiny_model(tmp_path, "w:körsbärsträd\t0\t9\n")
    engine = RetentionEngine.load(overrides=tmp_path)
    tag = comment(engine, "Körsbärsträd 😀")
    assert (tag.retention, tag.access, tag.needs_review) == ("preserve", "open", True)  # not restricted


def test_unknown_words_and_emoji_give_no_opinion() -> None:
    engine = RetentionEngine.load()
    for text in ("👍", "😍😍😍", "Tack!", "Vad fint!"):
        tag = comment(engine, text)
        assert "ORE-ML1" not in tag.rule_ids and tag.retention == "cull-eligible", text


def test_shipped_model_sees_lay_words_it_was_never_given_as_rules() -> None:
    # Sentences written for this test; the scores come from the shipped weights.
    model = SecondOpinion.read(DEFAULT_RETENTION_DIR / "model" / "second_opinion.txt")
    assert model.probability("min pappa har blivit så glömsk och förvirrad, vet inte vad vi ska göra",
                             "sensitive") >= model.threshold["sensitive"]
    assert model.probability("vilken härlig bild från stadsparken idag", "sensitive") < model.threshold["sensitive"]


def test_numbers_are_features_by_shape_only() -> None:
    keys = {f.key for f in features("ring 0701234567 eller skriv 19790319-4574")}
    assert "d:10" in keys and not any("0701234567" in k or "4574" in k for k in keys)


@pytest.mark.parametrize("name", SETS)
def test_model_only_makes_tags_stricter(tmp_path: Path, name: str) -> None:
    # On every labelled item: with the model, a tag is never less kept, less restricted or less reviewed,
    # keeps the rules' category, never gains a removal (or loses an action), and gains `register` only
    # where no rule decides (the fallback `unclassified`), with the model's rule id.
    (tmp_path / "ruleset.toml").write_text(OFF, encoding="utf-8")
    with_model, without = RetentionEngine.load(), RetentionEngine.load(overrides=tmp_path)
    items = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    contexts = thread_contexts(items)
    for item in items:
        a, b = with_model.tag(item, contexts.get(item["id"])), without.tag(item, contexts.get(item["id"]))
        assert a.category == b.category and set(b.actions) <= set(a.actions), item["id"]
        added = set(a.actions) - set(b.actions)
        if added:
            assert added == {"register"} and b.category == "unclassified" and not b.actions, item["id"]
            assert "ORE-ML1" in a.rule_ids and not item.get("author_is_account"), item["id"]
        assert not (b.retention == "preserve" and a.retention == "cull-eligible"), item["id"]
        assert not (b.access == "restricted" and a.access == "open"), item["id"]
        assert a.needs_review or not b.needs_review, item["id"]


def test_a_complaint_no_rule_decides_is_proposed_for_registering(tmp_path: Path) -> None:
    (tmp_path / "ruleset.toml").write_text(OFF, encoding="utf-8")
    without = comment(RetentionEngine.load(overrides=tmp_path), MISSED_COMPLAINT)
    assert (without.category, without.actions, without.rule_ids) == ("unclassified", [], ["ORE-999"])
    tag = comment(RetentionEngine.load(), MISSED_COMPLAINT)
    assert (tag.category, tag.actions, tag.rule_ids) == ("unclassified", ["register"], ["ORE-999", "ORE-ML1"])
    # Still kept, restricted and read by an archivist: the model only routes it to the registrar.
    assert (tag.retention, tag.access, tag.needs_review) == ("preserve", "restricted", True)
    model = [ev for ev in tag.evidence if ev.kind == "model"]
    assert all(ev.rule_id == "ORE-ML1" and ev.name == "register" for ev in model)
    assert model[0].term.startswith("p=") and float(model[0].term[2:]) >= 0.5
    words = [ev for ev in model if ev.start is not None]
    assert words and all(MISSED_COMPLAINT[ev.start:ev.end] == ev.text for ev in words)
    assert "ORE-ML1 (second opinion)" in tag.reasons[-1]


def test_a_fallback_item_the_model_does_not_flag_stays_unregistered() -> None:
    tag = comment(RetentionEngine.load(), PLAIN_REMARK)
    assert (tag.category, tag.actions, tag.rule_ids) == ("unclassified", [], ["ORE-999"])
    assert (tag.retention, tag.access, tag.needs_review) == ("preserve", "restricted", True)


def test_register_head_acts_only_on_the_fallback(tmp_path: Path) -> None:
    # A hand-made model that wants every text with "katten" registered: a rule's verdict (here minor,
    # a thank-you) is never changed into a registration, the fallback is.
    tiny_model(tmp_path, "w:katten\t0\t0\t9\n", register=True)
    engine = RetentionEngine.load(overrides=tmp_path)
    thanks = comment(engine, "Tack för bilden på katten!")
    assert (thanks.category, thanks.actions) == ("minor", [])
    tag = comment(engine, PLAIN_REMARK)
    assert (tag.category, tag.actions, tag.rule_ids) == ("unclassified", ["register"], ["ORE-999", "ORE-ML1"])
    assert [(ev.name, ev.term) for ev in tag.evidence if ev.kind == "model"] == [
        ("register", "p=0.99"), ("register", "w:katten +9.00")]
    # Written by the account: never the model's business.
    own = engine.tag({"id": "p", "item_type": "post", "author_is_account": True, "text": PLAIN_REMARK,
                      "published_at": "2024-03-01T10:00:00+01:00"})
    assert "ORE-ML1" not in own.rule_ids


def test_two_head_model_file_has_the_register_head_off() -> None:
    model = SecondOpinion.parse(["@bias\tsensitive\t-1", "@threshold\tsensitive\t0.5", "@bias\tkeep\t-1",
                                 "@threshold\tkeep\t0.5", "w:trappan\t1\t1"], "old.txt")
    assert not model.has("register") and model.opinion("trappan", ("register",)) == []
    assert model.weights["w:trappan"] == (1.0, 1.0, 0.0)


def test_model_file_is_part_of_the_ruleset_version(tmp_path: Path) -> None:
    tiny_model(tmp_path, "w:blåbär\t1\t0\n")
    v1 = RetentionEngine.load(overrides=tmp_path).ruleset_version
    (tmp_path / "model" / "tiny.txt").write_text((tmp_path / "model" / "tiny.txt").read_text() + "w:lingon\t1\t0\n")
    assert RetentionEngine.load(overrides=tmp_path).ruleset_version != v1


def test_bad_model_file_is_one_line_config_error(tmp_path: Path) -> None:
    tiny_model(tmp_path, "w:blåbär\tmycket\n")
    with pytest.raises(ConfigError, match=r"tiny.txt:5: not a model line"):
        RetentionEngine.load(overrides=tmp_path)
    (tmp_path / "ruleset.toml").write_text('[second_opinion]\nmodel = "model/nope.txt"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="not found"):
        RetentionEngine.load(overrides=tmp_path)


def test_fast_scores_equal_the_feature_scores() -> None:
    # The engine scores with fast_scores (no strings built); it must be the model the features describe.
    model = SecondOpinion.read(DEFAULT_RETENTION_DIR / "model" / "second_opinion.txt")
    texts = [json.loads(line)["text"] for line in (DATA / "eval3_dev.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()] + ["ring 070-123 45 67 nu nu nu", "", "😀 å ä ö ÅÄÖ 12 123456"]
    for text in texts:
        lowered = text.lower()
        fast = [*model.fast_scores(lowered), model.register_score(lowered)]
        assert fast == pytest.approx(model.scores(features(lowered)), abs=1e-9), text


def test_register_csv_names_the_model_and_its_words(tmp_path: Path) -> None:
    from smarchive.retention.register import evidence_summary

    tiny_model(tmp_path, "w:blåbärssoppa\t9\t0\n")
    tag = comment(RetentionEngine.load(overrides=tmp_path), "Mums, blåbärssoppa!")
    summary = evidence_summary(tag.to_dict()["evidence"])
    assert "ORE-ML1: sensitive p=0.99" in summary and "ORE-ML1: sensitive 'blåbärssoppa' @6-18" in summary


def test_top_features_equal_the_sorted_feature_weights() -> None:
    # The engine finds the evidence without building every feature; it must be what features() and a
    # sort by weight give (the strongest positive weights, ties in text order).
    model = SecondOpinion.read(DEFAULT_RETENTION_DIR / "model" / "second_opinion.txt")
    texts = [json.loads(line)["text"] for line in (DATA / "eval3_dev.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()] + ["ring 070-123 45 67 nu nu nu", "", "😀 å ä ö ÅÄÖ 12 123456", MISSED_COMPLAINT]
    for text in texts:
        lowered = text.lower()
        feats = features(lowered, model.weights)
        for index in range(3):
            pushed = sorted(((f, model.weights[f.key][index]) for f in feats), key=lambda fw: -fw[1])
            expected = tuple(fw for fw in pushed[:3] if fw[1] > 0)
            assert model.top_features(lowered, index) == expected, (text, index)
