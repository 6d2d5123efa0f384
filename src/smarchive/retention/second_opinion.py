"""A statistical second opinion for the retention engine (issue #14): a small linear model.

Three logistic models over the words of a text (each word, its first five letters as a rough stem, and
pairs of neighbouring stems) score how likely an item is

- ``sensitive``: confidential, criminal or offensive (something to remove or restrict),
- ``keep``: a record to keep (registered, removed, or the account's own), i.e. not of minor importance, and
- ``register``: a record to register that is not sensitive (a complaint, an ongoing case, a new case).

The model can only make a tag *stricter*: an item it finds sensitive is held for review and restricted,
an item it wants kept is never cull-eligible, and an item no rule decides (the fallback ``unclassified``,
kept, restricted and reviewed anyway) that it finds a record to register is proposed for registering.
Nothing is culled, opened or removed on its word alone (docs/retention.md, "Second opinion"). Its weights
ship with the rules as a text file (``rules/model/second_opinion.txt``) trained by
``benchmarks/train_second_opinion.py`` on the labelled sets of ``tests/data`` -- never a blind set -- so
nothing is fetched at run time, and its top features are the evidence an archivist sees (with offsets).

Pure Python: a few hundred thousand weights at most, one dict lookup per feature.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from smarchive.errors import ConfigError
from smarchive.retention.lexicon import lower_same_length

HEADS = ("sensitive", "keep", "register")
# A model file may lack these heads (a file of the two-head format, a profile's own): the head is then off.
OPTIONAL_HEADS = ("register",)
_OFF = math.inf  # the threshold of a head that is off: no probability reaches it
_TOKEN_RE = re.compile(r"[^\W\d_]{2,}|\d+", re.UNICODE)
_TOKEN_CACHE_SIZE = 50_000  # distinct tokens remembered per _Index (then it starts afresh)
_Weights = tuple[float, ...]
# (seen-key, stem, word weights, stem weights, weights of the pairs it starts by next stem); see _Index.info
_TokenInfo = tuple[str, str, "_Weights | None", "_Weights | None", "dict[str, _Weights] | None"]
STEM = 5  # letters kept as a rough stem: "brinna", "brinner", "brinnande" share "brinn"


@dataclass(frozen=True, slots=True)
class Feature:
    key: str
    start: int
    end: int


def features(lowered: str, only: Container[str] | None = None) -> list[Feature]:
    """The features of a lower-cased text, each with the offsets of the words it came from (first
    occurrence only: a feature is present or not). ``only``: just the keys in it (a model's weights),
    in the same order; the others are not built (opinion runs this on every text that passes)."""
    out: list[Feature] = []
    seen: set[str] = set()
    prev: tuple[str, int] | None = None
    for m in _TOKEN_RE.finditer(lowered):
        tok = m.group()
        if tok[0].isdigit():
            # A number's shape (how many digits), never the number: identity numbers are not features.
            keys = (f"d:{min(len(tok), 13)}",)
            stem = "#"
        else:
            stem = tok[:STEM]
            keys = (f"w:{tok}", f"s:{stem}") if len(tok) > STEM else (f"w:{tok}",)
        start = m.start()
        for key in keys:
            if key not in seen:
                seen.add(key)
                if only is None or key in only:
                    out.append(Feature(key, start, m.end()))
        if prev is not None:
            key = f"b:{prev[0]}_{stem}"
            if key not in seen:
                seen.add(key)
                if only is None or key in only:
                    out.append(Feature(key, prev[1], m.end()))
        prev = (stem, start)
    return out


@dataclass(frozen=True, slots=True)
class Opinion:
    head: str
    probability: float
    top: tuple[tuple[Feature, float], ...]  # the features that pushed the score up most, with weights


class _Index:
    """Weights of some heads split by feature kind without the prefixes, so scoring a text builds no
    strings: words, stems, stem pairs (by first stem, then second) and digit counts, each feature's
    weights as a tuple over those heads. Only features with a weight in one of them are kept: the
    ``register`` head runs on few items, and its features must not slow down the two heads that run on
    about half of all items (see SecondOpinion.fast_scores)."""

    __slots__ = ("digits", "pairs_after", "stems", "tokens", "words")

    def __init__(self, weights: dict[str, tuple[float, ...]], heads: Sequence[int]) -> None:
        self.words: dict[str, _Weights] = {}
        self.stems: dict[str, _Weights] = {}
        self.pairs_after: dict[str, dict[str, _Weights]] = {}
        self.digits: dict[int, _Weights] = {}
        self.tokens: dict[str, _TokenInfo] = {}  # per distinct token, see info
        for key, all_w in weights.items():
            w = tuple(all_w[i] for i in heads)
            if not any(w):
                continue
            kind, _, rest = key.partition(":")
            if kind == "w":
                self.words[rest] = w
            elif kind == "s":
                self.stems[rest] = w
            elif kind == "b":
                first, _, second = rest.partition("_")
                self.pairs_after.setdefault(first, {})[second] = w
            elif kind == "d" and rest.isdigit():
                self.digits[int(rest)] = w

    def info(self, tok: str) -> _TokenInfo:
        """What scoring needs of one distinct token, looked up once (words repeat a lot in comments):
        (seen-key, stem, word weights, stem weights, weighted pairs it starts). A number counts by its
        digits. Stem weights only for words longer than a stem (shorter words have no stem feature)."""
        info = self.tokens.get(tok)
        if info is not None:
            return info
        if tok[0].isdigit():
            n = len(tok) if len(tok) < 13 else 13
            info = (f"#{n}", "#", self.digits.get(n), None, self.pairs_after.get("#"))
        else:
            stem = tok[:STEM]
            ws = self.stems.get(stem) if len(tok) > STEM else None
            info = (tok, stem, self.words.get(tok), ws, self.pairs_after.get(stem))
        if len(self.tokens) >= _TOKEN_CACHE_SIZE:
            self.tokens.clear()
        self.tokens[tok] = info
        return info


class SecondOpinion:
    """A loaded model: per head a bias, a threshold and feature weights."""

    def __init__(self, bias: dict[str, float], threshold: dict[str, float],
                 weights: dict[str, tuple[float, ...]], source: str = "") -> None:
        self.bias = bias
        self.threshold = threshold
        self.weights = weights
        self.source = source
        self._bias_pair = (bias.get(HEADS[0], 0.0), bias.get(HEADS[1], 0.0))
        # Each threshold in log-odds, a hair lower: most texts fail it without an exp(); the few that
        # pass are checked on the probability itself, so a tag is the same as without the shortcut.
        self._cut = {h: _logit(t) - 1e-9 for h, t in threshold.items()}
        self._pair = _Index(weights, (0, 1))  # sensitive and keep: scored together (fast_scores)
        self._register = _Index(weights, (2,))  # register: only on the fallback (register_score)

    @classmethod
    def read(cls, path: Path) -> SecondOpinion:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read ({exc.__class__.__name__}: {exc})") from exc
        return cls.parse(lines, str(path))

    @classmethod
    def parse(cls, lines: Iterable[str], where: str) -> SecondOpinion:
        """Lines ``feature<TAB>weight per head``; a line may give only the first two heads' weights
        (the others are 0), and a file without ``@bias``/``@threshold`` of an optional head has it off."""
        bias: dict[str, float] = {}
        threshold: dict[str, float] = {}
        weights: dict[str, tuple[float, ...]] = {}
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            try:
                if parts[0] in ("@bias", "@threshold"):
                    (bias if parts[0] == "@bias" else threshold)[parts[1]] = float(parts[2])
                else:
                    w = tuple(float(p) for p in parts[1:1 + len(HEADS)])
                    if len(w) < len(HEADS) - len(OPTIONAL_HEADS):
                        raise ValueError("too few weights")
                    weights[parts[0]] = w + (0.0,) * (len(HEADS) - len(w))
            except (IndexError, ValueError) as exc:
                raise ConfigError(f"{where}:{number}: not a model line ({exc})") from exc
        for head in HEADS:
            if head not in bias or head not in threshold:
                if head not in OPTIONAL_HEADS:
                    raise ConfigError(f"{where}: no @bias or @threshold for head {head!r}")
                bias[head], threshold[head] = 0.0, _OFF
        return cls(bias, threshold, weights, where)

    def has(self, head: str) -> bool:
        """Is the head on (its threshold can be reached)?"""
        return self.threshold[head] <= 1.0

    def scores(self, feats: Sequence[Feature]) -> list[float]:
        """Raw scores (log-odds) of every head."""
        totals = [self.bias[h] for h in HEADS]
        get = self.weights.get
        for f in feats:
            w = get(f.key)
            if w is not None:
                for i, x in enumerate(w):
                    totals[i] += x
        return totals

    def fast_scores(self, lowered: str) -> list[float]:
        """The scores of ``sensitive`` and ``keep`` as ``scores(features(lowered))`` gives them, without
        building the features (no offsets). Two float locals instead of a list, one pass over the tokens:
        this runs on about half of all items. Only features with a weight are looked at (most have none):
        a token's word, stem and pair with the next stem are each added once, in the order features()
        lists them, so the sums are bit-identical."""
        s0, s1 = self._bias_pair
        tokens = _TOKEN_RE.findall(lowered)
        if not tokens:
            return [s0, s1]
        info_get, remember = self._pair.tokens.get, self._pair.info
        seen: set[str] = set()
        stems: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        prev = ""
        after: dict[str, _Weights] | None = None  # the previous token's weighted pairs, by next stem
        for tok in tokens:
            info = info_get(tok)  # a dict lookup, no call, for a token seen before (most are)
            if info is None:
                info = remember(tok)
            key, stem, w, ws, pairs_next = info
            if w is not None and key not in seen:
                seen.add(key)
                s0 += w[0]
                s1 += w[1]
            if ws is not None and stem not in stems:
                stems.add(stem)
                s0 += ws[0]
                s1 += ws[1]
            if after is not None:
                wp = after.get(stem)
                if wp is not None and (prev, stem) not in pairs:
                    pairs.add((prev, stem))
                    s0 += wp[0]
                    s1 += wp[1]
            prev, after = stem, pairs_next
        return [s0, s1]

    def register_score(self, lowered: str) -> float:
        """The ``register`` head's score, the same walk as fast_scores over that head's own index (kept
        apart so the hot path above pays nothing for it; it runs only on the fallback's items)."""
        s = self.bias["register"]
        info_get, remember = self._register.tokens.get, self._register.info
        seen: set[str] = set()
        stems: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        prev = ""
        after: dict[str, _Weights] | None = None
        for tok in _TOKEN_RE.findall(lowered):
            info = info_get(tok)
            if info is None:
                info = remember(tok)
            key, stem, w, ws, pairs_next = info
            if w is not None and key not in seen:
                seen.add(key)
                s += w[0]
            if ws is not None and stem not in stems:
                stems.add(stem)
                s += ws[0]
            if after is not None:
                wp = after.get(stem)
                if wp is not None and (prev, stem) not in pairs:
                    pairs.add((prev, stem))
                    s += wp[0]
            prev, after = stem, pairs_next
        return s

    def _passing(self, lowered: str, heads: Sequence[str]) -> list[tuple[int, float]]:
        """(index in HEADS, probability) of the heads asked for that reach their threshold; each head
        group is scored only when one of its heads is asked for."""
        out = []
        cut = self._cut
        if "sensitive" in heads or "keep" in heads:
            scores = self.fast_scores(lowered)
            for index in (0, 1):
                head = HEADS[index]
                if head in heads and scores[index] >= cut[head]:
                    p = _sigmoid(scores[index])
                    if p >= self.threshold[head]:
                        out.append((index, p))
        if "register" in heads and self.threshold["register"] <= 1.0:
            score = self.register_score(lowered)
            if score >= cut["register"]:
                p = _sigmoid(score)
                if p >= self.threshold["register"]:
                    out.append((2, p))
        return out

    def opinion(self, lowered: str, heads: Sequence[str] = HEADS, top: int = 3) -> list[Opinion]:
        """The heads (of ``heads``) whose probability reaches their threshold, with their top features.
        The cheap score runs first; features with offsets are found only for a text that passes."""
        out = []
        for index, p in self._passing(lowered, heads):
            pushed_up = self.top_features(lowered, index, top)
            # No word pushed the score up: the bias alone is no opinion (an emoji, an unknown word).
            if pushed_up:
                out.append(Opinion(HEADS[index], p, pushed_up))
        return out

    def top_features(self, lowered: str, index: int, top: int = 3) -> tuple[tuple[Feature, float], ...]:
        """The ``top`` features that push head ``index`` up most (positive weights, strongest first, ties
        in text order), with offsets: what sorting ``features(lowered, self.weights)`` by weight gives,
        but only the weighted features are built (this runs on every text a head flags)."""
        group, j = (self._pair, index) if index < 2 else (self._register, 0)
        info_get, remember = group.tokens.get, group.info
        # (weight, start, end, key prefix, key rest): the key strings and Features only for the top ones
        found: list[tuple[float, int, int, str, str]] = []
        seen: set[str] = set()
        stems: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        prev, prev_start = "", 0
        after: dict[str, _Weights] | None = None
        for m in _TOKEN_RE.finditer(lowered):
            tok = m.group()
            info = info_get(tok)
            if info is None:
                info = remember(tok)
            key, stem, w, ws, pairs_next = info
            start = m.start()
            if w is not None and key not in seen:
                seen.add(key)
                if w[j] > 0:  # a number's key is "#<digits>", its feature "d:<digits>"
                    found.append((w[j], start, m.end(), "d:", key[1:]) if stem == "#" else
                                 (w[j], start, m.end(), "w:", tok))
            if ws is not None and stem not in stems:
                stems.add(stem)
                if ws[j] > 0:
                    found.append((ws[j], start, m.end(), "s:", stem))
            if after is not None:
                wp = after.get(stem)
                if wp is not None and (prev, stem) not in pairs:
                    pairs.add((prev, stem))
                    if wp[j] > 0:
                        found.append((wp[j], prev_start, m.end(), "b:", f"{prev}_{stem}"))
            prev, prev_start, after = stem, start, pairs_next
        found.sort(key=lambda f: -f[0])  # stable: equal weights keep the text order
        return tuple((Feature(kind + rest, start, end), w) for w, start, end, kind, rest in found[:top])

    def probability(self, lowered: str, head: str) -> float:
        return _sigmoid(self.scores(features(lowered))[HEADS.index(head)])


def _logit(p: float) -> float:
    """The log-odds of a probability (the inverse of _sigmoid), as a lower bound for a threshold: -inf
    at 0; at 1, 36 (_sigmoid rounds to 1.0 from about 36.7 on); above 1 (a head that is off), inf."""
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return 36.0 if p == 1.0 else math.inf
    return math.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    if x < -30:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


# --- training (benchmarks/train_second_opinion.py) ---------------------------------------------------

def train_head(samples: Sequence[set[str]], labels: Sequence[int], *, epochs: int = 40, rate: float = 0.2,
               l2: float = 1e-3, seed: int = 14) -> tuple[float, dict[str, float]]:
    """Logistic regression by stochastic gradient descent (AdaGrad step sizes), L2-regularised.
    Returns (bias, weights). Deterministic for a seed."""
    rng = random.Random(seed)
    weights: dict[str, float] = {}
    grad_sq: dict[str, float] = {}
    bias, bias_sq = 0.0, 1e-8
    order = list(range(len(samples)))
    positive = sum(labels) / max(1, len(labels))
    # Classes are unbalanced (few sensitive items): weigh the rarer class up so both count equally.
    class_weight = {1: 0.5 / max(positive, 1e-6), 0: 0.5 / max(1 - positive, 1e-6)}
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            feats, y = samples[i], labels[i]
            z = bias + sum(weights.get(k, 0.0) for k in feats)
            g = (_sigmoid(z) - y) * class_weight[y]
            bias_sq += g * g
            bias -= rate * g / math.sqrt(bias_sq)
            for k in feats:
                w = weights.get(k, 0.0)
                gk = g + l2 * w
                grad_sq[k] = grad_sq.get(k, 1e-8) + gk * gk
                weights[k] = w - rate * gk / math.sqrt(grad_sq[k])
    return bias, weights


def feature_keys(text: str) -> set[str]:
    return {f.key for f in features(lower_same_length(text))}
