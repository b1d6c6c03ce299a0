"""Fixtures for the Overseerr tests: the stand-in, a client that checks every exchange against
Overseerr's OpenAPI spec (`overseerr-api.yml`, a copy of Overseerr 1.34.0's), and a webhook
receiver. All of them are real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from quart import Quart, request
from werkzeug.datastructures import Headers, ImmutableMultiDict

from medianest.testing.standin import StandinServer
from medianest_overseerr.testing import FakeOverseerr, User

SPEC_PATH = Path(__file__).with_name("overseerr-api.yml")
HOLD = 5.0  # generous bound for waits that normally end at once


@pytest.fixture(scope="session")
def spec() -> OpenAPI:
    return OpenAPI.from_path(SPEC_PATH)


@pytest.fixture
def check_exchange(spec: OpenAPI) -> Callable[[httpx.Response], None]:
    """Checks a request and its answer against the spec (for synchronous clients)."""

    def check(response: httpx.Response) -> None:
        exchange = SpecRequest(response.request)
        spec.validate_request(exchange)
        spec.validate_response(exchange, SpecResponse(response))

    return check


@pytest.fixture
async def overseerr() -> AsyncIterator[FakeOverseerr]:
    """A fresh stand-in: user 1 `owner` (Plex id 1001, admin), the seeded catalogue."""
    async with FakeOverseerr() as server:
        yield server


@pytest.fixture
async def api(overseerr: FakeOverseerr, spec: OpenAPI) -> AsyncIterator[SpecClient]:
    async with httpx.AsyncClient(base_url=f"{overseerr.url}/api/v1", timeout=HOLD) as http:
        yield SpecClient(overseerr, http, spec)


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver() as server:
        yield server


class SpecClient:
    """httpx against the stand-in. `get`/`post`/`delete` expect success and check the request
    and the answer against the spec; `refused` expects a given error status and Overseerr's
    error body (the spec documents no error answers) and still checks the request."""

    def __init__(self, fake: FakeOverseerr, http: httpx.AsyncClient, spec: OpenAPI) -> None:
        self.fake, self.http, self.spec = fake, http, spec

    def headers(self, user: User | None = None, *, key: str | None = "") -> dict[str, str]:
        headers = {} if key is None else {"X-Api-Key": key or self.fake.api_key}
        if user is not None:
            headers["X-API-User"] = str(user.id)
        return headers

    async def send(
        self,
        method: str,
        path: str,
        *,
        user: User | None = None,
        key: str | None = "",
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """`key=None` sends no API key, `key="…"` another one; `headers` go on top."""
        sent = self.headers(user, key=key) | (headers or {})
        return await self.http.request(method, path, headers=sent, **kwargs)

    async def get(self, path: str, *, user: User | None = None, **params: Any) -> Any:
        return await self.ok("GET", path, user=user, params=params)

    async def post(self, path: str, body: Any = None, *, user: User | None = None) -> Any:
        return await self.ok("POST", path, user=user, json=body)

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.send(method, path, **kwargs)
        assert response.is_success, (response.status_code, response.text)
        self.check(response)
        return response.json() if response.content else None

    async def refused(
        self, status: int, method: str, path: str, *, check_request: bool = True, **kwargs: Any
    ) -> dict[str, Any]:
        response = await self.send(method, path, **kwargs)
        assert response.status_code == status, (response.status_code, response.text)
        if check_request:
            self.spec.validate_request(SpecRequest(response.request))
        body = response.json()
        assert isinstance(body.get("message") or body.get("error"), str), body
        return body

    def check(self, response: httpx.Response) -> None:
        """Raises (openapi-core's errors) when the request or the answer breaks the spec."""
        exchange = SpecRequest(response.request)
        self.spec.validate_request(exchange)
        self.spec.validate_response(exchange, SpecResponse(response))


class SpecRequest:
    """An httpx request as openapi-core reads one."""

    def __init__(self, sent: httpx.Request) -> None:
        self.host_url = f"{sent.url.scheme}://{sent.url.netloc.decode()}"
        self.path = sent.url.path
        self.method = sent.method.lower()
        self.body = sent.content or None
        self.content_type = sent.headers.get("content-type", "")
        cookies = SimpleCookie(sent.headers.get("cookie", ""))
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(sent.url.params.multi_items())),
            header=Headers(list(sent.headers.items())),
            cookie=ImmutableMultiDict({name: morsel.value for name, morsel in cookies.items()}),
        )


class SpecResponse:
    """An httpx response as openapi-core reads one."""

    def __init__(self, received: httpx.Response) -> None:
        self.status_code = received.status_code
        self.headers = Headers(list(received.headers.items()))
        self.content_type = received.headers.get("content-type", "")
        self.data = received.content


@dataclass(frozen=True)
class Delivery:
    authorization: str | None
    content_type: str | None
    body: dict[str, Any]


class WebhookReceiver(StandinServer):
    """What MediaNest's webhook endpoint will be: records every POST to `/hook`."""

    label = "webhook-receiver"

    def __init__(self) -> None:
        super().__init__()
        self.deliveries: list[Delivery] = []

    @property
    def hook_url(self) -> str:
        return f"{self.url}/hook"

    def _build_app(self) -> Quart:
        app = Quart(__name__)

        @app.post("/hook")
        async def hook() -> tuple[str, int]:
            body = json.loads(await request.get_data())
            self.deliveries.append(
                Delivery(request.headers.get("Authorization"), request.content_type, body)
            )
            return "", 204

        return app


# ---- the plugin inside a running MediaNest --------------------------------------------------

SECRET = "webhook-secret-0123456789abcdef"  # what the admin copies into Overseerr's agent
TIMEOUT = 1.0  # the connection's timeout: failure tests end quickly


@dataclass
class Household:
    """MediaNest with the Overseerr plugin, connected to `FakeOverseerr.demo()`'s household.

    MediaNest users and their Plex accounts: `owner` (admin, 1001, Overseerr's admin),
    `friend` (1002, may request; has requests made in Overseerr before MediaNest), `kim` (1004,
    auto-approved), `max` (1005, 3 movies a week), `lee` (1006, a Plex friend Overseerr has
    not imported), `local` (no Plex account). `await household.person(name)` is that person's
    signed-in browser (an `ApiClient`), created on first use (sign-ins cost a password hash)."""

    app: Any
    core: Any
    overseerr: FakeOverseerr
    browsers: dict[str, Any]

    async def person(self, name: str) -> Any:
        if name not in self.browsers:
            self.browsers[name] = await sign_in_person(self.app, name)
        return self.browsers[name]

    async def user_id(self, name: str) -> str:
        body = await (await (await self.person(name)).get("/api/auth/session")).get_json()
        return body["data"]["user"]["id"]


PEOPLE = {
    "owner": "1001",
    "friend": "1002",
    "kim": "1004",
    "max": "1005",
    "lee": "1006",
    "local": None,
}


@pytest.fixture
async def demo_overseerr() -> AsyncIterator[FakeOverseerr]:
    async with FakeOverseerr.demo() as server:
        yield server


@pytest.fixture
async def household(app_factory, demo_overseerr: FakeOverseerr) -> Household:
    return await start_household(app_factory, demo_overseerr)


async def start_household(
    app_factory, fake: FakeOverseerr, *, plugins_override: list[Any] | None = None, **settings: Any
) -> Household:
    import medianest_overseerr

    app = await app_factory(plugins=plugins_override or [medianest_overseerr], **settings)
    core = app.extensions["medianest"]
    await core.http.reset_breaker("overseerr")  # breakers may be shared through Redis
    owner = await sign_in_person(app, "owner")
    browsers = {"owner": owner}
    saved = await owner.put(
        "/api/admin/services/overseerr",
        json={"url": fake.url, "api_key": fake.api_key, "config": {"timeout": TIMEOUT}},
    )
    assert saved.status_code == 200, await saved.get_data(as_text=True)
    configured = await owner.put(
        "/api/admin/plugins/overseerr", json={"settings": {"webhook_secret": SECRET}}
    )
    assert configured.status_code == 200, await configured.get_data(as_text=True)
    await core.status.refresh("overseerr")
    fake.clear_request_log()
    return Household(app, core, fake, browsers)


async def sign_in_person(app: Any, name: str) -> Any:
    """A signed-in browser for one of `PEOPLE`, their Plex account linked."""
    from medianest.testing.clients import signed_in

    browser = await signed_in(app, name, role="admin" if name == "owner" else "user")
    if PEOPLE[name] is not None:
        user_id = (await (await browser.get("/api/auth/session")).get_json())["data"]["user"]["id"]
        await app.extensions["medianest"].accounts.link(
            user_id, "plex", PEOPLE[name], username=name
        )
    return browser


PROBE_PATHS = ("/api/v1/status", "/api/v1/request/count")


def calls(fake: FakeOverseerr, path: str | None = None, method: str | None = None) -> list[Any]:
    """What reached the stand-in, the status probe's checks left out (they run on their own)."""
    return [
        r for r in fake.request_log
        if r.path not in PROBE_PATHS and (path is None or r.path == path)
        and (method is None or r.method == method)
    ]  # fmt: skip


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """Serve an already started app with hypercorn on 127.0.0.1; yield its http:// base URL
    (the stand-in's webhook agent posts to it over real HTTP)."""
    from hypercorn.asyncio.run import worker_serve
    from hypercorn.config import Config
    from hypercorn.utils import wrap_app

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
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        await server


async def envelope(response: Any) -> dict[str, Any]:
    return await response.get_json()


async def receive_until(ws: Any, done: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Messages from a websocket up to and including the first one `done` accepts."""
    received = []
    while True:
        message = json.loads(await asyncio.wait_for(ws.receive(), HOLD))
        received.append(message)
        if done(message):
            return received
