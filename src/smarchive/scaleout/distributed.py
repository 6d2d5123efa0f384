"""Many machines: account jobs on a Celery queue with a Redis broker, served by `smarchive worker`.

Why Celery and Redis: the work is many independent, resumable account jobs a few hours a year; Celery
gives late acknowledgement and redelivery of a dead worker's job, Redis (Debian's `redis-server`) is the
broker and also holds the run's shared state below; both are BSD-licensed and widely kept.

Delivery is at least once: a job is acknowledged only when its account is done (task_acks_late), a job
whose worker process dies is put back (task_reject_on_worker_lost), and a job whose whole worker died
(power cut, kill -9) is delivered again once the broker's visibility timeout has passed. Results are
exactly once, through the run's state in Redis:

- `smarchive:run:<run>:results`: account -> its result; a job whose account has a result does nothing;
- `smarchive:lease:<run>:<account>`: held by the process capturing the account, renewed every few
  seconds, gone a few seconds after that process dies. A second delivery of a job still being captured
  (the visibility timeout passed while the first was slow) waits for the lease: it ends when the result
  is there, or takes over (resuming from the account's page journal) when the holder has died;
- `smarchive:run:<run>:state`: account -> queued | running (where) | done | failed | incomplete | skipped,
  what `smarchive status` shows;
- `smarchive:run:<run>:info`, and `smarchive:runs` (run id by start time).

The coordinator (`capture --broker`) writes nothing but the run's records at the end (run.run_scaled);
the workers write the accounts' WARCs, WACZs, media and manifest parts into the shared archive.
"""

from __future__ import annotations

import json
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from smarchive.errors import SmarchiveError
from smarchive.scaleout.courtesy import (
    BrowserSlot,
    RedisCourtesy,
    backoff_seconds,
    browser_limit,
    login_wall_seconds,
)
from smarchive.scaleout.job import capture_job, worker_name
from smarchive.scaleout.run import failed_result

QUEUE = "smarchive-accounts"
TASK = "smarchive.capture_account"
PREFIX = "smarchive"
DEFAULT_VISIBILITY_TIMEOUT = 3600.0  # s: longer than the longest account, or a slow job is delivered twice
MAX_ATTEMPTS = 3  # deliveries of one account's job whose worker died, before the account counts as failed
RUN_STATE_DAYS = 30  # how long a run's state stays in Redis for `status`
SUMMARY_EVERY = 60.0  # s between the coordinator's lines counting the accounts queued, running, done


def lease_seconds() -> float:
    """How long a dead holder's lease outlives it (SMARCHIVE_LEASE_SECONDS, default 30)."""
    try:
        return max(2.0, float(os.environ.get("SMARCHIVE_LEASE_SECONDS", "30")))
    except ValueError:
        return 30.0


def visibility_timeout(value: float | None = None) -> float:
    """--visibility-timeout, else SMARCHIVE_VISIBILITY_TIMEOUT, else DEFAULT_VISIBILITY_TIMEOUT (seconds)."""
    if value is not None:
        return float(value)
    raw = os.environ.get("SMARCHIVE_VISIBILITY_TIMEOUT", "")
    try:
        return max(1.0, float(raw)) if raw else DEFAULT_VISIBILITY_TIMEOUT
    except ValueError:
        raise SmarchiveError(f"SMARCHIVE_VISIBILITY_TIMEOUT={raw!r}: expected seconds") from None


def check_broker_url(url: str) -> str:
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise SmarchiveError(f"broker {url!r}: expected a Redis URL, redis://HOST:PORT/DB (or rediss://, unix://)")
    return url


class RunState:
    """A run's shared state in Redis (see the module docstring)."""

    def __init__(self, url: str):
        import redis

        self.url = check_broker_url(url)
        self.redis = redis.Redis.from_url(url, decode_responses=True, socket_timeout=30)

    def key(self, run_id: str, what: str) -> str:
        return f"{PREFIX}:run:{run_id}:{what}"

    def ping(self) -> None:
        import redis

        try:
            self.redis.ping()
        except redis.RedisError as e:
            raise SmarchiveError(f"broker {self.url} does not answer: {e}") from None

    def begin(self, run_id: str, info: dict, accounts: list[str]) -> None:
        pipe = self.redis.pipeline()
        pipe.hset(self.key(run_id, "info"), mapping={k: json.dumps(v) for k, v in info.items()})
        pipe.zadd(f"{PREFIX}:runs", {run_id: time.time()})
        for account in accounts:
            pipe.hsetnx(self.key(run_id, "state"), account, json.dumps({"state": "queued", "since": now()}))
        for what in ("info", "state", "results", "attempts"):
            pipe.expire(self.key(run_id, what), RUN_STATE_DAYS * 86400)
        pipe.execute()

    def set_state(self, run_id: str, account: str, state: str, where: str = "") -> None:
        self.redis.hset(self.key(run_id, "state"), account, json.dumps({"state": state, "where": where,
                                                                        "since": now()}))

    def states(self, run_id: str) -> dict[str, dict]:
        return {k: json.loads(v) for k, v in self.redis.hgetall(self.key(run_id, "state")).items()}

    def info(self, run_id: str) -> dict:
        return {k: json.loads(v) for k, v in self.redis.hgetall(self.key(run_id, "info")).items()}

    def runs(self) -> list[str]:
        return list(self.redis.zrange(f"{PREFIX}:runs", 0, -1))

    def result(self, run_id: str, account: str) -> dict | None:
        raw = self.redis.hget(self.key(run_id, "results"), account)
        return json.loads(raw) if raw else None

    def results(self, run_id: str) -> dict[str, dict]:
        return {k: json.loads(v) for k, v in self.redis.hgetall(self.key(run_id, "results")).items()}

    def store_result(self, run_id: str, account: str, result: dict) -> None:
        pipe = self.redis.pipeline()
        pipe.hsetnx(self.key(run_id, "results"), account, json.dumps(result, ensure_ascii=False))
        pipe.hset(self.key(run_id, "state"), account, json.dumps(
            {"state": result["outcome"]["status"], "where": result.get("worker", ""), "since": now()}))
        pipe.execute()

    def attempt(self, run_id: str, account: str) -> int:
        return int(self.redis.hincrby(self.key(run_id, "attempts"), account, 1))

    def lease(self, run_id: str, account: str) -> Lease:
        return Lease(self.redis, f"{PREFIX}:lease:{run_id}:{account}", worker_name(), lease_seconds())


class Lease:
    """The right to capture one account of a run: one holder at a time, gone soon after the holder dies."""

    def __init__(self, client, key: str, holder: str, ttl: float):  # noqa: ANN001 (redis.Redis)
        self.client, self.key, self.holder, self.ttl = client, key, holder, ttl
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        if not self.client.set(self.key, self.holder, nx=True, px=int(self.ttl * 1000)):
            return False
        self._thread = threading.Thread(target=self._renew, name="smarchive-lease", daemon=True)
        self._thread.start()
        return True

    def holder_now(self) -> str:
        return self.client.get(self.key) or ""

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self.client.set(self.key, self.holder, xx=True, px=int(self.ttl * 1000))
            except Exception:  # noqa: BLE001 (a broker hiccup: the next renewal tries again)
                continue

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.client.get(self.key) == self.holder:
            self.client.delete(self.key)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def make_app(broker: str, visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT):  # noqa: ANN201 (celery.Celery)
    """The Celery app of smarchive's workers and coordinators (the same settings on both sides)."""
    from celery import Celery

    app = Celery("smarchive", broker=check_broker_url(broker), set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # acknowledged when the account is done, not when it is taken
        task_reject_on_worker_lost=True,  # a pool process that dies puts its job back at once
        worker_prefetch_multiplier=1,  # a worker takes one job per free browser, no more
        worker_max_tasks_per_child=1,  # a fresh process (and browser) per account: memory returned
        task_ignore_result=True,  # results go to the run's state (exactly once), not Celery's backend
        task_default_queue=QUEUE,
        task_serializer="json", accept_content=["json"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        broker_transport_options={
            "visibility_timeout": visibility_timeout,
            # The sweep that puts a dead worker's jobs back: a few times per visibility timeout.
            "unacked_restore_interval": max(1.0, min(10.0, visibility_timeout / 4)),
            "unacked_restore_throttle": 1,
        },
    )
    app.task(name=TASK, bind=True)(_account_task)
    return app


def _account_task(task, job: dict) -> str:  # noqa: ANN001 (celery Task)
    return run_account_job(job, task.app.conf.broker_url)


def run_account_job(job: dict, broker: str, poll: float = 2.0) -> str:
    """One delivery of an account's job; see the module docstring for why it is safe to run twice."""
    state = RunState(broker)
    run_id, account = job["run_id"], job["account"]["id"]
    if state.result(run_id, account) is not None:
        return "done before"
    lease = state.lease(run_id, account)
    while not lease.acquire():  # another process captures it, or did until a moment ago
        if state.result(run_id, account) is not None:
            return "done elsewhere"
        time.sleep(poll)
    try:
        if state.result(run_id, account) is not None:
            return "done elsewhere"
        attempt = state.attempt(run_id, account)
        if attempt > MAX_ATTEMPTS:
            result = failed_result(job, f"its worker died {MAX_ATTEMPTS} times while capturing it; run the same "
                                        "year again to resume it", worker_name())
        else:
            try:
                result = courteous_capture(job, state)
            except Exception as e:  # noqa: BLE001 (the coordinator must hear of it; the other accounts go on)
                last = traceback.format_exception_only(type(e), e)[-1].strip()
                result = failed_result(job, f"worker failed: {last}", worker_name())
        state.store_result(run_id, account, result)
        return result["outcome"]["status"]
    finally:
        lease.release()


def courteous_capture(job: dict, state: RunState) -> dict:
    """capture_job within the platform's browser limit, sharing back-offs with every worker (courtesy.py)."""
    from smarchive.capture.account import set_courtesy
    from smarchive.config import load_pipeline
    from smarchive.pipeline import Progress

    pipeline = load_pipeline(job["pipeline_file"])
    run_id, account, platform = job["run_id"], job["account"]["id"], job["account"]["platform"]
    log = Progress(Path(job["log_file"]))
    slot = None
    try:
        if job["account"]["archivable"]:
            slot = BrowserSlot(state.redis, pipeline.name, platform, browser_limit(pipeline, platform),
                               worker_name(), lease_seconds())
            state.set_state(run_id, account, "waiting", worker_name())
            slot.acquire(lambda m: log(f"{account}: {m}"))
        state.set_state(run_id, account, "running", worker_name())
        set_courtesy(RedisCourtesy(state.redis, worker_name(), backoff_seconds(pipeline), login_wall_seconds(pipeline)))
        return capture_job(job)
    finally:
        set_courtesy(None)
        if slot is not None:
            slot.release()
        log.close()


class CeleryDispatcher:
    """Puts one job per account on the queue and yields their results as the workers finish them."""

    def __init__(self, broker: str, visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT, poll: float = 1.0):
        self.broker = check_broker_url(broker)
        self.visibility_timeout = visibility_timeout
        self.poll = poll
        self.state = RunState(broker)
        self.state.ping()

    def run(self, jobs: list[dict], say: Callable[[str], None],
            on_state: Callable[[str, str, str], None] | None = None) -> Iterator[dict]:
        if not jobs:
            return
        run_id = jobs[0]["run_id"]
        accounts = [j["account"]["id"] for j in jobs]
        first = jobs[0]
        self.state.begin(run_id, {"pipeline_file": first["pipeline_file"], "archive": first["archive"],
                                  "year": first["year"], "accounts": accounts, "started_at": now()}, accounts)
        app = make_app(self.broker, self.visibility_timeout)
        for job in jobs:
            if self.state.result(run_id, job["account"]["id"]) is None:  # a resumed run: not again
                app.send_task(TASK, args=[job], queue=QUEUE)
        say(f"{len(jobs)} account job(s) on the queue of {self.broker}; start `smarchive worker --broker "
            f"{self.broker}` on each machine (the run finishes when the last account is done)")
        yield from self._gather(run_id, set(accounts), say, on_state)

    def _gather(self, run_id: str, wanted: set[str], say: Callable[[str], None],
                on_state: Callable[[str, str, str], None] | None) -> Iterator[dict]:
        seen: set[str] = set()
        shown: dict[str, tuple] = {}
        last_summary = time.monotonic()
        while seen != wanted:
            if time.monotonic() - last_summary > SUMMARY_EVERY:  # all accounts at a glance, now and then
                from smarchive.scaleout.status import summary

                say(f"accounts: {summary({a: s for a, s in self.state.states(run_id).items() if a in wanted})}")
                last_summary = time.monotonic()
            for account, result in self.state.results(run_id).items():
                if account in wanted and account not in seen:
                    seen.add(account)
                    yield result
            for account, st in sorted(self.state.states(run_id).items()):
                key = (st.get("state"), st.get("where"))
                if account not in wanted or account in seen or shown.get(account) == key:
                    continue
                shown[account] = key
                if st.get("state") in ("running", "waiting"):
                    say(f"{account}: {st['state']} on {st.get('where')}")
                    if on_state is not None:
                        on_state(account, st["state"], st.get("where", ""))
            if seen != wanted:
                time.sleep(self.poll)


def start_worker(broker: str, concurrency: int, visibility_timeout: float, loglevel: str = "WARNING") -> None:
    """`smarchive worker`: serve account jobs until stopped (SIGTERM: finish the accounts running, then stop)."""
    RunState(broker).ping()
    app = make_app(broker, visibility_timeout)
    app.worker_main(argv=["worker", f"--concurrency={concurrency}", "--pool=prefork", f"--loglevel={loglevel}",
                          f"--queues={QUEUE}", f"--hostname=smarchive-{worker_name()}@%h",
                          "--without-gossip", "--without-mingle"])
