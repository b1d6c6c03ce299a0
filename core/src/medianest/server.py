"""Serving with hypercorn, configured for a small box behind (or without) a proxy."""

from __future__ import annotations

from hypercorn.config import Config
from hypercorn.run import run as hypercorn_run

from medianest.settings import Settings


def hypercorn_config(settings: Settings) -> Config:
    config = Config()
    config.application_path = "medianest.asgi:app"
    config.bind = [f"{settings.host}:{settings.port}"]
    config.workers = 0 if settings.workers == 1 else settings.workers  # 0: serve in this process
    config.include_server_header = False  # no version banner
    config.websocket_ping_interval = 20.0  # dead sockets do not linger
    config.websocket_max_message_size = 64 * 1024
    config.graceful_timeout = 10.0
    config.accesslog = None
    return config


def run(settings: Settings) -> None:
    hypercorn_run(hypercorn_config(settings))
