"""`GET /metrics`: valid Prometheus exposition with the platform's families, nothing personal."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from medianest.testing.clients import signed_in
from sample_plugins.everything import Everything
from status_support import ProbePlugin

EXPECTED_FAMILIES = {
    "medianest_http_requests": "counter",
    "medianest_http_request_duration_seconds": "histogram",
    "medianest_service_status": "gauge",
    "medianest_service_response_time_seconds": "gauge",
    "medianest_service_uptime_ratio": "gauge",
    "medianest_service_data_stale": "gauge",
    "medianest_circuit_breaker_state": "gauge",
    "medianest_circuit_breaker_failures": "gauge",
    "medianest_websocket_clients": "gauge",
    "medianest_websocket_dropped": "counter",
    "medianest_plugin_state": "gauge",
}


def core_of(app: Any) -> Any:
    return app.extensions["medianest"]


async def scrape(app: Any) -> tuple[str, dict[str, Any]]:
    response = await app.test_client().get("/metrics")  # anonymous, like Prometheus
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    text = await response.get_data(as_text=True)
    return text, {family.name: family for family in text_string_to_metric_families(text)}


def value(families: dict[str, Any], sample_name: str, **labels: str) -> float | None:
    family_name = sample_name.removesuffix("_total").removesuffix("_count").removesuffix("_sum")
    for sample in families[family_name].samples:
        if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return sample.value
    return None


async def test_the_exposition_parses_and_has_every_family(app_factory):
    app = await app_factory(plugins=[Everything()])
    await core_of(app).status.refresh("everything")

    _, families = await scrape(app)

    assert {
        name: families[name].type for name in EXPECTED_FAMILIES if name in families
    } == EXPECTED_FAMILIES
    assert "medianest_http_requests" not in {
        m.name for m in REGISTRY.collect()
    }  # a registry per app


async def test_requests_are_counted_by_route_template_status_class_and_plugin(app_factory):
    app = await app_factory(plugins=[Everything()])
    client = app.test_client()
    for _ in range(2):
        await client.get("/api/everything/hello")
    await client.get("/api/auth/session")  # refused: 401 before any route body
    await client.get("/no/such/page/12345")
    await client.open("/api/everything/hello", method="BREW")  # a made-up method: one series

    text, families = await scrape(app)

    hello = {
        "method": "GET",
        "route": "/api/everything/hello",
        "status": "2xx",
        "plugin": "everything",
    }
    assert value(families, "medianest_http_requests_total", **hello) == 2
    assert value(families, "medianest_http_request_duration_seconds_count", **hello) == 2
    refused = {"route": "/api/auth/session", "status": "4xx", "plugin": "core"}
    assert value(families, "medianest_http_requests_total", **refused) == 1
    assert value(families, "medianest_http_requests_total", route="<unmatched>", status="4xx") == 1
    assert "12345" not in text  # a path never becomes a label: one series per route
    assert value(families, "medianest_http_requests_total", method="other", status="4xx") == 1
    assert "BREW" not in text


async def test_service_status_breakers_sockets_and_plugins_are_reported(
    app_factory, upstream, service_id
):
    app = await app_factory(plugins=[ProbePlugin(service_id, upstream.url), Everything()])
    core = core_of(app)
    await core.status.refresh(service_id)
    upstream.mode = "failing"
    while (await core.http.breaker(service_id)).state != "opened":
        await core.status.refresh(service_id)
    await core.host.set_enabled("everything", False, core)
    user = await signed_in(app, "alice")

    async with user.client.websocket("/ws/status") as ws:
        await ws.receive()  # ready: the hub counts this client
        _, families = await scrape(app)

    assert value(families, "medianest_service_status", service=service_id, status="degraded") == 1
    assert value(families, "medianest_service_status", service=service_id, status="online") == 0
    assert 0 < value(families, "medianest_service_uptime_ratio", service=service_id) < 1
    assert (
        value(families, "medianest_circuit_breaker_state", service=service_id, state="opened") == 1
    )
    assert value(families, "medianest_websocket_clients") == 1
    assert value(families, "medianest_plugin_state", plugin="everything", state="disabled") == 1
    assert value(families, "medianest_plugin_state", plugin=service_id, state="enabled") == 1
    assert (
        value(families, "medianest_service_status", service="everything", status="online") is None
    )


async def test_nothing_personal_or_secret_is_exposed(app_factory):
    app = await app_factory(plugins=[Everything()])
    user = await signed_in(app, "alice-the-private")
    await user.get("/api/auth/session")
    session = user.cookie("medianest_session")

    text, _ = await scrape(app)

    assert "alice-the-private" not in text and session not in text


async def test_job_queue_depth_and_durations(app_factory):
    app = await app_factory(plugins=[Everything()])
    if getattr(core_of(app), "jobs", None) is None:
        pytest.skip("this build runs no job system")

    _, families = await scrape(app)

    assert families["medianest_jobs"].type == "gauge"
    assert value(families, "medianest_jobs", status="queued") == 0
    assert families["medianest_job_duration_seconds"].type == "summary"
    assert value(families, "medianest_jobs_running") == 0
