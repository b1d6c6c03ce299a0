"""`GET /metrics`: Prometheus text exposition, from a registry of this app's own.

Every app owns a `CollectorRegistry` (never prometheus-client's global one: tests and the
bench build many apps in one process). Request counts and latencies are recorded as requests
finish; the platform's state (service status, circuit breakers, websocket clients, jobs,
plugins) is read when Prometheus scrapes. Labels name routes by their template, services and
plugins by id; never a user, a path with ids in it, or anything secret.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector
from quart import Blueprint, Quart, Response, current_app, g, request
from quart_schema import security_scheme

from medianest.auth.policy import own_credentials, public, uncounted
from medianest.errors import Forbidden, Unauthenticated
from medianest.jobs.models import JOB_STATES
from medianest.net import address_in, client_ip
from medianest.plugins.host import PluginState
from medianest.status.coordinator import STATUSES

if TYPE_CHECKING:
    from medianest.core import Core

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BREAKER_STATES = ("closed", "opened", "half-opened")
UNMATCHED = "<unmatched>"  # requests no route matched: one label value, not one per path
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})  # others: "other"

blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
@public
@uncounted
@own_credentials
@security_scheme([{}, {"metricsToken": []}])
async def metrics() -> Response:
    """Prometheus metrics (text format): requests, services, breakers, websockets, jobs, plugins.

    Public unless `MEDIANEST_METRICS_TOKEN` (then `Authorization: Bearer <token>`) or
    `MEDIANEST_METRICS_ALLOW` (client networks) is set; with both, either one admits.
    """
    _admit(current_app.extensions["medianest"].settings)
    body = await current_app.extensions["medianest.metrics"].exposition()
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _admit(settings: Any) -> None:
    """Refuse a scrape the settings do not allow: 401 without the token, 403 from elsewhere."""
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if token is None and not settings.metrics_allow:
        return
    forwarded = request.headers.get("X-Forwarded-For")
    address = client_ip(request.remote_addr, forwarded, settings.trusted_proxies)
    if settings.metrics_allow and address_in(address, settings.metrics_allow):
        return
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    bearer = scheme.lower() == "bearer"
    if token and bearer and hmac.compare_digest(sent.strip().encode(), token.encode()):
        return
    if token:
        challenge = {"WWW-Authenticate": 'Bearer realm="metrics"'}
        raise Unauthenticated("Metrics need their token", headers=challenge)
    raise Forbidden("Metrics are not served to this address")


class Metrics:
    """The app's registry: request instruments plus a collector of the platform's state."""

    def __init__(self, core: Core) -> None:
        self.registry = CollectorRegistry()
        labels = ("method", "route", "status", "plugin")
        self.requests = Counter(
            "medianest_http_requests", "HTTP requests answered", labels, registry=self.registry
        )
        self.latency = Histogram(
            "medianest_http_request_duration_seconds",
            "Time from the request's arrival to its response",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._platform = PlatformCollector(core)
        self.registry.register(self._platform)
        self._core = core
        # (method, route, status class) -> its request counter and latency histogram. Bounded
        # (methods x routes x classes); finding labels costs more than updating the series.
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def install(self, app: Quart) -> None:
        """Time every request; call before the other `before_request` hooks are added, so that
        requests they refuse are timed too."""
        app.extensions["medianest.metrics"] = self
        app.before_request(self._started)
        app.after_request(self._finished)

    async def exposition(self) -> bytes:
        await self._platform.refresh()
        return generate_latest(self.registry)

    async def _started(self) -> None:
        g.metrics_started = time.perf_counter()

    async def _finished(self, response: Response) -> Response:
        started = g.get("metrics_started")
        if started is None:
            return response
        current = request._get_current_object()  # type: ignore[attr-defined] # one proxy lookup
        method = current.method if current.method in METHODS else "other"
        route = current.url_rule.rule if current.url_rule is not None else UNMATCHED
        key = (method, route, response.status_code // 100)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = self._series_for(current, key)
        series[0].inc()
        series[1].observe(time.perf_counter() - started)
        return response

    def _series_for(self, current: Any, key: tuple[str, str, int]) -> tuple[Any, Any]:
        method, route, status_class = key
        top_blueprint = current.blueprints[-1] if current.blueprints else None
        plugin = self._core.blueprint_owner.get(top_blueprint, "core") if top_blueprint else "core"
        labels = (method, route, f"{status_class}xx", plugin)
        return self.requests.labels(*labels), self.latency.labels(*labels)


class PlatformCollector(Collector):
    """Reads what the platform knows at scrape time; `refresh()` first does the async reads."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self._breakers: list[Any] = []
        self._jobs: dict[str, int] | None = None

    async def refresh(self) -> None:
        self._breakers = await self._core.http.breakers()
        jobs = getattr(self._core, "jobs", None)  # the job system, when this app runs one
        self._jobs = await jobs.depth() if jobs is not None else None

    def collect(self) -> Iterator[Metric]:
        yield from self._services()
        yield from self._circuit_breakers()
        yield from self._websockets()
        yield from self._plugins()
        if self._jobs is not None:
            yield from self._job_families(self._jobs)

    def _services(self) -> Iterator[Metric]:
        status = GaugeMetricFamily(
            "medianest_service_status",
            "1 for the service's current status",
            labels=("service", "plugin", "status"),
        )
        response = GaugeMetricFamily(
            "medianest_service_response_time_seconds",
            "Response time of the last check",
            labels=("service",),
        )
        uptime = GaugeMetricFamily(
            "medianest_service_uptime_ratio",
            "Share of online checks over 24 h",
            labels=("service",),
        )
        stale = GaugeMetricFamily(
            "medianest_service_data_stale",
            "1 when the cached data is older than two intervals",
            labels=("service",),
        )
        for coordinator in self._core.status.coordinators():
            entry = coordinator.entry()
            for name in sorted(STATUSES):
                status.add_metric(
                    [entry["service"], coordinator.plugin_id, name], float(entry["status"] == name)
                )
            if entry["response_time_ms"] is not None:
                response.add_metric([entry["service"]], entry["response_time_ms"] / 1000)
            if entry["uptime_percentage"] is not None:
                uptime.add_metric([entry["service"]], entry["uptime_percentage"] / 100)
            stale.add_metric([entry["service"]], float(entry["stale"]))
        yield from (status, response, uptime, stale)

    def _circuit_breakers(self) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            "medianest_circuit_breaker_state",
            "1 for the breaker's current state",
            labels=("service", "state"),
        )
        failures = GaugeMetricFamily(
            "medianest_circuit_breaker_failures",
            "Consecutive failures counted by the breaker",
            labels=("service",),
        )
        for breaker in self._breakers:
            for name in BREAKER_STATES:
                state.add_metric([breaker.service, name], float(breaker.state == name))
            failures.add_metric([breaker.service], float(breaker.failure_count or 0))
        yield from (state, failures)

    def _websockets(self) -> Iterator[Metric]:
        hub = self._core.hub
        yield GaugeMetricFamily(
            "medianest_websocket_clients", "Open websocket clients", value=hub.clients
        )
        yield CounterMetricFamily(
            "medianest_websocket_dropped",
            "Websocket clients dropped for falling behind",
            value=hub.dropped,
        )

    def _plugins(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "medianest_plugin_state", "1 for the plugin's state", labels=("plugin", "state")
        )
        for record in self._core.host.records.values():
            for state in PluginState:
                family.add_metric([record.id, state.value], float(record.state is state))
        yield family

    def _job_families(self, depth: dict[str, int]) -> Iterator[Metric]:
        jobs = self._core.jobs
        queued = GaugeMetricFamily(
            "medianest_jobs", "Jobs in the job table by status", labels=("status",)
        )
        for state in JOB_STATES:
            queued.add_metric([state], float(depth.get(state, 0)))
        yield queued
        yield GaugeMetricFamily(
            "medianest_jobs_running", "Jobs this process runs now", value=jobs.running
        )
        durations = SummaryMetricFamily(
            "medianest_job_duration_seconds",
            "Run time of job attempts by outcome",
            labels=("job", "outcome"),
        )
        for row in jobs.stats.snapshot():
            durations.add_metric(
                [row["name"], row["outcome"]], count_value=row["count"], sum_value=row["seconds"]
            )
        yield durations
