"""The dashboard widget `uptime_kuma.monitors`: the status page's monitors, group by group.

`data` answers from the coordinator's cache (`core.status`), never by calling Kuma: a slow or
dead Kuma cannot slow the dashboard. When Kuma is unreachable the cache still holds the last
monitors, marked stale, and the widget says they are the last known state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from medianest.sdk import Actor, PluginCore, Widget
from medianest_uptime_kuma.client import SERVICE
from medianest_uptime_kuma.probes import monitor_details

#: The words shown in each pill: status is never told by colour alone.
LABELS = {
    "up": "Up",
    "down": "Down",
    "pending": "Pending",
    "maintenance": "Maintenance",
    None: "No data yet",
}
#: For monitors known only by the dashboard's status (no word from Kuma).
FALLBACK_LABELS = {"online": "Up", "offline": "Down", "degraded": "Degraded", "unknown": "Unknown"}
STATUSES = frozenset(FALLBACK_LABELS)


def monitors_widget() -> Widget:
    return Widget(
        id=f"{SERVICE}.monitors",
        title="Service monitors",
        data=monitors_data,
        template=f"{SERVICE}/widget.html",
        order=20,
    )


async def monitors_data(core: PluginCore, actor: Actor) -> dict[str, Any]:
    """The cached `uptime_kuma` status entry, shaped for the widget."""
    entry = core.status.entry(SERVICE) or {}
    monitors = [_shown(m) for m in _cached_monitors(core, entry)]
    return {
        "status": entry.get("status", "unknown"),
        "stale": bool(entry.get("stale")),
        "error": entry.get("error"),
        "last_check_at": entry.get("last_check_at"),
        "summary": _summary(monitors),
        "groups": _grouped(monitors),
    }


def _cached_monitors(core: PluginCore, entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The entry's monitors (status and staleness as the dashboard shows them), with the
    probe's own fields added: the group, and Kuma's word for the state."""
    monitors = [m for m in entry.get("monitors") or () if isinstance(m, Mapping)]
    if all("group" in monitor for monitor in monitors):
        return monitors
    details = monitor_details(core)
    return [{**details.get(m.get("id"), {}), **m} for m in monitors]


def _shown(monitor: Mapping[str, Any]) -> dict[str, Any]:
    status = monitor.get("status")
    if "kuma_status" in monitor:
        label = LABELS.get(monitor["kuma_status"], "Unknown")
    else:
        label = FALLBACK_LABELS.get(status, "Unknown")  # type: ignore[arg-type]
    return {
        "id": monitor.get("id"),
        "name": str(monitor.get("name") or "Monitor"),
        "group": monitor.get("group") or "",
        "status": status if status in STATUSES else "unknown",
        "label": label,
        "response_time_ms": monitor.get("response_time_ms"),
        "uptime_percentage": monitor.get("uptime_percentage"),
    }


def _grouped(monitors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Groups in the order the status page shows them (monitors arrive in that order)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for monitor in monitors:
        groups.setdefault(monitor["group"], []).append(monitor)
    return [{"name": name, "monitors": members} for name, members in groups.items()]


def _summary(monitors: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"total": len(monitors), "online": 0, "offline": 0, "degraded": 0, "unknown": 0}
    for monitor in monitors:
        status = monitor["status"] if monitor["status"] in counts else "unknown"
        counts[status] += 1
    return counts
