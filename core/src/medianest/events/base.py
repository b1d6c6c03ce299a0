"""What travels on the event bus (`Event`) and what a bus is (`EventBus`); see the package."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable
from uuid import uuid4

DEFAULT_CHANNEL = "medianest:events"


class MalformedEvent(ValueError):
    """A payload that is not an event `Event.to_json` wrote."""


@dataclass(frozen=True)
class Event:
    """Something that happened. `data` must be JSON-serialisable and is shared by every handler:
    treat it as read-only."""

    name: str  # "service:status", "plugin:state", "notification", "download:progress", …
    data: Mapping[str, Any]
    user_id: str | None = None  # set: only that user's sockets get it
    topic: str | None = None  # a per-object channel, e.g. "youtube:<download id>"
    id: str = field(default_factory=lambda: uuid4().hex)
    origin: str = ""  # instance id of the publisher; the bus fills it in
    at: float = field(default_factory=time.time)

    def to_json(self) -> str:
        fields = asdict(self)
        fields["data"] = dict(self.data)
        return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        """Parse what `to_json` wrote; anything else raises `MalformedEvent`."""
        try:
            fields = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedEvent(f"not JSON: {exc}") from None
        if not isinstance(fields, dict):
            raise MalformedEvent("an event is a JSON object")
        _require(fields, "name", str, optional=False)
        _require(fields, "data", dict, optional=False)
        for name in ("user_id", "topic"):
            _require(fields, name, str)
        for name in ("id", "origin"):
            _require(fields, name, str, nullable=False)
        _require(fields, "at", (int, float), nullable=False)
        known = {key: fields[key] for key in cls.__dataclass_fields__ if key in fields}
        return cls(**known)


def _require(
    fields: dict[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    *,
    optional: bool = True,
    nullable: bool = True,
) -> None:
    if key not in fields:
        if optional:
            return
        raise MalformedEvent(f"event field {key!r} is missing")
    value = fields[key]
    if value is None and nullable:
        return
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MalformedEvent(f"event field {key!r} has the wrong type")


Handler = Callable[[Event], Awaitable[None]]


@runtime_checkable
class EventBus(Protocol):
    """What the app, workers and plugins publish to and subscribe on."""

    instance_id: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, event: Event) -> None:
        """Deliver to local handlers and every other instance; never raises on an outage."""

    def subscribe(
        self, handler: Handler, *, names: Iterable[str] | None = None
    ) -> Callable[[], None]:
        """Call `handler` for every event (or those named); returns the unsubscribe function."""
