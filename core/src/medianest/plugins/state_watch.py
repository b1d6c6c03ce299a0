"""Plugin toggles made by other processes on the same database, when there is no Redis.

With Redis, a toggle reaches every instance as a `plugin:state` event. Without it the event bus
is per process, so a toggle made by `medianest plugins disable` (or by another `serve` on the same
database) would never reach this one. The watcher reads the `plugin_state` table's wishes every
`POLL_SECONDS` — a handful of rows — and follows those that changed since it last looked, as
`Core._on_bus_event` follows a `plugin:state` event from another instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from medianest.plugins.models import PluginStateRow

if TYPE_CHECKING:
    from medianest.core import Core

log = logging.getLogger("medianest.plugins")

POLL_SECONDS = 2.0


class PluginStateWatch:
    def __init__(self, core: Core, interval: float = POLL_SECONDS) -> None:
        self._core = core
        self._interval = interval
        self._seen: dict[str, bool] = {}
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    async def start(self) -> None:
        if self._core.settings.redis_url:
            return  # the Redis bus carries toggles between processes
        self._seen = {record.id: record.enabled for record in self._core.host.records.values()}
        self._task = asyncio.create_task(self._run(), name="medianest-plugin-state-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def check(self) -> None:
        """Read the wishes once and follow each one that changed since the last look."""
        current = dict(await PluginStateRow.all().values_list("id", "enabled"))
        for plugin_id, enabled in current.items():
            if self._seen.get(plugin_id, enabled) != enabled:
                await self._follow(plugin_id, enabled)
        self._seen = current

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.check()
            except Exception as exc:  # the database is away: say so once, keep looking
                if not self._failing:
                    log.warning(
                        "cannot read plugin toggles (%s); trying again every %g s",
                        exc,
                        self._interval,
                    )
                self._failing = True
            else:
                if self._failing:
                    log.info("reading plugin toggles works again")
                self._failing = False

    async def _follow(self, plugin_id: str, enabled: bool) -> None:
        core = self._core
        record = core.host.get(plugin_id)
        if record is None or record.enabled == enabled:
            return  # not installed here, or this process made the change itself
        log.info(
            "plugin %s was %s by another process", plugin_id, "enabled" if enabled else "disabled"
        )
        core.host.apply_wish(plugin_id, enabled)
        core.status.sync()
        # What the Redis bus would have brought: jobs wake, plugins and open dashboards hear of it.
        await core.publish("plugin:state", {"plugin": plugin_id, "enabled": enabled})
        await core.publish("plugins:changed", {"plugin": plugin_id, "enabled": record.active})
