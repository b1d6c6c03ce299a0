"""Fixtures for the Tautulli plugin's tests: a stand-in Tautulli and the outbound client.

The stand-in (`medianest_tautulli.testing.FakeTautulli`) is a real HTTP server on 127.0.0.1;
the plugin reaches it through a real `ServiceClient`, as it does in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest

from medianest.sdk import Connection, ServiceClient
from medianest_tautulli.testing import FakeTautulli


@pytest.fixture
async def tautulli() -> AsyncIterator[FakeTautulli]:
    async with FakeTautulli() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[ServiceClient]:
    """The outbound client, without retries so that failure tests end at once."""
    async with ServiceClient(retries=0, read_timeout=5.0) as client:
        yield client


@pytest.fixture
def core(http: ServiceClient) -> SimpleNamespace:
    """What the probe needs of the core: its outbound client."""
    return SimpleNamespace(http=http)


@pytest.fixture
def connection(tautulli: FakeTautulli) -> Connection:
    return Connection(name="tautulli", url=tautulli.url, api_key=tautulli.api_key)
