"""Test helpers for MediaNest and its plugins (also a pytest plugin: see pytest_plugin.py)."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from medianest.plugins.host import ENTRY_POINT_GROUP


def installed_plugin(plugin_id: str) -> Any:
    """The installed plugin `plugin_id` as its entry point loads it, e.g. `installed_plugin("web")`
    for the shell a plugin's page tests render in (a plugin never imports another plugin)."""
    found = entry_points(group=ENTRY_POINT_GROUP, name=plugin_id)
    if not found:
        raise LookupError(
            f"no installed plugin {plugin_id!r} (entry point group {ENTRY_POINT_GROUP})"
        )
    return next(iter(found)).load()
