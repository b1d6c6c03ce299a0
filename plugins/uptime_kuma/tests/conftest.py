"""Fixtures for the Uptime Kuma plugin's tests: a stand-in Kuma and the outbound client.

The stand-in (`medianest_uptime_kuma.testing.FakeUptimeKuma`) is a real HTTP server on
127.0.0.1; the plugin reaches it through a real `ServiceClient`, as it does in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace

import pytest

from medianest.sdk import Connection, ServiceClient
from medianest_uptime_kuma.testing import FakeUptimeKuma


@pytest.fixture
async def kuma() -> AsyncIterator[FakeUptimeKuma]:
    """An empty Uptime Kuma 2.x with one status page, `home`."""
    async with FakeUptimeKuma(slug="home", title="Home") as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[ServiceClient]:
    """The outbound client, without retries so that failure tests end at once."""
    async with ServiceClient(retries=0, read_timeout=5.0) as client:
        yield client


@pytest.fixture
def core(http: ServiceClient) -> SimpleNamespace:
    """What a probe needs of the core: its outbound client."""
    return SimpleNamespace(http=http)


@pytest.fixture
def connection(kuma: FakeUptimeKuma) -> Callable[..., Connection]:
    """`connection(slug="home", api_key=None)`: the admin's connection to the stand-in."""

    def make(*, slug: str = "home", api_key: str | None = None) -> Connection:
        config = {"status_page": slug}
        return Connection(name="uptime_kuma", url=kuma.url, api_key=api_key, config=config)

    return make
