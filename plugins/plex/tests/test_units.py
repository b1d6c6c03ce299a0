"""The plugin's small parts on their own: the cache, the PIN seal, the install's Plex identity."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from medianest.testing.clients import ApiClient
from medianest_plex.auth import PinBinding
from medianest_plex.cache import TTLCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---- TTLCache -----------------------------------------------------------------------------


async def test_a_cached_value_is_reused_until_it_expires():
    clock, calls = Clock(), []
    cache: TTLCache[int] = TTLCache(clock=clock)

    async def fetch() -> int:
        calls.append(1)
        return len(calls)

    assert await cache.get_or_fetch("k", fetch, ttl=30) == 1
    clock.now += 29
    assert await cache.get_or_fetch("k", fetch, ttl=30) == 1
    clock.now += 2
    assert await cache.get_or_fetch("k", fetch, ttl=30) == 2


async def test_a_zero_ttl_caches_nothing():
    cache: TTLCache[int] = TTLCache()
    values = iter(range(10))

    async def fetch() -> int:
        return next(values)

    assert [await cache.get_or_fetch("k", fetch, ttl=0) for _ in range(3)] == [0, 1, 2]
    assert len(cache) == 0


async def test_the_least_recently_used_entry_goes_first_when_full():
    cache: TTLCache[str] = TTLCache(max_entries=2)
    cache.put("a", "A", ttl=60)
    cache.put("b", "B", ttl=60)
    assert cache.get("a") == "A"  # "b" is now the least recently used
    cache.put("c", "C", ttl=60)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")


async def test_concurrent_misses_share_one_fetch():
    cache: TTLCache[str] = TTLCache()
    release = asyncio.Event()
    calls = 0

    async def fetch() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        return "page"

    waiters = [asyncio.create_task(cache.get_or_fetch("k", fetch, ttl=30)) for _ in range(10)]
    await asyncio.sleep(0)
    release.set()

    assert await asyncio.gather(*waiters) == ["page"] * 10
    assert calls == 1


async def test_a_failed_fetch_raises_to_every_waiter_and_caches_nothing():
    cache: TTLCache[str] = TTLCache()
    release = asyncio.Event()

    async def failing() -> str:
        await release.wait()
        raise RuntimeError("plex said no")

    waiters = [asyncio.create_task(cache.get_or_fetch("k", failing, ttl=30)) for _ in range(3)]
    await asyncio.sleep(0)
    release.set()
    outcomes = await asyncio.gather(*waiters, return_exceptions=True)

    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)

    async def working() -> str:
        return "fresh"

    assert await cache.get_or_fetch("k", working, ttl=30) == "fresh"


async def test_a_cancelled_caller_does_not_cancel_the_fetch_for_others():
    cache: TTLCache[str] = TTLCache()
    release = asyncio.Event()

    async def fetch() -> str:
        await release.wait()
        return "page"

    impatient = asyncio.create_task(cache.get_or_fetch("k", fetch, ttl=30))
    patient = asyncio.create_task(cache.get_or_fetch("k", fetch, ttl=30))
    await asyncio.sleep(0)
    impatient.cancel()
    release.set()

    assert await patient == "page"
    with pytest.raises(asyncio.CancelledError):
        await impatient


# ---- the PIN seal ---------------------------------------------------------------------------


def install() -> PinBinding:
    """The seal of one install (its own subkey)."""
    return PinBinding(os.urandom(32))


def test_a_pin_seal_opens_for_its_pin_only():
    binding = install()
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    sealed = binding.seal(42, expires)

    assert binding.open(sealed, 42) == expires
    assert binding.open(sealed, 43) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: s.replace("42.", "43.", 1),  # another PIN
        lambda s: s.replace(".1", ".2", 1),  # a later expiry
        lambda s: s[:-1] + ("0" if s[-1] != "0" else "1"),  # a forged signature
        lambda s: s.rpartition(".")[0],  # no signature
        lambda s: "",
        lambda s: "42",
    ],
)
def test_a_tampered_pin_seal_does_not_open(tamper):
    binding = install()
    sealed = binding.seal(42, datetime(2030, 1, 1, tzinfo=UTC))
    assert binding.open(tamper(sealed), 42) is None


def test_another_installs_seal_does_not_open():
    sealed = install().seal(42, datetime.now(UTC) + timedelta(minutes=5))
    assert install().open(sealed, 42) is None


# ---- the install's Plex identity --------------------------------------------------------


async def test_the_install_names_itself_to_plex_tv_the_same_way_across_restarts(
    make_plex_app, household, app_factory
):
    """plex.tv hands a PIN's token only to the client that made it: the identifier must not
    change between PINs or restarts (it survives key rotation too: see `Secrets.install_id`)."""

    async def client_id_of_a_new_pin(app) -> str:
        response = await ApiClient(app).post("/api/auth/plex/pin")
        assert response.status_code == 200
        return household.plextv.pin((await response.get_json())["data"]["pin_id"]).client_identifier

    app = await make_plex_app()
    first, second = await client_id_of_a_new_pin(app), await client_id_of_a_new_pin(app)
    await app_factory.stop(app)
    after_restart = await client_id_of_a_new_pin(await make_plex_app())

    assert first == second == after_restart
    assert str(uuid.UUID(first)) == first  # a UUID, as Plex clients send
