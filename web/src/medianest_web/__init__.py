"""The MediaNest web dashboard, a plugin like any other: it provides the shell (the pages at
`/`, the layout plugin pages extend, the static files) and the header's own links."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from medianest.plugins import NavEntry, PluginSpec, Shell, hookimpl

try:
    __version__ = version("medianest-web")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

plugin = PluginSpec(
    id="web",
    title="Web dashboard",
    description="The pages in the browser: sign-in, dashboard, administration, and plugin pages.",
)


@hookimpl
def register_shell(core: Any) -> list[Shell]:
    from medianest_web.pages import build_shell

    return [build_shell(core)]


@hookimpl
def register_nav(core: Any) -> list[NavEntry]:
    return [
        NavEntry("Dashboard", "/", "home", order=0),
        NavEntry("Admin", "/admin", "shield", admin=True, order=1000),
    ]
