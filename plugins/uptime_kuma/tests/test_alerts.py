"""Which monitor changes become notifications: one per transition, never per poll."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from medianest.sdk import Event, ServiceUnavailable
from medianest_uptime_kuma.alerts import MonitorAlerts, on_status_event

PLEX = {"id": 1, "name": "Plex", "group": "Media"}


def seen(alerts: MonitorAlerts, *statuses: str, **extra: Any) -> list[str | None]:
    """Feed Plex's statuses in order; the alerts they raise (None where none)."""
    changes = []
    for status in statuses:
        alert = alerts.observe({**PLEX, "status": status, **extra})
        changes.append(alert.change if alert else None)
    return changes


def test_a_change_to_offline_is_announced_even_on_first_hearing() -> None:
    assert seen(MonitorAlerts(), "offline") == ["down"]


def test_a_change_to_online_on_first_hearing_is_not_a_recovery() -> None:
    # It may have been pending, in maintenance or just added, rather than down.
    assert seen(MonitorAlerts(), "online") == [None]


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


def test_unchanged_monitors_are_remembered_as_told() -> None:
    alerts = MonitorAlerts()
    alerts.remember([{**PLEX, "status": "offline"}, {"id": 2, "status": "online"}])
    alerts.remember([{**PLEX, "status": "online"}])  # only monitors not heard of yet

    assert seen(alerts, "online") == ["recovered"]


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


class Claims:
    """`core.limits.claim` as instances sharing one Redis see it: each key goes to one caller."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    async def claim(self, key: str, *, window: int) -> bool:
        if key in self.taken:
            return False
        self.taken.add(key)
        return True


class FakeCore:
    """What the handler uses of the core: the bus's instance id, claims, `publish`, and the
    status cache (empty: events alone tell the monitors' fields)."""

    def __init__(self, instance_id: str = "here", limits: Claims | None = None) -> None:
        self.events = SimpleNamespace(instance_id=instance_id)
        self.status = SimpleNamespace(data=lambda service: {})
        self.limits = limits or Claims()
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


async def test_handler_remembers_the_monitors_that_did_not_change() -> None:
    core = FakeCore()
    nas = {"id": 2, "name": "NAS", "group": "Storage", "status": "offline"}
    plex_changed = Event(
        name="service:status",
        data={"service": "uptime_kuma", "monitors": [nas], "monitor": {**PLEX, "status": "online"}},
        origin="here",
    )
    await on_status_event(core, plex_changed)

    nas_back = {"service": "uptime_kuma", "monitor": {**nas, "status": "online"}}
    await on_status_event(core, Event(name="service:status", data=nas_back, origin="here"))

    assert [data["title"] for _, data in core.published] == ["NAS recovered"]


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
    await on_status_event(first, status_event("offline"))

    await on_status_event(second, status_event("online"))  # second never heard it was down

    assert [len(first.published), len(second.published)] == [1, 0]


async def test_instances_polling_the_same_kuma_announce_once() -> None:
    shared = Claims()  # Redis in production: every instance sees the same claims
    instances = [FakeCore("a", shared), FakeCore("b", shared)]
    for status in ("online", "offline", "online"):
        for core in instances:  # each instance's coordinator saw the change for itself
            await on_status_event(core, status_event(status, origin=core.events.instance_id))

    announced = [data["title"] for core in instances for _, data in core.published]
    assert sorted(announced) == ["Plex is down", "Plex recovered"]


async def test_without_the_limiter_an_alert_is_told_rather_than_lost() -> None:
    class Unavailable(Claims):
        async def claim(self, key: str, *, window: int) -> bool:
            raise ServiceUnavailable("rate_limiter", "redis is down")  # as `core.limits` does

    core = FakeCore(limits=Unavailable())
    for status in ("online", "offline"):
        await on_status_event(core, status_event(status))

    assert [data["title"] for _, data in core.published] == ["Plex is down"]
