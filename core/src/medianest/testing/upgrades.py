"""A database at an older schema of the core, for tests that an upgrade keeps what people had.

    async with core_database_at(backend_settings, "0003_jobs_and_status") as old:
        user_id = uuid.uuid4()
        await old.insert("users", {"id": user_id, "username": "alice", ...})
        secret = old.encrypt("a token", context=f"users|token|{user_id}")
    app = await app_factory(...)  # its start applies the newer migrations

Rows go in as raw SQL at that schema: the models describe only the newest one. Secrets are
encrypted under the install's key (`<data_dir>/secret.key`, made here when it is missing), the one
the app started afterwards reads them with.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

from medianest import db
from medianest.security.crypto import KeyRing, SecretBox
from medianest.settings import Settings


class OlderDatabase:
    """The open database at its older schema: `insert` rows, `encrypt` what goes in them."""

    def __init__(self, connection: BaseDBAsyncClient, secrets: SecretBox) -> None:
        self._connection = connection
        self._secrets = secrets
        self._postgres = connection.capabilities.dialect == "postgres"

    async def insert(self, table: str, row: Mapping[str, Any]) -> None:
        """One row; UUIDs and datetimes are written as the dialect stores them."""
        columns = ", ".join(row)
        marks = ", ".join(
            f"${number}" if self._postgres else "?" for number in range(1, len(row) + 1)
        )
        values = [self._stored(value) for value in row.values()]
        await self._connection.execute_query(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", values
        )

    def encrypt(self, plaintext: str, *, context: str) -> str:
        return self._secrets.encrypt(plaintext, context=context)

    def _stored(self, value: Any) -> Any:
        if self._postgres:
            return value
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, datetime):
            return value.isoformat()
        return value


@asynccontextmanager
async def core_database_at(
    settings: Mapping[str, Any], migration: str
) -> AsyncIterator[OlderDatabase]:
    """The database `settings` name (the `backend_settings` fixture's), with the core's
    migrations applied up to and including `migration` only; closed when the block ends."""
    resolved = Settings(**settings)
    resolved.data_dir.mkdir(parents=True, exist_ok=True)
    secrets = SecretBox(KeyRing.from_settings(resolved))
    config = db.tortoise_config(resolved.resolved_database_url)
    EXECUTOR_CACHE.clear()  # the ORM caches queries per table, not per dialect
    async with TortoiseContext():
        await migrate(config=config, target=f"{db.CORE_APP}.{migration}")
        yield OlderDatabase(connections.get("default"), secrets)
