"""Redis rate limiter shared by every app instance (production mode).

Each key is a sorted set of allowed hits scored by their time in microseconds. One Lua script per
call trims, counts, decides and records atomically, reading the time from the Redis server, so
instances with skewed clocks share one timeline. Every write renews the key's TTL to one window:
a key can never outlive the hits it holds.
"""

from __future__ import annotations

import uuid
from typing import Any, Self

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from medianest.ratelimit.base import (
    MICROS,
    Decision,
    LimiterUnavailable,
    allowed,
    check_arguments,
    refused,
)

# KEYS[1] sorted set of hits; ARGV limit, window (µs), cost, unique token for this call.
# Returns {1, used} when recorded, {0, wait µs} when refused (and nothing is written).
# Bounds are passed as numbers, never concatenated: Lua's tostring keeps only 14 digits.
_HIT = """
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used + cost > limit then
  -- the hit fits once the oldest `used + cost - limit` units have left the window
  local last = used + cost - limit - 1
  local blocker = redis.call('ZRANGE', KEYS[1], last, last, 'WITHSCORES')
  return {0, tonumber(blocker[2]) + window - now}
end
for unit = 1, cost do
  redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. unit)
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return {1, used + cost}
"""

# Read-only twin of _HIT for one unit: {1, used} or {0, wait µs}.
_PEEK = """
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local since = now - window + 1
local used = redis.call('ZCOUNT', KEYS[1], since, '+inf')
if used < limit then
  return {1, used}
end
local blocker = redis.call('ZRANGEBYSCORE', KEYS[1], since, '+inf',
                           'WITHSCORES', 'LIMIT', used - limit, 1)
return {0, tonumber(blocker[2]) + window - now}
"""


class RedisRateLimiter:
    """Sliding-log limiter in Redis (see `medianest.ratelimit.RateLimiter`).

    Any Redis error or timeout raises `LimiterUnavailable`; whether to fail open or closed is the
    caller's decision (general API: open; sign-in and PIN: closed). `timeout` bounds the wait for
    a pooled connection, the connect and each reply.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "medianest:rl:",
        pool_size: int = 50,
        timeout: float = 0.5,
    ) -> None:
        # The default pool raises MaxConnectionsError under a burst; this one queues for `timeout`.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=pool_size,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # One immediate retry on a dropped connection (e.g. after a Redis restart), none on a
            # timeout: the script may have run, and running it again would count the hit twice.
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
        self._setup(Redis.from_pool(pool), prefix, owns_client=True)

    @classmethod
    def from_client(cls, client: Redis, *, prefix: str = "medianest:rl:") -> Self:
        """Use a client the caller already has; `close()` then leaves that client open."""
        limiter = cls.__new__(cls)
        limiter._setup(client, prefix, owns_client=False)
        return limiter

    def _setup(self, client: Redis, prefix: str, *, owns_client: bool) -> None:
        self._client = client
        self._prefix = prefix
        self._owns_client = owns_client
        self._hit_script = client.register_script(_HIT)
        self._peek_script = client.register_script(_PEEK)

    async def hit(self, key: str, *, limit: int, window: int, cost: int = 1) -> Decision:
        check_arguments(limit, window, cost)
        token = uuid.uuid4().hex  # makes this call's set members unique
        args: list[int | str] = [limit, window * MICROS, cost, token]
        recorded, value = await self._run(self._hit_script, key, args)
        if recorded:
            return allowed(limit, window, value)
        return refused(limit, window, value)

    async def peek(self, key: str, *, limit: int, window: int) -> Decision:
        check_arguments(limit, window)
        fits, value = await self._run(self._peek_script, key, [limit, window * MICROS])
        if fits:
            return allowed(limit, window, value)
        return refused(limit, window, value)

    async def reset(self, key: str) -> None:
        try:
            await self._client.delete(self._prefix + key)
        except (RedisError, OSError) as error:
            raise LimiterUnavailable(f"rate limiter backend failed: {error}") from error

    async def refund(self, key: str, *, cost: int = 1) -> None:
        try:  # one unit is one member, the newest scored highest
            await self._client.zpopmax(self._prefix + key, cost)
        except (RedisError, OSError) as error:
            raise LimiterUnavailable(f"rate limiter backend failed: {error}") from error

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _run(self, script: Any, key: str, args: list[int | str]) -> list[int]:
        try:
            return await script(keys=[self._prefix + key], args=args)
        except (RedisError, OSError) as error:
            raise LimiterUnavailable(f"rate limiter backend failed: {error}") from error
