"""Fixtures for the Overseerr tests: the stand-in, a client that checks every exchange against
Overseerr's OpenAPI spec (`overseerr-api.yml`, a copy of Overseerr 1.34.0's), and a webhook
receiver. All of them are real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
from medianest.testing.standin import StandinServer
from medianest_overseerr.testing import FakeOverseerr, User
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from quart import Quart, request
from werkzeug.datastructures import Headers, ImmutableMultiDict

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
