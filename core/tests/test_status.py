"""Coordinators: polling, failure mapping, logging once, persistence, uptime, events, toggles.

The probes call a real HTTP server on 127.0.0.1 (`Upstream`) through `core.http`, so the
circuit breaker, timeouts and retries are the product's own. The test flips the server
between healthy, failing (500), refusing credentials (401), dropping connections and hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from medianest.events import Event
from medianest.http import ServiceAuthFailed, ServiceDown, ServiceResponseError
from medianest.plugins import ProbeResult
from medianest.status.coordinator import (
    NOT_CONFIGURED,
    UNEXPECTED,
    ProbeBug,
    UptimeWindow,
    normalise_monitors,
    outcome_of_failure,
    outcome_of_result,
)
from medianest.status.models import ServiceCheck, ServiceStatusRow
from status_support import ProbePlugin, until

WAIT = 15.0  # guards against hanging forever; never an expectation about speed


def core_of(app: Any) -> Any:
    return app.extensions["medianest"]


async def start(app_factory: Any, plugin: ProbePlugin, **settings: Any) -> Any:
    return core_of(await app_factory(plugins=[plugin], **settings))


# ---- the mapping of failures, pure -------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "status", "fragment"),
    [
        (TimeoutError(), "offline", "timed out after 3 s"),
        (ServiceAuthFailed("plex", 401, "GET /x"), "offline", "check the API key"),
        (
            ServiceDown("plex", "http_5xx", "GET /x answered 502", 502),
            "degraded",
            "server error (HTTP 502)",
        ),
        (ServiceDown("plex", "connect", "GET /x [ConnectError]"), "offline", "cannot be reached"),
        (
            ServiceDown("plex", "timeout", "GET /x [ReadTimeout]"),
            "offline",
            "did not answer in time",
        ),
        (ServiceDown("plex", "too_large"), "offline", "too large"),
        (ServiceResponseError("plex", 404, "GET /x"), "offline", "HTTP 404"),
        (RuntimeError("secret detail"), "offline", UNEXPECTED),
    ],
)
def test_failures_map_to_a_status_and_an_actionable_error(exc, status, fragment):
    outcome = outcome_of_failure(exc, title="Plex", timeout=3, previous="online")
    assert outcome.status == status
    assert fragment in outcome.error
    assert outcome.data is None and outcome.recorded


@pytest.mark.parametrize(
    ("previous", "status"),
    [("degraded", "degraded"), ("offline", "offline"), ("online", "offline")],
)
def test_an_open_circuit_keeps_the_status_of_the_failures_that_opened_it(previous, status):
    outcome = outcome_of_failure(
        ServiceDown("plex", "circuit_open"), title="Plex", timeout=3, previous=previous
    )
    assert outcome.status == status
    assert "paused" in outcome.error


def test_errors_never_quote_the_url_or_its_query():
    exc = ServiceDown(
        "plex", "connect", "GET http://10.0.0.5:32400/identity?X-Plex-Token=abc [ConnectError]"
    )
    assert (
        "10.0.0.5" not in outcome_of_failure(exc, title="Plex", timeout=3, previous="online").error
    )


@pytest.mark.parametrize(
    "result",
    ["online", ProbeResult("sleepy"), ProbeResult("online", data=["not", "a", "dict"])],  # type: ignore[arg-type]
)
def test_a_malformed_probe_result_is_the_probes_bug(result):
    with pytest.raises(ProbeBug):
        outcome_of_result(result, 1.0)


def test_only_an_answering_service_brings_fresh_data():
    assert outcome_of_result(ProbeResult("online", data={"a": 1}), 12.34).data == {"a": 1}
    assert outcome_of_result(ProbeResult("online"), 12.34).response_time_ms == 12.3
    assert outcome_of_result(ProbeResult("degraded", 7.0), 99.0).response_time_ms == 7.0
    offline = outcome_of_result(ProbeResult("offline", error="down"), 5.0)
    assert offline.data is None and offline.response_time_ms is None and offline.error == "down"


def test_uptime_counts_online_checks_of_the_last_day_only():
    now = time.time()
    window = UptimeWindow([(now - 25 * 3600, False), (now - 3600, True), (now - 60, False)])
    assert window.percentage(now) == 50.0
    window.add(now, True)
    window.add(now, True)
    assert window.percentage(now) == 75.0
    assert window.percentage(now + 24 * 3600 - 30) == 100.0  # the older two have left the window
    assert UptimeWindow().percentage(now) is None


def test_monitors_are_normalised_to_the_spec_shape():
    raw = [
        {
            "id": 1,
            "name": "NAS",
            "status": "online",
            "response_time_ms": 12,
            "uptime_percentage": 99.5,
            "x": 1,
        },
        {"id": 2, "name": "Router", "status": "exploded"},
        {"name": "no id"},
        "junk",
    ]
    assert normalise_monitors(raw) == [
        {
            "id": 1,
            "name": "NAS",
            "status": "online",
            "response_time_ms": 12,
            "uptime_percentage": 99.5,
        },
        {
            "id": 2,
            "name": "Router",
            "status": "unknown",
            "response_time_ms": None,
            "uptime_percentage": None,
        },
    ]
    assert normalise_monitors(None) is None and normalise_monitors("online") is None


# ---- coordinators in a running app ---------------------------------------------------------------


async def test_a_check_fills_the_cache_and_is_persisted(app_factory, upstream, service_id):
    core = await start(app_factory, ProbePlugin(service_id, upstream.url, title="Stand-in service"))

    entry = await core.status.refresh(service_id)

    assert entry["service"] == service_id and entry["title"] == "Stand-in service"
    assert entry["status"] == "online" and entry["error"] is None
    assert entry["response_time_ms"] is not None and entry["uptime_percentage"] == 100.0
    assert entry["stale"] is False and entry["age_seconds"] < 60
    assert entry["last_check_at"] == entry["last_success_at"]
    assert core.status.entries() == [core.status.get(service_id)]
    row = await ServiceStatusRow.get(service=service_id)
    assert row.status == "online" and row.last_success_at is not None
    assert await ServiceCheck.filter(service=service_id, ok=True).count() >= 1


async def test_a_probe_without_a_connection_is_unknown_and_never_called(
    app_factory, upstream, service_id
):
    plugin = ProbePlugin(service_id, needs_connection=True)
    core = await start(app_factory, plugin)

    entry = await core.status.refresh(service_id)
    assert (entry["status"], entry["error"]) == ("unknown", NOT_CONFIGURED)
    assert upstream.hits == 0
    assert await ServiceCheck.filter(service=service_id).count() == 0  # nothing was checked

    await core.services.put(service_id, url=upstream.url, enabled=False)
    assert (await core.status.refresh(service_id))["error"] == NOT_CONFIGURED
    assert upstream.hits == 0


async def test_a_changed_connection_is_polled_at_once(app_factory, upstream, service_id):
    core = await start(app_factory, ProbePlugin(service_id, needs_connection=True, interval=3600))
    await core.status.refresh(service_id)

    await core.services.put(service_id, url=upstream.url)  # publishes service:connection

    await until(lambda: core.status.get(service_id)["status"] == "online")
    assert upstream.hits >= 1


async def test_the_status_interval_setting_overrides_every_probes_own(
    app_factory, upstream, service_id
):
    core = await start(
        app_factory, ProbePlugin(service_id, upstream.url, interval=3600), status_interval=0.5
    )
    await until(lambda: upstream.hits >= 3)  # polled again and again, not once an hour
    assert core.status.get(service_id)["status"] == "online"


async def test_statuses_follow_the_upstream(app_factory, upstream, service_id):
    core = await start(app_factory, ProbePlugin(service_id, upstream.url))
    await core.status.refresh(service_id)

    upstream.mode = "unauthorized"
    entry = await core.status.refresh(service_id)
    assert entry["status"] == "offline" and "check the API key" in entry["error"]
    assert entry["last_success_at"] is not None  # the last good data is kept

    upstream.mode = "dropping"
    entry = await core.status.refresh(service_id)
    assert entry["status"] == "offline" and "cannot be reached" in entry["error"]

    upstream.mode = "failing"
    await core.http.reset_breaker(service_id)  # the dropped connections counted as failures
    entry = await core.status.refresh(service_id)
    assert entry["status"] == "degraded" and "server error (HTTP 500)" in entry["error"]
    assert entry["response_time_ms"] is None


async def test_going_down_and_recovering_are_each_logged_once(
    app_factory, upstream, service_id, caplog
):
    caplog.set_level(logging.INFO, logger="medianest.status")
    core = await start(app_factory, ProbePlugin(service_id, upstream.url))
    await core.status.refresh(service_id)

    upstream.mode = "dropping"
    for _ in range(3):
        await core.status.refresh(service_id)
    upstream.mode = "healthy"
    await core.http.reset_breaker(service_id)
    for _ in range(3):
        await core.status.refresh(service_id)

    mine = [
        r for r in caplog.records if r.name == "medianest.status" and service_id in r.getMessage()
    ]
    assert [r.levelno for r in mine] == [logging.WARNING, logging.INFO]
    assert "offline" in mine[0].getMessage() and "cannot be reached" in mine[0].getMessage()
    assert "recovered" in mine[1].getMessage()


async def test_a_broken_probe_is_offline_and_logged_once_as_a_bug(
    app_factory, upstream, service_id, caplog
):
    caplog.set_level(logging.INFO, logger="medianest.status")
    plugin = ProbePlugin(service_id, upstream.url)
    core = await start(app_factory, plugin)
    plugin.raise_instead = KeyError("internal detail 42")

    for _ in range(3):
        entry = await core.status.refresh(service_id)

    assert (entry["status"], entry["error"]) == ("offline", UNEXPECTED)
    bugs = [
        r for r in caplog.records if r.levelno == logging.ERROR and service_id in r.getMessage()
    ]
    assert len(bugs) == 1 and bugs[0].exc_info is not None
    assert core.host.get(service_id).state.value == "enabled"  # a bad probe fails nothing else


async def test_uptime_is_the_share_of_online_checks_and_matches_the_table(
    app_factory, upstream, service_id
):
    core = await start(app_factory, ProbePlugin(service_id, upstream.url))
    for mode in ("healthy", "healthy", "healthy", "unauthorized"):
        upstream.mode = mode
        entry = await core.status.refresh(service_id)

    online = await ServiceCheck.filter(service=service_id, ok=True).count()
    total = await ServiceCheck.filter(service=service_id).count()
    assert 0 < online < total
    assert entry["uptime_percentage"] == round(100 * online / total, 2)


async def test_the_breaker_spares_a_failing_upstream_until_it_is_reset(
    app_factory, upstream, service_id
):
    core = await start(app_factory, ProbePlugin(service_id, upstream.url))
    await core.status.refresh(service_id)
    upstream.mode = "failing"

    async with asyncio.timeout(WAIT):
        while (await core.http.breaker(service_id)).state != "opened":
            await core.status.refresh(service_id)
    hits_when_opened = upstream.hits
    for _ in range(3):
        entry = await core.status.refresh(service_id)

    assert upstream.hits == hits_when_opened  # not one more call while the circuit is open
    assert entry["status"] == "degraded" and "paused" in entry["error"]

    upstream.mode = "healthy"
    await core.http.reset_breaker(service_id)
    entry = await core.status.refresh(service_id)
    assert entry["status"] == "online" and upstream.hits == hits_when_opened + 1


async def test_a_change_is_published_with_the_whole_entry_and_only_once(
    app_factory, upstream, service_id
):
    core = await start(app_factory, ProbePlugin(service_id, upstream.url))
    await core.status.refresh(service_id)
    published: list[Event] = []

    async def collect(event: Event) -> None:
        if event.data.get("service") == service_id:
            published.append(event)

    core.events.subscribe(collect, names=("service:status",))
    upstream.mode = "unauthorized"
    await core.status.refresh(service_id)
    await core.status.refresh(service_id)  # same status and error: nothing new to say
    upstream.mode = "healthy"
    await core.status.refresh(service_id)
    await until(lambda: len(published) >= 2)
    await asyncio.sleep(0.05)  # let a wrongly published third event arrive

    assert [event.data["status"] for event in published] == ["offline", "online"]
    assert set(published[0].data) >= {
        "service",
        "title",
        "status",
        "response_time_ms",
        "last_check_at",
        "last_success_at",
        "uptime_percentage",
        "error",
        "stale",
        "age_seconds",
    }
    assert "monitor" not in published[0].data


async def test_a_monitor_change_is_published_with_that_monitor(app_factory, upstream, service_id):
    upstream.monitors = [
        {"id": 1, "name": "NAS", "status": "online"},
        {"id": 2, "name": "Router", "status": "online"},
    ]
    core = await start(app_factory, ProbePlugin(service_id, upstream.url))
    entry = await core.status.refresh(service_id)
    assert [m["name"] for m in entry["monitors"]] == ["NAS", "Router"]
    published: list[Event] = []

    async def collect(event: Event) -> None:
        published.append(event)

    core.events.subscribe(collect, names=("service:status",))

    upstream.monitors = [{**upstream.monitors[0]}, {**upstream.monitors[1], "status": "offline"}]
    await core.status.refresh(service_id)
    await until(lambda: published)

    assert published[0].data["status"] == "online"  # the service itself is fine
    assert published[0].data["monitor"]["name"] == "Router"
    assert published[0].data["monitor"]["status"] == "offline"
    assert [m["status"] for m in published[0].data["monitors"]] == ["online", "offline"]


async def test_last_known_monitors_are_flagged_stale(app_factory, upstream, service_id):
    upstream.monitors = [{"id": 7, "name": "NAS", "status": "online"}]
    core = await start(app_factory, ProbePlugin(service_id, upstream.url, interval=0.05, timeout=1))
    await core.status.refresh(service_id)
    upstream.mode = "dropping"

    await until(lambda: core.status.get(service_id)["status"] == "offline")

    entry = core.status.get(service_id)
    assert entry["stale"] is True and entry["age_seconds"] > 0.1
    assert entry["monitors"] == [
        {
            "id": 7,
            "name": "NAS",
            "status": "online",
            "response_time_ms": None,
            "uptime_percentage": None,
            "stale": True,
        }
    ]


async def test_a_hanging_upstream_never_holds_up_the_cache(app_factory, upstream, service_id):
    core = await start(app_factory, ProbePlugin(service_id, upstream.url, interval=0.1, timeout=1))
    await core.status.refresh(service_id)
    upstream.mode = "hanging"

    await until(lambda: core.status.get(service_id)["status"] == "offline")
    seen = upstream.hits  # the check that timed out may not have hung up yet: wait for the next
    await upstream.wait_until(lambda: upstream.hits > seen and upstream.stuck > 0)  # hanging now

    entry = core.status.get(service_id)
    assert upstream.stuck > 0
    assert entry["error"] == "timed out after 1 s" and entry["stale"] is True


async def test_a_probe_that_hangs_on_its_own_marks_its_plugin_failed(
    app_factory, upstream, service_id
):
    calls = 0

    async def stuck(core: Any, connection: Any) -> ProbeResult:
        nonlocal calls
        calls += 1
        await asyncio.Event().wait()  # a bug: waits on nothing the service does
        return ProbeResult("online")

    plugin = ProbePlugin(service_id, upstream.url, interval=0.05, timeout=0.3)
    plugin.check = stuck  # type: ignore[method-assign]
    core = await start(app_factory, plugin)
    await until(lambda: core.host.get(service_id).state.value == "failed")

    record = core.host.get(service_id)
    assert "hung" in record.error and "no call to the service was pending" in record.error
    await until(lambda: core.status.get(service_id) is None)  # a failed plugin's status goes
    checked = calls
    await asyncio.sleep(0.5)
    assert calls == checked == 1  # its coordinator stopped: no second check


async def test_toggling_the_plugin_stops_and_restarts_its_coordinator(
    app_factory, upstream, service_id
):
    core = await start(app_factory, ProbePlugin(service_id, upstream.url, interval=0.02))
    await upstream.wait_until(lambda: upstream.hits >= 2)  # polling on its own

    await core.host.set_enabled(service_id, False, core)
    assert core.status.get(service_id) is None and core.status.entries() == []
    assert await core.status.refresh(service_id) is None
    hits = upstream.hits
    await asyncio.sleep(0.3)  # fifteen intervals
    # A check already written when the coordinator stopped may still reach the service; one
    # that kept polling would have made about fifteen more.
    assert upstream.hits <= hits + 1

    await core.host.set_enabled(service_id, True, core)
    await upstream.wait_until(lambda: upstream.hits > hits)
    assert core.status.get(service_id)["status"] == "online"


async def test_a_restart_serves_the_persisted_status_before_the_first_check(
    app_factory, upstream, service_id
):
    first = await app_factory(plugins=[ProbePlugin(service_id, upstream.url)])
    before = await core_of(first).status.refresh(service_id)
    await app_factory.stop(first)
    upstream.mode = "hanging"  # the new instance's first check cannot finish

    core = await start(app_factory, ProbePlugin(service_id, upstream.url, timeout=30))
    await upstream.wait_until(lambda: upstream.stuck > 0)

    entry = core.status.get(service_id)
    assert entry["status"] == "online"
    assert entry["last_success_at"] == before["last_success_at"]
    assert entry["uptime_percentage"] == 100.0


async def test_checks_older_than_a_day_are_pruned_at_start(app_factory, upstream, service_id):
    first = await app_factory(plugins=[ProbePlugin(service_id, upstream.url)])
    await core_of(first).status.refresh(service_id)
    old = datetime.now(UTC) - timedelta(hours=25)
    await ServiceCheck.create(service=service_id, at=old, ok=False)
    await app_factory.stop(first)

    await start(app_factory, ProbePlugin(service_id, upstream.url))

    async with asyncio.timeout(WAIT):
        while await ServiceCheck.filter(
            service=service_id, at__lt=old + timedelta(minutes=1)
        ).exists():
            await asyncio.sleep(0.02)
    assert await ServiceCheck.filter(service=service_id).exists()  # the recent ones stay


async def test_two_plugins_probing_one_service_keep_the_first(
    app_factory, upstream, service_id, caplog
):
    caplog.set_level(logging.ERROR, logger="medianest.status")
    first = ProbePlugin(service_id, upstream.url)
    second = ProbePlugin(f"{service_id}b", upstream.url, service=service_id)
    core = core_of(await app_factory(plugins=[first, second]))

    assert [entry["service"] for entry in core.status.entries()] == [service_id]
    assert any("both probe" in record.getMessage() for record in caplog.records)


async def test_a_probe_that_ignores_cancellation_cannot_hold_up_the_shutdown(
    app_factory, service_id, caplog, monkeypatch
):
    monkeypatch.setattr("medianest.status.board.STOP_TIMEOUT", 0.2)
    caplog.set_level(logging.WARNING, logger="medianest.status")
    started, released = asyncio.Event(), asyncio.Event()

    async def stubborn(core: Any, connection: Any) -> ProbeResult:
        started.set()
        while not released.is_set():
            with contextlib.suppress(asyncio.CancelledError):  # the misbehaviour under test
                await asyncio.sleep(0.02)
        return ProbeResult("online")

    plugin = ProbePlugin(service_id)
    plugin.check = stubborn  # type: ignore[method-assign]
    app = await app_factory(plugins=[plugin])
    await asyncio.wait_for(started.wait(), WAIT)

    await app_factory.stop(app)  # returns although the check is still running

    released.set()
    assert any(
        f"medianest-status-{service_id} did not stop" in r.getMessage() for r in caplog.records
    )
