"""Several browsers on one machine: each account job in its own process (`capture --workers N`).

Processes, not threads: Playwright's sync API and warcprox each want a process of their own, and a
Chromium that takes its process down takes only its account with it. Processes are started with
`spawn` (a fresh interpreter: forking a process that runs the sandbox's and the proxy's threads is
unsafe) and each runs one account, so a browser's memory is returned when its account is done.

The number of browsers is bounded by memory: each browser with its proxy may take up to
BROWSER_MEMORY (2 GiB, a long Facebook timeline's worst measured); without --workers, as many as
MemAvailable allows, at most one per account and at most MAX_DEFAULT_WORKERS.

The browsers share the platforms' back-off (a 429 or a login wall on one slows all of them on that platform)
through a folder of the run's own (courtesy.FileCourtesy), removed when the run's processes are done.
"""

from __future__ import annotations

import multiprocessing
import socket
import tempfile
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait

from smarchive.scaleout.courtesy import FileCourtesy, backoff_seconds, login_wall_seconds
from smarchive.scaleout.job import capture_job, worker_name
from smarchive.scaleout.run import failed_result

BROWSER_MEMORY = 2 * 1024**3  # bytes one browser (Chromium, its renderers, the proxy) may use
MAX_DEFAULT_WORKERS = 8  # without --workers: beyond this the platforms' patience, not memory, is the limit


def available_memory() -> int:
    """MemAvailable from /proc/meminfo (bytes); 0 when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def memory_workers(memory: int | None = None) -> int:
    """How many browsers fit in free memory, BROWSER_MEMORY each (at least 1)."""
    memory = available_memory() if memory is None else memory
    return max(1, memory // BROWSER_MEMORY)


def choose_workers(requested: int | None, accounts: int, say: Callable[[str], None],
                   memory: int | None = None) -> int:
    """--workers N, reduced to what memory holds (said); without N, what memory holds, at most
    MAX_DEFAULT_WORKERS and at most one per account."""
    fits = memory_workers(memory)
    if requested is None:
        return max(1, min(fits, MAX_DEFAULT_WORKERS, accounts))
    if requested > fits:
        say(f"--workers {requested}: free memory holds {fits} browser(s) of up to "
            f"{BROWSER_MEMORY // 1024**3} GiB each; running {fits}")
        return fits
    return requested


def _share_courtesy(job: dict) -> None:
    """Share this process's back-offs with the run's other processes (the folder LocalPool.run made)."""
    from smarchive.capture.account import set_courtesy
    from smarchive.config import load_pipeline

    pipeline = load_pipeline(job["pipeline_file"])
    set_courtesy(FileCourtesy(job["courtesy_dir"], worker_name(), backoff_seconds(pipeline),
                              login_wall_seconds(pipeline)))


def _child(job: dict, conn: Connection) -> None:
    """In the worker process: run the job, send back its result (or the error that stopped it)."""
    try:
        if job.get("courtesy_dir"):
            _share_courtesy(job)
        result = capture_job(job)
    except BaseException as e:  # noqa: BLE001 (anything: the parent must hear of it, the others go on)
        last = traceback.format_exception_only(type(e), e)[-1].strip()
        result = failed_result(job, f"worker process failed: {last}")
    conn.send(result)
    conn.close()


class LocalPool:
    """Runs account jobs in up to `workers` processes at once."""

    def __init__(self, workers: int, limits: dict[str, int] | None = None):
        self.workers = workers
        self.limits = limits or {}  # platform -> browsers at once ([scaleout.browsers])
        self.ctx = multiprocessing.get_context("spawn")

    def _next(self, pending: deque, running: dict) -> dict | None:
        """The first waiting job whose platform has a browser free (the register's order otherwise)."""
        busy: dict[str, int] = {}
        for _, _, job in running.values():
            busy[job["account"]["platform"]] = busy.get(job["account"]["platform"], 0) + 1
        for job in pending:
            platform = job["account"]["platform"]
            if not job["account"]["archivable"] or busy.get(platform, 0) < self.limits.get(platform, self.workers):
                pending.remove(job)
                return job
        return None

    def run(self, jobs: list[dict], say: Callable[[str], None],
            on_state: Callable[[str, str, str], None] | None = None) -> Iterator[dict]:
        with tempfile.TemporaryDirectory(prefix="smarchive-courtesy-") as folder:
            yield from self._run([{**job, "courtesy_dir": folder} for job in jobs], say, on_state)

    def _run(self, jobs: list[dict], say: Callable[[str], None],
             on_state: Callable[[str, str, str], None] | None) -> Iterator[dict]:
        pending = deque(jobs)
        running: dict[int, tuple] = {}  # sentinel -> (process, connection, job)
        while pending or running:
            while pending and len(running) < self.workers:
                job = self._next(pending, running)
                if job is None:
                    break  # every waiting account's platform is at its limit: wait for one to finish
                receive, send = self.ctx.Pipe(duplex=False)
                proc = self.ctx.Process(target=_child, args=(job, send), name=f"smarchive-{job['account']['id']}")
                proc.start()
                send.close()  # the child holds the sending end: EOF here when it dies
                running[proc.sentinel] = (proc, receive, job)
                if on_state is not None:
                    on_state(job["account"]["id"], "running", f"{socket.gethostname()}-{proc.pid}")
                say(f"{job['account']['id']}: started in process {proc.pid} "
                    f"({len(running)} of {self.workers} browser(s) busy, {len(pending)} waiting)")
            ready = wait([r[1] for r in running.values()] + list(running), timeout=5)
            for key in [k for k, (p, c, _) in running.items() if k in ready or c in ready]:
                proc, conn, job = running.pop(key)
                yield self._collect(proc, conn, job)

    @staticmethod
    def _collect(proc, conn: Connection, job: dict) -> dict:  # noqa: ANN001 (multiprocessing Process)
        try:
            result = conn.recv()
        except (EOFError, OSError):
            proc.join(timeout=30)
            result = failed_result(job, f"worker process {proc.pid} died (exit code {proc.exitcode}) "
                                        "before the account was done; run the same year again to resume it")
        finally:
            conn.close()
        proc.join(timeout=60)
        return result

