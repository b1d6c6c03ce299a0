"""In-process rate limiter for the embedded mode (one app process, no Redis).

Each key holds a log of its allowed hits, oldest first. Every method runs to completion without
awaiting, so under asyncio a check-and-record can never interleave with another: no lock is
needed. Limits are per process; several processes need the Redis backend.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from medianest.ratelimit.base import MICROS, Decision, allowed, check_arguments, refused


@dataclass
class _HitLog:
    """The allowed hits of one key still inside its window: (timestamp µs, cost), oldest first."""

    hits: deque[tuple[int, int]] = field(default_factory=deque)
    used: int = 0
    expires_at: int = 0  # when the newest hit leaves its window; the log is empty from then on

    def forget_before(self, now: int, window: int) -> None:
        # A hit made at t counts while t > now - window, exactly as in the Redis script.
        while self.hits and self.hits[0][0] <= now - window:
            self.used -= self.hits.popleft()[1]

    def record(self, now: int, window: int, cost: int) -> None:
        self.hits.append((now, cost))
        self.used += cost
        self.expires_at = now + window

    def give_back(self, cost: int) -> None:
        """Take `cost` units off the newest hits (fewer when fewer are left)."""
        while cost > 0 and self.hits:
            timestamp, hit_cost = self.hits.pop()
            returned = min(cost, hit_cost)
            if hit_cost > returned:
                self.hits.append((timestamp, hit_cost - returned))
            self.used -= returned
            cost -= returned

    def wait_until_fits(self, now: int, window: int, cost: int, limit: int) -> int:
        """Microseconds until enough of the oldest hits leave the window for `cost` to fit."""
        excess = self.used + cost - limit
        for timestamp, hit_cost in self.hits:
            excess -= hit_cost
            if excess <= 0:
                return timestamp + window - now
        raise AssertionError("cost exceeds the limit")  # check_arguments rules this out


class MemoryRateLimiter:
    """Sliding-log limiter in process memory (see `medianest.ratelimit.RateLimiter`).

    `clock` returns seconds (monotonic by default; tests inject a fake one). Keys whose window
    has passed are swept at most every `sweep_interval` seconds, so memory stays proportional to
    the keys hit recently rather than to every key ever seen.
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, sweep_interval: float = 60.0
    ) -> None:
        self._clock = clock
        self._sweep_interval = round(sweep_interval * MICROS)
        self._logs: dict[str, _HitLog] = {}
        self._next_sweep = self._now() + self._sweep_interval

    @property
    def key_count(self) -> int:
        """How many keys are held in memory (expired ones linger until the next sweep)."""
        return len(self._logs)

    async def hit(self, key: str, *, limit: int, window: int, cost: int = 1) -> Decision:
        check_arguments(limit, window, cost)
        now, window_us = self._now(), window * MICROS
        self._sweep_if_due(now)
        log = self._logs.setdefault(key, _HitLog())
        log.forget_before(now, window_us)
        if log.used + cost > limit:
            return refused(limit, window, log.wait_until_fits(now, window_us, cost, limit))
        log.record(now, window_us, cost)
        return allowed(limit, window, log.used)

    async def peek(self, key: str, *, limit: int, window: int) -> Decision:
        check_arguments(limit, window)
        now, window_us = self._now(), window * MICROS
        self._sweep_if_due(now)
        log = self._logs.get(key)
        if log is None:
            return allowed(limit, window, 0)
        log.forget_before(now, window_us)
        if log.used + 1 > limit:
            return refused(limit, window, log.wait_until_fits(now, window_us, 1, limit))
        if not log.hits:
            del self._logs[key]
        return allowed(limit, window, log.used)

    async def reset(self, key: str) -> None:
        self._logs.pop(key, None)

    async def refund(self, key: str, *, cost: int = 1) -> None:
        log = self._logs.get(key)
        if log is not None:
            log.give_back(cost)

    async def close(self) -> None:
        self._logs.clear()

    def _now(self) -> int:
        # Whole microseconds, like the Redis backend: integer arithmetic has no rounding edges.
        return round(self._clock() * MICROS)

    def _sweep_if_due(self, now: int) -> None:
        if now < self._next_sweep:
            return
        self._logs = {key: log for key, log in self._logs.items() if log.expires_at > now}
        self._next_sweep = now + self._sweep_interval
