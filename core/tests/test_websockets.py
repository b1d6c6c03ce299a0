"""`WS /ws/status` and plugin topic sockets: who may connect, what they receive, when they close.

Most tests use Quart's in-process websocket client; the last ones serve the app with a real
hypercorn server and connect with the `websockets` client, as a browser would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config
from hypercorn.utils import wrap_app
from quart import Blueprint
from quart.testing.connections import WebsocketDisconnectError, WebsocketResponseError
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from medianest.auth.models import Session, User
from medianest.auth.policy import signed_in
from medianest.errors import Forbidden
from medianest.plugins import PluginSpec, hookimpl
from medianest.realtime import CLOSE_UNAUTHENTICATED
from medianest.testing.clients import ApiClient, create_user
from medianest.testing.clients import signed_in as signed_in_client
from status_support import ProbePlugin

WAIT = 10.0  # guards against hanging forever; never an expectation about speed
SESSION = "medianest_session"
HOUSEKEEPING = "medianest-socket-housekeeping"


def core_of(app: Any) -> Any:
    return app.extensions["medianest"]


async def receive(ws: Any) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.receive(), WAIT))


async def close_code(ws: Any) -> int:
    """The code the server closed the socket with (after any messages still queued)."""
    async with asyncio.timeout(WAIT):
        while True:
            try:
                await ws.receive()
            except WebsocketDisconnectError as closed:
                return closed.args[0]


async def ready(ws: Any) -> Any:
    assert await receive(ws) == {"event": "ready", "data": {}}
    return ws


async def publish(app: Any, name: str, data: dict[str, Any], **routing: Any) -> None:
    await core_of(app).publish(name, data, **routing)


# ---- who may connect -------------------------------------------------------------------------


async def test_a_signed_in_browser_gets_status_changes(app, user_client):
    async with user_client.client.websocket("/ws/status") as ws:
        await ready(ws)
        await publish(app, "service:status", {"service": "plex", "status": "offline"})
        assert await receive(ws) == {
            "event": "service:status",
            "data": {"service": "plex", "status": "offline"},
        }


async def test_a_socket_without_credentials_is_closed_with_4401(app):
    core_of(app).realtime.first_message_timeout = 0.2
    async with app.test_client().websocket("/ws/status") as ws:
        assert await close_code(ws) == CLOSE_UNAUTHENTICATED


@pytest.mark.parametrize(
    "first_message", ['{"token": "mn_not-a-real-token"}', "not json", '{"token": 42}', "[]"]
)
async def test_a_bad_first_message_is_closed_with_4401(app, first_message):
    async with app.test_client().websocket("/ws/status") as ws:
        await ws.send(first_message)
        assert await close_code(ws) == CLOSE_UNAUTHENTICATED


async def test_an_unknown_session_cookie_is_closed_with_4401(app):
    client = app.test_client()
    client.set_cookie("localhost", SESSION, "forged-or-expired-session-token")
    async with client.websocket("/ws/status") as ws:
        assert await close_code(ws) == CLOSE_UNAUTHENTICATED


async def test_a_personal_token_in_the_first_message_authenticates(app):
    user = await create_user(app, "scripted")
    _, token = await core_of(app).auth.sessions.create_api_token(user, "dashboard script")
    async with app.test_client().websocket("/ws/status") as ws:
        await ws.send(json.dumps({"token": token}))
        await ready(ws)
        await publish(app, "notification", {"message": "for you"}, user_id=str(user.id))
        assert (await receive(ws))["data"] == {"message": "for you"}


async def test_a_cross_site_origin_is_refused_before_the_handshake(app, user_client):
    with pytest.raises(WebsocketResponseError) as refused:
        async with user_client.client.websocket(
            "/ws/status", headers={"Origin": "https://evil.example"}
        ) as ws:
            await ws.receive()
    assert refused.value.response.status_code == 403
    body = await refused.value.response.get_json()
    assert body["error"]["code"] == "FORBIDDEN"


async def test_the_sites_own_origin_and_its_public_url_are_accepted(app_factory):
    app = await app_factory(public_url="https://media.example")
    user = await signed_in_client(app, "alice")
    for origin in ("http://localhost", "https://media.example"):
        async with user.client.websocket("/ws/status", headers={"Origin": origin}) as ws:
            await ready(ws)


async def test_a_user_who_must_change_the_password_is_refused(app):
    await create_user(app, "pending", must_change_password=True)
    client = ApiClient(app)
    await client.sign_in("pending")
    async with client.client.websocket("/ws/status") as ws:
        assert await close_code(ws) == 4403


# ---- what each socket receives ----------------------------------------------------------------


async def test_notifications_reach_only_their_user(app, user_client):
    other = await create_user(app, "bob")
    async with user_client.client.websocket("/ws/status") as ws:
        await ready(ws)
        alice_id = (await (await user_client.get("/api/auth/session")).get_json())["data"]["user"][
            "id"
        ]
        await publish(app, "notification", {"message": "for bob"}, user_id=str(other.id))
        await publish(app, "plugin:state", {"plugin": "plex", "enabled": False})  # internal
        await publish(app, "notification", {"message": "for alice"}, user_id=alice_id)
        assert (await receive(ws))["data"] == {"message": "for alice"}


async def test_a_status_change_reaches_a_connected_browser(app_factory, upstream, service_id):
    app = await app_factory(plugins=[ProbePlugin(service_id, upstream.url)])
    core = core_of(app)
    await core.status.refresh(service_id)
    user = await signed_in_client(app, "alice")
    async with user.client.websocket("/ws/status") as ws:
        await ready(ws)
        upstream.mode = "unauthorized"
        await core.status.refresh(service_id)
        message = await receive(ws)
    assert message["event"] == "service:status"
    assert message["data"]["service"] == service_id
    assert message["data"]["status"] == "offline" and "API key" in message["data"]["error"]


# ---- when sockets close -------------------------------------------------------------------------


async def test_revoking_a_users_sessions_closes_their_sockets(app, user_client):
    async with user_client.client.websocket("/ws/status") as ws:
        await ready(ws)
        user = await User.get(username="alice")
        await core_of(app).auth.revoke_user(user.id)
        assert await close_code(ws) == CLOSE_UNAUTHENTICATED


async def test_signing_out_closes_that_sessions_sockets(app, user_client):
    async with user_client.client.websocket("/ws/status") as ws:
        await ready(ws)
        assert (await user_client.post("/api/auth/logout")).status_code == 200
        assert await close_code(ws) == CLOSE_UNAUTHENTICATED


async def test_the_session_is_rechecked_while_the_socket_is_open(app, user_client):
    core_of(app).realtime.recheck_interval = 0.05
    async with user_client.client.websocket("/ws/status") as ws:
        await ready(ws)
        await publish(app, "service:status", {"service": "plex", "status": "online"})
        assert (await receive(ws))["event"] == "service:status"  # still open after re-checks
        await Session.all().delete()  # ended behind the app's back: no event says so
        assert await close_code(ws) == CLOSE_UNAUTHENTICATED


async def test_sockets_share_one_housekeeping_task_that_ends_with_the_last(app, user_client):
    """Keep-alives and re-checks are one task for every socket, not a timer per socket."""
    core_of(app).realtime.recheck_interval = 0.05

    def housekeepers() -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks() if t.get_name() == HOUSEKEEPING and not t.done()]

    async with contextlib.AsyncExitStack() as stack:
        sockets = [
            await ready(await stack.enter_async_context(user_client.client.websocket("/ws/status")))
            for _ in range(3)
        ]
        assert len(housekeepers()) == 1
        await Session.all().delete()  # the one session behind all three, ended behind our back
        assert [await close_code(ws) for ws in sockets] == [CLOSE_UNAUTHENTICATED] * 3
    async with asyncio.timeout(WAIT):
        while housekeepers():
            await asyncio.sleep(0.01)


async def test_rechecking_a_session_does_not_keep_it_alive(app, user_client):
    auth = core_of(app).auth
    session = await Session.first()
    before = session.last_seen_at
    assert await auth.session_alive(session.id)
    assert (await Session.get(id=session.id)).last_seen_at == before
    await Session.filter(id=session.id).update(last_seen_at=before - auth.sessions.idle)
    assert not await auth.session_alive(session.id)


async def test_cookies_are_read_by_the_name_tls_gives_them(app, user_client):
    auth = core_of(app).auth
    token = user_client.cookie(SESSION)
    assert (await auth.actor_from_cookies({SESSION: token}, tls=False)).username == "alice"
    assert await auth.actor_from_cookies({SESSION: token}, tls=True) is None  # needs __Host-
    assert (
        await auth.actor_from_cookies({f"__Host-{SESSION}": token}, tls=True)
    ).username == "alice"


# ---- a plugin's topic socket ---------------------------------------------------------------------


class Tracker:
    """A tiny plugin with a per-item channel, `/ws/tracker/<item>`, for the item's owner only."""

    def __init__(self) -> None:
        self.plugin = PluginSpec(id="tracker", title="Tracker")
        self.owners: dict[str, str] = {}

    @hookimpl
    def register_routes(self, core: Any) -> list[Blueprint]:
        bp = Blueprint("tracker_ws", __name__, url_prefix="/ws/tracker")

        @bp.websocket("/<item_id>")
        @signed_in
        async def progress(item_id: str) -> None:
            async def owner_only(actor: Any) -> bool:
                if item_id == "forbidden":
                    raise Forbidden()
                return self.owners.get(item_id) == actor.user_id

            await core.realtime.topic_socket(
                f"tracker:{item_id}", names={"tracker:progress"}, authorize=owner_only
            )

        return [bp]


@pytest.fixture
async def tracker_app(app_factory) -> Any:
    plugin = Tracker()
    app = await app_factory(plugins=[plugin])
    app.tracker = plugin
    return app


async def user_id_of(client: ApiClient) -> str:
    return (await (await client.get("/api/auth/session")).get_json())["data"]["user"]["id"]


async def test_a_topic_socket_streams_its_topic_to_the_owner(tracker_app):
    alice = await signed_in_client(tracker_app, "alice")
    tracker_app.tracker.owners["item1"] = owner = await user_id_of(alice)
    async with alice.client.websocket("/ws/tracker/item1") as ws:
        await ready(ws)
        await publish(
            tracker_app, "tracker:progress", {"item": "item2"}, topic="tracker:item2", user_id=owner
        )
        await publish(tracker_app, "service:status", {"service": "plex"})  # not this socket's names
        await publish(
            tracker_app,
            "tracker:progress",
            {"item": "item1", "percent": 40},
            topic="tracker:item1",
            user_id=owner,
        )
        assert await receive(ws) == {
            "event": "tracker:progress",
            "data": {"item": "item1", "percent": 40},
        }


async def test_a_topic_socket_refuses_other_users_as_not_found(tracker_app):
    alice = await signed_in_client(tracker_app, "alice")
    bob = await signed_in_client(tracker_app, "bob")
    tracker_app.tracker.owners["item1"] = await user_id_of(alice)
    async with bob.client.websocket("/ws/tracker/item1") as ws:
        assert await close_code(ws) == 4404
    async with bob.client.websocket("/ws/tracker/forbidden") as ws:
        assert await close_code(ws) == 4403


async def test_a_disabled_plugins_socket_is_refused(tracker_app):
    core = core_of(tracker_app)
    alice = await signed_in_client(tracker_app, "alice")
    await core.host.set_enabled("tracker", False, core)
    with pytest.raises(WebsocketResponseError) as refused:
        async with alice.client.websocket("/ws/tracker/item1") as ws:
            await ws.receive()
    assert refused.value.response.status_code == 404
    assert (await refused.value.response.get_json())["error"]["code"] == "PLUGIN_DISABLED"


# ---- over a real server --------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """Serve an already started app with hypercorn on 127.0.0.1; yield its ws:// base URL."""

    async def without_lifespan(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:  # the test started the app already: acknowledge, do nothing
            message = await receive()
            await send({"type": f"{message['type']}.complete"})
            if message["type"] == "lifespan.shutdown":
                return

    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.graceful_timeout = 1
    config.accesslog = None
    sockets = config.create_sockets()
    listening = sockets.insecure_sockets[0]
    listening.listen()
    port = listening.getsockname()[1]
    stop = asyncio.Event()
    asgi = wrap_app(without_lifespan, config.wsgi_max_body_size, "asgi")
    server = asyncio.create_task(
        worker_serve(asgi, config, sockets=sockets, shutdown_trigger=stop.wait)
    )
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        stop.set()
        await server


async def test_over_hypercorn_a_status_change_reaches_a_browser(app_factory, upstream, service_id):
    app = await app_factory(plugins=[ProbePlugin(service_id, upstream.url)])
    core = core_of(app)
    await core.status.refresh(service_id)
    alice = await signed_in_client(app, "alice")
    cookie = f"{SESSION}={alice.cookie(SESSION)}"
    async with (
        served(app) as base,
        connect(f"{base}/ws/status", additional_headers={"Cookie": cookie}) as ws,
    ):
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["event"] == "ready"
        upstream.mode = "failing"
        await core.status.refresh(service_id)
        message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert message["event"] == "service:status"
    assert (message["data"]["service"], message["data"]["status"]) == (service_id, "degraded")


async def test_over_hypercorn_refusals_are_a_403_and_a_4401(app):
    core_of(app).realtime.first_message_timeout = 0.2
    async with served(app) as base:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{base}/ws/status", origin="https://evil.example"):
                pass
        assert refused.value.response.status_code == 403

        async with connect(f"{base}/ws/status") as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_UNAUTHENTICATED


async def test_turning_a_plugin_off_tells_open_dashboards_without_its_error(tracker_app):
    admin = await signed_in_client(tracker_app, "root", role="admin")
    alice = await signed_in_client(tracker_app, "alice")
    async with alice.client.websocket("/ws/status") as ws:
        await ready(ws)
        answer = await admin.put("/api/admin/plugins/tracker", json={"enabled": False})
        assert answer.status_code == 200, await answer.get_data()
        assert await receive(ws) == {
            "event": "plugins:changed",
            "data": {"plugin": "tracker", "enabled": False},
        }


async def test_a_quiet_socket_gets_a_keep_alive_ping(app, user_client):
    core_of(app).realtime.heartbeat_interval = 0.05
    async with user_client.client.websocket("/ws/status") as ws:
        await ready(ws)
        assert await receive(ws) == {"event": "ping", "data": {}}
        await publish(app, "service:status", {"service": "plex", "status": "online"})
        while (message := await receive(ws))["event"] == "ping":
            pass
        assert message["event"] == "service:status"  # events still flow between pings
