"""The worker's heartbeat: what `medianest worker --check` (a container health check) reads.

While it runs, `medianest worker` rewrites a small JSON file every `INTERVAL` seconds, but only
while its backends answer (the same checks as /readyz: the database, and with Redis the event
bus and the job broker). A heartbeat older than `STALE_AFTER` means the worker is stuck, cannot
reach what it needs, or is gone; a stopped worker removes its file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from medianest.core import Core

log = logging.getLogger("medianest.jobs")

INTERVAL = 10.0
STALE_AFTER = 3 * INTERVAL


async def beat(core: Core, path: Path, interval: float = INTERVAL) -> None:
    """Write the heartbeat now and every `interval` seconds while every backend answers."""
    unhealthy = False
    try:
        while True:
            checks = await core.readiness()
            failing = sorted(name for name, check in checks.items() if not check["ok"])
            if failing:
                if not unhealthy:
                    log.warning("worker heartbeat paused: %s not ready", ", ".join(failing))
                unhealthy = True
            else:
                if unhealthy:
                    log.info("worker heartbeat resumed")
                unhealthy = False
                _write(path, {"pid": os.getpid(), "worker": core.jobs.worker_id, "at": time.time()})
            await asyncio.sleep(interval)
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def _write(path: Path, content: dict) -> None:
    """Atomically, so that a check never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(content), encoding="utf-8")
    os.replace(temporary, path)


def check(path: Path, stale_after: float = STALE_AFTER) -> str:
    """One line about a healthy worker; `ValueError` with one line about anything else."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        age = time.time() - float(content["at"])
    except FileNotFoundError:
        raise ValueError(
            f"no worker heartbeat at {path}: no worker runs, or it has not started yet"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"unreadable worker heartbeat at {path}: {exc}") from None
    if age > stale_after:
        raise ValueError(
            f"the worker's last heartbeat is {age:.0f} s old (more than {stale_after:g} s)"
        )
    return f"worker {content.get('worker', '?')} is healthy (heartbeat {max(age, 0):.0f} s ago)"
