"""For tests that run `medianest` beside the app under test: the command line, a second
instance, the demo."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cli_env(settings: Mapping[str, Any], **extra: str | None) -> dict[str, str | None]:
    """The `MEDIANEST_*` environment a `medianest` command needs to reach the install that
    `settings` (the `backend_settings` fixture's) describe, for `CliRunner.invoke(env=…)`:
    None unsets a variable, so nothing leaks in from the shell that runs the tests. `extra`
    goes on top (`MEDIANEST_SECRET_KEY="…"`, `MEDIANEST_PLUGINS=None`)."""
    env: dict[str, str | None] = {
        "MEDIANEST_DATA_DIR": str(settings["data_dir"]),
        "MEDIANEST_DATABASE_URL": settings.get("database_url"),
        "MEDIANEST_REDIS_URL": settings.get("redis_url"),
        "MEDIANEST_REDIS_PREFIX": settings.get("redis_prefix"),
        "MEDIANEST_LOG_LEVEL": "WARNING",
        "MEDIANEST_SECRET_KEY": None,
        "MEDIANEST_SECRET_KEY_FILE": None,
        "MEDIANEST_PLUGINS": None,
        "MEDIANEST_BLOCK_PLUGINS": None,
    }
    return {**env, **extra}
