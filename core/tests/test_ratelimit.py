"""Rate limiter contract, run against the memory backend and a real Redis.

Behaviour that needs time to pass uses an injected clock on the memory backend; on Redis, whose
clock the tests cannot move, it sleeps past `retry_after` and checks what is allowed then.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from medianest.ratelimit import (
    Decision,
    LimiterUnavailable,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    create_limiter,
)

MICROS = 1_000_000
# These tests check exact counts under bursts of 200 hits, not the production budget of 0.5 s:
# on a loaded machine opening the pool's 50 connections at once can take longer than that.
BURST_TIMEOUT = 5.0


class FakeClock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def delete_prefix(url: str, prefix: str) -> None:
    async with Redis.from_url(url) as client:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)


@pytest.fixture
async def redis_limiter(redis_url: str, unique_prefix: str) -> AsyncIterator[RedisRateLimiter]:
    limiter = RedisRateLimiter(redis_url, prefix=unique_prefix, timeout=BURST_TIMEOUT)
    yield limiter
    await limiter.close()
    await delete_prefix(redis_url, unique_prefix)


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    """Each backend in turn; only the Redis run needs (and skips without) a Redis server."""
    if request.param == "memory":
        memory = MemoryRateLimiter()
        yield memory
        await memory.close()
        return
    url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("unique_prefix")
    redis = RedisRateLimiter(url, prefix=prefix, timeout=BURST_TIMEOUT)
    yield redis
    await redis.close()
    await delete_prefix(url, prefix)


async def hit_many(limiter: RateLimiter, key: str, count: int, **limits: int) -> list[Decision]:
    return list(await asyncio.gather(*(limiter.hit(key, **limits) for _ in range(count))))


# --- exact limits under concurrency ---------------------------------------------------------


async def test_concurrent_hits_allow_exactly_the_limit(limiter: RateLimiter) -> None:
    decisions = await hit_many(limiter, "api:user:1", 200, limit=50, window=60)

    allowed = [d for d in decisions if d.allowed]
    assert len(allowed) == 50
    # Each allowed hit saw its own count: no two hits were let through on the same slot.
    assert sorted(d.remaining for d in allowed) == list(range(50))
    assert all(d.remaining == 0 and 0 < d.retry_after <= 60 for d in decisions if not d.allowed)


async def test_two_instances_share_one_limit(redis_url: str, unique_prefix: str) -> None:
    first = RedisRateLimiter(redis_url, prefix=unique_prefix, timeout=BURST_TIMEOUT)
    second = RedisRateLimiter(redis_url, prefix=unique_prefix, timeout=BURST_TIMEOUT)
    try:
        hits = [
            (first if n % 2 else second).hit("api:user:7", limit=30, window=60) for n in range(100)
        ]
        decisions = await asyncio.gather(*hits)
    finally:
        await first.close()
        await second.close()
        await delete_prefix(redis_url, unique_prefix)

    assert sum(d.allowed for d in decisions) == 30
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(30))


async def test_keys_are_independent(limiter: RateLimiter) -> None:
    await hit_many(limiter, "youtube:user:1", 5, limit=5, window=3600)

    assert not (await limiter.hit("youtube:user:1", limit=5, window=3600)).allowed
    assert (await limiter.hit("youtube:user:2", limit=5, window=3600)).allowed


async def test_cost_is_weighed_against_the_limit(limiter: RateLimiter) -> None:
    assert (await limiter.hit("k", limit=5, window=60, cost=3)).remaining == 2
    refused = await limiter.hit("k", limit=5, window=60, cost=3)
    assert not refused.allowed and refused.retry_after > 0
    assert (await limiter.hit("k", limit=5, window=60, cost=2)).remaining == 0


@pytest.mark.parametrize(
    ("limit", "window", "cost"), [(0, 60, 1), (5, 0, 1), (5, 60, 0), (5, 60, 6)]
)
async def test_impossible_arguments_are_rejected(
    limiter: RateLimiter, limit: int, window: int, cost: int
) -> None:
    with pytest.raises(ValueError):
        await limiter.hit("k", limit=limit, window=window, cost=cost)


# --- refusals, retry_after and the sliding window -------------------------------------------


async def test_refused_hits_are_not_counted(limiter: RateLimiter) -> None:
    await hit_many(limiter, "signin:account:ada", 2, limit=2, window=1)
    hammering = [await limiter.hit("signin:account:ada", limit=2, window=1) for _ in range(20)]
    assert not any(d.allowed for d in hammering)
    assert all(d.remaining == 0 and d.retry_after >= 1 for d in hammering)

    await asyncio.sleep(hammering[-1].retry_after)

    # Had the refusals been recorded, they would still fill the window now.
    assert (await limiter.hit("signin:account:ada", limit=2, window=1)).allowed


async def test_redis_window_slides(redis_limiter: RedisRateLimiter) -> None:
    limits = {"limit": 2, "window": 4}
    assert (await redis_limiter.hit("k", **limits)).allowed  # A at t0
    await asyncio.sleep(2)
    assert (await redis_limiter.hit("k", **limits)).allowed  # B at t0 + 2
    refused = await redis_limiter.hit("k", **limits)
    assert not refused.allowed and 1 <= refused.retry_after <= 2  # waits for A only

    await asyncio.sleep(refused.retry_after)

    assert (await redis_limiter.hit("k", **limits)).allowed  # A has left the window...
    assert not (await redis_limiter.hit("k", **limits)).allowed  # ...B has not


async def test_no_burst_across_a_window_edge() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    clock.advance(59.9)
    await hit_many(limiter, "api:user:1", 100, limit=100, window=60)
    clock.advance(0.2)  # a fixed window would start afresh here and allow 100 more

    refused = await limiter.hit("api:user:1", limit=100, window=60)
    assert not refused.allowed
    assert refused.retry_after == 60  # 59.8 s, rounded up

    clock.advance(59.8)
    assert (await limiter.hit("api:user:1", limit=100, window=60)).allowed


async def test_waiting_retry_after_is_enough_and_needed() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    await limiter.hit("k", limit=1, window=10)
    clock.advance(2.5)

    refused = await limiter.hit("k", limit=1, window=10)
    assert refused.retry_after == 8  # 7.5 s, rounded up

    clock.advance(7.4)
    assert not (await limiter.hit("k", limit=1, window=10)).allowed
    clock.advance(0.6)
    assert (await limiter.hit("k", limit=1, window=10)).allowed


# --- peek and reset ---------------------------------------------------------------------------


async def test_peek_does_not_count(limiter: RateLimiter) -> None:
    assert await limiter.peek("k", limit=3, window=60) == Decision(True, 3, 60, 3, 0)
    for _ in range(10):
        await limiter.peek("k", limit=3, window=60)

    await hit_many(limiter, "k", 2, limit=3, window=60)
    assert (await limiter.peek("k", limit=3, window=60)).remaining == 1
    assert (await limiter.hit("k", limit=3, window=60)).allowed

    full = await limiter.peek("k", limit=3, window=60)
    assert not full.allowed and full.remaining == 0 and 0 < full.retry_after <= 60


async def test_reset_clears(limiter: RateLimiter) -> None:
    await hit_many(limiter, "k", 3, limit=3, window=60)
    assert not (await limiter.hit("k", limit=3, window=60)).allowed

    await limiter.reset("k")

    assert (await limiter.hit("k", limit=3, window=60)).remaining == 2
    await limiter.reset("never-used")  # no error


async def test_refund_gives_back_the_latest_units(limiter: RateLimiter) -> None:
    await hit_many(limiter, "k", 3, limit=3, window=60)
    assert not (await limiter.hit("k", limit=3, window=60)).allowed

    await limiter.refund("k")

    assert (await limiter.hit("k", limit=3, window=60)).remaining == 0
    await limiter.hit("c", limit=5, window=60, cost=3)
    await limiter.refund("c", cost=2)
    assert (await limiter.peek("c", limit=5, window=60)).remaining == 4
    await limiter.refund("never-used")  # no error
    await limiter.refund("c", cost=5)  # more than was spent: the key is simply empty
    assert (await limiter.peek("c", limit=5, window=60)).remaining == 5


async def test_concurrent_hits_then_refunds_balance(limiter: RateLimiter) -> None:
    """Reserve first, give back what went well: concurrent callers never pass the limit."""
    decisions = await hit_many(limiter, "k", 20, limit=5, window=60)
    assert sum(decision.allowed for decision in decisions) == 5
    await asyncio.gather(*(limiter.refund("k") for _ in range(2)))
    assert sum([(await limiter.hit("k", limit=5, window=60)).allowed for _ in range(5)]) == 2


# --- Redis specifics --------------------------------------------------------------------------


async def test_every_redis_key_has_a_ttl(
    redis_limiter: RedisRateLimiter, redis_url: str, unique_prefix: str
) -> None:
    await hit_many(redis_limiter, "api:user:1", 5, limit=3, window=60)  # some refused
    await redis_limiter.hit("youtube:user:1", limit=5, window=3600, cost=2)
    await redis_limiter.peek("media:user:1", limit=20, window=3600)  # writes nothing
    await redis_limiter.peek("api:user:1", limit=3, window=60)

    async with Redis.from_url(redis_url) as client:
        keys = sorted([key async for key in client.scan_iter(match=f"{unique_prefix}*")])
        ttls = {key: await client.pttl(key) for key in keys}

    assert keys == [
        f"{unique_prefix}api:user:1".encode(),
        f"{unique_prefix}youtube:user:1".encode(),
    ]
    assert 0 < ttls[keys[0]] <= 60_000
    assert 3_590_000 < ttls[keys[1]] <= 3_600_000


async def test_redis_retry_after_waits_for_the_right_hits(
    redis_limiter: RedisRateLimiter, redis_url: str, unique_prefix: str
) -> None:
    """Hits planted 70, 50, 40 and 30 s ago (by the server's clock) against 3 per minute."""
    async with Redis.from_url(redis_url) as client:
        seconds, micros = await client.time()
        now = seconds * MICROS + micros
        planted = {f"planted:{age}": now - age * MICROS for age in (70, 50, 40, 30)}
        await client.zadd(f"{unique_prefix}k", planted)
        await client.pexpire(f"{unique_prefix}k", 60_000)

    # The 70 s old hit is outside the window; one unit must wait for the 50 s old hit to
    # leave (10 s), two units for the 40 s old one too (20 s).
    assert (await redis_limiter.peek("k", limit=4, window=60)).remaining == 1
    assert (await redis_limiter.peek("k", limit=3, window=60)).retry_after == 10
    assert (await redis_limiter.peek("k", limit=2, window=60)).retry_after == 20
    assert (await redis_limiter.hit("k", limit=3, window=60)).retry_after == 10
    assert (await redis_limiter.hit("k", limit=3, window=60, cost=2)).retry_after == 20
    assert (await redis_limiter.hit("k", limit=4, window=60)).remaining == 0


async def test_redis_down_raises_limiter_unavailable() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", timeout=0.2)
    try:
        for call in (
            limiter.hit("k", limit=1, window=1),
            limiter.peek("k", limit=1, window=1),
            limiter.reset("k"),
        ):
            with pytest.raises(LimiterUnavailable):
                await call
    finally:
        await limiter.close()


async def test_unresponsive_redis_raises_limiter_unavailable() -> None:
    """A server that accepts connections and never answers must not hang the request."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{port}/0", timeout=0.2)
    try:
        with pytest.raises(LimiterUnavailable):
            await limiter.hit("k", limit=1, window=1)
    finally:
        await limiter.close()
        server.close()
        await server.wait_closed()


async def test_from_client_uses_the_callers_client(redis_url: str, unique_prefix: str) -> None:
    async with Redis.from_url(redis_url) as client:
        limiter = RedisRateLimiter.from_client(client, prefix=unique_prefix)
        assert (await limiter.hit("k", limit=1, window=60)).allowed
        await limiter.close()  # must leave the caller's client usable
        assert await client.exists(f"{unique_prefix}k") == 1
        await client.delete(f"{unique_prefix}k")


# --- memory specifics and the factory ---------------------------------------------------------


async def test_memory_backend_prunes_expired_keys() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock, sweep_interval=30)
    for user in range(1000):
        await limiter.hit(f"api:user:{user}", limit=100, window=60)
    await limiter.hit("youtube:user:1", limit=5, window=3600)
    assert limiter.key_count == 1001

    clock.advance(61)
    await limiter.hit("api:user:new", limit=100, window=60)

    assert limiter.key_count == 2  # the hour-long key still holds a live hit
    assert not (await hit_many(limiter, "youtube:user:1", 5, limit=5, window=3600))[-1].allowed


async def test_create_limiter_picks_the_backend(redis_url: str) -> None:
    memory = create_limiter(None)
    redis = create_limiter(redis_url, prefix="unused:")
    try:
        assert isinstance(memory, MemoryRateLimiter) and isinstance(memory, RateLimiter)
        assert isinstance(redis, RedisRateLimiter) and isinstance(redis, RateLimiter)
        assert isinstance(create_limiter(""), MemoryRateLimiter)
    finally:
        await memory.close()
        await redis.close()


# --- model tests: the backends against a literal reading of the contract --------------------


class ReferenceLimiter:
    """The contract, literally: a hit is allowed if the allowed hits of the last `window`
    plus its cost fit in `limit`; a refused hit may retry at the first moment it would fit."""

    def __init__(self, limit: int, window: int) -> None:
        self.limit, self.window = limit, window * MICROS
        self.log: list[tuple[int, int]] = []

    def fits(self, now: int, cost: int) -> bool:
        used = sum(c for t, c in self.log if t > now - self.window)
        return used + cost <= self.limit

    def hit(self, now: int, cost: int) -> tuple[bool, int, int]:
        """(allowed, remaining, retry_after) for a hit at `now` µs."""
        if self.fits(now, cost):
            self.log.append((now, cost))
            used = sum(c for t, c in self.log if t > now - self.window)
            return True, self.limit - used, 0
        chances = [t + self.window for t, _ in self.log if t + self.window > now]
        first = min(moment for moment in chances if self.fits(moment, cost))
        return False, 0, -(-(first - now) // MICROS)


timelines = st.lists(
    # (advance ms, cost); round steps land hits exactly on window edges
    st.tuples(st.sampled_from([0, 500, 1000]) | st.integers(0, 3000), st.integers(1, 4)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(limit=st.integers(4, 8), window=st.integers(1, 5), timeline=timelines)
def test_memory_backend_matches_the_reference(
    limit: int, window: int, timeline: list[tuple[int, int]]
) -> None:
    async def replay() -> None:
        clock_ms = 0
        limiter = MemoryRateLimiter(clock=lambda: clock_ms / 1000, sweep_interval=1)
        model = ReferenceLimiter(limit, window)
        for advance_ms, cost in timeline:
            clock_ms += advance_ms
            got = await limiter.hit("k", limit=limit, window=window, cost=cost)
            expected = model.hit(clock_ms * 1000, cost)
            assert (got.allowed, got.remaining, got.retry_after) == expected
            if not got.allowed:  # and waiting retry_after would have been enough
                assert model.fits((clock_ms + got.retry_after * 1000) * 1000, cost)

    asyncio.run(replay())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    limit=st.integers(1, 8),
    steps=st.lists(st.one_of(st.integers(1, 4), st.just("reset")), min_size=1, max_size=30),
)
def test_redis_backend_matches_the_reference(
    redis_url: str, unique_prefix: str, limit: int, steps: list[int | str]
) -> None:
    """Within one long window (the Redis clock cannot be moved): costs, refusals and resets."""

    async def replay() -> None:
        limiter = RedisRateLimiter(redis_url, prefix=unique_prefix)
        key, model = uuid.uuid4().hex, ReferenceLimiter(limit, 3600)
        try:
            for step in steps:
                if step == "reset":
                    await limiter.reset(key)
                    model.log.clear()
                    continue
                cost = min(step, limit)
                got = await limiter.hit(key, limit=limit, window=3600, cost=cost)
                allowed, remaining, _ = model.hit(0, cost)
                assert (got.allowed, got.remaining) == (allowed, remaining)
                assert got.allowed or 0 < got.retry_after <= 3600
        finally:
            await limiter.reset(key)
            await limiter.close()

    asyncio.run(replay())
