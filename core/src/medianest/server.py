"""Serving with hypercorn, configured for a small box behind (or without) a proxy."""

from __future__ import annotations

import asyncio
import logging
import signal

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.run import run as hypercorn_run
from quart import Quart

from medianest.settings import Settings


def hypercorn_config(settings: Settings) -> Config:
    config = Config()
    config.application_path = "medianest.asgi:app"
    config.bind = [f"{settings.host}:{settings.port}"]
    config.workers = 0 if settings.workers == 1 else settings.workers  # 0: serve in this process
    config.include_server_header = False  # no version banner
    # Off: hypercorn's ping loop outlives its socket by up to one interval and holds up every
    # stop; the app sends its own keep-alive instead (medianest.api.realtime.HEARTBEAT).
    config.websocket_ping_interval = None
    config.websocket_max_message_size = 64 * 1024
    config.graceful_timeout = 10.0
    config.accesslog = None  # MediaNest's own (medianest.accesslog): request id, user, JSON
    config.errorlog = logging.getLogger("hypercorn.error")  # MediaNest's handler, one format
    return config


def run(settings: Settings) -> None:
    config = hypercorn_config(settings)
    if config.workers:  # several processes: hypercorn starts them and relays the signals
        hypercorn_run(config)
        return
    from medianest.app import create_app

    asyncio.run(serve_here(create_app(settings), config))


async def serve_here(app: Quart, config: Config) -> None:
    """Serve in this process until SIGINT or SIGTERM.

    On the signal, open websockets are closed first ("going away": browsers reconnect):
    hypercorn waits for every connection to end before it stops the app, and a dashboard's
    socket never ends by itself, so each would hold the stop for the whole graceful timeout.
    """
    config.workers = 1  # this process (`hypercorn.run` says 0 for that; `serve` warns at 0)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)

    async def shutdown_trigger() -> None:
        await stopping.wait()
        app.extensions["medianest"].hub.close_all()

    await serve(app, config, shutdown_trigger=shutdown_trigger)
