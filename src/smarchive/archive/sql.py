"""SQL text for DuckDB over the manifest's Parquet files: quoted paths and file lists, Arrow tables every cursor
of a connection sees, and parameters bound by name. Shared by the query views (query.py), the word-index search
(search.py) and the decisions (decisions.py)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa

LATE_MATERIALIZATION = 100_000  # up to this many rows ordered, DuckDB reads wide columns (text) only for the result


def sql_path(path: Path) -> str:
    """A path inside a SQL string literal."""
    return str(path).replace("'", "''")


def file_list(paths: list[Path]) -> str:
    """A DuckDB list of the paths, for read_parquet."""
    return "[" + ", ".join(f"'{sql_path(p)}'" for p in paths) + "]"


def read_files(paths: list[Path]) -> str:
    """read_parquet over items files: their columns by name (older files lack late ones), no hive columns."""
    return f"read_parquet({file_list(paths)}, hive_partitioning = false, union_by_name = true)"


def partitions(files: list[Path]) -> list[list[Path]]:
    """The items files grouped by partition (year, platform, account): one file per run that captured it."""
    by_folder: dict[Path, list[Path]] = {}
    for f in files:
        by_folder.setdefault(f.parent, []).append(f)
    return list(by_folder.values())


def create_table(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """The Arrow table as a table in the database (not registered on this connection), so the views over it
    work from every cursor of the connection too (the workbench queries through cursors)."""
    con.register("_table_source", table)
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM _table_source")
    con.unregister("_table_source")


def bind(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> duckdb.DuckDBPyRelation:
    """The SQL run with those of `params` it names ($name): DuckDB refuses parameters a statement does not use."""
    used = {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", sql)}
    return con.sql(sql, params=used or None)
