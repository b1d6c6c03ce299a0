"""A small in-memory TTL cache with single-flight fetches, for repeat views of the same page.

Entries expire after their TTL and the least recently used go first when the cache is full,
so memory stays bounded whatever people browse. Concurrent misses for one key share a single
fetch: ten people opening the same library at once cost Plex one request, not ten.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    def __init__(
        self, *, max_entries: int = 512, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._inflight: dict[Hashable, asyncio.Task[V]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V, ttl: float) -> None:
        if ttl <= 0:
            return
        self._entries[key] = (self._clock() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def get_or_fetch(self, key: Hashable, fetch: Callable[[], Awaitable[V]], ttl: float) -> V:
        """The cached value, else the result of one shared `fetch()` (cached for `ttl` seconds).

        A failed fetch caches nothing and raises to every caller waiting on it. A caller that is
        cancelled (the browser went away) does not cancel the fetch for the others.
        """
        cached = self.get(key)
        if cached is not None:
            return cached
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch(key, fetch, ttl))
            task.add_done_callback(
                _retrieve
            )  # no "exception never retrieved" when all waiters left
            self._inflight[key] = task
        return await asyncio.shield(task)

    async def _fetch(self, key: Hashable, fetch: Callable[[], Awaitable[V]], ttl: float) -> V:
        try:
            value = await fetch()
            self.put(key, value, ttl)
            return value
        finally:
            self._inflight.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


def _retrieve(task: asyncio.Task) -> None:
    if not task.cancelled():
        task.exception()
