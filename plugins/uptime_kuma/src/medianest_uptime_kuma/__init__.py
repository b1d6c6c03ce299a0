"""Uptime Kuma for MediaNest: live status of the services the household relies on.

Reads one public status page of an Uptime Kuma server (and, given an API key, its /metrics)
and shows its monitors on the dashboard; tells everyone when one goes down and comes back.
See docs/plugins/uptime-kuma.md.
"""

from __future__ import annotations

from medianest.sdk import (
    DemoService,
    Event,
    PluginCore,
    PluginSpec,
    ServiceSpec,
    StatusProbe,
    Widget,
    hookimpl,
)
from medianest_uptime_kuma.alerts import on_status_event
from medianest_uptime_kuma.config import DEFAULT_URL, KumaConfig
from medianest_uptime_kuma.demo import demo_kuma
from medianest_uptime_kuma.probes import status_probe
from medianest_uptime_kuma.widgets import monitors_widget

plugin = PluginSpec(
    id="uptime_kuma",
    title="Uptime Kuma",
    description="Live status of the household's services from an Uptime Kuma status page, "
    "with a notification when one goes down or recovers.",
    service=ServiceSpec(
        title="Uptime Kuma",
        key_label="API key (for /metrics, optional)",
        key_required=False,
        config=KumaConfig,
        default_url=DEFAULT_URL,
    ),
)


@hookimpl
def register_status_probes() -> list[StatusProbe]:
    return [status_probe()]


@hookimpl
def register_widgets() -> list[Widget]:
    return [monitors_widget()]


@hookimpl
def register_demo_services() -> list[DemoService]:
    return [DemoService(service=plugin.id, run=demo_kuma)]


@hookimpl
async def on_event(core: PluginCore, event: Event) -> None:
    if event.name == "service:status":
        await on_status_event(core, event)
