"""The `uptime_kuma` status probe: what the coordinator caches for each kind of Kuma answer."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest

from medianest.sdk import Connection, ServiceDown
from medianest_uptime_kuma.probes import check, status_probe
from medianest_uptime_kuma.testing import DEFAULT_API_KEY, FakeUptimeKuma, MonitorStatus

Connect = Callable[..., Connection]


async def test_reachable_kuma_is_online_with_its_monitors(
    kuma: FakeUptimeKuma, core: SimpleNamespace, connection: Connect
) -> None:
    plex = kuma.add_monitor("Plex", group="Media", response_time_ms=38)
    nas = kuma.add_monitor("NAS", group="Infrastructure", status=MonitorStatus.DOWN)

    result = await check(core, connection())

    assert (result.status, result.error) == ("online", None)
    assert result.response_time_ms is not None and result.response_time_ms >= 0
    assert result.data["status_page"] == {"slug": "home", "title": "Home"}
    assert [(m["id"], m["group"], m["status"]) for m in result.data["monitors"]] == [
        (plex, "Media", "online"),
        (nas, "Infrastructure", "offline"),
    ]
    assert "version" not in result.data  # only /metrics tells
    assert ("GET", "/metrics") not in kuma.request_log  # no key, no /metrics


async def test_with_a_key_metrics_are_read_too(
    kuma: FakeUptimeKuma, core: SimpleNamespace, connection: Connect
) -> None:
    kuma.add_monitor("Plex", url="https://plex.lan", cert_days_remaining=12)

    result = await check(core, connection(api_key=DEFAULT_API_KEY))

    assert (result.status, result.error) == ("online", None)
    assert result.data["version"] == "2.5.3"
    assert result.data["monitors"][0]["cert_days_remaining"] == 12


async def test_refused_key_keeps_the_monitors_and_says_why(
    kuma: FakeUptimeKuma, core: SimpleNamespace, connection: Connect
) -> None:
    kuma.add_monitor("Plex")

    result = await check(core, connection(api_key="uk1_wrong"))

    assert result.status == "degraded"  # Kuma answered; part of its setup is wrong
    assert result.error == "Uptime Kuma refused the API key for /metrics"
    assert [m["name"] for m in result.data["monitors"]] == ["Plex"]


async def test_metrics_failing_alone_degrades_and_falls_back(
    core: SimpleNamespace,
    connection: Connect,
    kuma: FakeUptimeKuma,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kuma.add_monitor("Plex")
    # A proxy in front of Kuma answering /metrics with its own page.
    monkeypatch.setattr(kuma, "_metrics", lambda: "<html>Sign in</html>")

    result = await check(core, connection(api_key=DEFAULT_API_KEY))

    assert result.status == "degraded"
    assert result.error == (
        "Uptime Kuma's /metrics answered with something other than Kuma's metrics;"
        " monitors are shown from the status page"
    )
    assert result.data["monitors"][0]["status"] == "online"


async def test_unknown_status_page_is_offline_with_a_clear_error(
    kuma: FakeUptimeKuma, core: SimpleNamespace, connection: Connect
) -> None:
    kuma.add_monitor("Plex")

    result = await check(core, connection(slug="nope"))

    assert (result.status, result.error) == ("offline", "Uptime Kuma has no status page 'nope'")


@pytest.mark.parametrize("mode", ["refuse", "error"])
async def test_whole_kuma_outage_raises_so_the_last_monitors_are_kept(
    mode: str, kuma: FakeUptimeKuma, core: SimpleNamespace, connection: Connect
) -> None:
    kuma.add_monitor("Plex")
    await kuma.outage(mode)  # type: ignore[arg-type]

    with pytest.raises(ServiceDown):
        await check(core, connection())


async def test_missing_connection_or_slug_is_reported(
    kuma: FakeUptimeKuma, core: SimpleNamespace
) -> None:
    no_slug = Connection(name="uptime_kuma", url=kuma.url, config={})

    missing = await check(core, None)
    unset = await check(core, no_slug)

    assert (missing.status, missing.error) == ("offline", "no Uptime Kuma connection is configured")
    assert unset.status == "offline" and "status page setting" in (unset.error or "")
    assert kuma.request_log == []


def test_the_probe_is_declared_for_the_service() -> None:
    probe = status_probe()

    assert (probe.service, probe.interval, probe.needs_connection) == ("uptime_kuma", 30.0, True)
    assert probe.timeout < probe.interval
