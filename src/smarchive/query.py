"""`smarchive query`: DuckDB over the manifest, through views archivists can rely on.

Views:
    item_captures  every row of every run (an item captured twice appears twice)
    items          the latest capture of each item (per platform and item_id)
    runs           one row per run
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import duckdb
import pyarrow as pa

from smarchive.errors import SmarchiveError
from smarchive.manifest import ITEM_SCHEMA, RUN_SCHEMA, TERMS_SCHEMA, item_files


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _file_list(paths: list[Path]) -> str:
    return "[" + ", ".join(f"'{_sql_path(p)}'" for p in paths) + "]"


def _read(paths: list[Path]) -> str:
    return f"read_parquet({_file_list(paths)}, hive_partitioning = false, union_by_name = true)"


def items_view_sql(files: list[Path]) -> str:
    """The latest capture of each item, cheaply.

    A partition (year, platform, account) captured by one run needs no de-duplication, so its file
    is read as it is; only partitions captured by several runs pay for the window function.
    """
    by_partition: dict[Path, list[Path]] = {}
    for f in files:
        by_partition.setdefault(f.parent, []).append(f)
    single = [fs[0] for fs in by_partition.values() if len(fs) == 1]
    multi = [f for fs in by_partition.values() if len(fs) > 1 for f in fs]
    parts = []
    if single:
        parts.append(f"SELECT * FROM {_read(single)}")
    if multi:
        parts.append("SELECT * EXCLUDE (_rank) FROM (SELECT *, row_number() OVER (PARTITION BY platform, item_id "
                     f"ORDER BY captured_at DESC, run_id DESC) AS _rank FROM {_read(multi)}) WHERE _rank = 1")
    return " UNION ALL BY NAME ".join(parts)


def connect(archive: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the manifest views defined (empty views if nothing is captured yet)."""
    con = duckdb.connect(":memory:")
    files = item_files(archive)
    if files:
        con.execute(f"CREATE VIEW item_captures AS SELECT * FROM {_read(files)}")
        con.execute(f"CREATE VIEW items AS {items_view_sql(files)}")
    else:
        con.register("_empty_items", ITEM_SCHEMA.empty_table())
        con.execute("CREATE VIEW item_captures AS SELECT * FROM _empty_items")
        con.execute("CREATE VIEW items AS SELECT * FROM _empty_items")
    terms = sorted(archive.glob("manifest/terms/year=*/platform=*/account=*/*.parquet"))
    if terms:
        con.execute(f"CREATE VIEW terms AS SELECT * FROM read_parquet({_file_list(terms)})")
    else:
        con.register("_empty_terms", TERMS_SCHEMA.empty_table())
        con.execute("CREATE VIEW terms AS SELECT * FROM _empty_terms")
    runs = sorted(archive.glob("manifest/runs/*.parquet"))
    if runs:
        con.execute(f"CREATE VIEW runs AS SELECT * FROM read_parquet({_file_list(runs)}, union_by_name = true)")
    else:
        con.register("_empty_runs", RUN_SCHEMA.empty_table())
        con.execute("CREATE VIEW runs AS SELECT * FROM _empty_runs")
    return con


SAVED_QUERIES = Path(__file__).parent / "data" / "saved_queries.toml"


def saved_queries() -> dict[str, dict]:
    with open(SAVED_QUERIES, "rb") as f:
        return tomllib.load(f)


def saved_query(name: str) -> str:
    queries = saved_queries()
    if name not in queries:
        raise SmarchiveError(f"no saved query {name!r} (saved: {', '.join(sorted(queries))})")
    return queries[name]["sql"]


def search_params(text: str) -> dict[str, str]:
    """$word and $word_end select, in the sorted word index, every word starting with the longest word of
    the search text (snöröjning finds snöröjningen); $text is then matched as a phrase on those items."""
    words = re.findall(r"[^\W_]+", text.lower())
    if not words:
        raise SmarchiveError(f"nothing to search for in {text!r}: give a word")
    word = max(words, key=len)
    return {"text": text, "word": word, "word_end": word + chr(0x10FFFF)}


def run_query(archive: Path, sql: str, params: dict | None = None) -> pa.Table:
    if not (archive / "manifest").is_dir():
        raise SmarchiveError(f"no manifest in {archive} (run `smarchive capture` first, or pass --archive)")
    con = connect(archive)
    try:
        params = dict(params or {})
        if params.get("text") is not None:
            params.update(search_params(params["text"]))
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        return con.sql(sql, params=used or None).to_arrow_table()
    except duckdb.Error as e:
        raise SmarchiveError(f"query failed: {str(e).splitlines()[0]}") from None
    finally:
        con.close()
