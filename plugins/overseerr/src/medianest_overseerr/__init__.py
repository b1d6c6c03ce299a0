"""Overseerr for MediaNest: search and request media as yourself, your requests kept in sync,
admins approve (issue 12).

What each hook hands the core lives in its own module: `provider` (the request provider behind
`/api/media/*`), `routes` (the webhook, posters, approvals, live sockets), `probes`, `widgets`,
`jobs` (the sync), `models`, `demo`; `pages` builds the pages' blueprint for the web shell.
`people` maps a MediaNest user to their Overseerr user by Plex account, `records` keeps
MediaNest's own record of requests, `sync` keeps it in step. See docs/plugins/overseerr.md.
"""

from __future__ import annotations

from typing import Any

from medianest.sdk import (
    DemoService,
    Event,
    JobSpec,
    ModelSpec,
    NavEntry,
    PluginSpec,
    RateLimit,
    RequestProvider,
    ServiceSpec,
    StatusProbe,
    Widget,
    hookimpl,
)
from medianest_overseerr import pages, routes
from medianest_overseerr.access import runtime
from medianest_overseerr.config import PLUGIN_ID, ConnectionOptions, OverseerrSettings
from medianest_overseerr.demo import demo_overseerr
from medianest_overseerr.jobs import sync_job
from medianest_overseerr.probes import status_probe
from medianest_overseerr.provider import RATE_LIMIT, request_provider
from medianest_overseerr.records import STATUS_EVENT
from medianest_overseerr.widgets import requests_widget

plugin = PluginSpec(
    id=PLUGIN_ID,
    title="Overseerr",
    description="Search and request movies and shows as yourself; requests kept in sync.",
    settings=OverseerrSettings,
    service=ServiceSpec(
        title="Overseerr", key_label="API key", config=ConnectionOptions,
        default_url="http://overseerr:5055",
    ),
)  # fmt: skip


@hookimpl
def register_models(core: Any) -> list[ModelSpec]:
    return [
        ModelSpec(
            modules=["medianest_overseerr.models"], migrations="medianest_overseerr.migrations"
        )
    ]


@hookimpl
def register_rate_limits(core: Any) -> list[RateLimit]:
    return [RATE_LIMIT]


@hookimpl
def register_request_providers(core: Any) -> list[RequestProvider]:
    return [request_provider()]


@hookimpl
def register_routes(core: Any) -> list[Any]:
    return [routes.blueprint, routes.sockets]


@hookimpl
def register_pages(core: Any) -> list[Any]:
    return [pages.page_blueprint()]  # served inside the shell, where one is installed


@hookimpl
def register_nav(core: Any) -> list[NavEntry]:
    return [
        NavEntry("Requests", "/overseerr/", "film", permission="media.request", order=20),
        NavEntry("Approvals", "/overseerr/admin", "shield", admin=True, order=80),
    ]


@hookimpl
def register_status_probes(core: Any) -> list[StatusProbe]:
    return [status_probe()]


@hookimpl
def register_widgets(core: Any) -> list[Widget]:
    return [requests_widget()]


@hookimpl
def register_jobs(core: Any) -> list[JobSpec]:
    return [sync_job()]


@hookimpl
def register_demo_services() -> list[DemoService]:
    return [DemoService(service=PLUGIN_ID, run=demo_overseerr)]


@hookimpl
def on_event(core: Any, event: Event) -> None:
    if event.name == STATUS_EVENT:  # another instance saw a request change: searches are stale
        runtime(core).searches.clear()
