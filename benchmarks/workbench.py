"""The workbench at scale: a synthetic archive (benchmarks/manifest.py's manifest), the real server (`smarchive
serve` in its own process, on 127.0.0.1), 20 concurrent clients; the server-side time of each page (its
Server-Timing header), median and p95.

    .venv/bin/python benchmarks/workbench.py [--items 10000000] [--dir /tmp/smarchive-bench-wb] [--clients 20]
                                             [--requests 100] [--decisions 200]

Pages: overview, search (one word, two words, a phrase; first page and page 11), an item page, a worklist
page (needs review, first page and page 11). A few hundred decisions are recorded first, so the items view
carries its join. Target (the issue): <= 300 ms p95 per page. The archive is kept in --dir and reused.
The workbench keeps answers until the archive changes (a run, a cull, a decision): the first request of a page
computes it ("first"), the concurrent ones after it are served the kept answer ("then").
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from manifest import write_manifest  # noqa: E402

from smarchive.archive import decisions  # noqa: E402
from smarchive.archive.manifest import item_files, write_terms  # noqa: E402
from smarchive.archive.query import connect  # noqa: E402
from smarchive.workbench import users  # noqa: E402

PASSWORD = "bench-password-1748"


def build(archive: Path, items: int, n_decisions: int) -> None:
    stamp = archive / ".built"
    if stamp.is_file() and stamp.read_text() == f"{items} {n_decisions}":
        return
    shutil.rmtree(archive, ignore_errors=True)
    archive.mkdir(parents=True)
    t0 = time.perf_counter()
    write_manifest(archive, items)
    for f in item_files(archive):
        write_terms(f)
    con = connect(archive)
    picked = con.sql(f"SELECT * FROM items USING SAMPLE {n_decisions} ROWS").to_arrow_table().to_pylist()
    con.close()
    for n, row in enumerate(picked):
        decisions.record(archive, decisions.review(row, "bench", "archivist", "benchmark",
                                                   retention="preserve" if n % 2 else None))
    users.add(users.users_path(archive), "bench", "archivist", PASSWORD)
    stamp.write_text(f"{items} {n_decisions}")
    print(f"built {items:,} items and {n_decisions} decisions in {time.perf_counter() - t0:.0f} s", flush=True)


def serve(archive: Path) -> tuple[subprocess.Popen, str]:
    """`smarchive serve` of this checkout in its own process, as a municipality runs it (the clients' threads
    here then do not share the server's interpreter lock, and its Server-Timing is the server's own time)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    server = subprocess.Popen([sys.executable, "-m", "smarchive", "serve", "--archive", str(archive), "--port",
                               str(port)], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/login", timeout=5).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the workbench did not start")


def logged_in(base: str) -> httpx.Client:
    import re

    client = httpx.Client(base_url=base, timeout=120)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf": token, "user": "bench", "password": PASSWORD, "next": "/"})
    return client


def measure(clients: list[httpx.Client], path: str, requests: int) -> tuple[float, float, float]:
    """(the first request's server time, then median and p95 of the server's time in ms over `requests` requests
    spread over the clients, all at once), in ms."""
    def one(n: int) -> tuple[float, float]:
        t0 = time.perf_counter()
        answer = clients[n % len(clients)].get(path)
        wall = (time.perf_counter() - t0) * 1000
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:200])
        return float(answer.headers["server-timing"].split("dur=")[1]), wall

    first = one(0)[0]  # the first asker computes (the archive as it is now); the others get the cached answer
    with ThreadPoolExecutor(len(clients)) as pool:
        results = list(pool.map(one, range(requests)))
    server = sorted(r[0] for r in results)
    return first, statistics.median(server), server[int(len(server) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/smarchive-bench-wb"))
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--decisions", type=int, default=200)
    args = parser.parse_args()
    archive = args.dir / f"archive-{args.items}"
    build(archive, args.items, args.decisions)
    con = connect(archive)
    item = con.sql("SELECT platform, item_id FROM items WHERE item_type = 'comment' LIMIT 1").fetchall()[0]
    con.close()
    server, base = serve(archive)
    clients = [logged_in(base) for _ in range(args.clients)]
    pages = {
        "overview": "/",
        # a first search shows its page at once and loads its facets and total after (/search/facets)
        "search one word": "/search?q=snöröjning",
        "search one word, facets": "/search/facets?q=snöröjning",
        "search one word, page 11": "/search?q=snöröjning&page=11",
        "search two words": "/search?q=Vivalla+bibliotek",
        "search two words, facets": "/search/facets?q=Vivalla+bibliotek",
        "search phrase": '/search?q="tack hej"',
        "search phrase, facets": '/search/facets?q="tack hej"',
        "item": f"/item/{item[0]}/{item[1]}",
        "worklist needs-review": "/worklist/needs-review",
        "worklist needs-review, page 11": "/worklist/needs-review?page=11",
    }
    print(f"{args.items:,} items, {args.clients} concurrent clients, {args.requests} requests per page; "
          "server time (Server-Timing) in ms")
    try:
        for name, path in pages.items():
            first, median, p95 = measure(clients, path, args.requests)
            verdict = "ok" if p95 <= 300 else "OVER 300 ms"
            print(f"  {name:32s} first {first:9.1f}   then median {median:8.1f}  p95 {p95:8.1f}  {verdict}",
                  flush=True)
    finally:
        for c in clients:
            c.close()
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
