"""Which monitor changes become notifications: one per transition, never per poll."""

from __future__ import annotations

from typing import Any

import pytest

from medianest.events import Event
from medianest_uptime_kuma.alerts import MonitorAlerts, on_status_event

PLEX = {"id": 1, "name": "Plex", "group": "Media"}


def seen(alerts: MonitorAlerts, *statuses: str, **extra: Any) -> list[str | None]:
    """Feed Plex's statuses in order; the alerts they raise (None where none)."""
    changes = []
    for status in statuses:
        alert = alerts.observe({**PLEX, "status": status, **extra})
        changes.append(alert.change if alert else None)
    return changes


def test_first_sight_after_start_announces_nothing() -> None:
    assert seen(MonitorAlerts(), "offline") == [None]


def test_down_and_recovered_once_each() -> None:
    changes = seen(MonitorAlerts(), "online", "offline", "offline", "online", "online")

    assert changes == [None, "down", None, "recovered", None]


def test_pending_and_maintenance_are_not_outages() -> None:
    changes = seen(MonitorAlerts(), "online", "degraded", "online", "unknown", "online")

    assert changes == [None] * 5


def test_recovery_is_announced_after_a_detour() -> None:
    changes = seen(MonitorAlerts(), "online", "offline", "degraded", "offline", "online")

    assert changes == [None, "down", None, None, "recovered"]


def test_stale_monitors_change_nothing() -> None:
    alerts = MonitorAlerts()
    seen(alerts, "online")

    assert seen(alerts, "offline", stale=True) == [None]
    assert seen(alerts, "offline") == ["down"]


def test_the_events_previous_state_stands_in_for_memory() -> None:
    alerts = MonitorAlerts()

    alert = alerts.observe({**PLEX, "status": "offline"}, previous="online")

    assert alert is not None and alert.change == "down"


def test_monitors_are_told_apart() -> None:
    alerts = MonitorAlerts()
    for monitor_id in (1, 2):
        alerts.observe({"id": monitor_id, "name": f"M{monitor_id}", "status": "online"})

    first = alerts.observe({"id": 1, "name": "M1", "status": "offline"})
    second = alerts.observe({"id": 2, "name": "M2", "status": "online"})

    assert first is not None and first.name == "M1" and second is None


def test_notification_text() -> None:
    alerts = MonitorAlerts()
    seen(alerts, "online")
    down = alerts.observe({**PLEX, "status": "offline"})
    recovered = alerts.observe({**PLEX, "status": "online"})
    assert down is not None and recovered is not None

    assert down.notification() == {
        "title": "Plex is down",
        "message": "Uptime Kuma reports Plex (Media) down.",
        "level": "error",
        "source": "uptime_kuma",
        "monitor": {"id": 1, "name": "Plex", "group": "Media", "status": "offline"},
    }
    assert recovered.notification()["title"] == "Plex recovered"
    assert recovered.notification()["level"] == "success"


# ------------------------------------------------------------------------------ the handler


class FakeCore:
    """What the handler uses of the core: the bus's instance id and `publish`."""

    def __init__(self, instance_id: str = "here") -> None:
        self.events = type("Bus", (), {"instance_id": instance_id})()
        self.published: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, name: str, data: dict[str, Any], **routing: Any) -> None:
        self.published.append((name, data))


def status_event(status: str, *, origin: str = "here", service: str = "uptime_kuma") -> Event:
    entry = {"service": service, "status": "online", "monitor": {**PLEX, "status": status}}
    return Event(name="service:status", data=entry, origin=origin)


async def test_handler_notifies_on_a_transition_only() -> None:
    core = FakeCore()
    for status in ("online", "online", "offline", "offline", "online"):
        await on_status_event(core, status_event(status))

    assert [(name, data["title"]) for name, data in core.published] == [
        ("notification", "Plex is down"),
        ("notification", "Plex recovered"),
    ]


@pytest.mark.parametrize(
    "event",
    [
        status_event("offline", origin="another instance"),
        status_event("offline", service="plex"),
        Event(name="service:status", data={"service": "uptime_kuma", "status": "offline"}),
    ],
    ids=["other-instance", "other-service", "entry-without-monitor"],
)
async def test_handler_ignores_what_is_not_its_to_announce(event: Event) -> None:
    core = FakeCore()
    await on_status_event(core, status_event("online"))

    await on_status_event(core, event)

    assert core.published == []


async def test_each_app_has_its_own_memory() -> None:
    first, second = FakeCore(), FakeCore()
    await on_status_event(first, status_event("online"))

    await on_status_event(second, status_event("offline"))  # second's first sight

    assert second.published == []
