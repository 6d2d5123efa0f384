"""Agreement of the retention engine with hand-labelled sets (issue #14).

Usage: python benchmarks/eval_retention.py [--profile NAME] [--overrides DIR] [--set NAME ...]
                                           [--per-category SET] [--confusion SET] [--show-misses SET]

``--overrides DIR``: a rule folder laid over the profile, e.g. DIR/model/second_opinion.txt written by
``train_second_opinion.py --without SET --out DIR/model/second_opinion.txt`` (a leave-one-set-out model).

For each labelled set in tests/data (``expected{category, register, remove}``) it reports:
- register/remove agreement: the tag's ``register`` and ``remove`` actions both equal the label's;
- category agreement;
- unsafe misses: items labelled criminal or confidential that are neither marked for removal nor held
  for review (``needs_review``) -- the failures that matter most;
- wrong culls: items the label keeps (register or remove, or own) that the tag makes cull-eligible;
- of the register/remove disagreements, how many are held for review (``needs_review``): a person sees
  those before anything is registered, removed or culled; the rest pass unseen.

Never use ``--show-misses`` on a blind set: the blind half is only for aggregate figures.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smarchive.retention.tag import RetentionEngine, Tag

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SETS = {
    "eval3_dev": "eval3_dev.jsonl",
    "eval3_blind": "eval3_blind.jsonl",
    "labelled": "labelled_items.jsonl",
    "heldout": "heldout_items.jsonl",
    "heldout2": "heldout2_items.jsonl",
    # Written by the engine session of 2026-12-05 (tests/data/eval4_README.md); the blind half is not tuned on.
    "eval4_dev": "eval4_dev.jsonl",
    "eval4_blind": "eval4_blind.jsonl",
    # Written at the end of that session, after the last rule change, measured once: never tuned on.
    "eval5_blind": "eval5_blind.jsonl",
    # Written by a helper session of 2026-12-05 that never read the rules or lexicons (tests/data/eval6_README.md);
    # the blind half is not tuned on.
    "eval6_dev": "eval6_dev.jsonl",
    "eval6_blind": "eval6_blind.jsonl",
    # Written by a helper session of 2026-12-06 that never read the rules, lexicons or this script, after every
    # rule change of that day (tests/data/eval7_README.md); measured once, the blind half never tuned on.
    "eval7_dev": "eval7_dev.jsonl",
    "eval7_blind": "eval7_blind.jsonl",
    # Written by a helper session later on 2026-12-06 under eval7's rule (tests/data/eval8_README.md): 2026 threads on
    # new topics; measured first on the engine of 1e0661d; the blind half never tuned on.
    "eval8_dev": "eval8_dev.jsonl",
    "eval8_blind": "eval8_blind.jsonl",
    # Written by two helper sessions on the evening of 2026-12-06 that never read the rules, lexicons or this script
    # (tests/data/eval9_README.md, eval10_README.md); measured first on the engine of a56b106; blind never tuned on.
    "eval9_dev": "eval9_dev.jsonl",
    "eval9_blind": "eval9_blind.jsonl",
    "eval10_dev": "eval10_dev.jsonl",
    "eval10_blind": "eval10_blind.jsonl",
}
SAFETY_CATEGORIES = ("criminal", "confidential")
# Labels that must never be cull-eligible: everything registered, and the account's own records.
KEEP_CATEGORIES = ("own", "complaint", "ongoing-case", "initiates-case", "offensive", "confidential", "criminal")


@dataclass
class Scores:
    """Counts for one labelled set (or one category of it)."""

    n: int = 0
    reg_rem: int = 0
    category: int = 0
    unsafe: int = 0
    wrong_cull: int = 0
    review: int = 0  # held for an archivist (needs_review): the cost of failing safe
    culls: int = 0  # made cull-eligible
    missed_held: int = 0  # register/remove disagreements held for review: a person sees them
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    def line(self, name: str) -> str:
        def pct(k: int) -> float:
            return 100.0 * k / self.n if self.n else 0.0

        return (f"{name:<16} n={self.n:<4} reg/rem {pct(self.reg_rem):5.1f}%  category {pct(self.category):5.1f}%"
                f"  unsafe misses {self.unsafe:<3} wrong culls {self.wrong_cull:<3}"
                f" review {pct(self.review):5.1f}%  cull-eligible {pct(self.culls):5.1f}%"
                f"  disagreements held {self.missed_held}/{self.n - self.reg_rem}")


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def is_unsafe_miss(expected: dict[str, Any], tag: Tag) -> bool:
    """A criminal or confidential item that is neither removed nor held for an archivist."""
    return expected["category"] in SAFETY_CATEGORIES and "remove" not in tag.actions and not tag.needs_review


def is_wrong_cull(expected: dict[str, Any], tag: Tag) -> bool:
    return expected["category"] in KEEP_CATEGORIES and tag.retention == "cull-eligible"


def score(items: list[dict[str, Any]], tags: list[Tag]) -> tuple[Scores, dict[str, Scores]]:
    total, per_cat = Scores(), {}
    for item, tag in zip(items, tags, strict=True):
        exp = item["expected"]
        got = ("register" in tag.actions, "remove" in tag.actions)
        for s in (total, per_cat.setdefault(exp["category"], Scores())):
            s.n += 1
            agreed = got == (bool(exp["register"]), bool(exp["remove"]))
            s.reg_rem += agreed
            s.missed_held += not agreed and tag.needs_review
            s.category += tag.category == exp["category"]
            s.unsafe += is_unsafe_miss(exp, tag)
            s.wrong_cull += is_wrong_cull(exp, tag)
            s.review += tag.needs_review
            s.culls += tag.retention == "cull-eligible"
            s.confusion[(exp["category"], tag.category)] += 1
    return total, per_cat


def confusion_table(conf: Counter[tuple[str, str]]) -> str:
    rows = sorted({e for e, _ in conf})
    cols = sorted({g for _, g in conf})
    short = {c: c[:6] for c in cols}
    out = ["expected \\ tagged".ljust(18) + " ".join(f"{short[c]:>6}" for c in cols)]
    for r in rows:
        out.append(f"{r:<18}" + " ".join(f"{conf.get((r, c), 0) or '.':>6}" for c in cols))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="orebro")
    parser.add_argument("--overrides", type=Path, metavar="DIR", help="a rule folder laid over the profile")
    parser.add_argument("--set", action="append", choices=sorted(SETS),
                        help="default: all sets, or only the sets named by --per-category/--confusion/--show-misses")
    parser.add_argument("--per-category", action="append", default=[], metavar="SET")
    parser.add_argument("--confusion", action="append", default=[], metavar="SET")
    parser.add_argument("--show-misses", metavar="SET", help="list disagreements (never on a blind set)")
    args = parser.parse_args()
    if args.show_misses and "blind" in args.show_misses:
        parser.error("the blind half is for aggregate figures only")
    engine = RetentionEngine.load(profile=args.profile, overrides=args.overrides)
    print(f"engine {engine.ruleset_version}, profile {args.profile}")
    named = [*args.per_category, *args.confusion, *([args.show_misses] if args.show_misses else [])]
    # A look at one set's details must not print every other set's figures too (the blind halves).
    default = list(dict.fromkeys(n for n in named if n in SETS)) or list(SETS)
    for name in args.set or default:
        path = DATA / SETS[name]
        if not path.is_file():
            print(f"{name}: {path} missing, skipped")
            continue
        items = load(path)
        tags = engine.tag_all(items)
        total, per_cat = score(items, tags)
        print(total.line(name))
        if name in args.per_category:
            for cat in sorted(per_cat):
                print("  " + per_cat[cat].line(cat))
        if name in args.confusion:
            print(confusion_table(total.confusion))
        if name == args.show_misses:
            show_misses(items, tags)


def show_misses(items: list[dict[str, Any]], tags: list[Tag]) -> None:
    for item, tag in zip(items, tags, strict=True):
        exp = item["expected"]
        got = ("register" in tag.actions, "remove" in tag.actions)
        if got != (bool(exp["register"]), bool(exp["remove"])) or is_unsafe_miss(exp, tag):
            flag = " UNSAFE" if is_unsafe_miss(exp, tag) else (" CULL" if is_wrong_cull(exp, tag) else "")
            print(f"- {item['id']} want {exp['category']} got {tag.category} ({','.join(tag.rule_ids)}){flag}")
            print(f"    {item['text'][:200]!r}")


if __name__ == "__main__":
    main()
