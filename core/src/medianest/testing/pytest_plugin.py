"""Fixtures MediaNest ships to its own tests and to plugin authors (entry point `pytest11`).

Kept import-light: the app is imported inside the fixtures that need it.
"""

from __future__ import annotations

import uuid

import pytest

from medianest.testing import services


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis URL (skips, or fails under MEDIANEST_REQUIRE_SERVICES=1)."""
    return services.redis_url()


@pytest.fixture
def unique_prefix() -> str:
    """A key prefix no other test uses, for tests that share one Redis."""
    return f"mntest:{uuid.uuid4().hex[:12]}:"
