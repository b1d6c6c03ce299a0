"""Hook specifications. Each one is documented in docs/plugins/hooks.md under its signature.

Collection hooks are called once per plugin at start-up, each implementation isolated
and bounded by a timeout. Any implementation may be `async def`. Implementations may
accept a subset of the arguments.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("medianest")


@hookspec
def register_routes(core: Any) -> list[Any]:
    """Quart blueprints, mounted at `/api/<plugin id>` (or `/ws/<plugin id>` when they say so)."""


@hookspec
def register_permissions(core: Any) -> list[Any]:
    """`Permission` objects named `<plugin id>.<action>`."""


@hookspec
def register_status_probes(core: Any) -> list[Any]:
    """`StatusProbe` objects run by the core's coordinators."""


@hookspec
def register_widgets(core: Any) -> list[Any]:
    """`Widget` objects for the dashboard."""


@hookspec
def register_jobs(core: Any) -> list[Any]:
    """`JobSpec` objects; job names are prefixed with the plugin id."""


@hookspec
def register_models(core: Any) -> list[Any]:
    """`ModelSpec` objects: Tortoise model modules and their migrations package."""


@hookspec
def register_auth_providers(core: Any) -> list[Any]:
    """`AuthProvider` objects: extra ways to sign in."""


@hookspec
def register_shell(core: Any) -> list[Any]:
    """One `Shell`: the site's pages at the root and the layout plugin pages extend."""


@hookspec
def register_pages(core: Any) -> list[Any]:
    """Quart blueprints of HTML pages at `/<plugin id>`, rendered inside the shell."""


@hookspec
def register_nav(core: Any) -> list[Any]:
    """`NavEntry` objects: links in the shell's header."""


@hookspec
def register_request_providers(core: Any) -> list[Any]:
    """`RequestProvider` objects behind `/api/media`."""


@hookspec
def register_demo_services() -> list[Any]:
    """`DemoService` objects: stand-ins `medianest demo` runs in place of the real services."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add click commands to the `medianest` command group."""


@hookspec
def on_event(core: Any, event: Any) -> None:
    """React to an event from the bus; every implementation is called, each isolated."""


@hookspec
def startup(core: Any) -> None:
    """The app is starting and the plugin is enabled."""


@hookspec
def shutdown(core: Any) -> None:
    """The app is stopping."""


@hookspec
def setup(core: Any) -> None:
    """An admin enabled the plugin at run time."""


@hookspec
def teardown(core: Any) -> None:
    """An admin disabled the plugin at run time: stop its work, keep its data."""
