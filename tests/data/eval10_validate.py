"""Check the eval10 sets (see eval10_README.md; label policy in eval3_README.md) and print their counts.

Run from the repository root: `python tests/data/eval10_validate.py`. Exits non-zero if any problem is found,
listing every instance. It reads the labels only; it never runs the tagger.

It checks what eval8_validate.py checks, and also that every personnummer-shaped number in a text is a real
date with a valid check digit, in a confidential or criminal item. The checks are in evalkit.py, shared with
the other sets' validators (and, like eval8's, need nothing under `src/smarchive/retention/`); this file holds
only eval10's settings.
"""

from __future__ import annotations

import sys

import evalkit  # beside this file: Python puts a script's own folder first on sys.path

EVAL10 = evalkit.EvalSet(
    halves={"eval10_dev.jsonl": "e10d-", "eval10_blind.jsonl": "e10b-"},
    # No blind halves here: the writer of eval10 was not allowed to open them.
    older=(*evalkit.FIRST_SETS, "eval3_dev.jsonl", "eval4_dev.jsonl", "eval6_dev.jsonl", "eval7_dev.jsonl",
           "eval8_dev.jsonl"),
    years=range(2026, 2027),
    rules=evalkit.rules(evalkit.reason_problems, evalkit.personnummer_problems),
    min_per_half=evalkit.BRIEF_MINIMUM,
    threads=True,
)

if __name__ == "__main__":
    sys.exit(evalkit.run(EVAL10))
