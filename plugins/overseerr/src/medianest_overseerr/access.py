"""Reaching Overseerr: the admin's connection, a client for it, and its failures as API errors.

Each app keeps one `Runtime` (per `core`): the search cache and the user directory. Overseerr's
failures become the envelope's errors here, in one place, worded for the person asking and
never quoting the service's answer (`ServiceError` messages carry no secrets either).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from cachetools import TTLCache

from medianest.sdk import (
    ServiceAuthFailed,
    ServiceDown,
    ServiceNotConfigured,
    ServiceResponseError,
    ServiceUnavailable,
)
from medianest_overseerr.client import Overseerr
from medianest_overseerr.config import SERVICE, connection_options

V = TypeVar("V")

DOWN = "Overseerr isn't answering right now; try again in a moment"
KEY_REFUSED = "Overseerr refused MediaNest's API key: an admin can check it under Admin → Services"
UNUSABLE = "Overseerr gave an answer MediaNest couldn't use"


async def overseerr(core: Any) -> Overseerr:
    """A client for the admin's Overseerr; 503 `SERVICE_UNAVAILABLE` when it is not set up."""
    connection = await core.services.get(SERVICE)
    if connection is None or not connection.enabled or not connection.url or not connection.api_key:
        raise ServiceNotConfigured(
            SERVICE,
            "Requests are not set up yet: an admin connects Overseerr under Admin → Services",
        )
    options = connection_options(connection.config)
    return Overseerr(core.http, connection.url, connection.api_key, timeout=options.timeout)


@contextmanager
def service_errors() -> Iterator[None]:
    """Overseerr's failures as 503 `SERVICE_UNAVAILABLE` with `details.service` (and a reason)."""
    try:
        yield
    except ServiceDown as down:
        raise ServiceUnavailable(SERVICE, DOWN, reason=down.reason) from None
    except ServiceAuthFailed:
        raise ServiceUnavailable(SERVICE, KEY_REFUSED, reason="key_refused") from None
    except ServiceResponseError as refused:
        raise ServiceUnavailable(
            SERVICE, UNUSABLE, reason="bad_answer", status=refused.status_code
        ) from None
    except ValueError:  # an unusable URL, refused before any socket opened
        raise ServiceUnavailable(SERVICE, UNUSABLE, reason="bad_url") from None


class Cache(Generic[V]):
    """A bounded TTL cache whose concurrent misses for one key share a single fetch."""

    def __init__(self, max_entries: int = 512) -> None:
        self._entries: TTLCache[Hashable, tuple[float, V]] = TTLCache(max_entries, ttl=3600)
        self._inflight: dict[Hashable, asyncio.Future[V]] = {}

    async def get(self, key: Hashable, fetch: Callable[[], Awaitable[V]], ttl: float) -> V:
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        if key in self._inflight:
            return await asyncio.shield(self._inflight[key])
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await fetch()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            self._inflight.pop(key, None)
        if ttl > 0:
            self._entries[key] = (time.monotonic() + ttl, value)
        future.set_result(value)
        return value

    def forget(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


class Runtime:
    """What one app keeps in memory for this plugin."""

    def __init__(self) -> None:
        self.searches: Cache[dict[str, Any]] = Cache()
        self.titles: Cache[dict[str, Any] | None] = Cache(max_entries=2048)
        self.users: Cache[tuple[float, list[dict[str, Any]]]] = Cache(max_entries=1)


_RUNTIMES: weakref.WeakKeyDictionary[Any, Runtime] = weakref.WeakKeyDictionary()


def runtime(core: Any) -> Runtime:
    found = _RUNTIMES.get(core)
    if found is None:
        found = _RUNTIMES[core] = Runtime()
    return found
