"""Same tags before and after a speed change (issue #14): tag every labelled and evaluation item of
tests/data/*.jsonl plus the benchmark's items, with every profile, with thread context (tag_all) and
without (tag), and compare the complete tags (category, retention, actions, access, rule ids, evidence
with offsets, review flag, reasons) with a reference.

Usage:
  .venv/bin/python benchmarks/tag_identity.py --dump FILE     every tag as one JSON line (diff two dumps)
  .venv/bin/python benchmarks/tag_identity.py --golden FILE   write one SHA-256 per group of tags
  .venv/bin/python benchmarks/tag_identity.py --check FILE    compare with a golden file; exit 1 on a change

tests/data/tag_golden.json was written by the engine before the speed work (commit 5db3081; rewritten for
ORE-068) and is checked by tests/test_tag_identity.py in the default suite. Dump the old and the new engine and diff the
dumps to see which item changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from smarchive.retention.tag import DEFAULT_RETENTION_DIR, RetentionEngine

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
BENCH_ITEMS = 600  # the benchmark's items: the labelled set repeated with new ids, no thread context


def profiles() -> list[str]:
    return ["orebro", *sorted(p.name for p in (DEFAULT_RETENTION_DIR / "profiles").iterdir() if p.is_dir())]


def item_sets() -> dict[str, list[dict]]:
    sets = {}
    for path in sorted(DATA.glob("*.jsonl")):
        sets[path.stem] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                           if line.strip()]
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from tagging import load_items  # the benchmark's own item generator

    sets["benchmark"] = load_items(BENCH_ITEMS)
    return sets


def tag_lines() -> Iterator[tuple[str, str]]:
    """(group, canonical JSON of one tag) for every profile, item set and mode."""
    sets = item_sets()
    for profile in profiles():
        engine = RetentionEngine.load(profile=profile)
        for name, items in sets.items():
            group = f"{profile}/{name}"
            for tag in engine.tag_all(items):
                yield f"{group}/tag_all", json.dumps(tag.to_dict(), ensure_ascii=False, sort_keys=True)
            for item in items:
                yield f"{group}/tag", json.dumps(engine.tag(item).to_dict(), ensure_ascii=False, sort_keys=True)


def golden() -> dict[str, dict[str, object]]:
    """One SHA-256 (and the count of tags) per group: enough to prove identity, small enough to commit."""
    hashes: dict[str, hashlib._Hash] = {}
    counts: dict[str, int] = {}
    for group, line in tag_lines():
        hashes.setdefault(group, hashlib.sha256()).update(line.encode("utf-8") + b"\n")
        counts[group] = counts.get(group, 0) + 1
    return {g: {"tags": counts[g], "sha256": h.hexdigest()} for g, h in hashes.items()}


def changed_groups(reference: dict[str, dict[str, object]]) -> list[str]:
    current = golden()
    return sorted(g for g in reference.keys() | current.keys() if reference.get(g) != current.get(g))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--dump", type=Path)
    group.add_argument("--golden", type=Path)
    group.add_argument("--check", type=Path)
    args = parser.parse_args()
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as fh:
            n = sum(fh.write(f"{g}\t{line}\n") > 0 for g, line in tag_lines())
        print(f"{n} tags written to {args.dump}")
    elif args.golden:
        data = golden()
        tmp = args.golden.with_suffix(".part")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(args.golden)
        print(f"{len(data)} groups, {sum(int(v['tags']) for v in data.values())} tags -> {args.golden}")
    else:
        changed = changed_groups(json.loads(args.check.read_text(encoding="utf-8")))
        print("identical" if not changed else "CHANGED: " + ", ".join(changed))
        sys.exit(1 if changed else 0)


if __name__ == "__main__":
    main()
