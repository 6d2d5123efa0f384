"""The saved search (`smarchive query --saved search TEXT`, the workbench's search) through the word index.

The index (manifest/terms, beside each items file; archive/manifest.py) holds one row per (word, item), sorted by
word, then time, with the item's row in its items file (`item_row`) and the word's places in the text
(`positions`). A search finds its hits there, in time order (`published_at, item_id, platform`), and reads only
the rows of the items it shows:

- the rarest word leads; its first index rows in time order are the candidates of a page (`lead_rows`), looked
  for first up to a time the items files' footers suggest (`lead_window`), and each other word is looked for
  between those rows' first and last item_row (`other_words`);
- a phrase is checked on the index's positions (`phrase_filter`, `phrase_hits`), a rare one all at once;
- the hits' items are read from their items files by row number (`search_items_sql`), and a page counts the
  hits before it instead of reading them where every hit is one row (`page_of`); the page loop takes more
  index rows when too few hits were left (`page_search`);
- items files whose index is missing or out of step are named (`index_gaps`) and searched by key, and every
  result says so in its metadata (`GAPS`).

`connect` (query.py) defines what this reads besides the views (`define_search_sources`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from smarchive.archive.manifest import TOKEN_SEPARATORS, sidecar_path
from smarchive.archive.sql import (
    LATE_MATERIALIZATION,
    bind,
    by_name,
    create_table,
    file_list,
    partitions,
    sql_path,
)
from smarchive.errors import SmarchiveError

T = TypeVar("T")
FETCHED = "/* the rows search reads by number */"  # where `search` puts them in the `_search_fetch` SQL


def define_search_sources(con: duckdb.DuckDBPyConnection, archive: Path, files: list[Path], terms: list[Path],
                          fetched: str, uniform: bool = False, items_uniform: bool = False) -> None:
    """What `search` reads besides the views (tables, so every cursor of the connection sees them):
    `_search_terms` (the word index with the file each row is in), `_search_files` (the items file beside each
    index file, for partitions one run wrote: there a row of the file is a row of `items`) and `_search_fetch`
    (the SQL turning rows read from items files into rows of the items view, the index file sampled, and
    whether every items file has the same columns). `uniform`, `items_uniform`: sql.same_columns of the index
    files and of the items files."""
    if terms:
        has_rows = "item_row" in con.sql("SELECT * FROM terms LIMIT 0").columns
        rows = "" if has_rows else ", NULL::BIGINT AS item_row"  # an index older than item_row: join on the key
        # _terms_index: the file's place in `terms` (and in _search_index), a number where a page's first rows
        # are sorted: carrying the file's name through that sort cost a fifth of a two-word page at 10 M items.
        # No hive partitioning: with it, `year = $year` dropped the other years' files by their folder before
        # reading, and file_index numbered only the files left (a page of 2024 was read from 2023's files)
        con.execute(f"CREATE VIEW _search_terms AS SELECT *{rows}, filename AS _terms_file, "
                    f"file_index AS _terms_index FROM read_parquet({file_list(terms)}{by_name(uniform)}, "
                    "filename = true, hive_partitioning = false)")
    else:
        con.execute("CREATE VIEW _search_terms AS SELECT *, NULL::VARCHAR AS _terms_file, "
                    "NULL::UBIGINT AS _terms_index FROM terms")
    stale, gaps = index_gaps(archive, files, terms)
    create_table(con, "_search_gaps", pa.table({"gap": pa.array(gaps, pa.string())}))
    # a row of the file is a row of `items` where one run wrote the partition, and its index is in step
    single = [fs[0] for fs in partitions(files) if len(fs) == 1 and str(sidecar_path(fs[0], "terms")) not in stale]
    pairs = pa.table({"terms_file": [str(sidecar_path(f, "terms")) for f in single],
                      "items_file": [str(f) for f in single]}, schema=pa.schema([("terms_file", pa.string()),
                                                                               ("items_file", pa.string())]))
    create_table(con, "_search_files", pairs)
    # the largest index file: where word_rows counts the words (which leads changes the speed, not the result)
    create_table(con, "_search_index", pa.table({"terms_file": pa.array([str(t) for t in terms], pa.string())}))
    sample = str(max(terms, key=lambda p: p.stat().st_size)) if terms else None
    con.execute("CREATE TABLE _search_fetch AS SELECT $sql AS sql, $sample::VARCHAR AS sample, $files AS files, "
                "$uniform AS uniform", {"sql": fetched, "sample": sample, "files": len(terms),
                                        "uniform": items_uniform})


MIN_WORD = 2  # the word index keeps words of two letters or more


def search_params(text: str) -> dict:
    """What `--saved search TEXT` looks for: items with, for every word of TEXT, a word starting with it
    (snöröjning finds snöröjningen); TEXT in double quotes must also appear as it is written (a phrase).
    Returns the words (a word that begins another word of TEXT is implied by it) and the phrase."""
    stripped = text.strip()
    quoted = len(stripped) >= 2 and stripped[0] == stripped[-1] == '"'
    phrase = stripped[1:-1] if quoted else None
    words = sorted({w for w in re.findall(r"[^\W_]+", stripped.lower()) if len(w) >= MIN_WORD})
    words = [w for w in words if not any(o != w and o.startswith(w) for o in words)]
    if not words:
        raise SmarchiveError(f"nothing to search for in {text!r}: give a word of {MIN_WORD} letters or more")
    return {"words": words, "phrase": phrase}


def _word_range(n: int, name: str = "w") -> str:
    return f"term >= ${name}{n} AND term < ${name}{n}_end"


def word_params(words: list[str], name: str = "w") -> dict:
    """$wN..$wN_end: the stretch of the sorted word index holding every word that starts with words[N]."""
    params = {}
    for n, word in enumerate(words):
        params[f"{name}{n}"], params[f"{name}{n}_end"] = word, word + chr(0x10FFFF)
    return params


HIT_KEY = ["platform", "item_id", "run_id", "published_at"]  # the columns of search_hits
FETCH_MAX = 20_000  # hits read row by row at most; beyond, scanning the items row groups costs less
RARE = 30_000  # index rows of a word few enough to take all at once for a page


def hits_sql(count: int, by_row: bool) -> str:
    """Every hit in time order of words $w0..: items of the run that captured them with a word starting with
    $w0 (the rarest word: it leads) and, by semi-joins, with each of the others. An item with several such
    words appears once per word. `by_row`: each hit with its row in its items file (`item_row`) and that file
    (`items_file`) where a row there is a row of `items` (NULL otherwise: an index older than item_row, or a
    partition several runs captured); else NULL for all (hits too many to read row by row)."""
    others = "".join(f" SEMI JOIN (SELECT platform, item_id, run_id FROM terms WHERE {_word_range(n)}) w{n}"
                     " USING (platform, item_id, run_id)" for n in range(1, count))
    where = f"WHERE {_word_range(0)} AND ($year IS NULL OR year = $year) ORDER BY published_at, item_id, platform"
    if not by_row:
        return (f"SELECT platform, item_id, run_id, published_at, NULL::BIGINT AS item_row, "
                f"NULL::VARCHAR AS items_file, NULL::VARCHAR AS terms_file FROM terms{others} {where}")
    return (f"SELECT h.platform, h.item_id, h.run_id, h.published_at, h.item_row, f.items_file, "
            f"h._terms_file AS terms_file FROM ("
            f"SELECT platform, item_id, run_id, published_at, item_row, _terms_file FROM _search_terms{others} "
            f"{where}) h LEFT JOIN _search_files f ON f.terms_file = h._terms_file "
            "ORDER BY h.published_at, h.item_id, h.platform")


def page_hits(con: duckdb.DuckDBPyConnection, count: int, params: dict, limit: int,
              positions: bool = False, until: datetime | None = None) -> tuple[pa.Table, bool]:
    """(the hits among the first `limit` index rows of $w0 in time order; whether $w0 has no more rows).
    The other words are looked for only where those rows are: in their index files, between their first and
    last row of the items file (`other_words`); a common word's rows elsewhere are not read (at 10 M items,
    'tack' has 4.5 M). `positions`: each hit with its word (`term`) and `positions`, for a phrase. `until`: where
    the lead rows are looked for first (lead_rows)."""
    lead, exhausted = lead_rows(con, params, limit, positions, until)
    return with_files(con, other_words(con, lead, count, params)), exhausted


def lead_rows(con: duckdb.DuckDBPyConnection, params: dict, limit: int, positions: bool,
              until: datetime | None = None) -> tuple[pa.Table, bool]:
    """(the first index rows of $w0 in hit order (published_at, item_id, platform), at most `limit`, each with
    its index file (`_terms_file`); whether $w0 has no more rows).
    DuckDB sorts them by time alone, on numbers (the file as its place in the list): sorting by the item's id
    too and carrying the file's name cost a fifth of a two-word page at 10 M items. LIMIT cuts the rows of the
    last moment in no particular order, so those are left out (the page loop takes more rows when too few are
    left), unless every row is at that moment (dates without a time of day): then sorted in full.
    `until` (lead_window): the rows are first looked for up to that time only, which DuckDB filters as it reads
    instead of sorting all of the word's rows (at 10 M items, page 11 of two words: 66 -> 37 ms); the first
    `limit` rows up to a time are the first `limit` rows of all, so only when the window holds fewer are all
    the word's rows sorted, as without it."""
    more = ", term, positions" if positions else ""
    # `year = $year` only when a year is searched: `($year IS NULL OR ...)` made DuckDB read `year` for every
    # row (at 10 M items, page 11 of two words: 53 -> 74 ms)
    year = "" if params.get("year") is None else "AND year = $year "
    select = (f"SELECT platform, item_id, run_id, published_at, item_row, _terms_index{more} "
              f"FROM _search_terms WHERE {_word_range(0)} {year}")
    order = [("published_at", "ascending"), ("item_id", "ascending"), ("platform", "ascending")]
    lead = None
    if until is not None:  # the window's rows sorted here (DuckDB sorting them as well cost 15 ms at 10 M)
        lead = bind(con, f"{select} AND published_at <= $until", {**params, "until": until}).to_arrow_table()
        lead = lead.sort_by(order).slice(0, limit) if lead.num_rows >= limit else None  # else too short
    windowed = lead is not None
    if lead is None:
        lead = bind(con, f"{select} ORDER BY published_at LIMIT {int(limit)}", params).to_arrow_table()
    exhausted = lead.num_rows < limit
    if not exhausted:
        times = lead.column("published_at")
        before = pc.less(times, times[-1])
        if pc.any(before).as_py():
            lead = lead.filter(before)
        elif not windowed:  # (the window's rows are sorted in full already)
            lead = bind(con, f"{select} ORDER BY published_at, item_id, platform LIMIT {int(limit)}",
                         params).to_arrow_table()
    lead = lead.append_column("_terms_file", index_files(con, lead.column("_terms_index")))
    return (lead if windowed else lead.sort_by(order)), exhausted


def other_words(con: duckdb.DuckDBPyConnection, lead: pa.Table, count: int, params: dict) -> pa.Table:
    """The lead rows (lead_rows, in hit order) whose items also hold words $w1..: matched on (index file, row of
    the items file), which names one item, with each other word's rows read only from the index files the lead
    rows are in and between their first and last item_row (rows in time order: the stretch a page spans).
    The lead rows are filtered here, keeping their order: joining and sorting them again in DuckDB, by the
    file's name, cost a third of this step at 10 M items. An index older than item_row is matched on the
    item's key within the lead rows' time span instead."""
    if count < 2 or not lead.num_rows:
        return lead
    if lead.column("item_row").null_count:
        return _other_words_by_key(con, lead, count, params)
    bounds = lead.group_by(["_terms_index", "_terms_file"], use_threads=False).aggregate(
        [("item_row", "min"), ("item_row", "max")]).to_pylist()
    keys = _row_keys(lead.column("_terms_index"), lead.column("item_row"))
    con.register("_search_lead", pa.table({"k": keys}))
    kept = None
    for n in range(1, count):  # the file by its number: joining on its name cost more
        reads = " UNION ALL ".join(
            f"SELECT {int(b['_terms_index'])}::UBIGINT AS _terms_index, item_row FROM "
            f"read_parquet('{sql_path(Path(b['_terms_file']))}') WHERE {_word_range(n)} "
            f"AND item_row BETWEEN {int(b['item_row_min'])} AND {int(b['item_row_max'])}" for b in bounds)
        found = bind(con, f"SELECT k FROM (SELECT _terms_index * {ROW_KEY} + item_row AS k FROM ({reads})) "
                          "SEMI JOIN _search_lead USING (k)", params).to_arrow_table()
        has = pc.is_in(keys, value_set=found.column("k").combine_chunks())
        kept = has if kept is None else pc.and_(kept, has)
    con.unregister("_search_lead")
    return lead.filter(kept)


ROW_KEY = 1 << 40  # (index file number, item_row) as one integer: file * ROW_KEY + row (rows of a file < 2^40)


def _row_keys(files: pa.Array | pa.ChunkedArray, rows: pa.Array | pa.ChunkedArray) -> pa.Array:
    keys = pc.add(pc.multiply(pc.cast(files, pa.int64()), ROW_KEY), pc.cast(rows, pa.int64()))
    return keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys


def _other_words_by_key(con: duckdb.DuckDBPyConnection, lead: pa.Table, count: int, params: dict) -> pa.Table:
    """other_words for an index without item_row: each other word by the items' key, in the lead rows' time."""
    times = lead.column("published_at")
    span = f"published_at BETWEEN '{pc.min(times).as_py().isoformat()}' AND '{pc.max(times).as_py().isoformat()}'"
    con.register("_search_lead", lead)
    joins = "".join(f" SEMI JOIN (SELECT platform, item_id, run_id FROM terms WHERE {_word_range(n)} AND {span}) "
                    f"w{n} USING (platform, item_id, run_id)" for n in range(1, count))
    kept = bind(con, f"SELECT * FROM _search_lead{joins} ORDER BY published_at, item_id, platform",
                params).to_arrow_table()
    con.unregister("_search_lead")
    return kept


def phrase_words(con: duckdb.DuckDBPyConnection, phrase: str | None) -> list[tuple[str, int, bool]]:
    """The words of a quoted phrase as the word index splits text (by DuckDB, with the index's own expression):
    (word, its place in the phrase, whether it may go on in the text: the last word, like any search word, may
    begin a longer one). Words shorter than the index keeps are left out but still counted in the places.
    Fewer than two such words: [] (nothing for positions to check)."""
    if not phrase:
        return []
    split = con.execute(f"SELECT regexp_split_to_array(lower($p), '{TOKEN_SEPARATORS}')", {"p": phrase}).fetchall()
    words = split[0][0] or []
    while words and words[0] == "":
        words = words[1:]
    while words and words[-1] == "":
        words = words[:-1]
    found = [(w, n, n == len(words) - 1) for n, w in enumerate(words) if len(w) >= MIN_WORD]
    return found if len(found) >= 2 else []


def phrase_filter(con: duckdb.DuckDBPyConnection, hits: pa.Table, words: list[tuple[str, int, bool]],
                  lead: str | None = None) -> pa.Table:
    """The hits whose item has the phrase's words one after another (by the index's `positions`), without
    reading any text; the phrase is still matched on the text as written afterwards. Hits this cannot check
    (an index written before item_row or positions) are kept for that match to decide. Hits with `term` and
    `positions` (page_hits, before distinct_hits) give the positions of words the leading word `lead` begins."""
    if not words or not hits.num_rows:
        return hits
    rowed = pc.is_valid(hits.column("item_row"))
    files = [f for f in pc.unique(hits.filter(rowed).column("terms_file")).to_pylist() if _has_positions(f)]
    if not files:
        return hits
    checkable = pc.and_(rowed, pc.fill_null(pc.is_in(hits.column("terms_file"),
                                                     value_set=pa.array(files, pa.string())), False))
    item_rows = hits.filter(checkable).column("item_row")
    low, high = pc.min(item_rows).as_py(), pc.max(item_rows).as_py()  # a cheap bound on the index rows read
    carried = bool(lead) and "positions" in hits.column_names  # the hits carry their index rows of the lead word
    if carried:
        con.register("_phrase_lead", hits.filter(checkable).select(["terms_file", "item_row", "term", "positions"]))
    read = (f"(SELECT filename AS terms_file, item_row, term, positions FROM "
            f"read_parquet({file_list([Path(f) for f in files])}, filename = true))")
    # every index row of a word the lead word begins is among the hits' own rows: not read again
    sources = ["_phrase_lead" if carried and word.startswith(lead) else read for word, _place, _prefix in words]
    ctes, joins, follow, params = _phrase_sql(words, sources, "item_row BETWEEN $low AND $high")
    found = bind(con, f"WITH {ctes} SELECT terms_file || '#' || item_row AS k FROM w0{joins} WHERE {follow}",
                  {**params, "low": low, "high": high}).to_arrow_table()
    if carried:
        con.unregister("_phrase_lead")
    keys = pc.binary_join_element_wise(hits.column("terms_file"), pc.cast(hits.column("item_row"), pa.string()), "#")
    followed = pc.fill_null(pc.is_in(keys, value_set=found.column("k")), False)
    return hits.filter(pc.or_(followed, pc.invert(checkable)))


PHRASE_ALL = 300_000  # index rows of a phrase's rarest word few enough to find all its hits in one query


def phrase_rows(con: duckdb.DuckDBPyConnection, words: list[tuple[str, int, bool]],
                rows: dict[str, int]) -> dict[str, int]:
    """About how many index rows each of a phrase's words has as the phrase matches it: the word itself, but
    the last word with every word it begins (from `rows`, word_rows of the search's words, where it is there);
    what is not there is counted in one read of the sample. '"tack hej"' at 10 M items: 'tack' begins 4.5 M
    rows, is itself 24 000."""
    wanted = [(w, not prefix) for w, _place, prefix in words if not prefix or w not in rows]
    found = dict(zip(wanted, _row_counts(con, wanted), strict=True))
    return {w: rows[w] if prefix and w in rows else found[(w, not prefix)] for w, _place, prefix in words}


def phrase_hits(con: duckdb.DuckDBPyConnection, words: list[tuple[str, int, bool]], params: dict,
                counts: dict[str, int]) -> pa.Table:
    """Every hit of a phrase whose rarest word is rare enough (PHRASE_ALL; `counts`: phrase_rows), in hit order:
    that word's index rows, each other word's rows of the same items only (index file, row), kept where the
    words follow one another, in one query. For an index where every file has positions.
    The index file goes through the query as its number, and `year` is read only when a year is searched (the
    file's name on every row and `($year IS NULL OR ...)`: at 10 M items, 21 alternated runs, 135 -> 126 ms)."""
    year = "TRUE" if params.get("year") is None else "year = $year"
    # the file as its number, under the name _phrase_sql's joins use
    source = ("(SELECT platform, item_id, run_id, published_at, year, _terms_index AS terms_file, item_row, term, "
              "positions FROM _search_terms)")
    words = sorted(words, key=lambda w: counts[w[0]])  # the rarest leads; places stay as in the phrase
    ctes, joins, follow, phrase = _phrase_sql(words, [source] * len(words), year,
                                              keys="platform, item_id, run_id, published_at, ", of_first=True)
    hits = bind(con, f"WITH {ctes} SELECT w0.platform, w0.item_id, w0.run_id, w0.published_at, w0.item_row, "
                      f"w0.terms_file AS _terms_index FROM w0{joins} WHERE {follow} "
                      "ORDER BY w0.published_at, w0.item_id, w0.platform",
                 {**phrase, "year": params.get("year")}).to_arrow_table()
    return with_files(con, hits.append_column("_terms_file", index_files(con, hits.column("_terms_index"))))


def index_files(con: duckdb.DuckDBPyConnection, numbers: pa.ChunkedArray) -> pa.ChunkedArray:
    """The index files' names for their numbers (`_terms_index`: their place in _search_index)."""
    names = con.sql("SELECT terms_file FROM _search_index").to_arrow_table().column("terms_file")
    return names.take(numbers)


def with_files(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> pa.Table:
    """Index rows with their index file (`_terms_index`, `_terms_file`) as hits: in the place of those two,
    `items_file` (where a row of that file is a row of `items`, else null) and `terms_file`."""
    terms = rows.column("_terms_file")
    files = con.sql("SELECT terms_file, items_file FROM _search_files").to_arrow_table()
    items = files.column("items_file").take(pc.index_in(terms, value_set=files.column("terms_file")))
    at = rows.schema.get_field_index("_terms_index")
    rows = rows.drop_columns(["_terms_index", "_terms_file"])
    return rows.add_column(at, "items_file", items).add_column(at + 1, "terms_file", terms)


def _phrase_sql(words: list[tuple[str, int, bool]], sources: list[str], where: str,
                keys: str = "", of_first: bool = False) -> tuple[str, str, str, dict]:
    """What both phrase checks share: (the CTEs wN, one per word: its index rows from sources[N] where it
    matches and `where` holds, an item's positions together, since a word that may go on can be several words
    of the index, the first word's rows also with `keys`; the joins of the others to w0 on (index file, row);
    the condition that the words follow the first one in their places; $pN/$pN_end for the words).
    `of_first`: the other words' rows only of the first word's items (a common word's millions of rows are
    scanned, but not grouped or joined)."""
    params, ctes = word_params([w for w, _place, _prefix in words], "p"), []
    for n, ((_word, _place, prefix), source) in enumerate(zip(words, sources, strict=True)):
        match = _word_range(n, "p") if prefix else f"term = $p{n}"
        same = " AND (terms_file, item_row) IN (SELECT terms_file, item_row FROM w0)" if of_first and n else ""
        # the first word's rows are read once (MATERIALIZED): the others are of its items only
        kind = " MATERIALIZED" if of_first and n == 0 and len(words) > 1 else ""
        ctes.append(f"w{n} AS{kind} (SELECT {keys if n == 0 else ''}terms_file, item_row, flatten(list(positions)) "
                    f"AS positions FROM {source} WHERE {match} AND {where}{same} GROUP BY ALL)")
    first = words[0][1]
    follow = " AND ".join(f"list_contains(w{n}.positions, s + {place - first})"
                          for n, (_w, place, _p) in enumerate(words) if n)
    joins = "".join(f" JOIN w{n} USING (terms_file, item_row)" for n in range(1, len(words)))
    return ", ".join(ctes), joins, f"len(list_filter(w0.positions, lambda s: {follow})) > 0", params


_FOOTERS: dict[tuple[str, str, int, int], Any] = {}  # what was read from files' footers: by what, path, mtime, size


def _from_footer(what: str, path: str, read: Callable[[str], T]) -> T:
    """read(path), once for each version of the file: parsing a footer of many row groups takes milliseconds,
    which every search would pay again."""
    stat = Path(path).stat()
    key = (what, path, stat.st_mtime_ns, stat.st_size)
    if key not in _FOOTERS:
        _FOOTERS[key] = read(path)
    return _FOOTERS[key]


def _index_schema(terms_file: str) -> pa.Schema:
    return _from_footer("schema", terms_file, pq.read_schema)


def _has_positions(terms_file: str) -> bool:
    """Whether an index file has `positions` (and item_row): written by this smarchive's index."""
    return {"positions", "item_row"} <= set(_index_schema(terms_file).names)


def index_gaps(archive: Path, files: list[Path], terms: list[Path]) -> tuple[set[str], list[str]]:
    """(index files out of step with their items file; one line per gap, to say with every search result).
    An items file without its index is not searched at all. An index built from an earlier version of its file
    (the size it recorded differs: a crash between a rewrite, such as a cull, and its index) is searched by the
    items' key instead of their row in the file, which still finds the items the file holds. Either way the
    result says so: a search that may miss items never looks complete."""
    indexed, stale, lines = {str(t) for t in terms}, set(), []
    for items_file in files:
        terms_file, shown = str(sidecar_path(items_file, "terms")), items_file.relative_to(archive).as_posix()
        if terms_file not in indexed:
            lines.append(f"{shown}: no word index, its items are not searched (`smarchive reindex` builds it)")
            continue
        built = (_index_schema(terms_file).metadata or {}).get(b"smarchive.items_bytes")
        if built is not None and int(built) != items_file.stat().st_size:
            stale.add(terms_file)
            lines.append(f"{shown}: its word index was built from an earlier version of the file; searched by "
                         "item key, slower (`smarchive reindex` rebuilds it)")
    return stale, lines


def _on_key(left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} = {right}.{k}" for k in HIT_KEY)


def search_items_sql(con: duckdb.DuckDBPyConnection, hits: pa.Table) -> str:
    """`search_items`: the rows of the items view that the hits name. Hits with their row in a file are read
    by row number, so DuckDB reads only the row groups holding them (and checks the key: an index out of step
    with its file finds nothing wrong); the others are joined on the key, as the items view is scanned."""
    if not hits.num_rows:
        return "SELECT * FROM items LIMIT 0"
    if hits.num_rows > FETCH_MAX:  # too many to read row by row: all joined on the key
        fast, slow = hits.slice(0, 0), hits
    else:
        by_row = pc.and_(pc.is_valid(hits.column("item_row")), pc.is_valid(hits.column("items_file")))
        fast, slow = hits.filter(by_row), hits.filter(pc.invert(by_row))
    parts = []
    if fast.num_rows:
        template, uniform = con.sql("SELECT sql, uniform FROM _search_fetch").fetchall()[0]
        fetched = template.replace(FETCHED, " UNION ALL BY NAME ".join(["SELECT * FROM _item_shape",
                                                                          *_rows_read(con, fast, uniform)]))
        parts.append(f"SELECT i.* FROM ({fetched}) i SEMI JOIN search_hits h ON {_on_key('i', 'h')}")
    if slow.num_rows:
        con.register("_search_joined", slow.select(HIT_KEY))
        parts.append(f"SELECT i.* FROM items i SEMI JOIN _search_joined h ON {_on_key('i', 'h')}")
    return " UNION ALL BY NAME ".join(parts)


ROW_BLOCK = 32 * 1024  # rows of an items file: files whose hits lie within the same one or two blocks share a scan


def _rows_read(con: duckdb.DuckDBPyConnection, hits: pa.Table, uniform: bool) -> list[str]:
    """SQL reading the hits' rows by number (`item_row` of `items_file`), without `file_row_number`.
    Files whose hits lie close together (within one or two blocks of ROW_BLOCK rows: a page of hits in time
    order) and in the same blocks are read by one scan: DuckDB's threads share it, where a scan per file ran one
    after another (a page of 1 001 rows from 7 items files at 10 M items: 60-73 -> 38-41 ms). Any other file,
    whose hits lie far apart (a rare word's, over the year), is read on its own, so that only the row groups
    holding its hits are read. `uniform`: every items file has the same columns (else a scan of several files
    reads them by name, as the items view does)."""
    files = hits.column("items_file").combine_chunks().dictionary_encode()
    rows = hits.column("item_row")
    bounds = pa.table({"f": files.indices, "r": rows}).group_by("f", use_threads=False).aggregate(
        [("r", "min"), ("r", "max")])
    shared: dict[tuple[int, int], list[int]] = {}  # the blocks the files' hits lie in -> the files
    alone = []
    for f, low, high in zip(*(bounds.column(c).to_pylist() for c in ("f", "r_min", "r_max")), strict=True):
        if high // ROW_BLOCK - low // ROW_BLOCK <= 1:
            shared.setdefault((low // ROW_BLOCK, high // ROW_BLOCK), []).append(f)
        else:
            alone.append([f])
    reads = []
    for n, members in enumerate([*shared.values(), *alone]):
        # every member's rows from every member: a row another file wanted is dropped by the hits' key (in
        # search_items_sql), and costs nearly nothing, being in the row groups read anyway
        wanted = pc.is_in(files.indices, value_set=pa.array(members, files.indices.type))
        paths = [Path(files.dictionary[f].as_py()) for f in members]
        reads.append(_read_rows(con, f"_search_rows_{n}", paths, pc.filter(rows, wanted), uniform))
    return reads


def _read_rows(con: duckdb.DuckDBPyConnection, name: str, paths: list[Path], rows: pa.ChunkedArray,
               uniform: bool) -> str:
    """SQL reading these rows (by number) of each of these files. The numbers are one value (a variable `name`
    of this cursor), not thousands of literals to parse; `= ANY(list)`, not `IN (...)`: DuckDB reads only the
    row groups holding them then (DuckDB 2.0)."""
    con.execute(f"SET VARIABLE {name} = $rows", {"rows": pc.unique(rows).sort().to_pylist()})
    return (f"SELECT * EXCLUDE (file_row_number) FROM read_parquet({file_list(paths)}, file_row_number = true, "
            f"hive_partitioning = false{by_name(uniform or len(paths) == 1)}) "
            f"WHERE file_row_number = ANY(getvariable('{name}'))")


def _found(con: duckdb.DuckDBPyConnection, sql: str, params: dict, hits: pa.Table, count: bool = False) -> pa.Table:
    """The saved SQL over these hits (or the number of its rows, which reads no column the SQL only shows):
    search_hits, search_items (a view of this cursor only) and $from/$until (the hits' time span) defined."""
    times = hits.column("published_at")
    params = {**params, "from": times[0].as_py() if len(times) else None,
              "until": times[-1].as_py() if len(times) else None}
    con.register("search_hits", hits.select(HIT_KEY))
    con.execute(f"CREATE OR REPLACE TEMP VIEW search_items AS {search_items_sql(con, hits)}")
    return bind(con, f"SELECT count(*) AS n FROM ({sql})" if count else sql, params).to_arrow_table()


def distinct_hits(hits: pa.Table) -> pa.Table:
    """Each item once: the index has a row per word, so an item with two words starting with $w0 comes twice
    (next to each other: the hits are in key order)."""
    if hits.num_rows < 2:
        return hits
    same = None
    for key in HIT_KEY:
        column = hits.column(key)
        equal = pc.fill_null(pc.equal(column.slice(1), column.slice(0, len(column) - 1)), False)
        same = equal if same is None else pc.and_(same, equal)
    return hits.filter(pa.concat_arrays([pa.array([True]), pc.invert(same).combine_chunks()]))


def page_of(con: duckdb.DuckDBPyConnection, sql: str, params: dict, hits: pa.Table, limit: int,
            offset: int, one_row_per_hit: bool = False) -> tuple[pa.Table, int]:
    """(the rows from `offset` on, up to `limit`; the number of rows the hits give, as far as they were needed).
    The SQL keeps the hits' order (published_at, item_id, platform) and each hit gives one row or none, so the
    rows before the page are the rows of the first `offset` hits or fewer: those are counted, and the page is
    read from the hits after them. `one_row_per_hit` (the saved search without a phrase): a hit read by row
    number gives exactly its row, so the first `offset` hits are counted without reading them, as long as
    every hit the page reads gives its row (else the index is out of step with a file: counted by reading)."""
    head, tail = hits.slice(0, offset), hits.slice(offset)
    if not tail.num_rows:  # the page is past every hit: empty whatever the hits before give (at most theirs)
        return _found(con, sql, params, tail), hits.num_rows
    by_index = one_row_per_hit and _all_by_row(hits.slice(0, offset + limit))
    before = offset if by_index or not offset else _found(con, sql, params, head, count=True).column("n")[0].as_py()
    need = offset - before + limit  # rows wanted from the tail's hits
    first = need + need // 32 + 16  # the tail's first hits do unless some fall out (a phrase, a later capture)
    found = _found(con, sql, params, tail.slice(0, first))
    if by_index and found.num_rows < min(first, tail.num_rows):  # a hit without its row: count by reading
        return page_of(con, sql, params, hits, limit, offset)
    if found.num_rows < need and tail.num_rows > first:
        found = _found(con, sql, params, tail)
    return found.slice(offset - before, limit), before + found.num_rows


def _all_by_row(hits: pa.Table) -> bool:
    """Whether every hit is read by its row number (its row in its items file is a row of `items`)."""
    return not hits.column("item_row").null_count and not hits.column("items_file").null_count


def word_rows(con: duckdb.DuckDBPyConnection, words: list[str]) -> dict[str, int]:
    """About how many rows of the word index each word has (every word it begins): see _row_counts."""
    return dict(zip(words, _row_counts(con, [(w, False) for w in words]), strict=True))


def _row_counts(con: duckdb.DuckDBPyConnection, words: list[tuple[str, bool]]) -> list[int]:
    """About how many rows of the word index each (word, exact) has: every word it begins, or with `exact` the
    word itself only (as a phrase's words but the last are matched). Counted in one index file (the largest)
    and scaled to all; counting every file's rows of a common word would cost more than the search (at 10 M
    items, 4.5 M rows for a word in half the items). It decides which word leads and how many hits a page
    takes at once, never what is found."""
    sample, files = con.sql("SELECT sample, files FROM _search_fetch").fetchall()[0]
    if sample is None or not words:
        return [0] * len(words)
    match = [f"term = $w{n}" if exact else _word_range(n) for n, (_word, exact) in enumerate(words)]
    counts = ", ".join(f"count(*) FILTER (WHERE {m})" for m in match)
    ranges = " OR ".join(f"({m})" for m in match)
    found = bind(con, f"SELECT {counts} FROM read_parquet('{sql_path(Path(sample))}') WHERE {ranges}",
                  word_params([w for w, _exact in words])).fetchall()[0]
    return [n * files for n in found]


def item_share(con: duckdb.DuckDBPyConnection, rows: int) -> float:
    """About what share of all items hold a word with `rows` index rows (word_rows): the sample's rows to the
    items of its items file (that file's footer), 1 when unknown. Read when a search has several words only."""
    sample, files = con.sql("SELECT sample, files FROM _search_fetch").fetchall()[0]
    items = sample and Path(sample.replace("/manifest/terms/", "/manifest/items/"))
    sampled = _row_count(str(items)) if items and items.is_file() else 0
    return min(1.0, rows / (files * sampled)) if sampled else 1.0



def search(con: duckdb.DuckDBPyConnection, sql: str, params: dict, limit: int | None, offset: int,
           one_row_per_hit: bool = False) -> pa.Table:
    """The search (`find`), with what it could not search in its metadata: `smarchive.gaps`, one line per
    items file without its word index or with one out of step (see `index_gaps`), for the year searched.
    `one_row_per_hit`: the SQL gives each hit's item as one row, whatever the item (the saved search's SQL,
    which drops a hit only for the phrase): a page then counts the hits before it without reading them."""
    found = find(con, sql, params, limit, offset, one_row_per_hit)
    gaps = search_gaps(con, params.get("year"))
    return found.replace_schema_metadata({**(found.schema.metadata or {}), GAPS: "\n".join(gaps)}) if gaps else found


GAPS = b"smarchive.gaps"
GAPS_SQL = "SELECT gap FROM _search_gaps"  # the lines index_gaps found when the connection was made


def search_gaps(con: duckdb.DuckDBPyConnection, year: int | None = None) -> list[str]:
    """The lines `index_gaps` found when the connection was made, for one year or all."""
    gaps = [g for (g,) in con.sql(GAPS_SQL).fetchall()]
    return [g for g in gaps if year is None or f"/year={int(year)}/" in g]


def find(con: duckdb.DuckDBPyConnection, sql: str, params: dict, limit: int | None, offset: int,
         one_row_per_hit: bool = False) -> pa.Table:
    """The saved search. The word index gives the hits in time order; the saved SQL reads their items as
    `search_items` (the latest capture of each, read by row number where the index has it) and checks a
    phrase. For a page, only the first hits are taken (more if some fall out). `search_hits` (the hits' keys)
    and $from/$until (their time span) serve SQL written for the earlier join on `items`."""
    wanted = search_params(params["text"])
    if "run_id" not in con.sql("SELECT * FROM terms LIMIT 0").columns:
        raise SmarchiveError("this archive's word index is older than this smarchive: rebuild it with "
                             "`smarchive reindex`")
    rows = word_rows(con, wanted["words"])
    words = sorted(wanted["words"], key=lambda w: (rows[w], w))  # the rarest leads
    following = phrase_words(con, wanted["phrase"])  # a phrase's words, for positions to narrow its hits
    phrased = {w for w, _place, _prefix in following}
    indexed = bool(following) and all(_has_positions(f) for (f,) in con.sql("SELECT terms_file FROM _search_index"
                                                                             ).fetchall())
    rare, counts = False, {}
    if indexed:
        counts = phrase_rows(con, following, rows)
        rare = min(counts.values()) <= PHRASE_ALL
        indexed = rare or limit is not None  # see below
    if indexed:  # every hit is checked by positions, which finds the phrase's words: no other lookup for them
        words = words[:1] + [w for w in words[1:] if w not in phrased]
    # else a whole result of a common phrase: its words through the index and the phrase on the texts (the
    # positions of millions of hits would cost more: '"tack hej"' at 10 M items took 16.6 s, the texts 7.1 s)
    params = {**params, **word_params(words), "phrase": wanted["phrase"]}
    if rare and set(words) <= phrased:
        hits = distinct_hits(phrase_hits(con, following, params, counts))  # every hit from the index
    elif limit is None:
        hits = whole_hits(con, len(words), params, following if indexed else [])
    else:
        # such SQL drops a hit only for the phrase: without one, every hit is a row (see page_of)
        one_row_per_hit = one_row_per_hit and wanted["phrase"] is None
        return page_search(con, sql, params, words, rows, (limit, offset), following, indexed, one_row_per_hit)
    return _found(con, sql, params, hits).slice(offset) if limit is None else \
        page_of(con, sql, params, hits, limit, offset)[0]


def whole_hits(con: duckdb.DuckDBPyConnection, count: int, params: dict,
               following: list[tuple[str, int, bool]]) -> pa.Table:
    """Every hit, for a whole result: the keys first, since many hits are joined on the key (no need for their
    rows) and few are read by row; a phrase's hits need their rows for positions, which leave few."""
    hits = phrase_filter(con, distinct_hits(bind(con, hits_sql(count, bool(following)), params).to_arrow_table()),
                         following)
    if hits.num_rows <= FETCH_MAX and not following:
        hits = distinct_hits(bind(con, hits_sql(count, True), params).to_arrow_table())
    return hits


WINDOW_MARGIN = 1.25  # lead_window's room for a word less common early on than on average


def lead_window(con: duckdb.DuckDBPyConnection, year: int | None, limit: int, rows: int) -> datetime | None:
    """A time up to which the leading word (about `rows` index rows in all, word_rows) likely has its first
    `limit` rows: where the items searched (of `year`, or all) reach the word's share of their number, with room
    (WINDOW_MARGIN), the items of each row group of their files taken as spread evenly between its first and
    last time (footers). None where that is every item, or unknown. Only where lead_rows looks first, never
    what is found."""
    files = [_items_beside(Path(f)) for (f,) in con.sql("SELECT terms_file FROM _search_index").fetchall()]
    groups, total = [], 0
    for items_file in files:
        found = _row_group_times(items_file)
        if found is None:
            return None
        total += sum(n for _first, _last, n in found)
        if year is None or f"year={int(year)}" in Path(items_file).parts:
            groups += found
    searched = sum(n for _first, _last, n in groups)
    wanted = WINDOW_MARGIN * limit * total / rows if rows else searched  # items up to that time
    if not groups or wanted >= searched:
        return None
    spans = [(first.timestamp(), last.timestamp(), n) for first, last, n in groups]

    def items_until(t: float) -> float:
        return sum(n if t >= last else n * (t - first) / (last - first) if t > first else 0.0
                   for first, last, n in spans)

    low, high = min(s[0] for s in spans), max(s[1] for s in spans)
    for _ in range(24):  # to a 16-millionth of the time span
        middle = (low + high) / 2
        low, high = (middle, high) if items_until(middle) < wanted else (low, middle)
    return datetime.fromtimestamp(high, groups[0][1].tzinfo)


def _items_beside(terms_file: Path) -> str:
    """manifest/terms/<partition>/run-X.parquet -> the items file it indexes."""
    parts = list(terms_file.parts)
    parts[len(parts) - 1 - parts[::-1].index("terms")] = "items"
    return str(Path(*parts))


def _row_count(items_file: str) -> int:
    """The rows of an items file, from its footer."""
    return _from_footer("rows", items_file, lambda path: pq.read_metadata(path).num_rows)


def _row_group_times(items_file: str) -> list[tuple[datetime, datetime, int]] | None:
    """(first and last published_at, rows) of each row group of an items file, from its footer; None if
    unknown."""
    try:
        return _from_footer("times", items_file, _read_row_group_times)
    except OSError:
        return None


def _read_row_group_times(items_file: str) -> list[tuple[datetime, datetime, int]] | None:
    meta = pq.read_metadata(items_file)
    column = meta.schema.to_arrow_schema().get_field_index("published_at")
    found = []
    for group in range(meta.num_row_groups):
        stats = meta.row_group(group).column(column).statistics if column >= 0 else None
        if stats is None or not stats.has_min_max or not isinstance(stats.max, datetime):
            return None
        found.append((stats.min, stats.max, meta.row_group(group).num_rows))
    return found


def page_search(con: duckdb.DuckDBPyConnection, sql: str, params: dict, words: list[str], rows: dict[str, int],
                page: tuple[int, int], following: list[tuple[str, int, bool]], positions: bool,
                one_row_per_hit: bool) -> pa.Table:
    """A page (limit, offset) of the search: the leading word's first index rows in time order, as many as the
    page needs with room for those other words or the phrase leave out, more if too few were kept.
    `positions`: the lead rows bring their words' positions along, for the phrase (every index has them)."""
    limit, offset = page
    wanted_rows = offset + limit
    taken = wanted_rows + wanted_rows // 4 + 100  # room for items found by two words of the index
    for word in words[1:]:  # the share of items holding each further word (a third at least: the loop corrects)
        taken = int(taken / max(item_share(con, rows[word]), 1 / 3))
    if rows[words[0]] <= max(4 * taken, RARE):  # a rare word: all its hits at once (a rare phrase checked once)
        taken = max(taken, 2 * rows[words[0]] + 100)
    while True:
        until = lead_window(con, params.get("year"), taken, rows[words[0]])
        con.execute("SET late_materialization_max_rows = 0")  # hits are narrow columns: one scan is cheaper
        hits, exhausted = page_hits(con, len(words), params, taken, positions=positions, until=until)
        con.execute(f"SET late_materialization_max_rows = {LATE_MATERIALIZATION}")
        hits = distinct_hits(phrase_filter(con, hits, following, lead=words[0]))
        found, counted = page_of(con, sql, params, hits, limit, offset, one_row_per_hit)
        if counted >= wanted_rows or exhausted:  # enough, or every hit taken
            return found
        # some hits lacked another word, were an item's second word, an older capture's, or failed the phrase:
        # take as many more as this yield says are needed (a rare phrase: every hit at once), at least half more
        taken = max(taken * 3 // 2, taken * wanted_rows * 5 // (4 * max(counted, 1)))

