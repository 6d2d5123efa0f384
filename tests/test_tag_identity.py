"""Speed work must not change a tag (issue #14): every item of tests/data/*.jsonl and of the benchmark,
with every profile, with and without thread context, tagged exactly as the engine before the speed work
tagged it (tests/data/tag_golden.json, written by benchmarks/tag_identity.py at commit 5db3081; rewritten
for the ORE-068 rule change of 2026-12-05, after the speed work had passed on the old file, and for
the matcher change of that day: a longer term hides only its own lexicon).

A rule or lexicon change changes tags on purpose: then rewrite the golden file with
`benchmarks/tag_identity.py --golden tests/data/tag_golden.json` in the same commit and say why."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _identity_module():
    spec = importlib.util.spec_from_file_location("tag_identity", ROOT / "benchmarks" / "tag_identity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_tag_equals_the_golden_tags() -> None:
    identity = _identity_module()
    reference = json.loads((ROOT / "tests" / "data" / "tag_golden.json").read_text(encoding="utf-8"))
    sets = len(list((ROOT / "tests" / "data").glob("*.jsonl")))
    # every item set is covered: 4 profiles x (the item sets + the benchmark's items) x 2 modes
    assert len(reference) == 4 * (sets + 1) * 2
    assert identity.changed_groups(reference) == []
