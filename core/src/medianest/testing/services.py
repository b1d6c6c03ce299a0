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


def database_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return parts._replace(path=f"/{name}").geturl()


async def create_database(admin_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_database(admin_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def delete_redis_keys(url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
