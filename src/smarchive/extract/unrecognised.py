"""Answers the adapter did not understand: flagged, so that a platform's change shows on the first run after it.

Two signs, checked during the same pass over the WARC as the extraction (see reader.Watch):
- an answer that an adapter says carries items (its optional `carries_items(response)`, else its optional
  `item_url_patterns`, regular expressions on the URL) that gave no item and holds nothing that even looks
  like one;
- a JSON object in any answer that looks like an item (an id, a text, an author and a time) of the archived
  year but that no extracted item corresponds to.
Each becomes a row of the manifest table `unrecognised` (URL, WARC record id, shape: the object's key paths)
and a run warning; an adapter's own note about the same answer is then left out (`adapter_notes`), so that an
answer is warned about once. Objects of other years (a timeline shows older posts too) are left out, with what
they hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from smarchive.model import STOCKHOLM, CapturedResponse, Item
from smarchive.platforms.toolkit import json_documents, recorded_at, relative_time, response_text

# Key names (lower-case) that make an object look like an item: one of each group.
ID_KEYS = {"id", "pk", "legacy_fbid", "post_id", "postid", "videoid", "commentid", "comment_id", "urn",
           "entityurn", "media_id", "guid", "shortcode", "code", "activity_urn"}
TEXT_KEYS = {"text", "body", "message", "caption", "content", "contenttext", "commentary", "description",
             "title", "edge_media_to_caption", "commenttext"}
AUTHOR_KEYS = {"author", "user", "owner", "actor", "actors", "from", "authortext", "creator", "commenter",
               "ownertext", "author_name", "username"}
TIME_KEYS = {"created_time", "created_at", "creation_time", "taken_at", "taken_at_timestamp", "timestamp",
             "publishedtimetext", "published", "publishedat", "pubdate", "date", "created", "createdat",
             "published_at", "publishedtime", "time"}
SCRIPT = re.compile(r"<script[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
MAX_DEPTH = 60
SHAPE_CHARS = 300
WARNINGS_SHOWN = 10  # per account in the run report; the table holds every one


@dataclass
class Candidate:
    """An item-like object seen in an answer (its values are not kept: only what the check needs)."""

    url: str
    record_id: str
    ids: set[str]
    shape: str


@dataclass
class UnrecognisedCheck:
    """Collects, answer by answer, what the adapter may not have understood; judged once items are known."""

    year: int
    patterns: list[re.Pattern] = field(default_factory=list)
    # the adapter's own judgement, where it has one (Facebook tells GraphQL answers apart by their request)
    carries_items: Callable[[CapturedResponse], bool] | None = None
    candidates: list[Candidate] = field(default_factory=list)
    empty_answers: list[tuple[str, str, str]] = field(default_factory=list)  # (url, record id, shape)

    @classmethod
    def for_adapter(cls, adapter: object, year: int) -> UnrecognisedCheck:
        patterns = getattr(adapter, "item_url_patterns", ()) or ()
        return cls(year, [re.compile(p) for p in patterns], getattr(adapter, "carries_items", None))

    def note(self, response: CapturedResponse) -> None:
        if response.status != 200:
            return
        text = response_text(response)
        if text is None:
            return
        moment = recorded_at(response)
        found = 0
        parsed = list(documents(text))
        for document in parsed:
            for path, obj, of_year in item_like(document, self.year, moment):
                found += 1
                if of_year:
                        self.candidates.append(Candidate(response.url, response.record_id, id_tokens(obj),
                                                     f"{path or '(top)'}: {shape(obj)}"))
        if not parsed and not text.lstrip().startswith("<"):
            return  # not JSON at all: unreadable answers are reported as such (reader.AnswerCheck)
        if not found and self._carries_items(response):
            self.empty_answers.append((response.url, response.record_id,
                                       shape(parsed[0]) if parsed else "(a page without JSON)"))

    def _carries_items(self, response: CapturedResponse) -> bool:
        if self.carries_items is not None:
            return self.carries_items(response)
        return any(p.search(response.url) for p in self.patterns)

    def rows(self, items: list[Item]) -> list[dict]:
        """The rows of the `unrecognised` table: answers with no item, item-like objects not extracted."""
        known = set().union(*(id_tokens({"id": i.id}) for i in items)) if items else set()
        sources = {i.source.record_id for i in items}
        rows = [{"problem": "answer of an item URL gave no item", "url": url, "warc_record_id": record_id,
                 "shape": found_shape} for url, record_id, found_shape in self.empty_answers
                if record_id not in sources]
        seen: set[tuple[str, frozenset[str]]] = set()  # an object shown twice in one answer is flagged once
        for candidate in self.candidates:
            key = (candidate.record_id, frozenset(candidate.ids))
            if key in seen:
                continue
            seen.add(key)
            if not candidate.ids & known:
                rows.append({"problem": "item-like object not extracted", "url": candidate.url,
                             "warc_record_id": candidate.record_id, "shape": candidate.shape})
        return rows


def adapter_notes(notes: list[str], rows: list[dict]) -> list[str]:
    """The adapter's own notes, less those about an answer the rows flag already: one warning per answer."""
    flagged = {row["warc_record_id"] for row in rows if row["warc_record_id"]}
    return [note for note in notes if not any(record_id in note for record_id in flagged)]


def warnings(rows: list[dict]) -> list[str]:
    """Run warnings: one per answer (its problems counted), the first few, then how many more."""
    by_answer: dict[tuple[str, str, str], list[dict]] = {}
    for row in rows:
        by_answer.setdefault((row["problem"], row["url"], row["warc_record_id"]), []).append(row)
    lines = [f"answer not understood ({problem}, {len(found)}x): {url} record {record_id}; shape {found[0]['shape']}"
             for (problem, url, record_id), found in by_answer.items()]
    if len(lines) > WARNINGS_SHOWN:
        lines = lines[:WARNINGS_SHOWN] + [f"... and {len(lines) - WARNINGS_SHOWN} more answers not understood "
                                          "(manifest table `unrecognised`)"]
    return lines


def documents(text: str) -> Iterator[object]:
    """The JSON of an answer: the body itself, or what an HTML page's scripts hold (JSON scripts, and the object
    a script passes to a function, like `__additionalDataLoaded('/p/X/', {...})`)."""
    stripped = text.lstrip()
    if not stripped.startswith("<"):
        yield from json_documents(text)
        return
    decoder = json.JSONDecoder()
    for script in SCRIPT.findall(text):
        parsed = list(json_documents(script))
        if parsed:
            yield from parsed
            continue
        start = script.find("{")
        if start >= 0:
            try:
                yield decoder.raw_decode(script, start)[0]
            except (json.JSONDecodeError, RecursionError):
                continue


def item_like(value: object, year: int, moment: datetime | None, path: str = "",
              depth: int = 0) -> Iterator[tuple[str, dict, bool]]:
    """(path, object, of the year) of every object that looks like an item. Of the year: its time is in `year`, or
    does not tell; what an object of another year holds is not looked into. (A late comment, written the next
    year on a post of this one, is left out too: were it not read, its post's count shows it short; coverage.)"""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, dict):
        if looks_like_item(value):
            found_year = year_of(value, moment)
            if found_year is not None and found_year != year:
                yield path, value, False
                return
            yield path, value, True
        for key, child in value.items():
            yield from item_like(child, year, moment, f"{path}.{key}" if path else str(key), depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from item_like(child, year, moment, f"{path}[]", depth + 1)


def looks_like_item(obj: dict) -> bool:
    keys = {k.lower() for k in obj if obj[k] not in (None, "", [], {})}
    return all(keys & group for group in (ID_KEYS, TEXT_KEYS, AUTHOR_KEYS, TIME_KEYS))


def year_of(obj: dict, moment: datetime | None) -> int | None:
    """The Swedish calendar year of the object's time, if its time says (epoch, ISO date, relative text)."""
    for key, value in obj.items():
        if key.lower() not in TIME_KEYS:
            continue
        when = _moment(value, moment)
        if when is not None:
            return when.astimezone(STOCKHOLM).year
    return None


def _moment(value: object, moment: datetime | None) -> datetime | None:
    if isinstance(value, dict):  # {"simpleText": "för 2 veckor sedan"} or {"runs": [{"text": ...}]}
        value = value.get("simpleText") or "".join(r.get("text", "") for r in value.get("runs", [])
                                                    if isinstance(r, dict))
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value > 0:
        seconds = value / 1000 if value > 10**11 else value  # milliseconds on some platforms
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=STOCKHOLM)
        except ValueError:
            estimate = relative_time(value, moment) if moment else None
            return estimate.at if estimate else None
    return None


def id_tokens(obj: dict) -> set[str]:
    """The object's ids, whole and in their parts (urn:li:activity:123 is also 123; 111_222 is also 222)."""
    tokens: set[str] = set()
    for key, value in obj.items():
        if key.lower() in ID_KEYS and isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value)
            tokens.add(text)
            tokens.update(part for part in re.split(r"[:_/,()]", text) if len(part) >= 4)
    return tokens


def shape(value: object, prefix: str = "", depth: int = 0) -> str:
    """The key paths of an object, two levels deep, e.g. `created_time, body.text, author.name`."""
    if not isinstance(value, dict):
        return type(value).__name__
    paths: list[str] = []
    for key, child in value.items():
        name = f"{prefix}{key}"
        if isinstance(child, dict) and child and depth < 1:
            paths.append(shape(child, name + ".", depth + 1))
        else:
            paths.append(name + ("[]" if isinstance(child, list) else ""))
    text = ", ".join(paths)
    return text if len(text) <= SHAPE_CHARS else text[: SHAPE_CHARS - 1] + "…"
