"""Plex for MediaNest: sign in with Plex, browse libraries and collections.

What each hook hands the core lives in its own module: `auth` (the PIN sign-in), `routes`
(browsing), `pages` (the browse pages, where the web dashboard is installed), `probes`,
`widgets`, `jobs`, `models`, `demo` (the stand-ins `medianest demo` runs); `collections` holds the helpers other plugins call to put their
files into Plex. See docs/plugins/plex.md.
"""

from __future__ import annotations

from typing import Any

from medianest.plugins import (
    AuthProvider,
    DemoService,
    JobSpec,
    ModelSpec,
    Permission,
    PluginSpec,
    ServiceSpec,
    StatusProbe,
    Widget,
    hookimpl,
)

from medianest_plex import auth, routes
from medianest_plex.config import PLUGIN_ID, PlexSettings, ServerOptions
from medianest_plex.demo import demo_plex
from medianest_plex.jobs import check_tokens_job
from medianest_plex.probes import status_probe
from medianest_plex.widgets import pages_available, summary_widget

plugin = PluginSpec(
    id=PLUGIN_ID,
    title="Plex",
    description="Sign in with Plex; browse libraries and collections.",
    settings=PlexSettings,
    service=ServiceSpec(
        title="Plex Media Server",
        key_label="Server owner's Plex token",
        config=ServerOptions,
        default_url="http://plex:32400",
    ),
)


@hookimpl
def register_models(core: Any) -> list[ModelSpec]:
    return [ModelSpec(modules=["medianest_plex.models"], migrations="medianest_plex.migrations")]


@hookimpl
def register_permissions(core: Any) -> list[Permission]:
    return [
        Permission(
            routes.BROWSE, "Browse the Plex libraries shared with you", default_roles=("user",)
        )
    ]


@hookimpl
def register_routes(core: Any) -> list[Any]:
    if not pages_available():
        return [routes.blueprint]  # the pages extend the dashboard's layout: API only without it
    from medianest_plex import pages

    return [routes.blueprint, pages.blueprint]


@hookimpl
def register_auth_providers(core: Any) -> list[AuthProvider]:
    return [
        AuthProvider(
            id=PLUGIN_ID,
            title="Sign in with Plex",
            start_path="/api/auth/plex/pin",
            blueprint=auth.blueprint,
        )
    ]


@hookimpl
def register_status_probes(core: Any) -> list[StatusProbe]:
    return [status_probe()]


@hookimpl
def register_widgets(core: Any) -> list[Widget]:
    return [summary_widget()]


@hookimpl
def register_jobs(core: Any) -> list[JobSpec]:
    return [check_tokens_job()]


@hookimpl
def register_demo_services() -> list[DemoService]:
    return [DemoService(service=PLUGIN_ID, run=demo_plex)]

