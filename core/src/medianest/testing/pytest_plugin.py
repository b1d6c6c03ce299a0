"""Fixtures MediaNest ships to its own tests and to plugin authors (entry point `pytest11`).

    async def test_my_route(app_factory):
        app = await app_factory(plugins=[medianest_myplugin])
        client = app.test_client()
        response = await client.get("/api/myplugin/hello")

Every app fixture runs once per backend: `embedded` (SQLite + in-memory backends) and
`production` (PostgreSQL + Redis). The production run skips when those services are
unreachable, and fails instead under MEDIANEST_REQUIRE_SERVICES=1 (CI). Narrow the
backends with MEDIANEST_TEST_BACKENDS=embedded (comma-separated).

Kept import-light: the app is imported inside the fixtures that need it.
"""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from medianest.testing import services

BACKENDS = ("embedded", "production")
BOOTSTRAP_PASSWORD = "bootstrap password for tests"


def pytest_collection_finish(session: pytest.Session) -> None:
    _freeze_survivors()


def _freeze_survivors() -> None:
    """Collect, then freeze what is left (modules, tests, fixtures: it lives as long as the
    session) out of the collector's sight. The full collections that tests trigger by the hundred
    then walk only what came after, instead of the whole session's heap each time. An app that
    a test starts finds the process frozen already and leaves the freeze alone."""
    gc.collect()
    gc.freeze()


def _selected_backends() -> list[str]:
    wanted = os.environ.get("MEDIANEST_TEST_BACKENDS")
    if not wanted:
        return list(BACKENDS)
    return [name.strip() for name in wanted.split(",") if name.strip() in BACKENDS]


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis URL (skips, or fails under MEDIANEST_REQUIRE_SERVICES=1)."""
    return services.redis_url()


@pytest.fixture
def unique_prefix() -> str:
    """A key prefix no other test uses, for tests that share one Redis."""
    return f"mntest:{uuid.uuid4().hex[:12]}:"


@pytest.fixture(params=_selected_backends())
def backend(request: pytest.FixtureRequest) -> str:
    """`embedded` or `production`: which backends the app under test uses."""
    return request.param


@pytest.fixture
async def backend_settings(backend: str, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """Settings overrides for the backend: a fresh database (and Redis namespace) per test."""
    overrides: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "log_level": "WARNING",
        "admin_password": BOOTSTRAP_PASSWORD,
    }
    if backend == "embedded":
        yield overrides
        return
    admin_url = services.postgres_admin_url()
    redis_url = services.redis_url()
    name = f"medianest_test_{uuid.uuid4().hex[:12]}"
    await services.create_database(admin_url, name)
    prefix = f"mntest:{uuid.uuid4().hex[:12]}:"
    try:
        yield {
            **overrides,
            "database_url": services.database_url(admin_url, name),
            "redis_url": redis_url,
            "redis_prefix": prefix,
        }
    finally:
        await services.drop_database(admin_url, name)
        await services.delete_redis_keys(redis_url, prefix)


AppFactory = Callable[..., Awaitable[Any]]


@pytest.fixture
async def app_factory(backend_settings: dict[str, Any]) -> AsyncIterator[AppFactory]:
    """Build and start apps (lifespan included); each is stopped when the test ends.

    `await app_factory(plugins=[...], **settings)`: `plugins` are exactly the plugin
    objects to load (no entry-point discovery; `plugins=None` discovers the installed ones,
    minus `block_plugins=[...]`); keyword arguments override settings.
    One app runs at a time per process (the ORM is process-wide): `await
    app_factory.stop(app)` before starting a second one.
    """
    from quart.testing.app import TestApp

    from medianest.app import create_app
    from medianest.settings import Settings

    running: dict[int, tuple[Any, Any]] = {}  # id(app) -> (app, its lifespan)

    async def stop(app: Any) -> None:
        """Stop one app before the test ends (to start another on the same database)."""
        _, lifespan = running.pop(id(app))
        try:
            await lifespan.__aexit__(None, None, None)
        finally:
            core = app.extensions["medianest"]
            if core.orm is not None:  # a stop that timed out must not poison the next test
                await core.orm.close_connections()
                core.orm = None

    async def make(plugins: Sequence[Any] | None = (), **overrides: Any) -> Any:
        settings = Settings(**{**backend_settings, **overrides})
        app = create_app(settings, plugins=None if plugins is None else list(plugins))
        lifespan = TestApp(app, startup_timeout=60, shutdown_timeout=60)
        await lifespan.__aenter__()
        running[id(app)] = (app, lifespan)
        return app

    make.stop = stop  # type: ignore[attr-defined]
    yield make
    for app, _ in reversed(list(running.values())):
        await stop(app)  # each stop takes its app out of `running`
    _freeze_survivors()  # what the first app imported stays; what the test built goes


@pytest.fixture
async def app(app_factory: AppFactory) -> Any:
    """A started app with no plugins."""
    return await app_factory()


@pytest.fixture
def client(app: Any) -> Any:
    """A test client for `app`."""
    return app.test_client()


@pytest.fixture
async def admin_client(app: Any) -> Any:
    """An `ApiClient` signed in as an admin (not the bootstrap one: no password change due)."""
    from medianest.testing.clients import signed_in

    return await signed_in(app, "root", role="admin")


@pytest.fixture
async def user_client(app: Any) -> Any:
    """An `ApiClient` signed in as a plain user."""
    from medianest.testing.clients import signed_in

    return await signed_in(app, "alice")
