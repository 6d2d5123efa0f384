"""Manifest at scale: write synthetic manifests of 1 M and 10 M items, then time the archivists' queries.

    .venv/bin/python benchmarks/manifest.py [--sizes 1000000,10000000] [--dir /tmp/smarchive-bench]

Prints, per size: write throughput (items/s), file size, peak memory while writing (RSS of this
process), the time to open DuckDB and define the views, and the DuckDB latency of each saved query, a
full-text search and a point lookup on that open connection, as `smarchive query` executes them
(query.execute: paging and the search included; median of 5 runs after one warm-up). A saved query
is timed for its first page (1000 rows, what `smarchive query` shows on the terminal) and for page 11;
the whole result (every row, what --format csv gives) is printed beside it for information.
Targets (the issue): >= 500 k items/s written; every query <= 200 ms at 10 M; <= 1 GB while writing.

The synthetic items arrive in time order per account, as extraction yields them. Their distribution is
harsher than a real year's: a quarter of all comments are to be registered, and the vocabulary is small,
so a common word is in 5 % of all items.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from smarchive.archive.manifest import ITEM_SCHEMA, ItemFileWriter, item_files, write_terms  # noqa: E402
from smarchive.archive.query import PAGE, connect, execute, saved_query  # noqa: E402

BATCH = 100_000
ACCOUNTS = [("facebook", "facebook-orebrokommun"), ("facebook", "facebook-orebrokommun-teckensprak"),
            ("instagram", "instagram-orebrokommun"), ("instagram", "instagram-tborebro"),
            ("linkedin", "linkedin-orebrokommun"), ("youtube", "youtube-orebrokommun"),
            ("podcast", "podcast-vardagshjaltarna")]
WORDS = ("snöröjning plogning Vivalla Brickebacken bibliotek förskola skola badplats Svampen Wadköping "
         "Kulturkvarteret cykelväg parkering buss vägarbete bygglov ärende synpunkt tack hej fint bra dåligt "
         "varför när öppnar stänger kommunen politiker val jobb sommar vinter is halka lekplats").split()
CATEGORIES = [("own", "preserve", [], "ORE-001"), ("minor", "cull-eligible", [], "ORE-090"),
              ("complaint", "preserve", ["register"], "ORE-060"),
              ("confidential", "preserve", ["register", "remove"], "ORE-022"),
              ("unclassified", "preserve", [], "ORE-999")]


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    """Real-looking variety: stems with Swedish endings and compounds, so text does not compress absurdly."""
    endings = ["", "en", "et", "er", "erna", "ar", "arna", "s", "ens", "ning", "ningen"]
    words = []
    while len(words) < size:
        a, b = rng.choice(WORDS), rng.choice(WORDS)
        words.append((a + b if rng.random() < 0.3 else a) + rng.choice(endings) + str(rng.randrange(10) or ""))
    return words


def batch(rng: random.Random, vocab: list[str], start: int, n: int, year: int, platform: str, account: str,
          run_id: str, step: float) -> pa.Table:
    """Items start..start+n of a partition, `step` seconds apart on average (in time order, with jitter)."""
    ids = [f"{platform[:2]}{start + i:012d}" for i in range(n)]
    types = ["post" if i % 40 == 0 else ("comment" if i % 3 else "reply") for i in range(start, start + n)]
    cats = [CATEGORIES[0] if t == "post" else rng.choice(CATEGORIES[1:]) for t in types]
    base = datetime(year, 1, 1, tzinfo=UTC).timestamp()
    texts = [" ".join(rng.choices(vocab, k=rng.randrange(3, 30))) for _ in range(n)]
    columns = {
        "item_id": ids, "platform": [platform] * n, "account": [account] * n, "account_name": ["Örebro kommun"] * n,
        "year": [year] * n, "item_type": types,
        "parent_id": [None if t == "post" else ids[0] for t in types],
        "post_id": [ids[0]] * n, "author": [f"Person {rng.randrange(100_000)}" for _ in range(n)],
        "author_is_account": [t == "post" for t in types],
        "published_at": [datetime.fromtimestamp(base + (start % 10**9 + i + rng.random()) * step, UTC)
                         for i in range(n)],
        "text": texts, "permalink": [f"https://example.invalid/{platform}/{i}" for i in ids],
        "media": [[] for _ in range(n)], "media_sha256": [[] for _ in range(n)], "extra": [None] * n,
        "warc_file": [f"warc/{year}/{account}-{run_id}.warc.gz"] * n, "warc_sha256": ["0" * 64] * n,
        "warc_record_id": [f"<urn:uuid:{start + i}>" for i in range(n)], "warc_offset": list(range(start, start + n)),
        "source_url": [None] * n, "snapshot_record_id": [None] * n, "snapshot_offset": [None] * n,
        "screenshot_record_id": [None] * n, "screenshot_offset": [None] * n,
        "tag_category": [c[0] for c in cats], "tag_retention": [c[1] for c in cats],
        "tag_cull_from": [date(year + 1, 1, 1) if c[1] == "cull-eligible" else None for c in cats],
        "tag_actions": [c[2] for c in cats], "tag_access": ["restricted" if "remove" in c[2] else "open" for c in cats],
        "tag_rule_ids": [[c[3]] for c in cats], "tag_evidence": [[] for _ in range(n)],
        "tag_needs_review": [c[0] == "unclassified" for c in cats], "tag_decision": ["1748"] * n,
        "tag_engine_version": ["1.0.0"] * n, "tag_ruleset_version": ["bench"] * n, "run_id": [run_id] * n,
        "captured_at": [datetime(year + 1, 1, 15, tzinfo=UTC)] * n, "software": ["smarchive/bench"] * n,
        "replay_target": [None] * n, "time_precision": ["second"] * n,  # columns added after this benchmark
        "source": ["capture"] * n, "export_file": [None] * n, "export_member": [None] * n, "export_id": [None] * n,
    }
    return pa.Table.from_pydict(columns, schema=ITEM_SCHEMA)


def write_manifest(archive: Path, total: int) -> tuple[float, int]:
    """Write `total` items spread over accounts and years; return (seconds spent in the writer, bytes)."""
    rng = random.Random(1748)
    vocab = vocabulary(rng)
    partitions = [(year, p, a) for year in (2023, 2024) for p, a in ACCOUNTS]
    per_partition = total // len(partitions)
    spent = 0.0
    for n, (year, platform, account) in enumerate(partitions):
        count = per_partition + (total - per_partition * len(partitions) if n == len(partitions) - 1 else 0)
        writer = ItemFileWriter(archive, year, platform, account, "20250115T000000Z-bench")
        step = 31_000_000 / count  # seconds between items: the partition spans the year
        for start in range(0, count, BATCH):
            table = batch(rng, vocab, n * 10**9 + start, min(BATCH, count - start), year, platform, account,
                          "20250115T000000Z-bench", step)  # generating is not writing: not timed
            t0 = time.perf_counter()
            writer.write(table)
            spent += time.perf_counter() - t0
        t0 = time.perf_counter()
        writer.close()
        spent += time.perf_counter() - t0
    size = sum(f.stat().st_size for f in archive.rglob("*.parquet"))
    return spent, size


def time_query(con, sql: str, params: dict | None, limit: int | None, offset: int = 0,  # noqa: ANN001
               runs: int = 5) -> tuple[float, int]:
    """Median milliseconds of `smarchive query`'s execution on an open connection (one warm-up first)."""
    execute(con, sql, params, limit, offset)
    times, rows = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        rows = execute(con, sql, params, limit, offset).num_rows
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--dir", default="/tmp/smarchive-bench")
    parser.add_argument("--queries-only", action="store_true",
                        help="time the queries on manifests an earlier run of this benchmark wrote")
    args = parser.parse_args()
    for total in (int(s) for s in args.sizes.split(",")):
        archive = Path(args.dir) / f"archive-{total}"
        if args.queries_only:
            print(f"\n== {total:,} items (written by an earlier run) ==")
            time_queries(archive)
            continue
        shutil.rmtree(archive, ignore_errors=True)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        spent, size = write_manifest(archive, total)
        wall = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        for items_file in item_files(archive):
            write_terms(items_file)
        index_time = time.perf_counter() - t0
        peak_index = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\n== {total:,} items ==")
        terms = sum(f.stat().st_size for f in archive.glob("manifest/terms/**/*.parquet"))
        print(f"write: {total / spent:,.0f} items/s ({spent:.1f} s in the writer, validation included; {wall:.1f} s "
              f"wall with generating the synthetic rows), {size / 2**20:,.0f} MiB on disk, peak RSS {peak:,.0f} MiB "
              f"(before: {rss_before:,.0f} MiB)")
        print(f"word index (separate step): {total / index_time:,.0f} items/s ({index_time:.1f} s), "
              f"{terms / 2**20:,.0f} MiB on disk, peak RSS {peak_index:,.0f} MiB")
        time_queries(archive)


def time_queries(archive: Path) -> None:
    con = connect(archive)
    probe, probe_text = con.sql("SELECT item_id, text FROM item_captures LIMIT 1 OFFSET 12345").fetchall()[0]
    phrase = " ".join(probe_text.split()[:2])
    rare = con.sql("SELECT term FROM terms WHERE length(term) > 12 LIMIT 1 OFFSET 5000").fetchall()[0][0]
    con.close()
    saved = [
        ("register-worklist --year 2024", saved_query("register-worklist"), {"year": 2024}),
        ("cull-candidates --year 2024", saved_query("cull-candidates"), {"year": 2024}),
        ("account-summary", saved_query("account-summary"), {"year": None}),
        ("needs-review --year 2024", saved_query("needs-review"), {"year": 2024}),
        ("search 'snöröjningen'", saved_query("search"), {"year": None, "text": "snöröjningen"}),
        (f"search '{rare}' (a rarer word)", saved_query("search"), {"year": None, "text": rare}),
        ("search 'vintern tack' (both words)", saved_query("search"), {"year": None, "text": "vintern tack"}),
        (f"search '\"{phrase}\"' (a phrase)", saved_query("search"), {"year": None, "text": f'"{phrase}"'}),
        # two common words as a phrase: its few hundred hits lie all over the year, nearly each in a row group
        # of its own, and a page reads a row group per hit (1-2 ms each in DuckDB 2.0.1: benchmarks/row_reads.py)
        ("search '\"tack hej\"' (hits spread over the year)", saved_query("search"), {"year": None,
                                                                                    "text": '"tack hej"'}),
    ]
    opened = []
    for _ in range(5):
        t0 = time.perf_counter()
        connect(archive).close()
        opened.append((time.perf_counter() - t0) * 1000)
    print(f"  opening DuckDB and defining the views (`smarchive query` does it once per command; the query "
          f"figures below are on the open connection): {statistics.median(opened):.1f} ms")
    con = connect(archive)
    print(f"  {'query':42s} {'first page':>12s} {'page 11':>12s} {'whole result':>24s}")
    for name, sql, params in saved:
        first, _ = time_query(con, sql, params, PAGE + 1)
        later, _ = time_query(con, sql, params, PAGE + 1, offset=10 * PAGE)
        whole, rows = time_query(con, sql, params, None, runs=1)
        flag = "ok" if max(first, later) <= 200 else "OVER 200 ms"
        print(f"  {name:42s} {first:9.1f} ms {later:9.1f} ms {whole:9.1f} ms {rows:>10,} rows  {flag}")
    lookup, rows = time_query(con, f"SELECT * FROM items WHERE item_id = '{probe}'", None, None)
    print(f"  {'point lookup by item_id':42s} {lookup:9.1f} ms {'':12s} {'':13s}{rows:>10,} rows  "
          f"{'ok' if lookup <= 200 else 'OVER 200 ms'}")
    con.close()


if __name__ == "__main__":
    main()
