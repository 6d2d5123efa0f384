"""The retention engine: tag each item against the culling decision (gallringsbeslut).

Swedish terms used here: *diarieföring* is registering a record in the case registry (action
"register"); *gallring* is lawful culling of public records under a culling decision, here Örebro's
handlings-id 1748 (items of minor or temporary importance "gallras löpande").

The rules are data (package data ``smarchive/retention/rules/``: ruleset.toml, rules.toml, lexicons/*.txt; format in
docs/retention.md). Every rule that matches an item adds its category and evidence; the strictest
category (highest severity) decides, and retention, access and actions take the strictest value over
all matches. The tool proposes; an archivist confirms, first where ``needs_review`` is set.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import tomllib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from smarchive.errors import ConfigError, SmarchiveError
from smarchive.retention import detectors
from smarchive.retention.lexicon import LexiconHit, LexiconMatcher, lower_same_length, read_lexicon_lines
from smarchive.retention.second_opinion import Opinion, SecondOpinion

ENGINE_VERSION = "1.2.0"
# The rule data ships inside the package (package data), so an installed wheel tags like the checkout.
DEFAULT_RETENTION_DIR = Path(str(resources.files("smarchive.retention").joinpath("rules")))

Retention = Literal["preserve", "cull-eligible"]
Access = Literal["open", "restricted"]
ACTIONS = ("register", "report-police", "remove", "refer-servicecenter")  # also the order they are done in
RETENTIONS = ("preserve", "cull-eligible")
ACCESSES = ("open", "restricted")
# Detector names a rule may use; samordningsnummer comes from the personnummer detector.
DETECTOR_NAMES = ("personnummer", "samordningsnummer", "phone", "email", "url", "case_number", "address", "card",
                  "bank_account")
_DETECTOR_SOURCE = {"samordningsnummer": "personnummer"}
# Personal data: every hit of these detectors is evidence in the tag (whatever rule decided) and makes
# the item's access restricted. Contact data in the account's own items is the municipality's own
# published contact information (switchboard, unit e-mail, visiting address), not a private person's.
PERSONAL_DATA = ("personnummer", "samordningsnummer", "card", "bank_account", "phone", "email", "address")
# A bank account in the account's own post is the municipality's bankgiro (a fee, a fundraiser): public.
_OWN_CONTACT_DATA = frozenset(("phone", "email", "address", "bank_account"))
PERSONAL_DATA_RULE = "PERSONAL-DATA"  # the rule id on personal-data evidence no rule asked for

_WORD_RE = re.compile(r"\w+")
_RULE_KEYS = {"id", "category", "why", "when", "needs_review", "disabled", "before", "after"}
_WHEN_KEYS = {"author_is_account", "item_type", "any_lexicon", "all_lexicons", "no_lexicon", "any_detector",
              "no_detector", "min_hits", "max_words", "min_words", "short", "question", "answered_by_account", "near",
              "window", "visitor_thread", "under_consultation"}
_CANDIDATE_CACHE_SIZE = 20_000  # combinations of hit lexicons/detectors remembered by _candidates
_FLAG_CACHE_SIZE = 256  # flag keys remembered per combination by _matched
DEFAULT_WINDOW = 6  # words between two hits of a "near" condition


# --- public data types -----------------------------------------------------------------------------

@dataclass(slots=True)  # not frozen: created for every hit, and frozen dataclasses are slow to create
class Evidence:
    """Why a rule matched: a lexicon term, a detector hit or a condition, with offsets into the text."""

    rule_id: str
    kind: Literal["lexicon", "detector", "condition", "model"]
    name: str  # lexicon name, detector kind, condition name, or the model's head (second opinion)
    term: str  # the lexicon line, the detector's normalised value, or the condition's value
    text: str = ""  # the matched text as written
    start: int | None = None
    end: int | None = None
    fuzzy: bool = False  # a lexicon match at edit distance 1 (typo)


@dataclass(slots=True)
class Tag:
    """The engine's proposal for one item."""

    item_id: str
    category: str
    retention: Retention
    cull_from: date | None
    actions: list[str]
    access: Access
    rule_ids: list[str]
    evidence: list[Evidence]
    needs_review: bool
    decision: str
    engine_version: str
    ruleset_version: str
    decided_by: str = ""  # the rule that set the category (the fallback rule id when none matched)
    reasons: list[str] = field(default_factory=list)  # the matched rules' explanations

    def manifest_columns(self) -> dict[str, Any]:
        """The manifest's `tag_*` columns (archive.manifest.ITEM_SCHEMA) of this tag: one place for every row
        writer (captured items in the pipeline, exported items in imports)."""
        t = self.to_dict()
        return {
            "tag_category": t["category"], "tag_retention": t["retention"], "tag_cull_from": self.cull_from,
            "tag_actions": t["actions"], "tag_access": t["access"], "tag_rule_ids": t["rule_ids"],
            "tag_evidence": [{k: e.get(k) for k in ("rule_id", "kind", "name", "term", "text", "start", "end")}
                             for e in t["evidence"]],
            "tag_needs_review": t["needs_review"], "tag_decision": t["decision"],
            "tag_engine_version": t["engine_version"], "tag_ruleset_version": t["ruleset_version"],
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO strings), keys in field order. Written out field by field:
        dataclasses.asdict deep-copies recursively, and getattr in a loop was a third of writing tagged
        JSONL after the engine's speed work (issue #14). test_tag checks that every field is here."""
        return {
            "item_id": self.item_id, "category": self.category, "retention": self.retention,
            "cull_from": self.cull_from.isoformat() if self.cull_from else None,
            "actions": list(self.actions), "access": self.access, "rule_ids": list(self.rule_ids),
            "evidence": [{"rule_id": ev.rule_id, "kind": ev.kind, "name": ev.name, "term": ev.term, "text": ev.text,
                          "start": ev.start, "end": ev.end, "fuzzy": ev.fuzzy} for ev in self.evidence],
            "needs_review": self.needs_review, "decision": self.decision, "engine_version": self.engine_version,
            "ruleset_version": self.ruleset_version, "decided_by": self.decided_by, "reasons": list(self.reasons),
        }




@dataclass(frozen=True, slots=True)
class ThreadContext:
    """What the thread around an item tells: did the account answer it? Is it said to another visitor?"""

    answered_by_account: bool = False
    account_reply_ids: tuple[str, ...] = ()
    # The item answers another visitor: its parent (a comment or post) is in the same input, earlier, and
    # not the account's. A reply in a conversation between visitors is not feedback put to the
    # municipality (see the visitor_thread condition and docs/retention.md).
    in_visitor_thread: bool = False
    parent_id: str = ""  # the visitor's item it answers (set only with in_visitor_thread)
    # The id of the account's post the item comments on, when that post invites synpunkter (a samråd, "tyck
    # till": [engine] consultation_lexicon); "" otherwise. A comment there about the plan or proposal is
    # a synpunkt in that case (condition under_consultation).
    consultation_post: str = ""


_NO_CONTEXT = ThreadContext()  # frozen: one shared instance for the many items nobody answered


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    title: str
    severity: int
    retention: Retention
    actions: tuple[str, ...]
    access: Access
    needs_review: bool = False
    # False: the category's access counts only when it decides the tag. The fallback "unclassified" is
    # restricted while nobody has read the item, but an unanswered question that is also a complaint
    # takes the complaint's access.
    access_when_matched: bool = True
    # False: the category's actions count only when it decides. A political remark inside a complaint
    # (the complaint decides) must not get the complaint removed; a political comment still is.
    actions_when_matched: bool = True
    # True: a *hold* (Örebro: suspected-sensitive). It keeps the item, restricts it and holds it for an
    # archivist, but is no decision about what the text is: when it decides, the actions are those the
    # other matched rules would have given (a political comment with a group word is still removed, a
    # complaint still registered, a chat line with a health word neither). A suspicion alone proposes
    # neither registration nor removal; the archivist decides (docs/retention.md, "Safety net").
    hold: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule, compiled from rules.toml. ``None`` conditions are not checked."""

    id: str
    category: str
    why: str
    order: int
    needs_review: bool = False
    author_is_account: bool | None = None
    item_types: frozenset[str] | None = None
    any_lexicon: tuple[str, ...] = ()
    all_lexicons: tuple[str, ...] = ()
    no_lexicon: tuple[str, ...] = ()
    any_detector: tuple[str, ...] = ()
    no_detector: tuple[str, ...] = ()
    min_hits: int = 0
    max_words: int | None = None
    min_words: int = 0  # at least this many words (0: no condition)
    short: bool | None = None
    question: bool | None = None
    answered_by_account: bool | None = None
    visitor_thread: bool | None = None  # said to another visitor: answers a visitor (ThreadContext) or opens with @
    under_consultation: bool | None = None  # thread context: a comment on an account post inviting synpunkter
    near: tuple[str, ...] = ()  # lexicons that must all hit within ``window`` words of a hit of the first
    window: int = DEFAULT_WINDOW

    def matches(self, f: _Facts) -> bool:
        """Reference implementation of the conditions; the engine runs the compiled form (compile_rule_split)."""
        key_checks, flag_checks, hit_checks = compile_rule_split(self)
        return all(check(f) for check in (*key_checks, *flag_checks, *hit_checks))


Check = Callable[["_Facts"], bool]


def compile_rule_split(rule: Rule) -> tuple[tuple[Check, ...], tuple[Check, ...], tuple[Check, ...]]:
    """The rule's conditions as three short tuples of checks: (key checks, flag checks, hit checks), cheapest
    and most selective first (a rule that names a lexicon is usually rejected by one dict look-up). A key
    check looks only at *which* lexicons and detectors hit (``n in f.lex``) and at the author, so its result
    is the same for every item with the same hit names and author, and the engine evaluates it once per
    combination (RetentionEngine._candidates). A flag check looks only at the item's flags (_flag_key),
    and the engine evaluates it once per combination of those too (RetentionEngine._matched); hit checks
    (proximity, hit counts) run per item. The author check comes first (57 of 58 rules have one: settled
    per combination, not per item)."""
    keys: list[Check] = []
    hits: list[Check] = []
    if rule.author_is_account is not None:
        want_author = rule.author_is_account
        keys.append(lambda f: f.author_is_account == want_author)
    if rule.any_lexicon:
        any_lex = rule.any_lexicon
        keys.append(lambda f: any(n in f.lex for n in any_lex))
    if rule.any_detector:
        any_det = rule.any_detector
        keys.append(lambda f: any(n in f.det for n in any_det))
    if rule.all_lexicons:
        all_lex = rule.all_lexicons
        keys.append(lambda f: all(n in f.lex for n in all_lex))
    if rule.near:
        near, window = rule.near, rule.window
        keys.append(lambda f: all(n in f.lex for n in near))
        hits.append(lambda f: _near(f, near, window))
    if rule.no_lexicon or rule.no_detector:
        no_lex, no_det = rule.no_lexicon, rule.no_detector
        keys.append(lambda f: not any(n in f.lex for n in no_lex) and not any(n in f.det for n in no_det))
    if rule.min_hits:
        names, dets, need = rule.any_lexicon, rule.any_detector, rule.min_hits
        hits.append(lambda f: sum(len(f.lex.get(n, ())) for n in names)
                    + sum(len(f.det.get(n, ())) for n in dets) >= need)
    return tuple(keys), tuple(_flag_checks(rule)), tuple(hits)


def _near(f: _Facts, names: tuple[str, ...], window: int) -> bool:
    """True if some hit of the first lexicon has a hit of every other lexicon at most ``window`` words
    away (overlapping or adjacent hits are 0 words apart). Only runs when all the lexicons hit."""
    text, lex = f.text, f.lex
    # Loops rather than all() over any() over generators: two generator objects per anchor cost more
    # than the word counts (issue #14).
    for anchor in lex[names[0]]:
        for name in names[1:]:
            if not _near_one(text, anchor, lex[name], window):
                break
        else:
            return True
    return False


def _near_one(text: str, anchor: LexiconHit, hits: list[LexiconHit], window: int) -> bool:
    """Is one of ``hits`` at most ``window`` words from ``anchor``?"""
    for hit in hits:
        if _words_between(text, anchor, hit) <= window:
            return True
    return False


def _words_between(text: str, a: LexiconHit, b: LexiconHit) -> int:
    """Whole words between two hits; the rest of a hit's own word ("gädd|orna", "Ånnaboda|sjön") is not one."""
    lo, hi = (a.end, b.start) if a.start <= b.start else (b.end, a.start)
    if hi <= lo:
        return 0
    count = len(_WORD_RE.findall(text, lo, hi))
    if text[lo - 1].isalnum() and text[lo].isalnum():
        count -= 1
    if text[hi - 1].isalnum() and text[hi].isalnum():
        count -= 1
    return max(count, 0)


# A text that opens by tagging someone ("@Lena Holm såg du detta", "@lisa.berg kolla!!") speaks to that
# person, not to the municipality.
_OPENING_MENTION_RE = re.compile(r"\s*@\w")


def _to_visitor(text: str, context: ThreadContext) -> bool:
    """The item is said to another visitor: it answers a visitor's comment (thread context) or opens by
    tagging someone (@name). Condition visitor_thread; computed once per item (_Facts.to_visitor)."""
    return context.in_visitor_thread or ("@" in text and _OPENING_MENTION_RE.match(text) is not None)


def _flag_key(f: _Facts, word_limits: Sequence[int]) -> tuple[object, ...]:
    """Everything of an item the flag checks (_flag_checks) look at: items with the same key pass the same
    flag checks. Keep the two together. The word count counts only by how many of ``word_limits``
    (_word_limits) it reaches, so the key takes few values (the engine remembers the results per key)."""
    return (f.item_type, f.short, bisect_right(word_limits, f.words), f.question, f.answered, f.to_visitor,
            bool(f.context.consultation_post))


def _word_limits(rules: Iterable[Rule]) -> list[int]:
    """The word counts from which a max_words or min_words check changes its answer (max_words L: from L + 1,
    min_words M: from M), sorted: two counts that reach the same number of them pass the same checks."""
    limits = {r.max_words + 1 for r in rules if r.max_words is not None}
    return sorted(limits | {r.min_words for r in rules if r.min_words})


def _flag_checks(rule: Rule) -> list[Check]:
    checks: list[Check] = []
    if rule.item_types is not None:
        types = rule.item_types
        checks.append(lambda f: f.item_type in types)
    if rule.short is not None:
        want_short = rule.short
        checks.append(lambda f: f.short == want_short)
    if rule.max_words is not None:
        limit = rule.max_words
        checks.append(lambda f: f.words <= limit)
    if rule.min_words:
        least = rule.min_words
        checks.append(lambda f: f.words >= least)
    if rule.question is not None:
        want_question = rule.question
        checks.append(lambda f: f.question == want_question)
    if rule.answered_by_account is not None:
        want_answered = rule.answered_by_account
        checks.append(lambda f: f.answered == want_answered)
    if rule.visitor_thread is not None:
        want_visitor = rule.visitor_thread
        checks.append(lambda f: f.to_visitor == want_visitor)
    if rule.under_consultation is not None:
        want_consultation = rule.under_consultation
        checks.append(lambda f: bool(f.context.consultation_post) == want_consultation)
    return checks


# The rules left once the key checks are settled, each with its flag and hit checks, and per flag key the
# ones of them whose flag checks pass with their hit checks (RetentionEngine._candidates, _matched).
_Candidates = tuple[list[tuple["Rule", tuple["Check", ...], tuple["Check", ...]]],
                    dict[tuple[object, ...], tuple[list["Rule"], list[tuple["Check", ...]] | None]]]


@dataclass(slots=True)
class _Facts:
    """Everything the rules look at, computed once per item."""

    author_is_account: bool
    item_type: str
    lex: dict[str, list[LexiconHit]]
    det: dict[str, list[detectors.Hit]]
    words: int
    digits: int  # decimal digits in the text (detectors.count_digits)
    short: bool
    question: bool
    answered: bool
    context: ThreadContext
    text: str = ""
    lowered: str = ""
    to_visitor: bool = False  # said to another visitor (see _to_visitor)


# --- fail-safe --------------------------------------------------------------------------------------

# A run of digits (with spaces, dashes, dots or slashes between groups) that no detector identified may
# be an identity number written in a way the detectors do not know: a weak signal, never a decision.
_NUMBER_RE = re.compile(r"\d(?:[\d \t\-\u2013\u2014./+]{0,3}\d)+")


@dataclass(frozen=True, slots=True)
class FailSafe:
    """What the engine is unsure of goes to review, never to culling (issue #14; docs/retention.md).

    A *sensitive* weak signal (a personal-data hit, a partial legal element, a health, social-services
    or crime word, a name next to a negative word, an unidentified long number) makes the item
    restricted, never cull-eligible, and held for review unless it is already marked for removal.
    A *doubt* signal (dissatisfaction, a question to the municipality, a case word, a child, a long
    text) only keeps an item that a rule made cull-eligible from culling, and holds it for review; a
    long text is also held for review when a rule registers it (its middle may hide anything)."""

    rule_id: str = "ORE-FS1"
    sensitive_lexicons: tuple[str, ...] = ()
    doubt_lexicons: tuple[str, ...] = ()
    person_lexicons: tuple[str, ...] = ()  # a name, a third person, a child
    person_near: tuple[str, ...] = ()  # a person within ``person_window`` words of one of these is sensitive
    person_window: int = DEFAULT_WINDOW
    no_answer_lexicon: str = ""  # a question without a hit here is put to the municipality (doubt)
    long_words: int = 0  # more words than this is a doubt signal (0: off)
    number_digits: int = 0  # an unidentified number of at least this many digits is sensitive (0: off)
    # A registered item that tells about someone else (a name, a third person, a child: a hit of one of
    # these) is read by a person before it is handed out open: it may say more about them than the
    # lexicons see (issue #14, "a text about the writer themselves and a text about someone else").
    registered_person_lexicons: tuple[str, ...] = ()
    # The lexicon tuples above as sets, for one C-level test whether an item hits any of them at all.
    _sensitive: frozenset[str] = field(init=False, repr=False, compare=False)
    _doubt: frozenset[str] = field(init=False, repr=False, compare=False)
    _person: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, names in (("_sensitive", self.sensitive_lexicons), ("_doubt", self.doubt_lexicons),
                            ("_person", self.person_lexicons)):
            object.__setattr__(self, name, frozenset(names))  # frozen: set once, here

    def about_others(self, f: _Facts) -> list[Evidence]:
        out: dict[tuple[str, int], Evidence] = {}  # one per lexicon and place ("dotter", "dotter*")
        for n in self.registered_person_lexicons:
            for h in f.lex.get(n, ()):
                out.setdefault((n, h.start), Evidence(self.rule_id, "lexicon", n, h.term, h.text, h.start, h.end,
                                                      h.fuzzy))
        return list(out.values())

    def sensitive(self, f: _Facts, explained: tuple[str, ...] = ()) -> list[Evidence]:
        """``explained``: detectors the deciding rule used as its own element (a shop's phone in an ad)."""
        rid = self.rule_id
        out = self._lexicon_evidence(self.sensitive_lexicons, self._sensitive, f)
        # A street address is mostly where a fault is (felanmälan): it restricts access (see _decide)
        # and keeps the item from culling (doubt), but alone does not call for a review.
        if f.det:  # most items have no detector hit: no list to build
            out += [Evidence(rid, "detector", h.kind, h.value or h.text, h.text, h.start, h.end)
                    for h in _personal_data(f) if h.kind != "address" and h.kind not in explained]
        if not self._person.isdisjoint(f.lex):
            out += self._person_near_negative(f)
        if self.number_digits:
            out += self._unidentified_numbers(f)
        return out

    def doubt(self, f: _Facts) -> list[Evidence]:
        rid = self.rule_id
        out = self._lexicon_evidence(self.doubt_lexicons, self._doubt, f)
        # A question the account answered on the spot is minor (the guideline's "enkel fråga besvarad").
        if f.det:
            out += [Evidence(rid, "detector", h.kind, h.value or h.text, h.text, h.start, h.end)
                    for h in f.det.get("address", ())]
        if f.question and not f.answered and self.no_answer_lexicon not in f.lex:
            out.append(Evidence(rid, "condition", "question_to_municipality", "true"))
        return out + self._long_text(f)

    def long_text(self, f: _Facts) -> list[Evidence]:
        """The doubt evidence named long_text, without building the rest of doubt() (issue #14: most items
        the fail-safe asks are kept, and of a kept item it looks at this alone)."""
        if "long_text" in self._doubt:  # a doubt lexicon of that name: its evidence has that name too
            return [ev for ev in self.doubt(f) if ev.name == "long_text"]
        return self._long_text(f)

    def _long_text(self, f: _Facts) -> list[Evidence]:
        if self.long_words and f.words > self.long_words:
            return [Evidence(self.rule_id, "condition", "long_text", str(f.words))]
        return []

    def _lexicon_evidence(self, names: tuple[str, ...], among: frozenset[str], f: _Facts) -> list[Evidence]:
        """Evidence of every hit of the lexicons ``names`` (``among``: the same as a set), in their order.
        Most items hit none of them: one set test in C says so before a loop over all the names (issue
        #14: with the detector lists skipped when there are no detector hits, 3.2 -> 2.5 us an item)."""
        if among.isdisjoint(f.lex):
            return []
        rid = self.rule_id
        return [Evidence(rid, "lexicon", n, h.term, h.text, h.start, h.end, h.fuzzy)
                for n in names if n in f.lex for h in f.lex[n]]

    def _person_near_negative(self, f: _Facts) -> list[Evidence]:
        """Someone other than the writer said something negative about: possible förtal or a sensitive
        matter about a third person. Returns the first such pair as evidence."""
        people = [(n, h) for n in self.person_lexicons for h in f.lex.get(n, ())]
        for other in self.person_near:
            for h in f.lex.get(other, ()):
                for name, person in people:
                    if _words_between(f.text, person, h) <= self.person_window:
                        return [Evidence(self.rule_id, "lexicon", name, person.term, person.text,
                                         person.start, person.end),
                                Evidence(self.rule_id, "lexicon", other, h.term, h.text, h.start, h.end)]
        return []

    def _unidentified_numbers(self, f: _Facts) -> list[Evidence]:
        if f.digits < self.number_digits:
            return []  # most texts: no number scan (a number needs that many digits, see _date_like)
        out: list[Evidence] = []
        known: list[tuple[int, int]] | None = None
        for m in _NUMBER_RE.finditer(f.text):  # one C-level scan; most texts have no long number
            if m.end() - m.start() < self.number_digits:
                continue
            if known is None:
                known = [(h.start, h.end) for hits in f.det.values() for h in hits]
            digits = sum(c.isdigit() for c in m.group())
            overlaps = any(s < m.end() and m.start() < e for s, e in known)
            if not overlaps and _date_like(m.group(), digits, self.number_digits):
                out.append(Evidence(self.rule_id, "condition", "unidentified_number", str(digits),
                                    m.group(), m.start(), m.end()))
        return out


def _date_like(number: str, digits: int, minimum: int) -> bool:
    """6, 8, 10 or 12 digits starting with a plausible (YY)YYMMDD date, day + 60 for samordningsnummer:
    the shape of a birth date or identity number, not of an invoice, a time range or a case number."""
    if digits < minimum or digits not in (6, 8, 10, 12):
        return False
    d = "".join(c for c in number if c.isdigit())
    month, day = (int(d[4:6]), int(d[6:8])) if digits in (8, 12) else (int(d[2:4]), int(d[4:6]))
    return 1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91)


def _failsafe_from(ruleset: Mapping[str, Any], lexicons: Mapping[str, list[str]]) -> FailSafe | None:
    """The [failsafe] table of ruleset.toml, validated; None when the rule set has none."""
    spec = ruleset.get("failsafe")
    if spec is None:
        return None
    where = "ruleset.toml [failsafe]"
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: must be a table")
    names = {k: _str_list(where, k, spec.get(k, []))
             for k in ("sensitive_lexicons", "doubt_lexicons", "person_lexicons", "person_near",
                       "registered_person_lexicons")}
    no_answer = str(spec.get("no_answer_lexicon", ""))
    for name in (*(n for group in names.values() for n in group), *([no_answer] if no_answer else [])):
        if name not in lexicons:
            raise ConfigError(f"{where}: unknown lexicon {name!r}")
    return FailSafe(
        rule_id=str(spec.get("rule_id", "ORE-FS1")), sensitive_lexicons=names["sensitive_lexicons"],
        doubt_lexicons=names["doubt_lexicons"], person_lexicons=names["person_lexicons"],
        person_near=names["person_near"], no_answer_lexicon=no_answer,
        registered_person_lexicons=names["registered_person_lexicons"],
        person_window=_opt_int(where, "person_window", spec.get("person_window", DEFAULT_WINDOW)),
        long_words=_opt_int(where, "long_words", spec.get("long_words")),
        number_digits=_opt_int(where, "number_digits", spec.get("number_digits")),
    )


# --- the engine ------------------------------------------------------------------------------------

class RetentionEngine:
    """Tags items with a retention proposal. Build it with ``RetentionEngine.load()``."""

    def __init__(self, *, profile: str, ruleset: Mapping[str, Any], categories: Mapping[str, Category],
                 rules: Sequence[Rule], lexicons: Mapping[str, list[str]], ruleset_version: str,
                 second_opinion: SecondOpinion | None = None) -> None:
        self.profile = profile
        self.ruleset = ruleset
        self.categories = dict(categories)
        self.rules = list(rules)
        self.lexicons = dict(lexicons)
        self.ruleset_version = ruleset_version
        engine_cfg = ruleset.get("engine", {})
        self.decision = str(ruleset["decision"]["id"])
        self.period_years = int(ruleset["decision"].get("period_years", 0))
        self.short_max_words = int(engine_cfg.get("short_max_words", 3))
        self.fallback = self.categories[engine_cfg.get("fallback_category", "unclassified")]
        # Every tag names a rule, also when none matched, so each row of the manifest is explainable.
        self.fallback_rule = str(engine_cfg.get("fallback_rule_id", "FALLBACK"))
        self.timezone = ZoneInfo(engine_cfg.get("timezone", "Europe/Stockholm"))
        self.matcher = LexiconMatcher(self.lexicons, int(engine_cfg.get("fuzzy_min_length", 7)))
        # An account post that invites synpunkter (samråd, "tyck till") opens a case for its comments: the
        # thread index asks invites_feedback of every account post ([engine] consultation_lexicon).
        consultation = str(engine_cfg.get("consultation_lexicon", ""))
        if consultation and consultation not in self.lexicons:
            raise ConfigError(f"[engine] consultation_lexicon: unknown lexicon {consultation!r}")
        self._consultation = (LexiconMatcher({consultation: self.lexicons[consultation]}, 0)
                              if consultation else None)
        self._split = [(rule, *compile_rule_split(rule)) for rule in self.rules]
        self._word_limits = _word_limits(self.rules)
        # Most rules need some lexicon or detector to hit; index them by those names so an item only
        # runs the rules its hits can trigger (plus the rules that need none).
        self._always: list[int] = []
        self._by_trigger: dict[str, list[int]] = {}
        for index, rule in enumerate(self.rules):
            triggers = rule.any_lexicon or rule.all_lexicons[:1] or rule.near[:1]
            if rule.any_detector and not triggers:
                triggers = rule.any_detector
            if not triggers:
                self._always.append(index)
            for name in triggers:
                self._by_trigger.setdefault(name, []).append(index)
        self._evidence_lexicons = {r.id: tuple(dict.fromkeys((*r.any_lexicon, *r.all_lexicons, *r.near)))
                                   for r in self.rules}
        self._conditions = {r.id: _condition_terms(r) for r in self.rules}
        self._candidate_cache: dict[tuple[frozenset[str], frozenset[str], bool], _Candidates] = {}
        self._verdicts: dict[tuple[str, ...], _Verdict] = {}  # by the matched rules' ids, see _verdict
        used = {d for r in self.rules for d in (*r.any_detector, *r.no_detector)}
        self._detectors = frozenset(_DETECTOR_SOURCE.get(d, d) for d in (*used, *PERSONAL_DATA))
        self.failsafe = _failsafe_from(ruleset, self.lexicons)
        self.second_opinion = second_opinion
        self.second_opinion_rule = str(ruleset.get("second_opinion", {}).get("rule_id", "ML"))
        self._register_head = second_opinion is not None and second_opinion.has("register")

    # loading ---------------------------------------------------------------------------------------

    @classmethod
    def load(cls, retention_dir: Path | None = None, profile: str = "orebro",
             overrides: Path | None = None) -> RetentionEngine:
        """Load the rule set in ``retention_dir`` (default: the package's ``smarchive/retention/rules/``), then the
        profile's folder ``profiles/<profile>/`` (if any), then ``overrides``. Raises ConfigError."""
        base_dir = Path(retention_dir) if retention_dir is not None else DEFAULT_RETENTION_DIR
        loader = _Loader()
        loader.add_layer(base_dir, required=True)
        profile_dir = base_dir / "profiles" / profile
        if profile_dir.is_dir():
            loader.add_layer(profile_dir, required=False)
        elif profile != loader.ruleset.get("ruleset", {}).get("name"):
            raise ConfigError(f"{profile_dir}: unknown profile {profile!r} (no such folder)")
        if overrides is not None:
            if not Path(overrides).is_dir():
                raise ConfigError(f"{overrides}: overrides folder does not exist")
            loader.add_layer(Path(overrides), required=False)
        return loader.build(profile)

    def sub_matcher(self, names: Iterable[str]) -> LexiconMatcher:
        """A matcher over some of this engine's lexicons (used by find_sensitive_terms)."""
        fuzzy = int(self.ruleset.get("engine", {}).get("fuzzy_min_length", 7))
        return LexiconMatcher({n: self.lexicons.get(n, []) for n in names}, fuzzy)

    # tagging ---------------------------------------------------------------------------------------

    def tag(self, item: Mapping[str, Any], context: ThreadContext | None = None) -> Tag:
        """Tag one item. Without ``context`` the item counts as not answered by the account."""
        context = context or _NO_CONTEXT
        created = _parse_datetime(item.get("published_at"), self.timezone)
        facts = self._facts(item, context, created)
        return self._decide(item, facts, self._matched(facts), created)

    def invites_feedback(self, text: str) -> bool:
        """Does an account post invite synpunkter (a hit of [engine] consultation_lexicon)?"""
        return self._consultation is not None and bool(self._consultation.find(text))

    def thread_index(self) -> ThreadIndex:
        """An empty thread index that knows this engine's consultation words."""
        return ThreadIndex(self.timezone, self.invites_feedback)

    def tag_all(self, items: Sequence[Mapping[str, Any]]) -> list[Tag]:
        """Tag items of one or more threads, computing each item's thread context from id/parent_id."""
        contexts = thread_contexts(items, self.timezone, self.invites_feedback)
        # Tags hold no reference cycles; pausing the cyclic garbage collector while creating many
        # thousands of them saves the repeated full-heap scans it would otherwise run.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return [self.tag(item, contexts.get(str(item.get("id")))) for item in items]
        finally:
            if was_enabled:
                gc.enable()

    def _matched(self, facts: _Facts) -> list[Rule]:
        """The rules that match the item, in file order (a list shared between items: not to be changed).
        The candidates for its hit names (_candidates), those of them whose flag checks pass, remembered per
        flag key (_flag_key: the flag checks were most of the checks run per item, issue #14), and of those
        the ones whose hit checks pass, when any has some."""
        found, by_flags = self._candidates(facts)
        flags = _flag_key(facts, self._word_limits)
        passing = by_flags.get(flags)
        if passing is None:
            passing = _flags_passing(found, facts)
            if len(by_flags) >= _FLAG_CACHE_SIZE:
                by_flags.clear()
            by_flags[flags] = passing
        rules, hit_checks = passing
        if hit_checks is None:  # most items: what the flags let through matches
            return rules
        return [rule for rule, checks in zip(rules, hit_checks, strict=True) if not checks or _passes(checks, facts)]

    def _candidates(self, facts: _Facts) -> _Candidates:
        # The candidates depend only on which lexicons and detectors hit, and few combinations occur:
        # remembered per combination (bounded), the set union and sort run once per combination.
        # The key checks (which names hit, the author) are settled here too, once per combination, so per
        # item only the flag and hit checks of the rules still in the running are left (_matched).
        key = (frozenset(facts.lex), frozenset(facts.det), facts.author_is_account)
        found = self._candidate_cache.get(key)
        if found is None:
            indexes = set(self._always)
            for name in (*facts.lex, *facts.det):
                indexes.update(self._by_trigger.get(name, ()))
            rules = [(rule, flag_checks, hit_checks)
                     for rule, key_checks, flag_checks, hit_checks in (self._split[i] for i in sorted(indexes))
                     if _passes(key_checks, facts)]
            if len(self._candidate_cache) >= _CANDIDATE_CACHE_SIZE:
                self._candidate_cache.clear()
            found = self._candidate_cache[key] = (rules, {})
        return found

    def _strongest(self, matched: list[Rule]) -> Rule:
        """The rule whose category decides: the highest severity, file order breaking ties."""
        return max(matched, key=lambda r: (self.categories[r.category].severity, -r.order))

    def _verdict(self, matched: list[Rule]) -> _Verdict:
        """The matched rules' verdict (see _Verdict), remembered per combination of rule ids (bounded)."""
        if matched:
            winner: Rule | None = self._strongest(matched)
            category = self.categories[winner.category]
            cats = [self.categories[r.category] for r in matched]
            rule_ids = tuple(r.id for r in matched)
            reasons = tuple(f"{r.id} ({r.category}): {r.why}" for r in matched)
        else:
            winner, category, cats = None, self.fallback, [self.fallback]
            rule_ids = (self.fallback_rule,)
            reasons = (f"{self.fallback_rule} ({category.id}): no rule decides; an archivist assesses the item",)
        # Severity: every dimension takes its strictest value over all matched categories.
        retention: Retention = "preserve" if any(c.retention == "preserve" for c in cats) else "cull-eligible"
        restricted = any(c.access == "restricted" and (c.access_when_matched or c is category) for c in cats)
        # The category whose actions count in full: the deciding one, or under a hold the one that would
        # decide without it (the strongest other match); a hold alone acts as nothing else.
        acting = category
        if category.hold:
            below = [r for r in matched if not self.categories[r.category].hold]
            if below:
                acting = self.categories[self._strongest(below).category]
        wanted = {a for c in cats if c.actions_when_matched or c is acting for a in c.actions}
        verdict = _Verdict(
            winner=winner, category=category, retention=retention, restricted=restricted,
            actions=tuple(a for a in ACTIONS if a in wanted),
            needs_review=category.needs_review or (winner is not None and winner.needs_review),
            rule_ids=rule_ids, reasons=reasons)
        if len(self._verdicts) >= _CANDIDATE_CACHE_SIZE:
            self._verdicts.clear()
        self._verdicts[tuple(r.id for r in matched)] = verdict
        return verdict

    def _facts(self, item: Mapping[str, Any], context: ThreadContext, created: datetime | None) -> _Facts:
        text = str(item.get("text") or "")
        lowered = lower_same_length(text)
        lex: dict[str, list[LexiconHit]] = {}
        hits, words = self.matcher.find_counting_words(text, lowered)  # words: len(_WORD_RE.findall(text))
        for hit in hits:
            lex.setdefault(hit.lexicon, []).append(hit)
        ref = created.date() if created else None
        det: dict[str, list[detectors.Hit]] = {}
        digits = detectors.count_digits(text)
        for hit in detectors.find_all(text, ref, self._detectors, digits):
            det.setdefault(hit.kind, []).append(hit)
        stripped = text.strip()
        return _Facts(
            author_is_account=bool(item.get("author_is_account", False)),
            item_type=str(item.get("item_type") or ""),
            lex=lex, det=det, words=words, digits=digits,
            # An empty text (an image or video alone) is not "short": nobody has read it yet.
            short=bool(stripped) and words <= self.short_max_words,
            question="?" in text,
            answered=context.answered_by_account,
            context=context,
            text=text,
            lowered=lowered,
            to_visitor=_to_visitor(text, context),
        )

    def _decide(self, item: Mapping[str, Any], facts: _Facts, matched: list[Rule],
                created: datetime | None) -> Tag:
        verdict = self._verdicts.get(tuple([r.id for r in matched]))
        if verdict is None:
            verdict = self._verdict(matched)
        winner, category = verdict.winner, verdict.category
        retention, restricted = verdict.retention, verdict.restricted
        personal = _personal_data(facts)
        if personal and not (facts.author_is_account and {h.kind for h in personal} <= _OWN_CONTACT_DATA):
            restricted = True
        access: Access = "restricted" if restricted else "open"
        actions, needs_review = list(verdict.actions), verdict.needs_review
        rule_ids, reasons = list(verdict.rule_ids), list(verdict.reasons)
        if winner is None:
            evidence = [Evidence(self.fallback_rule, "condition", "no_rule_matched", "true")]
        else:
            evidence = []
            for rule in matched:  # a loop, not a nested comprehension: most items match one or two rules
                evidence += _evidence(rule, self._evidence_lexicons[rule.id], facts, self._conditions[rule.id])
        if self.failsafe is not None and not facts.author_is_account:
            explained = winner.any_detector if winner is not None else ()
            held = _fail_safe(self.failsafe, facts, retention, access, needs_review or "remove" in actions,
                              explained, "register" in actions)
            if held is not None:
                retention, access, needs_review, signals = "preserve", held[0], held[1], held[2]
                evidence += signals
                rule_ids.append(self.failsafe.rule_id)
                reasons.append(f"{self.failsafe.rule_id} (fail-safe): {_FAILSAFE_WHY}")
        if self.second_opinion is not None and not facts.author_is_account:
            held2 = _second_opinion(self.second_opinion, self.second_opinion_rule, facts, retention, access,
                                    needs_review or "remove" in actions)
            if held2 is not None:
                retention, access, needs_review = "preserve", held2[0], True
                evidence += held2[1]
                rule_ids.append(self.second_opinion_rule)
                reasons.append(f"{self.second_opinion_rule} (second opinion): {_MODEL_WHY}")
            # Where no rule decides, the model may propose registering (never removing): the item is
            # kept, restricted and read by an archivist anyway, so the proposal only routes it.
            if self._register_head and category is self.fallback and not actions:
                registered = _register_opinion(self.second_opinion, self.second_opinion_rule, facts)
                if registered:
                    actions, retention, needs_review = ["register"], "preserve", True  # access unchanged
                    evidence += registered
                    if self.second_opinion_rule not in rule_ids:
                        rule_ids.append(self.second_opinion_rule)
                    reasons.append(f"{self.second_opinion_rule} (second opinion): {_MODEL_REGISTER_WHY}")
        cull_from = None
        if retention == "cull-eligible":
            if created is None:
                needs_review = True  # cannot date the culling without knowing when it was received
            else:
                cull_from = cull_date(created.year, self.period_years)
        if personal:  # most items have none: no need to see which detector hits are shown already
            shown = {(ev.name, ev.start) for ev in evidence if ev.kind == "detector"}
            evidence += [Evidence(PERSONAL_DATA_RULE, "detector", h.kind, h.value or h.text, h.text, h.start, h.end)
                         for h in personal if (h.kind, h.start) not in shown]
        return Tag(
            item_id=str(item.get("id", "")), category=category.id, retention=retention, cull_from=cull_from,
            actions=actions, access=access, rule_ids=rule_ids, evidence=evidence,
            needs_review=needs_review, decision=self.decision, engine_version=ENGINE_VERSION,
            ruleset_version=self.ruleset_version, decided_by=rule_ids[0] if winner is None else winner.id,
            reasons=reasons,
        )


@dataclass(frozen=True, slots=True)
class _Verdict:
    """What the matched rules alone decide (no fact of the item): the same for every item the same rules
    match, so worked out once per combination (RetentionEngine._verdict)."""

    winner: Rule | None
    category: Category
    retention: Retention
    restricted: bool  # by the categories; personal data may restrict an item too
    actions: tuple[str, ...]
    needs_review: bool
    rule_ids: tuple[str, ...]
    reasons: tuple[str, ...]


_FAILSAFE_WHY = ("a weak signal of something sensitive, criminal or case-related (evidence of this rule): "
                 "what the engine is not sure of goes to review, never to culling and never open")


def _fail_safe(fs: FailSafe, facts: _Facts, retention: Retention, access: Access,
               handled: bool, explained: tuple[str, ...] = (),
               registered: bool = False) -> tuple[Access, bool, list[Evidence]] | None:
    """The fail-safe's change to a tag: (access, needs_review, evidence), or None when it changes nothing.
    ``handled``: the item is already held for review or marked for removal; ``registered``: a rule
    proposes to register it."""
    culled = retention == "cull-eligible"
    if culled or access == "open" or not handled:  # else a sensitive signal could change nothing
        sensitive = fs.sensitive(facts, explained)
        if sensitive:
            return "restricted", True, sensitive
    if culled:
        doubt = fs.doubt(facts)
        if doubt:
            return access, True, doubt
    elif not handled:
        # A long text may hide anything in its middle: a person reads it even when a rule registers it.
        long_text = fs.long_text(facts)
        if long_text:
            return access, True, long_text
    if registered and not handled and facts.lex:
        others = fs.about_others(facts)
        if others:
            return access, True, others
    return None


_MODEL_WHY = ("a statistical model trained on labelled comments finds the text likely sensitive or a record "
              "to keep (its top words are the evidence): held for review, never culled on the model's word")


def _second_opinion(model: SecondOpinion, rule_id: str, facts: _Facts, retention: Retention, access: Access,
                    handled: bool) -> tuple[Access, list[Evidence]] | None:
    """The second opinion's change to a tag: (access, evidence), or None. It only runs where it could
    change something: a ``sensitive`` opinion holds an open, cull-eligible or unreviewed item for review
    (restricted); a ``keep`` opinion keeps a cull-eligible item from culling (held for review)."""
    culled = retention == "cull-eligible"
    heads = ("sensitive",) if (culled or access == "open" or not handled) else ()
    if culled:
        heads += ("keep",)
    if not heads:
        return None
    opinions = model.opinion(facts.lowered, heads)
    if not opinions:
        return None
    sensitive = any(op.head == "sensitive" for op in opinions)
    return ("restricted" if sensitive else access), _model_evidence(rule_id, facts, opinions)


_MODEL_REGISTER_WHY = ("no rule decides, and a statistical model trained on labelled comments finds the text "
                       "likely a complaint or a case to register (its top words are the evidence): proposed "
                       "for registering, kept and held for review; never removed on the model's word")


def _register_opinion(model: SecondOpinion, rule_id: str, facts: _Facts) -> list[Evidence]:
    """The ``register`` head's evidence on a fallback item, or [] when it does not flag the text."""
    return _model_evidence(rule_id, facts, model.opinion(facts.lowered, ("register",)))


def _model_evidence(rule_id: str, facts: _Facts, opinions: Sequence[Opinion]) -> list[Evidence]:
    """Per opinion its probability (``p=0.93``) and the features that pushed it up, with offsets."""
    evidence = []
    for op in opinions:
        evidence.append(Evidence(rule_id, "model", op.head, f"p={op.probability:.2f}"))
        evidence += [Evidence(rule_id, "model", op.head, f"{f.key} {w:+.2f}", facts.text[f.start:f.end],
                              f.start, f.end) for f, w in op.top]
    return evidence


def _personal_data(facts: _Facts) -> list[detectors.Hit]:
    if not facts.det:
        return []
    return [h for kind in PERSONAL_DATA for h in facts.det.get(kind, ())]


def _flags_passing(found: list[tuple[Rule, tuple[Check, ...], tuple[Check, ...]]],
                   facts: _Facts) -> tuple[list[Rule], list[tuple[Check, ...]] | None]:
    """The candidates whose flag checks pass, and their hit checks (None when none has any)."""
    passing = [(rule, hit_checks) for rule, flag_checks, hit_checks in found if _passes(flag_checks, facts)]
    rules = [rule for rule, _ in passing]
    if not any(hit_checks for _, hit_checks in passing):
        return rules, None
    return rules, [hit_checks for _, hit_checks in passing]


def _passes(checks: tuple[Check, ...], facts: _Facts) -> bool:
    for check in checks:
        if not check(facts):
            return False
    return True


def cull_date(created_year: int, period_years: int) -> date:
    """First day a record may be culled: the period counts in whole calendar years after the year the
    record was created or received (2 years on a 2024 record -> 2027-01-01; 0 years -> 2025-01-01)."""
    return date(created_year + period_years + 1, 1, 1)


def _evidence(rule: Rule, lexicons: tuple[str, ...], f: _Facts,
              conditions: tuple[tuple[str, bool, str], ...] | None = None) -> list[Evidence]:
    out: list[Evidence] = []
    for name in lexicons:
        for h in f.lex.get(name, ()):
            out.append(Evidence(rule.id, "lexicon", name, h.term, h.text, h.start, h.end, h.fuzzy))
    for name in rule.any_detector:
        for d in f.det.get(name, ()):
            out.append(Evidence(rule.id, "detector", name, d.value or d.text, d.text, d.start, d.end))
    for cond, wanted, term in (_condition_terms(rule) if conditions is None else conditions):
        if cond == "answered_by_account" and wanted:
            term = ",".join(f.context.account_reply_ids) or "true"
        elif cond == "visitor_thread" and wanted:
            term = f.context.parent_id or "@"  # the visitor's item it answers, or an opening @mention
        elif cond == "under_consultation" and wanted:
            term = f.context.consultation_post or "true"  # the account's post that invites synpunkter
        out.append(Evidence(rule.id, "condition", cond, term))
    return out


def _condition_terms(rule: Rule) -> tuple[tuple[str, bool, str], ...]:
    """The rule's flag conditions as evidence terms (computed once per rule, at load)."""
    out = []
    for cond in ("author_is_account", "short", "question", "answered_by_account", "visitor_thread",
                 "under_consultation"):
        wanted = getattr(rule, cond)
        if wanted is not None:
            out.append((cond, wanted, str(wanted).lower()))
    return tuple(out)


# --- thread context --------------------------------------------------------------------------------

def thread_contexts(items: Sequence[Mapping[str, Any]], tz: ZoneInfo | None = None,
                    invites_feedback: Callable[[str], bool] | None = None) -> dict[str, ThreadContext]:
    """For each item id: did the account answer it? A post or comment is answered by an account reply
    under it; a reply is answered by a later account reply in the same thread (platforms flatten
    reply chains to one level). Also: does it answer another visitor, does it comment on an account
    post that invites synpunkter (``invites_feedback``, see RetentionEngine.invites_feedback)?"""
    index = ThreadIndex(tz, invites_feedback)
    for it in items:
        index.add(it)
    contexts: dict[str, ThreadContext] = {}
    for it in items:
        context = index.context(it)
        if context is not None:
            contexts[str(it.get("id"))] = context
    return contexts


class ThreadIndex:
    """The account's replies by parent id, and the ids that are some item's parent: all thread_contexts
    needs. It holds the account's own replies and the parents' ids (a small share of the items: posts and
    the comments that were answered), so a file can be tagged in two streaming passes."""

    def __init__(self, tz: ZoneInfo | None = None, invites_feedback: Callable[[str], bool] | None = None) -> None:
        self.tz = tz or ZoneInfo("UTC")
        self.invites_feedback = invites_feedback
        self.consulting: set[str] = set()  # ids of the account's posts that invite synpunkter (few)
        # parent id -> (reply id, published_at) of the account's replies: two strings per reply.
        self.account_children: dict[str, list[tuple[str, Any]]] = {}
        self.parents: set[str] = set()  # every id some item names as its parent (first pass)
        # Filled during the second pass (context(), in input order): parent id -> written by the account?
        # A parent that comes after its child in the input stays unknown: such a child is not treated as
        # a reply to a visitor (the safe side: its feedback rules still apply).
        self.parent_by_account: dict[str, bool] = {}

    def add(self, it: Mapping[str, Any]) -> None:
        if (self.invites_feedback is not None and it.get("author_is_account") and it.get("parent_id") is None
                and self.invites_feedback(str(it.get("text") or ""))):
            self.consulting.add(str(it.get("id")))
        if it.get("parent_id") is not None:
            self.parents.add(str(it["parent_id"]))
            if it.get("author_is_account"):
                kept = (str(it.get("id")), it.get("published_at"))
                self.account_children.setdefault(str(it["parent_id"]), []).append(kept)

    def context(self, it: Mapping[str, Any]) -> ThreadContext | None:
        """The item's context, or None when the account has not answered it and it answers no visitor.
        Call it for every item in input order (it learns the parents' authors as it goes)."""
        iid = str(it.get("id"))
        if iid in self.parents:
            self.parent_by_account[iid] = bool(it.get("author_is_account"))
        if it.get("author_is_account"):
            return None
        parent = it.get("parent_id")
        visitor = parent is not None and self.parent_by_account.get(str(parent)) is False
        consultation = str(parent) if parent is not None and str(parent) in self.consulting else ""
        answered = self._answered(it)
        if not answered and not visitor and not consultation:
            return None
        return ThreadContext(bool(answered), answered, visitor, str(parent) if visitor else "", consultation)

    def _answered(self, it: Mapping[str, Any]) -> tuple[str, ...]:
        """Ids of the account's replies that answer the item (empty: not answered)."""
        if it.get("item_type") == "reply" and it.get("parent_id") is not None:
            siblings = self.account_children.get(str(it["parent_id"]))
            if not siblings:
                return ()
            when = _parse_datetime(it.get("published_at"), self.tz)
            return tuple(rid for rid, published in siblings if _is_after(published, when, self.tz))
        children = self.account_children.get(str(it.get("id")))
        return tuple([rid for rid, _ in children]) if children else ()  # most items: no generator to make


def _is_after(published: Any, when: datetime | None, tz: ZoneInfo) -> bool:
    other_when = _parse_datetime(published, tz)
    return when is None or other_when is None or other_when > when


def _parse_datetime(value: Any, tz: ZoneInfo) -> datetime | None:
    """published_at as an aware datetime in the rule set's timezone; None if missing or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        try:
            dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=tz)
    return dt.astimezone(tz)


# --- loading and validating rule files ---------------------------------------------------------------

class _Loader:
    """Reads a base rule set and overlays (profile, overrides) and validates the result."""

    def __init__(self) -> None:
        self.ruleset: dict[str, Any] = {}
        self.rules: list[dict[str, Any]] = []
        self.lexicons: dict[str, list[str]] = {}
        self.lexicon_files: dict[str, Path] = {}
        self.ruleset_files: list[str] = []
        self.digest = hashlib.sha256()
        self.folders: list[Path] = []

    def add_layer(self, folder: Path, required: bool) -> None:
        if required and not folder.is_dir():
            raise ConfigError(f"{folder}: retention folder does not exist")
        ruleset_file, rules_file = folder / "ruleset.toml", folder / "rules.toml"
        for path in (ruleset_file, rules_file):
            if required and not path.is_file():
                raise ConfigError(f"{path}: missing rule file")
        self.folders.append(folder)
        if ruleset_file.is_file():
            self.ruleset_files.append(str(ruleset_file))
            self.ruleset = _deep_merge(self.ruleset, self._read_toml(ruleset_file))
        if rules_file.is_file():
            self._merge_rules(rules_file, self._read_toml(rules_file))
        lex_dir = folder / "lexicons"
        if lex_dir.is_dir():
            for path in sorted(lex_dir.glob("*.txt")):
                self.lexicons[path.stem] = read_lexicon_lines(self._read_text(path).splitlines(),
                                                              self.lexicons.get(path.stem))
                self.lexicon_files[path.stem] = path
        elif required:
            raise ConfigError(f"{lex_dir}: missing lexicons folder")

    def _read_text(self, path: Path) -> str:
        try:
            data = path.read_bytes()
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read ({exc.__class__.__name__}: {exc})") from exc
        self.digest.update(path.name.encode() + b"\0" + data + b"\0")
        return text

    def _read_toml(self, path: Path) -> dict[str, Any]:
        try:
            return tomllib.loads(self._read_text(path))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML ({exc})") from exc

    def _merge_rules(self, path: Path, doc: dict[str, Any]) -> None:
        entries = doc.get("rule", [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ConfigError(f"{path}: 'rule' must be an array of tables ([[rule]])")
        for entry in entries:
            entry = {**entry, "_file": str(path)}
            rid = entry.get("id")
            if not isinstance(rid, str) or not rid:
                raise ConfigError(f"{path}: a rule has no id")
            index = next((i for i, r in enumerate(self.rules) if r["id"] == rid), None)
            if entry.get("disabled"):
                if index is not None:
                    del self.rules[index]
                continue
            if index is not None:
                self.rules[index] = entry
            else:
                self.rules.insert(self._insert_at(path, entry), entry)

    def _insert_at(self, path: Path, entry: dict[str, Any]) -> int:
        for key, offset in (("before", 0), ("after", 1)):
            anchor = entry.get(key)
            if anchor is not None:
                for i, rule in enumerate(self.rules):
                    if rule["id"] == anchor:
                        return i + offset
                raise ConfigError(f"{path}: rule {entry['id']}: {key} = {anchor!r} names no rule")
        return len(self.rules)

    def build(self, profile: str) -> RetentionEngine:
        where = " + ".join(self.ruleset_files) or "ruleset.toml"
        categories = _parse_categories(self.ruleset, where)
        rules = [_parse_rule(entry, i, categories, self.lexicons) for i, entry in enumerate(self.rules)]
        _check_ruleset(self.ruleset, categories, where)
        name = self.ruleset.get("ruleset", {}).get("name", profile)
        version = self.ruleset.get("ruleset", {}).get("version", "0")
        model = self._second_opinion(where)
        ruleset_version = f"{name}:{version}+{self.digest.hexdigest()[:12]}"
        return RetentionEngine(profile=profile, ruleset=self.ruleset, categories=categories, rules=rules,
                               lexicons=self.lexicons, ruleset_version=ruleset_version, second_opinion=model)

    def _second_opinion(self, where: str) -> SecondOpinion | None:
        """[second_opinion] model = "model/second_opinion.txt": the file of the last layer (base, profile,
        overrides) that has it; its bytes go into the ruleset version like every rule file."""
        spec = self.ruleset.get("second_opinion")
        if spec is None or not spec.get("model"):
            return None
        rel = str(spec["model"])
        for folder in reversed(self.folders):
            path = folder / rel
            if path.is_file():
                return SecondOpinion.parse(self._read_text(path).splitlines(), str(path))
        raise ConfigError(f"{where}: [second_opinion] model {rel!r} not found in the rule folders")


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _check_ruleset(ruleset: Mapping[str, Any], categories: Mapping[str, Category], where: str) -> None:
    decision = ruleset.get("decision")
    if not isinstance(decision, dict) or "id" not in decision:
        raise ConfigError(f"{where}: [decision] with an id is required")
    if not isinstance(decision.get("period_years", 0), int) or decision.get("period_years", 0) < 0:
        raise ConfigError(f"{where}: [decision] period_years must be a whole number >= 0")
    engine = ruleset.get("engine", {})
    fallback = engine.get("fallback_category", "unclassified")
    if fallback not in categories:
        raise ConfigError(f"{where}: fallback_category {fallback!r} is not a category")
    try:
        ZoneInfo(engine.get("timezone", "Europe/Stockholm"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{where}: unknown timezone {engine.get('timezone')!r}") from exc


def _parse_categories(ruleset: Mapping[str, Any], source: str) -> dict[str, Category]:
    raw = ruleset.get("categories")
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{source}: no [categories.*] tables")
    out = {}
    for cid, spec in raw.items():
        where = f"{source}: category {cid!r}"
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: must be a table")
        retention, access = spec.get("retention"), spec.get("access", "open")
        actions = spec.get("actions", [])
        if retention not in RETENTIONS:
            raise ConfigError(f"{where}: retention must be one of {', '.join(RETENTIONS)}")
        if access not in ACCESSES:
            raise ConfigError(f"{where}: access must be one of {', '.join(ACCESSES)}")
        if not isinstance(actions, list) or any(a not in ACTIONS for a in actions):
            raise ConfigError(f"{where}: actions must be a list of {', '.join(ACTIONS)}")
        if not isinstance(spec.get("severity"), int):
            raise ConfigError(f"{where}: severity must be an integer")
        scope, actions_scope = spec.get("access_scope", "matched"), spec.get("actions_scope", "matched")
        if scope not in ("matched", "deciding") or actions_scope not in ("matched", "deciding"):
            raise ConfigError(f"{where}: access_scope and actions_scope must be \"matched\" or \"deciding\"")
        hold = spec.get("hold", False)
        if not isinstance(hold, bool):
            raise ConfigError(f"{where}: hold must be true or false")
        out[cid] = Category(cid, str(spec.get("title", cid)), spec["severity"], retention, tuple(actions),
                            access, bool(spec.get("needs_review", False)), scope == "matched",
                            actions_scope == "matched", hold)
    return out


def _parse_rule(entry: dict[str, Any], order: int, categories: Mapping[str, Category],
                lexicons: Mapping[str, list[str]]) -> Rule:
    where = f"{entry['_file']}: rule {entry['id']}"
    unknown = set(entry) - _RULE_KEYS - {"_file"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if entry.get("category") not in categories:
        raise ConfigError(f"{where}: unknown category {entry.get('category')!r}")
    when = entry.get("when", {})
    if not isinstance(when, dict):
        raise ConfigError(f"{where}: 'when' must be a table")
    bad = set(when) - _WHEN_KEYS
    if bad:
        raise ConfigError(f"{where}: unknown condition(s) {', '.join(sorted(bad))}")
    names = {k: _str_list(where, k, when.get(k, [])) for k in
             ("any_lexicon", "all_lexicons", "no_lexicon", "any_detector", "no_detector", "near")}
    if len(names["near"]) == 1:
        raise ConfigError(f"{where}: near needs at least two lexicons")
    if "window" in when and not names["near"]:
        raise ConfigError(f"{where}: window is only used with near")
    window = _opt_int(where, "window", when.get("window")) if "window" in when else DEFAULT_WINDOW
    for key in ("any_lexicon", "all_lexicons", "no_lexicon", "near"):
        for name in names[key]:
            if name not in lexicons:
                raise ConfigError(f"{where}: {key} names unknown lexicon {name!r}")
    for key in ("any_detector", "no_detector"):
        for name in names[key]:
            if name not in DETECTOR_NAMES:
                raise ConfigError(f"{where}: {key} names unknown detector {name!r}")
    item_types = when.get("item_type")
    return Rule(
        id=entry["id"], category=entry["category"], why=str(entry.get("why", "")), order=order,
        needs_review=_opt_bool(where, "needs_review", entry.get("needs_review")) or False,
        author_is_account=_opt_bool(where, "author_is_account", when.get("author_is_account")),
        item_types=frozenset(_str_list(where, "item_type", item_types)) if item_types is not None else None,
        any_lexicon=names["any_lexicon"], all_lexicons=names["all_lexicons"], no_lexicon=names["no_lexicon"],
        any_detector=names["any_detector"], no_detector=names["no_detector"],
        min_hits=_opt_int(where, "min_hits", when.get("min_hits")),
        max_words=_opt_int(where, "max_words", when.get("max_words")) if "max_words" in when else None,
        min_words=_opt_int(where, "min_words", when.get("min_words")),
        short=_opt_bool(where, "short", when.get("short")),
        question=_opt_bool(where, "question", when.get("question")),
        answered_by_account=_opt_bool(where, "answered_by_account", when.get("answered_by_account")),
        visitor_thread=_opt_bool(where, "visitor_thread", when.get("visitor_thread")),
        under_consultation=_opt_bool(where, "under_consultation", when.get("under_consultation")),
        near=names["near"], window=window,
    )


def _str_list(where: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _opt_bool(where: str, key: str, value: Any) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false")
    return value


def _opt_int(where: str, key: str, value: Any) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where}: {key} must be a whole number >= 0")
    return value


# --- JSONL in, JSONL out ---------------------------------------------------------------------------

def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Items from a JSONL file; a malformed line raises SmarchiveError naming file and line."""
    return list(iter_jsonl(path))


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Items of a JSONL file one at a time (memory flat in the file size); errors as read_jsonl."""
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line, parse_constant=_no_constant)
                except ValueError as exc:  # json.JSONDecodeError, or NaN/Infinity from _no_constant
                    raise SmarchiveError(f"{path}:{lineno}: not valid JSON ({getattr(exc, 'msg', exc)})") from exc
                if not isinstance(obj, dict):
                    raise SmarchiveError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
                yield obj
    except (OSError, UnicodeDecodeError) as exc:
        raise SmarchiveError(f"{path}: cannot read ({exc})") from exc


def _no_constant(name: str) -> None:
    """NaN and Infinity are not JSON (Python's reader takes them): refused, so no value changes on the way out."""
    raise ValueError(f"{name} is not a JSON value")


_ORJSON = orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATETIME  # datetimes through default=str, as before


def _json_line(obj: Mapping[str, Any]) -> bytes:
    """One line of `smarchive tag`'s output: compact JSON in UTF-8 and a newline. orjson, because the standard
    library took 17 of the 96 us an item end to end at 1 M items (a tag's evidence is seven or so small
    objects) and orjson 2 (issue #14: end to end within 2x of the engine). What orjson refuses (an integer
    beyond 64 bits, a lone surrogate) the standard library writes, with the same separators."""
    try:
        return orjson.dumps(obj, default=str, option=_ORJSON)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return (json.dumps(obj, default=str, separators=(",", ":")) + "\n").encode("utf-8")


def tag_jsonl(in_path: Path, out_path: Path, engine: RetentionEngine) -> int:
    """Tag every item of a JSONL file (thread context computed over the whole file) and write each
    item with a ``"tag"`` object to ``out_path``. Returns the number of items written.

    Streams: a first pass keeps only the account's replies (the thread index), the second tags and
    writes one item at a time, so memory stays flat however large the file is."""
    in_path, out_path = Path(in_path), Path(out_path)
    index = engine.thread_index()
    for item in iter_jsonl(in_path):
        index.add(item)
    tmp = out_path.with_name(out_path.name + ".part")
    count = 0
    was_enabled = gc.isenabled()
    gc.disable()  # tags hold no cycles; see tag_all
    try:
        with open(tmp, "wb") as fh:
            for item in iter_jsonl(in_path):
                tag = engine.tag(item, index.context(item))
                fh.write(_json_line({**item, "tag": tag.to_dict()}))
                count += 1
    finally:
        if was_enabled:
            gc.enable()
    os.replace(tmp, out_path)  # a half-written file never carries the final name
    return count


def find_sensitive_terms(text: str) -> list[detectors.Hit]:
    """Health and social-services terms from the default profile's lexicons (retention/rules/lexicons).

    Here rather than in detectors: it needs the engine's lexicons, and detectors sits below the engine."""
    matcher = _default_sensitive_matcher()
    # A functional need (deaf, wheelchair, adhd) is health data too; it has its own lexicon only so the
    # rules can tell a writer's own need from a third person's.
    return [detectors.Hit("health" if h.lexicon == "functional_need" else h.lexicon, h.text, h.start, h.end, h.term)
            for h in matcher.find(text)]


@lru_cache(maxsize=1)
def _default_sensitive_matcher() -> LexiconMatcher:
    return RetentionEngine.load().sub_matcher(("health", "social_services", "functional_need"))
