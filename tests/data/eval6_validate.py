"""Check the eval6 sets (see eval6_README.md; label policy in eval3_README.md) and print their counts.

Run from the repository root: `python tests/data/eval6_validate.py`. Exits non-zero on the first kind of
problem found, listing every instance. It reads the labels only; it never runs the tagger.
"""

from __future__ import annotations

import sys

from eval3_validate import check  # the same checks and label policy (run from the repository root)

HALVES = {"eval6_dev.jsonl": "e6d-", "eval6_blind.jsonl": "e6b-"}
# Every older labelled set: an eval6 text must not be copied from any of them.
OLDER = ("labelled_items.jsonl", "heldout_items.jsonl", "heldout2_items.jsonl", "eval3_dev.jsonl",
         "eval3_blind.jsonl", "eval4_dev.jsonl", "eval4_blind.jsonl", "eval5_blind.jsonl")
VOICES = {"plain", "formal", "emoji", "teen", "elderly", "dialect", "typos", "no-punctuation", "caps", "irony",
          "quote-of-other", "long-rant", "odd-numbers", "english-mix", "arabic-mix", "somali-mix", "tigrinya-mix",
          "spam"}
ACCOUNTS = {("facebook", "orebrokommun"), ("instagram", "orebrokommun"), ("instagram", "tborebro"),
            ("youtube", "orebrokommun"), ("linkedin", "orebrokommun")}


def voice_and_account(row: dict) -> list[str]:
    """eval6's own checks: the voice vocabulary and the accounts it was written on."""
    problems = []
    if set(row["voice"].split(",")) - VOICES:
        problems.append(f"voice outside the vocabulary: {row['voice']}")
    if (row["platform"], row["account"]) not in ACCOUNTS:
        problems.append(f"unknown account {row['platform']}/{row['account']}")
    return problems


if __name__ == "__main__":
    sys.exit(check(HALVES, OLDER, range(2024, 2025), voice_and_account))
