"""The route inventory: every route of the core and the first-party plugins declares who may call
it, and every non-public API route refuses an anonymous caller with 401 before anything else.

The parameters come from the route table of a real app (started once at collection, embedded),
so a route added tomorrow is checked without touching this file.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import uuid
from functools import cache
from pathlib import Path

import pytest
from werkzeug.exceptions import HTTPException

import medianest_plex
import medianest_uptime_kuma
from medianest.auth.policy import policy_of
from medianest.testing.clients import ApiClient

FIRST_PARTY = (medianest_plex, medianest_uptime_kuma)
# Values tried for each path argument; the first combination that routes to the rule is used.
ARGUMENT_CANDIDATES = (str(uuid.UUID(int=1)), "1", "users", "x")


def _is_static(endpoint: str) -> bool:
    return endpoint == "static" or endpoint.endswith(".static")


def _sample_path(app, rule) -> str | None:
    """A concrete path that the router sends to `rule` (None when no candidate fits)."""
    adapter = app.url_map.bind("localhost")
    arguments = sorted(rule.arguments)
    method = next(iter(rule.methods - {"HEAD", "OPTIONS"}))
    for values in itertools.product(ARGUMENT_CANDIDATES, repeat=len(arguments)):
        try:
            path = adapter.build(
                rule.endpoint, dict(zip(arguments, values, strict=True)), method=method
            )
            endpoint, _ = adapter.match(path, method=method, websocket=rule.websocket)
        except (ValueError, HTTPException):  # a converter refused the value: try the next candidate
            continue
        if endpoint == rule.endpoint:
            return path
    return None


async def _guarded_routes() -> list[tuple[str, str, str]]:
    from medianest.app import create_app
    from medianest.settings import Settings

    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            data_dir=Path(data_dir), admin_password="collection-time bootstrap", log_level="ERROR"
        )
        app = create_app(settings, plugins=list(FIRST_PARTY))
        await app.startup()
        try:
            routes = []
            for rule in app.url_map.iter_rules():
                policy = policy_of(app.view_functions[rule.endpoint])
                if (
                    rule.websocket
                    or not rule.rule.startswith("/api/")
                    or policy is None
                    or policy.kind == "public"
                ):
                    continue
                path = _sample_path(app, rule)
                routes.extend(
                    (method, rule.rule, path)
                    for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
                )
            return routes
        finally:
            await app.shutdown()


@cache
def guarded_routes() -> list[tuple[str, str, str]]:
    return asyncio.run(_guarded_routes())


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "route" in metafunc.fixturenames:
        routes = guarded_routes()
        metafunc.parametrize(
            "route", routes, ids=[f"{method} {rule}" for method, rule, _path in routes]
        )


@pytest.fixture
async def first_party_app(app_factory):
    return await app_factory(plugins=list(FIRST_PARTY))


async def test_every_route_declares_a_policy(first_party_app):
    app = first_party_app
    rules = [rule for rule in app.url_map.iter_rules() if not _is_static(rule.endpoint)]
    missing = [rule.rule for rule in rules if policy_of(app.view_functions[rule.endpoint]) is None]
    assert missing == []
    mounted = {rule.rule.split("/")[2] for rule in rules if rule.rule.startswith("/api/")}
    assert {"auth", "admin"} <= mounted
    records = app.extensions["medianest"].host.records
    assert {"plex", "uptime_kuma"} <= set(records)
    assert all(records[pid].state.value != "failed" for pid in ("plex", "uptime_kuma")), records


def test_the_route_table_covers_the_admin_api():
    rules = {rule for _method, rule, _path in guarded_routes()}
    assert {"/api/admin/users", "/api/admin/services/test", "/api/auth/session"} <= rules


# Without credentials the refusal comes before any database, Redis or plugin is touched, so the
# second backend would add only run time to this, the largest parametrization of the suite.
@pytest.mark.parametrize("backend", ["embedded"])
async def test_anonymous_callers_get_401(first_party_app, route):
    method, rule, path = route
    assert path is not None, f"no sample path routes to {rule}"
    response = await ApiClient(first_party_app).request(method, path, json={"anything": [1, 2, 3]})
    assert response.status_code == 401, (method, path, await response.get_data(as_text=True))
    assert (await response.get_json())["error"]["code"] == "UNAUTHENTICATED"
