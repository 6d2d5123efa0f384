"""Which lexicon hits another lexicon hides (issue #14): run it before and after adding or extending a lexicon.

    .venv/bin/python benchmarks/lexicon_overlap.py [--profile NAME] [--top N]

Until 2026-12-05 the longest term at a position won across lexicons, so a new term could silently take an
element away from a rule that needs it: "kommunhuset" (threat_target) hid the service "kommun*", "inte fått"
(dissatisfaction) hid the negation "inte" that ORE-065 looks for (196 hidden hits in the labelled texts). Now
a term hides only shorter terms of its own lexicon, and an idiom (lexicon.HIDING_LEXICONS) every shorter term,
on purpose ("slår ihjäl sig"). This script scans the labelled texts of tests/data (never a blind half) once
with each lexicon alone and once with all of them, and prints every start where a lexicon hits alone but not
among the others, with the term that hid it (an idiom's hiding is not listed). It should print 0.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from smarchive.retention.lexicon import HIDING_LEXICONS, LexiconMatcher
from smarchive.retention.tag import RetentionEngine

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def labelled_texts() -> list[str]:
    texts = []
    for path in sorted(DATA.glob("*.jsonl")):
        if "blind" in path.name:
            continue  # the blind halves are only for aggregate figures
        with path.open(encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    return texts


def hidden_hits(lexicons: dict[str, list[str]], texts: list[str]) -> Counter[tuple[str, str, str, str]]:
    """(lexicon, its hidden hit, the hiding lexicon, the hiding hit) -> how often, case-folded."""
    together = LexiconMatcher(lexicons, 0)  # exact terms only: a typo match never hides anything
    found = [together.find(t) for t in texts]
    out: Counter[tuple[str, str, str, str]] = Counter()
    for name, lines in lexicons.items():
        if name in HIDING_LEXICONS:
            continue
        alone = LexiconMatcher({name: lines}, 0)
        for text, hits in zip(texts, found, strict=True):
            kept = {h.start for h in hits if h.lexicon == name}  # the element is there, maybe by a longer term
            for h in alone.find(text):
                if h.start in kept:
                    continue
                for other in (o for o in hits if o.start == h.start and o.lexicon not in (name, *HIDING_LEXICONS)):
                    out[(name, h.text.lower(), other.lexicon, other.text.lower())] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="orebro")
    parser.add_argument("--top", type=int, default=40, help="pairs to list (default 40)")
    args = parser.parse_args()
    engine = RetentionEngine.load(profile=args.profile)
    texts = labelled_texts()
    pairs = hidden_hits({n: list(ls) for n, ls in engine.lexicons.items()}, texts)
    per_lexicon: Counter[str] = Counter()
    for (name, *_), n in pairs.items():
        per_lexicon[name] += n
    print(f"{len(texts)} labelled texts; {sum(pairs.values())} hits hidden by another lexicon's longer term")
    print("per hidden lexicon: " + ", ".join(f"{k} {v}" for k, v in per_lexicon.most_common()))
    for (name, term, other, by), n in pairs.most_common(args.top):
        print(f"{n:5}  {name}: {term!r}  hidden by  {other}: {by!r}")


if __name__ == "__main__":
    main()
