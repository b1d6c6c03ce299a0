"""Reading Uptime Kuma through the surfaces it keeps stable: the public status page and /metrics.

Kuma's socket.io API is internal and changes between releases, so it is never used. Instead:

- ``GET /api/status-page/{slug}``: the page's groups and the monitors in them (ids, names).
- ``GET /api/status-page/heartbeat/{slug}``: recent heartbeats (status, ping) and the 24-hour
  uptime of each monitor on the page. It answers 200 with empty lists for a slug that does not
  exist, so the status page is always read first: its 404 is the only reliable "no such page".
- ``GET /metrics`` (only with an API key): Prometheus gauges that Kuma updates on every beat.
  The public endpoints above are cached by Kuma (the page 5 minutes, heartbeats 1 minute);
  the gauges are not, so with a key a monitor going down shows up on the next poll instead of
  up to a minute later. The gauges also carry certificate expiry and Kuma's version. Kuma 1.23
  labels samples by ``monitor_name`` only; 2.x adds ``monitor_id``: samples are keyed by id
  when they have one, else by name.

Every call goes through ``core.http`` (pooled, bounded, retried, circuit-broken) as service
``uptime_kuma``; its errors (``ServiceDown``, ``ServiceAuthFailed``, ``ServiceResponseError``)
pass through, refined where Kuma's answer has a clearer meaning.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medianest.sdk import (
    Connection,
    ServiceAuthFailed,
    ServiceClient,
    ServiceError,
    ServiceResponseError,
)
from medianest_uptime_kuma.config import DEFAULT_URL, KumaConfig

SERVICE = "uptime_kuma"
#: /metrics is optional extra detail: it must never hold up a check, and every try spends one
#: of Kuma's 60 key checks a minute, so it gets one short attempt.
METRICS_TIMEOUT = 5.0

# ---------------------------------------------------------------------------------- errors
# Subclasses of the outbound client's errors, so the coordinator and the admin's test treat
# them as what they are; each sets its own message, which says what Kuma's answer means.


class NotConfigured(ServiceError):
    """The connection lacks what the plugin needs (a status page slug)."""

    def __init__(self, message: str) -> None:
        super().__init__(SERVICE, message)


class StatusPageNotFound(ServiceResponseError):
    """Kuma answered 404 for the status page: the slug is wrong or the page was deleted."""

    def __init__(self, slug: str) -> None:
        ServiceError.__init__(self, SERVICE, f"Uptime Kuma has no status page {slug!r}")
        self.status_code = 404
        self.slug = slug


class MetricsKeyRefused(ServiceAuthFailed):
    """/metrics refused the API key (wrong, revoked, or over Kuma's 60 checks a minute)."""

    def __init__(self, status_code: int) -> None:
        ServiceError.__init__(self, SERVICE, "Uptime Kuma refused the API key for /metrics")
        self.status_code = status_code


class UnexpectedAnswer(ServiceResponseError):
    """Kuma answered, but not in a shape we know (a proxy's page, a much newer Kuma, …)."""

    def __init__(self, what: str, problem: str) -> None:
        message = f"Uptime Kuma's {what} is not what we expect: {problem}"
        ServiceError.__init__(self, SERVICE, message)
        self.status_code = 200


# -------------------------------------------------------------------- the status page JSON


class _Wire(BaseModel):
    # Kuma adds fields between releases: read what we need, ignore the rest.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class PageMonitor(_Wire):
    id: int
    name: str


class PageGroup(_Wire):
    name: str
    monitors: list[PageMonitor] = Field(default_factory=list, alias="monitorList")


class PageConfig(_Wire):
    slug: str
    title: str = ""


class StatusPage(_Wire):
    """``GET /api/status-page/{slug}``: groups in the order the page shows them."""

    config: PageConfig
    groups: list[PageGroup] = Field(default_factory=list, alias="publicGroupList")


class Beat(_Wire):
    status: int  # DOWN 0, UP 1, PENDING 2, MAINTENANCE 3
    time: str  # UTC "YYYY-MM-DD HH:mm:ss.SSS": sorts as text
    ping: float | None = None  # milliseconds; None when the check failed


class Heartbeats(_Wire):
    """``GET /api/status-page/heartbeat/{slug}``, keyed by monitor id (as text)."""

    beats: dict[str, list[Beat]] = Field(default_factory=dict, alias="heartbeatList")
    uptimes: dict[str, float | None] = Field(default_factory=dict, alias="uptimeList")

    def latest(self, monitor_id: int) -> Beat | None:
        """The newest beat. Kuma lists them oldest first, with millisecond times that may tie:
        the list's order breaks ties, the times guard against a list in another order."""
        beats = self.beats.get(str(monitor_id))
        return max(reversed(beats), key=lambda beat: beat.time) if beats else None

    def uptime_24h(self, monitor_id: int) -> float | None:
        """The 24-hour uptime ratio (0..1). Kuma keys it ``"<id>_24"``; a plain id is accepted."""
        for key in (f"{monitor_id}_24", str(monitor_id)):
            if (ratio := self.uptimes.get(key)) is not None:
                return ratio
        return None


# ------------------------------------------------------------------------------- /metrics


@dataclass(frozen=True)
class MonitorMetrics:
    """The live gauges of one monitor."""

    status: int | None = None
    response_time_ms: float | None = None  # Kuma writes -1 when the last beat had no ping
    cert_days_remaining: int | None = None


@dataclass(frozen=True)
class Metrics:
    """``GET /metrics``, keyed by monitor id (2.x) and by unambiguous monitor name (1.23)."""

    by_id: dict[int, MonitorMetrics] = field(default_factory=dict)
    by_name: dict[str, MonitorMetrics] = field(default_factory=dict)
    version: str | None = None

    def find(self, monitor_id: int, name: str) -> MonitorMetrics | None:
        """A monitor's gauges: by id when Kuma labels ids (2.x), else by name (1.23)."""
        if self.by_id:
            return self.by_id.get(monitor_id)
        return self.by_name.get(name)


_GAUGES = {
    "monitor_status": "status",
    "monitor_response_time": "response_time_ms",
    "monitor_cert_days_remaining": "cert_days_remaining",
}


def parse_metrics(text: str) -> Metrics:
    """Parse Kuma's Prometheus text (1.23 or 2.x). Raises UnexpectedAnswer on anything else."""
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError:  # its message quotes the body, which may be anyone's page: not shown
        raise UnexpectedAnswer("/metrics", "not Prometheus text") from None
    if not {family.name for family in families} & {"monitor_status", "app_version"}:
        raise UnexpectedAnswer("/metrics", "no Uptime Kuma gauges in it")
    by_id: dict[int, dict[str, Any]] = {}
    by_name: dict[str, dict[str, Any]] = {}
    name_counts: Counter[str] = Counter()
    version = None
    for family in families:
        if family.name == "app_version":
            version = next((s.labels.get("version") for s in family.samples), None)
        if (attribute := _GAUGES.get(family.name)) is None:
            continue
        for sample in family.samples:
            value = _gauge_value(attribute, sample.value)
            name = sample.labels.get("monitor_name", "")
            by_name.setdefault(name, {})[attribute] = value
            if family.name == "monitor_status":
                name_counts[name] += 1
            if (monitor_id := _int_or_none(sample.labels.get("monitor_id"))) is not None:
                by_id.setdefault(monitor_id, {})[attribute] = value
    unambiguous = {name: gauges for name, gauges in by_name.items() if name_counts[name] <= 1}
    return Metrics(
        by_id={key: MonitorMetrics(**gauges) for key, gauges in by_id.items()},
        by_name={key: MonitorMetrics(**gauges) for key, gauges in unambiguous.items() if key},
        version=version,
    )


def _gauge_value(attribute: str, value: float) -> float | int | None:
    if attribute == "response_time_ms":
        return value if value >= 0 else None
    return int(value)


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


# --------------------------------------------------------------------------------- client

_Model = TypeVar("_Model", bound=BaseModel)


class KumaClient:
    """One Uptime Kuma status page (and, with a key, its /metrics) read through ``core.http``.

    ``status_page`` is checked and normalised like ``KumaConfig.status_page``.
    """

    def __init__(
        self, http: ServiceClient, url: str, *, status_page: str, api_key: str | None = None
    ) -> None:
        self._http = http
        self.base_url = url.rstrip("/")  # Kuma may sit under a path behind a reverse proxy
        self.slug = KumaConfig(status_page=status_page).status_page
        self._api_key = api_key or None

    @classmethod
    def for_connection(cls, http: ServiceClient, connection: Connection) -> KumaClient:
        """The client for the admin's connection; NotConfigured without a valid status page."""
        try:
            config = KumaConfig.model_validate(connection.config or {})
        except ValidationError as exc:
            problem = "; ".join(error["msg"] for error in exc.errors())
            message = f"the status page setting is missing or invalid ({problem})"
            raise NotConfigured(message) from None
        return cls(
            http,
            connection.url or DEFAULT_URL,
            status_page=config.status_page,
            api_key=connection.api_key,
        )

    @property
    def has_api_key(self) -> bool:
        return self._api_key is not None

    async def status_page(self) -> StatusPage:
        url = f"{self.base_url}/api/status-page/{quote(self.slug)}"
        try:
            body = await self._http.get_json(SERVICE, url)
        except ServiceResponseError as exc:
            if exc.status_code == 404:
                raise StatusPageNotFound(self.slug) from None
            raise
        return _parsed(StatusPage, body, "status page")

    async def heartbeats(self) -> Heartbeats:
        url = f"{self.base_url}/api/status-page/heartbeat/{quote(self.slug)}"
        return _parsed(Heartbeats, await self._http.get_json(SERVICE, url), "heartbeat list")

    async def metrics(self) -> Metrics:
        """The /metrics gauges; MetricsKeyRefused when Kuma refuses the key."""
        if self._api_key is None:
            raise NotConfigured("reading /metrics needs an API key")
        # Kuma checks an API key as the Basic password; the username is ignored.
        token = base64.b64encode(f":{self._api_key}".encode()).decode()
        headers = {"Authorization": f"Basic {token}", "Accept": "text/plain"}
        url = f"{self.base_url}/metrics"
        try:
            response = await self._http.request(
                SERVICE, "GET", url, headers=headers, timeout=METRICS_TIMEOUT, retries=0
            )
        except ServiceAuthFailed as exc:
            raise MetricsKeyRefused(exc.status_code) from None
        return parse_metrics(response.text)


def _parsed(model: type[_Model], body: Any, what: str) -> _Model:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise UnexpectedAnswer(what, _first_problem(exc.errors())) from None


def _first_problem(errors: Iterable[Any]) -> str:
    error = next(iter(errors))
    where = ".".join(str(part) for part in error["loc"]) or "the body"
    return f"{where}: {error['msg']}"
