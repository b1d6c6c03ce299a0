"""Two app instances on one PostgreSQL database and one Redis see each other's changes.

The second instance is a real `medianest serve` process. It finds the test's plugin the way it
would find an installed one: through an entry point, here from a `.dist-info` folder on its
PYTHONPATH that points at `RELAY` in this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from quart import Blueprint
from websockets.asyncio.client import connect

from medianest.auth.policy import public
from medianest.errors import ok
from medianest.plugins import PluginSpec, hookimpl
from medianest.testing.clients import DEFAULT_PASSWORD, create_user
from medianest.testing.processes import free_port

pytestmark = pytest.mark.parametrize("backend", ["production"])  # one database, one Redis

WAIT = 30.0  # guards against hanging forever; never an expectation about speed
TESTS_DIR = Path(__file__).resolve().parent


class Relay:
    """A plugin with one public route, loaded by both instances."""

    plugin = PluginSpec(id="relay", title="Relay")

    @hookimpl
    def register_routes(self, core: Any) -> list[Blueprint]:
        bp = Blueprint("relay", __name__)

        @bp.get("/ping")
        @public
        async def ping():
            return ok({"pong": True})

        return [bp]


RELAY = Relay()


@dataclass
class Instance:
    url: str
    log: Path

    def ws(self, path: str) -> str:
        return self.url.replace("http://", "ws://") + path


def installed_as_entry_point(folder: Path) -> Path:
    """A `.dist-info` that declares `RELAY` as the `relay` plugin, as `pip install` would."""
    info = folder / "medianest_relay_test-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: medianest-relay-test\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        f"[medianest.plugins]\nrelay = {Path(__file__).stem}:RELAY\n"
    )
    return folder


@contextlib.contextmanager
def second_instance(settings: dict[str, Any], tmp_path: Path) -> Iterator[Instance]:
    """`medianest serve` in a subprocess on the same database, Redis prefix and data dir."""
    port = free_port()
    site = installed_as_entry_point(tmp_path / "site")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MEDIANEST_")}
    env = {
        **inherited,
        "MEDIANEST_DATABASE_URL": settings["database_url"],
        "MEDIANEST_REDIS_URL": settings["redis_url"],
        "MEDIANEST_REDIS_PREFIX": settings["redis_prefix"],
        "MEDIANEST_DATA_DIR": str(settings["data_dir"]),  # the same secret key
        "MEDIANEST_PLUGINS": "relay",
        "MEDIANEST_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(
            [str(site), str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]
        ),
    }
    command = [
        shutil.which("medianest") or str(Path(sys.executable).parent / "medianest"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    log = tmp_path / "second.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield Instance(f"http://127.0.0.1:{port}", log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def until_answers(instance: Instance, path: str, expected: Any) -> httpx.Response:
    """Poll `path` until `expected(response)`; fail with the instance's log if it never does."""
    async with httpx.AsyncClient(base_url=instance.url, timeout=5) as client:
        try:
            async with asyncio.timeout(WAIT):
                while True:
                    with contextlib.suppress(httpx.TransportError):
                        response = await client.get(path)
                        if expected(response):
                            return response
                    await asyncio.sleep(0.1)
        except TimeoutError:
            pytest.fail(
                f"{path} never answered as expected; second instance "
                f"log:\n{instance.log.read_text()}"
            )


def code_of(response: httpx.Response) -> str | None:
    body = response.json()
    return None if body.get("success") else body["error"]["code"]


@pytest.fixture
async def instances(app_factory, backend_settings, tmp_path) -> AsyncIterator[tuple[Any, Instance]]:
    app = await app_factory(plugins=[RELAY])  # migrates the database first
    with second_instance(backend_settings, tmp_path) as other:
        await until_answers(other, "/api/relay/ping", lambda r: r.status_code == 200)
        yield app, other


async def test_a_plugin_toggled_on_one_instance_is_toggled_on_the_other(instances):
    app, other = instances
    core = app.extensions["medianest"]

    await core.host.set_enabled("relay", False, core)
    disabled = await until_answers(other, "/api/relay/ping", lambda r: r.status_code == 404)
    assert code_of(disabled) == "PLUGIN_DISABLED"

    await core.host.set_enabled("relay", True, core)
    await until_answers(other, "/api/relay/ping", lambda r: r.status_code == 200)


async def test_an_admin_toggle_on_the_other_instance_reaches_this_one(instances):
    app, other = instances
    await create_user(app, "root", role="admin")
    async with httpx.AsyncClient(base_url=other.url, timeout=10) as admin:
        signed = await admin.post(
            "/api/auth/admin", json={"username": "root", "password": DEFAULT_PASSWORD}
        )
        assert signed.status_code == 200
        csrf = {"X-CSRF-Token": admin.cookies["csrf_token"]}
        assert (
            await admin.put("/api/admin/plugins/relay", json={"enabled": False}, headers=csrf)
        ).status_code == 200

    client = app.test_client()
    async with asyncio.timeout(WAIT):
        while (response := await client.get("/api/relay/ping")).status_code != 404:
            await asyncio.sleep(0.05)
    assert (await response.get_json())["error"]["code"] == "PLUGIN_DISABLED"


async def test_an_event_published_on_one_instance_reaches_a_socket_on_the_other(instances):
    app, other = instances
    core = app.extensions["medianest"]
    user = await create_user(app, "alice")
    session = await core.auth.sessions.create(user, ip=None, user_agent=None)

    cookie = {"Cookie": f"medianest_session={session}"}
    async with connect(other.ws("/ws/status"), additional_headers=cookie) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["event"] == "ready"
        await core.publish(
            "service:status", {"service": "plex", "status": "offline", "error": "timed out"}
        )
        message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))

    assert message == {
        "event": "service:status",
        "data": {"service": "plex", "status": "offline", "error": "timed out"},
    }
