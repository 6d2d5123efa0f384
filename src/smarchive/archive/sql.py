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


def read_files(paths: list[Path], uniform: bool = False) -> str:
    """read_parquet over manifest files (items, decisions), no hive columns: their columns by name where they
    differ (older files lack late ones), by the first file's where every file has the same (`uniform`:
    same_columns)."""
    return f"read_parquet({file_list(paths)}, hive_partitioning = false{by_name(uniform)})"


def by_name(uniform: bool) -> str:
    """read_parquet's option for files whose columns differ: `union_by_name` reconciles every file's schema,
    which costs every query, not only its binding (10 M items, 14 index files: a word that is nowhere 11 -> 16
    ms, a word of 24 000 rows 14 -> 32 ms); files of one schema are read without it."""
    return "" if uniform else ", union_by_name = true"


def same_columns(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> bool:
    """Whether every file has the same columns (names and types; DuckDB reads files by the first one's column
    names, so their order does not matter). Read from the footers, which DuckDB keeps for the queries after."""
    if len(paths) < 2:
        return True
    schemas = con.sql(
        "SELECT count(DISTINCT columns) FROM (SELECT list(concat_ws(' ', name, type, converted_type, logical_type, "
        f"repetition_type) ORDER BY name) AS columns FROM parquet_schema({file_list(paths)}) GROUP BY file_name)")
    return schemas.fetchall()[0][0] == 1


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
