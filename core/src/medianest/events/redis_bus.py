"""The event bus shared by every app instance and worker through one Redis pub/sub channel.

`publish` hands the event to this process's handlers at once and then PUBLISHes it. One
listener task per bus reads the channel and dispatches what other instances sent; it skips
messages whose `origin` is this instance, whose handlers already had them. Redis is optional
for correctness here: while it is unreachable every process still gets its own events, other
instances miss them (at most once), one warning is logged per outage and one line on recovery,
and the listener reconnects with capped, jittered backoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import EqualJitterBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from medianest.events.base import DEFAULT_CHANNEL, Event, Handler, MalformedEvent
from medianest.events.memory import (
    DEFAULT_QUEUE_SIZE,
    DEFAULT_SHUTDOWN_GRACE,
    LocalDispatcher,
    cancel_and_wait,
    default_instance_id,
)

log = logging.getLogger("medianest.events")

IDLE_POLL = 5.0  # an idle listener wakes this often, which lets redis-py send its health pings
MAX_BACKOFF_EXPONENT = 16  # keeps 2**failures finite during a days-long outage


class _RedisLink:
    """Whether Redis answered last time, so that an outage is logged once and a recovery once.

    While Redis is down, `publish` only retries every `retry_after` seconds: events published
    in between stay local instead of each waiting for a connection timeout.
    """

    def __init__(self, channel: str, retry_after: float) -> None:
        self.channel = channel
        self.up: bool | None = None  # None: not tried yet
        self.retry_after = retry_after
        self._retry_at = 0.0

    def worth_trying(self) -> bool:
        return self.up is not False or time.monotonic() >= self._retry_at

    def failed(self, exc: BaseException) -> None:
        self._retry_at = time.monotonic() + self.retry_after
        if self.up is not False:
            log.warning(
                "Redis is unreachable for events on %s (%s: %s); events stay in this process "
                "until it is back",
                self.channel,
                type(exc).__name__,
                exc,
            )
        self.up = False

    def succeeded(self) -> None:
        if self.up is False:
            log.info("Redis is reachable again; events on %s are shared again", self.channel)
        self.up = True


class RedisEventBus:
    """Events shared by every instance through Redis pub/sub (at most once)."""

    def __init__(
        self,
        url: str,
        *,
        channel: str = DEFAULT_CHANNEL,
        instance_id: str | None = None,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE,
        connect_timeout: float = 2.0,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
    ) -> None:
        self.channel = channel
        self.instance_id = instance_id or default_instance_id()
        self._local = LocalDispatcher(queue_size)
        self._shutdown_grace = shutdown_grace
        self._connect_timeout = connect_timeout
        self._redis = Redis.from_url(
            url,
            socket_connect_timeout=connect_timeout,
            # Bounds PUBLISH; the listener passes its own read timeout.
            socket_timeout=connect_timeout,
            socket_keepalive=True,
            health_check_interval=30,
            retry=Retry(NoBackoff(), 1),  # one immediate retry replaces a stale pooled connection
        )
        self._backoff = EqualJitterBackoff(cap=backoff_cap, base=backoff_base)
        self._link = _RedisLink(channel, retry_after=backoff_base)
        self._listener: asyncio.Task[None] | None = None
        self._failures = 0
        self._subscribed = asyncio.Event()  # the channel subscription is live
        self._first_attempt = asyncio.Event()  # the listener tried once, either way

    @property
    def connected(self) -> bool:
        """True while the listener is subscribed; for readiness checks (`degraded` when False)."""
        return self._subscribed.is_set()

    async def start(self) -> None:
        """Start listening; returns once subscribed, or after the first failed attempt.

        Never hangs on an unreachable Redis: the listener keeps retrying in the background.
        """
        if self._listener is None or self._listener.done():
            self._first_attempt.clear()
            self._listener = asyncio.get_running_loop().create_task(
                self._listen(), name=f"medianest-events-listener:{self.channel}"
            )
        try:
            await asyncio.wait_for(self._first_attempt.wait(), 2 * self._connect_timeout + 1)
        except TimeoutError:
            log.warning("event listener on %s is still connecting; carrying on", self.channel)

    async def stop(self) -> None:
        if self._listener is not None:
            await cancel_and_wait([self._listener])
            self._listener = None
        self._subscribed.clear()
        await self._local.close(self._shutdown_grace)
        await self._redis.aclose()

    async def publish(self, event: Event) -> None:
        event = replace(event, origin=self.instance_id)
        self._local.dispatch(event)
        if not self._link.worth_trying():
            return
        try:
            payload = event.to_json()
        except (TypeError, ValueError):
            log.exception(
                "event %s is not JSON-serialisable; delivered in this process only", event.name
            )
            return
        try:
            await self._redis.publish(self.channel, payload)
        except (RedisError, OSError) as exc:
            self._link.failed(exc)
        else:
            self._link.succeeded()

    def subscribe(
        self, handler: Handler, *, names: Iterable[str] | None = None
    ) -> Callable[[], None]:
        return self._local.subscribe(handler, names)

    async def drain(self) -> None:
        """Wait until local handlers have processed everything dispatched so far."""
        await self._local.drain()

    # ---- the listener -----------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await self._subscribe(pubsub)
                    await self._relay(pubsub)
            except (RedisError, OSError) as exc:
                self._link.failed(exc)
            except Exception:  # a bug must not end cross-instance delivery for good
                log.exception("event listener on %s failed; restarting it", self.channel)
            self._subscribed.clear()
            self._first_attempt.set()
            self._failures += 1
            await asyncio.sleep(self._backoff.compute(min(self._failures, MAX_BACKOFF_EXPONENT)))

    async def _subscribe(self, pubsub: PubSub) -> None:
        """Subscribe and wait for Redis to confirm, so that nothing published after `start()`
        returns can be missed."""
        await pubsub.subscribe(self.channel)
        confirmation = await pubsub.get_message(timeout=self._connect_timeout)
        if confirmation is None or confirmation["type"] != "subscribe":
            raise RedisConnectionError("Redis did not confirm the subscription")
        self._failures = 0
        self._link.succeeded()
        self._subscribed.set()
        self._first_attempt.set()

    async def _relay(self, pubsub: PubSub) -> None:
        while True:
            message = await pubsub.get_message(timeout=IDLE_POLL)
            if message is not None and message["type"] == "message":
                self._receive(message["data"])

    def _receive(self, raw: bytes) -> None:
        try:
            event = Event.from_json(raw)
        except MalformedEvent as exc:
            log.warning("ignored a malformed message on %s: %s", self.channel, exc)
            return
        if event.origin != self.instance_id:  # our own events were dispatched by `publish`
            self._local.dispatch(event)
