"""Capture at scale: a sandbox year of 200 posts x 30 comments per platform, with and without recording.

    .venv/bin/python benchmarks/capture.py [--posts 200] [--comments 30] [--platforms facebook,instagram,...]

For each platform (one account each) the same adapter browses the same sandbox twice in this one
run: once through the recording proxy (capture as in production: warcprox, WARC assembled with
snapshots and screenshots), once with no proxy and no WARC. Printed per platform: wall time,
pages/minute (pages = the account page plus every post page opened), items extracted against the
sandbox's truth for the year (found/expected, +extra), peak memory of the whole
process tree (this process with the sandbox, Chromium and Playwright's driver: PSS summed over /proc), WARC bytes,
and the ratio of the two wall times. Targets: ratio <= 1.3, peak memory <= 2 GB.
Throttling is off (throttle_every = 0) so that waits for Retry-After do not blur the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from playwright.sync_api import sync_playwright  # noqa: E402

from smarchive.capture.account import JobInfo, capture_account  # noqa: E402
from smarchive.capture.login import perform_login  # noqa: E402
from smarchive.extract.reader import extract_items  # noqa: E402
from smarchive.model import Account  # noqa: E402
from smarchive.platforms import get_adapter  # noqa: E402
from smarchive.sandbox.content import SandboxConfig  # noqa: E402
from smarchive.sandbox.server import SandboxServer  # noqa: E402
from smarchive.sandbox.truth import truth  # noqa: E402
from smarchive.sandbox.web import SANDBOX_CREDENTIALS  # noqa: E402

ACCOUNTS = {
    "facebook": ("facebook-orebrokommun", "/facebook/orebrokommun", "orebrokommun"),
    "instagram": ("instagram-orebrokommun", "/instagram/orebrokommun/", "orebrokommun"),
    "linkedin": ("linkedin-orebrokommun", "/linkedin/company/orebro-kommun/", "orebro-kommun"),
    "youtube": ("youtube-orebrokommun", "/youtube/@orebrokommun/videos", "orebrokommun"),
    "podcast": ("podcast-vardagshjaltarna", "/podcast/vardagshjaltarna.rss", "vardagshjaltarna"),
}


def tree_memory(pid: int) -> int:
    """Memory in bytes of a process and all its descendants, as PSS (proportional set size): pages shared
    between Chromium's processes are counted once in total, not once per process as RSS would."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += _pss(current)
        stack += children.get(current, [])
    return total


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class PeakMemory:
    def __init__(self, interval: float = 0.2):
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_memory(os.getpid()))
            self._stop.wait(interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def one_capture(pw, world, platform: str, base: str, record: bool, work: Path) -> dict:  # noqa: ANN001
    account_id, path, handle = ACCOUNTS[platform]
    account = Account(id=account_id, platform=platform, name=account_id, url="sandbox:" + path, handle=handle)
    adapter = get_adapter(platform)
    url = base + path
    needs_login = getattr(adapter, "requires_login", False)
    state = perform_login(pw, adapter, url, *SANDBOX_CREDENTIALS) if needs_login else None
    info = JobInfo("benchmark", "benchmark", "bench", 2024)
    warc = work / f"{platform}-{'rec' if record else 'norec'}.warc.gz"
    with PeakMemory() as memory:
        t0 = time.perf_counter()
        result = capture_account(pw, adapter, account, url, info, work / "staging", warc, lambda _m: None,
                                 storage_state=state, record=record)
        wall = time.perf_counter() - t0
    out = {"wall": wall, "pages": result.snapshot_count + 1, "peak": memory.peak,
           "warc": warc.stat().st_size if record else 0, "items": None}
    if record:
        found = {i.id for i in extract_items(adapter, warc, account, 2024, warc.name).items}
        want = {t["id"] for t in truth(world, 2024, platform) if t["account"] == handle}
        out["items"] = f"{len(found & want)}/{len(want)}" + (f"+{len(found - want)}" if found - want else "")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--comments", type=int, default=30)
    parser.add_argument("--platforms", default=",".join(ACCOUNTS))
    args = parser.parse_args()
    config = SandboxConfig(years=(2023, 2024), posts_per_year=args.posts, comments_per_post=args.comments,
                           throttle_every=0)
    work = Path(tempfile.mkdtemp(prefix="smarchive-bench-"))
    print(f"sandbox: {args.posts} posts/year x up to {args.comments} comments/post, years 2023-2024, capturing 2024")
    print(f"{'platform':10s} {'mode':9s} {'wall s':>8s} {'pages':>6s} {'pages/min':>9s} {'peak MiB':>9s} "
          f"{'WARC MiB':>9s} {'items found/truth':>18s}")
    try:
        with SandboxServer(config) as server, sync_playwright() as pw:
            for platform in args.platforms.split(","):
                runs = {}
                for record in (False, True):
                    r = one_capture(pw, server.world, platform, server.base_url, record, work)
                    runs[record] = r
                    print(f"{platform:10s} {'recorded' if record else 'plain':9s} {r['wall']:8.1f} {r['pages']:6d} "
                          f"{r['pages'] / r['wall'] * 60:9.1f} {r['peak'] / 2**20:9.0f} {r['warc'] / 2**20:9.1f} "
                          f"{r['items'] if r['items'] is not None else '-':>18}", flush=True)
                ratio = runs[True]["wall"] / runs[False]["wall"]
                print(f"{platform:10s} ratio recorded/plain = {ratio:.2f} ({'ok' if ratio <= 1.3 else 'OVER 1.3'}); "
                      f"peak {max(r['peak'] for r in runs.values()) / 2**30:.2f} GB "
                      f"({'ok' if max(r['peak'] for r in runs.values()) <= 2 * 2**30 else 'OVER 2 GB'})", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
