"""Sonarr and Radarr for MediaNest: the download queue with progress, upcoming episodes and
films, missing and failed counts; and how far a requested title's download has come, for the
request plugin (the `DOWNLOAD_PROGRESS` capability).

One plugin, two service connections (`sonarr`, `radarr`), one probe each; the widget and the
capability read the probes' cache. See docs/plugins/arr.md.
"""

from __future__ import annotations

from medianest.sdk import (
    DOWNLOAD_PROGRESS,
    Capability,
    DemoService,
    Permission,
    PluginCore,
    PluginSpec,
    ServiceSpec,
    StatusProbe,
    Widget,
    hookimpl,
)
from medianest_arr.config import APPS, PLUGIN_ID, RADARR, SONARR, ArrConfig
from medianest_arr.demo import demo_radarr, demo_sonarr
from medianest_arr.probes import status_probes
from medianest_arr.progress import ArrDownloads
from medianest_arr.widgets import downloads_widget, view_permission

plugin = PluginSpec(
    id=PLUGIN_ID,
    title="Sonarr and Radarr",
    description="Downloads, upcoming episodes and films, missing and failed counts.",
    services=[
        ServiceSpec(
            title=app.title, name=app.service, config=ArrConfig, default_url=app.default_url
        )
        for app in APPS
    ],
)


@hookimpl
def register_permissions() -> list[Permission]:
    return [view_permission()]


@hookimpl
def register_status_probes() -> list[StatusProbe]:
    return status_probes()


@hookimpl
def register_widgets() -> list[Widget]:
    return [downloads_widget()]


@hookimpl
def register_capabilities(core: PluginCore) -> list[Capability]:
    return [Capability(DOWNLOAD_PROGRESS, ArrDownloads(core))]


@hookimpl
def register_demo_services() -> list[DemoService]:
    return [
        DemoService(service=SONARR.service, run=demo_sonarr),
        DemoService(service=RADARR.service, run=demo_radarr),
    ]
