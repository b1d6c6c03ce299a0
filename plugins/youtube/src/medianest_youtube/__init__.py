"""YouTube for MediaNest: a household member pastes a playlist, watches it download into their
own folder, and finds it in Plex as a collection.

The engine needs nothing of the platform: `urls` (checking a submitted URL), `addresses` and
`network` (the connection guard), `paths` (file names), `downloader` (yt-dlp) and `testing`
(local playlists). Around it, through `medianest.sdk` only: `routes` (the API and the progress
socket), `jobs` (the download job), `library` (into Plex, through the `MEDIA_LIBRARY`
capability), `records`, `lanes` and `files` (the table's rows, places and files), `widgets`,
`demo`, and `pages` (the page at /youtube/). See docs/plugins/youtube.md.
"""

from __future__ import annotations

from typing import Any

from medianest.sdk import (
    DemoService,
    JobSpec,
    ModelSpec,
    NavEntry,
    Permission,
    PluginCore,
    PluginSpec,
    RateLimit,
    Widget,
    hookimpl,
)

from . import routes
from .config import DOWNLOAD, PLUGIN_ID, QUOTA, QUOTA_LIMIT, QUOTA_WINDOW, YoutubeSettings
from .demo import demo_playlist
from .jobs import download_job
from .pages import page_blueprint
from .widgets import downloads_widget

plugin = PluginSpec(
    id=PLUGIN_ID,
    title="YouTube",
    description="Download YouTube playlists into your own folder and a Plex collection, "
    "with live progress.",
    settings=YoutubeSettings,
)


@hookimpl
def register_models(core: PluginCore) -> list[ModelSpec]:
    return [
        ModelSpec(modules=["medianest_youtube.models"], migrations="medianest_youtube.migrations")
    ]


@hookimpl
def register_permissions(core: PluginCore) -> list[Permission]:
    return [Permission(DOWNLOAD, "Download YouTube playlists into your folder")]


@hookimpl
def register_rate_limits(core: PluginCore) -> list[RateLimit]:
    return [RateLimit(QUOTA, "YouTube downloads per person", QUOTA_LIMIT, QUOTA_WINDOW)]


@hookimpl
def register_routes(core: PluginCore) -> list[Any]:
    return [routes.blueprint, routes.sockets]


@hookimpl
def register_pages(core: PluginCore) -> list[Any]:
    return [page_blueprint()]  # served inside the shell, where one is installed


@hookimpl
def register_nav(core: PluginCore) -> list[NavEntry]:
    return [NavEntry("YouTube", "/youtube/", "play", permission=DOWNLOAD, order=30)]


@hookimpl
def register_jobs(core: PluginCore) -> list[JobSpec]:
    return [download_job()]


@hookimpl
def register_widgets(core: PluginCore) -> list[Widget]:
    return [downloads_widget()]


@hookimpl
def register_demo_services() -> list[DemoService]:
    return [DemoService(service=PLUGIN_ID, run=demo_playlist)]
