"""Scale-out commands: `capture --workers N` / `--broker URL` (wired from `capture`), `worker`, `status`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the command line starts without the pipeline's imports (Playwright, pyarrow)
    from smarchive.config import Pipeline
    from smarchive.pipeline import RunReport


def parse_workers(value: str | None) -> int | None:
    """--workers N (1 or more) or `auto` (None: from free memory)."""
    if value is None or value == "auto":
        return None
    if not value.isdigit() or int(value) < 1:
        raise click.BadParameter(f"{value!r}: a number of browsers, 1 or more, or auto", param_hint="--workers")
    return int(value)


def capture_scaled(pipeline: Pipeline, year: int, accounts: tuple[str, ...], archive: Path, workers_option: str | None,
                   broker: str | None) -> RunReport:
    """The run with its accounts in parallel: processes here (--workers), or jobs on a broker (--broker, or the
    pipeline's [scaleout] broker)."""
    from smarchive.scaleout.run import run_scaled

    workers = parse_workers(workers_option)

    broker = broker or str(getattr(pipeline, "scaleout", {}).get("broker", "")) or None
    if broker:
        from smarchive.scaleout.distributed import CeleryDispatcher

        if workers_option is not None:
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


@click.command("status")
@click.argument("run_id", required=False)
@click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
@click.option("--broker", envvar="SMARCHIVE_BROKER", help="Read the run from this broker (distributed mode; or "
              "$SMARCHIVE_BROKER); without it, from the archive.")
def status_command(run_id: str | None, archive: Path, broker: str | None) -> None:
    """Where each account of a run stands: queued, waiting, running (where), done, failed, incomplete, skipped.

    Without RUN_ID: the runs in progress, else the latest finished run.
    """
    from smarchive.errors import SmarchiveError

    runs = _broker_runs(broker, run_id) if broker else _archive_runs(archive, run_id)
    if not runs:
        raise SmarchiveError(f"no run {run_id} in {broker or archive}" if run_id else
                             f"no run in {broker or archive} (run `smarchive capture` first, or pass --archive)")
    from smarchive.cli.report import format_table
    from smarchive.scaleout.status import rows, summary

    for rid, (title, accounts) in runs.items():
        click.echo(f"run {rid}: {title}: {summary(accounts)}")
        click.echo(format_table(["account", "state", "where", "since"], rows(accounts)))


def _broker_runs(broker: str, run_id: str | None) -> dict[str, tuple[str, dict]]:
    from smarchive.scaleout.distributed import RunState

    state = RunState(broker)
    state.ping()
    known = state.runs()
    wanted = [run_id] if run_id else [r for r in known if _unfinished(state.states(r))] or known[-1:]
    found = {}
    for rid in wanted:
        if rid in known:
            info = state.info(rid)
            title = f"{Path(info.get('pipeline_file', '?')).stem}, year {info.get('year', '?')}, " \
                    f"archive {info.get('archive', '?')}"
            found[rid] = (title, state.states(rid))
    return found


def _unfinished(accounts: dict[str, dict]) -> bool:
    return any(s.get("state") in ("queued", "waiting", "running") for s in accounts.values())


def _archive_runs(archive: Path, run_id: str | None) -> dict[str, tuple[str, dict]]:
    from smarchive.archive.query import run_query
    from smarchive.scaleout.status import finished, in_progress

    found = {rid: (f"{d.get('pipeline', '?')}, year {d.get('year', '?')}, in progress"
                   + (f" ({d['note']})" if d.get("note") else ""), d["accounts"])
             for rid, d in in_progress(archive).items() if run_id in (None, rid)}
    if found or not (archive / "manifest" / "runs").is_dir():
        return found
    done = run_query(archive, "SELECT * FROM runs ORDER BY started_at").to_pylist()
    done = [r for r in done if r["run_id"] == run_id] if run_id else done[-1:]
    return {r["run_id"]: (f"{r['job']}, year {r['year']}, finished {r['finished_at']}", finished(r)) for r in done}
