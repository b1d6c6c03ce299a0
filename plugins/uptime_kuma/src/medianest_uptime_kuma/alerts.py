"""Telling the household when a monitored service goes down, and when it comes back.

The coordinator publishes `service:status` only when something changed; each such event for
`uptime_kuma` that carries a `monitor` reaches `on_event`, which publishes at most one
`notification` per transition:

- a monitor that turns `offline` → "Plex is down";
- a monitor that was reported down and turns `online` again → "Plex recovered".

Pending (a check Kuma is retrying), maintenance and unknown states notify nobody: they are
either not down yet or down on purpose. The last state users were told about is remembered
per monitor, so a repeated or re-delivered event never notifies twice, and the first time a
monitor is seen after start only sets that memory (a restart must not announce every
monitor). With several app instances every instance sees every event; only the instance whose
coordinator published the change notifies, so each transition is announced once.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from medianest.events import Event
from medianest_uptime_kuma.client import SERVICE

log = logging.getLogger(f"medianest.plugins.{SERVICE}")

Change = Literal["down", "recovered"]
_Alarm = Literal["down", "up"]


@dataclass(frozen=True)
class Alert:
    change: Change
    monitor: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.monitor.get("name") or f"Monitor {self.monitor.get('id')}")

    def notification(self) -> dict[str, Any]:
        """The `notification` event's data, as the dashboard shows it."""
        down = self.change == "down"
        group = self.monitor.get("group")
        where = f"{self.name} ({group})" if group else self.name
        return {
            "title": f"{self.name} is down" if down else f"{self.name} recovered",
            "message": f"Uptime Kuma reports {where} down."
            if down
            else f"Uptime Kuma reports {where} up again.",
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

    def observe(self, monitor: Mapping[str, Any], previous: str | None = None) -> Alert | None:
        """The alert this observation calls for, if any.

        `previous` is the monitor's status before the change when the event says it; it
        stands in for our memory the first time we hear of a monitor.
        """
        alarm = _alarm(monitor.get("status"))
        if alarm is None or monitor.get("stale"):
            return None
        key = monitor.get("id", monitor.get("name"))
        before = self._told.get(key) or _alarm(previous)
        self._told[key] = alarm
        if before is None or before == alarm:
            return None
        return Alert("down" if alarm == "down" else "recovered", monitor)

    def forget(self) -> None:
        self._told.clear()


def _alarm(status: object) -> _Alarm | None:
    return {"offline": "down", "online": "up"}.get(status) if isinstance(status, str) else None


# One memory per running app (tests and `medianest demo` may run several in one process).
_memories: weakref.WeakKeyDictionary[Any, MonitorAlerts] = weakref.WeakKeyDictionary()


def memory_of(core: Any) -> MonitorAlerts:
    return _memories.setdefault(core, MonitorAlerts())


async def on_status_event(core: Any, event: Event) -> None:
    """Publish a notification for a monitor's transition carried by a `service:status` event."""
    data = event.data
    monitor = data.get("monitor")
    if data.get("service") != SERVICE or not isinstance(monitor, Mapping):
        return
    if event.origin and event.origin != core.events.instance_id:
        return  # another instance saw this change first and announces it
    alert = memory_of(core).observe(monitor, previous=_previous_status(monitor))
    if alert is None:
        return
    log.info("monitor %s: %s", alert.name, alert.change)
    await core.publish("notification", alert.notification())


def _previous_status(monitor: Mapping[str, Any]) -> str | None:
    previous = monitor.get("previous")
    if isinstance(previous, Mapping):
        previous = previous.get("status")
    return previous if isinstance(previous, str) else None
