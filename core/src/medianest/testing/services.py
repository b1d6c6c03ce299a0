"""Where the test suite finds PostgreSQL and Redis, and what it does when they are missing.

`MEDIANEST_TEST_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/postgres) and
`MEDIANEST_TEST_REDIS_URL` (default redis://127.0.0.1:6379/0). A test that needs one skips
when it is unreachable, unless `MEDIANEST_REQUIRE_SERVICES=1` (CI sets it): then it fails.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=1):
            return True
    except OSError:
        return False


def require(url: str, what: str) -> str:
    if _reachable(url):
        return url
    message = f"{what} is not reachable at {url}"
    if os.environ.get("MEDIANEST_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (MEDIANEST_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def postgres_admin_url() -> str:
    return require(os.environ.get("MEDIANEST_TEST_DATABASE_URL", DEFAULT_POSTGRES), "PostgreSQL")


def redis_url() -> str:
    return require(os.environ.get("MEDIANEST_TEST_REDIS_URL", DEFAULT_REDIS), "Redis")
