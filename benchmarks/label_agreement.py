"""Agreement between the writers' labels and a second labeller (tests/data/second_labeller/).

    .venv/bin/python benchmarks/label_agreement.py

Prints, per set: register/remove agreement (the same measure as eval_retention.py: both decisions equal),
category agreement, and the confidential or criminal items (by the writer) the second labeller would not
remove. Register and remove follow from the category as in the label policy (tests/data/eval3_README.md).
Only ids and categories are compared: no text of a blind half is printed.
"""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
REGISTER = {"complaint", "ongoing-case", "initiates-case", "offensive", "confidential", "criminal"}
REMOVE = {"offensive", "confidential", "criminal", "political", "commercial"}


def _read(path: Path) -> dict[str, dict]:
    with path.open(encoding="utf-8") as f:
        return {row["id"]: row for row in map(json.loads, filter(str.strip, f))}


def main() -> None:
    total = agreed = same_category = 0
    for second_file in sorted((DATA / "second_labeller").glob("*.jsonl")):
        writer = _read(DATA / second_file.name)
        second = _read(second_file)
        if set(writer) != set(second):
            raise SystemExit(f"{second_file.name}: the ids differ from the writer's set")
        n = len(writer)
        ok = cat = not_removed = 0
        for item_id, row in writer.items():
            expected, chosen = row["expected"], second[item_id]["category"]
            ok += (chosen in REGISTER) == expected["register"] and (chosen in REMOVE) == expected["remove"]
            cat += chosen == expected["category"]
            not_removed += expected["category"] in ("confidential", "criminal") and chosen not in REMOVE
        print(f"{second_file.stem:14} n={n:<4} reg/rem {100 * ok / n:5.1f}%  category {100 * cat / n:5.1f}%  "
              f"confidential/criminal not removed by the second labeller: {not_removed}")
        total, agreed, same_category = total + n, agreed + ok, same_category + cat
    if total:
        print(f"{'all':14} n={total:<4} reg/rem {100 * agreed / total:5.1f}%  "
              f"category {100 * same_category / total:5.1f}%")


if __name__ == "__main__":
    main()
