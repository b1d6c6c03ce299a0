"""Service connections: each plugin service's URL, API key and options, and "test connection".

Keys are write-only: answers show `api_key` masked and `has_api_key`; the audit trail records
that a key changed, never the key. The test runs the plugin's own status probe with the unsaved
values, bounded by the probe's timeout, and answers only `{ok, status, response_time_ms, error}`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from quart_schema import validate_request

from medianest import audit
from medianest.api.admin._common import Body, actor, blueprint, client_ip, core
from medianest.auth.policy import admin_only
from medianest.errors import NotFound, RateLimited, listing, ok
from medianest.ratelimit import LimiterUnavailable

# How often one admin may test connections: each test makes the server call a URL they chose.
TEST_LIMIT, TEST_WINDOW = 20, 60


class ServiceChange(Body):
    url: str | None = Field(
        default=None, max_length=2048, description="http(s)://host[:port][/path]"
    )
    api_key: str | None = Field(
        default=None, max_length=4096, description='write-only; "" or null clears it'
    )
    enabled: bool | None = None
    config: dict[str, Any] | None = None


class ServiceTest(Body):
    name: str = Field(min_length=1, max_length=32)
    url: str | None = Field(default=None, max_length=2048)
    api_key: str | None = Field(default=None, max_length=4096)
    config: dict[str, Any] | None = None


async def _view(name: str) -> dict[str, Any]:
    for view in await core().services.views():
        if view["name"] == name:
            return view
    raise NotFound("No plugin provides a service by that name")


@blueprint.get("/services")
@admin_only
async def list_services():
    """Every service a loaded plugin declares, configured or not (keys masked)."""
    return listing(await core().services.views())


@blueprint.put("/services/<name>")
@admin_only
@validate_request(ServiceChange)
async def update_service(name: str, data: ServiceChange):
    """Save part of a connection; a field left out keeps its value."""
    registry = core().services
    if registry.spec(name) is None:
        raise NotFound("No plugin provides a service by that name")
    given = data.model_dump(include=data.model_fields_set)
    if given.get("enabled", False) is None:
        del given["enabled"]  # null means "leave it", not "off"
    before = await registry.get(name)
    after = await registry.put(name, **given)
    await audit.record(
        "admin.service_updated",
        actor=actor(),
        target=f"service:{name}",
        ip=client_ip(),
        **_changes(before, after, given),
    )
    return ok(await _view(name))


def _changes(before: Any, after: Any, given: dict[str, Any]) -> dict[str, Any]:
    """What the audit trail keeps: new values, except that a key is only "changed"/"cleared"."""
    changes: dict[str, Any] = {
        field: getattr(after, field) for field in ("url", "enabled", "config") if field in given
    }
    old_key = before.api_key if before is not None else None
    if "api_key" in given and after.api_key != old_key:
        changes["api_key"] = "changed" if after.api_key else "cleared"
    return changes


@blueprint.post("/services/test")
@admin_only
@validate_request(ServiceTest)
async def test_service(data: ServiceTest):
    """Test a connection with optional unsaved values laid over the saved ones."""
    await _limit_tests()
    overrides = data.model_dump(include=data.model_fields_set - {"name"})
    outcome = await core().services.test(data.name, overrides)
    await audit.record(
        "admin.service_tested",
        actor=actor(),
        target=f"service:{data.name}",
        ip=client_ip(),
        ok=outcome["ok"],
    )
    return ok(outcome)


async def _limit_tests() -> None:
    try:
        decision = await core().limiter.hit(
            f"admin:service_test:{actor().user_id}", limit=TEST_LIMIT, window=TEST_WINDOW
        )
    except LimiterUnavailable:
        return  # admins only: a Redis outage must not block fixing a connection
    if not decision.allowed:
        raise RateLimited(
            limit=decision.limit, window=decision.window, retry_after=decision.retry_after
        )
