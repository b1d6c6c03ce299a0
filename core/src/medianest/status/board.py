"""`core.status`: every coordinator of this instance, and the cache pages read.

The board builds one `Coordinator` per `StatusProbe` any loaded plugin contributed (enabled or
not, so that enabling one later keeps its history), seeded from the database so the dashboard
is not empty after a restart. It polls only while the probe's plugin is active and follows
toggles made here (host listener) and on other instances (`Core._on_bus_event` calls `sync`).
A `service:connection` event makes the service's coordinator poll at once (the registry
resets the service's circuit breaker when its URL or key changes).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from typing import TYPE_CHECKING, Any

from medianest.events import Event
from medianest.plugins.contributions import StatusProbe
from medianest.status.coordinator import Coordinator, being_cancelled
from medianest.status.store import StatusStore

if TYPE_CHECKING:
    from medianest.core import Core
    from medianest.plugins.host import PluginRecord

log = logging.getLogger("medianest.status")

PRUNE_EVERY = 3600.0  # seconds between deletions of checks older than the uptime window
STOP_TIMEOUT = 5.0  # seconds the shutdown waits for checks to end


class StatusBoard:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._store = StatusStore()
        self._coordinators: dict[str, Coordinator] = {}
        self._started = False
        self._housekeeping: asyncio.Task[None] | None = None
        self._unsubscribe: Any = None

    # ---- reading (cache only: never waits on a service) -------------------------------------

    def entries(self) -> list[dict[str, Any]]:
        """The status of every service whose plugin is active, in the order plugins loaded."""
        now = time.time()
        return [c.entry(now) for c in self._coordinators.values() if c.enabled]

    def get(self, service: str) -> dict[str, Any] | None:
        coordinator = self._active(service)
        return None if coordinator is None else coordinator.entry()

    entry = get  # the name plugins use (`medianest.sdk.StatusReader`)

    def data(self, service: str) -> dict[str, Any]:
        """What the last good check of `service` returned as `ProbeResult.data` ({} before one)."""
        coordinator = self._active(service)
        return dict(coordinator.data or {}) if coordinator is not None else {}

    async def refresh(self, service: str) -> dict[str, Any] | None:
        """Check `service` now and return its new entry (None when no active plugin has it)."""
        coordinator = self._active(service)
        if coordinator is None:
            return None
        await coordinator.refresh()
        return coordinator.entry()

    def coordinators(self) -> list[Coordinator]:
        """The running coordinators (for metrics)."""
        return [c for c in self._coordinators.values() if c.enabled]

    # ---- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Seed and start the coordinators; called once the plugins' hooks have run."""
        seeds = await self._store.load(time.time())
        for plugin_id, probe in self._every_probe():
            if probe.service in self._coordinators:
                owner = self._coordinators[probe.service].plugin_id
                log.error(
                    "plugins %s and %s both probe %r; %s's probe is ignored",
                    owner,
                    plugin_id,
                    probe.service,
                    plugin_id,
                )
                continue
            self._coordinators[probe.service] = Coordinator(
                self._core,
                plugin_id,
                probe,
                title=probe.title or self._plugin_title(plugin_id),
                store=self._store,
                seed=seeds.get(probe.service),
            )
        self._started = True
        self._unsubscribe = self._core.events.subscribe(
            self._on_connection_changed, names=("service:connection",)
        )
        self._core.host.listeners.append(self._on_plugin_state)
        self._housekeeping = asyncio.create_task(
            self._prune_forever(), name="medianest-status-prune"
        )
        self.sync()

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        if self._unsubscribe is not None:
            self._unsubscribe()
        with contextlib.suppress(ValueError):
            self._core.host.listeners.remove(self._on_plugin_state)
        tasks = [self._housekeeping] if self._housekeeping else []
        for coordinator in self._coordinators.values():
            coordinator.stop()
            tasks.extend(coordinator.tasks())
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        _, stuck = await asyncio.wait(tasks, timeout=STOP_TIMEOUT)
        for task in stuck:  # a probe that ignores cancellation must not hold up the shutdown
            log.warning(
                "%s did not stop within %g s (at %s); leaving it",
                task.get_name(),
                STOP_TIMEOUT,
                _where(task),
            )

    def sync(self) -> None:
        """Poll exactly the services of active plugins (after a toggle or a failure)."""
        if not self._started:
            return
        for coordinator in self._coordinators.values():
            active = self._core.host.is_active(coordinator.plugin_id)
            if active and not coordinator.enabled:
                coordinator.start()
            elif not active and coordinator.enabled:
                coordinator.stop()

    # ---- internals ----------------------------------------------------------------------------

    def _every_probe(self) -> list[tuple[str, StatusProbe]]:
        override = self._core.settings.status_interval
        return [
            (
                record.id,
                probe if override is None else dataclasses.replace(probe, interval=override),
            )
            for record in self._core.host.records.values()
            if record.loaded
            for probe in record.contributions.get("register_status_probes", [])
        ]

    def _plugin_title(self, plugin_id: str) -> str:
        record = self._core.host.get(plugin_id)
        return record.title if record is not None else plugin_id

    def _active(self, service: str) -> Coordinator | None:
        coordinator = self._coordinators.get(service)
        return coordinator if coordinator is not None and coordinator.enabled else None

    async def _on_plugin_state(self, record: PluginRecord) -> None:
        self.sync()

    async def _on_connection_changed(self, event: Event) -> None:
        """The admin changed a connection (here or on another instance): poll it at once."""
        service = str(event.data.get("name", ""))
        coordinator = self._active(service)
        if coordinator is None:
            return
        # The registry drops its cached copy on this same event, in its own handler; make sure
        # the coordinator never re-polls with the old one whichever handler runs first.
        self._core.services.invalidate(service)
        coordinator.wake()

    async def _prune_forever(self) -> None:
        while not being_cancelled():
            pruned = await self._store.prune(time.time())
            if pruned:
                log.debug("pruned %d service checks older than the uptime window", pruned)
            await asyncio.sleep(PRUNE_EVERY)


def _where(task: asyncio.Task[None]) -> str:
    """Where a task is waiting, innermost frame last: `file:line in function` of each."""
    frames = task.get_stack(limit=20)
    return " > ".join(
        f"{f.f_code.co_filename.rsplit('/', 1)[-1]}:{f.f_lineno} in {f.f_code.co_name}"
        for f in frames
    )
