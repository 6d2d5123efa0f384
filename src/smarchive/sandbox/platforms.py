"""The sandbox's platforms: one module each, registered here.

A platform module provides:
    build(world, rng)          add its accounts, items and media to the World (deterministic from rng)
    handle(world, request)     answer a request whose path starts with /<platform>/
    permalink(item)            the item's path relative to the sandbox root (used by the truth)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module
from types import ModuleType

from smarchive.model import platform_table

# URL prefix (a platform of smarchive.model.PLATFORMS) -> module. Order is build order.
MODULES = platform_table({
    "facebook": "smarchive.sandbox.facebook",
    "linkedin": "smarchive.sandbox.linkedin",
    "instagram": "smarchive.sandbox.instagram",
    "youtube": "smarchive.sandbox.youtube",
    "podcast": "smarchive.sandbox.podcast",
    "web": "smarchive.sandbox.web_pages",
}, "smarchive.sandbox.platforms.MODULES")


def module(platform: str) -> ModuleType:
    return import_module(MODULES[platform])


def builders() -> Iterator[tuple[str, Callable]]:
    for name in MODULES:
        yield name, module(name).build


def handler(platform: str) -> Callable | None:
    return module(platform).handle if platform in MODULES else None


def permalink_of(item) -> str:  # noqa: ANN001 (WorldItem; avoids an import cycle)
    return module(item.platform).permalink(item)
