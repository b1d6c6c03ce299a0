"""The event bus: how one part of MediaNest tells every other part, in every process, what changed.

Service status changes, plugin toggles, download progress and user notifications travel as
`Event`s. Embedded mode uses `MemoryEventBus` (one process); production uses `RedisEventBus`
(Redis pub/sub), so every app instance and worker sees every event. Delivery is at most once:
events are for things that are also persisted or polled, never for work that must not be lost
(that is what the job broker is for). See docs/decisions/0007-events-and-realtime.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from medianest.events.base import DEFAULT_CHANNEL, Event, EventBus, Handler, MalformedEvent
from medianest.events.memory import (
    DEFAULT_QUEUE_SIZE,
    DEFAULT_SHUTDOWN_GRACE,
    MemoryEventBus,
)

if TYPE_CHECKING:
    from medianest.events.redis_bus import RedisEventBus


def __getattr__(name: str) -> Any:
    # The Redis bus, and redis with it, is imported only when asked for: the embedded default
    # never is.
    if name == "RedisEventBus":
        from medianest.events.redis_bus import RedisEventBus

        return RedisEventBus
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def create_event_bus(
    redis_url: str | None,
    *,
    channel: str = DEFAULT_CHANNEL,
    instance_id: str | None = None,
    queue_size: int = DEFAULT_QUEUE_SIZE,
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE,
    **redis_options: Any,
) -> EventBus:
    """A Redis bus when a Redis URL is configured, else the in-process one.

    `redis_options` (`connect_timeout`, `backoff_base`, `backoff_cap`) only apply to Redis, so
    callers can pass the same arguments in both run modes.
    """
    if redis_url:
        from medianest.events.redis_bus import RedisEventBus

        return RedisEventBus(
            redis_url,
            channel=channel,
            instance_id=instance_id,
            queue_size=queue_size,
            shutdown_grace=shutdown_grace,
            **redis_options,
        )
    return MemoryEventBus(
        instance_id=instance_id, queue_size=queue_size, shutdown_grace=shutdown_grace
    )


__all__ = [
    "DEFAULT_CHANNEL",
    "Event",
    "EventBus",
    "Handler",
    "MalformedEvent",
    "MemoryEventBus",
    "RedisEventBus",
    "create_event_bus",
]
