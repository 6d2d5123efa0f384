"""Swedish lexicon matching: many terms, one pass over the text.

A lexicon is a list of terms. The notation lets one line cover Swedish inflection and compounds:

    tack                 the whole word only ("tack", not "tackla")
    snöröjning*          the word and its inflections: snöröjningen, snöröjningens
    *ärende*             anywhere inside a word: bygglovsärendet, ärendena (compounds)
    *skolan              a word ending: Vasaskolan, förskolan
    tack för ingenting   a phrase; any run of whitespace between the words
    🙄                   a symbol or emoji: matched wherever it occurs

All terms of all lexicons are compiled into one trie-shaped regular expression, so matching costs
one scan of the text however many terms there are (a loop of one regex per term would not reach the
engine's throughput target). Each match is then checked against its terms' word-boundary rules.

Typos: words of at least ``fuzzy_min_length`` letters also match at edit distance 1 (one letter
missing, extra, changed or two swapped: "snöröjnngen", "autsim"), through an index of one-letter
deletions (the symmetric-delete method), which costs a few dict look-ups per long word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter

# Common Swedish inflection endings, used only to give typo matching the inflected forms of a stem
# ("snöröjning*" -> snöröjningen); exact matching of stems needs no list.
_ENDINGS = ("", "en", "et", "n", "t", "ar", "arna", "er", "erna", "or", "orna", "na", "a", "e", "s",
            "ens", "ets", "ns", "ts", "ade", "at", "as", "ats", "ande")

_WORD_CACHE_SIZE = 50_000  # distinct words remembered by the matcher (then it starts afresh)
_START = attrgetter("start")  # a hit's start, as a sort key called in C (a lambda is a Python call per hit)


@dataclass(frozen=True, slots=True)
class Term:
    """One lexicon line, parsed."""

    lexicon: str
    source: str  # the line as written, e.g. "snöröjning*"
    key: str  # what the regex matches, lower case, single spaces: "snöröjning"
    open_left: bool  # may be preceded by letters (compound: *ärende)
    open_right: bool  # may be followed by letters (inflection: snöröjning*)


@dataclass(slots=True)  # not frozen: a frozen dataclass is several times slower to create
class LexiconHit:
    """A term found in a text; offsets index the original text."""

    lexicon: str
    term: str  # the lexicon line that matched
    text: str  # the text as it appears
    start: int
    end: int
    fuzzy: bool = False  # matched at edit distance 1 (a typo)


def parse_term(lexicon: str, line: str) -> Term | None:
    """Parse one lexicon line; None for blank lines and comments."""
    source = line.strip()
    if not source or source.startswith("#"):
        return None
    open_left = source.startswith("*")
    open_right = source.endswith("*") and len(source) > 1
    key = " ".join(source.strip("*").lower().split())
    if not key:
        return None
    # Word boundaries only apply at letters and digits: emoji, "@" or "% rabatt" match anywhere.
    open_left = open_left or not key[0].isalnum()
    open_right = open_right or not key[-1].isalnum()
    return Term(lexicon, source, key, open_left, open_right)


def lower_same_length(text: str) -> str:
    """Lower-case without changing the length, so offsets stay valid (a few letters grow, e.g. İ)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(ch.lower()[0] for ch in text)


def _trie_pattern(keys: Iterable[str]) -> str:
    """A regex matching any key, shaped as a trie: shared prefixes are tested once."""
    trie: dict = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a key
    return _node_pattern(trie)


def _node_pattern(node: dict) -> str:
    ends_here = "" in node
    branches = []
    for ch in sorted(k for k in node if k):
        atom = r"\s+" if ch == " " else re.escape(ch)
        branches.append(atom + _node_pattern(node[ch]))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Greedy optional group: the longest key wins ("tack för ingenting" over "tack").
    if ends_here:
        return "(?:" + body + ")?"
    return body


def _overlapping_regex(keys: list[str], before: str = "") -> re.Pattern[str]:
    """A regex whose group 1 is the longest key starting at each position, matches overlapping.

    Written as "one of the keys' first characters, then look back at that character": a pattern that
    starts with a character set lets the regex engine skip, in C, every position where no key can start,
    where a pattern starting with a lookahead is entered at every position of the text (issue #14: the
    scans were a quarter of the matcher's time). Each match consumes one character, so the next
    search starts at the next position and matches still overlap. ``before`` is a zero-width condition
    at the key's start (the word scan's "no letter before")."""
    first = _first_chars_class({key[0] for key in keys})
    return re.compile(first + "(?<=" + before + "(?=(" + _trie_pattern(keys) + r"))[\s\S])")


_WORD_RUN_RE = re.compile(r"\w+")


def _split_in_word(keys: list[str]) -> tuple[list[str], list[str]]:
    """(in-word keys, the rest): keys of word characters only, whose first character starts no other
    key. At any position then only one of the two scans can match, so the longest key at a position is
    the same as in one scan of all keys."""
    rest_first = {key[0] for key in keys if not _WORD_RUN_RE.fullmatch(key)}
    in_word = [key for key in keys if key[0] not in rest_first]
    return in_word, [key for key in keys if key[0] in rest_first]


# Per distinct word: (1 + its word-key hits if a phrase may start at it else 0, the regex of its phrases'
# tails or None, hits in the word, typo terms); see _remember_word.
_WordInfo = tuple[int, "re.Pattern[str] | None", tuple[tuple[str, str, int, int], ...], tuple["Term", ...]]
_NOTHING: _WordInfo = (0, None, (), ())
# Per phrase as a text writes it: its hits at a word start as (lexicon, term, length), when no letter
# follows it and when one does; see _phrase_hits.
_PhraseHits = tuple[tuple[tuple[str, str, int], ...], tuple[tuple[str, str, int], ...]]

def _first_chars_class(chars: set[str]) -> str:
    """A character class of the keys' first characters for _overlapping_regex, where every character
    beyond the Basic Multilingual Plane (emoji) is one range: the regex engine tests a long list of such
    characters one by one at every position of a text (issue #14: 2.8 us an item for the symbol scan),
    a range at once. A wider class only lets the trie be tried at a few more positions; it matches
    only where a key starts, so the matches are the same."""
    bmp = "".join(re.escape(ch) for ch in sorted(chars) if ord(ch) <= 0xFFFF)
    astral = r"\U00010000-\U0010FFFF" if any(ord(ch) > 0xFFFF for ch in chars) else ""
    return "[" + bmp + astral + "]"


# Lexicons whose term hides every shorter term at its start, of any lexicon ("slår ihjäl sig" hides the
# violence word "slår ihjäl"). Any other lexicon's term hides only shorter terms of its own lexicon.
HIDING_LEXICONS = ("idiom",)
_NO_FIT: tuple[tuple[Term, ...], ...] = ((), (), (), ())


def _fitting(terms: list[Term]) -> tuple[tuple[Term, ...], ...]:
    """A key's terms that fit its place, indexed by 2 * (a letter before) + (a letter after), in
    lexicon order: a term closed on a side needs no letter there."""
    return tuple(tuple(t for t in terms if (t.open_left or not before) and (t.open_right or not after))
                 for before in (False, True) for after in (False, True))


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def within_one_edit(a: str, b: str) -> bool:
    """True if a and b differ by at most one insertion, deletion, substitution or adjacent swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1:] == b[i + 1:]:
            return True  # substitution
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]
    if la > lb:
        return a[i + 1:] == b[i:]
    return a[i:] == b[i + 1:]


_VOWELS = frozenset("aeiouyåäö")


def _plausible_typo(token: str, form: str) -> bool:
    """Edit distance 1 is not enough: some one-letter differences make another word (issue #14's false
    hits). Not typos: a different first letter ("trevligt" / "otrevlig"), a different last letter
    ("tjänsten" / "tjänster", "klassen" / "klasser": another inflection, another sense), and one vowel
    for another ("springer" / "spränger", "sändningen" / "sandning": another word)."""
    if token[0] != form[0] or token[-1] != form[-1]:
        return False
    if len(token) == len(form):
        diff = [(a, b) for a, b in zip(token, form, strict=True) if a != b]
        if len(diff) == 1 and diff[0][0] in _VOWELS and diff[0][1] in _VOWELS:
            return False
    return True


def _length_in(raw: str, spaced_length: int) -> int:
    """How many characters of ``raw`` make its first ``spaced_length`` characters once runs of whitespace
    are written as one space (a key starts at a word, so ``raw`` has no leading whitespace)."""
    count = 0
    for index, char in enumerate(raw):
        if char.isspace() and index > 0 and raw[index - 1].isspace():
            continue  # the rest of a whitespace run: one space in the spaced form
        if count == spaced_length:
            return index
        count += 1
    return len(raw)


class LexiconMatcher:
    """Finds the terms of several named lexicons in a text, in one regex scan."""

    def __init__(self, lexicons: Mapping[str, Iterable[str]], fuzzy_min_length: int = 7,
                 hiding: Iterable[str] = HIDING_LEXICONS) -> None:
        self.names = tuple(lexicons)
        self.hiding = frozenset(hiding)
        self._by_key: dict[str, list[Term]] = {}
        for name, lines in lexicons.items():
            for line in lines:
                term = parse_term(name, line)
                if term is not None:
                    self._by_key.setdefault(term.key, []).append(term)
        # Three kinds of keys. Most terms start at a word start ("word keys"); some may start inside a
        # word: made of word characters only ("in-word keys": *skolan, *ärende*) or not (symbols, emoji,
        # "% rabatt"). The first two are found in one pass over the words of a text (_scan_words), the
        # symbols by a small regex whose lookahead makes matches overlap, so a rejected candidate cannot
        # hide a valid one that starts inside it.
        word_keys = sorted(k for k, ts in self._by_key.items() if any(not t.open_left for t in ts))
        inner_keys = sorted(k for k, ts in self._by_key.items() if any(t.open_left for t in ts))
        in_word_keys, inner_keys = _split_in_word(inner_keys)
        self._word_keys = frozenset(word_keys)
        self._accept = {key: _fitting(terms) for key, terms in self._by_key.items()}
        # The trie regex takes the longest key at a position. When that key is rejected at a word
        # boundary ("kurder" in "kurderna"), a shorter key that is a prefix of it ("kurd*") gets its
        # chance. An accepted longer key hides the shorter ones of its own lexicon; an idiom's hides all
        # (HIDING_LEXICONS: "slår ihjäl sig"), another lexicon's shorter keys still hit.
        self._prefixes = {key: pre for key in self._by_key if (pre := self._shorter_keys(key))}
        # What the word keys match at a word start depends on that word alone, except where a key goes on
        # past the word ("tack för ingenting", "ak-47", a "phrase" here): then the word is that key's
        # leading word characters, its head ("tack", "ak"), and the trie of its phrases' tails (" för
        # ingenting") is tried on the text after it. A phrase found is the longest key there; else the
        # word's own result holds, worked out once per distinct word (issue #14: a regex trying the trie
        # at every word start was 4 of 61 us an item; one trie of all phrases tried at each head, 2.4 of
        # 50). The tails' regex of a head is compiled when the head is first seen (_tail_regex).
        self._word_trie = re.compile(_trie_pattern(word_keys)) if word_keys else None
        self._phrase_tails: dict[str, list[str]] = {}
        for key in word_keys:
            head = _WORD_RUN_RE.match(key).group()  # type: ignore[union-attr]
            if head != key:
                self._phrase_tails.setdefault(head, []).append(key[len(head):])
        self._tail_regexes: dict[str, re.Pattern[str]] = {}
        self._inner_regex = _overlapping_regex(inner_keys) if inner_keys else None
        # In-word keys never reach past their word, so what they match depends on the word alone: scanned
        # once per distinct word instead of at every letter of every text (issue #14: the inner scan
        # tried its trie at most positions of a text, 7.6 of 61 us an item, for 0.7 hits an item).
        self._in_word_regex = _overlapping_regex(in_word_keys) if in_word_keys else None
        self._word_info: dict[str, _WordInfo] = {}
        self._phrase_info: dict[str, _PhraseHits] = {}
        self.fuzzy_min_length = fuzzy_min_length
        self._fuzzy: dict[str, list[tuple[str, Term]]] = {}
        if fuzzy_min_length > 0:
            self._build_fuzzy_index()

    def _shorter_keys(self, key: str) -> tuple[str, ...]:
        return tuple(key[:cut] for cut in range(len(key) - 1, 0, -1) if key[:cut] in self._by_key)

    def _build_fuzzy_index(self) -> None:
        for key, terms in self._by_key.items():
            if " " in key or len(key) < self.fuzzy_min_length or not key.isalpha():
                continue
            for term in terms:
                if term.open_left:
                    continue  # compound parts inside longer words: too loose to guess at typos
                endings = _ENDINGS if term.open_right else ("",)
                for form in {key + ending for ending in endings}:
                    for variant in _deletes(form) | {form}:
                        self._fuzzy.setdefault(variant, []).append((form, term))

    def find(self, text: str, lowered: str | None = None) -> list[LexiconHit]:
        """All hits in the text, in text order. Pass ``lowered`` if you already have it."""
        return self.find_counting_words(text, lowered)[0]

    def find_counting_words(self, text: str, lowered: str | None = None) -> tuple[list[LexiconHit], int]:
        """(find's hits, the number of words: maximal runs of word characters). The matcher
        passes over the words anyway, so the engine's word count comes free. Lower-casing keeps every
        character a word character or not (checked for all of Unicode), so the count is the text's."""
        if not text:
            return [], 0
        low = lowered if lowered is not None else lower_same_length(text)
        if not self._by_key:
            return [], len(_WORD_RUN_RE.findall(low))
        hits: list[LexiconHit] = []
        covered: set[int] = set()  # starts of words already matched exactly
        words = self._scan_words(text, low, hits, covered)
        if self._inner_regex is not None:
            self._scan(self._inner_regex, text, low, hits, covered, inner=True)
        if len(hits) > 1:
            hits.sort(key=_START)
        return hits, words

    def _scan(self, regex: re.Pattern[str], text: str, low: str, hits: list[LexiconHit], covered: set[int],
              inner: bool) -> None:
        for match in regex.finditer(low):
            start, end = match.span(1)
            if start != end:
                self._take(text, low, start, end, inner, hits, covered)

    def _take(self, text: str, low: str, start: int, end: int, inner: bool, hits: list[LexiconHit],
              covered: set[int]) -> None:
        """Add the hits of the longest key found at ``start`` (to ``end``), or of a shorter key that is a
        prefix of it when the longest does not fit the word boundaries there."""
        key = low[start:end]
        if inner:
            left_word = start > 0 and (low[start - 1].isalnum() or low[start - 1] == "_")
            if not left_word and key in self._word_keys:
                return  # at a word start the word scan has found it already
        else:
            left_word = False  # word keys are only tried at word starts
        # The terms that fit, by (a letter before, a letter after): worked out once per key at load.
        fitting = self._accept.get(key)
        if fitting is None:
            fitting = self._accept.get(" ".join(key.split()), _NO_FIT)  # a phrase with extra whitespace
        right_word = end < len(low) and (low[end].isalnum() or low[end] == "_")
        terms = fitting[2 * left_word + right_word]
        taken: set[str] = set()
        if terms:
            piece = text[start:end]
            for term in terms:  # inline: this loop runs for every candidate of every item
                hits.append(LexiconHit(term.lexicon, term.source, piece, start, end))
                taken.add(term.lexicon)
            covered.add(start)
            if taken & self.hiding:
                return  # an idiom hides every shorter term at its start, whatever its lexicon
        # Each lexicon keeps its own longest term here: a longer term of another lexicon must not take an
        # element away from a rule ("kommunhuset" in threat_target hid the service "kommun*").
        for shorter, length in self._shorter_in_text(key):
            if (not inner or left_word or shorter not in self._word_keys) and self._add_hits(
                    self._by_key[shorter], text, low, start, start + length, left_word, hits, covered,
                    taken):
                if taken & self.hiding:
                    return

    def _shorter_in_text(self, key: str) -> Iterable[tuple[str, int]]:
        """The shorter keys that are prefixes of ``key`` as found in the text, each with its length in the
        text. A phrase written with extra whitespace ("tack  för ingenting") is looked up by its single-
        spaced form, and each shorter key's length follows the text's own spacing."""
        prefixes = self._prefixes.get(key)
        if prefixes is not None:
            return ((shorter, len(shorter)) for shorter in prefixes)
        spaced = " ".join(key.split())
        if spaced == key:
            return ()
        return ((shorter, _length_in(key, len(shorter))) for shorter in self._prefixes.get(spaced, ()))

    @staticmethod
    def _add_hits(terms: Iterable[Term], text: str, low: str, start: int, end: int, left_word: bool,
                  hits: list[LexiconHit], covered: set[int], taken: set[str]) -> bool:
        """Add the terms that fit the word boundaries, of lexicons not ``taken`` at this start by a longer
        term (then taken); False if none did."""
        right_word = end < len(low) and (low[end].isalnum() or low[end] == "_")
        added: set[str] = set()
        for term in terms:
            if (left_word and not term.open_left) or (right_word and not term.open_right) or term.lexicon in taken:
                continue
            hits.append(LexiconHit(term.lexicon, term.source, text[start:end], start, end))
            covered.add(start)
            added.add(term.lexicon)
        taken |= added
        return bool(added)

    def _scan_words(self, text: str, low: str, hits: list[LexiconHit], covered: set[int]) -> int:
        """One pass over the words (maximal runs of word characters): at each, the word keys starting
        there, the in-word keys inside it, and typos when no exact hit starts there. The hits land in
        the order of the scans they replace (by position; at one position word keys, in-word keys,
        typos; find sorts them stably by start), so tags are the same. Returns the number of words."""
        info_get = self._word_info.get
        count = 0
        for word in _WORD_RUN_RE.finditer(low):
            count += 1
            token = word.group()
            info = info_get(token)
            if info is None:
                info = self._remember_word(token)
            if info is _NOTHING:  # most words
                continue
            live, tails, found, typos = info
            start = word.start()
            if live:  # a phrase may start at this word: try its phrases' tails on the text after it
                match = tails.match(low, word.end())  # type: ignore[union-attr]
                if match is not None:
                    self._add_phrase(text, low, start, match.end(), hits, covered)
                    found = found[live - 1:]  # the phrase hides the word's own word-key hits
            for lexicon, source, s, e in found:
                hits.append(LexiconHit(lexicon, source, text[start + s:start + e], start + s, start + e))
                covered.add(start + s)
            if typos and start not in covered:
                end = word.end()
                for term in typos:
                    hits.append(LexiconHit(term.lexicon, term.source, text[start:end], start, end, fuzzy=True))
        return count

    def _add_phrase(self, text: str, low: str, start: int, end: int, hits: list[LexiconHit],
                    covered: set[int]) -> None:
        """What _take adds for the phrase found at the word start ``start`` (to ``end``), from the hits
        worked out once per distinct phrase as written (_phrase_hits)."""
        phrase = low[start:end]
        both = self._phrase_info.get(phrase) or self._phrase_hits(phrase)
        taken = both[end < len(low) and (low[end].isalnum() or low[end] == "_")]
        for lexicon, source, length in taken:
            hits.append(LexiconHit(lexicon, source, text[start:start + length], start, start + length))
        if taken:
            covered.add(start)

    def _phrase_hits(self, phrase: str) -> _PhraseHits:
        """_take's hits for a phrase at a word start, without and with a letter after it. They depend on the
        phrase as written and that letter alone (its shorter keys end inside it), so they are worked out
        once per distinct phrase, on the phrase and one character (issue #14: _take on every phrase
        found was 2 of 11 us an item of the word scan)."""
        both = []
        for after in (" ", "a"):  # no letter after the phrase, a letter
            probe = phrase + after
            found: list[LexiconHit] = []
            self._take(probe, probe, 0, len(phrase), False, found, set())
            both.append(tuple((h.lexicon, h.term, h.end) for h in found))
        info = (both[0], both[1])
        if len(self._phrase_info) >= _WORD_CACHE_SIZE:
            self._phrase_info.clear()
        self._phrase_info[phrase] = info
        return info

    def _remember_word(self, word: str) -> _WordInfo:
        """What _scan_words needs of one distinct lower-cased word, worked out once (words repeat a lot in
        comments): where a phrase may start at it, 1 + the number of its own word-key hits (0: no
        phrase can start here) and the regex of its phrases' tails; the hits in the word alone as
        (lexicon, term, start, end) within it, word keys at its start then in-word keys; the terms it
        matches as a typo. The word alone gives the same hits as the word in its text, unless a phrase
        matches there: the other keys cannot reach past it, and no letter is next to it."""
        found: list[LexiconHit] = []
        if self._word_trie is not None:
            match = self._word_trie.match(word)
            if match is not None and match.end() > 0:
                self._take(word, word, 0, match.end(), False, found, set())
        tails = self._tail_regex(word) if word in self._phrase_tails else None
        live = 1 + len(found) if tails is not None else 0
        if self._in_word_regex is not None:
            self._scan(self._in_word_regex, word, word, found, set(), inner=True)
        typos: tuple[Term, ...] = ()
        if self._fuzzy and len(word) >= max(1, self.fuzzy_min_length):
            typos = self._fuzzy_terms(word)
        info = (live, tails, tuple((h.lexicon, h.term, h.start, h.end) for h in found), typos)
        if info == _NOTHING:
            info = _NOTHING  # one shared object: _scan_words skips it by identity
        if len(self._word_info) >= _WORD_CACHE_SIZE:
            self._word_info.clear()
        self._word_info[word] = info
        return info

    def _tail_regex(self, head: str) -> re.Pattern[str]:
        """The trie regex of what the phrases of ``head`` go on with after it, compiled once per head."""
        regex = self._tail_regexes.get(head)
        if regex is None:
            regex = self._tail_regexes[head] = re.compile(_trie_pattern(self._phrase_tails[head]))
        return regex

    def _fuzzy_terms(self, token: str) -> tuple[Term, ...]:
        """The terms a word matches at edit distance 1 (computed once per distinct word: words repeat
        a lot in comments, and the look-ups of every one-letter deletion are the costly part)."""
        lookup = self._fuzzy.get
        candidates = lookup(token, [])
        for i in range(len(token)):
            more = lookup(token[:i] + token[i + 1:])
            if more:
                candidates = [*candidates, *more]
        out: dict[tuple[str, str], Term] = {}
        for form, term in candidates:
            key = (term.lexicon, term.source)
            if key not in out and within_one_edit(token, form) and _plausible_typo(token, form):
                out[key] = term
        return tuple(out.values())


def read_lexicon_lines(lines: Iterable[str], base: list[str] | None = None) -> list[str]:
    """Apply an override file's lines to a base lexicon.

    By default an override extends the base. ``-term`` removes a term; a ``%replace`` line (before
    any term) discards the base entirely. This lets a municipality adjust a lexicon without copying it.
    """
    result = list(base or [])
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line == "%replace":
            result = []
        elif line.startswith("-") and len(line) > 1:
            drop = line[1:].strip()
            result = [term for term in result if term != drop]
        elif line not in result:
            result.append(line)
    return result
