"""The dashboard widget `uptime_kuma.monitors`: the status page's monitors, group by group.

`data` answers from the coordinator's cache (`core.status`), never by calling Kuma: a slow or
dead Kuma cannot slow the dashboard. When Kuma is unreachable the cache still holds the last
monitors, marked stale, and the widget says they are the last known state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from medianest.plugins import Widget
from medianest_uptime_kuma.client import SERVICE

#: The words shown in each pill: status is never told by colour alone.
LABELS = {
    "up": "Up",
    "down": "Down",
    "pending": "Pending",
    "maintenance": "Maintenance",
    None: "No data yet",
}


def monitors_widget() -> Widget:
    return Widget(
        id=f"{SERVICE}.monitors",
        title="Service monitors",
        data=monitors_data,
        template=f"{SERVICE}/widget.html",
        order=20,
    )


async def monitors_data(core: Any, actor: Any) -> dict[str, Any]:
    """The cached `uptime_kuma` status entry, shaped for the widget."""
    entry = _as_mapping(await _cached_entry(core))
    monitors = [_shown(m) for m in entry.get("monitors") or () if isinstance(m, Mapping)]
    return {
        "status": entry.get("status", "unknown"),
        "stale": bool(entry.get("stale")),
        "error": entry.get("error"),
        "last_check_at": entry.get("last_check_at"),
        "summary": _summary(monitors),
        "groups": _grouped(monitors),
    }


async def _cached_entry(core: Any) -> Any:
    return core.status.get(SERVICE)


def _as_mapping(entry: Any) -> Mapping[str, Any]:
    if entry is None:
        return {}
    if isinstance(entry, Mapping):
        return entry
    return vars(entry)


def _shown(monitor: Mapping[str, Any]) -> dict[str, Any]:
    kuma_status = monitor.get("kuma_status")
    return {
        "id": monitor.get("id"),
        "name": str(monitor.get("name") or "Monitor"),
        "group": monitor.get("group") or "",
        "status": monitor.get("status") or "unknown",
        "label": LABELS.get(kuma_status, str(kuma_status).title()),
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
