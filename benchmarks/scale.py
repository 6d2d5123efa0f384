"""Several browsers on one machine: 16 sandbox accounts captured with 1, 2 and 4 browsers at once.

    .venv/bin/python benchmarks/scale.py [--browsers 1,2,4] [--posts 8] [--comments 5]

Each configuration is one real `smarchive capture --year 2024` of the same 16 accounts (the sandbox register's
12 archivable accounts and 4 more of Facebook, YouTube, podcasts and the web, under other ids) into a fresh
archive: 1 browser is the plain sequential command, 2 and 4 are `--workers N` (with the default per-platform
browser limits of [scaleout.browsers]: Instagram and LinkedIn one at a time, Facebook and YouTube two).
Printed per configuration: wall time, accounts per hour, peak memory of the whole process tree (the command,
its worker processes, every Chromium and the sandbox: PSS summed over /proc, sampled every 0.2 s), items
captured, and the speed-up over one browser. The exit status of each run must be 0 (every account captured).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from capture import PeakMemory  # noqa: E402  (this folder's capture benchmark: PSS of a process tree)

EXTRA = {"facebook-orebrokommun": "facebook-orebrokommun-b", "youtube-orebrokommun": "youtube-orebrokommun-b",
         "podcast-vardagshjaltarna": "podcast-vardagshjaltarna-b", "web-sociala-medier": "web-sociala-medier-b"}


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    return str(value)


def sixteen_accounts() -> list[dict]:
    register = tomllib.loads((PROJECT / "pipelines" / "sandbox.toml").read_text(encoding="utf-8"))["account"]
    accounts = [a for a in register if a.get("archivable", True) and a["platform"] != "snapchat"]
    accounts += [{**a, "id": EXTRA[a["id"]]} for a in accounts if a["id"] in EXTRA]
    assert len(accounts) == 16, len(accounts)
    return accounts


def write_pipeline(folder: Path, posts: int, comments: int) -> Path:
    tables = ["[[account]]\n" + "\n".join(f"{k} = {toml_value(v)}" for k, v in a.items()) for a in sixteen_accounts()]
    path = folder / "scale.toml"
    path.write_text(f"""[job]
name = "scale"
operator = "benchmarks/scale.py"
sandbox = true

[sandbox]
seed = 1748
posts_per_year = {posts}
comments_per_post = {comments}
throttle_every = 0

""" + "\n\n".join(tables) + "\n", encoding="utf-8")
    return path


def one_run(pipeline: Path, archive: Path, browsers: int) -> dict:
    extra = [] if browsers == 1 else ["--workers", str(browsers)]
    command = [sys.executable, "-m", "smarchive", "capture", "--year", "2024", "--pipeline", str(pipeline),
               "--archive", str(archive), *extra]
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    start = time.monotonic()
    with PeakMemory() as memory:
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=7200)
    wall = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"{browsers} browser(s): capture failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    items = re.search(r"^items:\s+(\d+)", result.stdout, flags=re.M)
    return {"browsers": browsers, "wall": wall, "per_hour": 16 * 3600 / wall, "peak": memory.peak,
            "items": int(items.group(1)) if items else -1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browsers", default="1,2,4")
    parser.add_argument("--posts", type=int, default=8)
    parser.add_argument("--comments", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="smarchive-scale-") as tmp:
        pipeline = write_pipeline(Path(tmp), args.posts, args.comments)
        for n in (int(b) for b in args.browsers.split(",")):
            rows.append(one_run(pipeline, Path(tmp) / f"archive-{n}", n))
            r = rows[-1]
            print(f"{n} browser(s): {r['wall']:.0f} s, {r['per_hour']:.0f} accounts/hour, peak memory "
                  f"{r['peak'] / 1024**3:.2f} GiB, {r['items']} items", flush=True)
    base = rows[0]["wall"]
    print(f"\n16 sandbox accounts ({args.posts} posts x up to {args.comments} comments each), {os.cpu_count()} CPU(s)")
    print(f"{'browsers':>8}  {'wall s':>7}  {'accounts/h':>10}  {'peak GiB':>8}  {'items':>6}  {'speed-up':>8}")
    for r in rows:
        print(f"{r['browsers']:>8}  {r['wall']:>7.0f}  {r['per_hour']:>10.0f}  {r['peak'] / 1024**3:>8.2f}  "
              f"{r['items']:>6}  {base / r['wall']:>8.2f}")


if __name__ == "__main__":
    main()
