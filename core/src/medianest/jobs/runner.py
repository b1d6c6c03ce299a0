"""`medianest worker`: the core without HTTP (plugins, database, events, jobs) until SIGTERM.

It writes a heartbeat file while it works (`medianest worker --check` reads it).
The first SIGTERM or SIGINT stops claiming and lets running jobs finish for
`MEDIANEST_JOB_SHUTDOWN_GRACE` seconds; the jobs still running then are interrupted and put
back in the queue. A second signal skips what is left of the grace. The core's own stop closes
the ORM through the context it opened, so no aiosqlite thread keeps the process alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pkgutil
import signal
from collections.abc import Callable, Sequence
from typing import Any

from medianest.jobs import heartbeat
from medianest.settings import Settings

log = logging.getLogger("medianest.jobs")


def load_plugin_objects(names: Sequence[str]) -> list[Any]:
    """Resolve `module:attribute` names (MEDIANEST_EXTRA_PLUGINS) to plugin objects."""
    objects = []
    for name in names:
        if ":" not in name:
            raise ValueError(f"MEDIANEST_EXTRA_PLUGINS: {name!r} is not `module:attribute`")
        objects.append(pkgutil.resolve_name(name))
    return objects


async def run_worker(settings: Settings) -> None:
    from medianest.app import create_app

    app = create_app(settings)
    core = app.extensions["medianest"]
    core.creates_admin = False  # only `serve` creates the first admin
    extra = load_plugin_objects(settings.extra_plugins)
    if extra:
        core.host.discover(extra)
    stopping = asyncio.Event()

    def hurry() -> None:
        if core.jobs.worker is not None:
            core.jobs.worker.hurry()

    _on_stop_signals(stopping, hurry)
    await app.startup()
    beating = asyncio.create_task(heartbeat.beat(core, settings.resolved_heartbeat_file))
    try:
        await stopping.wait()
        log.info("worker: stop signal received")
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
        await app.shutdown()


def _on_stop_signals(stopping: asyncio.Event, hurry: Callable[[], None]) -> None:
    """First SIGTERM/SIGINT: stop. Any further one: stop now."""
    loop = asyncio.get_running_loop()

    def received() -> None:
        if stopping.is_set():
            hurry()
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, received)
