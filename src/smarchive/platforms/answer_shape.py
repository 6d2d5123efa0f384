"""The shape of an answer an adapter did not understand, in words short enough for a warning.

A platform change shows as an answer of a known item-carrying URL that yields nothing, or as an entity that
looks like an item but lacks what the reader relies on. Naming its key paths says what changed.
"""

from __future__ import annotations

MAX_PATHS = 12


def key_paths(value: object, depth: int = 3, limit: int = MAX_PATHS) -> str:
    """`data.node.comments, data.node.id, …`: the first key paths of a JSON value, `[]` for list items."""
    paths: list[str] = []
    _collect(value, "", depth, paths, limit)
    shown = ", ".join(paths[:limit])
    return shown + (", …" if len(paths) > limit else "") if shown else type(value).__name__


def _collect(value: object, prefix: str, depth: int, paths: list[str], limit: int) -> None:
    if len(paths) > limit:
        return
    if isinstance(value, list) and value:
        _collect(value[0], prefix + "[]", depth, paths, limit)
        return
    if not isinstance(value, dict) or depth == 0 or not value:
        if prefix:
            paths.append(prefix)
        return
    for key, child in value.items():
        _collect(child, f"{prefix}.{key}" if prefix else str(key), depth - 1, paths, limit)
