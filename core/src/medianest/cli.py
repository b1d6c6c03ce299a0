"""The `medianest` command."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import click

from medianest import __version__
from medianest.settings import Settings, SettingsError, load_settings


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _tool_settings(**overrides: Any) -> Settings:
    """Settings for a one-shot command: quiet (warnings only, unless --debug), no job worker,
    and no waiting for a database that is down (that fails at once, in one line)."""
    settings = _settings(**{"run_jobs": False, "start_timeout": 0, **overrides})
    if not _debugging() and settings.log_level in ("DEBUG", "INFO"):
        settings = settings.model_copy(update={"log_level": "WARNING"})
    return settings


def _run(func: Callable[[Settings], Coroutine[Any, Any, Any]]) -> Any:
    return asyncio.run(func(_tool_settings()))


def _debugging() -> bool:
    context = click.get_current_context(silent=True)
    return bool(context and context.find_root().params.get("debug"))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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
            allow=settings.plugins,
            block=settings.block_plugins,
            autoload=not settings.disable_plugin_autoload,
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

    def invoke(self, ctx: click.Context) -> Any:
        """Every error in one line; the traceback only with --debug."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            from medianest.startup import StartupError

            if ctx.params.get("debug"):
                raise
            if isinstance(exc, StartupError):
                raise click.ClickException(str(exc)) from None
            hint = "(run with --debug for the traceback)"
            raise click.ClickException(f"{_one_line(exc)} {hint}") from None


@click.group(cls=PluginCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="medianest")
@click.option("--debug", is_flag=True, help="Log at DEBUG and show the traceback of an error.")
def main(debug: bool) -> None:
    """MediaNest: one dashboard for everyone around a Plex server."""
    if debug:
        os.environ["MEDIANEST_LOG_LEVEL"] = "DEBUG"


@main.command()
@click.option("--host", help="Address to listen on (MEDIANEST_HOST).")
@click.option("--port", type=int, help="Port to listen on (MEDIANEST_PORT).")
@click.option("--workers", type=int, help="Worker processes (MEDIANEST_WORKERS).")
@click.option(
    "--check", is_flag=True, help="Exit 0 if the server here answers /readyz, else 1 (a probe)."
)
def serve(host: str | None, port: int | None, workers: int | None, check: bool) -> None:
    """Serve the web app and API with hypercorn."""
    for name, value in (("HOST", host), ("PORT", port), ("WORKERS", workers)):
        if value is not None:
            os.environ[f"MEDIANEST_{name}"] = str(value)
    settings = _settings()
    if check:
        _check_ready(settings)
        return
    _announce_misspelt_settings(settings)
    from hypercorn.utils import LifespanFailureError

    from medianest.server import run

    try:
        run(settings)
    except LifespanFailureError as exc:
        if _debugging():
            raise
        # hypercorn's "Lifespan failure in startup. '<what the app raised>'": keep the reason
        reason = re.sub(r"\ALifespan failure in \w+\. '(.*)'\Z", r"\1", str(exc), flags=re.S)
        raise click.ClickException(f"MediaNest did not start: {' '.join(reason.split())}") from None


def _check_ready(settings: Settings) -> None:
    import urllib.error
    import urllib.request

    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(settings.host, settings.host)
    url = f"http://{f'[{host}]' if ':' in host else host}:{settings.port}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=5):
            click.echo(f"ready ({url})")
            return
    except urllib.error.HTTPError as exc:
        failing = _failing_checks(exc.read())
        raise click.ClickException(f"not ready ({url}): {failing or exc.code}") from None
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"no answer from {url}: {_one_line(exc)}") from None


def _failing_checks(body: bytes) -> str:
    try:
        checks = json.loads(body)["data"]["checks"]
        failing = [(name, check) for name, check in checks.items() if not check["ok"]]
        return ", ".join(f"{name} {check.get('error', 'failing')}" for name, check in failing)
    except (ValueError, KeyError, TypeError):
        return ""


def _announce_misspelt_settings(settings: Settings) -> None:
    from medianest.log import configure_logging
    from medianest.startup import warn_misspelt_settings

    configure_logging(settings.log_level, settings.log_format)
    warn_misspelt_settings()


@main.command()
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 8080).")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo's data here (default: a temporary folder, removed at exit).",
)
def demo(host: str | None, port: int | None, data_dir: Path | None) -> None:
    """Serve MediaNest with stand-ins for the services its plugins use: try it without them."""
    from medianest.demo import run_demo

    try:
        run_demo(data_dir=data_dir, host=host, port=port)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    help="Jobs run at once (MEDIANEST_JOB_CONCURRENCY).",
)
@click.option(
    "--grace",
    type=click.FloatRange(0),
    help="Seconds running jobs may finish on SIGTERM (MEDIANEST_JOB_SHUTDOWN_GRACE).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Exit 0 if a worker's heartbeat (MEDIANEST_WORKER_HEARTBEAT_FILE) is fresh, else 1: "
    "a container health check.",
)
def worker(concurrency: int | None, grace: float | None, check: bool) -> None:
    """Run background jobs until SIGTERM (with MEDIANEST_REDIS_URL: start one or more)."""
    overrides: dict[str, Any] = {"run_jobs": True}
    if concurrency is not None:
        overrides["job_concurrency"] = concurrency
    if grace is not None:
        overrides["job_shutdown_grace"] = grace
    settings = _settings(**overrides)
    if check:
        from medianest.jobs import heartbeat

        try:
            click.echo(heartbeat.check(settings.resolved_heartbeat_file))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        return
    _announce_misspelt_settings(settings)
    from medianest.jobs.runner import run_worker

    try:
        asyncio.run(run_worker(settings))
    except (ImportError, ValueError) as exc:  # MEDIANEST_EXTRA_PLUGINS names nothing loadable
        raise click.ClickException(str(exc)) from None


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (the core's and each installed plugin's)."""

    async def upgrade(settings: Settings) -> None:
        from medianest import db as database
        from medianest.app import create_app
        from medianest.startup import wait_for_backends

        app = create_app(settings)
        core = app.extensions["medianest"]
        models = await core.host.collect("register_models", core=core)
        await wait_for_backends(settings.resolved_database_url, None, settings.start_timeout)
        await database.upgrade(core.database_config(models))  # under the start lock

    # Part of a start sequence (migrate, then serve and workers): it waits for the database.
    asyncio.run(upgrade(_tool_settings(start_timeout=_settings().start_timeout)))
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
    """Show every installed plugin with its version, state and error (changes nothing)."""
    rows = _run(_plugin_rows)
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


async def _plugin_rows(settings: Settings) -> list[dict[str, Any]]:
    """The installed plugins, with the wishes and the failures the database holds: read only
    (no migration, no first admin, no plugin code run beyond importing it)."""
    from medianest.plugins.host import PluginHost, PluginState

    host = PluginHost(
        allow=settings.plugins,
        block=settings.block_plugins,
        autoload=not settings.disable_plugin_autoload,
    )
    host.discover()
    stored, started_before = await _stored_plugin_state(settings)
    for record in host.records.values():
        row = stored.get(record.id)
        if row is None:
            if started_before:  # new since the first start: the server starts it disabled
                host.apply_wish(record.id, False)
            continue
        host.apply_wish(record.id, row["enabled"])
        if record.state is PluginState.ENABLED and row["state"] == PluginState.FAILED.value:
            record.state, record.error = PluginState.FAILED, row["error"]
    return [record.as_dict() for record in host.records.values()]


async def _stored_plugin_state(settings: Settings) -> tuple[dict[str, dict[str, Any]], bool]:
    """`plugin_state` rows by plugin id, and whether the installation has started before; none
    and False when the database or the table is not there yet."""
    from tortoise.backends.base.config_generator import expand_db_url
    from tortoise.exceptions import OperationalError

    from medianest import db as database
    from medianest.plugins.arrivals import started_before
    from medianest.plugins.models import PluginStateRow

    url = settings.resolved_database_url
    credentials = expand_db_url(url)["credentials"]
    if "file_path" in credentials and not Path(credentials["file_path"]).is_file():
        return {}, False  # a fresh install: reading must not create the database
    await _reachable(settings)
    orm = await database.open_existing(database.tortoise_config(url))
    try:
        rows = await PluginStateRow.all().values("id", "enabled", "state", "error")
        started = await started_before()
    except OperationalError:
        return {}, False  # not migrated yet
    finally:
        await orm.close_connections()
    return {row["id"]: row for row in rows}, started


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
        self.app.extensions["medianest"].creates_admin = False  # only `serve` does

    async def __aenter__(self):
        try:
            await self.app.startup()
        except BaseException:
            await self.app.shutdown()  # release the ORM, or the process would never exit
            raise
        return self.app.extensions["medianest"]

    async def __aexit__(self, *exc: object) -> None:
        await self.app.shutdown()


# ---- accounts and keys ----------------------------------------------------------------------


class _database:
    """The ORM alone (migrated), without starting the app: no bootstrap admin, no plugins running.

    With `plugin_models`, the installed plugins' tables are opened too (their models only).
    """

    def __init__(self, settings: Settings, *, plugin_models: bool = False) -> None:
        self.settings = settings
        self.plugin_models = plugin_models
        self.orm: Any = None

    async def __aenter__(self) -> Any:
        from medianest import db as database

        await _reachable(self.settings)
        config = database.tortoise_config(self.settings.resolved_database_url)
        if self.plugin_models:
            from medianest.app import create_app

            core = create_app(self.settings).extensions["medianest"]
            config = core.database_config(await core.host.collect("register_models", core=core))
        self.orm = await database.start(config)
        return self.orm

    async def __aexit__(self, *exc: object) -> None:
        await self.orm.close_connections()


async def _reachable(settings: Settings) -> None:
    """Say in one line when the database does not answer (a command does not wait for it)."""
    from medianest.startup import wait_for_backends

    await wait_for_backends(settings.resolved_database_url, None, timeout=0)


def _new_password(username: str, from_stdin: bool) -> str:
    """Read a password (stdin, or prompted twice) and hold it to the rules the API applies."""
    from medianest.security.passwords import PasswordService

    if from_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problems = PasswordService.validate_new_password(password, username=username)
    if problems:
        raise click.ClickException(" ".join(problems))
    return password


async def _announce_revoked(settings: Settings, user_id: str) -> None:
    """Tell running instances (via Redis) to close the user's sockets, drop cached sign-ins."""
    if not settings.redis_url:
        return  # embedded mode: the server reads the database on the next request
    from medianest.events import Event, create_event_bus

    bus = create_event_bus(settings.redis_url, channel=f"{settings.redis_prefix}events")
    await bus.start()
    try:
        await bus.publish(Event(name="session:revoked", data={"user_id": user_id}))
    finally:
        await bus.stop()


async def _user_id(settings: Settings, username: str) -> str | None:
    """The id of the user with exactly this name, or None."""
    from medianest.auth.models import User

    async with _database(settings):
        user = await User.get_or_none(username=username)
        return str(user.id) if user is not None else None


USERNAME_PATTERN = r"[\w.@-]{1,64}"


@main.group()
def admin() -> None:
    """User accounts, from the server's shell (when nobody can sign in)."""


@admin.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "user"]), default="admin", show_default=True)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
def admin_create(username: str, role: str, password_stdin: bool) -> None:
    """Create a local account (prompts for the password twice unless --password-stdin)."""
    import re

    if not re.fullmatch(USERNAME_PATTERN, username):
        raise click.ClickException("a user name is 1-64 letters, digits, '.', '@', '_' or '-'")
    settings = _tool_settings()
    if asyncio.run(_user_id(settings, username)) is not None:
        raise click.ClickException(f"a user named {username!r} already exists")
    password = _new_password(username, password_stdin)

    async def create(settings: Settings) -> str:
        from medianest import audit
        from medianest.auth.models import User
        from medianest.security.passwords import PasswordService

        async with _database(settings):
            if await User.filter(username__iexact=username).exists():
                raise click.ClickException(f"a user named {username!r} already exists")
            user = await User.create(
                username=username, role=role, password_hash=await PasswordService().hash(password)
            )
            await audit.record(
                "user.created", target=f"user:{user.id}", via="command line", role=role
            )
            return str(user.id)

    user_id = asyncio.run(create(settings))
    click.echo(f"created {role} {username!r} ({user_id})")


@admin.command("reset-password")
@click.argument("username")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
def admin_reset_password(username: str, password_stdin: bool) -> None:
    """Set a password to be changed at the next sign-in; ends every session of the user."""
    settings = _tool_settings()
    if asyncio.run(_user_id(settings, username)) is None:
        raise click.ClickException(f"no user named {username!r}")
    password = _new_password(username, password_stdin)

    async def reset(settings: Settings) -> int:
        from medianest import audit
        from medianest.auth.models import RememberToken, Session, User
        from medianest.security.passwords import PasswordService

        async with _database(settings):
            user = await User.get_or_none(username=username)
            if user is None:
                raise click.ClickException(f"no user named {username!r}")
            user.password_hash = await PasswordService().hash(password)
            user.must_change_password = True
            await user.save(update_fields=["password_hash", "must_change_password", "updated_at"])
            ended = await Session.filter(user_id=user.id).delete()
            await RememberToken.filter(user_id=user.id).delete()
            await audit.record(
                "user.password_reset", target=f"user:{user.id}", via="command line", sessions=ended
            )
            await _announce_revoked(settings, str(user.id))
            return ended

    ended = asyncio.run(reset(settings))
    click.echo(
        f"password of {username!r} reset; it must be changed at the next sign-in ({ended} "
        "session(s) ended)"
    )


@main.group()
def keys() -> None:
    """The secret keys that encrypt API keys and tokens at rest."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored secret under a new key, then retire the old key.

    With the key file MediaNest made in the data directory, a new key is added to it and the old
    one removed once nothing uses it. With MEDIANEST_SECRET_KEY or MEDIANEST_SECRET_KEY_FILE,
    secrets move to the first key listed there, and the command says what to change. Run it
    again to finish an interrupted rotation. Restart MediaNest afterwards.
    """
    from medianest import keys as rotation
    from medianest.security.crypto import KeyRing, SecretBox, WeakKeyError

    settings = _tool_settings()
    source = rotation.key_source(settings)
    try:
        ring = KeyRing.from_settings(settings)
    except WeakKeyError as exc:
        raise click.ClickException(str(exc)) from None
    if source.writable and len(ring.keys) == 1:
        ring = ring.with_new_key()
        rotation.write_key_file(source.key_file, ring)
        click.echo(f"added key {ring.active} to {source.path}; it encrypts from now on")
    elif source.writable:
        click.echo(
            f"{source.path} still holds retired keys: finishing that rotation under key "
            f"{ring.active}"
        )
    box = SecretBox(ring)

    async def run(settings: Settings) -> rotation.RotationReport:
        async with _database(settings, plugin_models=True) as orm:
            models = [model for app in orm.apps.values() for model in app.values()]

            async def reload() -> list[rotation.StoredSecret]:
                return await rotation.stored_secrets(models)

            found = await reload()
            with click.progressbar(length=len(found), label="re-encrypting secrets") as bar:
                return await rotation.rotate_all(box, found, reload, bar.update)

    report = asyncio.run(run(settings))
    _report_rotation(report, ring)
    retired = report.retired(ring)
    if not source.writable:
        _advise_manual_keys(source, ring, retired)
        return
    for key_id in retired:
        ring = ring.without(key_id)
    if retired:
        rotation.write_key_file(source.key_file, ring)
        click.echo(f"removed retired key(s) {', '.join(map(str, retired))} from {source.path}")
    click.echo("restart MediaNest (app and workers) so that every process uses the new key")


def _report_rotation(report: Any, ring: Any) -> None:
    click.echo(
        f"{report.total} secret(s): {report.rotated} re-encrypted, {report.current} already under "
        f"key {ring.active}"
    )
    for where in report.damaged:
        click.echo(
            f"  cannot be decrypted (tampered or copied from another row), enter it again: {where}",
            err=True,
        )
    for where in report.foreign:
        click.echo(f"  under an unknown context, its key is kept: {where}", err=True)


def _advise_manual_keys(source: Any, ring: Any, retired: list[int]) -> None:
    click.echo(f"the keys come from {source.describe()}, which MediaNest does not change:")
    click.echo(f"  every secret it could read is now under key {ring.active} (the first entry)")
    if retired:
        click.echo(
            f"  remove key(s) {', '.join(map(str, retired))}, which nothing uses any more, and "
            "restart"
        )
    click.echo(
        f"  to move to a new key: put '{max(ring.keys) + 1}:<new key>' first (keep the others), "
        "restart, and run 'medianest keys rotate' again; make a key with: "
        "python -c "
        '"import secrets,base64;print(base64.b64encode(secrets.token_bytes(32)).decode())"'
    )


# ---- backup and restore ---------------------------------------------------------------------


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--include-key",
    is_flag=True,
    help=(
        "Put the secret key in the file too: whoever has the file can then read every stored "
        "secret."
    ),
)
def backup(file: str | None, include_key: bool) -> None:
    """Write the whole database to FILE: every table of the core and of each installed plugin,
    settings and service connections included.

    FILE defaults to medianest-backup-<UTC time>.json.gz here; '-' writes to stdout. The file is
    compressed JSON, readable by any MediaNest database (a SQLite backup restores into PostgreSQL
    and back) and readable by you only (mode 600). Stored secrets stay encrypted, and the secret
    key is not in the file unless --include-key: keep the key file as well. MediaNest may keep
    running meanwhile.
    """
    from medianest import backup as backups

    settings = _tool_settings()
    target = file or backups.default_name()
    reporter = backups.ConsoleReporter()
    try:
        with backups.output(target) as out:
            summary = asyncio.run(
                backups.create_backup(settings, out, include_key=include_key, reporter=reporter)
            )
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    where = "stdout" if target == "-" else target
    click.echo(
        f"backed up {summary.rows} row(s) of {summary.tables} table(s) ({summary.database}) to "
        f"{where}",
        err=True,
    )
    for app in summary.skipped_apps:
        click.echo(
            f"warning: the database has tables of {app!r}, which is not installed here: they are "
            "not in the backup",
            err=True,
        )
    _advise_backup_key(settings, summary, include_key)


def _advise_backup_key(settings: Settings, summary: Any, include_key: bool) -> None:
    from medianest import keys as key_files

    source = key_files.key_source(settings).describe()
    if summary.key_included:
        click.echo(
            f"the file holds the secret key ({source}): keep it as safe as the key itself", err=True
        )
    elif include_key:
        click.echo(
            "there is no secret key yet, so none is in the file (nothing stored is encrypted)",
            err=True,
        )
    elif summary.has_key:
        click.echo(
            f"the secret key is NOT in the file: keep {source} too (a copy, stored apart from the "
            "backup). Without it, a restore cannot decrypt service API keys, linked accounts' "
            "tokens and secret plugin settings",
            err=True,
        )


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def restore(file: Path) -> None:
    """Restore a backup made by 'medianest backup' into an empty install.

    The database (MEDIANEST_DATABASE_URL, or the SQLite file in MEDIANEST_DATA_DIR) must hold no
    data yet: restore before MediaNest first starts there. It may be another kind of database than
    the one backed up. Everything is restored in one transaction: on any error, nothing is. A
    secret key in the backup (--include-key) is written to the data directory when none is there.
    """
    from medianest import backup as backups

    settings = _tool_settings()
    try:
        summary = asyncio.run(backups.restore_backup(settings, file, backups.ConsoleReporter()))
    except backups.BackupFormatError as exc:
        raise click.ClickException(f"{file}: {exc}; nothing was restored") from None
    except backups.BackupError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    header = summary.header
    click.echo(
        f"restored {summary.rows} row(s) of {len(header.tables)} table(s) from {file} "
        f"(MediaNest {header.medianest_version}, {header.database}, made {header.created_at})"
    )
    if summary.key_written is not None:
        click.echo(f"wrote the backup's secret key to {summary.key_written} (mode 600)")
    for note in summary.notes:
        click.echo(f"note: {note}", err=True)
    click.echo("start MediaNest: everyone signs in as before")


def run() -> None:  # pragma: no cover - the console script
    main(prog_name="medianest")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
