"""Check the eval3 sets (see eval3_README.md) and print their counts per category and half.

Run from the repository root: `python tests/data/eval3_validate.py`. Exits non-zero on the first kind of
problem found, listing every instance. It reads the labels only; it never runs the tagger.
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

DATA = Path(__file__).parent
RULESET = DATA.parents[1] / "src" / "smarchive" / "retention" / "rules" / "ruleset.toml"
HALVES = {"eval3_dev.jsonl": "e3d-", "eval3_blind.jsonl": "e3b-"}
OLDER = ("labelled_items.jsonl", "heldout_items.jsonl", "heldout2_items.jsonl")
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
STOCKHOLM = ZoneInfo("Europe/Stockholm")


RowCheck = Callable[[dict], list[str]]


def _problems_in(path: Path, prefix: str, categories: set[str], years: range,
                 extra: RowCheck | None = None) -> tuple[list[dict], list[str]]:
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
        when = datetime.fromisoformat(row["published_at"])
        if when.tzinfo is None or when.utcoffset() != when.astimezone(STOCKHOLM).utcoffset():
            problems.append(f"{where}: offset is not Europe/Stockholm's")
        if when.astimezone(STOCKHOLM).year not in years:
            problems.append(f"{where}: not in {years.start}-{years.stop - 1}")
        problems += [f"{where}: {problem}" for problem in (extra(row) if extra else [])]
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


def check(halves_spec: dict[str, str], older_sets: tuple[str, ...], years: range,
          extra: RowCheck | None = None) -> int:
    """Check the halves (file name -> id prefix) of one labelled set and print their counts; 1 on a problem.
    Shared by the later sets' validators (eval6_validate.py)."""
    categories = set(tomllib.loads(RULESET.read_text(encoding="utf-8"))["categories"])
    halves, problems = {}, []
    for name, prefix in halves_spec.items():
        halves[name], found = _problems_in(DATA / name, prefix, categories, years, extra)
        problems += found
    older = {json.loads(line)["text"] for name in older_sets for line in (DATA / name).open(encoding="utf-8")}
    texts = Counter(r["text"] for rows in halves.values() for r in rows)
    # Reactions ("👍", "Tack!") repeat everywhere; a longer text found twice or in an older set is a copy.
    problems += [f"text twice in the set: {t[:60]!r}" for t, k in texts.items() if k > 1 and len(t.split()) > 3]
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


def main() -> int:
    return check(HALVES, OLDER, range(2024, 2026))


if __name__ == "__main__":
    sys.exit(main())
