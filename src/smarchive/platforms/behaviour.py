"""Capture behaviours as data: each adapter's selectors, labels, waits and the URL patterns of the answers that
carry items live in `platforms/<platform>.toml` beside it (like brozzler's behaviours), so that a platform change
is often an edit of data, not of code."""

from __future__ import annotations

import re
import tomllib
from importlib import resources


def load_behaviour(platform: str) -> dict:
    """The behaviour of `platform`: lists become tuples; entries of the `[patterns]` table become compiled regular
    expressions at the top level; `item_url_patterns` becomes a tuple of compiled expressions."""
    text = resources.files("smarchive.platforms").joinpath(f"{platform}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    patterns = data.pop("patterns", {})
    behaviour = {key: tuple(value) if isinstance(value, list) else value for key, value in data.items()}
    behaviour.update({key: re.compile(value) for key, value in patterns.items()})
    behaviour["item_url_patterns"] = tuple(re.compile(p) for p in data.get("item_url_patterns", []))
    return behaviour
