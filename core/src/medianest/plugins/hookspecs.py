"""Hook specifications. Each one is documented in docs/plugins/hooks.md under its signature.

Plugins implement them with `medianest.sdk.hookimpl`; the types here are the plugin API's.
Collection hooks are called once per plugin at start-up, each implementation isolated
and bounded by a timeout. Any implementation may be `async def`. Implementations may
accept a subset of the arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click
    from quart import Blueprint

    from medianest.events import Event
    from medianest.plugins.contributions import (
        AuthProvider,
        Capability,
        DemoService,
        JobSpec,
        ModelSpec,
        NavEntry,
        Permission,
        RateLimit,
        RequestProvider,
        Shell,
        StatusProbe,
        Widget,
    )
    from medianest.sdk.core import PluginCore

hookspec = pluggy.HookspecMarker("medianest")


@hookspec
def register_routes(core: PluginCore) -> list[Blueprint]:
    """Quart blueprints, mounted at `/api/<plugin id>` (or `/ws/<plugin id>` when they say so)."""


@hookspec
def register_permissions(core: PluginCore) -> list[Permission]:
    """`Permission` objects named `<plugin id>.<action>`."""


@hookspec
def register_status_probes(core: PluginCore) -> list[StatusProbe]:
    """`StatusProbe` objects run by the core's coordinators."""


@hookspec
def register_widgets(core: PluginCore) -> list[Widget]:
    """`Widget` objects for the dashboard."""


@hookspec
def register_jobs(core: PluginCore) -> list[JobSpec]:
    """`JobSpec` objects; job names are prefixed with the plugin id."""


@hookspec
def register_models(core: PluginCore) -> list[ModelSpec]:
    """`ModelSpec` objects: Tortoise model modules and their migrations package."""


@hookspec
def register_auth_providers(core: PluginCore) -> list[AuthProvider]:
    """`AuthProvider` objects: extra ways to sign in."""


@hookspec
def register_shell(core: PluginCore) -> list[Shell]:
    """One `Shell`: the site's pages at the root and the layout plugin pages extend."""


@hookspec
def register_pages(core: PluginCore) -> list[Blueprint]:
    """Quart blueprints of HTML pages at `/<plugin id>`, rendered inside the shell."""


@hookspec
def register_nav(core: PluginCore) -> list[NavEntry]:
    """`NavEntry` objects: links in the shell's header."""


@hookspec
def register_request_providers(core: PluginCore) -> list[RequestProvider]:
    """`RequestProvider` objects behind `/api/media`."""


@hookspec
def register_rate_limits(core: PluginCore) -> list[RateLimit]:
    """`RateLimit` objects: budgets the plugin spends, set by admins under `rate_limits`."""


@hookspec
def register_capabilities(core: PluginCore) -> list[Capability]:
    """`Capability` objects: services this plugin offers other plugins."""


@hookspec
def register_demo_services() -> list[DemoService]:
    """`DemoService` objects: stand-ins `medianest demo` runs in place of the real services."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands to the `medianest` command group."""


@hookspec
def on_event(core: PluginCore, event: Event) -> None:
    """React to an event from the bus; every implementation is called, each isolated."""


@hookspec
def startup(core: PluginCore) -> None:
    """The app is starting and the plugin is enabled."""


@hookspec
def shutdown(core: PluginCore) -> None:
    """The app is stopping."""


@hookspec
def setup(core: PluginCore) -> None:
    """An admin enabled the plugin at run time."""


@hookspec
def teardown(core: PluginCore) -> None:
    """An admin disabled the plugin at run time: stop its work, keep its data."""
