"""Check the eval8 sets (see eval8_README.md; label policy in eval3_README.md) and print their counts.

Run from the repository root: `python tests/data/eval8_validate.py`. Exits non-zero if any problem is found,
listing every instance. It reads the labels only; it never runs the tagger.

It checks what eval7_validate.py checks, in 2026, and also that the items of each thread are in time order and
that each reason ends with the deciding guideline section in brackets; it prints a line per half on threads.
The checks are in evalkit.py, shared with the other sets' validators (and, like eval7's, need nothing under
`src/smarchive/retention/`); this file holds only eval8's settings.
"""

from __future__ import annotations

import sys

import evalkit  # beside this file: Python puts a script's own folder first on sys.path

EVAL8 = evalkit.EvalSet(
    halves={"eval8_dev.jsonl": "e8d-", "eval8_blind.jsonl": "e8b-"},
    # No blind halves here: the writer of eval8 was not allowed to open them.
    older=(*evalkit.FIRST_SETS, "eval3_dev.jsonl", "eval4_dev.jsonl", "eval6_dev.jsonl", "eval7_dev.jsonl"),
    years=range(2026, 2027),
    rules=evalkit.rules(evalkit.reason_problems),
    min_per_half=evalkit.BRIEF_MINIMUM,
    threads=True,
)

if __name__ == "__main__":
    sys.exit(evalkit.run(EVAL8))
