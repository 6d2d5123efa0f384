"""Check the eval9 sets (see eval9_README.md; label policy in eval3_README.md) and print their counts.

Run from the repository root: `python tests/data/eval9_validate.py`. Exits non-zero if any problem is found,
listing every instance. It reads the labels only; it never runs the tagger.

It checks what eval8_validate.py checks (the checks are in evalkit.py, shared with the other sets' validators,
and, like eval8's, need nothing under `src/smarchive/retention/`), on one account more. New in eval9, and kept
here as its own check: every identity number a reason names in canonical form (YYMMDD-NNNN) must be valid by
date (day + 60 for a samordningsnummer) and Luhn check digit, and its digits must occur in the text in order
(however the text spaces, dashes or breaks them; a date written in words needs the reason to say "in words").
"""

from __future__ import annotations

import re
import sys
from datetime import date

import evalkit  # beside this file: Python puts a script's own folder first on sys.path

# An identity number named in a reason, canonical form YYMMDD-NNNN.
CANONICAL_ID = re.compile(r"(?<![\d-])(\d{6})-(\d{4})(?![\d-])")


def date_ok(six: str) -> bool:
    """YYMMDD is a real date in some century; a samordningsnummer adds 60 to the day."""
    yy, mm, dd = int(six[:2]), int(six[2:4]), int(six[4:])
    if dd > 60:
        dd -= 60
    for century in (1900, 2000):
        try:
            date(century + yy, mm, dd)
            return True
        except ValueError:
            pass
    return False


def in_order(needle: str, hay: str) -> bool:
    it = iter(hay)
    return all(ch in it for ch in needle)


def id_number_problems(line: evalkit.Line) -> list[str]:
    """Identity numbers the reason names must be valid and really be in the text."""
    row, problems = line.row, []
    expected = row["expected"]
    if not isinstance(expected, dict) or expected.get("category") not in evalkit.POLICY:
        return []  # the label is already reported; the reason cannot be judged against it
    digits = "".join(ch for ch in row["text"] if ch.isdigit())
    for six, four in CANONICAL_ID.findall(row["reason"]):
        if not date_ok(six):
            problems.append(f"{six}-{four} in the reason is not a valid date")
        if not evalkit.luhn_ok(six + four):
            problems.append(f"{six}-{four} in the reason fails the check digit")
        words = "in words" in row["reason"] and four in digits
        if not (in_order(six + four, digits) or words):
            problems.append(f"{six}-{four} named in the reason is not in the text")
    if (expected["category"] == "confidential" and re.search(r"personnummer|samordningsnummer", row["reason"])
            and not CANONICAL_ID.search(row["reason"]) and re.search(r"\d", row["text"])):
        problems.append("a confidential identity number is not named in canonical form in the reason")
    return problems


def numbers_note(rows: list[evalkit.Row]) -> str:
    numbers = sum(1 for r in rows if CANONICAL_ID.search(r["reason"]))
    return f"{numbers} with a checked identity-number look-alike"


EVAL9 = evalkit.EvalSet(
    halves={"eval9_dev.jsonl": "e9d-", "eval9_blind.jsonl": "e9b-"},
    # No blind halves here: the writer of eval9 was not allowed to open them.
    older=(*evalkit.FIRST_SETS, "eval3_dev.jsonl", "eval4_dev.jsonl", "eval6_dev.jsonl", "eval7_dev.jsonl",
           "eval8_dev.jsonl"),
    years=range(2026, 2027),
    rules=evalkit.rules(evalkit.reason_problems, id_number_problems),
    # Örebro kommun – Teckenspråk on YouTube (in the domain brief's account list; used by eval3 too).
    accounts=evalkit.ACCOUNTS | {("youtube", "orebrokommunteckensprak")},
    min_per_half=evalkit.BRIEF_MINIMUM,
    threads=True,
    half_note=numbers_note,
)

if __name__ == "__main__":
    sys.exit(evalkit.run(EVAL9))
