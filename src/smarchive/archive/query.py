"""`smarchive query`: DuckDB over the manifest, through views archivists can rely on.

Views (and one macro, `stockholm(ts)`: a UTC time in Swedish time with its zone, as a string):
    item_captures    every row of every run (an item captured twice appears twice)
    items            the latest capture of each item (per platform and item_id), with its current decision
                     (archive/decisions.py: decision_*, diarienummer, removed_from_platform_at)
    runs             one row per run
    terms            the word index (term, platform, item_id, year, published_at, run_id, item_row)
    decisions        every decision recorded (archive/decisions.py), each once, oldest file first
    account_summary  per year, platform and account: counts of the items view (from the files' summaries)
    ledger           the fixity ledger's history: every file written (or removed), its SHA-256, size, role, run
    ledger_state     the fixity ledger now: the last recorded hash and size of every file the archive holds
    coverage         per run and account: the platform's counts against what was extracted
    unrecognised     per run and account: answers that should carry items but gave none, item-like JSON not read
A search (archive/search.py) also gives its SQL `search_items` (the rows of `items` holding the words, read by row
number from the word index's `item_row`) and `search_hits` (the index's hits), on its own cursor.

A result is read a page at a time (`limit`/`offset`), so the first page of a worklist over ten million
items comes back without reading every text.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import duckdb
import pyarrow as pa

from smarchive.archive.decisions import DECISION_SCHEMA, decision_files, decisions_view_sql, with_decisions_sql
from smarchive.archive.ledger import ledger_views_sql
from smarchive.archive.manifest import (
    DELIVERY_SCHEMA,
    ITEM_SCHEMA,
    RUN_SCHEMA,
    SUMMARY_SCHEMA,
    TABLE_SCHEMAS,
    TERMS_SCHEMA,
    account_table_files,
    item_files,
    sidecar_path,
)
from smarchive.archive.search import FETCHED, define_search_sources, search
from smarchive.archive.sql import (
    LATE_MATERIALIZATION,
    bind,
    by_name,
    create_table,
    file_list,
    partitions,
    read_files,
    same_columns,
)
from smarchive.errors import SmarchiveError

PAGE = 1000  # rows of a page when no limit is asked for on the terminal




def items_view_sql(files: list[Path], uniform: bool = False) -> str:
    """The latest capture of each item, cheaply.

    A partition (year, platform, account) captured by one run needs no de-duplication, so its file
    is read as it is; only partitions captured by several runs pay for the window function.
    """
    groups = partitions(files)
    single = [fs[0] for fs in groups if len(fs) == 1]
    multi = [f for fs in groups if len(fs) > 1 for f in fs]
    parts = []
    if single:
        parts.append(f"SELECT * FROM {read_files(single, uniform)}")
    if multi:
        parts.append("SELECT * EXCLUDE (_rank) FROM (SELECT *, row_number() OVER (PARTITION BY platform, item_id "
                     "ORDER BY captured_at DESC, run_id DESC) AS _rank "
                     f"FROM {read_files(multi, uniform)}) WHERE _rank = 1")
    return " UNION ALL BY NAME ".join(parts)


SUMMARY_SQL = """
SELECT year, platform, account, count(*) AS items,
       count(*) FILTER (WHERE item_type = 'post') AS posts,
       count(*) FILTER (WHERE item_type = 'comment') AS comments,
       count(*) FILTER (WHERE item_type = 'reply') AS replies,
       coalesce(sum(len(media_sha256)), 0)::BIGINT AS media,
       count(*) FILTER (WHERE list_contains(tag_actions, 'register')) AS to_register,
       count(*) FILTER (WHERE list_contains(tag_actions, 'remove')) AS to_remove,
       count(*) FILTER (WHERE tag_retention = 'cull-eligible') AS cull_eligible,
       count(*) FILTER (WHERE tag_needs_review) AS needs_review,
       max(captured_at) AS last_captured
FROM ({source}) GROUP BY year, platform, account
"""


def summary_view_sql(files: list[Path], uniform: bool = False) -> str:
    """account_summary: a partition written by one run is summed from its summary file (counted when it was
    written); partitions with several runs, or without an up-to-date summary, are counted from the items."""
    summaries, live = [], []
    for fs in partitions(files):
        summary = sidecar_path(fs[0], "summaries")
        if len(fs) == 1 and summary.exists() and summary.stat().st_mtime_ns >= fs[0].stat().st_mtime_ns:
            summaries.append(summary)
        else:
            live += fs
    parts = []
    if summaries:
        columns = ", ".join(n for n in SUMMARY_SCHEMA.names if n != "run_id")
        parts.append(f"SELECT {columns} FROM read_parquet({file_list(summaries)})")
    if live:
        parts.append(SUMMARY_SQL.format(source=items_view_sql(live, uniform)))
    return " UNION ALL BY NAME ".join(parts)


# stockholm(ts): a UTC time as a person in Sweden reads it, with the zone shown: `2024-07-01 14:00 CEST`.
# The data stays UTC; saved queries show this beside it. Independent of the session's TimeZone setting.
STOCKHOLM_MACRO = """
CREATE MACRO stockholm(ts) AS CASE WHEN ts IS NULL THEN NULL ELSE
    strftime(timezone('Europe/Stockholm', ts), '%Y-%m-%d %H:%M')
    || CASE WHEN date_diff('minute', timezone('UTC', ts), timezone('Europe/Stockholm', ts)) = 120
            THEN ' CEST' ELSE ' CET' END END
"""


# Item columns added after the first archives were written: files from before show them empty (the register
# and `show` find a missing replay_target in the WARCs; a missing time_precision was not recorded).
LATE_ITEM_COLUMNS = {"replay_target": "VARCHAR", "time_precision": "VARCHAR", "source": "VARCHAR",
                     "export_file": "VARCHAR", "export_member": "VARCHAR", "export_id": "VARCHAR"}
# A late column whose empty value means something: an item without a source was captured (#18).
LATE_ITEM_DEFAULTS = {"source": "'capture'"}


def late_columns_sql(present: set[str]) -> tuple[str, str]:
    """(added, replaced): `, <default>::TYPE AS name` for late columns no file has, and ` REPLACE (...)` filling
    the default into those some files lack (DuckDB reads them as NULL)."""
    added = "".join(f", {LATE_ITEM_DEFAULTS.get(name, 'NULL')}::{sql_type} AS {name}"
                    for name, sql_type in LATE_ITEM_COLUMNS.items() if name not in present)
    filled = [f"coalesce({name}, {default}) AS {name}" for name, default in LATE_ITEM_DEFAULTS.items()
              if name in present]
    return added, f" REPLACE ({', '.join(filled)})" if filled else ""




def connect(archive: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the manifest views defined (empty views if nothing is captured yet)."""
    con = duckdb.connect(":memory:")
    con.execute(f"SET late_materialization_max_rows = {LATE_MATERIALIZATION}")
    con.execute("SET parquet_metadata_cache = true")  # the footers read to define the views serve the query too
    con.execute(STOCKHOLM_MACRO)
    files, decided = item_files(archive), decision_files(archive)
    decided_uniform, uniform = same_columns(con, decided), same_columns(con, files)
    if files:
        present = set(con.sql(f"SELECT * FROM {read_files(files, uniform)} LIMIT 0").columns)
        added, replaced = late_columns_sql(present)
        con.execute(f"CREATE VIEW item_captures AS SELECT *{replaced}{added} FROM {read_files(files, uniform)}")
        items_sql = items_view_sql(files, uniform)
        wrap = added or replaced
        items_sql = f"SELECT *{replaced}{added} FROM ({items_sql})" if wrap else items_sql
        con.execute(f"CREATE VIEW items AS {with_decisions_sql(items_sql, decided, decided_uniform)}")
        con.execute(f"CREATE VIEW account_summary AS {summary_view_sql(files, uniform)}")
        con.execute(f"CREATE TABLE _item_shape AS SELECT * FROM {read_files(files, uniform)} LIMIT 0")
        # what `search` wraps around the rows it reads by number: the items view's columns and decisions
        fetched = with_decisions_sql(f"SELECT *{replaced}{added} FROM ({FETCHED})", decided, decided_uniform)
    else:
        create_table(con, "_empty_items", ITEM_SCHEMA.empty_table())
        con.execute("CREATE VIEW item_captures AS SELECT * FROM _empty_items")
        con.execute(f"CREATE VIEW items AS {with_decisions_sql('SELECT * FROM _empty_items', [])}")
        create_table(con, "_empty_summary", SUMMARY_SCHEMA.empty_table().drop_columns(["run_id"]))
        con.execute("CREATE VIEW account_summary AS SELECT * FROM _empty_summary")
        con.execute("CREATE TABLE _item_shape AS SELECT * FROM _empty_items")
        fetched = "SELECT * FROM items LIMIT 0"
    terms = sorted(archive.glob("manifest/terms/year=*/platform=*/account=*/*.parquet"))
    uniform_terms = same_columns(con, terms)
    if terms:
        con.execute(f"CREATE VIEW terms AS SELECT * FROM read_parquet({file_list(terms)}{by_name(uniform_terms)})")
    else:
        create_table(con, "_empty_terms", TERMS_SCHEMA.empty_table())
        con.execute("CREATE VIEW terms AS SELECT * FROM _empty_terms")
    define_search_sources(con, archive, files, terms, fetched, uniform_terms, uniform)
    for name, schema in TABLE_SCHEMAS.items():  # coverage, unrecognised: every run's rows
        found = account_table_files(archive, name)
        if found:
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({file_list(found)}, "
                        "union_by_name = true, hive_partitioning = false)")
        else:
            create_table(con, f"_empty_{name}", schema.empty_table())
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM _empty_{name}")
    runs = sorted(archive.glob("manifest/runs/*.parquet"))
    if runs:
        con.execute(f"CREATE VIEW runs AS SELECT * FROM read_parquet({file_list(runs)}, union_by_name = true)")
    else:
        create_table(con, "_empty_runs", RUN_SCHEMA.empty_table())
        con.execute("CREATE VIEW runs AS SELECT * FROM _empty_runs")
    if decided:
        con.execute(f"CREATE VIEW decisions AS {decisions_view_sql(decided, decided_uniform)}")
    else:
        create_table(con, "_empty_decisions", DECISION_SCHEMA.empty_table())
        con.execute("CREATE VIEW decisions AS SELECT * FROM _empty_decisions")
    deliveries = sorted(archive.glob("manifest/deliveries/*.parquet"))  # packages `smarchive deliver` wrote
    if deliveries:
        con.execute(f"CREATE VIEW deliveries AS SELECT * FROM read_parquet({file_list(deliveries)}, "
                    "union_by_name = true)")
    else:
        create_table(con, "_empty_deliveries", DELIVERY_SCHEMA.empty_table())
        con.execute("CREATE VIEW deliveries AS SELECT * FROM _empty_deliveries")
    for statement in ledger_views_sql(archive):
        con.execute(statement)
    return con


SAVED_QUERIES = Path(__file__).parents[1] / "data" / "saved_queries.toml"


def saved_queries() -> dict[str, dict]:
    with open(SAVED_QUERIES, "rb") as f:
        return tomllib.load(f)




def saved_query(name: str) -> str:
    queries = saved_queries()
    if name not in queries:
        raise SmarchiveError(f"no saved query {name!r} (saved: {', '.join(sorted(queries))})")
    return queries[name]["sql"]




def is_saved_search(sql: str) -> bool:
    """Whether the SQL is the saved search's own (whitespace aside), which gives each hit's item as one row."""
    return " ".join(sql.split()) == " ".join(saved_query("search").split())


def paged(sql: str, limit: int | None, offset: int) -> str:
    """The SQL's rows from `offset`, at most `limit` (the newline keeps a trailing -- comment out of the way)."""
    bound = f"LIMIT {int(limit)} " if limit is not None else ""
    return f"SELECT * FROM (\n{sql.strip().rstrip(';')}\n) {bound}OFFSET {int(offset)}"



def check_select(sql: str) -> None:
    """Refuse anything but one SELECT (WITH ... SELECT) statement, in one line, before it is run.

    The manifest is read-only to queries: DuckDB's own parser says what the statement is, so a
    `DELETE`, a `COPY ... TO` (which would write files) or a second statement is named, not executed.
    """
    allowed = "only SELECT/WITH queries are allowed (one statement)"
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        raise SmarchiveError(f"query failed: {str(e).splitlines()[0]}") from None
    kinds = [s.type.name for s in statements]
    if kinds != ["SELECT"]:
        found = ", ".join(kinds) if kinds else "nothing"
        raise SmarchiveError(f"{allowed}; this is {found}")


def run_query(archive: Path, sql: str, params: dict | None = None, limit: int | None = None,
              offset: int = 0) -> pa.Table:
    """Run SQL over the manifest views; `limit` rows from `offset` when a page is asked for.
    A `text` parameter makes it the saved search (see `search`)."""
    if not (archive / "manifest").is_dir():
        raise SmarchiveError(f"no manifest in {archive} (run `smarchive capture` first, or pass --archive)")
    check_select(sql)
    con = connect(archive)
    try:
        return execute(con, sql, params, limit, offset)
    except duckdb.Error as e:
        raise SmarchiveError(f"query failed: {str(e).splitlines()[0]}") from None
    finally:
        con.close()


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None, limit: int | None = None,
            offset: int = 0) -> pa.Table:
    """run_query on a connection made by `connect` (kept open by a caller running several queries)."""
    params = dict(params or {})
    if params.get("text") is not None:
        return search(con, sql, params, limit, offset, one_row_per_hit=is_saved_search(sql))
    if limit is not None or offset:
        sql = paged(sql, limit, offset)
    return bind(con, sql, params).to_arrow_table()


def query_rows(archive: Path, sql: str) -> list[dict]:
    """The rows of one query over the archive's views, as dicts (the connection closed after)."""
    con = connect(archive)
    try:
        return con.sql(sql).to_arrow_table().to_pylist()
    finally:
        con.close()
