"""The loops every capture of a thread runs in the browser: each post of the year once (`each_post`), expand
until no "more comments" / "N svar" button is left (`expand_all`), and open every cut text (`click_all`). Each
adapter says which buttons, and how one click is judged (the platforms answer, fail and throttle differently).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

from smarchive.platforms.base import CaptureContext
from smarchive.platforms.toolkit import counted


@dataclass(frozen=True)
class Expanded:
    """What one click on an "expand" button gave: the page loaded what it asked for, the platform said
    "slow down" (waited out already: the same button is clicked again), or it failed (`detail` says how)."""

    answered: bool = False
    throttled: bool = False
    detail: str = ""  # added to the warning, e.g. ", HTTP 500"


def expand_all(ctx: CaptureContext, page: Page, button: Callable[[], Locator], click: Callable[[Locator], Expanded],
               *, post_id: str, limit: int, max_failures: int) -> int:
    """Click the first expand button ("more comments", "N svar") until none is left; returns the clicks. After
    `max_failures` failed clicks in a row, or `limit` clicks, the capture goes on with a warning: what could
    not be expanded is then missing from the thread, and the run must say so."""
    clicks = failures = 0
    while clicks < limit:
        first = button()
        if first.count() == 0:
            return clicks
        clicks += 1
        outcome = click(first)
        if outcome.throttled:
            continue
        if outcome.answered:
            failures = 0
            continue
        failures += 1
        if failures >= max_failures:
            ctx.warn(f"post {post_id}: comments could not all be expanded ({page.url}{outcome.detail})")
            return clicks
    ctx.warn(f"post {post_id}: stopped expanding after {counted(clicks, 'click')} ({page.url})")
    return clicks


def click_all(button: Callable[[], Locator], *, limit: int, timeout_ms: int) -> None:
    """Click the first of the buttons ("Visa mer", "…se mer") until none is left, so that the snapshot shows
    whole texts (the JSON has them anyway): at most `limit` clicks, and a click that fails ends it."""
    for _ in range(limit):
        first = button()
        if first.count() == 0:
            return
        try:
            first.click(timeout=timeout_ms)
        except PlaywrightError:
            return


def each_post(ctx: CaptureContext, posts: list[tuple[str, str]], capture_one: Callable[[str, str], str | None]) -> None:
    """Capture the year's posts (post id, permalink) one by one, skipping those captured before an interruption
    or a browser crash (their records and snapshot are kept). `capture_one(post_id, url)` captures one and says
    what it did for the progress line (None: nothing to say; it warned)."""
    for number, (post_id, url) in enumerate(posts, start=1):
        if ctx.already_captured(post_id):
            ctx.progress(f"post {number}/{len(posts)} {post_id}: already captured")
            continue
        done = capture_one(post_id, url)
        if done is not None:
            ctx.progress(f"post {number}/{len(posts)} {post_id}: {done}")
