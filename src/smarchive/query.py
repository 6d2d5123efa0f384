"""`smarchive query`: DuckDB over the manifest, through views archivists can rely on.

Views:
    item_captures  every row of every run (an item captured twice appears twice)
    items          the latest capture of each item (per platform and item_id)
    runs           one row per run
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from smarchive.errors import SmarchiveError
from smarchive.manifest import ITEM_SCHEMA, RUN_SCHEMA


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def connect(archive: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the manifest views defined (empty views if nothing is captured yet)."""
    con = duckdb.connect(":memory:")
    items_glob = archive / "manifest" / "items" / "year=*" / "platform=*" / "account=*" / "*.parquet"
    runs_glob = archive / "manifest" / "runs" / "*.parquet"
    if list(archive.glob("manifest/items/year=*/platform=*/account=*/*.parquet")):
        con.execute(f"CREATE VIEW item_captures AS SELECT * FROM read_parquet('{_sql_path(items_glob)}', "
                    "hive_partitioning = false, union_by_name = true)")
    else:
        con.register("_empty_items", ITEM_SCHEMA.empty_table())
        con.execute("CREATE VIEW item_captures AS SELECT * FROM _empty_items")
    con.execute("CREATE VIEW items AS SELECT * EXCLUDE (_rank) FROM (SELECT *, row_number() OVER "
                "(PARTITION BY platform, item_id ORDER BY captured_at DESC, run_id DESC) AS _rank "
                "FROM item_captures) WHERE _rank = 1")
    if list(archive.glob("manifest/runs/*.parquet")):
        con.execute(f"CREATE VIEW runs AS SELECT * FROM read_parquet('{_sql_path(runs_glob)}', union_by_name = true)")
    else:
        con.register("_empty_runs", RUN_SCHEMA.empty_table())
        con.execute("CREATE VIEW runs AS SELECT * FROM _empty_runs")
    return con


def run_query(archive: Path, sql: str) -> pa.Table:
    if not (archive / "manifest").is_dir():
        raise SmarchiveError(f"no manifest in {archive} (run `smarchive capture` first, or pass --archive)")
    con = connect(archive)
    try:
        return con.sql(sql).to_arrow_table()
    except duckdb.Error as e:
        raise SmarchiveError(f"query failed: {str(e).splitlines()[0]}") from None
    finally:
        con.close()
