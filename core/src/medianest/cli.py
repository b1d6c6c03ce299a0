"""The `medianest` command."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import click

from medianest import __version__
from medianest.settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _run(func: Callable[[Settings], Coroutine[Any, Any, Any]]) -> Any:
    return asyncio.run(func(_settings()))


class PluginCommands(click.Group):
    """The `medianest` group, plus the commands plugins add through `register_commands`.

    Plugins are only imported when a command is not one of the core's (or for --help).
    """

    _plugins_loaded = False

    def _load_plugin_commands(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        try:
            settings = load_settings()
        except SettingsError:
            return  # the core's own commands report the bad setting
        from medianest.plugins.host import PluginHost

        host = PluginHost(
            allow=settings.plugins, block=settings.block_plugins, autoload=not settings.disable_plugin_autoload
        )
        host.discover()
        host.call_sync("register_commands", cli=self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None:
            self._load_plugin_commands()
            command = super().get_command(ctx, name)
        return command


@click.group(cls=PluginCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="medianest")
def main() -> None:
    """MediaNest: one dashboard for everyone around a Plex server."""


@main.command()
@click.option("--host", help="Address to listen on (MEDIANEST_HOST).")
@click.option("--port", type=int, help="Port to listen on (MEDIANEST_PORT).")
@click.option("--workers", type=int, help="Worker processes (MEDIANEST_WORKERS).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the web app and API with hypercorn."""
    for name, value in (("HOST", host), ("PORT", port), ("WORKERS", workers)):
        if value is not None:
            os.environ[f"MEDIANEST_{name}"] = str(value)
    settings = _settings()
    from medianest.server import run

    run(settings)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (the core's and each installed plugin's)."""

    async def upgrade(settings: Settings) -> None:
        from medianest import db as database
        from medianest.app import create_app

        app = create_app(settings)
        core = app.extensions["medianest"]
        models = await core.host.collect("register_models", core=core)
        await database.upgrade(core.database_config(models))

    _run(upgrade)
    click.echo("database is up to date")


@db.command("makemigrations")
@click.argument("apps", nargs=-1)
@click.option("--name", help="A short name for the migration.")
def db_makemigrations(apps: tuple[str, ...], name: str | None) -> None:
    """Write new migrations for model changes (for developers of the core and plugins)."""

    async def make(settings: Settings) -> None:
        from tortoise.cli import cli as tortoise_cli

        from medianest import db as database
        from medianest.app import create_app

        app = create_app(settings)
        core = app.extensions["medianest"]
        models = await core.host.collect("register_models", core=core)
        database.CLI_CONFIG = core.database_config(models)
        context = tortoise_cli.CLIContext(config="medianest.db.CLI_CONFIG", config_file=None)
        await tortoise_cli.makemigrations(context, apps, empty=False, name=name)

    _run(make)


@main.group()
def plugins() -> None:
    """Installed plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins_list(as_json: bool) -> None:
    """Show every installed plugin with its version, state and error."""

    async def listing(settings: Settings) -> list[dict[str, Any]]:
        async with _started(settings) as core:
            return [record.as_dict() for record in core.host.records.values()]

    rows = _run(listing)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no plugins installed")
        return
    click.echo(f"{'ID':<14} {'DISTRIBUTION':<24} {'VERSION':<10} {'STATE':<13} ERROR")
    for row in rows:
        click.echo(
            f"{row['name']:<14} {row['distribution'] or '-':<24} {row['version']:<10} "
            f"{row['state']:<13} {row['error'] or ''}"
        )


def _toggle(plugin_id: str, enabled: bool) -> None:
    async def toggle(settings: Settings) -> str:
        async with _started(settings) as core:
            if core.host.get(plugin_id) is None:
                raise click.ClickException(f"no plugin {plugin_id!r} is installed")
            record = await core.host.set_enabled(plugin_id, enabled, core)
            return record.state.value

    state = _run(toggle)
    click.echo(f"{plugin_id}: {state}")


@plugins.command("enable")
@click.argument("plugin_id")
def plugins_enable(plugin_id: str) -> None:
    """Enable a plugin (running servers follow within seconds)."""
    _toggle(plugin_id, True)


@plugins.command("disable")
@click.argument("plugin_id")
def plugins_disable(plugin_id: str) -> None:
    """Disable a plugin: its routes answer PLUGIN_DISABLED, its widgets and jobs stop."""
    _toggle(plugin_id, False)


class _started:
    """Start the app's core (database, plugins) without serving HTTP."""

    def __init__(self, settings: Settings) -> None:
        from medianest.app import create_app

        self.app = create_app(settings)

    async def __aenter__(self):
        try:
            await self.app.startup()
        except BaseException:
            await self.app.shutdown()  # release the ORM, or the process would never exit
            raise
        return self.app.extensions["medianest"]

    async def __aexit__(self, *exc: object) -> None:
        await self.app.shutdown()


def run() -> None:  # pragma: no cover - the console script
    main(prog_name="medianest")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
