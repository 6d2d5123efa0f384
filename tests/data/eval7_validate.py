"""Check the eval7 sets (see eval7_README.md; label policy in eval3_README.md) and print their counts.

Run from the repository root: `python tests/data/eval7_validate.py`. Exits non-zero if any problem is found,
listing every instance. It reads the labels only; it never runs the tagger.

It checks every line's keys, id sequence, parents (earlier in the file, right type, same account, not newer),
Stockholm offsets and the year 2025, the label policy, `author_is_account` against `own`, the voice vocabulary
and accounts, the minimum counts per half, duplicate texts and copies from older sets. The checks are in
evalkit.py, shared with the other sets' validators; this file holds only eval7's settings. Like the validator
it replaces, it needs nothing under `src/smarchive/retention/`: evalkit writes the label policy out from
eval3_README.md, so the writer of eval7 never had to open the retention package.
"""

from __future__ import annotations

import sys

import evalkit  # beside this file: Python puts a script's own folder first on sys.path

EVAL7 = evalkit.EvalSet(
    halves={"eval7_dev.jsonl": "e7d-", "eval7_blind.jsonl": "e7b-"},
    # No blind halves here: the writer of eval7 was not allowed to open them.
    older=(*evalkit.FIRST_SETS, "eval3_dev.jsonl", "eval4_dev.jsonl", "eval6_dev.jsonl"),
    years=range(2025, 2026),
    rules=evalkit.rules(),
    min_per_half=evalkit.BRIEF_MINIMUM,
)

if __name__ == "__main__":
    sys.exit(evalkit.run(EVAL7))
