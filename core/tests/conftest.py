"""Fixtures shared by the core's tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from status_support import Upstream


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    server = await Upstream().start()
    yield server
    await server.close()


@pytest.fixture
def service_id() -> str:
    """A plugin id (and service name) of this test alone (its breaker lives in Redis under the
    test's key prefix, which the backend fixture deletes)."""
    return f"svc{uuid.uuid4().hex[:10]}"
