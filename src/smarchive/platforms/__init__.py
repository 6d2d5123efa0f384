"""One adapter per platform, all with the small interface in base.py."""

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
