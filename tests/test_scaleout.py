"""Scale-out (#17): several browsers at once on one machine (`capture --workers N`), and account jobs on a
Celery queue with a real redis-server, served by real `smarchive worker` processes.

Every test runs the real pipeline (sandbox, Chromium, warcprox, manifest) and compares the manifest with the
sandbox's truth: nothing lost, nothing twice within a run.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from smarchive.archive.query import run_query
from smarchive.config import load_pipeline
from smarchive.errors import ConfigError
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.truth import truth
from smarchive.scaleout.local import BROWSER_MEMORY, choose_workers
from test_resume import check_archive

from conftest import PROJECT, free_port, run_capture, write_pipeline

SMALL = {"seed": 1748, "posts_per_year": 4, "comments_per_post": 3, "throttle_every": 0}
REGISTER = tomllib.loads((PROJECT / "pipelines" / "sandbox.toml").read_text(encoding="utf-8"))["account"]


def accounts_toml(ids: list[str]) -> str:
    """The sandbox register's [[account]] tables of `ids`, as TOML."""
    out = []
    for account in (a for a in REGISTER if a["id"] in ids):
        lines = [f"{k} = {v!r}".replace("'", '"') if isinstance(v, str) else f"{k} = {str(v).lower()}"
                 for k, v in account.items()]
        out.append("[[account]]\n" + "\n".join(lines))
    return "\n\n".join(out) + "\n"


def expected(sandbox: dict, ids: list[str]) -> dict[tuple[str, str], dict]:
    """What a perfect capture of the accounts `ids` finds in 2024 (the sandbox's truth)."""
    world = build_world(SandboxConfig(**sandbox))
    handles = {(a["platform"], a.get("handle", "")) for a in REGISTER if a["id"] in ids}
    return {(t["platform"], t["id"]): t for t in truth(world, 2024)
            if (t["platform"], t["account"]) in handles}


def test_workers_from_free_memory() -> None:
    said: list[str] = []
    assert choose_workers(None, 16, said.append, memory=9 * 1024**3) == 4  # 2 GiB a browser
    assert choose_workers(None, 3, said.append, memory=64 * 1024**3) == 3  # never more than the accounts
    assert choose_workers(None, 5, said.append, memory=BROWSER_MEMORY // 2) == 1  # always one
    assert not said
    assert choose_workers(6, 16, said.append, memory=5 * 1024**3) == 2
    assert said and "free memory holds 2 browser(s)" in said[0]


FOUR = ["facebook-orebrokommun", "instagram-orebrokommun", "youtube-orebrokommun", "podcast-vardagshjaltarna",
        "snapchat-orebrokommun"]


def test_capture_with_two_workers_is_a_whole_run(tmp_path: Path) -> None:
    """Four accounts (and Snapchat, skipped), two browsers at once: every item of the truth, once; one run row
    as a sequential run writes it; each account's progress on the terminal."""
    pipeline = write_pipeline(tmp_path, SMALL, accounts_toml(FOUR))
    archive = tmp_path / "archive"
    result = run_capture(archive, pipeline, 2024, "--workers", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    want = expected(SMALL, FOUR)
    check_archive(archive, want)
    runs = run_query(archive, "SELECT * FROM runs").to_pylist()
    assert len(runs) == 1
    run = runs[0]
    assert run["accounts"] == FOUR  # the register's order, whatever order they finished in
    assert run["accounts_skipped"] == ["snapchat-orebrokommun"] and not run["accounts_failed"]
    assert run["items"] == len(want)
    assert len(run["warc_files"]) == 4
    # Two processes browsed at once: each account started in a process of its own, and said so.
    started = re.findall(r"(\S+): started in process (\d+)", result.stderr)
    assert {a for a, _ in started} == set(FOUR) and len({p for _, p in started}) == len(FOUR)
    assert "2 browser(s) at once" in result.stderr
    for account in FOUR[:-1]:
        assert re.search(rf"{account}: captured \(on \S+-\d+\), \d+ items", result.stderr)
    # Every process wrote its own ledger file, all under the run.
    writers = list((archive / "ledger" / run["run_id"]).glob("*.jsonl"))
    assert len(writers) >= 5  # the coordinator and one per account
    # Where each account ran: in the runs table, and in `smarchive status` (the latest run, finished).
    where = dict(w.split(": ") for w in run["account_workers"])
    assert set(where) == set(FOUR) and len(set(where.values())) == len(FOUR)
    status = smarchive("status", "--archive", str(archive))
    assert status.returncode == 0, status.stderr
    assert f"run {run['run_id']}: sandbox-small, year 2024, finished" in status.stdout
    assert "4 done, 1 skipped" in status.stdout
    for account in FOUR[:-1]:
        assert re.search(rf"{account}\s+done\s+{re.escape(where[account])}", status.stdout)
    assert not list((archive / "runs-in-progress").glob("*")), "nothing left in progress"


def smarchive(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarchive", *args], capture_output=True, text=True, timeout=120)


# ------------------------------------------------------------------------------------------------
# Distributed mode: a real redis-server on a free 127.0.0.1 port, real `smarchive worker` processes.

@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """redis-server on a free 127.0.0.1 port, no persistence; yields its URL, stops it afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/setup.sh installs it)")
    pytest.importorskip("celery")
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@dataclass
class Worker:
    proc: subprocess.Popen
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


@contextmanager
def workers(broker: str, count: int, folder: Path, env: dict | None = None) -> Iterator[list[Worker]]:
    """`count` `smarchive worker --concurrency 1` processes, each in its own process group (killed at the end)."""
    started: list[Worker] = []
    try:
        for n in range(count):
            log = folder / f"worker-{n}.log"
            with open(log, "w", encoding="utf-8") as out:
                proc = subprocess.Popen([sys.executable, "-m", "smarchive", "worker", "--broker", broker,
                                         "--concurrency", "1"], stdout=out, stderr=subprocess.STDOUT,
                                        start_new_session=True,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
            started.append(Worker(proc, log))
        yield started
    finally:
        for w in started:
            if w.proc.poll() is None:
                os.killpg(w.proc.pid, signal.SIGTERM)
        for w in started:
            try:
                w.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(w.proc.pid, signal.SIGKILL)
                w.proc.wait(timeout=20)


@pytest.mark.slow
def test_capture_on_the_queue_with_two_workers(tmp_path: Path) -> None:
    """`capture --broker`: one job per account, two `smarchive worker`s share them, the run completes with every
    item of the truth, once, and the coordinator says where each account ran."""
    pipeline = write_pipeline(tmp_path, SMALL, accounts_toml(FOUR))
    archive = tmp_path / "archive"
    with redis_server(tmp_path / "redis") as broker, workers(broker, 2, tmp_path) as started:
        result = run_capture(archive, pipeline, 2024, "--broker", broker)
        logs = [w.text() for w in started]
        status = smarchive("status", "--broker", broker)
    assert result.returncode == 0, result.stderr[-3000:] + "\n".join(logs)[-3000:]
    want = expected(SMALL, FOUR)
    check_archive(archive, want)
    run = run_query(archive, "SELECT * FROM runs").to_pylist()[0]
    assert run["accounts"] == FOUR and run["items"] == len(want)
    where = dict(re.findall(r"(\S+): (?:captured|skipped) \(on (\S+)\)", result.stderr))
    assert set(where) == set(FOUR)
    # Both workers took accounts: each account ran in a process of one of the two workers.
    assert len({w.rsplit("-", 1)[1] for w in where.values()}) == len(FOUR)
    assert all("captured" in log or "WARC written" in log for log in logs), "each worker captured an account"
    assert status.returncode == 0 and "4 done, 1 skipped" in status.stdout.splitlines()[0], status.stdout
    for account in FOUR:
        assert re.search(rf"{account}\s+(done|skipped)\s+{re.escape(where[account])}", status.stdout)


EIGHT = ["facebook-orebrokommun", "facebook-orebrokommun-teckensprak", "instagram-orebrokommun",
         "linkedin-orebrokommun", "youtube-orebrokommun", "podcast-vardagshjaltarna", "podcast-tonarstiden",
         "web-sociala-medier", "snapchat-orebrokommun"]  # every platform (Snapchat skipped, as always)


def warcs_whole(archive: Path) -> list[Path]:
    """Every WARC of the archive read to the end by `warcio check` (digests too); returns them."""
    warcs = sorted((archive / "warc").rglob("*.warc.gz"))
    warcio = Path(sys.executable).parent / "warcio"
    for warc in warcs:
        check = subprocess.run([str(warcio), "check", str(warc)], capture_output=True, text=True, timeout=300)
        assert check.returncode == 0, f"warcio check {warc.name}: {check.stdout[-1000:]}{check.stderr[-1000:]}"
    return warcs


def start_capture(archive: Path, pipeline: Path, broker: str, log: Path) -> subprocess.Popen:
    with open(log, "w", encoding="utf-8") as out:
        return subprocess.Popen([sys.executable, "-m", "smarchive", "capture", "--year", "2024", "--pipeline",
                                 str(pipeline), "--archive", str(archive), "--broker", broker],
                                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})


@pytest.mark.slow
def test_two_pipelines_share_the_queue_and_never_mix(tmp_path: Path) -> None:
    """Eight accounts over all platforms in one pipeline, two accounts of another world in a second, both runs on
    one queue at once, two workers: each archive holds exactly its own truth, once, and its WARCs are whole."""
    other = {**SMALL, "seed": 2025}
    runs = {"a": (SMALL, EIGHT), "b": (other, ["facebook-orebrokommun", "podcast-vardagshjaltarna"])}
    with redis_server(tmp_path / "redis") as broker, workers(broker, 2, tmp_path):
        procs = {}
        for name, (settings, ids) in runs.items():
            (tmp_path / name).mkdir()
            pipeline = write_pipeline(tmp_path / name, settings, accounts_toml(ids))
            procs[name] = start_capture(tmp_path / name / "archive", pipeline, broker, tmp_path / f"capture-{name}.log")
        for name, proc in procs.items():
            assert proc.wait(timeout=1500) == 0, (tmp_path / f"capture-{name}.log").read_text()[-3000:]
    for name, (settings, ids) in runs.items():
        archive = tmp_path / name / "archive"
        check_archive(archive, expected(settings, ids))
        assert len(warcs_whole(archive)) == len(ids) - (1 if "snapchat-orebrokommun" in ids else 0)


def running_account(archive: Path, broker: str, platform: str) -> tuple[str, str] | None:
    """(account, holder) of an account of `platform` with at least one page captured for good, if any."""
    import redis

    client = redis.Redis.from_url(broker, decode_responses=True)
    for journal in archive.glob(f"staging/*/{platform}-*/pages.jsonl"):
        if journal.read_text(encoding="utf-8").count("\n") >= 1:
            run_id, account = journal.parent.parent.name, journal.parent.name
            holder = client.get(f"smarchive:lease:{run_id}:{account}")
            if holder:
                return account, holder
    return None


@pytest.mark.slow
def test_worker_killed_mid_account_is_redelivered_and_resumes(tmp_path: Path) -> None:
    """kill -9 of a whole worker (its process group: worker, pool process, browser) while it captures a Facebook
    account: after the visibility timeout the other worker takes the job, resumes from the page journal, and the
    run completes: nothing lost, nothing twice within the run, every WARC whole."""
    settings = {**SMALL, "posts_per_year": 10}  # a Facebook account long enough to be killed in the middle
    pipeline = write_pipeline(tmp_path, settings, accounts_toml(EIGHT))
    archive = tmp_path / "archive"
    env = {"SMARCHIVE_VISIBILITY_TIMEOUT": "60", "SMARCHIVE_LEASE_SECONDS": "6"}
    with redis_server(tmp_path / "redis") as broker, workers(broker, 2, tmp_path, env) as started:
        capture = start_capture(archive, pipeline, broker, tmp_path / "capture.log")
        deadline = time.monotonic() + 600
        found = None
        while found is None and time.monotonic() < deadline and capture.poll() is None:
            found = running_account(archive, broker, "facebook")
            time.sleep(0.2)
        assert found, "no Facebook account was seen half-captured"
        account, holder = found
        pid = int(holder.rsplit("-", 1)[1])
        victim = next(w for w in started if os.getpgid(pid) == w.proc.pid)
        os.killpg(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait(timeout=30)
        # `status`, from the broker and from the archive: the account was last seen running on that process (its
        # job comes back only after the visibility timeout, a minute here).
        for source in (("--broker", broker), ("--archive", str(archive))):
            status = smarchive("status", *source)
            assert status.returncode == 0, status.stderr
            assert re.search(rf"{account}\s+running\s+{re.escape(holder)}", status.stdout), status.stdout
            assert re.search(r"\d+ running", status.stdout.splitlines()[0])
        assert capture.wait(timeout=1500) == 0, (tmp_path / "capture.log").read_text()[-3000:]
        survivor = next(w for w in started if w is not victim).text()
    assert re.search(rf"{account}: resuming: [1-9]\d* page\(s\) captured before the interruption are kept", survivor)
    check_archive(archive, expected(settings, EIGHT))
    captures = run_query(archive, "SELECT run_id, count(*) AS n, count(DISTINCT item_id) AS d FROM item_captures "
                                  "GROUP BY run_id").to_pylist()
    assert len(captures) == 1 and captures[0]["n"] == captures[0]["d"] == len(expected(settings, EIGHT))
    warcs_whole(archive)


TWO_FACEBOOK = ["facebook-orebrokommun", "facebook-orebrokommun-teckensprak"]


def test_a_429_on_one_worker_makes_the_other_wait(tmp_path: Path) -> None:
    """Two Facebook accounts on the queue, two `smarchive worker`s. The sandbox answers every 3rd page 429 once
    (Retry-After: 1); with [scaleout] backoff = 3, a worker told to slow down makes the other worker on the same
    platform wait too, and says so; nothing is lost; `status` says where each account ran."""
    settings = {**SMALL, "throttle_every": 3}
    archive = tmp_path / "archive"
    with redis_server(tmp_path / "redis") as broker, workers(broker, 2, tmp_path) as started:
        # The broker named in the pipeline: `capture` needs no --broker.
        courtesy = f'\n[scaleout]\nbroker = "{broker}"\nbackoff = 3\n\n[scaleout.browsers]\nfacebook = 2\n'
        pipeline = write_pipeline(tmp_path, settings, accounts_toml(TWO_FACEBOOK) + courtesy)
        result = run_capture(archive, pipeline, 2024)
        logs = [w.text() for w in started]
        status = smarchive("status", "--broker", broker)
    assert result.returncode == 0, result.stderr[-3000:]
    check_archive(archive, expected(settings, TWO_FACEBOOK))
    # Each account ran on one of the two workers, as the coordinator, the runs table and `status` say.
    where = dict(re.findall(r"(\S+): captured \(on (\S+)\)", result.stderr))
    assert set(where) == set(TWO_FACEBOOK)
    run = run_query(archive, "SELECT account_workers FROM runs").to_pylist()[0]
    assert sorted(run["account_workers"]) == sorted(f"{a}: {w}" for a, w in where.items())
    assert status.returncode == 0 and "2 done" in status.stdout.splitlines()[0], status.stdout
    for account in TWO_FACEBOOK:
        assert re.search(rf"{account}\s+done\s+{re.escape(where[account])}", status.stdout)
    assert any("HTTP 429" in log for log in logs), "the sandbox throttled"
    waited = [line for log in logs for line in log.splitlines()
              if re.search(r"waiting \d+\.\d s: facebook asked worker \S+-\d+ to slow down \(shared back-off\)", line)]
    assert waited, "a worker waited for a back-off another worker was told to take:\n" + "\n".join(logs)[-3000:]


TWO_INSTAGRAM = ["instagram-orebrokommun", "instagram-tborebro"]
LOGIN_WALL = {**SMALL, "login_wall_after": 4}  # the sandbox forgets the session at the 4th Instagram page
LOGIN_WALL_COURTESY = "\n[scaleout]\nlogin_wall_backoff = 8\n\n[scaleout.browsers]\ninstagram = 2\n"


def check_login_wall(archive: Path, coordinator: str, logs: str) -> tuple[str, str]:
    """One account failed with the login wall, named; the other was captured whole, after its worker waited the
    back-off the first one set. Returns the walled account and where it ran."""
    walled = dict(re.findall(r"(\S+): failed \(on (\S+)\): instagram: login wall on ", coordinator))
    captured = dict(re.findall(r"(\S+): captured \(on (\S+)\)", coordinator))
    assert len(walled) == 1 and len(captured) == 1, coordinator[-3000:] + logs[-3000:]
    (account, worker), (other, other_worker) = *walled.items(), *captured.items()
    check_archive(archive, expected(LOGIN_WALL, [other]))
    run = run_query(archive, "SELECT accounts_failed, errors FROM runs").to_pylist()[0]
    assert run["accounts_failed"] == [account] and "login wall" in run["errors"][0], "never a silent success"
    waited = re.findall(rf"{other}: waiting \d+\.\d s: instagram showed worker {re.escape(worker)} a login wall "
                        r"\(shared back-off\)", logs)
    assert waited and worker != other_worker, "the other browser waited:\n" + logs[-3000:]
    return account, worker


def test_a_login_wall_on_one_worker_makes_the_other_wait(tmp_path: Path) -> None:
    """Two Instagram accounts on the queue, two `smarchive worker`s, two Instagram browsers allowed. The sandbox
    forgets the session once (the 4th page opened, over both browsers: a login wall); with [scaleout]
    login_wall_backoff = 8, the worker that met the wall fails its account with the reason, and the other worker
    waits before its next page, saying who met the wall; the other account is captured whole."""
    archive = tmp_path / "archive"
    with redis_server(tmp_path / "redis") as broker, workers(broker, 2, tmp_path) as started:
        courtesy = LOGIN_WALL_COURTESY.replace("[scaleout]\n", f'[scaleout]\nbroker = "{broker}"\n')
        pipeline = write_pipeline(tmp_path, LOGIN_WALL, accounts_toml(TWO_INSTAGRAM) + courtesy)
        result = run_capture(archive, pipeline, 2024)
        logs = "\n".join(w.text() for w in started)
        status = smarchive("status", "--broker", broker)
    assert result.returncode == 1, result.stderr[-3000:]
    account, worker = check_login_wall(archive, result.stderr, logs)
    assert re.search(rf"{account}\s+failed\s+{re.escape(worker)}", status.stdout), status.stdout


@pytest.mark.slow
def test_a_login_wall_slows_the_other_browsers_on_this_machine(tmp_path: Path) -> None:
    """The same with `--workers 2` and no broker: the processes share the back-off through a folder of the run."""
    pipeline = write_pipeline(tmp_path, LOGIN_WALL, accounts_toml(TWO_INSTAGRAM) + LOGIN_WALL_COURTESY)
    folders = set(Path(tempfile.gettempdir()).glob("smarchive-courtesy-*"))
    result = run_capture(tmp_path / "archive", pipeline, 2024, "--workers", "2")
    assert result.returncode == 1, result.stderr[-3000:]
    check_login_wall(tmp_path / "archive", result.stderr, result.stderr)
    assert set(Path(tempfile.gettempdir()).glob("smarchive-courtesy-*")) <= folders, "the run's folder is removed"


@pytest.mark.slow
def test_browsers_per_platform_are_limited_across_workers(tmp_path: Path) -> None:
    """Two Instagram accounts, two idle workers, Instagram's default of one browser at once: one waits, says so."""
    ids = ["instagram-orebrokommun", "instagram-tborebro"]
    pipeline = write_pipeline(tmp_path, SMALL, accounts_toml(ids))
    with redis_server(tmp_path / "redis") as broker, workers(broker, 2, tmp_path) as started:
        result = run_capture(tmp_path / "archive", pipeline, 2024, "--broker", broker)
        logs = "\n".join(w.text() for w in started)
    assert result.returncode == 0, result.stderr[-3000:]
    check_archive(tmp_path / "archive", expected(SMALL, ids))
    assert "waiting for a browser on instagram: 1 of 1 in use" in logs


@pytest.mark.parametrize("table, message", [
    ('[scaleout]\nbrowsers = { facebok = 2 }', "browsers: unknown key facebok"),
    ('[scaleout]\nbackoff = -1', "backoff: seconds (a number, 0 or more)"),
    ('[scaleout]\nlogin_wall_backoff = "10m"', "login_wall_backoff: seconds (a number, 0 or more)"),
    ('[scaleout]\nbroker = "http://example.org"', "broker: expected a Redis URL"),
    ('[scaleout]\n[scaleout.browsers]\ninstagram = 0', "instagram must be a whole number of browsers, 1 or more"),
])
def test_scaleout_table_errors_name_the_problem(tmp_path: Path, table: str, message: str) -> None:
    pipeline = write_pipeline(tmp_path, SMALL, accounts_toml(["podcast-vardagshjaltarna"]) + "\n" + table + "\n")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_pipeline(str(pipeline))


@pytest.mark.parametrize("args, message", [
    (["--workers", "0"], "--workers: '0': a number of browsers, 1 or more, or auto"),
    (["--workers", "2", "--broker", "redis://127.0.0.1:1/0"], "--workers is for one machine"),
])
def test_bad_scaleout_options_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    pipeline = write_pipeline(tmp_path, SMALL, accounts_toml(["podcast-vardagshjaltarna"]))
    result = run_capture(tmp_path / "archive", pipeline, 2024, *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "archive").exists()


def test_status_of_a_sequential_run_in_progress(tmp_path: Path) -> None:
    """A sequential run's journal (killed half-way): `status` lists the accounts done so far, and says the rest
    are not done yet."""
    from datetime import UTC, datetime

    from smarchive.capture.journal import RunJournal

    archive = tmp_path / "archive"
    journal = RunJournal.begin(archive, "sandbox", 2024, ["a", "b"], "20240101T000000Z-abcdef", datetime.now(UTC))
    journal.record("a", {"status": "captured", "message": "", "items": {"post": 1}, "media": 0, "warc_file": "",
                         "warnings": [], "coverage": ""})
    status = smarchive("status", "--archive", str(archive))
    assert status.returncode == 0, status.stderr
    first = status.stdout.splitlines()[0]
    assert first.startswith("run 20240101T000000Z-abcdef: sandbox, year 2024, in progress") and "1 done" in first
    assert "accounts not listed are not done yet" in first
    missing = smarchive("status", "20990101T000000Z-000000", "--archive", str(archive))
    assert missing.returncode == 2 and "no run 20990101T000000Z-000000" in missing.stderr


@pytest.mark.parametrize("store", ["redis", "file"])
def test_the_shared_back_off_of_a_login_wall_and_a_429(tmp_path: Path, store: str) -> None:
    """Two browsers' courtesies (a real redis-server; or the folder `--workers N` shares): a login wall seen by
    one makes the other wait `login_wall_backoff` on that platform only, saying who met it; a 429 never
    shortens a longer back-off, and sets its own, shorter one."""
    from smarchive.scaleout.courtesy import FileCourtesy, RedisCourtesy

    with ExitStack() as stack:
        if store == "redis":
            import redis

            client = redis.Redis.from_url(stack.enter_context(redis_server(tmp_path / "redis")), decode_responses=True)
            stack.callback(client.close)
            first, second = (RedisCourtesy(client, holder, backoff=0.3, login_wall=1.5) for holder in ("a-1", "b-2"))
        else:
            first, second = (FileCourtesy(tmp_path / "courtesy", holder, backoff=0.3, login_wall=1.5)
                             for holder in ("a-1", "b-2"))
        said: list[str] = []
        first.login_wall("instagram")
        first.throttled("instagram", 0.1)  # a 429 just after: the login wall's longer back-off stands
        begun = time.monotonic()
        second.wait_turn("facebook", said.append)
        assert not said and time.monotonic() - begun < 0.2, "another platform does not wait"
        second.wait_turn("instagram", said.append)
        waited = time.monotonic() - begun
        assert 1.3 < waited < 3.0, waited
        assert re.fullmatch(r"waiting 1\.\d s: instagram showed worker a-1 a login wall \(shared back-off\)", said[0])
        said.clear()
        second.throttled("instagram", 0.1)  # Retry-After 0.1 s, but the pipeline's back-off is 0.3 s
        begun = time.monotonic()
        first.wait_turn("instagram", said.append)
        assert 0.15 < time.monotonic() - begun < 1.0
        assert said[0].endswith("instagram asked worker b-2 to slow down (shared back-off)"), said


def commented_scaleout(text: str) -> dict:
    """The commented `# [scaleout]` block of a pipeline file, uncommented and read as TOML."""
    block = re.search(r"^# \[scaleout\]\n(?:^# .*\n)+", text, re.M)
    assert block, "the pipeline documents [scaleout]"
    return tomllib.loads("".join(line[2:] + "\n" for line in block.group(0).splitlines()))["scaleout"]


def test_the_documented_courtesy_defaults_are_the_code_s() -> None:
    """The commented [scaleout] block of the pipelines and the table in docs/scaleout.md say what the code does."""
    from smarchive.scaleout.courtesy import (
        DEFAULT_BACKOFF,
        DEFAULT_BROWSERS,
        DEFAULT_LOGIN_WALL_BACKOFF,
        backoff_seconds,
        login_wall_seconds,
    )

    for name, backoff, wall in (("orebro", DEFAULT_BACKOFF, DEFAULT_LOGIN_WALL_BACKOFF), ("sandbox", 0, 0)):
        table = commented_scaleout((PROJECT / "pipelines" / f"{name}.toml").read_text(encoding="utf-8"))
        assert (table["backoff"], table["login_wall_backoff"], table["browsers"]) == (backoff, wall, DEFAULT_BROWSERS)
        pipeline = load_pipeline(str(PROJECT / "pipelines" / f"{name}.toml"))
        assert (backoff_seconds(pipeline), login_wall_seconds(pipeline)) == (backoff, wall), "left out: the defaults"
    docs = (PROJECT / "docs" / "scaleout.md").read_text(encoding="utf-8")
    table = tomllib.loads(re.search(r"```toml\n(\[scaleout\]\n.*?)```", docs, re.S).group(1))["scaleout"]
    assert (table["backoff"], table["login_wall_backoff"], table["browsers"]) == (
        DEFAULT_BACKOFF, DEFAULT_LOGIN_WALL_BACKOFF, DEFAULT_BROWSERS)
