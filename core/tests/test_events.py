"""The event bus: local delivery, isolation of handlers, and sharing between instances via Redis."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis

from medianest.events import (
    Event,
    EventBus,
    MalformedEvent,
    MemoryEventBus,
    RedisEventBus,
    create_event_bus,
)

WAIT = 10.0  # guards against hanging forever; never an expectation about speed
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


class Recorder:
    """A handler that remembers what it got and lets a test wait for particular events."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Condition()

    async def __call__(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    @property
    def names(self) -> list[str]:
        return [event.name for event in self.events]

    async def wait_for(self, *names: str) -> None:
        async def seen() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: all(name in self.names for name in names))

        await asyncio.wait_for(seen(), WAIT)


def bus_tasks() -> list[asyncio.Task]:
    return [task for task in asyncio.all_tasks() if task.get_name().startswith("medianest-events")]


async def until(condition: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), WAIT)


@pytest.fixture(autouse=True)
def _capture_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="medianest.events")


def records(caplog: pytest.LogCaptureFixture, level: int, text: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "medianest.events" and r.levelno == level and text in r.getMessage()
    ]


# ---- Event -------------------------------------------------------------------------------


def test_event_json_round_trip() -> None:
    event = Event(
        "download:progress",
        {"id": "d1", "percent": 42.5, "items": [1, 2], "title": "Ünïcode ✓"},
        user_id="u1",
        topic="youtube:d1",
        origin="app-1",
    )
    assert Event.from_json(event.to_json()) == event
    assert Event.from_json(event.to_json().encode()) == event


def test_events_get_distinct_ids() -> None:
    assert Event("a", {}).id != Event("a", {}).id


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe not utf-8",
        "not json",
        "[]",
        '{"data": {}}',
        '{"name": 1, "data": {}}',
        '{"name": "x", "data": []}',
        '{"name": "x", "data": {}, "user_id": 5}',
        '{"name": "x", "data": {}, "at": "soon"}',
        '{"name": "x", "data": {}, "at": true}',
        '{"name": "x", "data": {}, "id": null}',
    ],
)
def test_from_json_refuses_what_is_not_an_event(raw: str | bytes) -> None:
    with pytest.raises(MalformedEvent):
        Event.from_json(raw)


# ---- the memory bus ----------------------------------------------------------------------


async def test_memory_bus_delivers_filters_by_name_and_unsubscribes() -> None:
    bus = MemoryEventBus()
    everything, statuses = Recorder(), Recorder()
    unsubscribe = bus.subscribe(everything)
    bus.subscribe(statuses, names=["service:status"])

    await bus.publish(Event("service:status", {"service": "plex"}))
    await bus.publish(Event("notification", {"text": "hi"}))
    await bus.drain()
    assert everything.names == ["service:status", "notification"]
    assert statuses.names == ["service:status"]

    unsubscribe()
    unsubscribe()  # idempotent
    await bus.publish(Event("service:status", {"service": "overseerr"}))
    await bus.drain()
    assert everything.names == ["service:status", "notification"]
    assert statuses.names == ["service:status", "service:status"]
    await bus.stop()


async def test_the_bus_stamps_its_instance_id_as_origin() -> None:
    bus = MemoryEventBus(instance_id="app-7")
    recorder = Recorder()
    bus.subscribe(recorder)
    await bus.publish(Event("notification", {}, origin="forged"))
    await bus.drain()
    assert [event.origin for event in recorder.events] == ["app-7"]
    await bus.stop()


async def test_a_failing_handler_is_logged_and_isolated(caplog: pytest.LogCaptureFixture) -> None:
    bus = MemoryEventBus()
    seen_by_failing: list[str] = []

    async def failing(event: Event) -> None:
        seen_by_failing.append(event.name)
        raise RuntimeError("handler bug")

    healthy = Recorder()
    bus.subscribe(failing)
    bus.subscribe(healthy)
    await bus.publish(Event("first", {}))
    await bus.publish(Event("second", {}))
    await bus.drain()

    assert healthy.names == ["first", "second"]
    assert seen_by_failing == ["first", "second"]  # it keeps getting events after raising
    failures = records(caplog, logging.ERROR, "failed on")
    assert len(failures) == 2
    assert "handler bug" in (failures[0].exc_text or "")
    await bus.stop()


async def test_a_slow_handler_blocks_neither_publish_nor_other_handlers() -> None:
    bus = MemoryEventBus()
    release = asyncio.Event()
    slow_seen: list[str] = []

    async def slow(event: Event) -> None:
        await release.wait()
        slow_seen.append(event.name)

    fast = Recorder()
    bus.subscribe(slow)
    bus.subscribe(fast)
    for name in ("a", "b", "c"):
        await asyncio.wait_for(bus.publish(Event(name, {})), WAIT)
    await fast.wait_for("a", "b", "c")
    assert slow_seen == []

    release.set()
    await bus.drain()
    assert slow_seen == ["a", "b", "c"]  # in publish order
    await bus.stop()


async def test_a_lagging_handler_loses_the_newest_events_and_it_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = MemoryEventBus(queue_size=2)
    release = asyncio.Event()
    seen: list[str] = []

    async def lagging(event: Event) -> None:
        await release.wait()
        seen.append(event.name)

    bus.subscribe(lagging)
    for number in range(6):
        await bus.publish(Event(f"e{number}", {}))
    release.set()
    await bus.drain()
    await bus.publish(Event("e6", {}))
    await bus.drain()

    assert seen == ["e0", "e1", "e6"]
    assert len(records(caplog, logging.WARNING, "falling behind")) == 1
    assert len(records(caplog, logging.INFO, "caught up after 4 dropped events")) == 1
    await bus.stop()


async def test_stop_cancels_busy_handlers_and_leaves_no_task_behind() -> None:
    bus = MemoryEventBus(shutdown_grace=0.05)
    cancelled = asyncio.Event()

    async def stuck(event: Event) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    bus.subscribe(stuck)
    await bus.publish(Event("x", {}))
    await until(lambda: bool(bus_tasks()))
    await asyncio.wait_for(bus.stop(), WAIT)
    assert cancelled.is_set()
    assert bus_tasks() == []


async def test_create_event_bus_picks_the_backend() -> None:
    memory = create_event_bus(None, channel="ignored", connect_timeout=1.0)
    redis = create_event_bus("redis://127.0.0.1:6379/0", channel="mn:test", connect_timeout=1.0)
    assert isinstance(memory, MemoryEventBus)
    assert isinstance(redis, RedisEventBus)
    assert redis.channel == "mn:test"
    assert isinstance(memory, EventBus) and isinstance(redis, EventBus)
    await memory.stop()
    await redis.stop()


def test_queue_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        MemoryEventBus(queue_size=0)


# ---- the Redis bus -----------------------------------------------------------------------


@pytest.fixture
def channel(unique_prefix: str) -> str:
    return f"{unique_prefix}events"


def redis_bus(url: str, channel: str, instance_id: str) -> RedisEventBus:
    return RedisEventBus(
        url, channel=channel, instance_id=instance_id, backoff_base=0.05, backoff_cap=0.2
    )


async def started(buses: Iterable[RedisEventBus]) -> None:
    for bus in buses:
        await bus.start()
        assert bus.connected


@pytest.mark.redis
async def test_two_instances_each_see_every_event_exactly_once(
    redis_url: str, channel: str
) -> None:
    app, worker = redis_bus(redis_url, channel, "app"), redis_bus(redis_url, channel, "worker")
    at_app, at_worker = Recorder(), Recorder()
    app.subscribe(at_app)
    worker.subscribe(at_worker)
    await started([app, worker])
    try:
        await app.publish(Event("plugin:state", {"plugin": "plex", "enabled": False}))
        await worker.publish(Event("download:progress", {"percent": 50}, user_id="u1"))
        await at_app.wait_for("plugin:state", "download:progress")
        await at_worker.wait_for("plugin:state", "download:progress")
        # Each marker goes out after its sender has seen both events, so it follows them on the
        # channel: once a bus has the other's marker, any echo of the first two has come through.
        await app.publish(Event("marker:app", {}))
        await worker.publish(Event("marker:worker", {}))
        await at_app.wait_for("marker:worker")
        await at_worker.wait_for("marker:app")
    finally:
        await app.stop()
        await worker.stop()

    for recorder in (at_app, at_worker):
        counts = Counter(recorder.names)
        assert counts["plugin:state"] == 1
        assert counts["download:progress"] == 1
    assert {e.name: e.origin for e in at_worker.events}["plugin:state"] == "app"
    progress = next(e for e in at_app.events if e.name == "download:progress")
    assert (progress.origin, progress.user_id, dict(progress.data)) == (
        "worker",
        "u1",
        {"percent": 50},
    )
    assert bus_tasks() == []


@pytest.mark.redis
async def test_malformed_messages_on_the_channel_are_skipped(
    redis_url: str, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    bus = redis_bus(redis_url, channel, "app")
    recorder = Recorder()
    bus.subscribe(recorder)
    await started([bus])
    outsider = Redis.from_url(redis_url)  # anyone on the server can publish raw bytes
    try:
        await outsider.publish(channel, b"{not an event")
        await outsider.publish(channel, Event("notification", {"n": 1}, origin="other").to_json())
        await recorder.wait_for("notification")
    finally:
        await outsider.aclose()
        await bus.stop()
    assert recorder.names == ["notification"]
    assert len(records(caplog, logging.WARNING, "malformed")) == 1


async def test_unreachable_redis_still_delivers_locally_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = RedisEventBus(UNREACHABLE_REDIS, connect_timeout=0.5, backoff_base=0.05, backoff_cap=0.2)
    recorder = Recorder()
    bus.subscribe(recorder)
    await asyncio.wait_for(bus.start(), WAIT)
    assert not bus.connected
    for number in range(5):
        await bus.publish(Event("notification", {"n": number}))
    await bus.drain()
    await asyncio.wait_for(bus.stop(), WAIT)

    assert [event.data["n"] for event in recorder.events] == [0, 1, 2, 3, 4]
    assert len(records(caplog, logging.WARNING, "unreachable")) == 1
    assert bus_tasks() == []


class TcpProxy:
    """A TCP relay to Redis that a test can cut and restore, to play an outage."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._relays: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for writer in self._writers:
            writer.transport.abort()
        await asyncio.gather(*self._relays, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._relays.add(task)
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )
        for end in (writer, upstream_writer):
            end.transport.abort()
            self._writers.discard(end)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.transport.abort()


@pytest.mark.redis
async def test_the_listener_reconnects_after_an_outage_and_logs_once_each_way(
    redis_url: str, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    real = urlsplit(redis_url)
    proxy = TcpProxy(real.hostname or "127.0.0.1", real.port or 6379)
    await proxy.start()
    app = redis_bus(f"redis://127.0.0.1:{proxy.port}{real.path}", channel, "app")
    observer = redis_bus(redis_url, channel, "observer")
    at_app, at_observer = Recorder(), Recorder()
    app.subscribe(at_app)
    observer.subscribe(at_observer)
    await started([app, observer])
    try:
        await proxy.stop()
        await until(lambda: not app.connected)
        for number in range(3):
            await app.publish(Event("during-outage", {"n": number}))
        await app.drain()
        assert at_app.names.count("during-outage") == 3  # local delivery goes on

        await proxy.start()
        await until(lambda: app.connected)
        await observer.publish(Event("after:observer", {}))
        await app.publish(Event("after:app", {}))
        await at_app.wait_for("after:observer")
        await at_observer.wait_for("after:app")
    finally:
        await app.stop()
        await observer.stop()
        await proxy.stop()

    assert len(records(caplog, logging.WARNING, "unreachable")) == 1
    assert len(records(caplog, logging.INFO, "reachable again")) == 1
    assert "during-outage" not in at_observer.names  # at most once: the outage's events are gone
