"""Small plugins and helpers for the admin, permission and secret-leak tests.

`Watch` is an Uptime Kuma client in miniature: a service connection (URL, API key, a status page
slug in its config), secret settings, a probe that really calls the service through `core.http`,
and a route to show the plugin gate. `Guarded` has one route behind a permission.
"""

from __future__ import annotations

import base64
import socket
import time
import uuid
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from quart import Blueprint

from medianest.auth.policy import requires, signed_in
from medianest.errors import ok
from medianest.plugins import (
    Permission,
    PluginSpec,
    ProbeResult,
    RateLimit,
    ServiceSpec,
    StatusProbe,
    hookimpl,
)


class KumaConfig(BaseModel):
    status_page: str = Field(default="home", pattern=r"^[a-z0-9-]{1,64}$")


class WatchSettings(BaseModel):
    refresh_seconds: int = Field(default=30, ge=5, le=3600)
    webhook_secret: SecretStr | None = None


class Watch:
    """One instance per app. Ids are unique per test because circuit breakers may live in Redis."""

    def __init__(self, plugin_id: str | None = None) -> None:
        self.plugin = PluginSpec(
            id=plugin_id or f"watch_{uuid.uuid4().hex[:8]}",
            title="Watch",
            description="Uptime Kuma in miniature",
            settings=WatchSettings,
            service=ServiceSpec(title="Uptime Kuma", key_required=False, config=KumaConfig),
        )

    @property
    def id(self) -> str:
        return self.plugin.id

    @hookimpl
    def register_routes(self, core):
        bp = Blueprint(self.plugin.id, __name__)

        @bp.get("/ping")
        @signed_in
        async def ping():
            return ok({"pong": True})

        return [bp]

    @hookimpl
    def register_status_probes(self, core):
        return [StatusProbe(service=self.plugin.id, check=check_kuma, timeout=5)]

    @hookimpl
    def register_rate_limits(self, core):
        return [RateLimit("checks", "Manual checks per person", limit=5, window=3600)]


async def check_kuma(core: Any, connection: Any) -> ProbeResult:
    """Read the status page, then /metrics with the key (HTTP Basic, as Uptime Kuma wants)."""
    started = time.perf_counter()
    slug = connection.config.get("status_page", "home")
    await core.http.get_json(connection.name, f"{connection.url}/api/status-page/{slug}", retries=0)
    headers = {}
    if connection.api_key:
        headers["Authorization"] = (
            "Basic " + base64.b64encode(f":{connection.api_key}".encode()).decode()
        )
    await core.http.request(
        connection.name, "GET", f"{connection.url}/metrics", headers=headers, retries=0
    )
    return ProbeResult(status="online", response_time_ms=(time.perf_counter() - started) * 1000)


class Guarded:
    def __init__(self) -> None:
        self.plugin = PluginSpec(id="guarded", title="Guarded")

    @hookimpl
    def register_permissions(self, core):
        return [Permission("guarded.use", "Use the guarded route", default_roles=())]

    @hookimpl
    def register_routes(self, core):
        bp = Blueprint("guarded", __name__)

        @bp.get("/thing")
        @requires("guarded.use")
        async def thing():
            return ok({"used": True})

        return [bp]


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def body(response: Any) -> dict[str, Any]:
    return await response.get_json()


async def data(response: Any) -> Any:
    return (await response.get_json())["data"]


async def code(response: Any) -> str:
    return (await response.get_json())["error"]["code"]
