"""Scale-out commands: `capture --workers N` / `--broker URL` (wired from `capture`), `worker`, `status`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the command line starts without the pipeline's imports (Playwright, pyarrow)
    from smarchive.config import Pipeline
    from smarchive.pipeline import RunReport


def capture_scaled(pipeline: Pipeline, year: int, accounts: tuple[str, ...], archive: Path, workers: int | None,
                   broker: str | None) -> RunReport:
    """The run with its accounts in parallel: processes here (--workers), or jobs on a broker (--broker, or the
    pipeline's [scaleout] broker)."""
    from smarchive.scaleout.run import run_scaled

    broker = broker or str(getattr(pipeline, "scaleout", {}).get("broker", "")) or None
    if broker:
        from smarchive.scaleout.distributed import CeleryDispatcher

        if workers is not None:
            raise click.UsageError("--workers is for one machine; with a broker, each `smarchive worker "
                                   "--concurrency N` says how many browsers it runs")
        return run_scaled(pipeline, year, accounts, archive, CeleryDispatcher(broker), mode=f"broker {broker}")
    from smarchive.scaleout.local import LocalPool, choose_workers

    selected = [a for a in pipeline.select(accounts) if a.archivable]
    notes: list[str] = []
    n = choose_workers(workers, max(1, len(selected)), notes.append)
    from smarchive.scaleout.courtesy import browser_limit

    limits = {a.platform: browser_limit(pipeline, a.platform) for a in selected}
    return run_scaled(pipeline, year, accounts, archive, LocalPool(n, limits), mode=f"{n} browser(s) at once",
                      notes=notes)


@click.command("worker")
@click.option("--broker", envvar="SMARCHIVE_BROKER", required=True,
              help="The Redis broker: redis://HOST:PORT/DB (or $SMARCHIVE_BROKER).")
@click.option("--concurrency", type=click.IntRange(min=1), help="Browsers at once on this machine (default: what "
              "free memory holds, 2 GiB a browser).")
@click.option("--visibility-timeout", type=click.FloatRange(min=1), help="Seconds after which a job taken by a "
              "worker that died is delivered again (default $SMARCHIVE_VISIBILITY_TIMEOUT or 3600; keep it above "
              "the longest account's capture).")
def worker_command(broker: str, concurrency: int | None, visibility_timeout: float | None) -> None:
    """Serve account jobs from the broker: capture each into the shared archive (distributed mode)."""
    from smarchive.capture.browser import find_chromium
    from smarchive.scaleout.distributed import start_worker
    from smarchive.scaleout.distributed import visibility_timeout as timeout
    from smarchive.scaleout.local import MAX_DEFAULT_WORKERS, memory_workers

    find_chromium()
    n = concurrency or min(memory_workers(), MAX_DEFAULT_WORKERS)
    click.echo(f"smarchive worker: {n} browser(s) at once, broker {broker}", err=True)
    start_worker(broker, n, timeout(visibility_timeout))
