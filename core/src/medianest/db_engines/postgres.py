"""PostgreSQL (asyncpg) with transactions that give their pooled connection back when cancelled."""

from __future__ import annotations

import contextlib
from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import TransactionContext, TransactionContextPooled
from tortoise.connection import get_connections


class _Transaction(TransactionContextPooled):
    async def __aenter__(self) -> Any:
        await self.ensure_connection()
        pool = self.client._parent._pool
        self.client._connection = await pool.acquire()
        self.token = get_connections().set(self.connection_name, self.client)
        try:
            await self.client.begin()
        except BaseException:  # a cancellation, mostly: no __aexit__ will give it back
            get_connections().reset(self.token)
            # asyncpg's release is shielded and rolls back whatever BEGIN managed to open.
            with contextlib.suppress(Exception):  # a broken connection is closed instead
                await pool.release(self.client._connection)
            raise
        return self.client


class Client(AsyncpgDBClient):
    def _in_transaction(self) -> TransactionContext:
        return _Transaction(TransactionWrapper(self), self._pool_init_lock)


client_class = Client
