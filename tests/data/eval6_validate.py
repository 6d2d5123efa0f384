"""Check the eval6 sets (see eval6_README.md; label policy in eval3_README.md) and print their counts.

Run from the repository root: `python tests/data/eval6_validate.py`. Exits non-zero on the first kind of
problem found, listing every instance. It reads the labels only; it never runs the tagger.
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

DATA = Path(__file__).parent
RULESET = DATA.parents[1] / "src" / "smarchive" / "retention" / "rules" / "ruleset.toml"
HALVES = {"eval6_dev.jsonl": "e6d-", "eval6_blind.jsonl": "e6b-"}
# Every older labelled set: an eval6 text must not be copied from any of them.
OLDER = ("labelled_items.jsonl", "heldout_items.jsonl", "heldout2_items.jsonl", "eval3_dev.jsonl",
         "eval3_blind.jsonl", "eval4_dev.jsonl", "eval4_blind.jsonl", "eval5_blind.jsonl")
KEYS = ["id", "platform", "account", "item_type", "author_is_account", "text", "published_at", "parent_id",
        "expected", "reason", "voice"]
# The label policy (eval3_README.md, followed unchanged by eval6): what register / remove mean for each category.
POLICY = {
    "own": (False, False), "minor": (False, False), "complaint": (True, False),
    "ongoing-case": (True, False), "initiates-case": (True, False), "offensive": (True, True),
    "confidential": (True, True), "criminal": (True, True), "political": (False, True),
    "commercial": (False, True),
}
PARENT_TYPE = {"post": None, "comment": "post", "reply": "comment"}
STOCKHOLM = ZoneInfo("Europe/Stockholm")
VOICES = {"plain", "formal", "emoji", "teen", "elderly", "dialect", "typos", "no-punctuation", "caps", "irony",
          "quote-of-other", "long-rant", "odd-numbers", "english-mix", "arabic-mix", "somali-mix", "tigrinya-mix",
          "spam"}
ACCOUNTS = {("facebook", "orebrokommun"), ("instagram", "orebrokommun"), ("instagram", "tborebro"),
            ("youtube", "orebrokommun"), ("linkedin", "orebrokommun")}


def _problems_in(path: Path, prefix: str, categories: set[str]) -> tuple[list[dict], list[str]]:
    rows, problems = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{n}: not JSON ({exc})")
    by_id: dict[str, dict] = {}
    for n, row in enumerate(rows, 1):
        where = f"{path.name}:{n} {row.get('id')}"
        if list(row) != KEYS:
            problems.append(f"{where}: keys {list(row)}")
            continue
        if row["id"] in by_id:
            problems.append(f"{where}: duplicate id")
        if row["id"] != f"{prefix}{n:04d}":
            problems.append(f"{where}: id out of sequence")
        exp = row["expected"]
        if exp.get("category") not in categories or exp["category"] not in POLICY:
            problems.append(f"{where}: unknown category {exp.get('category')}")
        elif (exp.get("register"), exp.get("remove")) != POLICY[exp["category"]]:
            problems.append(f"{where}: register/remove do not follow the label policy")
        if not row["text"].strip() or not row["reason"].strip() or not row["voice"].strip():
            problems.append(f"{where}: empty text, reason or voice")
        if set(row["voice"].split(",")) - VOICES:
            problems.append(f"{where}: voice outside the vocabulary: {row['voice']}")
        if (row["platform"], row["account"]) not in ACCOUNTS:
            problems.append(f"{where}: unknown account {row['platform']}/{row['account']}")
        when = datetime.fromisoformat(row["published_at"])
        if when.tzinfo is None or when.utcoffset() != when.astimezone(STOCKHOLM).utcoffset():
            problems.append(f"{where}: offset is not Europe/Stockholm's")
        if when.astimezone(STOCKHOLM).year != 2024:
            problems.append(f"{where}: not in 2024")
        want = PARENT_TYPE.get(row["item_type"], "?")
        parent = by_id.get(row["parent_id"]) if row["parent_id"] else None
        if want is None and row["parent_id"] is not None:
            problems.append(f"{where}: a post with a parent")
        elif want is not None and (parent is None or parent["item_type"] != want):
            problems.append(f"{where}: parent {row['parent_id']} missing, later in the file or not a {want}")
        elif parent is not None and datetime.fromisoformat(parent["published_at"]) > when:
            problems.append(f"{where}: published before its parent")
        if row["author_is_account"] != (exp.get("category") == "own"):
            problems.append(f"{where}: author_is_account disagrees with category own")
        by_id[row["id"]] = row
    return rows, problems


def main() -> int:
    categories = set(tomllib.loads(RULESET.read_text(encoding="utf-8"))["categories"])
    halves, problems = {}, []
    for name, prefix in HALVES.items():
        halves[name], found = _problems_in(DATA / name, prefix, categories)
        problems += found
    older = {json.loads(line)["text"] for name in OLDER for line in (DATA / name).open(encoding="utf-8")}
    texts = Counter(r["text"] for rows in halves.values() for r in rows)
    problems += [f"text twice in eval6: {t[:60]!r}" for t, k in texts.items() if k > 1 and len(t.split()) > 3]
    # Reactions ("👍", "Tack!") repeat everywhere; a longer text found in an older set is a copy.
    problems += [f"text also in an older set: {t[:60]!r}" for t in texts if t in older and len(t.split()) > 3]
    for p in problems:
        print("PROBLEM", p)
    names = list(halves)
    counts = {n: Counter(r["expected"]["category"] for r in halves[n]) for n in names}
    print(f"{'category':16}" + "".join(f"{n.removesuffix('.jsonl'):>14}" for n in names) + f"{'total':>8}")
    for cat in POLICY:
        row = [counts[n][cat] for n in names]
        print(f"{cat:16}" + "".join(f"{v:>14}" for v in row) + f"{sum(row):>8}")
    sizes = [len(halves[n]) for n in names]
    print(f"{'all':16}" + "".join(f"{v:>14}" for v in sizes) + f"{sum(sizes):>8}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
