"""What a perfect capture of a year must find: the sandbox's items of that year, as plain dicts.

Year rule: a post belongs to the year of its publication in Europe/Stockholm local time; its
comments and replies belong to their post's year (a thread is archived with its post, in
context), even when they were written in the next year. So a post published 00:15 on
1 January 2024 in Stockholm (23:15 UTC on 31 December 2023) is a 2024 item, and a comment
written in January 2025 on a post of 31 December 2024 is a 2024 item too.
"""

from __future__ import annotations

from datetime import UTC

from smarchive.sandbox.content import World, WorldItem


def truth(world: World, year: int, platform: str | None = None) -> list[dict]:
    """The items of `year` (optionally one platform), sorted by thread, then time, then id."""
    chosen = [
        item
        for item in world.items
        if (platform is None or item.platform == platform) and world.archive_year(item) == year
    ]
    chosen.sort(key=lambda item: _sort_key(world, item))
    return [_as_dict(world, item) for item in chosen]


def _sort_key(world: World, item: WorldItem) -> tuple:
    """Thread order: the post, then each comment followed by its replies, oldest first."""
    post = world.item(item.post_id) or item
    head = (item.platform, item.account, post.published_at, post.id)
    if item.item_type == "post":
        return (*head, 0)
    comment = world.item(item.parent_id or "") if item.item_type == "reply" else item
    comment = comment or item
    own = (1, item.published_at, item.id) if item.item_type == "reply" else (0,)
    return (*head, 1, comment.published_at, comment.id, *own)


def _as_dict(world: World, item: WorldItem) -> dict:
    return {
        "id": item.id,
        "parent_id": item.parent_id,
        "post_id": item.post_id,
        "item_type": item.item_type,
        "platform": item.platform,
        "account": item.account,
        "author": item.author,
        "author_is_account": item.author_is_account,
        "published_at": item.published_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "text": item.text,
        "permalink": permalink(item),
        "media": [
            {"sha256": world.media[m].sha256, "content_type": world.media[m].content_type, "path": world.media[m].path}
            for m in item.media
        ],
    }


def permalink(item: WorldItem) -> str:
    """Path of the item relative to the sandbox root (each platform module says how)."""
    from smarchive.sandbox.platforms import permalink_of

    return permalink_of(item)


def facebook_permalink(item: WorldItem) -> str:
    """Comments and replies point into their post."""
    base = f"/facebook/{item.account}/posts/{item.post_id}"
    if item.item_type == "post":
        return base
    if item.item_type == "comment":
        return f"{base}?comment_id={item.id}"
    return f"{base}?comment_id={item.parent_id}&reply_comment_id={item.id}"
