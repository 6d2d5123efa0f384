"""The WARC replays offline in pywb: a 2024 post's text and image come back with the sandbox stopped."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from smarchive.query import run_query

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pywb(sandbox_capture, tmp_path_factory):
    if not (BIN / "wayback").exists():
        pytest.skip("pywb is not installed")
    root = tmp_path_factory.mktemp("pywb")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    subprocess.run([BIN / "wb-manager", "init", "smarchive"], cwd=root, check=True, env=env, capture_output=True)
    for warc in sorted((sandbox_capture.archive / "warc").rglob("*.warc.gz")):
        subprocess.run([BIN / "wb-manager", "add", "smarchive", str(warc)], cwd=root, check=True, env=env,
                       capture_output=True)
    port = free_port()
    proc = subprocess.Popen([BIN / "wayback", "-b", "127.0.0.1", "-p", str(port)], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}/smarchive"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("pywb did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)
        shutil.rmtree(root, ignore_errors=True)


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def test_post_text_and_image_replay(sandbox_capture, pywb):
    post = run_query(
        sandbox_capture.archive,
        "SELECT permalink, text, media FROM items WHERE item_type = 'post' AND len(media) > 0 "
        "ORDER BY published_at LIMIT 1",
    ).to_pylist()[0]
    # The sandbox that served the capture is gone: nothing below can come from it.
    with pytest.raises(OSError):
        fetch(post["permalink"])
    page = fetch(f"{pywb}/2id_/{post['permalink']}").decode("utf-8")
    first_line = post["text"].splitlines()[0]
    assert first_line in page or json.dumps(first_line)[1:-1] in page or _html(first_line) in page
    media = post["media"][0]
    image = fetch(f"{pywb}/2id_/{media['url']}")
    assert hashlib.sha256(image).hexdigest() == media["sha256"]


def _html(text: str) -> str:
    import html

    return html.escape(text, quote=False)
