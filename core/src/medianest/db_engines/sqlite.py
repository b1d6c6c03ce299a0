"""SQLite with transactions that give the connection's transaction lock back when cancelled."""

from __future__ import annotations

import contextlib
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite import client as sqlite
from tortoise.connection import get_connections


class _Transaction(sqlite.SqliteTransactionContext):
    async def __aenter__(self) -> Any:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                # The driver's thread runs a cancelled BEGIN all the same, and runs this after it:
                # the next transaction starts on a connection with none open.
                with contextlib.suppress(Exception):  # a broken connection has none open
                    await self.connection._connection.rollback()
                raise
        except BaseException:  # a cancellation, mostly: no __aexit__ will give the lock back
            self._trxlock.release()
            raise
        return self.connection


class Client(sqlite.SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return _Transaction(sqlite.SqliteTransactionWrapper(self), self._lock)


client_class = Client
