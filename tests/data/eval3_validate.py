"""Check the eval3 sets (see eval3_README.md) and print their counts per category and half.

Run from the repository root: `python tests/data/eval3_validate.py`. Exits non-zero if any problem is found,
listing every instance. It reads the labels only; it never runs the tagger.

It checks every line's keys, ids, parents, dates (2024-2025, Stockholm offsets), the label policy and the
retention ruleset's categories, duplicate texts and overlap with the older sets, by eval3's first rules in
evalkit.py (shared with the other sets' validators); this file holds only eval3's settings.
"""

from __future__ import annotations

import sys

import evalkit  # beside this file: Python puts a script's own folder first on sys.path

EVAL3 = evalkit.EvalSet(
    halves={"eval3_dev.jsonl": "e3d-", "eval3_blind.jsonl": "e3b-"},
    older=evalkit.FIRST_SETS,
    years=range(2024, 2026),
    rules=evalkit.first_rules(),
    print_voices=False,
)

if __name__ == "__main__":
    sys.exit(evalkit.run(EVAL3))
