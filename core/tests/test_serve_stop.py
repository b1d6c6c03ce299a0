"""`medianest serve` stops cleanly while browsers hold websockets open.

hypercorn waits for every connection to end before it stops the app, and a dashboard's socket
never ends by itself: on SIGINT/SIGTERM the server closes them first ("going away", 1001),
so the stop neither waits out the graceful timeout nor cancels anything half-way (which
hypercorn would log as a CancelledError traceback).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from medianest.testing.processes import free_port

WAIT = 30.0  # guards against hanging forever; never an expectation about speed
BOOTSTRAP = "bootstrap password for the stop test"
CHANGED = "the changed password for the stop test"


async def started(tmp_path: Path) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("MEDIANEST_")}
    env.update(
        MEDIANEST_DATA_DIR=str(tmp_path / "data"),
        MEDIANEST_PORT=str(port),
        MEDIANEST_ADMIN_PASSWORD=BOOTSTRAP,
        MEDIANEST_PLEX_TV_URL="http://127.0.0.1:9",
    )
    log = tmp_path / "serve.log"
    command = [str(Path(sys.executable).with_name("medianest")), "serve"]
    process = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    async with asyncio.timeout(WAIT), httpx.AsyncClient() as client:
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return process, url, log
            except httpx.TransportError:
                await asyncio.sleep(0.1)


async def session_cookie(url: str) -> str:
    async with httpx.AsyncClient(base_url=url) as client:
        answer = await client.post(
            "/api/auth/admin", json={"username": "admin", "password": BOOTSTRAP}
        )
        assert answer.status_code == 200, answer.text
        changed = await client.post(
            "/api/auth/password",
            json={"current_password": BOOTSTRAP, "new_password": CHANGED},
            headers={"X-CSRF-Token": client.cookies["csrf_token"]},
        )
        assert changed.status_code == 200, changed.text
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


async def test_open_dashboards_are_told_the_server_is_going_away(tmp_path):
    process, url, log = await started(tmp_path)
    try:
        cookie = await session_cookie(url)
        ws_url = url.replace("http://", "ws://") + "/ws/status"
        async with connect(ws_url, additional_headers={"Cookie": cookie, "Origin": url}) as ws:
            assert '"ready"' in await ws.recv()
            process.send_signal(signal.SIGINT)
            with pytest.raises(ConnectionClosed) as closed:
                async with asyncio.timeout(WAIT):
                    await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        async with asyncio.timeout(WAIT):
            while process.poll() is None:
                await asyncio.sleep(0.05)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    assert process.returncode == 0
    assert "Traceback" not in log.read_text()  # nothing was cancelled when the grace ran out
