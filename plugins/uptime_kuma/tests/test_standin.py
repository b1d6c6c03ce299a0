"""The Uptime Kuma stand-in speaks Kuma's documented wire format, over real HTTP.

Driven with httpx against the hypercorn-served stand-in; the /metrics text is parsed with
prometheus_client's own parser, so it is proven to be valid Prometheus exposition.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from medianest_uptime_kuma.testing import DEFAULT_API_KEY, FakeUptimeKuma, MonitorStatus

V2_CONFIG_KEYS = {
    "slug", "title", "description", "icon", "autoRefreshInterval", "theme", "published",
    "showTags", "customCSS", "footerText", "showPoweredBy", "analyticsId", "analyticsScriptUrl",
    "analyticsType", "showCertificateExpiry", "showOnlyLastHeartbeat", "rssTitle",
}  # fmt: skip
V1_CONFIG_KEYS = {
    "slug", "title", "description", "icon", "theme", "published", "showTags", "customCSS",
    "footerText", "showPoweredBy", "googleAnalyticsId", "showCertificateExpiry",
}  # fmt: skip
COMMON_LABELS = {"monitor_name", "monitor_type", "monitor_url", "monitor_hostname", "monitor_port"}
V2_LABELS = COMMON_LABELS | {"monitor_id"}
KUMA_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$")
HOLD = 5.0  # generous bound for waits that normally end at once


@pytest.fixture
async def kuma() -> AsyncIterator[FakeUptimeKuma]:
    async with FakeUptimeKuma(slug="home", title="Home") as server:
        yield server


@pytest.fixture
async def client(kuma: FakeUptimeKuma) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=kuma.url, timeout=HOLD) as http:
        yield http


async def metrics(client: httpx.AsyncClient, key: str = DEFAULT_API_KEY) -> dict[str, list[Sample]]:
    response = await client.get("/metrics", auth=("", key))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {family.name: family.samples for family in text_string_to_metric_families(response.text)}


def sample_for(samples: list[Sample], monitor_name: str, **labels: str) -> Sample:
    wanted = {"monitor_name": monitor_name, **labels}
    matches = [s for s in samples if wanted.items() <= s.labels.items()]
    assert len(matches) == 1, matches
    return matches[0]


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# --------------------------------------------------------------------------- status page


async def test_status_page_v2_shape(kuma: FakeUptimeKuma, client: httpx.AsyncClient) -> None:
    plex = kuma.add_monitor("Plex", group="Media", url="http://plex.lan:32400", show_url=True)
    nas = kuma.add_monitor("NAS", group="Infrastructure", type="ping", hostname="nas.lan")

    page = (await client.get("/api/status-page/home")).json()

    assert list(page) == ["config", "incidents", "publicGroupList", "maintenanceList"]
    assert set(page["config"]) == V2_CONFIG_KEYS
    assert page["config"]["slug"] == "home" and page["config"]["title"] == "Home"
    assert page["incidents"] == [] and page["maintenanceList"] == []
    media, infra = page["publicGroupList"]
    assert (media["name"], infra["name"]) == ("Media", "Infrastructure")
    assert set(media) == {"id", "name", "weight", "monitorList"}
    assert isinstance(media["id"], int) and media["weight"] < infra["weight"]
    assert media["monitorList"] == [
        {"id": plex, "name": "Plex", "sendUrl": 1, "type": "http", "url": "http://plex.lan:32400"}
    ]
    assert infra["monitorList"] == [{"id": nas, "name": "NAS", "sendUrl": 0, "type": "ping"}]


async def test_status_page_v1_has_a_single_incident_and_old_config() -> None:
    async with FakeUptimeKuma(version=1) as kuma, httpx.AsyncClient(base_url=kuma.url) as client:
        kuma.add_monitor("Plex")
        page = (await client.get("/api/status-page/home")).json()

    assert list(page) == ["config", "incident", "publicGroupList", "maintenanceList"]
    assert page["incident"] is None
    assert set(page["config"]) == V1_CONFIG_KEYS
    assert [g["name"] for g in page["publicGroupList"]] == ["Services"]


async def test_unknown_slug_is_404_and_slug_is_case_insensitive(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/status-page/nope")
    assert missing.status_code == 404
    assert missing.json() == {"status": "fail", "msg": "Status Page Not Found"}

    assert (await client.get("/api/status-page/HOME")).status_code == 200


async def test_tags_and_certificates_appear_only_when_the_page_shows_them() -> None:
    options = {"show_tags": True, "show_certificate_expiry": True}
    async with FakeUptimeKuma(**options) as kuma, httpx.AsyncClient(base_url=kuma.url) as client:
        kuma.add_monitor(
            "Plex", url="https://plex.lan", tags={"media": "core"}, cert_days_remaining=40
        )
        kuma.add_monitor("NAS", type="ping", hostname="nas.lan")
        plex, nas = (await client.get("/api/status-page/home")).json()["publicGroupList"][0][
            "monitorList"
        ]

    assert [(t["name"], t["value"]) for t in plex["tags"]] == [("media", "core")]
    assert (plex["certExpiryDaysRemaining"], plex["validCert"]) == (40, True)
    assert nas["tags"] == [] and (nas["certExpiryDaysRemaining"], nas["validCert"]) == ("", False)

    async with FakeUptimeKuma() as kuma, httpx.AsyncClient(base_url=kuma.url) as client:
        kuma.add_monitor(
            "Plex", url="https://plex.lan", tags={"media": "core"}, cert_days_remaining=40
        )
        (plain,) = (await client.get("/api/status-page/home")).json()["publicGroupList"][0][
            "monitorList"
        ]
    assert set(plain) == {"id", "name", "sendUrl", "type"}


async def test_monitor_off_the_status_page_only_has_metrics(
    kuma: FakeUptimeKuma, client: httpx.AsyncClient
) -> None:
    kuma.add_monitor("Plex")
    hidden = kuma.add_monitor("Backup job", on_status_page=False)

    page = (await client.get("/api/status-page/home")).json()
    beats = (await client.get("/api/status-page/heartbeat/home")).json()
    names = [m["name"] for g in page["publicGroupList"] for m in g["monitorList"]]

    assert names == ["Plex"]
    assert str(hidden) not in beats["heartbeatList"]
    assert sample_for((await metrics(client))["monitor_status"], "Backup job").value == 1


# --------------------------------------------------------------------------- heartbeats


async def test_heartbeat_shape(kuma: FakeUptimeKuma, client: httpx.AsyncClient) -> None:
    plex = kuma.add_monitor("Plex", response_time_ms=37.0)
    kuma.set_status(plex, MonitorStatus.DOWN, msg="connect ECONNREFUSED")

    body = (await client.get("/api/status-page/heartbeat/home")).json()

    assert set(body) == {"heartbeatList", "uptimeList"}
    up, down = body["heartbeatList"][str(plex)]
    assert set(up) == {"status", "time", "msg", "ping"}
    assert (up["status"], up["ping"], up["msg"]) == (1, 37, "")
    assert (down["status"], down["ping"], down["msg"]) == (0, None, "")  # msg is never public
    assert KUMA_TIME.match(up["time"]) and up["time"] <= down["time"]
    assert body["uptimeList"] == {f"{plex}_24": 0.5}


async def test_down_then_up_adds_heartbeats_and_changes_uptime(
    kuma: FakeUptimeKuma, client: httpx.AsyncClient
) -> None:
    plex = kuma.add_monitor("Plex")
    url = "/api/status-page/heartbeat/home"
    before = (await client.get(url)).json()

    kuma.set_status(plex, MonitorStatus.DOWN)
    during = (await client.get(url)).json()
    kuma.set_status(plex, MonitorStatus.UP, response_time_ms=120)
    after = (await client.get(url)).json()

    assert [b["status"] for b in before["heartbeatList"][str(plex)]] == [1]
    assert [b["status"] for b in during["heartbeatList"][str(plex)]] == [1, 0]
    assert [b["status"] for b in after["heartbeatList"][str(plex)]] == [1, 0, 1]
    assert after["heartbeatList"][str(plex)][-1]["ping"] == 120
    key = f"{plex}_24"
    assert (before["uptimeList"][key], during["uptimeList"][key]) == (1, 0.5)
    assert after["uptimeList"][key] == pytest.approx(2 / 3)


async def test_pending_counts_as_down_and_has_no_ping(
    kuma: FakeUptimeKuma, client: httpx.AsyncClient
) -> None:
    ha = kuma.add_monitor("Home Assistant", status=MonitorStatus.PENDING)

    body = (await client.get("/api/status-page/heartbeat/home")).json()
    samples = await metrics(client)

    (beat,) = body["heartbeatList"][str(ha)]
    assert (beat["status"], beat["ping"]) == (2, None)
    assert body["uptimeList"][f"{ha}_24"] == 0
    assert sample_for(samples["monitor_status"], "Home Assistant").value == 2
    assert sample_for(samples["monitor_response_time"], "Home Assistant").value == -1


async def test_maintenance_is_listed_counts_as_up_and_ends(
    kuma: FakeUptimeKuma, client: httpx.AsyncClient
) -> None:
    nas = kuma.add_monitor("NAS", status=MonitorStatus.DOWN)
    maintenance = kuma.start_maintenance("Disk swap", [nas], description="New drives")

    page = (await client.get("/api/status-page/home")).json()
    during = (await client.get("/api/status-page/heartbeat/home")).json()
    status_during = sample_for((await metrics(client))["monitor_status"], "NAS").value
    kuma.end_maintenance(maintenance)
    after = (await client.get("/api/status-page/heartbeat/home")).json()
    page_after = (await client.get("/api/status-page/home")).json()

    (listed,) = page["maintenanceList"]
    assert (listed["id"], listed["title"], listed["description"]) == (
        maintenance,
        "Disk swap",
        "New drives",
    )
    assert listed["status"] == "under-maintenance"
    assert [b["status"] for b in during["heartbeatList"][str(nas)]] == [0, 3]
    assert during["uptimeList"][f"{nas}_24"] == 0.5  # maintenance counts as up
    assert status_during == 3
    assert [b["status"] for b in after["heartbeatList"][str(nas)]] == [
        0,
        3,
        0,
    ]  # back to what it was
    assert page_after["maintenanceList"] == []


async def test_heartbeat_list_is_the_last_hundred_oldest_first(
    kuma: FakeUptimeKuma, client: httpx.AsyncClient
) -> None:
    plex = kuma.add_monitor("Plex", status=None)
    kuma.backfill(
        plex, [MonitorStatus.DOWN] * 5 + [MonitorStatus.UP] * 100, every=timedelta(seconds=30)
    )

    beats = (await client.get("/api/status-page/heartbeat/home")).json()["heartbeatList"][str(plex)]

    assert len(beats) == 100
    assert {b["status"] for b in beats} == {1}
    assert [b["time"] for b in beats] == sorted(b["time"] for b in beats)


async def test_uptime_windows_come_from_the_history(
    kuma: FakeUptimeKuma, client: httpx.AsyncClient
) -> None:
    plex = kuma.add_monitor("Plex", status=None)
    now = datetime.now(UTC)
    kuma.set_status(plex, MonitorStatus.DOWN, at=now - timedelta(days=3))
    kuma.set_status(plex, MonitorStatus.DOWN, at=now - timedelta(days=100))
    kuma.set_status(plex, MonitorStatus.UP, at=now - timedelta(hours=1), response_time_ms=100)
    kuma.set_status(plex, MonitorStatus.UP, at=now - timedelta(minutes=1), response_time_ms=300)

    uptime_24 = (await client.get("/api/status-page/heartbeat/home")).json()["uptimeList"][
        f"{plex}_24"
    ]
    samples = await metrics(client)

    assert uptime_24 == 1
    ratios = {
        w: sample_for(samples["monitor_uptime_ratio"], "Plex", window=w).value
        for w in ("1d", "30d", "365d")
    }
    assert ratios == {"1d": 1, "30d": pytest.approx(2 / 3), "365d": 0.5}
    assert sample_for(
        samples["monitor_response_time_seconds"], "Plex", window="1d"
    ).value == pytest.approx(0.2)
    assert sample_for(samples["monitor_response_time"], "Plex").value == 300  # the last beat


async def test_unknown_slug_heartbeats_are_empty_like_kuma(
    kuma: FakeUptimeKuma, client: httpx.AsyncClient
) -> None:
    kuma.add_monitor("Plex")
    response = await client.get("/api/status-page/heartbeat/nope")
    assert response.status_code == 200
    assert response.json() == {"heartbeatList": {}, "uptimeList": {}}


def test_history_is_bounded() -> None:
    kuma = FakeUptimeKuma(history_limit=10)
    plex = kuma.add_monitor("Plex", status=None)
    kuma.backfill(plex, [MonitorStatus.DOWN] * 10 + [MonitorStatus.UP] * 10)
    assert len(kuma.monitor(plex).heartbeats) == 10
    assert kuma.uptime(plex) == 1


# --------------------------------------------------------------------------- /metrics


async def test_metrics_v2_families_and_labels(
    kuma: FakeUptimeKuma, client: httpx.AsyncClient
) -> None:
    plex = kuma.add_monitor("Plex", url="http://plex.lan:32400")
    kuma.add_monitor("NAS", type="port", hostname="nas.lan", port=445, status=MonitorStatus.DOWN)
    kuma.add_monitor("Not checked yet", status=None)

    samples = await metrics(client)

    assert set(samples) == {
        "monitor_cert_days_remaining", "monitor_cert_is_valid", "monitor_uptime_ratio",
        "monitor_response_time_seconds", "monitor_response_time", "monitor_status", "app_version",
    }  # fmt: skip
    status = samples["monitor_status"]
    assert {s.labels["monitor_name"] for s in status} == {"Plex", "NAS"}  # no beat, no series
    assert all(set(s.labels) == V2_LABELS for s in status)
    plex_status = sample_for(status, "Plex")
    assert plex_status.value == 1
    assert plex_status.labels == {
        "monitor_id": str(plex), "monitor_name": "Plex", "monitor_type": "http",
        "monitor_url": "http://plex.lan:32400", "monitor_hostname": "null", "monitor_port": "null",
    }  # fmt: skip
    nas = sample_for(status, "NAS")
    assert (nas.value, nas.labels["monitor_port"], nas.labels["monitor_url"]) == (
        0,
        "445",
        "https://",
    )
    assert sample_for(samples["monitor_response_time"], "NAS").value == -1
    windows = {
        s.labels["window"]
        for s in samples["monitor_uptime_ratio"]
        if s.labels["monitor_name"] == "Plex"
    }
    assert windows == {"1d", "30d", "365d"}
    assert all(
        set(s.labels) == V2_LABELS | {"window"} for s in samples["monitor_response_time_seconds"]
    )
    assert samples["monitor_cert_days_remaining"] == []
    assert samples["app_version"][0].labels["major"] == "2"


async def test_metrics_v1_families_and_labels() -> None:
    async with FakeUptimeKuma(version=1) as kuma, httpx.AsyncClient(base_url=kuma.url) as client:
        kuma.add_monitor("Plex", url="https://plex.lan", cert_days_remaining=12, tags={"media": ""})
        samples = await metrics(client)

    assert set(samples) == {
        "monitor_cert_days_remaining", "monitor_cert_is_valid", "monitor_response_time",
        "monitor_status", "app_version",
    }  # fmt: skip
    for name in (
        "monitor_cert_days_remaining",
        "monitor_cert_is_valid",
        "monitor_response_time",
        "monitor_status",
    ):
        assert [set(s.labels) for s in samples[name]] == [COMMON_LABELS], name
    assert sample_for(samples["monitor_cert_days_remaining"], "Plex").value == 12
    assert sample_for(samples["monitor_cert_is_valid"], "Plex").value == 1
    assert samples["app_version"][0].labels["major"] == "1"


async def test_metrics_v2_tag_labels(kuma: FakeUptimeKuma, client: httpx.AsyncClient) -> None:
    kuma.add_monitor("Plex", tags={"Media Server": "UHD-4k!", "core": ""})
    kuma.add_monitor("NAS")

    samples = await metrics(client)

    plex = sample_for(samples["monitor_status"], "Plex")
    assert (plex.labels["MediaServer"], plex.labels["core"]) == ("UHD4k", "")  # sanitized like Kuma
    assert set(sample_for(samples["monitor_status"], "NAS").labels) == V2_LABELS


async def test_metrics_escape_label_values(kuma: FakeUptimeKuma, client: httpx.AsyncClient) -> None:
    kuma.add_monitor('The "big" box\\', url="http://nas.lan/a b")
    assert sample_for((await metrics(client))["monitor_status"], 'The "big" box\\').value == 1


async def test_metrics_accept_the_api_key_with_any_username(
    kuma: FakeUptimeKuma, client: httpx.AsyncClient
) -> None:
    kuma.add_monitor("Plex")
    for username in ("", "admin", "anything"):
        response = await client.get("/metrics", headers=basic(username, DEFAULT_API_KEY))
        assert response.status_code == 200, username


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("", "uk1_wrong"),
        basic(DEFAULT_API_KEY, ""),  # the key belongs in the password
        {"Authorization": f"Bearer {DEFAULT_API_KEY}"},
        {"Authorization": "Basic !!!not-base64"},
        {
            "Authorization": "Basic " + base64.b64encode(DEFAULT_API_KEY.encode()).decode()
        },  # no colon
    ],
    ids=["missing", "wrong-key", "key-as-username", "bearer", "garbage", "no-colon"],
)
async def test_metrics_refuse_without_the_key(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Basic"
    assert "monitor_status" not in response.text


async def test_metrics_auth_is_rate_limited_like_kuma() -> None:
    async with (
        FakeUptimeKuma(metrics_rate_limit=2) as kuma,
        httpx.AsyncClient(base_url=kuma.url) as client,
    ):
        anonymous = await client.get("/metrics")  # no credentials: nothing to check, not counted
        wrong = await client.get("/metrics", auth=("", "uk1_wrong"))
        good = await client.get("/metrics", auth=("", kuma.api_key))
        limited = await client.get("/metrics", auth=("", kuma.api_key))
    codes = [anonymous.status_code, wrong.status_code, good.status_code, limited.status_code]
    assert codes == [401, 401, 200, 401]


async def test_metrics_are_open_when_auth_is_disabled() -> None:
    async with FakeUptimeKuma(api_key=None) as kuma, httpx.AsyncClient(base_url=kuma.url) as client:
        kuma.add_monitor("Plex")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert "monitor_status{" in response.text


# --------------------------------------------------------------------------- outages


async def test_refused_connections_then_recovery(
    kuma: FakeUptimeKuma, client: httpx.AsyncClient
) -> None:
    kuma.add_monitor("Plex")
    url = kuma.url
    assert (await client.get("/api/status-page/home")).status_code == 200

    await kuma.outage("refuse")
    with pytest.raises(httpx.ConnectError):
        await client.get("/api/status-page/home")
    assert kuma.outage_mode == "refuse"

    await kuma.recover()
    assert kuma.url == url  # same address after the restart
    assert (await client.get("/api/status-page/home")).status_code == 200
    assert kuma.outage_mode is None


@pytest.mark.parametrize("status_code", [502, 503])
async def test_error_outage_answers_every_route(
    kuma: FakeUptimeKuma, client: httpx.AsyncClient, status_code: int
) -> None:
    await kuma.outage("error", status_code=status_code)
    for path in ("/api/status-page/home", "/api/status-page/heartbeat/home", "/metrics"):
        response = await client.get(path, auth=("", kuma.api_key))
        assert response.status_code == status_code, path

    await kuma.recover()
    assert (await client.get("/api/status-page/home")).status_code == 200


async def test_hang_outage_times_out_and_recovery_answers_the_waiting_request(
    kuma: FakeUptimeKuma, client: httpx.AsyncClient
) -> None:
    await kuma.outage("hang")
    with pytest.raises(httpx.ReadTimeout):
        await client.get("/api/status-page/home", timeout=httpx.Timeout(HOLD, read=0.2))

    waiting = asyncio.create_task(client.get("/api/status-page/heartbeat/home"))
    await asyncio.wait_for(_until_logged(kuma, "/api/status-page/heartbeat/home"), HOLD)
    assert not waiting.done()
    await kuma.recover()

    assert (await asyncio.wait_for(waiting, HOLD)).status_code == 200


async def _until_logged(kuma: FakeUptimeKuma, path: str) -> None:
    while ("GET", path) not in kuma.request_log:
        await asyncio.sleep(0.01)


async def test_switching_outage_modes(kuma: FakeUptimeKuma, client: httpx.AsyncClient) -> None:
    await kuma.outage("refuse")
    await kuma.outage("error")
    assert (await client.get("/api/status-page/home")).status_code == 502
    await kuma.outage("refuse")
    with pytest.raises(httpx.ConnectError):
        await client.get("/api/status-page/home")
    await kuma.recover()
    assert (await client.get("/api/status-page/home")).status_code == 200


async def test_request_log_counts_calls(kuma: FakeUptimeKuma, client: httpx.AsyncClient) -> None:
    await client.get("/api/status-page/home")
    await client.get("/api/status-page/heartbeat/home")
    await client.get("/api/status-page/heartbeat/home?x=1")
    await kuma.outage("error")
    await client.get("/metrics")

    assert kuma.request_log == [
        ("GET", "/api/status-page/home"),
        ("GET", "/api/status-page/heartbeat/home"),
        ("GET", "/api/status-page/heartbeat/home"),
        ("GET", "/metrics"),
    ]


# ---------------------------------------------------------------- synchronous use and misuse


def test_thread_runner_serves_synchronous_callers() -> None:
    kuma = FakeUptimeKuma.demo(slug="demo")
    with (
        kuma.serve_in_thread() as server,
        httpx.Client(base_url=server.url, timeout=HOLD) as client,
    ):
        page = client.get("/api/status-page/demo").json()
        assert sum(len(g["monitorList"]) for g in page["publicGroupList"]) == len(kuma.monitors)

        plex = next(m.id for m in kuma.monitors if m.name == "Plex")
        kuma.set_status(plex, MonitorStatus.DOWN)
        assert (
            client.get("/api/status-page/heartbeat/demo").json()["heartbeatList"][str(plex)][-1][
                "status"
            ]
            == 0
        )

        server.outage("refuse")
        with pytest.raises(httpx.ConnectError):
            client.get("/api/status-page/demo")
        server.recover()
        assert client.get("/metrics", auth=("", kuma.api_key)).status_code == 200

    with pytest.raises(httpx.ConnectError), httpx.Client() as after:
        after.get(f"{kuma.url}/api/status-page/demo")


async def test_a_fixed_port_in_use_is_reported() -> None:
    async with FakeUptimeKuma() as first:
        with pytest.raises(OSError):
            await FakeUptimeKuma(port=first.port).start()


def test_misuse_is_refused() -> None:
    with pytest.raises(ValueError):
        FakeUptimeKuma(version=3)  # type: ignore[arg-type]
    kuma = FakeUptimeKuma()
    with pytest.raises(KeyError):
        kuma.set_status(99, MonitorStatus.UP)
    with pytest.raises(KeyError):
        kuma.add_monitor("Plex", group=42)
    with pytest.raises(RuntimeError):
        kuma.url  # noqa: B018 - not started
    with pytest.raises(ValueError):
        asyncio.run(kuma.outage("explode"))  # type: ignore[arg-type]
