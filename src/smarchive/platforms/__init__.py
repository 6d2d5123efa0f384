"""The platforms: one adapter per platform, all with the small interface in `base.py`.

An adapter knows one platform: how to drive its pages in a recorded browser (`capture`) and how to read
its recorded answers back into items (`extract`). `toolkit` and `jsondata` are what adapters share
(JSON documents in pages, relative times, the year rule). `ADAPTERS` maps every captured platform of
`smarchive.model.PLATFORMS` to its adapter (checked on import). This package imports only the bottom
layer (`smarchive.model`, `smarchive.errors`, `smarchive.config`) and Playwright's types; the stages
(capture, extract) import it, never the other way round.
"""

from __future__ import annotations

from importlib import import_module

from smarchive.model import platform_table
from smarchive.platforms.base import Adapter

# platform name -> "module:Class"; imported on first use so a run loads only what it needs.
ADAPTERS = platform_table({
    "facebook": "smarchive.platforms.facebook:FacebookAdapter",
    "linkedin": "smarchive.platforms.linkedin:LinkedInAdapter",
    "instagram": "smarchive.platforms.instagram:InstagramAdapter",
    "youtube": "smarchive.platforms.youtube:YouTubeAdapter",
    "podcast": "smarchive.platforms.podcast:PodcastAdapter",
    "web": "smarchive.platforms.web:WebAdapter",
}, "smarchive.platforms.ADAPTERS")


def get_adapter(platform: str) -> Adapter | None:
    """The adapter for a platform, or None if smarchive cannot capture it yet."""
    target = ADAPTERS.get(platform)
    if target is None:
        return None
    module, cls = target.split(":")
    return getattr(import_module(module), cls)()
