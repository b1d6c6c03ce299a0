"""Telling the household when a monitored service goes down, and when it comes back.

The coordinator publishes `service:status` only when something changed: its first check
after start is compared with the state saved before the restart (a fresh install has none,
and reports no monitor as changed), later checks with the one before. Each such event for
`uptime_kuma` that carries a `monitor` reaches `on_event`, which publishes at most one
`notification` per transition:

- a monitor that turns `offline` → "Plex is down";
- a monitor that was down and turns `online` again → "Plex recovered".

Pending (a check Kuma is retrying), maintenance and unknown states notify nobody: they are
either not down yet or down on purpose. What users were last told is remembered per monitor,
so a repeated or re-delivered event never notifies twice, and a detour through pending does
not announce a second outage. The memory starts empty: a monitor first heard of as `offline`
changed to it (the coordinator says so), and is announced; one first heard of as `online`
may have been pending or new rather than down, and is not. The other monitors an event lists
did not change, so their states are remembered as told.

With several app instances, each polls Kuma and publishes the change it sees, and every
instance receives every event. An instance acts only on its own coordinator's events, and
the instances claim each announcement (`core.limits.claim`, in Redis when configured), so the
household hears of each transition once.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from medianest.sdk import Event, PluginCore, ServiceUnavailable
from medianest_uptime_kuma.client import SERVICE
from medianest_uptime_kuma.probes import monitor_details

log = logging.getLogger(f"medianest.plugins.{SERVICE}")

#: Seconds within which instances polling the same Kuma all see one change (an interval and a
#: margin); the same change of the same monitor is announced at most once in that time.
ANNOUNCE_WINDOW = 90

Change = Literal["down", "recovered"]
_Alarm = Literal["down", "up"]


@dataclass(frozen=True)
class Alert:
    """A transition of one monitor that the household should hear about."""

    change: Change
    monitor: Mapping[str, Any]

    @property
    def key(self) -> object:
        return _key(self.monitor)

    @property
    def name(self) -> str:
        return str(self.monitor.get("name") or f"Monitor {self.monitor.get('id')}")

    def notification(self) -> dict[str, Any]:
        """The `notification` event's data: what the dashboard shows as a toast."""
        group = self.monitor.get("group")
        where = f"{self.name} ({group})" if group else self.name
        down = self.change == "down"
        return {
            "title": f"{self.name} is down" if down else f"{self.name} recovered",
            "message": f"Uptime Kuma reports {where} {'down' if down else 'up again'}.",
            "level": "error" if down else "success",
            "source": SERVICE,
            "monitor": {
                "id": self.monitor.get("id"),
                "name": self.name,
                "group": group,
                "status": self.monitor.get("status"),
            },
        }


class MonitorAlerts:
    """Remembers, per monitor, whether users were last told it is down or up."""

    def __init__(self) -> None:
        self._told: dict[object, _Alarm] = {}

    def remember(self, monitors: Iterable[Mapping[str, Any]]) -> None:
        """Take the states of monitors not heard of yet as told (they did not change)."""
        for monitor in monitors:
            alarm = _alarm(monitor.get("status"))
            if alarm is not None:
                self._told.setdefault(_key(monitor), alarm)

    def observe(self, monitor: Mapping[str, Any]) -> Alert | None:
        """The alert a reported change of a monitor calls for, if any."""
        alarm = _alarm(monitor.get("status"))
        if alarm is None or monitor.get("stale"):
            return None
        key = _key(monitor)
        before = self._told.get(key)
        self._told[key] = alarm
        if before == alarm or (before is None and alarm == "up"):
            return None
        return Alert("down" if alarm == "down" else "recovered", monitor)


def _key(monitor: Mapping[str, Any]) -> object:
    return monitor.get("id", monitor.get("name"))


def _alarm(status: object) -> _Alarm | None:
    alarms: dict[str, _Alarm] = {"offline": "down", "online": "up"}
    return alarms.get(status) if isinstance(status, str) else None


# One memory per running app (tests and `medianest demo` may run several in one process).
_memories: weakref.WeakKeyDictionary[Any, MonitorAlerts] = weakref.WeakKeyDictionary()


def memory_of(core: PluginCore) -> MonitorAlerts:
    return _memories.setdefault(core, MonitorAlerts())


async def on_status_event(core: PluginCore, event: Event) -> None:
    """Publish a notification for a monitor's transition carried by a `service:status` event."""
    data = event.data
    monitor = data.get("monitor")
    if data.get("service") != SERVICE or not isinstance(monitor, Mapping):
        return
    if event.origin and event.origin != core.events.instance_id:
        return  # another instance's coordinator: that instance handles its own findings
    memory = memory_of(core)
    alert = memory.observe({**monitor_details(core).get(monitor.get("id"), {}), **monitor})
    memory.remember(m for m in data.get("monitors") or () if isinstance(m, Mapping))
    if alert is None or not await _claim(core, alert):
        return
    log.info("monitor %s: %s", alert.name, alert.change)
    await core.publish("notification", alert.notification())


async def _claim(core: PluginCore, alert: Alert) -> bool:
    """Whether this instance announces the alert: the first one to claim it, atomically (in
    Redis when configured). Each instance polls Kuma, so each sees the change for itself."""
    try:
        return await core.limits.claim(
            f"{SERVICE}:alert:{alert.key}:{alert.change}", window=ANNOUNCE_WINDOW
        )
    except ServiceUnavailable:  # the limiter cannot answer
        return True  # better told twice than never
