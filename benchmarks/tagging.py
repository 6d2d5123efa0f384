"""Tagging throughput on one core: items/s for typical social media comments.

Usage: .venv/bin/python benchmarks/tagging.py [--items N] [--profile NAME]
Target: >= 20,000 items/s. The items are the labelled set repeated, so the mix is realistic
(mostly short comments, some with numbers, addresses and links).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from smarchive.retention.tag import RetentionEngine

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "labelled_items.jsonl"


def load_items(n: int) -> list[dict]:
    base = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    for item in base:
        item.pop("expected", None)
    items = []
    while len(items) < n:
        for item in base:
            items.append({**item, "id": f"{item['id']}-{len(items)}",
                          "parent_id": None if item["parent_id"] is None else f"{item['parent_id']}-x"})
    return items[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--profile", default="orebro")
    args = parser.parse_args()

    t0 = time.perf_counter()
    engine = RetentionEngine.load(profile=args.profile)
    load_s = time.perf_counter() - t0
    items = load_items(args.items)
    avg_len = sum(len(i["text"]) for i in items) / len(items)

    engine.tag_all(items[:1000])  # warm-up
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        tags = engine.tag_all(items)
        runs.append(time.perf_counter() - t0)
    best = min(runs)
    t0 = time.perf_counter()
    for item in items[:20_000]:
        engine.tag(item)
    single = 20_000 / (time.perf_counter() - t0)
    print(f"engine load: {load_s * 1000:.0f} ms ({len(engine.rules)} rules, "
          f"{sum(len(v) for v in engine.lexicons.values())} lexicon terms)")
    print(f"items: {len(items)}, mean text length {avg_len:.0f} chars, categories "
          f"{len({t.category for t in tags})}")
    print(f"tag_all: {len(items) / best:,.0f} items/s (best of 3: {best:.2f} s)")
    print(f"tag (no thread context): {single:,.0f} items/s")
    print("target: 20,000 items/s on one core:", "met" if len(items) / best >= 20_000 else "NOT met")


if __name__ == "__main__":
    main()
