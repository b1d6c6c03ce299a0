"""The `core` object every hook receives: the app's services in one place.

Plugins reach the platform through it (settings, logging, and, as the platform grows,
events, jobs, the service client, secrets) and never import the app's internals.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from medianest import db, startup
from medianest.config.plugin_settings import PluginSettingsStore
from medianest.config.services import ServiceRegistry
from medianest.config.system import SystemSettings
from medianest.events import Event, create_event_bus
from medianest.http import ServiceClient
from medianest.jobs import JobQueue
from medianest.plugins import arrivals
from medianest.plugins.contributions import ModelSpec, Shell
from medianest.plugins.host import PluginHost, PluginRecord
from medianest.plugins.models import PluginStateRow
from medianest.plugins.state_watch import PluginStateWatch
from medianest.ratelimit import create_limiter
from medianest.realtime import Hub
from medianest.security.crypto import KeyRing, SecretBox
from medianest.settings import Settings
from medianest.status import StatusBoard

if TYPE_CHECKING:
    from pydantic import BaseModel
    from quart import Quart
    from tortoise.context import TortoiseContext

log = logging.getLogger("medianest")
STOP_STEP_SECONDS = 5.0

# Collected once at start-up, after models and before `startup`.
REGISTRATION_HOOKS = (
    "register_rate_limits",
    "register_capabilities",
    "register_permissions",
    "register_shell",  # before any plugin's routes: the shell's pages are checked against theirs
    "register_routes",
    "register_pages",
    "register_nav",
    "register_status_probes",
    "register_widgets",
    "register_jobs",
    "register_auth_providers",
    "register_request_providers",
)


class Core:
    def __init__(self, app: Quart, settings: Settings, host: PluginHost) -> None:
        self.app = app
        self.settings = settings
        self.host = host
        self.orm: TortoiseContext | None = None
        self.started_at: float | None = None
        self.blueprint_owner: dict[str, str] = {}  # blueprint name -> plugin id
        self.shell: Shell | None = None  # the site's HTML front end, when a plugin provides one
        self.shell_owner: str | None = None
        self._startup_tasks: list = []  # extra async callables the app's parts add
        self._shutdown_tasks: list = []
        self._running = False
        self._froze = False  # whether start froze the process's objects (stop thaws them)
        self.creates_admin = True  # `serve` and tests do; `worker` and the commands do not
        prefix = settings.redis_prefix
        self.keys = KeyRing.from_settings(settings)  # refuses a weak or example key
        self.secrets = SecretBox(self.keys)
        self.limiter = create_limiter(settings.redis_url, prefix=f"{prefix}rl:")
        self.events = create_event_bus(settings.redis_url, channel=f"{prefix}events")
        self.hub = Hub()
        self.hub.attach(self.events)
        self.system = SystemSettings()
        self.http = ServiceClient(
            redis_url=settings.redis_url, redis_prefix=settings.redis_prefix
        )  # every outbound call to a service
        from medianest.auth.accounts import Accounts, Users
        from medianest.auth.service import AuthService
        from medianest.plugins.facades import AuditLog, Capabilities, Limits

        self.auth = AuthService(self)
        self.users = Users(self)  # for plugins: read users, sign them out everywhere
        self.accounts = Accounts(
            self
        )  # for plugins: identities at auth providers, tokens encrypted
        self.limits = Limits(self)  # for plugins: the budgets they declared, and fixed ones
        self.capabilities = Capabilities(self)  # for plugins: what other plugins offer
        self.audit = AuditLog()
        self.request_providers: dict[str, Any] = {}  # plugin id -> RequestProvider, for /api/media
        self.authorize = self.auth.authorize
        self.services = ServiceRegistry(
            self
        )  # admin-set service connections, keys decrypted in-process
        self.plugin_settings_store = PluginSettingsStore(self)
        self.status = StatusBoard(self)  # the coordinators: services' status, from cache
        self.jobs = JobQueue(
            self
        )  # background jobs: `await core.jobs.enqueue("<plugin>.<job>", {...})`
        from medianest.api.realtime import Sockets

        self.realtime = Sockets(self)  # websocket routes: `await core.realtime.topic_socket(...)`
        self.plugin_watch = PluginStateWatch(self)  # toggles by other processes, without Redis
        host.listeners.append(self._persist_state)
        host.listeners.append(self._announce_state)
        self.events.subscribe(
            self._on_bus_event,
            names=(
                "plugin:state",
                "session:revoked",
                "session:ended",
                "user:changed",
                "config:changed",
            ),
        )
        self.events.subscribe(self._to_plugins)

    # ---- for plugins ------------------------------------------------------------------

    def logger(self, plugin_id: str) -> logging.Logger:
        return logging.getLogger(f"medianest.plugins.{plugin_id}")

    def on_startup(self, func) -> None:
        self._startup_tasks.append(func)

    def on_shutdown(self, func) -> None:
        self._shutdown_tasks.append(func)

    async def plugin_settings(self, plugin_id: str) -> BaseModel | None:
        """The plugin's validated settings, secrets decrypted: never log or return them.

        None when the plugin declares no settings model, or a required setting is not set yet.
        """
        return await self.plugin_settings_store.get(plugin_id)

    async def publish(self, name: str, data: dict[str, Any], **routing: Any) -> None:
        """Put an event on the bus: every instance (and the plugins' on_event) sees it."""
        await self.events.publish(Event(name=name, data=data, **routing))

    # ---- lifecycle --------------------------------------------------------------------

    def database_config(self, plugin_models: dict[str, list[ModelSpec]]) -> dict[str, Any]:
        models = {pid: specs[0] for pid, specs in plugin_models.items() if specs}
        return db.tortoise_config(self.settings.resolved_database_url, models)

    async def start(self) -> None:
        settings = self.settings
        await startup.wait_for_backends(
            settings.resolved_database_url, settings.redis_url, settings.start_timeout
        )
        self._running = True
        await self.events.start()
        await self.http.start()
        self.on_startup(self.plugin_watch.start)
        self.on_shutdown(self.events.stop)
        self.on_shutdown(self.limiter.close)
        self.on_shutdown(self.http.close)
        self.on_shutdown(self.plugin_watch.stop)
        plugin_models = await self.host.collect("register_models", core=self)
        try:
            # One process at a time: migrations, the first admin, the plugins' state rows.
            async with startup.start_lock(settings.resolved_database_url):
                self.orm = await db.start(self.database_config(plugin_models))
                await self._first_start()
            await self._start_parts()
        except BaseException:
            await self.stop()  # leave no ORM context behind for the next app in this process
            raise

    async def _first_start(self) -> None:
        if self.creates_admin:
            await self.auth.bootstrap_admin()
        await self._load_plugin_state()

    async def _start_parts(self) -> None:
        await self.system.reload()
        from medianest import app as mounting

        mounters: dict[str, Callable[[Core, Any], None]] = {
            "register_shell": mounting.mount_shell,
            "register_routes": mounting.mount_plugin_routes,
            "register_pages": mounting.mount_pages,
            "register_auth_providers": mounting.mount_auth_routes,
        }
        for hook in REGISTRATION_HOOKS:
            collected = await self.host.collect(hook, core=self)
            if hook == "register_rate_limits":
                self._declare_limits(collected)
            elif hook == "register_capabilities":
                for plugin_id, offered in collected.items():
                    self.capabilities.offer(plugin_id, offered)
            elif hook == "register_request_providers":
                self.request_providers = {
                    pid: items[0] for pid, items in sorted(collected.items()) if items
                }
            elif hook in mounters:
                mounters[hook](self, collected)
            if hook == "register_auth_providers":
                for providers in collected.values():
                    for provider in providers:
                        self.system.declare_provider(provider.id)
        for record in self.host.records.values():
            record.loaded = record.state.value != "failed" and record.obj is not None
        mounting.check_route_policies(self.app)
        for func in self._startup_tasks:
            await func()
        for record in list(self.host.records.values()):
            if record.active:
                await self.host.call(record.id, "startup", core=self)
        await self.status.start()  # after startup hooks: probes may use what those opened
        await self.jobs.start()  # likewise for jobs
        self.started_at = time.monotonic()
        # What start-up built (modules, classes, routes, schemas) lives as long as the process:
        # out of the collector's sight, each full collection walks only what came after, which
        # at a thousand sockets is milliseconds instead of a few hundred (docs/decisions/0018).
        # A process that froze its own objects first (a test session) keeps its freeze.
        self._froze = gc.get_freeze_count() == 0
        if self._froze:
            gc.freeze()

    async def stop(self) -> None:
        if not self._running:
            return  # never started, or already stopped after a failed start
        self._running = False
        try:
            await self._bounded(self.status.stop(), "status")  # no probe runs while clients close
            await self._bounded(
                self.jobs.stop(), "jobs", self.settings.job_shutdown_grace + STOP_STEP_SECONDS
            )
            for record in list(self.host.records.values()):
                if record.loaded:
                    await self.host.call(record.id, "shutdown", core=self)
            for func in reversed(self._shutdown_tasks):
                await self._bounded(func(), getattr(func, "__qualname__", "step"))
        finally:
            if self._froze:
                gc.unfreeze()  # what this app held may be collected again
                self._froze = False
            # Whatever happened above, the ORM closes: a process keeps one ORM context, and a
            # leftover one would refuse the next start (the CLI, tests).
            if self.orm is not None:
                await self.orm.close_connections()
                self.orm = None

    @staticmethod
    async def _bounded(step: Any, name: str, seconds: float = STOP_STEP_SECONDS) -> None:
        """One shutdown step, which may neither hang the stop nor abort the ones after it."""
        try:
            async with asyncio.timeout(seconds):
                await step
        except TimeoutError:
            log.warning("shutdown step %s took longer than %.0f s; moving on", name, seconds)
        except Exception:
            log.exception("shutdown step %s failed", name)

    async def _load_plugin_state(self) -> None:
        rows = {row.id: row for row in await PluginStateRow.all()}
        arrived_later = await arrivals.started_before()
        for record in self.host.records.values():
            row = rows.get(record.id)
            if row is not None:
                self.host.apply_wish(record.id, row.enabled)
            elif record.spec is not None:
                if arrived_later:  # installed since the first start: off until an admin says
                    self.host.apply_wish(record.id, False)
                    log.info("plugin %s is new: disabled until an admin enables it", record.id)
                await PluginStateRow.create(
                    id=record.id, enabled=record.enabled, state=record.state.value
                )
        await arrivals.mark_first_start()

    async def _persist_state(self, record: PluginRecord) -> None:
        if self.orm is None or record.spec is None:
            return
        await PluginStateRow.update_or_create(
            id=record.id,
            defaults={
                "enabled": record.enabled,
                "state": record.state.value,
                "error": record.error,
            },
        )

    async def _announce_state(self, record: PluginRecord) -> None:
        await self.publish("plugin:state", {"plugin": record.id, "enabled": record.enabled})
        # What browsers may know (never the plugin's error): open dashboards reload their widgets.
        await self.publish("plugins:changed", {"plugin": record.id, "enabled": record.active})

    async def _to_plugins(self, event: Event) -> None:
        await self.host.fan_out("on_event", core=self, event=event)

    async def _on_bus_event(self, event: Event) -> None:
        """Follow what other instances did: plugin toggles, revoked sessions, config changes."""
        self.auth.forget(event.name, dict(event.data))
        if event.name == "session:revoked":
            self.hub.close_user(str(event.data["user_id"]))
        if event.origin == self.events.instance_id:
            return
        if event.name == "plugin:state":
            self.host.apply_wish(str(event.data["plugin"]), bool(event.data["enabled"]))
            self.status.sync()
        elif event.name == "config:changed":
            await self.system.reload()

    def _declare_limits(self, collected: dict[str, list[Any]]) -> None:
        for plugin_id, limits in collected.items():
            try:
                self.limits.declare(plugin_id, limits)
            except ValueError as exc:
                self.host.fail(plugin_id, f"register_rate_limits: {exc}")

    def request_provider(self) -> Any | None:
        """The media request backend of the first active plugin that offers one."""
        for plugin_id, provider in self.request_providers.items():
            record = self.host.get(plugin_id)
            if record is not None and record.active:
                return provider
        return None

    def config_labels(self) -> dict[str, dict[str, dict[str, str]]]:
        """What Admin → Settings calls each rate limit and sign-in switch."""
        from medianest.config.system import describe

        return describe(self)

    async def readiness(self) -> dict[str, dict[str, Any]]:
        """The database, and with Redis: the event bus's subscription and the job broker."""
        checks = {"database": await _ready(db.ping())}
        if self.settings.redis_url:
            subscribed = getattr(self.events, "connected", True)
            checks["redis"] = (
                {"ok": True} if subscribed else {"ok": False, "error": "not subscribed"}
            )
            checks["broker"] = await _ready(self.jobs.broker_ok())
        return checks


READY_TIMEOUT = 2.0  # a readiness probe must answer even when a backend hangs


async def _ready(check: Awaitable[Any]) -> dict[str, Any]:
    """`{"ok": True}`, or `{"ok": False, "error": <exception class>}` (never its message)."""
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            answer = await check
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True} if answer is not False else {"ok": False, "error": "no answer"}
