"""A transaction cancelled while it opens gives back what it took, on both backends.

A task is cancelled mid-transaction whenever a browser goes away during a request or a plugin is
switched off during a status check. If its transaction was still opening, PostgreSQL lost the
pooled connection for good and SQLite kept the lock every later transaction waits on.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing

import pytest
from tortoise.transactions import in_transaction

from medianest.status.models import ServiceStatusRow

POOL_SIZE = 5  # the ORM's pool on PostgreSQL
ROUNDS = 40  # loop turns before the cancellation: from "not started" to "long done"


async def save(service: str, *, then: asyncio.Barrier | None = None) -> None:
    async with in_transaction():
        await ServiceStatusRow.update_or_create(service=service, defaults={"status": "online"})
        if then is not None:
            await then.wait()  # still inside the transaction: its connection stays taken


async def cancelled_after(turns: int) -> None:
    task = asyncio.create_task(save(f"cancelled{turns}"))
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_transaction_cancelled_at_any_step_gives_its_connection_back(app_factory, backend):
    await app_factory()
    for turns in range(ROUNDS):
        await cancelled_after(turns)

    async with asyncio.timeout(20):
        if backend == "production":  # the pool's every connection, in use at one moment
            together = asyncio.Barrier(POOL_SIZE)
            await asyncio.gather(*(save(f"after{n}", then=together) for n in range(POOL_SIZE)))
        else:  # one connection, whose transaction lock is free
            await asyncio.gather(*(save(f"after{n}") for n in range(POOL_SIZE)))
    assert await ServiceStatusRow.filter(service__startswith="after").count() == POOL_SIZE


async def test_a_cancelled_transaction_leaves_nothing_half_written(app_factory):
    await app_factory()
    for turns in range(ROUNDS):
        await cancelled_after(turns)
    # Each cancelled save either happened whole or not at all, and none is left open: a
    # transaction left open would hold its row lock and block this update.
    async with asyncio.timeout(20):
        for row in await ServiceStatusRow.filter(service__startswith="cancelled"):
            row.status = "offline"
            await row.save()
    saved = await ServiceStatusRow.filter(service__startswith="cancelled").values_list(
        "status", flat=True
    )
    assert set(saved) <= {"offline"}


async def test_after_a_cancelled_begin_sqlite_writes_reach_other_processes(app_factory, backend):
    if backend != "embedded":
        pytest.skip("SQLite's one connection")
    app = await app_factory()
    path = app.extensions["medianest"].settings.resolved_database_url.removeprefix("sqlite://")
    for turns in range(ROUNDS):
        await cancelled_after(turns)
        # A write outside any transaction commits at once, unless a BEGIN that was cancelled
        # still holds the connection in a transaction: the worker would not see it.
        await ServiceStatusRow.create(service=f"plain{turns}", status="online")
        with closing(sqlite3.connect(path)) as other:
            seen = other.execute(
                "SELECT count(*) FROM service_status WHERE service = ?", (f"plain{turns}",)
            ).fetchone()
        assert seen == (1,), f"cancelled after {turns} turns"
