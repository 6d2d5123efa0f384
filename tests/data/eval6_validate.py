"""Check the eval6 sets (see eval6_README.md; label policy in eval3_README.md) and print their counts.

Run from the repository root: `python tests/data/eval6_validate.py`. Exits non-zero if any problem is found,
listing every instance. It reads the labels only; it never runs the tagger.

It checks what eval3_validate.py checks (eval3's first rules in evalkit.py), in 2024 only, and also the voice
vocabulary and the accounts; this file holds only eval6's settings.
"""

from __future__ import annotations

import sys

import evalkit  # beside this file: Python puts a script's own folder first on sys.path

EVAL6 = evalkit.EvalSet(
    halves={"eval6_dev.jsonl": "e6d-", "eval6_blind.jsonl": "e6b-"},
    # Every older labelled set: an eval6 text must not be copied from any of them.
    older=(*evalkit.FIRST_SETS, "eval3_dev.jsonl", "eval3_blind.jsonl", "eval4_dev.jsonl", "eval4_blind.jsonl",
           "eval5_blind.jsonl"),
    years=range(2024, 2025),
    rules=evalkit.first_rules(evalkit.voice_problems, evalkit.account_problems),
    # eval6 was written on five accounts: not on the sign-language Facebook page.
    accounts=evalkit.ACCOUNTS - {("facebook", "orebrokommunteckensprak")},
    print_voices=False,
)

if __name__ == "__main__":
    sys.exit(evalkit.run(EVAL6))
