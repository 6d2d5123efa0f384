"""`smarchive tag` streams (issue #14): two passes over the file, one item in memory at a time, and the
same tags as tagging the whole list at once (thread context included)."""

from __future__ import annotations

import json
from pathlib import Path

from smarchive.retention.tag import RetentionEngine, read_jsonl, tag_jsonl

DATA = Path(__file__).parent / "data"


def test_streamed_tags_equal_whole_list_tags(tmp_path: Path) -> None:
    engine = RetentionEngine.load()
    src = DATA / "eval3_dev.jsonl"
    out = tmp_path / "out.jsonl"
    assert tag_jsonl(src, out, engine) == 386
    streamed = [json.loads(line)["tag"] for line in out.read_text(encoding="utf-8").splitlines()]
    whole = [t.to_dict() for t in engine.tag_all(read_jsonl(src))]
    assert streamed == whole
    answered = [t for t in streamed if "ORE-092" in t["rule_ids"]]
    assert answered  # thread context survives streaming: questions the account answered are known
    assert not (tmp_path / "out.jsonl.part").exists()
