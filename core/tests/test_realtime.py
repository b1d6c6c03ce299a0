"""The websocket hub: routing by user and topic, bounded queues, and a real socket end to end."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, websocket
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from medianest.events import Event, MemoryEventBus
from medianest.realtime import (
    CLOSE_NORMAL,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNAUTHENTICATED,
    Client,
    ClientClosed,
    Hub,
)

WAIT = 10.0  # guards against hanging forever; never an expectation about speed


def message(name: str, data: dict) -> str:
    return json.dumps({"event": name, "data": data}, separators=(",", ":"))


async def next_message(client: Client) -> str:
    return await asyncio.wait_for(client.next_message(), WAIT)


async def closed_code(client: Client) -> int:
    with pytest.raises(ClientClosed) as closed:
        await next_message(client)
    return closed.value.code


# ---- routing -----------------------------------------------------------------------------


async def test_a_broadcast_reaches_a_thousand_clients_serialised_once() -> None:
    hub = Hub()
    clients = [hub.connect(user_id=f"user-{n % 50}") for n in range(1000)]
    assert hub.clients == 1000

    assert hub.deliver(Event("service:status", {"service": "plex", "status": "online"})) == 1000

    received = [await next_message(client) for client in clients]
    assert json.loads(received[0]) == {
        "event": "service:status",
        "data": {"service": "plex", "status": "online"},
    }
    assert all(text is received[0] for text in received)  # one string shared by every client


async def test_a_user_event_reaches_only_that_users_clients() -> None:
    hub = Hub()
    alice_phone, alice_laptop = hub.connect(user_id="alice"), hub.connect(user_id="alice")
    bob, anonymous = hub.connect(user_id="bob"), hub.connect(user_id=None)

    assert hub.deliver(Event("notification", {"text": "for alice"}, user_id="alice")) == 2
    assert hub.deliver(Event("service:status", {"n": 2})) == 4

    for client in (alice_phone, alice_laptop):
        assert await next_message(client) == message("notification", {"text": "for alice"})
        assert await next_message(client) == message("service:status", {"n": 2})
    for client in (bob, anonymous):  # their first message is the broadcast: nothing came before
        assert await next_message(client) == message("service:status", {"n": 2})


async def test_topic_events_reach_subscribers_and_both_filters_must_match() -> None:
    hub = Hub()
    alice_on_1 = hub.connect(user_id="alice", topics=["youtube:1"])
    alice_on_2 = hub.connect(user_id="alice", topics=["youtube:2"])
    bob_on_1 = hub.connect(user_id="bob", topics=["youtube:1"])

    owned = Event("download:progress", {"percent": 10}, user_id="alice", topic="youtube:1")
    assert hub.deliver(owned) == 1
    assert await next_message(alice_on_1) == message("download:progress", {"percent": 10})

    assert hub.deliver(Event("download:progress", {"percent": 20}, topic="youtube:2")) == 1
    assert await next_message(alice_on_2) == message("download:progress", {"percent": 20})

    alice_on_2.subscribe("youtube:1")
    alice_on_1.unsubscribe("youtube:1")
    assert hub.deliver(Event("download:progress", {"percent": 30}, topic="youtube:1")) == 2
    assert await next_message(alice_on_2) == message("download:progress", {"percent": 30})
    assert await next_message(bob_on_1) == message("download:progress", {"percent": 30})

    assert hub.deliver(Event("download:progress", {}, topic="youtube:nobody")) == 0


async def test_a_client_can_limit_itself_to_some_event_names() -> None:
    hub = Hub()
    progress_only = hub.connect(user_id="alice", names=["download:progress"])
    everything = hub.connect(user_id="alice")

    assert hub.deliver(Event("service:status", {"n": 1})) == 1
    assert hub.deliver(Event("download:progress", {"n": 2}, user_id="alice")) == 2
    assert await next_message(progress_only) == message("download:progress", {"n": 2})
    assert await next_message(everything) == message("service:status", {"n": 1})


async def test_an_event_that_is_not_json_is_logged_and_sent_to_nobody(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = Hub()
    client = hub.connect(user_id="alice")
    assert hub.deliver(Event("notification", {"when": object()})) == 0
    assert any(
        r.name == "medianest.realtime" and r.levelno == logging.ERROR for r in caplog.records
    )
    assert hub.deliver(Event("notification", {"ok": True})) == 1
    assert await next_message(client) == message("notification", {"ok": True})


# ---- bounded queues and closing ----------------------------------------------------------


async def test_a_client_that_never_reads_is_dropped_while_a_reader_gets_everything() -> None:
    hub = Hub(queue_size=4)
    reader, stalled = hub.connect(user_id="alice"), hub.connect(user_id="bob")

    delivered_counts, received = [], []
    for number in range(10):
        delivered_counts.append(hub.deliver(Event("download:progress", {"n": number})))
        received.append(json.loads(await next_message(reader))["data"]["n"])

    assert received == list(range(10))
    assert delivered_counts == [2, 2, 2, 2, 1, 1, 1, 1, 1, 1]  # the 5th found bob's queue full
    assert stalled.closed_code == CLOSE_TRY_AGAIN_LATER
    assert await closed_code(stalled) == CLOSE_TRY_AGAIN_LATER  # its backlog is not delivered
    assert hub.clients == 1
    assert hub.dropped == 1


async def test_close_user_closes_only_that_users_clients() -> None:
    hub = Hub()
    alice_1, alice_2, bob = (hub.connect(user_id=u) for u in ("alice", "alice", "bob"))
    waiting = asyncio.create_task(alice_1.next_message())  # a socket blocked waiting for news
    await asyncio.sleep(0)
    hub.deliver(Event("notification", {"n": 1}, user_id="alice"))  # alice_2 leaves it unread
    assert await asyncio.wait_for(waiting, WAIT) == message("notification", {"n": 1})
    waiting = asyncio.create_task(alice_1.next_message())
    await asyncio.sleep(0)

    assert hub.close_user("alice") == 2
    with pytest.raises(ClientClosed) as closed:
        await asyncio.wait_for(waiting, WAIT)
    assert closed.value.code == CLOSE_UNAUTHENTICATED
    assert await closed_code(alice_2) == CLOSE_UNAUTHENTICATED  # its unread message is withheld
    assert (alice_1.closed_code, alice_2.closed_code, bob.closed_code) == (4401, 4401, None)

    assert hub.deliver(Event("notification", {"n": 2}, user_id="alice")) == 0
    assert hub.deliver(Event("service:status", {"n": 3})) == 1
    assert await next_message(bob) == message("service:status", {"n": 3})
    assert hub.close_user("alice") == 0
    assert hub.clients == 1


async def test_disconnect_forgets_the_client_and_wakes_its_reader() -> None:
    hub = Hub()
    client = hub.connect(user_id="alice", topics=["youtube:1"])
    waiting = asyncio.create_task(client.next_message())
    await asyncio.sleep(0)
    hub.disconnect(client)
    hub.disconnect(client)  # idempotent
    with pytest.raises(ClientClosed) as closed:
        await asyncio.wait_for(waiting, WAIT)
    assert closed.value.code == CLOSE_NORMAL
    assert hub.clients == 0
    client.subscribe("youtube:2")  # a late subscribe on a closed client changes nothing
    assert hub.deliver(Event("download:progress", {}, topic="youtube:2")) == 0


async def test_a_keep_alive_pass_pings_only_the_clients_that_heard_nothing_since_the_last() -> None:
    hub = Hub(queue_size=1)
    busy, quiet, stalled = (hub.connect(user_id=name) for name in ("busy", "quiet", "stalled"))
    for user in ("busy", "stalled"):
        hub.deliver(Event("notification", {"n": 1}, user_id=user))

    assert hub.ping_quiet("ping") == 1
    assert await next_message(quiet) == "ping"
    assert await next_message(busy) == message("notification", {"n": 1})
    assert hub.ping_quiet("ping") == 2  # both heard nothing since; stalled never read its one
    assert [await next_message(busy), await next_message(quiet)] == ["ping", "ping"]
    assert await closed_code(stalled) == CLOSE_TRY_AGAIN_LATER  # full: dropped, not waited on


def test_queue_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Hub(queue_size=0)


# ---- from the bus ------------------------------------------------------------------------


async def test_attach_forwards_browser_events_from_the_bus_only() -> None:
    bus, hub = MemoryEventBus(), Hub()
    detach = hub.attach(bus)
    client = hub.connect(user_id="alice")

    await bus.publish(Event("plugin:state", {"plugin": "plex", "error": "internal detail"}))
    await bus.publish(Event("service:status", {"service": "plex"}))
    await bus.drain()
    assert await next_message(client) == message("service:status", {"service": "plex"})

    detach()
    await bus.publish(Event("service:status", {"service": "overseerr"}))
    await bus.drain()
    assert hub.deliver(Event("notification", {"direct": True})) == 1
    assert await next_message(client) == message("notification", {"direct": True})
    await bus.stop()


# ---- end to end: bus -> hub -> hypercorn -> websockets client ----------------------------


@dataclass
class Served:
    bus: MemoryEventBus
    hub: Hub
    port: int

    def url(self, user: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/status?user={user}"


def status_app(hub: Hub) -> Quart:
    """A stand-in for the real `/ws/status` route: identifies the user from the query string."""
    app = Quart(__name__)

    @app.websocket("/ws/status")
    async def status_socket() -> None:
        client = hub.connect(user_id=websocket.args["user"])
        try:
            await websocket.accept()
            await websocket.send(message("ready", {}))  # the client is registered from here on
            while True:
                await websocket.send(await client.next_message())
        except ClientClosed as closed:
            await websocket.close(closed.code)
        finally:
            hub.disconnect(client)

    return app


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    bus, hub = MemoryEventBus(), Hub(queue_size=16)
    hub.attach(bus)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        config = Config()
        config.bind = [f"fd://{os.dup(listener.fileno())}"]  # hypercorn owns its own copy
    config.accesslog = config.errorlog = None
    shutdown = asyncio.Event()
    server = asyncio.create_task(serve(status_app(hub), config, shutdown_trigger=shutdown.wait))
    try:
        yield Served(bus, hub, port)
    finally:
        shutdown.set()
        await asyncio.wait_for(server, WAIT)
        await bus.stop()


async def open_socket(served: Served, user: str) -> ClientConnection:
    socket_ = await connect(served.url(user), open_timeout=WAIT)
    assert json.loads(await asyncio.wait_for(socket_.recv(), WAIT))["event"] == "ready"
    return socket_


async def test_a_published_event_arrives_on_a_real_websocket(served: Served) -> None:
    alice, bob = await open_socket(served, "alice"), await open_socket(served, "bob")
    try:
        assert served.hub.clients == 2
        await served.bus.publish(Event("notification", {"text": "done"}, user_id="alice"))
        await served.bus.publish(Event("service:status", {"service": "plex", "status": "offline"}))

        alice_got = [json.loads(await asyncio.wait_for(alice.recv(), WAIT)) for _ in range(2)]
        bob_got = json.loads(await asyncio.wait_for(bob.recv(), WAIT))
        assert alice_got == [
            {"event": "notification", "data": {"text": "done"}},
            {"event": "service:status", "data": {"service": "plex", "status": "offline"}},
        ]
        assert bob_got == {
            "event": "service:status",
            "data": {"service": "plex", "status": "offline"},
        }

        assert served.hub.close_user("alice") == 1
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(alice.recv(), WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_UNAUTHENTICATED
    finally:
        await alice.close()
        await bob.close()
