"""For tests that run `medianest` beside the app under test: the command line, a second
instance, the demo."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
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


# ---- `medianest` processes ----------------------------------------------------------------

WAIT = 60.0  # guards against hanging forever; never an expectation about speed


def process_env(settings: Mapping[str, Any] | None = None, **extra: str | None) -> dict[str, str]:
    """The environment for a `medianest` subprocess: this one without any `MEDIANEST_*`
    variable, then `cli_env(settings)` (when given) and `extra`; None leaves a variable out."""
    env: dict[str, str | None] = {
        name: value for name, value in os.environ.items() if not name.startswith("MEDIANEST_")
    }
    if settings is not None:
        env.update(cli_env(settings))
    env.update(extra)
    return {name: value for name, value in env.items() if value is not None}


@dataclass
class MedianestProcess:
    """A `medianest …` subprocess whose stdout and stderr go to `log`."""

    process: subprocess.Popen
    log: Path
    url: str | None = None  # http://127.0.0.1:<port> for `serve`

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def terminate(self) -> None:
        if self.running:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 30.0) -> int:
        """Its exit code; killed (and -9) if it is still running after `timeout` seconds."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def stop(self, timeout: float = 30.0) -> int:
        self.terminate()
        return self.wait(timeout)

    async def stopped(self, timeout: float = 30.0) -> int:
        """`stop()` without blocking the event loop (it may be relaying the process's traffic)."""
        self.terminate()
        return await asyncio.to_thread(self.wait, timeout)


def start_medianest(
    *args: str, env: Mapping[str, str], log: Path, cwd: Path | None = None
) -> MedianestProcess:
    """`medianest <args>` in a subprocess (this interpreter's install); `serve` gets a free port
    unless the arguments or `env` name one."""
    command = [sys.executable, "-m", "medianest.cli", *args]
    url = None
    if args[:1] == ("serve",):
        port = env.get("MEDIANEST_PORT")
        if "--port" not in args and port is None:
            port = str(free_port())
            command += ["--port", port]
        elif "--port" in args:
            port = args[args.index("--port") + 1]
        url = f"http://127.0.0.1:{port or 8080}"
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, env=dict(env), cwd=cwd, stdout=output, stderr=subprocess.STDOUT
        )
    return MedianestProcess(process, log, url)


async def until_answers(
    server: MedianestProcess,
    path: str = "/healthz",
    expected: Callable[[Any], bool] | None = None,
    timeout: float = WAIT,
) -> Any:
    """Poll `path` on `server` until `expected(response)` (default: a 200); fail with the
    server's log if it exits or never answers so."""
    import httpx
    import pytest

    expected = expected or (lambda response: response.status_code == 200)
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=server.url or "", timeout=5) as client:
        while True:
            if not server.running:
                code = server.process.returncode
                pytest.fail(f"{server.log.name} exited with {code}:\n{server.output()}")
            try:
                response = await client.get(path)
                if expected(response):
                    return response
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{path} never answered so; {server.log.name}:\n{server.output()}")
            await asyncio.sleep(0.1)
