"""Courtesy to the platforms across machines: a limit of browsers at once per platform, and a shared back-off.

Both are data in the pipeline's [scaleout] table, with these defaults:

    [scaleout]
    backoff = 60             # s every browser on a platform waits after a 429/503 on any of them (0 on the sandbox)
    login_wall_backoff = 600 # s every browser on a platform waits after a login wall on any of them (0 on the sandbox)
    [scaleout.browsers]      # browsers at once per platform for the pipeline, over all workers (and `--workers`)
    default = 4
    facebook = 2
    instagram = 1            # one logged-in session: several browsers on it look like a bot
    linkedin = 1
    youtube = 2

A login wall (errors.LoginWall, raised by an adapter) fails its account with the reason, and is the platform's
firmest "slow down": it no longer trusts the session, so every browser on it waits longer than after a 429.

With a broker the state lives in Redis, so every worker on every machine sees it (RedisCourtesy):

- `smarchive:browsers:<pipeline>:<platform>`: who holds a browser slot, until when (a dead holder's slot lapses
  after SMARCHIVE_LEASE_SECONDS); per pipeline, because the limit protects the municipality's own logged-in
  session;
- `smarchive:backoff:<platform>`: until when every browser on the platform waits, which worker was told to
  slow down and why (429 or login wall); over all pipelines, since the workers share their way out to the platform.

With `--workers N` alone the same back-off lives in a folder the run's processes share (FileCourtesy).
Times are the machines' clocks: keep them in step (NTP).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from smarchive.config import Pipeline

DEFAULT_BROWSERS = {"default": 4, "facebook": 2, "instagram": 1, "linkedin": 1, "youtube": 2}
DEFAULT_BACKOFF = 60.0  # s; the sandbox's default is 0 (its Retry-After alone)
# s; a platform that shows a login wall distrusts the session: a 429's minute is too short to regain its trust
DEFAULT_LOGIN_WALL_BACKOFF = 600.0
PREFIX = "smarchive"
THROTTLED, LOGIN_WALL = "429", "login wall"  # why a back-off was set


def browser_limit(pipeline: Pipeline, platform: str) -> int:
    """[scaleout.browsers] PLATFORM, else its default, else DEFAULT_BROWSERS."""
    table = {**DEFAULT_BROWSERS, **pipeline.scaleout.get("browsers", {})}
    return int(table.get(platform, table["default"]))


def backoff_seconds(pipeline: Pipeline) -> float:
    fallback = 0.0 if pipeline.sandbox is not None else DEFAULT_BACKOFF
    return float(pipeline.scaleout.get("backoff", fallback))


def login_wall_seconds(pipeline: Pipeline) -> float:
    fallback = 0.0 if pipeline.sandbox is not None else DEFAULT_LOGIN_WALL_BACKOFF
    return float(pipeline.scaleout.get("login_wall_backoff", fallback))


class SharedCourtesy:
    """capture.account.Courtesy over a shared back-off per platform: a 429 or a login wall seen by one browser
    slows every browser on that platform. Subclasses keep the state (`_extend`, `_state`) where all can see it."""

    def __init__(self, holder: str, backoff: float, login_wall: float = DEFAULT_LOGIN_WALL_BACKOFF,
                 sleep: Callable[[float], None] = time.sleep):
        self.holder, self.backoff, self.login_wall_backoff = holder, backoff, login_wall
        self._sleep = sleep

    def throttled(self, platform: str, seconds: float) -> None:
        self._extend(platform, max(seconds, self.backoff), THROTTLED)

    def login_wall(self, platform: str) -> None:
        self._extend(platform, self.login_wall_backoff, LOGIN_WALL)

    def wait_turn(self, platform: str, progress: Callable[[str], None]) -> None:
        while True:
            state = self._state(platform)
            left = float(state.get("until", 0)) - time.time()
            if left <= 0.05:
                return
            by = state.get("by", "?")
            who = "this worker" if by == self.holder else f"worker {by}"
            if state.get("why") == LOGIN_WALL:
                progress(f"waiting {left:.1f} s: {platform} showed {who} a login wall (shared back-off)")
            else:
                progress(f"waiting {left:.1f} s: {platform} asked {who} to slow down (shared back-off)")
            self._sleep(min(left, 30.0))

    def _extend(self, platform: str, seconds: float, why: str) -> None:
        """Every browser on `platform` waits until now + `seconds`, unless a later back-off is already set."""
        raise NotImplementedError

    def _state(self, platform: str) -> dict:
        """The platform's back-off: {"until": epoch seconds, "by": holder, "why": ...}, or {}."""
        raise NotImplementedError


# Set the back-off only if it ends later than the one already set (several workers report 429s at once).
_EXTEND = """
local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if tonumber(ARGV[1]) > current then
  redis.call('HSET', KEYS[1], 'until', ARGV[1], 'by', ARGV[2], 'why', ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
"""


class RedisCourtesy(SharedCourtesy):
    """The shared back-off in Redis (`smarchive:backoff:<platform>`): every worker on every machine sees it."""

    def __init__(self, client, holder: str, backoff: float,  # noqa: ANN001 (redis.Redis)
                 login_wall: float = DEFAULT_LOGIN_WALL_BACKOFF, sleep: Callable[[float], None] = time.sleep):
        super().__init__(holder, backoff, login_wall, sleep)
        self.client = client
        self._script = client.register_script(_EXTEND)

    def _extend(self, platform: str, seconds: float, why: str) -> None:
        self._script(keys=[f"{PREFIX}:backoff:{platform}"],
                     args=[time.time() + seconds, self.holder, int(seconds * 1000) + 60_000, why])

    def _state(self, platform: str) -> dict:
        return self.client.hgetall(f"{PREFIX}:backoff:{platform}")


class FileCourtesy(SharedCourtesy):
    """The shared back-off in a folder on this machine (`--workers N` without a broker): `<platform>.json`,
    changed under an flock of `<platform>.lock` and replaced whole, so a reader never sees half a file."""

    def __init__(self, folder: Path | str, holder: str, backoff: float,
                 login_wall: float = DEFAULT_LOGIN_WALL_BACKOFF, sleep: Callable[[float], None] = time.sleep):
        super().__init__(holder, backoff, login_wall, sleep)
        self.folder = Path(folder)

    def _extend(self, platform: str, seconds: float, why: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f"{platform}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            until = time.time() + seconds
            if until <= float(self._state(platform).get("until", 0)):
                return
            tmp = self.folder / f"{platform}.json.{os.getpid()}.tmp"
            tmp.write_text(json.dumps({"until": until, "by": self.holder, "why": why}), encoding="utf-8")
            os.replace(tmp, self.folder / f"{platform}.json")

    def _state(self, platform: str) -> dict:
        try:
            return json.loads((self.folder / f"{platform}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}


# Take a slot if fewer than the limit are held (slots of holders gone silent lapse first).
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  return 1
end
return 0
"""


class BrowserSlot:
    """One of a platform's `limit` browser slots, over all workers; renewed while held, lapses if the holder dies."""

    def __init__(self, client, pipeline: str, platform: str, limit: int, holder: str,  # noqa: ANN001 (redis.Redis)
                 ttl: float):
        self.client, self.key, self.limit = client, f"{PREFIX}:browsers:{pipeline}:{platform}", limit
        self.holder, self.ttl = holder, ttl
        self.platform = platform
        self._acquire = client.register_script(_ACQUIRE)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def try_acquire(self) -> bool:
        now = time.time()
        return bool(self._acquire(keys=[self.key], args=[now, now + self.ttl, self.holder, self.limit]))

    def acquire(self, progress: Callable[[str], None], poll: float = 1.0) -> None:
        said = False
        while not self.try_acquire():
            if not said:
                progress(f"waiting for a browser on {self.platform}: {self.limit} of {self.limit} in use "
                         "([scaleout.browsers])")
                said = True
            time.sleep(poll)
        self._thread = threading.Thread(target=self._renew, name="smarchive-slot", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self.client.zadd(self.key, {self.holder: time.time() + self.ttl}, xx=True)
            except Exception:  # noqa: BLE001 (a broker hiccup: the next renewal tries again)
                continue

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.client.zrem(self.key, self.holder)
