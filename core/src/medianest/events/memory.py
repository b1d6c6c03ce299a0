"""In-process delivery: the whole bus in embedded mode, and the local half of the Redis bus.

Each subscription owns a bounded queue drained by its own task. That gives the three
properties the bus promises: `publish` never waits for a handler (it only enqueues), a slow or
failing handler affects nobody else (its own queue fills, its own exceptions are logged), and
each handler sees events in publish order (download progress must not run backwards). A
handler that falls `queue_size` events behind loses the newest ones until it catches up; the
loss is logged once per episode, not once per event.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import replace
from uuid import uuid4

from medianest.events.base import Event, Handler

log = logging.getLogger("medianest.events")

DEFAULT_QUEUE_SIZE = 1000
DEFAULT_SHUTDOWN_GRACE = 2.0  # seconds `stop()` lets handlers finish what is queued


def default_instance_id() -> str:
    """Readable in logs (host and pid) and unique across restarts (random suffix)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"


async def cancel_and_wait(tasks: Iterable[asyncio.Task]) -> None:
    """Cancel tasks and wait until they have finished, without swallowing our own cancellation."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


class _Subscription:
    def __init__(self, handler: Handler, names: Iterable[str] | None, queue_size: int) -> None:
        self.handler = handler
        self.names = frozenset(names) if names is not None else None
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=queue_size)
        self.worker: asyncio.Task[None] | None = None
        self.dropped = 0  # events lost in the current backlog episode
        self.label = getattr(handler, "__qualname__", repr(handler))

    def wants(self, event: Event) -> bool:
        return self.names is None or event.name in self.names

    def offer(self, event: Event) -> asyncio.Task[None] | None:
        """Queue the event; returns the worker task when this call had to start it."""
        started = None
        if self.worker is None or self.worker.done():
            self.worker = started = asyncio.get_running_loop().create_task(
                self._run(), name=f"medianest-events:{self.label}"
            )
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            if not self.dropped:
                log.warning(
                    "event handler %s is falling behind; dropping events until it catches up",
                    self.label,
                )
            self.dropped += 1
            return started
        if self.dropped:
            log.info("event handler %s caught up after %d dropped events", self.label, self.dropped)
            self.dropped = 0
        return started

    async def _run(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                await self.handler(event)
            except Exception:
                log.exception(
                    "event handler %s failed on %s (%s)", self.label, event.name, event.id
                )
            finally:
                self.queue.task_done()


class LocalDispatcher:
    """Fans each event out to the matching subscriptions of this process."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self._queue_size = queue_size
        self._subscriptions: list[_Subscription] = []
        self._workers: set[asyncio.Task[None]] = set()

    def subscribe(self, handler: Handler, names: Iterable[str] | None = None) -> Callable[[], None]:
        subscription = _Subscription(handler, names, self._queue_size)
        self._subscriptions.append(subscription)

        def unsubscribe() -> None:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)
                if subscription.worker is not None:
                    subscription.worker.cancel()  # `close()` still awaits it through `_workers`

        return unsubscribe

    def dispatch(self, event: Event) -> None:
        """Enqueue for every interested handler; must be called from the event loop."""
        for subscription in tuple(self._subscriptions):
            if subscription.wants(event):
                started = subscription.offer(event)
                if started is not None:
                    self._workers.add(started)
                    started.add_done_callback(self._workers.discard)

    async def drain(self) -> None:
        """Wait until every handler has finished every event queued so far."""
        await asyncio.gather(*(s.queue.join() for s in self._subscriptions))

    async def close(self, grace: float = DEFAULT_SHUTDOWN_GRACE) -> None:
        """Give handlers `grace` seconds to finish their backlog, then stop their tasks."""
        try:
            await asyncio.wait_for(self.drain(), grace)
        except TimeoutError:
            log.warning("event handlers still busy after %.1fs; stopping them", grace)
        await cancel_and_wait(tuple(self._workers))
        for subscription in self._subscriptions:
            subscription.worker = None
            while not subscription.queue.empty():  # what was cut off must not linger
                subscription.queue.get_nowait()
                subscription.queue.task_done()


class MemoryEventBus:
    """The event bus of a single process (embedded mode, tests)."""

    def __init__(
        self,
        *,
        instance_id: str | None = None,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE,
    ) -> None:
        self.instance_id = instance_id or default_instance_id()
        self._local = LocalDispatcher(queue_size)
        self._shutdown_grace = shutdown_grace

    async def start(self) -> None:
        """Nothing to connect to; handlers start on their first event."""

    async def stop(self) -> None:
        await self._local.close(self._shutdown_grace)

    async def publish(self, event: Event) -> None:
        self._local.dispatch(replace(event, origin=self.instance_id))

    def subscribe(
        self, handler: Handler, *, names: Iterable[str] | None = None
    ) -> Callable[[], None]:
        return self._local.subscribe(handler, names)

    async def drain(self) -> None:
        """Wait until every handler has processed everything published so far."""
        await self._local.drain()
