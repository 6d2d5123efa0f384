"""Train the retention engine's statistical second opinion (issue #14) and write its weights.

Usage: python benchmarks/train_second_opinion.py [--out PATH] [--recall-sensitive R] [--recall-keep R]

Trains two logistic models (heads ``sensitive`` and ``keep``, see smarchive/retention/second_opinion.py)
on the labelled sets of tests/data *except the blind half* (eval3_blind.jsonl is refused), on the items
the engine tags by rule (not the account's own). Each head's threshold is chosen on out-of-fold
probabilities (5-fold cross-validation on the training items): the highest threshold that still
catches the wanted share (recall) of its positive items. The model can only send items to review, so
the threshold trades an archivist's minutes against misses. Prints the cross-validated figures.
Deterministic: the same data gives the same file.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from smarchive.retention.second_opinion import HEADS, _sigmoid, feature_keys, train_head

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
TRAIN_SETS = ("labelled_items.jsonl", "heldout_items.jsonl", "heldout2_items.jsonl", "eval3_dev.jsonl")
OUT = ROOT / "src" / "smarchive" / "retention" / "rules" / "model" / "second_opinion.txt"
SENSITIVE = {"confidential", "criminal", "offensive"}
KEEP = {"complaint", "ongoing-case", "initiates-case", "offensive", "confidential", "criminal"}
FOLDS = 5
MIN_COUNT = 2  # a feature seen in fewer training items is noise
MIN_WEIGHT = 0.02  # smaller weights are left out of the file


def load() -> list[dict]:
    items = []
    for name in TRAIN_SETS:
        assert "blind" not in name, "the blind half is never trained on"
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                if not item.get("author_is_account"):
                    items.append(item)
    return items


def labels(item: dict) -> tuple[int, int]:
    exp = item["expected"]
    return int(exp["category"] in SENSITIVE), int(exp["category"] in KEEP)


def threshold_for(probs: list[float], ys: list[int], recall: float) -> float:
    """The highest threshold whose recall on the positives is at least ``recall``."""
    positives = sorted((p for p, y in zip(probs, ys, strict=True) if y), reverse=True)
    if not positives:
        return 0.5
    k = max(1, min(len(positives), int(recall * len(positives) + 0.999)))
    return round(positives[k - 1] - 1e-6, 6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--recall-sensitive", type=float, default=0.9)
    parser.add_argument("--recall-keep", type=float, default=0.9)
    args = parser.parse_args()
    items = load()
    samples = [feature_keys(it["text"]) for it in items]
    counts: dict[str, int] = {}
    for s in samples:
        for k in s:
            counts[k] = counts.get(k, 0) + 1
    samples = [{k for k in s if counts[k] >= MIN_COUNT} for s in samples]
    ys = {h: [labels(it)[i] for it in items] for i, h in enumerate(HEADS)}
    recall = {"sensitive": args.recall_sensitive, "keep": args.recall_keep}
    lines = [f"# Second opinion of the retention engine, trained {date.today().isoformat()} by",
             "# benchmarks/train_second_opinion.py on " + ", ".join(TRAIN_SETS) + f" ({len(items)} items).",
             "# feature<TAB>weight sensitive<TAB>weight keep; @bias and @threshold per head (probability)."]
    weights: dict[str, list[float]] = {}
    for index, head in enumerate(HEADS):
        oof = [0.0] * len(items)
        for fold in range(FOLDS):
            train = [i for i in range(len(items)) if i % FOLDS != fold]
            bias, w = train_head([samples[i] for i in train], [ys[head][i] for i in train])
            for i in range(fold, len(items), FOLDS):
                oof[i] = _sigmoid(bias + sum(w.get(k, 0.0) for k in samples[i]))
        t = threshold_for(oof, ys[head], recall[head])
        flagged = [p >= t for p in oof]
        pos = sum(ys[head])
        tp = sum(f and y for f, y in zip(flagged, ys[head], strict=True))
        fp = sum(f and not y for f, y in zip(flagged, ys[head], strict=True))
        print(f"{head}: {pos} positives of {len(items)}; threshold {t:.3f}: cross-validated recall "
              f"{tp}/{pos}, false alarms {fp}/{len(items) - pos}")
        bias, w = train_head(samples, ys[head])
        lines += [f"@bias\t{head}\t{bias:.6f}", f"@threshold\t{head}\t{t:.6f}"]
        for k, v in w.items():
            weights.setdefault(k, [0.0] * len(HEADS))[index] = v
    kept = sorted(k for k, v in weights.items() if max(abs(x) for x in v) >= MIN_WEIGHT)
    lines += [k + "".join(f"\t{x:.4f}" for x in weights[k]) for k in kept]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(kept)} features")


if __name__ == "__main__":
    main()
