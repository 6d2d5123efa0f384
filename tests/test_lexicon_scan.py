"""The matcher's word pass (issue #14 speed work) finds exactly what whole-text scans find.

LexiconMatcher.find goes over the words of a text once and remembers per distinct word what the keys
match there; only phrases and symbols are searched in the text. The reference here is the plain way:
overlapping regexes of all word keys and all inner keys over the whole text, then typos of every long
word no exact hit starts at. Both must give the same hits, in the same order, on texts built from the
lexicons' own terms (cut, inflected, glued together, in upper case) so that boundaries are hit often.
tests/test_tag_identity.py alone did not catch a mistake here: its items rarely put a phrase's first
word ("nämnden beslut") where it is also an inner key ("*nämnden").
"""

from __future__ import annotations

import random
import re

import pytest

from smarchive.retention.lexicon import LexiconHit, LexiconMatcher, _overlapping_regex, lower_same_length
from smarchive.retention.tag import RetentionEngine

SEPARATORS = [" ", "  ", "", "-", ",", ".", "\n", "_", "!", "?", " 🙄 ", "\t", ":", "İ", "\u00a0"]


def reference_scans(m: LexiconMatcher) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """One regex of all word keys (at word starts), one of all inner keys (anywhere)."""
    inner_keys = sorted(k for k, terms in m._by_key.items() if any(t.open_left for t in terms))
    return _overlapping_regex(sorted(m._word_keys), r"(?<!\w)"), _overlapping_regex(inner_keys)


def reference_find(m: LexiconMatcher, scans: tuple[re.Pattern[str], re.Pattern[str]], text: str) -> list[tuple]:
    low = lower_same_length(text)
    hits: list[LexiconHit] = []
    covered: set[int] = set()
    m._scan(scans[0], text, low, hits, covered, inner=False)
    m._scan(scans[1], text, low, hits, covered, inner=True)
    if m._fuzzy:
        for word in re.finditer(r"\w{" + str(max(1, m.fuzzy_min_length)) + ",}", low):
            if word.start() not in covered:
                for term in m._fuzzy_terms(word.group()):
                    hits.append(LexiconHit(term.lexicon, term.source, text[word.start():word.end()], word.start(),
                                           word.end(), fuzzy=True))
    hits.sort(key=lambda h: h.start)
    return [(h.lexicon, h.term, h.text, h.start, h.end, h.fuzzy) for h in hits]


def generated_texts(engine: RetentionEngine, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    terms = [t.strip("*") for lines in engine.lexicons.values() for t in lines if t.strip("*")]
    words = ["hej", "tack", "jag", "det", "är", "inte", "för", "kommun", "barn", "skol", "x", "2024", "070"]
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 10)):
            token = rng.choice(terms) if rng.random() < 0.6 else rng.choice(words)
            if rng.random() < 0.2:
                token = token.upper() if rng.random() < 0.5 else token.capitalize()
            if rng.random() < 0.15 and len(token) > 3:  # a typo
                i = rng.randrange(len(token))
                token = token[:i] + token[i + 1:]
            if rng.random() < 0.1:
                token += rng.choice(["en", "na", "erna", "s", "et", "a"])
            if rng.random() < 0.1:
                token = rng.choice(["för", "kommun", "barn", "skol", "x"]) + token
            parts += [token, rng.choice(SEPARATORS)]
        texts.append("".join(parts))
    return texts


@pytest.mark.parametrize("profile", ["orebro", "falun", "hallsberg", "osthammar"])
def test_word_pass_finds_what_whole_text_scans_find(profile: str) -> None:
    engine = RetentionEngine.load(profile=profile)
    m = engine.matcher
    scans = reference_scans(m)
    for text in generated_texts(engine, 3000, seed=14):
        found = [(h.lexicon, h.term, h.text, h.start, h.end, h.fuzzy) for h in m.find(text)]
        assert found == reference_find(m, scans, text), text


def test_word_count_is_the_texts() -> None:
    m = RetentionEngine.load().matcher
    for text in ["", "hej", "Tack för ingenting 🙄", "a_b c-d 12 İstanbul ÅÄÖ", "  ", "nämnden beslut."]:
        assert m.find_counting_words(text)[1] == len(re.findall(r"\w+", text))
