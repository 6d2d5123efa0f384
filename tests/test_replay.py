"""The WARC replays offline in pywb: a 2024 post's text and image come back with the sandbox stopped."""

from __future__ import annotations

import hashlib
import json
import urllib.request

import pytest

from smarchive.archive.query import run_query
from smarchive.archive.replay import page_url

from conftest import pywb_replay


@pytest.fixture(scope="module")
def pywb(sandbox_capture):
    with pywb_replay(sorted((sandbox_capture.archive / "warc").rglob("*.warc.gz"))) as base:
        yield base


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def test_post_text_and_image_replay(sandbox_capture, pywb):
    post = run_query(
        sandbox_capture.archive,
        "SELECT replay_target, text, media FROM items WHERE item_type = 'post' AND len(media) > 0 "
        "ORDER BY published_at LIMIT 1",
    ).to_pylist()[0]
    url = page_url(post["replay_target"])  # the post page as recorded
    # The sandbox that served the capture is gone: nothing below can come from it.
    with pytest.raises(OSError):
        fetch(url)
    page = fetch(f"{pywb}/2id_/{url}").decode("utf-8")
    first_line = post["text"].splitlines()[0]
    assert first_line in page or json.dumps(first_line)[1:-1] in page or _html(first_line) in page
    media = post["media"][0]
    image = fetch(f"{pywb}/2id_/{media['url']}")
    assert hashlib.sha256(image).hexdigest() == media["sha256"]


def _html(text: str) -> str:
    import html

    return html.escape(text, quote=False)
