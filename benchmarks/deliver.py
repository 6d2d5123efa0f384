"""Delivery at scale: a synthetic year of N items (default 1 M) with its WARCs, delivered as one package.

    .venv/bin/python benchmarks/deliver.py [--items 1000000] [--warc-mb 64] [--dir /tmp/smarchive-bench-deliver]

Builds an archive of one year: items files over 7 accounts (threads of 40 items: a post, comments and
replies; the retention categories of benchmarks/manifest.py, so about a quarter of the comments are
cull-eligible and left out), one run, and one WARC of --warc-mb MB per account. Then runs
`smarchive deliver --year 2024` in a child process and prints its wall time, the rendered items per
second, and the child's peak memory (RSS). Run it at two sizes to see memory stay flat as the year grows.
Targets (issue #15): >= 2 k rendered items/s; <= 1 GB; memory flat (streaming).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from manifest import ACCOUNTS, BATCH, CATEGORIES, vocabulary  # noqa: E402

from smarchive.archive.manifest import ITEM_SCHEMA, ItemFileWriter, write_run  # noqa: E402

RUN = "20250115T000000Z-bench"
YEAR = 2024


def batch(rng: random.Random, vocab: list[str], start: int, n: int, platform: str, account: str,
          step: float) -> pa.Table:
    """Items start..start+n of an account in time order, in threads of 40: a post, then its comments and replies."""
    ids = [f"{platform[:2]}{start + i:012d}" for i in range(n)]
    types = ["post" if (start + i) % 40 == 0 else ("comment" if i % 3 else "reply") for i in range(n)]
    posts = [f"{platform[:2]}{start + i - (start + i) % 40:012d}" for i in range(n)]
    parents = [None if t == "post" else p for t, p in zip(types, posts, strict=True)]
    cats = [CATEGORIES[0] if t == "post" else rng.choice(CATEGORIES[1:]) for t in types]
    base = datetime(YEAR, 1, 1, tzinfo=UTC).timestamp()
    columns = {name: [None] * n for name in ITEM_SCHEMA.names}
    columns.update({
        "item_id": ids, "platform": [platform] * n, "account": [account] * n, "account_name": ["Örebro kommun"] * n,
        "year": [YEAR] * n, "item_type": types, "parent_id": parents,
        "post_id": posts, "author": [f"Person {rng.randrange(100_000)}" for _ in range(n)],
        "author_is_account": [t == "post" for t in types],
        "published_at": [datetime.fromtimestamp(base + (start % 10**9 + i) * step, UTC) for i in range(n)],
        "text": [" ".join(rng.choices(vocab, k=rng.randrange(3, 30))) for _ in range(n)],
        "permalink": [f"https://example.invalid/{platform}/{i}" for i in ids],
        "media": [[] for _ in range(n)], "media_sha256": [[] for _ in range(n)],
        "warc_file": [f"warc/{YEAR}/{account}-{RUN}.warc.gz"] * n, "warc_sha256": ["0" * 64] * n,
        "tag_category": [c[0] for c in cats], "tag_retention": [c[1] for c in cats],
        "tag_actions": [c[2] for c in cats], "tag_access": ["restricted" if "remove" in c[2] else "open" for c in cats],
        "tag_rule_ids": [[c[3]] for c in cats], "tag_evidence": [[] for _ in range(n)],
        "tag_needs_review": [c[0] == "unclassified" for c in cats], "tag_decision": ["1748"] * n,
        "run_id": [RUN] * n, "captured_at": [datetime(YEAR + 1, 1, 15, tzinfo=UTC)] * n,
    })
    return pa.Table.from_pydict(columns, schema=ITEM_SCHEMA)


def build(archive: Path, total: int, warc_mb: int) -> None:
    rng = random.Random(1748)
    vocab = vocabulary(rng)
    per_account = total // len(ACCOUNTS)
    for n, (platform, account) in enumerate(ACCOUNTS):
        writer = ItemFileWriter(archive, YEAR, platform, account, RUN)
        for start in range(0, per_account, BATCH):
            size = min(BATCH, per_account - start)
            writer.write(batch(rng, vocab, n * 10**9 + start, size, platform, account, 31_000_000 / per_account))
        writer.close()
        warc = archive / "warc" / str(YEAR) / f"{account}-{RUN}.warc.gz"
        warc.parent.mkdir(parents=True, exist_ok=True)
        with open(warc, "wb") as f:
            for _ in range(warc_mb):
                f.write(os.urandom(1 << 20))
    write_run(archive, {
        "run_id": RUN, "job": "bench", "pipeline_file": "bench", "year": YEAR,
        "started_at": datetime(2025, 1, 15, tzinfo=UTC), "finished_at": datetime(2025, 1, 15, 1, tzinfo=UTC),
        "accounts": [a for _, a in ACCOUNTS], "accounts_failed": [], "accounts_skipped": [],
        "items": per_account * len(ACCOUNTS), "media": 0, "warc_files": [], "warnings": [], "errors": [],
        "software": "bench", "operator": "bench", "accounts_incomplete": []})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--warc-mb", type=int, default=64, help="size of each account's WARC (MB)")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/smarchive-bench-deliver"))
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    archive = args.dir / "archive"
    t0 = time.perf_counter()
    build(archive, args.items, args.warc_mb)
    print(f"built a year of {args.items} items, {len(ACCOUNTS)} WARCs of {args.warc_mb} MB in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    out = args.dir / "out"
    t0 = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "smarchive", "deliver", "--year", str(YEAR), "--archive",
                             str(archive), "--out", str(out)], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    if result.returncode != 0:
        sys.exit(f"deliver failed:\n{result.stderr[-3000:]}")
    print(result.stdout.strip().splitlines()[0])
    rendered = int(result.stdout.split(" items delivered")[0].rsplit(" ", 1)[-1])
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"deliver: {seconds:.1f} s, {rendered} items rendered and listed = {rendered / seconds:,.0f} items/s "
          f"(target >= 2,000); CPU {cpu:.0f} s = {rendered / cpu:,.0f} items per CPU second (wall time depends on "
          f"what else runs); peak RSS of the deliver process {peak_mb:,.0f} MB (target <= 1,024); "
          f"package {size / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
