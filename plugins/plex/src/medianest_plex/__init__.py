"""Plex for MediaNest: sign in with Plex, browse libraries and collections.

What each hook hands the core lives in its own module: `auth` (the PIN sign-in), `routes`
(browsing), `pages` (the browse pages, where the web dashboard is installed), `probes`,
`widgets`, `jobs`, `models`, `demo` (the stand-ins `medianest demo` runs); `collections` puts
other plugins' files into Plex, offered to them as the `MEDIA_LIBRARY` capability. See
docs/plugins/plex.md.
"""

from __future__ import annotations

from typing import Any

from medianest.sdk import (
    MEDIA_LIBRARY,
    AuthProvider,
    Capability,
    DemoService,
    JobSpec,
    ModelSpec,
    Permission,
    PluginCore,
    PluginSpec,
    ServiceSpec,
    StatusProbe,
    Widget,
    hookimpl,
)
from medianest_plex import auth, routes
from medianest_plex.collections import PlexLibrary
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
def register_models(core: PluginCore) -> list[ModelSpec]:
    return [ModelSpec(modules=["medianest_plex.models"], migrations="medianest_plex.migrations")]


@hookimpl
def register_permissions(core: PluginCore) -> list[Permission]:
    return [
        Permission(
            routes.BROWSE, "Browse the Plex libraries shared with you", default_roles=("user",)
        )
    ]


@hookimpl
def register_routes(core: PluginCore) -> list[Any]:
    if not pages_available():
        return [routes.blueprint]  # the pages extend the dashboard's layout: API only without it
    from medianest_plex import pages

    return [routes.blueprint, pages.blueprint]


@hookimpl
def register_auth_providers(core: PluginCore) -> list[AuthProvider]:
    return [
        AuthProvider(
            id=PLUGIN_ID,
            title="Sign in with Plex",
            start_path="/api/auth/plex/pin",
            blueprint=auth.blueprint,
        )
    ]


@hookimpl
def register_status_probes(core: PluginCore) -> list[StatusProbe]:
    return [status_probe()]


@hookimpl
def register_widgets(core: PluginCore) -> list[Widget]:
    return [summary_widget()]


@hookimpl
def register_jobs(core: PluginCore) -> list[JobSpec]:
    return [check_tokens_job()]


@hookimpl
def register_capabilities(core: PluginCore) -> list[Capability]:
    return [Capability(MEDIA_LIBRARY, PlexLibrary(core))]


@hookimpl
def register_demo_services() -> list[DemoService]:
    return [DemoService(service=PLUGIN_ID, run=demo_plex)]
