"""`medianest` commands run beside a running embedded server (SQLite, no Redis).

The server is this test's app; each command is a real subprocess on the same data directory.
It finds the test's `beacon` plugin the way it finds an installed one: through an entry point,
here from a `.dist-info` folder on its PYTHONPATH.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from quart import Blueprint

from medianest.auth.policy import public
from medianest.errors import ok
from medianest.plugins import PluginSpec, hookimpl
from medianest.testing.clients import signed_in
from medianest.testing.processes import process_env

pytestmark = pytest.mark.parametrize("backend", ["embedded"])  # the toggle cannot travel over Redis

TESTS_DIR = Path(__file__).resolve().parent
FOLLOWS_WITHIN = 5.0  # seconds: the promise to an admin who toggles a plugin from the shell


class Beacon:
    plugin = PluginSpec(id="beacon", title="Beacon")

    @hookimpl
    def register_routes(self, core: Any) -> list[Blueprint]:
        bp = Blueprint("beacon", __name__)

        @bp.get("/ping")
        @public
        async def ping():
            return ok({"pong": True})

        return [bp]


BEACON = Beacon()


def installed_as_entry_point(site: Path) -> Path:
    info = site / "medianest_beacon_test-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: medianest-beacon-test\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        f"[medianest.plugins]\nbeacon = {Path(__file__).stem}:BEACON\n"
    )
    return site


@pytest.fixture
def medianest(backend_settings, tmp_path):
    """Run `medianest <args>` on the server's install; returns the finished process."""
    site = installed_as_entry_point(tmp_path / "site")
    env = process_env(
        backend_settings, MEDIANEST_PLUGINS="beacon", PYTHONPATH=f"{site}:{TESTS_DIR}"
    )

    async def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "medianest.cli", *args]
        return await asyncio.to_thread(
            subprocess.run, command, env=env, capture_output=True, text=True, timeout=120
        )

    return run


async def until_code(client: Any, path: str, status: int) -> Any:
    """Poll until `path` answers `status`; fail once FOLLOWS_WITHIN seconds have passed."""
    deadline = asyncio.get_running_loop().time() + FOLLOWS_WITHIN
    while True:
        response = await client.get(path)
        if response.status_code == status:
            return response
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(
                f"{path} still answers {response.status_code} {FOLLOWS_WITHIN} s after the command"
            )
        await asyncio.sleep(0.1)


async def test_a_plugin_disabled_from_the_shell_is_disabled_in_the_running_server(
    app_factory, medianest
):
    app = await app_factory(plugins=[BEACON])
    admin = await signed_in(app, "root", role="admin")
    client = app.test_client()
    assert (await client.get("/api/beacon/ping")).status_code == 200

    done = await medianest("plugins", "disable", "beacon")
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout == "beacon: disabled\n" and done.stderr == ""
    )  # quiet: no job worker, no admin
    refused = await until_code(client, "/api/beacon/ping", 404)
    assert (await refused.get_json())["error"]["code"] == "PLUGIN_DISABLED"
    listed = {
        row["name"]: row
        for row in (await (await admin.get("/api/admin/plugins")).get_json())["data"]["items"]
    }
    assert listed["beacon"]["enabled"] is False and listed["beacon"]["state"] == "disabled"
    shell = {
        row["name"]: row
        for row in json.loads((await medianest("plugins", "list", "--json")).stdout)
    }
    assert shell["beacon"]["state"] == "disabled"

    assert (await medianest("plugins", "enable", "beacon")).returncode == 0
    await until_code(client, "/api/beacon/ping", 200)
    listed = {
        row["name"]: row
        for row in (await (await admin.get("/api/admin/plugins")).get_json())["data"]["items"]
    }
    assert listed["beacon"]["enabled"] is True and listed["beacon"]["state"] == "enabled"


async def test_an_admin_toggle_in_the_server_is_what_the_shell_lists(app_factory, medianest):
    app = await app_factory(plugins=[BEACON])
    admin = await signed_in(app, "root", role="admin")
    changed = await admin.put("/api/admin/plugins/beacon", json={"enabled": False})
    assert changed.status_code == 200
    shell = {
        row["name"]: row
        for row in json.loads((await medianest("plugins", "list", "--json")).stdout)
    }
    assert shell["beacon"]["enabled"] is False and shell["beacon"]["state"] == "disabled"
