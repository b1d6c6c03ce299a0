"""Reading Kuma's status page, heartbeats and /metrics (1.23 and 2.x) over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from medianest.sdk import Connection, ServiceClient, ServiceDown
from medianest_uptime_kuma.client import (
    Heartbeats,
    KumaClient,
    Metrics,
    MetricsKeyRefused,
    MonitorMetrics,
    NotConfigured,
    StatusPage,
    StatusPageNotFound,
    UnexpectedAnswer,
    parse_metrics,
)
from medianest_uptime_kuma.config import KumaConfig
from medianest_uptime_kuma.monitors import monitor_entries
from medianest_uptime_kuma.testing import DEFAULT_API_KEY, FakeUptimeKuma, MonitorStatus

HOUR = timedelta(hours=1)


def household(kuma: FakeUptimeKuma) -> dict[str, int]:
    """Two groups; one monitor of each Kuma state, and one that has not been checked yet."""
    ids = {
        "Plex": kuma.add_monitor("Plex", group="Media", response_time_ms=38),
        "Overseerr": kuma.add_monitor("Overseerr", group="Media", status=MonitorStatus.DOWN),
        "NAS": kuma.add_monitor("NAS", group="Infrastructure", type="ping", response_time_ms=2),
        "Router": kuma.add_monitor("Router", group="Infrastructure", status=MonitorStatus.PENDING),
        "Printer": kuma.add_monitor("Printer", group="Infrastructure", status=None),
    }
    kuma.backfill(ids["Plex"], [MonitorStatus.UP, MonitorStatus.DOWN, MonitorStatus.UP], every=HOUR)
    kuma.start_maintenance("Disk swap", [ids["NAS"]])
    return ids


async def read_monitors(client: KumaClient, *, with_metrics: bool = False) -> list[dict]:
    metrics = await client.metrics() if with_metrics else None
    return list(monitor_entries(await client.status_page(), await client.heartbeats(), metrics))


# ------------------------------------------------------------------------ status page → monitors


@pytest.mark.parametrize("version", [1, 2])
async def test_status_page_and_heartbeats_become_monitors(
    version: int, http: ServiceClient
) -> None:
    async with FakeUptimeKuma(version=version) as kuma:
        ids = household(kuma)
        client = KumaClient(http, kuma.url, status_page="home")
        monitors = await read_monitors(client)

    by_name = {m["name"]: m for m in monitors}
    assert [(m["group"], m["name"]) for m in monitors] == [
        ("Media", "Plex"),
        ("Media", "Overseerr"),
        ("Infrastructure", "NAS"),
        ("Infrastructure", "Router"),
        ("Infrastructure", "Printer"),
    ]
    assert {name: m["id"] for name, m in by_name.items()} == ids
    assert {name: (m["status"], m["kuma_status"]) for name, m in by_name.items()} == {
        "Plex": ("online", "up"),
        "Overseerr": ("offline", "down"),
        "NAS": ("degraded", "maintenance"),
        "Router": ("degraded", "pending"),
        "Printer": ("unknown", None),
    }
    plex, overseerr, printer = by_name["Plex"], by_name["Overseerr"], by_name["Printer"]
    assert plex["response_time_ms"] == 38
    assert plex["uptime_percentage"] == 75.0  # three up beats of four in 24 h
    assert overseerr["response_time_ms"] is None  # a failed check has no ping
    assert overseerr["uptime_percentage"] == 0.0
    assert printer["response_time_ms"] is None and printer["uptime_percentage"] is None
    assert all(m["cert_days_remaining"] is None for m in monitors)  # only /metrics knows


async def test_status_page_is_read_under_a_reverse_proxy_path(
    kuma: FakeUptimeKuma, http: ServiceClient
) -> None:
    kuma.add_monitor("Plex")
    client = KumaClient(http, kuma.url + "/", status_page="HOME")

    page = await client.status_page()

    assert page.config.slug == "home" and client.slug == "home"
    assert kuma.request_log[-1] == ("GET", "/api/status-page/home")


async def test_unknown_slug_is_a_clear_error_not_an_empty_page(
    kuma: FakeUptimeKuma, http: ServiceClient
) -> None:
    kuma.add_monitor("Plex")
    client = KumaClient(http, kuma.url, status_page="nope")

    with pytest.raises(StatusPageNotFound) as raised:
        await client.status_page()

    assert str(raised.value) == "Uptime Kuma has no status page 'nope'"
    assert raised.value.status_code == 404
    # Kuma's heartbeat endpoint cannot tell: it answers 200 with nothing in it.
    assert (await client.heartbeats()).beats == {}


def test_uptime_accepts_plain_id_keys_and_prefers_the_24h_key() -> None:
    beats = Heartbeats.model_validate(
        {"heartbeatList": {}, "uptimeList": {"1_24": 0.5, "1": 0.9, "2": 0.25, "3_720": 1}}
    )

    assert (beats.uptime_24h(1), beats.uptime_24h(2), beats.uptime_24h(3)) == (0.5, 0.25, None)


def test_newest_heartbeat_wins_whatever_the_order() -> None:
    beats = Heartbeats.model_validate(
        {
            "heartbeatList": {
                "1": [
                    {"status": 0, "time": "2025-01-02 10:00:00.000", "ping": None},
                    {"status": 1, "time": "2025-01-01 10:00:00.000", "ping": 12},
                ]
            }
        }
    )

    latest = beats.latest(1)
    assert latest is not None and latest.status == 0
    assert beats.latest(2) is None


def test_heartbeats_in_the_same_millisecond_keep_the_lists_order() -> None:
    same_time = "2025-01-01 10:00:00.000"
    beats = Heartbeats.model_validate(
        {"heartbeatList": {"1": [{"status": s, "time": same_time} for s in (1, 3)]}}
    )

    latest = beats.latest(1)
    assert latest is not None and latest.status == 3


def test_a_state_a_future_kuma_adds_is_unknown() -> None:
    page = StatusPage.model_validate(
        {"config": {"slug": "home"}, "publicGroupList": [
            {"name": "G", "monitorList": [{"id": 1, "name": "X"}]}
        ]}
    )  # fmt: skip
    beats = Heartbeats.model_validate(
        {"heartbeatList": {"1": [{"status": 7, "time": "2025-01-01 00:00:00.000"}]}}
    )

    (monitor,) = monitor_entries(page, beats)

    assert (monitor["status"], monitor["kuma_status"]) == ("unknown", None)


# ------------------------------------------------------------------------------- /metrics


@pytest.mark.parametrize("version", [1, 2])
async def test_metrics_add_certificates_and_version(version: int, http: ServiceClient) -> None:
    async with FakeUptimeKuma(version=version) as kuma:
        plex = kuma.add_monitor("Plex", url="https://plex.lan", cert_days_remaining=40)
        kuma.add_monitor("NAS", type="ping", status=MonitorStatus.DOWN)
        client = KumaClient(http, kuma.url, status_page="home", api_key=DEFAULT_API_KEY)
        metrics = await client.metrics()
        monitors = await read_monitors(client, with_metrics=True)

    assert metrics.version == {1: "1.23.9", 2: "2.5.3"}[version]
    assert bool(metrics.by_id) is (version == 2)  # 1.23 has no monitor_id label
    gauges = metrics.find(plex, "Plex")
    assert gauges == MonitorMetrics(status=1, response_time_ms=42, cert_days_remaining=40)
    assert [(m["name"], m["status"], m["cert_days_remaining"]) for m in monitors] == [
        ("Plex", "online", 40),
        ("NAS", "offline", None),
    ]
    assert monitors[1]["response_time_ms"] is None  # Kuma's -1: no ping on the last beat


def test_live_gauges_override_the_cached_heartbeats() -> None:
    page = StatusPage.model_validate(
        {"config": {"slug": "home"}, "publicGroupList": [
            {"name": "Media", "monitorList": [{"id": 1, "name": "Plex"}]}
        ]}
    )  # fmt: skip
    cached = Heartbeats.model_validate(
        {
            "heartbeatList": {"1": [{"status": 1, "time": "2025-01-01 00:00:00.000", "ping": 5}]},
            "uptimeList": {"1_24": 1},
        }
    )
    live = Metrics(by_id={1: MonitorMetrics(status=0, response_time_ms=None)})

    (monitor,) = monitor_entries(page, cached, live)

    assert (monitor["status"], monitor["response_time_ms"]) == ("offline", None)
    assert monitor["uptime_percentage"] == 100.0  # Kuma's own figure, from the heartbeats


V1_TEXT = """\
# HELP monitor_status Monitor Status (1 = UP, 0= DOWN, 2= PENDING, 3= MAINTENANCE)
# TYPE monitor_status gauge
monitor_status{monitor_name="Plex",monitor_type="http",monitor_url="https://",monitor_hostname="null",monitor_port="null"} 1
monitor_status{monitor_name="Disk",monitor_type="ping",monitor_url="https://",monitor_hostname="a",monitor_port="null"} 1
monitor_status{monitor_name="Disk",monitor_type="ping",monitor_url="https://",monitor_hostname="b",monitor_port="null"} 0
# HELP monitor_response_time Monitor Response Time (ms)
# TYPE monitor_response_time gauge
monitor_response_time{monitor_name="Plex",monitor_type="http",monitor_url="https://",monitor_hostname="null",monitor_port="null"} 17
"""  # noqa: E501 - Kuma's own lines


def test_v1_metrics_are_keyed_by_name_and_ambiguous_names_are_dropped() -> None:
    metrics = parse_metrics(V1_TEXT)

    assert metrics.by_id == {}
    assert metrics.find(99, "Plex") == MonitorMetrics(status=1, response_time_ms=17)
    assert metrics.find(1, "Disk") is None  # two monitors share the name: never guess


def test_v2_metrics_are_keyed_by_id_even_when_names_repeat() -> None:
    text = V1_TEXT.replace('monitor_hostname="a"', 'monitor_id="3",monitor_hostname="a"').replace(
        'monitor_hostname="b"', 'monitor_id="4",monitor_hostname="b"'
    )

    metrics = parse_metrics(text)

    assert (metrics.find(3, "Disk"), metrics.find(4, "Disk")) == (
        MonitorMetrics(status=1),
        MonitorMetrics(status=0),
    )
    assert metrics.find(5, "Disk") is None  # ids known: a name never stands in for one


@pytest.mark.parametrize(
    "text", ["<html><body>Sign in</body></html>", "", "# TYPE other gauge\nother 1\n"]
)
def test_metrics_that_are_not_kumas_are_refused_without_quoting_them(text: str) -> None:
    with pytest.raises(UnexpectedAnswer, match="/metrics") as raised:
        parse_metrics(text)

    assert "Sign in" not in str(raised.value) and "other" not in str(raised.value)


async def test_wrong_metrics_key_is_an_auth_error(
    kuma: FakeUptimeKuma, http: ServiceClient
) -> None:
    kuma.add_monitor("Plex")
    client = KumaClient(http, kuma.url, status_page="home", api_key="uk1_wrong")

    with pytest.raises(MetricsKeyRefused) as raised:
        await client.metrics()

    assert str(raised.value) == "Uptime Kuma refused the API key for /metrics"
    assert "uk1_wrong" not in repr(raised.value.args)
    assert raised.value.status_code == 401


async def test_kumas_key_check_limit_refuses_even_the_right_key(http: ServiceClient) -> None:
    async with FakeUptimeKuma(metrics_rate_limit=1) as kuma:
        kuma.add_monitor("Plex")
        client = KumaClient(http, kuma.url, status_page="home", api_key=DEFAULT_API_KEY)
        await client.metrics()

        with pytest.raises(MetricsKeyRefused):
            await client.metrics()


async def test_metrics_need_a_key(kuma: FakeUptimeKuma, http: ServiceClient) -> None:
    client = KumaClient(http, kuma.url, status_page="home", api_key="")

    assert not client.has_api_key
    with pytest.raises(NotConfigured):
        await client.metrics()
    assert ("GET", "/metrics") not in kuma.request_log


# ---------------------------------------------------------------------------- failures


@pytest.mark.parametrize(("mode", "reason"), [("refuse", "connect"), ("error", "http_5xx")])
async def test_kuma_outage_is_service_down(
    mode: str, reason: str, kuma: FakeUptimeKuma, http: ServiceClient
) -> None:
    client = KumaClient(http, kuma.url, status_page="home")
    await kuma.outage(mode)  # type: ignore[arg-type]

    with pytest.raises(ServiceDown) as raised:
        await client.status_page()

    assert raised.value.reason == reason


def test_connection_without_a_valid_slug_is_not_configured(kuma: FakeUptimeKuma) -> None:
    http = ServiceClient()
    for config in ({}, {"status_page": "my page!"}, {"status_page": "home", "extra": 1}):
        broken = Connection(name="uptime_kuma", url=kuma.url, config=config)
        with pytest.raises(NotConfigured, match="status page setting"):
            KumaClient.for_connection(http, broken)


def test_connection_without_url_uses_the_default() -> None:
    client = KumaClient.for_connection(
        ServiceClient(), Connection(name="uptime_kuma", url=None, config={"status_page": "home"})
    )

    assert client.base_url == "http://uptime-kuma:3001"


# ------------------------------------------------------------------------------- config


@pytest.mark.parametrize(("given", "stored"), [("home", "home"), (" Home-2 ", "home-2")])
def test_slug_is_normalised_like_kuma_does(given: str, stored: str) -> None:
    assert KumaConfig(status_page=given).status_page == stored


@pytest.mark.parametrize("slug", ["", "a/b", "../x", "a b", "ü", "x" * 65, 5])
def test_slug_outside_kumas_rule_is_refused(slug: object) -> None:
    with pytest.raises(ValidationError):
        KumaConfig(status_page=slug)  # type: ignore[arg-type]


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        KumaConfig.model_validate({"status_page": "home", "statuspage": "home"})
