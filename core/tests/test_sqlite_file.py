"""The embedded database holds password hashes and encrypted keys: its file and SQLite's -wal
and -shm files beside it are readable by the owner only (0600), whatever the umask, and a file
left readable by an older version is tightened at start."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.exceptions import OperationalError

from medianest.status.store import _retried_when_locked


def modes(data_dir: Path) -> dict[str, int]:
    return {
        path.name: stat.S_IMODE(path.stat().st_mode) for path in data_dir.glob("medianest.sqlite3*")
    }


@pytest.fixture
def loose_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


async def test_the_database_files_are_private(app_factory, backend, backend_settings, loose_umask):
    if backend != "embedded":
        pytest.skip("PostgreSQL keeps its own files")
    app = await app_factory()
    await app.test_client().get("/readyz")
    found = modes(backend_settings["data_dir"])
    assert "medianest.sqlite3" in found
    assert found == {name: 0o600 for name in found}, {
        name: oct(mode) for name, mode in found.items()
    }


async def test_a_readable_database_left_by_an_older_version_is_tightened(
    app_factory, backend, backend_settings, loose_umask
):
    if backend != "embedded":
        pytest.skip("PostgreSQL keeps its own files")
    app = await app_factory()
    await app_factory.stop(app)
    for path in backend_settings["data_dir"].glob("medianest.sqlite3*"):
        path.chmod(0o644)
    await app_factory()
    found = modes(backend_settings["data_dir"])
    assert found == {name: 0o600 for name in found}, {
        name: oct(mode) for name, mode in found.items()
    }


async def test_a_write_waits_for_another_process_instead_of_failing(app_factory, backend):
    """The worker and a second server write the same file: SQLite waits its busy timeout (15 s,
    not the driver's 5 s) before "database is locked"; WAL keeps readers out of the way."""
    if backend != "embedded":
        pytest.skip("PostgreSQL has its own locking")
    await app_factory()
    connection = Tortoise.get_connection("default")
    assert await connection.execute_query_dict("PRAGMA busy_timeout") == [{"timeout": 15_000}]
    assert await connection.execute_query_dict("PRAGMA journal_mode") == [{"journal_mode": "wal"}]


async def test_a_status_write_that_meets_a_locked_database_is_tried_again():
    """WAL answers "database is locked" at once (no busy wait) to a transaction that read before
    another process wrote: the status store tries again instead of logging an outage."""
    calls = []

    async def write() -> str:
        calls.append(len(calls))
        if len(calls) < 3:
            raise OperationalError(sqlite3.OperationalError("database is locked"))
        return "written"

    assert await _retried_when_locked(write) == "written"
    assert len(calls) == 3

    async def broken() -> None:
        calls.append(len(calls))
        raise OperationalError(sqlite3.OperationalError("no such table: service_status"))

    calls.clear()
    with pytest.raises(OperationalError, match="no such table"):
        await _retried_when_locked(broken)
    assert len(calls) == 1  # only a lock is worth another try
