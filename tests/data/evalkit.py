"""The checks shared by the validators of the labelled evaluation sets (eval3, eval6 to eval10).

Each `evalN_validate.py` beside this file holds only its set's settings in an `EvalSet` (file names and id
prefixes, the older sets its texts must not be copied from, years, voices and accounts where they differ,
minimum counts, any extra check of its own) and calls `run`. This module holds what they share: the label
policy, the parent types, the reading and checking of each line, the thread checks, the duplicate-text checks
and the printing of the counts, plus optional checks a set can switch on (the personnummer check).

The label policy is written out here from eval3_README.md rather than read from the retention package, so
that writing or checking eval7 and later never needs anything under `src/smarchive/retention/`. Only eval3's
first rules (kept for eval3 and eval6) read the ruleset's category list, as eval3's validator always did.

Two generations of rules are kept, each exactly as its validators had it, so that no set's verdict changes:
`first_rules` (eval3, eval6) and the stricter `rules` (eval7 on).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DATA = Path(__file__).parent
RULESET = DATA.parents[1] / "src" / "smarchive" / "retention" / "rules" / "ruleset.toml"
KEYS = ["id", "platform", "account", "item_type", "author_is_account", "text", "published_at", "parent_id",
        "expected", "reason", "voice"]
EXPECTED_KEYS = ["category", "register", "remove"]
# The label policy (eval3_README.md): what register / remove mean for each category.
POLICY = {
    "own": (False, False), "minor": (False, False), "complaint": (True, False),
    "ongoing-case": (True, False), "initiates-case": (True, False), "offensive": (True, True),
    "confidential": (True, True), "criminal": (True, True), "political": (False, True),
    "commercial": (False, True),
}
# What an item's parent must be; a post has none.
PARENT_TYPE = {"post": None, "comment": "post", "reply": "comment"}
STOCKHOLM = ZoneInfo("Europe/Stockholm")
# The voice vocabulary of eval6 and later (a row's voice is a comma-separated list of these).
VOICES = frozenset({
    "plain", "formal", "emoji", "teen", "elderly", "dialect", "typos", "no-punctuation", "caps", "irony",
    "quote-of-other", "long-rant", "odd-numbers", "english-mix", "arabic-mix", "somali-mix", "tigrinya-mix", "spam",
})
# The accounts eval7 and later were written on; eval6 and eval9 say how theirs differ.
ACCOUNTS = frozenset({
    ("facebook", "orebrokommun"), ("facebook", "orebrokommunteckensprak"), ("instagram", "orebrokommun"),
    ("instagram", "tborebro"), ("youtube", "orebrokommun"), ("linkedin", "orebrokommun"),
})
# The first labelled sets, older than every eval set: no eval set may copy a text from them.
FIRST_SETS = ("labelled_items.jsonl", "heldout_items.jsonl", "heldout2_items.jsonl")
# The briefs of eval7 and later ask for at least this many items of these categories in each half.
BRIEF_MINIMUM = {"criminal": 8, "confidential": 8}
# A personnummer typed as YYMMDD, optional dash or space, NNNN (the only forms eval10 writes).
PERSONNUMMER = re.compile(r"(?<![\d-])(\d{6})[- ]?(\d{4})(?![\d-])")

Row = dict[str, Any]


@dataclass(frozen=True)
class Line:
    """One row of a half, with what its checks need besides the row itself."""

    row: Row
    n: int  # its line number, which its id must carry
    prefix: str  # the half's id prefix
    earlier: dict[str, Row]  # the rows before it, by id: a parent must come before its children
    spec: EvalSet


RowCheck = Callable[[Line], list[str]]
Reader = Callable[[Path, str, "EvalSet"], tuple[list[Row], list[str]]]


@dataclass(frozen=True)
class Rules:
    """How a half is read, and the checks each of its rows gets, in the order their problems print."""

    read: Reader
    checks: tuple[RowCheck, ...]


@dataclass(frozen=True)
class EvalSet:
    """One set's settings: everything its validator does not share with the others."""

    halves: Mapping[str, str]  # file name -> id prefix, in the order of the table's columns
    older: tuple[str, ...]  # files whose texts this set must not copy
    years: range  # the years (in Stockholm) its items are published in
    rules: Rules
    voices: frozenset[str] = VOICES
    accounts: frozenset[tuple[str, str]] = ACCOUNTS
    min_per_half: Mapping[str, int] = field(default_factory=dict)  # category -> fewest items in each half
    threads: bool = False  # check time order and platform within threads, print a line per half (eval8 on)
    half_note: Callable[[list[Row]], str] | None = None  # appended to each half's line
    print_voices: bool = True  # print how often each voice was used (eval7 on)
    data: Path = DATA  # where the files are; a scratch copy can be checked elsewhere


# --- one row ---------------------------------------------------------------------------------------------

def id_problems(line: Line) -> list[str]:
    """Ids are unique and numbered by line: `<prefix>0001` on the first line."""
    problems = []
    if line.row["id"] in line.earlier:
        problems.append("duplicate id")
    if line.row["id"] != f"{line.prefix}{line.n:04d}":
        problems.append("id out of sequence")
    return problems


def _policy_problems(expected: dict, categories: Collection[str]) -> list[str]:
    if expected.get("category") not in categories or expected["category"] not in POLICY:
        return [f"unknown category {expected.get('category')}"]
    if (expected.get("register"), expected.get("remove")) != POLICY[expected["category"]]:
        return ["register/remove do not follow the label policy"]
    return []


def label_problems(line: Line) -> list[str]:
    """`expected` holds exactly category, register and remove, and register/remove follow the policy."""
    expected = line.row["expected"]
    if not isinstance(expected, dict) or list(expected) != EXPECTED_KEYS:
        return [f"expected has keys {list(expected) if isinstance(expected, dict) else expected}"]
    return _policy_problems(expected, POLICY)


def empty_problems(line: Line) -> list[str]:
    return [f"empty {key}" for key in ("text", "reason", "voice")
            if not isinstance(line.row[key], str) or not line.row[key].strip()]


def voice_problems(line: Line) -> list[str]:
    if set(line.row["voice"].split(",")) - line.spec.voices:
        return [f"voice outside the vocabulary: {line.row['voice']}"]
    return []


def account_problems(line: Line) -> list[str]:
    if (line.row["platform"], line.row["account"]) not in line.spec.accounts:
        return [f"unknown account {line.row['platform']}/{line.row['account']}"]
    return []


def _published(row: Row) -> datetime:
    return datetime.fromisoformat(row["published_at"])


def _offset_problems(when: datetime) -> list[str]:
    # A fixed offset that is not Stockholm's at that moment means the time was written in the wrong zone.
    if when.tzinfo is None or when.utcoffset() != when.astimezone(STOCKHOLM).utcoffset():
        return ["offset is not Europe/Stockholm's"]
    return []


def _year_problems(when: datetime, years: range) -> list[str]:
    if when.astimezone(STOCKHOLM).year not in years:
        return [f"not in {years.start}-{years.stop - 1}"]
    return []


def date_problems(line: Line) -> list[str]:
    """The offset is Stockholm's and, if it is, the year is one of the set's."""
    when = _published(line.row)
    return _offset_problems(when) or _year_problems(when, line.spec.years)


def _parent_problems(line: Line, strict: bool) -> list[str]:
    # Without strict (eval3's first rules) an unknown item_type is reported as a missing parent, and a
    # parent on another account passes.
    row = line.row
    want = PARENT_TYPE.get(row["item_type"], "?")
    parent = line.earlier.get(row["parent_id"]) if row["parent_id"] else None
    if strict and want == "?":
        return [f"unknown item_type {row['item_type']}"]
    if want is None and row["parent_id"] is not None:
        return ["a post with a parent"]
    if want is not None and (parent is None or parent["item_type"] != want):
        return [f"parent {row['parent_id']} missing, later in the file or not a {want}"]
    if parent is None:
        return []
    if strict and (parent["platform"], parent["account"]) != (row["platform"], row["account"]):
        return ["parent on another account"]
    if _published(parent) > _published(row):
        return ["published before its parent"]
    return []


def parent_problems(line: Line) -> list[str]:
    """A comment's parent is a post, a reply's a comment: earlier in the file, same account, not newer."""
    return _parent_problems(line, strict=True)


def own_problems(line: Line) -> list[str]:
    """The account's own items, and only they, are labelled own."""
    expected = line.row["expected"]
    own = isinstance(expected, dict) and expected.get("category") == "own"
    if line.row["author_is_account"] is not own:
        return ["author_is_account disagrees with category own"]
    return []


def reason_problems(line: Line) -> list[str]:
    """The reason ends with the deciding guideline section in brackets (eval8 on)."""
    reason = line.row["reason"]
    if not reason.rstrip().endswith(")") or "(" not in reason:
        return ["reason does not name the deciding guideline section in brackets"]
    return []


def luhn_ok(ten: str) -> bool:
    """The Swedish personnummer check digit: Luhn over the ten digits YYMMDDNNNC."""
    total = 0
    for i, c in enumerate(ten):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return total % 10 == 0


def personnummer_problems(line: Line) -> list[str]:
    """Every personnummer-shaped number in the text is a real date with a valid check digit, and an item
    carrying one is confidential or criminal (an identity number is removed whoever wrote it). eval10 on."""
    row, problems = line.row, []
    for m in PERSONNUMMER.finditer(row["text"]):
        try:
            datetime.strptime(m.group(1), "%y%m%d")
        except ValueError:
            problems.append(f"personnummer-like {m.group(0)!r} is not a date")
            continue
        if not luhn_ok(m.group(1) + m.group(2)):
            problems.append(f"personnummer {m.group(0)!r} has a wrong check digit")
        if row["expected"]["category"] not in ("confidential", "criminal"):
            problems.append(f"personnummer {m.group(0)!r} in a {row['expected']['category']} item")
    return problems


# --- eval3's first rules, kept as they were for eval3 and eval6 ------------------------------------------

@cache
def ruleset_categories() -> set[str]:
    """The retention ruleset's categories: eval3's rules also require a category to be one of them."""
    return set(tomllib.loads(RULESET.read_text(encoding="utf-8"))["categories"])


def first_label_problems(line: Line) -> list[str]:
    return _policy_problems(line.row["expected"], ruleset_categories())


def first_empty_problems(line: Line) -> list[str]:
    if not all(line.row[key].strip() for key in ("text", "reason", "voice")):
        return ["empty text, reason or voice"]
    return []


def first_date_problems(line: Line) -> list[str]:
    """As date_problems, but the year is checked even when the offset is wrong."""
    when = _published(line.row)
    return _offset_problems(when) + _year_problems(when, line.spec.years)


def first_parent_problems(line: Line) -> list[str]:
    return _parent_problems(line, strict=False)


def first_own_problems(line: Line) -> list[str]:
    # Compared with != rather than `is not`: a 1 or 0 passes for true or false here.
    if line.row["author_is_account"] != (line.row["expected"].get("category") == "own"):
        return ["author_is_account disagrees with category own"]
    return []


# --- reading a half --------------------------------------------------------------------------------------

def _json_lines(path: Path, problems: list[str]) -> Iterator[tuple[int, Any]]:
    """Each line parsed, with its number from 1; a line that is not JSON is added to problems instead."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{n}: not JSON ({exc})")


def _row_problems(line: Line) -> list[str]:
    return [problem for check in line.spec.rules.checks for problem in check(line)]


def read_half(path: Path, prefix: str, spec: EvalSet) -> tuple[list[Row], list[str]]:
    """The rows of one half and the problems of each line, in file order; a row with the wrong keys is
    reported and left out."""
    rows: list[Row] = []
    problems: list[str] = []
    earlier: dict[str, Row] = {}
    for n, row in _json_lines(path, problems):
        if list(row) != KEYS:
            problems.append(f"{path.name}:{n}: keys {list(row)}")
            continue
        problems += [f"{path.name}:{n} {row['id']}: {p}" for p in _row_problems(Line(row, n, prefix, earlier, spec))]
        earlier[row["id"]] = row
        rows.append(row)
    return rows, problems


def read_half_first(path: Path, prefix: str, spec: EvalSet) -> tuple[list[Row], list[str]]:
    """eval3's reading: lines that are not JSON are reported first and dropped, the rest numbered as they
    remain; a row with the wrong keys is reported but still counted."""
    problems: list[str] = []
    rows = [row for _, row in _json_lines(path, problems)]
    earlier: dict[str, Row] = {}
    for n, row in enumerate(rows, 1):
        where = f"{path.name}:{n} {row.get('id')}"
        if list(row) != KEYS:
            problems.append(f"{where}: keys {list(row)}")
            continue
        problems += [f"{where}: {p}" for p in _row_problems(Line(row, n, prefix, earlier, spec))]
        earlier[row["id"]] = row
    return rows, problems


def first_rules(*extra: RowCheck) -> Rules:
    """eval3's rules (eval3, eval6); extra checks run after the dates, where eval6's voice and account ran."""
    return Rules(read_half_first, (id_problems, first_label_problems, first_empty_problems, first_date_problems,
                                   *extra, first_parent_problems, first_own_problems))


def rules(*extra: RowCheck) -> Rules:
    """The stricter rules of eval7 and later; extra checks run last."""
    return Rules(read_half, (id_problems, label_problems, empty_problems, voice_problems, account_problems,
                             date_problems, parent_problems, own_problems, *extra))


# --- a whole set -----------------------------------------------------------------------------------------

def thread_problems(rows: list[Row], name: str) -> list[str]:
    """Within a thread (a post with its comments and replies) the items are in time order, file order, and
    on the post's platform."""
    problems, root, last = [], {}, {}
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        top = r["id"] if r["parent_id"] is None else root.get(r["parent_id"])
        if top is None:
            continue  # already reported as a missing parent
        root[r["id"]] = top
        when = _published(r)
        if top in last and when < last[top]:
            problems.append(f"{name} {r['id']}: older than the item before it in thread {top}")
        last[top] = when
        if by_id[top]["platform"] != r["platform"]:
            problems.append(f"{name} {r['id']}: thread {top} on another platform")
    return problems


def copy_problems(halves: Mapping[str, list[Row]], spec: EvalSet) -> list[str]:
    """No longer text twice in the set or copied from an older set. A thread lives in one half (parents
    resolve within the file), so a text in both halves is a copy, not a split thread."""
    older = {json.loads(line)["text"] for name in spec.older for line in (spec.data / name).open(encoding="utf-8")}
    texts = Counter(r["text"] for rows in halves.values() for r in rows)
    # Reactions ("👍", "Tack!") repeat everywhere; a longer text found twice or in an older set is a copy.
    problems = [f"text twice in the set: {t[:60]!r}" for t, k in texts.items() if k > 1 and len(t.split()) > 3]
    problems += [f"text also in an older set: {t[:60]!r}" for t in texts if t in older and len(t.split()) > 3]
    return problems


def _categories(rows: list[Row]) -> Counter[str]:
    return Counter(r["expected"]["category"] for r in rows)


def minimum_problems(halves: Mapping[str, list[Row]], minimum: Mapping[str, int]) -> list[str]:
    if not minimum:
        return []  # nothing to count, and eval3's rows are only counted once their problems are printed
    problems = []
    for name, rows in halves.items():
        counts = _categories(rows)
        problems += [f"{name}: only {counts[c]} {c} items (at least {k} wanted)"
                     for c, k in minimum.items() if counts[c] < k]
    return problems


def print_table(halves: Mapping[str, list[Row]], counts: Mapping[str, Counter[str]]) -> None:
    """Items per category (in the policy's order) and half, with totals."""
    names = list(halves)
    print(f"{'category':16}" + "".join(f"{n.removesuffix('.jsonl'):>14}" for n in names) + f"{'total':>8}")
    for cat in POLICY:
        row = [counts[n][cat] for n in names]
        print(f"{cat:16}" + "".join(f"{v:>14}" for v in row) + f"{sum(row):>8}")
    sizes = [len(halves[n]) for n in names]
    print(f"{'all':16}" + "".join(f"{v:>14}" for v in sizes) + f"{sum(sizes):>8}")


def print_threads(halves: Mapping[str, list[Row]], counts: Mapping[str, Counter[str]],
                  note: Callable[[list[Row]], str] | None) -> None:
    """A line per half: threads, comments, replies, own and uncertain items, and the set's own note."""
    for name, rows in halves.items():
        types = Counter(r["item_type"] for r in rows)
        visitor = sum(1 for r in rows if r["item_type"] == "post" and not r["author_is_account"])
        uncertain = sum(1 for r in rows if "Uncertain" in r["reason"])
        print(f"{name}: {types['post']} threads ({visitor} visitor posts), {types['comment']} comments, "
              f"{types['reply']} replies; {counts[name]['own']} own; {uncertain} uncertain"
              + (f"; {note(rows)}" if note else ""))


def print_voices(halves: Mapping[str, list[Row]], vocabulary: frozenset[str]) -> None:
    voices = Counter(v for rows in halves.values() for r in rows for v in r["voice"].split(","))
    print("voices:", ", ".join(f"{v} {voices[v]}" for v in sorted(vocabulary)))


def run(spec: EvalSet) -> int:
    """Check every half of one set, print each problem and then the counts; 1 if there was a problem."""
    halves: dict[str, list[Row]] = {}
    problems: list[str] = []
    for name, prefix in spec.halves.items():
        halves[name], found = spec.rules.read(spec.data / name, prefix, spec)
        problems += found
        if spec.threads:
            problems += thread_problems(halves[name], name)
    problems += copy_problems(halves, spec)
    problems += minimum_problems(halves, spec.min_per_half)
    for problem in problems:
        print("PROBLEM", problem)
    counts = {name: _categories(rows) for name, rows in halves.items()}
    print_table(halves, counts)
    if spec.threads:
        print_threads(halves, counts, spec.half_note)
    if spec.print_voices:
        print_voices(halves, spec.voices)
    return 1 if problems else 0
