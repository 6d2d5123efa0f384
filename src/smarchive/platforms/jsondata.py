"""Reading the platforms' background JSON defensively: it is large, nested and changes without notice."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar


class Reading(Protocol):
    id: str

    def completeness(self) -> tuple: ...


T = TypeVar("T", bound=Reading)

MAX_DEPTH = 80  # deeper than any real payload; stops pathological or hostile nesting


def walk(value: object, depth: int = 0) -> Iterator[dict]:
    """Every dict in a JSON document, depth-first, bounded against pathological nesting."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from walk(child, depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from walk(child, depth + 1)


def as_dict(value: object) -> dict:
    """The value if it is a JSON object, else an empty one (so lookups chain without checks)."""
    return value if isinstance(value, dict) else {}


def most_complete(found: Iterable[T]) -> dict[str, T]:
    """One reading per item id: the same item is seen in several responses (timeline, permalink,
    "more comments"); the most complete reading wins, on a tie the first recorded."""
    merged: dict[str, T] = {}
    for reading in found:
        current = merged.get(reading.id)
        if current is None or reading.completeness() > current.completeness():
            merged[reading.id] = reading
    return merged
