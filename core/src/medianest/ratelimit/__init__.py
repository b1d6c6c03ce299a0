"""Rate limiting: one interface, an in-memory backend (embedded mode) and a Redis one (production).

    limiter = create_limiter(settings.redis_url)
    decision = await limiter.hit(f"api:user:{user.id}", limit=100, window=60)
    if not decision.allowed:
        ...  # 429 with Retry-After: decision.retry_after

At most `limit` hits are allowed in any `window` seconds (a sliding log, so no burst at a window
edge); refused hits are not counted, and `refund` gives back the newest units (count an attempt
first, return it when it turns out fine). The Redis backend raises `LimiterUnavailable` when Redis
cannot answer: the general API then fails open, sign-in and PIN creation fail closed. That choice
belongs to the caller. See docs/decisions/0006-rate-limiting.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from medianest.ratelimit.base import Decision, LimiterUnavailable, RateLimiter
from medianest.ratelimit.memory import MemoryRateLimiter

if TYPE_CHECKING:
    from medianest.ratelimit.redis_backend import RedisRateLimiter

__all__ = [
    "Decision",
    "LimiterUnavailable",
    "MemoryRateLimiter",
    "RateLimiter",
    "RedisRateLimiter",
    "create_limiter",
]


def __getattr__(name: str) -> Any:
    # The Redis limiter, and redis with it, is imported only when asked for: the embedded
    # default never is.
    if name == "RedisRateLimiter":
        from medianest.ratelimit.redis_backend import RedisRateLimiter

        return RedisRateLimiter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def create_limiter(
    redis_url: str | None, *, prefix: str | None = None, **kwargs: Any
) -> RateLimiter:
    """The Redis limiter when a URL is configured, else the in-memory one.

    `prefix` namespaces the Redis keys (memory needs none); other `kwargs` go to the chosen
    backend's constructor (`pool_size`, `timeout` for Redis; `clock`, `sweep_interval` for memory).
    """
    if redis_url:
        from medianest.ratelimit.redis_backend import RedisRateLimiter

        if prefix:
            kwargs["prefix"] = prefix
        return RedisRateLimiter(redis_url, **kwargs)
    return MemoryRateLimiter(**kwargs)
