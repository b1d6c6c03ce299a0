"""The actor cache loads each credential once however many requests miss it together (single
flight), and never keeps what a revocation made stale."""

from __future__ import annotations

import asyncio

import pytest

from medianest.auth.actor import Actor
from medianest.auth.service import ActorCache

ALICE = Actor(user_id="u1", username="alice", role="user", permissions=frozenset(), via="token")


class Loader:
    """A credential lookup that takes a while, counting its calls; `gate` holds it open."""

    def __init__(self, answer: Actor | None = ALICE, error: Exception | None = None) -> None:
        self.calls = 0
        self.answer = answer
        self.error = error
        self.gate = asyncio.Event()

    async def __call__(self) -> tuple[Actor, str | None, float | None] | None:
        self.calls += 1
        await self.gate.wait()
        if self.error is not None:
            raise self.error
        return None if self.answer is None else (self.answer, "binding", None)


async def together(cache: ActorCache, loader: Loader, count: int) -> list:
    waiting = [asyncio.create_task(cache.get_or_load("t:key", loader)) for _ in range(count)]
    await asyncio.sleep(0.01)
    loader.gate.set()
    return await asyncio.gather(*waiting, return_exceptions=True)


async def test_concurrent_misses_load_once():
    cache, loader = ActorCache(), Loader()
    results = await together(cache, loader, 64)
    assert loader.calls == 1
    assert results == [(ALICE, "binding")] * 64
    assert await cache.get_or_load("t:key", Loader()) == (ALICE, "binding")  # cached now


async def test_a_failure_reaches_every_waiter_and_is_not_cached():
    cache, failing = ActorCache(), Loader(error=RuntimeError("database down"))
    results = await together(cache, failing, 10)
    assert failing.calls == 1 and all(isinstance(result, RuntimeError) for result in results)
    again = Loader()
    again.gate.set()
    assert await cache.get_or_load("t:key", again) == (ALICE, "binding") and again.calls == 1


async def test_nobody_is_not_cached():
    cache, nobody = ActorCache(), Loader(answer=None)
    assert await together(cache, nobody, 5) == [None] * 5
    assert nobody.calls == 1
    second = Loader(answer=None)
    second.gate.set()
    assert await cache.get_or_load("t:key", second) is None and second.calls == 1


@pytest.mark.parametrize("revoke", ["drop", "drop_user"])
async def test_a_revocation_during_the_load_is_not_undone(revoke):
    cache, slow = ActorCache(), Loader()
    first = asyncio.create_task(cache.get_or_load("t:key", slow))
    await asyncio.sleep(0.01)
    cache.drop("t:key") if revoke == "drop" else cache.drop_user("u1")
    fresh = Loader(answer=None)  # the credential is gone now
    after = asyncio.create_task(cache.get_or_load("t:key", fresh))
    await asyncio.sleep(0.01)
    slow.gate.set()
    fresh.gate.set()
    assert await first == (ALICE, "binding")  # it asked before the revocation
    assert await after is None and fresh.calls == 1  # did not join the stale load
    nobody = Loader(answer=None)
    nobody.gate.set()
    assert await cache.get_or_load("t:key", nobody) is None  # the stale answer was never cached


async def test_a_caller_that_gives_up_does_not_cancel_the_others():
    cache, loader = ActorCache(), Loader()
    quitter = asyncio.create_task(cache.get_or_load("t:key", loader))
    stayer = asyncio.create_task(cache.get_or_load("t:key", loader))
    await asyncio.sleep(0.01)
    quitter.cancel()
    loader.gate.set()
    assert await stayer == (ALICE, "binding")
    assert loader.calls == 1
