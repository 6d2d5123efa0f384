"""The saved search (archive/search.py): every item with the words, pages that add up to the whole result, a
phrase as written, searches by row number and by key agreeing, and what a search could not read said."""
from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from smarchive.archive import search
from smarchive.archive.manifest import item_files, write_items, write_items_file, write_terms
from smarchive.archive.query import connect, run_query, saved_query
from smarchive.archive.sql import same_columns


def smarchive(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarchive", *args], capture_output=True, text=True, timeout=120)



def words_of(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W_]+", text.lower()) if len(w) >= 2}


def expected_search(items: list[dict], words: list[str], phrase: str | None = None) -> list[str]:
    """What the search must find, worked out the slow way: every word begins a word of the text."""
    return [i["item_id"] for i in items
            if all(any(w.startswith(q) for w in words_of(i["text"])) for q in words)
            and (phrase is None or phrase.lower() in i["text"].lower())]


@pytest.fixture(scope="module")
def all_items(sandbox_capture) -> list[dict]:
    return run_query(sandbox_capture.archive, "SELECT item_id, text FROM items "
                     "ORDER BY published_at, item_id, platform").to_pylist()


def test_search_finds_every_item_with_the_words(sandbox_capture, all_items):
    archive = sandbox_capture.archive
    post = next(i["text"] for i in all_items if len(words_of(i["text"])) > 5)
    long_words = sorted(words_of(post), key=len, reverse=True)
    checks = [
        (long_words[0].upper(), [long_words[0]], None),  # case-insensitive
        (long_words[0][:4], [long_words[0][:4]], None),  # a word's beginning finds the whole word
        (f"{long_words[0]} {long_words[1]}", long_words[:2], None),  # every word, anywhere in the text
        (f'"{post[:30]}"', sorted(words_of(post[:30])), post[:30]),  # a phrase, as written
        ("hej", ["hej"], None), ("zzzzqqq", ["zzzzqqq"], None),
    ]
    for text, words, phrase in checks:
        found = run_query(archive, saved_query("search"), {"year": None, "text": text}).column("item_id")
        assert found.to_pylist() == expected_search(all_items, words, phrase), text
    assert run_query(archive, saved_query("search"), {"year": None, "text": long_words[0]}).num_rows > 0


def test_pages_put_together_are_the_whole_result(sandbox_capture):
    archive = sandbox_capture.archive
    for name, params in (("register-worklist", {"year": 2024}), ("cull-candidates", {"year": None}),
                         ("search", {"year": None, "text": "på"})):
        whole = run_query(archive, saved_query(name), params).column("item_id").to_pylist()
        assert len(whole) > 3, name
        pages = [run_query(archive, saved_query(name), params, limit=3, offset=o).column("item_id").to_pylist()
                 for o in range(0, len(whole) + 3, 3)]
        assert all(len(p) == 3 for p in pages[:len(whole) // 3]) and pages[-1] == []
        assert [i for p in pages for i in p] == whole, name


def test_reindex_rebuilds_an_old_or_lost_index(sandbox_capture, tmp_path):
    archive = tmp_path / "archive"
    shutil.copytree(sandbox_capture.archive / "manifest", archive / "manifest")
    before = {p.relative_to(archive): pq.read_table(p) for p in sorted((archive / "manifest").glob(
        "[st]*/**/*.parquet"))}
    assert any("terms" in str(p) for p in before) and any("summaries" in str(p) for p in before)
    for path in before:  # an index from an older smarchive: no run_id, no published_at; summaries lost
        if path.parts[1] == "terms":
            pq.write_table(before[path].select(["term", "platform", "item_id"]), archive / path)
        else:
            (archive / path).unlink()
    search = ["query", "--archive", str(archive), "--saved", "search", "på"]
    r = smarchive(*search)
    assert r.returncode == 2 and "smarchive reindex" in r.stderr
    r = smarchive("reindex", "--archive", str(archive))
    assert r.returncode == 0, r.stderr
    for path, table in before.items():
        assert pq.read_table(archive / path).equals(table), path
    assert smarchive(*search).returncode == 0


def search_pages(archive, text: str) -> list[str]:
    """Every item a search finds, page by page (3 rows a page), then the whole result: one list of ids each."""
    found = []
    for offset in range(0, 30, 3):
        found += run_query(archive, saved_query("search"), {"year": None, "text": text}, limit=3,
                           offset=offset).column("item_id").to_pylist()
    return found + ["--"] + run_query(archive, saved_query("search"), {"year": None, "text": text}
                                      ).column("item_id").to_pylist()


def test_search_by_row_number_old_index_and_later_run_agree(sandbox_capture, all_items, tmp_path):
    archive = tmp_path / "archive"
    shutil.copytree(sandbox_capture.archive / "manifest", archive / "manifest")
    post = next(i["text"] for i in all_items if len(words_of(i["text"])) > 5)
    texts = ["på", sorted(words_of(post), key=len)[-1], f'"{post[:20]}"', "och på"]
    by_row = {t: search_pages(archive, t) for t in texts}
    assert all(by_row[t] and by_row[t][0] != "--" for t in texts)
    terms = sorted((archive / "manifest" / "terms").rglob("*.parquet"))
    assert all("item_row" in pq.read_schema(p).names for p in terms)
    originals = {p: pq.read_table(p) for p in terms}
    for path, table in originals.items():  # an index written before item_row: joined on the key instead
        pq.write_table(table.drop_columns(["item_row"]), path)
    assert {t: search_pages(archive, t) for t in texts} == by_row
    for path, table in originals.items():  # an index out of step with its items file: nothing wrong is found
        shifted = pc.add(table.column("item_row"), 1)
        pq.write_table(table.set_column(table.schema.get_field_index("item_row"), "item_row", shifted), path)
    for t in texts:
        assert set(search_pages(archive, t)) <= set(by_row[t])
    # a later run of the same partition, where one item no longer holds the word: the latest capture decides
    for path in originals:
        pq.write_table(originals[path], path)
    items_file = item_files(archive)[0]
    table = pq.read_table(items_file)
    texts_now = table.column("text").to_pylist()
    changed = next(n for n, t in enumerate(texts_now) if "på" in words_of(t or ""))
    texts_now[changed] = "ändrad text"
    later = table.set_column(table.schema.get_field_index("text"), "text", pa.array(texts_now, pa.string()))
    later = later.set_column(later.schema.get_field_index("run_id"), "run_id",
                             pa.array(["29990101T000000Z-later"] * later.num_rows, pa.string()))
    write_items_file(later, items_file.with_name("run-29990101T000000Z-later.parquet"))
    now = run_query(archive, "SELECT item_id, text FROM items ORDER BY published_at, item_id, platform").to_pylist()
    found = search_pages(archive, "på")
    assert found[found.index("--") + 1:] == expected_search(now, ["på"]) and table.column("item_id")[changed].as_py() \
        not in found


def test_files_of_two_generations_are_read_together(sandbox_capture, all_items, tmp_path, monkeypatch):
    """Files written before a column existed beside files with it (a later smarchive wrote some partitions):
    every file is read, each column by its name, and a search finds what it found before. Files of one schema
    are read without reconciling them (faster); the first file here lacks the column, which read by its
    columns alone would drop from every other file without a word."""
    archive = tmp_path / "archive"
    rows = [r for f in item_files(sandbox_capture.archive) for r in pq.read_table(f).to_pylist()]
    for row in rows[::2]:  # two partitions: two items files, two index files
        row["account"] += "-b"
    write_items(archive, rows, rows[0]["run_id"])
    post = next(i["text"] for i in all_items if len(words_of(i["text"])) > 5)
    texts = ["på", f'"{post[:20]}"', "och på"]
    before = {t: search_pages(archive, t) for t in texts}
    assert all(len(before[t]) > 2 for t in texts)
    items, terms = item_files(archive), sorted((archive / "manifest" / "terms").rglob("*.parquet"))
    con = connect(archive)
    assert same_columns(con, items) and same_columns(con, terms)
    rows = con.sql("SELECT count(*), count(time_precision) FROM items").fetchall()[0]
    assert rows[0] == rows[1] == len(all_items)
    older = pq.read_table(items[0])
    pq.write_table(older.drop_columns(["time_precision"]), items[0])
    pq.write_table(pq.read_table(terms[0]).drop_columns(["positions"]), terms[0])
    con = connect(archive)
    assert not same_columns(con, items) and not same_columns(con, terms)
    assert con.sql("SELECT count(*), count(time_precision) FROM items").fetchall()[0] == (
        len(all_items), len(all_items) - older.num_rows)
    assert {t: search_pages(archive, t) for t in texts} == before
    # with the older file's index rebuilt (searched by row number again), a page's rows, read by number from
    # both files in one scan, keep the column of the file that has it
    write_terms(items[0])
    assert not search.index_gaps(archive, items, terms)[1]
    reads = []
    rows_read = search._rows_read
    monkeypatch.setattr(search, "_rows_read", lambda *args: reads.append(rows_read(*args)) or reads[-1])
    sql = "SELECT platform, item_id, time_precision FROM search_items ORDER BY published_at, item_id, platform"
    shown = [r for offset in range(0, 30, 3) for r in run_query(archive, sql, {"year": None, "text": "på"},
                                                                 limit=3, offset=offset).to_pylist()]
    kept = {(r["platform"], r["item_id"]): r["time_precision"]
            for r in con.sql("SELECT platform, item_id, time_precision FROM items").to_arrow_table().to_pylist()}
    assert {r["time_precision"] for r in shown} == {None, "second"}
    assert all(r["time_precision"] == kept[(r["platform"], r["item_id"])] for r in shown)
    assert any(str(items[0]) in sql and str(items[1]) in sql for found in reads for sql in found)

PHRASE_TEXTS = [
    "Snöröjningen vid skolan var sen",       # p1: the phrase as written
    "Vid skolan dröjde snöröjningen",        # p2: both words, not one after the other
    "Snöröjningen, vid skolan",              # p3: one after the other, but not as written (a comma between)
    "vid vid snöröjningen vid torget",       # p4: found where the words meet, not at the first 'vid'
    "Xsnöröjningen vid torget; snöröjningen", # p5: the phrase only inside a longer word
    "Snöröjningen i parken vid skolan",      # p6: a one-letter word (not in the index) inside a phrase
    "snöröjningenvid skolan",                # p7: one word, not two
]


@pytest.fixture(scope="module")
def phrase_archive(tmp_path_factory):
    from datetime import UTC, datetime

    archive = tmp_path_factory.mktemp("phrases")
    rows = [{"item_id": f"p{n}", "platform": "facebook", "account": "a", "year": 2024, "item_type": "post",
             "published_at": datetime(2024, 5, n, tzinfo=UTC), "text": text, "run_id": "r1",
             "tag_category": "own", "tag_retention": "preserve", "tag_access": "open", "tag_rule_ids": ["ORE-001"],
             "media": [], "media_sha256": [], "tag_actions": [], "tag_evidence": []}
            for n, text in enumerate(PHRASE_TEXTS, start=1)]
    write_items(archive, rows, "r1")
    return archive


@pytest.mark.parametrize("phrase, expected", [
    ('"snöröjningen vid"', ["p1", "p4"]),
    ('"Snöröjningen vid sko"', ["p1"]),           # the last word may go on
    ('"snöröjningen i parken"', ["p6"]),
    ('"vid torget"', ["p4", "p5"]),
    ('"snöröjningen, vid"', ["p3"]),
    ('"VID vid"', ["p4"]),                        # a word twice; case does not matter
])
def test_a_phrase_is_its_words_one_after_another_as_written(phrase_archive, phrase, expected):
    terms = sorted((phrase_archive / "manifest" / "terms").rglob("*.parquet"))
    assert terms and all("positions" in pq.read_schema(p).names for p in terms)
    whole = run_query(phrase_archive, saved_query("search"), {"year": None, "text": phrase}).column("item_id")
    paged = [i for offset in range(0, 9, 2) for i in run_query(
        phrase_archive, saved_query("search"), {"year": None, "text": phrase}, limit=2, offset=offset
    ).column("item_id").to_pylist()]
    assert whole.to_pylist() == paged == expected


def test_an_index_without_positions_finds_the_phrase_on_the_text(phrase_archive, tmp_path):
    archive = tmp_path / "archive"
    shutil.copytree(phrase_archive / "manifest", archive / "manifest")
    for path in (archive / "manifest" / "terms").rglob("*.parquet"):  # written before positions
        pq.write_table(pq.read_table(path).drop_columns(["positions"]), path)
    found = run_query(archive, saved_query("search"), {"year": None, "text": '"snöröjningen vid"'})
    # without positions the phrase is only matched on the text: inside a longer word too (p5)
    assert found.column("item_id").to_pylist() == ["p1", "p4", "p5"]


def test_items_at_one_moment_page_in_hit_order(tmp_path, monkeypatch):
    """Dates without a time of day put many items at one moment, in two index files: pages cut through such
    moments and give the items in (time, item id) order, with one word and with two. The pages take the index
    rows of the word by time, as for a common word (RARE 0), so a page's rows end inside a moment."""
    from datetime import UTC, datetime

    monkeypatch.setattr(search, "RARE", 0)
    rng = random.Random(7)
    rows = [{"item_id": f"{rng.randrange(10**6):06d}-{account}{n}", "platform": platform, "account": account,
             "year": 2024, "item_type": "post", "published_at": datetime(2024, 3, 1 + n // 150, tzinfo=UTC),
             "text": "vintern" + (" tack" if n % 2 else ""), "run_id": "r1", "tag_category": "minor",
             "tag_retention": "preserve", "tag_access": "open", "tag_rule_ids": ["ORE-010"], "media": [],
             "media_sha256": [], "tag_actions": [], "tag_evidence": []}
            for account, platform in (("a", "facebook"), ("b", "instagram")) for n in range(400)]
    write_items(tmp_path, rows, "r1")  # one items file and index a partition
    for text in ("vintern", "vintern tack"):
        expected = [r["item_id"] for r in sorted(rows, key=lambda r: (r["published_at"], r["item_id"], r["platform"]))
                    if all(w in r["text"] for w in text.split())]
        params = {"year": None, "text": text}
        assert run_query(tmp_path, saved_query("search"), params).column("item_id").to_pylist() == expected
        for offset in range(0, 400, 13):
            page = run_query(tmp_path, saved_query("search"), params, limit=7, offset=offset)
            assert page.column("item_id").to_pylist() == expected[offset:offset + 7], (text, offset)


def test_a_search_says_what_it_could_not_read(phrase_archive, tmp_path):
    """An items file rewritten after its index was built (a crash between a cull and its index) is still searched
    right, by the items' key, and said; an items file without an index is said on every search, in the result
    and by the CLI."""
    archive = tmp_path / "archive"
    shutil.copytree(phrase_archive / "manifest", archive / "manifest")
    (items_file,) = item_files(archive)
    table = pq.read_table(items_file)
    kept = table.filter(pc.not_equal(table.column("item_id"), "p1"))  # p1 culled, the index not rebuilt
    pq.write_table(kept, items_file)
    # read by the index's row numbers, rows 0, 1, 2, 5, 6 would now be p2, p3, p4, p7 and none: p6 lost
    found = run_query(archive, saved_query("search"), {"year": None, "text": "skolan"})
    assert found.column("item_id").to_pylist() == expected_search(kept.to_pylist(), ["skolan"]) == [
        "p2", "p3", "p6", "p7"]
    gaps = found.schema.metadata[b"smarchive.gaps"].decode()
    assert "manifest/items/year=2024/platform=facebook/account=a/" in gaps and "earlier version" in gaps
    page = run_query(archive, saved_query("search"), {"year": None, "text": "skolan"}, limit=2, offset=2)
    assert page.column("item_id").to_pylist() == ["p6", "p7"]
    for terms_file in (archive / "manifest" / "terms").rglob("*.parquet"):
        terms_file.unlink()
    r = smarchive("query", "--archive", str(archive), "--saved", "search", "snöröjningen")
    assert r.returncode == 0, r.stderr
    assert "warning: manifest/items/year=2024/platform=facebook/account=a/" in r.stderr
    assert "no word index" in r.stderr and "smarchive reindex" in r.stderr
    r = smarchive("query", "--archive", str(archive), "--saved", "search", "--year", "2023", "snöröjningen")
    assert r.returncode == 0 and "warning" not in r.stderr, "another year's gap is not this search's"


def three_accounts(rng: random.Random) -> list[dict]:
    """1 500 items in each of three accounts over 300 days: 'vintern' in half of each account's first 750
    items and a tenth of the rest, 'tack' in 40 %, 'hej' in half."""
    from datetime import UTC, datetime, timedelta

    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [{"item_id": f"{account}{n:04d}", "platform": platform, "account": account, "year": 2024,
             "item_type": "post", "published_at": start + timedelta(hours=rng.randrange(24 * 300)),
             "text": " ".join(w for w, p in (("vintern", 0.5 if n < 750 else 0.1), ("tack", 0.4), ("hej", 0.5))
                              if rng.random() < p) or "annat", "run_id": "r1", "tag_category": "minor",
             "tag_retention": "preserve", "tag_access": "open", "tag_rule_ids": ["ORE-010"], "media": [],
             "media_sha256": [], "tag_actions": [], "tag_evidence": []}
            for account, platform in (("a", "facebook"), ("b", "instagram"), ("c", "youtube")) for n in range(1500)]


@pytest.mark.parametrize("margin", [0.05, 1.5, 50])
def test_pages_through_a_time_window_are_the_pages_of_all(tmp_path, monkeypatch, margin):
    """A page's leading word is first looked for in a time window guessed from the items files' row groups
    (search.lead_window): too short a window (then every row of the word), about right, or every item, the
    pages of one word and of two are the whole result's, in hit order."""
    from smarchive.archive.manifest import ItemFileWriter
    monkeypatch.setattr(search, "RARE", 0)
    monkeypatch.setattr(search, "WINDOW_MARGIN", margin)
    monkeypatch.setattr(ItemFileWriter, "ROW_GROUP", 100)  # row groups of 100 items: windows of a few of them
    windows = []
    guess = search.lead_window
    monkeypatch.setattr(search, "lead_window", lambda *a: windows.append(guess(*a)) or windows[-1])
    rows = three_accounts(random.Random(11))
    write_items(tmp_path, rows, "r1")
    order = sorted(rows, key=lambda r: (r["published_at"], r["item_id"], r["platform"]))
    for text in ("vintern", "vintern tack", "tack vintern hej"):
        expected = [r["item_id"] for r in order if set(text.split()) <= set(r["text"].split())]
        params = {"year": None, "text": text}
        assert run_query(tmp_path, saved_query("search"), params).column("item_id").to_pylist() == expected
        for limit, offset in ((5, 0), (7, 7), (10, 33), (20, 60), (9, len(expected) - 4)):
            page = run_query(tmp_path, saved_query("search"), params, limit=limit, offset=offset)
            assert page.column("item_id").to_pylist() == expected[offset:offset + limit], (text, offset)
    assert any(w is not None for w in windows) == (margin < 50)


def test_a_phrase_led_by_its_rarest_word_as_itself(tmp_path, monkeypatch):
    """A phrase's words but the last are matched as themselves: 'tack' in '"hej tack du"' is rare though many
    words begin with it (tackar, tacksam). The phrase's hits are found from that word's rows, the other words
    read only where it is (search.phrase_hits), and are the items with the words one after another."""
    from datetime import UTC, datetime, timedelta

    monkeypatch.setattr(search, "PHRASE_ALL", 120)  # 'hej', 'tack*' and 'du*' have more rows; 'tack' fewer
    led = []
    spy = search.phrase_hits
    monkeypatch.setattr(search, "phrase_hits", lambda con, words, params, counts: led.append(
        min(counts, key=counts.get)) or spy(con, words, params, counts))
    rng = random.Random(5)
    vocabulary = ["hej", "tackar", "tacksam", "du", "dubbel", "dusch", "vi", "ses", "god", "jul"]
    texts = [" ".join(rng.choice(vocabulary) for _ in range(rng.randrange(3, 9))) for _ in range(600)]
    for n in rng.sample(range(600), 30):  # the rare word itself, in a phrase or not
        words = texts[n].split()
        words.insert(rng.randrange(len(words) + 1), "tack")
        texts[n] = " ".join(words)
    start = datetime(2024, 3, 1, tzinfo=UTC)
    rows = [{"item_id": f"i{n:04d}", "platform": "facebook", "account": "a", "year": 2024, "item_type": "post",
             "published_at": start + timedelta(minutes=7 * n), "text": text, "run_id": "r1",
             "tag_category": "minor", "tag_retention": "preserve", "tag_access": "open",
             "tag_rule_ids": ["ORE-010"], "media": [], "media_sha256": [], "tag_actions": [], "tag_evidence": []}
            for n, text in enumerate(texts)]
    write_items(tmp_path, rows, "r1")

    def has(text: str, phrase: list[str]) -> bool:
        words = text.split()
        return any(words[i:i + len(phrase) - 1] == phrase[:-1] and words[i + len(phrase) - 1].startswith(phrase[-1])
                   for i in range(len(words) - len(phrase) + 1))

    for phrase in ("tack du", "hej tack du", "tack tacksam", "hej tack"):
        expected = [r["item_id"] for r in rows if has(r["text"], phrase.split())]
        params = {"year": None, "text": f'"{phrase}"'}
        assert run_query(tmp_path, saved_query("search"), params).column("item_id").to_pylist() == expected, phrase
        page = run_query(tmp_path, saved_query("search"), params, limit=3, offset=1)
        assert page.column("item_id").to_pylist() == expected[1:4], phrase
        assert led[-1] == "tack", phrase


@pytest.mark.parametrize("phrase_all", [0, 10**6])  # a phrase's hits through pages, or all from the index
def test_a_year_is_searched_in_its_own_index_files(tmp_path, monkeypatch, phrase_all):
    """With --year, the hits come from that year's index files and are read from that year's items files: one
    word, two words and a phrase, whole and in pages, as the items of that year alone give them. (The index
    file went through a page by its number in the list of files, and DuckDB numbered only the files left once
    the year had pruned the others: a phrase of 2024 found nothing, two words read other items' rows.)"""
    from datetime import UTC, datetime, timedelta

    monkeypatch.setattr(search, "RARE", 0)
    monkeypatch.setattr(search, "PHRASE_ALL", phrase_all)
    rng = random.Random(23)
    rows = []
    for year in (2023, 2024):
        for account, platform in (("a", "facebook"), ("b", "instagram")):
            start = datetime(year, 1, 1, tzinfo=UTC)
            rows += [{"item_id": f"{year}{account}{n:03d}", "platform": platform, "account": account, "year": year,
                      "item_type": "post", "published_at": start + timedelta(hours=rng.randrange(24 * 300)),
                      "text": " ".join(rng.choice(["tack", "hej", "vintern", "du", "ses"]) for _ in range(4)),
                      "run_id": "r1", "tag_category": "minor", "tag_retention": "preserve", "tag_access": "open",
                      "tag_rule_ids": ["ORE-010"], "media": [], "media_sha256": [], "tag_actions": [],
                      "tag_evidence": []} for n in range(200)]
    write_items(tmp_path, rows, "r1")
    order = sorted(rows, key=lambda r: (r["published_at"], r["item_id"], r["platform"]))
    for year in (2023, 2024):
        for text in ("vintern", "vintern tack", '"tack hej"'):
            phrase = text.strip('"') if text.startswith('"') else None
            expected = [r["item_id"] for r in order if r["year"] == year
                        and set(text.strip('"').split()) <= set(r["text"].split())
                        and (phrase is None or f" {phrase} " in f" {r['text']} ")]
            params = {"year": year, "text": text}
            found = run_query(tmp_path, saved_query("search"), params).column("item_id").to_pylist()
            assert found == expected and expected, (year, text)
            for limit, offset in ((5, 0), (7, 10)):
                page = run_query(tmp_path, saved_query("search"), params, limit=limit, offset=offset)
                assert page.column("item_id").to_pylist() == expected[offset:offset + limit], (year, text, offset)


def test_rows_read_in_shared_scans_are_only_the_hits(tmp_path, monkeypatch):
    """A page's rows are read by number: files whose hits lie in the same blocks of rows in one scan, which
    reads every member's row numbers from every member (the rows no hit names are dropped by the hits' key),
    and files whose hits lie far apart on their own. Pages and whole results equal the slow way's, with
    blocks small enough that both kinds of read happen."""
    monkeypatch.setattr(search, "ROW_BLOCK", 40)  # 1 500 rows a file: a page's hits in one or two blocks
    reads = []
    rows_read = search._rows_read
    monkeypatch.setattr(search, "_rows_read", lambda *args: reads.append(rows_read(*args)) or reads[-1])
    rows = three_accounts(random.Random(5))
    write_items(tmp_path, rows, "r1")
    order = sorted(rows, key=lambda r: (r["published_at"], r["item_id"], r["platform"]))
    for text in ("hej", "vintern tack"):
        expected = [r["item_id"] for r in order if set(text.split()) <= set(r["text"].split())]
        params = {"year": None, "text": text}
        assert run_query(tmp_path, saved_query("search"), params).column("item_id").to_pylist() == expected
        for limit, offset in ((10, 0), (10, 200), (25, 400)):
            page = run_query(tmp_path, saved_query("search"), params, limit=limit, offset=offset)
            assert page.column("item_id").to_pylist() == expected[offset:offset + limit], (text, offset)
    scans = [sql for found in reads for sql in found]
    assert any("read_parquet([" in sql and "', '" in sql for sql in scans), "no scan of several files"
    assert any("', '" not in sql for sql in scans), "no file read on its own"
