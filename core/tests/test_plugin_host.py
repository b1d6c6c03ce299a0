"""The plugin host: discovery, isolation of misbehaving plugins, run-time enable/disable."""

from __future__ import annotations

import pytest

from medianest.plugins.host import PluginState
from sample_plugins.everything import Everything
from sample_plugins.misbehaving import (
    FailingStartup,
    Good,
    Hanging,
    OutsideItsSpace,
    Raising,
    SelfColliding,
    TypoHook,
    Unpoliced,
    WrongType,
)


def host_of(app):
    return app.extensions["medianest"].host


async def test_every_hook_contributes(app_factory):
    plugin = Everything()
    app = await app_factory(plugins=[plugin])
    host = host_of(app)
    record = host.get("everything")
    assert record.state is PluginState.ENABLED and record.error is None
    for hook in (
        "register_permissions",
        "register_status_probes",
        "register_widgets",
        "register_jobs",
        "register_auth_providers",
        "register_request_providers",
        "register_routes",
        "register_rate_limits",
        "register_capabilities",
    ):
        assert [pid for pid, _ in host.contributed(hook)] == ["everything"], hook
    assert plugin.calls == ["startup"]
    response = await app.test_client().get("/api/everything/hello")
    assert (await response.get_json())["data"] == {"hello": "everything"}


async def test_misbehaving_plugins_are_contained(app_factory):
    app = await app_factory(
        plugins=[Raising(), Hanging(), WrongType(), Good()], plugin_hook_timeout=0.3
    )
    host = host_of(app)
    client = app.test_client()

    assert (await client.get("/healthz")).status_code == 200
    assert (await (await client.get("/api/good/hello")).get_json())["data"] == "good"
    assert [w.id for _, w in host.contributed("register_widgets")] == ["good.widget"]
    assert [p.name for _, p in host.contributed("register_permissions")] == ["good.use"]

    errors = {pid: host.get(pid).error for pid in ("raising", "hanging", "wrongtype")}
    assert all(host.get(pid).state is PluginState.FAILED for pid in errors)
    assert "widget registry exploded" in errors["raising"]
    assert "timed out" in errors["hanging"]
    assert "register_permissions returned str" in errors["wrongtype"]
    response = await client.get("/api/raising/hello")
    assert response.status_code == 503
    assert (await response.get_json())["error"]["code"] == "SERVICE_UNAVAILABLE"


@pytest.mark.parametrize(
    ("plugin", "error"),
    [
        (OutsideItsSpace(), "outside"),
        (Unpoliced(), "declares no policy"),
        (SelfColliding(), "collides"),
        (TypoHook(), "unknown hook(s): register_widget"),
    ],
)
async def test_plugins_that_break_the_rules_fail_alone(app_factory, plugin, error):
    app = await app_factory(plugins=[plugin, Good()])
    record = host_of(app).get(plugin.plugin.id)
    assert record.state is PluginState.FAILED
    assert error in record.error
    client = app.test_client()
    assert (await client.get("/api/good/hello")).status_code == 200
    if isinstance(plugin, OutsideItsSpace):  # the core's route still answers, not the squatter's
        assert (await client.get("/api/auth/session")).status_code == 401


async def test_startup_failure_marks_the_plugin_failed(app_factory):
    app = await app_factory(plugins=[FailingStartup(), Good()])
    record = host_of(app).get("badstart")
    assert record.state is PluginState.FAILED and "could not reach its service" in record.error
    assert (await app.test_client().get("/api/badstart/hello")).status_code == 503


async def test_duplicate_ids_fail_the_second(app_factory):
    app = await app_factory(plugins=[Everything(), Everything()])
    host = host_of(app)
    assert host.get("everything").state is PluginState.ENABLED
    assert host.get("everything#duplicate").state is PluginState.FAILED


async def test_disable_and_enable_at_run_time(app_factory):
    plugin = Everything()
    app = await app_factory(plugins=[plugin])
    core = app.extensions["medianest"]
    client = app.test_client()

    await core.host.set_enabled("everything", False, core)
    response = await client.get("/api/everything/hello")
    body = await response.get_json()
    assert response.status_code == 404 and body["error"]["code"] == "PLUGIN_DISABLED"
    assert core.host.contributed("register_widgets") == []
    assert core.host.contributed("register_status_probes") == []
    assert "teardown" in plugin.calls

    await core.host.set_enabled("everything", True, core)
    assert (await client.get("/api/everything/hello")).status_code == 200
    assert plugin.calls[-1] == "setup"
    assert [w.id for _, w in core.host.contributed("register_widgets")] == ["everything.summary"]


async def test_disabled_state_survives_a_restart(app_factory, backend_settings):
    first = await app_factory(plugins=[Everything()])
    core = first.extensions["medianest"]
    await core.host.set_enabled("everything", False, core)
    await app_factory.stop(first)

    second = await app_factory(plugins=[Everything()])
    assert host_of(second).get("everything").state is PluginState.DISABLED
    assert (await second.test_client().get("/api/everything/hello")).status_code == 404


async def test_disabled_plugin_routes_stay_in_openapi(app_factory):
    app = await app_factory(plugins=[Everything()])
    core = app.extensions["medianest"]
    await core.host.set_enabled("everything", False, core)
    document = await (await app.test_client().get("/openapi.json")).get_json()
    assert "/api/everything/hello" in document["paths"]
