"""Fixtures for the Sonarr and Radarr plugin's tests: the two stand-ins and the outbound client.

The stand-ins (`medianest_arr.testing.FakeSonarr`, `FakeRadarr`) are real HTTP servers on
127.0.0.1; the plugin reaches them through a real `ServiceClient`, as in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest

from medianest.sdk import ServiceClient
from medianest_arr.testing import FakeRadarr, FakeSonarr


@pytest.fixture
async def sonarr() -> AsyncIterator[FakeSonarr]:
    async with FakeSonarr() as server:
        yield server


@pytest.fixture
async def radarr() -> AsyncIterator[FakeRadarr]:
    async with FakeRadarr() as server:
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
