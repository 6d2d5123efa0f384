"""Courtesy to the platforms across machines: a limit of browsers at once per platform, and a shared back-off.

Both are data in the pipeline's [scaleout] table, with these defaults:

    [scaleout]
    backoff = 60          # s every browser on a platform waits after a 429/503 on any of them (0 on the sandbox)
    [scaleout.browsers]   # browsers at once per platform for the pipeline, over all workers (and `--workers`)
    default = 4
    facebook = 2
    instagram = 1         # one logged-in session: several browsers on it look like a bot
    linkedin = 1
    youtube = 2

The state lives in Redis (the broker), so every worker on every machine sees it:

- `smarchive:browsers:<pipeline>:<platform>`: who holds a browser slot, until when (a dead holder's slot lapses
  after SMARCHIVE_LEASE_SECONDS); per pipeline, because the limit protects the municipality's own logged-in
  session;
- `smarchive:backoff:<platform>`: until when every browser on the platform waits, and which worker was told to
  slow down; over all pipelines, since the workers share their way out to the platform.

Times are the machines' clocks: keep them in step (NTP).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from smarchive.config import Pipeline

DEFAULT_BROWSERS = {"default": 4, "facebook": 2, "instagram": 1, "linkedin": 1, "youtube": 2}
DEFAULT_BACKOFF = 60.0  # s; the sandbox's default is 0 (its Retry-After alone)
PREFIX = "smarchive"


def browser_limit(pipeline: Pipeline, platform: str) -> int:
    """[scaleout.browsers] PLATFORM, else its default, else DEFAULT_BROWSERS."""
    table = {**DEFAULT_BROWSERS, **pipeline.scaleout.get("browsers", {})}
    return int(table.get(platform, table["default"]))


def backoff_seconds(pipeline: Pipeline) -> float:
    fallback = 0.0 if pipeline.sandbox is not None else DEFAULT_BACKOFF
    return float(pipeline.scaleout.get("backoff", fallback))


# Set the back-off only if it ends later than the one already set (several workers report 429s at once).
_EXTEND = """
local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if tonumber(ARGV[1]) > current then
  redis.call('HSET', KEYS[1], 'until', ARGV[1], 'by', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
"""


class RedisCourtesy:
    """capture.account.Courtesy shared through Redis: a 429 on one worker slows every worker on that platform."""

    def __init__(self, client, holder: str, backoff: float, sleep: Callable[[float], None] = time.sleep):  # noqa: ANN001
        self.client, self.holder, self.backoff = client, holder, backoff
        self._sleep = sleep
        self._extend = client.register_script(_EXTEND)

    def throttled(self, platform: str, seconds: float) -> None:
        wait = max(seconds, self.backoff)
        self._extend(keys=[f"{PREFIX}:backoff:{platform}"],
                     args=[time.time() + wait, self.holder, int(wait * 1000) + 60_000])

    def wait_turn(self, platform: str, progress: Callable[[str], None]) -> None:
        while True:
            state = self.client.hgetall(f"{PREFIX}:backoff:{platform}")
            left = float(state.get("until", 0)) - time.time()
            if left <= 0.05:
                return
            by = state.get("by", "?")
            who = "this worker" if by == self.holder else f"worker {by}"
            progress(f"waiting {left:.1f} s: {platform} asked {who} to slow down (shared back-off)")
            self._sleep(min(left, 30.0))


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
