"""What reading scattered rows of an items file costs in DuckDB, for each way the file could be written.

    .venv/bin/python benchmarks/row_reads.py [--rows 714285] [--hits 42] [--dir /tmp/smarchive-bench-rows]

A search whose hits lie all over the year (a phrase of two common words: at 10 M items '"tack hej"' has 589
hits, about 42 in each of the 14 items files) reads its page's rows by row number (`file_row_number`), the
search's own form. Each hit is then in a row group of its own. This writes one synthetic items file of --rows
items (benchmarks/manifest.py's generator; the default is one file of the 10 M archive) as smarchive writes it,
and the same rows in other layouts, and prints for each: the file's size, the time to read --hits rows spread
over the file (the text alone, and the columns the saved search shows), one row, and the whole text column
(DuckDB with footers cached, as `smarchive query` opens it; median of 9 after a warm-up); and the row groups
the scattered rows lie in. Then, for the layouts with a page index, the same rows read by the time column the
file is sorted by (`published_at IN (...)`) instead of by row number: DuckDB skips pages by a column's page
index (not by row number), so this is the one way this DuckDB might read a row without its whole row group.

What it answers: whether any layout DuckDB reads brings a page of scattered hits near the 200 ms target (the
issue: every search <= 200 ms at 10 M items). Figures go in the note that quotes them.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from manifest import batch, vocabulary  # noqa: E402

from smarchive.archive.manifest import ItemFileWriter, items_file_options  # noqa: E402

SHOWN = "item_id, platform, account, item_type, published_at, tag_category, text, permalink, run_id"
GROUP = ItemFileWriter.ROW_GROUP
LAYOUTS: list[tuple[str, int, dict]] = [  # (name, rows per row group, writer options over smarchive's own)
    ("as smarchive writes it", GROUP, {}),
    ("16 KiB pages, page index", GROUP, {"data_page_size": 16384, "write_batch_size": 128,
                                         "write_page_index": True}),
    ("4 KiB pages, page index", GROUP, {"data_page_size": 4096, "write_batch_size": 32, "write_page_index": True}),
    ("no compression", GROUP, {"compression": "none"}),
    ("lz4", GROUP, {"compression": "lz4"}),
    ("8 192-row groups", 8192, {}),
    ("2 048-row groups", 2048, {}),
]


def synthetic_items(rows: int) -> pa.Table:
    """One partition's items in time order, as benchmarks/manifest.py writes them."""
    rng = random.Random(1748)
    vocab = vocabulary(rng)
    parts = [batch(rng, vocab, start, min(100_000, rows - start), 2024, "facebook", "facebook-orebrokommun",
                   "20250115T000000Z-bench", 31_000_000 / rows) for start in range(0, rows, 100_000)]
    return pa.concat_tables(parts)


def median_ms(con: duckdb.DuckDBPyConnection, sql: str, runs: int = 9) -> float:
    con.sql(sql).fetchall()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        con.sql(sql).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def data_read(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The bytes DuckDB says it read for a query (its profile's "Data Read")."""
    plan = con.sql(f"EXPLAIN ANALYZE {sql}").fetchall()[0][1]
    found = re.search(r"Data Read:\s*([0-9.]+ [kMG]?B)", plan)
    return found.group(1) if found else "?"


def by_time(con: duckdb.DuckDBPyConnection, source: str, times: list[datetime], row: int, at: datetime) -> str:
    """The scattered rows' text read by the sorted time column, and the bytes one row's text costs read by its
    time and by its row number."""
    listed = ", ".join(f"TIMESTAMPTZ '{t.isoformat()}'" for t in times)  # a literal list: DuckDB prunes by it
    text = median_ms(con, f"SELECT text FROM {source} WHERE published_at IN ({listed})")
    one_by_time = data_read(con, f"SELECT text FROM {source} WHERE published_at = TIMESTAMPTZ '{at.isoformat()}'")
    one_by_row = data_read(con, f"SELECT text FROM {source} WHERE file_row_number = {row}")
    return f"by time: text of the rows {text:.1f} ms; one row read {one_by_time} by time, {one_by_row} by row number"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=714_285, help="items in the file (default: 10 M / 14 files)")
    parser.add_argument("--hits", type=int, default=42, help="scattered rows read (default: 589 hits / 14 files)")
    parser.add_argument("--dir", default="/tmp/smarchive-bench-rows")
    args = parser.parse_args()
    folder = Path(args.dir)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    table = synthetic_items(args.rows)
    wanted = sorted(random.Random(22188).sample(range(args.rows), args.hits))
    times = table.column("published_at").take(wanted).to_pylist()  # the rows' times, for reads by time
    middle = len(wanted) // 2
    print(f"{args.rows:,} items, {args.hits} rows spread over the file; DuckDB {duckdb.__version__}, "
          f"{duckdb.sql('SELECT current_setting(' + repr('threads') + ')').fetchall()[0][0]} threads")
    print(f"  {'layout':26s} {'size':>8s} {'groups hit':>10s} {'text':>9s} {'shown cols':>10s} {'one row':>9s} "
          f"{'whole text':>10s}")
    for n, (name, group, options) in enumerate(LAYOUTS):
        path = folder / f"layout-{n}.parquet"
        pq.write_table(table, path, row_group_size=group, **{**items_file_options(min(group, args.rows)), **options})
        con = duckdb.connect()
        con.execute("SET parquet_metadata_cache = true")  # as smarchive's connection: the footer is read once
        con.execute("SET VARIABLE wanted = $rows", {"rows": wanted})
        source = f"read_parquet('{path}', file_row_number = true)"
        rows = "WHERE file_row_number = ANY(getvariable('wanted'))"  # as the search reads a page's rows
        text = median_ms(con, f"SELECT text FROM {source} {rows}")
        shown = median_ms(con, f"SELECT {SHOWN} FROM {source} {rows}")
        one = median_ms(con, f"SELECT {SHOWN} FROM {source} WHERE file_row_number = {wanted[middle]}")
        whole = median_ms(con, f"SELECT max(length(text)) FROM {source}")
        timed = by_time(con, source, times, wanted[middle], times[middle]) if options.get("write_page_index") else ""
        con.close()
        groups = len({row // group for row in wanted})
        print(f"  {name:26s} {path.stat().st_size / 2**20:5.1f} MiB {groups:10d} {text:6.1f} ms {shown:7.1f} ms "
              f"{one:6.1f} ms {whole:7.1f} ms", flush=True)
        if timed:
            print(f"  {'':26s} {timed}", flush=True)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
