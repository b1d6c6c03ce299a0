"""Tautulli for MediaNest: who is watching on Plex now, the latest plays, and the number of
streams on the dashboard.

Reads Tautulli's API v2 (`get_tautulli_info`, `get_activity`, `get_history`) in a status
probe every 20 seconds; the widget shows the probe's cache. See docs/plugins/tautulli.md.
"""

from __future__ import annotations

from medianest.sdk import (
    DemoService,
    Permission,
    PluginSpec,
    ServiceSpec,
    StatusProbe,
    Widget,
    hookimpl,
)
from medianest_tautulli.config import DEFAULT_URL, PLUGIN_ID, SERVICE, TautulliConfig
from medianest_tautulli.demo import demo_tautulli
from medianest_tautulli.probes import status_probe
from medianest_tautulli.widgets import activity_widget, view_permission

plugin = PluginSpec(
    id=PLUGIN_ID,
    title="Tautulli",
    description="Who is watching on Plex now, the latest plays, and the stream count.",
    service=ServiceSpec(
        title="Tautulli", key_label="API key", config=TautulliConfig, default_url=DEFAULT_URL
    ),
)


@hookimpl
def register_permissions() -> list[Permission]:
    return [view_permission()]


@hookimpl
def register_status_probes() -> list[StatusProbe]:
    return [status_probe()]


@hookimpl
def register_widgets() -> list[Widget]:
    return [activity_widget()]


@hookimpl
def register_demo_services() -> list[DemoService]:
    return [DemoService(service=SERVICE, run=demo_tautulli)]
