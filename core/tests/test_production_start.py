"""Starting in production: processes that start together, a database that comes up late.

Real `medianest serve` and `medianest worker` processes on a fresh database each round: two
servers and a worker started at the same instant all come up and stay up, the migrations and
the first-start work (first admin, plugin state rows) happen once. A server started before
PostgreSQL and Redis are reachable waits for them (one log line per attempt) and comes up when
they do; one that waits too long fails in one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from medianest.jobs import heartbeat
from medianest.testing import services
from medianest.testing.processes import (
    WAIT,
    MedianestProcess,
    free_port,
    process_env,
    start_medianest,
    until_answers,
)
from medianest.testing.pytest_plugin import BOOTSTRAP_PASSWORD
from medianest.testing.relay import TcpRelay

ROUNDS = 3
CORE_MIGRATIONS = Path(__file__).resolve().parents[1] / "src" / "medianest" / "migrations"

pytestmark = pytest.mark.timeout(600)


# ---- one fresh install per round --------------------------------------------------------------


@contextlib.asynccontextmanager
async def fresh_install(backend: str, folder: Path) -> AsyncIterator[dict[str, Any]]:
    """Settings of an install nobody started yet: a new SQLite folder, or a new PostgreSQL
    database and Redis namespace."""
    settings: dict[str, Any] = {"data_dir": folder / "data"}
    if backend == "embedded":
        yield settings
        return
    admin_url, redis_url = services.postgres_admin_url(), services.redis_url()
    name, prefix = f"medianest_test_{uuid.uuid4().hex[:12]}", f"mntest:{uuid.uuid4().hex[:12]}:"
    await services.create_database(admin_url, name)
    try:
        yield {
            **settings,
            "database_url": services.database_url(admin_url, name),
            "redis_url": redis_url,
            "redis_prefix": prefix,
        }
    finally:
        await services.drop_database(admin_url, name)
        await services.delete_redis_keys(redis_url, prefix)


async def query(settings: dict[str, Any], sql: str) -> list[tuple]:
    if "database_url" not in settings:
        with contextlib.closing(sqlite3.connect(settings["data_dir"] / "medianest.sqlite3")) as db:
            return db.execute(sql).fetchall()
    connection = await asyncpg.connect(
        settings["database_url"].replace("postgres://", "postgresql://", 1)
    )
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def worker_beats(worker: MedianestProcess, path: Path) -> str:
    deadline = asyncio.get_running_loop().time() + WAIT
    while True:
        assert worker.running, (
            f"the worker exited with {worker.process.returncode}:\n{worker.output()}"
        )
        try:
            return heartbeat.check(path)
        except ValueError:
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail(f"the worker never wrote its heartbeat:\n{worker.output()}")
            await asyncio.sleep(0.1)


# ---- two servers and a worker at the same instant ---------------------------------------------


async def start_together(settings: dict[str, Any], folder: Path) -> list[MedianestProcess]:
    env = process_env(
        settings,
        MEDIANEST_ADMIN_PASSWORD=BOOTSTRAP_PASSWORD,
        MEDIANEST_PLEX_TV_URL="http://127.0.0.1:9",
    )
    return [
        start_medianest("serve", env=env, log=folder / "serve-1.log"),
        start_medianest("serve", env=env, log=folder / "serve-2.log"),
        start_medianest("worker", env=env, log=folder / "worker.log"),
    ]


async def test_servers_and_a_worker_started_at_once_all_come_up(backend, tmp_path):
    shipped = sorted(path.stem for path in CORE_MIGRATIONS.glob("0*.py"))
    for round_number in range(ROUNDS):
        folder = tmp_path / f"round-{round_number}"
        folder.mkdir()
        async with fresh_install(backend, folder) as settings:
            processes = await start_together(settings, folder)
            first, second, worker = processes
            try:
                for server in (first, second):
                    await until_answers(server, "/readyz")
                await worker_beats(worker, settings["data_dir"] / "worker.heartbeat")
                await until_answers(first, "/healthz")  # still up once everyone has started
                assert all(process.running for process in processes)

                applied = await query(
                    settings,
                    "SELECT name FROM tortoise_migrations WHERE app = 'medianest' ORDER BY name",
                )
                assert [name for (name,) in applied] == shipped
                assert await query(settings, "SELECT count(*) FROM users WHERE role = 'admin'") == [
                    (1,)
                ]
                assert await query(
                    settings, "SELECT count(*) FROM audit_log WHERE action = 'user.bootstrap'"
                ) == [(1,)]
            finally:
                for process in processes:
                    process.terminate()
                codes = [process.wait() for process in processes]
            for process, code in zip(processes, codes, strict=True):
                assert code == 0, process.output()
                assert "Traceback" not in process.output() and " ERROR " not in process.output(), (
                    process.output()
                )


# ---- a database that comes up late ------------------------------------------------------------


async def until_logged(process: MedianestProcess, text: str, times: int = 1) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT
    while process.output().count(text) < times:
        assert process.running, process.output()
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"never logged {text!r} {times} time(s):\n{process.output()}")
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("backend", ["production"])
async def test_serve_waits_for_postgresql_and_redis_then_comes_up(backend_settings, tmp_path):
    postgres = TcpRelay(backend_settings["database_url"])  # refuses until opened
    redis = TcpRelay(backend_settings["redis_url"])
    settings = {
        **backend_settings,
        "database_url": postgres.url,
        "redis_url": redis.url,
    }
    env = process_env(
        settings,
        MEDIANEST_LOG_LEVEL="INFO",
        MEDIANEST_START_TIMEOUT="120",
        MEDIANEST_DATABSE_URL="postgres://nowhere/typo",
    )  # misspelt: reported, ignored
    server = start_medianest("serve", env=env, log=tmp_path / "serve.log")
    try:
        await until_logged(server, "waiting for PostgreSQL", times=2)
        await postgres.open()
        await until_logged(server, "waiting for Redis", times=2)
        await redis.open()
        ready = await until_answers(server, "/readyz")
        assert ready.json()["data"]["checks"]["database"]["ok"] is True
    finally:
        code = await server.stopped()
        await postgres.cut()
        await redis.cut()
    output = server.output()
    assert code == 0, output
    assert "Traceback" not in output
    assert (
        "MEDIANEST_DATABSE_URL is not a MediaNest setting" in output
        and "MEDIANEST_DATABASE_URL?" in output
    )
    waits = [line for line in output.splitlines() if "waiting for PostgreSQL" in line]
    assert all(
        "attempt" in line and "next try in" in line for line in waits
    )  # one line per attempt


async def test_a_backend_that_never_comes_fails_the_start_in_one_line(tmp_path):
    nowhere = free_port()
    env = process_env(
        MEDIANEST_DATA_DIR=str(tmp_path / "data"),
        MEDIANEST_START_TIMEOUT="1",
        MEDIANEST_DATABASE_URL=f"postgres://medianest@127.0.0.1:{nowhere}/medianest",
    )
    server = start_medianest("serve", env=env, log=tmp_path / "serve.log")
    assert server.wait(WAIT) == 1
    output = server.output()
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if line.split(" ", 3)[2:3] != ["WARNING"]]
    assert len(errors) == 1, output
    assert errors[0].startswith("Error: MediaNest did not start: PostgreSQL at 127.0.0.1:")
    assert "MEDIANEST_START_TIMEOUT" in errors[0]


# ---- settings a production start reads ----------------------------------------------------------


def test_the_database_password_comes_from_its_file(tmp_path):
    from medianest.log import redact
    from medianest.settings import SettingsError, load_settings

    secret = tmp_path / "postgres_password"
    secret.write_text("p@ss:word/with%signs\n")
    settings = load_settings(
        database_url="postgres://medianest@db:5432/medianest", database_password_file=secret
    )
    assert (
        settings.resolved_database_url
        == "postgres://medianest:p%40ss%3Aword%2Fwith%25signs@db:5432/medianest"
    )
    from medianest.startup import expand_db_url

    assert (
        expand_db_url(settings.resolved_database_url)["credentials"]["password"]
        == "p@ss:word/with%signs"
    )
    assert "p@ss:word/with%signs" not in redact("connecting with p@ss:word/with%signs")
    given = load_settings(
        database_url="postgres://medianest:own@db/medianest", database_password_file=secret
    )
    assert (
        given.resolved_database_url == "postgres://medianest:own@db/medianest"
    )  # the URL's own wins
    with pytest.raises(SettingsError, match="MEDIANEST_DATABASE_PASSWORD_FILE"):
        load_settings(database_password_file=tmp_path / "missing")


def test_a_misspelt_setting_is_named_with_the_closest_real_one():
    from medianest.settings import ENV_PREFIX, Settings
    from medianest.startup import misspelt_settings

    known = [f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields]
    given = [
        "MEDIANEST_DATABSE_URL",
        "MEDIANEST_LOGLEVEL",
        "MEDIANEST_REDIS_URL",
        "MEDIANEST_TEST_DATABASE_URL",
        "MEDIANEST_SOMETHING_ELSE_ENTIRELY",
        "PATH",
    ]
    assert misspelt_settings(given, known) == [
        ("MEDIANEST_DATABSE_URL", "MEDIANEST_DATABASE_URL"),
        ("MEDIANEST_LOGLEVEL", "MEDIANEST_LOG_LEVEL"),
    ]
