"""Tortoise ORM: one app per box (the core's `medianest`, then one per plugin), native migrations.

Tortoise 1.x keeps its state in a contextvar that request tasks do not inherit from the
lifespan task, so the app starts it with `_enable_global_fallback=True` and closes it
through the returned context (see docs/decisions/0003-database.md).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

from medianest.db_engines import ENGINES
from medianest.plugins.contributions import ModelSpec
from medianest.security.files import private_sqlite

log = logging.getLogger("medianest.db")

CORE_APP = "medianest"
CORE_MODEL_MODULES = [
    "medianest.plugins.models",
    "medianest.auth.models",
    "medianest.audit",
    "medianest.config.models",
    "medianest.jobs.models",
    "medianest.status.models",
]
CORE_MIGRATIONS = "medianest.migrations"
SQLITE_BUSY_MS = 15_000  # the driver's default is 5 s, short for a busy 2-core box at start
# What `medianest db` hands the ORM's command line (it takes a dotted name): set as it runs.
CLI_CONFIG: dict[str, Any] = {}


def normalise_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgres://" + url.removeprefix("postgresql://")
    path = _sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return url


def _sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite://") and url != "sqlite://:memory:":
        return Path(url.removeprefix("sqlite://").split("?", 1)[0])
    return None


def _patient_sqlite(url: str) -> str:
    """SQLite waits up to SQLITE_BUSY_MS for another process's write (the worker, a second
    server starting) instead of failing it with "database is locked"; WAL keeps readers free."""
    if _sqlite_path(url) is None or "busy_timeout=" in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}busy_timeout={SQLITE_BUSY_MS}"


def connection_config(url: str) -> dict[str, Any]:
    """The ORM's connection to `url`, on clients whose transactions are safe to cancel."""
    connection: dict[str, Any] = expand_db_url(_patient_sqlite(normalise_url(url)))
    connection["engine"] = ENGINES.get(connection["engine"], connection["engine"])
    return connection


def tortoise_config(
    url: str, plugin_models: Mapping[str, ModelSpec] | None = None
) -> dict[str, Any]:
    apps: dict[str, Any] = {
        CORE_APP: {
            "models": CORE_MODEL_MODULES,
            "migrations": CORE_MIGRATIONS,
            "default_connection": "default",
        }
    }
    for plugin_id, spec in (plugin_models or {}).items():
        apps[plugin_id] = {
            "models": list(spec.modules),
            "migrations": spec.migrations,
            "default_connection": "default",
        }
    return {
        "connections": {"default": connection_config(url)},
        "apps": apps,
        "use_tz": True,
        "timezone": "UTC",
    }


async def upgrade(config: dict[str, Any]) -> None:
    """Apply every pending migration of every app (idempotent), one process at a time."""
    from medianest.startup import start_lock

    connection = config["connections"]["default"]
    path = connection["credentials"].get("file_path", ":memory:")
    if "sqlite" in connection["engine"] and path != ":memory:":
        private_sqlite(Path(path))  # password hashes inside: 0600, and its -wal/-shm with it
    async with start_lock(connection), TortoiseContext():
        await migrate(config=config)


async def start(config: dict[str, Any]) -> TortoiseContext:
    """Migrate, then open the ORM for the whole process."""
    # Tortoise caches built queries per (connection name, table), not per dialect: a process
    # that opens SQLite and then PostgreSQL (tests, the CLI) must start from a clean cache.
    EXECUTOR_CACHE.clear()
    await upgrade(config)
    return await Tortoise.init(config=config, _enable_global_fallback=True)


async def open_existing(config: dict[str, Any]) -> TortoiseContext:
    """Open the ORM as the database is, without migrating (read-only commands)."""
    EXECUTOR_CACHE.clear()
    return await Tortoise.init(config=config, _enable_global_fallback=True)


async def ping() -> None:
    from tortoise.connection import get_connection

    await get_connection("default").execute_query("SELECT 1")
