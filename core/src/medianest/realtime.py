"""Fan-out of bus events to websocket clients (`/ws/status`, `/ws/youtube/{id}`).

A websocket route registers a `Client` with the `Hub` and forwards `await client.next_message()`
to its socket until `ClientClosed` says why to stop. `Hub.deliver` never waits: each event is
serialised once, then put on the bounded queue of every matching client. A client whose queue
is full has stopped reading (a dead or stalled socket); rather than let it grow without bound or
slow the others, the hub drops it with close code 1013 "try again later": the browser reconnects
and reloads the current state, which the API serves, so nothing it needs is lost.

Per message and socket the hub does one `put_nowait` and the socket's sender one `send`, with no
timer of their own: keep-alives come from one pass over every client (`ping_quiet`), not from a
timeout around each socket's wait (docs/decisions/0018).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING

from medianest.events import Event

if TYPE_CHECKING:
    from medianest.events import EventBus

log = logging.getLogger("medianest.realtime")

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001  # the server is stopping; the client may reconnect
CLOSE_TRY_AGAIN_LATER = 1013  # the client fell behind; it may reconnect
CLOSE_UNAUTHENTICATED = 4401  # no session, or its sessions were revoked

# The events browsers may see. Internal ones (plugin state, cache invalidations) stay server-side.
PUSHED_EVENTS = frozenset(
    {"service:status", "notification", "plugins:changed", "download:progress"}
)


class ClientClosed(Exception):
    """The hub closed this client; the route should close its socket with `code`."""

    def __init__(self, code: int) -> None:
        super().__init__(f"websocket client closed with code {code}")
        self.code = code


class Client:
    """One websocket connection's mailbox. Create it with `Hub.connect`."""

    def __init__(
        self,
        hub: Hub,
        *,
        user_id: str | None,
        topics: Iterable[str],
        names: Iterable[str] | None,
        queue_size: int,
    ) -> None:
        self.user_id = user_id
        self.topics: set[str] = set(topics)
        self.names = frozenset(names) if names is not None else None
        self.closed_code: int | None = None
        self.heard = False  # got a message since the hub's last keep-alive pass
        self._hub = hub
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=queue_size)

    async def next_message(self) -> str:
        """The next JSON message for this socket; raises `ClientClosed` once the client is closed
        (even if messages were still queued: a revoked session must not get another one)."""
        if self.closed_code is None:
            message = await self._queue.get()
            if message is not None and self.closed_code is None:
                return message
        raise ClientClosed(self.closed_code or CLOSE_NORMAL)

    def subscribe(self, topic: str) -> None:
        if self.closed_code is None and topic not in self.topics:
            self.topics.add(topic)
            self._hub._index_topic(self, topic)

    def unsubscribe(self, topic: str) -> None:
        if topic in self.topics:
            self.topics.discard(topic)
            self._hub._unindex_topic(self, topic)

    def wants(self, event_name: str) -> bool:
        return self.names is None or event_name in self.names

    def _offer(self, message: str) -> bool:
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            return False
        self.heard = True
        return True

    def _close(self, code: int) -> None:
        if self.closed_code is not None:
            return
        self.closed_code = code
        while not self._queue.empty():  # free the backlog now, and make room for the wake-up
            self._queue.get_nowait()
        self._queue.put_nowait(None)  # wakes a pending `next_message`


class Hub:
    """Every websocket client of this process, indexed by user and topic.

    Not thread-safe: call it from the event loop (a yt-dlp progress hook running in a thread
    publishes through `asyncio.run_coroutine_threadsafe(bus.publish(...), loop)`).
    """

    def __init__(self, *, queue_size: int = 256) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self._queue_size = queue_size
        self._clients: set[Client] = set()
        self._by_user: dict[str, set[Client]] = {}
        self._by_topic: dict[str, set[Client]] = {}
        self.dropped = 0  # clients dropped for falling behind, for /metrics

    @property
    def clients(self) -> int:
        return len(self._clients)

    def connect(
        self,
        *,
        user_id: str | None,
        topics: Iterable[str] = (),
        names: Iterable[str] | None = None,
    ) -> Client:
        """Register a socket. `names`, when given, limits it to those events (e.g. a download
        page's socket wants `download:progress` only, not every status broadcast)."""
        client = Client(
            self, user_id=user_id, topics=topics, names=names, queue_size=self._queue_size
        )
        self._clients.add(client)
        if user_id is not None:
            self._by_user.setdefault(user_id, set()).add(client)
        for topic in client.topics:
            self._index_topic(client, topic)
        return client

    def disconnect(self, client: Client) -> None:
        """Forget a client (its socket ended); idempotent."""
        self.close(client, CLOSE_NORMAL)

    def deliver(self, event: Event) -> int:
        """Queue the event for every matching client without waiting; returns how many got it."""
        recipients = [client for client in self._recipients(event) if client.wants(event.name)]
        if not recipients:
            return 0
        message = self._encode(event)
        if message is None:
            return 0
        return self._offer_each(recipients, message)

    def ping_quiet(self, message: str) -> int:
        """Send `message` to every client that got nothing since the last call (a keep-alive
        for proxies, and a dead peer shows); returns how many got it."""
        delivered = self._offer_each([c for c in self._clients if not c.heard], message)
        for client in self._clients:
            client.heard = False  # a ping does not count: a quiet socket gets one each pass
        return delivered

    def close(self, client: Client, code: int) -> None:
        """Forget a client and close it with `code`; idempotent."""
        self._forget(client)
        client._close(code)

    def close_user(self, user_id: str, code: int = CLOSE_UNAUTHENTICATED) -> int:
        """Close every socket of a user (sessions revoked, account disabled); returns how many."""
        clients = tuple(self._by_user.get(user_id, ()))
        for client in clients:
            self.close(client, code)
        return len(clients)

    def close_all(self, code: int = CLOSE_GOING_AWAY) -> int:
        """Close every socket (the server is stopping: browsers reconnect to another instance
        or once it is back); returns how many."""
        clients = tuple(self._clients)
        for client in clients:
            self.close(client, code)
        return len(clients)

    def attach(
        self, bus: EventBus, *, names: Iterable[str] | None = PUSHED_EVENTS
    ) -> Callable[[], None]:
        """Forward the bus's events (those in `names`; None for all) to the sockets; returns the
        unsubscribe function."""

        async def forward(event: Event) -> None:
            self.deliver(event)

        return bus.subscribe(forward, names=names)

    # ---- internals --------------------------------------------------------------------

    def _recipients(self, event: Event) -> Collection[Client]:
        if event.topic is None:
            if event.user_id is None:
                return tuple(self._clients)
            return tuple(self._by_user.get(event.user_id, ()))
        subscribers = self._by_topic.get(event.topic, set())
        if event.user_id is None:
            return tuple(subscribers)
        return tuple(client for client in subscribers if client.user_id == event.user_id)

    def _offer_each(self, clients: Iterable[Client], message: str) -> int:
        delivered = 0
        for client in clients:
            if client._offer(message):
                delivered += 1
            else:
                self._drop(client)
        return delivered

    @staticmethod
    def _encode(event: Event) -> str | None:
        try:
            return json.dumps(
                {"event": event.name, "data": dict(event.data)}, separators=(",", ":")
            )
        except (TypeError, ValueError):
            log.exception("event %s is not JSON-serialisable; not sent to websockets", event.name)
            return None

    def _drop(self, client: Client) -> None:
        self._forget(client)
        client._close(CLOSE_TRY_AGAIN_LATER)
        self.dropped += 1
        log.info(
            "dropped a websocket client of user %s: %d messages unread",
            client.user_id,
            self._queue_size,
        )

    def _forget(self, client: Client) -> None:
        self._clients.discard(client)
        if client.user_id is not None:
            _discard(self._by_user, client.user_id, client)
        for topic in client.topics:
            _discard(self._by_topic, topic, client)

    def _index_topic(self, client: Client, topic: str) -> None:
        if client in self._clients:
            self._by_topic.setdefault(topic, set()).add(client)

    def _unindex_topic(self, client: Client, topic: str) -> None:
        _discard(self._by_topic, topic, client)


def _discard(index: dict[str, set[Client]], key: str, client: Client) -> None:
    """Remove a client from an index entry, and the entry once empty (no unbounded growth)."""
    members = index.get(key)
    if members is not None:
        members.discard(client)
        if not members:
            del index[key]
