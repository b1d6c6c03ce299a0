"""Plex for MediaNest: sign in with Plex, browse libraries and collections.

What each hook hands the core lives in its own module: `auth` (the PIN sign-in), `routes`
(browsing), `pages` (the browse pages, rendered inside the shell where one is installed),
`probes`, `widgets`, `jobs`, `models`, `demo` (the stand-ins `medianest demo` runs);
`collections` puts other plugins' files into Plex, offered to them as the `MEDIA_LIBRARY`
capability. The UI's own files are in `templates/plex/` and `static/` (the PIN sign-in, the
pages' styles, the icons). See docs/plugins/plex.md.
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
    NavEntry,
    Permission,
    PluginCore,
    PluginSpec,
    ServiceSpec,
    StatusProbe,
    Widget,
    hookimpl,
)
from medianest_plex import auth, pages, routes
from medianest_plex.collections import PlexLibrary
from medianest_plex.config import PLUGIN_ID, PlexSettings, ServerOptions
from medianest_plex.demo import demo_plex
from medianest_plex.jobs import check_tokens_job
from medianest_plex.probes import status_probe
from medianest_plex.widgets import summary_widget

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
    return [routes.blueprint]


@hookimpl
def register_pages(core: Any) -> list[Any]:
    return [pages.blueprint]  # served inside the shell, where one is installed


@hookimpl
def register_nav(core: Any) -> list[NavEntry]:
    return [NavEntry("Plex", "/plex/", "img/icons.svg#i-plex", order=10)]


@hookimpl
def register_auth_providers(core: PluginCore) -> list[AuthProvider]:
    return [
        AuthProvider(
            id=PLUGIN_ID,
            title="Sign in with Plex",
            start_path="/api/auth/plex/pin",
            blueprint=auth.blueprint,
            sign_in_template="plex/sign_in.html",
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
