"""Check the eval10 sets (see eval10_README.md; label policy in eval3_README.md) and print their counts.

Run from the repository root: `python tests/data/eval10_validate.py`. Exits non-zero if any problem is found,
listing every instance. It reads the labels only; it never runs the tagger.

Adapted from eval8_validate.py, and like it self-contained: the ten decided categories are
written out here from eval3_README.md's label policy instead of being read from the retention package, so
that the writer of eval10 never had to open anything under `src/smarchive/retention/`.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

DATA = Path(__file__).parent
HALVES = {"eval10_dev.jsonl": "e10d-", "eval10_blind.jsonl": "e10b-"}
# Older sets an eval10 text must not be copied from (exact duplicates). Blind halves are not read: the
# writer of eval10 was not allowed to open them.
OLDER = ("labelled_items.jsonl", "heldout_items.jsonl", "heldout2_items.jsonl", "eval3_dev.jsonl",
         "eval4_dev.jsonl", "eval6_dev.jsonl", "eval7_dev.jsonl",
         "eval8_dev.jsonl")
YEARS = range(2026, 2027)
KEYS = ["id", "platform", "account", "item_type", "author_is_account", "text", "published_at", "parent_id",
        "expected", "reason", "voice"]
# The label policy (eval3_README.md): what register / remove mean for each category.
POLICY = {
    "own": (False, False), "minor": (False, False), "complaint": (True, False),
    "ongoing-case": (True, False), "initiates-case": (True, False), "offensive": (True, True),
    "confidential": (True, True), "criminal": (True, True), "political": (False, True),
    "commercial": (False, True),
}
PARENT_TYPE = {"post": None, "comment": "post", "reply": "comment"}
VOICES = {"plain", "formal", "emoji", "teen", "elderly", "dialect", "typos", "no-punctuation", "caps", "irony",
          "quote-of-other", "long-rant", "odd-numbers", "english-mix", "arabic-mix", "somali-mix", "tigrinya-mix",
          "spam"}
ACCOUNTS = {("facebook", "orebrokommun"), ("facebook", "orebrokommunteckensprak"), ("instagram", "orebrokommun"),
            ("instagram", "tborebro"), ("youtube", "orebrokommun"), ("linkedin", "orebrokommun")}
# The brief asks for at least this many items of these categories in each half.
MIN_PER_HALF = {"criminal": 8, "confidential": 8}
STOCKHOLM = ZoneInfo("Europe/Stockholm")
# A personnummer typed as YYMMDD, optional dash or space, NNNN (eval10 writes no other forms).
PNR = re.compile(r"(?<![\d-])(\d{6})[- ]?(\d{4})(?![\d-])")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(digits):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return total % 10 == 0


def pnr_problems(row: dict) -> list[str]:
    """Every personnummer-shaped number must be a real date with a valid check digit, and an item carrying one
    must be confidential or criminal (an identity number is removed whoever wrote it)."""
    problems = []
    for m in PNR.finditer(row["text"]):
        digits = m.group(1) + m.group(2)
        try:
            datetime.strptime(m.group(1), "%y%m%d")
        except ValueError:
            problems.append(f"personnummer-like {m.group(0)!r} is not a date")
            continue
        if not luhn_ok(digits):
            problems.append(f"personnummer {m.group(0)!r} has a wrong check digit")
        if row["expected"]["category"] not in ("confidential", "criminal"):
            problems.append(f"personnummer {m.group(0)!r} in a {row['expected']['category']} item")
    return problems


def row_problems(row: dict, prefix: str, n: int, by_id: dict[str, dict]) -> list[str]:
    """Everything wrong with one line, given the rows before it (parents must come first)."""
    problems = []
    if row["id"] in by_id:
        problems.append("duplicate id")
    if row["id"] != f"{prefix}{n:04d}":
        problems.append("id out of sequence")
    exp = row["expected"]
    if not isinstance(exp, dict) or list(exp) != ["category", "register", "remove"]:
        problems.append(f"expected has keys {list(exp) if isinstance(exp, dict) else exp}")
    elif exp["category"] not in POLICY:
        problems.append(f"unknown category {exp['category']}")
    elif (exp["register"], exp["remove"]) != POLICY[exp["category"]]:
        problems.append("register/remove do not follow the label policy")
    for key in ("text", "reason", "voice"):
        if not isinstance(row[key], str) or not row[key].strip():
            problems.append(f"empty {key}")
    if set(row["voice"].split(",")) - VOICES:
        problems.append(f"voice outside the vocabulary: {row['voice']}")
    if (row["platform"], row["account"]) not in ACCOUNTS:
        problems.append(f"unknown account {row['platform']}/{row['account']}")
    when = datetime.fromisoformat(row["published_at"])
    if when.tzinfo is None or when.utcoffset() != when.astimezone(STOCKHOLM).utcoffset():
        problems.append("offset is not Europe/Stockholm's")
    elif when.astimezone(STOCKHOLM).year not in YEARS:
        problems.append(f"not in {YEARS.start}-{YEARS.stop - 1}")
    want = PARENT_TYPE.get(row["item_type"], "?")
    parent = by_id.get(row["parent_id"]) if row["parent_id"] else None
    if want == "?":
        problems.append(f"unknown item_type {row['item_type']}")
    elif want is None and row["parent_id"] is not None:
        problems.append("a post with a parent")
    elif want is not None and (parent is None or parent["item_type"] != want):
        problems.append(f"parent {row['parent_id']} missing, later in the file or not a {want}")
    elif parent is not None and (parent["platform"], parent["account"]) != (row["platform"], row["account"]):
        problems.append("parent on another account")
    elif parent is not None and datetime.fromisoformat(parent["published_at"]) > when:
        problems.append("published before its parent")
    if row["author_is_account"] is not (exp.get("category") == "own" if isinstance(exp, dict) else False):
        problems.append("author_is_account disagrees with category own")
    if not row["reason"].rstrip().endswith(")") or "(" not in row["reason"]:
        problems.append("reason does not name the deciding guideline section in brackets")
    problems += pnr_problems(row)
    return problems


def thread_problems(rows: list[dict], name: str) -> list[str]:
    """Within a thread (a post with its comments and replies) the items are in time order, file order."""
    problems, root, last = [], {}, {}
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        top = r["id"] if r["parent_id"] is None else root.get(r["parent_id"])
        if top is None:
            continue  # already reported as a missing parent
        root[r["id"]] = top
        when = datetime.fromisoformat(r["published_at"])
        if top in last and when < last[top]:
            problems.append(f"{name} {r['id']}: older than the item before it in thread {top}")
        last[top] = when
        if by_id[top]["platform"] != r["platform"]:
            problems.append(f"{name} {r['id']}: thread {top} on another platform")
    return problems


def read_half(path: Path, prefix: str) -> tuple[list[dict], list[str]]:
    rows, problems, by_id = [], [], {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{n}: not JSON ({exc})")
            continue
        if list(row) != KEYS:
            problems.append(f"{path.name}:{n}: keys {list(row)}")
            continue
        problems += [f"{path.name}:{n} {row['id']}: {p}" for p in row_problems(row, prefix, n, by_id)]
        by_id[row["id"]] = row
        rows.append(row)
    return rows, problems


def main() -> int:
    halves, problems = {}, []
    for name, prefix in HALVES.items():
        halves[name], found = read_half(DATA / name, prefix)
        problems += found
        problems += thread_problems(halves[name], name)
    # A thread (post and its comments and replies) lives in one half: parents resolve within the file, so
    # a text found in both halves would be a copy, not a split thread.
    older = {json.loads(line)["text"] for name in OLDER for line in (DATA / name).open(encoding="utf-8")}
    texts = Counter(r["text"] for rows in halves.values() for r in rows)
    # Reactions ("👍", "Tack!") repeat everywhere; a longer text found twice or in an older set is a copy.
    problems += [f"text twice in the set: {t[:60]!r}" for t, k in texts.items() if k > 1 and len(t.split()) > 3]
    problems += [f"text also in an older set: {t[:60]!r}" for t in texts if t in older and len(t.split()) > 3]
    names = list(halves)
    counts = {n: Counter(r["expected"]["category"] for r in halves[n]) for n in names}
    for n in names:
        problems += [f"{n}: only {counts[n][c]} {c} items (at least {k} wanted)"
                     for c, k in MIN_PER_HALF.items() if counts[n][c] < k]
    for p in problems:
        print("PROBLEM", p)
    print(f"{'category':16}" + "".join(f"{n.removesuffix('.jsonl'):>14}" for n in names) + f"{'total':>8}")
    for cat in POLICY:
        row = [counts[n][cat] for n in names]
        print(f"{cat:16}" + "".join(f"{v:>14}" for v in row) + f"{sum(row):>8}")
    sizes = [len(halves[n]) for n in names]
    print(f"{'all':16}" + "".join(f"{v:>14}" for v in sizes) + f"{sum(sizes):>8}")
    for n in names:
        types = Counter(r["item_type"] for r in halves[n])
        visitor = sum(1 for r in halves[n] if r["item_type"] == "post" and not r["author_is_account"])
        uncertain = sum(1 for r in halves[n] if "Uncertain" in r["reason"])
        print(f"{n}: {types['post']} threads ({visitor} visitor posts), {types['comment']} comments, "
              f"{types['reply']} replies; {counts[n]['own']} own; {uncertain} uncertain")
    voices = Counter(v for rows in halves.values() for r in rows for v in r["voice"].split(","))
    print("voices:", ", ".join(f"{v} {voices[v]}" for v in sorted(VOICES)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
