"""Offline re-rendering of a DOM snapshot into a screenshot, for culling.

A screenshot cannot be edited, so when culling redacts a snapshot the page is drawn again from the
redacted HTML in Chromium with scripts and network off; style sheets and images come from the WARC
itself (the `resources` the caller collected). It lives in the capture stage because it is the same
browser, launched the same way and with the same viewport as the capture; culling (retention) gets
`SnapshotRenderer.render` passed in and never imports the browser itself.
"""

from __future__ import annotations

import html
import re
from types import TracebackType

from smarchive.capture.account import VIEWPORT
from smarchive.capture.browser import launch_options


class SnapshotRenderer:
    """Chromium, started on first use: re-renders a redacted snapshot offline for a new screenshot."""

    def __init__(self) -> None:
        self._pw = None
        self._browser = None

    def render(self, snapshot_html: str, page_url: str, resources: dict[str, tuple[str, bytes]]) -> bytes:
        """A full-page PNG of `snapshot_html` as if loaded from `page_url`, resources served from `resources`."""
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._pw = sync_playwright().start()
            self._browser = self._pw.chromium.launch(**launch_options())
        context = self._browser.new_context(java_script_enabled=False, viewport=VIEWPORT, service_workers="block")
        try:
            page = context.new_page()

            def route(r) -> None:  # noqa: ANN001 (playwright Route)
                found = resources.get(r.request.url.split("#")[0])
                if found is None:
                    r.abort()
                else:
                    r.fulfill(status=200, headers={"Content-Type": found[0]}, body=found[1])

            page.route("**/*", route)
            base = f'<base href="{html.escape(page_url, quote=True)}">'
            head = re.search(r"<head[^>]*>", snapshot_html, re.I)
            doc = (snapshot_html[:head.end()] + base + snapshot_html[head.end():]) if head else base + snapshot_html
            page.set_content(doc, wait_until="load", timeout=60_000)
            return page.screenshot(full_page=True)
        finally:
            context.close()

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._pw.stop()
            self._browser = self._pw = None

    def __enter__(self) -> SnapshotRenderer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
