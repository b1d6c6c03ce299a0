"""The rate-limiter contract both backends implement, and the arithmetic they share.

Both backends keep a sliding log: every allowed hit is remembered with its timestamp (in whole
microseconds) for `window` seconds, and a hit is allowed when the hits still remembered plus its
cost fit in `limit`. A refused hit leaves no trace. See docs/decisions/0006-rate-limiting.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

MICROS = 1_000_000


@dataclass(frozen=True)
class Decision:
    """The answer to one `hit` (or `peek`).

    `remaining` is the number of hits left in the current window after this one (for `peek`,
    which consumes nothing, the hits left now); 0 when refused. `retry_after` is the number of
    whole seconds after which the same hit would be allowed (0 when allowed): rounded up, so a
    caller that waits exactly that long is not refused again unless others spent the room first.
    """

    allowed: bool
    limit: int
    window: int
    remaining: int
    retry_after: int


class LimiterUnavailable(Exception):
    """The backend (Redis) could not answer in time.

    The limiter never decides what this means: the caller does. The general API fails open
    (serve the request, log it), sign-in and PIN creation fail closed (answer 503).
    """


@runtime_checkable
class RateLimiter(Protocol):
    """At most `limit` hits (weighted by `cost`) in any `window` seconds, per opaque `key`."""

    async def hit(self, key: str, *, limit: int, window: int, cost: int = 1) -> Decision:
        """Record a hit if it fits; a refused hit is not recorded."""
        ...

    async def peek(self, key: str, *, limit: int, window: int) -> Decision:
        """Whether one more hit would be allowed now, without recording anything."""
        ...

    async def reset(self, key: str) -> None:
        """Forget every hit recorded for `key`."""
        ...

    async def refund(self, key: str, *, cost: int = 1) -> None:
        """Give back the `cost` most recently recorded units of `key`: a caller that counts an
        attempt before the slow check (a sign-in) returns it when the attempt turns out fine."""
        ...

    async def close(self) -> None:
        """Release the backend's resources."""
        ...


def check_arguments(limit: int, window: int, cost: int = 1) -> None:
    """Refuse calls no window could ever satisfy: they are programming errors, not refusals."""
    if limit < 1 or window < 1:
        raise ValueError(f"limit and window must be at least 1 (got {limit=}, {window=})")
    if not 1 <= cost <= limit:
        raise ValueError(f"cost must be between 1 and the limit (got {cost=}, {limit=})")


def allowed(limit: int, window: int, used: int) -> Decision:
    """An allowing decision, `used` counting every hit in the window (this one included)."""
    return Decision(True, limit, window, remaining=limit - used, retry_after=0)


def refused(limit: int, window: int, wait_micros: int) -> Decision:
    """A refusing decision; the wait is rounded up to whole seconds, never below one."""
    return Decision(
        False, limit, window, remaining=0, retry_after=max(1, -(-wait_micros // MICROS))
    )
