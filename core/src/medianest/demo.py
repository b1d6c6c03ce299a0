"""`medianest demo`: MediaNest together with stand-ins for the services it talks to.

Each installed plugin may offer a stand-in (`register_demo_services`): Plex brings plex.tv and
a Plex server with a household in it, Uptime Kuma a status page whose monitors come and go.
The demo starts them on 127.0.0.1, runs MediaNest on its embedded defaults in a fresh data
folder (a temporary one unless `--data-dir` names one), saves each service connection as an
admin would, and serves until Ctrl+C, when everything stops and the temporary folder goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import click

from medianest.plugins.contributions import DemoConnection, DemoService
from medianest.settings import Settings, load_settings

STATUS_INTERVAL = 5.0  # seconds: a demo should show changes soon after they happen


def run_demo(*, data_dir: Path | None, host: str | None, port: int | None) -> None:
    with contextlib.ExitStack() as stack:
        folder = data_dir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="medianest-demo-"))
        )
        settings = demo_settings(folder, host, port)
        connections = start_stand_ins(stack, asyncio.run(demo_services(settings)), folder)

        from medianest.app import create_app
        from medianest.server import hypercorn_config, serve_here

        app = create_app(settings)
        app.before_serving(connect_services(app, connections))
        print_guide(settings, folder, temporary=data_dir is None, connections=connections)
        asyncio.run(serve_here(app, hypercorn_config(settings)))


def demo_settings(folder: Path, host: str | None, port: int | None) -> Settings:
    """The embedded defaults in `folder`, whatever the environment says about databases."""
    overrides: dict[str, Any] = {
        "data_dir": folder,
        "download_dir": folder / "downloads",  # where stand-in media libraries can see them
        "database_url": None,
        "redis_url": None,
        "workers": 1,
        "status_interval": STATUS_INTERVAL,
    }
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    return load_settings(**overrides)


async def demo_services(settings: Settings) -> list[tuple[str, DemoService]]:
    """What the installed (and allowed) plugins offer for the demo."""
    from medianest.plugins.host import PluginHost

    host = PluginHost(
        allow=settings.plugins,
        block=settings.block_plugins,
        autoload=not settings.disable_plugin_autoload,
    )
    host.discover()
    collected = await host.collect("register_demo_services")
    for record in host.records.values():
        if record.error:
            click.echo(f"plugin {record.id}: {record.error}", err=True)
    return [
        (plugin_id, service) for plugin_id, services in collected.items() for service in services
    ]


def start_stand_ins(
    stack: contextlib.ExitStack, services: list[tuple[str, DemoService]], folder: Path
) -> dict[str, tuple[str, DemoConnection]]:
    """Start every stand-in (stopped when `stack` closes); one that fails is left out, said so.

    Returns {service: (plugin id, connection)}."""
    connections: dict[str, tuple[str, DemoConnection]] = {}
    for plugin_id, service in services:
        try:
            connection = stack.enter_context(service.run(folder))
        except Exception as exc:
            click.echo(
                f"plugin {plugin_id}: its demo {service.service} did not start: {exc}", err=True
            )
            continue
        if not isinstance(connection, DemoConnection):
            click.echo(
                f"plugin {plugin_id}: its demo {service.service} gave no DemoConnection", err=True
            )
            continue
        connections[service.service] = (plugin_id, connection)
    return connections


def connect_services(
    app: Any, connections: Mapping[str, tuple[str, DemoConnection]]
) -> Callable[[], Awaitable[None]]:
    """Saves each stand-in's connection and its plugin's settings once the app has started
    (as an admin would)."""

    async def connect() -> None:
        core = app.extensions["medianest"]
        for name, (plugin_id, connection) in connections.items():
            if core.services.spec(name) is not None:  # a stand-in for a plugin without a
                await core.services.put(  # service (a local playlist) only brings settings
                    name,
                    url=connection.url,
                    api_key=connection.api_key,
                    config=dict(connection.config),
                    enabled=True,
                )
            if connection.settings:
                await core.plugin_settings_store.update(
                    plugin_id, connection.settings, updated_by="demo"
                )

    return connect


def print_guide(
    settings: Settings,
    folder: Path,
    *,
    temporary: bool,
    connections: Mapping[str, tuple[str, DemoConnection]],
) -> None:
    where = "a temporary folder, removed when the demo stops" if temporary else str(folder)
    lines = [
        "",
        f"MediaNest demo on http://{settings.host}:{settings.port}  (data: {where})",
        "Stand-ins running for: "
        f"{', '.join(sorted(connections)) or 'nothing (no plugin offers one)'}",
    ]
    lines += [f"- {note}" for _, connection in connections.values() for note in connection.notes]
    lines += [
        f"- Admin: sign in as `{settings.admin_username}` with MEDIANEST_ADMIN_PASSWORD, or the "
        "password printed below on the first start.",
        "Stop with Ctrl+C.",
        "",
    ]
    click.echo("\n".join(lines), err=True)
